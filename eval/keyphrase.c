/* Keyphrase matching and the TF and TF-IDF baselines; see keyphrase.h. */
#include "keyphrase.h"

#include <errno.h>
#include <libstemmer.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* A word longer than this is not stemmed, and a phrase's form is cut
 * there: no keyphrase has such words. */
#define KP_WORD_MAX 128

static uint32_t *s_slot(const struct pl_kp_vocab *v, const char *s, size_t n)
{
    size_t mask = v->nslot - 1, i = (size_t)pl_hash(s, n) & mask;
    for (;; i = (i + 1) & mask) {
        uint32_t id = v->slot[i];
        if (!id)
            return &v->slot[i];
        const char *w = v->words[id - 1];
        if (strlen(w) == n && memcmp(w, s, n) == 0)
            return &v->slot[i];
    }
}

/* Doubles the table (or makes the first one); every id is placed again. */
static int s_grow(struct pl_kp_vocab *v)
{
    size_t ns = v->nslot ? v->nslot * 2 : 64;
    uint32_t *slot = calloc(ns, sizeof(*slot));
    if (!slot)
        return -ENOMEM;
    free(v->slot);
    v->slot = slot;
    v->nslot = ns;
    for (size_t id = 0; id < v->n; id++)
        *s_slot(v, v->words[id], strlen(v->words[id])) = (uint32_t)id + 1;
    return 0;
}

long pl_kp_vocab_find(const struct pl_kp_vocab *v, const char *s, size_t n)
{
    if (!v->nslot)
        return -1;
    uint32_t id = *s_slot(v, s, n);
    return id ? (long)id - 1 : -1;
}

long pl_kp_vocab_id(struct pl_kp_vocab *v, const char *s, size_t n)
{
    long id = pl_kp_vocab_find(v, s, n);
    if (id >= 0)
        return id;
    if ((v->n + 1) * 2 > v->nslot && s_grow(v) != 0)
        return -ENOMEM;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        char **w = realloc(v->words, cap * sizeof(*w));
        if (!w)
            return -ENOMEM;
        v->words = w;
        v->cap = cap;
    }
    char *copy = strndup(s, n);
    if (!copy)
        return -ENOMEM;
    v->words[v->n] = copy;
    *s_slot(v, s, n) = (uint32_t)v->n + 1;
    return (long)v->n++;
}

void pl_kp_vocab_free(struct pl_kp_vocab *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->words[i]);
    free(v->words);
    free(v->slot);
    memset(v, 0, sizeof(*v));
}

struct pl_kp_norm {
    struct sb_stemmer *stem;
};

int pl_kp_norm_new(struct pl_kp_norm **out)
{
    *out = NULL;
    struct pl_kp_norm *n = calloc(1, sizeof(*n));
    if (!n)
        return -ENOMEM;
    n->stem = sb_stemmer_new("porter", "UTF_8");
    if (!n->stem) {
        free(n);
        return -ENOENT;
    }
    *out = n;
    return 0;
}

void pl_kp_norm_free(struct pl_kp_norm **n)
{
    if (!*n)
        return;
    sb_stemmer_delete((*n)->stem);
    free(*n);
    *n = NULL;
}

/* Appends one lower-case word's stem to out (after a space unless it is
 * the first). Returns false, leaving out as it was, when it does not fit. */
static bool s_put_stem(struct pl_kp_norm *n, const char *w, size_t wn, char *out, size_t cap,
                       size_t *len)
{
    const char *st = w;
    size_t sn = wn;
    const sb_symbol *s = sb_stemmer_stem(n->stem, (const sb_symbol *)w, (int)wn);
    /* Porter's stemmer takes a lone "s" to nothing ("U.S." is "u s"): an
     * empty stem keeps the word. */
    if (s && sb_stemmer_length(n->stem) > 0) {
        st = (const char *)s;
        sn = (size_t)sb_stemmer_length(n->stem);
    }
    size_t need = sn + (*len > 0);
    if (*len + need + 1 > cap)
        return false;
    if (*len > 0)
        out[(*len)++] = ' ';
    memcpy(out + *len, st, sn);
    *len += sn;
    out[*len] = '\0';
    return true;
}

size_t pl_kp_normalize(struct pl_kp_norm *n, const char *phrase, size_t len, char *out, size_t cap)
{
    char low[1024], word[KP_WORD_MAX];
    size_t ln = pl_lower(phrase, len, low, sizeof(low)), olen = 0, wn = 0;
    if (cap)
        out[0] = '\0';
    for (size_t i = 0; i <= ln;) {
        size_t adv = 1;
        int32_t cp = i < ln ? pl_utf8_decode(low + i, ln - i, &adv) : -1;
        bool in_word = cp >= 0 && (pl_cp_is_letter(cp) || pl_cp_is_digit(cp));
        if (in_word && wn + adv < sizeof(word)) {
            memcpy(word + wn, low + i, adv);
            wn += adv;
        } else if (!in_word && wn > 0) {
            if (!s_put_stem(n, word, wn, out, cap, &olen))
                break;
            wn = 0;
        }
        i += adv ? adv : 1;
    }
    return olen;
}

int pl_kp_set_add(struct pl_kp_set *s, struct pl_kp_norm *n, const char *phrase, size_t len)
{
    char form[1024];
    size_t fn = pl_kp_normalize(n, phrase, len, form, sizeof(form));
    if (fn == 0)
        return 0;
    return pl_kp_vocab_id(&s->v, form, fn) < 0 ? -ENOMEM : 0;
}

void pl_kp_set_free(struct pl_kp_set *s)
{
    pl_kp_vocab_free(&s->v);
}

struct pl_kp_prf pl_kp_at(const struct pl_kp_set *pred, const struct pl_kp_set *gold, size_t k)
{
    struct pl_kp_prf r = { 0 };
    size_t np = pred->v.n < k ? pred->v.n : k, hit = 0;
    for (size_t i = 0; i < np; i++) {
        const char *w = pred->v.words[i];
        hit += pl_kp_vocab_find(&gold->v, w, strlen(w)) >= 0;
    }
    r.p = np ? (double)hit / (double)np : 0;
    r.r = gold->v.n ? (double)hit / (double)gold->v.n : 0;
    r.f = r.p + r.r > 0 ? 2 * r.p * r.r / (r.p + r.r) : 0;
    return r;
}

/* Grows a word list by one; returns the new slot or NULL. */
static struct pl_kp_word *s_push_word(struct pl_kp_word **v, size_t *n, size_t *cap)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct pl_kp_word *nv = realloc(*v, nc * sizeof(*nv));
        if (!nv)
            return NULL;
        *v = nv;
        *cap = nc;
    }
    return &(*v)[(*n)++];
}

/* The lower-case form of a content word token into w (cap bytes), or 0
 * when the token is not one: a number, punctuation, a stopword or a word
 * of one letter. An abbreviation keeps its dots ("u.s."). */
static size_t s_content_word(const char *text, const struct pl_token *t, char *w, size_t cap)
{
    if (t->kind != PL_TOK_WORD && t->kind != PL_TOK_ABBREV)
        return 0;
    size_t n = pl_lower(text + t->start, t->end - t->start, w, cap);
    size_t letters = 0;
    for (size_t i = 0; i < n;) {
        size_t adv = 1;
        int32_t cp = pl_utf8_decode(w + i, n - i, &adv);
        letters += cp >= 0 && pl_cp_is_letter(cp);
        i += adv ? adv : 1;
    }
    if (letters < 2 || pl_is_stopword(w, n))
        return 0;
    return n;
}

int pl_kp_content_words(const char *text, size_t len, struct pl_kp_vocab *v,
                        struct pl_kp_word **out, size_t *n)
{
    struct pl_tokens t = { 0 };
    struct pl_kp_vocab local = { 0 }; /* vocabulary id -> index in *out */
    size_t cap = 0;
    int rc = pl_tokenize(text, len, &t);
    *out = NULL;
    *n = 0;
    for (size_t i = 0; rc == 0 && i < t.n; i++) {
        char w[KP_WORD_MAX];
        size_t wn = s_content_word(text, &t.v[i], w, sizeof(w));
        if (wn == 0)
            continue;
        long id = pl_kp_vocab_id(v, w, wn);
        size_t before = local.n;
        long at = id < 0 ? id : pl_kp_vocab_id(&local, w, wn);
        if (at < 0) {
            rc = -ENOMEM;
        } else if ((size_t)at < before) {
            (*out)[at].tf++;
        } else {
            struct pl_kp_word *k = s_push_word(out, n, &cap);
            if (!k)
                rc = -ENOMEM;
            else
                *k = (struct pl_kp_word){ .id = (uint32_t)id, .tf = 1, .first = (uint32_t)i };
        }
    }
    pl_kp_vocab_free(&local);
    free(t.v);
    if (rc != 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static int s_cmp_word(const void *x, const void *y)
{
    const struct pl_kp_word *a = x, *b = y;
    if (a->score != b->score)
        return a->score < b->score ? 1 : -1;
    return a->first < b->first ? -1 : a->first > b->first;
}

void pl_kp_rank(struct pl_kp_word *w, size_t n)
{
    if (n > 1)
        qsort(w, n, sizeof(*w), s_cmp_word);
}
