/*
 * systemd's notify protocol (sd_notify(3), from libsystemd): READY=1 once
 * the daemon can do its work, STATUS= lines for `systemctl status`,
 * WATCHDOG=1 pings, RELOADING=1 around a reload and STOPPING=1 on the way
 * out. Without NOTIFY_SOCKET in the environment (not started by systemd as
 * Type=notify, or by a test posing as it) every call is a no-op.
 *
 * The service calls these from the loop thread (ops.c decides when); the
 * reload (SIGHUP) calls pl_notify_reloading() before it reads the
 * configuration again and pl_notify_ready() once the new one is in place or
 * refused. libsystemd's sd_notify opens a datagram socket per call, so the
 * functions are safe from any thread, but are meant for the loop's.
 */
#ifndef PL_NOTIFY_H
#define PL_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* Whether a service manager listens (NOTIFY_SOCKET is set). */
bool pl_notify_enabled(void);

/* The watchdog period systemd asks for, in microseconds (WATCHDOG_USEC,
 * for this process when WATCHDOG_PID is set), or 0 when there is none or
 * nobody listens. Pings go at half of it. */
uint64_t pl_notify_watchdog_usec(void);

/* READY=1: started, or back from a reload. */
void pl_notify_ready(void);

/* RELOADING=1 with MONOTONIC_USEC= (CLOCK_MONOTONIC now), which systemd
 * 253 and later want to tell this reload from an earlier one. */
void pl_notify_reloading(void);

/* STOPPING=1: a stop was asked for (SIGTERM, SIGINT). */
void pl_notify_stopping(void);

/* WATCHDOG=1: the loop runs and every stage has a live worker. */
void pl_notify_watchdog(void);

/* STATUS=<text>: one line for `systemctl status`. */
void pl_notify_status(const char *text);

#endif
