/* Entity merging across a story's articles; see ents.h. */
#include "ents.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define NAME_MAX_BYTES 128

/* Levenshtein distance of a and b (bytes), stopping early above limit:
 * names are short, so the full table fits on the stack. */
static int s_edits(const char *a, size_t na, const char *b, size_t nb, int limit)
{
    if (na >= NAME_MAX_BYTES || nb >= NAME_MAX_BYTES)
        return limit + 1;
    if ((na > nb ? na - nb : nb - na) > (size_t)limit)
        return limit + 1;
    int prev[NAME_MAX_BYTES], cur[NAME_MAX_BYTES];
    for (size_t j = 0; j <= nb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        cur[0] = (int)i;
        int best = cur[0];
        for (size_t j = 1; j <= nb; j++) {
            int d = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < d)
                d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            cur[j] = d;
            if (d < best)
                best = d;
        }
        if (best > limit)
            return limit + 1;
        memcpy(prev, cur, (nb + 1) * sizeof(int));
    }
    return prev[nb];
}

/* Spellings of one name: equal up to case, or a few edits apart when the
 * names are long enough that an edit is a transliteration, not another
 * word ("Iran" and "Iraq" stay apart; "Austria" and "Australia" too). The
 * first letters must agree. */
static bool s_spelling(const char *a, size_t na, const char *b, size_t nb)
{
    if (na == nb && memcmp(a, b, na) == 0)
        return true;
    if (!na || !nb || a[0] != b[0])
        return false;
    size_t n = na < nb ? na : nb;
    int limit = n >= 12 ? 2 : n >= 6 ? 1 : 0;
    return limit > 0 && s_edits(a, na, b, nb, limit) <= limit;
}

static const char *s_last_word(const char *s, size_t n, size_t *len)
{
    const char *sp = NULL;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ' ')
            sp = s + i;
    if (!sp)
        return NULL;
    *len = (size_t)(s + n - (sp + 1));
    return sp + 1;
}

bool pl_ents_same(const char *a, const char *b, bool person)
{
    char la[NAME_MAX_BYTES], lb[NAME_MAX_BYTES];
    size_t na = pl_lower(a, strlen(a), la, sizeof(la));
    size_t nb = pl_lower(b, strlen(b), lb, sizeof(lb));
    if (s_spelling(la, na, lb, nb))
        return true;
    if (!person)
        return false;
    /* A surname alone names the person of the full name that ends in it,
     * in either spelling. */
    size_t nw;
    const char *w = s_last_word(la, na, &nw);
    if (w && !memchr(lb, ' ', nb) && s_spelling(w, nw, lb, nb))
        return true;
    w = s_last_word(lb, nb, &nw);
    return w && !memchr(la, ' ', na) && s_spelling(w, nw, la, na);
}

/* True when stored entity e (its forms) holds a name that is `name`. */
static bool s_matches(const cJSON *e, const char *type, const char *name)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "type");
    if (!cJSON_IsString(t) || strcmp(t->valuestring, type) != 0)
        return false;
    bool person = strcmp(type, "PERSON") == 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(e, "forms"))
    {
        if (pl_ents_same(f->string, name, person))
            return true;
    }
    return false;
}

static int s_add_form(cJSON *e, const char *form, int count)
{
    cJSON *forms = cJSON_GetObjectItemCaseSensitive(e, "forms");
    cJSON *f = cJSON_GetObjectItemCaseSensitive(forms, form);
    if (f) {
        cJSON_SetNumberValue(f, f->valuedouble + count);
        return 0;
    }
    if (cJSON_GetArraySize(forms) >= PL_ENTS_FORMS_MAX)
        return 0;
    return cJSON_AddNumberToObject(forms, form, count) ? 0 : -ENOMEM;
}

static cJSON *s_new_entity(cJSON *st, const char *type)
{
    cJSON *e = cJSON_CreateObject();
    if (!e || !cJSON_AddStringToObject(e, "type", type) ||
        !cJSON_AddNumberToObject(e, "count", 0) || !cJSON_AddObjectToObject(e, "forms") ||
        !cJSON_AddItemToArray(st, e)) {
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

/* Drops the least mentioned entry while st holds more than the bound. */
static void s_trim(cJSON *st)
{
    while (cJSON_GetArraySize(st) > PL_ENTS_MAX) {
        int worst = -1, i = 0;
        double low = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, st)
        {
            double c = cJSON_GetObjectItemCaseSensitive(e, "count")->valuedouble;
            if (worst < 0 || c <= low) {
                worst = i;
                low = c;
            }
            i++;
        }
        cJSON_DeleteItemFromArray(st, worst);
    }
}

static int s_merge_one(cJSON *st, const cJSON *a)
{
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(a, "text");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(a, "type");
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(a, "count");
    if (!cJSON_IsString(text) || !cJSON_IsString(type) || strcmp(type->valuestring, "DATE") == 0)
        return 0;
    int n = cJSON_IsNumber(count) && count->valueint > 0 ? count->valueint : 1;
    const cJSON *aliases = cJSON_GetObjectItemCaseSensitive(a, "aliases");
    cJSON *e = NULL, *it;
    cJSON_ArrayForEach(it, st)
    {
        if (s_matches(it, type->valuestring, text->valuestring)) {
            e = it;
            break;
        }
        const cJSON *al;
        cJSON_ArrayForEach(al, aliases)
        {
            if (cJSON_IsString(al) && s_matches(it, type->valuestring, al->valuestring))
                e = it;
        }
        if (e)
            break;
    }
    if (!e && !(e = s_new_entity(st, type->valuestring)))
        return -ENOMEM;
    cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "count");
    cJSON_SetNumberValue(c, c->valuedouble + n);
    if (s_add_form(e, text->valuestring, n) != 0)
        return -ENOMEM;
    cJSON_ArrayForEach(it, aliases)
    {
        if (cJSON_IsString(it) && s_add_form(e, it->valuestring, 0) != 0)
            return -ENOMEM;
    }
    return 0;
}

int pl_ents_merge(cJSON *st, const cJSON *article)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, article)
    {
        if (s_merge_one(st, a) != 0)
            return -ENOMEM;
    }
    s_trim(st);
    return 0;
}

static int s_words(const char *s)
{
    int n = 1;
    for (; *s; s++)
        n += *s == ' ';
    return n;
}

/* The entity's name: the most mentioned of its fullest forms. */
static const char *s_name(const cJSON *forms)
{
    const char *best = NULL;
    int bw = 0;
    double bc = -1;
    const cJSON *f;
    cJSON_ArrayForEach(f, forms)
    {
        int w = s_words(f->string);
        if (w > bw || (w == bw && f->valuedouble > bc)) {
            best = f->string;
            bw = w;
            bc = f->valuedouble;
        }
    }
    return best;
}

static cJSON *s_view_one(const cJSON *e)
{
    const cJSON *forms = cJSON_GetObjectItemCaseSensitive(e, "forms");
    const char *name = s_name(forms);
    cJSON *o = cJSON_CreateObject(), *v = cJSON_CreateArray();
    if (!o || !v || !name || !cJSON_AddStringToObject(o, "text", name) ||
        !cJSON_AddStringToObject(o, "type",
                                 cJSON_GetObjectItemCaseSensitive(e, "type")->valuestring) ||
        !cJSON_AddNumberToObject(o, "count",
                                 cJSON_GetObjectItemCaseSensitive(e, "count")->valuedouble))
        goto oom;
    const cJSON *f;
    cJSON_ArrayForEach(f, forms)
    {
        if (strcmp(f->string, name) == 0)
            continue;
        cJSON *s = cJSON_CreateString(f->string);
        if (!s || !cJSON_AddItemToArray(v, s)) {
            cJSON_Delete(s);
            goto oom;
        }
    }
    if (!cJSON_AddItemToObject(o, "variants", v))
        goto oom;
    return o;
oom:
    cJSON_Delete(v);
    cJSON_Delete(o);
    return NULL;
}

static int s_by_count(const void *x, const void *y)
{
    const cJSON *a = *(const cJSON *const *)x, *b = *(const cJSON *const *)y;
    double ca = cJSON_GetObjectItemCaseSensitive(a, "count")->valuedouble;
    double cb = cJSON_GetObjectItemCaseSensitive(b, "count")->valuedouble;
    return ca < cb ? 1 : ca > cb ? -1 : 0;
}

cJSON *pl_ents_view(const cJSON *st, int cap)
{
    const cJSON *order[PL_ENTS_MAX * 2];
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, st)
    {
        if (n < PL_ENTS_MAX * 2)
            order[n++] = e;
    }
    qsort(order, (size_t)n, sizeof(order[0]), s_by_count);
    cJSON *out = cJSON_CreateArray();
    for (int i = 0; out && i < n && i < cap; i++) {
        cJSON *o = s_view_one(order[i]);
        if (!o || !cJSON_AddItemToArray(out, o)) {
            cJSON_Delete(o);
            cJSON_Delete(out);
            return NULL;
        }
    }
    return out;
}
