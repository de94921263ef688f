/*
 * The plugin chain run in-process, without the daemon or ZeroMQ: what
 * `pressline process FILE...` uses to print the same JSON the daemon
 * publishes. One thread; instances are created at open.
 */
#ifndef PL_PIPELINE_H
#define PL_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "article.h"
#include "config.h"
#include "loader.h"

struct pl_pipeline {
    const struct pl_config *cfg;
    struct pl_plugin_handle *h[PL_MAX_STAGES];
    struct pl_plugin_instance *inst[PL_MAX_STAGES];
    size_t n;
};

/* Loads every stage's plugin and one instance each; p borrows cfg, which
 * must outlive it. Returns 0, or a code of pl_plugin_open or
 * pl_plugin_instance_init (or -ENOMEM) with err naming the stage; nothing
 * is left open then. */
int pl_pipeline_open(struct pl_pipeline *p, const struct pl_config *cfg, char *err, size_t errlen);
/* Frees the instances and closes the plugins. */
void pl_pipeline_close(struct pl_pipeline *p);

/* Runs the file at path through the chain. *out receives the article JSON
 * (topic "article") or the error JSON (topic "error", *is_error = 1); the
 * caller frees it. seq is the number to stamp. Returns 0, or -ENOMEM. */
int pl_pipeline_file(struct pl_pipeline *p, const char *path, uint64_t seq, char **out,
                     size_t *out_len, int *is_error);

/* The same for len bytes at data (borrowed), as if read from a file called
 * name. */
int pl_pipeline_buffer(struct pl_pipeline *p, const char *name, const void *data, size_t len,
                       uint64_t seq, char **out, size_t *out_len, int *is_error);

#endif
