/*
 * clean: raw article bytes in, clean UTF-8 text out.
 *
 * Reads the document's "raw" (UTF-8 text) or "raw_base64" (bytes that were
 * not valid UTF-8 or held NUL) field, refuses binary data, replaces invalid
 * UTF-8 (counted), normalises to NFC and whitespace, finds the title and
 * removes the boilerplate scraped pages carry: "Also Read" lines and blocks,
 * "Recent News" teasers, lists of unrelated headlines after the story, agency
 * credits and date prefixes. Every removal is listed in "removed" with its
 * reason. Sets title, text, language, published (when a date prefix gave one),
 * removed, source.invalid_utf8; drops raw/raw_base64.
 *
 * This file is the plugin: its descriptor, its options and the order of
 * the phases. The phases live in the pl_extract library: decode.h (bytes to
 * UTF-8), export.h (JSON exports), html.h (web pages), blocks.h (lines and
 * paragraphs), rules.h (title and boilerplate), dump.h (text dumps of
 * pages), output.h (the output document), lang.h (language).
 *
 * Thread-safe: all state is read-only after init.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <utf8proc.h>

#include "blocks.h"
#include "bmodel.h"
#include "decode.h"
#include "docjson.h"
#include "export.h"
#include "html.h"
#include "judge.h"
#include "output.h"
#include "rules.h"
#include "text.h"

struct clean_state {
    double max_invalid_ratio; /* share of bytes that may be invalid UTF-8 */
    double max_control_ratio; /* share of bytes that may be control chars */
    int min_headline_run;     /* headline-like lines in a row that form a list */
    struct pl_bmodel *model;  /* the block classifier of the HTML path, or NULL */
};

/* --- plugin ------------------------------------------------------------- */

/* Option "block_model": a path, "" for none (the rules alone), absent for
 * the model installed with the plugin. A model that cannot be loaded is a
 * configuration error, so a typo never silently turns the classifier off. */
static int s_load_model(const cJSON *o, struct clean_state *st, struct pl_error *err)
{
    const cJSON *mp = cJSON_GetObjectItemCaseSensitive(o, "block_model");
    if (mp && !cJSON_IsString(mp)) {
        pl_fail(err, "clean: option \"block_model\" must be a file path (a string; \"\" for none)");
        return -EINVAL;
    }
    char path[PATH_MAX];
    if (mp && !*mp->valuestring)
        return 0;
    if (mp)
        snprintf(path, sizeof(path), "%s", mp->valuestring);
    else if (pl_plugin_file((const void *)&s_load_model, "blocks.model", path, sizeof(path)) != 0) {
        pl_fail(err, "clean: cannot find the plugin's own folder for its block model; "
                     "set the option \"block_model\"");
        return -EINVAL;
    }
    char why[PATH_MAX + 128];
    int rc = pl_bmodel_load(path, &st->model, why, sizeof(why));
    if (rc == -ENOMEM) {
        pl_fail(err, "clean: out of memory");
        return rc;
    }
    if (rc != 0) {
        pl_fail(err, "clean: block model %s: %s", path, why);
        return -EINVAL;
    }
    return 0;
}

static int s_init(const struct pl_host *host, const char *options_json, void **state,
                  struct pl_error *err)
{
    (void)host;
    xmlInitParser(); /* once, before worker threads parse pages */
    static const char *const keys[] = { "max_invalid_ratio", "max_control_ratio",
                                        "min_headline_run", "block_model", NULL };
    cJSON *o = pl_options_parse(options_json, err);
    if (!o)
        return -EINVAL;
    struct clean_state *st = calloc(1, sizeof(*st));
    if (!st) {
        cJSON_Delete(o);
        pl_fail(err, "clean: out of memory");
        return -ENOMEM;
    }
    st->max_invalid_ratio = PL_CLEAN_MAX_INVALID_RATIO;
    st->max_control_ratio = PL_CLEAN_MAX_CONTROL_RATIO;
    st->min_headline_run = PL_CLEAN_MIN_HEADLINE_RUN;
    if (pl_options_check_keys(o, "clean", keys, err) != 0)
        goto fail;
    double run = st->min_headline_run;
    if (pl_options_number(o, "clean", "max_invalid_ratio", 0, 1, false, &st->max_invalid_ratio,
                          err) ||
        pl_options_number(o, "clean", "max_control_ratio", 0, 1, false, &st->max_control_ratio,
                          err) ||
        pl_options_number(o, "clean", "min_headline_run", 2, 100, true, &run, err))
        goto fail;
    st->min_headline_run = (int)run;
    if (s_load_model(o, st, err) != 0)
        goto fail;
    cJSON_Delete(o);
    *state = st;
    return 0;
fail:
    cJSON_Delete(o);
    pl_bmodel_free(st->model);
    free(st);
    return -EINVAL;
}

static void s_fini(void *state)
{
    struct clean_state *st = state;
    if (st)
        pl_bmodel_free(st->model);
    free(st);
}

/* --- one document, phase by phase -------------------------------------- */

/* One document on its way through the phases. Each phase reads the input
 * as the one before left it (raw, raw_len: borrowed from doc or from one of
 * the buffers below) and returns 0 or a negative errno with err filled. */
struct clean_doc {
    cJSON *doc; /* the document, edited into the output */
    const char *raw;
    size_t raw_len;
    unsigned char *bin;       /* raw_base64 decoded */
    struct pl_decoded dec;    /* the input in UTF-8 */
    struct pl_export ex;      /* a JSON export's text */
    char *page;               /* a web page's main text */
    char *fixed;              /* valid UTF-8 */
    char *nfc;                /* NFC */
    size_t nfc_len, invalid;  /* invalid: sequences replaced by U+FFFD */
    const char *format;       /* "text", "html" or "json" */
    struct pl_html_meta meta; /* from a page or an export */
    struct pl_blocks bl;
    cJSON *removed; /* borrowed from doc */
    char date[11];  /* the date published, YYYY-MM-DD, or "" */
    struct pl_buf text;
};

static void s_doc_free(struct clean_doc *c)
{
    cJSON_Delete(c->doc);
    free(c->page);
    free(c->dec.conv);
    free(c->ex.page);
    cJSON_Delete(c->ex.json);
    pl_html_meta_free(&c->meta);
    free(c->bin);
    free(c->fixed);
    free(c->nfc);
    free(c->text.data);
    pl_blocks_free(&c->bl);
}

static int s_oom(struct pl_error *err)
{
    pl_fail(err, "clean: out of memory");
    return -ENOMEM;
}

/* The input bytes: "raw" as it is, or "raw_base64" decoded. */
static int s_read_input(struct clean_doc *c, struct pl_error *err)
{
    cJSON *r = cJSON_GetObjectItemCaseSensitive(c->doc, "raw");
    cJSON *r64 = cJSON_GetObjectItemCaseSensitive(c->doc, "raw_base64");
    if (cJSON_IsString(r)) {
        c->raw = r->valuestring;
        c->raw_len = strlen(c->raw);
        return 0;
    }
    if (!cJSON_IsString(r64)) {
        pl_fail(err, "clean: the document has no \"raw\" or \"raw_base64\" input");
        return -EINVAL;
    }
    size_t n = strlen(r64->valuestring);
    c->bin = malloc(n / 4 * 3 + 4);
    if (!c->bin || sodium_base642bin(c->bin, n / 4 * 3 + 4, r64->valuestring, n, NULL, &c->raw_len,
                                     NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
        pl_fail(err, "clean: raw_base64 is not valid base64");
        return -EINVAL;
    }
    c->raw = (const char *)c->bin;
    return 0;
}

/* The input in UTF-8, whatever its encoding. */
static int s_decode(const struct clean_state *st, struct clean_doc *c, struct pl_error *err)
{
    int rc =
        pl_decode(c->raw, c->raw_len, st->max_invalid_ratio, st->max_control_ratio, &c->dec, err);
    if (rc == 0) {
        c->raw = c->dec.text;
        c->raw_len = c->dec.len;
    }
    return rc;
}

/* A JSON export: its text and metadata; a broken export is refused. */
static int s_read_export(const struct clean_state *st, struct clean_doc *c, struct pl_error *err)
{
    c->ex.model = st->model;
    int rc = pl_export_read(c->raw, c->raw_len, &c->ex, &c->meta, err);
    if (rc != 0)
        return rc;
    if (c->ex.json) {
        c->format = "json";
        c->raw = c->ex.text;
        c->raw_len = c->ex.len;
    }
    return 0;
}

/* A web page: its main text and metadata, then the same cleaning. */
static int s_extract_page(const struct clean_state *st, struct clean_doc *c, struct pl_error *err)
{
    if (strcmp(c->format, "text") != 0 || !pl_html_sniff(c->raw, c->raw_len))
        return 0;
    int rc = pl_html_extract(c->raw, c->raw_len, "UTF-8", st->model, &c->page, &c->meta);
    if (rc == -ENOMEM)
        return s_oom(err);
    if (rc == 0) {
        c->format = "html";
        c->raw = c->page;
        c->raw_len = strlen(c->page);
    }
    return 0;
}

/* Valid UTF-8 without control characters; binary data and text that is
 * not UTF-8 refused. */
static int s_repair(const struct clean_state *st, struct clean_doc *c, struct pl_error *err)
{
    size_t n, control, nuls = 0;
    for (size_t i = 0; i < c->raw_len; i++)
        nuls += c->raw[i] == '\0';
    if (pl_repair_utf8(c->raw, c->raw_len, &c->fixed, &n, &c->invalid, &control) != 0)
        return s_oom(err);
    if (c->raw_len > 0 && (double)control > st->max_control_ratio * (double)c->raw_len) {
        pl_fail(err, "binary data, not text: %zu of %zu bytes are control characters (%zu NUL)",
                control, c->raw_len, nuls);
        return -EINVAL;
    }
    if (c->raw_len > 0 && (double)c->invalid > st->max_invalid_ratio * (double)c->raw_len) {
        pl_fail(err,
                "not UTF-8 text: %zu invalid byte sequences in %zu bytes (over %.1f%%); "
                "convert the file to UTF-8",
                c->invalid, c->raw_len, st->max_invalid_ratio * 100.0);
        return -EILSEQ;
    }
    c->raw = c->fixed;
    c->raw_len = n;
    return 0;
}

/* NFC, so one character has one byte form for every later stage. */
static int s_normalise(struct clean_doc *c, struct pl_error *err)
{
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_ssize_t m =
        utf8proc_map((const utf8proc_uint8_t *)c->raw, (utf8proc_ssize_t)c->raw_len, &mapped,
                     UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (m < 0) {
        pl_fail(err, "clean: Unicode normalisation failed: %s", utf8proc_errmsg(m));
        return m == UTF8PROC_ERROR_NOMEM ? -ENOMEM : -EILSEQ;
    }
    c->nfc = (char *)mapped;
    c->nfc_len = (size_t)m;
    return 0;
}

/* The blocks, the "removed" list, and a date stamp glued before the title
 * (" date 2025-04-10 Title") cut and listed. */
static int s_split(struct clean_doc *c, struct pl_error *err)
{
    if (pl_blocks_split(c->nfc, c->nfc_len, !strcmp(c->format, "text"), &c->bl) != 0)
        return s_oom(err);
    c->removed = cJSON_CreateArray();
    if (!c->removed || pl_doc_set(c->doc, "removed", c->removed) != 0)
        return s_oom(err);
    char *pre = NULL;
    int rc = pl_rules_date_prefix(&c->bl, c->date, &pre);
    if (rc == 0 && pre)
        rc = pl_output_removed(c->removed, "date-prefix", pre);
    free(pre);
    return rc ? s_oom(err) : 0;
}

/* The title and the boilerplate; plain text may be a dump of a whole page,
 * of which only the story stays (judge.h). */
static int s_judge(const struct clean_state *st, struct clean_doc *c, struct pl_error *err)
{
    int page;
    int rc = pl_judge_blocks(&c->bl, !strcmp(c->format, "text"), c->meta.title != NULL,
                             st->min_headline_run, st->model ? st->model->dumps : NULL, &page);
    return rc ? s_oom(err) : 0;
}

/* The date a page's metadata gives, when no date prefix gave one. */
static void s_meta_date(struct clean_doc *c)
{
    const char *p = c->meta.published;
    if (p && !c->date[0] && strlen(p) >= 10 && isdigit((unsigned char)p[0]) && p[4] == '-' &&
        p[7] == '-')
        memcpy(c->date, p, 10);
}

/* The output document; a document left without text is refused. */
static int s_write(struct clean_doc *c, struct pl_error *err)
{
    const char *title = c->meta.title;
    s_meta_date(c);
    if (pl_output_text(&c->bl, c->removed, &c->text, &title) != 0)
        return s_oom(err);
    if (c->text.len == 0) {
        if (!strcmp(c->format, "html"))
            pl_fail(err, "no article text: the page holds %s",
                    c->bl.n == 0 ? "no paragraphs of text (its content may be loaded by script)"
                                 : "nothing but a title or boilerplate");
        else
            pl_fail(err, "no article text: the file holds %s",
                    c->bl.n == 0 ? "only white space" : "nothing but a title or boilerplate");
        return -ENODATA;
    }
    const struct pl_output o = { .title = title,
                                 .text = c->text.data,
                                 .len = c->text.len,
                                 .published = c->date,
                                 .format = c->format,
                                 .encoding = c->dec.encoding,
                                 .url = c->meta.url,
                                 .author = c->meta.author,
                                 .invalid = c->invalid };
    return pl_output_fill(c->doc, &o) != 0 ? s_oom(err) : 0;
}

/* Every member the stage sets or deletes (clean.c and output.c): its
 * result is these as they are now, the raw input removed. */
static const char *const s_patch_keys[] = { "removed",    "source", "author", "raw",
                                            "raw_base64", "title",  "text",   "language",
                                            "published",  NULL };

static int s_process(void *state, const char *doc, size_t len, char **out, size_t *out_len,
                     struct pl_error *err)
{
    const struct clean_state *st = state;
    struct clean_doc c = { .format = "text" };
    c.doc = pl_doc_parse(doc, len, err);
    if (!c.doc)
        return -EINVAL;
    int rc = s_read_input(&c, err);
    if (rc == 0)
        rc = s_decode(st, &c, err);
    if (rc == 0)
        rc = s_read_export(st, &c, err);
    if (rc == 0)
        rc = s_extract_page(st, &c, err);
    if (rc == 0)
        rc = s_repair(st, &c, err);
    if (rc == 0)
        rc = s_normalise(&c, err);
    if (rc == 0)
        rc = s_split(&c, err);
    if (rc == 0)
        rc = s_judge(st, &c, err);
    if (rc == 0)
        rc = s_write(&c, err);
    if (rc == 0)
        rc = pl_doc_emit_patch(c.doc, s_patch_keys, out, out_len, err);
    s_doc_free(&c);
    return rc;
}

PL_PLUGIN_EXPORT const struct pl_plugin pressline_plugin = {
    .magic = PL_PLUGIN_MAGIC,
    .abi_version = PL_PLUGIN_ABI_VERSION,
    .size = sizeof(struct pl_plugin),
    .flags = PL_PLUGIN_THREAD_SAFE,
    .name = "clean",
    .version = "0.1.0",
    .description = "valid UTF-8, NFC, whitespace, title and scraped-page boilerplate removal",
    .init = s_init,
    .process = s_process,
    .release = pl_doc_release,
    .fini = s_fini,
};
