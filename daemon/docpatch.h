/*
 * The document as its top-level members' serialised slices (plugin ABI 2).
 *
 * A stage's process() returns a patch: a JSON object holding only the
 * members it adds or replaces, and optionally "$remove", an array of the
 * names of members to drop. The host keeps the document as JSON text and
 * never builds a tree of it: a scanner checks that a text is one
 * well-formed JSON object and finds where each top-level member's key and
 * value lie, and the merge copies the document's slices, putting the
 * patch's values in place of the members it replaces, dropping the removed
 * ones and appending the new ones in the patch's order. No string is
 * unescaped or escaped again, so the article's text, escaped once by the
 * stage that wrote it, travels to the subscriber as those same bytes.
 *
 * Called by the stage worker (every worker, thread, process or remote, on
 * the result of each process() call), by the in-process pipeline (pressline
 * process, the evaluators) and by the writer's final document (article.c).
 * Pure functions; any thread.
 */
#ifndef PL_DOCPATCH_H
#define PL_DOCPATCH_H

#include <stdbool.h>
#include <stddef.h>

/* The reserved patch member naming members to drop. Member names starting
 * with '$' are the host's: a patch may set no other. */
#define PL_PATCH_REMOVE "$remove"

/* At most this many top-level members in a document or a patch, and this
 * deep a nesting (cJSON's own limit), so a hostile result cannot make the
 * scanner's table or stack grow without bound. */
#define PL_DOC_MAX_MEMBERS 4096
#define PL_DOC_MAX_DEPTH 1000

struct pl_json_member {
    const char *key; /* between the quotes, escapes as written */
    size_t key_len;
    const char *val; /* the value's text, without surrounding white space */
    size_t val_len;
};

struct pl_json_members {
    struct pl_json_member *m;
    size_t n, cap;
};

/* Checks that text[0..len) is exactly one JSON object (RFC 8259 syntax,
 * white space around it allowed; strings are not checked for valid UTF-8,
 * as cJSON does not) and records its top-level members in order into *out
 * (reset first; free with pl_json_members_free, also after a failure).
 * Returns 0, -EINVAL with err saying what is wrong and at which byte, or
 * -ENOMEM. */
int pl_json_members_scan(const char *text, size_t len, struct pl_json_members *out, char *err,
                         size_t errlen);

/* The top-level members of text[0..len) as pl_json_members_scan finds them
 * in a well-formed object, without checking inside the values: for a
 * document the host made or merged itself (the intake's, a worker's merge,
 * as a JOB brings it). About twice as fast as the scan on the daemon's
 * documents, much of whose time is their many short strings. On any text it
 * reads no byte outside text[0..len); a text whose top level is broken gives
 * -EINVAL, and one broken inside a value gives slices that hold what it
 * holds, which the writer's full scan (pl_article_final) refuses. Returns 0,
 * -EINVAL or -ENOMEM; free *out with pl_json_members_free. */
int pl_json_members_skim(const char *text, size_t len, struct pl_json_members *out);

void pl_json_members_free(struct pl_json_members *m);

/* Whether every key and value of m lies inside text[0..len). */
bool pl_json_members_lie_in(const struct pl_json_members *m, const char *text, size_t len);

/* The length of the longest prefix of s[0..n) that a JSON string holds as it
 * is: no '"', no '\\' and no control character (a byte under 0x20); any
 * other byte, UTF-8 included, is plain. Looks at eight bytes at a time (the
 * scanner's strings and the escaping of the article's text: the host's one
 * pass over every byte of the text, once per stage). Pure. */
size_t pl_json_plain_prefix(const char *s, size_t n);

/* The member whose key is written exactly as key (no escapes), or NULL. */
const struct pl_json_member *pl_json_members_find(const struct pl_json_members *m, const char *key);

/* Applies the patch patch[0..plen) to the document doc[0..len), a JSON
 * object the host made or merged before, each top-level name at most once.
 * The document is skimmed (pl_json_members_skim), not checked: one that a
 * remote worker broke inside a value gives a result as broken, which the
 * next stage's parser or the writer's full scan refuses; a broken top level
 * or a repeated name is refused here. The patch, a stage's own output, is
 * scanned in full: it must be a JSON object; each key at most once and
 * written without escapes; no key starting with '$' but "$remove", whose
 * value is an array of such names, none of which the patch also sets; the
 * result at most PL_DOC_MAX_MEMBERS members. Caller owns *out (free),
 * NUL-terminated, *out_len bytes. Returns 0, -EINVAL with err saying why
 * the patch (or the document) was refused, or -ENOMEM. */
int pl_doc_merge(const char *doc, size_t len, const char *patch, size_t plen, char **out,
                 size_t *out_len, char *err, size_t errlen);

/* pl_doc_merge for a document whose members the caller already holds: *dm
 * must be doc's, as a skim, a scan or an earlier merge found them (the
 * broker keeps each article's from the merge before). When om is not NULL
 * it gets the result's members, pointing into *out (reset first; free with
 * pl_json_members_free), so the next merge need not look for them. Same
 * returns as pl_doc_merge. */
int pl_doc_merge_members(const char *doc, size_t len, const struct pl_json_members *dm,
                         const char *patch, size_t plen, char **out, size_t *out_len,
                         struct pl_json_members *om, char *err, size_t errlen);

#endif
