/*
 * The clean, entities and summarize stages take time linear in the
 * article's size: each plugin, dlopen()ed from the build, runs on a text of
 * about 0.5 MB and one four times as long. For entities and summarize the
 * text names many distinct people and companies (the grouping of forms and
 * the surname correction were once quadratic in them, and so was the
 * keyphrase count in the distinct phrases); for clean, paragraphs alternate
 * with short lines in title case (the check for headlines at the very end
 * once rescanned the rest of the text after each). The longer text may cost
 * at most 1.75 times as much per byte as the shorter: before the fixes the
 * stages cost 2 to 4.7 times as much, after them about 1.0 to 1.3 times. The
 * best of three runs is taken, so a busy machine does not fail the test.
 */
#include "cm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "harness.h"
#include "loader.h"
#include "text.h"

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A capitalised made-up word from the number x, distinct for each x. */
static void s_word(struct pl_buf *b, unsigned x)
{
    static const char *const syl[] = { "ka", "ro",  "mi", "ten", "sa", "lu",  "vor", "de",
                                       "ni", "pel", "to", "bra", "zu", "ger", "an",  "os" };
    char w[64];
    size_t n = 0;
    for (int i = 0; i < 4; i++, x /= 16) {
        const char *s = syl[x % 16];
        size_t l = strlen(s);
        memcpy(w + n, s, l);
        n += l;
    }
    w[0] = (char)(w[0] - 'a' + 'A');
    pl_buf_append(b, w, n);
}

/* {"text": ...} of about bytes bytes: news-like sentences naming distinct
 * people, companies and places. Caller frees with cJSON_free. */
static char *s_doc(size_t bytes)
{
    struct pl_buf b = { 0 };
    for (unsigned i = 0; b.len < bytes; i++) {
        unsigned x = i * 2654435761u;
        s_word(&b, x % 65536);
        pl_buf_append(&b, " ", 1);
        s_word(&b, (x >> 16) % 65536);
        pl_buf_append(&b, " said on Monday that ", 21);
        s_word(&b, (x >> 8) % 65536);
        pl_buf_append(&b, " Corp had hired him in ", 23);
        s_word(&b, (i * 40503u) % 65536);
        pl_buf_append(&b, i % 5 == 4 ? " last year.\n\n" : " last year. ", i % 5 == 4 ? 13 : 12);
    }
    pl_buf_terminate(&b);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", b.data);
    char *doc = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    free(b.data);
    return doc;
}

/* {"raw": ...} of about bytes bytes: short lines in title case, each
 * followed by a paragraph of story. Caller frees with cJSON_free. */
static char *s_raw_doc(size_t bytes)
{
    struct pl_buf b = { 0 };
    for (unsigned i = 0; b.len < bytes; i++) {
        s_word(&b, (i * 2654435761u) % 65536);
        pl_buf_append(&b, " Wins The Vote\n\n", 16);
        pl_buf_append(&b, "The council met on Monday and agreed on the plan, officials said.\n\n",
                      67);
    }
    pl_buf_terminate(&b);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "raw", b.data);
    char *doc = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    free(b.data);
    return doc;
}

/* The best of three runs of stage's process() on doc, in seconds. */
static double s_time(const struct pl_plugin_instance *inst, const char *doc)
{
    double best = 1e9;
    for (int r = 0; r < 3; r++) {
        char *out;
        size_t out_len;
        struct pl_error e;
        double t0 = s_now();
        assert_int_equal(inst->desc->process(inst->state, doc, strlen(doc), &out, &out_len, &e), 0);
        double dt = s_now() - t0;
        inst->desc->release(inst->state, out);
        if (dt < best)
            best = dt;
    }
    return best;
}

static void s_check_linear(const char *stage, char *(*make)(size_t))
{
    char *path = th_path("%s/lib/pressline/%s.so", th_build_dir(), stage), err[1024];
    struct pl_plugin_handle *h = NULL;
    struct pl_plugin_instance inst = { 0 };
    assert_int_equal(pl_plugin_open(path, &h, err, sizeof(err)), 0);
    assert_int_equal(pl_plugin_instance_init(&inst, h, stage, NULL, err, sizeof(err)), 0);
    char *small = make(512u << 10), *large = make(2048u << 10);
    double ts = s_time(&inst, small), tl = s_time(&inst, large);
    double ratio = (tl / (double)strlen(large)) / (ts / (double)strlen(small));
    printf("# %s: %.3f s for %zu bytes, %.3f s for %zu bytes: %.2f times the cost per byte\n",
           stage, ts, strlen(small), tl, strlen(large), ratio);
    assert_true(ratio < 1.75);
    cJSON_free(small);
    cJSON_free(large);
    pl_plugin_instance_fini(&inst);
    pl_plugin_close(&h);
    free(path);
}

static void entities_cost_per_byte_does_not_grow_with_size(void **st)
{
    (void)st;
    s_check_linear("entities", s_doc);
}

static void summarize_cost_per_byte_does_not_grow_with_size(void **st)
{
    (void)st;
    s_check_linear("summarize", s_doc);
}

static void clean_cost_per_byte_does_not_grow_with_size(void **st)
{
    (void)st;
    s_check_linear("clean", s_raw_doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(entities_cost_per_byte_does_not_grow_with_size),
        cmocka_unit_test(summarize_cost_per_byte_does_not_grow_with_size),
        cmocka_unit_test(clean_cost_per_byte_does_not_grow_with_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
