/*
 * The language of a text: see lang.h.
 */
#include "lang.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

struct lang {
    const char *code;
    const char *const *words;
};

static const char *const s_en[] = { "the", "and", "of", "to", "in",   "is",  "that", "for", "with",
                                    "was", "on",  "as", "by", "have", "has", "it",   NULL };
static const char *const s_de[] = { "der", "die", "und", "das",  "ist", "nicht", "mit", "den",
                                    "von", "zu",  "ein", "eine", "auf", "sich",  "dem", NULL };
static const char *const s_fr[] = { "le", "la",   "les", "et",  "est", "des", "une", "dans",
                                    "du", "pour", "que", "qui", "sur", "pas", "au",  NULL };
static const char *const s_es[] = { "el",  "los",  "las", "y",  "es", "del", "una",  "por",
                                    "con", "para", "que", "se", "su", "al",  "como", NULL };
static const char *const s_it[] = { "il",  "di",  "che", "e",   "della", "per", "una", "sono",
                                    "non", "con", "gli", "nel", "alla",  "del", "le",  NULL };
static const char *const s_nl[] = { "de", "het", "een",  "en",   "van", "is",  "dat", "niet",
                                    "op", "met", "voor", "zijn", "ook", "aan", "bij", NULL };
static const char *const s_pt[] = { "o",  "os", "as",  "e",    "do",  "da",  "dos", "das",
                                    "em", "um", "uma", "para", "com", "não", "que", NULL };

static const struct lang s_langs[] = {
    { "en", s_en }, { "de", s_de }, { "fr", s_fr }, { "es", s_es },
    { "it", s_it }, { "nl", s_nl }, { "pt", s_pt },
};

/* Every word of the lists once, with the languages whose list holds it (bit
 * l for s_langs[l]), in an open-addressing table built on first use: a
 * word of the text is one hash look-up instead of a comparison with each
 * of the lists' 105 words. The table must stay at most half full. */
#define NLANGS (sizeof(s_langs) / sizeof(s_langs[0]))
#define LANG_SLOTS 256
_Static_assert(NLANGS <= 32, "a language is a bit of an unsigned mask");
struct lang_word {
    const char *w; /* NULL: empty */
    size_t len;
    unsigned mask;
};
static struct lang_word s_table[LANG_SLOTS];
static size_t s_longest; /* bytes of the longest list word */
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void s_build(void)
{
    for (size_t l = 0; l < NLANGS; l++)
        for (const char *const *w = s_langs[l].words; *w; w++) {
            size_t len = strlen(*w);
            size_t h = pl_hash(*w, len) & (LANG_SLOTS - 1), probes = 0;
            while (s_table[h].w && strcmp(s_table[h].w, *w) != 0 && ++probes < LANG_SLOTS)
                h = (h + 1) & (LANG_SLOTS - 1);
            assert(probes < LANG_SLOTS / 2 && len < 32);
            s_table[h].w = *w;
            s_table[h].len = len;
            s_table[h].mask |= 1u << l;
            if (len > s_longest)
                s_longest = len;
        }
}

/* The languages whose lists hold the lower-cased word w[0..n). */
static unsigned s_langs_of(const char *w, size_t n)
{
    char low[32];
    size_t m = 0;
    bool ascii = true;
    for (size_t i = 0; i < n && ascii; i++)
        ascii = (unsigned char)w[i] < 0x80;
    if (ascii) {
        /* Lower-casing keeps an ASCII word's length, so a longer word than
         * any of the lists' is none of them. */
        if (n > s_longest || n >= sizeof(low))
            return 0;
        for (size_t i = 0; i < n; i++)
            low[i] = (char)(w[i] >= 'A' && w[i] <= 'Z' ? w[i] + ('a' - 'A') : w[i]);
        m = n;
    } else {
        m = pl_lower(w, n, low, sizeof(low));
    }
    for (size_t h = pl_hash(low, m) & (LANG_SLOTS - 1); s_table[h].w;
         h = (h + 1) & (LANG_SLOTS - 1))
        if (s_table[h].len == m && memcmp(s_table[h].w, low, m) == 0)
            return s_table[h].mask;
    return 0;
}

const char *pl_language_guess(const char *t, size_t n)
{
    pthread_once(&s_once, s_build);
    struct pl_tokens toks = { 0 };
    int hits[NLANGS] = { 0 };
    int words = 0;
    if (pl_tokenize(t, n, &toks) == 0) {
        for (size_t i = 0; i < toks.n && words < 2000; i++) {
            if (toks.v[i].kind != PL_TOK_WORD)
                continue;
            words++;
            unsigned mask = s_langs_of(t + toks.v[i].start, toks.v[i].end - toks.v[i].start);
            for (size_t l = 0; mask; l++, mask >>= 1)
                hits[l] += (int)(mask & 1);
        }
    }
    free(toks.v);
    size_t best = 0;
    for (size_t l = 1; l < NLANGS; l++)
        if (hits[l] > hits[best])
            best = l;
    if (words >= 5 && hits[best] * 100 >= words * 12)
        return s_langs[best].code;
    return "und";
}
