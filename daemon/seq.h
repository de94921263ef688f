/*
 * The publish sequence number: monotonic across restarts, kept in
 * <spool>/seq with a reserved ceiling (hi/lo allocation): the file is
 * rewritten once every PL_SEQ_BLOCK numbers, so a crash leaves a visible gap
 * but never a repeat. Loop thread only.
 */
#ifndef PL_SEQ_H
#define PL_SEQ_H

#include <stdbool.h>
#include <stdint.h>

#define PL_SEQ_BLOCK 1000

struct pl_seq {
    int dirfd; /* borrowed */
    bool durable;
    uint64_t next;
    uint64_t ceiling; /* numbers below it are reserved on disk */
};

/* Reads <dir>/seq (missing: start at 1) and reserves the first block.
 * Returns 0 or -errno (-EBADMSG when the file is corrupt). */
int pl_seq_open(struct pl_seq *s, int dirfd, bool durable);

/* Takes the next number. Returns 0 or -errno when the reservation cannot be
 * written (then nothing is taken). */
int pl_seq_take(struct pl_seq *s, uint64_t *out);

#endif
