/*
 * pl_train_keywords: the summarize plugin's keyphrase tables.
 *
 *   pl_train_keywords --df OUT.h [--min-df N] < news.txt
 *     Document frequencies of the summarizer's terms (terms.h: lower-cased,
 *     lightly stemmed content words) over unlabeled text, one article a
 *     line, written as the sorted table kw_df.h (terms in at least N
 *     articles, 5 by default). The text is only read, never copied.
 *
 *   pl_train_keywords --dir DIR --out keyword_weights.h --prior kw_prior.h
 *                     [--folds K]
 *     The keyphrase scorer, on a folder in the 500N-KPCrowd layout. Each
 *     story goes through the real pipeline (clean, entities, summarize with
 *     "keyword_features": true), so the candidates and their features are
 *     exactly the plugin's; a candidate's label is 1 when its normal form
 *     (keyphrase.h's matcher) is one of the story's key phrases. The scorer
 *     is logistic regression with an L2 penalty, fitted by full-batch
 *     gradient descent (deterministic). Cross-validation: the stories are
 *     split into K folds by pl_site_fold of their names, as `pressline eval
 *     keywords --cv K` splits them, so the baselines' figures there are on
 *     the same folds; each fold is run through the plugin with weights
 *     and a keyphraseness table (the share of stories holding a candidate
 *     key whose annotators chose it) from the other folds only, and P/R/F1
 *     at 5 and 10 of those held-out keyphrases are printed per fold and
 *     over all stories. While fitting, a training story's keyphraseness
 *     comes from the other training stories, as a new story's would. The
 *     weights and table written are then from all stories. --misses FILE
 *     writes the key phrases no candidate matches ("story<TAB>normal
 *     form" a line) and says on stderr how many of all they are: what no
 *     scorer can reach.
 *
 * Main thread; exits with 1 on a failure (said on stderr).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "errcode.h"
#include "eval_extract.h"
#include "folds.h"
#include "keyphrase.h"
#include "keywords.h"
#include "pipeline.h"
#include "terms.h"
#include "text.h"

#define NF PL_KW_NF
/* Gradient-descent steps of the scorer's fit. */
#define ITERS 3000

struct story {
    char *name, *text;
    size_t len;
    struct pl_kp_set gold;
    unsigned fold;
    size_t nx;  /* candidates */
    double *x;  /* nx * NF features */
    uint8_t *y; /* 1: the candidate is a key phrase */
    long *kid;  /* each candidate's key, as an id in s_keys */
};

/* Every candidate key of every story (keywords.h), interned. */
static struct pl_kp_vocab s_keys;

/* The keyphraseness table rests on keys found in at least this many
 * stories (besides the one scored), and smooths each share towards the
 * base rate with the weight of PRIOR_SMOOTH stories. */
#define PRIOR_MIN 2
#define PRIOR_SMOOTH 2.0
#define F_SHARE 26
#define F_COUNT 27

static void *s_xalloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "pl_train_keywords: out of memory\n");
        exit(1);
    }
    return q;
}

/* Reads path whole (NUL-terminated, caller frees), or NULL. */
static char *s_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = NULL;
    size_t n = 0, got;
    char chunk[65536];
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        b = s_xalloc(b, n + got + 1);
        memcpy(b + n, chunk, got);
        n += got;
    }
    fclose(f);
    b = s_xalloc(b, n + 1);
    b[n] = 0;
    *len = n;
    return b;
}

/* ---- --df: document frequencies over unlabeled text ---- */

struct df_entry {
    const char *w;
    uint32_t df;
};

static int s_cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct df_entry *)a)->w, ((const struct df_entry *)b)->w);
}

/* Counts each article's terms once into v and df. */
static void s_count_article(const char *line, size_t len, struct pl_kp_vocab *v, uint32_t **df,
                            size_t *cap)
{
    struct pl_tokens k = { 0 };
    struct pl_summary_vocab sv = { 0 };
    if (pl_tokenize(line, len, &k) != 0 || pl_summary_vocab_init(&sv, k.n / 2 + 16) != 0) {
        fprintf(stderr, "pl_train_keywords: out of memory\n");
        exit(1);
    }
    long *ids = s_xalloc(NULL, (k.n + 1) * sizeof(*ids));
    if (pl_summary_text_terms(line, &k, &sv, ids) != 0)
        exit(1);
    for (size_t t = 0; t < sv.n; t++) {
        long id = pl_kp_vocab_id(v, sv.w[t], strlen(sv.w[t]));
        if (id < 0)
            exit(1);
        if ((size_t)id >= *cap) {
            size_t nc = *cap ? *cap * 2 : 65536;
            *df = s_xalloc(*df, nc * sizeof(**df));
            memset(*df + *cap, 0, (nc - *cap) * sizeof(**df));
            *cap = nc;
        }
        (*df)[id]++;
    }
    free(ids);
    free(k.v);
    pl_summary_vocab_free(&sv);
}

/* Writes the table of terms in at least min_df articles as a C header. */
static int s_write_df(const char *out, struct pl_kp_vocab *v, const uint32_t *df, size_t docs,
                      unsigned min_df)
{
    struct df_entry *e = s_xalloc(NULL, (v->n + 1) * sizeof(*e));
    size_t n = 0;
    for (size_t i = 0; i < v->n; i++)
        if (df[i] >= min_df && !strpbrk(v->words[i], "\"\\"))
            e[n++] = (struct df_entry){ v->words[i], df[i] };
    qsort(e, n, sizeof(*e), s_cmp_entry);
    FILE *f = fopen(out, "w");
    if (!f) {
        fprintf(stderr, "pl_train_keywords: cannot write %s\n", out);
        return 1;
    }
    fprintf(f,
            "/* Written by eval/train_keywords.c --df (tools/train-keywords.sh); do not edit.\n"
            " * Document frequencies of the summarizer's terms over %zu unlabeled news\n"
            " * articles (../shared/data/unlabeled), terms in at least %u of them,\n"
            " * sorted by strcmp for a binary search. */\n"
            "#define PL_KW_DF_DOCS %zu\n"
            "static const struct {\n    const char *w;\n    unsigned df;\n} pl_kw_df[] = {\n",
            docs, min_df, docs);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "    { \"%s\", %u },\n", e[i].w, e[i].df);
    fprintf(f, "};\n");
    free(e);
    if (fclose(f) != 0)
        return 1;
    fprintf(stderr, "%zu articles, %zu terms, %zu in the table\n", docs, v->n, n);
    return 0;
}

static int s_df_main(const char *out, unsigned min_df)
{
    struct pl_kp_vocab v = { 0 };
    uint32_t *df = NULL;
    size_t cap = 0, docs = 0, lcap = 0;
    char *line = NULL;
    ssize_t len;
    while ((len = getline(&line, &lcap, stdin)) > 0) {
        s_count_article(line, (size_t)len, &v, &df, &cap);
        docs++;
    }
    free(line);
    int rc = docs ? s_write_df(out, &v, df, docs, min_df) : 1;
    if (!docs)
        fprintf(stderr, "pl_train_keywords: no article on standard input\n");
    free(df);
    pl_kp_vocab_free(&v);
    return rc;
}

/* ---- --dir: the scorer ---- */

static int s_cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The stories of dir that have keys, sorted by name. */
static struct story *s_load(const char *dir, struct pl_kp_norm *norm, unsigned folds, size_t *n)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/docsutf8", dir);
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "pl_train_keywords: cannot open %s\n", path);
        exit(1);
    }
    char **names = NULL;
    size_t nn = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l <= 4 || strcmp(de->d_name + l - 4, ".txt") != 0)
            continue;
        names = s_xalloc(names, (nn + 1) * sizeof(*names));
        names[nn++] = strndup(de->d_name, l - 4);
    }
    closedir(d);
    qsort(names, nn, sizeof(*names), s_cmp_name);
    struct story *s = s_xalloc(NULL, (nn + 1) * sizeof(*s));
    *n = 0;
    for (size_t i = 0; i < nn; i++) {
        size_t klen;
        snprintf(path, sizeof(path), "%s/keys/%s.key", dir, names[i]);
        char *keys = s_slurp(path, &klen);
        snprintf(path, sizeof(path), "%s/docsutf8/%s.txt", dir, names[i]);
        struct story *st = &s[*n];
        memset(st, 0, sizeof(*st));
        st->text = keys ? s_slurp(path, &st->len) : NULL;
        if (!st->text) {
            free(keys);
            free(names[i]);
            continue;
        }
        for (char *save = NULL, *l = strtok_r(keys, "\r\n", &save); l;
             l = strtok_r(NULL, "\r\n", &save))
            if (pl_kp_set_add(&st->gold, norm, l, strlen(l)) != 0)
                exit(1);
        free(keys);
        st->name = names[i];
        st->fold = pl_site_fold(st->name, folds);
        (*n)++;
    }
    free(names);
    return s;
}

/* Sets the summarize stage's options in cfg. */
static int s_set_options(struct pl_config *cfg, const char *json)
{
    int rc = pl_config_set_stage_options(cfg, "summarize", json);
    if (rc == PL_ECONFIG)
        fprintf(stderr, "pl_train_keywords: the configuration has no summarize stage\n");
    return rc;
}

/* Runs the pipeline on one story; the result (caller deletes) or NULL. */
static cJSON *s_run(struct pl_pipeline *p, const struct story *s)
{
    char *out = NULL;
    size_t len = 0;
    int is_err = 0;
    if (pl_pipeline_buffer(p, s->name, s->text, s->len, 1, &out, &len, &is_err) != 0)
        exit(1);
    cJSON *res = is_err ? NULL : cJSON_ParseWithLength(out, len);
    if (is_err)
        fprintf(stderr, "pl_train_keywords: %s failed in the pipeline\n", s->name);
    free(out);
    return res;
}

/* --misses: where the candidates' normal forms are noted, to list the
 * story's key phrases none of them matches (NULL: not asked). */
static FILE *s_misses;

/* Writes to s_misses the key phrases of st that no candidate form in
 * forms matches, one "story<TAB>form" a line, and adds to *missed and
 * *keys how many were missed of how many. */
static void s_note_misses(const struct story *st, const struct pl_kp_vocab *forms, size_t *missed,
                          size_t *keys)
{
    for (size_t g = 0; g < st->gold.v.n; g++) {
        const char *w = st->gold.v.words[g];
        (*keys)++;
        if (pl_kp_vocab_find(forms, w, strlen(w)) >= 0)
            continue;
        (*missed)++;
        fprintf(s_misses, "%s\t%s\n", st->name, w);
    }
}

/* Every story's candidates, features and labels. */
static int s_features(struct pl_config *cfg, struct pl_kp_norm *norm, struct story *s, size_t n)
{
    char err[1024];
    struct pl_pipeline p = { 0 };
    if (s_set_options(cfg, "{\"keyword_features\":true,\"keywords\":0}") != 0 ||
        pl_pipeline_open(&p, cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "pl_train_keywords: %s\n", err);
        return 1;
    }
    size_t cands = 0, pos = 0, missed = 0, keys = 0;
    for (size_t i = 0; i < n; i++) {
        struct pl_kp_vocab forms = { 0 };
        cJSON *res = s_run(&p, &s[i]);
        const cJSON *kf = cJSON_GetObjectItemCaseSensitive(res, "keyword_features"), *c;
        size_t m = (size_t)cJSON_GetArraySize(kf);
        s[i].x = s_xalloc(NULL, (m + 1) * NF * sizeof(double));
        s[i].y = s_xalloc(NULL, m + 1);
        s[i].kid = s_xalloc(NULL, (m + 1) * sizeof(long));
        cJSON_ArrayForEach(c, kf)
        {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "text");
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(c, "x");
            char form[1024];
            size_t fl =
                pl_kp_normalize(norm, t->valuestring, strlen(t->valuestring), form, sizeof(form));
            const char *key = cJSON_GetObjectItemCaseSensitive(c, "key")->valuestring;
            size_t q = s[i].nx++;
            s[i].kid[q] = pl_kp_vocab_id(&s_keys, key, strlen(key));
            if (s[i].kid[q] < 0)
                exit(1);
            s[i].y[q] = fl && pl_kp_vocab_find(&s[i].gold.v, form, fl) >= 0;
            if (s_misses && fl && pl_kp_vocab_id(&forms, form, fl) < 0)
                exit(1);
            for (int f = 0; f < NF; f++)
                s[i].x[q * NF + (size_t)f] = cJSON_GetArrayItem(x, f)->valuedouble;
            pos += s[i].y[q];
        }
        cands += s[i].nx;
        if (s_misses)
            s_note_misses(&s[i], &forms, &missed, &keys);
        pl_kp_vocab_free(&forms);
        cJSON_Delete(res);
    }
    pl_pipeline_close(&p);
    fprintf(stderr, "%zu stories, %zu candidates, %zu of them key phrases\n", n, cands, pos);
    if (s_misses)
        fprintf(stderr, "key phrases no candidate matches: %zu of %zu (%.1f%%)\n", missed, keys,
                keys ? 100.0 * (double)missed / (double)keys : 0);
    return cands ? 0 : 1;
}

/* Stories holding each key as a candidate (cnt) and as a key phrase
 * (pos), over the stories with fold != skip; the base rate into *p0. */
static void s_key_counts(const struct story *s, size_t n, int skip, double *pos, double *cnt,
                         double *p0)
{
    double all = 0, yes = 0;
    memset(pos, 0, (s_keys.n + 1) * sizeof(double));
    memset(cnt, 0, (s_keys.n + 1) * sizeof(double));
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; (int)s[i].fold != skip && c < s[i].nx; c++) {
            cnt[s[i].kid[c]]++;
            pos[s[i].kid[c]] += s[i].y[c];
            all++;
            yes += s[i].y[c];
        }
    *p0 = all ? yes / all : 0;
}

/* The keyphraseness features of the training candidates (fold != skip),
 * each from the other training stories only, as the plugin will compute
 * them for a story that is in none. */
static void s_prior_features(struct story *s, size_t n, int skip, const double *pos,
                             const double *cnt, double p0)
{
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; (int)s[i].fold != skip && c < s[i].nx; c++) {
            long k = s[i].kid[c];
            double ct = cnt[k] - 1, ps = pos[k] - s[i].y[c];
            double *x = s[i].x + c * NF;
            x[F_SHARE] = ct >= PRIOR_MIN ? (ps + PRIOR_SMOOTH * p0) / (ct + PRIOR_SMOOTH) : 0;
            x[F_COUNT] = ct >= PRIOR_MIN ? log1p(ct) / 5 : 0;
        }
}

/* The table as the plugin's option "keyword_prior": {key: [share, count]}. */
static cJSON *s_prior_json(const double *pos, const double *cnt, double p0)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t k = 0; o && k < s_keys.n; k++) {
        if (cnt[k] < PRIOR_MIN)
            continue;
        double v[2] = { (pos[k] + PRIOR_SMOOTH * p0) / (cnt[k] + PRIOR_SMOOTH), cnt[k] };
        cJSON_AddItemToObject(o, s_keys.words[k], cJSON_CreateDoubleArray(v, 2));
    }
    return o;
}

static int s_cmp_key(const void *a, const void *b)
{
    return strcmp(s_keys.words[*(const size_t *)a], s_keys.words[*(const size_t *)b]);
}

/* The table of all stories as kw_prior.h. */
static int s_write_prior(const char *out, const double *pos, const double *cnt, double p0,
                         size_t stories)
{
    size_t *ord = s_xalloc(NULL, (s_keys.n + 1) * sizeof(size_t)), m = 0;
    for (size_t k = 0; k < s_keys.n; k++)
        if (cnt[k] >= PRIOR_MIN && !strpbrk(s_keys.words[k], "\"\\"))
            ord[m++] = k;
    qsort(ord, m, sizeof(*ord), s_cmp_key);
    FILE *f = fopen(out, "w");
    if (!f) {
        fprintf(stderr, "pl_train_keywords: cannot write %s\n", out);
        free(ord);
        return 1;
    }
    fprintf(f,
            "/* Written by eval/train_keywords.c (tools/train-keywords.sh); do not edit.\n"
            " * Keyphraseness on the %zu stories of the 500N-KPCrowd dev half: for each\n"
            " * candidate key found in at least %d of them, the share whose annotators\n"
            " * chose it (smoothed towards the base rate %.4f) and the count. */\n"
            "static const struct {\n    const char *key;\n    double share;\n"
            "    unsigned count;\n} pl_kw_prior[] = {\n",
            stories, PRIOR_MIN, p0);
    for (size_t q = 0; q < m; q++) {
        size_t k = ord[q];
        fprintf(f, "    { \"%s\", %.4f, %.0f },\n", s_keys.words[k],
                (pos[k] + PRIOR_SMOOTH * p0) / (cnt[k] + PRIOR_SMOOTH), cnt[k]);
    }
    fprintf(f, "};\n");
    free(ord);
    return fclose(f) != 0;
}

/* Logistic regression on the stories with fold != skip (skip < 0: all),
 * fitted by full-batch gradient descent on standardised features (each
 * feature's mean and deviation over those candidates), then written back
 * as weights of the raw features. */
static void s_fit(const struct story *s, size_t n, int skip, double *w)
{
    double g[NF + 1], mu[NF] = { 0 }, sd[NF] = { 0 }, v[NF + 1] = { 0 };
    const double lr = 2.0, l2 = 1e-4;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; (int)s[i].fold != skip && c < s[i].nx; c++, m++)
            for (int f = 0; f < NF; f++)
                mu[f] += s[i].x[c * NF + (size_t)f];
    for (int f = 0; f < NF; f++)
        mu[f] /= (double)m;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; (int)s[i].fold != skip && c < s[i].nx; c++)
            for (int f = 0; f < NF; f++) {
                double d = s[i].x[c * NF + (size_t)f] - mu[f];
                sd[f] += d * d;
            }
    for (int f = 0; f < NF; f++)
        sd[f] = sd[f] > 0 ? sqrt(sd[f] / (double)m) : 1;
    for (int it = 0; it < ITERS; it++) {
        memset(g, 0, sizeof(g));
        for (size_t i = 0; i < n; i++) {
            for (size_t c = 0; (int)s[i].fold != skip && c < s[i].nx; c++) {
                double z = v[NF], x[NF];
                for (int f = 0; f < NF; f++) {
                    x[f] = (s[i].x[c * NF + (size_t)f] - mu[f]) / sd[f];
                    z += v[f] * x[f];
                }
                double e = 1 / (1 + exp(-z)) - s[i].y[c];
                for (int f = 0; f < NF; f++)
                    g[f] += e * x[f];
                g[NF] += e;
            }
        }
        for (int f = 0; f <= NF; f++)
            v[f] -= lr * (g[f] / (double)m + (f < NF ? l2 * v[f] : 0));
    }
    w[NF] = v[NF];
    for (int f = 0; f < NF; f++) {
        w[f] = v[f] / sd[f];
        w[NF] -= w[f] * mu[f];
    }
}

struct sums {
    double p[2], r[2], f[2];
    size_t n;
};

/* Runs the stories of fold k through the plugin with weights w and adds
 * their P/R/F1 at 5 and 10 to fs and all. */
static int s_held_out(struct pl_config *cfg, struct pl_kp_norm *norm, const struct story *s,
                      size_t n, unsigned k, const double *w, cJSON *prior, struct sums *fs,
                      struct sums *all)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "keyword_prior", prior);
    cJSON_AddItemToObject(o, "keyword_weights", cJSON_CreateDoubleArray(w, NF + 1));
    char *opt = cJSON_PrintUnformatted(o), err[1024];
    cJSON_Delete(o);
    struct pl_pipeline p = { 0 };
    if (!opt || s_set_options(cfg, opt) != 0 || pl_pipeline_open(&p, cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "pl_train_keywords: %s\n", err);
        free(opt);
        return 1;
    }
    free(opt);
    for (size_t i = 0; i < n; i++) {
        if (s[i].fold != k)
            continue;
        cJSON *res = s_run(&p, &s[i]);
        const cJSON *kw;
        struct pl_kp_set pred = { 0 };
        cJSON_ArrayForEach(kw, cJSON_GetObjectItemCaseSensitive(res, "keywords"))
        {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(kw, "text");
            if (cJSON_IsString(t) && pred.v.n < 10 &&
                pl_kp_set_add(&pred, norm, t->valuestring, strlen(t->valuestring)) != 0)
                exit(1);
        }
        for (int a = 0; a < 2; a++) {
            struct pl_kp_prf x = pl_kp_at(&pred, &s[i].gold, a ? 10 : 5);
            fs->p[a] += x.p, fs->r[a] += x.r, fs->f[a] += x.f;
            all->p[a] += x.p, all->r[a] += x.r, all->f[a] += x.f;
        }
        fs->n++;
        all->n++;
        pl_kp_set_free(&pred);
        cJSON_Delete(res);
    }
    pl_pipeline_close(&p);
    return 0;
}

static void s_print_row(const char *label, const struct sums *m)
{
    double n = m->n ? (double)m->n : 1;
    printf("%-12s %4zu %6.3f %6.3f %6.3f %6.3f %6.3f %6.3f\n", label, m->n, m->p[0] / n,
           m->r[0] / n, m->f[0] / n, m->p[1] / n, m->r[1] / n, m->f[1] / n);
}

static int s_write_weights(const char *out, const double *w, unsigned folds, const struct sums *a)
{
    FILE *f = fopen(out, "w");
    if (!f) {
        fprintf(stderr, "pl_train_keywords: cannot write %s\n", out);
        return 1;
    }
    double n = a->n ? (double)a->n : 1;
    fprintf(f,
            "/* Written by eval/train_keywords.c (tools/train-keywords.sh); do not edit.\n"
            " * Trained on the 500N-KPCrowd dev half; held-out %u-fold F1@5 %.3f, F1@10\n"
            " * %.3f. One weight per feature of keywords.c, then the bias. */\n"
            "static const double pl_kw_weights[] = {\n",
            folds, a->f[0] / n, a->f[1] / n);
    /* The comments aligned one space after the longest number, as
     * clang-format lays them out, so that the file passes check-style. */
    char num[NF + 1][32];
    int wide = 0;
    for (int i = 0; i <= NF; i++) {
        int l = snprintf(num[i], sizeof(num[i]), "%.6f,", w[i]);
        wide = l > wide ? l : wide;
    }
    for (int i = 0; i <= NF; i++)
        fprintf(f, "    %-*s /* %s */\n", wide, num[i], i < NF ? pl_kw_feature_names[i] : "bias");
    fprintf(f, "};\n");
    return fclose(f) != 0;
}

static int s_dir_main(const char *dir, const char *out, const char *prior_out, unsigned folds)
{
    struct pl_kp_norm *norm = NULL;
    char err[1024] = "";
    struct pl_config *cfg = NULL;
    if (pl_kp_norm_new(&norm) != 0 || pl_config_load(NULL, NULL, &cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "pl_train_keywords: %s\n", err[0] ? err : "no porter stemmer");
        return 1;
    }
    size_t n = 0;
    struct story *s = s_load(dir, norm, folds, &n);
    if (n == 0 || s_features(cfg, norm, s, n) != 0) {
        fprintf(stderr, "pl_train_keywords: no story with keys and candidates in %s\n", dir);
        return 1;
    }
    double w[NF + 1], p0 = 0;
    double *pos = s_xalloc(NULL, (s_keys.n + 1) * sizeof(double));
    double *cnt = s_xalloc(NULL, (s_keys.n + 1) * sizeof(double));
    struct sums all = { 0 };
    printf("held-out      n    P@5    R@5   F1@5   P@10   R@10  F1@10\n");
    for (unsigned k = 0; k < folds; k++) {
        struct sums fs = { 0 };
        char label[32];
        s_key_counts(s, n, (int)k, pos, cnt, &p0);
        s_prior_features(s, n, (int)k, pos, cnt, p0);
        s_fit(s, n, (int)k, w);
        if (s_held_out(cfg, norm, s, n, k, w, s_prior_json(pos, cnt, p0), &fs, &all) != 0)
            return 1;
        snprintf(label, sizeof(label), "fold %u", k);
        s_print_row(label, &fs);
    }
    s_print_row("all", &all);
    s_key_counts(s, n, -1, pos, cnt, &p0);
    s_prior_features(s, n, -1, pos, cnt, p0);
    s_fit(s, n, -1, w);
    int rc = s_write_weights(out, w, folds, &all) || s_write_prior(prior_out, pos, cnt, p0, n);
    free(pos);
    free(cnt);
    pl_kp_vocab_free(&s_keys);
    for (int i = 0; i <= NF; i++)
        fprintf(stderr, "%-20s %9.4f\n", i < NF ? pl_kw_feature_names[i] : "bias", w[i]);
    for (size_t i = 0; i < n; i++) {
        free(s[i].name);
        free(s[i].text);
        free(s[i].x);
        free(s[i].y);
        free(s[i].kid);
        pl_kp_set_free(&s[i].gold);
    }
    free(s);
    pl_config_free(&cfg);
    pl_kp_norm_free(&norm);
    return rc;
}

static const char s_usage[] =
    "usage: pl_train_keywords --df OUT.h [--min-df N] < news.txt\n"
    "       pl_train_keywords --dir DIR --out keyword_weights.h --prior kw_prior.h "
    "[--folds K]\n"
    "                         [--misses FILE]\n";

static int s_uint_arg(const char *s, unsigned lo, unsigned hi, unsigned *v)
{
    char *end;
    errno = 0;
    unsigned long x = strtoul(s, &end, 10);
    if (errno || *end || end == s || x < lo || x > hi)
        return -1;
    *v = (unsigned)x;
    return 0;
}

/* Closes the --misses file, if any, on every way out: rc, or 1 when what
 * was written to it did not reach the disk. */
static int s_finish(int rc)
{
    if (s_misses && fclose(s_misses) != 0) {
        fprintf(stderr, "pl_train_keywords: cannot write the --misses file\n");
        rc = rc ? rc : 1;
    }
    s_misses = NULL;
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "df", required_argument, NULL, 'd' },
        { "min-df", required_argument, NULL, 'm' },
        { "dir", required_argument, NULL, 'D' },
        { "out", required_argument, NULL, 'o' },
        { "folds", required_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { "prior", required_argument, NULL, 'p' },
        { "misses", required_argument, NULL, 'M' },
        { NULL, 0, NULL, 0 },
    };
    const char *df = NULL, *dir = NULL, *out = NULL, *prior = NULL;
    unsigned min_df = 5, folds = 5;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int bad = 0;
        if (c == 'd')
            df = optarg;
        else if (c == 'D')
            dir = optarg;
        else if (c == 'o')
            out = optarg;
        else if (c == 'p')
            prior = optarg;
        else if (c == 'M') {
            if (s_finish(0) != 0 || !(s_misses = fopen(optarg, "w"))) {
                fprintf(stderr, "pl_train_keywords: cannot write %s\n", optarg);
                return 1;
            }
        } else if (c == 'm')
            bad = s_uint_arg(optarg, 1, 1000000, &min_df);
        else if (c == 'k')
            bad = s_uint_arg(optarg, 2, PL_EVAL_MAX_FOLDS, &folds);
        else {
            fputs(s_usage, c == 'h' ? stdout : stderr);
            return s_finish(c == 'h' ? 0 : 2);
        }
        if (bad) {
            fprintf(stderr, "pl_train_keywords: bad number %s\n%s", optarg, s_usage);
            return s_finish(2);
        }
    }
    if (df && !dir)
        return s_finish(s_df_main(df, min_df));
    if (dir && out && prior && !df)
        return s_finish(s_dir_main(dir, out, prior, folds));
    fputs(s_usage, stderr);
    return s_finish(2);
}
