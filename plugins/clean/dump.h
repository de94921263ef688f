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

/* Marks every block outside the story "outside-article" (and not the
 * title). Does nothing to text that is mostly story already, nor when
 * memory runs out (the text is then cleaned as an article file). Returns 1
 * when it marked the text as a page, else 0. */
int pl_dump_mark_page(struct pl_blocks *bl);

#endif
