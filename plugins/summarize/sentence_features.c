/* The summarizer's sentence features and score; see sentence_features.h. */
#include "sentence_features.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "candidates.h"
#include "terms.h"

const char *const pl_summary_feature_names[PL_SUMMARY_NF] = {
    "pos1",
    "pos2",
    "pos3",
    "pos4-5",
    "pos6-10",
    "1/(1+rank)",
    "rank/candidates",
    "centrality",
    "title_overlap",
    "len6-12",
    "len13-25",
    "len26-40",
    "len41+",
    "entity_density",
    "has_number",
    "quote",
    "term_frequency",
    "paragraph_first",
    "dangling_start",
    "centrality_rest",
    "centrality_idf",
    "mean_idf",
    "open*foreign_terms",
    "open*centrality_rest",
};

/* A sentence that opens with a pronoun or a connective leans on the one
 * before it, and reads badly on its own. */
static int s_dangling(const char *p, size_t n)
{
    static const char *const words[] = { "He",    "She",   "It",  "They", "This",    "That",
                                         "These", "Those", "But", "And",  "So",      "His",
                                         "Her",   "Their", "Its", "Also", "However", NULL };
    for (size_t i = 0; words[i]; i++) {
        size_t l = strlen(words[i]);
        if (n > l && memcmp(p, words[i], l) == 0 && !isalnum((unsigned char)p[l]))
            return 1;
    }
    return 0;
}

/* The article's term profile: log(1 + count) per term, 0 for a term seen
 * once (it says nothing about what the article is about). Returns the
 * profile's norm. */
static double s_profile(const struct pl_summary_vocab *v, const double *lg, double *profile)
{
    double norm = 0;
    for (size_t i = 0; i < v->n; i++) {
        profile[i] = v->df[i] > 1 ? lg[(size_t)v->df[i]] : 0;
        norm += profile[i] * profile[i];
    }
    return sqrt(norm);
}

/* What the term features of every sentence are measured against. */
struct profiles {
    const struct pl_summary_vocab *v;
    const double *lg;       /* lg[k] = log(1 + k), k up to the largest count */
    const double *profile;  /* s_profile */
    const double *iprofile; /* the profile times each term's news idf */
    const double *idf;      /* news idf per term */
    double norm, inorm;     /* their norms */
    double norm1;           /* the norm of log(1 + count) over all terms */
    double maxdf;           /* the largest count, at least 1 */
    double *scratch;        /* one slot per term, zero between sentences */
};

/* The features of a sentence's terms, in one pass over its distinct terms:
 * - centrality: the cosine of its term counts with the profile, and the
 *   same with both sides weighed by news idf;
 * - centrality_rest: the cosine with the rest of the article, log(1 +
 *   count) of every term outside the sentence. An aside, or the teaser of
 *   another story placed above the article, shares little with what
 *   follows it, however frequent its few shared words;
 * - term_frequency: the mean log(1 + count) of its terms over that of the
 *   article's most frequent term; mean_idf: their mean news idf over 10.
 * Returns the share of its distinct terms that the rest of the article
 * never uses (0 for a sentence without terms). */
static double s_term_features(const struct pl_summary_sent *se, const struct profiles *p, double *x)
{
    double dot = 0, sn = 0, idot = 0, isn = 0, rdot = 0, rest2 = p->norm1 * p->norm1;
    double tf = 0, idf = 0;
    size_t distinct = 0, recur = 0;
    for (size_t i = 0; i < se->nterms; i++)
        p->scratch[se->terms[i]] += 1;
    for (size_t i = 0; i < se->nterms; i++) {
        long id = se->terms[i];
        double c = p->scratch[id], df = p->v->df[id];
        if (c <= 0)
            continue; /* each distinct term once */
        p->scratch[id] = 0;
        distinct++;
        recur += df > c;
        double all = p->lg[(size_t)df], left = p->lg[(size_t)(df - c)], ci = c * p->idf[id];
        dot += c * p->profile[id];
        sn += c * c;
        idot += ci * p->iprofile[id];
        isn += ci * ci;
        rdot += c * left;
        rest2 += left * left - all * all;
        tf += c * all;
        idf += ci;
    }
    x[PL_SUMMARY_X_CENTRAL] = (sn > 0 && p->norm > 0) ? dot / (sqrt(sn) * p->norm) : 0;
    x[PL_SUMMARY_X_CENTRAL_IDF] = (isn > 0 && p->inorm > 0) ? idot / (sqrt(isn) * p->inorm) : 0;
    x[PL_SUMMARY_X_CENTRAL_REST] = (sn > 0 && rest2 > 1e-12) ? rdot / (sqrt(sn) * sqrt(rest2)) : 0;
    double n = (double)se->nterms;
    x[PL_SUMMARY_X_TERMFREQ] = se->nterms ? tf / n / p->lg[(size_t)p->maxdf] : 0;
    x[PL_SUMMARY_X_IDF] = se->nterms ? idf / n / 10 : 0;
    return distinct ? 1 - (double)recur / (double)distinct : 0;
}

/* The share of the title's terms that the sentence holds. */
static double s_title_overlap(const struct pl_summary_sent *se, const long *title_ids,
                              size_t ntitle)
{
    if (ntitle == 0)
        return 0;
    size_t hit = 0;
    for (size_t q = 0; q < ntitle; q++)
        for (size_t i = 0; i < se->nterms; i++)
            if (se->terms[i] == title_ids[q]) {
                hit++;
                break;
            }
    return (double)hit / (double)ntitle;
}

/* The features that need nothing but the sentence and its rank among the
 * ncand candidates. */
static void s_local_features(const char *t, const struct pl_summary_sent *se, size_t rank,
                             size_t ncand, double *x)
{
    const char *p = t + se->start;
    x[PL_SUMMARY_X_POS1] = rank == 0;
    x[PL_SUMMARY_X_POS2] = rank == 1;
    x[PL_SUMMARY_X_POS3] = rank == 2;
    x[PL_SUMMARY_X_POS45] = rank == 3 || rank == 4;
    x[PL_SUMMARY_X_POS610] = rank >= 5 && rank <= 9;
    x[PL_SUMMARY_X_POSINV] = 1.0 / (1.0 + (double)rank);
    x[PL_SUMMARY_X_POSREL] = (double)rank / (double)ncand;
    x[PL_SUMMARY_X_LEN_SHORT] = se->words <= 12;
    x[PL_SUMMARY_X_LEN_MID] = se->words >= 13 && se->words <= 25;
    x[PL_SUMMARY_X_LEN_LONG] = se->words >= 26 && se->words <= 40;
    x[PL_SUMMARY_X_LEN_VLONG] = se->words > 40;
    x[PL_SUMMARY_X_ENTITIES] =
        se->words ? fmin(1.0, (double)se->mentions / (double)se->words * 4) : 0;
    x[PL_SUMMARY_X_NUMBER] = se->number != 0;
    x[PL_SUMMARY_X_QUOTE] = strncmp(p, "\xe2\x80\x9c", 3) == 0 || *p == '"' ||
                            memchr(p, '"', se->end - se->start) != NULL;
    x[PL_SUMMARY_X_PARA_FIRST] = se->para_first;
    x[PL_SUMMARY_X_DANGLING] = s_dangling(p, se->end - se->start);
}

/* What a linear score cannot say by itself: the weight of what a sentence
 * shares with the rest of the article depends on where it stands. The
 * first candidate is usually the lead, so its position weighs most; but
 * the teaser of another story put above the article stands there too, and
 * shares little with what follows. These products let the scorer take the
 * first place's bonus back from a sentence the article does not take up. */
static void s_opening_features(double foreign, double *x)
{
    double first = x[PL_SUMMARY_X_POS1];
    x[PL_SUMMARY_X_OPEN_FOREIGN] = first * foreign;
    x[PL_SUMMARY_X_OPEN_REST] = first * x[PL_SUMMARY_X_CENTRAL_REST];
}

int pl_summary_features(const char *t, struct pl_summary_sent *ss, size_t ns, size_t ncand,
                        const struct pl_summary_vocab *v, const double *idf, const long *title_ids,
                        size_t ntitle)
{
    double maxdf = 1;
    for (size_t i = 0; i < v->n; i++)
        maxdf = v->df[i] > maxdf ? v->df[i] : maxdf;
    double *scratch = calloc(v->n + 1, sizeof(double));
    double *profile = calloc(v->n + 1, sizeof(double));
    double *iprofile = calloc(v->n + 1, sizeof(double));
    double *lg = malloc(((size_t)maxdf + 1) * sizeof(double));
    int rc = -ENOMEM;
    if (!scratch || !profile || !iprofile || !lg)
        goto out;
    for (size_t k = 0; k <= (size_t)maxdf; k++)
        lg[k] = log1p((double)k);
    struct profiles p = { .v = v,
                          .lg = lg,
                          .profile = profile,
                          .iprofile = iprofile,
                          .idf = idf,
                          .maxdf = maxdf,
                          .scratch = scratch };
    p.norm = s_profile(v, lg, profile);
    for (size_t i = 0; i < v->n; i++) {
        p.norm1 += lg[(size_t)v->df[i]] * lg[(size_t)v->df[i]];
        iprofile[i] = profile[i] * idf[i];
        p.inorm += iprofile[i] * iprofile[i];
    }
    p.inorm = sqrt(p.inorm);
    p.norm1 = sqrt(p.norm1);
    size_t rank = 0;
    for (size_t s = 0; s < ns; s++) {
        struct pl_summary_sent *se = &ss[s];
        if (!se->candidate)
            continue;
        s_local_features(t, se, rank++, ncand, se->x);
        double foreign = s_term_features(se, &p, se->x);
        se->x[PL_SUMMARY_X_TITLE] = s_title_overlap(se, title_ids, ntitle);
        s_opening_features(foreign, se->x);
    }
    rc = 0;
out:
    free(scratch);
    free(profile);
    free(iprofile);
    free(lg);
    return rc;
}

double pl_summary_score(const double *w, const double *x)
{
    double z = w[PL_SUMMARY_NF];
    for (int f = 0; f < PL_SUMMARY_NF; f++)
        z += w[f] * x[f];
    return 1.0 / (1.0 + exp(-z));
}
