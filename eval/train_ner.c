/*
 * pl_train_ner: trains the entities plugin's name tagger (ner.h) on a
 * CoNLL-2003 file and writes the model file.
 *
 * An averaged structured perceptron (Collins 2002) over the features of
 * ner.c, Viterbi-decoded under BIO constraints. Two stages: the first sees
 * one sentence at a time; the second also sees the tags the first gave to
 * the same words elsewhere in the document. The second stage is trained on
 * first-stage tags made by models that did not see that document
 * (k-fold jackknife), so it learns how far to trust them.
 *
 * Deterministic: one thread, sentences visited in an order drawn from a
 * fixed-seed generator, float sums in a fixed order. The same inputs and
 * options give the same model file, byte for byte.
 *
 * Run by tools/train-ner.sh; prints the dev score after every epoch. With
 * --cv K it writes no model: it cross-validates that pipeline on the
 * training file, document i held out in fold i % K (with --cv-blocks, in
 * fold i * K / documents: runs of consecutive documents), one child process per
 * fold (--jobs at a time), and prints per-fold and pooled figures. The
 * corpora, the perceptron and the two stages are in ner_train.c; here are
 * the lexicon, the options and cross-validation's processes.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conll.h"
#include "errcode.h"
#include "ner.h"
#include "ner_train.h"
#include "text.h"

/* --- lexicon and gazetteer ----------------------------------------------- */

/* The word clusters and the gazetteer phrases the model is trained with
 * (and written with), in the open-addressed tables of ner.h. */
struct lexicon {
    struct pl_ner_lex *lex;
    size_t lex_mask;
    struct pl_ner_phr *phr;
    size_t phr_mask;
    uint32_t max_phrase;        /* words of the longest phrase; 1 without any */
    uint32_t lists;             /* the generated lists' kinds seen in the gazetteer */
    struct pl_ner_brown *brown; /* NULL without --brown */
    size_t brown_mask;
};

static struct pl_ner_lex *s_lex_slot(struct lexicon *x, uint64_t key)
{
    for (size_t i = key & x->lex_mask;; i = (i + 1) & x->lex_mask)
        if (!x->lex[i].key || x->lex[i].key == key)
            return &x->lex[i];
}

static struct pl_ner_phr *s_phr_slot(struct lexicon *x, uint64_t key)
{
    for (size_t i = key & x->phr_mask;; i = (i + 1) & x->phr_mask)
        if (!x->phr[i].key || x->phr[i].key == key)
            return &x->phr[i];
}

static size_t s_count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    int ch;
    if (!f)
        return 0;
    while ((ch = getc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

/* An empty open-addressed table with room for slots slots (s_new_table:
 * per_line slots per line of the file at path; a minimal one without a
 * file). */
static void *s_new_table_for(size_t slots, size_t elem, size_t *mask)
{
    size_t cap = 64;
    while (cap < slots + 2)
        cap *= 2;
    void *t = pl_nt_xrealloc(NULL, cap * elem);
    memset(t, 0, cap * elem);
    *mask = cap - 1;
    return t;
}

static void *s_new_table(const char *path, size_t per_line, size_t elem, size_t *mask)
{
    return s_new_table_for(per_line * (path ? s_count_lines(path) : 0), elem, mask);
}

/* Clusters file: "word<TAB>c1<TAB>c2<TAB>c3<TAB>count" per line (path
 * NULL: nothing), into the lexicon under the lower-cased word's key, or
 * with cased under the word as written (pl_ner_cased_key; its count is not
 * kept). Returns 0, the negative errno of fopen, or PL_EINPUT for a
 * malformed line (said on stderr). */
static int s_load_clusters(struct lexicon *x, const char *path, int cased)
{
    if (!path)
        return 0;
    FILE *f = pl_nt_open(path);
    if (!f)
        return -errno;
    char line[1024], word[512];
    unsigned c1, c2, c3;
    unsigned long cnt;
    size_t n = 0;
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%511[^\t]\t%u\t%u\t%u\t%lu", word, &c1, &c2, &c3, &cnt) != 5) {
            fprintf(stderr, "pl_train_ner: %s: bad line \"%.60s\"\n", path, line);
            fclose(f);
            return PL_EINPUT;
        }
        uint64_t key =
            cased ? pl_ner_cased_key(word, strlen(word)) : pl_ner_key(word, strlen(word));
        struct pl_ner_lex *sl = s_lex_slot(x, key);
        sl->key = key;
        sl->c[0] = (uint16_t)c1;
        sl->c[1] = (uint16_t)c2;
        sl->c[2] = (uint16_t)c3;
        sl->freq = cased ? 0 : (uint16_t)floor(log2((double)cnt + 1));
        n++;
    }
    fclose(f);
    fprintf(stderr, "%s: %zu words from %s\n", cased ? "cased clusters" : "clusters", n, path);
    return 0;
}

/* Counts, in each line of text (an article), the words of the lexicon
 * written with a capital and in lower case where the sentence does not
 * make them so: not at a sentence start, not after an opening quote or
 * bracket. The tokenizer is the plugin's. */
static void s_count_case(struct lexicon *x, const char *t, size_t n, uint32_t *cap, uint32_t *low)
{
    struct pl_tokens k = { 0 };
    struct pl_spans sents = { 0 };
    if (pl_tokenize(t, n, &k) != 0 || pl_sentences(t, &k, &sents) != 0) {
        fprintf(stderr, "pl_train_ner: out of memory\n");
        exit(1);
    }
    for (size_t i = 1; i < k.n; i++) {
        const struct pl_token *w = &k.v[i], *prev = &k.v[i - 1];
        int opener = prev->end - prev->start == 1 && strchr("\"'([", t[prev->start]);
        if ((w->flags & PL_TF_SENT_START) || opener)
            continue;
        size_t adv;
        int32_t cp = pl_utf8_decode(t + w->start, w->end - w->start, &adv);
        int up = pl_cp_is_upper(cp), lo = pl_cp_is_lower(cp);
        if (!up && !lo)
            continue;
        char lw[128];
        size_t ln = pl_lower(t + w->start, w->end - w->start, lw, sizeof(lw));
        uint64_t key = pl_ner_key(lw, ln);
        struct pl_ner_lex *sl = s_lex_slot(x, key);
        if (sl->key != key)
            continue;
        size_t slot = (size_t)(sl - x->lex);
        cap[slot] += up;
        low[slot] += lo;
    }
    free(k.v);
    free(sents.v);
}

/* Cased text (path NULL: none), one article a line: for each word of the
 * lexicon, how often it is capitalised where the sentence does not ask for
 * it, as a class kept in the high byte of its freq (ner.h): 0 not seen so,
 * or capitalised but seen fewer than three times, 1 never capitalised, 2 under a tenth of the time,
 * 3 under half, 4 under nine tenths, 5 more, 6 always. Returns 0 or the
 * negative errno of fopen (said on stderr). */
static int s_load_cased(struct lexicon *x, const char *path)
{
    if (!path)
        return 0;
    FILE *f = pl_nt_open(path);
    if (!f)
        return -errno;
    size_t slots = x->lex_mask + 1, words = 0;
    uint32_t *cap = pl_nt_xrealloc(NULL, slots * sizeof(*cap));
    uint32_t *low = pl_nt_xrealloc(NULL, slots * sizeof(*low));
    memset(cap, 0, slots * sizeof(*cap));
    memset(low, 0, slots * sizeof(*low));
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) > 0)
        s_count_case(x, line, (size_t)len, cap, low);
    free(line);
    fclose(f);
    for (size_t i = 0; i < slots; i++) {
        uint32_t c = cap[i], all = cap[i] + low[i];
        /* A word seen lower case once or twice and never capitalised is a
         * common word all the same (what the tagger's truecasing needs);
         * one capitalised once or twice is too little to go by. */
        if (!x->lex[i].key || all == 0 || (all < 3 && c != 0))
            continue;
        unsigned cls = c == 0             ? 1
                       : c * 10 < all     ? 2
                       : c * 2 < all      ? 3
                       : c * 10 < all * 9 ? 4
                       : c < all          ? 5
                                          : 6;
        x->lex[i].freq = (uint16_t)((x->lex[i].freq & 0xff) | cls << 8);
        words++;
    }
    free(cap);
    free(low);
    fprintf(stderr, "cased: %zu words of the lexicon seen 3 times or more in %s\n", words, path);
    return 0;
}

/* Brown clusters file: "word<TAB>bits<TAB>count" per line (pl_train_brown;
 * path NULL: no table). Paths keep their first 56 bits. Returns 0, the
 * negative errno of fopen, or PL_EINPUT for a malformed line (said on
 * stderr). */
static int s_load_brown(struct lexicon *x, const char *path)
{
    if (!path)
        return 0;
    x->brown = s_new_table(path, 2, sizeof(*x->brown), &x->brown_mask);
    FILE *f = pl_nt_open(path);
    if (!f)
        return -errno;
    char line[1024], word[512], bits[128];
    unsigned long cnt;
    size_t n = 0;
    while (fgets(line, sizeof(line), f)) {
        size_t nb = 0;
        if (sscanf(line, "%511[^\t]\t%127[-01]\t%lu", word, bits, &cnt) != 3 ||
            (nb = strspn(bits, "01")) != strlen(bits)) {
            if (bits[0] == '-')
                continue; /* a word alone at the root: no path */
            fprintf(stderr, "pl_train_ner: %s: bad line \"%.60s\"\n", path, line);
            fclose(f);
            return PL_EINPUT;
        }
        uint64_t key = pl_ner_key(word, strlen(word)), p = 0;
        size_t len = nb < 56 ? nb : 56;
        for (size_t k = 0; k < len; k++)
            p = p << 1 | (uint64_t)(bits[k] - '0');
        size_t i = key & x->brown_mask;
        while (x->brown[i].key && x->brown[i].key != key)
            i = (i + 1) & x->brown_mask;
        x->brown[i].key = key;
        x->brown[i].path = p;
        x->brown[i].len = len;
        n++;
    }
    fclose(f);
    fprintf(stderr, "brown: %zu words from %s\n", n, path);
    return 0;
}

static void s_phr_add(struct lexicon *x, const char *s, size_t n, uint32_t kinds)
{
    struct pl_ner_phr *sl = s_phr_slot(x, pl_ner_key(s, n));
    sl->key = pl_ner_key(s, n);
    sl->kinds |= kinds;
}

/* Gazetteer: "KIND<TAB>phrase" lines (the plugin's gazetteer.tsv; path
 * NULL: an empty table). Lines of other kinds and comments are skipped.
 * Returns 0 or the negative errno of fopen (said on stderr). */
static int s_load_gazetteer(struct lexicon *x, const char *path)
{
    /* Two slots a line: phrases and their prefixes come to 1.14 keys a
     * line on the generated lists (44,387 for 38,834 lines), so the table
     * is a third full; 8 a line (before the lists) made it 8 MB. */
    x->phr = s_new_table(path, 2, sizeof(*x->phr), &x->phr_mask);
    x->max_phrase = 1;
    if (!path)
        return 0;
    FILE *f = pl_nt_open(path);
    if (!f)
        return -errno;
    static const struct {
        const char *name;
        uint32_t kind;
    } kinds[] = { { "LOC", PL_NER_K_LOC },
                  { "ORG", PL_NER_K_ORG },
                  { "MISC", PL_NER_K_MISC },
                  { "FIRST", PL_NER_K_FIRST },
                  { "ROLE", PL_NER_K_ROLE } };
    char line[1024], low[1024];
    size_t n = 0;
    while (fgets(line, sizeof(line), f)) {
        size_t L = strcspn(line, "\r\n");
        line[L] = 0;
        char *tab = strchr(line, '\t');
        if (line[0] == '#' || !tab)
            continue;
        *tab = 0;
        uint32_t kind = 0;
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
            if (!strcmp(line, kinds[k].name))
                kind = kinds[k].kind;
        for (unsigned l = 0; l < PL_NER_K_LISTS; l++)
            if (pl_ner_list_names[l][0] && !strcmp(line, pl_ner_list_names[l]))
                kind = PL_NER_K_LIST0 << l;
        x->lists |= kind >> 8 ? kind : 0;
        if (!kind)
            continue;
        size_t ln = pl_lower(tab + 1, strlen(tab + 1), low, sizeof(low));
        uint32_t words = 1;
        for (size_t i = 0; i < ln; i++) {
            if (low[i] == ' ') {
                s_phr_add(x, low, i, PL_NER_K_PREFIX);
                words++;
            }
        }
        if (words > x->max_phrase)
            x->max_phrase = words;
        s_phr_add(x, low, ln, kind);
        n++;
    }
    fclose(f);
    fprintf(stderr, "gazetteer: %zu phrases from %s\n", n, path);
    return 0;
}

static const struct {
    const char *name;
    unsigned bit;
} s_groups[] = { { "word", PL_NER_G_WORD },         { "affix", PL_NER_G_AFFIX },
                 { "shape", PL_NER_G_SHAPE },       { "cluster", PL_NER_G_CLUSTER },
                 { "gazetteer", PL_NER_G_GAZ },     { "doc", PL_NER_G_DOC },
                 { "stage2", PL_NER_G_STAGE2 },     { "lists", PL_NER_G_LISTS },
                 { "brown", PL_NER_G_BROWN },       { "head", PL_NER_G_HEAD },
                 { "nonlocal", PL_NER_G_NONLOCAL }, { "ccluster", PL_NER_G_CCLUSTER },
                 { "vote", PL_NER_G_VOTE } };

/* --test: tags a CoNLL file's own tokens with a model file and scores it,
 * for comparing with `pressline eval ner`, which tags the raw text. */
static int s_test(const char *model, const char *path, const char *predict)
{
    struct pl_ner_model *m;
    char why[512];
    if (pl_ner_model_open(model, &m, why, sizeof(why)) != 0) {
        fprintf(stderr, "pl_train_ner: %s\n", why);
        return 1;
    }
    struct pl_nt_corpus c = { 0 };
    if (pl_nt_read_conll(path, &c) != 0)
        return 1;
    FILE *out = predict ? fopen(predict, "w") : NULL;
    struct pl_conll_score sc = { 0 };
    for (size_t di = 0; di < c.n; di++) {
        struct pl_nt_doc *d = &c.d[di];
        struct pl_ner_doc nd;
        if (pl_ner_doc_init(&nd, m, d->tok, d->n) != 0 || pl_ner_tag(&nd, d->s1) != 0) {
            fprintf(stderr, "pl_train_ner: out of memory\n");
            return 1;
        }
        pl_ner_doc_free(&nd);
        for (size_t a = 0; a < d->n;) {
            size_t b = a + 1;
            while (b < d->n && !d->tok[b].sent_start)
                b++;
            const char *g[512], *p[512];
            for (size_t i = a; i < b && b - a <= 512; i++) {
                g[i - a] = pl_nt_bio_names[d->gold[i]];
                p[i - a] = pl_nt_bio_names[d->s1[i]];
            }
            if (b - a <= 512)
                pl_conll_score_add(&sc, g, p, b - a);
            for (size_t i = a; out && i < b; i++)
                fprintf(out, "%s %s %s\n", d->tok[i].s, pl_nt_bio_names[d->gold[i]],
                        pl_nt_bio_names[d->s1[i]]);
            if (out)
                fputc('\n', out);
            a = b;
        }
    }
    if (out && fclose(out) != 0) {
        fprintf(stderr, "pl_train_ner: cannot write %s\n", predict);
        return 1;
    }
    pl_nt_print_score(path, &sc, 1);
    pl_ner_model_close(&m);
    pl_nt_corpus_free(&c);
    return 0;
}

static void s_usage(FILE *to)
{
    fprintf(
        to,
        "usage: pl_train_ner --train FILE --out MODEL [--dev FILE] [--clusters FILE]\n"
        "                    [--gazetteer FILE] [--brown FILE] [--epochs N] [--epochs2 N] "
        "[--orders R] [--word-dropout P] "
        "[--folds K]\n"
        "                    [--cased FILE] [--cased-clusters FILE]\n"
        "                    [--bits B] [--without GROUP,...] [--title-copies 0|1]\n"
        "       pl_train_ner --train FILE --cv K [--cv-folds LIST] [--cv-blocks] [--jobs J] [same "
        "options]\n"
        "       pl_train_ner --test FILE --model MODEL [--predict OUT]\n"
        "groups: word affix shape cluster gazetteer doc stage2 lists brown head nonlocal "
        "ccluster vote\n");
}

struct options {
    const char *train, *dev, *out, *clusters, *gaz, *brown, *cased;
    const char *cased_clusters; /* --cased-clusters: clusters of cased words (ccluster) */
    int epochs, epochs2, folds, bits;
    unsigned orders;     /* --orders: perceptrons a stage averages (ner_train.h) */
    double word_dropout; /* --word-dropout P (ner_train.h) */
    unsigned groups;
    int title_copies;     /* --title-copies 0|1: pl_nt_add_title_copies on the training file */
    int cv, jobs;         /* --cv K: cross-validate over K folds, J at a time */
    int cv_blocks;        /* --cv-blocks: folds of consecutive documents (pl_nt_cv_split) */
    const char *cv_folds; /* the folds to run ("0,1"); NULL: all */
    const char *test, *model, *predict;
};

/* Takes the groups of a comma-separated list out of *groups. Returns 0,
 * or -EINVAL for a name that is no group (said on stderr). */
static int s_without(const char *list, unsigned *groups)
{
    char *dup = strdup(list), *save = NULL;
    if (!dup)
        return -ENOMEM;
    int rc = 0;
    for (char *tok = strtok_r(dup, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
        int found = 0;
        for (size_t g = 0; g < sizeof(s_groups) / sizeof(s_groups[0]); g++)
            if (!strcmp(tok, s_groups[g].name)) {
                *groups &= ~s_groups[g].bit;
                found = 1;
            }
        if (!found) {
            fprintf(stderr, "pl_train_ner: unknown feature group \"%s\"\n", tok);
            rc = -EINVAL;
        }
    }
    free(dup);
    return rc;
}

/* Fills o from the command line. Sets *go_on when there is work to do;
 * otherwise returns the exit status: 0 after --help, 2 after a usage
 * error (printed here). */
static int s_options(int argc, char **argv, struct options *o, int *go_on)
{
    static const struct option opts[] = {
        { "train", required_argument, NULL, 't' },
        { "test", required_argument, NULL, 'T' },
        { "model", required_argument, NULL, 'm' },
        { "predict", required_argument, NULL, 'p' },
        { "dev", required_argument, NULL, 'd' },
        { "out", required_argument, NULL, 'o' },
        { "clusters", required_argument, NULL, 'c' },
        { "gazetteer", required_argument, NULL, 'g' },
        { "epochs", required_argument, NULL, 'e' },
        { "epochs2", required_argument, NULL, 'E' },
        { "orders", required_argument, NULL, 'O' },
        { "word-dropout", required_argument, NULL, 'W' },
        { "folds", required_argument, NULL, 'f' },
        { "bits", required_argument, NULL, 'b' },
        { "without", required_argument, NULL, 'w' },
        { "cv", required_argument, NULL, 'C' },
        { "cv-folds", required_argument, NULL, 'F' },
        { "cv-blocks", no_argument, NULL, 'X' },
        { "jobs", required_argument, NULL, 'j' },
        { "brown", required_argument, NULL, 'B' },
        { "title-copies", required_argument, NULL, 'Y' },
        { "cased", required_argument, NULL, 'K' },
        { "cased-clusters", required_argument, NULL, 'L' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    *o = (struct options){ .epochs = 12,
                           .epochs2 = 12,
                           .orders = 1,
                           .folds = 5,
                           .bits = 19,
                           .groups = PL_NER_G_ALL,
                           .jobs = 1 };
    *go_on = 0;
    int ch;
    opterr = 0; /* the messages are ours, as before getopt */
    while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (ch) {
        case 't': o->train = optarg; break;
        case 'T': o->test = optarg; break;
        case 'm': o->model = optarg; break;
        case 'p': o->predict = optarg; break;
        case 'd': o->dev = optarg; break;
        case 'o': o->out = optarg; break;
        case 'c': o->clusters = optarg; break;
        case 'g': o->gaz = optarg; break;
        case 'B': o->brown = optarg; break;
        case 'e': o->epochs = (int)strtol(optarg, NULL, 10); break;
        case 'E': o->epochs2 = (int)strtol(optarg, NULL, 10); break;
        case 'O': o->orders = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'W': o->word_dropout = strtod(optarg, NULL); break;
        case 'f': o->folds = (int)strtol(optarg, NULL, 10); break;
        case 'b': o->bits = (int)strtol(optarg, NULL, 10); break;
        case 'C': o->cv = (int)strtol(optarg, NULL, 10); break;
        case 'F': o->cv_folds = optarg; break;
        case 'X': o->cv_blocks = 1; break;
        case 'j': o->jobs = (int)strtol(optarg, NULL, 10); break;
        case 'Y': o->title_copies = (int)strtol(optarg, NULL, 10); break;
        case 'K': o->cased = optarg; break;
        case 'L': o->cased_clusters = optarg; break;
        case 'w':
            if (s_without(optarg, &o->groups) != 0) {
                s_usage(stderr);
                return 2;
            }
            break;
        case 'h': s_usage(stdout); return 0;
        case ':': s_usage(stderr); return 2; /* an option without its value */
        default:
            fprintf(stderr, "pl_train_ner: unknown option %s\n", argv[optind - 1]);
            s_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pl_train_ner: unknown option %s\n", argv[optind]);
        s_usage(stderr);
        return 2;
    }
    *go_on = 1;
    return 0;
}

/* The training and dev corpora, the clusters and the gazetteer; the sizes
 * on stderr. Returns 0 or the code of the first failure (said on stderr). */
static int s_load_data(const struct options *o, struct pl_nt_corpus *tc, struct pl_nt_corpus *dc,
                       struct lexicon *lx)
{
    int rc = pl_nt_read_conll(o->train, tc);
    if (rc == 0 && o->dev)
        rc = pl_nt_read_conll(o->dev, dc);
    if (rc != 0)
        return rc;
    fprintf(stderr, "train: %zu documents, %zu tokens\n", tc->n, tc->tokens);
    if (o->title_copies) {
        size_t added = pl_nt_add_title_copies(tc);
        fprintf(stderr, "train: %zu title-case copies of the headlines\n", added);
    }
    if (o->dev)
        fprintf(stderr, "dev: %zu documents, %zu tokens\n", dc->n, dc->tokens);
    /* Room for both cluster files' words, 2 slots each. */
    size_t words = (o->clusters ? s_count_lines(o->clusters) : 0) +
                   (o->cased_clusters ? s_count_lines(o->cased_clusters) : 0);
    lx->lex = s_new_table_for(2 * words, sizeof(*lx->lex), &lx->lex_mask);
    rc = s_load_clusters(lx, o->clusters, 0);
    if (rc == 0)
        rc = s_load_clusters(lx, o->cased_clusters, 1);
    if (rc == 0)
        rc = s_load_gazetteer(lx, o->gaz);
    if (rc == 0)
        rc = s_load_brown(lx, o->brown);
    if (rc == 0)
        rc = s_load_cased(lx, o->cased);
    return rc;
}

/* The averaged weights as the model file at path. Returns 0 or the
 * negative errno of the write (said on stderr). */
static int s_write(struct pl_nt_trainer *tr, const char *path)
{
    for (uint32_t s = 0; s < tr->m.stages; s++) {
        tr->m.wf[s] = tr->avg_w[s];
        tr->m.trans[s] = tr->avg_t[s];
    }
    int rc = pl_ner_model_write(&tr->m, path);
    if (rc) {
        char eb[128];
        fprintf(stderr, "pl_train_ner: cannot write %s: %s\n", path,
                strerror_r(-rc, eb, sizeof(eb)));
        return rc;
    }
    fprintf(stderr, "wrote %s\n", path);
    return 0;
}

/* The shape of the model the options describe, over the lexicon lx. */
static struct pl_ner_model s_shape(const struct options *o, const struct lexicon *lx)
{
    struct pl_ner_model m = { 0 };
    m.hash_bits = (uint32_t)o->bits;
    m.groups = o->groups;
    m.stages = (o->groups & PL_NER_G_STAGE2) ? 2 : 1;
    m.lex = lx->lex;
    m.lex_mask = lx->lex_mask;
    m.phr = lx->phr;
    m.phr_mask = lx->phr_mask;
    m.max_phrase = lx->max_phrase;
    if (m.groups & PL_NER_G_BROWN) {
        m.brown = lx->brown;
        m.brown_mask = lx->brown_mask;
    }
    return m;
}

/* The stages trained on the loaded data (dev NULL without a dev corpus)
 * and the model written. Returns the exit status. */
static int s_train_model(const struct options *o, struct pl_nt_corpus *tc, struct pl_nt_corpus *dev,
                         const struct lexicon *lx)
{
    struct pl_nt_trainer tr;
    struct pl_ner_model shape = s_shape(o, lx);
    pl_nt_trainer_init(&tr, &shape);
    tr.orders = o->orders;
    tr.word_dropout = (float)o->word_dropout;
    pl_nt_features(tc, &tr.m, 0);
    if (dev)
        pl_nt_features(dev, &tr.m, 0);
    pl_nt_two_stage(&tr, tc, dev, o->epochs, o->epochs2, o->folds, 1, NULL);
    int status = s_write(&tr, o->out) == 0 ? 0 : 1;
    pl_nt_trainer_free(&tr);
    return status;
}

/* --- cross-validation ---------------------------------------------------- */

/* What one fold reports to the parent: the held-out scores of both stages. */
struct fold_result {
    struct pl_conll_score s[2];
    size_t docs, tokens;
};

/* Marks in run[0..K) the folds of the list ("0,1"; NULL: all). Returns 0,
 * or -EINVAL for a fold out of range (said on stderr). */
static int s_cv_folds(const char *list, int K, uint8_t *run)
{
    memset(run, list ? 0 : 1, (size_t)K);
    for (const char *p = list; p && *p;) {
        char *end;
        long k = strtol(p, &end, 10);
        if (end == p || k < 0 || k >= K || (*end && *end != ',')) {
            fprintf(stderr, "pl_train_ner: --cv-folds: \"%s\" is not a list of folds 0..%d\n", list,
                    K - 1);
            return -EINVAL;
        }
        run[k] = 1;
        p = *end ? end + 1 : end;
    }
    return 0;
}

/* One fold, in a child process: the final model's pipeline trained on the
 * other folds, fold k tagged by it. Writes a fold_result to fd and exits. */
static void s_cv_child(const struct options *o, struct pl_nt_corpus *tc, const struct lexicon *lx,
                       int k, int fd)
{
    struct pl_nt_corpus train, held;
    pl_nt_cv_split(tc, k, o->cv, o->cv_blocks, &train, &held);
    struct pl_nt_trainer tr;
    struct pl_ner_model shape = s_shape(o, lx);
    pl_nt_trainer_init(&tr, &shape);
    tr.orders = o->orders;
    tr.word_dropout = (float)o->word_dropout;
    struct fold_result r = { .docs = held.n, .tokens = held.tokens };
    pl_nt_two_stage(&tr, &train, &held, o->epochs, o->epochs2, o->folds, 0, r.s);
    /* Smaller than PIPE_BUF: written at once, never blocks on a parent
     * that reads only after the child has ended. */
    ssize_t w = write(fd, &r, sizeof(r));
    _exit(w == (ssize_t)sizeof(r) ? 0 : 1);
}

/* "what: P .. R .. F1 .. (PER .. ORG .. LOC .. MISC ..)" on stdout; with
 * full, each type's P, R and F1 on a line of its own. */
static void s_cv_print(const char *what, const struct pl_conll_score *s, int full)
{
    double p, r, f;
    pl_conll_prf(s, -1, &p, &r, &f);
    printf("%s: P %.2f R %.2f F1 %.2f", what, p, r, f);
    for (int t = 0; t < PL_CONLL_TYPES; t++) {
        pl_conll_prf(s, t, &p, &r, &f);
        if (full)
            printf("\n  %-4s P %.2f R %.2f F1 %.2f", pl_conll_type_names[t], p, r, f);
        else
            printf("  %s %.2f", pl_conll_type_names[t], f);
    }
    printf("\n");
}

/* Starts fold k's child, its result to come through *rfd. Returns its pid,
 * or -1 (said on stderr). */
static pid_t s_cv_start(const struct options *o, struct pl_nt_corpus *tc, const struct lexicon *lx,
                        int k, int *rfd)
{
    int p[2];
    if (pipe(p) != 0) {
        perror("pl_train_ner: pipe");
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        s_cv_child(o, tc, lx, k, p[1]);
    }
    close(p[1]);
    if (pid < 0) {
        perror("pl_train_ner: fork");
        close(p[0]);
        return -1;
    }
    *rfd = p[0];
    return pid;
}

/* Waits for one child of pids[0..K); reads its result into res. Returns
 * 0, or -1 when it failed (said on stderr). */
static int s_cv_reap(int K, pid_t *pids, const int *rfd, struct fold_result *res, int *running)
{
    int st;
    pid_t pid = wait(&st);
    for (int k = 0; k < K; k++) {
        if (pids[k] != pid || pid <= 0)
            continue;
        pids[k] = 0;
        (*running)--;
        ssize_t n = read(rfd[k], &res[k], sizeof(res[k]));
        close(rfd[k]);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || n != (ssize_t)sizeof(res[k])) {
            fprintf(stderr, "pl_train_ner: cross-validation fold %d failed\n", k);
            return -1;
        }
        fprintf(stderr, "cv fold %d done\n", k);
        return 0;
    }
    perror("pl_train_ner: wait");
    return -1;
}

/* --cv K: each fold of the list held out in turn and tagged by the
 * pipeline trained on the others, jobs folds at a time (one process each:
 * the folds share nothing, so the figures do not depend on jobs). Prints
 * per-fold and pooled (micro over every held-out document) figures.
 * Returns the exit status. */
static int s_cv(const struct options *o, struct pl_nt_corpus *tc, const struct lexicon *lx)
{
    int K = o->cv, status = 0, running = 0;
    uint8_t *run = pl_nt_xrealloc(NULL, (size_t)K);
    pid_t *pids = calloc((size_t)K, sizeof(*pids));
    int *rfd = calloc((size_t)K, sizeof(*rfd));
    struct fold_result *res = calloc((size_t)K, sizeof(*res));
    if (!pids || !rfd || !res || s_cv_folds(o->cv_folds, K, run) != 0) {
        free(run);
        free(pids);
        free(rfd);
        free(res);
        return 2;
    }
    /* Stage-1 features do not depend on the fold: computed once here. */
    struct pl_ner_model shape = s_shape(o, lx);
    pl_nt_features(tc, &shape, 0);
    for (int k = 0; k < K && status == 0; k++) {
        if (!run[k])
            continue;
        while (running >= (o->jobs < 1 ? 1 : o->jobs) && status == 0)
            status = s_cv_reap(K, pids, rfd, res, &running) ? 1 : 0;
        if (status == 0 && (pids[k] = s_cv_start(o, tc, lx, k, &rfd[k])) < 0)
            status = 1;
        running += pids[k] > 0;
    }
    while (running > 0)
        if (s_cv_reap(K, pids, rfd, res, &running) != 0)
            status = 1;
    struct pl_conll_score pool[2];
    memset(pool, 0, sizeof(pool));
    char what[96];
    for (int k = 0; k < K && status == 0; k++) {
        if (!run[k])
            continue;
        snprintf(what, sizeof(what), "cv fold %d/%d (%zu documents, %zu tokens) stage 1", k, K,
                 res[k].docs, res[k].tokens);
        s_cv_print(what, &res[k].s[0], 0);
        snprintf(what, sizeof(what), "cv fold %d/%d (%zu documents, %zu tokens) stage %u", k, K,
                 res[k].docs, res[k].tokens, shape.stages);
        s_cv_print(what, &res[k].s[shape.stages - 1], 1);
        /* The counts, so that the figure of any subset of folds can be
         * pooled by hand from runs of other subsets. */
        const struct pl_conll_score *c = &res[k].s[shape.stages - 1];
        for (int t = 0; t < PL_CONLL_TYPES; t++)
            printf("  %s gold %zu found %zu correct %zu", pl_conll_type_names[t], c->gold[t],
                   c->found[t], c->correct[t]);
        printf("\n");
        pl_nt_score_sum(&pool[0], &res[k].s[0]);
        pl_nt_score_sum(&pool[1], &res[k].s[1]);
    }
    if (status == 0) {
        if (o->cv_blocks)
            printf("cv: document i in fold i * %d / documents; folds %s\n", K,
                   o->cv_folds ? o->cv_folds : "all");
        else
            printf("cv: document i in fold i %% %d; folds %s\n", K,
                   o->cv_folds ? o->cv_folds : "all");
        s_cv_print("cv pooled stage 1", &pool[0], 0);
        s_cv_print("cv pooled", &pool[shape.stages - 1], 1);
    }
    free(run);
    free(pids);
    free(rfd);
    free(res);
    return status;
}

/* Options checked, data loaded, the model trained. Returns the exit
 * status. */
static int s_run(struct options *o)
{
    if (!o->train || (!o->out && !o->cv) || o->epochs < 1 || o->epochs2 < 1 || o->orders < 1 ||
        o->orders > 64 || !(o->word_dropout >= 0 && o->word_dropout < 1) || o->folds < 2 ||
        o->bits < 10 || o->bits > 26 || (o->cv && (o->cv < 2 || o->cv > 100))) {
        s_usage(stderr);
        return 2;
    }
    if (!o->clusters)
        o->groups &= ~(unsigned)PL_NER_G_CLUSTER;
    if (!o->gaz)
        o->groups &= ~(unsigned)PL_NER_G_GAZ;
    if (!o->brown)
        o->groups &= ~(unsigned)PL_NER_G_BROWN;
    if (!o->cased_clusters)
        o->groups &= ~(unsigned)PL_NER_G_CCLUSTER;
    /* The sentence-shape features are measured with the case counts of
     * cased news and, by CV, not worth it yet (README): they come only
     * with --cased. */
    if (!o->cased)
        o->groups &= ~(unsigned)PL_NER_G_HEAD;
    struct pl_nt_corpus tc = { 0 }, dc = { 0 };
    struct lexicon lx = { 0 };
    int status = 1;
    int rc = s_load_data(o, &tc, &dc, &lx);
    /* Without a generated list in the gazetteer the group would find
     * nothing; leaving it out keeps such a model's file as it was before
     * the lists existed. */
    if (!lx.lists)
        o->groups &= ~(unsigned)PL_NER_G_LISTS;
    if (rc == 0)
        status = o->cv ? s_cv(o, &tc, &lx) : s_train_model(o, &tc, o->dev ? &dc : NULL, &lx);
    pl_nt_corpus_free(&tc);
    pl_nt_corpus_free(&dc);
    free(lx.lex);
    free(lx.phr);
    free(lx.brown);
    return status;
}

int main(int argc, char **argv)
{
    struct options o;
    int go_on, status = s_options(argc, argv, &o, &go_on);
    if (!go_on)
        return status;
    if (o.test && o.model)
        return s_test(o.model, o.test, o.predict);
    return s_run(&o);
}
