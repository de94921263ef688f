/* The summarizer's selection; see select.h. */
#include "select.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "candidates.h"

/* A candidate this close to a picked sentence is a restatement. */
#define PL_SUMMARY_NEAR_REPEAT 0.6

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

int pl_summary_select(struct pl_summary_sent *ss, size_t ns, size_t want, double lambda,
                      size_t nterms_max)
{
    double *scratch = calloc(nterms_max + 1, sizeof(double));
    size_t *picks = malloc((ns + 1) * sizeof(*picks));
    if (!scratch || !picks) {
        free(scratch);
        free(picks);
        return -ENOMEM;
    }
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
    for (size_t got = 0; got < want; got++) {
        double best = -1e9;
        size_t bi = ns;
        for (size_t q = 0; q < ns; q++) {
            if (!ss[q].candidate || ss[q].picked)
                continue;
            double red = s_redundancy(ss, picks, npicks, q, scratch);
            if (red >= PL_SUMMARY_NEAR_REPEAT)
                continue;
            double rel = top > 0 ? ss[q].score / top : 0;
            double mmr = lambda * rel - (1 - lambda) * red;
            if (mmr > best) {
                best = mmr;
                bi = q;
            }
        }
        if (bi == ns)
            break;
        ss[bi].picked = 1;
        picks[npicks++] = bi;
    }
    free(scratch);
    free(picks);
    return 0;
}
