/* Plugin loading; see loader.h. */
#include "loader.h"

#include <cjson/cJSON.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "docjson.h"
#include "log.h"

static void s_host_log(void *ctx, int level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pl_log(level, "[%s] %s", (const char *)ctx, msg);
}

/* The host's fail. It and check_keys return -1 on failure: that is the
 * plugin ABI (<pressline/plugin.h>), which plugins built against version 1
 * rely on, not the daemon's own convention. */
static int s_host_fail(struct pl_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

/* The host's check_keys: the toolkit's own check, for plugins that do not
 * use cJSON. */
static int s_host_check_keys(const char *options_json, const char *const *allowed,
                             struct pl_error *err)
{
    cJSON *o = pl_options_parse(options_json, err);
    if (!o)
        return -1;
    int rc = pl_options_check_keys(o, NULL, allowed, err);
    cJSON_Delete(o);
    return rc;
}

int pl_plugin_open(const char *path, struct pl_plugin_handle **out, char *err, size_t errlen)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        int e = errno;
        char eb[128];
        snprintf(err, errlen, "plugin %s: %s", path, pl_strerror(e, eb, sizeof(eb)));
        return -e;
    }
    dlerror();
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *e = dlerror();
        snprintf(err, errlen, "plugin %s cannot be loaded: %s", path, e ? e : "unknown error");
        return PL_EPLUGIN;
    }
    int rc = PL_EPLUGIN;
    const struct pl_plugin *d = dlsym(dl, PL_PLUGIN_SYMBOL);
    if (!d) {
        snprintf(err, errlen,
                 "plugin %s does not export the symbol \"%s\"; is it a pressline plugin?", path,
                 PL_PLUGIN_SYMBOL);
        goto fail;
    }
    if (d->magic != PL_PLUGIN_MAGIC) {
        snprintf(err, errlen,
                 "plugin %s: \"%s\" is not a pressline plugin descriptor (bad magic "
                 "0x%08x)",
                 path, PL_PLUGIN_SYMBOL, d->magic);
        goto fail;
    }
    if (d->abi_version != PL_PLUGIN_ABI_VERSION) {
        /* A version 1 plugin's process() returns the whole document, which
         * version 2 would take for a patch: say what to change, not only
         * that it must be rebuilt. */
        snprintf(err, errlen,
                 "plugin %s was built for plugin ABI version %u; this pressline "
                 "uses ABI version %u: rebuild the plugin against this pressline's "
                 "<pressline/plugin.h>%s",
                 path, d->abi_version, PL_PLUGIN_ABI_VERSION,
                 d->abi_version == 1 ? " (since version 2, process() returns only the members it "
                                       "adds, replaces or removes, not the whole document)"
                                     : "");
        goto fail;
    }
    if (d->size != sizeof(struct pl_plugin)) {
        snprintf(err, errlen,
                 "plugin %s: descriptor is %u bytes, ABI version %u expects %zu: "
                 "it was built with a different <pressline/plugin.h>",
                 path, d->size, PL_PLUGIN_ABI_VERSION, sizeof(struct pl_plugin));
        goto fail;
    }
    if (!d->name || !d->version || !d->init || !d->process || !d->release) {
        snprintf(err, errlen, "plugin %s: descriptor lacks %s", path,
                 !d->name      ? "a name"
                 : !d->version ? "a version"
                 : !d->init    ? "init()"
                 : !d->process ? "process()"
                               : "release()");
        goto fail;
    }
    struct pl_plugin_handle *h = calloc(1, sizeof(*h));
    if (!h || !(h->path = strdup(path))) {
        free(h);
        snprintf(err, errlen, "out of memory");
        rc = -ENOMEM;
        goto fail;
    }
    h->dl = dl;
    h->desc = d;
    *out = h;
    return 0;
fail:
    dlclose(dl);
    return rc;
}

void pl_plugin_close(struct pl_plugin_handle **ph)
{
    struct pl_plugin_handle *h = *ph;
    if (!h)
        return;
    dlclose(h->dl);
    free(h->path);
    free(h);
    *ph = NULL;
}

int pl_plugin_instance_init(struct pl_plugin_instance *inst, const struct pl_plugin_handle *h,
                            const char *stage, const char *options_json, char *err, size_t errlen)
{
    memset(inst, 0, sizeof(*inst));
    snprintf(inst->stage, sizeof(inst->stage), "%s", stage);
    inst->desc = h->desc;
    inst->host = (struct pl_host){
        .abi_version = PL_PLUGIN_ABI_VERSION,
        .size = sizeof(struct pl_host),
        .ctx = inst->stage,
        .log = s_host_log,
        .fail = s_host_fail,
        .check_keys = s_host_check_keys,
    };
    struct pl_error perr = { { 0 } };
    if (h->desc->init(&inst->host, options_json, &inst->state, &perr) != 0) {
        snprintf(err, errlen, "stage %s: plugin %s (%s) refused its options: %s", stage,
                 h->desc->name, h->path, perr.message[0] ? perr.message : "init() failed");
        return PL_EPLUGIN;
    }
    return 0;
}

void pl_plugin_instance_fini(struct pl_plugin_instance *inst)
{
    if (inst->desc && inst->desc->fini)
        inst->desc->fini(inst->state);
    inst->state = NULL;
    inst->desc = NULL;
}
