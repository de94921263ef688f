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

static void viterbi_never_puts_inside_without_a_beginning(void **st)
{
    (void)st;
    /* Emissions that want I-PER everywhere: the decoder must open the name
     * with B-PER, or leave it out, never start with I-PER. */
    float em[3 * PL_NER_TAGS] = { 0 }, trans[(PL_NER_TAGS + 1) * PL_NER_TAGS] = { 0 };
    float work[2 * 3 * PL_NER_TAGS];
    for (int i = 0; i < 3; i++)
        em[i * PL_NER_TAGS + 2] = 10; /* I-PER */
    em[1 * PL_NER_TAGS + 4] = 30;     /* I-ORG in the middle */
    uint8_t tags[3];
    pl_ner_viterbi(em, 3, trans, tags, work);
    for (int i = 0; i < 3; i++) {
        int prev = i ? tags[i - 1] : PL_NER_TAGS;
        if (tags[i] && !pl_ner_tag_is_b(tags[i]))
            assert_true(prev != PL_NER_TAGS && prev != 0 &&
                        pl_ner_tag_type(prev) == pl_ner_tag_type(tags[i]));
    }
}

static void viterbi_follows_transition_scores(void **st)
{
    (void)st;
    /* Flat emissions; transitions make B-LOC I-LOC the best pair. */
    float em[2 * PL_NER_TAGS] = { 0 }, trans[(PL_NER_TAGS + 1) * PL_NER_TAGS] = { 0 };
    float work[2 * 2 * PL_NER_TAGS];
    trans[PL_NER_TAGS * PL_NER_TAGS + 5] = 1; /* start -> B-LOC */
    trans[5 * PL_NER_TAGS + 6] = 1;           /* B-LOC -> I-LOC */
    uint8_t tags[2];
    pl_ner_viterbi(em, 2, trans, tags, work);
    assert_int_equal(tags[0], 5);
    assert_int_equal(tags[1], 6);
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
    static const char *const names[] = { "O",     "B-PER", "I-PER",  "B-ORG", "I-ORG",
                                         "B-LOC", "I-LOC", "B-MISC", "I-MISC" };
    struct pl_buf b = { 0 };
    for (size_t i = 0; i < k.n; i++) {
        if (!tags[i])
            continue;
        char item[128];
        int n = snprintf(item, sizeof(item), "%s%.*s/%s", b.len ? " " : "", (int)tok[i].n, tok[i].s,
                         names[tags[i]]);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(viterbi_never_puts_inside_without_a_beginning),
        cmocka_unit_test(viterbi_follows_transition_scores),
        cmocka_unit_test(damaged_model_files_are_refused_with_the_reason),
        cmocka_unit_test(committed_model_finds_people_places_and_organisations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
