/*
 * The daemon's configuration: the built-in default (config/pressline.json,
 * embedded at build time) with the user's JSON file laid over it. Objects
 * merge key by key; arrays ("stages") replace. Unknown keys, wrong types and
 * out-of-range values (more than PL_MAX_STAGES stages among them, a tcp://
 * endpoint without a port from 1 to 65535) are errors that name the key.
 * Loaded on the main thread at start and again at each reload (reload.c),
 * each a new object; read-only once loaded.
 */
#ifndef PL_CONFIG_H
#define PL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* The most stages a configuration may list: the broker, the in-process
 * pipeline and an article's stage timings have room for this many. */
#define PL_MAX_STAGES 16
/* The longest stage name, its terminating NUL included. */
#define PL_STAGE_NAME_MAX 64

/* A stage's default "timeout_ms_per_mb". Every stage is linear in the
 * article's size now: on this project's 2-core machine bench/size_bench
 * measured about 0.12 s per MB in clean, 0.2 in entities and 0.05 in
 * summarize (2026-12-01), so a 9.9 MB text needs about 2 s in the slowest
 * stage; 10000 + 5000 ms for each of its 9 full MB gives it 55 s, room for
 * a loaded machine or a sanitizer build. */
#define PL_STAGE_TIMEOUT_MS_PER_MB 5000

/* An article or stage result larger than this leaves tens of MB in glibc's
 * arenas once freed (its copies, a plugin's tokens and JSON); after one, the
 * worker and the broker give the free pages back with malloc_trim. */
#define PL_TRIM_BYTES (1024u * 1024u)

/* A stage's default "prefetch" and its bound (see broker.h). */
#define PL_STAGE_PREFETCH 2
#define PL_STAGE_PREFETCH_MAX 64

struct pl_stage_cfg {
    char *name;
    char *plugin;      /* as configured: a name ("clean") or a path */
    char *plugin_path; /* resolved path of the shared object */
    char *endpoint;    /* inproc://, ipc:// or tcp:// */
    int workers;
    int timeout_ms;
    int timeout_ms_per_mb; /* added to timeout_ms per full MB of the document (broker) */
    int max_attempts;      /* crashes + timeouts in this stage before quarantine */
    int prefetch; /* jobs a worker holds at once: the one it runs, the rest queued (broker) */
    enum pl_spawn { PL_SPAWN_THREAD, PL_SPAWN_PROCESS, PL_SPAWN_NONE } spawn;
    char *options_json; /* the "options" object as JSON text */
    bool db_default;    /* the stories stage's "db" was filled in from spool, not given */
};

struct pl_config {
    char *inbox, *outbox, *spool, *done, *failed;
    bool delete_on_success;
    bool durable; /* fsync results before moving the source */
    int log_level;
    char *plugin_dir;
    char *pub_endpoint;
    char *replay_endpoint; /* "" = none */
    int pub_hwm;
    int status_interval_ms;
    size_t max_bytes;
    int max_in_flight;
    int max_queued; /* names queued from the inbox before the watcher pauses */
    int settle_ms;
    int rescan_interval_ms;
    bool follow_symlinks;
    /* How the inbox is watched (watch.mode): PL_WATCH_AUTO picks inotify or
     * scans from the inbox's file system at start (watch.h). */
    enum pl_watch_mode { PL_WATCH_AUTO, PL_WATCH_INOTIFY, PL_WATCH_POLL } watch_mode;
    int poll_interval_ms; /* scan period when the inbox is watched by scans */
    char *http_listen;    /* "host:port" of the HTTP endpoint; "" = none */
    bool http_allow_remote;
    char curve_secret[41]; /* Z85; "" = tcp endpoints without CURVE */
    char curve_public[41];
    int shutdown_timeout_ms;
    int worker_heartbeat_ms;
    int worker_dead_after_ms;
    struct pl_stage_cfg *stages;
    size_t nstages;
};

/* The longest host part of an "http.listen" address ("[v6 address]"
 * included), plus its NUL. */
#define PL_LISTEN_HOST_MAX 64

/* Splits an HTTP listen address, "HOST:PORT", into its host (an IPv4
 * address, "[IPv6 address]" written without the brackets, or "localhost")
 * and its port (1 to 65535). Used for http.listen and by `pressline status
 * --http`. Pure. Returns 0, or PL_EINPUT when text is not of that form. */
int pl_listen_parse(const char *text, char host[PL_LISTEN_HOST_MAX], int *port);

/* Whether a host from pl_listen_parse is a loopback address (127.0.0.0/8,
 * ::1, "localhost"): only those are served without http.allow_remote. */
bool pl_listen_is_loopback(const char *host);

struct sockaddr_storage;
/* The socket address of a host from pl_listen_parse ("localhost" is
 * 127.0.0.1) and port, into *ss and its length into *len, for the HTTP
 * endpoint's socket and `pressline status` alike. Returns 0, or -EINVAL
 * for a host that is no address. */
int pl_listen_sockaddr(const char *host, int port, struct sockaddr_storage *ss, unsigned *len);

/* The embedded default configuration text. */
extern const char pl_default_config_json[];

/* Loads the configuration: the default, overlaid with the file at `path`
 * when path is not NULL. `exe_dir` locates plugins when plugin_dir is "";
 * NULL means the folder of the running executable.
 * On success returns 0 and *out (caller frees with pl_config_free). On
 * failure returns a negative code with a message in err naming the file and
 * key: PL_ECONFIG for an invalid configuration, -errno for a file that
 * cannot be read (the configuration or the CURVE key file; -EFBIG: over
 * 1 MiB), PL_EINPUT for a key file without a key, -ENOMEM. */
int pl_config_load(const char *path, const char *exe_dir, struct pl_config **out, char *err,
                   size_t errlen);

/* Same, from JSON text (for tests); `origin` names it in messages. Same
 * returns. */
int pl_config_load_text(const char *json, const char *origin, const char *exe_dir,
                        struct pl_config **out, char *err, size_t errlen);

/* Frees *cfg and sets it to NULL; NULL is allowed. */
void pl_config_free(struct pl_config **cfg);

/* Checks the folders the daemon uses (inbox, outbox, spool and spool/work,
 * failed, done unless on_success is "delete"): each must be a folder or not
 * exist yet (the daemon creates it). Kept apart from loading, which touches
 * no file system beyond the configuration, so that `pressline process` and
 * the fuzzer do not depend on them. Borrows cfg; `origin` names the
 * configuration in the message. Returns 0, or PL_ECONFIG with err naming the
 * key and the path. */
int pl_config_check_folders(const struct pl_config *cfg, const char *origin, char *err,
                            size_t errlen);

/* pl_config_load, then pl_config_check_folders (the configuration named by
 * path, or "built-in default configuration"): what presslined checks before
 * it starts or runs --check, and what a reload checks first. Same returns
 * as either; *out is set only on success. */
int pl_config_load_checked(const char *path, const char *exe_dir, struct pl_config **out, char *err,
                           size_t errlen);

/* Replaces the options of cfg's stage called name with a copy of json
 * (for the trainers, which run a stage with options of their own).
 * Returns 0, -ENOMEM, or PL_ECONFIG when cfg has no such stage. */
int pl_config_set_stage_options(struct pl_config *cfg, const char *name, const char *json);

/* The configuration for a one-shot command (`pressline process`, `pressline
 * eval`): loaded as pl_config_load does, the log level then set to warnings
 * only. Returns it (caller frees with pl_config_free), or NULL with the
 * reason printed on stderr after "pressline <cmd>: ". */
struct pl_config *pl_config_load_for(const char *path, const char *cmd);

#endif
