/* `pressline status`; see status_cmd.h. */
#include "status_cmd.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "config.h"
#include "errcode.h"

#define STATUS_TIMEOUT_MS 5000
#define STATUS_MAX_BYTES (1024 * 1024)

/* One GET of path from host:port over HTTP/1.0, kept this small on purpose:
 * with 1.0 the server sends one response with no chunked encoding and
 * closes the connection after the body, so reading to EOF, the status code
 * from the status line and the body after the blank line are all there is
 * to parse; headers are skipped. Returns 0 with *code and *body (caller
 * frees), or -errno: the daemon is not there or did not answer in time. */
static int s_get(const char *host, int port, const char *path, int *code, char **body)
{
    struct sockaddr_storage ss;
    unsigned sl;
    if (pl_listen_sockaddr(host, port, &ss, &sl) != 0)
        return -EINVAL;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    int rc = 0;
    if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        int err = 0;
        socklen_t el = sizeof(err);
        if (errno != EINPROGRESS)
            rc = -errno;
        else if (poll(&p, 1, STATUS_TIMEOUT_MS) != 1)
            rc = -ETIMEDOUT;
        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0)
            rc = -(err ? err : errno);
    }
    /* Blocking from here, each read and write bounded. */
    struct timeval tv = { STATUS_TIMEOUT_MS / 1000, 0 };
    if (rc == 0 && (fcntl(fd, F_SETFL, 0) != 0 ||
                    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
                    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0))
        rc = -errno;
    char req[256];
    /* An IPv6 address goes in brackets in the Host header (RFC 7230 5.4). */
    bool v6 = strchr(host, ':') != NULL;
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s%s%s:%d\r\n\r\n", path,
                     v6 ? "[" : "", host, v6 ? "]" : "", port);
    if (rc == 0 && send(fd, req, (size_t)n, MSG_NOSIGNAL) != n)
        rc = -EIO;
    char *buf = rc == 0 ? malloc(STATUS_MAX_BYTES + 1) : NULL;
    size_t len = 0;
    if (rc == 0 && !buf)
        rc = -ENOMEM;
    while (rc == 0 && len < STATUS_MAX_BYTES) {
        ssize_t r = recv(fd, buf + len, STATUS_MAX_BYTES - len, 0);
        if (r < 0)
            rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
        else if (r == 0)
            break;
        else
            len += (size_t)r;
    }
    close(fd);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    char *sep = strstr(buf, "\r\n\r\n");
    if (strncmp(buf, "HTTP/1.", 7) != 0 || len < 12 || !sep) {
        free(buf);
        return -EPROTO;
    }
    *code = (int)strtol(buf + 9, NULL, 10);
    memmove(buf, sep + 4, len - (size_t)(sep + 4 - buf) + 1);
    *body = buf;
    return 0;
}

/* What status shows of /metrics. */
struct shown {
    double published, failed, in_flight, queued, paused;
    size_t nstages;
    struct {
        char name[64];
        double workers, sum, count;
    } st[PL_MAX_STAGES];
};

/* The stage label of a sample's labels ("{stage=\"x\",le=...}"), unescaped
 * into out; false when it has none. */
static bool s_stage_label(const char *labels, char *out, size_t outlen)
{
    const char *p = strstr(labels, "stage=\"");
    if (!p)
        return false;
    size_t o = 0;
    for (p += 7; *p && *p != '"' && o + 1 < outlen; p++) {
        /* The exposition format escapes \\, \" and \n in label values. */
        if (*p == '\\' && p[1]) {
            p++;
            out[o++] = *p == 'n' ? '\n' : *p;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    return true;
}

/* The slot of stage name in s, added in the order first seen. */
static int s_slot(struct shown *s, const char *name)
{
    for (size_t i = 0; i < s->nstages; i++)
        if (!strcmp(s->st[i].name, name))
            return (int)i;
    if (s->nstages == PL_MAX_STAGES)
        return -1;
    snprintf(s->st[s->nstages].name, sizeof(s->st[0].name), "%s", name);
    return (int)s->nstages++;
}

/* Reads the samples status shows from the exposition text: one
 * "name{labels} value" a line, comments skipped. Only the daemon's own
 * metrics are looked at, which it writes one a line without timestamps. */
static void s_read_metrics(char *text, struct shown *s)
{
    char *next = NULL;
    for (char *line = text; line && *line; line = next) {
        char *nl = strchr(line, '\n');
        next = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        if (*line == '#')
            continue;
        char *sp = strrchr(line, ' ');
        if (!sp)
            continue;
        *sp = '\0';
        double v = strtod(sp + 1, NULL);
        char *brace = strchr(line, '{');
        const char *labels = brace ? brace : "";
        size_t nlen = brace ? (size_t)(brace - line) : strlen(line);
        char stage[64];
        bool has_stage = s_stage_label(labels, stage, sizeof(stage));
        int k = has_stage ? s_slot(s, stage) : -1;
#define IS(m) (nlen == sizeof(m) - 1 && !strncmp(line, m, nlen))
        if (IS("pressline_articles_total") && strstr(labels, "\"published\""))
            s->published = v;
        else if (IS("pressline_articles_total") && strstr(labels, "\"failed\""))
            s->failed = v;
        else if (IS("pressline_in_flight"))
            s->in_flight = v;
        else if (IS("pressline_queued"))
            s->queued = v;
        else if (IS("pressline_intake_paused"))
            s->paused = v;
        else if (IS("pressline_workers") && k >= 0)
            s->st[k].workers = v;
        else if (IS("pressline_stage_seconds_sum") && k >= 0)
            s->st[k].sum = v;
        else if (IS("pressline_stage_seconds_count") && k >= 0)
            s->st[k].count = v;
#undef IS
    }
}

/* Prints the state; returns 0 ready, 1 not. */
static int s_print(const char *ready_body, int ready_code, struct shown *s)
{
    bool ready = ready_code == 200;
    cJSON *j = cJSON_Parse(ready_body);
    const cJSON *reasons = cJSON_GetObjectItemCaseSensitive(j, "reasons");
    if (ready) {
        printf("ready\n");
    } else {
        printf("not ready");
        const cJSON *r;
        int i = 0;
        cJSON_ArrayForEach(r, reasons)
        {
            if (cJSON_IsString(r))
                printf("%s%s", i++ ? "; " : ": ", r->valuestring);
        }
        if (!i)
            printf(" (HTTP %d)", ready_code);
        printf("\n");
    }
    cJSON_Delete(j);
    printf("  %.0f published, %.0f failed, %.0f in flight, %.0f queued, intake %s\n", s->published,
           s->failed, s->in_flight, s->queued,
           s->paused > 0 ? "paused (results cannot be written)" : "running");
    for (size_t i = 0; i < s->nstages; i++) {
        printf("  %s: %.0f worker%s", s->st[i].name, s->st[i].workers,
               s->st[i].workers == 1 ? "" : "s");
        if (s->st[i].count > 0)
            printf(", mean %.1f ms over %.0f answer%s\n", 1000.0 * s->st[i].sum / s->st[i].count,
                   s->st[i].count, s->st[i].count == 1 ? "" : "s");
        else
            printf(", no answers yet\n");
    }
    return ready ? 0 : 1;
}

static void s_usage(FILE *f)
{
    fprintf(f, "usage: pressline status [--http HOST:PORT] [--config FILE]\n"
               "  asks presslined's HTTP endpoint (default: http.listen of FILE, or of the\n"
               "  built-in configuration, 127.0.0.1:5558) whether it is ready, and prints\n"
               "  its counters; exit 0 ready, 1 not ready, 2 no daemon answered\n");
}

/* The address to ask: --http, else http.listen of the configuration.
 * Returns 0, or 2 with the reason said. */
static int s_address(const char *http, const char *config, char host[PL_LISTEN_HOST_MAX], int *port)
{
    char *from_config = NULL;
    if (!http) {
        struct pl_config *cfg = pl_config_load_for(config, "status");
        if (!cfg)
            return 2;
        if (!*cfg->http_listen) {
            fprintf(stderr,
                    "pressline status: http.listen is \"\" in %s: the daemon serves no HTTP "
                    "endpoint to ask\n",
                    config ? config : "the built-in configuration");
            pl_config_free(&cfg);
            return 2;
        }
        from_config = strdup(cfg->http_listen);
        pl_config_free(&cfg);
        if (!from_config)
            return 2;
        http = from_config;
    }
    int rc = pl_listen_parse(http, host, port);
    if (rc != 0)
        fprintf(stderr,
                "pressline status: --http \"%s\" is not HOST:PORT (an IPv4 address, "
                "[IPv6 address] or localhost, and a port from 1 to 65535)\n",
                http);
    free(from_config);
    return rc ? 2 : 0;
}

int pl_status_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "http", required_argument, NULL, 'H' },
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *http = NULL, *config = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'H': http = optarg; break;
        case 'c': config = optarg; break;
        case 'h': s_usage(stdout); return 0;
        default: s_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pressline status: unexpected argument \"%s\"\n", argv[optind]);
        s_usage(stderr);
        return 2;
    }
    char host[PL_LISTEN_HOST_MAX];
    int port;
    if (s_address(http, config, host, &port) != 0)
        return 2;
    int ready_code = 0, metrics_code = 0;
    char *ready = NULL, *metrics = NULL;
    int rc = s_get(host, port, "/ready", &ready_code, &ready);
    if (rc == 0)
        rc = s_get(host, port, "/metrics", &metrics_code, &metrics);
    if (rc == 0 && metrics_code != 200)
        rc = -EPROTO;
    if (rc != 0) {
        char eb[128];
        fprintf(stderr, "pressline status: no daemon answers on http://%s%s%s:%d/ (%s)\n",
                strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", port,
                rc == -EPROTO ? "not a presslined HTTP endpoint" : pl_strerror(rc, eb, sizeof(eb)));
        free(ready);
        free(metrics);
        return 2;
    }
    struct shown s = { 0 };
    s_read_metrics(metrics, &s);
    rc = s_print(ready, ready_code, &s);
    free(ready);
    free(metrics);
    return rc;
}
