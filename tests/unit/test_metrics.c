/* The metrics' histogram, their Prometheus text and the probes' judgements
 * (issue 16, point 2), on made-up figures. */
#include "cm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static void s_two_stages(struct pl_metrics_data *d)
{
    memset(d, 0, sizeof(*d));
    d->nstages = 2;
    snprintf(d->stages[0].name, sizeof(d->stages[0].name), "clean");
    snprintf(d->stages[1].name, sizeof(d->stages[1].name), "we\"ird");
    d->stages[0].workers = 1;
    d->stages[1].workers = 2;
    d->watching = true;
    d->tick_ms = 1000;
}

static void an_observation_lands_in_the_first_bucket_that_holds_it(void **st)
{
    (void)st;
    struct pl_hist h = { 0 };
    pl_hist_observe(&h, 0.0001);
    pl_hist_observe(&h, 0.001); /* on a bound: le is "less than or equal" */
    pl_hist_observe(&h, 3.0);
    pl_hist_observe(&h, 1000.0); /* past the last bound: only in +Inf */
    pl_hist_observe(&h, -1.0);   /* a clock step: counted as 0 */
    assert_int_equal(h.count, 5);
    assert_int_equal(h.bucket[0], 2);
    assert_int_equal(h.bucket[1], 1);
    size_t ten = 0;
    while (pl_hist_bounds[ten] != 10)
        ten++;
    assert_int_equal(h.bucket[ten], 1);
    uint64_t inside = 0;
    for (size_t i = 0; i < PL_HIST_BUCKETS; i++)
        inside += h.bucket[i];
    assert_int_equal(inside, 4);
    assert_true(h.sum > 1003.0 && h.sum < 1003.002);
}

static void the_text_has_help_type_and_cumulative_buckets(void **st)
{
    (void)st;
    struct pl_metrics_data d;
    s_two_stages(&d);
    d.published = 7;
    d.failed = 2;
    d.last_seq = 1009;
    d.in_flight = 3;
    d.queued = 4;
    d.intake_paused = true;
    d.replay_requests = 5;
    d.stages[0].retries = 6;
    d.stages[0].threads = true;
    d.stages[0].process_cpu_ns = 1500000000u;
    d.stages[1].threads = false;
    d.stages[1].process_cpu_ns = 7;
    pl_hist_observe(&d.stages[0].seconds, 0.0001);
    pl_hist_observe(&d.stages[0].seconds, 0.2);
    char *t = NULL;
    size_t len = 0;
    assert_int_equal(pl_metrics_render(&d, &t, &len), 0);
    assert_int_equal(strlen(t), len);
    const char *want[] = {
        "# TYPE pressline_articles_total counter\n",
        "pressline_articles_total{result=\"published\"} 7\n",
        "pressline_articles_total{result=\"failed\"} 2\n",
        "# HELP pressline_stage_seconds ",
        "# TYPE pressline_stage_seconds histogram\n",
        "pressline_stage_seconds_bucket{stage=\"clean\",le=\"0.0005\"} 1\n",
        "pressline_stage_seconds_bucket{stage=\"clean\",le=\"0.1\"} 1\n",
        "pressline_stage_seconds_bucket{stage=\"clean\",le=\"0.25\"} 2\n",
        "pressline_stage_seconds_bucket{stage=\"clean\",le=\"60\"} 2\n",
        "pressline_stage_seconds_bucket{stage=\"clean\",le=\"+Inf\"} 2\n",
        "pressline_stage_seconds_count{stage=\"clean\"} 2\n",
        "pressline_stage_seconds_count{stage=\"we\\\"ird\"} 0\n",
        "pressline_stage_retries_total{stage=\"clean\"} 6\n",
        "# TYPE pressline_stage_process_cpu_seconds_total counter\n",
        "pressline_stage_process_cpu_seconds_total{stage=\"clean\"} 1.5\n",
        "# TYPE pressline_in_flight gauge\npressline_in_flight 3\n",
        "pressline_queued 4\n",
        "pressline_intake_paused 1\n",
        "pressline_workers{stage=\"clean\"} 1\n",
        "pressline_workers{stage=\"we\\\"ird\"} 2\n",
        "# TYPE pressline_replay_requests_total counter\npressline_replay_requests_total 5\n",
        "pressline_last_seq 1009\n",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        if (!strstr(t, want[i]))
            fail_msg("missing \"%s\" in:\n%s", want[i], t);
    }
    /* A stage of worker processes has no such line: their time is theirs. */
    assert_null(strstr(t, "pressline_stage_process_cpu_seconds_total{stage=\"we"));
    free(t);
}

static void ready_needs_a_live_worker_in_every_stage_and_intake_running(void **st)
{
    (void)st;
    struct pl_metrics_data d;
    char json[512];
    s_two_stages(&d);
    assert_true(pl_metrics_ready(&d, json, sizeof(json)));
    assert_string_equal(json, "{\"ready\":true}");
    d.stages[1].workers = 0;
    d.intake_paused = true;
    assert_false(pl_metrics_ready(&d, json, sizeof(json)));
    assert_non_null(strstr(json, "\"ready\":false"));
    assert_non_null(strstr(json, "stage we\\\"ird has no live worker"));
    assert_non_null(strstr(json, "intake is paused"));
    assert_null(strstr(json, "stage clean"));
    s_two_stages(&d);
    d.stopping = true;
    assert_false(pl_metrics_ready(&d, json, sizeof(json)));
    assert_non_null(strstr(json, "stopping"));
    s_two_stages(&d);
    d.watching = false;
    assert_false(pl_metrics_ready(&d, json, sizeof(json)));
    assert_non_null(strstr(json, "not watched"));
}

static void health_fails_once_the_loop_tick_is_stale(void **st)
{
    (void)st;
    struct pl_metrics_data d;
    char json[128];
    s_two_stages(&d);
    assert_true(pl_metrics_healthy(&d, 1000 + PL_HEALTH_STALE_MS, json, sizeof(json)));
    assert_non_null(strstr(json, "\"ok\""));
    assert_false(pl_metrics_healthy(&d, 1001 + PL_HEALTH_STALE_MS, json, sizeof(json)));
    assert_non_null(strstr(json, "\"stalled\""));
    d.tick_ms = 0; /* never ticked */
    assert_false(pl_metrics_healthy(&d, 10, json, sizeof(json)));
}

static void a_snapshot_is_what_was_published(void **st)
{
    (void)st;
    struct pl_metrics m;
    assert_int_equal(pl_metrics_init(&m), 0);
    struct pl_metrics_data d, got;
    s_two_stages(&d);
    d.published = 42;
    pl_metrics_publish(&m, &d);
    pl_metrics_snapshot(&m, &got);
    assert_memory_equal(&d, &got, sizeof(d));
    pl_metrics_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_observation_lands_in_the_first_bucket_that_holds_it),
        cmocka_unit_test(the_text_has_help_type_and_cumulative_buckets),
        cmocka_unit_test(ready_needs_a_live_worker_in_every_stage_and_intake_running),
        cmocka_unit_test(health_fails_once_the_loop_tick_is_stale),
        cmocka_unit_test(a_snapshot_is_what_was_published),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
