/* YAKE!; see yake.h. */
#include "yake.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyphrase.h"
#include "text.h"

/* Words longer than this (in bytes) are taken as unusual: no keyword has
 * one, and it keeps a candidate's text within a small fixed buffer. */
#define YK_WORD_MAX 64
#define YK_NGRAM 3

/* A word's tag, as the paper names them: a number, an unusual token
 * (digits mixed with letters, or too long), an acronym, a capitalised word
 * not at a sentence start, or a plain word. */
enum tag { TAG_D, TAG_U, TAG_A, TAG_N, TAG_P };

/* What is counted of a term while the text is read. */
struct tstat {
    bool stop;
    size_t tf, tf_u, tf_a;
    uint32_t *sent; /* the sentences it is in, each once, in order */
    size_t nsent, capsent;
    size_t in_distinct, in_total, out_distinct, out_total;
};

/* Counts of ordered pairs of terms, one just after the other: an
 * open-addressing table keyed by (left << 32 | right) + 1. */
struct pairs {
    uint64_t *key;
    size_t *count;
    size_t n, nslot;
};

/* A candidate while the text is read: its terms at first occurrence. */
struct cstat {
    uint32_t term[YK_NGRAM];
    int n;
    size_t kf;
};

/* One word in the window of the current run of words. */
struct slot {
    uint32_t term;
    enum tag tag;
    char w[YK_WORD_MAX + 1]; /* its lower-case form */
    size_t wn;
};

struct reader {
    struct pl_kp_vocab terms, cands;
    struct tstat *ts;
    struct cstat *cs;
    size_t tcap, ccap;
    struct pairs pairs;
    size_t nsent;
};

static size_t *s_pair_slot(const struct pairs *p, uint64_t key)
{
    size_t mask = p->nslot - 1, i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & mask;
    while (p->key[i] && p->key[i] != key)
        i = (i + 1) & mask;
    return &p->count[i];
}

static int s_pair_add(struct pairs *p, uint32_t a, uint32_t b)
{
    if ((p->n + 1) * 2 > p->nslot) {
        struct pairs g = { .nslot = p->nslot ? p->nslot * 2 : 256, .n = p->n };
        g.key = calloc(g.nslot, sizeof(*g.key));
        g.count = calloc(g.nslot, sizeof(*g.count));
        if (!g.key || !g.count) {
            free(g.key);
            free(g.count);
            return -ENOMEM;
        }
        for (size_t i = 0; i < p->nslot; i++)
            if (p->key[i]) {
                size_t *c = s_pair_slot(&g, p->key[i]);
                g.key[c - g.count] = p->key[i];
                *c = p->count[i];
            }
        free(p->key);
        free(p->count);
        *p = g;
    }
    uint64_t key = ((uint64_t)a << 32 | b) + 1;
    size_t *c = s_pair_slot(p, key);
    if (!p->key[c - p->count]) {
        p->key[c - p->count] = key;
        p->n++;
    }
    (*c)++;
    return 0;
}

static size_t s_pair_count(const struct pairs *p, uint32_t a, uint32_t b)
{
    if (!p->nslot)
        return 0;
    uint64_t key = ((uint64_t)a << 32 | b) + 1;
    size_t *c = s_pair_slot(p, key);
    return p->key[c - p->count] == key ? *c : 0;
}

static enum tag s_tag(const char *text, const struct pl_token *t)
{
    if (t->kind == PL_TOK_NUMBER)
        return TAG_D;
    if (t->end - t->start > YK_WORD_MAX)
        return TAG_U;
    for (uint32_t i = t->start; i < t->end; i++)
        if (text[i] >= '0' && text[i] <= '9')
            return TAG_U;
    if ((t->flags & PL_TF_ALLCAPS) && t->end - t->start > 1)
        return TAG_A;
    if ((t->flags & PL_TF_CAP) && !(t->flags & PL_TF_SENT_START))
        return TAG_N;
    return TAG_P;
}

/* Letters and digits in w[0..n), in characters. */
static size_t s_alnum_chars(const char *w, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n;) {
        size_t adv = 1;
        int32_t cp = pl_utf8_decode(w + i, n - i, &adv);
        c += cp >= 0 && (pl_cp_is_letter(cp) || pl_cp_is_digit(cp));
        i += adv ? adv : 1;
    }
    return c;
}

static bool s_stop_word(const char *w, size_t wn)
{
    size_t tn = wn > 3 && w[wn - 1] == 's' ? wn - 1 : wn;
    return pl_is_stopword(w, wn) || pl_is_stopword(w, tn) || s_alnum_chars(w, tn) < 3;
}

/* The term of a lower-case word (a plural's final "s" dropped), added
 * when new. Returns its id or -ENOMEM. */
static long s_term(struct reader *r, const char *w, size_t wn)
{
    size_t tn = wn > 3 && w[wn - 1] == 's' ? wn - 1 : wn;
    long before = (long)r->terms.n, id = pl_kp_vocab_id(&r->terms, w, tn);
    if (id < before)
        return id;
    if (r->terms.n > r->tcap) {
        size_t cap = r->tcap ? r->tcap * 2 : 256;
        struct tstat *ts = realloc(r->ts, cap * sizeof(*ts));
        if (!ts)
            return -ENOMEM;
        r->ts = ts;
        r->tcap = cap;
    }
    memset(&r->ts[id], 0, sizeof(r->ts[id]));
    r->ts[id].stop = s_stop_word(w, wn);
    return id;
}

/* Counts one occurrence of term id, tagged tag, in sentence sent. */
static int s_occur(struct reader *r, uint32_t id, enum tag tag, uint32_t sent)
{
    struct tstat *t = &r->ts[id];
    t->tf++;
    t->tf_u += tag == TAG_N;
    t->tf_a += tag == TAG_A;
    if (t->nsent && t->sent[t->nsent - 1] == sent)
        return 0;
    if (t->nsent == t->capsent) {
        size_t cap = t->capsent ? t->capsent * 2 : 4;
        uint32_t *s = realloc(t->sent, cap * sizeof(*s));
        if (!s)
            return -ENOMEM;
        t->sent = s;
        t->capsent = cap;
    }
    t->sent[t->nsent++] = sent;
    return 0;
}

/* Counts the candidates that end at the last word of the window win[0..n):
 * each suffix of one to three words with no number or unusual word and
 * no stopword at either end. */
static int s_candidates(struct reader *r, const struct slot *win, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        if (win[i].tag == TAG_D || win[i].tag == TAG_U)
            return 0;
        if (r->ts[win[i].term].stop || r->ts[win[n - 1].term].stop)
            continue;
        char key[YK_NGRAM * (YK_WORD_MAX + 1)];
        size_t kn = 0;
        for (int j = i; j < n; j++) {
            if (j > i)
                key[kn++] = ' ';
            memcpy(key + kn, win[j].w, win[j].wn);
            kn += win[j].wn;
        }
        long before = (long)r->cands.n, id = pl_kp_vocab_id(&r->cands, key, kn);
        if (id < 0)
            return -ENOMEM;
        if (id == before) {
            if (r->cands.n > r->ccap) {
                size_t cap = r->ccap ? r->ccap * 2 : 256;
                struct cstat *cs = realloc(r->cs, cap * sizeof(*cs));
                if (!cs)
                    return -ENOMEM;
                r->cs = cs;
                r->ccap = cap;
            }
            r->cs[id] = (struct cstat){ .n = n - i };
            for (int j = i; j < n; j++)
                r->cs[id].term[j - i] = win[j].term;
        }
        r->cs[id].kf++;
    }
    return 0;
}

/* Reads one word token of sentence sent into the window of its run of
 * words: its occurrence, its co-occurrence with the word before, and the
 * candidates ending at it. */
static int s_word(struct reader *r, const char *text, const struct pl_token *t, uint32_t sent,
                  struct slot *win, int *n)
{
    struct slot cur = { .tag = s_tag(text, t) };
    cur.wn = pl_lower(text + t->start, t->end - t->start, cur.w, sizeof(cur.w));
    long id = s_term(r, cur.w, cur.wn);
    if (id < 0 || s_occur(r, (uint32_t)id, cur.tag, sent) != 0)
        return -ENOMEM;
    cur.term = (uint32_t)id;
    bool plain = cur.tag != TAG_D && cur.tag != TAG_U;
    if (plain && *n > 0 && win[*n - 1].tag != TAG_D && win[*n - 1].tag != TAG_U &&
        s_pair_add(&r->pairs, win[*n - 1].term, cur.term) != 0)
        return -ENOMEM;
    if (*n == YK_NGRAM) {
        memmove(win, win + 1, (YK_NGRAM - 1) * sizeof(*win));
        (*n)--;
    }
    win[(*n)++] = cur;
    return s_candidates(r, win, *n);
}

/* The whole text: sentences as pl_sentences splits them, runs of words
 * between punctuation inside them. */
static int s_read(struct reader *r, const char *text, size_t len)
{
    struct pl_tokens t = { 0 };
    struct pl_spans sp = { 0 };
    int rc = pl_tokenize(text, len, &t);
    if (rc == 0)
        rc = pl_sentences(text, &t, &sp);
    size_t i = 0;
    for (size_t s = 0; rc == 0 && s < sp.n; s++) {
        struct slot win[YK_NGRAM];
        int n = 0;
        for (; i < t.n && t.v[i].start < sp.v[s].start; i++)
            ;
        for (; rc == 0 && i < t.n && t.v[i].end <= sp.v[s].end; i++) {
            if (t.v[i].kind == PL_TOK_PUNCT)
                n = 0;
            else
                rc = s_word(r, text, &t.v[i], (uint32_t)s, win, &n);
        }
    }
    r->nsent = sp.n;
    free(t.v);
    free(sp.v);
    return rc;
}

static double s_median(const uint32_t *v, size_t n)
{
    /* The list is in increasing order already (sentences are read in
     * order), so the median needs no sort. */
    if (n == 0)
        return 0;
    return n % 2 ? v[n / 2] : 0.5 * ((double)v[n / 2 - 1] + (double)v[n / 2]);
}

/* The five features and the score of every term. */
static int s_score_terms(struct reader *r, struct pl_yake *out)
{
    double sum = 0, sq = 0, maxtf = 0, nvalid = 0;
    for (size_t i = 0; i < r->pairs.nslot; i++) {
        uint64_t key = r->pairs.key[i];
        if (!key)
            continue;
        uint32_t a = (uint32_t)((key - 1) >> 32), b = (uint32_t)(key - 1);
        r->ts[a].out_distinct++;
        r->ts[a].out_total += r->pairs.count[i];
        r->ts[b].in_distinct++;
        r->ts[b].in_total += r->pairs.count[i];
    }
    for (size_t i = 0; i < r->terms.n; i++)
        if (!r->ts[i].stop) {
            double tf = (double)r->ts[i].tf;
            sum += tf;
            sq += tf * tf;
            maxtf = tf > maxtf ? tf : maxtf;
            nvalid++;
        }
    double mean = nvalid ? sum / nvalid : 0,
           sd = nvalid ? sqrt(fmax(0, sq / nvalid - mean * mean)) : 0;
    out->terms = calloc(r->terms.n + 1, sizeof(*out->terms));
    if (!out->terms)
        return -ENOMEM;
    for (size_t i = 0; i < r->terms.n; i++) {
        const struct tstat *t = &r->ts[i];
        struct pl_yake_term *y = &out->terms[out->nterms++];
        y->word = strdup(r->terms.words[i]);
        if (!y->word)
            return -ENOMEM;
        y->stop = t->stop;
        y->tf = (double)t->tf;
        y->casing = (double)(t->tf_u > t->tf_a ? t->tf_u : t->tf_a) / (1 + log(y->tf));
        y->position = log(log(3 + s_median(t->sent, t->nsent)));
        y->frequency = mean + sd > 0 ? y->tf / (mean + sd) : 0;
        double dl = t->in_total ? (double)t->in_distinct / (double)t->in_total : 0;
        double dr = t->out_total ? (double)t->out_distinct / (double)t->out_total : 0;
        y->relatedness = 1 + (dl + dr) * (maxtf > 0 ? y->tf / maxtf : 0);
        y->sentences = r->nsent ? (double)t->nsent / (double)r->nsent : 0;
        y->score = y->relatedness * y->position /
                   (y->casing + y->frequency / y->relatedness + y->sentences / y->relatedness);
    }
    return 0;
}

/* A candidate's score from its terms' (see yake.h). */
static double s_cand_score(const struct reader *r, const struct pl_yake *y, const struct cstat *c)
{
    double prod = 1, sum = 0;
    for (int j = 0; j < c->n; j++) {
        uint32_t t = c->term[j];
        if (!y->terms[t].stop) {
            prod *= y->terms[t].score;
            sum += y->terms[t].score;
            continue;
        }
        /* A stopword is never first or last, so both neighbours exist. */
        uint32_t a = c->term[j - 1], b = c->term[j + 1];
        double p1 = (double)s_pair_count(&r->pairs, a, t) / y->terms[a].tf;
        double p2 = (double)s_pair_count(&r->pairs, t, b) / y->terms[b].tf;
        double p = p1 * p2;
        prod *= 1 + (1 - p);
        sum -= 1 - p;
    }
    double den = (1 + sum) * (double)c->kf;
    return prod / (den > 1e-12 ? den : 1e-12);
}

static int s_cmp_cand(const void *x, const void *y)
{
    const struct pl_yake_cand *a = x, *b = y;
    if (a->score != b->score)
        return a->score < b->score ? -1 : 1;
    return a->seen < b->seen ? -1 : a->seen > b->seen;
}

int pl_yake_extract(const char *text, size_t len, struct pl_yake *out)
{
    struct reader r = { 0 };
    int rc = s_read(&r, text, len);
    if (rc == 0)
        rc = s_score_terms(&r, out);
    if (rc == 0) {
        out->cands = calloc(r.cands.n + 1, sizeof(*out->cands));
        rc = out->cands ? 0 : -ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < r.cands.n; i++) {
        struct pl_yake_cand *c = &out->cands[out->ncands++];
        c->text = strdup(r.cands.words[i]);
        c->kf = r.cs[i].kf;
        c->seen = i;
        c->score = s_cand_score(&r, out, &r.cs[i]);
        if (!c->text)
            rc = -ENOMEM;
    }
    if (rc == 0 && out->ncands > 1)
        qsort(out->cands, out->ncands, sizeof(*out->cands), s_cmp_cand);
    for (size_t i = 0; i < r.terms.n && i < r.tcap; i++)
        free(r.ts[i].sent);
    free(r.ts);
    free(r.cs);
    free(r.pairs.key);
    free(r.pairs.count);
    pl_kp_vocab_free(&r.terms);
    pl_kp_vocab_free(&r.cands);
    return rc;
}

const struct pl_yake_term *pl_yake_term(const struct pl_yake *y, const char *word)
{
    for (size_t i = 0; i < y->nterms; i++)
        if (strcmp(y->terms[i].word, word) == 0)
            return &y->terms[i];
    return NULL;
}

double pl_levenshtein_similarity(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na == 0 && nb == 0)
        return 1;
    size_t *row = malloc((nb + 1) * sizeof(*row));
    if (!row)
        return 0;
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            best = up + 1 < best ? up + 1 : best;
            best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
            row[j] = best;
            diag = up;
        }
    }
    size_t d = row[nb];
    free(row);
    return 1.0 - (double)d / (double)(na > nb ? na : nb);
}

size_t pl_yake_top(const struct pl_yake *y, size_t k, double dedup, const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < y->ncands && n < k; i++) {
        bool keep = true;
        for (size_t j = 0; keep && dedup < 1 && j < n; j++)
            keep = pl_levenshtein_similarity(y->cands[i].text, out[j]) <= dedup;
        if (keep)
            out[n++] = y->cands[i].text;
    }
    return n;
}

void pl_yake_free(struct pl_yake *y)
{
    for (size_t i = 0; i < y->nterms; i++)
        free(y->terms[i].word);
    for (size_t i = 0; i < y->ncands; i++)
        free(y->cands[i].text);
    free(y->terms);
    free(y->cands);
    memset(y, 0, sizeof(*y));
}
