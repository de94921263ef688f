/*
 * JSON exports of articles: see export.h.
 */
#include "export.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docjson.h"

/* The keys that make a JSON object an export, content first. */
static const char *const s_keys[] = { "text", "html", "title", "url", "published", "author", NULL };

/* A copy of obj's string field key (caller frees), or NULL when it is
 * missing, empty or null. */
static char *s_field(const cJSON *obj, const char *key)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(x) && x->valuestring[0] ? strdup(x->valuestring) : NULL;
}

static const char *s_type_name(const cJSON *x)
{
    if (cJSON_IsNumber(x))
        return "a number";
    if (cJSON_IsBool(x))
        return "a boolean";
    if (cJSON_IsArray(x))
        return "an array";
    if (cJSON_IsObject(x))
        return "an object";
    return "of another type";
}

/* Whether json is an export: an object with at least one of its keys. */
static bool s_is_export(const cJSON *json)
{
    for (size_t i = 0; cJSON_IsObject(json) && s_keys[i]; i++)
        if (cJSON_GetObjectItemCaseSensitive(json, s_keys[i]))
            return true;
    return false;
}

/* An export's fields must be strings (null counts as absent), and "text"
 * or "html" must be there: an export that is read only in part would
 * publish something other than what its author wrote. */
static int s_check_types(const cJSON *json, struct pl_error *err)
{
    for (size_t i = 0; s_keys[i]; i++) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(json, s_keys[i]);
        if (x && !cJSON_IsString(x) && !cJSON_IsNull(x))
            return pl_fail(err, "the JSON export's \"%s\" must be a string, not %s", s_keys[i],
                           s_type_name(x));
    }
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(json, "text")) &&
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(json, "html")))
        return pl_fail(err, "the JSON export has no \"text\" or \"html\" string to read the "
                            "article from");
    return 0;
}

/* Whether raw[lead..len), which opens with "{", reads as an export meant
 * as one: a string key first, and "title", "text" or "html" used as a key
 * somewhere. A text that merely starts with a brace ("{Editor's note}")
 * does neither. */
static bool s_looks_like_export(const char *raw, size_t len, size_t lead)
{
    size_t i = lead + 1;
    while (i < len && isspace((unsigned char)raw[i]))
        i++;
    if (i == len || raw[i] != '"')
        return false;
    static const char *const keys[] = { "\"title\"", "\"text\"", "\"html\"" };
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        size_t kl = strlen(keys[k]);
        const char *p = raw + lead, *end = raw + len;
        while ((p = memmem(p, (size_t)(end - p), keys[k], kl))) {
            p += kl;
            while (p < end && isspace((unsigned char)*p))
                p++;
            if (p < end && *p == ':')
                return true;
        }
    }
    return false;
}

/* Where raw[0..len) stops being finished JSON when it ends inside a string
 * (the string's opening quote) or with an object or array still open (its
 * last non-blank byte): what a JSON text cut short looks like. SIZE_MAX
 * when everything it opens is closed. */
static size_t s_open_from(const char *raw, size_t len)
{
    size_t depth = 0, str_at = 0, last = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        if (!isspace((unsigned char)raw[i]))
            last = i;
        if (in_str) {
            if (raw[i] == '\\')
                i++;
            else if (raw[i] == '"')
                in_str = false;
        } else if (raw[i] == '"') {
            in_str = true;
            str_at = i;
        } else if (raw[i] == '{' || raw[i] == '[') {
            depth++;
        } else if ((raw[i] == '}' || raw[i] == ']') && depth > 0) {
            depth--;
        }
    }
    return in_str ? str_at : depth > 0 ? last : SIZE_MAX;
}

/* The reason an export that does not parse is refused: cut short (cJSON
 * stopped, at offset at, in the part left open at the end), or malformed
 * at the byte where cJSON stopped. */
static int s_parse_failure(const char *raw, size_t len, size_t at, struct pl_error *err)
{
    size_t open = s_open_from(raw, len);
    if (open != SIZE_MAX && at >= open)
        return pl_fail(err,
                       "the JSON export is truncated at byte %zu: a string, object or array "
                       "is still open where the file ends",
                       len);
    size_t line = 1;
    for (size_t i = 0; i < at && i < len; i++)
        line += raw[i] == '\n';
    return pl_fail(err,
                   "the JSON export is not valid JSON: unexpected input at byte %zu (line %zu)",
                   at + 1, line);
}

/* Its "html": the page's main text, and its title when the export has
 * none. A page that does not parse leaves no text. */
static int s_read_html(const cJSON *jh, struct pl_export *ex, struct pl_html_meta *meta,
                       struct pl_error *err)
{
    struct pl_html_meta hm;
    if (pl_html_extract(jh->valuestring, strlen(jh->valuestring), "UTF-8", ex->model, &ex->page,
                        &hm) == -ENOMEM) {
        pl_fail(err, "clean: out of memory");
        return -ENOMEM;
    }
    if (!meta->title) {
        meta->title = hm.title;
        hm.title = NULL;
    }
    pl_html_meta_free(&hm);
    ex->text = ex->page ? ex->page : "";
    ex->len = strlen(ex->text);
    return 0;
}

int pl_export_read(const char *raw, size_t len, struct pl_export *ex, struct pl_html_meta *meta,
                   struct pl_error *err)
{
    const struct pl_bmodel *model = ex->model;
    memset(ex, 0, sizeof(*ex));
    ex->model = model;
    size_t lead = 0;
    while (lead < len && isspace((unsigned char)raw[lead]))
        lead++;
    if (lead == len || raw[lead] != '{')
        return 0;
    const char *stop = NULL;
    cJSON *json = cJSON_ParseWithLengthOpts(raw, len, &stop, false);
    if (!json) {
        if (!s_looks_like_export(raw, len, lead))
            return 0; /* a text that starts with a brace */
        return s_parse_failure(raw, len, stop ? (size_t)(stop - raw) : len, err);
    }
    if (!s_is_export(json)) {
        cJSON_Delete(json); /* JSON, but not an article: read as text */
        return 0;
    }
    ex->json = json; /* the caller's to free from here on */
    int rc = s_check_types(json, err);
    if (rc != 0)
        return rc;
    meta->title = s_field(json, "title");
    meta->url = s_field(json, "url");
    meta->published = s_field(json, "published");
    meta->author = s_field(json, "author");
    const cJSON *jt = cJSON_GetObjectItemCaseSensitive(json, "text");
    if (cJSON_IsString(jt)) {
        ex->text = jt->valuestring;
        ex->len = strlen(ex->text);
        return 0;
    }
    return s_read_html(cJSON_GetObjectItemCaseSensitive(json, "html"), ex, meta, err);
}
