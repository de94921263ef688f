/* The summarizer's vocabulary and term ids; see terms.h. */
#include "terms.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int pl_summary_vocab_init(struct pl_summary_vocab *v, size_t expect)
{
    size_t cap = 64;
    while (cap < expect * 2)
        cap *= 2;
    v->slots = calloc(cap, sizeof(*v->slots));
    v->mask = cap - 1;
    return v->slots ? 0 : -ENOMEM;
}

/* Doubles the slot table and places every term again. Terms keep their ids
 * (their order of arrival), so growing changes no output; it keeps the table
 * at most half full, so a probe always ends at an empty slot. */
static int s_grow_slots(struct pl_summary_vocab *v)
{
    size_t cap = (v->mask + 1) * 2;
    size_t *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    for (size_t id = 0; id < v->n; id++) {
        size_t i = pl_hash(v->w[id], strlen(v->w[id])) & (cap - 1);
        while (slots[i])
            i = (i + 1) & (cap - 1);
        slots[i] = id + 1;
    }
    free(v->slots);
    v->slots = slots;
    v->mask = cap - 1;
    return 0;
}

long pl_summary_vocab_id(struct pl_summary_vocab *v, const char *w)
{
    /* The title's words come after the text's, beyond the size the table
     * was made for: grow before it is more than half full. */
    if ((v->n + 1) * 2 > v->mask + 1 && s_grow_slots(v) != 0)
        return -ENOMEM;
    size_t i = pl_hash(w, strlen(w)) & v->mask;
    for (; v->slots[i]; i = (i + 1) & v->mask)
        if (strcmp(v->w[v->slots[i] - 1], w) == 0)
            return (long)v->slots[i] - 1;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 256;
        char **nw = realloc(v->w, cap * sizeof(*nw));
        if (!nw)
            return -ENOMEM;
        v->w = nw;
        double *nd = realloc(v->df, cap * sizeof(*nd));
        if (!nd)
            return -ENOMEM;
        v->df = nd;
        v->cap = cap;
    }
    v->w[v->n] = strdup(w);
    if (!v->w[v->n])
        return -ENOMEM;
    v->df[v->n] = 0;
    v->slots[i] = v->n + 1;
    return (long)v->n++;
}

void pl_summary_vocab_free(struct pl_summary_vocab *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->w[i]);
    free(v->w);
    free(v->df);
    free(v->slots);
}

/* Light suffix stripping so "talks"/"talk", "embassies"/"embassy" meet. */
static void s_stem(char *w)
{
    size_t n = strlen(w);
    if (n > 4 && strcmp(w + n - 3, "ies") == 0) {
        w[n - 3] = 'y';
        w[n - 2] = '\0';
    } else if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' && w[n - 2] != 'u' && w[n - 2] != 'i') {
        w[n - 1] = '\0';
    }
}

int pl_summary_text_terms(const char *t, const struct pl_tokens *k, struct pl_summary_vocab *v,
                          long *ids)
{
    for (size_t i = 0; i < k->n; i++) {
        ids[i] = -1;
        if (k->v[i].kind != PL_TOK_WORD && k->v[i].kind != PL_TOK_ABBREV)
            continue;
        char w[64];
        size_t wl = pl_lower(t + k->v[i].start, k->v[i].end - k->v[i].start, w, sizeof(w));
        if (wl < 2 || pl_is_stopword(w, wl))
            continue;
        s_stem(w);
        long id = pl_summary_vocab_id(v, w);
        if (id < 0)
            return (int)id;
        ids[i] = id;
        v->df[id] += 1;
    }
    return 0;
}

int pl_summary_title_terms(const char *title, struct pl_summary_vocab *v, long **ids, size_t *n)
{
    struct pl_tokens tk = { 0 };
    long *got = NULL;
    size_t ng = 0;
    int rc = pl_tokenize(title, strlen(title), &tk);
    if (rc != 0)
        goto out;
    rc = -ENOMEM;
    got = malloc((tk.n + 1) * sizeof(*got));
    if (!got)
        goto out;
    for (size_t i = 0; i < tk.n; i++) {
        char w[64];
        size_t wl = pl_lower(title + tk.v[i].start, tk.v[i].end - tk.v[i].start, w, sizeof(w));
        /* Title tokens are not filtered by kind as the text's are: any
         * that starts with a letter or a digit counts (a number then never
         * meets a text term, which is always a word). */
        if (wl < 2 || pl_is_stopword(w, wl) || !isalnum((unsigned char)w[0]))
            continue;
        s_stem(w);
        long id = pl_summary_vocab_id(v, w);
        if (id < 0)
            goto out;
        got[ng++] = id;
    }
    *ids = got;
    *n = ng;
    got = NULL;
    rc = 0;
out:
    free(got);
    free(tk.v);
    return rc;
}
