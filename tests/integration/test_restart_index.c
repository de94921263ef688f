/*
 * The replay index on disk (issue 18 point 6, replay_log.h): a record of
 * 100,000 results, written straight into outbox/ and failed/ as the daemon
 * writes them, is replayed whole and in order from seq 0 after every kind of
 * start: the first (no index: the folders are read and the index written),
 * a restart from the index, and restarts after the index was corrupted,
 * deleted, left stale (a result added while the daemon was stopped) or cut
 * short, and one with an uncommitted tail (used, the tail cut); each says in
 * the log whether it used the index. The real presslined
 * on a temp folder and free ports; every wait is bounded.
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
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"
#include "replay_fixture.h"
#include "replay_wire.h"
#include "wire.h"

#define RECORDS 100000
/* Every ERROR_EVERY-th seq is a failure record in failed/. */
#define ERROR_EVERY 97

/* Writes results 1..n: outbox/r<seq>.json, or failed/f<seq>.error.json for
 * every ERROR_EVERY-th, as the writer leaves them (the seq first). */
static void s_write_records(const char *dir, int from, int to)
{
    char path[4096], json[256];
    for (int seq = from; seq <= to; seq++) {
        int n;
        if (seq % ERROR_EVERY == 0) {
            snprintf(path, sizeof(path), "%s/failed/f%d.error.json", dir, seq);
            n = snprintf(json, sizeof(json), "{\"seq\":%d,\"error\":{\"reason\":\"test\"}}", seq);
        } else {
            snprintf(path, sizeof(path), "%s/outbox/r%d.json", dir, seq);
            n = snprintf(json, sizeof(json), "{\"seq\":%d,\"id\":\"r%d\",\"text\":\"x\"}\n", seq,
                         seq);
        }
        assert_int_equal(th_write_file(path, json, (size_t)n), 0);
    }
}

/* Replays everything from seq 0 and checks it is seqs 1..want exactly, in
 * order, each with its topic. */
static void s_replay_all(const struct th_daemon *d, int want)
{
    void *ctx = zmq_ctx_new();
    void *c = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(c, ZMQ_LINGER, &zero, sizeof(zero));
    assert_int_equal(zmq_connect(c, d->replay), 0);
    uint64_t last = 0;
    int more = 1;
    while (more) {
        const struct pl_replay_wire_msg ask = { .type = PL_REPLAY_WIRE_SINCE, .seq = last };
        assert_int_equal(pl_replay_wire_send(c, NULL, 0, &ask, 0), 0);
        for (;;) {
            struct pl_wire_in in;
            struct pl_replay_wire_msg m;
            if (rf_reply(c, &in, &m, 20000) != 0)
                fail_msg("no reply from the replay endpoint after seq %" PRIu64, last);
            if (m.type == PL_REPLAY_WIRE_END) {
                more = m.more;
                assert_true(m.seq == last);
                pl_wire_in_close(&in);
                break;
            }
            assert_int_equal(m.type, PL_REPLAY_WIRE_MSG);
            uint64_t seq = 0;
            assert_int_equal(sscanf(m.json, "{\"seq\":%" SCNu64, &seq), 1);
            if (seq != last + 1)
                fail_msg("replay gave seq %" PRIu64 " after %" PRIu64, seq, last);
            const char *topic = seq % ERROR_EVERY == 0 ? "error" : "article";
            assert_true(m.topic_len == strlen(topic) && memcmp(m.topic, topic, m.topic_len) == 0);
            last = seq;
            pl_wire_in_close(&in);
        }
    }
    assert_int_equal((int)last, want);
    zmq_close(c);
    zmq_ctx_term(ctx);
}

/* Starts (first) or restarts the daemon on dir, waits up to 180 s until it
 * logs that it is watching (it is then past loading the index), and returns
 * the log's text written by this start. */
static char *s_start(struct th_daemon *d, const char *dir, bool first)
{
    if (!first)
        unlink(d->log);
    if (first) {
        struct th_sub sub;
        assert_int_equal(th_daemon_start_live(d, &sub, dir, "", 60000), 0);
        th_sub_close(&sub);
    } else {
        assert_int_equal(th_daemon_restart(d), 0);
    }
    /* The start logs how it indexed before it binds anything. Generous:
     * on a loaded machine, just after another test deleted a large folder,
     * file creation here can stall for long stretches. */
    char *log = NULL;
    for (int i = 0; i < 3600; i++) {
        free(log);
        log = th_read_file(d->log, NULL);
        if (log && strstr(log, "watching "))
            return log;
        usleep(50 * 1000);
    }
    fail_msg("the daemon did not start within 180 s (it is %s):\n%s",
             kill(d->pid, 0) == 0 ? "still running" : "gone", log ? log : "(no log)");
    return NULL;
}

static void s_stop(struct th_daemon *d)
{
    int status = th_daemon_stop(d, SIGTERM, 20000);
    if (status != 0) {
        char *log = th_read_file(d->log, NULL);
        fail_msg("daemon exited %d:\n%s", status, log ? log : "(no log)");
    }
}

static void s_expect(const char *log, const char *says)
{
    if (!strstr(log, says))
        fail_msg("the log does not say \"%s\":\n%s", says, log);
}

/* Overwrites len bytes of the index at off with junk. */
static void s_scribble(const char *idx, off_t off, size_t len)
{
    int fd = open(idx, O_WRONLY);
    assert_true(fd >= 0);
    char junk[64];
    memset(junk, 0x5a, sizeof(junk));
    assert_true(len <= sizeof(junk));
    assert_int_equal(pwrite(fd, junk, len, off), (ssize_t)len);
    close(fd);
}

static void a_record_of_100000_is_replayed_whole_after_each_kind_of_start(void **st)
{
    (void)st;
    char *dir = th_tempdir();
    assert_non_null(dir);
    char *outbox = th_path("%s/outbox", dir), *failed = th_path("%s/failed", dir);
    char *idx = th_path("%s/spool/replay.idx", dir);
    assert_int_equal(mkdir(outbox, 0700), 0);
    assert_int_equal(mkdir(failed, 0700), 0);
    s_write_records(dir, 1, RECORDS);
    struct th_daemon d;
    char want[128];

    /* First start: no index; the folders are read and it is written. */
    char *log = s_start(&d, dir, true);
    s_expect(log, "was not usable: it cannot be read (there is none)");
    free(log);
    s_replay_all(&d, RECORDS);
    s_stop(&d);
    struct stat sb;
    assert_int_equal(stat(idx, &sb), 0);

    /* A restart reads the index, not the folders. */
    log = s_start(&d, dir, false);
    snprintf(want, sizeof(want), "replay index: %d entries from", RECORDS);
    s_expect(log, want);
    free(log);
    s_replay_all(&d, RECORDS);
    s_stop(&d);

    /* An append never committed (bytes past the header's end): the index
     * is used, the tail cut. */
    FILE *f = fopen(idx, "ab");
    assert_non_null(f);
    fputs("an append never committed", f);
    fclose(f);
    log = s_start(&d, dir, false);
    s_expect(log, want);
    free(log);
    s_replay_all(&d, RECORDS);
    s_stop(&d);
    struct stat cut;
    assert_int_equal(stat(idx, &cut), 0);
    assert_int_equal(cut.st_size, sb.st_size);

    /* A record corrupted in the middle: rebuilt. */
    s_scribble(idx, sb.st_size / 2, 16);
    log = s_start(&d, dir, false);
    s_expect(log, "was not usable: a record does not check out");
    free(log);
    s_replay_all(&d, RECORDS);
    s_stop(&d);

    /* A header corrupted: rebuilt. */
    s_scribble(idx, 20, 8);
    log = s_start(&d, dir, false);
    s_expect(log, "was not usable: its header is not valid");
    free(log);
    s_replay_all(&d, RECORDS);
    s_stop(&d);

    /* Cut short (a torn append that the header counts): rebuilt. */
    assert_int_equal(truncate(idx, sb.st_size - 5), 0);
    log = s_start(&d, dir, false);
    s_expect(log, "was not usable: it is shorter than its header says");
    free(log);
    s_replay_all(&d, RECORDS);
    s_stop(&d);

    /* Deleted: rebuilt. */
    assert_int_equal(unlink(idx), 0);
    log = s_start(&d, dir, false);
    s_expect(log, "was not usable: it cannot be read (there is none)");
    free(log);
    s_replay_all(&d, RECORDS);
    s_stop(&d);

    /* Stale: results added while the daemon was stopped are replayed too. */
    s_write_records(dir, RECORDS + 1, RECORDS + 3);
    log = s_start(&d, dir, false);
    s_expect(log, "was not usable: outbox/ or failed/ changed since it was written");
    free(log);
    s_replay_all(&d, RECORDS + 3);
    s_stop(&d);

    /* And the index written by that start is used by the next. */
    log = s_start(&d, dir, false);
    snprintf(want, sizeof(want), "replay index: %d entries from", RECORDS + 3);
    s_expect(log, want);
    free(log);
    s_replay_all(&d, RECORDS + 3);
    s_stop(&d);

    th_daemon_free(&d);
    th_rmrf(dir);
    free(idx);
    free(outbox);
    free(failed);
    free(dir);
}

/* Results the daemon itself publishes go into the index as they are
 * written: after a restart from the index they are replayed with the rest. */
static void results_published_are_in_the_index_at_the_next_start(void **st)
{
    (void)st;
    char *dir = th_tempdir();
    assert_non_null(dir);
    char *outbox = th_path("%s/outbox", dir), *failed = th_path("%s/failed", dir);
    assert_int_equal(mkdir(outbox, 0700), 0);
    assert_int_equal(mkdir(failed, 0700), 0);
    s_write_records(dir, 1, 10);
    /* The sequence file as the run that wrote them left it. */
    char *spool = th_path("%s/spool", dir), *seqf = th_path("%s/spool/seq", dir);
    assert_int_equal(mkdir(spool, 0700), 0);
    assert_int_equal(th_write_file(seqf, "11\n", 3), 0);
    free(spool);
    free(seqf);
    struct th_daemon d;
    char *log = s_start(&d, dir, true);
    free(log);
    /* Two articles and one empty file (a failure record). */
    const char *names[] = { "a.txt", "b.txt", "empty.txt" };
    const char *texts[] = { "First article.", "Second article.", "" };
    for (int i = 0; i < 3; i++) {
        char *tmp = th_path("%s/inbox/.%s.tmp", dir, names[i]);
        char *dst = th_path("%s/inbox/%s", dir, names[i]);
        assert_int_equal(th_write_file(tmp, texts[i], strlen(texts[i])), 0);
        assert_int_equal(rename(tmp, dst), 0);
        free(tmp);
        free(dst);
    }
    char *done = th_path("%s/spool/done", dir);
    int published = 0;
    for (int i = 0; i < 400 && published < 3; i++) {
        published = th_count_dir(done) + th_count_dir(failed) - (10 / ERROR_EVERY);
        usleep(50 * 1000);
    }
    free(done);
    s_stop(&d);
    log = s_start(&d, dir, false);
    s_expect(log, "replay index: 13 entries from");
    free(log);
    /* The three after the ten written first, all in order. */
    void *ctx = zmq_ctx_new();
    void *c = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(c, ZMQ_LINGER, &zero, sizeof(zero));
    assert_int_equal(zmq_connect(c, d.replay), 0);
    const struct pl_replay_wire_msg ask = { .type = PL_REPLAY_WIRE_SINCE, .seq = 0 };
    assert_int_equal(pl_replay_wire_send(c, NULL, 0, &ask, 0), 0);
    int msgs = 0, errors = 0;
    uint64_t last = 0;
    for (;;) {
        struct pl_wire_in in;
        struct pl_replay_wire_msg m;
        assert_int_equal(rf_reply(c, &in, &m, 20000), 0);
        if (m.type == PL_REPLAY_WIRE_END) {
            pl_wire_in_close(&in);
            break;
        }
        const char *s = strstr(m.json, "\"seq\":");
        assert_non_null(s);
        uint64_t seq = strtoull(s + 6, NULL, 10);
        assert_true(seq > last);
        last = seq;
        msgs++;
        errors += m.topic_len == 5 && memcmp(m.topic, "error", 5) == 0;
        pl_wire_in_close(&in);
    }
    assert_int_equal(msgs, 13);
    assert_int_equal(errors, 1);
    zmq_close(c);
    zmq_ctx_term(ctx);
    s_stop(&d);
    th_daemon_free(&d);
    th_rmrf(dir);
    free(outbox);
    free(failed);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_record_of_100000_is_replayed_whole_after_each_kind_of_start),
        cmocka_unit_test(results_published_are_in_the_index_at_the_next_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
