/*
 * pl_train_ner: trains the entities plugin's name tagger (ner.h) on a
 * CoNLL-2003 file and writes the model file.
 *
 * An averaged structured perceptron (Collins 2002) over the features of
 * ner.c, Viterbi-decoded under BIO constraints. Two stages: the first sees
 * one sentence at a time; the second also sees the tags the first gave to
 * the same words elsewhere in the document. The second stage is trained on
 * first-stage tags made by models that did not see that document
 * (k-fold jackknife), so it learns how far to trust them.
 *
 * Deterministic: one thread, sentences visited in an order drawn from a
 * fixed-seed generator, float sums in a fixed order. The same inputs and
 * options give the same model file, byte for byte.
 *
 * Run by tools/train-ner.sh; prints the dev score after every epoch.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conll.h"
#include "error.h"
#include "ner.h"
#include "text.h"

struct sent_ref {
    uint32_t doc, a, b; /* tokens [a, b) of doc */
};

struct doc {
    struct pl_ner_tok *tok;
    uint8_t *gold;
    uint8_t *s1; /* first-stage tags (jackknifed on training documents) */
    size_t n, cap;
    char *buf; /* token text */
    size_t blen, bcap;
    uint32_t *foff[PL_NER_STAGES]; /* features of token i: f[foff[i] .. foff[i+1]) */
    uint32_t *f[PL_NER_STAGES];
};

struct corpus {
    struct doc *d;
    size_t n, cap;
    size_t tokens;
};

static const char *const s_tag_str[PL_NER_TAGS] = { "O",     "B-PER", "I-PER",  "B-ORG", "I-ORG",
                                                    "B-LOC", "I-LOC", "B-MISC", "I-MISC" };

static void *s_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fprintf(stderr, "pl_train_ner: out of memory\n");
        exit(1);
    }
    return q;
}

static struct doc *s_new_doc(struct corpus *c)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 256;
        c->d = s_xrealloc(c->d, c->cap * sizeof(*c->d));
    }
    struct doc *d = &c->d[c->n++];
    memset(d, 0, sizeof(*d));
    return d;
}

static FILE *s_open(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        char eb[128];
        fprintf(stderr, "pl_train_ner: cannot open %s: %s\n", path, strerror_r(e, eb, sizeof(eb)));
        errno = e; /* for the caller's return code */
    }
    return f;
}

/* Reads CoNLL: "token ... TAG" lines, blank lines between sentences,
 * -DOCSTART- between documents. IOB1 or BIO in, BIO kept. Returns 0, the
 * negative errno of fopen, or PL_EINPUT for a malformed line (each said on
 * stderr with the file's name). */
static int s_read_conll(const char *path, struct corpus *c)
{
    FILE *f = s_open(path);
    if (!f)
        return -errno;
    char line[4096];
    struct doc *d = NULL;
    int new_sent = 1;
    int prev_type = -1;
    size_t lineno = 0;
    /* Token text lives in d->buf; pointers are fixed up at the end. */
    size_t *offs = NULL, noffs = 0, coffs = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        size_t L = strcspn(line, "\r\n");
        line[L] = 0;
        if (L == 0) {
            new_sent = 1;
            prev_type = -1;
            continue;
        }
        if (!strncmp(line, "-DOCSTART-", 10)) {
            d = NULL;
            new_sent = 1;
            prev_type = -1;
            continue;
        }
        if (!d)
            d = s_new_doc(c);
        char *sp = strchr(line, ' ');
        char *tag = strrchr(line, ' ');
        if (!sp || !tag) {
            fprintf(stderr, "pl_train_ner: %s:%zu: expected \"token ... tag\"\n", path, lineno);
            fclose(f);
            free(offs);
            return PL_EINPUT;
        }
        tag++;
        int type = -1, b = 0;
        if (strcmp(tag, "O") != 0) {
            if ((tag[0] != 'B' && tag[0] != 'I') || tag[1] != '-' ||
                (type = pl_conll_type(tag + 2, strlen(tag + 2))) < 0) {
                fprintf(stderr, "pl_train_ner: %s:%zu: unknown tag \"%s\"\n", path, lineno, tag);
                fclose(f);
                free(offs);
                return PL_EINPUT;
            }
            b = tag[0] == 'B' || type != prev_type;
        }
        prev_type = type;
        if (d->n == d->cap) {
            d->cap = d->cap ? 2 * d->cap : 256;
            d->tok = s_xrealloc(d->tok, d->cap * sizeof(*d->tok));
            d->gold = s_xrealloc(d->gold, d->cap);
        }
        size_t tn = (size_t)(sp - line);
        if (d->blen + tn + 1 > d->bcap) {
            d->bcap = (d->bcap + tn + 1) * 2;
            d->buf = s_xrealloc(d->buf, d->bcap);
        }
        memcpy(d->buf + d->blen, line, tn);
        d->tok[d->n] = (struct pl_ner_tok){ .n = (uint32_t)tn, .sent_start = (uint8_t)new_sent };
        if (noffs == coffs) {
            coffs = coffs ? 2 * coffs : 4096;
            offs = s_xrealloc(offs, coffs * sizeof(*offs));
        }
        offs[noffs++] = d->blen;
        d->blen += tn;
        d->buf[d->blen++] = 0;
        d->gold[d->n] = (uint8_t)(type < 0 ? 0 : (b ? 1 + 2 * type : 2 + 2 * type));
        d->n++;
        c->tokens++;
        new_sent = 0;
    }
    fclose(f);
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
        struct doc *x = &c->d[i];
        for (size_t j = 0; j < x->n; j++)
            x->tok[j].s = x->buf + offs[k++];
        x->s1 = s_xrealloc(NULL, x->n + 1);
    }
    free(offs);
    return 0;
}

/* --- lexicon and gazetteer ----------------------------------------------- */

/* The word clusters and the gazetteer phrases the model is trained with
 * (and written with), in the open-addressed tables of ner.h. */
struct lexicon {
    struct pl_ner_lex *lex;
    size_t lex_mask;
    struct pl_ner_phr *phr;
    size_t phr_mask;
    uint32_t max_phrase; /* words of the longest phrase; 1 without any */
};

static struct pl_ner_lex *s_lex_slot(struct lexicon *x, uint64_t key)
{
    for (size_t i = key & x->lex_mask;; i = (i + 1) & x->lex_mask)
        if (!x->lex[i].key || x->lex[i].key == key)
            return &x->lex[i];
}

static struct pl_ner_phr *s_phr_slot(struct lexicon *x, uint64_t key)
{
    for (size_t i = key & x->phr_mask;; i = (i + 1) & x->phr_mask)
        if (!x->phr[i].key || x->phr[i].key == key)
            return &x->phr[i];
}

static size_t s_count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    int ch;
    if (!f)
        return 0;
    while ((ch = getc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

/* An empty open-addressed table with room for per_line slots per line of
 * the file at path (a minimal one without a file). */
static void *s_new_table(const char *path, size_t per_line, size_t elem, size_t *mask)
{
    size_t lines = path ? s_count_lines(path) : 0, cap = 64;
    while (cap < per_line * lines + 2)
        cap *= 2;
    void *t = s_xrealloc(NULL, cap * elem);
    memset(t, 0, cap * elem);
    *mask = cap - 1;
    return t;
}

/* Clusters file: "word<TAB>c1<TAB>c2<TAB>c3<TAB>count" per line (path
 * NULL: an empty table). Returns 0, the negative errno of fopen, or
 * PL_EINPUT for a malformed line (said on stderr). */
static int s_load_clusters(struct lexicon *x, const char *path)
{
    x->lex = s_new_table(path, 2, sizeof(*x->lex), &x->lex_mask);
    if (!path)
        return 0;
    FILE *f = s_open(path);
    if (!f)
        return -errno;
    char line[1024], word[512];
    unsigned c1, c2, c3;
    unsigned long cnt;
    size_t n = 0;
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%511[^\t]\t%u\t%u\t%u\t%lu", word, &c1, &c2, &c3, &cnt) != 5) {
            fprintf(stderr, "pl_train_ner: %s: bad line \"%.60s\"\n", path, line);
            fclose(f);
            return PL_EINPUT;
        }
        struct pl_ner_lex *sl = s_lex_slot(x, pl_ner_key(word, strlen(word)));
        sl->key = pl_ner_key(word, strlen(word));
        sl->c[0] = (uint16_t)c1;
        sl->c[1] = (uint16_t)c2;
        sl->c[2] = (uint16_t)c3;
        sl->freq = (uint16_t)floor(log2((double)cnt + 1));
        n++;
    }
    fclose(f);
    fprintf(stderr, "clusters: %zu words from %s\n", n, path);
    return 0;
}

static void s_phr_add(struct lexicon *x, const char *s, size_t n, uint32_t kinds)
{
    struct pl_ner_phr *sl = s_phr_slot(x, pl_ner_key(s, n));
    sl->key = pl_ner_key(s, n);
    sl->kinds |= kinds;
}

/* Gazetteer: "KIND<TAB>phrase" lines (the plugin's gazetteer.tsv; path
 * NULL: an empty table). Lines of other kinds and comments are skipped.
 * Returns 0 or the negative errno of fopen (said on stderr). */
static int s_load_gazetteer(struct lexicon *x, const char *path)
{
    x->phr = s_new_table(path, 8, sizeof(*x->phr), &x->phr_mask);
    x->max_phrase = 1;
    if (!path)
        return 0;
    FILE *f = s_open(path);
    if (!f)
        return -errno;
    static const struct {
        const char *name;
        uint32_t kind;
    } kinds[] = { { "LOC", PL_NER_K_LOC },
                  { "ORG", PL_NER_K_ORG },
                  { "MISC", PL_NER_K_MISC },
                  { "FIRST", PL_NER_K_FIRST },
                  { "ROLE", PL_NER_K_ROLE } };
    char line[1024], low[1024];
    size_t n = 0;
    while (fgets(line, sizeof(line), f)) {
        size_t L = strcspn(line, "\r\n");
        line[L] = 0;
        char *tab = strchr(line, '\t');
        if (line[0] == '#' || !tab)
            continue;
        *tab = 0;
        uint32_t kind = 0;
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
            if (!strcmp(line, kinds[k].name))
                kind = kinds[k].kind;
        if (!kind)
            continue;
        size_t ln = pl_lower(tab + 1, strlen(tab + 1), low, sizeof(low));
        uint32_t words = 1;
        for (size_t i = 0; i < ln; i++) {
            if (low[i] == ' ') {
                s_phr_add(x, low, i, PL_NER_K_PREFIX);
                words++;
            }
        }
        if (words > x->max_phrase)
            x->max_phrase = words;
        s_phr_add(x, low, ln, kind);
        n++;
    }
    fclose(f);
    fprintf(stderr, "gazetteer: %zu phrases from %s\n", n, path);
    return 0;
}

/* --- training ------------------------------------------------------------ */

struct trainer {
    struct pl_ner_model m;
    float *w[PL_NER_STAGES], *wa[PL_NER_STAGES]; /* weights and their running sums */
    float *tw[PL_NER_STAGES], *twa[PL_NER_STAGES];
    float *avg_w[PL_NER_STAGES], *avg_t[PL_NER_STAGES];
    double c;     /* updates so far (one per sentence) */
    uint64_t rng; /* splitmix64 state: the order sentences are visited in */
};

static size_t s_nw(const struct pl_ner_model *m)
{
    return ((size_t)1 << m->hash_bits) * PL_NER_TAGS;
}
static size_t s_nt(void)
{
    return (PL_NER_TAGS + 1) * PL_NER_TAGS;
}

static void s_features(struct corpus *c, const struct pl_ner_model *m, int stage)
{
    uint32_t tmp[PL_NER_MAX_FEATS];
    for (size_t di = 0; di < c->n; di++) {
        struct doc *d = &c->d[di];
        struct pl_ner_doc nd;
        if (pl_ner_doc_init(&nd, m, d->tok, d->n) != 0 ||
            (stage == 1 && pl_ner_doc_set_stage1(&nd, d->s1) != 0)) {
            fprintf(stderr, "pl_train_ner: out of memory\n");
            exit(1);
        }
        free(d->foff[stage]);
        free(d->f[stage]);
        d->foff[stage] = s_xrealloc(NULL, (d->n + 1) * sizeof(uint32_t));
        size_t cap = d->n * 64 + 64, len = 0;
        d->f[stage] = s_xrealloc(NULL, cap * sizeof(uint32_t));
        for (size_t i = 0; i < d->n; i++) {
            size_t k = pl_ner_features(&nd, i, stage, tmp);
            if (len + k > cap) {
                cap = 2 * (len + k);
                d->f[stage] = s_xrealloc(d->f[stage], cap * sizeof(uint32_t));
            }
            d->foff[stage][i] = (uint32_t)len;
            memcpy(d->f[stage] + len, tmp, k * sizeof(uint32_t));
            len += k;
        }
        d->foff[stage][d->n] = (uint32_t)len;
        pl_ner_doc_free(&nd);
    }
}

static void s_emit(const struct doc *d, int stage, const float *w, size_t a, size_t b, float *em)
{
    for (size_t i = a; i < b; i++) {
        float *e = em + (i - a) * PL_NER_TAGS;
        for (int t = 0; t < PL_NER_TAGS; t++)
            e[t] = 0;
        for (uint32_t k = d->foff[stage][i]; k < d->foff[stage][i + 1]; k++) {
            const float *r = w + (size_t)d->f[stage][k] * PL_NER_TAGS;
            for (int t = 0; t < PL_NER_TAGS; t++)
                e[t] += r[t];
        }
    }
}

static size_t s_sentences(const struct corpus *c, const uint8_t *skip_doc, struct sent_ref **out)
{
    size_t n = 0, cap = 1024;
    struct sent_ref *v = s_xrealloc(NULL, cap * sizeof(*v));
    for (size_t di = 0; di < c->n; di++) {
        if (skip_doc && skip_doc[di])
            continue;
        const struct doc *d = &c->d[di];
        for (size_t a = 0; a < d->n;) {
            size_t b = a + 1;
            while (b < d->n && !d->tok[b].sent_start)
                b++;
            if (n == cap) {
                cap *= 2;
                v = s_xrealloc(v, cap * sizeof(*v));
            }
            v[n++] = (struct sent_ref){ (uint32_t)di, (uint32_t)a, (uint32_t)b };
            a = b;
        }
    }
    *out = v;
    return n;
}

#define S_SEED 0x853c49e6748fea9bull

/* splitmix64 (Steele, Lea and Flood 2014). */
static uint64_t s_rand(uint64_t *rng)
{
    uint64_t z = (*rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The averaged weights as they stand: w - wa / c. */
static void s_average(struct trainer *tr, int stage)
{
    size_t nw = s_nw(&tr->m), nt = s_nt();
    double c = tr->c > 0 ? tr->c : 1;
    for (size_t i = 0; i < nw; i++)
        tr->avg_w[stage][i] = (float)(tr->w[stage][i] - tr->wa[stage][i] / c);
    for (size_t i = 0; i < nt; i++)
        tr->avg_t[stage][i] = (float)(tr->tw[stage][i] - tr->twa[stage][i] / c);
}

static void s_tag_corpus(const struct corpus *c, const uint8_t *only, int stage, const float *w,
                         const float *trans, int to_s1, struct pl_conll_score *score)
{
    float *em = NULL, *work = NULL;
    size_t emcap = 0;
    uint8_t *pred = NULL;
    for (size_t di = 0; di < c->n; di++) {
        if (only && !only[di])
            continue;
        struct doc *d = &c->d[di];
        pred = s_xrealloc(pred, d->n + 1);
        for (size_t a = 0; a < d->n;) {
            size_t b = a + 1;
            while (b < d->n && !d->tok[b].sent_start)
                b++;
            if ((b - a) * PL_NER_TAGS > emcap) {
                emcap = (b - a) * PL_NER_TAGS * 2;
                em = s_xrealloc(em, emcap * sizeof(float));
                work = s_xrealloc(work, 2 * emcap * sizeof(float));
            }
            s_emit(d, stage, w, a, b, em);
            pl_ner_viterbi(em, b - a, trans, pred + a, work);
            if (score) {
                const char *g[512], *p[512];
                if (b - a <= 512) {
                    for (size_t i = a; i < b; i++) {
                        g[i - a] = s_tag_str[d->gold[i]];
                        p[i - a] = s_tag_str[pred[i]];
                    }
                    pl_conll_score_add(score, g, p, b - a);
                }
            }
            a = b;
        }
        if (to_s1)
            memcpy(d->s1, pred, d->n);
    }
    free(em);
    free(work);
    free(pred);
}

static void s_train_epoch(struct trainer *tr, struct corpus *c, int stage, struct sent_ref *sv,
                          size_t ns)
{
    /* Fisher-Yates with the fixed generator. */
    for (size_t i = ns; i > 1; i--) {
        size_t j = s_rand(&tr->rng) % i;
        struct sent_ref t = sv[i - 1];
        sv[i - 1] = sv[j];
        sv[j] = t;
    }
    float *em = NULL, *work = NULL;
    size_t emcap = 0;
    uint8_t pred[1024];
    float *w = tr->w[stage], *wa = tr->wa[stage], *tw = tr->tw[stage], *twa = tr->twa[stage];
    for (size_t s = 0; s < ns; s++) {
        const struct doc *d = &c->d[sv[s].doc];
        size_t a = sv[s].a, b = sv[s].b, n = b - a;
        tr->c += 1;
        if (n > sizeof(pred))
            continue;
        if (n * PL_NER_TAGS > emcap) {
            emcap = n * PL_NER_TAGS * 2;
            em = s_xrealloc(em, emcap * sizeof(float));
            work = s_xrealloc(work, 2 * emcap * sizeof(float));
        }
        s_emit(d, stage, w, a, b, em);
        pl_ner_viterbi(em, n, tw, pred, work);
        float cc = (float)tr->c;
        for (size_t i = 0; i < n; i++) {
            int g = d->gold[a + i], p = pred[i];
            int gp = i ? d->gold[a + i - 1] : PL_NER_TAGS, pp = i ? pred[i - 1] : PL_NER_TAGS;
            if (g != p) {
                for (uint32_t k = d->foff[stage][a + i]; k < d->foff[stage][a + i + 1]; k++) {
                    size_t r = (size_t)d->f[stage][k] * PL_NER_TAGS;
                    w[r + g] += 1;
                    wa[r + g] += cc;
                    w[r + p] -= 1;
                    wa[r + p] -= cc;
                }
            }
            if (g != p || gp != pp) {
                tw[gp * PL_NER_TAGS + g] += 1;
                twa[gp * PL_NER_TAGS + g] += cc;
                tw[pp * PL_NER_TAGS + p] -= 1;
                twa[pp * PL_NER_TAGS + p] -= cc;
            }
        }
    }
    free(em);
    free(work);
}

static void s_reset(struct trainer *tr, int stage)
{
    memset(tr->w[stage], 0, s_nw(&tr->m) * sizeof(float));
    memset(tr->wa[stage], 0, s_nw(&tr->m) * sizeof(float));
    memset(tr->tw[stage], 0, s_nt() * sizeof(float));
    memset(tr->twa[stage], 0, s_nt() * sizeof(float));
    tr->c = 0;
}

static void s_print_score(const char *what, const struct pl_conll_score *s, int per_type)
{
    double p, r, f;
    pl_conll_prf(s, -1, &p, &r, &f);
    fprintf(stderr, "%s: P %.2f R %.2f F1 %.2f", what, p, r, f);
    if (per_type)
        for (int t = 0; t < PL_CONLL_TYPES; t++) {
            pl_conll_prf(s, t, &p, &r, &f);
            fprintf(stderr, "  %s %.2f", pl_conll_type_names[t], f);
        }
    fprintf(stderr, "\n");
}

/* Trains one stage on the documents not marked in skip, for epochs; with a
 * dev corpus, prints its score after each epoch. Leaves the averaged
 * weights in avg_w/avg_t. */
static void s_train(struct trainer *tr, struct corpus *c, const uint8_t *skip, int stage,
                    int epochs, struct corpus *dev, int verbose)
{
    struct sent_ref *sv;
    size_t ns = s_sentences(c, skip, &sv);
    s_reset(tr, stage);
    for (int e = 1; e <= epochs; e++) {
        clock_t t0 = clock();
        s_train_epoch(tr, c, stage, sv, ns);
        s_average(tr, stage);
        if (dev && verbose) {
            struct pl_conll_score sc = { 0 };
            s_tag_corpus(dev, NULL, stage, tr->avg_w[stage], tr->avg_t[stage], 0, &sc);
            char what[64];
            snprintf(what, sizeof(what), "stage %d epoch %2d (%.1f s) dev", stage + 1, e,
                     (double)(clock() - t0) / CLOCKS_PER_SEC);
            s_print_score(what, &sc, 0);
        }
    }
    free(sv);
}

static const struct {
    const char *name;
    unsigned bit;
} s_groups[] = { { "word", PL_NER_G_WORD },     { "affix", PL_NER_G_AFFIX },
                 { "shape", PL_NER_G_SHAPE },   { "cluster", PL_NER_G_CLUSTER },
                 { "gazetteer", PL_NER_G_GAZ }, { "doc", PL_NER_G_DOC },
                 { "stage2", PL_NER_G_STAGE2 } };

static void s_corpus_free(struct corpus *c)
{
    for (size_t i = 0; i < c->n; i++) {
        struct doc *d = &c->d[i];
        free(d->tok);
        free(d->gold);
        free(d->s1);
        free(d->buf);
        for (int s = 0; s < PL_NER_STAGES; s++) {
            free(d->foff[s]);
            free(d->f[s]);
        }
    }
    free(c->d);
    memset(c, 0, sizeof(*c));
}

/* --test: tags a CoNLL file's own tokens with a model file and scores it,
 * for comparing with `pressline eval ner`, which tags the raw text. */
static int s_test(const char *model, const char *path, const char *predict)
{
    struct pl_ner_model *m;
    char why[512];
    if (pl_ner_model_open(model, &m, why, sizeof(why)) != 0) {
        fprintf(stderr, "pl_train_ner: %s\n", why);
        return 1;
    }
    struct corpus c = { 0 };
    if (s_read_conll(path, &c) != 0)
        return 1;
    FILE *out = predict ? fopen(predict, "w") : NULL;
    struct pl_conll_score sc = { 0 };
    for (size_t di = 0; di < c.n; di++) {
        struct doc *d = &c.d[di];
        struct pl_ner_doc nd;
        if (pl_ner_doc_init(&nd, m, d->tok, d->n) != 0 || pl_ner_tag(&nd, d->s1) != 0) {
            fprintf(stderr, "pl_train_ner: out of memory\n");
            return 1;
        }
        pl_ner_doc_free(&nd);
        for (size_t a = 0; a < d->n;) {
            size_t b = a + 1;
            while (b < d->n && !d->tok[b].sent_start)
                b++;
            const char *g[512], *p[512];
            for (size_t i = a; i < b && b - a <= 512; i++) {
                g[i - a] = s_tag_str[d->gold[i]];
                p[i - a] = s_tag_str[d->s1[i]];
            }
            if (b - a <= 512)
                pl_conll_score_add(&sc, g, p, b - a);
            for (size_t i = a; out && i < b; i++)
                fprintf(out, "%s %s %s\n", d->tok[i].s, s_tag_str[d->gold[i]], s_tag_str[d->s1[i]]);
            if (out)
                fputc('\n', out);
            a = b;
        }
    }
    if (out && fclose(out) != 0) {
        fprintf(stderr, "pl_train_ner: cannot write %s\n", predict);
        return 1;
    }
    s_print_score(path, &sc, 1);
    pl_ner_model_close(&m);
    s_corpus_free(&c);
    return 0;
}

static void s_usage(FILE *to)
{
    fprintf(to, "usage: pl_train_ner --train FILE --out MODEL [--dev FILE] [--clusters FILE]\n"
                "                    [--gazetteer FILE] [--epochs N] [--epochs2 N] [--folds K]\n"
                "                    [--bits B] [--without GROUP,...]\n"
                "       pl_train_ner --test FILE --model MODEL [--predict OUT]\n"
                "groups: word affix shape cluster gazetteer doc stage2\n");
}

struct options {
    const char *train, *dev, *out, *clusters, *gaz;
    int epochs, epochs2, folds, bits;
    unsigned groups;
    const char *test, *model, *predict;
};

/* Takes the groups of a comma-separated list out of *groups. Returns 0,
 * or -EINVAL for a name that is no group (said on stderr). */
static int s_without(const char *list, unsigned *groups)
{
    char *dup = strdup(list), *save = NULL;
    if (!dup)
        return -ENOMEM;
    int rc = 0;
    for (char *tok = strtok_r(dup, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
        int found = 0;
        for (size_t g = 0; g < sizeof(s_groups) / sizeof(s_groups[0]); g++)
            if (!strcmp(tok, s_groups[g].name)) {
                *groups &= ~s_groups[g].bit;
                found = 1;
            }
        if (!found) {
            fprintf(stderr, "pl_train_ner: unknown feature group \"%s\"\n", tok);
            rc = -EINVAL;
        }
    }
    free(dup);
    return rc;
}

/* Fills o from the command line. Sets *go_on when there is work to do;
 * otherwise returns the exit status: 0 after --help, 2 after a usage
 * error (printed here). */
static int s_options(int argc, char **argv, struct options *o, int *go_on)
{
    static const struct option opts[] = {
        { "train", required_argument, NULL, 't' },
        { "test", required_argument, NULL, 'T' },
        { "model", required_argument, NULL, 'm' },
        { "predict", required_argument, NULL, 'p' },
        { "dev", required_argument, NULL, 'd' },
        { "out", required_argument, NULL, 'o' },
        { "clusters", required_argument, NULL, 'c' },
        { "gazetteer", required_argument, NULL, 'g' },
        { "epochs", required_argument, NULL, 'e' },
        { "epochs2", required_argument, NULL, 'E' },
        { "folds", required_argument, NULL, 'f' },
        { "bits", required_argument, NULL, 'b' },
        { "without", required_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    *o = (struct options){
        .epochs = 12, .epochs2 = 12, .folds = 5, .bits = 19, .groups = PL_NER_G_ALL
    };
    *go_on = 0;
    int ch;
    opterr = 0; /* the messages are ours, as before getopt */
    while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (ch) {
        case 't': o->train = optarg; break;
        case 'T': o->test = optarg; break;
        case 'm': o->model = optarg; break;
        case 'p': o->predict = optarg; break;
        case 'd': o->dev = optarg; break;
        case 'o': o->out = optarg; break;
        case 'c': o->clusters = optarg; break;
        case 'g': o->gaz = optarg; break;
        case 'e': o->epochs = (int)strtol(optarg, NULL, 10); break;
        case 'E': o->epochs2 = (int)strtol(optarg, NULL, 10); break;
        case 'f': o->folds = (int)strtol(optarg, NULL, 10); break;
        case 'b': o->bits = (int)strtol(optarg, NULL, 10); break;
        case 'w':
            if (s_without(optarg, &o->groups) != 0) {
                s_usage(stderr);
                return 2;
            }
            break;
        case 'h': s_usage(stdout); return 0;
        case ':': s_usage(stderr); return 2; /* an option without its value */
        default:
            fprintf(stderr, "pl_train_ner: unknown option %s\n", argv[optind - 1]);
            s_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pl_train_ner: unknown option %s\n", argv[optind]);
        s_usage(stderr);
        return 2;
    }
    *go_on = 1;
    return 0;
}

/* The training and dev corpora, the clusters and the gazetteer; the sizes
 * on stderr. Returns 0 or the code of the first failure (said on stderr). */
static int s_load_data(const struct options *o, struct corpus *tc, struct corpus *dc,
                       struct lexicon *lx)
{
    int rc = s_read_conll(o->train, tc);
    if (rc == 0 && o->dev)
        rc = s_read_conll(o->dev, dc);
    if (rc != 0)
        return rc;
    fprintf(stderr, "train: %zu documents, %zu tokens\n", tc->n, tc->tokens);
    if (o->dev)
        fprintf(stderr, "dev: %zu documents, %zu tokens\n", dc->n, dc->tokens);
    rc = s_load_clusters(lx, o->clusters);
    if (rc == 0)
        rc = s_load_gazetteer(lx, o->gaz);
    return rc;
}

/* A trainer for the model the options describe, over the lexicon lx
 * (borrowed until s_trainer_free), its weights allocated. */
static void s_trainer_init(struct trainer *tr, const struct options *o, const struct lexicon *lx)
{
    memset(tr, 0, sizeof(*tr));
    tr->rng = S_SEED;
    tr->m.hash_bits = (uint32_t)o->bits;
    tr->m.groups = o->groups;
    tr->m.stages = (o->groups & PL_NER_G_STAGE2) ? 2 : 1;
    tr->m.lex = lx->lex;
    tr->m.lex_mask = lx->lex_mask;
    tr->m.phr = lx->phr;
    tr->m.phr_mask = lx->phr_mask;
    tr->m.max_phrase = lx->max_phrase;
    for (uint32_t s = 0; s < tr->m.stages; s++) {
        tr->w[s] = s_xrealloc(NULL, s_nw(&tr->m) * sizeof(float));
        tr->wa[s] = s_xrealloc(NULL, s_nw(&tr->m) * sizeof(float));
        tr->avg_w[s] = s_xrealloc(NULL, s_nw(&tr->m) * sizeof(float));
        tr->tw[s] = s_xrealloc(NULL, s_nt() * sizeof(float));
        tr->twa[s] = s_xrealloc(NULL, s_nt() * sizeof(float));
        tr->avg_t[s] = s_xrealloc(NULL, s_nt() * sizeof(float));
    }
}

static void s_trainer_free(struct trainer *tr)
{
    for (int s = 0; s < PL_NER_STAGES; s++) {
        free(tr->w[s]);
        free(tr->wa[s]);
        free(tr->avg_w[s]);
        free(tr->tw[s]);
        free(tr->twa[s]);
        free(tr->avg_t[s]);
    }
    memset(tr, 0, sizeof(*tr));
}

/* First-stage tags for each training document from a model trained without
 * it: folds models, each on the documents of the other folds. */
static void s_jackknife(struct trainer *tr, struct corpus *tc, int epochs, int folds)
{
    uint8_t *fold = s_xrealloc(NULL, tc->n);
    for (int k = 0; k < folds; k++) {
        for (size_t d = 0; d < tc->n; d++)
            fold[d] = (int)(d % (size_t)folds) == k;
        s_train(tr, tc, fold, 0, epochs, NULL, 0);
        s_tag_corpus(tc, fold, 0, tr->avg_w[0], tr->avg_t[0], 1, NULL);
        fprintf(stderr, "jackknife fold %d/%d done\n", k + 1, folds);
    }
    free(fold);
}

/* Stage 1 on all training documents; with a dev corpus (dc not NULL), its
 * score, and its first-stage tags for stage 2. */
static void s_stage1(struct trainer *tr, struct corpus *tc, struct corpus *dc, int epochs)
{
    s_train(tr, tc, NULL, 0, epochs, dc, 1);
    if (dc) {
        struct pl_conll_score sc = { 0 };
        s_tag_corpus(dc, NULL, 0, tr->avg_w[0], tr->avg_t[0], 1, &sc);
        s_print_score("stage 1 dev", &sc, 1);
    }
}

/* Stage 2, on features that include the first-stage tags; stage 1's
 * averages are kept. */
static void s_stage2(struct trainer *tr, struct corpus *tc, struct corpus *dc, int epochs2)
{
    s_features(tc, &tr->m, 1);
    if (dc)
        s_features(dc, &tr->m, 1);
    s_train(tr, tc, NULL, 1, epochs2, dc, 1);
    if (dc) {
        struct pl_conll_score sc = { 0 };
        s_tag_corpus(dc, NULL, 1, tr->avg_w[1], tr->avg_t[1], 0, &sc);
        s_print_score("stage 2 dev", &sc, 1);
    }
}

/* The averaged weights as the model file at path. Returns 0 or the
 * negative errno of the write (said on stderr). */
static int s_write(struct trainer *tr, const char *path)
{
    for (uint32_t s = 0; s < tr->m.stages; s++) {
        tr->m.wf[s] = tr->avg_w[s];
        tr->m.trans[s] = tr->avg_t[s];
    }
    int rc = pl_ner_model_write(&tr->m, path);
    if (rc) {
        char eb[128];
        fprintf(stderr, "pl_train_ner: cannot write %s: %s\n", path,
                strerror_r(-rc, eb, sizeof(eb)));
        return rc;
    }
    fprintf(stderr, "wrote %s\n", path);
    return 0;
}

/* The stages trained on the loaded data (dev NULL without a dev corpus)
 * and the model written. Returns the exit status. */
static int s_train_model(const struct options *o, struct corpus *tc, struct corpus *dev,
                         const struct lexicon *lx)
{
    struct trainer tr;
    s_trainer_init(&tr, o, lx);
    s_features(tc, &tr.m, 0);
    if (dev)
        s_features(dev, &tr.m, 0);
    if (tr.m.stages == 2)
        s_jackknife(&tr, tc, o->epochs, o->folds);
    s_stage1(&tr, tc, dev, o->epochs);
    if (tr.m.stages == 2)
        s_stage2(&tr, tc, dev, o->epochs2);
    int status = s_write(&tr, o->out) == 0 ? 0 : 1;
    s_trainer_free(&tr);
    return status;
}

/* Options checked, data loaded, the model trained. Returns the exit
 * status. */
static int s_run(struct options *o)
{
    if (!o->train || !o->out || o->epochs < 1 || o->epochs2 < 1 || o->folds < 2 || o->bits < 10 ||
        o->bits > 26) {
        s_usage(stderr);
        return 2;
    }
    if (!o->clusters)
        o->groups &= ~(unsigned)PL_NER_G_CLUSTER;
    if (!o->gaz)
        o->groups &= ~(unsigned)PL_NER_G_GAZ;
    struct corpus tc = { 0 }, dc = { 0 };
    struct lexicon lx = { 0 };
    int status = 1;
    if (s_load_data(o, &tc, &dc, &lx) == 0)
        status = s_train_model(o, &tc, o->dev ? &dc : NULL, &lx);
    s_corpus_free(&tc);
    s_corpus_free(&dc);
    free(lx.lex);
    free(lx.phr);
    return status;
}

int main(int argc, char **argv)
{
    struct options o;
    int go_on, status = s_options(argc, argv, &o, &go_on);
    if (!go_on)
        return status;
    if (o.test && o.model)
        return s_test(o.model, o.test, o.predict);
    return s_run(&o);
}
