/*
 * The broker: one ROUTER socket per stage, bound at the stage's endpoint;
 * workers (threads of the daemon, or `pressline worker` processes on ipc://
 * and tcp:// endpoints) connect with DEALER sockets. It
 * keeps one record per article in flight, sends each to a worker of its
 * current stage, takes the result back and forwards it to the next stage,
 * so it alone knows where every article is and can time a stage out.
 *
 * Prefetch: a worker is sent up to its stage's "prefetch" jobs at once (the
 * one it runs and the ones queued in its socket behind it, run in order), so
 * that it starts the next article the moment it answers one instead of
 * waiting for the loop to take the answer and send another: the loop, the
 * workers and the writer then work on different articles at once. A new
 * job goes to the worker holding the fewest, so a worker with a long article
 * gets more only when every other one holds as many. What a worker holds is
 * a queue, oldest first; its head is the job it is running:
 *   - a job's deadline starts when it reaches the head (sent to a worker
 *     holding nothing, or the job ahead of it answered): an article queued
 *     behind a slow one waits without a clock;
 *   - a timeout is charged to the head alone; the jobs queued behind it go
 *     back to the front of the stage's queue with no attempt counted. The
 *     worker still holds them in its socket (it runs them once its plugin
 *     returns, and their answers are ignored), so it is sent nothing new
 *     until it has answered them all;
 *   - a crash (the worker says READY again holding jobs, or a heartbeating
 *     worker falls silent) is charged to the job only when the worker held
 *     that one alone. A process sends its answers from libzmq's I/O thread,
 *     so one that dies just after answering its head, on the next job, may
 *     take that answer with it: the head then looks unanswered though it
 *     was done. So when a worker dies holding several jobs, none is charged:
 *     they all go back to the front of the stage's queue as suspects, and a
 *     suspect is sent alone to a worker holding nothing, with nothing behind
 *     it, until it leaves the stage. The one that kills its worker alone is
 *     charged then (one crash more than without prefetch before a poison
 *     file is quarantined); the others go through uncharged;
 *   - an article waiting in the stage's queue waits without a clock too,
 *     unless every worker of its stage is stuck past its head's deadline
 *     (then nothing would ever take it, and its wait counts as an attempt
 *     that timed out).
 *
 * ZMQ_FD is edge-triggered: each ROUTER's descriptor wakes a uv_poll, and a
 * uv_check drains every socket sent on after each loop iteration until
 * ZMQ_EVENTS no longer reports POLLIN. Loop thread only (the sockets live
 * there).
 */
#ifndef PL_BROKER_H
#define PL_BROKER_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <uv.h>

#include "article.h"
#include "config.h"
#include "docpatch.h"
#include "metrics.h"
#include "wire.h"

struct pl_config;
struct pl_broker;

/* One article in flight. Owned by the service; the broker links it. */
struct pl_article {
    void *data;                        /* the service's */
    LIST_ENTRY(pl_article) link;       /* broker: all articles in flight */
    TAILQ_ENTRY(pl_article) wait_link; /* broker: its stage's queue, while waiting */
    uint64_t job;                      /* id of the current dispatch */
    int stage;                         /* index of the current stage */
    bool waiting, dispatched;          /* in the stage's queue; sent to a worker */
    /* It was held by a worker that died holding more than one job: which of
     * them killed it is not known, so it is sent alone (to a worker holding
     * nothing, and nothing behind it) until it leaves the stage. */
    bool suspect;
    /* stage_started_ms: when this attempt entered its stage's queue.
     * deadline_ms: set when the article reaches the head of its worker's
     * queue, budget_ms after (0 before); the time spent waiting for a
     * worker, or behind another article at one, is not part of it. */
    uint64_t stage_started_ms, deadline_ms, budget_ms;
    uint64_t sent_ns; /* uv_hrtime() when it reached the head of its worker's queue */
    int attempts, crashes, timeouts; /* in the current stage */
    char *doc;                       /* current document JSON (owned, malloc) */
    size_t doc_len;
    /* doc's top-level members, from the merge that made it (members_ok),
     * for merging a PATCH without looking through doc again; freed with
     * pl_json_members_free by whoever frees doc. */
    struct pl_json_members members;
    bool members_ok;
    /* doc is known to be well-formed JSON: the daemon made it, and every
     * stage since answered with a PATCH the broker checked in full and
     * merged into it. A DONE's document (a hand-started worker's, only
     * skimmed here) clears it, and the writer then scans it in full. */
    bool doc_checked;
    struct pl_stage_time times[PL_MAX_STAGES];
    char fail_stage[64];
    char fail_reason[600];
};

typedef void (*pl_broker_cb)(struct pl_broker *b, struct pl_article *a);

struct pl_stage_rt {
    struct pl_broker *b;
    int index;
    const char *name, *endpoint;       /* borrowed from the config */
    int timeout_ms, timeout_ms_per_mb; /* an attempt's budget; see pl_broker_budget_ms */
    void *router;
    uv_poll_t poll;
    bool dirty; /* sent on since the last drain: the loop's check drains it (broker.c) */
    int max_attempts;
    int prefetch; /* jobs a worker holds at most (1..PL_STAGE_PREFETCH_MAX) */
    /* Every worker seen: liveness (process workers heartbeat) and the jobs
     * it holds, so a dead worker's articles can go to another. */
    struct pl_worker_rec {
        struct pl_ident {
            unsigned char id[PL_WIRE_MAX_IDENT];
            size_t len;
        } ident;
        uint64_t last_hb_ms;
        /* The jobs sent and not answered, oldest (the one it runs) first. */
        struct pl_held_job {
            uint64_t job;
            struct pl_article *a; /* NULL: given up on (timed out, or queued behind
                                     one that did); its answer is ignored */
            uint64_t budget_ms;
            uint64_t deadline_ms; /* 0 until it is the head */
        } held[PL_STAGE_PREFETCH_MAX];
        int nheld;
        bool
            ready; /* may be sent jobs: it said READY or answered, and no send to it failed since */
        bool heartbeats;
        bool spoke; /* said READY or answered a job: not just a heartbeat */
    } * workers;
    size_t nworkers, capworkers;
    TAILQ_HEAD(, pl_article) wait; /* articles waiting for a worker, oldest first */
    size_t nwait;
    /* Since when no worker of the stage can take an article or is within
     * its head's deadline (0: some is): only then does a waiting article's
     * wait count. */
    uint64_t stalled_since_ms;
    /* For the metrics: each answer's time from the job reaching the head of
     * its worker's queue (DONE and FAIL alike; a timed-out attempt has
     * none), and the attempts sent again. */
    struct pl_hist seconds;
    uint64_t retries;
};

struct pl_broker {
    void *data;
    uv_loop_t *loop;
    struct pl_stage_rt stages[PL_MAX_STAGES];
    size_t nstages;
    LIST_HEAD(, pl_article) articles; /* in flight, the newest first */
    size_t in_flight;
    uint64_t next_job;
    uv_check_t check;
    uv_timer_t timer;
    int open_handles;
    void (*closed_cb)(struct pl_broker *b);
    pl_broker_cb on_done;   /* finished the last stage: a->doc is the result */
    pl_broker_cb on_failed; /* a->fail_stage / fail_reason say why */
    int dead_after_ms;      /* a heartbeating worker silent this long is dead */
    uint64_t trim_at_ms;    /* when to give freed memory back after a large article; 0: no */
};

/* Binds every stage's ROUTER; b borrows cfg (stage names and endpoints),
 * which must outlive it. Returns 0, or -errno (libzmq's) with err naming the
 * stage and endpoint; nothing is left open then. */
int pl_broker_start(struct pl_broker *b, uv_loop_t *loop, void *zctx, const struct pl_config *cfg,
                    pl_broker_cb on_done, pl_broker_cb on_failed, char *err, size_t errlen);

/* The time stage s gives one attempt at a document of doc_len bytes:
 * timeout_ms plus timeout_ms_per_mb for each full MB (1,048,576 bytes), so a
 * large article gets the time its size needs and one under 1 MB keeps
 * exactly timeout_ms. */
uint64_t pl_broker_budget_ms(const struct pl_stage_rt *s, size_t doc_len);

/* How many workers of s are live at now (loop ms): known to the broker (a
 * READY or an answer; a heartbeat alone is not enough), not silent past workers.dead_after_ms if
 * they heartbeat, and not holding a head job past its deadline (stuck in
 * their plugin). The readiness probe and the systemd watchdog count on it. */
int pl_broker_live_workers(const struct pl_stage_rt *s, uint64_t now);

/* How many workers of s hold no job and can take one: the tests' view of
 * "idle". */
int pl_broker_idle_workers(const struct pl_stage_rt *s);

/* Sends a (doc set, owned by a) into the first stage. */
void pl_broker_submit(struct pl_broker *b, struct pl_article *a);

/* Frees a's document and the members kept with it (a itself is the
 * caller's). */
void pl_article_doc_free(struct pl_article *a);

/* Forgets every article still in flight (shutdown); returns how many. The
 * articles are not freed; the service owns them, and no worker record
 * points at them any more. */
size_t pl_broker_abandon(struct pl_broker *b, pl_broker_cb each);

/* Closes sockets and handles; closed_cb runs when the handles are gone. */
void pl_broker_close(struct pl_broker *b, void (*closed_cb)(struct pl_broker *b));

#endif
