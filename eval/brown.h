/*
 * Brown clusters (Brown et al. 1992) by the exact-merge algorithm of Liang
 * (2005, "Semi-supervised learning for natural language", section 3.2): a
 * binary tree over the vocabulary whose merges each lose as little of the
 * corpus's class-bigram mutual information as possible, with a window of
 * c active clusters. Words enter the window in order of frequency; each
 * new word makes c + 1 clusters and the best pair of them is merged; after
 * the last word, merges go on to the root. A word's bit path from the root
 * (0 left, 1 right) gives clusters of any granularity by its prefixes.
 *
 * Called by pl_train_brown (train_brown.c) and tests/unit/test_brown.c.
 * One thread; deterministic (sums in a fixed order, ties to the lowest
 * slot). Time O(V c^2), memory O(c^2 + distinct bigrams).
 */
#ifndef PL_BROWN_H
#define PL_BROWN_H

#include <stddef.h>
#include <stdint.h>

#define PL_BROWN_NONE UINT32_MAX /* a token outside the vocabulary, or a break */
#define PL_BROWN_MAX_DEPTH 64

/* A word's place in the tree: bits[0..len) from the root, bit 0 first in
 * the most significant of the len low bits of path. */
struct pl_brown_path {
    uint64_t path;
    uint32_t len;
};

/* Clusters the words 0..nwords-1 (ids by descending count: the order they
 * enter the window) from the token stream ids[0..n) (PL_BROWN_NONE breaks
 * bigrams), with a window of c clusters (c >= 2). Writes nwords paths to
 * out (caller-owned). Paths deeper than PL_BROWN_MAX_DEPTH keep their
 * first bits only. Returns 0, -EINVAL (c < 2, an id out of range) or
 * -ENOMEM. */
int pl_brown_train(const uint32_t *ids, size_t n, uint32_t nwords, uint32_t c,
                   struct pl_brown_path *out);

#endif
