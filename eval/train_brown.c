/*
 * pl_train_brown: Brown clusters (brown.h) for the name tagger, learned
 * from unlabeled news text.
 *
 * Reads tokenized text on stdin (one document per line, words separated by
 * spaces, as pl_train_clusters does, with its reader), keeps the words
 * seen --min-count times or more, clusters them with a window of
 * --clusters clusters, and writes "word<TAB>bits<TAB>count" lines (the
 * word's path from the root, most frequent word first): the --brown input
 * of pl_train_ner. A dropped word or the end of a document breaks the
 * bigrams. Deterministic: one thread, no randomness.
 *
 * Run by tools/train-ner.sh.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "brown.h"
#include "clusters.h"
#include "errcode.h"

static const char s_usage[] =
    "usage: pl_train_brown [--clusters C] [--min-count N] < text > brown\n";

/* A whole decimal number; 0, or -EINVAL when s is not one. */
static int s_number(const char *s, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (end == s || *end || errno)
        return -EINVAL;
    *out = v;
    return 0;
}

/* The kept words' ids in the text, PL_BROWN_NONE for the rest. Caller
 * frees; NULL when out of memory. */
static uint32_t *s_ids(const struct pl_clusters *c)
{
    uint32_t *ids = malloc((c->ntext ? c->ntext : 1) * sizeof(*ids));
    for (size_t i = 0; ids && i < c->ntext; i++)
        ids[i] = c->text[i] >= 0 ? (uint32_t)c->text[i] : PL_BROWN_NONE;
    return ids;
}

/* Writes each kept word with its bits and count. Returns 0 or -EIO. */
static int s_write(const struct pl_clusters *c, const struct pl_brown_path *p)
{
    char bits[PL_BROWN_MAX_DEPTH + 1];
    for (size_t v = 0; v < c->nkept; v++) {
        for (uint32_t k = 0; k < p[v].len; k++)
            bits[k] = (char)('0' + ((p[v].path >> (p[v].len - 1 - k)) & 1));
        bits[p[v].len] = 0;
        if (printf("%s\t%s\t%llu\n", c->vocab[v].s, p[v].len ? bits : "-",
                   (unsigned long long)c->vocab[v].count) < 0)
            return -EIO;
    }
    return fflush(stdout) == 0 ? 0 : -EIO;
}

/* Reading, the cut, clustering and writing. Returns the exit status. */
static int s_run(struct pl_clusters *c, unsigned long clusters, unsigned long min_count)
{
    char eb[128];
    int rc = pl_clusters_read(c, stdin);
    if (rc == 0)
        rc = pl_clusters_cut(c, min_count);
    if (rc != 0) {
        fprintf(stderr, "pl_train_brown: cannot read standard input: %s\n",
                pl_strerror(rc, eb, sizeof(eb)));
        return 1;
    }
    if (c->nkept < 2) {
        fprintf(stderr, "pl_train_brown: fewer than two words occur %lu times\n", min_count);
        return 1;
    }
    fprintf(stderr, "%zu tokens, %zu distinct words, %zu kept (count >= %lu), %lu clusters\n",
            c->ntext, c->nvocab, c->nkept, min_count, clusters);
    uint32_t *ids = s_ids(c);
    struct pl_brown_path *p = calloc(c->nkept, sizeof(*p));
    rc = ids && p ? pl_brown_train(ids, c->ntext, (uint32_t)c->nkept, (uint32_t)clusters, p)
                  : -ENOMEM;
    if (rc == 0)
        rc = s_write(c, p);
    if (rc != 0)
        fprintf(stderr, "pl_train_brown: %s\n", pl_strerror(rc, eb, sizeof(eb)));
    free(ids);
    free(p);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "clusters", required_argument, NULL, 'c' },
        { "min-count", required_argument, NULL, 'm' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    unsigned long clusters = 256, min_count = 5;
    int ch, bad = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': bad |= s_number(optarg, &clusters); break;
        case 'm': bad |= s_number(optarg, &min_count); break;
        case 'h': fputs(s_usage, stdout); return 0;
        default: fputs(s_usage, stderr); return 2;
        }
    }
    if (bad || optind < argc || clusters < 2 || clusters > 4096 || min_count < 1) {
        fputs(s_usage, stderr);
        return 2;
    }
    struct pl_clusters c;
    pl_clusters_init(&c);
    int status = s_run(&c, clusters, min_count);
    pl_clusters_free(&c);
    return status;
}
