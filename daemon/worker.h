/*
 * A stage worker: connects a DEALER socket to the stage's endpoint, says
 * READY, then runs each JOB through its plugin instance and answers DONE
 * with the job's document, the plugin's patch merged in (docpatch.h: the
 * broker, here or on another host, gets a whole document back, and the
 * patch is checked where the plugin ran), or FAIL. The same loop runs as a
 * thread inside presslined (stages spawned as "thread", on any endpoint)
 * and in a separate `pressline worker` process (ipc or tcp), which also
 * heartbeats (see wire.h). Runs on its own thread; owns its sockets.
 */
#ifndef PL_WORKER_H
#define PL_WORKER_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#include "loader.h"

struct pl_worker {
    pthread_t thread;
    void *zctx;                     /* borrowed: the daemon's ZeroMQ context */
    char *endpoint;                 /* owned */
    struct pl_plugin_instance inst; /* owned: fini'd by pl_worker_destroy */
    size_t stage;                   /* the index of its stage in the generation's configuration */
    int started;
};

/* Runs the worker loop on the calling thread until the context is shut
 * down. opts->heartbeat_ms > 0 names the job socket with a fresh worker id
 * and heartbeats from a thread of its own (for process workers; 0 for
 * threads inside the daemon, which cannot die alone). When opts->stop is not
 * NULL, a signal that interrupts the loop ends it once *stop is set. With
 * opts->server_key, both sockets are CURVE clients. inst is borrowed for the
 * call. Logs nothing of its own failure: returns 0 on ETERM or stop, or
 * -errno (libzmq's) when a socket cannot be set up, connected or used, and
 * the caller, which knows the stage, says so. */
struct pl_worker_opts {
    int heartbeat_ms;                  /* 0: no heartbeat (threads) */
    const volatile sig_atomic_t *stop; /* NULL: run until the context ends */
    const char *server_key;            /* Z85 CURVE key of the daemon, or NULL */
    /* Answer PATCH (the plugin's patch alone, merged by the broker) instead
     * of DONE (the merged document): for the daemon's own workers, whose
     * broker is of the same build (wire.h). */
    bool reply_patch;
};

int pl_worker_run(void *zctx, const char *endpoint, struct pl_plugin_instance *inst,
                  const struct pl_worker_opts *opts);

/* Starts w's loop on a new thread. Returns 0 or -errno. */
int pl_worker_start(struct pl_worker *w);

/* Waits up to timeout_ms for the thread to end. Returns 0, or -ETIMEDOUT
 * when it is stuck (in a plugin): the caller must then not free w. */
int pl_worker_join(struct pl_worker *w, int timeout_ms);

#endif
