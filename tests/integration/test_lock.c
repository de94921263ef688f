/*
 * One daemon per spool, and the open-file limit: the real presslined on temp
 * folders and free ports. A second daemon on the same folders must exit 1
 * naming the first's pid while the first keeps working, and of two started
 * at the same moment exactly one runs; a daemon killed
 * with SIGKILL leaves no stale lock; `--check` warns about a held spool but
 * passes; a daemon started with a lowered soft open-file limit raises it to
 * the hard limit. Every wait is bounded.
 */
#include "cm.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* The folders of the daemon in `dir`, as absolute paths, for a second
 * daemon's configuration (object members, no braces). Caller frees. */
static char *s_same_folders(const char *dir)
{
    return th_path("\"inbox\":\"%s/inbox\",\"outbox\":\"%s/outbox\",\"spool\":\"%s/spool\","
                   "\"done\":\"%s/done\",\"failed\":\"%s/failed\"",
                   dir, dir, dir, dir, dir);
}

/* Opens sub on d's endpoint and waits until it sees d live; when it does
 * not, fails the test with `failure` (th_sub_live has put d's log on
 * stderr). */
static void s_wait_live(struct th_daemon *d, struct th_sub *sub, const char *failure)
{
    if (th_sub_live(sub, d, 10000) != 0)
        fail_msg("%s (its log is above)", failure);
}

/* A daemon in a temp folder of its own, with a subscriber that has seen it
 * live: what most tests here start with. */
struct s_live {
    char *dir; /* owned */
    struct th_daemon d;
    struct th_sub sub;
};

static void s_live_start(struct s_live *l)
{
    l->dir = th_tempdir();
    assert_non_null(l->dir);
    assert_int_equal(th_daemon_start_live(&l->d, &l->sub, l->dir, "", 10000), 0);
}

/* Closes the subscriber, frees the daemon (stopping it if it runs) and
 * removes its folder. */
static void s_live_stop(struct s_live *l)
{
    th_sub_close(&l->sub);
    th_daemon_free(&l->d);
    th_rmrf(l->dir);
    free(l->dir);
}

/* Drops a small text article into dir/inbox and waits for its message. */
static void s_expect_processed(struct th_sub *sub, const char *dir, const char *name)
{
    static const char text[] = "The council met on Tuesday in Lyon. It approved the budget.\n";
    char *tmp = th_path("%s/%s.tmp", dir, name);
    char *dst = th_path("%s/inbox/%s", dir, name);
    assert_int_equal(th_write_file(tmp, text, strlen(text)), 0);
    assert_int_equal(rename(tmp, dst), 0);
    char topic[16];
    cJSON *j = th_sub_next(sub, 20000, topic, NULL);
    assert_non_null(j);
    assert_string_equal(topic, "article");
    cJSON_Delete(j);
    free(tmp);
    free(dst);
}

static void a_second_daemon_on_the_same_spool_exits_1_naming_the_first(void **state)
{
    (void)state;
    struct s_live first;
    s_live_start(&first);
    const char *dir = first.dir;

    /* Its own config and log in a subfolder, the first one's folders. */
    char *dir2 = th_path("%s/second", dir);
    assert_int_equal(mkdir(dir2, 0755), 0);
    char *folders = s_same_folders(dir);
    struct th_daemon d2;
    assert_int_equal(th_daemon_start(&d2, dir2, folders), 0);
    /* Signal 0 sends nothing: this only waits for it to exit. */
    int st = th_daemon_stop(&d2, 0, 10000);
    char *log2 = th_read_file(d2.log, NULL);
    assert_non_null(log2);
    if (st != 1)
        fail_msg("the second daemon did not exit 1 (status %d):\n%s", st, log2);
    char *pid = th_path("pid %ld", (long)first.d.pid);
    if (!strstr(log2, pid) || !strstr(log2, "spool"))
        fail_msg("the second daemon's message does not name %s:\n%s", pid, log2);

    /* The first one still has all the work. */
    s_expect_processed(&first.sub, dir, "after-second.txt");

    free(pid);
    free(log2);
    th_daemon_free(&d2);
    free(folders);
    free(dir2);
    s_live_stop(&first);
}

/* Whether pid has exited; its status then goes into *status. */
static int s_exited(pid_t pid, int *status)
{
    int st;
    if (waitpid(pid, &st, WNOHANG) != pid)
        return 0;
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 1;
}

static void two_daemons_started_together_leave_exactly_one_running(void **state)
{
    (void)state;
    char *dir = th_tempdir();
    assert_non_null(dir);
    char *dir_a = th_path("%s/a", dir), *dir_b = th_path("%s/b", dir);
    assert_int_equal(mkdir(dir_a, 0755), 0);
    assert_int_equal(mkdir(dir_b, 0755), 0);
    char *folders = s_same_folders(dir);
    struct th_daemon d[2];
    assert_int_equal(th_daemon_start(&d[0], dir_a, folders), 0);
    assert_int_equal(th_daemon_start(&d[1], dir_b, folders), 0);
    /* One of them must give up within a few seconds; the other stays. */
    int loser = -1, st = -1;
    for (uint64_t end = th_now_ms() + 10000; loser < 0 && th_now_ms() < end; usleep(10000)) {
        for (int i = 0; i < 2 && loser < 0; i++) {
            if (s_exited(d[i].pid, &st))
                loser = i;
        }
    }
    assert_true(loser >= 0);
    int winner = 1 - loser;
    pid_t lost_pid = d[loser].pid;
    d[loser].pid = 0;
    char *log = th_read_file(d[loser].log, NULL);
    assert_non_null(log);
    char *pid = th_path("pid %ld", (long)d[winner].pid);
    if (st != 1 || !strstr(log, pid))
        fail_msg("daemon %ld exited %d without naming %s:\n%s", (long)lost_pid, st, pid, log);
    struct th_sub sub;
    s_wait_live(&d[winner], &sub, "the daemon that stayed does not publish");
    s_expect_processed(&sub, dir, "after-race.txt");

    th_sub_close(&sub);
    free(pid);
    free(log);
    th_daemon_free(&d[0]);
    th_daemon_free(&d[1]);
    free(folders);
    free(dir_a);
    free(dir_b);
    th_rmrf(dir);
    free(dir);
}

static void a_daemon_killed_with_sigkill_leaves_no_stale_lock(void **state)
{
    (void)state;
    struct s_live l;
    s_live_start(&l);
    th_sub_close(&l.sub);
    assert_int_equal(th_daemon_stop(&l.d, SIGKILL, 5000), 128 + SIGKILL);

    assert_int_equal(th_daemon_restart(&l.d), 0);
    s_wait_live(&l.d, &l.sub, "no daemon after the SIGKILL");
    s_expect_processed(&l.sub, l.dir, "after-kill.txt");
    /* The lock file names the new holder. */
    char *lock = th_path("%s/spool/lock", l.dir);
    char *held = th_read_file(lock, NULL);
    assert_non_null(held);
    assert_int_equal(strtol(held, NULL, 10), (long)l.d.pid);

    free(held);
    free(lock);
    s_live_stop(&l);
}

/* Runs `presslined --check --config config.json` in dir (its folders are
 * relative to it) with stderr in out_path. Returns its exit status, or -1. */
static int s_check(const char *dir, const char *out_path)
{
    char *cmd = th_path("cd '%s' && '%s/bin/presslined' --check --config config.json >'%s' 2>&1",
                        dir, th_build_dir(), out_path);
    int st = system(cmd);
    free(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void check_warns_but_passes_when_a_daemon_holds_the_spool(void **state)
{
    (void)state;
    struct s_live l;
    s_live_start(&l);
    char *out = th_path("%s/check.log", l.dir);
    int st = s_check(l.dir, out);
    char *text = th_read_file(out, NULL);
    assert_non_null(text);
    if (st != 0)
        fail_msg("--check failed (status %d):\n%s", st, text);
    char *pid = th_path("pid %ld", (long)l.d.pid);
    if (!strstr(text, "WARN") || !strstr(text, pid))
        fail_msg("--check does not warn that pid %ld holds the spool:\n%s", (long)l.d.pid, text);
    /* The probe took nothing from the daemon. */
    s_expect_processed(&l.sub, l.dir, "after-check.txt");

    free(pid);
    free(text);
    free(out);
    s_live_stop(&l);
}

/* The "Max open files" soft and hard limits of process pid. */
static void s_nofile_of(pid_t pid, long long *soft, long long *hard)
{
    char *path = th_path("/proc/%ld/limits", (long)pid);
    char *text = th_read_file(path, NULL);
    assert_non_null(text);
    const char *line = strstr(text, "Max open files");
    assert_non_null(line);
    assert_int_equal(sscanf(line, "Max open files %lld %lld", soft, hard), 2);
    free(text);
    free(path);
}

static void the_daemon_raises_its_open_file_limit_to_the_hard_limit(void **state)
{
    (void)state;
    struct rlimit saved, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    if (saved.rlim_max <= 256)
        skip();
    /* The daemon inherits the lowered soft limit through fork and exec. */
    low = saved;
    low.rlim_cur = 256;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    /* Not s_live_start: the limit is restored as soon as the daemon runs. */
    struct s_live l;
    l.dir = th_tempdir();
    assert_non_null(l.dir);
    int rc = th_daemon_start(&l.d, l.dir, "");
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    assert_int_equal(rc, 0);
    s_wait_live(&l.d, &l.sub, "daemon did not start");

    long long soft, hard;
    s_nofile_of(l.d.pid, &soft, &hard);
    assert_true(hard > 256);
    if (soft != hard)
        fail_msg("the daemon's open-file limit is %lld, its hard limit %lld", soft, hard);
    char *log = th_read_file(l.d.log, NULL);
    assert_non_null(log);
    assert_non_null(strstr(log, "open-file limit"));

    free(log);
    s_live_stop(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_second_daemon_on_the_same_spool_exits_1_naming_the_first),
        cmocka_unit_test(two_daemons_started_together_leave_exactly_one_running),
        cmocka_unit_test(a_daemon_killed_with_sigkill_leaves_no_stale_lock),
        cmocka_unit_test(check_warns_but_passes_when_a_daemon_holds_the_spool),
        cmocka_unit_test(the_daemon_raises_its_open_file_limit_to_the_hard_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
