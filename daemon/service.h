/*
 * presslined's service: watch the inbox, claim files into the spool, run
 * them through the broker and the stage workers, write results durably,
 * publish them, move sources to done/ or failed/, and shut down in bounded
 * time. One libuv loop on the main thread; worker threads per stage; one
 * writer job at a time on libuv's thread pool, so results are written and
 * published in seq order. Worker processes (spawn "process") are started
 * and restarted by procs.c. The stage chain (broker, workers, plugins) is
 * a generation (gen.h), replaced on SIGHUP by reload.c.
 */
#ifndef PL_SERVICE_H
#define PL_SERVICE_H

#include <stdbool.h>

struct pl_config;

/* How the daemon was started, for a reload (reload.h). */
struct pl_service_opts {
    const char *config_path; /* the file SIGHUP reads again; NULL: the built-in default */
    bool log_level_fixed;    /* the command line set the log level; a reload keeps it */
};

/* Runs the daemon until SIGINT/SIGTERM; borrows cfg and opts throughout.
 * SIGHUP reloads the configuration (reload.h). First raises
 * the soft open-file limit to the hard one and locks the spool (a second
 * daemon on the same spool returns -EBUSY, its holder's pid logged). Returns 0
 * after a clean stop, or the negative code of what stopped the start (the
 * reason is logged). When a worker thread is stuck in its plugin at the end
 * it does not return but _exits (status 0 or 1), as nothing can free it. */
int pl_service_run(const struct pl_config *cfg, const struct pl_service_opts *opts);

/* Loads every stage's plugin and creates (then frees) an instance with its
 * options, as the daemon would at start, and warns (without failing) when
 * another daemon holds the spool. Returns 0, or the first problem's code (a
 * code of pl_plugin_open or pl_plugin_instance_init) with each problem
 * logged. */
int pl_service_check(const struct pl_config *cfg);

/* pl_service_check without the look at the spool's lock: what a reload
 * checks in the running daemon, which holds that lock itself. */
int pl_service_check_stages(const struct pl_config *cfg);

#endif
