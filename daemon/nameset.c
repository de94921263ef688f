/* Name set; see nameset.h. */
#include "nameset.h"

#include "text.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char s_tomb;
#define TOMB (&s_tomb)

int pl_nameset_init(struct pl_nameset *s)
{
    memset(s, 0, sizeof(*s));
    s->cap = 64;
    s->slots = calloc(s->cap, sizeof(*s->slots));
    return s->slots ? 0 : -ENOMEM;
}

void pl_nameset_free(struct pl_nameset *s)
{
    for (size_t i = 0; s->slots && i < s->cap; i++)
        if (s->slots[i] && s->slots[i] != TOMB)
            free(s->slots[i]);
    free(s->slots);
    memset(s, 0, sizeof(*s));
}

/* Slot holding name, or -1. */
static long s_find(const struct pl_nameset *s, const char *name)
{
    for (size_t i = pl_hash(name, strlen(name)) & (s->cap - 1), n = 0; n < s->cap;
         i = (i + 1) & (s->cap - 1), n++) {
        if (!s->slots[i])
            return -1;
        if (s->slots[i] != TOMB && strcmp(s->slots[i], name) == 0)
            return (long)i;
    }
    return -1;
}

static int s_grow(struct pl_nameset *s)
{
    size_t cap = s->live * 4 > s->cap ? s->cap * 2 : s->cap; /* else just drop tombstones */
    char **slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    for (size_t i = 0; i < s->cap; i++) {
        char *k = s->slots[i];
        if (!k || k == TOMB)
            continue;
        size_t j = pl_hash(k, strlen(k)) & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = k;
    }
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
    s->used = s->live;
    return 0;
}

int pl_nameset_add(struct pl_nameset *s, const char *name)
{
    if (s_find(s, name) >= 0)
        return 0;
    if ((s->used + 1) * 2 > s->cap && s_grow(s) != 0)
        return -ENOMEM;
    char *k = strdup(name);
    if (!k)
        return -ENOMEM;
    size_t i = pl_hash(name, strlen(name)) & (s->cap - 1);
    while (s->slots[i] && s->slots[i] != TOMB)
        i = (i + 1) & (s->cap - 1);
    if (!s->slots[i])
        s->used++;
    s->slots[i] = k;
    s->live++;
    return 0;
}

bool pl_nameset_contains(const struct pl_nameset *s, const char *name)
{
    return s_find(s, name) >= 0;
}

void pl_nameset_remove(struct pl_nameset *s, const char *name)
{
    long i = s_find(s, name);
    if (i < 0)
        return;
    free(s->slots[i]);
    s->slots[i] = TOMB;
    s->live--;
}
