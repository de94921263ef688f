/* The stories stage's indexes in memory; see index.h. */
#include "index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIN_SLOTS 1024u
/* One ring record: the rowid and the band keys. */
#define REC (1 + PL_SKETCH_BANDS)

/* The home slot of a key: keys are hashes already, but story ids are
 * sequential, and a multiply spreads both. */
static uint32_t s_home(uint32_t key, uint32_t mask)
{
    uint32_t h = key * 0x9e3779b1u;
    return (h ^ (h >> 15)) & mask;
}

static uint32_t s_key(uint64_t e)
{
    return (uint32_t)(e >> 32);
}

static uint32_t s_val(uint64_t e)
{
    return (uint32_t)e;
}

/* True when slot k lies cyclically in (i, j]: an entry at j whose home is
 * there cannot move back to i. */
static bool s_between(uint32_t i, uint32_t k, uint32_t j)
{
    return i <= j ? i < k && k <= j : i < k || k <= j;
}

static int s_multi_grow(struct pl_multi *m)
{
    /* A table of 2^31 slots is the last the 32-bit mask can double to. */
    if (m->e && m->mask >= UINT32_MAX / 2)
        return -ENOMEM;
    uint32_t slots = m->e ? (m->mask + 1) * 2 : MIN_SLOTS;
    uint64_t *e = calloc(slots, sizeof(*e));
    if (!e)
        return -ENOMEM;
    uint32_t mask = slots - 1;
    for (uint32_t i = 0; m->e && i <= m->mask; i++) {
        if (!m->e[i])
            continue;
        uint32_t j = s_home(s_key(m->e[i]), mask);
        while (e[j])
            j = (j + 1) & mask;
        e[j] = m->e[i];
    }
    free(m->e);
    m->e = e;
    m->mask = mask;
    return 0;
}

/* Adds the pair; the load stays at most one half, so a look-up's run of
 * slots stays short. */
static int s_multi_add(struct pl_multi *m, uint32_t key, uint32_t val)
{
    if ((!m->e || (uint64_t)(m->n + 1) * 2 > (uint64_t)m->mask + 1) && s_multi_grow(m) != 0)
        return -ENOMEM;
    uint32_t i = s_home(key, m->mask);
    while (m->e[i])
        i = (i + 1) & m->mask;
    m->e[i] = (uint64_t)key << 32 | val;
    m->n++;
    return 0;
}

/* Removes one pair if present: the entries after it that may move back
 * move back, so no look-up ever needs a tombstone. */
static void s_multi_del(struct pl_multi *m, uint32_t key, uint32_t val)
{
    if (!m->e)
        return;
    uint64_t want = (uint64_t)key << 32 | val;
    uint32_t i = s_home(key, m->mask);
    while (m->e[i] && m->e[i] != want)
        i = (i + 1) & m->mask;
    if (!m->e[i])
        return;
    for (uint32_t j = i;;) {
        j = (j + 1) & m->mask;
        if (!m->e[j])
            break;
        if (s_between(i, s_home(s_key(m->e[j]), m->mask), j))
            continue;
        m->e[i] = m->e[j];
        i = j;
    }
    m->e[i] = 0;
    m->n--;
}

/* The values under key, at most cap into out; returns how many there are
 * (possibly more than cap). */
static int s_multi_get(const struct pl_multi *m, uint32_t key, uint32_t *out, int cap)
{
    int n = 0;
    if (!m->e)
        return 0;
    for (uint32_t i = s_home(key, m->mask); m->e[i]; i = (i + 1) & m->mask) {
        if (s_key(m->e[i]) != key)
            continue;
        if (n < cap)
            out[n] = s_val(m->e[i]);
        n++;
    }
    return n;
}

void pl_index_init(struct pl_index *x, size_t max_articles)
{
    memset(x, 0, sizeof(*x));
    x->max_articles = max_articles ? max_articles : 1;
}

void pl_index_free(struct pl_index *x)
{
    size_t max = x->max_articles;
    free(x->bands.e);
    free(x->terms.e);
    free(x->ring);
    free(x->stories);
    pl_index_init(x, max);
}

static uint32_t *s_rec(const struct pl_index *x, size_t i)
{
    return x->ring + ((x->ring_head + i) % x->ring_cap) * REC;
}

/* Doubles the ring up to max_articles, oldest first again. */
static int s_ring_grow(struct pl_index *x)
{
    size_t cap = x->ring_cap ? x->ring_cap * 2 : 1024;
    if (cap > x->max_articles)
        cap = x->max_articles;
    uint32_t *r = malloc(cap * REC * sizeof(*r));
    if (!r)
        return -ENOMEM;
    for (size_t i = 0; i < x->ring_len; i++)
        memcpy(r + i * REC, s_rec(x, i), REC * sizeof(*r));
    free(x->ring);
    x->ring = r;
    x->ring_cap = cap;
    x->ring_head = 0;
    return 0;
}

void pl_index_drop_article(struct pl_index *x, uint32_t n, const uint32_t keys[PL_SKETCH_BANDS])
{
    for (int b = 0; b < PL_SKETCH_BANDS; b++)
        s_multi_del(&x->bands, keys[b], n);
}

int pl_index_add_article(struct pl_index *x, uint32_t n, const uint32_t keys[PL_SKETCH_BANDS])
{
    if (x->ring_len == x->max_articles) {
        const uint32_t *old = s_rec(x, 0);
        pl_index_drop_article(x, old[0], old + 1);
        x->ring_head = (x->ring_head + 1) % x->ring_cap;
        x->ring_len--;
    }
    if (x->ring_len == x->ring_cap && s_ring_grow(x) != 0)
        return -ENOMEM;
    uint32_t *r = s_rec(x, x->ring_len++);
    r[0] = n;
    memcpy(r + 1, keys, PL_SKETCH_BANDS * sizeof(*keys));
    for (int b = 0; b < PL_SKETCH_BANDS; b++) {
        uint32_t none[1];
        /* A key held by PL_INDEX_PER_KEY articles already (one agency
         * text reprinted all day) keeps its earliest: those are the ones
         * duplicate_of names, and the run of slots stays bounded. */
        if (s_multi_get(&x->bands, keys[b], none, 0) >= PL_INDEX_PER_KEY)
            continue;
        if (s_multi_add(&x->bands, keys[b], n) != 0)
            return -ENOMEM;
    }
    return 0;
}

static int s_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int pl_index_band_candidates(const struct pl_index *x, const uint32_t keys[PL_SKETCH_BANDS],
                             uint32_t *out, int cap)
{
    /* Per key at most PL_INDEX_PER_KEY, and a little more when two keys
     * share their low 32 bits. */
    uint32_t all[PL_SKETCH_BANDS * PL_INDEX_PER_KEY];
    int n = 0;
    for (int b = 0; b < PL_SKETCH_BANDS; b++) {
        int got = s_multi_get(&x->bands, keys[b], all + n, PL_INDEX_PER_KEY);
        n += got < PL_INDEX_PER_KEY ? got : PL_INDEX_PER_KEY;
    }
    qsort(all, (size_t)n, sizeof(*all), s_cmp_u32);
    int m = 0;
    for (int i = 0; i < n && m < cap; i++)
        if (!m || out[m - 1] != all[i])
            out[m++] = all[i];
    return m;
}

/* The story table: open addressing by id, load at most one half. */
static struct pl_index_story *s_story_slot(const struct pl_index *x, uint32_t id)
{
    if (!x->stories)
        return NULL;
    uint32_t i = s_home(id, x->st_mask);
    while (x->stories[i].id && x->stories[i].id != id)
        i = (i + 1) & x->st_mask;
    return &x->stories[i];
}

static int s_story_grow(struct pl_index *x)
{
    if (x->stories && x->st_mask >= UINT32_MAX / 2)
        return -ENOMEM; /* as s_multi_grow */
    uint32_t slots = x->stories ? (x->st_mask + 1) * 2 : MIN_SLOTS;
    struct pl_index_story *t = calloc(slots, sizeof(*t));
    if (!t)
        return -ENOMEM;
    uint32_t mask = slots - 1;
    for (uint32_t i = 0; x->stories && i <= x->st_mask; i++) {
        if (!x->stories[i].id)
            continue;
        uint32_t j = s_home(x->stories[i].id, mask);
        while (t[j].id)
            j = (j + 1) & mask;
        t[j] = x->stories[i];
    }
    free(x->stories);
    x->stories = t;
    x->st_mask = mask;
    return 0;
}

static void s_story_del(struct pl_index *x, struct pl_index_story *slot)
{
    uint32_t i = (uint32_t)(slot - x->stories);
    for (uint32_t j = i;;) {
        j = (j + 1) & x->st_mask;
        if (!x->stories[j].id)
            break;
        if (s_between(i, s_home(x->stories[j].id, x->st_mask), j))
            continue;
        x->stories[i] = x->stories[j];
        i = j;
    }
    memset(&x->stories[i], 0, sizeof(x->stories[i]));
    x->st_n--;
}

const struct pl_index_story *pl_index_story(const struct pl_index *x, uint32_t id)
{
    const struct pl_index_story *s = s_story_slot(x, id);
    return s && s->id ? s : NULL;
}

static bool s_has(const uint32_t *k, int n, uint32_t key)
{
    for (int i = 0; i < n; i++)
        if (k[i] == key)
            return true;
    return false;
}

/* Forgets that story id is indexed under key (it was pushed out of the
 * key's list), so that a later re-index adds it again. */
static void s_story_forget_key(struct pl_index *x, uint32_t id, uint32_t key)
{
    struct pl_index_story *s = s_story_slot(x, id);
    if (!s || !s->id)
        return;
    for (uint32_t i = 0; i < s->nk; i++)
        if (s->k[i] == key) {
            s->k[i] = s->k[--s->nk];
            return;
        }
}

/* Indexes story id under key; a key that holds PL_INDEX_PER_TERM stories
 * drops its oldest for a later one (a common term stays useful for the
 * stories that can still be joined). Returns 1 when indexed, 0 when not
 * (id is older than all of them), -ENOMEM. */
static int s_term_add(struct pl_index *x, uint32_t key, uint32_t id)
{
    uint32_t v[PL_INDEX_PER_TERM * 2];
    int n = s_multi_get(&x->terms, key, v, PL_INDEX_PER_TERM * 2);
    if (n >= PL_INDEX_PER_TERM) {
        int lo = 0, got = n < PL_INDEX_PER_TERM * 2 ? n : PL_INDEX_PER_TERM * 2;
        for (int i = 1; i < got; i++)
            if (v[i] < v[lo])
                lo = i;
        if (v[lo] > id)
            return 0;
        uint32_t out = v[lo];
        s_multi_del(&x->terms, key, out);
        s_story_forget_key(x, out, key);
    }
    return s_multi_add(&x->terms, key, id) == 0 ? 1 : -ENOMEM;
}

int pl_index_set_story(struct pl_index *x, uint32_t id, int64_t last, const uint32_t *keys, int nk)
{
    if ((!x->stories || (x->st_n + 1) * 2 > x->st_mask + 1) && s_story_grow(x) != 0)
        return -ENOMEM;
    struct pl_index_story *s = s_story_slot(x, id);
    if (!s)
        return -ENOMEM;
    if (!s->id) {
        memset(s, 0, sizeof(*s));
        s->id = id;
        x->st_n++;
    }
    s->last = last;
    uint32_t old[PL_INDEX_TERMS];
    int no = (int)s->nk;
    memcpy(old, s->k, sizeof(old));
    for (int i = 0; i < no; i++)
        if (!s_has(keys, nk, old[i]))
            s_multi_del(&x->terms, old[i], id);
    /* The story's list: what stays, then what comes in and finds room. */
    uint32_t now[PL_INDEX_TERMS];
    int nn = 0;
    for (int i = 0; i < nk && nn < PL_INDEX_TERMS; i++) {
        if (s_has(now, nn, keys[i]))
            continue;
        if (s_has(old, no, keys[i])) {
            now[nn++] = keys[i];
            continue;
        }
        int rc = s_term_add(x, keys[i], id);
        if (rc < 0)
            return rc;
        if (rc == 1)
            now[nn++] = keys[i];
    }
    /* s_term_add edits other stories' entries in place; the table does
     * not move, so s is still this story's. */
    memcpy(s->k, now, sizeof(now));
    s->nk = (uint32_t)nn;
    return 0;
}

void pl_index_drop_story(struct pl_index *x, uint32_t id)
{
    struct pl_index_story *s = s_story_slot(x, id);
    if (!s || !s->id)
        return;
    for (uint32_t i = 0; i < s->nk; i++)
        s_multi_del(&x->terms, s->k[i], id);
    s_story_del(x, s);
}

void pl_index_prune(struct pl_index *x, int64_t before)
{
    /* Collect, then drop: a drop shifts entries back over the scan. */
    uint32_t batch[256];
    for (;;) {
        int n = 0;
        for (uint32_t i = 0; x->stories && i <= x->st_mask && n < 256; i++)
            if (x->stories[i].id && x->stories[i].last < before)
                batch[n++] = x->stories[i].id;
        for (int i = 0; i < n; i++)
            pl_index_drop_story(x, batch[i]);
        if (n < 256)
            return;
    }
}

static int s_cmp_u32_desc(const void *a, const void *b)
{
    return s_cmp_u32(b, a);
}

static int s_cmp_cand(const void *a, const void *b)
{
    const struct pl_index_cand *x = a, *y = b;
    if (x->hits != y->hits)
        return x->hits > y->hits ? -1 : 1;
    return x->id > y->id ? -1 : x->id < y->id;
}

#define CAND_SLOTS 2048u

int pl_index_story_candidates(const struct pl_index *x, const uint32_t *q, int nq, int per_term,
                              struct pl_index_cand *out, int cap)
{
    /* The hits per story in a small table of its own: at most nq *
     * per_term stories, far below CAND_SLOTS / 2 for the store's 12 * 40. */
    static __thread struct pl_index_cand tab[CAND_SLOTS];
    static __thread uint32_t used[CAND_SLOTS];
    int nused = 0;
    for (int t = 0; t < nq; t++) {
        uint32_t v[PL_INDEX_PER_TERM * 2];
        int n = s_multi_get(&x->terms, q[t], v, PL_INDEX_PER_TERM * 2);
        if (n > PL_INDEX_PER_TERM * 2)
            n = PL_INDEX_PER_TERM * 2;
        if (n > per_term)
            qsort(v, (size_t)n, sizeof(*v), s_cmp_u32_desc);
        for (int i = 0; i < n && i < per_term; i++) {
            uint32_t j = s_home(v[i], CAND_SLOTS - 1);
            while (tab[j].id && tab[j].id != v[i])
                j = (j + 1) & (CAND_SLOTS - 1);
            if (!tab[j].id) {
                if ((uint32_t)nused * 2 >= CAND_SLOTS)
                    continue;
                tab[j].id = v[i];
                tab[j].hits = 0;
                used[nused++] = j;
            }
            tab[j].hits++;
        }
    }
    struct pl_index_cand all[CAND_SLOTS / 2];
    for (int i = 0; i < nused; i++) {
        all[i] = tab[used[i]];
        tab[used[i]].id = 0;
    }
    qsort(all, (size_t)nused, sizeof(*all), s_cmp_cand);
    int k = nused < cap ? nused : cap;
    memcpy(out, all, (size_t)k * sizeof(*out));
    return k;
}

size_t pl_index_bytes(const struct pl_index *x)
{
    size_t b = 0;
    if (x->bands.e)
        b += ((size_t)x->bands.mask + 1) * sizeof(uint64_t);
    if (x->terms.e)
        b += ((size_t)x->terms.mask + 1) * sizeof(uint64_t);
    if (x->stories)
        b += ((size_t)x->st_mask + 1) * sizeof(*x->stories);
    return b + x->ring_cap * REC * sizeof(uint32_t);
}
