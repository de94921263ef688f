/* The word-cluster algorithm of pl_train_clusters (eval/clusters.h), on
 * corpora small enough to reason about. */
#include "cm.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clusters.h"
#include "errcode.h"

/* A state that has read text (a string, lines for documents). */
static void s_read(struct pl_clusters *c, const char *text)
{
    pl_clusters_init(c);
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(f);
    assert_int_equal(pl_clusters_read(c, f), 0);
    fclose(f);
}

/* Small parameters, so that a test runs in milliseconds. */
static struct pl_clusters_params s_small(void)
{
    struct pl_clusters_params p = PL_CLUSTERS_PARAMS_DEFAULT;
    p.dim = 8;
    p.window = 2;
    p.min_count = 2;
    p.epochs = 5;
    p.table_size = 1000;
    p.sample = 1;
    p.iterations = 10;
    p.k[0] = 2;
    p.k[1] = 3;
    p.k[2] = 4;
    return p;
}

/* Two topics that share no word, several documents each. */
static char *s_two_topics(void)
{
    const char *a = "the cat sat on the mat with the dog\n",
               *b = "stocks fell as markets sold bonds\n";
    size_t n = 40 * (strlen(a) + strlen(b)) + 1;
    char *s = malloc(n);
    assert_non_null(s);
    s[0] = 0;
    for (int i = 0; i < 40; i++) {
        strncat(s, a, n - strlen(s) - 1);
        strncat(s, b, n - strlen(s) - 1);
    }
    return s;
}

/* The whole run, into a string of the written clusters (caller frees). */
static char *s_run(const char *text, const struct pl_clusters_params *p)
{
    struct pl_clusters c;
    s_read(&c, text);
    assert_int_equal(pl_clusters_cut(&c, p->min_count), 0);
    assert_int_equal(pl_clusters_train(&c, p), 0);
    assert_int_equal(pl_clusters_group(&c, p), 0);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    assert_int_equal(pl_clusters_write(&c, f), 0);
    fclose(f);
    pl_clusters_free(&c);
    return out;
}

static void words_are_counted_and_documents_end_at_line_ends(void **st)
{
    (void)st;
    struct pl_clusters c;
    s_read(&c, "a b  a\t\r\n\nb a c\n");
    assert_int_equal(c.nvocab, 3);
    /* a b a | (empty) | b a c |, each document followed by -1. */
    assert_int_equal(c.ntext, 9);
    assert_int_equal(c.text[3], -1);
    assert_int_equal(c.text[4], -1);
    assert_int_equal(c.text[8], -1);
    assert_string_equal(c.vocab[c.text[0]].s, "a");
    assert_int_equal(c.vocab[c.text[0]].count, 3);
    assert_int_equal(c.vocab[c.text[1]].count, 2);
    pl_clusters_free(&c);
}

static void the_cut_keeps_words_seen_min_count_times_most_frequent_first(void **st)
{
    (void)st;
    struct pl_clusters c;
    s_read(&c, "rare b a b a c a\nb a d\n");
    assert_int_equal(pl_clusters_cut(&c, 2), 0);
    assert_int_equal(c.nkept, 2);
    assert_string_equal(c.vocab[0].s, "a"); /* 4 times */
    assert_string_equal(c.vocab[1].s, "b"); /* 3 times */
    assert_int_equal(c.words, 7);
    /* The text is renumbered: kept words by rank, dropped ones -2. */
    int32_t want[] = { -2, 1, 0, 1, 0, -2, 0, -1, 1, 0, -2, -1 };
    assert_int_equal(c.ntext, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < c.ntext; i++)
        assert_int_equal(c.text[i], want[i]);
    /* Equal counts are ordered by their bytes. */
    assert_string_equal(c.vocab[2].s, "c");
    assert_string_equal(c.vocab[3].s, "d");
    assert_string_equal(c.vocab[4].s, "rare");
    pl_clusters_free(&c);
}

static void nothing_kept_is_an_input_error_not_a_crash(void **st)
{
    (void)st;
    struct pl_clusters c;
    s_read(&c, "every word here is new\n");
    assert_int_equal(pl_clusters_cut(&c, 2), 0);
    assert_int_equal(c.nkept, 0);
    struct pl_clusters_params p = s_small();
    assert_int_equal(pl_clusters_train(&c, &p), PL_EINPUT);
    assert_int_equal(pl_clusters_group(&c, &p), PL_EINPUT);
    pl_clusters_free(&c);
}

static void two_runs_on_the_same_text_write_the_same_clusters(void **st)
{
    (void)st;
    char *text = s_two_topics();
    struct pl_clusters_params p = s_small();
    char *a = s_run(text, &p), *b = s_run(text, &p);
    assert_string_equal(a, b);
    /* Every kept word is written, with its three clusters and count. */
    assert_non_null(strstr(a, "the\t"));
    assert_non_null(strstr(a, "\t120\n")); /* "the": 3 times in 40 documents */
    free(a);
    free(b);
    free(text);
}

static void trained_vectors_are_unit_length_and_topics_stay_apart(void **st)
{
    (void)st;
    char *text = s_two_topics();
    struct pl_clusters_params p = s_small();
    p.epochs = 20;
    struct pl_clusters c;
    s_read(&c, text);
    free(text);
    assert_int_equal(pl_clusters_cut(&c, p.min_count), 0);
    assert_int_equal(pl_clusters_train(&c, &p), 0);
    int cat = -1, dog = -1, stocks = -1;
    for (size_t i = 0; i < c.nkept; i++) {
        double norm = 0;
        for (size_t e = 0; e < c.dim; e++)
            norm += (double)c.vec[i * c.dim + e] * c.vec[i * c.dim + e];
        assert_true(norm > 0.999 && norm < 1.001);
        if (!strcmp(c.vocab[i].s, "cat"))
            cat = (int)i;
        if (!strcmp(c.vocab[i].s, "dog"))
            dog = (int)i;
        if (!strcmp(c.vocab[i].s, "stocks"))
            stocks = (int)i;
    }
    assert_true(cat >= 0 && dog >= 0 && stocks >= 0);
    double same = 0, other = 0;
    for (size_t e = 0; e < c.dim; e++) {
        same += (double)c.vec[cat * c.dim + e] * c.vec[dog * c.dim + e];
        other += (double)c.vec[cat * c.dim + e] * c.vec[stocks * c.dim + e];
    }
    /* Words of one topic share their contexts, so they point the same way. */
    assert_true(same > other);
    pl_clusters_free(&c);
}

static void kmeans_puts_clearly_separated_vectors_in_separate_clusters(void **st)
{
    (void)st;
    /* Three tight groups of unit vectors around three axes, interleaved. */
    enum { N = 30, D = 3 };
    float x[N * D];
    for (int i = 0; i < N; i++) {
        int axis = i % 3;
        float small = 0.01f * (float)(i / 3);
        for (int e = 0; e < D; e++)
            x[i * D + e] = e == axis ? 1.0f : small;
        float norm = 0;
        for (int e = 0; e < D; e++)
            norm += x[i * D + e] * x[i * D + e];
        for (int e = 0; e < D; e++)
            x[i * D + e] /= sqrtf(norm);
    }
    uint64_t rng = PL_CLUSTERS_SEED;
    uint16_t out[N];
    assert_int_equal(pl_clusters_kmeans(&rng, x, N, D, 3, 20, NULL, out), 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(out[i], out[i % 3]); /* one cluster per group */
    assert_int_not_equal(out[0], out[1]);
    assert_int_not_equal(out[0], out[2]);
    assert_int_not_equal(out[1], out[2]);
    /* The same generator state gives the same assignment. */
    uint16_t again[N];
    rng = PL_CLUSTERS_SEED;
    assert_int_equal(pl_clusters_kmeans(&rng, x, N, D, 3, 20, NULL, again), 0);
    assert_memory_equal(out, again, sizeof(out));
}

static void kmeans_refuses_more_clusters_than_vectors(void **st)
{
    (void)st;
    float x[2] = { 1, 0 };
    uint16_t out[1];
    uint64_t rng = PL_CLUSTERS_SEED;
    assert_int_equal(pl_clusters_kmeans(&rng, x, 1, 2, 2, 5, NULL, out), -EINVAL);
    assert_int_equal(pl_clusters_kmeans(&rng, x, 1, 2, 0, 5, NULL, out), -EINVAL);
    assert_int_equal(rng, PL_CLUSTERS_SEED); /* nothing drawn */
}

static void fewer_words_than_clusters_gives_one_cluster_each(void **st)
{
    (void)st;
    struct pl_clusters_params p = s_small();
    p.k[0] = p.k[1] = p.k[2] = 50;
    struct pl_clusters c;
    s_read(&c, "a b c a b c\na b c\n");
    assert_int_equal(pl_clusters_cut(&c, 2), 0);
    assert_int_equal(pl_clusters_train(&c, &p), 0);
    assert_int_equal(pl_clusters_group(&c, &p), 0);
    for (int l = 0; l < PL_CLUSTERS_LEVELS; l++) {
        assert_int_equal(c.ncl[l], 3);
        for (size_t i = 0; i < c.nkept; i++)
            assert_true(c.cl[l][i] < 3);
    }
    pl_clusters_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(words_are_counted_and_documents_end_at_line_ends),
        cmocka_unit_test(the_cut_keeps_words_seen_min_count_times_most_frequent_first),
        cmocka_unit_test(nothing_kept_is_an_input_error_not_a_crash),
        cmocka_unit_test(two_runs_on_the_same_text_write_the_same_clusters),
        cmocka_unit_test(trained_vectors_are_unit_length_and_topics_stay_apart),
        cmocka_unit_test(kmeans_puts_clearly_separated_vectors_in_separate_clusters),
        cmocka_unit_test(kmeans_refuses_more_clusters_than_vectors),
        cmocka_unit_test(fewer_words_than_clusters_gives_one_cluster_each),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
