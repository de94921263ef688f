/* The in-process plugin runner of plugin_run.h, shared by test_edge.c and
 * test_inputs.c, which each had a copy of it. */
#include "cm.h"

#include "plugin_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docpatch.h"
#include "harness.h"
#include "loader.h"

cJSON *pr_run(const char *plugin, const char *options, const char *doc, char *err, size_t n,
              int *rc)
{
    char *p = th_path("%s/lib/pressline/%s.so", th_build_dir(), plugin), e[1024];
    struct pl_plugin_handle *h = NULL;
    assert_int_equal(pl_plugin_open(p, &h, e, sizeof(e)), 0);
    struct pl_plugin_instance inst;
    assert_int_equal(pl_plugin_instance_init(&inst, h, plugin, options, e, sizeof(e)), 0);
    char *out = NULL;
    size_t len = 0;
    struct pl_error perr = { { 0 } };
    cJSON *res = NULL;
    int got = h->desc->process(inst.state, doc, strlen(doc), &out, &len, &perr);
    if (got == 0) {
        /* The document as the host holds it after the stage: the input
         * with the plugin's patch applied, as the worker does. */
        char *merged = NULL, why[256];
        size_t mlen = 0;
        if (pl_doc_merge(doc, strlen(doc), out, len, &merged, &mlen, why, sizeof(why)) == 0)
            res = cJSON_Parse(merged);
        else
            snprintf(err, n, "%s", why);
        free(merged);
        h->desc->release(inst.state, out);
    } else {
        snprintf(err, n, "%s", perr.message);
    }
    if (rc)
        *rc = got;
    pl_plugin_instance_fini(&inst);
    pl_plugin_close(&h);
    free(p);
    return res;
}

cJSON *pr_clean_raw(const char *raw, char *err, size_t n, int *rc)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddObjectToObject(d, "source");
    cJSON_AddStringToObject(d, "raw", raw);
    char *doc = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    cJSON *r = pr_run("clean", NULL, doc, err, n, rc);
    cJSON_free(doc);
    return r;
}
