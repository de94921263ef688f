/* Metrics publishing and systemd notifications; see ops.h. */
#include "ops.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "http.h"
#include "log.h"
#include "notify.h"

/* Whether every stage has a live worker. */
static bool s_all_live(const struct pl_metrics_data *d)
{
    for (size_t i = 0; i < d->nstages; i++)
        if (d->stages[i].workers <= 0)
            return false;
    return d->nstages > 0;
}

/* Takes the service's figures, stamps them and publishes them; returns them
 * in d. */
static void s_refresh(struct pl_ops *o, struct pl_metrics_data *d)
{
    memset(d, 0, sizeof(*d));
    o->fill(o, d);
    d->tick_ms = pl_metrics_now_ms();
    pl_metrics_publish(&o->metrics, d);
}

/* The STATUS= line of d. */
static void s_status_line(const struct pl_metrics_data *d, char *out, size_t n)
{
    int live = 0;
    for (size_t i = 0; i < d->nstages; i++)
        live += d->stages[i].workers > 0;
    snprintf(out, n,
             "%llu processed, %llu failed, %llu in flight, %llu queued, intake %s; %d of %zu "
             "stages with a live worker",
             (unsigned long long)d->published, (unsigned long long)d->failed,
             (unsigned long long)d->in_flight, (unsigned long long)d->queued,
             d->stopping        ? "stopped (shutting down)"
             : d->intake_paused ? "paused (results cannot be written)"
                                : "running",
             live, d->nstages);
}

/* How long a start may wait for workers before the log says which stage
 * holds READY=1 back (a "spawn": "none" stage whose workers are not there
 * keeps a Type=notify unit starting). */
#define PL_OPS_WAITING_MS 10000

/* The names of the stages without a live worker, "a, b", into out. */
static void s_dead_stages(const struct pl_metrics_data *d, char *out, size_t n)
{
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < d->nstages && at < n; i++)
        if (d->stages[i].workers <= 0)
            at += (size_t)snprintf(out + at, n - at, "%s%s", at ? ", " : "", d->stages[i].name);
}

/* READY=1 once the configuration is in, every stage has a live worker and
 * the inbox is watched. */
static void s_maybe_ready(struct pl_ops *o, const struct pl_metrics_data *d)
{
    if (o->ready_sent || d->stopping || d->reload_waiting)
        return;
    if (!d->watching || !s_all_live(d)) {
        if (!o->said_waiting && d->tick_ms >= o->started_ms + PL_OPS_WAITING_MS) {
            char names[512];
            s_dead_stages(d, names, sizeof(names));
            o->said_waiting = true;
            PL_WARN("not ready after %d s: no live worker yet in stage %s",
                    PL_OPS_WAITING_MS / 1000, names);
        }
        return;
    }
    o->ready_sent = true;
    pl_notify_ready();
    char line[256];
    s_status_line(d, line, sizeof(line));
    pl_notify_status(line);
    PL_INFO("ready: every stage has a live worker and the inbox is watched");
}

static void s_on_check(uv_check_t *c)
{
    struct pl_ops *o = c->data;
    struct pl_metrics_data d;
    s_refresh(o, &d);
    s_maybe_ready(o, &d);
}

static void s_on_tick(uv_timer_t *t)
{
    struct pl_ops *o = t->data;
    struct pl_metrics_data d;
    s_refresh(o, &d);
    s_maybe_ready(o, &d);
}

/* The watchdog's ping: that this timer runs says the loop runs; the stages
 * must also have live workers, or the service is up but useless, and
 * systemd should restart it. */
static void s_on_watchdog(uv_timer_t *t)
{
    struct pl_ops *o = t->data;
    struct pl_metrics_data d;
    s_refresh(o, &d);
    /* A stage may be without a live worker for a moment: the new stages of
     * a reload start their workers, a crashed worker process is replaced.
     * Only two checks in a row without one (half of WatchdogSec apart)
     * hold the ping back, so such a moment neither costs a ping nor fills
     * the log, and a service really without workers still goes without
     * pings for all of WatchdogSec. */
    bool live = s_all_live(&d);
    o->dead_checks = live ? 0 : o->dead_checks + 1;
    if (live || o->dead_checks < 2) {
        if (o->withheld)
            PL_INFO("every stage has a live worker again; pinging systemd's watchdog again");
        o->withheld = false;
        pl_notify_watchdog();
    } else if (!o->withheld) {
        char names[512];
        s_dead_stages(&d, names, sizeof(names));
        o->withheld = true;
        PL_WARN("no live worker in stage %s: not pinging systemd's watchdog, which restarts the "
                "service once WatchdogSec passes without one",
                names);
    }
}

int pl_ops_start(struct pl_ops *o, uv_loop_t *loop, const struct pl_config *cfg,
                 pl_ops_fill_cb fill)
{
    void *data = o->data;
    memset(o, 0, sizeof(*o));
    o->data = data;
    o->loop = loop;
    o->fill = fill;
    o->started_ms = pl_metrics_now_ms();
    o->dead_checks = 2; /* no ping before the stages have had a live worker once */
    int rc = pl_metrics_init(&o->metrics);
    if (rc != 0) {
        PL_ERR("cannot set up the metrics: out of resources");
        return rc;
    }
    /* Published before the endpoint opens, so that the first scrape sees
     * the stages (with no workers yet), not an empty daemon. */
    struct pl_metrics_data d;
    s_refresh(o, &d);
    if (*cfg->http_listen) {
        char err[512];
        rc = pl_http_start(&o->http, cfg->http_listen, &o->metrics, err, sizeof(err));
        if (rc != 0) {
            PL_ERR("%s", err);
            pl_metrics_destroy(&o->metrics);
            return rc;
        }
        PL_INFO("metrics and probes on http://%s/ (/metrics, /health, /ready)", cfg->http_listen);
    }
    uv_check_init(loop, &o->check);
    uv_timer_init(loop, &o->tick);
    uv_timer_init(loop, &o->watchdog);
    o->check.data = o->tick.data = o->watchdog.data = o;
    o->open_handles = 3;
    o->started = true;
    uv_check_start(&o->check, s_on_check);
    uv_timer_start(&o->tick, s_on_tick, PL_METRICS_TICK_MS, PL_METRICS_TICK_MS);
    uint64_t usec = pl_notify_watchdog_usec();
    if (usec) {
        o->watchdog_ms = usec / 2000 ? usec / 2000 : 1;
        uv_timer_start(&o->watchdog, s_on_watchdog, o->watchdog_ms, o->watchdog_ms);
        PL_INFO("systemd watchdog: a ping every %llu ms while every stage has a live worker",
                (unsigned long long)o->watchdog_ms);
    }
    return 0;
}

void pl_ops_status(struct pl_ops *o)
{
    if (!o->started || !pl_notify_enabled())
        return;
    struct pl_metrics_data d;
    s_refresh(o, &d);
    char line[256];
    s_status_line(&d, line, sizeof(line));
    pl_notify_status(line);
}

void pl_ops_stopping(struct pl_ops *o)
{
    pl_notify_stopping();
    if (o->started) {
        struct pl_metrics_data d;
        s_refresh(o, &d);
    }
}

void pl_ops_reloading(struct pl_ops *o)
{
    pl_notify_reloading();
    o->ready_sent = false;
}

static void s_closed(uv_handle_t *h)
{
    struct pl_ops *o = h->data;
    o->open_handles--;
}

void pl_ops_close(struct pl_ops *o)
{
    if (!o->started || uv_is_closing((uv_handle_t *)&o->check))
        return;
    uv_close((uv_handle_t *)&o->check, s_closed);
    uv_close((uv_handle_t *)&o->tick, s_closed);
    uv_close((uv_handle_t *)&o->watchdog, s_closed);
}

void pl_ops_free(struct pl_ops *o)
{
    pl_http_stop(&o->http);
    if (o->started)
        pl_metrics_destroy(&o->metrics);
    o->started = false;
}
