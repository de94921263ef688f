/* Generations; see gen.h. */
#include "gen.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "log.h"
#include "worker.h"

/* How long the worker threads of a generation being stopped get, all
 * together, to end: idle ones end at once; one still inside its plugin
 * (an article that timed out) is left behind after this. */
#define GEN_JOIN_MS 1000

/* Starts the worker threads of g's stage i (after loading its plugin), or
 * only checks the plugin of a stage whose workers are processes. Logs each
 * failure. Returns 0 or the failure's code. */
static int s_start_stage(struct pl_gen *g, size_t i)
{
    const struct pl_stage_cfg *sc = &g->cfg->stages[i];
    char err[1024];
    if (sc->spawn == PL_SPAWN_NONE) {
        PL_INFO("stage %s: waiting for worker processes to connect to %s", sc->name, sc->endpoint);
        return 0;
    }
    int rc = pl_plugin_open(sc->plugin_path, &g->plugins[i], err, sizeof(err));
    if (rc != 0) {
        PL_ERR("stage %s: %s", sc->name, err);
        return rc;
    }
    if (sc->spawn == PL_SPAWN_PROCESS) {
        /* Load it here too, so a broken plugin stops the start now, not
         * in a loop of worker restarts. */
        struct pl_plugin_instance probe;
        rc = pl_plugin_instance_init(&probe, g->plugins[i], sc->name, sc->options_json, err,
                                     sizeof(err));
        if (rc != 0) {
            PL_ERR("%s", err);
            return rc;
        }
        pl_plugin_instance_fini(&probe);
        return 0; /* started by pl_procs_start */
    }
    int n = sc->workers;
    if (!(g->plugins[i]->desc->flags & PL_PLUGIN_THREAD_SAFE) && n > 1) {
        PL_WARN("stage %s: plugin %s is not marked thread-safe; running 1 worker thread, "
                "not %d",
                sc->name, g->plugins[i]->desc->name, n);
        n = 1;
    }
    for (int k = 0; k < n; k++) {
        struct pl_worker *w = calloc(1, sizeof(*w));
        if (!w) {
            PL_ERR("stage %s: out of memory starting its workers", sc->name);
            return -ENOMEM;
        }
        g->workers[g->nworkers++] = w;
        w->stage = i;
        w->zctx = g->zctx;
        w->endpoint = strdup(sc->endpoint);
        rc = w->endpoint ? pl_plugin_instance_init(&w->inst, g->plugins[i], sc->name,
                                                   sc->options_json, err, sizeof(err))
                         : -ENOMEM;
        if (rc != 0) {
            PL_ERR("%s", w->endpoint ? err : "out of memory");
            return rc;
        }
        if ((rc = pl_worker_start(w)) != 0) {
            PL_ERR("stage %s: cannot start a worker thread", sc->name);
            pl_plugin_instance_fini(&w->inst);
            return rc;
        }
    }
    PL_INFO("stage %s: plugin %s %s from %s, %d worker%s on %s", sc->name,
            g->plugins[i]->desc->name, g->plugins[i]->desc->version, sc->plugin_path, n,
            n == 1 ? "" : "s", sc->endpoint);
    return 0;
}

/* Starts every stage's worker threads. Returns 0 or the first failure's
 * code (logged). */
static int s_start_workers(struct pl_gen *g)
{
    const struct pl_config *cfg = g->cfg;
    size_t total = 0;
    for (size_t i = 0; i < cfg->nstages; i++)
        total += (size_t)cfg->stages[i].workers;
    g->workers = calloc(total, sizeof(*g->workers));
    if (!g->workers) {
        PL_ERR("out of memory starting the workers");
        return -ENOMEM;
    }
    for (size_t i = 0; i < cfg->nstages; i++) {
        int rc = s_start_stage(g, i);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int pl_gen_start(struct pl_gen *g, uv_loop_t *loop, const struct pl_config *cfg, void *data,
                 pl_broker_cb on_done, pl_broker_cb on_failed, const char *bin_dir)
{
    char err[1024], eb[128];
    g->cfg = cfg;
    g->zctx = zmq_ctx_new();
    if (!g->zctx) {
        int rc = -zmq_errno();
        PL_ERR("cannot create a ZeroMQ context: %s", pl_strerror(rc, eb, sizeof(eb)));
        return rc;
    }
    g->broker.data = data;
    int rc = pl_broker_start(&g->broker, loop, g->zctx, cfg, on_done, on_failed, err, sizeof(err));
    if (rc != 0) {
        PL_ERR("%s", err);
        return rc;
    }
    g->broker_open = true;
    if ((rc = s_start_workers(g)) != 0)
        return rc;
    g->procs_started = true;
    rc = pl_procs_start(&g->procs, loop, cfg, bin_dir);
    if (rc != 0)
        PL_ERR("cannot start the worker processes: %s", pl_strerror(rc, eb, sizeof(eb)));
    return rc;
}

static void s_closed_one(struct pl_gen *g)
{
    if (--g->closing == 0 && g->stopped_cb)
        g->stopped_cb(g);
}

static void s_broker_closed(struct pl_broker *b)
{
    s_closed_one(pl_gen_of(b));
}

static void s_procs_closed(struct pl_procs *p)
{
    s_closed_one((struct pl_gen *)((char *)p - offsetof(struct pl_gen, procs)));
}

/* Ends g's worker threads: the context shutdown makes their blocking
 * receive return ETERM. Returns how many are stuck inside their plugin
 * (left behind, never freed). */
static size_t s_stop_threads(struct pl_gen *g)
{
    size_t stuck = 0;
    if (g->zctx)
        zmq_ctx_shutdown(g->zctx);
    /* GEN_JOIN_MS for all of them together, however many are stuck. */
    uint64_t deadline = uv_hrtime() / 1000000u + GEN_JOIN_MS;
    for (size_t i = 0; i < g->nworkers; i++) {
        struct pl_worker *w = g->workers[i];
        uint64_t now = uv_hrtime() / 1000000u;
        int left = now < deadline ? (int)(deadline - now) : 0;
        int joined = pl_worker_join(w, left);
        if (w->stage < PL_MAX_STAGES)
            g->ended_cpu_ns[w->stage] +=
                atomic_load_explicit(&w->inst.process_cpu_ns, memory_order_relaxed);
        if (joined != 0) {
            PL_WARN("stage %s: a worker is stuck in its plugin; leaving it behind", w->inst.stage);
            g->workers[i] = NULL;
            stuck++;
            continue;
        }
        if (w->inst.desc)
            pl_plugin_instance_fini(&w->inst);
        free(w->endpoint);
        free(w);
        g->workers[i] = NULL;
    }
    g->nworkers = 0;
    return stuck;
}

void pl_gen_stop(struct pl_gen *g, void (*stopped_cb)(struct pl_gen *g))
{
    if (g->stopping)
        return;
    g->stopping = true;
    g->stopped_cb = stopped_cb;
    g->closing = 1; /* until the end of this function */
    if (g->broker_open) {
        g->closing++;
        g->broker_open = false;
        pl_broker_close(&g->broker, s_broker_closed);
    }
    if (g->procs_started) {
        g->closing++;
        pl_procs_stop(&g->procs, 1000, s_procs_closed);
    }
    g->stuck = s_stop_threads(g);
    /* zmq_ctx_term waits for every socket of the context, and a stuck
     * worker's never closes; nor may the plugin it runs be unloaded. */
    if (!g->stuck) {
        if (g->zctx)
            zmq_ctx_term(g->zctx);
        g->zctx = NULL;
        for (size_t i = 0; i < PL_MAX_STAGES; i++)
            pl_plugin_close(&g->plugins[i]);
    }
    s_closed_one(g);
}

uint64_t pl_gen_process_cpu_ns(const struct pl_gen *g, size_t i)
{
    uint64_t ns = i < PL_MAX_STAGES ? g->ended_cpu_ns[i] : 0;
    for (size_t k = 0; k < g->nworkers; k++)
        if (g->workers[k] && g->workers[k]->stage == i)
            ns += atomic_load_explicit(&g->workers[k]->inst.process_cpu_ns, memory_order_relaxed);
    return ns;
}

bool pl_gen_stopped(const struct pl_gen *g)
{
    return g->stopping && g->closing == 0;
}

void pl_gen_free(struct pl_gen *g)
{
    free(g->workers);
    g->workers = NULL;
    pl_config_free(&g->owned_cfg);
}

struct pl_gen *pl_gen_of(struct pl_broker *b)
{
    return (struct pl_gen *)((char *)b - offsetof(struct pl_gen, broker));
}
