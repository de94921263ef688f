/* Stage worker; see worker.h. */
#include "worker.h"

#include <cjson/cJSON.h>
#include <sodium.h>
#include <unistd.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "curve.h"
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

int pl_worker_run(void *zctx, const char *endpoint, struct pl_plugin_instance *inst,
                  const struct pl_worker_opts *opts)
{
    int heartbeat_ms = opts->heartbeat_ms;
    const volatile sig_atomic_t *stop = opts->stop;
    const struct pl_plugin *d = inst->desc;
    void *s = zmq_socket(zctx, ZMQ_DEALER);
    if (!s)
        return -zmq_errno();
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
    int rc = 0;
    struct heartbeat hb = { .zctx = zctx,
                            .endpoint = endpoint,
                            .interval_ms = heartbeat_ms,
                            .server_key = opts->server_key };
    int hb_started = 0;
    if (opts->server_key && (rc = pl_curve_client(s, opts->server_key)) != 0)
        goto out;
    if (heartbeat_ms > 0) {
        unsigned char rnd[6];
        randombytes_buf(rnd, sizeof(rnd));
        snprintf(hb.id, sizeof(hb.id), "w%d-%02x%02x%02x%02x%02x%02x", (int)getpid(), rnd[0],
                 rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
        zmq_setsockopt(s, ZMQ_ROUTING_ID, hb.id, strlen(hb.id));
        /* Signals go to this thread, whose blocking calls they interrupt. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        hb_started = pthread_create(&hb.thread, NULL, s_heartbeat, &hb) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    if (zmq_connect(s, endpoint) != 0) {
        rc = -zmq_errno();
        PL_ERR("stage %s: worker cannot connect to %s: %s", inst->stage, endpoint,
               zmq_strerror(-rc));
        goto out;
    }
    struct pl_wire_msg ready = { .type = PL_WIRE_READY,
                                 .plugin = d->name,
                                 .plugin_len = strlen(d->name),
                                 .version = d->version,
                                 .version_len = strlen(d->version) };
    if ((rc = pl_wire_send(s, NULL, 0, &ready, 0)) != 0)
        goto out;

    for (;;) {
        struct pl_wire_in in;
        if (heartbeat_ms > 0) {
            /* Idle for a while: say READY again, for a daemon that restarted
             * (the socket reconnects by itself, but the new broker has not
             * heard from us). */
            zmq_pollitem_t it = { s, 0, ZMQ_POLLIN, 0 };
            int pr = zmq_poll(&it, 1, 3L * heartbeat_ms);
            if (pr < 0 && zmq_errno() == EINTR) {
                if (stop && *stop) {
                    rc = 0;
                    break;
                }
                continue;
            }
            if (pr < 0) {
                rc = -zmq_errno();
                break;
            }
            if (pr == 0) {
                if ((rc = pl_wire_send(s, NULL, 0, &ready, 0)) != 0)
                    break;
                continue;
            }
        }
        rc = pl_wire_recv(s, &in, 0);
        if (rc == -EINTR) {
            if (stop && *stop) {
                rc = 0;
                break;
            }
            continue;
        }
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
        /* The plugin gets a NUL-terminated copy; frames are not terminated. */
        char *doc = malloc(job.body_len + 1);
        struct pl_error perr = { { 0 } };
        char *out = NULL;
        size_t out_len = 0;
        uint64_t t0 = s_now_us();
        int prc;
        if (!doc) {
            prc = -1;
            snprintf(perr.message, sizeof(perr.message), "out of memory");
        } else {
            memcpy(doc, job.body, job.body_len);
            doc[job.body_len] = '\0';
            prc = d->process(inst->state, doc, job.body_len, &out, &out_len, &perr);
        }
        uint64_t us = s_now_us() - t0;
        free(doc);
        struct pl_wire_msg reply = { .job = job.job, .us = us };
        pl_wire_in_close(&in);
        if (prc == 0 && out) {
            /* A plugin that hands back something that is not a JSON object
             * fails here, under its own name, not in the next stage. */
            cJSON *check = cJSON_ParseWithLength(out, out_len);
            int ok = cJSON_IsObject(check);
            cJSON_Delete(check);
            if (!ok) {
                d->release(inst->state, out);
                out = NULL;
                prc = -1;
                snprintf(perr.message, sizeof(perr.message),
                         "plugin %s returned a document that is not a JSON object", d->name);
            }
        } else if (prc == 0) {
            prc = -1;
            snprintf(perr.message, sizeof(perr.message), "plugin %s returned no document", d->name);
        }
        if (prc == 0) {
            reply.type = PL_WIRE_DONE;
            reply.body = out;
            reply.body_len = out_len;
            reply.plugin = d->name;
            reply.plugin_len = strlen(d->name);
            reply.version = d->version;
            reply.version_len = strlen(d->version);
        } else {
            if (!perr.message[0])
                snprintf(perr.message, sizeof(perr.message), "plugin %s failed without a reason",
                         d->name);
            reply.type = PL_WIRE_FAIL;
            reply.body = perr.message;
            reply.body_len = strnlen(perr.message, sizeof(perr.message));
        }
        rc = pl_wire_send(s, NULL, 0, &reply, 0);
        if (out)
            d->release(inst->state, out);
        if (rc != 0)
            break;
    }
    if (rc == -ETERM)
        rc = 0;
out:
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
    const struct pl_worker_opts opts = { 0 };
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
