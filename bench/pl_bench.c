/*
 * pl_bench: throughput and latency of a real presslined.
 *
 *   pl_bench [--count N] [--rate R] [--durable] [--workers W] [--only real|floor|default]
 *            [--keep] [--threads] [--set JSON] [--prefetch P] [--stage-sleep MS]
 *            [--plain-rename] [--pass-parse] [--staged] [--parse]
 *
 * Starts presslined on a temp folder and a free port, subscribes, then drops
 * N copies of the seed articles (each made unique) by writing a temp file and
 * renaming it into the inbox, R files a second (0: as fast as it can). It
 * prints articles/s (first rename to last message) and the p50/p99/max
 * latency from rename to the message arriving at the subscriber. It runs
 * twice: with the real stages, and with one pass-through stage (the floor
 * that files, ZeroMQ and the writer cost); --only default runs the default
 * configuration's stages instead (the stories stage too). After the pass-through run it runs
 * the plain loop: one thread doing the same file operations per article as
 * the daemon (claim rename, read, write the result into outbox/ as the
 * daemon's writer does, unnamed with O_TMPFILE and then linked, move the
 * source to done/; with --plain-rename the result written beside and
 * renamed, as the writer did before 2026-12-02; with --durable, fdatasync
 * the result and fsync outbox/ per article, as a plain program would), on the same files
 * made beforehand (not timed), just before and just after the pass-through
 * run, and prints the pass-through's share of their mean rate.
 *
 * With --threads, each run also prints the daemon's CPU per article by
 * thread (/proc/<pid>/task/<tid>/schedstat, from the first rename to the
 * last message), summed by the thread's name: the main loop (the thread
 * whose id is the daemon's), the stage workers ("pl-<stage>"), the writer
 * ("pl-writer", the thread-pool threads that wrote a batch) and ZeroMQ's
 * I/O threads; beside each, the time it was runnable but waited for a CPU
 * (on a shared machine, other programs' share), and pl_bench's own CPU;
 * then, from the daemon's /metrics before and after
 * (pressline_stage_process_cpu_seconds_total), each stage's CPU inside its
 * plugin's process() call, the daemon's CPU but those calls (its own: the
 * main loop, libzmq, the writer and the workers' part around the calls,
 * their receive, copy, merge and send), and the burst's articles/s against
 * what two cores allow at the plugins' CPU an article (2 / the sum) and at
 * the stage threads' (issue 18 point 5).
 * Threads that take turns add up to the wall time per article; threads
 * that overlap add up to more. --set adds object members
 * (no braces) to the daemon's configuration, after pl_bench's own: a key
 * under test. --prefetch sets every stage's "prefetch" (the jobs a worker
 * holds at once; 1 is one job per worker at a time, as before prefetch).
 * --staged writes every file of a run (as fast as possible only) into a
 * folder beside the inbox before the clock starts, and the timed part
 * only renames them in: the plain loop's files are made beforehand too,
 * and pl_bench's writing (tens of microseconds an article, on the same
 * two cores) then no longer competes with the daemon it measures.
 * pl_bench finds each message's source name by a scan of its JSON text
 * (s_next_result); --parse parses every message whole with cJSON instead,
 * as it did before 2026-12-04 (130-160 us an article of pl_bench's own CPU
 * in a default burst, on the cores the daemon uses).
 * --pass-parse makes the pass-through plugin parse the document with cJSON
 * and print its patch, as it did before 2026-12-02 (bench/passthrough.c).
 * --stage-sleep MS makes the floor's one stage the tests' testkit plugin
 * turning "raw" into "text" after sleeping MS ms (no CPU): a stage that is
 * the slowest part by far and leaves the CPUs to the rest, so the run shows
 * whether the daemon keeps it busy (near 1000 / MS articles/s) or makes it
 * wait for the loop between articles (the plain loop is not run then;
 * testkit is built with the tests: `cmake --build BUILD --target tp_testkit`).
 *
 * Before each run it prints what creating a file costs here at that moment
 * (s_create_cost_us): on this VM it moves from 0.03 to 1 ms with what was
 * deleted in the minute before, and the daemon's writer and pl_bench pay it
 * once an article each.
 *
 * The run folders are deleted only at the end: deleting a folder of
 * thousands of files slows file creation on this machine for about a
 * minute, which would slow the run that follows. With --keep they are left
 * (their paths printed) for runs back to back, to be deleted after the last.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>

#include "harness.h"

/* The number of a result's file name ("b000123.txt" is 123), or -1. */
static int s_file_index(const char *name)
{
    char *end;
    errno = 0;
    long v = strtol(name + 1, &end, 10);
    if (name[0] != 'b' || errno || end == name + 1 || strcmp(end, ".txt") != 0 || v < 0 ||
        v > INT_MAX)
        return -1;
    return (int)v;
}

/* The whole of s as an int; false for anything else. */
static bool s_int_arg(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < INT_MIN || v > INT_MAX)
        return false;
    *out = (int)v;
    return true;
}

/* The whole of s as a finite number; false for anything else. */
static bool s_double_arg(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static int s_usage(void)
{
    fprintf(stderr, "usage: pl_bench [--count N] [--rate R] [--durable] [--workers W] "
                    "[--only real|floor|default] [--keep] [--threads] [--set JSON] "
                    "[--prefetch P] [--stage-sleep MS] [--plain-rename] [--pass-parse] "
                    "[--staged] [--parse]\n");
    return 2;
}

static int s_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* --parse: every message parsed whole with cJSON, as a C subscriber that
 * reads the fields would; otherwise the message is only scanned for its
 * source name (below). */
static bool s_parse;

/* The file index of a message's "source":{"name":"b000123.txt"} found by a
 * scan of the JSON text: a quote inside a string value is escaped, so an
 * unescaped "name":"b only starts a key, and the only such name that is a
 * benchmark file's is the source's (the stages' names are the plugins').
 * Returns -1 for a message with none. */
static int s_scan_index(const char *body, size_t n)
{
    static const char key[] = "\"name\":\"b";
    const char *p = body, *end = body + n;
    while ((p = memmem(p, (size_t)(end - p), key, sizeof(key) - 1))) {
        const char *v = p + sizeof(key) - 2; /* at the b */
        const char *q = memchr(v, '"', (size_t)(end - v));
        if (q && q - v < 32) {
            char name[32];
            memcpy(name, v, (size_t)(q - v));
            name[q - v] = '\0';
            int idx = s_file_index(name);
            if (idx >= 0)
                return idx;
        }
        p = v;
    }
    return -1;
}

/* The next article or error message within timeout_ms: its topic in
 * topic[16] and its file index (-1 when it names no benchmark file), or -2
 * on timeout. "status" and "story" messages are received and passed over
 * (the daemon sends them as it would to any subscriber). Without --parse
 * the body is scanned where it lies in the message: the harness's
 * th_sub_next (a copy and a cJSON parse a message, with a poll before
 * every receive as it then had) cost 130-160 us an article on the two
 * cores the daemon uses. */
static int s_next_result(struct th_sub *sub, int timeout_ms, char topic[16])
{
    uint64_t end = s_now_us() + (uint64_t)timeout_ms * 1000u;
    for (;;) {
        uint64_t now = s_now_us();
        zmq_msg_t b;
        if (th_sub_recv(sub, now < end ? (int)((end - now + 999) / 1000) : 0, topic, &b) != 0)
            return -2;
        if (!strcmp(topic, "status") || !strcmp(topic, "story")) {
            zmq_msg_close(&b);
            continue;
        }
        int idx = -1;
        if (s_parse) {
            char *body = strndup(zmq_msg_data(&b), zmq_msg_size(&b));
            cJSON *j = body ? cJSON_Parse(body) : NULL;
            const cJSON *name = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "source"), "name");
            idx = cJSON_IsString(name) ? s_file_index(name->valuestring) : -1;
            cJSON_Delete(j);
            free(body);
        } else {
            idx = s_scan_index(zmq_msg_data(&b), zmq_msg_size(&b));
        }
        zmq_msg_close(&b);
        return idx;
    }
}

/* The run folders, deleted at exit (see the top). */
static char *s_dirs[16];
static int s_ndirs;

static void s_keep_dir(char *dir)
{
    if (s_ndirs < (int)(sizeof(s_dirs) / sizeof(s_dirs[0]))) {
        s_dirs[s_ndirs++] = dir;
    } else {
        th_rmrf(dir);
        free(dir);
    }
}

/* The seed articles, in memory. Returns 0 or -1 (said on stderr). */
static const char *const s_seed_names[5] = { "000_8f0c28e4feafd8d8.txt", "001_11e0fa3a6d00148c.txt",
                                             "002_64be57c9f8e4cd97.txt", "003_b0149e1d855999ec.txt",
                                             "004_7d510f4401bc7c85.txt" };

static int s_load_seeds(char *seeds[5], size_t lens[5])
{
    for (int i = 0; i < 5; i++) {
        char *p = th_path("%s/tests/fixtures/seeds/%s", th_source_dir(), s_seed_names[i]);
        seeds[i] = th_read_file(p, &lens[i]);
        free(p);
        if (!seeds[i]) {
            fprintf(stderr, "pl_bench: cannot read the seeds under %s\n", th_source_dir());
            return -1;
        }
    }
    return 0;
}

static int s_fail(const char *what, const char *path)
{
    fprintf(stderr, "pl_bench: plain loop: %s %s: %m\n", what, path);
    return -1;
}

/* The plain loop's result file, made as the daemon's writer makes it
 * (pl_write_new): unnamed (O_TMPFILE), written, given its name by linkat;
 * with rename_loop (--plain-rename) as both did before 2026-12-02, a temp
 * file renamed. With durable, its fdatasync and an fsync of the folder.
 * Returns 0 or -1. */
static int s_plain_write(int dirfd, const char *out, const char *buf, size_t n, bool durable,
                         bool rename_loop)
{
    static int serial;
    char tmp[64];
    snprintf(tmp, sizeof(tmp), ".tmp-%d", serial++);
    int o = rename_loop ? openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)
                        : openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (o < 0 || write(o, buf, n) != (ssize_t)n || (durable && fdatasync(o) != 0))
        return -1;
    if (!rename_loop && linkat(o, "", dirfd, out, AT_EMPTY_PATH) != 0) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", o);
        if (linkat(AT_FDCWD, path, dirfd, out, AT_SYMLINK_FOLLOW) != 0)
            return -1;
    }
    if (close(o) != 0 || (rename_loop && renameat(dirfd, tmp, dirfd, out) != 0))
        return -1;
    return durable && fsync(dirfd) != 0 ? -1 : 0;
}

/* The plain loop (see the top) on count files made in inbox/ first. Returns
 * files/s, or -1. */
static double s_plain_loop(int count, bool durable, bool rename_loop)
{
    char *seeds[5];
    size_t lens[5];
    if (s_load_seeds(seeds, lens) != 0)
        return -1;
    char *dir = th_tempdir();
    const char *sub[] = { "inbox", "work", "outbox", "done" };
    int fd[4];
    for (int i = 0; i < 4; i++) {
        char *p = th_path("%s/%s", dir, sub[i]);
        if (mkdir(p, 0700) != 0 || (fd[i] = open(p, O_RDONLY | O_DIRECTORY)) < 0)
            return s_fail("cannot make", p);
        free(p);
    }
    char name[64], out[64];
    for (int i = 0; i < count; i++) {
        char *body = th_path("%s\nBenchmark copy %d.\n", seeds[i % 5], i);
        snprintf(name, sizeof(name), "b%06d.txt", i);
        char *p = th_path("%s/inbox/%s", dir, name);
        if (th_write_file(p, body, strlen(body)) != 0)
            return s_fail("cannot write", p);
        free(p);
        free(body);
    }
    char *buf = malloc(1 << 20);
    uint64_t t0 = s_now_us();
    for (int i = 0; i < count; i++) {
        snprintf(name, sizeof(name), "b%06d.txt", i);
        if (renameat(fd[0], name, fd[1], name) != 0)
            return s_fail("cannot claim", name);
        int in = openat(fd[1], name, O_RDONLY | O_CLOEXEC);
        ssize_t n = in >= 0 ? read(in, buf, 1 << 20) : -1;
        if (in < 0 || n < 0)
            return s_fail("cannot read", name);
        close(in);
        snprintf(out, sizeof(out), "%016x.json", (unsigned)i);
        if (s_plain_write(fd[2], out, buf, (size_t)n, durable, rename_loop) != 0)
            return s_fail("cannot write", out);
        if (renameat(fd[1], name, fd[3], name) != 0)
            return s_fail("cannot move", name);
    }
    double secs = (double)(s_now_us() - t0) / 1e6;
    for (int i = 0; i < 4; i++)
        close(fd[i]);
    for (int i = 0; i < 5; i++)
        free(seeds[i]);
    free(buf);
    s_keep_dir(dir);
    return count / (secs > 0 ? secs : 1e-6);
}

/* What creating a file costs on this file system right now: 500 empty
 * files made in a new folder (kept until the end, like the run folders),
 * in microseconds a file. ext4 without a journal, as on this VM (no jbd2),
 * passes over every inode freed in the last minute (six while its inode
 * table block is not yet written back: fs/ext4/ialloc.c, recently_deleted)
 * when it allocates one, looking each up, so for a minute after a folder
 * of thousands of files is deleted, here or by any other program, each
 * creation costs 0.3-1 ms instead of 0.03: the daemon's writer creates one
 * file an article (the result's temp file) and pl_bench another, so this
 * figure says how much of their system time is the file system's. Returns
 * -1 on failure. */
static double s_create_cost_us(void)
{
    char *dir = th_tempdir();
    int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dfd < 0) {
        free(dir);
        return -1;
    }
    char name[32];
    uint64_t t0 = s_now_us();
    int made = 0;
    for (; made < 500; made++) {
        snprintf(name, sizeof(name), "c%03d", made);
        int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
            break;
        close(fd);
    }
    double us = made ? (double)(s_now_us() - t0) / made : -1;
    close(dfd);
    s_keep_dir(dir);
    return us;
}

/* The CPU time of every thread of a process, by thread id. */
#define MAX_THREADS 64
struct thread_cpu {
    int tid;
    char name[32];
    double run, wait; /* seconds on a CPU, and runnable but waiting for one (schedstat) */
};

/* Reads /proc/<pid>/task/<tid>/comm and schedstat (nanoseconds on a CPU,
 * nanoseconds runnable on a run queue) of every thread of pid into v (up
 * to MAX_THREADS); returns how many. Threads gone by the second reading
 * count as what they had at the first (the daemon keeps its threads for
 * the run). */
static int s_read_threads(pid_t pid, struct thread_cpu *v)
{
    char *dpath = th_path("/proc/%d/task", (int)pid);
    DIR *d = opendir(dpath);
    free(dpath);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_THREADS) {
        int tid;
        if (!s_int_arg(e->d_name, &tid))
            continue;
        char *p = th_path("/proc/%d/task/%d/schedstat", (int)pid, tid);
        char *stat = th_read_file(p, NULL);
        free(p);
        p = th_path("/proc/%d/task/%d/comm", (int)pid, tid);
        char *comm = th_read_file(p, NULL);
        free(p);
        unsigned long long run = 0, wait = 0;
        if (stat && comm && sscanf(stat, "%llu %llu", &run, &wait) == 2) {
            struct thread_cpu *t = &v[n++];
            t->tid = tid;
            comm[strcspn(comm, "\n")] = '\0';
            snprintf(t->name, sizeof(t->name), "%s", tid == (int)pid ? "main loop" : comm);
            t->run = (double)run / 1e9;
            t->wait = (double)wait / 1e9;
        }
        free(stat);
        free(comm);
    }
    closedir(d);
    return n;
}

/* Prints the CPU per article each thread name took between the readings a
 * (before) and b (after), the time it was runnable but waited for a CPU,
 * and their sums against the wall time. */
static void s_print_threads(const struct thread_cpu *a, int na, const struct thread_cpu *b, int nb,
                            int articles, double wall_secs, double bench_secs, double *daemon_us,
                            double *stage_us)
{
    struct {
        char name[32];
        double run, wait;
        int n;
    } sum[MAX_THREADS];
    int ns = 0;
    double total = 0, total_wait = 0;
    for (int i = 0; i < nb; i++) {
        const struct thread_cpu *was = NULL;
        for (int k = 0; k < na; k++)
            if (a[k].tid == b[i].tid)
                was = &a[k];
        double run = b[i].run - (was ? was->run : 0), wait = b[i].wait - (was ? was->wait : 0);
        const char *name = b[i].name;
        /* libuv's pool threads that never wrote a batch keep the daemon's name. */
        if (!strcmp(name, "presslined"))
            name = "other";
        if (!strncmp(name, "ZMQbg/", 6))
            name = "ZMQbg (zmq I/O)";
        int k = 0;
        while (k < ns && strcmp(sum[k].name, name))
            k++;
        if (k == ns) {
            snprintf(sum[ns].name, sizeof(sum[ns].name), "%s", name);
            sum[ns].run = sum[ns].wait = 0;
            sum[ns++].n = 0;
        }
        sum[k].run += run;
        sum[k].wait += wait;
        sum[k].n++;
        total += run;
        total_wait += wait;
    }
    double per = articles > 0 ? 1e6 / articles : 0;
    *daemon_us = total * per;
    *stage_us = 0;
    for (int k = 0; k < ns; k++)
        if (!strncmp(sum[k].name, "pl-", 3) && strcmp(sum[k].name, "pl-writer"))
            *stage_us += sum[k].run * per;
    for (int k = 0; k < ns; k++)
        if (sum[k].run * per >= 0.05)
            printf("  cpu %-17s %2d thread%s %7.1f us/article  (runnable, waiting for a CPU: "
                   "%6.1f)\n",
                   sum[k].name, sum[k].n, sum[k].n == 1 ? " " : "s", sum[k].run * per,
                   sum[k].wait * per);
    printf("  cpu %-17s            %7.1f us/article  (waiting for a CPU: %6.1f); wall %.1f "
           "us/article: %.2f cores busy\n",
           "daemon, all", total * per, total_wait * per, wall_secs * per,
           wall_secs > 0 ? total / wall_secs : 0);
    printf("  cpu %-17s            %7.1f us/article  (dropping the files, receiving)\n",
           "pl_bench itself", bench_secs * per);
}

/* The daemon's pressline_stage_process_cpu_seconds_total per stage (its
 * worker threads' CPU inside the plugins' process()), from /metrics at
 * hostport ("127.0.0.1:PORT"): up to max stages' names and seconds into
 * names and secs. Returns how many, or -1 when /metrics did not answer. */
#define PROC_METRIC "pressline_stage_process_cpu_seconds_total{stage=\""
static int s_process_cpu(const char *hostport, char names[][32], double *secs, int max)
{
    const char *colon = hostport ? strrchr(hostport, ':') : NULL;
    if (!colon)
        return -1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1)) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    size_t len = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    ssize_t r;
    while (buf && (r = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)r;
        if (cap - len < 4096) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    close(fd);
    if (!buf)
        return -1;
    buf[len] = '\0';
    int n = 0;
    for (char *p = buf; n < max && (p = strstr(p, "\n" PROC_METRIC)); n++) {
        p += strlen("\n" PROC_METRIC);
        char *q = strchr(p, '"');
        if (!q || q - p >= 32 || sscanf(q, "\"} %lf", &secs[n]) != 1)
            break;
        memcpy(names[n], p, (size_t)(q - p));
        names[n][q - p] = '\0';
        p = q;
    }
    free(buf);
    return n;
}

/* Prints what the plugins' process() took (the /metrics readings a, before,
 * and b, after: na and nb stages), the daemon's own CPU (all of it but
 * that: daemon_us, the threads' sum, less it), and the burst's share of
 * what two cores allow against the plugins' CPU and against the stage
 * threads' (stage_us: the "pl-" threads but the writer, from schedstat). */
static void s_print_process_cpu(char an[][32], const double *a, int na, char bn[][32],
                                const double *b, int nb, int articles, double rate,
                                double daemon_us, double stage_us)
{
    if (na < 0 || nb <= 0 || articles <= 0) {
        printf("  (no pressline_stage_process_cpu_seconds_total from /metrics)\n");
        return;
    }
    double sum = 0, per = 1e6 / articles;
    for (int i = 0; i < nb; i++) {
        double was = 0;
        for (int k = 0; k < na; k++)
            if (!strcmp(an[k], bn[i]))
                was = a[k];
        printf("  cpu in process() %-13s %7.1f us/article\n", bn[i], (b[i] - was) * per);
        sum += (b[i] - was) * per;
    }
    printf("  cpu daemon, all but process()    %7.1f us/article (the plugins' process(): %.1f)\n",
           daemon_us - sum, sum);
    if (sum > 0 && stage_us > 0)
        printf("  burst / (2 cores / CPU an article): %.1f %% against the plugins' process(), "
               "%.1f %% against the stage threads' (%.1f us)\n",
               100.0 * rate * sum / 2e6, 100.0 * rate * stage_us / 2e6, stage_us);
}

/* This process's CPU time so far (user + system), in seconds. */
static double s_self_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool s_threads;
static bool s_staged;

/* One run of the daemon; *rate_out gets its articles/s. Returns 0 or 1. */
static int s_run(const char *label, const char *extra, int count, double rate, double *rate_out)
{
    printf("%-28s %8.1f us a file (500 files)\n", "file creation here now", s_create_cost_us());
    char *dir = th_tempdir();
    struct th_daemon d;
    if (th_daemon_start(&d, dir, extra) != 0) {
        fprintf(stderr, "pl_bench: cannot start presslined\n");
        return 1;
    }
    struct th_sub sub;
    th_sub_open(&sub, d.endpoint);
    if (th_sub_wait_ready(&sub, 10000) != 0) {
        char *log = th_read_file(d.log, NULL);
        fprintf(stderr, "pl_bench: presslined did not come up:\n%s\n", log ? log : "");
        return 1;
    }
    char *seeds[5];
    size_t lens[5];
    if (s_load_seeds(seeds, lens) != 0)
        return 1;
    uint64_t *sent = calloc((size_t)count, sizeof(uint64_t));
    uint64_t *lat = calloc((size_t)count, sizeof(uint64_t));
    int got = 0, errors = 0, sent_n = 0;
    static struct thread_cpu before[MAX_THREADS], after[MAX_THREADS];
    /* --staged: the files written beforehand, on the same file system. */
    char *stage = s_staged && rate <= 0 ? th_tempdir() : NULL;
    for (int i = 0; stage && i < count; i++) {
        char *p = th_path("%s/b%06d.txt", stage, i);
        char *body = th_path("%s\nBenchmark copy %d.\n", seeds[i % 5], i);
        if (th_write_file(p, body, strlen(body)) != 0) {
            fprintf(stderr, "pl_bench: cannot write %s: %m\n", p);
            return 1;
        }
        free(p);
        free(body);
    }
    static char pn0[16][32], pn1[16][32];
    double pv0[16], pv1[16];
    int np0 = s_threads ? s_process_cpu(d.http, pn0, pv0, 16) : -1, np1 = -1;
    int nbefore = s_threads ? s_read_threads(d.pid, before) : 0, nafter = 0;
    double self0 = s_self_cpu(), self1 = self0;
    uint64_t t0 = s_now_us(), last = t0;
    /* Interleave dropping and receiving so a paced run measures latency
     * without queueing behind the dropper. */
    while (got + errors < count) {
        if (sent_n < count && (rate <= 0 || s_now_us() >= t0 + (uint64_t)(sent_n * 1e6 / rate))) {
            char *tmp = stage ? th_path("%s/b%06d.txt", stage, sent_n)
                              : th_path("%s/inbox/.b%06d.tmp", dir, sent_n);
            char *dst = th_path("%s/inbox/b%06d.txt", dir, sent_n);
            if (!stage) {
                char *body = th_path("%s\nBenchmark copy %d.\n", seeds[sent_n % 5], sent_n);
                th_write_file(tmp, body, strlen(body));
                free(body);
            }
            sent[sent_n] = s_now_us();
            if (rename(tmp, dst) != 0) {
                fprintf(stderr, "pl_bench: cannot rename %s into the inbox: %m\n", tmp);
                return 1;
            }
            free(tmp);
            free(dst);
            sent_n++;
            if (rate <= 0 && sent_n < count)
                continue;
        }
        char topic[16];
        int idx = s_next_result(&sub, sent_n < count ? 1 : 30000, topic);
        if (idx == -2) {
            if (sent_n < count)
                continue;
            fprintf(stderr, "pl_bench: timed out with %d of %d results\n", got, count);
            break;
        }
        uint64_t now = s_now_us();
        if (!strcmp(topic, "article") && idx >= 0 && idx < count) {
            lat[got++] = now - sent[idx];
            last = now;
        } else {
            errors++;
        }
    }
    if (s_threads) {
        nafter = s_read_threads(d.pid, after);
        self1 = s_self_cpu();
        np1 = s_process_cpu(d.http, pn1, pv1, 16);
    }
    th_daemon_stop(&d, SIGTERM, 20000);
    qsort(lat, (size_t)got, sizeof(uint64_t), s_cmp);
    double secs = (double)(last - t0) / 1e6;
    printf("%-28s %6d articles  %8.0f articles/s  latency p50 %7.2f ms  p99 %7.2f ms  max %7.2f "
           "ms%s\n",
           label, got, got / (secs > 0 ? secs : 1), got ? lat[got / 2] / 1000.0 : 0,
           got ? lat[(size_t)(got * 0.99)] / 1000.0 : 0, got ? lat[got - 1] / 1000.0 : 0,
           errors ? "  (errors!)" : "");
    if (s_threads) {
        double daemon_us = 0, stage_us = 0;
        s_print_threads(before, nbefore, after, nafter, got, secs, self1 - self0, &daemon_us,
                        &stage_us);
        s_print_process_cpu(pn0, pv0, np0, pn1, pv1, np1, got, got / (secs > 0 ? secs : 1),
                            daemon_us, stage_us);
    }
    if (rate_out)
        *rate_out = got / (secs > 0 ? secs : 1);
    for (int i = 0; i < 5; i++)
        free(seeds[i]);
    free(sent);
    free(lat);
    th_sub_close(&sub);
    th_daemon_free(&d);
    s_keep_dir(dir);
    if (stage)
        s_keep_dir(stage);
    return got == count ? 0 : 1;
}

/* Prints the plain loop's rates before and after the floor's run and the
 * floor's share of their mean. Returns 0, or -1 when a loop failed. */
static int s_print_plain(int count, double before, double after, double floor)
{
    if (before < 0 || after < 0)
        return -1;
    printf("%-28s %6d files     %8.0f files/s (before %.0f, after %.0f)  pass-through / "
           "plain loop %.0f %%\n",
           "plain loop (same file ops)", count, (before + after) / 2, before, after,
           200.0 * floor / (before + after));
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "count", required_argument, NULL, 'n' },
        { "rate", required_argument, NULL, 'r' },
        { "durable", no_argument, NULL, 'd' },
        { "workers", required_argument, NULL, 'w' },
        { "only", required_argument, NULL, 'o' },
        { "keep", no_argument, NULL, 'k' },
        { "threads", no_argument, NULL, 't' },
        { "set", required_argument, NULL, 's' },
        { "prefetch", required_argument, NULL, 'p' },
        { "stage-sleep", required_argument, NULL, 'S' },
        { "plain-rename", no_argument, NULL, 'R' },
        { "pass-parse", no_argument, NULL, 'P' },
        { "staged", no_argument, NULL, 'T' },
        { "parse", no_argument, NULL, 'J' },
        { NULL, 0, NULL, 0 },
    };
    int count = 2000, durable = 0, workers = 1, keep = 0, prefetch = 0, stage_sleep = 0, c;
    int rename_loop = 0, pass_parse = 0;
    double rate = 0;
    const char *only = NULL, *set = NULL;
    while ((c = getopt_long(argc, argv, "n:r:dw:o:kts:p:S:RPTJ", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (!s_int_arg(optarg, &count))
                return s_usage();
            break;
        case 'r':
            if (!s_double_arg(optarg, &rate))
                return s_usage();
            break;
        case 'd': durable = 1; break;
        case 'w':
            if (!s_int_arg(optarg, &workers))
                return s_usage();
            break;
        case 'o': only = optarg; break;
        case 'k': keep = 1; break;
        case 't': s_threads = true; break;
        case 's': set = optarg; break;
        case 'p':
            if (!s_int_arg(optarg, &prefetch))
                return s_usage();
            break;
        case 'S':
            if (!s_int_arg(optarg, &stage_sleep) || stage_sleep < 1)
                return s_usage();
            break;
        case 'R': rename_loop = 1; break;
        case 'P': pass_parse = 1; break;
        case 'T': s_staged = true; break;
        case 'J': s_parse = true; break;
        default: return s_usage();
        }
    }
    if (count < 1 || workers < 1) {
        fprintf(stderr, "pl_bench: --count and --workers must be at least 1\n");
        return 2;
    }
    th_dirs_from_exe(PL_BENCH_SOURCE_DIR);
    printf("pl_bench: %d articles, %s, %s, %d worker%s per stage\n", count,
           rate > 0 ? "paced" : "as fast as possible", durable ? "fsync on" : "fsync off", workers,
           workers == 1 ? "" : "s");
    int rc = 0;
    char *common = th_path("\"durable\":%s,\"limits\":{\"max_in_flight\":256}%s%s",
                           durable ? "true" : "false", set ? "," : "", set ? set : "");
    char pf[32] = "";
    if (prefetch > 0)
        snprintf(pf, sizeof(pf), ",\"prefetch\":%d", prefetch);
    if (!only || !strcmp(only, "real")) {
        char *extra = th_path("%s,\"stages\":[{\"name\":\"clean\",\"workers\":%d%s},"
                              "{\"name\":\"entities\",\"workers\":%d%s},"
                              "{\"name\":\"summarize\",\"workers\":%d%s}]",
                              common, workers, pf, workers, pf, workers, pf);
        rc |= s_run("clean+entities+summarize", extra, count, rate, NULL);
        free(extra);
    }
    if (only && !strcmp(only, "default")) {
        /* The stages of the default configuration as they are (clean,
         * entities, summarize, stories; one worker each): issue 18 point
         * 5 measures these, with --durable for the default's fsync. */
        rc |= s_run("default stages", common, count, rate, NULL);
    }
    if ((!only || !strcmp(only, "floor")) && stage_sleep > 0) {
        char *extra = th_path("%s,\"stages\":[{\"name\":\"sleepy\",\"plugin\":\"%s/tests/plugins/"
                              "testkit.so\",\"workers\":%d%s,\"options\":{\"make_text\":true,"
                              "\"sleep_ms\":%d}}]",
                              common, th_build_dir(), workers, pf, stage_sleep);
        char label[64];
        snprintf(label, sizeof(label), "stage sleeping %d ms", stage_sleep);
        rc |= s_run(label, extra, count, rate, NULL);
        free(extra);
    } else if (!only || !strcmp(only, "floor")) {
        char *extra = th_path("%s,\"stages\":[{\"name\":\"pass\",\"plugin\":\"%s/bench/"
                              "passthrough.so\",\"workers\":%d%s%s}]",
                              common, th_build_dir(), workers, pf,
                              pass_parse ? ",\"options\":{\"parse\":true}" : "");
        /* The plain loop just before and just after the pass-through, as
         * the file system's speed here drifts from one minute to the next:
         * the ratio is to their mean, both shown. */
        double floor = 0, before = rate <= 0 ? s_plain_loop(count, durable, rename_loop) : 0;
        rc |= s_run("pass-through (floor)", extra, count, rate, &floor);
        free(extra);
        if (rate <= 0 &&
            s_print_plain(count, before, s_plain_loop(count, durable, rename_loop), floor) != 0)
            return 1;
    }
    free(common);
    for (int i = 0; i < s_ndirs; i++) {
        if (keep)
            printf("kept %s\n", s_dirs[i]);
        else
            th_rmrf(s_dirs[i]);
        free(s_dirs[i]);
    }
    return rc;
}
