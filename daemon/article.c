/* Article JSON; see article.h. */
#include "article.h"

#include "text.h"

#include <cjson/cJSON.h>
#include <errno.h>
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

void pl_content_id(const void *data, size_t len, struct pl_source *src)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    s_hex(h, sizeof(h), src->sha256);
    memcpy(src->id, src->sha256, 16);
    src->id[16] = '\0';
}

void pl_name_id(const char *name, struct pl_source *src)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char full[65];
    crypto_hash_sha256(h, (const unsigned char *)name, strlen(name));
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
    size_t adv;
    for (size_t i = 0; i < n; i += adv)
        if (s[i] == 0 || pl_utf8_decode((const char *)s + i, n - i, &adv) < 0)
            return 0;
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
    cJSON *o = cJSON_CreateObject();
    cJSON *s = s_source_json(src);
    if (!o || !s || !cJSON_AddStringToObject(o, "schema", PL_SCHEMA_ARTICLE) ||
        !cJSON_AddStringToObject(o, "id", src->id) || !cJSON_AddItemToObject(o, "source", s)) {
        cJSON_Delete(s);
        cJSON_Delete(o);
        return -ENOMEM;
    }
    if (!cJSON_AddStringToObject(o, "received_at", received_at))
        goto oom;
    if (s_valid_utf8(data, len)) {
        char *z = malloc(len + 1);
        if (!z)
            goto oom;
        memcpy(z, data, len);
        z[len] = '\0';
        cJSON *r = cJSON_CreateString(z);
        free(z);
        if (!r || !cJSON_AddItemToObject(o, "raw", r)) {
            cJSON_Delete(r);
            goto oom;
        }
    } else {
        size_t blen = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
        char *b = malloc(blen);
        if (!b)
            goto oom;
        sodium_bin2base64(b, blen, data, len, sodium_base64_VARIANT_ORIGINAL);
        cJSON *r = cJSON_CreateString(b);
        free(b);
        if (!r || !cJSON_AddItemToObject(o, "raw_base64", r)) {
            cJSON_Delete(r);
            goto oom;
        }
    }
    return s_emit(o, out, out_len);
oom:
    cJSON_Delete(o);
    return -ENOMEM;
}

/* Moves key from `from` into `to` (detach + add); when absent, adds the
 * default made by mk (may be NULL to leave it out). */
static int s_take(cJSON *to, cJSON *from, const char *key, cJSON *(*mk)(void))
{
    cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(from, key);
    if (!v && mk)
        v = mk();
    if (!v)
        return mk ? -ENOMEM : 0;
    if (!cJSON_AddItemToObject(to, key, v)) {
        cJSON_Delete(v);
        return -ENOMEM;
    }
    return 0;
}

static cJSON *s_mk_empty_summary(void)
{
    cJSON *s = cJSON_CreateObject();
    if (s && (!cJSON_AddStringToObject(s, "text", "") || !cJSON_AddArrayToObject(s, "sentences"))) {
        cJSON_Delete(s);
        return NULL;
    }
    return s;
}

static cJSON *s_mk_empty_string(void)
{
    return cJSON_CreateString("");
}

static cJSON *s_mk_und(void)
{
    return cJSON_CreateString("und");
}

int pl_article_final(const char *doc, size_t len, uint64_t seq, const char *published_at,
                     const struct pl_stage_time *st, size_t nst, char **out, size_t *out_len)
{
    cJSON *d = cJSON_ParseWithLength(doc, len);
    if (!cJSON_IsObject(d)) {
        cJSON_Delete(d);
        return -EINVAL;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(d, "raw");
    cJSON_DeleteItemFromObjectCaseSensitive(d, "raw_base64");
    cJSON_DeleteItemFromObjectCaseSensitive(d, "seq");
    cJSON_DeleteItemFromObjectCaseSensitive(d, "published_at");
    cJSON_DeleteItemFromObjectCaseSensitive(d, "stages");
    cJSON_DeleteItemFromObjectCaseSensitive(d, "schema");
    cJSON *o = cJSON_CreateObject();
    cJSON *stages = cJSON_CreateArray();
    int rc = -ENOMEM;
    if (!o || !stages)
        goto out;
    /* Fixed order first, so the message reads the same every time. */
    if (!cJSON_AddStringToObject(o, "schema", PL_SCHEMA_ARTICLE) || s_take(o, d, "id", NULL) ||
        !cJSON_AddNumberToObject(o, "seq", (double)seq) || s_take(o, d, "source", NULL) ||
        s_take(o, d, "received_at", NULL) ||
        !cJSON_AddStringToObject(o, "published_at", published_at) ||
        s_take(o, d, "title", cJSON_CreateNull) || s_take(o, d, "text", s_mk_empty_string) ||
        s_take(o, d, "language", s_mk_und) || s_take(o, d, "published", cJSON_CreateNull) ||
        s_take(o, d, "removed", cJSON_CreateArray) || s_take(o, d, "entities", cJSON_CreateArray) ||
        s_take(o, d, "dates", cJSON_CreateArray) || s_take(o, d, "summary", s_mk_empty_summary) ||
        s_take(o, d, "keywords", cJSON_CreateArray))
        goto out;
    for (size_t i = 0; i < nst; i++) {
        cJSON *s = cJSON_CreateObject();
        if (!s || !cJSON_AddItemToArray(stages, s)) {
            cJSON_Delete(s);
            goto out;
        }
        if (!cJSON_AddStringToObject(s, "name", st[i].name) ||
            !cJSON_AddStringToObject(s, "plugin", st[i].plugin) ||
            !cJSON_AddStringToObject(s, "version", st[i].version) ||
            !cJSON_AddNumberToObject(s, "us", (double)st[i].us))
            goto out;
    }
    if (!cJSON_AddItemToObject(o, "stages", stages))
        goto out;
    stages = NULL;
    /* Whatever else the plugins added stays, after the documented fields. */
    cJSON *it = d->child;
    while (it) {
        cJSON *next = it->next;
        cJSON *v = cJSON_DetachItemViaPointer(d, it);
        if (!cJSON_AddItemToObject(o, v->string, v)) {
            cJSON_Delete(v);
            goto out;
        }
        it = next;
    }
    rc = s_emit(o, out, out_len);
    o = NULL;
out:
    cJSON_Delete(stages);
    cJSON_Delete(o);
    cJSON_Delete(d);
    return rc;
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
