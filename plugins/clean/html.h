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

struct pl_html_meta {
    char *title;     /* og:title, JSON-LD headline, <title>, or the first <h1> */
    char *published; /* as written in the page (ISO 8601 usually) */
    char *author;
    char *url; /* canonical */
};

void pl_html_meta_free(struct pl_html_meta *m);

/* Extracts the main text of html[0..len) (UTF-8, or the charset its meta
 * tag declares when encoding is NULL). *text (caller frees) holds blocks
 * separated by a blank line; list items by one newline. Returns 0, -ENOMEM,
 * or -EINVAL when nothing could be parsed. */
int pl_html_extract(const char *html, size_t len, const char *encoding, char **text,
                    struct pl_html_meta *meta);

/* True when data looks like HTML (a doctype, <html>, <head> or <body>, or
 * several common tags near the start). */
int pl_html_sniff(const char *data, size_t len);

#endif
