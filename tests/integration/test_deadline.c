/*
 * The real daemon with one worker per stage and a stage that takes 300 ms
 * an article against a 500 ms timeout: six small files dropped at once
 * wait up to 1.5 s for that worker, and every one is published, none goes
 * to failed/. A stage's deadline counts from the moment a worker takes the
 * article, not from when it entered the queue (issue 12, point 3).
 */
#include "cm.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define NFILES 6

static void small_files_queued_behind_a_busy_worker_are_all_published(void **st)
{
    (void)st;
    char *dir = th_tempdir();
    assert_non_null(dir);
    char *extra = th_path("\"stages\":[{\"name\":\"clean\"},"
                          "{\"name\":\"slow\",\"plugin\":\"%s/testkit.so\",\"workers\":1,"
                          "\"timeout_ms\":500,\"max_attempts\":1,\"options\":{\"sleep_ms\":300}}]",
                          th_test_plugin_dir());
    struct th_daemon d;
    struct th_sub sub;
    assert_int_equal(th_daemon_start_live(&d, &sub, dir, extra, 10000), 0);
    for (int i = 0; i < NFILES; i++) {
        char *tmp = th_path("%s/inbox/.small%d.tmp", dir, i);
        char *dst = th_path("%s/inbox/small%d.txt", dir, i);
        char *body = th_path("Small article number %d, dropped beside five others at once.", i);
        assert_int_equal(th_write_file(tmp, body, strlen(body)), 0);
        assert_int_equal(rename(tmp, dst), 0);
        free(tmp);
        free(dst);
        free(body);
    }
    int articles = 0, errors = 0;
    for (int i = 0; i < NFILES; i++) {
        char topic[16];
        cJSON *j = th_sub_next(&sub, 10000, topic, NULL);
        if (!j)
            break;
        if (!strcmp(topic, "article"))
            articles++;
        else {
            char *s = cJSON_PrintUnformatted(j);
            fprintf(stderr, "error: %s\n", s);
            cJSON_free(s);
            errors++;
        }
        cJSON_Delete(j);
    }
    assert_int_equal(errors, 0);
    assert_int_equal(articles, NFILES);
    char *failed = th_path("%s/failed", dir);
    assert_int_equal(th_count_dir(failed), 0);
    free(failed);
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
        cmocka_unit_test(small_files_queued_behind_a_busy_worker_are_all_published),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
