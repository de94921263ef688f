/*
 * The JSON an article carries: the first document handed to the pipeline,
 * the message published for a finished article, and the message for a failed
 * one. Field names are the public interface (schema/article.schema.json).
 * Pure functions; any thread.
 */
#ifndef PL_ARTICLE_H
#define PL_ARTICLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL_SCHEMA_ARTICLE "pressline/article/1"
#define PL_SCHEMA_ERROR "pressline/error/1"

struct pl_source {
    const char *path; /* where the file was found, e.g. "inbox/a.txt" */
    const char *name; /* its file name */
    uint64_t bytes;
    char sha256[65];    /* hex of the content; "" when it could not be read */
    char id[17];        /* article id: the first 16 hex digits of sha256 */
    const char *format; /* "text"; a refused file: "symlink", "directory", "special" */
};

/* Fills sha256 and id from the content. */
void pl_content_id(const void *data, size_t len, struct pl_source *src);

/* For tests only: libcrypto's SHA-256 taken as failing (as where no
 * provider gives it), so that the fallback digest is what runs. */
void pl_article_test_no_libcrypto(bool on);

/* Fills id for a file that could not be read (a folder, a symlink): derived
 * from its name, so a repeat carries the same id. */
void pl_name_id(const char *name, struct pl_source *src);

/* Formats a wall-clock time (µs since the epoch) as RFC 3339 UTC with ms. */
void pl_iso_time(uint64_t epoch_us, char out[32]);
uint64_t pl_epoch_us(void);

/* The document the first stage receives: schema, id, source, received_at and
 * the content as "raw" (valid UTF-8 without NUL) or "raw_base64". Caller
 * owns *out (free). Returns 0 or -ENOMEM. */
int pl_article_initial(const struct pl_source *src, const char *received_at, const void *data,
                       size_t len, char **out, size_t *out_len);

struct pl_json_members; /* docpatch.h */

struct pl_stage_time {
    const char *name; /* stage */
    char plugin[64];
    char version[32];
    uint64_t us;
};

/* The published message for a finished article: the last stage's document
 * with seq, published_at and stages[] set, every documented field present,
 * the raw input dropped. Caller owns *out (free). When story is not NULL,
 * story[0] and story[1] get the offset in *out and the length of the value
 * of the document's first "story" member when that is an object (the
 * "story" topic's message); both are 0 otherwise, and whenever the call
 * does not return 0. known, when not NULL, is doc's top-level members as
 * the merge that made doc found them, and the caller vouches that doc is
 * well-formed (pl_article's doc_checked): they are used instead of
 * scanning doc, after a check that they lie in it (-EINVAL if not).
 * Otherwise doc is scanned in full. Returns 0, -EINVAL when doc is not a
 * JSON object, or -ENOMEM. */
int pl_article_final(const char *doc, size_t len, const struct pl_json_members *known, uint64_t seq,
                     const char *published_at, const struct pl_stage_time *st, size_t nst,
                     char **out, size_t *out_len, size_t story[2]);

/* The message for a failed article. stage may be NULL (refused at intake),
 * failed_path NULL (not moved to failed/). Caller owns *out (free). Returns
 * 0 or -ENOMEM. */
int pl_article_error(const struct pl_source *src, const char *received_at, uint64_t seq,
                     const char *published_at, const char *stage, const char *reason,
                     const char *failed_path, char **out, size_t *out_len);

#endif
