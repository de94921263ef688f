/*
 * Prefetch (broker.h): a worker is sent up to its stage's "prefetch" jobs
 * at once and runs them in order, so the guarantees hold per job, not per
 * worker: a timeout is charged only to the job the worker was running (the
 * oldest it holds) and the ones queued behind it go back to the stage's
 * queue with no attempt counted; a crash is charged only to a job the
 * worker held alone (one that dies holding several charges none, and each
 * is then run alone); a job's deadline starts when it reaches the head of
 * its worker's queue; and a new job goes to the worker holding the fewest,
 * never to one holding prefetch already. The fixture is
 * test_broker.c's (broker_fixture.h): hand-driven DEALER sockets where the
 * test decides when a worker answers, falls silent or says READY again,
 * and real pl_worker threads. Every wait is bounded.
 */
#include "cm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_fixture.h"
#include "errcode.h"

/* Submits n articles {"raw":"<names[i]>"} into v. */
static void s_submit(struct bf_fx *f, struct pl_article **v, const char *const *names, int n)
{
    for (int i = 0; i < n; i++) {
        char doc[64];
        snprintf(doc, sizeof(doc), "{\"raw\":\"%s\"}", names[i]);
        v[i] = bf_article(f, doc);
        pl_broker_submit(&f->b, v[i]);
    }
}

static void a_worker_is_sent_up_to_prefetch_jobs_and_the_rest_wait_in_the_stage(void **state)
{
    struct bf_fx *f = *state;
    bf_start(f, 1, 10000, BF_DEFAULT_PER_MB, 3);
    assert_int_equal(f->b.stages[0].prefetch, 2); /* the default */
    struct bf_dealer *d = bf_add_dealer(f, NULL);
    bf_send_ready(d);
    BF_RUN_UNTIL(f, pl_broker_idle_workers(&f->b.stages[0]) == 1, 5000);
    struct pl_article *a[3];
    s_submit(f, a, (const char *const[]){ "one", "two", "three" }, 3);
    BF_RUN_UNTIL(f, bf_take_job(d), 5000);
    uint64_t j1 = d->job;
    assert_string_equal(d->doc, "{\"raw\":\"one\"}");
    BF_RUN_UNTIL(f, bf_take_job(d), 5000);
    uint64_t j2 = d->job;
    assert_string_equal(d->doc, "{\"raw\":\"two\"}");
    /* Ids run on from a random start, so a worker still holding jobs of an
     * earlier broker cannot answer one of these by their number (a chance
     * of 2^-48 that this start is 0). */
    assert_int_equal(j2, j1 + 1);
    assert_true(j1 > 1);
    /* Two held, the third waits for one of them to be answered. */
    bf_run_for(f, 100);
    assert_false(bf_take_job(d));
    assert_true(a[2]->waiting);
    assert_int_equal(f->b.stages[0].nwait, 1);
    bf_send_done(d, j1, "{\"raw\":\"one done\"}");
    BF_RUN_UNTIL(f, bf_take_job(d), 5000);
    assert_string_equal(d->doc, "{\"raw\":\"three\"}");
    uint64_t j3 = d->job;
    bf_send_done(d, j2, "{\"raw\":\"two done\"}");
    bf_send_done(d, j3, "{\"raw\":\"three done\"}");
    BF_RUN_UNTIL(f, f->ndone == 3, 5000);
    for (int i = 0; i < 3; i++) {
        assert_ptr_equal(f->done[i], a[i]);
        assert_int_equal(a[i]->attempts, 0);
    }
    assert_int_equal(pl_broker_idle_workers(&f->b.stages[0]), 1);
}

static void a_new_job_goes_to_the_worker_holding_the_fewest_and_none_beyond_prefetch(void **state)
{
    struct bf_fx *f = *state;
    bf_start(f, 1, 10000, BF_DEFAULT_PER_MB, 3);
    struct bf_dealer *busy = bf_add_dealer(f, NULL);
    bf_send_ready(busy);
    BF_RUN_UNTIL(f, pl_broker_idle_workers(&f->b.stages[0]) == 1, 5000);
    struct pl_article *a[5];
    /* The only worker takes two (its prefetch). */
    s_submit(f, a, (const char *const[]){ "a0", "a1" }, 2);
    BF_RUN_UNTIL(f, bf_take_job(busy), 5000);
    BF_RUN_UNTIL(f, bf_take_job(busy), 5000);
    /* A second worker comes: what follows goes to it while it holds fewer,
     * and once both hold two, the fifth waits in the stage's queue. */
    struct bf_dealer *fresh = bf_add_dealer(f, NULL);
    bf_send_ready(fresh);
    BF_RUN_UNTIL(f, pl_broker_idle_workers(&f->b.stages[0]) == 1, 5000);
    s_submit(f, a + 2, (const char *const[]){ "a2", "a3", "a4" }, 3);
    BF_RUN_UNTIL(f, bf_take_job(fresh), 5000);
    assert_string_equal(fresh->doc, "{\"raw\":\"a2\"}");
    BF_RUN_UNTIL(f, bf_take_job(fresh), 5000);
    assert_string_equal(fresh->doc, "{\"raw\":\"a3\"}");
    bf_run_for(f, 100);
    assert_false(bf_take_job(busy));
    assert_false(bf_take_job(fresh));
    assert_true(a[4]->waiting);
    assert_int_equal(busy->njobs, 2);
    assert_int_equal(fresh->njobs, 2);
}

/* The worker d (named ident, heartbeating) holds the articles head and
 * queued (submitted in that order); returns once it has taken both. */
static void s_two_held(struct bf_fx *f, struct bf_dealer *d, struct pl_article **head,
                       struct pl_article **queued)
{
    BF_RUN_UNTIL(f, pl_broker_idle_workers(&f->b.stages[0]) == 1, 5000);
    *head = bf_article(f, "{\"raw\":\"head\"}");
    *queued = bf_article(f, "{\"raw\":\"queued\"}");
    pl_broker_submit(&f->b, *head);
    pl_broker_submit(&f->b, *queued);
    BF_RUN_UNTIL(f, bf_take_job(d), 5000);
    BF_RUN_UNTIL(f, bf_take_job(d), 5000);
    assert_string_equal(d->doc, "{\"raw\":\"queued\"}");
    assert_true((*queued)->dispatched);
}

static void a_worker_that_dies_holding_two_charges_neither_and_runs_each_alone(void **state)
{
    struct bf_fx *f = *state;
    /* One attempt: an article charged with the crash would fail. */
    bf_start(f, 1, 10000, BF_DEFAULT_PER_MB, 1);
    struct bf_dealer *dying = bf_add_dealer(f, "w-dying");
    bf_send_hb(dying, "w-dying");
    bf_send_ready(dying);
    struct pl_article *head, *queued;
    s_two_held(f, dying, &head, &queued);
    /* It falls silent holding both. Its answer to the head may have been
     * lost with it (a process answers from libzmq's I/O thread), so which
     * one killed it is not known: neither is charged, and each goes to the
     * next worker alone. */
    struct bf_dealer *next = bf_add_dealer(f, NULL);
    bf_send_ready(next);
    BF_RUN_UNTIL(f, bf_take_job(next), 5000);
    assert_string_equal(next->doc, "{\"raw\":\"head\"}");
    assert_true(head->suspect && queued->suspect);
    assert_int_equal(head->attempts, 0);
    assert_int_equal(queued->attempts, 0);
    bf_run_for(f, 100);
    assert_false(bf_take_job(next)); /* nothing behind a suspect */
    bf_send_done(next, next->job, "{\"raw\":\"head done\"}");
    BF_RUN_UNTIL(f, bf_take_job(next), 5000);
    assert_string_equal(next->doc, "{\"raw\":\"queued\"}");
    bf_send_done(next, next->job, "{\"raw\":\"queued done\"}");
    BF_RUN_UNTIL(f, f->ndone == 2, 5000);
    assert_int_equal(f->nfailed, 0);
    assert_ptr_equal(f->done[0], head);
    assert_ptr_equal(f->done[1], queued);
    assert_int_equal(head->crashes, 0);
    assert_int_equal(queued->crashes, 0);
    assert_int_equal(f->b.stages[0].retries, 0);
}

static void
a_suspect_that_kills_its_worker_alone_is_charged_and_the_other_goes_through(void **state)
{
    struct bf_fx *f = *state;
    bf_start(f, 1, 10000, BF_DEFAULT_PER_MB, 1);
    struct bf_dealer *first = bf_add_dealer(f, "w-first");
    bf_send_hb(first, "w-first");
    bf_send_ready(first);
    struct pl_article *poison, *fine;
    s_two_held(f, first, &poison, &fine);
    /* The first dies holding both; the second is sent the poison alone and
     * dies with it: that crash is certain, and charged. */
    struct bf_dealer *second = bf_add_dealer(f, "w-second");
    bf_send_hb(second, "w-second");
    bf_send_ready(second);
    BF_RUN_UNTIL(f, bf_take_job(second), 5000);
    assert_string_equal(second->doc, "{\"raw\":\"head\"}");
    BF_RUN_UNTIL(f, f->nfailed == 1, 5000);
    assert_ptr_equal(f->failed[0], poison);
    assert_string_equal(poison->fail_reason,
                        "crashed the t stage 1 times (its worker died each time)");
    assert_int_equal(second->njobs, 1);
    bf_add_worker(f, 0, "{\"make_text\":true}");
    BF_RUN_UNTIL(f, f->ndone == 1, 5000);
    assert_ptr_equal(f->done[0], fine);
    assert_int_equal(fine->attempts, 0);
    assert_string_equal(fine->doc, "{\"text\":\"queued\"}");
}

static void a_worker_that_says_ready_again_holding_two_charges_neither(void **state)
{
    struct bf_fx *f = *state;
    bf_start(f, 1, 10000, BF_DEFAULT_PER_MB, 1);
    struct bf_dealer *d = bf_add_dealer(f, "w-restarted");
    bf_send_ready(d);
    struct pl_article *head, *queued;
    s_two_held(f, d, &head, &queued);
    /* READY while holding two: it restarted and has neither. Both go back
     * uncharged, and come to it again one at a time, in their order. */
    bf_send_ready(d);
    BF_RUN_UNTIL(f, bf_take_job(d), 5000);
    assert_string_equal(d->doc, "{\"raw\":\"head\"}");
    assert_int_equal(head->attempts, 0);
    assert_int_equal(queued->attempts, 0);
    bf_run_for(f, 100);
    assert_false(bf_take_job(d));
    bf_send_done(d, d->job, "{\"raw\":\"head done\"}");
    BF_RUN_UNTIL(f, bf_take_job(d), 5000);
    assert_string_equal(d->doc, "{\"raw\":\"queued\"}");
    bf_send_done(d, d->job, "{\"raw\":\"queued done\"}");
    BF_RUN_UNTIL(f, f->ndone == 2, 5000);
    assert_int_equal(f->nfailed, 0);
    assert_ptr_equal(f->done[0], head);
    assert_ptr_equal(f->done[1], queued);
}

static void an_answer_to_a_queued_job_sends_the_jobs_ahead_of_it_again_uncharged(void **state)
{
    struct bf_fx *f = *state;
    bf_start(f, 1, 10000, BF_DEFAULT_PER_MB, 1);
    struct bf_dealer *d = bf_add_dealer(f, NULL);
    bf_send_ready(d);
    struct pl_article *head, *queued;
    s_two_held(f, d, &head, &queued);
    /* The head's answer never comes (lost on the way): the answer to the
     * job behind it says the worker is past it, so the head is sent again
     * at once, not left to time out. */
    uint64_t j_queued = d->job;
    bf_send_done(d, j_queued, "{\"raw\":\"queued done\"}");
    BF_RUN_UNTIL(f, f->ndone == 1, 5000);
    assert_ptr_equal(f->done[0], queued);
    BF_RUN_UNTIL(f, bf_take_job(d), 5000);
    assert_string_equal(d->doc, "{\"raw\":\"head\"}");
    assert_int_equal(head->attempts, 0);
    bf_send_done(d, d->job, "{\"raw\":\"head done\"}");
    BF_RUN_UNTIL(f, f->ndone == 2, 5000);
    assert_ptr_equal(f->done[1], head);
    assert_int_equal(head->attempts, 0);
    assert_int_equal(f->nfailed, 0);
}

static void a_timeout_is_charged_only_to_the_job_the_worker_was_running(void **state)
{
    struct bf_fx *f = *state;
    bf_start(f, 1, 1000, 0, 1);
    struct bf_dealer *silent = bf_add_dealer(f, NULL);
    bf_send_ready(silent);
    struct pl_article *head, *queued;
    s_two_held(f, silent, &head, &queued);
    /* Another worker is there before the head's deadline passes. */
    bf_add_worker(f, 0, "{\"make_text\":true}");
    BF_RUN_UNTIL(f, pl_broker_idle_workers(&f->b.stages[0]) == 1, 5000);
    BF_RUN_UNTIL(f, f->nfailed == 1 && f->ndone == 1, 5000);
    assert_ptr_equal(f->failed[0], head);
    assert_string_equal(head->fail_reason, "stage t timed out after 1000 ms, 1 times");
    assert_ptr_equal(f->done[0], queued);
    assert_int_equal(queued->attempts, 0);
    assert_int_equal(queued->timeouts, 0);
    assert_string_equal(queued->times[0].plugin, "testkit");
    /* The silent worker still holds both in its socket: it is sent nothing
     * new until it has answered them, and their answers are ignored. */
    struct pl_article *next = bf_article(f, "{\"raw\":\"next\"}");
    pl_broker_submit(&f->b, next);
    BF_RUN_UNTIL(f, f->ndone == 2, 5000);
    assert_ptr_equal(f->done[1], next);
    assert_false(bf_take_job(silent));
    uint64_t last = silent->job;
    bf_send_done(silent, last - 1, "{\"raw\":\"late head\"}");
    bf_send_done(silent, last, "{\"raw\":\"late queued\"}");
    BF_RUN_UNTIL(f, pl_broker_idle_workers(&f->b.stages[0]) == 2, 5000);
    assert_int_equal(f->ndone, 2);
    assert_int_equal(f->nfailed, 1);
    assert_string_equal(queued->doc, "{\"text\":\"queued\"}");
}

static void a_jobs_deadline_starts_when_it_reaches_the_head_of_its_workers_queue(void **state)
{
    struct bf_fx *f = *state;
    /* 300 ms plus 5000 ms per full MB. The big head has 5300 ms; the small
     * article queued behind it 300 ms, less than the head is held: counted
     * from its dispatch, it would time out (and fail: one attempt). */
    bf_start(f, 1, 300, 5000, 1);
    struct bf_dealer *d = bf_add_dealer(f, NULL);
    bf_send_ready(d);
    BF_RUN_UNTIL(f, pl_broker_idle_workers(&f->b.stages[0]) == 1, 5000);
    size_t n = 1024 * 1024 + 16;
    char *big = malloc(n + 16);
    assert_non_null(big);
    memcpy(big, "{\"raw\":\"", 8);
    memset(big + 8, 'x', n);
    memcpy(big + 8 + n, "\"}", 3);
    struct pl_article *head = bf_article(f, big);
    free(big);
    struct pl_article *small = bf_article(f, "{\"raw\":\"small\"}");
    pl_broker_submit(&f->b, head);
    pl_broker_submit(&f->b, small);
    BF_RUN_UNTIL(f, bf_take_job(d), 5000);
    uint64_t j_head = d->job;
    BF_RUN_UNTIL(f, bf_take_job(d), 5000);
    uint64_t j_small = d->job;
    assert_int_equal(small->deadline_ms, 0); /* no clock while queued */
    bf_run_for(f, 700);
    assert_int_equal(f->nfailed, 0);
    bf_send_done(d, j_head, "{\"raw\":\"big done\"}");
    BF_RUN_UNTIL(f, f->ndone == 1, 5000);
    assert_true(small->deadline_ms > 0); /* its clock runs from now */
    bf_send_done(d, j_small, "{\"raw\":\"small done\"}");
    BF_RUN_UNTIL(f, f->ndone == 2, 5000);
    assert_int_equal(f->nfailed, 0);
    assert_int_equal(small->timeouts, 0);
    assert_int_equal(head->timeouts, 0);
}

static void every_default_stage_prefetches_2_and_a_prefetch_outside_1_to_64_is_refused(void **state)
{
    (void)state;
    struct pl_config *cfg = NULL;
    char err[1024];
    assert_int_equal(pl_config_load_text("{}", "t", th_build_dir(), &cfg, err, sizeof(err)), 0);
    for (size_t i = 0; i < cfg->nstages; i++)
        assert_int_equal(cfg->stages[i].prefetch, 2);
    pl_config_free(&cfg);
    assert_int_equal(pl_config_load_text("{\"stages\":[{\"name\":\"clean\",\"prefetch\":64}]}", "t",
                                         th_build_dir(), &cfg, err, sizeof(err)),
                     0);
    assert_int_equal(cfg->stages[0].prefetch, 64);
    pl_config_free(&cfg);
    const char *bad[] = { "0", "65", "-1" };
    for (int i = 0; i < 3; i++) {
        char *json = th_path("{\"stages\":[{\"name\":\"clean\",\"prefetch\":%s}]}", bad[i]);
        assert_int_equal(pl_config_load_text(json, "t", th_build_dir(), &cfg, err, sizeof(err)),
                         PL_ECONFIG);
        assert_non_null(strstr(err, "stages[0].prefetch"));
        assert_null(cfg);
        free(json);
    }
}

#define T(name) cmocka_unit_test_setup_teardown(name, bf_setup, bf_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(a_worker_is_sent_up_to_prefetch_jobs_and_the_rest_wait_in_the_stage),
        T(a_new_job_goes_to_the_worker_holding_the_fewest_and_none_beyond_prefetch),
        T(a_worker_that_dies_holding_two_charges_neither_and_runs_each_alone),
        T(a_suspect_that_kills_its_worker_alone_is_charged_and_the_other_goes_through),
        T(a_worker_that_says_ready_again_holding_two_charges_neither),
        T(an_answer_to_a_queued_job_sends_the_jobs_ahead_of_it_again_uncharged),
        T(a_timeout_is_charged_only_to_the_job_the_worker_was_running),
        T(a_jobs_deadline_starts_when_it_reaches_the_head_of_its_workers_queue),
        T(every_default_stage_prefetches_2_and_a_prefetch_outside_1_to_64_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
