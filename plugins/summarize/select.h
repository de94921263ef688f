/*
 * Which candidates make the summary: how many, then a greedy pick by
 * maximal marginal relevance (the learned score against the cosine with
 * what is already picked), where a restatement of a picked sentence is not
 * taken at all: one that shares most of its content (Snowball stems of its
 * content words, and the entities it mentions) with it. The summarize plugin calls these on the
 * stage's worker thread, after the candidates are scored; pure.
 */
#ifndef PL_SUMMARY_SELECT_H
#define PL_SUMMARY_SELECT_H

#include <stddef.h>

#include "terms.h"

struct pl_summary_sent;
struct sb_stemmer;

/* The content keys of the restatement test: a term's stem class
 * (Snowball's English stemmer, taken when a sentence is first compared:
 * "discuss", "discussions" and "discussed" are one), and entity e as key
 * v->n + e. Built per document; not shared between threads. */
struct pl_summary_keys {
    const struct pl_summary_vocab *v; /* the terms, borrowed */
    long *cls;                        /* per term id, its class, -1 until stemmed */
    struct pl_summary_vocab stems;    /* the classes */
    struct sb_stemmer *sb;            /* made on first use */
    unsigned char *mark;              /* nkeys bytes, zero between calls */
    size_t nents, nkeys;
};

/* Readies ky for the terms of v and nents entities. Returns 0 or -ENOMEM;
 * free with pl_summary_keys_free either way. */
int pl_summary_keys_init(struct pl_summary_keys *ky, const struct pl_summary_vocab *v,
                         size_t nents);
void pl_summary_keys_free(struct pl_summary_keys *ky);

/* The number of sentences to pick from ncand candidates: `sentences`, or
 * when ratio > 0 that share of the candidates (at least 1, at most
 * max_sentences); never more than ncand. */
size_t pl_summary_want(int sentences, double ratio, int max_sentences, size_t ncand);

/* Marks up to `want` candidates of ss[0..ns) as picked. lambda weighs the
 * score against the redundancy (1: the score alone); nterms_max is the
 * vocabulary's size (term ids are below it); ky the content keys of the
 * restatement test. Returns 0 or -ENOMEM. */
int pl_summary_select(struct pl_summary_sent *ss, size_t ns, size_t want, double lambda,
                      size_t nterms_max, struct pl_summary_keys *ky);

/* Sets *overlap to the share of the smaller sentence's distinct content
 * keys that the other holds too, in [0, 1]. Returns 0 or -ENOMEM. */
int pl_summary_overlap(const struct pl_summary_sent *a, const struct pl_summary_sent *b,
                       struct pl_summary_keys *ky, double *overlap);

#endif
