/*
 * Keyphrases for the summarize plugin. The candidates are the text's
 * content words and its noun-phrase-like runs of up to four content words
 * (cut at stopwords, weak words, punctuation, line breaks and words that
 * look like verbs), keyed by their term ids (terms.h), so that a phrase
 * and its plural are one candidate; the entities stage's names join them
 * and lend their type. Each candidate gets the PL_KW_NF features below
 * (frequency, first position, spread, casing, entity type, length,
 * TF-IDF with document frequencies learned on unlabeled news, kw_df.h, and
 * keyphraseness: the share of the dev stories holding the candidate whose
 * annotators chose it, kw_prior.h) and
 * a logistic-regression score with the weights eval/train_keywords.c fits
 * (keyword_weights.h). The best ones are handed back in rank order, each
 * as it stands in the text, a near-duplicate of one kept ("U.S." after
 * "United States") left out, and so is a lone word WordNet never has as a
 * noun (kw_noun.h) unless it is a name. Called by summarize.c on the
 * stage's worker thread and by the unit tests; pure but for the arrays it
 * fills.
 */
#ifndef PL_SUMMARY_KEYWORDS_H
#define PL_SUMMARY_KEYWORDS_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "terms.h"
#include "text.h"

#define PL_KW_NF 28

/* The features' names, in order (for the trainer and the weights file). */
extern const char *const pl_kw_feature_names[PL_KW_NF];

/* The weights fitted by eval/train_keywords.c: one per feature, then the
 * bias. */
extern const double *const pl_kw_default_weights;

/* One document as the summarizer read it: t is the text, k its tokens
 * (sentence starts marked), ids their term ids in v, entities the entities
 * stage's array (or NULL). All borrowed. */
struct pl_kw_doc {
    const char *t;
    const struct pl_tokens *k;
    const long *ids;
    const struct pl_summary_vocab *v;
    const cJSON *entities;
    const double *idf; /* per term id of v, its news idf (pl_kw_idf) */
    /* The keyphraseness table: NULL for the trained one (kw_prior.h), or
     * for the trainer an object {key: [share, count]} (see below). */
    const cJSON *prior;
    /* The last place to a person named in full when none is in the others
     * (summarize's option "keyword_person"). */
    bool person;
};

/* A candidate's key: its terms (terms.h's forms) joined by single spaces,
 * into buf (cap bytes); the trainer's keyphraseness table is by key. */

/* The features emitted for the trainer carry each candidate's "key". */

/* Appends up to `want` keyphrases of d to the array out, each an object
 * {"text", "score"} (score 0..1, highest first), scored with w (PL_KW_NF
 * weights, then the bias). When features is not NULL, every candidate's
 * {"text", "x": [...]} is appended to it as well, for the trainer. Both
 * arrays stay the caller's. Returns 0 or -ENOMEM (they may then hold
 * some). */
int pl_summary_keywords(const struct pl_kw_doc *d, const double *w, int want, cJSON *out,
                        cJSON *features);

/* The inverse document frequency of term w (terms.h's form) in the
 * unlabeled news table: ln((N + 1) / (df + 1)), the largest value for a
 * term the table does not hold. */
double pl_kw_idf(const char *w);

#endif
