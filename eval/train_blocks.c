/*
 * pl_train_blocks: trains the clean stage's block classifier
 * (plugins/clean/bmodel.h) and writes its model file.
 *
 * Pages come from trafilatura's evaluation set (evaldata.json and its html/
 * folder) and from Mozilla Readability's test pages (a folder of
 * <name>/source.html + expected.html). Each page goes through the HTML
 * extractor's own block features (pl_html_blocks), so the features are
 * exactly the plugin's. Labels are weak: on trafilatura's set a block whose
 * text holds a "with" snippet is article (1), one holding a "without"
 * snippet is not (0), the rest are not used; on Readability's pages a block
 * most of whose word 4-grams are in expected.html's text is article, one
 * with few of them is not (a block under four words: whether its words
 * appear in that text in a row).
 *
 * The model is gradient-boosted decision trees on the dense features
 * (--trees T --depth D --shrink S --lambda L): each tree fits the logistic
 * loss's Newton step on the features cut into at most S_BINS bins at
 * quantiles of the training examples, level by level, the split with the
 * largest gain taken (the first one on a tie), leaves -G/(H+L) times the
 * shrinkage. No sampling, sums in a fixed order: the same input gives the
 * same bytes out. --trees 0 gives the earlier logistic regression with an L2
 * penalty, fitted by stochastic gradient descent over the examples in an
 * order shuffled with a fixed seed (version 1 model file).
 *
 * --stack adds the stacked model (bmodel.h, pl_bm_stack): every page's
 * blocks are kept; a training page's context features come from a first
 * model trained without its inner fold (S_INNER folds by site, drawn from
 * the same hash as the outer folds), a held-out page's from the first
 * model itself, as at run time; the stacked trees (--stack-trees,
 * --stack-depth) are then fitted on the training examples with them. The
 * thresholds apply to the stacked model's probability.
 *
 * Cross-validation: --cv N --fold K leaves out the pages of fold K
 * (pl_site_fold, grouped by site) and prints the block-level accuracy on
 * them; tools/train-blocks.sh makes one model per fold that way.
 *
 *   pl_train_blocks [--trafilatura EVALDATA.json] [--readability DIR]
 *                   [--cv N --fold K] [--trees T --depth D --shrink S --lambda L]
 *                   [--dumps DIR [--stack [--stack-trees T --stack-depth D]]]
 *                   [--epochs E] [--l2 L] [--threshold T] [--add A] --out FILE
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <utf8proc.h>

#include "blocks.h"
#include "bmodel.h"
#include "dump.h"
#include "errcode.h"
#include "folds.h"
#include "decode.h"
#include "html.h"
#include "judge.h"
#include "rules.h"
#include "text.h"

struct example {
    char *text;         /* for --dump only */
    int src;            /* 0 trafilatura, 1 Readability */
    unsigned page, blk; /* --stack: its page in s_pages and its block there */
    struct pl_bfeat f;
    float y;      /* 1 article, 0 not */
    float w;      /* the example's weight */
    int held_out; /* in the fold left out */
};

struct set {
    struct example *v;
    size_t n, cap;
};

struct opts {
    const char *traf, *readability, *out;
    const char *dumps; /* a folder of text dumps of trafilatura's pages, NAME.txt */
    double dump_threshold, dump_add;
    unsigned cv, fold;
    int epochs;
    double l2, threshold, add_threshold;
    double rd_weight; /* a Readability page's blocks weigh rd_weight / sqrt(their number) each */
    const char *dump; /* held-out examples: label, inside, probability, text */
    int no_hash, inside_only; /* ablations: no hashed features; only the container's blocks */
    unsigned trees, depth;    /* trees == 0: logistic regression */
    double shrink, lambda, min_hess;
    int stack;                         /* --stack: train the stacked model too */
    int dump_stack;                    /* --dump-stack: and one for the dump model */
    unsigned stack_trees, stack_depth; /* its trees */
};

/* --stack: every page's blocks, kept for the context features: their
 * features, lengths, whether the rules kept them, their shape keys. */
struct page {
    struct pl_bfeat *f;
    size_t *len;
    int *inside;
    uint64_t *key;
    size_t n;
    int held_out;
    unsigned inner; /* its fold of the inner cross-validation (by site) */
};
struct pages {
    struct page *v;
    size_t n;
};
static struct pages s_pages, s_dpages; /* the HTML pages, the text dumps */

/* The inner cross-validation's folds: the first model's probabilities on a
 * training page come from a model trained without its site's inner fold,
 * as they would on a page never seen. */
#define S_INNER 5

static const struct opts *s_o;

static void *s_xalloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "pl_train_blocks: out of memory\n");
        exit(1);
    }
    return q;
}

static void s_push(struct set *s, const struct pl_bfeat *f, int y, double w, int held_out,
                   unsigned page, unsigned blk)
{
    if (s_o->inside_only && f->d[13] < 0.5)
        return;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 4096;
        s->v = s_xalloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = (struct example){ NULL, 0, page, blk, *f, (float)y, (float)w, held_out };
    if (s_o->no_hash)
        s->v[s->n - 1].f.nh = 0;
}

static char *s_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct pl_buf b = { 0 };
    char chunk[65536];
    size_t k;
    while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (pl_buf_append(&b, chunk, k) != 0 || b.len > ((size_t)64 << 20))
            break;
    fclose(f);
    if (pl_buf_terminate(&b) != 0) {
        free(b.data);
        return NULL;
    }
    *len = b.len;
    return b.data;
}

static int s_in_fold(const struct opts *o, const char *site)
{
    return o->cv > 1 && pl_site_fold(site, o->cv) == o->fold;
}

/* The site's inner fold: from the same hash as its outer fold, so that
 * the two are independent (the hash modulo cv * S_INNER gives both). */
static unsigned s_inner_fold(const struct opts *o, const char *site)
{
    unsigned cv = o->cv > 1 ? o->cv : 1;
    return pl_site_fold(site, cv * S_INNER) / cv;
}

/* A new page of n blocks in ps for --stack; its arrays to be filled. */
static struct page *s_new_page(struct pages *ps, size_t n, int held_out, unsigned inner)
{
    ps->v = s_xalloc(ps->v, (ps->n + 1) * sizeof(*ps->v));
    struct page *pg = &ps->v[ps->n++];
    size_t k = n ? n : 1;
    *pg = (struct page){ s_xalloc(NULL, k * sizeof(*pg->f)),
                         s_xalloc(NULL, k * sizeof(*pg->len)),
                         s_xalloc(NULL, k * sizeof(*pg->inside)),
                         s_xalloc(NULL, k * sizeof(*pg->key)),
                         n,
                         held_out,
                         inner };
    return pg;
}

static void s_free_pages(struct pages *ps)
{
    for (size_t k = 0; k < ps->n; k++) {
        free(ps->v[k].f);
        free(ps->v[k].len);
        free(ps->v[k].inside);
        free(ps->v[k].key);
    }
    free(ps->v);
}

/* Keeps what --stack needs of the page's blocks b[0..n), and frees them.
 * Returns the page's number in s_pages. */
static unsigned s_keep_page(struct pl_html_block *b, size_t n, int held_out, unsigned inner)
{
    unsigned at = (unsigned)s_pages.n;
    if (s_o->stack) {
        struct page *pg = s_new_page(&s_pages, n, held_out, inner);
        for (size_t i = 0; i < n; i++) {
            pg->f[i] = b[i].f;
            pg->len[i] = b[i].len;
            pg->inside[i] = b[i].inside;
            pg->key[i] = b[i].shape;
        }
    }
    pl_html_blocks_free(b, n);
    return at;
}

/* --- trafilatura's set: snippets --------------------------------------- */

/* 1 when the block's text holds one of the snippets in arr, or is a part
 * (15 bytes or more) of one. */
static int s_matches(const char *text, size_t len, const cJSON *arr)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, arr)
    {
        if (!cJSON_IsString(s) || !*s->valuestring)
            continue;
        if (strstr(text, s->valuestring) || (len >= 15 && strstr(s->valuestring, text)))
            return 1;
    }
    return 0;
}

static void s_traf_page(struct set *set, const char *path, const cJSON *e, int held_out,
                        unsigned inner)
{
    size_t len = 0;
    char *html = s_read(path, &len);
    struct pl_html_block *b = NULL;
    size_t n = 0;
    if (!html || pl_html_blocks(html, len, NULL, &b, &n) != 0) {
        fprintf(stderr, "pl_train_blocks: %s: cannot read or parse\n", path);
        free(html);
        return;
    }
    const cJSON *with = cJSON_GetObjectItemCaseSensitive(e, "with");
    const cJSON *without = cJSON_GetObjectItemCaseSensitive(e, "without");
    size_t first = set->n;
    for (size_t i = 0; i < n; i++) {
        int pos = s_matches(b[i].text, b[i].len, with);
        int neg = s_matches(b[i].text, b[i].len, without);
        if (pos != neg) {
            s_push(set, &b[i].f, pos, 1.0, held_out, 0, (unsigned)i);
            if (s_o->dump && held_out)
                set->v[set->n - 1].text = strdup(b[i].text);
        }
    }
    unsigned page = s_keep_page(b, n, held_out, inner);
    for (size_t k = first; k < set->n; k++)
        set->v[k].page = page;
    free(html);
}

/* The dump model's examples: the blocks of the text dumps of trafilatura's
 * pages that the clean stage reads as pages, labelled by the snippets. */
static struct set s_dset;

/* The dump text[0..len) as the clean stage reads plain text (clean.c: the
 * encoding, invalid bytes repaired, NFC, blocks, the date prefix cut, then
 * judge.h's judgement without the dump model) into bl; 1 when it is read
 * as a page's dump. */
static int s_judge_dump(const char *text, size_t len, struct pl_blocks *bl)
{
    struct pl_decoded dec = { 0 };
    struct pl_error err = { { 0 } };
    char *fixed = NULL;
    size_t n = 0, invalid = 0, control = 0;
    utf8proc_uint8_t *nfc = NULL;
    utf8proc_ssize_t m = -1;
    if (pl_decode(text, len, PL_CLEAN_MAX_INVALID_RATIO, PL_CLEAN_MAX_CONTROL_RATIO, &dec, &err) ==
            0 &&
        pl_repair_utf8(dec.text, dec.len, &fixed, &n, &invalid, &control) == 0)
        m = utf8proc_map((const utf8proc_uint8_t *)fixed, (utf8proc_ssize_t)n, &nfc,
                         UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    free(dec.conv);
    free(fixed);
    char date[11] = "", *pre = NULL;
    int page = 0;
    if (m >= 0 && pl_blocks_split((const char *)nfc, (size_t)m, 1, bl) == 0 &&
        pl_rules_date_prefix(bl, date, &pre) == 0 &&
        pl_judge_blocks(bl, 1, 0, PL_CLEAN_MIN_HEADLINE_RUN, NULL, &page) != 0)
        page = 0;
    free(pre);
    free(nfc);
    return page;
}

/* The dumps --dumps names that could not be read, and those read. */
static size_t s_dumps_missing, s_dumps_read;

static void s_dump_page(const char *path, const cJSON *e, int held_out, unsigned inner)
{
    size_t len = 0;
    char *text = s_read(path, &len);
    struct pl_blocks bl = { 0 };
    s_dumps_missing += !text;
    s_dumps_read += text != NULL;
    /* The blocks the model judges at run time (dump.h), on the pages it
     * judges (up to PL_DUMP_MAX_BLOCKS blocks). */
    if (text && s_judge_dump(text, len, &bl) && bl.n <= PL_DUMP_MAX_BLOCKS) {
        struct pl_bfeat *f = s_xalloc(NULL, (bl.n ? bl.n : 1) * sizeof(*f));
        pl_dump_features(&bl, f);
        const cJSON *with = cJSON_GetObjectItemCaseSensitive(e, "with");
        const cJSON *without = cJSON_GetObjectItemCaseSensitive(e, "without");
        unsigned page = (unsigned)s_dpages.n;
        for (size_t i = 0; i < bl.n; i++) {
            int pos = s_matches(bl.v[i].s, bl.v[i].len, with);
            int neg = s_matches(bl.v[i].s, bl.v[i].len, without);
            if (pos != neg && pl_dump_judged(&bl.v[i]))
                s_push(&s_dset, &f[i], pos, 1.0, held_out, page, (unsigned)i);
        }
        if (s_o->stack) {
            struct page *pg = s_new_page(&s_dpages, bl.n, held_out, inner);
            memcpy(pg->f, f, bl.n * sizeof(*f));
            pl_dump_stack_keys(&bl, pg->len, pg->inside, pg->key);
        }
        free(f);
    }
    pl_blocks_free(&bl);
    free(text);
}

static int s_load_traf(struct set *set, const struct opts *o)
{
    size_t len = 0;
    char *data = s_read(o->traf, &len);
    cJSON *j = data ? cJSON_ParseWithLength(data, len) : NULL;
    free(data);
    if (!cJSON_IsObject(j)) {
        fprintf(stderr, "pl_train_blocks: cannot read %s as JSON\n", o->traf);
        cJSON_Delete(j);
        return PL_EINPUT;
    }
    char dir[4096];
    const char *slash = strrchr(o->traf, '/');
    snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - o->traf) : 1, slash ? o->traf : ".");
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        const cJSON *file = cJSON_GetObjectItemCaseSensitive(e, "file");
        if (!cJSON_IsString(file))
            continue;
        char site[256], path[8192];
        pl_site_of_url(e->string, site, sizeof(site));
        snprintf(path, sizeof(path), "%s/html/eval/%s", dir, file->valuestring);
        FILE *f = fopen(path, "rb");
        if (f)
            fclose(f);
        else
            snprintf(path, sizeof(path), "%s/html/cache/%s", dir, file->valuestring);
        s_traf_page(set, path, e, s_in_fold(o, site), s_inner_fold(o, site));
        if (o->dumps) {
            snprintf(path, sizeof(path), "%s/%s.txt", o->dumps, file->valuestring);
            s_dump_page(path, e, s_in_fold(o, site), s_inner_fold(o, site));
        }
    }
    cJSON_Delete(j);
    return 0;
}

/* --- Readability's pages: the expected text ----------------------------- */

/* The words of s, lower case, each followed by one space, into out. */
static void s_norm_words(const char *s, struct pl_buf *out)
{
    out->len = 0;
    for (const char *p = s; *p;) {
        while (*p && (unsigned char)*p < 0x80 && !isalnum((unsigned char)*p))
            p++;
        const char *q = p;
        while (*q && ((unsigned char)*q >= 0x80 || isalnum((unsigned char)*q)))
            q++;
        if (q > p) {
            char low[256];
            size_t k = pl_lower(p, (size_t)(q - p), low, sizeof(low));
            if (pl_buf_append(out, low, k) != 0 || pl_buf_putc(out, ' ') != 0)
                break;
        }
        p = q;
    }
    if (pl_buf_terminate(out) != 0)
        out->len = 0;
}

/* Word 4-gram hashes of a normalised text (words each followed by a
 * space), sorted; returns their number. */
static size_t s_grams(const char *norm, uint64_t **out)
{
    size_t nw = 0, cap = 64;
    uint64_t *w = s_xalloc(NULL, cap * sizeof(*w));
    for (const char *p = norm; *p;) {
        const char *sp = strchr(p, ' ');
        size_t k = sp ? (size_t)(sp - p) : strlen(p);
        if (nw == cap)
            w = s_xalloc(w, (cap *= 2) * sizeof(*w));
        w[nw++] = pl_hash(p, k);
        p += k + (sp != NULL);
    }
    size_t n = nw >= 4 ? nw - 3 : 0;
    for (size_t i = 0; i < n; i++)
        w[i] = ((w[i] * 31 + w[i + 1]) * 31 + w[i + 2]) * 31 + w[i + 3];
    *out = w;
    return n;
}

static int s_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The label of a block against the expected text (norm, its 4-grams
 * truth[0..nt) sorted): 1, 0, or -1 for neither clearly. */
static int s_label_block(const char *text, const char *norm, const uint64_t *truth, size_t nt)
{
    struct pl_buf bn = { 0 };
    s_norm_words(text, &bn);
    uint64_t *g = NULL;
    size_t ng = bn.len ? s_grams(bn.data, &g) : 0, hit = 0;
    int label = -1;
    if (ng == 0) {
        char *q = s_xalloc(NULL, bn.len + 2);
        snprintf(q, bn.len + 2, " %s", bn.data ? bn.data : "");
        label = bn.len && strstr(norm, q) ? 1 : 0;
        free(q);
    } else {
        for (size_t i = 0; i < ng; i++)
            hit += bsearch(&g[i], truth, nt, sizeof(*truth), s_cmp_u64) != NULL;
        label = hit * 10 >= ng * 7 ? 1 : hit * 10 <= ng * 3 ? 0 : -1;
    }
    free(g);
    free(bn.data);
    return label;
}

/* The text of expected.html, normalised (leading space: a word match can
 * be found as " word ..."). Caller frees out->data. */
static int s_expected_text(const char *path, struct pl_buf *out)
{
    size_t len = 0;
    char *html = s_read(path, &len);
    htmlDocPtr doc = html ? htmlReadMemory(html, (int)len, NULL, "UTF-8",
                                           HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                               HTML_PARSE_NOWARNING | HTML_PARSE_NONET)
                          : NULL;
    free(html);
    xmlChar *t = doc ? xmlNodeGetContent((xmlNode *)doc) : NULL;
    struct pl_buf words = { 0 };
    if (t)
        s_norm_words((const char *)t, &words);
    xmlFree(t);
    xmlFreeDoc(doc);
    out->len = 0;
    if (!words.len || pl_buf_putc(out, ' ') != 0 || pl_buf_append(out, words.data, words.len) ||
        pl_buf_terminate(out) != 0) {
        free(words.data);
        return PL_EINPUT;
    }
    free(words.data);
    return 0;
}

static void s_readability_page(struct set *set, const char *dir, const char *name, int held_out,
                               unsigned inner)
{
    char src[8192], exp[8192];
    snprintf(src, sizeof(src), "%s/%s/source.html", dir, name);
    snprintf(exp, sizeof(exp), "%s/%s/expected.html", dir, name);
    struct pl_buf norm = { 0 };
    size_t len = 0;
    char *html = NULL;
    struct pl_html_block *b = NULL;
    size_t n = 0;
    if (s_expected_text(exp, &norm) != 0 || !(html = s_read(src, &len)) ||
        pl_html_blocks(html, len, NULL, &b, &n) != 0) {
        free(norm.data);
        free(html);
        return;
    }
    uint64_t *truth = NULL;
    size_t nt = s_grams(norm.data + 1, &truth);
    qsort(truth, nt, sizeof(*truth), s_cmp_u64);
    /* Pages have tens to hundreds of blocks: each page weighs about as
     * much as a few of trafilatura's, not as much as all its blocks. */
    double w = n ? s_o->rd_weight / sqrt((double)n) : 1;
    size_t first = set->n;
    for (size_t i = 0; i < n; i++) {
        int y = s_label_block(b[i].text, norm.data, truth, nt);
        if (y >= 0) {
            s_push(set, &b[i].f, y, w, held_out, 0, (unsigned)i);
            set->v[set->n - 1].src = 1;
            if (s_o->dump && held_out)
                set->v[set->n - 1].text = strdup(b[i].text);
        }
    }
    free(truth);
    unsigned page = s_keep_page(b, n, held_out, inner);
    for (size_t k = first; k < set->n; k++)
        set->v[k].page = page;
    free(html);
    free(norm.data);
}

static int s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int s_load_readability(struct set *set, const struct opts *o)
{
    DIR *d = opendir(o->readability);
    if (!d) {
        fprintf(stderr, "pl_train_blocks: cannot open %s\n", o->readability);
        return PL_EINPUT;
    }
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        names = s_xalloc(names, (n + 1) * sizeof(*names));
        names[n] = strdup(e->d_name);
        if (!names[n++]) {
            fprintf(stderr, "pl_train_blocks: out of memory\n");
            exit(1);
        }
    }
    closedir(d);
    /* readdir's order is the file system's: sorted, the input is the same
     * on every machine. */
    qsort(names, n, sizeof(*names), s_cmp_str);
    for (size_t i = 0; i < n; i++) {
        char site[256];
        pl_site_of_test_page(names[i], site, sizeof(site));
        s_readability_page(set, o->readability, names[i], s_in_fold(o, site),
                           s_inner_fold(o, site));
        free(names[i]);
    }
    free(names);
    return 0;
}

/* --- training -------------------------------------------------------------- */

/* A fixed-seed generator (splitmix64): the shuffle is the same everywhere. */
static uint64_t s_next(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* One SGD step on example e at learning rate lr, L2 penalty l2 (the bias
 * is not penalised). */
static void s_step(double *w, const struct example *e, double lr, double l2)
{
    double p = 1.0 / (1.0 + exp(-pl_bmodel_logit(w, &e->f)));
    double g = (p - e->y) * e->w;
    for (int k = 0; k < PL_BM_DENSE; k++)
        w[k] -= lr * (g * e->f.d[k] + (k ? l2 * w[k] : 0));
    for (unsigned k = 0; k < e->f.nh; k++) {
        double *wk = &w[PL_BM_DENSE + e->f.h[k]];
        *wk -= lr * (g * e->f.hv[k] + l2 * *wk);
    }
}

static void s_train(const struct set *set, const struct opts *o, double *w)
{
    size_t *order = s_xalloc(NULL, (set->n ? set->n : 1) * sizeof(*order)), m = 0;
    for (size_t i = 0; i < set->n; i++)
        if (!set->v[i].held_out)
            order[m++] = i;
    memset(w, 0, PL_BM_DIM * sizeof(*w));
    uint64_t seed = 13;
    for (int ep = 0; ep < o->epochs; ep++) {
        for (size_t i = m; i > 1; i--) {
            size_t j = (size_t)(s_next(&seed) % i), t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        double lr = 0.05 / (1.0 + ep);
        for (size_t i = 0; i < m; i++)
            s_step(w, &set->v[order[i]], lr, o->l2);
    }
    free(order);
}

/* --- gradient-boosted trees ------------------------------------------------ */

#define S_BINS 64

/* The training examples' features cut into bins: bin[i * PL_BM_ALL + k]
 * is the number of cuts of feature k at or below example i's value. */
struct bins {
    size_t m;
    const size_t *idx; /* the training examples' numbers in set */
    uint8_t *bin;
    float cut[PL_BM_ALL][S_BINS - 1];
    unsigned ncut[PL_BM_ALL];
};

static int s_cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* The cuts of feature k: the distinct values above the least when there
 * are few, else the values at S_BINS quantiles. */
static void s_cuts(struct bins *bn, const struct set *set, int k, float *vals)
{
    for (size_t i = 0; i < bn->m; i++)
        vals[i] = set->v[bn->idx[i]].f.d[k];
    qsort(vals, bn->m, sizeof(*vals), s_cmp_float);
    unsigned nc = 0;
    for (unsigned q = 1; q < S_BINS && bn->m; q++) {
        float v = vals[(size_t)q * bn->m / S_BINS];
        if (v > vals[0] && (nc == 0 || v > bn->cut[k][nc - 1]))
            bn->cut[k][nc++] = v;
    }
    /* Quantiles miss a value that few examples hold (a flag set on 1 in
     * 100): the distinct values themselves when they fit. */
    unsigned nd = 0;
    float d[S_BINS];
    for (size_t i = 1; i < bn->m && nd < S_BINS; i++)
        if (vals[i] > vals[i - 1])
            d[nd++] = vals[i];
    if (nd < S_BINS) {
        memcpy(bn->cut[k], d, nd * sizeof(*d));
        nc = nd;
    }
    bn->ncut[k] = nc;
}

static void s_bin(struct bins *bn, const struct set *set)
{
    float *vals = s_xalloc(NULL, (bn->m ? bn->m : 1) * sizeof(*vals));
    for (int k = 0; k < PL_BM_ALL; k++)
        s_cuts(bn, set, k, vals);
    free(vals);
    bn->bin = s_xalloc(NULL, (bn->m ? bn->m : 1) * PL_BM_ALL);
    for (size_t i = 0; i < bn->m; i++)
        for (int k = 0; k < PL_BM_ALL; k++) {
            float x = set->v[bn->idx[i]].f.d[k];
            unsigned b = 0;
            while (b < bn->ncut[k] && x >= bn->cut[k][b])
                b++;
            bn->bin[i * PL_BM_ALL + k] = (uint8_t)b;
        }
}

/* Gradient and hessian sums of one node's examples by feature and bin. */
struct hist {
    double g[PL_BM_ALL][S_BINS], h[PL_BM_ALL][S_BINS];
    double gs, hs;
};

/* The best split of the node of histogram hi into *feat, *bin (go right
 * at bin >= *bin); 0 when no split gains or leaves both sides heavy
 * enough. */
static int s_best_split(const struct hist *hi, const struct bins *bn, const struct opts *o,
                        int *feat, unsigned *bin)
{
    double lam = o->lambda, parent = hi->gs * hi->gs / (hi->hs + lam), best = 1e-9;
    int found = 0;
    for (int k = 0; k < PL_BM_ALL; k++) {
        double gl = 0, hl = 0;
        for (unsigned b = 1; b <= bn->ncut[k]; b++) {
            gl += hi->g[k][b - 1];
            hl += hi->h[k][b - 1];
            double gr = hi->gs - gl, hr = hi->hs - hl;
            if (hl < o->min_hess || hr < o->min_hess)
                continue;
            double gain = gl * gl / (hl + lam) + gr * gr / (hr + lam) - parent;
            if (gain > best) {
                best = gain;
                *feat = k;
                *bin = b;
                found = 1;
            }
        }
    }
    return found;
}

/* Grows one tree t of m on the gradients g, h of the binned examples;
 * node[i] ends as example i's leaf. */
static void s_grow(struct pl_bmodel *m, unsigned t, const struct bins *bn, const double *g,
                   const double *h, unsigned *node, const struct opts *o)
{
    unsigned inner = (1u << m->depth) - 1;
    uint8_t *feat = (uint8_t *)m->feat + (size_t)t * inner;
    float *cut = (float *)m->cut + (size_t)t * inner;
    float *leaf = (float *)m->leaf + (size_t)t * (inner + 1);
    struct hist *hi = s_xalloc(NULL, sizeof(*hi) << (m->depth - 1));
    memset(node, 0, bn->m * sizeof(*node));
    for (unsigned d = 0, first = 0; d < m->depth; d++, first = 2 * first + 1) {
        unsigned width = 1u << d;
        memset(hi, 0, sizeof(*hi) * width);
        for (size_t i = 0; i < bn->m; i++) {
            struct hist *x = &hi[node[i] - first];
            const uint8_t *b = bn->bin + i * PL_BM_ALL;
            x->gs += g[i];
            x->hs += h[i];
            for (int k = 0; k < PL_BM_ALL; k++) {
                x->g[k][b[k]] += g[i];
                x->h[k][b[k]] += h[i];
            }
        }
        unsigned split_bin[1u << (PL_BM_MAXDEPTH - 1)];
        for (unsigned j = 0; j < width; j++) {
            int k = 0;
            unsigned b = 0;
            /* No split: every block goes left (feature 0 is never above
             * FLT_MAX), and the tree keeps its fixed shape. */
            if (s_best_split(&hi[j], bn, o, &k, &b)) {
                feat[first + j] = (uint8_t)k;
                cut[first + j] = bn->cut[k][b - 1];
                split_bin[j] = b;
            } else {
                feat[first + j] = 0;
                cut[first + j] = FLT_MAX;
                split_bin[j] = S_BINS;
            }
        }
        for (size_t i = 0; i < bn->m; i++) {
            unsigned j = node[i] - first;
            node[i] = 2 * node[i] + 1 + (bn->bin[i * PL_BM_ALL + feat[first + j]] >= split_bin[j]);
        }
    }
    double *gs = s_xalloc(NULL, 2 * (inner + 1) * sizeof(*gs)), *hs = gs + inner + 1;
    memset(gs, 0, 2 * (inner + 1) * sizeof(*gs));
    for (size_t i = 0; i < bn->m; i++) {
        gs[node[i] - inner] += g[i];
        hs[node[i] - inner] += h[i];
    }
    for (unsigned j = 0; j <= inner; j++)
        leaf[j] = (float)(-gs[j] / (hs[j] + o->lambda) * o->shrink);
    free(gs);
    free(hi);
}

static struct pl_bmodel *s_train_trees(const struct set *set, const struct opts *o)
{
    struct pl_bmodel *m = pl_bmodel_new_trees(o->trees, o->depth);
    if (!m) {
        fprintf(stderr, "pl_train_blocks: out of memory\n");
        exit(1);
    }
    size_t *idx = s_xalloc(NULL, (set->n ? set->n : 1) * sizeof(*idx)), n = 0;
    for (size_t i = 0; i < set->n; i++)
        if (!set->v[i].held_out)
            idx[n++] = i;
    struct bins bn = { .m = n, .idx = idx };
    s_bin(&bn, set);
    double pos = 0, all = 0;
    for (size_t i = 0; i < n; i++) {
        pos += set->v[idx[i]].w * set->v[idx[i]].y;
        all += set->v[idx[i]].w;
    }
    m->base = pos > 0 && pos < all ? log(pos / (all - pos)) : 0;
    double *z = s_xalloc(NULL, 3 * (n ? n : 1) * sizeof(*z)), *g = z + n, *h = g + n;
    unsigned *node = s_xalloc(NULL, (n ? n : 1) * sizeof(*node));
    for (size_t i = 0; i < n; i++)
        z[i] = m->base;
    unsigned inner = (1u << m->depth) - 1;
    for (unsigned t = 0; t < m->ntrees; t++) {
        for (size_t i = 0; i < n; i++) {
            const struct example *e = &set->v[idx[i]];
            double p = 1.0 / (1.0 + exp(-z[i]));
            g[i] = (p - e->y) * e->w;
            h[i] = (p * (1 - p) > 1e-6 ? p * (1 - p) : 1e-6) * e->w;
        }
        s_grow(m, t, &bn, g, h, node, o);
        for (size_t i = 0; i < n; i++)
            z[i] += m->leaf[(size_t)t * (inner + 1) + node[i] - inner];
    }
    free(node);
    free(z);
    free(bn.bin);
    free(idx);
    return m;
}

/* The probability the model file gives a block: its stacked model's when
 * it has one (the example's context features filled by s_stack). */
static double s_prob(const struct pl_bmodel *m, const struct pl_bfeat *f)
{
    return pl_bmodel_prob(m->stack ? m->stack : m, f);
}

/* The context features of page pg's blocks from model m's probabilities. */
static void s_page_stack(const struct page *pg, const struct pl_bmodel *m)
{
    double *p = s_xalloc(NULL, (pg->n ? pg->n : 1) * sizeof(*p));
    if (pl_bmodel_probs(m, pg->n, pg->f, sizeof(*pg->f), pg->len, pg->inside, pg->key, p) != 0) {
        fprintf(stderr, "pl_train_blocks: out of memory\n");
        exit(1);
    }
    free(p);
}

/* --stack: the context features of every page, from the first model m on
 * the held-out pages (as at run time) and, on a training page, from a
 * first model trained without its inner fold; then the stacked model on
 * the training examples with those features, into m->stack. */
static void s_stack(struct set *set, const struct pages *ps, const struct opts *o,
                    struct pl_bmodel *m)
{
    for (unsigned j = 0; j < S_INNER; j++) {
        for (size_t i = 0; i < set->n; i++)
            if (!set->v[i].held_out && ps->v[set->v[i].page].inner == j)
                set->v[i].held_out = 2;
        struct pl_bmodel *mj = s_train_trees(set, o);
        for (size_t k = 0; k < ps->n; k++)
            if (!ps->v[k].held_out && ps->v[k].inner == j)
                s_page_stack(&ps->v[k], mj);
        for (size_t i = 0; i < set->n; i++)
            if (set->v[i].held_out == 2)
                set->v[i].held_out = 0;
        pl_bmodel_free(mj);
    }
    for (size_t k = 0; k < ps->n; k++)
        if (ps->v[k].held_out)
            s_page_stack(&ps->v[k], m);
    for (size_t i = 0; i < set->n; i++) {
        struct example *e = &set->v[i];
        memcpy(e->f.d + PL_BM_DENSE, ps->v[e->page].f[e->blk].d + PL_BM_DENSE,
               PL_BM_STACK * sizeof(float));
    }
    struct opts so = *o;
    so.trees = o->stack_trees;
    so.depth = o->stack_depth;
    m->stack = s_train_trees(set, &so);
}

/* The same for the blocks inside the container, the ones the model acts
 * on: how much of the article it loses and how much boilerplate goes. */
static void s_report_inside(const struct set *set, const struct pl_bmodel *m, double t,
                            int held_out)
{
    double pos = 0, neg = 0, lost = 0, gone = 0;
    for (size_t i = 0; i < set->n; i++) {
        const struct example *e = &set->v[i];
        if (e->held_out != held_out || e->f.d[13] < 0.5)
            continue;
        int drop = s_prob(m, &e->f) < t;
        pos += e->y > 0.5;
        neg += e->y < 0.5;
        lost += drop && e->y > 0.5;
        gone += drop && e->y < 0.5;
    }
    fprintf(stderr,
            "pl_train_blocks: %s inside: article %.0f (%.0f dropped), boilerplate %.0f "
            "(%.0f dropped)\n",
            held_out ? "held-out" : "training", pos, lost, neg, gone);
}

/* Block-level figures of w on the examples (held_out: those of the fold
 * left out, else the training ones). */
static void s_report(const struct set *set, const struct pl_bmodel *m, double t, int held_out)
{
    double tp = 0, fp = 0, fn = 0, tn = 0;
    for (size_t i = 0; i < set->n; i++) {
        const struct example *e = &set->v[i];
        if (e->held_out != held_out)
            continue;
        int keep = s_prob(m, &e->f) >= t;
        tp += keep && e->y > 0.5;
        fp += keep && e->y < 0.5;
        fn += !keep && e->y > 0.5;
        tn += !keep && e->y < 0.5;
    }
    double n = tp + fp + fn + tn;
    fprintf(stderr,
            "pl_train_blocks: %s blocks %.0f: accuracy %.3f, kept article %.3f, kept "
            "boilerplate %.3f\n",
            held_out ? "held-out" : "training", n, n ? (tp + tn) / n : 0,
            tp + fn ? tp / (tp + fn) : 0, fp + tn ? fp / (fp + tn) : 0);
    s_report_inside(set, m, t, held_out);
}

/* The held-out examples one a line: source, label, inside, probability,
 * the block's text (tabs and newlines made spaces). */
static void s_dump(const struct set *set, const struct pl_bmodel *m, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    for (size_t i = 0; i < set->n; i++) {
        const struct example *e = &set->v[i];
        if (!e->text)
            continue;
        for (char *c = e->text; *c; c++)
            if (*c == '\t' || *c == '\n')
                *c = ' ';
        fprintf(f, "%d\t%.0f\t%.0f\t%.3f\t%.120s\n", e->src, e->y, e->f.d[13], s_prob(m, &e->f),
                e->text);
    }
    fclose(f);
}

static int s_args(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        { "trafilatura", 1, 0, 't' }, { "readability", 1, 0, 'r' },
        { "cv", 1, 0, 'c' },          { "fold", 1, 0, 'f' },
        { "epochs", 1, 0, 'e' },      { "l2", 1, 0, 'l' },
        { "threshold", 1, 0, 'T' },   { "out", 1, 0, 'o' },
        { "no-hash", 0, 0, 'H' },     { "inside-only", 0, 0, 'I' },
        { "dump", 1, 0, 'D' },        { "add", 1, 0, 'A' },
        { "rd-weight", 1, 0, 'W' },   { "trees", 1, 0, 'N' },
        { "depth", 1, 0, 'd' },       { "shrink", 1, 0, 's' },
        { "lambda", 1, 0, 'L' },      { "min-hess", 1, 0, 'M' },
        { "dumps", 1, 0, 'U' },       { "dump-threshold", 1, 0, 'X' },
        { "dump-add", 1, 0, 'Y' },    { "stack", 0, 0, 'S' },
        { "stack-trees", 1, 0, 'n' }, { "stack-depth", 1, 0, 'p' },
        { "dump-stack", 0, 0, 'K' },  { 0, 0, 0, 0 }
    };
    *o = (struct opts){ .epochs = 8,
                        .l2 = 1e-4,
                        .threshold = 0.2,
                        .add_threshold = 1,
                        .rd_weight = 3,
                        .trees = 0,
                        .depth = 3,
                        .shrink = 0.1,
                        .lambda = 1,
                        .min_hess = 0.5,
                        .dump_threshold = 0.5,
                        .dump_add = 1,
                        .stack_trees = 300,
                        .stack_depth = 2 };
    for (int c; (c = getopt_long(argc, argv, "", lo, NULL)) != -1;) {
        if (c == 't')
            o->traf = optarg;
        else if (c == 'r')
            o->readability = optarg;
        else if (c == 'c')
            o->cv = (unsigned)strtoul(optarg, NULL, 10);
        else if (c == 'f')
            o->fold = (unsigned)strtoul(optarg, NULL, 10);
        else if (c == 'e')
            o->epochs = (int)strtol(optarg, NULL, 10);
        else if (c == 'l')
            o->l2 = strtod(optarg, NULL);
        else if (c == 'T')
            o->threshold = strtod(optarg, NULL);
        else if (c == 'o')
            o->out = optarg;
        else if (c == 'W')
            o->rd_weight = strtod(optarg, NULL);
        else if (c == 'A')
            o->add_threshold = strtod(optarg, NULL);
        else if (c == 'D')
            o->dump = optarg;
        else if (c == 'N')
            o->trees = (unsigned)strtoul(optarg, NULL, 10);
        else if (c == 'd')
            o->depth = (unsigned)strtoul(optarg, NULL, 10);
        else if (c == 's')
            o->shrink = strtod(optarg, NULL);
        else if (c == 'L')
            o->lambda = strtod(optarg, NULL);
        else if (c == 'M')
            o->min_hess = strtod(optarg, NULL);
        else if (c == 'U')
            o->dumps = optarg;
        else if (c == 'X')
            o->dump_threshold = strtod(optarg, NULL);
        else if (c == 'Y')
            o->dump_add = strtod(optarg, NULL);
        else if (c == 'H')
            o->no_hash = 1;
        else if (c == 'S')
            o->stack = 1;
        else if (c == 'K')
            o->dump_stack = o->stack = 1;
        else if (c == 'n')
            o->stack_trees = (unsigned)strtoul(optarg, NULL, 10);
        else if (c == 'p')
            o->stack_depth = (unsigned)strtoul(optarg, NULL, 10);
        else if (c == 'I')
            o->inside_only = 1;
        else
            return PL_EINPUT;
    }
    if (!o->out || (!o->traf && !o->readability) || (o->cv > 1 && o->fold >= o->cv) ||
        o->epochs < 1 || !(o->threshold >= 0 && o->threshold <= 1) ||
        !(o->add_threshold >= 0 && o->add_threshold <= 1) || o->trees > PL_BM_MAXTREES ||
        o->depth < 1 || o->depth > PL_BM_MAXDEPTH || !(o->shrink > 0 && o->shrink <= 1) ||
        !(o->lambda >= 0) || !(o->min_hess >= 0) || (o->dumps && (!o->trees || !o->traf)) ||
        !(o->dump_threshold >= 0 && o->dump_threshold <= 1) ||
        !(o->dump_add >= 0 && o->dump_add <= 1) ||
        (o->stack &&
         (!o->trees || !o->dumps || o->stack_trees < 1 || o->stack_trees > PL_BM_MAXTREES ||
          o->stack_depth < 1 || o->stack_depth > PL_BM_MAXDEPTH))) {
        fprintf(stderr,
                "usage: pl_train_blocks [--trafilatura EVALDATA.json] [--readability DIR] "
                "[--cv N --fold K] [--trees T --depth D (1-%d) --shrink S --lambda L "
                "--min-hess H] [--dumps DIR [--dump-threshold T] [--dump-add A]] [--epochs E] "
                "[--l2 L] [--threshold T] [--add A] --out FILE\n",
                PL_BM_MAXDEPTH);
        return PL_EINPUT;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (s_args(argc, argv, &o) != 0)
        return 2;
    s_o = &o;
    xmlInitParser();
    struct set set = { 0 };
    if ((o.traf && s_load_traf(&set, &o) != 0) ||
        (o.readability && s_load_readability(&set, &o) != 0))
        return 1;
    struct pl_bmodel *m = o.trees ? s_train_trees(&set, &o) : s_xalloc(NULL, sizeof(*m));
    if (!o.trees) {
        memset(m, 0, sizeof(*m));
        s_train(&set, &o, m->w);
    }
    m->threshold = o.threshold;
    m->add_threshold = o.add_threshold;
    if (o.stack)
        s_stack(&set, &s_pages, &o, m);
    s_report(&set, m, o.threshold, 0);
    if (o.cv > 1)
        s_report(&set, m, o.threshold, 1);
    if (o.dumps) {
        fprintf(stderr, "pl_train_blocks: dumps: %zu read, %zu missing in %s\n", s_dumps_read,
                s_dumps_missing, o.dumps);
        if (s_dset.n == 0) {
            fprintf(stderr, "pl_train_blocks: no labelled blocks in the dumps of %s\n", o.dumps);
            return 1;
        }
        m->dumps = s_train_trees(&s_dset, &o);
        m->dumps->threshold = o.dump_threshold;
        m->dumps->add_threshold = o.dump_add;
        if (o.dump_stack)
            s_stack(&s_dset, &s_dpages, &o, m->dumps);
        fprintf(stderr, "pl_train_blocks: dumps:\n");
        s_report(&s_dset, m->dumps, o.dump_threshold, 0);
        if (o.cv > 1)
            s_report(&s_dset, m->dumps, o.dump_threshold, 1);
    }
    if (o.dump)
        s_dump(&set, m, o.dump);
    FILE *f = fopen(o.out, "wb");
    int rc = !f        ? -errno
             : o.trees ? pl_bmodel_write_trees(f, m)
                       : pl_bmodel_write(f, m->w, o.threshold, o.add_threshold);
    if (f && fclose(f) != 0 && rc == 0)
        rc = -EIO;
    if (rc != 0)
        fprintf(stderr, "pl_train_blocks: cannot write %s\n", o.out);
    pl_bmodel_free(m);
    s_free_pages(&s_pages);
    s_free_pages(&s_dpages);
    free(set.v);
    free(s_dset.v);
    xmlCleanupParser();
    return rc ? 1 : 0;
}
