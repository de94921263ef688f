/*
 * Word clusters: skip-gram vectors and spherical k-means; see clusters.h.
 *
 * Written by hand: Debian 12 packages no word2vec or Brown-clustering
 * implementation (`apt-cache search word2vec` finds nothing). The float
 * arithmetic is spelt so that its order is fixed: the model files made from
 * these clusters are checked byte for byte.
 */
#include "clusters.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errcode.h"

/* --- the generator ------------------------------------------------------- */

/* splitmix64 (Steele, Lea and Flood 2014). */
static inline uint64_t s_rand(uint64_t *rng)
{
    uint64_t z = (*rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1), from the top 53 bits. */
static inline float s_unit(uint64_t *rng)
{
    return (float)((s_rand(rng) >> 11) * (1.0 / 9007199254740992.0));
}

/* --- the vocabulary ------------------------------------------------------ */

static uint64_t s_fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* Doubles the hash table (1 << 20 slots to start) and puts every word back. */
static int s_grow_slots(struct pl_clusters *c)
{
    size_t cap = c->mask ? 2 * (c->mask + 1) : 1u << 20;
    int32_t *slots = malloc(cap * sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    for (size_t i = 0; i < cap; i++)
        slots[i] = -1;
    for (size_t w = 0; w < c->nvocab; w++) {
        size_t i = s_fnv(c->vocab[w].s, strlen(c->vocab[w].s)) & (cap - 1);
        while (slots[i] >= 0)
            i = (i + 1) & (cap - 1);
        slots[i] = (int32_t)w;
    }
    free(c->slots);
    c->slots = slots;
    c->mask = cap - 1;
    return 0;
}

/* The id of the word s[0 .. n), added to the vocabulary (count 0) when it
 * is new. Returns the id, or -ENOMEM. */
static int32_t s_word_id(struct pl_clusters *c, const char *s, size_t n)
{
    if (2 * (c->nvocab + 1) > c->mask && s_grow_slots(c) != 0)
        return -ENOMEM;
    size_t i = s_fnv(s, n) & c->mask;
    for (; c->slots[i] >= 0; i = (i + 1) & c->mask) {
        const char *v = c->vocab[c->slots[i]].s;
        if (strlen(v) == n && memcmp(v, s, n) == 0)
            return c->slots[i];
    }
    if (c->nvocab == c->capvocab) {
        size_t cap = c->capvocab ? 2 * c->capvocab : 1u << 16;
        struct pl_clusters_word *v = realloc(c->vocab, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        c->vocab = v;
        c->capvocab = cap;
    }
    char *copy = strndup(s, n);
    if (!copy)
        return -ENOMEM;
    c->vocab[c->nvocab] = (struct pl_clusters_word){ copy, 0 };
    c->slots[i] = (int32_t)c->nvocab;
    return (int32_t)c->nvocab++;
}

/* Appends one id (a word, or -1 between documents) to the text. */
static int s_push_text(struct pl_clusters *c, int32_t id)
{
    if (c->ntext == c->captext) {
        size_t cap = c->captext ? 2 * c->captext : 1u << 20;
        int32_t *t = realloc(c->text, cap * sizeof(*t));
        if (!t)
            return -ENOMEM;
        c->text = t;
        c->captext = cap;
    }
    c->text[c->ntext++] = id;
    return 0;
}

static int s_is_space(char ch)
{
    return ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r';
}

/* The words of one line, then the end of its document. */
static int s_read_line(struct pl_clusters *c, const char *line, size_t len)
{
    for (const char *p = line, *e = line + len; p < e;) {
        while (p < e && s_is_space(*p))
            p++;
        const char *q = p;
        while (q < e && !s_is_space(*q))
            q++;
        if (q > p) {
            int32_t id = s_word_id(c, p, (size_t)(q - p));
            if (id < 0)
                return id;
            c->vocab[id].count++;
            if (s_push_text(c, id) != 0)
                return -ENOMEM;
        }
        p = q;
    }
    return s_push_text(c, -1);
}

void pl_clusters_init(struct pl_clusters *c)
{
    memset(c, 0, sizeof(*c));
    c->rng = PL_CLUSTERS_SEED;
}

void pl_clusters_free(struct pl_clusters *c)
{
    for (size_t i = 0; i < c->nvocab; i++)
        free(c->vocab[i].s);
    free(c->vocab);
    free(c->slots);
    free(c->text);
    free(c->vec);
    for (int l = 0; l < PL_CLUSTERS_LEVELS; l++)
        free(c->cl[l]);
    pl_clusters_init(c);
}

int pl_clusters_read(struct pl_clusters *c, FILE *in)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, in)) > 0)
        rc = s_read_line(c, line, (size_t)len);
    if (rc == 0 && ferror(in))
        rc = -EIO;
    free(line);
    return rc;
}

/* By falling count, then by bytes, so that the order is total. a and b
 * point to structs that begin with a struct pl_clusters_word. */
static int s_by_count(const void *a, const void *b)
{
    const struct pl_clusters_word *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->s, y->s);
}

int pl_clusters_cut(struct pl_clusters *c, size_t min_count)
{
    /* Each word is sorted with its old id, so that the text can be
     * renumbered without looking the words up again. */
    struct ranked {
        struct pl_clusters_word w;
        int32_t id;
    };
    size_t n = c->nvocab;
    struct ranked *r = malloc((n ? n : 1) * sizeof(*r));
    int32_t *remap = malloc((n ? n : 1) * sizeof(*remap));
    if (!r || !remap) {
        free(r);
        free(remap);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        r[i] = (struct ranked){ c->vocab[i], (int32_t)i };
    /* The order is total (no two words are equal), so any sort gives it. */
    qsort(r, n, sizeof(*r), s_by_count);
    size_t nkept = 0;
    while (nkept < n && r[nkept].w.count >= min_count)
        nkept++;
    for (size_t i = 0; i < n; i++) {
        remap[r[i].id] = i < nkept ? (int32_t)i : -2;
        c->vocab[i] = r[i].w;
    }
    free(r);
    c->words = 0;
    for (size_t i = 0; i < c->ntext; i++) {
        if (c->text[i] >= 0) {
            c->text[i] = remap[c->text[i]];
            c->words += c->text[i] >= 0;
        }
    }
    free(remap);
    /* The ids are the sorted order from here on; the hash table is not. */
    free(c->slots);
    c->slots = NULL;
    c->mask = 0;
    c->nkept = nkept;
    return 0;
}

/* --- skip-gram with negative sampling ------------------------------------ */

struct s_sgns {
    const struct pl_clusters_params *p;
    float *in, *out; /* word and context vectors, nkept * dim each */
    float *grad;     /* dim */
    int32_t *table;  /* word ids drawn in proportion to count^0.75 */
    float *keep;     /* chance that a word is kept by subsampling */
    int32_t *sent;   /* the current document, subsampled */
};

/* The negative-sampling table: each word fills a share of the entries in
 * proportion to its count^0.75. */
static void s_fill_table(const struct pl_clusters *c, int32_t *table, size_t tsize)
{
    double z = 0;
    for (size_t i = 0; i < c->nkept; i++)
        z += pow((double)c->vocab[i].count, 0.75);
    size_t w = 0;
    double acc = pow((double)c->vocab[0].count, 0.75) / z;
    for (size_t i = 0; i < tsize; i++) {
        table[i] = (int32_t)w;
        if ((double)i / (double)tsize > acc && w + 1 < c->nkept) {
            w++;
            acc += pow((double)c->vocab[w].count, 0.75) / z;
        }
    }
}

/* Subsampling of frequent words (Mikolov et al. 2013, as word2vec.c). */
static void s_fill_keep(const struct pl_clusters *c, double sample, float *keep)
{
    for (size_t i = 0; i < c->nkept; i++) {
        double f = (double)c->vocab[i].count, t = sample * (double)c->words;
        double p = (sqrt(f / t) + 1) * t / f;
        keep[i] = (float)(p > 1 ? 1 : p);
    }
}

static void s_sgns_free(struct s_sgns *s)
{
    free(s->in);
    free(s->out);
    free(s->grad);
    free(s->table);
    free(s->keep);
    free(s->sent);
}

/* The buffers, the tables and the starting vectors (small random word
 * vectors, zero context vectors). */
static int s_sgns_init(struct s_sgns *s, struct pl_clusters *c, const struct pl_clusters_params *p)
{
    size_t nv = c->nkept, dim = p->dim;
    *s = (struct s_sgns){ .p = p };
    s->table = malloc(p->table_size * sizeof(*s->table));
    s->keep = malloc(nv * sizeof(*s->keep));
    s->in = malloc(nv * dim * sizeof(*s->in));
    s->out = malloc(nv * dim * sizeof(*s->out));
    s->grad = malloc(dim * sizeof(*s->grad));
    s->sent = malloc(PL_CLUSTERS_MAX_DOC * sizeof(*s->sent));
    if (!s->table || !s->keep || !s->in || !s->out || !s->grad || !s->sent) {
        s_sgns_free(s);
        return -ENOMEM;
    }
    s_fill_table(c, s->table, p->table_size);
    s_fill_keep(c, p->sample, s->keep);
    for (size_t i = 0; i < nv * dim; i++) {
        s->in[i] = (s_unit(&c->rng) - 0.5f) / (float)dim;
        s->out[i] = 0;
    }
    return 0;
}

/* One step for a context word and the word at the window's centre: the
 * centre as the positive target, p->negative words from the table as
 * negative ones (the centre itself is never one). */
static void s_train_pair(struct s_sgns *s, uint64_t *rng, int32_t context, int32_t centre,
                         float alpha)
{
    size_t dim = s->p->dim;
    float *v = s->in + (size_t)context * dim;
    memset(s->grad, 0, dim * sizeof(float));
    for (size_t d = 0; d <= s->p->negative; d++) {
        int32_t target;
        float label;
        if (d == 0) {
            target = centre;
            label = 1;
        } else {
            target = s->table[s_rand(rng) % s->p->table_size];
            if (target == centre)
                continue;
            label = 0;
        }
        float *u = s->out + (size_t)target * dim;
        float dot = 0;
        for (size_t e = 0; e < dim; e++)
            dot += v[e] * u[e];
        float g;
        if (dot > 6)
            g = (label - 1) * alpha;
        else if (dot < -6)
            g = label * alpha;
        else
            g = (label - 1 / (1 + expf(-dot))) * alpha;
        for (size_t e = 0; e < dim; e++) {
            s->grad[e] += g * u[e];
            u[e] += g * v[e];
        }
    }
    for (size_t e = 0; e < dim; e++)
        v[e] += s->grad[e];
}

/* Every (context, centre) pair of the subsampled document s->sent[0 .. sn),
 * in a window of random width (1 .. p->window) around each centre. */
static void s_train_document(struct s_sgns *s, uint64_t *rng, size_t sn, float alpha)
{
    size_t window = s->p->window;
    for (size_t i = 0; i < sn; i++) {
        size_t b = (size_t)(s_rand(rng) % window);
        size_t lo = i >= window - b ? i - (window - b) : 0;
        size_t hi = i + (window - b) < sn ? i + (window - b) : sn - 1;
        for (size_t j = lo; j <= hi; j++)
            if (j != i)
                s_train_pair(s, rng, s->sent[j], s->sent[i], alpha);
    }
}

/* One pass over the text, document by document. done counts the tokens
 * of kept words seen so far over all epochs; the learning rate falls
 * linearly with it to 1e-4 of its start. */
static void s_train_epoch(struct s_sgns *s, struct pl_clusters *c, uint64_t *done, uint64_t total)
{
    const float alpha0 = s->p->alpha;
    size_t pos = 0;
    while (pos < c->ntext) {
        size_t sn = 0;
        for (; pos < c->ntext && c->text[pos] != -1; pos++) {
            int32_t w = c->text[pos];
            if (w < 0)
                continue;
            (*done)++;
            if (s->keep[w] < 1 && s_unit(&c->rng) > s->keep[w])
                continue;
            if (sn < PL_CLUSTERS_MAX_DOC)
                s->sent[sn++] = w;
        }
        pos++;
        float alpha = alpha0 * (1 - (float)*done / (float)(total + 1));
        if (alpha < alpha0 * 1e-4f)
            alpha = alpha0 * 1e-4f;
        s_train_document(s, &c->rng, sn, alpha);
    }
}

/* Scales each of the n vectors of dimension dim to unit length (a zero
 * vector stays zero). */
static void s_normalize(float *x, size_t n, size_t dim)
{
    for (size_t i = 0; i < n; i++) {
        double norm = 0;
        for (size_t e = 0; e < dim; e++)
            norm += (double)x[i * dim + e] * x[i * dim + e];
        float inv = norm > 0 ? (float)(1 / sqrt(norm)) : 0;
        for (size_t e = 0; e < dim; e++)
            x[i * dim + e] *= inv;
    }
}

int pl_clusters_train(struct pl_clusters *c, const struct pl_clusters_params *p)
{
    if (c->nkept == 0)
        return PL_EINPUT;
    struct s_sgns s;
    int rc = s_sgns_init(&s, c, p);
    if (rc != 0)
        return rc;
    uint64_t done = 0, total = (uint64_t)p->epochs * c->words;
    clock_t t0 = clock();
    for (size_t ep = 0; ep < p->epochs; ep++) {
        s_train_epoch(&s, c, &done, total);
        if (p->log)
            fprintf(p->log, "epoch %zu done (%.0f s)\n", ep + 1,
                    (double)(clock() - t0) / CLOCKS_PER_SEC);
    }
    s_normalize(s.in, c->nkept, p->dim);
    free(c->vec);
    c->vec = s.in;
    c->dim = p->dim;
    s.in = NULL;
    s_sgns_free(&s);
    return 0;
}

/* --- spherical k-means --------------------------------------------------- */

/* k-means++ seeding: the first centre a random vector, each next one a
 * vector drawn with probability proportional to the squared distance
 * (1 - cos) to its nearest centre so far. best holds n floats of scratch. */
static void s_seed(uint64_t *rng, const float *x, size_t n, size_t d, size_t k, float *c,
                   float *best)
{
    size_t first = s_rand(rng) % n;
    memcpy(c, x + first * d, d * sizeof(float));
    for (size_t i = 0; i < n; i++)
        best[i] = 2;
    for (size_t j = 1; j < k; j++) {
        const float *cj = c + (j - 1) * d;
        double total = 0;
        for (size_t i = 0; i < n; i++) {
            float dot = 0;
            for (size_t e = 0; e < d; e++)
                dot += x[i * d + e] * cj[e];
            float dist = 1 - dot;
            if (dist < 0)
                dist = 0;
            if (dist < best[i])
                best[i] = dist;
            total += (double)best[i] * best[i];
        }
        double r = s_unit(rng) * total;
        size_t pick = n - 1;
        for (size_t i = 0; i < n; i++) {
            r -= (double)best[i] * best[i];
            if (r <= 0) {
                pick = i;
                break;
            }
        }
        memcpy(c + j * d, x + pick * d, d * sizeof(float));
    }
}

/* Each vector to its nearest centre (largest dot product, the first on a
 * tie). Returns how many changed cluster; on the first round, all. */
static size_t s_assign(const float *x, size_t n, size_t d, const float *c, size_t k, int first,
                       uint16_t *out)
{
    size_t moved = 0;
    for (size_t i = 0; i < n; i++) {
        const float *xi = x + i * d;
        float bd = -2;
        uint16_t bj = 0;
        for (size_t j = 0; j < k; j++) {
            const float *cj = c + j * d;
            float dot = 0;
            for (size_t e = 0; e < d; e++)
                dot += xi[e] * cj[e];
            if (dot > bd) {
                bd = dot;
                bj = (uint16_t)j;
            }
        }
        moved += first || out[i] != bj;
        out[i] = bj;
    }
    return moved;
}

/* Each centre the normalized sum of its vectors; an empty cluster takes a
 * random vector instead. cnt holds k counts of scratch. */
static void s_update(uint64_t *rng, const float *x, size_t n, size_t d, const uint16_t *out,
                     float *c, size_t k, size_t *cnt)
{
    memset(c, 0, k * d * sizeof(float));
    memset(cnt, 0, k * sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        cnt[out[i]]++;
        for (size_t e = 0; e < d; e++)
            c[out[i] * d + e] += x[i * d + e];
    }
    for (size_t j = 0; j < k; j++) {
        double norm = 0;
        for (size_t e = 0; e < d; e++)
            norm += (double)c[j * d + e] * c[j * d + e];
        if (norm == 0) {
            memcpy(c + j * d, x + (s_rand(rng) % n) * d, d * sizeof(float));
            continue;
        }
        float inv = (float)(1 / sqrt(norm));
        for (size_t e = 0; e < d; e++)
            c[j * d + e] *= inv;
    }
}

int pl_clusters_kmeans(uint64_t *rng, const float *x, size_t n, size_t d, size_t k, int iterations,
                       FILE *log, uint16_t *out)
{
    if (k == 0 || k > n || k > 65536)
        return -EINVAL;
    float *c = malloc(k * d * sizeof(float));
    float *best = malloc(n * sizeof(float));
    size_t *cnt = malloc(k * sizeof(size_t));
    int rc = c && best && cnt ? 0 : -ENOMEM;
    if (rc == 0) {
        s_seed(rng, x, n, d, k, c, best);
        for (int it = 0; it < iterations; it++) {
            size_t moved = s_assign(x, n, d, c, k, it == 0, out);
            s_update(rng, x, n, d, out, c, k, cnt);
            if (log)
                fprintf(log, "k-means k=%zu iteration %d: %zu moved\n", k, it + 1, moved);
            if (it > 0 && moved == 0)
                break;
        }
    }
    free(c);
    free(best);
    free(cnt);
    return rc;
}

int pl_clusters_group(struct pl_clusters *c, const struct pl_clusters_params *p)
{
    if (!c->vec || c->nkept == 0)
        return PL_EINPUT;
    for (int l = 0; l < PL_CLUSTERS_LEVELS; l++) {
        size_t k = p->k[l] < c->nkept ? p->k[l] : c->nkept;
        free(c->cl[l]);
        c->cl[l] = malloc(c->nkept * sizeof(uint16_t));
        if (!c->cl[l])
            return -ENOMEM;
        int rc = pl_clusters_kmeans(&c->rng, c->vec, c->nkept, c->dim, k, p->iterations, p->log,
                                    c->cl[l]);
        if (rc != 0)
            return rc;
        c->ncl[l] = k;
    }
    return 0;
}

int pl_clusters_write(const struct pl_clusters *c, FILE *out)
{
    for (size_t i = 0; i < c->nkept; i++)
        fprintf(out, "%s\t%u\t%u\t%u\t%llu\n", c->vocab[i].s, c->cl[0][i], c->cl[1][i], c->cl[2][i],
                (unsigned long long)c->vocab[i].count);
    if (fflush(out) != 0)
        return -errno;
    return ferror(out) ? -EIO : 0;
}
