/*
 * Helpers for plugins that work on the document with cJSON: parse the input
 * document, print the result in the form the ABI asks for (a patch of the
 * members the plugin changed), release it.
 * Any thread; no shared state.
 */
#ifndef PL_DOCJSON_H
#define PL_DOCJSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <pressline/plugin.h>

/* Parses doc as a JSON object. Caller owns the result (cJSON_Delete). NULL
 * with err filled when it is not JSON or not an object. */
cJSON *pl_doc_parse(const char *doc, size_t len, struct pl_error *err);

/* Prints doc unformatted into *out (release with pl_doc_release). Returns 0,
 * or -ENOMEM with err filled. doc stays the caller's. */
int pl_doc_emit(const cJSON *doc, char **out, size_t *out_len, struct pl_error *err);

/* Prints the patch (plugin ABI 2) for doc, a document the plugin parsed
 * and changed in place: the members named in keys (NULL-terminated) that
 * doc holds, as they are now, and "$remove" listing those it no longer
 * holds. A plugin names every top-level member it sets or deletes; the
 * others are left out of the patch and reach the next stage as the host
 * holds them. Release *out with pl_doc_release. Returns 0, or -ENOMEM
 * with err filled. doc stays the caller's. */
int pl_doc_emit_patch(const cJSON *doc, const char *const *keys, char **out, size_t *out_len,
                      struct pl_error *err);

/* The ABI's release() for results of pl_doc_emit and pl_doc_emit_patch. */
void pl_doc_release(void *state, char *out);

/* Replaces (or adds) key in obj with item. Takes ownership of item in every
 * case (frees it on failure). Returns 0 or -ENOMEM. */
int pl_doc_set(cJSON *obj, const char *key, cJSON *item);

/* The document's "text" string, or NULL when absent or not a string. */
const char *pl_doc_text(const cJSON *doc, size_t *len);

/* Formats err->message. Returns PL_ESTAGE (lib/errcode/errcode.h), the
 * non-zero a plugin's init or process returns, so a plugin can write
 * `return pl_fail(err, "...")`. */
int pl_fail(struct pl_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses an options object (NULL or "" means {}). Caller owns the result.
 * NULL with err filled when the text is not a JSON object. */
cJSON *pl_options_parse(const char *options_json, struct pl_error *err);

/* Checks that every key of opts is in allowed (NULL-terminated). Returns 0,
 * or PL_ECONFIG with err naming the first unknown key (and plugin first when
 * it is not NULL). */
int pl_options_check_keys(const cJSON *opts, const char *plugin, const char *const *allowed,
                          struct pl_error *err);

/* Reads the number option key when present: it must be a number in
 * [lo, hi] (and whole when integer). Returns 0 (absent, or *out set) or
 * PL_ECONFIG with err naming the plugin, key and range. */
int pl_options_number(const cJSON *opts, const char *plugin, const char *key, double lo, double hi,
                      bool integer, double *out, struct pl_error *err);

/* The path of the file called name in the folder of the shared object that
 * holds addr (one of the plugin's own functions): where a plugin finds the
 * model installed beside it, as built and as installed. Returns 0,
 * -ENOENT when no shared object holds addr, or -ENAMETOOLONG. */
int pl_plugin_file(const void *addr, const char *name, char *out, size_t cap);

#endif
