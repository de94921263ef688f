/*
 * CoNLL-2003 evaluation: reading token-per-line files, turning tag
 * sequences (IOB1 or BIO) into entity spans the way conlleval does, and
 * span-level precision, recall and F1 per type. Used by `pressline eval ner`.
 * Pure functions; any thread.
 */
#ifndef PL_CONLL_H
#define PL_CONLL_H

#include <stddef.h>

#define PL_CONLL_TYPES 4 /* PER, ORG, LOC, MISC */

/* Index of a CoNLL type name ("PER", "ORG", "LOC", "MISC"), or -1. */
int pl_conll_type(const char *name, size_t len);
extern const char *const pl_conll_type_names[PL_CONLL_TYPES];

struct pl_conll_span {
    size_t start, end; /* tokens [start, end) */
    int type;
};

/* Entity spans of one sentence's tags ("O", "B-X", "I-X"): a span starts at
 * B-X, or at I-X after O or after another type (IOB1); it continues over
 * I-X. Writes at most max spans; returns how many there are. */
size_t pl_conll_spans(const char *const *tags, size_t n, struct pl_conll_span *out, size_t max);

struct pl_conll_score {
    size_t gold[PL_CONLL_TYPES], found[PL_CONLL_TYPES], correct[PL_CONLL_TYPES];
    size_t tokens, tokens_correct;
};

/* Adds one sentence: gold and predicted tags, n tokens each. */
void pl_conll_score_add(struct pl_conll_score *s, const char *const *gold, const char *const *pred,
                        size_t n);

/* Precision, recall and F1 (0..100) for type t, or over all types (t < 0). */
void pl_conll_prf(const struct pl_conll_score *s, int t, double *p, double *r, double *f);

#endif
