/*
 * The averaged perceptron of pl_train_ner; see ner_train.h.
 */
#include "ner_train.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errcode.h"
#include "text.h"

/* One sentence: tokens [a, b) of document doc. */
struct s_sent_ref {
    uint32_t doc, a, b; /* tokens [a, b) of doc */
};

#if PL_NER_BILOU
const char *const pl_nt_tag_names[PL_NER_TAGS] = { "O",      "B-PER", "I-PER", "L-PER",  "U-PER",
                                                   "B-ORG",  "I-ORG", "L-ORG", "U-ORG",  "B-LOC",
                                                   "I-LOC",  "L-LOC", "U-LOC", "B-MISC", "I-MISC",
                                                   "L-MISC", "U-MISC" };
const char *const pl_nt_bio_names[PL_NER_TAGS] = { "O",      "B-PER", "I-PER", "I-PER",  "B-PER",
                                                   "B-ORG",  "I-ORG", "I-ORG", "B-ORG",  "B-LOC",
                                                   "I-LOC",  "I-LOC", "B-LOC", "B-MISC", "I-MISC",
                                                   "I-MISC", "B-MISC" };
#else
const char *const pl_nt_tag_names[PL_NER_TAGS] = { "O",     "B-PER", "I-PER",  "B-ORG", "I-ORG",
                                                   "B-LOC", "I-LOC", "B-MISC", "I-MISC" };
const char *const pl_nt_bio_names[PL_NER_TAGS] = { "O",     "B-PER", "I-PER",  "B-ORG", "I-ORG",
                                                   "B-LOC", "I-LOC", "B-MISC", "I-MISC" };
#endif

void *pl_nt_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fprintf(stderr, "pl_train_ner: out of memory\n");
        exit(1);
    }
    return q;
}

static struct pl_nt_doc *s_new_doc(struct pl_nt_corpus *c)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 256;
        c->d = pl_nt_xrealloc(c->d, c->cap * sizeof(*c->d));
    }
    struct pl_nt_doc *d = &c->d[c->n++];
    memset(d, 0, sizeof(*d));
    return d;
}

FILE *pl_nt_open(const char *path)
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
 * -DOCSTART- between documents. IOB1 or BIO in, the tagger's scheme kept
 * (BILOU by pl_nt_bilou, or BIO). Returns 0, the
 * negative errno of fopen, or PL_EINPUT for a malformed line (each said on
 * stderr with the file's name). */
int pl_nt_read_conll(const char *path, struct pl_nt_corpus *c)
{
    FILE *f = pl_nt_open(path);
    if (!f)
        return -errno;
    char line[4096];
    struct pl_nt_doc *d = NULL;
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
            d->tok = pl_nt_xrealloc(d->tok, d->cap * sizeof(*d->tok));
            d->gold = pl_nt_xrealloc(d->gold, d->cap);
        }
        size_t tn = (size_t)(sp - line);
        if (d->blen + tn + 1 > d->bcap) {
            d->bcap = (d->bcap + tn + 1) * 2;
            d->buf = pl_nt_xrealloc(d->buf, d->bcap);
        }
        memcpy(d->buf + d->blen, line, tn);
        d->tok[d->n] = (struct pl_ner_tok){ .n = (uint32_t)tn, .sent_start = (uint8_t)new_sent };
        if (noffs == coffs) {
            coffs = coffs ? 2 * coffs : 4096;
            offs = pl_nt_xrealloc(offs, coffs * sizeof(*offs));
        }
        offs[noffs++] = d->blen;
        d->blen += tn;
        d->buf[d->blen++] = 0;
        d->gold[d->n] = (uint8_t)(type < 0 ? 0 : pl_ner_tag_make(type, b ? PL_NER_KB : PL_NER_KI));
        d->n++;
        c->tokens++;
        new_sent = 0;
    }
    fclose(f);
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
        struct pl_nt_doc *x = &c->d[i];
        for (size_t j = 0; j < x->n; j++)
            x->tok[j].s = x->buf + offs[k++];
        x->s1 = pl_nt_xrealloc(NULL, x->n + 1);
        x->group = (uint32_t)i;
        pl_nt_bilou(x);
    }
    free(offs);
    return 0;
}

void pl_nt_bilou(struct pl_nt_doc *d)
{
    if (!PL_NER_BILOU)
        return;
    for (size_t i = 0; i < d->n; i++) {
        int t = pl_ner_tag_type(d->gold[i]), k = pl_ner_tag_kind(d->gold[i]);
        if (t < 0 || (k != PL_NER_KB && k != PL_NER_KI))
            continue;
        /* The name goes on when the next token, in the same sentence,
         * is inside a name of the same type. */
        int next = i + 1 < d->n && !d->tok[i + 1].sent_start ? d->gold[i + 1] : 0;
        int nk = pl_ner_tag_kind(next);
        if (pl_ner_tag_type(next) != t || (nk != PL_NER_KI && nk != PL_NER_KL))
            d->gold[i] = (uint8_t)pl_ner_tag_make(t, k == PL_NER_KB ? PL_NER_KU : PL_NER_KL);
    }
}

/* --- title-case copies --------------------------------------------------- */

static int s_is_ascii_upper(int c)
{
    return c >= 'A' && c <= 'Z';
}
static int s_is_ascii_lower(int c)
{
    return c >= 'a' && c <= 'z';
}

void pl_nt_title_case(const char *s, size_t n, int first, int caps, char *out)
{
    char low[64];
    size_t ln = n < sizeof(low) ? n : 0;
    for (size_t i = 0; i < ln; i++)
        low[i] = s_is_ascii_upper(s[i]) ? (char)(s[i] - 'A' + 'a') : s[i];
    int function_word = !first && ln && pl_is_stopword(low, ln);
    int start = 1;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int letter = s_is_ascii_upper(c) || s_is_ascii_lower(c);
        if (letter && start && !function_word && s_is_ascii_lower(c))
            c = (char)(c - 'a' + 'A');
        else if (letter && caps && (!start || function_word) && s_is_ascii_upper(c))
            c = (char)(c - 'A' + 'a');
        out[i] = c;
        if (letter || c == '\'')
            start = 0; /* "'S" is "'s" */
        else if (c == '-')
            start = 1;
    }
}

/* Whether tokens [a, b) of d are a sentence in capitals: two words or more
 * with letters, four in five of them without a lower-case letter. */
static int s_caps_sentence(const struct pl_nt_doc *d, size_t a, size_t b)
{
    size_t words = 0, caps = 0;
    for (size_t i = a; i < b; i++) {
        const struct pl_ner_tok *t = &d->tok[i];
        size_t up = 0, lo = 0;
        for (size_t k = 0; k < t->n; k++) {
            up += s_is_ascii_upper(t->s[k]);
            lo += s_is_ascii_lower(t->s[k]);
        }
        if (!up && !lo)
            continue;
        words++;
        caps += !lo && up >= 2;
    }
    return words >= 2 && caps * 10 >= words * 8;
}

/* Appends token s[0..n) with tag gold to d, opening a sentence when
 * sent_start; the token's text pointer is set by s_fix_text. */
static void s_push_token(struct pl_nt_doc *d, const char *s, size_t n, uint8_t gold, int sent_start)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->tok = pl_nt_xrealloc(d->tok, d->cap * sizeof(*d->tok));
        d->gold = pl_nt_xrealloc(d->gold, d->cap);
    }
    if (d->blen + n + 1 > d->bcap) {
        d->bcap = (d->bcap + n + 1) * 2;
        d->buf = pl_nt_xrealloc(d->buf, d->bcap);
    }
    memcpy(d->buf + d->blen, s, n);
    /* The offset in buf for now; s_fix_text makes it a pointer. */
    d->tok[d->n] = (struct pl_ner_tok){ .s = (const char *)(uintptr_t)d->blen,
                                        .n = (uint32_t)n,
                                        .sent_start = (uint8_t)sent_start };
    d->blen += n;
    d->buf[d->blen++] = 0;
    d->gold[d->n++] = gold;
}

static void s_fix_text(struct pl_nt_doc *d)
{
    for (size_t i = 0; i < d->n; i++)
        d->tok[i].s = d->buf + (uintptr_t)d->tok[i].s;
    d->s1 = pl_nt_xrealloc(NULL, d->n + 1);
}

size_t pl_nt_add_title_copies(struct pl_nt_corpus *c)
{
    size_t originals = c->n, added = 0;
    for (size_t di = 0; di < originals; di++) {
        struct pl_nt_doc cp = { .group = c->d[di].group, .copy = 1 };
        const struct pl_nt_doc *d = &c->d[di];
        size_t b = 1, words = 0;
        while (b < d->n && !d->tok[b].sent_start)
            b++;
        for (size_t i = 0; i < b; i++)
            words += strspn(d->tok[i].s, ",.-:;'\"()0123456789") < d->tok[i].n;
        /* Reuters ends its headlines with a full stop; headings on the web
         * have none. */
        if (b > 1 && d->tok[b - 1].n == 1 && d->tok[b - 1].s[0] == '.')
            b--;
        if (words < 2)
            continue;
        int caps = s_caps_sentence(d, 0, b);
        for (size_t i = 0; i < b; i++) {
            char word[256];
            size_t n = d->tok[i].n < sizeof(word) ? d->tok[i].n : sizeof(word);
            pl_nt_title_case(d->tok[i].s, n, i == 0, caps, word);
            s_push_token(&cp, word, n, d->gold[i], i == 0);
        }
        s_fix_text(&cp);
        if (c->n == c->cap) {
            c->cap = c->cap ? 2 * c->cap : 256;
            c->d = pl_nt_xrealloc(c->d, c->cap * sizeof(*c->d));
        }
        c->d[c->n++] = cp;
        c->tokens += cp.n;
        added++;
    }
    return added;
}

/* --- training ------------------------------------------------------------ */

static size_t s_nw(const struct pl_ner_model *m)
{
    return ((size_t)1 << m->hash_bits) * PL_NER_TAGS;
}
static size_t s_nt(void)
{
    return (PL_NER_TAGS + 1) * PL_NER_TAGS;
}

void pl_nt_features(struct pl_nt_corpus *c, const struct pl_ner_model *m, int stage)
{
    uint32_t tmp[PL_NER_MAX_FEATS];
    for (size_t di = 0; di < c->n; di++) {
        struct pl_nt_doc *d = &c->d[di];
        struct pl_ner_doc nd;
        if (pl_ner_doc_init(&nd, m, d->tok, d->n) != 0 ||
            (stage == 1 && pl_ner_doc_set_stage1(&nd, d->s1) != 0)) {
            fprintf(stderr, "pl_train_ner: out of memory\n");
            exit(1);
        }
        free(d->foff[stage]);
        free(d->f[stage]);
        d->foff[stage] = pl_nt_xrealloc(NULL, (d->n + 1) * sizeof(uint32_t));
        size_t cap = d->n * 64 + 64, len = 0;
        d->f[stage] = pl_nt_xrealloc(NULL, cap * sizeof(uint32_t));
        for (size_t i = 0; i < d->n; i++) {
            size_t k = pl_ner_features(&nd, i, stage, tmp);
            if (len + k > cap) {
                cap = 2 * (len + k);
                d->f[stage] = pl_nt_xrealloc(d->f[stage], cap * sizeof(uint32_t));
            }
            d->foff[stage][i] = (uint32_t)len;
            memcpy(d->f[stage] + len, tmp, k * sizeof(uint32_t));
            len += k;
        }
        d->foff[stage][d->n] = (uint32_t)len;
        pl_ner_doc_free(&nd);
    }
}

static size_t s_sentences(const struct pl_nt_corpus *c, const uint8_t *skip_doc,
                          struct s_sent_ref **out)
{
    size_t n = 0, cap = 1024;
    struct s_sent_ref *v = pl_nt_xrealloc(NULL, cap * sizeof(*v));
    for (size_t di = 0; di < c->n; di++) {
        if (skip_doc && skip_doc[di])
            continue;
        const struct pl_nt_doc *d = &c->d[di];
        for (size_t a = 0; a < d->n;) {
            size_t b = a + 1;
            while (b < d->n && !d->tok[b].sent_start)
                b++;
            if (n == cap) {
                cap *= 2;
                v = pl_nt_xrealloc(v, cap * sizeof(*v));
            }
            v[n++] = (struct s_sent_ref){ (uint32_t)di, (uint32_t)a, (uint32_t)b };
            a = b;
        }
    }
    *out = v;
    return n;
}

/* splitmix64 (Steele, Lea and Flood 2014). */
static uint64_t s_rand(uint64_t *rng)
{
    uint64_t z = (*rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* drop[0..n): which tokens of this visit hide their word features. */
static void s_draw_dropout(struct pl_nt_trainer *tr, size_t n, uint8_t *drop)
{
    int on = tr->word_dropout > 0 && (tr->m.groups & PL_NER_G_WORD);
    for (size_t i = 0; i < n; i++)
        drop[i] = on && (double)(s_rand(&tr->drop_rng) >> 11) * 0x1p-53 < tr->word_dropout;
}

/* Emission scores em[b - a][PL_NER_TAGS] of tokens [a, b) under weights
 * w; drop (NULL: none) marks the tokens whose word features (under the
 * model's groups) a training visit hides. */
static void s_emit(const struct pl_nt_doc *d, int stage, const float *w, size_t a, size_t b,
                   const uint8_t *drop, unsigned groups, float *em)
{
    for (size_t i = a; i < b; i++) {
        float *e = em + (i - a) * PL_NER_TAGS;
        for (int t = 0; t < PL_NER_TAGS; t++)
            e[t] = 0;
        uint32_t k0 = d->foff[stage][i];
        for (uint32_t k = k0; k < d->foff[stage][i + 1]; k++) {
            if (drop && drop[i - a] && pl_ner_is_word_feature(groups, k - k0))
                continue;
            const float *r = w + (size_t)d->f[stage][k] * PL_NER_TAGS;
            for (int t = 0; t < PL_NER_TAGS; t++)
                e[t] += r[t];
        }
    }
}

/* The averaged weights as they stand: w - wa / c. */
static void s_average(struct pl_nt_trainer *tr, int stage)
{
    size_t nw = s_nw(&tr->m), nt = s_nt();
    double c = tr->c > 0 ? tr->c : 1;
    for (size_t i = 0; i < nw; i++)
        tr->avg_w[stage][i] = (float)(tr->w[stage][i] - tr->wa[stage][i] / c);
    for (size_t i = 0; i < nt; i++)
        tr->avg_t[stage][i] = (float)(tr->tw[stage][i] - tr->twa[stage][i] / c);
}

void pl_nt_tag_corpus(const struct pl_nt_corpus *c, const uint8_t *only, int stage, const float *w,
                      const float *trans, int to_s1, int vote, struct pl_conll_score *score)
{
    float *em = NULL, *work = NULL;
    size_t emcap = 0;
    uint8_t *pred = NULL;
    for (size_t di = 0; di < c->n; di++) {
        if (only && !only[di])
            continue;
        struct pl_nt_doc *d = &c->d[di];
        pred = pl_nt_xrealloc(pred, d->n + 1);
        for (size_t a = 0; a < d->n;) {
            size_t b = a + 1;
            while (b < d->n && !d->tok[b].sent_start)
                b++;
            if ((b - a) * PL_NER_TAGS > emcap) {
                emcap = (b - a) * PL_NER_TAGS * 2;
                em = pl_nt_xrealloc(em, emcap * sizeof(float));
                work = pl_nt_xrealloc(work, 2 * emcap * sizeof(float));
            }
            s_emit(d, stage, w, a, b, NULL, 0, em);
            pl_ner_viterbi(em, b - a, trans, pred + a, work);
            a = b;
        }
        if (vote && pl_ner_vote(d->tok, d->n, pred) != 0) {
            fprintf(stderr, "pl_train_ner: out of memory\n");
            exit(1);
        }
        for (size_t a = 0; score && a < d->n;) {
            size_t b = a + 1;
            while (b < d->n && !d->tok[b].sent_start)
                b++;
            const char *g[512], *p[512];
            if (b - a <= 512) {
                for (size_t i = a; i < b; i++) {
                    g[i - a] = pl_nt_bio_names[d->gold[i]];
                    p[i - a] = pl_nt_bio_names[pred[i]];
                }
                pl_conll_score_add(score, g, p, b - a);
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

static void s_train_epoch(struct pl_nt_trainer *tr, struct pl_nt_corpus *c, int stage,
                          struct s_sent_ref *sv, size_t ns)
{
    /* Fisher-Yates with the fixed generator. */
    for (size_t i = ns; i > 1; i--) {
        size_t j = s_rand(&tr->rng) % i;
        struct s_sent_ref t = sv[i - 1];
        sv[i - 1] = sv[j];
        sv[j] = t;
    }
    float *em = NULL, *work = NULL;
    size_t emcap = 0;
    uint8_t pred[1024], drop[1024];
    float *w = tr->w[stage], *wa = tr->wa[stage], *tw = tr->tw[stage], *twa = tr->twa[stage];
    for (size_t s = 0; s < ns; s++) {
        const struct pl_nt_doc *d = &c->d[sv[s].doc];
        size_t a = sv[s].a, b = sv[s].b, n = b - a;
        tr->c += 1;
        if (n > sizeof(pred))
            continue;
        if (n * PL_NER_TAGS > emcap) {
            emcap = n * PL_NER_TAGS * 2;
            em = pl_nt_xrealloc(em, emcap * sizeof(float));
            work = pl_nt_xrealloc(work, 2 * emcap * sizeof(float));
        }
        s_draw_dropout(tr, n, drop);
        s_emit(d, stage, w, a, b, drop, tr->m.groups, em);
        pl_ner_viterbi(em, n, tw, pred, work);
        float cc = (float)tr->c;
        for (size_t i = 0; i < n; i++) {
            int g = d->gold[a + i], p = pred[i];
            int gp = i ? d->gold[a + i - 1] : PL_NER_TAGS, pp = i ? pred[i - 1] : PL_NER_TAGS;
            if (g != p) {
                uint32_t k0 = d->foff[stage][a + i];
                for (uint32_t k = k0; k < d->foff[stage][a + i + 1]; k++) {
                    if (drop[i] && pl_ner_is_word_feature(tr->m.groups, k - k0))
                        continue;
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

static void s_reset(struct pl_nt_trainer *tr, int stage)
{
    memset(tr->w[stage], 0, s_nw(&tr->m) * sizeof(float));
    memset(tr->wa[stage], 0, s_nw(&tr->m) * sizeof(float));
    memset(tr->tw[stage], 0, s_nt() * sizeof(float));
    memset(tr->twa[stage], 0, s_nt() * sizeof(float));
    tr->c = 0;
}

void pl_nt_print_score(const char *what, const struct pl_conll_score *s, int per_type)
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

/* One averaged perceptron for the stage, from zero, over the sentences
 * sv[0..ns) for epochs in the orders the generator gives; with a dev
 * corpus and verbose, prints its score after each epoch. Leaves the
 * averaged weights in avg_w/avg_t. */
static void s_train_once(struct pl_nt_trainer *tr, struct pl_nt_corpus *c, int stage, int epochs,
                         struct s_sent_ref *sv, size_t ns, struct pl_nt_corpus *dev, int verbose)
{
    s_reset(tr, stage);
    for (int e = 1; e <= epochs; e++) {
        clock_t t0 = clock();
        s_train_epoch(tr, c, stage, sv, ns);
        s_average(tr, stage);
        if (dev && verbose) {
            struct pl_conll_score sc = { 0 };
            int vote = (tr->m.groups & PL_NER_G_VOTE) && stage + 1 == (int)tr->m.stages;
            pl_nt_tag_corpus(dev, NULL, stage, tr->avg_w[stage], tr->avg_t[stage], 0, vote, &sc);
            char what[64];
            snprintf(what, sizeof(what), "stage %d epoch %2d (%.1f s) dev", stage + 1, e,
                     (double)(clock() - t0) / CLOCKS_PER_SEC);
            pl_nt_print_score(what, &sc, 0);
        }
    }
}

/* Trains one stage on the documents not marked in skip, for epochs, once
 * or (tr->orders) several times averaged; with a dev corpus, prints its
 * score after each epoch of the last run. Leaves the averaged weights in
 * avg_w/avg_t. */
void pl_nt_train(struct pl_nt_trainer *tr, struct pl_nt_corpus *c, const uint8_t *skip, int stage,
                 int epochs, struct pl_nt_corpus *dev, int verbose)
{
    struct s_sent_ref *sv;
    size_t ns = s_sentences(c, skip, &sv);
    unsigned orders = tr->orders ? tr->orders : 1;
    if (orders == 1) {
        s_train_once(tr, c, stage, epochs, sv, ns, dev, verbose);
        free(sv);
        return;
    }
    /* An ensemble of visiting orders: the averaged perceptron trained
     * again from zero in each new order the generator gives, and the
     * runs' averaged weights averaged (summed in double, in run order:
     * deterministic). One order's model is one draw of many that differ
     * by a few tenths of F1; their mean is steadier than any of them. */
    size_t nw = s_nw(&tr->m), nt = s_nt();
    double *sw = calloc(nw, sizeof(*sw)), *st = calloc(nt, sizeof(*st));
    if (!sw || !st) {
        fprintf(stderr, "pl_train_ner: out of memory\n");
        exit(1);
    }
    for (unsigned r = 0; r < orders; r++) {
        s_train_once(tr, c, stage, epochs, sv, ns, dev, verbose && r + 1 == orders);
        for (size_t i = 0; i < nw; i++)
            sw[i] += tr->avg_w[stage][i];
        for (size_t i = 0; i < nt; i++)
            st[i] += tr->avg_t[stage][i];
    }
    for (size_t i = 0; i < nw; i++)
        tr->avg_w[stage][i] = (float)(sw[i] / orders);
    for (size_t i = 0; i < nt; i++)
        tr->avg_t[stage][i] = (float)(st[i] / orders);
    free(sw);
    free(st);
    free(sv);
}

void pl_nt_corpus_free(struct pl_nt_corpus *c)
{
    for (size_t i = 0; i < c->n; i++) {
        struct pl_nt_doc *d = &c->d[i];
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

void pl_nt_trainer_init(struct pl_nt_trainer *tr, const struct pl_ner_model *shape)
{
    memset(tr, 0, sizeof(*tr));
    tr->rng = PL_NT_SEED;
    tr->drop_rng = PL_NT_SEED ^ 0xd1b54a32d192ed03ull;
    tr->m = *shape;
    for (uint32_t s = 0; s < tr->m.stages; s++) {
        tr->w[s] = pl_nt_xrealloc(NULL, s_nw(&tr->m) * sizeof(float));
        tr->wa[s] = pl_nt_xrealloc(NULL, s_nw(&tr->m) * sizeof(float));
        tr->avg_w[s] = pl_nt_xrealloc(NULL, s_nw(&tr->m) * sizeof(float));
        tr->tw[s] = pl_nt_xrealloc(NULL, s_nt() * sizeof(float));
        tr->twa[s] = pl_nt_xrealloc(NULL, s_nt() * sizeof(float));
        tr->avg_t[s] = pl_nt_xrealloc(NULL, s_nt() * sizeof(float));
    }
}

void pl_nt_trainer_free(struct pl_nt_trainer *tr)
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

void pl_nt_score_sum(struct pl_conll_score *a, const struct pl_conll_score *b)
{
    for (int t = 0; t < PL_CONLL_TYPES; t++) {
        a->gold[t] += b->gold[t];
        a->found[t] += b->found[t];
        a->correct[t] += b->correct[t];
    }
    a->tokens += b->tokens;
    a->tokens_correct += b->tokens_correct;
}

/* --- cross-validation ---------------------------------------------------- */

static void s_view_add(struct pl_nt_corpus *v, const struct pl_nt_doc *d)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 256;
        v->d = pl_nt_xrealloc(v->d, v->cap * sizeof(*v->d));
    }
    v->d[v->n++] = *d;
    v->tokens += d->n;
}

void pl_nt_cv_split(const struct pl_nt_corpus *c, int k, int folds, int blocks,
                    struct pl_nt_corpus *train, struct pl_nt_corpus *held)
{
    memset(train, 0, sizeof(*train));
    memset(held, 0, sizeof(*held));
    uint64_t groups = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->d[i].group >= groups)
            groups = (uint64_t)c->d[i].group + 1;
    for (size_t i = 0; i < c->n; i++) {
        const struct pl_nt_doc *d = &c->d[i];
        uint64_t f = blocks ? d->group * (uint64_t)folds / groups : d->group % (uint32_t)folds;
        int out = (int)f == k;
        if (!out)
            s_view_add(train, d);
        else if (!d->copy)
            s_view_add(held, d);
    }
}

void pl_nt_view_free(struct pl_nt_corpus *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free(v->d[i].foff[1]);
        free(v->d[i].f[1]);
    }
    free(v->d);
    memset(v, 0, sizeof(*v));
}

/* --- the two stages ------------------------------------------------------ */

/* First-stage tags for each training document from a model trained without
 * it: folds models, each on the documents of the other folds. */
static void s_jackknife(struct pl_nt_trainer *tr, struct pl_nt_corpus *tc, int epochs, int folds,
                        int verbose)
{
    /* Original document j of tc in fold j % folds, a copy in its source's. */
    uint8_t *fold = pl_nt_xrealloc(NULL, tc->n + 1), *of = pl_nt_xrealloc(NULL, tc->n + 1);
    uint32_t *gfold = NULL;
    size_t ngroups = 0, j = 0;
    for (size_t d = 0; d < tc->n; d++)
        if (tc->d[d].group >= ngroups)
            ngroups = (size_t)tc->d[d].group + 1;
    gfold = pl_nt_xrealloc(NULL, (ngroups + 1) * sizeof(*gfold));
    memset(gfold, 0, (ngroups + 1) * sizeof(*gfold)); /* every group's fold set before it is read */
    for (size_t d = 0; d < tc->n; d++) {
        if (!tc->d[d].copy)
            gfold[tc->d[d].group] = (uint32_t)(j++ % (size_t)folds);
        of[d] = (uint8_t)gfold[tc->d[d].group];
    }
    free(gfold);
    for (int k = 0; k < folds; k++) {
        for (size_t d = 0; d < tc->n; d++)
            fold[d] = of[d] == k;
        pl_nt_train(tr, tc, fold, 0, epochs, NULL, 0);
        pl_nt_tag_corpus(tc, fold, 0, tr->avg_w[0], tr->avg_t[0], 1, 0, NULL);
        if (verbose)
            fprintf(stderr, "jackknife fold %d/%d done\n", k + 1, folds);
    }
    free(fold);
    free(of);
}

void pl_nt_two_stage(struct pl_nt_trainer *tr, struct pl_nt_corpus *tc, struct pl_nt_corpus *held,
                     int epochs, int epochs2, int jackfolds, int verbose,
                     struct pl_conll_score score[2])
{
    if (tr->m.stages == 2)
        s_jackknife(tr, tc, epochs, jackfolds, verbose);
    pl_nt_train(tr, tc, NULL, 0, epochs, held, verbose);
    if (held) {
        struct pl_conll_score sc = { 0 };
        pl_nt_tag_corpus(held, NULL, 0, tr->avg_w[0], tr->avg_t[0], 1,
                         (tr->m.groups & PL_NER_G_VOTE) && tr->m.stages == 1, &sc);
        if (verbose)
            pl_nt_print_score("stage 1 dev", &sc, 1);
        if (score)
            pl_nt_score_sum(&score[0], &sc);
    }
    if (tr->m.stages < 2)
        return;
    /* Stage 2 sees the first stage's tags; stage 1's averages are kept. */
    pl_nt_features(tc, &tr->m, 1);
    if (held)
        pl_nt_features(held, &tr->m, 1);
    pl_nt_train(tr, tc, NULL, 1, epochs2, held, verbose);
    if (held) {
        struct pl_conll_score sc = { 0 };
        pl_nt_tag_corpus(held, NULL, 1, tr->avg_w[1], tr->avg_t[1], 0,
                         (tr->m.groups & PL_NER_G_VOTE) != 0, &sc);
        if (verbose)
            pl_nt_print_score("stage 2 dev", &sc, 1);
        if (score)
            pl_nt_score_sum(&score[1], &sc);
    }
}
