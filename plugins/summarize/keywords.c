/* The summarizer's keyphrases; see keywords.h. */
#include "keywords.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "keyword_weights.h"
#include "kw_demonym.h"
#include "kw_df.h"
#include "kw_noun.h"
#include "kw_prior.h"

#define MAXW 4

_Static_assert(sizeof(pl_kw_weights) / sizeof(pl_kw_weights[0]) == PL_KW_NF + 1,
               "keyword_weights.h does not match the feature list: retrain "
               "(tools/train-keywords.sh)");

const double *const pl_kw_default_weights = pl_kw_weights;

const char *const pl_kw_feature_names[PL_KW_NF] = {
    "log(1+freq)",
    "first position",
    "spread",
    "two words",
    "three+ words",
    "all capitalised",
    "capitalised inside",
    "mean idf",
    "tf-idf",
    "PERSON",
    "ORG",
    "LOC",
    "MISC",
    "word tf",
    "digit",
    "all caps",
    "cohesion",
    "first sentence",
    "seen once",
    "tf-idf rank",
    "freq/max",
    "one-word tf-idf",
    "min idf",
    "unknown word",
    "inner mark",
    "inside longer",
    "keyphraseness",
    "keyphraseness evidence",
};

enum { E_NONE, E_PER, E_ORG, E_LOC, E_MISC };

struct phrase {
    long terms[MAXW];
    int n;
    uint32_t first, last; /* token indices of the first and last occurrence */
    uint32_t start, end;  /* the occurrence shown: the first not opening a sentence */
    int shown_inside;     /* that occurrence does not open a sentence */
    int freq, cap_all, inside, cap_inside, allcaps;
    int etype;
    double sub; /* the largest share of its occurrences inside one longer phrase */
    double x[PL_KW_NF];
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

/* Hash indices of the two tables (slot: index + 1, 0 when free; at most
 * half full), built once for the process on first use: a binary search of
 * 28,000 strings for every term of every article cost a sixth of the
 * stage's time. Read-only once built, so the stage's threads share them;
 * when memory runs out, the binary searches below are used instead. */
struct table_hash {
    uint32_t *slot;
    size_t mask;
};
static struct table_hash s_df_hash, s_prior_hash, s_noun_hash;
static pthread_once_t s_hash_once = PTHREAD_ONCE_INIT;

#define DF_N (sizeof(pl_kw_df) / sizeof(pl_kw_df[0]))
#define PRIOR_N (sizeof(pl_kw_prior) / sizeof(pl_kw_prior[0]))
#define NOUN_N (sizeof(pl_kw_noun) / sizeof(pl_kw_noun[0]))

static const char *s_df_key(size_t i)
{
    return pl_kw_df[i].w;
}

static const char *s_prior_key(size_t i)
{
    return pl_kw_prior[i].key;
}

static const char *s_noun_key(size_t i)
{
    return pl_kw_noun[i].w;
}

static void s_hash_table(struct table_hash *h, size_t n, const char *(*key)(size_t))
{
    size_t cap = 64;
    while (cap < 2 * n + 2)
        cap *= 2;
    h->slot = calloc(cap, sizeof(*h->slot));
    if (!h->slot)
        return;
    h->mask = cap - 1;
    for (size_t i = 0; i < n; i++) {
        const char *k = key(i);
        size_t q = pl_hash(k, strlen(k)) & h->mask;
        while (h->slot[q])
            q = (q + 1) & h->mask;
        h->slot[q] = (uint32_t)(i + 1);
    }
}

static void s_build_hashes(void)
{
    s_hash_table(&s_df_hash, DF_N, s_df_key);
    s_hash_table(&s_prior_hash, PRIOR_N, s_prior_key);
    s_hash_table(&s_noun_hash, NOUN_N, s_noun_key);
}

/* The hashes go with the code that built them: when the plugin is unloaded
 * (dlclose), or the program that links it ends. Without this, each
 * unloading left them behind, unreachable. */
__attribute__((destructor)) static void s_free_hashes(void)
{
    free(s_df_hash.slot);
    free(s_prior_hash.slot);
    free(s_noun_hash.slot);
    s_df_hash.slot = s_prior_hash.slot = s_noun_hash.slot = NULL;
}

/* The index of w in a table: by its hash when built, else by a binary
 * search of the sorted table. Returns the index, or -1. */
static long s_table_find(const struct table_hash *h, size_t n, const char *(*key)(size_t),
                         const char *w)
{
    if (h->slot) {
        for (size_t q = pl_hash(w, strlen(w)) & h->mask; h->slot[q]; q = (q + 1) & h->mask)
            if (strcmp(key(h->slot[q] - 1), w) == 0)
                return (long)h->slot[q] - 1;
        return -1;
    }
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(key(mid), w);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

double pl_kw_idf(const char *w)
{
    pthread_once(&s_hash_once, s_build_hashes);
    long i = s_table_find(&s_df_hash, DF_N, s_df_key, w);
    return log((PL_KW_DF_DOCS + 1.0) / (i < 0 ? 1.0 : pl_kw_df[i].df + 1.0));
}

static int s_cmp_phrase(const void *x, const void *y)
{
    const struct phrase *a = x, *b = y;
    if (a->score != b->score)
        return a->score < b->score ? 1 : -1;
    return a->first < b->first ? -1 : a->first > b->first;
}

/* Words that are content words to the summary but make poor keyphrases:
 * reporting verbs, vague time words, quantities and adverbs. */
static int s_weak_keyword(const char *w, size_t n)
{
    /* Sorted (strcmp) for a binary search: this runs on every token. */
    static const char *const weak[] = {
        "according", "added",  "also",     "could", "day",   "days",    "even",      "first",
        "five",      "four",   "get",      "going", "got",   "however", "including", "just",
        "know",      "last",   "like",     "lot",   "made",  "make",    "makes",     "many",
        "month",     "months", "much",     "new",   "noted", "okay",    "only",      "part",
        "really",    "recent", "recently", "said",  "say",   "says",    "seen",      "since",
        "six",       "stated", "still",    "take",  "thing", "things",  "think",     "three",
        "time",      "told",   "took",     "two",   "want",  "way",     "ways",      "week",
        "well",      "would",  "year",     "years", "yes",
    };
    if ((n > 4 && strcmp(w + n - 2, "ly") == 0) || w[0] == '\'' || strcmp(w, "n't") == 0)
        return 1;
    size_t lo = 0, hi = sizeof(weak) / sizeof(weak[0]);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(weak[mid], w);
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* A lower-case word ending in "ed" is most often a verb or a participle
 * ("officials visited embassies"): it may be a keyphrase of its own but
 * not the inside of a noun phrase. Capitalised words ("United") are
 * names. This is the cheap, documented cut the brief asks for, not a tagger. */
static int s_verb_like(const char *t, const struct pl_token *k, const char *w, size_t n)
{
    return !(k->flags & PL_TF_CAP) && n > 4 && t[k->start] >= 'a' && t[k->start] <= 'z' &&
           strcmp(w + n - 2, "ed") == 0;
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

/* The phrase of the len term ids, added (with no occurrence) when new.
 * Returns it, or NULL when out of memory. */
static struct phrase *s_find_add(struct phrases *ph, const long *terms, int len)
{
    if (2 * (ph->n + 1) > ph->nslot && s_phrase_rehash(ph) != 0)
        return NULL;
    size_t *slot = s_phrase_slot(ph, terms, len);
    if (*slot == 0) {
        if (ph->n == ph->cap) {
            size_t cap = ph->cap ? ph->cap * 2 : 64;
            struct phrase *v = realloc(ph->v, cap * sizeof(*v));
            if (!v)
                return NULL;
            ph->v = v;
            ph->cap = cap;
        }
        struct phrase *f = &ph->v[ph->n];
        *f = (struct phrase){ .n = len };
        memcpy(f->terms, terms, (size_t)len * sizeof(long));
        *slot = ++ph->n;
    }
    return &ph->v[*slot - 1];
}

/* Counts one occurrence of the phrase of tokens [i, e). Returns 0 or
 * -ENOMEM. */
static int s_count_phrase(struct phrases *ph, const struct pl_tokens *k, const long *ids, size_t i,
                          size_t e)
{
    struct phrase *f = s_find_add(ph, ids + i, (int)(e - i));
    if (!f)
        return -ENOMEM;
    int inside = !(k->v[i].flags & PL_TF_SENT_START), cap = 1, caps = 1;
    for (size_t q = i; q < e; q++) {
        cap &= (k->v[q].flags & PL_TF_CAP) != 0;
        caps &= (k->v[q].flags & PL_TF_ALLCAPS) != 0;
    }
    if (f->freq == 0 || (inside && !f->shown_inside)) {
        f->start = k->v[i].start;
        f->end = k->v[e - 1].end;
        f->shown_inside = inside;
    }
    if (f->freq == 0)
        f->first = (uint32_t)i;
    f->last = (uint32_t)i;
    f->freq++;
    f->cap_all += cap;
    f->inside += inside;
    f->cap_inside += inside && cap;
    f->allcaps += caps;
    return 0;
}

/* Whether token i can stand in a keyphrase, and whether it may go on one
 * (not verb-like). */
static int s_token_kind(const struct pl_kw_doc *d, size_t i, int *inner)
{
    if (d->ids[i] < 0)
        return 0;
    const struct pl_token *tk = &d->k->v[i];
    char w[64];
    size_t n = pl_lower(d->t + tk->start, tk->end - tk->start, w, sizeof(w));
    if (s_weak_keyword(w, n))
        return 0;
    *inner = !s_verb_like(d->t, tk, w, n);
    return 1;
}

/* Every run of up to MAXW content words inside a longer run, with its
 * count: "rare", "rare earth", "rare earth mining". Returns 0 or -ENOMEM. */
static int s_collect_runs(const struct pl_kw_doc *d, struct phrases *ph)
{
    const struct pl_tokens *k = d->k;
    size_t i = 0;
    while (i < k->n) {
        int inner = 0;
        if (!s_token_kind(d, i, &inner)) {
            i++;
            continue;
        }
        /* The maximal run from i: content words, no line break between,
         * adjacent in the text but for one space or hyphen. */
        size_t j = i + 1;
        int in2 = inner;
        while (in2 && j < k->n && !(k->v[j].flags & PL_TF_NEWLINE) &&
               k->v[j].start - k->v[j - 1].end <= 1 && s_token_kind(d, j, &in2))
            j++;
        for (size_t s = i; s < j; s++)
            for (size_t e = s + 1; e <= j && e - s <= MAXW; e++)
                if (s_count_phrase(ph, k, d->ids, s, e) != 0)
                    return -ENOMEM;
        i = j;
    }
    return 0;
}

static int s_etype(const char *type)
{
    static const char *const names[] = { "PERSON", "ORG", "LOC", "MISC" };
    for (int q = 0; q < 4; q++)
        if (strcmp(names[q], type) == 0)
            return q + 1;
    return E_NONE;
}

/* The first token starting at or after byte off. */
static size_t s_token_at(const struct pl_tokens *k, uint32_t off)
{
    size_t lo = 0, hi = k->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->v[mid].start < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The entities stage's names as candidates: a mention's content words are
 * its key, so "State Department" meets the run of the same words and lends
 * it its type. A name the runs missed ("Sergei Lavrov" cut by a verb-like
 * word) gets its mentions counted here. Returns 0 or -ENOMEM. */
static int s_add_entities(const struct pl_kw_doc *d, struct phrases *ph)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, d->entities)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(e, "type"), *m;
        int et = cJSON_IsString(type) ? s_etype(type->valuestring) : E_NONE;
        if (et == E_NONE)
            continue;
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(e, "mentions"))
        {
            const cJSON *s = cJSON_GetObjectItemCaseSensitive(m, "start");
            const cJSON *en = cJSON_GetObjectItemCaseSensitive(m, "end");
            if (!cJSON_IsNumber(s) || !cJSON_IsNumber(en) || s->valuedouble < 0)
                continue;
            size_t i = s_token_at(d->k, (uint32_t)s->valuedouble), j = i;
            while (j < d->k->n && d->k->v[j].end <= (uint32_t)en->valuedouble && j - i < MAXW &&
                   d->ids[j] >= 0)
                j++;
            if (j == i || (j < d->k->n && d->k->v[j].end <= (uint32_t)en->valuedouble))
                continue; /* a stopword inside, or too long */
            struct phrase *f = s_find_add(ph, d->ids + i, (int)(j - i));
            if (!f)
                return -ENOMEM;
            if (f->freq == 0 && s_count_phrase(ph, d->k, d->ids, i, j) != 0)
                return -ENOMEM;
            if (!f->etype)
                f->etype = et;
        }
    }
    return 0;
}

/* f's key (see keywords.h) into buf; returns its length (0 when it does
 * not fit). */
static size_t s_key(const struct pl_kw_doc *d, const struct phrase *f, char *buf, size_t cap)
{
    size_t n = 0;
    for (int q = 0; q < f->n; q++) {
        const char *w = d->v->w[f->terms[q]];
        size_t l = strlen(w);
        if (n + l + 2 > cap)
            return 0;
        if (q)
            buf[n++] = ' ';
        memcpy(buf + n, w, l);
        n += l;
    }
    buf[n] = 0;
    return n;
}

/* The keyphraseness of f: its share and how many stories it rests on,
 * from d->prior or the trained table; 0 and 0 for a key in neither. */
static void s_prior(const struct pl_kw_doc *d, const struct phrase *f, double *share, double *count)
{
    char key[256];
    *share = *count = 0;
    if (s_key(d, f, key, sizeof(key)) == 0)
        return;
    if (d->prior) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(d->prior, key);
        if (cJSON_GetArraySize(e) == 2) {
            *share = cJSON_GetArrayItem(e, 0)->valuedouble;
            *count = cJSON_GetArrayItem(e, 1)->valuedouble;
        }
        return;
    }
    pthread_once(&s_hash_once, s_build_hashes);
    long i = s_table_find(&s_prior_hash, PRIOR_N, s_prior_key, key);
    if (i >= 0) {
        *share = pl_kw_prior[i].share;
        *count = pl_kw_prior[i].count;
    }
}

/* The candidate's features (see pl_kw_feature_names). */
static void s_features(const struct pl_kw_doc *d, struct phrase *f, size_t first_end)
{
    const double *idf = d->idf;
    double n = d->k->n ? (double)d->k->n : 1, sum_idf = 0, sum_tf = 0, min_tf = 1e9, min_idf = 1e9;
    int digit = 0, unknown = 0, mark = 0;
    for (int q = 0; q < f->n; q++) {
        long id = f->terms[q];
        sum_idf += idf[id];
        min_idf = idf[id] < min_idf ? idf[id] : min_idf;
        sum_tf += log1p(d->v->df[id]);
        min_tf = d->v->df[id] < min_tf ? d->v->df[id] : min_tf;
        unknown |= idf[id] >= log(PL_KW_DF_DOCS + 1.0);
        for (const char *c = d->v->w[id]; *c; c++) {
            digit |= *c >= '0' && *c <= '9';
            mark |= *c == '-' || *c == '.' || *c == '\'';
        }
    }
    double lf = log1p(f->freq), mean_idf = sum_idf / f->n;
    double *x = f->x;
    x[0] = lf;
    x[1] = f->first / n;
    x[2] = (f->last - f->first) / n;
    x[3] = f->n == 2;
    x[4] = f->n >= 3;
    x[5] = (double)f->cap_all / f->freq;
    x[6] = f->inside ? (double)f->cap_inside / f->inside : 0;
    x[7] = mean_idf / 10;
    x[8] = lf * mean_idf / 10;
    for (int t = 0; t < 4; t++)
        x[9 + t] = f->etype == t + 1;
    x[13] = sum_tf / f->n;
    x[14] = digit;
    x[15] = (double)f->allcaps / f->freq;
    x[16] = min_tf > 0 ? f->freq / min_tf : 0;
    x[17] = f->first < first_end;
    x[18] = f->freq == 1;
    x[21] = f->n == 1 ? x[8] : 0;
    x[22] = min_idf / 10;
    x[23] = unknown;
    x[24] = mark;
    x[25] = f->sub;
    double share, count;
    s_prior(d, f, &share, &count);
    x[26] = share;
    x[27] = log1p(count) / 5;
}

struct ranked {
    double v;
    size_t p;
};

static int s_cmp_desc(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? 1 : -1;
    return x->p < y->p ? -1 : x->p > y->p;
}

/* The features that compare a candidate with the others of its document:
 * its rank by TF-IDF and its frequency against the most frequent one's. */
static int s_doc_features(struct phrases *ph)
{
    struct ranked *by = malloc((ph->n + 1) * sizeof(*by));
    if (!by)
        return -ENOMEM;
    double maxf = 1;
    for (size_t p = 0; p < ph->n; p++) {
        by[p] = (struct ranked){ ph->v[p].x[8], p };
        maxf = ph->v[p].x[0] > maxf ? ph->v[p].x[0] : maxf;
    }
    qsort(by, ph->n, sizeof(*by), s_cmp_desc);
    for (size_t r = 0; r < ph->n; r++)
        ph->v[by[r].p].x[19] = 1.0 / (1.0 + (double)r);
    for (size_t p = 0; p < ph->n; p++)
        ph->v[p].x[20] = ph->v[p].x[0] / maxf;
    free(by);
    return 0;
}

/* Whether a is the initials of b's words ("U.S." and "United States"),
 * both as they stand in the text. */
static int s_acronym_of(const char *a, const char *b)
{
    char ia[16], ib[16];
    size_t na = 0, nb = 0;
    for (; *a; a++) {
        if (*a == '.')
            continue;
        if (*a < 'A' || *a > 'Z' || na + 1 >= sizeof(ia))
            return 0;
        ia[na++] = *a;
    }
    for (const char *w = b; *w; w++)
        if ((w == b || w[-1] == ' ' || w[-1] == '-') && nb + 1 < sizeof(ib))
            ib[nb++] = *w;
    return na >= 2 && na == nb && memcmp(ia, ib, na) == 0;
}

/* Whether a and b are the same but for case and a plural "s" or "es" at
 * the end of one ("menu" and "menus", "tax" and "taxes"): the candidates'
 * light stemming keeps words in -us apart ("virus", "bus"), so such
 * pairs reach the output as two candidates. */
static int s_plural_of(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > nb) {
        const char *t = a;
        a = b, b = t;
        size_t tn = na;
        na = nb, nb = tn;
    }
    if (na < 3 || strncasecmp(a, b, na) != 0)
        return 0;
    return (nb == na + 1 && (b[na] == 's' || b[na] == 'S')) ||
           (nb == na + 2 && strcasecmp(b + na, "es") == 0);
}

static int s_demonym_cmp(const void *key, const void *row)
{
    return strcmp(key, *(const char *const *)row);
}

/* The rows of kw_demonym.h (tools/gen-demonyms.py: WordNet's adjectives
 * that pertain to a place, with the place) whose adjective is a, one word
 * as it stands in the text ("Russian"), or a but for a plural "s"
 * ("Russians"): [*lo, *hi), empty when a is no such word. */
static void s_demonym_rows(const char *a, size_t *lo, size_t *hi)
{
    const size_t rows = sizeof(pl_kw_demonym) / sizeof(pl_kw_demonym[0]);
    char w[64];
    size_t n = strlen(a);
    *lo = *hi = 0;
    if (n < 3 || n >= sizeof(w) || strchr(a, ' '))
        return;
    memcpy(w, a, n + 1);
    for (int pass = 0; pass < 2; pass++) {
        const void *r = bsearch(w, pl_kw_demonym, rows, sizeof(pl_kw_demonym[0]), s_demonym_cmp);
        if (r) {
            /* An adjective of several places: its rows are side by side. */
            size_t i =
                (size_t)((const char *)r - (const char *)pl_kw_demonym) / sizeof(pl_kw_demonym[0]);
            for (*lo = i; *lo > 0 && strcmp(pl_kw_demonym[*lo - 1].adj, w) == 0;)
                --*lo;
            for (*hi = i + 1; *hi < rows && strcmp(pl_kw_demonym[*hi].adj, w) == 0;)
                ++*hi;
            return;
        }
        if (w[n - 1] != 's')
            return;
        w[--n] = 0;
    }
}

/* Whether place is one of the rows [lo, hi)'s places. */
static int s_demonym_place(size_t lo, size_t hi, const char *place)
{
    for (size_t i = lo; i < hi; i++)
        if (strcmp(pl_kw_demonym[i].place, place) == 0)
            return 1;
    return 0;
}

/* Whether a is the adjective or the people of the place b ("Russian" or
 * "Russians" and "Russia", "Turkish" and "Turkey"). */
static int s_demonym_of(const char *a, const char *b)
{
    size_t lo, hi;
    s_demonym_rows(a, &lo, &hi);
    return lo < hi && s_demonym_place(lo, hi, b);
}

/* Whether text is a near-duplicate of a keyphrase already in out: the
 * same letters but for case or a plural ending, one the other's
 * initials, or a place and its adjective. */
static int s_near_dup(const char *text, const cJSON *out)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, out)
    {
        const char *o = cJSON_GetObjectItemCaseSensitive(it, "text")->valuestring;
        if (strcasecmp(o, text) == 0 || s_plural_of(o, text) || s_acronym_of(o, text) ||
            s_acronym_of(text, o) || s_demonym_of(o, text) || s_demonym_of(text, o))
            return 1;
    }
    return 0;
}

/* A single lower-case word ending in "ed" ("pledged", "affected"): the
 * crowd of 500N-KPCrowd picks such words now and then, but an editor tags a
 * story with what it is about, so they are not given as keyphrases. On the
 * dev half this costs 0.003 of held-out F1@10; leaving out "-ing" words
 * too would cost 0.006 and lose nouns ("meeting", "mining"). */
static int s_verb_form(const char *w, size_t n)
{
    for (size_t q = 0; q < n; q++)
        if (w[q] < 'a' || w[q] > 'z')
            return 0;
    return n > 4 && strcmp(w + n - 2, "ed") == 0;
}

/* Whether WordNet holds the word w[0..n) (any case) but never as a noun
 * (kw_noun.h, tools/gen-noun-lexicon.py: none of its tagged senses is):
 * "diplomatic", "addressing", "engaging". Such a word alone is no
 * keyphrase unless the entities stage named it; inside a phrase it
 * stays ("diplomatic missions"). On the dev half this leaves held-out
 * F1@10 at 0.199 (F1@5 0.129 against 0.130); leaving out words whose noun
 * share is below 20% or 35% as well ("neutral", "impossible", but also
 * "talks", "meeting") costs 0.001 and 0.005 of F1@10. */
static int s_never_noun(const char *w, size_t n)
{
    char low[64];
    if (n >= sizeof(low))
        return 0;
    pl_lower(w, n, low, sizeof(low));
    pthread_once(&s_hash_once, s_build_hashes);
    long i = s_table_find(&s_noun_hash, NOUN_N, s_noun_key, low);
    return i >= 0 && pl_kw_noun[i].noun == 0;
}

/* Whether f is a person named in full: a PERSON the entities stage found,
 * of two words or more. */
static int s_full_person(const struct phrase *f)
{
    return f->etype == E_PER && f->n >= 2;
}

/* Adds ph->v[p] to out unless it is no keyphrase to show (a near
 * duplicate of one kept, a lone verb form, a lone word never a noun).
 * Returns 1 when added, 0 when not, -ENOMEM. */
static int s_keep_one(const char *t, const struct phrases *ph, size_t p, cJSON *out)
{
    const struct phrase *f = &ph->v[p];
    size_t len = f->end - f->start;
    if (len < 2 || len > 255)
        return 0;
    char buf[256];
    memcpy(buf, t + f->start, len);
    buf[len] = 0;
    if (s_near_dup(buf, out) || s_verb_form(buf, len) ||
        (f->n == 1 && !f->etype && s_never_noun(buf, len)))
        return 0;
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(out, o)) {
        cJSON_Delete(o);
        return -ENOMEM;
    }
    if (!cJSON_AddStringToObject(o, "text", buf) ||
        !cJSON_AddNumberToObject(o, "score", round(f->score * 1000) / 1000))
        return -ENOMEM;
    return 1;
}

/* Whether an item of out other than self is place or another adjective
 * of it. */
static int s_other_names(const cJSON *out, const cJSON *self, const char *place)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, out)
    {
        const char *o = cJSON_GetObjectItemCaseSensitive(it, "text")->valuestring;
        if (it != self && (strcasecmp(o, place) == 0 || s_demonym_of(o, place)))
            return 1;
    }
    return 0;
}

/* Each kept adjective of a place that the story also names as a
 * candidate ("Russian" in a story that says "Russia" somewhere) is shown
 * as the place: the place is what the story is about, the adjective only
 * how it was most often written ("Russian officials"). Returns 0 or
 * -ENOMEM. */
static int s_places_for_adjectives(const char *t, const struct phrases *ph, cJSON *out)
{
    cJSON *it;
    cJSON_ArrayForEach(it, out)
    {
        cJSON *text = cJSON_GetObjectItemCaseSensitive(it, "text");
        size_t lo, hi;
        s_demonym_rows(text->valuestring, &lo, &hi);
        for (size_t p = 0; p < ph->n && lo < hi; p++) {
            const struct phrase *f = &ph->v[p];
            size_t len = f->end - f->start;
            char buf[64];
            if (f->n != 1 || len >= sizeof(buf))
                continue;
            memcpy(buf, t + f->start, len);
            buf[len] = 0;
            if (s_demonym_place(lo, hi, buf)) {
                /* Two adjectives of one place ("Afghan", "Afghani") stay
                 * as they are rather than give the place twice. */
                if (!s_other_names(out, it, buf) && !cJSON_SetValuestring(text, buf))
                    return -ENOMEM;
                break;
            }
        }
    }
    return 0;
}

/* The best phrases, in score order, into out; with person set (the option
 * "keyword_person", true by default), the last of the want places goes to
 * the best-scored person named in full when none is among the others.
 * An editor puts the people of a story on it; the crowd of 500N-KPCrowd,
 * whose phrases the scorer learns, picks common words more often, so the
 * score alone seldom reaches a name (README, "The keyphrase scorer").
 * Scores stay in rank order: the reserved place comes last and holds a
 * phrase scored below the others. Returns 0 or -ENOMEM. */
static int s_keep_phrases(const char *t, const struct phrases *ph, int want, bool person,
                          cJSON *out)
{
    int resv = 0; /* 1 while a place is kept for a person named in full */
    for (size_t p = 0; person && want > 0 && p < ph->n && !resv; p++)
        resv = s_full_person(&ph->v[p]);
    int got = 0, rc;
    size_t p = 0;
    for (; p < ph->n && got < want - resv; p++) {
        if ((rc = s_keep_one(t, ph, p, out)) < 0)
            return rc;
        got += rc;
        if (rc && s_full_person(&ph->v[p]))
            resv = 0; /* one is among the others */
    }
    /* The reserved place: the best person named in full below the others. */
    for (size_t q = p; q < ph->n && resv && got < want; q++) {
        if (!s_full_person(&ph->v[q]))
            continue;
        if ((rc = s_keep_one(t, ph, q, out)) < 0)
            return rc;
        got += rc;
    }
    /* The rest: the reserved place too when no person could be shown (each
     * was a near duplicate of a phrase kept, or too long). */
    for (; p < ph->n && got < want; p++) {
        if ((rc = s_keep_one(t, ph, p, out)) < 0)
            return rc;
        got += rc;
    }
    return s_places_for_adjectives(t, ph, out);
}

/* Every candidate's features into arr, for the trainer. */
static int s_emit_features(const struct pl_kw_doc *d, const struct phrases *ph, cJSON *arr)
{
    for (size_t p = 0; p < ph->n; p++) {
        const struct phrase *f = &ph->v[p];
        char *text = strndup(d->t + f->start, f->end - f->start), key[256];
        s_key(d, f, key, sizeof(key));
        cJSON *o = cJSON_CreateObject();
        if (!text || !o || !cJSON_AddItemToArray(arr, o)) {
            free(text);
            cJSON_Delete(o);
            return -ENOMEM;
        }
        int ok = cJSON_AddStringToObject(o, "text", text) &&
                 cJSON_AddStringToObject(o, "key", key) &&
                 cJSON_AddItemToObject(o, "x", cJSON_CreateDoubleArray(f->x, PL_KW_NF));
        free(text);
        if (!ok)
            return -ENOMEM;
    }
    return 0;
}

/* How much of each phrase lies inside a longer one: "san" all inside "San
 * Francisco" is no keyphrase of its own. */
static void s_subsumed(struct phrases *ph)
{
    for (size_t p = 0; p < ph->n; p++) {
        const struct phrase *f = &ph->v[p];
        for (int q = 0; f->n > 1 && q < f->n; q++) {
            size_t *slot = s_phrase_slot(ph, f->terms + q, 1);
            if (*slot == 0)
                continue;
            struct phrase *w = &ph->v[*slot - 1];
            double share = (double)f->freq / w->freq;
            w->sub = share > w->sub ? share : w->sub;
        }
    }
}

/* Every candidate's features and its score with w (logistic). */
static int s_score(const struct pl_kw_doc *d, struct phrases *ph, const double *w)
{
    size_t first_end = 0;
    while (first_end < d->k->n &&
           (first_end == 0 || !(d->k->v[first_end].flags & PL_TF_SENT_START)))
        first_end++;
    s_subsumed(ph);
    for (size_t p = 0; p < ph->n; p++)
        s_features(d, &ph->v[p], first_end);
    if (s_doc_features(ph) != 0)
        return -ENOMEM;
    for (size_t p = 0; p < ph->n; p++) {
        struct phrase *f = &ph->v[p];
        double z = w[PL_KW_NF];
        for (int q = 0; q < PL_KW_NF; q++)
            z += w[q] * f->x[q];
        f->score = 1 / (1 + exp(-z));
    }
    return 0;
}

int pl_summary_keywords(const struct pl_kw_doc *d, const double *w, int want, cJSON *out,
                        cJSON *features)
{
    if (want == 0 && !features)
        return 0;
    struct phrases ph = { 0 };
    int rc = s_collect_runs(d, &ph);
    if (rc == 0)
        rc = s_add_entities(d, &ph);
    if (rc == 0)
        rc = s_score(d, &ph, w);
    if (rc == 0 && features)
        rc = s_emit_features(d, &ph, features);
    if (rc == 0 && ph.n > 1)
        qsort(ph.v, ph.n, sizeof(*ph.v), s_cmp_phrase);
    if (rc == 0)
        rc = s_keep_phrases(d->t, &ph, want, d->person, out);
    free(ph.v);
    free(ph.slot);
    return rc;
}
