/* The summarizer's selection; see select.h. */
#include "select.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>

#include "candidates.h"

/* A candidate whose content (stems and entities) overlaps a picked
 * sentence's this much, as a share of the smaller of the two, restates it. */
#define PL_SUMMARY_NEAR_REPEAT 0.7

size_t pl_summary_want(int sentences, double ratio, int max_sentences, size_t ncand)
{
    size_t want = (size_t)sentences;
    if (ratio > 0) {
        want = (size_t)lround(ratio * (double)ncand);
        if (want < 1)
            want = 1;
        if (want > (size_t)max_sentences)
            want = (size_t)max_sentences;
    }
    return want > ncand ? ncand : want;
}

/* Cosine of two sentences' term-count vectors. scratch is all zero on entry
 * and on return. */
static double s_cosine(const struct pl_summary_sent *a, const struct pl_summary_sent *b,
                       double *scratch)
{
    double dot = 0, na = 0, nb = 0;
    for (size_t i = 0; i < a->nterms; i++)
        scratch[a->terms[i]] += 1;
    for (size_t i = 0; i < b->nterms; i++)
        dot += scratch[b->terms[i]];
    for (size_t i = 0; i < a->nterms; i++) {
        na += scratch[a->terms[i]] * scratch[a->terms[i]];
        scratch[a->terms[i]] = 0; /* each distinct term counted once */
    }
    for (size_t i = 0; i < b->nterms; i++)
        scratch[b->terms[i]] += 1;
    for (size_t i = 0; i < b->nterms; i++) {
        nb += scratch[b->terms[i]] * scratch[b->terms[i]];
        scratch[b->terms[i]] = 0;
    }
    if (na <= 0 || nb <= 0)
        return 0;
    return dot / sqrt(na * nb);
}

int pl_summary_keys_init(struct pl_summary_keys *ky, const struct pl_summary_vocab *v, size_t nents)
{
    memset(ky, 0, sizeof(*ky));
    ky->v = v;
    ky->nents = nents;
    ky->nkeys = v->n + nents;
    ky->cls = malloc((v->n + 1) * sizeof(*ky->cls));
    ky->mark = calloc(ky->nkeys + 1, 1);
    if (!ky->cls || !ky->mark || pl_summary_vocab_init(&ky->stems, 64) != 0)
        return -ENOMEM;
    for (size_t i = 0; i < v->n; i++)
        ky->cls[i] = -1;
    return 0;
}

void pl_summary_keys_free(struct pl_summary_keys *ky)
{
    if (ky->sb)
        sb_stemmer_delete(ky->sb);
    pl_summary_vocab_free(&ky->stems);
    free(ky->cls);
    free(ky->mark);
    memset(ky, 0, sizeof(*ky));
}

/* Gives every term of se its stem class, stemming those not seen yet.
 * Stemming waits until a sentence is compared: most never are. Returns 0
 * or -ENOMEM. */
static int s_classify(const struct pl_summary_sent *se, struct pl_summary_keys *ky)
{
    for (size_t i = 0; i < se->nterms; i++) {
        long id = se->terms[i];
        if (ky->cls[id] >= 0)
            continue;
        if (!ky->sb && !(ky->sb = sb_stemmer_new("english", "UTF_8")))
            return -ENOMEM;
        const char *w = ky->v->w[id];
        const sb_symbol *st = sb_stemmer_stem(ky->sb, (const sb_symbol *)w, (int)strlen(w));
        char buf[128];
        int n = st ? sb_stemmer_length(ky->sb) : -1;
        if (n < 0 || (size_t)n >= sizeof(buf))
            return -ENOMEM; /* the stemmer's allocation failed (terms are under 64 bytes) */
        memcpy(buf, st, (size_t)n);
        buf[n] = '\0';
        long c = pl_summary_vocab_id(&ky->stems, buf);
        if (c < 0)
            return (int)c;
        ky->cls[id] = c;
    }
    return 0;
}

/* Key i of se: the stem class of its i-th term, then (after all classes,
 * which number at most the terms) its entities. */
static size_t s_key(const struct pl_summary_sent *se, const struct pl_summary_keys *ky, size_t i)
{
    return i < se->nterms ? (size_t)ky->cls[se->terms[i]] : ky->v->n + se->ents[i - se->nterms];
}

/* Marks (bit m) the content keys of se; returns how many were not marked
 * with m yet, and counts in *both those already marked 1. */
static size_t s_mark(const struct pl_summary_sent *se, const struct pl_summary_keys *ky,
                     unsigned char m, size_t *both)
{
    size_t fresh = 0;
    for (size_t i = 0; i < se->nterms + (size_t)se->nents; i++) {
        size_t key = s_key(se, ky, i);
        if (key >= ky->nkeys || (ky->mark[key] & m))
            continue;
        if (both)
            *both += (ky->mark[key] & 1) != 0;
        ky->mark[key] |= m;
        fresh++;
    }
    return fresh;
}

/* Clears what s_mark set for se. */
static void s_unmark(const struct pl_summary_sent *se, const struct pl_summary_keys *ky)
{
    for (size_t i = 0; i < se->nterms + (size_t)se->nents; i++) {
        size_t key = s_key(se, ky, i);
        if (key < ky->nkeys)
            ky->mark[key] = 0;
    }
}

int pl_summary_overlap(const struct pl_summary_sent *a, const struct pl_summary_sent *b,
                       struct pl_summary_keys *ky, double *overlap)
{
    int rc = s_classify(a, ky);
    if (rc == 0)
        rc = s_classify(b, ky);
    if (rc != 0)
        return rc;
    size_t both = 0;
    size_t na = s_mark(a, ky, 1, NULL), nb = s_mark(b, ky, 2, &both);
    s_unmark(a, ky);
    s_unmark(b, ky);
    size_t small = na < nb ? na : nb;
    *overlap = small ? (double)both / (double)small : 0;
    return 0;
}

/* Whether candidate q restates a picked sentence: 1, 0, or -ENOMEM. */
static int s_restates(const struct pl_summary_sent *ss, const size_t *picks, size_t npicks,
                      size_t q, struct pl_summary_keys *ky)
{
    for (size_t r = 0; r < npicks; r++) {
        double o;
        int rc = pl_summary_overlap(&ss[q], &ss[picks[r]], ky, &o);
        if (rc != 0)
            return rc;
        if (o >= PL_SUMMARY_NEAR_REPEAT)
            return 1;
    }
    return 0;
}

/* The highest cosine of sentence q with a picked sentence (0 when none is).
 * picks holds the npicks picked sentences' indices, so the cost is in the
 * picks, not in all the sentences. */
static double s_redundancy(const struct pl_summary_sent *ss, const size_t *picks, size_t npicks,
                           size_t q, double *scratch)
{
    double red = 0;
    for (size_t r = 0; r < npicks; r++) {
        double c = s_cosine(&ss[q], &ss[picks[r]], scratch);
        if (c > red)
            red = c;
    }
    return red;
}

/* The candidate of ss with the best marginal relevance, among those
 * neither picked nor out (ns when none is left). */
static size_t s_best(const struct pl_summary_sent *ss, size_t ns, const unsigned char *out,
                     const size_t *picks, size_t npicks, double lambda, double top, double *scratch)
{
    double best = -1e9;
    size_t bi = ns;
    for (size_t q = 0; q < ns; q++) {
        if (!ss[q].candidate || ss[q].picked || out[q])
            continue;
        double red = lambda < 1 ? s_redundancy(ss, picks, npicks, q, scratch) : 0;
        double rel = top > 0 ? ss[q].score / top : 0;
        double mmr = lambda * rel - (1 - lambda) * red;
        if (mmr > best) {
            best = mmr;
            bi = q;
        }
    }
    return bi;
}

int pl_summary_select(struct pl_summary_sent *ss, size_t ns, size_t want, double lambda,
                      size_t nterms_max, struct pl_summary_keys *ky)
{
    double *scratch = calloc(nterms_max + 1, sizeof(double));
    size_t *picks = malloc((ns + 1) * sizeof(*picks));
    unsigned char *out = calloc(ns + 1, 1); /* restates a pick: never taken */
    int rc = -ENOMEM;
    if (!scratch || !picks || !out)
        goto done;
    size_t npicks = 0;
    for (size_t r = 0; r < ns; r++)
        if (ss[r].picked)
            picks[npicks++] = r;
    /* Scores scaled to [0, 1], so the redundancy term (a cosine) weighs on
     * the same scale. */
    double top = 0;
    for (size_t q = 0; q < ns; q++)
        if (ss[q].candidate && ss[q].score > top)
            top = ss[q].score;
    rc = 0;
    for (size_t got = 0; got < want && rc == 0;) {
        size_t bi = s_best(ss, ns, out, picks, npicks, lambda, top, scratch);
        if (bi == ns)
            break;
        /* Only the winner is tested: a restatement stays one as picks are
         * added, so it is put out for good and the next best tried. */
        rc = s_restates(ss, picks, npicks, bi, ky);
        if (rc == 1) {
            out[bi] = 1;
            rc = 0;
        } else if (rc == 0) {
            ss[bi].picked = 1;
            picks[npicks++] = bi;
            got++;
        }
    }
done:
    free(scratch);
    free(picks);
    free(out);
    return rc;
}
