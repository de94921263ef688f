/*
 * The block classifier of the HTML path: gradient-boosted decision trees
 * (or, in version 1 files, a logistic regression) over the features of one
 * text block of a page (a paragraph, heading, list item or
 * table cell that holds no other block), giving the probability that the
 * block belongs to the article. html.c computes the features from the parsed
 * page and drops the blocks of its chosen container that score below the
 * model's threshold; the trainer (eval/train_blocks.c) reads the same
 * features to learn the weights.
 *
 * Model file (text): a line "pressline-blocks <version> <dim>", a line
 * "threshold <drop> <add>", the model, and a last line "checksum <16 hex
 * digits>": pl_hash (text.h) of every byte before that line. Version 2 (trees, dim
 * PL_BM_DENSE): a line "trees <number> <depth> <base logit>", then for each
 * tree its 2^depth - 1 splits "<feature> <cut>" one a line (breadth first:
 * the children of split k are 2k+1 and 2k+2; a block whose feature is at or
 * above the cut goes to the second), then its 2^depth leaf values one a
 * line. Version 3 is version 2 followed by the model for text dumps
 * (dump.h): a line "dumps <drop> <add>" and its trees in the same form,
 * over a dump block's features. Version 4 puts between the two the stacked
 * model: a line "stack", then its trees in the same form over PL_BM_ALL
 * features; the dump model's own stacked model may follow its trees, in
 * the same form. Version 1 (logistic regression, dim
 * PL_BM_DIM): one weight a line. All four are read; a file of another version or size, or whose
 * checksum does not match, is refused.
 *
 * Loaded once by the clean plugin's init and read-only after: any thread.
 */
#ifndef PL_BMODEL_H
#define PL_BMODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PL_BM_VERSION 4 /* trees for pages, stacked trees, text dumps: what the trainer writes */
#define PL_BM_VERSION_DUMPS 3 /* trees for pages and for text dumps: still read */
#define PL_BM_VERSION_TREES 2 /* trees for pages alone: still read */
#define PL_BM_VERSION_LR 1    /* logistic regression: still read */
#define PL_BM_MAXTREES 1000
#define PL_BM_MAXDEPTH 6
/* Dense features: the block's own (PL_BM_OWN), then a few of the previous
 * and the next block's (PL_BM_NEIGH each). */
#define PL_BM_OWN 40
#define PL_BM_NEIGH 8
#define PL_BM_DENSE (PL_BM_OWN + 2 * PL_BM_NEIGH)
/* The stacked model's context features, after the dense ones: what the
 * first model says of the block, its neighbours, the blocks of its shape
 * and the page (pl_bm_stack). */
#define PL_BM_STACK 12
#define PL_BM_ALL (PL_BM_DENSE + PL_BM_STACK)
/* Hashed features (value 1): class/id tokens of the block and its
 * ancestors, the tag path, the block's first words and its words. */
#define PL_BM_BUCKETS 4096
#define PL_BM_DIM (PL_BM_DENSE + PL_BM_BUCKETS)
#define PL_BM_MAXH 96 /* hashed features of one block, at most */

/* The features of one block. */
struct pl_bfeat {
    float d[PL_BM_ALL];     /* the stacked features are 0 until pl_bm_stack */
    uint16_t h[PL_BM_MAXH]; /* bucket numbers, 0 .. PL_BM_BUCKETS-1 */
    float hv[PL_BM_MAXH];   /* their values */
    unsigned nh;
    int no_hash; /* set before: the model gives hashed features no weight, skip them */
};

struct pl_bmodel {
    double threshold;     /* blocks inside the container below this go */
    double add_threshold; /* blocks outside it at or above this are added */
    int uses_hash;        /* some hashed feature has a weight */
    /* Trees (ntrees > 0): the logit is base plus one leaf of each tree.
     * The arrays point into the same allocation as the struct. */
    unsigned ntrees, depth;
    double base;
    const uint8_t *feat; /* ntrees * (2^depth - 1) split features */
    const float *cut;    /* their cuts */
    const float *leaf;   /* ntrees * 2^depth leaf values */
    double w[PL_BM_DIM]; /* ntrees == 0: the linear model's weights */
    /* NULL, or the stacked model: trees over all PL_BM_ALL features, its
     * context features made from this model's probabilities; when set, the
     * thresholds above apply to its probability. Owned. */
    struct pl_bmodel *stack;
    /* NULL, or the model for the blocks of text dumps (dump.h), with its
     * own thresholds. Owned: pl_bmodel_free frees it. */
    struct pl_bmodel *dumps;
};

/* Adds the features that come from the block's text s[0..n) (UTF-8): its
 * length, words, stopword share (English and German), punctuation, digits,
 * capitalised words, sentences and its first words hashed. */
void pl_bfeat_text(struct pl_bfeat *f, const char *s, size_t n);

/* Adds hashed feature (kind, token[0..n)) to f; kind separates the
 * families (a class token of the block itself, of an ancestor, a tag path
 * ...) with value. Ignored once f holds PL_BM_MAXH. */
void pl_bfeat_hash(struct pl_bfeat *f, char kind, const char *token, size_t n, float value);

/* Copies the neighbour part of prev's and next's features (either NULL at
 * the page's ends) into f. */
void pl_bfeat_neighbours(struct pl_bfeat *f, const struct pl_bfeat *prev,
                         const struct pl_bfeat *next);

/* w . x for the features f (the logit). */
double pl_bmodel_logit(const double *w, const struct pl_bfeat *f);

/* The probability that the block is article text, by model m's trees, or
 * its weights when it has no trees. */
double pl_bmodel_prob(const struct pl_bmodel *m, const struct pl_bfeat *f);

/* The stacked model's context features of a page's n blocks, in page
 * order, from the first model's probabilities p, written after the dense
 * features of each block's (PL_BM_DENSE on): block i's features are at
 * (char *)f + i * stride, so that they may sit inside a larger struct.
 * Block i has text length len[i], inside[i] when the rules kept it (the
 * container, or a dump's story), key[i] its shape (blocks of one key are
 * compared). They are: the block's own probability; its neighbours' (-1
 * at the page's ends); the means by length over the three and the ten
 * blocks either side and over the other blocks of its key (-1: none); the
 * largest of the three either side; the means inside and outside (-1:
 * none); the share of the page's text at 0.5 or more; the share of that
 * text before the block (-1: none); log(1 + the distance in blocks to the
 * nearest other block at 0.5 or more) / 6 (1: none). 0 or -ENOMEM. */
int pl_bm_stack(size_t n, const double *p, const size_t *len, const int *inside,
                const uint64_t *key, struct pl_bfeat *f, size_t stride);

/* Each of a page's n blocks' probability by m into p[0..n) (features,
 * stride, len, inside and key as for pl_bm_stack): the first model's; the
 * context features from those, written into the features whether or not m
 * has a stacked model (so that a trainer can stack on a first model); and,
 * when m has one, the stacked model's. 0 or -ENOMEM. */
int pl_bmodel_probs(const struct pl_bmodel *m, size_t n, struct pl_bfeat *f, size_t stride,
                    const size_t *len, const int *inside, const uint64_t *key, double *p);

/* A model of ntrees trees of the given depth (both within PL_BM_MAXTREES,
 * PL_BM_MAXDEPTH), its arrays zero, in one allocation (with no dump model)
 * the caller frees with pl_bmodel_free(); NULL when out of memory or out of
 * range. */
struct pl_bmodel *pl_bmodel_new_trees(unsigned ntrees, unsigned depth);

/* Frees m (NULL: nothing) and its dump model. */
void pl_bmodel_free(struct pl_bmodel *m);

/* Parses a model file's bytes; *out (caller frees with pl_bmodel_free) on success.
 * Returns 0, -ENOMEM, or PL_EINPUT with the reason in why (n bytes). */
int pl_bmodel_parse(const char *text, size_t len, struct pl_bmodel **out, char *why, size_t n);

/* Reads and parses the model file at path; as pl_bmodel_parse, and
 * PL_EINPUT when the file cannot be read. */
int pl_bmodel_load(const char *path, struct pl_bmodel **out, char *why, size_t n);

/* Writes weights w (PL_BM_DIM of them) and the drop and add thresholds as
 * a version 1 model file to f, checksum included. Returns 0 or -EIO. */
int pl_bmodel_write(FILE *f, const double *w, double threshold, double add_threshold);

/* Writes the trees of m (m->ntrees > 0) with m's thresholds (and its
 * stacked and dump models when it has them) as a version 4 model file to f
 * (version 3 without a stacked model, 2 with neither), checksum included.
 * A stacked model needs a dump model. Returns 0 or -EIO. */
int pl_bmodel_write_trees(FILE *f, const struct pl_bmodel *m);

#endif
