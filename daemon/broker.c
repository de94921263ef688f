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
#include <sys/random.h>
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

static void s_enter_stage(struct pl_broker *b, struct pl_article *a, int stage)
{
    struct pl_stage_rt *s = &b->stages[stage];
    /* Attempts count per stage: a new stage starts afresh, a retry does not
     * (a new article's are zero already). */
    if (stage != a->stage) {
        a->attempts = a->crashes = a->timeouts = 0;
        a->suspect = false;
    }
    a->stage = stage;
    a->dispatched = false;
    a->waiting = true;
    a->stage_started_ms = uv_now(b->loop);
    /* The deadline starts at the head of a worker's queue (s_head_starts):
     * the wait for a worker busy with a large article is no fault of this
     * one. */
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
    a->dispatched = false;
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

/* Puts articles that were queued at a worker behind the one charged with a
 * crash or a timeout back at the front of their stage's queue, in their
 * order, with no attempt counted: they were never run. */
static void s_requeue(struct pl_stage_rt *s, struct pl_article **v, int n)
{
    uint64_t now = uv_now(s->b->loop);
    for (int i = n - 1; i >= 0; i--) {
        struct pl_article *a = v[i];
        a->dispatched = false;
        a->waiting = true;
        a->deadline_ms = 0;
        a->stage_started_ms = now;
        TAILQ_INSERT_HEAD(&s->wait, a, wait_link);
        s->nwait++;
    }
}

/* The job at the head of w's queue starts now: its deadline runs. */
static void s_head_starts(struct pl_stage_rt *s, struct pl_worker_rec *w)
{
    if (w->nheld == 0)
        return;
    struct pl_held_job *h = &w->held[0];
    h->deadline_ms = uv_now(s->b->loop) + h->budget_ms;
    if (h->a) {
        h->a->deadline_ms = h->deadline_ms;
        h->a->sent_ns = uv_hrtime();
    }
}

/* Whether w has jobs it runs though their articles were taken from it. */
static bool s_holds_given_up(const struct pl_worker_rec *w)
{
    for (int i = 0; i < w->nheld; i++)
        if (!w->held[i].a)
            return true;
    return false;
}

/* Whether w holds a suspect (broker.h), which is run alone. */
static bool s_holds_suspect(const struct pl_worker_rec *w)
{
    for (int i = 0; i < w->nheld; i++)
        if (w->held[i].a && w->held[i].a->suspect)
            return true;
    return false;
}

/* Whether w may be sent one more job at now: it is there, holds fewer than
 * the stage's prefetch, none given up on (it would run those first) and no
 * suspect, and its head, if any, is within its deadline. */
static bool s_can_take(const struct pl_stage_rt *s, const struct pl_worker_rec *w, uint64_t now)
{
    if (!w->ready || w->nheld >= s->prefetch || s_holds_given_up(w) || s_holds_suspect(w))
        return false;
    return w->nheld == 0 || now < w->held[0].deadline_ms;
}

/* The worker to send a to: of those that can take a job, the one holding
 * the fewest (a worker busy with a long article gets more only when every
 * other holds as many), and for a suspect only one holding nothing; NULL
 * when none can. */
static struct pl_worker_rec *s_pick(struct pl_stage_rt *s, const struct pl_article *a, uint64_t now)
{
    struct pl_worker_rec *best = NULL;
    for (size_t i = 0; i < s->nworkers; i++) {
        struct pl_worker_rec *w = &s->workers[i];
        if (s_can_take(s, w, now) && (!a->suspect || w->nheld == 0) &&
            (!best || w->nheld < best->nheld))
            best = w;
    }
    return best;
}

static void s_pump(struct pl_stage_rt *s)
{
    uint64_t now = uv_now(s->b->loop);
    struct pl_worker_rec *w;
    struct pl_article *a;
    while ((a = TAILQ_FIRST(&s->wait)) && (w = s_pick(s, a, now))) {
        uint64_t job = ++s->b->next_job;
        struct pl_wire_msg m = {
            .type = PL_WIRE_JOB, .job = job, .body = a->doc, .body_len = a->doc_len
        };
        int rc = pl_wire_send(s->router, w->ident.id, w->ident.len, &m, ZMQ_DONTWAIT);
        s->dirty = true;
        if (rc != 0) {
            /* The worker is gone (ROUTER_MANDATORY) or its pipe is full:
             * send it nothing more; it says READY again when it comes back
             * (and what it held is retried then, or when it is reaped or
             * its head times out). */
            PL_WARN("stage %s: cannot send to a worker (%s); trying another", s->name,
                    zmq_strerror(-rc));
            w->ready = false;
            continue;
        }
        s_wait_remove(s, a);
        a->job = job;
        a->dispatched = true;
        /* Reset when it reaches the head; an answer that comes while the
         * broker still counts it behind others is timed from here. */
        a->sent_ns = uv_hrtime();
        w->held[w->nheld++] = (struct pl_held_job){ .job = job, .a = a, .budget_ms = a->budget_ms };
        if (w->nheld == 1)
            s_head_starts(s, w);
    }
}

uint64_t pl_broker_budget_ms(const struct pl_stage_rt *s, size_t doc_len)
{
    /* Whole MB only: an article under 1 MB keeps exactly timeout_ms, and
     * the reason it fails with names the configured figure. */
    return (uint64_t)s->timeout_ms + (uint64_t)s->timeout_ms_per_mb * (doc_len / (1024u * 1024u));
}

/* The worker lost every job it held (it died, or it restarted and says
 * READY). Held alone, the job is charged with a crash. Held with others,
 * none is: the head may have been answered and its answer lost with the
 * process (broker.h), so they all go back to the front of the stage's
 * queue uncharged, as suspects, each to be run alone. held is a copy (the
 * record may be gone, or be sent new jobs meanwhile). */
static void s_lost(struct pl_stage_rt *s, const struct pl_held_job *held, int nheld)
{
    if (nheld == 1) {
        if (held[0].a)
            s_retry(s->b, held[0].a, true);
        return;
    }
    struct pl_article *v[PL_STAGE_PREFETCH_MAX];
    int n = 0;
    for (int i = 0; i < nheld; i++)
        if (held[i].a) {
            held[i].a->suspect = true;
            v[n++] = held[i].a;
        }
    if (n > 0)
        PL_WARN("stage %s: a worker died holding an article and %d more behind it; each is "
                "tried again alone, uncharged, to find the one that killed it",
                s->name, n - 1);
    s_requeue(s, v, n);
    s_pump(s);
}

/* The worker w's head passed its deadline: that article is charged with a
 * timeout; the ones queued behind it go back to the stage's queue
 * uncharged. The worker keeps them all in its socket, given up on. */
static void s_head_timed_out(struct pl_stage_rt *s, struct pl_worker_rec *w)
{
    struct pl_article *head = w->held[0].a, *queued[PL_STAGE_PREFETCH_MAX];
    int nq = 0;
    w->held[0].a = NULL;
    for (int i = 1; i < w->nheld; i++)
        if (w->held[i].a) {
            queued[nq++] = w->held[i].a;
            w->held[i].a = NULL;
        }
    s_requeue(s, queued, nq);
    s_retry(s->b, head, false);
    /* The retry pumps when the head goes round again; when it fails for
     * good instead, the jobs put back must not wait for the next tick. */
    s_pump(s);
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

/* READY from the worker id: it holds nothing and can take jobs. */
static void s_on_ready(struct pl_stage_rt *s, const struct pl_wire_frame *id,
                       const struct pl_wire_msg *m)
{
    PL_DEBUG("stage %s: worker ready (%.*s %.*s)", s->name, (int)m->plugin_len, m->plugin,
             (int)m->version_len, m->version);
    struct pl_worker_rec *rec = s_worker(s, id->data, id->len, true);
    if (!rec) {
        PL_ERR("stage %s: out of memory tracking workers", s->name);
        return;
    }
    rec->spoke = true;
    if (rec->nheld > 0) {
        /* It says it is idle, so it does not have the articles we sent it
         * (lost on the way, or it restarted): send them again. */
        struct pl_held_job held[PL_STAGE_PREFETCH_MAX];
        int n = rec->nheld;
        memcpy(held, rec->held, (size_t)n * sizeof(*held));
        rec->nheld = 0;
        rec->ready = false; /* not sent the retries before the others have a chance */
        s_lost(s, held, n);
        rec = s_worker(s, id->data, id->len, false);
        if (!rec)
            return;
    }
    rec->ready = true;
    s_pump(s);
}

/* Takes job off w's queue; returns its article (NULL when it was given up
 * on, or w did not hold it: a late answer). The next job, if any, starts.
 * A worker runs its jobs in order, so the answer to a job behind others
 * means theirs were lost on the way (a tcp connection that broke): those
 * go back to the stage's queue uncharged. */
static struct pl_article *s_answered(struct pl_stage_rt *s, struct pl_worker_rec *w, uint64_t job)
{
    int k = 0;
    while (k < w->nheld && w->held[k].job != job)
        k++;
    if (k == w->nheld)
        return NULL;
    struct pl_article *a = w->held[k].a, *lost[PL_STAGE_PREFETCH_MAX];
    int nlost = 0;
    for (int i = 0; i < k; i++)
        if (w->held[i].a)
            lost[nlost++] = w->held[i].a;
    memmove(&w->held[0], &w->held[k + 1], (size_t)(w->nheld - k - 1) * sizeof(w->held[0]));
    w->nheld -= k + 1;
    s_head_starts(s, w);
    if (nlost > 0) {
        PL_WARN("stage %s: a worker answered a later job first: %d answer%s lost on the way; "
                "sent again",
                s->name, nlost, nlost == 1 ? "" : "s");
        s_requeue(s, lost, nlost);
    }
    return a;
}

void pl_article_doc_free(struct pl_article *a)
{
    free(a->doc);
    a->doc = NULL;
    a->doc_len = 0;
    pl_json_members_free(&a->members);
    a->members_ok = false;
    a->doc_checked = false;
}

/* The stage's result as the article's document: a DONE's document as it
 * came (its members to be found again, by skimming, at the next PATCH), or
 * a PATCH merged into the document the broker holds, with the members it
 * kept, the patch checked here as the worker would have (docpatch.h).
 * Returns 0, or -1 with the article failed. */
static int s_take_result(struct pl_stage_rt *s, struct pl_article *a, const struct pl_wire_msg *m)
{
    char *doc = NULL, why[PL_ERROR_MAX - 64] = "";
    size_t len = 0;
    struct pl_json_members om = { 0 };
    int rc = 0;
    if (m->type == PL_WIRE_PATCH) {
        if (!a->members_ok && (rc = pl_json_members_skim(a->doc, a->doc_len, &a->members)) != 0)
            snprintf(why, sizeof(why), "the document given to the stage is not a JSON object");
        a->members_ok = rc == 0;
        if (rc == 0)
            rc = pl_doc_merge_members(a->doc, a->doc_len, &a->members, m->body, m->body_len, &doc,
                                      &len, &om, why, sizeof(why));
    } else if (!(doc = malloc(m->body_len + 1))) {
        rc = -ENOMEM;
    } else {
        memcpy(doc, m->body, m->body_len);
        doc[m->body_len] = '\0';
        len = m->body_len;
    }
    if (rc != 0) {
        pl_json_members_free(&om);
        if (rc == -ENOMEM)
            s_fail(s->b, a, "out of memory taking the result of stage %s", s->name);
        else
            s_fail(s->b, a, "plugin %.*s: %s", (int)m->plugin_len, m->plugin, why);
        return -1;
    }
    free(a->doc);
    a->doc = doc;
    a->doc_len = len;
    pl_json_members_free(&a->members);
    a->members = om;
    a->members_ok = m->type == PL_WIRE_PATCH;
    a->doc_checked &= m->type == PL_WIRE_PATCH;
    return 0;
}

/* DONE, PATCH or FAIL from the worker id: its next job starts, and this one's
 * article goes to the next stage, to the service as done, or as failed. */
static void s_on_reply(struct pl_stage_rt *s, const struct pl_wire_frame *id,
                       const struct pl_wire_msg *m)
{
    struct pl_broker *b = s->b;
    struct pl_worker_rec *rec = s_worker(s, id->data, id->len, true);
    struct pl_article *a = NULL;
    if (rec) {
        rec->spoke = true;
        rec->ready = true;
        a = s_answered(s, rec, m->job);
    }
    if (!a) {
        /* The article timed out meanwhile, or was queued behind one that
         * did; the worker is free of it. */
        PL_DEBUG("stage %s: late reply for job %llu ignored", s->name, (unsigned long long)m->job);
        s_pump(s);
        return;
    }
    struct pl_stage_time *t = &a->times[s->index];
    t->name = s->name;
    t->us = m->us;
    pl_hist_observe(&s->seconds, (double)(uv_hrtime() - a->sent_ns) / 1e9);
    a->dispatched = false;
    if (m->type == PL_WIRE_FAIL) {
        s_fail(b, a, "%.*s", (int)m->body_len, m->body);
        s_pump(s);
        return;
    }
    snprintf(t->plugin, sizeof(t->plugin), "%.*s", (int)m->plugin_len, m->plugin);
    snprintf(t->version, sizeof(t->version), "%.*s", (int)m->version_len, m->version);
    if (s_take_result(s, a, m) != 0) {
        s_pump(s);
        return;
    }
    if (a->doc_len > PL_TRIM_BYTES)
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
    case PL_WIRE_PATCH:
    case PL_WIRE_FAIL: s_on_reply(s, &f[0], &m); break;
    default: break; /* JOB goes the other way */
    }
}

/* Takes every message waiting on the stage's router. Receiving until
 * EAGAIN, then asking ZMQ_EVENTS once (a send in a handler may have taken
 * the descriptor's wake-up), costs one pair of getpid/poll system calls per
 * drain (libzmq's fork check and mailbox poll, on every ZMQ_EVENTS) instead
 * of one per message. The EAGAIN alone would do with today's libzmq (its
 * receive processes the socket's commands before it gives up), but that
 * is its implementation, not its contract: zmq_getsockopt(3) and DESIGN.md
 * ask for ZMQ_EVENTS after the last receive, and a stalled stage costs
 * more than two system calls. */
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
 * their articles to others (the head charged with a crash). */
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
            PL_WARN("stage %s: worker %.*s silent for %d ms; taken as dead", s->name,
                    (int)w->ident.len, (const char *)w->ident.id, b->dead_after_ms);
            struct pl_held_job held[PL_STAGE_PREFETCH_MAX];
            int n = w->nheld;
            memcpy(held, w->held, (size_t)n * sizeof(*held));
            s->workers[k] = s->workers[--s->nworkers];
            s_lost(s, held, n);
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
        if (w->nheld > 0 && now >= w->held[0].deadline_ms)
            continue;
        n++;
    }
    return n;
}

int pl_broker_idle_workers(const struct pl_stage_rt *s)
{
    int n = 0;
    for (size_t i = 0; i < s->nworkers; i++)
        n += s->workers[i].ready && s->workers[i].nheld == 0;
    return n;
}

/* Whether no worker of s can take or finish an article in time: none can
 * take one, and every one holding jobs is past its head's deadline (or the
 * stage has no worker at all). A worker busy within its deadline is
 * progress, however long its article takes. */
static bool s_stalled(const struct pl_stage_rt *s, uint64_t now)
{
    for (size_t i = 0; i < s->nworkers; i++) {
        const struct pl_worker_rec *w = &s->workers[i];
        if (s_can_take(s, w, now) || (w->nheld > 0 && now < w->held[0].deadline_ms))
            return false;
    }
    return true;
}

/* Whether a, waiting in its stage's queue, has run out of time: its stage
 * has been stalled for a's whole budget since a entered the queue (its
 * workers are stuck, so nothing would take it). A dispatched article's
 * time is its worker's head deadline (s_on_timer). */
static bool s_overdue(const struct pl_stage_rt *s, const struct pl_article *a, uint64_t now)
{
    if (!a->waiting || !s->stalled_since_ms)
        return false;
    uint64_t since =
        s->stalled_since_ms > a->stage_started_ms ? s->stalled_since_ms : a->stage_started_ms;
    return now >= since + a->budget_ms;
}

/* Every worker's head past its deadline times out (s_head_timed_out). */
static void s_time_out_heads(struct pl_stage_rt *s, uint64_t now)
{
    /* s_retry may send to workers, never removes one: the index holds. */
    for (size_t k = 0; k < s->nworkers; k++) {
        struct pl_worker_rec *w = &s->workers[k];
        if (w->nheld > 0 && w->held[0].a && now >= w->held[0].deadline_ms)
            s_head_timed_out(s, w);
    }
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
        s_time_out_heads(s, now);
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
            if (a->attempts + 1 >= s->max_attempts && a->timeouts == a->attempts)
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
    /* Job ids start at a random point: a remote worker that still holds
     * jobs of a broker before this one (a restart, a reload) answers with
     * their ids, which must not name this broker's jobs; with several jobs
     * held per worker, an early answer to an id of ours would be taken as
     * that job's result. 48 bits leave 2^64 - 2^48 ids before a wrap. */
    uint64_t start = 0;
    if (getrandom(&start, sizeof(start), GRND_NONBLOCK) != (ssize_t)sizeof(start))
        start = uv_hrtime() ^ (uint64_t)(uintptr_t)b;
    b->next_job = start >> 16;
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
        s->prefetch = cfg->stages[i].prefetch;
        if (s->prefetch < 1 || s->prefetch > PL_STAGE_PREFETCH_MAX)
            s->prefetch = s->prefetch < 1 ? 1 : PL_STAGE_PREFETCH_MAX;
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
    for (size_t i = 0; i < b->nstages; i++)
        for (size_t k = 0; k < b->stages[i].nworkers; k++)
            for (int j = 0; j < b->stages[i].workers[k].nheld; j++)
                b->stages[i].workers[k].held[j].a = NULL;
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
        free(s->workers);
        s->workers = NULL;
        s->nworkers = s->capworkers = 0;
    }
    uv_check_stop(&b->check);
    uv_timer_stop(&b->timer);
    uv_close((uv_handle_t *)&b->check, s_closed);
    uv_close((uv_handle_t *)&b->timer, s_closed);
}
