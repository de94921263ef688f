/* The whole chain on the five seed articles, with expectations a reader
 * would agree with. */
#include "cm.h"

#include <ctype.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "harness.h"
#include "pipeline.h"

static cJSON *s_out[5];
static char *s_dir;
static const char *const s_names[5] = {
    "000_8f0c28e4feafd8d8.txt", "001_11e0fa3a6d00148c.txt", "002_64be57c9f8e4cd97.txt",
    "003_b0149e1d855999ec.txt", "004_7d510f4401bc7c85.txt",
};

static int s_setup(void **st)
{
    (void)st;
    struct pl_config *cfg = NULL;
    char err[1024], *exe = th_path("%s/bin", th_build_dir());
    if (pl_config_load(NULL, exe, &cfg, err, sizeof(err)) != 0)
        return -1;
    /* The stories stage remembers in a database of this run's own. */
    s_dir = th_tempdir();
    char *opts = th_path("{\"db\":\"%s/stories.db\"}", s_dir);
    if (pl_config_set_stage_options(cfg, "stories", opts) != 0)
        return -1;
    free(opts);
    struct pl_pipeline p;
    if (pl_pipeline_open(&p, cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    for (int i = 0; i < 5; i++) {
        char *path = th_path("%s/tests/fixtures/seeds/%s", th_source_dir(), s_names[i]), *out;
        size_t len;
        int is_err;
        if (pl_pipeline_file(&p, path, 1, &out, &len, &is_err) != 0 || is_err) {
            fprintf(stderr, "%s: %s\n", path, is_err ? out : "failed");
            return -1;
        }
        s_out[i] = cJSON_Parse(out);
        free(out);
        free(path);
    }
    pl_pipeline_close(&p);
    pl_config_free(&cfg);
    free(exe);
    return 0;
}

static int s_teardown(void **st)
{
    (void)st;
    for (int i = 0; i < 5; i++)
        cJSON_Delete(s_out[i]);
    th_rmrf(s_dir);
    free(s_dir);
    return 0;
}

static const char *s_text(int i)
{
    return cJSON_GetObjectItem(s_out[i], "text")->valuestring;
}

/* Finds an entity group by canonical text or alias. */
static const cJSON *s_entity(int i, const char *name)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(s_out[i], "entities"))
    {
        if (!strcmp(cJSON_GetObjectItem(e, "text")->valuestring, name))
            return e;
        const cJSON *a;
        cJSON_ArrayForEach(
            a, cJSON_GetObjectItem(e, "aliases")) if (!strcmp(a->valuestring, name)) return e;
    }
    return NULL;
}

static void s_expect_entity(int i, const char *name, const char *type)
{
    const cJSON *e = s_entity(i, name);
    if (!e)
        fail_msg("%s: entity \"%s\" not found", s_names[i], name);
    assert_string_equal(cJSON_GetObjectItem(e, "type")->valuestring, type);
}

static int s_removed(int i, const char *reason, const char *needle)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(s_out[i], "removed"))
    {
        if (!strcmp(cJSON_GetObjectItem(r, "reason")->valuestring, reason) &&
            strstr(cJSON_GetObjectItem(r, "text")->valuestring, needle))
            return 1;
    }
    return 0;
}

static void no_also_read_teaser_or_headline_list_is_left_in_text(void **st)
{
    (void)st;
    const char *gone[] = { "Also Read",
                           "ALSO READ",
                           "Recent News",
                           "Humanoid Half-Marathon",
                           "Jellyfish",
                           "Drones Spotted",
                           "Honduras Election",
                           "Black Sea Ceasefire",
                           "With inputs from agencies",
                           " date 2025",
                           "Trump Signs Orders",
                           "New Era:",
                           "Collaborative Maritime Truce" };
    for (int i = 0; i < 5; i++)
        for (size_t g = 0; g < sizeof(gone) / sizeof(gone[0]); g++)
            if (strstr(s_text(i), gone[g]))
                fail_msg("%s: \"%s\" is still in the text", s_names[i], gone[g]);
}

static void each_removal_is_listed_with_its_reason(void **st)
{
    (void)st;
    assert_true(s_removed(0, "also-read", "Panama Says U.S. Supports"));
    assert_true(s_removed(0, "teaser", "Tragic Boat Fire in Congo"));
    assert_true(s_removed(1, "also-read", "Zelenskyy: 155 Chinese Fighters"));
    assert_true(s_removed(2, "headline-list", "Putin and U.S. Envoy Witkoff"));
    assert_true(s_removed(3, "agency-credit", "With inputs from agencies"));
    assert_true(s_removed(3, "also-read", "U.S. Brokers Collaborative Maritime Truce"));
    assert_true(s_removed(3, "date-prefix", "2025-04-10"));
}

static void story_subheadings_and_key_points_stay(void **st)
{
    (void)st;
    assert_non_null(strstr(s_text(0), "Key Points:"));
    assert_non_null(strstr(s_text(0), "\xe2\x80\xa2 Event: Top U.S. officials"));
    assert_non_null(strstr(s_text(1), "Why Istanbul?"));
    assert_non_null(strstr(s_text(1), "A Narrow Focus: Just Embassies, Not Ukraine"));
    assert_non_null(strstr(s_text(4), "Possible Future Cooperation"));
    assert_non_null(strstr(s_text(4), "officially on the agenda."));
}

static void titles_and_article_date_are_found(void **st)
{
    (void)st;
    assert_string_equal(cJSON_GetObjectItem(s_out[0], "title")->valuestring,
                        "U.S. and Russia Clash in Istanbul Talks to Revive Stalled Diplomacy");
    assert_string_equal(cJSON_GetObjectItem(s_out[3], "title")->valuestring,
                        "Istanbul Diplomacy: U.S. and Russia Seek to Normalize Embassy Operations");
    assert_string_equal(cJSON_GetObjectItem(s_out[3], "published")->valuestring, "2025-04-10");
    /* 002 starts with its first paragraph: no title is better than a wrong one. */
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(s_out[2], "title")));
    for (int i = 0; i < 5; i++)
        assert_string_equal(cJSON_GetObjectItem(s_out[i], "language")->valuestring, "en");
}

static void people_places_and_organisations_are_found(void **st)
{
    (void)st;
    for (int i = 1; i < 5; i++) {
        s_expect_entity(i, "Sonata Coulter", "PERSON");
        const cJSON *d = s_entity(i, "Alexander Darchiev");
        if (!d)
            d = s_entity(i, "Alexander Darchiyev");
        assert_non_null(d);
        assert_string_equal(cJSON_GetObjectItem(d, "type")->valuestring, "PERSON");
    }
    for (int i = 0; i < 5; i++)
        s_expect_entity(i, "Istanbul", "LOC");
    /* CoNLL-2003 writes "U.S. State Department" as one organisation, and so
     * does the tagger trained on it. */
    s_expect_entity(0, "U.S. State Department", "ORG");
    s_expect_entity(1, "U.S. State Department", "ORG");
    s_expect_entity(4, "U.S. State Department", "ORG");
    s_expect_entity(1, "Tammy Bruce", "PERSON");
    s_expect_entity(2, "Maria Zakharova", "PERSON");
    s_expect_entity(2, "Sergei Lavrov", "PERSON");
    s_expect_entity(4, "Dmitry Peskov", "PERSON");
    s_expect_entity(4, "Joe Biden", "PERSON");
    s_expect_entity(4, "Kremlin", "ORG");
    s_expect_entity(1, "Reuters", "ORG");
    s_expect_entity(4, "Turkey", "LOC");
    s_expect_entity(1, "Moscow", "LOC");
    s_expect_entity(2, "Donald Trump", "PERSON");
    s_expect_entity(4, "Donald Trump", "PERSON");
    s_expect_entity(2, "Vladimir Putin", "PERSON");
    s_expect_entity(4, "Vladimir Putin", "PERSON");
    s_expect_entity(1, "Washington", "LOC");
    s_expect_entity(4, "Washington", "LOC");
    for (int i = 0; i < 5; i++) {
        s_expect_entity(i, "Ukraine", "LOC");
        s_expect_entity(i, "Russian", "MISC");
    }
    s_expect_entity(0, "Russia", "LOC");
    s_expect_entity(4, "Russia", "LOC");
    s_expect_entity(0, "Turkey", "LOC");
    s_expect_entity(4, "Moscow", "LOC");
}

static void section_headings_are_not_names(void **st)
{
    (void)st;
    /* 001's title-case headings: the tagger reads their common words in
     * lower case (truecasing from cased news), so none is an organisation. */
    const char *heads[] = { "Tightened Visas", "Frozen Properties", "Reset", "Looking Ahead",
                            "Diplomatic Strain" };
    for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++)
        if (s_entity(1, heads[h]))
            fail_msg("%s: the heading \"%s\" is an entity", s_names[1], heads[h]);
}

static void a_common_noun_after_a_brand_is_no_name(void **st)
{
    (void)st;
    /* 004: "in a black Mercedes van": a name never ends in a plain
     * lower-case word. */
    assert_null(s_entity(4, "Mercedes van"));
    const cJSON *m = s_entity(4, "Mercedes");
    if (m)
        assert_string_not_equal(cJSON_GetObjectItem(m, "type")->valuestring, "PERSON");
}

static void a_surname_alone_is_the_person_named_in_full(void **st)
{
    (void)st;
    /* 004 writes "Trump" alone five times after "President Donald Trump". */
    const cJSON *trump = s_entity(4, "Trump");
    assert_non_null(trump);
    assert_string_equal(cJSON_GetObjectItem(trump, "text")->valuestring, "Donald Trump");
    assert_string_equal(cJSON_GetObjectItem(trump, "type")->valuestring, "PERSON");
    assert_true(cJSON_GetObjectItem(trump, "count")->valueint >= 5);
}

static void surnames_group_under_the_full_name(void **st)
{
    (void)st;
    const cJSON *putin = s_entity(2, "Putin");
    assert_non_null(putin);
    assert_string_equal(cJSON_GetObjectItem(putin, "text")->valuestring, "Vladimir Putin");
    assert_true(cJSON_GetObjectItem(putin, "count")->valueint >= 3);
    const cJSON *bruce = s_entity(1, "Bruce");
    assert_non_null(bruce);
    assert_string_equal(cJSON_GetObjectItem(bruce, "text")->valuestring, "Tammy Bruce");
    const cJSON *us = s_entity(4, "U.S.");
    assert_non_null(us);
    assert_string_equal(cJSON_GetObjectItem(us, "text")->valuestring, "United States");
}

static void mentions_point_at_the_entity_in_text(void **st)
{
    (void)st;
    for (int i = 0; i < 5; i++) {
        const char *t = s_text(i);
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(s_out[i], "entities"))
        {
            const cJSON *m;
            cJSON_ArrayForEach(m, cJSON_GetObjectItem(e, "mentions"))
            {
                int a = cJSON_GetObjectItem(m, "start")->valueint;
                int b = cJSON_GetObjectItem(m, "end")->valueint;
                assert_true(a >= 0 && b > a && (size_t)b <= strlen(t));
                char *s = strndup(t + a, (size_t)(b - a));
                int ok = !strcmp(s, cJSON_GetObjectItem(e, "text")->valuestring);
                const cJSON *al;
                cJSON_ArrayForEach(al, cJSON_GetObjectItem(e, "aliases")) ok |=
                    !strcmp(s, al->valuestring);
                if (!ok)
                    fail_msg("%s: mention \"%s\" is neither the entity nor an alias", s_names[i],
                             s);
                free(s);
            }
        }
    }
}

static void dates_are_found_and_resolved_when_the_article_date_is_known(void **st)
{
    (void)st;
    int found = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(s_out[0], "dates"))
    {
        if (!strcmp(cJSON_GetObjectItem(d, "text")->valuestring, "April 10, 2025")) {
            assert_string_equal(cJSON_GetObjectItem(d, "value")->valuestring, "2025-04-10");
            found = 1;
        }
    }
    assert_true(found);
    /* 003 is dated Thursday 2025-04-10: "On Thursday" is that day. */
    found = 0;
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(s_out[3], "dates"))
    {
        if (!strcmp(cJSON_GetObjectItem(d, "text")->valuestring, "Thursday")) {
            assert_string_equal(cJSON_GetObjectItem(d, "value")->valuestring, "2025-04-10");
            found = 1;
        }
    }
    assert_true(found);
    s_expect_entity(4, "February 12", "DATE");
    s_expect_entity(4, "last month", "DATE");
}

static void summary_is_three_story_sentences_in_order_verbatim(void **st)
{
    (void)st;
    for (int i = 0; i < 5; i++) {
        const char *t = s_text(i);
        const cJSON *sum = cJSON_GetObjectItem(s_out[i], "summary");
        const cJSON *ss = cJSON_GetObjectItem(sum, "sentences");
        assert_int_equal(cJSON_GetArraySize(ss), 3);
        int last = -1;
        const cJSON *s;
        cJSON_ArrayForEach(s, ss)
        {
            int a = cJSON_GetObjectItem(s, "start")->valueint;
            int b = cJSON_GetObjectItem(s, "end")->valueint;
            const char *txt = cJSON_GetObjectItem(s, "text")->valuestring;
            assert_true(a > last);
            last = a;
            assert_int_equal(strlen(txt), (size_t)(b - a));
            assert_memory_equal(t + a, txt, (size_t)(b - a));
            /* A full sentence of the story, not a heading or a bullet. */
            char end = txt[strlen(txt) - 1];
            assert_true(end == '.' || end == '!' || end == '"' || (unsigned char)end == 0x9d);
            assert_null(strstr(txt, "\xe2\x80\xa2"));
        }
        assert_true(strlen(cJSON_GetObjectItem(sum, "text")->valuestring) > 100);
        assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(s_out[i], "keywords")) > 0);
    }
}

/* The words of s of four letters or more, lower-cased and cut to six
 * letters (a crude stem: "discuss" and "discussions" meet), into w[0..64). */
static size_t s_word_stems(const char *s, char w[][7])
{
    size_t n = 0;
    while (*s && n < 64) {
        while (*s && !isalpha((unsigned char)*s))
            s++;
        size_t len = 0;
        char buf[7];
        while (isalpha((unsigned char)s[len])) {
            if (len < 6)
                buf[len] = (char)tolower((unsigned char)s[len]);
            len++;
        }
        if (len >= 4) {
            buf[len < 6 ? len : 6] = '\0';
            size_t k = 0;
            while (k < n && strcmp(w[k], buf) != 0)
                k++;
            if (k == n)
                memcpy(w[n++], buf, 7);
        }
        s += len;
    }
    return n;
}

/* No summary holds two sentences that say the same thing: no pair shares
 * 60% of the smaller one's words (seed 003 once gave "U.S. and Russian
 * delegations met in Istanbul to discuss normalizing their diplomatic
 * missions ..." and "... delegations convened in Istanbul to engage in
 * essential discussions focused on normalizing ... their diplomatic
 * missions"). Measured here with cut words, not with the plugin's own
 * stems and entities, so that the test does not share its blind spots. */
static void no_summary_says_one_thing_twice(void **st)
{
    (void)st;
    for (int i = 0; i < 5; i++) {
        const cJSON *ss =
            cJSON_GetObjectItem(cJSON_GetObjectItem(s_out[i], "summary"), "sentences");
        int n = cJSON_GetArraySize(ss);
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++) {
                char wa[64][7], wb[64][7];
                size_t na = s_word_stems(
                    cJSON_GetObjectItem(cJSON_GetArrayItem(ss, a), "text")->valuestring, wa);
                size_t nb = s_word_stems(
                    cJSON_GetObjectItem(cJSON_GetArrayItem(ss, b), "text")->valuestring, wb);
                size_t both = 0;
                for (size_t x = 0; x < na; x++)
                    for (size_t y = 0; y < nb; y++)
                        both += !strcmp(wa[x], wb[y]);
                size_t small = na < nb ? na : nb;
                if (small && (double)both / (double)small >= 0.6)
                    fail_msg("seed %d: summary sentences %d and %d share %zu of %zu words", i, a, b,
                             both, small);
            }
    }
}

/* Keyphrases are {text, score} in rank order, each as it stands in the
 * story, and each story's are about Russia and its talks or embassies. */
static void keywords_are_ranked_phrases_of_the_story(void **st)
{
    (void)st;
    for (int i = 0; i < 5; i++) {
        const char *t = s_text(i);
        const cJSON *kw = cJSON_GetObjectItem(s_out[i], "keywords"), *k;
        assert_int_equal(cJSON_GetArraySize(kw), 10);
        double last = 1;
        int russia = 0, about = 0;
        cJSON_ArrayForEach(k, kw)
        {
            const char *txt = cJSON_GetObjectItem(k, "text")->valuestring;
            double sc = cJSON_GetObjectItem(k, "score")->valuedouble;
            assert_true(sc <= last && sc >= 0);
            last = sc;
            assert_non_null(strstr(t, txt));
            russia |= !strncmp(txt, "Russia", 6);
            /* Every seed says "Russia": the adjective is shown as the place. */
            assert_string_not_equal(txt, "Russian");
            about |= !strcmp(txt, "talks") || !strncmp(txt, "embass", 6) ||
                     !strcmp(txt, "Istanbul") || !strncmp(txt, "diplomat", 8);
        }
        assert_true(russia);
        assert_true(about);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_also_read_teaser_or_headline_list_is_left_in_text),
        cmocka_unit_test(each_removal_is_listed_with_its_reason),
        cmocka_unit_test(story_subheadings_and_key_points_stay),
        cmocka_unit_test(titles_and_article_date_are_found),
        cmocka_unit_test(people_places_and_organisations_are_found),
        cmocka_unit_test(section_headings_are_not_names),
        cmocka_unit_test(a_common_noun_after_a_brand_is_no_name),
        cmocka_unit_test(surnames_group_under_the_full_name),
        cmocka_unit_test(a_surname_alone_is_the_person_named_in_full),
        cmocka_unit_test(mentions_point_at_the_entity_in_text),
        cmocka_unit_test(dates_are_found_and_resolved_when_the_article_date_is_known),
        cmocka_unit_test(summary_is_three_story_sentences_in_order_verbatim),
        cmocka_unit_test(no_summary_says_one_thing_twice),
        cmocka_unit_test(keywords_are_ranked_phrases_of_the_story),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
