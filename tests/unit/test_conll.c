/* CoNLL spans and scoring, against a case worked out by hand. */
#include "cm.h"

#include "conll.h"

static void iob1_and_bio_tags_give_conlleval_spans(void **st)
{
    (void)st;
    /* I-ORG I-ORG O I-PER B-PER I-LOC I-MISC B-LOC */
    const char *tags[] = { "I-ORG", "I-ORG", "O", "I-PER", "B-PER", "I-LOC", "I-MISC", "B-LOC" };
    struct pl_conll_span s[8];
    size_t n = pl_conll_spans(tags, 8, s, 8);
    assert_int_equal(n, 6);
    size_t want[6][3] = { { 0, 2, 1 }, { 3, 4, 0 }, { 4, 5, 0 },
                          { 5, 6, 2 }, { 6, 7, 3 }, { 7, 8, 2 } };
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(s[i].start, want[i][0]);
        assert_int_equal(s[i].end, want[i][1]);
        assert_int_equal(s[i].type, (int)want[i][2]);
    }
    const char *bio[] = { "B-PER", "I-PER", "B-PER", "O", "I-XYZ" };
    assert_int_equal(pl_conll_spans(bio, 5, s, 8), 2); /* unknown types are O */
    assert_int_equal(s[0].end, 2);
}

static void score_counts_exact_spans_per_type(void **st)
{
    (void)st;
    /* Gold: PER[0,2) LOC[3,4) ORG[5,7). Predicted: PER[0,2) (right),
     * LOC[3,5) (wrong end), ORG[5,7) (right), MISC[8,9) (spurious). */
    const char *gold[] = { "I-PER", "I-PER", "O", "I-LOC", "O", "I-ORG", "I-ORG", "O", "O" };
    const char *pred[] = {
        "B-PER", "I-PER", "O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "O", "B-MISC"
    };
    struct pl_conll_score s = { 0 };
    pl_conll_score_add(&s, gold, pred, 9);
    double p, r, f;
    pl_conll_prf(&s, -1, &p, &r, &f);
    /* 2 correct of 4 found and 3 gold: P 50, R 66.67, F 57.14 */
    assert_float_equal(p, 50.0, 1e-9);
    assert_float_equal(r, 200.0 / 3.0, 1e-9);
    assert_float_equal(f, 2 * 50.0 * (200.0 / 3.0) / (50.0 + 200.0 / 3.0), 1e-9);
    pl_conll_prf(&s, 2 /* LOC */, &p, &r, &f);
    assert_float_equal(p, 0.0, 1e-9);
    assert_float_equal(f, 0.0, 1e-9);
    pl_conll_prf(&s, 1 /* ORG */, &p, &r, &f);
    assert_float_equal(f, 100.0, 1e-9);
    assert_int_equal(s.tokens, 9);
    assert_int_equal(s.tokens_correct, 7); /* tokens 4 and 8 are wrong */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(iob1_and_bio_tags_give_conlleval_spans),
        cmocka_unit_test(score_counts_exact_spans_per_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
