/*
 * ZeroMQ socket helpers shared by the daemon's sockets (broker, publisher,
 * replay): one way to bind, one way to ask whether an edge-triggered socket
 * still has input. Loop thread only (each touches only its socket).
 */
#ifndef PL_ZSOCK_H
#define PL_ZSOCK_H

#include <stdbool.h>

/* Binds sock at endpoint: ipc socket files owner-only whatever the umask,
 * tcp endpoints CURVE servers when curve_secret is not empty. Returns 0 or
 * -errno (zmq's). */
int pl_zsock_bind(void *sock, const char *endpoint, const char *curve_secret);

/* True while sock has a message to read. ZMQ_FD is edge-triggered: drain
 * until this says false, after every wake-up and every send. */
bool pl_zsock_readable(void *sock);

#endif
