/* Shared text toolkit; see text.h. Character classes come from utf8proc. */
#include "text.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

int32_t pl_utf8_decode(const char *s, size_t len, size_t *adv)
{
    if (len > 0 && (unsigned char)s[0] < 0x80) { /* ASCII: most bytes of most input */
        *adv = 1;
        return (unsigned char)s[0];
    }
    utf8proc_int32_t cp;
    utf8proc_ssize_t n =
        utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)(len > 4 ? 4 : len), &cp);
    if (n <= 0 || cp < 0) {
        *adv = 1;
        return -1;
    }
    *adv = (size_t)n;
    return cp;
}

size_t pl_utf8_encode(int32_t cp, char *out)
{
    utf8proc_ssize_t n = utf8proc_encode_char(cp, (utf8proc_uint8_t *)out);
    return n > 0 ? (size_t)n : 0;
}

bool pl_cp_is_letter(int32_t cp)
{
    if (cp < 128)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    utf8proc_category_t c = utf8proc_category(cp);
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
}

bool pl_cp_is_upper(int32_t cp)
{
    if (cp < 128)
        return cp >= 'A' && cp <= 'Z';
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LT;
}

bool pl_cp_is_lower(int32_t cp)
{
    if (cp < 128)
        return cp >= 'a' && cp <= 'z';
    return utf8proc_category(cp) == UTF8PROC_CATEGORY_LL;
}

bool pl_cp_is_digit(int32_t cp)
{
    if (cp < 128)
        return cp >= '0' && cp <= '9';
    return utf8proc_category(cp) == UTF8PROC_CATEGORY_ND;
}

static bool s_is_mark(int32_t cp)
{
    if (cp < 128)
        return false;
    utf8proc_category_t c = utf8proc_category(cp);
    return c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME;
}

bool pl_cp_is_space(int32_t cp)
{
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v')
        return true;
    if (cp < 128)
        return false;
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

static bool s_is_apostrophe(int32_t cp)
{
    return cp == '\'' || cp == 0x2019;
}

static bool s_is_hyphen(int32_t cp)
{
    return cp == '-' || cp == 0x2010 || cp == 0x2011;
}

static int s_push(struct pl_tokens *out, size_t start, size_t end, int kind, unsigned flags)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 256;
        struct pl_token *v = realloc(out->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        out->v = v;
        out->cap = cap;
    }
    out->v[out->n++] =
        (struct pl_token){ (uint32_t)start, (uint32_t)end, (uint16_t)kind, (uint16_t)flags };
    return 0;
}

/* Code point at i, or -1 past the end; sets *adv. */
static int32_t s_at(const char *t, size_t len, size_t i, size_t *adv)
{
    if (i >= len) {
        *adv = 0;
        return -1;
    }
    return pl_utf8_decode(t + i, len - i, adv);
}

static void s_case_flags(const char *t, size_t start, size_t end, unsigned *flags)
{
    size_t adv;
    bool first = true, any = false, all = true;
    for (size_t i = start; i < end; i += adv) {
        int32_t cp = pl_utf8_decode(t + i, end - i, &adv);
        if (!pl_cp_is_letter(cp))
            continue;
        if (first && pl_cp_is_upper(cp))
            *flags |= PL_TF_CAP;
        first = false;
        any = true;
        if (!pl_cp_is_upper(cp))
            all = false;
    }
    if (any && all)
        *flags |= PL_TF_ALLCAPS;
}

/* Length of "n't" (any apostrophe, any case) at t[i] when no letter
 * follows it, else 0. */
static size_t s_negation_clitic(const char *t, size_t len, size_t i)
{
    size_t a1, a2, a3, a4;
    int32_t n = s_at(t, len, i, &a1);
    if (n != 'n' && n != 'N')
        return 0;
    if (!s_is_apostrophe(s_at(t, len, i + a1, &a2)))
        return 0;
    int32_t c = s_at(t, len, i + a1 + a2, &a3);
    if (c != 't' && c != 'T')
        return 0;
    if (pl_cp_is_letter(s_at(t, len, i + a1 + a2 + a3, &a4)))
        return 0;
    return a1 + a2 + a3;
}

int pl_tokenize(const char *t, size_t len, struct pl_tokens *out)
{
    size_t i = 0, adv;
    unsigned pending = PL_TF_PARA | PL_TF_NEWLINE;
    int newlines = 0;

    while (i < len) {
        int32_t cp = s_at(t, len, i, &adv);
        if (pl_cp_is_space(cp)) {
            if (cp == '\n') {
                newlines++;
                pending |= PL_TF_NEWLINE;
                if (newlines >= 2)
                    pending |= PL_TF_PARA;
            }
            i += adv;
            continue;
        }
        newlines = 0;
        size_t start = i;
        int kind;

        size_t nt_len = s_negation_clitic(t, len, i);
        if (nt_len) {
            kind = PL_TOK_WORD;
            i += nt_len;
        } else if (pl_cp_is_letter(cp)) {
            kind = PL_TOK_WORD;
            i += adv;
            for (;;) {
                size_t a2, a3;
                int32_t c = s_at(t, len, i, &a2);
                if (pl_cp_is_letter(c) || pl_cp_is_digit(c) || s_is_mark(c)) {
                    i += a2;
                    continue;
                }
                int32_t next = s_at(t, len, i + a2, &a3);
                if (s_is_apostrophe(c) && pl_cp_is_letter(next)) {
                    /* Split the possessive and contractions the way CoNLL
                     * does ("Russia's" -> "Russia" "'s"); keep names such as
                     * "O'Brien" whole. */
                    size_t a4;
                    int32_t after = s_at(t, len, i + a2 + a3, &a4);
                    bool clitic =
                        (next == 's' || next == 'S' || next == 't' || next == 'd' || next == 'm') &&
                        !pl_cp_is_letter(after);
                    if (clitic || (next == 'l' && (after == 'l')) ||
                        (next == 'r' && after == 'e') || (next == 'v' && after == 'e')) {
                        /* "don't" -> "do" "n't", as the Penn Treebank and
                         * CoNLL split it. */
                        if ((next == 't' || next == 'T') && i - start >= 2 &&
                            (t[i - 1] == 'n' || t[i - 1] == 'N'))
                            i--;
                        break;
                    }
                    i += a2;
                    continue;
                }
                if (s_is_hyphen(c) && (pl_cp_is_letter(next) || pl_cp_is_digit(next))) {
                    /* Hyphenated words stay whole, as CoNLL writes them:
                     * "high-stakes", "ex-England", "Chester-le-Street". */
                    i += a2;
                    continue;
                }
                if (c == '$' && i - start <= 3) {
                    /* Currencies written with a country prefix: "C$", "US$". */
                    bool upper = true;
                    for (size_t k = start; k < i; k++)
                        upper = upper && t[k] >= 'A' && t[k] <= 'Z';
                    if (upper) {
                        i += a2;
                        break;
                    }
                }
                break;
            }
            /* A dot after the word: abbreviation, initial or dotted acronym. */
            size_t a2;
            int32_t c = s_at(t, len, i, &a2);
            if (c == '.') {
                size_t wlen = i - start;
                bool single_upper = false;
                {
                    size_t a0;
                    int32_t c0 = pl_utf8_decode(t + start, wlen, &a0);
                    single_upper = a0 == wlen && pl_cp_is_upper(c0);
                }
                size_t a3;
                int32_t next = s_at(t, len, i + 1, &a3);
                bool dotted = pl_cp_is_letter(next) && a3 > 0 &&
                              (i + 1 + a3 >= len || t[i + 1 + a3] == '.') && wlen <= 2;
                if (dotted) {
                    /* U.S., D.C., e.g. : consume letter-dot pairs. */
                    i += 1;
                    for (;;) {
                        size_t b1;
                        int32_t l = s_at(t, len, i, &b1);
                        if (pl_cp_is_letter(l) && i + b1 < len && t[i + b1] == '.') {
                            i += b1 + 1;
                            continue;
                        }
                        break;
                    }
                    kind = PL_TOK_ABBREV;
                } else if (single_upper || pl_is_title_abbrev(t + start, wlen)) {
                    i += 1;
                    kind = PL_TOK_ABBREV;
                }
            }
        } else if (pl_cp_is_digit(cp)) {
            kind = PL_TOK_NUMBER;
            i += adv;
            for (;;) {
                size_t a2, a3;
                int32_t c = s_at(t, len, i, &a2);
                if (pl_cp_is_digit(c)) {
                    i += a2;
                    continue;
                }
                if ((c == '.' || c == ',' || c == ':' || c == '-' || c == '/') &&
                    pl_cp_is_digit(s_at(t, len, i + 1, &a3))) {
                    /* "1,000", "10:30", "1996-08-30", "19-23", "3/4" */
                    i += 1;
                    continue;
                }
                /* "2022-era", "3rd", "10am": letters glued to a number. */
                if (pl_cp_is_letter(c)) {
                    kind = PL_TOK_WORD;
                    i += a2;
                    continue;
                }
                break;
            }
        } else if (s_is_apostrophe(cp)) {
            /* A clitic split off a word: "'s", "'t" ... */
            size_t a2;
            i += adv;
            int32_t c = s_at(t, len, i, &a2);
            /* Also after a space, in text tokenized already ("Lord 's"). */
            size_t a5;
            bool lone_s = (c == 's' || c == 'S') && !pl_cp_is_letter(s_at(t, len, i + a2, &a5));
            if (pl_cp_is_letter(c) && out->n > 0 && (out->v[out->n - 1].end == start || lone_s)) {
                kind = PL_TOK_WORD;
                while (pl_cp_is_letter(s_at(t, len, i, &a2)))
                    i += a2;
            } else {
                kind = PL_TOK_PUNCT;
            }
        } else if (cp == '.' && i + 2 < len && t[i + 1] == '.' && t[i + 2] == '.') {
            kind = PL_TOK_PUNCT;
            i += 3;
        } else {
            kind = PL_TOK_PUNCT;
            i += adv;
        }

        unsigned flags = pending;
        s_case_flags(t, start, i, &flags);
        if (s_push(out, start, i, kind, flags) != 0)
            return -ENOMEM;
        pending = 0;
    }
    return 0;
}

static bool s_tok_is(const char *t, const struct pl_token *k, const char *s)
{
    size_t n = strlen(s);
    return k->end - k->start == n && memcmp(t + k->start, s, n) == 0;
}

static bool s_is_closer(const char *t, const struct pl_token *k)
{
    return s_tok_is(t, k, "\"") || s_tok_is(t, k, "\xe2\x80\x9d") /* ” */ ||
           s_tok_is(t, k, "\xe2\x80\x99") /* ’ */ || s_tok_is(t, k, "'") || s_tok_is(t, k, ")") ||
           s_tok_is(t, k, "]");
}

static bool s_is_terminal(const char *t, const struct pl_token *k)
{
    return k->kind == PL_TOK_PUNCT &&
           (s_tok_is(t, k, ".") || s_tok_is(t, k, "!") || s_tok_is(t, k, "?") ||
            s_tok_is(t, k, "...") || s_tok_is(t, k, "\xe2\x80\xa6") /* … */);
}

/* Can this token open a sentence? Capitalised word, number or opening quote. */
static bool s_can_start(const char *t, const struct pl_token *k)
{
    if (k->flags & PL_TF_CAP)
        return true;
    if (k->kind == PL_TOK_NUMBER)
        return true;
    return s_tok_is(t, k, "\"") || s_tok_is(t, k, "\xe2\x80\x9c") /* “ */ || s_tok_is(t, k, "'") ||
           s_tok_is(t, k, "\xe2\x80\x98") || s_tok_is(t, k, "(") || s_tok_is(t, k, "[");
}

static bool s_is_dotted_acronym(const char *t, const struct pl_token *k)
{
    if (k->kind != PL_TOK_ABBREV)
        return false;
    int dots = 0;
    for (uint32_t i = k->start; i < k->end; i++)
        dots += t[i] == '.';
    return dots >= 2;
}

static int s_push_span(struct pl_spans *out, uint32_t s, uint32_t e)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 64;
        struct pl_span *v = realloc(out->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        out->v = v;
        out->cap = cap;
    }
    out->v[out->n++] = (struct pl_span){ s, e };
    return 0;
}

int pl_sentences(const char *t, struct pl_tokens *toks, struct pl_spans *out)
{
    size_t first = 0;
    for (size_t i = 0; i < toks->n; i++) {
        struct pl_token *k = &toks->v[i];
        bool last = i + 1 == toks->n;
        bool end = last;
        if (!end && (toks->v[i + 1].flags & PL_TF_NEWLINE))
            end = true;
        if (!end) {
            struct pl_token *n = &toks->v[i + 1];
            if (s_is_terminal(t, k)) {
                /* Swallow closing quotes and brackets: ... war,” he said. */
                size_t j = i + 1;
                while (j < toks->n && s_is_closer(t, &toks->v[j]) &&
                       toks->v[j].start == toks->v[j - 1].end &&
                       !(toks->v[j].flags & PL_TF_NEWLINE))
                    j++;
                if (j >= toks->n) {
                    i = j - 1;
                    end = true;
                } else if (toks->v[j].flags & PL_TF_NEWLINE) {
                    i = j - 1;
                    end = true;
                } else if (s_can_start(t, &toks->v[j]) && toks->v[j].start > toks->v[j - 1].end) {
                    i = j - 1;
                    end = true;
                }
            } else if (s_is_dotted_acronym(t, k) && (n->flags & PL_TF_CAP) && n->start > k->end) {
                /* "... to the U.S. The talks ..." ends a sentence; "the U.S.
                 * State Department" does not. Only a function word after the
                 * acronym is taken as a new sentence. */
                char low[32];
                size_t ln = pl_lower(t + n->start, n->end - n->start, low, sizeof(low));
                if (pl_is_stopword(low, ln))
                    end = true;
            }
        }
        if (end) {
            toks->v[first].flags |= PL_TF_SENT_START;
            if (s_push_span(out, toks->v[first].start, toks->v[i].end) != 0)
                return -ENOMEM;
            first = i + 1;
        }
    }
    return 0;
}

static const char *const s_stopwords[] = {
    "a",         "about",   "above",     "after",    "again",   "against",
    "all",       "also",    "am",        "an",       "and",     "any",
    "are",       "as",      "at",        "be",       "because", "been",
    "before",    "being",   "below",     "between",  "both",    "but",
    "by",        "can",     "could",     "did",      "do",      "does",
    "doing",     "down",    "during",    "each",     "even",    "ever",
    "few",       "for",     "from",      "further",  "had",     "has",
    "have",      "having",  "he",        "her",      "here",    "hers",
    "herself",   "him",     "himself",   "his",      "how",     "however",
    "i",         "if",      "in",        "into",     "is",      "it",
    "its",       "itself",  "just",      "may",      "me",      "might",
    "more",      "most",    "much",      "must",     "my",      "myself",
    "no",        "nor",     "not",       "now",      "of",      "off",
    "on",        "once",    "one",       "only",     "or",      "other",
    "our",       "ours",    "ourselves", "out",      "over",    "own",
    "same",      "says",    "said",      "shall",    "she",     "should",
    "since",     "so",      "some",      "still",    "such",    "than",
    "that",      "the",     "their",     "theirs",   "them",    "themselves",
    "then",      "there",   "these",     "they",     "this",    "those",
    "though",    "through", "thus",      "to",       "too",     "under",
    "until",     "up",      "upon",      "us",       "very",    "was",
    "we",        "were",    "what",      "when",     "where",   "whether",
    "which",     "while",   "who",       "whom",     "whose",   "why",
    "will",      "with",    "within",    "without",  "would",   "yet",
    "you",       "your",    "yours",     "yourself", "'s",      "\xe2\x80\x99s",
    "s",         "t",       "according", "despite",  "instead", "yes",
    "meanwhile", "amid",    "among",     "around",   "across",  "along",
    "another",   "many",    "several",   "every",    "either",  "neither",
    "already",   "almost",  "although",  "else",     "often",   "per",
    "rather",    "whereas",
};

/* A fixed word list as a hash set, built once on first use (any thread). */
struct wordset {
    const char *const *words;
    size_t n;
    pthread_once_t once;
    int16_t slot[1024]; /* index + 1 into words, 0 = empty */
};

static void s_wordset_build(struct wordset *ws)
{
    for (size_t i = 0; i < ws->n; i++) {
        size_t h = pl_hash(ws->words[i], strlen(ws->words[i])) & 1023;
        while (ws->slot[h])
            h = (h + 1) & 1023;
        ws->slot[h] = (int16_t)(i + 1);
    }
}

static bool s_wordset_has(const struct wordset *ws, const char *w, size_t n)
{
    for (size_t h = pl_hash(w, n) & 1023; ws->slot[h]; h = (h + 1) & 1023) {
        const char *c = ws->words[ws->slot[h] - 1];
        if (strnlen(c, n + 1) == n && memcmp(c, w, n) == 0)
            return true;
    }
    return false;
}

static struct wordset s_stopset = {
    s_stopwords, sizeof(s_stopwords) / sizeof(s_stopwords[0]), PTHREAD_ONCE_INIT, { 0 }
};
static void s_stopset_build(void)
{
    s_wordset_build(&s_stopset);
}

bool pl_is_stopword(const char *w, size_t n)
{
    pthread_once(&s_stopset.once, s_stopset_build);
    return s_wordset_has(&s_stopset, w, n);
}

static const char *const s_abbrevs[] = {
    "Mr",  "Mrs", "Ms",  "Dr",   "Prof", "Sr",   "Jr",   "St",     "Gen", "Gov", "Sen",
    "Rep", "Lt",  "Col", "Sgt",  "Capt", "Cmdr", "Adm",  "Maj",    "Rev", "Hon", "Pres",
    "Inc", "Ltd", "Co",  "Corp", "Bros", "vs",   "etc",  "approx", "Jan", "Feb", "Mar",
    "Apr", "Jun", "Jul", "Aug",  "Sep",  "Sept", "Oct",  "Nov",    "Dec", "No",  "Nos",
    "Fig", "Mt",  "Ft",  "Ave",  "Blvd", "Dept", "Univ", "Est",    "cf",  "al",  "ca",
};

static struct wordset s_abbrevset = {
    s_abbrevs, sizeof(s_abbrevs) / sizeof(s_abbrevs[0]), PTHREAD_ONCE_INIT, { 0 }
};
static void s_abbrevset_build(void)
{
    s_wordset_build(&s_abbrevset);
}

bool pl_is_title_abbrev(const char *w, size_t n)
{
    pthread_once(&s_abbrevset.once, s_abbrevset_build);
    return s_wordset_has(&s_abbrevset, w, n);
}

size_t pl_lower(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0, adv;
    if (cap == 0)
        return 0;
    for (size_t i = 0; i < n; i += adv) {
        int32_t cp = pl_utf8_decode(s + i, n - i, &adv);
        char enc[4];
        size_t m;
        if (cp < 0) {
            enc[0] = s[i];
            m = 1;
        } else {
            m = pl_utf8_encode(utf8proc_tolower(cp), enc);
        }
        if (o + m >= cap)
            break;
        memcpy(out + o, enc, m);
        o += m;
    }
    out[o] = '\0';
    return o;
}

uint64_t pl_hash_more(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ull;
    return h;
}

uint64_t pl_hash(const void *p, size_t n)
{
    return pl_hash_more(PL_HASH_BASIS, p, n);
}

int pl_buf_append(struct pl_buf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return -ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int pl_buf_putc(struct pl_buf *b, char c)
{
    return pl_buf_append(b, &c, 1);
}

int pl_buf_terminate(struct pl_buf *b)
{
    return pl_buf_append(b, "", 0);
}
