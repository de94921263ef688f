/*
 * The story of a text dump of a web page: see dump.h. The units are blocks
 * (a list's items together), each scored for how much it reads like prose;
 * the runs with the largest sums are the story.
 */
#include "dump.h"

#include <errno.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "text.h"

/* Does a unit (a block, or a run of list items) read like the story: long
 * enough, with a sentence end, and not a list of short items? */
static long s_paragraph_score(const struct pl_blocks *bl, size_t from, size_t to)
{
    size_t len = 0, bullets = 0, ends = 0, n = 0;
    for (size_t i = from; i < to; i++) {
        const struct pl_block *b = &bl->v[i];
        if (b->reason)
            continue;
        n++;
        len += b->len;
        bullets += b->bullet != 0;
        for (size_t k = 0; k < b->len; k++)
            ends += (b->s[k] == '.' || b->s[k] == '!' || b->s[k] == '?') &&
                    (k + 1 == b->len || b->s[k + 1] == ' ' || b->s[k + 1] == '"');
    }
    if (n == 0)
        return 0;
    /* Prose: sentences of some length; a list of long items counts half. */
    if (len >= 120 && ends >= 1 && len / (ends ? ends : 1) >= 25)
        return bullets * 2 > n ? (long)(len / 2) : (long)len;
    return -(long)(len > 30 ? len : 30);
}

/* The run of v[lo..hi) with the largest sum (Kadane): [*a, *b), its sum. */
static long s_best_run(const long *v, size_t lo, size_t hi, size_t *a, size_t *b)
{
    long best = 0, run = 0;
    size_t from = lo;
    *a = *b = lo;
    for (size_t p = lo; p < hi; p++) {
        if (run <= 0) {
            run = 0;
            from = p;
        }
        run += v[p];
        if (run > best) {
            best = run;
            *a = from;
            *b = p + 1;
        }
    }
    return best;
}

/* Keeps (keep[p] = 1) the best run of v[lo..hi) when its sum reaches
 * floor, then looks for more on either side of it: a story cut in two by a
 * gallery or a box of links. */
static void s_keep_runs(const long *v, size_t lo, size_t hi, long floor, char *keep, int depth)
{
    size_t a, b;
    if (depth > 8 || lo >= hi || s_best_run(v, lo, hi, &a, &b) < floor)
        return;
    for (size_t p = a; p < b; p++)
        keep[p] = 1;
    s_keep_runs(v, lo, a, floor, keep, depth + 1);
    s_keep_runs(v, b, hi, floor, keep, depth + 1);
}

int pl_dump_mark_page(struct pl_blocks *bl)
{
    size_t *start = malloc((bl->n + 1) * sizeof(*start));
    long *v = malloc((bl->n + 1) * sizeof(*v));
    char *keep = calloc(bl->n + 1, 1);
    int page = 0;
    if (!start || !v || !keep)
        goto out;
    /* Units: each block (a line, or a paragraph joined from wrapped
     * lines), a run of list items together. Blank lines are not trusted:
     * a browser's copy can have none, a dump has them everywhere. */
    size_t np = 0;
    for (size_t i = 0; i < bl->n; i++)
        if (i == 0 || !(bl->v[i].bullet && bl->v[i - 1].bullet))
            start[np++] = i;
    start[np] = bl->n;
    long neg = 0;
    size_t short_lines = 0;
    for (size_t p = 0; p < np; p++) {
        v[p] = s_paragraph_score(bl, start[p], start[p + 1]);
        if (v[p] < 0) {
            neg -= v[p];
            for (size_t i = start[p]; i < start[p + 1]; i++)
                short_lines += !bl->v[i].reason;
        }
    }
    size_t a, b;
    long best = s_best_run(v, 0, np, &a, &b);
    /* Mostly story already (an article file: fewer than 8 short lines
     * outside paragraphs of prose, or under a fifth of the text): leave it
     * to the other rules. */
    if (best <= 0 || short_lines < 8 || neg * 5 < best)
        goto out;
    page = 1;
    long floor = best / 5 > 150 ? best / 5 : 150;
    s_keep_runs(v, 0, np, floor < best ? floor : best, keep, 0); /* the best run always */
    for (size_t p = 0; p < np; p++) {
        if (!keep[p] || (p > 0 && keep[p - 1] == 1))
            continue;
        /* The headline and dek just above a run: up to two short blocks,
         * not list items. */
        for (size_t k = 0, q = p; k < 2 && q > 0; k++, q--) {
            size_t h = q - 1;
            const struct pl_block *c = &bl->v[start[h]];
            size_t words = 1;
            for (size_t x = 0; x < c->len; x++)
                words += c->s[x] == ' ';
            /* "Menu", "Sign in": a label, not a headline. */
            if (keep[h] || start[h + 1] - start[h] != 1 || c->bullet || c->len > 250 || words < 3)
                break;
            keep[h] = 2;
        }
    }
    for (size_t p = 0; p < np; p++) {
        /* Inside a run, a list of short items is a box of links. */
        if (keep[p] == 1 && v[p] < 0 && start[p + 1] - start[p] >= 2)
            keep[p] = 0;
        if (keep[p])
            continue;
        for (size_t i = start[p]; i < start[p + 1]; i++)
            if (!bl->v[i].reason) {
                bl->v[i].reason = "outside-article";
                bl->v[i].is_title = 0;
            }
    }
out:
    free(start);
    free(v);
    free(keep);
    return page;
}

/* The reason pl_dump_mark_page gives the blocks outside the story. */
static int s_outside(const struct pl_block *b)
{
    return b->reason && !strcmp(b->reason, "outside-article");
}

static int s_by_hash(const void *a, const void *b)
{
    uint64_t x = ((const uint64_t *)a)[0], y = ((const uint64_t *)b)[0];
    return x < y ? -1 : x > y;
}

/* f[i].d[38]: block i's text appears in another block too. */
static void s_recurs(const struct pl_blocks *bl, struct pl_bfeat *f)
{
    uint64_t(*k)[2] = malloc(bl->n * sizeof(*k));
    if (!k)
        return; /* the feature stays 0: a worse guess, not a wrong one */
    for (size_t i = 0; i < bl->n; i++) {
        k[i][0] = pl_hash(bl->v[i].s, bl->v[i].len);
        k[i][1] = i;
    }
    qsort(k, bl->n, sizeof(*k), s_by_hash);
    for (size_t a = 0, b; a < bl->n; a = b) {
        for (b = a + 1; b < bl->n && k[b][0] == k[a][0]; b++)
            ;
        for (size_t j = a; j < b && b - a > 1; j++)
            f[k[j][1]].d[38] = 1;
    }
    free(k);
}

void pl_dump_features(const struct pl_blocks *bl, struct pl_bfeat *f)
{
    size_t total = 0, kept = 0, seen = 0;
    for (size_t i = 0; i < bl->n; i++) {
        total += bl->v[i].len;
        kept += !bl->v[i].reason;
    }
    for (size_t i = 0; i < bl->n; i++) {
        const struct pl_block *b = &bl->v[i];
        memset(&f[i], 0, sizeof(f[i]));
        f[i].no_hash = 1;
        pl_bfeat_text(&f[i], b->s, b->len);
        /* The slots a page block's features use for the same things, so
         * that the neighbour features (bmodel.c) pass them on alike. */
        f[i].d[12] = bl->n > 1 ? (float)i / (float)(bl->n - 1) : 0;
        f[i].d[13] = !b->reason;
        f[i].d[26] = (float)b->is_title;
        f[i].d[27] = b->bullet != 0;
        f[i].d[14] = s_outside(b);
        f[i].d[15] = b->reason && !s_outside(b);
        f[i].d[16] = (float)b->blank_before;
        f[i].d[17] = (float)(b->last_width > 200 ? 1 : (double)b->last_width / 200);
        f[i].d[37] = total ? (float)b->len / (float)total : 0;
        if (!b->reason)
            f[i].d[34] = (float)(kept - ++seen) / (float)kept;
    }
    s_recurs(bl, f);
    for (size_t i = 0; i < bl->n; i++)
        pl_bfeat_neighbours(&f[i], i ? &f[i - 1] : NULL, i + 1 < bl->n ? &f[i + 1] : NULL);
}

int pl_dump_judged(const struct pl_block *b)
{
    return !b->is_title && (!b->reason || s_outside(b));
}

void pl_dump_stack_keys(const struct pl_blocks *bl, size_t *len, int *inside, uint64_t *key)
{
    for (size_t i = 0; i < bl->n; i++) {
        const struct pl_block *b = &bl->v[i];
        len[i] = b->len;
        inside[i] = !b->reason;
        key[i] = (uint64_t)(unsigned)b->bullet << 2 | (uint64_t)(b->blank_before != 0) << 1 |
                 (uint64_t)(b->is_title != 0);
    }
}

/* Each block's probability by m into p (pl_bmodel_probs). 0 or -ENOMEM. */
static int s_probs(const struct pl_blocks *bl, const struct pl_bmodel *m, struct pl_bfeat *f,
                   double *p)
{
    size_t n = bl->n;
    size_t *len = malloc((n ? n : 1) * sizeof(*len));
    int *inside = malloc((n ? n : 1) * sizeof(*inside));
    uint64_t *key = malloc((n ? n : 1) * sizeof(*key));
    int rc = len && inside && key ? 0 : -ENOMEM;
    if (rc == 0) {
        pl_dump_stack_keys(bl, len, inside, key);
        rc = pl_bmodel_probs(m, n, f, sizeof(*f), len, inside, key, p);
    }
    free(len);
    free(inside);
    free(key);
    return rc;
}

int pl_dump_apply(struct pl_blocks *bl, const struct pl_bmodel *m)
{
    /* A block's features take under 1 KB: past this many blocks the runs
     * alone judge, so that a 10 MB dump of short lines stays bounded. */
    if (bl->n > PL_DUMP_MAX_BLOCKS)
        return 0;
    struct pl_bfeat *f = malloc((bl->n ? bl->n : 1) * sizeof(*f));
    const char **was = malloc((bl->n ? bl->n : 1) * sizeof(*was));
    double *prob = malloc((bl->n ? bl->n : 1) * sizeof(*prob));
    if (!f || !was || !prob) {
        free(f);
        free(was);
        free(prob);
        return -ENOMEM;
    }
    pl_dump_features(bl, f);
    if (s_probs(bl, m, f, prob) != 0) {
        free(f);
        free(was);
        free(prob);
        return -ENOMEM;
    }
    size_t story = 0;
    for (size_t i = 0; i < bl->n; i++) {
        struct pl_block *b = &bl->v[i];
        was[i] = b->reason;
        if (pl_dump_judged(b)) {
            double p = prob[i];
            if (!b->reason && p < m->threshold)
                b->reason = "outside-article";
            else if (b->reason && m->add_threshold < 1 && p >= m->add_threshold)
                b->reason = NULL;
        }
        story += !b->reason && !b->is_title;
    }
    /* The model refines the runs' story; it does not empty it. */
    for (size_t i = 0; i < bl->n && !story; i++)
        bl->v[i].reason = was[i];
    free(was);
    free(f);
    free(prob);
    return 0;
}

void pl_dump_find_title(struct pl_blocks *bl)
{
    for (size_t i = 0; i < bl->n; i++)
        if (bl->v[i].is_title)
            return;
    pl_rules_find_title(bl);
}
