/*
 * The clean stage's text as blocks: one per line of the input after
 * white-space normalisation, hard-wrapped lines joined back into their
 * paragraph, each block later judged by the rules (rules.h, dump.h) and
 * written out or listed as removed (output.h).
 *
 * Called by the clean plugin on its worker thread, one document at a time;
 * no shared state.
 */
#ifndef PL_BLOCKS_H
#define PL_BLOCKS_H

#include <stddef.h>

/* One line of the input after normalisation. */
struct pl_block {
    char *s; /* NUL-terminated, owned */
    size_t len;
    int blank_before; /* a blank line separated it from the previous block */
    int bullet;
    const char *reason; /* non-NULL: removed, for this reason (a static string) */
    int is_title;
    size_t last_width; /* characters in its last line as written, indent included */
    char *low;         /* s lower-cased, for the rules (pl_blocks_lower) */
};

struct pl_blocks {
    struct pl_block *v;
    size_t n, cap;
};

/* Frees every block's strings and the array; b itself is the caller's. */
void pl_blocks_free(struct pl_blocks *b);

/* Appends to out one block per non-empty line of t[0..n) (UTF-8, NFC),
 * joining hard-wrapped lines: a line that continues in lower case on the
 * next one, or, in text wrapped at a fixed width, a line whose first word
 * would not have fitted on the one before (plain: the input was plain text,
 * not a page's main text). t stays the caller's; out owns the copies.
 * Returns 0 or -ENOMEM (out then holds the blocks made so far). */
int pl_blocks_split(const char *t, size_t n, int plain, struct pl_blocks *out);

/* Gives every block its lower-cased copy (low), once, for the rules.
 * Returns 0 or -ENOMEM. */
int pl_blocks_lower(struct pl_blocks *bl);

#endif
