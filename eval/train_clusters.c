/*
 * pl_train_clusters: word clusters for the name tagger, learned from
 * unlabeled news text.
 *
 * Reads tokenized text on stdin (one document per line, words separated by
 * spaces; the project uses the lower-cased CNN/DailyMail articles in
 * ../shared/data/unlabeled), trains skip-gram word vectors with negative
 * sampling (Mikolov et al. 2013), then groups the words by k-means on the
 * unit vectors at three granularities. Writes "word<TAB>c1<TAB>c2<TAB>c3
 * <TAB>count" lines, the --clusters input of pl_train_ner.
 *
 * Written by hand: Debian 12 packages no word2vec or Brown-clustering
 * implementation (`apt-cache search word2vec` finds nothing). Deterministic:
 * one thread and a fixed-seed generator, so the same text gives the same
 * clusters.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct word {
    char *s;
    uint64_t count;
};

static void *s_xalloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q && n) {
        fprintf(stderr, "pl_train_clusters: out of memory\n");
        exit(1);
    }
    return q;
}

static uint64_t s_rng = 0x2545f4914f6cdd1dull;
static inline uint64_t s_rand(void)
{
    uint64_t z = (s_rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline float s_unit(void)
{
    return (float)((s_rand() >> 11) * (1.0 / 9007199254740992.0));
}

static uint64_t s_fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* --- vocabulary ---------------------------------------------------------- */

static struct word *s_vocab;
static size_t s_nvocab, s_capvocab;
static int32_t *s_slots; /* open addressing into s_vocab, -1 empty */
static size_t s_mask;

static void s_grow(void)
{
    size_t cap = s_mask ? 2 * (s_mask + 1) : 1u << 20;
    int32_t *slots = s_xalloc(NULL, cap * sizeof(*slots));
    for (size_t i = 0; i < cap; i++)
        slots[i] = -1;
    for (size_t w = 0; w < s_nvocab; w++) {
        size_t i = s_fnv(s_vocab[w].s, strlen(s_vocab[w].s)) & (cap - 1);
        while (slots[i] >= 0)
            i = (i + 1) & (cap - 1);
        slots[i] = (int32_t)w;
    }
    free(s_slots);
    s_slots = slots;
    s_mask = cap - 1;
}

static int32_t s_word_id(const char *s, size_t n)
{
    if (2 * (s_nvocab + 1) > s_mask)
        s_grow();
    size_t i = s_fnv(s, n) & s_mask;
    for (; s_slots[i] >= 0; i = (i + 1) & s_mask) {
        const char *v = s_vocab[s_slots[i]].s;
        if (strlen(v) == n && memcmp(v, s, n) == 0)
            return s_slots[i];
    }
    if (s_nvocab == s_capvocab) {
        s_capvocab = s_capvocab ? 2 * s_capvocab : 1u << 16;
        s_vocab = s_xalloc(s_vocab, s_capvocab * sizeof(*s_vocab));
    }
    char *c = s_xalloc(NULL, n + 1);
    memcpy(c, s, n);
    c[n] = 0;
    s_vocab[s_nvocab] = (struct word){ c, 0 };
    s_slots[i] = (int32_t)s_nvocab;
    return (int32_t)s_nvocab++;
}

static int s_by_count(const void *a, const void *b)
{
    const struct word *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->s, y->s);
}

/* --- k-means ------------------------------------------------------------- */

/* Spherical k-means over n unit vectors of dim d; k-means++ seeding from
 * the fixed generator. Writes each vector's cluster to out. */
static void s_kmeans(const float *x, size_t n, size_t d, size_t k, int iters, uint16_t *out)
{
    float *c = s_xalloc(NULL, k * d * sizeof(float));
    float *best = s_xalloc(NULL, n * sizeof(float));
    size_t *cnt = s_xalloc(NULL, k * sizeof(size_t));
    /* k-means++ on distance 1 - cos. */
    size_t first = s_rand() % n;
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
        double r = s_unit() * total;
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
    for (int it = 0; it < iters; it++) {
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
            moved += it == 0 || out[i] != bj;
            out[i] = bj;
        }
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
            if (norm == 0) { /* an empty cluster takes a random word */
                memcpy(c + j * d, x + (s_rand() % n) * d, d * sizeof(float));
                continue;
            }
            float inv = (float)(1 / sqrt(norm));
            for (size_t e = 0; e < d; e++)
                c[j * d + e] *= inv;
        }
        fprintf(stderr, "k-means k=%zu iteration %d: %zu moved\n", k, it + 1, moved);
        if (it > 0 && moved == 0)
            break;
    }
    free(c);
    free(best);
    free(cnt);
}

/* --- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    size_t dim = 100, window = 5, neg = 5, min_count = 5, epochs = 3;
    size_t ks[3] = { 64, 256, 1024 };
    int iters = 12;
    double sample = 1e-4;
    float alpha0 = 0.025f;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i];
        unsigned long v = strtoul(argv[i + 1], NULL, 10);
        if (!strcmp(a, "--dim"))
            dim = v;
        else if (!strcmp(a, "--window"))
            window = v;
        else if (!strcmp(a, "--negative"))
            neg = v;
        else if (!strcmp(a, "--min-count"))
            min_count = v;
        else if (!strcmp(a, "--epochs"))
            epochs = v;
        else if (!strcmp(a, "--iterations"))
            iters = (int)v;
        else {
            fprintf(stderr, "usage: pl_train_clusters [--dim N] [--window N] [--negative N] "
                            "[--min-count N] [--epochs N] [--iterations N] < text > clusters\n");
            return 2;
        }
    }
    if ((argc - 1) % 2 || dim < 2 || window < 1 || epochs < 1 || min_count < 1) {
        fprintf(stderr, "pl_train_clusters: bad arguments\n");
        return 2;
    }

    /* Read the text: word ids, -1 between documents. */
    int32_t *text = NULL;
    size_t ntext = 0, captext = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, stdin)) > 0) {
        for (char *p = line, *e = line + len; p < e;) {
            while (p < e && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
                p++;
            char *q = p;
            while (q < e && *q != ' ' && *q != '\n' && *q != '\t' && *q != '\r')
                q++;
            if (q > p) {
                int32_t id = s_word_id(p, (size_t)(q - p));
                s_vocab[id].count++;
                if (ntext + 2 > captext) {
                    captext = captext ? 2 * captext : 1u << 20;
                    text = s_xalloc(text, captext * sizeof(*text));
                }
                text[ntext++] = id;
            }
            p = q;
        }
        if (ntext + 1 > captext) {
            captext = captext ? 2 * captext : 1u << 20;
            text = s_xalloc(text, captext * sizeof(*text));
        }
        text[ntext++] = -1;
    }
    free(line);
    if (ntext == 0) {
        fprintf(stderr, "pl_train_clusters: no text on standard input\n");
        return 1;
    }
    /* Sort by count; drop rare words. */
    size_t nold = s_nvocab;
    int32_t *remap = s_xalloc(NULL, nold * sizeof(*remap));
    struct word *sorted = s_xalloc(NULL, nold * sizeof(*sorted));
    memcpy(sorted, s_vocab, nold * sizeof(*sorted));
    qsort(sorted, nold, sizeof(*sorted), s_by_count);
    size_t nv = 0;
    while (nv < nold && sorted[nv].count >= min_count)
        nv++;
    for (size_t i = 0; i < nold; i++)
        remap[i] = -2;
    for (size_t i = 0; i < nv; i++) {
        int32_t old = s_word_id(sorted[i].s, strlen(sorted[i].s));
        remap[old] = (int32_t)i;
    }
    uint64_t words = 0;
    for (size_t i = 0; i < ntext; i++) {
        if (text[i] >= 0) {
            text[i] = remap[text[i]];
            words += text[i] >= 0;
        }
    }
    free(remap);
    fprintf(stderr, "%zu tokens, %zu distinct words, %zu kept (count >= %zu)\n", ntext, nold, nv,
            min_count);

    /* Negative-sampling table: unigram^0.75. */
    size_t tsize = 10000000;
    int32_t *table = s_xalloc(NULL, tsize * sizeof(*table));
    double z = 0;
    for (size_t i = 0; i < nv; i++)
        z += pow((double)sorted[i].count, 0.75);
    {
        size_t w = 0;
        double acc = pow((double)sorted[0].count, 0.75) / z;
        for (size_t i = 0; i < tsize; i++) {
            table[i] = (int32_t)w;
            if ((double)i / (double)tsize > acc && w + 1 < nv) {
                w++;
                acc += pow((double)sorted[w].count, 0.75) / z;
            }
        }
    }
    float *keep = s_xalloc(NULL, nv * sizeof(float));
    for (size_t i = 0; i < nv; i++) {
        double f = (double)sorted[i].count, t = sample * (double)words;
        double p = (sqrt(f / t) + 1) * t / f;
        keep[i] = (float)(p > 1 ? 1 : p);
    }

    float *in = s_xalloc(NULL, nv * dim * sizeof(float));
    float *outv = s_xalloc(NULL, nv * dim * sizeof(float));
    for (size_t i = 0; i < nv * dim; i++) {
        in[i] = (s_unit() - 0.5f) / (float)dim;
        outv[i] = 0;
    }
    float *grad = s_xalloc(NULL, dim * sizeof(float));
    int32_t *sent = s_xalloc(NULL, 100000 * sizeof(*sent));
    uint64_t done = 0, total = (uint64_t)epochs * words;
    clock_t t0 = clock();
    for (size_t ep = 0; ep < epochs; ep++) {
        size_t pos = 0;
        while (pos < ntext) {
            /* One document (capped), subsampled. */
            size_t sn = 0;
            for (; pos < ntext && text[pos] != -1; pos++) {
                int32_t w = text[pos];
                if (w < 0)
                    continue;
                done++;
                if (keep[w] < 1 && s_unit() > keep[w])
                    continue;
                if (sn < 100000)
                    sent[sn++] = w;
            }
            pos++;
            float alpha = alpha0 * (1 - (float)done / (float)(total + 1));
            if (alpha < alpha0 * 1e-4f)
                alpha = alpha0 * 1e-4f;
            for (size_t i = 0; i < sn; i++) {
                size_t b = (size_t)(s_rand() % window);
                size_t lo = i >= window - b ? i - (window - b) : 0;
                size_t hi = i + (window - b) < sn ? i + (window - b) : sn - 1;
                for (size_t j = lo; j <= hi; j++) {
                    if (j == i)
                        continue;
                    float *v = in + (size_t)sent[j] * dim;
                    memset(grad, 0, dim * sizeof(float));
                    for (size_t d = 0; d <= neg; d++) {
                        int32_t target;
                        float label;
                        if (d == 0) {
                            target = sent[i];
                            label = 1;
                        } else {
                            target = table[s_rand() % tsize];
                            if (target == sent[i])
                                continue;
                            label = 0;
                        }
                        float *u = outv + (size_t)target * dim;
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
                            grad[e] += g * u[e];
                            u[e] += g * v[e];
                        }
                    }
                    for (size_t e = 0; e < dim; e++)
                        v[e] += grad[e];
                }
            }
        }
        fprintf(stderr, "epoch %zu done (%.0f s)\n", ep + 1,
                (double)(clock() - t0) / CLOCKS_PER_SEC);
    }
    free(outv);
    free(table);
    free(keep);
    free(grad);
    free(sent);
    free(text);

    for (size_t i = 0; i < nv; i++) {
        double norm = 0;
        for (size_t e = 0; e < dim; e++)
            norm += (double)in[i * dim + e] * in[i * dim + e];
        float inv = norm > 0 ? (float)(1 / sqrt(norm)) : 0;
        for (size_t e = 0; e < dim; e++)
            in[i * dim + e] *= inv;
    }
    uint16_t *cl[3];
    for (int l = 0; l < 3; l++) {
        cl[l] = s_xalloc(NULL, nv * sizeof(uint16_t));
        s_kmeans(in, nv, dim, ks[l] < nv ? ks[l] : nv, iters, cl[l]);
    }
    for (size_t i = 0; i < nv; i++)
        printf("%s\t%u\t%u\t%u\t%llu\n", sorted[i].s, cl[0][i], cl[1][i], cl[2][i],
               (unsigned long long)sorted[i].count);
    if (fflush(stdout) != 0) {
        char eb[128];
        fprintf(stderr, "pl_train_clusters: cannot write: %s\n", strerror_r(errno, eb, sizeof(eb)));
        return 1;
    }
    return 0;
}
