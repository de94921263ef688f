/*
 * Main text of a web page: see html.h.
 *
 * Written by hand on top of libxml2: Debian packages no C library for
 * boilerplate removal (readability and trafilatura are JavaScript and
 * Python). The scoring follows Arc90's readability: paragraphs give points
 * to their parent and grandparent, scaled down by link density; the best
 * container and its strong siblings are the article.
 */
#include "html.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "bmodel.h"
#include "text.h"

void pl_html_meta_free(struct pl_html_meta *m)
{
    free(m->title);
    free(m->published);
    free(m->author);
    free(m->url);
    free(m->body);
    memset(m, 0, sizeof(*m));
}

/* Case-insensitive memmem for an ASCII needle. */
static const char *s_find_ci(const char *h, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!strncasecmp(h + i, needle, k))
            return h + i;
    return NULL;
}

static size_t s_count_tags(const char *data, size_t n)
{
    static const char *const common[] = { "<p>", "<p ", "<div", "<br", "<a href", "</p>", NULL };
    size_t tags = 0;
    for (size_t k = 0; common[k]; k++)
        for (const char *p = data;
             (p = memmem(p, n - (size_t)(p - data), common[k], strlen(common[k]))) != NULL; p++)
            tags++;
    return tags;
}

int pl_html_sniff(const char *data, size_t len)
{
    size_t i = 0;
    if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
        i = 3;
    while (i < len && isspace((unsigned char)data[i]))
        i++;
    /* An XHTML page's XML declaration. */
    if (len - i >= 5 && !memcmp(data + i, "<?xml", 5)) {
        const char *e = memmem(data + i, len - i < 512 ? len - i : 512, "?>", 2);
        if (e) {
            i = (size_t)(e - data) + 2;
            while (i < len && isspace((unsigned char)data[i]))
                i++;
        }
    }
    static const char *const starts[] = { "<!doctype html", "<html", "<head", "<body", NULL };
    for (size_t k = 0; starts[k]; k++)
        if (len - i >= strlen(starts[k]) && !strncasecmp(data + i, starts[k], strlen(starts[k])))
            return 1;
    /* Markup first (comments, <meta>, <script>, <style> of a page saved
     * without its frame): HTML when the frame or common tags follow. */
    if (i < len && data[i] == '<' && i + 1 < len &&
        (isalpha((unsigned char)data[i + 1]) || data[i + 1] == '!')) {
        size_t n = len - i < 65536 ? len - i : 65536;
        const char *w = data + i;
        if (s_find_ci(w, n, "<html") || s_find_ci(w, n, "<body") || s_find_ci(w, n, "<head>"))
            return 1;
        return s_count_tags(w, n) >= 4;
    }
    /* Tag soup without the frame: several paragraph or div tags early on. */
    return s_count_tags(data, len < 2048 ? len : 2048) >= 4;
}

/* --- small helpers ------------------------------------------------------- */

/* libxml2's HTML parser lower-cases element names; name is lower case. */
static int s_is(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->name && n->name[0] == (xmlChar)name[0] &&
           !strcmp((const char *)n->name, name);
}

static int s_in(const xmlNode *n, const char *const *names)
{
    for (size_t i = 0; names[i]; i++)
        if (s_is(n, names[i]))
            return 1;
    return 0;
}

static char *s_prop(const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp((xmlNode *)n, (const xmlChar *)name);
    if (!v)
        return NULL;
    char *s = strdup((const char *)v);
    xmlFree(v);
    return s;
}

/* An attribute's value as stored in the tree (borrowed while n lives), or
 * NULL: no copy, as this runs for every element of every page. */
static const char *s_attr(const xmlNode *n, const char *name)
{
    for (const xmlAttr *a = n->properties; a; a = a->next)
        if (a->name && !strcasecmp((const char *)a->name, name))
            return a->children && a->children->type == XML_TEXT_NODE && a->children->content
                       ? (const char *)a->children->content
                       : "";
    return NULL;
}

/* Collapses runs of white space to one space and trims; returns s. */
static char *s_squash(char *s)
{
    size_t o = 0;
    int sp = 1;
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        int white = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
        /* U+00A0 no-break space */
        if (c == 0xc2 && (unsigned char)s[i + 1] == 0xa0) {
            white = 1;
            i++;
        }
        if (white) {
            if (!sp)
                s[o++] = ' ';
            sp = 1;
        } else {
            s[o++] = s[i];
            sp = 0;
        }
    }
    while (o > 0 && s[o - 1] == ' ')
        o--;
    s[o] = '\0';
    return s;
}

static void s_set(char **dst, const char *v)
{
    if (*dst || !v || !*v)
        return;
    *dst = s_squash(strdup(v));
    if (*dst && !**dst) {
        free(*dst);
        *dst = NULL;
    }
}

/* Bytes of a text node's content, white space runs counted once. */
static size_t s_run_len(const xmlChar *p)
{
    size_t k = 0;
    int sp = 1;
    for (; p && *p; p++) {
        int w = isspace(*p);
        if (!w || !sp)
            k++;
        sp = w;
    }
    return k;
}

/* Adds n's text length (bytes, white space runs counted once) to *all and
 * the part inside links to *link. */
static void s_text_len(const xmlNode *n, int in_link, size_t *all, size_t *link)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            size_t k = s_run_len(c->content);
            *all += k;
            if (in_link)
                *link += k;
        } else if (c->type == XML_ELEMENT_NODE) {
            s_text_len(c, in_link || s_is(c, "a"), all, link);
        }
    }
}

static size_t s_count_char(const xmlNode *n, char ch)
{
    size_t k = 0;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE)
            for (const xmlChar *p = c->content; p && *p; p++)
                k += *p == (xmlChar)ch;
        else if (c->type == XML_ELEMENT_NODE)
            k += s_count_char(c, ch);
    }
    return k;
}

/* --- metadata ------------------------------------------------------------ */

/* A JSON-LD articleBody replaces the text the markup gave when it is at
 * least this long and more than this many times that text (measured on
 * both labelled sets, README). */
#define S_DECLARED_MIN 500
#define S_DECLARED_RATIO 2

/* v, an articleBody, as the extractor writes text: each line's white
 * space squashed, lines a blank line apart; NULL when it holds markup (a
 * page that puts HTML there) or nothing. */
static char *s_body_text(const char *v)
{
    if (strchr(v, '<'))
        return NULL;
    struct pl_buf b = { 0 };
    int rc = 0;
    for (const char *p = v; *p && rc == 0;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = strndup(p, n);
        if (!line) {
            rc = -ENOMEM;
            break;
        }
        s_squash(line);
        if (*line) {
            if (b.len)
                rc = pl_buf_append(&b, "\n\n", 2);
            if (rc == 0)
                rc = pl_buf_append(&b, line, strlen(line));
        }
        free(line);
        p += n + (nl != NULL);
    }
    if (rc != 0 || !b.len || pl_buf_terminate(&b) != 0) {
        free(b.data);
        return NULL;
    }
    return b.data;
}

static void s_jsonld(const cJSON *j, struct pl_html_meta *m)
{
    if (cJSON_IsArray(j)) {
        const cJSON *x;
        cJSON_ArrayForEach(x, j) s_jsonld(x, m);
        return;
    }
    if (!cJSON_IsObject(j))
        return;
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(j, "@graph");
    if (g)
        s_jsonld(g, m);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "@type");
    const char *ty = cJSON_IsString(type) ? type->valuestring : "";
    int article = strstr(ty, "Article") || strstr(ty, "Posting") || strstr(ty, "Report");
    if (!article)
        return;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "headline");
    if (cJSON_IsString(v))
        s_set(&m->title, v->valuestring);
    v = cJSON_GetObjectItemCaseSensitive(j, "articleBody");
    if (cJSON_IsString(v) && !m->body)
        m->body = s_body_text(v->valuestring);
    v = cJSON_GetObjectItemCaseSensitive(j, "datePublished");
    if (cJSON_IsString(v))
        s_set(&m->published, v->valuestring);
    v = cJSON_GetObjectItemCaseSensitive(j, "author");
    if (cJSON_IsArray(v))
        v = cJSON_GetArrayItem(v, 0);
    if (cJSON_IsObject(v))
        v = cJSON_GetObjectItemCaseSensitive(v, "name");
    if (cJSON_IsString(v))
        s_set(&m->author, v->valuestring);
    v = cJSON_GetObjectItemCaseSensitive(j, "url");
    if (cJSON_IsString(v))
        s_set(&m->url, v->valuestring);
}

static void s_meta(const xmlNode *n, struct pl_html_meta *m, char **title_tag, char **h1)
{
    for (const xmlNode *c = n; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (s_is(c, "meta")) {
            char *prop = s_prop(c, "property"), *name = s_prop(c, "name"),
                 *ip = s_prop(c, "itemprop"), *content = s_prop(c, "content");
            const char *k = prop ? prop : name ? name : ip ? ip : "";
            if (content) {
                if (!strcasecmp(k, "og:title"))
                    s_set(&m->title, content);
                else if (!strcasecmp(k, "article:published_time") ||
                         !strcasecmp(k, "datePublished") || !strcasecmp(k, "date") ||
                         !strcasecmp(k, "pubdate") || !strcasecmp(k, "dc.date") ||
                         !strcasecmp(k, "publish-date") || !strcasecmp(k, "og:published_time"))
                    s_set(&m->published, content);
                else if (!strcasecmp(k, "author") || !strcasecmp(k, "article:author") ||
                         !strcasecmp(k, "dc.creator"))
                    s_set(&m->author, content);
                else if (!strcasecmp(k, "og:url"))
                    s_set(&m->url, content);
            }
            free(prop);
            free(name);
            free(ip);
            free(content);
        } else if (s_is(c, "link")) {
            char *rel = s_prop(c, "rel");
            if (rel && !strcasecmp(rel, "canonical")) {
                char *href = s_prop(c, "href");
                free(m->url); /* canonical wins over og:url */
                m->url = NULL;
                s_set(&m->url, href);
                free(href);
            }
            free(rel);
        } else if (s_is(c, "title") && !*title_tag) {
            xmlChar *t = xmlNodeGetContent(c);
            if (t)
                s_set(title_tag, (const char *)t);
            xmlFree(t);
        } else if (s_is(c, "h1") && !*h1) {
            xmlChar *t = xmlNodeGetContent(c);
            if (t)
                s_set(h1, (const char *)t);
            xmlFree(t);
        } else if (s_is(c, "script")) {
            char *type = s_prop(c, "type");
            if (type && !strcasecmp(type, "application/ld+json")) {
                xmlChar *t = xmlNodeGetContent(c);
                cJSON *j = t ? cJSON_Parse((const char *)t) : NULL;
                s_jsonld(j, m);
                cJSON_Delete(j);
                xmlFree(t);
            }
            free(type);
        }
        s_meta(c->children, m, title_tag, h1);
    }
}

/* --- pruning ------------------------------------------------------------- */

static const char *const s_drop_tags[] = { "script", "style",  "noscript", "template", "svg",
                                           "iframe", "button", "select",   "input",    "textarea",
                                           "menu",   "dialog", "object",   "embed",    "canvas",
                                           "map",    "head",   "video",    "audio",    "link",
                                           "meta",   NULL };
/* Page regions dropped unless they hold much prose: broken markup makes
 * libxml2 nest the whole page inside an unclosed <header> or <form>. */
static const char *const s_region_tags[] = { "nav", "footer", "aside", "header", "form", NULL };

/* Class or id words of page furniture. */
static const char *const s_negative[] = {
    "comment",    "share",     "social",     "related",   "cookie",       "consent",   "gdpr",
    "newsletter", "subscri",   "sidebar",    "widget",    "breadcrumb",   "footer",    "masthead",
    "navbar",     "menu",      "promo",      "advert",    "banner",       "popup",     "modal",
    "recommend",  "more-stor", "tags",       "tag-list",  "author-bio",   "byline",    "pagination",
    "pager",      "print",     "login",      "signup",    "skip",         "sponsor",   "outbrain",
    "taboola",    "disqus",    "toolbar",    "rating",    "copyright",    "impressum", "imprint",
    "navigation", "teaser",    "entry-meta", "post-meta", "article-meta", "caption",   "credit",
    "hidden",     "shariff",   "addthis",    "follow",    "subnav",       NULL
};
/* Words of the article's own containers. */
static const char *const s_positive[] = { "article", "content", "entry",   "post",
                                          "story",   "body",    "text",    "main",
                                          "blog",    "artikel", "beitrag", NULL };
/* Furniture even inside a container that looks like the article. */
static const char *const s_strong[] = { "cookie",     "consent",  "gdpr",    "shariff", "social",
                                        "newsletter", "outbrain", "taboola", "disqus",  NULL };

static int s_has_word(const char *v, const char *const *words)
{
    if (!v)
        return 0;
    char low[512];
    size_t n = 0;
    for (; v[n] && n + 1 < sizeof(low); n++)
        low[n] = (char)tolower((unsigned char)v[n]);
    low[n] = '\0';
    for (size_t i = 0; words[i]; i++)
        if (strstr(low, words[i]))
            return 1;
    return 0;
}

/* -1: furniture by its class/id; +1: the article's container; 0 neither. */
static int s_class_weight(const xmlNode *n)
{
    const char *cls = s_attr(n, "class"), *id = s_attr(n, "id");
    if (!cls && !id)
        return 0;
    int neg = s_has_word(cls, s_negative) || s_has_word(id, s_negative);
    int pos = s_has_word(cls, s_positive) || s_has_word(id, s_positive);
    int strong = s_has_word(cls, s_strong) || s_has_word(id, s_strong);
    if (strong || (neg && !pos))
        return -1;
    return pos ? 1 : 0;
}

static int s_hidden(const xmlNode *n)
{
    if (!n->properties)
        return 0;
    const char *aria = s_attr(n, "aria-hidden"), *style = s_attr(n, "style");
    return s_attr(n, "hidden") != NULL || (aria && !strcasecmp(aria, "true")) ||
           (style && (strstr(style, "display:none") || strstr(style, "display: none")));
}

static size_t s_good_text(const xmlNode *n);

/* An article's own <header> (headline, standfirst, lead), as opposed to
 * the page's: inside an <article> or <main>. */
static int s_article_header(const xmlNode *c)
{
    if (!s_is(c, "header"))
        return 0;
    for (const xmlNode *a = c->parent; a && a->type == XML_ELEMENT_NODE; a = a->parent)
        if (s_is(a, "article") || s_is(a, "main"))
            return 1;
    return 0;
}

/* Prose above which an element is never dropped whole for its class, a
 * hidden flag or its region tag: libxml2 does not close elements as a
 * browser does ("</li>" leaves a menu's open <div>s open), so the rest of
 * the page, article included, can end up inside a hidden menu. Such an
 * element is searched instead (keep: that much prose). */
static void s_prune(xmlNode *n, int depth, int by_class, size_t keep)
{
    xmlNode *next;
    for (xmlNode *c = n->children; c; c = next) {
        next = c->next;
        if (c->type == XML_COMMENT_NODE || c->type == XML_PI_NODE) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
            continue;
        }
        if (c->type != XML_ELEMENT_NODE)
            continue;
        int keep_body = s_is(c, "body") || s_is(c, "html");
        int noscript = s_is(c, "noscript"); /* a page can sit whole in one */
        int drop = !keep_body && !noscript && s_in(c, s_drop_tags);
        /* A figure goes unless it holds prose (a slide's text, a table). */
        if (!drop && s_is(c, "figure") && s_good_text(c) < 150)
            drop = 1;
        int region = !keep_body && !drop && s_in(c, s_region_tags) && !s_article_header(c);
        int flagged =
            !keep_body && !drop && (noscript || s_hidden(c) || (by_class && s_class_weight(c) < 0));
        if (region || flagged) {
            /* Kept when it holds most of the page's prose, or, a region,
             * much prose. */
            size_t prose = s_good_text(c);
            drop = !(prose >= 200 && prose >= keep) && !(region && prose >= 1000);
        }
        if (drop) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
            continue;
        }
        /* Deeply nested markup is pathological; what lies deeper is dropped. */
        if (depth > 200) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
            continue;
        }
        s_prune(c, depth + 1, by_class, keep);
    }
}

/* --- scoring ------------------------------------------------------------- */

struct score {
    const xmlNode *node;
    double v;
};

struct scores {
    struct score *v;
    size_t n, cap;
};

static double *s_score_of(struct scores *s, const xmlNode *n)
{
    for (size_t i = s->n; i-- > 0;) /* recent ones first: parents repeat */
        if (s->v[i].node == n)
            return &s->v[i].v;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        struct score *v = realloc(s->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        s->v = v;
        s->cap = cap;
    }
    double base = 0;
    if (s_is(n, "div") || s_is(n, "article") || s_is(n, "main") || s_is(n, "section"))
        base = 5;
    else if (s_is(n, "pre") || s_is(n, "td") || s_is(n, "blockquote"))
        base = 3;
    else if (s_is(n, "ol") || s_is(n, "ul") || s_is(n, "dl") || s_is(n, "form"))
        base = -3;
    else if (s_is(n, "h1") || s_is(n, "h2") || s_is(n, "h3") || s_is(n, "th"))
        base = -5;
    base += 25 * s_class_weight(n);
    if (s_is(n, "article") || s_is(n, "main"))
        base += 10;
    s->v[s->n] = (struct score){ n, base };
    return &s->v[s->n++].v;
}

static const char *const s_para_tags[] = { "p", "pre", "td", "blockquote", "li", NULL };
static const char *const s_block_tags[] = {
    "p",       "div",     "h1",   "h2",         "h3", "h4",      "h5",     "h6",         "ul",
    "ol",      "li",      "dl",   "dt",         "dd", "table",   "tr",     "blockquote", "pre",
    "section", "article", "main", "figcaption", "hr", "address", "center", NULL
};

/* Inline elements whose text runs on with the text around them. */
static const char *const s_inline_tags[] = { "span", "b",    "i",    "em",    "strong",
                                             "font", "br",   "u",    "small", "sup",
                                             "sub",  "abbr", "cite", "time",  "mark",
                                             "q",    "code", "s",    NULL };

static int s_has_block_child(const xmlNode *n)
{
    for (const xmlNode *c = n->children; c; c = c->next)
        if (s_in(c, s_block_tags))
            return 1;
    return 0;
}

/* The text of n outside its block children (text nodes and inline
 * elements), its part in links and its commas. */
static void s_inline_run(const xmlNode *n, size_t *all, size_t *link, size_t *commas)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE) {
            *all += s_run_len(c->content);
            for (const xmlChar *p = c->content; p && *p; p++)
                *commas += *p == ',';
        } else if (s_is(c, "a")) {
            s_text_len(c, 1, all, link);
        } else if (s_in(c, s_inline_tags)) {
            s_text_len(c, 0, all, link);
            *commas += s_count_char(c, ',');
        }
    }
}

/* Scores a paragraph of all bytes and commas for the element that holds
 * it, and half of that for the element above (not <html>). */
static int s_score_paragraph(struct scores *s, const xmlNode *holder, size_t all, size_t commas)
{
    double v = 1 + (double)commas + (double)(all / 100 < 3 ? all / 100 : 3);
    double *p = s_score_of(s, holder);
    if (!p)
        return -ENOMEM;
    *p += v;
    const xmlNode *up = holder->parent;
    if (up && up->type == XML_ELEMENT_NODE && !s_is(up, "html")) {
        double *g = s_score_of(s, up);
        if (!g)
            return -ENOMEM;
        *g += v / 2;
    }
    return 0;
}

static int s_collect(const xmlNode *n, struct scores *s)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        int para = s_in(c, s_para_tags) || (s_is(c, "div") && !s_has_block_child(c));
        if (para) {
            size_t all = 0, link = 0;
            s_text_len(c, 0, &all, &link);
            if (all >= 25 && c->parent &&
                s_score_paragraph(s, c->parent, all, s_count_char(c, ',')) != 0)
                return -ENOMEM;
        }
        if (!para && (s_is(c, "div") || s_is(c, "section") || s_is(c, "article") || s_is(c, "td") ||
                      s_is(c, "main"))) {
            /* Text between its blocks: scored as a paragraph of c's own,
             * as readability turns such runs into paragraphs. */
            size_t all = 0, link = 0, commas = 0;
            s_inline_run(c, &all, &link, &commas);
            if (all >= 25 && link * 3 < all && s_score_paragraph(s, c, all, commas) != 0)
                return -ENOMEM;
        }
        if (s_collect(c, s) != 0)
            return -ENOMEM;
    }
    return 0;
}

/* Text in paragraphs of node that read like prose: 40 bytes or more, under
 * a third in links. */
static int s_is_paragraph(const xmlNode *c)
{
    return s_is(c, "p") || s_is(c, "pre") || s_is(c, "blockquote");
}

/* The text length of paragraph c when it reads like prose, else 0. */
static size_t s_prose_len(const xmlNode *c)
{
    size_t all = 0, link = 0;
    s_text_len(c, 0, &all, &link);
    return all >= 40 && link * 3 < all ? all : 0;
}

/* Prose in n: its paragraphs that read like prose, and the text that sits
 * in n itself between its blocks (a forum post or an article body written
 * as text with <br>s, in a <div>) when that reads like prose. */
static size_t s_good_text(const xmlNode *n)
{
    size_t sum = 0, all = 0, link = 0, commas = 0;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || s_is(c, "a") || s_in(c, s_inline_tags))
            continue;
        if (s_is_paragraph(c))
            sum += s_prose_len(c);
        else
            sum += s_good_text(c);
    }
    s_inline_run(n, &all, &link, &commas);
    if (all >= 40 && link * 3 < all)
        sum += all;
    return sum;
}

/* Class and id words that content management systems give the article's
 * body (after trafilatura's list of main-content expressions). */
static const char *const s_body_words[] = { "entry-content",
                                            "post-content",
                                            "article-content",
                                            "article-body",
                                            "articlebody",
                                            "article__body",
                                            "article_body",
                                            "story-body",
                                            "storybody",
                                            "post-body",
                                            "post-text",
                                            "post_text",
                                            "entry-body",
                                            "news-content",
                                            "content-body",
                                            "td-post-content",
                                            "single-content",
                                            "text-content",
                                            "article-text",
                                            "articletext",
                                            "field-name-body",
                                            "field--name-body",
                                            "rich-text",
                                            "story-content",
                                            "post-entry",
                                            "blog-content",
                                            "article__content",
                                            "article-main",
                                            "main-content",
                                            "page-content",
                                            NULL };

/* The element a page marks as its article body, when it has prose: by
 * itemprop or class/id; else the <article> with the most prose. */
static void s_marked(const xmlNode *n, const xmlNode **best, size_t *best_len, int article)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        int hit;
        if (article) {
            hit = s_is(c, "article");
        } else {
            const char *ip = s_attr(c, "itemprop"), *cls = s_attr(c, "class"),
                       *id = s_attr(c, "id");
            hit = (ip && !strcasecmp(ip, "articleBody")) || s_has_word(cls, s_body_words) ||
                  s_has_word(id, s_body_words);
        }
        if (hit) {
            size_t g = s_good_text(c);
            if (g > *best_len) {
                *best_len = g;
                *best = c;
            }
            continue; /* the outermost marked element */
        }
        s_marked(c, best, best_len, article);
    }
}

/* Phrases of calls to action and page furniture that short blocks inside
 * an article body carry (English, German, French, Spanish). Lower case. */
static const char *const s_cta[] = { "share",
                                     "teilen",
                                     "newsletter",
                                     "subscribe",
                                     "abonnier",
                                     "read more",
                                     "weiterlesen",
                                     "mehr zum thema",
                                     "related",
                                     "comment",
                                     "kommentar",
                                     "follow us",
                                     "folgen sie",
                                     "loading...",
                                     "advertisement",
                                     "anzeige",
                                     "werbung",
                                     "cookie",
                                     "sign up",
                                     "log in",
                                     "anmelden",
                                     "click here",
                                     "klicken sie",
                                     "keep reading",
                                     "recommended",
                                     "empfohlen",
                                     "war der artikel",
                                     "was this article",
                                     "all rights reserved",
                                     "alle rechte",
                                     "copyright",
                                     "partager",
                                     "lire aussi",
                                     "compartir",
                                     "suscr",
                                     "leer más",
                                     "ähnliche beiträge",
                                     "das könnte",
                                     "you may also",
                                     "you might also",
                                     "affiliate",
                                     "tags:",
                                     "schlagworte",
                                     "image:",
                                     "photo:",
                                     "foto:",
                                     "bild:",
                                     "quelle:",
                                     "source:",
                                     "redakteur",
                                     "autor:",
                                     "posted by",
                                     "veröffentlicht",
                                     "published",
                                     "updated",
                                     "aktualisiert",
                                     NULL };

/* A short block (its text `len` bytes, as s_text_len counts them) that is
 * page furniture by its words. */
static int s_furniture_text(const xmlNode *n, size_t len)
{
    if (len == 0 || len > 120)
        return 0;
    xmlChar *t = xmlNodeGetContent(n);
    if (!t)
        return 0;
    char low[512];
    pl_lower((const char *)t, strlen((const char *)t), low, sizeof(low));
    xmlFree(t);
    for (size_t i = 0; s_cta[i]; i++)
        if (strstr(low, s_cta[i]))
            return 1;
    return 0;
}

/* --- writing text -------------------------------------------------------- */

struct out {
    struct pl_buf b;
    int pending; /* 0 none, 1 newline, 2 blank line */
    int failed;
};

static void s_break(struct out *o, int k)
{
    if (o->b.len && k > o->pending)
        o->pending = k;
}

static void s_put(struct out *o, const char *s, size_t n)
{
    if (!n)
        return;
    if (o->pending) {
        /* Drop the trailing space of the previous block. */
        while (o->b.len && o->b.data[o->b.len - 1] == ' ')
            o->b.len--;
        if (pl_buf_append(&o->b, o->pending == 2 ? "\n\n" : "\n", (size_t)o->pending))
            o->failed = 1;
        o->pending = 0;
    }
    if (pl_buf_append(&o->b, s, n))
        o->failed = 1;
}

/* The mark the block classifier leaves in a block's _private when it
 * drops it (libxml2 leaves _private to the application). */
static const char s_drop_mark;

static int s_dropped(const xmlNode *n)
{
    return n->_private == (const void *)&s_drop_mark;
}

static void s_write(const xmlNode *n, struct out *o, const char *skip_h1)
{
    if (s_dropped(n))
        return;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            const char *t = (const char *)c->content;
            if (!t)
                continue;
            /* Collapse white space; keep one space between words. */
            int sp = o->b.len && !o->pending && o->b.data[o->b.len - 1] == ' ';
            for (const char *p = t; *p; p++) {
                unsigned char ch = (unsigned char)*p;
                int w = ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f';
                if (ch == 0xc2 && (unsigned char)p[1] == 0xa0) {
                    w = 1;
                    p++;
                }
                if (w) {
                    if (!sp && o->b.len && !o->pending)
                        s_put(o, " ", 1);
                    sp = 1;
                } else {
                    const char *q = p;
                    while (q[1] && !isspace((unsigned char)q[1]) &&
                           !((unsigned char)q[1] == 0xc2 && (unsigned char)q[2] == 0xa0))
                        q++;
                    s_put(o, p, (size_t)(q - p + 1));
                    p = q;
                    sp = 0;
                }
            }
            continue;
        }
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (s_is(c, "br")) {
            s_break(o, 1);
            continue;
        }
        int block = s_in(c, s_block_tags);
        if (block) {
            size_t all = 0, link = 0;
            s_text_len(c, s_is(c, "a"), &all, &link);
            /* A block that is mostly links: a menu, a tag list, "read more";
             * or a short one of page furniture ("Share this article"). */
            if (all == 0 || (link * 2 > all && !s_is(c, "p")) || (link * 10 > all * 9) ||
                s_furniture_text(c, all))
                continue;
            if (skip_h1 && s_is(c, "h1")) {
                xmlChar *t = xmlNodeGetContent(c);
                char *s = t ? s_squash(strdup((const char *)t)) : NULL;
                int same = s && !strcmp(s, skip_h1);
                free(s);
                xmlFree(t);
                if (same)
                    continue;
            }
        }
        int li = s_is(c, "li") || s_is(c, "dt") || s_is(c, "dd") || s_is(c, "tr");
        if (block)
            s_break(o, li ? 1 : 2);
        if (li)
            s_put(o, "\xe2\x80\xa2 ", 4);
        s_write(c, o, skip_h1);
        if (block)
            s_break(o, li ? 1 : 2);
        else if (s_is(c, "td") || s_is(c, "th"))
            s_put(o, " ", 1);
    }
}

/* trafilatura's baseline: every paragraph of prose in the page, in order. */
static void s_write_prose(const xmlNode *n, struct out *o)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        int para = s_is_paragraph(c) || (s_is(c, "div") && !s_has_block_child(c));
        if (para) {
            size_t len = s_good_text(c);
            if (len && !s_furniture_text(c, len)) {
                s_break(o, 2);
                s_write(c, o, NULL);
                s_break(o, 2);
            }
        } else {
            s_write_prose(c, o);
        }
    }
}

static const xmlNode *s_body(const xmlNode *root)
{
    for (const xmlNode *c = root; c; c = c->next) {
        if (s_is(c, "body"))
            return c;
        const xmlNode *b = s_body(c->children);
        if (b)
            return b;
    }
    return NULL;
}

/* Class words of an article's standfirst (lead paragraph). */
static const char *const s_lead_words[] = { "lead",  "intro", "standfirst", "excerpt", "subtitle",
                                            "chapo", "perex", "vorspann",   "summary", NULL };

static int s_contains(const xmlNode *a, const xmlNode *n)
{
    for (; n; n = n->parent)
        if (n == a)
            return 1;
    return 0;
}

/* Is paragraph p a standfirst of the article that top holds: in the
 * article's own <header> or with a lead class, inside the <article> or
 * <main> that also holds top? */
static int s_is_lead(const xmlNode *p, const xmlNode *top)
{
    int lead = s_has_word(s_attr(p, "class"), s_lead_words);
    for (const xmlNode *a = p->parent; a && a->type == XML_ELEMENT_NODE; a = a->parent) {
        if (s_is(a, "header") && s_article_header(a))
            lead = 1;
        else if (!lead && s_has_word(s_attr(a, "class"), s_lead_words))
            lead = 1;
        if (s_is(a, "article") || s_is(a, "main"))
            return lead && s_contains(a, top);
        if (s_is(a, "body"))
            break;
    }
    return 0;
}

/* The standfirst: paragraphs before top that are not in it. Those in the
 * article's header or with a lead class go to o; those between the
 * headline (the last <h1> before top) and top go to after_h1, which starts
 * again at each <h1> (a dek between headline and body). Returns 1 when top
 * was reached. */
static int s_write_lead(const xmlNode *n, const xmlNode *top, struct out *o, struct out *after_h1,
                        int *seen_h1, int *n_after)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c == top)
            return 1;
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (s_is(c, "h1")) {
            *seen_h1 = 1;
            *n_after = 0;
            after_h1->b.len = 0;
            after_h1->pending = 0;
            continue;
        }
        /* A dek is often a subheading or a bare <div>/<span> of text. */
        int text_div = (s_is(c, "div") || s_is(c, "h2") || s_is(c, "h3") || s_is(c, "span")) &&
                       !s_has_block_child(c);
        if (s_is(c, "p") || (text_div && *seen_h1)) {
            size_t len = s_prose_len(c);
            if (!len || s_furniture_text(c, len))
                continue;
            struct out *to = s_is(c, "p") && s_is_lead(c, top) ? o : *seen_h1 ? after_h1 : NULL;
            if (to) {
                s_break(to, 2);
                s_write(c, to, NULL);
                s_break(to, 2);
                *n_after += to == after_h1;
            }
            continue;
        }
        if (s_write_lead(c, top, o, after_h1, seen_h1, n_after))
            return 1;
    }
    return 0;
}

/* Template comments before the doctype make libxml2 put the head's content
 * into an implied body: the page from its doctype or <html> on when only
 * comments come before it, else the whole page (*len adjusted). */
static const char *s_skip_comments(const char *html, size_t *len)
{
    for (size_t i = 0; i + 9 < *len && i < 65536; i++) {
        if (html[i] != '<')
            continue;
        if (!strncasecmp(html + i, "<!doctype", 9) || !strncasecmp(html + i, "<html", 5)) {
            *len -= i;
            return html + i;
        }
        if (strncmp(html + i, "<!--", 4) != 0)
            break; /* real content before any doctype: leave it */
        const char *end = memmem(html + i, *len - i, "-->", 3);
        if (!end)
            break;
        i = (size_t)(end - html) + 2;
    }
    return html;
}

/* The page parsed as libxml2's recovering parser reads it. Caller frees the
 * result (xmlFreeDoc); NULL when it holds no root element. */
static htmlDocPtr s_parse(const char *html, size_t len, const char *encoding)
{
    htmlDocPtr doc = htmlReadMemory(html, (int)len, NULL, encoding,
                                    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                        HTML_PARSE_NONET | HTML_PARSE_COMPACT);
    if (doc && !xmlDocGetRootElement(doc)) {
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

/* The page's metadata into meta, its title falling back to <title>, then
 * to the first <h1>. *h1 (caller frees, may be NULL) is that <h1>'s text:
 * the writer skips a heading that repeats it. */
static void s_read_meta(const xmlNode *root, struct pl_html_meta *meta, char **h1)
{
    char *title_tag = NULL;
    *h1 = NULL;
    s_meta(root, meta, &title_tag, h1);
    s_set(&meta->title, title_tag);
    s_set(&meta->title, *h1);
    free(title_tag);
}

/* The element the page marks as its article body (by itemprop, class or
 * id, else its <article> with the most prose), when it holds 200 bytes of
 * prose; else NULL. */
static const xmlNode *s_marked_body(const xmlNode *body)
{
    const xmlNode *marked = NULL;
    size_t marked_len = 0;
    s_marked(body, &marked, &marked_len, 0);
    if (marked_len < 200) {
        marked = NULL;
        marked_len = 0;
        s_marked(body, &marked, &marked_len, 1);
    }
    return marked_len < 200 ? NULL : marked;
}

/* Scales every score by the share of its element's text outside links and
 * returns the best element (NULL when none scores above 0), *best its
 * score. */
static const xmlNode *s_best_scored(struct scores *sc, double *best)
{
    const xmlNode *top = NULL;
    *best = 0;
    for (size_t i = 0; i < sc->n; i++) {
        size_t all = 0, link = 0;
        s_text_len(sc->v[i].node, 0, &all, &link);
        sc->v[i].v *= all ? 1.0 - (double)link / (double)all : 0;
        if (sc->v[i].v > *best) {
            *best = sc->v[i].v;
            top = sc->v[i].node;
        }
    }
    return top;
}

/* An article split over several containers (ads between its parts): moves
 * up from top while the parent holds clearly more prose, raising *best to
 * the score of a parent that scores higher. */
static const xmlNode *s_move_up(const xmlNode *top, const struct scores *sc, double *best)
{
    for (int up = 0; top && up < 3; up++) {
        const xmlNode *p = top->parent;
        if (!p || p->type != XML_ELEMENT_NODE || s_is(p, "body") || s_is(p, "html"))
            break;
        size_t here = s_good_text(top), there = s_good_text(p);
        if (there * 4 <= here * 5)
            break;
        top = p;
        for (size_t i = 0; i < sc->n; i++)
            if (sc->v[i].node == top && sc->v[i].v > *best)
                *best = sc->v[i].v;
    }
    return top;
}

/* The article's container in body: the body the page marks, when it holds
 * at least half the prose of the best-scoring element, else that element
 * moved up over an article's split parts. *best is the score its siblings
 * are measured by (no sibling joins a marked body). NULL: no paragraph
 * scored anywhere. */
static const xmlNode *s_choose_top(const xmlNode *body, struct scores *sc, double *best)
{
    const xmlNode *marked = s_marked_body(body);
    const xmlNode *top = s_best_scored(sc, best);
    if (marked && (!top || s_good_text(marked) * 2 >= s_good_text(top))) {
        *best = 1e9;
        return marked;
    }
    return s_move_up(top, sc, best);
}

/* The standfirst of the article in top into lead: the paragraphs
 * s_write_lead finds, and the dek between headline and body when there are
 * at most three of it (more are some other part of the page). */
static void s_standfirst(const xmlNode *body, const xmlNode *top, struct out *lead)
{
    struct out dek = { .failed = 0 };
    int seen_h1 = 0, n_dek = 0;
    s_write_lead(body, top, lead, &dek, &seen_h1, &n_dek);
    if (n_dek > 0 && n_dek <= 3 && dek.b.len)
        s_put(lead, dek.b.data, dek.b.len);
    lead->failed |= dek.failed;
    free(dek.b.data);
}

/* Does sibling s join the container: it scores near it (bar), or reads
 * like a paragraph of it? */
static int s_joins(const xmlNode *s, const struct scores *sc, double bar)
{
    if (s->type != XML_ELEMENT_NODE)
        return 0;
    double v = 0;
    for (size_t i = 0; i < sc->n; i++)
        if (sc->v[i].node == s)
            v = sc->v[i].v;
    size_t all = 0, link = 0;
    s_text_len(s, 0, &all, &link);
    if (v >= bar || (s_is(s, "p") && all > 80 && link * 4 < all))
        return 1;
    if (!(s_is(s, "p") && all > 0 && link == 0))
        return 0;
    /* A short paragraph that ends a sentence (readability's rule). */
    xmlChar *t = xmlNodeGetContent(s);
    char *q = t ? s_squash(strdup((const char *)t)) : NULL;
    size_t ql = q ? strlen(q) : 0;
    int take = q && ql && (q[ql - 1] == '.' || strstr(q, ". "));
    free(q);
    xmlFree(t);
    return take;
}

/* Writes s, the container top or a sibling that joins it, as a block of
 * its own. */
static void s_write_member(const xmlNode *s, const xmlNode *top, const char *h1, struct out *o)
{
    s_break(o, 2);
    if (s_in(s, s_block_tags) || s == top) {
        s_write(s, o, h1);
    } else {
        /* A sibling that is inline: write it as its own block. */
        struct out tmp = { .failed = 0 };
        s_write(s, &tmp, h1);
        if (tmp.b.len)
            s_put(o, tmp.b.data, tmp.b.len);
        free(tmp.b.data);
    }
}

/* Writes the container top and the siblings that join it (best: top's
 * score), each a block of its own. */
static void s_write_article(const xmlNode *top, const struct scores *sc, double best,
                            const char *h1, struct out *o)
{
    double bar = best * 0.2 > 10 ? best * 0.2 : 10;
    for (const xmlNode *s = top->parent ? top->parent->children : top; s; s = s->next) {
        if (s != top && !s_joins(s, sc, bar))
            continue;
        s_write_member(s, top, h1, o);
        if (!top->parent)
            break;
    }
}

/* The mark the block classifier leaves in a block outside the container
 * that it scores as article text: written in its place in the page. */
static const char s_add_mark;

/* What s_write_article writes, and in document order with it the blocks
 * the classifier adds from outside the container (under n). */
static void s_write_added(const xmlNode *n, const xmlNode *top, const struct scores *sc, double bar,
                          const char *h1, struct out *o)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (c->parent == top->parent && (c == top || s_joins(c, sc, bar))) {
            s_write_member(c, top, h1, o);
        } else if (c->_private == (const void *)&s_add_mark) {
            s_break(o, 2);
            s_write(c, o, h1);
            s_break(o, 2);
        } else {
            s_write_added(c, top, sc, bar, h1, o);
        }
    }
}

/* The standfirst first, unless the container or a sibling gave it: puts
 * before the text in o each paragraph of lead that neither o nor an
 * earlier paragraph of lead holds. lead stays the caller's. */
static void s_prepend_lead(struct out *o, struct out *lead)
{
    if (!lead->b.len || lead->failed || o->failed || pl_buf_terminate(&lead->b) != 0 ||
        pl_buf_terminate(&o->b) != 0)
        return;
    struct out both = { .failed = 0 };
    for (char *para = lead->b.data, *end; para && *para; para = end) {
        end = strstr(para, "\n\n");
        if (end)
            *end = '\0';
        for (size_t k = strlen(para); k > 0 && para[k - 1] == ' '; k--)
            para[k - 1] = '\0';
        if (*para && !strstr(o->b.data, para) &&
            !(both.b.data && pl_buf_terminate(&both.b) == 0 && strstr(both.b.data, para))) {
            s_break(&both, 2);
            s_put(&both, para, strlen(para));
            s_break(&both, 2);
        }
        end = end ? end + 2 : NULL;
    }
    if (both.b.len) {
        s_put(&both, o->b.data, o->b.len);
        free(o->b.data);
        *o = both;
    } else {
        free(both.b.data);
    }
}

/* The text in o holds under 60% of the page's prose: an article spread
 * over the page in ways the scoring missed. Takes all its prose instead
 * when that is longer (trafilatura's "baseline" fallback). */
static void s_write_baseline(const xmlNode *body, struct out *o)
{
    if (o->failed)
        return;
    size_t prose = s_good_text(body);
    if (prose < 500 || o->b.len * 5 >= prose * 3)
        return;
    struct out all = { .failed = 0 };
    s_write_prose(body, &all);
    if (!all.failed && all.b.len > o->b.len) {
        free(o->b.data);
        *o = all;
    } else {
        free(all.b.data);
    }
}

/* --- the block classifier ------------------------------------------------ */

/* Blocks above which a page is left to the rules alone: the classifier's
 * features take under 1 KB a block, so memory stays bounded on a 50 MB
 * page of short paragraphs (a news page has hundreds). */
#define PL_HTML_MAX_BLOCKS 20000

/* Where a block sits: bits of its ancestors, for its features. */
enum {
    S_IN_LIST = 1 << 0,
    S_IN_TABLE = 1 << 1,
    S_IN_FIGURE = 1 << 2,
    S_IN_REGION = 1 << 3, /* a <header>, <footer>, <aside>, <nav> or <form> kept */
    S_IN_ARTICLE = 1 << 4,
    S_IN_QUOTE = 1 << 5,
    S_IN_LINK = 1 << 6,
    S_IN_NEG = 1 << 7, /* an ancestor's class or id is furniture's */
    S_IN_POS = 1 << 8, /* an ancestor's class or id is an article's */
    S_INSIDE = 1 << 9, /* in the container or a sibling that joins it */
};

/* The page's blocks as the classifier sees them, in document order. */
struct units {
    struct pl_html_block *v;
    size_t n, cap;
    const xmlNode *const *roots; /* the container and the siblings that join it */
    size_t nroots;               /* 0: no container, the whole body is written */
    const struct scores *sc;
    double best;
    int marked;    /* the container is the body the page marks */
    int with_text; /* keep each block's text (the trainer's labels need it) */
    int failed;
    int no_hash;             /* the model weighs no hashed feature: none computed */
    int overflow;            /* over PL_HTML_MAX_BLOCKS: the rules alone */
    const xmlNode *anc_of;   /* the parent whose ancestors' tokens anc holds */
    const xmlNode *shape_of; /* the parent whose ancestors' shape shape_anc is */
    uint64_t shape_anc;
    struct pl_bfeat anc;
};

static int s_is_root(const struct units *u, const xmlNode *c)
{
    for (size_t i = 0; i < u->nroots; i++)
        if (u->roots[i] == c)
            return 1;
    return 0;
}

/* The readability score of n, 0 when it has none (s_index_scores). */
static double s_score_at(const struct units *u, const xmlNode *n)
{
    uintptr_t k = n ? (uintptr_t)n->_private : 0;
    if (k && k <= u->sc->n && u->sc->v[k - 1].node == n)
        return u->sc->v[k - 1].v;
    return 0;
}

/* Gives every scored element the index of its score + 1 in _private, so
 * that a block finds its holder's score at once. */
static void s_index_scores(const struct scores *sc)
{
    for (size_t i = 0; i < sc->n; i++)
        ((xmlNode *)sc->v[i].node)->_private = (void *)(uintptr_t)(i + 1);
}

/* The class and id tokens of n (split at anything not a letter or digit,
 * lower case) into f as kind. */
static void s_hash_tokens(struct pl_bfeat *f, const xmlNode *n, char kind)
{
    const char *attrs[2] = { s_attr(n, "class"), s_attr(n, "id") };
    for (int a = 0; a < 2; a++) {
        const char *v = attrs[a];
        for (size_t i = 0; v && v[i];) {
            while (v[i] && !isalnum((unsigned char)v[i]))
                i++;
            size_t j = i;
            while (v[j] && isalnum((unsigned char)v[j]))
                j++;
            char low[32];
            size_t k = j - i < sizeof(low) ? j - i : sizeof(low);
            for (size_t t = 0; t < k; t++)
                low[t] = (char)tolower((unsigned char)v[i + t]);
            if (k > 1)
                pl_bfeat_hash(f, kind, low, k, 1);
            i = j;
        }
    }
}

/* The tag features of block c: its tag, its parent's and grandparent's
 * tags (a path), the class tokens of it and of four ancestors. */
static void s_tag_features(struct units *u, struct pl_bfeat *f, const xmlNode *c)
{
    const char *t = (const char *)c->name;
    int h = t[0] == 'h' && t[1] >= '1' && t[1] <= '6' && !t[2];
    f->d[25] = s_is(c, "p");
    f->d[26] = (float)h;
    f->d[27] = s_is(c, "li") || s_is(c, "dt") || s_is(c, "dd");
    f->d[28] = s_is(c, "div");
    f->d[29] = s_is(c, "tr") || s_is(c, "td");
    f->d[30] = !(f->d[25] + f->d[26] + f->d[27] + f->d[28] + f->d[29]);
    char path[96];
    size_t k = 0;
    const xmlNode *p = c->parent, *g = p ? p->parent : NULL;
    const char *parts[3] = { g && g->type == XML_ELEMENT_NODE ? (const char *)g->name : "",
                             p && p->type == XML_ELEMENT_NODE ? (const char *)p->name : "", t };
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(parts[i]);
        if (k + l + 1 >= sizeof(path))
            break;
        memcpy(path + k, parts[i], l);
        k += l;
        path[k++] = i < 2 ? '/' : '\0';
    }
    if (f->no_hash)
        return;
    pl_bfeat_hash(f, 'p', path, k ? k - 1 : 0, 1);
    pl_bfeat_hash(f, 't', t, strlen(t), 1);
    s_hash_tokens(f, c, 'c');
    /* The ancestors' tokens, the same for all the blocks of one parent:
     * hashed once per parent. */
    if (u->anc_of != c->parent) {
        u->anc.nh = 0;
        p = c->parent;
        for (int up = 0; up < 4 && p && p->type == XML_ELEMENT_NODE; up++, p = p->parent)
            s_hash_tokens(&u->anc, p, 'a');
        u->anc_of = c->parent;
    }
    for (unsigned i = 0; i < u->anc.nh && f->nh < PL_BM_MAXH; i++) {
        f->h[f->nh] = u->anc.h[i];
        f->hv[f->nh++] = u->anc.hv[i];
    }
}

/* h carried over piece s (NULL: none) and the separator after it. */
static uint64_t s_hash_more(uint64_t h, const char *s)
{
    return pl_hash_more(pl_hash_more(h, s, s ? strlen(s) : 0), "/", 1);
}

/* The shape of block c: its tag and the tags and class attributes of its
 * three nearest ancestors. Teasers, gallery slides and feed entries repeat
 * one shape many times over; the blocks of an article's text share one.
 * The ancestors' part is the same for all the blocks of one parent: hashed
 * once per parent. */
static uint64_t s_shape(struct units *u, const xmlNode *c)
{
    if (u->shape_of != c->parent || !c->parent) {
        uint64_t h = PL_HASH_BASIS;
        const xmlNode *n = c->parent;
        for (int up = 0; up < 3 && n && n->type == XML_ELEMENT_NODE; up++, n = n->parent)
            h = s_hash_more(s_hash_more(h, (const char *)n->name), s_attr(n, "class"));
        u->shape_anc = h;
        u->shape_of = c->parent;
    }
    return s_hash_more(u->shape_anc, (const char *)c->name);
}

/* The features of block c (flags: where it sits, depth: its depth in the
 * body) appended to u. */
static void s_add_unit(struct units *u, const xmlNode *c, unsigned flags, int depth)
{
    if (u->n >= PL_HTML_MAX_BLOCKS) {
        u->overflow = 1;
        return;
    }
    if (u->n == u->cap) {
        size_t cap = u->cap ? 2 * u->cap : 64;
        struct pl_html_block *v = realloc(u->v, cap * sizeof(*v));
        if (!v) {
            u->failed = 1;
            return;
        }
        u->v = v;
        u->cap = cap;
    }
    struct pl_html_block *b = &u->v[u->n];
    memset(b, 0, sizeof(*b));
    xmlChar *t = xmlNodeGetContent(c);
    if (!t) {
        u->failed = 1;
        return;
    }
    const char *s = s_squash((char *)t); /* the copy is ours */
    size_t len = strlen(s);
    if (!len) {
        xmlFree(t);
        return;
    }
    struct pl_bfeat *f = &b->f;
    f->no_hash = u->no_hash;
    pl_bfeat_text(f, s, len);
    size_t all = 0, link = 0;
    s_text_len(c, (flags & S_IN_LINK) != 0, &all, &link);
    f->d[2] = all ? (float)link / (float)all : 0;
    f->d[13] = (flags & S_INSIDE) != 0;
    f->d[14] = (float)u->marked;
    f->d[15] = (float)(u->marked ? 1 : log1p(u->best) / 6);
    double hs = s_score_at(u, c->parent);
    f->d[16] = (float)(hs > 0 ? log1p(hs) / 5 : 0);
    f->d[17] = depth > 30 ? 1 : (float)depth / 30;
    static const int at[9] = { 18, 19, 20, 21, 22, 23, 24, 31, 32 }; /* by flag bit */
    for (int k = 0; k < 9; k++)
        f->d[at[k]] = (float)((flags >> k) & 1);
    s_tag_features(u, f, c);
    f->d[33] = (float)s_furniture_text(c, all);
    b->shape = s_shape(u, c);
    b->text_hash = pl_hash(s, len);
    b->node = c;
    b->inside = (flags & S_INSIDE) != 0;
    b->len = len;
    if (u->with_text && !(b->text = strdup(s)))
        u->failed = 1;
    xmlFree(t);
    u->n++;
}

static unsigned s_flags_of(const struct units *u, const xmlNode *c, unsigned flags)
{
    if (s_is(c, "ul") || s_is(c, "ol") || s_is(c, "li") || s_is(c, "dl"))
        flags |= S_IN_LIST;
    if (s_is(c, "table"))
        flags |= S_IN_TABLE;
    if (s_is(c, "figure") || s_is(c, "figcaption"))
        flags |= S_IN_FIGURE;
    if (s_in(c, s_region_tags))
        flags |= S_IN_REGION;
    if (s_is(c, "article") || s_is(c, "main"))
        flags |= S_IN_ARTICLE;
    if (s_is(c, "blockquote"))
        flags |= S_IN_QUOTE;
    if (s_is(c, "a"))
        flags |= S_IN_LINK;
    int w = c->properties ? s_class_weight(c) : 0;
    if (w < 0)
        flags |= S_IN_NEG;
    if (w > 0)
        flags |= S_IN_POS;
    if (s_is_root(u, c))
        flags |= S_INSIDE;
    return flags;
}

/* Every block of n that holds no other block, in document order. */
static void s_units_walk(struct units *u, const xmlNode *n, unsigned flags, int depth)
{
    for (const xmlNode *c = n->children; c && !u->failed && !u->overflow; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        unsigned fl = s_flags_of(u, c, flags);
        if (s_in(c, s_block_tags) && !s_has_block_child(c))
            s_add_unit(u, c, fl, depth);
        else
            s_units_walk(u, c, fl, depth + 1);
    }
}

static int s_by_key(const void *a, const void *b)
{
    uint64_t x = ((const uint64_t *)a)[0], y = ((const uint64_t *)b)[0];
    return x < y ? -1 : x > y;
}

/* The features of the groups blocks form by key (their shape, or their
 * text when text is set): how many other blocks share the key, and, for
 * shapes, the share of the page's text and the share of the group inside
 * the container. Sorting keys with indices keeps it O(n log n). */
static int s_group_features(struct units *u, size_t total, int text)
{
    uint64_t(*k)[2] = malloc(u->n * sizeof(*k));
    if (!k)
        return -ENOMEM;
    for (size_t i = 0; i < u->n; i++) {
        k[i][0] = text ? u->v[i].text_hash : u->v[i].shape;
        k[i][1] = i;
    }
    qsort(k, u->n, sizeof(*k), s_by_key);
    for (size_t a = 0, b; a < u->n; a = b) {
        size_t len = 0, inside = 0;
        for (b = a; b < u->n && k[b][0] == k[a][0]; b++) {
            len += u->v[k[b][1]].len;
            inside += (size_t)u->v[k[b][1]].inside;
        }
        for (size_t j = a; j < b; j++) {
            struct pl_bfeat *f = &u->v[k[j][1]].f;
            if (text) {
                f->d[38] = b - a > 1;
                continue;
            }
            f->d[35] = (float)(log1p((double)(b - a - 1)) / 6);
            f->d[36] = total ? (float)len / (float)total : 0;
            f->d[39] = (float)inside / (float)(b - a);
        }
    }
    free(k);
    return 0;
}

/* The page-level features: position, the share of the container's blocks
 * still to come, the share of the page's text, the groups of blocks of one
 * shape or one text, the neighbours'. */
static void s_units_finish(struct units *u)
{
    size_t inside = 0, seen = 0, total = 0;
    for (size_t i = 0; i < u->n; i++) {
        inside += (size_t)u->v[i].inside;
        total += u->v[i].len;
    }
    for (size_t i = 0; i < u->n; i++) {
        struct pl_bfeat *f = &u->v[i].f;
        f->d[12] = u->n > 1 ? (float)i / (float)(u->n - 1) : 0;
        if (u->v[i].inside)
            f->d[34] = (float)(inside - ++seen) / (float)inside;
        f->d[37] = total ? (float)u->v[i].len / (float)total : 0;
    }
    if (u->n && (s_group_features(u, total, 0) != 0 || s_group_features(u, total, 1) != 0))
        u->failed = 1;
    for (size_t i = 0; i < u->n; i++)
        pl_bfeat_neighbours(&u->v[i].f, i ? &u->v[i - 1].f : NULL,
                            i + 1 < u->n ? &u->v[i + 1].f : NULL);
}

/* The blocks of body with their features into u (top: the container,
 * NULL when there is none; best its score). */
static void s_units(struct units *u, const xmlNode *body, const xmlNode *top, double best)
{
    const xmlNode *roots[256];
    size_t nroots = 0;
    double bar = best * 0.2 > 10 ? best * 0.2 : 10;
    if (top) {
        for (const xmlNode *s = top->parent ? top->parent->children : top; s; s = s->next) {
            if ((s == top || s_joins(s, u->sc, bar)) && nroots < 256)
                roots[nroots++] = s;
            if (!top->parent)
                break;
        }
    }
    u->roots = roots;
    u->nroots = nroots;
    u->marked = best >= 1e9;
    u->best = u->marked ? 0 : best;
    s_index_scores(u->sc);
    s_units_walk(u, body, top ? 0 : S_INSIDE, 0);
    u->roots = NULL;
    if (!u->failed)
        s_units_finish(u);
}

int pl_html_probs(struct pl_html_block *v, size_t n, const struct pl_bmodel *m, double *p)
{
    size_t *len = malloc((n ? n : 1) * sizeof(*len));
    int *inside = malloc((n ? n : 1) * sizeof(*inside));
    uint64_t *shape = malloc((n ? n : 1) * sizeof(*shape));
    int rc = len && inside && shape ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        len[i] = v[i].len;
        inside[i] = v[i].inside;
        shape[i] = v[i].shape;
    }
    if (rc == 0)
        rc = pl_bmodel_probs(m, n, n ? &v[0].f : NULL, sizeof(*v), len, inside, shape, p);
    free(len);
    free(inside);
    free(shape);
    return rc;
}

/* Drops the blocks of the container that model m gives less than its
 * threshold (s_write skips them) and marks the blocks outside it that m
 * gives at least its add threshold, unless mostly links or furniture by
 * their words (as s_write would skip them). With a stacked model, the
 * first model's probabilities make its context features and its
 * probability is the one compared. Returns the blocks added, or -1 when
 * out of memory. */
static long s_apply_model(const struct units *u, const struct pl_bmodel *m)
{
    double *prob = malloc((u->n ? u->n : 1) * sizeof(*prob));
    if (!prob)
        return -1;
    if (pl_html_probs(u->v, u->n, m, prob) != 0) {
        free(prob);
        return -1;
    }
    long added = 0;
    for (size_t i = 0; i < u->n; i++) {
        const struct pl_html_block *b = &u->v[i];
        double p = prob[i];
        xmlNode *node = (xmlNode *)b->node;
        if (b->inside && p < m->threshold) {
            node->_private = (void *)&s_drop_mark;
        } else if (!b->inside && m->add_threshold < 1 && p >= m->add_threshold &&
                   b->f.d[2] < 0.5f && b->f.d[33] < 0.5f) {
            node->_private = (void *)&s_add_mark;
            added++;
        }
    }
    free(prob);
    return added;
}

void pl_html_blocks_free(struct pl_html_block *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i].text);
    free(v);
}

/* Writes the main text of the pruned body to o: the standfirst and the
 * chosen container with its siblings (no paragraph anywhere: all the text
 * there is), or all the page's prose when the container missed most. */
static void s_write_main(const xmlNode *body, struct scores *sc, const char *h1, struct out *o,
                         const struct pl_bmodel *m, struct units *keep)
{
    double best;
    const xmlNode *top = s_choose_top(body, sc, &best);
    long added = 0;
    if (m || keep) {
        struct units u = { .sc = sc, .with_text = keep != NULL, .no_hash = m && !m->uses_hash };
        s_units(&u, body, top, best);
        if (m && !u.failed && !u.overflow && (added = s_apply_model(&u, m)) < 0)
            u.failed = 1;
        o->failed |= u.failed;
        if (keep)
            *keep = u;
        else
            pl_html_blocks_free(u.v, u.n);
    }
    struct out lead = { .failed = 0 };
    if (top) {
        s_standfirst(body, top, &lead);
        if (added > 0 && top->parent) {
            const xmlNode *r = top;
            while (r->parent && r->parent->type == XML_ELEMENT_NODE)
                r = r->parent;
            s_write_added(r->parent ? r->parent : r, top, sc, best * 0.2 > 10 ? best * 0.2 : 10, h1,
                          o);
        } else {
            s_write_article(top, sc, best, h1, o);
        }
    } else {
        s_write(body, o, h1);
    }
    s_prepend_lead(o, &lead);
    free(lead.b.data);
    s_write_baseline(body, o);
}

/* One pass: parse, read the metadata, prune (by class names too when
 * by_class), score, write. */
static int s_pass(const char *html, size_t len, const char *encoding, int by_class,
                  const struct pl_bmodel *m, struct units *units, char **text,
                  struct pl_html_meta *meta)
{
    *text = NULL;
    memset(meta, 0, sizeof(*meta));
    if (len > INT32_MAX)
        return -EINVAL;
    html = s_skip_comments(html, &len);
    htmlDocPtr doc = s_parse(html, len, encoding);
    if (!doc)
        return -EINVAL;
    xmlNode *root = xmlDocGetRootElement(doc);
    char *h1;
    s_read_meta(root, meta, &h1);
    /* The head too: a sibling of the body is written whole. The body is
     * looked up after, as broken markup can put one inside what is pruned. */
    size_t keep = s_good_text(root) / 2 + 1;
    s_prune(root, 0, by_class, keep);
    const xmlNode *body = s_body(root);
    if (!body)
        body = root;
    struct scores sc = { 0 };
    struct out o = { .failed = 0 };
    int rc = s_collect(body, &sc);
    if (rc == 0)
        s_write_main(body, &sc, h1, &o, m, units);
    free(h1);
    free(sc.v);
    xmlFreeDoc(doc);
    if (rc != 0 || o.failed || pl_buf_terminate(&o.b) != 0) {
        free(o.b.data);
        pl_html_meta_free(meta);
        return -ENOMEM;
    }
    *text = o.b.data ? o.b.data : strdup("");
    return *text ? 0 : -ENOMEM;
}

static int s_html_extract(const char *html, size_t len, const char *encoding,
                          const struct pl_bmodel *m, char **text, struct pl_html_meta *meta)
{
    int rc = s_pass(html, len, encoding, 1, m, NULL, text, meta);
    if (rc != 0 || strlen(*text) >= 1000)
        return rc;
    /* Little text: class names misled the pruning (a layout wrapper called
     * "content-sidebar-wrap"). Again without them; keep the longer. */
    char *again = NULL;
    struct pl_html_meta m2;
    rc = s_pass(html, len, encoding, 0, m, NULL, &again, &m2);
    if (rc != 0)
        return 0;
    pl_html_meta_free(&m2);
    if (strlen(again) > strlen(*text)) {
        free(*text);
        *text = again;
    } else {
        free(again);
    }
    return 0;
}

/* When the page's markup gave much less text than the article body its
 * JSON-LD declares (a page written by script, the story only in its
 * data), the declared body is the text. */
static void s_prefer_declared(char **text, struct pl_html_meta *meta)
{
    if (!meta->body)
        return;
    size_t have = strlen(*text), declared = strlen(meta->body);
    if (declared >= S_DECLARED_MIN && declared > S_DECLARED_RATIO * have) {
        free(*text);
        *text = meta->body;
        meta->body = NULL;
    }
}

int pl_html_extract(const char *html, size_t len, const char *encoding,
                    const struct pl_bmodel *model, char **text, struct pl_html_meta *meta)
{
    /* libxml2 stops at a NUL byte; a browser reads past it. Drop them. */
    char *copy = NULL;
    if (memchr(html, '\0', len)) {
        copy = malloc(len ? len : 1);
        if (!copy)
            return -ENOMEM;
        size_t o = 0;
        for (size_t i = 0; i < len; i++)
            if (html[i] != '\0')
                copy[o++] = html[i];
        html = copy;
        len = o;
    }
    int rc = s_html_extract(html, len, encoding, model, text, meta);
    if (rc == 0)
        s_prefer_declared(text, meta);
    free(copy);
    return rc;
}

int pl_html_blocks(const char *html, size_t len, const char *encoding, struct pl_html_block **out,
                   size_t *n)
{
    *out = NULL;
    *n = 0;
    char *text = NULL;
    struct pl_html_meta meta;
    struct units u = { 0 };
    int rc = s_pass(html, len, encoding, 1, NULL, &u, &text, &meta);
    free(text);
    if (rc == 0)
        pl_html_meta_free(&meta);
    if (rc != 0 || u.failed) {
        pl_html_blocks_free(u.v, u.n);
        return rc ? rc : -ENOMEM;
    }
    *out = u.v;
    *n = u.n;
    return 0;
}
