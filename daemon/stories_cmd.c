/* `pressline stories` and `pressline story`; see stories_cmd.h. */
#include "stories_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "store.h"

struct s_args {
    const char *db, *config, *since;
    bool json;
    long limit;
    char path[PATH_MAX];
};

/* The database: --db, else the "db" option of the configuration's stage
 * whose plugin is stories (the configuration fills it in from the spool). */
static int s_db_path(struct s_args *a, const char *cmd)
{
    if (a->db) {
        snprintf(a->path, sizeof(a->path), "%s", a->db);
        return 0;
    }
    struct pl_config *cfg = pl_config_load_for(a->config, cmd);
    if (!cfg)
        return -1;
    int rc = -1;
    for (size_t i = 0; i < cfg->nstages && rc != 0; i++) {
        cJSON *o = cJSON_Parse(cfg->stages[i].options_json);
        const cJSON *db = cJSON_GetObjectItemCaseSensitive(o, "db");
        const char *base = strrchr(cfg->stages[i].plugin, '/');
        base = base ? base + 1 : cfg->stages[i].plugin;
        if (cJSON_IsString(db) && (!strcmp(base, "stories") || !strcmp(base, "stories.so"))) {
            snprintf(a->path, sizeof(a->path), "%s", db->valuestring);
            rc = 0;
        }
        cJSON_Delete(o);
    }
    pl_config_free(&cfg);
    if (rc != 0)
        fprintf(stderr,
                "pressline %s: the configuration has no stories stage; name the "
                "database with --db\n",
                cmd);
    return rc;
}

static struct pl_stories *s_open(struct s_args *a, const char *cmd)
{
    if (s_db_path(a, cmd) != 0)
        return NULL;
    struct pl_stories_opts o;
    pl_stories_defaults(&o);
    o.db = a->path;
    o.read_only = true;
    o.cache_kb = 2048;
    struct pl_stories *s = NULL;
    char err[1024];
    if (pl_stories_open(&o, &s, err, sizeof(err)) != 0) {
        fprintf(stderr, "pressline %s: %s\n", cmd, err);
        return NULL;
    }
    return s;
}

/* --since: an RFC 3339 time or date, or an age such as 90m, 12h, 7d. */
static int s_since(const char *s, int64_t *t)
{
    if (!s) {
        *t = 0;
        return 0;
    }
    if (pl_stories_parse_time(s, t) == 0)
        return 0;
    char *end = NULL;
    errno = 0;
    long n = strtol(s, &end, 10);
    long unit = !end                ? 0
                : !strcmp(end, "m") ? 60
                : !strcmp(end, "h") ? 3600
                : !strcmp(end, "d") ? 86400
                                    : 0;
    if (errno || end == s || n < 0 || !unit)
        return -EINVAL;
    *t = (int64_t)time(NULL) - (int64_t)n * unit;
    return 0;
}

static int s_parse(int argc, char **argv, struct s_args *a, const char *usage)
{
    static const struct option opts[] = {
        { "db", required_argument, NULL, 'd' },
        { "config", required_argument, NULL, 'c' },
        { "since", required_argument, NULL, 's' },
        { "limit", required_argument, NULL, 'n' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    char *end;
    a->limit = 100;
    while ((c = getopt_long(argc, argv, "d:c:s:n:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->db = optarg; break;
        case 'c': a->config = optarg; break;
        case 's': a->since = optarg; break;
        case 'j': a->json = true; break;
        case 'n':
            a->limit = strtol(optarg, &end, 10);
            if (*end || a->limit < 1 || a->limit > 1000000) {
                fprintf(stderr, "pressline: --limit must be a number from 1 to 1000000\n");
                return 2;
            }
            break;
        case 'h': fputs(usage, stdout); return 1;
        default: fputs(usage, stderr); return 2;
        }
    }
    return 0;
}

static void s_print_json(const cJSON *j)
{
    char *s = cJSON_Print(j);
    if (s)
        puts(s);
    cJSON_free(s);
}

static const char *s_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double s_num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

int pl_stories_main(int argc, char **argv)
{
    static const char usage[] =
        "usage: pressline stories [--since TIME] [--json] [--limit N] [--db PATH] [--config FILE]\n"
        "  lists remembered stories, most recently seen first; TIME is RFC 3339, a date or an\n"
        "  age (90m, 12h, 7d)\n";
    struct s_args a = { 0 };
    int rc = s_parse(argc, argv, &a, usage);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    int64_t since;
    if (s_since(a.since, &since) != 0) {
        fprintf(stderr, "pressline stories: --since %s is not a time, a date or an age\n", a.since);
        return 2;
    }
    struct pl_stories *s = s_open(&a, "stories");
    if (!s)
        return 1;
    char err[1024];
    cJSON *list = pl_stories_list(s, since, (int)a.limit, err, sizeof(err));
    pl_stories_close(&s);
    if (!list) {
        fprintf(stderr, "pressline stories: %s\n", err);
        return 1;
    }
    if (a.json) {
        s_print_json(list);
    } else {
        const cJSON *st;
        cJSON_ArrayForEach(st, list)
        {
            printf("%8.0f  %5.0f  %s  %s\n", s_num(st, "id"), s_num(st, "size"),
                   s_str(st, "last_seen"), s_str(st, "title"));
        }
    }
    cJSON_Delete(list);
    return 0;
}

static void s_print_story(const cJSON *st)
{
    printf("story %.0f: %s\n%.0f articles, first seen %s, last seen %s\n", s_num(st, "id"),
           s_str(st, "title"), s_num(st, "size"), s_str(st, "first_seen"), s_str(st, "last_seen"));
    const cJSON *e;
    printf("entities:\n");
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(st, "entities"))
    {
        printf("  %-7s %4.0f  %s", s_str(e, "type"), s_num(e, "count"), s_str(e, "text"));
        const cJSON *v;
        const char *sep = "  (also ";
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(e, "variants"))
        {
            printf("%s%s", sep, v->valuestring);
            sep = ", ";
        }
        puts(*sep == ',' ? ")" : "");
    }
    printf("articles:\n");
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(st, "articles"))
    {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "duplicate_of");
        printf("  %s  %s%s%s\n", s_str(e, "time"), s_str(e, "id"),
               cJSON_IsString(d) ? "  reprint of " : "", cJSON_IsString(d) ? d->valuestring : "");
    }
}

int pl_story_main(int argc, char **argv)
{
    static const char usage[] =
        "usage: pressline story ID [--json] [--db PATH] [--config FILE]\n"
        "  shows one story with its entities and every article (reprints marked)\n";
    struct s_args a = { 0 };
    int rc = s_parse(argc, argv, &a, usage);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    char *end = NULL;
    long long id = optind < argc ? strtoll(argv[optind], &end, 10) : 0;
    if (optind + 1 != argc || !end || *end || id < 1) {
        fputs(usage, stderr);
        return 2;
    }
    struct pl_stories *s = s_open(&a, "story");
    if (!s)
        return 1;
    cJSON *st = pl_stories_story(s, (int64_t)id, true);
    pl_stories_close(&s);
    if (!st) {
        fprintf(stderr, "pressline story: no story %lld in %s\n", id, a.path);
        return 1;
    }
    if (a.json)
        s_print_json(st);
    else
        s_print_story(st);
    cJSON_Delete(st);
    return 0;
}
