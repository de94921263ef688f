/*
 * Word clusters for the name tagger: the algorithm of pl_train_clusters
 * (train_clusters.c), apart from its option parsing so that a unit test can
 * drive it (tests/unit/test_train_clusters.c).
 *
 * Reads tokenized text (one document per line, words separated by white
 * space), keeps the words seen at least min_count times, trains skip-gram
 * word vectors with negative sampling (Mikolov et al. 2013), then groups
 * the unit vectors by spherical k-means at PL_CLUSTERS_LEVELS granularities.
 * The result is written as "word<TAB>c1<TAB>c2<TAB>c3<TAB>count" lines, the
 * --clusters input of pl_train_ner.
 *
 * Deterministic: every random draw comes from one splitmix64 generator
 * seeded with PL_CLUSTERS_SEED and kept in struct pl_clusters, and the
 * phases draw from it in a fixed order, so the same text and parameters
 * give the same clusters, byte for byte. One thread; a struct pl_clusters
 * belongs to the thread that made it.
 */
#ifndef PL_CLUSTERS_H
#define PL_CLUSTERS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PL_CLUSTERS_LEVELS 3
#define PL_CLUSTERS_SEED 0x2545f4914f6cdd1dull
/* Words of one document past this many (after subsampling) are not
 * trained on. */
#define PL_CLUSTERS_MAX_DOC 100000

struct pl_clusters_params {
    size_t dim;        /* vector size */
    size_t window;     /* context words on each side, at most */
    size_t negative;   /* negative samples per context word */
    size_t min_count;  /* words seen fewer times are dropped */
    size_t epochs;     /* passes over the text */
    size_t table_size; /* entries of the unigram^0.75 sampling table */
    double sample;     /* subsampling threshold of frequent words */
    float alpha;       /* initial learning rate, falling linearly */
    int iterations;    /* k-means iterations, at most */
    size_t k[PL_CLUSTERS_LEVELS];
    FILE *log; /* progress lines, or NULL */
};

/* The parameters pl_train_clusters uses unless told otherwise. */
#define PL_CLUSTERS_PARAMS_DEFAULT                                                                 \
    {                                                                                              \
        .dim = 100, .window = 5, .negative = 5, .min_count = 5, .epochs = 3,                       \
        .table_size = 10000000, .sample = 1e-4, .alpha = 0.025f, .iterations = 12,                 \
        .k = { 64, 256, 1024 }, .log = NULL                                                        \
    }

struct pl_clusters_word {
    char *s;
    uint64_t count;
};

struct pl_clusters {
    uint64_t rng; /* splitmix64 state */
    /* Every distinct word read; after pl_clusters_cut, sorted by falling
     * count (ties by byte order) with the kept ones first. */
    struct pl_clusters_word *vocab;
    size_t nvocab, capvocab;
    int32_t *slots; /* open addressing into vocab while reading, -1 empty */
    size_t mask;
    /* The text as word ids, -1 between documents; after the cut, dropped
     * words are -2. */
    int32_t *text;
    size_t ntext, captext;
    size_t nkept;   /* words kept by the cut: vocab[0 .. nkept) */
    uint64_t words; /* tokens of kept words in the text */
    size_t dim;
    float *vec;                       /* nkept * dim unit vectors, after training */
    uint16_t *cl[PL_CLUSTERS_LEVELS]; /* cluster of each kept word, after grouping */
    size_t ncl[PL_CLUSTERS_LEVELS];   /* clusters at each level */
};

/* An empty state with the generator at PL_CLUSTERS_SEED. Caller owns c and
 * frees what it comes to hold with pl_clusters_free. */
void pl_clusters_init(struct pl_clusters *c);

/* Frees everything c holds and leaves it as pl_clusters_init does. */
void pl_clusters_free(struct pl_clusters *c);

/* Adds the words of every line of in to the text and the vocabulary.
 * Returns 0, -ENOMEM, or the negative errno of a read error. */
int pl_clusters_read(struct pl_clusters *c, FILE *in);

/* Sorts the vocabulary by count and keeps the words seen min_count times
 * or more (nkept, words). Call once, after the last read. Returns 0 or
 * -ENOMEM. */
int pl_clusters_cut(struct pl_clusters *c, size_t min_count);

/* Trains the skip-gram vectors of the kept words and leaves them, scaled
 * to unit length, in c->vec. Returns 0, -ENOMEM, or PL_EINPUT when no word
 * was kept. */
int pl_clusters_train(struct pl_clusters *c, const struct pl_clusters_params *p);

/* Groups the trained vectors by k-means at each level (at most p->k[l]
 * clusters, fewer when fewer words were kept) into c->cl. Returns 0,
 * -ENOMEM, or PL_EINPUT when there are no vectors. */
int pl_clusters_group(struct pl_clusters *c, const struct pl_clusters_params *p);

/* Spherical k-means over the n unit vectors of dimension d at x (borrowed),
 * seeded by k-means++ (distance 1 - cos) from the generator *rng: writes
 * each vector's cluster, 0 .. k-1, to out[0 .. n). Stops after iterations
 * rounds or when no vector moved; logs each round to log when not NULL.
 * Returns 0, -ENOMEM, or -EINVAL unless 0 < k <= n and k <= 65536. */
int pl_clusters_kmeans(uint64_t *rng, const float *x, size_t n, size_t d, size_t k, int iterations,
                       FILE *log, uint16_t *out);

/* Writes "word<TAB>c1<TAB>c2<TAB>c3<TAB>count" for each kept word, most
 * frequent first. Returns 0, or the negative errno when out cannot be
 * written. */
int pl_clusters_write(const struct pl_clusters *c, FILE *out);

#endif
