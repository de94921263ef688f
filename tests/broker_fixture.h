/*
 * The broker on a real uv loop with a real ZeroMQ context, for the unit
 * tests that drive it: test_broker.c and test_broker_deadline.c use all of
 * it (bf_setup/bf_teardown as their cmocka fixture); test_procs.c embeds a
 * struct bf_fx in its own fixture for the loop, the broker and its
 * recorders, the articles, BF_RUN_UNTIL and bf_run_for. It provides a
 * configuration of testkit stages on inproc endpoints, real pl_worker
 * threads running testkit, hand-driven DEALER sockets speaking wire.h (the
 * test decides when such a worker answers, falls silent or dies), and
 * bounded waits. Everything runs on the test's thread except the pl_worker
 * threads.
 */
#ifndef PL_TEST_BROKER_FIXTURE_H
#define PL_TEST_BROKER_FIXTURE_H

#include "cm.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "broker.h"
#include "config.h"
#include "harness.h"
#include "loader.h"
#include "worker.h"

#define BF_MAX_ARTICLES 8
#define BF_MAX_WORKERS 4
#define BF_MAX_DEALERS 4

/* Passed as timeout_ms_per_mb to bf_config, it leaves the member out of the
 * stages, so they get the configuration's default. */
#define BF_DEFAULT_PER_MB (-1)

/* A worker driven by the test: it answers only when told to. */
struct bf_dealer {
    void *sock;
    uint64_t job; /* of the last JOB received */
    int njobs;
    char doc[256];
};

struct bf_fx {
    uv_loop_t loop;
    uv_timer_t tick; /* wakes the loop so waits can end on time */
    bool loop_open;
    void *zctx;
    struct pl_config *cfg;
    struct pl_plugin_handle *plugin;
    struct pl_broker b;
    bool broker_open, broker_closed;
    struct pl_worker workers[BF_MAX_WORKERS];
    int nworkers;
    struct bf_dealer dealers[BF_MAX_DEALERS];
    int ndealers;
    struct pl_article *articles[BF_MAX_ARTICLES]; /* owned: freed by bf_fini */
    int narticles;
    struct pl_article *done[BF_MAX_ARTICLES], *failed[BF_MAX_ARTICLES]; /* in callback order */
    int ndone, nfailed;
};

/* Runs f's loop until expr holds or ms pass, then asserts it held: a wait
 * that ends by its deadline fails the test. expr is evaluated once per loop
 * iteration, so it may take something (a message) as it succeeds. f is a
 * struct bf_fx pointer. */
#define BF_RUN_UNTIL(f, expr, ms)                                                                  \
    do {                                                                                           \
        uint64_t end_ = th_now_ms() + (ms);                                                        \
        bool held_;                                                                                \
        while (!(held_ = (expr)) && th_now_ms() < end_)                                            \
            uv_run(&(f)->loop, UV_RUN_ONCE);                                                       \
        assert_true(held_);                                                                        \
    } while (0)

/* Runs f's loop for ms, whatever happens. */
void bf_run_for(struct bf_fx *f, int ms);

/* The broker callbacks bf_start_with gives pl_broker_start: they record each
 * article in f->done or f->failed (b->data is the struct bf_fx). */
void bf_on_done(struct pl_broker *b, struct pl_article *a);
void bf_on_failed(struct pl_broker *b, struct pl_article *a);

/* A configuration of nstages (1 or 2) stages ("t", then "u") running
 * testkit on inproc://broker-test-<name>, each with timeout_ms,
 * timeout_ms_per_mb (BF_DEFAULT_PER_MB: left out) and max_attempts; workers
 * heartbeat every 50 ms and are dead after 300 ms of silence. NULL (the
 * reason on stderr) if it does not load. Caller frees with pl_config_free. */
struct pl_config *bf_config(int nstages, int timeout_ms, int per_mb, int max_attempts);

/* Starts f's loop (with a 5 ms tick), a ZeroMQ context and a broker over
 * cfg. Takes ownership of cfg (freed by bf_fini). Fails the test on error. */
void bf_start_with(struct bf_fx *f, struct pl_config *cfg);
/* bf_start_with(f, bf_config(...)). */
void bf_start(struct bf_fx *f, int nstages, int timeout_ms, int per_mb, int max_attempts);

/* Starts a real worker thread on stage `stage` running testkit with
 * options (JSON object text). Borrowed: f owns it until bf_fini. */
struct pl_worker *bf_add_worker(struct bf_fx *f, int stage, const char *options);

/* Connects a hand-driven worker to stage 0, named ident (ZMQ_ROUTING_ID)
 * when ident is not NULL, as a process worker's job socket is. Borrowed: f
 * owns it until bf_fini. */
struct bf_dealer *bf_add_dealer(struct bf_fx *f, const char *ident);
void bf_send_ready(struct bf_dealer *d);
/* One heartbeat naming the worker id, as a process worker's heartbeat
 * thread sends: from then on the broker expects them. */
void bf_send_hb(struct bf_dealer *d, const char *ident);
void bf_send_done(struct bf_dealer *d, uint64_t job, const char *doc);
/* PATCH for job: the stage's patch alone, for the broker to merge. */
void bf_send_patch(struct bf_dealer *d, uint64_t job, const char *patch);
/* Takes a JOB waiting on d's socket, if there is one; true when it did. */
bool bf_take_job(struct bf_dealer *d);

/* A new article holding a copy of doc. Borrowed: f frees it in bf_fini. */
struct pl_article *bf_article(struct bf_fx *f, const char *doc);

/* Closes the broker and the loop (running it until every handle on it is
 * closed, so a caller's own handles, stopped beforehand, close too), ends
 * the context (which stops worker threads: their receive returns ETERM) and
 * frees everything f holds, but not f. */
void bf_fini(struct bf_fx *f);

/* cmocka setup and teardown: a zeroed struct bf_fx in *state, and bf_fini
 * then free. */
int bf_setup(void **state);
int bf_teardown(void **state);

#endif
