/*
 * The HTTP endpoint (http.listen): GET /metrics (Prometheus text), /health
 * (200 while the loop ticks) and /ready (200 when every stage has a live
 * worker and intake runs, else 503 with a JSON body saying why); other paths
 * 404, methods other than GET and HEAD 405.
 *
 * libmicrohttpd serves it on a thread of its own (internal polling thread,
 * epoll where there is one, as the daemon's descriptors can pass
 * FD_SETSIZE); its handler reads nothing of the daemon but a snapshot of
 * struct pl_metrics (metrics.h), so no request can block or race the libuv
 * loop. The service starts and stops it from the loop thread.
 */
#ifndef PL_HTTP_H
#define PL_HTTP_H

#include <stddef.h>

struct pl_metrics;
struct pl_http;

/* Binds listen ("HOST:PORT", checked by the configuration) and starts
 * serving m, which is borrowed until pl_http_stop. Returns 0 with *out, or
 * -errno (-EADDRINUSE for a port in use) with err naming http.listen and
 * the reason. */
int pl_http_start(struct pl_http **out, const char *listen, struct pl_metrics *m, char *err,
                  size_t errlen);

/* Stops the thread, closes the socket and frees *h; sets it to NULL. NULL
 * is allowed. */
void pl_http_stop(struct pl_http **h);

#endif
