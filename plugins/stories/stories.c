/*
 * stories: memory across articles. For each article, the earliest
 * remembered near-duplicate ("duplicate_of", with its "similarity") and
 * the story it belongs to ("story": {id, size, first_seen, last_seen,
 * title, articles, entities}), from an SQLite database shared by every
 * instance of the stage (store.h has the method).
 *
 * Options: "db" (the database file; the daemon sets it to
 * <spool>/stories.db when the stage's options leave it out), "keep_days",
 * "dup_threshold", "story_threshold", "decay_days", "cache_kb", "mmap_mb", "busy_ms",
 * "max_articles", "max_entities", "title_weight", "entity_weight", "index_articles" (the
 * articles whose reprints are looked for in memory, the newest; store.h).
 *
 * Thread-safe: each instance has its own connection; init and fini on the
 * host's main thread, process on the instance's worker thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docjson.h"
#include "store.h"

struct st_state {
    struct pl_stories *store;
};

static void s_fini(void *state)
{
    struct st_state *st = state;
    if (!st)
        return;
    pl_stories_close(&st->store);
    free(st);
}

/* The numeric options, each with its range. */
static int s_numbers(const cJSON *o, struct pl_stories_opts *so, struct pl_error *err)
{
    double v;
    int rc = 0;
#define NUM(key, lo, hi, integer, field, type)                                                     \
    do {                                                                                           \
        v = (double)so->field;                                                                     \
        if (rc == 0 && (rc = pl_options_number(o, "stories", key, lo, hi, integer, &v, err)) == 0) \
            so->field = (type)v;                                                                   \
    } while (0)
    NUM("keep_days", 0, 36500, false, keep_days, double);
    NUM("dup_threshold", 0.05, 1, false, dup_threshold, double);
    NUM("story_threshold", 0.01, 1, false, story_threshold, double);
    NUM("decay_days", 0, 3650, false, decay_days, double);
    NUM("cache_kb", 64, 4194304, true, cache_kb, int);
    NUM("mmap_mb", 0, 65536, true, mmap_mb, int);
    NUM("busy_ms", 0, 600000, true, busy_ms, int);
    NUM("max_articles", 1, 10000, true, max_articles, int);
    NUM("max_entities", 0, 64, true, max_entities, int);
    NUM("index_articles", 1000, 100000000, true, index_articles, int);
    NUM("title_weight", 0, 100, false, wt.title, double);
    NUM("entity_weight", 0, 100, false, wt.entity, double);
#undef NUM
    return rc;
}

static int s_init(const struct pl_host *host, const char *options_json, void **state,
                  struct pl_error *err)
{
    (void)host;
    static const char *const keys[] = { "db",
                                        "keep_days",
                                        "dup_threshold",
                                        "story_threshold",
                                        "decay_days",
                                        "cache_kb",
                                        "mmap_mb",
                                        "busy_ms",
                                        "max_articles",
                                        "max_entities",
                                        "title_weight",
                                        "entity_weight",
                                        "index_articles",
                                        NULL };
    cJSON *o = pl_options_parse(options_json, err);
    if (!o)
        return -1;
    struct pl_stories_opts so;
    pl_stories_defaults(&so);
    int rc = pl_options_check_keys(o, "stories", keys, err);
    if (rc == 0)
        rc = s_numbers(o, &so, err);
    const cJSON *db = cJSON_GetObjectItemCaseSensitive(o, "db");
    if (rc == 0 && (!cJSON_IsString(db) || !*db->valuestring))
        rc = pl_fail(err, "stories: option \"db\" must be the database's file path (a string); "
                          "the daemon sets it to <spool>/stories.db when it is left out");
    struct st_state *st = NULL;
    if (rc == 0 && !(st = calloc(1, sizeof(*st))))
        rc = pl_fail(err, "stories: out of memory");
    if (rc == 0) {
        char why[PL_ERROR_MAX - 32];
        so.db = db->valuestring;
        if (pl_stories_open(&so, &st->store, why, sizeof(why)) != 0)
            rc = pl_fail(err, "stories: %s", why);
    }
    cJSON_Delete(o);
    if (rc != 0) {
        s_fini(st);
        return -1;
    }
    *state = st;
    return 0;
}

/* The article's time: when it was received, else its own date, else now.
 * On a wire feed the arrival is the story's clock: many articles state no
 * date, and those that do state a day, not a time, so mixing the two would
 * set articles of one afternoon a day apart. */
static int64_t s_time(const cJSON *doc)
{
    int64_t t;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "received_at");
    if (cJSON_IsString(p) && pl_stories_parse_time(p->valuestring, &t) == 0)
        return t;
    p = cJSON_GetObjectItemCaseSensitive(doc, "published");
    if (cJSON_IsString(p) && pl_stories_parse_time(p->valuestring, &t) == 0)
        return t;
    return (int64_t)time(NULL);
}

static int s_process(void *state, const char *doc, size_t len, char **out, size_t *out_len,
                     struct pl_error *err)
{
    struct st_state *st = state;
    cJSON *d = pl_doc_parse(doc, len, err);
    if (!d)
        return -1;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(d, "id");
    const cJSON *title = cJSON_GetObjectItemCaseSensitive(d, "title");
    size_t tlen = 0;
    const char *text = pl_doc_text(d, &tlen);
    int rc = -1;
    if (!cJSON_IsString(id) || !*id->valuestring) {
        pl_fail(err, "stories: the document has no \"id\" string to remember it by");
        goto out;
    }
    struct pl_story_in in = {
        .id = id->valuestring,
        .title = cJSON_IsString(title) ? title->valuestring : NULL,
        .text = text ? text : "",
        .len = text ? tlen : 0,
        .entities = cJSON_GetObjectItemCaseSensitive(d, "entities"),
        .t = s_time(d),
    };
    cJSON *r = NULL;
    char why[PL_ERROR_MAX - 32];
    if (pl_stories_add(st->store, &in, &r, why, sizeof(why)) != 0) {
        pl_fail(err, "stories: %s", why);
        goto out;
    }
    static const char *const fields[] = { "duplicate_of", "similarity", "story", NULL };
    rc = 0;
    for (size_t i = 0; rc == 0 && i < 3; i++)
        rc = pl_doc_set(d, fields[i], cJSON_DetachItemFromObjectCaseSensitive(r, fields[i]));
    cJSON_Delete(r);
    if (rc != 0) {
        pl_fail(err, "stories: out of memory");
        goto out;
    }
    rc = pl_doc_emit_patch(d, fields, out, out_len, err);
out:
    cJSON_Delete(d);
    return rc;
}

PL_PLUGIN_EXPORT const struct pl_plugin pressline_plugin = {
    .magic = PL_PLUGIN_MAGIC,
    .abi_version = PL_PLUGIN_ABI_VERSION,
    .size = sizeof(struct pl_plugin),
    .flags = PL_PLUGIN_THREAD_SAFE,
    .name = "stories",
    .version = "0.1.0",
    .description = "reprints (MinHash + LSH) and stories (online TF-IDF clustering) in SQLite",
    .init = s_init,
    .process = s_process,
    .release = pl_doc_release,
    .fini = s_fini,
};
