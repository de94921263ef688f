/*
 * ner_bench: how fast the entities plugin tags text, on one core, and how
 * much memory it holds.
 *
 *   build/bin/ner_bench [--conll FILE] [--rounds N]
 *
 * Loads build/lib/pressline/entities.so as the daemon does, turns each
 * document of a CoNLL file (default: ../shared/data/conll2003/dev.txt, else
 * the seed articles) into raw text, and calls process() on every document N
 * times (default 5) on this thread. Prints the model load time, tokens per
 * second for the whole plugin call (JSON in and out, tokenizer, dates,
 * tagger, grouping) and for the tagger alone, the time for one 1 MB article,
 * and the resident memory.
 * A program that prints figures; nothing here passes or fails.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cjson/cJSON.h>

#include "benchkit.h"
#include "loader.h"
#include "ner.h"
#include "text.h"

static long s_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6))
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

struct docs {
    char **text;
    size_t n, cap;
};

static void s_push(struct docs *d, struct pl_buf *b)
{
    if (!b->len)
        return;
    pl_buf_terminate(b);
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->text = realloc(d->text, d->cap * sizeof(char *));
    }
    d->text[d->n++] = strdup(b->data);
    b->len = 0;
}

static int s_read_conll(const char *path, struct docs *d)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[4096];
    struct pl_buf b = { 0 };
    int line_start = 1;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!strncmp(line, "-DOCSTART-", 10)) {
            s_push(d, &b);
            line_start = 1;
            continue;
        }
        if (!line[0]) {
            if (b.len)
                pl_buf_putc(&b, '\n');
            line_start = 1;
            continue;
        }
        char *sp = strchr(line, ' ');
        if (sp)
            *sp = 0;
        if (!line_start)
            pl_buf_putc(&b, ' ');
        pl_buf_append(&b, line, strlen(line));
        line_start = 0;
    }
    s_push(d, &b);
    free(b.data);
    fclose(f);
    return 0;
}

static void s_read_seeds(const char *dir, struct docs *d)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    while (dp && (e = readdir(dp))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        struct pl_buf b = { 0 };
        char buf[8192];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
            pl_buf_append(&b, buf, n);
        fclose(f);
        s_push(d, &b);
        free(b.data);
    }
    if (dp)
        closedir(dp);
}

int main(int argc, char **argv)
{
    const char *conll = PL_BENCH_SOURCE_DIR "/../shared/data/conll2003/dev.txt";
    int rounds = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--conll"))
            conll = argv[i + 1];
        else if (!strcmp(argv[i], "--rounds"))
            rounds = (int)strtol(argv[i + 1], NULL, 10);
    }
    struct docs d = { 0 };
    const char *source = conll;
    if (s_read_conll(conll, &d) != 0 || d.n == 0) {
        source = PL_BENCH_SOURCE_DIR "/tests/fixtures/seeds";
        s_read_seeds(source, &d);
    }
    if (d.n == 0 || rounds < 1) {
        fprintf(stderr, "ner_bench: no documents\n");
        return 1;
    }
    size_t tokens = 0;
    for (size_t i = 0; i < d.n; i++) {
        struct pl_tokens k = { 0 };
        pl_tokenize(d.text[i], strlen(d.text[i]), &k);
        tokens += k.n;
        free(k.v);
    }
    /* Inputs as the plugin receives them. */
    char **json = calloc(d.n, sizeof(char *));
    for (size_t i = 0; i < d.n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "text", d.text[i]);
        json[i] = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
    }
    long rss0 = s_rss_kb();
    char err[1024];
    struct pl_plugin_handle *h;
    struct pl_plugin_instance inst = { 0 };
    double t0 = pl_bench_now();
    if (pl_plugin_open(PL_BENCH_BUILD_DIR "/lib/pressline/entities.so", &h, err, sizeof(err)) ||
        pl_plugin_instance_init(&inst, h, "entities", NULL, err, sizeof(err))) {
        fprintf(stderr, "ner_bench: %s\n", err);
        return 1;
    }
    double load = pl_bench_now() - t0;
    t0 = pl_bench_now();
    for (int r = 0; r < rounds; r++) {
        for (size_t i = 0; i < d.n; i++) {
            char *out;
            size_t out_len;
            struct pl_error e;
            if (inst.desc->process(inst.state, json[i], strlen(json[i]), &out, &out_len, &e)) {
                fprintf(stderr, "ner_bench: process failed: %s\n", e.message);
                return 1;
            }
            inst.desc->release(inst.state, out);
        }
    }
    double plugin = pl_bench_now() - t0;

    /* One article of 1 MB: the documents end to end. */
    struct pl_buf big = { 0 };
    for (size_t i = 0; big.len < (1u << 20); i = (i + 1) % d.n) {
        pl_buf_append(&big, d.text[i], strlen(d.text[i]));
        pl_buf_append(&big, "\n\n", 2);
    }
    pl_buf_terminate(&big);
    double big_t;
    if (pl_bench_time_text(&inst, big.data, &big_t, err, sizeof(err)) != 0) {
        fprintf(stderr, "ner_bench: process failed on 1 MB: %s\n", err);
        return 1;
    }
    free(big.data);
    long rss1 = s_rss_kb();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);

    /* The tagger alone, on pre-split tokens. */
    struct pl_ner_model *m;
    if (pl_ner_model_open(PL_BENCH_BUILD_DIR "/lib/pressline/ner.model", &m, err, sizeof(err))) {
        fprintf(stderr, "ner_bench: %s\n", err);
        return 1;
    }
    struct pl_ner_tok **toks = calloc(d.n, sizeof(*toks));
    size_t *ntok = calloc(d.n, sizeof(*ntok));
    for (size_t i = 0; i < d.n; i++) {
        struct pl_tokens k = { 0 };
        struct pl_spans s = { 0 };
        pl_tokenize(d.text[i], strlen(d.text[i]), &k);
        pl_sentences(d.text[i], &k, &s);
        toks[i] = calloc(k.n + 1, sizeof(**toks));
        for (size_t j = 0; j < k.n; j++)
            toks[i][j] = (struct pl_ner_tok){ d.text[i] + k.v[j].start, k.v[j].end - k.v[j].start,
                                              (k.v[j].flags & PL_TF_SENT_START) != 0 || j == 0 };
        ntok[i] = k.n;
        free(k.v);
        free(s.v);
    }
    t0 = pl_bench_now();
    for (int r = 0; r < rounds; r++) {
        for (size_t i = 0; i < d.n; i++) {
            struct pl_ner_doc nd;
            uint8_t *tags = malloc(ntok[i] + 1);
            if (pl_ner_doc_init(&nd, m, toks[i], ntok[i]) || pl_ner_tag(&nd, tags))
                return 1;
            pl_ner_doc_free(&nd);
            free(tags);
        }
    }
    double tagger = pl_bench_now() - t0;

    printf("ner_bench: %zu documents, %zu tokens from %s, %d rounds, one thread\n", d.n, tokens,
           source, rounds);
    printf("  plugin init (maps the model): %.1f ms\n", load * 1e3);
    printf("  whole plugin call: %.0f tokens/s (%.1f ms per 1,000 tokens)\n",
           (double)tokens * rounds / plugin, plugin * 1e3 / ((double)tokens * rounds / 1000));
    printf("  tagger alone:      %.0f tokens/s\n", (double)tokens * rounds / tagger);
    printf("  one 1 MB article: %.0f ms\n", big_t * 1e3);
    printf("  resident memory: %.1f MB after the runs (%.1f MB before loading), peak %.1f MB\n",
           rss1 / 1024.0, rss0 / 1024.0, ru.ru_maxrss / 1024.0);
    pl_ner_model_close(&m);
    pl_plugin_instance_fini(&inst);
    pl_plugin_close(&h);
    return 0;
}
