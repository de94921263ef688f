/*
 * The real daemon speaking systemd's notify protocol to a datagram socket
 * the test owns (NOTIFY_SOCKET), with a watchdog of 400 ms (WATCHDOG_USEC,
 * WATCHDOG_PID: a ping every 200 ms). One stage is "spawn": "none", so the
 * test decides when it has a live worker: no READY=1 and no ping before a
 * `pressline worker` connects; READY=1, STATUS= lines and pings after; the
 * pings stop once that worker is killed and the broker takes it as dead,
 * and come back with a new one; STOPPING=1 on SIGTERM (issue 16, point 1).
 */
#include "cm.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "notify_socket.h"

#define PING_MS 200 /* half of WATCHDOG_USEC */

static char *s_notify_path;

static void s_systemd_env(void)
{
    char pid[32];
    snprintf(pid, sizeof(pid), "%d", (int)getpid()); /* the daemon's: exec keeps it */
    setenv("NOTIFY_SOCKET", s_notify_path, 1);
    setenv("WATCHDOG_USEC", "400000", 1);
    setenv("WATCHDOG_PID", pid, 1);
}

/* Starts `pressline worker` for the stage "remote" at endpoint. */
static pid_t s_worker(const char *endpoint)
{
    char *exe = th_path("%s/bin/pressline", th_build_dir());
    char *plugin = th_path("%s/testkit.so", th_test_plugin_dir());
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execl(exe, "pressline", "worker", "--connect", endpoint, "--stage", "remote", "--plugin",
              plugin, "--heartbeat-ms", "100", (char *)NULL);
        _exit(127);
    }
    free(exe);
    free(plugin);
    return pid;
}

/* Reads messages until one has `line` (or a line starting with it, with
 * prefix), within timeout_ms. Counts the WATCHDOG=1 pings seen on the way
 * into *pings when pings is not NULL. Returns 1 when found. */
static int s_wait_line(int fd, const char *line, int prefix, int timeout_ms, int *pings)
{
    uint64_t end = th_now_ms() + (uint64_t)timeout_ms;
    char msg[1024];
    while (th_now_ms() < end) {
        if (tn_recv(fd, (int)(end - th_now_ms()), msg, sizeof(msg)) < 0)
            continue;
        if (pings && tn_has(msg, "WATCHDOG=1", 0))
            (*pings)++;
        if (tn_has(msg, line, prefix))
            return 1;
    }
    return 0;
}

/* Reads every message for ms; returns how many had `line`. */
static int s_count_for(int fd, const char *line, int ms)
{
    uint64_t end = th_now_ms() + (uint64_t)ms;
    int n = 0;
    char msg[1024];
    while (th_now_ms() < end)
        if (tn_recv(fd, (int)(end - th_now_ms()), msg, sizeof(msg)) >= 0)
            n += tn_has(msg, line, 0);
    return n;
}

/* Waits until no ping has come for quiet_ms, within timeout_ms. Returns 1
 * when such a silence came. */
static int s_wait_silence(int fd, int quiet_ms, int timeout_ms)
{
    uint64_t end = th_now_ms() + (uint64_t)timeout_ms, last = th_now_ms();
    char msg[1024];
    while (th_now_ms() < end) {
        if (th_now_ms() - last >= (uint64_t)quiet_ms)
            return 1;
        if (tn_recv(fd, 20, msg, sizeof(msg)) >= 0 && tn_has(msg, "WATCHDOG=1", 0))
            last = th_now_ms();
    }
    return 0;
}

static void s_kill(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void ready_status_watchdog_and_stopping_follow_the_workers(void **st)
{
    (void)st;
    char *dir = th_tempdir();
    assert_non_null(dir);
    s_notify_path = th_path("%s/notify", dir);
    int fd = tn_open(s_notify_path);
    assert_true(fd >= 0);
    char *endpoint = th_path("ipc://%s/remote.sock", dir);
    char *extra = th_path("\"workers\":{\"heartbeat_ms\":100,\"dead_after_ms\":500},"
                          "\"stages\":[{\"name\":\"clean\"},{\"name\":\"remote\",\"plugin\":"
                          "\"%s/testkit.so\",\"spawn\":\"none\",\"endpoint\":\"%s\"}]",
                          th_test_plugin_dir(), endpoint);
    struct th_daemon d;
    struct th_sub sub;
    assert_int_equal(th_daemon_start_with(&d, dir, extra, s_systemd_env), 0);
    assert_int_equal(th_sub_live(&sub, &d, 10000), 0);
    /* Up, but a stage has no worker: neither ready nor alive for systemd. */
    char msg[1024];
    int early_ready = 0, early_pings = 0;
    uint64_t end = th_now_ms() + 5 * PING_MS;
    while (th_now_ms() < end)
        if (tn_recv(fd, (int)(end - th_now_ms()), msg, sizeof(msg)) >= 0) {
            early_ready += tn_has(msg, "READY=1", 0);
            early_pings += tn_has(msg, "WATCHDOG=1", 0);
        }
    assert_int_equal(early_ready, 0);
    assert_int_equal(early_pings, 0);

    pid_t w = s_worker(endpoint);
    assert_true(w > 0);
    assert_true(s_wait_line(fd, "READY=1", 0, 10000, NULL));
    assert_true(s_wait_line(fd,
                            "STATUS=0 processed, 0 failed, 0 in flight, 0 queued, intake running; "
                            "2 of 2 stages with a live worker",
                            0, 3000, NULL));
    assert_true(s_count_for(fd, "WATCHDOG=1", 10 * PING_MS) >= 3);

    /* The worker dies: once the broker takes it as dead (500 ms without a
     * heartbeat), the pings stop. */
    s_kill(w);
    assert_true(s_wait_silence(fd, 5 * PING_MS, 8000));
    assert_int_equal(s_count_for(fd, "WATCHDOG=1", 3 * PING_MS), 0);

    char *log = th_read_file(d.log, NULL);
    assert_non_null(strstr(log, "no live worker in stage remote: not pinging"));
    free(log);
    /* A new worker brings them back. */
    w = s_worker(endpoint);
    assert_true(w > 0);
    assert_true(s_wait_line(fd, "WATCHDOG=1", 0, 10000, NULL));

    kill(d.pid, SIGTERM);
    assert_true(s_wait_line(fd, "STOPPING=1", 0, 5000, NULL));
    assert_int_equal(th_daemon_stop(&d, SIGTERM, 10000), 0);
    s_kill(w);
    th_sub_close(&sub);
    th_daemon_free(&d);
    close(fd);
    th_rmrf(dir);
    free(dir);
    free(s_notify_path);
    free(endpoint);
    free(extra);
}

/* A reload: RELOADING=1, then READY=1 once the new stages live, for a
 * reload taken and one refused alike; READY=1 never comes before
 * RELOADING=1, and the pings go on across both. */
static void a_reload_is_reloading_then_ready(void **st)
{
    (void)st;
    char *dir = th_tempdir();
    assert_non_null(dir);
    s_notify_path = th_path("%s/notify", dir);
    int fd = tn_open(s_notify_path);
    assert_true(fd >= 0);
    struct th_daemon d;
    struct th_sub sub;
    const char *one = "\"stages\":[{\"name\":\"clean\"}]";
    assert_int_equal(th_daemon_start_with(&d, dir, one, s_systemd_env), 0);
    assert_int_equal(th_sub_live(&sub, &d, 10000), 0);
    assert_true(s_wait_line(fd, "READY=1", 0, 10000, NULL));
    /* Taken: two workers instead of one. */
    assert_int_equal(th_daemon_write_config(&d, "\"stages\":[{\"name\":\"clean\",\"workers\":2}]"),
                     0);
    kill(d.pid, SIGHUP);
    assert_true(s_wait_line(fd, "RELOADING=1", 0, 5000, NULL));
    int pings = 0;
    assert_true(s_wait_line(fd, "READY=1", 0, 5000, &pings));
    assert_true(s_count_for(fd, "WATCHDOG=1", 5 * PING_MS) >= 2);
    /* Refused (an unknown key): RELOADING=1, READY=1 again, and the old
     * stages run on. */
    assert_int_equal(th_daemon_write_config(&d, "\"stages\":[{\"name\":\"clean\",\"wrkers\":2}]"),
                     0);
    kill(d.pid, SIGHUP);
    assert_true(s_wait_line(fd, "RELOADING=1", 0, 5000, NULL));
    assert_true(s_wait_line(fd, "READY=1", 0, 5000, NULL));
    assert_true(s_count_for(fd, "WATCHDOG=1", 5 * PING_MS) >= 2);
    char *log = th_read_file(d.log, NULL);
    assert_non_null(strstr(log, "reload refused"));
    free(log);
    kill(d.pid, SIGTERM);
    assert_true(s_wait_line(fd, "STOPPING=1", 0, 5000, NULL));
    assert_int_equal(th_daemon_stop(&d, SIGTERM, 10000), 0);
    th_sub_close(&sub);
    th_daemon_free(&d);
    close(fd);
    th_rmrf(dir);
    free(dir);
    free(s_notify_path);
}

/* A stage whose workers are started elsewhere and never came: the daemon
 * was never ready, and a reload does not make it so. */
static void a_reload_does_not_say_ready_without_live_workers(void **st)
{
    (void)st;
    char *dir = th_tempdir();
    assert_non_null(dir);
    s_notify_path = th_path("%s/notify", dir);
    int fd = tn_open(s_notify_path);
    assert_true(fd >= 0);
    char *endpoint = th_path("ipc://%s/remote.sock", dir);
    char *stages = th_path("\"stages\":[{\"name\":\"clean\"%s},{\"name\":\"remote\",\"plugin\":"
                           "\"%s/testkit.so\",\"spawn\":\"none\",\"endpoint\":\"%s\"}]",
                           "", th_test_plugin_dir(), endpoint);
    char *stages2 = th_path("\"stages\":[{\"name\":\"clean\"%s},{\"name\":\"remote\",\"plugin\":"
                            "\"%s/testkit.so\",\"spawn\":\"none\",\"endpoint\":\"%s\"}]",
                            ",\"workers\":2", th_test_plugin_dir(), endpoint);
    struct th_daemon d;
    struct th_sub sub;
    assert_int_equal(th_daemon_start_with(&d, dir, stages, s_systemd_env), 0);
    assert_int_equal(th_sub_live(&sub, &d, 10000), 0);
    assert_int_equal(s_count_for(fd, "READY=1", 3 * PING_MS), 0);
    assert_int_equal(th_daemon_write_config(&d, stages2), 0);
    kill(d.pid, SIGHUP);
    assert_true(s_wait_line(fd, "RELOADING=1", 0, 5000, NULL));
    assert_int_equal(s_count_for(fd, "READY=1", 10 * PING_MS), 0);
    char *log = th_read_file(d.log, NULL);
    assert_non_null(strstr(log, "generation 2"));
    free(log);
    assert_int_equal(th_daemon_stop(&d, SIGTERM, 10000), 0);
    th_sub_close(&sub);
    th_daemon_free(&d);
    close(fd);
    th_rmrf(dir);
    free(dir);
    free(s_notify_path);
    free(endpoint);
    free(stages);
    free(stages2);
}

/* Stages on ipc:// can be bound once: a reload's new stages wait until the
 * old ones have finished what they hold. Those are still at work, so the
 * watchdog must go on meanwhile (a drain may outlast WatchdogSec), and
 * READY=1 comes once the new stages run. */
static void the_watchdog_goes_on_while_a_reload_waits_for_the_old_stages(void **st)
{
    (void)st;
    char *dir = th_tempdir();
    assert_non_null(dir);
    s_notify_path = th_path("%s/notify", dir);
    int fd = tn_open(s_notify_path);
    assert_true(fd >= 0);
    char *endpoint = th_path("ipc://%s/slow.sock", dir);
    char *stages = th_path("\"stages\":[{\"name\":\"slow\",\"plugin\":\"%s/testkit.so\","
                           "\"endpoint\":\"%s\",\"options\":{\"sleep_ms\":%d}}]",
                           th_test_plugin_dir(), endpoint, 12 * PING_MS);
    char *stages2 = th_path("\"stages\":[{\"name\":\"slow\",\"plugin\":\"%s/testkit.so\","
                            "\"endpoint\":\"%s\",\"workers\":2}]",
                            th_test_plugin_dir(), endpoint);
    struct th_daemon d;
    struct th_sub sub;
    assert_int_equal(th_daemon_start_with(&d, dir, stages, s_systemd_env), 0);
    assert_int_equal(th_sub_live(&sub, &d, 10000), 0);
    assert_true(s_wait_line(fd, "READY=1", 0, 10000, NULL));
    char *tmp = th_path("%s/inbox/.a.txt", dir), *name = th_path("%s/inbox/a.txt", dir);
    static const char text[] = "Ministers met in Brussels on Tuesday to talk about the budget.";
    assert_int_equal(th_write_file(tmp, text, sizeof(text) - 1), 0);
    assert_int_equal(rename(tmp, name), 0);
    /* Wait until it is claimed (in the spool's work folder), then reload
     * while the slow stage holds it. */
    char *work = th_path("%s/spool/work", dir);
    uint64_t end = th_now_ms() + 10000;
    while (th_now_ms() < end && th_count_dir(work) != 1)
        usleep(20000);
    assert_int_equal(th_count_dir(work), 1);
    free(work);
    assert_int_equal(th_daemon_write_config(&d, stages2), 0);
    kill(d.pid, SIGHUP);
    assert_true(s_wait_line(fd, "RELOADING=1", 0, 5000, NULL));
    /* The old stage sleeps 12 pings' worth on the article: pings go on. */
    assert_true(s_count_for(fd, "WATCHDOG=1", 6 * PING_MS) >= 3);
    assert_true(s_wait_line(fd, "READY=1", 0, 20000, NULL));
    char *log = th_read_file(d.log, NULL);
    assert_non_null(strstr(log, "new files wait until then"));
    free(log);
    assert_int_equal(th_daemon_stop(&d, SIGTERM, 20000), 0);
    th_sub_close(&sub);
    th_daemon_free(&d);
    close(fd);
    th_rmrf(dir);
    free(dir);
    free(s_notify_path);
    free(endpoint);
    free(stages);
    free(stages2);
    free(tmp);
    free(name);
}

static void without_notify_socket_the_daemon_runs_as_before(void **st)
{
    (void)st;
    char *dir = th_tempdir();
    struct th_daemon d;
    struct th_sub sub;
    unsetenv("NOTIFY_SOCKET");
    assert_int_equal(
        th_daemon_start_live(&d, &sub, dir, "\"stages\":[{\"name\":\"clean\"}]", 10000), 0);
    assert_int_equal(th_daemon_stop(&d, SIGTERM, 10000), 0);
    char *log = th_read_file(d.log, NULL);
    assert_non_null(log);
    assert_null(strstr(log, "watchdog"));
    free(log);
    th_sub_close(&sub);
    th_daemon_free(&d);
    th_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ready_status_watchdog_and_stopping_follow_the_workers),
        cmocka_unit_test(a_reload_is_reloading_then_ready),
        cmocka_unit_test(a_reload_does_not_say_ready_without_live_workers),
        cmocka_unit_test(the_watchdog_goes_on_while_a_reload_waits_for_the_old_stages),
        cmocka_unit_test(without_notify_socket_the_daemon_runs_as_before),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
