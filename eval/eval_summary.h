/*
 * `pressline eval summary`: runs the configured pipeline (clean ...
 * summarize) on each article of a JSON-lines file of {"id","article",
 * "highlights"} rows and prints ROUGE-1, ROUGE-2 and ROUGE-Lsum F1 (x100,
 * averaged over articles) for pressline's summary and for lead-3 (the first
 * three sentences of the cleaned text) side by side. Main thread.
 */
#ifndef PL_EVAL_SUMMARY_H
#define PL_EVAL_SUMMARY_H

#include <stddef.h>
#include <stdio.h>

struct pl_config;

/* Scores the rows of path; writes {"id","summary"} rows (sentences one per
 * line) to predict_path when not NULL. Returns 0, or a negative errno or
 * PL_E* code (error.h) with the reason on stderr. */
int pl_eval_summary(const struct pl_config *cfg, const char *path, const char *predict_path,
                    FILE *report);

/* Lead-k: the first k sentences of text, as pl_sentences splits it, copied
 * into out[0..k) (caller frees each). Returns how many there are. */
size_t pl_lead_sentences(const char *text, size_t k, char **out);

#endif
