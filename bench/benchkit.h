/*
 * Helpers shared by the stage benchmarks (ner_bench, summary_bench,
 * extract_bench): a monotonic clock and one timed plugin call on a text.
 * Main thread.
 */
#ifndef PL_BENCHKIT_H
#define PL_BENCHKIT_H

#include <stddef.h>

#include "loader.h"

/* Seconds on the monotonic clock. */
double pl_bench_now(void);

/* Runs inst's process() once on {"text": text}; sets *seconds to the time
 * the call took. Returns 0, or -1 with the plugin's message in err. */
int pl_bench_time_text(const struct pl_plugin_instance *inst, const char *text, double *seconds,
                       char *err, size_t errlen);

#endif
