/*
 * `pressline eval keywords`: runs the configured pipeline (clean ...
 * summarize) on each story of a folder in the 500N-KPCrowd layout
 * (DIR/docsutf8/NAME.txt, its annotators' phrases in DIR/keys/NAME.key,
 * one a line) and prints precision, recall and F1 at 5 and at 10 of
 * pressline's `keywords` (the "text" of each, in rank order) and, on the same stories, of three
 * baselines: TF, TF-IDF (document frequencies from the folder's other stories) and YAKE (yake.h).
 * Phrases are matched as keyphrase.h says; the figures are macro averages (each story's P, R and
 * F1, then their mean over stories), as the KPCrowd literature reports them. The baselines read the
 * story file as it is, pressline what its clean stage keeps of it. A story the pipeline fails is
 * named on stderr and counts with no keyphrases (and apart from those it ran on and that came out
 * without any). Called by eval_cmd.c, on the main thread.
 */
#ifndef PL_EVAL_KEYWORDS_H
#define PL_EVAL_KEYWORDS_H

#include <stdio.h>

struct pl_config;

struct pl_eval_keywords_args {
    const char *dir;     /* the folder */
    const char *predict; /* or NULL: one JSON row a story, each method's phrases */
    unsigned cv;         /* 0, or 2 .. PL_EVAL_MAX_FOLDS: figures per fold too */
};

/* A story is at most this long; a longer one is a bad input. */
#define PL_EVAL_KEYWORDS_MAX_BYTES (8u << 20)

/* Scores the folder; the table goes to report, warnings and reasons to
 * stderr. Returns 0, or a negative errno or PL_E* code with the reason
 * on stderr. */
int pl_eval_keywords(const struct pl_config *cfg, const struct pl_eval_keywords_args *a,
                     FILE *report);

#endif
