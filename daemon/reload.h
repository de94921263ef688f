/*
 * Reload on SIGHUP, and the set of generations (gen.h) it keeps.
 *
 * DESIGN. SIGHUP only sets a flag and starts a timer of 0 ms, so signals
 * that come while a reload runs are merged into exactly one more reload
 * after it. The reload reads the configuration file again and validates it
 * as `presslined --check` does (pl_config_load_checked, then
 * pl_service_check_stages: every plugin loads and accepts its options;
 * only --check's look at the spool's lock, which this daemon holds, is
 * left out), then
 * compares it with the running one: a key that cannot change without a
 * restart (pl_reload_restart_keys) refuses the whole reload, naming each
 * such key, and the daemon runs on as it was. Otherwise a new generation is
 * started from the new configuration and becomes the current one: articles
 * that enter from then on go to it, while each article already in flight
 * holds the generation it entered with and finishes there. A generation
 * that is no longer current is stopped (sockets, threads, processes,
 * plugins) once its broker holds no article, and freed once the last
 * article that entered it is published.
 *
 * The new chain starts beside the old one only when every stage endpoint
 * is inproc://, which is private to each generation's ZeroMQ context. An
 * ipc:// or tcp:// endpoint can be bound once, so then the old generation
 * takes no new article, and intake waits until its articles are out of its
 * broker and it is stopped; the new one then binds the same endpoints.
 *
 * systemd hears RELOADING=1 when a reload starts and READY=1 when it ends,
 * whether it was accepted or refused (notify.h).
 *
 * Loop thread only.
 */
#ifndef PL_RELOAD_H
#define PL_RELOAD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <uv.h>

#include "broker.h"
#include "gen.h"

struct pl_config;

/* What the service gives the generations. */
struct pl_reload_hooks {
    void *data;             /* each broker's b->data */
    pl_broker_cb on_done;   /* as pl_broker_start's */
    pl_broker_cb on_failed; /* as pl_broker_start's */
    /* Intake may go on: a generation that waited for the old one's
     * sockets is current now. */
    void (*on_current)(void *data);
    /* A reload starts: the service tells systemd RELOADING=1 and sends
     * READY=1 again only once every stage (of whichever generation is then
     * current) has a live worker (ops.c), whether the reload was taken or
     * refused. */
    void (*on_reloading)(void *data);
};

/* A stage's counters, kept by name across the generations, so that the
 * metrics' counters never go back when a reload frees the old stages. */
struct pl_stage_totals {
    char name[PL_STAGE_NAME_MAX];
    struct pl_hist seconds;
    uint64_t retries;
    uint64_t process_cpu_ns; /* worker threads' CPU in process() (pl_gen_process_cpu_ns) */
};

struct pl_reload {
    uv_loop_t *loop;
    const char *path; /* the configuration file (borrowed), NULL: the built-in default */
    bool log_level_fixed;
    char bin_dir[PATH_MAX];
    struct pl_reload_hooks hooks;
    LIST_HEAD(, pl_gen) gens;  /* every generation not yet freed, the newest first */
    struct pl_gen *current;    /* takes new articles; NULL while the next one waits */
    struct pl_config *waiting; /* accepted, waiting for the old generations' sockets */
    unsigned last_number;
    uv_signal_t sighup;
    uv_timer_t timer; /* runs a requested reload; collects generations that drained */
    bool armed, requested, stopping, closed;
    bool wait_failed;               /* the waiting generation could not start; tried again */
    uint64_t retry_at_ms;           /* tried again not before then (loop time) */
    unsigned long reloads, refused; /* since start */
    /* The counters of the generations freed, by stage name. When the table
     * is full, a slot of a name no living generation has is taken; only
     * when every slot holds a name still in use (several generations of
     * all-different stages alive at once) are a name's counts not kept. */
#define RETIRED_MAX (3 * PL_MAX_STAGES)
    struct pl_stage_totals retired[RETIRED_MAX];
    size_t nretired;
    size_t stuck_retired; /* worker threads left inside a plugin by generations freed */
};

/* Starts generation 1 from cfg (borrowed: it must outlive rl). path is the
 * file to read again on SIGHUP (borrowed; NULL: the built-in default);
 * log_level_fixed: the command line set the log level, which a reload then
 * keeps. Failures are logged. Returns 0 or the failure's code; either way
 * pl_reload_close must run. */
int pl_reload_open(struct pl_reload *rl, uv_loop_t *loop, const struct pl_config *cfg,
                   const char *path, bool log_level_fixed, const struct pl_reload_hooks *hooks);

/* From now on SIGHUP reloads (before, its default action would end the
 * daemon). */
void pl_reload_arm(struct pl_reload *rl);

/* The counters of the stage called name: those of every generation not
 * yet freed and of those freed, added up. */
void pl_reload_stage_totals(const struct pl_reload *rl, const char *name,
                            struct pl_stage_totals *out);

/* The generation new articles enter, or NULL while intake waits for a new
 * one (then on_current says when to go on). */
struct pl_gen *pl_reload_current(struct pl_reload *rl);

/* An article enters g (it holds g until pl_reload_release). */
void pl_reload_hold(struct pl_gen *g);
/* The article that held g is published or dropped. */
void pl_reload_release(struct pl_gen *g);

/* Articles in the brokers of every generation. */
size_t pl_reload_in_flight(const struct pl_reload *rl);

/* The shutdown began: no reload runs from now on (one waiting for sockets
 * is dropped; its generation was never started). */
void pl_reload_stop(struct pl_reload *rl);

/* Forgets every article still in a broker (each is given to `each`);
 * returns how many. */
size_t pl_reload_abandon(struct pl_reload *rl, pl_broker_cb each);

/* Stops every generation and closes rl's handles; the loop must then run
 * until they are closed. Once is enough; again does nothing. */
void pl_reload_close(struct pl_reload *rl);

/* Worker threads left behind inside a plugin, in every generation. */
size_t pl_reload_stuck(const struct pl_reload *rl);

/* After the loop ended (and every article was released): frees the
 * generations. */
void pl_reload_free(struct pl_reload *rl);

/* Writes into out the names of the keys whose values differ between the
 * running configuration old and the new one and that only a restart can
 * change: the folders, on_success, durable, publish.*, limits.*, watch.*,
 * security.curve_secret_key_file (the key it holds), shutdown_timeout_ms,
 * and the endpoint (or spawn) of a stage that both have by name with spawn
 * "none" in old (its workers are started by others, at that endpoint).
 * Names are separated by ", ". Returns how many. */
int pl_reload_restart_keys(const struct pl_config *old, const struct pl_config *new_cfg, char *out,
                           size_t outlen);

#endif
