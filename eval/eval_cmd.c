/*
 * The `pressline eval` commands: option parsing for `eval ner`, `eval
 * summary`, `eval keywords` and `eval extract`, each of which loads the
 * configuration and runs its evaluator (eval_ner.c, eval_summary.c,
 * eval_keywords.c, eval_extract.c). Called by
 * the pressline program's main, on its one thread.
 */
#include "eval_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "errcode.h"
#include "eval_extract.h"
#include "eval_keywords.h"
#include "eval_ner.h"
#include "eval_summary.h"

static void s_usage(void)
{
    fprintf(stderr, "usage: pressline eval ner FILE [--config C] [--stage NAME] [--predict OUT]\n"
                    "       pressline eval summary FILE.jsonl [--config C] [--predict OUT.jsonl]\n"
                    "       pressline eval keywords DIR [--config C] [--predict OUT.jsonl] "
                    "[--cv N]\n"
                    "       pressline eval extract EVALDATA.json [--pages DIR] | --truth "
                    "BODIES.json --pages DIR | --readability DIR [--cv N [--models DIR]]\n");
}

static int s_ner(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "stage", required_argument, NULL, 's' },
        { "predict", required_argument, NULL, 'p' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL, *stage = "entities", *predict = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:s:p:", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 's': stage = optarg; break;
        case 'p': predict = optarg; break;
        default: s_usage(); return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr,
                "usage: pressline eval ner FILE [--config C] [--stage NAME] [--predict OUT]\n");
        return 2;
    }
    struct pl_config *cfg = pl_config_load_for(config, "eval ner");
    if (!cfg)
        return 1;
    int rc = pl_eval_ner(cfg, stage, argv[optind], predict, stdout);
    pl_config_free(&cfg);
    return rc == 0 ? 0 : 1;
}

static void s_extract_usage(void)
{
    fprintf(stderr, "usage: pressline eval extract EVALDATA.json [--pages DIR] [--config C] "
                    "[--predict OUT.jsonl] [--cv N [--models DIR]]\n"
                    "       pressline eval extract --truth BODIES.json --pages DIR [options]\n"
                    "       pressline eval extract --readability DIR [options]\n");
}

/* --cv's argument: a whole number of folds, 2 .. PL_EVAL_MAX_FOLDS. */
static int s_folds(const char *cmd, const char *arg, unsigned *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < 2 || v > PL_EVAL_MAX_FOLDS) {
        fprintf(stderr, "pressline eval %s: --cv takes 2 to %d folds, not \"%s\"\n", cmd,
                PL_EVAL_MAX_FOLDS, arg);
        return PL_EINPUT;
    }
    *out = (unsigned)v;
    return 0;
}

static int s_extract(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "predict", required_argument, NULL, 'p' },
        { "truth", required_argument, NULL, 't' },
        { "pages", required_argument, NULL, 'g' },
        { "readability", required_argument, NULL, 'r' },
        { "cv", required_argument, NULL, 'v' },
        { "models", required_argument, NULL, 'm' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL;
    struct pl_eval_extract_args a = { 0 };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:p:t:g:r:v:m:", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'p': a.predict = optarg; break;
        case 't': a.truth = optarg; break;
        case 'g': a.pages = optarg; break;
        case 'r': a.readability = optarg; break;
        case 'v':
            if (s_folds("extract", optarg, &a.cv) != 0)
                return 2;
            break;
        case 'm': a.models = optarg; break;
        default: s_usage(); return 2;
        }
    }
    int npos = argc - optind;
    bool traf = npos == 1 && !a.truth && !a.readability;
    bool zyte = npos == 0 && a.truth && a.pages && !a.readability;
    bool read = npos == 0 && a.readability && !a.truth && !a.pages;
    if (!(traf || zyte || read) || (a.models && !a.cv)) {
        s_extract_usage();
        return 2;
    }
    a.evaldata = traf ? argv[optind] : NULL;
    struct pl_config *cfg = pl_config_load_for(config, "eval extract");
    if (!cfg)
        return 1;
    int rc = pl_eval_extract(cfg, &a, stdout);
    pl_config_free(&cfg);
    return rc == 0 ? 0 : 1;
}

static int s_summary(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "predict", required_argument, NULL, 'p' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL, *predict = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:p:", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'p': predict = optarg; break;
        default: s_usage(); return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr,
                "usage: pressline eval summary FILE.jsonl [--config C] [--predict OUT.jsonl]\n");
        return 2;
    }
    struct pl_config *cfg = pl_config_load_for(config, "eval summary");
    if (!cfg)
        return 1;
    int rc = pl_eval_summary(cfg, argv[optind], predict, stdout);
    pl_config_free(&cfg);
    return rc == 0 ? 0 : 1;
}

static int s_keywords(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "predict", required_argument, NULL, 'p' },
        { "cv", required_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 },
    };
    static const char usage[] =
        "usage: pressline eval keywords DIR [--config C] [--predict OUT.jsonl] [--cv N]\n";
    const char *config = NULL;
    struct pl_eval_keywords_args a = { 0 };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:p:v:", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'p': a.predict = optarg; break;
        case 'v':
            if (s_folds("keywords", optarg, &a.cv) != 0)
                return 2;
            break;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        fputs(usage, stderr);
        return 2;
    }
    a.dir = argv[optind];
    struct pl_config *cfg = pl_config_load_for(config, "eval keywords");
    if (!cfg)
        return 1;
    int rc = pl_eval_keywords(cfg, &a, stdout);
    pl_config_free(&cfg);
    return rc == 0 ? 0 : 1;
}

int pl_eval_main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "ner"))
        return s_ner(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "extract"))
        return s_extract(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "summary"))
        return s_summary(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "keywords"))
        return s_keywords(argc - 1, argv + 1);
    if (argc >= 2)
        fprintf(stderr, "pressline eval: unknown evaluation \"%s\"\n", argv[1]);
    s_usage();
    return 2;
}
