/*
 * libFuzzer harness for one plugin's process(): the plugin's source is
 * compiled into this binary (PL_FUZZ_FIELD says which document field gets
 * the input). "raw_base64" carries arbitrary bytes to clean; "text" carries
 * arbitrary text to entities and summarize, which must not crash on what a
 * remote worker might be handed.
 */
#include <pressline/plugin.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "docpatch.h"

extern const struct pl_plugin pressline_plugin;

static int s_fail(struct pl_error *err, const char *fmt, ...)
{
    (void)fmt;
    snprintf(err->message, sizeof(err->message), "fail");
    return -1;
}

static int s_keys(const char *o, const char *const *a, struct pl_error *e)
{
    (void)o;
    (void)a;
    (void)e;
    return 0;
}

static void s_log(void *ctx, int level, const char *fmt, ...)
{
    (void)ctx;
    (void)level;
    (void)fmt;
}

static void *s_state;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static struct pl_host host = {
        PL_PLUGIN_ABI_VERSION, sizeof(struct pl_host), NULL, s_log, s_fail, s_keys
    };
    struct pl_error err;
#ifdef PL_FUZZ_MODEL
#define PL_FUZZ_OPTIONS "{\"" PL_FUZZ_MODEL_OPTION "\":\"" PL_FUZZ_MODEL "\"}"
#else
#define PL_FUZZ_OPTIONS "{}"
#endif
    if (pressline_plugin.init(&host, PL_FUZZ_OPTIONS, &s_state, &err) != 0) {
        fprintf(stderr, "init: %s\n", err.message);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddObjectToObject(d, "source");
#ifdef PL_FUZZ_RAW
    size_t blen = sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_ORIGINAL);
    char *b = malloc(blen);
    sodium_bin2base64(b, blen, data, size, sodium_base64_VARIANT_ORIGINAL);
    cJSON_AddStringToObject(d, "raw_base64", b);
    free(b);
#else
    char *t = malloc(size + 1);
    memcpy(t, data, size);
    t[size] = '\0';
    cJSON_AddStringToObject(d, "text", t);
    cJSON_AddStringToObject(d, "title", size > 20 ? "A title for the fuzzer" : t);
    cJSON_AddStringToObject(d, "published", "2025-04-10");
    free(t);
#endif
    char *doc = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    char *out = NULL;
    size_t out_len = 0;
    struct pl_error err;
    if (pressline_plugin.process(s_state, doc, strlen(doc), &out, &out_len, &err) == 0) {
        /* The result must be a patch the worker accepts, and the document
         * after it a JSON object. */
        char *merged = NULL, why[256];
        size_t mlen = 0;
        if (pl_doc_merge(doc, strlen(doc), out, out_len, &merged, &mlen, why, sizeof(why)) != 0)
            abort();
        cJSON *r = cJSON_ParseWithLength(merged, mlen);
        if (!cJSON_IsObject(r))
            abort();
        cJSON_Delete(r);
        free(merged);
        pressline_plugin.release(s_state, out);
    }
    cJSON_free(doc);
    return 0;
}
