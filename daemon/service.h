/*
 * presslined's service: watch the inbox, claim files into the spool, run
 * them through the broker and the stage workers, write results durably,
 * publish them, move sources to done/ or failed/, and shut down in bounded
 * time. One libuv loop on the main thread; worker threads per stage; one
 * writer job at a time on libuv's thread pool, so results are written and
 * published in seq order.
 */
#ifndef PL_SERVICE_H
#define PL_SERVICE_H

struct pl_config;

/* Runs the daemon until SIGINT/SIGTERM. Returns the process exit status:
 * 0 after a clean stop, 1 when it could not start (reason logged). */
int pl_service_run(const struct pl_config *cfg);

/* Loads every stage's plugin and creates (then frees) an instance with its
 * options, as the daemon would at start. Returns 0, or 1 with each problem
 * logged. */
int pl_service_check(const struct pl_config *cfg);

#endif
