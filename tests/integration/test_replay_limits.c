/*
 * The replay endpoint and pressline sub under conditions a real deployment
 * meets (issue 12, points 5 and 8): requests that do not follow the
 * protocol, clients that ask for everything and never read, and a
 * subscriber started with no daemon. The real presslined and the real
 * pressline on temp folders and free ports; every wait is bounded.
 */
#include "cm.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "replay_fixture.h"
#include "replay_wire.h"
#include "wire.h"

/* Records written into outbox/ before the daemon starts, and their size. */
#define RECORDS 3000
#define RECORD_BYTES 8192
#define CLIENTS 20
/* The most MSGs in one answer (replay.h's BATCH). */
#define BATCH 1000

static void s_sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* The daemon's resident set in kB (VmRSS), or -1. */
static long s_rss_kb(pid_t pid)
{
    char *path = th_path("/proc/%d/status", (int)pid);
    char *text = th_read_file(path, NULL);
    free(path);
    const char *at = text ? strstr(text, "VmRSS:") : NULL;
    long kb = -1;
    if (at)
        kb = strtol(at + 6, NULL, 10);
    free(text);
    return kb;
}

/* Writes n records of about RECORD_BYTES each into dir/outbox, as the
 * daemon would have published them (seq 1..n). */
static void s_write_records(const char *dir, int n)
{
    char *filler = malloc(RECORD_BYTES);
    memset(filler, 'w', RECORD_BYTES);
    filler[RECORD_BYTES - 1] = '\0';
    for (int seq = 1; seq <= n; seq++) {
        char *path = th_path("%s/outbox/r%d.json", dir, seq);
        char *json = th_path("{\"seq\":%d,\"id\":\"r%d\",\"text\":\"%s\"}\n", seq, seq, filler);
        assert_int_equal(th_write_file(path, json, strlen(json)), 0);
        free(json);
        free(path);
    }
    free(filler);
}

/* A temp folder with outbox/ and failed/, and the daemon started on it. */
static void s_daemon(struct th_daemon *d, char **dir, int records)
{
    *dir = th_tempdir();
    assert_non_null(*dir);
    char *outbox = th_path("%s/outbox", *dir), *failed = th_path("%s/failed", *dir);
    assert_int_equal(mkdir(outbox, 0700), 0);
    assert_int_equal(mkdir(failed, 0700), 0);
    free(outbox);
    free(failed);
    s_write_records(*dir, records);
    /* Up once the replay endpoint answers. */
    struct th_sub sub;
    assert_int_equal(th_daemon_start_live(d, &sub, *dir, "", 15000), 0);
    th_sub_close(&sub);
}

/* Stops the daemon, which must exit 0 (with its batches in progress
 * freed, as a leak check under the sanitizers sees), and removes dir. */
static void s_daemon_done(struct th_daemon *d, char *dir)
{
    int status = th_daemon_stop(d, SIGTERM, 10000);
    if (status != 0) {
        char *log = th_read_file(d->log, NULL);
        fail_msg("daemon exited %d:\n%s", status, log ? log : "(no log)");
    }
    th_daemon_free(d);
    th_rmrf(dir);
    free(dir);
}

/* A DEALER to endpoint that queues at most rcvhwm messages and a small
 * kernel buffer: a client that does not read holds back what it is sent. */
static void *s_dealer(void *ctx, const char *endpoint, int rcvhwm)
{
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0, buf = 4096;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof(zero));
    zmq_setsockopt(d, ZMQ_RCVHWM, &rcvhwm, sizeof(rcvhwm));
    zmq_setsockopt(d, ZMQ_RCVBUF, &buf, sizeof(buf));
    assert_int_equal(zmq_connect(d, endpoint), 0);
    return d;
}

/* Sends the n frames of f as one message. */
static void s_send_frames(void *sock, const struct pl_wire_frame *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_true(zmq_send(sock, f[i].data, f[i].len, i + 1 < n ? ZMQ_SNDMORE : 0) >= 0);
}

static void s_expect_err(void *sock, const char *says)
{
    struct pl_wire_in in;
    struct pl_replay_wire_msg m;
    if (rf_reply(sock, &in, &m, 5000) != 0)
        fail_msg("no answer to a malformed request (expected an ERR saying \"%s\")", says);
    assert_int_equal(m.type, PL_REPLAY_WIRE_ERR);
    char reason[PL_REPLAY_WIRE_REASON_MAX + 1];
    memcpy(reason, m.reason, m.reason_len);
    reason[m.reason_len] = '\0';
    if (!strstr(reason, says))
        fail_msg("ERR says \"%s\", not \"%s\"", reason, says);
    pl_wire_in_close(&in);
}

static void malformed_requests_get_an_err_frame_from_the_daemon(void **st)
{
    (void)st;
    struct th_daemon d;
    char *dir;
    s_daemon(&d, &dir, 3);
    void *ctx = zmq_ctx_new();
    void *c = s_dealer(ctx, d.replay, 1000);
    const struct pl_wire_frame abc[] = { { "SINCE", 5 }, { "abc", 3 } };
    s_send_frames(c, abc, 2);
    s_expect_err(c, "not a decimal number");
    const struct pl_wire_frame empty[] = { { "", 0 } };
    s_send_frames(c, empty, 1);
    s_expect_err(c, "not SINCE");
    const struct pl_wire_frame negative[] = { { "SINCE", 5 }, { "-5", 2 } };
    s_send_frames(c, negative, 2);
    s_expect_err(c, "not a decimal number");
    struct pl_wire_frame many[PL_WIRE_MAX_FRAMES + 4];
    many[0] = (struct pl_wire_frame){ "SINCE", 5 };
    for (size_t i = 1; i < sizeof(many) / sizeof(many[0]); i++)
        many[i] = (struct pl_wire_frame){ "0", 1 };
    s_send_frames(c, many, sizeof(many) / sizeof(many[0]));
    s_expect_err(c, "too many frames");
    /* The same client is served next. */
    const struct pl_wire_frame since[] = { { "SINCE", 5 }, { "1", 1 } };
    s_send_frames(c, since, 2);
    int msgs = 0;
    for (;;) {
        struct pl_wire_in in;
        struct pl_replay_wire_msg m;
        assert_int_equal(rf_reply(c, &in, &m, 5000), 0);
        int type = m.type;
        uint64_t seq = m.seq;
        pl_wire_in_close(&in);
        if (type == PL_REPLAY_WIRE_END) {
            assert_true(seq == 3);
            break;
        }
        assert_int_equal(type, PL_REPLAY_WIRE_MSG);
        msgs++;
    }
    assert_int_equal(msgs, 2);
    zmq_close(c);
    zmq_ctx_term(ctx);
    s_daemon_done(&d, dir);
}

static void clients_that_ask_for_everything_and_never_read_keep_the_daemon_small(void **st)
{
    (void)st;
    struct th_daemon d;
    char *dir;
    /* Under AddressSanitizer every record freed waits in its quarantine
     * (256 MB by default) and RSS would measure that: the daemon started
     * here gives freed memory back at once. Without the sanitizer the
     * option is read by nobody. */
    const char *asan = getenv("ASAN_OPTIONS");
    char *opts = th_path("%s%squarantine_size_mb=0", asan ? asan : "", asan && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    free(opts);
    s_daemon(&d, &dir, RECORDS);
    long before = s_rss_kb(d.pid);
    assert_true(before > 0);
    void *ctx = zmq_ctx_new();
    void *c[CLIENTS];
    const struct pl_replay_wire_msg ask = { .type = PL_REPLAY_WIRE_SINCE, .seq = 0 };
    for (int i = 0; i < CLIENTS; i++) {
        c[i] = s_dealer(ctx, d.replay, 1);
        assert_int_equal(pl_replay_wire_send(c[i], NULL, 0, &ask, 0), 0);
    }
    /* Give the daemon time to queue all it will, then look. */
    long peak = before;
    for (int k = 0; k < 30; k++) {
        s_sleep_ms(100);
        long now = s_rss_kb(d.pid);
        if (now > peak)
            peak = now;
    }
    print_message("replay: daemon RSS %ld kB before, at most %ld kB with %d clients not "
                  "reading (%d records of %d bytes)\n",
                  before, peak, CLIENTS, RECORDS, RECORD_BYTES);
    /* Today's main reached about 150 MB here: a whole batch of 1000 per
     * client. Bounded, each client costs its queue (64 messages) and one
     * record. */
    assert_true(peak - before < 40 * 1024);
    /* Nothing was lost for waiting: a client that reads now gets its whole
     * batch, in order, then END. */
    uint64_t last = 0;
    int msgs = 0;
    for (;;) {
        struct pl_wire_in in;
        struct pl_replay_wire_msg m;
        assert_int_equal(rf_reply(c[0], &in, &m, 10000), 0);
        if (m.type == PL_REPLAY_WIRE_END) {
            assert_true(m.seq == BATCH && m.more == 1);
            pl_wire_in_close(&in);
            break;
        }
        uint64_t seq = 0;
        assert_int_equal(sscanf(m.json, "{\"seq\":%" SCNu64, &seq), 1);
        assert_true(seq == last + 1);
        last = seq;
        msgs++;
        pl_wire_in_close(&in);
    }
    assert_int_equal(msgs, BATCH);
    for (int i = 0; i < CLIENTS; i++)
        zmq_close(c[i]);
    zmq_ctx_term(ctx);
    s_daemon_done(&d, dir);
}

/* Starts pressline with argv (NULL-terminated, argv[0] "pressline"), its
 * stdout to /dev/null and its stderr to err_path. Returns the pid. */
static pid_t s_pressline(char *const argv[], const char *err_path)
{
    char *exe = th_path("%s/bin/pressline", th_build_dir());
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int out = open("/dev/null", O_WRONLY);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0 || err < 0)
            _exit(127);
        dup2(out, 1);
        dup2(err, 2);
        execv(exe, argv);
        _exit(127);
    }
    free(exe);
    assert_true(pid > 0);
    return pid;
}

/* Waits up to timeout_ms for pid to exit. Returns its exit status, or -1
 * if it is still running. */
static int s_wait_exit(pid_t pid, int timeout_ms)
{
    uint64_t until = th_now_ms() + (uint64_t)timeout_ms;
    int st;
    do {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        s_sleep_ms(20);
    } while (th_now_ms() < until);
    return -1;
}

/* Waits up to timeout_ms for path to hold text. */
static bool s_file_says(const char *path, const char *text, int timeout_ms)
{
    uint64_t until = th_now_ms() + (uint64_t)timeout_ms;
    do {
        char *got = th_read_file(path, NULL);
        bool says = got && strstr(got, text);
        free(got);
        if (says)
            return true;
        s_sleep_ms(50);
    } while (th_now_ms() < until);
    return false;
}

static void sub_with_no_daemon_says_so_within_seconds_and_keeps_waiting(void **st)
{
    (void)st;
    char *dir = th_tempdir();
    char *err = th_path("%s/sub.err", dir);
    char *endpoint = th_path("tcp://127.0.0.1:%d", th_free_port());
    char *argv[] = { "pressline", "sub", "--endpoint", endpoint, NULL };
    uint64_t t0 = th_now_ms();
    pid_t pid = s_pressline(argv, err);
    char *want = th_path("pressline sub: no daemon is publishing on %s: still waiting", endpoint);
    bool said = s_file_says(err, want, 10000);
    uint64_t took = th_now_ms() - t0;
    /* Said once, and still waiting. */
    s_sleep_ms(500);
    int still = s_wait_exit(pid, 0);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    char *text = th_read_file(err, NULL);
    if (!said)
        fail_msg("no notice within 10 s; stderr: %s", text ? text : "(none)");
    print_message("sub: the notice came after %" PRIu64 " ms\n", took);
    assert_int_equal(still, -1);
    assert_true(strstr(text, want) == strrchr(text, '\n') - strlen(want));
    free(text);
    free(want);
    free(endpoint);
    free(err);
    th_rmrf(dir);
    free(dir);
}

static void sub_connected_to_a_daemon_gives_no_notice(void **st)
{
    (void)st;
    struct th_daemon d;
    char *dir;
    s_daemon(&d, &dir, 0);
    char *err = th_path("%s/sub.err", dir);
    /* No article comes: sub waits 4 s (more than the notice's 3) and
     * gives up, saying only that. */
    char *argv[] = { "pressline", "sub", "--endpoint", d.endpoint, "--timeout", "4", NULL };
    pid_t pid = s_pressline(argv, err);
    assert_int_equal(s_wait_exit(pid, 10000), 1);
    char *text = th_read_file(err, NULL);
    assert_non_null(text);
    assert_string_equal(text, "pressline sub: no message for 4 s\n");
    free(text);
    free(err);
    s_daemon_done(&d, dir);
}

static void sub_since_prints_the_reason_of_an_err_and_exits_1(void **st)
{
    (void)st;
    char *dir = th_tempdir();
    char *err = th_path("%s/sub.err", dir);
    char *replay = th_path("tcp://127.0.0.1:%d", th_free_port());
    char *live = th_path("tcp://127.0.0.1:%d", th_free_port());
    void *ctx = zmq_ctx_new();
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof(zero));
    assert_int_equal(zmq_bind(router, replay), 0);
    char *argv[] = { "pressline", "sub",      "--endpoint", live, "--since",
                     "0",         "--replay", replay,       NULL };
    pid_t pid = s_pressline(argv, err);
    /* Answer its request with an ERR, as the daemon answers one it refuses. */
    zmq_pollitem_t it = { router, 0, ZMQ_POLLIN, 0 };
    assert_int_equal(zmq_poll(&it, 1, 5000), 1);
    struct pl_wire_in in;
    assert_int_equal(pl_wire_recv(router, &in, 0), 0);
    struct pl_wire_frame ident = pl_wire_in_frame(&in, 0);
    const struct pl_replay_wire_msg no = { .type = PL_REPLAY_WIRE_ERR,
                                           .reason = "busy: try later\n\x01",
                                           .reason_len = 17 };
    assert_int_equal(pl_replay_wire_send(router, ident.data, ident.len, &no, 0), 0);
    pl_wire_in_close(&in);
    /* It gives up at once, not after its 10 s wait for an answer. */
    int status = s_wait_exit(pid, 3000);
    if (status < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    char *text = th_read_file(err, NULL);
    assert_int_equal(status, 1);
    char *want = th_path("pressline sub: the replay endpoint %s refused the request: "
                         "busy: try later??\n",
                         replay);
    assert_string_equal(text, want);
    free(want);
    free(text);
    zmq_close(router);
    zmq_ctx_term(ctx);
    free(live);
    free(replay);
    free(err);
    th_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(malformed_requests_get_an_err_frame_from_the_daemon),
        cmocka_unit_test(clients_that_ask_for_everything_and_never_read_keep_the_daemon_small),
        cmocka_unit_test(sub_with_no_daemon_says_so_within_seconds_and_keeps_waiting),
        cmocka_unit_test(sub_connected_to_a_daemon_gives_no_notice),
        cmocka_unit_test(sub_since_prints_the_reason_of_an_err_and_exits_1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
