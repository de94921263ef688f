/*
 * pl_train_clusters: word clusters for the name tagger, learned from
 * unlabeled news text.
 *
 * Reads tokenized text on stdin (one document per line, words separated by
 * spaces; the project uses the lower-cased CNN/DailyMail articles in
 * ../shared/data/unlabeled), trains skip-gram word vectors with negative
 * sampling, then groups the words by k-means on the unit vectors at three
 * granularities (clusters.h holds the algorithm). Writes
 * "word<TAB>c1<TAB>c2<TAB>c3<TAB>count" lines, the --clusters input of
 * pl_train_ner. Deterministic: one thread and a fixed-seed generator, so
 * the same text gives the same clusters.
 *
 * Run by tools/train-ner.sh.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "clusters.h"
#include "errcode.h"

static const char s_usage[] = "usage: pl_train_clusters [--dim N] [--window N] [--negative N] "
                              "[--min-count N] [--epochs N] [--iterations N] < text > clusters\n";

/* A whole decimal number; 0, or -EINVAL when s is not one. */
static int s_number(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || errno)
        return -EINVAL;
    *out = (size_t)v;
    return 0;
}

/* Fills p from the command line. Sets *go_on when training should start;
 * otherwise returns the exit status: 0 after --help, 2 after a usage error
 * (printed here). */
static int s_options(int argc, char **argv, struct pl_clusters_params *p, int *go_on)
{
    static const struct option opts[] = {
        { "dim", required_argument, NULL, 'd' },
        { "window", required_argument, NULL, 'w' },
        { "negative", required_argument, NULL, 'n' },
        { "min-count", required_argument, NULL, 'm' },
        { "epochs", required_argument, NULL, 'e' },
        { "iterations", required_argument, NULL, 'i' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int ch, bad = 0;
    size_t iterations = (size_t)p->iterations;
    *go_on = 0;
    opterr = 0; /* the usage line says it all, as before getopt */
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd': bad |= s_number(optarg, &p->dim); break;
        case 'w': bad |= s_number(optarg, &p->window); break;
        case 'n': bad |= s_number(optarg, &p->negative); break;
        case 'm': bad |= s_number(optarg, &p->min_count); break;
        case 'e': bad |= s_number(optarg, &p->epochs); break;
        case 'i': bad |= s_number(optarg, &iterations); break;
        case 'h': fputs(s_usage, stdout); return 0;
        default: fputs(s_usage, stderr); return 2;
        }
    }
    if (optind < argc) {
        fputs(s_usage, stderr);
        return 2;
    }
    if (bad || p->dim < 2 || p->window < 1 || p->epochs < 1 || p->min_count < 1 ||
        iterations > INT_MAX) {
        fprintf(stderr, "pl_train_clusters: bad arguments\n");
        return 2;
    }
    p->iterations = (int)iterations;
    *go_on = 1;
    return 0;
}

/* Reading, the cut, training, grouping and writing, in that order. */
static int s_run(struct pl_clusters *c, const struct pl_clusters_params *p)
{
    char eb[128];
    int rc = pl_clusters_read(c, stdin);
    if (rc != 0) {
        fprintf(stderr, "pl_train_clusters: cannot read standard input: %s\n",
                pl_strerror(rc, eb, sizeof(eb)));
        return 1;
    }
    if (c->ntext == 0) {
        fprintf(stderr, "pl_train_clusters: no text on standard input\n");
        return 1;
    }
    rc = pl_clusters_cut(c, p->min_count);
    if (rc == 0)
        fprintf(stderr, "%zu tokens, %zu distinct words, %zu kept (count >= %zu)\n", c->ntext,
                c->nvocab, c->nkept, p->min_count);
    if (rc == 0 && c->nkept == 0) {
        fprintf(stderr, "pl_train_clusters: no word occurs %zu times\n", p->min_count);
        return 1;
    }
    if (rc == 0)
        rc = pl_clusters_train(c, p);
    if (rc == 0)
        rc = pl_clusters_group(c, p);
    if (rc != 0) {
        fprintf(stderr, "pl_train_clusters: %s\n", pl_strerror(rc, eb, sizeof(eb)));
        return 1;
    }
    rc = pl_clusters_write(c, stdout);
    if (rc != 0) {
        fprintf(stderr, "pl_train_clusters: cannot write: %s\n", pl_strerror(rc, eb, sizeof(eb)));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct pl_clusters_params p = PL_CLUSTERS_PARAMS_DEFAULT;
    p.log = stderr;
    int go_on, status = s_options(argc, argv, &p, &go_on);
    if (!go_on)
        return status;
    struct pl_clusters c;
    pl_clusters_init(&c);
    status = s_run(&c, &p);
    pl_clusters_free(&c);
    return status;
}
