/*
 * Keyphrases for the summarize plugin: runs of up to three content words
 * (cut at stopwords, weak words, punctuation and line breaks), scored by
 * how often the phrase recurs and how often its words recur in the
 * article; a phrase inside a better one, or holding one, is left out. Called
 * on the stage's worker thread; pure but for the array it fills.
 */
#ifndef PL_SUMMARY_KEYWORDS_H
#define PL_SUMMARY_KEYWORDS_H

#include <cjson/cJSON.h>

#include "terms.h"
#include "text.h"

/* Appends up to `want` keyphrases of text t (lower-cased strings) to the
 * array out, which stays the caller's. k is t's tokens and ids their term
 * ids in v (see terms.h). Returns 0 or -ENOMEM (out may then hold some). */
int pl_summary_keywords(const char *t, const struct pl_tokens *k, const long *ids,
                        const struct pl_summary_vocab *v, int want, cJSON *out);

#endif
