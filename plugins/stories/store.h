/*
 * The stories stage's memory: one SQLite database (WAL mode) holding every
 * remembered article's MinHash sketch and LSH band keys (sketch.h), the
 * stories with their TF-IDF centroids (vec.h) and the terms each is
 * indexed under, and the merged entities (ents.h).
 *
 * pl_stories_add is the stage: in one transaction, keyed by the article id,
 * it finds the earliest near-duplicate through the band index, picks the
 * story through the term index (both in memory, index.h) (cosine with a time decay, Miranda et al.
 * 2018) or opens a new one, and updates the story. An id already stored
 * changes nothing and gets its stored answer back, so a document handed
 * over twice (at-least-once after a crash) leaves the database as it was.
 *
 * The band and term indexes are in memory (index.h), one set per struct
 * pl_stories: built on first use, brought up to date at each article with
 * the rows other instances added.
 *
 * One struct pl_stories per plugin instance: one connection, used on the
 * thread that runs the instance. Several instances (worker threads or
 * processes) share the file through WAL and a busy timeout. Also opened
 * read-only by `pressline stories` and `pressline story` (stories_cmd.c).
 */
#ifndef PL_STORIES_STORE_H
#define PL_STORIES_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "vec.h"

struct pl_stories_opts {
    const char *db;         /* the database file; its folder must exist or be creatable */
    bool read_only;         /* for the commands: no schema, no writes */
    double dup_threshold;   /* estimated Jaccard at or above which a text is a reprint */
    double story_threshold; /* decayed cosine at or above which an article joins a story */
    double decay_days;      /* the decay's time constant: exp(-days apart / decay_days) */
    double keep_days;       /* stories idle longer than this are dropped; 0 = never */
    int cache_kb;           /* SQLite page cache of the connection */
    int mmap_mb;            /* the database mapped for reads (the OS page cache, shared) */
    int busy_ms;            /* how long a write waits for another instance's */
    int max_articles;       /* article ids listed in a story's JSON */
    int max_entities;       /* entities listed in a story's JSON */
    int index_articles;     /* articles the reprint index holds in memory, newest kept */
    struct pl_vec_weights wt;
};

/* The defaults, chosen on the evaluation (README, Stories). */
void pl_stories_defaults(struct pl_stories_opts *o);

struct pl_stories;

/* One article as the stage sees it; everything borrowed for the call. */
struct pl_story_in {
    const char *id;
    const char *title; /* may be NULL */
    const char *text;
    size_t len;
    const cJSON *entities; /* the entities stage's array, may be NULL */
    int64_t t;             /* the article's time, seconds since the epoch */
};

/* Opens (and creates) the database. Returns 0 and *out, or a negative code
 * with err filled (the path and SQLite's reason). Close with
 * pl_stories_close. */
int pl_stories_open(const struct pl_stories_opts *o, struct pl_stories **out, char *err,
                    size_t errlen);

/* Closes the connection and frees s; sets *s to NULL. NULL is fine. */
void pl_stories_close(struct pl_stories **s);

/* Builds the look-up indexes in memory from the database (the newest
 * index_articles articles, the stories that can still be joined), if they
 * are not built yet; pl_stories_add calls it first, so only a caller that
 * wants the cost apart (the benchmark, a start-up that warms) need call
 * it. On the instance's thread. Returns 0, or a negative code with err
 * filled. */
int pl_stories_warm(struct pl_stories *s, char *err, size_t errlen);

/* Remembers the article (or finds it remembered) and sets *result to
 * {"duplicate_of", "similarity", "story"}, caller owns it. Returns 0, or a
 * negative code with err filled; nothing is written then. */
int pl_stories_add(struct pl_stories *s, const struct pl_story_in *in, cJSON **result, char *err,
                   size_t errlen);

/* The story's published JSON ({id, size, first_seen, last_seen, title,
 * articles, entities}), or NULL when there is no such story (or out of
 * memory). Caller owns it. With all_articles every article id is listed
 * with its time and duplicate_of, for `pressline story`. */
cJSON *pl_stories_story(struct pl_stories *s, int64_t id, bool all_articles);

/* Stories seen at or after `since` (seconds), most recent first, at most
 * limit: a JSON array of story objects without entities. Caller owns it;
 * NULL with err filled on failure. */
cJSON *pl_stories_list(struct pl_stories *s, int64_t since, int limit, char *err, size_t errlen);

/* Counts for the benchmark and tests: articles and stories remembered. */
int pl_stories_count(struct pl_stories *s, int64_t *articles, int64_t *stories);

/* Formats t (seconds since the epoch) as "YYYY-MM-DDTHH:MM:SSZ" into buf
 * (at least 21 bytes). */
void pl_stories_time(int64_t t, char *buf, size_t n);

/* Parses "YYYY-MM-DD" or an RFC 3339 UTC time; returns 0 and *t, or
 * -EINVAL. */
int pl_stories_parse_time(const char *s, int64_t *t);

#endif
