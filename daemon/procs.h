/*
 * Worker processes the daemon starts itself (stages with "spawn": "process"):
 * `pressline worker` per worker, started with uv_spawn, restarted after a
 * pause when one dies (a crashing plugin takes only its process down), and
 * stopped with SIGTERM, then SIGKILL after a grace period, at shutdown.
 * Loop thread only.
 */
#ifndef PL_PROCS_H
#define PL_PROCS_H

#include <stdbool.h>
#include <uv.h>

struct pl_config;
struct pl_procs;

struct pl_proc {
    uv_process_t handle;
    uv_timer_t restart;
    struct pl_procs *owner;
    char **argv; /* owned */
    const char *stage;
    bool running;
};

struct pl_procs {
    uv_loop_t *loop;
    struct pl_proc *v;
    size_t n;
    bool stopping;
    uv_timer_t kill_timer;
    int open_handles;
    void (*closed_cb)(struct pl_procs *p);
};

/* Starts every process worker of cfg, running `<bin_dir>/pressline worker`;
 * p borrows cfg's stage names. A worker that uv_spawn refuses is logged and
 * tried again later. Returns 0, or -ENOMEM when the workers' arguments
 * cannot be built (not logged: the caller says it); pl_procs_stop must run
 * either way. */
int pl_procs_start(struct pl_procs *p, uv_loop_t *loop, const struct pl_config *cfg,
                   const char *bin_dir);

/* Asks every worker to stop (SIGTERM) and kills those still there after
 * grace_ms; closed_cb runs once all handles are closed. */
void pl_procs_stop(struct pl_procs *p, int grace_ms, void (*closed_cb)(struct pl_procs *p));

#endif
