/*
 * Text dumps of web pages (w3m -dump, a browser's select-all and copy) hold
 * menus, link lists and footers around the story. This finds the story in
 * such a dump: the runs of blocks with the most prose net of what is not
 * prose -- the best, and others of at least a fifth of it (a story cut in
 * two by a gallery) -- with the headline just above.
 *
 * Called by the clean plugin on its worker thread for plain-text input,
 * after the rules (rules.h); no shared state.
 */
#ifndef PL_DUMP_H
#define PL_DUMP_H

#include "blocks.h"
#include "bmodel.h"

/* Blocks above which a dump is left to the runs alone (pl_dump_apply). */
#define PL_DUMP_MAX_BLOCKS 20000

/* Marks every block outside the story "outside-article" (and not the
 * title). Does nothing to text that is mostly story already, nor when
 * memory runs out (the text is then cleaned as an article file). Returns 1
 * when it marked the text as a page, else 0. */
int pl_dump_mark_page(struct pl_blocks *bl);

/* After pl_dump_mark_page marked bl a page, and when no metadata gave a
 * title: finds the title among the blocks left, unless one is the title
 * already. */
void pl_dump_find_title(struct pl_blocks *bl);

/* The block classifier's features of each block of bl, a dump that
 * pl_dump_mark_page marked as a page, into f[0..bl->n): its text's (as a
 * page block's, bmodel.h), its position and share of the text, whether the
 * rules kept it, removed it as outside the story or for another reason, a
 * list item, a title, and whether its text recurs. */
void pl_dump_features(const struct pl_blocks *bl, struct pl_bfeat *f);

/* What the stacked dump model's context features (pl_bm_stack) need of
 * bl's blocks: their length, whether the runs kept them as story, and a
 * shape key (the bullet, a blank line before, the title), into len,
 * inside and key, bl->n each. */
void pl_dump_stack_keys(const struct pl_blocks *bl, size_t *len, int *inside, uint64_t *key);

/* Whether the dump model judges block b (pl_dump_apply): not the title,
 * and kept as story or put outside it by the runs, not removed by another
 * rule. */
int pl_dump_judged(const struct pl_block *b);

/* Applies the dump model m (borrowed) to bl, marked as a page: a block the
 * rules kept as story that m scores below its threshold goes
 * ("outside-article"), one they put outside the story that m scores at or
 * above its add threshold comes back. When m has a stacked model, m's
 * probabilities make its context features and its probability is the
 * one compared. Blocks removed for other reasons,
 * and the title, stay as they are; when no story would be left, bl stays
 * as the runs left it, and so it does for a dump of over
 * PL_DUMP_MAX_BLOCKS blocks (memory stays bounded). Call it after the
 * title is found. Returns 0 or -ENOMEM (bl then as it was). */
int pl_dump_apply(struct pl_blocks *bl, const struct pl_bmodel *m);

#endif
