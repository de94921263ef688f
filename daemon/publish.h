/*
 * The PUB socket subscribers connect to. Every message is two frames:
 * [topic][JSON] with topics "article", "error" and "status". The high-water
 * mark is set from the configuration; linger is bounded so shutdown never
 * hangs on a slow subscriber. Loop thread only.
 */
#ifndef PL_PUBLISH_H
#define PL_PUBLISH_H

#include <stddef.h>

#include "zsock.h"

struct pl_publisher {
    void *sock;
    struct pl_zsock_guard guard; /* caps its connections, see zsock.h */
};

/* Binds a PUB socket at endpoint and guards its connections (zsock.h).
 * Returns 0, or -errno (libzmq's) with err naming the endpoint. */
int pl_publisher_open(struct pl_publisher *p, void *zctx, const char *endpoint, int hwm,
                      const char *curve_secret, char *err, size_t errlen);

/* Publishes [topic][json]. Never blocks. Returns 0 or -errno. */
int pl_publisher_send(struct pl_publisher *p, const char *topic, const char *json, size_t len);

void pl_publisher_close(struct pl_publisher *p);

#endif
