/* ZeroMQ socket helpers; see zsock.h. */
#include "zsock.h"

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
