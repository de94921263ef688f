/* Test helpers; see harness.h. */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* The value of k, or def, made absolute: the daemon runs in another folder. */
static const char *s_env(const char *k, const char *def)
{
    const char *v = getenv(k);
    v = v && *v ? v : def;
    static char cache[8][4096];
    static const char *keys[8];
    for (int i = 0; i < 8; i++) {
        if (keys[i] == k)
            return cache[i];
        if (!keys[i]) {
            if (!realpath(v, cache[i]))
                snprintf(cache[i], sizeof(cache[i]), "%s", v);
            keys[i] = k;
            return cache[i];
        }
    }
    return v;
}

const char *th_source_dir(void)
{
    return s_env("PL_SOURCE_DIR", "..");
}
void th_dirs_from_exe(const char *source_dir)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        char *build = th_path("%s/..", exe);
        setenv("PL_BUILD_DIR", build, 0);
        free(build);
    }
    setenv("PL_SOURCE_DIR", source_dir, 0);
}

const char *th_build_dir(void)
{
    return s_env("PL_BUILD_DIR", ".");
}
const char *th_test_plugin_dir(void)
{
    return s_env("PL_TEST_PLUGIN_DIR", "tests/plugins");
}

int th_drop(const char *dir, const char *name, const void *data, size_t len)
{
    char *tmp = th_path("%s/inbox/.%s.tmp", dir, name);
    char *dst = th_path("%s/inbox/%s", dir, name);
    int rc = th_write_file(tmp, data, len) == 0 && rename(tmp, dst) == 0 ? 0 : -1;
    free(tmp);
    free(dst);
    return rc;
}

int th_worker_pids(pid_t daemon, const char *stage, pid_t *out, int max)
{
    int n = 0;
    DIR *d = opendir("/proc");
    struct dirent *de;
    while (d && (de = readdir(d)) && n < max) {
        pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);
        if (pid <= 0)
            continue;
        char *p = th_path("/proc/%d/cmdline", (int)pid);
        size_t len = 0;
        char *cmd = th_read_file(p, &len);
        free(p);
        if (!cmd)
            continue;
        /* argv is NUL-separated: look for "worker" and "--stage" <stage>. */
        int is_worker = 0, is_stage = 0;
        for (size_t i = 0; i < len; i += strlen(cmd + i) + 1) {
            if (!strcmp(cmd + i, "worker"))
                is_worker = 1;
            if (!strcmp(cmd + i, "--stage") && i + 8 < len && !strcmp(cmd + i + 8, stage))
                is_stage = 1;
        }
        free(cmd);
        char *sp = th_path("/proc/%d/stat", (int)pid);
        char *stat = th_read_file(sp, NULL);
        free(sp);
        /* "pid (comm) state ppid ...": comm may hold spaces, so after ')'. */
        char *rp = stat ? strrchr(stat, ')') : NULL;
        int ppid = 0;
        if (rp)
            sscanf(rp + 1, " %*c %d", &ppid);
        free(stat);
        if (is_worker && is_stage && ppid == (int)daemon)
            out[n++] = pid;
    }
    if (d)
        closedir(d);
    return n;
}

uint64_t th_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

char *th_path(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

char *th_tempdir(void)
{
    char *t = strdup("/tmp/pressline-test-XXXXXX");
    if (!mkdtemp(t)) {
        free(t);
        return NULL;
    }
    return t;
}

static int s_rm(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb;
    (void)flag;
    (void)f;
    remove(p);
    return 0;
}

void th_rmrf(const char *path)
{
    if (path)
        nftw(path, s_rm, 32, FTW_DEPTH | FTW_PHYS);
}

char *th_read_file(const char *path, size_t *len)
{
    /* Read to EOF: files under /proc report a size of 0. */
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0, r;
    char *b = malloc(cap + 1);
    while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(b, cap * 2 + 1);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!b || bad) {
        free(b);
        return NULL;
    }
    b[n] = '\0';
    if (len)
        *len = n;
    return b;
}

int th_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

/* One port the kernel gives a socket bound to port 0, or -1. */
static int s_kernel_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t l = sizeof(a);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &l) != 0) {
        if (s >= 0)
            close(s);
        return -1;
    }
    close(s);
    return ntohs(a.sin_port);
}

int th_free_port(void)
{
    /* Once closed, the port is free to be given again, and the kernel may
     * give it to the very next bind: a daemon's publish and replay ports,
     * picked one after the other, could then be the same. No port is
     * handed out twice in one test process. */
    static int given[256];
    static size_t ngiven;
    for (int tries = 0; tries < 64; tries++) {
        int p = s_kernel_port();
        int seen = p < 0;
        for (size_t i = 0; i < ngiven && i < 256 && !seen; i++)
            seen = given[i] == p;
        if (seen)
            continue;
        given[ngiven++ % 256] = p;
        return p;
    }
    return -1;
}

int th_daemon_write_config(const struct th_daemon *d, const char *extra_json)
{
    /* The daemon's own HTTP port, unless extra_json configures "http"
     * itself (the key twice would leave the test's value unread). */
    bool own = extra_json && strstr(extra_json, "\"http\":{");
    char *http = d->http && *d->http && !own ? th_path("\"http\":{\"listen\":\"%s\"},", d->http)
                                             : strdup("");
    char *cfg = th_path("{%s\"publish\":{\"endpoint\":\"%s\",\"replay_endpoint\":\"%s\","
                        "\"status_interval_ms\":100},"
                        "\"watch\":{\"settle_ms\":200,\"rescan_interval_ms\":1000},"
                        "\"durable\":false%s%s}",
                        http, d->endpoint, d->replay, extra_json && *extra_json ? "," : "",
                        extra_json ? extra_json : "");
    free(http);
    char *cfg_path = th_path("%s/config.json", d->dir);
    /* Renamed into place: a daemon reading it on SIGHUP sees the old file
     * or the new one, never half of one. */
    char *tmp = th_path("%s/.config.json.tmp", d->dir);
    int rc = th_write_file(tmp, cfg, strlen(cfg));
    if (rc == 0 && rename(tmp, cfg_path) != 0)
        rc = -1;
    free(cfg);
    free(tmp);
    free(cfg_path);
    return rc;
}

int th_daemon_start(struct th_daemon *d, const char *dir, const char *extra_json)
{
    return th_daemon_start_with(d, dir, extra_json, NULL);
}

int th_daemon_start_with(struct th_daemon *d, const char *dir, const char *extra_json,
                         void (*setup)(void))
{
    memset(d, 0, sizeof(*d));
    d->child_setup = setup;
    int port = th_free_port();
    d->dir = strdup(dir);
    d->endpoint = th_path("tcp://127.0.0.1:%d", port);
    d->replay = th_path("tcp://127.0.0.1:%d", th_free_port());
    d->log = th_path("%s/daemon.log", dir);
    /* Every daemon gets an HTTP port of its own, or tests running side by
     * side would all want the default one. */
    bool own_http = extra_json && strstr(extra_json, "\"http\":{");
    d->http = own_http ? strdup("") : th_path("127.0.0.1:%d", th_free_port());
    if (th_daemon_write_config(d, extra_json) != 0)
        return -1;
    return th_daemon_restart(d);
}

int th_daemon_restart(struct th_daemon *d)
{
    char *exe = th_path("%s/bin/presslined", th_build_dir());
    char *cfg_path = th_path("%s/config.json", d->dir);
    const char *dir = d->dir;
    d->pid = fork();
    if (d->pid == 0) {
        if (chdir(dir) != 0)
            _exit(127);
        /* Die with the test (a failed assertion skips the cleanup), and
         * keep ctest's output pipe out of the daemon's hands. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        if (d->child_setup)
            d->child_setup();
        execl(exe, "presslined", "--config", cfg_path, (char *)NULL);
        _exit(127);
    }
    free(exe);
    free(cfg_path);
    return d->pid > 0 ? 0 : -1;
}

int th_daemon_stop(struct th_daemon *d, int sig, int timeout_ms)
{
    if (d->pid <= 0)
        return -1;
    kill(d->pid, sig);
    uint64_t end = th_now_ms() + (uint64_t)timeout_ms;
    int st;
    while (th_now_ms() < end) {
        pid_t r = waitpid(d->pid, &st, WNOHANG);
        if (r == d->pid) {
            d->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        usleep(10000);
    }
    kill(d->pid, SIGKILL);
    waitpid(d->pid, &st, 0);
    d->pid = 0;
    return -1;
}

void th_daemon_free(struct th_daemon *d)
{
    if (d->pid > 0)
        th_daemon_stop(d, SIGKILL, 2000);
    free(d->dir);
    free(d->endpoint);
    free(d->replay);
    free(d->http);
    free(d->log);
    memset(d, 0, sizeof(*d));
}

int th_sub_open(struct th_sub *s, const char *endpoint)
{
    s->stories = false;
    s->ctx = zmq_ctx_new();
    s->sock = zmq_socket(s->ctx, ZMQ_SUB);
    int zero = 0, hwm = 0; /* unlimited: tests count every message */
    zmq_setsockopt(s->sock, ZMQ_LINGER, &zero, sizeof(zero));
    zmq_setsockopt(s->sock, ZMQ_RCVHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(s->sock, ZMQ_SUBSCRIBE, "", 0);
    return zmq_connect(s->sock, endpoint);
}

int th_sub_recv(struct th_sub *s, int timeout_ms, char topic[16], zmq_msg_t *body)
{
    uint64_t end = th_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        zmq_msg_t t;
        zmq_msg_init(&t);
        if (zmq_msg_recv(&t, s->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&t);
            uint64_t now = th_now_ms();
            if (now >= end)
                return -1;
            zmq_pollitem_t it = { s->sock, 0, ZMQ_POLLIN, 0 };
            zmq_poll(&it, 1, (long)(end - now));
            continue;
        }
        zmq_msg_init(body);
        int more = zmq_msg_more(&t);
        if (more)
            snprintf(topic, 16, "%.*s", (int)zmq_msg_size(&t), (char *)zmq_msg_data(&t));
        zmq_msg_close(&t);
        if (more && zmq_msg_recv(body, s->sock, 0) >= 0)
            return 0;
        zmq_msg_close(body); /* a message of one part: none the daemon sends */
    }
}

/* th_sub_recv with the body copied into a string (caller frees). */
static int s_recv2(struct th_sub *s, int timeout_ms, char topic[16], char **body, size_t *blen)
{
    zmq_msg_t b;
    if (th_sub_recv(s, timeout_ms, topic, &b) != 0)
        return -1;
    *blen = zmq_msg_size(&b);
    *body = malloc(*blen + 1);
    if (*body) {
        memcpy(*body, zmq_msg_data(&b), *blen);
        (*body)[*blen] = '\0';
    }
    zmq_msg_close(&b);
    return *body ? 0 : -1;
}

int th_sub_wait_ready(struct th_sub *s, int timeout_ms)
{
    uint64_t end = th_now_ms() + (uint64_t)timeout_ms;
    while (th_now_ms() < end) {
        char topic[16], *body;
        size_t n;
        if (s_recv2(s, 100, topic, &body, &n) == 0) {
            free(body);
            if (!strcmp(topic, "status"))
                return 0;
        }
    }
    return -1;
}

int th_sub_live(struct th_sub *s, const struct th_daemon *d, int timeout_ms)
{
    if (th_sub_open(s, d->endpoint) != 0) {
        fprintf(stderr, "harness: cannot subscribe to %s\n", d->endpoint);
        return -1;
    }
    if (th_sub_wait_ready(s, timeout_ms) == 0)
        return 0;
    /* The daemon's own words are what tells why it did not come up. */
    char *log = th_read_file(d->log, NULL);
    fprintf(stderr, "daemon did not start (no status on %s within %d ms):\n%s\n", d->endpoint,
            timeout_ms, log ? log : "(no log)");
    free(log);
    return -1;
}

int th_daemon_start_live(struct th_daemon *d, struct th_sub *sub, const char *dir,
                         const char *extra_json, int timeout_ms)
{
    if (th_daemon_start(d, dir, extra_json) != 0)
        return -1;
    return th_sub_live(sub, d, timeout_ms);
}

cJSON *th_sub_next(struct th_sub *s, int timeout_ms, char topic[16], char **raw_out)
{
    uint64_t end = th_now_ms() + (uint64_t)timeout_ms;
    while (th_now_ms() < end) {
        char *body;
        size_t n;
        int left = (int)(end - th_now_ms());
        if (s_recv2(s, left > 0 ? left : 1, topic, &body, &n) != 0)
            continue;
        if (!strcmp(topic, "status") || (!s->stories && !strcmp(topic, "story"))) {
            free(body);
            continue;
        }
        cJSON *j = cJSON_Parse(body);
        if (raw_out)
            *raw_out = body;
        else
            free(body);
        return j;
    }
    return NULL;
}

void th_sub_close(struct th_sub *s)
{
    if (s->sock)
        zmq_close(s->sock);
    if (s->ctx)
        zmq_ctx_term(s->ctx);
    s->sock = s->ctx = NULL;
}

int th_count_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

int th_validate_schema(const char *jsonl_path)
{
    const char *py = s_env("PL_PYTHON3", "/usr/bin/python3");
    char *cmd = th_path("'%s' '%s/tests/validate_schema.py' '%s'", py, th_source_dir(), jsonl_path);
    int st = system(cmd);
    free(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
