/*
 * summarize: an extractive summary and keyphrases for the document's "text".
 *
 * Sentences come from the shared splitter; headings, bullets, questions and
 * fragments are not candidates (candidates.c). Each candidate gets 24
 * features (sentence_features.c: its rank among the candidates, its centrality in
 * the article's content words, plain and weighed by news idf, its overlap with
 * the title, its length, entity mentions, numbers, quotes, term frequency,
 * how many of its words the article takes up again, their mean idf, whether
 * it opens a paragraph or leans on the sentence before it, and for the
 * first candidate how little of it the rest of the article takes up), and a linear
 * score over them squashed to (0, 1), with the weights that
 * eval/train_summary.c fits on CNN/DailyMail and writes to weights.h
 * (tools/train-summary.sh; the option "weights" overrides them). Sentences
 * are then picked by score (with the option redundancy_lambda below 1, by
 * maximal marginal relevance), a restatement of a picked sentence not at all
 * (select.c), and given back in their original order, each exactly as it
 * stands in "text". Keyphrases are content words, runs of them and the
 * entities stage's names, scored by a learned ranker (keywords.c). All of that is the static
 * library pl_summary; this file holds the options, the descriptor and the glue to the document
 * JSON.
 *
 * Output: "summary" {text, sentences[{text,start,end}]} and "keywords"
 * [{text,score}]; with the option "features": true also "summary_features"
 * {names, sentences[{start,end,x[]}]}, every candidate's features for the
 * trainer, and with "keyword_features": true "keyword_features"
 * [{text,key,x[]}] for eval/train_keywords.c.
 * Thread-safe: the state holds options only.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "docjson.h"
#include "keywords.h"
#include "select.h"
#include "summary.h"
#include "text.h"

#include "weights.h"

_Static_assert(sizeof(pl_summary_weights) / sizeof(pl_summary_weights[0]) == PL_SUMMARY_NF + 1,
               "weights.h does not match the feature list: retrain (tools/train-summary.sh)");

struct sum_state {
    double w[PL_SUMMARY_NF + 1]; /* feature weights, then the bias */
    double kw[PL_KW_NF + 1];     /* keyphrase feature weights, then the bias */
    int features;                /* emit "summary_features" for the trainer */
    int kw_features;             /* emit "keyword_features" for the trainer */
    int kw_person;               /* "keyword_person": a place for a person named in full */
    cJSON *kw_prior;             /* the trainer's keyphraseness table, or NULL; owned */
    int sentences;               /* fixed count, when ratio is 0 */
    double ratio;                /* share of candidate sentences, 0 = use count */
    int max_sentences;           /* cap when ratio is used */
    int keywords;                /* keyphrases to return */
    double lambda;               /* MMR: weight of relevance against redundancy */
};

/* The option `name` (an array of n finite numbers), when given, into w.
 * Returns 0, or -EINVAL with err filled. */
static int s_weights_option(const cJSON *o, const char *name, size_t n, double *w,
                            struct pl_error *err)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!a)
        return 0;
    if (!cJSON_IsArray(a) || (size_t)cJSON_GetArraySize(a) != n) {
        pl_fail(err,
                "summarize: option \"%s\" must be an array of %zu numbers "
                "(one per feature, then the bias)",
                name, n);
        return -EINVAL;
    }
    int i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, a)
    {
        if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble)) {
            pl_fail(err, "summarize: option \"%s\": item %d is not a finite number", name, i);
            return -EINVAL;
        }
        w[i++] = x->valuedouble;
    }
    return 0;
}

/* The boolean option `name` into *v (left as it is when absent). Returns
 * 0, or -EINVAL with err filled. */
static int s_bool_option(const cJSON *o, const char *name, int *v, struct pl_error *err)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
    if (f && !cJSON_IsBool(f)) {
        pl_fail(err, "summarize: option \"%s\" must be true or false", name);
        return -EINVAL;
    }
    if (f)
        *v = cJSON_IsTrue(f);
    return 0;
}

static int s_init(const struct pl_host *host, const char *options_json, void **state,
                  struct pl_error *err)
{
    (void)host;
    static const char *const keys[] = {
        "sentences",         "ratio",         "max_sentences",  "keywords",
        "redundancy_lambda", "weights",       "features",       "keyword_weights",
        "keyword_features",  "keyword_prior", "keyword_person", NULL
    };
    cJSON *o = pl_options_parse(options_json, err);
    if (!o)
        return -1;
    struct sum_state *st = calloc(1, sizeof(*st));
    if (!st) {
        cJSON_Delete(o);
        return pl_fail(err, "summarize: out of memory");
    }
    *st = (struct sum_state){ .sentences = 3,
                              .ratio = 0,
                              .max_sentences = 10,
                              .keywords = 10,
                              .lambda = 1.0,
                              .kw_person = 1 };
    if (pl_options_check_keys(o, "summarize", keys, err) != 0)
        goto fail;
    double sentences = st->sentences, max_sentences = st->max_sentences, keywords = st->keywords;
    if (pl_options_number(o, "summarize", "sentences", 1, 100, true, &sentences, err) ||
        pl_options_number(o, "summarize", "ratio", 0.001, 1, false, &st->ratio, err) ||
        pl_options_number(o, "summarize", "max_sentences", 1, 1000, true, &max_sentences, err) ||
        pl_options_number(o, "summarize", "keywords", 0, 100, true, &keywords, err) ||
        pl_options_number(o, "summarize", "redundancy_lambda", 0, 1, false, &st->lambda, err))
        goto fail;
    st->sentences = (int)sentences;
    st->max_sentences = (int)max_sentences;
    memcpy(st->w, pl_summary_weights, sizeof(st->w));
    memcpy(st->kw, pl_kw_default_weights, sizeof(st->kw));
    if (s_weights_option(o, "weights", PL_SUMMARY_NF + 1, st->w, err) != 0 ||
        s_weights_option(o, "keyword_weights", PL_KW_NF + 1, st->kw, err) != 0 ||
        s_bool_option(o, "features", &st->features, err) != 0 ||
        s_bool_option(o, "keyword_features", &st->kw_features, err) != 0 ||
        s_bool_option(o, "keyword_person", &st->kw_person, err) != 0)
        goto fail;
    const cJSON *prior = cJSON_GetObjectItemCaseSensitive(o, "keyword_prior");
    if (prior && !cJSON_IsObject(prior)) {
        pl_fail(err, "summarize: option \"keyword_prior\" must be an object");
        goto fail;
    }
    if (prior && !(st->kw_prior = cJSON_Duplicate(prior, 1))) {
        pl_fail(err, "summarize: out of memory");
        goto fail;
    }
    st->keywords = (int)keywords;
    cJSON_Delete(o);
    *state = st;
    return 0;
fail:
    cJSON_Delete(o);
    cJSON_Delete(st->kw_prior);
    free(st);
    return -1;
}

static void s_fini(void *state)
{
    struct sum_state *st = state;
    if (st)
        cJSON_Delete(st->kw_prior);
    free(st);
}

/* One picked sentence into arr and onto joined. Returns 0 or -ENOMEM. */
static int s_emit_sentence(const char *t, const struct pl_summary_sent *se, cJSON *arr,
                           struct pl_buf *joined)
{
    cJSON *o = cJSON_CreateObject();
    char *text = strndup(t + se->start, se->end - se->start);
    if (!o || !text || !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        free(text);
        return -ENOMEM;
    }
    cJSON_AddStringToObject(o, "text", text);
    cJSON_AddNumberToObject(o, "start", se->start);
    cJSON_AddNumberToObject(o, "end", se->end);
    int rc = 0;
    if ((joined->len && pl_buf_putc(joined, ' ')) || pl_buf_append(joined, text, strlen(text)))
        rc = -ENOMEM;
    free(text);
    return rc;
}

/* "summary": the picked sentences in text order, and their text joined by
 * spaces. Returns 0 or -ENOMEM. */
static int s_emit_summary(cJSON *doc, const struct pl_summary_doc *d)
{
    cJSON *sum = cJSON_CreateObject();
    cJSON *arr = cJSON_CreateArray();
    struct pl_buf joined = { 0 };
    int rc = -ENOMEM;
    if (!sum || !arr || pl_doc_set(doc, "summary", sum) != 0)
        goto out;
    for (size_t s = 0; s < d->ns; s++)
        if (d->ss[s].picked && s_emit_sentence(d->text, &d->ss[s], arr, &joined) != 0)
            goto out;
    if (pl_buf_terminate(&joined) != 0 || !cJSON_AddStringToObject(sum, "text", joined.data))
        goto out;
    if (!cJSON_AddItemToObject(sum, "sentences", arr))
        goto out;
    arr = NULL;
    if (d->ncand == 0 && !cJSON_AddStringToObject(sum, "note", "no complete sentence to pick"))
        goto out;
    rc = 0;
out:
    free(joined.data);
    cJSON_Delete(arr);
    return rc;
}

/* "summary_features", for the trainer: the feature names and every
 * candidate's features. Returns 0 or -ENOMEM. */
static int s_emit_features(cJSON *doc, const struct pl_summary_doc *d)
{
    cJSON *fo = cJSON_CreateObject(), *names = cJSON_CreateArray(), *rows = cJSON_CreateArray();
    if (!fo || !names || !rows || pl_doc_set(doc, "summary_features", fo) != 0) {
        cJSON_Delete(names);
        cJSON_Delete(rows);
        return -ENOMEM;
    }
    cJSON_AddItemToObject(fo, "names", names);
    cJSON_AddItemToObject(fo, "sentences", rows);
    for (int f = 0; f < PL_SUMMARY_NF; f++)
        cJSON_AddItemToArray(names, cJSON_CreateString(pl_summary_feature_names[f]));
    for (size_t q = 0; q < d->ns; q++) {
        const struct pl_summary_sent *se = &d->ss[q];
        if (!se->candidate)
            continue;
        cJSON *r = cJSON_CreateObject();
        cJSON_AddItemToArray(rows, r);
        cJSON_AddNumberToObject(r, "start", se->start);
        cJSON_AddNumberToObject(r, "end", se->end);
        cJSON_AddItemToObject(r, "x", cJSON_CreateDoubleArray(se->x, PL_SUMMARY_NF));
    }
    return 0;
}

/* Scores the candidates of d, picks the summary and writes the output
 * members into doc. Returns 0 or -ENOMEM. */
static int s_summarize(const struct sum_state *st, struct pl_summary_doc *d, cJSON *doc,
                       const cJSON *entities)
{
    for (size_t s = 0; s < d->ns; s++)
        if (d->ss[s].candidate)
            d->ss[s].score = pl_summary_score(st->w, d->ss[s].x);
    size_t want = pl_summary_want(st->sentences, st->ratio, st->max_sentences, d->ncand);
    struct pl_summary_keys ky;
    int rc = pl_summary_keys_init(&ky, &d->v, d->nents);
    if (rc == 0)
        rc = pl_summary_select(d->ss, d->ns, want, st->lambda, d->v.n, &ky);
    pl_summary_keys_free(&ky);
    if (rc != 0 || s_emit_summary(doc, d) != 0 || (st->features && s_emit_features(doc, d) != 0))
        return -ENOMEM;
    cJSON *kw = cJSON_CreateArray();
    if (!kw || pl_doc_set(doc, "keywords", kw) != 0)
        return -ENOMEM;
    cJSON *kf = NULL;
    if (st->kw_features) {
        kf = cJSON_CreateArray();
        if (!kf || pl_doc_set(doc, "keyword_features", kf) != 0)
            return -ENOMEM;
    }
    const struct pl_kw_doc kd = { .t = d->text,
                                  .k = &d->k,
                                  .ids = d->ids,
                                  .v = &d->v,
                                  .entities = entities,
                                  .idf = d->idf,
                                  .prior = st->kw_prior,
                                  .person = st->kw_person != 0 };
    return pl_summary_keywords(&kd, st->kw, st->keywords, kw, kf);
}

static int s_process(void *state, const char *docjson, size_t len, char **out, size_t *out_len,
                     struct pl_error *err)
{
    const struct sum_state *st = state;
    struct pl_summary_doc d = { 0 };
    int rc = -1;
    cJSON *doc = pl_doc_parse(docjson, len, err);
    if (!doc)
        return -1;
    size_t n;
    const char *t = pl_doc_text(doc, &n);
    if (!t) {
        pl_fail(err, "summarize: the document has no \"text\" (run the clean stage first)");
        goto out;
    }
    const cJSON *title = cJSON_GetObjectItemCaseSensitive(doc, "title");
    const cJSON *ents = cJSON_GetObjectItemCaseSensitive(doc, "entities");
    if (pl_summary_doc_read(&d, t, n, cJSON_IsString(title) ? title->valuestring : NULL, ents) !=
            0 ||
        s_summarize(st, &d, doc, ents) != 0) {
        pl_fail(err, "summarize: out of memory");
        goto out;
    }
    /* The features are there only when the options ask for them. */
    static const char *const keys[] = { "summary", "summary_features", "keywords",
                                        "keyword_features", NULL };
    rc = pl_doc_emit_patch(doc, keys, out, out_len, err);
out:
    cJSON_Delete(doc);
    pl_summary_doc_free(&d);
    return rc;
}

PL_PLUGIN_EXPORT const struct pl_plugin pressline_plugin = {
    .magic = PL_PLUGIN_MAGIC,
    .abi_version = PL_PLUGIN_ABI_VERSION,
    .size = sizeof(struct pl_plugin),
    .flags = PL_PLUGIN_THREAD_SAFE,
    .name = "summarize",
    .version = "0.2.0",
    .description = "extractive summary (learned sentence scores, MMR) and keyphrases",
    .init = s_init,
    .process = s_process,
    .release = pl_doc_release,
    .fini = s_fini,
};
