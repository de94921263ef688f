/*
 * The spool fixture (spool_fixture.h) shared by test_spool.c,
 * test_spool_names.c and test_spool_lock.c, which each had a copy of it.
 */
#include "cm.h"

#include "spool_fixture.h"

#include <stdlib.h>

#include "harness.h"

int sf_setup_config(void **state)
{
    struct sf_fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = th_tempdir();
    assert_non_null(f->dir);
    char *json = th_path("{\"inbox\":\"%s/in\",\"outbox\":\"%s/out\",\"spool\":\"%s/spool\","
                         "\"done\":\"%s/done\",\"failed\":\"%s/failed\"}",
                         f->dir, f->dir, f->dir, f->dir, f->dir);
    char err[512];
    assert_int_equal(pl_config_load_text(json, "t", "/x", &f->cfg, err, sizeof(err)), 0);
    free(json);
    *state = f;
    return 0;
}

int sf_setup(void **state)
{
    sf_setup_config(state);
    struct sf_fx *f = *state;
    char err[512];
    assert_int_equal(pl_spool_open(&f->sp, f->cfg, err, sizeof(err)), 0);
    f->sp_open = true;
    return 0;
}

int sf_teardown(void **state)
{
    struct sf_fx *f = *state;
    if (f->sp_open)
        pl_spool_close(&f->sp);
    pl_config_free(&f->cfg);
    th_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}
