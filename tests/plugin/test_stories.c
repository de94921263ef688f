/* The whole chain (clean, entities, summarize, stories) on the five seed
 * articles and on reprints of them, with a stories database in a temp
 * folder: what a newsroom would check by eye. */
#include "cm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "harness.h"
#include "pipeline.h"

static const char *const s_names[5] = {
    "000_8f0c28e4feafd8d8.txt", "001_11e0fa3a6d00148c.txt", "002_64be57c9f8e4cd97.txt",
    "003_b0149e1d855999ec.txt", "004_7d510f4401bc7c85.txt",
};

struct chain {
    char *dir;
    struct pl_config *cfg;
    struct pl_pipeline p;
};

/* Opens the default chain with the stories database under dir. */
static void s_open(struct chain *c)
{
    char err[1024], *exe = th_path("%s/bin", th_build_dir());
    assert_int_equal(pl_config_load(NULL, exe, &c->cfg, err, sizeof(err)), 0);
    free(exe);
    char *opts = th_path("{\"db\":\"%s/spool/stories.db\"}", c->dir);
    assert_int_equal(pl_config_set_stage_options(c->cfg, "stories", opts), 0);
    free(opts);
    int rc = pl_pipeline_open(&c->p, c->cfg, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
}

static void s_close(struct chain *c)
{
    pl_pipeline_close(&c->p);
    pl_config_free(&c->cfg);
}

static cJSON *s_run(struct chain *c, const char *name, const char *data, size_t len)
{
    char *out = NULL;
    size_t n = 0;
    int is_err = 0;
    assert_int_equal(pl_pipeline_buffer(&c->p, name, data, len, 1, &out, &n, &is_err), 0);
    if (is_err)
        fprintf(stderr, "%s\n", out);
    assert_false(is_err);
    cJSON *j = cJSON_Parse(out);
    free(out);
    assert_non_null(j);
    return j;
}

static char *s_seed(int i, size_t *len)
{
    char *p = th_path("%s/tests/fixtures/seeds/%s", th_source_dir(), s_names[i]);
    char *t = th_read_file(p, len);
    free(p);
    assert_non_null(t);
    return t;
}

static const cJSON *s_story(const cJSON *j)
{
    const cJSON *s = cJSON_GetObjectItem(j, "story");
    assert_true(cJSON_IsObject(s));
    return s;
}

static double s_story_id(const cJSON *j)
{
    return cJSON_GetObjectItem(s_story(j), "id")->valuedouble;
}

/* A reprint of seed i as another site would carry it: its own share bar
 * and copyright line around the text, and a word changed. */
static char *s_reprint(int i, size_t *len)
{
    size_t n;
    char *t = s_seed(i, &n);
    char *w = strstr(t, " said ");
    if (w)
        memcpy(w, " says ", 6);
    char *r = th_path("Share on Facebook | Share on X | Email this story\n\n%s\n\n"
                      "(c) 2026 The Other Daily. All rights reserved.\n",
                      t);
    free(t);
    *len = strlen(r);
    return r;
}

static void the_seeds_are_one_story_with_one_darchiev(void **st)
{
    (void)st;
    struct chain c = { .dir = th_tempdir() };
    s_open(&c);
    double first = 0;
    cJSON *last = NULL;
    for (int i = 0; i < 5; i++) {
        size_t n;
        char *t = s_seed(i, &n);
        cJSON *j = s_run(&c, s_names[i], t, n);
        free(t);
        /* Five separate write-ups: none is a reprint of another. */
        assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "duplicate_of")));
        if (i == 0)
            first = s_story_id(j);
        assert_true(s_story_id(j) == first);
        cJSON_Delete(last);
        last = j;
    }
    const cJSON *story = s_story(last);
    assert_int_equal(cJSON_GetObjectItem(story, "size")->valueint, 5);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(story, "articles")), 5);
    int darchiev = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(story, "entities"))
    {
        char *all = cJSON_PrintUnformatted(e);
        if (strstr(all, "Darchiev") || strstr(all, "Darchiyev")) {
            darchiev++;
            assert_non_null(strstr(all, "Darchiev"));
            assert_non_null(strstr(all, "Darchiyev"));
            assert_string_equal(cJSON_GetObjectItem(e, "type")->valuestring, "PERSON");
        }
        cJSON_free(all);
    }
    assert_int_equal(darchiev, 1);
    cJSON_Delete(last);
    s_close(&c);
    th_rmrf(c.dir);
    free(c.dir);
}

static void a_reprint_of_a_seed_is_its_duplicate_also_after_a_restart(void **st)
{
    (void)st;
    struct chain c = { .dir = th_tempdir() };
    s_open(&c);
    size_t n;
    char *t = s_seed(2, &n);
    cJSON *orig = s_run(&c, s_names[2], t, n);
    free(t);
    char *r = s_reprint(2, &n);
    cJSON *rep = s_run(&c, "reprint.txt", r, n);
    const cJSON *d = cJSON_GetObjectItem(rep, "duplicate_of");
    assert_true(cJSON_IsString(d));
    assert_string_equal(d->valuestring, cJSON_GetObjectItem(orig, "id")->valuestring);
    assert_true(cJSON_GetObjectItem(rep, "similarity")->valuedouble >= 0.6);
    assert_true(s_story_id(rep) == s_story_id(orig));
    /* The daemon restarts: a new chain on the same database. */
    s_close(&c);
    s_open(&c);
    char *r2 = th_path("%sShared from The Third Paper\n", r);
    cJSON *rep2 = s_run(&c, "reprint2.txt", r2, strlen(r2));
    d = cJSON_GetObjectItem(rep2, "duplicate_of");
    assert_true(cJSON_IsString(d));
    assert_string_equal(d->valuestring, cJSON_GetObjectItem(orig, "id")->valuestring);
    /* And the same file again (at-least-once delivery) changes nothing. */
    cJSON *again = s_run(&c, "reprint2.txt", r2, strlen(r2));
    assert_int_equal(cJSON_GetObjectItem(s_story(again), "size")->valueint, 3);
    free(r);
    free(r2);
    cJSON_Delete(orig);
    cJSON_Delete(rep);
    cJSON_Delete(rep2);
    cJSON_Delete(again);
    s_close(&c);
    th_rmrf(c.dir);
    free(c.dir);
}

static void unrelated_articles_do_not_join_the_seeds_story(void **st)
{
    (void)st;
    struct chain c = { .dir = th_tempdir() };
    s_open(&c);
    size_t n;
    char *t = s_seed(0, &n);
    cJSON *seed = s_run(&c, s_names[0], t, n);
    free(t);
    static const char other[] =
        "Storm floods the coast\n\nHeavy rain flooded hundreds of homes along the coast on "
        "Sunday as rivers burst their banks after a week of storms, the fire service said.\n\n"
        "Roads into the harbour town were closed and the railway line was cut for a second "
        "day while volunteers filled sandbags outside the church and the primary school.\n";
    cJSON *j = s_run(&c, "flood.txt", other, sizeof(other) - 1);
    assert_true(s_story_id(j) != s_story_id(seed));
    assert_int_equal(cJSON_GetObjectItem(s_story(j), "size")->valueint, 1);
    cJSON_Delete(seed);
    cJSON_Delete(j);
    s_close(&c);
    th_rmrf(c.dir);
    free(c.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_seeds_are_one_story_with_one_darchiev),
        cmocka_unit_test(a_reprint_of_a_seed_is_its_duplicate_also_after_a_restart),
        cmocka_unit_test(unrelated_articles_do_not_join_the_seeds_story),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
