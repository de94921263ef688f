/*
 * libFuzzer harness for daemon/docpatch.c: the input is a stage's result,
 * merged into a fixed document as the worker merges it. Whatever the
 * input, the scanner and the merge must not read out of bounds, and a
 * merge that succeeds must give a document that scans as one object whose
 * members are the document's, less the removed, plus the new. The input
 * is also taken as a document: skimmed, and merged into.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docpatch.h"

static const char s_doc[] =
    "{\"schema\":\"pressline/article/1\",\"id\":\"0123456789abcdef\",\"source\":{\"path\":\"x\","
    "\"bytes\":3},\"received_at\":\"t\",\"raw\":\"a \\\"b\\\" "
    "\\u00e9\",\"n\":[1,-2.5e3,true,null]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Not NUL-terminated: the scanner must keep to len. */
    char *patch = malloc(size ? size : 1);
    memcpy(patch, data, size);
    char *out = NULL, err[256];
    size_t n = 0;
    if (pl_doc_merge(s_doc, strlen(s_doc), patch, size, &out, &n, err, sizeof(err)) == 0) {
        struct pl_json_members m = { 0 };
        if (pl_json_members_scan(out, n, &m, err, sizeof(err)) != 0 || out[n] != '\0')
            abort();
        pl_json_members_free(&m);
        free(out);
    }
    /* The input as a document, too: scanned, skimmed (which must find the
     * scan's members wherever the scan accepts the text, and keep to the
     * text whatever it holds) and merged into. */
    struct pl_json_members m = { 0 }, k = { 0 };
    int src = pl_json_members_scan(patch, size, &m, err, sizeof(err));
    int krc = pl_json_members_skim(patch, size, &k);
    if (src == 0)
        for (size_t i = 0; i < m.n; i++)
            if (m.m[i].key < patch || m.m[i].val + m.m[i].val_len > patch + size)
                abort();
    if (src == 0 && (krc != 0 || k.n != m.n))
        abort();
    for (size_t i = 0; src == 0 && i < m.n; i++)
        if (k.m[i].key != m.m[i].key || k.m[i].key_len != m.m[i].key_len ||
            k.m[i].val != m.m[i].val || k.m[i].val_len != m.m[i].val_len)
            abort();
    for (size_t i = 0; krc == 0 && i < k.n; i++)
        if (k.m[i].key < patch || k.m[i].val + k.m[i].val_len > patch + size)
            abort();
    pl_json_members_free(&m);
    pl_json_members_free(&k);
    static const char s_patch[] = "{\"z\":1,\"$remove\":[\"raw\"]}";
    if (pl_doc_merge(patch, size, s_patch, strlen(s_patch), &out, &n, err, sizeof(err)) == 0) {
        if (out[n] != '\0')
            abort();
        free(out);
    }
    free(patch);
    return 0;
}
