/*
 * The text as blocks: see blocks.h.
 */
#include "blocks.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* --- the block list ------------------------------------------------------ */

void pl_blocks_free(struct pl_blocks *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->v[i].s);
        free(b->v[i].low);
    }
    free(b->v);
}

static int s_blocks_push(struct pl_blocks *b, const char *s, size_t len, int blank_before)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        struct pl_block *v = realloc(b->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        b->v = v;
        b->cap = cap;
    }
    char *c = malloc(len + 1);
    if (!c)
        return -ENOMEM;
    memcpy(c, s, len);
    c[len] = '\0';
    b->v[b->n++] = (struct pl_block){ .s = c, .len = len, .blank_before = blank_before };
    return 0;
}

/* --- whitespace and lines ----------------------------------------------- */

/* Normalises one line: Unicode spaces to ' ', zero-width and soft hyphens
 * dropped, runs of spaces collapsed, ends trimmed. Writes into out (>= n+1). */
static size_t s_norm_line(const char *s, size_t n, char *out)
{
    size_t o = 0, adv;
    int space = 1; /* drop leading spaces */
    for (size_t i = 0; i < n; i += adv) {
        int32_t cp = pl_utf8_decode(s + i, n - i, &adv);
        if (cp == 0x200b || cp == 0xfeff || cp == 0x00ad || cp == 0x2060)
            continue;
        if (pl_cp_is_space(cp)) {
            if (!space)
                out[o++] = ' ';
            space = 1;
            continue;
        }
        memcpy(out + o, s + i, adv);
        o += adv;
        space = 0;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    return o;
}

/* Is s a list item: a bullet mark, or "1. " or "2) "? */
static int s_is_bullet(const char *s)
{
    static const char *const marks[] = { "\xe2\x80\xa2", "\xc2\xb7",     "\xe2\x80\x93 ", "- ",
                                         "* ",           "\xe2\x96\xaa", "\xe2\x97\x8f" };
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
        if (strncmp(s, marks[i], strlen(marks[i])) == 0)
            return 1;
    /* "1. ", "2) " */
    size_t d = 0;
    while (isdigit((unsigned char)s[d]))
        d++;
    return d > 0 && d < 3 && (s[d] == '.' || s[d] == ')') && s[d + 1] == ' ';
}

/* Characters in t[0..n) without trailing white space. */
static size_t s_width(const char *t, size_t n)
{
    while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
        n--;
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)t[i] & 0xc0) != 0x80;
    return w;
}

/* The width a text was hard-wrapped at (w3m -dump, mail, a terminal
 * copy), or 0: the longest line of 40 to 200 characters, when a quarter of
 * the lines of 40 or more come within 25 characters of it and hardly any
 * is longer. */
static size_t s_wrap_width(const char *t, size_t n)
{
    size_t widest = 0, lines = 0, near = 0, over = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n;) {
            size_t e = i;
            while (e < n && t[e] != '\n')
                e++;
            size_t w = s_width(t + i, e - i);
            if (pass == 0 && w <= 200 && w > widest)
                widest = w;
            if (pass == 1 && w >= 40) {
                lines++;
                near += w <= widest && w + 25 >= widest;
                over += w > widest;
            }
            i = e + 1;
        }
    }
    /* Paragraphs on one line each (lines over the width) mean no wrap. */
    return widest >= 40 && lines >= 4 && near * 4 >= lines && over * 20 <= lines ? widest : 0;
}

/* Characters in the first word of a normalised line. */
static size_t s_first_word_width(const char *line)
{
    size_t n = 0;
    while (line[n] && line[n] != ' ')
        n++;
    return s_width(line, n);
}

/* See blocks.h; plain text is also tested for a fixed wrap width. */
int pl_blocks_split(const char *t, size_t n, int plain, struct pl_blocks *out)
{
    size_t wrap = plain ? s_wrap_width(t, n) : 0;
    char *line = malloc(n + 1);
    if (!line)
        return -ENOMEM;
    int blank = 1, rc = 0;
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && t[e] != '\n' && t[e] != '\r')
            e++;
        size_t ln = s_norm_line(t + i, e - i, line);
        if (ln == 0) {
            blank = 1;
        } else {
            size_t adv;
            int32_t first = pl_utf8_decode(line, ln, &adv);
            struct pl_block *prev = out->n ? &out->v[out->n - 1] : NULL;
            int cont = prev && !blank && !prev->bullet && !s_is_bullet(line) &&
                       pl_cp_is_lower(first) && prev->len > 0 &&
                       !strchr(".!?:\"", prev->s[prev->len - 1]);
            /* Wrapped at a fixed width: the word did not fit (list items
             * wrap too, their next line indented). */
            if (!cont && prev && !blank && wrap && !s_is_bullet(line) &&
                prev->last_width + 1 + s_first_word_width(line) > wrap)
                cont = 1;
            if (cont) {
                /* Hard-wrapped paragraph: join with one space. */
                char *s = realloc(prev->s, prev->len + 1 + ln + 1);
                if (!s) {
                    rc = -ENOMEM;
                    break;
                }
                s[prev->len] = ' ';
                memcpy(s + prev->len + 1, line, ln + 1);
                prev->s = s;
                prev->len += 1 + ln;
                prev->last_width = s_width(t + i, e - i);
            } else {
                if ((rc = s_blocks_push(out, line, ln, blank)) != 0)
                    break;
                out->v[out->n - 1].bullet = s_is_bullet(line);
                out->v[out->n - 1].last_width = s_width(t + i, e - i);
            }
            blank = 0;
        }
        if (e < n && t[e] == '\r' && e + 1 < n && t[e + 1] == '\n')
            e++;
        i = e + 1;
    }
    free(line);
    return rc;
}

/* --- lower case for the rules ------------------------------------------ */

int pl_blocks_lower(struct pl_blocks *bl)
{
    for (size_t i = 0; i < bl->n; i++) {
        struct pl_block *b = &bl->v[i];
        size_t cap = b->len * 2 + 1; /* a few letters grow when lower-cased */
        b->low = malloc(cap);
        if (!b->low)
            return -ENOMEM;
        pl_lower(b->s, b->len, b->low, cap);
    }
    return 0;
}
