/*
 * The clean stage's output document: see output.h.
 */
#include "output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "docjson.h"
#include "lang.h"

int pl_output_removed(cJSON *removed, const char *reason, const char *text, int adjacent)
{
    cJSON *last = cJSON_GetArrayItem(removed, cJSON_GetArraySize(removed) - 1);
    if (adjacent && last) {
        cJSON *r = cJSON_GetObjectItemCaseSensitive(last, "reason");
        cJSON *t = cJSON_GetObjectItemCaseSensitive(last, "text");
        if (strcmp(r->valuestring, reason) == 0) {
            size_t a = strlen(t->valuestring), b = strlen(text);
            char *j = malloc(a + b + 2);
            if (!j)
                return -ENOMEM;
            memcpy(j, t->valuestring, a);
            j[a] = '\n';
            memcpy(j + a + 1, text, b + 1);
            cJSON *nt = cJSON_CreateString(j);
            free(j);
            return pl_doc_set(last, "text", nt) ? -ENOMEM : 0;
        }
    }
    cJSON *e = cJSON_CreateObject();
    if (!e || !cJSON_AddStringToObject(e, "reason", reason) ||
        !cJSON_AddStringToObject(e, "text", text) || !cJSON_AddItemToArray(removed, e)) {
        cJSON_Delete(e);
        return -ENOMEM;
    }
    return 0;
}

int pl_output_text(const struct pl_blocks *bl, cJSON *removed, struct pl_buf *text,
                   const char **title)
{
    int prev_removed = 0;
    for (size_t i = 0; i < bl->n; i++) {
        const struct pl_block *b = &bl->v[i];
        if (b->is_title) {
            *title = b->s;
            prev_removed = 0;
            continue;
        }
        if (b->reason) {
            if (strcmp(b->reason, "date-prefix") != 0 &&
                pl_output_removed(removed, b->reason, b->s, prev_removed) != 0)
                return -ENOMEM;
            prev_removed = 1;
            continue;
        }
        prev_removed = 0;
        if (text->len > 0) {
            /* Lists stay tight; everything else is a paragraph. */
            int tight = b->bullet && i > 0 && bl->v[i - 1].bullet && !bl->v[i - 1].reason;
            if (pl_buf_append(text, tight ? "\n" : "\n\n", tight ? 1 : 2))
                return -ENOMEM;
        }
        if (pl_buf_append(text, b->s, b->len))
            return -ENOMEM;
    }
    return pl_buf_terminate(text) != 0 ? -ENOMEM : 0;
}

int pl_output_fill(cJSON *doc, const struct pl_output *o)
{
    /* The source's fields are informative: one that cannot be set is left
     * out rather than failing the document. */
    cJSON *src = cJSON_GetObjectItemCaseSensitive(doc, "source");
    if (cJSON_IsObject(src)) {
        pl_doc_set(src, "invalid_utf8", cJSON_CreateNumber((double)o->invalid));
        pl_doc_set(src, "format", cJSON_CreateString(o->format));
        pl_doc_set(src, "encoding", cJSON_CreateString(o->encoding));
        if (o->url)
            pl_doc_set(src, "url", cJSON_CreateString(o->url));
    }
    if (o->author && pl_doc_set(doc, "author", cJSON_CreateString(o->author)))
        return -ENOMEM;
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "raw");
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "raw_base64");
    if (pl_doc_set(doc, "title", o->title ? cJSON_CreateString(o->title) : cJSON_CreateNull()) ||
        pl_doc_set(doc, "text", cJSON_CreateString(o->text)) ||
        pl_doc_set(doc, "language", cJSON_CreateString(pl_language_guess(o->text, o->len))) ||
        pl_doc_set(doc, "published",
                   o->published[0] ? cJSON_CreateString(o->published) : cJSON_CreateNull()))
        return -ENOMEM;
    return 0;
}
