/*
 * ZeroMQ socket helpers shared by the daemon's sockets (broker, publisher,
 * replay): one way to bind, one way to ask whether an edge-triggered socket
 * still has input; and a guard that keeps a listening socket from taking
 * every descriptor. Loop thread only (each touches only its socket), except
 * the guard's own thread, which touches only its monitor socket.
 */
#ifndef PL_ZSOCK_H
#define PL_ZSOCK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

/* Binds sock at endpoint: ipc socket files owner-only whatever the umask,
 * tcp endpoints CURVE servers when curve_secret is not empty. Returns 0 or
 * -errno (zmq's). */
int pl_zsock_bind(void *sock, const char *endpoint, const char *curve_secret);

/* True while sock has a message to read. ZMQ_FD is edge-triggered: drain
 * until this says false, after every wake-up and every send. */
bool pl_zsock_readable(void *sock);

/* Descriptors a guard leaves to the rest of the daemon (inbox scans, the
 * files it reads and writes, the workers' sockets) under RLIMIT_NOFILE. */
#define PL_ZSOCK_FD_RESERVE 96

/* How many sockets share the connection budget: the publisher and replay. */
#define PL_ZSOCK_GUARDED 2

/* Caps the connections a bound socket keeps. libzmq accepts on its own I/O
 * thread and has no per-socket cap, so the guard watches the socket's
 * monitor (ZMQ_EVENT_ACCEPTED / DISCONNECTED) on a thread of its own and
 * shuts down (shutdown(2), never close: the descriptor stays libzmq's) each
 * connection past the cap; libzmq then sees the peer gone and closes it.
 * The cap is (soft RLIMIT_NOFILE - PL_ZSOCK_FD_RESERVE) / shares, read
 * again at every connection, so each of shares guarded sockets gets its
 * part of whatever limit the process has now. */
struct pl_zsock_guard {
    void *mon; /* PAIR end of the monitor, the guard thread's */
    pthread_t thread;
    atomic_bool stop;
    bool running;
    int shares;
    int family;          /* of the listening address (AF_UNSPEC: none) */
    unsigned short port; /* network order, for tcp */
    int open;            /* connections libzmq holds now */
    unsigned long shut;  /* connections refused past the cap */
};

/* Starts a guard on sock (bound, owned by the caller, outliving the
 * guard). Returns 0 or -errno (zmq's, or pthread_create's). */
int pl_zsock_guard_start(struct pl_zsock_guard *g, void *zctx, void *sock, int shares);

/* Stops the guard and frees what it holds; sock stays the caller's. Safe
 * on a guard that never started (zeroed). */
void pl_zsock_guard_stop(struct pl_zsock_guard *g, void *sock);

#endif
