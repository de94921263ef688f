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
 *    one story.
 *
 * Before the end-to-end run, it prints the distributions the thresholds are
 * chosen from: the similarity of each copy to its original against the
 * highest similarity of an original to any other, and the cosine of each
 * original to its nearest earlier original against the seeds' cosines to
 * the seed story.
 *
 * usage: pl_eval_stories [--data DEV.jsonl] [--seeds SEEDS.jsonl]
 *        [--dup T] [--story T] [--sweep]
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
#include "vec.h"

#define MAX_DOCS 2048

struct doc {
    char id[40];
    char *title;
    char *text;
    cJSON *json; /* a seed's whole document, entities included */
};

static uint64_t s_rng = 0x2545f4914f6cdd1dULL;

static uint64_t s_next(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

static int s_read_lines(const char *path, struct doc *d, int cap, bool seeds)
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
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, seeds ? "text" : "article");
        const cJSON *ti = cJSON_GetObjectItemCaseSensitive(j, "title");
        if (cJSON_IsString(id) && cJSON_IsString(t)) {
            snprintf(d[n].id, sizeof(d[n].id), "%.16s", id->valuestring);
            d[n].text = strdup(t->valuestring);
            d[n].title = cJSON_IsString(ti) ? strdup(ti->valuestring) : NULL;
            d[n].json = seeds ? j : NULL;
            if (!seeds)
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

static struct doc s_docs[MAX_DOCS], s_seeds[8];
static char *s_copies[MAX_DOCS];
static struct pl_sketch s_sk[MAX_DOCS], s_csk[MAX_DOCS];
static struct pl_vec s_vec[MAX_DOCS];

/* The distributions the thresholds are chosen from. */
static void s_distributions(int n, int nseeds, const struct pl_vec_weights *wt)
{
    static double a[MAX_DOCS], b[MAX_DOCS];
    for (int i = 0; i < n; i++) {
        pl_sketch_text(s_docs[i].text, strlen(s_docs[i].text), &s_sk[i]);
        pl_sketch_text(s_copies[i], strlen(s_copies[i]), &s_csk[i]);
        pl_vec_article(s_docs[i].title, s_docs[i].text, strlen(s_docs[i].text), NULL, wt,
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
    printf("stories (cosine of TF-IDF vectors):\n");
    for (int i = 0; i < n; i++) {
        a[i] = 0;
        for (int j = 0; j < i; j++) {
            double c = pl_vec_cos(&s_vec[i], &s_vec[j]);
            if (c > a[i])
                a[i] = c;
        }
    }
    s_quantiles("original to its nearest earlier original", a + 1, n - 1);
    if (nseeds < 2)
        return;
    struct pl_vec c = { .n = 0 }, sv;
    for (int i = 0; i < nseeds; i++) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(s_seeds[i].json, "entities");
        pl_vec_article(s_seeds[i].title, s_seeds[i].text, strlen(s_seeds[i].text), e, wt, &sv);
        if (i > 0)
            b[i - 1] = pl_vec_cos(&sv, &c);
        pl_vec_add(&c, &sv);
    }
    s_quantiles("seed to the story of the seeds before it", b, nseeds - 1);
}

/* One article through the store; returns its result (caller deletes). */
static cJSON *s_add(struct pl_stories *st, const char *id, const char *title, const char *text,
                    const cJSON *ents, int64_t t)
{
    struct pl_story_in in = {
        .id = id, .title = title, .text = text, .len = strlen(text), .entities = ents, .t = t
    };
    cJSON *r = NULL;
    char err[512];
    if (pl_stories_add(st, &in, &r, err, sizeof(err)) != 0)
        fprintf(stderr, "pl_eval_stories: %s: %s\n", id, err);
    return r;
}

static double s_story_id(const cJSON *r)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "story"), "id")
        ->valuedouble;
}

/* The end-to-end run: originals, then copies, then the seeds. */
static int s_run(const struct pl_stories_opts *o, int n, int nseeds)
{
    struct pl_stories *st = NULL;
    char err[512];
    if (pl_stories_open(o, &st, err, sizeof(err)) != 0) {
        fprintf(stderr, "pl_eval_stories: %s\n", err);
        return 1;
    }
    static double story_of[MAX_DOCS];
    const int64_t t0 = 1764547200; /* 2025-12-01: one article a minute */
    int merged = 0, flagged = 0, right = 0, same_story = 0, orig_flagged = 0;
    for (int i = 0; i < n; i++) {
        cJSON *r = s_add(st, s_docs[i].id, s_docs[i].title, s_docs[i].text, NULL, t0 + i * 60);
        if (!r)
            return 1;
        story_of[i] = s_story_id(r);
        merged +=
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "story"), "size")
                ->valueint > 1;
        orig_flagged += cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, "duplicate_of"));
        cJSON_Delete(r);
    }
    for (int i = 0; i < n; i++) {
        char id[48];
        snprintf(id, sizeof(id), "copy-%.16s", s_docs[i].id);
        cJSON *r = s_add(st, id, s_docs[i].title, s_copies[i], NULL, t0 + (n + i) * 60);
        if (!r)
            return 1;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(r, "duplicate_of");
        flagged += cJSON_IsString(d);
        right += cJSON_IsString(d) && strcmp(d->valuestring, s_docs[i].id) == 0;
        same_story += s_story_id(r) == story_of[i];
        cJSON_Delete(r);
    }
    flagged += orig_flagged;
    printf("end to end (dup_threshold %.2f, story_threshold %.2f):\n", o->dup_threshold,
           o->story_threshold);
    printf("  duplicate_of: precision %.3f (%d of %d flags right), recall %.3f (%d of %d copies)\n",
           flagged ? (double)right / flagged : 1.0, right, flagged, (double)right / n, right, n);
    printf("  copies in their original's story: %d of %d\n", same_story, n);
    printf("  false merges: %d of %d unrelated originals joined an earlier story (%.1f%%)\n",
           merged, n, 100.0 * merged / n);
    if (nseeds > 0) {
        double first = -1;
        int together = 0;
        for (int i = 0; i < nseeds; i++) {
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(s_seeds[i].json, "entities");
            cJSON *r = s_add(st, s_seeds[i].id, s_seeds[i].title, s_seeds[i].text, e,
                             t0 + (2 * n + i) * 60);
            if (!r)
                return 1;
            if (first < 0)
                first = s_story_id(r);
            together += s_story_id(r) == first;
            cJSON_Delete(r);
        }
        printf("  seeds: %d of %d in the first seed's story\n", together, nseeds);
    }
    pl_stories_close(&st);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },
        { "seeds", required_argument, NULL, 's' },
        { "dup", required_argument, NULL, 'u' },
        { "story", required_argument, NULL, 't' },
        { "sweep", no_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *data = "../shared/data/cnndm/dev.jsonl", *seeds = NULL;
    struct pl_stories_opts o;
    pl_stories_defaults(&o);
    int c;
    bool sweep = false;
    while ((c = getopt_long(argc, argv, "d:s:u:t:wh", opts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'd': data = optarg; break;
        case 's': seeds = optarg; break;
        case 'u': o.dup_threshold = strtod(optarg, &end); break;
        case 't': o.story_threshold = strtod(optarg, &end); break;
        case 'w': sweep = true; break;
        default:
            fprintf(c == 'h' ? stdout : stderr,
                    "usage: pl_eval_stories [--data DEV.jsonl] [--seeds SEEDS.jsonl] [--dup T] "
                    "[--story T] [--sweep]\n");
            return c == 'h' ? 0 : 2;
        }
        if (end && *end) {
            fprintf(stderr, "pl_eval_stories: %s is not a number\n", optarg);
            return 2;
        }
    }
    int n = s_read_lines(data, s_docs, MAX_DOCS, false);
    int nseeds = seeds ? s_read_lines(seeds, s_seeds, 8, true) : 0;
    if (n < 2 || nseeds < 0)
        return 1;
    for (int i = 0; i < n; i++)
        if (!(s_copies[i] = s_reprint(&s_docs[i], &s_docs[(i + 1) % n])))
            return 1;
    printf("%d CNN/DailyMail dev articles, %d seeds\n", n, nseeds);
    s_distributions(n, nseeds, &o.wt);
    char db[] = "/tmp/pl_eval_stories.XXXXXX";
    int fd = mkstemp(db);
    if (fd < 0)
        return 1;
    close(fd);
    o.db = db;
    int rc = 0;
    if (sweep) {
        /* The grid the defaults were chosen on (README, Stories). */
        static const double dups[] = { 0.5, 0.6, 0.65, 0.7 };
        static const double stories[] = { 0.25, 0.3, 0.35, 0.4, 0.45, 0.5 };
        for (size_t i = 0; rc == 0 && i < 4; i++)
            for (size_t j = 0; rc == 0 && j < 6; j++) {
                o.dup_threshold = dups[i];
                o.story_threshold = stories[j];
                unlink(db);
                rc = s_run(&o, n, nseeds);
            }
    } else {
        rc = s_run(&o, n, nseeds);
    }
    char side[sizeof(db) + 8];
    unlink(db);
    snprintf(side, sizeof(side), "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", db);
    unlink(side);
    for (int i = 0; i < n; i++) {
        free(s_docs[i].text);
        free(s_docs[i].title);
        free(s_copies[i]);
    }
    for (int i = 0; i < nseeds; i++) {
        free(s_seeds[i].text);
        free(s_seeds[i].title);
        cJSON_Delete(s_seeds[i].json);
    }
    return rc;
}
