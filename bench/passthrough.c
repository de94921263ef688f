/* The benchmark's floor: one stage that turns "raw" into "text" and does
 * nothing else, so a run measures files, messaging and the writer alone. */
#include <pressline/plugin.h>
#include <string.h>

#include "docjson.h"

static int s_init(const struct pl_host *h, const char *o, void **s, struct pl_error *e)
{
    static const char *const keys[] = { NULL };
    *s = NULL;
    return h->check_keys(o, keys, e);
}

static int s_process(void *s, const char *doc, size_t len, char **out, size_t *out_len,
                     struct pl_error *e)
{
    (void)s;
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

PL_PLUGIN_EXPORT const struct pl_plugin pressline_plugin = {
    .magic = PL_PLUGIN_MAGIC,
    .abi_version = PL_PLUGIN_ABI_VERSION,
    .size = sizeof(struct pl_plugin),
    .flags = PL_PLUGIN_THREAD_SAFE,
    .name = "passthrough",
    .version = "1.0",
    .description = "raw to text, nothing else",
    .init = s_init,
    .process = s_process,
    .release = pl_doc_release,
};
