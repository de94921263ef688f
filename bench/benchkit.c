/*
 * Helpers shared by the stage benchmarks: see benchkit.h.
 */
#include "benchkit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

double pl_bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int pl_bench_time_text(const struct pl_plugin_instance *inst, const char *text, double *seconds,
                       char *err, size_t errlen)
{
    cJSON *o = cJSON_CreateObject();
    char *doc = o && cJSON_AddStringToObject(o, "text", text) ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!doc) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char *out;
    size_t out_len;
    struct pl_error e;
    double t0 = pl_bench_now();
    int rc = inst->desc->process(inst->state, doc, strlen(doc), &out, &out_len, &e);
    *seconds = pl_bench_now() - t0;
    cJSON_free(doc);
    if (rc != 0) {
        snprintf(err, errlen, "%s", e.message);
        return -1;
    }
    inst->desc->release(inst->state, out);
    return 0;
}
