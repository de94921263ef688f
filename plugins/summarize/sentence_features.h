/*
 * The sentence features the summarizer's learned scorer weighs, and the
 * score itself: a logistic regression over PL_SUMMARY_NF features, with
 * weights (one per feature, then the bias) that eval/train_summary.c fits
 * on CNN/DailyMail and writes to weights.h. The summarize plugin fills and
 * scores every candidate on the worker thread that runs the stage; with the
 * option "features" it also hands the values to the trainer, so the
 * trainer learns on exactly what the plugin computes. Pure functions.
 */
#ifndef PL_SUMMARY_SENTENCE_FEATURES_H
#define PL_SUMMARY_SENTENCE_FEATURES_H

#include <stddef.h>

struct pl_summary_sent;
struct pl_summary_vocab;

/* The order is the weights' order in weights.h. */
enum pl_summary_feature {
    PL_SUMMARY_X_POS1,         /* first candidate */
    PL_SUMMARY_X_POS2,         /* second */
    PL_SUMMARY_X_POS3,         /* third */
    PL_SUMMARY_X_POS45,        /* fourth or fifth */
    PL_SUMMARY_X_POS610,       /* sixth to tenth */
    PL_SUMMARY_X_POSINV,       /* 1 / (1 + rank), rank counting candidates from 0 */
    PL_SUMMARY_X_POSREL,       /* rank / number of candidates */
    PL_SUMMARY_X_CENTRAL,      /* cosine with the article's term profile */
    PL_SUMMARY_X_TITLE,        /* share of the title's terms the sentence holds */
    PL_SUMMARY_X_LEN_SHORT,    /* 6..12 words (fewer are never candidates) */
    PL_SUMMARY_X_LEN_MID,      /* 13..25 words */
    PL_SUMMARY_X_LEN_LONG,     /* 26..40 words */
    PL_SUMMARY_X_LEN_VLONG,    /* 41 words or more */
    PL_SUMMARY_X_ENTITIES,     /* entity mentions per word, times 4, at most 1 */
    PL_SUMMARY_X_NUMBER,       /* holds a number */
    PL_SUMMARY_X_QUOTE,        /* holds a straight quote or opens with a curly one */
    PL_SUMMARY_X_TERMFREQ,     /* mean log(1 + count) of its terms, over the most frequent term's */
    PL_SUMMARY_X_PARA_FIRST,   /* first sentence of its paragraph */
    PL_SUMMARY_X_DANGLING,     /* opens with a pronoun or a connective */
    PL_SUMMARY_X_CENTRAL_REST, /* cosine with the profile of the rest of the article */
    PL_SUMMARY_X_CENTRAL_IDF,  /* cosine with the article's profile, terms weighed by news idf */
    PL_SUMMARY_X_IDF,          /* mean news idf of its terms, over 10 */
    PL_SUMMARY_X_OPEN_FOREIGN, /* first candidate, times the share of its distinct terms
                                * that the rest of the article never uses */
    PL_SUMMARY_X_OPEN_REST,    /* first candidate, times centrality_rest */
    PL_SUMMARY_NF
};

/* The features' names, as "summary_features" gives them to the trainer. */
extern const char *const pl_summary_feature_names[PL_SUMMARY_NF];

/* Fills x of every candidate among ss[0..ns) (ncand of them), in text
 * order. t is the text the sentences index; v holds the text's term counts
 * and idf[id] each term's news idf; title_ids[0..ntitle) are the title's
 * terms. Nothing is kept. Returns 0 or
 * -ENOMEM. */
int pl_summary_features(const char *t, struct pl_summary_sent *ss, size_t ns, size_t ncand,
                        const struct pl_summary_vocab *v, const double *idf, const long *title_ids,
                        size_t ntitle);

/* The logistic score in (0, 1) of features x under weights w
 * (PL_SUMMARY_NF weights, then the bias). */
double pl_summary_score(const double *w, const double *x);

#endif
