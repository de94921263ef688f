/*
 * Logging to stderr with a level, one line per call, safe from any thread
 * (each line is written with a single fprintf under the stream lock).
 * Used by every daemon module; plugins reach it through the host table.
 */
#ifndef PL_LOG_H
#define PL_LOG_H

#include <pressline/plugin.h>

#include "errcode.h"

/* Sets the most verbose level shown (PL_LOG_ERROR .. PL_LOG_DEBUG). */
void pl_log_set_level(int level);

/* Parses "error", "warn" (or "warning"), "info", "debug", in any case.
 * Returns the level, or -EINVAL for another word. */
int pl_log_level_parse(const char *s);

void pl_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define PL_ERR(...) pl_log(PL_LOG_ERROR, __VA_ARGS__)
#define PL_WARN(...) pl_log(PL_LOG_WARN, __VA_ARGS__)
#define PL_INFO(...) pl_log(PL_LOG_INFO, __VA_ARGS__)
#define PL_DEBUG(...) pl_log(PL_LOG_DEBUG, __VA_ARGS__)

#endif
