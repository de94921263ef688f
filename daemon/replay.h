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
 *
 * A request that does not follow the protocol is logged at debug level and
 * gets no answer. A result written again (the same file processed after a
 * crash) carries a new seq; the old entry then points at a file with another
 * seq and is skipped. The service (service.c) calls it, on the loop thread
 * only.
 */
#ifndef PL_REPLAY_H
#define PL_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define PL_REPLAY_BATCH 1000

struct pl_replay_entry {
    uint64_t seq;
    char *path;   /* owned */
    int is_error; /* topic "error", else "article" */
};

struct pl_replay {
    uv_loop_t *loop;
    void *sock;
    uv_poll_t poll;
    uv_check_t check;
    struct pl_replay_entry *v;
    size_t n, cap;
    int open_handles;
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

/* Closes the socket and handles, and frees the index. */
void pl_replay_close(struct pl_replay *r);

#endif
