/* The benchmark's floor: one stage that turns "raw" into "text" and does
 * nothing else, so a run measures files, messaging and the writer alone.
 *
 * The patch is {"text":<raw's value>,"$remove":["raw"]} with raw's value
 * copied as it is written in the document, found by a scan of its top-level
 * members: the host escapes the text as cJSON prints it, so the bytes are
 * those a parse and print would give, without the parse into a tree and
 * the print that were most of this stage's CPU (150 K of its 214 K
 * instructions an article in the floor, counted by callgrind). A document
 * without "raw" (raw_base64: bytes that are not UTF-8) gets "text":"".
 * Option "parse": true does it the old way (cJSON), for runs comparable
 * with the floor measured before 2026-12-02 (pl_bench --pass-parse). */
#include <pressline/plugin.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "docjson.h"

struct state {
    bool parse;
};

static int s_init(const struct pl_host *h, const char *o, void **s, struct pl_error *e)
{
    static const char *const keys[] = { "parse", NULL };
    *s = NULL;
    int rc = h->check_keys(o, keys, e);
    if (rc != 0)
        return rc;
    cJSON *opts = o ? cJSON_Parse(o) : NULL;
    struct state *st = calloc(1, sizeof(*st));
    if (!st) {
        cJSON_Delete(opts);
        return pl_fail(e, "out of memory");
    }
    st->parse = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(opts, "parse"));
    cJSON_Delete(opts);
    *s = st;
    return 0;
}

static void s_fini(void *s)
{
    free(s);
}

static const char *s_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* The end of the JSON string starting at p ('"'), or NULL. */
static const char *s_string_end(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* The end of the JSON value starting at p, or NULL. Nesting is counted,
 * not checked: the host checked the document it sent. */
static const char *s_value_end(const char *p, const char *end)
{
    int depth = 0;
    for (; p < end; p++) {
        if (*p == '"') {
            if (!(p = s_string_end(p, end)))
                return NULL;
            if (depth == 0)
                return p;
            p--;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            if (--depth == 0)
                return p + 1;
            if (depth < 0)
                return p;
        } else if (depth == 0 &&
                   (*p == ',' || *p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')) {
            return p;
        }
    }
    return depth == 0 ? p : NULL;
}

/* Finds the top-level member "raw": its value's bytes into *val, *val_len.
 * Returns 1 found, 0 not there, -1 not a JSON object as expected. */
static int s_find_raw(const char *doc, size_t len, const char **val, size_t *val_len)
{
    const char *p = s_ws(doc, doc + len), *end = doc + len;
    if (p == end || *p != '{')
        return -1;
    p = s_ws(p + 1, end);
    while (p < end && *p == '"') {
        const char *k = p, *ke = s_string_end(p, end);
        if (!ke)
            return -1;
        p = s_ws(ke, end);
        if (p == end || *p != ':')
            return -1;
        p = s_ws(p + 1, end);
        const char *ve = s_value_end(p, end);
        if (!ve)
            return -1;
        if (ke - k == 5 && memcmp(k, "\"raw\"", 5) == 0) {
            *val = p;
            *val_len = (size_t)(ve - p);
            return 1;
        }
        p = s_ws(ve, end);
        if (p < end && *p == ',')
            p = s_ws(p + 1, end);
    }
    return 0;
}

static int s_process_cjson(const char *doc, size_t len, char **out, size_t *out_len,
                           struct pl_error *e)
{
    cJSON *d = pl_doc_parse(doc, len, e);
    if (!d)
        return -1;
    cJSON *raw = cJSON_DetachItemFromObject(d, "raw");
    pl_doc_set(d, "text", raw ? raw : cJSON_CreateString(""));
    static const char *const keys[] = { "text", "raw", NULL };
    int rc = pl_doc_emit_patch(d, keys, out, out_len, e);
    cJSON_Delete(d);
    return rc;
}

static int s_process(void *s, const char *doc, size_t len, char **out, size_t *out_len,
                     struct pl_error *e)
{
    const struct state *st = s;
    if (st->parse)
        return s_process_cjson(doc, len, out, out_len, e);
    const char *val = "\"\"";
    size_t vlen = 2;
    int found = s_find_raw(doc, len, &val, &vlen);
    if (found < 0)
        return pl_fail(e, "the document is not a JSON object");
    if (found == 1 && val[0] != '"')
        return s_process_cjson(doc, len, out, out_len, e); /* not a string: as before */
    static const char head[] = "{\"text\":", tail[] = ",\"$remove\":[\"raw\"]}";
    size_t n = sizeof(head) - 1 + vlen + sizeof(tail) - 1;
    char *o = cJSON_malloc(n + 1);
    if (!o)
        return pl_fail(e, "out of memory while writing the result");
    memcpy(o, head, sizeof(head) - 1);
    memcpy(o + sizeof(head) - 1, val, vlen);
    memcpy(o + sizeof(head) - 1 + vlen, tail, sizeof(tail));
    *out = o;
    *out_len = n;
    return 0;
}

/* Both ways allocate through cJSON's allocator. */
static void s_release(void *s, char *out)
{
    (void)s;
    cJSON_free(out);
}

PL_PLUGIN_EXPORT const struct pl_plugin pressline_plugin = {
    .magic = PL_PLUGIN_MAGIC,
    .abi_version = PL_PLUGIN_ABI_VERSION,
    .size = sizeof(struct pl_plugin),
    .flags = PL_PLUGIN_THREAD_SAFE,
    .name = "passthrough",
    .version = "1.1",
    .description = "raw to text, nothing else",
    .init = s_init,
    .process = s_process,
    .release = s_release,
    .fini = s_fini,
};
