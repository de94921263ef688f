/* Reload on SIGHUP; see reload.h. */
#include "reload.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "service.h"

/* How often generations that are no longer current are looked at while
 * some are left (they are also looked at as each of their articles is
 * released), and how soon a generation that waited and could not start is
 * tried again. */
#define COLLECT_MS 100
#define RETRY_START_MS 1000

static void s_kick(struct pl_reload *rl, uint64_t ms);

/* The folder of the running executable, where `pressline` is too; "." when
 * it cannot be found. */
static void s_bin_dir(char *out, size_t n)
{
    size_t len = n;
    char *slash;
    if (uv_exepath(out, &len) != 0)
        snprintf(out, n, ".");
    else if ((slash = strrchr(out, '/')))
        *slash = '\0';
}

static void s_on_gen_stopped(struct pl_gen *g)
{
    s_kick(g->owner, 0);
}

/* A new generation for cfg, listed in rl and started. owned: g frees cfg
 * (also when the start fails: its handles may use the stage names until
 * they are closed). On failure (logged) g is being stopped and *rc says
 * why; it is collected like any other. Returns NULL only without memory. */
static struct pl_gen *s_gen_new(struct pl_reload *rl, const struct pl_config *cfg,
                                struct pl_config *owned, int *rc)
{
    struct pl_gen *g = calloc(1, sizeof(*g));
    if (!g) {
        PL_ERR("out of memory starting a generation of the stages");
        *rc = -ENOMEM;
        return NULL;
    }
    g->owner = rl;
    g->number = ++rl->last_number;
    g->owned_cfg = owned;
    LIST_INSERT_HEAD(&rl->gens, g, link);
    *rc = pl_gen_start(g, rl->loop, cfg, rl->hooks.data, rl->hooks.on_done, rl->hooks.on_failed,
                       rl->bin_dir);
    if (*rc != 0)
        pl_gen_stop(g, s_on_gen_stopped);
    return g;
}

int pl_reload_open(struct pl_reload *rl, uv_loop_t *loop, const struct pl_config *cfg,
                   const char *path, bool log_level_fixed, const struct pl_reload_hooks *hooks)
{
    memset(rl, 0, sizeof(*rl));
    rl->loop = loop;
    rl->path = path;
    rl->log_level_fixed = log_level_fixed;
    rl->hooks = *hooks;
    LIST_INIT(&rl->gens);
    s_bin_dir(rl->bin_dir, sizeof(rl->bin_dir));
    uv_timer_init(loop, &rl->timer);
    rl->timer.data = rl;
    int rc;
    struct pl_gen *g = s_gen_new(rl, cfg, NULL, &rc);
    if (g && rc == 0)
        rl->current = g;
    return rc;
}

struct pl_gen *pl_reload_current(struct pl_reload *rl)
{
    return rl->current;
}

void pl_reload_hold(struct pl_gen *g)
{
    g->holds++;
}

void pl_reload_release(struct pl_gen *g)
{
    struct pl_reload *rl = g->owner;
    g->holds--;
    if (g != rl->current)
        s_kick(rl, 0);
}

size_t pl_reload_in_flight(const struct pl_reload *rl)
{
    size_t n = 0;
    const struct pl_gen *g;
    LIST_FOREACH(g, &rl->gens, link)
    n += g->broker.in_flight;
    return n;
}

size_t pl_reload_stuck(const struct pl_reload *rl)
{
    size_t n = rl->stuck_retired;
    const struct pl_gen *g;
    LIST_FOREACH(g, &rl->gens, link)
    n += g->stuck;
    return n;
}

/* --- the keys only a restart changes ----------------------------------- */

enum key_kind { KEY_STR, KEY_CHARS, KEY_INT, KEY_SIZE, KEY_BOOL };

/* A key of the configuration file and the field it is read into. */
struct restart_key {
    const char *name;
    enum key_kind kind;
    size_t off;
};

#define KEY(name, kind, field)                                                                     \
    {                                                                                              \
        name, kind, offsetof(struct pl_config, field)                                              \
    }

/* Whether generation g (may be NULL) has a stage called name. */
static bool s_has_stage(const struct pl_gen *g, const char *name)
{
    for (size_t i = 0; g && i < g->broker.nstages; i++)
        if (!strcmp(g->broker.stages[i].name, name))
            return true;
    return false;
}

/* The slot of rl->retired for name: its own, a free one, or, when the table
 * is full, one of a name neither g nor any other living generation has
 * (no metric shows it any more). RETIRED_MAX is out of room. */
static size_t s_retired_slot(struct pl_reload *rl, const struct pl_gen *g, const char *name)
{
    for (size_t k = 0; k < rl->nretired; k++)
        if (!strcmp(rl->retired[k].name, name))
            return k;
    if (rl->nretired < RETIRED_MAX)
        return rl->nretired++;
    for (size_t k = 0; k < rl->nretired; k++) {
        bool live = s_has_stage(g, rl->retired[k].name);
        const struct pl_gen *o;
        LIST_FOREACH(o, &rl->gens, link) live = live || s_has_stage(o, rl->retired[k].name);
        if (!live) {
            memset(&rl->retired[k], 0, sizeof(rl->retired[k]));
            return k;
        }
    }
    return RETIRED_MAX;
}

/* Keeps the counters of g's stages, which is about to be freed (and is
 * out of rl->gens already). */
static void s_retire(struct pl_reload *rl, const struct pl_gen *g)
{
    for (size_t i = 0; i < g->broker.nstages; i++) {
        const struct pl_stage_rt *s = &g->broker.stages[i];
        size_t k = s_retired_slot(rl, g, s->name);
        if (k == RETIRED_MAX)
            continue; /* every slot is a name still in use: its counts are not kept */
        snprintf(rl->retired[k].name, sizeof(rl->retired[k].name), "%s", s->name);
        pl_hist_add(&rl->retired[k].seconds, &s->seconds);
        rl->retired[k].retries += s->retries;
        rl->retired[k].process_cpu_ns += pl_gen_process_cpu_ns(g, i);
    }
    rl->stuck_retired += g->stuck;
}

void pl_reload_stage_totals(const struct pl_reload *rl, const char *name,
                            struct pl_stage_totals *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t k = 0; k < rl->nretired; k++)
        if (!strcmp(rl->retired[k].name, name)) {
            pl_hist_add(&out->seconds, &rl->retired[k].seconds);
            out->retries += rl->retired[k].retries;
            out->process_cpu_ns += rl->retired[k].process_cpu_ns;
        }
    const struct pl_gen *g;
    LIST_FOREACH(g, &rl->gens, link)
    {
        for (size_t i = 0; i < g->broker.nstages; i++)
            if (!strcmp(g->broker.stages[i].name, name)) {
                pl_hist_add(&out->seconds, &g->broker.stages[i].seconds);
                out->retries += g->broker.stages[i].retries;
                out->process_cpu_ns += pl_gen_process_cpu_ns(g, i);
            }
    }
}

/* The keys only a restart changes, and why: the folders are open (and the
 * spool locked) from the start, and the writer on the thread pool reads
 * them and on_success and durable while the loop runs; the publish and
 * replay sockets have subscribers connected, and the HTTP endpoint its own
 * thread and socket; the limits and the watcher's mode and timing shape
 * queues already filled; the CURVE key is that of sockets already bound;
 * shutdown_timeout_ms is kept simple with the rest. */
_Static_assert(sizeof(enum pl_watch_mode) == sizeof(int), "watch.mode is compared as an int");

static const struct restart_key s_restart_keys[] = {
    KEY("inbox", KEY_STR, inbox),
    KEY("outbox", KEY_STR, outbox),
    KEY("spool", KEY_STR, spool),
    KEY("done", KEY_STR, done),
    KEY("failed", KEY_STR, failed),
    KEY("on_success", KEY_BOOL, delete_on_success),
    KEY("durable", KEY_BOOL, durable),
    KEY("publish.endpoint", KEY_STR, pub_endpoint),
    KEY("publish.replay_endpoint", KEY_STR, replay_endpoint),
    KEY("publish.hwm", KEY_INT, pub_hwm),
    KEY("publish.status_interval_ms", KEY_INT, status_interval_ms),
    KEY("limits.max_bytes", KEY_SIZE, max_bytes),
    KEY("limits.max_in_flight", KEY_INT, max_in_flight),
    KEY("limits.max_queued", KEY_INT, max_queued),
    KEY("watch.settle_ms", KEY_INT, settle_ms),
    KEY("watch.rescan_interval_ms", KEY_INT, rescan_interval_ms),
    KEY("watch.follow_symlinks", KEY_BOOL, follow_symlinks),
    KEY("watch.mode", KEY_INT, watch_mode), /* an enum: int-sized (C11 6.7.2.2 lets it be) */
    KEY("watch.poll_interval_ms", KEY_INT, poll_interval_ms),
    KEY("http.listen", KEY_STR, http_listen),
    KEY("http.allow_remote", KEY_BOOL, http_allow_remote),
    KEY("security.curve_secret_key_file", KEY_CHARS, curve_secret),
    KEY("shutdown_timeout_ms", KEY_INT, shutdown_timeout_ms),
};

static bool s_key_differs(const struct restart_key *k, const struct pl_config *a,
                          const struct pl_config *b)
{
    const char *pa = (const char *)a + k->off, *pb = (const char *)b + k->off;
    switch (k->kind) {
    case KEY_STR: return strcmp(*(char *const *)pa, *(char *const *)pb) != 0;
    case KEY_CHARS: return strcmp(pa, pb) != 0;
    case KEY_INT: return *(const int *)pa != *(const int *)pb;
    case KEY_SIZE: return *(const size_t *)pa != *(const size_t *)pb;
    case KEY_BOOL: return *(const bool *)pa != *(const bool *)pb;
    }
    return false;
}

/* Adds name to the ", "-separated list in out. */
static void s_add_name(char *out, size_t outlen, int n, const char *name)
{
    size_t used = strlen(out);
    if (used < outlen)
        snprintf(out + used, outlen - used, "%s%s", n ? ", " : "", name);
}

int pl_reload_restart_keys(const struct pl_config *old, const struct pl_config *new_cfg, char *out,
                           size_t outlen)
{
    int n = 0;
    if (outlen)
        out[0] = '\0';
    for (size_t i = 0; i < sizeof(s_restart_keys) / sizeof(s_restart_keys[0]); i++)
        if (s_key_differs(&s_restart_keys[i], old, new_cfg))
            s_add_name(out, outlen, n++, s_restart_keys[i].name);
    /* The workers of a spawn "none" stage are started by others and
     * connect to its endpoint: the daemon cannot move them. */
    for (size_t i = 0; i < old->nstages; i++) {
        const struct pl_stage_cfg *o = &old->stages[i];
        if (o->spawn != PL_SPAWN_NONE)
            continue;
        for (size_t k = 0; k < new_cfg->nstages; k++) {
            const struct pl_stage_cfg *s = &new_cfg->stages[k];
            if (strcmp(s->name, o->name) != 0)
                continue;
            char key[96];
            if (strcmp(s->endpoint, o->endpoint) != 0) {
                snprintf(key, sizeof(key), "stages[%zu].endpoint (stage %s, spawn \"none\")", k,
                         s->name);
                s_add_name(out, outlen, n++, key);
            } else if (s->spawn != PL_SPAWN_NONE) {
                snprintf(key, sizeof(key), "stages[%zu].spawn (stage %s, was \"none\")", k,
                         s->name);
                s_add_name(out, outlen, n++, key);
            }
        }
    }
    return n;
}

/* --- the reload --------------------------------------------------------- */

/* Whether every stage endpoint of cfg is inproc://, private to a
 * generation's own context, so that its chain can start beside the
 * running one. */
static bool s_all_inproc(const struct pl_config *cfg)
{
    for (size_t i = 0; i < cfg->nstages; i++)
        if (strncmp(cfg->stages[i].endpoint, "inproc://", 9) != 0)
            return false;
    return true;
}

static const char *s_name(const struct pl_reload *rl)
{
    return rl->path ? rl->path : "(built-in default)";
}

static void s_now_current(struct pl_reload *rl, struct pl_gen *g, const struct pl_gen *old)
{
    rl->current = g;
    rl->reloads++;
    if (!rl->log_level_fixed)
        pl_log_set_level(g->cfg->log_level);
    if (old)
        PL_INFO("reloaded %s: generation %u takes new articles; %zu in flight finish on "
                "generation %u",
                s_name(rl), g->number, old->broker.in_flight, old->number);
    else
        PL_INFO("reloaded %s: generation %u takes new articles", s_name(rl), g->number);
    /* READY=1 follows from ops.c once every new stage has a live worker. */
}

/* Starts the generation that waited for the old ones' sockets. */
static void s_start_waiting(struct pl_reload *rl)
{
    int rc;
    struct pl_gen *g = s_gen_new(rl, rl->waiting, NULL, &rc);
    if (g && rc == 0) {
        g->owned_cfg = rl->waiting;
        rl->waiting = NULL;
        rl->wait_failed = false;
        s_now_current(rl, g, NULL);
        if (rl->hooks.on_current)
            rl->hooks.on_current(rl->hooks.data);
        return;
    }
    /* Its sockets were free a moment ago: someone else may have taken one.
     * Intake waits (the files stay in the inbox) and it is tried again. */
    rl->retry_at_ms = uv_now(rl->loop) + RETRY_START_MS;
    if (!rl->wait_failed)
        PL_ERR("reload: the new stages did not start (see above); new files wait in the inbox; "
               "trying again every %d ms",
               RETRY_START_MS);
    rl->wait_failed = true;
}

/* An accepted configuration becomes the current generation's. Takes cfg. */
static void s_swap(struct pl_reload *rl, struct pl_config *cfg)
{
    struct pl_gen *old = rl->current;
    if (!s_all_inproc(cfg)) {
        rl->current = NULL;
        rl->waiting = cfg;
        PL_INFO("reload of %s accepted; its stage endpoints are not all inproc:// and are "
                "bound once, so the new stages start when generation %u has no article left in "
                "its stages (%zu now); new files wait until then",
                s_name(rl), old->number, old->broker.in_flight);
        return; /* s_collect starts it */
    }
    int rc;
    struct pl_gen *g = s_gen_new(rl, cfg, cfg, &rc);
    if (!g || rc != 0) {
        if (!g)
            pl_config_free(&cfg);
        rl->refused++;
        PL_ERR("reload refused: the stages of %s did not start (see above); running on "
               "generation %u",
               s_name(rl), old->number);
        return; /* READY=1 follows from ops.c, for the stages that run on */
    }
    s_now_current(rl, g, old);
}

/* Reads, validates and compares the configuration, then swaps it in or
 * refuses it with the reason logged. */
static void s_reload(struct pl_reload *rl)
{
    const struct pl_config *running = rl->current ? rl->current->cfg : rl->waiting;
    char err[1024], keys[1024];
    if (!running)
        return; /* not open */
    struct pl_config *cfg = NULL;
    if (rl->hooks.on_reloading)
        rl->hooks.on_reloading(rl->hooks.data);
    PL_INFO("SIGHUP: reading the configuration %s again", s_name(rl));
    /* What `presslined --check` runs, in the same order. */
    int rc = pl_config_load_checked(rl->path, NULL, &cfg, err, sizeof(err));
    if (rc != 0) {
        PL_ERR("reload refused: %s; running on as before", err);
        goto refused;
    }
    if (pl_service_check_stages(cfg) != 0) {
        PL_ERR("reload refused: the stages of %s are not usable (see above); running on as "
               "before",
               s_name(rl));
        goto refused;
    }
    int n = pl_reload_restart_keys(running, cfg, keys, sizeof(keys));
    if (n > 0) {
        PL_ERR("reload refused: %s changes %s only a restart can change: %s; running on as "
               "before",
               s_name(rl), n == 1 ? "a key" : "keys", keys);
        goto refused;
    }
    s_swap(rl, cfg);
    return;
refused:
    rl->refused++;
    pl_config_free(&cfg);
}

/* Stops the generations that are no longer current once their brokers
 * are empty, frees those stopped whose last article is released, and
 * starts a waiting generation once no old one holds a socket. Returns
 * whether something is left to look at later. */
static bool s_collect(struct pl_reload *rl)
{
    bool busy = false, left = false;
    struct pl_gen *g = LIST_FIRST(&rl->gens), *next;
    for (; g; g = next) {
        next = LIST_NEXT(g, link);
        if (g == rl->current)
            continue;
        if (!g->stopping && g->broker.in_flight == 0) {
            PL_INFO("generation %u: no article left in its stages; stopping its workers",
                    g->number);
            pl_gen_stop(g, s_on_gen_stopped);
        }
        if (!pl_gen_stopped(g)) {
            busy = left = true;
        } else if (g->holds == 0) {
            LIST_REMOVE(g, link);
            s_retire(rl, g);
            pl_gen_free(g);
            free(g);
        } else {
            left = true; /* its articles are being written */
        }
    }
    if (rl->waiting && !busy && !rl->stopping && uv_now(rl->loop) >= rl->retry_at_ms)
        s_start_waiting(rl);
    return left || (rl->waiting && !rl->stopping);
}

static void s_on_timer(uv_timer_t *t)
{
    struct pl_reload *rl = t->data;
    if (rl->requested && !rl->stopping && !rl->waiting) {
        rl->requested = false;
        s_reload(rl);
    }
    bool left = s_collect(rl);
    if (rl->requested && !rl->stopping && !rl->waiting)
        s_kick(rl, 0);
    else if (left)
        s_kick(rl, rl->wait_failed ? RETRY_START_MS : COLLECT_MS);
}

static void s_kick(struct pl_reload *rl, uint64_t ms)
{
    if (rl->closed)
        return;
    if (uv_is_active((uv_handle_t *)&rl->timer) && uv_timer_get_due_in(&rl->timer) <= ms)
        return;
    uv_timer_start(&rl->timer, s_on_timer, ms, 0);
}

static void s_on_sighup(uv_signal_t *s, int signum)
{
    (void)signum;
    struct pl_reload *rl = s->data;
    /* Merged: however many come before the timer runs, one reload. */
    rl->requested = true;
    if (rl->waiting)
        PL_INFO("SIGHUP: a reload is still under way; another follows it");
    s_kick(rl, 0);
}

void pl_reload_arm(struct pl_reload *rl)
{
    uv_signal_init(rl->loop, &rl->sighup);
    rl->sighup.data = rl;
    uv_signal_start(&rl->sighup, s_on_sighup, SIGHUP);
    rl->armed = true;
}

void pl_reload_stop(struct pl_reload *rl)
{
    rl->stopping = true;
    /* Freed with rl: a generation that failed to start from it may still
     * be closing, its handles naming its stages. */
    if (rl->waiting)
        PL_INFO("reload of %s dropped: the daemon is stopping", s_name(rl));
}

size_t pl_reload_abandon(struct pl_reload *rl, pl_broker_cb each)
{
    size_t n = 0;
    struct pl_gen *g;
    LIST_FOREACH(g, &rl->gens, link)
    n += pl_broker_abandon(&g->broker, each);
    return n;
}

void pl_reload_close(struct pl_reload *rl)
{
    if (rl->closed)
        return;
    rl->closed = true;
    rl->stopping = true;
    struct pl_gen *g;
    LIST_FOREACH(g, &rl->gens, link)
    pl_gen_stop(g, NULL);
    uv_close((uv_handle_t *)&rl->timer, NULL);
    if (rl->armed) {
        uv_close((uv_handle_t *)&rl->sighup, NULL);
        /* Closing the handle gives SIGHUP its default action back, which
         * ends the process: one arriving during the last of the shutdown
         * is ignored instead. */
        signal(SIGHUP, SIG_IGN);
    }
}

void pl_reload_free(struct pl_reload *rl)
{
    struct pl_gen *g;
    while ((g = LIST_FIRST(&rl->gens))) {
        LIST_REMOVE(g, link);
        pl_gen_free(g);
        free(g);
    }
    rl->current = NULL;
    pl_config_free(&rl->waiting);
}
