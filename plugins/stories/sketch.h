/*
 * Near-duplicate sketches for the stories stage: MinHash over word
 * 3-shingles (Broder 1997), with LSH banding so that a store finds the
 * articles that share a band key instead of comparing with all of them.
 * Hand-written: no Debian library offers MinHash. Pure functions; any
 * thread, no shared state. Called by store.c on the stage's worker thread,
 * and by the evaluation and the benchmark.
 */
#ifndef PL_STORIES_SKETCH_H
#define PL_STORIES_SKETCH_H

#include <stddef.h>
#include <stdint.h>

/* The sketch's size: 64 minimum hashes in 16 bands of 4 rows. With bands
 * of 4, two texts of Jaccard similarity 0.7 share a band with probability
 * 1 - (1 - 0.7^4)^16 = 0.99, two of 0.1 with probability 0.0016. */
#define PL_SKETCH_K 64
#define PL_SKETCH_BANDS 16
#define PL_SKETCH_ROWS (PL_SKETCH_K / PL_SKETCH_BANDS)

/* Lines with fewer words than this add no shingles: share bars, copyright
 * lines, datelines and "Also Read" headings are short lines, and leaving
 * them out keeps furniture from moving the sketch. */
#define PL_SKETCH_MIN_LINE_WORDS 6

struct pl_sketch {
    uint64_t min[PL_SKETCH_K];
    uint32_t shingles; /* shingles hashed; 0 = nothing to compare */
};

/* Fills sk from text[0..len) (UTF-8): words are lower-cased runs of letters
 * and digits, shingles are three words in a row within one line. Returns 0
 * or -ENOMEM. */
int pl_sketch_text(const char *text, size_t len, struct pl_sketch *sk);

/* The estimated Jaccard similarity of two sketches' shingle sets, 0..1
 * (0 when either is empty). */
double pl_sketch_similarity(const struct pl_sketch *a, const struct pl_sketch *b);

/* The LSH key of band b (0..PL_SKETCH_BANDS-1): a hash of the band's rows
 * and its number, so equal rows in two bands give two keys. */
int64_t pl_sketch_band_key(const struct pl_sketch *sk, int b);

#endif
