/*
 * Spool folders in a temp folder, for the unit tests of spool.c:
 * test_spool.c and test_spool_names.c use sf_setup (configuration and an
 * open spool), test_spool_lock.c uses sf_setup_config (the configuration
 * only: it opens and closes its own spools). Runs on the test's thread.
 */
#ifndef PL_TEST_SPOOL_FIXTURE_H
#define PL_TEST_SPOOL_FIXTURE_H

#include <stdbool.h>

#include "config.h"
#include "spool.h"

struct sf_fx {
    char *dir;             /* the temp folder: in/, out/, spool/, done/, failed/ inside; owned */
    struct pl_config *cfg; /* owned */
    struct pl_spool sp;    /* open after sf_setup, not after sf_setup_config */
    bool sp_open;
};

/* cmocka setup: a struct sf_fx in *state with a configuration whose inbox,
 * outbox, spool, done and failed folders are in a new temp folder. */
int sf_setup_config(void **state);
/* sf_setup_config, then pl_spool_open on f->sp. */
int sf_setup(void **state);
/* cmocka teardown for both: closes the spool if sf_setup opened it, removes
 * the temp folder and frees the fixture. */
int sf_teardown(void **state);

#endif
