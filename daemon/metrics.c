/* The daemon's counters and their Prometheus text; see metrics.h. */
#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const double pl_hist_bounds[PL_HIST_BUCKETS] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                 0.1,    0.25,  0.5,    1,     2.5,  10,    60 };

/* A scrape of PL_MAX_STAGES stages is under 40 KB; the cap only stops a
 * mistake from growing without end. */
#define PL_METRICS_MAX_BYTES (1024u * 1024u)

void pl_hist_observe(struct pl_hist *h, double seconds)
{
    if (!(seconds >= 0))
        seconds = 0; /* a clock step cannot make a negative time */
    for (size_t i = 0; i < PL_HIST_BUCKETS; i++)
        if (seconds <= pl_hist_bounds[i]) {
            h->bucket[i]++;
            break;
        }
    h->count++;
    h->sum += seconds;
}

void pl_hist_add(struct pl_hist *h, const struct pl_hist *x)
{
    for (size_t i = 0; i < PL_HIST_BUCKETS; i++)
        h->bucket[i] += x->bucket[i];
    h->count += x->count;
    h->sum += x->sum;
}

int pl_metrics_init(struct pl_metrics *m)
{
    memset(m, 0, sizeof(*m));
    return -pthread_mutex_init(&m->mu, NULL);
}

void pl_metrics_destroy(struct pl_metrics *m)
{
    pthread_mutex_destroy(&m->mu);
}

void pl_metrics_publish(struct pl_metrics *m, const struct pl_metrics_data *d)
{
    pthread_mutex_lock(&m->mu);
    m->d = *d;
    pthread_mutex_unlock(&m->mu);
}

void pl_metrics_snapshot(struct pl_metrics *m, struct pl_metrics_data *out)
{
    pthread_mutex_lock(&m->mu);
    *out = m->d;
    pthread_mutex_unlock(&m->mu);
}

uint64_t pl_metrics_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A growing text with a cap; a failed append marks it failed. */
struct text {
    char *s;
    size_t len, cap;
    bool failed;
};

static void s_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_add(struct text *t, const char *fmt, ...)
{
    for (int round = 0; round < 2 && !t->failed; round++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if (t->s && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t want = t->len + (size_t)n + 1, cap = t->cap ? t->cap : 8192;
        while (cap < want)
            cap *= 2;
        char *ns = cap <= PL_METRICS_MAX_BYTES ? realloc(t->s, cap) : NULL;
        if (!ns) {
            t->failed = true;
            return;
        }
        t->s = ns;
        t->cap = cap;
    }
}

/* A stage name as a label value: backslash, quote and newline escaped, as
 * the text format asks. */
static void s_label(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    for (const char *p = in; *p && o + 3 < outlen; p++) {
        if (*p == '\\' || *p == '"') {
            out[o++] = '\\';
            out[o++] = *p;
        } else if (*p == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

static void s_head(struct text *t, const char *name, const char *type, const char *help)
{
    s_add(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* pressline_stage_seconds: cumulative buckets, as the format wants. */
static void s_render_hist(struct text *t, const struct pl_metrics_data *d)
{
    s_head(t, "pressline_stage_seconds", "histogram",
           "Time from a job sent to a stage's worker to its answer (done or failed), measured "
           "in the broker.");
    for (size_t i = 0; i < d->nstages; i++) {
        const struct pl_stage_metrics *s = &d->stages[i];
        char name[130];
        s_label(s->name, name, sizeof(name));
        uint64_t cum = 0;
        for (size_t b = 0; b < PL_HIST_BUCKETS; b++) {
            cum += s->seconds.bucket[b];
            s_add(t, "pressline_stage_seconds_bucket{stage=\"%s\",le=\"%g\"} %" PRIu64 "\n", name,
                  pl_hist_bounds[b], cum);
        }
        s_add(t, "pressline_stage_seconds_bucket{stage=\"%s\",le=\"+Inf\"} %" PRIu64 "\n", name,
              s->seconds.count);
        s_add(t, "pressline_stage_seconds_sum{stage=\"%s\"} %.9g\n", name, s->seconds.sum);
        s_add(t, "pressline_stage_seconds_count{stage=\"%s\"} %" PRIu64 "\n", name,
              s->seconds.count);
    }
}

/* One line per stage of a per-stage counter or gauge; which picks it. */
static void s_render_per_stage(struct text *t, const struct pl_metrics_data *d, const char *metric,
                               bool workers)
{
    for (size_t i = 0; i < d->nstages; i++) {
        char name[130];
        s_label(d->stages[i].name, name, sizeof(name));
        if (workers)
            s_add(t, "%s{stage=\"%s\"} %d\n", metric, name, d->stages[i].workers);
        else
            s_add(t, "%s{stage=\"%s\"} %" PRIu64 "\n", metric, name, d->stages[i].retries);
    }
}

int pl_metrics_render(const struct pl_metrics_data *d, char **out, size_t *len)
{
    struct text t = { 0 };
    s_head(&t, "pressline_articles_total", "counter",
           "Articles finished: published, or moved to failed/ (refused at intake or by a stage).");
    s_add(&t, "pressline_articles_total{result=\"published\"} %" PRIu64 "\n", d->published);
    s_add(&t, "pressline_articles_total{result=\"failed\"} %" PRIu64 "\n", d->failed);
    s_render_hist(&t, d);
    s_head(&t, "pressline_stage_retries_total", "counter",
           "Attempts a stage was given again after a timeout or a worker that died.");
    s_render_per_stage(&t, d, "pressline_stage_retries_total", false);
    s_head(&t, "pressline_stage_process_cpu_seconds_total", "counter",
           "CPU time the stage's worker threads spent inside the plugin's process() (stages "
           "whose workers are threads of the daemon; a worker process's time is its own).");
    for (size_t i = 0; i < d->nstages; i++) {
        char name[130];
        s_label(d->stages[i].name, name, sizeof(name));
        if (d->stages[i].threads)
            s_add(&t, "pressline_stage_process_cpu_seconds_total{stage=\"%s\"} %.9g\n", name,
                  (double)d->stages[i].process_cpu_ns / 1e9);
    }
    s_head(&t, "pressline_in_flight", "gauge", "Articles claimed and not yet finished.");
    s_add(&t, "pressline_in_flight %" PRIu64 "\n", d->in_flight);
    s_head(&t, "pressline_queued", "gauge", "Inbox names seen and waiting to be claimed.");
    s_add(&t, "pressline_queued %" PRIu64 "\n", d->queued);
    s_head(&t, "pressline_intake_paused", "gauge",
           "1 while results cannot be written and new files wait in the inbox.");
    s_add(&t, "pressline_intake_paused %d\n", d->intake_paused ? 1 : 0);
    s_head(&t, "pressline_workers", "gauge",
           "Live workers of each stage (connected, heartbeating if they are processes, and not "
           "stuck past a deadline).");
    s_render_per_stage(&t, d, "pressline_workers", true);
    s_head(&t, "pressline_replay_requests_total", "counter",
           "Catch-up requests received on the replay endpoint, refused ones included.");
    s_add(&t, "pressline_replay_requests_total %" PRIu64 "\n", d->replay_requests);
    s_head(&t, "pressline_last_seq", "gauge", "The seq of the latest message published.");
    s_add(&t, "pressline_last_seq %" PRIu64 "\n", d->last_seq);
    if (t.failed) {
        free(t.s);
        return -ENOMEM;
    }
    *out = t.s;
    *len = t.len;
    return 0;
}

bool pl_metrics_ready(const struct pl_metrics_data *d, char *json, size_t jsonlen)
{
    struct text t = { 0 };
    size_t nreasons = 0;
    s_add(&t, "{\"ready\":false,\"reasons\":[");
    for (size_t i = 0; i < d->nstages; i++)
        if (d->stages[i].workers <= 0) {
            char name[130];
            /* Stage names are configured text: the label escaping is the
             * JSON one for everything but control characters, which a
             * stage name has no business holding. */
            s_label(d->stages[i].name, name, sizeof(name));
            s_add(&t, "%s\"stage %s has no live worker\"", nreasons++ ? "," : "", name);
        }
    if (!d->watching && !d->stopping)
        s_add(&t, "%s\"the inbox is not watched yet\"", nreasons++ ? "," : "");
    if (d->intake_paused)
        s_add(&t, "%s\"intake is paused: results cannot be written\"", nreasons++ ? "," : "");
    if (d->stopping)
        s_add(&t, "%s\"stopping\"", nreasons++ ? "," : "");
    if (d->reload_waiting)
        s_add(&t,
              "%s\"a reload waits for the old stages to let their endpoints go: new files wait\"",
              nreasons++ ? "," : "");
    s_add(&t, "]}");
    bool ready = nreasons == 0;
    if (ready)
        snprintf(json, jsonlen, "{\"ready\":true}");
    else
        snprintf(json, jsonlen, "%s", t.failed ? "{\"ready\":false,\"reasons\":[]}" : t.s);
    free(t.s);
    return ready;
}

bool pl_metrics_healthy(const struct pl_metrics_data *d, uint64_t now_ms, char *json,
                        size_t jsonlen)
{
    uint64_t age = now_ms > d->tick_ms ? now_ms - d->tick_ms : 0;
    bool ok = d->tick_ms != 0 && age <= PL_HEALTH_STALE_MS;
    snprintf(json, jsonlen, "{\"status\":\"%s\",\"tick_age_ms\":%" PRIu64 "}",
             ok ? "ok" : "stalled", age);
    return ok;
}
