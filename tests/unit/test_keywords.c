/* The summarizer's keyphrases (plugins/summarize/keywords.c): candidates as
 * they stand in the text, runs cut at verb-like words, the entities'
 * types, near-duplicates once (a place and its adjective too), no word WordNet never has as a noun
 * alone unless it is a name, the last place for a person named in full, the {text, score} objects
 * in rank order, the features the trainer learns on and the news table's IDF. */
#include "cm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keywords.h"
#include "summary.h"

struct kdoc {
    struct pl_summary_doc d;
    cJSON *ents;
    struct pl_kw_doc kd;
};

static void s_read(struct kdoc *k, const char *text, const char *entities_json)
{
    memset(k, 0, sizeof(*k));
    k->ents = entities_json ? cJSON_Parse(entities_json) : NULL;
    assert_int_equal(pl_summary_doc_read(&k->d, text, strlen(text), NULL, k->ents), 0);
    k->kd = (struct pl_kw_doc){
        .t = text, .k = &k->d.k, .ids = k->d.ids, .v = &k->d.v, .entities = k->ents, .idf = k->d.idf
    };
}

static void s_free(struct kdoc *k)
{
    pl_summary_doc_free(&k->d);
    cJSON_Delete(k->ents);
}

/* Weights that rank by frequency alone. */
static void s_freq_weights(double *w)
{
    memset(w, 0, (PL_KW_NF + 1) * sizeof(*w));
    w[0] = 1;
}

/* The features row of the candidate whose text is text, or NULL. */
static const cJSON *s_row(const cJSON *features, const char *text)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, features)
    {
        if (!strcmp(cJSON_GetObjectItem(r, "text")->valuestring, text))
            return cJSON_GetObjectItem(r, "x");
    }
    return NULL;
}

static int s_has(const cJSON *out, const char *text)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, out)
    {
        if (!strcmp(cJSON_GetObjectItem(o, "text")->valuestring, text))
            return 1;
    }
    return 0;
}

static void keyphrases_are_objects_in_rank_order_as_they_stand_in_the_text(void **st)
{
    (void)st;
    struct kdoc k;
    s_read(&k,
           "Sergei Lavrov met reporters. Later Sergei Lavrov spoke again. The talks on "
           "rare earth mining went on. Rare earth mining matters. Lavrov left.",
           NULL);
    double w[PL_KW_NF + 1];
    s_freq_weights(w);
    cJSON *out = cJSON_CreateArray();
    assert_int_equal(pl_summary_keywords(&k.kd, w, 10, out, NULL), 0);
    assert_true(cJSON_GetArraySize(out) > 3);
    double last = 2;
    const cJSON *o;
    cJSON_ArrayForEach(o, out)
    {
        const cJSON *t = cJSON_GetObjectItem(o, "text"), *sc = cJSON_GetObjectItem(o, "score");
        assert_true(cJSON_IsString(t) && cJSON_IsNumber(sc));
        assert_true(sc->valuedouble <= last && sc->valuedouble > 0 && sc->valuedouble < 1);
        last = sc->valuedouble;
    }
    /* "Lavrov" is seen three times, the most; the name keeps its casing, and
     * the phrase is shown where it does not open a sentence. */
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(out, 0), "text")->valuestring,
                        "Lavrov");
    assert_true(s_has(out, "Sergei Lavrov"));
    assert_true(s_has(out, "rare earth mining"));
    assert_false(s_has(out, "Rare earth mining"));
    cJSON_Delete(out);
    s_free(&k);
}

static void runs_stop_at_verb_like_words_which_are_not_given_alone(void **st)
{
    (void)st;
    struct kdoc k;
    s_read(&k, "Officials visited embassies. Officials visited embassies.", NULL);
    double w[PL_KW_NF + 1];
    s_freq_weights(w);
    cJSON *out = cJSON_CreateArray(), *feat = cJSON_CreateArray();
    assert_int_equal(pl_summary_keywords(&k.kd, w, 10, out, feat), 0);
    assert_non_null(s_row(feat, "Officials visited"));
    assert_null(s_row(feat, "visited embassies"));
    assert_null(s_row(feat, "Officials visited embassies"));
    assert_false(s_has(out, "visited"));
    assert_true(s_has(out, "embassies"));
    cJSON_Delete(out);
    cJSON_Delete(feat);
    s_free(&k);
}

/* "diplomatic" and "addressing" are never nouns in WordNet (kw_noun.h):
 * they stay candidates, and inside a phrase, but are not given alone;
 * "talks" (mostly a verb there, but a noun too) is; so is a never-noun
 * word the entities stage named ("Engaging", a MISC here). */
static void a_word_never_a_noun_is_no_keyphrase_alone_unless_named(void **st)
{
    (void)st;
    struct kdoc k;
    s_read(&k,
           "Envoys were diplomatic and kept addressing talks. They stayed diplomatic, "
           "addressing talks on diplomatic missions. Then Engaging opened. Then Engaging "
           "closed. Then Engaging won.",
           "[{\"text\":\"Engaging\",\"type\":\"MISC\",\"count\":1,"
           "\"mentions\":[{\"start\":120,\"end\":128}]}]");
    assert_int_equal(strncmp("Engaging", k.kd.t + 120, 8), 0);
    double w[PL_KW_NF + 1];
    s_freq_weights(w);
    cJSON *out = cJSON_CreateArray(), *feat = cJSON_CreateArray();
    assert_int_equal(pl_summary_keywords(&k.kd, w, 60, out, feat), 0);
    assert_non_null(s_row(feat, "diplomatic"));
    assert_non_null(s_row(feat, "addressing"));
    assert_false(s_has(out, "diplomatic"));
    assert_false(s_has(out, "addressing"));
    assert_true(s_has(out, "diplomatic missions"));
    assert_true(s_has(out, "talks"));
    assert_true(s_has(out, "Engaging"));
    cJSON_Delete(out);
    cJSON_Delete(feat);
    s_free(&k);
}

/* With person set (the plugin's default), the last place goes to a person
 * named in full whom the score alone leaves out, below the others so that
 * the scores stay in rank order; unset, the score alone decides. */
static void the_last_place_goes_to_a_person_named_in_full(void **st)
{
    (void)st;
    const char *text = "Talks on embassies resumed. Talks on embassies went on. Talks on "
                       "embassies and visas and visas ended. Then Sonata Coulter spoke.";
    const char *at = strstr(text, "Sonata Coulter");
    char ents[256];
    snprintf(ents, sizeof(ents),
             "[{\"text\":\"Sonata Coulter\",\"type\":\"PERSON\",\"count\":1,"
             "\"mentions\":[{\"start\":%d,\"end\":%d}]}]",
             (int)(at - text), (int)(at - text) + 14);
    double w[PL_KW_NF + 1];
    s_freq_weights(w);
    for (int person = 0; person < 2; person++) {
        struct kdoc k;
        s_read(&k, text, ents);
        k.kd.person = person;
        cJSON *out = cJSON_CreateArray();
        assert_int_equal(pl_summary_keywords(&k.kd, w, 3, out, NULL), 0);
        assert_int_equal(cJSON_GetArraySize(out), 3);
        assert_true(s_has(out, "Talks") || s_has(out, "talks"));
        assert_true(s_has(out, "embassies"));
        const cJSON *last = cJSON_GetArrayItem(out, 2);
        if (person)
            assert_string_equal(cJSON_GetObjectItem(last, "text")->valuestring, "Sonata Coulter");
        else
            assert_false(s_has(out, "Sonata Coulter"));
        double prev = 2;
        const cJSON *o;
        cJSON_ArrayForEach(o, out)
        {
            double sc = cJSON_GetObjectItem(o, "score")->valuedouble;
            assert_true(sc <= prev);
            prev = sc;
        }
        cJSON_Delete(out);
        s_free(&k);
    }
}

static void an_acronym_and_its_words_and_a_plural_are_given_once(void **st)
{
    (void)st;
    struct kdoc k;
    s_read(&k,
           "The United States spoke. The U.S. answered. The United States waited. Embassies "
           "closed; one embassy stayed.",
           NULL);
    double w[PL_KW_NF + 1];
    s_freq_weights(w);
    cJSON *out = cJSON_CreateArray();
    assert_int_equal(pl_summary_keywords(&k.kd, w, 20, out, NULL), 0);
    assert_true(s_has(out, "United States"));
    assert_false(s_has(out, "U.S."));
    assert_int_equal(s_has(out, "Embassies") + s_has(out, "embassy"), 1);
    cJSON_Delete(out);
    s_free(&k);
}

/* A place and its adjective are one keyphrase, shown as the place: with
 * "Russian" ranked first (three times) and "Russia" once, the list gives
 * "Russia" alone; "Turkish" with no "Turkey" in the story stays; two
 * adjectives of one place ("Afghan", "Afghani") are not both turned
 * into it. */
static void a_place_and_its_adjective_are_given_once_as_the_place(void **st)
{
    (void)st;
    struct kdoc k;
    s_read(&k,
           "Envoys met. The Russian envoys spoke. The Russian side waited. A Russian aide "
           "left. Talks with Russia went on. Turkish hosts smiled. Turkish tea came. Afghan "
           "envoys came. Afghan aides came. Afghani envoys came. Afghani aides came. "
           "Afghanistan waited.",
           NULL);
    double w[PL_KW_NF + 1];
    s_freq_weights(w);
    cJSON *out = cJSON_CreateArray();
    assert_int_equal(pl_summary_keywords(&k.kd, w, 20, out, NULL), 0);
    assert_true(s_has(out, "Russia"));
    assert_false(s_has(out, "Russian"));
    assert_true(s_has(out, "Turkish"));
    assert_true(s_has(out, "Afghan"));
    assert_true(s_has(out, "Afghani"));
    assert_false(s_has(out, "Afghanistan"));
    /* "Russia" keeps the adjective's score and place: above "Turkish"
     * (twice), where "Russia" alone (once) would be below it. */
    int russia = -1, turkish = -1;
    for (int i = 0; i < cJSON_GetArraySize(out); i++) {
        const char *txt = cJSON_GetObjectItem(cJSON_GetArrayItem(out, i), "text")->valuestring;
        russia = !strcmp(txt, "Russia") ? i : russia;
        turkish = !strcmp(txt, "Turkish") ? i : turkish;
    }
    assert_true(russia < turkish);
    cJSON_Delete(out);
    s_free(&k);
}

/* "menus" is not stemmed to "menu" (words in -us keep their s), so the two
 * are two candidates; the output gives the first ranked alone. Likewise
 * "taxes" and "tax". "Bus" and "Busan" share letters but are two words. */
static void a_plural_the_stemming_keeps_apart_is_still_given_once(void **st)
{
    (void)st;
    struct kdoc k;
    s_read(&k,
           "Diners read menus. The menus changed. One menu stayed. Taxes rose. Taxes fell. "
           "A tax went. The bus left Busan.",
           NULL);
    double w[PL_KW_NF + 1];
    s_freq_weights(w);
    cJSON *out = cJSON_CreateArray(), *feat = cJSON_CreateArray();
    assert_int_equal(pl_summary_keywords(&k.kd, w, 60, out, feat), 0);
    assert_non_null(s_row(feat, "menus"));
    assert_non_null(s_row(feat, "menu"));
    assert_true(s_has(out, "menus"));
    assert_false(s_has(out, "menu"));
    assert_int_equal(s_has(out, "Taxes") + s_has(out, "tax"), 1);
    assert_true(s_has(out, "bus"));
    assert_true(s_has(out, "Busan"));
    cJSON_Delete(out);
    cJSON_Delete(feat);
    s_free(&k);
}

static void entities_lend_their_type_and_features_are_as_worked_out(void **st)
{
    (void)st;
    struct kdoc k;
    /* Tokens: Sergei(0) Lavrov(1) arrived(2) .(3) Lavrov(4) spoke(5) .(6). */
    s_read(&k, "Sergei Lavrov arrived. Lavrov spoke.",
           "[{\"text\":\"Sergei Lavrov\",\"type\":\"PERSON\",\"count\":1,"
           "\"mentions\":[{\"start\":0,\"end\":13}]}]");
    double w[PL_KW_NF + 1];
    s_freq_weights(w);
    cJSON *out = cJSON_CreateArray(), *feat = cJSON_CreateArray();
    assert_int_equal(pl_summary_keywords(&k.kd, w, 0, out, feat), 0);
    assert_int_equal(cJSON_GetArraySize(out), 0);
    const cJSON *name = s_row(feat, "Sergei Lavrov"), *lav = s_row(feat, "Lavrov");
    assert_non_null(name);
    assert_non_null(lav);
    assert_string_equal(pl_kw_feature_names[9], "PERSON");
    assert_int_equal(cJSON_GetArrayItem(name, 9)->valuedouble, 1);
    assert_int_equal(cJSON_GetArrayItem(lav, 9)->valuedouble, 0);
    /* Lavrov: seen twice, first at token 1 of 7, last at 4; in the first
     * sentence; once of its two inside "Sergei Lavrov". */
    assert_float_equal(cJSON_GetArrayItem(lav, 0)->valuedouble, log(3), 1e-12);
    assert_float_equal(cJSON_GetArrayItem(lav, 1)->valuedouble, 1.0 / 7, 1e-12);
    assert_float_equal(cJSON_GetArrayItem(lav, 2)->valuedouble, 3.0 / 7, 1e-12);
    assert_float_equal(cJSON_GetArrayItem(lav, 17)->valuedouble, 1, 1e-12);
    assert_float_equal(cJSON_GetArrayItem(lav, 25)->valuedouble, 0.5, 1e-12);
    assert_float_equal(cJSON_GetArrayItem(name, 3)->valuedouble, 1, 1e-12);
    assert_float_equal(cJSON_GetArrayItem(name, 5)->valuedouble, 1, 1e-12);
    cJSON_Delete(out);
    cJSON_Delete(feat);
    s_free(&k);
}

static void the_news_table_gives_common_words_a_low_idf(void **st)
{
    (void)st;
    double top = log(11490 + 1.0); /* kw_df.h: 11,490 articles */
    assert_float_equal(pl_kw_idf("zzqxv-not-a-word"), top, 1e-12);
    assert_true(pl_kw_idf("government") < 3);
    assert_true(pl_kw_idf("government") < pl_kw_idf("embassy"));
    assert_true(pl_kw_idf("embassy") < top);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keyphrases_are_objects_in_rank_order_as_they_stand_in_the_text),
        cmocka_unit_test(runs_stop_at_verb_like_words_which_are_not_given_alone),
        cmocka_unit_test(a_word_never_a_noun_is_no_keyphrase_alone_unless_named),
        cmocka_unit_test(the_last_place_goes_to_a_person_named_in_full),
        cmocka_unit_test(an_acronym_and_its_words_and_a_plural_are_given_once),
        cmocka_unit_test(a_plural_the_stemming_keeps_apart_is_still_given_once),
        cmocka_unit_test(a_place_and_its_adjective_are_given_once_as_the_place),
        cmocka_unit_test(entities_lend_their_type_and_features_are_as_worked_out),
        cmocka_unit_test(the_news_table_gives_common_words_a_low_idf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
