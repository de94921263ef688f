/*
 * One daemon per spool (spool.h): pl_spool_open locks <spool>/lock and
 * writes the pid there, a second open of the same spool is refused with
 * -EBUSY naming that pid, the lock goes with pl_spool_close, and
 * pl_spool_lock_holder reports the holder without taking anything.
 */
#include "cm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "harness.h"
#include "spool.h"
#include "spool_fixture.h"

static void a_second_open_of_a_locked_spool_is_refused_naming_the_pid(void **state)
{
    struct sf_fx *f = *state;
    struct pl_spool a, b;
    char err[512];
    assert_int_equal(pl_spool_open(&a, f->cfg, err, sizeof(err)), 0);
    assert_true(a.lock_fd >= 0);
    char *lock = th_path("%s/spool/%s", f->dir, PL_SPOOL_LOCK);
    char *held = th_read_file(lock, NULL);
    assert_non_null(held);
    assert_int_equal(strtol(held, NULL, 10), (long)getpid());
    /* flock locks belong to the open file, so a second open in the same
     * process conflicts as a second daemon would. */
    err[0] = '\0';
    assert_int_equal(pl_spool_open(&b, f->cfg, err, sizeof(err)), -EBUSY);
    char *pid = th_path("pid %ld", (long)getpid());
    assert_non_null(strstr(err, pid));
    assert_int_equal(b.inbox_fd, -1);
    assert_int_equal(b.lock_fd, -1);
    pl_spool_close(&a);
    assert_int_equal(pl_spool_open(&b, f->cfg, err, sizeof(err)), 0);
    pl_spool_close(&b);
    free(pid);
    free(held);
    free(lock);
}

static void lock_holder_names_the_holder_and_takes_nothing(void **state)
{
    struct sf_fx *f = *state;
    long pid = -1;
    /* No lock file yet: nobody holds it. */
    assert_int_equal(pl_spool_lock_holder(f->cfg->spool, &pid), 0);
    assert_int_equal(pid, 0);
    struct pl_spool a;
    char err[512];
    assert_int_equal(pl_spool_open(&a, f->cfg, err, sizeof(err)), 0);
    assert_int_equal(pl_spool_lock_holder(f->cfg->spool, &pid), 1);
    assert_int_equal(pid, (long)getpid());
    pl_spool_close(&a);
    assert_int_equal(pl_spool_lock_holder(f->cfg->spool, &pid), 0);
    /* The probe left the spool free. */
    assert_int_equal(pl_spool_open(&a, f->cfg, err, sizeof(err)), 0);
    pl_spool_close(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_second_open_of_a_locked_spool_is_refused_naming_the_pid,
                                        sf_setup_config, sf_teardown),
        cmocka_unit_test_setup_teardown(lock_holder_names_the_holder_and_takes_nothing,
                                        sf_setup_config, sf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
