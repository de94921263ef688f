/*
 * The text of an HTML reference: see html_text.h.
 */
#include "html_text.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

/* What separates the next text from the last: nothing, a space, a line
 * break or a paragraph break; the strongest one asked for wins. */
enum gap { GAP_NONE, GAP_SPACE, GAP_LINE, GAP_PARA };

struct sink {
    char *buf;
    size_t len, cap;
    enum gap gap;
    bool oom;
};

static bool s_is_block(const char *tag)
{
    static const char *const blocks[] = {
        "address", "article", "aside",   "blockquote", "body",  "caption",  "center",     "dd",
        "details", "dialog",  "div",     "dl",         "dt",    "fieldset", "figcaption", "figure",
        "footer",  "form",    "h1",      "h2",         "h3",    "h4",       "h5",         "h6",
        "header",  "hgroup",  "hr",      "li",         "main",  "menu",     "nav",        "ol",
        "p",       "pre",     "section", "summary",    "table", "tbody",    "td",         "tfoot",
        "th",      "thead",   "tr",      "ul",         NULL,
    };
    for (size_t i = 0; blocks[i]; i++)
        if (!strcasecmp(tag, blocks[i]))
            return true;
    return false;
}

static bool s_is_skipped(const char *tag)
{
    return !strcasecmp(tag, "script") || !strcasecmp(tag, "style") || !strcasecmp(tag, "template");
}

static void s_put(struct sink *s, const char *p, size_t n)
{
    if (s->oom || !n)
        return;
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *b = realloc(s->buf, cap);
        if (!b) {
            s->oom = true;
            return;
        }
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    s->buf[s->len] = '\0';
}

static void s_gap(struct sink *s, enum gap g)
{
    if (g > s->gap)
        s->gap = g;
}

/* Length of the white space at p, 0 if none: ASCII white space and the
 * rest of Unicode's White_Space (no-break, ideographic and the typographic
 * spaces, the line and paragraph separators). They separate words on the
 * page, and the 4-gram scorer splits words only at ASCII. */
static size_t s_space_at(const unsigned char *p)
{
    if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
        return 1;
    if (p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
        return 2;
    if (p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80)
        return 3; /* U+1680 */
    if (p[0] == 0xe2 && p[1] == 0x80 &&
        ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
        return 3; /* U+2000-200A, U+2028, U+2029, U+202F */
    if (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f)
        return 3; /* U+205F */
    if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
        return 3; /* U+3000 */
    return 0;
}

/* Appends a text node's words, each run of white space as one space, and
 * the gap owed before the first word (none at the start of the text). */
static void s_text(struct sink *s, const unsigned char *p)
{
    while (*p) {
        size_t sp = s_space_at(p);
        if (sp) {
            s_gap(s, GAP_SPACE);
            p += sp;
            continue;
        }
        const unsigned char *q = p;
        while (*q && !s_space_at(q))
            q++;
        if (s->len) {
            static const char *const seps[] = { "", " ", "\n", "\n\n" };
            s_put(s, seps[s->gap], strlen(seps[s->gap]));
        }
        s->gap = GAP_NONE;
        s_put(s, (const char *)p, (size_t)(q - p));
        p = q;
    }
}

/* Walks the tree in document order without recursion (a deeply nested
 * reference cannot exhaust the stack), asking for a paragraph break on
 * entering and on leaving a block element. */
static void s_walk(struct sink *s, xmlNode *root)
{
    xmlNode *n = root;
    while (n) {
        bool descend = false;
        if (n->type == XML_ELEMENT_NODE) {
            const char *tag = (const char *)n->name;
            if (s_is_block(tag))
                s_gap(s, GAP_PARA);
            else if (!strcasecmp(tag, "br"))
                s_gap(s, GAP_LINE);
            descend = !s_is_skipped(tag) && n->children;
        } else if (n->type == XML_TEXT_NODE && n->content) {
            s_text(s, n->content);
        }
        if (descend) {
            n = n->children;
            continue;
        }
        /* Climb until a next sibling, closing each block element left. */
        while (n && n != root && !n->next) {
            n = n->parent;
            if (n && n->type == XML_ELEMENT_NODE && s_is_block((const char *)n->name))
                s_gap(s, GAP_PARA);
        }
        n = n && n != root ? n->next : NULL;
    }
}

int pl_html_text(const char *html, size_t len, char **out)
{
    *out = NULL;
    struct sink s = { 0 };
    if (len > (size_t)INT_MAX)
        len = (size_t)INT_MAX;
    htmlDocPtr doc = htmlReadMemory(html, (int)len, NULL, NULL,
                                    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                        HTML_PARSE_NONET);
    if (doc)
        s_walk(&s, xmlDocGetRootElement(doc));
    xmlFreeDoc(doc);
    if (!s.oom && !s.buf)
        s.buf = strdup("");
    if (s.oom || !s.buf) {
        free(s.buf);
        return -ENOMEM;
    }
    *out = s.buf;
    return 0;
}
