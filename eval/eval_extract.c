/*
 * `pressline eval extract`: see eval_extract.h.
 */
#include "eval_extract.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "article.h"
#include "config.h"
#include "errcode.h"
#include "folds.h"
#include "html_text.h"
#include "loader.h"
#include "rouge.h"
#include "spool.h"
#include "text.h"

/* The figures of a set of pages: the snippet counts (trafilatura's set) or
 * the sums of the pages' 4-gram precision and recall (the other modes). */
struct tally {
    size_t pages, failed;
    size_t tp, fn, fp, tn;
    double sp, sr;
};

struct runner {
    struct pl_plugin_handle *h;
    struct pl_plugin_instance inst;
    size_t max_bytes;
    FILE *pred;
    unsigned nfolds; /* 0 or 1: no cross-validation */
    int only;        /* -1, or the one fold this pass scores (--models) */
    struct tally all;
    struct tally fold[PL_EVAL_MAX_FOLDS];
    size_t skipped; /* Readability pages whose expected.html has no text */
};

/* The fold of a page of site, and whether this pass scores it. */
static bool s_wanted(const struct runner *r, const char *site, unsigned *fold)
{
    *fold = pl_site_fold(site, r->nfolds);
    return r->only < 0 || (unsigned)r->only == *fold;
}

static void s_count(struct runner *r, unsigned fold, const struct tally *t)
{
    struct tally *d[2] = { &r->all, &r->fold[fold] };
    for (size_t i = 0; i < 2; i++) {
        d[i]->pages += t->pages;
        d[i]->failed += t->failed;
        d[i]->tp += t->tp;
        d[i]->fn += t->fn;
        d[i]->fp += t->fp;
        d[i]->tn += t->tn;
        d[i]->sp += t->sp;
        d[i]->sr += t->sr;
    }
}

/* Runs the clean stage on the file at path; returns its "text" (caller
 * frees) or NULL with the reason in why. */
static char *s_extract(struct runner *r, const char *path, const char *name, char *why, size_t n)
{
    void *data = NULL;
    size_t len = 0;
    if (pl_read_file_at(AT_FDCWD, path, r->max_bytes, true, &data, &len) != 0) {
        snprintf(why, n, "cannot read %s", path);
        free(data);
        return NULL;
    }
    struct pl_source src = { .path = path, .name = name, .format = "text" };
    pl_content_id(data, len, &src);
    src.bytes = len;
    char *doc = NULL, *out = NULL, *text = NULL;
    size_t doc_len = 0, out_len = 0;
    if (pl_article_initial(&src, "1970-01-01T00:00:00.000Z", data, len, &doc, &doc_len) != 0) {
        free(data);
        snprintf(why, n, "out of memory");
        return NULL;
    }
    free(data);
    struct pl_error err = { { 0 } };
    if (r->inst.desc->process(r->inst.state, doc, doc_len, &out, &out_len, &err) != 0) {
        snprintf(why, n, "%s", err.message);
    } else {
        cJSON *res = cJSON_ParseWithLength(out, out_len);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(res, "text");
        text = cJSON_IsString(t) ? strdup(t->valuestring) : NULL;
        cJSON_Delete(res);
        r->inst.desc->release(r->inst.state, out);
    }
    free(doc);
    return text;
}

/* A row of --predict: the page's id, its text and its scores (the snippet
 * counts on trafilatura's set, else 4-gram precision and recall), so that
 * the pages that lose most can be found. */
static void s_predict(struct runner *r, const char *id, const char *text, const struct tally *t,
                      bool snippets)
{
    if (!r->pred)
        return;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "text", text ? text : "");
    if (snippets) {
        cJSON_AddNumberToObject(o, "with_found", (double)t->tp);
        cJSON_AddNumberToObject(o, "with_missed", (double)t->fn);
        cJSON_AddNumberToObject(o, "without_found", (double)t->fp);
        cJSON_AddNumberToObject(o, "without_missed", (double)t->tn);
    } else {
        cJSON_AddNumberToObject(o, "precision", t->sp);
        cJSON_AddNumberToObject(o, "recall", t->sr);
    }
    char *s = cJSON_PrintUnformatted(o);
    if (s)
        fprintf(r->pred, "%s\n", s);
    cJSON_free(s);
    cJSON_Delete(o);
}

static cJSON *s_load_json(const char *path)
{
    void *data = NULL;
    size_t len = 0;
    if (pl_read_file_at(AT_FDCWD, path, (size_t)1 << 30, true, &data, &len) != 0) {
        free(data);
        fprintf(stderr, "pressline eval extract: cannot read %s\n", path);
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLength(data, len);
    free(data);
    if (!cJSON_IsObject(j)) {
        fprintf(stderr, "pressline eval extract: %s is not a JSON object\n", path);
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* The page of an evaldata.json entry: under pages_dir as NAME.txt or NAME
 * (--pages), else html/eval/ or html/cache/ in dir (evaldata.json's folder). */
static void s_page_path(const char *dir, const char *pages_dir, const char *file, char *path,
                        size_t n)
{
    if (pages_dir) {
        snprintf(path, n, "%s/%s.txt", pages_dir, file);
        if (access(path, R_OK) != 0)
            snprintf(path, n, "%s/%s", pages_dir, file);
    } else {
        snprintf(path, n, "%s/html/eval/%s", dir, file);
        if (access(path, R_OK) != 0)
            snprintf(path, n, "%s/html/cache/%s", dir, file);
    }
}

/* Counts the entry's "with" snippets found in text (NULL: none found) and
 * its "without" snippets found, into t. */
static void s_snippets(const cJSON *e, const char *text, struct tally *t)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(e, "with"))
    {
        if (cJSON_IsString(s) && text && strstr(text, s->valuestring))
            t->tp++;
        else
            t->fn++;
    }
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(e, "without"))
    {
        if (cJSON_IsString(s) && text && strstr(text, s->valuestring))
            t->fp++;
        else
            t->tn++;
    }
}

/* pages: NULL, or a folder holding the pages under their names plus
 * ".txt" (text dumps of them) or as they are. A page's site is the host
 * of its URL (the entry's key). */
static int s_trafilatura(struct runner *r, const char *evaldata, const char *pages_dir)
{
    cJSON *j = s_load_json(evaldata);
    if (!j)
        return PL_EINPUT;
    char dir[4096];
    const char *slash = strrchr(evaldata, '/');
    snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - evaldata) : 1, slash ? evaldata : ".");
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        const cJSON *file = cJSON_GetObjectItemCaseSensitive(e, "file");
        char site[256];
        unsigned fold;
        pl_site_of_url(e->string, site, sizeof(site));
        if (!cJSON_IsString(file) || !s_wanted(r, site, &fold))
            continue;
        char path[8192], why[1024] = "";
        s_page_path(dir, pages_dir, file->valuestring, path, sizeof(path));
        struct tally t = { .pages = 1 };
        char *text = s_extract(r, path, file->valuestring, why, sizeof(why));
        if (!text) {
            t.failed = 1;
            fprintf(stderr, "pressline eval extract: %s: %s\n", file->valuestring, why);
        }
        s_snippets(e, text, &t);
        s_count(r, fold, &t);
        s_predict(r, e->string, text, &t, true);
        free(text);
    }
    cJSON_Delete(j);
    return 0;
}

/* Word 4-gram hashes of s (lower case, words split at anything that is
 * not a letter or digit), sorted. */
static size_t s_shingles(const char *s, uint64_t **out)
{
    struct toks {
        uint64_t *v;
        size_t n, cap;
    } w = { 0 };
    const char *p = s;
    while (*p) {
        while (*p && !isalnum((unsigned char)*p) && (unsigned char)*p < 0x80)
            p++;
        const char *q = p;
        while (*q && (isalnum((unsigned char)*q) || (unsigned char)*q >= 0x80))
            q++;
        if (q > p) {
            char low[256];
            size_t ln = pl_lower(p, (size_t)(q - p), low, sizeof(low));
            if (w.n == w.cap) {
                w.cap = w.cap ? 2 * w.cap : 256;
                uint64_t *v = realloc(w.v, w.cap * sizeof(*v));
                if (!v) {
                    free(w.v);
                    *out = NULL;
                    return 0;
                }
                w.v = v;
            }
            w.v[w.n++] = pl_hash(low, ln);
        }
        p = q;
    }
    size_t n = w.n >= 4 ? w.n - 3 : 0;
    for (size_t i = 0; i < n; i++)
        w.v[i] = ((w.v[i] * 31 + w.v[i + 1]) * 31 + w.v[i + 2]) * 31 + w.v[i + 3];
    *out = w.v;
    return n;
}

/* Scores one page's text (NULL: the stage gave none) against its true
 * body: one page of 4-gram precision and recall into t. */
static void s_score_body(const char *text, const char *body, struct tally *t)
{
    uint64_t *a = NULL, *b = NULL;
    size_t na = s_shingles(text ? text : "", &a), nb = s_shingles(body, &b);
    size_t common = pl_ngram_overlap(a, na, b, nb);
    /* An empty extraction of an empty body is right; of a real one,
     * precision is taken as 1 (nothing wrong was said) and recall 0. */
    t->pages = 1;
    t->failed = text ? 0 : 1;
    t->sp = na ? (double)common / (double)na : 1;
    t->sr = nb ? (double)common / (double)nb : (na ? 0 : 1);
    free(a);
    free(b);
}

/* Runs the stage on the page at path and scores it against body, as page
 * id of fold. */
static void s_page(struct runner *r, unsigned fold, const char *id, const char *path,
                   const char *name, const char *body)
{
    char why[1024] = "";
    char *text = s_extract(r, path, name, why, sizeof(why));
    if (!text)
        fprintf(stderr, "pressline eval extract: %s: %s\n", id, why);
    struct tally t = { 0 };
    s_score_body(text, body, &t);
    s_count(r, fold, &t);
    s_predict(r, id, text, &t, false);
    free(text);
}

/* A page's site is the host of its "url" field when it has one, else its
 * id read the same way (an id that is no URL is its own site). */
static int s_zyte(struct runner *r, const char *truth, const char *pages)
{
    cJSON *j = s_load_json(truth);
    if (!j)
        return PL_EINPUT;
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        const cJSON *body = cJSON_GetObjectItemCaseSensitive(e, "articleBody");
        const cJSON *url = cJSON_GetObjectItemCaseSensitive(e, "url");
        char site[256];
        unsigned fold;
        pl_site_of_url(cJSON_IsString(url) ? url->valuestring : e->string, site, sizeof(site));
        if (!cJSON_IsString(body) || !s_wanted(r, site, &fold))
            continue;
        char path[8192], name[1024];
        snprintf(name, sizeof(name), "%s.html", e->string);
        snprintf(path, sizeof(path), "%s/%s", pages, name);
        s_page(r, fold, e->string, path, name, body->valuestring);
    }
    cJSON_Delete(j);
    return 0;
}

/* One Readability test page, dir/name/: scores source.html against the
 * text of expected.html, or counts it as skipped when that has no text.
 * Folders without both files are not pages and are passed over. */
static int s_test_page(struct runner *r, const char *dir, const char *name)
{
    char src[8192], exp[8192], site[256];
    snprintf(src, sizeof(src), "%s/%s/source.html", dir, name);
    snprintf(exp, sizeof(exp), "%s/%s/expected.html", dir, name);
    unsigned fold;
    pl_site_of_test_page(name, site, sizeof(site));
    if (access(src, R_OK) != 0 || access(exp, R_OK) != 0 || !s_wanted(r, site, &fold))
        return 0;
    void *data = NULL;
    size_t len = 0;
    int rc = pl_read_file_at(AT_FDCWD, exp, r->max_bytes, true, &data, &len);
    char *truth = NULL;
    if (rc == 0)
        rc = pl_html_text(data, len, &truth);
    free(data);
    if (rc != 0) {
        fprintf(stderr, "pressline eval extract: cannot read the text of %s\n", exp);
        return rc;
    }
    if (!truth[0])
        r->skipped++;
    else
        s_page(r, fold, name, src, "source.html", truth);
    free(truth);
    return 0;
}

/* The folders of dir in name order, so that every run reads them alike. */
static int s_readability(struct runner *r, const char *dir)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "pressline eval extract: cannot read the folder %s\n", dir);
        return PL_EINPUT;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (rc == 0 && names[i]->d_name[0] != '.')
            rc = s_test_page(r, dir, names[i]->d_name);
        free(names[i]);
    }
    free(names);
    return rc;
}

static void s_snippet_figures(const struct tally *t, double *p, double *rc, double *f)
{
    *p = t->tp + t->fp ? (double)t->tp / (double)(t->tp + t->fp) : 0;
    *rc = t->tp + t->fn ? (double)t->tp / (double)(t->tp + t->fn) : 0;
    *f = *p + *rc > 0 ? 2 * *p * *rc / (*p + *rc) : 0;
}

static void s_ngram_figures(const struct tally *t, double *p, double *rc, double *f)
{
    *p = t->pages ? t->sp / (double)t->pages : 0;
    *rc = t->pages ? t->sr / (double)t->pages : 0;
    *f = *p + *rc > 0 ? 2 * *p * *rc / (*p + *rc) : 0;
}

/* One line per fold, then the spread of the F1s of the folds that hold
 * pages (population standard deviation: the folds are all there are). */
static void s_report_folds(const struct runner *r, bool snippets, FILE *report)
{
    double fmin = 1, fmax = 0, sum = 0, sum2 = 0;
    unsigned used = 0;
    for (unsigned k = 0; k < r->nfolds; k++) {
        const struct tally *t = &r->fold[k];
        if (!t->pages) {
            fprintf(report, "fold %u: 0 pages\n", k);
            continue;
        }
        double p, rc, f;
        (snippets ? s_snippet_figures : s_ngram_figures)(t, &p, &rc, &f);
        fprintf(report, "fold %u: %zu pages  precision %.3f  recall %.3f  F1 %.3f\n", k, t->pages,
                p, rc, f);
        fmin = f < fmin ? f : fmin;
        fmax = f > fmax ? f : fmax;
        sum += f;
        sum2 += f * f;
        used++;
    }
    if (!used)
        return;
    double mean = sum / used, var = sum2 / used - mean * mean;
    fprintf(report, "folds: F1 min %.3f  max %.3f  sd %.3f\n", fmin, fmax, var > 0 ? sqrt(var) : 0);
}

static int s_report(const struct runner *r, const struct pl_eval_extract_args *a, FILE *report)
{
    const struct tally *t = &r->all;
    double p, rc, f;
    if (a->evaldata) {
        s_snippet_figures(t, &p, &rc, &f);
        size_t all = t->tp + t->fn + t->fp + t->tn;
        double acc = all ? (double)(t->tp + t->tn) / (double)all : 0;
        fprintf(report, "%zu pages (%zu gave no text)\n", t->pages, t->failed);
        fprintf(report, "snippets: with found %zu of %zu, without found %zu of %zu\n", t->tp,
                t->tp + t->fn, t->fp, t->fp + t->tn);
        fprintf(report, "precision %.3f  recall %.3f  F1 %.3f  accuracy %.3f\n", p, rc, f, acc);
    } else {
        if (!t->pages) {
            if (a->readability)
                fprintf(stderr,
                        "pressline eval extract: no <name>/source.html with an expected.html "
                        "that has text in %s\n",
                        a->readability);
            else
                fprintf(stderr, "pressline eval extract: no {\"articleBody\"} entries in %s\n",
                        a->truth);
            return PL_EINPUT;
        }
        s_ngram_figures(t, &p, &rc, &f);
        if (a->readability)
            fprintf(report, "%zu pages (%zu gave no text; %zu skipped: no text in expected.html)\n",
                    t->pages, t->failed, r->skipped);
        else
            fprintf(report, "%zu pages (%zu gave no text)\n", t->pages, t->failed);
        fprintf(report, "word 4-grams: precision %.3f  recall %.3f  F1 %.3f\n", p, rc, f);
    }
    if (r->nfolds >= 2)
        s_report_folds(r, a->evaldata != NULL, report);
    return 0;
}

/* (Re)initialises r's instance with the stage's options, plus, with
 * --models, the block model trained without fold: "DIR/fold-K.model". */
static int s_instance(struct runner *r, const struct pl_stage_cfg *sc,
                      const struct pl_eval_extract_args *a, unsigned fold)
{
    char *opts = NULL;
    if (a->models) {
        char path[8192];
        snprintf(path, sizeof(path), "%s/fold-%u.model", a->models, fold);
        cJSON *o = cJSON_Parse(sc->options_json ? sc->options_json : "{}");
        if (!cJSON_IsObject(o)) {
            cJSON_Delete(o);
            o = cJSON_CreateObject();
        }
        cJSON_DeleteItemFromObjectCaseSensitive(o, PL_EVAL_BLOCK_MODEL_OPTION);
        if (!o || !cJSON_AddStringToObject(o, PL_EVAL_BLOCK_MODEL_OPTION, path) ||
            !(opts = cJSON_PrintUnformatted(o))) {
            cJSON_Delete(o);
            fprintf(stderr, "pressline eval extract: out of memory\n");
            return -ENOMEM;
        }
        cJSON_Delete(o);
    }
    char err[1024];
    pl_plugin_instance_fini(&r->inst);
    int rc = pl_plugin_instance_init(&r->inst, r->h, sc->name, opts ? opts : sc->options_json, err,
                                     sizeof(err));
    cJSON_free(opts);
    if (rc != 0) {
        /* A refused instance has no state for fini() to free. */
        memset(&r->inst, 0, sizeof(r->inst));
        fprintf(stderr, "pressline eval extract: %s\n", err);
    }
    return rc;
}

static int s_pass(struct runner *r, const struct pl_eval_extract_args *a)
{
    if (a->evaldata)
        return s_trafilatura(r, a->evaldata, a->pages);
    if (a->readability)
        return s_readability(r, a->readability);
    return s_zyte(r, a->truth, a->pages);
}

int pl_eval_extract(const struct pl_config *cfg, const struct pl_eval_extract_args *a, FILE *report)
{
    const struct pl_stage_cfg *sc = NULL;
    for (size_t i = 0; i < cfg->nstages; i++)
        if (!strcmp(cfg->stages[i].name, "clean"))
            sc = &cfg->stages[i];
    if (!sc) {
        fprintf(stderr, "pressline eval extract: no stage named \"clean\" in the configuration\n");
        return PL_ECONFIG;
    }
    if (a->cv > PL_EVAL_MAX_FOLDS || (a->models && a->cv < 2)) {
        fprintf(stderr, "pressline eval extract: --cv takes 2 to %d folds (--models needs it)\n",
                PL_EVAL_MAX_FOLDS);
        return PL_EINPUT;
    }
    struct runner *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->max_bytes = cfg->max_bytes;
    r->nfolds = a->cv;
    r->only = -1;
    char err[1024];
    int rc = 0;
    if (pl_plugin_open(sc->plugin_path, &r->h, err, sizeof(err)) != 0) {
        fprintf(stderr, "pressline eval extract: %s\n", err);
        rc = PL_EPLUGIN;
    }
    if (rc == 0 && a->predict && !(r->pred = fopen(a->predict, "w"))) {
        rc = -errno;
        fprintf(stderr, "pressline eval extract: cannot write %s\n", a->predict);
    }
    /* With --models each fold is a pass of its own, scored by the instance
     * that holds the model trained without it; else one pass scores all. */
    unsigned passes = a->models ? a->cv : 1;
    for (unsigned k = 0; k < passes && rc == 0; k++) {
        r->only = a->models ? (int)k : -1;
        rc = s_instance(r, sc, a, k);
        if (rc == 0)
            rc = s_pass(r, a);
    }
    if (rc == 0)
        rc = s_report(r, a, report);
    if (r->pred && fclose(r->pred) != 0 && rc == 0)
        rc = -EIO;
    pl_plugin_instance_fini(&r->inst);
    pl_plugin_close(&r->h);
    free(r);
    return rc;
}
