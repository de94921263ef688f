/*
 * Catch-up for subscribers (the Clone pattern of the ZeroMQ guide): an index
 * of every published message by seq, pointing at its durable copy
 * (outbox/<id>.json or failed/<name>.error.json), rebuilt at start by reading
 * those folders, and a ROUTER socket that answers the replay protocol
 * (replay_wire.h, which encodes and decodes it for both sides):
 *
 *   request  [SINCE][seq as decimal]
 *   replies  [MSG][topic][json] ... for each message with a greater seq, in
 *            order, at most PL_REPLAY_BATCH, then [END][last seq sent][more: 0|1]
 *            or [ERR][reason] for a request refused
 *
 * Memory stays bounded whatever the clients do. A batch is streamed from the
 * record, one file at a time: each client (a ROUTER identity) has a cursor
 * into the index and holds at most one record read but not yet taken by
 * ZeroMQ, whose queue for it is capped at PL_REPLAY_QUEUE messages. When a
 * client's queue is full the cursor waits and the batch resumes where it
 * stopped once the client reads (the socket wakes the loop, and a timer
 * retries every PL_REPLAY_RETRY_MS). Resuming, rather than dropping the rest
 * for the client to ask again, is flow control as a spool does it: nothing
 * is read or sent twice, and a client on a slow link still gets whole
 * batches; the cost is one held record per client. A client that takes
 * nothing for PL_REPLAY_STALL_MS is forgotten (its own wait for a reply ran
 * out long before). At most PL_REPLAY_CLIENTS are served at once; one more
 * is told it is busy. A request that does not follow the protocol gets an ERR
 * saying what is wrong. A result written again (the same content dropped
 * again, or processed again after a crash) carries a new seq; before the
 * writer replaces outbox/<id>.json it links the old record to
 * outbox/<id>.<seq>.json, where the old entry's record is then read, so
 * every published seq is replayed. An entry whose record is gone is skipped. The service
 * (service.c) calls it, on the loop thread only.
 */
#ifndef PL_REPLAY_H
#define PL_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "zsock.h"

#define PL_REPLAY_BATCH 1000
/* The most messages queued in ZeroMQ for one client (its ZMQ_SNDHWM). */
#define PL_REPLAY_QUEUE 64
/* The most clients served at once. */
#define PL_REPLAY_CLIENTS 128
/* How often a client whose queue was full is tried again, and after how
 * long without taking anything it is forgotten. */
#define PL_REPLAY_RETRY_MS 20
#define PL_REPLAY_STALL_MS 30000

struct pl_replay_entry {
    uint64_t seq;
    char *path;   /* owned */
    int is_error; /* topic "error", else "article" */
};

/* A client's batch in progress; replay.c. */
struct pl_replay_client;

struct pl_replay {
    uv_loop_t *loop;
    void *sock;
    struct pl_zsock_guard guard; /* caps its connections, see zsock.h */
    uv_poll_t poll;
    uv_check_t check;
    uv_timer_t timer; /* resumes the batches in progress */
    bool dirty;       /* sent on since the last drain: the loop's check drains it */
    struct pl_replay_entry *v;
    size_t n, cap;
    struct pl_replay_client *clients; /* owned, PL_REPLAY_CLIENTS once started */
    size_t nclients;
    int open_handles;
    uint64_t requests; /* requests taken, refused ones included: the metrics' count */
};

/* Zeroes r and reads the .json files of outbox and the .error.json files of
 * failed into its index (files without a seq are left out), in seq order. Returns 0 or -errno (a
 * folder that cannot be read, -ENOMEM); r is then to be closed all the
 * same. */
int pl_replay_load(struct pl_replay *r, const char *outbox, const char *failed);

/* Binds the ROUTER at endpoint ("" or NULL: no socket, index only) and
 * serves it from loop. zctx, endpoint and curve_secret are borrowed for the
 * call. Returns 0, or the -errno of the failed socket call with err saying
 * which endpoint (the caller logs it). */
int pl_replay_start(struct pl_replay *r, uv_loop_t *loop, void *zctx, const char *endpoint,
                    const char *curve_secret, char *err, size_t errlen);

/* Records a published message. path is copied. The lookup by seq expects
 * each seq added to be greater than those indexed. Returns 0 or -ENOMEM. */
int pl_replay_add(struct pl_replay *r, uint64_t seq, int is_error, const char *path);

/* Closes the socket and handles, and frees the index and the batches in
 * progress. */
void pl_replay_close(struct pl_replay *r);

#endif
