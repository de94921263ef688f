/* systemd notifications through libsystemd; see notify.h. */
#include "notify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "log.h"

bool pl_notify_enabled(void)
{
    const char *s = getenv("NOTIFY_SOCKET");
    return s && *s;
}

uint64_t pl_notify_watchdog_usec(void)
{
    uint64_t usec = 0;
    /* sd_watchdog_enabled checks WATCHDOG_PID against this process, so a
     * worker process that inherited the variables does not ping. */
    if (!pl_notify_enabled() || sd_watchdog_enabled(0, &usec) <= 0)
        return 0;
    return usec;
}

/* Sends one message; a failure is worth a debug line only, as systemd
 * going away must not disturb the daemon. */
static void s_send(const char *msg)
{
    if (!pl_notify_enabled())
        return;
    int rc = sd_notify(0, msg);
    if (rc < 0) {
        char eb[128];
        PL_DEBUG("sd_notify %s: %s", msg, pl_strerror(rc, eb, sizeof(eb)));
    }
}

void pl_notify_ready(void)
{
    s_send("READY=1");
}

void pl_notify_reloading(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char msg[96];
    snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
             (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
    s_send(msg);
}

void pl_notify_stopping(void)
{
    s_send("STOPPING=1");
}

void pl_notify_watchdog(void)
{
    s_send("WATCHDOG=1");
}

void pl_notify_status(const char *text)
{
    char msg[512];
    snprintf(msg, sizeof(msg), "STATUS=%s", text);
    s_send(msg);
}
