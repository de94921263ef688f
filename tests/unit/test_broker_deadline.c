/*
 * The broker's deadlines on a real uv loop with real ZeroMQ sockets
 * (inproc): a stage's deadline counts from the moment a worker takes the
 * article, so articles queued behind a slow one never time out for the
 * wait; a worker that really overruns its deadline is still timed out and
 * its article retried; and the deadline grows with the document's size
 * (timeout_ms_per_mb). The fixture is test_broker.c's: real pl_worker
 * threads running the testkit plugin, and hand-driven DEALER sockets where
 * the test decides when a worker answers. Every wait is bounded.
 */
#include "cm.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <zmq.h>

#include "broker.h"
#include "config.h"
#include "errcode.h"
#include "harness.h"
#include "loader.h"
#include "wire.h"
#include "worker.h"

#define MAX_ARTICLES 8
#define MAX_WORKERS 4
#define MAX_DEALERS 4

/* A worker driven by the test: it answers only when told to. */
struct dealer {
    void *sock;
    uint64_t job; /* of the last JOB received */
    int njobs;
    char doc[256];
};

struct fx {
    uv_loop_t loop;
    uv_timer_t tick; /* wakes the loop so waits can end on time */
    bool loop_open;
    void *zctx;
    struct pl_config *cfg;
    struct pl_plugin_handle *plugin;
    struct pl_broker b;
    bool broker_open, broker_closed;
    struct pl_worker workers[MAX_WORKERS];
    int nworkers;
    struct dealer dealers[MAX_DEALERS];
    int ndealers;
    struct pl_article *articles[MAX_ARTICLES]; /* owned: freed at teardown */
    int narticles;
    struct pl_article *done[MAX_ARTICLES], *failed[MAX_ARTICLES]; /* in order of the callbacks */
    int ndone, nfailed;
};

/* Runs the loop until expr holds or ms pass, then asserts it held: a wait
 * that ends by its deadline fails the test. expr is evaluated once per loop
 * iteration, so it may take something (a message) as it succeeds. */
#define RUN_UNTIL(f, expr, ms)                                                                     \
    do {                                                                                           \
        uint64_t end_ = th_now_ms() + (ms);                                                        \
        bool held_;                                                                                \
        while (!(held_ = (expr)) && th_now_ms() < end_)                                            \
            uv_run(&(f)->loop, UV_RUN_ONCE);                                                       \
        assert_true(held_);                                                                        \
    } while (0)

static void s_on_tick(uv_timer_t *t)
{
    (void)t;
}

static void s_on_done(struct pl_broker *b, struct pl_article *a)
{
    struct fx *f = b->data;
    if (f->ndone < MAX_ARTICLES)
        f->done[f->ndone] = a;
    f->ndone++;
}

static void s_on_failed(struct pl_broker *b, struct pl_article *a)
{
    struct fx *f = b->data;
    if (f->nfailed < MAX_ARTICLES)
        f->failed[f->nfailed] = a;
    f->nfailed++;
}

static void s_on_closed(struct pl_broker *b)
{
    ((struct fx *)b->data)->broker_closed = true;
}

/* A configuration of nstages stages ("t", then "u") on inproc endpoints,
 * each with timeout_ms, timeout_ms_per_mb and max_attempts; workers
 * heartbeat every 50 ms and are dead after 300 ms of silence. Caller frees
 * with pl_config_free. */
static struct pl_config *s_config(int nstages, int timeout_ms, int per_mb, int max_attempts)
{
    char *plugin = th_path("%s/testkit.so", th_test_plugin_dir());
    char stage[2][512];
    const char *names[2] = { "t", "u" };
    for (int i = 0; i < 2; i++)
        snprintf(stage[i], sizeof(stage[i]),
                 "{\"name\":\"%s\",\"plugin\":\"%s\",\"workers\":1,"
                 "\"endpoint\":\"inproc://broker-test-%s\",\"timeout_ms\":%d,"
                 "\"timeout_ms_per_mb\":%d,\"max_attempts\":%d}",
                 names[i], plugin, names[i], timeout_ms, per_mb, max_attempts);
    char *json = th_path("{\"workers\":{\"heartbeat_ms\":50,\"dead_after_ms\":300},"
                         "\"stages\":[%s%s%s]}",
                         stage[0], nstages > 1 ? "," : "", nstages > 1 ? stage[1] : "");
    struct pl_config *cfg = NULL;
    char err[1024];
    int rc =
        pl_config_load_text(json, "test_broker_deadline", th_build_dir(), &cfg, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "test_broker_deadline: %s\n", err);
    free(json);
    free(plugin);
    return rc == 0 ? cfg : NULL;
}

/* Starts the loop, a ZeroMQ context and a broker over s_config(...). */
static void s_start(struct fx *f, int nstages, int timeout_ms, int per_mb, int max_attempts)
{
    f->cfg = s_config(nstages, timeout_ms, per_mb, max_attempts);
    assert_non_null(f->cfg);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->loop_open = true;
    uv_timer_init(&f->loop, &f->tick);
    uv_timer_start(&f->tick, s_on_tick, 5, 5);
    f->zctx = zmq_ctx_new();
    assert_non_null(f->zctx);
    char err[1024];
    f->b.data = f;
    assert_int_equal(
        pl_broker_start(&f->b, &f->loop, f->zctx, f->cfg, s_on_done, s_on_failed, err, sizeof(err)),
        0);
    f->broker_open = true;
}

/* Starts a real worker thread on stage `stage` running testkit with
 * options (JSON object text). */
static struct pl_worker *s_add_worker(struct fx *f, int stage, const char *options)
{
    char err[1024];
    assert_true(f->nworkers < MAX_WORKERS);
    if (!f->plugin &&
        pl_plugin_open(f->cfg->stages[0].plugin_path, &f->plugin, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    struct pl_worker *w = &f->workers[f->nworkers];
    const struct pl_stage_cfg *sc = &f->cfg->stages[stage];
    w->zctx = f->zctx;
    w->endpoint = strdup(sc->endpoint);
    assert_non_null(w->endpoint);
    assert_int_equal(
        pl_plugin_instance_init(&w->inst, f->plugin, sc->name, options, err, sizeof(err)), 0);
    f->nworkers++;
    assert_int_equal(pl_worker_start(w), 0);
    return w;
}

/* Connects a hand-driven worker to stage 0, named ident (ZMQ_ROUTING_ID)
 * when ident is not NULL, as a process worker's job socket is. */
static struct dealer *s_add_dealer(struct fx *f, const char *ident)
{
    assert_true(f->ndealers < MAX_DEALERS);
    struct dealer *d = &f->dealers[f->ndealers++];
    d->sock = zmq_socket(f->zctx, ZMQ_DEALER);
    assert_non_null(d->sock);
    int zero = 0;
    zmq_setsockopt(d->sock, ZMQ_LINGER, &zero, sizeof(zero));
    if (ident)
        zmq_setsockopt(d->sock, ZMQ_ROUTING_ID, ident, strlen(ident));
    assert_int_equal(zmq_connect(d->sock, f->cfg->stages[0].endpoint), 0);
    return d;
}

static void s_send_ready(struct dealer *d)
{
    struct pl_wire_msg m = {
        .type = PL_WIRE_READY, .plugin = "hand", .plugin_len = 4, .version = "0", .version_len = 1
    };
    assert_int_equal(pl_wire_send(d->sock, NULL, 0, &m, 0), 0);
}

static void s_send_done(struct dealer *d, uint64_t job, const char *doc)
{
    struct pl_wire_msg m = { .type = PL_WIRE_DONE,
                             .job = job,
                             .body = doc,
                             .body_len = strlen(doc),
                             .us = 1,
                             .plugin = "hand",
                             .plugin_len = 4,
                             .version = "0",
                             .version_len = 1 };
    assert_int_equal(pl_wire_send(d->sock, NULL, 0, &m, 0), 0);
}

/* Takes a JOB waiting on d's socket, if there is one; true when it did. */
static bool s_take_job(struct dealer *d)
{
    struct pl_wire_in in;
    if (pl_wire_recv(d->sock, &in, ZMQ_DONTWAIT) != 0)
        return false;
    struct pl_wire_frame fr[PL_WIRE_MAX_FRAMES];
    for (size_t i = 0; i < in.n; i++)
        fr[i] = pl_wire_in_frame(&in, i);
    struct pl_wire_msg m;
    bool ok = !in.truncated && pl_wire_decode(fr, in.n, &m) == 0 && m.type == PL_WIRE_JOB;
    if (ok) {
        d->job = m.job;
        d->njobs++;
        snprintf(d->doc, sizeof(d->doc), "%.*s", (int)m.body_len, m.body);
    }
    pl_wire_in_close(&in);
    return ok;
}

/* A new article holding a copy of doc; freed at teardown. */
static struct pl_article *s_article(struct fx *f, const char *doc)
{
    assert_true(f->narticles < MAX_ARTICLES);
    struct pl_article *a = calloc(1, sizeof(*a));
    assert_non_null(a);
    a->doc = strdup(doc);
    assert_non_null(a->doc);
    a->doc_len = strlen(doc);
    f->articles[f->narticles++] = a;
    return a;
}

static int s_setup(void **state)
{
    *state = calloc(1, sizeof(struct fx));
    return *state ? 0 : -1;
}

/* Closes the broker and the loop, ends the context (which stops worker
 * threads: their receive returns ETERM) and frees everything. */
static int s_teardown(void **state)
{
    struct fx *f = *state;
    if (f->broker_open) {
        pl_broker_abandon(&f->b, NULL);
        pl_broker_close(&f->b, s_on_closed);
    }
    if (f->loop_open) {
        uv_close((uv_handle_t *)&f->tick, NULL);
        uv_run(&f->loop, UV_RUN_DEFAULT);
        assert_true(!f->broker_open || f->broker_closed);
        assert_int_equal(uv_loop_close(&f->loop), 0);
    }
    for (int i = 0; i < f->ndealers; i++)
        zmq_close(f->dealers[i].sock);
    if (f->zctx)
        zmq_ctx_shutdown(f->zctx);
    for (int i = 0; i < f->nworkers; i++) {
        struct pl_worker *w = &f->workers[i];
        assert_int_equal(pl_worker_join(w, 5000), 0);
        pl_plugin_instance_fini(&w->inst);
        free(w->endpoint);
    }
    if (f->zctx)
        zmq_ctx_term(f->zctx);
    pl_plugin_close(&f->plugin);
    pl_config_free(&f->cfg);
    for (int i = 0; i < f->narticles; i++) {
        free(f->articles[i]->doc);
        free(f->articles[i]);
    }
    free(f);
    return 0;
}

/* --- the wait for a worker is not part of the deadline ----------------- */

static void
small_articles_queued_behind_a_slow_one_all_succeed_though_they_wait_past_timeout_ms(void **state)
{
    struct fx *f = *state;
    /* One worker, 250 ms an article, a 400 ms timeout: the fourth article
     * waits 750 ms for the worker, yet each needs only 250 ms of it. */
    s_start(f, 1, 400, 0, 3);
    s_add_worker(f, 0, "{\"sleep_ms\":250}");
    struct pl_article *a[4];
    for (int i = 0; i < 4; i++) {
        char doc[64];
        snprintf(doc, sizeof(doc), "{\"raw\":\"small %d\"}", i);
        a[i] = s_article(f, doc);
        pl_broker_submit(&f->b, a[i]);
    }
    uint64_t t0 = th_now_ms();
    RUN_UNTIL(f, f->ndone + f->nfailed == 4, 10000);
    assert_true(th_now_ms() - t0 >= 900);
    assert_int_equal(f->nfailed, 0);
    for (int i = 0; i < 4; i++) {
        assert_ptr_equal(f->done[i], a[i]);
        assert_int_equal(a[i]->attempts, 0);
        assert_int_equal(a[i]->timeouts, 0);
    }
    assert_int_equal(f->b.in_flight, 0);
    assert_int_equal(f->b.stages[0].nwait, 0);
}

static void
a_worker_that_overruns_the_deadline_counted_from_dispatch_is_timed_out_and_retried(void **state)
{
    struct fx *f = *state;
    s_start(f, 1, 300, 0, 3);
    struct dealer *d = s_add_dealer(f, NULL);
    s_send_ready(d);
    RUN_UNTIL(f, f->b.stages[0].nidle == 1, 5000);
    struct pl_article *first = s_article(f, "{\"raw\":\"first\"}");
    struct pl_article *a = s_article(f, "{\"raw\":\"overrun\"}");
    pl_broker_submit(&f->b, first);
    pl_broker_submit(&f->b, a);
    RUN_UNTIL(f, s_take_job(d), 5000);
    /* The worker holds the first article for 200 ms, within its deadline,
     * while a waits; then it takes a and never answers. */
    uint64_t t_first = th_now_ms();
    while (th_now_ms() - t_first < 200)
        uv_run(&f->loop, UV_RUN_ONCE);
    s_send_done(d, d->job, "{\"raw\":\"first done\"}");
    RUN_UNTIL(f, s_take_job(d), 5000);
    uint64_t t_dispatch = th_now_ms();
    assert_string_equal(d->doc, "{\"raw\":\"overrun\"}");
    assert_int_equal(f->ndone, 1);
    assert_true(a->dispatched);
    RUN_UNTIL(f, a->timeouts == 1, 5000);
    /* A full timeout_ms from dispatch, not what was left of it after the
     * wait (some 100 ms). */
    assert_true(th_now_ms() - t_dispatch >= 280);
    assert_int_equal(a->attempts, 1);
    assert_int_equal(f->nfailed, 0);
    /* Retried on another worker, it comes through. */
    s_add_worker(f, 0, "{}");
    RUN_UNTIL(f, f->ndone == 2, 5000);
    assert_ptr_equal(f->done[1], a);
    assert_int_equal(a->attempts, 1);
    assert_int_equal(a->timeouts, 1);
    assert_int_equal(f->nfailed, 0);
}

static void articles_behind_a_stuck_worker_still_time_out_and_go_to_failed(void **state)
{
    struct fx *f = *state;
    /* The only worker takes the first article and never answers: once it
     * is past its deadline, nothing can take the others, and waiting
     * forever would break the promise that nothing hangs. */
    s_start(f, 1, 200, 0, 2);
    struct dealer *d = s_add_dealer(f, NULL);
    s_send_ready(d);
    RUN_UNTIL(f, f->b.stages[0].nidle == 1, 5000);
    struct pl_article *stuck = s_article(f, "{\"raw\":\"stuck\"}");
    struct pl_article *behind = s_article(f, "{\"raw\":\"behind\"}");
    pl_broker_submit(&f->b, stuck);
    pl_broker_submit(&f->b, behind);
    RUN_UNTIL(f, s_take_job(d), 5000);
    RUN_UNTIL(f, f->nfailed == 2, 5000);
    assert_int_equal(f->ndone, 0);
    assert_string_equal(stuck->fail_reason, "stage t timed out after 200 ms, 2 times");
    assert_string_equal(behind->fail_reason, "stage t timed out after 200 ms, 2 times");
    assert_int_equal(d->njobs, 1);
    assert_int_equal(f->b.in_flight, 0);
    assert_int_equal(f->b.stages[0].nwait, 0);
}

/* --- the deadline scales with the document's size ---------------------- */

/* A document of about mb MB: {"raw":"xxx..."}. Caller frees. */
static char *s_big_doc(size_t mb)
{
    size_t n = mb * 1024 * 1024;
    char *doc = malloc(n + 16);
    assert_non_null(doc);
    memcpy(doc, "{\"raw\":\"", 8);
    memset(doc + 8, 'x', n);
    memcpy(doc + 8 + n, "\"}", 3);
    return doc;
}

static void a_big_document_gets_more_time_than_a_small_one(void **state)
{
    struct fx *f = *state;
    /* 200 ms plus 1000 ms for each full MB; each document takes the worker 500 ms:
     * too long for a small one, well inside a 2 MB one's 2200 ms. */
    s_start(f, 1, 200, 1000, 1);
    s_add_worker(f, 0, "{\"sleep_ms\":500}");
    char *big_doc = s_big_doc(2);
    struct pl_article *big = s_article(f, big_doc);
    free(big_doc);
    struct pl_article *small = s_article(f, "{\"raw\":\"small\"}");
    pl_broker_submit(&f->b, big);
    pl_broker_submit(&f->b, small);
    RUN_UNTIL(f, f->ndone + f->nfailed == 2, 10000);
    assert_int_equal(f->ndone, 1);
    assert_ptr_equal(f->done[0], big);
    assert_int_equal(big->attempts, 0);
    assert_int_equal(big->budget_ms, 2200);
    assert_int_equal(f->nfailed, 1);
    assert_ptr_equal(f->failed[0], small);
    assert_string_equal(small->fail_reason, "stage t timed out after 200 ms, 1 times");
}

static void the_budget_is_timeout_ms_plus_timeout_ms_per_mb_for_each_full_mb(void **state)
{
    struct fx *f = *state;
    s_start(f, 1, 10000, 5000, 3);
    const struct pl_stage_rt *s = &f->b.stages[0];
    assert_int_equal(pl_broker_budget_ms(s, 0), 10000);
    /* Under 1 MB, exactly timeout_ms: small articles keep their deadline. */
    assert_int_equal(pl_broker_budget_ms(s, 2000), 10000);
    assert_int_equal(pl_broker_budget_ms(s, 1024 * 1024 - 1), 10000);
    assert_int_equal(pl_broker_budget_ms(s, 1024 * 1024), 15000);
    assert_int_equal(pl_broker_budget_ms(s, 10380902), 55000); /* 9.9 MB */
    assert_int_equal(pl_broker_budget_ms(s, 10485760), 60000);
    /* Far beyond any article limit, the sum does not wrap. */
    assert_int_equal(pl_broker_budget_ms(s, (size_t)1 << 40), 10000 + 5000ull * 1048576);
}

static void
the_default_config_gives_every_stage_5000_ms_per_mb_and_refuses_a_negative_one(void **state)
{
    (void)state;
    struct pl_config *cfg = NULL;
    char err[1024];
    assert_int_equal(pl_config_load_text("{}", "t", th_build_dir(), &cfg, err, sizeof(err)), 0);
    for (size_t i = 0; i < cfg->nstages; i++) {
        assert_int_equal(cfg->stages[i].timeout_ms_per_mb, 5000);
        assert_int_equal(cfg->stages[i].timeout_ms, 10000);
    }
    pl_config_free(&cfg);
    assert_int_equal(
        pl_config_load_text("{\"stages\":[{\"name\":\"clean\",\"timeout_ms_per_mb\":-1}]}", "t",
                            th_build_dir(), &cfg, err, sizeof(err)),
        PL_ECONFIG);
    assert_non_null(strstr(err, "timeout_ms_per_mb"));
    assert_null(cfg);
}

#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(small_articles_queued_behind_a_slow_one_all_succeed_though_they_wait_past_timeout_ms),
        T(a_worker_that_overruns_the_deadline_counted_from_dispatch_is_timed_out_and_retried),
        T(articles_behind_a_stuck_worker_still_time_out_and_go_to_failed),
        T(a_big_document_gets_more_time_than_a_small_one),
        T(the_budget_is_timeout_ms_plus_timeout_ms_per_mb_for_each_full_mb),
        T(the_default_config_gives_every_stage_5000_ms_per_mb_and_refuses_a_negative_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
