/* Publisher; see publish.h. */
#include "publish.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "zsock.h"

int pl_publisher_open(struct pl_publisher *p, void *zctx, const char *endpoint, int hwm,
                      const char *curve_secret, char *err, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    p->sock = zmq_socket(zctx, ZMQ_PUB);
    if (!p->sock) {
        int rc = -zmq_errno();
        snprintf(err, errlen, "cannot create the PUB socket: %s", zmq_strerror(-rc));
        return rc;
    }
    int linger = 1000;
    zmq_setsockopt(p->sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(p->sock, ZMQ_LINGER, &linger, sizeof(linger));
    int brc = pl_zsock_bind(p->sock, endpoint, curve_secret);
    if (brc != 0) {
        snprintf(err, errlen, "cannot bind the publish endpoint %s: %s", endpoint,
                 zmq_strerror(-brc));
        zmq_close(p->sock);
        p->sock = NULL;
        return brc;
    }
    brc = pl_zsock_guard_start(&p->guard, zctx, p->sock, PL_ZSOCK_GUARDED);
    if (brc != 0) {
        snprintf(err, errlen, "cannot guard the publish endpoint %s: %s", endpoint,
                 zmq_strerror(-brc));
        zmq_close(p->sock);
        p->sock = NULL;
        return brc;
    }
    return 0;
}

int pl_publisher_send(struct pl_publisher *p, const char *topic, const char *json, size_t len)
{
    if (zmq_send(p->sock, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(p->sock, json, len, ZMQ_DONTWAIT) < 0)
        return -zmq_errno();
    return 0;
}

void pl_publisher_close(struct pl_publisher *p)
{
    if (p->sock) {
        pl_zsock_guard_stop(&p->guard, p->sock);
        zmq_close(p->sock);
    }
    p->sock = NULL;
}
