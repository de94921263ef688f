/* The JSON an article carries: first document, final message, error message. */
#include "cm.h"

#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "article.h"
#include "docpatch.h"

static void id_is_the_start_of_the_sha256_of_the_content(void **st)
{
    (void)st;
    struct pl_source src = { 0 };
    pl_content_id("abc", 3, &src);
    assert_string_equal(src.sha256,
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_string_equal(src.id, "ba7816bf8f01cfea");
}

/* Where libcrypto's digest fails, the id is still the content's. */
static void id_is_right_when_libcrypto_fails(void **st)
{
    (void)st;
    struct pl_source src;
    memset(&src, 0x5a, sizeof(src)); /* what the stack may hold */
    pl_article_test_no_libcrypto(true);
    pl_content_id("abc", 3, &src);
    pl_article_test_no_libcrypto(false);
    assert_string_equal(src.sha256,
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_string_equal(src.id, "ba7816bf8f01cfea");
}

static cJSON *s_initial(const char *data, size_t len)
{
    struct pl_source src = { .path = "inbox/a", .name = "a", .bytes = len, .format = "text" };
    pl_content_id(data, len, &src);
    char *out;
    size_t n;
    assert_int_equal(pl_article_initial(&src, "2026-01-01T00:00:00.000Z", data, len, &out, &n), 0);
    cJSON *j = cJSON_Parse(out);
    free(out);
    assert_non_null(j);
    return j;
}

static void valid_utf8_travels_as_raw_and_anything_else_as_base64(void **st)
{
    (void)st;
    cJSON *j = s_initial("caf\xc3\xa9", 5);
    assert_string_equal(cJSON_GetObjectItem(j, "raw")->valuestring, "caf\xc3\xa9");
    assert_null(cJSON_GetObjectItem(j, "raw_base64"));
    cJSON_Delete(j);
    j = s_initial("caf\xe9", 4); /* Latin-1 */
    assert_null(cJSON_GetObjectItem(j, "raw"));
    assert_string_equal(cJSON_GetObjectItem(j, "raw_base64")->valuestring, "Y2Fm6Q==");
    cJSON_Delete(j);
    j = s_initial("a\0b", 3); /* NUL would cut a C string short */
    assert_string_equal(cJSON_GetObjectItem(j, "raw_base64")->valuestring, "YQBi");
    cJSON_Delete(j);
}

/* The first document is written without cJSON: it must be the bytes
 * cJSON printed (the content escaped the same way), so nothing after it
 * changes. */
static void first_document_is_the_bytes_cjson_printed(void **st)
{
    (void)st;
    static const char text[] = "Quote \" back \\ slash / tab\t nl\n cr\r \x01\x1f\x7f "
                               "caf\xc3\xa9 \xe2\x80\x94 end";
    size_t len = sizeof(text) - 1;
    struct pl_source src = { .path = "inbox/a \"b\"", .name = "a \"b\"", .bytes = len };
    pl_content_id(text, len, &src);
    char *out;
    size_t n;
    assert_int_equal(pl_article_initial(&src, "2026-01-01T00:00:00.000Z", text, len, &out, &n), 0);
    cJSON *o = cJSON_CreateObject(), *s = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "schema", PL_SCHEMA_ARTICLE);
    cJSON_AddStringToObject(o, "id", src.id);
    cJSON_AddStringToObject(s, "path", src.path);
    cJSON_AddStringToObject(s, "name", src.name);
    cJSON_AddNumberToObject(s, "bytes", (double)len);
    cJSON_AddStringToObject(s, "sha256", src.sha256);
    cJSON_AddStringToObject(s, "format", "text");
    cJSON_AddItemToObject(o, "source", s);
    cJSON_AddStringToObject(o, "received_at", "2026-01-01T00:00:00.000Z");
    cJSON_AddStringToObject(o, "raw", text);
    char *want = cJSON_PrintUnformatted(o);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
    cJSON_free(want);
    cJSON_Delete(o);
    free(out);
}

static void final_message_has_every_documented_field_and_keeps_extras(void **st)
{
    (void)st;
    const char *doc = "{\"schema\":\"x\",\"id\":\"0123456789abcdef\",\"source\":{},"
                      "\"received_at\":\"t\",\"raw\":\"secret\",\"sentiment\":0.5,\"text\":\"T\"}";
    struct pl_stage_time times[1] = {
        { .name = "clean", .plugin = "clean", .version = "1", .us = 42 }
    };
    char *out;
    size_t n;
    assert_int_equal(pl_article_final(doc, strlen(doc), NULL, 7, "p", times, 1, &out, &n, NULL), 0);
    cJSON *j = cJSON_Parse(out);
    assert_non_null(j);
    const char *want[] = { "schema",       "id",       "seq",   "source",   "received_at",
                           "published_at", "title",    "text",  "language", "published",
                           "removed",      "entities", "dates", "summary",  "keywords",
                           "stages",       "sentiment" };
    const cJSON *it = j->child;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++, it = it->next) {
        assert_non_null(it);
        assert_string_equal(it->string, want[i]); /* and in this order */
    }
    assert_null(it);
    assert_null(cJSON_GetObjectItem(j, "raw"));
    assert_string_equal(cJSON_GetObjectItem(j, "schema")->valuestring, PL_SCHEMA_ARTICLE);
    assert_int_equal(cJSON_GetObjectItem(j, "seq")->valueint, 7);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "title")));
    assert_string_equal(cJSON_GetObjectItem(j, "language")->valuestring, "und");
    assert_int_equal(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "stages"), 0), "us")
            ->valueint,
        42);
    cJSON_Delete(j);
    free(out);
    assert_int_equal(pl_article_final("[1]", 3, NULL, 1, "p", times, 1, &out, &n, NULL), -EINVAL);
}

/* The "story" topic's message is the final message's "story" object, as
 * its bytes stand in the final message: found while that is composed. */
static void final_message_says_where_its_story_object_lies(void **st)
{
    (void)st;
    struct pl_stage_time times[1] = { { .name = "stories", .plugin = "stories", .version = "1" } };
    const char *doc = "{\"id\":\"0123456789abcdef\",\"text\":\"a \\\"story\\\": {}\","
                      "\"story\": {\"id\":3,\"title\":\"T\"} ,\"x\":1}";
    char *out;
    size_t n, story[2] = { 1, 1 };
    assert_int_equal(pl_article_final(doc, strlen(doc), NULL, 1, "p", times, 1, &out, &n, story),
                     0);
    assert_int_equal(story[1], strlen("{\"id\":3,\"title\":\"T\"}"));
    assert_memory_equal(out + story[0], "{\"id\":3,\"title\":\"T\"}", story[1]);
    free(out);
    /* Named twice (no merged document is): the first, as a parser keeps
     * it; when the first is not an object, nothing. */
    const char *twice = "{\"story\":{\"id\":1},\"story\":{\"id\":2}}";
    assert_int_equal(
        pl_article_final(twice, strlen(twice), NULL, 1, "p", times, 1, &out, &n, story), 0);
    assert_int_equal(story[1], strlen("{\"id\":1}"));
    assert_memory_equal(out + story[0], "{\"id\":1}", story[1]);
    free(out);
    const char *first_null = "{\"story\":null,\"story\":{\"id\":2}}";
    assert_int_equal(
        pl_article_final(first_null, strlen(first_null), NULL, 1, "p", times, 1, &out, &n, story),
        0);
    assert_int_equal(story[1], 0);
    free(out);
    /* No story, or one that is not an object: nothing to send. */
    const char *none[] = { "{\"id\":\"0123456789abcdef\",\"text\":\"\\\"story\\\":{}\"}",
                           "{\"id\":\"0123456789abcdef\",\"story\":null}" };
    for (size_t i = 0; i < 2; i++) {
        story[0] = story[1] = 1;
        assert_int_equal(
            pl_article_final(none[i], strlen(none[i]), NULL, 1, "p", times, 1, &out, &n, story), 0);
        assert_int_equal(story[1], 0);
        free(out);
    }
}

/* The writer's way for a document it knows is well-formed: composed from
 * the members the last merge found, with no scan, the same bytes and story
 * slice as the scan gives; members that do not lie in the document are
 * refused rather than read. */
static void final_message_from_the_members_kept_is_the_scanned_one(void **st)
{
    (void)st;
    struct pl_stage_time times[2] = { { .name = "clean", .plugin = "clean", .version = "1" },
                                      { .name = "stories", .plugin = "stories", .version = "2" } };
    const char *docs[] = {
        "{\"schema\":\"x\",\"id\":\"0123456789abcdef\",\"source\":{},\"raw\":\"r\","
        "\"sentiment\":0.5,\"text\":\"T \\\"q\\\"\"}",
        "{\"id\":\"0123456789abcdef\",\"story\": {\"id\":3,\"title\":\"T\"} ,\"x\":[1,{}]}",
        "{}",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        size_t len = strlen(docs[i]);
        struct pl_json_members m = { 0 };
        assert_int_equal(pl_json_members_scan(docs[i], len, &m, NULL, 0), 0);
        char *a, *b;
        size_t na, nb, sa[2], sb[2];
        assert_int_equal(pl_article_final(docs[i], len, NULL, 9, "p", times, 2, &a, &na, sa), 0);
        assert_int_equal(pl_article_final(docs[i], len, &m, 9, "p", times, 2, &b, &nb, sb), 0);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        assert_memory_equal(sa, sb, sizeof(sa));
        free(a);
        free(b);
        /* The same table against a copy of the document: not its members. */
        char *copy = strdup(docs[i]);
        assert_non_null(copy);
        size_t story[2] = { 1, 1 };
        b = NULL;
        assert_int_equal(pl_article_final(copy, len, &m, 9, "p", times, 2, &b, &nb, story),
                         m.n ? -EINVAL : 0);
        if (m.n) {
            assert_null(b);
            assert_int_equal(story[1], 0);
        }
        free(b);
        free(copy);
        pl_json_members_free(&m);
    }
}

static void error_message_names_stage_or_null_for_intake(void **st)
{
    (void)st;
    struct pl_source src = { .path = "inbox/d", .name = "d", .format = "directory" };
    pl_name_id("d", &src);
    char *out;
    size_t n;
    assert_int_equal(pl_article_error(&src, "r", 3, "p", NULL, "is a folder", "failed/d", &out, &n),
                     0);
    cJSON *j = cJSON_Parse(out);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "stage")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "source"), "sha256")));
    assert_string_equal(cJSON_GetObjectItem(j, "reason")->valuestring, "is a folder");
    assert_int_equal(strlen(cJSON_GetObjectItem(j, "id")->valuestring), 16);
    cJSON_Delete(j);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(id_is_the_start_of_the_sha256_of_the_content),
        cmocka_unit_test(id_is_right_when_libcrypto_fails),
        cmocka_unit_test(valid_utf8_travels_as_raw_and_anything_else_as_base64),
        cmocka_unit_test(first_document_is_the_bytes_cjson_printed),
        cmocka_unit_test(final_message_has_every_documented_field_and_keeps_extras),
        cmocka_unit_test(final_message_says_where_its_story_object_lies),
        cmocka_unit_test(final_message_from_the_members_kept_is_the_scanned_one),
        cmocka_unit_test(error_message_names_stage_or_null_for_intake),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
