/* Each plugin on awkward input, called through the real loader. */
#include "cm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "loader.h"
#include "text.h"

/* Runs one stage on doc. Returns the result (caller deletes) or NULL with
 * the plugin's message in err. */
static cJSON *s_run(const char *plugin, const char *options, const char *doc, char *err, size_t n)
{
    char *p = th_path("%s/lib/pressline/%s.so", th_build_dir(), plugin), e[1024];
    struct pl_plugin_handle *h = NULL;
    assert_int_equal(pl_plugin_open(p, &h, e, sizeof(e)), 0);
    struct pl_plugin_instance inst;
    assert_int_equal(pl_plugin_instance_init(&inst, h, plugin, options, e, sizeof(e)), 0);
    char *out = NULL;
    size_t len = 0;
    struct pl_error perr = { { 0 } };
    cJSON *res = NULL;
    if (h->desc->process(inst.state, doc, strlen(doc), &out, &len, &perr) == 0) {
        res = cJSON_Parse(out);
        h->desc->release(inst.state, out);
    } else {
        snprintf(err, n, "%s", perr.message);
    }
    pl_plugin_instance_fini(&inst);
    pl_plugin_close(&h);
    free(p);
    return res;
}

static cJSON *s_clean_raw(const char *raw, char *err, size_t n)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddObjectToObject(d, "source");
    cJSON_AddStringToObject(d, "raw", raw);
    char *doc = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    cJSON *r = s_run("clean", NULL, doc, err, n);
    free(doc);
    return r;
}

static cJSON *s_clean_b64(const char *b64, char *err, size_t n)
{
    char *doc = th_path("{\"source\":{},\"raw_base64\":\"%s\"}", b64);
    cJSON *r = s_run("clean", NULL, doc, err, n);
    free(doc);
    return r;
}

static void a_few_invalid_bytes_are_replaced_and_counted(void **st)
{
    (void)st;
    /* "Caf\xe9 society met in Paris on Monday and talked for hours about ..." with one
     * stray Latin-1 byte in 200 bytes of text. */
    char raw[400];
    snprintf(raw, sizeof(raw), "Caf\xe9 society met in Paris on Monday. %s",
             "The talks went on for many hours and covered trade, travel, the weather, the "
             "harvest and a great deal more than anyone had planned for the day.");
    /* base64 of raw, computed here to keep the fixture readable */
    char enc[800];
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(raw), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)raw[i] << 16;
        if (i + 1 < n) v |= (unsigned char)raw[i + 1] << 8;
        if (i + 2 < n) v |= (unsigned char)raw[i + 2];
        enc[o++] = tbl[(v >> 18) & 63];
        enc[o++] = tbl[(v >> 12) & 63];
        enc[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        enc[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    enc[o] = '\0';
    char err[600] = "";
    cJSON *r = s_clean_b64(enc, err, sizeof(err));
    assert_non_null(r);
    const char *text = cJSON_GetObjectItem(r, "text")->valuestring;
    assert_non_null(strstr(text, "Caf\xef\xbf\xbd society"));
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "source"), "invalid_utf8")->valueint, 1);
    cJSON_Delete(r);
}

static void mostly_invalid_utf8_is_refused_with_a_reason(void **st)
{
    (void)st;
    /* Latin-1 French: every accent is an invalid byte. "\xe9\xe9\xe9..." */
    char err[600] = "";
    assert_null(s_clean_b64("6enp6enp6enp6enp6enp6enp6enp6enp", err, sizeof(err)));
    assert_non_null(strstr(err, "not UTF-8"));
}

static void binary_data_is_refused_with_a_reason(void **st)
{
    (void)st;
    char err[600] = "";
    /* bytes 00 01 02 ... */
    assert_null(s_clean_b64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", err, sizeof(err)));
    assert_non_null(strstr(err, "binary"));
}

static void whitespace_only_is_refused(void **st)
{
    (void)st;
    char err[600] = "";
    assert_null(s_clean_raw("  \n\t\n   \n", err, sizeof(err)));
    assert_non_null(strstr(err, "no article text"));
}

static void whitespace_is_normalised_and_nfc_applied(void **st)
{
    (void)st;
    char err[600] = "";
    /* "e" + combining acute must become U+00E9; NBSP and runs of spaces collapse;
     * CRLF line ends are handled. */
    cJSON *r = s_clean_raw("Title Here\r\n\r\nThe cafe\xcc\x81   opened\xc2\xa0today in town.\r\n", err,
                           sizeof(err));
    assert_non_null(r);
    assert_string_equal(cJSON_GetObjectItem(r, "text")->valuestring,
                        "The caf\xc3\xa9 opened today in town.");
    assert_string_equal(cJSON_GetObjectItem(r, "title")->valuestring, "Title Here");
    cJSON_Delete(r);
}

static void hard_wrapped_paragraphs_are_joined(void **st)
{
    (void)st;
    char err[600] = "";
    cJSON *r = s_clean_raw("The minister said the talks\nwould continue next week.\n\nA second "
                           "paragraph follows here.", err, sizeof(err));
    assert_non_null(r);
    assert_string_equal(cJSON_GetObjectItem(r, "text")->valuestring,
                        "The minister said the talks would continue next week.\n\nA second "
                        "paragraph follows here.");
    cJSON_Delete(r);
}

/* The summary's sentences as one string, "|" between them. Caller frees. */
static char *s_summary(const cJSON *r)
{
    struct pl_buf b = { 0 };
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(cJSON_GetObjectItem(r, "summary"), "sentences"))
    {
        const char *t = cJSON_GetObjectItem(x, "text")->valuestring;
        if (b.len)
            pl_buf_putc(&b, '|');
        pl_buf_append(&b, t, strlen(t));
    }
    pl_buf_terminate(&b);
    return b.data ? b.data : strdup("");
}

static void a_list_of_bullets_is_summarised_from_its_items(void **st)
{
    (void)st;
    char err[600] = "";
    cJSON *r = s_run("summarize", NULL,
                     "{\"text\":\"Key points:\\n\xe2\x80\xa2 The council approved the new budget on "
                     "Monday night.\\n\xe2\x80\xa2 Libraries across the city lose a fifth of their "
                     "funding.\\n\xe2\x80\xa2 The mayor promised to review the cuts next year.\"}",
                     err, sizeof(err));
    assert_non_null(r);
    char *got = s_summary(r);
    /* No full sentence outside the list: its items are the candidates. */
    assert_non_null(strstr(got, "The council approved the new budget on Monday night."));
    assert_null(strstr(got, "Key points"));
    free(got);
    cJSON_Delete(r);
}

static void quotes_spanning_sentences_give_whole_sentences(void **st)
{
    (void)st;
    char err[600] = "";
    cJSON *r = s_run("summarize", NULL,
                     "{\"text\":\"The coach spoke after the final whistle on Sunday evening. "
                     "\\\"We played well. The team is ready for the cup final next month. Nobody "
                     "doubts it,\\\" he told reporters in the tunnel. The club confirmed the "
                     "squad for the final will be named on Friday morning.\"}",
                     err, sizeof(err));
    assert_non_null(r);
    const cJSON *x;
    const char *text = cJSON_GetObjectItem(r, "text")->valuestring;
    int n = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(cJSON_GetObjectItem(r, "summary"), "sentences"))
    {
        const char *t = cJSON_GetObjectItem(x, "text")->valuestring;
        int a = cJSON_GetObjectItem(x, "start")->valueint, b = cJSON_GetObjectItem(x, "end")->valueint;
        /* Each exactly as it stands in the text, and never a fragment that
         * opens inside the quotation without its quote mark. */
        assert_int_equal((size_t)(b - a), strlen(t));
        assert_memory_equal(text + a, t, strlen(t));
        assert_true(strncmp(t, "Nobody", 6) != 0 && strncmp(t, "The team", 8) != 0);
        n++;
    }
    assert_true(n >= 1 && n <= 3);
    cJSON_Delete(r);
}

static void summary_of_one_sentence_and_of_no_punctuation(void **st)
{
    (void)st;
    char err[600] = "";
    cJSON *r = s_run("summarize", NULL,
                     "{\"text\":\"Only one sentence is here and it is long enough to count.\"}",
                     err, sizeof(err));
    assert_non_null(r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "summary"), "sentences")), 1);
    cJSON_Delete(r);
    r = s_run("summarize", NULL, "{\"text\":\"no punctuation at all in this text just words\"}",
              err, sizeof(err));
    assert_non_null(r);
    const cJSON *sum = cJSON_GetObjectItem(r, "summary");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(sum, "sentences")), 0);
    assert_non_null(cJSON_GetObjectItem(sum, "note"));
    cJSON_Delete(r);
}

static void summary_length_follows_options(void **st)
{
    (void)st;
    char err[600] = "";
    const char *doc = "{\"text\":\"The first sentence says what happened today. The second "
                      "sentence adds some detail to it. The third sentence quotes a witness "
                      "at length. The fourth sentence gives background on the matter. The "
                      "fifth sentence closes the story for now.\"}";
    cJSON *r = s_run("summarize", "{\"sentences\":1}", doc, err, sizeof(err));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "summary"), "sentences")), 1);
    cJSON_Delete(r);
    r = s_run("summarize", "{\"ratio\":0.8}", doc, err, sizeof(err));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "summary"), "sentences")), 4);
    cJSON_Delete(r);
}

static void a_near_repeat_of_a_picked_sentence_is_not_picked(void **st)
{
    (void)st;
    char err[600] = "";
    const char *doc = "{\"title\":\"Council approves city budget\",\"text\":\"The city council "
                      "approved the budget for next year on Monday evening. The city council "
                      "approved the budget for next year on Monday night. Spending on schools "
                      "rises by a tenth under the plan. Critics said the budget ignores the "
                      "housing shortage.\"}";
    cJSON *r = s_run("summarize", "{\"sentences\":2}", doc, err, sizeof(err));
    assert_non_null(r);
    const cJSON *ss = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "summary"), "sentences");
    assert_int_equal(cJSON_GetArraySize(ss), 2);
    const char *second = cJSON_GetObjectItem(cJSON_GetArrayItem(ss, 1), "text")->valuestring;
    assert_null(strstr(second, "Monday night"));
    cJSON_Delete(r);
}

static void stages_without_text_fail_with_a_clear_reason(void **st)
{
    (void)st;
    char err[600] = "";
    assert_null(s_run("entities", NULL, "{\"raw\":\"x\"}", err, sizeof(err)));
    assert_non_null(strstr(err, "no \"text\""));
    assert_null(s_run("summarize", NULL, "[1,2]", err, sizeof(err)));
    assert_non_null(strstr(err, "not a JSON object"));
}

static void a_surname_alone_joins_the_full_name(void **st)
{
    (void)st;
    char err[600] = "";
    cJSON *r = s_run("entities", NULL,
                     "{\"text\":\"Deputy Assistant Secretary of State Sonata Coulter led the "
                     "team. Later, Coulter said the talks went well. Darchiev and Alexander "
                     "Darchiyev are one man.\"}", err, sizeof(err));
    assert_non_null(r);
    int found = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(r, "entities"))
    {
        const char *t = cJSON_GetObjectItem(e, "text")->valuestring;
        if (!strcmp(t, "Sonata Coulter")) {
            assert_int_equal(cJSON_GetObjectItem(e, "count")->valueint, 2);
            assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(e, "aliases"), 0)->valuestring, "Coulter");
            found++;
        }
        if (!strcmp(t, "Alexander Darchiyev")) {
            assert_int_equal(cJSON_GetObjectItem(e, "count")->valueint, 2);
            found++;
        }
    }
    assert_int_equal(found, 2);
    cJSON_Delete(r);
}

/* The value of the date found as `text`, "null", or NULL when not found. */
static const char *s_date_value(const cJSON *r, const char *text)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItem(r, "dates"))
    {
        if (strcmp(cJSON_GetObjectItem(d, "text")->valuestring, text) != 0)
            continue;
        const cJSON *v = cJSON_GetObjectItem(d, "value");
        return cJSON_IsString(v) ? v->valuestring : "null";
    }
    return NULL;
}

static void s_expect_date(const cJSON *r, const char *text, const char *value)
{
    const char *got = s_date_value(r, text);
    if (!got || strcmp(got, value) != 0)
        fail_msg("date \"%s\": value %s, want %s", text, got ? got : "(not found)", value);
}

static void dates_resolve_against_the_article_date_when_there_is_one(void **st)
{
    (void)st;
    static const char text[] =
        "On Monday the council met. The deal of February 12 and the vote of April 10, 2025 "
        "were noted, and the 2025-04-10 memo too. Prices rose last month and fell earlier "
        "this week.";
    char err[600] = "";
    /* 2025-04-10 is a Thursday. */
    char *doc = th_path("{\"published\":\"2025-04-10\",\"text\":\"%s\"}", text);
    cJSON *r = s_run("entities", NULL, doc, err, sizeof(err));
    assert_non_null(r);
    s_expect_date(r, "Monday", "2025-04-07");
    s_expect_date(r, "February 12", "2025-02-12");
    s_expect_date(r, "April 10, 2025", "2025-04-10");
    s_expect_date(r, "2025-04-10", "2025-04-10");
    s_expect_date(r, "last month", "2025-03");
    s_expect_date(r, "earlier this week", "2025-W15");
    /* Dates are not names. */
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(r, "entities"))
        assert_string_equal(cJSON_GetObjectItem(e, "type")->valuestring, "DATE");
    cJSON_Delete(r);
    free(doc);
    /* Without the article's date only absolute dates have a value. */
    doc = th_path("{\"text\":\"%s\"}", text);
    r = s_run("entities", NULL, doc, err, sizeof(err));
    assert_non_null(r);
    s_expect_date(r, "Monday", "null");
    s_expect_date(r, "last month", "null");
    s_expect_date(r, "earlier this week", "null");
    s_expect_date(r, "April 10, 2025", "2025-04-10");
    s_expect_date(r, "2025-04-10", "2025-04-10");
    cJSON_Delete(r);
    free(doc);
}

static void a_missing_or_damaged_model_stops_the_stage_with_the_reason(void **st)
{
    (void)st;
    char *p = th_path("%s/lib/pressline/entities.so", th_build_dir()), e[1024];
    struct pl_plugin_handle *h = NULL;
    assert_int_equal(pl_plugin_open(p, &h, e, sizeof(e)), 0);
    struct pl_plugin_instance inst;
    assert_int_equal(pl_plugin_instance_init(&inst, h, "entities", "{\"model\":\"/nonexistent/ner.model\"}",
                                             e, sizeof(e)), -1);
    assert_non_null(strstr(e, "cannot open the NER model /nonexistent/ner.model"));
    assert_int_equal(pl_plugin_instance_init(&inst, h, "entities", "{\"model\":5}", e, sizeof(e)), -1);
    assert_non_null(strstr(e, "\"model\" must be a file path"));
    /* A file that is not a model. */
    assert_int_equal(pl_plugin_instance_init(&inst, h, "entities", "{\"model\":\"/etc/passwd\"}", e,
                                             sizeof(e)), -1);
    assert_non_null(strstr(e, "is not a pressline NER model"));
    pl_plugin_close(&h);
    free(p);
}

static void text_without_names_or_content_words_is_handled(void **st)
{
    (void)st;
    char err[600] = "";
    cJSON *r = s_run("entities", NULL, "{\"text\":\"it was what it was, and that is all.\"}", err,
                     sizeof(err));
    assert_non_null(r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "entities")), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "dates")), 0);
    cJSON_Delete(r);
    r = s_run("summarize", NULL, "{\"text\":\"it was what it was.\"}", err, sizeof(err));
    assert_non_null(r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "keywords")), 0);
    cJSON_Delete(r);
}

static void a_large_article_is_handled(void **st)
{
    (void)st;
    /* About 1 MB of sentences. */
    size_t n = 0, cap = 1100000;
    char *text = malloc(cap);
    const char *s = "The council met again on Tuesday to discuss the budget for next year. ";
    while (n + strlen(s) + 1 < 1000000) {
        memcpy(text + n, s, strlen(s));
        n += strlen(s);
    }
    text[n] = '\0';
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "text", text);
    char *doc = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    char err[600] = "";
    uint64_t t0 = th_now_ms();
    cJSON *r = s_run("summarize", NULL, doc, err, sizeof(err));
    assert_non_null(r);
    cJSON_Delete(r);
    r = s_run("entities", NULL, doc, err, sizeof(err));
    assert_non_null(r);
    cJSON_Delete(r);
    printf("# 1 MB article: summarize + entities in %llu ms\n",
           (unsigned long long)(th_now_ms() - t0));
    free(doc);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_few_invalid_bytes_are_replaced_and_counted),
        cmocka_unit_test(mostly_invalid_utf8_is_refused_with_a_reason),
        cmocka_unit_test(binary_data_is_refused_with_a_reason),
        cmocka_unit_test(whitespace_only_is_refused),
        cmocka_unit_test(whitespace_is_normalised_and_nfc_applied),
        cmocka_unit_test(hard_wrapped_paragraphs_are_joined),
        cmocka_unit_test(summary_of_one_sentence_and_of_no_punctuation),
        cmocka_unit_test(a_list_of_bullets_is_summarised_from_its_items),
        cmocka_unit_test(quotes_spanning_sentences_give_whole_sentences),
        cmocka_unit_test(summary_length_follows_options),
        cmocka_unit_test(a_near_repeat_of_a_picked_sentence_is_not_picked),
        cmocka_unit_test(stages_without_text_fail_with_a_clear_reason),
        cmocka_unit_test(a_surname_alone_joins_the_full_name),
        cmocka_unit_test(dates_resolve_against_the_article_date_when_there_is_one),
        cmocka_unit_test(a_missing_or_damaged_model_stops_the_stage_with_the_reason),
        cmocka_unit_test(text_without_names_or_content_words_is_handled),
        cmocka_unit_test(a_large_article_is_handled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
