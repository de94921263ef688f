/*
 * restart_bench: how long presslined takes to start with a large record,
 * with and without the replay index on disk (replay_log.h).
 *
 *   restart_bench [--count N] [--rounds R]
 *
 * Writes N results (default 100,000) straight into outbox/ and failed/ of a
 * temp folder, as the writer leaves them, then starts presslined (one
 * pass-through stage) R times (default 3) each way, alternating: without the
 * index (spool/replay.idx deleted: the start reads every result) and with it.
 * A start is timed from fork to the replay endpoint's first answer (what a
 * catching-up client waits for); the daemon's own "replay index ... in N ms"
 * is printed beside it. The record is written once, before any start is
 * timed, and deleted only at the end: deleting a folder of many files slows
 * file creation here for about a minute.
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "harness.h"

static uint64_t s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int s_write_records(const char *dir, int n)
{
    char path[PATH_MAX], json[256];
    for (int seq = 1; seq <= n; seq++) {
        int len;
        if (seq % 97 == 0) {
            snprintf(path, sizeof(path), "%s/failed/f%d.txt.error.json", dir, seq);
            len =
                snprintf(json, sizeof(json), "{\"seq\":%d,\"error\":{\"reason\":\"bench\"}}", seq);
        } else {
            snprintf(path, sizeof(path), "%s/outbox/%016x.json", dir, (unsigned)seq);
            len = snprintf(json, sizeof(json),
                           "{\"seq\":%d,\"id\":\"%016x\",\"text\":\"A benchmark record.\"}\n", seq,
                           (unsigned)seq);
        }
        if (th_write_file(path, json, (size_t)len) != 0)
            return -1;
    }
    return 0;
}

/* Milliseconds from now until the replay endpoint answers a SINCE, or -1
 * after 120 s. */
static double s_time_to_replay(const char *endpoint, uint64_t t0, int last)
{
    void *ctx = zmq_ctx_new();
    void *c = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0, ivl = 2;
    zmq_setsockopt(c, ZMQ_LINGER, &zero, sizeof(zero));
    zmq_setsockopt(c, ZMQ_RECONNECT_IVL, &ivl, sizeof(ivl));
    zmq_connect(c, endpoint);
    char num[32];
    int n = snprintf(num, sizeof(num), "%d", last);
    zmq_send(c, "SINCE", 5, ZMQ_SNDMORE);
    zmq_send(c, num, (size_t)n, 0);
    double ms = -1;
    zmq_pollitem_t it = { c, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll(&it, 1, 120000) == 1)
        ms = (double)(s_now_us() - t0) / 1000.0;
    zmq_close(c);
    zmq_ctx_term(ctx);
    return ms;
}

/* The load time the daemon logged ("... in N ms"), or -1. */
static long s_logged_ms(const char *log_path)
{
    char *log = th_read_file(log_path, NULL);
    const char *p = log ? strstr(log, "replay index: ") : NULL;
    const char *in = p ? strstr(p, " in ") : NULL;
    long ms = in ? strtol(in + 4, NULL, 10) : -1;
    free(log);
    return ms;
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = { { "count", required_argument, NULL, 'n' },
                                          { "rounds", required_argument, NULL, 'r' },
                                          { NULL, 0, NULL, 0 } };
    int count = 100000, rounds = 3, c;
    while ((c = getopt_long(argc, argv, "n:r:", opts, NULL)) != -1) {
        if (c == 'n')
            count = (int)strtol(optarg, NULL, 10);
        else if (c == 'r')
            rounds = (int)strtol(optarg, NULL, 10);
        else {
            fprintf(stderr, "usage: restart_bench [--count N] [--rounds R]\n");
            return 2;
        }
    }
    if (count < 1 || rounds < 1 || rounds > 64) {
        fprintf(stderr, "restart_bench: --count must be at least 1, --rounds 1 to 64\n");
        return 2;
    }
    th_dirs_from_exe(PL_BENCH_SOURCE_DIR);
    char *dir = th_tempdir();
    char *outbox = th_path("%s/outbox", dir), *failed = th_path("%s/failed", dir);
    char *idx = th_path("%s/spool/replay.idx", dir);
    mkdir(outbox, 0700);
    mkdir(failed, 0700);
    if (s_write_records(dir, count) != 0) {
        fprintf(stderr, "restart_bench: cannot write the record in %s\n", dir);
        return 1;
    }
    char *extra = th_path("\"durable\":false,\"stages\":[{\"name\":\"pass\",\"plugin\":\"%s/bench/"
                          "passthrough.so\"}]",
                          th_build_dir());
    struct th_daemon d;
    /* The first start writes the index; not timed. */
    if (th_daemon_start(&d, dir, extra) != 0 || s_time_to_replay(d.replay, s_now_us(), count) < 0) {
        fprintf(stderr, "restart_bench: presslined did not start\n");
        return 1;
    }
    th_daemon_stop(&d, SIGTERM, 60000);
    printf("restart_bench: %d results in the record, %d starts each way, alternating\n", count,
           rounds);
    double t[2][64];
    long logged[2][64];
    int rc = 0;
    for (int r = 0; r < rounds; r++) {
        for (int with = 0; with < 2; with++) {
            if (!with)
                unlink(idx);
            unlink(d.log);
            uint64_t t0 = s_now_us();
            if (th_daemon_restart(&d) != 0)
                return 1;
            t[with][r] = s_time_to_replay(d.replay, t0, count);
            logged[with][r] = s_logged_ms(d.log);
            th_daemon_stop(&d, SIGTERM, 60000);
            if (t[with][r] < 0)
                rc = 1;
            printf("  %-18s start to replay answering %8.1f ms   (index loaded in %ld ms)\n",
                   with ? "with the index" : "without the index", t[with][r], logged[with][r]);
        }
    }
    for (int with = 0; with < 2; with++) {
        qsort(t[with], (size_t)rounds, sizeof(double), s_cmp);
        printf("%-18s median %8.1f ms, min %8.1f, max %8.1f\n",
               with ? "with the index" : "without the index", t[with][rounds / 2], t[with][0],
               t[with][rounds - 1]);
    }
    th_daemon_free(&d);
    th_rmrf(dir);
    free(outbox);
    free(failed);
    free(idx);
    free(extra);
    free(dir);
    return rc;
}
