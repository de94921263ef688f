/*
 * `pressline eval keywords`: see eval_keywords.h.
 */
#include "eval_keywords.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "errcode.h"
#include "eval_extract.h"
#include "folds.h"
#include "keyphrase.h"
#include "pipeline.h"
#include "text.h"
#include "yake.h"

#define K_MAX 10
/* YAKE's candidates looked at to fill ten normal forms: its dedup keeps
 * "election" and "elections" apart, which the matcher takes as one. */
#define YAKE_POOL 40

enum method { M_PRESSLINE, M_TF, M_TFIDF, M_YAKE, M_N };
static const char *const s_method_name[M_N] = { "pressline", "TF", "TF-IDF", "YAKE" };
static const char *const s_method_key[M_N] = { "pressline", "tf", "tfidf", "yake" };

struct story {
    char *name; /* NAME, without ".txt" */
    char *text;
    size_t len;
    struct pl_kp_set gold;
    struct pl_kp_word *words; /* content words, ids in run.vocab */
    size_t nwords;
    unsigned fold;
};

/* Sums of per-story figures at 5 and at 10. */
struct sums {
    double p[2], r[2], f[2];
    size_t n;
};

struct run {
    const struct pl_eval_keywords_args *a;
    struct pl_pipeline p;
    struct pl_kp_norm *norm;
    struct story *s;
    size_t n;
    struct pl_kp_vocab vocab;
    uint32_t *df;      /* df[id]: stories with the word */
    uint32_t *fold_df; /* fold_df[fold * vocab.n + id], with --cv */
    size_t fold_n[PL_EVAL_MAX_FOLDS];
    struct sums all[M_N], *fold; /* fold[f * M_N + m] */
    size_t failed, empty;
    FILE *pred;
};

static int s_cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Reads path whole (at most PL_EVAL_KEYWORDS_MAX_BYTES) into *buf
 * (NUL-terminated; caller frees). Returns 0, -errno, or PL_EINPUT for a
 * file too long (said on stderr). */
static int s_read_file(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    struct pl_buf b = { 0 };
    char chunk[65536];
    size_t got;
    int rc = 0;
    while (rc == 0 && (got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + got > PL_EVAL_KEYWORDS_MAX_BYTES) {
            fprintf(stderr, "pressline eval keywords: %s is over %u bytes\n", path,
                    PL_EVAL_KEYWORDS_MAX_BYTES);
            rc = PL_EINPUT;
        } else if (pl_buf_append(&b, chunk, got) != 0) {
            rc = -ENOMEM;
        }
    }
    if (rc == 0 && ferror(f))
        rc = -EIO;
    fclose(f);
    if (rc == 0 && pl_buf_terminate(&b) != 0)
        rc = -ENOMEM;
    if (rc != 0) {
        free(b.data);
        return rc;
    }
    *buf = b.data;
    *len = b.len;
    return 0;
}

/* The annotators' phrases of keys/NAME.key, one a line (CR and blanks at
 * the ends left out), normalised into s->gold. */
static int s_read_keys(struct run *r, struct story *s, const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = s_read_file(path, &buf, &len);
    for (char *line = buf; rc == 0 && line && *line;) {
        char *nl = strchr(line, '\n'), *end = nl ? nl : line + strlen(line);
        while (end > line && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
            end--;
        while (line < end && (*line == ' ' || *line == '\t'))
            line++;
        rc = pl_kp_set_add(&s->gold, r->norm, line, (size_t)(end - line));
        line = nl ? nl + 1 : NULL;
    }
    free(buf);
    return rc;
}

/* The names of DIR/docsutf8/ *.txt, sorted, into *names (caller frees
 * each and the array). */
static int s_list(const char *dir, char ***names, size_t *n)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/docsutf8", dir);
    DIR *d = opendir(path);
    if (!d) {
        char eb[128];
        int e = errno;
        fprintf(stderr, "pressline eval keywords: cannot open %s: %s\n", path,
                strerror_r(e, eb, sizeof(eb)));
        return -e;
    }
    size_t cap = 0;
    int rc = 0;
    struct dirent *de;
    *names = NULL;
    *n = 0;
    while (rc == 0 && (de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l <= 4 || strcmp(de->d_name + l - 4, ".txt") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            char **v = realloc(*names, cap * sizeof(*v));
            if (!v) {
                rc = -ENOMEM;
                break;
            }
            *names = v;
        }
        (*names)[*n] = strndup(de->d_name, l - 4);
        rc = (*names)[*n] ? 0 : -ENOMEM;
        *n += rc == 0;
    }
    closedir(d);
    if (rc == 0 && *n > 1)
        qsort(*names, *n, sizeof(**names), s_cmp_str);
    return rc;
}

/* Reads one story and its phrases into r->s[r->n] and counts its words'
 * document frequencies. A story without a key file is skipped with a
 * warning; one that cannot be read stops the run. */
static int s_load_story(struct run *r, const char *name)
{
    char path[4096];
    struct story *s = &r->s[r->n];
    memset(s, 0, sizeof(*s));
    snprintf(path, sizeof(path), "%s/keys/%s.key", r->a->dir, name);
    int rc = s_read_keys(r, s, path);
    if (rc == -ENOENT) {
        fprintf(stderr, "pressline eval keywords: %s has no %s; skipped\n", name, path);
        pl_kp_set_free(&s->gold);
        return 0;
    }
    if (rc == 0) {
        snprintf(path, sizeof(path), "%s/docsutf8/%s.txt", r->a->dir, name);
        rc = s_read_file(path, &s->text, &s->len);
    }
    if (rc == 0)
        rc = pl_kp_content_words(s->text, s->len, &r->vocab, &s->words, &s->nwords);
    s->name = rc == 0 ? strdup(name) : NULL;
    if (rc == 0 && !s->name)
        rc = -ENOMEM;
    if (rc != 0) {
        char eb[128];
        if (rc != PL_EINPUT)
            fprintf(stderr, "pressline eval keywords: cannot read %s: %s\n", path,
                    rc == -ENOMEM ? "out of memory" : strerror_r(-rc, eb, sizeof(eb)));
        pl_kp_set_free(&s->gold);
        free(s->text);
        free(s->words);
        free(s->name);
        return rc;
    }
    s->fold = pl_site_fold(name, r->a->cv);
    r->n++;
    return 0;
}

/* Document frequencies over all stories, and per fold with --cv. */
static int s_count_df(struct run *r)
{
    size_t nv = r->vocab.n, nf = r->a->cv;
    r->df = calloc(nv + 1, sizeof(*r->df));
    r->fold_df = nf ? calloc(nf * nv + 1, sizeof(*r->fold_df)) : NULL;
    if (!r->df || (nf && !r->fold_df))
        return -ENOMEM;
    for (size_t i = 0; i < r->n; i++) {
        const struct story *s = &r->s[i];
        r->fold_n[s->fold] += nf > 0;
        for (size_t j = 0; j < s->nwords; j++) {
            r->df[s->words[j].id]++;
            if (nf)
                r->fold_df[s->fold * nv + s->words[j].id]++;
        }
    }
    return 0;
}

static int s_load(struct run *r)
{
    char **names = NULL;
    size_t nn = 0;
    int rc = s_list(r->a->dir, &names, &nn);
    if (rc == 0 && nn) {
        r->s = calloc(nn, sizeof(*r->s));
        rc = r->s ? 0 : -ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < nn; i++)
        rc = s_load_story(r, names[i]);
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    free(names);
    if (rc == 0 && r->n == 0) {
        fprintf(stderr, "pressline eval keywords: no story with its keys in %s\n", r->a->dir);
        rc = PL_EINPUT;
    }
    return rc == 0 ? s_count_df(r) : rc;
}

/* One method's list for a story: the normal forms, and the phrase that
 * first gave each (borrowed until the story is scored). */
struct pred {
    struct pl_kp_set set;
    const char *surface[K_MAX];
};

/* Adds a phrase to a method's list unless its form is there already. */
static int s_add(struct run *r, struct pred *pr, const char *phrase)
{
    size_t before = pr->set.v.n;
    int rc = pl_kp_set_add(&pr->set, r->norm, phrase, strlen(phrase));
    if (rc == 0 && pr->set.v.n > before && before < K_MAX)
        pr->surface[before] = phrase;
    return rc;
}

/* Adds phrases to a method's list until it holds K_MAX normal forms. */
static int s_fill(struct run *r, struct pred *pr, const char *const *v, size_t n)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n && pr->set.v.n < K_MAX; i++)
        rc = s_add(r, pr, v[i]);
    return rc;
}

/* TF or TF-IDF: the story's content words ranked, into set. The document
 * frequencies leave the story itself out (or, with --cv, its whole
 * fold): a story scored is never part of the table that weighs it, as
 * for a new story at run time. */
static int s_baseline(struct run *r, const struct story *s, bool idf, struct pred *pr)
{
    struct pl_kp_word *w = malloc((s->nwords + 1) * sizeof(*w));
    if (!w)
        return -ENOMEM;
    size_t nv = r->vocab.n, cv = r->a->cv;
    double others = cv ? (double)(r->n - r->fold_n[s->fold]) : (double)(r->n - 1);
    for (size_t j = 0; j < s->nwords; j++) {
        uint32_t id = s->words[j].id;
        double df = cv ? r->df[id] - r->fold_df[s->fold * nv + id] : r->df[id] - 1;
        w[j] = s->words[j];
        w[j].score = (double)w[j].tf * (idf ? log((others + 1) / (df + 1)) : 1);
    }
    pl_kp_rank(w, s->nwords);
    int rc = 0;
    for (size_t j = 0; rc == 0 && j < s->nwords && pr->set.v.n < K_MAX; j++)
        rc = s_add(r, pr, r->vocab.words[w[j].id]);
    free(w);
    return rc;
}

/* pressline's `keywords` from the pipeline's result, into pr (borrowed
 * from res). A story the pipeline failed gets none, and is counted. */
static int s_pressline(struct run *r, const struct story *s, const cJSON *res, int is_err,
                       struct pred *pr)
{
    if (is_err) {
        const cJSON *why = cJSON_GetObjectItemCaseSensitive(res, "reason");
        fprintf(stderr, "pressline eval keywords: %s: %s\n", s->name,
                cJSON_IsString(why) ? why->valuestring : "failed");
        r->failed++;
        return 0;
    }
    const cJSON *kw = cJSON_GetObjectItemCaseSensitive(res, "keywords"), *k;
    int rc = 0;
    cJSON_ArrayForEach(k, kw)
    {
        /* Each keyphrase is {"text", "score"}, in rank order. */
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(k, "text");
        if (rc == 0 && cJSON_IsString(text) && pr->set.v.n < K_MAX)
            rc = s_add(r, pr, text->valuestring);
    }
    r->empty += pr->set.v.n == 0;
    return rc;
}

/* YAKE's top phrases of the story into pr (borrowed from y). */
static int s_yake(struct run *r, const struct story *s, struct pl_yake *y, struct pred *pr)
{
    const char *top[YAKE_POOL];
    int rc = pl_yake_extract(s->text, s->len, y);
    if (rc != 0)
        return rc;
    size_t n = pl_yake_top(y, YAKE_POOL, 0.9, top);
    return s_fill(r, pr, top, n);
}

static void s_add_sums(struct sums *m, const struct pl_kp_set *pred, const struct pl_kp_set *gold)
{
    static const size_t at[2] = { 5, 10 };
    for (int i = 0; i < 2; i++) {
        struct pl_kp_prf x = pl_kp_at(pred, gold, at[i]);
        m->p[i] += x.p;
        m->r[i] += x.r;
        m->f[i] += x.f;
    }
    m->n++;
}

/* A --predict row: {"id", "pressline": [...], "tf": [...], "tfidf": [...],
 * "yake": [...]}, each list the phrases as the method gave them. */
static void s_write_prediction(FILE *f, const struct story *s, const struct pred *pr)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", s->name);
    for (int m = 0; m < M_N; m++) {
        cJSON *a = cJSON_AddArrayToObject(o, s_method_key[m]);
        for (size_t i = 0; a && i < pr[m].set.v.n && i < K_MAX; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(pr[m].surface[i]));
    }
    char *js = cJSON_PrintUnformatted(o);
    if (js)
        fprintf(f, "%s\n", js);
    cJSON_free(js);
    cJSON_Delete(o);
}

/* Runs the pipeline on one story and scores the four methods on it.
 * Returns 0, or -ENOMEM (said on stderr). */
static int s_score_story(struct run *r, const struct story *s, uint64_t seq)
{
    struct pred pr[M_N] = { 0 };
    struct pl_yake y = { 0 };
    char *out = NULL, name[512];
    size_t out_len = 0;
    int is_err = 0;
    snprintf(name, sizeof(name), "%s.txt", s->name);
    int rc = pl_pipeline_buffer(&r->p, name, s->text, s->len, seq, &out, &out_len, &is_err);
    cJSON *res = rc == 0 ? cJSON_ParseWithLength(out, out_len) : NULL;
    if (rc == 0)
        rc = s_pressline(r, s, res, is_err, &pr[M_PRESSLINE]);
    if (rc == 0)
        rc = s_baseline(r, s, false, &pr[M_TF]);
    if (rc == 0)
        rc = s_baseline(r, s, true, &pr[M_TFIDF]);
    if (rc == 0)
        rc = s_yake(r, s, &y, &pr[M_YAKE]);
    for (int m = 0; rc == 0 && m < M_N; m++) {
        s_add_sums(&r->all[m], &pr[m].set, &s->gold);
        if (r->a->cv)
            s_add_sums(&r->fold[s->fold * M_N + m], &pr[m].set, &s->gold);
    }
    if (rc == 0 && r->pred)
        s_write_prediction(r->pred, s, pr);
    if (rc != 0)
        fprintf(stderr, "pressline eval keywords: %s: out of memory\n", s->name);
    for (int m = 0; m < M_N; m++)
        pl_kp_set_free(&pr[m].set);
    pl_yake_free(&y);
    cJSON_Delete(res);
    free(out);
    return rc;
}

static void s_report_row(FILE *f, const char *label, const struct sums *m)
{
    double n = m->n ? (double)m->n : 1;
    fprintf(f, "%-10s %6.3f %6.3f %6.3f %6.3f %6.3f %6.3f\n", label, m->p[0] / n, m->r[0] / n,
            m->f[0] / n, m->p[1] / n, m->r[1] / n, m->f[1] / n);
}

/* The table (and, with --cv, F1@10 of each method in each fold). */
static void s_report(const struct run *r, FILE *f)
{
    double gold = 0;
    for (size_t i = 0; i < r->n; i++)
        gold += (double)r->s[i].gold.v.n;
    fprintf(f,
            "%zu stories (%zu failed in the pipeline, %zu without keywords), %.1f key phrases a "
            "story after normalising\n",
            r->n, r->failed, r->empty, gold / (double)r->n);
    fprintf(f, "macro averages over stories; TF-IDF's document frequencies from %s\n",
            r->a->cv ? "the stories of the other folds" : "the other stories (leave-one-out)");
    fprintf(f, "%-10s %6s %6s %6s %6s %6s %6s\n", "", "P@5", "R@5", "F1@5", "P@10", "R@10",
            "F1@10");
    for (int m = 0; m < M_N; m++)
        s_report_row(f, s_method_name[m], &r->all[m]);
    for (unsigned k = 0; k < r->a->cv; k++) {
        const struct sums *fs = &r->fold[k * M_N];
        fprintf(f, "fold %u (%zu stories) F1@10:", k, fs[0].n);
        for (int m = 0; m < M_N; m++)
            fprintf(f, " %s %.3f", s_method_name[m], fs[m].n ? fs[m].f[1] / (double)fs[m].n : 0);
        fputc('\n', f);
    }
}

static void s_free_run(struct run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        pl_kp_set_free(&r->s[i].gold);
        free(r->s[i].name);
        free(r->s[i].text);
        free(r->s[i].words);
    }
    free(r->s);
    free(r->df);
    free(r->fold_df);
    free(r->fold);
    pl_kp_vocab_free(&r->vocab);
    pl_kp_norm_free(&r->norm);
}

int pl_eval_keywords(const struct pl_config *cfg, const struct pl_eval_keywords_args *a,
                     FILE *report)
{
    char err[1024];
    struct run r = { .a = a };
    int rc = pl_kp_norm_new(&r.norm);
    if (rc != 0) {
        fprintf(stderr, "pressline eval keywords: %s\n",
                rc == -ENOENT ? "libstemmer has no porter stemmer" : "out of memory");
        return rc;
    }
    r.fold = a->cv ? calloc((size_t)a->cv * M_N, sizeof(*r.fold)) : NULL;
    if (a->cv && !r.fold) {
        s_free_run(&r);
        return -ENOMEM;
    }
    rc = s_load(&r);
    if (rc != 0) {
        s_free_run(&r);
        return rc;
    }
    if (pl_pipeline_open(&r.p, cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "pressline eval keywords: %s\n", err);
        s_free_run(&r);
        return PL_EPLUGIN;
    }
    r.pred = a->predict ? fopen(a->predict, "w") : NULL;
    if (a->predict && !r.pred) {
        char eb[128];
        rc = -errno;
        fprintf(stderr, "pressline eval keywords: cannot open %s: %s\n", a->predict,
                strerror_r(errno, eb, sizeof(eb)));
    }
    for (size_t i = 0; rc == 0 && i < r.n; i++)
        rc = s_score_story(&r, &r.s[i], i + 1);
    if (rc == 0)
        s_report(&r, report);
    if (r.pred && fclose(r.pred) != 0) {
        fprintf(stderr, "pressline eval keywords: cannot write %s\n", a->predict);
        rc = rc ? rc : -EIO;
    }
    pl_pipeline_close(&r.p);
    s_free_run(&r);
    return rc;
}
