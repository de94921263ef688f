/*
 * Prefetch with the real daemon and a real worker process: one `pressline
 * worker` for the stage, prefetch 2 and one attempt. The first article
 * makes the plugin sleep 300 ms and then crash its process; the second,
 * dropped right after it, is queued in that worker's socket meanwhile. The
 * worker dies holding both, so neither is charged (broker.h); each is sent
 * to the restarted worker alone, and the first kills it again: that crash
 * is charged, and it goes to failed/ as crashed once, while the second is
 * published, not failed with it (with one attempt, a crash charged to it
 * would fail it). The broker's unit tests (unit_broker_prefetch) check the
 * same step by step, for a timeout and for a worker that says READY again.
 */
#include "cm.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static void s_drop(const char *dir, const char *name, const char *text)
{
    assert_int_equal(th_drop(dir, name, text, strlen(text)), 0);
}

static void an_article_queued_behind_one_that_crashes_its_worker_process_is_published(void **st)
{
    (void)st;
    char *dir = th_tempdir();
    assert_non_null(dir);
    char *extra = th_path("\"workers\":{\"heartbeat_ms\":100,\"dead_after_ms\":600},"
                          "\"stages\":[{\"name\":\"crashy\",\"plugin\":\"%s/testkit.so\","
                          "\"spawn\":\"process\",\"workers\":1,\"prefetch\":2,\"max_attempts\":1,"
                          "\"endpoint\":\"ipc://%s/crashy.ipc\","
                          "\"options\":{\"crash_on\":\"CRASHME\",\"sleep_ms\":300}}]",
                          th_test_plugin_dir(), dir);
    struct th_daemon d;
    struct th_sub sub;
    assert_int_equal(th_daemon_start_live(&d, &sub, dir, extra, 20000), 0);
    s_drop(dir, "poison.txt", "This article says CRASHME and kills its worker.");
    s_drop(dir, "behind.txt", "This article waits behind the poison in the worker's socket.");
    int articles = 0, errors = 0;
    for (int i = 0; i < 2; i++) {
        char topic[16];
        cJSON *j = th_sub_next(&sub, 30000, topic, NULL);
        assert_non_null(j);
        const char *name =
            cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "source"), "name"));
        assert_non_null(name);
        if (!strcmp(topic, "article")) {
            assert_string_equal(name, "behind.txt");
            articles++;
        } else {
            assert_string_equal(name, "poison.txt");
            const char *reason = cJSON_GetStringValue(cJSON_GetObjectItem(j, "reason"));
            assert_non_null(reason);
            assert_non_null(strstr(reason, "crashed the crashy stage 1 times"));
            errors++;
        }
        cJSON_Delete(j);
    }
    assert_int_equal(articles, 1);
    assert_int_equal(errors, 1);
    assert_int_equal(th_daemon_stop(&d, SIGTERM, 10000), 0);
    th_sub_close(&sub);
    th_daemon_free(&d);
    th_rmrf(dir);
    free(dir);
    free(extra);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_article_queued_behind_one_that_crashes_its_worker_process_is_published),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
