/* The stories stage's SQLite memory; see store.h. */
#include "store.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "ents.h"
#include "index.h"
#include "sketch.h"
#include "text.h"

/* Terms of an article looked up, stories read per term (the most recent),
 * candidates scored: together they bound the work of one article whatever
 * the number of stories remembered. A story is indexed under its
 * PL_INDEX_TERMS heaviest terms (index.h). */
#define QUERY_TERMS 12
#define PER_TERM PL_INDEX_PER_TERM
#define MAX_CANDIDATES 24
#define MAX_DUP_CANDIDATES 64
/* Retention runs once every this many new articles. */
#define RETAIN_EVERY 256

/* 1: the band and term indexes were tables; 2: they are in memory
 * (index.h), rebuilt from the sketches and the stories' keys. */
#define SCHEMA_VERSION 2

enum {
    Q_FIND,
    Q_ART_GET,
    Q_STORY_GET,
    Q_STORY_CENT,
    Q_STORY_NEW,
    Q_STORY_SET,
    Q_ART_ADD,
    Q_STORY_ARTS,
    Q_NEWER,
    Q_STORY_KEYS,
    Q_LOAD_STORIES,
    Q_RETAIN_BANDS,
    Q_RETAIN_TERMS,
    Q_RETAIN_ARTS,
    Q_RETAIN_STORIES,
    Q_N
};

static const char *const s_sql[Q_N] = {
    [Q_FIND] = "SELECT story, duplicate_of, similarity FROM articles WHERE id = ?1",
    [Q_ART_GET] = "SELECT id, sketch, story FROM articles WHERE n = ?1",
    [Q_STORY_GET] = "SELECT first_seen, last_seen, size, centroid, entities, title FROM stories "
                    "WHERE id = ?1",
    [Q_STORY_CENT] = "SELECT last_seen, centroid FROM stories WHERE id = ?1",
    [Q_STORY_NEW] = "INSERT INTO stories(first_seen, last_seen, size, keys, centroid, title, "
                    "entities) VALUES (?1, ?1, 1, ?2, ?3, ?4, ?5)",
    [Q_STORY_SET] = "UPDATE stories SET first_seen = ?2, last_seen = ?3, size = ?4, "
                    "centroid = ?5, entities = ?6, title = coalesce(title, ?7), keys = ?8 "
                    "WHERE id = ?1",
    [Q_ART_ADD] = "INSERT INTO articles(id, t, story, duplicate_of, similarity, title, sketch) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_STORY_ARTS] =
        "SELECT id, t, duplicate_of FROM articles WHERE story = ?1 ORDER BY n LIMIT ?2",
    [Q_NEWER] = "SELECT n, sketch, story, t FROM articles WHERE n > ?1 ORDER BY n",
    [Q_STORY_KEYS] = "SELECT last_seen, keys, centroid FROM stories WHERE id = ?1",
    [Q_LOAD_STORIES] = "SELECT id, last_seen, keys, centroid FROM stories WHERE last_seen >= ?1",
    [Q_RETAIN_BANDS] = "SELECT n, sketch FROM articles WHERE story IN "
                       "(SELECT id FROM stories WHERE last_seen < ?1)",
    [Q_RETAIN_TERMS] = "SELECT id FROM stories WHERE last_seen < ?1",
    [Q_RETAIN_ARTS] = "DELETE FROM articles WHERE story IN "
                      "(SELECT id FROM stories WHERE last_seen < ?1)",
    [Q_RETAIN_STORIES] = "DELETE FROM stories WHERE last_seen < ?1",
};

/* An article is one row (its sketch holds its band keys), a story one row
 * (keys: the term keys it is indexed under, before the centroid so that
 * the rebuild reads no further into the row; a database migrated from
 * schema 1 has the column last, which costs the rebuild time, not
 * correctness). */
static const char s_schema[] =
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS articles(n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    " t INTEGER NOT NULL, story INTEGER NOT NULL, duplicate_of TEXT, similarity REAL NOT NULL,"
    " title TEXT, sketch BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS articles_story ON articles(story, n);"
    "CREATE TABLE IF NOT EXISTS stories(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, size INTEGER NOT NULL,"
    " keys BLOB, centroid BLOB NOT NULL, title TEXT, entities TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS stories_last ON stories(last_seen);"
    "INSERT OR IGNORE INTO meta(k, v) VALUES ('schema', 2);";

/* A database of schema 1 keeps its rows: the index tables go (the
 * rebuild makes them in memory) and the stories get their keys column
 * (empty: the rebuild reads those stories' centroids instead). */
static const char s_migrate_1[] = "DROP TABLE IF EXISTS bands; DROP TABLE IF EXISTS story_terms;"
                                  "ALTER TABLE stories ADD COLUMN keys BLOB;"
                                  "UPDATE meta SET v = 2 WHERE k = 'schema';";

struct pl_stories {
    sqlite3 *db;
    sqlite3_stmt *q[Q_N];
    struct pl_stories_opts o;
    unsigned added;    /* new articles since open, for the retention's period */
    struct pl_index x; /* the band and term indexes (index.h) */
    int64_t last_n;    /* the newest article row the index has seen */
    int64_t max_t;     /* the stream's clock (s_clock), 0 = none yet */
    bool stale;        /* a transaction failed after x changed: rebuild x */
};

void pl_stories_defaults(struct pl_stories_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->dup_threshold = 0.6;
    o->story_threshold = 0.48;
    o->decay_days = 3;
    o->keep_days = 30;
    o->cache_kb = 8192;
    o->mmap_mb = 256;
    o->busy_ms = 10000;
    o->max_articles = 20;
    o->max_entities = 20;
    o->index_articles = 250000;
    o->wt.title = 2.0;
    o->wt.body = 1.0;
    o->wt.entity = 3.0;
}

static int s_sqlerr(struct pl_stories *s, int rc, const char *what, char *err, size_t n)
{
    snprintf(err, n, "%s: %s: %s", s->o.db, what,
             s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    return rc == SQLITE_NOMEM ? -ENOMEM : rc == SQLITE_BUSY ? -EBUSY : -EIO;
}

/* The folder of the database exists (the spool's, as a rule); make one
 * level when it does not, as the daemon makes its own folders. */
static void s_make_folder(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return;
    char dir[4096];
    int n = snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    if (n > 0 && (size_t)n < sizeof(dir))
        (void)mkdir(dir, 0750);
}

/* Creates the tables, or brings a database of an earlier schema up to
 * this one, in one write transaction so that two instances starting at
 * once do it once. */
static int s_schema_up(struct pl_stories *s, char *err, size_t errlen)
{
    int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, s_schema, NULL, NULL, NULL);
    sqlite3_stmt *q = NULL;
    int version = 0;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db, "SELECT v FROM meta WHERE k = 'schema'", -1, &q, NULL);
    if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        version = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    if (rc == SQLITE_OK && version == 1)
        rc = sqlite3_exec(s->db, s_migrate_1, NULL, NULL, NULL);
    if (rc == SQLITE_OK && version > SCHEMA_VERSION) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        snprintf(err, errlen, "%s: schema %d, written by a later pressline (this one reads %d)",
                 s->o.db, version, SCHEMA_VERSION);
        return -EINVAL;
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        int ret = s_sqlerr(s, rc, "creating the tables", err, errlen);
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return ret;
    }
    return 0;
}

/* A read-only open (pressline stories, story) cannot migrate: a
 * database of an earlier schema is refused with what to do, rather than
 * with the missing column a statement names. */
static int s_schema_read_only(struct pl_stories *s, char *err, size_t errlen)
{
    sqlite3_stmt *q = NULL;
    int version = SCHEMA_VERSION;
    if (sqlite3_prepare_v2(s->db, "SELECT v FROM meta WHERE k = 'schema'", -1, &q, NULL) ==
            SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        version = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    if (version < SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "%s: schema %d, from an earlier pressline; the daemon brings it to schema %d "
                 "when its stories stage next opens it",
                 s->o.db, version, SCHEMA_VERSION);
        return -EINVAL;
    }
    return 0;
}

static int s_configure(struct pl_stories *s, char *err, size_t errlen)
{
    char pragmas[256];
    sqlite3_busy_timeout(s->db, s->o.busy_ms);
    snprintf(pragmas, sizeof(pragmas),
             "PRAGMA cache_size = -%d; PRAGMA mmap_size = %lld; PRAGMA temp_store = MEMORY;",
             s->o.cache_kb, (long long)s->o.mmap_mb * 1024 * 1024);
    int rc = sqlite3_exec(s->db, pragmas, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return s_sqlerr(s, rc, "setting the cache", err, errlen);
    if (s->o.read_only)
        return s_schema_read_only(s, err, errlen);
    /* WAL: readers never wait for the writer and a crash mid-transaction
     * rolls back. synchronous=NORMAL keeps every committed transaction
     * through kill -9 and a crash of the process (the WAL is in the page
     * cache); only a power cut can take the last ones, which costs the
     * memory of a few articles, never an output. */
    /* 4 KB pages: with the indexes in memory an article writes its row
     * and its story's, a story's row (centroid and entities, 2-3 KB) fits
     * one page instead of a chain of 1 KB overflow pages, and the open
     * reads a smaller file: the same cost per article as 1 KB pages, an
     * open a third faster, a file 12% smaller (stories_bench, README).
     * Only a new database takes it. */
    rc = sqlite3_exec(s->db,
                      "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; "
                      "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 16000;",
                      NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return s_sqlerr(s, rc, "creating the tables", err, errlen);
    return s_schema_up(s, err, errlen);
}

int pl_stories_open(const struct pl_stories_opts *o, struct pl_stories **out, char *err,
                    size_t errlen)
{
    struct pl_stories *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    s->o = *o;
    if (!o->read_only)
        s_make_folder(o->db);
    int flags = o->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(o->db, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    int ret = 0;
    if (rc != SQLITE_OK) {
        ret = s_sqlerr(s, rc, "cannot open the database", err, errlen);
        goto fail;
    }
    pl_index_init(&s->x, (size_t)o->index_articles);
    if ((ret = s_configure(s, err, errlen)) != 0)
        goto fail;
    for (int i = 0; i < Q_N; i++) {
        rc = sqlite3_prepare_v3(s->db, s_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->q[i], NULL);
        if (rc != SQLITE_OK) {
            ret = s_sqlerr(s, rc, "not a stories database", err, errlen);
            goto fail;
        }
    }
    /* The indexes are built by the first pl_stories_add (or
     * pl_stories_warm), on the instance's own thread: the host inits
     * plugins on its main thread, and a probe init (a configuration check)
     * should not read the whole file. */
    s->stale = true;
    *out = s;
    return 0;
fail:
    pl_stories_close(&s);
    return ret;
}

void pl_stories_close(struct pl_stories **sp)
{
    struct pl_stories *s = *sp;
    if (!s)
        return;
    for (int i = 0; i < Q_N; i++)
        sqlite3_finalize(s->q[i]);
    sqlite3_close(s->db);
    pl_index_free(&s->x);
    free(s);
    *sp = NULL;
}

/* A prepared statement, reset and unbound for its next use. */
static sqlite3_stmt *s_q(struct pl_stories *s, int i)
{
    sqlite3_reset(s->q[i]);
    sqlite3_clear_bindings(s->q[i]);
    return s->q[i];
}

/* A centroid on disk: per term its bytes, a NUL, and its weight as a
 * little-endian IEEE double. */
static int s_vec_encode(const struct pl_vec *v, unsigned char *buf, size_t cap, size_t *len)
{
    size_t n = 0;
    for (int i = 0; i < v->n; i++) {
        size_t tl = strlen(v->v[i].t) + 1;
        if (n + tl + sizeof(double) > cap)
            return -ENOSPC;
        memcpy(buf + n, v->v[i].t, tl);
        memcpy(buf + n + tl, &v->v[i].w, sizeof(double));
        n += tl + sizeof(double);
    }
    *len = n;
    return 0;
}

static void s_vec_decode(const unsigned char *buf, size_t len, struct pl_vec *v)
{
    size_t i = 0;
    v->n = 0;
    while (i < len && v->n < PL_VEC_STORY) {
        const unsigned char *z = memchr(buf + i, 0, len - i);
        if (!z || (size_t)(z - buf) + 1 + sizeof(double) > len)
            break;
        size_t tl = (size_t)(z - (buf + i));
        if (tl >= PL_TERM_MAX)
            tl = PL_TERM_MAX - 1;
        memcpy(v->v[v->n].t, buf + i, tl);
        v->v[v->n].t[tl] = '\0';
        tl = (size_t)(z - (buf + i));
        memcpy(&v->v[v->n].w, z + 1, sizeof(double));
        v->n++;
        i += tl + 1 + sizeof(double);
    }
}

void pl_stories_time(int64_t t, char *buf, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int pl_stories_parse_time(const char *s, int64_t *t)
{
    struct tm tm = { 0 };
    int y, mo, d, h = 0, mi = 0, se = 0, used = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3)
        return -EINVAL;
    if (s[used] == 'T' && sscanf(s + used, "T%2d:%2d:%2d", &h, &mi, &se) < 2)
        return -EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -EINVAL;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    *t = (int64_t)timegm(&tm);
    return 0;
}

static int s_add_time(cJSON *o, const char *key, int64_t t)
{
    char buf[32];
    pl_stories_time(t, buf, sizeof(buf));
    return cJSON_AddStringToObject(o, key, buf) ? 0 : -ENOMEM;
}

/* The story's article ids (or, with full, objects with time and
 * duplicate_of), in arrival order, at most cap. */
static cJSON *s_story_articles(struct pl_stories *s, int64_t id, int cap, bool full)
{
    sqlite3_stmt *q = s_q(s, Q_STORY_ARTS);
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int(q, 2, cap);
    cJSON *a = cJSON_CreateArray();
    while (a && sqlite3_step(q) == SQLITE_ROW) {
        cJSON *item = cJSON_CreateString((const char *)sqlite3_column_text(q, 0));
        if (item && full) {
            cJSON *o = cJSON_CreateObject();
            const unsigned char *dup = sqlite3_column_text(q, 2);
            if (!o || !cJSON_AddItemToObject(o, "id", item) ||
                s_add_time(o, "time", sqlite3_column_int64(q, 1)) != 0 ||
                !(dup ? cJSON_AddStringToObject(o, "duplicate_of", (const char *)dup)
                      : cJSON_AddNullToObject(o, "duplicate_of"))) {
                cJSON_Delete(o);
                cJSON_Delete(a);
                return NULL;
            }
            item = o;
        }
        if (!item || !cJSON_AddItemToArray(a, item)) {
            cJSON_Delete(item);
            cJSON_Delete(a);
            return NULL;
        }
    }
    sqlite3_reset(q);
    return a;
}

/* The story object from the current row of a stories query whose columns
 * are (first_seen, last_seen, size, centroid, entities, title). With ents,
 * its entities too: from known, the stored array the caller holds (the
 * one it has just written), else parsed from the row. */
static cJSON *s_story_row(struct pl_stories *s, sqlite3_stmt *q, int64_t id, bool ents,
                          const cJSON *known)
{
    cJSON *o = cJSON_CreateObject();
    const unsigned char *title = sqlite3_column_text(q, 5);
    if (!o || !cJSON_AddNumberToObject(o, "id", (double)id) ||
        !cJSON_AddNumberToObject(o, "size", (double)sqlite3_column_int64(q, 2)) ||
        s_add_time(o, "first_seen", sqlite3_column_int64(q, 0)) != 0 ||
        s_add_time(o, "last_seen", sqlite3_column_int64(q, 1)) != 0 ||
        !(title ? cJSON_AddStringToObject(o, "title", (const char *)title)
                : cJSON_AddNullToObject(o, "title")))
        goto oom;
    if (ents) {
        cJSON *st = known ? NULL : cJSON_Parse((const char *)sqlite3_column_text(q, 4));
        const cJSON *from = known ? known : st;
        cJSON *view = from ? pl_ents_view(from, s->o.max_entities) : cJSON_CreateArray();
        cJSON_Delete(st);
        if (!view || !cJSON_AddItemToObject(o, "entities", view)) {
            cJSON_Delete(view);
            goto oom;
        }
    }
    return o;
oom:
    cJSON_Delete(o);
    return NULL;
}

/* pl_stories_story, the entities from known when it is not NULL (see
 * s_story_row). */
static cJSON *s_story(struct pl_stories *s, int64_t id, bool all_articles, const cJSON *known)
{
    sqlite3_stmt *q = s_q(s, Q_STORY_GET);
    sqlite3_bind_int64(q, 1, id);
    if (sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_reset(q);
        return NULL;
    }
    cJSON *o = s_story_row(s, q, id, true, known);
    sqlite3_reset(q);
    if (!o)
        return NULL;
    cJSON *a = s_story_articles(s, id, all_articles ? 1000000 : s->o.max_articles, all_articles);
    if (!a)
        goto oom;
    /* The articles come before the entities, as the schema lists them. */
    cJSON *ents = cJSON_DetachItemFromObjectCaseSensitive(o, "entities");
    if (!cJSON_AddItemToObject(o, "articles", a)) {
        cJSON_Delete(a);
        cJSON_Delete(ents);
        goto oom;
    }
    if (ents && !cJSON_AddItemToObject(o, "entities", ents)) {
        cJSON_Delete(ents);
        goto oom;
    }
    return o;
oom:
    cJSON_Delete(o);
    return NULL;
}

cJSON *pl_stories_story(struct pl_stories *s, int64_t id, bool all_articles)
{
    return s_story(s, id, all_articles, NULL);
}

/* The answer for an article: its duplicate, similarity and story (the
 * story's entities from ents, the stored array, when not NULL). */
static cJSON *s_result(struct pl_stories *s, int64_t story, const char *dup, double sim,
                       const cJSON *ents)
{
    cJSON *r = cJSON_CreateObject();
    cJSON *st = s_story(s, story, false, ents);
    if (!r || !st ||
        !(dup ? cJSON_AddStringToObject(r, "duplicate_of", dup)
              : cJSON_AddNullToObject(r, "duplicate_of")) ||
        !cJSON_AddNumberToObject(r, "similarity", round(sim * 1000) / 1000) ||
        !cJSON_AddItemToObject(r, "story", st)) {
        cJSON_Delete(st);
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

/* The stored answer when the article was seen before: 1 and *result, 0 when
 * it is new, negative on failure. */
static int s_find(struct pl_stories *s, const char *id, cJSON **result)
{
    sqlite3_stmt *q = s_q(s, Q_FIND);
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(q);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        sqlite3_reset(q);
        return -EIO;
    }
    int64_t story = sqlite3_column_int64(q, 0);
    char dup[64] = "";
    const unsigned char *d = sqlite3_column_text(q, 1);
    if (d)
        snprintf(dup, sizeof(dup), "%s", (const char *)d);
    double sim = sqlite3_column_double(q, 2);
    sqlite3_reset(q);
    *result = s_result(s, story, d ? dup : NULL, sim, NULL);
    return *result ? 1 : -ENOMEM;
}

struct s_dup {
    int64_t n;     /* the duplicate's row, 0 = none */
    int64_t story; /* its story */
    char id[64];
    double sim; /* similarity to it, or the best seen when none */
};

/* The sketch's band keys as the index holds them (their low 32 bits). */
static void s_band_keys(const struct pl_sketch *sk, uint32_t keys[PL_SKETCH_BANDS])
{
    for (int b = 0; b < PL_SKETCH_BANDS; b++)
        keys[b] = (uint32_t)pl_sketch_band_key(sk, b);
}

/* The band keys of a stored sketch blob; false when the blob is not one. */
static bool s_blob_keys(const void *blob, int bytes, uint32_t keys[PL_SKETCH_BANDS])
{
    struct pl_sketch sk;
    if (!blob || bytes != (int)sizeof(sk.min))
        return false;
    memcpy(sk.min, blob, sizeof(sk.min));
    /* An empty text's sketch (no shingle: every minimum UINT64_MAX) is not
     * indexed, as the instance that wrote it did not index it either. */
    bool any = false;
    for (size_t i = 0; i < sizeof(sk.min) / sizeof(sk.min[0]) && !any; i++)
        any = sk.min[i] != UINT64_MAX;
    if (!any)
        return false;
    s_band_keys(&sk, keys);
    return true;
}

/* The term keys a story is indexed under: its centroid's heaviest terms,
 * hashed. Returns how many. */
static int s_story_keys(const struct pl_vec *c, uint32_t *keys)
{
    int top[PL_INDEX_TERMS], n = pl_vec_top(c, PL_INDEX_TERMS, top);
    for (int i = 0; i < n; i++)
        keys[i] = (uint32_t)pl_hash(c->v[top[i]].t, strlen(c->v[top[i]].t));
    return n;
}

/* The horizon past which no article can join a story: the decay alone
 * takes the score below the threshold, whatever the cosine; a day more for
 * articles that arrive out of order. INT64_MAX without a decay. */
static int64_t s_horizon(const struct pl_stories *s)
{
    if (s->o.decay_days <= 0 || s->o.story_threshold <= 0)
        return INT64_MAX;
    return (int64_t)(s->o.decay_days * 86400.0 * log(1.0 / s->o.story_threshold)) + 86400;
}

/* The stream's clock, which the term index's horizon counts back from:
 * the latest article time, but moved at most a day by one article, so
 * that one article dated years ahead (a wrong "published") cannot push
 * every story of today out of the index; a real gap (the service stopped
 * for a week) is caught up in a few articles, and until then the index
 * only holds more stories than it needs. */
static void s_clock(struct pl_stories *s, int64_t t)
{
    if (!s->max_t)
        s->max_t = t;
    else if (t > s->max_t)
        s->max_t = t - s->max_t < 86400 ? t : s->max_t + 86400;
}

static int64_t s_cut(const struct pl_stories *s)
{
    int64_t h = s_horizon(s);
    return h == INT64_MAX || s->max_t < INT64_MIN + h ? INT64_MIN : s->max_t - h;
}

/* Indexes story id as the database holds it now (after another instance
 * changed it), or forgets it when it is gone. The current row of q is
 * (last_seen, keys, centroid) from column `at`. */
static int s_index_row(struct pl_stories *s, uint32_t id, sqlite3_stmt *q, int at)
{
    uint32_t keys[PL_INDEX_TERMS];
    int nk, bytes = sqlite3_column_bytes(q, at + 1);
    int64_t last = sqlite3_column_int64(q, at);
    if (last < s_cut(s)) {
        pl_index_drop_story(&s->x, id);
        return 0;
    }
    if (bytes > 0 && bytes % (int)sizeof(uint32_t) == 0 &&
        bytes <= (int)(PL_INDEX_TERMS * sizeof(uint32_t))) {
        nk = bytes / (int)sizeof(uint32_t);
        memcpy(keys, sqlite3_column_blob(q, at + 1), (size_t)bytes);
    } else {
        /* A story of schema 1: no keys stored, they come from its
         * centroid as s_join would choose them. */
        static __thread struct pl_vec c;
        s_vec_decode(sqlite3_column_blob(q, at + 2), (size_t)sqlite3_column_bytes(q, at + 2), &c);
        nk = s_story_keys(&c, keys);
    }
    return pl_index_set_story(&s->x, id, last, keys, nk);
}

static int s_reload_story(struct pl_stories *s, int64_t id)
{
    sqlite3_stmt *q = s_q(s, Q_STORY_KEYS);
    sqlite3_bind_int64(q, 1, id);
    int rc = 0;
    if (sqlite3_step(q) == SQLITE_ROW)
        rc = s_index_row(s, (uint32_t)id, q, 0);
    else
        pl_index_drop_story(&s->x, (uint32_t)id);
    sqlite3_reset(q);
    return rc;
}

/* Adds the articles stored after row s->last_n to the band index: at open,
 * all of them (the newest index_articles); later, those another instance
 * of the stage wrote since this one last looked (with their stories
 * re-read), one indexed look-up that finds nothing when this instance is
 * alone. */
static int s_newer(struct pl_stories *s, bool stories)
{
    sqlite3_stmt *q = s_q(s, Q_NEWER);
    sqlite3_bind_int64(q, 1, s->last_n);
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t n = sqlite3_column_int64(q, 0), t = sqlite3_column_int64(q, 3);
        uint32_t keys[PL_SKETCH_BANDS];
        if (s_blob_keys(sqlite3_column_blob(q, 1), sqlite3_column_bytes(q, 1), keys))
            rc = pl_index_add_article(&s->x, (uint32_t)n, keys);
        s->last_n = n;
        s_clock(s, t);
        if (rc == 0 && stories)
            rc = s_reload_story(s, sqlite3_column_int64(q, 2));
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = step;
    sqlite3_reset(q);
    return rc;
}

static int s_load_stories(struct pl_stories *s)
{
    sqlite3_stmt *q = s_q(s, Q_LOAD_STORIES);
    sqlite3_bind_int64(q, 1, s_cut(s));
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
        rc = s_index_row(s, (uint32_t)sqlite3_column_int64(q, 0), q, 1);
    if (rc == 0 && step != SQLITE_DONE)
        rc = step;
    sqlite3_reset(q);
    return rc;
}

/* Builds the indexes from the database, inside the caller's transaction:
 * the newest index_articles articles' sketches, the stories that can still
 * be joined. */
static int s_rebuild(struct pl_stories *s)
{
    pl_index_free(&s->x);
    s->stale = true;
    sqlite3_stmt *q = NULL;
    /* The clock again: the median time of the newest 15 articles, which
     * a few wrongly dated ones do not move. */
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT coalesce((SELECT max(n) FROM articles), 0), t FROM "
                                "(SELECT t FROM articles ORDER BY n DESC LIMIT 15) ORDER BY t",
                                -1, &q, NULL);
    int64_t ts[15], max_n = 0;
    int nt = 0, step = SQLITE_DONE;
    while (rc == SQLITE_OK && (step = sqlite3_step(q)) == SQLITE_ROW && nt < 15) {
        max_n = sqlite3_column_int64(q, 0);
        ts[nt++] = sqlite3_column_int64(q, 1);
    }
    if (rc == SQLITE_OK && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = step;
    sqlite3_finalize(q);
    s->max_t = nt ? ts[nt / 2] : 0;
    s->last_n = max_n > s->o.index_articles ? max_n - s->o.index_articles : 0;
    if (rc == SQLITE_OK)
        rc = s_newer(s, false);
    if (rc == SQLITE_OK)
        rc = s_load_stories(s);
    if (rc == SQLITE_OK)
        s->stale = false;
    return rc == -ENOMEM ? SQLITE_NOMEM : rc;
}

/* Builds the indexes in a read transaction of their own, so that other
 * instances keep writing meanwhile; the write transaction that follows
 * catches up with what they wrote. */
static int s_load(struct pl_stories *s, char *err, size_t errlen)
{
    int rc = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = s_rebuild(s);
    sqlite3_exec(s->db, rc == SQLITE_OK ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : s_sqlerr(s, rc, "cannot read the index", err, errlen);
}

/* The earliest article sharing a band whose estimated Jaccard similarity
 * reaches the threshold. A candidate whose row is gone (another instance's
 * retention) is passed over. */
static int s_find_dup(struct pl_stories *s, const struct pl_sketch *sk,
                      const uint32_t keys[PL_SKETCH_BANDS], struct s_dup *d)
{
    uint32_t seen[MAX_DUP_CANDIDATES];
    int ns = sk->shingles ? pl_index_band_candidates(&s->x, keys, seen, MAX_DUP_CANDIDATES) : 0;
    memset(d, 0, sizeof(*d));
    for (int i = 0; i < ns; i++) {
        sqlite3_stmt *q = s_q(s, Q_ART_GET);
        sqlite3_bind_int64(q, 1, seen[i]);
        if (sqlite3_step(q) != SQLITE_ROW || sqlite3_column_bytes(q, 1) != (int)sizeof(sk->min)) {
            sqlite3_reset(q);
            continue;
        }
        struct pl_sketch other;
        memcpy(other.min, sqlite3_column_blob(q, 1), sizeof(other.min));
        other.shingles = 1;
        double sim = pl_sketch_similarity(sk, &other);
        bool dup = sim >= s->o.dup_threshold;
        if (dup && (!d->n || seen[i] < d->n)) {
            d->n = seen[i];
            d->sim = sim;
            d->story = sqlite3_column_int64(q, 2);
            snprintf(d->id, sizeof(d->id), "%s", (const char *)sqlite3_column_text(q, 0));
        } else if (!d->n && sim > d->sim) {
            d->sim = sim;
        }
        sqlite3_reset(q);
    }
    return 0;
}

/* The decayed similarity of an article at time t to a story last seen at
 * last: cosine times exp(-days apart / decay_days). */
static double s_decayed(const struct pl_stories *s, double cos, int64_t t, int64_t last)
{
    double days = fabs((double)(t - last)) / 86400.0;
    return s->o.decay_days > 0 ? cos * exp(-days / s->o.decay_days) : cos;
}

/* The best candidate story at or above the threshold, or 0. Candidates
 * are those indexed under the article's heaviest terms, most shared terms
 * first; one whose decay alone keeps it below the threshold is not read. */
static int64_t s_pick_story(struct pl_stories *s, const struct pl_vec *v, int64_t t, double *score)
{
    int top[QUERY_TERMS], nt = pl_vec_top(v, QUERY_TERMS, top);
    uint32_t qk[QUERY_TERMS];
    for (int i = 0; i < nt; i++)
        qk[i] = (uint32_t)pl_hash(v->v[top[i]].t, strlen(v->v[top[i]].t));
    struct pl_index_cand c[MAX_CANDIDATES];
    int nc = pl_index_story_candidates(&s->x, qk, nt, PER_TERM, c, MAX_CANDIDATES);
    int64_t best = 0;
    *score = 0;
    static __thread struct pl_vec cv;
    for (int i = 0; i < nc; i++) {
        const struct pl_index_story *is = pl_index_story(&s->x, c[i].id);
        if (is && s_decayed(s, 1.0, t, is->last) < s->o.story_threshold)
            continue;
        sqlite3_stmt *q = s_q(s, Q_STORY_CENT);
        sqlite3_bind_int64(q, 1, c[i].id);
        if (sqlite3_step(q) == SQLITE_ROW) {
            s_vec_decode(sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1), &cv);
            double sc = s_decayed(s, pl_vec_cos(v, &cv), t, sqlite3_column_int64(q, 0));
            if (sc >= s->o.story_threshold && sc > *score) {
                *score = sc;
                best = c[i].id;
            }
        }
        sqlite3_reset(q);
    }
    return best;
}

static int s_step_done(sqlite3_stmt *q)
{
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : rc;
}

/* The story as it stands before the article joins; id 0 for a new one. */
struct s_story {
    int64_t first, last, size;
    cJSON *ents;
};

static int s_story_read(struct pl_stories *s, int64_t id, struct pl_vec *c, struct s_story *st)
{
    if (!id) {
        c->n = 0;
        st->first = st->last = st->size = 0;
        st->ents = cJSON_CreateArray();
        return st->ents ? 0 : SQLITE_NOMEM;
    }
    sqlite3_stmt *q = s_q(s, Q_STORY_GET);
    sqlite3_bind_int64(q, 1, id);
    if (sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_reset(q);
        return SQLITE_CORRUPT;
    }
    st->first = sqlite3_column_int64(q, 0);
    st->last = sqlite3_column_int64(q, 1);
    st->size = sqlite3_column_int64(q, 2);
    s_vec_decode(sqlite3_column_blob(q, 3), (size_t)sqlite3_column_bytes(q, 3), c);
    st->ents = cJSON_Parse((const char *)sqlite3_column_text(q, 4));
    sqlite3_reset(q);
    return st->ents ? 0 : SQLITE_NOMEM;
}

/* Adds the article to story *id (0: a new story, whose id is set): its
 * size, times, centroid, entities and index terms, one row written. On
 * success *ents gets the entities as written (caller frees), so that the
 * answer need not read and parse them again. */
static int s_join(struct pl_stories *s, int64_t *id, const struct pl_story_in *in,
                  const struct pl_vec *v, cJSON **ents)
{
    *ents = NULL;
    static __thread struct pl_vec c;
    struct s_story st;
    int rc = s_story_read(s, *id, &c, &st);
    if (rc != 0)
        return rc;
    pl_vec_add(&c, v);
    rc = SQLITE_NOMEM;
    char *etext = NULL;
    unsigned char blob[PL_VEC_STORY * (PL_TERM_MAX + sizeof(double))];
    size_t blen = 0;
    uint32_t keys[PL_INDEX_TERMS];
    int nk = s_story_keys(&c, keys);
    if (pl_ents_merge(st.ents, in->entities) != 0 || !(etext = cJSON_PrintUnformatted(st.ents)) ||
        s_vec_encode(&c, blob, sizeof(blob), &blen) != 0)
        goto out;
    const char *title = in->title && *in->title ? in->title : NULL;
    int64_t last = *id && st.last > in->t ? st.last : in->t;
    sqlite3_stmt *q;
    if (!*id) {
        q = s_q(s, Q_STORY_NEW);
        sqlite3_bind_int64(q, 1, in->t);
        sqlite3_bind_blob(q, 2, keys, (int)(nk * sizeof(*keys)), SQLITE_STATIC);
        sqlite3_bind_blob(q, 3, blob, (int)blen, SQLITE_STATIC);
        if (title)
            sqlite3_bind_text(q, 4, title, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, etext, -1, SQLITE_STATIC);
    } else {
        q = s_q(s, Q_STORY_SET);
        sqlite3_bind_int64(q, 1, *id);
        sqlite3_bind_int64(q, 2, in->t < st.first ? in->t : st.first);
        sqlite3_bind_int64(q, 3, last);
        sqlite3_bind_int64(q, 4, st.size + 1);
        sqlite3_bind_blob(q, 5, blob, (int)blen, SQLITE_STATIC);
        sqlite3_bind_text(q, 6, etext, -1, SQLITE_STATIC);
        if (title)
            sqlite3_bind_text(q, 7, title, -1, SQLITE_STATIC);
        sqlite3_bind_blob(q, 8, keys, (int)(nk * sizeof(*keys)), SQLITE_STATIC);
    }
    rc = s_step_done(q);
    if (rc == 0 && !*id)
        *id = sqlite3_last_insert_rowid(s->db);
    if (rc == 0 && pl_index_set_story(&s->x, (uint32_t)*id, last, keys, nk) != 0)
        rc = SQLITE_NOMEM;
out:
    cJSON_free(etext);
    if (rc == 0) {
        *ents = st.ents;
        st.ents = NULL;
    }
    cJSON_Delete(st.ents);
    return rc;
}

static int s_insert_article(struct pl_stories *s, const struct pl_story_in *in, int64_t story,
                            const struct s_dup *d, const struct pl_sketch *sk,
                            const uint32_t keys[PL_SKETCH_BANDS])
{
    sqlite3_stmt *q = s_q(s, Q_ART_ADD);
    sqlite3_bind_text(q, 1, in->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, in->t);
    sqlite3_bind_int64(q, 3, story);
    if (d->n)
        sqlite3_bind_text(q, 4, d->id, -1, SQLITE_STATIC);
    sqlite3_bind_double(q, 5, round(d->sim * 1000) / 1000);
    if (in->title)
        sqlite3_bind_text(q, 6, in->title, -1, SQLITE_STATIC);
    sqlite3_bind_blob(q, 7, sk->min, (int)sizeof(sk->min), SQLITE_STATIC);
    int rc = s_step_done(q);
    if (rc != 0)
        return rc;
    /* Rows only grow: retention never deletes the newest article (its
     * story was seen at its time, after the cut), so a rowid is never
     * reused and "rows after last_n" is what another instance added. */
    s->last_n = sqlite3_last_insert_rowid(s->db);
    s_clock(s, in->t);
    if (sk->shingles && pl_index_add_article(&s->x, (uint32_t)s->last_n, keys) != 0)
        return SQLITE_NOMEM;
    return 0;
}

/* Takes the articles of stories last seen before `before` out of the band
 * index: their keys come from each article's stored sketch. */
static int s_retain_bands(struct pl_stories *s, int64_t before)
{
    sqlite3_stmt *q = s_q(s, Q_RETAIN_BANDS);
    sqlite3_bind_int64(q, 1, before);
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        uint32_t keys[PL_SKETCH_BANDS];
        if (s_blob_keys(sqlite3_column_blob(q, 1), sqlite3_column_bytes(q, 1), keys))
            pl_index_drop_article(&s->x, (uint32_t)sqlite3_column_int64(q, 0), keys);
    }
    sqlite3_reset(q);
    return step == SQLITE_DONE ? 0 : step;
}

static int s_retain_terms(struct pl_stories *s, int64_t before)
{
    sqlite3_stmt *q = s_q(s, Q_RETAIN_TERMS);
    sqlite3_bind_int64(q, 1, before);
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW)
        pl_index_drop_story(&s->x, (uint32_t)sqlite3_column_int64(q, 0));
    sqlite3_reset(q);
    return step == SQLITE_DONE ? 0 : step;
}

/* Drops the stories idle for longer than keep_days before t, with their
 * articles, from the database and the indexes; and takes the stories past
 * the horizon (s_horizon) out of the term index. */
static int s_retain(struct pl_stories *s, int64_t t)
{
    pl_index_prune(&s->x, s_cut(s));
    if (s->o.keep_days <= 0)
        return 0;
    int64_t before = t - (int64_t)(s->o.keep_days * 86400.0);
    int rc = s_retain_bands(s, before);
    if (rc == 0)
        rc = s_retain_terms(s, before);
    static const int order[] = { Q_RETAIN_ARTS, Q_RETAIN_STORIES };
    for (size_t i = 0; rc == 0 && i < sizeof(order) / sizeof(order[0]); i++) {
        sqlite3_stmt *q = s_q(s, order[i]);
        sqlite3_bind_int64(q, 1, before);
        rc = s_step_done(q);
    }
    return rc;
}

/* Everything of one new article, inside the caller's transaction; *ents
 * as s_join gives it (caller frees, also after a failure). */
static int s_add_new(struct pl_stories *s, const struct pl_story_in *in, const struct pl_sketch *sk,
                     const struct pl_vec *v, struct s_dup *d, int64_t *story, cJSON **ents)
{
    uint32_t keys[PL_SKETCH_BANDS];
    s_band_keys(sk, keys);
    s_find_dup(s, sk, keys, d);
    double score = 0;
    *story = d->n ? d->story : s_pick_story(s, v, in->t, &score);
    int rc = s_join(s, story, in, v, ents);
    if (rc == 0)
        rc = s_insert_article(s, in, *story, d, sk, keys);
    if (rc == 0 && ++s->added % RETAIN_EVERY == 0)
        rc = s_retain(s, in->t);
    return rc;
}

int pl_stories_warm(struct pl_stories *s, char *err, size_t errlen)
{
    return s->stale ? s_load(s, err, errlen) : 0;
}

int pl_stories_add(struct pl_stories *s, const struct pl_story_in *in, cJSON **result, char *err,
                   size_t errlen)
{
    *result = NULL;
    struct pl_sketch sk;
    static __thread struct pl_vec v;
    if (pl_sketch_text(in->text, in->len, &sk) != 0 ||
        pl_vec_article(in->title, in->text, in->len, in->entities, &s->o.wt, &v) != 0) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    int rc = s->stale ? pl_stories_warm(s, err, errlen) : 0;
    if (rc != 0)
        return rc;
    /* IMMEDIATE: the write lock first, so two instances never both decide
     * on a story and then collide; the other waits up to busy_ms. */
    rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return s_sqlerr(s, rc, "cannot begin a transaction", err, errlen);
    /* The indexes catch up with what other instances wrote (or are built
     * again after a failed transaction left them ahead of the file). */
    rc = s->stale ? s_rebuild(s) : s_newer(s, true);
    if (rc != 0) {
        s->stale = true;
        int ret =
            s_sqlerr(s, rc == -ENOMEM ? SQLITE_NOMEM : rc, "cannot read the index", err, errlen);
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return ret;
    }
    int found = s_find(s, in->id, result);
    if (found != 0) {
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
        if (found < 0)
            return s_sqlerr(s, SQLITE_IOERR, "cannot read the article", err, errlen);
        return 0;
    }
    struct s_dup d;
    int64_t story = 0;
    cJSON *ents = NULL;
    rc = s_add_new(s, in, &sk, &v, &d, &story, &ents);
    /* The answer before the commit, inside the transaction: one snapshot of
     * the story, whatever another instance writes once the lock is gone;
     * and when it cannot be made, nothing is written. */
    bool oom = false;
    if (rc == 0 && !(*result = s_result(s, story, d.n ? d.id : NULL, d.sim, ents))) {
        oom = true;
        rc = SQLITE_NOMEM;
    }
    cJSON_Delete(ents);
    if (rc == 0)
        rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc != 0) {
        cJSON_Delete(*result);
        *result = NULL;
        int ret = oom ? -ENOMEM : s_sqlerr(s, rc, "cannot remember the article", err, errlen);
        if (oom)
            snprintf(err, errlen, "out of memory");
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        /* The indexes may hold what the rollback undid. */
        s->stale = true;
        return ret;
    }
    return 0;
}

cJSON *pl_stories_list(struct pl_stories *s, int64_t since, int limit, char *err, size_t errlen)
{
    sqlite3_stmt *q = NULL;
    int rc =
        sqlite3_prepare_v2(s->db,
                           "SELECT first_seen, last_seen, size, centroid, entities, title, id "
                           "FROM stories WHERE last_seen >= ?1 ORDER BY last_seen DESC, id DESC "
                           "LIMIT ?2",
                           -1, &q, NULL);
    if (rc != SQLITE_OK) {
        s_sqlerr(s, rc, "cannot list the stories", err, errlen);
        return NULL;
    }
    sqlite3_bind_int64(q, 1, since);
    sqlite3_bind_int(q, 2, limit);
    cJSON *a = cJSON_CreateArray();
    while (a && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        cJSON *o = s_story_row(s, q, sqlite3_column_int64(q, 6), false, NULL);
        if (!o || !cJSON_AddItemToArray(a, o)) {
            cJSON_Delete(o);
            cJSON_Delete(a);
            a = NULL;
        }
    }
    if (a && rc != SQLITE_DONE) {
        s_sqlerr(s, rc, "cannot list the stories", err, errlen);
        cJSON_Delete(a);
        a = NULL;
    }
    sqlite3_finalize(q);
    return a;
}

int pl_stories_count(struct pl_stories *s, int64_t *articles, int64_t *stories)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(
        s->db, "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM stories)", -1, &q,
        NULL);
    if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
        *articles = sqlite3_column_int64(q, 0);
        *stories = sqlite3_column_int64(q, 1);
    } else {
        rc = SQLITE_ERROR;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_OK ? 0 : -EIO;
}
