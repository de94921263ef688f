/* CoNLL evaluation; see conll.h. */
#include "conll.h"

#include <stdlib.h>
#include <string.h>

const char *const pl_conll_type_names[PL_CONLL_TYPES] = { "PER", "ORG", "LOC", "MISC" };

int pl_conll_type(const char *name, size_t len)
{
    for (int i = 0; i < PL_CONLL_TYPES; i++)
        if (strlen(pl_conll_type_names[i]) == len && !memcmp(pl_conll_type_names[i], name, len))
            return i;
    return -1;
}

/* 'B', 'I' or 'O', and the type index, of a tag. */
static char s_parse(const char *tag, int *type)
{
    *type = -1;
    if ((tag[0] == 'B' || tag[0] == 'I') && tag[1] == '-') {
        *type = pl_conll_type(tag + 2, strlen(tag + 2));
        return *type < 0 ? 'O' : tag[0];
    }
    return 'O';
}

size_t pl_conll_spans(const char *const *tags, size_t n, struct pl_conll_span *out, size_t max)
{
    size_t count = 0;
    int cur = -1; /* type of the open span, or -1 */
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        int type = -1;
        char bio = i < n ? s_parse(tags[i], &type) : 'O';
        int starts = bio == 'B' || (bio == 'I' && type != cur);
        if (cur >= 0 && (bio == 'O' || starts)) {
            if (count < max)
                out[count] = (struct pl_conll_span){ start, i, cur };
            count++;
            cur = -1;
        }
        if (starts) {
            cur = type;
            start = i;
        }
    }
    return count;
}

void pl_conll_score_add(struct pl_conll_score *s, const char *const *gold, const char *const *pred,
                        size_t n)
{
    struct pl_conll_span *g = malloc((n + 1) * sizeof(*g)), *p = malloc((n + 1) * sizeof(*p));
    if (!g || !p) {
        free(g);
        free(p);
        return;
    }
    size_t ng = pl_conll_spans(gold, n, g, n + 1), np = pl_conll_spans(pred, n, p, n + 1);
    for (size_t i = 0; i < ng; i++)
        s->gold[g[i].type]++;
    for (size_t i = 0; i < np; i++) {
        s->found[p[i].type]++;
        for (size_t k = 0; k < ng; k++)
            if (g[k].start == p[i].start && g[k].end == p[i].end && g[k].type == p[i].type) {
                s->correct[p[i].type]++;
                break;
            }
    }
    for (size_t i = 0; i < n; i++) {
        s->tokens++;
        int tg, tp;
        char bg = s_parse(gold[i], &tg), bp = s_parse(pred[i], &tp);
        /* Token accuracy as conlleval: the same tag, B and I alike. */
        s->tokens_correct += (bg == 'O' && bp == 'O') || (bg != 'O' && bp != 'O' && tg == tp);
    }
    free(g);
    free(p);
}

void pl_conll_prf(const struct pl_conll_score *s, int t, double *p, double *r, double *f)
{
    size_t gold = 0, found = 0, correct = 0;
    for (int i = 0; i < PL_CONLL_TYPES; i++) {
        if (t >= 0 && i != t)
            continue;
        gold += s->gold[i];
        found += s->found[i];
        correct += s->correct[i];
    }
    *p = found ? 100.0 * (double)correct / (double)found : 0;
    *r = gold ? 100.0 * (double)correct / (double)gold : 0;
    *f = (*p + *r) > 0 ? 2 * *p * *r / (*p + *r) : 0;
}
