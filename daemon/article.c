/* Article JSON; see article.h. */
#include "article.h"

#include "docpatch.h"
#include "text.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static void s_hex(const unsigned char *h, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[h[i] >> 4];
        out[2 * i + 1] = d[h[i] & 15];
    }
    out[2 * n] = '\0';
}

/* libcrypto's SHA-256, not libsodium's: the same digest at a fifth of the
 * CPU where the processor has SHA extensions (2.6 against 15 us for 4 KB
 * here: bench/hash_bench.c), and it is the main loop's largest single cost
 * per article. The algorithm is fetched once: SHA256() looks it up by name
 * at every call. */
static EVP_MD *s_sha256_md;
static pthread_once_t s_sha256_once = PTHREAD_ONCE_INIT;

static void s_sha256_fetch(void)
{
    s_sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

/* For tests (pl_article_test_no_libcrypto): libcrypto's digests fail. */
static atomic_bool s_no_libcrypto;

void pl_article_test_no_libcrypto(bool on)
{
    atomic_store(&s_no_libcrypto, on);
}

static void s_sha256(const void *data, size_t len, unsigned char h[SHA256_DIGEST_LENGTH])
{
    pthread_once(&s_sha256_once, s_sha256_fetch);
    if (!atomic_load(&s_no_libcrypto)) {
        if (s_sha256_md && EVP_Digest(data, len, h, NULL, s_sha256_md, NULL) == 1)
            return;
        if (SHA256(data, len, h)) /* no provider table: the implicit fetch */
            return;
    }
    /* Neither gave a digest (no provider has SHA-256, out of memory): h
     * holds nothing, and an id made from it would be garbage. libsodium's
     * portable SHA-256 cannot fail: slower, and always the same id. */
    crypto_hash_sha256(h, data, len);
}

void pl_content_id(const void *data, size_t len, struct pl_source *src)
{
    unsigned char h[SHA256_DIGEST_LENGTH];
    s_sha256(data, len, h);
    s_hex(h, sizeof(h), src->sha256);
    memcpy(src->id, src->sha256, 16);
    src->id[16] = '\0';
}

void pl_name_id(const char *name, struct pl_source *src)
{
    unsigned char h[SHA256_DIGEST_LENGTH];
    char full[65];
    s_sha256(name, strlen(name), h);
    s_hex(h, sizeof(h), full);
    memcpy(src->id, full, 16);
    src->id[16] = '\0';
    src->sha256[0] = '\0';
}

uint64_t pl_epoch_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

void pl_iso_time(uint64_t us, char out[32])
{
    time_t s = (time_t)(us / 1000000u);
    struct tm tm;
    gmtime_r(&s, &tm);
    char b[24];
    strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%s.%03uZ", b, (unsigned)((us / 1000u) % 1000u));
}

/* Valid UTF-8 without NUL can travel as a JSON string as it is; anything
 * else goes as base64 so the clean stage sees the exact bytes. */
static int s_valid_utf8(const unsigned char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    size_t adv;
    for (size_t i = 0; i < n; i += adv) {
        /* Runs of ASCII without NUL, most of a text, eight bytes at a time
         * (no high bit, no zero byte), not a decode a character. */
        for (uint64_t v; i + 8 <= n; i += 8) {
            memcpy(&v, s + i, 8);
            if ((v | ((v - ones) & ~v)) & highs)
                break;
        }
        if (i == n)
            break;
        if (s[i] == 0 || pl_utf8_decode((const char *)s + i, n - i, &adv) < 0)
            return 0;
    }
    return 1;
}

/* A JSON string for a file name or path: file names are bytes, JSON is
 * UTF-8, so invalid sequences become U+FFFD. *exact is cleared when that
 * happened. */
static cJSON *s_name_item(const char *s, bool *exact)
{
    size_t n = strlen(s), adv;
    char *buf = malloc(n * 3 + 1), *o = buf;
    if (!buf)
        return NULL;
    for (size_t i = 0; i < n; i += adv) {
        if (pl_utf8_decode(s + i, n - i, &adv) < 0) {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
            *exact = false;
        } else {
            memcpy(o, s + i, adv);
            o += adv;
        }
    }
    *o = '\0';
    cJSON *item = cJSON_CreateString(buf);
    free(buf);
    return item;
}

static bool s_add_name(cJSON *o, const char *key, const char *s, bool *exact)
{
    cJSON *item = s_name_item(s, exact);
    if (!item || !cJSON_AddItemToObject(o, key, item)) {
        cJSON_Delete(item);
        return false;
    }
    return true;
}

static cJSON *s_source_json(const struct pl_source *src)
{
    cJSON *o = cJSON_CreateObject();
    bool exact = true, path_exact = true;
    if (!o)
        return NULL;
    if (!s_add_name(o, "path", src->path, &path_exact) ||
        !s_add_name(o, "name", src->name, &exact) ||
        !cJSON_AddNumberToObject(o, "bytes", (double)src->bytes) ||
        !(src->sha256[0] ? cJSON_AddStringToObject(o, "sha256", src->sha256)
                         : cJSON_AddNullToObject(o, "sha256")) ||
        !cJSON_AddStringToObject(o, "format", src->format ? src->format : "text")) {
        cJSON_Delete(o);
        return NULL;
    }
    if (!exact) {
        /* The name's exact bytes, for finding the file in done/ or failed/. */
        size_t n = strlen(src->name);
        size_t blen = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
        char *b = malloc(blen);
        if (!b ||
            !cJSON_AddStringToObject(o, "name_base64",
                                     sodium_bin2base64(b, blen, (const unsigned char *)src->name, n,
                                                       sodium_base64_VARIANT_ORIGINAL))) {
            free(b);
            cJSON_Delete(o);
            return NULL;
        }
        free(b);
    }
    return o;
}

/* The first document and the final message are written into one buffer:
 * the article's content is escaped once, straight from the file's bytes,
 * and the final message is put together from the document's slices
 * (docpatch.h), nothing in it parsed into a tree or escaped again. */
struct obuf {
    char *p;
    size_t n, cap;
    bool oom;
};

static void s_put(struct obuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *g = realloc(b->p, cap);
        if (!g) {
            b->oom = true;
            return;
        }
        b->p = g;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void s_puts(struct obuf *b, const char *s)
{
    s_put(b, s, strlen(s));
}

/* A JSON string of n bytes, escaped as cJSON escapes (so the documents
 * read as they did when cJSON printed them): '"', '\\', the control
 * characters; everything else, UTF-8 included, as it is. Runs that need no
 * escape are copied in one go. */
static void s_put_json_string(struct obuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    s_put(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        size_t run = pl_json_plain_prefix(s + i, n - i);
        s_put(b, s + i, run);
        i += run;
        if (i == n)
            break;
        unsigned char c = (unsigned char)s[i++];
        char e[6] = { '\\', 0, 0, 0, 0, 0 };
        size_t en = 2;
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default:
            memcpy(e + 1, "u00", 3);
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            en = 6;
        }
        s_put(b, e, en);
    }
    s_put(b, "\"", 1);
}

static void s_put_string(struct obuf *b, const char *s)
{
    s_put_json_string(b, s, strlen(s));
}

static int s_emit(cJSON *o, char **out, size_t *out_len)
{
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        return -ENOMEM;
    *out = s;
    *out_len = strlen(s);
    return 0;
}

int pl_article_initial(const struct pl_source *src, const char *received_at, const void *data,
                       size_t len, char **out, size_t *out_len)
{
    cJSON *so = s_source_json(src);
    char *source = so ? cJSON_PrintUnformatted(so) : NULL;
    cJSON_Delete(so);
    if (!source)
        return -ENOMEM;
    /* Room for the content and a little escaping, so that a text grows
     * the buffer at most once or twice. */
    struct obuf b = { 0 };
    b.cap = len + len / 16 + strlen(source) + 256;
    b.p = malloc(b.cap);
    b.oom = !b.p;
    s_puts(&b, "{\"schema\":");
    s_put_string(&b, PL_SCHEMA_ARTICLE);
    s_puts(&b, ",\"id\":");
    s_put_string(&b, src->id);
    s_puts(&b, ",\"source\":");
    s_puts(&b, source);
    cJSON_free(source);
    s_puts(&b, ",\"received_at\":");
    s_put_string(&b, received_at);
    if (s_valid_utf8(data, len)) {
        s_puts(&b, ",\"raw\":");
        s_put_json_string(&b, data, len);
    } else {
        size_t blen = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
        char *enc = malloc(blen);
        if (!enc) {
            free(b.p);
            return -ENOMEM;
        }
        sodium_bin2base64(enc, blen, data, len, sodium_base64_VARIANT_ORIGINAL);
        s_puts(&b, ",\"raw_base64\":\"");
        s_puts(&b, enc);
        s_puts(&b, "\"");
        free(enc);
    }
    s_puts(&b, "}");
    if (b.oom) {
        free(b.p);
        return -ENOMEM;
    }
    *out = b.p;
    *out_len = b.n;
    return 0;
}

static void s_put_key(struct obuf *b, const char *key, size_t n)
{
    s_put(b, b->n > 1 ? ",\"" : "\"", b->n > 1 ? 2 : 1);
    s_put(b, key, n);
    s_put(b, "\":", 2);
}

/* The member key from the document, else def (NULL: left out). */
static void s_take(struct obuf *b, const struct pl_json_members *m, const char *key,
                   const char *def)
{
    const struct pl_json_member *x = pl_json_members_find(m, key);
    if (!x && !def)
        return;
    s_put_key(b, key, strlen(key));
    if (x)
        s_put(b, x->val, x->val_len);
    else
        s_puts(b, def);
}

static void s_put_u64(struct obuf *b, uint64_t v)
{
    char n[24];
    s_put(b, n, (size_t)snprintf(n, sizeof(n), "%" PRIu64, v));
}

/* The members the message sets itself or places in its fixed order; the
 * raw input is dropped. */
static const char *const s_placed[] = {
    "schema",   "id",       "seq",       "source",     "received_at", "published_at", "title",
    "text",     "language", "published", "removed",    "entities",    "dates",        "summary",
    "keywords", "stages",   "raw",       "raw_base64", NULL,
};

static bool s_is_placed(const struct pl_json_member *x)
{
    for (const char *const *k = s_placed; *k; k++)
        if (x->key_len == strlen(*k) && memcmp(x->key, *k, x->key_len) == 0)
            return true;
    return false;
}

static void s_put_stages(struct obuf *b, const struct pl_stage_time *st, size_t nst)
{
    s_put_key(b, "stages", 6);
    s_put(b, "[", 1);
    for (size_t i = 0; i < nst; i++) {
        s_puts(b, i ? ",{\"name\":" : "{\"name\":");
        s_put_string(b, st[i].name);
        s_puts(b, ",\"plugin\":");
        s_put_string(b, st[i].plugin);
        s_puts(b, ",\"version\":");
        s_put_string(b, st[i].version);
        s_puts(b, ",\"us\":");
        s_put_u64(b, st[i].us);
        s_put(b, "}", 1);
    }
    s_put(b, "]", 1);
}

int pl_article_final(const char *doc, size_t len, const struct pl_json_members *known, uint64_t seq,
                     const char *published_at, const struct pl_stage_time *st, size_t nst,
                     char **out, size_t *out_len, size_t story[2])
{
    bool story_seen = false;
    if (story)
        story[0] = story[1] = 0;
    struct pl_json_members scanned = { 0 };
    if (known) {
        if (!pl_json_members_lie_in(known, doc, len))
            return -EINVAL;
    } else {
        int rc = pl_json_members_scan(doc, len, &scanned, NULL, 0);
        if (rc != 0) {
            pl_json_members_free(&scanned);
            return rc == -ENOMEM ? -ENOMEM : -EINVAL;
        }
        known = &scanned;
    }
    const struct pl_json_members m = *known;
    struct obuf b = { 0 };
    s_put(&b, "{", 1);
    /* Fixed order first, so the message reads the same every time. */
    s_put_key(&b, "schema", 6);
    s_put_string(&b, PL_SCHEMA_ARTICLE);
    s_take(&b, &m, "id", NULL);
    s_put_key(&b, "seq", 3);
    s_put_u64(&b, seq);
    s_take(&b, &m, "source", NULL);
    s_take(&b, &m, "received_at", NULL);
    s_put_key(&b, "published_at", 12);
    s_put_string(&b, published_at);
    s_take(&b, &m, "title", "null");
    s_take(&b, &m, "text", "\"\"");
    s_take(&b, &m, "language", "\"und\"");
    s_take(&b, &m, "published", "null");
    s_take(&b, &m, "removed", "[]");
    s_take(&b, &m, "entities", "[]");
    s_take(&b, &m, "dates", "[]");
    s_take(&b, &m, "summary", "{\"text\":\"\",\"sentences\":[]}");
    s_take(&b, &m, "keywords", "[]");
    s_put_stages(&b, st, nst);
    /* Whatever else the plugins added stays, after the documented fields. */
    for (size_t i = 0; i < m.n; i++) {
        if (s_is_placed(&m.m[i]))
            continue;
        s_put_key(&b, m.m[i].key, m.m[i].key_len);
        /* The first "story" member only, as a parser that keeps the
         * first of repeated names reads it (a merged document has none). */
        if (story && !story_seen && m.m[i].key_len == 5 && memcmp(m.m[i].key, "story", 5) == 0) {
            story_seen = true;
            if (m.m[i].val[0] == '{') {
                story[0] = b.n;
                story[1] = m.m[i].val_len;
            }
        }
        s_put(&b, m.m[i].val, m.m[i].val_len);
    }
    s_put(&b, "}", 1);
    pl_json_members_free(&scanned);
    if (b.oom) {
        free(b.p);
        if (story)
            story[0] = story[1] = 0;
        return -ENOMEM;
    }
    *out = b.p;
    *out_len = b.n;
    return 0;
}

int pl_article_error(const struct pl_source *src, const char *received_at, uint64_t seq,
                     const char *published_at, const char *stage, const char *reason,
                     const char *failed_path, char **out, size_t *out_len)
{
    bool exact = true;
    cJSON *o = cJSON_CreateObject();
    cJSON *s = s_source_json(src);
    if (!o || !s || !cJSON_AddStringToObject(o, "schema", PL_SCHEMA_ERROR) ||
        !cJSON_AddStringToObject(o, "id", src->id) ||
        !cJSON_AddNumberToObject(o, "seq", (double)seq) || !cJSON_AddItemToObject(o, "source", s)) {
        cJSON_Delete(s);
        cJSON_Delete(o);
        return -ENOMEM;
    }
    if (!cJSON_AddStringToObject(o, "received_at", received_at) ||
        !cJSON_AddStringToObject(o, "published_at", published_at) ||
        !(stage ? cJSON_AddStringToObject(o, "stage", stage) : cJSON_AddNullToObject(o, "stage")) ||
        !cJSON_AddStringToObject(o, "reason", reason) ||
        !(failed_path ? s_add_name(o, "failed_path", failed_path, &exact)
                      : cJSON_AddNullToObject(o, "failed_path") != NULL)) {
        cJSON_Delete(o);
        return -ENOMEM;
    }
    return s_emit(o, out, out_len);
}
