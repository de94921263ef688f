/*
 * A stage plugin built out of tree by tests/packaging/test_install.sh,
 * against the installed <pressline/plugin.h> alone:
 * cc $(pkg-config --cflags pressline-plugin) -shared -fPIC. It adds
 * "shout": {"abi": <the ABI it was built for>, "bytes": <the document's
 * length>} to the document (its result is that one member), with no JSON
 * library, so that the test sees
 * the installed daemon loaded it and ran it. Thread-safe: no state.
 */
#include <pressline/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_init(const struct pl_host *h, const char *options, void **state, struct pl_error *err)
{
    static const char *const keys[] = { NULL };
    *state = NULL;
    return h->check_keys(options, keys, err);
}

static int s_process(void *state, const char *doc, size_t len, char **out, size_t *out_len,
                     struct pl_error *err)
{
    (void)state;
    if (!memchr(doc, '{', len)) {
        snprintf(err->message, sizeof(err->message), "shout: the document is not an object");
        return -1;
    }
    /* ABI 2: the result holds only the member the stage adds. */
    char *o = malloc(96);
    if (!o) {
        snprintf(err->message, sizeof(err->message), "shout: out of memory");
        return -1;
    }
    int n = snprintf(o, 96, "{\"shout\":{\"abi\":%u,\"bytes\":%zu}}",
                     (unsigned)PL_PLUGIN_ABI_VERSION, len);
    *out = o;
    *out_len = (size_t)n;
    return 0;
}

static void s_release(void *state, char *out)
{
    (void)state;
    free(out);
}

PL_PLUGIN_EXPORT const struct pl_plugin pressline_plugin = {
    .magic = PL_PLUGIN_MAGIC,
    .abi_version = PL_PLUGIN_ABI_VERSION,
    .size = sizeof(struct pl_plugin),
    .flags = PL_PLUGIN_THREAD_SAFE,
    .name = "shout",
    .version = "1.2.3",
    .description = "adds a field, to show an out-of-tree plugin runs",
    .init = s_init,
    .process = s_process,
    .release = s_release,
};
