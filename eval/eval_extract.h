/*
 * `pressline eval extract`: scores the clean stage's main-text extraction.
 * Two modes:
 *  - trafilatura's evaluation set: evaldata.json maps each URL to its page
 *    (html/eval/ or html/cache/ beside the file) and to snippets that must
 *    appear in the text ("with") and must not ("without"); prints precision,
 *    recall, F1 and accuracy over all snippets, as trafilatura does.
 *  - true bodies: {id: {"articleBody": ...}} and a folder of pages named
 *    <id>.html; prints word 4-gram precision and recall averaged over pages
 *    and the F1 of those averages (the Zyte article-extraction benchmark's
 *    metric).
 * Main thread; one plugin instance.
 */
#ifndef PL_EVAL_EXTRACT_H
#define PL_EVAL_EXTRACT_H

#include <stdio.h>

struct pl_config;

/* evaldata: trafilatura mode. truth + pages: Zyte mode (evaldata NULL).
 * predict_path: {"id","text"} rows. Returns 0, or a negative errno or
 * PL_E* code (error.h), with the reason on stderr. */
int pl_eval_extract(const struct pl_config *cfg, const char *evaldata, const char *truth,
                    const char *pages, const char *predict_path, FILE *report);

#endif
