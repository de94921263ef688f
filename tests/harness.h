/*
 * Helpers shared by the tests: paths from the environment ctest sets, temp
 * folders, files, a free TCP port, the real daemon as a child process and a
 * subscriber with bounded waits. Compiled into every test binary (pl_test)
 * and into linear_probe; it returns codes and writes to stderr, never
 * asserts, so it needs no cmocka.
 */
#ifndef PL_TEST_HARNESS_H
#define PL_TEST_HARNESS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>
#include <zmq.h>

/* Environment set by ctest (falls back to the build tree layout). */
const char *th_source_dir(void);
const char *th_build_dir(void);
/* For a program ctest does not run (the benches): PL_BUILD_DIR becomes the
 * folder above the one holding this executable and PL_SOURCE_DIR
 * source_dir, each unless already set, so the harness finds the daemon,
 * the plugins and the fixtures. */
void th_dirs_from_exe(const char *source_dir);
const char *th_test_plugin_dir(void);

/* mkdtemp under /tmp; caller frees. Removed by th_rmrf. */
char *th_tempdir(void);
void th_rmrf(const char *path);

/* Reads a whole file; caller frees. NULL on error. */
char *th_read_file(const char *path, size_t *len);
int th_write_file(const char *path, const void *data, size_t len);
char *th_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A TCP port nothing listens on right now, and not one this process was
 * given before. */
int th_free_port(void);

/* The real daemon. */
struct th_daemon {
    pid_t pid;
    char *dir;      /* its working folder: inbox/, outbox/ ... inside */
    char *endpoint; /* publish endpoint */
    char *replay;   /* replay endpoint */
    char *http;     /* its http.listen ("127.0.0.1:<free port>", or the test's own) */
    char *log;      /* path of its stderr */
    /* Run in the child between fork and exec (its environment, say), at
     * every start; NULL for none. */
    void (*child_setup)(void);
};

/* Writes <dir>/config.json from extra_json (object members, no braces, may
 * be "") merged with test defaults (free ports for publish, replay and, unless
 * extra_json has an "http" key of its own, http.listen; 100 ms status, 200 ms
 * settle) and starts presslined in dir. Returns 0 or -1. */
int th_daemon_start(struct th_daemon *d, const char *dir, const char *extra_json);
/* th_daemon_start with d->child_setup set to setup. */
int th_daemon_start_with(struct th_daemon *d, const char *dir, const char *extra_json,
                         void (*setup)(void));
/* Writes <dir>/config.json again (atomically) as th_daemon_start did, with
 * d's endpoints and extra_json: what a reload test changes before SIGHUP.
 * Returns 0 or -1. */
int th_daemon_write_config(const struct th_daemon *d, const char *extra_json);
/* Starts presslined again in the same folder with the same config.json
 * (same endpoint), after it was stopped. Returns 0 or -1. */
int th_daemon_restart(struct th_daemon *d);

/* Sends sig and waits up to timeout_ms. Returns the exit status, or -1 if it
 * did not exit (it is then killed). */
int th_daemon_stop(struct th_daemon *d, int sig, int timeout_ms);
void th_daemon_free(struct th_daemon *d);

/* A subscriber to all topics. th_sub_next passes "story" messages (the
 * stories stage's, one after each article) only when stories is set, so
 * tests that count articles and errors count those alone. */
struct th_sub {
    void *ctx, *sock;
    bool stories;
};
int th_sub_open(struct th_sub *s, const char *endpoint);
/* Waits (up to timeout_ms) until a "status" message shows the subscription
 * is live. Returns 0 or -1. */
int th_sub_wait_ready(struct th_sub *s, int timeout_ms);
/* Receives the next message within timeout_ms, whatever its topic:
 * drains what is queued (ZMQ_DONTWAIT) and polls only when nothing is.
 * Returns 0 with the topic in topic[16] and the body in *body, which the
 * caller closes (zmq_msg_close), or -1 on timeout. */
int th_sub_recv(struct th_sub *s, int timeout_ms, char topic[16], zmq_msg_t *body);
/* Receives the next article or error message (status skipped; story
 * skipped unless s->stories) within
 * timeout_ms. Returns the parsed JSON (caller deletes) and the topic in
 * topic[16], or NULL on timeout. raw_out, when not NULL, receives a copy of
 * the JSON text (caller frees). */
cJSON *th_sub_next(struct th_sub *s, int timeout_ms, char topic[16], char **raw_out);
void th_sub_close(struct th_sub *s);

/* Opens s on d's publish endpoint and waits (up to timeout_ms) until a
 * status message shows the daemon live. Returns 0, or -1 with "daemon did
 * not start" and d's log on stderr. s is open either way: the caller closes
 * it with th_sub_close. */
int th_sub_live(struct th_sub *s, const struct th_daemon *d, int timeout_ms);
/* th_daemon_start(d, dir, extra_json), then th_sub_live(sub, d, timeout_ms):
 * the start-up most integration tests share. Returns 0 or -1. */
int th_daemon_start_live(struct th_daemon *d, struct th_sub *sub, const char *dir,
                         const char *extra_json, int timeout_ms);

/* Counts entries in a folder (without . and ..). */
int th_count_dir(const char *path);

/* Runs the schema validator on a JSON-lines file. Returns its exit status. */
int th_validate_schema(const char *jsonl_path);

/* Drops a file into <dir>/inbox as a writer should: written under a
 * hidden temporary name in the inbox, then renamed to name. Returns 0 or
 * -1. */
int th_drop(const char *dir, const char *name, const void *data, size_t len);

/* Pids of the `pressline worker` processes the daemon started for stage
 * (its children, found in /proc: other test runs may have their own), at
 * most max into out. Returns how many. */
int th_worker_pids(pid_t daemon, const char *stage, pid_t *out, int max);

uint64_t th_now_ms(void);

#endif
