/*
 * pl_train_summary: trains the summarize plugin's sentence scorer on
 * {"id","article","highlights"} rows (CNN/DailyMail) and writes weights.h.
 *
 * Each article goes through the real pipeline (clean, entities, summarize
 * with "features": true), so the features are exactly the plugin's. A
 * sentence's label is 1 when it belongs to the greedy oracle: the up to
 * three sentences that, added one at a time, most raise the mean of
 * ROUGE-1 and ROUGE-2 F1 against the highlights. The scorer is linear,
 * fitted with a listwise loss per article and then calibrated (s_fit),
 * by full-batch gradient descent (deterministic).
 *
 * Cross-validation: the rows are split into 5 folds by their order; each
 * fold is summarized by the plugin with weights trained on the other four,
 * and ROUGE of those held-out summaries is printed next to lead-3's on the
 * same rows. The weights written are then trained on all rows.
 *
 * Teasers: a page often carries, above the article, the first sentence of
 * another story (a "breaking" line, a teaser). The highlights never take
 * it up, so the oracle never picks it, but CNN/DailyMail has no such pages
 * to learn that from. So every N-th article (--teasers N, 1 by default: every one; 0
 * for none) also enters training as a copy with the first sentence of
 * another article of its fold, the nearest in subject (s_teaser_source),
 * put above it as a paragraph of its own: the
 * scorer learns on the copies that such a sentence is not the story. The
 * copy is in its article's fold; held out, it is scored apart, as the
 * share of copies whose teaser was taken into the summary
 * (--no-teaser-training scores the copies without learning on them, to
 * see what they teach).
 *
 *   pl_train_summary --data FILE.jsonl --out weights.h [--folds K] [--teasers N]
 *                    [--no-teaser-training] [--teaser-pick similar|far]
 *                    [--without FEATURE,...]
 *
 * --without holds the named features (as "summary_features" names them)
 * at weight 0, to measure what each adds on the same folds.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "errcode.h"
#include "eval_summary.h"
#include "pipeline.h"
#include "rouge.h"
#include "text.h"

struct row {
    char *id, *article;
    char **ref; /* highlights, one per line */
    size_t nref;
    size_t nx;    /* candidates */
    double *x;    /* nx * nf features */
    uint8_t *y;   /* oracle labels */
    char *lead;   /* the first candidate sentence, once the features are read */
    int fold;     /* cross-validation fold: the article's, for its teaser copy too */
    char *teaser; /* a teaser copy: the other article's sentence put above this one */
};

static size_t s_nf;
static const char *s_without;   /* --without: comma-separated features held at weight 0 */
static int s_learn_teasers = 1; /* --no-teaser-training: the copies are only scored */
static char **s_names;

static void *s_xalloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "pl_train_summary: out of memory\n");
        exit(1);
    }
    return q;
}

/* Sets the summarize stage's options in cfg. */
static int s_set_options(struct pl_config *cfg, const char *json)
{
    int rc = pl_config_set_stage_options(cfg, "summarize", json);
    if (rc == PL_ECONFIG)
        fprintf(stderr, "pl_train_summary: the configuration has no summarize stage\n");
    return rc;
}

/* Runs the pipeline on one article; returns the result (caller deletes) or
 * NULL when the article failed. */
static cJSON *s_run(struct pl_pipeline *p, const struct row *r)
{
    char *out = NULL;
    size_t len = 0;
    int is_err = 0;
    if (pl_pipeline_buffer(p, r->id, r->article, strlen(r->article), 1, &out, &len, &is_err) != 0) {
        fprintf(stderr, "pl_train_summary: out of memory\n");
        exit(1);
    }
    cJSON *res = is_err ? NULL : cJSON_ParseWithLength(out, len);
    free(out);
    return res;
}

/* Mean of ROUGE-1 and ROUGE-2 F1 of the sentences picked (in text order). */
static double s_gain(struct pl_rouge *rg, char **sent, const uint8_t *pick, size_t n,
                     const struct row *r)
{
    const char *c[16];
    size_t nc = 0;
    for (size_t i = 0; i < n && nc < 16; i++)
        if (pick[i])
            c[nc++] = sent[i];
    struct pl_rouge_score s;
    if (pl_rouge_score(rg, c, nc, (const char *const *)r->ref, r->nref, &s) != 0)
        exit(1);
    return (s.r1 + s.r2) / 2;
}

static int s_load(const char *path, struct row **out, size_t *nout)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        char eb[128];
        int e = errno;
        fprintf(stderr, "pl_train_summary: cannot open %s: %s\n", path,
                strerror_r(e, eb, sizeof(eb)));
        return -e;
    }
    struct row *v = NULL;
    size_t n = 0, cap = 0, lineno = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) > 0) {
        lineno++;
        cJSON *o = cJSON_ParseWithLength(line, (size_t)len);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "article");
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "highlights");
        if (!cJSON_IsString(id) || !cJSON_IsString(a) || !cJSON_IsString(h)) {
            fprintf(stderr, "pl_train_summary: %s:%zu: not an {id,article,highlights} row\n", path,
                    lineno);
            cJSON_Delete(o);
            continue;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 512;
            v = s_xalloc(v, cap * sizeof(*v));
        }
        struct row *r = &v[n++];
        memset(r, 0, sizeof(*r));
        r->id = strdup(id->valuestring);
        r->article = strdup(a->valuestring);
        char *hl = strdup(h->valuestring), *save = NULL;
        for (char *l = strtok_r(hl, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
            r->ref = s_xalloc(r->ref, (r->nref + 1) * sizeof(char *));
            r->ref[r->nref++] = strdup(l);
        }
        free(hl);
        cJSON_Delete(o);
    }
    free(line);
    fclose(f);
    *out = v;
    *nout = n;
    return n ? 0 : PL_EINPUT;
}

/* Features and oracle labels of every row. */
static void s_extract(struct pl_pipeline *p, struct pl_rouge *rg, struct row *rows, size_t n)
{
    size_t pos = 0, cands = 0;
    for (size_t i = 0; i < n; i++) {
        struct row *r = &rows[i];
        cJSON *res = s_run(p, r);
        const cJSON *fo = cJSON_GetObjectItemCaseSensitive(res, "summary_features");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(res, "text");
        if (!fo || !cJSON_IsString(text)) {
            cJSON_Delete(res);
            continue;
        }
        if (!s_names) {
            const cJSON *names = cJSON_GetObjectItemCaseSensitive(fo, "names"), *nm;
            s_nf = (size_t)cJSON_GetArraySize(names);
            s_names = s_xalloc(NULL, s_nf * sizeof(char *));
            size_t k = 0;
            cJSON_ArrayForEach(nm, names) s_names[k++] = strdup(nm->valuestring);
        }
        const cJSON *sents = cJSON_GetObjectItemCaseSensitive(fo, "sentences"), *s;
        r->nx = (size_t)cJSON_GetArraySize(sents);
        r->x = s_xalloc(NULL, r->nx * s_nf * sizeof(double));
        r->y = s_xalloc(NULL, r->nx + 1);
        memset(r->y, 0, r->nx + 1);
        char **st = s_xalloc(NULL, (r->nx + 1) * sizeof(char *));
        size_t k = 0;
        cJSON_ArrayForEach(s, sents)
        {
            size_t a = (size_t)cJSON_GetObjectItemCaseSensitive(s, "start")->valuedouble;
            size_t b = (size_t)cJSON_GetObjectItemCaseSensitive(s, "end")->valuedouble;
            st[k] = strndup(text->valuestring + a, b - a);
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(s, "x"), *xv;
            size_t f = 0;
            cJSON_ArrayForEach(xv, x) r->x[k * s_nf + f++] = xv->valuedouble;
            k++;
        }
        /* Greedy oracle, up to three sentences. */
        double best = 0;
        for (int round = 0; round < 3; round++) {
            size_t bi = r->nx;
            for (size_t c = 0; c < r->nx; c++) {
                if (r->y[c])
                    continue;
                r->y[c] = 1;
                double g = s_gain(rg, st, r->y, r->nx, r);
                r->y[c] = 0;
                if (g > best + 1e-12) {
                    best = g;
                    bi = c;
                }
            }
            if (bi == r->nx)
                break;
            r->y[bi] = 1;
            pos++;
        }
        cands += r->nx;
        if (r->nx)
            r->lead = strdup(st[0]);
        for (size_t c = 0; c < r->nx; c++)
            free(st[c]);
        free(st);
        cJSON_Delete(res);
    }
    fprintf(stderr, "%zu rows, %zu candidate sentences, %zu in the oracle summaries\n", n, cands,
            pos);
}

/* The linear score w . x of candidate c of r (no bias). */
static double s_dot(const double *w, const struct row *r, size_t c)
{
    const double *x = r->x + c * s_nf;
    double z = 0;
    for (size_t f = 0; f < s_nf; f++)
        z += w[f] * x[f];
    return z;
}

/* Adds to g the gradient of one article's listwise loss: the cross-entropy
 * between the softmax of its candidates' scores and the oracle spread
 * evenly over its sentences, times the number of candidates (so that each
 * candidate weighs as in a pointwise loss). p has r->nx slots. */
static void s_listwise_grad(const double *w, const struct row *r, double *p, double *g)
{
    double top = -INFINITY, sum = 0;
    size_t npos = 0;
    for (size_t c = 0; c < r->nx; c++) {
        p[c] = s_dot(w, r, c);
        top = p[c] > top ? p[c] : top;
        npos += r->y[c];
    }
    if (npos == 0)
        return; /* no oracle sentence: nothing to rank towards */
    for (size_t c = 0; c < r->nx; c++)
        sum += (p[c] = exp(p[c] - top));
    for (size_t c = 0; c < r->nx; c++) {
        double err = (p[c] / sum - r->y[c] / (double)npos) * (double)r->nx;
        const double *x = r->x + c * s_nf;
        for (size_t f = 0; f < s_nf; f++)
            g[f] += err * x[f];
    }
}

/* Fits the scorer on the rows with fold != skip (skip < 0: all). The
 * weights are learned with a listwise loss, since the summary is a choice
 * among one article's sentences (on the dev rows this beat logistic
 * regression on the same labels by 0.3 to 0.4 ROUGE, held-out); the bias
 * is then fitted alone, by logistic regression of the oracle labels on the
 * scores, so that the score the plugin computes is a calibrated chance of
 * being an oracle sentence, the scale the MMR option weighs against a
 * cosine. Full-batch gradient descent with an L2 penalty: deterministic. */
/* Whether row r trains the model that holds out fold skip. */
static int s_trains(const struct row *r, int skip)
{
    return r->fold != skip && !(r->teaser && !s_learn_teasers);
}

/* Whether --without names feature f (an ablation: its weight stays 0). */
static int s_left_out(size_t f)
{
    size_t l = strlen(s_names[f]);
    for (const char *p = s_without; p && *p;) {
        const char *e = strchr(p, ',');
        size_t pl = e ? (size_t)(e - p) : strlen(p);
        if (pl == l && !memcmp(p, s_names[f], l))
            return 1;
        p = e ? e + 1 : p + pl;
    }
    return 0;
}

static void s_fit(const struct row *rows, size_t n, int skip, double *w)
{
    size_t nf = s_nf, m = 0, most = 1;
    double *g = s_xalloc(NULL, (nf + 1) * sizeof(double));
    memset(w, 0, (nf + 1) * sizeof(double));
    const double lr = 0.5, l2 = 1e-4;
    for (size_t i = 0; i < n; i++)
        if (s_trains(&rows[i], skip)) {
            m += rows[i].nx;
            most = rows[i].nx > most ? rows[i].nx : most;
        }
    double *p = s_xalloc(NULL, most * sizeof(double));
    for (int it = 0; it < 3000; it++) {
        memset(g, 0, (nf + 1) * sizeof(double));
        for (size_t i = 0; i < n; i++)
            if (s_trains(&rows[i], skip))
                s_listwise_grad(w, &rows[i], p, g);
        for (size_t f = 0; f < nf; f++)
            if (!s_left_out(f))
                w[f] -= lr * (g[f] / (double)m + l2 * w[f]);
    }
    for (int it = 0; it < 2000; it++) {
        double gb = 0;
        for (size_t i = 0; i < n; i++) {
            if (!s_trains(&rows[i], skip))
                continue;
            for (size_t c = 0; c < rows[i].nx; c++)
                gb += 1 / (1 + exp(-(w[nf] + s_dot(w, &rows[i], c)))) - rows[i].y[c];
        }
        w[nf] -= gb / (double)m;
    }
    free(p);
    free(g);
}

static char *s_weights_json(const double *w)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "weights", cJSON_CreateDoubleArray(w, (int)s_nf + 1));
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static const char s_usage[] =
    "usage: pl_train_summary --data FILE.jsonl --out weights.h [--folds K] [--teasers N]\n"
    "                        [--no-teaser-training] [--teaser-pick similar|far]\n"
    "                        [--without FEATURE,...]\n";

struct options {
    const char *data, *out;
    int folds;
    int teasers;         /* every teasers-th article also gets a teaser copy; 0: none */
    int similar_teasers; /* --teaser-pick similar (default) or far */
};

/* Fills o from the command line. Sets *go_on when there is work to do;
 * otherwise returns the exit status: 0 after --help, 2 after a usage
 * error (printed here). */
static int s_options(int argc, char **argv, struct options *o, int *go_on)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },
        { "out", required_argument, NULL, 'o' },
        { "folds", required_argument, NULL, 'f' },
        { "teasers", required_argument, NULL, 't' },
        { "no-teaser-training", no_argument, NULL, 'n' },
        { "teaser-pick", required_argument, NULL, 'p' },
        { "without", required_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    *o = (struct options){ .folds = 5, .teasers = 1, .similar_teasers = 1 };
    *go_on = 0;
    int ch;
    opterr = 0; /* the usage line says it all, as before getopt */
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd': o->data = optarg; break;
        case 'o': o->out = optarg; break;
        case 'f': o->folds = (int)strtol(optarg, NULL, 10); break;
        case 't': o->teasers = (int)strtol(optarg, NULL, 10); break;
        case 'n': s_learn_teasers = 0; break;
        case 'w': s_without = optarg; break;
        case 'p':
            if (strcmp(optarg, "similar") && strcmp(optarg, "far")) {
                fputs(s_usage, stderr);
                return 2;
            }
            o->similar_teasers = !strcmp(optarg, "similar");
            break;
        case 'h': fputs(s_usage, stdout); return 0;
        default: fputs(s_usage, stderr); return 2;
        }
    }
    if (!o->data || !o->out || o->folds < 2 || o->teasers < 0 || optind < argc) {
        fputs(s_usage, stderr);
        return 2;
    }
    *go_on = 1;
    return 0;
}

/* ROUGE sums over rows: v[0] of pressline's summaries, v[1] of lead-3;
 * each R1, R2, RLsum. */
struct sums {
    double v[2][3];
    size_t m;              /* articles scored */
    size_t teasers, taken; /* teaser copies summarized, teasers taken into their summary */
};

/* Fold k held out: summarizes its rows with weights w trained on the
 * others and adds their ROUGE to tot; prints the fold's line. Returns 0,
 * or 1 when the pipeline cannot be opened or scoring fails. */
static int s_held_out_fold(struct pl_config *cfg, struct pl_rouge *rg, const struct row *rows,
                           size_t n, int k, const double *w, struct sums *tot)
{
    char err[1024] = "";
    char *opt = s_weights_json(w);
    struct pl_pipeline fp = { 0 };
    if (s_set_options(cfg, opt) != 0 || pl_pipeline_open(&fp, cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "pl_train_summary: %s\n", err);
        return 1;
    }
    free(opt);
    double sum[2][3] = { { 0 } };
    size_t m = 0;
    size_t teasers = 0, taken = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].fold != k)
            continue;
        cJSON *res = s_run(&fp, &rows[i]);
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(res, "text");
        const cJSON *ss = cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItemCaseSensitive(res, "summary"), "sentences"),
                    *s;
        const char *c[64];
        size_t nc = 0;
        cJSON_ArrayForEach(s, ss) if (nc < 64) c[nc++] =
            cJSON_GetObjectItemCaseSensitive(s, "text")->valuestring;
        if (rows[i].teaser) { /* scored apart: was the other story's sentence taken? */
            teasers++;
            for (size_t q = 0; q < nc; q++)
                if (!strcmp(c[q], rows[i].teaser)) {
                    taken++;
                    break;
                }
            cJSON_Delete(res);
            continue;
        }
        char *lead[3];
        size_t nl = cJSON_IsString(text) ? pl_lead_sentences(text->valuestring, 3, lead) : 0;
        struct pl_rouge_score a = { 0 }, b = { 0 };
        if (pl_rouge_score(rg, c, nc, (const char *const *)rows[i].ref, rows[i].nref, &a) ||
            pl_rouge_score(rg, (const char *const *)lead, nl, (const char *const *)rows[i].ref,
                           rows[i].nref, &b))
            return 1;
        for (size_t q = 0; q < nl; q++)
            free(lead[q]);
        sum[0][0] += a.r1, sum[0][1] += a.r2, sum[0][2] += a.rlsum;
        sum[1][0] += b.r1, sum[1][1] += b.r2, sum[1][2] += b.rlsum;
        m++;
        cJSON_Delete(res);
    }
    pl_pipeline_close(&fp);
    printf("%4d  %4zu   %6.2f %6.2f %6.2f      %6.2f %6.2f %6.2f   %3zu of %3zu\n", k + 1, m,
           100 * sum[0][0] / m, 100 * sum[0][1] / m, 100 * sum[0][2] / m, 100 * sum[1][0] / m,
           100 * sum[1][1] / m, 100 * sum[1][2] / m, taken, teasers);
    tot->m += m;
    tot->teasers += teasers;
    tot->taken += taken;
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 3; b++)
            tot->v[a][b] += sum[a][b];
    return 0;
}

/* weights.h: the weights w and, in its comment, the held-out ROUGE tot
 * over n rows. Returns 0, or 1 when the file cannot be written (said on
 * stderr). */
static int s_write_weights(const char *out, const double *w, size_t n, int folds,
                           const struct sums *sums)
{
    const double(*tot)[3] = sums->v;
    FILE *f = fopen(out, "w");
    if (!f) {
        fprintf(stderr, "pl_train_summary: cannot write %s\n", out);
        return 1;
    }
    fprintf(f,
            "/* Generated by pl_train_summary (tools/train-summary.sh) from %zu rows;\n"
            " * do not edit. Held-out %d-fold ROUGE-1/2/Lsum F1: pressline %.2f/%.2f/%.2f,\n"
            " * lead-3 %.2f/%.2f/%.2f. One weight per feature of summarize.c, then the bias. */\n"
            "static const double pl_summary_weights[] = {\n",
            n, folds, 100 * tot[0][0] / n, 100 * tot[0][1] / n, 100 * tot[0][2] / n,
            100 * tot[1][0] / n, 100 * tot[1][1] / n, 100 * tot[1][2] / n);
    for (size_t i = 0; i <= s_nf; i++)
        fprintf(f, "    %.6f, /* %s */\n", w[i], i < s_nf ? s_names[i] : "bias");
    fprintf(f, "};\n");
    if (fclose(f) != 0) {
        fprintf(stderr, "pl_train_summary: cannot write %s\n", out);
        return 1;
    }
    return 0;
}

/* The words of an article's first 2,000 bytes (lower case, not
 * stopwords), hashed into a 1,024-bit set: enough to tell which other
 * article of a fold is nearest in subject. */
#define PL_TEASER_BITS 1024
static void s_word_bits(const char *text, uint64_t bits[PL_TEASER_BITS / 64])
{
    memset(bits, 0, PL_TEASER_BITS / 8);
    size_t n = strlen(text);
    n = n < 2000 ? n : 2000;
    struct pl_tokens tk = { 0 };
    if (pl_tokenize(text, n, &tk) != 0)
        return;
    char w[64];
    for (size_t i = 0; i < tk.n; i++) {
        size_t wl = pl_lower(text + tk.v[i].start, tk.v[i].end - tk.v[i].start, w, sizeof(w));
        if (wl < 3 || pl_is_stopword(w, wl))
            continue;
        uint64_t h = pl_hash(w, wl) % PL_TEASER_BITS;
        bits[h / 64] |= 1ull << (h % 64);
    }
    free(tk.v);
}

/* The other article whose first sentence becomes row i's teaser: of the
 * same fold (no held-out article's sentence trains another fold's model),
 * with --teaser-pick similar the one whose words most overlap row i's
 * (Jaccard over the hashed sets): news sites put teasers of related
 * stories above an article, and a teaser on another subject is too easy
 * to tell; with --teaser-pick far the first of the fold half the set away,
 * as before. Returns n0 when the fold has no other article. */
static size_t s_teaser_source(const struct row *v, size_t n0, size_t i, int similar,
                              uint64_t (*bits)[PL_TEASER_BITS / 64])
{
    if (!similar) {
        size_t j = (i + n0 / 2) % n0, tries = 0;
        while ((v[j].fold != v[i].fold || j == i) && ++tries < n0)
            j = (j + 1) % n0;
        return v[j].fold == v[i].fold && j != i ? j : n0;
    }
    size_t best = n0;
    double best_j = -1;
    for (size_t j = 0; j < n0; j++) {
        if (j == i || v[j].fold != v[i].fold || !v[j].lead)
            continue;
        int inter = 0, uni = 0;
        for (size_t k = 0; k < PL_TEASER_BITS / 64; k++) {
            inter += __builtin_popcountll(bits[i][k] & bits[j][k]);
            uni += __builtin_popcountll(bits[i][k] | bits[j][k]);
        }
        double jac = uni ? (double)inter / uni : 0;
        if (jac > best_j) {
            best_j = jac;
            best = j;
        }
    }
    return best;
}

/* Appends the teaser copies (see the top of the file) of every every-th
 * row of (*rows)[0..*n) and reads their features and labels. Returns 0, or
 * 1 after saying why on stderr. */
static int s_teasers(struct pl_config *cfg, struct pl_rouge *rg, struct row **rows, size_t *n,
                     int every, int similar)
{
    size_t n0 = *n, add = 0;
    if (every == 0 || n0 < 2)
        return 0;
    struct row *v = s_xalloc(*rows, (n0 + n0 / (size_t)every + 1) * sizeof(*v));
    /* The word sets only --teaser-pick similar compares. */
    uint64_t(*bits)[PL_TEASER_BITS / 64] = similar ? s_xalloc(NULL, n0 * sizeof(*bits)) : NULL;
    for (size_t i = 0; similar && i < n0; i++)
        s_word_bits(v[i].article, bits[i]);
    for (size_t i = 0; i < n0; i += (size_t)every) {
        size_t j = s_teaser_source(v, n0, i, similar, bits);
        if (j == n0 || !v[j].lead)
            continue; /* a fold of one article, or one without a sentence */
        const struct row *src = &v[i], *other = &v[j];
        struct row *r = &v[n0 + add++];
        memset(r, 0, sizeof(*r));
        size_t la = strlen(other->lead), lb = strlen(src->article);
        r->article = s_xalloc(NULL, la + lb + 3);
        memcpy(r->article, other->lead, la);
        memcpy(r->article + la, "\n\n", 2);
        memcpy(r->article + la + 2, src->article, lb + 1);
        r->id = src->id;
        r->ref = src->ref; /* shared with the article's row, never freed apart */
        r->nref = src->nref;
        r->fold = src->fold;
        r->teaser = strdup(other->lead);
    }
    free(bits);
    *rows = v;
    *n = n0 + add;
    char err[1024] = "";
    struct pl_pipeline p = { 0 };
    if (pl_pipeline_open(&p, cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "pl_train_summary: %s\n", err);
        return 1;
    }
    s_extract(&p, rg, v + n0, add);
    pl_pipeline_close(&p);
    return 0;
}

/* The rows' features and oracle labels, from the pipeline with features
 * on. Returns 0, or 1 after saying why on stderr. */
static int s_features(struct pl_config *cfg, struct pl_rouge *rg, struct row *rows, size_t n)
{
    char err[1024] = "";
    struct pl_pipeline p = { 0 };
    if (s_set_options(cfg, "{\"features\":true}") != 0 ||
        pl_pipeline_open(&p, cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "pl_train_summary: %s\n", err);
        return 1;
    }
    s_extract(&p, rg, rows, n);
    pl_pipeline_close(&p);
    if (!s_nf) {
        fprintf(stderr, "pl_train_summary: the summarize stage emitted no features\n");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct options o;
    int go_on, status = s_options(argc, argv, &o, &go_on);
    if (!go_on)
        return status;
    struct row *rows = NULL;
    size_t n = 0;
    if (s_load(o.data, &rows, &n) != 0) {
        fprintf(stderr, "pl_train_summary: no rows in %s\n", o.data);
        return 1;
    }
    char err[1024] = "";
    struct pl_config *cfg = NULL;
    struct pl_rouge *rg = NULL;
    if (pl_config_load(NULL, NULL, &cfg, err, sizeof(err)) != 0 || pl_rouge_new(&rg) != 0) {
        fprintf(stderr, "pl_train_summary: %s\n", err);
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        rows[i].fold = (int)(i % (size_t)o.folds);
    if (s_features(cfg, rg, rows, n) != 0 ||
        s_teasers(cfg, rg, &rows, &n, o.teasers, o.similar_teasers) != 0)
        return 1;

    double *w = s_xalloc(NULL, (s_nf + 1) * sizeof(double));
    struct sums sums = { .m = 0 };
    const double(*tot)[3] = sums.v;
    printf("fold  rows   pressline R1/R2/RLsum     lead-3 R1/R2/RLsum   teasers taken\n");
    for (int k = 0; k < o.folds; k++) {
        s_fit(rows, n, k, w);
        if (s_held_out_fold(cfg, rg, rows, n, k, w, &sums) != 0)
            return 1;
    }
    size_t m = sums.m;
    printf(
        "all   %4zu   %6.2f %6.2f %6.2f      %6.2f %6.2f %6.2f   %3zu of %3zu (held-out folds)\n",
        m, 100 * tot[0][0] / m, 100 * tot[0][1] / m, 100 * tot[0][2] / m, 100 * tot[1][0] / m,
        100 * tot[1][1] / m, 100 * tot[1][2] / m, sums.taken, sums.teasers);

    s_fit(rows, n, -1, w);
    if (s_write_weights(o.out, w, m, o.folds, &sums) != 0)
        return 1;
    for (size_t i = 0; i <= s_nf; i++)
        fprintf(stderr, "%-18s %9.4f\n", i < s_nf ? s_names[i] : "bias", w[i]);
    pl_rouge_free(&rg);
    pl_config_free(&cfg);
    return 0;
}
