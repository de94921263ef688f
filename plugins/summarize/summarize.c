/*
 * summarize: an extractive summary and keyphrases for the document's "text".
 *
 * Sentences come from the shared splitter. Headings, bullets, questions and
 * fragments are not candidates. Each candidate is scored by its position
 * (news puts the point first), its centrality (cosine with the article's
 * content-word profile) and its overlap with the title; sentences are then
 * picked greedily with maximal marginal relevance, so a near-repeat of a
 * picked sentence loses, and given back in their original order, each exactly
 * as it stands in "text". Keyphrases are runs of up to three content words
 * scored by how often they recur.
 *
 * Output: "summary" {text, sentences[{text,start,end}]} and "keywords" [].
 * Thread-safe: the state holds options only.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docjson.h"
#include "text.h"

#include "weights.h"

/* The sentence features the learned scorer weighs (plugins/summarize/
 * train_summary.c trains the weights on CNN/DailyMail; weights.h holds
 * them). The order is the weights' order; the names go out with
 * "features": true for the trainer. */
enum {
    X_POS1,
    X_POS2,
    X_POS3,
    X_POS45,
    X_POS610,
    X_POSINV,
    X_POSREL,
    X_CENTRAL,
    X_TITLE,
    X_LEN_SHORT,
    X_LEN_MID,
    X_LEN_LONG,
    X_LEN_VLONG,
    X_ENTITIES,
    X_NUMBER,
    X_QUOTE,
    X_TERMFREQ,
    X_PARA_FIRST,
    X_DANGLING,
    X_N
};
static const char *const s_feature_names[X_N] = { "pos1",
                                                  "pos2",
                                                  "pos3",
                                                  "pos4-5",
                                                  "pos6-10",
                                                  "1/(1+rank)",
                                                  "rank/candidates",
                                                  "centrality",
                                                  "title_overlap",
                                                  "len6-12",
                                                  "len13-25",
                                                  "len26-40",
                                                  "len41+",
                                                  "entity_density",
                                                  "has_number",
                                                  "quote",
                                                  "term_frequency",
                                                  "paragraph_first",
                                                  "dangling_start" };
_Static_assert(sizeof(pl_summary_weights) / sizeof(pl_summary_weights[0]) == X_N + 1,
               "weights.h does not match the feature list: retrain (tools/train-summary.sh)");

struct sum_state {
    double w[X_N + 1]; /* feature weights, then the bias */
    int features;      /* emit "summary_features" for the trainer */
    int sentences;     /* fixed count, when ratio is 0 */
    double ratio;      /* share of candidate sentences, 0 = use count */
    int max_sentences; /* cap when ratio is used */
    int keywords;      /* keyphrases to return */
    double lambda;     /* MMR: weight of relevance against redundancy */
};

static int s_init(const struct pl_host *host, const char *options_json, void **state,
                  struct pl_error *err)
{
    (void)host;
    static const char *const keys[] = { "sentences",         "ratio",   "max_sentences", "keywords",
                                        "redundancy_lambda", "weights", "features",      NULL };
    cJSON *o = pl_options_parse(options_json, err);
    if (!o)
        return -1;
    struct sum_state *st = calloc(1, sizeof(*st));
    if (!st) {
        cJSON_Delete(o);
        return pl_fail(err, "summarize: out of memory");
    }
    *st = (struct sum_state){
        .sentences = 3, .ratio = 0, .max_sentences = 10, .keywords = 10, .lambda = 0.6
    };
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
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "weights");
    if (w) {
        if (!cJSON_IsArray(w) || cJSON_GetArraySize(w) != X_N + 1) {
            pl_fail(err,
                    "summarize: option \"weights\" must be an array of %d numbers "
                    "(one per feature, then the bias)",
                    X_N + 1);
            goto fail;
        }
        int i = 0;
        const cJSON *x;
        cJSON_ArrayForEach(x, w)
        {
            if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble)) {
                pl_fail(err, "summarize: option \"weights\": item %d is not a finite number", i);
                goto fail;
            }
            st->w[i++] = x->valuedouble;
        }
    }
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "features");
    if (f && !cJSON_IsBool(f)) {
        pl_fail(err, "summarize: option \"features\" must be true or false");
        goto fail;
    }
    st->features = cJSON_IsTrue(f);
    st->keywords = (int)keywords;
    cJSON_Delete(o);
    *state = st;
    return 0;
fail:
    cJSON_Delete(o);
    free(st);
    return -1;
}

static void s_fini(void *state)
{
    free(state);
}

/* --- a small vocabulary: content words of this article ---------------------- */

struct vocab {
    char **w;
    double *df; /* occurrences in the article */
    size_t n, cap;
    size_t *slots; /* open addressing, index+1, 0 = empty */
    size_t mask;
};

static int s_vocab_init(struct vocab *v, size_t expect)
{
    size_t cap = 64;
    while (cap < expect * 2)
        cap *= 2;
    v->slots = calloc(cap, sizeof(*v->slots));
    v->mask = cap - 1;
    return v->slots ? 0 : -ENOMEM;
}

/* Returns the id of w, adding it. -1 on OOM. */
static long s_vocab_id(struct vocab *v, const char *w)
{
    size_t i = pl_hash(w, strlen(w)) & v->mask;
    for (; v->slots[i]; i = (i + 1) & v->mask)
        if (strcmp(v->w[v->slots[i] - 1], w) == 0)
            return (long)v->slots[i] - 1;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 256;
        char **nw = realloc(v->w, cap * sizeof(*nw));
        if (!nw)
            return -1;
        v->w = nw;
        double *nd = realloc(v->df, cap * sizeof(*nd));
        if (!nd)
            return -1;
        v->df = nd;
        v->cap = cap;
    }
    v->w[v->n] = strdup(w);
    if (!v->w[v->n])
        return -1;
    v->df[v->n] = 0;
    v->slots[i] = v->n + 1;
    return (long)v->n++;
}

static void s_vocab_free(struct vocab *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->w[i]);
    free(v->w);
    free(v->df);
    free(v->slots);
}

/* Light suffix stripping so "talks"/"talk", "embassies"/"embassy" meet. */
static void s_stem(char *w)
{
    size_t n = strlen(w);
    if (n > 4 && strcmp(w + n - 3, "ies") == 0) {
        w[n - 3] = 'y';
        w[n - 2] = '\0';
    } else if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' && w[n - 2] != 'u' && w[n - 2] != 'i') {
        w[n - 1] = '\0';
    }
}

struct sent {
    uint32_t start, end;
    int candidate;
    int words;
    long *terms; /* vocab ids of content words, with repeats */
    size_t nterms;
    double score;
    int picked;
    int para_first; /* first sentence of its paragraph */
    int mentions;   /* entity mentions starting inside it */
    int number;     /* holds a number */
    double x[X_N];
};

/* Cosine of two sentences' term-count vectors. scratch is all zero on entry
 * and on return. */
static double s_cosine(const struct sent *a, const struct sent *b, double *scratch)
{
    double dot = 0, na = 0, nb = 0;
    for (size_t i = 0; i < a->nterms; i++)
        scratch[a->terms[i]] += 1;
    for (size_t i = 0; i < b->nterms; i++)
        dot += scratch[b->terms[i]];
    for (size_t i = 0; i < a->nterms; i++) {
        na += scratch[a->terms[i]] * scratch[a->terms[i]];
        scratch[a->terms[i]] = 0; /* each distinct term counted once */
    }
    for (size_t i = 0; i < b->nterms; i++)
        scratch[b->terms[i]] += 1;
    for (size_t i = 0; i < b->nterms; i++) {
        nb += scratch[b->terms[i]] * scratch[b->terms[i]];
        scratch[b->terms[i]] = 0;
    }
    if (na <= 0 || nb <= 0)
        return 0;
    return dot / sqrt(na * nb);
}

static int s_starts_with_bullet(const char *s)
{
    return strncmp(s, "\xe2\x80\xa2", 3) == 0 || strncmp(s, "- ", 2) == 0 ||
           strncmp(s, "* ", 2) == 0 || strncmp(s, "\xc2\xb7", 2) == 0;
}

/* Whether a quotation is open after p[0..n), given whether one was open
 * before: straight double quotes toggle, curly ones open and close. */
static int s_quote_state(const char *p, size_t n, int open)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"')
            open = !open;
        else if (i + 2 < n && (unsigned char)p[i] == 0xe2 && (unsigned char)p[i + 1] == 0x80) {
            if ((unsigned char)p[i + 2] == 0x9c) /* “ */
                open = 1;
            else if ((unsigned char)p[i + 2] == 0x9d) /* ” */
                open = 0;
        }
    }
    return open;
}

/* A candidate: a full sentence that closes with . or ! (optionally inside a
 * quote), of a sensible length, not a heading, and not a list item unless
 * bullets are allowed. */
static int s_is_candidate(const char *t, const struct sent *s, int bullets)
{
    const char *p = t + s->start;
    size_t n = s->end - s->start;
    if (s->words < 6 || s->words > 80 || (!bullets && s_starts_with_bullet(p)))
        return 0;
    size_t e = n;
    while (e > 0 &&
           (p[e - 1] == '"' || p[e - 1] == ')' || p[e - 1] == '\'' ||
            (e >= 3 && (unsigned char)p[e - 1] == 0x9d && (unsigned char)p[e - 3] == 0xe2) ||
            (e >= 3 && (unsigned char)p[e - 1] == 0x99 && (unsigned char)p[e - 3] == 0xe2)))
        e -= ((unsigned char)p[e - 1] >= 0x80) ? 3 : 1;
    return e > 0 && (p[e - 1] == '.' || p[e - 1] == '!');
}

/* A sentence that opens with a pronoun or a connective leans on the one
 * before it, and reads badly on its own. */
static int s_dangling(const char *p, size_t n)
{
    static const char *const words[] = { "He",    "She",   "It",  "They", "This",    "That",
                                         "These", "Those", "But", "And",  "So",      "His",
                                         "Her",   "Their", "Its", "Also", "However", NULL };
    for (size_t i = 0; words[i]; i++) {
        size_t l = strlen(words[i]);
        if (n > l && memcmp(p, words[i], l) == 0 && !isalnum((unsigned char)p[l]))
            return 1;
    }
    return 0;
}

/* Counts, per sentence, the entity mentions (from the entities stage, when
 * it ran) that start inside it. */
static void s_count_mentions(const cJSON *doc, struct sent *ss, size_t ns)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "entities"))
    {
        const cJSON *ty = cJSON_GetObjectItemCaseSensitive(e, "type");
        if (cJSON_IsString(ty) && !strcmp(ty->valuestring, "DATE"))
            continue;
        const cJSON *m;
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(e, "mentions"))
        {
            const cJSON *a = cJSON_GetObjectItemCaseSensitive(m, "start");
            if (!cJSON_IsNumber(a) || a->valuedouble < 0)
                continue;
            double at = a->valuedouble;
            size_t lo = 0, hi = ns;
            while (lo < hi) { /* first sentence ending after at */
                size_t mid = (lo + hi) / 2;
                if ((double)ss[mid].end <= at)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < ns && (double)ss[lo].start <= at)
                ss[lo].mentions++;
        }
    }
}

/* --- keyphrases -------------------------------------------------------- */

struct phrase {
    long terms[3];
    int n;
    uint32_t start, end; /* first occurrence */
    int freq;
    double score;
};

static int s_cmp_phrase(const void *x, const void *y)
{
    const struct phrase *a = x, *b = y;
    if (a->score != b->score)
        return a->score < b->score ? 1 : -1;
    return a->start < b->start ? -1 : a->start > b->start;
}

/* Words that are content words to the summary but make poor keyphrases. */
static int s_weak_keyword(const char *t, const struct pl_token *k)
{
    static const char *const weak[] = {
        "said",      "says",      "say",      "told", "made",  "make",    "makes", "take",  "took",
        "including", "according", "like",     "new",  "first", "last",    "two",   "three", "four",
        "five",      "six",       "many",     "much", "could", "would",   "well",  "added", "noted",
        "stated",    "seen",      "way",      "ways", "time",  "year",    "years", "week",  "day",
        "days",      "month",     "months",   "part", "since", "however", "even",  "still", "just",
        "only",      "recent",    "recently", NULL,
    };
    char w[64];
    size_t n = pl_lower(t + k->start, k->end - k->start, w, sizeof(w));
    if (n > 4 && strcmp(w + n - 2, "ly") == 0)
        return 1; /* adverbs */
    for (const char *const *p = weak; *p; p++)
        if (strcmp(*p, w) == 0)
            return 1;
    return 0;
}

/* Keyphrases: runs of up to three content words (cut at stopwords,
 * punctuation and line breaks), scored by how often the phrase recurs and how
 * often its words recur in the article. A phrase inside a better one is
 * left out. */
static int s_keywords(const char *t, const struct pl_tokens *k, const long *ids, struct vocab *v,
                      int want, cJSON *out)
{
    if (want == 0)
        return 0;
    struct phrase *ph = NULL;
    size_t np = 0, cap = 0;
    int rc = -ENOMEM;
    size_t i = 0;
    while (i < k->n) {
        if (ids[i] < 0 || s_weak_keyword(t, &k->v[i])) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < k->n && j - i < 3 && ids[j] >= 0 && !s_weak_keyword(t, &k->v[j]) &&
               !(k->v[j].flags & PL_TF_NEWLINE))
            j++;
        /* Every sub-run starting at i counts: "embassy" and "embassy operations". */
        for (size_t e = i + 1; e <= j; e++) {
            int len = (int)(e - i);
            size_t p;
            for (p = 0; p < np; p++) {
                if (ph[p].n != len)
                    continue;
                int same = 1;
                for (int q = 0; q < len && same; q++)
                    same = ph[p].terms[q] == ids[i + (size_t)q];
                if (same)
                    break;
            }
            if (p == np) {
                if (np == cap) {
                    cap = cap ? cap * 2 : 64;
                    struct phrase *nph = realloc(ph, cap * sizeof(*nph));
                    if (!nph)
                        goto out;
                    ph = nph;
                }
                ph[np] =
                    (struct phrase){ .n = len, .start = k->v[i].start, .end = k->v[e - 1].end };
                for (int q = 0; q < len; q++)
                    ph[np].terms[q] = ids[i + (size_t)q];
                np++;
            }
            ph[p].freq++;
        }
        i = j;
    }
    for (size_t p = 0; p < np; p++) {
        double words = 0;
        for (int q = 0; q < ph[p].n; q++)
            words += v->df[ph[p].terms[q]];
        /* Recurrence of the phrase first, longer phrases preferred (a
         * recurring two-word name says more than either word), the words'
         * own recurrence to break ties. A phrase seen once says little. */
        ph[p].score = (double)ph[p].freq * pow((double)ph[p].n, 1.5) + 0.1 * words / ph[p].n;
        if (ph[p].freq < 2)
            ph[p].score *= 0.25;
    }
    if (np > 1)
        qsort(ph, np, sizeof(*ph), s_cmp_phrase);
    int got = 0;
    for (size_t p = 0; p < np && got < want; p++) {
        char buf[256];
        size_t bl = pl_lower(t + ph[p].start, ph[p].end - ph[p].start, buf, sizeof(buf));
        if (bl < 3)
            continue;
        /* Skip a phrase that is part of, or contains, one already kept. */
        int dup = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, out) if (strstr(it->valuestring, buf) ||
                                        strstr(buf, it->valuestring)) dup = 1;
        if (dup)
            continue;
        if (!cJSON_AddItemToArray(out, cJSON_CreateString(buf)))
            goto out;
        got++;
    }
    rc = 0;
out:
    free(ph);
    return rc;
}

/* --- plugin --------------------------------------------------------------- */

static int s_process(void *state, const char *docjson, size_t len, char **out, size_t *out_len,
                     struct pl_error *err)
{
    const struct sum_state *st = state;
    int rc = -1;
    struct pl_tokens k = { 0 };
    struct pl_spans sp = { 0 };
    struct vocab v = { 0 };
    struct sent *ss = NULL;
    long *ids = NULL, *title_ids = NULL;
    double *scratch = NULL, *centroid = NULL;
    size_t ntitle = 0;
    cJSON *doc = pl_doc_parse(docjson, len, err);
    if (!doc)
        return -1;
    size_t n;
    const char *t = pl_doc_text(doc, &n);
    if (!t) {
        pl_fail(err, "summarize: the document has no \"text\" (run the clean stage first)");
        goto out;
    }
    if (pl_tokenize(t, n, &k) != 0 || pl_sentences(t, &k, &sp) != 0 ||
        s_vocab_init(&v, k.n + 16) != 0)
        goto oom;
    ids = malloc((k.n + 1) * sizeof(*ids));
    ss = calloc(sp.n + 1, sizeof(*ss));
    if (!ids || !ss)
        goto oom;

    /* Content-word ids per token (-1 for stopwords and punctuation). */
    for (size_t i = 0; i < k.n; i++) {
        ids[i] = -1;
        if (k.v[i].kind != PL_TOK_WORD && k.v[i].kind != PL_TOK_ABBREV)
            continue;
        char w[64];
        size_t wl = pl_lower(t + k.v[i].start, k.v[i].end - k.v[i].start, w, sizeof(w));
        if (wl < 2 || pl_is_stopword(w, wl))
            continue;
        s_stem(w);
        ids[i] = s_vocab_id(&v, w);
        if (ids[i] < 0)
            goto oom;
        v.df[ids[i]] += 1;
    }

    size_t ti = 0;
    int quote = 0; /* inside a quotation at this point of the paragraph */
    for (size_t s = 0; s < sp.n; s++) {
        struct sent *se = &ss[s];
        se->start = sp.v[s].start;
        se->end = sp.v[s].end;
        size_t a = ti;
        while (ti < k.n && k.v[ti].start < se->end)
            ti++;
        se->terms = malloc((ti - a + 1) * sizeof(long));
        if (!se->terms)
            goto oom;
        for (size_t i = a; i < ti; i++) {
            if (k.v[i].kind == PL_TOK_WORD || k.v[i].kind == PL_TOK_ABBREV)
                se->words++;
            if (k.v[i].kind == PL_TOK_NUMBER)
                se->number = 1;
            if (ids[i] >= 0)
                se->terms[se->nterms++] = ids[i];
        }
        se->para_first = a < k.n && (k.v[a].flags & PL_TF_PARA) != 0;
        se->candidate = s_is_candidate(t, se, 0);
        /* "The goal? To unravel ...": an answer to a rhetorical question in
         * the same paragraph means nothing on its own. */
        if (s > 0 && t[ss[s - 1].end - 1] == '?' &&
            !memchr(t + ss[s - 1].end, '\n', se->start - ss[s - 1].end))
            se->candidate = 0;
        /* A sentence that starts or ends inside a quotation of several
         * sentences is a piece of someone's speech, not a statement that
         * stands alone; its quote marks would not balance either. */
        if (s > 0 && memchr(t + ss[s - 1].end, '\n', se->start - ss[s - 1].end))
            quote = 0;
        int at_start = quote;
        quote = s_quote_state(t + se->start, se->end - se->start, quote);
        if (at_start || quote)
            se->candidate = 0;
    }
    /* Nothing but list items (a "key points" article): take the items. */
    int any = 0;
    for (size_t s = 0; s < sp.n; s++)
        any |= ss[s].candidate;
    for (size_t s = 0; !any && s < sp.n; s++) {
        struct sent *se = &ss[s];
        if (!s_starts_with_bullet(t + se->start) || !s_is_candidate(t, se, 1))
            continue;
        /* The item without its bullet. */
        const char *p = t + se->start;
        size_t skip = (unsigned char)p[0] >= 0x80 ? ((unsigned char)p[0] >= 0xe0 ? 3 : 2) : 1;
        while (skip < se->end - se->start && p[skip] == ' ')
            skip++;
        se->start += (uint32_t)skip;
        se->candidate = 1;
    }

    s_count_mentions(doc, ss, sp.n);

    /* Title terms. */
    const cJSON *title = cJSON_GetObjectItemCaseSensitive(doc, "title");
    if (cJSON_IsString(title)) {
        struct pl_tokens tk = { 0 };
        if (pl_tokenize(title->valuestring, strlen(title->valuestring), &tk) != 0) {
            free(tk.v);
            goto oom;
        }
        title_ids = malloc((tk.n + 1) * sizeof(long));
        if (!title_ids) {
            free(tk.v);
            goto oom;
        }
        for (size_t i = 0; i < tk.n; i++) {
            char w[64];
            size_t wl = pl_lower(title->valuestring + tk.v[i].start, tk.v[i].end - tk.v[i].start, w,
                                 sizeof(w));
            if (wl < 2 || pl_is_stopword(w, wl) || !isalnum((unsigned char)w[0]))
                continue;
            s_stem(w);
            long id = s_vocab_id(&v, w);
            if (id < 0) {
                free(tk.v);
                goto oom;
            }
            title_ids[ntitle++] = id;
        }
        free(tk.v);
    }

    /* Scores. Centrality: cosine of the sentence with the article's term
     * frequencies (terms seen once carry no weight: they say nothing about
     * what the article is about). */
    scratch = calloc(v.n + 1, sizeof(double));
    centroid = calloc(v.n + 1, sizeof(double));
    if (!scratch || !centroid)
        goto oom;
    double cnorm = 0;
    for (size_t i = 0; i < v.n; i++) {
        centroid[i] = v.df[i] > 1 ? log(1.0 + v.df[i]) : 0;
        cnorm += centroid[i] * centroid[i];
    }
    cnorm = sqrt(cnorm);
    size_t ncand = 0, rank = 0;
    for (size_t s = 0; s < sp.n; s++)
        ncand += ss[s].candidate != 0;
    double maxdf = 1;
    for (size_t i = 0; i < v.n; i++)
        if (v.df[i] > maxdf)
            maxdf = v.df[i];
    for (size_t s = 0; s < sp.n; s++) {
        struct sent *se = &ss[s];
        if (!se->candidate)
            continue;
        double dot = 0, sn = 0, tf = 0;
        for (size_t i = 0; i < se->nterms; i++) {
            scratch[se->terms[i]] += 1;
            tf += log(1 + v.df[se->terms[i]]);
        }
        for (size_t i = 0; i < se->nterms; i++) {
            long id = se->terms[i];
            if (scratch[id] > 0) {
                dot += scratch[id] * centroid[id];
                sn += scratch[id] * scratch[id];
                scratch[id] = 0;
            }
        }
        double central = (sn > 0 && cnorm > 0) ? dot / (sqrt(sn) * cnorm) : 0;
        double tover = 0;
        if (ntitle > 0) {
            size_t hit = 0;
            for (size_t q = 0; q < ntitle; q++)
                for (size_t i = 0; i < se->nterms; i++)
                    if (se->terms[i] == title_ids[q]) {
                        hit++;
                        break;
                    }
            tover = (double)hit / (double)ntitle;
        }
        const char *p = t + se->start;
        double *x = se->x;
        x[X_POS1] = rank == 0;
        x[X_POS2] = rank == 1;
        x[X_POS3] = rank == 2;
        x[X_POS45] = rank == 3 || rank == 4;
        x[X_POS610] = rank >= 5 && rank <= 9;
        x[X_POSINV] = 1.0 / (1.0 + (double)rank);
        x[X_POSREL] = (double)rank / (double)ncand;
        x[X_CENTRAL] = central;
        x[X_TITLE] = tover;
        x[X_LEN_SHORT] = se->words <= 12;
        x[X_LEN_MID] = se->words >= 13 && se->words <= 25;
        x[X_LEN_LONG] = se->words >= 26 && se->words <= 40;
        x[X_LEN_VLONG] = se->words > 40;
        x[X_ENTITIES] = se->words ? fmin(1.0, (double)se->mentions / (double)se->words * 4) : 0;
        x[X_NUMBER] = se->number != 0;
        x[X_QUOTE] = strncmp(p, "\xe2\x80\x9c", 3) == 0 || *p == '"' ||
                     memchr(p, '"', se->end - se->start) != NULL;
        x[X_TERMFREQ] = se->nterms ? tf / (double)se->nterms / log(1 + maxdf) : 0;
        x[X_PARA_FIRST] = se->para_first;
        x[X_DANGLING] = s_dangling(p, se->end - se->start);
        rank++;
        double z = st->w[X_N];
        for (int f = 0; f < X_N; f++)
            z += st->w[f] * x[f];
        se->score = 1.0 / (1.0 + exp(-z));
    }

    size_t want = (size_t)st->sentences;
    if (st->ratio > 0) {
        want = (size_t)lround(st->ratio * (double)ncand);
        if (want < 1)
            want = 1;
        if (want > (size_t)st->max_sentences)
            want = (size_t)st->max_sentences;
    }
    if (want > ncand)
        want = ncand;

    /* Maximal marginal relevance over scores scaled to [0, 1], so the
     * redundancy term (a cosine) weighs on the same scale. A candidate this
     * close to a picked sentence is a restatement and is not taken at all. */
    const double near_repeat = 0.6;
    double top = 0;
    for (size_t q = 0; q < sp.n; q++)
        if (ss[q].candidate && ss[q].score > top)
            top = ss[q].score;
    for (size_t got = 0; got < want; got++) {
        double best = -1e9;
        size_t bi = sp.n;
        for (size_t q = 0; q < sp.n; q++) {
            if (!ss[q].candidate || ss[q].picked)
                continue;
            double red = 0;
            for (size_t r = 0; r < sp.n; r++)
                if (ss[r].picked) {
                    double c = s_cosine(&ss[q], &ss[r], scratch);
                    if (c > red)
                        red = c;
                }
            if (red >= near_repeat)
                continue;
            double rel = top > 0 ? ss[q].score / top : 0;
            double mmr = st->lambda * rel - (1 - st->lambda) * red;
            if (mmr > best) {
                best = mmr;
                bi = q;
            }
        }
        if (bi == sp.n)
            break;
        ss[bi].picked = 1;
    }

    cJSON *sum = cJSON_CreateObject();
    cJSON *arr = cJSON_CreateArray();
    struct pl_buf joined = { 0 };
    if (!sum || !arr || pl_doc_set(doc, "summary", sum) != 0) {
        cJSON_Delete(arr);
        goto oom;
    }
    for (size_t s = 0; s < sp.n; s++) {
        if (!ss[s].picked)
            continue;
        cJSON *o = cJSON_CreateObject();
        char *st_text = strndup(t + ss[s].start, ss[s].end - ss[s].start);
        if (!o || !st_text || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            free(st_text);
            free(joined.data);
            cJSON_Delete(arr);
            goto oom;
        }
        cJSON_AddStringToObject(o, "text", st_text);
        cJSON_AddNumberToObject(o, "start", ss[s].start);
        cJSON_AddNumberToObject(o, "end", ss[s].end);
        if ((joined.len && pl_buf_putc(&joined, ' ')) ||
            pl_buf_append(&joined, st_text, strlen(st_text))) {
            free(st_text);
            free(joined.data);
            cJSON_Delete(arr);
            goto oom;
        }
        free(st_text);
    }
    if (pl_buf_terminate(&joined) != 0 || !cJSON_AddStringToObject(sum, "text", joined.data)) {
        free(joined.data);
        cJSON_Delete(arr);
        goto oom;
    }
    free(joined.data);
    if (!cJSON_AddItemToObject(sum, "sentences", arr)) {
        cJSON_Delete(arr);
        goto oom;
    }
    if (ncand == 0 && !cJSON_AddStringToObject(sum, "note", "no complete sentence to pick"))
        goto oom;

    if (st->features) {
        /* For the trainer: every candidate's features. */
        cJSON *fo = cJSON_CreateObject(), *names = cJSON_CreateArray(), *rows = cJSON_CreateArray();
        if (!fo || !names || !rows || pl_doc_set(doc, "summary_features", fo) != 0) {
            cJSON_Delete(names);
            cJSON_Delete(rows);
            goto oom;
        }
        cJSON_AddItemToObject(fo, "names", names);
        cJSON_AddItemToObject(fo, "sentences", rows);
        for (int f = 0; f < X_N; f++)
            cJSON_AddItemToArray(names, cJSON_CreateString(s_feature_names[f]));
        for (size_t q = 0; q < sp.n; q++) {
            if (!ss[q].candidate)
                continue;
            cJSON *r = cJSON_CreateObject();
            cJSON_AddItemToArray(rows, r);
            cJSON_AddNumberToObject(r, "start", ss[q].start);
            cJSON_AddNumberToObject(r, "end", ss[q].end);
            cJSON_AddItemToObject(r, "x", cJSON_CreateDoubleArray(ss[q].x, X_N));
        }
    }

    cJSON *kw = cJSON_CreateArray();
    if (!kw || pl_doc_set(doc, "keywords", kw) != 0)
        goto oom;
    if (s_keywords(t, &k, ids, &v, st->keywords, kw) != 0)
        goto oom;

    rc = pl_doc_emit(doc, out, out_len, err);
    goto out;
oom:
    pl_fail(err, "summarize: out of memory");
out:
    cJSON_Delete(doc);
    for (size_t s = 0; ss && s < sp.n; s++)
        free(ss[s].terms);
    free(ss);
    free(ids);
    free(title_ids);
    free(scratch);
    free(centroid);
    free(k.v);
    free(sp.v);
    s_vocab_free(&v);
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
