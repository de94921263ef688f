/* The summarizer's feature fill (plugins/summarize/sentence_features.c via
 * summary.c): the 24 values eval/train_summary.c learns on, each checked on
 * small articles against a value worked out by hand. A feature computed
 * differently from what the weights in weights.h were trained on fails
 * here. */
#include "cm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keywords.h"
#include "select.h"
#include "summary.h"
#include "terms.h"

/* One feature of one sentence against the value worked out by hand. */
static void s_expect(const struct pl_summary_doc *d, size_t s, int f, double want)
{
    assert_true(s < d->ns);
    double got = d->ss[s].x[f];
    if (fabs(got - want) > 1e-12)
        fail_msg("sentence %zu, feature %s: got %.15g, worked out %.15g", s,
                 pl_summary_feature_names[f], got, want);
}

static void s_read(struct pl_summary_doc *d, const char *text, const char *title,
                   const cJSON *entities)
{
    memset(d, 0, sizeof(*d));
    assert_int_equal(pl_summary_doc_read(d, text, strlen(text), title, entities), 0);
}

static void feature_names_are_the_order_the_weights_are_trained_in(void **st)
{
    (void)st;
    static const char *const names[] = {
        "pos1",
        "pos2",
        "pos3",
        "pos4-5",
        "pos6-10",
        "1/(1+rank)",
        "rank/candidates",
        "centrality",
        "title_overlap",
        "len6-12",
        "len13-25",
        "len26-40",
        "len41+",
        "entity_density",
        "has_number",
        "quote",
        "term_frequency",
        "paragraph_first",
        "dangling_start",
        "centrality_rest",
        "centrality_idf",
        "mean_idf",
        "open*foreign_terms",
        "open*centrality_rest",
    };
    assert_int_equal(PL_SUMMARY_NF, 24);
    assert_int_equal(sizeof(names) / sizeof(names[0]), PL_SUMMARY_NF);
    for (int f = 0; f < PL_SUMMARY_NF; f++)
        assert_string_equal(pl_summary_feature_names[f], names[f]);
}

/* Six sentences, five candidates: the question is none, and the ranks
 * count candidates only. */
static const char s_farms[] =
    "Rivers flood farms in Dover every spring.\n" /* 0 */
    "He said the farms need new walls.\n"         /* 1 */
    "\n"
    "Engineers built 12 walls along the rivers last year.\n" /* 2 */
    "\n"
    "What will the farmers do next?\n" /* 3 */
    "\n"
    "\xe2\x80\x9cWalls help,\xe2\x80\x9d a farmer told reporters at the market.\n" /* 4 */
    "\n"
    "A farmer said \"walls fail\" in every flood season."; /* 5 */

static void position_counts_candidates_from_the_first_sentence(void **st)
{
    (void)st;
    struct pl_summary_doc d;
    s_read(&d, s_farms, NULL, NULL);
    assert_int_equal(d.ns, 6);
    assert_int_equal(d.ncand, 5);
    assert_false(d.ss[3].candidate);
    static const size_t cand[] = { 0, 1, 2, 4, 5 };
    for (size_t r = 0; r < 5; r++) {
        size_t s = cand[r];
        assert_true(d.ss[s].candidate);
        s_expect(&d, s, PL_SUMMARY_X_POS1, r == 0);
        s_expect(&d, s, PL_SUMMARY_X_POS2, r == 1);
        s_expect(&d, s, PL_SUMMARY_X_POS3, r == 2);
        s_expect(&d, s, PL_SUMMARY_X_POS45, r == 3 || r == 4);
        s_expect(&d, s, PL_SUMMARY_X_POS610, 0);
        s_expect(&d, s, PL_SUMMARY_X_POSINV, 1.0 / (1.0 + (double)r));
        s_expect(&d, s, PL_SUMMARY_X_POSREL, (double)r / 5.0);
        /* 7, 7, 8, 9 and 9 words: all short. */
        s_expect(&d, s, PL_SUMMARY_X_LEN_SHORT, 1);
        s_expect(&d, s, PL_SUMMARY_X_LEN_MID, 0);
    }
    /* The question has no features at all. */
    for (int f = 0; f < PL_SUMMARY_NF; f++)
        s_expect(&d, 3, f, 0);
    pl_summary_doc_free(&d);
}

static void quotes_numbers_paragraph_starts_and_pronoun_starts_are_flagged(void **st)
{
    (void)st;
    struct pl_summary_doc d;
    s_read(&d, s_farms, NULL, NULL);
    /* "12" is the only number. */
    s_expect(&d, 0, PL_SUMMARY_X_NUMBER, 0);
    s_expect(&d, 2, PL_SUMMARY_X_NUMBER, 1);
    s_expect(&d, 5, PL_SUMMARY_X_NUMBER, 0);
    /* A curly quote that opens the sentence, a straight one anywhere. */
    s_expect(&d, 0, PL_SUMMARY_X_QUOTE, 0);
    s_expect(&d, 2, PL_SUMMARY_X_QUOTE, 0);
    s_expect(&d, 4, PL_SUMMARY_X_QUOTE, 1);
    s_expect(&d, 5, PL_SUMMARY_X_QUOTE, 1);
    /* The text's start and each line after a blank one open a paragraph;
     * the line right after the first does not. */
    s_expect(&d, 0, PL_SUMMARY_X_PARA_FIRST, 1);
    s_expect(&d, 1, PL_SUMMARY_X_PARA_FIRST, 0);
    s_expect(&d, 2, PL_SUMMARY_X_PARA_FIRST, 1);
    s_expect(&d, 4, PL_SUMMARY_X_PARA_FIRST, 1);
    s_expect(&d, 5, PL_SUMMARY_X_PARA_FIRST, 1);
    /* "He said ..." leans on the sentence before; "A farmer" does not. */
    s_expect(&d, 0, PL_SUMMARY_X_DANGLING, 0);
    s_expect(&d, 1, PL_SUMMARY_X_DANGLING, 1);
    s_expect(&d, 5, PL_SUMMARY_X_DANGLING, 0);
    pl_summary_doc_free(&d);
}

static void a_curly_quote_inside_the_sentence_is_not_a_quote(void **st)
{
    (void)st;
    struct pl_summary_doc d;
    s_read(&d, "Farmers called the new walls \xe2\x80\x9cuseless\xe2\x80\x9d at the meeting.", NULL,
           NULL);
    assert_true(d.ss[0].candidate);
    s_expect(&d, 0, PL_SUMMARY_X_QUOTE, 0);
    pl_summary_doc_free(&d);
}

static void only_whole_pronouns_and_connectives_make_a_dangling_start(void **st)
{
    (void)st;
    struct pl_summary_doc d;
    s_read(&d,
           "However, the walls held against the sea.\n"
           "Heavy rain fell across the farms last night.\n"
           "Items washed up along the Dover coast.\n"
           "It rained over the Dover coast all week.",
           NULL, NULL);
    assert_int_equal(d.ncand, 4);
    s_expect(&d, 0, PL_SUMMARY_X_DANGLING, 1);
    s_expect(&d, 1, PL_SUMMARY_X_DANGLING, 0); /* "He" + "avy" */
    s_expect(&d, 2, PL_SUMMARY_X_DANGLING, 0); /* "It" + "ems" */
    s_expect(&d, 3, PL_SUMMARY_X_DANGLING, 1);
    pl_summary_doc_free(&d);
}

static void length_bands_split_at_13_26_and_41_words(void **st)
{
    (void)st;
    static const int len[] = { 12, 13, 25, 26, 40, 41 };
    char text[2048] = "";
    for (size_t s = 0; s < 6; s++) {
        for (int w = 0; w < len[s]; w++)
            strcat(text, w ? " wall" : "Wall");
        strcat(text, ".\n");
    }
    struct pl_summary_doc d;
    s_read(&d, text, NULL, NULL);
    assert_int_equal(d.ncand, 6);
    for (size_t s = 0; s < 6; s++) {
        assert_int_equal(d.ss[s].words, len[s]);
        s_expect(&d, s, PL_SUMMARY_X_LEN_SHORT, len[s] <= 12);
        s_expect(&d, s, PL_SUMMARY_X_LEN_MID, len[s] >= 13 && len[s] <= 25);
        s_expect(&d, s, PL_SUMMARY_X_LEN_LONG, len[s] >= 26 && len[s] <= 40);
        s_expect(&d, s, PL_SUMMARY_X_LEN_VLONG, len[s] >= 41);
    }
    pl_summary_doc_free(&d);
}

/* Three sentences of eight words and three content words each:
 *   0: wall dover sea      1: wall calais sea      2: farm kent wall
 * so wall occurs 3 times, sea twice, the others once ("Calais" keeps its
 * s: the stemmer leaves "-is" alone). */
static const char s_coast[] = "The walls of Dover are in the sea.\n"
                              "The walls of Calais are on the sea.\n"
                              "The farms of Kent are by the walls.";

static void centrality_weighs_only_terms_seen_more_than_once(void **st)
{
    (void)st;
    struct pl_summary_doc d;
    s_read(&d, s_coast, NULL, NULL);
    assert_int_equal(d.ncand, 3);
    /* Profile: wall log 4, sea log 3, the rest 0. Each sentence counts
     * three distinct terms once: norm sqrt 3. */
    double norm = sqrt(log(4) * log(4) + log(3) * log(3));
    s_expect(&d, 0, PL_SUMMARY_X_CENTRAL, (log(4) + log(3)) / (sqrt(3) * norm));
    s_expect(&d, 1, PL_SUMMARY_X_CENTRAL, (log(4) + log(3)) / (sqrt(3) * norm));
    s_expect(&d, 2, PL_SUMMARY_X_CENTRAL, log(4) / (sqrt(3) * norm));
    pl_summary_doc_free(&d);
}

static void term_frequency_is_the_mean_over_the_most_frequent_term(void **st)
{
    (void)st;
    struct pl_summary_doc d;
    s_read(&d, s_coast, NULL, NULL);
    /* Mean of log(1 + count) over log(1 + 3), wall's count. */
    s_expect(&d, 0, PL_SUMMARY_X_TERMFREQ, (log(4) + log(2) + log(3)) / 3 / log(4));
    s_expect(&d, 2, PL_SUMMARY_X_TERMFREQ, 2.0 / 3.0); /* (log 2 + log 2 + log 4) / 3 log 4 */
    pl_summary_doc_free(&d);
}

static void title_overlap_is_the_share_of_title_terms_in_the_sentence(void **st)
{
    (void)st;
    struct pl_summary_doc d;
    /* Title terms: wall, dover, hasting ("Hastings" is in no sentence). */
    s_read(&d, s_coast, "Walls of Dover and Hastings", NULL);
    s_expect(&d, 0, PL_SUMMARY_X_TITLE, 2.0 / 3.0);
    s_expect(&d, 1, PL_SUMMARY_X_TITLE, 1.0 / 3.0);
    s_expect(&d, 2, PL_SUMMARY_X_TITLE, 1.0 / 3.0);
    /* A word only in the title weighs nothing elsewhere. */
    double norm = sqrt(log(4) * log(4) + log(3) * log(3));
    s_expect(&d, 0, PL_SUMMARY_X_CENTRAL, (log(4) + log(3)) / (sqrt(3) * norm));
    s_expect(&d, 2, PL_SUMMARY_X_TERMFREQ, 2.0 / 3.0);
    pl_summary_doc_free(&d);
    /* No title: no overlap. */
    s_read(&d, s_coast, NULL, NULL);
    s_expect(&d, 0, PL_SUMMARY_X_TITLE, 0);
    pl_summary_doc_free(&d);
}

static cJSON *s_entity(const char *type, const char *text, const char *const *at, size_t n)
{
    cJSON *e = cJSON_CreateObject(), *m = cJSON_CreateArray();
    cJSON_AddStringToObject(e, "type", type);
    cJSON_AddItemToObject(e, "mentions", m);
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "start", (double)(strstr(text, at[i]) - text));
        cJSON_AddItemToArray(m, o);
    }
    return e;
}

static void centrality_rest_is_the_cosine_with_the_counts_outside_the_sentence(void **st)
{
    (void)st;
    struct pl_summary_doc d;
    s_read(&d, s_coast, NULL, NULL);
    /* Outside sentence 0: wall 2, calais, sea, farm, kent 1 each; the
     * sentence holds wall, dover and sea once. */
    double rest = sqrt(log(3) * log(3) + 4 * log(2) * log(2));
    s_expect(&d, 0, PL_SUMMARY_X_CENTRAL_REST, (log(3) + log(2)) / (sqrt(3) * rest));
    /* Outside sentence 2: wall 2, dover, sea 2, calais. It holds farm,
     * kent and wall: only wall is taken up elsewhere. */
    rest = sqrt(log(3) * log(3) + log(2) * log(2) + log(3) * log(3) + log(2) * log(2));
    s_expect(&d, 2, PL_SUMMARY_X_CENTRAL_REST, log(3) / (sqrt(3) * rest));
    pl_summary_doc_free(&d);
}

/* The two products with the first place: only the first candidate has
 * them, as the share of its terms the rest never uses and as its
 * centrality_rest. */
static void opening_features_weigh_what_the_rest_of_the_article_does_not_take_up(void **st)
{
    (void)st;
    struct pl_summary_doc d;
    s_read(&d, s_coast, NULL, NULL);
    /* Sentence 0 holds wall, dover and sea; dover alone is not used again. */
    s_expect(&d, 0, PL_SUMMARY_X_OPEN_FOREIGN, 1.0 / 3.0);
    double rest = sqrt(log(3) * log(3) + 4 * log(2) * log(2));
    s_expect(&d, 0, PL_SUMMARY_X_OPEN_REST, (log(3) + log(2)) / (sqrt(3) * rest));
    /* Sentence 2 shares only wall, but it does not open the article. */
    s_expect(&d, 2, PL_SUMMARY_X_OPEN_FOREIGN, 0);
    s_expect(&d, 2, PL_SUMMARY_X_OPEN_REST, 0);
    pl_summary_doc_free(&d);
}

static void idf_features_weigh_terms_by_the_news_table(void **st)
{
    (void)st;
    struct pl_summary_doc d;
    s_read(&d, s_coast, NULL, NULL);
    double wall = pl_kw_idf("wall"), dover = pl_kw_idf("dover"), sea = pl_kw_idf("sea");
    double farm = pl_kw_idf("farm"), kent = pl_kw_idf("kent");
    assert_true(wall > 0 && dover > wall); /* a place name is rarer than "wall" */
    s_expect(&d, 0, PL_SUMMARY_X_IDF, (wall + dover + sea) / 3 / 10);
    s_expect(&d, 2, PL_SUMMARY_X_IDF, (farm + kent + wall) / 3 / 10);
    /* The profile: log(1 + count) times idf for terms seen twice or more
     * (wall, sea); the sentence: count times idf. */
    double pw = log(4) * wall, ps = log(3) * sea;
    double norm = sqrt(pw * pw + ps * ps);
    s_expect(&d, 0, PL_SUMMARY_X_CENTRAL_IDF,
             (wall * pw + sea * ps) / (sqrt(wall * wall + dover * dover + sea * sea) * norm));
    pl_summary_doc_free(&d);
}

/* Two wordings of one statement, an unrelated sentence, a third that
 * shares a place and a word. */
static const char s_talks[] = "Russian and American delegations met in Istanbul to discuss "
                              "their embassies.\n" /* 0 */
                              "Farmers in Kent expect a good harvest of apples this year.\n"
                              "On Thursday, American and Russian delegations convened in Istanbul "
                              "for discussions about the embassies.\n" /* 2 */
                              "Istanbul hosts many visitors and delegations each summer.\n";

/* The overlap of sentences a and b of d, through a fresh key set. */
static double s_overlap(const struct pl_summary_doc *d, size_t a, size_t b)
{
    struct pl_summary_keys ky;
    double o = -1;
    assert_int_equal(pl_summary_keys_init(&ky, &d->v, d->nents), 0);
    assert_int_equal(pl_summary_overlap(&d->ss[a], &d->ss[b], &ky, &o), 0);
    for (size_t i = 0; i < ky.nkeys; i++)
        assert_int_equal(ky.mark[i], 0);
    pl_summary_keys_free(&ky);
    return o;
}

static void overlap_counts_stems_and_entities_of_the_smaller_sentence(void **st)
{
    (void)st;
    struct pl_summary_doc d;
    s_read(&d, s_talks, NULL, NULL);
    assert_int_equal(d.ncand, 4);
    /* 0: russian american delegation met istanbul discuss embassy (7 stems);
     * 2: thursday american russian delegation convened istanbul discuss
     * ("discussions") embassy (8): six of the smaller's seven. */
    assert_true(fabs(s_overlap(&d, 0, 2) - 6.0 / 7.0) < 1e-12);
    assert_true(fabs(s_overlap(&d, 2, 0) - 6.0 / 7.0) < 1e-12);
    assert_true(s_overlap(&d, 0, 1) == 0);
    /* 3: istanbul host visitor delegation summer: 2 of its 5 in 0. */
    assert_true(fabs(s_overlap(&d, 0, 3) - 2.0 / 5.0) < 1e-12);
    /* Picking three by score, the restatement is skipped however high its
     * score. */
    d.ss[0].score = 0.9, d.ss[2].score = 0.8, d.ss[1].score = 0.2, d.ss[3].score = 0.1;
    struct pl_summary_keys ky;
    assert_int_equal(pl_summary_keys_init(&ky, &d.v, d.nents), 0);
    assert_int_equal(pl_summary_select(d.ss, d.ns, 3, 1.0, d.v.n, &ky), 0);
    assert_true(d.ss[0].picked && !d.ss[2].picked && d.ss[1].picked && d.ss[3].picked);
    pl_summary_keys_free(&ky);
    pl_summary_doc_free(&d);
}

static void shared_entities_count_as_content(void **st)
{
    (void)st;
    struct pl_summary_doc d;
    /* Two sentences share no content word but name one entity each time
     * ("Lavrov" and "the foreign minister" are one entity to the
     * entities stage). */
    static const char text[] = "Lavrov arrived in Ankara late.\n"
                               "The foreign minister praised Turkish hospitality.\n";
    static const char *const at[] = { "Lavrov", "foreign minister" };
    cJSON *ents = cJSON_CreateArray();
    cJSON_AddItemToArray(ents, s_entity("PERSON", text, at, 2));
    s_read(&d, text, NULL, ents);
    assert_int_equal(d.ss[0].nents, 1);
    assert_int_equal(d.ss[1].nents, 1);
    /* 0: lavrov arrived ankara late + the entity (5 keys); 1: foreign
     * minister praised turkish hospitality + the entity (6): 1 of 5. */
    assert_true(fabs(s_overlap(&d, 0, 1) - 1.0 / 5.0) < 1e-12);
    pl_summary_doc_free(&d);
    cJSON_Delete(ents);
}

static void entity_density_counts_mentions_per_word_but_not_dates(void **st)
{
    (void)st;
    const char *t = s_coast;
    cJSON *ents = cJSON_CreateArray();
    /* Sentence 0: three mentions in eight words (3/8 * 4 is more than 1);
     * sentence 1: a date only; sentence 2: one mention (1/8 * 4). */
    const char *loc[] = { "Dover", "Kent" }, *org[] = { "walls of Dover" };
    const char *per[] = { "Dover are" }, *date[] = { "Calais" };
    cJSON_AddItemToArray(ents, s_entity("LOC", t, loc, 2));
    cJSON_AddItemToArray(ents, s_entity("ORG", t, org, 1));
    cJSON_AddItemToArray(ents, s_entity("PERSON", t, per, 1));
    cJSON_AddItemToArray(ents, s_entity("DATE", t, date, 1));
    struct pl_summary_doc d;
    s_read(&d, t, NULL, ents);
    assert_int_equal(d.ss[0].mentions, 3);
    assert_int_equal(d.ss[1].mentions, 0);
    assert_int_equal(d.ss[2].mentions, 1);
    s_expect(&d, 0, PL_SUMMARY_X_ENTITIES, 1);
    s_expect(&d, 1, PL_SUMMARY_X_ENTITIES, 0);
    s_expect(&d, 2, PL_SUMMARY_X_ENTITIES, 0.5);
    pl_summary_doc_free(&d);
    cJSON_Delete(ents);
}

/* The title's words arrive after the table was sized for the text: a long
 * title on an almost empty text once filled it, and the next new word
 * probed forever. */
static void the_vocabulary_grows_past_the_size_it_was_made_for(void **st)
{
    (void)st;
    struct pl_summary_vocab v = { 0 };
    assert_int_equal(pl_summary_vocab_init(&v, 0), 0);
    char w[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(w, sizeof(w), "term%d", i);
        assert_int_equal(pl_summary_vocab_id(&v, w), i);
    }
    for (int i = 0; i < 1000; i += 37) {
        snprintf(w, sizeof(w), "term%d", i);
        assert_int_equal(pl_summary_vocab_id(&v, w), i);
    }
    assert_int_equal(v.n, 1000);
    pl_summary_vocab_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(feature_names_are_the_order_the_weights_are_trained_in),
        cmocka_unit_test(position_counts_candidates_from_the_first_sentence),
        cmocka_unit_test(quotes_numbers_paragraph_starts_and_pronoun_starts_are_flagged),
        cmocka_unit_test(a_curly_quote_inside_the_sentence_is_not_a_quote),
        cmocka_unit_test(only_whole_pronouns_and_connectives_make_a_dangling_start),
        cmocka_unit_test(length_bands_split_at_13_26_and_41_words),
        cmocka_unit_test(centrality_weighs_only_terms_seen_more_than_once),
        cmocka_unit_test(term_frequency_is_the_mean_over_the_most_frequent_term),
        cmocka_unit_test(title_overlap_is_the_share_of_title_terms_in_the_sentence),
        cmocka_unit_test(entity_density_counts_mentions_per_word_but_not_dates),
        cmocka_unit_test(the_vocabulary_grows_past_the_size_it_was_made_for),
        cmocka_unit_test(centrality_rest_is_the_cosine_with_the_counts_outside_the_sentence),
        cmocka_unit_test(opening_features_weigh_what_the_rest_of_the_article_does_not_take_up),
        cmocka_unit_test(idf_features_weigh_terms_by_the_news_table),
        cmocka_unit_test(overlap_counts_stems_and_entities_of_the_smaller_sentence),
        cmocka_unit_test(shared_entities_count_as_content),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
