/*
 * A datagram socket posing as systemd's notify socket, for the tests of
 * daemon/notify.c and of the daemon's notifications: bound at a path, read
 * with bounded waits. Test code only.
 */
#ifndef PL_TEST_NOTIFY_SOCKET_H
#define PL_TEST_NOTIFY_SOCKET_H

#include <stddef.h>

/* Binds an AF_UNIX datagram socket at path. Returns the descriptor or -1. */
int tn_open(const char *path);

/* Receives one message within timeout_ms into buf (NUL-terminated).
 * Returns its length, or -1 on timeout. */
int tn_recv(int fd, int timeout_ms, char *buf, size_t len);

/* Whether msg (lines "KEY=VALUE") has the line `line`, or with prefix set,
 * a line starting with it. */
int tn_has(const char *msg, const char *line, int prefix);

#endif
