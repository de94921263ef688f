/* The summarizer's keyphrases; see keywords.h. */
#include "keywords.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct phrase {
    long terms[3];
    int n;
    uint32_t start, end; /* first occurrence */
    int freq;
    double score;
};

/* The phrases in the order first seen, and a hash table of their indices
 * (slot[h] is index + 1, 0 when free; nslot a power of two, at most half
 * full) so a phrase is found in constant time, not by a scan of all. */
struct phrases {
    struct phrase *v;
    size_t n, cap;
    size_t *slot;
    size_t nslot;
};

static int s_cmp_phrase(const void *x, const void *y)
{
    const struct phrase *a = x, *b = y;
    if (a->score != b->score)
        return a->score < b->score ? 1 : -1;
    return a->start < b->start ? -1 : a->start > b->start;
}

/* Words that are content words to the summary but make poor keyphrases. */
static int s_weak_keyword(const char *t, const struct pl_token *k)
{
    static const char *const weak[] = {
        "said",      "says",      "say",      "told", "made",  "make",    "makes", "take",  "took",
        "including", "according", "like",     "new",  "first", "last",    "two",   "three", "four",
        "five",      "six",       "many",     "much", "could", "would",   "well",  "added", "noted",
        "stated",    "seen",      "way",      "ways", "time",  "year",    "years", "week",  "day",
        "days",      "month",     "months",   "part", "since", "however", "even",  "still", "just",
        "only",      "recent",    "recently", NULL,
    };
    char w[64];
    size_t n = pl_lower(t + k->start, k->end - k->start, w, sizeof(w));
    if (n > 4 && strcmp(w + n - 2, "ly") == 0)
        return 1; /* adverbs */
    for (const char *const *p = weak; *p; p++)
        if (strcmp(*p, w) == 0)
            return 1;
    return 0;
}

static size_t s_phrase_hash(const long *terms, int len)
{
    uint64_t h = (uint64_t)len * 0x9e3779b97f4a7c15ull;
    for (int q = 0; q < len; q++)
        h = (h ^ (uint64_t)terms[q]) * 0xff51afd7ed558ccdull;
    return (size_t)(h ^ (h >> 29));
}

/* The slot of the phrase of len terms: the one holding it, or the free one
 * where it goes. */
static size_t *s_phrase_slot(const struct phrases *ph, const long *terms, int len)
{
    size_t h = s_phrase_hash(terms, len) & (ph->nslot - 1);
    for (;; h = (h + 1) & (ph->nslot - 1)) {
        if (ph->slot[h] == 0)
            return &ph->slot[h];
        const struct phrase *f = &ph->v[ph->slot[h] - 1];
        if (f->n == len && memcmp(f->terms, terms, (size_t)len * sizeof(long)) == 0)
            return &ph->slot[h];
    }
}

/* Doubles the hash table (or makes its first one). Returns 0 or -ENOMEM. */
static int s_phrase_rehash(struct phrases *ph)
{
    size_t nslot = ph->nslot ? ph->nslot * 2 : 128;
    size_t *slot = calloc(nslot, sizeof(*slot));
    if (!slot)
        return -ENOMEM;
    free(ph->slot);
    ph->slot = slot;
    ph->nslot = nslot;
    for (size_t p = 0; p < ph->n; p++)
        *s_phrase_slot(ph, ph->v[p].terms, ph->v[p].n) = p + 1;
    return 0;
}

/* Counts one occurrence of the phrase of tokens [i, e), adding it when new.
 * Returns 0 or -ENOMEM. */
static int s_count_phrase(struct phrases *ph, const struct pl_tokens *k, const long *ids, size_t i,
                          size_t e)
{
    int len = (int)(e - i);
    if (2 * (ph->n + 1) > ph->nslot && s_phrase_rehash(ph) != 0)
        return -ENOMEM;
    size_t *slot = s_phrase_slot(ph, ids + i, len);
    if (*slot == 0) {
        if (ph->n == ph->cap) {
            size_t cap = ph->cap ? ph->cap * 2 : 64;
            struct phrase *v = realloc(ph->v, cap * sizeof(*v));
            if (!v)
                return -ENOMEM;
            ph->v = v;
            ph->cap = cap;
        }
        struct phrase *f = &ph->v[ph->n];
        *f = (struct phrase){ .n = len, .start = k->v[i].start, .end = k->v[e - 1].end };
        for (int q = 0; q < len; q++)
            f->terms[q] = ids[i + (size_t)q];
        *slot = ++ph->n;
    }
    ph->v[*slot - 1].freq++;
    return 0;
}

/* Every run of up to three content words, with its count. Returns 0 or
 * -ENOMEM. */
static int s_collect_phrases(const char *t, const struct pl_tokens *k, const long *ids,
                             struct phrases *ph)
{
    size_t i = 0;
    while (i < k->n) {
        if (ids[i] < 0 || s_weak_keyword(t, &k->v[i])) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < k->n && j - i < 3 && ids[j] >= 0 && !s_weak_keyword(t, &k->v[j]) &&
               !(k->v[j].flags & PL_TF_NEWLINE))
            j++;
        /* Every sub-run starting at i counts: "embassy" and "embassy operations". */
        for (size_t e = i + 1; e <= j; e++)
            if (s_count_phrase(ph, k, ids, i, e) != 0)
                return -ENOMEM;
        i = j;
    }
    return 0;
}

/* Recurrence of the phrase first, longer phrases preferred (a recurring
 * two-word name says more than either word), the words' own recurrence to
 * break ties. A phrase seen once says little. */
static void s_score_phrases(struct phrases *ph, const struct pl_summary_vocab *v)
{
    for (size_t p = 0; p < ph->n; p++) {
        struct phrase *f = &ph->v[p];
        double words = 0;
        for (int q = 0; q < f->n; q++)
            words += v->df[f->terms[q]];
        f->score = (double)f->freq * pow((double)f->n, 1.5) + 0.1 * words / f->n;
        if (f->freq < 2)
            f->score *= 0.25;
    }
}

/* The best phrases, in score order, into out; a phrase that is part of, or
 * holds, one already kept is skipped. Returns 0 or -ENOMEM. */
static int s_keep_phrases(const char *t, const struct phrases *ph, int want, cJSON *out)
{
    int got = 0;
    for (size_t p = 0; p < ph->n && got < want; p++) {
        char buf[256];
        size_t bl = pl_lower(t + ph->v[p].start, ph->v[p].end - ph->v[p].start, buf, sizeof(buf));
        if (bl < 3)
            continue;
        int dup = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, out)
        {
            if (strstr(it->valuestring, buf) || strstr(buf, it->valuestring))
                dup = 1;
        }
        if (dup)
            continue;
        if (!cJSON_AddItemToArray(out, cJSON_CreateString(buf)))
            return -ENOMEM;
        got++;
    }
    return 0;
}

int pl_summary_keywords(const char *t, const struct pl_tokens *k, const long *ids,
                        const struct pl_summary_vocab *v, int want, cJSON *out)
{
    if (want == 0)
        return 0;
    struct phrases ph = { 0 };
    int rc = s_collect_phrases(t, k, ids, &ph);
    if (rc == 0) {
        s_score_phrases(&ph, v);
        if (ph.n > 1)
            qsort(ph.v, ph.n, sizeof(*ph.v), s_cmp_phrase);
        rc = s_keep_phrases(t, &ph, want, out);
    }
    free(ph.v);
    free(ph.slot);
    return rc;
}
