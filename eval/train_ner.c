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
 * Run by tools/train-ner.sh; prints the dev score after every epoch. The
 * corpora and the perceptron are in ner_train.c; here are the lexicon, the
 * options and the phases.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    uint32_t max_phrase; /* words of the longest phrase; 1 without any */
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

/* An empty open-addressed table with room for per_line slots per line of
 * the file at path (a minimal one without a file). */
static void *s_new_table(const char *path, size_t per_line, size_t elem, size_t *mask)
{
    size_t lines = path ? s_count_lines(path) : 0, cap = 64;
    while (cap < per_line * lines + 2)
        cap *= 2;
    void *t = pl_nt_xrealloc(NULL, cap * elem);
    memset(t, 0, cap * elem);
    *mask = cap - 1;
    return t;
}

/* Clusters file: "word<TAB>c1<TAB>c2<TAB>c3<TAB>count" per line (path
 * NULL: an empty table). Returns 0, the negative errno of fopen, or
 * PL_EINPUT for a malformed line (said on stderr). */
static int s_load_clusters(struct lexicon *x, const char *path)
{
    x->lex = s_new_table(path, 2, sizeof(*x->lex), &x->lex_mask);
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
        struct pl_ner_lex *sl = s_lex_slot(x, pl_ner_key(word, strlen(word)));
        sl->key = pl_ner_key(word, strlen(word));
        sl->c[0] = (uint16_t)c1;
        sl->c[1] = (uint16_t)c2;
        sl->c[2] = (uint16_t)c3;
        sl->freq = (uint16_t)floor(log2((double)cnt + 1));
        n++;
    }
    fclose(f);
    fprintf(stderr, "clusters: %zu words from %s\n", n, path);
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
    x->phr = s_new_table(path, 8, sizeof(*x->phr), &x->phr_mask);
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
} s_groups[] = { { "word", PL_NER_G_WORD },     { "affix", PL_NER_G_AFFIX },
                 { "shape", PL_NER_G_SHAPE },   { "cluster", PL_NER_G_CLUSTER },
                 { "gazetteer", PL_NER_G_GAZ }, { "doc", PL_NER_G_DOC },
                 { "stage2", PL_NER_G_STAGE2 } };

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
                g[i - a] = pl_nt_tag_names[d->gold[i]];
                p[i - a] = pl_nt_tag_names[d->s1[i]];
            }
            if (b - a <= 512)
                pl_conll_score_add(&sc, g, p, b - a);
            for (size_t i = a; out && i < b; i++)
                fprintf(out, "%s %s %s\n", d->tok[i].s, pl_nt_tag_names[d->gold[i]],
                        pl_nt_tag_names[d->s1[i]]);
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
    fprintf(to, "usage: pl_train_ner --train FILE --out MODEL [--dev FILE] [--clusters FILE]\n"
                "                    [--gazetteer FILE] [--epochs N] [--epochs2 N] [--folds K]\n"
                "                    [--bits B] [--without GROUP,...]\n"
                "       pl_train_ner --test FILE --model MODEL [--predict OUT]\n"
                "groups: word affix shape cluster gazetteer doc stage2\n");
}

struct options {
    const char *train, *dev, *out, *clusters, *gaz;
    int epochs, epochs2, folds, bits;
    unsigned groups;
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
        { "folds", required_argument, NULL, 'f' },
        { "bits", required_argument, NULL, 'b' },
        { "without", required_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    *o = (struct options){
        .epochs = 12, .epochs2 = 12, .folds = 5, .bits = 19, .groups = PL_NER_G_ALL
    };
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
        case 'e': o->epochs = (int)strtol(optarg, NULL, 10); break;
        case 'E': o->epochs2 = (int)strtol(optarg, NULL, 10); break;
        case 'f': o->folds = (int)strtol(optarg, NULL, 10); break;
        case 'b': o->bits = (int)strtol(optarg, NULL, 10); break;
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
    if (o->dev)
        fprintf(stderr, "dev: %zu documents, %zu tokens\n", dc->n, dc->tokens);
    rc = s_load_clusters(lx, o->clusters);
    if (rc == 0)
        rc = s_load_gazetteer(lx, o->gaz);
    return rc;
}

/* First-stage tags for each training document from a model trained without
 * it: folds models, each on the documents of the other folds. */
static void s_jackknife(struct pl_nt_trainer *tr, struct pl_nt_corpus *tc, int epochs, int folds)
{
    uint8_t *fold = pl_nt_xrealloc(NULL, tc->n);
    for (int k = 0; k < folds; k++) {
        for (size_t d = 0; d < tc->n; d++)
            fold[d] = (int)(d % (size_t)folds) == k;
        pl_nt_train(tr, tc, fold, 0, epochs, NULL, 0);
        pl_nt_tag_corpus(tc, fold, 0, tr->avg_w[0], tr->avg_t[0], 1, NULL);
        fprintf(stderr, "jackknife fold %d/%d done\n", k + 1, folds);
    }
    free(fold);
}

/* Stage 1 on all training documents; with a dev corpus (dc not NULL), its
 * score, and its first-stage tags for stage 2. */
static void s_stage1(struct pl_nt_trainer *tr, struct pl_nt_corpus *tc, struct pl_nt_corpus *dc,
                     int epochs)
{
    pl_nt_train(tr, tc, NULL, 0, epochs, dc, 1);
    if (dc) {
        struct pl_conll_score sc = { 0 };
        pl_nt_tag_corpus(dc, NULL, 0, tr->avg_w[0], tr->avg_t[0], 1, &sc);
        pl_nt_print_score("stage 1 dev", &sc, 1);
    }
}

/* Stage 2, on features that include the first-stage tags; stage 1's
 * averages are kept. */
static void s_stage2(struct pl_nt_trainer *tr, struct pl_nt_corpus *tc, struct pl_nt_corpus *dc,
                     int epochs2)
{
    pl_nt_features(tc, &tr->m, 1);
    if (dc)
        pl_nt_features(dc, &tr->m, 1);
    pl_nt_train(tr, tc, NULL, 1, epochs2, dc, 1);
    if (dc) {
        struct pl_conll_score sc = { 0 };
        pl_nt_tag_corpus(dc, NULL, 1, tr->avg_w[1], tr->avg_t[1], 0, &sc);
        pl_nt_print_score("stage 2 dev", &sc, 1);
    }
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
    pl_nt_features(tc, &tr.m, 0);
    if (dev)
        pl_nt_features(dev, &tr.m, 0);
    if (tr.m.stages == 2)
        s_jackknife(&tr, tc, o->epochs, o->folds);
    s_stage1(&tr, tc, dev, o->epochs);
    if (tr.m.stages == 2)
        s_stage2(&tr, tc, dev, o->epochs2);
    int status = s_write(&tr, o->out) == 0 ? 0 : 1;
    pl_nt_trainer_free(&tr);
    return status;
}

/* Options checked, data loaded, the model trained. Returns the exit
 * status. */
static int s_run(struct options *o)
{
    if (!o->train || !o->out || o->epochs < 1 || o->epochs2 < 1 || o->folds < 2 || o->bits < 10 ||
        o->bits > 26) {
        s_usage(stderr);
        return 2;
    }
    if (!o->clusters)
        o->groups &= ~(unsigned)PL_NER_G_CLUSTER;
    if (!o->gaz)
        o->groups &= ~(unsigned)PL_NER_G_GAZ;
    struct pl_nt_corpus tc = { 0 }, dc = { 0 };
    struct lexicon lx = { 0 };
    int status = 1;
    if (s_load_data(o, &tc, &dc, &lx) == 0)
        status = s_train_model(o, &tc, o->dev ? &dc : NULL, &lx);
    pl_nt_corpus_free(&tc);
    pl_nt_corpus_free(&dc);
    free(lx.lex);
    free(lx.phr);
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
