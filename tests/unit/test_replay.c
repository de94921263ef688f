/*
 * Replay: the protocol's encoder and decoder (round trip over real sockets,
 * the frames byte for byte, rejection of junk), the seq index rebuilt from
 * outbox/ and failed/, and the endpoint's answers (batches of at most
 * PL_REPLAY_BATCH, then END, whose "more" says whether records remain; an
 * ERR saying why for a request refused; at most PL_REPLAY_QUEUE messages
 * queued for a client that does not read, at most PL_REPLAY_CLIENTS served).
 */
#include "cm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <uv.h>
#include <zmq.h>

#include "harness.h"
#include "replay.h"
#include "replay_wire.h"
#include "wire.h"

/* Receives one message within timeout_ms into in; its frames into f. */
static int s_recv(void *sock, struct pl_wire_in *in, struct pl_wire_frame *f, int timeout_ms)
{
    zmq_pollitem_t it = { sock, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll(&it, 1, timeout_ms) <= 0)
        return -ETIMEDOUT;
    int rc = pl_wire_recv(sock, in, 0);
    for (size_t i = 0; rc == 0 && i < in->n; i++)
        f[i] = pl_wire_in_frame(in, i);
    return rc;
}

static void s_frame_is(const struct pl_wire_frame *f, const char *want)
{
    assert_int_equal(f->len, strlen(want));
    assert_memory_equal(f->data, want, f->len);
}

static void request_and_replies_round_trip_over_inproc_byte_for_byte(void **st)
{
    (void)st;
    void *ctx = zmq_ctx_new();
    void *r = zmq_socket(ctx, ZMQ_ROUTER), *d = zmq_socket(ctx, ZMQ_DEALER);
    assert_int_equal(zmq_bind(r, "inproc://replay-wire-test"), 0);
    assert_int_equal(zmq_connect(d, "inproc://replay-wire-test"), 0);
    struct pl_wire_in in;
    struct pl_wire_frame f[PL_WIRE_MAX_FRAMES];
    struct pl_replay_wire_msg m;

    const struct pl_replay_wire_msg since = { .type = PL_REPLAY_WIRE_SINCE, .seq = 42 };
    assert_int_equal(pl_replay_wire_send(d, NULL, 0, &since, 0), 0);
    assert_int_equal(s_recv(r, &in, f, 5000), 0);
    assert_int_equal(in.n, 3); /* identity, then the request */
    s_frame_is(&f[1], "SINCE");
    s_frame_is(&f[2], "42");
    assert_int_equal(pl_replay_wire_decode_request(f + 1, 2, &m, NULL), 0);
    assert_int_equal(m.type, PL_REPLAY_WIRE_SINCE);
    assert_true(m.seq == 42);
    char ident[256];
    size_t ilen = f[0].len;
    memcpy(ident, f[0].data, ilen);
    pl_wire_in_close(&in);

    const char *json = "{\"seq\":43,\"id\":\"x\"}";
    const struct pl_replay_wire_msg msg = {
        .type = PL_REPLAY_WIRE_MSG, .topic = "error", .topic_len = 5, .json = json, .json_len = 19
    };
    assert_int_equal(pl_replay_wire_send(r, ident, ilen, &msg, ZMQ_DONTWAIT), 0);
    const struct pl_replay_wire_msg end = { .type = PL_REPLAY_WIRE_END,
                                            .seq = UINT64_MAX,
                                            .more = 1 };
    assert_int_equal(pl_replay_wire_send(r, ident, ilen, &end, ZMQ_DONTWAIT), 0);

    assert_int_equal(s_recv(d, &in, f, 5000), 0);
    assert_int_equal(in.n, 3);
    s_frame_is(&f[0], "MSG");
    s_frame_is(&f[1], "error");
    s_frame_is(&f[2], json);
    assert_int_equal(pl_replay_wire_decode_reply(f, in.n, &m), 0);
    assert_int_equal(m.type, PL_REPLAY_WIRE_MSG);
    assert_int_equal(m.topic_len, 5);
    assert_memory_equal(m.topic, "error", 5);
    assert_int_equal(m.json_len, 19);
    assert_memory_equal(m.json, json, 19);
    pl_wire_in_close(&in);

    assert_int_equal(s_recv(d, &in, f, 5000), 0);
    assert_int_equal(in.n, 3);
    s_frame_is(&f[0], "END");
    s_frame_is(&f[1], "18446744073709551615");
    s_frame_is(&f[2], "1");
    assert_int_equal(pl_replay_wire_decode_reply(f, in.n, &m), 0);
    assert_int_equal(m.type, PL_REPLAY_WIRE_END);
    assert_true(m.seq == UINT64_MAX);
    assert_int_equal(m.more, 1);
    pl_wire_in_close(&in);

    zmq_close(r);
    zmq_close(d);
    zmq_ctx_term(ctx);
}

static void decoder_rejects_wrong_frame_counts_verbs_and_directions(void **st)
{
    (void)st;
    struct pl_replay_wire_msg m;
    struct pl_wire_frame since[] = { { "SINCE", 5 }, { "7", 1 }, { "x", 1 } };
    assert_int_equal(pl_replay_wire_decode_request(since, 2, &m, NULL), 0);
    assert_true(m.seq == 7);
    assert_int_equal(pl_replay_wire_decode_request(since, 3, &m, NULL), -EPROTO);
    assert_int_equal(m.type, 0); /* zeroed on failure */
    assert_int_equal(pl_replay_wire_decode_request(since, 1, &m, NULL), -EPROTO);
    assert_int_equal(pl_replay_wire_decode_request(since, 0, &m, NULL), -EPROTO);
    /* A request is not a reply, and a reply not a request. */
    assert_int_equal(pl_replay_wire_decode_reply(since, 2, &m), -EPROTO);
    struct pl_wire_frame msg[] = { { "MSG", 3 }, { "article", 7 }, { "{}", 2 }, { "", 0 } };
    assert_int_equal(pl_replay_wire_decode_reply(msg, 3, &m), 0);
    assert_int_equal(pl_replay_wire_decode_request(msg, 3, &m, NULL), -EPROTO);
    assert_int_equal(pl_replay_wire_decode_reply(msg, 2, &m), -EPROTO);
    assert_int_equal(pl_replay_wire_decode_reply(msg, 4, &m), -EPROTO);
    struct pl_wire_frame no_topic[] = { { "MSG", 3 }, { "", 0 }, { "{}", 2 } };
    assert_int_equal(pl_replay_wire_decode_reply(no_topic, 3, &m), -EPROTO);
    struct pl_wire_frame end[] = { { "END", 3 }, { "9", 1 }, { "0", 1 }, { "0", 1 } };
    assert_int_equal(pl_replay_wire_decode_reply(end, 3, &m), 0);
    assert_int_equal(m.more, 0);
    assert_int_equal(pl_replay_wire_decode_reply(end, 2, &m), -EPROTO);
    assert_int_equal(pl_replay_wire_decode_reply(end, 4, &m), -EPROTO);
    struct pl_wire_frame bad_more[][3] = {
        { { "END", 3 }, { "9", 1 }, { "2", 1 } },
        { { "END", 3 }, { "9", 1 }, { "", 0 } },
        { { "END", 3 }, { "9", 1 }, { "10", 2 } },
    };
    for (size_t i = 0; i < sizeof(bad_more) / sizeof(bad_more[0]); i++)
        assert_int_equal(pl_replay_wire_decode_reply(bad_more[i], 3, &m), -EPROTO);
    struct pl_wire_frame verbs[][2] = {
        { { "since", 5 }, { "1", 1 } },
        { { "SINCE ", 6 }, { "1", 1 } },
        { { "SINC", 4 }, { "1", 1 } },
        { { "", 0 }, { "1", 1 } },
    };
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        assert_int_equal(pl_replay_wire_decode_request(verbs[i], 2, &m, NULL), -EPROTO);
}

static void decoder_rejects_non_numeric_negative_and_overflowing_seqs(void **st)
{
    (void)st;
    struct pl_replay_wire_msg m;
    static const struct {
        const char *s;
        size_t len;
    } bad[] = {
        { "", 0 },
        { "abc", 3 },
        { "4a", 2 },
        { "0x10", 4 },
        { " 5", 2 },
        { "5 ", 2 },
        { "+5", 2 },
        { "-1", 2 },
        { "-0", 2 },
        { "1.5", 3 },
        { "5\0", 2 },
        { "\0"
          "5",
          2 },
        { "18446744073709551616", 20 },
        { "99999999999999999999", 20 },
        { "000000000000000000001", 21 },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct pl_wire_frame req[] = { { "SINCE", 5 }, { bad[i].s, bad[i].len } };
        assert_int_equal(pl_replay_wire_decode_request(req, 2, &m, NULL), -EPROTO);
        struct pl_wire_frame end[] = { { "END", 3 }, { bad[i].s, bad[i].len }, { "1", 1 } };
        assert_int_equal(pl_replay_wire_decode_reply(end, 3, &m), -EPROTO);
    }
    struct pl_wire_frame max[] = { { "SINCE", 5 }, { "18446744073709551615", 20 } };
    assert_int_equal(pl_replay_wire_decode_request(max, 2, &m, NULL), 0);
    assert_true(m.seq == UINT64_MAX);
    struct pl_wire_frame zeros[] = { { "SINCE", 5 }, { "007", 3 } };
    assert_int_equal(pl_replay_wire_decode_request(zeros, 2, &m, NULL), 0);
    assert_true(m.seq == 7);
}

static void encoder_refuses_what_the_decoder_would_reject(void **st)
{
    (void)st;
    struct pl_replay_wire_frames out;
    const struct pl_replay_wire_msg unknown = { .type = 9 };
    assert_int_equal(pl_replay_wire_encode(&unknown, &out), -EINVAL);
    const struct pl_replay_wire_msg no_topic = { .type = PL_REPLAY_WIRE_MSG,
                                                 .json = "{}",
                                                 .json_len = 2 };
    assert_int_equal(pl_replay_wire_encode(&no_topic, &out), -EINVAL);
    const struct pl_replay_wire_msg more2 = { .type = PL_REPLAY_WIRE_END, .seq = 1, .more = 2 };
    assert_int_equal(pl_replay_wire_encode(&more2, &out), -EINVAL);
    const struct pl_replay_wire_msg end = { .type = PL_REPLAY_WIRE_END, .seq = 0, .more = 0 };
    assert_int_equal(pl_replay_wire_encode(&end, &out), 0);
    assert_int_equal(out.n, 3);
    s_frame_is(&out.f[1], "0");
    s_frame_is(&out.f[2], "0");
}

static void err_round_trips_and_the_decoder_says_why_a_request_is_refused(void **st)
{
    (void)st;
    struct pl_replay_wire_frames out;
    struct pl_replay_wire_msg m;
    const struct pl_replay_wire_msg err = { .type = PL_REPLAY_WIRE_ERR,
                                            .reason = "no such thing",
                                            .reason_len = 13 };
    assert_int_equal(pl_replay_wire_encode(&err, &out), 0);
    assert_int_equal(out.n, 2);
    s_frame_is(&out.f[0], "ERR");
    s_frame_is(&out.f[1], "no such thing");
    assert_int_equal(pl_replay_wire_decode_reply(out.f, out.n, &m), 0);
    assert_int_equal(m.type, PL_REPLAY_WIRE_ERR);
    assert_int_equal(m.reason_len, 13);
    assert_memory_equal(m.reason, "no such thing", 13);
    /* An ERR is a reply, not a request; it has exactly one reason, never
     * empty nor longer than PL_REPLAY_WIRE_REASON_MAX. */
    const char *why = NULL;
    assert_int_equal(pl_replay_wire_decode_request(out.f, out.n, &m, &why), -EPROTO);
    assert_non_null(strstr(why, "not SINCE"));
    static char long_reason[PL_REPLAY_WIRE_REASON_MAX + 1];
    memset(long_reason, 'x', sizeof(long_reason));
    struct pl_wire_frame bad[][3] = {
        { { "ERR", 3 }, { "", 0 } },
        { { "ERR", 3 }, { long_reason, sizeof(long_reason) } },
        { { "ERR", 3 }, { "a", 1 }, { "b", 1 } },
    };
    assert_int_equal(pl_replay_wire_decode_reply(bad[0], 2, &m), -EPROTO);
    assert_int_equal(pl_replay_wire_decode_reply(bad[1], 2, &m), -EPROTO);
    assert_int_equal(pl_replay_wire_decode_reply(bad[2], 3, &m), -EPROTO);
    assert_int_equal(pl_replay_wire_decode_reply(bad[2], 1, &m), -EPROTO);
    const struct pl_replay_wire_msg empty = { .type = PL_REPLAY_WIRE_ERR };
    assert_int_equal(pl_replay_wire_encode(&empty, &out), -EINVAL);
    const struct pl_replay_wire_msg too_long = { .type = PL_REPLAY_WIRE_ERR,
                                                 .reason = long_reason,
                                                 .reason_len = sizeof(long_reason) };
    assert_int_equal(pl_replay_wire_encode(&too_long, &out), -EINVAL);

    /* Each way a request goes wrong has its own reason. */
    static const struct {
        struct pl_wire_frame f[3];
        size_t n;
        const char *says;
    } cases[] = {
        { { { "", 0 } }, 0, "no frame" },
        { { { "", 0 } }, 1, "not SINCE" },
        { { { "HELLO", 5 } }, 1, "not SINCE" },
        { { { "SINCE", 5 } }, 1, "exactly one frame" },
        { { { "SINCE", 5 }, { "1", 1 }, { "2", 1 } }, 3, "exactly one frame" },
        { { { "SINCE", 5 }, { "abc", 3 } }, 2, "not a decimal number" },
        { { { "SINCE", 5 }, { "-5", 2 } }, 2, "not a decimal number" },
        { { { "SINCE", 5 }, { "18446744073709551616", 20 } }, 2, "64 bits" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        why = NULL;
        assert_int_equal(pl_replay_wire_decode_request(cases[i].f, cases[i].n, &m, &why), -EPROTO);
        assert_non_null(why);
        assert_non_null(strstr(why, cases[i].says));
        assert_true(strlen(why) <= PL_REPLAY_WIRE_REASON_MAX);
    }
}

/* A temp outbox/ and failed/, and the replay endpoint on a loop of its own
 * with a DEALER to it. */
struct fx {
    char *dir, *outbox, *failed;
    uv_loop_t loop;
    void *ctx, *dealer;
    struct pl_replay r;
};

static int s_setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->dir = th_tempdir();
    f->outbox = th_path("%s/outbox", f->dir);
    f->failed = th_path("%s/failed", f->dir);
    assert_int_equal(mkdir(f->outbox, 0700), 0);
    assert_int_equal(mkdir(f->failed, 0700), 0);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->ctx = zmq_ctx_new();
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    struct fx *f = *state;
    pl_replay_close(&f->r);
    uv_run(&f->loop, UV_RUN_DEFAULT); /* let the closed handles go */
    assert_int_equal(uv_loop_close(&f->loop), 0);
    if (f->dealer)
        zmq_close(f->dealer);
    zmq_ctx_term(f->ctx);
    th_rmrf(f->dir);
    free(f->dir);
    free(f->outbox);
    free(f->failed);
    free(f);
    return 0;
}

/* Writes the record of seq: outbox/a<seq>.json, or failed/e<seq>.error.json
 * for an error, with the newline the daemon ends them with. Returns its path
 * (caller frees). */
static char *s_record(struct fx *f, uint64_t seq, int is_error)
{
    char *path = is_error ? th_path("%s/e%" PRIu64 ".error.json", f->failed, seq)
                          : th_path("%s/a%" PRIu64 ".json", f->outbox, seq);
    char *json = th_path("{\"seq\":%" PRIu64 ",\"id\":\"r%" PRIu64 "\"}\n", seq, seq);
    assert_int_equal(th_write_file(path, json, strlen(json)), 0);
    free(json);
    return path;
}

/* Records 1..n (every tenth an error), indexed, and the endpoint started. */
static void s_serve_records(struct fx *f, uint64_t n)
{
    for (uint64_t seq = 1; seq <= n; seq++)
        free(s_record(f, seq, seq % 10 == 0));
    assert_int_equal(pl_replay_load(&f->r, f->outbox, f->failed), 0);
    assert_int_equal(f->r.n, n);
    char err[256];
    assert_int_equal(
        pl_replay_start(&f->r, &f->loop, f->ctx, "inproc://replay-test", "", err, sizeof(err)), 0);
    f->dealer = zmq_socket(f->ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(f->dealer, ZMQ_LINGER, &zero, sizeof(zero));
    assert_int_equal(zmq_connect(f->dealer, "inproc://replay-test"), 0);
}

/* What one answer held. */
struct answer {
    size_t msgs, errors;
    uint64_t first, last; /* the seqs in the first and last MSG's json */
    uint64_t end_seq;
    int more;
};

/* Waits up to timeout_ms, running the endpoint's loop, for the next reply.
 * Returns 0 with *m decoded (its frames held in in), or -ETIMEDOUT. */
static int s_reply(struct fx *f, struct pl_wire_in *in, struct pl_replay_wire_msg *m,
                   int timeout_ms)
{
    uint64_t until = th_now_ms() + (uint64_t)timeout_ms;
    struct pl_wire_frame fr[PL_WIRE_MAX_FRAMES];
    while (th_now_ms() < until) {
        uv_run(&f->loop, UV_RUN_NOWAIT);
        if (s_recv(f->dealer, in, fr, 10) != 0)
            continue;
        assert_int_equal(pl_replay_wire_decode_reply(fr, in->n, m), 0);
        return 0;
    }
    return -ETIMEDOUT;
}

/* Collects an answer up to END, running the endpoint's loop meanwhile. */
static struct answer s_collect(struct fx *f)
{
    struct answer a = { 0 };
    for (;;) {
        struct pl_wire_in in;
        struct pl_replay_wire_msg m;
        assert_int_equal(s_reply(f, &in, &m, 5000), 0);
        if (m.type == PL_REPLAY_WIRE_END) {
            a.end_seq = m.seq;
            a.more = m.more;
            pl_wire_in_close(&in);
            return a;
        }
        char json[128];
        assert_true(m.json_len < sizeof(json));
        memcpy(json, m.json, m.json_len);
        json[m.json_len] = '\0';
        uint64_t seq = 0;
        assert_int_equal(sscanf(json, "{\"seq\":%" SCNu64 ",", &seq), 1);
        /* The record's text without the newline people get in the file. */
        char *want = th_path("{\"seq\":%" PRIu64 ",\"id\":\"r%" PRIu64 "\"}", seq, seq);
        assert_string_equal(json, want);
        free(want);
        const char *topic = seq % 10 == 0 ? "error" : "article";
        assert_int_equal(m.topic_len, strlen(topic));
        assert_memory_equal(m.topic, topic, m.topic_len);
        if (a.msgs == 0)
            a.first = seq;
        else
            assert_true(seq > a.last); /* in order */
        a.last = seq;
        a.msgs++;
        a.errors += seq % 10 == 0;
        pl_wire_in_close(&in);
    }
}

/* Asks for what follows since and collects the answer up to END. */
static struct answer s_ask(struct fx *f, uint64_t since)
{
    const struct pl_replay_wire_msg ask = { .type = PL_REPLAY_WIRE_SINCE, .seq = since };
    assert_int_equal(pl_replay_wire_send(f->dealer, NULL, 0, &ask, 0), 0);
    return s_collect(f);
}

static void index_is_rebuilt_from_outbox_and_failed_in_seq_order(void **state)
{
    struct fx *f = *state;
    free(s_record(f, 3, 0));
    free(s_record(f, 1, 0));
    free(s_record(f, 2, 1));
    /* Left out: no seq, not JSON, a hidden file, another suffix. */
    char *p[] = { th_path("%s/noseq.json", f->outbox), th_path("%s/junk.json", f->outbox),
                  th_path("%s/.hidden.json", f->outbox), th_path("%s/x.txt", f->failed),
                  th_path("%s/y.json", f->failed) };
    const char *text[] = { "{\"id\":\"n\"}", "not json", "{\"seq\":7}", "{\"seq\":8}",
                           "{\"seq\":9}" };
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(th_write_file(p[i], text[i], strlen(text[i])), 0);
        free(p[i]);
    }
    assert_int_equal(pl_replay_load(&f->r, f->outbox, f->failed), 0);
    assert_int_equal(f->r.n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_true(f->r.v[i].seq == i + 1);
    assert_int_equal(f->r.v[0].is_error, 0);
    assert_int_equal(f->r.v[1].is_error, 1);
    assert_int_equal(f->r.v[2].is_error, 0);
    char *want = th_path("%s/e2.error.json", f->failed);
    assert_string_equal(f->r.v[1].path, want);
    free(want);
    assert_int_equal(pl_replay_add(&f->r, 4, 0, "/nowhere/a4.json"), 0);
    assert_int_equal(f->r.n, 4);
    assert_string_equal(f->r.v[3].path, "/nowhere/a4.json");
}

static void index_of_a_missing_folder_says_enoent(void **state)
{
    struct fx *f = *state;
    char *gone = th_path("%s/gone", f->dir);
    assert_int_equal(pl_replay_load(&f->r, gone, f->failed), -ENOENT);
    pl_replay_close(&f->r);
    assert_int_equal(pl_replay_load(&f->r, f->outbox, gone), -ENOENT);
    free(gone);
}

static void start_without_endpoint_serves_nothing_and_a_bad_one_says_why(void **state)
{
    struct fx *f = *state;
    char err[256] = "";
    assert_int_equal(pl_replay_load(&f->r, f->outbox, f->failed), 0);
    assert_int_equal(pl_replay_start(&f->r, &f->loop, f->ctx, "", "", err, sizeof(err)), 0);
    assert_null(f->r.sock);
    int rc = pl_replay_start(&f->r, &f->loop, f->ctx, "nonsense://x", "", err, sizeof(err));
    assert_true(rc < 0 && rc != -1);
    assert_non_null(strstr(err, "cannot bind the replay endpoint nonsense://x"));
    assert_null(f->r.sock);
}

static void a_request_is_answered_in_batches_of_at_most_1000_then_end(void **state)
{
    struct fx *f = *state;
    s_serve_records(f, 2500);
    struct answer a = s_ask(f, 0);
    assert_int_equal(a.msgs, PL_REPLAY_BATCH);
    assert_true(a.first == 1 && a.last == 1000 && a.end_seq == 1000);
    assert_int_equal(a.errors, 100);
    assert_int_equal(a.more, 1);
    a = s_ask(f, a.end_seq);
    assert_int_equal(a.msgs, PL_REPLAY_BATCH);
    assert_true(a.first == 1001 && a.last == 2000 && a.end_seq == 2000);
    assert_int_equal(a.more, 1);
    a = s_ask(f, a.end_seq);
    assert_int_equal(a.msgs, 500);
    assert_true(a.first == 2001 && a.last == 2500 && a.end_seq == 2500);
    assert_int_equal(a.more, 0);
    /* From the middle: what follows the seq asked for. */
    a = s_ask(f, 1234);
    assert_int_equal(a.msgs, PL_REPLAY_BATCH);
    assert_true(a.first == 1235 && a.end_seq == 2234 && a.more == 1);
}

static void more_is_set_exactly_when_records_remain(void **state)
{
    struct fx *f = *state;
    s_serve_records(f, PL_REPLAY_BATCH);
    struct answer a = s_ask(f, 0);
    assert_int_equal(a.msgs, PL_REPLAY_BATCH);
    assert_int_equal(a.more, 0); /* exactly one batch: nothing remains */
    char *p = s_record(f, PL_REPLAY_BATCH + 1, 0);
    assert_int_equal(pl_replay_add(&f->r, PL_REPLAY_BATCH + 1, 0, p), 0);
    free(p);
    a = s_ask(f, 0);
    assert_int_equal(a.msgs, PL_REPLAY_BATCH);
    assert_int_equal(a.more, 1);
    a = s_ask(f, a.end_seq);
    assert_int_equal(a.msgs, 1);
    assert_true(a.end_seq == PL_REPLAY_BATCH + 1);
    assert_int_equal(a.more, 0);
    /* Nothing after: END echoes the seq asked for. */
    a = s_ask(f, PL_REPLAY_BATCH + 1);
    assert_int_equal(a.msgs, 0);
    assert_true(a.end_seq == PL_REPLAY_BATCH + 1 && a.more == 0);
    a = s_ask(f, 5000);
    assert_int_equal(a.msgs, 0);
    assert_true(a.end_seq == 5000 && a.more == 0);
}

static void a_record_written_again_with_another_seq_is_skipped(void **state)
{
    struct fx *f = *state;
    s_serve_records(f, 3);
    /* Seq 2's file now holds seq 4 (processed again after a crash). */
    char *p = th_path("%s/a2.json", f->outbox);
    const char *again = "{\"seq\":4,\"id\":\"r4\"}\n";
    assert_int_equal(th_write_file(p, again, strlen(again)), 0);
    assert_int_equal(pl_replay_add(&f->r, 4, 0, p), 0);
    free(p);
    struct answer a = s_ask(f, 0);
    assert_int_equal(a.msgs, 3); /* 1, 3 and 4 */
    assert_true(a.first == 1 && a.last == 4 && a.end_seq == 4 && a.more == 0);
}

/* Sends the n frames of f from the fixture's DEALER as one message. */
static void s_send_frames(struct fx *f, const struct pl_wire_frame *fr, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_true(zmq_send(f->dealer, fr[i].data, fr[i].len, i + 1 < n ? ZMQ_SNDMORE : 0) >= 0);
}

/* Waits for the next reply and checks it is an ERR whose reason holds
 * says. */
static void s_expect_err(struct fx *f, const char *says)
{
    struct pl_wire_in in;
    struct pl_replay_wire_msg m;
    assert_int_equal(s_reply(f, &in, &m, 5000), 0);
    assert_int_equal(m.type, PL_REPLAY_WIRE_ERR);
    char reason[PL_REPLAY_WIRE_REASON_MAX + 1];
    memcpy(reason, m.reason, m.reason_len);
    reason[m.reason_len] = '\0';
    assert_non_null(strstr(reason, says));
    pl_wire_in_close(&in);
}

static void a_malformed_request_gets_an_err_saying_why_and_the_next_is_served(void **state)
{
    struct fx *f = *state;
    s_serve_records(f, 5);
    const struct pl_wire_frame abc[] = { { "SINCE", 5 }, { "abc", 3 } };
    s_send_frames(f, abc, 2);
    s_expect_err(f, "not a decimal number");
    const struct pl_wire_frame empty[] = { { "", 0 } };
    s_send_frames(f, empty, 1);
    s_expect_err(f, "not SINCE");
    const struct pl_wire_frame hello[] = { { "HELLO", 5 } };
    s_send_frames(f, hello, 1);
    s_expect_err(f, "not SINCE");
    const struct pl_wire_frame negative[] = { { "SINCE", 5 }, { "-5", 2 } };
    s_send_frames(f, negative, 2);
    s_expect_err(f, "not a decimal number");
    const struct pl_wire_frame extra[] = { { "SINCE", 5 }, { "1", 1 }, { "extra", 5 } };
    s_send_frames(f, extra, 3);
    s_expect_err(f, "exactly one frame");
    /* More frames than a message can have: the rest were never read. */
    struct pl_wire_frame many[PL_WIRE_MAX_FRAMES + 2];
    many[0] = (struct pl_wire_frame){ "SINCE", 5 };
    for (size_t i = 1; i < sizeof(many) / sizeof(many[0]); i++)
        many[i] = (struct pl_wire_frame){ "1", 1 };
    s_send_frames(f, many, sizeof(many) / sizeof(many[0]));
    s_expect_err(f, "too many frames");
    struct answer a = s_ask(f, 2);
    assert_int_equal(a.msgs, 3);
    assert_true(a.first == 3 && a.end_seq == 5 && a.more == 0);
    struct pl_wire_in in;
    struct pl_replay_wire_msg m;
    assert_int_equal(s_reply(f, &in, &m, 200), -ETIMEDOUT);
}

/* Runs the endpoint's loop for ms without reading anything. */
static void s_run_for(struct fx *f, int ms)
{
    uint64_t until = th_now_ms() + (uint64_t)ms;
    while (th_now_ms() < until) {
        uv_run(&f->loop, UV_RUN_NOWAIT);
        struct timespec ts = { 0, 2 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

/* How many messages are waiting at sock, taken without running the loop. */
static size_t s_count_waiting(void *sock)
{
    size_t n = 0;
    struct pl_wire_in in;
    while (pl_wire_recv(sock, &in, ZMQ_DONTWAIT) == 0) {
        n++;
        pl_wire_in_close(&in);
    }
    return n;
}

static void
a_client_that_does_not_read_has_at_most_the_queue_and_resumes_where_it_stopped(void **state)
{
    struct fx *f = *state;
    s_serve_records(f, 2500);
    /* inproc's queue is the sender's HWM plus the receiver's: a receiver
     * that takes 10 leaves the rest to the daemon's cap. */
    zmq_close(f->dealer);
    f->dealer = zmq_socket(f->ctx, ZMQ_DEALER);
    int zero = 0, ten = 10;
    zmq_setsockopt(f->dealer, ZMQ_LINGER, &zero, sizeof(zero));
    zmq_setsockopt(f->dealer, ZMQ_RCVHWM, &ten, sizeof(ten));
    assert_int_equal(zmq_connect(f->dealer, "inproc://replay-test"), 0);
    const struct pl_replay_wire_msg ask = { .type = PL_REPLAY_WIRE_SINCE, .seq = 0 };
    assert_int_equal(pl_replay_wire_send(f->dealer, NULL, 0, &ask, 0), 0);
    s_run_for(f, 300);
    size_t waiting = s_count_waiting(f->dealer);
    assert_true(waiting > 0);
    assert_true(waiting <= PL_REPLAY_QUEUE + 10 + 1);
    assert_int_equal(f->r.nclients, 1);
    /* Reading, the client gets the rest of the batch in order, then END. */
    struct answer a = s_collect(f);
    assert_int_equal(a.msgs + waiting, PL_REPLAY_BATCH);
    assert_true(a.last == PL_REPLAY_BATCH && a.end_seq == PL_REPLAY_BATCH && a.more == 1);
    assert_int_equal(f->r.nclients, 0);
}

static void one_client_more_than_the_cap_is_told_it_is_busy(void **state)
{
    struct fx *f = *state;
    s_serve_records(f, 2 * PL_REPLAY_QUEUE + 20);
    /* PL_REPLAY_CLIENTS clients that take at most one message each and do
     * not read: each keeps its batch in progress. */
    void *c[PL_REPLAY_CLIENTS];
    int zero = 0, one = 1;
    const struct pl_replay_wire_msg ask = { .type = PL_REPLAY_WIRE_SINCE, .seq = 0 };
    for (size_t i = 0; i < PL_REPLAY_CLIENTS; i++) {
        c[i] = zmq_socket(f->ctx, ZMQ_DEALER);
        zmq_setsockopt(c[i], ZMQ_LINGER, &zero, sizeof(zero));
        zmq_setsockopt(c[i], ZMQ_RCVHWM, &one, sizeof(one));
        assert_int_equal(zmq_connect(c[i], "inproc://replay-test"), 0);
        assert_int_equal(pl_replay_wire_send(c[i], NULL, 0, &ask, 0), 0);
    }
    s_run_for(f, 300);
    assert_int_equal(f->r.nclients, PL_REPLAY_CLIENTS);
    assert_int_equal(pl_replay_wire_send(f->dealer, NULL, 0, &ask, 0), 0);
    s_expect_err(f, "busy");
    /* One that gives up makes room: the next is served in full. */
    zmq_close(c[0]);
    s_run_for(f, 100);
    assert_int_equal(f->r.nclients, PL_REPLAY_CLIENTS - 1);
    struct answer a = s_ask(f, PL_REPLAY_QUEUE);
    assert_int_equal(a.msgs, PL_REPLAY_QUEUE + 20);
    assert_true(a.end_seq == 2 * PL_REPLAY_QUEUE + 20 && a.more == 0);
    for (size_t i = 1; i < PL_REPLAY_CLIENTS; i++)
        zmq_close(c[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_and_replies_round_trip_over_inproc_byte_for_byte),
        cmocka_unit_test(decoder_rejects_wrong_frame_counts_verbs_and_directions),
        cmocka_unit_test(decoder_rejects_non_numeric_negative_and_overflowing_seqs),
        cmocka_unit_test(encoder_refuses_what_the_decoder_would_reject),
        cmocka_unit_test(err_round_trips_and_the_decoder_says_why_a_request_is_refused),
        cmocka_unit_test_setup_teardown(index_is_rebuilt_from_outbox_and_failed_in_seq_order,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(index_of_a_missing_folder_says_enoent, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(
            start_without_endpoint_serves_nothing_and_a_bad_one_says_why, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(a_request_is_answered_in_batches_of_at_most_1000_then_end,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(more_is_set_exactly_when_records_remain, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(a_record_written_again_with_another_seq_is_skipped, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(
            a_malformed_request_gets_an_err_saying_why_and_the_next_is_served, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(
            a_client_that_does_not_read_has_at_most_the_queue_and_resumes_where_it_stopped, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown(one_client_more_than_the_cap_is_told_it_is_busy, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
