/*
 * presslined's service: watch the inbox, claim files into the spool, run
 * them through the broker and the stage workers, write results durably,
 * publish them, move sources to done/ or failed/, and shut down in bounded
 * time. One libuv loop on the main thread; worker threads per stage; one
 * writer job at a time on libuv's thread pool, so results are written and
 * published in seq order. Worker processes (spawn "process") are started
 * and restarted by procs.c.
 */
#ifndef PL_SERVICE_H
#define PL_SERVICE_H

struct pl_config;

/* Runs the daemon until SIGINT/SIGTERM; borrows cfg throughout. First raises
 * the soft open-file limit to the hard one and locks the spool (a second
 * daemon on the same spool returns -EBUSY, its holder's pid logged). Returns 0
 * after a clean stop, or the negative code of what stopped the start (the
 * reason is logged). When a worker thread is stuck in its plugin at the end
 * it does not return but _exits (status 0 or 1), as nothing can free it. */
int pl_service_run(const struct pl_config *cfg);

/* Loads every stage's plugin and creates (then frees) an instance with its
 * options, as the daemon would at start, and warns (without failing) when
 * another daemon holds the spool. Returns 0, or the first problem's code (a
 * code of pl_plugin_open or pl_plugin_instance_init) with each problem
 * logged. */
int pl_service_check(const struct pl_config *cfg);

#endif
