/*
 * The durable record and the sequence (issue 12, point 7): the same content
 * dropped twice keeps both published messages replayable, and a jump in
 * seq over numbers reserved but never used (a daemon killed and started
 * again) is not reported by pressline sub as missed messages. The real
 * presslined and the real pressline on temp folders and free ports; every
 * wait is bounded.
 */
#include "cm.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static int s_sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int s_file_has(const char *path, const char *needle)
{
    char *c = th_read_file(path, NULL);
    int has = c && strstr(c, needle) != NULL;
    free(c);
    return has;
}

/* Drops a file into d's inbox the way a careful producer does: written
 * beside it, then renamed in. */
static void s_drop(const struct th_daemon *d, const char *name, const char *text)
{
    assert_int_equal(th_drop(d->dir, name, text, strlen(text)), 0);
}

/* Starts the daemon on dir and waits until it publishes (its folders are
 * then made). */
static void s_start(struct th_daemon *d, const char *dir)
{
    struct th_sub sub;
    assert_int_equal(th_daemon_start_live(d, &sub, dir, "", 10000), 0);
    th_sub_close(&sub);
}

/* Waits up to 10 s until d's outbox holds n entries. */
static void s_wait_outbox(const struct th_daemon *d, int n)
{
    char *outbox = th_path("%s/outbox", d->dir);
    for (int i = 0; i < 200 && th_count_dir(outbox) < n; i++)
        usleep(50 * 1000);
    assert_int_equal(th_count_dir(outbox), n);
    free(outbox);
}

static void the_same_content_twice_gives_two_records_and_both_replay(void **st)
{
    (void)st;
    char *dir = th_tempdir();
    struct th_daemon d;
    s_start(&d, dir);
    const char *text = "The same article, dropped twice, is published twice.";
    s_drop(&d, "first.txt", text);
    s_wait_outbox(&d, 1);
    s_drop(&d, "again.txt", text);
    /* outbox/<id>.json (the latest) and outbox/<id>.1.json (the first). */
    s_wait_outbox(&d, 2);
    char *out = th_path("%s/since.out", dir);
    char *cmd = th_path("'%s/bin/pressline' sub --endpoint %s --replay %s --since 0 --count 2 "
                        "--timeout 10 > '%s'",
                        th_build_dir(), d.endpoint, d.replay, out);
    assert_int_equal(s_sh(cmd), 0);
    char *got = th_read_file(out, NULL);
    assert_non_null(got);
    const char *one = strstr(got, "\"seq\":1,"), *two = strstr(got, "\"seq\":2,");
    assert_non_null(one);
    assert_non_null(two);
    assert_true(one < two);
    assert_non_null(strstr(got, "first.txt"));
    assert_non_null(strstr(got, "again.txt"));
    free(got);
    free(cmd);
    free(out);
    assert_int_equal(th_daemon_stop(&d, SIGTERM, 10000), 0);
    th_daemon_free(&d);
    th_rmrf(dir);
    free(dir);
}

static void a_jump_over_unused_seq_numbers_is_not_counted_as_missed(void **st)
{
    (void)st;
    char *dir = th_tempdir();
    struct th_daemon d;
    s_start(&d, dir);
    char *out = th_path("%s/sub.out", dir), *err = th_path("%s/sub.err", dir);
    char *pidf = th_path("%s/sub.pid", dir);
    char *cmd = th_path("'%s/bin/pressline' sub --endpoint %s --replay %s --topic article "
                        "--topic status > '%s' 2> '%s' & echo $! > '%s'",
                        th_build_dir(), d.endpoint, d.replay, out, err, pidf);
    assert_int_equal(s_sh(cmd), 0);
    for (int i = 0; i < 200 && !s_file_has(out, "pressline/status/1"); i++)
        usleep(50 * 1000);
    assert_true(s_file_has(out, "pressline/status/1"));
    s_drop(&d, "before.txt", "Published as seq 1, before the daemon is killed.");
    for (int i = 0; i < 200 && !s_file_has(out, "before.txt"); i++)
        usleep(50 * 1000);
    assert_true(s_file_has(out, "before.txt"));
    /* Killed outright twice: each start takes a new block, so seq jumps
     * twice over numbers nobody used. */
    for (int k = 0; k < 2; k++) {
        kill(d.pid, SIGKILL);
        waitpid(d.pid, NULL, 0);
        assert_int_equal(th_daemon_restart(&d), 0);
    }
    /* The subscriber reconnects by itself; publish until it sees one. */
    for (int i = 0; i < 100 && !s_file_has(out, "after-"); i++) {
        char *name = th_path("after-%d.txt", i);
        s_drop(&d, name, name);
        free(name);
        for (int k = 0; k < 10 && !s_file_has(out, "after-"); k++)
            usleep(50 * 1000);
    }
    assert_true(s_file_has(out, "after-"));
    /* Time for the count the gap asks of the replay endpoint. */
    usleep(500 * 1000);
    char *pid = th_read_file(pidf, NULL);
    kill((pid_t)strtol(pid, NULL, 10), SIGTERM);
    free(pid);
    usleep(200 * 1000);
    char *said = th_read_file(err, NULL);
    if (said && *said)
        fprintf(stderr, "pressline sub said: %s", said);
    assert_false(s_file_has(err, "missed"));
    assert_false(s_file_has(err, "jumped"));
    /* And status names the numbers skipped, from seq 2 on. */
    assert_true(s_file_has(out, "\"unused_seq\":[[2,"));
    free(said);
    free(cmd);
    free(out);
    free(err);
    free(pidf);
    assert_int_equal(th_daemon_stop(&d, SIGTERM, 10000), 0);
    th_daemon_free(&d);
    th_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_same_content_twice_gives_two_records_and_both_replay),
        cmocka_unit_test(a_jump_over_unused_seq_numbers_is_not_counted_as_missed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
