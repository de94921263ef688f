/*
 * The language of a text: see lang.h.
 */
#include "lang.h"

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

const char *pl_language_guess(const char *t, size_t n)
{
    struct pl_tokens toks = { 0 };
    int hits[sizeof(s_langs) / sizeof(s_langs[0])] = { 0 };
    int words = 0;
    if (pl_tokenize(t, n, &toks) == 0) {
        for (size_t i = 0; i < toks.n && words < 2000; i++) {
            if (toks.v[i].kind != PL_TOK_WORD)
                continue;
            words++;
            char low[32];
            pl_lower(t + toks.v[i].start, toks.v[i].end - toks.v[i].start, low, sizeof(low));
            for (size_t l = 0; l < sizeof(s_langs) / sizeof(s_langs[0]); l++)
                for (const char *const *w = s_langs[l].words; *w; w++)
                    if (strcmp(*w, low) == 0)
                        hits[l]++;
        }
    }
    free(toks.v);
    size_t best = 0;
    for (size_t l = 1; l < sizeof(s_langs) / sizeof(s_langs[0]); l++)
        if (hits[l] > hits[best])
            best = l;
    if (words >= 5 && hits[best] * 100 >= words * 12)
        return s_langs[best].code;
    return "und";
}
