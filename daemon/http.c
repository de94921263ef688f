/* The HTTP endpoint on libmicrohttpd; see http.h. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "metrics.h"

struct pl_http {
    struct MHD_Daemon *mhd;
    int fd; /* the listening socket (bound here, served by MHD) */
    struct pl_metrics *metrics;
};

/* Queues a response of status with body (copied) and its content type. */
static enum MHD_Result s_reply(struct MHD_Connection *c, unsigned status, const char *type,
                               const char *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    /* Probes and scrapes must see the state now, never a cached one. */
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result s_metrics(struct MHD_Connection *c, const struct pl_metrics_data *d)
{
    char *text = NULL;
    size_t len = 0;
    if (pl_metrics_render(d, &text, &len) != 0)
        return s_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "out of memory\n", 14);
    enum MHD_Result rc =
        s_reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, len);
    free(text);
    return rc;
}

/* The request handler, on MHD's thread. A GET has no body, so it is
 * answered on the first call. */
static enum MHD_Result s_answer(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_len, void **req)
{
    struct pl_http *h = cls;
    (void)version;
    (void)upload;
    (void)upload_len;
    (void)req;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        static const char msg[] = "only GET and HEAD\n";
        return s_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", msg, sizeof(msg) - 1);
    }
    bool metrics = !strcmp(url, "/metrics"), health = !strcmp(url, "/health"),
         ready = !strcmp(url, "/ready");
    if (!metrics && !health && !ready) {
        static const char msg[] = "not found: try /metrics, /health or /ready\n";
        return s_reply(c, MHD_HTTP_NOT_FOUND, "text/plain", msg, sizeof(msg) - 1);
    }
    struct pl_metrics_data d;
    pl_metrics_snapshot(h->metrics, &d);
    if (metrics)
        return s_metrics(c, &d);
    char json[2048];
    bool ok = health ? pl_metrics_healthy(&d, pl_metrics_now_ms(), json, sizeof(json))
                     : pl_metrics_ready(&d, json, sizeof(json));
    size_t n = strlen(json);
    if (n + 1 < sizeof(json))
        json[n++] = '\n';
    return s_reply(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "application/json", json, n);
}

/* libmicrohttpd's own complaints (a connection it could not take) go to the
 * daemon's log. */
static void s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    PL_WARN("http: %s", msg);
}

/* The listening socket for listen: bound and listening, so that a port in
 * use fails here with its errno rather than inside MHD without one. Returns
 * the descriptor or -errno. */
static int s_listen(const char *listen_at)
{
    char host[PL_LISTEN_HOST_MAX];
    int port;
    if (pl_listen_parse(listen_at, host, &port) != 0)
        return -EINVAL;
    struct sockaddr_storage ss;
    unsigned sl;
    if (pl_listen_sockaddr(host, port, &ss, &sl) != 0)
        return -EINVAL;
    bool v6 = ss.ss_family == AF_INET6;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    /* A restart must not wait for the old connections' TIME_WAIT. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (v6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 64) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int pl_http_start(struct pl_http **out, const char *listen_at, struct pl_metrics *m, char *err,
                  size_t errlen)
{
    char eb[128];
    struct pl_http *h = calloc(1, sizeof(*h));
    if (!h) {
        snprintf(err, errlen, "http.listen %s: out of memory", listen_at);
        return -ENOMEM;
    }
    h->metrics = m;
    h->fd = s_listen(listen_at);
    if (h->fd < 0) {
        int rc = h->fd;
        snprintf(err, errlen, "http.listen %s: cannot listen there: %s%s", listen_at,
                 pl_strerror(rc, eb, sizeof(eb)),
                 rc == -EADDRINUSE ? " (another program has the port; set http.listen to a free "
                                     "one, or \"\" for no HTTP endpoint)"
                                   : "");
        free(h);
        return rc;
    }
    /* The logger first: MHD says so itself, as options before it may log
     * through its default one. */
    h->mhd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC, 0,
                              NULL, NULL, s_answer, h, MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, NULL,
                              MHD_OPTION_LISTEN_SOCKET, h->fd,
                              /* Scrapes and probes are few: a handful of connections, each given
                               * ten seconds, so idle ones cannot pile up. */
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (!h->mhd) {
        /* The socket is left open: whether a failed start closed it is not
         * said, and a second close could hit another descriptor; the daemon
         * exits after this anyway. */
        snprintf(err, errlen, "http.listen %s: libmicrohttpd would not start", listen_at);
        free(h);
        return -EIO;
    }
    *out = h;
    return 0;
}

void pl_http_stop(struct pl_http **ph)
{
    struct pl_http *h = *ph;
    if (!h)
        return;
    /* Quiesced first, MHD hands the socket back instead of closing it
     * itself, so it is closed exactly once, here. */
    MHD_socket fd = MHD_quiesce_daemon(h->mhd);
    MHD_stop_daemon(h->mhd);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    free(h);
    *ph = NULL;
}
