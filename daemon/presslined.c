/*
 * presslined: the pressline daemon. Parses the command line, loads the
 * configuration, checks its folders and runs the service (service.c) in
 * the foreground, which reads the file again on SIGHUP (reload.c); or,
 * with --check, checks what the service would need.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "memory.h"
#include "service.h"

static void s_usage(FILE *f)
{
    fprintf(f,
            "usage: presslined [--config FILE] [--check] [--log-level LEVEL] [--print-config]\n"
            "       presslined --version\n"
            "\n"
            "Watches an inbox folder, runs each article through the configured plugin stages\n"
            "and publishes the result as JSON on a ZeroMQ PUB socket.\n"
            "\n"
            "  -c, --config FILE    JSON configuration laid over the built-in default\n"
            "      --check          validate the configuration and load every plugin, then exit\n"
            "      --print-config   print the built-in default configuration and exit\n"
            "  -l, --log-level L    error, warn, info or debug (overrides the configuration)\n"
            "      --version        print \"presslined <version>\" and exit\n"
            "  -h, --help           this text\n"
            "\n"
            "SIGHUP reads the configuration again: new stages for new articles, a\n"
            "configuration that does not validate or needs a restart refused (logged).\n");
}

int main(int argc, char **argv)
{
    pl_memory_policy();
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "check", no_argument, NULL, 'k' },
        { "print-config", no_argument, NULL, 'p' },
        { "log-level", required_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL, *level = NULL;
    int check = 0, c;
    while ((c = getopt_long(argc, argv, "c:l:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'k': check = 1; break;
        case 'p': fputs(pl_default_config_json, stdout); return 0;
        case 'l': level = optarg; break;
        case 'h': s_usage(stdout); return 0;
        case 'V': printf("presslined %s\n", PL_VERSION); return 0;
        default: s_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "presslined: unexpected argument \"%s\"\n", argv[optind]);
        s_usage(stderr);
        return 2;
    }
    if (level && pl_log_level_parse(level) < 0) {
        fprintf(stderr, "presslined: unknown log level \"%s\" (error, warn, info, debug)\n", level);
        return 2;
    }
    char err[1024];
    struct pl_config *cfg = NULL;
    /* The folders are checked here, not at load, as only the daemon uses
     * them; at start a file in their place would fail with a message that
     * names the path but not the key. A reload checks the same way. */
    if (pl_config_load_checked(config, NULL, &cfg, err, sizeof(err)) != 0) {
        PL_ERR("%s", err);
        return 1;
    }
    pl_log_set_level(level ? pl_log_level_parse(level) : cfg->log_level);
    int rc; /* 0 or a negative code (logged); the exit status is 0 or 1 */
    if (check) {
        rc = pl_service_check(cfg);
        if (rc == 0)
            PL_INFO("configuration %s is valid", config ? config : "(built-in default)");
        else
            PL_ERR("configuration %s is not usable", config ? config : "(built-in default)");
    } else {
        const struct pl_service_opts so = { .config_path = config,
                                            .log_level_fixed = level != NULL };
        rc = pl_service_run(cfg, &so);
    }
    pl_config_free(&cfg);
    return rc != 0;
}
