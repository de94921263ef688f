/*
 * Worker-process supervision: procs starts the configured `pressline worker`
 * processes (from the build's bin/), starts another when one dies, and
 * leaves no process behind when it stops. A real broker on the stage's ipc
 * endpoint shows the processes serve the stage (testkit plugin); its loop,
 * recorders and bounded waits are broker_fixture.h's. Every wait is
 * bounded; a test fails when its deadline passes.
 */
#include "cm.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "broker_fixture.h"
#include "procs.h"

/* The broker side (loop, broker, recorders, articles) is broker_fixture.h's;
 * the supervisor and the temp folder for its ipc endpoint are this test's. */
struct fx {
    struct bf_fx bf;
    char *dir; /* temp folder for the ipc endpoint; owned */
    struct pl_procs p;
    bool procs_open, procs_closed;
};

/* pl_procs has no data pointer: its fixture is the struct around it. */
static void s_on_procs_closed(struct pl_procs *p)
{
    struct fx *f = (struct fx *)(void *)((char *)p - offsetof(struct fx, p));
    f->procs_closed = true;
}

/* How many processes have this one as their parent (zombies included: a
 * child nobody reaped is left behind too). */
static int s_children(void)
{
    DIR *d = opendir("/proc");
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char *path = th_path("/proc/%s/stat", e->d_name);
        char *stat = th_read_file(path, NULL);
        free(path);
        /* "pid (comm) state ppid ...": comm may hold spaces, so read from
         * its closing parenthesis. */
        char *close = stat ? strrchr(stat, ')') : NULL;
        char state;
        int ppid;
        if (close && sscanf(close + 1, " %c %d", &state, &ppid) == 2 && ppid == (int)getpid())
            n++;
        free(stat);
    }
    closedir(d);
    return n;
}

/* Whether a worker id names process pid: process workers are named
 * "w<pid>-<random>". */
static bool s_names(const struct pl_ident *id, int pid)
{
    char prefix[32];
    size_t n = (size_t)snprintf(prefix, sizeof(prefix), "w%d-", pid);
    return id->len > n && !memcmp(id->id, prefix, n);
}

/* Whether the broker has heard from process pid at all. */
static bool s_known(struct fx *f, int pid)
{
    const struct pl_stage_rt *s = &f->bf.b.stages[0];
    for (size_t i = 0; i < s->nworkers; i++)
        if (s_names(&s->workers[i].ident, pid))
            return true;
    return false;
}

/* Whether process pid serves the stage: the broker holds it as idle (it
 * said READY and holds no job) and has its heartbeats, so its death would
 * be noticed. */
static bool s_serving(struct fx *f, int pid)
{
    const struct pl_stage_rt *s = &f->bf.b.stages[0];
    for (size_t i = 0; i < s->nworkers; i++) {
        const struct pl_worker_rec *w = &s->workers[i];
        if (s_names(&w->ident, pid) && w->ready && w->nheld == 0 && w->heartbeats)
            return true;
    }
    return false;
}

/* Starts a broker and the supervisor for one stage "t" of `workers`
 * `pressline worker` processes running testkit with options, on an ipc
 * endpoint in a temp folder. Workers heartbeat every 50 ms and are dead
 * after 300 ms of silence. */
static void s_start(struct fx *f, const char *spawn, int workers, int max_attempts, int timeout_ms,
                    const char *options)
{
    f->dir = th_tempdir();
    assert_non_null(f->dir);
    char *json =
        th_path("{\"workers\":{\"heartbeat_ms\":50,\"dead_after_ms\":300},"
                "\"stages\":[{\"name\":\"t\",\"plugin\":\"%s/testkit.so\","
                "\"workers\":%d,\"endpoint\":\"ipc://%s/t.sock\",\"timeout_ms\":%d,"
                "\"max_attempts\":%d,\"spawn\":\"%s\",\"options\":%s}]}",
                th_test_plugin_dir(), workers, f->dir, timeout_ms, max_attempts, spawn, options);
    char err[1024];
    struct pl_config *cfg = NULL;
    if (pl_config_load_text(json, "test_procs", th_build_dir(), &cfg, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    free(json);
    bf_start_with(&f->bf, cfg);
    char *bin = th_path("%s/bin", th_build_dir());
    int rc = pl_procs_start(&f->p, &f->bf.loop, f->bf.cfg, bin);
    free(bin);
    f->procs_open = true;
    assert_int_equal(rc, 0);
}

/* Submits a new article holding a copy of doc (freed at teardown). */
static struct pl_article *s_submit(struct fx *f, const char *doc)
{
    struct pl_article *a = bf_article(&f->bf, doc);
    pl_broker_submit(&f->bf.b, a);
    return a;
}

static void s_stop_procs(struct fx *f)
{
    if (f->procs_open && !f->p.stopping)
        pl_procs_stop(&f->p, 1000, s_on_procs_closed);
}

static int s_setup(void **state)
{
    *state = calloc(1, sizeof(struct fx));
    return *state ? 0 : -1;
}

/* Stops the supervisor first, so that bf_fini's run of the loop also sees
 * its processes reaped and its handles closed. */
static int s_teardown(void **state)
{
    struct fx *f = *state;
    s_stop_procs(f);
    bf_fini(&f->bf);
    assert_true(!f->procs_open || f->procs_closed);
    th_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Starts one process worker, waits until it serves the stage, kills it
 * with SIGKILL and waits until the supervisor has seen it die. Returns the
 * dead process's pid. */
static int s_start_one_and_kill_it(struct fx *f)
{
    s_start(f, "process", 1, 3, 5000, "{}");
    int pid = f->p.v[0].handle.pid;
    BF_RUN_UNTIL(&f->bf, s_serving(f, pid), 10000);
    assert_int_equal(kill(pid, SIGKILL), 0);
    BF_RUN_UNTIL(&f->bf, !f->p.v[0].running, 5000);
    return pid;
}

static void the_configured_worker_processes_start_and_serve_the_stage(void **state)
{
    struct fx *f = *state;
    s_start(f, "process", 2, 3, 5000, "{\"sleep_ms\":200}");
    assert_int_equal(f->p.n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_true(f->p.v[i].running);
        assert_string_equal(f->p.v[i].stage, "t");
        char *path = th_path("%s/bin/pressline", th_build_dir());
        assert_string_equal(f->p.v[i].argv[0], path);
        assert_string_equal(f->p.v[i].argv[1], "worker");
        free(path);
    }
    int pid0 = f->p.v[0].handle.pid, pid1 = f->p.v[1].handle.pid;
    assert_true(pid0 > 0 && pid1 > 0 && pid0 != pid1);
    assert_int_equal(s_children(), 2);
    BF_RUN_UNTIL(&f->bf, s_serving(f, pid0) && s_serving(f, pid1), 10000);
    struct pl_article *a1 = s_submit(f, "{\"raw\":\"one\"}");
    struct pl_article *a2 = s_submit(f, "{\"raw\":\"two\"}");
    /* Each takes 200 ms: both out before either is back means each
     * process holds one. */
    BF_RUN_UNTIL(&f->bf, a1->dispatched && a2->dispatched, 5000);
    assert_int_equal(f->bf.ndone, 0);
    BF_RUN_UNTIL(&f->bf, f->bf.ndone == 2, 5000);
    assert_int_equal(f->bf.nfailed, 0);
}

static void
a_worker_process_killed_with_sigkill_is_restarted_and_the_stage_works_again(void **state)
{
    struct fx *f = *state;
    int old = s_start_one_and_kill_it(f);
    /* Reaped, not left as a zombie. */
    assert_int_equal(kill(old, 0), -1);
    assert_int_equal(errno, ESRCH);
    BF_RUN_UNTIL(&f->bf, f->p.v[0].running, 5000);
    int pid = f->p.v[0].handle.pid;
    assert_true(pid > 0 && pid != old);
    assert_int_equal(s_children(), 1);
    BF_RUN_UNTIL(&f->bf, s_serving(f, pid), 10000);
    assert_false(s_known(f, old));
    s_submit(f, "{\"raw\":\"after the restart\"}");
    BF_RUN_UNTIL(&f->bf, f->bf.ndone == 1, 5000);
    assert_int_equal(f->bf.nfailed, 0);
}

static void
a_document_that_crashes_its_worker_process_is_quarantined_after_max_attempts(void **state)
{
    struct fx *f = *state;
    s_start(f, "process", 1, 2, 1500, "{\"crash_on\":\"boom\"}");
    BF_RUN_UNTIL(&f->bf, s_serving(f, f->p.v[0].handle.pid), 10000);
    struct pl_article *a = s_submit(f, "{\"raw\":\"boom\"}");
    /* Each attempt kills the process; the supervisor starts another after
     * a second, and the broker gives it the article again. The first death
     * is seen by the silence of its heartbeats. A restarted process takes
     * the article as soon as it says READY and may die before its first
     * heartbeat reaches the broker, which then sees that death only when
     * the stage times out: either reason is the daemon's. */
    BF_RUN_UNTIL(&f->bf, f->bf.nfailed == 1, 15000);
    assert_ptr_equal(f->bf.failed[0], a);
    assert_string_equal(a->fail_stage, "t");
    assert_int_equal(a->attempts, 2);
    assert_true(a->crashes >= 1);
    if (a->crashes == 2)
        assert_string_equal(a->fail_reason,
                            "crashed the t stage 2 times (its worker died each time)");
    else
        assert_string_equal(a->fail_reason,
                            "stage t failed 2 times: 1 worker crashes, 1 timeouts after 1500 ms");
    BF_RUN_UNTIL(&f->bf, f->p.v[0].running && s_serving(f, f->p.v[0].handle.pid), 10000);
    s_submit(f, "{\"raw\":\"harmless\"}");
    BF_RUN_UNTIL(&f->bf, f->bf.ndone == 1, 5000);
}

static void stopping_the_supervisor_leaves_no_worker_process_behind(void **state)
{
    struct fx *f = *state;
    s_start(f, "process", 2, 3, 5000, "{}");
    int pids[2] = { f->p.v[0].handle.pid, f->p.v[1].handle.pid };
    BF_RUN_UNTIL(&f->bf, s_serving(f, pids[0]) && s_serving(f, pids[1]), 10000);
    assert_int_equal(s_children(), 2);
    s_stop_procs(f);
    BF_RUN_UNTIL(&f->bf, f->procs_closed, 5000);
    assert_int_equal(s_children(), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(kill(pids[i], 0), -1);
        assert_int_equal(errno, ESRCH);
    }
    assert_null(f->p.v);
    assert_int_equal(f->p.n, 0);
}

static void stopping_while_a_dead_worker_waits_for_its_restart_starts_no_other(void **state)
{
    struct fx *f = *state;
    s_start_one_and_kill_it(f);
    s_stop_procs(f);
    BF_RUN_UNTIL(&f->bf, f->procs_closed, 5000);
    /* Past the restart pause (one second): still nothing. */
    bf_run_for(&f->bf, 1500);
    assert_int_equal(s_children(), 0);
}

static void a_configuration_without_process_stages_starts_nothing_and_stops_at_once(void **state)
{
    struct fx *f = *state;
    s_start(f, "none", 2, 3, 5000, "{}");
    assert_int_equal(f->p.n, 0);
    assert_int_equal(s_children(), 0);
    s_stop_procs(f);
    BF_RUN_UNTIL(&f->bf, f->procs_closed, 1000);
}

#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(the_configured_worker_processes_start_and_serve_the_stage),
        T(a_worker_process_killed_with_sigkill_is_restarted_and_the_stage_works_again),
        T(a_document_that_crashes_its_worker_process_is_quarantined_after_max_attempts),
        T(stopping_the_supervisor_leaves_no_worker_process_behind),
        T(stopping_while_a_dead_worker_waits_for_its_restart_starts_no_other),
        T(a_configuration_without_process_stages_starts_nothing_and_stops_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
