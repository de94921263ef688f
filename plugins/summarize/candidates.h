/*
 * The summarizer's sentences and which of them may go into a summary.
 *
 * A candidate is a full sentence that closes with . or ! (optionally inside
 * a quote) and has 6 to 80 words; headings, list items, questions, the
 * answer to a rhetorical question and the pieces of a quotation several
 * sentences long are not. An article of list items only (a "key points"
 * box) has its items as candidates instead. The summarizer's document
 * reader (summary.c) calls these on the stage's worker thread; pure.
 */
#ifndef PL_SUMMARY_CANDIDATES_H
#define PL_SUMMARY_CANDIDATES_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "sentence_features.h"
#include "text.h"

/* The entities a sentence keeps for the redundancy test; more are rare. */
#define PL_SUMMARY_SENT_ENTS 12

struct pl_summary_sent {
    uint32_t start, end; /* bytes of the text, the sentence as written */
    int candidate;       /* may go into the summary */
    int words;           /* word and abbreviation tokens */
    long *terms;         /* vocabulary ids of its content words, with repeats; owned */
    size_t nterms;
    double score;                        /* the learned score, for candidates */
    int picked;                          /* chosen for the summary */
    int para_first;                      /* first sentence of its paragraph */
    int mentions;                        /* entity mentions starting inside it */
    int number;                          /* holds a number */
    uint16_t ents[PL_SUMMARY_SENT_ENTS]; /* the entities it mentions (their index), distinct */
    int nents;
    double x[PL_SUMMARY_NF];
};

/* Fills ss[0..sp->n) (zeroed by the caller) from the sentence spans sp of
 * text t, its tokens k and their term ids (see terms.h), and marks the
 * candidates. Each sentence's terms are its own, freed by the caller even
 * on failure. Returns 0 or -ENOMEM. */
int pl_summary_sentences(const char *t, const struct pl_tokens *k, const struct pl_spans *sp,
                         const long *ids, struct pl_summary_sent *ss);

/* When no sentence of ss[0..ns) is a candidate, makes the list items that
 * would be one the candidates, each without its bullet. */
void pl_summary_list_items(const char *t, struct pl_summary_sent *ss, size_t ns);

/* Counts, per sentence, the mentions of the entities array (the entities
 * stage's output, borrowed; NULL when it did not run) that start inside
 * it, and notes which entities they are (their index in the array, up to
 * PL_SUMMARY_SENT_ENTS of them). Dates are not counted. */
void pl_summary_count_mentions(const cJSON *entities, struct pl_summary_sent *ss, size_t ns);

#endif
