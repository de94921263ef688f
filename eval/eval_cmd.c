/*
 * The `pressline eval` commands: option parsing for `eval ner`, `eval
 * summary` and `eval extract`, each of which loads the configuration and
 * runs its evaluator (eval_ner.c, eval_summary.c, eval_extract.c). Called by
 * the pressline program's main, on its one thread.
 */
#include "eval_cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "eval_extract.h"
#include "eval_ner.h"
#include "eval_summary.h"

static void s_usage(void)
{
    fprintf(stderr, "usage: pressline eval ner FILE [--config C] [--stage NAME] [--predict OUT]\n"
                    "       pressline eval summary FILE.jsonl [--config C] [--predict OUT.jsonl]\n"
                    "       pressline eval extract EVALDATA.json [--pages DIR] | --truth "
                    "BODIES.json --pages DIR\n");
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

static int s_extract(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "predict", required_argument, NULL, 'p' },
        { "truth", required_argument, NULL, 't' },
        { "pages", required_argument, NULL, 'g' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL, *predict = NULL, *truth = NULL, *pages = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:p:t:g:", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'p': predict = optarg; break;
        case 't': truth = optarg; break;
        case 'g': pages = optarg; break;
        default: s_usage(); return 2;
        }
    }
    int npos = argc - optind;
    if (!((npos == 1 && !truth) || (npos == 0 && truth && pages))) {
        fprintf(stderr, "usage: pressline eval extract EVALDATA.json [--pages DIR] [--config C] "
                        "[--predict OUT.jsonl]\n"
                        "       pressline eval extract --truth BODIES.json --pages DIR [--config "
                        "C] [--predict OUT.jsonl]\n");
        return 2;
    }
    struct pl_config *cfg = pl_config_load_for(config, "eval extract");
    if (!cfg)
        return 1;
    int rc = pl_eval_extract(cfg, npos ? argv[optind] : NULL, truth, pages, predict, stdout);
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

int pl_eval_main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "ner"))
        return s_ner(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "extract"))
        return s_extract(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "summary"))
        return s_summary(argc - 1, argv + 1);
    if (argc >= 2)
        fprintf(stderr, "pressline eval: unknown evaluation \"%s\"\n", argv[1]);
    s_usage();
    return 2;
}
