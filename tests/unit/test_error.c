/* Error codes: pl_strerror names every code a module can return. */
#include "cm.h"

#include <errno.h>
#include <string.h>
#include <zmq.h>

#include "errcode.h"

static void every_pl_code_has_its_own_name(void **st)
{
    (void)st;
    const int codes[] = { PL_ECONFIG, PL_EPLUGIN, PL_EINPUT, PL_ESTAGE, PL_ELIMIT };
    char seen[5][128];
    for (size_t i = 0; i < 5; i++) {
        pl_strerror(codes[i], seen[i], sizeof(seen[i]));
        assert_true(strncmp(seen[i], "error ", 6) != 0);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(seen[i], seen[j]);
    }
}

static void negative_and_positive_errno_read_the_same(void **st)
{
    (void)st;
    char a[128], b[128];
    assert_string_equal(pl_strerror(-ENOENT, a, sizeof(a)), pl_strerror(ENOENT, b, sizeof(b)));
    assert_string_equal(a, "No such file or directory");
    /* -1 is -EPERM: no module returns a bare -1 for "failed" any more. */
    assert_string_equal(pl_strerror(-1, a, sizeof(a)), "Operation not permitted");
}

static void libzmq_errnos_are_named_by_libzmq(void **st)
{
    (void)st;
    char a[128];
    assert_string_equal(pl_strerror(-EFSM, a, sizeof(a)), zmq_strerror(EFSM));
    assert_string_equal(pl_strerror(-ETERM, a, sizeof(a)), zmq_strerror(ETERM));
}

static void unknown_codes_and_small_buffers_are_safe(void **st)
{
    (void)st;
    char a[128];
    assert_string_equal(pl_strerror(-5000, a, sizeof(a)), "error -5000");
    assert_string_equal(pl_strerror(0, a, sizeof(a)), "error 0");
    char tiny[4];
    pl_strerror(PL_ECONFIG, tiny, sizeof(tiny));
    assert_int_equal(strlen(tiny), 3);
    assert_ptr_equal(pl_strerror(-ENOENT, tiny, 0), tiny);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_pl_code_has_its_own_name),
        cmocka_unit_test(negative_and_positive_errno_read_the_same),
        cmocka_unit_test(libzmq_errnos_are_named_by_libzmq),
        cmocka_unit_test(unknown_codes_and_small_buffers_are_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
