/* Stage worker; see worker.h. */
#include "worker.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "config.h"
#include "curve.h"
#include "docpatch.h"
#include "log.h"
#include "wire.h"

static uint64_t s_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct heartbeat {
    void *zctx;
    const char *endpoint;
    const char *server_key;
    char id[64];
    int interval_ms;
    pthread_t thread;
};

/* The heartbeat thread: its own socket, one HB per interval until the
 * context ends. */
static void *s_heartbeat(void *arg)
{
    struct heartbeat *hb = arg;
    void *s = zmq_socket(hb->zctx, ZMQ_DEALER);
    if (!s)
        return NULL;
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
    if ((hb->server_key && pl_curve_client(s, hb->server_key) != 0) ||
        zmq_connect(s, hb->endpoint) != 0) {
        zmq_close(s);
        return NULL;
    }
    struct pl_wire_msg m = { .type = PL_WIRE_HB, .body = hb->id, .body_len = strlen(hb->id) };
    for (;;) {
        if (pl_wire_send(s, NULL, 0, &m, ZMQ_DONTWAIT) == -ETERM)
            break;
        /* Sleep by polling the socket, so a context shutdown wakes us. */
        zmq_pollitem_t it = { s, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll(&it, 1, hb->interval_ms) < 0 && zmq_errno() == ETERM)
            break;
        if (it.revents & ZMQ_POLLIN) {
            struct pl_wire_in in;
            if (pl_wire_recv(s, &in, ZMQ_DONTWAIT) == 0)
                pl_wire_in_close(&in); /* nothing is sent to it; drop */
        }
    }
    zmq_close(s);
    return NULL;
}

/* Names the job socket s with a fresh worker id and starts the heartbeat
 * thread, which sends that id from a socket of its own. Returns whether
 * the thread runs. */
static bool s_start_heartbeat(void *s, struct heartbeat *hb)
{
    unsigned char rnd[6];
    randombytes_buf(rnd, sizeof(rnd));
    snprintf(hb->id, sizeof(hb->id), "w%d-%02x%02x%02x%02x%02x%02x", (int)getpid(), rnd[0], rnd[1],
             rnd[2], rnd[3], rnd[4], rnd[5]);
    zmq_setsockopt(s, ZMQ_ROUTING_ID, hb->id, strlen(hb->id));
    /* Signals go to this thread, whose blocking calls they interrupt. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    bool started = pthread_create(&hb->thread, NULL, s_heartbeat, hb) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return started;
}

/* Waits for the next message on s into *in. A heartbeating worker idle for
 * three intervals says READY again, for a daemon that restarted (the socket
 * reconnects by itself, but the new broker has not heard from us). Returns
 * 0 with a message, 1 when a signal came and *stop is set, or -errno. */
static int s_next_message(void *s, const struct pl_worker_opts *opts,
                          const struct pl_wire_msg *ready, struct pl_wire_in *in)
{
    for (;;) {
        /* A SIGTERM that came while we were not blocked in zmq (sending
         * READY or DONE) interrupted nothing: look at the flag before
         * blocking again, or the worker runs on until procs SIGKILLs it. */
        if (opts->stop && *opts->stop)
            return 1;
        if (opts->heartbeat_ms > 0) {
            zmq_pollitem_t it = { s, 0, ZMQ_POLLIN, 0 };
            int pr = zmq_poll(&it, 1, 3L * opts->heartbeat_ms);
            if (pr < 0 && zmq_errno() == EINTR) {
                if (opts->stop && *opts->stop)
                    return 1;
                continue;
            }
            if (pr < 0)
                return -zmq_errno();
            if (pr == 0) {
                int rc = pl_wire_send(s, NULL, 0, ready, 0);
                if (rc != 0)
                    return rc;
                continue;
            }
        }
        int rc = pl_wire_recv(s, in, 0);
        if (rc == -EINTR) {
            if (opts->stop && *opts->stop)
                return 1;
            continue;
        }
        return rc;
    }
}

/* The document after the stage: the job's document with the plugin's
 * patch applied (docpatch.h). The patch is checked here, under the
 * plugin's name, not in the next stage: it must be a JSON object of
 * members to add or replace (and "$remove"). Returns 0 with *out (free),
 * or PL_ESTAGE with perr saying why. */
static int s_apply(const struct pl_plugin *d, const char *doc, size_t len, const char *patch,
                   size_t plen, char **out, size_t *out_len, struct pl_error *perr)
{
    char why[PL_ERROR_MAX - 64];
    int rc = pl_doc_merge(doc, len, patch, plen, out, out_len, why, sizeof(why));
    if (rc == 0)
        return 0;
    if (rc == -ENOMEM)
        snprintf(perr->message, sizeof(perr->message), "out of memory");
    else
        snprintf(perr->message, sizeof(perr->message), "plugin %s: %s", d->name, why);
    return PL_ESTAGE;
}

/* The calling thread's CPU time (a system call: the vDSO serves only the
 * wall clocks, about a microsecond here), for the process_cpu_ns that
 * /metrics shows per stage and pl_bench subtracts from the daemon's CPU. */
static uint64_t s_thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Runs one job's document through the plugin; *us is the time process()
 * took. On success returns 0 with *patch the plugin's result (to give back
 * with its release) and *doc the NUL-terminated copy of the job's document
 * it was given (free); otherwise PL_ESTAGE with perr saying why. */
static int s_process(struct pl_plugin_instance *inst, const struct pl_wire_msg *job, char **doc,
                     char **patch, size_t *plen, uint64_t *us, struct pl_error *perr)
{
    const struct pl_plugin *d = inst->desc;
    uint64_t t0 = s_now_us();
    /* The plugin gets a NUL-terminated copy; frames are not terminated. */
    *doc = malloc(job->body_len + 1);
    *patch = NULL;
    *plen = 0;
    int prc;
    if (!*doc) {
        prc = PL_ESTAGE;
        snprintf(perr->message, sizeof(perr->message), "out of memory");
    } else {
        memcpy(*doc, job->body, job->body_len);
        (*doc)[job->body_len] = '\0';
        uint64_t cpu0 = s_thread_cpu_ns();
        prc = d->process(inst->state, *doc, job->body_len, patch, plen, perr) == 0 ? 0 : PL_ESTAGE;
        uint64_t cpu1 = s_thread_cpu_ns();
        if (cpu1 > cpu0)
            atomic_fetch_add_explicit(&inst->process_cpu_ns, cpu1 - cpu0, memory_order_relaxed);
    }
    *us = s_now_us() - t0;
    if (prc == 0 && !*patch) {
        prc = PL_ESTAGE;
        snprintf(perr->message, sizeof(perr->message), "plugin %s returned no result", d->name);
    }
    if (prc != 0 && *patch) {
        d->release(inst->state, *patch);
        *patch = NULL;
    }
    if (prc != 0 && !perr->message[0])
        snprintf(perr->message, sizeof(perr->message), "plugin %s failed without a reason",
                 d->name);
    return prc;
}

/* Runs the job and answers with the result, DONE with the merged document
 * or PATCH with the patch alone (wire.h), or FAIL with the reason.
 * Returns 0 or -errno from sending. */
static int s_answer(void *s, struct pl_plugin_instance *inst, const struct pl_wire_msg *job,
                    bool reply_patch)
{
    const struct pl_plugin *d = inst->desc;
    struct pl_error perr = { { 0 } };
    char *doc = NULL, *patch = NULL, *out = NULL;
    size_t plen = 0, out_len = 0;
    uint64_t us = 0;
    int prc = s_process(inst, job, &doc, &patch, &plen, &us, &perr);
    if (prc == 0 && reply_patch) {
        out = patch;
        out_len = plen;
    } else if (prc == 0) {
        prc = s_apply(d, doc, job->body_len, patch, plen, &out, &out_len, &perr);
    }
    struct pl_wire_msg reply = { .job = job->job, .us = us };
    if (prc == 0) {
        reply.type = reply_patch ? PL_WIRE_PATCH : PL_WIRE_DONE;
        reply.body = out;
        reply.body_len = out_len;
        reply.plugin = d->name;
        reply.plugin_len = strlen(d->name);
        reply.version = d->version;
        reply.version_len = strlen(d->version);
    } else {
        reply.type = PL_WIRE_FAIL;
        reply.body = perr.message;
        reply.body_len = strnlen(perr.message, sizeof(perr.message));
    }
    int rc = pl_wire_send(s, NULL, 0, &reply, 0);
    if (patch)
        d->release(inst->state, patch);
    if (out != patch)
        free(out);
    free(doc);
#ifdef __GLIBC__
    /* glibc keeps freed memory in its arenas for reuse; without this the
     * daemon stays at its largest article's peak (8 MB to 375 MB, and
     * there it stayed, after one 9.9 MB text). malloc_trim walks every
     * arena, so what other threads have freed by now is returned too. */
    if (job->body_len > PL_TRIM_BYTES || out_len > PL_TRIM_BYTES)
        malloc_trim(0);
#endif
    return rc;
}

/* Says READY on the connected socket s, then answers jobs until the
 * context ends (0), *stop is set (0) or a socket fails (-errno). */
static int s_serve(void *s, struct pl_plugin_instance *inst, const struct pl_worker_opts *opts)
{
    const struct pl_plugin *d = inst->desc;
    struct pl_wire_msg ready = { .type = PL_WIRE_READY,
                                 .plugin = d->name,
                                 .plugin_len = strlen(d->name),
                                 .version = d->version,
                                 .version_len = strlen(d->version) };
    int rc = pl_wire_send(s, NULL, 0, &ready, 0);
    if (rc != 0)
        return rc;
    for (;;) {
        struct pl_wire_in in;
        rc = s_next_message(s, opts, &ready, &in);
        if (rc == 1)
            return 0;
        if (rc != 0)
            break;
        struct pl_wire_frame f[PL_WIRE_MAX_FRAMES];
        for (size_t i = 0; i < in.n; i++)
            f[i] = pl_wire_in_frame(&in, i);
        struct pl_wire_msg job;
        if (in.truncated || pl_wire_decode(f, in.n, &job) != 0 || job.type != PL_WIRE_JOB) {
            PL_WARN("stage %s: worker ignored a malformed message", inst->stage);
            pl_wire_in_close(&in);
            continue;
        }
        rc = s_answer(s, inst, &job, opts->reply_patch);
        pl_wire_in_close(&in);
        if (rc != 0)
            break;
    }
    return rc == -ETERM ? 0 : rc;
}

int pl_worker_run(void *zctx, const char *endpoint, struct pl_plugin_instance *inst,
                  const struct pl_worker_opts *opts)
{
    void *s = zmq_socket(zctx, ZMQ_DEALER);
    if (!s)
        return -zmq_errno();
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
    struct heartbeat hb = { .zctx = zctx,
                            .endpoint = endpoint,
                            .interval_ms = opts->heartbeat_ms,
                            .server_key = opts->server_key };
    bool hb_started = false;
    int rc = opts->server_key ? pl_curve_client(s, opts->server_key) : 0;
    if (rc == 0 && opts->heartbeat_ms > 0)
        hb_started = s_start_heartbeat(s, &hb);
    if (rc == 0 && zmq_connect(s, endpoint) != 0)
        rc = -zmq_errno();
    if (rc == 0 && hb_started) {
        /* One heartbeat on the job socket, ahead of READY: the heartbeat
         * thread's own socket may still be connecting when the first job
         * arrives, and a worker that dies on that job before the broker has
         * heard it beat would be waited for until the job's deadline
         * instead of being taken as dead (the broker reaps only workers it
         * has heard). */
        struct pl_wire_msg m = { .type = PL_WIRE_HB, .body = hb.id, .body_len = strlen(hb.id) };
        rc = pl_wire_send(s, NULL, 0, &m, 0);
    }
    if (rc == 0)
        rc = s_serve(s, inst, opts);
    zmq_close(s);
    if (hb_started) {
        /* The heartbeat thread ends with the context (this process's own). */
        zmq_ctx_shutdown(zctx);
        pthread_join(hb.thread, NULL);
    }
    return rc;
}

static void *s_thread(void *arg)
{
    struct pl_worker *w = arg;
    /* "pl-<stage>" (cut to the kernel's 15 bytes): top -H, perf and
     * pl_bench --threads tell the stages' threads apart by it. */
    char name[16];
    snprintf(name, sizeof(name), "pl-%.12s", w->inst.stage);
    pthread_setname_np(pthread_self(), name);
    const struct pl_worker_opts opts = { .reply_patch = true };
    int rc = pl_worker_run(w->zctx, w->endpoint, &w->inst, &opts);
    if (rc != 0)
        PL_ERR("stage %s: worker stopped: %s", w->inst.stage, zmq_strerror(-rc));
    return NULL;
}

int pl_worker_start(struct pl_worker *w)
{
    int rc = pthread_create(&w->thread, NULL, s_thread, w);
    if (rc != 0)
        return -rc;
    w->started = 1;
    return 0;
}

int pl_worker_join(struct pl_worker *w, int timeout_ms)
{
    if (!w->started)
        return 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    int rc = pthread_timedjoin_np(w->thread, NULL, &ts);
    if (rc == 0)
        w->started = 0;
    return -rc;
}
