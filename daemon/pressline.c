/*
 * pressline: the command-line client.
 *
 *   pressline sub [--endpoint E] [--topic T]... [--count N] [--timeout S]
 *       prints each published message's JSON on its own line
 *   pressline process [--config FILE] FILE...
 *       runs the plugin chain in-process and prints the same JSON, a line per file
 */
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "config.h"
#include "log.h"
#include "pipeline.h"
#include "worker.h"

static void s_usage(FILE *f)
{
    fprintf(f,
            "usage: pressline sub [--endpoint E] [--topic T]... [--count N] [--timeout S]\n"
            "       pressline process [--config FILE] FILE...\n"
            "       pressline worker --connect ENDPOINT --stage NAME --plugin PATH [--options JSON]\n"
            "                        [--heartbeat-ms N]\n"
            "\n"
            "sub      subscribe to a running presslined and print one JSON object per line.\n"
            "         --endpoint  default tcp://127.0.0.1:5556\n"
            "         --topic     article, error or status; repeatable (default: article and error)\n"
            "         --count N   exit 0 after N messages\n"
            "         --timeout S exit 1 if no message arrives for S seconds (default: wait forever)\n"
            "process  run the configured plugin chain on each FILE without the daemon and print\n"
            "         the JSON the daemon would publish; exit 1 if any file failed.\n"
            "worker   host one plugin for a stage outside the daemon: connect to the stage's\n"
            "         endpoint (ipc:// or tcp://), take articles, heartbeat every N ms (1000).\n");
}

static int s_parse_num(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < 0)
        return -1;
    *out = v;
    return 0;
}

static int s_sub(int argc, char **argv)
{
    static const struct option opts[] = {
        { "endpoint", required_argument, NULL, 'e' }, { "topic", required_argument, NULL, 't' },
        { "count", required_argument, NULL, 'n' },    { "timeout", required_argument, NULL, 'T' },
        { "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
    };
    const char *endpoint = "tcp://127.0.0.1:5556";
    const char *topics[16];
    int ntopics = 0, c;
    double count = 0, timeout = 0;
    while ((c = getopt_long(argc, argv, "e:t:n:T:h", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
            endpoint = optarg;
            break;
        case 't':
            if (ntopics == 16) {
                fprintf(stderr, "pressline sub: at most 16 topics\n");
                return 2;
            }
            topics[ntopics++] = optarg;
            break;
        case 'n':
            if (s_parse_num(optarg, &count) != 0 || count != (long)count) {
                fprintf(stderr, "pressline sub: --count needs a whole number, not \"%s\"\n", optarg);
                return 2;
            }
            break;
        case 'T':
            if (s_parse_num(optarg, &timeout) != 0) {
                fprintf(stderr, "pressline sub: --timeout needs seconds, not \"%s\"\n", optarg);
                return 2;
            }
            break;
        case 'h':
            s_usage(stdout);
            return 0;
        default:
            s_usage(stderr);
            return 2;
        }
    }
    if (ntopics == 0) {
        topics[ntopics++] = "article";
        topics[ntopics++] = "error";
    }
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_SUB);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
    for (int i = 0; i < ntopics; i++)
        zmq_setsockopt(s, ZMQ_SUBSCRIBE, topics[i], strlen(topics[i]));
    if (zmq_connect(s, endpoint) != 0) {
        fprintf(stderr, "pressline sub: cannot connect to %s: %s\n", endpoint,
                zmq_strerror(zmq_errno()));
        zmq_close(s);
        zmq_ctx_term(ctx);
        return 1;
    }
    int rc = 0;
    long got = 0;
    for (;;) {
        zmq_pollitem_t it = { s, 0, ZMQ_POLLIN, 0 };
        int pr = zmq_poll(&it, 1, timeout > 0 ? (long)(timeout * 1000) : -1);
        if (pr < 0) {
            if (zmq_errno() == EINTR)
                break;
            rc = 1;
            break;
        }
        if (pr == 0) {
            fprintf(stderr, "pressline sub: no message for %g s\n", timeout);
            rc = 1;
            break;
        }
        zmq_msg_t topic, body;
        zmq_msg_init(&topic);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&topic, s, 0) < 0 || !zmq_msg_more(&topic) ||
            zmq_msg_recv(&body, s, 0) < 0) {
            zmq_msg_close(&topic);
            zmq_msg_close(&body);
            continue;
        }
        /* Skip a malformed tail of more frames. */
        while (zmq_msg_more(&body)) {
            zmq_msg_close(&body);
            zmq_msg_init(&body);
            zmq_msg_recv(&body, s, 0);
        }
        fwrite(zmq_msg_data(&body), 1, zmq_msg_size(&body), stdout);
        fputc('\n', stdout);
        fflush(stdout);
        zmq_msg_close(&topic);
        zmq_msg_close(&body);
        if (count > 0 && ++got >= (long)count)
            break;
    }
    zmq_close(s);
    zmq_ctx_term(ctx);
    return rc;
}

static int s_process(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'h':
            s_usage(stdout);
            return 0;
        default:
            s_usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "pressline process: name at least one FILE\n");
        return 2;
    }
    char err[1024];
    struct pl_config *cfg = NULL;
    if (pl_config_load(config, NULL, &cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "pressline process: %s\n", err);
        return 1;
    }
    pl_log_set_level(PL_LOG_WARN);
    struct pl_pipeline p;
    if (pl_pipeline_open(&p, cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "pressline process: %s\n", err);
        pl_config_free(&cfg);
        return 1;
    }
    int rc = 0;
    for (int i = optind; i < argc; i++) {
        char *out = NULL;
        size_t len = 0;
        int is_error = 0;
        if (pl_pipeline_file(&p, argv[i], (uint64_t)(i - optind + 1), &out, &len, &is_error) != 0) {
            fprintf(stderr, "pressline process: %s: out of memory\n", argv[i]);
            rc = 1;
            continue;
        }
        fwrite(out, 1, len, stdout);
        fputc('\n', stdout);
        if (is_error) {
            rc = 1;
            fprintf(stderr, "pressline process: %s failed (see its error line)\n", argv[i]);
        }
        free(out);
    }
    pl_pipeline_close(&p);
    pl_config_free(&cfg);
    return rc;
}

static volatile sig_atomic_t s_stop;

/* Only a flag: the interrupted zmq call returns EINTR and the loop checks it. */
static void s_on_term(int sig)
{
    (void)sig;
    s_stop = 1;
}

static int s_worker(int argc, char **argv)
{
    static const struct option opts[] = {
        { "connect", required_argument, NULL, 'e' }, { "stage", required_argument, NULL, 's' },
        { "plugin", required_argument, NULL, 'p' },  { "options", required_argument, NULL, 'o' },
        { "heartbeat-ms", required_argument, NULL, 'b' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *endpoint = NULL, *stage = NULL, *plugin = NULL, *options = "{}";
    double hb = 1000;
    int c;
    while ((c = getopt_long(argc, argv, "e:s:p:o:b:h", opts, NULL)) != -1) {
        switch (c) {
        case 'e': endpoint = optarg; break;
        case 's': stage = optarg; break;
        case 'p': plugin = optarg; break;
        case 'o': options = optarg; break;
        case 'b':
            if (s_parse_num(optarg, &hb) != 0 || hb < 10 || hb > 60000) {
                fprintf(stderr, "pressline worker: --heartbeat-ms needs 10 to 60000, not \"%s\"\n", optarg);
                return 2;
            }
            break;
        case 'h': s_usage(stdout); return 0;
        default: s_usage(stderr); return 2;
        }
    }
    if (!endpoint || !stage || !plugin) {
        fprintf(stderr, "pressline worker: --connect, --stage and --plugin are required\n");
        return 2;
    }
    if (!strncmp(endpoint, "inproc://", 9)) {
        fprintf(stderr, "pressline worker: %s is inside the daemon; a worker process needs ipc:// or tcp://\n", endpoint);
        return 2;
    }
    char err[1024];
    struct pl_plugin_handle *h = NULL;
    if (pl_plugin_open(plugin, &h, err, sizeof(err)) != 0) {
        PL_ERR("%s", err);
        return 1;
    }
    struct pl_plugin_instance *inst = calloc(1, sizeof(*inst));
    if (!inst || pl_plugin_instance_init(inst, h, stage, options, err, sizeof(err)) != 0) {
        PL_ERR("%s", inst ? err : "out of memory");
        free(inst);
        pl_plugin_close(&h);
        return 1;
    }
    void *ctx = zmq_ctx_new();
    struct sigaction sa = { .sa_handler = s_on_term };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    PL_INFO("worker for stage %s: plugin %s %s, connecting to %s", stage, h->desc->name,
            h->desc->version, endpoint);
    int rc = pl_worker_run(ctx, endpoint, inst, (int)hb, &s_stop);
    if (rc != 0 && !s_stop)
        PL_ERR("worker for stage %s stopped: %s", stage, zmq_strerror(-rc));
    zmq_ctx_term(ctx);
    pl_plugin_instance_fini(inst);
    free(inst);
    pl_plugin_close(&h);
    return rc != 0 && !s_stop ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        s_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "sub"))
        return s_sub(argc - 1, argv + 1);
    if (!strcmp(argv[1], "process"))
        return s_process(argc - 1, argv + 1);
    if (!strcmp(argv[1], "worker"))
        return s_worker(argc - 1, argv + 1);
    fprintf(stderr, "pressline: unknown command \"%s\"\n", argv[1]);
    s_usage(stderr);
    return 2;
}
