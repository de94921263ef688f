/*
 * A story's entities: the entities of its articles merged into one entry
 * per real-world entity. Two names are one entity when they have one type
 * and one is the other up to case, a spelling one or two edits apart
 * ("Darchiev", "Darchiyev"), or, for people, a surname of the other's full
 * name ("Putin", "Vladimir Putin"). Hand-written. Called by store.c on the
 * stage's worker thread; no shared state.
 *
 * The stored form is a cJSON array of {"type", "count", "forms": {form:
 * mentions}}; pl_ents_view turns it into the published form.
 */
#ifndef PL_STORIES_ENTS_H
#define PL_STORIES_ENTS_H

#include <stdbool.h>

#include <cjson/cJSON.h>

/* The most entities a story keeps, and forms an entity keeps: the bound
 * on a story's row. The least mentioned go first. */
#define PL_ENTS_MAX 64
#define PL_ENTS_FORMS_MAX 8

/* Merges the article's "entities" (the entities stage's array: {text, type,
 * count, aliases}; DATE entries skipped) into the stored array st. Both
 * stay the caller's. Returns 0 or -ENOMEM. */
int pl_ents_merge(cJSON *st, const cJSON *article);

/* The published form of st: [{text, type, count, variants}], most mentioned
 * first, at most cap entries. text is the most mentioned of the fullest
 * forms (most words). Caller owns the result; NULL when out of memory. */
cJSON *pl_ents_view(const cJSON *st, int cap);

/* True when names a and b (same type) would be merged: exported for the
 * tests. */
bool pl_ents_same(const char *a, const char *b, bool person);

#endif
