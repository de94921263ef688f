/*
 * The name tagger's trainer: CoNLL corpora in memory, their features, and
 * the averaged structured perceptron (Collins 2002) over them, Viterbi-
 * decoded under BIO constraints (ner.h), the two stages of the final
 * pipeline (pl_nt_two_stage: jackknifed stage 1, stage 2) and the
 * document-grouped folds of cross-validation. pl_train_ner (train_ner.c)
 * runs them and writes the model file; tests/unit/test_train_ner.c drives
 * them on tiny corpora.
 *
 * Deterministic: sentences are visited in an order drawn from a splitmix64
 * generator seeded with PL_NT_SEED and kept in the trainer, and float sums
 * run in a fixed order, so the same inputs give the same weights, byte for
 * byte. One thread. Out of memory, these functions print so and exit: they
 * serve a program that has nothing to fall back on.
 */
#ifndef PL_NER_TRAIN_H
#define PL_NER_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conll.h"
#include "ner.h"

/* The generator's seed; another (-DPL_NT_SEED=...) measures how far the
 * order of visits alone moves the CV figures (README). */
#ifndef PL_NT_SEED
#define PL_NT_SEED 0x853c49e6748fea9bull
#endif

/* One document of a corpus. */
struct pl_nt_doc {
    struct pl_ner_tok *tok;
    uint8_t *gold;
    uint8_t *s1; /* first-stage tags (jackknifed on training documents) */
    size_t n, cap;
    char *buf; /* token text */
    size_t blen, bcap;
    uint32_t *foff[PL_NER_STAGES]; /* features of token i: f[foff[i] .. foff[i+1]) */
    uint32_t *f[PL_NER_STAGES];
    /* The document's number in its file; a copy (pl_nt_add_title_copies)
     * has its source's, and goes wherever its source goes: into the same
     * jackknife fold, and into no held-out fold (only originals are
     * scored). */
    uint32_t group;
    uint8_t copy;
};

struct pl_nt_corpus {
    struct pl_nt_doc *d;
    size_t n, cap;
    size_t tokens;
};

/* The tags' names, by tag number ("O", "B-PER", ..., "L-PER", "U-PER"
 * with BILOU), and the same as BIO ("L-PER" read as "I-PER", "U-PER" as
 * "B-PER"), which conll.h scores and --predict writes. */
extern const char *const pl_nt_tag_names[PL_NER_TAGS];
extern const char *const pl_nt_bio_names[PL_NER_TAGS];

/* Rewrites d's gold tags from BIO to BILOU (the last token of a name L-,
 * a one-word name U-), with PL_NER_BILOU; idempotent. */
void pl_nt_bilou(struct pl_nt_doc *d);

/* realloc that prints "out of memory" and exits instead of failing. */
void *pl_nt_xrealloc(void *p, size_t n);

/* fopen for reading that says why on stderr when it fails (errno kept). */
FILE *pl_nt_open(const char *path);

/* Reads a CoNLL file into c ("token ... TAG" lines, blank lines between
 * sentences, -DOCSTART- between documents; IOB1 or BIO in, BIO kept).
 * Returns 0, the negative errno of fopen, or PL_EINPUT for a malformed
 * line (each said on stderr with the file's name). c owns what it reads;
 * free with pl_nt_corpus_free. */
int pl_nt_read_conll(const char *path, struct pl_nt_corpus *c);

void pl_nt_corpus_free(struct pl_nt_corpus *c);

/* Appends to c, for each document, a copy of its first sentence (a
 * Reuters headline: "EU rejects German call to boycott British lamb ." or
 * "SOCCER - JAPAN GET LUCKY WIN ...") in title case and without its final
 * full stop, with the same tags: headings in title case are rare in the
 * training data but common on the web, and in them a capital is no sign
 * of a name. Call before computing features; the copies are marked (copy,
 * group). Returns how many documents were added. */
size_t pl_nt_add_title_copies(struct pl_nt_corpus *c);

/* Writes the title-case form of the word s[0..n) (ASCII letters) to out
 * (n bytes): the first letter and each after a hyphen upper case; in a
 * sentence in capitals (caps) the other letters lower case, elsewhere as
 * they were; a function word (pl_is_stopword) unchanged, or in lower case
 * when caps, unless first. */
void pl_nt_title_case(const char *s, size_t n, int first, int caps, char *out);

/* The trainer of one model: its shape (m: hash bits, groups, stages,
 * lexicon borrowed from the caller), the weights of each stage, their
 * running sums and their averages. */
struct pl_nt_trainer {
    struct pl_ner_model m;
    float *w[PL_NER_STAGES], *wa[PL_NER_STAGES]; /* weights and their running sums */
    float *tw[PL_NER_STAGES], *twa[PL_NER_STAGES];
    float *avg_w[PL_NER_STAGES], *avg_t[PL_NER_STAGES];
    double c;        /* updates so far (one per sentence) */
    uint64_t rng;    /* splitmix64 state: the order sentences are visited in */
    unsigned orders; /* each stage trained this many times, in new orders, and averaged (1) */
    /* Word dropout: the chance that a training visit of a token hides its
     * word features (the word, its lower case and the two bigrams holding
     * it), so that the perceptron learns to tag from context, shape,
     * clusters and lists as it must for a name it has never seen; 0: none.
     * Drawn from drop_rng, not rng, so the visiting order is the same. */
    float word_dropout;
    uint64_t drop_rng;
};

/* A trainer for a model shaped as shape (copied; its tables borrowed
 * until pl_nt_trainer_free), weights allocated, the generator seeded. */
void pl_nt_trainer_init(struct pl_nt_trainer *tr, const struct pl_ner_model *shape);
void pl_nt_trainer_free(struct pl_nt_trainer *tr);

/* Computes the stage's features of every token of c under model m. */
void pl_nt_features(struct pl_nt_corpus *c, const struct pl_ner_model *m, int stage);

/* Trains one stage on the documents not marked in skip (NULL: all) for
 * epochs; with tr->orders above 1, that many times from zero in new
 * visiting orders, the runs' averaged weights averaged. With a dev corpus
 * and verbose, prints its score after each epoch (of the last run).
 * Leaves the averaged weights in avg_w/avg_t. */
void pl_nt_train(struct pl_nt_trainer *tr, struct pl_nt_corpus *c, const uint8_t *skip, int stage,
                 int epochs, struct pl_nt_corpus *dev, int verbose);

/* Tags the documents of c marked in only (NULL: all) with weights w and
 * transitions trans of a stage, then each document with pl_ner_vote when
 * vote (the model's last stage, with PL_NER_G_VOTE); copies the tags to
 * each document's s1 when to_s1; adds the sentences to score when not
 * NULL. */
void pl_nt_tag_corpus(const struct pl_nt_corpus *c, const uint8_t *only, int stage, const float *w,
                      const float *trans, int to_s1, int vote, struct pl_conll_score *score);

/* "what: P .. R .. F1 .." (and per type) on stderr. */
void pl_nt_print_score(const char *what, const struct pl_conll_score *s, int per_type);

/* Adds the counts of b to a. */
void pl_nt_score_sum(struct pl_conll_score *a, const struct pl_conll_score *b);

/* Cross-validation grouped by document: document i of c is in fold
 * i % folds, or with blocks in fold i * folds / documents, so that each
 * fold is a run of consecutive documents (CoNLL-2003's are in date order:
 * a fold is then two days of news, and the stories of those days are not
 * in its training folds). A copy: its source's fold, and never held out. Fills held
 * with the documents of fold k and train with the others, in c's order: views whose documents share
 * tokens, gold tags, first-stage tags and stage-1 features with c (c must hold no stage-2
 * features). Stage-2 features computed on a view belong to the view; free
 * it with pl_nt_view_free, which frees those and the view's array only. */
void pl_nt_cv_split(const struct pl_nt_corpus *c, int k, int folds, int blocks,
                    struct pl_nt_corpus *train, struct pl_nt_corpus *held);
void pl_nt_view_free(struct pl_nt_corpus *v);

/* The whole training pipeline of the tagger on tc, whose stage-1
 * features are computed: with two stages, first-stage tags for tc from
 * jackfolds models each trained without a fold of tc (document i in fold
 * i % jackfolds), stage 1 on all of tc, then stage 2 on tc's jackknifed
 * tags. With a held corpus (features computed as tc's; NULL: none), its
 * stage-1 tags feed its stage-2 features and each stage's score is added
 * to score[0] and score[1] (when not NULL); verbose prints the score after
 * every epoch and the stages' scores on stderr. The averaged weights are
 * left in tr. */
void pl_nt_two_stage(struct pl_nt_trainer *tr, struct pl_nt_corpus *tc, struct pl_nt_corpus *held,
                     int epochs, int epochs2, int jackfolds, int verbose,
                     struct pl_conll_score score[2]);

#endif
