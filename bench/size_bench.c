/*
 * size_bench: each stage's time per MB as the article grows, to show whether
 * a stage runs in linear time in the article's size.
 *
 *   build/bin/size_bench [--max-mb N]
 *
 * Builds texts of 1, 2, 4 and 8 MB (up to N, default 8) from the seeds
 * (tests/fixtures/seeds, each copy made distinct by a numbered line, as
 * pl_bench does), then runs the real plugins (dlopen()ed from the build)
 * one after the other on this thread, as the daemon chains them: clean on
 * {"raw": ...}, entities on clean's output, summarize on entities'. Prints,
 * per stage and size, the seconds and seconds per MB, then the ratio of the
 * largest size's seconds per MB to 1 MB's (1.0 = linear). A program that
 * prints figures, not a test.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "benchkit.h"
#include "docpatch.h"
#include "loader.h"
#include "text.h"

#define S_STAGES 3
#define S_SIZES 4

static const char *const s_stage[S_STAGES] = { "clean", "entities", "summarize" };

/* Reads the five seeds into seeds[] (caller frees each). Returns 0 or -1. */
static int s_read_seeds(char *seeds[5])
{
    static const char *const names[5] = {
        "000_8f0c28e4feafd8d8.txt", "001_11e0fa3a6d00148c.txt", "002_64be57c9f8e4cd97.txt",
        "003_b0149e1d855999ec.txt", "004_7d510f4401bc7c85.txt",
    };
    for (int i = 0; i < 5; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/tests/fixtures/seeds/%s", PL_BENCH_SOURCE_DIR, names[i]);
        FILE *f = fopen(path, "r");
        struct pl_buf b = { 0 };
        char chunk[8192];
        size_t got;
        while (f && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
            pl_buf_append(&b, chunk, got);
        if (f)
            fclose(f);
        if (!f || b.len == 0) {
            fprintf(stderr, "size_bench: cannot read %s\n", path);
            return -1;
        }
        pl_buf_terminate(&b);
        seeds[i] = b.data;
    }
    return 0;
}

/* The seeds end to end, each copy numbered so that no two are alike, until
 * the text holds at least bytes; returns it as a {"raw": ...} document
 * (caller frees with cJSON_free), or NULL when out of memory. */
static char *s_build_doc(char *const seeds[5], size_t bytes)
{
    struct pl_buf b = { 0 };
    for (int i = 0; b.len < bytes; i++) {
        char tail[64];
        int n = snprintf(tail, sizeof(tail), "\nBenchmark copy %d.\n\n", i);
        pl_buf_append(&b, seeds[i % 5], strlen(seeds[i % 5]));
        pl_buf_append(&b, tail, (size_t)n);
    }
    pl_buf_terminate(&b);
    cJSON *o = cJSON_CreateObject();
    char *doc =
        o && b.data && cJSON_AddStringToObject(o, "raw", b.data) ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    free(b.data);
    return doc;
}

/* Runs the three stages in order on doc, setting secs[s] for each. Returns
 * 0, or -1 with the failing stage's message on stderr. */
static int s_run_chain(struct pl_plugin_instance inst[S_STAGES], const char *doc,
                       double secs[S_STAGES])
{
    char *in = strdup(doc);
    if (!in)
        return -1;
    for (int s = 0; s < S_STAGES; s++) {
        char *out;
        size_t out_len;
        struct pl_error e;
        double t0 = pl_bench_now();
        int rc = inst[s].desc->process(inst[s].state, in, strlen(in), &out, &out_len, &e);
        secs[s] = pl_bench_now() - t0;
        char *merged = NULL, why[256];
        size_t mlen = 0;
        if (rc == 0) {
            /* The next stage gets the document with this one's patch applied. */
            rc = pl_doc_merge(in, strlen(in), out, out_len, &merged, &mlen, why, sizeof(why));
            if (rc != 0)
                snprintf(e.message, sizeof(e.message), "%s", why);
            inst[s].desc->release(inst[s].state, out);
        }
        free(in);
        if (rc != 0) {
            fprintf(stderr, "size_bench: %s: %s\n", s_stage[s], e.message);
            return -1;
        }
        in = merged;
    }
    free(in);
    return 0;
}

int main(int argc, char **argv)
{
    long max_mb = 8;
    static const struct option opts[] = {
        { "max-mb", required_argument, NULL, 'm' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char usage[] = "usage: size_bench [--max-mb N]\n";
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'm': max_mb = strtol(optarg, NULL, 10); break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    char err[1024];
    char *seeds[5] = { 0 };
    if (s_read_seeds(seeds) != 0)
        return 1;
    struct pl_plugin_handle *h[S_STAGES] = { 0 };
    struct pl_plugin_instance inst[S_STAGES] = { 0 };
    for (int s = 0; s < S_STAGES; s++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/lib/pressline/%s.so", PL_BENCH_BUILD_DIR, s_stage[s]);
        if (pl_plugin_open(path, &h[s], err, sizeof(err)) ||
            pl_plugin_instance_init(&inst[s], h[s], s_stage[s], NULL, err, sizeof(err))) {
            fprintf(stderr, "size_bench: %s\n", err);
            return 1;
        }
    }
    static const long sizes[S_SIZES] = { 1, 2, 4, 8 };
    double per_mb[S_SIZES][S_STAGES] = { { 0 } };
    int done = 0;
    printf("size_bench: seeds end to end, each stage's plugin on one thread\n");
    printf("  %5s %10s %10s %10s %10s %10s %10s\n", "MB", "clean s", "s/MB", "entities", "s/MB",
           "summarize", "s/MB");
    for (int z = 0; z < S_SIZES && sizes[z] <= max_mb; z++) {
        char *doc = s_build_doc(seeds, (size_t)sizes[z] << 20);
        double secs[S_STAGES];
        if (!doc || s_run_chain(inst, doc, secs) != 0)
            return 1;
        cJSON_free(doc);
        printf("  %5ld", sizes[z]);
        for (int s = 0; s < S_STAGES; s++) {
            per_mb[z][s] = secs[s] / (double)sizes[z];
            printf(" %10.3f %10.3f", secs[s], per_mb[z][s]);
        }
        printf("\n");
        fflush(stdout);
        done = z + 1;
    }
    if (done > 1) {
        printf("  per-MB ratio %ld MB / 1 MB (1.0 = linear):", sizes[done - 1]);
        for (int s = 0; s < S_STAGES; s++)
            printf(" %s %.2f", s_stage[s],
                   per_mb[0][s] > 0 ? per_mb[done - 1][s] / per_mb[0][s] : 0);
        printf("\n");
    }
    for (int s = 0; s < S_STAGES; s++) {
        pl_plugin_instance_fini(&inst[s]);
        pl_plugin_close(&h[s]);
    }
    for (int i = 0; i < 5; i++)
        free(seeds[i]);
    return 0;
}
