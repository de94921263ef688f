/* Stand-ins for notify.c (issue 16 point 1) until it is merged; see
 * notify.h. Weak, so the real ones win when both are linked. */
#include "notify.h"

__attribute__((weak)) void pl_notify_reloading(void)
{
}

__attribute__((weak)) void pl_notify_ready(void)
{
}
