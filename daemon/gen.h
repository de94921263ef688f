/*
 * A generation: the stage chain of one configuration. It owns a ZeroMQ
 * context of its own (so its inproc:// endpoints are its own, and shutting
 * that context down ends its worker threads and no one else's), the
 * broker with its ROUTER sockets, the plugins, the worker threads and the
 * worker processes. presslined starts generation 1 from the configuration
 * it was started with; each reload that is accepted (reload.c) starts the
 * next. An article holds the generation it entered with until it is
 * published or dropped, so it finishes on the chain it started on and the
 * stage names its result borrows stay valid.
 *
 * Loop thread only, except that the writer on libuv's thread pool reads
 * the broker's stage count and names of a generation an article holds
 * (fixed from start to free).
 */
#ifndef PL_GEN_H
#define PL_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>
#include <uv.h>

#include "broker.h"
#include "config.h"
#include "loader.h"
#include "procs.h"

struct pl_worker;

struct pl_gen {
    LIST_ENTRY(pl_gen) link; /* reload.c: every generation not yet freed */
    unsigned number;         /* 1 at start, one more for each reload */
    const struct pl_config *cfg;
    struct pl_config *owned_cfg; /* cfg when the generation owns it (reloads), else NULL */
    void *zctx;                  /* owned */
    struct pl_broker broker;
    bool broker_open;
    struct pl_plugin_handle *plugins[PL_MAX_STAGES];
    struct pl_worker **workers;
    size_t nworkers;
    struct pl_procs procs;
    bool procs_started;
    size_t holds;  /* articles that entered it and are not yet published or dropped */
    int closing;   /* handles (broker, processes) still closing after pl_gen_stop */
    bool stopping; /* pl_gen_stop ran */
    size_t stuck;  /* worker threads left behind inside their plugin */
    /* CPU time in process() of the worker threads already ended, by stage
     * index (pl_gen_process_cpu_ns adds the live ones'). */
    uint64_t ended_cpu_ns[PL_MAX_STAGES];
    void *owner; /* reload.c's */
    void (*stopped_cb)(struct pl_gen *g);
};

/* Starts g's chain for cfg (borrowed; it must outlive g unless given to g
 * as owned_cfg): a new ZeroMQ context, the broker's sockets (b->data =
 * data, its callbacks on_done and on_failed), each stage's plugin and
 * worker threads, and the worker processes (`<bin_dir>/pressline worker`).
 * Each failure is logged with the stage. Returns 0 or its code; either way
 * pl_gen_stop must run before pl_gen_free. */
int pl_gen_start(struct pl_gen *g, uv_loop_t *loop, const struct pl_config *cfg, void *data,
                 pl_broker_cb on_done, pl_broker_cb on_failed, const char *bin_dir);

/* Stops g: closes its sockets and handles, asks its processes to stop
 * (SIGKILL after 1 s), ends its worker threads (a thread stuck inside a
 * plugin for more than 1 s is left behind, counted in g->stuck, and then
 * g's context and plugins are never freed) and frees its plugin instances.
 * Articles still in g's broker are not touched: abandon them first.
 * stopped_cb (may be NULL) runs once every handle is closed. Once only. */
void pl_gen_stop(struct pl_gen *g, void (*stopped_cb)(struct pl_gen *g));

/* The CPU time g's worker threads of stage i have spent inside the
 * plugin's process() so far, ended threads included (0 for a stage whose
 * workers are processes: their time is their processes'). Loop thread. */
uint64_t pl_gen_process_cpu_ns(const struct pl_gen *g, size_t i);

/* Whether g is stopped and every handle of it closed. */
bool pl_gen_stopped(const struct pl_gen *g);

/* Frees g (stopped, holds 0) and its owned configuration; g itself is the
 * caller's. */
void pl_gen_free(struct pl_gen *g);

/* The generation whose broker b is. */
struct pl_gen *pl_gen_of(struct pl_broker *b);

#endif
