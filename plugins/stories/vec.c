/* TF-IDF term vectors; see vec.h. */
#include "vec.h"

#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keywords.h"
#include "terms.h"
#include "text.h"

static int s_by_weight(const void *x, const void *y)
{
    const struct pl_term *a = x, *b = y;
    if (a->w != b->w)
        return a->w < b->w ? 1 : -1;
    return strcmp(a->t, b->t);
}

static int s_by_term(const void *x, const void *y)
{
    const struct pl_term *a = x, *b = y;
    return strcmp(a->t, b->t);
}

static void s_swap(struct pl_term *a, struct pl_term *b)
{
    struct pl_term t = *a;
    *a = *b;
    *b = t;
}

/* Moves the k first of v[0..n) in s_by_weight's order (a total order:
 * ties go by term) to the front, in no order: Hoare's selection, linear on
 * average, where a full sort of an article's few hundred terms was the
 * stage's largest cost after SQLite. */
static void s_select(struct pl_term *v, int n, int k)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        s_swap(&v[lo + (hi - lo) / 2], &v[hi]);
        int store = lo;
        for (int i = lo; i < hi; i++)
            if (s_by_weight(&v[i], &v[hi]) < 0)
                s_swap(&v[i], &v[store++]);
        s_swap(&v[store], &v[hi]);
        if (store == k - 1 || store == k)
            return;
        if (store < k)
            lo = store + 1;
        else
            hi = store - 1;
    }
}

/* Keeps the `keep` heaviest of v[0..n), sorted by term; returns the count.
 * The same set as a full sort by weight would keep, since the order is
 * total. */
static int s_keep(struct pl_term *v, int n, int keep)
{
    if (n > keep) {
        s_select(v, n, keep);
        n = keep;
    }
    qsort(v, (size_t)n, sizeof(*v), s_by_term);
    return n;
}

/* Counts the text's terms into the vocabulary, each `weight` times. */
static int s_count(struct pl_summary_vocab *voc, double *tf, size_t *ntf, const char *s, size_t len,
                   double weight)
{
    struct pl_tokens tk = { 0 };
    long *ids = NULL;
    int rc = pl_tokenize(s, len, &tk);
    if (rc == 0 && !(ids = malloc((tk.n + 1) * sizeof(*ids))))
        rc = -ENOMEM;
    size_t before = voc->n;
    double *old = NULL;
    if (rc == 0 && voc->n) {
        /* The vocabulary counts occurrences in df; keep ours apart. */
        old = malloc(voc->n * sizeof(*old));
        if (!old)
            rc = -ENOMEM;
        else
            memcpy(old, voc->df, voc->n * sizeof(*old));
    }
    if (rc == 0)
        rc = pl_summary_text_terms(s, &tk, voc, ids);
    for (size_t i = 0; rc == 0 && i < voc->n && i < *ntf; i++)
        tf[i] += weight * (voc->df[i] - (i < before && old ? old[i] : 0));
    free(old);
    free(ids);
    free(tk.v);
    return rc;
}

/* Article terms from title and body, tf (1 + ln count of the weighted
 * count) times idf, into out; returns the count or -ENOMEM. */
static int s_word_terms(const char *title, const char *text, size_t len,
                        const struct pl_vec_weights *wt, struct pl_term **out, bool *cut)
{
    struct pl_summary_vocab voc = { 0 };
    double *tf = NULL;
    size_t cap = len / 3 + (title ? strlen(title) : 0) + 16;
    int rc = pl_summary_vocab_init(&voc, cap);
    if (rc == 0 && !(tf = calloc(cap * 2 + 64, sizeof(*tf))))
        rc = -ENOMEM;
    size_t ntf = cap * 2 + 64;
    if (rc == 0)
        rc = s_count(&voc, tf, &ntf, text, len, wt->body);
    if (rc == 0 && title)
        rc = s_count(&voc, tf, &ntf, title, strlen(title), wt->title);
    struct pl_term *v = NULL;
    int n = 0;
    if (rc == 0 && !(v = calloc(voc.n + 1, sizeof(*v))))
        rc = -ENOMEM;
    for (size_t i = 0; rc == 0 && i < voc.n && i < ntf; i++) {
        if (tf[i] <= 0)
            continue;
        /* A word cut to PL_TERM_MAX may equal another cut one. */
        if (snprintf(v[n].t, sizeof(v[n].t), "%s", voc.w[i]) >= (int)sizeof(v[n].t))
            *cut = true;
        v[n].w = (1.0 + log(tf[i])) * pl_kw_idf(voc.w[i]);
        if (v[n].w > 0)
            n++;
    }
    free(tf);
    pl_summary_vocab_free(&voc);
    if (rc != 0) {
        free(v);
        return rc;
    }
    *out = v;
    return n;
}

static double s_entity_idf(void)
{
    return pl_kw_idf("");
}

int pl_vec_article(const char *title, const char *text, size_t len, const cJSON *entities,
                   const struct pl_vec_weights *wt, struct pl_vec *v)
{
    struct pl_term *w = NULL;
    bool cut = false;
    int n = s_word_terms(title, text, len, wt, &w, &cut);
    if (n < 0)
        return n;
    int words = cut ? 0 : n;
    int ne = cJSON_GetArraySize(entities);
    struct pl_term *all = realloc(w, (size_t)(n + ne + 1) * sizeof(*all));
    if (!all) {
        free(w);
        return -ENOMEM;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, entities)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "text");
        const cJSON *ty = cJSON_GetObjectItemCaseSensitive(e, "type");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "count");
        if (!cJSON_IsString(t) || !cJSON_IsString(ty) || strcmp(ty->valuestring, "DATE") == 0)
            continue;
        char low[PL_TERM_MAX - 1];
        pl_lower(t->valuestring, strlen(t->valuestring), low, sizeof(low));
        snprintf(all[n].t, sizeof(all[n].t), "@%s", low);
        double cnt = cJSON_IsNumber(c) && c->valuedouble > 0 ? c->valuedouble : 1;
        /* An entity is rarer than any word of the table: its idf is the
         * table's largest. */
        all[n].w = wt->entity * (1.0 + log(cnt)) * s_entity_idf();
        n++;
    }
    /* Merge equal entity terms (two entities lower-cased alike). Only
     * they can be equal: the word terms are a vocabulary's, each once, and
     * never begin with '@' (unless two long words were cut alike: then
     * all are merged). */
    qsort(all + words, (size_t)(n - words), sizeof(*all), s_by_term);
    int m = words;
    for (int i = words; i < n; i++) {
        if (m > words && strcmp(all[m - 1].t, all[i].t) == 0)
            all[m - 1].w += all[i].w;
        else
            all[m++] = all[i];
    }
    m = s_keep(all, m, PL_VEC_ARTICLE);
    double norm = 0;
    for (int i = 0; i < m; i++)
        norm += all[i].w * all[i].w;
    norm = norm > 0 ? sqrt(norm) : 1;
    for (int i = 0; i < m; i++) {
        v->v[i] = all[i];
        v->v[i].w /= norm;
    }
    v->n = m;
    free(all);
    return 0;
}

double pl_vec_cos(const struct pl_vec *a, const struct pl_vec *b)
{
    double dot = 0, na = 0, nb = 0;
    for (int i = 0; i < a->n; i++)
        na += a->v[i].w * a->v[i].w;
    for (int j = 0; j < b->n; j++)
        nb += b->v[j].w * b->v[j].w;
    for (int i = 0, j = 0; i < a->n && j < b->n;) {
        int c = strcmp(a->v[i].t, b->v[j].t);
        if (c == 0)
            dot += a->v[i++].w * b->v[j++].w;
        else if (c < 0)
            i++;
        else
            j++;
    }
    return na > 0 && nb > 0 ? dot / sqrt(na * nb) : 0;
}

void pl_vec_add(struct pl_vec *c, const struct pl_vec *a)
{
    struct pl_term m[PL_VEC_STORY + PL_VEC_STORY];
    int n = 0, i = 0, j = 0;
    while (i < c->n || j < a->n) {
        int cmp = i == c->n ? 1 : j == a->n ? -1 : strcmp(c->v[i].t, a->v[j].t);
        if (cmp == 0) {
            m[n] = c->v[i++];
            m[n++].w += a->v[j++].w;
        } else if (cmp < 0) {
            m[n++] = c->v[i++];
        } else {
            m[n++] = a->v[j++];
        }
    }
    n = s_keep(m, n, PL_VEC_STORY);
    memcpy(c->v, m, (size_t)n * sizeof(*m));
    c->n = n;
}

int pl_vec_top(const struct pl_vec *v, int k, int *idx)
{
    int n = 0;
    for (int i = 0; i < v->n && k > 0; i++) {
        int at;
        if (n < k)
            at = n++;
        else if (v->v[i].w > v->v[idx[k - 1]].w)
            at = k - 1;
        else
            continue;
        idx[at] = i;
        /* Insertion keeps idx sorted heaviest first. */
        while (at > 0 && v->v[idx[at]].w > v->v[idx[at - 1]].w) {
            int t = idx[at];
            idx[at] = idx[at - 1];
            idx[at - 1] = t;
            at--;
        }
    }
    return n;
}
