/*
 * `pressline status [--http HOST:PORT] [--config FILE]`: asks a running
 * presslined's HTTP endpoint (http.h) for /ready and /metrics and prints its
 * state for a person: ready or not and why, articles published and failed,
 * in flight, queued, intake paused or not, and each stage's live workers and
 * mean time. The pressline program calls it on its one thread.
 */
#ifndef PL_STATUS_CMD_H
#define PL_STATUS_CMD_H

/* argv[0] is "status". Returns the exit status: 0 ready, 1 not ready, 2 no
 * daemon answered (or a usage error, said on stderr). */
int pl_status_main(int argc, char **argv);

#endif
