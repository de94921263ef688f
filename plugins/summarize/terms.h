/*
 * Term ids for the summarizer: a small vocabulary of the article's content
 * words (lower-cased, lightly stemmed, stopwords left out), each with the
 * number of times it occurs in the text. The summarizer's document reader
 * (summary.c) calls it once per document, on the worker thread that runs
 * the stage; nothing here is shared between documents.
 */
#ifndef PL_SUMMARY_TERMS_H
#define PL_SUMMARY_TERMS_H

#include <stddef.h>

#include "text.h"

struct pl_summary_vocab {
    char **w;      /* the terms, owned */
    double *df;    /* occurrences in the article's text */
    size_t n, cap; /* terms held, room for */
    size_t *slots; /* open addressing, index+1, 0 = empty */
    size_t mask;
};

/* Makes room for about `expect` terms (the hash table does not grow).
 * Returns 0 or -ENOMEM; free with pl_summary_vocab_free either way. */
int pl_summary_vocab_init(struct pl_summary_vocab *v, size_t expect);

/* The id of term w (copied in when new; its count is not touched). Returns
 * the id, or -ENOMEM. */
long pl_summary_vocab_id(struct pl_summary_vocab *v, const char *w);

/* Frees what v holds; v itself is the caller's. */
void pl_summary_vocab_free(struct pl_summary_vocab *v);

/* Fills ids[i] with the vocabulary id of token i of t, or -1 for a
 * stopword, a one-letter word, a number or punctuation, and counts each
 * term's occurrences in v->df. ids holds k->n entries, the caller's.
 * Returns 0 or -ENOMEM. */
int pl_summary_text_terms(const char *t, const struct pl_tokens *k, struct pl_summary_vocab *v,
                          long *ids);

/* The content words of the title, as ids of v (a word only in the title
 * gets a new id with a count of 0). On success *ids (caller frees) holds *n
 * ids; on failure nothing is handed back. Returns 0 or -ENOMEM. */
int pl_summary_title_terms(const char *title, struct pl_summary_vocab *v, long **ids, size_t *n);

#endif
