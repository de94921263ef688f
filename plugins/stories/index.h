/*
 * The stories stage's look-up indexes, in memory: the LSH band keys of the
 * remembered articles (band key -> article rows) and the story term index
 * (a story's heaviest terms -> story ids). store.c rebuilds them from the
 * database when it opens it (one compact row per article and per story
 * holds what they need) and keeps them up to date as it writes, so that an
 * article's commit writes two rows, not the dozens of index rows the
 * indexes would take in SQLite.
 *
 * Keys are the low 32 bits of 64-bit hashes: a collision adds a
 * candidate, which the caller checks against the database (the sketch, the
 * centroid), so it never makes a wrong answer; colliding keys also share
 * the per-key caps, so a collision can push the other key's entries out: a
 * missed reprint or story candidate, never a false one. Values are article rowids and story ids,
 * both 32-bit here (four billion articles: 136 years at one a second).
 *
 * Bounds: at most max_articles articles (the oldest leave the band index
 * first), at most PL_INDEX_PER_KEY articles per band key (the earliest
 * kept: they are the ones duplicate_of names) and PL_INDEX_PER_TERM stories
 * per term (the latest kept). Stories leave with pl_index_prune.
 *
 * One struct pl_index per store, used on the store's thread only; no locks.
 * Hand-written: open addressing with linear probing and backward-shift
 * deletion (Knuth 6.4, Algorithm R), no tombstones.
 */
#ifndef PL_STORIES_INDEX_H
#define PL_STORIES_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sketch.h"

#define PL_INDEX_TERMS 8     /* terms a story is indexed under */
#define PL_INDEX_PER_KEY 64  /* articles kept under one band key */
#define PL_INDEX_PER_TERM 40 /* stories kept under one term: the store reads 40 */

/* A multimap of 32-bit keys to nonzero 32-bit values. */
struct pl_multi {
    uint64_t *e; /* key << 32 | value; 0 = empty */
    uint32_t mask, n;
};

/* A story as the term index holds it. */
struct pl_index_story {
    uint32_t id; /* 0 = empty slot */
    uint32_t nk;
    int64_t last; /* last_seen, seconds */
    uint32_t k[PL_INDEX_TERMS];
};

struct pl_index {
    struct pl_multi bands; /* band key -> article rowid */
    struct pl_multi terms; /* term key -> story id */
    /* The articles in the band index, oldest first (a ring): their rowid
     * and band keys, so the oldest leaves without a database read. */
    uint32_t *ring;
    size_t ring_cap, ring_head, ring_len, max_articles;
    struct pl_index_story *stories; /* by id, open addressing */
    uint32_t st_mask, st_n;
};

/* An empty index for at most max_articles articles (> 0). Nothing is
 * allocated until the first add. */
void pl_index_init(struct pl_index *x, size_t max_articles);

/* Frees everything; x is empty (and usable) afterwards. */
void pl_index_free(struct pl_index *x);

/* Adds article n (greater than every article added before) under its band
 * keys; a key that holds PL_INDEX_PER_KEY articles already is skipped. At
 * max_articles the oldest article leaves first. Returns 0 or -ENOMEM (the
 * index is then incomplete: the caller rebuilds it). */
int pl_index_add_article(struct pl_index *x, uint32_t n, const uint32_t keys[PL_SKETCH_BANDS]);

/* Removes article n from under its band keys (retention). */
void pl_index_drop_article(struct pl_index *x, uint32_t n, const uint32_t keys[PL_SKETCH_BANDS]);

/* The articles sharing at least one band key with keys, each once, in
 * ascending order (the earliest first), at most cap into out; returns how
 * many. */
int pl_index_band_candidates(const struct pl_index *x, const uint32_t keys[PL_SKETCH_BANDS],
                             uint32_t *out, int cap);

/* Indexes story id under keys[0..nk) (nk <= PL_INDEX_TERMS) with its
 * last_seen, replacing what the index held for it. Returns 0 or -ENOMEM. */
int pl_index_set_story(struct pl_index *x, uint32_t id, int64_t last, const uint32_t *keys, int nk);

/* The story's entry, or NULL when the index does not hold it. Borrowed
 * until the next change to x. */
const struct pl_index_story *pl_index_story(const struct pl_index *x, uint32_t id);

/* Removes story id from the term index. */
void pl_index_drop_story(struct pl_index *x, uint32_t id);

/* Removes every story last seen before `before`. */
void pl_index_prune(struct pl_index *x, int64_t before);

struct pl_index_cand {
    uint32_t id;
    int hits; /* query terms it is indexed under */
};

/* Candidate stories for the query keys q[0..nq): under each key the
 * per_term latest (highest ids), then the cap that share most keys (ties:
 * the latest), into out; returns how many. */
int pl_index_story_candidates(const struct pl_index *x, const uint32_t *q, int nq, int per_term,
                              struct pl_index_cand *out, int cap);

/* Bytes the index holds, for the benchmark and the README. */
size_t pl_index_bytes(const struct pl_index *x);

#endif
