/*
 * libFuzzer harness for the worker message decoder. Input: a frame count
 * byte, then for each frame a length byte and that many bytes
 * (fuzz_frames.h).
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_frames.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct pl_wire_frame f[PL_WIRE_MAX_FRAMES];
    size_t got = fz_frames(data, size, f, PL_WIRE_MAX_FRAMES);
    struct pl_wire_msg m;
    if (pl_wire_decode(f, got, &m) == 0) {
        if (m.type < PL_WIRE_READY || m.type > PL_WIRE_TYPE_LAST)
            abort();
        volatile size_t sink = 0;
        for (size_t i = 0; i < m.body_len; i++)
            sink += (unsigned char)m.body[i];
        for (size_t i = 0; i < m.plugin_len; i++)
            sink += (unsigned char)m.plugin[i];
        (void)sink;
    }
    fz_frames_free(f, got);
    return 0;
}
