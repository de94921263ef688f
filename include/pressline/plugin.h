/*
 * pressline plugin ABI.
 *
 * This header is everything a stage plugin needs. A plugin is a shared object
 * that exports one descriptor, `struct pl_plugin`, under the symbol named by
 * PL_PLUGIN_SYMBOL ("pressline_plugin"). The host (the daemon's worker threads,
 * a `pressline worker` process or `pressline process`) dlopen()s the file with
 * RTLD_NOW | RTLD_LOCAL, checks the magic number, ABI version and descriptor
 * size, and refuses a mismatch with a message naming the file and both
 * versions.
 *
 * Threading: init() and fini() are called on the host's main thread. process()
 * is called on a worker thread, never concurrently for the same state. When a
 * plugin does not set PL_PLUGIN_THREAD_SAFE, the host runs at most one worker
 * thread for it per process, because the plugin may keep global state.
 *
 * Documents travel as JSON text (UTF-8, one object). A plugin reads the
 * document it is given and returns a patch (ABI version 2): a JSON object
 * holding only the top-level members it adds or replaces, in the form they
 * are to be published, and, to drop members, "$remove": an array of their
 * names. The host replaces those members in the document (a replaced member
 * keeps its place; new ones follow in the patch's order) without parsing or
 * re-escaping the rest, so what a stage did not touch reaches the next stage
 * and the subscriber as the very bytes the host or an earlier stage wrote.
 * The host refuses, as the stage's failure, a result that is not a JSON
 * object, sets a member twice, sets a name starting with '$' other than
 * "$remove", or both sets and removes a member. Version 1 plugins returned
 * the whole document; the loader refuses them by name. Plugins never link
 * against host symbols; the host reaches them only through the function
 * table below.
 */
#ifndef PRESSLINE_PLUGIN_H
#define PRESSLINE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "PLPG" read as a little-endian uint32: catches a symbol of the right name
 * that is not a pressline descriptor at all. */
#define PL_PLUGIN_MAGIC 0x47504c50u

/* Bump on any incompatible change to struct pl_plugin or struct pl_host, or
 * to what process() is given or returns. 2: process() returns a patch, not
 * the whole document. */
#define PL_PLUGIN_ABI_VERSION 2u

#define PL_PLUGIN_SYMBOL "pressline_plugin"

/* The plugin may run on several worker threads at once, one state each. */
#define PL_PLUGIN_THREAD_SAFE 0x1u

#define PL_ERROR_MAX 512

/* Log levels, ordered: a message is shown when its level <= the configured one. */
enum pl_log_level { PL_LOG_ERROR = 0, PL_LOG_WARN = 1, PL_LOG_INFO = 2, PL_LOG_DEBUG = 3 };

/* An error message a plugin fills in when it returns non-zero. The host
 * publishes it verbatim as the reason, so write it for the user: say what was
 * wrong with the input or the options, not which function failed. */
struct pl_error {
    char message[PL_ERROR_MAX];
};

/*
 * The host's function table, handed to init(). Borrowed: valid until fini()
 * returns. Check `size` before using a member added after ABI version 1.
 */
struct pl_host {
    uint32_t abi_version; /* PL_PLUGIN_ABI_VERSION of the host */
    uint32_t size;        /* sizeof(struct pl_host) of the host */
    void *ctx;            /* host context, passed back to every call below */

    /* Logs one line, prefixed by the host with the plugin's name. */
    void (*log)(void *ctx, int level, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;

    /* Formats a message into err (truncated to PL_ERROR_MAX). Returns -1 so a
     * plugin can write `return host->fail(err, "...")`. */
    int (*fail)(struct pl_error *err, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 2, 3)))
#endif
        ;

    /* Checks that the JSON object `options_json` (may be NULL: no options)
     * has only keys listed in `allowed` (NULL-terminated). Returns 0, or -1
     * with err naming the first unknown key, or saying the options are not a
     * JSON object. */
    int (*check_keys)(const char *options_json, const char *const *allowed, struct pl_error *err);
};

/*
 * The descriptor. Build it with designated initializers:
 *
 *   PL_PLUGIN_EXPORT const struct pl_plugin pressline_plugin = {
 *       .magic = PL_PLUGIN_MAGIC, .abi_version = PL_PLUGIN_ABI_VERSION,
 *       .size = sizeof(struct pl_plugin), .name = "clean", ...
 *   };
 */
struct pl_plugin {
    uint32_t magic;       /* PL_PLUGIN_MAGIC */
    uint32_t abi_version; /* PL_PLUGIN_ABI_VERSION the plugin was built with */
    uint32_t size;        /* sizeof(struct pl_plugin) the plugin was built with */
    uint32_t flags;       /* PL_PLUGIN_* */

    const char *name;        /* short stage name, e.g. "clean" */
    const char *version;     /* the plugin's own version, e.g. "0.1.0" */
    const char *description; /* one line */

    /* Validates options (a JSON object as text, or NULL) and creates a state.
     * Returns 0 and sets *state (may be NULL if the plugin needs none), or
     * non-zero with err filled. On failure nothing needs to be freed. */
    int (*init)(const struct pl_host *host, const char *options_json, void **state,
                struct pl_error *err);

    /* Processes one document. `doc` is NUL-terminated JSON of `len` bytes,
     * borrowed for the call. On success returns 0 and sets *out to a new
     * NUL-terminated JSON object, the patch (see the top of this header:
     * only the members the plugin adds, replaces or removes; "{}" when it
     * changes nothing), and *out_len to its length; the host owns *out and
     * gives it back through release(). On failure returns non-zero with err
     * filled and *out untouched. */
    int (*process)(void *state, const char *doc, size_t len, char **out, size_t *out_len,
                   struct pl_error *err);

    /* Frees a result returned by process(). */
    void (*release)(void *state, char *out);

    /* Frees the state. May be NULL. */
    void (*fini)(void *state);
};

#if defined(__GNUC__)
#define PL_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define PL_PLUGIN_EXPORT
#endif

#ifdef __cplusplus
}
#endif

#endif /* PRESSLINE_PLUGIN_H */
