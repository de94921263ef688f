/*
 * A replay client's side of the replay wire (replay_wire.h) for the
 * integration tests that ask a running daemon for old messages:
 * test_replay_limits.c and test_restart_index.c. On the test's thread.
 */
#ifndef PL_TEST_REPLAY_FIXTURE_H
#define PL_TEST_REPLAY_FIXTURE_H

#include "replay_wire.h"
#include "wire.h"

/* Receives the next reply on sock within timeout_ms and decodes it into m,
 * which borrows from in (the caller closes in). A reply that does not
 * decode fails the test. Returns 0 or -ETIMEDOUT. */
int rf_reply(void *sock, struct pl_wire_in *in, struct pl_replay_wire_msg *m, int timeout_ms);

#endif
