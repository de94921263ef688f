/*
 * `pressline eval extract`: scores the clean stage's main-text extraction.
 * Three modes:
 *  - trafilatura's evaluation set: evaldata.json maps each URL to its page
 *    (html/eval/ or html/cache/ beside the file) and to snippets that must
 *    appear in the text ("with") and must not ("without"); prints precision,
 *    recall, F1 and accuracy over all snippets, as trafilatura does.
 *  - true bodies: {id: {"articleBody": ...}} and a folder of pages named
 *    <id>.html; prints word 4-gram precision and recall averaged over pages
 *    and the F1 of those averages (the Zyte article-extraction benchmark's
 *    metric).
 *  - Mozilla Readability's test pages: DIR/<name>/source.html scored by the
 *    same 4-gram metric against the text of DIR/<name>/expected.html
 *    (html_text.h); a page whose expected.html has no text is skipped and
 *    counted.
 * With cv >= 2 it also prints the figures of each site-grouped fold
 * (folds.h) and their spread; with models, each fold's pages are scored by
 * an instance given the block model trained without that fold.
 * Main thread; one plugin instance at a time.
 */
#ifndef PL_EVAL_EXTRACT_H
#define PL_EVAL_EXTRACT_H

#include <stdio.h>

struct pl_config;

/* The clean stage's option naming its block model file: the one place the
 * evaluator spells it. */
#define PL_EVAL_BLOCK_MODEL_OPTION "block_model"

/* The most folds --cv takes. */
#define PL_EVAL_MAX_FOLDS 100

/* What to score; every string is borrowed for the call. Exactly one of
 * evaldata (trafilatura mode; pages: NULL or a folder of dumps), truth
 * (with pages) or readability is set. */
struct pl_eval_extract_args {
    const char *evaldata;
    const char *truth;
    const char *pages;
    const char *readability;
    const char *predict; /* NULL, or where to write {"id","text",scores} rows */
    unsigned cv;         /* 0: no folds, else 2 .. PL_EVAL_MAX_FOLDS */
    const char *models;  /* NULL, or the folder of fold-K.model files (needs cv) */
};

/* Runs the configured clean stage over the pages a names and prints the
 * figures to report. With models the {"id","text"} rows come fold by fold.
 * Returns 0, or a negative errno or PL_E* code (errcode.h), with the reason
 * on stderr. */
int pl_eval_extract(const struct pl_config *cfg, const struct pl_eval_extract_args *a,
                    FILE *report);

#endif
