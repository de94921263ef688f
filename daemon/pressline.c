/*
 * pressline: the command-line client, one process, one thread. Its
 * commands (s_usage has every option):
 *
 *   pressline sub [--endpoint E] [--topic T]... [--count N] [--timeout S]
 *                 [--since SEQ [--replay E]] [--server-key FILE]
 *       prints each published message's JSON on its own line; with --since,
 *       first what the daemon's replay endpoint holds after SEQ (replay_wire.h)
 *   pressline process [--config FILE] FILE...
 *       runs the plugin chain in-process and prints the same JSON, a line per file
 *   pressline worker --connect ENDPOINT --stage NAME --plugin PATH ...
 *       hosts one plugin for a stage outside the daemon (worker.h, wire.h)
 *   pressline keygen BASE
 *       writes a CURVE key pair, BASE.secret and BASE.public
 *   pressline status [--http HOST:PORT] [--config FILE]
 *       prints a running daemon's state from its HTTP endpoint (status_cmd.c)
 *   pressline eval ner|summary|extract ...
 *       scores a stage on a data set (eval/eval_cmd.c)
 *   pressline --version
 *       prints "pressline <version>"
 *
 * Exit status: 0, 1 when the command failed, 2 for a usage error.
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
#include <time.h>
#include <zmq.h>

#include "config.h"
#include "curve.h"
#include "eval_cmd.h"
#include "log.h"
#include "memory.h"
#include "pipeline.h"
#include "replay_wire.h"
#include "status_cmd.h"
#include "stories_cmd.h"
#include "wire.h"
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
        "       pressline status [--http HOST:PORT] [--config FILE]\n"
        "       pressline stories [--since TIME] [--json] [--limit N] [--db PATH] [--config FILE]\n"
        "       pressline story ID [--json] [--db PATH] [--config FILE]\n"
        "       pressline --version\n"
        "       pressline eval ner FILE [--config C] [--stage NAME] [--predict OUT]\n"
        "       pressline eval summary FILE.jsonl [--config C] [--predict OUT.jsonl]\n"
        "       pressline eval keywords DIR [--config C] [--predict OUT.jsonl] [--cv N]\n"
        "       pressline eval extract EVALDATA.json [--pages DIR] | --truth BODIES.json --pages "
        "DIR\n"
        "                              | --readability DIR [--cv N [--models DIR]]\n"
        "\n"
        "sub      subscribe to a running presslined and print one JSON object per line.\n"
        "         --endpoint  default tcp://127.0.0.1:5556\n"
        "         --topic     article, error, story or status; repeatable (default: article and\n"
        "                     error)\n"
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
        "status   ask a running presslined's HTTP endpoint (--http, default http.listen of\n"
        "         --config) whether it is ready, and print its counters; exit 0 ready,\n"
        "         1 not ready, 2 no daemon answered.\n"
        "stories  list the stories the stories stage remembers (its database, read-only),\n"
        "         most recently seen first; --since an RFC 3339 time, a date or an age (7d).\n"
        "story    show one story: its entities and every article, reprints marked.\n"
        "eval ner score the entities stage on a CoNLL-2003 file (conlleval-style P/R/F1);\n"
        "eval summary  ROUGE-1/2/Lsum of the summaries and of lead-3 on {id,article,highlights} "
        "rows;\n"
        "eval keywords P/R/F1 at 5 and 10 of the keywords, and of TF, TF-IDF and YAKE, on a\n"
        "         500N-KPCrowd folder (docsutf8/NAME.txt, keys/NAME.key);\n"
        "eval extract  main-text extraction on trafilatura's snippets or by word 4-grams;\n"
        "         --pages DIR reads each page as DIR/NAME.txt or DIR/NAME (text dumps of the\n"
        "         pages, say); --predict writes {id, text, scores} per page; --cv N adds\n"
        "         site-grouped folds, --models DIR scores each with DIR/fold-K.model.\n"
        "--predict (ner) writes each line with the predicted tag (BIO) appended.\n"
        "--server-key FILE: the daemon's public key, when its tcp endpoints use CURVE.\n");
}

/* A number option's value: the whole of s is one number (as strtod reads it), not negative.
 * Returns 0 with *out, or -EINVAL (*out untouched). */
static int s_parse_num(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < 0)
        return -EINVAL;
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

/* Whether a replayed message's topic is one subscribed to: a --topic is a
 * prefix of it, as ZMQ_SUBSCRIBE matches live messages. */
static bool s_topic_wanted(const char *topic, size_t tlen, const char *const *topics, int n)
{
    for (int i = 0; i < n; i++)
        if (strlen(topics[i]) <= tlen && !memcmp(topics[i], topic, strlen(topics[i])))
            return true;
    return false;
}

/* How long pressline sub waits for each reply of the replay endpoint. */
#define SUB_REPLAY_WAIT_MS 10000
/* How long it waits for the replay endpoint to say what a jump in seq
 * covers: shorter, since live messages wait meanwhile. */
#define SUB_COUNT_WAIT_MS 2000
/* How long pressline sub waits for its TCP connection to the publisher
 * before saying that no daemon answers (it keeps waiting). */
#define SUB_NOTICE_MS 3000
/* Where the live socket's monitor publishes its events, inside the process. */
#define SUB_MONITOR "inproc://pressline-sub-monitor"

/* pressline sub's options. */
struct sub_opts {
    const char *endpoint; /* the publisher */
    const char *replay;   /* the replay endpoint */
    const char *topics[16];
    int ntopics;
    double count, timeout, since;          /* since < 0: no --since */
    char server_key[PL_CURVE_KEY_LEN + 1]; /* "" = no CURVE */
    bool help;                             /* --help printed the usage */
};

/* A running pressline sub. */
struct sub {
    const struct sub_opts *o;
    void *ctx;
    void *live;    /* the SUB socket */
    void *mon;     /* a PAIR receiving the live socket's connection events */
    void *req;     /* the DEALER to the replay endpoint, opened on first use */
    bool up;       /* the live socket's connection is established */
    bool noticed;  /* "no daemon" was said for the current outage */
    long down_ms;  /* when the current outage began (s_now_ms) */
    uint64_t last; /* highest seq printed */
    long printed;  /* messages printed so far, replayed or live */
    long count;    /* stop after this many (0: never) */
};

/* Reads the options into o. Returns 0 (o->help says whether --help printed
 * the usage), or -EINVAL for a bad option, after saying so on stderr. */
static int s_sub_options(int argc, char **argv, struct sub_opts *o)
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
    *o = (struct sub_opts){ .endpoint = "tcp://127.0.0.1:5556",
                            .replay = "tcp://127.0.0.1:5557",
                            .since = -1 };
    char kerr[512];
    int c;
    while ((c = getopt_long(argc, argv, "e:t:n:T:S:R:k:h", opts, NULL)) != -1) {
        switch (c) {
        case 'e': o->endpoint = optarg; break;
        case 't':
            if (o->ntopics == 16) {
                fprintf(stderr, "pressline sub: at most 16 topics\n");
                return -EINVAL;
            }
            o->topics[o->ntopics++] = optarg;
            break;
        case 'n':
            if (s_parse_num(optarg, &o->count) != 0 || o->count != (long)o->count) {
                fprintf(stderr, "pressline sub: --count needs a whole number, not \"%s\"\n",
                        optarg);
                return -EINVAL;
            }
            break;
        case 'T':
            if (s_parse_num(optarg, &o->timeout) != 0) {
                fprintf(stderr, "pressline sub: --timeout needs seconds, not \"%s\"\n", optarg);
                return -EINVAL;
            }
            break;
        case 'S':
            if (s_parse_num(optarg, &o->since) != 0 || o->since != (double)(uint64_t)o->since) {
                fprintf(stderr, "pressline sub: --since needs a seq number, not \"%s\"\n", optarg);
                return -EINVAL;
            }
            break;
        case 'R': o->replay = optarg; break;
        case 'k':
            if (pl_curve_read_key(optarg, o->server_key, kerr, sizeof(kerr)) != 0) {
                fprintf(stderr, "pressline sub: %s\n", kerr);
                return -EINVAL;
            }
            break;
        case 'h':
            s_usage(stdout);
            o->help = true;
            return 0;
        default: s_usage(stderr); return -EINVAL;
        }
    }
    if (o->ntopics == 0) {
        o->topics[o->ntopics++] = "article";
        o->topics[o->ntopics++] = "error";
    }
    return 0;
}

/* True once --count messages are printed. */
static bool s_sub_done(const struct sub *s)
{
    return s->count > 0 && s->printed >= s->count;
}

static void s_print(struct sub *s, const void *json, size_t len)
{
    fwrite(json, 1, len, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    s->printed++;
}

/* Monotonic milliseconds, for pressline sub's waits. */
static long s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Watches the live socket's connection: a SUB never reports that nothing
 * answers, but its monitor tells each connection made, retried and lost.
 * Must run before the socket connects, so the first event is seen. Returns
 * 0 with s->mon, or the -errno of the failed call. */
static int s_sub_monitor(struct sub *s, void *live)
{
    int events = ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED;
    if (zmq_socket_monitor(live, SUB_MONITOR, events) != 0)
        return -zmq_errno();
    s->mon = zmq_socket(s->ctx, ZMQ_PAIR);
    int zero = 0;
    if (!s->mon)
        return -zmq_errno();
    zmq_setsockopt(s->mon, ZMQ_LINGER, &zero, sizeof(zero));
    if (zmq_connect(s->mon, SUB_MONITOR) != 0)
        return -zmq_errno();
    s->down_ms = s_now_ms();
    return 0;
}

/* Opens a socket of type to endpoint, a CURVE client when --server-key was
 * given; a SUB gets its monitor (s_sub_monitor). Returns 0 with *sock
 * (caller closes), or -errno after saying so on stderr. */
static int s_sub_connect(struct sub *s, int type, const char *endpoint, void **sock)
{
    void *z = zmq_socket(s->ctx, type);
    int zero = 0;
    if (z) {
        zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof(zero));
        for (int i = 0; type == ZMQ_SUB && i < s->o->ntopics; i++)
            zmq_setsockopt(z, ZMQ_SUBSCRIBE, s->o->topics[i], strlen(s->o->topics[i]));
        if (s->o->server_key[0])
            pl_curve_client(z, s->o->server_key);
    }
    int mrc = z && type == ZMQ_SUB ? s_sub_monitor(s, z) : 0;
    if (mrc != 0) {
        /* Not fatal: sub works as before, only without the notice. */
        fprintf(stderr, "pressline sub: cannot watch the connection to %s: %s\n", endpoint,
                zmq_strerror(-mrc));
        if (s->mon)
            zmq_close(s->mon);
        s->mon = NULL;
    }
    if (!z || zmq_connect(z, endpoint) != 0) {
        int e = zmq_errno();
        fprintf(stderr, "pressline sub: cannot connect to %s: %s\n", endpoint, zmq_strerror(e));
        if (z)
            zmq_close(z);
        return -e;
    }
    *sock = z;
    return 0;
}

/* Takes a replayed message: printed if it is new, of a wanted topic and
 * within --count. */
static void s_replay_take(struct sub *s, const struct pl_replay_wire_msg *m)
{
    uint64_t seq = s_msg_seq(m->json, m->json_len);
    if (seq <= s->last)
        return;
    s->last = seq;
    if (s_topic_wanted(m->topic, m->topic_len, s->o->topics, s->o->ntopics) && !s_sub_done(s))
        s_print(s, m->json, m->json_len);
}

/* Says on stderr why the replay endpoint refused the request, its reason
 * made printable (it comes from the network). */
static void s_replay_refused(const struct sub *s, const struct pl_replay_wire_msg *m)
{
    char reason[PL_REPLAY_WIRE_REASON_MAX + 1];
    for (size_t i = 0; i < m->reason_len; i++) {
        unsigned char c = (unsigned char)m->reason[i];
        reason[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    reason[m->reason_len] = '\0';
    fprintf(stderr, "pressline sub: the replay endpoint %s refused the request: %s\n", s->o->replay,
            reason);
}

/* Handles one reply of the replay endpoint. A reply that does not follow
 * the protocol is ignored. Returns 1 at END, with *more set, 0 for any
 * other reply, or -EPROTO for an ERR (said on stderr). */
static int s_replay_reply(struct sub *s, struct pl_wire_in *in, bool *more)
{
    struct pl_wire_frame f[PL_WIRE_MAX_FRAMES];
    for (size_t i = 0; i < in->n; i++)
        f[i] = pl_wire_in_frame(in, i);
    struct pl_replay_wire_msg m;
    if (in->truncated || pl_replay_wire_decode_reply(f, in->n, &m) != 0)
        return 0;
    if (m.type == PL_REPLAY_WIRE_MSG) {
        s_replay_take(s, &m);
        return 0;
    }
    if (m.type == PL_REPLAY_WIRE_ERR) {
        s_replay_refused(s, &m);
        return -EPROTO;
    }
    /* END's seq is not needed: s->last already holds the last seq taken. */
    *more = m.more;
    return 1;
}

/* Asks for everything after s->last and takes the replies up to END.
 * Returns 0 with *more set, or a negative errno (-ETIMEDOUT when no reply
 * came in time, -EPROTO when the request was refused) after saying so on
 * stderr. */
static int s_replay_batch(struct sub *s, bool *more)
{
    const struct pl_replay_wire_msg ask = { .type = PL_REPLAY_WIRE_SINCE, .seq = s->last };
    int rc = pl_replay_wire_send(s->req, NULL, 0, &ask, 0);
    for (;;) {
        zmq_pollitem_t it = { s->req, 0, ZMQ_POLLIN, 0 };
        if (rc == 0) {
            int pr = zmq_poll(&it, 1, SUB_REPLAY_WAIT_MS);
            rc = pr > 0 ? 0 : pr == 0 ? -ETIMEDOUT : -zmq_errno();
        }
        if (rc != 0) {
            fprintf(stderr, "pressline sub: no answer from the replay endpoint %s\n", s->o->replay);
            return rc;
        }
        struct pl_wire_in in;
        if (pl_wire_recv(s->req, &in, 0) != 0)
            continue; /* as a reply that does not follow the protocol */
        int end = s_replay_reply(s, &in, more);
        pl_wire_in_close(&in);
        if (end != 0)
            return end < 0 ? end : 0;
    }
}

/* Prints every message after s->last up to the newest, from the replay
 * endpoint, batch after batch. Returns 0 or a negative errno (message on
 * stderr). */
static int s_catch_up(struct sub *s)
{
    int rc = s->req ? 0 : s_sub_connect(s, ZMQ_DEALER, s->o->replay, &s->req);
    bool more = true;
    while (rc == 0 && more)
        rc = s_replay_batch(s, &more);
    return rc;
}

/* Takes one event of the live socket's monitor: whether its connection
 * is up, and since when it is not. */
static void s_monitor_take(struct sub *s)
{
    zmq_msg_t ev, addr;
    zmq_msg_init(&ev);
    zmq_msg_init(&addr);
    /* An event is two frames: 16 bits of event and 32 of value, then the
     * endpoint. */
    if (zmq_msg_recv(&ev, s->mon, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&ev) &&
        zmq_msg_recv(&addr, s->mon, ZMQ_DONTWAIT) >= 0 && zmq_msg_size(&ev) >= 2) {
        uint16_t event;
        memcpy(&event, zmq_msg_data(&ev), sizeof(event));
        if (event == ZMQ_EVENT_CONNECTED) {
            s->up = true;
        } else if (event == ZMQ_EVENT_DISCONNECTED && s->up) {
            s->up = false;
            s->noticed = false;
            s->down_ms = s_now_ms();
        }
    }
    zmq_msg_close(&addr);
    zmq_msg_close(&ev);
}

/* Waits until the live socket has a message. Says once per outage when the
 * connection has not been up for SUB_NOTICE_MS, and goes on waiting.
 * Returns 0, -EINTR when a signal ended the wait, -ETIMEDOUT after
 * --timeout seconds without a message (said on stderr), or the -errno of a
 * failed poll. */
static int s_live_wait(struct sub *s)
{
    double timeout = s->o->timeout;
    long until = timeout > 0 ? s_now_ms() + (long)(timeout * 1000) : -1;
    for (;;) {
        long now = s_now_ms(), wait = until < 0 ? -1 : until > now ? until - now : 0;
        bool pending = s->mon && !s->up && !s->noticed;
        if (pending && now >= s->down_ms + SUB_NOTICE_MS) {
            fprintf(stderr, "pressline sub: no daemon is publishing on %s: still waiting\n",
                    s->o->endpoint);
            s->noticed = true;
            pending = false;
        }
        if (pending && (wait < 0 || wait > s->down_ms + SUB_NOTICE_MS - now))
            wait = s->down_ms + SUB_NOTICE_MS - now;
        zmq_pollitem_t it[2] = { { s->live, 0, ZMQ_POLLIN, 0 }, { s->mon, 0, ZMQ_POLLIN, 0 } };
        int pr = zmq_poll(it, s->mon ? 2 : 1, wait);
        if (pr < 0)
            return -zmq_errno();
        if (it[0].revents & ZMQ_POLLIN)
            return 0;
        if (s->mon && (it[1].revents & ZMQ_POLLIN))
            s_monitor_take(s);
        else if (until >= 0 && s_now_ms() >= until) {
            fprintf(stderr, "pressline sub: no message for %g s\n", timeout);
            return -ETIMEDOUT;
        }
    }
}

/* Waits for the next live message and receives its body into *body (the
 * caller closes it). Returns 0, -EAGAIN when a receive failed (try again),
 * or what s_live_wait returns. */
static int s_live_next(struct sub *s, zmq_msg_t *body)
{
    int rc = s_live_wait(s);
    if (rc != 0)
        return rc;
    zmq_msg_t topic;
    zmq_msg_init(&topic);
    zmq_msg_init(body);
    if (zmq_msg_recv(&topic, s->live, 0) < 0 || !zmq_msg_more(&topic) ||
        zmq_msg_recv(body, s->live, 0) < 0) {
        zmq_msg_close(body);
        rc = -EAGAIN;
    }
    zmq_msg_close(&topic);
    /* Skip a malformed tail of more frames. */
    while (rc == 0 && zmq_msg_more(body)) {
        zmq_msg_close(body);
        zmq_msg_init(body);
        zmq_msg_recv(body, s->live, 0);
    }
    return rc;
}

/* With --since: whether a live message of seq is printed. One already
 * printed from the record is not; a gap before it is filled from the record
 * first. Returns 1 to print, 0 not to, or the negative errno of a failed
 * catch-up (message on stderr). */
static int s_live_since(struct sub *s, uint64_t seq)
{
    if (seq && seq <= s->last)
        return 0;
    if (seq > s->last + 1) {
        /* A gap: dropped at our high-water mark, or published before we were
         * subscribed. Fill it from the record. (After a daemon crash seq
         * jumps; the record then has nothing.) */
        int rc = s_catch_up(s);
        if (rc != 0)
            return rc;
        if (s_sub_done(s) || seq <= s->last)
            return 0;
    }
    if (seq)
        s->last = seq;
    return 1;
}

/* Takes one reply to a count of published messages: a MSG of a seq in
 * (*from, upto) adds one to *n. Returns 1 at END (with *from moved past
 * what was seen and *more set), 0 for another reply, -EPROTO for an ERR. */
static int s_count_reply(struct pl_wire_in *in, uint64_t *from, uint64_t upto, uint64_t *n,
                         bool *more)
{
    struct pl_wire_frame f[PL_WIRE_MAX_FRAMES];
    for (size_t i = 0; i < in->n; i++)
        f[i] = pl_wire_in_frame(in, i);
    struct pl_replay_wire_msg m;
    if (in->truncated || pl_replay_wire_decode_reply(f, in->n, &m) != 0)
        return 0;
    if (m.type == PL_REPLAY_WIRE_ERR)
        return -EPROTO;
    if (m.type == PL_REPLAY_WIRE_MSG) {
        uint64_t seq = s_msg_seq(m.json, m.json_len);
        *n += seq > *from && seq < upto;
        return 0;
    }
    *more = m.more && m.seq > *from && m.seq < upto;
    *from = m.seq > *from ? m.seq : *from;
    return 1;
}

/* Counts, from the daemon's record, the messages published with a seq in
 * (from, upto): a jump in seq also covers numbers the daemon reserved but
 * never used (after a restart or a failed write), which are no messages.
 * Returns 0 with *n, or a negative errno when the replay endpoint does not
 * answer in time or refuses (nothing said: the caller says what it knows). */
static int s_count_published(struct sub *s, uint64_t from, uint64_t upto, uint64_t *n)
{
    int rc = s->req ? 0 : s_sub_connect(s, ZMQ_DEALER, s->o->replay, &s->req);
    bool more = true;
    *n = 0;
    while (rc == 0 && more) {
        const struct pl_replay_wire_msg ask = { .type = PL_REPLAY_WIRE_SINCE, .seq = from };
        rc = pl_replay_wire_send(s->req, NULL, 0, &ask, 0);
        for (int end = 0; rc == 0 && !end;) {
            zmq_pollitem_t it = { s->req, 0, ZMQ_POLLIN, 0 };
            int pr = zmq_poll(&it, 1, SUB_COUNT_WAIT_MS);
            rc = pr > 0 ? 0 : pr == 0 ? -ETIMEDOUT : -zmq_errno();
            struct pl_wire_in in;
            if (rc != 0 || pl_wire_recv(s->req, &in, 0) != 0)
                continue;
            end = s_count_reply(&in, &from, upto, n, &more);
            pl_wire_in_close(&in);
            rc = end < 0 ? end : 0;
        }
    }
    if (rc != 0 && s->req) {
        /* Replies to a request given up on must not be read as another's. */
        zmq_close(s->req);
        s->req = NULL;
    }
    return rc;
}

/* Without --since, says what was missed: dropped at this subscriber's
 * high-water mark, or published while it was away. Only messages the
 * daemon's record holds are counted; when it cannot be asked, the jump is
 * said as such, since part of it may be numbers never used. */
static void s_live_note_gap(struct sub *s, uint64_t seq)
{
    uint64_t n = 0;
    if (seq && s->last && seq > s->last + 1) {
        if (s_count_published(s, s->last, seq, &n) != 0)
            fprintf(stderr,
                    "pressline sub: seq jumped from %llu to %llu and the replay endpoint %s "
                    "cannot say what was published between; --since %llu fetches it\n",
                    (unsigned long long)s->last, (unsigned long long)seq, s->o->replay,
                    (unsigned long long)s->last);
        else if (n > 0)
            fprintf(stderr,
                    "pressline sub: missed %llu message%s (between seq %llu and %llu); "
                    "--since %llu fetches them\n",
                    (unsigned long long)n, n == 1 ? "" : "s", (unsigned long long)s->last,
                    (unsigned long long)seq, (unsigned long long)s->last);
    }
    if (seq)
        s->last = seq;
}

/* Prints live messages until --count, --timeout or a signal. Returns 0
 * (count reached, or a signal) or a negative errno (message on stderr,
 * except for a failed poll). */
static int s_live(struct sub *s)
{
    while (!s_sub_done(s)) {
        zmq_msg_t body;
        int rc = s_live_next(s, &body);
        if (rc == -EAGAIN)
            continue;
        if (rc != 0)
            return rc == -EINTR ? 0 : rc;
        uint64_t seq = s_msg_seq(zmq_msg_data(&body), zmq_msg_size(&body));
        int print = 1;
        if (s->o->since >= 0)
            print = s_live_since(s, seq);
        else
            s_live_note_gap(s, seq);
        if (print > 0)
            s_print(s, zmq_msg_data(&body), zmq_msg_size(&body));
        zmq_msg_close(&body);
        if (print < 0)
            return print;
    }
    return 0;
}

static int s_sub(int argc, char **argv)
{
    struct sub_opts o;
    if (s_sub_options(argc, argv, &o) != 0)
        return 2;
    if (o.help)
        return 0;
    struct sub s = { .o = &o,
                     .ctx = zmq_ctx_new(),
                     .last = o.since > 0 ? (uint64_t)o.since : 0,
                     .count = (long)o.count };
    int rc = s_sub_connect(&s, ZMQ_SUB, o.endpoint, &s.live);
    if (rc == 0 && o.since >= 0) {
        /* Live first (buffered meanwhile), then the record: nothing falls
         * between the two. */
        rc = s_catch_up(&s);
    }
    if (rc == 0)
        rc = s_live(&s);
    if (s.req)
        zmq_close(s.req);
    if (s.live)
        zmq_close(s.live);
    if (s.mon)
        zmq_close(s.mon);
    zmq_ctx_term(s.ctx);
    return rc == 0 ? 0 : 1;
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
                                       .server_key = server_key[0] ? server_key : NULL,
                                       /* Started by presslined from its own bin folder:
                                        * the same build, which takes PATCH (wire.h). */
                                       .reply_patch = with_parent != 0 };
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
    pl_memory_policy();
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        s_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("pressline %s\n", PL_VERSION); /* project(VERSION) in CMakeLists.txt */
        return 0;
    }
    if (!strcmp(argv[1], "sub"))
        return s_sub(argc - 1, argv + 1);
    if (!strcmp(argv[1], "process"))
        return s_process(argc - 1, argv + 1);
    if (!strcmp(argv[1], "worker"))
        return s_worker(argc - 1, argv + 1);
    if (!strcmp(argv[1], "eval"))
        return pl_eval_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "status"))
        return pl_status_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "stories"))
        return pl_stories_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "story"))
        return pl_story_main(argc - 1, argv + 1);
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
