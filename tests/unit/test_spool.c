/* Spool moves, atomic writes, the sequence file and the name set. */
#include "cm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "harness.h"
#include "nameset.h"
#include "seq.h"
#include "spool.h"
#include "spool_fixture.h"
#include "watch.h"

static void claim_moves_the_file_and_keeps_its_name_for_done(void **state)
{
    struct sf_fx *f = *state;
    char *p = th_path("%s/in/a file.txt", f->dir);
    th_write_file(p, "hello", 5);
    char wn[NAME_MAX + 1];
    assert_int_equal(pl_spool_claim(&f->sp, "a file.txt", wn), 0);
    assert_int_equal(access(p, F_OK), -1);
    assert_string_equal(pl_spool_orig_name(wn), "a file.txt");
    void *data;
    size_t len;
    assert_int_equal(pl_spool_read(&f->sp, wn, 100, &data, &len), 0);
    assert_int_equal(len, 5);
    free(data);
    assert_int_equal(pl_spool_done(&f->sp, wn, "a file.txt", false), 0);
    char *d = th_path("%s/done/a file.txt", f->dir);
    assert_int_equal(access(d, F_OK), 0);
    /* A second file of the same name does not overwrite the first. */
    th_write_file(p, "again", 5);
    assert_int_equal(pl_spool_claim(&f->sp, "a file.txt", wn), 0);
    assert_int_equal(pl_spool_done(&f->sp, wn, "a file.txt", false), 0);
    char *dd = th_path("%s/done", f->dir);
    assert_int_equal(th_count_dir(dd), 2);
    free(p);
    free(d);
    free(dd);
}

static void claim_of_a_vanished_file_says_enoent(void **state)
{
    struct sf_fx *f = *state;
    char wn[NAME_MAX + 1];
    assert_int_equal(pl_spool_claim(&f->sp, "nothing-here", wn), -ENOENT);
}

static void read_refuses_oversize_symlinks_and_folders(void **state)
{
    struct sf_fx *f = *state;
    char *big = th_path("%s/spool/work/k_big", f->dir);
    th_write_file(big, "0123456789", 10);
    void *data;
    size_t len = 0;
    assert_int_equal(pl_spool_read(&f->sp, "k_big", 5, &data, &len), -EFBIG);
    assert_int_equal(len, 10);
    char *link = th_path("%s/spool/work/k_link", f->dir);
    assert_int_equal(symlink("/etc/passwd", link), 0);
    assert_int_equal(pl_spool_read(&f->sp, "k_link", 100, &data, &len), -ELOOP);
    char *dir = th_path("%s/spool/work/k_dir", f->dir);
    mkdir(dir, 0755);
    assert_int_equal(pl_spool_read(&f->sp, "k_dir", 100, &data, &len), -EISDIR);
    free(big);
    free(link);
    free(dir);
}

static void atomic_write_leaves_no_temp_file(void **state)
{
    struct sf_fx *f = *state;
    assert_int_equal(pl_write_atomic(f->sp.outbox_fd, "x.json", "{}\n", 3, true), 0);
    char *out = th_path("%s/out", f->dir);
    assert_int_equal(th_count_dir(out), 1);
    char *x = th_path("%s/out/x.json", f->dir);
    size_t n;
    char *c = th_read_file(x, &n);
    assert_string_equal(c, "{}\n");
    free(c);
    free(x);
    free(out);
}

static void seq_is_monotonic_across_reopen(void **state)
{
    struct sf_fx *f = *state;
    struct pl_seq s;
    assert_int_equal(pl_seq_open(&s, f->sp.spool_fd, false), 0);
    uint64_t a, b, c;
    assert_int_equal(pl_seq_take(&s, &a), 0);
    assert_int_equal(pl_seq_take(&s, &b), 0);
    assert_true(b == a + 1);
    /* A crash now: the reopened counter starts past everything reserved. */
    struct pl_seq s2;
    assert_int_equal(pl_seq_open(&s2, f->sp.spool_fd, false), 0);
    assert_int_equal(pl_seq_take(&s2, &c), 0);
    assert_true(c > b);
    for (int i = 0; i < 2 * PL_SEQ_BLOCK; i++) {
        uint64_t n;
        assert_int_equal(pl_seq_take(&s2, &n), 0);
        assert_true(n == c + 1 + (uint64_t)i);
    }
}

static void corrupt_seq_file_is_reported(void **state)
{
    struct sf_fx *f = *state;
    char *p = th_path("%s/spool/seq", f->dir);
    th_write_file(p, "banana", 6);
    struct pl_seq s;
    assert_int_equal(pl_seq_open(&s, f->sp.spool_fd, false), -EBADMSG);
    free(p);
}

static void nameset_adds_finds_removes_and_grows(void **state)
{
    (void)state;
    struct pl_nameset s;
    assert_int_equal(pl_nameset_init(&s), 0);
    char name[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "f%d", i);
        assert_int_equal(pl_nameset_add(&s, name), 0);
    }
    for (int i = 0; i < 5000; i += 2) {
        snprintf(name, sizeof(name), "f%d", i);
        pl_nameset_remove(&s, name);
    }
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "f%d", i);
        assert_int_equal(pl_nameset_contains(&s, name), i % 2 == 1);
    }
    pl_nameset_free(&s);
}

static void watch_ignores_temporary_and_hidden_names(void **state)
{
    (void)state;
    assert_true(pl_watch_ignored(".hidden"));
    assert_true(pl_watch_ignored("a.tmp"));
    assert_true(pl_watch_ignored("a.part"));
    assert_true(pl_watch_ignored(".a.swp"));
    assert_true(pl_watch_ignored("a.txt~"));
    assert_false(pl_watch_ignored("article.txt"));
    assert_false(pl_watch_ignored("-leading-dash"));
}

static void a_file_open_for_writing_is_not_ready(void **state)
{
    struct sf_fx *f = *state;
    char *p = th_path("%s/in/busy.txt", f->dir);
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "part", 4), 4);
    assert_int_equal(pl_watch_is_ready(f->sp.inbox_fd, "busy.txt", 0, true), 0);
    close(fd);
    assert_int_equal(pl_watch_is_ready(f->sp.inbox_fd, "busy.txt", 0, true), 1);
    /* Found by a scan, a fresh file waits for the settle time. */
    assert_int_equal(pl_watch_is_ready(f->sp.inbox_fd, "busy.txt", 60000, false), 0);
    free(p);
}

static char *s_read_all(const char *path)
{
    void *data = NULL;
    size_t len = 0;
    if (pl_read_file_at(AT_FDCWD, path, 1 << 20, false, &data, &len) != 0)
        return NULL;
    return data;
}

static void write_new_makes_a_file_once_and_never_replaces_one(void **state)
{
    struct sf_fx *f = *state;
    assert_int_equal(pl_write_new(f->sp.outbox_fd, "x.json", "{\"a\":1}\n", 8, false), 0);
    assert_int_equal(pl_write_new(f->sp.outbox_fd, "x.json", "{\"a\":2}\n", 8, true), -EEXIST);
    char *out = th_path("%s/out", f->dir);
    assert_int_equal(th_count_dir(out), 1); /* no temp file beside it, then or now */
    char *x = th_path("%s/out/x.json", f->dir);
    char *got = s_read_all(x);
    assert_non_null(got);
    assert_string_equal(got, "{\"a\":1}\n");
    struct stat st;
    assert_int_equal(stat(x, &st), 0);
    assert_int_equal(st.st_nlink, 1);
    mode_t um = umask(022);
    umask(um);
    assert_int_equal(st.st_mode & 0777, 0644 & ~um);
    free(got);
    free(x);
    free(out);
}

/* Where renameat2 takes no flags (NFS, 9p, sshfs) and O_TMPFILE is refused
 * too, results are still written, once, and every move out of work/ still
 * refuses to replace a file: the link-then-unlink way. */
static void without_rename2_results_and_moves_never_replace(void **state)
{
    struct sf_fx *f = *state;
    pl_spool_test_fallbacks(true, true);
    int a = pl_write_new(f->sp.outbox_fd, "x.json", "{\"a\":1}\n", 8, true);
    int b = pl_write_new(f->sp.outbox_fd, "x.json", "{\"a\":2}\n", 8, false);
    char *out = th_path("%s/out", f->dir);
    int nout = th_count_dir(out); /* one: no temp file left beside it */
    char *x = th_path("%s/out/x.json", f->dir);
    char *got = s_read_all(x);
    /* A claimed file put back while a new one has its name stays claimed;
     * moved to done/ twice under one name, the second gets its key. */
    char *p = th_path("%s/in/a.txt", f->dir);
    th_write_file(p, "one", 3);
    char wn[NAME_MAX + 1];
    int c = pl_spool_claim(&f->sp, "a.txt", wn);
    th_write_file(p, "two", 3);
    int u = pl_spool_unclaim(&f->sp, wn, "a.txt");
    int d1 = pl_spool_done(&f->sp, wn, "a.txt", false);
    char wn2[NAME_MAX + 1];
    int c2 = pl_spool_claim(&f->sp, "a.txt", wn2);
    int d2 = pl_spool_done(&f->sp, wn2, "a.txt", false);
    pl_spool_test_fallbacks(false, false);
    assert_int_equal(a, 0);
    assert_int_equal(b, -EEXIST);
    assert_int_equal(nout, 1);
    assert_non_null(got);
    assert_string_equal(got, "{\"a\":1}\n");
    assert_int_equal(c, 0);
    assert_int_equal(u, -EEXIST);
    assert_int_equal(d1, 0);
    assert_int_equal(c2, 0);
    assert_int_equal(d2, 0);
    char *done = th_path("%s/done", f->dir), *work = th_path("%s/spool/work", f->dir);
    assert_int_equal(th_count_dir(done), 2);
    assert_int_equal(th_count_dir(work), 0);
    char *d = th_path("%s/done/a.txt", f->dir);
    char *first = s_read_all(d);
    assert_non_null(first);
    assert_string_equal(first, "one");
    free(first);
    free(d);
    free(done);
    free(work);
    free(p);
    free(got);
    free(x);
    free(out);
}

/* Whether this process may take a read lease on path: not with
 * fs.leases-enable=0 (EINVAL), nor on another account's file without
 * CAP_LEASE (EACCES), nor on some file systems; then a test of leases is
 * skipped, not failed. */
static bool s_leases_work(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    int rc = fcntl(fd, F_SETLEASE, F_RDLCK) == 0 ? 0 : errno;
    close(fd);
    if (rc != 0)
        assert_true(rc == EINVAL || rc == EAGAIN || rc == EACCES || rc == EPERM);
    return rc == 0;
}

/* inbox/a.txt written, judged ready by the probe under its read lease and
 * claimed: the probe's descriptor into *fd, the work name into wn. False
 * (nothing left open) where this process may take no lease. */
static bool s_claimed_leased(struct sf_fx *f, int *fd, char wn[NAME_MAX + 1])
{
    char *p = th_path("%s/in/a.txt", f->dir);
    th_write_file(p, "hello", 5);
    bool ok = s_leases_work(p);
    free(p);
    if (!ok)
        return false;
    *fd = -2;
    assert_int_equal(pl_watch_probe_fd(f->sp.inbox_fd, "a.txt", 0, true, false, fd), 1);
    assert_true(*fd >= 0);
    assert_int_equal(fcntl(*fd, F_GETLEASE), F_RDLCK);
    assert_int_equal(pl_spool_claim(&f->sp, "a.txt", wn), 0);
    return true;
}

static void a_ready_file_is_handed_on_open_with_its_lease(void **state)
{
    struct sf_fx *f = *state;
    int fd;
    char wn[NAME_MAX + 1];
    if (!s_claimed_leased(f, &fd, wn))
        skip();
    char *p = th_path("%s/in/a.txt", f->dir);
    /* The claim's rename keeps the lease: no writer got in between. */
    assert_int_equal(fcntl(fd, F_GETLEASE), F_RDLCK);
    void *data = NULL;
    size_t len = 0;
    assert_int_equal(pl_spool_read_claimed(&f->sp, fd, wn, 100, &data, &len), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(data, "hello", 5);
    free(data);
    close(fd);
    /* A file still open for writing is neither ready nor handed on. */
    int w = open(p, O_WRONLY | O_CREAT, 0644);
    assert_true(w >= 0);
    assert_int_equal(pl_watch_probe_fd(f->sp.inbox_fd, "a.txt", 0, true, false, &fd), 0);
    assert_int_equal(fd, -1);
    close(w);
    free(p);
}

/* A writer that opens the file while the watcher holds its lease is held
 * in open() until the lease goes: its bytes come after the claim's read.
 * The lease being broken tells the read that the file is changing. */
static void a_writer_held_by_the_lease_makes_the_read_a_change(void **state)
{
    struct sf_fx *f = *state;
    int fd;
    char wn[NAME_MAX + 1];
    if (!s_claimed_leased(f, &fd, wn))
        skip();
    char *w = th_path("%s/spool/work/%s", f->dir, wn);
    void (*was)(int) = signal(SIGIO, SIG_IGN); /* the kernel's word to the lease holder */
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        close(fd); /* the lease goes with the parent's close alone */
        int wfd = open(w, O_WRONLY | O_APPEND);
        _exit(wfd >= 0 && write(wfd, " more", 5) == 5 && close(wfd) == 0 ? 0 : 1);
    }
    /* The child's open is under way once the lease is being broken. */
    for (int i = 0; i < 5000 && fcntl(fd, F_GETLEASE) == F_RDLCK; i++)
        usleep(1000);
    int lease = fcntl(fd, F_GETLEASE);
    void *data = NULL;
    size_t len = 0;
    int rc = pl_spool_read_claimed(&f->sp, fd, wn, 100, &data, &len);
    if (rc == 0)
        free(data);
    close(fd); /* lets the child's open through */
    int status = -1;
    assert_int_equal(waitpid(child, &status, 0), child);
    signal(SIGIO, was);
    assert_int_not_equal(lease, F_RDLCK);
    assert_int_equal(rc, -EAGAIN);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    free(w);
}

static void read_claimed_reads_a_file_renamed_over_the_name(void **state)
{
    struct sf_fx *f = *state;
    char *p = th_path("%s/in/a.txt", f->dir), *q = th_path("%s/in/.b.tmp", f->dir);
    th_write_file(p, "first", 5);
    int fd = -1;
    assert_int_equal(pl_watch_probe_fd(f->sp.inbox_fd, "a.txt", 0, true, false, &fd), 1);
    assert_true(fd >= 0);
    /* A producer replaces its file between the watcher's open and the
     * claim: the claim moves the new one, and the new one is what is read,
     * not the inode the descriptor holds. */
    th_write_file(q, "second!", 7);
    assert_int_equal(rename(q, p), 0);
    char wn[NAME_MAX + 1];
    assert_int_equal(pl_spool_claim(&f->sp, "a.txt", wn), 0);
    void *data = NULL;
    size_t len = 0;
    assert_int_equal(pl_spool_read_claimed(&f->sp, fd, wn, 100, &data, &len), 0);
    assert_int_equal(len, 7);
    assert_memory_equal(data, "second!", 7);
    free(data);
    close(fd);
    free(p);
    free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(claim_moves_the_file_and_keeps_its_name_for_done, sf_setup,
                                        sf_teardown),
        cmocka_unit_test_setup_teardown(claim_of_a_vanished_file_says_enoent, sf_setup,
                                        sf_teardown),
        cmocka_unit_test_setup_teardown(read_refuses_oversize_symlinks_and_folders, sf_setup,
                                        sf_teardown),
        cmocka_unit_test_setup_teardown(atomic_write_leaves_no_temp_file, sf_setup, sf_teardown),
        cmocka_unit_test_setup_teardown(seq_is_monotonic_across_reopen, sf_setup, sf_teardown),
        cmocka_unit_test_setup_teardown(corrupt_seq_file_is_reported, sf_setup, sf_teardown),
        cmocka_unit_test(nameset_adds_finds_removes_and_grows),
        cmocka_unit_test(watch_ignores_temporary_and_hidden_names),
        cmocka_unit_test_setup_teardown(a_file_open_for_writing_is_not_ready, sf_setup,
                                        sf_teardown),
        cmocka_unit_test_setup_teardown(write_new_makes_a_file_once_and_never_replaces_one,
                                        sf_setup, sf_teardown),
        cmocka_unit_test_setup_teardown(without_rename2_results_and_moves_never_replace, sf_setup,
                                        sf_teardown),
        cmocka_unit_test_setup_teardown(a_ready_file_is_handed_on_open_with_its_lease, sf_setup,
                                        sf_teardown),
        cmocka_unit_test_setup_teardown(a_writer_held_by_the_lease_makes_the_read_a_change,
                                        sf_setup, sf_teardown),
        cmocka_unit_test_setup_teardown(read_claimed_reads_a_file_renamed_over_the_name, sf_setup,
                                        sf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
