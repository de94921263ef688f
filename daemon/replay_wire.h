/*
 * The replay protocol (README, "Subscribing"): a client catches up on what
 * was published by asking the daemon's replay endpoint (a ROUTER; see
 * replay.h) from a DEALER:
 *
 *   client -> daemon  SINCE  [SINCE][seq as decimal]
 *   daemon -> client  MSG    [MSG][topic][json]   one per message after seq, in order,
 *                                                 at most PL_REPLAY_BATCH (1000)
 *   daemon -> client  END    [END][last seq sent, decimal][more: "0" or "1"]
 *   daemon -> client  ERR    [ERR][reason]        instead of the above, for a request
 *                                                 refused (malformed, or the daemon busy)
 *
 * A seq is written in decimal ASCII without sign, blank or leading zeros
 * (at most 20 digits, up to UINT64_MAX); the decoder accepts digits only,
 * and rejects a seq that does not fit in 64 bits. "more" is "1" when the
 * daemon's index holds more after this batch; the client then asks again
 * from the last seq it took (and the answer can be a bare END, when all of
 * those were superseded by later results). Topic and json are opaque here
 * (the client reads seq from the json); a topic is never empty. An ERR's
 * reason is text for people, 1 to PL_REPLAY_WIRE_REASON_MAX bytes; an ERR
 * ends the answer, and the client says why and gives up (asking again the
 * same way would be refused the same way).
 *
 * This one module encodes and decodes the protocol for both sides: replay.c
 * (the daemon, on its loop thread) and pressline sub --since (the client).
 * Encoding and decoding are pure functions over frames, so they can be
 * fuzzed, and run on any thread; sending uses the caller's socket only.
 * Received frames come from pl_wire_recv (wire.h), which receives any
 * multipart message.
 */
#ifndef PL_REPLAY_WIRE_H
#define PL_REPLAY_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* The most frames a replay message has, and the most digits of a seq. */
#define PL_REPLAY_WIRE_MAX_FRAMES 3
#define PL_REPLAY_WIRE_SEQ_DIGITS 20
/* The longest reason an ERR carries. */
#define PL_REPLAY_WIRE_REASON_MAX 256

enum pl_replay_wire_type {
    PL_REPLAY_WIRE_SINCE = 1,
    PL_REPLAY_WIRE_MSG,
    PL_REPLAY_WIRE_END,
    PL_REPLAY_WIRE_ERR,
};

/* A replay message. Decoded, the pointers borrow from the frames; to
 * encode, they are borrowed from the caller until the call returns. */
struct pl_replay_wire_msg {
    int type;
    uint64_t seq;      /* SINCE: send what follows this seq; END: the last seq sent */
    int more;          /* END: 1 when records remain after this batch, else 0 */
    const char *topic; /* MSG: "article" or "error" */
    size_t topic_len;
    const char *json; /* MSG: the message as published */
    size_t json_len;
    const char *reason; /* ERR: why the request was refused, not NUL-terminated */
    size_t reason_len;
};

/* The frames of an encoded message. f points into num (the seq in decimal),
 * into static strings and into the message encoded. */
struct pl_replay_wire_frames {
    struct pl_wire_frame f[PL_REPLAY_WIRE_MAX_FRAMES];
    size_t n;
    char num[PL_REPLAY_WIRE_SEQ_DIGITS + 1];
};

/* Encodes m into out. Returns 0, or -EINVAL for an unknown type, a MSG
 * without topic, an END whose more is neither 0 nor 1 or an ERR whose
 * reason is empty or longer than PL_REPLAY_WIRE_REASON_MAX. */
int pl_replay_wire_encode(const struct pl_replay_wire_msg *m, struct pl_replay_wire_frames *out);

/* Decodes a request (the frames after the ROUTER identity) into m, which
 * borrows from f. Returns 0 for a SINCE, or -EPROTO for anything that does
 * not follow the protocol (m is then zeroed, and *why, when why is not NULL,
 * points at a static sentence saying what is wrong, for the ERR reply). */
int pl_replay_wire_decode_request(const struct pl_wire_frame *f, size_t n,
                                  struct pl_replay_wire_msg *m, const char **why);

/* Decodes a reply (the frames a DEALER receives) into m, which borrows from
 * f. Returns 0 for a MSG, an END or an ERR, or -EPROTO for anything that does not
 * follow the protocol (m is then zeroed). */
int pl_replay_wire_decode_reply(const struct pl_wire_frame *f, size_t n,
                                struct pl_replay_wire_msg *m);

/* Sends m on sock, preceded by the identity frame when ident is not NULL
 * (a ROUTER's reply). flags: 0 or ZMQ_DONTWAIT, for every frame. m and
 * ident are borrowed for the call. Returns 0, -EINVAL as
 * pl_replay_wire_encode, or the -errno of the failed send. */
int pl_replay_wire_send(void *sock, const void *ident, size_t ident_len,
                        const struct pl_replay_wire_msg *m, int flags);

#endif
