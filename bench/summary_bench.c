/*
 * summary_bench: articles per second through the summarize plugin alone, on
 * one core.
 *
 *   build/bin/summary_bench [--data FILE.jsonl] [--rounds N]
 *
 * Prepares the input as the daemon would hand it to summarize (the article
 * after clean and entities) for each CNN/DailyMail row of about 4 KB (3-5 KB
 * of text; default file ../shared/data/cnndm/dev.jsonl, else the seeds),
 * then calls summarize's process() on all of them N times (default 20) on
 * this thread and prints articles/s, then times one 1 MB article. A
 * program that prints figures.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "benchkit.h"
#include "config.h"
#include "loader.h"
#include "pipeline.h"
#include "text.h"

int main(int argc, char **argv)
{
    const char *data = PL_BENCH_SOURCE_DIR "/../shared/data/cnndm/dev.jsonl";
    int rounds = 20;
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },
        { "rounds", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char usage[] = "usage: summary_bench [--data FILE.jsonl] [--rounds N]\n";
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd': data = optarg; break;
        case 'r': rounds = (int)strtol(optarg, NULL, 10); break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    char err[1024];
    struct pl_config *cfg = NULL;
    /* clean and entities only: their output is summarize's input. */
    if (pl_config_load_text("{\"stages\":[{\"name\":\"clean\",\"plugin\":\"clean\"},"
                            "{\"name\":\"entities\",\"plugin\":\"entities\"}]}",
                            "summary_bench", PL_BENCH_BUILD_DIR "/bin", &cfg, err, sizeof(err))) {
        fprintf(stderr, "summary_bench: %s\n", err);
        return 1;
    }
    struct pl_pipeline p = { 0 };
    if (pl_pipeline_open(&p, cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "summary_bench: %s\n", err);
        return 1;
    }
    char **docs = NULL;
    size_t n = 0, bytes = 0;
    FILE *f = fopen(data, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while (f && (len = getline(&line, &cap, f)) > 0) {
        cJSON *row = cJSON_ParseWithLength(line, (size_t)len);
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(row, "article");
        char *out = NULL;
        size_t out_len;
        int is_err = 1;
        if (cJSON_IsString(a) && strlen(a->valuestring) >= 3000 && strlen(a->valuestring) <= 5000 &&
            pl_pipeline_buffer(&p, "bench", a->valuestring, strlen(a->valuestring), 1, &out,
                               &out_len, &is_err) == 0 &&
            !is_err) {
            docs = realloc(docs, (n + 1) * sizeof(char *));
            docs[n++] = out;
            bytes += strlen(a->valuestring);
        } else {
            free(out);
        }
        cJSON_Delete(row);
    }
    free(line);
    if (f)
        fclose(f);
    pl_pipeline_close(&p);
    pl_config_free(&cfg);
    if (n == 0) {
        fprintf(stderr, "summary_bench: no articles of 3-5 KB in %s\n", data);
        return 1;
    }
    struct pl_plugin_handle *h;
    struct pl_plugin_instance inst = { 0 };
    if (pl_plugin_open(PL_BENCH_BUILD_DIR "/lib/pressline/summarize.so", &h, err, sizeof(err)) ||
        pl_plugin_instance_init(&inst, h, "summarize", NULL, err, sizeof(err))) {
        fprintf(stderr, "summary_bench: %s\n", err);
        return 1;
    }
    double t0 = pl_bench_now();
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < n; i++) {
            char *out;
            size_t out_len;
            struct pl_error e;
            if (inst.desc->process(inst.state, docs[i], strlen(docs[i]), &out, &out_len, &e)) {
                fprintf(stderr, "summary_bench: %s\n", e.message);
                return 1;
            }
            inst.desc->release(inst.state, out);
        }
    double dt = pl_bench_now() - t0;

    /* One article of 1 MB: the prepared texts end to end. */
    struct pl_buf big = { 0 };
    for (size_t i = 0; big.len < (1u << 20); i = (i + 1) % n) {
        cJSON *d = cJSON_Parse(docs[i]);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(d, "text");
        if (cJSON_IsString(t)) {
            pl_buf_append(&big, t->valuestring, strlen(t->valuestring));
            pl_buf_append(&big, "\n\n", 2);
        }
        cJSON_Delete(d);
    }
    pl_buf_terminate(&big);
    double big_t;
    if (pl_bench_time_text(&inst, big.data, &big_t, err, sizeof(err)) != 0) {
        fprintf(stderr, "summary_bench: 1 MB: %s\n", err);
        return 1;
    }
    free(big.data);
    printf("summary_bench: %zu articles of 3-5 KB (mean %.1f KB) from %s, %d rounds, one thread\n",
           n, (double)bytes / (double)n / 1024, data, rounds);
    printf("  summarize: %.0f articles/s (%.3f ms each)\n", (double)n * rounds / dt,
           dt * 1e3 / ((double)n * rounds));
    printf("  one 1 MB article: %.0f ms\n", big_t * 1e3);
    for (size_t i = 0; i < n; i++)
        free(docs[i]);
    free(docs);
    pl_plugin_instance_fini(&inst);
    pl_plugin_close(&h);
    return 0;
}
