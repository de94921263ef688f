/*
 * Which keys a reload refuses (pl_reload_restart_keys): every key that
 * only a restart can change is named when it differs, none of the keys a
 * reload does change is, and a stage with spawn "none" keeps its endpoint.
 */
#include "cm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "reload.h"

/* Loads json over the default; fails the test if it does not load. */
static struct pl_config *s_load(const char *json)
{
    char err[512] = "";
    struct pl_config *c = NULL;
    if (pl_config_load_text(json, "t.json", "/x", &c, err, sizeof(err)) != 0)
        fail_msg("%s: %s", json, err);
    return c;
}

/* The keys json changes against the default, as a reload names them. */
static int s_keys(const char *json, char *out, size_t n)
{
    struct pl_config *a = s_load("{}"), *b = s_load(json);
    int k = pl_reload_restart_keys(a, b, out, n);
    pl_config_free(&a);
    pl_config_free(&b);
    return k;
}

static void each_restart_only_key_is_named_when_it_changes(void **state)
{
    (void)state;
    static const struct {
        const char *json, *key;
    } cases[] = {
        { "{\"inbox\":\"in2\"}", "inbox" },
        { "{\"outbox\":\"o2\"}", "outbox" },
        { "{\"spool\":\"s2\"}", "spool" },
        { "{\"done\":\"d2\"}", "done" },
        { "{\"failed\":\"f2\"}", "failed" },
        { "{\"on_success\":\"delete\"}", "on_success" },
        { "{\"durable\":false}", "durable" },
        { "{\"publish\":{\"endpoint\":\"tcp://127.0.0.1:6000\"}}", "publish.endpoint" },
        { "{\"publish\":{\"replay_endpoint\":\"\"}}", "publish.replay_endpoint" },
        { "{\"publish\":{\"hwm\":5}}", "publish.hwm" },
        { "{\"publish\":{\"status_interval_ms\":0}}", "publish.status_interval_ms" },
        { "{\"limits\":{\"max_bytes\":5}}", "limits.max_bytes" },
        { "{\"limits\":{\"max_in_flight\":5}}", "limits.max_in_flight" },
        { "{\"limits\":{\"max_queued\":5}}", "limits.max_queued" },
        { "{\"watch\":{\"settle_ms\":5}}", "watch.settle_ms" },
        { "{\"watch\":{\"rescan_interval_ms\":500}}", "watch.rescan_interval_ms" },
        { "{\"watch\":{\"follow_symlinks\":true}}", "watch.follow_symlinks" },
        { "{\"shutdown_timeout_ms\":5}", "shutdown_timeout_ms" },
        { "{\"watch\":{\"mode\":\"poll\"}}", "watch.mode" },
        { "{\"watch\":{\"poll_interval_ms\":700}}", "watch.poll_interval_ms" },
        { "{\"http\":{\"listen\":\"127.0.0.1:6001\"}}", "http.listen" },
        { "{\"http\":{\"allow_remote\":true}}", "http.allow_remote" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[512];
        if (s_keys(cases[i].json, out, sizeof(out)) != 1 || strcmp(out, cases[i].key) != 0)
            fail_msg("%s: named \"%s\", not \"%s\"", cases[i].json, out, cases[i].key);
    }
}

static void several_keys_are_named_together_in_the_configuration_order(void **state)
{
    (void)state;
    char out[512];
    assert_int_equal(
        s_keys("{\"limits\":{\"max_in_flight\":5},\"outbox\":\"o2\"}", out, sizeof(out)), 2);
    assert_string_equal(out, "outbox, limits.max_in_flight");
}

static void what_a_reload_changes_is_not_named(void **state)
{
    (void)state;
    char out[512];
    assert_int_equal(s_keys("{\"log_level\":\"debug\",\"plugin_dir\":\"/p\","
                            "\"workers\":{\"heartbeat_ms\":500,\"dead_after_ms\":9000},"
                            "\"stages\":[{\"name\":\"clean\",\"workers\":4,\"timeout_ms\":5,"
                            "\"options\":{\"min_headline_run\":2}},{\"name\":\"extra\","
                            "\"plugin\":\"/a/b.so\",\"spawn\":\"process\","
                            "\"endpoint\":\"ipc:///tmp/x.sock\"}]}",
                            out, sizeof(out)),
                     0);
    assert_string_equal(out, "");
}

static void a_spawn_none_stage_keeps_its_endpoint_and_its_spawn(void **state)
{
    (void)state;
    const char *none = "{\"stages\":[{\"name\":\"far\",\"spawn\":\"none\","
                       "\"endpoint\":\"tcp://127.0.0.1:6001\"}]}";
    struct pl_config *a = s_load(none);
    struct pl_config *moved = s_load("{\"stages\":[{\"name\":\"far\",\"spawn\":\"none\","
                                     "\"endpoint\":\"tcp://127.0.0.1:6002\"}]}");
    struct pl_config *thread = s_load("{\"stages\":[{\"name\":\"far\","
                                      "\"endpoint\":\"tcp://127.0.0.1:6001\"}]}");
    struct pl_config *same = s_load("{\"stages\":[{\"name\":\"clean\"},{\"name\":\"far\","
                                    "\"spawn\":\"none\",\"endpoint\":\"tcp://127.0.0.1:6001\","
                                    "\"timeout_ms\":99}]}");
    struct pl_config *gone = s_load("{}");
    char out[512];
    assert_int_equal(pl_reload_restart_keys(a, moved, out, sizeof(out)), 1);
    assert_string_equal(out, "stages[0].endpoint (stage far, spawn \"none\")");
    assert_int_equal(pl_reload_restart_keys(a, thread, out, sizeof(out)), 1);
    assert_string_equal(out, "stages[0].spawn (stage far, was \"none\")");
    /* Moved in the list, with another timeout: still the same endpoint. */
    assert_int_equal(pl_reload_restart_keys(a, same, out, sizeof(out)), 0);
    /* A stage that goes away takes its endpoint with it. */
    assert_int_equal(pl_reload_restart_keys(a, gone, out, sizeof(out)), 0);
    pl_config_free(&a);
    pl_config_free(&moved);
    pl_config_free(&thread);
    pl_config_free(&same);
    pl_config_free(&gone);
}

static void a_short_buffer_is_cut_but_the_count_is_whole(void **state)
{
    (void)state;
    char out[8];
    assert_int_equal(s_keys("{\"inbox\":\"a\",\"outbox\":\"b\",\"spool\":\"c\"}", out, sizeof(out)),
                     3);
    assert_int_equal(strlen(out), sizeof(out) - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_restart_only_key_is_named_when_it_changes),
        cmocka_unit_test(several_keys_are_named_together_in_the_configuration_order),
        cmocka_unit_test(what_a_reload_changes_is_not_named),
        cmocka_unit_test(a_spawn_none_stage_keeps_its_endpoint_and_its_spawn),
        cmocka_unit_test(a_short_buffer_is_cut_but_the_count_is_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
