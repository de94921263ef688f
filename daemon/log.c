/* Logging; see log.h. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

static atomic_int s_level = PL_LOG_INFO;
static const char *const s_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };

void pl_log_set_level(int level)
{
    atomic_store(&s_level, level);
}

int pl_log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcasecmp(s, s_names[i]) == 0)
            return i;
    if (strcasecmp(s, "warning") == 0)
        return PL_LOG_WARN;
    return -EINVAL;
}

void pl_log(int level, const char *fmt, ...)
{
    if (level > atomic_load(&s_level))
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* One event, one line: a file name with a newline must not forge a
     * second log line. */
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = '?';
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[32];
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ldZ %-5s %s\n", ts, (long)(tv.tv_usec / 1000),
            s_names[level < 0   ? 0
                    : level > 3 ? 3
                                : level],
            msg);
}
