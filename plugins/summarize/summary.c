/* The summarizer's reading of one document; see summary.h. */
#include "summary.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keywords.h"

int pl_summary_doc_read(struct pl_summary_doc *d, const char *text, size_t n, const char *title,
                        const cJSON *entities)
{
    d->text = text;
    if (pl_tokenize(text, n, &d->k) != 0 || pl_sentences(text, &d->k, &d->sp) != 0 ||
        pl_summary_vocab_init(&d->v, d->k.n + 16) != 0)
        return -ENOMEM;
    d->ids = malloc((d->k.n + 1) * sizeof(*d->ids));
    d->ss = calloc(d->sp.n + 1, sizeof(*d->ss));
    if (!d->ids || !d->ss)
        return -ENOMEM;
    d->ns = d->sp.n;
    int rc = pl_summary_text_terms(text, &d->k, &d->v, d->ids);
    if (rc == 0)
        rc = pl_summary_sentences(text, &d->k, &d->sp, d->ids, d->ss);
    if (rc != 0)
        return rc;
    pl_summary_list_items(text, d->ss, d->ns);
    pl_summary_count_mentions(entities, d->ss, d->ns);
    d->nents = cJSON_IsArray(entities) ? (size_t)cJSON_GetArraySize(entities) : 0;
    for (size_t s = 0; s < d->ns; s++)
        d->ncand += d->ss[s].candidate != 0;
    /* The title's words join the vocabulary after the text's counts are
     * taken: a word only in the title counts 0 and weighs nothing in the
     * article's term profile. */
    long *title_ids = NULL;
    size_t ntitle = 0;
    if (title && (rc = pl_summary_title_terms(title, &d->v, &title_ids, &ntitle)) != 0)
        return rc;
    d->idf = malloc((d->v.n + 1) * sizeof(*d->idf));
    if (!d->idf) {
        free(title_ids);
        return -ENOMEM;
    }
    for (size_t i = 0; i < d->v.n; i++)
        d->idf[i] = pl_kw_idf(d->v.w[i]);
    rc = pl_summary_features(text, d->ss, d->ns, d->ncand, &d->v, d->idf, title_ids, ntitle);
    free(title_ids);
    return rc;
}

void pl_summary_doc_free(struct pl_summary_doc *d)
{
    for (size_t s = 0; d->ss && s < d->ns; s++)
        free(d->ss[s].terms);
    free(d->ss);
    free(d->ids);
    free(d->idf);
    free(d->k.v);
    free(d->sp.v);
    pl_summary_vocab_free(&d->v);
}
