/*
 * A stage worker: connects a DEALER socket to the stage's endpoint, says
 * READY, then runs each JOB through its plugin instance and answers DONE or
 * FAIL. The same loop runs as a thread inside presslined (inproc endpoints)
 * and, later, in a separate `pressline worker` process (ipc or tcp).
 * Runs on its own thread; owns its socket.
 */
#ifndef PL_WORKER_H
#define PL_WORKER_H

#include <pthread.h>

#include "loader.h"

struct pl_worker {
    pthread_t thread;
    void *zctx;            /* borrowed: the daemon's ZeroMQ context */
    char *endpoint;        /* owned */
    struct pl_plugin_instance inst; /* owned: fini'd by pl_worker_destroy */
    int started;
    int exited; /* set by the thread when its loop ends */
};

/* Runs the worker loop on the calling thread until the context is shut
 * down. Returns 0 on ETERM, or -errno if the socket could not be set up. */
int pl_worker_run(void *zctx, const char *endpoint, struct pl_plugin_instance *inst);

/* Starts w's loop on a new thread. Returns 0 or -errno. */
int pl_worker_start(struct pl_worker *w);

/* Waits up to timeout_ms for the thread to end. Returns 0, or -ETIMEDOUT
 * when it is stuck (in a plugin): the caller must then not free w. */
int pl_worker_join(struct pl_worker *w, int timeout_ms);

#endif
