/* The document's top-level slices and the ABI 2 merge of a stage's patch. */
#include "cm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "docpatch.h"

/* Merges patch into doc and checks the result is want, byte for byte. */
static void s_merges_to(const char *doc, const char *patch, const char *want)
{
    char *out = NULL, err[256] = "";
    size_t n = 0;
    int rc = pl_doc_merge(doc, strlen(doc), patch, strlen(patch), &out, &n, err, sizeof(err));
    if (rc != 0)
        fail_msg("merge of %s refused: %s", patch, err);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
    free(out);
}

/* Merges patch into a small document and checks it is refused with a
 * reason containing why. */
static void s_refused(const char *patch, const char *why)
{
    const char *doc = "{\"id\":\"a\",\"text\":\"t\"}";
    char *out = NULL, err[256] = "";
    size_t n = 0;
    assert_int_equal(
        pl_doc_merge(doc, strlen(doc), patch, strlen(patch), &out, &n, err, sizeof(err)), -EINVAL);
    assert_null(out);
    if (!strstr(err, why))
        fail_msg("refusing %s said \"%s\", not \"%s\"", patch, err, why);
}

static void scanner_finds_each_top_level_member_and_its_value_as_written(void **st)
{
    (void)st;
    const char *doc = " { \"a\" : [1, {\"b\": \"}\"}] ,\"c\\\"d\":\"x\\\\\",\"e\":-1.5e+3,"
                      "\"f\":{},\"g\":null } \n";
    struct pl_json_members m = { 0 };
    char err[128];
    assert_int_equal(pl_json_members_scan(doc, strlen(doc), &m, err, sizeof(err)), 0);
    assert_int_equal(m.n, 5);
    assert_int_equal(m.m[0].key_len, 1);
    assert_memory_equal(m.m[0].val, "[1, {\"b\": \"}\"}]", m.m[0].val_len);
    assert_int_equal(m.m[0].val_len, strlen("[1, {\"b\": \"}\"}]"));
    assert_memory_equal(m.m[1].key, "c\\\"d", m.m[1].key_len);
    assert_memory_equal(m.m[1].val, "\"x\\\\\"", m.m[1].val_len);
    assert_memory_equal(m.m[2].val, "-1.5e+3", m.m[2].val_len);
    assert_non_null(pl_json_members_find(&m, "g"));
    assert_null(pl_json_members_find(&m, "h"));
    pl_json_members_free(&m);
}

static void scanner_refuses_what_is_not_one_json_object(void **st)
{
    (void)st;
    static const char *const bad[] = {
        "",
        "[]",
        "\"a\"",
        "{",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{\"a\":1} x",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{a:1}",
        "{\"a\":tru}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\n\"}",
        "{\"a\":[1 2]}",
        "{\"a\":\"\\u12\"}",
        "{\"a\":\"open}",
        "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\udc00\"}",
        "{\"a\":\"\\ud800\\u0041\"}",
        "{\"a\":'x'}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct pl_json_members m = { 0 };
        char err[128] = "";
        if (pl_json_members_scan(bad[i], strlen(bad[i]), &m, err, sizeof(err)) != -EINVAL)
            fail_msg("accepted %s", bad[i]);
        assert_non_null(strstr(err, "at byte"));
        pl_json_members_free(&m);
    }
}

static void scanner_bounds_nesting_and_member_count(void **st)
{
    (void)st;
    size_t depth = PL_DOC_MAX_DEPTH + 5;
    char *deep = malloc(2 * depth + 8), *o = deep;
    memcpy(o, "{\"a\":", 5);
    o += 5;
    for (size_t i = 0; i < depth; i++)
        *o++ = '[';
    for (size_t i = 0; i < depth; i++)
        *o++ = ']';
    *o++ = '}';
    struct pl_json_members m = { 0 };
    char err[128] = "";
    assert_int_equal(pl_json_members_scan(deep, (size_t)(o - deep), &m, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "nesting too deep"));
    free(deep);
    char *wide = malloc(16 * (PL_DOC_MAX_MEMBERS + 2));
    o = wide;
    *o++ = '{';
    for (int i = 0; i <= PL_DOC_MAX_MEMBERS; i++)
        o += snprintf(o, 16, "%s\"k%d\":0", i ? "," : "", i);
    *o++ = '}';
    assert_int_equal(pl_json_members_scan(wide, (size_t)(o - wide), &m, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "too many members"));
    free(wide);
    pl_json_members_free(&m);
}

static void merge_replaces_in_place_appends_new_and_removes_listed(void **st)
{
    (void)st;
    s_merges_to("{\"a\":1,\"b\":\"x\",\"c\":[3]}", "{\"b\":{\"n\":2},\"d\":null}",
                "{\"a\":1,\"b\":{\"n\":2},\"c\":[3],\"d\":null}");
    s_merges_to("{\"raw\":\"r\",\"id\":\"i\"}", "{\"text\":\"r\",\"$remove\":[\"raw\",\"none\"]}",
                "{\"id\":\"i\",\"text\":\"r\"}");
    s_merges_to("{\"a\":1}", "{}", "{\"a\":1}");
    s_merges_to("{\"a\":1}", "{\"$remove\":[\"a\"]}", "{}");
    s_merges_to("{}", " {\"a\" : [ 1 ] } ", "{\"a\":[ 1 ]}");
}

static void merge_refuses_a_patch_the_abi_does_not_allow(void **st)
{
    (void)st;
    s_refused("[1]", "not a JSON object");
    s_refused("{\"a\":1", "not a JSON object");
    s_refused("{\"a\":1,\"a\":2}", "sets \"a\" twice");
    s_refused("{\"$set\":1}", "reserved for the host");
    s_refused("{\"$remove\":\"text\"}", "must be an array of member names");
    s_refused("{\"$remove\":[1]}", "must be an array of member names");
    s_refused("{\"text\":\"u\",\"$remove\":[\"text\"]}", "both sets and removes \"text\"");
    /* Names are compared as written: an escaped one could set a member
     * twice or a '$' name unseen, so escapes in names are refused. */
    s_refused("{\"\\u0074ext\":\"u\"}", "with an escape");
    s_refused("{\"\\u0024remove\":[]}", "with an escape");
    s_refused("{\"$remove\":[\"\\u0074ext\"]}", "with an escape");
    /* A lone surrogate, which cJSON refuses, is refused here, under the
     * stage that wrote it; a pair is fine. */
    s_refused("{\"a\":\"\\udbff\"}", "lone surrogate");
    s_merges_to("{}", "{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"\\ud83d\\ude00\"}");
}

static void merge_refuses_repeats_and_results_beyond_the_member_cap(void **st)
{
    (void)st;
    /* A document holding a name twice (a remote worker can send one) would
     * get the patch's value twice, past the room counted for it. */
    const char *doc = "{\"a\":1,\"a\":2}";
    char *out = NULL, err[256] = "";
    size_t n = 0;
    static const char patch[] = "{\"a\":\"0123456789012345678901234567890123456789\"}";
    assert_int_equal(
        pl_doc_merge(doc, strlen(doc), patch, strlen(patch), &out, &n, err, sizeof(err)), -EINVAL);
    assert_null(out);
    assert_non_null(strstr(err, "holds \"a\" twice"));
    /* "$remove" naming more names than a document may hold says so. */
    size_t cap = 8 * (PL_DOC_MAX_MEMBERS + 2) + 32;
    char *rm = malloc(cap), *o = rm;
    o += snprintf(o, cap, "{\"$remove\":[");
    for (int i = 0; i <= PL_DOC_MAX_MEMBERS; i++)
        o += snprintf(o, 8, "%s\"a\"", i ? "," : "");
    o += snprintf(o, 4, "]}");
    err[0] = '\0';
    const char *small = "{\"id\":\"a\"}";
    assert_int_equal(
        pl_doc_merge(small, strlen(small), rm, (size_t)(o - rm), &out, &n, err, sizeof(err)),
        -EINVAL);
    assert_non_null(strstr(err, "names more than"));
    free(rm);
    /* A document and a patch each within the cap, their union beyond it. */
    size_t wcap = 16 * (PL_DOC_MAX_MEMBERS + 2);
    char *d = malloc(wcap), *p = malloc(wcap);
    char *od = d, *op = p;
    *od++ = '{';
    *op++ = '{';
    for (int i = 0; i < PL_DOC_MAX_MEMBERS / 2 + 1; i++) {
        od += snprintf(od, 16, "%s\"d%d\":0", i ? "," : "", i);
        op += snprintf(op, 16, "%s\"p%d\":0", i ? "," : "", i);
    }
    *od++ = '}';
    *op++ = '}';
    err[0] = '\0';
    assert_int_equal(
        pl_doc_merge(d, (size_t)(od - d), p, (size_t)(op - p), &out, &n, err, sizeof(err)),
        -EINVAL);
    assert_non_null(strstr(err, "more than"));
    free(d);
    free(p);
}

/* The writer's message from slices: the same bytes cJSON printed before
 * (fixed order, defaults, stages, then the extras in document order). */
static void final_message_is_built_from_the_slices_as_cjson_printed_it(void **st)
{
    (void)st;
    const char *doc = "{\"schema\":\"x\",\"id\":\"0123456789abcdef\",\"source\":{\"bytes\":3},"
                      "\"received_at\":\"t\",\"raw\":\"secret\",\"text\":\"caf\xc3\xa9\\n\","
                      "\"story\":{\"id\":1},\"stages\":[],\"duplicate_of\":null}";
    struct pl_stage_time times[2] = {
        { .name = "clean", .plugin = "cl\"ean", .version = "1\n", .us = 42 },
        { .name = "x", .plugin = "p", .version = "v", .us = 0 },
    };
    char *out;
    size_t n;
    assert_int_equal(pl_article_final(doc, strlen(doc), NULL, 7, "P", times, 2, &out, &n, NULL), 0);
    const char *want =
        "{\"schema\":\"pressline/article/1\",\"id\":\"0123456789abcdef\",\"seq\":7,"
        "\"source\":{\"bytes\":3},\"received_at\":\"t\",\"published_at\":\"P\",\"title\":null,"
        "\"text\":\"caf\xc3\xa9\\n\",\"language\":\"und\",\"published\":null,\"removed\":[],"
        "\"entities\":[],\"dates\":[],\"summary\":{\"text\":\"\",\"sentences\":[]},"
        "\"keywords\":[],\"stages\":[{\"name\":\"clean\",\"plugin\":\"cl\\\"ean\","
        "\"version\":\"1\\n\",\"us\":42},{\"name\":\"x\",\"plugin\":\"p\",\"version\":\"v\","
        "\"us\":0}],\"story\":{\"id\":1},\"duplicate_of\":null}";
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
    free(out);
}

/* The byte-at-a-time answer pl_json_plain_prefix must give. */
static size_t s_plain_slow(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (unsigned char)s[i] >= 0x20 && s[i] != '"' && s[i] != '\\')
        i++;
    return i;
}

static void plain_prefix_stops_at_each_byte_a_json_string_must_escape(void **state)
{
    (void)state;
    /* Every byte value at every place of texts of 0 to 40 bytes, around
     * plain ASCII and UTF-8 (high bytes, which stay as they are): the
     * eight-byte steps must stop exactly where the slow scan does. */
    char buf[48];
    const char fill[] = "abc\xc3\xa9 xyz\x7f\xe2\x82\xac~ 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (size_t n = 0; n <= 40; n++) {
        memcpy(buf, fill, n);
        assert_int_equal(pl_json_plain_prefix(buf, n), n);
        for (size_t at = 0; at < n; at++) {
            for (int c = 0; c < 256; c++) {
                memcpy(buf, fill, n);
                buf[at] = (char)c;
                assert_int_equal(pl_json_plain_prefix(buf, n), s_plain_slow(buf, n));
            }
        }
    }
}

/* The same members, at the same places of the same text. */
static void s_same_members(const struct pl_json_members *a, const struct pl_json_members *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t j = 0; j < a->n; j++) {
        assert_ptr_equal(a->m[j].key, b->m[j].key);
        assert_int_equal(a->m[j].key_len, b->m[j].key_len);
        assert_ptr_equal(a->m[j].val, b->m[j].val);
        assert_int_equal(a->m[j].val_len, b->m[j].val_len);
    }
}

/* Skims text as a buffer of exactly its length, so a read past the end
 * is caught by the sanitizers' build. */
static int s_skim(const char *text, size_t n, struct pl_json_members *k)
{
    char *exact = malloc(n ? n : 1);
    memcpy(exact, text, n);
    int rc = pl_json_members_skim(exact, n, k);
    /* Slices as offsets into text, for the caller to compare. */
    for (size_t i = 0; rc == 0 && i < k->n; i++) {
        k->m[i].key = text + (k->m[i].key - exact);
        k->m[i].val = text + (k->m[i].val - exact);
    }
    free(exact);
    return rc;
}

static void skim_finds_what_the_scan_finds_and_keeps_to_the_text(void **st)
{
    (void)st;
    static const char *const good[] = {
        "{}",
        " { } ",
        " { \"a\" : [1, {\"b\": \"}\"}] ,\"c\\\"d\":\"x\\\\\",\"e\":-1.5e+3,"
        "\"f\":{},\"g\":null } \n",
        "{\"text\":\"a \\\"quoted\\\" ] } [ { word, and a long run of plain text here\","
        "\"n\":[[[]],{\"x\":[\"]\",\"\\\\\"]}],\"t\":true,\"z\":0}",
        "{\"e\":\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00\",\"k\":\"\\\\\"}",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        const char *doc = good[i];
        size_t n = strlen(doc);
        struct pl_json_members m = { 0 }, k = { 0 };
        char err[128] = "";
        assert_int_equal(pl_json_members_scan(doc, n, &m, err, sizeof(err)), 0);
        assert_int_equal(s_skim(doc, n, &k), 0);
        s_same_members(&k, &m);
        /* Every shorter text is a broken top level, and refused. */
        for (size_t cut = 0; cut < n; cut++) {
            if (strspn(doc + cut, " \n") == n - cut)
                continue; /* only the white space after the object is cut */
            if (s_skim(doc, cut, &k) != -EINVAL)
                fail_msg("skim accepted the first %zu bytes of %s", cut, doc);
        }
        pl_json_members_free(&m);
        pl_json_members_free(&k);
    }
    /* A broken top level is refused; what is inside a value is not looked
     * at (the writer's full scan is the check there). */
    static const char *const broken[] = { "",         "[]",         "{\"a\"}",
                                          "{\"a\":}", "{\"a\":1,}", "{\"a\":1} x",
                                          "{a:1}",    "{\"a\":[1}", "{\"a\":\"x}" };
    struct pl_json_members k = { 0 };
    for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++)
        if (s_skim(broken[i], strlen(broken[i]), &k) != -EINVAL)
            fail_msg("skim accepted %s", broken[i]);
    const char *inside = "{\"a\":[1,,2],\"b\":tru}";
    assert_int_equal(s_skim(inside, strlen(inside), &k), 0);
    assert_int_equal(k.n, 2);
    assert_int_equal(k.m[1].val_len, 3);
    pl_json_members_free(&k);
    /* The merge skims the document: its top level must hold. */
    char *out = NULL, err[256] = "";
    size_t n = 0;
    const char *bad = "{\"a\":1,\"b\"}";
    assert_int_equal(pl_doc_merge(bad, strlen(bad), "{\"c\":2}", 7, &out, &n, err, sizeof(err)),
                     -EINVAL);
    assert_null(out);
    assert_non_null(strstr(err, "the document given to the stage is not a JSON object"));
}

/* Merging with the members kept from the merge before gives the bytes the
 * plain merge gives, and members that are the result's, as a scan finds
 * them; members that do not lie in the document are refused. */
static void merge_with_kept_members_matches_the_merge_and_scans_as_its_result(void **st)
{
    (void)st;
    static const char *const patches[] = {
        "{\"text\":\"a \\\"b\\\"\",\"$remove\":[\"raw\"]}",
        "{\"entities\":[{\"t\":\"]\"}],\"n\":2}",
        "{\"n\":3,\"$remove\":[\"id\"]}",
        "{}",
    };
    const char *start = "{\"id\":\"x\",\"raw\":\"r\",\"n\":1}";
    char *doc = strdup(start), *plain = strdup(start), err[256] = "";
    size_t len = strlen(doc), plain_len = len;
    struct pl_json_members kept = { 0 }, scanned = { 0 };
    assert_int_equal(pl_json_members_skim(doc, len, &kept), 0);
    for (size_t i = 0; i < sizeof(patches) / sizeof(patches[0]); i++) {
        char *out = NULL, *pout = NULL;
        size_t n = 0, pn = 0;
        struct pl_json_members om = { 0 };
        assert_int_equal(pl_doc_merge_members(doc, len, &kept, patches[i], strlen(patches[i]), &out,
                                              &n, &om, err, sizeof(err)),
                         0);
        assert_int_equal(pl_doc_merge(plain, plain_len, patches[i], strlen(patches[i]), &pout, &pn,
                                      err, sizeof(err)),
                         0);
        assert_string_equal(out, pout);
        assert_int_equal(pl_json_members_scan(out, n, &scanned, err, sizeof(err)), 0);
        s_same_members(&om, &scanned);
        free(doc);
        free(plain);
        pl_json_members_free(&kept);
        doc = out, len = n, kept = om;
        plain = pout, plain_len = pn;
    }
    assert_string_equal(doc, "{\"n\":3,\"text\":\"a \\\"b\\\"\",\"entities\":[{\"t\":\"]\"}]}");
    /* Members of another text are not taken. */
    char *out = NULL;
    size_t n = 0;
    const char *other = "{\"zz\":\"0123456789\"}";
    struct pl_json_members wrong = { 0 };
    assert_int_equal(pl_json_members_skim(other, strlen(other), &wrong), 0);
    assert_int_equal(
        pl_doc_merge_members(doc, len, &wrong, "{}", 2, &out, &n, NULL, err, sizeof(err)), -EINVAL);
    assert_null(out);
    assert_non_null(strstr(err, "not the document's"));
    pl_json_members_free(&wrong);
    pl_json_members_free(&kept);
    pl_json_members_free(&scanned);
    free(doc);
    free(plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scanner_finds_each_top_level_member_and_its_value_as_written),
        cmocka_unit_test(plain_prefix_stops_at_each_byte_a_json_string_must_escape),
        cmocka_unit_test(scanner_refuses_what_is_not_one_json_object),
        cmocka_unit_test(scanner_bounds_nesting_and_member_count),
        cmocka_unit_test(skim_finds_what_the_scan_finds_and_keeps_to_the_text),
        cmocka_unit_test(merge_with_kept_members_matches_the_merge_and_scans_as_its_result),
        cmocka_unit_test(merge_replaces_in_place_appends_new_and_removes_listed),
        cmocka_unit_test(merge_refuses_a_patch_the_abi_does_not_allow),
        cmocka_unit_test(merge_refuses_repeats_and_results_beyond_the_member_cap),
        cmocka_unit_test(final_message_is_built_from_the_slices_as_cjson_printed_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
