/*
 * libFuzzer harness for the worker message decoder. Input: a frame count
 * byte, then for each frame a length byte and that many bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct pl_wire_frame f[PL_WIRE_MAX_FRAMES];
    size_t n = data[0] % (PL_WIRE_MAX_FRAMES + 1), at = 1, got = 0;
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
    struct pl_wire_msg m;
    if (pl_wire_decode(f, got, &m) == 0) {
        if (m.type < PL_WIRE_READY || m.type > PL_WIRE_HB)
            abort();
        volatile size_t sink = 0;
        for (size_t i = 0; i < m.body_len; i++)
            sink += (unsigned char)m.body[i];
        for (size_t i = 0; i < m.plugin_len; i++)
            sink += (unsigned char)m.plugin[i];
        (void)sink;
    }
    for (size_t i = 0; i < got; i++)
        free((void *)f[i].data);
    return 0;
}
