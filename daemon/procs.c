/* Worker process supervision; see procs.h. */
#include "procs.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

#define RESTART_MS 1000

static void s_spawn(struct pl_proc *w);

static void s_free(struct pl_procs *p)
{
    for (size_t i = 0; i < p->n; i++) {
        for (char **a = p->v[i].argv; a && *a; a++)
            free(*a);
        free(p->v[i].argv);
    }
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

/* One handle of p is closed; the last one frees p's workers. */
static void s_release(struct pl_procs *p)
{
    if (--p->open_handles == 0) {
        s_free(p);
        if (p->closed_cb)
            p->closed_cb(p);
    }
}

static void s_closed_proc(uv_handle_t *h)
{
    struct pl_proc *w = h->data;
    s_release(w->owner);
}

static void s_closed_restart(uv_handle_t *h)
{
    s_release(((struct pl_proc *)h->data)->owner);
}

static void s_closed_kill(uv_handle_t *h)
{
    s_release(h->data);
}

/* While stopping: once no process is left, the kill timer goes too. */
static void s_maybe_done(struct pl_procs *p)
{
    if (!p->stopping || uv_is_closing((uv_handle_t *)&p->kill_timer))
        return;
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].running)
            return;
    uv_timer_stop(&p->kill_timer);
    uv_close((uv_handle_t *)&p->kill_timer, s_closed_kill);
}

static void s_on_restart(uv_timer_t *t)
{
    struct pl_proc *w = t->data;
    if (!w->owner->stopping)
        s_spawn(w);
}

static void s_on_exit(uv_process_t *h, int64_t status, int sig)
{
    struct pl_proc *w = h->data;
    struct pl_procs *p = w->owner;
    w->running = false;
    uv_close((uv_handle_t *)h, s_closed_proc);
    if (p->stopping) {
        s_maybe_done(p);
        return;
    }
    if (sig)
        PL_WARN("stage %s: worker process %d died (%s); starting another in %d ms", w->stage,
                h->pid, strsignal(sig), RESTART_MS);
    else
        PL_WARN("stage %s: worker process %d exited with status %lld; starting another in %d ms",
                w->stage, h->pid, (long long)status, RESTART_MS);
    uv_timer_start(&w->restart, s_on_restart, RESTART_MS, 0);
}

static void s_spawn(struct pl_proc *w)
{
    struct pl_procs *p = w->owner;
    uv_stdio_container_t stdio[3] = {
        { .flags = UV_IGNORE },
        { .flags = UV_INHERIT_FD, .data.fd = 2 },
        { .flags = UV_INHERIT_FD, .data.fd = 2 },
    };
    uv_process_options_t o = {
        .exit_cb = s_on_exit, .file = w->argv[0], .args = w->argv, .stdio_count = 3, .stdio = stdio
    };
    w->handle.data = w;
    int rc = uv_spawn(p->loop, &w->handle, &o);
    p->open_handles++;
    if (rc != 0) {
        PL_ERR("stage %s: cannot start %s: %s; trying again in %d ms", w->stage, w->argv[0],
               uv_strerror(rc), RESTART_MS);
        uv_close((uv_handle_t *)&w->handle, s_closed_proc);
        uv_timer_start(&w->restart, s_on_restart, RESTART_MS, 0);
        return;
    }
    w->running = true;
    PL_DEBUG("stage %s: worker process %d started", w->stage, w->handle.pid);
}

int pl_procs_start(struct pl_procs *p, uv_loop_t *loop, const struct pl_config *cfg,
                   const char *bin_dir)
{
    memset(p, 0, sizeof(*p));
    p->loop = loop;
    size_t total = 0;
    for (size_t i = 0; i < cfg->nstages; i++)
        if (cfg->stages[i].spawn == PL_SPAWN_PROCESS)
            total += (size_t)cfg->stages[i].workers;
    uv_timer_init(loop, &p->kill_timer);
    p->kill_timer.data = p;
    p->open_handles = 1;
    if (total == 0)
        return 0;
    p->v = calloc(total, sizeof(*p->v));
    if (!p->v)
        return -ENOMEM;
    char hb[32];
    snprintf(hb, sizeof(hb), "%d", cfg->worker_heartbeat_ms);
    for (size_t i = 0; i < cfg->nstages; i++) {
        const struct pl_stage_cfg *sc = &cfg->stages[i];
        if (sc->spawn != PL_SPAWN_PROCESS)
            continue;
        for (int k = 0; k < sc->workers; k++) {
            struct pl_proc *w = &p->v[p->n++];
            w->owner = p;
            w->stage = sc->name;
            w->argv = calloc(16, sizeof(char *));
            if (!w->argv)
                return -ENOMEM;
            char **a = w->argv;
            if (asprintf(&a[0], "%s/pressline", bin_dir) < 0)
                a[0] = NULL;
            a[1] = strdup("worker");
            a[2] = strdup("--connect");
            a[3] = strdup(sc->endpoint);
            a[4] = strdup("--stage");
            a[5] = strdup(sc->name);
            a[6] = strdup("--plugin");
            a[7] = strdup(sc->plugin_path);
            a[8] = strdup("--options");
            a[9] = strdup(sc->options_json);
            a[10] = strdup("--heartbeat-ms");
            a[11] = strdup(hb);
            a[12] = strdup("--exit-with-parent");
            for (int j = 0; j < 13; j++)
                if (!a[j])
                    return -ENOMEM;
            if (cfg->curve_secret[0] && !strncmp(sc->endpoint, "tcp://", 6)) {
                a[13] = strdup("--server-public");
                a[14] = strdup(cfg->curve_public);
                if (!a[13] || !a[14])
                    return -ENOMEM;
            }
            uv_timer_init(loop, &w->restart);
            w->restart.data = w;
            p->open_handles++;
            s_spawn(w);
        }
        PL_INFO("stage %s: %d worker process%s on %s", sc->name, sc->workers,
                sc->workers == 1 ? "" : "es", sc->endpoint);
    }
    return 0;
}

static void s_on_kill(uv_timer_t *t)
{
    struct pl_procs *p = t->data;
    for (size_t i = 0; i < p->n; i++)
        if (p->v[i].running) {
            PL_WARN("stage %s: worker process %d did not stop; killing it", p->v[i].stage,
                    p->v[i].handle.pid);
            uv_process_kill(&p->v[i].handle, SIGKILL);
        }
}

void pl_procs_stop(struct pl_procs *p, int grace_ms, void (*closed_cb)(struct pl_procs *p))
{
    p->stopping = true;
    p->closed_cb = closed_cb;
    for (size_t i = 0; i < p->n; i++) {
        struct pl_proc *w = &p->v[i];
        uv_timer_stop(&w->restart);
        uv_close((uv_handle_t *)&w->restart, s_closed_restart);
        if (w->running)
            uv_process_kill(&w->handle, SIGTERM);
    }
    uv_timer_start(&p->kill_timer, s_on_kill, (uint64_t)grace_ms, 0);
    s_maybe_done(p);
}
