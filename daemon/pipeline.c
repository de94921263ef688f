/* In-process chain; see pipeline.h. */
#include "pipeline.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "article.h"
#include "docpatch.h"
#include "config.h"
#include "spool.h"

/* options_json with "db" set to SQLite's ":memory:" (caller frees), or
 * NULL when that cannot be made (the options are then used as they are). */
static char *s_in_memory_db(const char *options_json)
{
    cJSON *o = cJSON_Parse(options_json);
    char *out = NULL;
    if (o && cJSON_IsObject(o)) {
        cJSON_DeleteItemFromObjectCaseSensitive(o, "db");
        if (cJSON_AddStringToObject(o, "db", ":memory:"))
            out = cJSON_PrintUnformatted(o);
    }
    cJSON_Delete(o);
    return out;
}

int pl_pipeline_open(struct pl_pipeline *p, const struct pl_config *cfg, char *err, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    p->cfg = cfg;
    int rc;
    for (size_t i = 0; i < cfg->nstages; i++) {
        const struct pl_stage_cfg *sc = &cfg->stages[i];
        char e[1024];
        if ((rc = pl_plugin_open(sc->plugin_path, &p->h[i], e, sizeof(e))) != 0) {
            snprintf(err, errlen, "stage %s: %s", sc->name, e);
            goto fail;
        }
        p->n = i + 1;
        p->inst[i] = calloc(1, sizeof(*p->inst[i]));
        if (!p->inst[i]) {
            snprintf(err, errlen, "out of memory");
            rc = -ENOMEM;
            goto fail;
        }
        /* One run of the chain, without the daemon: a stories stage whose
         * database was not named remembers only this run (in memory),
         * rather than leaving a spool/stories.db wherever it was run. */
        char *opts = sc->db_default ? s_in_memory_db(sc->options_json) : NULL;
        rc = pl_plugin_instance_init(p->inst[i], p->h[i], sc->name, opts ? opts : sc->options_json,
                                     err, errlen);
        free(opts);
        if (rc != 0) {
            free(p->inst[i]);
            p->inst[i] = NULL;
            goto fail;
        }
    }
    return 0;
fail:
    pl_pipeline_close(p);
    return rc;
}

void pl_pipeline_close(struct pl_pipeline *p)
{
    for (size_t i = 0; i < p->n; i++) {
        if (p->inst[i]) {
            pl_plugin_instance_fini(p->inst[i]);
            free(p->inst[i]);
            p->inst[i] = NULL;
        }
        pl_plugin_close(&p->h[i]);
    }
    p->n = 0;
}

static uint64_t s_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Runs data (borrowed) through the chain for the source src. */
static int s_run(struct pl_pipeline *p, struct pl_source *src, const char *received,
                 const void *data, size_t len, uint64_t seq, char **out, size_t *out_len,
                 int *is_error)
{
    char published[32], reason[PL_ERROR_MAX + 64];
    const char *stage = NULL;
    char *doc = NULL;
    size_t doc_len = 0;
    struct pl_stage_time times[PL_MAX_STAGES];
    memset(times, 0, sizeof(times));
    *is_error = 0;
    pl_content_id(data, len, src);
    src->bytes = len;
    if (len == 0) {
        snprintf(reason, sizeof(reason), "empty file (0 bytes)");
        goto fail;
    }
    if (pl_article_initial(src, received, data, len, &doc, &doc_len) != 0)
        return -ENOMEM;
    for (size_t i = 0; i < p->n; i++) {
        const struct pl_plugin *d = p->inst[i]->desc;
        struct pl_error perr = { { 0 } };
        char *res = NULL;
        size_t res_len = 0;
        uint64_t t0 = s_mono_us();
        int prc = d->process(p->inst[i]->state, doc, doc_len, &res, &res_len, &perr);
        times[i].name = p->cfg->stages[i].name;
        times[i].us = s_mono_us() - t0;
        snprintf(times[i].plugin, sizeof(times[i].plugin), "%s", d->name);
        snprintf(times[i].version, sizeof(times[i].version), "%s", d->version);
        if (prc != 0 || !res) {
            stage = p->cfg->stages[i].name;
            snprintf(reason, sizeof(reason), "%s",
                     perr.message[0] ? perr.message : "the plugin failed without a reason");
            goto fail;
        }
        char *merged = NULL, why[PL_ERROR_MAX];
        size_t merged_len = 0;
        int mrc = pl_doc_merge(doc, doc_len, res, res_len, &merged, &merged_len, why, sizeof(why));
        d->release(p->inst[i]->state, res);
        if (mrc == -ENOMEM) {
            free(doc);
            return -ENOMEM;
        }
        if (mrc != 0) {
            stage = p->cfg->stages[i].name;
            snprintf(reason, sizeof(reason), "plugin %s: %s", d->name, why);
            goto fail;
        }
        free(doc);
        doc = merged;
        doc_len = merged_len;
    }
    pl_iso_time(pl_epoch_us(), published);
    int rc = pl_article_final(doc, doc_len, NULL, seq, published, times, p->n, out, out_len, NULL);
    if (rc == -EINVAL) {
        stage = p->cfg->stages[p->n - 1].name;
        snprintf(reason, sizeof(reason),
                 "the last stage returned a document that is not a JSON object");
        goto fail;
    }
    free(doc);
    return rc;
fail:
    free(doc);
    pl_iso_time(pl_epoch_us(), published);
    *is_error = 1;
    return pl_article_error(src, received, seq, published, stage, reason, NULL, out, out_len);
}

int pl_pipeline_file(struct pl_pipeline *p, const char *path, uint64_t seq, char **out,
                     size_t *out_len, int *is_error)
{
    const char *slash = strrchr(path, '/');
    struct pl_source src = { .path = path, .name = slash ? slash + 1 : path, .format = "text" };
    char received[32], published[32], reason[PL_ERROR_MAX + 64];
    pl_iso_time(pl_epoch_us(), received);
    void *data = NULL;
    size_t len = 0;
    *is_error = 0;
    int rc = pl_read_file_at(AT_FDCWD, path, p->cfg->max_bytes, true, &data, &len);
    if (rc != 0) {
        pl_name_id(src.name, &src);
        src.bytes = len;
        pl_refusal_reason(rc, len, p->cfg->max_bytes, &src.format, reason, sizeof(reason));
        pl_iso_time(pl_epoch_us(), published);
        *is_error = 1;
        free(data);
        return pl_article_error(&src, received, seq, published, NULL, reason, NULL, out, out_len);
    }
    rc = s_run(p, &src, received, data, len, seq, out, out_len, is_error);
    free(data);
    return rc;
}

int pl_pipeline_buffer(struct pl_pipeline *p, const char *name, const void *data, size_t len,
                       uint64_t seq, char **out, size_t *out_len, int *is_error)
{
    struct pl_source src = { .path = name, .name = name, .format = "text" };
    char received[32];
    pl_iso_time(pl_epoch_us(), received);
    return s_run(p, &src, received, data, len, seq, out, out_len, is_error);
}
