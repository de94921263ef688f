/*
 * Keyphrase scoring and the two plainest baselines, for `pressline eval
 * keywords` (eval_keywords.c) and its tests.
 *
 * The matcher: a phrase is lower-cased, cut into words at every character
 * that is neither a letter nor a digit, each word stemmed with Snowball's
 * "porter" stemmer (the original Porter algorithm, as the keyphrase
 * literature uses), and the stems joined by one space; two phrases match
 * when these forms are equal. A list keeps each form once, in the order
 * first added, so "Elections" after "election" takes no rank of its own.
 *
 * The baselines rank the content words of a text: word tokens
 * (pl_tokenize's words and abbreviations), lower-cased, stopwords
 * (pl_is_stopword) and one-letter words left out. TF ranks them by count,
 * TF-IDF by count times ln((M + 1) / (df + 1)) for a word found in df of M
 * other stories; both break ties by first occurrence.
 *
 * Main thread (one normaliser per thread: the stemmer keeps state).
 */
#ifndef PL_KEYPHRASE_H
#define PL_KEYPHRASE_H

#include <stddef.h>
#include <stdint.h>

/* Strings interned to dense ids (0, 1, ...): a hash table over copies the
 * vocabulary owns. Zero-initialise. */
struct pl_kp_vocab {
    char **words; /* words[id], NUL-terminated */
    size_t n, cap;
    uint32_t *slot; /* id + 1, 0 when free; nslot a power of two, at most half full */
    size_t nslot;
};

/* The id of s[0..n), added when new. Returns the id (>= 0) or -ENOMEM. */
long pl_kp_vocab_id(struct pl_kp_vocab *v, const char *s, size_t n);
/* The id of s[0..n), or -1 when it is not there. */
long pl_kp_vocab_find(const struct pl_kp_vocab *v, const char *s, size_t n);
void pl_kp_vocab_free(struct pl_kp_vocab *v);

struct pl_kp_norm;

/* Creates a normaliser. Returns 0, -ENOMEM, or -ENOENT when libstemmer has
 * no "porter" stemmer. Caller frees with pl_kp_norm_free, which sets *n to
 * NULL. */
int pl_kp_norm_new(struct pl_kp_norm **out);
void pl_kp_norm_free(struct pl_kp_norm **n);

/* The normal form of phrase[0..len) (see above; a phrase is read to its
 * first 1,023 bytes) into out (cap bytes, NUL-terminated; a form that does
 * not fit ends with the last word that does). Returns its length: 0 for a
 * phrase without a word. */
size_t pl_kp_normalize(struct pl_kp_norm *n, const char *phrase, size_t len, char *out, size_t cap);

/* Normal forms, each once, in the order first added. Zero-initialise; free
 * with pl_kp_set_free. */
struct pl_kp_set {
    struct pl_kp_vocab v;
};

/* Adds the normal form of phrase[0..len) unless it is empty or already
 * there. Returns 0 or -ENOMEM. */
int pl_kp_set_add(struct pl_kp_set *s, struct pl_kp_norm *n, const char *phrase, size_t len);
void pl_kp_set_free(struct pl_kp_set *s);

struct pl_kp_prf {
    double p, r, f; /* 0..1 */
};

/* Precision, recall and F1 of the first k forms of pred against gold:
 * precision over the forms predicted (k, or fewer when pred has fewer;
 * 0 when it has none), recall over all of gold (0 when gold is empty). */
struct pl_kp_prf pl_kp_at(const struct pl_kp_set *pred, const struct pl_kp_set *gold, size_t k);

/* One content word of a text: its id in the vocabulary the caller passed,
 * its count, its first token. */
struct pl_kp_word {
    uint32_t id;
    uint32_t tf;
    uint32_t first;
    double score; /* the caller's: TF, TF-IDF */
};

/* The content words of text[0..len), each once, in order of first
 * occurrence, interned in v. Caller frees *out. Returns 0 or -ENOMEM. */
int pl_kp_content_words(const char *text, size_t len, struct pl_kp_vocab *v,
                        struct pl_kp_word **out, size_t *n);

/* Sorts w[0..n) by score, highest first, ties by first occurrence. */
void pl_kp_rank(struct pl_kp_word *w, size_t n);

#endif
