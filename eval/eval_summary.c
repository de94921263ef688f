/*
 * `pressline eval summary`: see eval_summary.h.
 */
#include "eval_summary.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "errcode.h"
#include "pipeline.h"
#include "rouge.h"
#include "text.h"

struct sum {
    double r1, r2, rl;
};

static void s_add(struct sum *s, const struct pl_rouge_score *r)
{
    s->r1 += r->r1;
    s->r2 += r->r2;
    s->rl += r->rlsum;
}

/* The reference: highlights, one sentence per line. Caller frees *v and
 * the copy in *buf. */
static size_t s_lines(const char *text, char **buf, const char ***v)
{
    *buf = strdup(text);
    size_t n = 0;
    *v = NULL;
    if (!*buf)
        return 0;
    for (const char *p = *buf; *p; p++)
        n += *p == '\n';
    *v = calloc(n + 2, sizeof(char *));
    if (!*v)
        return 0;
    n = 0;
    for (char *p = *buf, *save = NULL, *l; (l = strtok_r(p, "\n", &save)); p = NULL)
        (*v)[n++] = l;
    return n;
}

size_t pl_lead_sentences(const char *text, size_t k, char **out)
{
    struct pl_tokens t = { 0 };
    struct pl_spans s = { 0 };
    size_t n = 0;
    if (pl_tokenize(text, strlen(text), &t) == 0 && pl_sentences(text, &t, &s) == 0)
        for (; n < s.n && n < k; n++) {
            out[n] = strndup(text + s.v[n].start, s.v[n].end - s.v[n].start);
            if (!out[n])
                break;
        }
    free(t.v);
    free(s.v);
    return n;
}

/* One evaluation: the pipeline, the scorer, the prediction file and the
 * sums so far. */
struct run {
    struct pl_pipeline p;
    struct pl_rouge *rouge;
    FILE *pred; /* or NULL */
    struct sum ours, lead;
    size_t rows, failed, empty;
};

/* The texts of the summary's sentences in a pipeline result, borrowed from
 * res, into a new array (caller frees; NULL when out of memory). Returns
 * how many. */
static size_t s_summary_sentences(const cJSON *res, const char ***out)
{
    const cJSON *sents = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(res, "summary"), "sentences");
    const char **cand = calloc((size_t)cJSON_GetArraySize(sents) + 1, sizeof(char *));
    size_t k = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, sents)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "text");
        if (cand && cJSON_IsString(t))
            cand[k++] = t->valuestring;
    }
    *out = cand;
    return k;
}

/* A {"id","summary"} line: the summary's sentences one per line. */
static void s_write_prediction(FILE *pred, const char *id, const char **cand, size_t ncand)
{
    cJSON *o = cJSON_CreateObject();
    struct pl_buf sb = { 0 };
    for (size_t i = 0; i < ncand; i++) {
        if (i)
            pl_buf_putc(&sb, '\n');
        pl_buf_append(&sb, cand[i], strlen(cand[i]));
    }
    pl_buf_terminate(&sb);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "summary", sb.data ? sb.data : "");
    char *js = cJSON_PrintUnformatted(o);
    if (js)
        fprintf(pred, "%s\n", js);
    cJSON_free(js);
    cJSON_Delete(o);
    free(sb.data);
}

/* Runs the pipeline on one article and adds the ROUGE of its summary and
 * of its lead-3 against the highlights to the sums (an article the
 * pipeline failed, or a failed score, counts as zero). Returns 0, or
 * -ENOMEM when the pipeline could not run at all (said on stderr). */
static int s_score_row(struct run *r, const char *id, const char *article, const char *highlights)
{
    r->rows++;
    char *out = NULL, *refbuf = NULL;
    size_t out_len = 0;
    int is_err = 0;
    const char **ref = NULL;
    size_t nref = s_lines(highlights, &refbuf, &ref);
    if (pl_pipeline_buffer(&r->p, id, article, strlen(article), r->rows, &out, &out_len, &is_err) !=
        0) {
        fprintf(stderr, "pressline eval summary: out of memory\n");
        free(refbuf);
        free(ref);
        return -ENOMEM;
    }
    cJSON *res = cJSON_ParseWithLength(out, out_len);
    const char **cand = NULL;
    char *leadv[3];
    size_t ncand = 0, nlead = 0;
    if (is_err) {
        const cJSON *why = cJSON_GetObjectItemCaseSensitive(res, "reason");
        fprintf(stderr, "pressline eval summary: %s: %s\n", id,
                cJSON_IsString(why) ? why->valuestring : "failed");
        r->failed++;
    } else {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(res, "text");
        ncand = s_summary_sentences(res, &cand);
        if (cJSON_IsString(text))
            nlead = pl_lead_sentences(text->valuestring, 3, leadv);
    }
    r->empty += ncand == 0;
    struct pl_rouge_score a = { 0 }, b = { 0 };
    if (pl_rouge_score(r->rouge, cand, ncand, ref, nref, &a) != 0 ||
        pl_rouge_score(r->rouge, (const char *const *)leadv, nlead, ref, nref, &b) != 0)
        fprintf(stderr, "pressline eval summary: out of memory\n");
    s_add(&r->ours, &a);
    s_add(&r->lead, &b);
    if (r->pred)
        s_write_prediction(r->pred, id, cand, ncand);
    for (size_t i = 0; i < nlead; i++)
        free(leadv[i]);
    free(cand);
    cJSON_Delete(res);
    free(out);
    free(refbuf);
    free(ref);
    return 0;
}

/* Every row of in; lines that are not rows are skipped with a warning
 * (blank ones silently). Returns 0 or the code of s_score_row. */
static int s_score_rows(struct run *r, FILE *in, const char *path)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, in)) > 0) {
        lineno++;
        cJSON *row = cJSON_ParseWithLength(line, (size_t)len);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(row, "id");
        const cJSON *art = cJSON_GetObjectItemCaseSensitive(row, "article");
        const cJSON *hl = cJSON_GetObjectItemCaseSensitive(row, "highlights");
        if (cJSON_IsString(id) && cJSON_IsString(art) && cJSON_IsString(hl))
            rc = s_score_row(r, id->valuestring, art->valuestring, hl->valuestring);
        else if (len > 1 || line[0] != '\n')
            fprintf(stderr,
                    "pressline eval summary: %s:%zu: not a row of "
                    "{\"id\",\"article\",\"highlights\"} strings; skipped\n",
                    path, lineno);
        cJSON_Delete(row);
    }
    free(line);
    return rc;
}

/* The table: ROUGE-1, ROUGE-2, ROUGE-Lsum (x100, mean over rows) of
 * pressline and of lead-3. */
static void s_report(const struct run *r, FILE *report)
{
    double n = (double)r->rows;
    fprintf(report, "%zu articles (%zu failed in the pipeline, %zu with an empty summary)\n",
            r->rows, r->failed, r->empty);
    fprintf(report, "%-12s %8s %8s %10s\n", "", "ROUGE-1", "ROUGE-2", "ROUGE-Lsum");
    fprintf(report, "%-12s %8.2f %8.2f %10.2f\n", "pressline", 100 * r->ours.r1 / n,
            100 * r->ours.r2 / n, 100 * r->ours.rl / n);
    fprintf(report, "%-12s %8.2f %8.2f %10.2f\n", "lead-3", 100 * r->lead.r1 / n,
            100 * r->lead.r2 / n, 100 * r->lead.rl / n);
}

int pl_eval_summary(const struct pl_config *cfg, const char *path, const char *predict_path,
                    FILE *report)
{
    char err[1024];
    struct run r = { 0 };
    FILE *in = NULL;
    int rc;
    if (pl_pipeline_open(&r.p, cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "pressline eval summary: %s\n", err);
        return PL_EPLUGIN;
    }
    rc = pl_rouge_new(&r.rouge);
    if (rc != 0) {
        fprintf(stderr, "pressline eval summary: libstemmer has no English stemmer\n");
        goto out;
    }
    in = fopen(path, "r");
    r.pred = predict_path ? fopen(predict_path, "w") : NULL;
    if (!in || (predict_path && !r.pred)) {
        char eb[128];
        rc = -errno;
        fprintf(stderr, "pressline eval summary: cannot open %s: %s\n", !in ? path : predict_path,
                strerror_r(errno, eb, sizeof(eb)));
        goto out;
    }
    rc = s_score_rows(&r, in, path);
    if (rc == 0 && r.rows == 0) {
        fprintf(stderr, "pressline eval summary: no rows in %s\n", path);
        rc = PL_EINPUT;
    }
    if (rc == 0)
        s_report(&r, report);
out:
    if (in)
        fclose(in);
    if (r.pred && fclose(r.pred) != 0) {
        fprintf(stderr, "pressline eval summary: cannot write %s\n", predict_path);
        rc = rc ? rc : -EIO;
    }
    pl_rouge_free(&r.rouge);
    pl_pipeline_close(&r.p);
    return rc;
}
