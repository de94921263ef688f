/*
 * The clean stage's output document: see output.h.
 */
#include "output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "docjson.h"
#include "lang.h"

int pl_output_removed(cJSON *removed, const char *reason, const char *text)
{
    cJSON *e = cJSON_CreateObject();
    if (!e || !cJSON_AddStringToObject(e, "reason", reason) ||
        !cJSON_AddStringToObject(e, "text", text) || !cJSON_AddItemToArray(removed, e)) {
        cJSON_Delete(e);
        return -ENOMEM;
    }
    return 0;
}

/* A run of adjacent removed blocks with one reason, gathered so that it is
 * listed once: merging block by block into the last entry copied the run's
 * text again for every block (quadratic on a long run). */
struct run {
    const char *reason; /* NULL: no run open */
    struct pl_buf text;
};

static int s_run_flush(cJSON *removed, struct run *r)
{
    if (!r->reason)
        return 0;
    int rc = pl_buf_terminate(&r->text) != 0 ? -ENOMEM
                                             : pl_output_removed(removed, r->reason, r->text.data);
    r->reason = NULL;
    r->text.len = 0;
    return rc;
}

static int s_run_add(cJSON *removed, struct run *r, const struct pl_block *b, int adjacent)
{
    if (!adjacent || !r->reason || strcmp(r->reason, b->reason) != 0) {
        int rc = s_run_flush(removed, r);
        if (rc)
            return rc;
        r->reason = b->reason;
    } else if (pl_buf_putc(&r->text, '\n')) {
        return -ENOMEM;
    }
    return pl_buf_append(&r->text, b->s, strlen(b->s)) ? -ENOMEM : 0;
}

static int s_output_text(const struct pl_blocks *bl, cJSON *removed, struct run *run,
                         struct pl_buf *text, const char **title)
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
                s_run_add(removed, run, b, prev_removed) != 0)
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
    if (s_run_flush(removed, run) != 0)
        return -ENOMEM;
    return pl_buf_terminate(text) != 0 ? -ENOMEM : 0;
}

int pl_output_text(const struct pl_blocks *bl, cJSON *removed, struct pl_buf *text,
                   const char **title)
{
    struct run run = { 0 };
    int rc = s_output_text(bl, removed, &run, text, title);
    free(run.text.data);
    return rc;
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
