/*
 * pl_eval_stories: measures the stories stage's reprint detection and story
 * clustering where no labelled set is at hand (README, Stories):
 *
 *  - reprints: each CNN/DailyMail dev article (../shared/data/cnndm) is
 *    copied with page furniture added (an "Also Read" line naming another
 *    article, a share bar, a copyright line) and two words changed; after
 *    the 488 originals, the 488 copies go through the store, and
 *    duplicate_of is scored: precision (flags that name the right
 *    original) and recall (copies whose original is found);
 *  - unrelated stories: the 488 originals are 488 write-ups of mostly
 *    different events, so an original that joins an earlier story is a
 *    false merge; its rate is printed;
 *  - the seeds: with --seeds FILE (the JSON lines `pressline process` prints
 *    for tests/fixtures/seeds, entities included), whether the five end in
 *    one story, and their margin: the lowest cosine of a seed to the story
 *    of the seeds before it, less story_threshold;
 *  - halves, a harder same-story check: each article cut at the sentence
 *    end nearest its middle, the two halves taken as two write-ups of one
 *    event (each half's entities are the mentions inside it); in a store
 *    of their own, all first halves go in, then all second halves, and a
 *    second half that joins its first half's story is a join.
 *
 * --data takes the CNN/DailyMail rows ({"id","article"}) or the JSON lines
 * `pressline process` prints for them ({"id","title","text","entities"}),
 * which carry the entities the raw rows lack. The rows have no titles:
 * --lead-title takes each article's first sentence (after a "(CNN)"
 * dateline) as a stand-in title, kept in the body too, as a headline's
 * words recur in the lead.
 *
 * --title-weight, --body-weight, --entity-weight set the vector's weights
 * (struct pl_vec_weights); --weights sweeps a grid of them and of
 * story_threshold, a row per setting.
 *
 * Before the end-to-end run, it prints the distributions the thresholds are
 * chosen from: the similarity of each copy to its original against the
 * highest similarity of an original to any other, and the cosine of each
 * original to its nearest earlier original against the seeds' cosines to
 * the seed story.
 *
 * usage: pl_eval_stories [--data DEV.jsonl] [--seeds SEEDS.jsonl]
 *        [--dup T] [--story T] [--title-weight W] [--body-weight W]
 *        [--entity-weight W] [--lead-title] [--sweep | --weights]
 * Runs on the main thread; writes a temporary database and removes it.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "sketch.h"
#include "store.h"
#include "text.h"
#include "vec.h"

#define MAX_DOCS 2048

struct doc {
    char id[40];
    char *title;
    char *text;
    cJSON *json;       /* the row when it carries entities (owned), else NULL */
    const cJSON *ents; /* its entities array, borrowed from json; NULL when none */
};

static uint64_t s_rng = 0x2545f4914f6cdd1dULL;

static uint64_t s_next(void)
{
    return pl_xorshift64(&s_rng);
}

/* Reads JSON lines: CNN/DailyMail rows ("article") or `pressline process`
 * output ("text", with "title" and "entities" when it has them). */
static int s_read_lines(const char *path, struct doc *d, int cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "pl_eval_stories: cannot open %s\n", path);
        return -ENOENT;
    }
    char *line = NULL;
    size_t lcap = 0;
    int n = 0;
    while (n < cap && getline(&line, &lcap, f) > 0) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "text");
        if (!cJSON_IsString(t))
            t = cJSON_GetObjectItemCaseSensitive(j, "article");
        const cJSON *ti = cJSON_GetObjectItemCaseSensitive(j, "title");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "entities");
        if (cJSON_IsString(id) && cJSON_IsString(t)) {
            snprintf(d[n].id, sizeof(d[n].id), "%.16s", id->valuestring);
            d[n].text = strdup(t->valuestring);
            d[n].title = cJSON_IsString(ti) ? strdup(ti->valuestring) : NULL;
            d[n].json = cJSON_IsArray(e) ? j : NULL;
            d[n].ents = cJSON_IsArray(e) ? e : NULL;
            if (!d[n].json)
                cJSON_Delete(j);
            n++;
        } else {
            cJSON_Delete(j);
        }
    }
    free(line);
    fclose(f);
    return n;
}

/* Where the dateline ends: past "(CNN)" and a " -- " after it when the
 * text opens with one (within its first 60 bytes), else 0. */
static size_t s_after_dateline(const char *text)
{
    const char *c = strstr(text, "(CNN)");
    if (!c || c - text > 60)
        return 0;
    size_t at = (size_t)(c - text) + 5;
    while (text[at] == ' ' || text[at] == '-')
        at++;
    return at;
}

/* The end of the sentence that starts at text (a '.', '?' or '!' followed
 * by a space or a line break, or the end), at most cap bytes on. */
static size_t s_sentence_end(const char *text, size_t cap)
{
    size_t n = 0;
    while (text[n] && n < cap) {
        if ((text[n] == '.' || text[n] == '?' || text[n] == '!') &&
            (text[n + 1] == ' ' || text[n + 1] == '\n' || !text[n + 1]))
            return n + 1;
        n++;
    }
    return n;
}

/* The stand-in title: the first sentence after the dateline, at most 200
 * bytes (a headline's length, so a run-on lead is cut). Caller frees. */
static char *s_lead_title(const char *text)
{
    size_t at = s_after_dateline(text);
    size_t n = s_sentence_end(text + at, 200);
    char *t = malloc(n + 1);
    if (t)
        snprintf(t, n + 1, "%.*s", (int)n, text + at);
    return t;
}

/* The entities of d whose mentions lie in [lo, hi), each with the count of
 * those mentions; caller deletes. An empty array when d has none. */
static cJSON *s_ents_within(const struct doc *d, size_t lo, size_t hi)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *e;
    cJSON_ArrayForEach(e, d->ents)
    {
        int count = 0;
        const cJSON *m;
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(e, "mentions"))
        {
            const cJSON *s = cJSON_GetObjectItemCaseSensitive(m, "start");
            if (cJSON_IsNumber(s) && s->valuedouble >= (double)lo && s->valuedouble < (double)hi)
                count++;
        }
        if (count == 0 || !out)
            continue;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddItemToObject(x, "text",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(e, "text"), 1));
        cJSON_AddItemToObject(x, "type",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(e, "type"), 1));
        cJSON_AddNumberToObject(x, "count", count);
        cJSON_AddItemToArray(out, x);
    }
    return out;
}

static void s_free_doc(struct doc *d)
{
    free(d->text);
    free(d->title);
    cJSON_Delete(d->json);
}

/* Cuts d at the sentence end nearest its middle (each half at least a
 * quarter of the text) into h[0] and h[1], the entities split by where
 * their mentions are; with lead_title each half gets its first sentence
 * as title. Returns 0, or -1 when no sentence end fits. */
static int s_halve(const struct doc *d, bool lead_title, struct doc h[2])
{
    size_t len = strlen(d->text), best = 0, mid = len / 2;
    for (size_t i = len / 4; i + len / 4 < len; i++)
        if ((d->text[i] == '.' || d->text[i] == '?' || d->text[i] == '!') &&
            (d->text[i + 1] == ' ' || d->text[i + 1] == '\n') &&
            (best == 0 || (i > mid ? i - mid : mid - i) < (best > mid ? best - mid : mid - best)))
            best = i + 1;
    if (best == 0)
        return -1;
    size_t cut[3] = { 0, best, len };
    for (int k = 0; k < 2; k++) {
        snprintf(h[k].id, sizeof(h[k].id), "%.16s-%d", d->id, k + 1);
        h[k].text = strndup(d->text + cut[k], cut[k + 1] - cut[k]);
        h[k].json = d->ents ? s_ents_within(d, cut[k], cut[k + 1]) : NULL;
        h[k].ents = h[k].json;
        h[k].title = lead_title && h[k].text ? s_lead_title(h[k].text) : NULL;
    }
    if (!h[0].text || !h[1].text) {
        for (int k = 0; k < 2; k++) {
            s_free_doc(&h[k]);
            memset(&h[k], 0, sizeof(h[k]));
        }
        return -1;
    }
    return 0;
}

/* The first sentence of text (at most 90 bytes): the "Also Read" line's
 * headline. */
static void s_headline(const char *text, char *out, size_t cap)
{
    size_t n = 0;
    while (text[n] && text[n] != '.' && n < 90)
        n++;
    snprintf(out, cap, "%.*s", (int)n, text);
}

static const char *const s_words[] = { "reportedly", "also", "recently", "later", "however" };

/* Copy of d's text with furniture and two words changed; caller frees. */
static char *s_reprint(const struct doc *d, const struct doc *other)
{
    size_t len = strlen(d->text);
    char *body = strdup(d->text);
    if (!body)
        return NULL;
    /* Two words of four letters or more, each replaced by another word
     * of the same length or shorter, padded with spaces kept inside. */
    for (int k = 0; k < 2; k++) {
        for (int tries = 0; tries < 50; tries++) {
            size_t at = (size_t)(s_next() % (len ? len : 1));
            while (at > 0 && body[at - 1] != ' ')
                at--;
            size_t end = at;
            while (end < len && body[end] >= 'a' && body[end] <= 'z')
                end++;
            const char *w = s_words[s_next() % 5];
            if (end - at >= strlen(w) && (end == len || body[end] == ' ')) {
                memset(body + at, ' ', end - at);
                memcpy(body + at, w, strlen(w));
                break;
            }
        }
    }
    char head[128];
    s_headline(other->text, head, sizeof(head));
    size_t cap = len + 512;
    char *out = malloc(cap);
    if (out)
        snprintf(out, cap,
                 "Share this article: Facebook Twitter WhatsApp Email\n%s\nAlso Read: %s\n"
                 "Copyright 2026 Example Wire Service. All rights reserved.",
                 body, head);
    free(body);
    return out;
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void s_quantiles(const char *what, double *v, int n)
{
    if (n <= 0)
        return;
    qsort(v, (size_t)n, sizeof(*v), s_cmp);
    printf("  %-46s min %.3f  p1 %.3f  p5 %.3f  median %.3f  p95 %.3f  p99 %.3f  max %.3f\n", what,
           v[0], v[n / 100], v[n / 20], v[n / 2], v[n - 1 - n / 20], v[n - 1 - n / 100], v[n - 1]);
}

static struct doc s_docs[MAX_DOCS], s_seeds[8], s_halves[MAX_DOCS][2];
static char *s_copies[MAX_DOCS];
static struct pl_sketch s_sk[MAX_DOCS], s_csk[MAX_DOCS];
static struct pl_vec s_vec[MAX_DOCS];

/* The lowest cosine of a seed to the sum of the seeds before it (what the
 * store compares a seed with while the seeds are a story of their own),
 * the seeds' cosines into b when it is not NULL; 1 with fewer than two. */
static double s_seed_cos(int nseeds, const struct pl_vec_weights *wt, double *b)
{
    struct pl_vec c = { .n = 0 }, sv;
    double lo = 1;
    for (int i = 0; i < nseeds; i++) {
        pl_vec_article(s_seeds[i].title, s_seeds[i].text, strlen(s_seeds[i].text), s_seeds[i].ents,
                       wt, &sv);
        if (i > 0) {
            double x = pl_vec_cos(&sv, &c);
            lo = x < lo ? x : lo;
            if (b)
                b[i - 1] = x;
        }
        pl_vec_add(&c, &sv);
    }
    return lo;
}

/* The distributions the thresholds are chosen from. */
static void s_distributions(int n, int nseeds, int nhalves, const struct pl_vec_weights *wt)
{
    static double a[MAX_DOCS], b[MAX_DOCS];
    for (int i = 0; i < n; i++) {
        pl_sketch_text(s_docs[i].text, strlen(s_docs[i].text), &s_sk[i]);
        pl_sketch_text(s_copies[i], strlen(s_copies[i]), &s_csk[i]);
        pl_vec_article(s_docs[i].title, s_docs[i].text, strlen(s_docs[i].text), s_docs[i].ents, wt,
                       &s_vec[i]);
    }
    printf("reprints (MinHash Jaccard estimate, %d copies):\n", n);
    for (int i = 0; i < n; i++) {
        a[i] = pl_sketch_similarity(&s_csk[i], &s_sk[i]);
        b[i] = 0;
        for (int j = 0; j < n; j++)
            if (j != i && pl_sketch_similarity(&s_sk[i], &s_sk[j]) > b[i])
                b[i] = pl_sketch_similarity(&s_sk[i], &s_sk[j]);
    }
    s_quantiles("copy to its original", a, n);
    s_quantiles("original to its most similar other original", b, n);
    printf("stories (cosine of TF-IDF vectors, weights title %.2f body %.2f entity %.2f):\n",
           wt->title, wt->body, wt->entity);
    for (int i = 0; i < n; i++) {
        a[i] = 0;
        for (int j = 0; j < i; j++) {
            double c = pl_vec_cos(&s_vec[i], &s_vec[j]);
            if (c > a[i])
                a[i] = c;
        }
    }
    s_quantiles("original to its nearest earlier original", a + 1, n - 1);
    for (int i = 0; i < nhalves; i++) {
        struct pl_vec h[2];
        for (int k = 0; k < 2; k++)
            pl_vec_article(s_halves[i][k].title, s_halves[i][k].text, strlen(s_halves[i][k].text),
                           s_halves[i][k].ents, wt, &h[k]);
        a[i] = pl_vec_cos(&h[0], &h[1]);
    }
    s_quantiles("second half to its first half", a, nhalves);
    if (nseeds < 2)
        return;
    s_seed_cos(nseeds, wt, b);
    s_quantiles("seed to the story of the seeds before it", b, nseeds - 1);
}

/* One article through the store; returns its result (caller deletes). */
static cJSON *s_add(struct pl_stories *st, const struct doc *d, const char *id, const char *text,
                    int64_t t)
{
    struct pl_story_in in = { .id = id ? id : d->id,
                              .title = d->title,
                              .text = text ? text : d->text,
                              .len = strlen(text ? text : d->text),
                              .entities = d->ents,
                              .t = t };
    cJSON *r = NULL;
    char err[512];
    if (pl_stories_add(st, &in, &r, err, sizeof(err)) != 0)
        fprintf(stderr, "pl_eval_stories: %s: %s\n", in.id, err);
    return r;
}

static double s_story_id(const cJSON *r)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "story"), "id")
        ->valuedouble;
}

static int s_story_size(const cJSON *r)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "story"), "size")
        ->valueint;
}

/* What one setting measured. */
struct result {
    int merged;      /* originals that joined an earlier story */
    int flagged;     /* duplicate_of set, originals and copies */
    int right;       /* copies whose duplicate_of is their original */
    int same_story;  /* copies in their original's story */
    int together;    /* seeds in the first seed's story */
    int joined;      /* second halves in their first half's story */
    int half_merged; /* first halves that joined an earlier story */
};

static const int64_t s_t0 = 1764547200; /* 2025-12-01: one article a minute */

/* A fresh store at db with o's settings. */
static struct pl_stories *s_open_fresh(struct pl_stories_opts *o, const char *db)
{
    struct pl_stories *st = NULL;
    char err[512], side[600];
    unlink(db);
    snprintf(side, sizeof(side), "%s-wal", db);
    unlink(side);
    o->db = db;
    if (pl_stories_open(o, &st, err, sizeof(err)) != 0)
        fprintf(stderr, "pl_eval_stories: %s\n", err);
    return st;
}

/* The end-to-end run: originals, then copies, then the seeds. */
static int s_run(struct pl_stories_opts *o, const char *db, int n, int nseeds, struct result *res)
{
    struct pl_stories *st = s_open_fresh(o, db);
    if (!st)
        return 1;
    static double story_of[MAX_DOCS];
    int orig_flagged = 0;
    for (int i = 0; i < n; i++) {
        cJSON *r = s_add(st, &s_docs[i], NULL, NULL, s_t0 + i * 60);
        if (!r)
            return 1;
        story_of[i] = s_story_id(r);
        res->merged += s_story_size(r) > 1;
        orig_flagged += cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, "duplicate_of"));
        cJSON_Delete(r);
    }
    for (int i = 0; i < n; i++) {
        char id[48];
        snprintf(id, sizeof(id), "copy-%.16s", s_docs[i].id);
        cJSON *r = s_add(st, &s_docs[i], id, s_copies[i], s_t0 + (n + i) * 60);
        if (!r)
            return 1;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(r, "duplicate_of");
        res->flagged += cJSON_IsString(d);
        res->right += cJSON_IsString(d) && strcmp(d->valuestring, s_docs[i].id) == 0;
        res->same_story += s_story_id(r) == story_of[i];
        cJSON_Delete(r);
    }
    res->flagged += orig_flagged;
    double first = -1;
    for (int i = 0; i < nseeds; i++) {
        cJSON *r = s_add(st, &s_seeds[i], NULL, NULL, s_t0 + (2 * n + i) * 60);
        if (!r)
            return 1;
        if (first < 0)
            first = s_story_id(r);
        res->together += s_story_id(r) == first;
        cJSON_Delete(r);
    }
    pl_stories_close(&st);
    return 0;
}

/* The halves, in a store of their own: every first half, then every
 * second half. */
static int s_run_halves(struct pl_stories_opts *o, const char *db, int nh, struct result *res)
{
    struct pl_stories *st = s_open_fresh(o, db);
    if (!st)
        return 1;
    static double story_of[MAX_DOCS];
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < nh; i++) {
            cJSON *r = s_add(st, &s_halves[i][k], NULL, NULL, s_t0 + (k * nh + i) * 60);
            if (!r)
                return 1;
            if (k == 0) {
                story_of[i] = s_story_id(r);
                res->half_merged += s_story_size(r) > 1;
            } else {
                res->joined += s_story_id(r) == story_of[i];
            }
            cJSON_Delete(r);
        }
    pl_stories_close(&st);
    return 0;
}

static void s_print_run(const struct pl_stories_opts *o, const struct result *r, int n, int nseeds,
                        int nh)
{
    printf("end to end (dup_threshold %.2f, story_threshold %.2f):\n", o->dup_threshold,
           o->story_threshold);
    printf("  duplicate_of: precision %.3f (%d of %d flags right), recall %.3f (%d of %d copies)\n",
           r->flagged ? (double)r->right / r->flagged : 1.0, r->right, r->flagged,
           (double)r->right / n, r->right, n);
    printf("  copies in their original's story: %d of %d\n", r->same_story, n);
    printf("  false merges: %d of %d unrelated originals joined an earlier story (%.1f%%)\n",
           r->merged, n, 100.0 * r->merged / n);
    if (nseeds > 0)
        printf("  seeds: %d of %d in the first seed's story\n", r->together, nseeds);
    if (nh > 0)
        printf("  halves: %d of %d second halves joined their first half's story (%.1f%%); "
               "%d first halves joined an earlier story\n",
               r->joined, nh, 100.0 * r->joined / nh, r->half_merged);
}

/* Both runs for one setting; 0 or 1. */
static int s_measure(struct pl_stories_opts *o, const char *db, int n, int nseeds, int nh,
                     struct result *r)
{
    memset(r, 0, sizeof(*r));
    int rc = s_run(o, db, n, nseeds, r);
    if (rc == 0 && nh > 0)
        rc = s_run_halves(o, db, nh, r);
    return rc;
}

/* The weights grid: a row per setting. The margin is the seeds' lowest
 * cosine to their story less story_threshold. */
static int s_weights_sweep(struct pl_stories_opts *o, const char *db, int n, int nseeds, int nh)
{
    static const double titles[] = { 0, 1, 2, 3, 4 };
    static const double bodies[] = { 0.5, 1, 2 };
    static const double ents[] = { 0, 0.5, 1, 2 };
    static const double stories[] = { 0.35, 0.4, 0.45, 0.5, 0.55 };
    printf("weights sweep (dup_threshold %.2f):\n", o->dup_threshold);
    printf("  %5s %5s %6s %5s | %12s | %5s %6s %7s | %6s %6s | %7s\n", "title", "body", "entity",
           "story", "false merges", "seeds", "lowcos", "margin", "dupP", "dupR", "halves");
    for (size_t b = 0; b < sizeof(bodies) / sizeof(*bodies); b++)
        for (size_t t = 0; t < sizeof(titles) / sizeof(*titles); t++)
            for (size_t e = 0; e < sizeof(ents) / sizeof(*ents); e++) {
                o->wt.body = bodies[b];
                o->wt.title = titles[t];
                o->wt.entity = ents[e];
                double lo = nseeds > 1 ? s_seed_cos(nseeds, &o->wt, NULL) : 0;
                for (size_t j = 0; j < sizeof(stories) / sizeof(*stories); j++) {
                    o->story_threshold = stories[j];
                    struct result r;
                    if (s_measure(o, db, n, nseeds, nh, &r) != 0)
                        return 1;
                    printf("  %5.2f %5.2f %6.2f %5.2f | %5.1f%% (%3d) | %2d/%-2d %6.3f %+7.3f | "
                           "%6.3f %6.3f | %6.1f%%\n",
                           o->wt.title, o->wt.body, o->wt.entity, o->story_threshold,
                           100.0 * r.merged / n, r.merged, r.together, nseeds, lo,
                           lo - o->story_threshold, r.flagged ? (double)r.right / r.flagged : 1.0,
                           (double)r.right / n, nh ? 100.0 * r.joined / nh : 0.0);
                    fflush(stdout);
                }
            }
    return 0;
}

/* A weight option's value: a number in [0, 100], as the stage's options
 * take them. */
static int s_weight(const char *arg, double *w)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(arg, &end);
    if (end == arg || *end || errno || !(v >= 0 && v <= 100)) {
        fprintf(stderr, "pl_eval_stories: weight %s is not a number from 0 to 100\n", arg);
        return -EINVAL;
    }
    *w = v;
    return 0;
}

static void s_usage(FILE *f)
{
    fprintf(f, "usage: pl_eval_stories [--data DEV.jsonl] [--seeds SEEDS.jsonl] [--dup T] "
               "[--story T]\n"
               "       [--title-weight W] [--body-weight W] [--entity-weight W] [--lead-title]\n"
               "       [--sweep | --weights]\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },
        { "seeds", required_argument, NULL, 's' },
        { "dup", required_argument, NULL, 'u' },
        { "story", required_argument, NULL, 't' },
        { "title-weight", required_argument, NULL, 'T' },
        { "body-weight", required_argument, NULL, 'B' },
        { "entity-weight", required_argument, NULL, 'E' },
        { "lead-title", no_argument, NULL, 'l' },
        { "sweep", no_argument, NULL, 'w' },
        { "weights", no_argument, NULL, 'W' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *data = "../shared/data/cnndm/dev.jsonl", *seeds = NULL;
    struct pl_stories_opts o;
    pl_stories_defaults(&o);
    int c;
    bool sweep = false, weights = false, lead_title = false;
    while ((c = getopt_long(argc, argv, "d:s:u:t:T:B:E:lwWh", opts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'd': data = optarg; break;
        case 's': seeds = optarg; break;
        case 'u': o.dup_threshold = strtod(optarg, &end); break;
        case 't': o.story_threshold = strtod(optarg, &end); break;
        case 'T':
            if (s_weight(optarg, &o.wt.title) != 0)
                return 2;
            break;
        case 'B':
            if (s_weight(optarg, &o.wt.body) != 0)
                return 2;
            break;
        case 'E':
            if (s_weight(optarg, &o.wt.entity) != 0)
                return 2;
            break;
        case 'l': lead_title = true; break;
        case 'w': sweep = true; break;
        case 'W': weights = true; break;
        default: s_usage(c == 'h' ? stdout : stderr); return c == 'h' ? 0 : 2;
        }
        if (end && *end) {
            fprintf(stderr, "pl_eval_stories: %s is not a number\n", optarg);
            return 2;
        }
    }
    if (optind < argc || (sweep && weights)) {
        s_usage(stderr);
        return 2;
    }
    int n = s_read_lines(data, s_docs, MAX_DOCS);
    int nseeds = seeds ? s_read_lines(seeds, s_seeds, 8) : 0;
    if (n < 2 || nseeds < 0) {
        fprintf(stderr, "pl_eval_stories: %s: fewer than two articles\n", data);
        return 1;
    }
    int nents = 0, nh = 0;
    for (int i = 0; i < n; i++) {
        nents += s_docs[i].ents != NULL;
        if (lead_title && !s_docs[i].title && !(s_docs[i].title = s_lead_title(s_docs[i].text)))
            return 1;
        if (!(s_copies[i] = s_reprint(&s_docs[i], &s_docs[(i + 1) % n])))
            return 1;
        if (s_halve(&s_docs[i], lead_title, s_halves[nh]) == 0)
            nh++;
    }
    printf("%d CNN/DailyMail dev articles (%d with entities, titles %s), %d seeds, %d halved\n", n,
           nents, lead_title ? "their first sentence" : "none", nseeds, nh);
    s_distributions(n, nseeds, nh, &o.wt);
    char db[] = "/tmp/pl_eval_stories.XXXXXX";
    int fd = mkstemp(db);
    if (fd < 0)
        return 1;
    close(fd);
    int rc = 0;
    struct result r;
    if (weights) {
        rc = s_weights_sweep(&o, db, n, nseeds, nh);
    } else if (sweep) {
        /* The grid the thresholds were chosen on (README, Stories). */
        static const double dups[] = { 0.5, 0.6, 0.65, 0.7 };
        static const double stories[] = { 0.25, 0.3, 0.35, 0.4, 0.45, 0.5 };
        for (size_t i = 0; rc == 0 && i < 4; i++)
            for (size_t j = 0; rc == 0 && j < 6; j++) {
                o.dup_threshold = dups[i];
                o.story_threshold = stories[j];
                if ((rc = s_measure(&o, db, n, nseeds, nh, &r)) == 0)
                    s_print_run(&o, &r, n, nseeds, nh);
            }
    } else {
        if (nseeds > 1)
            printf("seeds' lowest cosine to their story %.3f: margin %+.3f over story_threshold\n",
                   s_seed_cos(nseeds, &o.wt, NULL),
                   s_seed_cos(nseeds, &o.wt, NULL) - o.story_threshold);
        if ((rc = s_measure(&o, db, n, nseeds, nh, &r)) == 0)
            s_print_run(&o, &r, n, nseeds, nh);
    }
    char side[sizeof(db) + 8];
    unlink(db);
    snprintf(side, sizeof(side), "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", db);
    unlink(side);
    for (int i = 0; i < n; i++) {
        s_free_doc(&s_docs[i]);
        free(s_copies[i]);
    }
    for (int i = 0; i < nh; i++)
        for (int k = 0; k < 2; k++)
            s_free_doc(&s_halves[i][k]);
    for (int i = 0; i < nseeds; i++)
        s_free_doc(&s_seeds[i]);
    return rc;
}
