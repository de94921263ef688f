/* The ROUGE scorer of `pressline eval summary`, on cases worked out by hand. */
#include "cm.h"

#include <math.h>

#include "rouge.h"

static struct pl_rouge_score s_score(const char *const *c, size_t nc, const char *const *r,
                                     size_t nr)
{
    struct pl_rouge *rg = NULL;
    assert_int_equal(pl_rouge_new(&rg), 0);
    struct pl_rouge_score s;
    assert_int_equal(pl_rouge_score(rg, c, nc, r, nr, &s), 0);
    pl_rouge_free(&rg);
    assert_null(rg);
    return s;
}

#define assert_near(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static void one_changed_word_costs_what_the_formulas_say(void **st)
{
    (void)st;
    const char *c[] = { "The cat was on the mat." }, *r[] = { "the cat sat on the mat" };
    struct pl_rouge_score s = s_score(c, 1, r, 1);
    assert_near(s.r1, 5.0 / 6);    /* the x2, cat, on, mat of 6 each side */
    assert_near(s.r2, 3.0 / 5);    /* "the cat", "on the", "the mat" of 5 */
    assert_near(s.rlsum, 5.0 / 6); /* LCS "the cat on the mat" */
}

static void summary_level_lcs_matches_sentences_in_any_order(void **st)
{
    (void)st;
    const char *c[] = { "police arrested two men", "the fire burned houses" };
    const char *r[] = { "the fire burned houses", "police arrested two men" };
    struct pl_rouge_score s = s_score(c, 2, r, 2);
    assert_near(s.r1, 1.0);
    /* Bigrams run across the sentence boundary: "men the" and "houses
     * police" are the only ones not shared, 6 of 7. */
    assert_near(s.r2, 6.0 / 7);
    /* Each reference sentence is found whole in one candidate sentence. */
    assert_near(s.rlsum, 1.0);
    /* Joined into one sentence each, the LCS is 4 of 8 words. */
    const char *c1[] = { "police arrested two men the fire burned houses" };
    const char *r1[] = { "the fire burned houses police arrested two men" };
    s = s_score(c1, 1, r1, 1);
    assert_near(s.rlsum, 4.0 / 8);
}

static void words_are_stemmed_lower_cased_and_split_at_punctuation(void **st)
{
    (void)st;
    /* "running" and "runs" stem to "run"; "dogs" to "dog"; "dog" (3
     * letters) is left as it is; "U.S." is "u" "s". */
    const char *c[] = { "Running dogs, U.S." }, *r[] = { "runs dog u s" };
    struct pl_rouge_score s = s_score(c, 1, r, 1);
    assert_near(s.r1, 1.0);
    assert_near(s.r2, 1.0);
}

static void repeated_words_count_only_as_often_as_the_reference_has_them(void **st)
{
    (void)st;
    const char *c[] = { "the the the" }, *r[] = { "the cat" };
    struct pl_rouge_score s = s_score(c, 1, r, 1);
    assert_near(s.r1, 2 * (1.0 / 3) * (1.0 / 2) / (1.0 / 3 + 1.0 / 2));
    assert_near(s.rlsum, s.r1);
}

static void an_empty_summary_scores_zero(void **st)
{
    (void)st;
    const char *r[] = { "something happened" };
    struct pl_rouge_score s = s_score(NULL, 0, r, 1);
    assert_near(s.r1 + s.r2 + s.rlsum, 0);
    const char *c[] = { "?!" };
    s = s_score(c, 1, r, 1);
    assert_near(s.r1 + s.r2 + s.rlsum, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_changed_word_costs_what_the_formulas_say),
        cmocka_unit_test(summary_level_lcs_matches_sentences_in_any_order),
        cmocka_unit_test(words_are_stemmed_lower_cased_and_split_at_punctuation),
        cmocka_unit_test(repeated_words_count_only_as_often_as_the_reference_has_them),
        cmocka_unit_test(an_empty_summary_scores_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
