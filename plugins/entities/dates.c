/* Date rules; see dates.h. */
#include "dates.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const s_months[] = { "january",   "february", "march",    "april",
                                        "may",       "june",     "july",     "august",
                                        "september", "october",  "november", "december" };
static const char *const s_days[] = { "monday", "tuesday",  "wednesday", "thursday",
                                      "friday", "saturday", "sunday" };

int pl_month_number(const char *w, size_t n)
{
    if (n < 3 || n > 9)
        return 0;
    for (int m = 0; m < 12; m++) {
        size_t full = strlen(s_months[m]);
        if (n == full && strncasecmp(w, s_months[m], n) == 0)
            return m + 1;
        /* Abbreviations; "May" is already full. "Sept" too. */
        if ((n == 3 || (n == 4 && m == 8)) && strncasecmp(w, s_months[m], n) == 0 && m != 4)
            return m + 1;
    }
    return 0;
}

int pl_weekday_number(const char *w, size_t n)
{
    for (int d = 0; d < 7; d++)
        if (n == strlen(s_days[d]) && strncasecmp(w, s_days[d], n) == 0)
            return d + 1;
    return 0;
}

struct ctx {
    const char *t;
    const struct pl_tokens *k;
    int has_anchor;
    struct tm anchor; /* UTC midnight of the article's date */
};

static int s_is(const struct ctx *c, size_t i, const char *w)
{
    if (i >= c->k->n)
        return 0;
    const struct pl_token *k = &c->k->v[i];
    size_t n = strlen(w);
    return k->end - k->start == n && strncasecmp(c->t + k->start, w, n) == 0;
}

/* The number written by n ASCII digits at s, or -1. */
static int s_digits(const char *s, size_t n)
{
    int v = 0;
    for (size_t j = 0; j < n; j++) {
        if (!isdigit((unsigned char)s[j]))
            return -1;
        v = v * 10 + (s[j] - '0');
    }
    return v;
}

/* The value of token i when it is a plain number of 1..4 digits, else -1. */
static int s_num(const struct ctx *c, size_t i)
{
    if (i >= c->k->n)
        return -1;
    const struct pl_token *k = &c->k->v[i];
    size_t n = k->end - k->start;
    if (k->kind != PL_TOK_NUMBER || n > 4)
        return -1;
    return s_digits(c->t + k->start, n);
}

/* Day of month with an optional ordinal suffix: "12", "12th" (a WORD token). */
static int s_day(const struct ctx *c, size_t i)
{
    if (i >= c->k->n)
        return -1;
    const struct pl_token *k = &c->k->v[i];
    size_t n = k->end - k->start;
    const char *s = c->t + k->start;
    int v = 0;
    size_t j = 0;
    while (j < n && j < 2 && isdigit((unsigned char)s[j]))
        v = v * 10 + (s[j++] - '0');
    if (j == 0)
        return -1;
    if (j < n &&
        !(n - j == 2 && (strncasecmp(s + j, "st", 2) == 0 || strncasecmp(s + j, "nd", 2) == 0 ||
                         strncasecmp(s + j, "rd", 2) == 0 || strncasecmp(s + j, "th", 2) == 0)))
        return -1;
    return v >= 1 && v <= 31 ? v : -1;
}

static int s_adjacent(const struct ctx *c, size_t i)
{
    /* Token i follows token i-1 within the same line. */
    return i < c->k->n && !(c->k->v[i].flags & PL_TF_NEWLINE);
}

static void s_tm_add_days(struct tm *tm, int days)
{
    tm->tm_mday += days;
    time_t t = timegm(tm);
    gmtime_r(&t, tm);
}

static void s_fmt_day(const struct tm *tm, char *out)
{
    snprintf(out, 40, "%04d-%02d-%02d", tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday);
}

static void s_fmt_week(const struct tm *tm, char *out)
{
    char buf[16];
    strftime(buf, sizeof(buf), "%G-W%V", tm);
    snprintf(out, 40, "%s", buf);
}

static int s_push(struct pl_date_hits *o, const struct ctx *c, size_t a, size_t b,
                  const char *value)
{
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        struct pl_date_hit *v = realloc(o->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        o->v = v;
        o->cap = cap;
    }
    struct pl_date_hit *h = &o->v[o->n++];
    h->tok_a = a;
    h->tok_b = b;
    h->start = c->k->v[a].start;
    h->end = c->k->v[b - 1].end;
    snprintf(h->value, sizeof(h->value), "%s", value ? value : "");
    return 0;
}

static int s_valid_year(int y)
{
    return y >= 1800 && y <= 2199;
}

/* The rules below each try one kind of date expression at token i: each
 * returns the tokens it takes (0: not its kind) and, when the date can be
 * resolved, writes its ISO value into value (40 bytes), leaving it alone
 * otherwise. */

/* 2025-04-10, as one token or written apart. */
static size_t s_iso_date(const struct ctx *c, size_t i, char *value)
{
    const struct pl_token *k = &c->k->v[i];
    const char *w = c->t + k->start;
    size_t n = k->end - k->start;
    if (k->kind == PL_TOK_NUMBER && n == 10 && w[4] == '-' && w[7] == '-') {
        int y = s_digits(w, 4), m = s_digits(w + 5, 2), d = s_digits(w + 8, 2);
        if (s_valid_year(y) && m >= 1 && m <= 12 && d >= 1 && d <= 31) {
            snprintf(value, 40, "%04d-%02d-%02d", y, m, d);
            return 1;
        }
    }
    if (k->kind == PL_TOK_NUMBER && n == 4 && i + 4 < c->k->n && s_is(c, i + 1, "-") &&
        s_is(c, i + 3, "-")) {
        int y = s_num(c, i), m = s_num(c, i + 2), d = s_num(c, i + 4);
        if (s_valid_year(y) && m >= 1 && m <= 12 && d >= 1 && d <= 31 &&
            c->k->v[i + 1].start == k->end && c->k->v[i + 4].start == c->k->v[i + 3].end) {
            snprintf(value, 40, "%04d-%02d-%02d", y, m, d);
            return 5;
        }
    }
    return 0;
}

/* The month a token names, when it is one here: capitalised, and neither a
 * name ("Mar", "Jan" without a dot) nor the verb "may". */
static int s_month_here(const struct ctx *c, size_t i)
{
    const struct pl_token *k = &c->k->v[i];
    const char *w = c->t + k->start;
    size_t n = k->end - k->start;
    int mon = (k->flags & PL_TF_CAP) ? pl_month_number(w, n) : 0;
    if (mon && n == 3 && !(i + 1 < c->k->n && s_is(c, i + 1, ".")) && k->kind != PL_TOK_ABBREV)
        mon = 0; /* "Mar", "Jan" without a dot are too often names */
    if (mon && k->kind == PL_TOK_ABBREV && n == 4)
        mon = pl_month_number(w, 3);
    if (mon == 5 && n == 3 && !(s_day(c, i + 1) > 0 || s_valid_year(s_num(c, i + 1))))
        mon = 0; /* "May" alone is the verb */
    return mon;
}

/* Month [day][, year] | Month year | Month: "April 10, 2025", "April 2025". */
static size_t s_month_first(const struct ctx *c, size_t i, char *value)
{
    int mon = s_month_here(c, i);
    if (!mon)
        return 0;
    size_t j = i + 1;
    if (j < c->k->n && s_is(c, j, ".") && c->k->v[j].start == c->k->v[i].end)
        j++;
    int d = s_adjacent(c, j) ? s_day(c, j) : -1;
    if (d > 0) {
        j++;
        int y = -1;
        if (s_is(c, j, ",") && s_valid_year(s_num(c, j + 1)))
            y = s_num(c, j + 1), j += 2;
        else if (s_valid_year(s_num(c, j)))
            y = s_num(c, j), j++;
        if (y > 0)
            snprintf(value, 40, "%04d-%02d-%02d", y, mon, d);
        else if (c->has_anchor)
            snprintf(value, 40, "%04d-%02d-%02d", c->anchor.tm_year + 1900, mon, d);
        return j - i;
    }
    int y = s_adjacent(c, j) ? s_num(c, j) : -1;
    if (s_valid_year(y)) {
        snprintf(value, 40, "%04d-%02d", y, mon);
        return j + 1 - i;
    }
    if (c->has_anchor)
        snprintf(value, 40, "%04d-%02d", c->anchor.tm_year + 1900, mon);
    return 1;
}

/* Day Month [year]: "12 April", "12 April 2025". */
static size_t s_day_first(const struct ctx *c, size_t i, char *value)
{
    int d = s_day(c, i);
    if (d <= 0 || i + 1 >= c->k->n)
        return 0;
    const struct pl_token *m = &c->k->v[i + 1];
    int mon = pl_month_number(c->t + m->start, m->end - m->start);
    if (!mon || !(m->flags & PL_TF_CAP) || m->end - m->start <= 3)
        return 0;
    int y = s_valid_year(s_num(c, i + 2)) ? s_num(c, i + 2) : -1;
    if (y > 0) {
        snprintf(value, 40, "%04d-%02d-%02d", y, mon, d);
        return 3;
    }
    if (c->has_anchor)
        snprintf(value, 40, "%04d-%02d-%02d", c->anchor.tm_year + 1900, mon, d);
    return 2;
}

/* A weekday: the latest such day on or before the article's date. */
static size_t s_weekday(const struct ctx *c, size_t i, char *value)
{
    const struct pl_token *k = &c->k->v[i];
    int wd = pl_weekday_number(c->t + k->start, k->end - k->start);
    if (!wd || !(k->flags & PL_TF_CAP))
        return 0;
    if (c->has_anchor) {
        struct tm tm = c->anchor;
        int cur = tm.tm_wday == 0 ? 7 : tm.tm_wday;
        s_tm_add_days(&tm, -((cur - wd + 7) % 7));
        s_fmt_day(&tm, value);
    }
    return 1;
}

/* today / yesterday / tomorrow */
static size_t s_relative_day(const struct ctx *c, size_t i, char *value)
{
    static const struct {
        const char *w;
        int days;
    } rel[] = { { "today", 0 }, { "yesterday", -1 }, { "tomorrow", 1 } };
    for (size_t r = 0; r < 3; r++)
        if (s_is(c, i, rel[r].w)) {
            if (c->has_anchor) {
                struct tm tm = c->anchor;
                s_tm_add_days(&tm, rel[r].days);
                s_fmt_day(&tm, value);
            }
            return 1;
        }
    return 0;
}

/* [earlier|later] (last|this|next|past) (week|month|year) */
static size_t s_relative_period(const struct ctx *c, size_t i, char *value)
{
    size_t j = i;
    if (s_is(c, j, "earlier") || s_is(c, j, "later"))
        j++;
    int shift = 99;
    if (s_is(c, j, "last") || s_is(c, j, "past"))
        shift = -1;
    else if (s_is(c, j, "this"))
        shift = 0;
    else if (s_is(c, j, "next"))
        shift = 1;
    if (shift == 99 ||
        !(s_is(c, j + 1, "week") || s_is(c, j + 1, "month") || s_is(c, j + 1, "year")))
        return 0;
    if (c->has_anchor) {
        struct tm tm = c->anchor;
        if (s_is(c, j + 1, "week")) {
            s_tm_add_days(&tm, 7 * shift);
            s_fmt_week(&tm, value);
        } else if (s_is(c, j + 1, "month")) {
            tm.tm_mday = 1;
            tm.tm_mon += shift;
            time_t t = timegm(&tm);
            gmtime_r(&t, &tm);
            snprintf(value, 40, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
        } else {
            snprintf(value, 40, "%04d", tm.tm_year + 1900 + shift);
        }
    }
    return j + 2 - i;
}

/* N days|weeks ago */
static size_t s_ago(const struct ctx *c, size_t i, char *value)
{
    int num = s_num(c, i);
    int weeks = s_is(c, i + 1, "weeks") || s_is(c, i + 1, "week");
    if (num <= 0 || num >= 1000 || !(weeks || s_is(c, i + 1, "days") || s_is(c, i + 1, "day")) ||
        !s_is(c, i + 2, "ago"))
        return 0;
    if (c->has_anchor) {
        struct tm tm = c->anchor;
        s_tm_add_days(&tm, -(weeks ? 7 * num : num));
        s_fmt_day(&tm, value);
    }
    return 3;
}

/* A year on its own: "in 2022", "Russia's 2022 invasion"; not "2022 %" or
 * "2022 people". */
static size_t s_year(const struct ctx *c, size_t i, char *value)
{
    const struct pl_token *k = &c->k->v[i];
    if (k->kind == PL_TOK_NUMBER && k->end - k->start == 4 && s_valid_year(s_num(c, i)) &&
        s_num(c, i) >= 1900 &&
        !(i + 1 < c->k->n && (s_is(c, i + 1, "%") || s_is(c, i + 1, "people")))) {
        snprintf(value, 40, "%04d", s_num(c, i));
        return 1;
    }
    return 0;
}

/* Tries every rule at token i, in this order. Returns the tokens taken
 * (0: none) and fills value ("" when it cannot be resolved). */
static size_t s_match(const struct ctx *c, size_t i, char *value)
{
    static size_t (*const rules[])(const struct ctx *, size_t, char *) = {
        s_iso_date,     s_month_first,     s_day_first, s_weekday,
        s_relative_day, s_relative_period, s_ago,       s_year,
    };
    value[0] = '\0';
    for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
        size_t len = rules[r](c, i, value);
        if (len)
            return len;
    }
    return 0;
}

int pl_find_dates(const char *text, const struct pl_tokens *toks, const char *anchor, uint8_t *used,
                  struct pl_date_hits *out)
{
    struct ctx c = { .t = text, .k = toks };
    int y, m, d;
    if (anchor && sscanf(anchor, "%4d-%2d-%2d", &y, &m, &d) == 3) {
        c.has_anchor = 1;
        c.anchor.tm_year = y - 1900;
        c.anchor.tm_mon = m - 1;
        c.anchor.tm_mday = d;
        time_t t = timegm(&c.anchor);
        gmtime_r(&t, &c.anchor);
    }
    for (size_t i = 0; i < toks->n;) {
        char value[40];
        size_t len = s_match(&c, i, value);
        if (len == 0) {
            i++;
            continue;
        }
        if (s_push(out, &c, i, i + len, value) != 0)
            return -ENOMEM;
        for (size_t j = i; j < i + len; j++)
            used[j] = 1;
        i += len;
    }
    return 0;
}
