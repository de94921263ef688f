/* Intake without a read lease: the watcher's probe and the watcher as
 * another account, and the spool read's check that the file did not change
 * while it was read; and the watcher leaving alone the names its owner
 * already holds. */
#include "cm.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <uv.h>
#include <unistd.h>

#include "harness.h"
#include "spool.h"
#include "watch.h"

#define NOBODY 65534

struct grower {
    int fd;
    atomic_bool stop;
    atomic_long writes;
};

static void *s_grow(void *arg)
{
    struct grower *g = arg;
    while (!atomic_load(&g->stop)) {
        if (write(g->fd, "more text. ", 11) == 11)
            atomic_fetch_add(&g->writes, 1);
    }
    return NULL;
}

static void a_file_written_while_it_is_read_is_not_taken_as_read(void **state)
{
    (void)state;
    char *dir = th_tempdir();
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    int fd = openat(dfd, "growing.txt", O_WRONLY | O_CREAT | O_APPEND, 0644);
    assert_true(fd >= 0);
    /* Large enough that reading it takes many writes' time. */
    char *chunk = malloc(1 << 20);
    memset(chunk, 'a', 1 << 20);
    for (int i = 0; i < 16; i++)
        assert_int_equal(write(fd, chunk, 1 << 20), 1 << 20);
    free(chunk);
    struct grower g = { .fd = fd };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, s_grow, &g), 0);
    while (atomic_load(&g.writes) < 10)
        usleep(100);
    void *data = NULL;
    size_t len = 0;
    int rc = pl_read_file_at(dfd, "growing.txt", 1u << 30, false, &data, &len);
    atomic_store(&g.stop, true);
    pthread_join(t, NULL);
    close(fd);
    free(data);
    assert_int_equal(rc, -EAGAIN);
    /* Still now, the same file reads whole. */
    assert_int_equal(pl_read_file_at(dfd, "growing.txt", 1u << 30, false, &data, &len), 0);
    free(data);
    char why[256];
    const char *format = "text";
    pl_refusal_reason(-EAGAIN, 0, 0, &format, why, sizeof(why));
    assert_non_null(strstr(why, "changed while it was being read"));
    close(dfd);
    th_rmrf(dir);
    free(dir);
}

/* Runs the probes as NOBODY in a child (no CAP_LEASE, not the owner); each
 * failed expectation sets a bit of the exit code. */
static int s_probe_as_nobody(int dfd)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
            _exit(0x80);
        int bad = 0;
        /* A write seen and no close since: not ready, however old. */
        if (pl_watch_probe(dfd, "root.txt", 0, false, true) != 0)
            bad |= 1;
        /* No write pending and still for the settle time: ready. */
        if (pl_watch_probe(dfd, "root.txt", 0, true, false) != 1)
            bad |= 2;
        /* Just written (ctime now): not before settle_ms, event or not. */
        if (pl_watch_probe(dfd, "root.txt", 60000, true, false) != 0)
            bad |= 4;
        /* Unreadable: reported once quiet, so it can fail with the reason. */
        if (pl_watch_is_ready(dfd, "secret.txt", 0, false) != 1)
            bad |= 8;
        if (pl_watch_probe(dfd, "secret.txt", 0, false, true) != 0)
            bad |= 16;
        void *data = NULL;
        size_t len = 0;
        if (pl_read_file_at(dfd, "secret.txt", 1024, false, &data, &len) != -EACCES)
            bad |= 32;
        _exit(bad);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

/* A new temp folder NOBODY may read, open as a directory in *dfd. Caller
 * closes *dfd, removes the folder and frees its path. */
static char *s_folder_for_nobody(int *dfd)
{
    char *dir = th_tempdir();
    assert_int_equal(chmod(dir, 0755), 0);
    *dfd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(*dfd >= 0);
    return dir;
}

/* Creates name in dfd with mode and writes text to it. Returns its
 * descriptor, still open: the caller closes it when the writer is done. */
static int s_create_at(int dfd, const char *name, mode_t mode, const char *text)
{
    int fd = openat(dfd, name, O_WRONLY | O_CREAT, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    return fd;
}

static void without_a_lease_the_probe_trusts_events_and_ctime(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    int dfd;
    char *dir = s_folder_for_nobody(&dfd);
    close(s_create_at(dfd, "root.txt", 0644, "half"));
    close(s_create_at(dfd, "secret.txt", 0600, "root only"));
    assert_int_equal(s_probe_as_nobody(dfd), 0);
    close(dfd);
    th_rmrf(dir);
    free(dir);
}

static long long s_mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int s_report_fd = -1;

static void s_on_ready(struct pl_watch *w, const char *name, int fd)
{
    if (fd >= 0)
        close(fd);
    long long at = s_mono_ms();
    if (strcmp(name, "root.txt") == 0) {
        if (write(s_report_fd, &at, sizeof(at)) != (ssize_t)sizeof(at))
            _exit(3);
        uv_stop(w->loop);
    }
}

/* The watcher as NOBODY on dfd: says "watching" on ready_fd, then writes
 * the time root.txt was reported on report_fd. Never returns. */
static void s_watch_as_nobody(int dfd, int ready_fd, int report_fd)
{
    if (setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
        _exit(1);
    /* The watcher names the folder by /proc/self/fd, which a process that
     * changed its user without exec may not open. */
    prctl(PR_SET_DUMPABLE, 1);
    uv_loop_t loop;
    struct pl_watch w = { 0 };
    s_report_fd = report_fd;
    if (uv_loop_init(&loop) != 0 || pl_watch_start(&w, &loop, dfd, 500, 60000, s_on_ready) != 0)
        _exit(2);
    char c = 'w';
    if (write(ready_fd, &c, 1) != 1)
        _exit(3);
    uv_run(&loop, UV_RUN_DEFAULT);
    _exit(0);
}

static void a_write_after_the_watcher_starts_holds_an_old_file_until_its_close(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    int dfd;
    char *dir = s_folder_for_nobody(&dfd);
    /* Root's file, half written, its ctime older than the settle time when
     * the watcher starts: only the write that follows shows the writer. */
    int fd = s_create_at(dfd, "root.txt", 0644, "half ");
    usleep(700 * 1000);
    int ready[2], report[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(report), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* The writer's descriptor stays the parent's alone, or its close
         * would not be the last one and no close-write would come. */
        close(fd);
        s_watch_as_nobody(dfd, ready[1], report[1]);
    }
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    usleep(100 * 1000);
    assert_int_equal(write(fd, "and the rest", 12), 12);
    usleep(800 * 1000);
    long long closed_at = s_mono_ms();
    close(fd);
    struct pollfd p = { .fd = report[0], .events = POLLIN };
    long long at = 0;
    int got = poll(&p, 1, 5000) == 1 && read(report[0], &at, sizeof(at)) == (ssize_t)sizeof(at);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(ready[0]);
    close(ready[1]);
    close(report[0]);
    close(report[1]);
    close(dfd);
    th_rmrf(dir);
    free(dir);
    assert_true(got);
    /* Reported after the close, not at the first scan. */
    assert_true(at >= closed_at);
}

/* The names the owner holds, what the watcher reported, and the deadline. */
struct held {
    int dfd;
    int asked_held; /* how often the watcher asked about a held name */
    bool held_reported, dropped;
    bool fresh_reported; /* "fresh.txt", renamed in after the scan */
    uv_timer_t deadline;
};

static bool s_held(struct pl_watch *w, const char *name)
{
    struct held *h = w->data;
    bool held = !strcmp(name, "held.txt") || !strcmp(name, "held-too.txt");
    h->asked_held += held;
    return held;
}

static void s_on_reported(struct pl_watch *w, const char *name, int fd)
{
    struct held *h = w->data;
    if (fd >= 0)
        close(fd);
    if (!strcmp(name, "held.txt") || !strcmp(name, "held-too.txt"))
        h->held_reported = true;
    if (!strcmp(name, "free.txt") && !h->dropped) {
        /* After the first scan: one held name and one not arrive by rename,
         * the held one first, so its event is read before the other's. */
        h->dropped = true;
        close(s_create_at(h->dfd, ".a.tmp", 0644, "text"));
        close(s_create_at(h->dfd, ".b.tmp", 0644, "text"));
        assert_int_equal(renameat(h->dfd, ".a.tmp", h->dfd, "held-too.txt"), 0);
        assert_int_equal(renameat(h->dfd, ".b.tmp", h->dfd, "fresh.txt"), 0);
    }
    if (!strcmp(name, "fresh.txt")) {
        h->fresh_reported = true;
        uv_stop(w->loop);
    }
}

static void s_on_deadline(uv_timer_t *t)
{
    uv_stop(t->loop);
}

static void s_closed(struct pl_watch *w)
{
    (void)w;
}

static void a_name_the_owner_holds_is_not_looked_at_again(void **state)
{
    (void)state;
    char *dir = th_tempdir();
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    /* Settled files, as a scan finds them: their mtime well in the past. */
    const char *old[] = { "held.txt", "free.txt" };
    struct timespec past[2] = { { .tv_sec = 1000000 }, { .tv_sec = 1000000 } };
    for (int i = 0; i < 2; i++) {
        close(s_create_at(dfd, old[i], 0644, "text"));
        assert_int_equal(utimensat(dfd, old[i], past, 0), 0);
    }
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct held h = { .dfd = dfd };
    struct pl_watch w = { .data = &h, .known = s_held };
    assert_int_equal(pl_watch_start(&w, &loop, dfd, 100, 60000, s_on_reported), 0);
    assert_int_equal(uv_timer_init(&loop, &h.deadline), 0);
    assert_int_equal(uv_timer_start(&h.deadline, s_on_deadline, 10000, 0), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    pl_watch_close(&w, s_closed);
    uv_close((uv_handle_t *)&h.deadline, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    close(dfd);
    th_rmrf(dir);
    free(dir);
    assert_true(h.fresh_reported);
    /* Asked about at the scan and at the event, and never reported. */
    assert_true(h.asked_held >= 2);
    assert_false(h.held_reported);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_file_written_while_it_is_read_is_not_taken_as_read),
        cmocka_unit_test(without_a_lease_the_probe_trusts_events_and_ctime),
        cmocka_unit_test(a_write_after_the_watcher_starts_holds_an_old_file_until_its_close),
        cmocka_unit_test(a_name_the_owner_holds_is_not_looked_at_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
