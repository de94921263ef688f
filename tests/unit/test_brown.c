/* Brown clusters (eval/brown.h) on corpora small enough to know the tree:
 * words with the same contexts merge first, the window bounds the
 * clusters the paths tell apart, and bad input is refused. */
#include "cm.h"

#include <errno.h>
#include <string.h>

#include "brown.h"

enum { THE, A, CAT, DOG, RUNS, SLEEPS, V };

/* Every sentence of {the, a} x {cat, dog} x {runs, sleeps} once: the two
 * words of each pair have the same neighbours, as often. */
static size_t s_corpus(uint32_t *ids)
{
    size_t n = 0;
    for (uint32_t d = THE; d <= A; d++)
        for (uint32_t w = CAT; w <= DOG; w++)
            for (uint32_t v = RUNS; v <= SLEEPS; v++) {
                ids[n++] = d;
                ids[n++] = w;
                ids[n++] = v;
                ids[n++] = PL_BROWN_NONE;
            }
    return n;
}

static void s_check_siblings(const struct pl_brown_path *p, int a, int b)
{
    assert_true(p[a].len >= 1);
    assert_int_equal(p[a].len, p[b].len);
    /* The same path but for the last bit. */
    assert_true((p[a].path ^ p[b].path) == 1);
}

static void words_with_the_same_contexts_are_merged_first(void **st)
{
    (void)st;
    uint32_t ids[64];
    size_t n = s_corpus(ids);
    struct pl_brown_path p[V];
    assert_int_equal(pl_brown_train(ids, n, V, V, p), 0);
    s_check_siblings(p, THE, A);
    s_check_siblings(p, CAT, DOG);
    s_check_siblings(p, RUNS, SLEEPS);
    /* And the same twice over. */
    struct pl_brown_path q[V];
    assert_int_equal(pl_brown_train(ids, n, V, V, q), 0);
    for (int w = 0; w < V; w++) {
        assert_int_equal(p[w].len, q[w].len);
        assert_true(p[w].path == q[w].path);
    }
}

static void a_window_of_c_clusters_keeps_c_paths(void **st)
{
    (void)st;
    uint32_t ids[64];
    size_t n = s_corpus(ids);
    struct pl_brown_path p[V];
    /* Three clusters in the window: the three pairs, each word's path
     * that of its pair's cluster. */
    assert_int_equal(pl_brown_train(ids, n, V, 3, p), 0);
    for (int w = 0; w < V; w += 2) {
        assert_int_equal(p[w].len, p[w + 1].len);
        assert_true(p[w].path == p[w + 1].path);
    }
    assert_false(p[THE].len == p[CAT].len && p[THE].path == p[CAT].path);
    assert_false(p[CAT].len == p[RUNS].len && p[CAT].path == p[RUNS].path);
}

static void bad_input_is_refused(void **st)
{
    (void)st;
    uint32_t ids[] = { 0, 1, 7 };
    struct pl_brown_path p[3];
    assert_int_equal(pl_brown_train(ids, 3, 3, 2, p), -EINVAL); /* id 7 of 3 words */
    assert_int_equal(pl_brown_train(ids, 2, 3, 1, p), -EINVAL); /* a window of one */
    assert_int_equal(pl_brown_train(ids, 2, 0, 2, p), -EINVAL); /* no words */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(words_with_the_same_contexts_are_merged_first),
        cmocka_unit_test(a_window_of_c_clusters_keeps_c_paths),
        cmocka_unit_test(bad_input_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
