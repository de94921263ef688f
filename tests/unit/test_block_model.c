/* The clean stage's block classifier: the blocks and features of a small
 * hand-made page, a model that drops one of them, the model file's
 * checks, and the clean plugin refusing a model it cannot load. */
#include "cm.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "blocks.h"
#include "bmodel.h"
#include "dump.h"
#include "errcode.h"
#include "harness.h"
#include "html.h"
#include "loader.h"
#include "text.h"

static const char s_page[] =
    "<html><head><title>Storm</title></head><body>"
    "<nav><ul><li><a href=\"/\">Home</a></li><li><a href=\"/w\">World</a></li></ul></nav>"
    "<article><h2>Storm hits the coast</h2>"
    "<p>A storm hit the coast overnight, and crews worked through the night to clear the "
    "roads, the council said on Tuesday.</p>"
    "<p>Power was back in most homes by noon, although some villages in the hills were "
    "still cut off, officials said.</p>"
    "<p>Thanks for reading</p>"
    "<p>The weather service expects calmer days this week, with light winds and some sun, "
    "before rain returns on <a href=\"/sunday\">Sunday</a>.</p>"
    "</article><footer><p>Impressum</p></footer></body></html>";

static void test_a_page_gives_its_text_blocks_with_their_features(void **state)
{
    (void)state;
    struct pl_html_block *b = NULL;
    size_t n = 0;
    assert_int_equal(pl_html_blocks(s_page, strlen(s_page), "UTF-8", &b, &n), 0);
    /* The menu and the footer are pruned before the blocks are read. */
    assert_int_equal(n, 5);
    assert_string_equal(b[0].text, "Storm hits the coast");
    assert_string_equal(b[3].text, "Thanks for reading");
    for (size_t i = 0; i < n; i++) {
        assert_true(b[i].inside);             /* all in the <article> */
        assert_true(b[i].f.d[13] == 1.0f);    /* the feature says so too */
        assert_true(b[i].f.d[22] == 1.0f);    /* inside an <article> */
        assert_true(b[i].f.nh <= PL_BM_MAXH); /* hashed features bounded */
    }
    assert_true(b[0].f.d[26] == 1.0f); /* a heading */
    assert_true(b[1].f.d[25] == 1.0f); /* a paragraph */
    assert_true(b[3].f.d[10] == 1.0f); /* under four words */
    assert_true(b[1].f.d[10] == 0.0f);
    assert_true(b[1].f.d[7] == 1.0f); /* ends a sentence */
    assert_true(b[0].f.d[7] == 0.0f);
    assert_true(b[1].f.d[2] == 0.0f); /* no links */
    assert_true(b[4].f.d[2] > 0.0f && b[4].f.d[2] < 0.1f);
    assert_true(b[0].f.d[12] == 0.0f && b[4].f.d[12] == 1.0f); /* position in the page */
    /* Neighbours: block 1's "previous is short" slot is block 0's short
     * flag (0), block 4's is block 3's (1). */
    assert_true(b[4].f.d[PL_BM_OWN + 7] == 1.0f);
    assert_true(b[1].f.d[PL_BM_OWN + 7] == 0.0f);
    pl_html_blocks_free(b, n);
}

/* A story with a gallery of repeated slides and one caption twice: the
 * slides share a shape, the story's paragraphs another. */
static const char s_gallery[] =
    "<html><body><div class=\"story\">"
    "<p>The council met on Tuesday and agreed to rebuild the harbour wall before winter, "
    "its leader said.</p>"
    "<p>Work starts next month and should take about a year, with the road closed at night.</p>"
    "<ul class=\"slides\"><li class=\"slide\"><p>The harbour at dawn</p></li>"
    "<li class=\"slide\"><p>Crews at the wall</p></li>"
    "<li class=\"slide\"><p>The harbour at dawn</p></li></ul>"
    "</div></body></html>";

static void test_blocks_know_their_shape_and_repeated_text(void **state)
{
    (void)state;
    struct pl_html_block *b = NULL;
    size_t n = 0;
    assert_int_equal(pl_html_blocks(s_gallery, strlen(s_gallery), "UTF-8", &b, &n), 0);
    assert_int_equal(n, 5);
    assert_true(b[0].shape == b[1].shape && b[2].shape == b[3].shape);
    assert_true(b[0].shape != b[2].shape);
    /* Two other slides share a slide's shape, one other paragraph the
     * story's: log1p(others) / 6. */
    assert_float_equal(b[2].f.d[35], log1p(2.0) / 6, 1e-6);
    assert_float_equal(b[0].f.d[35], log1p(1.0) / 6, 1e-6);
    /* The two paragraphs hold most of the page's text, the slides little. */
    assert_true(b[0].f.d[36] > 0.7f && b[0].f.d[36] == b[1].f.d[36]);
    assert_true(b[2].f.d[36] < 0.3f);
    /* The first and the last slide say the same. */
    assert_true(b[2].f.d[38] == 1.0f && b[4].f.d[38] == 1.0f);
    assert_true(b[3].f.d[38] == 0.0f && b[0].f.d[38] == 0.0f);
    /* The shape's share inside the container, the same for each member. */
    assert_true(b[2].f.d[39] == b[3].f.d[39] && b[3].f.d[39] == b[4].f.d[39]);
    pl_html_blocks_free(b, n);
}

/* A model whose only weights make short blocks article-unlikely. */
__attribute__((noinline)) static struct pl_bmodel *s_short_model(void)
{
    double *w = calloc(PL_BM_DIM, sizeof(*w));
    assert_non_null(w);
    w[0] = 5;    /* bias */
    w[10] = -10; /* under four words */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(pl_bmodel_write(f, w, 0.5, 1), 0);
    fclose(f);
    struct pl_bmodel *m = NULL;
    char why[256] = "";
    assert_int_equal(pl_bmodel_parse(text, len, &m, why, sizeof(why)), 0);
    assert_true(m->threshold == 0.5 && m->add_threshold == 1);
    assert_true(m->w[10] == -10 && m->w[0] == 5);
    free(text);
    free(w);
    return m;
}

static void test_a_model_drops_the_blocks_it_scores_low(void **state)
{
    (void)state;
    struct pl_bmodel *m = s_short_model();
    char *with = NULL, *without = NULL;
    struct pl_html_meta meta;
    assert_int_equal(pl_html_extract(s_page, strlen(s_page), "UTF-8", NULL, &without, &meta), 0);
    pl_html_meta_free(&meta);
    assert_int_equal(pl_html_extract(s_page, strlen(s_page), "UTF-8", m, &with, &meta), 0);
    pl_html_meta_free(&meta);
    assert_non_null(strstr(without, "Thanks for reading"));
    assert_null(strstr(with, "Thanks for reading"));
    assert_non_null(strstr(with, "Power was back in most homes"));
    assert_non_null(strstr(with, "Storm hits the coast"));
    free(with);
    free(without);
    pl_bmodel_free(m);
}

/* The same rule as trees (version 2): two trees of depth 2, the first
 * splitting on "under four words" at its root, the second a stump that
 * never splits (every block to its first leaf). Written, read back, and the
 * round trip compared with the model in memory. */
__attribute__((noinline)) static struct pl_bmodel *s_short_trees(void)
{
    struct pl_bmodel *t = pl_bmodel_new_trees(2, 2);
    assert_non_null(t);
    uint8_t *feat = (uint8_t *)t->feat;
    float *cut = (float *)t->cut, *leaf = (float *)t->leaf;
    t->threshold = 0.5;
    t->add_threshold = 1;
    t->base = 1;
    feat[0] = 10; /* under four words */
    cut[0] = 0.5f;
    feat[1] = feat[2] = 1; /* length: no block is that long */
    cut[1] = cut[2] = 1e30f;
    leaf[0] = 3.25f; /* four words or more */
    leaf[2] = -6.5f; /* under four */
    feat[3] = feat[4] = feat[5] = 0;
    cut[3] = cut[4] = cut[5] = FLT_MAX;
    leaf[4] = 0.5f;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(pl_bmodel_write_trees(f, t), 0);
    fclose(f);
    assert_non_null(strstr(text, "pressline-blocks 2 "));
    struct pl_bmodel *m = NULL;
    char why[256] = "";
    if (pl_bmodel_parse(text, len, &m, why, sizeof(why)) != 0)
        fail_msg("the trees did not read back: %s", why);
    assert_true(m->ntrees == 2 && m->depth == 2 && m->base == 1 && m->threshold == 0.5);
    assert_memory_equal(m->feat, t->feat, 6);
    assert_memory_equal(m->cut, t->cut, 6 * sizeof(float));
    assert_memory_equal(m->leaf, t->leaf, 8 * sizeof(float));
    struct pl_bfeat x = { .d = { [0] = 1, [10] = 1 } };
    assert_true(fabs(pl_bmodel_prob(m, &x) - 1 / (1 + exp(6.5 - 1.5))) < 1e-9);
    x.d[10] = 0;
    assert_true(fabs(pl_bmodel_prob(m, &x) - 1 / (1 + exp(-4.75))) < 1e-9);
    /* A leaf cut off, the checksum made to match: refused, with where. */
    char *end = strstr(text, "checksum ");
    size_t body = (size_t)(end - text) - 1; /* the last leaf's newline */
    while (body > 0 && text[body - 1] != '\n')
        body--;
    struct pl_buf b = { 0 };
    assert_int_equal(pl_buf_append(&b, text, body), 0);
    char line[64];
    snprintf(line, sizeof(line), "checksum %016llx\n", (unsigned long long)pl_hash(b.data, b.len));
    assert_int_equal(pl_buf_append(&b, line, strlen(line)), 0);
    struct pl_bmodel *bad = NULL;
    assert_int_equal(pl_bmodel_parse(b.data, b.len, &bad, why, sizeof(why)), PL_EINPUT);
    assert_null(bad);
    if (!strstr(why, "leaf 8 of 8 is missing"))
        fail_msg("unexpected reason: %s", why);
    free(b.data);
    free(text);
    free(t);
    return m;
}

static void test_trees_drop_the_blocks_they_score_low(void **state)
{
    (void)state;
    struct pl_bmodel *m = s_short_trees();
    char *with = NULL;
    struct pl_html_meta meta;
    assert_int_equal(pl_html_extract(s_page, strlen(s_page), "UTF-8", m, &with, &meta), 0);
    pl_html_meta_free(&meta);
    assert_null(strstr(with, "Thanks for reading"));
    assert_non_null(strstr(with, "Power was back in most homes"));
    free(with);
    pl_bmodel_free(m);
}

static void test_a_model_adds_the_blocks_outside_it_scores_high(void **state)
{
    (void)state;
    static const char page[] =
        "<html><body><div id=\"main\"><article>"
        "<p>A storm hit the coast overnight, and crews worked through the night to clear the "
        "roads, the council said on Tuesday.</p>"
        "<p>Power was back in most homes by noon, although some villages in the hills were "
        "still cut off, officials said.</p></article>"
        "<div><p>An outside note on the storm, kept apart from the article.</p></div>"
        "</div></body></html>";
    /* Every block scores about 0.99: nothing dropped, outside blocks added. */
    double *w = calloc(PL_BM_DIM, sizeof(*w));
    w[0] = 5;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(pl_bmodel_write(f, w, 0.5, 0.9), 0);
    fclose(f);
    struct pl_bmodel *m = NULL;
    char why[256];
    assert_int_equal(pl_bmodel_parse(text, len, &m, why, sizeof(why)), 0);
    char *with = NULL, *without = NULL;
    struct pl_html_meta meta;
    assert_int_equal(pl_html_extract(page, strlen(page), "UTF-8", NULL, &without, &meta), 0);
    pl_html_meta_free(&meta);
    assert_int_equal(pl_html_extract(page, strlen(page), "UTF-8", m, &with, &meta), 0);
    pl_html_meta_free(&meta);
    assert_null(strstr(without, "An outside note"));
    const char *a = strstr(with, "A storm hit"), *b = strstr(with, "An outside note");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a < b); /* in its place in the page, after the article */
    free(with);
    free(without);
    pl_bmodel_free(m);
    free(text);
    free(w);
}

/* The model file text of an all-zero model. */
__attribute__((noinline)) static char *s_model_text(size_t *len)
{
    double *w = calloc(PL_BM_DIM, sizeof(*w));
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    assert_int_equal(pl_bmodel_write(f, w, 0.3, 0.9), 0);
    fclose(f);
    free(w);
    return text;
}

static void s_refused(const char *text, size_t len, const char *reason)
{
    struct pl_bmodel *m = NULL;
    char why[256] = "";
    assert_int_equal(pl_bmodel_parse(text, len, &m, why, sizeof(why)), PL_EINPUT);
    assert_null(m);
    if (!strstr(why, reason))
        fail_msg("expected \"%s\" in \"%s\"", reason, why);
}

/* A dump model of one split: a block the rules kept (feature 13) scores
 * low, any other high. Thresholds drop and add. */
static struct pl_bmodel *s_flip_trees(double drop, double add)
{
    struct pl_bmodel *m = pl_bmodel_new_trees(1, 1);
    assert_non_null(m);
    ((uint8_t *)m->feat)[0] = 13;
    ((float *)m->cut)[0] = 0.5f;
    ((float *)m->leaf)[0] = 5;  /* not kept: p 0.993 */
    ((float *)m->leaf)[1] = -5; /* kept: p 0.007 */
    m->threshold = drop;
    m->add_threshold = add;
    return m;
}

/* The dump both dump-model tests read: a title, the story's one
 * paragraph, two lines the runs put outside the story and a credit that
 * another rule removed, into bl (pl_blocks_free it). */
static void s_five_block_dump(struct pl_blocks *bl)
{
    static const char dump[] = "Harbour wall\nThe council agreed to rebuild the wall.\n"
                               "Privacy\nSign in\nTerms\n";
    *bl = (struct pl_blocks){ 0 };
    assert_int_equal(pl_blocks_split(dump, strlen(dump), 1, bl), 0);
    assert_int_equal(bl->n, 5);
    bl->v[0].is_title = 1;
    bl->v[2].reason = "outside-article";
    bl->v[3].reason = "outside-article";
    bl->v[4].reason = "credit"; /* another rule's: stays */
}

static void test_the_dump_model_drops_and_restores_blocks(void **state)
{
    (void)state;
    struct pl_blocks bl;
    s_five_block_dump(&bl);
    struct pl_bfeat f[5];
    pl_dump_features(&bl, f);
    assert_true(f[1].d[13] == 1 && f[2].d[13] == 0 && f[2].d[14] == 1 && f[4].d[15] == 1);
    assert_true(f[0].d[26] == 1 && f[1].d[26] == 0); /* the title */
    struct pl_bmodel *m = s_flip_trees(0.5, 0.9);
    assert_int_equal(pl_dump_apply(&bl, m), 0);
    assert_null(bl.v[0].reason); /* the title is left alone */
    assert_string_equal(bl.v[1].reason, "outside-article");
    assert_null(bl.v[2].reason);
    assert_null(bl.v[3].reason);
    assert_string_equal(bl.v[4].reason, "credit");
    pl_bmodel_free(m);
    /* add 1: nothing would come back and the story would be all gone, so
     * the runs' judgement stands. */
    bl.v[1].reason = NULL;
    bl.v[2].reason = "outside-article";
    m = s_flip_trees(0.5, 1);
    assert_int_equal(pl_dump_apply(&bl, m), 0);
    assert_string_equal(bl.v[2].reason, "outside-article");
    assert_null(bl.v[1].reason);
    assert_null(bl.v[3].reason);
    pl_bmodel_free(m);
    pl_blocks_free(&bl);
}

/* The dump model's own stacked model, read back from a version 4 file: a
 * first model that drops what the runs kept, and a stacked one that keeps
 * a block whose next block the first model scored high. The story's one
 * paragraph, followed by furniture the first model scores high, stays. */
static void test_the_dump_model_has_its_own_stacked_model(void **state)
{
    (void)state;
    struct pl_blocks bl;
    s_five_block_dump(&bl);
    struct pl_bmodel *m = s_flip_trees(0.5, 0.9);
    m->stack = s_flip_trees(0.5, 0.9);
    m->dumps = s_flip_trees(0.5, 0.9);
    struct pl_bmodel *ds = pl_bmodel_new_trees(1, 1);
    assert_non_null(ds);
    ((uint8_t *)ds->feat)[0] = PL_BM_DENSE + 2; /* the next block's probability */
    ((float *)ds->cut)[0] = 0.5f;
    ((float *)ds->leaf)[0] = -5;
    ((float *)ds->leaf)[1] = 5;
    m->dumps->stack = ds;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(pl_bmodel_write_trees(f, m), 0);
    fclose(f);
    struct pl_bmodel *r = NULL;
    char why[256] = "";
    if (pl_bmodel_parse(text, len, &r, why, sizeof(why)) != 0)
        fail_msg("version 4 with a dump stack did not read back: %s", why);
    assert_non_null(r->dumps->stack);
    assert_true(r->dumps->stack->feat[0] == PL_BM_DENSE + 2);
    assert_int_equal(pl_dump_apply(&bl, r->dumps), 0);
    assert_null(bl.v[1].reason); /* the first model alone drops it */
    assert_null(bl.v[2].reason);
    assert_string_equal(bl.v[4].reason, "credit");
    pl_bmodel_free(r);
    free(text);
    /* Only version 4 carries it: without the pages' stacked model, no file. */
    free(m->stack);
    m->stack = NULL;
    f = open_memstream(&text, &len);
    assert_int_equal(pl_bmodel_write_trees(f, m), -EIO);
    fclose(f);
    free(text);
    pl_bmodel_free(m);
    pl_blocks_free(&bl);
}

/* Past PL_DUMP_MAX_BLOCKS blocks the model is not applied: its features
 * would take a KB a block. */
static void test_a_dump_of_too_many_blocks_is_left_to_the_runs(void **state)
{
    (void)state;
    struct pl_buf t = { 0 };
    char line[32];
    for (int i = 0; i <= PL_DUMP_MAX_BLOCKS; i++) {
        int k = snprintf(line, sizeof(line), "Line %d\n", i);
        assert_int_equal(pl_buf_append(&t, line, (size_t)k), 0);
    }
    struct pl_blocks bl = { 0 };
    assert_int_equal(pl_blocks_split(t.data, t.len, 1, &bl), 0);
    assert_int_equal(bl.n, PL_DUMP_MAX_BLOCKS + 1);
    for (size_t i = 1; i < bl.n; i += 2)
        bl.v[i].reason = "outside-article";
    /* Applied, it would swap the kept and the outside blocks. */
    struct pl_bmodel *m = s_flip_trees(0.5, 0.9);
    assert_int_equal(pl_dump_apply(&bl, m), 0);
    for (size_t i = 0; i < bl.n; i++)
        if (i % 2 ? !bl.v[i].reason : bl.v[i].reason != NULL)
            fail_msg("block %zu changed", i);
    pl_bmodel_free(m);
    pl_blocks_free(&bl);
    free(t.data);
}

static void test_a_corrupt_or_foreign_model_file_is_refused(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = s_model_text(&len);
    /* One weight edited: the checksum no longer matches. */
    char *edit = strdup(text);
    char *w = strstr(edit, "\n0\n");
    assert_non_null(w);
    w[1] = '7';
    s_refused(edit, len, "checksum mismatch");
    /* Cut short: no checksum line. */
    s_refused(text, len / 2, "no checksum line");
    /* Another version, with a checksum that matches. */
    struct pl_buf b = { 0 };
    size_t from = strcspn(text, "\n") + 1, to = (size_t)(strstr(text, "checksum ") - text);
    assert_int_equal(pl_buf_append(&b, "pressline-blocks 99 5\n", 22), 0);
    assert_int_equal(pl_buf_append(&b, text + from, to - from), 0);
    char line[64];
    snprintf(line, sizeof(line), "checksum %016llx\n", (unsigned long long)pl_hash(b.data, b.len));
    assert_int_equal(pl_buf_append(&b, line, strlen(line)), 0);
    s_refused(b.data, b.len, "model version 99");
    /* A missing file. */
    struct pl_bmodel *m = NULL;
    char why[256] = "";
    assert_int_equal(pl_bmodel_load("/nonexistent/blocks.model", &m, why, sizeof(why)), PL_EINPUT);
    assert_non_null(strstr(why, "cannot open /nonexistent/blocks.model"));
    free(b.data);
    free(edit);
    free(text);
}

/* body[0..n) with a checksum line that matches it, in a new buffer. */
static struct pl_buf s_resummed(const char *body, size_t n)
{
    struct pl_buf b = { 0 };
    assert_int_equal(pl_buf_append(&b, body, n), 0);
    char line[64];
    snprintf(line, sizeof(line), "checksum %016llx\n", (unsigned long long)pl_hash(b.data, b.len));
    assert_int_equal(pl_buf_append(&b, line, strlen(line)), 0);
    return b;
}

static void test_a_version_3_file_carries_the_dump_model(void **state)
{
    (void)state;
    struct pl_bmodel *m = s_flip_trees(0.3, 0.8);
    m->dumps = s_flip_trees(0.4, 0.9);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(pl_bmodel_write_trees(f, m), 0);
    fclose(f);
    assert_true(!strncmp(text, "pressline-blocks 3 ", 19));
    const char *d = strstr(text, "\ndumps 0.4 0.9\n");
    assert_non_null(d);
    struct pl_bmodel *r = NULL;
    char why[256] = "";
    assert_int_equal(pl_bmodel_parse(text, len, &r, why, sizeof(why)), 0);
    assert_non_null(r->dumps);
    assert_true(r->threshold == 0.3 && r->dumps->threshold == 0.4 &&
                r->dumps->add_threshold == 0.9);
    assert_true(r->dumps->leaf[1] == -5 && r->dumps->feat[0] == 13);
    pl_bmodel_free(r);
    /* Version 3 without its dumps section. */
    struct pl_buf b = s_resummed(text, (size_t)(d - text) + 1);
    s_refused(b.data, b.len, "no \"dumps DROP ADD\" line");
    free(b.data);
    /* Version 2 with one after it. */
    size_t body = (size_t)(strstr(text, "checksum ") - text);
    char *two = strndup(text, body);
    two[17] = '2';
    b = s_resummed(two, body);
    s_refused(b.data, b.len, "more lines than the model's");
    free(b.data);
    /* Dump thresholds out of range. */
    memcpy(two, text, body);
    char *t = strstr(two, "\ndumps 0.4 0.9\n");
    memcpy(t, "\ndumps 1.4 0.9\n", 15);
    b = s_resummed(two, body);
    s_refused(b.data, b.len, "both from 0 to 1");
    free(b.data);
    free(two);
    free(text);
    pl_bmodel_free(m);
}

/* The context features from made-up probabilities: five blocks, lengths
 * 10, 30, 10, 40, 10; blocks 0, 2 and 4 share a shape; blocks 1-3 are in
 * the container. */
static void test_the_stacked_features_come_from_the_neighbours(void **state)
{
    (void)state;
    struct pl_html_block v[5];
    memset(v, 0, sizeof(v));
    static const size_t len[5] = { 10, 30, 10, 40, 10 };
    static const double p[5] = { 0.1, 0.9, 0.2, 0.8, 0.3 };
    int inside[5];
    uint64_t shape[5];
    for (int i = 0; i < 5; i++) {
        inside[i] = i >= 1 && i <= 3;
        shape[i] = i % 2 ? 7 : 9;
    }
    /* Written into features that sit inside a larger struct, as html.c's. */
    assert_int_equal(pl_bm_stack(5, p, len, inside, shape, &v[0].f, sizeof(v[0])), 0);
    const float *x0 = v[0].f.d + PL_BM_DENSE, *x2 = v[2].f.d + PL_BM_DENSE;
    const float *x4 = v[4].f.d + PL_BM_DENSE;
    assert_true(fabsf(x2[0] - 0.2f) < 1e-6f);
    assert_true(fabsf(x2[1] - 0.9f) < 1e-6f && fabsf(x2[2] - 0.8f) < 1e-6f);
    assert_true(x0[1] == -1 && fabsf(x0[2] - 0.9f) < 1e-6f); /* no block before the first */
    assert_true(x4[2] == -1);
    /* Block 2's three either side, by length, itself left out:
     * (1 + 27 + 32 + 3) / 90. */
    assert_true(fabsf(x2[3] - 63.0f / 90.0f) < 1e-5f);
    assert_true(fabsf(x2[5] - 0.9f) < 1e-6f); /* the largest of them */
    /* The other blocks of block 2's shape: 0 and 4, (1 + 3) / 20. */
    assert_true(fabsf(x2[6] - 0.2f) < 1e-5f);
    /* Inside the container: (27 + 2 + 32) / 80; outside: (1 + 3) / 20. */
    assert_true(fabsf(x0[7] - 61.0f / 80.0f) < 1e-5f && fabsf(x0[11] - 0.2f) < 1e-5f);
    /* Kept text: blocks 1 and 3, 70 of 100; before block 4, all of it. */
    assert_true(fabsf(x0[8] - 0.7f) < 1e-6f);
    assert_true(x0[9] == 0 && fabsf(x4[9] - 1.0f) < 1e-6f);
    /* The nearest kept block: one away from block 2 and block 0. */
    assert_true(fabsf(x2[10] - (float)(log1p(1.0) / 6)) < 1e-6f);
    assert_true(fabsf(x0[10] - (float)(log1p(1.0) / 6)) < 1e-6f);
    /* No block kept: the distance is at its top, where is none. */
    static const double none[5] = { 0.1, 0.1, 0.1, 0.1, 0.1 };
    assert_int_equal(pl_bm_stack(5, none, len, inside, shape, &v[0].f, sizeof(v[0])), 0);
    assert_true(v[2].f.d[PL_BM_DENSE + 10] == 1 && v[2].f.d[PL_BM_DENSE + 9] == -1);
}

/* A first model that scores "under four words" low, and a stacked one
 * that drops a block whose previous block the first model scored low:
 * with the stack, "Thanks for reading" stays (what precedes it scores
 * high) and the paragraph after it goes. Written as version 4, read back,
 * and used. */
static void test_a_stacked_model_judges_a_block_by_its_neighbours(void **state)
{
    (void)state;
    struct pl_bmodel *m = pl_bmodel_new_trees(1, 1);
    assert_non_null(m);
    ((uint8_t *)m->feat)[0] = 10; /* under four words */
    ((float *)m->cut)[0] = 0.5f;
    ((float *)m->leaf)[0] = 5;
    ((float *)m->leaf)[1] = -5;
    m->threshold = 0.5;
    m->add_threshold = 1;
    char *first = NULL;
    struct pl_html_meta meta;
    assert_int_equal(pl_html_extract(s_page, strlen(s_page), "UTF-8", m, &first, &meta), 0);
    pl_html_meta_free(&meta);
    assert_null(strstr(first, "Thanks for reading"));
    assert_non_null(strstr(first, "The weather service"));
    m->stack = pl_bmodel_new_trees(1, 1);
    assert_non_null(m->stack);
    ((uint8_t *)m->stack->feat)[0] = PL_BM_DENSE + 1; /* the previous block's probability */
    ((float *)m->stack->cut)[0] = 0.5f;
    ((float *)m->stack->leaf)[0] = -5;
    ((float *)m->stack->leaf)[1] = 5;
    /* Version 4 needs the dump model beside it. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(pl_bmodel_write_trees(f, m), -EIO);
    fclose(f);
    free(text);
    m->dumps = s_flip_trees(0.4, 0.9);
    f = open_memstream(&text, &len);
    assert_int_equal(pl_bmodel_write_trees(f, m), 0);
    fclose(f);
    assert_true(!strncmp(text, "pressline-blocks 4 ", 19));
    struct pl_bmodel *r = NULL;
    char why[256] = "";
    if (pl_bmodel_parse(text, len, &r, why, sizeof(why)) != 0)
        fail_msg("version 4 did not read back: %s", why);
    assert_non_null(r->stack);
    assert_non_null(r->dumps);
    assert_true(r->stack->feat[0] == PL_BM_DENSE + 1 && r->dumps->threshold == 0.4);
    char *stacked = NULL;
    assert_int_equal(pl_html_extract(s_page, strlen(s_page), "UTF-8", r, &stacked, &meta), 0);
    pl_html_meta_free(&meta);
    assert_non_null(strstr(stacked, "Thanks for reading"));
    assert_null(strstr(stacked, "The weather service"));
    assert_non_null(strstr(stacked, "Power was back in most homes"));
    pl_bmodel_free(r);
    /* Without its "stack" line, or with a split past the stacked
     * features, or a first model split on a stacked feature: refused. */
    const char *st = strstr(text, "\nstack\n");
    assert_non_null(st);
    size_t body = (size_t)(strstr(text, "checksum ") - text);
    char *edit = strndup(text, body);
    memcpy(edit + (st - text), "\nstick\n", 7);
    struct pl_buf b = s_resummed(edit, body);
    s_refused(b.data, b.len, "no \"stack\" line");
    free(b.data);
    memcpy(edit, text, body);
    char split[32];
    snprintf(split, sizeof(split), "\nstack\ntrees 1 1 0\n%d ", PL_BM_DENSE + 1);
    char *sp = strstr(edit, split);
    assert_non_null(sp);
    char wide[32];
    snprintf(wide, sizeof(wide), "\nstack\ntrees 1 1 0\n%d ", PL_BM_ALL);
    assert_int_equal(strlen(wide), strlen(split));
    memcpy(sp, wide, strlen(wide));
    b = s_resummed(edit, body);
    s_refused(b.data, b.len, "split 1 of 1 is missing, or its feature or cut is out of range");
    free(b.data);
    free(edit);
    free(text);
    ((uint8_t *)m->feat)[0] = PL_BM_DENSE;
    f = open_memstream(&text, &len);
    assert_int_equal(pl_bmodel_write_trees(f, m), 0);
    fclose(f);
    s_refused(text, len, "split 1 of 1 is missing, or its feature or cut is out of range");
    free(text);
    free(first);
    free(stacked);
    pl_bmodel_free(m);
}

/* A page written by script: the markup holds a line, the story is only in
 * its JSON-LD. The declared body is the text, one paragraph a line; not
 * when it is short, nor when it holds markup. */
static void test_a_script_written_page_gives_its_declared_body(void **state)
{
    (void)state;
    char para[200];
    snprintf(para, sizeof(para), "%s",
             "The harbour wall was rebuilt over the winter, and the ferries ran on time all "
             "through March, the port authority said in its report on Friday.");
    struct pl_buf body = { 0 };
    for (int i = 0; i < 6; i++) {
        if (i)
            assert_int_equal(pl_buf_append(&body, "\\n", 2), 0);
        assert_int_equal(pl_buf_append(&body, para, strlen(para)), 0);
    }
    assert_int_equal(pl_buf_terminate(&body), 0);
    const char *shapes[3] = { "%s", "%.100s", "<p>%s</p>" };
    for (int k = 0; k < 3; k++) {
        char inner[2048];
        snprintf(inner, sizeof(inner), shapes[k], body.data);
        char page[4096];
        snprintf(page, sizeof(page),
                 "<html><head><script type=\"application/ld+json\">{\"@type\":"
                 "\"NewsArticle\",\"headline\":\"Harbour\",\"articleBody\":\"%s\"}"
                 "</script></head><body><div id=\"app\"><p>Loading the story, please wait a "
                 "moment while it is fetched.</p></div></body></html>",
                 inner);
        char *text = NULL;
        struct pl_html_meta meta;
        assert_int_equal(pl_html_extract(page, strlen(page), "UTF-8", NULL, &text, &meta), 0);
        if (k == 0) {
            assert_non_null(strstr(text, "the port authority said in its report on Friday.\n\n"
                                         "The harbour wall was rebuilt"));
            assert_null(strstr(text, "Loading the story"));
        } else {
            assert_non_null(strstr(text, "Loading the story"));
            assert_null(strstr(text, "harbour wall"));
        }
        free(text);
        pl_html_meta_free(&meta);
    }
    free(body.data);
}

/* Initialises the clean plugin with options; returns its init code, the
 * message in err. */
static int s_init_clean(const char *options, char *err, size_t n)
{
    char *p = th_path("%s/lib/pressline/clean.so", th_build_dir()), e[1024];
    struct pl_plugin_handle *h = NULL;
    assert_int_equal(pl_plugin_open(p, &h, e, sizeof(e)), 0);
    struct pl_plugin_instance inst;
    int rc = pl_plugin_instance_init(&inst, h, "clean", options, err, n);
    if (rc == 0)
        pl_plugin_instance_fini(&inst);
    pl_plugin_close(&h);
    free(p);
    return rc;
}

static void test_the_plugin_refuses_a_block_model_it_cannot_load(void **state)
{
    (void)state;
    char err[1024] = "", *dir = th_tempdir(), *bad = th_path("%s/bad.model", dir);
    assert_int_equal(s_init_clean("{}", err, sizeof(err)), 0); /* the installed model */
    assert_int_equal(s_init_clean("{\"block_model\": \"\"}", err, sizeof(err)), 0);
    assert_int_not_equal(
        s_init_clean("{\"block_model\": \"/nonexistent/x.model\"}", err, sizeof(err)), 0);
    assert_non_null(strstr(err, "block model /nonexistent/x.model: cannot open"));
    FILE *f = fopen(bad, "w");
    fputs("pressline-blocks 1 3\nthreshold 0 1\n1\n2\n3\nchecksum 0000000000000000\n", f);
    fclose(f);
    char opts[2048];
    snprintf(opts, sizeof(opts), "{\"block_model\": \"%s\"}", bad);
    assert_int_not_equal(s_init_clean(opts, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "checksum mismatch"));
    assert_int_not_equal(s_init_clean("{\"block_model\": 3}", err, sizeof(err)), 0);
    assert_non_null(strstr(err, "must be a file path"));
    th_rmrf(dir);
    free(bad);
    free(dir);
}

int main(void)
{
    xmlInitParser();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_page_gives_its_text_blocks_with_their_features),
        cmocka_unit_test(test_blocks_know_their_shape_and_repeated_text),
        cmocka_unit_test(test_a_model_drops_the_blocks_it_scores_low),
        cmocka_unit_test(test_trees_drop_the_blocks_they_score_low),
        cmocka_unit_test(test_a_model_adds_the_blocks_outside_it_scores_high),
        cmocka_unit_test(test_the_dump_model_drops_and_restores_blocks),
        cmocka_unit_test(test_the_dump_model_has_its_own_stacked_model),
        cmocka_unit_test(test_a_dump_of_too_many_blocks_is_left_to_the_runs),
        cmocka_unit_test(test_a_corrupt_or_foreign_model_file_is_refused),
        cmocka_unit_test(test_a_version_3_file_carries_the_dump_model),
        cmocka_unit_test(test_the_stacked_features_come_from_the_neighbours),
        cmocka_unit_test(test_a_script_written_page_gives_its_declared_body),
        cmocka_unit_test(test_a_stacked_model_judges_a_block_by_its_neighbours),
        cmocka_unit_test(test_the_plugin_refuses_a_block_model_it_cannot_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
