/* ZeroMQ socket helpers; see zsock.h. */
#include "zsock.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <zmq.h>

#include "curve.h"

int pl_zsock_bind(void *sock, const char *endpoint, const char *curve_secret)
{
    int rc = pl_curve_server(sock, endpoint, curve_secret);
    if (rc != 0)
        return rc;
    mode_t old = umask(0077);
    rc = zmq_bind(sock, endpoint);
    int e = zmq_errno();
    umask(old);
    return rc == 0 ? 0 : -e;
}

bool pl_zsock_readable(void *sock)
{
    int events = 0;
    size_t len = sizeof(events);
    return sock && zmq_getsockopt(sock, ZMQ_EVENTS, &events, &len) == 0 && (events & ZMQ_POLLIN);
}

/* A monitor event's first frame: the event (16 bits) and its value (32
 * bits, the connection's descriptor for ACCEPTED and DISCONNECTED). */
static int s_read_event(void *mon, uint16_t *event, int32_t *value)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    int rc = zmq_msg_recv(&m, mon, 0);
    if (rc < 0) {
        zmq_msg_close(&m);
        return -zmq_errno();
    }
    bool ok = zmq_msg_size(&m) == 6;
    if (ok) {
        memcpy(event, zmq_msg_data(&m), sizeof(*event));
        memcpy(value, (char *)zmq_msg_data(&m) + 2, sizeof(*value));
    }
    /* The second frame names the endpoint; the guard does not need it. */
    while (zmq_msg_more(&m)) {
        zmq_msg_close(&m);
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, mon, 0) < 0)
            break;
    }
    zmq_msg_close(&m);
    return ok ? 0 : -EPROTO;
}

static int s_cap(int shares)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > INT_MAX)
        return INT_MAX;
    int room = (int)rl.rlim_cur - PL_ZSOCK_FD_RESERVE;
    return room > shares ? room / shares : 1;
}

/* libzmq may have closed fd (its DISCONNECTED not read yet) and the number
 * been reused, so fd is shut down only while it is still a connection to
 * the guarded endpoint: a reused number is then at worst another
 * connection past the same cap, never a file. */
static bool s_still_ours(const struct pl_zsock_guard *g, int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int listening = 1;
    socklen_t ilen = sizeof(listening);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 || ss.ss_family != g->family ||
        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ilen) != 0 || listening)
        return false;
    if (ss.ss_family == AF_INET)
        return ((struct sockaddr_in *)&ss)->sin_port == g->port;
    if (ss.ss_family == AF_INET6)
        return ((struct sockaddr_in6 *)&ss)->sin6_port == g->port;
    return true;
}

/* Where sock listens: the family and port s_still_ours compares with. */
static void s_listen_addr(struct pl_zsock_guard *g, void *sock)
{
    char ep[256] = "";
    size_t len = sizeof(ep);
    g->family = AF_UNSPEC;
    if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, ep, &len) != 0)
        return;
    if (!strncmp(ep, "ipc://", 6)) {
        g->family = AF_UNIX;
        return;
    }
    const char *colon = strrchr(ep, ':');
    if (strncmp(ep, "tcp://", 6) || !colon)
        return;
    g->family = strchr(ep + 6, '[') ? AF_INET6 : AF_INET;
    g->port = htons((uint16_t)strtol(colon + 1, NULL, 10));
}

static void *s_guard_main(void *arg)
{
    struct pl_zsock_guard *g = arg;
    while (!atomic_load(&g->stop)) {
        uint16_t event = 0;
        int32_t fd = -1;
        int rc = s_read_event(g->mon, &event, &fd);
        if (rc == -ETERM)
            break; /* the context is shutting down */
        if (rc != 0)
            continue; /* the receive timeout: look at stop again */
        if (event == ZMQ_EVENT_DISCONNECTED) {
            g->open--;
        } else if (event == ZMQ_EVENT_ACCEPTED) {
            g->open++;
            if (g->open > s_cap(g->shares) && s_still_ours(g, fd) && shutdown(fd, SHUT_RDWR) == 0)
                g->shut++;
        }
    }
    return NULL;
}

int pl_zsock_guard_start(struct pl_zsock_guard *g, void *zctx, void *sock, int shares)
{
    memset(g, 0, sizeof(*g));
    g->shares = shares > 0 ? shares : 1;
    s_listen_addr(g, sock);
    char ep[64];
    snprintf(ep, sizeof(ep), "inproc://pl-guard-%p", sock);
    if (zmq_socket_monitor(sock, ep, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) != 0)
        return -zmq_errno();
    g->mon = zmq_socket(zctx, ZMQ_PAIR);
    int timeout = 200, linger = 0;
    if (!g->mon || zmq_setsockopt(g->mon, ZMQ_RCVTIMEO, &timeout, sizeof(timeout)) != 0 ||
        zmq_setsockopt(g->mon, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_connect(g->mon, ep) != 0) {
        int rc = -zmq_errno();
        pl_zsock_guard_stop(g, sock);
        return rc;
    }
    int rc = pthread_create(&g->thread, NULL, s_guard_main, g);
    if (rc != 0) {
        pl_zsock_guard_stop(g, sock);
        return -rc;
    }
    g->running = true;
    return 0;
}

void pl_zsock_guard_stop(struct pl_zsock_guard *g, void *sock)
{
    if (g->running) {
        atomic_store(&g->stop, true);
        pthread_join(g->thread, NULL);
        g->running = false;
    }
    if (g->mon) {
        zmq_socket_monitor(sock, NULL, 0);
        zmq_close(g->mon);
        g->mon = NULL;
    }
}
