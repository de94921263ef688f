/* Broker; see broker.h. */
#include "broker.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "config.h"
#include "zsock.h"
#include "log.h"

/* Long enough for the service to write and publish the article first. */
#define PL_BROKER_TRIM_DELAY_MS 2000

static void s_link(struct pl_broker *b, struct pl_article *a)
{
    LIST_INSERT_HEAD(&b->articles, a, link);
    b->in_flight++;
}

static void s_unlink(struct pl_broker *b, struct pl_article *a)
{
    LIST_REMOVE(a, link);
    b->in_flight--;
}

/* Takes a out of its stage's queue; a->waiting says whether it is in it. */
static void s_wait_remove(struct pl_stage_rt *s, struct pl_article *a)
{
    if (!a->waiting)
        return;
    TAILQ_REMOVE(&s->wait, a, wait_link);
    a->waiting = false;
    s->nwait--;
}

static void s_fail(struct pl_broker *b, struct pl_article *a, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void s_fail(struct pl_broker *b, struct pl_article *a, const char *fmt, ...)
{
    struct pl_stage_rt *s = &b->stages[a->stage];
    s_wait_remove(s, a);
    snprintf(a->fail_stage, sizeof(a->fail_stage), "%s", s->name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->fail_reason, sizeof(a->fail_reason), fmt, ap);
    va_end(ap);
    s_unlink(b, a);
    b->on_failed(b, a);
}

static void s_pump(struct pl_stage_rt *s);

static bool s_ident_eq(const struct pl_ident *a, const void *id, size_t len)
{
    return a->len == len && memcmp(a->id, id, len) == 0;
}

static struct pl_worker_rec *s_worker(struct pl_stage_rt *s, const void *id, size_t len,
                                      bool create)
{
    for (size_t i = 0; i < s->nworkers; i++)
        if (s_ident_eq(&s->workers[i].ident, id, len))
            return &s->workers[i];
    if (!create || len > PL_WIRE_MAX_IDENT)
        return NULL;
    if (s->nworkers == s->capworkers) {
        size_t cap = s->capworkers ? s->capworkers * 2 : 8;
        struct pl_worker_rec *v = realloc(s->workers, cap * sizeof(*v));
        if (!v)
            return NULL;
        s->workers = v;
        s->capworkers = cap;
    }
    struct pl_worker_rec *w = &s->workers[s->nworkers++];
    memset(w, 0, sizeof(*w));
    memcpy(w->ident.id, id, len);
    w->ident.len = len;
    w->last_hb_ms = uv_now(s->b->loop);
    return w;
}

static void s_drop_idle(struct pl_stage_rt *s, const struct pl_ident *id)
{
    for (size_t i = 0; i < s->nidle; i++)
        if (s_ident_eq(&s->idle[i], id->id, id->len)) {
            memmove(&s->idle[i], &s->idle[i + 1], (s->nidle - i - 1) * sizeof(*s->idle));
            s->nidle--;
            return;
        }
}

static void s_enter_stage(struct pl_broker *b, struct pl_article *a, int stage)
{
    struct pl_stage_rt *s = &b->stages[stage];
    /* Attempts count per stage: a new stage starts afresh, a retry does not
     * (a new article's are zero already). */
    if (stage != a->stage)
        a->attempts = a->crashes = a->timeouts = 0;
    a->stage = stage;
    a->dispatched = false;
    a->waiting = true;
    a->stage_started_ms = uv_now(b->loop);
    /* The deadline starts at dispatch (s_pump): the wait for a worker busy
     * with a large article is no fault of this one. */
    a->deadline_ms = 0;
    a->budget_ms = pl_broker_budget_ms(s, a->doc_len);
    TAILQ_INSERT_TAIL(&s->wait, a, wait_link);
    s->nwait++;
    s_pump(s);
}

/* The current attempt at a's stage failed by crash or timeout: try again
 * (on any worker) or, after max_attempts, quarantine it with the reason. */
static void s_retry(struct pl_broker *b, struct pl_article *a, bool crashed)
{
    struct pl_stage_rt *s = &b->stages[a->stage];
    a->attempts++;
    if (crashed)
        a->crashes++;
    else
        a->timeouts++;
    s_wait_remove(s, a);
    if (a->attempts >= s->max_attempts) {
        if (a->crashes == a->attempts)
            s_fail(b, a, "crashed the %s stage %d times (its worker died each time)", s->name,
                   a->crashes);
        else if (a->timeouts == a->attempts)
            s_fail(b, a, "stage %s timed out after %llu ms, %d times", s->name,
                   (unsigned long long)a->budget_ms, a->timeouts);
        else
            s_fail(b, a, "stage %s failed %d times: %d worker crashes, %d timeouts after %llu ms",
                   s->name, a->attempts, a->crashes, a->timeouts, (unsigned long long)a->budget_ms);
        return;
    }
    s->retries++;
    PL_WARN("stage %s: %s; trying again (attempt %d of %d)", s->name,
            crashed ? "a worker died holding an article" : "an article timed out", a->attempts + 1,
            s->max_attempts);
    s_enter_stage(b, a, a->stage);
}

static void s_pump(struct pl_stage_rt *s)
{
    while (s->nidle > 0 && !TAILQ_EMPTY(&s->wait)) {
        struct pl_article *a = TAILQ_FIRST(&s->wait);
        struct pl_ident *w = &s->idle[--s->nidle];
        a->job = ++s->b->next_job;
        struct pl_wire_msg m = {
            .type = PL_WIRE_JOB, .job = a->job, .body = a->doc, .body_len = a->doc_len
        };
        int rc = pl_wire_send(s->router, w->id, w->len, &m, ZMQ_DONTWAIT);
        s->dirty = true;
        if (rc != 0) {
            /* The worker is gone (ROUTER_MANDATORY) or its pipe is full:
             * forget it; it says READY again when it comes back. */
            PL_WARN("stage %s: cannot send to a worker (%s); trying another", s->name,
                    zmq_strerror(-rc));
            continue;
        }
        s_wait_remove(s, a);
        a->dispatched = true;
        a->deadline_ms = uv_now(s->b->loop) + a->budget_ms;
        a->sent_ns = uv_hrtime();
        struct pl_worker_rec *rec = s_worker(s, w->id, w->len, true);
        if (rec) {
            rec->job = a->job;
            rec->deadline_ms = a->deadline_ms;
        }
    }
}

uint64_t pl_broker_budget_ms(const struct pl_stage_rt *s, size_t doc_len)
{
    /* Whole MB only: an article under 1 MB keeps exactly timeout_ms, and
     * the reason it fails with names the configured figure. */
    return (uint64_t)s->timeout_ms + (uint64_t)s->timeout_ms_per_mb * (doc_len / (1024u * 1024u));
}

static struct pl_article *s_find_job(struct pl_broker *b, int stage, uint64_t job)
{
    struct pl_article *a;
    LIST_FOREACH(a, &b->articles, link)
    if (a->job == job && a->stage == stage && a->dispatched)
        return a;
    return NULL;
}

static void s_push_idle(struct pl_stage_rt *s, const struct pl_wire_frame *id)
{
    if (id->len > PL_WIRE_MAX_IDENT)
        return;
    for (size_t i = 0; i < s->nidle; i++)
        if (s->idle[i].len == id->len && !memcmp(s->idle[i].id, id->data, id->len))
            return;
    if (s->nidle == s->capidle) {
        size_t cap = s->capidle ? s->capidle * 2 : 8;
        struct pl_ident *v = realloc(s->idle, cap * sizeof(*v));
        if (!v) {
            PL_ERR("stage %s: out of memory tracking workers", s->name);
            return;
        }
        s->idle = v;
        s->capidle = cap;
    }
    memcpy(s->idle[s->nidle].id, id->data, id->len);
    s->idle[s->nidle].len = id->len;
    s->nidle++;
}

/* HB: the worker (named by its id) is alive. */
static void s_on_heartbeat(struct pl_stage_rt *s, const struct pl_wire_msg *m)
{
    struct pl_worker_rec *rec = s_worker(s, m->body, m->body_len, true);
    if (rec) {
        rec->heartbeats = true;
        rec->last_hb_ms = uv_now(s->b->loop);
    }
}

/* READY from the worker id: it is idle. */
static void s_on_ready(struct pl_stage_rt *s, const struct pl_wire_frame *id,
                       const struct pl_wire_msg *m)
{
    PL_DEBUG("stage %s: worker ready (%.*s %.*s)", s->name, (int)m->plugin_len, m->plugin,
             (int)m->version_len, m->version);
    struct pl_worker_rec *rec = s_worker(s, id->data, id->len, true);
    if (rec)
        rec->spoke = true;
    if (rec && rec->job) {
        /* It says it is idle, so it does not have the article we sent
         * it (lost on the way, or it restarted): send it again. */
        uint64_t job = rec->job;
        rec->job = 0;
        struct pl_article *a = s_find_job(s->b, s->index, job);
        if (a)
            s_retry(s->b, a, true);
    }
    s_push_idle(s, id);
    s_pump(s);
}

/* DONE or FAIL from the worker id: the worker is idle again, and its
 * article goes to the next stage, to the service as done, or as failed. */
static void s_on_reply(struct pl_stage_rt *s, const struct pl_wire_frame *id,
                       const struct pl_wire_msg *m)
{
    struct pl_broker *b = s->b;
    struct pl_worker_rec *rec = s_worker(s, id->data, id->len, true);
    if (rec) {
        rec->job = 0;
        rec->spoke = true;
    }
    s_push_idle(s, id);
    struct pl_article *a = s_find_job(b, s->index, m->job);
    if (!a) {
        /* The article timed out meanwhile; the worker is free again. */
        PL_DEBUG("stage %s: late reply for job %llu ignored", s->name, (unsigned long long)m->job);
        s_pump(s);
        return;
    }
    struct pl_stage_time *t = &a->times[s->index];
    t->name = s->name;
    t->us = m->us;
    pl_hist_observe(&s->seconds, (double)(uv_hrtime() - a->sent_ns) / 1e9);
    if (m->type == PL_WIRE_FAIL) {
        s_fail(b, a, "%.*s", (int)m->body_len, m->body);
        s_pump(s);
        return;
    }
    snprintf(t->plugin, sizeof(t->plugin), "%.*s", (int)m->plugin_len, m->plugin);
    snprintf(t->version, sizeof(t->version), "%.*s", (int)m->version_len, m->version);
    char *doc = malloc(m->body_len + 1);
    if (!doc) {
        s_fail(b, a, "out of memory taking the result of stage %s", s->name);
        s_pump(s);
        return;
    }
    memcpy(doc, m->body, m->body_len);
    doc[m->body_len] = '\0';
    free(a->doc);
    a->doc = doc;
    a->doc_len = m->body_len;
    if (m->body_len > PL_TRIM_BYTES)
        b->trim_at_ms = uv_now(b->loop) + PL_BROKER_TRIM_DELAY_MS;
    if ((size_t)s->index + 1 < b->nstages) {
        s_enter_stage(b, a, s->index + 1);
    } else {
        s_unlink(b, a);
        b->on_done(b, a);
    }
    s_pump(s);
}

/* One message from a worker: [identity][PL1]...; anything else is
 * dropped with a warning. */
static void s_handle(struct pl_stage_rt *s, struct pl_wire_in *in)
{
    if (in->n < 2 || in->truncated) {
        PL_WARN("stage %s: dropped a malformed message from a worker", s->name);
        return;
    }
    struct pl_wire_frame f[PL_WIRE_MAX_FRAMES];
    for (size_t i = 0; i < in->n; i++)
        f[i] = pl_wire_in_frame(in, i);
    struct pl_wire_msg m;
    if (pl_wire_decode(f + 1, in->n - 1, &m) != 0) {
        PL_WARN("stage %s: dropped a message that is not pressline protocol", s->name);
        return;
    }
    switch (m.type) {
    case PL_WIRE_HB: s_on_heartbeat(s, &m); break;
    case PL_WIRE_READY: s_on_ready(s, &f[0], &m); break;
    case PL_WIRE_DONE:
    case PL_WIRE_FAIL: s_on_reply(s, &f[0], &m); break;
    default: break; /* JOB goes the other way */
    }
}

/* Takes every message waiting on the stage's router. Receiving until
 * EAGAIN, then asking ZMQ_EVENTS once (a send in a handler may have taken
 * the descriptor's wake-up), costs one pair of getpid/poll system calls per
 * drain (libzmq's fork check and mailbox poll, on every ZMQ_EVENTS) instead
 * of one per message. */
static void s_drain(struct pl_stage_rt *s)
{
    int rc;
    do {
        s->dirty = false;
        struct pl_wire_in in;
        while ((rc = pl_wire_recv(s->router, &in, ZMQ_DONTWAIT)) == 0) {
            s_handle(s, &in);
            pl_wire_in_close(&in);
        }
    } while (rc == -EAGAIN && pl_zsock_readable(s->router));
}

static void s_on_poll(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    s_drain(p->data);
}

/* ZMQ_FD is edge-triggered and a send can take its wake-up: after every
 * loop turn, the routers sent on since they were drained are looked at
 * again; the others wake the loop themselves. */
static void s_on_check(uv_check_t *c)
{
    struct pl_broker *b = c->data;
    for (size_t i = 0; i < b->nstages; i++)
        if (b->stages[i].dirty)
            s_drain(&b->stages[i]);
}

/* Workers that heartbeat and fell silent are gone: forget them and give
 * their article to another worker. */
static void s_reap_workers(struct pl_broker *b, uint64_t now)
{
    for (size_t i = 0; i < b->nstages; i++) {
        struct pl_stage_rt *s = &b->stages[i];
        for (size_t k = 0; k < s->nworkers;) {
            struct pl_worker_rec *w = &s->workers[k];
            if (!w->heartbeats || now - w->last_hb_ms < (uint64_t)b->dead_after_ms) {
                k++;
                continue;
            }
            uint64_t job = w->job;
            PL_WARN("stage %s: worker %.*s silent for %d ms; taken as dead", s->name,
                    (int)w->ident.len, (const char *)w->ident.id, b->dead_after_ms);
            s_drop_idle(s, &w->ident);
            s->workers[k] = s->workers[--s->nworkers];
            struct pl_article *a = job ? s_find_job(b, s->index, job) : NULL;
            if (a)
                s_retry(b, a, true);
        }
        s_pump(s);
    }
}

int pl_broker_live_workers(const struct pl_stage_rt *s, uint64_t now)
{
    int n = 0;
    for (size_t i = 0; i < s->nworkers; i++) {
        const struct pl_worker_rec *w = &s->workers[i];
        if (!w->spoke)
            continue;
        if (w->heartbeats && now - w->last_hb_ms >= (uint64_t)s->b->dead_after_ms)
            continue;
        if (w->job && now >= w->deadline_ms)
            continue;
        n++;
    }
    return n;
}

/* Whether no worker of s can take or finish an article in time: none is
 * idle, and every one holding a job is past that job's deadline (or the
 * stage has no worker at all). A worker busy within its deadline is
 * progress, however long its article takes. */
static bool s_stalled(const struct pl_stage_rt *s, uint64_t now)
{
    if (s->nidle > 0)
        return false;
    for (size_t i = 0; i < s->nworkers; i++)
        if (s->workers[i].job && now < s->workers[i].deadline_ms)
            return false;
    return true;
}

/* Whether a has run out of time: a dispatched article at its deadline, a
 * waiting one when its stage has been stalled for a's whole budget since
 * a entered the queue (its workers are stuck, so nothing would take it). */
static bool s_overdue(const struct pl_stage_rt *s, const struct pl_article *a, uint64_t now)
{
    if (a->dispatched)
        return now >= a->deadline_ms;
    if (!s->stalled_since_ms)
        return false;
    uint64_t since =
        s->stalled_since_ms > a->stage_started_ms ? s->stalled_since_ms : a->stage_started_ms;
    return now >= since + a->budget_ms;
}

static void s_on_timer(uv_timer_t *t)
{
    struct pl_broker *b = t->data;
    uint64_t now = uv_now(b->loop);
    s_reap_workers(b, now);
    if (b->trim_at_ms && now >= b->trim_at_ms) {
        b->trim_at_ms = 0;
#ifdef __GLIBC__
        /* glibc keeps freed memory for reuse; without this the daemon stays
         * at its largest article's peak. */
        malloc_trim(0);
#endif
    }
    for (size_t i = 0; i < b->nstages; i++) {
        struct pl_stage_rt *s = &b->stages[i];
        if (!s_stalled(s, now))
            s->stalled_since_ms = 0;
        else if (!s->stalled_since_ms)
            s->stalled_since_ms = now;
    }
    struct pl_article *a = LIST_FIRST(&b->articles);
    while (a) {
        /* s_retry may fail a, which unlinks it. */
        struct pl_article *next = LIST_NEXT(a, link);
        struct pl_stage_rt *s = &b->stages[a->stage];
        if (s_overdue(s, a, now)) {
            if (!a->dispatched && a->attempts + 1 >= s->max_attempts && a->timeouts == a->attempts)
                PL_WARN("stage %s: no worker free or within its deadline for %llu ms", s->name,
                        (unsigned long long)a->budget_ms);
            s_retry(b, a, false);
        }
        a = next;
    }
}

int pl_broker_start(struct pl_broker *b, uv_loop_t *loop, void *zctx, const struct pl_config *cfg,
                    pl_broker_cb on_done, pl_broker_cb on_failed, char *err, size_t errlen)
{
    void *data = b->data;
    memset(b, 0, sizeof(*b));
    b->data = data;
    b->loop = loop;
    b->on_done = on_done;
    b->on_failed = on_failed;
    b->dead_after_ms = cfg->worker_dead_after_ms;
    int rc;
    for (size_t i = 0; i < cfg->nstages; i++) {
        struct pl_stage_rt *s = &b->stages[i];
        s->b = b;
        s->index = (int)i;
        TAILQ_INIT(&s->wait);
        s->name = cfg->stages[i].name;
        s->endpoint = cfg->stages[i].endpoint;
        s->timeout_ms = cfg->stages[i].timeout_ms;
        s->timeout_ms_per_mb = cfg->stages[i].timeout_ms_per_mb;
        s->max_attempts = cfg->stages[i].max_attempts;
        s->router = zmq_socket(zctx, ZMQ_ROUTER);
        int one = 1, zero = 0;
        if (!s->router) {
            rc = -zmq_errno();
            snprintf(err, errlen, "stage %s: cannot create a ROUTER socket: %s", s->name,
                     zmq_strerror(-rc));
            goto fail;
        }
        b->nstages++;
        zmq_setsockopt(s->router, ZMQ_LINGER, &zero, sizeof(zero));
        zmq_setsockopt(s->router, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));

        rc = pl_zsock_bind(s->router, s->endpoint, cfg->curve_secret);
        if (rc != 0) {
            snprintf(err, errlen, "stage %s: cannot bind %s: %s", s->name, s->endpoint,
                     zmq_strerror(-rc));
            goto fail;
        }
        int fd;
        size_t len = sizeof(fd);
        zmq_getsockopt(s->router, ZMQ_FD, &fd, &len);
        uv_poll_init(loop, &s->poll, fd);
        s->poll.data = s;
        b->open_handles++;
        uv_poll_start(&s->poll, UV_READABLE, s_on_poll);
    }
    uv_check_init(loop, &b->check);
    b->check.data = b;
    uv_check_start(&b->check, s_on_check);
    uv_timer_init(loop, &b->timer);
    b->timer.data = b;
    uv_timer_start(&b->timer, s_on_timer, 100, 100);
    b->open_handles += 2;
    return 0;
fail:
    for (size_t i = 0; i < b->nstages; i++) {
        struct pl_stage_rt *s = &b->stages[i];
        if (uv_is_active((uv_handle_t *)&s->poll)) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, NULL);
        }
        if (s->router)
            zmq_close(s->router);
        s->router = NULL;
    }
    if (b->nstages < cfg->nstages) {
        struct pl_stage_rt *s = &b->stages[b->nstages];
        if (s->router)
            zmq_close(s->router);
        s->router = NULL;
    }
    b->open_handles = 0;
    return rc;
}

void pl_broker_submit(struct pl_broker *b, struct pl_article *a)
{
    s_link(b, a);
    s_enter_stage(b, a, 0);
}

size_t pl_broker_abandon(struct pl_broker *b, pl_broker_cb each)
{
    size_t n = 0;
    while (!LIST_EMPTY(&b->articles)) {
        struct pl_article *a = LIST_FIRST(&b->articles);
        struct pl_stage_rt *s = &b->stages[a->stage];
        s_wait_remove(s, a);
        s_unlink(b, a);
        n++;
        if (each)
            each(b, a);
    }
    return n;
}

static void s_closed(uv_handle_t *h)
{
    struct pl_broker *b = h->data;
    if (h->type == UV_POLL)
        b = ((struct pl_stage_rt *)h->data)->b;
    if (--b->open_handles == 0 && b->closed_cb)
        b->closed_cb(b);
}

void pl_broker_close(struct pl_broker *b, void (*closed_cb)(struct pl_broker *b))
{
    b->closed_cb = closed_cb;
    for (size_t i = 0; i < b->nstages; i++) {
        struct pl_stage_rt *s = &b->stages[i];
        uv_poll_stop(&s->poll);
        uv_close((uv_handle_t *)&s->poll, s_closed);
        zmq_close(s->router);
        s->router = NULL;
        free(s->idle);
        s->idle = NULL;
        s->nidle = s->capidle = 0;
        free(s->workers);
        s->workers = NULL;
        s->nworkers = s->capworkers = 0;
    }
    uv_check_stop(&b->check);
    uv_timer_stop(&b->timer);
    uv_close((uv_handle_t *)&b->check, s_closed);
    uv_close((uv_handle_t *)&b->timer, s_closed);
}
