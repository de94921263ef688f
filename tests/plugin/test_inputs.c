/* The clean plugin on inputs that look like something else: JSON exports
 * that are cut short or mistyped, text that merely starts with a brace,
 * UTF-16 without its byte-order mark, and binary data with UTF-16's
 * pattern of NUL bytes. Called through the real loader. */
#include "cm.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "errcode.h"
#include "harness.h"
#include "loader.h"
#include "plugin_run.h"

/* Runs clean on n raw bytes, base64-encoded as the daemon does for bytes
 * that hold NUL or are not UTF-8. */
static cJSON *s_clean_bytes(const void *raw, size_t n, char *err, size_t errn, int *rc)
{
    size_t cap = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(cap);
    sodium_bin2base64(b64, cap, raw, n, sodium_base64_VARIANT_ORIGINAL);
    char *doc = th_path("{\"source\":{},\"raw_base64\":\"%s\"}", b64);
    cJSON *r = pr_run("clean", NULL, doc, err, errn, rc);
    free(doc);
    free(b64);
    return r;
}

static const char *s_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static const char *s_src(const cJSON *r, const char *key)
{
    return s_str(cJSON_GetObjectItemCaseSensitive(r, "source"), key);
}

static const char s_export[] =
    "{\"title\": \"Council passes the budget\",\n"
    " \"url\": \"https://news.example/budget\",\n"
    " \"text\": \"The city council passed the budget on Friday after a long debate. "
    "Critics said the plan cuts too deep into the libraries.\"}\n";

static void a_truncated_json_export_fails_saying_where_it_ends(void **st)
{
    (void)st;
    char err[600] = "";
    int rc;
    /* Cut inside the text, as a copy that stopped halfway leaves it. */
    char cut[80];
    snprintf(cut, sizeof(cut), "%.*s", 70, s_export);
    assert_null(pr_clean_raw(cut, err, sizeof(err), &rc));
    assert_int_equal(rc, PL_ESTAGE);
    assert_non_null(strstr(err, "the JSON export is truncated at byte 70"));
    /* Cut after a complete field, the closing brace missing. */
    assert_null(
        pr_clean_raw("{\"title\": \"T\", \"text\": \"Some words here.\"\n", err, sizeof(err), &rc));
    assert_non_null(strstr(err, "truncated at byte"));
    /* Cut after a key, and inside one. */
    assert_null(pr_clean_raw("{\"title\": \"T\", \"text\":", err, sizeof(err), &rc));
    assert_string_equal(err, "the JSON export is truncated at byte 22: a string, object or "
                             "array is still open where the file ends");
    assert_null(pr_clean_raw("{\"title\": \"T\", \"te", err, sizeof(err), &rc));
    assert_non_null(strstr(err, "truncated at byte 18"));
}

static void a_json_export_with_a_wrong_type_fails_naming_the_field(void **st)
{
    (void)st;
    char err[600] = "";
    int rc;
    assert_null(pr_clean_raw("{\"title\": \"Budget\", \"text\": 5}", err, sizeof(err), &rc));
    assert_int_equal(rc, PL_ESTAGE);
    assert_string_equal(err, "the JSON export's \"text\" must be a string, not a number");
    assert_null(pr_clean_raw("{\"html\": [\"<p>x</p>\"]}", err, sizeof(err), &rc));
    assert_string_equal(err, "the JSON export's \"html\" must be a string, not an array");
    assert_null(pr_clean_raw("{\"title\": {\"en\": \"Budget\"}, \"text\": \"The council passed "
                             "the budget on Friday.\"}",
                             err, sizeof(err), &rc));
    assert_string_equal(err, "the JSON export's \"title\" must be a string, not an object");
    /* An export with only metadata has nothing to read the article from. */
    assert_null(pr_clean_raw("{\"title\": \"Budget\", \"url\": \"https://x.example/\"}", err,
                             sizeof(err), &rc));
    assert_non_null(strstr(err, "no \"text\" or \"html\""));
    /* Malformed in the middle: the byte and line are named. */
    assert_null(
        pr_clean_raw("{\"title\": \"Budget\",\n \"text\": \"a\" \"b\"}", err, sizeof(err), &rc));
    assert_non_null(strstr(err, "not valid JSON: unexpected input at byte 34 (line 2)"));
}

static void a_json_export_with_null_metadata_is_read(void **st)
{
    (void)st;
    char err[600] = "";
    int rc;
    cJSON *r = pr_clean_raw("{\"title\": \"Budget passes\", \"author\": null, \"text\": \"The city "
                            "council passed the budget on Friday after a long debate.\"}",
                            err, sizeof(err), &rc);
    if (!r)
        fail_msg("%s", err);
    assert_string_equal(s_src(r, "format"), "json");
    assert_string_equal(s_str(r, "title"), "Budget passes");
    cJSON_Delete(r);
    /* The whole export still reads, as before. */
    r = pr_clean_raw(s_export, err, sizeof(err), &rc);
    if (!r)
        fail_msg("%s", err);
    assert_string_equal(s_src(r, "format"), "json");
    assert_non_null(strstr(s_str(r, "text"), "passed the budget on Friday"));
    cJSON_Delete(r);
}

static void a_text_that_starts_with_a_brace_is_still_text(void **st)
{
    (void)st;
    char err[600] = "";
    int rc;
    const char *texts[] = {
        "{Editor's note: this story was updated on Friday.}\n\nThe city council passed the "
        "budget on Friday after a long debate. Critics said the plan cuts too deep.",
        "{\"We will not give up,\" the mayor said} and the council passed the budget on Friday "
        "after a long debate that ran late into the night.",
        "{ } The council passed the budget on Friday after a long debate that ran late into the "
        "night, and critics said the plan cuts too deep.",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        cJSON *r = pr_clean_raw(texts[i], err, sizeof(err), &rc);
        if (!r)
            fail_msg("text %zu: %s", i, err);
        assert_string_equal(s_src(r, "format"), "text");
        assert_non_null(strstr(s_str(r, "text"), "after a long debate"));
        cJSON_Delete(r);
    }
    /* JSON that is not an article export is read as text, as before. */
    cJSON *r = pr_clean_raw("{\"temperature\": 21, \"city\": \"Oslo\", \"note\": \"The harbour "
                            "was calm on Friday and the ferries ran on time all day.\"}",
                            err, sizeof(err), &rc);
    if (!r)
        fail_msg("%s", err);
    assert_string_equal(s_src(r, "format"), "text");
    cJSON_Delete(r);
}

/* Writes s (ASCII or UTF-8 of Latin-1 characters) as UTF-16 without a mark
 * into out (2 bytes a character); big endian when be. Returns the bytes. */
static size_t s_utf16(const char *s, bool be, unsigned char *out)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned cp = *p;
        if (cp >= 0xc0) { /* a two-byte UTF-8 sequence */
            cp = ((cp & 0x1f) << 6) | (p[1] & 0x3f);
            p++;
        }
        out[o + (be ? 1 : 0)] = (unsigned char)(cp & 0xff);
        out[o + (be ? 0 : 1)] = (unsigned char)(cp >> 8);
        o += 2;
    }
    return o;
}

static void utf16_without_a_byte_order_mark_is_decoded(void **st)
{
    (void)st;
    const char *text = "The caf\xc3\xa9 on the square opened again on Monday.\n\nIts owner "
                       "said the repairs took longer than anyone had planned.";
    unsigned char buf[512];
    char err[600] = "";
    int rc;
    for (int be = 0; be <= 1; be++) {
        size_t n = s_utf16(text, be, buf);
        cJSON *r = s_clean_bytes(buf, n, err, sizeof(err), &rc);
        if (!r)
            fail_msg("%s: %s", be ? "BE" : "LE", err);
        assert_string_equal(s_src(r, "encoding"), be ? "UTF-16BE" : "UTF-16LE");
        assert_non_null(strstr(s_str(r, "text"), "The caf\xc3\xa9 on the square opened again"));
        assert_non_null(strstr(s_str(r, "text"), "took longer than anyone had planned."));
        cJSON_Delete(r);
    }
}

static void binary_data_with_utf16s_nul_pattern_is_still_refused(void **st)
{
    (void)st;
    char err[600] = "";
    int rc;
    /* 16-bit little-endian counters: a NUL in every high byte, like UTF-16
     * of ASCII, but the low bytes are control characters as often as not. */
    unsigned char buf[512];
    for (size_t i = 0; i < sizeof(buf) / 2; i++) {
        buf[2 * i] = (unsigned char)(i * 7);
        buf[2 * i + 1] = 0;
    }
    assert_null(s_clean_bytes(buf, sizeof(buf), err, sizeof(err), &rc));
    assert_non_null(strstr(err, "binary"));
    /* The same, big endian. */
    for (size_t i = 0; i < sizeof(buf) / 2; i++) {
        buf[2 * i] = 0;
        buf[2 * i + 1] = (unsigned char)(i * 7);
    }
    assert_null(s_clean_bytes(buf, sizeof(buf), err, sizeof(err), &rc));
    assert_non_null(strstr(err, "binary"));
    /* NULs in both halves: not UTF-16 at all. */
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = i % 3 ? 0 : (unsigned char)('a' + i % 26);
    assert_null(s_clean_bytes(buf, sizeof(buf), err, sizeof(err), &rc));
    assert_non_null(strstr(err, "binary"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_truncated_json_export_fails_saying_where_it_ends),
        cmocka_unit_test(a_json_export_with_a_wrong_type_fails_naming_the_field),
        cmocka_unit_test(a_json_export_with_null_metadata_is_read),
        cmocka_unit_test(a_text_that_starts_with_a_brace_is_still_text),
        cmocka_unit_test(utf16_without_a_byte_order_mark_is_decoded),
        cmocka_unit_test(binary_data_with_utf16s_nul_pattern_is_still_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
