/*
 * The daemon's counters as the HTTP endpoint serves them (http.c): articles
 * published and failed, each stage's time from job sent to answer as a
 * histogram and its retries, the gauges (in flight, queued, intake paused,
 * live workers per stage, last seq), replay requests, and the loop's tick,
 * which /health judges.
 *
 * The loop thread owns the live figures (the broker's stage statistics, the
 * service's counters) and, after every loop iteration and on a timer, copies
 * them into a struct pl_metrics_data under the mutex (pl_metrics_publish).
 * The HTTP thread takes a copy under the same mutex (pl_metrics_snapshot)
 * and renders from it without holding the lock, so a scrape never blocks the
 * loop for longer than one memcpy and never sees half an update. Rendering
 * and the probes' judgements are pure functions of a snapshot, unit-tested.
 */
#ifndef PL_METRICS_H
#define PL_METRICS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* The upper bounds (seconds) of pressline_stage_seconds' buckets, +Inf
 * apart: from a pass-through stage (well under a millisecond) to a large
 * article in a slow one (tens of seconds; see the timeouts). */
#define PL_HIST_BUCKETS 14
extern const double pl_hist_bounds[PL_HIST_BUCKETS];

/* /health answers 503 once the loop's last tick is older than this. The loop
 * ticks at least every PL_METRICS_TICK_MS, and nothing it runs blocks for
 * seconds, so five seconds without one means it is stuck. */
#define PL_HEALTH_STALE_MS 5000
#define PL_METRICS_TICK_MS 250

/* One histogram: counts per bucket (not cumulative; the +Inf bucket is
 * count), their sum and count. */
struct pl_hist {
    uint64_t bucket[PL_HIST_BUCKETS];
    uint64_t count;
    double sum;
};

/* Adds one observation of seconds to h. */
void pl_hist_observe(struct pl_hist *h, double seconds);

/* Adds every observation of x to h. */
void pl_hist_add(struct pl_hist *h, const struct pl_hist *x);

struct pl_stage_metrics {
    char name[PL_STAGE_NAME_MAX];
    struct pl_hist seconds;  /* job sent to DONE or FAIL, measured in the broker */
    uint64_t retries;        /* attempts sent again after a timeout or a dead worker */
    int workers;             /* live workers now */
    bool threads;            /* its workers are threads of the daemon (spawn "thread") */
    uint64_t process_cpu_ns; /* their CPU time inside the plugin's process() */
};

/* Everything a scrape or a probe needs, copied as a whole. */
struct pl_metrics_data {
    size_t nstages;
    struct pl_stage_metrics stages[PL_MAX_STAGES];
    uint64_t published, failed;
    uint64_t replay_requests;
    uint64_t last_seq;
    uint64_t in_flight, queued;
    bool intake_paused;  /* results cannot be written */
    bool watching;       /* the inbox watcher is running */
    bool stopping;       /* SIGTERM/SIGINT received */
    bool reload_waiting; /* a reload's new stages wait for the old ones' endpoints */
    uint64_t tick_ms;    /* CLOCK_MONOTONIC ms of the loop's last publish */
};

struct pl_metrics {
    pthread_mutex_t mu;
    struct pl_metrics_data d; /* under mu */
};

/* Initialises m with no stages. Returns 0 or -errno of the mutex. */
int pl_metrics_init(struct pl_metrics *m);
void pl_metrics_destroy(struct pl_metrics *m);

/* Loop thread: replaces m's figures with d (copied under the mutex). */
void pl_metrics_publish(struct pl_metrics *m, const struct pl_metrics_data *d);

/* Any thread: copies m's figures into out. */
void pl_metrics_snapshot(struct pl_metrics *m, struct pl_metrics_data *out);

/* CLOCK_MONOTONIC in ms, the clock of tick_ms. */
uint64_t pl_metrics_now_ms(void);

/* The Prometheus text exposition (format 0.0.4) of d, with # HELP and
 * # TYPE lines. Returns 0 with *out (caller frees) and *len, or -ENOMEM. */
int pl_metrics_render(const struct pl_metrics_data *d, char **out, size_t *len);

/* Whether the daemon is ready: every stage has a live worker, the inbox is
 * watched, intake is not paused and no stop was asked for. Writes a JSON
 * object saying so, {"ready":true} or {"ready":false,"reasons":[...]}, into
 * json (cut to jsonlen). Pure. */
bool pl_metrics_ready(const struct pl_metrics_data *d, char *json, size_t jsonlen);

/* Whether the loop is alive at now_ms: its last tick is at most
 * PL_HEALTH_STALE_MS old. Writes {"status":"ok"|"stalled","tick_age_ms":N}
 * into json. Pure. */
bool pl_metrics_healthy(const struct pl_metrics_data *d, uint64_t now_ms, char *json,
                        size_t jsonlen);

#endif
