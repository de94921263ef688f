/*
 * JSON exports of articles, as scrapers and readers save them: an object
 * with "text" or "html" and the metadata "title", "url", "published",
 * "author". The clean stage reads the article's text (the main text of its
 * "html") and metadata from it, then cleans the text as any other.
 *
 * Called by the clean plugin on its worker thread; no shared state.
 */
#ifndef PL_EXPORT_H
#define PL_EXPORT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "html.h"

struct pl_export {
    cJSON *json;      /* the parsed export (caller cJSON_Delete); NULL: not one */
    const char *text; /* the article's text: borrowed from json or page */
    size_t len;
    char *page; /* the main text of its "html" (caller frees), or NULL */
};

/* Reads raw[0..len) as a JSON export when it is one (ex->json then set):
 * its text into ex, its metadata into meta (caller frees with
 * pl_html_meta_free; meta must be empty). raw stays the caller's. Returns 0
 * (an export or not) or -ENOMEM; ex is the caller's to free either way. */
int pl_export_read(const char *raw, size_t len, struct pl_export *ex, struct pl_html_meta *meta);

#endif
