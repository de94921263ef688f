/*
 * extract_bench: MB/s of HTML through the clean stage's main-text
 * extraction (plugins/clean/html.c: parse, prune, score, write), one core;
 * then through the whole clean stage as the daemon runs it (the plugin:
 * encoding, extraction, the text rules, NFC, the output document).
 *
 *   build/bin/extract_bench [DIR] [--rounds N]
 *
 * Reads every file in DIR (default: trafilatura's evaluation pages, unpacked
 * by tools/extract-data.sh into build/extraction/html/eval) and extracts
 * each N times (default 3). Prints MB/s over the pages' bytes. A program
 * that prints figures.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "benchkit.h"
#include "config.h"
#include "html.h"
#include "pipeline.h"

int main(int argc, char **argv)
{
    const char *dir = PL_BENCH_BUILD_DIR "/extraction/html/eval";
    int rounds = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = (int)strtol(argv[++i], NULL, 10);
        else
            dir = argv[i];
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "extract_bench: cannot open %s (run tools/extract-data.sh first)\n", dir);
        return 1;
    }
    char **page = NULL;
    size_t *len = NULL, n = 0, bytes = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        fseek(f, 0, SEEK_END);
        long sz = ftell(f);
        rewind(f);
        char *b = malloc((size_t)sz + 1);
        if (b && fread(b, 1, (size_t)sz, f) == (size_t)sz) {
            page = realloc(page, (n + 1) * sizeof(*page));
            len = realloc(len, (n + 1) * sizeof(*len));
            page[n] = b;
            len[n++] = (size_t)sz;
            bytes += (size_t)sz;
        } else {
            free(b);
        }
        fclose(f);
    }
    closedir(d);
    if (!n) {
        fprintf(stderr, "extract_bench: no pages in %s\n", dir);
        return 1;
    }
    xmlInitParser();
    /* With the block classifier the plugin ships, as the clean stage runs. */
    struct pl_bmodel *model = NULL;
    char why[512];
    if (pl_bmodel_load(PL_BENCH_BUILD_DIR "/lib/pressline/blocks.model", &model, why,
                       sizeof(why)) != 0)
        fprintf(stderr, "extract_bench: no block model (%s): the rules alone\n", why);
    double t0 = pl_bench_now();
    size_t out = 0;
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < n; i++) {
            char *text = NULL;
            struct pl_html_meta m;
            if (pl_html_extract(page[i], len[i], NULL, model, &text, &m) == 0) {
                out += strlen(text);
                free(text);
                pl_html_meta_free(&m);
            }
        }
    double dt = pl_bench_now() - t0;
    pl_bmodel_free(model);
    printf("extract_bench: %zu pages, %.1f MB of HTML from %s, %d rounds, one thread\n", n,
           (double)bytes / 1e6, dir, rounds);
    printf(
        "  main-text extraction: %.1f MB/s (%.2f ms per page); %.1f%% of the bytes kept as text\n",
        (double)bytes * rounds / 1e6 / dt, dt * 1e3 / ((double)n * rounds),
        100.0 * (double)out / ((double)bytes * rounds));

    /* The whole clean stage, through the plugin. */
    char err[1024];
    struct pl_config *cfg = NULL;
    struct pl_pipeline p = { 0 };
    if (pl_config_load_text("{\"stages\":[{\"name\":\"clean\",\"plugin\":\"clean\"}]}",
                            "extract_bench", PL_BENCH_BUILD_DIR "/bin", &cfg, err,
                            sizeof(err)) != 0 ||
        pl_pipeline_open(&p, cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "extract_bench: %s\n", err);
    } else {
        size_t failed = 0;
        t0 = pl_bench_now();
        for (size_t i = 0; i < n; i++) {
            char *o = NULL;
            size_t o_len;
            int is_err = 1;
            if (pl_pipeline_buffer(&p, "page.html", page[i], len[i], 1, &o, &o_len, &is_err) != 0 ||
                is_err)
                failed++;
            free(o);
        }
        dt = pl_bench_now() - t0;
        printf("  whole clean stage (plugin, one round): %.1f MB/s (%.2f ms per page); %zu "
               "pages refused\n",
               (double)bytes / 1e6 / dt, dt * 1e3 / (double)n, failed);
        pl_pipeline_close(&p);
    }
    pl_config_free(&cfg);
    for (size_t i = 0; i < n; i++)
        free(page[i]);
    free(page);
    free(len);
    return 0;
}
