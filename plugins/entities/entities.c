/*
 * entities: people, organisations, places, other names (CoNLL-2003 classes)
 * and dates in the document's "text".
 *
 * This first tagger works by rules: spans of capitalised words, classified by
 * gazetteers (countries and subdivisions from iso-codes, cities from tzdata,
 * a hand-kept list of organisations, regions, demonyms, given names and
 * roles: see tools/gen-gazetteer.py), by cue words (a role before a name, an
 * organisation head noun such as "Department" at the end, "said" after a
 * name, an appositive ", Russia's new ambassador") and by document-level
 * consistency (a surname alone is the person named in full elsewhere). Lines
 * in title case (headings) take only names already known. Mentions of one
 * entity are grouped under the longest form with its aliases.
 *
 * Output: "entities" [{text,type,count,mentions[{start,end}],aliases[]}] with
 * DATE entities included, and "dates" [{text,value,start,end}]. Offsets are
 * UTF-8 byte offsets into "text".
 *
 * Thread-safe: the gazetteer is read-only after init.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "docjson.h"
#include "text.h"

extern const char pl_gazetteer_tsv[];

enum {
    G_LOC = 1,
    G_ORG = 2,
    G_MISC = 4,
    G_FIRST = 8,
    G_ROLE = 16,
};

enum etype { E_NONE = 0, E_PER, E_ORG, E_LOC, E_MISC, E_DATE };
static const char *const s_type_names[] = { "", "PERSON", "ORG", "LOC", "MISC", "DATE" };

struct gz_slot {
    char *key;
    unsigned kinds;
};

struct ent_state {
    struct gz_slot *slots;
    size_t mask; /* slots - 1, a power of two minus one */
    int max_tokens;
};

static unsigned s_gz_get(const struct ent_state *st, const char *s, size_t n)
{
    for (size_t i = pl_hash(s, n) & st->mask;; i = (i + 1) & st->mask) {
        const struct gz_slot *sl = &st->slots[i];
        if (!sl->key)
            return 0;
        if (strlen(sl->key) == n && memcmp(sl->key, s, n) == 0)
            return sl->kinds;
    }
}

static int s_gz_add(struct ent_state *st, const char *s, size_t n, unsigned kind)
{
    for (size_t i = pl_hash(s, n) & st->mask;; i = (i + 1) & st->mask) {
        struct gz_slot *sl = &st->slots[i];
        if (!sl->key) {
            sl->key = strndup(s, n);
            if (!sl->key)
                return -ENOMEM;
            sl->kinds = kind;
            return 0;
        }
        if (strlen(sl->key) == n && memcmp(sl->key, s, n) == 0) {
            sl->kinds |= kind;
            return 0;
        }
    }
}

static void s_fini(void *state)
{
    struct ent_state *st = state;
    if (!st)
        return;
    for (size_t i = 0; st->slots && i <= st->mask; i++)
        free(st->slots[i].key);
    free(st->slots);
    free(st);
}

static int s_init(const struct pl_host *host, const char *options_json, void **state,
                  struct pl_error *err)
{
    (void)host;
    static const char *const keys[] = { NULL };
    cJSON *o = pl_options_parse(options_json, err);
    if (!o)
        return -1;
    int rc = pl_options_check_keys(o, "entities", keys, err);
    cJSON_Delete(o);
    if (rc)
        return -1;

    struct ent_state *st = calloc(1, sizeof(*st));
    if (!st)
        return pl_fail(err, "entities: out of memory");
    size_t lines = 0;
    for (const char *p = pl_gazetteer_tsv; *p; p++)
        lines += *p == '\n';
    size_t cap = 16;
    while (cap < lines * 3)
        cap *= 2;
    st->slots = calloc(cap, sizeof(*st->slots));
    st->mask = cap - 1;
    if (!st->slots)
        goto oom;
    for (const char *p = pl_gazetteer_tsv; *p;) {
        const char *e = strchr(p, '\n');
        if (!e)
            e = p + strlen(p);
        const char *tab = memchr(p, '\t', (size_t)(e - p));
        if (*p != '#' && tab) {
            size_t kn = (size_t)(tab - p);
            unsigned kind = 0;
            if (kn == 3 && !memcmp(p, "LOC", 3))
                kind = G_LOC;
            else if (kn == 3 && !memcmp(p, "ORG", 3))
                kind = G_ORG;
            else if (kn == 4 && !memcmp(p, "MISC", 4))
                kind = G_MISC;
            else if (kn == 5 && !memcmp(p, "FIRST", 5))
                kind = G_FIRST;
            else if (kn == 4 && !memcmp(p, "ROLE", 4))
                kind = G_ROLE;
            const char *name = tab + 1;
            size_t nn = (size_t)(e - name);
            int toks = 1;
            for (size_t i = 0; i < nn; i++)
                toks += name[i] == ' ';
            if (toks > st->max_tokens)
                st->max_tokens = toks;
            if (kind && s_gz_add(st, name, nn, kind) != 0)
                goto oom;
        }
        p = *e ? e + 1 : e;
    }
    *state = st;
    return 0;
oom:
    s_fini(st);
    return pl_fail(err, "entities: out of memory loading the gazetteer");
}

/* --- per-document work ----------------------------------------------------- */

struct mention {
    uint32_t start, end;
    int type;
    int group;
};

/* A set of byte strings inside the text (no copies), for document-level
 * evidence: which words occur in lower case, which capitalised mid-sentence. */
struct wordset {
    struct pl_span *slots; /* end == 0: empty */
    size_t mask;
};

struct doc {
    const struct ent_state *st;
    struct wordset lower_seen; /* words written in lower case somewhere */
    struct wordset cap_mid;    /* capitalised words not at a sentence start */
    struct wordset surnames;   /* see s_collect_surnames */
    struct pl_span *surname_list;
    size_t nsurnames;
    const char *t;
    struct pl_tokens k;
    uint8_t *used;    /* token is inside a date or an entity already */
    uint8_t *initial; /* first word of a sentence, bullet or quote */
    uint8_t *titled;  /* token lies on a title-case line (a heading) */
    struct mention *m;
    size_t nm, capm;
};

static int s_tok_eq(const struct doc *d, size_t i, const char *w)
{
    const struct pl_token *k = &d->k.v[i];
    size_t n = strlen(w);
    return k->end - k->start == n && memcmp(d->t + k->start, w, n) == 0;
}

static int s_tok_lower_eq(const struct doc *d, size_t i, const char *w)
{
    const struct pl_token *k = &d->k.v[i];
    size_t n = strlen(w);
    return k->end - k->start == n && strncasecmp(d->t + k->start, w, n) == 0;
}

/* Gazetteer kinds for tokens [a,b) joined as written (one space where the
 * text has any white space). */
static unsigned s_gz_span(const struct doc *d, size_t a, size_t b)
{
    char buf[256];
    size_t o = 0;
    for (size_t i = a; i < b; i++) {
        const struct pl_token *k = &d->k.v[i];
        size_t n = k->end - k->start;
        if (i > a && k->start > d->k.v[i - 1].end)
            buf[o++] = ' ';
        if (o + n + 2 > sizeof(buf))
            return 0;
        memcpy(buf + o, d->t + k->start, n);
        o += n;
    }
    return s_gz_get(d->st, buf, o);
}

static int s_is_word(const struct pl_token *k)
{
    return k->kind == PL_TOK_WORD || k->kind == PL_TOK_ABBREV;
}

static int s_is_cap_word(const struct doc *d, size_t i)
{
    const struct pl_token *k = &d->k.v[i];
    return s_is_word(k) && (k->flags & PL_TF_CAP) && !d->used[i];
}

static const char *const s_org_heads[] = {
    "Department", "Ministry", "Agency", "Council", "Committee", "Commission", "Party", "Bank",
    "Fund", "Institute", "University", "College", "School", "Corporation", "Corp.", "Inc.",
    "Ltd.", "Company", "Co.", "Group", "Association", "Organization", "Organisation", "Union",
    "Court", "Congress", "Parliament", "Senate", "Assembly", "Office", "Service", "Services",
    "Forces", "Army", "Navy", "Police", "Times", "Post", "Journal", "News", "Network",
    "Foundation", "Board", "Authority", "Administration", "Bureau", "Federation", "League",
    "Club", "Airlines", "Airways", "Motors", "Holdings", "Exchange", "Centre", "Center",
    "Museum", "Hospital", "Guard", "Command", "Coalition", "Alliance", "Movement", "Front",
    "Brigade", "Trust", "Partners", "Capital", "Technologies", "Systems", "Labs", "Media",
    "Press", "Agency", "Secretariat", "Cabinet", "Government", "Tribunal", "Academy",
};

static int s_is_org_head(const struct doc *d, size_t i)
{
    for (size_t j = 0; j < sizeof(s_org_heads) / sizeof(s_org_heads[0]); j++)
        if (s_tok_eq(d, i, s_org_heads[j]))
            return 1;
    return 0;
}

/* Lower-case words that, right before a name, say it is a person's. */
static const char *const s_person_cues[] = {
    "spokesperson", "spokeswoman", "spokesman", "president", "minister", "secretary",
    "ambassador", "envoy", "leader", "chief", "director", "senator", "official", "analyst",
    "lawmaker", "chairman", "chairwoman", "ceo", "founder", "governor", "mayor", "judge",
    "prosecutor", "lawyer", "attorney", "professor", "researcher", "economist", "journalist",
    "reporter", "correspondent", "editor", "author", "actor", "actress", "singer", "player",
    "coach", "striker", "captain", "general", "commander", "colonel", "pilot", "wife",
    "husband", "son", "daughter", "mother", "father", "brother", "sister", "advisor", "adviser",
    "aide", "deputy", "negotiator", "diplomat", "counterpart", "premier", "chancellor",
    "successor", "predecessor", "candidate", "activist", "executive", "manager", "head",
    "mr.", "mrs.", "ms.", "dr.", NULL,
};

static const char *const s_speech_verbs[] = {
    "said", "says", "told", "added", "noted", "stated", "acknowledged", "emphasized",
    "emphasised", "warned", "wrote", "announced", "argued", "insisted", "explained", "asked",
    "replied", "claimed", "confirmed", "denied", "tweeted", "posted", "admitted", "suggested",
    "mentioned", "signaled", "signalled", "echoed", NULL,
};

static int s_in_list(const struct doc *d, size_t i, const char *const *list)
{
    for (const char *const *w = list; *w; w++)
        if (s_tok_lower_eq(d, i, *w))
            return 1;
    return 0;
}

/* Does a role follow an appositive comma after the span?
 * "Alexander Darchiev, Russia's new ambassador", "Sonata Coulter, the U.S.
 * Deputy Assistant Secretary of State". */
static int s_appositive_role(const struct doc *d, size_t b)
{
    if (b >= d->k.n || !s_tok_eq(d, b, ","))
        return 0;
    for (size_t i = b + 1; i < d->k.n && i < b + 7; i++) {
        const struct pl_token *k = &d->k.v[i];
        if (k->flags & PL_TF_NEWLINE)
            return 0;
        if (k->kind == PL_TOK_PUNCT && !s_tok_eq(d, i, "\xe2\x80\x99") && !s_tok_eq(d, i, "'"))
            return 0;
        if (s_in_list(d, i, s_person_cues) || (s_gz_span(d, i, i + 1) & G_ROLE))
            return 1;
    }
    return 0;
}

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

static int s_gz_type(unsigned kinds)
{
    if (kinds & G_ORG)
        return E_ORG;
    if (kinds & G_LOC)
        return E_LOC;
    if (kinds & G_MISC)
        return E_MISC;
    return E_NONE;
}

/* Longest gazetteer entity (LOC/ORG/MISC) starting at a within [a,b). */
static size_t s_longest_gz(const struct doc *d, size_t a, size_t b, int *type)
{
    size_t maxb = a + (size_t)d->st->max_tokens;
    if (maxb > b)
        maxb = b;
    for (size_t e = maxb; e > a; e--) {
        int ty = s_gz_type(s_gz_span(d, a, e));
        if (ty) {
            *type = ty;
            return e - a;
        }
    }
    return 0;
}

/* Classifies the capitalised span [a,b). Adds mentions; returns 0 or -ENOMEM. */
static int s_classify(struct doc *d, size_t a, size_t b, int pass2)
{
    while (a < b) {
        /* Known name for the whole span. */
        unsigned kinds = s_gz_span(d, a, b);
        int ty = s_gz_type(kinds);
        if (ty)
            return s_add_mention(d, a, b, ty);

        /* Roles in front: "Deputy Assistant Secretary of State Sonata
         * Coulter", "President Donald Trump". */
        size_t r = a;
        int role = 0;
        while (r < b) {
            if (s_gz_span(d, r, r + 1) & G_ROLE) {
                r++;
                role = 1;
                /* "Secretary of State", "Minister of Foreign Affairs" */
                if (r + 1 < b && s_tok_eq(d, r, "of")) {
                    r += 2;
                    while (r < b && s_tok_eq(d, r, "Affairs"))
                        r++;
                }
                continue;
            }
            break;
        }
        if (role) {
            if (r < b) {
                int t2 = s_gz_type(s_gz_span(d, r, b));
                if (t2 == E_ORG || t2 == E_LOC)
                    return s_add_mention(d, r, b, t2);
                return s_add_mention(d, r, b < r + 4 ? b : r + 3, E_PER);
            }
            return 0;
        }

        /* A known place, organisation or demonym in front of the rest:
         * "U.S. State Department", "Russian President ...". */
        int pty = 0;
        size_t pl = s_longest_gz(d, a, b, &pty);
        if (pl > 0 && pl < b - a) {
            if (s_add_mention(d, a, a + pl, pty) != 0)
                return -ENOMEM;
            a += pl;
            continue;
        }

        /* Organisation head noun: "State Department", "Ministry of Defence". */
        if (s_is_org_head(d, b - 1) || (b - a >= 3 && s_is_org_head(d, a) && s_tok_eq(d, a + 1, "of")))
            return s_add_mention(d, a, b, E_ORG);

        /* Person cues. */
        size_t n = b - a;
        int per = 0;
        if (s_gz_span(d, a, a + 1) & G_FIRST)
            per = n >= 2 && n <= 4;
        if (a > 0 && s_in_list(d, a - 1, s_person_cues))
            per = n <= 3;
        if (s_appositive_role(d, b))
            per = n <= 4;
        if (b < d->k.n && s_in_list(d, b, s_speech_verbs) && n >= 2 && n <= 3)
            per = 1;
        if (per)
            return s_add_mention(d, a, b, E_PER);

        if (!pass2)
            return 0; /* decided in the second pass, with the whole document known */

        /* Places by context: "in the Donetsk region", "near Kharkiv". */
        if (b < d->k.n && (s_tok_eq(d, b, "region") || s_tok_eq(d, b, "province") ||
                           s_tok_eq(d, b, "city") || s_tok_eq(d, b, "district") ||
                           s_tok_eq(d, b, "oblast") || s_tok_eq(d, b, "county") ||
                           s_tok_eq(d, b, "state") || s_tok_eq(d, b, "island")))
            return s_add_mention(d, a, b, E_LOC);
        if (a > 0 && (s_tok_eq(d, a - 1, "in") || s_tok_eq(d, a - 1, "near") ||
                      s_tok_eq(d, a - 1, "outside")) && n <= 2)
            return s_add_mention(d, a, b, E_LOC);
        if (n >= 2)
            return s_add_mention(d, a, b, E_MISC);
        return 0;
    }
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

static int s_ws_init(struct wordset *w, size_t n)
{
    size_t cap = 64;
    while (cap < n * 2)
        cap *= 2;
    w->slots = calloc(cap, sizeof(*w->slots));
    w->mask = cap - 1;
    return w->slots ? 0 : -ENOMEM;
}

static int s_ws_has(const struct wordset *w, const char *t, const char *s, size_t n)
{
    for (size_t i = pl_hash(s, n) & w->mask;; i = (i + 1) & w->mask) {
        const struct pl_span *sl = &w->slots[i];
        if (sl->end == 0)
            return 0;
        if (sl->end - sl->start == n && memcmp(t + sl->start, s, n) == 0)
            return 1;
    }
}

static void s_ws_add(struct wordset *w, const char *t, uint32_t start, uint32_t end)
{
    if (s_ws_has(w, t, t + start, end - start))
        return;
    size_t i = pl_hash(t + start, end - start) & w->mask;
    while (w->slots[i].end)
        i = (i + 1) & w->mask;
    w->slots[i] = (struct pl_span){ start, end };
}

/* Distinct surnames (last words) of multi-word PERSON mentions found so
 * far; taken once before the second pass. */
static int s_collect_surnames(struct doc *d)
{
    free(d->surnames.slots);
    free(d->surname_list);
    d->surnames.slots = NULL;
    d->surname_list = NULL;
    d->nsurnames = 0;
    d->surname_list = malloc((d->nm + 1) * sizeof(*d->surname_list));
    if (!d->surname_list || s_ws_init(&d->surnames, d->nm + 1) != 0)
        return -ENOMEM;
    for (size_t j = 0; j < d->nm; j++) {
        const struct mention *m = &d->m[j];
        if (m->type != E_PER)
            continue;
        const char *ms = d->t + m->start;
        const char *sp = memrchr(ms, ' ', m->end - m->start);
        if (!sp)
            continue;
        uint32_t st = (uint32_t)(sp + 1 - d->t);
        if (s_ws_has(&d->surnames, d->t, d->t + st, m->end - st))
            continue;
        s_ws_add(&d->surnames, d->t, st, m->end);
        d->surname_list[d->nsurnames++] = (struct pl_span){ st, m->end };
    }
    return 0;
}

/* Is the single token i the surname of a known PERSON ("Putin" for
 * "Vladimir Putin"), or one edit away from one ("Darchiev" for "Alexander
 * Darchiyev")? */
static int s_person_part(const struct doc *d, size_t i)
{
    const struct pl_token *k = &d->k.v[i];
    size_t n = k->end - k->start;
    const char *w = d->t + k->start;
    if (!d->surname_list)
        return 0;
    if (s_ws_has(&d->surnames, d->t, w, n))
        return 1;
    if (n < 6)
        return 0;
    for (size_t j = 0; j < d->nsurnames; j++) {
        const struct pl_span *sp = &d->surname_list[j];
        size_t tn = sp->end - sp->start;
        if (tn >= 6 && s_one_edit(d->t + sp->start, tn, w, n))
            return 1;
    }
    return 0;
}

/* Finds the next span of capitalised words from i: returns its end. */
static size_t s_span_end(const struct doc *d, size_t i)
{
    size_t j = i + 1;
    while (j < d->k.n) {
        const struct pl_token *k = &d->k.v[j];
        if (k->flags & PL_TF_NEWLINE)
            break;
        if (s_is_cap_word(d, j)) {
            j++;
            continue;
        }
        /* "Bank of England", "Democratic Republic of the Congo", "bin Salman". */
        if ((s_tok_eq(d, j, "of") || s_tok_eq(d, j, "de") || s_tok_eq(d, j, "van") ||
             s_tok_eq(d, j, "von") || s_tok_eq(d, j, "bin") || s_tok_eq(d, j, "al")) &&
            j + 1 < d->k.n && !(d->k.v[j + 1].flags & PL_TF_NEWLINE)) {
            size_t k2 = j + 1;
            if (s_tok_eq(d, k2, "the") && k2 + 1 < d->k.n)
                k2++;
            if (s_is_cap_word(d, k2) && !d->titled[j]) {
                j = k2 + 1;
                continue;
            }
        }
        break;
    }
    return j;
}

/* Fills the document-level word sets; after s_mark_lines. */
static int s_doc_evidence(struct doc *d)
{
    if (s_ws_init(&d->lower_seen, d->k.n + 1) || s_ws_init(&d->cap_mid, d->k.n + 1))
        return -ENOMEM;
    for (size_t j = 0; j < d->k.n; j++) {
        const struct pl_token *o = &d->k.v[j];
        if (!s_is_word(o))
            continue;
        if (!(o->flags & PL_TF_CAP))
            s_ws_add(&d->lower_seen, d->t, o->start, o->end);
        else if (!d->initial[j] && !d->titled[j])
            s_ws_add(&d->cap_mid, d->t, o->start, o->end);
    }
    return 0;
}

/* Is the capitalisation of initial token i just the sentence start? */
static int s_initial_common(const struct doc *d, size_t i)
{
    const struct pl_token *k = &d->k.v[i];
    char low[64];
    size_t ln = pl_lower(d->t + k->start, k->end - k->start, low, sizeof(low));
    if (s_gz_span(d, i, i + 1) & (G_LOC | G_ORG | G_MISC | G_FIRST | G_ROLE))
        return 0;
    if (pl_is_stopword(low, ln))
        return 1;
    /* Seen in lower case elsewhere in the article: a common word. Seen
     * capitalised in mid-sentence: a name. */
    if (s_ws_has(&d->lower_seen, d->t, low, ln))
        return 1;
    if (s_ws_has(&d->cap_mid, d->t, d->t + k->start, k->end - k->start))
        return 0;
    return 1;
}

static void s_mark_lines(struct doc *d, const struct pl_spans *sents)
{
    size_t ti = 0;
    for (size_t s = 0; s < sents->n; s++) {
        size_t a = ti;
        while (ti < d->k.n && d->k.v[ti].start < sents->v[s].end)
            ti++;
        size_t b = ti;
        /* Initial words: first word of the sentence, and after ':' or an
         * opening quote or bullet. */
        int next_initial = 1;
        int words = 0, content = 0, caps = 0;
        for (size_t i = a; i < b; i++) {
            const struct pl_token *k = &d->k.v[i];
            if (s_is_word(k)) {
                if (next_initial)
                    d->initial[i] = 1;
                next_initial = 0;
                words++;
                char low[64];
                size_t ln = pl_lower(d->t + k->start, k->end - k->start, low, sizeof(low));
                if (!pl_is_stopword(low, ln)) {
                    content++;
                    caps += (k->flags & PL_TF_CAP) != 0;
                }
            } else if (k->kind == PL_TOK_PUNCT &&
                       (s_tok_eq(d, i, ":") || s_tok_eq(d, i, "\"") ||
                        s_tok_eq(d, i, "\xe2\x80\x9c") || s_tok_eq(d, i, "\xe2\x80\xa2") ||
                        s_tok_eq(d, i, "(") || s_tok_eq(d, i, "\xe2\x80\x94"))) {
                next_initial = 1;
            }
        }
        /* A heading in title case: capitals carry no information there. */
        const struct pl_token *last = b > a ? &d->k.v[b - 1] : NULL;
        int closed = last && last->kind == PL_TOK_PUNCT && s_tok_eq(d, b - 1, ".");
        if (words >= 3 && content > 0 && caps * 10 >= content * 8 && !closed)
            for (size_t i = a; i < b; i++)
                d->titled[i] = 1;
    }
}

static int s_tag(struct doc *d, int pass2)
{
    for (size_t i = 0; i < d->k.n;) {
        if (!s_is_cap_word(d, i) || (d->titled[i] && !pass2)) {
            i++;
            continue;
        }
        size_t a = i, b = s_span_end(d, i);
        if (d->titled[a]) {
            /* Headings: only names already known. */
            for (size_t s = a; s < b;) {
                int ty = 0;
                size_t l = s_longest_gz(d, s, b, &ty);
                if (l == 0 && s_person_part(d, s)) {
                    l = 1;
                    ty = E_PER;
                }
                if (l == 0) {
                    for (size_t j = 0; j < d->nm && !l; j++) {
                        for (size_t e = b; e > s && !l; e--) {
                            const char *p = d->t + d->k.v[s].start;
                            size_t n = d->k.v[e - 1].end - d->k.v[s].start;
                            if (d->m[j].type != E_DATE && s_mention_eq(d, &d->m[j], p, n)) {
                                l = e - s;
                                ty = d->m[j].type;
                            }
                        }
                    }
                }
                if (l) {
                    if (s_add_mention(d, s, s + l, ty) != 0)
                        return -ENOMEM;
                    s += l;
                } else {
                    s++;
                }
            }
            i = b;
            continue;
        }
        if (pass2 && b - a == 1 && s_person_part(d, a)) {
            if (s_add_mention(d, a, b, E_PER) != 0)
                return -ENOMEM;
            i = b;
            continue;
        }
        if (d->initial[a] && s_initial_common(d, a)) {
            a++;
            if (a >= b) {
                i = b;
                continue;
            }
        }
        if (pass2 && b - a == 1 && s_person_part(d, a)) {
            if (s_add_mention(d, a, b, E_PER) != 0)
                return -ENOMEM;
        } else if (s_classify(d, a, b, pass2) != 0) {
            return -ENOMEM;
        }
        i = b;
    }
    return 0;
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
    { "United States", "United States of America", "U.S.", "US", "USA", "U.S.A.", "America",
      NULL },
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

/* Groups mentions: first by identical (type, text) into forms, then forms
 * by the rules below, pairwise over the (few) distinct forms. Sets each
 * mention's group to the index of the first mention of its group. */
static int s_group(struct doc *d, int *parent)
{
    size_t cap = 64;
    while (cap < d->nm * 2 + 2)
        cap *= 2;
    int *slot = malloc(cap * sizeof(int));
    int *form_of = malloc((d->nm + 1) * sizeof(int));
    int *forms = malloc((d->nm + 1) * sizeof(int)); /* first mention of each form */
    size_t nf = 0;
    if (!slot || !form_of || !forms) {
        free(slot);
        free(form_of);
        free(forms);
        return -ENOMEM;
    }
    for (size_t i = 0; i < cap; i++)
        slot[i] = -1;
    for (size_t i = 0; i < d->nm; i++) {
        const struct mention *m = &d->m[i];
        size_t n = m->end - m->start;
        size_t h = (pl_hash(d->t + m->start, n) ^ (uint64_t)m->type * 0x9e3779b97f4a7c15ull) & (cap - 1);
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
    for (size_t i = 0; i < nf; i++)
        parent[i] = (int)i;
    for (size_t i = 0; i < nf; i++) {
        struct mention *a = &d->m[forms[i]];
        const char *as = d->t + a->start;
        size_t an = a->end - a->start;
        int asyn = s_synonym_set(as, an);
        for (size_t j = i + 1; j < nf; j++) {
            struct mention *b = &d->m[forms[j]];
            if (a->type != b->type)
                continue;
            const char *bs = d->t + b->start;
            size_t bn = b->end - b->start;
            if (an == bn && memcmp(as, bs, an) == 0) {
                s_union(parent, (int)i, (int)j);
                continue;
            }
            if (asyn >= 0 && asyn == s_synonym_set(bs, bn)) {
                s_union(parent, (int)i, (int)j);
                continue;
            }
            if (a->type == E_DATE)
                continue;
            /* "Putin" is "Vladimir Putin"; "Coulter" is "Sonata Coulter". */
            if (a->type == E_PER) {
                const char *ls = an > bn ? as : bs, *ss = an > bn ? bs : as;
                size_t ln = an > bn ? an : bn, sn = an > bn ? bn : an;
                if (!memchr(ss, ' ', sn) && memcmp(ls + ln - sn, ss, sn) == 0 &&
                    ls[ln - sn - 1] == ' ') {
                    s_union(parent, (int)i, (int)j);
                    continue;
                }
            }
            /* Spelling variants: "Darchiev" / "Darchiyev". */
            if (an >= 6 && bn >= 6 && s_one_edit(as, an, bs, bn)) {
                s_union(parent, (int)i, (int)j);
                continue;
            }
            /* "Alexander Darchiyev" and "Darchiev": a surname one edit away. */
            if (a->type == E_PER) {
                const char *ls = an > bn ? as : bs, *ss = an > bn ? bs : as;
                size_t ln = an > bn ? an : bn, sn = an > bn ? bn : an;
                const char *sp = memrchr(ls, ' ', ln);
                if (sp && !memchr(ss, ' ', sn) && sn >= 6) {
                    size_t tail = ln - (size_t)(sp + 1 - ls);
                    if (s_one_edit(sp + 1, tail, ss, sn))
                        s_union(parent, (int)i, (int)j);
                }
            }
        }
    }
    for (size_t i = 0; i < d->nm; i++)
        d->m[i].group = forms[s_find(parent, form_of[i])];
    free(form_of);
    free(forms);
    return 0;
}

static int s_cmp_mention(const void *x, const void *y)
{
    const struct mention *a = x, *b = y;
    return a->start < b->start ? -1 : a->start > b->start;
}

static int s_process(void *state, const char *docjson, size_t len, char **out, size_t *out_len,
                     struct pl_error *err)
{
    struct doc d = { .st = state };
    int rc = -1;
    int *parent = NULL;
    struct pl_spans sents = { 0 };
    struct pl_date_hits dates = { 0 };
    cJSON *doc = pl_doc_parse(docjson, len, err);
    if (!doc)
        return -1;
    size_t n;
    d.t = pl_doc_text(doc, &n);
    if (!d.t) {
        pl_fail(err, "entities: the document has no \"text\" (run the clean stage first)");
        goto out;
    }
    if (pl_tokenize(d.t, n, &d.k) != 0 || pl_sentences(d.t, &d.k, &sents) != 0)
        goto oom;
    d.used = calloc(d.k.n + 1, 1);
    d.initial = calloc(d.k.n + 1, 1);
    d.titled = calloc(d.k.n + 1, 1);
    if (!d.used || !d.initial || !d.titled)
        goto oom;
    s_mark_lines(&d, &sents);
    if (s_doc_evidence(&d) != 0)
        goto oom;

    const cJSON *pub = cJSON_GetObjectItemCaseSensitive(doc, "published");
    if (pl_find_dates(d.t, &d.k, cJSON_IsString(pub) ? pub->valuestring : NULL, d.used, &dates))
        goto oom;
    for (size_t i = 0; i < dates.n; i++) {
        if (s_add_mention(&d, dates.v[i].tok_a, dates.v[i].tok_b, E_DATE) != 0)
            goto oom;
    }
    if (s_tag(&d, 0) != 0 || s_collect_surnames(&d) != 0 || s_tag(&d, 1) != 0)
        goto oom;

    /* Group, then emit groups ordered by count, then first mention. */
    if (d.nm > 1)
        qsort(d.m, d.nm, sizeof(*d.m), s_cmp_mention);
    parent = malloc((d.nm + 1) * sizeof(*parent));
    if (!parent)
        goto oom;
    if (s_group(&d, parent) != 0)
        goto oom;

    cJSON *ents = cJSON_CreateArray();
    if (!ents || pl_doc_set(doc, "entities", ents) != 0)
        goto oom;
    /* Count per root. */
    int *count = calloc(d.nm + 1, sizeof(int));
    int *order = malloc((d.nm + 1) * sizeof(int));
    size_t roots = 0;
    if (!count || !order) {
        free(count);
        free(order);
        goto oom;
    }
    /* next[i]: the following mention of the same group, in text order. */
    int *head = malloc((d.nm + 1) * sizeof(int)), *nextm = malloc((d.nm + 1) * sizeof(int));
    if (!head || !nextm) {
        free(head);
        free(nextm);
        free(count);
        free(order);
        goto oom;
    }
    for (size_t i = 0; i < d.nm; i++)
        head[i] = -1;
    for (size_t i = d.nm; i-- > 0;) {
        nextm[i] = head[d.m[i].group];
        head[d.m[i].group] = (int)i;
        count[d.m[i].group]++;
    }
    for (size_t i = 0; i < d.nm; i++)
        if (d.m[i].group == (int)i)
            order[roots++] = (int)i;
    /* Insertion sort by count desc; roots are already in text order. */
    for (size_t i = 1; i < roots; i++) {
        int v = order[i];
        size_t j = i;
        while (j > 0 && count[order[j - 1]] < count[v]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
    int failed = 0;
    for (size_t r = 0; r < roots && !failed; r++) {
        int g = order[r];
        /* Canonical: the longest form; among equals, the first. */
        size_t best = (size_t)g;
        for (int i = head[g]; i >= 0; i = nextm[i])
            if (d.m[i].end - d.m[i].start > d.m[best].end - d.m[best].start)
                best = (size_t)i;
        cJSON *e = cJSON_CreateObject();
        cJSON *mentions = cJSON_CreateArray();
        cJSON *aliases = cJSON_CreateArray();
        if (!e || !mentions || !aliases || !cJSON_AddItemToArray(ents, e)) {
            cJSON_Delete(e);
            cJSON_Delete(mentions);
            cJSON_Delete(aliases);
            failed = 1;
            break;
        }
        char *canon = strndup(d.t + d.m[best].start, d.m[best].end - d.m[best].start);
        if (!canon || !cJSON_AddStringToObject(e, "text", canon) ||
            !cJSON_AddStringToObject(e, "type", s_type_names[d.m[g].type]) ||
            !cJSON_AddNumberToObject(e, "count", count[g]) ||
            !cJSON_AddItemToObject(e, "mentions", mentions)) {
            free(canon);
            cJSON_Delete(mentions);
            cJSON_Delete(aliases);
            failed = 1;
            break;
        }
        if (!cJSON_AddItemToObject(e, "aliases", aliases)) {
            free(canon);
            cJSON_Delete(aliases);
            failed = 1;
            break;
        }
        for (int i = head[g]; i >= 0; i = nextm[i]) {
            const struct mention *m = &d.m[i];
            cJSON *mj = cJSON_CreateObject();
            if (!mj || !cJSON_AddItemToArray(mentions, mj)) {
                cJSON_Delete(mj);
                failed = 1;
                break;
            }
            cJSON_AddNumberToObject(mj, "start", m->start);
            cJSON_AddNumberToObject(mj, "end", m->end);
            size_t mn = m->end - m->start;
            if (s_mention_eq(&d, m, canon, strlen(canon)))
                continue;
            int seen = 0;
            const cJSON *al;
            cJSON_ArrayForEach(al, aliases) if (strlen(al->valuestring) == mn &&
                                                !memcmp(al->valuestring, d.t + m->start, mn))
                seen = 1;
            if (!seen) {
                char *s = strndup(d.t + m->start, mn);
                if (!s || !cJSON_AddItemToArray(aliases, cJSON_CreateString(s)))
                    failed = 1;
                free(s);
            }
        }
        free(canon);
    }
    free(count);
    free(order);
    free(head);
    free(nextm);
    if (failed)
        goto oom;

    cJSON *dj = cJSON_CreateArray();
    if (!dj || pl_doc_set(doc, "dates", dj) != 0)
        goto oom;
    for (size_t i = 0; i < dates.n; i++) {
        const struct pl_date_hit *h = &dates.v[i];
        cJSON *o = cJSON_CreateObject();
        char *s = strndup(d.t + h->start, h->end - h->start);
        if (!o || !s || !cJSON_AddItemToArray(dj, o)) {
            cJSON_Delete(o);
            free(s);
            goto oom;
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
    rc = pl_doc_emit(doc, out, out_len, err);
    goto out;
oom:
    pl_fail(err, "entities: out of memory");
out:
    cJSON_Delete(doc);
    free(d.k.v);
    free(d.used);
    free(d.initial);
    free(d.titled);
    free(d.lower_seen.slots);
    free(d.cap_mid.slots);
    free(d.surnames.slots);
    free(d.surname_list);
    free(d.m);
    free(parent);
    free(sents.v);
    free(dates.v);
    return rc;
}

PL_PLUGIN_EXPORT const struct pl_plugin pressline_plugin = {
    .magic = PL_PLUGIN_MAGIC,
    .abi_version = PL_PLUGIN_ABI_VERSION,
    .size = sizeof(struct pl_plugin),
    .flags = PL_PLUGIN_THREAD_SAFE,
    .name = "entities",
    .version = "0.1.0",
    .description = "people, organisations, places, other names and dates (rules + gazetteers)",
    .init = s_init,
    .process = s_process,
    .release = pl_doc_release,
    .fini = s_fini,
};
