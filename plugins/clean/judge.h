/*
 * The rules' judgement of a document's blocks once they are split: the
 * title, the boilerplate, and for plain text that is a dump of a whole page
 * its story, refined by the dump model. The clean plugin judges every
 * document with it (clean.c), and the block trainer (eval/train_blocks.c)
 * judges the dumps it learns from with it, so that the model sees in
 * training the blocks it sees at run time.
 *
 * Called on the plugin's worker thread or the trainer's; no shared state.
 */
#ifndef PL_JUDGE_H
#define PL_JUDGE_H

#include "blocks.h"
#include "bmodel.h"

/* The clean stage's defaults (its options max_invalid_ratio,
 * max_control_ratio and min_headline_run). */
#define PL_CLEAN_MAX_INVALID_RATIO 0.01
#define PL_CLEAN_MAX_CONTROL_RATIO 0.01
#define PL_CLEAN_MIN_HEADLINE_RUN 3

/* Judges bl (split, the date prefix cut): plain: the input was plain text
 * (it may be a page's dump); has_title: the metadata gave a title (none
 * is looked for); dumps (borrowed, may be NULL): the dump model, applied
 * when bl is a dump of a page. *page: 1 when it is. Returns 0 or -ENOMEM. */
int pl_judge_blocks(struct pl_blocks *bl, int plain, int has_title, int min_headline_run,
                    const struct pl_bmodel *dumps, int *page);

#endif
