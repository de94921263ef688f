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
static double s_profile(const struct pl_summary_vocab *v, double *profile)
{
    double norm = 0;
    for (size_t i = 0; i < v->n; i++) {
        profile[i] = v->df[i] > 1 ? log(1.0 + v->df[i]) : 0;
        norm += profile[i] * profile[i];
    }
    return sqrt(norm);
}

/* Cosine of the sentence's term counts with the profile. scratch (one
 * slot per term) is all zero on entry and on return. */
static double s_centrality(const struct pl_summary_sent *se, const double *profile, double norm,
                           double *scratch)
{
    double dot = 0, sn = 0;
    for (size_t i = 0; i < se->nterms; i++)
        scratch[se->terms[i]] += 1;
    for (size_t i = 0; i < se->nterms; i++) {
        long id = se->terms[i];
        if (scratch[id] > 0) { /* each distinct term once */
            dot += scratch[id] * profile[id];
            sn += scratch[id] * scratch[id];
            scratch[id] = 0;
        }
    }
    return (sn > 0 && norm > 0) ? dot / (sqrt(sn) * norm) : 0;
}

/* The mean log(1 + count) of the sentence's terms, over that of the most
 * frequent term of the article (maxdf, at least 1). */
static double s_term_frequency(const struct pl_summary_sent *se, const struct pl_summary_vocab *v,
                               double maxdf)
{
    double tf = 0;
    for (size_t i = 0; i < se->nterms; i++)
        tf += log(1 + v->df[se->terms[i]]);
    return se->nterms ? tf / (double)se->nterms / log(1 + maxdf) : 0;
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

int pl_summary_features(const char *t, struct pl_summary_sent *ss, size_t ns, size_t ncand,
                        const struct pl_summary_vocab *v, const long *title_ids, size_t ntitle)
{
    double *scratch = calloc(v->n + 1, sizeof(double));
    double *profile = calloc(v->n + 1, sizeof(double));
    if (!scratch || !profile) {
        free(scratch);
        free(profile);
        return -ENOMEM;
    }
    double norm = s_profile(v, profile);
    double maxdf = 1;
    for (size_t i = 0; i < v->n; i++)
        if (v->df[i] > maxdf)
            maxdf = v->df[i];
    size_t rank = 0;
    for (size_t s = 0; s < ns; s++) {
        struct pl_summary_sent *se = &ss[s];
        if (!se->candidate)
            continue;
        s_local_features(t, se, rank++, ncand, se->x);
        se->x[PL_SUMMARY_X_CENTRAL] = s_centrality(se, profile, norm, scratch);
        se->x[PL_SUMMARY_X_TITLE] = s_title_overlap(se, title_ids, ntitle);
        se->x[PL_SUMMARY_X_TERMFREQ] = s_term_frequency(se, v, maxdf);
    }
    free(scratch);
    free(profile);
    return 0;
}

double pl_summary_score(const double *w, const double *x)
{
    double z = w[PL_SUMMARY_NF];
    for (int f = 0; f < PL_SUMMARY_NF; f++)
        z += w[f] * x[f];
    return 1.0 / (1.0 + exp(-z));
}
