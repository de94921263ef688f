/*
 * Loads stage plugins: dlopen(RTLD_NOW | RTLD_LOCAL), find the descriptor,
 * check magic, ABI version and size, and create instances through init().
 * Every refusal names the file and the reason. Called on the main thread at
 * start (by presslined, `pressline process|worker`, the evaluators, tests
 * and benches); instances are then used by one worker thread each.
 */
#ifndef PL_LOADER_H
#define PL_LOADER_H

#include <pressline/plugin.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct pl_plugin_handle {
    void *dl;
    const struct pl_plugin *desc; /* borrowed from the shared object */
    char *path;
};

/* Opens the plugin at path. On success returns 0 and *out (caller closes it
 * with pl_plugin_close). On failure returns, with err naming the file and
 * the reason, -errno (no such file ...), PL_EPLUGIN (dlopen refused it, or
 * its descriptor is missing or does not match this pressline) or -ENOMEM. */
int pl_plugin_open(const char *path, struct pl_plugin_handle **out, char *err, size_t errlen);

/* Closes *h and sets it to NULL; NULL is allowed. Instances made from it
 * must be fini'd first. */
void pl_plugin_close(struct pl_plugin_handle **h);

/* One configured instance of a plugin: its state and host table. */
struct pl_plugin_instance {
    const struct pl_plugin *desc; /* borrowed from the handle */
    void *state;
    struct pl_host host;
    char stage[64]; /* the stage name, used to prefix the plugin's log lines */
    /* CPU time the calling threads spent inside process() so far (worker.c
     * adds each call's); the daemon's loop reads it for the metrics while
     * the worker thread runs. */
    _Atomic uint64_t process_cpu_ns;
};

/* Calls init() with options (JSON object text or NULL, borrowed for the
 * call); inst borrows h, which must outlive it. Returns 0, or PL_EPLUGIN
 * with err naming the stage and the plugin's own message. */
int pl_plugin_instance_init(struct pl_plugin_instance *inst, const struct pl_plugin_handle *h,
                            const char *stage, const char *options_json, char *err, size_t errlen);

/* Calls the plugin's fini() and clears inst; a cleared inst is allowed. */
void pl_plugin_instance_fini(struct pl_plugin_instance *inst);

#endif
