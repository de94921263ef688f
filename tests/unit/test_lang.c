/* The clean stage's language guess: the function words of each list found
 * whatever their case (ASCII or not), shared words counted for every
 * language that lists them, too few words or no language standing out
 * giving "und". */
#include "cm.h"

#include <string.h>

#include "lang.h"

static const char *s_guess(const char *t)
{
    return pl_language_guess(t, strlen(t));
}

static void each_language_is_found_by_its_function_words(void **state)
{
    (void)state;
    assert_string_equal(s_guess("The talks in Istanbul were held on Thursday, and the two sides "
                                "agreed to meet again for a second round with the envoys."),
                        "en");
    assert_string_equal(s_guess("Die Gespräche in Istanbul sind nicht beendet, und der Minister "
                                "will mit den Diplomaten auf eine Lösung hinarbeiten."),
                        "de");
    assert_string_equal(s_guess("Les discussions sur la crise sont dans une impasse et le "
                                "ministre pour sa part ne veut pas que les choses changent."),
                        "fr");
    assert_string_equal(s_guess("Os diplomatas disseram que não há acordo para o fim das "
                                "conversas, e a reunião do conselho foi adiada em um mês."),
                        "pt");
    /* "que", "con", "del" and "una" are on more than one list: each counts
     * for every language whose list holds it. */
    assert_string_equal(s_guess("Una con del que, una con del que."), "es");
    assert_string_equal(s_guess("Una con del, una con del."), "es"); /* a tie: the first list */
}

static void case_does_not_hide_a_function_word(void **state)
{
    (void)state;
    /* Upper case, ASCII and not ("NÃO"): the words are lower-cased first. */
    assert_string_equal(s_guess("OS DIPLOMATAS DISSERAM QUE NÃO HÁ ACORDO PARA O FIM DAS "
                                "CONVERSAS, E A REUNIÃO DO CONSELHO FOI ADIADA EM UM MÊS."),
                        "pt");
    assert_string_equal(s_guess("THE TALKS IN ISTANBUL WERE HELD ON THURSDAY AND THE TWO SIDES "
                                "AGREED TO MEET AGAIN FOR A SECOND ROUND WITH THE ENVOYS."),
                        "en");
}

static void few_words_or_none_standing_out_is_undetermined(void **state)
{
    (void)state;
    assert_string_equal(s_guess("The talks"), "und");
    assert_string_equal(s_guess(""), "und");
    /* Long words that no list holds, with a list word's letters inside. */
    assert_string_equal(s_guess("Diplomatically unprecedented negotiations continued "
                                "yesterday throughout Istanbul's conference centres."),
                        "und");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_language_is_found_by_its_function_words),
        cmocka_unit_test(case_does_not_hide_a_function_word),
        cmocka_unit_test(few_words_or_none_standing_out_is_undetermined),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
