/*
 * pressline: the command-line client.
 *
 *   pressline sub [--endpoint E] [--topic T]... [--count N] [--timeout S]
 *       prints each published message's JSON on its own line
 *   pressline process [--config FILE] FILE...
 *       runs the plugin chain in-process and prints the same JSON, a line per file
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "config.h"
#include "curve.h"
#include "eval_cmd.h"
#include "log.h"
#include "pipeline.h"
#include "worker.h"

static void s_usage(FILE *f)
{
    fprintf(
        f,
        "usage: pressline sub [--endpoint E] [--topic T]... [--count N] [--timeout S]\n"
        "                     [--since SEQ [--replay E]] [--server-key FILE]\n"
        "       pressline process [--config FILE] FILE...\n"
        "       pressline worker --connect ENDPOINT --stage NAME --plugin PATH [--options JSON]\n"
        "                        [--heartbeat-ms N] [--server-key FILE] [--exit-with-parent]\n"
        "       pressline keygen BASE\n"
        "       pressline eval ner FILE [--config C] [--stage NAME] [--predict OUT]\n"
        "       pressline eval summary FILE.jsonl [--config C] [--predict OUT.jsonl]\n"
        "       pressline eval extract EVALDATA.json [--pages DIR] | --truth BODIES.json --pages "
        "DIR\n"
        "\n"
        "sub      subscribe to a running presslined and print one JSON object per line.\n"
        "         --endpoint  default tcp://127.0.0.1:5556\n"
        "         --topic     article, error or status; repeatable (default: article and error)\n"
        "         --count N   exit 0 after N messages\n"
        "         --timeout S exit 1 if no message arrives for S seconds (default: wait forever)\n"
        "         --since SEQ first every message after SEQ from the daemon's durable record\n"
        "                     (--replay, default tcp://127.0.0.1:5557), then live, without\n"
        "                     gaps or repeats: a gap in seq is filled from the record\n"
        "process  run the configured plugin chain on each FILE without the daemon and print\n"
        "         the JSON the daemon would publish; exit 1 if any file failed.\n"
        "worker   host one plugin for a stage outside the daemon: connect to the stage's\n"
        "         endpoint (ipc:// or tcp://), take articles, heartbeat every N ms (1000).\n"
        "keygen   write a CURVE key pair for security.curve_secret_key_file / --server-key.\n"
        "eval ner score the entities stage on a CoNLL-2003 file (conlleval-style P/R/F1);\n"
        "eval summary  ROUGE-1/2/Lsum of the summaries and of lead-3 on {id,article,highlights} "
        "rows;\n"
        "eval extract  main-text extraction on trafilatura's snippets or by word 4-grams;\n"
        "         --pages DIR reads each page as DIR/NAME.txt or DIR/NAME (text dumps of the\n"
        "         pages, say); --predict writes {id, text} per page.\n"
        "--predict (ner) writes each line with the predicted tag (BIO) appended.\n"
        "--server-key FILE: the daemon's public key, when its tcp endpoints use CURVE.\n");
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

/* A JSON message's seq, or 0 (status messages have none). */
static uint64_t s_msg_seq(const char *json, size_t len)
{
    /* The daemon writes "seq" near the start; parse only if present. */
    cJSON *j = cJSON_ParseWithLength(json, len);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "seq");
    uint64_t seq = cJSON_IsNumber(s) && s->valuedouble >= 1 ? (uint64_t)s->valuedouble : 0;
    cJSON_Delete(j);
    return seq;
}

static bool s_topic_wanted(const char *topic, size_t tlen, const char *const *topics, int n)
{
    for (int i = 0; i < n; i++)
        if (strlen(topics[i]) <= tlen && !memcmp(topics[i], topic, strlen(topics[i])))
            return true;
    return false;
}

struct catchup {
    void *ctx;
    const char *endpoint;
    const char *server_key; /* "" = no CURVE */
    void *req;
    uint64_t last; /* highest seq printed */
    long printed;  /* messages printed so far, replayed or live */
    long count;    /* stop after this many (0: never) */
    const char *const *topics;
    int ntopics;
};

static void s_print(struct catchup *c, const void *json, size_t len)
{
    fwrite(json, 1, len, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    c->printed++;
}

/* Prints every message after c->last up to the newest, from the replay
 * endpoint. Returns 0 or -1 (message on stderr). */
static int s_replay(struct catchup *c, int timeout_ms)
{
    if (!c->req) {
        c->req = zmq_socket(c->ctx, ZMQ_DEALER);
        int zero = 0;
        zmq_setsockopt(c->req, ZMQ_LINGER, &zero, sizeof(zero));
        if (c->server_key[0])
            pl_curve_client(c->req, c->server_key);
        if (zmq_connect(c->req, c->endpoint) != 0) {
            fprintf(stderr, "pressline sub: cannot connect to %s: %s\n", c->endpoint,
                    zmq_strerror(zmq_errno()));
            return -1;
        }
    }
    for (;;) {
        char num[32];
        int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)c->last);
        zmq_send(c->req, "SINCE", 5, ZMQ_SNDMORE);
        zmq_send(c->req, num, (size_t)n, 0);
        char more = '0';
        for (;;) {
            zmq_pollitem_t it = { c->req, 0, ZMQ_POLLIN, 0 };
            if (zmq_poll(&it, 1, timeout_ms) <= 0) {
                fprintf(stderr, "pressline sub: no answer from the replay endpoint %s\n",
                        c->endpoint);
                return -1;
            }
            zmq_msg_t f[4];
            int nf = 0, more_frames = 1;
            while (more_frames && nf < 4) {
                zmq_msg_init(&f[nf]);
                zmq_msg_recv(&f[nf], c->req, 0);
                more_frames = zmq_msg_more(&f[nf]);
                nf++;
            }
            bool end =
                nf >= 1 && zmq_msg_size(&f[0]) == 3 && !memcmp(zmq_msg_data(&f[0]), "END", 3);
            if (!end && nf == 3 && zmq_msg_size(&f[0]) == 3 &&
                !memcmp(zmq_msg_data(&f[0]), "MSG", 3)) {
                uint64_t seq = s_msg_seq(zmq_msg_data(&f[2]), zmq_msg_size(&f[2]));
                if (seq > c->last) {
                    c->last = seq;
                    if (s_topic_wanted(zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), c->topics,
                                       c->ntopics) &&
                        (c->count == 0 || c->printed < c->count))
                        s_print(c, zmq_msg_data(&f[2]), zmq_msg_size(&f[2]));
                }
            }
            if (end && nf == 3 && zmq_msg_size(&f[2]) == 1)
                more = *(char *)zmq_msg_data(&f[2]);
            for (int i = 0; i < nf; i++)
                zmq_msg_close(&f[i]);
            if (end)
                break;
        }
        if (more != '1')
            return 0;
    }
}

static int s_sub(int argc, char **argv)
{
    static const struct option opts[] = {
        { "endpoint", required_argument, NULL, 'e' },
        { "topic", required_argument, NULL, 't' },
        { "count", required_argument, NULL, 'n' },
        { "timeout", required_argument, NULL, 'T' },
        { "since", required_argument, NULL, 'S' },
        { "replay", required_argument, NULL, 'R' },
        { "server-key", required_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *endpoint = "tcp://127.0.0.1:5556";
    const char *topics[16];
    int ntopics = 0, c;
    double count = 0, timeout = 0, since = -1;
    const char *replay = "tcp://127.0.0.1:5557";
    char server_key[PL_CURVE_KEY_LEN + 1] = "", kerr[512];
    while ((c = getopt_long(argc, argv, "e:t:n:T:S:R:k:h", opts, NULL)) != -1) {
        switch (c) {
        case 'e': endpoint = optarg; break;
        case 't':
            if (ntopics == 16) {
                fprintf(stderr, "pressline sub: at most 16 topics\n");
                return 2;
            }
            topics[ntopics++] = optarg;
            break;
        case 'n':
            if (s_parse_num(optarg, &count) != 0 || count != (long)count) {
                fprintf(stderr, "pressline sub: --count needs a whole number, not \"%s\"\n",
                        optarg);
                return 2;
            }
            break;
        case 'T':
            if (s_parse_num(optarg, &timeout) != 0) {
                fprintf(stderr, "pressline sub: --timeout needs seconds, not \"%s\"\n", optarg);
                return 2;
            }
            break;
        case 'S':
            if (s_parse_num(optarg, &since) != 0 || since != (double)(uint64_t)since) {
                fprintf(stderr, "pressline sub: --since needs a seq number, not \"%s\"\n", optarg);
                return 2;
            }
            break;
        case 'R': replay = optarg; break;
        case 'k':
            if (pl_curve_read_key(optarg, server_key, kerr, sizeof(kerr)) != 0) {
                fprintf(stderr, "pressline sub: %s\n", kerr);
                return 2;
            }
            break;
        case 'h': s_usage(stdout); return 0;
        default: s_usage(stderr); return 2;
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
    if (server_key[0])
        pl_curve_client(s, server_key);
    if (zmq_connect(s, endpoint) != 0) {
        fprintf(stderr, "pressline sub: cannot connect to %s: %s\n", endpoint,
                zmq_strerror(zmq_errno()));
        zmq_close(s);
        zmq_ctx_term(ctx);
        return 1;
    }
    int rc = 0;
    struct catchup cu = { .ctx = ctx,
                          .endpoint = replay,
                          .server_key = server_key,
                          .last = since > 0 ? (uint64_t)since : 0,
                          .count = (long)count,
                          .topics = topics,
                          .ntopics = ntopics };
    if (since >= 0) {
        /* Live first (buffered meanwhile), then the record: nothing falls
         * between the two. */
        if (s_replay(&cu, 10000) != 0) {
            rc = 1;
            goto done;
        }
        if (count > 0 && cu.printed >= (long)count)
            goto done;
    }
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
        if (since >= 0) {
            uint64_t seq = s_msg_seq(zmq_msg_data(&body), zmq_msg_size(&body));
            if (seq && seq <= cu.last) { /* already printed from the record */
                zmq_msg_close(&topic);
                zmq_msg_close(&body);
                continue;
            }
            if (seq > cu.last + 1) {
                /* A gap: dropped at our high-water mark, or published before
                 * we were subscribed. Fill it from the record. (After a
                 * daemon crash seq jumps; the record then has nothing.) */
                if (s_replay(&cu, 10000) != 0) {
                    rc = 1;
                    zmq_msg_close(&topic);
                    zmq_msg_close(&body);
                    break;
                }
                if (count > 0 && cu.printed >= (long)count) {
                    zmq_msg_close(&topic);
                    zmq_msg_close(&body);
                    break;
                }
                if (seq <= cu.last) {
                    zmq_msg_close(&topic);
                    zmq_msg_close(&body);
                    continue;
                }
            }
            if (seq)
                cu.last = seq;
        } else {
            /* Without --since, say what was missed: dropped at this
             * subscriber's high-water mark, or published while it was away.
             * (A jump after a daemon crash is counted too.) */
            uint64_t seq = s_msg_seq(zmq_msg_data(&body), zmq_msg_size(&body));
            if (seq && cu.last && seq > cu.last + 1) {
                fprintf(stderr,
                        "pressline sub: missed %llu message%s (seq %llu to %llu); "
                        "--since %llu fetches them\n",
                        (unsigned long long)(seq - cu.last - 1), seq - cu.last - 1 == 1 ? "" : "s",
                        (unsigned long long)cu.last + 1, (unsigned long long)seq - 1,
                        (unsigned long long)cu.last);
            }
            if (seq)
                cu.last = seq;
        }
        s_print(&cu, zmq_msg_data(&body), zmq_msg_size(&body));
        zmq_msg_close(&topic);
        zmq_msg_close(&body);
        if (count > 0 && cu.printed >= (long)count)
            break;
    }
done:
    if (cu.req)
        zmq_close(cu.req);
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
        case 'c': config = optarg; break;
        case 'h': s_usage(stdout); return 0;
        default: s_usage(stderr); return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "pressline process: name at least one FILE\n");
        return 2;
    }
    char err[1024];
    struct pl_config *cfg = pl_config_load_for(config, "process");
    if (!cfg)
        return 1;
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
        { "connect", required_argument, NULL, 'e' },
        { "stage", required_argument, NULL, 's' },
        { "plugin", required_argument, NULL, 'p' },
        { "options", required_argument, NULL, 'o' },
        { "heartbeat-ms", required_argument, NULL, 'b' },
        { "help", no_argument, NULL, 'h' },
        { "exit-with-parent", no_argument, NULL, 'P' },
        { "server-key", required_argument, NULL, 'k' },
        { "server-public", required_argument, NULL, 'K' },
        { NULL, 0, NULL, 0 },
    };
    const char *endpoint = NULL, *stage = NULL, *plugin = NULL, *options = "{}";
    double hb = 1000;
    int c, with_parent = 0;
    char server_key[PL_CURVE_KEY_LEN + 1] = "", err[1024];
    while ((c = getopt_long(argc, argv, "e:s:p:o:b:hPk:K:", opts, NULL)) != -1) {
        switch (c) {
        case 'e': endpoint = optarg; break;
        case 's': stage = optarg; break;
        case 'p': plugin = optarg; break;
        case 'o': options = optarg; break;
        case 'b':
            if (s_parse_num(optarg, &hb) != 0 || hb < 10 || hb > 60000) {
                fprintf(stderr, "pressline worker: --heartbeat-ms needs 10 to 60000, not \"%s\"\n",
                        optarg);
                return 2;
            }
            break;
        case 'P': with_parent = 1; break;
        case 'k':
            if (pl_curve_read_key(optarg, server_key, err, sizeof(err)) != 0) {
                fprintf(stderr, "pressline worker: %s\n", err);
                return 2;
            }
            break;
        case 'K':
            if (strlen(optarg) != PL_CURVE_KEY_LEN) {
                fprintf(stderr, "pressline worker: --server-public needs a 40-character Z85 key\n");
                return 2;
            }
            memcpy(server_key, optarg, PL_CURVE_KEY_LEN + 1);
            break;
        case 'h': s_usage(stdout); return 0;
        default: s_usage(stderr); return 2;
        }
    }
    if (with_parent) {
        /* Started by presslined: go when it goes, even by SIGKILL, so a
         * restarted daemon does not find the last one's workers. */
        pid_t parent = getppid();
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent || parent == 1)
            return 0;
    }
    if (!endpoint || !stage || !plugin) {
        fprintf(stderr, "pressline worker: --connect, --stage and --plugin are required\n");
        return 2;
    }
    if (!strncmp(endpoint, "inproc://", 9)) {
        fprintf(
            stderr,
            "pressline worker: %s is inside the daemon; a worker process needs ipc:// or tcp://\n",
            endpoint);
        return 2;
    }
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
    const struct pl_worker_opts wo = { .heartbeat_ms = (int)hb,
                                       .stop = &s_stop,
                                       .server_key = server_key[0] ? server_key : NULL };
    int rc = pl_worker_run(ctx, endpoint, inst, &wo);
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
    if (!strcmp(argv[1], "eval"))
        return pl_eval_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "keygen")) {
        if (argc != 3) {
            fprintf(stderr,
                    "usage: pressline keygen BASE   (writes BASE.secret and BASE.public)\n");
            return 2;
        }
        char err[512];
        if (pl_curve_keygen(argv[2], err, sizeof(err)) != 0) {
            fprintf(stderr, "pressline keygen: %s\n", err);
            return 1;
        }
        printf("wrote %s.secret (keep it private; for security.curve_secret_key_file) and "
               "%s.public (for --server-key)\n",
               argv[2], argv[2]);
        return 0;
    }
    fprintf(stderr, "pressline: unknown command \"%s\"\n", argv[1]);
    s_usage(stderr);
    return 2;
}
