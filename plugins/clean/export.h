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
#include <pressline/plugin.h>

#include "html.h"

struct pl_export {
    cJSON *json;      /* the parsed export (caller cJSON_Delete); NULL: not one */
    const char *text; /* the article's text: borrowed from json or page */
    size_t len;
    char *page; /* the main text of its "html" (caller frees), or NULL */
    /* Set by the caller before pl_export_read: the block classifier for
     * the "html" field (borrowed; NULL: the rules alone). */
    const struct pl_bmodel *model;
};

/* Reads raw[0..len) as a JSON export when it is one (ex->json then set):
 * its text into ex, its metadata into meta (caller frees with
 * pl_html_meta_free; meta must be empty). raw stays the caller's.
 *
 * An export is a JSON object with one of the keys above; its fields must be
 * strings (or null) and "text" or "html" must be one. Input that starts
 * with "{" and a string key and names "title", "text" or "html" as a key is
 * an export meant as one, so when it does not parse it is refused (cut
 * short, or malformed at a byte) rather than read as text; other input that
 * does not parse, or JSON without those keys, is not an export and is left
 * to be read as text. Returns 0 (an export or not), PL_ESTAGE with err
 * saying what is wrong with the export, or -ENOMEM; ex is the caller's to
 * free either way. */
int pl_export_read(const char *raw, size_t len, struct pl_export *ex, struct pl_html_meta *meta,
                   struct pl_error *err);

#endif
