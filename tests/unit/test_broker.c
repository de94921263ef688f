/*
 * The broker on a real uv loop with real ZeroMQ sockets (inproc): articles go
 * to idle workers, wait while every worker is busy, are retried on another
 * worker after a timeout or a worker's death, and are quarantined with the
 * reason the daemon publishes after max_attempts. Workers are real
 * (pl_worker threads running the testkit plugin) where the plugin's
 * behaviour is what is tested, and hand-driven DEALER sockets speaking wire.h
 * where the test must decide when a worker answers, falls silent or dies.
 * Every wait is bounded; a test fails when its deadline passes.
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

static void s_run_for(struct fx *f, int ms)
{
    uint64_t end = th_now_ms() + (uint64_t)ms;
    while (th_now_ms() < end)
        uv_run(&f->loop, UV_RUN_ONCE);
}

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
 * each with timeout_ms and max_attempts; workers heartbeat every 50 ms and
 * are dead after 300 ms of silence. Caller frees with pl_config_free. */
static struct pl_config *s_config(int nstages, int timeout_ms, int max_attempts)
{
    char *plugin = th_path("%s/testkit.so", th_test_plugin_dir());
    char stage[2][512];
    const char *names[2] = { "t", "u" };
    for (int i = 0; i < 2; i++)
        snprintf(stage[i], sizeof(stage[i]),
                 "{\"name\":\"%s\",\"plugin\":\"%s\",\"workers\":1,"
                 "\"endpoint\":\"inproc://broker-test-%s\",\"timeout_ms\":%d,"
                 "\"max_attempts\":%d}",
                 names[i], plugin, names[i], timeout_ms, max_attempts);
    char *json = th_path("{\"workers\":{\"heartbeat_ms\":50,\"dead_after_ms\":300},"
                         "\"stages\":[%s%s%s]}",
                         stage[0], nstages > 1 ? "," : "", nstages > 1 ? stage[1] : "");
    struct pl_config *cfg = NULL;
    char err[1024];
    int rc = pl_config_load_text(json, "test_broker", th_build_dir(), &cfg, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "test_broker: %s\n", err);
    free(json);
    free(plugin);
    return rc == 0 ? cfg : NULL;
}

/* Starts the loop, a ZeroMQ context and a broker over s_config(...). */
static void s_start(struct fx *f, int nstages, int timeout_ms, int max_attempts)
{
    f->cfg = s_config(nstages, timeout_ms, max_attempts);
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

/* One heartbeat naming the worker id, as a process worker's heartbeat
 * thread sends: from then on the broker expects them. */
static void s_send_hb(struct dealer *d, const char *ident)
{
    struct pl_wire_msg m = { .type = PL_WIRE_HB, .body = ident, .body_len = strlen(ident) };
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

/* --- dispatch ----------------------------------------------------------- */

static void an_article_goes_to_an_idle_worker_and_comes_back_with_the_stages_output(void **state)
{
    struct fx *f = *state;
    s_start(f, 1, 10000, 3);
    s_add_worker(f, 0, "{\"make_text\":true}");
    struct pl_article *a = s_article(f, "{\"raw\":\"hello\"}");
    pl_broker_submit(&f->b, a);
    assert_int_equal(f->b.in_flight, 1);
    RUN_UNTIL(f, f->ndone == 1, 5000);
    assert_ptr_equal(f->done[0], a);
    assert_int_equal(f->nfailed, 0);
    assert_string_equal(a->doc, "{\"text\":\"hello\"}");
    assert_int_equal(a->doc_len, strlen(a->doc));
    assert_string_equal(a->times[0].name, "t");
    assert_string_equal(a->times[0].plugin, "testkit");
    assert_string_equal(a->times[0].version, "1.0");
    assert_int_equal(a->attempts, 0);
    assert_int_equal(f->b.in_flight, 0);
}

static void an_article_goes_through_every_stage_in_order(void **state)
{
    struct fx *f = *state;
    s_start(f, 2, 10000, 3);
    s_add_worker(f, 0, "{\"make_text\":true}");
    s_add_worker(f, 1, "{}");
    struct pl_article *a = s_article(f, "{\"raw\":\"two stages\"}");
    pl_broker_submit(&f->b, a);
    RUN_UNTIL(f, f->ndone == 1, 5000);
    assert_int_equal(a->stage, 1);
    assert_string_equal(a->doc, "{\"text\":\"two stages\"}");
    assert_string_equal(a->times[0].name, "t");
    assert_string_equal(a->times[1].name, "u");
    assert_string_equal(a->times[1].plugin, "testkit");
    assert_int_equal(f->b.in_flight, 0);
}

static void two_workers_run_two_articles_at_once(void **state)
{
    struct fx *f = *state;
    s_start(f, 1, 10000, 3);
    /* Each takes half a second: both dispatched before either is done
     * shows they run side by side. */
    s_add_worker(f, 0, "{\"sleep_ms\":500}");
    s_add_worker(f, 0, "{\"sleep_ms\":500}");
    struct pl_article *a1 = s_article(f, "{\"raw\":\"one\"}");
    struct pl_article *a2 = s_article(f, "{\"raw\":\"two\"}");
    pl_broker_submit(&f->b, a1);
    pl_broker_submit(&f->b, a2);
    RUN_UNTIL(f, a1->dispatched && a2->dispatched, 5000);
    assert_int_equal(f->ndone, 0);
    assert_int_equal(f->b.stages[0].nwait, 0);
    assert_int_equal(f->b.stages[0].nidle, 0);
    assert_int_equal(f->b.in_flight, 2);
    RUN_UNTIL(f, f->ndone == 2, 5000);
    assert_int_equal(f->nfailed, 0);
    assert_int_equal(f->b.in_flight, 0);
}

static void with_every_worker_busy_an_article_waits_and_goes_to_the_first_free_one(void **state)
{
    struct fx *f = *state;
    s_start(f, 1, 10000, 3);
    s_add_worker(f, 0, "{\"sleep_ms\":200}");
    struct pl_article *a1 = s_article(f, "{\"raw\":\"first\"}");
    struct pl_article *a2 = s_article(f, "{\"raw\":\"second\"}");
    pl_broker_submit(&f->b, a1);
    pl_broker_submit(&f->b, a2);
    RUN_UNTIL(f, a1->dispatched, 5000);
    assert_true(a2->waiting);
    assert_false(a2->dispatched);
    assert_int_equal(f->b.stages[0].nwait, 1);
    RUN_UNTIL(f, f->ndone == 2, 5000);
    assert_ptr_equal(f->done[0], a1);
    assert_ptr_equal(f->done[1], a2);
    /* Waiting for a worker is not a failed attempt. */
    assert_int_equal(a2->attempts, 0);
    assert_int_equal(f->b.stages[0].nwait, 0);
}

/* --- deadline and retry ------------------------------------------------- */

static void an_article_its_worker_does_not_answer_in_time_is_retried_on_another_worker(void **state)
{
    struct fx *f = *state;
    s_start(f, 1, 300, 3);
    struct dealer *silent = s_add_dealer(f, NULL);
    s_send_ready(silent);
    RUN_UNTIL(f, f->b.stages[0].nidle == 1, 5000);
    struct pl_article *a = s_article(f, "{\"raw\":\"slow\"}");
    pl_broker_submit(&f->b, a);
    RUN_UNTIL(f, s_take_job(silent), 5000);
    assert_string_equal(silent->doc, "{\"raw\":\"slow\"}");
    uint64_t first_job = silent->job;
    /* Another worker comes; the silent one never answers. */
    s_add_worker(f, 0, "{}");
    RUN_UNTIL(f, f->ndone == 1, 5000);
    assert_int_equal(f->nfailed, 0);
    assert_int_equal(a->attempts, 1);
    assert_int_equal(a->timeouts, 1);
    assert_int_equal(a->crashes, 0);
    assert_true(a->job != first_job);
    assert_string_equal(a->times[0].plugin, "testkit");

    /* The first worker's answer comes too late: it is dropped, and the
     * worker is idle again. */
    s_send_done(silent, first_job, "{\"raw\":\"late\"}");
    RUN_UNTIL(f, f->b.stages[0].nidle == 2, 5000);
    assert_int_equal(f->ndone, 1);
    assert_int_equal(f->nfailed, 0);
    assert_false(s_take_job(silent));
    assert_int_equal(silent->njobs, 1);
}

static void an_article_its_worker_died_holding_goes_to_another_worker(void **state)
{
    struct fx *f = *state;
    s_start(f, 1, 10000, 3);
    struct dealer *dying = s_add_dealer(f, "w-dying");
    s_send_hb(dying, "w-dying");
    s_send_ready(dying);
    RUN_UNTIL(f, f->b.stages[0].nidle == 1, 5000);
    struct pl_article *a = s_article(f, "{\"raw\":\"orphan\"}");
    pl_broker_submit(&f->b, a);
    RUN_UNTIL(f, s_take_job(dying), 5000);
    /* No more heartbeats: after dead_after_ms the broker takes the worker
     * as dead and gives its article to the next worker. */
    s_add_worker(f, 0, "{}");
    RUN_UNTIL(f, f->ndone == 1, 5000);
    assert_int_equal(a->attempts, 1);
    assert_int_equal(a->crashes, 1);
    assert_int_equal(a->timeouts, 0);
    assert_int_equal(f->b.stages[0].nworkers, 1);
}

/* --- quarantine --------------------------------------------------------- */

static void
an_article_that_times_out_max_attempts_times_is_quarantined_with_the_reason(void **state)
{
    struct fx *f = *state;
    s_start(f, 1, 200, 2);
    struct dealer *silent = s_add_dealer(f, NULL);
    s_send_ready(silent);
    RUN_UNTIL(f, f->b.stages[0].nidle == 1, 5000);
    struct pl_article *a = s_article(f, "{\"raw\":\"stuck\"}");
    uint64_t t0 = th_now_ms();
    pl_broker_submit(&f->b, a);
    RUN_UNTIL(f, s_take_job(silent), 5000);
    /* The second attempt finds the only worker still stuck past its
     * deadline: with no worker able to take it, the wait counts. */
    RUN_UNTIL(f, f->nfailed == 1, 5000);
    assert_true(th_now_ms() - t0 >= 380);
    assert_ptr_equal(f->failed[0], a);
    assert_int_equal(f->ndone, 0);
    assert_string_equal(a->fail_stage, "t");
    assert_string_equal(a->fail_reason, "stage t timed out after 200 ms, 2 times");
    assert_int_equal(a->attempts, 2);
    assert_int_equal(a->timeouts, 2);
    assert_int_equal(a->crashes, 0);
    assert_false(s_take_job(silent));
    assert_int_equal(silent->njobs, 1);
    assert_int_equal(f->b.in_flight, 0);
    assert_int_equal(f->b.stages[0].nwait, 0);
    assert_true(LIST_EMPTY(&f->b.articles));
}

static void
an_article_whose_worker_dies_max_attempts_times_is_quarantined_with_the_reason(void **state)
{
    struct fx *f = *state;
    s_start(f, 1, 10000, 2);
    const char *ids[2] = { "w-first", "w-second" };
    struct pl_article *a = s_article(f, "{\"raw\":\"deadly\"}");
    for (int i = 0; i < 2; i++) {
        struct dealer *d = s_add_dealer(f, ids[i]);
        s_send_hb(d, ids[i]);
        s_send_ready(d);
        if (i == 0) {
            RUN_UNTIL(f, f->b.stages[0].nidle == 1, 5000);
            pl_broker_submit(&f->b, a);
        }
        RUN_UNTIL(f, s_take_job(d), 5000);
        /* It falls silent holding the article, as a crashed process does. */
        RUN_UNTIL(f, a->crashes == i + 1 || f->nfailed == 1, 5000);
    }
    assert_int_equal(f->nfailed, 1);
    assert_int_equal(f->ndone, 0);
    assert_string_equal(a->fail_stage, "t");
    assert_string_equal(a->fail_reason, "crashed the t stage 2 times (its worker died each time)");
    assert_int_equal(a->attempts, 2);
    assert_int_equal(a->crashes, 2);
    assert_int_equal(a->timeouts, 0);
    assert_int_equal(f->b.in_flight, 0);
    assert_int_equal(f->b.stages[0].nworkers, 0);
    assert_int_equal(f->b.stages[0].nidle, 0);
}

static void a_crash_then_a_timeout_is_quarantined_with_both_counts(void **state)
{
    struct fx *f = *state;
    s_start(f, 1, 1500, 2);
    struct dealer *dying = s_add_dealer(f, "w-dying");
    s_send_hb(dying, "w-dying");
    s_send_ready(dying);
    RUN_UNTIL(f, f->b.stages[0].nidle == 1, 5000);
    struct pl_article *a = s_article(f, "{\"raw\":\"unlucky\"}");
    pl_broker_submit(&f->b, a);
    RUN_UNTIL(f, s_take_job(dying), 5000);
    RUN_UNTIL(f, a->crashes == 1, 5000);
    /* A worker that does not heartbeat and never answers. */
    struct dealer *silent = s_add_dealer(f, NULL);
    s_send_ready(silent);
    RUN_UNTIL(f, s_take_job(silent), 5000);
    RUN_UNTIL(f, f->nfailed == 1, 5000);
    assert_string_equal(a->fail_reason,
                        "stage t failed 2 times: 1 worker crashes, 1 timeouts after 1500 ms");
    assert_int_equal(a->attempts, 2);
    assert_int_equal(a->crashes, 1);
    assert_int_equal(a->timeouts, 1);
    assert_int_equal(f->b.in_flight, 0);
}

static void a_plugin_failure_goes_to_on_failed_once_without_retry(void **state)
{
    struct fx *f = *state;
    s_start(f, 1, 10000, 3);
    s_add_worker(f, 0, "{\"fail_on\":\"poison\"}");
    struct pl_article *a = s_article(f, "{\"raw\":\"poison\"}");
    pl_broker_submit(&f->b, a);
    RUN_UNTIL(f, f->nfailed == 1, 5000);
    assert_ptr_equal(f->failed[0], a);
    assert_string_equal(a->fail_stage, "t");
    assert_string_equal(a->fail_reason, "testkit: found \"poison\" in the document");
    assert_int_equal(a->attempts, 0);
    assert_int_equal(f->b.in_flight, 0);
    /* Nothing comes back later, and the worker takes the next article. */
    struct pl_article *ok = s_article(f, "{\"raw\":\"fine\"}");
    pl_broker_submit(&f->b, ok);
    RUN_UNTIL(f, f->ndone == 1, 5000);
    s_run_for(f, 300);
    assert_int_equal(f->nfailed, 1);
    assert_int_equal(f->ndone, 1);
    assert_ptr_equal(f->done[0], ok);
}

/* --- start -------------------------------------------------------------- */

static void a_stage_endpoint_already_bound_fails_the_start_naming_it(void **state)
{
    struct fx *f = *state;
    s_start(f, 1, 10000, 3);
    struct pl_broker other = { 0 };
    char err[1024] = "";
    assert_true(pl_broker_start(&other, &f->loop, f->zctx, f->cfg, s_on_done, s_on_failed, err,
                                sizeof(err)) != 0);
    assert_non_null(strstr(err, "stage t"));
    assert_non_null(strstr(err, "inproc://broker-test-t"));
    /* The first broker still works. */
    s_add_worker(f, 0, "{}");
    pl_broker_submit(&f->b, s_article(f, "{\"raw\":\"x\"}"));
    RUN_UNTIL(f, f->ndone == 1, 5000);
}

#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(an_article_goes_to_an_idle_worker_and_comes_back_with_the_stages_output),
        T(an_article_goes_through_every_stage_in_order),
        T(two_workers_run_two_articles_at_once),
        T(with_every_worker_busy_an_article_waits_and_goes_to_the_first_free_one),
        T(an_article_its_worker_does_not_answer_in_time_is_retried_on_another_worker),
        T(an_article_its_worker_died_holding_goes_to_another_worker),
        T(an_article_that_times_out_max_attempts_times_is_quarantined_with_the_reason),
        T(an_article_whose_worker_dies_max_attempts_times_is_quarantined_with_the_reason),
        T(a_crash_then_a_timeout_is_quarantined_with_both_counts),
        T(a_plugin_failure_goes_to_on_failed_once_without_retry),
        T(a_stage_endpoint_already_bound_fails_the_start_naming_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
