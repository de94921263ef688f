/*
 * Site-grouped folds: see folds.h.
 */
#include "folds.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void pl_site_of_url(const char *url, char *out, size_t n)
{
    if (!n)
        return;
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    if (!strncasecmp(p, "www.", 4))
        p += 4;
    size_t k = 0;
    for (; p[k] && p[k] != '/' && p[k] != ':' && p[k] != '?' && p[k] != '#' && k + 1 < n; k++)
        out[k] = (char)tolower((unsigned char)p[k]);
    out[k] = '\0';
}

void pl_site_of_test_page(const char *name, char *out, size_t n)
{
    if (!n)
        return;
    size_t len = strlen(name), end = len;
    while (end > 0 && isdigit((unsigned char)name[end - 1]))
        end--;
    /* Only a "-<digits>" suffix marks a numbered page of a site
     * ("mozilla-2" -> "mozilla"); "001" keeps its name. */
    if (end < len && end > 1 && name[end - 1] == '-')
        len = end - 1;
    snprintf(out, n, "%.*s", (int)len, name);
    for (char *c = out; *c; c++)
        *c = (char)tolower((unsigned char)*c);
}

unsigned pl_site_fold(const char *site, unsigned nfolds)
{
    if (nfolds < 2)
        return 0;
    uint32_t h = 2166136261u;
    for (const unsigned char *c = (const unsigned char *)site; *c; c++)
        h = (h ^ *c) * 16777619u;
    return h % nfolds;
}
