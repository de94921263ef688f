/*
 * TF-IDF term vectors for story clustering (Miranda et al. 2018's
 * representation, reduced to one vector): the article's title and body
 * terms (the summarizer's terms, terms.h, weighed by the news document
 * frequencies of kw_df.h through pl_kw_idf) and its entities as terms of
 * their own, each part weighted. A vector keeps only its heaviest terms, so
 * a story's row and the comparison stay bounded. Hand-written. Pure
 * functions; any thread. Called by store.c on the stage's worker thread.
 */
#ifndef PL_STORIES_VEC_H
#define PL_STORIES_VEC_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define PL_TERM_MAX 32    /* bytes of a term, NUL included; longer ones are cut */
#define PL_VEC_ARTICLE 48 /* terms an article's vector keeps */
#define PL_VEC_STORY 64   /* terms a story's centroid keeps */

struct pl_term {
    char t[PL_TERM_MAX]; /* "w" for a word, "@name" for an entity */
    double w;
};

/* A vector: terms sorted by t (strcmp), weights > 0. */
struct pl_vec {
    struct pl_term v[PL_VEC_STORY];
    int n;
};

/* Weights of the parts, measured on the evaluation (README, Stories). */
struct pl_vec_weights {
    double title, body, entity;
};

/* Fills v (normalised to length 1, at most PL_VEC_ARTICLE terms) from the
 * article's title (may be NULL), text and entities array (may be NULL).
 * Returns 0 or -ENOMEM. */
int pl_vec_article(const char *title, const char *text, size_t len, const cJSON *entities,
                   const struct pl_vec_weights *wt, struct pl_vec *v);

/* The cosine of a and b (both of any length). */
double pl_vec_cos(const struct pl_vec *a, const struct pl_vec *b);

/* c += a (a's weights as they are), keeping the PL_VEC_STORY heaviest
 * terms. c is a sum: cosine normalises it. */
void pl_vec_add(struct pl_vec *c, const struct pl_vec *a);

/* The indices of v's k heaviest terms into idx (k entries at most);
 * returns how many. */
int pl_vec_top(const struct pl_vec *v, int k, int *idx);

#endif
