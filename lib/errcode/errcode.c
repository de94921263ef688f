/* Error codes and their names; see errcode.h. */
#include "errcode.h"

#include <stdio.h>
#include <string.h>
#include <zmq.h>

static const char *s_pl_name(int rc)
{
    switch (rc) {
    case PL_ECONFIG: return "invalid configuration";
    case PL_EPLUGIN: return "the plugin could not be loaded";
    case PL_EINPUT: return "malformed input";
    case PL_ESTAGE: return "the stage failed";
    case PL_ELIMIT: return "a configured limit was reached";
    default: return NULL;
    }
}

const char *pl_strerror(int rc, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    const char *pl = s_pl_name(rc);
    if (pl) {
        snprintf(buf, len, "%s", pl);
        return buf;
    }
    int e = rc < 0 ? -rc : rc;
    if (e >= ZMQ_HAUSNUMERO) {
        /* libzmq's own errnos (EFSM, ETERM ...); zmq_strerror knows them. */
        snprintf(buf, len, "%s", zmq_strerror(e));
        return buf;
    }
    if (e == 0 || e > 4095) {
        snprintf(buf, len, "error %d", rc);
        return buf;
    }
    /* GNU strerror_r may return a static string instead of filling buf. */
    const char *s = strerror_r(e, buf, len);
    if (s != buf)
        snprintf(buf, len, "%s", s);
    return buf;
}
