/*
 * libFuzzer harness for the replay protocol's decoder (replay_wire.h), both
 * directions. Input: a frame count byte, then for each frame a length byte
 * and that many bytes (fuzz_frames.h, as fuzz_wire.c). What decodes must encode again and
 * decode to the same message; what a request decoder refuses must come with
 * a reason an ERR can carry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_frames.h"
#include "replay_wire.h"

#define MAX_FRAMES (PL_REPLAY_WIRE_MAX_FRAMES + 2)

static void s_same(const struct pl_replay_wire_msg *a, const struct pl_replay_wire_msg *b)
{
    if (a->type != b->type || a->seq != b->seq || a->more != b->more ||
        a->topic_len != b->topic_len || a->json_len != b->json_len ||
        a->reason_len != b->reason_len ||
        (a->reason_len && memcmp(a->reason, b->reason, a->reason_len) != 0) ||
        (a->topic_len && memcmp(a->topic, b->topic, a->topic_len) != 0) ||
        (a->json_len && memcmp(a->json, b->json, a->json_len) != 0))
        abort();
}

/* The request decoder, without the reason, as the reply decoder is called. */
static int s_decode_request(const struct pl_wire_frame *f, size_t n, struct pl_replay_wire_msg *m)
{
    return pl_replay_wire_decode_request(f, n, m, NULL);
}

/* Encodes m, decodes the frames with decode and checks nothing changed. */
static void s_round_trip(const struct pl_replay_wire_msg *m,
                         int (*decode)(const struct pl_wire_frame *, size_t,
                                       struct pl_replay_wire_msg *))
{
    struct pl_replay_wire_frames out;
    struct pl_replay_wire_msg again;
    if (pl_replay_wire_encode(m, &out) != 0 || decode(out.f, out.n, &again) != 0)
        abort();
    s_same(m, &again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct pl_wire_frame f[MAX_FRAMES];
    size_t got = fz_frames(data, size, f, MAX_FRAMES);
    struct pl_replay_wire_msg m;
    const char *why = NULL;
    if (pl_replay_wire_decode_request(f, got, &m, &why) == 0) {
        if (m.type != PL_REPLAY_WIRE_SINCE)
            abort();
        s_round_trip(&m, s_decode_request);
    } else if (!why || !*why || strlen(why) > PL_REPLAY_WIRE_REASON_MAX) {
        abort(); /* a refusal always says why, in what an ERR can carry */
    }
    if (pl_replay_wire_decode_reply(f, got, &m) == 0) {
        if (m.type != PL_REPLAY_WIRE_MSG && m.type != PL_REPLAY_WIRE_END &&
            m.type != PL_REPLAY_WIRE_ERR)
            abort();
        s_round_trip(&m, pl_replay_wire_decode_reply);
    }
    fz_frames_free(f, got);
    return 0;
}
