/* The benchmark's pass-through plugin (bench/passthrough.c), through the
 * real loader: its patch, made from raw's bytes as written, is the one
 * its cJSON way (option "parse") makes, byte for byte, on the first
 * documents the daemon builds. */
#include "cm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "harness.h"
#include "loader.h"

struct pass {
    struct pl_plugin_handle *h;
    struct pl_plugin_instance fast, parse;
};

static int s_setup(void **state)
{
    struct pass *p = calloc(1, sizeof(*p));
    char *path = th_path("%s/bench/passthrough.so", th_build_dir()), e[1024];
    assert_int_equal(pl_plugin_open(path, &p->h, e, sizeof(e)), 0);
    assert_int_equal(pl_plugin_instance_init(&p->fast, p->h, "pass", NULL, e, sizeof(e)), 0);
    assert_int_equal(
        pl_plugin_instance_init(&p->parse, p->h, "pass", "{\"parse\":true}", e, sizeof(e)), 0);
    free(path);
    *state = p;
    return 0;
}

static int s_teardown(void **state)
{
    struct pass *p = *state;
    pl_plugin_instance_fini(&p->fast);
    pl_plugin_instance_fini(&p->parse);
    pl_plugin_close(&p->h);
    free(p);
    return 0;
}

/* The instance's patch for doc, as a new string. */
static char *s_patch(struct pass *p, struct pl_plugin_instance *inst, const char *doc)
{
    char *out = NULL;
    size_t len = 0;
    struct pl_error err = { { 0 } };
    assert_int_equal(p->h->desc->process(inst->state, doc, strlen(doc), &out, &len, &err), 0);
    char *copy = strndup(out, len);
    p->h->desc->release(inst->state, out);
    return copy;
}

static void s_same(struct pass *p, const char *doc)
{
    char *fast = s_patch(p, &p->fast, doc), *parsed = s_patch(p, &p->parse, doc);
    assert_string_equal(fast, parsed);
    free(fast);
    free(parsed);
}

static void its_patch_is_the_one_cjson_makes_for_the_daemons_documents(void **state)
{
    struct pass *p = *state;
    static const char *const texts[] = {
        "",
        "plain",
        "A \"quoted\" title\n\nA back\\slash, a tab\there, a bell \a, caf\xc3\xa9 "
        "\xe2\x82\xac.\r\n",
        "\x01\x1f control characters at the start, and at the end \x7f\x1e",
        "unicode \xf0\x9f\x93\xb0 news, \xe6\x96\xb0\xe9\x97\xbb, and the slash / stays",
        "not UTF-8 \xff\xfe: sent as raw_base64, so no raw at all",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct pl_source src = { .path = "/in/a \"b\".txt",
                                 .name = "a \"b\".txt",
                                 .format = "text" };
        pl_content_id(texts[i], strlen(texts[i]), &src);
        src.bytes = strlen(texts[i]);
        char *doc = NULL;
        size_t len = 0;
        assert_int_equal(pl_article_initial(&src, "2026-12-02T05:00:00.000Z", texts[i],
                                            strlen(texts[i]), &doc, &len),
                         0);
        s_same(p, doc);
        free(doc);
    }
    /* Members after raw, white space between the tokens, raw not a string
     * (left to the cJSON way), nested values holding "raw" as a key. */
    s_same(p, "{ \"a\" : {\"raw\":\"inner\",\"b\":[1,{\"c\":\"]}\"}]} , \"raw\" : \"x\\\"y\" , "
              "\"z\": -1.5e3 }");
    s_same(p, "{\"raw\":null,\"n\":true}");
    s_same(p, "{\"other\":\"no raw here\"}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(its_patch_is_the_one_cjson_makes_for_the_daemons_documents,
                                        s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
