/*
 * The clean stage's output document: the text of the blocks kept, the
 * "removed" list (each removal with its reason, adjacent ones of the same
 * reason merged), and the fields title, text, language, published, author
 * and source.{invalid_utf8, format, encoding, url}; raw and raw_base64
 * dropped.
 *
 * Called by the clean plugin on its worker thread; no shared state.
 */
#ifndef PL_OUTPUT_H
#define PL_OUTPUT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "blocks.h"
#include "text.h"

/* Appends {reason, text} to removed. reason and text stay the caller's
 * (copied). Returns 0 or -ENOMEM. */
int pl_output_removed(cJSON *removed, const char *reason, const char *text);

/* Writes the blocks kept to text (paragraphs apart by a blank line, a
 * list's items by one newline) and lists the removed ones in removed; a
 * block left empty by its date prefix is not listed (the caller listed the
 * prefix when it cut it). *title becomes the title block's text (borrowed
 * from bl) when there is one. Returns 0 or -ENOMEM; text is the caller's to
 * free either way. */
int pl_output_text(const struct pl_blocks *bl, cJSON *removed, struct pl_buf *text,
                   const char **title);

/* What the clean stage found about a document; all borrowed. */
struct pl_output {
    const char *title; /* NULL: none found */
    const char *text;  /* NUL-terminated */
    size_t len;
    const char *published; /* YYYY-MM-DD, or "" when not known */
    const char *format;    /* "text", "html" or "json" */
    const char *encoding;
    const char *url, *author; /* NULL: not known */
    size_t invalid;           /* invalid UTF-8 sequences replaced */
};

/* Sets the output fields of doc from o, guessing the text's language, and
 * drops raw and raw_base64. Returns 0 or -ENOMEM. */
int pl_output_fill(cJSON *doc, const struct pl_output *o);

#endif
