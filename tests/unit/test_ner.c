/* The name tagger's core (plugins/entities/ner.c): decoding constraints,
 * the model file's checks, and the committed model on plain sentences. */
#include "cm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "errcode.h"
#include "ner.h"
#include "text.h"

static char *s_model_path(void)
{
    return th_path("%s/plugins/entities/ner.model", th_source_dir());
}

/* Whether tags[0..n) is a sequence the decoder may give: every I-X (and
 * L-X) after B-X or I-X, and with BILOU every B-X or I-X followed by I-X or
 * L-X, none at the end. */
static int s_well_formed(const uint8_t *tags, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int prev = i ? tags[i - 1] : 0;
        int open = prev && (!PL_NER_BILOU || pl_ner_tag_goes_on(prev));
        if (tags[i] && !pl_ner_tag_is_b(tags[i]) &&
            (!open || pl_ner_tag_type(prev) != pl_ner_tag_type(tags[i])))
            return 0;
        if (PL_NER_BILOU && pl_ner_tag_goes_on(prev) &&
            (!tags[i] || pl_ner_tag_is_b(tags[i]) ||
             pl_ner_tag_type(prev) != pl_ner_tag_type(tags[i])))
            return 0;
    }
    return !n || !pl_ner_tag_goes_on(tags[n - 1]);
}

static void viterbi_never_puts_inside_without_a_beginning(void **st)
{
    (void)st;
    /* Emissions that want I-PER everywhere: the decoder must open the name
     * with B-PER, or leave it out, never start with I-PER; with BILOU it
     * must close it too. */
    float em[3 * PL_NER_TAGS] = { 0 }, trans[(PL_NER_TAGS + 1) * PL_NER_TAGS] = { 0 };
    float work[2 * 3 * PL_NER_TAGS];
    for (int i = 0; i < 3; i++)
        em[i * PL_NER_TAGS + pl_ner_tag_make(0, PL_NER_KI)] = 10; /* I-PER */
    em[1 * PL_NER_TAGS + pl_ner_tag_make(1, PL_NER_KI)] = 30;     /* I-ORG in the middle */
    uint8_t tags[3];
    pl_ner_viterbi(em, 3, trans, tags, work);
    assert_true(s_well_formed(tags, 3));
    /* B-PER wanted at the end: never left open there. */
    float em2[2 * PL_NER_TAGS] = { 0 };
    em2[PL_NER_TAGS + pl_ner_tag_make(0, PL_NER_KB)] = 10;
    pl_ner_viterbi(em2, 2, trans, tags, work);
    assert_true(s_well_formed(tags, 2));
    /* Every sequence of three tags, scored alike but one: the decoder's
     * choice is well-formed whichever is favoured. */
    for (int a = 0; a < PL_NER_TAGS; a++)
        for (int b = 0; b < PL_NER_TAGS; b++) {
            float e[2 * PL_NER_TAGS] = { 0 };
            e[a] = 5;
            e[PL_NER_TAGS + b] = 5;
            pl_ner_viterbi(e, 2, trans, tags, work);
            assert_true(s_well_formed(tags, 2));
        }
}

static void viterbi_follows_transition_scores(void **st)
{
    (void)st;
    /* Flat emissions; transitions make B-LOC I-LOC (L-LOC with BILOU) the
     * best pair. */
    float em[2 * PL_NER_TAGS] = { 0 }, trans[(PL_NER_TAGS + 1) * PL_NER_TAGS] = { 0 };
    float work[2 * 2 * PL_NER_TAGS];
    int b = pl_ner_tag_make(2, PL_NER_KB), l = pl_ner_tag_make(2, PL_NER_KL);
    trans[PL_NER_TAGS * PL_NER_TAGS + b] = 1; /* start -> B-LOC */
    trans[b * PL_NER_TAGS + l] = 1;           /* B-LOC -> L-LOC */
    uint8_t tags[2];
    pl_ner_viterbi(em, 2, trans, tags, work);
    assert_int_equal(tags[0], b);
    assert_int_equal(tags[1], l);
    /* The span the plugin reads from them: both words. */
    assert_int_equal(pl_ner_span_end(tags, 2, 0), 2);
}

static void spans_are_read_from_bilou_tags(void **st)
{
    (void)st;
    /* U-PER U-PER B-ORG I-ORG L-ORG O: two one-word names, then three words. */
    uint8_t t[6] = { (uint8_t)pl_ner_tag_make(0, PL_NER_KU), (uint8_t)pl_ner_tag_make(0, PL_NER_KU),
                     (uint8_t)pl_ner_tag_make(1, PL_NER_KB), (uint8_t)pl_ner_tag_make(1, PL_NER_KI),
                     (uint8_t)pl_ner_tag_make(1, PL_NER_KL), 0 };
    assert_int_equal(pl_ner_span_end(t, 6, 0), 1);
    assert_int_equal(pl_ner_span_end(t, 6, 1), 2);
    assert_int_equal(pl_ner_span_end(t, 6, 2), 5);
    assert_int_equal(pl_ner_span_end(t, 6, 5), 6);
    assert_int_equal(pl_ner_tag_type(t[4]), 1);
    assert_true(pl_ner_tag_is_b(t[0]) && pl_ner_tag_is_b(t[2]) && !pl_ner_tag_is_b(t[4]));
}

static void a_name_takes_the_type_most_of_its_occurrences_have(void **st)
{
    (void)st;
    /* "US-Russia" three times MISC and once ORG: MISC; "New York" twice
     * LOC and once ORG: names of two words are left alone; "Reset" once ORG
     * and once MISC: no majority, left alone; "Paris" once, alone. */
    static const char *const w[] = { "US-Russia", "US-Russia", "US-Russia", "US-Russia", "New",
                                     "York",      "New",       "York",      "New",       "York",
                                     "Reset",     "Reset",     "Paris",     "and" };
    enum { PER, ORG, LOC, MISC };
    const uint8_t U = PL_NER_KU, B = PL_NER_KB, L = PL_NER_KL;
    const int want_type[] = {
        MISC, MISC, MISC, MISC, LOC, LOC, ORG, ORG, LOC, LOC, ORG, MISC, LOC
    };
    const int got_type[] = { MISC, ORG, MISC, MISC, LOC, LOC, ORG, ORG, LOC, LOC, ORG, MISC, LOC };
    const uint8_t kind[] = { U, U, U, U, B, L, B, L, B, L, U, U, U };
    struct pl_ner_tok tok[14];
    uint8_t tags[14] = { 0 };
    for (size_t i = 0; i < 14; i++) {
        tok[i] = (struct pl_ner_tok){ w[i], (uint32_t)strlen(w[i]), i == 0 };
        if (i < 13)
            tags[i] = (uint8_t)pl_ner_tag_make(got_type[i], kind[i]);
    }
    assert_int_equal(pl_ner_vote(tok, 14, tags), 0);
    for (size_t i = 0; i < 13; i++) {
        assert_int_equal(pl_ner_tag_type(tags[i]), want_type[i]);
        assert_int_equal(tags[i], pl_ner_tag_make(want_type[i], kind[i]));
    }
    assert_int_equal(tags[13], 0);
}

static void s_expect_refused(const char *path, int code, const char *why)
{
    struct pl_ner_model *m = NULL;
    char err[512] = "";
    assert_int_equal(pl_ner_model_open(path, &m, err, sizeof(err)), code);
    assert_null(m);
    if (!strstr(err, path) || !strstr(err, why))
        fail_msg("error \"%s\" should name %s and say \"%s\"", err, path, why);
}

static void damaged_model_files_are_refused_with_the_reason(void **st)
{
    (void)st;
    char *dir = th_tempdir();
    char *p = th_path("%s/m", dir);
    s_expect_refused(p, -ENOENT, "No such file");
    th_write_file(p, "", 0);
    s_expect_refused(p, PL_EINPUT, "too short");
    char junk[200];
    memset(junk, 'x', sizeof(junk));
    th_write_file(p, junk, sizeof(junk));
    s_expect_refused(p, PL_EINPUT, "bad magic");
    /* A model of the other tag scheme (version 1, BIO, before 2026-12-02):
     * refused, saying what to do. */
    memcpy(junk, PL_NER_BILOU ? "PLNER01\n" : "PLNER02\n", 8);
    th_write_file(p, junk, sizeof(junk));
    s_expect_refused(p, PL_EINPUT,
                     PL_NER_BILOU ? "version 1 (BIO tags)" : "version 2 (BILOU tags)");
    /* The real model cut short: the header's size no longer matches. */
    char *real = s_model_path();
    size_t len;
    char *data = th_read_file(real, &len);
    assert_non_null(data);
    th_write_file(p, data, len / 2);
    s_expect_refused(p, PL_EINPUT, "wrong size");
    free(data);
    free(real);
    unlink(p);
    free(p);
    th_rmrf(dir);
    free(dir);
}

/* Tags text with the committed model; returns "word/TAG ..." for the
 * entity tokens. Caller frees. */
static char *s_tag(const struct pl_ner_model *m, const char *text)
{
    struct pl_tokens k = { 0 };
    struct pl_spans sents = { 0 };
    assert_int_equal(pl_tokenize(text, strlen(text), &k), 0);
    assert_int_equal(pl_sentences(text, &k, &sents), 0);
    struct pl_ner_tok *tok = calloc(k.n, sizeof(*tok));
    uint8_t *tags = calloc(k.n, 1);
    for (size_t i = 0; i < k.n; i++)
        tok[i] = (struct pl_ner_tok){ text + k.v[i].start, k.v[i].end - k.v[i].start,
                                      (k.v[i].flags & PL_TF_SENT_START) != 0 || i == 0 };
    struct pl_ner_doc doc;
    assert_int_equal(pl_ner_doc_init(&doc, m, tok, k.n), 0);
    assert_int_equal(pl_ner_tag(&doc, tags), 0);
    /* Written as BIO (L- read as I-, U- as B-), whichever the scheme. */
    static const char *const types[] = { "PER", "ORG", "LOC", "MISC" };
    struct pl_buf b = { 0 };
    for (size_t i = 0; i < k.n; i++) {
        if (!tags[i])
            continue;
        char item[128];
        int n =
            snprintf(item, sizeof(item), "%s%.*s/%c-%s", b.len ? " " : "", (int)tok[i].n, tok[i].s,
                     pl_ner_tag_is_b(tags[i]) ? 'B' : 'I', types[pl_ner_tag_type(tags[i])]);
        pl_buf_append(&b, item, (size_t)n);
    }
    pl_buf_terminate(&b);
    pl_ner_doc_free(&doc);
    free(tok);
    free(tags);
    free(k.v);
    free(sents.v);
    return b.data ? b.data : strdup("");
}

static void committed_model_finds_people_places_and_organisations(void **st)
{
    (void)st;
    char *path = s_model_path();
    struct pl_ner_model *m = NULL;
    char err[512];
    if (pl_ner_model_open(path, &m, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    char *got = s_tag(m, "Angela Merkel met executives of Siemens in Berlin on Tuesday.");
    assert_string_equal(got, "Angela/B-PER Merkel/I-PER Siemens/B-ORG Berlin/B-LOC");
    free(got);
    got = s_tag(m, "The European Union said French farmers would protest in Paris.");
    assert_string_equal(got, "European/B-ORG Union/I-ORG French/B-MISC Paris/B-LOC");
    free(got);
    /* The empty document is no error. */
    struct pl_ner_doc doc;
    assert_int_equal(pl_ner_doc_init(&doc, m, NULL, 0), 0);
    assert_int_equal(pl_ner_tag(&doc, NULL), 0);
    pl_ner_doc_free(&doc);
    pl_ner_model_close(&m);
    assert_null(m);
    free(path);
}

/* The committed model's tables moved into huge pages tag as the file's
 * mapping does; where the kernel has no huge pages, the model stays as it
 * was. */
static void a_model_in_huge_pages_tags_as_the_mapped_file(void **st)
{
    (void)st;
    char *path = s_model_path();
    struct pl_ner_model *m = NULL;
    char err[512];
    if (pl_ner_model_open(path, &m, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    static const char *const texts[] = {
        "Angela Merkel met executives of Siemens in Berlin on Tuesday.",
        "U.S. and Russian delegations met in Istanbul, the State Department said.",
    };
    char *want[2];
    for (size_t i = 0; i < 2; i++)
        want[i] = s_tag(m, texts[i]);
    const void *file = m->map;
    int rc = pl_ner_model_huge(m);
    if (rc == -ENOTSUP) {
        assert_false(m->huge);
        assert_ptr_equal(m->map, file);
    } else {
        assert_int_equal(rc, 0);
        assert_true(m->huge);
        assert_ptr_not_equal(m->map, file);
        assert_int_equal(pl_ner_model_huge(m), 0); /* once is enough */
    }
    for (size_t i = 0; i < 2; i++) {
        char *got = s_tag(m, texts[i]);
        assert_string_equal(got, want[i]);
        free(got);
        free(want[i]);
    }
    pl_ner_model_close(&m);
    free(path);
}

/* A written model without Brown clusters (a NULL table stays NULL) and
 * with weights of every sign tags the same in huge pages; a trainer's
 * model, not opened from a file, is refused as it is. */
static void a_model_without_brown_clusters_moves_into_huge_pages_too(void **st)
{
    (void)st;
    static struct pl_ner_lex lex[16];
    static struct pl_ner_phr phr[16];
    static float trans[(PL_NER_TAGS + 1) * PL_NER_TAGS], wf[(1u << 10) * PL_NER_TAGS];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof(wf) / sizeof(wf[0]); i++) {
        x = x * 1103515245u + 12345u;
        wf[i] = (float)((int)(x >> 16) % 2001 - 1000) / 250.0f;
    }
    for (size_t i = 0; i < sizeof(trans) / sizeof(trans[0]); i++)
        trans[i] = (float)((int)(i * 7 % 11) - 5) / 4.0f;
    struct pl_ner_model w = { .hash_bits = 10, .groups = 0, .stages = 1 };
    w.trans[0] = trans;
    w.wf[0] = wf;
    w.lex = lex;
    w.lex_mask = 15;
    w.phr = phr;
    w.phr_mask = 15;
    w.max_phrase = 1;
    assert_int_equal(pl_ner_model_huge(&w), -EINVAL);
    assert_false(w.huge);
    char *dir = th_tempdir();
    char *path = th_path("%s/plain.model", dir);
    assert_int_equal(pl_ner_model_write(&w, path), 0);
    struct pl_ner_model *m = NULL;
    char err[512];
    if (pl_ner_model_open(path, &m, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_null(m->brown);
    static const char *const text =
        "Angela Merkel met executives of Siemens in Berlin on Tuesday, and U.S. officials "
        "flew to Istanbul. The State Department said talks would go on.";
    char *want = s_tag(m, text);
    /* The weights tag something, so the comparison below can fail. */
    assert_true(strlen(want) > 0);
    int rc = pl_ner_model_huge(m);
    if (rc != -ENOTSUP) {
        assert_int_equal(rc, 0);
        assert_true(m->huge);
    }
    assert_null(m->brown);
    char *got = s_tag(m, text);
    assert_string_equal(got, want);
    free(got);
    free(want);
    pl_ner_model_close(&m);
    unlink(path);
    free(path);
    th_rmrf(dir);
    free(dir);
}

/* A model with only the generated lists' features and a gazetteer of
 * three phrases: "new" (a prefix only), "new york" and "york", both CITY. */
struct list_model {
    struct pl_ner_phr phr[64];
    struct pl_ner_model m;
};

static void s_phr_put(struct list_model *lm, const char *s, uint32_t kinds)
{
    uint64_t key = pl_ner_key(s, strlen(s));
    size_t i = key & 63;
    while (lm->phr[i].key && lm->phr[i].key != key)
        i = (i + 1) & 63;
    lm->phr[i].key = key;
    lm->phr[i].kinds |= kinds;
}

static void s_list_model(struct list_model *lm, unsigned groups)
{
    memset(lm, 0, sizeof(*lm));
    uint32_t city = PL_NER_K_LIST0 << 3;
    assert_string_equal(pl_ner_list_names[3], "CITY");
    s_phr_put(lm, "new", PL_NER_K_PREFIX);
    s_phr_put(lm, "new york", city);
    s_phr_put(lm, "york", city);
    lm->m = (struct pl_ner_model){ .hash_bits = 16, .groups = groups, .stages = 1 };
    lm->m.phr = lm->phr;
    lm->m.phr_mask = 63;
    lm->m.max_phrase = 2;
}

/* The features of each token of words (one sentence), sorted, and how many. */
static size_t s_feats(const struct pl_ner_model *m, const char *const *words, size_t n,
                      uint32_t out[][PL_NER_MAX_FEATS], size_t *count)
{
    struct pl_ner_tok tok[16] = { 0 };
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++)
        tok[i] = (struct pl_ner_tok){ words[i], (uint32_t)strlen(words[i]), i == 0 };
    struct pl_ner_doc doc;
    assert_int_equal(pl_ner_doc_init(&doc, m, tok, n), 0);
    for (size_t i = 0; i < n; i++)
        count[i] = pl_ner_features(&doc, i, 0, out[i]);
    pl_ner_doc_free(&doc);
    return n;
}

static int s_has(const uint32_t *f, size_t n, uint32_t x)
{
    for (size_t i = 0; i < n; i++)
        if (f[i] == x)
            return 1;
    return 0;
}

static void list_matches_are_features_with_their_position_and_length(void **st)
{
    (void)st;
    struct list_model lm;
    s_list_model(&lm, PL_NER_G_LISTS);
    static const char *const a[] = { "He", "left", "New", "York", "today" };
    static const char *const b[] = { "York", "is", "old" };
    static const char *const c[] = { "He", "left", "new", "york", "today" };
    uint32_t fa[5][PL_NER_MAX_FEATS], fb[3][PL_NER_MAX_FEATS], fc[5][PL_NER_MAX_FEATS];
    size_t na[5], nb[3], nc[5];
    s_feats(&lm.m, a, 5, fa, na);
    s_feats(&lm.m, b, 3, fb, nb);
    s_feats(&lm.m, c, 5, fc, nc);
    /* The bias, then: New (B of a two-word match) has its own two and its
     * right neighbour's; York (E) its two and its left neighbour's; the
     * words beside the match one each; "He" none. */
    assert_int_equal(na[0], 1);
    assert_int_equal(na[1], 2);
    assert_int_equal(na[2], 4);
    assert_int_equal(na[3], 4);
    assert_int_equal(na[4], 2);
    /* York alone is a one-word match (S, length 1): not the features of
     * York at the end of "New York", the longer match over it. */
    assert_int_equal(nb[0], 3);
    assert_false(s_has(fa[3], na[3], fb[0][1]));
    /* A match starts at a capitalised word only. */
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(nc[i], 1);
    /* Without the group, none of them. */
    s_list_model(&lm, 0);
    s_feats(&lm.m, a, 5, fa, na);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(na[i], 1);
}

static void cased_clusters_are_looked_up_as_written(void **st)
{
    (void)st;
    static struct pl_ner_lex lex[16];
    static struct pl_ner_phr phr[16];
    /* "Apple" as written has cased clusters; "apple" only lower-cased
     * ones, which this group does not read. */
    uint64_t ck = pl_ner_cased_key("Apple", 5), lk = pl_ner_key("apple", 5);
    assert_int_not_equal(pl_ner_cased_key("apple", 5), lk);
    lex[ck & 15] = (struct pl_ner_lex){ .key = ck, .c = { 1, 2, 3 } };
    assert_int_equal(lex[lk & 15].key, 0);
    lex[lk & 15] = (struct pl_ner_lex){ .key = lk, .c = { 7, 8, 9 } };
    struct pl_ner_model m = { .hash_bits = 10, .groups = PL_NER_G_CCLUSTER, .stages = 1 };
    m.lex = lex;
    m.lex_mask = 15;
    m.phr = phr;
    m.phr_mask = 15;
    m.max_phrase = 1;
    static const char *const words[] = { "Apple", "apple", "Pear" };
    uint32_t f[3][PL_NER_MAX_FEATS];
    size_t n[3];
    s_feats(&m, words, 3, f, n);
    /* The bias and one feature per granularity. */
    assert_int_equal(n[0], 4);
    assert_int_equal(n[1], 4);
    /* "Apple" has its own clusters; "apple" and "Pear" have none alike. */
    size_t shared = 0;
    for (size_t k = 0; k < n[0]; k++)
        shared += (size_t)s_has(f[1], n[1], f[0][k]);
    assert_int_equal(shared, 1); /* the bias */
    for (size_t k = 0; k < n[1]; k++)
        assert_true(s_has(f[2], n[2], f[1][k]));
    /* Without the group, none of them. */
    m.groups = 0;
    s_feats(&m, words, 3, f, n);
    assert_int_equal(n[0], 1);
}

static void brown_paths_travel_in_the_model_file_and_become_features(void **st)
{
    (void)st;
    static struct pl_ner_lex lex[16];
    static struct pl_ner_phr phr[16];
    static struct pl_ner_brown br[16];
    static float trans[(PL_NER_TAGS + 1) * PL_NER_TAGS], wf[(1u << 10) * PL_NER_TAGS];
    uint64_t key = pl_ner_key("paris", 5);
    br[key & 15].key = key;
    br[key & 15].path = 0x2d; /* 101101 */
    br[key & 15].len = 6;
    key = pl_ner_key("rome", 4);
    assert_int_equal(br[key & 15].key, 0);
    br[key & 15].key = key;
    br[key & 15].path = 0x2c; /* 101100: Paris's first five bits */
    br[key & 15].len = 6;
    struct pl_ner_model w = { .hash_bits = 10, .groups = PL_NER_G_BROWN, .stages = 1 };
    w.trans[0] = trans;
    w.wf[0] = wf;
    w.lex = lex;
    w.lex_mask = 15;
    w.phr = phr;
    w.phr_mask = 15;
    w.max_phrase = 1;
    w.brown = br;
    w.brown_mask = 15;
    char *dir = th_tempdir();
    char *path = th_path("%s/brown.model", dir);
    assert_int_equal(pl_ner_model_write(&w, path), 0);
    struct pl_ner_model *m = NULL;
    char err[512];
    if (pl_ner_model_open(path, &m, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_non_null(m->brown);
    assert_int_equal(m->brown_mask, 15);
    static const char *const words[] = { "Paris", "London", "Rome" };
    uint32_t f[3][PL_NER_MAX_FEATS];
    size_t n[3];
    s_feats(m, words, 3, f, n);
    /* Paris and Rome share the prefix of 4 bits, not those of 6 or more. */
    assert_int_equal(f[0][1], f[2][1]);
    for (int k = 2; k <= 4; k++)
        assert_int_not_equal(f[0][k], f[2][k]);
    /* The bias, four prefixes of the word's path, one of each neighbour's. */
    assert_int_equal(n[0], 7);
    assert_int_equal(n[1], 7);
    /* Paris has a path, London none: their prefix features differ. */
    for (int k = 1; k <= 4; k++)
        assert_int_not_equal(f[0][k], f[1][k]);
    /* Paths shorter than a prefix's length give the whole path: the
     * prefixes of 10 and 20 bits of a 6-bit path are the same bits but
     * still distinct features (another template). */
    assert_int_not_equal(f[0][3], f[0][4]);
    pl_ner_model_close(&m);
    /* A table whose size is no power of two is refused. */
    size_t len;
    char *data = th_read_file(path, &len);
    assert_non_null(data);
    uint64_t three = 3;
    memcpy(data + 120, &three, sizeof(three)); /* header: brown_slots */
    th_write_file(path, data, len);
    s_expect_refused(path, PL_EINPUT, "Brown table");
    free(data);
    unlink(path);
    free(path);
    th_rmrf(dir);
    free(dir);
}

/* Features of each token of a document of sentences (words, NULL between
 * sentences), with the first stage's tags s1 (NULL: stage one's features
 * only); returns the tokens' count. */
static size_t s_doc_feats(const struct pl_ner_model *m, const char *const *words, size_t nw,
                          const uint8_t *s1, uint32_t out[][PL_NER_MAX_FEATS], size_t *count)
{
    struct pl_ner_tok tok[32] = { 0 };
    size_t n = 0;
    int start = 1;
    for (size_t i = 0; i < nw && n < 32; i++) {
        if (!words[i]) {
            start = 1;
            continue;
        }
        tok[n++] = (struct pl_ner_tok){ words[i], (uint32_t)strlen(words[i]), (uint8_t)start };
        start = 0;
    }
    struct pl_ner_doc doc;
    assert_int_equal(pl_ner_doc_init(&doc, m, tok, n), 0);
    if (s1)
        assert_int_equal(pl_ner_doc_set_stage1(&doc, s1), 0);
    for (size_t i = 0; i < n; i++)
        count[i] = pl_ner_features(&doc, i, s1 ? 1 : 0, out[i]);
    pl_ner_doc_free(&doc);
    return n;
}

/* A damaged model file whose lexicon has no free slot: a word it lacks is
 * looked up in one pass over the table, not for ever (the alarm fails the
 * test where the lookup would spin). */
static void a_full_lexicon_ends_the_lookup_of_an_unknown_word(void **st)
{
    (void)st;
    static struct pl_ner_lex lex[16];
    for (int i = 0; i < 16; i++)
        lex[i] = (struct pl_ner_lex){ .key = 0x1000u + (uint64_t)i, .c = { 1, 2, 3 }, .freq = 5 };
    struct pl_ner_model m = { .hash_bits = 16, .groups = PL_NER_G_CLUSTER, .stages = 1 };
    m.lex = lex;
    m.lex_mask = 15;
    static const char *const w[] = { "zebra", "crossing", "." };
    uint32_t f[3][PL_NER_MAX_FEATS];
    size_t nf[3];
    alarm(10);
    assert_int_equal(s_doc_feats(&m, w, 3, NULL, f, nf), 3);
    alarm(0);
}

static void a_title_case_line_has_features_of_its_own(void **st)
{
    (void)st;
    struct list_model lm;
    s_list_model(&lm, PL_NER_G_HEAD);
    static const char *const head[] = { "Frozen", "Properties", "and", "Tightened", "Visas" };
    static const char *const stop[] = { "Frozen", "Properties", "and", "Tightened", "Visas", "." };
    static const char *const low[] = { "frozen", "properties", "and", "tightened", "visas" };
    uint32_t fh[6][PL_NER_MAX_FEATS], fs[6][PL_NER_MAX_FEATS], fl[6][PL_NER_MAX_FEATS];
    size_t nh[6], ns[6], nl[6];
    s_doc_feats(&lm.m, head, 5, NULL, fh, nh);
    s_doc_feats(&lm.m, stop, 6, NULL, fs, ns);
    s_doc_feats(&lm.m, low, 5, NULL, fl, nl);
    /* The bias, the sentence's shape and the word's case in cased news;
     * for a capitalised word where capitals are the rule, six more: that
     * case again, the word, two clusters, a suffix and the frequency. */
    assert_int_equal(nh[4], 9);
    assert_int_equal(nh[2], 3); /* "and" */
    assert_int_equal(nl[4], 3); /* lower case: capitals are not the rule */
    /* One shape for the line: the same for two capitalised words inside
     * it; another when it ends in a full stop. */
    assert_int_equal(fh[1][1], fh[4][1]);
    assert_int_not_equal(fh[4][1], fs[4][1]);
    assert_int_not_equal(fh[4][1], fl[4][1]);
    /* Without the group, the bias alone. */
    s_list_model(&lm, 0);
    s_doc_feats(&lm.m, head, 5, NULL, fh, nh);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(nh[i], 1);
}

static void how_often_news_capitalises_a_word_rides_in_the_lexicon(void **st)
{
    (void)st;
    static struct pl_ner_lex lex[16];
    memset(lex, 0, sizeof(lex));
    uint64_t key = pl_ner_key("visas", 5);
    lex[key & 15] = (struct pl_ner_lex){ .key = key, .c = { 1, 2, 3 }, .freq = 5 };
    struct pl_ner_model m = { .hash_bits = 16, .groups = PL_NER_G_CLUSTER, .stages = 1 };
    m.lex = lex;
    m.lex_mask = 15;
    static const char *const w[] = { "Visas" };
    uint32_t a[1][PL_NER_MAX_FEATS], b[1][PL_NER_MAX_FEATS];
    size_t na[1], nb[1];
    s_doc_feats(&m, w, 1, NULL, a, na);
    /* A model made before the class was kept reads freq's low byte as
     * before: its features do not change. */
    lex[key & 15].freq = 1u << 8 | 5;
    s_doc_feats(&m, w, 1, NULL, b, nb);
    assert_int_equal(na[0], nb[0]);
    assert_memory_equal(a[0], b[0], na[0] * sizeof(uint32_t));
    /* With the group, the class is a feature (the third: after the bias
     * and the sentence's shape). */
    m.groups = PL_NER_G_HEAD;
    s_doc_feats(&m, w, 1, NULL, a, na);
    lex[key & 15].freq = 6u << 8 | 5;
    s_doc_feats(&m, w, 1, NULL, b, nb);
    assert_int_equal(na[0], nb[0]);
    assert_int_not_equal(a[0][2], b[0][2]);
}

static void a_title_case_line_reads_its_common_words_in_lower_case(void **st)
{
    (void)st;
    static struct pl_ner_lex lex[16];
    memset(lex, 0, sizeof(lex));
    uint64_t kt = pl_ner_key("tightened", 9), ku = pl_ner_key("ukraine", 7);
    lex[kt & 15] = (struct pl_ner_lex){ .key = kt, .c = { 1, 2, 3 }, .freq = 5 };
    lex[ku & 15] = (struct pl_ner_lex){ .key = ku, .c = { 4, 5, 6 }, .freq = 5 };
    struct pl_ner_model m = { .hash_bits = 16,
                              .groups = PL_NER_G_WORD | PL_NER_G_SHAPE | PL_NER_G_CLUSTER,
                              .stages = 1 };
    m.lex = lex;
    m.lex_mask = 15;
    static const char *const head[] = { "Tightened", "Visas", "Over", "Ukraine" };
    static const char *const figures[] = { "Tightened", "Visas", "Over", "Ukraine", "2024" };
    static const char *const prose[] = { "Visas", "were", "Tightened", "over", "Ukraine", "." };
    uint32_t a[6][PL_NER_MAX_FEATS], b[6][PL_NER_MAX_FEATS];
    size_t na[6], nb[6];
    /* Cased news has not seen the words: every line reads as written. */
    s_doc_feats(&m, head, 4, NULL, a, na);
    /* "tightened" never capitalised mid-sentence, "ukraine" always. */
    lex[kt & 15].freq = 1u << 8 | 5;
    lex[ku & 15].freq = 6u << 8 | 5;
    s_doc_feats(&m, head, 4, NULL, b, nb);
    assert_false(na[0] == nb[0] && !memcmp(a[0], b[0], na[0] * sizeof(uint32_t)));
    assert_int_equal(na[3], nb[3]); /* the name keeps its capital */
    assert_memory_equal(a[3], b[3], na[3] * sizeof(uint32_t));
    /* With figures the line is a table's, and prose is prose: as written. */
    static const char *const *const lines[] = { figures, prose };
    static const size_t nw[] = { 5, 6 }, at[] = { 0, 2 };
    for (size_t l = 0; l < 2; l++) {
        lex[kt & 15].freq = 5;
        s_doc_feats(&m, lines[l], nw[l], NULL, a, na);
        lex[kt & 15].freq = 1u << 8 | 5;
        s_doc_feats(&m, lines[l], nw[l], NULL, b, nb);
        assert_int_equal(na[at[l]], nb[at[l]]);
        assert_memory_equal(a[at[l]], b[at[l]], na[at[l]] * sizeof(uint32_t));
    }
}

static void other_occurrences_lend_their_neighbours_and_first_stage_tags(void **st)
{
    (void)st;
    struct list_model lm;
    s_list_model(&lm, PL_NER_G_NONLOCAL | PL_NER_G_STAGE2);
    lm.m.stages = 2;
    static const char *const w[] = { "Smith", "said", ".",     NULL,  "Mr",  "Smith", "left", ".",
                                     NULL,    "Then", "Smith", "won", "and", "said",  "." };
    uint8_t per_per_o[13] = { 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 };
    uint8_t per_o_o[13] = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
    uint32_t f[16][PL_NER_MAX_FEATS], g[16][PL_NER_MAX_FEATS], h[16][PL_NER_MAX_FEATS];
    size_t n[16], ng[16], nh[16];
    /* Stage one: none of them. */
    assert_int_equal(s_doc_feats(&lm.m, w, 15, NULL, f, n), 13);
    for (size_t i = 0; i < 13; i++)
        assert_int_equal(n[i], 1);
    /* Stage two, against stage two without the group: for a capitalised
     * word, the words and shapes beside each other occurrence (four
     * features each, two occurrences), the share of each type over them
     * (one here: both PER), the type most given before it, the first
     * one's tag. */
    s_doc_feats(&lm.m, w, 15, per_per_o, f, n);
    lm.m.groups &= ~(unsigned)PL_NER_G_NONLOCAL;
    s_doc_feats(&lm.m, w, 15, per_per_o, g, ng);
    assert_int_equal(n[8], ng[8] + 2 * 4 + 3);
    assert_int_equal(n[1], ng[1] + 3);         /* "said" twice: the history, no neighbours */
    assert_int_equal(n[3], ng[3]);             /* "Mr" once: nothing */
    assert_int_equal(n[4], ng[4] + 2 * 4 + 4); /* its others: PER and O, two shares */
    /* "Smith" at 0 sees "Mr" before the one at 4, which does not see it. */
    assert_false(s_has(f[4], n[4], f[0][ng[0]]));
    /* The other occurrences of "Smith" at 8: both PER, or PER and O (two
     * shares; the types given elsewhere, without the group, one more
     * feature too). */
    lm.m.groups |= PL_NER_G_NONLOCAL;
    s_doc_feats(&lm.m, w, 15, per_o_o, h, nh);
    s_doc_feats(&lm.m, w, 15, per_per_o, f, n);
    size_t more = nh[8] - n[8];
    lm.m.groups &= ~(unsigned)PL_NER_G_NONLOCAL;
    s_doc_feats(&lm.m, w, 15, per_o_o, g, ng);
    size_t more_without = ng[8];
    s_doc_feats(&lm.m, w, 15, per_per_o, g, ng);
    more_without -= ng[8];
    assert_int_equal(more, more_without + 1);
    /* The first occurrence's tag: the same feature for the second and the
     * third, another for the first itself (the last feature of each); the
     * type before: none before the first, PER before the second. */
    assert_int_equal(f[4][n[4] - 1], f[8][n[8] - 1]);
    assert_int_not_equal(f[0][n[0] - 1], f[4][n[4] - 1]);
    assert_int_not_equal(f[0][n[0] - 2], f[4][n[4] - 2]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(viterbi_never_puts_inside_without_a_beginning),
        cmocka_unit_test(viterbi_follows_transition_scores),
        cmocka_unit_test(spans_are_read_from_bilou_tags),
        cmocka_unit_test(a_name_takes_the_type_most_of_its_occurrences_have),
        cmocka_unit_test(damaged_model_files_are_refused_with_the_reason),
        cmocka_unit_test(committed_model_finds_people_places_and_organisations),
        cmocka_unit_test(a_model_in_huge_pages_tags_as_the_mapped_file),
        cmocka_unit_test(a_model_without_brown_clusters_moves_into_huge_pages_too),
        cmocka_unit_test(list_matches_are_features_with_their_position_and_length),
        cmocka_unit_test(brown_paths_travel_in_the_model_file_and_become_features),
        cmocka_unit_test(cased_clusters_are_looked_up_as_written),
        cmocka_unit_test(a_title_case_line_has_features_of_its_own),
        cmocka_unit_test(a_full_lexicon_ends_the_lookup_of_an_unknown_word),
        cmocka_unit_test(how_often_news_capitalises_a_word_rides_in_the_lexicon),
        cmocka_unit_test(a_title_case_line_reads_its_common_words_in_lower_case),
        cmocka_unit_test(other_occurrences_lend_their_neighbours_and_first_stage_tags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
