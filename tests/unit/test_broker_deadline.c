/*
 * The broker's deadlines on a real uv loop with real ZeroMQ sockets
 * (inproc): a stage's deadline counts from the moment a worker takes the
 * article, so articles queued behind a slow one never time out for the
 * wait; a worker that really overruns its deadline is still timed out and
 * its article retried; and the deadline grows with the document's size
 * (timeout_ms_per_mb). The fixture is test_broker.c's (broker_fixture.h):
 * real pl_worker threads running the testkit plugin, and hand-driven DEALER
 * sockets where the test decides when a worker answers. Every wait is
 * bounded.
 */
#include "cm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_fixture.h"
#include "errcode.h"

/* --- the wait for a worker is not part of the deadline ----------------- */

static void
small_articles_queued_behind_a_slow_one_all_succeed_though_they_wait_past_timeout_ms(void **state)
{
    struct bf_fx *f = *state;
    /* One worker, 250 ms an article, a 400 ms timeout: the fourth article
     * waits 750 ms for the worker, yet each needs only 250 ms of it. */
    bf_start(f, 1, 400, 0, 3);
    bf_add_worker(f, 0, "{\"sleep_ms\":250}");
    struct pl_article *a[4];
    for (int i = 0; i < 4; i++) {
        char doc[64];
        snprintf(doc, sizeof(doc), "{\"raw\":\"small %d\"}", i);
        a[i] = bf_article(f, doc);
        pl_broker_submit(&f->b, a[i]);
    }
    uint64_t t0 = th_now_ms();
    BF_RUN_UNTIL(f, f->ndone + f->nfailed == 4, 10000);
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
    struct bf_fx *f = *state;
    bf_start(f, 1, 300, 0, 3);
    struct bf_dealer *d = bf_add_dealer(f, NULL);
    bf_send_ready(d);
    BF_RUN_UNTIL(f, pl_broker_idle_workers(&f->b.stages[0]) == 1, 5000);
    struct pl_article *first = bf_article(f, "{\"raw\":\"first\"}");
    struct pl_article *a = bf_article(f, "{\"raw\":\"overrun\"}");
    pl_broker_submit(&f->b, first);
    pl_broker_submit(&f->b, a);
    BF_RUN_UNTIL(f, bf_take_job(d), 5000);
    /* The worker holds the first article for 200 ms, within its deadline,
     * while a waits (queued in its socket: prefetch); then it takes a and
     * never answers. a's deadline starts when the first is answered. */
    bf_run_for(f, 200);
    bf_send_done(d, d->job, "{\"raw\":\"first done\"}");
    BF_RUN_UNTIL(f, f->ndone == 1, 5000);
    BF_RUN_UNTIL(f, bf_take_job(d), 5000);
    uint64_t t_dispatch = th_now_ms();
    assert_string_equal(d->doc, "{\"raw\":\"overrun\"}");
    assert_int_equal(f->ndone, 1);
    assert_true(a->dispatched);
    BF_RUN_UNTIL(f, a->timeouts == 1, 5000);
    /* A full timeout_ms from dispatch, not what was left of it after the
     * wait (some 100 ms). */
    assert_true(th_now_ms() - t_dispatch >= 280);
    assert_int_equal(a->attempts, 1);
    assert_int_equal(f->nfailed, 0);
    /* Retried on another worker, it comes through. */
    bf_add_worker(f, 0, "{}");
    BF_RUN_UNTIL(f, f->ndone == 2, 5000);
    assert_ptr_equal(f->done[1], a);
    assert_int_equal(a->attempts, 1);
    assert_int_equal(a->timeouts, 1);
    assert_int_equal(f->nfailed, 0);
}

static void articles_behind_a_stuck_worker_still_time_out_and_go_to_failed(void **state)
{
    struct bf_fx *f = *state;
    /* The only worker takes the first article and never answers: once it
     * is past its deadline, nothing can take the others, and waiting
     * forever would break the promise that nothing hangs. */
    bf_start(f, 1, 200, 0, 2);
    struct bf_dealer *d = bf_add_dealer(f, NULL);
    bf_send_ready(d);
    BF_RUN_UNTIL(f, pl_broker_idle_workers(&f->b.stages[0]) == 1, 5000);
    struct pl_article *stuck = bf_article(f, "{\"raw\":\"stuck\"}");
    struct pl_article *behind = bf_article(f, "{\"raw\":\"behind\"}");
    pl_broker_submit(&f->b, stuck);
    pl_broker_submit(&f->b, behind);
    BF_RUN_UNTIL(f, bf_take_job(d), 5000);
    BF_RUN_UNTIL(f, f->nfailed == 2, 5000);
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
    struct bf_fx *f = *state;
    /* 200 ms plus 1000 ms for each full MB; each document takes the worker 500 ms:
     * too long for a small one, well inside a 2 MB one's 2200 ms. */
    bf_start(f, 1, 200, 1000, 1);
    bf_add_worker(f, 0, "{\"sleep_ms\":500}");
    char *big_doc = s_big_doc(2);
    struct pl_article *big = bf_article(f, big_doc);
    free(big_doc);
    struct pl_article *small = bf_article(f, "{\"raw\":\"small\"}");
    pl_broker_submit(&f->b, big);
    pl_broker_submit(&f->b, small);
    BF_RUN_UNTIL(f, f->ndone + f->nfailed == 2, 10000);
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
    struct bf_fx *f = *state;
    bf_start(f, 1, 10000, 5000, 3);
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

#define T(name) cmocka_unit_test_setup_teardown(name, bf_setup, bf_teardown)

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
