/*
 * `pressline eval summary`: see eval_summary.h.
 */
#include "eval_summary.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config.h"
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

int pl_eval_summary(const struct pl_config *cfg, const char *path, const char *predict_path,
                    FILE *report)
{
    char err[1024];
    struct pl_pipeline p = { 0 };
    struct pl_rouge *rouge = NULL;
    FILE *in = NULL, *pred = NULL;
    int rc = -1;
    if (pl_pipeline_open(&p, cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "pressline eval summary: %s\n", err);
        return -1;
    }
    if (pl_rouge_new(&rouge) != 0) {
        fprintf(stderr, "pressline eval summary: libstemmer has no English stemmer\n");
        goto out;
    }
    in = fopen(path, "r");
    pred = predict_path ? fopen(predict_path, "w") : NULL;
    if (!in || (predict_path && !pred)) {
        char eb[128];
        fprintf(stderr, "pressline eval summary: cannot open %s: %s\n", !in ? path : predict_path,
                strerror_r(errno, eb, sizeof(eb)));
        goto out;
    }
    struct sum ours = { 0 }, lead = { 0 };
    size_t rows = 0, failed = 0, empty = 0, lineno = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, in)) > 0) {
        lineno++;
        cJSON *row = cJSON_ParseWithLength(line, (size_t)len);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(row, "id");
        const cJSON *art = cJSON_GetObjectItemCaseSensitive(row, "article");
        const cJSON *hl = cJSON_GetObjectItemCaseSensitive(row, "highlights");
        if (!cJSON_IsString(id) || !cJSON_IsString(art) || !cJSON_IsString(hl)) {
            if (len > 1 || line[0] != '\n')
                fprintf(stderr,
                        "pressline eval summary: %s:%zu: not a row of "
                        "{\"id\",\"article\",\"highlights\"} strings; skipped\n",
                        path, lineno);
            cJSON_Delete(row);
            continue;
        }
        rows++;
        char *out = NULL, *refbuf = NULL;
        size_t out_len = 0;
        int is_err = 0;
        const char **ref = NULL;
        size_t nref = s_lines(hl->valuestring, &refbuf, &ref);
        const char **cand = NULL;
        char *leadv[3];
        size_t ncand = 0, nlead = 0;
        cJSON *res = NULL;
        if (pl_pipeline_buffer(&p, id->valuestring, art->valuestring, strlen(art->valuestring),
                               rows, &out, &out_len, &is_err) != 0) {
            fprintf(stderr, "pressline eval summary: out of memory\n");
            cJSON_Delete(row);
            free(refbuf);
            free(ref);
            free(line);
            goto out;
        }
        res = cJSON_ParseWithLength(out, out_len);
        if (is_err) {
            const cJSON *why = cJSON_GetObjectItemCaseSensitive(res, "reason");
            fprintf(stderr, "pressline eval summary: %s: %s\n", id->valuestring,
                    cJSON_IsString(why) ? why->valuestring : "failed");
            failed++;
        } else {
            const cJSON *text = cJSON_GetObjectItemCaseSensitive(res, "text");
            const cJSON *sents = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(res, "summary"), "sentences");
            ncand = (size_t)cJSON_GetArraySize(sents);
            cand = calloc(ncand + 1, sizeof(char *));
            size_t k = 0;
            const cJSON *s;
            cJSON_ArrayForEach(s, sents)
            {
                const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "text");
                if (cand && cJSON_IsString(t))
                    cand[k++] = t->valuestring;
            }
            ncand = k;
            if (cJSON_IsString(text))
                nlead = pl_lead_sentences(text->valuestring, 3, leadv);
        }
        empty += ncand == 0;
        struct pl_rouge_score a = { 0 }, b = { 0 };
        if (pl_rouge_score(rouge, cand, ncand, ref, nref, &a) != 0 ||
            pl_rouge_score(rouge, (const char *const *)leadv, nlead, ref, nref, &b) != 0) {
            fprintf(stderr, "pressline eval summary: out of memory\n");
            rc = -1;
        }
        s_add(&ours, &a);
        s_add(&lead, &b);
        if (pred) {
            cJSON *o = cJSON_CreateObject();
            struct pl_buf sb = { 0 };
            for (size_t i = 0; i < ncand; i++) {
                if (i)
                    pl_buf_putc(&sb, '\n');
                pl_buf_append(&sb, cand[i], strlen(cand[i]));
            }
            pl_buf_terminate(&sb);
            cJSON_AddStringToObject(o, "id", id->valuestring);
            cJSON_AddStringToObject(o, "summary", sb.data ? sb.data : "");
            char *js = cJSON_PrintUnformatted(o);
            if (js)
                fprintf(pred, "%s\n", js);
            cJSON_free(js);
            cJSON_Delete(o);
            free(sb.data);
        }
        for (size_t i = 0; i < nlead; i++)
            free(leadv[i]);
        free(cand);
        cJSON_Delete(res);
        free(out);
        free(refbuf);
        free(ref);
        cJSON_Delete(row);
    }
    free(line);
    if (rows == 0) {
        fprintf(stderr, "pressline eval summary: no rows in %s\n", path);
        goto out;
    }
    double n = (double)rows;
    fprintf(report, "%zu articles (%zu failed in the pipeline, %zu with an empty summary)\n", rows,
            failed, empty);
    fprintf(report, "%-12s %8s %8s %10s\n", "", "ROUGE-1", "ROUGE-2", "ROUGE-Lsum");
    fprintf(report, "%-12s %8.2f %8.2f %10.2f\n", "pressline", 100 * ours.r1 / n, 100 * ours.r2 / n,
            100 * ours.rl / n);
    fprintf(report, "%-12s %8.2f %8.2f %10.2f\n", "lead-3", 100 * lead.r1 / n, 100 * lead.r2 / n,
            100 * lead.rl / n);
    rc = 0;
out:
    if (in)
        fclose(in);
    if (pred && fclose(pred) != 0) {
        fprintf(stderr, "pressline eval summary: cannot write %s\n", predict_path);
        rc = -1;
    }
    pl_rouge_free(&rouge);
    pl_pipeline_close(&p);
    return rc;
}
