/*
 * The broker on a real uv loop with real ZeroMQ sockets (inproc): articles go
 * to idle workers, wait while every worker is busy, are retried on another
 * worker after a timeout or a worker's death, and are quarantined with the
 * reason the daemon publishes after max_attempts. Workers are real
 * (pl_worker threads running the testkit plugin) where the plugin's
 * behaviour is what is tested, and hand-driven DEALER sockets speaking wire.h
 * where the test must decide when a worker answers, falls silent or dies
 * (broker_fixture.h, shared with test_broker_deadline.c). Every wait is
 * bounded; a test fails when its deadline passes.
 */
#include "cm.h"

#include <string.h>

#include "broker_fixture.h"

/* --- dispatch ----------------------------------------------------------- */

static void an_article_goes_to_an_idle_worker_and_comes_back_with_the_stages_output(void **state)
{
    struct bf_fx *f = *state;
    bf_start(f, 1, 10000, BF_DEFAULT_PER_MB, 3);
    bf_add_worker(f, 0, "{\"make_text\":true}");
    struct pl_article *a = bf_article(f, "{\"raw\":\"hello\"}");
    pl_broker_submit(&f->b, a);
    assert_int_equal(f->b.in_flight, 1);
    BF_RUN_UNTIL(f, f->ndone == 1, 5000);
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
    struct bf_fx *f = *state;
    bf_start(f, 2, 10000, BF_DEFAULT_PER_MB, 3);
    bf_add_worker(f, 0, "{\"make_text\":true}");
    bf_add_worker(f, 1, "{}");
    struct pl_article *a = bf_article(f, "{\"raw\":\"two stages\"}");
    pl_broker_submit(&f->b, a);
    BF_RUN_UNTIL(f, f->ndone == 1, 5000);
    assert_int_equal(a->stage, 1);
    assert_string_equal(a->doc, "{\"text\":\"two stages\"}");
    assert_string_equal(a->times[0].name, "t");
    assert_string_equal(a->times[1].name, "u");
    assert_string_equal(a->times[1].plugin, "testkit");
    assert_int_equal(f->b.in_flight, 0);
}

static void two_workers_run_two_articles_at_once(void **state)
{
    struct bf_fx *f = *state;
    bf_start(f, 1, 10000, BF_DEFAULT_PER_MB, 3);
    /* Each takes half a second: both dispatched before either is done
     * shows they run side by side. */
    bf_add_worker(f, 0, "{\"sleep_ms\":500}");
    bf_add_worker(f, 0, "{\"sleep_ms\":500}");
    /* With both idle, each gets one: a new job goes to the worker holding
     * the fewest, not to one already busy (which prefetch would allow). */
    BF_RUN_UNTIL(f, pl_broker_idle_workers(&f->b.stages[0]) == 2, 5000);
    struct pl_article *a1 = bf_article(f, "{\"raw\":\"one\"}");
    struct pl_article *a2 = bf_article(f, "{\"raw\":\"two\"}");
    pl_broker_submit(&f->b, a1);
    pl_broker_submit(&f->b, a2);
    BF_RUN_UNTIL(f, a1->dispatched && a2->dispatched, 5000);
    assert_int_equal(f->ndone, 0);
    assert_int_equal(f->b.stages[0].nwait, 0);
    assert_int_equal(pl_broker_idle_workers(&f->b.stages[0]), 0);
    assert_int_equal(f->b.in_flight, 2);
    BF_RUN_UNTIL(f, f->ndone == 2, 5000);
    assert_int_equal(f->nfailed, 0);
    assert_int_equal(f->b.in_flight, 0);
}

static void with_every_worker_busy_an_article_waits_and_goes_to_the_first_free_one(void **state)
{
    struct bf_fx *f = *state;
    bf_start(f, 1, 10000, BF_DEFAULT_PER_MB, 3);
    /* A worker holds one job at a time here (prefetch 1): the second
     * article waits in the stage's queue. */
    f->b.stages[0].prefetch = 1;
    bf_add_worker(f, 0, "{\"sleep_ms\":200}");
    struct pl_article *a1 = bf_article(f, "{\"raw\":\"first\"}");
    struct pl_article *a2 = bf_article(f, "{\"raw\":\"second\"}");
    pl_broker_submit(&f->b, a1);
    pl_broker_submit(&f->b, a2);
    BF_RUN_UNTIL(f, a1->dispatched, 5000);
    assert_true(a2->waiting);
    assert_false(a2->dispatched);
    assert_int_equal(f->b.stages[0].nwait, 1);
    BF_RUN_UNTIL(f, f->ndone == 2, 5000);
    assert_ptr_equal(f->done[0], a1);
    assert_ptr_equal(f->done[1], a2);
    /* Waiting for a worker is not a failed attempt. */
    assert_int_equal(a2->attempts, 0);
    assert_int_equal(f->b.stages[0].nwait, 0);
}

/* --- deadline and retry ------------------------------------------------- */

static void an_article_its_worker_does_not_answer_in_time_is_retried_on_another_worker(void **state)
{
    struct bf_fx *f = *state;
    bf_start(f, 1, 300, BF_DEFAULT_PER_MB, 3);
    struct bf_dealer *silent = bf_add_dealer(f, NULL);
    bf_send_ready(silent);
    BF_RUN_UNTIL(f, pl_broker_idle_workers(&f->b.stages[0]) == 1, 5000);
    struct pl_article *a = bf_article(f, "{\"raw\":\"slow\"}");
    pl_broker_submit(&f->b, a);
    BF_RUN_UNTIL(f, bf_take_job(silent), 5000);
    assert_string_equal(silent->doc, "{\"raw\":\"slow\"}");
    uint64_t first_job = silent->job;
    /* Another worker comes; the silent one never answers. */
    bf_add_worker(f, 0, "{}");
    BF_RUN_UNTIL(f, f->ndone == 1, 5000);
    assert_int_equal(f->nfailed, 0);
    assert_int_equal(a->attempts, 1);
    assert_int_equal(a->timeouts, 1);
    assert_int_equal(a->crashes, 0);
    assert_true(a->job != first_job);
    assert_string_equal(a->times[0].plugin, "testkit");

    /* The first worker's answer comes too late: it is dropped, and the
     * worker is idle again. */
    bf_send_done(silent, first_job, "{\"raw\":\"late\"}");
    BF_RUN_UNTIL(f, pl_broker_idle_workers(&f->b.stages[0]) == 2, 5000);
    assert_int_equal(f->ndone, 1);
    assert_int_equal(f->nfailed, 0);
    assert_false(bf_take_job(silent));
    assert_int_equal(silent->njobs, 1);
}

static void an_article_its_worker_died_holding_goes_to_another_worker(void **state)
{
    struct bf_fx *f = *state;
    bf_start(f, 1, 10000, BF_DEFAULT_PER_MB, 3);
    struct bf_dealer *dying = bf_add_dealer(f, "w-dying");
    bf_send_hb(dying, "w-dying");
    bf_send_ready(dying);
    BF_RUN_UNTIL(f, pl_broker_idle_workers(&f->b.stages[0]) == 1, 5000);
    struct pl_article *a = bf_article(f, "{\"raw\":\"orphan\"}");
    pl_broker_submit(&f->b, a);
    BF_RUN_UNTIL(f, bf_take_job(dying), 5000);
    /* No more heartbeats: after dead_after_ms the broker takes the worker
     * as dead and gives its article to the next worker. */
    bf_add_worker(f, 0, "{}");
    BF_RUN_UNTIL(f, f->ndone == 1, 5000);
    assert_int_equal(a->attempts, 1);
    assert_int_equal(a->crashes, 1);
    assert_int_equal(a->timeouts, 0);
    assert_int_equal(f->b.stages[0].nworkers, 1);
}

/* --- quarantine --------------------------------------------------------- */

static void
an_article_that_times_out_max_attempts_times_is_quarantined_with_the_reason(void **state)
{
    struct bf_fx *f = *state;
    bf_start(f, 1, 200, BF_DEFAULT_PER_MB, 2);
    struct bf_dealer *silent = bf_add_dealer(f, NULL);
    bf_send_ready(silent);
    BF_RUN_UNTIL(f, pl_broker_idle_workers(&f->b.stages[0]) == 1, 5000);
    struct pl_article *a = bf_article(f, "{\"raw\":\"stuck\"}");
    uint64_t t0 = th_now_ms();
    pl_broker_submit(&f->b, a);
    BF_RUN_UNTIL(f, bf_take_job(silent), 5000);
    /* The second attempt finds the only worker still stuck past its
     * deadline: with no worker able to take it, the wait counts. */
    BF_RUN_UNTIL(f, f->nfailed == 1, 5000);
    assert_true(th_now_ms() - t0 >= 380);
    assert_ptr_equal(f->failed[0], a);
    assert_int_equal(f->ndone, 0);
    assert_string_equal(a->fail_stage, "t");
    assert_string_equal(a->fail_reason, "stage t timed out after 200 ms, 2 times");
    assert_int_equal(a->attempts, 2);
    assert_int_equal(a->timeouts, 2);
    assert_int_equal(a->crashes, 0);
    assert_false(bf_take_job(silent));
    assert_int_equal(silent->njobs, 1);
    assert_int_equal(f->b.in_flight, 0);
    assert_int_equal(f->b.stages[0].nwait, 0);
    assert_true(LIST_EMPTY(&f->b.articles));
}

static void
an_article_whose_worker_dies_max_attempts_times_is_quarantined_with_the_reason(void **state)
{
    struct bf_fx *f = *state;
    bf_start(f, 1, 10000, BF_DEFAULT_PER_MB, 2);
    const char *ids[2] = { "w-first", "w-second" };
    struct pl_article *a = bf_article(f, "{\"raw\":\"deadly\"}");
    for (int i = 0; i < 2; i++) {
        struct bf_dealer *d = bf_add_dealer(f, ids[i]);
        bf_send_hb(d, ids[i]);
        bf_send_ready(d);
        if (i == 0) {
            BF_RUN_UNTIL(f, pl_broker_idle_workers(&f->b.stages[0]) == 1, 5000);
            pl_broker_submit(&f->b, a);
        }
        BF_RUN_UNTIL(f, bf_take_job(d), 5000);
        /* It falls silent holding the article, as a crashed process does. */
        BF_RUN_UNTIL(f, a->crashes == i + 1 || f->nfailed == 1, 5000);
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
    assert_int_equal(pl_broker_idle_workers(&f->b.stages[0]), 0);
}

static void a_crash_then_a_timeout_is_quarantined_with_both_counts(void **state)
{
    struct bf_fx *f = *state;
    bf_start(f, 1, 1500, BF_DEFAULT_PER_MB, 2);
    struct bf_dealer *dying = bf_add_dealer(f, "w-dying");
    bf_send_hb(dying, "w-dying");
    bf_send_ready(dying);
    BF_RUN_UNTIL(f, pl_broker_idle_workers(&f->b.stages[0]) == 1, 5000);
    struct pl_article *a = bf_article(f, "{\"raw\":\"unlucky\"}");
    pl_broker_submit(&f->b, a);
    BF_RUN_UNTIL(f, bf_take_job(dying), 5000);
    BF_RUN_UNTIL(f, a->crashes == 1, 5000);
    /* A worker that does not heartbeat and never answers. */
    struct bf_dealer *silent = bf_add_dealer(f, NULL);
    bf_send_ready(silent);
    BF_RUN_UNTIL(f, bf_take_job(silent), 5000);
    BF_RUN_UNTIL(f, f->nfailed == 1, 5000);
    assert_string_equal(a->fail_reason,
                        "stage t failed 2 times: 1 worker crashes, 1 timeouts after 1500 ms");
    assert_int_equal(a->attempts, 2);
    assert_int_equal(a->crashes, 1);
    assert_int_equal(a->timeouts, 1);
    assert_int_equal(f->b.in_flight, 0);
}

static void a_plugin_failure_goes_to_on_failed_once_without_retry(void **state)
{
    struct bf_fx *f = *state;
    bf_start(f, 1, 10000, BF_DEFAULT_PER_MB, 3);
    bf_add_worker(f, 0, "{\"fail_on\":\"poison\"}");
    struct pl_article *a = bf_article(f, "{\"raw\":\"poison\"}");
    pl_broker_submit(&f->b, a);
    BF_RUN_UNTIL(f, f->nfailed == 1, 5000);
    assert_ptr_equal(f->failed[0], a);
    assert_string_equal(a->fail_stage, "t");
    assert_string_equal(a->fail_reason, "testkit: found \"poison\" in the document");
    assert_int_equal(a->attempts, 0);
    assert_int_equal(f->b.in_flight, 0);
    /* Nothing comes back later, and the worker takes the next article. */
    struct pl_article *ok = bf_article(f, "{\"raw\":\"fine\"}");
    pl_broker_submit(&f->b, ok);
    BF_RUN_UNTIL(f, f->ndone == 1, 5000);
    bf_run_for(f, 300);
    assert_int_equal(f->nfailed, 1);
    assert_int_equal(f->ndone, 1);
    assert_ptr_equal(f->done[0], ok);
}

/* --- results: DONE and PATCH ------------------------------------------ */

static void a_patch_is_merged_by_the_broker_and_a_bad_one_fails_naming_the_plugin(void **state)
{
    struct bf_fx *f = *state;
    bf_start(f, 2, 10000, BF_DEFAULT_PER_MB, 3);
    struct bf_dealer *hand = bf_add_dealer(f, NULL);
    bf_send_ready(hand);
    BF_RUN_UNTIL(f, pl_broker_idle_workers(&f->b.stages[0]) == 1, 5000);
    bf_add_worker(f, 1, "{}");
    /* A PATCH into the document the broker made (its members found by a
     * skim), then the thread worker's PATCH with the members kept. */
    struct pl_article *a = bf_article(f, "{\"raw\":\"x\",\"n\":1}");
    a->doc_checked = true; /* as the service's intake sets it */
    pl_broker_submit(&f->b, a);
    BF_RUN_UNTIL(f, bf_take_job(hand), 5000);
    bf_send_patch(hand, hand->job, "{\"m\":[2],\"$remove\":[\"raw\"]}");
    BF_RUN_UNTIL(f, f->ndone == 1, 5000);
    assert_string_equal(a->doc, "{\"n\":1,\"m\":[2]}");
    assert_int_equal(a->doc_len, strlen(a->doc));
    assert_true(a->members_ok);
    assert_int_equal(a->members.n, 2);
    assert_memory_equal(a->members.m[1].val, "[2]", 3);
    /* Checked patches alone: the writer may use the members kept. */
    assert_true(a->doc_checked);
    assert_string_equal(a->times[0].plugin, "hand");
    /* A DONE's document is taken as it came; the next stage merges into it. */
    struct pl_article *b = bf_article(f, "{\"raw\":\"y\"}");
    b->doc_checked = true;
    pl_broker_submit(&f->b, b);
    BF_RUN_UNTIL(f, bf_take_job(hand), 5000);
    bf_send_done(hand, hand->job, "{\"text\":\"y\",\"k\":true}");
    BF_RUN_UNTIL(f, f->ndone == 2, 5000);
    assert_string_equal(b->doc, "{\"text\":\"y\",\"k\":true}");
    /* Only skimmed since: the writer scans it in full, even after the
     * next stage's PATCH. */
    assert_false(b->doc_checked);
    /* A patch that is not one fails the article, under the plugin's name. */
    struct pl_article *c = bf_article(f, "{\"raw\":\"z\"}");
    pl_broker_submit(&f->b, c);
    BF_RUN_UNTIL(f, bf_take_job(hand), 5000);
    bf_send_patch(hand, hand->job, "[1]");
    BF_RUN_UNTIL(f, f->nfailed == 1, 5000);
    assert_ptr_equal(f->failed[0], c);
    assert_string_equal(c->fail_stage, "t");
    if (!strstr(c->fail_reason, "plugin hand: the result is not a JSON object"))
        fail_msg("reason: %s", c->fail_reason);
    assert_string_equal(c->doc, "{\"raw\":\"z\"}");
    assert_int_equal(f->b.in_flight, 0);
}

/* --- start -------------------------------------------------------------- */

static void a_stage_endpoint_already_bound_fails_the_start_naming_it(void **state)
{
    struct bf_fx *f = *state;
    bf_start(f, 1, 10000, BF_DEFAULT_PER_MB, 3);
    struct pl_broker other = { 0 };
    char err[1024] = "";
    assert_true(pl_broker_start(&other, &f->loop, f->zctx, f->cfg, bf_on_done, bf_on_failed, err,
                                sizeof(err)) != 0);
    assert_non_null(strstr(err, "stage t"));
    assert_non_null(strstr(err, "inproc://broker-test-t"));
    /* The first broker still works. */
    bf_add_worker(f, 0, "{}");
    pl_broker_submit(&f->b, bf_article(f, "{\"raw\":\"x\"}"));
    BF_RUN_UNTIL(f, f->ndone == 1, 5000);
}

#define T(name) cmocka_unit_test_setup_teardown(name, bf_setup, bf_teardown)

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
        T(a_patch_is_merged_by_the_broker_and_a_bad_one_fails_naming_the_plugin),
        T(a_stage_endpoint_already_bound_fails_the_start_naming_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
