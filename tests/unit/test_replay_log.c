/*
 * The replay index on disk (replay_log.h): built from the folders when there
 * is none, used as it is at the next open when nothing else changed them,
 * appended to by commits (a commit with no record re-stamps the folders),
 * and read from the folders again when it is stale, corrupt or torn, with
 * an uncommitted tail cut. On a temp spool, without the daemon.
 */
#include "cm.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "replay_log.h"

struct fx {
    char *dir, *outbox, *failed, *spool, *idx;
    int spool_fd, outbox_fd, failed_fd;
};

static void s_put(const char *dir, const char *name, unsigned seq)
{
    char *p = th_path("%s/%s", dir, name), *j = th_path("{\"seq\":%u}\n", seq);
    assert_int_equal(th_write_file(p, j, strlen(j)), 0);
    free(p);
    free(j);
}

static int s_setup(void **st)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->dir = th_tempdir();
    f->outbox = th_path("%s/outbox", f->dir);
    f->failed = th_path("%s/failed", f->dir);
    f->spool = th_path("%s/spool", f->dir);
    f->idx = th_path("%s/spool/" PL_REPLAY_LOG_NAME, f->dir);
    mkdir(f->outbox, 0700);
    mkdir(f->failed, 0700);
    mkdir(f->spool, 0700);
    f->spool_fd = open(f->spool, O_RDONLY | O_DIRECTORY);
    f->outbox_fd = open(f->outbox, O_RDONLY | O_DIRECTORY);
    f->failed_fd = open(f->failed, O_RDONLY | O_DIRECTORY);
    s_put(f->outbox, "a.json", 1);
    s_put(f->failed, "b.txt.error.json", 2);
    s_put(f->outbox, "c.json", 3);
    *st = f;
    return 0;
}

static int s_teardown(void **st)
{
    struct fx *f = *st;
    close(f->spool_fd);
    close(f->outbox_fd);
    close(f->failed_fd);
    th_rmrf(f->dir);
    free(f->dir);
    free(f->outbox);
    free(f->failed);
    free(f->spool);
    free(f->idx);
    free(f);
    return 0;
}

/* Opens l and r on f; returns whether the folders were read. */
static bool s_open(struct fx *f, struct pl_replay_log *l, struct pl_replay *r)
{
    assert_int_equal(pl_replay_log_open(l, r, f->spool_fd, f->outbox_fd, f->failed_fd, f->outbox,
                                        f->failed, true),
                     0);
    return l->rebuilt;
}

static void s_close(struct pl_replay_log *l, struct pl_replay *r)
{
    pl_replay_log_close(l);
    pl_replay_close(r);
}

/* r holds exactly the seqs want[0..n), in order, with those paths. */
static void s_expect(const struct pl_replay *r, const uint64_t *want, const char *const *paths,
                     size_t n)
{
    assert_int_equal(r->n, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r->v[i].seq, want[i]);
        assert_non_null(strstr(r->v[i].path, paths[i]));
    }
}

static void the_index_is_built_then_used_and_appended_to(void **st)
{
    struct fx *f = *st;
    struct pl_replay_log l;
    struct pl_replay r;
    assert_true(s_open(f, &l, &r));
    static const uint64_t three[] = { 1, 2, 3 };
    static const char *const p3[] = { "outbox/a.json", "failed/b.txt.error.json", "outbox/c.json" };
    s_expect(&r, three, p3, 3);
    assert_int_equal(r.v[1].is_error, 1);
    s_close(&l, &r);

    assert_false(s_open(f, &l, &r));
    s_expect(&r, three, p3, 3);
    /* A batch, as the writer commits it: the files, then the records. */
    s_put(f->outbox, "d.json", 7);
    s_put(f->failed, "e.error.json", 8);
    assert_int_equal(pl_replay_log_add(&l, 7, false, "d.json"), 0);
    assert_int_equal(pl_replay_log_add(&l, 8, true, "e.error.json"), 0);
    assert_int_equal(pl_replay_log_commit(&l), 0);
    s_close(&l, &r);

    assert_false(s_open(f, &l, &r));
    static const uint64_t five[] = { 1, 2, 3, 7, 8 };
    static const char *const p5[] = { "outbox/a.json", "failed/b.txt.error.json", "outbox/c.json",
                                      "outbox/d.json", "failed/e.error.json" };
    s_expect(&r, five, p5, 5);
    /* A batch whose every write failed still changed the folders (a source
     * moved to failed/): an empty commit re-stamps them. */
    s_put(f->failed, "moved.txt", 0);
    assert_int_equal(pl_replay_log_commit(&l), 0);
    s_close(&l, &r);
    assert_false(s_open(f, &l, &r));
    s_expect(&r, five, p5, 5);
    s_close(&l, &r);
}

static void a_stale_corrupt_or_torn_index_is_rebuilt_and_a_tail_cut(void **st)
{
    struct fx *f = *st;
    struct pl_replay_log l;
    struct pl_replay r;
    static const uint64_t three[] = { 1, 2, 3 };
    static const char *const p3[] = { "outbox/a.json", "failed/b.txt.error.json", "outbox/c.json" };
    assert_true(s_open(f, &l, &r));
    s_close(&l, &r);
    struct stat sb;
    assert_int_equal(stat(f->idx, &sb), 0);

    /* A tail never committed: used, cut. */
    int fd = open(f->idx, O_WRONLY | O_APPEND);
    assert_int_equal(write(fd, "junk", 4), 4);
    close(fd);
    assert_false(s_open(f, &l, &r));
    s_expect(&r, three, p3, 3);
    s_close(&l, &r);
    struct stat cut;
    assert_int_equal(stat(f->idx, &cut), 0);
    assert_int_equal(cut.st_size, sb.st_size);

    /* A record's byte flipped. */
    fd = open(f->idx, O_RDWR);
    char c;
    assert_int_equal(pread(fd, &c, 1, sb.st_size - 2), 1);
    c ^= 1;
    assert_int_equal(pwrite(fd, &c, 1, sb.st_size - 2), 1);
    close(fd);
    assert_true(s_open(f, &l, &r));
    assert_non_null(strstr(l.why, "does not check out"));
    s_expect(&r, three, p3, 3);
    s_close(&l, &r);

    /* Torn: shorter than the header says. */
    assert_int_equal(truncate(f->idx, sb.st_size - 1), 0);
    assert_true(s_open(f, &l, &r));
    assert_non_null(strstr(l.why, "shorter"));
    s_close(&l, &r);

    /* Stale: a result added behind the daemon's back, a few clock ticks
     * after the index was written (within one tick the folder's mtime
     * would not move: the limit replay_log.h names). */
    usleep(50 * 1000);
    s_put(f->outbox, "z.json", 9);
    assert_true(s_open(f, &l, &r));
    assert_non_null(strstr(l.why, "changed"));
    assert_int_equal(r.n, 4);
    assert_int_equal(r.v[3].seq, 9);
    s_close(&l, &r);
    assert_false(s_open(f, &l, &r));
    assert_int_equal(r.n, 4);
    s_close(&l, &r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_index_is_built_then_used_and_appended_to, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(a_stale_corrupt_or_torn_index_is_rebuilt_and_a_tail_cut,
                                        s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
