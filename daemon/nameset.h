/*
 * A set of file names (open addressing, grows), used to keep one queue entry
 * per inbox name. Loop thread only.
 */
#ifndef PL_NAMESET_H
#define PL_NAMESET_H

#include <stdbool.h>
#include <stddef.h>

struct pl_nameset {
    char **slots; /* NULL: empty; a tombstone (nameset.c's TOMB): removed */
    size_t cap, used, live;
};

/* Makes s an empty set. Returns 0 or -ENOMEM. */
int pl_nameset_init(struct pl_nameset *s);
void pl_nameset_free(struct pl_nameset *s);
/* Adds a copy of name. Returns 0 (also when present) or -ENOMEM. */
int pl_nameset_add(struct pl_nameset *s, const char *name);
bool pl_nameset_contains(const struct pl_nameset *s, const char *name);
void pl_nameset_remove(struct pl_nameset *s, const char *name);

#endif
