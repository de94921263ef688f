/*
 * ner_bench: how fast the entities plugin tags text, on one core, and how
 * much memory it holds.
 *
 *   build/bin/ner_bench [--conll FILE] [--rounds N] [--no-huge-pages]
 *
 * Loads build/lib/pressline/entities.so as the daemon does, turns each
 * document of a CoNLL file (default: ../shared/data/conll2003/dev.txt, else
 * the seed articles) into raw text, and calls process() on every document N
 * times (default 5) on this thread. Prints the model load time, tokens per
 * second for the whole plugin call (JSON in and out, tokenizer, dates,
 * tagger, grouping) and for the tagger alone, the time for one 1 MB article,
 * and the resident memory. --no-huge-pages leaves the model in the file's
 * mapping (the option {"huge_pages": false}) for plugin and tagger alike.
 * A program that prints figures; nothing here passes or fails.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cjson/cJSON.h>

#include "benchkit.h"
#include "errcode.h"
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

/* Each document of a CoNLL file as raw text: tokens joined by spaces,
 * sentences by new lines. Returns 0 or the negative errno of fopen. */
static int s_read_conll(const char *path, struct docs *d)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
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

static const char s_usage[] = "usage: ner_bench [--conll FILE] [--rounds N] [--no-huge-pages]\n";

/* The documents: the CoNLL file's, else the seed articles. Returns where
 * they came from. */
static const char *s_load_docs(const char *conll, struct docs *d)
{
    if (s_read_conll(conll, d) == 0 && d->n > 0)
        return conll;
    s_read_seeds(PL_BENCH_SOURCE_DIR "/tests/fixtures/seeds", d);
    return PL_BENCH_SOURCE_DIR "/tests/fixtures/seeds";
}

/* Tokens in all documents, as the tokenizer splits them. */
static size_t s_count_tokens(const struct docs *d)
{
    size_t tokens = 0;
    for (size_t i = 0; i < d->n; i++) {
        struct pl_tokens k = { 0 };
        pl_tokenize(d->text[i], strlen(d->text[i]), &k);
        tokens += k.n;
        free(k.v);
    }
    return tokens;
}

/* The inputs as the plugin receives them: {"text": ...} for each document
 * (caller frees each with cJSON_free, and the array). */
static char **s_plugin_inputs(const struct docs *d)
{
    char **json = calloc(d->n, sizeof(char *));
    for (size_t i = 0; json && i < d->n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "text", d->text[i]);
        json[i] = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
    }
    return json;
}

/* Seconds for rounds calls of process() on every input. Returns 0, or
 * PL_ESTAGE when a call fails (said on stderr). */
static int s_time_plugin(struct pl_plugin_instance *inst, char **json, size_t n, int rounds,
                         double *secs)
{
    double t0 = pl_bench_now();
    for (int r = 0; r < rounds; r++) {
        for (size_t i = 0; i < n; i++) {
            char *out;
            size_t out_len;
            struct pl_error e;
            if (inst->desc->process(inst->state, json[i], strlen(json[i]), &out, &out_len, &e)) {
                fprintf(stderr, "ner_bench: process failed: %s\n", e.message);
                return PL_ESTAGE;
            }
            inst->desc->release(inst->state, out);
        }
    }
    *secs = pl_bench_now() - t0;
    return 0;
}

/* Seconds for one article of 1 MB: the documents end to end. Returns 0,
 * or PL_ESTAGE (said on stderr). */
static int s_time_big(struct pl_plugin_instance *inst, const struct docs *d, double *secs)
{
    char err[1024];
    struct pl_buf big = { 0 };
    for (size_t i = 0; big.len < (1u << 20); i = (i + 1) % d->n) {
        pl_buf_append(&big, d->text[i], strlen(d->text[i]));
        pl_buf_append(&big, "\n\n", 2);
    }
    pl_buf_terminate(&big);
    int rc = pl_bench_time_text(inst, big.data, secs, err, sizeof(err));
    free(big.data);
    if (rc != 0) {
        fprintf(stderr, "ner_bench: process failed on 1 MB: %s\n", err);
        return PL_ESTAGE;
    }
    return 0;
}

/* Seconds for rounds passes of the tagger alone over every document's
 * pre-split tokens. Returns 0, or a negative code (said on stderr). */
static int s_time_tagger(const struct docs *d, int rounds, int huge, double *secs)
{
    char err[1024];
    struct pl_ner_model *m;
    if (pl_ner_model_open(PL_BENCH_BUILD_DIR "/lib/pressline/ner.model", &m, err, sizeof(err))) {
        fprintf(stderr, "ner_bench: %s\n", err);
        return PL_EINPUT;
    }
    if (huge && pl_ner_model_huge(m) != 0)
        fprintf(stderr, "ner_bench: the tagger alone reads the file's mapping (no huge pages)\n");
    struct pl_ner_tok **toks = calloc(d->n, sizeof(*toks));
    size_t *ntok = calloc(d->n, sizeof(*ntok));
    for (size_t i = 0; i < d->n; i++) {
        struct pl_tokens k = { 0 };
        struct pl_spans s = { 0 };
        pl_tokenize(d->text[i], strlen(d->text[i]), &k);
        pl_sentences(d->text[i], &k, &s);
        toks[i] = calloc(k.n + 1, sizeof(**toks));
        for (size_t j = 0; j < k.n; j++)
            toks[i][j] = (struct pl_ner_tok){ d->text[i] + k.v[j].start, k.v[j].end - k.v[j].start,
                                              (k.v[j].flags & PL_TF_SENT_START) != 0 || j == 0 };
        ntok[i] = k.n;
        free(k.v);
        free(s.v);
    }
    int rc = 0;
    double t0 = pl_bench_now();
    for (int r = 0; r < rounds && rc == 0; r++) {
        for (size_t i = 0; i < d->n && rc == 0; i++) {
            struct pl_ner_doc nd;
            uint8_t *tags = malloc(ntok[i] + 1);
            if (!tags || pl_ner_doc_init(&nd, m, toks[i], ntok[i]) != 0) {
                rc = -ENOMEM;
            } else {
                rc = pl_ner_tag(&nd, tags) != 0 ? -ENOMEM : 0;
                pl_ner_doc_free(&nd);
            }
            free(tags);
        }
    }
    *secs = pl_bench_now() - t0;
    for (size_t i = 0; i < d->n; i++)
        free(toks[i]);
    free(toks);
    free(ntok);
    pl_ner_model_close(&m);
    if (rc != 0)
        fprintf(stderr, "ner_bench: the tagger failed\n");
    return rc;
}

/* --conll, --rounds and --no-huge-pages. Sets *go_on when there is work to do; otherwise
 * returns the exit status: 0 after --help, 2 after a usage error. */
static int s_options(int argc, char **argv, const char **conll, int *rounds, int *huge, int *go_on)
{
    static const struct option opts[] = {
        { "conll", required_argument, NULL, 'c' },
        { "rounds", required_argument, NULL, 'r' },
        { "no-huge-pages", no_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int ch;
    *go_on = 0;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': *conll = optarg; break;
        case 'r': *rounds = (int)strtol(optarg, NULL, 10); break;
        case 'n': *huge = 0; break;
        case 'h': fputs(s_usage, stdout); return 0;
        default: fputs(s_usage, stderr); return 2;
        }
    }
    *go_on = 1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *conll = PL_BENCH_SOURCE_DIR "/../shared/data/conll2003/dev.txt";
    int rounds = 5, huge = 1, go_on;
    int status = s_options(argc, argv, &conll, &rounds, &huge, &go_on);
    if (!go_on)
        return status;
    struct docs d = { 0 };
    const char *source = s_load_docs(conll, &d);
    if (d.n == 0 || rounds < 1) {
        fprintf(stderr, "ner_bench: no documents\n");
        return 1;
    }
    size_t tokens = s_count_tokens(&d);
    char **json = s_plugin_inputs(&d);
    long rss0 = s_rss_kb();
    char err[1024];
    struct pl_plugin_handle *h;
    struct pl_plugin_instance inst = { 0 };
    double t0 = pl_bench_now();
    if (!json ||
        pl_plugin_open(PL_BENCH_BUILD_DIR "/lib/pressline/entities.so", &h, err, sizeof(err)) ||
        pl_plugin_instance_init(&inst, h, "entities", huge ? NULL : "{\"huge_pages\":false}", err,
                                sizeof(err))) {
        fprintf(stderr, "ner_bench: %s\n", json ? err : "out of memory");
        return 1;
    }
    double load = pl_bench_now() - t0, plugin, big_t, tagger;
    if (s_time_plugin(&inst, json, d.n, rounds, &plugin) != 0 || s_time_big(&inst, &d, &big_t) != 0)
        return 1;
    long rss1 = s_rss_kb();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (s_time_tagger(&d, rounds, huge, &tagger) != 0)
        return 1;

    printf("ner_bench: %zu documents, %zu tokens from %s, %d rounds, one thread\n", d.n, tokens,
           source, rounds);
    printf("  plugin init (maps the model%s): %.1f ms\n", huge ? ", copies it into huge pages" : "",
           load * 1e3);
    printf("  whole plugin call: %.0f tokens/s (%.1f ms per 1,000 tokens)\n",
           (double)tokens * rounds / plugin, plugin * 1e3 / ((double)tokens * rounds / 1000));
    printf("  tagger alone:      %.0f tokens/s\n", (double)tokens * rounds / tagger);
    printf("  one 1 MB article: %.0f ms\n", big_t * 1e3);
    printf("  resident memory: %.1f MB after the runs (%.1f MB before loading), peak %.1f MB\n",
           rss1 / 1024.0, rss0 / 1024.0, ru.ru_maxrss / 1024.0);
    pl_plugin_instance_fini(&inst);
    pl_plugin_close(&h);
    return 0;
}
