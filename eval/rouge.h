/*
 * ROUGE-1, ROUGE-2 and ROUGE-Lsum F1 of a candidate summary against one
 * reference, as Google's rouge-score package computes them (which follows
 * ROUGE-1.5.5): text lower-cased, every run of characters other than a-z
 * and 0-9 a separator, tokens longer than 3 characters stemmed (libstemmer's
 * English stemmer), n-gram overlap clipped by counts; ROUGE-Lsum is the
 * summary-level LCS over the sentences of both (union LCS per reference
 * sentence, each token counted at most as often as it occurs).
 *
 * Used by `pressline eval summary`. One scorer per thread (the stemmer keeps
 * state).
 */
#ifndef PL_ROUGE_H
#define PL_ROUGE_H

#include <stddef.h>
#include <stdint.h>

struct pl_rouge;

struct pl_rouge_score {
    double r1, r2, rlsum; /* F1, 0..1 */
};

/* Creates a scorer. Returns 0, or -ENOMEM (or -ENOENT when libstemmer has
 * no English stemmer). Caller frees with pl_rouge_free. */
int pl_rouge_new(struct pl_rouge **out);
void pl_rouge_free(struct pl_rouge **r);

/* Scores cand (nc sentences) against ref (nr sentences). Sentences are
 * NUL-terminated UTF-8. Returns 0 or -ENOMEM. */
int pl_rouge_score(struct pl_rouge *r, const char *const *cand, size_t nc, const char *const *ref,
                   size_t nr, struct pl_rouge_score *out);

/* How many of the n-gram hashes in a[0..na) are matched by one in
 * b[0..nb), each used once (clipped counts). Sorts both arrays. */
size_t pl_ngram_overlap(uint64_t *a, size_t na, uint64_t *b, size_t nb);

#endif
