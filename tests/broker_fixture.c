/*
 * The broker fixture (broker_fixture.h) shared by test_broker.c,
 * test_broker_deadline.c and test_procs.c: one copy of the loop, the
 * recorders, the testkit configuration, the workers, the hand-driven
 * dealers and the teardown they used to repeat.
 */
#include "broker_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "wire.h"

void bf_run_for(struct bf_fx *f, int ms)
{
    uint64_t end = th_now_ms() + (uint64_t)ms;
    while (th_now_ms() < end)
        uv_run(&f->loop, UV_RUN_ONCE);
}

static void s_on_tick(uv_timer_t *t)
{
    (void)t;
}

void bf_on_done(struct pl_broker *b, struct pl_article *a)
{
    struct bf_fx *f = b->data;
    if (f->ndone < BF_MAX_ARTICLES)
        f->done[f->ndone] = a;
    f->ndone++;
}

void bf_on_failed(struct pl_broker *b, struct pl_article *a)
{
    struct bf_fx *f = b->data;
    if (f->nfailed < BF_MAX_ARTICLES)
        f->failed[f->nfailed] = a;
    f->nfailed++;
}

static void s_on_closed(struct pl_broker *b)
{
    ((struct bf_fx *)b->data)->broker_closed = true;
}

struct pl_config *bf_config(int nstages, int timeout_ms, int per_mb, int max_attempts)
{
    char *plugin = th_path("%s/testkit.so", th_test_plugin_dir());
    char per_mb_member[64] = "";
    if (per_mb != BF_DEFAULT_PER_MB)
        snprintf(per_mb_member, sizeof(per_mb_member), "\"timeout_ms_per_mb\":%d,", per_mb);
    char stage[2][512];
    const char *names[2] = { "t", "u" };
    for (int i = 0; i < 2; i++)
        snprintf(stage[i], sizeof(stage[i]),
                 "{\"name\":\"%s\",\"plugin\":\"%s\",\"workers\":1,"
                 "\"endpoint\":\"inproc://broker-test-%s\",\"timeout_ms\":%d,"
                 "%s\"max_attempts\":%d}",
                 names[i], plugin, names[i], timeout_ms, per_mb_member, max_attempts);
    char *json = th_path("{\"workers\":{\"heartbeat_ms\":50,\"dead_after_ms\":300},"
                         "\"stages\":[%s%s%s]}",
                         stage[0], nstages > 1 ? "," : "", nstages > 1 ? stage[1] : "");
    struct pl_config *cfg = NULL;
    char err[1024];
    int rc = pl_config_load_text(json, "broker_fixture", th_build_dir(), &cfg, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "broker_fixture: %s\n", err);
    free(json);
    free(plugin);
    return rc == 0 ? cfg : NULL;
}

void bf_start_with(struct bf_fx *f, struct pl_config *cfg)
{
    f->cfg = cfg;
    assert_non_null(f->cfg);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->loop_open = true;
    uv_timer_init(&f->loop, &f->tick);
    uv_timer_start(&f->tick, s_on_tick, 5, 5);
    f->zctx = zmq_ctx_new();
    assert_non_null(f->zctx);
    char err[1024];
    f->b.data = f;
    if (pl_broker_start(&f->b, &f->loop, f->zctx, f->cfg, bf_on_done, bf_on_failed, err,
                        sizeof(err)) != 0)
        fail_msg("%s", err);
    f->broker_open = true;
}

void bf_start(struct bf_fx *f, int nstages, int timeout_ms, int per_mb, int max_attempts)
{
    bf_start_with(f, bf_config(nstages, timeout_ms, per_mb, max_attempts));
}

struct pl_worker *bf_add_worker(struct bf_fx *f, int stage, const char *options)
{
    char err[1024];
    assert_true(f->nworkers < BF_MAX_WORKERS);
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

struct bf_dealer *bf_add_dealer(struct bf_fx *f, const char *ident)
{
    assert_true(f->ndealers < BF_MAX_DEALERS);
    struct bf_dealer *d = &f->dealers[f->ndealers++];
    d->sock = zmq_socket(f->zctx, ZMQ_DEALER);
    assert_non_null(d->sock);
    int zero = 0;
    zmq_setsockopt(d->sock, ZMQ_LINGER, &zero, sizeof(zero));
    if (ident)
        zmq_setsockopt(d->sock, ZMQ_ROUTING_ID, ident, strlen(ident));
    assert_int_equal(zmq_connect(d->sock, f->cfg->stages[0].endpoint), 0);
    return d;
}

void bf_send_ready(struct bf_dealer *d)
{
    struct pl_wire_msg m = {
        .type = PL_WIRE_READY, .plugin = "hand", .plugin_len = 4, .version = "0", .version_len = 1
    };
    assert_int_equal(pl_wire_send(d->sock, NULL, 0, &m, 0), 0);
}

void bf_send_hb(struct bf_dealer *d, const char *ident)
{
    struct pl_wire_msg m = { .type = PL_WIRE_HB, .body = ident, .body_len = strlen(ident) };
    assert_int_equal(pl_wire_send(d->sock, NULL, 0, &m, 0), 0);
}

static void s_send_reply(struct bf_dealer *d, int type, uint64_t job, const char *doc)
{
    struct pl_wire_msg m = { .type = type,
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

void bf_send_done(struct bf_dealer *d, uint64_t job, const char *doc)
{
    s_send_reply(d, PL_WIRE_DONE, job, doc);
}

void bf_send_patch(struct bf_dealer *d, uint64_t job, const char *patch)
{
    s_send_reply(d, PL_WIRE_PATCH, job, patch);
}

bool bf_take_job(struct bf_dealer *d)
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

struct pl_article *bf_article(struct bf_fx *f, const char *doc)
{
    assert_true(f->narticles < BF_MAX_ARTICLES);
    struct pl_article *a = calloc(1, sizeof(*a));
    assert_non_null(a);
    a->doc = strdup(doc);
    assert_non_null(a->doc);
    a->doc_len = strlen(doc);
    f->articles[f->narticles++] = a;
    return a;
}

void bf_fini(struct bf_fx *f)
{
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
        pl_article_doc_free(f->articles[i]);
        free(f->articles[i]);
    }
}

int bf_setup(void **state)
{
    *state = calloc(1, sizeof(struct bf_fx));
    return *state ? 0 : -1;
}

int bf_teardown(void **state)
{
    struct bf_fx *f = *state;
    bf_fini(f);
    free(f);
    return 0;
}
