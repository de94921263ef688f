/* NER evaluation; see eval_ner.h. */
#include "eval_ner.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "conll.h"
#include "errcode.h"
#include "loader.h"
#include "text.h"

struct tok {
    char *line;        /* the input line, without its newline */
    char *word;        /* first column */
    char *gold;        /* last column */
    size_t start, end; /* bytes in the document text */
    char pred[16];
    size_t sentence;
};

struct doc {
    struct tok *t;
    size_t n, cap;
    size_t nsent;
    struct pl_buf text;
};

/* Adds the token of one input line. Takes line, even on failure (a token
 * that holds it frees it with the document). Returns 0 or -ENOMEM. */
static int s_add(struct doc *d, char *line)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 256;
        struct tok *t = realloc(d->t, cap * sizeof(*t));
        if (!t) {
            free(line);
            return -ENOMEM;
        }
        d->t = t;
        d->cap = cap;
    }
    struct tok *k = &d->t[d->n++];
    memset(k, 0, sizeof(*k));
    k->line = line;
    char *sp = strchr(line, ' ');
    k->word = strndup(line, sp ? (size_t)(sp - line) : strlen(line));
    char *last = strrchr(line, ' ');
    k->gold = last ? last + 1 : (char *)"O";
    k->sentence = d->nsent;
    if (!k->word)
        return -ENOMEM;
    if (d->text.len && d->t[d->n - 1].sentence == (d->n > 1 ? d->t[d->n - 2].sentence : (size_t)-1))
        pl_buf_putc(&d->text, ' ');
    else if (d->text.len)
        pl_buf_putc(&d->text, '\n');
    k->start = d->text.len;
    pl_buf_append(&d->text, k->word, strlen(k->word));
    k->end = d->text.len;
    snprintf(k->pred, sizeof(k->pred), "O");
    return 0;
}

static const char *s_conll_of(const char *type)
{
    if (!strcmp(type, "PERSON"))
        return "PER";
    if (!strcmp(type, "ORG") || !strcmp(type, "LOC") || !strcmp(type, "MISC"))
        return type;
    return NULL; /* DATE and others are not CoNLL classes */
}

/* Runs the plugin on the document and fills each token's pred. Returns 0,
 * -ENOMEM, or PL_ESTAGE when the plugin failed (said on stderr). */
static int s_predict(struct pl_plugin_instance *inst, struct doc *d)
{
    if (pl_buf_terminate(&d->text) != 0)
        return -ENOMEM;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "text", d->text.data);
    char *in = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    char *out = NULL;
    size_t out_len = 0;
    struct pl_error err = { { 0 } };
    int rc = inst->desc->process(inst->state, in, strlen(in), &out, &out_len, &err);
    cJSON_free(in);
    if (rc != 0) {
        fprintf(stderr, "pressline eval ner: the plugin failed: %s\n", err.message);
        return PL_ESTAGE;
    }
    cJSON *r = cJSON_ParseWithLength(out, out_len);
    inst->desc->release(inst->state, out);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(r, "entities"))
    {
        const cJSON *ty = cJSON_GetObjectItemCaseSensitive(e, "type");
        const char *c = cJSON_IsString(ty) ? s_conll_of(ty->valuestring) : NULL;
        if (!c)
            continue;
        const cJSON *m;
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(e, "mentions"))
        {
            size_t a = (size_t)cJSON_GetObjectItemCaseSensitive(m, "start")->valuedouble;
            size_t b = (size_t)cJSON_GetObjectItemCaseSensitive(m, "end")->valuedouble;
            int first = 1;
            /* A token belongs to the mention when it starts inside it. */
            for (size_t i = 0; i < d->n; i++) {
                if (d->t[i].start < a || d->t[i].start >= b)
                    continue;
                snprintf(d->t[i].pred, sizeof(d->t[i].pred), "%s-%s", first ? "B" : "I", c);
                first = 0;
            }
        }
    }
    cJSON_Delete(r);
    return 0;
}

static void s_score(struct doc *d, struct pl_conll_score *s, FILE *pred_out)
{
    size_t i = 0;
    while (i < d->n) {
        size_t j = i;
        while (j < d->n && d->t[j].sentence == d->t[i].sentence)
            j++;
        const char **gold = malloc((j - i) * sizeof(char *)),
                   **pred = malloc((j - i) * sizeof(char *));
        if (gold && pred) {
            for (size_t k = i; k < j; k++) {
                gold[k - i] = d->t[k].gold;
                pred[k - i] = d->t[k].pred;
            }
            pl_conll_score_add(s, gold, pred, j - i);
        }
        free(gold);
        free(pred);
        if (pred_out) {
            for (size_t k = i; k < j; k++)
                fprintf(pred_out, "%s %s\n", d->t[k].line, d->t[k].pred);
            fputc('\n', pred_out);
        }
        i = j;
    }
}

static void s_doc_reset(struct doc *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->t[i].word);
    d->n = 0;
    d->nsent = 0;
    d->text.len = 0;
}

int pl_eval_ner(const struct pl_config *cfg, const char *stage, const char *path,
                const char *predict_path, FILE *report)
{
    const struct pl_stage_cfg *sc = NULL;
    for (size_t i = 0; i < cfg->nstages; i++)
        if (!strcmp(cfg->stages[i].name, stage))
            sc = &cfg->stages[i];
    if (!sc) {
        fprintf(stderr, "pressline eval ner: no stage named \"%s\" in the configuration\n", stage);
        return PL_ECONFIG;
    }
    char err[1024];
    struct pl_plugin_handle *h = NULL;
    if (pl_plugin_open(sc->plugin_path, &h, err, sizeof(err)) != 0) {
        fprintf(stderr, "pressline eval ner: %s\n", err);
        return PL_EPLUGIN;
    }
    struct pl_plugin_instance *inst = calloc(1, sizeof(*inst));
    if (!inst || pl_plugin_instance_init(inst, h, sc->name, sc->options_json, err, sizeof(err))) {
        int code = inst ? PL_EPLUGIN : -ENOMEM;
        fprintf(stderr, "pressline eval ner: %s\n", inst ? err : "out of memory");
        free(inst);
        pl_plugin_close(&h);
        return code;
    }
    FILE *in = fopen(path, "r");
    FILE *pred = predict_path ? fopen(predict_path, "w") : NULL;
    int rc = 0;
    if (!in || (predict_path && !pred)) {
        rc = errno ? -errno : -EIO;
        fprintf(stderr, "pressline eval ner: cannot open %s\n", !in ? path : predict_path);
        goto out;
    }
    struct pl_conll_score s = { 0 };
    struct doc d = { 0 };
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int in_sentence = 0;
    for (;;) {
        len = getline(&line, &cap, in);
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        int eof = len < 0, blank = !eof && len == 0,
            docstart = !eof && !strncmp(line, "-DOCSTART-", 10);
        if (eof || docstart) {
            if (d.n && (rc = s_predict(inst, &d)) != 0)
                goto out_doc;
            s_score(&d, &s, pred);
            for (size_t i = 0; i < d.n; i++)
                free(d.t[i].line);
            s_doc_reset(&d);
            if (eof)
                break;
            if (pred)
                fprintf(pred, "%s\n\n", line);
            in_sentence = 0;
            continue;
        }
        if (blank) {
            if (in_sentence)
                d.nsent++;
            in_sentence = 0;
            continue;
        }
        char *copy = strdup(line);
        rc = copy ? s_add(&d, copy) : -ENOMEM;
        if (rc != 0)
            goto out_doc;
        in_sentence = 1;
    }
    double p, r, f;
    size_t gold = 0, found = 0, correct = 0;
    for (int t = 0; t < PL_CONLL_TYPES; t++) {
        gold += s.gold[t];
        found += s.found[t];
        correct += s.correct[t];
    }
    pl_conll_prf(&s, -1, &p, &r, &f);
    fprintf(report, "processed %zu tokens with %zu phrases; found: %zu phrases; correct: %zu.\n",
            s.tokens, gold, found, correct);
    fprintf(report, "accuracy: %6.2f%%; precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f\n",
            s.tokens ? 100.0 * (double)s.tokens_correct / (double)s.tokens : 0, p, r, f);
    for (int t = 0; t < PL_CONLL_TYPES; t++) {
        pl_conll_prf(&s, t, &p, &r, &f);
        fprintf(report, "%17s: precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f  %zu\n",
                pl_conll_type_names[t], p, r, f, s.found[t]);
    }
    rc = 0;
out_doc:
    for (size_t i = 0; i < d.n; i++)
        free(d.t[i].line);
    s_doc_reset(&d);
    free(d.t);
    free(d.text.data);
    free(line);
out:
    if (in)
        fclose(in);
    if (pred)
        fclose(pred);
    pl_plugin_instance_fini(inst);
    free(inst);
    pl_plugin_close(&h);
    return rc;
}
