/*
 * stories_bench: the stories stage's cost per article with a large memory.
 * Builds (or reuses) a database of --articles synthetic articles (default
 * 100,000), each eight sentences drawn at random from the CNN/DailyMail dev
 * articles with five names from a pool of 2,000, one every 10 s; then times
 * --measure more (default 2,000) through pl_stories_add, the whole of the
 * stage's work but the document's JSON: sketch, vector, duplicate and story
 * look-ups, the story's update and the commit. Prints the mean and the 99th
 * percentile per article, CPU time per article, the peak RSS and the
 * database's size, and the start-up: pl_stories_open, then
 * pl_stories_warm (the indexes in memory built from the database, which
 * the stage's first article does otherwise). One thread, one core.
 *
 * usage: stories_bench [--data DEV.jsonl] [--db PATH] [--articles N] [--measure M]
 *        [--cache-kb K] [--mmap-mb M] [--index-articles N]   (the stage's options of
 *        those names)
 *        [--join]   (the measured articles reprint remembered ones: each joins a story)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "store.h"
#include "text.h"

#define MAX_SENTENCES 40000
#define NAMES 2000

static char *s_sent[MAX_SENTENCES];
static int s_nsent;
static uint64_t s_rng = 0x9e3779b97f4a7c15ULL;

static uint64_t s_next(void)
{
    return pl_xorshift64(&s_rng);
}

/* Splits each dev article at ". " into the sentence pool. */
static int s_load(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "stories_bench: cannot open %s\n", path);
        return -ENOENT;
    }
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0 && s_nsent < MAX_SENTENCES) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "article");
        const char *p = cJSON_IsString(a) ? a->valuestring : "";
        while (*p && s_nsent < MAX_SENTENCES) {
            const char *e = strstr(p, ". ");
            size_t n = e ? (size_t)(e - p) + 1 : strlen(p);
            if (n > 40 && n < 600)
                s_sent[s_nsent++] = strndup(p, n);
            p += e ? n + 1 : n;
        }
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
    return s_nsent > 100 ? 0 : -EINVAL;
}

static char *s_text(void)
{
    size_t cap = 8192, n = 0;
    char *t = malloc(cap);
    for (int i = 0; t && i < 8; i++) {
        const char *s = s_sent[s_next() % (uint64_t)s_nsent];
        size_t l = strlen(s);
        if (n + l + 2 >= cap)
            break;
        memcpy(t + n, s, l);
        n += l;
        t[n++] = i % 3 == 2 ? '\n' : ' ';
    }
    if (t)
        t[n] = '\0';
    return t;
}

static cJSON *s_entities(void)
{
    static const char *const types[] = { "PERSON", "LOC", "ORG", "MISC" };
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < 5; i++) {
        char name[48];
        unsigned k = (unsigned)(s_next() % NAMES);
        snprintf(name, sizeof(name), "Name%u Family%u", k, k * 7 % 997);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "text", name);
        cJSON_AddStringToObject(e, "type", types[k % 4]);
        cJSON_AddNumberToObject(e, "count", 1 + (double)(s_next() % 4));
        cJSON_AddArrayToObject(e, "aliases");
        cJSON_AddItemToArray(a, e);
    }
    return a;
}

static double s_now(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Adds article number i, received at step `at` of the stream (10 s
 * apart); returns the seconds it took or -1. */
static double s_add(struct pl_stories *st, long i, long at)
{
    char id[17], err[512];
    snprintf(id, sizeof(id), "%016lx", (unsigned long)i);
    char *text = s_text();
    cJSON *ents = s_entities();
    struct pl_story_in in = { .id = id,
                              .title = NULL,
                              .text = text,
                              .len = strlen(text),
                              .entities = ents,
                              .t = 1764547200 + (int64_t)at * 10 };
    cJSON *r = NULL;
    double t0 = s_now(CLOCK_MONOTONIC);
    int rc = pl_stories_add(st, &in, &r, err, sizeof(err));
    double dt = s_now(CLOCK_MONOTONIC) - t0;
    if (rc != 0)
        fprintf(stderr, "stories_bench: %s\n", err);
    cJSON_Delete(r);
    cJSON_Delete(ents);
    free(text);
    return rc == 0 ? dt : -1;
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },
        { "db", required_argument, NULL, 'b' },
        { "articles", required_argument, NULL, 'n' },
        { "measure", required_argument, NULL, 'm' },
        { "cache-kb", required_argument, NULL, 'k' },
        { "mmap-mb", required_argument, NULL, 'p' },
        { "join", no_argument, NULL, 'j' },
        { "index-articles", required_argument, NULL, 'i' },
        { NULL, 0, NULL, 0 },
    };
    const char *data = PL_BENCH_SOURCE_DIR "/../shared/data/cnndm/dev.jsonl";
    const char *db = "/tmp/pl_stories_bench.db";
    long n = 100000, m = 2000, cache_kb = -1, mmap_mb = -1, index_articles = -1;
    int c, join = 0;
    while ((c = getopt_long(argc, argv, "d:b:n:m:k:p:ji:", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'b': db = optarg; break;
        case 'n': n = strtol(optarg, NULL, 10); break;
        case 'm': m = strtol(optarg, NULL, 10); break;
        case 'k': cache_kb = strtol(optarg, NULL, 10); break;
        case 'p': mmap_mb = strtol(optarg, NULL, 10); break;
        case 'j': join = 1; break;
        case 'i': index_articles = strtol(optarg, NULL, 10); break;
        default:
            fprintf(stderr, "usage: stories_bench [--data DEV.jsonl] [--db PATH] [--articles N] "
                            "[--measure M] [--cache-kb K] [--mmap-mb M] [--index-articles N] "
                            "[--join]\n");
            return 2;
        }
    }
    if (n < 0 || m < 1 || s_load(data) != 0)
        return 1;
    struct pl_stories_opts o;
    pl_stories_defaults(&o);
    o.db = db;
    if (cache_kb >= 0)
        o.cache_kb = (int)cache_kb;
    if (mmap_mb >= 0)
        o.mmap_mb = (int)mmap_mb;
    if (index_articles > 0)
        o.index_articles = (int)index_articles;
    struct pl_stories *st = NULL;
    char err[512];
    double o0 = s_now(CLOCK_MONOTONIC);
    if (pl_stories_open(&o, &st, err, sizeof(err)) != 0) {
        fprintf(stderr, "stories_bench: %s\n", err);
        return 1;
    }
    double opened = s_now(CLOCK_MONOTONIC) - o0;
    if (pl_stories_warm(st, err, sizeof(err)) != 0) {
        fprintf(stderr, "stories_bench: %s\n", err);
        return 1;
    }
    double warmed = s_now(CLOCK_MONOTONIC) - o0 - opened;
    int64_t have = 0, stories = 0;
    pl_stories_count(st, &have, &stories);
    printf("opened %s with %lld articles in %.0f ms, the indexes built in %.0f ms\n", db,
           (long long)have, 1e3 * opened, 1e3 * warmed);
    double b0 = s_now(CLOCK_MONOTONIC);
    for (long i = have; i < n; i++)
        if (s_add(st, i, i) < 0)
            return 1;
    pl_stories_count(st, &have, &stories);
    printf("database %s: %lld articles in %lld stories (built in %.1f s)\n", db, (long long)have,
           (long long)stories, s_now(CLOCK_MONOTONIC) - b0);
    /* Texts of their own: a fresh run would otherwise draw the first
     * build's texts again, and measure reprints. */
    s_rng ^= 0xd1b54a32d192ed03ULL * (uint64_t)(have + 1);
    /* With --join, the first build's texts again under new ids: each is a
     * reprint of a remembered article and joins its story. */
    if (join)
        s_rng = 0x9e3779b97f4a7c15ULL;
    double *dt = malloc((size_t)m * sizeof(*dt)), cpu0 = s_now(CLOCK_PROCESS_CPUTIME_ID), sum = 0;
    for (long i = 0; dt && i < m; i++) {
        /* Ids past any build, so that each is new, received after the
         * last one remembered (a later run measures on a database m
         * larger). */
        if ((dt[i] = s_add(st, 1000000000L + (long)have + i, (long)have + i)) < 0)
            return 1;
        sum += dt[i];
    }
    double cpu = s_now(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    qsort(dt, (size_t)m, sizeof(*dt), s_cmp);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    struct stat sb;
    long long size = stat(db, &sb) == 0 ? (long long)sb.st_size : -1;
    int64_t stories_after = 0, arts_after = 0;
    pl_stories_count(st, &arts_after, &stories_after);
    printf("%ld more %s (%lld new stories): mean %.3f ms, p99 %.3f ms wall; %.3f ms CPU each\n", m,
           join ? "reprints" : "articles", (long long)(stories_after - stories),
           1e3 * sum / (double)m, 1e3 * dt[m - 1 - m / 100], 1e3 * cpu / (double)m);
    printf("peak RSS %ld MB (cache_kb %d, mmap_mb %d, index_articles %d); database %.1f MB\n",
           ru.ru_maxrss / 1024, o.cache_kb, o.mmap_mb, o.index_articles, (double)size / 1e6);
    free(dt);
    pl_stories_close(&st);
    for (int i = 0; i < s_nsent; i++)
        free(s_sent[i]);
    return 0;
}
