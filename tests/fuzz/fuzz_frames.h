/*
 * The input layout fuzz_wire.c and fuzz_replay.c share: a frame count byte
 * (taken modulo max + 1), then for each frame a length byte and that many
 * bytes. Each frame is a copy on the heap, so AddressSanitizer sees any
 * read past its end. Runs on the fuzzer's thread.
 */
#ifndef PL_FUZZ_FRAMES_H
#define PL_FUZZ_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* Splits data (size >= 1) into at most max frames in f. Returns how many;
 * the caller frees them with fz_frames_free. */
size_t fz_frames(const uint8_t *data, size_t size, struct pl_wire_frame *f, size_t max);
void fz_frames_free(struct pl_wire_frame *f, size_t n);

#endif
