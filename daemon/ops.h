/*
 * What the daemon tells the people and programs that run it: the metrics
 * snapshot the HTTP endpoint serves (metrics.h, http.h) and systemd's
 * notifications (notify.h). Driven from the loop thread: after every loop
 * iteration (a uv_check) and every PL_METRICS_TICK_MS (a timer, so an idle
 * loop still shows it is alive) it asks the service for its figures and
 * publishes them; once every stage has a live worker and the inbox is
 * watched it sends READY=1; on the watchdog timer (half of WATCHDOG_USEC) it
 * pings, but only while every stage has a live worker, so a stuck loop (no
 * timer runs) or a stage left without workers lets systemd's watchdog fire.
 * The service owns it; the HTTP thread only reads the snapshot.
 */
#ifndef PL_OPS_H
#define PL_OPS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "metrics.h"

struct pl_config;
struct pl_ops;

/* Fills d with the service's figures now (every field but tick_ms). */
typedef void (*pl_ops_fill_cb)(struct pl_ops *o, struct pl_metrics_data *d);

struct pl_ops {
    void *data; /* the service's back-pointer */
    uv_loop_t *loop;
    pl_ops_fill_cb fill;
    struct pl_metrics metrics;
    struct pl_http *http;
    uv_check_t check;
    uv_timer_t tick, watchdog;
    int open_handles;
    bool started;         /* handles initialised: pl_ops_close must close them */
    bool ready_sent;      /* READY=1 went out (and is not owed again after a reload) */
    uint64_t watchdog_ms; /* ping period; 0: no watchdog */
    bool withheld;        /* the last ping was withheld (logged once per spell) */
    unsigned dead_checks; /* watchdog checks in a row that found a stage without a live worker */
    uint64_t started_ms;  /* pl_metrics_now_ms() at start */
    bool said_waiting;    /* "not ready yet" was logged */
};

/* Starts the HTTP endpoint (unless cfg's http.listen is "") and the
 * handles. o->data must be set. Returns 0, or the code of the failure with
 * the reason logged (a port in use names http.listen); then nothing is left
 * to close. */
int pl_ops_start(struct pl_ops *o, uv_loop_t *loop, const struct pl_config *cfg,
                 pl_ops_fill_cb fill);

/* Sends STATUS= with the figures now (the service's status timer). */
void pl_ops_status(struct pl_ops *o);

/* A stop was asked for: STOPPING=1, and /ready answers 503 from now on. */
void pl_ops_stopping(struct pl_ops *o);

/* For the reload (another part of issue 16): owe READY=1 again, sent as
 * soon as every stage has a live worker, after RELOADING=1. */
void pl_ops_reloading(struct pl_ops *o);

/* Closes the handles (the loop must run to let them go). The HTTP endpoint
 * keeps answering from the last snapshot until pl_ops_free. */
void pl_ops_close(struct pl_ops *o);

/* Stops the HTTP thread and frees what is left, once the loop is done. */
void pl_ops_free(struct pl_ops *o);

#endif
