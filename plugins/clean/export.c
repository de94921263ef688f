/*
 * JSON exports of articles: see export.h.
 */
#include "export.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A copy of obj's string field key (caller frees), or NULL when it is
 * missing, empty or not a string. */
static char *s_field(const cJSON *obj, const char *key)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(x) && x->valuestring[0] ? strdup(x->valuestring) : NULL;
}

int pl_export_read(const char *raw, size_t len, struct pl_export *ex, struct pl_html_meta *meta)
{
    memset(ex, 0, sizeof(*ex));
    size_t lead = 0;
    while (lead < len && isspace((unsigned char)raw[lead]))
        lead++;
    if (lead == len || raw[lead] != '{')
        return 0;
    cJSON *json = cJSON_ParseWithLength(raw, len);
    const cJSON *jt = cJSON_GetObjectItemCaseSensitive(json, "text");
    const cJSON *jh = cJSON_GetObjectItemCaseSensitive(json, "html");
    if (!cJSON_IsObject(json) || !(cJSON_IsString(jt) || cJSON_IsString(jh))) {
        cJSON_Delete(json);
        return 0;
    }
    ex->json = json;
    meta->title = s_field(json, "title");
    meta->url = s_field(json, "url");
    meta->published = s_field(json, "published");
    meta->author = s_field(json, "author");
    if (cJSON_IsString(jt)) {
        ex->text = jt->valuestring;
        ex->len = strlen(ex->text);
        return 0;
    }
    /* Its "html": the page's main text, and its title when the export has
     * none. A page that does not parse leaves no text. */
    struct pl_html_meta hm;
    if (pl_html_extract(jh->valuestring, strlen(jh->valuestring), "UTF-8", &ex->page, &hm) ==
        -ENOMEM)
        return -ENOMEM;
    if (!meta->title) {
        meta->title = hm.title;
        hm.title = NULL;
    }
    pl_html_meta_free(&hm);
    ex->text = ex->page ? ex->page : "";
    ex->len = strlen(ex->text);
    return 0;
}
