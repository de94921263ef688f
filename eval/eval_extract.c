/*
 * `pressline eval extract`: see eval_extract.h.
 */
#include "eval_extract.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "article.h"
#include "config.h"
#include "errcode.h"
#include "loader.h"
#include "rouge.h"
#include "spool.h"
#include "text.h"

struct runner {
    struct pl_plugin_handle *h;
    struct pl_plugin_instance inst;
    size_t max_bytes;
    FILE *pred;
};

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

static void s_predict(struct runner *r, const char *id, const char *text)
{
    if (!r->pred)
        return;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "text", text ? text : "");
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

/* pages: NULL, or a folder holding the pages under their names plus
 * ".txt" (text dumps of them) or as they are. */
static int s_trafilatura(struct runner *r, const char *evaldata, const char *pages_dir,
                         FILE *report)
{
    cJSON *j = s_load_json(evaldata);
    if (!j)
        return PL_EINPUT;
    char dir[4096];
    const char *slash = strrchr(evaldata, '/');
    snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - evaldata) : 1, slash ? evaldata : ".");
    size_t tp = 0, fn = 0, fp = 0, tn = 0, pages = 0, failed = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        const cJSON *file = cJSON_GetObjectItemCaseSensitive(e, "file");
        if (!cJSON_IsString(file))
            continue;
        char path[8192], why[1024] = "";
        if (pages_dir) {
            snprintf(path, sizeof(path), "%s/%s.txt", pages_dir, file->valuestring);
            if (access(path, R_OK) != 0)
                snprintf(path, sizeof(path), "%s/%s", pages_dir, file->valuestring);
        } else {
            snprintf(path, sizeof(path), "%s/html/eval/%s", dir, file->valuestring);
            if (access(path, R_OK) != 0)
                snprintf(path, sizeof(path), "%s/html/cache/%s", dir, file->valuestring);
        }
        pages++;
        char *text = s_extract(r, path, file->valuestring, why, sizeof(why));
        if (!text) {
            failed++;
            fprintf(stderr, "pressline eval extract: %s: %s\n", file->valuestring, why);
        }
        const cJSON *s;
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(e, "with"))
        {
            if (cJSON_IsString(s) && text && strstr(text, s->valuestring))
                tp++;
            else
                fn++;
        }
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(e, "without"))
        {
            if (cJSON_IsString(s) && text && strstr(text, s->valuestring))
                fp++;
            else
                tn++;
        }
        s_predict(r, e->string, text);
        free(text);
    }
    cJSON_Delete(j);
    double p = tp + fp ? (double)tp / (double)(tp + fp) : 0;
    double rc = tp + fn ? (double)tp / (double)(tp + fn) : 0;
    double f = p + rc > 0 ? 2 * p * rc / (p + rc) : 0;
    double acc = tp + fn + fp + tn ? (double)(tp + tn) / (double)(tp + fn + fp + tn) : 0;
    fprintf(report, "%zu pages (%zu gave no text)\n", pages, failed);
    fprintf(report, "snippets: with found %zu of %zu, without found %zu of %zu\n", tp, tp + fn, fp,
            fp + tn);
    fprintf(report, "precision %.3f  recall %.3f  F1 %.3f  accuracy %.3f\n", p, rc, f, acc);
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

static int s_zyte(struct runner *r, const char *truth, const char *pages, FILE *report)
{
    cJSON *j = s_load_json(truth);
    if (!j)
        return PL_EINPUT;
    double sp = 0, sr = 0;
    size_t n = 0, failed = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        const cJSON *body = cJSON_GetObjectItemCaseSensitive(e, "articleBody");
        if (!cJSON_IsString(body))
            continue;
        char path[8192], name[1024], why[1024] = "";
        snprintf(name, sizeof(name), "%s.html", e->string);
        snprintf(path, sizeof(path), "%s/%s", pages, name);
        char *text = s_extract(r, path, name, why, sizeof(why));
        if (!text) {
            failed++;
            fprintf(stderr, "pressline eval extract: %s: %s\n", name, why);
        }
        uint64_t *a = NULL, *b = NULL;
        size_t na = s_shingles(text ? text : "", &a), nb = s_shingles(body->valuestring, &b);
        size_t common = pl_ngram_overlap(a, na, b, nb);
        /* An empty extraction of an empty body is right; of a real one,
         * precision is taken as 1 (nothing wrong was said) and recall 0. */
        sp += na ? (double)common / (double)na : 1;
        sr += nb ? (double)common / (double)nb : (na ? 0 : 1);
        n++;
        s_predict(r, e->string, text);
        free(a);
        free(b);
        free(text);
    }
    cJSON_Delete(j);
    if (!n) {
        fprintf(stderr, "pressline eval extract: no {\"articleBody\"} entries in %s\n", truth);
        return PL_EINPUT;
    }
    double p = sp / (double)n, rc = sr / (double)n, f = p + rc > 0 ? 2 * p * rc / (p + rc) : 0;
    fprintf(report, "%zu pages (%zu gave no text)\n", n, failed);
    fprintf(report, "word 4-grams: precision %.3f  recall %.3f  F1 %.3f\n", p, rc, f);
    return 0;
}

int pl_eval_extract(const struct pl_config *cfg, const char *evaldata, const char *truth,
                    const char *pages, const char *predict_path, FILE *report)
{
    const struct pl_stage_cfg *sc = NULL;
    for (size_t i = 0; i < cfg->nstages; i++)
        if (!strcmp(cfg->stages[i].name, "clean"))
            sc = &cfg->stages[i];
    if (!sc) {
        fprintf(stderr, "pressline eval extract: no stage named \"clean\" in the configuration\n");
        return PL_ECONFIG;
    }
    struct runner r = { .max_bytes = cfg->max_bytes };
    char err[1024];
    if (pl_plugin_open(sc->plugin_path, &r.h, err, sizeof(err)) != 0 ||
        pl_plugin_instance_init(&r.inst, r.h, sc->name, sc->options_json, err, sizeof(err)) != 0) {
        fprintf(stderr, "pressline eval extract: %s\n", err);
        pl_plugin_close(&r.h);
        return PL_EPLUGIN;
    }
    int rc = 0;
    if (predict_path && !(r.pred = fopen(predict_path, "w"))) {
        rc = -errno;
        fprintf(stderr, "pressline eval extract: cannot write %s\n", predict_path);
    }
    if (rc == 0)
        rc = evaldata ? s_trafilatura(&r, evaldata, pages, report)
                      : s_zyte(&r, truth, pages, report);
    if (r.pred && fclose(r.pred) != 0 && rc == 0)
        rc = -EIO;
    pl_plugin_instance_fini(&r.inst);
    pl_plugin_close(&r.h);
    return rc;
}
