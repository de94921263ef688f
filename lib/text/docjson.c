/* cJSON helpers for plugins; see docjson.h. */
#include "docjson.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "errcode.h"

int pl_plugin_file(const void *addr, const char *name, char *out, size_t cap)
{
    Dl_info info;
    if (!dladdr(addr, &info) || !info.dli_fname)
        return -ENOENT;
    const char *slash = strrchr(info.dli_fname, '/');
    size_t dir = slash ? (size_t)(slash - info.dli_fname) : 1;
    int n = snprintf(out, cap, "%.*s/%s", (int)dir, slash ? info.dli_fname : ".", name);
    return n > 0 && (size_t)n < cap ? 0 : -ENAMETOOLONG;
}

int pl_fail(struct pl_error *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    }
    return PL_ESTAGE;
}

cJSON *pl_doc_parse(const char *doc, size_t len, struct pl_error *err)
{
    cJSON *j = cJSON_ParseWithLength(doc, len);
    if (!j) {
        pl_fail(err, "document is not valid JSON");
        return NULL;
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        pl_fail(err, "document is not a JSON object");
        return NULL;
    }
    return j;
}

int pl_doc_emit(const cJSON *doc, char **out, size_t *out_len, struct pl_error *err)
{
    char *s = cJSON_PrintUnformatted(doc);
    if (!s) {
        pl_fail(err, "out of memory while writing the document");
        return -ENOMEM;
    }
    *out = s;
    *out_len = strlen(s);
    return 0;
}

int pl_doc_emit_patch(const cJSON *doc, const char *const *keys, char **out, size_t *out_len,
                      struct pl_error *err)
{
    /* References print as their items and are not freed with the patch,
     * so the document's members are printed in place, not copied. */
    cJSON *patch = cJSON_CreateObject(), *rm = NULL;
    int rc = patch ? 0 : -ENOMEM;
    for (const char *const *k = keys; rc == 0 && *k; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, *k);
        if (v) {
            if (!cJSON_AddItemReferenceToObject(patch, *k, (cJSON *)v))
                rc = -ENOMEM;
            continue;
        }
        if (!rm && !(rm = cJSON_AddArrayToObject(patch, "$remove")))
            rc = -ENOMEM;
        cJSON *name = rc == 0 ? cJSON_CreateString(*k) : NULL;
        if (rc == 0 && !cJSON_AddItemToArray(rm, name)) {
            cJSON_Delete(name);
            rc = -ENOMEM;
        }
    }
    if (rc == 0)
        rc = pl_doc_emit(patch, out, out_len, err);
    else
        pl_fail(err, "out of memory while writing the result");
    cJSON_Delete(patch);
    return rc;
}

void pl_doc_release(void *state, char *out)
{
    (void)state;
    cJSON_free(out);
}

int pl_doc_set(cJSON *obj, const char *key, cJSON *item)
{
    if (!item)
        return -ENOMEM;
    if (cJSON_GetObjectItemCaseSensitive(obj, key)) {
        if (cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item))
            return 0;
        cJSON_Delete(item);
        return -ENOMEM;
    }
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return -ENOMEM;
    }
    return 0;
}

const char *pl_doc_text(const cJSON *doc, size_t *len)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "text");
    if (!cJSON_IsString(t) || !t->valuestring)
        return NULL;
    *len = strlen(t->valuestring);
    return t->valuestring;
}

cJSON *pl_options_parse(const char *options_json, struct pl_error *err)
{
    if (!options_json || !*options_json)
        return cJSON_CreateObject();
    cJSON *o = cJSON_Parse(options_json);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        pl_fail(err, "options must be a JSON object");
        return NULL;
    }
    return o;
}

int pl_options_check_keys(const cJSON *opts, const char *plugin, const char *const *allowed,
                          struct pl_error *err)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, opts)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, it->string) == 0)
                ok = true;
        if (ok)
            continue;
        if (plugin)
            pl_fail(err, "%s: unknown option \"%s\"", plugin, it->string);
        else
            pl_fail(err, "unknown option \"%s\"", it->string);
        return PL_ECONFIG;
    }
    return 0;
}

int pl_options_number(const cJSON *opts, const char *plugin, const char *key, double lo, double hi,
                      bool integer, double *out, struct pl_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(opts, key);
    if (!v)
        return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi ||
        (integer && v->valuedouble != (double)(long long)v->valuedouble)) {
        pl_fail(err, "%s: \"%s\" must be %s from %g to %g", plugin, key,
                integer ? "an integer" : "a number", lo, hi);
        return PL_ECONFIG;
    }
    *out = v->valuedouble;
    return 0;
}
