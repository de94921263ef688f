/* The frame splitter of fuzz_frames.h, for fuzz_wire and fuzz_replay. */
#include "fuzz_frames.h"

#include <stdlib.h>
#include <string.h>

size_t fz_frames(const uint8_t *data, size_t size, struct pl_wire_frame *f, size_t max)
{
    size_t n = data[0] % (max + 1), at = 1, got = 0;
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
    return got;
}

void fz_frames_free(struct pl_wire_frame *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((void *)f[i].data);
}
