/* The keyphrase matcher, the TF baseline's words and YAKE's scores of
 * `pressline eval keywords`, on cases worked out by hand. */
#include "cm.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "keyphrase.h"
#include "yake.h"

#define assert_near(a, b, eps) assert_true(fabs((a) - (b)) < (eps))

static void s_form(struct pl_kp_norm *n, const char *phrase, const char *want)
{
    char out[256];
    size_t len = pl_kp_normalize(n, phrase, strlen(phrase), out, sizeof(out));
    assert_string_equal(out, want);
    assert_int_equal(len, strlen(want));
}

static void phrases_are_lower_cased_split_at_punctuation_and_porter_stemmed(void **st)
{
    (void)st;
    struct pl_kp_norm *n = NULL;
    assert_int_equal(pl_kp_norm_new(&n), 0);
    s_form(n, "Elections", "elect");
    s_form(n, "U.S. elections", "u s elect");
    s_form(n, "Rare-earth  MINING", "rare earth mine");
    s_form(n, "Sergei Lavrov's visit", "sergei lavrov s visit");
    s_form(n, " -- ", "");
    pl_kp_norm_free(&n);
    assert_null(n);
}

static void a_phrase_that_normalises_to_one_already_listed_is_not_added(void **st)
{
    (void)st;
    struct pl_kp_norm *n = NULL;
    struct pl_kp_set s = { 0 };
    assert_int_equal(pl_kp_norm_new(&n), 0);
    const char *v[] = { "election", "Elections", "elections.", "", "vote", "Election" };
    for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++)
        assert_int_equal(pl_kp_set_add(&s, n, v[i], strlen(v[i])), 0);
    assert_int_equal(s.v.n, 2);
    assert_string_equal(s.v.words[0], "elect");
    assert_string_equal(s.v.words[1], "vote");
    pl_kp_set_free(&s);
    pl_kp_norm_free(&n);
}

/* Eight predictions, of which the second and the seventh are among the
 * four gold phrases (the gold's own duplicate counts once). */
static void precision_and_recall_are_cut_at_k(void **st)
{
    (void)st;
    struct pl_kp_norm *n = NULL;
    struct pl_kp_set pred = { 0 }, gold = { 0 }, none = { 0 };
    assert_int_equal(pl_kp_norm_new(&n), 0);
    const char *p[] = { "tax", "rare earths", "mine", "city", "port", "ship", "Lavrov", "oil" };
    const char *g[] = { "rare earth", "Lavrov", "Sergei Lavrov", "talks", "Rare Earths" };
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(pl_kp_set_add(&pred, n, p[i], strlen(p[i])), 0);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(pl_kp_set_add(&gold, n, g[i], strlen(g[i])), 0);
    assert_int_equal(gold.v.n, 4);
    struct pl_kp_prf at5 = pl_kp_at(&pred, &gold, 5), at10 = pl_kp_at(&pred, &gold, 10);
    assert_near(at5.p, 1.0 / 5, 1e-12);
    assert_near(at5.r, 1.0 / 4, 1e-12);
    assert_near(at5.f, 2 * 0.2 * 0.25 / 0.45, 1e-12);
    /* Eight predictions at 10: precision over the eight given. */
    assert_near(at10.p, 2.0 / 8, 1e-12);
    assert_near(at10.r, 2.0 / 4, 1e-12);
    struct pl_kp_prf z = pl_kp_at(&none, &gold, 10);
    assert_near(z.p + z.r + z.f, 0, 1e-12);
    pl_kp_set_free(&pred);
    pl_kp_set_free(&gold);
    pl_kp_norm_free(&n);
}

static void content_words_leave_out_stopwords_numbers_and_single_letters(void **st)
{
    (void)st;
    struct pl_kp_vocab v = { 0 };
    struct pl_kp_word *w = NULL;
    size_t n = 0;
    const char *text = "The Port of Oslo reopened; the port had 3 ships and a crane. Port!";
    assert_int_equal(pl_kp_content_words(text, strlen(text), &v, &w, &n), 0);
    const char *want[] = { "port", "oslo", "reopened", "ships", "crane" };
    const unsigned tf[] = { 3, 1, 1, 1, 1 };
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(v.words[w[i].id], want[i]);
        assert_int_equal(w[i].tf, tf[i]);
        w[i].score = w[i].tf;
    }
    pl_kp_rank(w, n);
    /* By count, then by first occurrence. */
    assert_string_equal(v.words[w[0].id], "port");
    assert_string_equal(v.words[w[1].id], "oslo");
    assert_string_equal(v.words[w[4].id], "crane");
    free(w);
    pl_kp_vocab_free(&v);
}

/*
 * Three sentences (a line break ends one): "storm hit oslo", "storm hit
 * bergen", "oslo calm". TF: storm 2, hit 2, oslo 2, bergen 1, calm 1, so
 * mean 1.6, standard deviation sqrt(2.8 - 2.56) = 0.489898, max 2, and
 * frequency = TF / 2.089898 (worked with a calculator to six places) (0.956985 for TF 2, 0.478492
 * for 1). Nothing is capitalised: casing 0. Spread: 2/3 for TF 2, 1/3 for 1. storm:  sentences {0,
 * 1}, median 0.5, position ln ln 3.5 = 0.225351; after it only "hit", twice: DR 1/2, DL 0,
 * relatedness 1.5; S = 1.5 * 0.225351 / ((0.956985 + 0.666667) / 1.5) = 0.312284. hit:    the same
 * position; DL 1/2, DR 2/2: relatedness 2.5; S = 2.5 * 0.225351 / (1.623652 / 2.5) = 0.867457.
 *   oslo:   sentences {0, 2}, median 1, ln ln 4 = 0.326634; DL 1, DR 1:
 *           relatedness 3; S = 3 * 0.326634 / (1.623652 / 3) = 1.810554.
 *   bergen: sentence {1}, 0.326634; DL 1, DR 0: relatedness 1 + 1 * 1/2;
 *           S = 1.5 * 0.326634 / ((0.478492 + 0.333333) / 1.5) = 0.905277.
 * Candidates, prod S / (KF (1 + sum S)): "storm hit" 0.270893 / (2 *
 * 2.179741) = 0.062139; "storm hit bergen" 0.245233 / 3.085018 =
 * 0.079492; "storm" 0.312284 / (2 * 1.312284) = 0.118985; "storm hit
 * oslo" 0.490466 / 3.990295 = 0.122915.
 */
static void yake_scores_a_small_text_as_the_formulas_say(void **st)
{
    (void)st;
    const char *text = "storm hit oslo\nstorm hit bergen\noslo calm\n";
    struct pl_yake y = { 0 };
    assert_int_equal(pl_yake_extract(text, strlen(text), &y), 0);
    const struct pl_yake_term *storm = pl_yake_term(&y, "storm"), *hit = pl_yake_term(&y, "hit");
    const struct pl_yake_term *oslo = pl_yake_term(&y, "oslo");
    assert_non_null(storm);
    assert_non_null(hit);
    assert_non_null(oslo);
    assert_near(storm->position, 0.225351, 1e-6);
    assert_near(storm->relatedness, 1.5, 1e-12);
    assert_near(storm->casing, 0, 1e-12);
    assert_near(storm->frequency, 0.956985, 1e-6);
    assert_near(storm->sentences, 2.0 / 3, 1e-12);
    assert_near(storm->score, 0.312284, 1e-6);
    assert_near(hit->relatedness, 2.5, 1e-12);
    assert_near(hit->score, 0.867457, 1e-6);
    assert_near(oslo->score, 1.810554, 1e-6);
    assert_near(pl_yake_term(&y, "bergen")->score, 0.905277, 1e-6);
    const char *top[4];
    assert_int_equal(pl_yake_top(&y, 4, 1, top), 4);
    assert_string_equal(top[0], "storm hit");
    assert_string_equal(top[1], "storm hit bergen");
    assert_string_equal(top[2], "storm");
    assert_string_equal(top[3], "storm hit oslo");
    assert_near(y.cands[0].score, 0.062139, 1e-6);
    assert_near(y.cands[1].score, 0.079492, 1e-6);
    assert_near(y.cands[2].score, 0.118985, 1e-6);
    assert_near(y.cands[3].score, 0.122915, 1e-6);
    pl_yake_free(&y);
}

/* "Storm" capitalised inside a sentence once, of two: casing 1 / (1 +
 * ln 2); "The" starts its sentence and is a stopword. A candidate never
 * starts or ends with a stopword, nor holds a number. */
static void yake_counts_capitals_and_keeps_stopwords_and_numbers_off_the_edges(void **st)
{
    (void)st;
    const char *text = "The big Storm came at 9 pm\nstorm of the year\n";
    struct pl_yake y = { 0 };
    assert_int_equal(pl_yake_extract(text, strlen(text), &y), 0);
    const struct pl_yake_term *storm = pl_yake_term(&y, "storm");
    assert_non_null(storm);
    assert_near(storm->casing, 1 / (1 + log(2)), 1e-12);
    assert_true(pl_yake_term(&y, "the")->stop);
    for (size_t i = 0; i < y.ncands; i++) {
        const char *c = y.cands[i].text;
        size_t n = strlen(c);
        assert_true(strncmp(c, "the ", 4) != 0 && strncmp(c, "of ", 3) != 0 &&
                    strncmp(c, "at ", 3) != 0);
        assert_true(n < 4 || (strcmp(c + n - 4, " the") != 0 && strcmp(c + n - 3, " of") != 0 &&
                              strcmp(c + n - 3, " at") != 0));
        assert_null(strchr(c, '9'));
    }
    assert_non_null(pl_yake_term(&y, "year"));
    bool found = false;
    for (size_t i = 0; i < y.ncands; i++)
        found |= strcmp(y.cands[i].text, "storm of the year") == 0;
    assert_false(found); /* four words: over the three a candidate may have */
    pl_yake_free(&y);
}

/* "bank of england": "bank" is followed by "of" once of its two
 * occurrences, and "england" follows "of" once of its two, so P = 1/2 *
 * 1/2 and the stopword weighs 1 + 3/4 in the product and -3/4 in the sum. */
static void a_stopword_inside_a_candidate_weighs_by_its_neighbours(void **st)
{
    (void)st;
    const char *text = "bank of england\nbank rates\nengland wins\n";
    struct pl_yake y = { 0 };
    assert_int_equal(pl_yake_extract(text, strlen(text), &y), 0);
    double b = pl_yake_term(&y, "bank")->score, e = pl_yake_term(&y, "england")->score;
    const struct pl_yake_cand *c = NULL;
    for (size_t i = 0; i < y.ncands; i++)
        if (strcmp(y.cands[i].text, "bank of england") == 0)
            c = &y.cands[i];
    assert_non_null(c);
    assert_int_equal(c->kf, 1);
    assert_near(c->score, b * e * 1.75 / (1 + b + e - 0.75), 1e-12);
    assert_non_null(pl_yake_term(&y, "rate")); /* a plural's "s" dropped */
    pl_yake_free(&y);
}

static void near_identical_candidates_are_taken_once(void **st)
{
    (void)st;
    assert_near(pl_levenshtein_similarity("kitten", "sitting"), 1 - 3.0 / 7, 1e-12);
    assert_near(pl_levenshtein_similarity("", ""), 1, 1e-12);
    /* "storm hit" and "storm hits" are 1 edit apart over 10: 0.9, not above
     * the threshold; "storm hitt" over "storm hit" also 0.9. */
    assert_near(pl_levenshtein_similarity("storm hit", "storm hits"), 0.9, 1e-12);
    const char *text = "president obama\npresident obamas\npresident obama spoke\n";
    struct pl_yake y = { 0 };
    assert_int_equal(pl_yake_extract(text, strlen(text), &y), 0);
    const char *all[32], *dedup[32];
    size_t na = pl_yake_top(&y, 32, 1, all), nd = pl_yake_top(&y, 32, 0.9, dedup);
    assert_true(nd < na);
    for (size_t i = 0; i < nd; i++)
        for (size_t j = 0; j < i; j++)
            assert_true(pl_levenshtein_similarity(dedup[i], dedup[j]) <= 0.9);
    pl_yake_free(&y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(phrases_are_lower_cased_split_at_punctuation_and_porter_stemmed),
        cmocka_unit_test(a_phrase_that_normalises_to_one_already_listed_is_not_added),
        cmocka_unit_test(precision_and_recall_are_cut_at_k),
        cmocka_unit_test(content_words_leave_out_stopwords_numbers_and_single_letters),
        cmocka_unit_test(yake_scores_a_small_text_as_the_formulas_say),
        cmocka_unit_test(yake_counts_capitals_and_keeps_stopwords_and_numbers_off_the_edges),
        cmocka_unit_test(a_stopword_inside_a_candidate_weighs_by_its_neighbours),
        cmocka_unit_test(near_identical_candidates_are_taken_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
