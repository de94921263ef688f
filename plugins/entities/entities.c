/*
 * entities: people, organisations, places, other names (CoNLL-2003 classes)
 * and dates in the document's "text".
 *
 * Names come from the trained tagger in ner.c (features, two stages,
 * Viterbi under BILOU constraints; the model file is trained by
 * tools/train-ner.sh, mapped at init and, by default, copied into huge
 * pages: pl_ner_model_huge). Dates come from rules (dates.c)
 * and win where a name and a date overlap. Mentions of one entity are
 * grouped under the longest form with its aliases: identical text, known
 * variants ("U.S.", "US", "United States"), a surname after the full name,
 * and spellings one edit apart.
 *
 * Output: "entities" [{text,type,count,mentions[{start,end}],aliases[]}] with
 * DATE entities included, and "dates" [{text,value,start,end}]. Offsets are
 * UTF-8 byte offsets into "text".
 *
 * Thread-safe: the model is read-only after init.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "docjson.h"
#include "ner.h"
#include "text.h"

enum etype { E_NONE = 0, E_PER, E_ORG, E_LOC, E_MISC, E_DATE };
static const char *const s_type_names[] = { "", "PERSON", "ORG", "LOC", "MISC", "DATE" };

struct ent_state {
    struct pl_ner_model *model;
};

static void s_fini(void *state)
{
    struct ent_state *st = state;
    if (!st)
        return;
    pl_ner_model_close(&st->model);
    free(st);
}

static int s_init(const struct pl_host *host, const char *options_json, void **state,
                  struct pl_error *err)
{
    static const char *const keys[] = { "model", "huge_pages", NULL };
    cJSON *o = pl_options_parse(options_json, err);
    if (!o)
        return -1;
    if (pl_options_check_keys(o, "entities", keys, err) != 0) {
        cJSON_Delete(o);
        return -1;
    }
    char path[PATH_MAX];
    const cJSON *mp = cJSON_GetObjectItemCaseSensitive(o, "model");
    if (mp && !cJSON_IsString(mp)) {
        cJSON_Delete(o);
        return pl_fail(err, "entities: option \"model\" must be a file path (a string)");
    }
    if (mp)
        snprintf(path, sizeof(path), "%s", mp->valuestring);
    const cJSON *hp = cJSON_GetObjectItemCaseSensitive(o, "huge_pages");
    if (hp && !cJSON_IsBool(hp)) {
        cJSON_Delete(o);
        return pl_fail(err, "entities: option \"huge_pages\" must be true or false");
    }
    bool huge = !hp || cJSON_IsTrue(hp);
    cJSON_Delete(o);
    /* The default model lies next to the plugin's shared object. */
    if (!mp && pl_plugin_file((const void *)&s_init, "ner.model", path, sizeof(path)) != 0)
        return pl_fail(err, "entities: cannot find the plugin's own folder for its model; "
                            "set the option \"model\"");
    struct ent_state *st = calloc(1, sizeof(*st));
    if (!st)
        return pl_fail(err, "entities: out of memory");
    char why[PATH_MAX + 128];
    if (pl_ner_model_open(path, &st->model, why, sizeof(why)) != 0) {
        free(st);
        return pl_fail(err, "entities: %s", why);
    }
    /* The tables in huge pages when the kernel has them (ner.h says why);
     * without, the file's mapping serves as before. */
    int rc = huge ? pl_ner_model_huge(st->model) : 0;
    if (rc == -ENOTSUP)
        host->log(host->ctx, PL_LOG_INFO,
                  "the kernel gives no transparent huge pages; the model is read from the "
                  "file's mapping");
    else if (rc != 0) {
        char eb[128];
        host->log(host->ctx, PL_LOG_WARN,
                  "cannot copy the model into huge pages (%s); it is read from the file's "
                  "mapping, a little slower",
                  strerror_r(-rc, eb, sizeof(eb)));
    }
    *state = st;
    return 0;
}

/* --- per-document work ----------------------------------------------------- */

struct mention {
    uint32_t start, end;
    int type;
    int group;
};

struct doc {
    const struct ent_state *st;
    const char *t;
    struct pl_tokens k;
    uint8_t *used; /* token is inside a date or an entity already */
    struct mention *m;
    size_t nm, capm;
};

static int s_add_mention(struct doc *d, size_t a, size_t b, int type)
{
    if (a >= b)
        return 0;
    if (d->nm == d->capm) {
        size_t cap = d->capm ? d->capm * 2 : 64;
        struct mention *m = realloc(d->m, cap * sizeof(*m));
        if (!m)
            return -ENOMEM;
        d->m = m;
        d->capm = cap;
    }
    d->m[d->nm++] = (struct mention){ d->k.v[a].start, d->k.v[b - 1].end, type, -1 };
    for (size_t i = a; i < b; i++)
        d->used[i] = 1;
    return 0;
}

/* Text of a mention, for comparisons. */
static int s_mention_eq(const struct doc *d, const struct mention *m, const char *s, size_t n)
{
    return m->end - m->start == n && memcmp(d->t + m->start, s, n) == 0;
}

/* True when a and b differ by exactly one edit (insert, delete, substitute). */
static int s_one_edit(const char *a, size_t na, const char *b, size_t nb)
{
    if (na > nb) {
        const char *t = a;
        a = b;
        b = t;
        size_t tn = na;
        na = nb;
        nb = tn;
    }
    if (nb - na > 1)
        return 0;
    size_t i = 0;
    while (i < na && a[i] == b[i])
        i++;
    if (na == nb)
        return i < na && memcmp(a + i + 1, b + i + 1, na - i - 1) == 0;
    return memcmp(a + i, b + i + 1, na - i) == 0;
}

/* --- names, and corrections across the article ------------------------- */

/* Institutions news names by their seat: CoNLL-2003 tags "Kremlin" a
 * place, but "the Kremlin said" is the Russian government speaking, and
 * that is what a reader looks for. */
static const char *const s_seats[] = { "Kremlin",        "White House", "Pentagon",
                                       "Downing Street", "Elysee",      "\xc3\x89lys\xc3\xa9\x65",
                                       "Zhongnanhai",    NULL };

/* The last word of a person's name, as s_consistency looks it up: plain
 * when a person not named as a seat of government ends with it, and
 * seat_after one past the highest index of a seat tagged a person that ends
 * with it (0 when none does). */
struct last_word {
    uint32_t start, len;
    int plain;
    size_t seat_after;
};

/* Whether mention m's text is a seat of government. */
static int s_is_seat(const struct doc *d, const struct mention *m)
{
    size_t n = m->end - m->start;
    for (size_t k = 0; s_seats[k]; k++)
        if (strlen(s_seats[k]) == n && memcmp(s_seats[k], d->t + m->start, n) == 0)
            return 1;
    return 0;
}

/* The slot of the word (s, n) in the table lw of cap slots (a power of
 * two): the slot that holds it, or the empty one where it goes. */
static struct last_word *s_last_word_slot(const struct doc *d, struct last_word *lw, size_t cap,
                                          const char *s, size_t n)
{
    size_t h = (size_t)pl_hash(s, n) & (cap - 1);
    while (lw[h].len != 0 && (lw[h].len != n || memcmp(d->t + lw[h].start, s, n) != 0))
        h = (h + 1) & (cap - 1);
    return &lw[h];
}

/* Fills lw (cap slots, zeroed) with the last words of the persons' names
 * with more than one word, in one pass instead of one per mention. */
static void s_last_words(const struct doc *d, struct last_word *lw, size_t cap)
{
    for (size_t j = 0; j < d->nm; j++) {
        const struct mention *p = &d->m[j];
        const char *s = d->t + p->start;
        size_t pn = p->end - p->start;
        const char *sp = p->type == E_PER ? memrchr(s, ' ', pn) : NULL;
        if (!sp || sp == s || (size_t)(sp - s) + 1 == pn)
            continue;
        size_t n = pn - (size_t)(sp - s) - 1;
        struct last_word *w = s_last_word_slot(d, lw, cap, sp + 1, n);
        w->start = (uint32_t)(sp + 1 - d->t);
        w->len = (uint32_t)n;
        if (s_is_seat(d, p))
            w->seat_after = j + 1;
        else
            w->plain = 1;
    }
}

/* Corrections the tagger cannot make one sentence at a time: seats of
 * government are organisations, and a single word that is the surname of a
 * person named in full in the same article is that person ("Trump" after
 * "Donald Trump", even where "Trump" alone was read as an organisation).
 * The names are looked up in a hash table of the persons' last words, so
 * the cost is linear in the mentions; a seat tagged a person still counts
 * for the mentions before it, which it did when each mention scanned the
 * others in order and the seat had not yet been corrected. Returns 0 or
 * -ENOMEM. */
static int s_consistency(struct doc *d)
{
    size_t cap = 16;
    while (cap < 2 * d->nm + 1)
        cap *= 2;
    struct last_word *lw = calloc(cap, sizeof(*lw));
    if (!lw)
        return -ENOMEM;
    s_last_words(d, lw, cap);
    for (size_t i = 0; i < d->nm; i++) {
        struct mention *m = &d->m[i];
        const char *s = d->t + m->start;
        size_t n = m->end - m->start;
        if (s_is_seat(d, m))
            m->type = E_ORG;
        if (m->type == E_PER || n == 0 || memchr(s, ' ', n))
            continue;
        const struct last_word *w = s_last_word_slot(d, lw, cap, s, n);
        if (w->len != 0 && (w->plain || w->seat_after > i + 1))
            m->type = E_PER;
    }
    free(lw);
    return 0;
}

/* Whether token t is a word of lower-case ASCII letters alone. */
static bool s_plain_lower(const struct pl_ner_tok *t)
{
    for (uint32_t i = 0; i < t->n; i++)
        if (t->s[i] < 'a' || t->s[i] > 'z')
            return false;
    return t->n > 0;
}

/* Names by the tagger, on tokens not inside a date. A person's name
 * never ends in a plain lower-case word (none of CoNLL-2003 train's 6,600
 * does: particles such as "van" or "de" come before the surname), so a
 * PER span that does ("a black Mercedes van") is not kept: which part of
 * it would be a name, if any, the tagger has not said. */
static int s_names(struct doc *d)
{
    size_t n = d->k.n;
    struct pl_ner_tok *tok = malloc((n + 1) * sizeof(*tok));
    uint8_t *tags = malloc(n + 1);
    struct pl_ner_doc nd = { 0 };
    int rc = -ENOMEM;
    if (!tok || !tags)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const struct pl_token *k = &d->k.v[i];
        tok[i] = (struct pl_ner_tok){ d->t + k->start, k->end - k->start,
                                      (k->flags & PL_TF_SENT_START) != 0 || i == 0 };
    }
    if (pl_ner_doc_init(&nd, d->st->model, tok, n) != 0 || pl_ner_tag(&nd, tags) != 0)
        goto out;
    for (size_t a = 0; a < n;) {
        int ty = pl_ner_tag_type(tags[a]);
        size_t b = pl_ner_span_end(tags, n, a);
        int clash = 0;
        for (size_t i = a; ty >= 0 && i < b; i++)
            clash |= d->used[i];
        /* Tagger types are CoNLL's order: PER ORG LOC MISC. */
        if (ty == 0 && b - a > 1 && s_plain_lower(&tok[b - 1]))
            clash = 1;
        if (ty >= 0 && !clash && s_add_mention(d, a, b, E_PER + ty) != 0)
            goto out;
        a = b;
    }
    rc = 0;
out:
    pl_ner_doc_free(&nd);
    free(tok);
    free(tags);
    return rc;
}

/* --- grouping ------------------------------------------------------------- */

static int s_find(int *parent, int x)
{
    while (parent[x] != x)
        x = parent[x] = parent[parent[x]];
    return x;
}

static void s_union(int *parent, int a, int b)
{
    a = s_find(parent, a);
    b = s_find(parent, b);
    if (a != b)
        parent[b] = a;
}

/* Forms of one country written differently. */
static const char *const s_synonyms[][8] = {
    { "United States", "United States of America", "U.S.", "US", "USA", "U.S.A.", "America", NULL },
    { "United Kingdom", "UK", "U.K.", "Britain", "Great Britain", NULL },
    { "European Union", "EU", NULL },
    { "United Nations", "UN", "U.N.", NULL },
    { "Russia", "Russian Federation", NULL },
    { "Turkey", "Türkiye", NULL },
    { "Kyiv", "Kiev", NULL },
};

static int s_synonym_set(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(s_synonyms) / sizeof(s_synonyms[0]); i++)
        for (size_t j = 0; s_synonyms[i][j]; j++)
            if (strlen(s_synonyms[i][j]) == n && memcmp(s_synonyms[i][j], s, n) == 0)
                return (int)i;
    return -1;
}

/* Files each mention under a form: the first mention with the same type
 * and the same text. forms[f] is the first mention of form f, form_of[i]
 * the form of mention i. Returns the number of forms, or -ENOMEM. */
static long s_forms(const struct doc *d, int *form_of, int *forms)
{
    size_t cap = 64;
    while (cap < d->nm * 2 + 2)
        cap *= 2;
    int *slot = malloc(cap * sizeof(int));
    if (!slot)
        return -ENOMEM;
    size_t nf = 0;
    for (size_t i = 0; i < cap; i++)
        slot[i] = -1;
    for (size_t i = 0; i < d->nm; i++) {
        const struct mention *m = &d->m[i];
        size_t n = m->end - m->start;
        size_t h =
            (pl_hash(d->t + m->start, n) ^ (uint64_t)m->type * 0x9e3779b97f4a7c15ull) & (cap - 1);
        for (;; h = (h + 1) & (cap - 1)) {
            if (slot[h] < 0) {
                slot[h] = (int)nf;
                forms[nf] = (int)i;
                form_of[i] = (int)nf++;
                break;
            }
            const struct mention *o = &d->m[forms[slot[h]]];
            if (o->type == m->type && o->end - o->start == n &&
                !memcmp(d->t + o->start, d->t + m->start, n)) {
                form_of[i] = slot[h];
                break;
            }
        }
    }
    free(slot);
    return (long)nf;
}

/* Whether the forms a and b (of one type) name one entity; asyn is a's
 * synonym set (s_synonym_set), -1 for none. */
static int s_same_entity(const struct doc *d, const struct mention *a, const struct mention *b,
                         int asyn)
{
    const char *as = d->t + a->start, *bs = d->t + b->start;
    size_t an = a->end - a->start, bn = b->end - b->start;
    if (an == bn && memcmp(as, bs, an) == 0)
        return 1;
    if (asyn >= 0 && asyn == s_synonym_set(bs, bn))
        return 1;
    if (a->type == E_DATE)
        return 0;
    /* The longer and the shorter of the two. */
    const char *ls = an > bn ? as : bs, *ss = an > bn ? bs : as;
    size_t ln = an > bn ? an : bn, sn = an > bn ? bn : an;
    /* "Putin" is "Vladimir Putin"; "Coulter" is "Sonata Coulter". */
    if (a->type == E_PER && !memchr(ss, ' ', sn) && memcmp(ls + ln - sn, ss, sn) == 0 &&
        ls[ln - sn - 1] == ' ')
        return 1;
    /* Spelling variants: "Darchiev" / "Darchiyev". */
    if (an >= 6 && bn >= 6 && s_one_edit(as, an, bs, bn))
        return 1;
    /* "Alexander Darchiyev" and "Darchiev": a surname one edit away. */
    if (a->type == E_PER) {
        const char *sp = memrchr(ls, ' ', ln);
        if (sp && !memchr(ss, ' ', sn) && sn >= 6) {
            size_t tail = ln - (size_t)(sp + 1 - ls);
            return s_one_edit(sp + 1, tail, ss, sn);
        }
    }
    return 0;
}

static int s_cmp_mention(const void *x, const void *y)
{
    const struct mention *a = x, *b = y;
    return a->start < b->start ? -1 : a->start > b->start;
}

/* Candidate pairs for s_same_entity. Two forms can name one entity only
 * when they share a key: their synonym set; their text, or their text less
 * one byte (two strings one edit apart always share one of those); or, for
 * persons, the same for their last word. So the forms are filed under their
 * keys, and only forms filed under the same key are compared, instead of
 * every pair of forms. */
struct key_entry {
    uint64_t key;
    int form;
};

struct key_list {
    struct key_entry *v;
    size_t n, cap;
};

static int s_key_add(struct key_list *k, uint64_t key, int type, int form)
{
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 256;
        struct key_entry *v = realloc(k->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        k->v = v;
        k->cap = cap;
    }
    k->v[k->n++] = (struct key_entry){
        (key ^ (uint64_t)(type + 1) * 0x9e3779b97f4a7c15ull) * 0xff51afd7ed558ccdull, form
    };
    return 0;
}

#define S_KEY_BASE 0x100000001b3ull

/* Files form f (of type type) under the polynomial hash of s[0..n), and of
 * s less each one byte, all salted with kind: O(n) with prefix and suffix
 * hashes. pow is scratch of n + 1 entries. */
static int s_key_text(struct key_list *k, uint64_t kind, int type, int f, const char *s, size_t n,
                      uint64_t *pow)
{
    pow[0] = 1;
    for (size_t i = 1; i <= n; i++)
        pow[i] = pow[i - 1] * S_KEY_BASE;
    uint64_t whole = 0;
    for (size_t i = 0; i < n; i++)
        whole = whole * S_KEY_BASE + (unsigned char)s[i] + 1;
    if (s_key_add(k, (whole + kind) ^ ((uint64_t)n << 56), type, f) != 0)
        return -ENOMEM;
    /* pre: hash of s[0..i); suf: hash of s[i+1..n), both as polynomials. */
    uint64_t pre = 0, suf = 0;
    uint64_t *sufs = pow + n + 1;
    sufs[n] = 0;
    for (size_t i = n; i-- > 0;)
        sufs[i] = ((unsigned char)s[i] + 1) * pow[n - 1 - i] + sufs[i + 1];
    for (size_t i = 0; i < n; i++) {
        suf = sufs[i + 1];
        uint64_t h = pre * pow[n - 1 - i] + suf;
        if (s_key_add(k, (h + kind) ^ ((uint64_t)(n - 1) << 56), type, f) != 0)
            return -ENOMEM;
        pre = pre * S_KEY_BASE + (unsigned char)s[i] + 1;
    }
    return 0;
}

/* Files every form under its keys (see struct key_entry). */
static int s_form_keys(const struct doc *d, const int *forms, long nf, struct key_list *k)
{
    size_t longest = 0;
    for (long i = 0; i < nf; i++) {
        const struct mention *a = &d->m[forms[i]];
        if (a->end - a->start > longest)
            longest = a->end - a->start;
    }
    uint64_t *pow = malloc((2 * longest + 4) * sizeof(*pow));
    if (!pow)
        return -ENOMEM;
    int rc = 0;
    for (long i = 0; rc == 0 && i < nf; i++) {
        const struct mention *a = &d->m[forms[i]];
        const char *s = d->t + a->start;
        size_t n = a->end - a->start;
        int syn = s_synonym_set(s, n);
        if (syn >= 0)
            rc = s_key_add(k, 0x5a5a5a5aull + (uint64_t)syn, a->type, (int)i);
        if (rc == 0 && a->type != E_DATE && n >= 6)
            rc = s_key_text(k, 1, a->type, (int)i, s, n, pow);
        const char *sp = a->type == E_PER ? memrchr(s, ' ', n) : NULL;
        size_t tn = sp ? n - (size_t)(sp + 1 - s) : n;
        if (rc == 0 && a->type == E_PER)
            rc = s_key_text(k, 2, a->type, (int)i, s + (n - tn), tn, pow);
    }
    free(pow);
    return rc;
}

static int s_cmp_key(const void *x, const void *y)
{
    const struct key_entry *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->form > b->form) - (a->form < b->form);
}

static int s_cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* The pairs (i < j, as i << 32 | j) of forms filed under a common key,
 * sorted and unique, into *pairs (caller frees). Returns the number of
 * pairs, or -ENOMEM. */
static long s_candidate_pairs(const struct doc *d, const int *forms, long nf, uint64_t **pairs)
{
    struct key_list k = { 0 };
    uint64_t *v = NULL;
    size_t n = 0, cap = 0;
    long rc = s_form_keys(d, forms, nf, &k);
    if (rc == 0 && k.n > 1)
        qsort(k.v, k.n, sizeof(*k.v), s_cmp_key);
    for (size_t a = 0; rc == 0 && a < k.n;) {
        size_t b = a + 1;
        while (b < k.n && k.v[b].key == k.v[a].key)
            b++;
        for (size_t i = a; rc == 0 && i < b; i++)
            for (size_t j = i + 1; j < b; j++) {
                if (k.v[i].form == k.v[j].form)
                    continue;
                if (n == cap) {
                    cap = cap ? cap * 2 : 256;
                    uint64_t *nv = realloc(v, cap * sizeof(*v));
                    if (!nv) {
                        rc = -ENOMEM;
                        break;
                    }
                    v = nv;
                }
                v[n++] = (uint64_t)k.v[i].form << 32 | (uint64_t)k.v[j].form;
            }
        a = b;
    }
    free(k.v);
    if (rc != 0) {
        free(v);
        return rc;
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), s_cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || v[u - 1] != v[i])
            v[u++] = v[i];
    *pairs = v;
    return (long)u;
}

/* Puts the mentions in text order and groups them: first by identical
 * (type, text) into forms, then forms by s_same_entity. The forms compared
 * are the candidate pairs (s_candidate_pairs), in the order of a pairwise
 * scan, i then j, so the unions, and the groups' first mentions, are those
 * of comparing every pair. Sets each mention's group to the index of the
 * first mention of its group. Returns 0 or -ENOMEM. */
static int s_group(struct doc *d)
{
    if (d->nm > 1)
        qsort(d->m, d->nm, sizeof(*d->m), s_cmp_mention);
    int *parent = malloc((d->nm + 1) * sizeof(int));
    int *form_of = malloc((d->nm + 1) * sizeof(int));
    int *forms = malloc((d->nm + 1) * sizeof(int)); /* first mention of each form */
    uint64_t *pairs = NULL;
    long nf = -ENOMEM, np = 0;
    if (parent && form_of && forms)
        nf = s_forms(d, form_of, forms);
    if (nf >= 0)
        np = s_candidate_pairs(d, forms, nf, &pairs);
    if (np < 0)
        nf = np;
    for (long i = 0; i < nf; i++)
        parent[i] = (int)i;
    for (long p = 0; nf >= 0 && p < np; p++) {
        int i = (int)(pairs[p] >> 32), j = (int)(pairs[p] & 0xffffffffu);
        const struct mention *a = &d->m[forms[i]], *b = &d->m[forms[j]];
        int asyn = s_synonym_set(d->t + a->start, a->end - a->start);
        if (a->type == b->type && s_same_entity(d, a, b, asyn))
            s_union(parent, i, j);
    }
    for (size_t i = 0; nf >= 0 && i < d->nm; i++)
        d->m[i].group = forms[s_find(parent, form_of[i])];
    free(pairs);
    free(parent);
    free(form_of);
    free(forms);
    return nf < 0 ? (int)nf : 0;
}

/* --- the document's steps and output -------------------------------------- */

/* Tokens of the text, and the sentence starts the tagger reads (the
 * sentence spans themselves are not needed). Returns 0 or -ENOMEM. */
static int s_tokenize(struct doc *d, size_t n)
{
    struct pl_spans sents = { 0 };
    int rc = pl_tokenize(d->t, n, &d->k);
    if (rc == 0)
        rc = pl_sentences(d->t, &d->k, &sents);
    free(sents.v);
    if (rc != 0)
        return rc;
    d->used = calloc(d->k.n + 1, 1);
    return d->used ? 0 : -ENOMEM;
}

/* Dates by the rules of dates.c, first, so that they win over names; each
 * is also a mention. published is the document's "published" member, or
 * NULL. Returns 0 or -ENOMEM. */
static int s_dates(struct doc *d, const cJSON *published, struct pl_date_hits *dates)
{
    if (pl_find_dates(d->t, &d->k, cJSON_IsString(published) ? published->valuestring : NULL,
                      d->used, dates) != 0)
        return -ENOMEM;
    for (size_t i = 0; i < dates->n; i++)
        if (s_add_mention(d, dates->v[i].tok_a, dates->v[i].tok_b, E_DATE) != 0)
            return -ENOMEM;
    return 0;
}

/* The groups in output order, each as a list of its mentions in text
 * order: head[g] is the first mention of the group whose first mention is
 * g, next[i] the one after mention i (-1 at the end). */
struct groups {
    int *count, *order, *head, *next;
    size_t roots;
};

static void s_groups_free(struct groups *g)
{
    free(g->count);
    free(g->order);
    free(g->head);
    free(g->next);
}

/* Fills g from the grouped mentions; the groups ordered by count, then
 * first mention. Returns 0 or -ENOMEM; free g with s_groups_free either
 * way. */
static int s_groups(const struct doc *d, struct groups *g)
{
    g->count = calloc(d->nm + 1, sizeof(int));
    g->order = malloc((d->nm + 1) * sizeof(int));
    g->head = malloc((d->nm + 1) * sizeof(int));
    g->next = malloc((d->nm + 1) * sizeof(int));
    if (!g->count || !g->order || !g->head || !g->next)
        return -ENOMEM;
    for (size_t i = 0; i < d->nm; i++)
        g->head[i] = -1;
    for (size_t i = d->nm; i-- > 0;) {
        g->next[i] = g->head[d->m[i].group];
        g->head[d->m[i].group] = (int)i;
        g->count[d->m[i].group]++;
    }
    for (size_t i = 0; i < d->nm; i++)
        if (d->m[i].group == (int)i)
            g->order[g->roots++] = (int)i;
    /* Insertion sort by count desc; roots are already in text order. */
    for (size_t i = 1; i < g->roots; i++) {
        int v = g->order[i];
        size_t j = i;
        while (j > 0 && g->count[g->order[j - 1]] < g->count[v]) {
            g->order[j] = g->order[j - 1];
            j--;
        }
        g->order[j] = v;
    }
    return 0;
}

/* The mentions of group r into the array mentions, and each other text
 * they are written in (once) into aliases. Returns 0 or -ENOMEM. */
static int s_emit_mentions(const struct doc *d, const struct groups *g, int r, const char *canon,
                           cJSON *mentions, cJSON *aliases)
{
    for (int i = g->head[r]; i >= 0; i = g->next[i]) {
        const struct mention *m = &d->m[i];
        cJSON *mj = cJSON_CreateObject();
        if (!mj || !cJSON_AddItemToArray(mentions, mj)) {
            cJSON_Delete(mj);
            return -ENOMEM;
        }
        cJSON_AddNumberToObject(mj, "start", m->start);
        cJSON_AddNumberToObject(mj, "end", m->end);
        size_t mn = m->end - m->start;
        if (s_mention_eq(d, m, canon, strlen(canon)))
            continue;
        int seen = 0;
        const cJSON *al;
        cJSON_ArrayForEach(al, aliases)
        {
            if (strlen(al->valuestring) == mn && !memcmp(al->valuestring, d->t + m->start, mn))
                seen = 1;
        }
        if (!seen) {
            char *s = strndup(d->t + m->start, mn);
            int ok = s && cJSON_AddItemToArray(aliases, cJSON_CreateString(s));
            free(s);
            if (!ok)
                return -ENOMEM;
        }
    }
    return 0;
}

/* One entity, the group r, into ents: its canonical text (the longest
 * form; among equals, the first), type, count, mentions and aliases.
 * Returns 0 or -ENOMEM. */
static int s_emit_entity(const struct doc *d, const struct groups *g, int r, cJSON *ents)
{
    size_t best = (size_t)r;
    for (int i = g->head[r]; i >= 0; i = g->next[i])
        if (d->m[i].end - d->m[i].start > d->m[best].end - d->m[best].start)
            best = (size_t)i;
    cJSON *e = cJSON_CreateObject();
    cJSON *mentions = cJSON_CreateArray();
    cJSON *aliases = cJSON_CreateArray();
    if (!e || !mentions || !aliases || !cJSON_AddItemToArray(ents, e)) {
        cJSON_Delete(e);
        cJSON_Delete(mentions);
        cJSON_Delete(aliases);
        return -ENOMEM;
    }
    char *canon = strndup(d->t + d->m[best].start, d->m[best].end - d->m[best].start);
    if (!canon || !cJSON_AddStringToObject(e, "text", canon) ||
        !cJSON_AddStringToObject(e, "type", s_type_names[d->m[r].type]) ||
        !cJSON_AddNumberToObject(e, "count", g->count[r]) ||
        !cJSON_AddItemToObject(e, "mentions", mentions)) {
        free(canon);
        cJSON_Delete(mentions);
        cJSON_Delete(aliases);
        return -ENOMEM;
    }
    if (!cJSON_AddItemToObject(e, "aliases", aliases)) {
        free(canon);
        cJSON_Delete(aliases);
        return -ENOMEM;
    }
    int rc = s_emit_mentions(d, g, r, canon, mentions, aliases);
    free(canon);
    return rc;
}

/* "entities": the groups, the most mentioned first. Returns 0 or -ENOMEM. */
static int s_emit_entities(cJSON *doc, const struct doc *d)
{
    cJSON *ents = cJSON_CreateArray();
    if (!ents || pl_doc_set(doc, "entities", ents) != 0)
        return -ENOMEM;
    struct groups g = { 0 };
    int rc = s_groups(d, &g);
    for (size_t r = 0; rc == 0 && r < g.roots; r++)
        rc = s_emit_entity(d, &g, g.order[r], ents);
    s_groups_free(&g);
    return rc;
}

/* "dates": each date as written, with its ISO value or null. Returns 0 or
 * -ENOMEM. */
static int s_emit_dates(cJSON *doc, const struct doc *d, const struct pl_date_hits *dates)
{
    cJSON *dj = cJSON_CreateArray();
    if (!dj || pl_doc_set(doc, "dates", dj) != 0)
        return -ENOMEM;
    for (size_t i = 0; i < dates->n; i++) {
        const struct pl_date_hit *h = &dates->v[i];
        cJSON *o = cJSON_CreateObject();
        char *s = strndup(d->t + h->start, h->end - h->start);
        if (!o || !s || !cJSON_AddItemToArray(dj, o)) {
            cJSON_Delete(o);
            free(s);
            return -ENOMEM;
        }
        cJSON_AddStringToObject(o, "text", s);
        free(s);
        if (h->value[0])
            cJSON_AddStringToObject(o, "value", h->value);
        else
            cJSON_AddNullToObject(o, "value");
        cJSON_AddNumberToObject(o, "start", h->start);
        cJSON_AddNumberToObject(o, "end", h->end);
    }
    return 0;
}

static int s_process(void *state, const char *docjson, size_t len, char **out, size_t *out_len,
                     struct pl_error *err)
{
    struct doc d = { .st = state };
    struct pl_date_hits dates = { 0 };
    int rc = -1;
    cJSON *doc = pl_doc_parse(docjson, len, err);
    if (!doc)
        return -1;
    size_t n;
    d.t = pl_doc_text(doc, &n);
    if (!d.t) {
        pl_fail(err, "entities: the document has no \"text\" (run the clean stage first)");
        goto out;
    }
    if (s_tokenize(&d, n) != 0 ||
        s_dates(&d, cJSON_GetObjectItemCaseSensitive(doc, "published"), &dates) != 0 ||
        s_names(&d) != 0 || s_consistency(&d) != 0)
        goto oom;
    if (s_group(&d) != 0 || s_emit_entities(doc, &d) != 0 || s_emit_dates(doc, &d, &dates) != 0)
        goto oom;
    static const char *const keys[] = { "entities", "dates", NULL };
    rc = pl_doc_emit_patch(doc, keys, out, out_len, err);
    goto out;
oom:
    pl_fail(err, "entities: out of memory");
out:
    cJSON_Delete(doc);
    free(d.k.v);
    free(d.used);
    free(d.m);
    free(dates.v);
    return rc;
}

PL_PLUGIN_EXPORT const struct pl_plugin pressline_plugin = {
    .magic = PL_PLUGIN_MAGIC,
    .abi_version = PL_PLUGIN_ABI_VERSION,
    .size = sizeof(struct pl_plugin),
    .flags = PL_PLUGIN_THREAD_SAFE,
    .name = "entities",
    .version = "0.2.0",
    .description = "people, organisations, places, other names (trained tagger) and dates (rules)",
    .init = s_init,
    .process = s_process,
    .release = pl_doc_release,
    .fini = s_fini,
};
