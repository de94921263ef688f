/*
 * The statistical name tagger of the entities plugin: features of the kind
 * feature-based NER relies on, hashed into a weight table, scored per tag
 * and decoded with Viterbi under BILOU constraints, in two stages (the second
 * sees what the first found elsewhere in the same document).
 *
 * Used by the entities plugin (tagging, on its worker threads: a loaded
 * model is read-only) and by the trainer, pl_train_ner (which builds a
 * model in memory, then writes it with pl_ner_model_write). The model file
 * is memory-mapped: opening it costs no parsing. Layout: see ner.c.
 */
#ifndef PL_NER_H
#define PL_NER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Tags: 0 = O; for type t (0 PER, 1 ORG, 2 LOC, 3 MISC, the order of
 * conll.h) and kind k, 1 + PL_NER_KINDS * t + k. With BILOU (Ratinov and
 * Roth 2009; the default) the kinds are B (first of several words), I
 * (inside), L (last) and U (a one-word name); with BIO (PL_NER_BILOU=0,
 * model files of version 1) B and I alone. A file records its scheme and
 * the tagger opens only its own (pl_ner_model_open). */
#ifndef PL_NER_BILOU
#define PL_NER_BILOU 1
#endif
enum { PL_NER_KB = 0, PL_NER_KI = 1, PL_NER_KL = 2, PL_NER_KU = 3 };
#define PL_NER_TYPES 4
#define PL_NER_KINDS (PL_NER_BILOU ? 4 : 2)
#define PL_NER_TAGS (1 + PL_NER_TYPES * PL_NER_KINDS)
#define PL_NER_STAGES 2
#define PL_NER_MAX_FEATS 128 /* features of one token, at most */

/* Tag of type t and kind k; with BIO, L reads as I and U as B. */
static inline int pl_ner_tag_make(int t, int k)
{
    if (!PL_NER_BILOU)
        k = k == PL_NER_KL ? PL_NER_KI : k == PL_NER_KU ? PL_NER_KB : k;
    return 1 + PL_NER_KINDS * t + k;
}
static inline int pl_ner_tag_type(int tag)
{
    return tag ? (tag - 1) / PL_NER_KINDS : -1;
}
static inline int pl_ner_tag_kind(int tag)
{
    return tag ? (tag - 1) % PL_NER_KINDS : -1;
}
/* Whether tag opens a name (B, or U). */
static inline int pl_ner_tag_is_b(int tag)
{
    int k = pl_ner_tag_kind(tag);
    return k == PL_NER_KB || k == PL_NER_KU;
}
/* Whether a name open at tag must go on at the next token (BILOU's B and
 * I; never with BIO, whose names may end anywhere). */
static inline int pl_ner_tag_goes_on(int tag)
{
    int k = pl_ner_tag_kind(tag);
    return PL_NER_BILOU && (k == PL_NER_KB || k == PL_NER_KI);
}
/* The end of the name that opens at tags[a] (a + 1 when tags[a] is O):
 * what the decoder's constraints make of tags[a..n). */
static inline size_t pl_ner_span_end(const uint8_t *tags, size_t n, size_t a)
{
    int t = pl_ner_tag_type(tags[a]);
    size_t b = a + 1;
    if (t < 0 || (PL_NER_BILOU && pl_ner_tag_kind(tags[a]) == PL_NER_KU))
        return b;
    while (b < n && tags[b] == pl_ner_tag_make(t, PL_NER_KI))
        b++;
    if (PL_NER_BILOU && b < n && tags[b] == pl_ner_tag_make(t, PL_NER_KL))
        b++;
    return b;
}

/* Feature groups, for training with some of them left out (what each is
 * worth on dev is in the README). The model records the groups it was
 * trained with and the tagger computes exactly those. */
enum {
    PL_NER_G_WORD = 1u << 0,    /* the word, lower case, neighbours, bigrams */
    PL_NER_G_AFFIX = 1u << 1,   /* prefixes and suffixes */
    PL_NER_G_SHAPE = 1u << 2,   /* shapes, capitalisation in context, sentence start */
    PL_NER_G_CLUSTER = 1u << 3, /* word clusters learned from unlabeled news */
    PL_NER_G_GAZ = 1u << 4,     /* gazetteer matches */
    PL_NER_G_DOC = 1u << 5,     /* the same word elsewhere in the document */
    PL_NER_G_STAGE2 = 1u << 6,  /* second stage: the first stage's tags across the document */
    PL_NER_G_LISTS = 1u << 7,   /* matches of the generated lists (PL_NER_K_LIST0...) */
    PL_NER_G_BROWN = 1u << 8,   /* Brown clusters: prefixes of the word's bit path */
    /* The sentence's shape (length, share of capitalised words, final
     * punctuation, digits) with the token's capitalisation, and in lines
     * where capitals are the rule (headlines, title-case headings) the
     * word's clusters, suffix and frequency instead of its capitals. */
    PL_NER_G_HEAD = 1u << 9,
    /* Non-local features of stage two (Ratinov and Roth 2009): the words
     * and shapes around the other occurrences of the word in the document
     * (context aggregation), and the shares of the first stage's types
     * over them, the type most given before this one and the first one's
     * tag (extended prediction history). */
    PL_NER_G_NONLOCAL = 1u << 10,
    /* The clusters of the word as written (capitals kept), learned from
     * cased text (lexicon entries under pl_ner_cased_key), at the three
     * granularities; measured and not in the shipped model (README). */
    PL_NER_G_CCLUSTER = 1u << 11,
    /* After the last stage, a one-word name written the same way several
     * times in the document takes the type most of its occurrences have,
     * when more than half have it (pl_ner_vote). Decoding only: no
     * weights. */
    PL_NER_G_VOTE = 1u << 12,
    PL_NER_G_ALL = (1u << 13) - 1,
};

/* Gazetteer kinds (bits of pl_ner_phr.kinds). */
enum {
    PL_NER_K_LOC = 1u << 0,
    PL_NER_K_ORG = 1u << 1,
    PL_NER_K_MISC = 1u << 2,
    PL_NER_K_FIRST = 1u << 3, /* a given name */
    PL_NER_K_ROLE = 1u << 4,  /* a title or role word ("minister") */
    PL_NER_K_KINDS = 5,
    PL_NER_K_PREFIX = 1u << 7, /* a longer phrase starts with this one */
    /* The lists tools/gen-gazetteer.py generates from Debian and npm
     * packages, each a kind of its own (bit PL_NER_K_LIST0 << l), whose
     * matches are features of their own: which list, the token's position
     * in the match (B, I, E, or S for one word) and the match's length. */
    PL_NER_K_LIST0 = 1u << 8,
    PL_NER_K_LISTS = 8,
};

/* The lists' names in a gazetteer file, in bit order (PL_NER_K_LISTS of
 * them; "" for a bit not in use). */
extern const char *const pl_ner_list_names[PL_NER_K_LISTS];

#define PL_NER_NO_CLUSTER 0xffffu
#define PL_NER_CLUSTER_LEVELS 3

/* Lexicon slot: a lower-cased word (by pl_ner_key) with its clusters at
 * three granularities and its frequency class in the unlabeled text. */
struct pl_ner_lex {
    uint64_t key; /* 0: empty slot */
    uint16_t c[PL_NER_CLUSTER_LEVELS];
    /* Low byte: floor(log2(count + 1)). High byte: how often the word is
     * capitalised mid-sentence in cased news (0 unknown; 1 never, 2 under
     * a tenth of the time, 3 under half, 4 under nine tenths, 5 more, 6
     * always), for PL_NER_G_HEAD and the truecasing of title-case lines;
     * 0 in models made without cased news (pl_train_ner --cased). */
    uint16_t freq;
};

/* Brown cluster slot: a lower-cased word (by pl_ner_key) and its bit path
 * from the root, the first bit the most significant of the len low bits. */
struct pl_ner_brown {
    uint64_t key; /* 0: empty slot */
    uint64_t path : 56;
    uint64_t len : 8;
};

/* Gazetteer slot: a lower-cased phrase (words joined by one space). */
struct pl_ner_phr {
    uint64_t key; /* 0: empty slot */
    uint32_t kinds;
    uint32_t pad;
};

/* A model: weights and tables, in a mapped file or owned by the trainer. */
struct pl_ner_model {
    uint32_t hash_bits;
    uint32_t groups;
    uint32_t stages; /* 1, or 2 with PL_NER_G_STAGE2 */
    /* Per stage: transition scores [from][to], from = PL_NER_TAGS is the
     * sentence start; and weights [bucket][tag]. A file model holds int16
     * weights times scale; the trainer's holds floats (wf). */
    const float *trans[PL_NER_STAGES];
    const int16_t *w[PL_NER_STAGES];
    const float *wf[PL_NER_STAGES];
    float scale[PL_NER_STAGES];
    const struct pl_ner_lex *lex;
    uint64_t lex_mask;
    const struct pl_ner_phr *phr;
    uint64_t phr_mask;
    uint32_t max_phrase;              /* words */
    const struct pl_ner_brown *brown; /* NULL: a model without Brown clusters */
    uint64_t brown_mask;
    void *map; /* the file's mapping, or the copy in huge pages; NULL: a trainer's */
    size_t map_len;
    bool huge; /* the tables are a copy in huge pages (pl_ner_model_huge) */
};

/* Opens and maps a model file. Caller owns *out (pl_ner_model_close).
 * Returns 0, or -errno (the file cannot be opened or mapped), PL_EINPUT (it
 * is not a model this version reads) or -ENOMEM, with the reason (naming
 * the file) in err. */
int pl_ner_model_open(const char *path, struct pl_ner_model **out, char *err, size_t errlen);
void pl_ner_model_close(struct pl_ner_model **m);

/* Moves an opened model's tables from the file's mapping into anonymous
 * memory in 2 MB pages (transparent huge pages, asked for with
 * MADV_HUGEPAGE): the tagger reads its weights at random, and with 4 KB
 * pages nearly every read of a 40 MB table misses the TLB as well as the
 * cache. The copy is the model's own and is freed by pl_ner_model_close
 * (the file's pages in the page cache are shared by every process that
 * maps them; the copy is not) and takes a few tens of milliseconds. The
 * tables' pointers move: call it once, before the model is shared with
 * other threads or any pl_ner_doc is made from it. The kernel may still
 * supply small pages (madvise asks, it does not promise); the tags are the
 * same either way. Returns 0 (also when done before), -ENOTSUP when the
 * kernel gives no huge pages ("never"), -EINVAL for a model not opened
 * from a file (a trainer's), or -errno; on failure the model stays as it
 * was. */
int pl_ner_model_huge(struct pl_ner_model *m);

/* Writes a trainer's model (float weights) as a model file, quantising the
 * weights to int16; atomically (temp file + rename). Returns 0 or -errno. */
int pl_ner_model_write(const struct pl_ner_model *m, const char *path);

/* Key of a lower-cased word or phrase in the lexicon and gazetteer. */
uint64_t pl_ner_key(const char *s, size_t n);
/* Key of a word as written (not lower-cased), for its cased clusters in the
 * lexicon: never the key pl_ner_key gives the same bytes. */
uint64_t pl_ner_cased_key(const char *s, size_t n);

/* One token of a document, as the tokenizer gave it. */
struct pl_ner_tok {
    const char *s;
    uint32_t n;
    uint8_t sent_start; /* first token of a sentence */
};

struct pl_ner_tokinfo; /* per-token features' inputs, see ner.c */

/* A document being tagged: tokens and what was computed from them. */
struct pl_ner_doc {
    const struct pl_ner_model *m;
    const struct pl_ner_tok *tok;
    size_t n;
    struct pl_ner_tokinfo *info;
    uint8_t *s1; /* the first stage's tags */
};

/* Prepares doc for tagging tokens tok[0..n) (borrowed until
 * pl_ner_doc_free). Returns 0 or -ENOMEM. */
int pl_ner_doc_init(struct pl_ner_doc *doc, const struct pl_ner_model *m,
                    const struct pl_ner_tok *tok, size_t n);
void pl_ner_doc_free(struct pl_ner_doc *doc);

/* Sets the first stage's tags (n of them; copied) for stage-2 features. */
int pl_ner_doc_set_stage1(struct pl_ner_doc *doc, const uint8_t *tags);

/* Feature buckets of token i for stage (0 or 1): writes at most
 * PL_NER_MAX_FEATS to out, returns how many. */
size_t pl_ner_features(const struct pl_ner_doc *doc, size_t i, int stage, uint32_t *out);

/* Whether the k-th feature pl_ner_features gives a token under groups is
 * one of the token's own word (the word, its lower case, and the two
 * bigrams that hold it): what the trainer's word dropout hides. */
int pl_ner_is_word_feature(unsigned groups, size_t k);

/* Viterbi over sentence scores em[n][PL_NER_TAGS] with transitions
 * trans[(PL_NER_TAGS + 1) * PL_NER_TAGS], never I-X (or L-X) after anything
 * but B-X or I-X, and with BILOU nothing else after B-X or I-X, nor either
 * at the sentence's end. Writes n tags. work holds 2 * n * PL_NER_TAGS
 * floats. */
void pl_ner_viterbi(const float *em, size_t n, const float *trans, uint8_t *tags, float *work);

/* Gives each one-word name in tags[0..n) (decoded, BILOU or BIO) whose
 * word, as written, is more than one name of the document the type more
 * than half of those have, if one does (kinds kept: only the type
 * changes). Returns 0 or -ENOMEM (tags untouched). */
int pl_ner_vote(const struct pl_ner_tok *tok, size_t n, uint8_t *tags);

/* Tags the whole document (both stages when the model has two, then
 * pl_ner_vote with PL_NER_G_VOTE): tags[n].
 * Returns 0 or -ENOMEM. */
int pl_ner_tag(struct pl_ner_doc *doc, uint8_t *tags);

#endif
