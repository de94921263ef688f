/*
 * A result that cannot be written is retried every 2 s until it can, and
 * the log says so once: one "cannot write" error per article, then the
 * retries at debug level only (a disk full for an hour logged every article
 * in flight every 2 s). Nothing is lost: once the path is free again the
 * article is published.
 */
#include "cm.h"

#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static int s_count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void a_failing_write_is_logged_once_and_retried_until_it_succeeds(void **st)
{
    (void)st;
    char *dir = th_tempdir();
    assert_non_null(dir);
    struct th_daemon d;
    assert_int_equal(th_daemon_start(&d, dir, "\"log_level\":\"debug\""), 0);
    struct th_sub sub;
    assert_int_equal(th_sub_open(&sub, d.endpoint), 0);
    assert_int_equal(th_sub_wait_ready(&sub, 10000), 0);

    const char *a = "This article cannot be written for a while: a folder holds its place.";
    unsigned char h[32];
    char hex[65];
    crypto_hash_sha256(h, (const unsigned char *)a, strlen(a));
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    char *block = th_path("%s/outbox/%.16s.json", dir, hex);
    assert_int_equal(mkdir(block, 0755), 0);
    char *tmp = th_path("%s/inbox/.a.tmp", dir), *dst = th_path("%s/inbox/a.txt", dir);
    assert_int_equal(th_write_file(tmp, a, strlen(a)), 0);
    assert_int_equal(rename(tmp, dst), 0);

    /* Three tries at least: the first and two retries 2 s apart. */
    char *log = NULL;
    for (uint64_t end = th_now_ms() + 20000; th_now_ms() < end; usleep(100 * 1000)) {
        free(log);
        log = th_read_file(d.log, NULL);
        if (log && s_count(log, "still cannot write the result") >= 2)
            break;
    }
    assert_non_null(log);
    assert_true(s_count(log, "still cannot write the result") >= 2);
    assert_int_equal(s_count(log, "a.txt: cannot write the result"), 1);
    free(log);

    assert_int_equal(rmdir(block), 0);
    char topic[16];
    cJSON *j = th_sub_next(&sub, 15000, topic, NULL);
    assert_non_null(j);
    assert_string_equal(topic, "article");
    cJSON_Delete(j);

    assert_int_equal(th_daemon_stop(&d, SIGTERM, 10000), 0);
    th_sub_close(&sub);
    th_daemon_free(&d);
    th_rmrf(dir);
    free(block);
    free(tmp);
    free(dst);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_failing_write_is_logged_once_and_retried_until_it_succeeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
