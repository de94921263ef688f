/* The name tagger's trainer (eval/ner_train.h): reading CoNLL, and the
 * averaged perceptron, on corpora of a few sentences. */
#include "cm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errcode.h"
#include "harness.h"
#include "ner_train.h"

/* Writes text to a new file in a temp folder and returns its path (caller
 * frees). */
static char *s_file(const char *text)
{
    char *dir = th_tempdir();
    assert_non_null(dir);
    char *path = th_path("%s/corpus.txt", dir);
    assert_int_equal(th_write_file(path, text, strlen(text)), 0);
    free(dir);
    return path;
}

/* Removes a file s_file made, and its folder; frees path. */
static void s_unfile(char *path)
{
    assert_int_equal(unlink(path), 0);
    *strrchr(path, '/') = 0;
    assert_int_equal(rmdir(path), 0);
    free(path);
}

static void s_read(const char *text, struct pl_nt_corpus *c)
{
    char *path = s_file(text);
    memset(c, 0, sizeof(*c));
    assert_int_equal(pl_nt_read_conll(path, c), 0);
    s_unfile(path);
}

static const char s_two_docs[] =
    "-DOCSTART- -X- O O\n\n"
    "Vladimir NNP I-NP I-PER\nPutin NNP I-NP I-PER\nmet VBD I-VP O\n"
    "officials NNS I-NP O\nin IN I-PP O\nMoscow NNP I-NP I-LOC\n. . O O\n\n"
    "The DT I-NP O\nKremlin NNP I-NP I-ORG\nsaid VBD I-VP O\n. . O O\n\n"
    "-DOCSTART- -X- O O\n\n"
    "Angela NNP I-NP B-PER\nMerkel NNP I-NP I-PER\nvisited VBD I-VP O\n"
    "Paris NNP I-NP I-LOC\n. . O O\n";

static int s_tag(const char *name)
{
    for (int t = 0; t < PL_NER_TAGS; t++)
        if (!strcmp(pl_nt_tag_names[t], name))
            return t;
    return -1;
}

static void conll_documents_sentences_and_bio_tags_are_read(void **st)
{
    (void)st;
    struct pl_nt_corpus c;
    s_read(s_two_docs, &c);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.tokens, 16);
    assert_int_equal(c.d[0].n, 11);
    assert_int_equal(c.d[1].n, 5);
    assert_string_equal(c.d[0].tok[0].s, "Vladimir");
    assert_int_equal(c.d[0].tok[0].n, 8);
    /* Sentences start at the first token and after each blank line. */
    for (size_t i = 0; i < c.d[0].n; i++)
        assert_int_equal(c.d[0].tok[i].sent_start, i == 0 || i == 7);
    /* IOB1 in, BILOU kept: a name's first I- becomes B-, its last L-, a
     * one-word name U-. */
    assert_int_equal(c.d[0].gold[0], s_tag("B-PER"));
    assert_int_equal(c.d[0].gold[1], s_tag(PL_NER_BILOU ? "L-PER" : "I-PER"));
    assert_int_equal(c.d[0].gold[2], s_tag("O"));
    assert_int_equal(c.d[0].gold[5], s_tag(PL_NER_BILOU ? "U-LOC" : "B-LOC"));
    assert_int_equal(c.d[0].gold[8], s_tag(PL_NER_BILOU ? "U-ORG" : "B-ORG"));
    assert_int_equal(c.d[1].gold[0], s_tag("B-PER"));
    assert_int_equal(c.d[1].gold[1], s_tag(PL_NER_BILOU ? "L-PER" : "I-PER"));
    /* Scored and written as BIO. */
    assert_string_equal(pl_nt_bio_names[c.d[0].gold[1]], "I-PER");
    assert_string_equal(pl_nt_bio_names[c.d[0].gold[5]], "B-LOC");
    /* Converting again changes nothing. */
    uint8_t before[16];
    memcpy(before, c.d[0].gold, c.d[0].n);
    pl_nt_bilou(&c.d[0]);
    assert_memory_equal(before, c.d[0].gold, c.d[0].n);
    pl_nt_corpus_free(&c);
    assert_int_equal(c.n, 0);
}

static void a_malformed_or_missing_corpus_is_refused_with_its_code(void **st)
{
    (void)st;
    struct pl_nt_corpus c = { 0 };
    char *path = s_file("Paris NNP I-NP I-TOWN\n");
    assert_int_equal(pl_nt_read_conll(path, &c), PL_EINPUT);
    pl_nt_corpus_free(&c);
    s_unfile(path);
    path = s_file("Paris\n");
    assert_int_equal(pl_nt_read_conll(path, &c), PL_EINPUT);
    pl_nt_corpus_free(&c);
    s_unfile(path);
    assert_int_equal(pl_nt_read_conll("/nonexistent/corpus.txt", &c), -ENOENT);
}

/* A one-stage model without clusters or gazetteer (empty tables). */
struct setup {
    struct pl_ner_lex lex[64];
    struct pl_ner_phr phr[64];
    struct pl_ner_model shape;
};

/* The shape in s, and the two-document corpus read into c with that shape's
 * features. Caller frees c with pl_nt_corpus_free. */
static void s_setup(struct setup *s, struct pl_nt_corpus *c)
{
    memset(s, 0, sizeof(*s));
    s->shape.hash_bits = 12;
    s->shape.groups = PL_NER_G_ALL & ~(unsigned)(PL_NER_G_CLUSTER | PL_NER_G_GAZ | PL_NER_G_STAGE2);
    s->shape.stages = 1;
    s->shape.lex = s->lex;
    s->shape.lex_mask = 63;
    s->shape.phr = s->phr;
    s->shape.phr_mask = 63;
    s->shape.max_phrase = 1;
    s_read(s_two_docs, c);
    pl_nt_features(c, &s->shape, 0);
}

static size_t s_nw(const struct pl_nt_trainer *tr)
{
    return ((size_t)1 << tr->m.hash_bits) * PL_NER_TAGS;
}

static void two_trainings_on_the_same_corpus_give_the_same_weights(void **st)
{
    (void)st;
    struct setup s;
    struct pl_nt_corpus c;
    s_setup(&s, &c);
    struct pl_nt_trainer a, b;
    pl_nt_trainer_init(&a, &s.shape);
    pl_nt_trainer_init(&b, &s.shape);
    assert_int_equal(a.rng, PL_NT_SEED);
    pl_nt_train(&a, &c, NULL, 0, 4, NULL, 0);
    pl_nt_train(&b, &c, NULL, 0, 4, NULL, 0);
    assert_memory_equal(a.avg_w[0], b.avg_w[0], s_nw(&a) * sizeof(float));
    assert_memory_equal(a.avg_t[0], b.avg_t[0], (PL_NER_TAGS + 1) * PL_NER_TAGS * sizeof(float));
    /* One update per sentence per epoch: 3 sentences, 4 epochs. */
    assert_true(a.c == 12);
    pl_nt_trainer_free(&a);
    pl_nt_trainer_free(&b);
    pl_nt_corpus_free(&c);
}

/* Whether row r (a feature bucket) is one of a feature no word dropout
 * hides: any of a token's but the word, its lower case and the two
 * bigrams holding it (its 2nd, 3rd, 8th and 9th). */
static int s_row_not_hidden(const struct pl_nt_corpus *c, uint32_t r)
{
    for (size_t di = 0; di < c->n; di++)
        for (size_t i = 0; i < c->d[di].n; i++)
            for (uint32_t k = c->d[di].foff[0][i]; k < c->d[di].foff[0][i + 1]; k++) {
                uint32_t at = k - c->d[di].foff[0][i];
                if (at != 1 && at != 2 && at != 7 && at != 8 && c->d[di].f[0][k] == r)
                    return 1;
            }
    return 0;
}

static void word_dropout_hides_the_word_features_and_keeps_the_visiting_order(void **st)
{
    (void)st;
    struct setup s;
    struct pl_nt_corpus c;
    s_setup(&s, &c);
    struct pl_nt_trainer none, half, again, all;
    pl_nt_trainer_init(&none, &s.shape);
    pl_nt_trainer_init(&half, &s.shape);
    pl_nt_trainer_init(&again, &s.shape);
    pl_nt_trainer_init(&all, &s.shape);
    half.word_dropout = again.word_dropout = 0.5f;
    all.word_dropout = 0.999999f;
    uint64_t drop0 = none.drop_rng;
    pl_nt_train(&none, &c, NULL, 0, 4, NULL, 0);
    pl_nt_train(&half, &c, NULL, 0, 4, NULL, 0);
    pl_nt_train(&again, &c, NULL, 0, 4, NULL, 0);
    pl_nt_train(&all, &c, NULL, 0, 4, NULL, 0);
    /* Without dropout its generator is never drawn; with it, the order of
     * visits is the same, the weights differ, and the same every time. */
    assert_true(none.drop_rng == drop0);
    assert_true(half.drop_rng != drop0);
    assert_true(half.rng == none.rng);
    assert_memory_not_equal(half.avg_w[0], none.avg_w[0], s_nw(&none) * sizeof(float));
    assert_memory_equal(half.avg_w[0], again.avg_w[0], s_nw(&none) * sizeof(float));
    /* Always hidden, the word features are never updated: their rows stay
     * zero (those no other feature shares). */
    size_t checked = 0;
    for (size_t i = 0; i < c.d[0].n; i++) {
        uint32_t k0 = c.d[0].foff[0][i];
        for (uint32_t at = 1; at <= 8; at += at == 2 ? 5 : 1) {
            uint32_t r = c.d[0].f[0][k0 + at];
            if (s_row_not_hidden(&c, r))
                continue;
            checked++;
            for (int t = 0; t < PL_NER_TAGS; t++)
                assert_true(all.avg_w[0][(size_t)r * PL_NER_TAGS + t] == 0);
        }
    }
    assert_true(checked > 20);
    /* The word features of a name are learned without dropout. */
    uint32_t putin = c.d[0].f[0][c.d[0].foff[0][1] + 1];
    int learned = 0;
    for (int t = 0; t < PL_NER_TAGS; t++)
        learned |= none.avg_w[0][(size_t)putin * PL_NER_TAGS + t] != 0;
    assert_true(learned);
    pl_nt_trainer_free(&none);
    pl_nt_trainer_free(&half);
    pl_nt_trainer_free(&again);
    pl_nt_trainer_free(&all);
    pl_nt_corpus_free(&c);
}

static void a_model_trained_on_a_corpus_tags_that_corpus_right(void **st)
{
    (void)st;
    struct setup s;
    struct pl_nt_corpus c;
    s_setup(&s, &c);
    struct pl_nt_trainer tr;
    pl_nt_trainer_init(&tr, &s.shape);
    pl_nt_train(&tr, &c, NULL, 0, 10, NULL, 0);
    struct pl_conll_score sc = { 0 };
    pl_nt_tag_corpus(&c, NULL, 0, tr.avg_w[0], tr.avg_t[0], 1, 0, &sc);
    double p, r, f;
    pl_conll_prf(&sc, -1, &p, &r, &f);
    assert_true(f > 99.99);
    assert_int_equal(sc.gold[0] + sc.gold[1] + sc.gold[2] + sc.gold[3], 5);
    /* to_s1: the tags are kept as the first stage's. */
    assert_memory_equal(c.d[0].s1, c.d[0].gold, c.d[0].n);
    pl_nt_trainer_free(&tr);
    pl_nt_corpus_free(&c);
}

static void documents_held_out_are_not_trained_on(void **st)
{
    (void)st;
    struct setup s;
    struct pl_nt_corpus c;
    s_setup(&s, &c);
    struct pl_nt_trainer tr;
    pl_nt_trainer_init(&tr, &s.shape);
    uint8_t skip[2] = { 1, 1 };
    pl_nt_train(&tr, &c, skip, 0, 3, NULL, 0);
    assert_true(tr.c == 0);
    for (size_t i = 0; i < s_nw(&tr); i++)
        assert_true(tr.avg_w[0][i] == 0);
    skip[1] = 0; /* only the second document: one sentence a epoch */
    pl_nt_train(&tr, &c, skip, 0, 3, NULL, 0);
    assert_true(tr.c == 3);
    pl_nt_trainer_free(&tr);
    pl_nt_corpus_free(&c);
}

/* The fold cross-validation puts document i of n in: i % k, or with
 * blocks i * k / n. */
static int s_fold(int i, int k, int n, int blocks)
{
    return blocks ? i * k / n : i % k;
}

static void s_cv_split_holds_out(int blocks)
{
    /* Seven documents of one or two sentences each. */
    char text[4096];
    size_t o = 0;
    for (int i = 0; i < 7; i++)
        o += (size_t)snprintf(text + o, sizeof(text) - o,
                              "-DOCSTART- -X- O O\n\nDoc%d NNP I-NP I-PER\nran VBD I-VP O\n\n%s", i,
                              i % 2 ? "Paris NNP I-NP I-LOC\n\n" : "");
    struct pl_nt_corpus c;
    s_read(text, &c);
    assert_int_equal(c.n, 7);
    int held_in[7] = { 0 }, held_n[3] = { 0 };
    for (int k = 0; k < 3; k++) {
        struct pl_nt_corpus train, held;
        pl_nt_cv_split(&c, k, 3, blocks, &train, &held);
        assert_int_equal(train.n + held.n, 7);
        assert_int_equal(train.tokens + held.tokens, c.tokens);
        for (size_t i = 0; i < held.n; i++) {
            int doc = held.d[i].tok[0].s[3] - '0';
            assert_int_equal(s_fold(doc, 3, 7, blocks), k);
            /* A view shares its documents' tokens with the corpus. */
            assert_ptr_equal(held.d[i].tok, c.d[doc].tok);
            held_in[doc]++;
            held_n[k]++;
        }
        for (size_t i = 0; i < train.n; i++)
            assert_int_not_equal(s_fold(train.d[i].tok[0].s[3] - '0', 3, 7, blocks), k);
        /* In the corpus's order, so that training visits them as it would. */
        for (size_t i = 1; i < train.n; i++)
            assert_true(train.d[i - 1].tok[0].s[3] < train.d[i].tok[0].s[3]);
        pl_nt_view_free(&train);
        pl_nt_view_free(&held);
        assert_null(train.d);
    }
    for (int i = 0; i < 7; i++)
        assert_int_equal(held_in[i], 1);
    /* Blocks are runs of consecutive documents: 0-2, 3-4, 5-6. */
    if (blocks) {
        assert_int_equal(held_n[0], 3);
        assert_int_equal(held_n[1], 2);
        assert_int_equal(held_n[2], 2);
    }
    pl_nt_corpus_free(&c);
}

static void cross_validation_holds_out_document_i_in_fold_i_mod_k(void **st)
{
    (void)st;
    s_cv_split_holds_out(0);
}

static void cross_validation_by_blocks_holds_out_runs_of_consecutive_documents(void **st)
{
    (void)st;
    s_cv_split_holds_out(1);
}

static void the_two_stages_score_the_held_out_documents_of_each_stage(void **st)
{
    (void)st;
    struct setup s;
    struct pl_nt_corpus c;
    /* The one-stage shape, made two-stage: the corpus is read again with
     * that shape's features. */
    s_setup(&s, &c);
    pl_nt_corpus_free(&c);
    s.shape.groups |= PL_NER_G_STAGE2;
    s.shape.stages = 2;
    s_read(s_two_docs, &c);
    pl_nt_features(&c, &s.shape, 0);
    struct pl_nt_corpus train, held;
    pl_nt_cv_split(&c, 1, 2, 0, &train, &held);
    struct pl_nt_trainer tr;
    pl_nt_trainer_init(&tr, &s.shape);
    struct pl_conll_score sc[2];
    memset(sc, 0, sizeof(sc));
    pl_nt_two_stage(&tr, &train, &held, 3, 2, 2, 0, sc);
    /* The held-out document has two names; each stage scored it once. */
    for (int k = 0; k < 2; k++) {
        assert_int_equal(sc[k].gold[0] + sc[k].gold[1] + sc[k].gold[2] + sc[k].gold[3], 2);
        assert_int_equal(sc[k].tokens, 5);
    }
    /* Stage 2 was trained: one update per training sentence per epoch. */
    assert_true(tr.c == 2 * 2);
    assert_non_null(held.d[0].f[1]);
    pl_nt_trainer_free(&tr);
    pl_nt_view_free(&train);
    pl_nt_view_free(&held);
    pl_nt_corpus_free(&c);
}

static void title_case_capitalises_words_but_not_function_words(void **st)
{
    (void)st;
    static const struct {
        const char *in, *out;
        int first, caps;
    } cases[] = {
        { "SOCCER", "Soccer", 1, 1 },
        { "AT", "at", 0, 1 },
        { "AT", "At", 1, 1 },
        { "ONE-DAY", "One-Day", 0, 1 },
        { "O'NEILL", "O'neill", 0, 1 },
        { "rejects", "Rejects", 0, 0 },
        { "of", "of", 0, 0 },
        { "EU", "EU", 0, 0 },
        { "call-up", "Call-Up", 0, 0 },
        { "1996-08-22", "1996-08-22", 0, 1 },
        { "McDonald", "McDonald", 0, 0 },
        { "German", "German", 0, 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[64] = { 0 };
        pl_nt_title_case(cases[i].in, strlen(cases[i].in), cases[i].first, cases[i].caps, out);
        assert_string_equal(out, cases[i].out);
    }
}

static void title_copies_of_headlines_keep_tags_and_never_leave_their_fold(void **st)
{
    (void)st;
    static const char text[] = "-DOCSTART- -X- O O\n\n"
                               "SOCCER NN I-NP O\n- : O O\nJAPAN NNP I-NP I-LOC\n"
                               "WIN VB I-VP O\n. . O O\n\n"
                               "Japan NNP I-NP I-LOC\nwon VBD I-VP O\n. . O O\n\n"
                               "-DOCSTART- -X- O O\n\n"
                               "EU NNP I-NP I-ORG\nrejects VBZ I-VP O\nlamb NN I-NP O\n. . O O\n\n"
                               "-DOCSTART- -X- O O\n\n"
                               "Paris NNP I-NP I-LOC\n. . O O\n";
    struct pl_nt_corpus c;
    s_read(text, &c);
    assert_int_equal(c.n, 3);
    size_t tokens = c.tokens;
    /* The third document's headline has one word: no copy. */
    assert_int_equal(pl_nt_add_title_copies(&c), 2);
    assert_int_equal(c.n, 5);
    const struct pl_nt_doc *a = &c.d[3], *b = &c.d[4];
    assert_true(a->copy && b->copy && !c.d[0].copy);
    assert_int_equal(a->group, 0);
    assert_int_equal(b->group, 1);
    /* The headline only, in title case, without its full stop. */
    assert_int_equal(a->n, 4);
    static const char *const want[] = { "Soccer", "-", "Japan", "Win" };
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(a->tok[i].s, want[i]);
        assert_int_equal(a->tok[i].sent_start, i == 0);
        assert_int_equal(a->gold[i], c.d[0].gold[i]);
    }
    assert_int_equal(b->n, 3);
    assert_string_equal(b->tok[0].s, "EU");
    assert_string_equal(b->tok[1].s, "Rejects");
    assert_int_equal(b->gold[0], s_tag(PL_NER_BILOU ? "U-ORG" : "B-ORG"));
    assert_int_equal(c.tokens, tokens + 7);
    /* A copy trains with its source and is never held out. */
    for (int k = 0; k < 3; k++) {
        struct pl_nt_corpus train, held;
        pl_nt_cv_split(&c, k, 3, 0, &train, &held);
        assert_int_equal(held.n, 1);
        assert_false(held.d[0].copy);
        assert_int_equal(held.d[0].group, (uint32_t)k);
        for (size_t i = 0; i < train.n; i++)
            assert_int_not_equal(train.d[i].group % 3, (uint32_t)k);
        assert_int_equal(train.n, k == 2 ? 4 : 3);
        pl_nt_view_free(&train);
        pl_nt_view_free(&held);
    }
    pl_nt_corpus_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conll_documents_sentences_and_bio_tags_are_read),
        cmocka_unit_test(a_malformed_or_missing_corpus_is_refused_with_its_code),
        cmocka_unit_test(two_trainings_on_the_same_corpus_give_the_same_weights),
        cmocka_unit_test(word_dropout_hides_the_word_features_and_keeps_the_visiting_order),
        cmocka_unit_test(a_model_trained_on_a_corpus_tags_that_corpus_right),
        cmocka_unit_test(documents_held_out_are_not_trained_on),
        cmocka_unit_test(cross_validation_holds_out_document_i_in_fold_i_mod_k),
        cmocka_unit_test(cross_validation_by_blocks_holds_out_runs_of_consecutive_documents),
        cmocka_unit_test(the_two_stages_score_the_held_out_documents_of_each_stage),
        cmocka_unit_test(title_case_capitalises_words_but_not_function_words),
        cmocka_unit_test(title_copies_of_headlines_keep_tags_and_never_leave_their_fold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
