/*
 * libFuzzer harness for the replay protocol's decoder (replay_wire.h), both
 * directions. Input: a frame count byte, then for each frame a length byte
 * and that many bytes (as fuzz_wire.c). What decodes must encode again and
 * decode to the same message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "replay_wire.h"

#define MAX_FRAMES (PL_REPLAY_WIRE_MAX_FRAMES + 2)

static void s_same(const struct pl_replay_wire_msg *a, const struct pl_replay_wire_msg *b)
{
    if (a->type != b->type || a->seq != b->seq || a->more != b->more ||
        a->topic_len != b->topic_len || a->json_len != b->json_len ||
        (a->topic_len && memcmp(a->topic, b->topic, a->topic_len) != 0) ||
        (a->json_len && memcmp(a->json, b->json, a->json_len) != 0))
        abort();
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
    size_t n = data[0] % (MAX_FRAMES + 1), at = 1, got = 0;
    for (; got < n && at < size; got++) {
        size_t len = data[at++];
        if (len > size - at)
            len = size - at;
        /* Copies, so ASan sees reads past each frame. */
        void *p = malloc(len ? len : 1);
        memcpy(p, data + at, len);
        f[got] = (struct pl_wire_frame){ p, len };
        at += len;
    }
    struct pl_replay_wire_msg m;
    if (pl_replay_wire_decode_request(f, got, &m) == 0) {
        if (m.type != PL_REPLAY_WIRE_SINCE)
            abort();
        s_round_trip(&m, pl_replay_wire_decode_request);
    }
    if (pl_replay_wire_decode_reply(f, got, &m) == 0) {
        if (m.type != PL_REPLAY_WIRE_MSG && m.type != PL_REPLAY_WIRE_END)
            abort();
        s_round_trip(&m, pl_replay_wire_decode_reply);
    }
    for (size_t i = 0; i < got; i++)
        free((void *)f[i].data);
    return 0;
}
