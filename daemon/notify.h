/*
 * What the daemon tells systemd (the notify protocol). Only the two calls a
 * reload needs are declared here: RELOADING=1 when a reload starts and
 * READY=1 when it ends, accepted or refused. Loop thread.
 *
 * TODO(lead): issue 16 point 1 (the sd_notify part) writes daemon/notify.c
 * with these two names; when it is merged, keep its notify.h and delete
 * notify_stub.c (weak no-ops, so either order of merging links).
 */
#ifndef PL_NOTIFY_H
#define PL_NOTIFY_H

/* Sends RELOADING=1 (when systemd listens). */
void pl_notify_reloading(void);

/* Sends READY=1 (when systemd listens). */
void pl_notify_ready(void);

#endif
