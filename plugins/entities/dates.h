/*
 * Date expressions in news text, found by rules over tokens: weekdays,
 * "February 12", "April 10, 2025", "12 April 2025", "2025-04-10", years,
 * "last month", "earlier this week", "today", "three days ago". Each gets an
 * ISO value ("2025-04-10", "2025-04", "2025", "2025-W15") when it can be
 * resolved: absolute dates always, relative ones only against the article's
 * own date. Called by the entities plugin on its worker thread; pure.
 */
#ifndef PL_DATES_H
#define PL_DATES_H

#include <stdint.h>

#include "text.h"

struct pl_date_hit {
    size_t tok_a, tok_b; /* tokens [tok_a, tok_b) */
    uint32_t start, end; /* bytes in text */
    char value[40];      /* ISO value, or "" when it cannot be resolved */
};

struct pl_date_hits {
    struct pl_date_hit *v;
    size_t n, cap;
};

/* Finds dates. `anchor` is the article's date as "YYYY-MM-DD" or NULL.
 * used[i] is set to 1 for every token inside a date. Appends to *out (the
 * caller frees out->v). Returns 0 or -ENOMEM. */
int pl_find_dates(const char *text, const struct pl_tokens *toks, const char *anchor, uint8_t *used,
                  struct pl_date_hits *out);

/* 1..12 for a month name or its abbreviation ("Feb", "Sept"), else 0. */
int pl_month_number(const char *w, size_t n);

/* 1 (Monday) .. 7 (Sunday) for a weekday name, else 0. */
int pl_weekday_number(const char *w, size_t n);

#endif
