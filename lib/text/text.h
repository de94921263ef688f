/*
 * Shared text toolkit for the NLP plugins: UTF-8 decoding, a tokenizer that
 * keeps byte offsets, a sentence splitter and an English stopword list.
 *
 * Linked statically into each plugin (built with -fPIC, hidden visibility).
 * Pure functions over caller-owned buffers; safe on any thread.
 */
#ifndef PL_TEXT_H
#define PL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes one code point at s[0..len). Returns it and sets *adv to the bytes
 * used, or returns -1 with *adv = 1 for an invalid or truncated sequence
 * (overlong forms, surrogates and values past U+10FFFF are invalid). */
int32_t pl_utf8_decode(const char *s, size_t len, size_t *adv);

/* Encodes cp into out (at least 4 bytes). Returns the byte count. */
size_t pl_utf8_encode(int32_t cp, char *out);

bool pl_cp_is_letter(int32_t cp);
bool pl_cp_is_upper(int32_t cp);
bool pl_cp_is_lower(int32_t cp);
bool pl_cp_is_digit(int32_t cp);
bool pl_cp_is_space(int32_t cp); /* Unicode Zs, tab, CR, LF, FF, VT */

enum pl_token_kind {
    PL_TOK_WORD = 0, /* letters (and digits/marks inside), may hold ' or - */
    PL_TOK_NUMBER,   /* digits, with inner . , : */
    PL_TOK_ABBREV,   /* word with its trailing dot: "Mr.", "U.S.", "J." */
    PL_TOK_PUNCT     /* anything else, one character ("..." kept whole) */
};

/* Token flags. */
#define PL_TF_CAP 0x1u         /* first letter upper case */
#define PL_TF_ALLCAPS 0x2u     /* every letter upper case, at least one letter */
#define PL_TF_NEWLINE 0x4u     /* a line break lies between this token and the previous */
#define PL_TF_PARA 0x8u        /* a blank line (or the text start) lies before it */
#define PL_TF_SENT_START 0x10u /* first token of a sentence (set by pl_sentences) */

struct pl_token {
    uint32_t start; /* byte offset into the text */
    uint32_t end;   /* one past the last byte */
    uint16_t kind;  /* enum pl_token_kind */
    uint16_t flags; /* PL_TF_* */
};

struct pl_tokens {
    struct pl_token *v;
    size_t n;
    size_t cap;
};

/* Splits text[0..len) into tokens. Appends to *out (zero-initialise it
 * first); the caller frees out->v. Returns 0 or -ENOMEM. */
int pl_tokenize(const char *text, size_t len, struct pl_tokens *out);

struct pl_span {
    uint32_t start;
    uint32_t end;
};

struct pl_spans {
    struct pl_span *v;
    size_t n;
    size_t cap;
};

/* Splits tokenized text into sentences. A line break always ends a sentence
 * (the clean stage puts each paragraph, heading and bullet on its own line).
 * Sets PL_TF_SENT_START on the first token of each. Sentence spans cover the
 * first to last token, so text[start..end) is the sentence exactly as written.
 * Appends to *out; the caller frees out->v. Returns 0 or -ENOMEM. */
int pl_sentences(const char *text, struct pl_tokens *toks, struct pl_spans *out);

/* True for a common English function word; `w` is lower case, `n` bytes. */
bool pl_is_stopword(const char *w, size_t n);

/* True for abbreviations that take a dot and do not end a sentence
 * ("Mr", "Dr", "Gen", "Jan", "No", ...); case-sensitive, without the dot. */
bool pl_is_title_abbrev(const char *w, size_t n);

/* Writes the lower-cased form of s[0..n) into out (cap bytes, NUL-terminated,
 * truncated at a character boundary). Returns the length written. */
size_t pl_lower(const char *s, size_t n, char *out, size_t cap);

/* FNV-1a's step over n bytes: for the small hash tables in plugins and
 * daemon, model checksums and hashed features. Its offset basis,
 * 1469598103934665603, is one digit short of FNV's (14695981039346656037):
 * not standard FNV-1a, kept because the committed models' hashed features
 * and checksums are made with it. */
uint64_t pl_hash(const void *p, size_t n);

/* pl_hash's offset basis, and its step over n more bytes from h: a key
 * made of several pieces is hashed piece by piece, and
 * pl_hash_more(PL_HASH_BASIS, p, n) == pl_hash(p, n). */
#define PL_HASH_BASIS 1469598103934665603ull
uint64_t pl_hash_more(uint64_t h, const void *p, size_t n);

/* A 64-bit finalizer (MurmurHash3's fmix64): every bit of x moves about
 * half the bits of the result. Feature hashes (the tagger) and MinHash's
 * hash functions (the stories stage) are made with it; inline, as both
 * call it per token. */
static inline uint64_t pl_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* Marsaglia's xorshift64 (shifts 13, 7, 17): the next of a deterministic
 * sequence of pseudo-random numbers from *state (never 0), which it
 * advances. For benchmarks, evaluations and tests that must draw the same
 * "random" data on every run; not for anything that must be
 * unpredictable. */
static inline uint64_t pl_xorshift64(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* Appends bytes to a growable buffer. */
struct pl_buf {
    char *data;
    size_t len;
    size_t cap;
};
int pl_buf_append(struct pl_buf *b, const void *p, size_t n);
int pl_buf_putc(struct pl_buf *b, char c);
/* Ensures data is NUL-terminated (not counted in len). */
int pl_buf_terminate(struct pl_buf *b);

#endif
