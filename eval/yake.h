/*
 * YAKE! (Campos et al. 2020, "YAKE! Keyword extraction from single
 * documents using multiple local features", Information Sciences 509),
 * implemented from the paper as a baseline for `pressline eval keywords`
 * (eval_keywords.c). Main thread; pure apart from allocation.
 *
 * Each term (a word lower-cased, a final "s" dropped from words of more
 * than three letters, as the authors' code does) gets five features:
 * casing max(TF(U), TF(A)) / (1 + ln TF) (U: capitalised not at a sentence
 * start, A: all capitals); position ln(ln(3 + median of the (0-based)
 * indices of the sentences it is in)); frequency TF / (mean TF + standard
 * deviation) over the terms that are not stopwords; relatedness 1 + (DL +
 * DR) TF / max TF, DL (DR) the number of different terms seen just before
 * (after) it over the number of such co-occurrences (window 1, inside a
 * run of words between punctuation); and spread over sentences SF / number
 * of sentences. Its score is S(t) = Rel Pos / (Case + Freq / Rel + Sent /
 * Rel); lower is better. Stopwords are pl_is_stopword's and words of under
 * three characters.
 *
 * Candidates are runs of one to three words inside a sentence and between
 * punctuation, without a number or a word mixing digits and letters, with
 * no stopword first or last. A candidate's score is prod S(t) / (KF (1 +
 * sum S(t))), KF its count; a stopword inside weighs (1 + (1 - P)) in the
 * product and -(1 - P) in the sum, P the product of the chances that its
 * left neighbour is followed by it and that it is followed by its right
 * neighbour. The top k are taken in score order, leaving out a candidate
 * whose Levenshtein similarity (1 - distance / longer length) to one
 * already taken is above the threshold (the paper's 0.9).
 */
#ifndef PL_YAKE_H
#define PL_YAKE_H

#include <stdbool.h>
#include <stddef.h>

struct pl_yake_term {
    char *word; /* the term */
    bool stop;
    double tf, casing, position, frequency, relatedness, sentences, score;
};

struct pl_yake_cand {
    char *text; /* its words lower-cased, one space apart */
    double score;
    size_t kf;
    size_t seen; /* order of first occurrence: breaks ties, the earlier first */
};

struct pl_yake {
    struct pl_yake_term *terms;
    size_t nterms;
    struct pl_yake_cand *cands; /* best (lowest score) first */
    size_t ncands;
};

/* Scores the terms and candidates of text[0..len) into *out (zero it
 * first). Returns 0 or -ENOMEM; free with pl_yake_free either way. */
int pl_yake_extract(const char *text, size_t len, struct pl_yake *out);

/* The term word, or NULL. Borrowed from y. */
const struct pl_yake_term *pl_yake_term(const struct pl_yake *y, const char *word);

/* The first up to k candidates, deduplicated at threshold dedup (>= 1:
 * none), into out[0..k) (borrowed from y). Returns how many. */
size_t pl_yake_top(const struct pl_yake *y, size_t k, double dedup, const char **out);

void pl_yake_free(struct pl_yake *y);

/* Levenshtein similarity of two byte strings: 1 - distance / longer
 * length (1 for two empty strings). */
double pl_levenshtein_similarity(const char *a, const char *b);

#endif
