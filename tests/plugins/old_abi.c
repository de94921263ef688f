/* A plugin built for ABI version 1, whose process() returned the whole
 * document: the loader must refuse it by name. */
#include <pressline/plugin.h>
#include <stddef.h>
static int s_init(const struct pl_host *h, const char *o, void **s, struct pl_error *e)
{
    (void)h;
    (void)o;
    (void)e;
    *s = NULL;
    return 0;
}
static int s_process(void *s, const char *d, size_t l, char **o, size_t *ol, struct pl_error *e)
{
    (void)s;
    (void)d;
    (void)l;
    (void)o;
    (void)ol;
    (void)e;
    return -1;
}
static void s_release(void *s, char *o)
{
    (void)s;
    (void)o;
}
PL_PLUGIN_EXPORT const struct pl_plugin pressline_plugin = {
    .magic = PL_PLUGIN_MAGIC,
    .abi_version = 1,
    .size = sizeof(struct pl_plugin),
    .name = "old_abi",
    .version = "0",
    .init = s_init,
    .process = s_process,
    .release = s_release,
};
