/*
 * `pressline eval ner`: runs the configured entities stage on a CoNLL file
 * and scores it. Each document's tokens are joined with spaces (sentences on
 * their own lines) into the text the plugin sees; its mentions are mapped
 * back to tokens as BIO tags. Main thread; one plugin instance.
 */
#ifndef PL_EVAL_NER_H
#define PL_EVAL_NER_H

#include <stdio.h>

struct pl_config;

/* Evaluates stage `stage` of cfg on the CoNLL file at path; prints the
 * conlleval-style report to report; writes each input line with the
 * predicted tag appended to predict_path when not NULL. Returns 0, or a
 * negative errno or PL_E* code (error.h) with the reason printed to
 * stderr. */
int pl_eval_ner(const struct pl_config *cfg, const char *stage, const char *path,
                const char *predict_path, FILE *report);

#endif
