/*
 * ROUGE scoring: see rouge.h. Tokens are kept as 64-bit hashes of their
 * stemmed form; n-grams as hashes of those.
 */
#include "rouge.h"

#include <errno.h>
#include <libstemmer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

struct pl_rouge {
    struct sb_stemmer *stem;
};

int pl_rouge_new(struct pl_rouge **out)
{
    *out = NULL;
    struct pl_rouge *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->stem = sb_stemmer_new("english", NULL);
    if (!r->stem) {
        free(r);
        return -ENOENT;
    }
    *out = r;
    return 0;
}

void pl_rouge_free(struct pl_rouge **r)
{
    if (!r || !*r)
        return;
    sb_stemmer_delete((*r)->stem);
    free(*r);
    *r = NULL;
}

struct toks {
    uint64_t *v;
    size_t n, cap;
};

static int s_push(struct toks *t, uint64_t x)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        uint64_t *v = realloc(t->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = x;
    return 0;
}

/* Appends the tokens of s to t. */
static int s_tokenize(struct pl_rouge *r, const char *s, struct toks *t)
{
    char w[256];
    size_t n = 0;
    for (const char *p = s;; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (n < sizeof(w))
                w[n++] = c;
            continue;
        }
        if (n) {
            const char *stem = w;
            size_t sn = n;
            if (n > 3) {
                const sb_symbol *st = sb_stemmer_stem(r->stem, (const sb_symbol *)w, (int)n);
                if (!st)
                    return -ENOMEM;
                stem = (const char *)st;
                sn = (size_t)sb_stemmer_length(r->stem);
            }
            if (s_push(t, pl_hash(stem, sn)) != 0)
                return -ENOMEM;
            n = 0;
        }
        if (!*p)
            return 0;
    }
}

static int s_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

size_t pl_ngram_overlap(uint64_t *a, size_t na, uint64_t *b, size_t nb)
{
    if (na == 0 || nb == 0)
        return 0; /* and qsort is never handed a NULL array */
    qsort(a, na, sizeof(*a), s_cmp_u64);
    qsort(b, nb, sizeof(*b), s_cmp_u64);
    size_t hits = 0;
    for (size_t i = 0, j = 0; i < na && j < nb;) {
        if (a[i] == b[j]) {
            hits++;
            i++;
            j++;
        } else if (a[i] < b[j]) {
            i++;
        } else {
            j++;
        }
    }
    return hits;
}

static double s_f1(size_t hits, size_t nc, size_t nr)
{
    if (!hits || !nc || !nr)
        return 0;
    double p = (double)hits / (double)nc, rc = (double)hits / (double)nr;
    return 2 * p * rc / (p + rc);
}

/* n-gram overlap (clipped counts) of the flat token lists. */
static int s_rouge_n(const struct toks *c, const struct toks *r, size_t n, double *f)
{
    *f = 0;
    if (c->n < n || r->n < n)
        return 0;
    size_t nc = c->n - n + 1, nr = r->n - n + 1;
    uint64_t *gc = malloc(nc * sizeof(*gc)), *gr = malloc(nr * sizeof(*gr));
    if (!gc || !gr) {
        free(gc);
        free(gr);
        return -ENOMEM;
    }
    for (size_t i = 0; i < nc; i++)
        gc[i] = n == 1 ? c->v[i] : c->v[i] * 0x9e3779b97f4a7c15ull ^ c->v[i + 1];
    for (size_t i = 0; i < nr; i++)
        gr[i] = n == 1 ? r->v[i] : r->v[i] * 0x9e3779b97f4a7c15ull ^ r->v[i + 1];
    size_t hits = pl_ngram_overlap(gc, nc, gr, nr);
    free(gc);
    free(gr);
    *f = s_f1(hits, nc, nr);
    return 0;
}

/* Token counts: sorted distinct tokens with a count each. */
struct counts {
    uint64_t *key;
    long *n;
    size_t len;
};

static int s_counts(const struct toks *t, struct counts *c)
{
    uint64_t *v = malloc((t->n + 1) * sizeof(*v));
    c->key = malloc((t->n + 1) * sizeof(*c->key));
    c->n = malloc((t->n + 1) * sizeof(*c->n));
    c->len = 0;
    if (!v || !c->key || !c->n) {
        free(v);
        return -ENOMEM;
    }
    if (t->n)
        memcpy(v, t->v, t->n * sizeof(*v));
    qsort(v, t->n, sizeof(*v), s_cmp_u64);
    for (size_t i = 0; i < t->n; i++) {
        if (c->len && c->key[c->len - 1] == v[i]) {
            c->n[c->len - 1]++;
        } else {
            c->key[c->len] = v[i];
            c->n[c->len++] = 1;
        }
    }
    free(v);
    return 0;
}

static long *s_count_of(struct counts *c, uint64_t k)
{
    uint64_t *p = bsearch(&k, c->key, c->len, sizeof(*c->key), s_cmp_u64);
    return p ? &c->n[p - c->key] : NULL;
}

/* Marks in used[] the positions of ref that an LCS of ref and can takes,
 * backtracking as rouge-score does. */
static int s_lcs_mark(const uint64_t *ref, size_t m, const uint64_t *can, size_t n, uint8_t *used)
{
    uint32_t *t = calloc((m + 1) * (n + 1), sizeof(*t));
    if (!t)
        return -ENOMEM;
    for (size_t i = 1; i <= m; i++)
        for (size_t j = 1; j <= n; j++) {
            uint32_t up = t[(i - 1) * (n + 1) + j], left = t[i * (n + 1) + j - 1];
            t[i * (n + 1) + j] = ref[i - 1] == can[j - 1] ? t[(i - 1) * (n + 1) + j - 1] + 1
                                                          : (up > left ? up : left);
        }
    for (size_t i = m, j = n; i > 0 && j > 0;) {
        if (ref[i - 1] == can[j - 1]) {
            used[i - 1] = 1;
            i--;
            j--;
        } else if (t[i * (n + 1) + j - 1] > t[(i - 1) * (n + 1) + j]) {
            j--;
        } else {
            i--;
        }
    }
    free(t);
    return 0;
}

int pl_rouge_score(struct pl_rouge *r, const char *const *cand, size_t nc, const char *const *ref,
                   size_t nr, struct pl_rouge_score *out)
{
    memset(out, 0, sizeof(*out));
    int rc = -ENOMEM;
    struct toks *cs = calloc(nc + 1, sizeof(*cs)), *rs = calloc(nr + 1, sizeof(*rs));
    struct toks cf = { 0 }, rf = { 0 };
    struct counts cc = { 0 }, rcnt = { 0 };
    uint8_t *used = NULL;
    if (!cs || !rs)
        goto out;
    for (size_t i = 0; i < nc; i++)
        if (s_tokenize(r, cand[i], &cs[i]) != 0 || s_tokenize(r, cand[i], &cf) != 0)
            goto out;
    for (size_t i = 0; i < nr; i++)
        if (s_tokenize(r, ref[i], &rs[i]) != 0 || s_tokenize(r, ref[i], &rf) != 0)
            goto out;
    if (s_rouge_n(&cf, &rf, 1, &out->r1) != 0 || s_rouge_n(&cf, &rf, 2, &out->r2) != 0)
        goto out;
    /* Summary-level LCS. */
    if (s_counts(&cf, &cc) != 0 || s_counts(&rf, &rcnt) != 0)
        goto out;
    size_t hits = 0;
    for (size_t i = 0; i < nr; i++) {
        free(used);
        used = calloc(rs[i].n + 1, 1);
        if (!used)
            goto out;
        for (size_t j = 0; j < nc; j++)
            if (s_lcs_mark(rs[i].v, rs[i].n, cs[j].v, cs[j].n, used) != 0)
                goto out;
        for (size_t k = 0; k < rs[i].n; k++) {
            if (!used[k])
                continue;
            long *a = s_count_of(&cc, rs[i].v[k]), *b = s_count_of(&rcnt, rs[i].v[k]);
            if (a && b && *a > 0 && *b > 0) {
                hits++;
                (*a)--;
                (*b)--;
            }
        }
    }
    out->rlsum = s_f1(hits, cf.n, rf.n);
    rc = 0;
out:
    for (size_t i = 0; cs && i < nc; i++)
        free(cs[i].v);
    for (size_t i = 0; rs && i < nr; i++)
        free(rs[i].v);
    free(cs);
    free(rs);
    free(cf.v);
    free(rf.v);
    free(cc.key);
    free(cc.n);
    free(rcnt.key);
    free(rcnt.n);
    free(used);
    return rc;
}
