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
#include "sketch.h"

/* Terms of a story indexed, terms of an article looked up, stories read per
 * term (the most recent), candidates scored: together they bound the work
 * of one article whatever the number of stories remembered. */
#define INDEX_TERMS 8
#define QUERY_TERMS 12
#define PER_TERM 40
#define MAX_CANDIDATES 24
#define MAX_DUP_CANDIDATES 64
/* Retention runs once every this many new articles. */
#define RETAIN_EVERY 256

#define SCHEMA_VERSION 1

enum {
    Q_FIND,
    Q_BAND_GET,
    Q_ART_GET,
    Q_TERM_GET,
    Q_STORY_GET,
    Q_STORY_NEW,
    Q_STORY_SET,
    Q_TERM_ADD,
    Q_ART_ADD,
    Q_BAND_ADD,
    Q_STORY_ARTS,
    Q_RETAIN_BANDS,
    Q_BAND_DEL,
    Q_TERM_DEL,
    Q_RETAIN_TERMS,
    Q_RETAIN_ARTS,
    Q_RETAIN_STORIES,
    Q_N
};

static const char *const s_sql[Q_N] = {
    [Q_FIND] = "SELECT story, duplicate_of, similarity FROM articles WHERE id = ?1",
    [Q_BAND_GET] = "SELECT art FROM bands WHERE k = ?1 LIMIT 64",
    [Q_ART_GET] = "SELECT id, sketch, story FROM articles WHERE n = ?1",
    [Q_TERM_GET] = "SELECT story FROM story_terms WHERE term = ?1 ORDER BY story DESC LIMIT 40",
    [Q_STORY_GET] = "SELECT first_seen, last_seen, size, centroid, entities, title FROM stories "
                    "WHERE id = ?1",
    [Q_STORY_NEW] = "INSERT INTO stories(first_seen, last_seen, size, title, centroid, entities) "
                    "VALUES (?1, ?1, 0, ?2, x'', '[]')",
    [Q_STORY_SET] = "UPDATE stories SET first_seen = ?2, last_seen = ?3, size = ?4, "
                    "centroid = ?5, entities = ?6, title = coalesce(title, ?7) WHERE id = ?1",
    [Q_TERM_ADD] = "INSERT OR IGNORE INTO story_terms(term, story) VALUES (?1, ?2)",
    [Q_ART_ADD] = "INSERT INTO articles(id, t, story, duplicate_of, similarity, title, sketch) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_BAND_ADD] = "INSERT INTO bands(k, art) VALUES (?1, ?2)",
    [Q_STORY_ARTS] =
        "SELECT id, t, duplicate_of FROM articles WHERE story = ?1 ORDER BY n LIMIT ?2",
    [Q_RETAIN_BANDS] = "SELECT n, sketch FROM articles WHERE story IN "
                       "(SELECT id FROM stories WHERE last_seen < ?1)",
    [Q_BAND_DEL] = "DELETE FROM bands WHERE k = ?1 AND art = ?2",
    [Q_TERM_DEL] = "DELETE FROM story_terms WHERE term = ?1 AND story = ?2",
    [Q_RETAIN_TERMS] = "SELECT id, centroid FROM stories WHERE last_seen < ?1",
    [Q_RETAIN_ARTS] = "DELETE FROM articles WHERE story IN "
                      "(SELECT id FROM stories WHERE last_seen < ?1)",
    [Q_RETAIN_STORIES] = "DELETE FROM stories WHERE last_seen < ?1",
};

static const char s_schema[] =
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS articles(n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    " t INTEGER NOT NULL, story INTEGER NOT NULL, duplicate_of TEXT, similarity REAL NOT NULL,"
    " title TEXT, sketch BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS articles_story ON articles(story, n);"
    "CREATE TABLE IF NOT EXISTS bands(k INTEGER NOT NULL, art INTEGER NOT NULL,"
    " PRIMARY KEY(k, art)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS stories(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, size INTEGER NOT NULL,"
    " title TEXT, centroid BLOB NOT NULL, entities TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS stories_last ON stories(last_seen);"
    "CREATE TABLE IF NOT EXISTS story_terms(term TEXT NOT NULL, story INTEGER NOT NULL,"
    " PRIMARY KEY(term, story)) WITHOUT ROWID;"
    "INSERT OR IGNORE INTO meta(k, v) VALUES ('schema', 1);";

struct pl_stories {
    sqlite3 *db;
    sqlite3_stmt *q[Q_N];
    struct pl_stories_opts o;
    unsigned added; /* new articles since open, for the retention's period */
};

void pl_stories_defaults(struct pl_stories_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->dup_threshold = 0.6;
    o->story_threshold = 0.45;
    o->decay_days = 3;
    o->keep_days = 30;
    o->cache_kb = 8192;
    o->mmap_mb = 256;
    o->busy_ms = 10000;
    o->max_articles = 20;
    o->max_entities = 20;
    o->wt.title = 2.0;
    o->wt.body = 1.0;
    o->wt.entity = 1.0;
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
        return 0;
    /* WAL: readers never wait for the writer and a crash mid-transaction
     * rolls back. synchronous=NORMAL keeps every committed transaction
     * through kill -9 and a crash of the process (the WAL is in the page
     * cache); only a power cut can take the last ones, which costs the
     * memory of a few articles, never an output. */
    /* Small pages: an article touches some forty pages spread over the
     * band and term indexes, and every touched page goes to the WAL whole;
     * 1 KB pages write a quarter of what 4 KB pages would (stories_bench).
     * Only a new database takes it. */
    rc = sqlite3_exec(s->db,
                      "PRAGMA page_size = 1024; PRAGMA journal_mode = WAL; "
                      "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 16000;",
                      NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, s_schema, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : s_sqlerr(s, rc, "creating the tables", err, errlen);
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
    if ((ret = s_configure(s, err, errlen)) != 0)
        goto fail;
    for (int i = 0; i < Q_N; i++) {
        rc = sqlite3_prepare_v3(s->db, s_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->q[i], NULL);
        if (rc != SQLITE_OK) {
            ret = s_sqlerr(s, rc, "not a stories database", err, errlen);
            goto fail;
        }
    }
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
 * are (first_seen, last_seen, size, centroid, entities, title). */
static cJSON *s_story_row(struct pl_stories *s, sqlite3_stmt *q, int64_t id, bool ents)
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
        cJSON *st = cJSON_Parse((const char *)sqlite3_column_text(q, 4));
        cJSON *view = st ? pl_ents_view(st, s->o.max_entities) : cJSON_CreateArray();
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

cJSON *pl_stories_story(struct pl_stories *s, int64_t id, bool all_articles)
{
    sqlite3_stmt *q = s_q(s, Q_STORY_GET);
    sqlite3_bind_int64(q, 1, id);
    if (sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_reset(q);
        return NULL;
    }
    cJSON *o = s_story_row(s, q, id, true);
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

/* The answer for an article: its duplicate, similarity and story. */
static cJSON *s_result(struct pl_stories *s, int64_t story, const char *dup, double sim)
{
    cJSON *r = cJSON_CreateObject();
    cJSON *st = pl_stories_story(s, story, false);
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
    *result = s_result(s, story, d ? dup : NULL, sim);
    return *result ? 1 : -ENOMEM;
}

struct s_dup {
    int64_t n;     /* the duplicate's row, 0 = none */
    int64_t story; /* its story */
    char id[64];
    double sim; /* similarity to it, or the best seen when none */
};

/* The earliest article sharing a band whose estimated Jaccard similarity
 * reaches the threshold. */
static int s_find_dup(struct pl_stories *s, const struct pl_sketch *sk, struct s_dup *d)
{
    int64_t seen[MAX_DUP_CANDIDATES];
    int ns = 0;
    memset(d, 0, sizeof(*d));
    for (int b = 0; b < PL_SKETCH_BANDS && sk->shingles; b++) {
        sqlite3_stmt *q = s_q(s, Q_BAND_GET);
        sqlite3_bind_int64(q, 1, pl_sketch_band_key(sk, b));
        while (sqlite3_step(q) == SQLITE_ROW && ns < MAX_DUP_CANDIDATES) {
            int64_t n = sqlite3_column_int64(q, 0);
            int dupl = 0;
            for (int i = 0; i < ns; i++)
                dupl |= seen[i] == n;
            if (!dupl)
                seen[ns++] = n;
        }
        sqlite3_reset(q);
    }
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

struct s_cand {
    int64_t id;
    int hits;
};

/* Candidate stories: those indexed under the article's heaviest terms,
 * most shared terms first. */
static int s_candidates(struct pl_stories *s, const struct pl_vec *v, struct s_cand *c)
{
    int top[QUERY_TERMS], nt = pl_vec_top(v, QUERY_TERMS, top), nc = 0;
    struct s_cand all[QUERY_TERMS * PER_TERM];
    for (int i = 0; i < nt; i++) {
        sqlite3_stmt *q = s_q(s, Q_TERM_GET);
        sqlite3_bind_text(q, 1, v->v[top[i]].t, -1, SQLITE_STATIC);
        while (sqlite3_step(q) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(q, 0);
            int j = 0;
            while (j < nc && all[j].id != id)
                j++;
            if (j == nc) {
                if (nc == QUERY_TERMS * PER_TERM)
                    continue;
                all[nc].id = id;
                all[nc++].hits = 0;
            }
            all[j].hits++;
        }
        sqlite3_reset(q);
    }
    /* The MAX_CANDIDATES with most hits, by a partial selection sort. */
    int k = nc < MAX_CANDIDATES ? nc : MAX_CANDIDATES;
    for (int i = 0; i < k; i++) {
        int best = i;
        for (int j = i + 1; j < nc; j++)
            if (all[j].hits > all[best].hits ||
                (all[j].hits == all[best].hits && all[j].id > all[best].id))
                best = j;
        struct s_cand t = all[i];
        all[i] = all[best];
        all[best] = t;
        c[i] = all[i];
    }
    return k;
}

/* The decayed similarity of an article at time t to a story last seen at
 * last: cosine times exp(-days apart / decay_days). */
static double s_decayed(const struct pl_stories *s, double cos, int64_t t, int64_t last)
{
    double days = fabs((double)(t - last)) / 86400.0;
    return s->o.decay_days > 0 ? cos * exp(-days / s->o.decay_days) : cos;
}

/* The best candidate story at or above the threshold, or 0. */
static int64_t s_pick_story(struct pl_stories *s, const struct pl_vec *v, int64_t t, double *score)
{
    struct s_cand c[MAX_CANDIDATES];
    int nc = s_candidates(s, v, c);
    int64_t best = 0;
    *score = 0;
    static __thread struct pl_vec cv;
    for (int i = 0; i < nc; i++) {
        sqlite3_stmt *q = s_q(s, Q_STORY_GET);
        sqlite3_bind_int64(q, 1, c[i].id);
        if (sqlite3_step(q) == SQLITE_ROW) {
            s_vec_decode(sqlite3_column_blob(q, 3), (size_t)sqlite3_column_bytes(q, 3), &cv);
            double sc = s_decayed(s, pl_vec_cos(v, &cv), t, sqlite3_column_int64(q, 1));
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

static int s_new_story(struct pl_stories *s, const struct pl_story_in *in, int64_t *id)
{
    sqlite3_stmt *q = s_q(s, Q_STORY_NEW);
    sqlite3_bind_int64(q, 1, in->t);
    sqlite3_bind_null(q, 2);
    int rc = s_step_done(q);
    if (rc == 0)
        *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

static bool s_in_top(const struct pl_vec *v, const int *top, int n, const char *t)
{
    for (int i = 0; i < n; i++)
        if (strcmp(v->v[top[i]].t, t) == 0)
            return true;
    return false;
}

/* Re-indexes the story under its centroid's heaviest terms: the terms that
 * left the top are deleted and those that came in are added, so a story
 * that keeps its subject costs no index writes. */
static int s_index_story(struct pl_stories *s, int64_t id, const struct pl_vec *old,
                         const struct pl_vec *c)
{
    int ot[INDEX_TERMS], nt[INDEX_TERMS];
    int no = pl_vec_top(old, INDEX_TERMS, ot), nn = pl_vec_top(c, INDEX_TERMS, nt), rc = 0;
    for (int i = 0; rc == 0 && i < no; i++) {
        if (s_in_top(c, nt, nn, old->v[ot[i]].t))
            continue;
        sqlite3_stmt *q = s_q(s, Q_TERM_DEL);
        sqlite3_bind_text(q, 1, old->v[ot[i]].t, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, id);
        rc = s_step_done(q);
    }
    for (int i = 0; rc == 0 && i < nn; i++) {
        if (s_in_top(old, ot, no, c->v[nt[i]].t))
            continue;
        sqlite3_stmt *q = s_q(s, Q_TERM_ADD);
        sqlite3_bind_text(q, 1, c->v[nt[i]].t, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, id);
        rc = s_step_done(q);
    }
    return rc;
}

/* Adds the article to story id: its size, times, centroid, entities and
 * index terms. */
static int s_join(struct pl_stories *s, int64_t id, const struct pl_story_in *in,
                  const struct pl_vec *v)
{
    sqlite3_stmt *q = s_q(s, Q_STORY_GET);
    sqlite3_bind_int64(q, 1, id);
    if (sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_reset(q);
        return SQLITE_CORRUPT;
    }
    static __thread struct pl_vec c, old;
    int64_t first = sqlite3_column_int64(q, 0), last = sqlite3_column_int64(q, 1);
    int64_t size = sqlite3_column_int64(q, 2);
    s_vec_decode(sqlite3_column_blob(q, 3), (size_t)sqlite3_column_bytes(q, 3), &c);
    cJSON *ents = cJSON_Parse((const char *)sqlite3_column_text(q, 4));
    sqlite3_reset(q);
    old = c;
    pl_vec_add(&c, v);
    int rc = SQLITE_NOMEM;
    char *etext = NULL;
    unsigned char blob[PL_VEC_STORY * (PL_TERM_MAX + sizeof(double))];
    size_t blen = 0;
    if (!ents || pl_ents_merge(ents, in->entities) != 0 ||
        !(etext = cJSON_PrintUnformatted(ents)) || s_vec_encode(&c, blob, sizeof(blob), &blen) != 0)
        goto out;
    q = s_q(s, Q_STORY_SET);
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int64(q, 2, in->t < first ? in->t : first);
    sqlite3_bind_int64(q, 3, in->t > last ? in->t : last);
    sqlite3_bind_int64(q, 4, size + 1);
    sqlite3_bind_blob(q, 5, blob, (int)blen, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, etext, -1, SQLITE_STATIC);
    if (in->title && *in->title)
        sqlite3_bind_text(q, 7, in->title, -1, SQLITE_STATIC);
    rc = s_step_done(q);
    if (rc == 0)
        rc = s_index_story(s, id, &old, &c);
out:
    cJSON_free(etext);
    cJSON_Delete(ents);
    return rc;
}

static int s_insert_article(struct pl_stories *s, const struct pl_story_in *in, int64_t story,
                            const struct s_dup *d, const struct pl_sketch *sk)
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
    int64_t n = sqlite3_last_insert_rowid(s->db);
    for (int b = 0; rc == 0 && sk->shingles && b < PL_SKETCH_BANDS; b++) {
        q = s_q(s, Q_BAND_ADD);
        sqlite3_bind_int64(q, 1, pl_sketch_band_key(sk, b));
        sqlite3_bind_int64(q, 2, n);
        rc = s_step_done(q);
    }
    return rc;
}

/* Deletes the band keys of the articles of stories last seen before
 * `before`: the keys come from each article's stored sketch, so the band
 * table needs no second index by article. */
static int s_retain_bands(struct pl_stories *s, int64_t before)
{
    sqlite3_stmt *q = s_q(s, Q_RETAIN_BANDS);
    sqlite3_bind_int64(q, 1, before);
    int rc = 0;
    struct pl_sketch sk;
    while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
        if (sqlite3_column_bytes(q, 1) != (int)sizeof(sk.min))
            continue;
        memcpy(sk.min, sqlite3_column_blob(q, 1), sizeof(sk.min));
        int64_t n = sqlite3_column_int64(q, 0);
        for (int b = 0; rc == 0 && b < PL_SKETCH_BANDS; b++) {
            sqlite3_stmt *d = s_q(s, Q_BAND_DEL);
            sqlite3_bind_int64(d, 1, pl_sketch_band_key(&sk, b));
            sqlite3_bind_int64(d, 2, n);
            rc = s_step_done(d);
        }
    }
    sqlite3_reset(q);
    return rc;
}

/* Deletes the index terms of the stories last seen before `before`, read
 * from their centroids as s_index_story chose them. */
static int s_retain_terms(struct pl_stories *s, int64_t before)
{
    static __thread struct pl_vec c, none;
    sqlite3_stmt *q = s_q(s, Q_RETAIN_TERMS);
    sqlite3_bind_int64(q, 1, before);
    int rc = 0;
    while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
        s_vec_decode(sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1), &c);
        rc = s_index_story(s, sqlite3_column_int64(q, 0), &c, &none);
    }
    sqlite3_reset(q);
    return rc;
}

/* Drops the stories idle for longer than keep_days before t, with their
 * articles, band keys and index terms. */
static int s_retain(struct pl_stories *s, int64_t t)
{
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

/* Everything of one new article, inside the caller's transaction. */
static int s_add_new(struct pl_stories *s, const struct pl_story_in *in, const struct pl_sketch *sk,
                     const struct pl_vec *v, struct s_dup *d, int64_t *story)
{
    s_find_dup(s, sk, d);
    double score = 0;
    *story = d->n ? d->story : s_pick_story(s, v, in->t, &score);
    int rc = 0;
    if (!*story)
        rc = s_new_story(s, in, story);
    if (rc == 0)
        rc = s_join(s, *story, in, v);
    if (rc == 0)
        rc = s_insert_article(s, in, *story, d, sk);
    if (rc == 0 && ++s->added % RETAIN_EVERY == 0)
        rc = s_retain(s, in->t);
    return rc;
}

int pl_stories_add(struct pl_stories *s, const struct pl_story_in *in, cJSON **result, char *err,
                   size_t errlen)
{
    struct pl_sketch sk;
    static __thread struct pl_vec v;
    if (pl_sketch_text(in->text, in->len, &sk) != 0 ||
        pl_vec_article(in->title, in->text, in->len, in->entities, &s->o.wt, &v) != 0) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    /* IMMEDIATE: the write lock first, so two instances never both decide
     * on a story and then collide; the other waits up to busy_ms. */
    int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return s_sqlerr(s, rc, "cannot begin a transaction", err, errlen);
    int found = s_find(s, in->id, result);
    if (found != 0) {
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
        if (found < 0)
            return s_sqlerr(s, SQLITE_IOERR, "cannot read the article", err, errlen);
        return 0;
    }
    struct s_dup d;
    int64_t story = 0;
    rc = s_add_new(s, in, &sk, &v, &d, &story);
    if (rc == 0)
        rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc != 0) {
        int ret = s_sqlerr(s, rc, "cannot remember the article", err, errlen);
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return ret;
    }
    *result = s_result(s, story, d.n ? d.id : NULL, d.sim);
    if (!*result) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
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
        cJSON *o = s_story_row(s, q, sqlite3_column_int64(q, 6), false);
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
