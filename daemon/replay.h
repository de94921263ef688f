/*
 * Catch-up for subscribers (the Clone pattern of the ZeroMQ guide): an index
 * of every published message by seq, pointing at its durable copy
 * (outbox/<id>.json or failed/<name>.error.json), rebuilt at start by reading
 * those folders, and a ROUTER socket that answers
 *
 *   request  [SINCE][seq as decimal]
 *   replies  [MSG][topic][json] ... for each message with a greater seq, in
 *            order, at most PL_REPLAY_BATCH, then [END][last seq sent][more: 0|1]
 *
 * A result written again (the same file processed after a crash) carries a
 * new seq; the old entry then points at a file with another seq and is
 * skipped. Loop thread only.
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

/* Reads outbox/ and failed/ into the index. Returns 0 or -errno. */
int pl_replay_load(struct pl_replay *r, const char *outbox, const char *failed);

/* Binds the ROUTER at endpoint ("" or NULL: no socket, index only).
 * Returns 0, or -1 with err. */
int pl_replay_start(struct pl_replay *r, uv_loop_t *loop, void *zctx, const char *endpoint,
                    const char *curve_secret, char *err, size_t errlen);

/* Records a published message. path is copied. Returns 0 or -ENOMEM. */
int pl_replay_add(struct pl_replay *r, uint64_t seq, int is_error, const char *path);

/* The highest seq in the index, 0 when empty. */
uint64_t pl_replay_last(const struct pl_replay *r);

/* Closes the socket and handles, and frees the index. */
void pl_replay_close(struct pl_replay *r);

#endif
