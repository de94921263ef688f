/*
 * The main text of a web page: parsed with libxml2's HTML parser, pruned of
 * scripts, navigation, headers and footers, asides, comments, share bars,
 * related-article lists and cookie notices, then the densest block of
 * paragraphs (readability-style scoring) written out as text, one paragraph
 * or heading per block. Metadata from og:/article: meta tags, <title>,
 * <link rel=canonical> and JSON-LD.
 *
 * Called by the clean plugin on its worker thread; libxml2 is initialised
 * once by the plugin's init.
 */
#ifndef PL_HTML_H
#define PL_HTML_H

#include <stddef.h>

#include "bmodel.h"

struct pl_html_meta {
    char *title;     /* og:title, JSON-LD headline, <title>, or the first <h1> */
    char *published; /* as written in the page (ISO 8601 usually) */
    char *author;
    char *url;  /* canonical */
    char *body; /* an Article's JSON-LD articleBody, paragraphs a blank line apart */
};

void pl_html_meta_free(struct pl_html_meta *m);

/* Extracts the main text of html[0..len) (UTF-8, or the charset its meta
 * tag declares when encoding is NULL). *text (caller frees) holds blocks
 * separated by a blank line; list items by one newline. model (borrowed,
 * may be NULL: the rules alone) is the block classifier: the blocks of the
 * chosen container it scores below its threshold are left out. Returns 0,
 * -ENOMEM, or -EINVAL when nothing could be parsed. */
int pl_html_extract(const char *html, size_t len, const char *encoding,
                    const struct pl_bmodel *model, char **text, struct pl_html_meta *meta);

/* One block of a page as the classifier sees it: an element that holds
 * text and no other block (a paragraph, heading, list item ...). */
struct pl_html_block {
    char *text; /* its text, white space collapsed (owned; NULL unless asked for) */
    size_t len;
    int inside; /* in the container the rules chose (or a sibling that joins it) */
    struct pl_bfeat f;
    uint64_t shape; /* hash of its tag and its three ancestors' tags and classes */
    uint64_t text_hash;
    const void *node; /* the element, while the page lives (html.c only) */
};

/* The blocks of html[0..len) with their features and text, in document
 * order, as pl_html_extract computes them before it applies a model (for
 * the trainer). *out (free with pl_html_blocks_free) holds *n of them.
 * Returns 0, -ENOMEM or -EINVAL. */
int pl_html_blocks(const char *html, size_t len, const char *encoding, struct pl_html_block **out,
                   size_t *n);

/* Each of the page's blocks v[0..n)'s probability by model m into
 * p[0..n), through m's stacked model when it has one, whose context
 * features (bmodel.h, pl_bm_stack: the block's shape is its key) are
 * written into the blocks' features either way. 0 or -ENOMEM. */
int pl_html_probs(struct pl_html_block *v, size_t n, const struct pl_bmodel *m, double *p);

/* Frees what pl_html_blocks gave. */
void pl_html_blocks_free(struct pl_html_block *v, size_t n);

/* True when data looks like HTML (a doctype, <html>, <head> or <body>, or
 * several common tags near the start). */
int pl_html_sniff(const char *data, size_t len);

#endif
