/*
 * The rules that judge the clean stage's blocks: which block is the title,
 * and which are boilerplate, each with its reason ("also-read", "teaser",
 * "after-article", "page-furniture", "agency-credit", "credit",
 * "call-to-action", "byline", "dateline", "headline-list", "date-prefix"):
 * the phrase lists of the languages seen most and the shapes of the lines
 * scraped pages carry. Text dumps of whole pages have their own rule
 * (dump.h).
 *
 * Called by the clean plugin on its worker thread, one document at a time;
 * the phrase lists are read-only.
 */
#ifndef PL_RULES_H
#define PL_RULES_H

#include "blocks.h"

/* A date stamp glued before the title (" date 2025-04-10 Title"): drops it
 * from the first block, copies the date to date (NUL-terminated) and sets
 * *prefix to the text dropped (caller frees; NULL when there was none).
 * A first block left empty gets the reason "date-prefix". Returns 0 or
 * -ENOMEM (the block then unchanged). */
int pl_rules_date_prefix(struct pl_blocks *bl, char date[11], char **prefix);

/* Marks the first block not yet removed as the title when it reads like
 * one (short, not closed by punctuation, not a list item, not the last). */
void pl_rules_find_title(struct pl_blocks *bl);

/* Gives each boilerplate block its reason: the end of the article and all
 * after it, headings of lists of other articles with their headlines, lines
 * of page furniture, credits, calls to action, bylines and datelines, and
 * runs of min_headline_run or more headlines in a row. Blocks already
 * removed and the title are left alone. Needs pl_blocks_lower first. */
void pl_rules_mark_boilerplate(struct pl_blocks *bl, int min_headline_run);

#endif
