/*
 * A configurable test stage: passes the document through after "sleep_ms",
 * fails every document whose text contains "fail_on", crashes the process
 * (SIGSEGV) on one containing "crash_on", or (with "make_text")
 * turns "raw" into "text" as a minimal clean would: the benchmark's floor.
 * "result" is returned as it is for every document, a patch that the host
 * must apply or refuse (ABI 2). "block_model" stands in for the clean stage's model file, so that
 * `pressline eval extract --cv N --models DIR` can be tested before clean
 * has one: init fails when the file cannot be read, and a file that begins
 * with "drop" makes every text empty.
 */
#include <pressline/plugin.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docjson.h"

struct st {
    int sleep_ms;
    char *fail_on;
    char *crash_on;
    char *result;
    int make_text;
    int drop_text;
};

/* Reads the stand-in model at path: 0 and *drop set, or -1. */
static int s_model(const char *path, int *drop, struct pl_error *e)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return pl_fail(e, "testkit: cannot read the block model %s", path);
    char head[5] = "";
    size_t n = fread(head, 1, 4, f);
    fclose(f);
    *drop = n == 4 && !memcmp(head, "drop", 4);
    return 0;
}

static void s_fini(void *state);

static int s_init(const struct pl_host *h, const char *opts, void **state, struct pl_error *e)
{
    static const char *const keys[] = { "sleep_ms",    "fail_on", "crash_on", "make_text",
                                        "block_model", "result",  NULL };
    if (h->check_keys(opts, keys, e) != 0)
        return -1;
    cJSON *o = pl_options_parse(opts, e);
    if (!o)
        return -1;
    struct st *s = calloc(1, sizeof(*s));
    const cJSON *v;
    if ((v = cJSON_GetObjectItem(o, "sleep_ms")))
        s->sleep_ms = v->valueint;
    if ((v = cJSON_GetObjectItem(o, "fail_on")) && cJSON_IsString(v))
        s->fail_on = strdup(v->valuestring);
    if ((v = cJSON_GetObjectItem(o, "crash_on")) && cJSON_IsString(v))
        s->crash_on = strdup(v->valuestring);
    s->make_text = cJSON_IsTrue(cJSON_GetObjectItem(o, "make_text"));
    if ((v = cJSON_GetObjectItem(o, "result")) && cJSON_IsString(v))
        s->result = strdup(v->valuestring);
    if ((v = cJSON_GetObjectItem(o, "block_model")) && cJSON_IsString(v) &&
        s_model(v->valuestring, &s->drop_text, e) != 0) {
        cJSON_Delete(o);
        s_fini(s);
        return -1;
    }
    cJSON_Delete(o);
    *state = s;
    return 0;
}

static int s_process(void *state, const char *doc, size_t len, char **out, size_t *out_len,
                     struct pl_error *e)
{
    struct st *s = state;
    if (s->sleep_ms) {
        struct timespec ts = { s->sleep_ms / 1000, (long)(s->sleep_ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
    if (s->crash_on && strstr(doc, s->crash_on))
        raise(SIGSEGV);
    if (s->fail_on && strstr(doc, s->fail_on))
        return pl_fail(e, "testkit: found \"%s\" in the document", s->fail_on);
    if (s->result) {
        *out = strdup(s->result);
        *out_len = strlen(s->result);
        return *out ? 0 : pl_fail(e, "testkit: out of memory");
    }
    if (!s->make_text) {
        /* Passing the document through is changing nothing. */
        *out = strdup("{}");
        *out_len = 2;
        return *out ? 0 : pl_fail(e, "testkit: out of memory");
    }
    cJSON *d = pl_doc_parse(doc, len, e);
    if (!d)
        return -1;
    cJSON *raw = cJSON_DetachItemFromObject(d, "raw");
    if (raw && s->drop_text) {
        cJSON_Delete(raw);
        raw = NULL;
    }
    pl_doc_set(d, "text", raw ? raw : cJSON_CreateString(""));
    static const char *const keys[] = { "text", "raw", NULL };
    char *p = NULL;
    size_t n = 0;
    int rc = pl_doc_emit_patch(d, keys, &p, &n, e);
    cJSON_Delete(d);
    if (rc != 0)
        return rc;
    *out = malloc(n + 1);
    memcpy(*out, p, n + 1);
    *out_len = n;
    cJSON_free(p);
    return 0;
}

static void s_release(void *s, char *o)
{
    (void)s;
    free(o);
}

static void s_fini(void *state)
{
    struct st *s = state;
    free(s->fail_on);
    free(s->crash_on);
    free(s->result);
    free(s);
}

PL_PLUGIN_EXPORT const struct pl_plugin pressline_plugin = {
    .magic = PL_PLUGIN_MAGIC,
    .abi_version = PL_PLUGIN_ABI_VERSION,
    .size = sizeof(struct pl_plugin),
    .flags = PL_PLUGIN_THREAD_SAFE,
    .name = "testkit",
    .version = "1.0",
    .description = "test stage",
    .init = s_init,
    .process = s_process,
    .release = s_release,
    .fini = s_fini,
};
