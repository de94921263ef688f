/* The stories stage's core (plugins/stories): sketches, entity merging,
 * the indexes in memory and the SQLite store, on temp databases. */
#include "cm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ents.h"
#include "harness.h"
#include "index.h"
#include "sketch.h"
#include "store.h"
#include "text.h"
#include "vec.h"

#define DAY 86400

static const char s_talks[] =
    "Russian and American diplomats met in Istanbul on Thursday for a second round of talks "
    "aimed at restoring the normal work of their embassies, the Russian foreign ministry said.\n\n"
    "The delegations, led by Alexander Darchiev and Sonata Coulter, discussed visas, banking "
    "for diplomats and the return of seized diplomatic property in a six hour meeting.\n\n"
    "Moscow wants direct flights between the two countries restored, while Washington is "
    "pressing for the staff of its embassy in Moscow to be allowed to work without hindrance.";

static const char s_quake[] =
    "A magnitude 6.1 earthquake struck the mountainous north of the island early on Sunday, "
    "collapsing farm buildings and cutting power to thousands of homes, officials said.\n\n"
    "Rescue teams searched the rubble of a school in the worst hit village through the night "
    "while aftershocks shook the valley and the regional hospital treated dozens of injured.\n\n"
    "Geologists said the fault had been quiet for more than a century before the quake.";

static const char s_match[] =
    "The home side scored twice in the last ten minutes to win the cup final at a packed "
    "stadium, ending a run of three defeats in the competition's final in five seasons.\n\n"
    "Their captain lifted the trophy after the substitute striker headed in from a corner and "
    "then ran clear of a tired defence to shoot low past the goalkeeper in injury time.";

/* A reprint: a share bar, an "Also Read" line, a copyright line and two
 * words changed. */
static char *s_reprint(const char *text)
{
    char *t = strdup(text);
    char *w = strstr(t, "Thursday");
    if (w)
        memcpy(w, "Thursdey", 8);
    w = strstr(t, "meeting");
    if (w)
        memcpy(w, "session", 7);
    char *out = th_path("Share this: Facebook Twitter Email\n\n%s\n\nAlso Read: Ten things to "
                        "know about the markets today\n\nCopyright 2026 Example Wire. All rights "
                        "reserved.",
                        t);
    free(t);
    return out;
}

struct db {
    char *dir;
    char *path;
    struct pl_stories *s;
};

static void s_open(struct db *d, double keep_days)
{
    struct pl_stories_opts o;
    pl_stories_defaults(&o);
    o.db = d->path;
    o.keep_days = keep_days;
    char err[512];
    int rc = pl_stories_open(&o, &d->s, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
}

static void s_db(struct db *d)
{
    d->dir = th_tempdir();
    d->path = th_path("%s/spool/stories.db", d->dir);
    s_open(d, 30);
}

static void s_db_free(struct db *d)
{
    pl_stories_close(&d->s);
    th_rmrf(d->dir);
    free(d->dir);
    free(d->path);
}

static cJSON *s_add(struct db *d, const char *id, const char *title, const char *text, int64_t t)
{
    struct pl_story_in in = { .id = id, .title = title, .text = text, .len = strlen(text), .t = t };
    cJSON *r = NULL;
    char err[512];
    assert_int_equal(pl_stories_add(d->s, &in, &r, err, sizeof(err)), 0);
    assert_non_null(r);
    return r;
}

static double s_story(const cJSON *r)
{
    return cJSON_GetObjectItem(cJSON_GetObjectItem(r, "story"), "id")->valuedouble;
}

static const char *s_dup(const cJSON *r)
{
    const cJSON *d = cJSON_GetObjectItem(r, "duplicate_of");
    return cJSON_IsString(d) ? d->valuestring : NULL;
}

static void a_reprint_sketches_alike_and_another_text_does_not(void **st)
{
    (void)st;
    struct pl_sketch a, b, c;
    char *r = s_reprint(s_talks);
    assert_int_equal(pl_sketch_text(s_talks, strlen(s_talks), &a), 0);
    assert_int_equal(pl_sketch_text(r, strlen(r), &b), 0);
    assert_int_equal(pl_sketch_text(s_quake, strlen(s_quake), &c), 0);
    assert_true(pl_sketch_similarity(&a, &b) >= 0.6);
    assert_true(pl_sketch_similarity(&a, &c) < 0.1);
    free(r);
}

static void spellings_and_surnames_are_one_entity_but_near_words_are_not(void **st)
{
    (void)st;
    assert_true(pl_ents_same("Darchiev", "Darchiyev", true));
    assert_true(pl_ents_same("Alexander Darchiev", "Alexander Darchiyev", true));
    assert_true(pl_ents_same("Putin", "Vladimir Putin", true));
    assert_true(pl_ents_same("Darchiyev", "Alexander Darchiev", true));
    assert_false(pl_ents_same("Putin", "Vladimir Putin", false));
    assert_false(pl_ents_same("Iran", "Iraq", false));
    assert_false(pl_ents_same("Austria", "Australia", false));
    assert_false(pl_ents_same("Donald Trump", "Melania Trump", true));
}

static void merged_entities_name_the_fullest_form_with_its_variants(void **st)
{
    (void)st;
    cJSON *story = cJSON_CreateArray();
    cJSON *a = cJSON_Parse("[{\"text\":\"Alexander Darchiev\",\"type\":\"PERSON\",\"count\":3,"
                           "\"aliases\":[\"Darchiev\"]},{\"text\":\"Istanbul\",\"type\":\"LOC\","
                           "\"count\":2,\"aliases\":[]}]");
    cJSON *b = cJSON_Parse("[{\"text\":\"Darchiyev\",\"type\":\"PERSON\",\"count\":2,"
                           "\"aliases\":[]},{\"text\":\"April 10\",\"type\":\"DATE\",\"count\":1,"
                           "\"aliases\":[]}]");
    assert_int_equal(pl_ents_merge(story, a), 0);
    assert_int_equal(pl_ents_merge(story, b), 0);
    cJSON *v = pl_ents_view(story, 20);
    assert_int_equal(cJSON_GetArraySize(v), 2); /* DATE left out */
    const cJSON *p = cJSON_GetArrayItem(v, 0);
    assert_string_equal(cJSON_GetObjectItem(p, "text")->valuestring, "Alexander Darchiev");
    assert_int_equal(cJSON_GetObjectItem(p, "count")->valueint, 5);
    char *vs = cJSON_PrintUnformatted(cJSON_GetObjectItem(p, "variants"));
    assert_non_null(strstr(vs, "\"Darchiyev\""));
    cJSON_free(vs);
    cJSON_Delete(v);
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(story);
}

/* The answer's story is the story as stored: its entities, merged from
 * every article so far, as pl_stories_story reads them back. */
static void the_answer_gives_the_story_as_stored(void **st)
{
    (void)st;
    struct db d;
    s_db(&d);
    cJSON *ea = cJSON_Parse("[{\"text\":\"Sergei Lavrov\",\"type\":\"PERSON\",\"count\":2,"
                            "\"aliases\":[\"Lavrov\"]}]");
    cJSON *eb = cJSON_Parse("[{\"text\":\"Lavrov\",\"type\":\"PERSON\",\"count\":3,"
                            "\"aliases\":[]},{\"text\":\"Istanbul\",\"type\":\"LOC\",\"count\":1,"
                            "\"aliases\":[]}]");
    char *reprint = s_reprint(s_talks);
    struct pl_story_in a = { .id = "a",
                             .title = "Talks",
                             .text = s_talks,
                             .len = strlen(s_talks),
                             .entities = ea,
                             .t = 1000 };
    struct pl_story_in b = { .id = "b",
                             .title = "Talks",
                             .text = reprint,
                             .len = strlen(reprint),
                             .entities = eb,
                             .t = 2000 };
    cJSON *ra = NULL, *rb = NULL;
    char err[512];
    assert_int_equal(pl_stories_add(d.s, &a, &ra, err, sizeof(err)), 0);
    assert_int_equal(pl_stories_add(d.s, &b, &rb, err, sizeof(err)), 0);
    assert_true(s_story(ra) == s_story(rb));
    cJSON *stored = pl_stories_story(d.s, (int64_t)s_story(rb), false);
    assert_non_null(stored);
    assert_true(cJSON_Compare(stored, cJSON_GetObjectItem(rb, "story"), true));
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(stored, "entities"), 0);
    assert_string_equal(cJSON_GetObjectItem(first, "text")->valuestring, "Sergei Lavrov");
    assert_int_equal(cJSON_GetObjectItem(first, "count")->valueint, 5);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(stored, "entities")), 2);
    cJSON_Delete(stored);
    cJSON_Delete(ra);
    cJSON_Delete(rb);
    cJSON_Delete(ea);
    cJSON_Delete(eb);
    free(reprint);
    s_db_free(&d);
}

static void a_reprint_is_found_also_after_a_restart(void **st)
{
    (void)st;
    struct db d;
    s_db(&d);
    const int64_t t = 1780000000;
    cJSON *r0 = s_add(&d, "00000000000000a1", "Talks in Istanbul", s_talks, t);
    assert_null(s_dup(r0));
    char *rp = s_reprint(s_talks);
    cJSON *r1 = s_add(&d, "00000000000000a2", "Talks in Istanbul", rp, t + 60);
    assert_non_null(s_dup(r1));
    assert_string_equal(s_dup(r1), "00000000000000a1");
    assert_true(s_story(r1) == s_story(r0));
    /* The database is closed and opened again: the memory is on disk. */
    pl_stories_close(&d.s);
    s_open(&d, 30);
    cJSON *r2 = s_add(&d, "00000000000000a3", NULL, rp, t + 120);
    assert_string_equal(s_dup(r2), "00000000000000a1");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(r2, "story"), "size")->valueint, 3);
    free(rp);
    cJSON_Delete(r0);
    cJSON_Delete(r1);
    cJSON_Delete(r2);
    s_db_free(&d);
}

static void unrelated_articles_get_stories_of_their_own(void **st)
{
    (void)st;
    struct db d;
    s_db(&d);
    const int64_t t = 1780000000;
    cJSON *a = s_add(&d, "00000000000000b1", "Talks in Istanbul", s_talks, t);
    cJSON *b = s_add(&d, "00000000000000b2", "Earthquake in the north", s_quake, t + 10);
    cJSON *c = s_add(&d, "00000000000000b3", "Cup final", s_match, t + 20);
    assert_true(s_story(a) != s_story(b));
    assert_true(s_story(b) != s_story(c));
    assert_true(s_story(a) != s_story(c));
    assert_null(s_dup(b));
    assert_null(s_dup(c));
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
    s_db_free(&d);
}

static void an_article_seen_twice_changes_nothing(void **st)
{
    (void)st;
    struct db d;
    s_db(&d);
    const int64_t t = 1780000000;
    cJSON *a = s_add(&d, "00000000000000c1", "Talks in Istanbul", s_talks, t);
    int64_t na, ns, na2, ns2;
    assert_int_equal(pl_stories_count(d.s, &na, &ns), 0);
    cJSON *b = s_add(&d, "00000000000000c1", "Talks in Istanbul", s_talks, t + 3600);
    assert_int_equal(pl_stories_count(d.s, &na2, &ns2), 0);
    assert_int_equal(na, 1);
    assert_int_equal(na2, 1);
    assert_int_equal(ns2, ns);
    char *ja = cJSON_PrintUnformatted(a), *jb = cJSON_PrintUnformatted(b);
    assert_string_equal(ja, jb); /* same story, size 1, same last_seen */
    cJSON_free(ja);
    cJSON_free(jb);
    cJSON_Delete(a);
    cJSON_Delete(b);
    s_db_free(&d);
}

/* Another write-up of the talks: the same people, places and subject in
 * other sentences. */
static const char s_talks_other[] =
    "Diplomats from Moscow and Washington sat down again in Istanbul to work on the "
    "functioning of their embassies, in talks the Russian side called constructive.\n\n"
    "Alexander Darchiev, Russia's ambassador, and Sonata Coulter of the State Department "
    "spent the day on visas for diplomats, bank accounts and the seized diplomatic property.\n\n"
    "Russia again asked for direct flights; the American embassy in Moscow wants its staff "
    "to work without hindrance, officials at the talks said.";

static void a_write_up_joins_the_story_of_the_day_but_next_months_is_a_new_one(void **st)
{
    (void)st;
    struct db d;
    s_db(&d);
    const int64_t t = 1780000000;
    cJSON *a = s_add(&d, "00000000000000d1", "Talks in Istanbul", s_talks, t);
    cJSON *b = s_add(&d, "00000000000000d2", "Embassy talks in Istanbul", s_talks_other, t + 3600);
    /* A short piece on the talks: the same story the same day, a new one a
     * month later (the next round). */
    char *brief = th_path("%.*s\n\nThe two sides plan to meet again next month in Moscow.",
                          (int)(strstr(s_talks, "\n\n") - s_talks), s_talks);
    cJSON *c = s_add(&d, "00000000000000d3", "Istanbul talks", brief, t + 7200);
    const char *p2 = strstr(s_talks, "The delegations");
    char *next = th_path("%.*s\n\nThe round in Moscow is the third this year.",
                         (int)(strstr(p2, "\n\n") - p2), p2);
    cJSON *e = s_add(&d, "00000000000000d4", "Istanbul talks", next, t + 31 * DAY);
    assert_null(s_dup(e));
    assert_null(s_dup(c));
    assert_true(s_story(c) == s_story(a));
    assert_true(s_story(e) != s_story(a));
    free(brief);
    free(next);
    cJSON_Delete(e);
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
    s_db_free(&d);
}

static void idle_stories_are_dropped_after_keep_days(void **st)
{
    (void)st;
    struct db d;
    d.dir = th_tempdir();
    d.path = th_path("%s/stories.db", d.dir);
    s_open(&d, 10);
    const int64_t t = 1780000000;
    cJSON *a = s_add(&d, "00000000000000e1", "Talks in Istanbul", s_talks, t);
    cJSON_Delete(a);
    /* Retention runs every 256 new articles: fill them in 20 days later. */
    for (int i = 0; i < 256; i++) {
        char id[17], text[256];
        snprintf(id, sizeof(id), "%016x", 0x100 + i);
        snprintf(text, sizeof(text), "Filler article number %d about item%d and thing%d here.", i,
                 i, i * 7);
        cJSON_Delete(s_add(&d, id, NULL, text, t + 20 * DAY));
    }
    int64_t na, ns;
    assert_int_equal(pl_stories_count(d.s, &na, &ns), 0);
    assert_int_equal(na, 256); /* the talks are forgotten */
    cJSON *st1 = pl_stories_story(d.s, 1, false);
    assert_null(st1);
    s_db_free(&d);
}

static void s_open_index(struct db *d, int index_articles)
{
    struct pl_stories_opts o;
    pl_stories_defaults(&o);
    o.db = d->path;
    o.index_articles = index_articles;
    char err[512];
    int rc = pl_stories_open(&o, &d->s, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
}

/* Band keys of class c: every article of one class shares them all. */
static void s_class_keys(uint32_t c, uint32_t keys[PL_SKETCH_BANDS])
{
    for (int b = 0; b < PL_SKETCH_BANDS; b++)
        keys[b] = c * 977u + (uint32_t)b * 131u + 1u;
}

static void the_band_index_gives_the_earliest_articles_and_drops_the_oldest_at_its_cap(void **st)
{
    (void)st;
    struct pl_index x;
    pl_index_init(&x, 100);
    uint32_t keys[PL_SKETCH_BANDS], out[64];
    for (uint32_t n = 1; n <= 150; n++) {
        s_class_keys(n % 10, keys);
        assert_int_equal(pl_index_add_article(&x, n, keys), 0);
    }
    /* Articles 1-50 left at the cap of 100; class 3 holds 53, 63, ... 143. */
    s_class_keys(3, keys);
    assert_int_equal(pl_index_band_candidates(&x, keys, out, 64), 10);
    assert_int_equal(out[0], 53);
    assert_int_equal(out[9], 143);
    pl_index_drop_article(&x, 53, keys);
    assert_int_equal(pl_index_band_candidates(&x, keys, out, 64), 9);
    assert_int_equal(out[0], 63);
    pl_index_free(&x);
    /* One text reprinted 100 times: its keys keep the earliest 64. */
    pl_index_init(&x, 1000);
    s_class_keys(7, keys);
    for (uint32_t n = 1; n <= 100; n++)
        assert_int_equal(pl_index_add_article(&x, n, keys), 0);
    assert_int_equal(pl_index_band_candidates(&x, keys, out, 64), PL_INDEX_PER_KEY);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[PL_INDEX_PER_KEY - 1], PL_INDEX_PER_KEY);
    pl_index_free(&x);
}

/* Deleting from the open-addressing table moves entries back: after many
 * adds and drops of colliding keys, every pair left is still found and no
 * dropped one is. */
static void the_band_index_finds_every_article_left_after_many_drops(void **st)
{
    (void)st;
    enum { N = 6000, CLASSES = 40 };
    struct pl_index x;
    pl_index_init(&x, N);
    static bool gone[N + 1];
    uint32_t keys[PL_SKETCH_BANDS];
    uint64_t r = 88172645463325252ULL;
    for (uint32_t n = 1; n <= N; n++) {
        /* Articles of one class share one key only: the classes' runs of
         * slots overlap. */
        s_class_keys(n % CLASSES, keys);
        for (int b = 1; b < PL_SKETCH_BANDS; b++)
            keys[b] = n * 2654435761u + (uint32_t)b;
        assert_int_equal(pl_index_add_article(&x, n, keys), 0);
    }
    for (int i = 0; i < N / 2; i++) {
        uint32_t n = 1 + (uint32_t)(pl_xorshift64(&r) % N);
        s_class_keys(n % CLASSES, keys);
        for (int b = 1; b < PL_SKETCH_BANDS; b++)
            keys[b] = n * 2654435761u + (uint32_t)b;
        pl_index_drop_article(&x, n, keys);
        gone[n] = true;
    }
    for (uint32_t n = 1; n <= N; n++) {
        /* Each key of its own on its own: found unless dropped. */
        for (int b = 1; b < PL_SKETCH_BANDS; b++) {
            uint32_t out[64], only[PL_SKETCH_BANDS];
            for (int k = 0; k < PL_SKETCH_BANDS; k++)
                only[k] = n * 2654435761u + (uint32_t)b;
            int got = pl_index_band_candidates(&x, only, out, 64);
            assert_int_equal(got, gone[n] ? 0 : 1);
            if (got)
                assert_int_equal(out[0], n);
        }
    }
    pl_index_free(&x);
}

/* A small table that never grows, churned by the cap: runs of slots wrap
 * round its end, and every article in it is found under each of its keys
 * after each eviction. */
static void the_band_index_finds_its_articles_through_evictions_in_a_small_table(void **st)
{
    (void)st;
    enum { N = 3000, LIVE = 25, POOL = 300 };
    static uint32_t keys[N + 1][PL_SKETCH_BANDS];
    struct pl_index x;
    pl_index_init(&x, LIVE);
    uint64_t r = 0x2545f4914f6cdd1dULL;
    for (uint32_t n = 1; n <= N; n++) {
        for (int b = 0; b < PL_SKETCH_BANDS; b++) {
            keys[n][b] = 1 + (uint32_t)(pl_xorshift64(&r) % POOL) * 7919u;
        }
        assert_int_equal(pl_index_add_article(&x, n, keys[n]), 0);
        uint32_t lo = n > LIVE ? n - LIVE + 1 : 1;
        for (uint32_t m = lo; m <= n; m++)
            for (int b = 0; b < PL_SKETCH_BANDS; b++) {
                uint32_t q[PL_SKETCH_BANDS], out[64];
                for (int k = 0; k < PL_SKETCH_BANDS; k++)
                    q[k] = keys[m][b];
                int got = pl_index_band_candidates(&x, q, out, 64);
                bool found = false;
                for (int i = 0; i < got; i++) {
                    assert_true(out[i] >= lo);
                    found |= out[i] == m;
                }
                assert_true(found);
            }
    }
    assert_true(pl_index_bytes(&x) < 64 * 1024);
    pl_index_free(&x);
}

static void story_candidates_share_most_terms_and_pruned_stories_leave(void **st)
{
    (void)st;
    struct pl_index x;
    pl_index_init(&x, 10);
    const uint32_t a[] = { 11, 12, 13 }, b[] = { 11, 12, 99 }, c[] = { 11, 98, 97 };
    assert_int_equal(pl_index_set_story(&x, 1, 1000, a, 3), 0);
    assert_int_equal(pl_index_set_story(&x, 2, 2000, b, 3), 0);
    assert_int_equal(pl_index_set_story(&x, 3, 3000, c, 3), 0);
    struct pl_index_cand out[8];
    const uint32_t q[] = { 11, 12, 13 };
    assert_int_equal(pl_index_story_candidates(&x, q, 3, 40, out, 8), 3);
    assert_int_equal(out[0].id, 1);
    assert_int_equal(out[0].hits, 3);
    assert_int_equal(out[1].id, 2);
    assert_int_equal(out[2].id, 3);
    /* Story 1 moves to other terms: the old ones no longer find it. */
    const uint32_t a2[] = { 50, 51 };
    assert_int_equal(pl_index_set_story(&x, 1, 4000, a2, 2), 0);
    assert_int_equal(pl_index_story_candidates(&x, q, 3, 40, out, 8), 2);
    assert_int_equal(out[0].id, 2);
    pl_index_prune(&x, 2500);
    assert_int_equal(pl_index_story_candidates(&x, q, 3, 40, out, 8), 1);
    assert_int_equal(out[0].id, 3);
    assert_null(pl_index_story(&x, 2));
    assert_non_null(pl_index_story(&x, 1));
    pl_index_free(&x);
}

static void a_write_up_joins_its_story_also_after_a_restart(void **st)
{
    (void)st;
    struct db d;
    s_db(&d);
    const int64_t t = 1780000000;
    cJSON *a = s_add(&d, "00000000000000f1", "Talks in Istanbul", s_talks, t);
    /* Reopened: the story's terms are in memory again, from its row. */
    pl_stories_close(&d.s);
    s_open(&d, 30);
    cJSON *b = s_add(&d, "00000000000000f2", "Embassy talks in Istanbul", s_talks_other, t + 3600);
    assert_null(s_dup(b));
    assert_true(s_story(b) == s_story(a));
    cJSON_Delete(a);
    cJSON_Delete(b);
    s_db_free(&d);
}

static void two_instances_on_one_database_see_each_others_articles(void **st)
{
    (void)st;
    struct db d, e;
    s_db(&d);
    e = d;
    s_open(&e, 30);
    const int64_t t = 1780000000;
    /* Stored through e after d opened: d's indexes catch up before its
     * look-ups, for the reprint and for the story. */
    cJSON *a = s_add(&e, "0000000000000101", "Talks in Istanbul", s_talks, t);
    char *rp = s_reprint(s_talks);
    cJSON *b = s_add(&d, "0000000000000102", NULL, rp, t + 60);
    assert_non_null(s_dup(b));
    assert_string_equal(s_dup(b), "0000000000000101");
    cJSON *c = s_add(&e, "0000000000000103", "Cup final", s_match, t + 120);
    cJSON *f = s_add(&d, "0000000000000104", "Embassy talks in Istanbul", s_talks_other, t + 180);
    assert_true(s_story(f) == s_story(a));
    assert_true(s_story(c) != s_story(a));
    free(rp);
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
    cJSON_Delete(f);
    pl_stories_close(&e.s);
    s_db_free(&d);
}

static void the_reprint_index_holds_the_newest_index_articles(void **st)
{
    (void)st;
    struct db d;
    d.dir = th_tempdir();
    d.path = th_path("%s/stories.db", d.dir);
    s_open_index(&d, 3);
    const int64_t t = 1780000000;
    cJSON_Delete(s_add(&d, "0000000000000201", "Talks in Istanbul", s_talks, t));
    for (int i = 0; i < 3; i++) {
        char id[17], text[256];
        snprintf(id, sizeof(id), "%016x", 0x210 + i);
        snprintf(text, sizeof(text),
                 "Filler article number %d about item%d and thing%d with more words here.", i, i,
                 i * 7);
        cJSON_Delete(s_add(&d, id, NULL, text, t + 60 * (i + 1)));
    }
    /* The talks left the index at its cap of 3: a reprint is not found as
     * one (the article itself is still remembered, its story too). */
    char *rp = s_reprint(s_talks);
    cJSON *r = s_add(&d, "0000000000000221", NULL, rp, t + 600);
    assert_null(s_dup(r));
    cJSON_Delete(r);
    /* Reopened with the same cap, the newest are found again. */
    pl_stories_close(&d.s);
    s_open_index(&d, 3);
    r = s_add(&d, "0000000000000222", NULL, rp, t + 660);
    assert_string_equal(s_dup(r), "0000000000000221");
    cJSON_Delete(r);
    free(rp);
    s_db_free(&d);
}

static void s_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "%s\n", msg);
    sqlite3_free(msg);
    sqlite3_close(db);
    assert_int_equal(rc, SQLITE_OK);
}

static void a_schema_1_database_is_migrated_and_keeps_its_memory(void **st)
{
    (void)st;
    struct db d;
    s_db(&d);
    const int64_t t = 1780000000;
    cJSON *a = s_add(&d, "0000000000000301", "Talks in Istanbul", s_talks, t);
    pl_stories_close(&d.s);
    /* Turned back into schema 1: no keys column, the index tables. */
    s_sql(d.path, "ALTER TABLE stories DROP COLUMN keys;"
                  "CREATE TABLE bands(k INTEGER NOT NULL, art INTEGER NOT NULL,"
                  " PRIMARY KEY(k, art)) WITHOUT ROWID;"
                  "CREATE TABLE story_terms(term TEXT NOT NULL, story INTEGER NOT NULL,"
                  " PRIMARY KEY(term, story)) WITHOUT ROWID;"
                  "UPDATE meta SET v = 1 WHERE k = 'schema';");
    /* The commands open it read-only and cannot migrate it: they say so. */
    struct pl_stories_opts ro;
    pl_stories_defaults(&ro);
    ro.db = d.path;
    ro.read_only = true;
    struct pl_stories *rs = NULL;
    char why[512] = "";
    assert_int_not_equal(pl_stories_open(&ro, &rs, why, sizeof(why)), 0);
    assert_non_null(strstr(why, "schema 1, from an earlier pressline"));
    s_open(&d, 30);
    char *rp = s_reprint(s_talks);
    cJSON *b = s_add(&d, "0000000000000302", NULL, rp, t + 60);
    assert_non_null(s_dup(b));
    assert_string_equal(s_dup(b), "0000000000000301");
    cJSON *c = s_add(&d, "0000000000000303", "Embassy talks in Istanbul", s_talks_other, t + 120);
    assert_true(s_story(c) == s_story(a));
    free(rp);
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
    s_db_free(&d);
}

static void an_article_dated_years_ahead_does_not_push_todays_stories_out(void **st)
{
    (void)st;
    struct db d;
    s_db(&d);
    const int64_t t = 1780000000;
    cJSON *a = s_add(&d, "0000000000000401", "Talks in Istanbul", s_talks, t);
    /* A wrong date ten years ahead, then enough articles for the index's
     * pruning (every 256) to run. */
    cJSON_Delete(s_add(&d, "0000000000000402", "Cup final", s_match, t + 3650 * DAY));
    for (int i = 0; i < 300; i++) {
        char id[17], text[256];
        snprintf(id, sizeof(id), "%016x", 0x410 + i);
        snprintf(text, sizeof(text), "Filler article number %d about item%d and thing%d here.", i,
                 i, i * 7);
        cJSON_Delete(s_add(&d, id, NULL, text, t + 60 + i));
    }
    cJSON *b = s_add(&d, "0000000000000403", "Embassy talks in Istanbul", s_talks_other, t + 3600);
    assert_true(s_story(b) == s_story(a));
    cJSON_Delete(b);
    /* Also after a restart, whose clock is the newest articles' median:
     * the newest of them is dated years ahead again. */
    cJSON_Delete(s_add(&d, "0000000000000405", "Cup final", s_match, t + 3650 * DAY));
    pl_stories_close(&d.s);
    s_open(&d, 30);
    char *brief = th_path("%.*s\n\nThe two sides plan to meet again next month in Moscow.",
                          (int)(strstr(s_talks, "\n\n") - s_talks), s_talks);
    b = s_add(&d, "0000000000000404", "Istanbul talks", brief, t + 7200);
    assert_true(s_story(b) == s_story(a));
    free(brief);
    cJSON_Delete(a);
    cJSON_Delete(b);
    s_db_free(&d);
}

/* The weight of term t in v, or -1 when v does not hold it. */
static double s_term_w(const struct pl_vec *v, const char *t)
{
    for (int i = 0; i < v->n; i++)
        if (strcmp(v->v[i].t, t) == 0)
            return v->v[i].w;
    return -1;
}

static void s_vec(const char *title, const char *text, const cJSON *ents, double tw, double bw,
                  double ew, struct pl_vec *v)
{
    struct pl_vec_weights wt = { .title = tw, .body = bw, .entity = ew };
    assert_int_equal(pl_vec_article(title, text, strlen(text), ents, &wt, v), 0);
}

/* vec.h: a title word's count is multiplied by title_weight before
 * 1 + ln, an entity's weight by entity_weight after it, and the body's
 * counts by body_weight; 0 leaves the part out. pl_eval_stories sweeps
 * these (README, Stories). */
static void the_title_body_and_entity_weights_scale_their_terms_as_documented(void **st)
{
    (void)st;
    const char *title = "Zanzibar quake";
    const char *text = "A small earthquake shook the island of Pemba overnight.";
    cJSON *ents = cJSON_Parse("[{\"text\":\"Pemba Port Authority\",\"type\":\"ORG\",\"count\":1},"
                              "{\"text\":\"Sunday\",\"type\":\"DATE\",\"count\":1}]");
    assert_non_null(ents);
    const char *e = "@pemba port authority";
    struct pl_vec v0, v1, v3, e2, e0, b0, only;
    s_vec(title, text, ents, 0, 1, 1, &v0);
    s_vec(title, text, ents, 1, 1, 1, &v1);
    s_vec(title, text, ents, 3, 1, 1, &v3);
    /* A word of the title alone is in the vector only with a title
     * weight, and 1 + ln 3 times heavier (against the entity) at 3. */
    int title_only = 0;
    for (int i = 0; i < v1.n; i++) {
        if (s_term_w(&v0, v1.v[i].t) >= 0)
            continue;
        title_only++;
        double r1 = v1.v[i].w / s_term_w(&v1, e), r3 = s_term_w(&v3, v1.v[i].t) / s_term_w(&v3, e);
        assert_true(fabs(r3 / r1 - (1 + log(3))) < 1e-9);
    }
    assert_true(title_only >= 1);
    /* DATE entities never count; the entity's weight doubles with its
     * weight, and at 0 it adds nothing. */
    assert_true(s_term_w(&v1, "@sunday") < 0);
    s_vec(title, text, ents, 1, 1, 2, &e2);
    const char *w = v1.v[0].t[0] == '@' ? v1.v[1].t : v1.v[0].t;
    assert_true(fabs((s_term_w(&e2, e) / s_term_w(&e2, w)) / (s_term_w(&v1, e) / s_term_w(&v1, w)) -
                     2) < 1e-9);
    s_vec(title, text, ents, 1, 1, 0, &e0);
    assert_true(s_term_w(&e0, e) <= 0);
    /* Body weight 0: what is left is what the title and the entities give. */
    s_vec(title, text, ents, 1, 0, 1, &b0);
    s_vec(title, "", ents, 1, 1, 1, &only);
    assert_int_equal(b0.n, only.n);
    for (int i = 0; i < b0.n; i++)
        assert_true(fabs(s_term_w(&only, b0.v[i].t) - b0.v[i].w) < 1e-9);
    cJSON_Delete(ents);
}

static void a_database_that_cannot_be_opened_is_an_error_naming_it(void **st)
{
    (void)st;
    struct pl_stories_opts o;
    pl_stories_defaults(&o);
    o.db = "/proc/no/such/folder/stories.db";
    struct pl_stories *s = NULL;
    char err[512] = "";
    assert_true(pl_stories_open(&o, &s, err, sizeof(err)) < 0);
    assert_null(s);
    assert_non_null(strstr(err, "/proc/no/such/folder/stories.db"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_reprint_sketches_alike_and_another_text_does_not),
        cmocka_unit_test(spellings_and_surnames_are_one_entity_but_near_words_are_not),
        cmocka_unit_test(merged_entities_name_the_fullest_form_with_its_variants),
        cmocka_unit_test(the_answer_gives_the_story_as_stored),
        cmocka_unit_test(a_reprint_is_found_also_after_a_restart),
        cmocka_unit_test(unrelated_articles_get_stories_of_their_own),
        cmocka_unit_test(an_article_seen_twice_changes_nothing),
        cmocka_unit_test(a_write_up_joins_the_story_of_the_day_but_next_months_is_a_new_one),
        cmocka_unit_test(idle_stories_are_dropped_after_keep_days),
        cmocka_unit_test(a_database_that_cannot_be_opened_is_an_error_naming_it),
        cmocka_unit_test(the_title_body_and_entity_weights_scale_their_terms_as_documented),
        cmocka_unit_test(
            the_band_index_gives_the_earliest_articles_and_drops_the_oldest_at_its_cap),
        cmocka_unit_test(the_band_index_finds_every_article_left_after_many_drops),
        cmocka_unit_test(the_band_index_finds_its_articles_through_evictions_in_a_small_table),
        cmocka_unit_test(story_candidates_share_most_terms_and_pruned_stories_leave),
        cmocka_unit_test(a_write_up_joins_its_story_also_after_a_restart),
        cmocka_unit_test(two_instances_on_one_database_see_each_others_articles),
        cmocka_unit_test(the_reprint_index_holds_the_newest_index_articles),
        cmocka_unit_test(a_schema_1_database_is_migrated_and_keeps_its_memory),
        cmocka_unit_test(an_article_dated_years_ahead_does_not_push_todays_stories_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
