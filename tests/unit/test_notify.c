/* daemon/notify.c against a socket posing as systemd's: each message as
 * the protocol spells it, and nothing at all without NOTIFY_SOCKET (issue
 * 16, point 1). */
#include "cm.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "notify.h"
#include "notify_socket.h"

static char *s_dir;
static int s_fd = -1;

static int s_setup(void **st)
{
    (void)st;
    s_dir = th_tempdir();
    char *path = th_path("%s/notify", s_dir);
    s_fd = tn_open(path);
    setenv("NOTIFY_SOCKET", path, 1);
    free(path);
    return s_fd >= 0 ? 0 : -1;
}

static int s_teardown(void **st)
{
    (void)st;
    unsetenv("NOTIFY_SOCKET");
    close(s_fd);
    th_rmrf(s_dir);
    free(s_dir);
    return 0;
}

static void each_message_is_sent_as_the_protocol_spells_it(void **st)
{
    (void)st;
    char msg[512];
    pl_notify_ready();
    assert_true(tn_recv(s_fd, 2000, msg, sizeof(msg)) > 0);
    assert_string_equal(msg, "READY=1");
    pl_notify_stopping();
    assert_true(tn_recv(s_fd, 2000, msg, sizeof(msg)) > 0);
    assert_string_equal(msg, "STOPPING=1");
    pl_notify_watchdog();
    assert_true(tn_recv(s_fd, 2000, msg, sizeof(msg)) > 0);
    assert_string_equal(msg, "WATCHDOG=1");
    pl_notify_status("3 processed");
    assert_true(tn_recv(s_fd, 2000, msg, sizeof(msg)) > 0);
    assert_string_equal(msg, "STATUS=3 processed");
}

static void reloading_carries_the_monotonic_clock(void **st)
{
    (void)st;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t before = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    pl_notify_reloading();
    char msg[512];
    assert_true(tn_recv(s_fd, 2000, msg, sizeof(msg)) > 0);
    assert_true(tn_has(msg, "RELOADING=1", 0));
    const char *m = strstr(msg, "MONOTONIC_USEC=");
    assert_non_null(m);
    uint64_t usec = strtoull(m + 15, NULL, 10);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t after = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    assert_true(usec >= before && usec <= after);
}

static void the_watchdog_period_is_this_process_s_only(void **st)
{
    (void)st;
    char pid[32];
    setenv("WATCHDOG_USEC", "400000", 1);
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    setenv("WATCHDOG_PID", pid, 1);
    assert_int_equal(pl_notify_watchdog_usec(), 400000);
    /* Meant for another process (a parent's variables inherited). */
    snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
    setenv("WATCHDOG_PID", pid, 1);
    assert_int_equal(pl_notify_watchdog_usec(), 0);
    unsetenv("WATCHDOG_PID");
    unsetenv("WATCHDOG_USEC");
    assert_int_equal(pl_notify_watchdog_usec(), 0);
}

static void without_notify_socket_nothing_is_sent(void **st)
{
    (void)st;
    char *saved = strdup(getenv("NOTIFY_SOCKET"));
    unsetenv("NOTIFY_SOCKET");
    setenv("WATCHDOG_USEC", "400000", 1);
    assert_false(pl_notify_enabled());
    assert_int_equal(pl_notify_watchdog_usec(), 0);
    pl_notify_ready();
    pl_notify_reloading();
    pl_notify_watchdog();
    pl_notify_stopping();
    char msg[64];
    assert_int_equal(tn_recv(s_fd, 200, msg, sizeof(msg)), -1);
    unsetenv("WATCHDOG_USEC");
    setenv("NOTIFY_SOCKET", saved, 1);
    free(saved);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_message_is_sent_as_the_protocol_spells_it),
        cmocka_unit_test(reloading_carries_the_monotonic_clock),
        cmocka_unit_test(the_watchdog_period_is_this_process_s_only),
        cmocka_unit_test(without_notify_socket_nothing_is_sent),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
