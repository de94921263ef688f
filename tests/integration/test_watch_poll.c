/*
 * watch.mode "poll": the real daemon watches its inbox by scans alone, with
 * no inotify descriptor open, and a file dropped after the start is still
 * processed within the poll interval; the full rescan is an hour away, so
 * only the poll scans can find it. The same daemon in "inotify" mode holds
 * an inotify descriptor, which is what the check tells apart (issue 16,
 * point 4).
 */
#include "cm.h"

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* How many inotify descriptors process pid holds. */
static int s_inotify_fds(pid_t pid)
{
    char *fds = th_path("/proc/%d/fd", (int)pid);
    DIR *d = opendir(fds);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char *p = th_path("%s/%s", fds, e->d_name);
        char target[PATH_MAX];
        ssize_t len = readlink(p, target, sizeof(target) - 1);
        free(p);
        if (len > 0) {
            target[len] = '\0';
            n += strcmp(target, "anon_inode:inotify") == 0;
        }
    }
    if (d)
        closedir(d);
    free(fds);
    return d ? n : -1;
}

/* Starts a daemon watching by mode, drops one file, and checks that it is
 * published; returns the daemon's inotify descriptors, counted while it ran. */
static int s_run(const char *mode)
{
    char *dir = th_tempdir();
    assert_non_null(dir);
    char *extra = th_path("\"watch\":{\"mode\":\"%s\",\"poll_interval_ms\":200,\"settle_ms\":200,"
                          "\"rescan_interval_ms\":3600000},\"stages\":[{\"name\":\"clean\"}]",
                          mode);
    struct th_daemon d;
    struct th_sub sub;
    assert_int_equal(th_daemon_start_live(&d, &sub, dir, extra, 10000), 0);
    int inotify = s_inotify_fds(d.pid);
    char *tmp = th_path("%s/inbox/.drop.tmp", dir);
    char *dst = th_path("%s/inbox/drop.txt", dir);
    const char *body = "An article dropped into an inbox that is watched by scans.";
    assert_int_equal(th_write_file(tmp, body, strlen(body)), 0);
    assert_int_equal(rename(tmp, dst), 0);
    char topic[16];
    cJSON *j = th_sub_next(&sub, 10000, topic, NULL);
    if (!j) {
        char *log = th_read_file(d.log, NULL);
        fprintf(stderr, "nothing published in mode %s; daemon log:\n%s\n", mode, log);
        free(log);
    }
    assert_non_null(j);
    assert_string_equal(topic, "article");
    cJSON_Delete(j);
    char *log = th_read_file(d.log, NULL);
    assert_non_null(log);
    if (!strcmp(mode, "poll"))
        assert_non_null(strstr(log, "by scans every 200 ms"));
    free(log);
    assert_int_equal(th_daemon_stop(&d, SIGTERM, 10000), 0);
    th_sub_close(&sub);
    th_daemon_free(&d);
    th_rmrf(dir);
    free(dir);
    free(extra);
    free(tmp);
    free(dst);
    return inotify;
}

static void poll_mode_processes_a_dropped_file_without_inotify(void **st)
{
    (void)st;
    assert_int_equal(s_run("poll"), 0);
}

static void inotify_mode_holds_an_inotify_descriptor(void **st)
{
    (void)st;
    assert_int_equal(s_run("inotify"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(poll_mode_processes_a_dropped_file_without_inotify),
        cmocka_unit_test(inotify_mode_holds_an_inotify_descriptor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
