/*
 * linear_probe: runs the three real stages in order (clean, entities,
 * summarize, dlopen()ed from the build, as the daemon chains them) on one
 * generated text, for tests/linear.sh, which runs it under valgrind's
 * callgrind and reads how many instructions each stage took.
 *
 *   linear_probe KIND BYTES
 *
 * KIND is the shape of the text, each aimed at a part that once grew
 * faster than the text did:
 *   seeds   the seed articles end to end, each copy numbered;
 *   names   prose in which every sentence names other people, places,
 *           organisations and dates (entities' grouping and surname
 *           correction, summarize's keyphrase counting);
 *   furniture  a story around one long run of "Also Read:" pointers
 *           (clean's list of what it removed).
 *
 * Around each stage the probe zeroes callgrind's counters and dumps them
 * under the stage's name, so each dump holds that stage's instructions and
 * nothing else (outside valgrind the requests do nothing). Instruction
 * counts, not times: the same input gives the same count on a loaded
 * machine. Exits 0, or 1 with the reason on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <valgrind/callgrind.h>

#include "docpatch.h"
#include "harness.h"
#include "loader.h"
#include "text.h"

#define LP_STAGES 3

static const char *const s_stage[LP_STAGES] = { "clean", "entities", "summarize" };

static int s_seeds(struct pl_buf *b, size_t bytes)
{
    static const char *const names[5] = {
        "000_8f0c28e4feafd8d8.txt", "001_11e0fa3a6d00148c.txt", "002_64be57c9f8e4cd97.txt",
        "003_b0149e1d855999ec.txt", "004_7d510f4401bc7c85.txt",
    };
    char *seed[5];
    size_t len[5];
    for (int i = 0; i < 5; i++) {
        char *p = th_path("%s/tests/fixtures/seeds/%s", th_source_dir(), names[i]);
        seed[i] = th_read_file(p, &len[i]);
        free(p);
        if (!seed[i]) {
            fprintf(stderr, "linear_probe: cannot read seed %s\n", names[i]);
            return -1;
        }
    }
    for (int i = 0; b->len < bytes; i++) {
        char tail[64];
        int n = snprintf(tail, sizeof(tail), "\nCopy %d.\n\n", i);
        pl_buf_append(b, seed[i % 5], len[i % 5]);
        pl_buf_append(b, tail, (size_t)n);
    }
    for (int i = 0; i < 5; i++)
        free(seed[i]);
    return 0;
}

static const char *const s_first[] = {
    "Anna", "Pavel", "Maria", "Jonas", "Leila", "Tomas", "Omar"
};
static const char *const s_last[] = {
    "Kovacs", "Novak", "Haddad", "Lindqvist", "Moreau", "Ivanova"
};
static const char *const s_place[] = { "Vienna", "Geneva", "Istanbul", "Riyadh", "Oslo", "Lima" };
static const char *const s_org[] = { "the United Nations", "the European Commission", "Reuters",
                                     "the Foreign Ministry", "Gazprom" };

/* Sentences naming someone new each time: the surname of sentence i is
 * numbered, so the number of distinct names grows with the text. */
static void s_names(struct pl_buf *b, size_t bytes)
{
    unsigned x = 12345;
    for (unsigned i = 0; b->len < bytes; i++) {
        char s[512];
        x = x * 1103515245u + 12345u;
        int n = snprintf(s, sizeof(s),
                         "%s %s%u of %s met officials in %s on %u March 2025 to discuss "
                         "proposal %u, which %u delegates had studied for %u weeks.%s",
                         s_first[x % 7], s_last[(x >> 8) % 6], i % 997, s_org[(x >> 12) % 5],
                         s_place[(x >> 16) % 6], 1 + (x >> 4) % 28, i, 10 + (x >> 20) % 90,
                         2 + (x >> 24) % 9, i % 4 == 3 ? "\n\n" : " ");
        pl_buf_append(b, s, (size_t)n);
    }
}

/* A story around one long run of "Also Read:" pointers that makes up
 * three quarters of the text, so that clean removes a single run whose
 * length grows with the text. */
static void s_furniture(struct pl_buf *b, size_t bytes)
{
    s_names(b, bytes / 8);
    pl_buf_append(b, "\n\n", 2);
    for (unsigned i = 0; b->len < bytes * 7 / 8; i++) {
        char s[256];
        int n = snprintf(s, sizeof(s), "Also Read: %s Visit Number %u Ends In %s\n", s_first[i % 7],
                         i, s_place[i % 6]);
        pl_buf_append(b, s, (size_t)n);
    }
    pl_buf_append(b, "\n", 1);
    s_names(b, bytes);
}

/* The text as a {"raw": ...} document (caller frees with cJSON_free). */
static char *s_doc(const char *kind, size_t bytes)
{
    struct pl_buf b = { 0 };
    if (!strcmp(kind, "seeds")) {
        if (s_seeds(&b, bytes) != 0)
            return NULL;
    } else if (!strcmp(kind, "names")) {
        s_names(&b, bytes);
    } else if (!strcmp(kind, "furniture")) {
        s_furniture(&b, bytes);
    } else {
        fprintf(stderr, "linear_probe: unknown kind \"%s\"\n", kind);
        return NULL;
    }
    if (pl_buf_terminate(&b) != 0)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    char *doc = o && cJSON_AddStringToObject(o, "raw", b.data) ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    free(b.data);
    return doc;
}

/* Runs the chain on doc; each stage's instructions dumped under its name. */
static int s_chain(struct pl_plugin_instance inst[LP_STAGES], char *doc)
{
    char *in = doc;
    for (int s = 0; s < LP_STAGES; s++) {
        char *out;
        size_t out_len;
        struct pl_error e = { { 0 } };
        CALLGRIND_ZERO_STATS;
        int rc = inst[s].desc->process(inst[s].state, in, strlen(in), &out, &out_len, &e);
        CALLGRIND_DUMP_STATS_AT(s_stage[s]);
        char *merged = NULL, why[256];
        size_t mlen = 0;
        if (rc == 0) {
            /* The next stage gets the document with this one's patch applied. */
            rc = pl_doc_merge(in, strlen(in), out, out_len, &merged, &mlen, why, sizeof(why));
            if (rc != 0)
                snprintf(e.message, sizeof(e.message), "%s", why);
            inst[s].desc->release(inst[s].state, out);
        }
        if (in != doc)
            free(in);
        if (rc != 0) {
            fprintf(stderr, "linear_probe: %s: %s\n", s_stage[s], e.message);
            return -1;
        }
        in = merged;
    }
    free(in);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: linear_probe seeds|names|furniture BYTES\n");
        return 2;
    }
    char *doc = s_doc(argv[1], strtoul(argv[2], NULL, 10));
    if (!doc)
        return 1;
    struct pl_plugin_handle *h[LP_STAGES] = { 0 };
    struct pl_plugin_instance inst[LP_STAGES] = { 0 };
    char err[1024];
    for (int s = 0; s < LP_STAGES; s++) {
        char *path = th_path("%s/lib/pressline/%s.so", th_build_dir(), s_stage[s]);
        int bad = pl_plugin_open(path, &h[s], err, sizeof(err)) ||
                  pl_plugin_instance_init(&inst[s], h[s], s_stage[s], NULL, err, sizeof(err));
        free(path);
        if (bad) {
            fprintf(stderr, "linear_probe: %s\n", err);
            return 1;
        }
    }
    int rc = s_chain(inst, doc);
    cJSON_free(doc);
    for (int s = 0; s < LP_STAGES; s++) {
        pl_plugin_instance_fini(&inst[s]);
        pl_plugin_close(&h[s]);
    }
    return rc == 0 ? 0 : 1;
}
