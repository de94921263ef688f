/* Tokenizer and sentence splitter. */
#include "cm.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"

/* Splits text and returns sentence i as a new string. */
static char *s_sentence(const char *t, size_t i, size_t *count)
{
    struct pl_tokens k = { 0 };
    struct pl_spans sp = { 0 };
    assert_int_equal(pl_tokenize(t, strlen(t), &k), 0);
    assert_int_equal(pl_sentences(t, &k, &sp), 0);
    *count = sp.n;
    char *s = i < sp.n ? strndup(t + sp.v[i].start, sp.v[i].end - sp.v[i].start) : NULL;
    free(k.v);
    free(sp.v);
    return s;
}

static void splitter_keeps_us_mr_initials_and_decimals_inside_sentences(void **st)
{
    (void)st;
    const char *t = "Mr. Smith met U.S. officials and J. R. Jones at 3.5 p.m. in the U.S. State "
                    "Department. It went well.";
    size_t n;
    char *s = s_sentence(t, 0, &n);
    assert_int_equal(n, 2);
    assert_string_equal(s, "Mr. Smith met U.S. officials and J. R. Jones at 3.5 p.m. in the U.S. "
                           "State Department.");
    free(s);
}

static void splitter_ends_sentence_after_acronym_followed_by_function_word(void **st)
{
    (void)st;
    size_t n;
    char *s = s_sentence("He flew to the U.S. The talks began.", 1, &n);
    assert_int_equal(n, 2);
    assert_string_equal(s, "The talks began.");
    free(s);
}

static void splitter_keeps_closing_quote_with_its_sentence(void **st)
{
    (void)st;
    size_t n;
    char *s =
        s_sentence("\xe2\x80\x9cIt is over.\xe2\x80\x9d She left. \xe2\x80\x9cNo,\xe2\x80\x9d "
                   "he said.",
                   0, &n);
    assert_int_equal(n, 3);
    assert_string_equal(s, "\xe2\x80\x9cIt is over.\xe2\x80\x9d");
    free(s);
}

static void line_break_always_ends_a_sentence(void **st)
{
    (void)st;
    size_t n;
    char *s = s_sentence("A heading without a stop\nThe body starts here.", 0, &n);
    assert_int_equal(n, 2);
    assert_string_equal(s, "A heading without a stop");
    free(s);
}

/* Tokens as CoNLL-2003 writes them, so the tagger sees on raw text what it
 * was trained on. */
static void tokenizer_splits_like_conll(void **st)
{
    (void)st;
    const char *t = "Russia\xe2\x80\x99s US-Russia high-stakes O'Brien NEW YORK 1996-08-30 "
                    "June 19-23 C$ 1.15 Lord 's U.S. don't";
    struct pl_tokens k = { 0 };
    assert_int_equal(pl_tokenize(t, strlen(t), &k), 0);
    const char *want[] = { "Russia",    "\xe2\x80\x99s",
                           "US-Russia", "high-stakes",
                           "O'Brien",   "NEW",
                           "YORK",      "1996-08-30",
                           "June",      "19-23",
                           "C$",        "1.15",
                           "Lord",      "'s",
                           "U.S.",      "do",
                           "n't" };
    size_t nwant = sizeof(want) / sizeof(want[0]);
    for (size_t i = 0; i < k.n && i < nwant; i++) {
        char *s = strndup(t + k.v[i].start, k.v[i].end - k.v[i].start);
        if (strcmp(s, want[i]) != 0)
            fail_msg("token %zu is \"%s\", want \"%s\"", i, s, want[i]);
        free(s);
    }
    assert_int_equal(k.n, nwant);
    assert_true(k.v[0].flags & PL_TF_CAP);
    assert_true(k.v[5].flags & PL_TF_ALLCAPS);
    free(k.v);
}

static void utf8_decoder_rejects_overlong_and_surrogates(void **st)
{
    (void)st;
    size_t adv;
    assert_int_equal(pl_utf8_decode("\xc0\xaf", 2, &adv), -1);
    assert_int_equal(pl_utf8_decode("\xed\xa0\x80", 3, &adv), -1);
    assert_int_equal(pl_utf8_decode("\xe2\x80", 2, &adv), -1);
    assert_int_equal(pl_utf8_decode("\xc3\xa9", 2, &adv), 0xe9);
    assert_int_equal(adv, 2);
}

/* A key hashed piece by piece is the key hashed whole. */
static void hash_piece_by_piece_is_the_whole_hash(void **st)
{
    (void)st;
    uint64_t h = pl_hash_more(pl_hash_more(PL_HASH_BASIS, "div.", 4), "story/", 6);
    assert_true(h == pl_hash("div.story/", 10));
    assert_true(pl_hash_more(PL_HASH_BASIS, "", 0) == pl_hash("", 0));
    assert_true(h != pl_hash("div.story", 9));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hash_piece_by_piece_is_the_whole_hash),
        cmocka_unit_test(splitter_keeps_us_mr_initials_and_decimals_inside_sentences),
        cmocka_unit_test(splitter_ends_sentence_after_acronym_followed_by_function_word),
        cmocka_unit_test(splitter_keeps_closing_quote_with_its_sentence),
        cmocka_unit_test(line_break_always_ends_a_sentence),
        cmocka_unit_test(tokenizer_splits_like_conll),
        cmocka_unit_test(utf8_decoder_rejects_overlong_and_surrogates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
