/*
 * Which candidates make the summary: how many, then a greedy pick by
 * maximal marginal relevance (the learned score against the cosine with
 * what is already picked), where a near-repeat of a picked sentence is not
 * taken at all. The summarize plugin calls these on the stage's worker
 * thread, after the candidates are scored; pure.
 */
#ifndef PL_SUMMARY_SELECT_H
#define PL_SUMMARY_SELECT_H

#include <stddef.h>

struct pl_summary_sent;

/* The number of sentences to pick from ncand candidates: `sentences`, or
 * when ratio > 0 that share of the candidates (at least 1, at most
 * max_sentences); never more than ncand. */
size_t pl_summary_want(int sentences, double ratio, int max_sentences, size_t ncand);

/* Marks up to `want` candidates of ss[0..ns) as picked. lambda weighs the
 * score against the redundancy; nterms_max is the vocabulary's size (term
 * ids are below it). Returns 0 or -ENOMEM. */
int pl_summary_select(struct pl_summary_sent *ss, size_t ns, size_t want, double lambda,
                      size_t nterms_max);

#endif
