/*
 * The summarizer's reading of one document: tokens and sentences of the
 * text, term ids (terms.h), the candidates (candidates.h) and their
 * features (sentence_features.h), the steps the summarize plugin runs before it
 * scores, selects (select.h) and writes its output. The plugin calls it on
 * the stage's worker thread, once per document; the unit tests call it on
 * sentences of their own. Nothing is shared between documents.
 */
#ifndef PL_SUMMARY_H
#define PL_SUMMARY_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "candidates.h"
#include "sentence_features.h"
#include "terms.h"
#include "text.h"

struct pl_summary_doc {
    const char *text;           /* borrowed from the caller */
    struct pl_tokens k;         /* the text's tokens */
    struct pl_spans sp;         /* its sentences */
    struct pl_summary_vocab v;  /* its content words and the title's */
    long *ids;                  /* term id per token, -1 for none */
    struct pl_summary_sent *ss; /* one per sentence, features filled for candidates */
    size_t ns, ncand;           /* sentences, candidates among them */
    double *idf;                /* per term id, its news idf (pl_kw_idf) */
    size_t nents;               /* entities in the entities stage's array */
};

/* Reads text[0..n) into d (zeroed by the caller): tokens, sentences, term
 * ids, candidates, entity mentions per sentence and
 * the candidates' features. title (may be NULL) and entities (the entities stage's array,
 * may be NULL) are borrowed for the call; text is borrowed until
 * pl_summary_doc_free. Returns 0 or -ENOMEM; free d with
 * pl_summary_doc_free either way. */
int pl_summary_doc_read(struct pl_summary_doc *d, const char *text, size_t n, const char *title,
                        const cJSON *entities);

/* Frees what d holds (d itself is the caller's). */
void pl_summary_doc_free(struct pl_summary_doc *d);

#endif
