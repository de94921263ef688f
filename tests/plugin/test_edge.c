/* Each plugin on awkward input, called through the real loader. */
#include "cm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errcode.h"
#include "harness.h"
#include "loader.h"
#include "plugin_run.h"
#include "text.h"

static cJSON *s_clean_b64(const char *b64, char *err, size_t n)
{
    char *doc = th_path("{\"source\":{},\"raw_base64\":\"%s\"}", b64);
    cJSON *r = pr_run("clean", NULL, doc, err, n, NULL);
    free(doc);
    return r;
}

/* Runs clean on raw bytes (any encoding) given as a C string of n bytes. */
static cJSON *s_clean_bytes(const char *raw, size_t n, char *err, size_t errn)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *enc = malloc(n / 3 * 4 + 8);
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)raw[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)raw[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)raw[i + 2];
        enc[o++] = tbl[(v >> 18) & 63];
        enc[o++] = tbl[(v >> 12) & 63];
        enc[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        enc[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    enc[o] = '\0';
    cJSON *r = s_clean_b64(enc, err, errn);
    free(enc);
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
    char err[600] = "";
    cJSON *r = s_clean_bytes(raw, strlen(raw), err, sizeof(err));
    assert_non_null(r);
    const char *text = cJSON_GetObjectItem(r, "text")->valuestring;
    assert_non_null(strstr(text, "Caf\xef\xbf\xbd society"));
    assert_int_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(r, "source"), "invalid_utf8")->valueint, 1);
    cJSON_Delete(r);
}

static const char *s_src(const cJSON *r, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "source"), key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void legacy_encodings_are_detected_and_converted(void **st)
{
    (void)st;
    char err[600] = "";
    const char latin1[] = "Le caf\xe9 \xe0 c\xf4t\xe9 de l'h\xf4tel a ferm\xe9 ses portes apr\xe8s "
                          "des ann\xe9"
                          "es de succ\xe8s \xe0 Paris.";
    cJSON *r = s_clean_bytes(latin1, sizeof(latin1) - 1, err, sizeof(err));
    if (!r)
        fail_msg("%s", err);
    assert_non_null(strstr(cJSON_GetObjectItem(r, "text")->valuestring,
                           "caf\xc3\xa9 \xc3\xa0 c\xc3\xb4t\xc3\xa9"));
    assert_true(!strcmp(s_src(r, "encoding"), "ISO-8859-1") ||
                !strcmp(s_src(r, "encoding"), "WINDOWS-1252"));
    cJSON_Delete(r);
    /* KOI8-R Russian. */
    const char koi[] =
        "\xf0\xd2\xc9\xd7\xc5\xd4 \xcd\xc9\xd2! \xeb\xc1\xcb \xc4\xc5\xcc\xc1? \xfe\xd4\xcf "
        "\xce\xcf\xd7\xcf\xc7\xcf \xd7 \xed\xcf\xd3\xcb\xd7\xc5 \xc9 "
        "\xf0\xc5\xd4\xc5\xd2\xc2\xd5\xd2\xc7\xc5.";
    r = s_clean_bytes(koi, sizeof(koi) - 1, err, sizeof(err));
    if (!r)
        fail_msg("%s", err);
    assert_string_equal(s_src(r, "encoding"), "KOI8-R");
    assert_non_null(strstr(cJSON_GetObjectItem(r, "text")->valuestring,
                           "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb5")); /* Москве */
    cJSON_Delete(r);
}

static void utf16_with_a_byte_order_mark_is_read(void **st)
{
    (void)st;
    char err[600] = "";
    const char u16[] = "\xff\xfeH\0e\0l\0l\0o\0 \0w\0o\0r\0l\0d\0.\0";
    cJSON *r = s_clean_bytes(u16, sizeof(u16) - 1, err, sizeof(err));
    if (!r)
        fail_msg("%s", err);
    assert_string_equal(cJSON_GetObjectItem(r, "text")->valuestring, "Hello world.");
    assert_string_equal(s_src(r, "encoding"), "UTF-16LE");
    cJSON_Delete(r);
    const char be[] = "\xfe\xff\0H\0i\0 \0t\0h\0e\0r\0e\0.";
    r = s_clean_bytes(be, sizeof(be) - 1, err, sizeof(err));
    assert_non_null(r);
    assert_string_equal(cJSON_GetObjectItem(r, "text")->valuestring, "Hi there.");
    assert_string_equal(s_src(r, "encoding"), "UTF-16BE");
    cJSON_Delete(r);
}

static void a_json_export_gives_title_text_url_and_date(void **st)
{
    (void)st;
    char err[600] = "";
    cJSON *r = pr_clean_raw("{\"title\":\"Budget passes\",\"url\":\"https://news.example/b\","
                            "\"published\":\"2024-03-01T10:00:00Z\",\"text\":\"The council "
                            "passed the budget on Friday. Critics were not happy.\"}",
                            err, sizeof(err), NULL);
    if (!r)
        fail_msg("%s", err);
    assert_string_equal(s_src(r, "format"), "json");
    assert_string_equal(s_src(r, "url"), "https://news.example/b");
    assert_string_equal(cJSON_GetObjectItem(r, "title")->valuestring, "Budget passes");
    assert_string_equal(cJSON_GetObjectItem(r, "published")->valuestring, "2024-03-01");
    assert_string_equal(cJSON_GetObjectItem(r, "text")->valuestring,
                        "The council passed the budget on Friday. Critics were not happy.");
    cJSON_Delete(r);
    /* With "html" instead of "text": the page's main text. */
    r = pr_clean_raw("{\"title\":\"T\",\"html\":\"<html><body><nav><a href=/>Home</a></nav>"
                     "<article><p>The first paragraph of the story, long enough to count as "
                     "prose.</p></article></body></html>\"}",
                     err, sizeof(err), NULL);
    if (!r)
        fail_msg("%s", err);
    assert_string_equal(cJSON_GetObjectItem(r, "text")->valuestring,
                        "The first paragraph of the story, long enough to count as prose.");
    cJSON_Delete(r);
}

static const char s_page[] =
    "<!DOCTYPE html><html><head><title>Site | Storm hits coast</title>"
    "<meta property=\"og:title\" content=\"Storm hits the coast\">"
    "<meta property=\"article:published_time\" content=\"2025-02-03T08:00:00Z\">"
    "<meta name=\"author\" content=\"Ana Ruiz\">"
    "<link rel=\"canonical\" href=\"https://news.example/storm\">"
    "<script>var tracking = 1;</script><style>p { color: red }</style></head><body>"
    "<header><a href=\"/\">News</a> <a href=\"/sport\">Sport</a></header>"
    "<nav><ul><li><a href=\"/a\">World</a></li><li><a href=\"/b\">Business</a></li></ul></nav>"
    "<div id=\"cookie-banner\">We use cookies to improve your experience. Accept all cookies.</div>"
    "<main><article><h1>Storm hits the coast</h1>"
    "<p>A storm hit the coast overnight, bringing winds of up to 120 km/h and heavy rain to "
    "the region.</p><div class=\"share-bar\"><a href=\"#\">Share on Facebook</a></div>"
    "<p>Thousands of homes lost power, and crews worked through the night to restore it, "
    "the utility said on Monday.</p><h2>Schools closed</h2>"
    "<p>Schools in three districts stayed closed, and officials asked people to avoid travel "
    "until the roads were cleared.</p></article>"
    "<aside><h3>Related articles</h3><ul><li><a href=\"/x\">Earlier storm damages pier</a></li>"
    "</ul></aside><section id=\"comments\"><p>Great article, thanks for writing it, I loved "
    "reading every word!</p></section></main>"
    "<footer><p>Copyright 2025 News Example. All rights reserved. Imprint.</p></footer>"
    "</body></html>";

static void a_web_page_gives_its_article_and_metadata(void **st)
{
    (void)st;
    char err[600] = "";
    cJSON *r = pr_clean_raw(s_page, err, sizeof(err), NULL);
    if (!r)
        fail_msg("%s", err);
    const char *t = cJSON_GetObjectItem(r, "text")->valuestring;
    assert_string_equal(s_src(r, "format"), "html");
    assert_string_equal(s_src(r, "url"), "https://news.example/storm");
    assert_string_equal(cJSON_GetObjectItem(r, "title")->valuestring, "Storm hits the coast");
    assert_string_equal(cJSON_GetObjectItem(r, "published")->valuestring, "2025-02-03");
    assert_string_equal(cJSON_GetObjectItem(r, "author")->valuestring, "Ana Ruiz");
    /* The story, in order, headings kept, the title not repeated. */
    assert_string_equal(t, "A storm hit the coast overnight, bringing winds of up to 120 km/h and "
                           "heavy rain to the region.\n\nThousands of homes lost power, and crews "
                           "worked through the night to restore it, the utility said on "
                           "Monday.\n\nSchools closed\n\nSchools in three districts stayed closed, "
                           "and officials asked people to avoid travel until the roads were "
                           "cleared.");
    cJSON_Delete(r);
}

static void broken_nested_and_nul_filled_pages_do_not_break_clean(void **st)
{
    (void)st;
    char err[600] = "";
    /* Unclosed tags, stray closers, an attribute without quotes. */
    cJSON *r = pr_clean_raw("<html><body><div><p>First paragraph of a page whose markup is "
                            "broken in many ways.<p>Second one, <b>bold <i>both</b> and still "
                            "going.</div></span></td><p class=x>Third paragraph, after stray "
                            "closing tags that match nothing.",
                            err, sizeof(err), NULL);
    if (!r)
        fail_msg("%s", err);
    const char *t = cJSON_GetObjectItem(r, "text")->valuestring;
    assert_non_null(strstr(t, "First paragraph"));
    assert_non_null(strstr(t, "Second one, bold both and still going."));
    assert_non_null(strstr(t, "Third paragraph"));
    cJSON_Delete(r);
    /* 100,000 nested divs around a paragraph. */
    struct pl_buf b = { 0 };
    pl_buf_append(&b, "<html><body>", 12);
    for (int i = 0; i < 100000; i++)
        pl_buf_append(&b, "<div>", 5);
    const char *para = "<p>Deep inside many boxes lies one paragraph of perfectly good text.</p>";
    pl_buf_append(&b, para, strlen(para));
    pl_buf_append(&b, "</body></html>", 14);
    pl_buf_terminate(&b);
    r = pr_clean_raw(b.data, err, sizeof(err), NULL);
    /* libxml2 stops nesting at its depth limit; either text or a reason. */
    assert_true(r != NULL || strlen(err) > 0);
    cJSON_Delete(r);
    free(b.data);
    /* NUL bytes inside a page. */
    const char nul[] = "<html><body><p>Text before a NUL byte\0and after it, in one "
                       "paragraph of a page.</p></body></html>";
    r = s_clean_bytes(nul, sizeof(nul) - 1, err, sizeof(err));
    if (!r)
        fail_msg("%s", err);
    const char *t2 = cJSON_GetObjectItem(r, "text")->valuestring;
    assert_non_null(strstr(t2, "Text before a NUL byte"));
    assert_non_null(strstr(t2, "and after it")); /* libxml2 alone stops at the NUL */
    cJSON_Delete(r);
}

/* Is there a removed entry with this reason whose text starts with start? */
static int s_has_removed(const cJSON *r, const char *reason, const char *start)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(r, "removed"))
    {
        const cJSON *why = cJSON_GetObjectItem(e, "reason"), *t = cJSON_GetObjectItem(e, "text");
        if (cJSON_IsString(why) && cJSON_IsString(t) && !strcmp(why->valuestring, reason) &&
            !strncmp(t->valuestring, start, strlen(start)))
            return 1;
    }
    return 0;
}

/* A heading of comments or related articles after the story ends it, in
 * the languages of the pages; pointers to other articles go line by line;
 * the same words before any story are kept. */
static void what_follows_the_end_of_the_article_goes(void **st)
{
    (void)st;
    char err[600] = "";
    cJSON *r = pr_clean_raw(
        "Stadt plant neuen Radweg\n\nVon Max Muster | 12. Dezember 2022\n\n12.12.2022 | 06:46 "
        "Uhr\n\n"
        "Von Risiken und Nebenwirkungen\n\n"
        "Die Stadt will bis zum Sommer einen neuen Radweg entlang "
        "des Flusses bauen. Der Rat hat am Montag zugestimmt, die Kosten liegen bei zwei "
        "Millionen Euro.\n\nLesen Sie auch: Neue Busse ab Juni\n\nDie Arbeiten beginnen im "
        "April und sollen acht Wochen dauern; der Weg bleibt so lange gesperrt, sagte "
        "die B\xc3\xbcrgermeisterin.\n\n"
        "02.11.2022 - Infoabend - Rathaus\n\n+81 158-23-2012\n\nFoto: Stadtverwaltung\n\n"
        "Kategorie: Verkehr, Stadt\n\nDer Fluss bei Hochwasser im M\xc3\xa4rz. \xc2\xa9 Stadt "
        "Kelby\n\n"
        "Folgen Sie uns auf Instagram und Facebook!\n\nZur\xc3\xbc"
        "ck zu allen Meldungen\n\n"
        "\xc3\x9c"
        "ber den Autor\n\nMax Muster schreibt seit 2010 \xc3\xbc"
        "ber Verkehr.\n\n"
        "Kommentare\n\nSuper Sache, endlich!\n",
        err, sizeof(err), NULL);
    if (!r)
        fail_msg("%s", err);
    const char *t = cJSON_GetObjectItem(r, "text")->valuestring;
    assert_non_null(strstr(t, "sagte die B\xc3\xbcrgermeisterin."));
    assert_null(strstr(t, "Neue Busse"));
    assert_null(strstr(t, "Max Muster"));
    assert_null(strstr(t, "Super Sache"));
    assert_true(s_has_removed(r, "also-read", "Lesen Sie auch"));
    assert_true(s_has_removed(r, "credit", "Foto: Stadtverwaltung"));
    assert_true(s_has_removed(r, "credit", "Der Fluss bei Hochwasser")); /* a caption */
    assert_true(s_has_removed(r, "page-furniture", "Kategorie: Verkehr"));
    assert_true(s_has_removed(r, "byline", "Von Max Muster"));
    assert_non_null(strstr(t, "Von Risiken und Nebenwirkungen")); /* a heading */
    assert_true(s_has_removed(r, "call-to-action", "Folgen Sie uns"));
    assert_true(s_has_removed(r, "page-furniture",
                              "Zur\xc3\xbc"
                              "ck zu allen Meldungen"));
    assert_true(s_has_removed(r, "dateline", "12.12.2022 | 06:46 Uhr"));
    assert_non_null(strstr(t, "02.11.2022 - Infoabend - Rathaus")); /* an event, not a date */
    assert_non_null(strstr(t, "+81 158-23-2012"));                  /* a phone number */
    assert_true(s_has_removed(r, "after-article",
                              "\xc3\x9c"
                              "ber den Autor"));
    cJSON_Delete(r);
    /* A menu's "Kontakt" before the story is not its end, however long
     * the menu. */
    r = pr_clean_raw(
        "Start\n\nAktuelles aus dem Verein\n\nTermine und Veranstaltungen\n\n"
        "Unser Verein\n\nErste Mannschaft\n\nZweite Mannschaft\n\nJugendabteilung\n\n"
        "Sponsoren und Partner\n\nFotos und Videos\n\nPresse und Berichte\n\n"
        "Archiv der Saisons\n\nSatzung und Ordnungen\n\nVorstand und Ansprechpartner\n\n"
        "Mitglied werden\n\nDownloads und Formulare\n\nKontakt\n\nDer Verein "
        "hat am Samstag sein Sommerfest gefeiert, mit mehr als 300 G\xc3\xa4sten, einem "
        "Turnier der Jugend und Musik bis in die Nacht.\n",
        err, sizeof(err), NULL);
    if (!r)
        fail_msg("%s", err);
    assert_non_null(strstr(cJSON_GetObjectItem(r, "text")->valuestring, "Sommerfest"));
    cJSON_Delete(r);
    /* A count of comments over them ends the story too. */
    r = pr_clean_raw("The council approved the new cycle path on Monday, after a debate of three "
                     "hours in which most members spoke for it and the mayor promised a second "
                     "path on the east side of the river by next summer. Work starts in "
                     "April.\n\n3 comments\n\n"
                     "Great news, finally!\n",
                     err, sizeof(err), NULL);
    if (!r)
        fail_msg("%s", err);
    assert_null(strstr(cJSON_GetObjectItem(r, "text")->valuestring, "Great news"));
    assert_true(s_has_removed(r, "after-article", "3 comments"));
    cJSON_Delete(r);
    /* "Comments" before the story is not its end. */
    r = pr_clean_raw("Comments\n\nComments on the new rail timetable arrived by the hundred "
                     "this week, the operator said on Friday, and most of them were about the "
                     "early trains.\n",
                     err, sizeof(err), NULL);
    if (!r)
        fail_msg("%s", err);
    assert_non_null(strstr(cJSON_GetObjectItem(r, "text")->valuestring, "arrived by the hundred"));
    cJSON_Delete(r);
}

/* A standfirst kept in the article's <header>, apart from the body that
 * the scoring picks: first in the text, and only once. */
static void a_standfirst_in_the_article_header_is_kept_once(void **st)
{
    (void)st;
    char err[600] = "";
    cJSON *r = pr_clean_raw(
        "<!DOCTYPE html><html><body><header><a href=/>Site</a></header><main>"
        "<div class=\"box\"><header><h1>Storm hits the coast</h1><p class=\"text-xl\">The "
        "standfirst: a storm hit the coast on Monday, and the town is cleaning up.</p>"
        "</header></div><div class=\"box\"><div class=\"ad\">Advertisement</div>"
        "<div class=\"pagetext\">"
        "<p>First paragraph of the body, with the details of the storm, the wind, and "
        "the rain that fell through the night.</p><p>Second paragraph of the body, on the "
        "damage, the roads, and the people who had to leave their homes.</p><p>Third "
        "paragraph, on the clean-up, the volunteers, and what comes next.</p></div></div>"
        "</main><footer><p>Copyright notice of the site, all rights reserved, "
        "with more words.</p></footer></body></html>",
        err, sizeof(err), NULL);
    if (!r)
        fail_msg("%s", err);
    const char *t = cJSON_GetObjectItem(r, "text")->valuestring;
    const char *lead = strstr(t, "The standfirst");
    if (!lead || lead > strstr(t, "First paragraph") || strstr(lead + 1, "The standfirst"))
        fail_msg("gave: %s", t);
    assert_null(strstr(t, "Copyright"));
    cJSON_Delete(r);
}

/* A page as `w3m -dump` writes it: menus, the story wrapped at 80
 * columns and cut by a box of links, then lists of other articles. The
 * story comes back whole, in paragraphs, under its headline. */
static void a_text_dump_of_a_page_gives_its_story(void **st)
{
    (void)st;
    char err[600] = "";
    cJSON *r = pr_clean_raw(
        "  \xe2\x80\xa2 Home\n  \xe2\x80\xa2 News\n  \xe2\x80\xa2 Sport\n  \xe2\x80\xa2 Weather\n"
        "  \xe2\x80\xa2 Business\n  \xe2\x80\xa2 Culture\n\nSearch\n\nSign in\n\nSubscribe\n\n"
        "Menu\n\nStorm floods the harbour town of Kelby\n\n"
        "The storm that reached the coast on Monday night flooded the lower streets of the\n"
        "harbour town of Kelby, where the water stood a metre deep by morning and two\n"
        "hundred people spent the night in the school hall on the hill above the port.\n\n"
        "Fire crews from three counties pumped out cellars through Tuesday, and the\n"
        "council said the sea wall, built in 1952, had held along most of its length but\n"
        "gave way near the old fish market, where repairs will take several weeks.\n\n"
        "More on this\n\n  \xe2\x80\xa2 Live: the storm hour by hour\n"
        "  \xe2\x80\xa2 Pictures: the flooded harbour\n  \xe2\x80\xa2 Map: where the water rose\n\n"
        "The mayor, Ann Holt, said the town would ask the government for help with the\n"
        "cost, which she put at four million pounds, and thanked the volunteers who had\n"
        "carried sandbags through the night to protect the houses along the quay.\n\n"
        "Forecasters expect calmer weather from Thursday, though the high tides of the\n"
        "weekend could bring the water back to the quay if the wind turns west again.\n\n"
        "Most read\n\n  \xe2\x80\xa2 Ten walks for the winter\n  \xe2\x80\xa2 The best new novels\n"
        "  \xe2\x80\xa2 How to cook a perfect roast\n  \xe2\x80\xa2 Prices rise again in March\n\n"
        "About us\n\nContact\n\nPrivacy\n\nCookies\n\nTerms\n\n\xc2\xa9 2024 Kelby Post\n",
        err, sizeof(err), NULL);
    if (!r)
        fail_msg("%s", err);
    const char *t = cJSON_GetObjectItem(r, "text")->valuestring;
    /* Sentences that cross a wrapped line come back whole. */
    if (!strstr(t, "where the water stood a metre deep by morning and two hundred people") ||
        !strstr(t, "built in 1952, had held along most of its length but gave way") ||
        !strstr(t, "thanked the volunteers who had carried sandbags") ||
        !strstr(t, "if the wind turns west again."))
        fail_msg("story not whole: %s", t);
    static const char *const gone[] = { "Weather",   "Sign in", "Pictures: the flooded",
                                        "Ten walks", "Privacy", "Kelby Post" };
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
        if (strstr(t, gone[i]))
            fail_msg("\"%s\" left in: %s", gone[i], t);
    const cJSON *title = cJSON_GetObjectItem(r, "title");
    assert_true(cJSON_IsString(title));
    assert_string_equal(title->valuestring, "Storm floods the harbour town of Kelby");
    assert_true(s_has_removed(r, "outside-article", "\xe2\x80\xa2 Home"));
    cJSON_Delete(r);
}

/* A dek between the headline and the body, in no header: kept, first. */
static void a_dek_between_headline_and_body_is_kept(void **st)
{
    (void)st;
    char err[600] = "";
    cJSON *r = pr_clean_raw(
        "<!DOCTYPE html><html><body><div class=\"top\"><a href=/>Site</a></div>"
        "<div class=\"wrap\"><h1>Storm hits the coast</h1><p class=\"x\">The dek: a storm "
        "hit the coast on Monday, and the town is cleaning up.</p><p class=\"when\">"
        "Monday</p></div><div class=\"wrap\"><div class=\"box\"><div class=\"pagetext\">"
        "<p>First paragraph of the body, with the details of the storm, the wind, and "
        "the rain that fell through the night.</p><p>Second paragraph of the body, on the "
        "damage, the roads, and the people who had to leave their homes.</p><p>Third "
        "paragraph, on the clean-up, the volunteers, and what comes next.</p></div></div>"
        "</div></body></html>",
        err, sizeof(err), NULL);
    if (!r)
        fail_msg("%s", err);
    const char *t = cJSON_GetObjectItem(r, "text")->valuestring;
    const char *dek = strstr(t, "The dek");
    if (!dek || dek > strstr(t, "First paragraph") || strstr(dek + 1, "The dek"))
        fail_msg("gave: %s", t);
    cJSON_Delete(r);
}

/* Pages in shapes seen in saved pages: each must be read as HTML (not
 * passed on as markup) and give its article. */
static void odd_page_shapes_give_their_article(void **st)
{
    (void)st;
    static const char *const pages[] = {
        /* An XHTML page with its XML declaration first. */
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!DOCTYPE html PUBLIC \"-//W3C//DTD "
        "XHTML 1.0 Strict//EN\" \"x\">\n<HTML><HEAD><TITLE>T</TITLE></HEAD><BODY>"
        "<NAV><A HREF=/>Home</A> <A HREF=/a>About</A></NAV><P>The article paragraph of an "
        "XHTML page in upper-case tags, long enough to read as prose.</P></BODY></HTML>",
        /* Saved without its frame: a style block, then the body's markup. */
        "<style>.a { color: red; }</style>\n<div class=\"story\"><p>The article "
        "paragraph of a page saved without html and body tags, read as prose.</p></div>"
        "<div><p>Another paragraph.</p></div><div><p>And a third one.</p></div>",
        /* A menu whose unclosed <div>s swallow the rest of the page (libxml2
         * nests the article inside the hidden menu). */
        "<!DOCTYPE html><html><body><header><nav><ul class=\"menu\"><li><a href=/>Home</a>"
        "<div class=\"sub-menu hidden\"><div><ul><li><a href=/a>A</a></li></ul></li></ul>"
        "</nav></header><main><article><p>The article paragraph of a page whose menu "
        "leaves its boxes open, so the parser nests this inside it.</p><p>Its second "
        "paragraph, also prose, also to be kept by the extraction, however the page "
        "was built and however the menu above it was left.</p></article></main>"
        "</body></html>",
        /* The whole page inside <noscript>. */
        "<!DOCTYPE html><html><body><noscript><div id=\"page\"><p>The article paragraph "
        "of a page that sits whole inside a noscript element, read as prose.</p><p>A "
        "second paragraph of the same page, so that the page holds some prose.</p><p>And "
        "a third, as the pages that do this are whole articles, not a line.</p></div>"
        "</noscript></body></html>",
    };
    for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        char err[600] = "";
        cJSON *r = pr_clean_raw(pages[i], err, sizeof(err), NULL);
        if (!r)
            fail_msg("page %zu: %s", i, err);
        const char *t = cJSON_GetObjectItem(r, "text")->valuestring;
        if (!strstr(t, "The article paragraph") || strchr(t, '<') || strstr(t, "Home"))
            fail_msg("page %zu gave: %s", i, t);
        assert_string_equal(s_src(r, "format"), "html");
        cJSON_Delete(r);
    }
}

static void a_50_mb_page_is_handled(void **st)
{
    (void)st;
    struct pl_buf b = { 0 };
    pl_buf_append(&b, "<html><body><article>", 21);
    const char *para = "<p>Another paragraph of a very long page, with some words, and a comma "
                       "or two, so it reads like prose.</p>\n";
    while (b.len < 50u << 20)
        pl_buf_append(&b, para, strlen(para));
    pl_buf_append(&b, "</article></body></html>", 24);
    pl_buf_terminate(&b);
    char *doc = malloc(b.len + 64);
    int n = snprintf(doc, b.len + 64, "{\"source\":{},\"raw\":\"%s\"}", b.data);
    assert_true(n > 0);
    for (char *p = doc; *p; p++)
        if (*p == '\n')
            *p = ' ';
    free(b.data);
    char err[600] = "";
    uint64_t t0 = th_now_ms();
    cJSON *r = pr_run("clean", NULL, doc, err, sizeof(err), NULL);
    printf("# 50 MB page: %s in %llu ms\n", r ? "text" : err,
           (unsigned long long)(th_now_ms() - t0));
    assert_true(r != NULL || strlen(err) > 0);
    cJSON_Delete(r);
    free(doc);
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
    assert_null(pr_clean_raw("  \n\t\n   \n", err, sizeof(err), NULL));
    assert_non_null(strstr(err, "no article text"));
    /* A page whose text a script would load: the reason says so. */
    assert_null(pr_clean_raw("<!DOCTYPE html><html><body><nav><a href=/>Home</a></nav>"
                             "<div id=app></div><script>load()</script></body></html>",
                             err, sizeof(err), NULL));
    assert_non_null(strstr(err, "the page holds no paragraphs of text"));
}

static void whitespace_is_normalised_and_nfc_applied(void **st)
{
    (void)st;
    char err[600] = "";
    /* "e" + combining acute must become U+00E9; NBSP and runs of spaces collapse;
     * CRLF line ends are handled. */
    cJSON *r = pr_clean_raw("Title Here\r\n\r\nThe cafe\xcc\x81   opened\xc2\xa0today in town.\r\n",
                            err, sizeof(err), NULL);
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
    cJSON *r = pr_clean_raw("The minister said the talks\nwould continue next week.\n\nA second "
                            "paragraph follows here.",
                            err, sizeof(err), NULL);
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
    cJSON *r =
        pr_run("summarize", NULL,
               "{\"text\":\"Key points:\\n\xe2\x80\xa2 The council approved the new budget on "
               "Monday night.\\n\xe2\x80\xa2 Libraries across the city lose a fifth of their "
               "funding.\\n\xe2\x80\xa2 The mayor promised to review the cuts next year.\"}",
               err, sizeof(err), NULL);
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
    cJSON *r = pr_run("summarize", NULL,
                      "{\"text\":\"The coach spoke after the final whistle on Sunday evening. "
                      "\\\"We played well. The team is ready for the cup final next month. Nobody "
                      "doubts it,\\\" he told reporters in the tunnel. The club confirmed the "
                      "squad for the final will be named on Friday morning.\"}",
                      err, sizeof(err), NULL);
    assert_non_null(r);
    const cJSON *x;
    const char *text = cJSON_GetObjectItem(r, "text")->valuestring;
    int n = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(cJSON_GetObjectItem(r, "summary"), "sentences"))
    {
        const char *t = cJSON_GetObjectItem(x, "text")->valuestring;
        int a = cJSON_GetObjectItem(x, "start")->valueint,
            b = cJSON_GetObjectItem(x, "end")->valueint;
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
    cJSON *r = pr_run("summarize", NULL,
                      "{\"text\":\"Only one sentence is here and it is long enough to count.\"}",
                      err, sizeof(err), NULL);
    assert_non_null(r);
    assert_int_equal(
        cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "summary"), "sentences")), 1);
    cJSON_Delete(r);
    r = pr_run("summarize", NULL, "{\"text\":\"no punctuation at all in this text just words\"}",
               err, sizeof(err), NULL);
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
    cJSON *r = pr_run("summarize", "{\"sentences\":1}", doc, err, sizeof(err), NULL);
    assert_int_equal(
        cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "summary"), "sentences")), 1);
    cJSON_Delete(r);
    r = pr_run("summarize", "{\"ratio\":0.8}", doc, err, sizeof(err), NULL);
    assert_int_equal(
        cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "summary"), "sentences")), 4);
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
    cJSON *r = pr_run("summarize", "{\"sentences\":2}", doc, err, sizeof(err), NULL);
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
    assert_null(pr_run("entities", NULL, "{\"raw\":\"x\"}", err, sizeof(err), NULL));
    assert_non_null(strstr(err, "no \"text\""));
    assert_null(pr_run("summarize", NULL, "[1,2]", err, sizeof(err), NULL));
    assert_non_null(strstr(err, "not a JSON object"));
}

static void a_surname_alone_joins_the_full_name(void **st)
{
    (void)st;
    char err[600] = "";
    cJSON *r = pr_run("entities", NULL,
                      "{\"text\":\"Deputy Assistant Secretary of State Sonata Coulter led the "
                      "team. Later, Coulter said the talks went well. Darchiev and Alexander "
                      "Darchiyev are one man.\"}",
                      err, sizeof(err), NULL);
    assert_non_null(r);
    int found = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(r, "entities"))
    {
        const char *t = cJSON_GetObjectItem(e, "text")->valuestring;
        if (!strcmp(t, "Sonata Coulter")) {
            assert_int_equal(cJSON_GetObjectItem(e, "count")->valueint, 2);
            assert_string_equal(
                cJSON_GetArrayItem(cJSON_GetObjectItem(e, "aliases"), 0)->valuestring, "Coulter");
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
    cJSON *r = pr_run("entities", NULL, doc, err, sizeof(err), NULL);
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
    r = pr_run("entities", NULL, doc, err, sizeof(err), NULL);
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
    assert_int_equal(pl_plugin_instance_init(&inst, h, "entities",
                                             "{\"model\":\"/nonexistent/ner.model\"}", e,
                                             sizeof(e)),
                     PL_EPLUGIN);
    assert_non_null(strstr(e, "cannot open the NER model /nonexistent/ner.model"));
    assert_int_equal(pl_plugin_instance_init(&inst, h, "entities", "{\"model\":5}", e, sizeof(e)),
                     PL_EPLUGIN);
    assert_non_null(strstr(e, "\"model\" must be a file path"));
    assert_int_equal(
        pl_plugin_instance_init(&inst, h, "entities", "{\"huge_pages\":1}", e, sizeof(e)),
        PL_EPLUGIN);
    assert_non_null(strstr(e, "\"huge_pages\" must be true or false"));
    /* Either way the stage starts. */
    assert_int_equal(
        pl_plugin_instance_init(&inst, h, "entities", "{\"huge_pages\":false}", e, sizeof(e)), 0);
    pl_plugin_instance_fini(&inst);
    /* A file that is not a model. */
    assert_int_equal(
        pl_plugin_instance_init(&inst, h, "entities", "{\"model\":\"/etc/passwd\"}", e, sizeof(e)),
        PL_EPLUGIN);
    assert_non_null(strstr(e, "is not a pressline NER model"));
    pl_plugin_close(&h);
    free(p);
}

static void text_without_names_or_content_words_is_handled(void **st)
{
    (void)st;
    char err[600] = "";
    cJSON *r = pr_run("entities", NULL, "{\"text\":\"it was what it was, and that is all.\"}", err,
                      sizeof(err), NULL);
    assert_non_null(r);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "entities")), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "dates")), 0);
    cJSON_Delete(r);
    r = pr_run("summarize", NULL, "{\"text\":\"it was what it was.\"}", err, sizeof(err), NULL);
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
    cJSON *r = pr_run("summarize", NULL, doc, err, sizeof(err), NULL);
    assert_non_null(r);
    cJSON_Delete(r);
    r = pr_run("entities", NULL, doc, err, sizeof(err), NULL);
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
        cmocka_unit_test(legacy_encodings_are_detected_and_converted),
        cmocka_unit_test(utf16_with_a_byte_order_mark_is_read),
        cmocka_unit_test(a_json_export_gives_title_text_url_and_date),
        cmocka_unit_test(a_web_page_gives_its_article_and_metadata),
        cmocka_unit_test(broken_nested_and_nul_filled_pages_do_not_break_clean),
        cmocka_unit_test(odd_page_shapes_give_their_article),
        cmocka_unit_test(a_standfirst_in_the_article_header_is_kept_once),
        cmocka_unit_test(a_dek_between_headline_and_body_is_kept),
        cmocka_unit_test(a_text_dump_of_a_page_gives_its_story),
        cmocka_unit_test(what_follows_the_end_of_the_article_goes),
        cmocka_unit_test(a_50_mb_page_is_handled),
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
