/* Top-level JSON slices and the ABI 2 merge; see docpatch.h. */
#include "docpatch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

struct scan {
    const char *p, *end, *start;
    char *err;
    size_t errlen;
};

static int s_bad(struct scan *s, const char *what)
{
    if (s->err && s->errlen)
        snprintf(s->err, s->errlen, "%s at byte %zu", what, (size_t)(s->p - s->start));
    return -EINVAL;
}

static void s_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* The value of the four hex digits at p, or -1. */
static long s_hex4(const char *p, const char *end)
{
    if (end - p < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* The length of the \u escape at p (p[0] is the backslash): 6, or 12 for
 * a surrogate pair; 0 when it is malformed or a lone surrogate, which
 * cJSON (the plugins' and most subscribers' parser) refuses, so the host
 * refuses it too, under the stage that wrote it. */
static size_t s_unicode_escape(const char *p, const char *end)
{
    long u = s_hex4(p + 2, end);
    if (u < 0 || (u >= 0xDC00 && u <= 0xDFFF))
        return 0;
    if (u < 0xD800 || u > 0xDBFF)
        return 6;
    if (end - p < 12 || p[6] != '\\' || p[7] != 'u')
        return 0;
    long lo = s_hex4(p + 8, end);
    return lo >= 0xDC00 && lo <= 0xDFFF ? 12 : 0;
}

size_t pl_json_plain_prefix(const char *s, size_t n)
{
    /* A word has a byte equal to b exactly when x = word ^ (b in every byte)
     * has a zero byte, which is when (x - 0x01..) & ~x & 0x80.. is not 0; and
     * a byte under 0x20 exactly when (word - 0x20..) & ~word & 0x80.. is not
     * 0 (both exact as "any byte", which is all this asks). */
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v, q, b;
        memcpy(&v, s + i, 8);
        q = v ^ (ones * '"');
        b = v ^ (ones * '\\');
        if ((((q - ones) & ~q) | ((b - ones) & ~b) | ((v - ones * 0x20) & ~v)) & highs)
            break;
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '"' || c == '\\')
            break;
    }
    return i;
}

/* A string at s->p (the opening quote); leaves s->p after the closing one.
 * The loop is the scanner's hot path: most bytes of a document are inside
 * the text's string, taken eight bytes at a time up to the next byte that
 * needs a look (pl_json_plain_prefix). */
static int s_string(struct scan *s)
{
    s->p++;
    while (s->p < s->end) {
        s->p += pl_json_plain_prefix(s->p, (size_t)(s->end - s->p));
        if (s->p == s->end)
            break;
        unsigned char c = (unsigned char)*s->p;
        if (c == '"') {
            s->p++;
            return 0;
        }
        if (c < 0x20)
            return s_bad(s, "a control character inside a string");
        if (c == '\\') {
            if (s->end - s->p < 2)
                break;
            char e = s->p[1];
            if (e == 'u') {
                size_t n = s_unicode_escape(s->p, s->end);
                if (n == 0)
                    return s_bad(s, "a bad \\u escape or a lone surrogate");
                s->p += n;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == '\0')
                return s_bad(s, "a bad escape");
            s->p += 2;
            continue;
        }
        s->p++;
    }
    return s_bad(s, "an unterminated string");
}

static bool s_digit(const struct scan *s)
{
    return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

static int s_number(struct scan *s)
{
    if (s->p < s->end && *s->p == '-')
        s->p++;
    if (!s_digit(s))
        return s_bad(s, "a bad number");
    if (*s->p == '0')
        s->p++;
    else
        while (s_digit(s))
            s->p++;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!s_digit(s))
            return s_bad(s, "a bad number");
        while (s_digit(s))
            s->p++;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (!s_digit(s))
            return s_bad(s, "a bad number");
        while (s_digit(s))
            s->p++;
    }
    return 0;
}

static int s_literal(struct scan *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return s_bad(s, "an unexpected character");
    s->p += n;
    return 0;
}

static int s_value(struct scan *s, int depth);

/* An array or an object below the top level; s->p at its opening bracket. */
static int s_container(struct scan *s, int depth)
{
    if (depth >= PL_DOC_MAX_DEPTH)
        return s_bad(s, "nesting too deep");
    bool object = *s->p == '{';
    char close = object ? '}' : ']';
    s->p++;
    s_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return 0;
    }
    for (;;) {
        int rc;
        if (object) {
            if (s->p >= s->end || *s->p != '"')
                return s_bad(s, "a member name expected");
            if ((rc = s_string(s)) != 0)
                return rc;
            s_ws(s);
            if (s->p >= s->end || *s->p != ':')
                return s_bad(s, "':' expected");
            s->p++;
            s_ws(s);
        }
        if ((rc = s_value(s, depth + 1)) != 0)
            return rc;
        s_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            s_ws(s);
            continue;
        }
        if (s->p < s->end && *s->p == close) {
            s->p++;
            return 0;
        }
        return s_bad(s, object ? "',' or '}' expected" : "',' or ']' expected");
    }
}

static int s_value(struct scan *s, int depth)
{
    if (s->p >= s->end)
        return s_bad(s, "a value expected");
    switch (*s->p) {
    case '"': return s_string(s);
    case '{':
    case '[': return s_container(s, depth);
    case 't': return s_literal(s, "true");
    case 'f': return s_literal(s, "false");
    case 'n': return s_literal(s, "null");
    case '-': return s_number(s);
    default:
        if (*s->p >= '0' && *s->p <= '9')
            return s_number(s);
        return s_bad(s, "a value expected");
    }
}

static int s_push(struct pl_json_members *m, const struct pl_json_member *x)
{
    if (m->n == m->cap) {
        if (m->cap >= PL_DOC_MAX_MEMBERS)
            return -E2BIG;
        size_t cap = m->cap ? m->cap * 2 : 32;
        struct pl_json_member *g = realloc(m->m, cap * sizeof(*g));
        if (!g)
            return -ENOMEM;
        m->m = g;
        m->cap = cap;
    }
    m->m[m->n++] = *x;
    return 0;
}

int pl_json_members_scan(const char *text, size_t len, struct pl_json_members *out, char *err,
                         size_t errlen)
{
    struct scan s = { .p = text, .end = text + len, .start = text, .err = err, .errlen = errlen };
    out->n = 0;
    s_ws(&s);
    if (s.p >= s.end || *s.p != '{')
        return s_bad(&s, "not a JSON object");
    s.p++;
    s_ws(&s);
    if (s.p < s.end && *s.p == '}') {
        s.p++;
    } else {
        for (;;) {
            struct pl_json_member x;
            if (s.p >= s.end || *s.p != '"')
                return s_bad(&s, "a member name expected");
            x.key = s.p + 1;
            int rc = s_string(&s);
            if (rc != 0)
                return rc;
            x.key_len = (size_t)(s.p - 1 - x.key);
            s_ws(&s);
            if (s.p >= s.end || *s.p != ':')
                return s_bad(&s, "':' expected");
            s.p++;
            s_ws(&s);
            x.val = s.p;
            if ((rc = s_value(&s, 1)) != 0)
                return rc;
            x.val_len = (size_t)(s.p - x.val);
            if ((rc = s_push(out, &x)) == -E2BIG)
                return s_bad(&s, "too many members");
            if (rc != 0)
                return rc;
            s_ws(&s);
            if (s.p < s.end && *s.p == ',') {
                s.p++;
                s_ws(&s);
                continue;
            }
            if (s.p < s.end && *s.p == '}') {
                s.p++;
                break;
            }
            return s_bad(&s, "',' or '}' expected");
        }
    }
    s_ws(&s);
    if (s.p != s.end)
        return s_bad(&s, "text after the object");
    return 0;
}

/* Skimming. The host's own documents (made by the intake, merged by a
 * stage worker) are well formed by construction, so a worker need not check
 * every byte of the one it is given for the merge: it needs only where each
 * top-level member lies. A skim follows the top level as the scan does but
 * jumps over each value: a string to its closing quote (eight bytes at a
 * time, stopping at '"' and '\\' only), an array or object to its closing
 * bracket by counting brackets outside strings, a number or literal to the
 * byte that ends it. It reads no byte outside the text, whatever the text
 * holds; what it does not look at, it does not check. */

/* After the string whose opening quote is just before p: the byte after its
 * closing quote, or NULL when the text ends first. */
static const char *s_skim_string(const char *p, const char *end)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    for (;;) {
        while (end - p >= 8) {
            uint64_t v, q, b, hit;
            memcpy(&v, p, 8);
            q = v ^ (ones * '"');
            b = v ^ (ones * '\\');
            hit = (((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
            if (hit) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                /* The lowest flag is exact (a borrow only flags bytes above
                 * a real match): the first '"' or '\\' is that byte. */
                p += __builtin_ctzll(hit) / 8;
#endif
                break;
            }
            p += 8;
        }
        while (p < end && *p != '"' && *p != '\\')
            p++;
        if (end - p < 2)
            return p < end && *p == '"' ? p + 1 : NULL;
        if (*p == '"')
            return p + 1;
        p += 2; /* the backslash and the byte it escapes */
    }
}

/* The bytes a skim stops at inside an array or object. */
static const bool s_structural[256] = {
    ['"'] = true, ['['] = true, [']'] = true, ['{'] = true, ['}'] = true
};

/* After the array or object opening at p: the byte after its closing
 * bracket, or NULL. Brackets are counted, not matched by kind. */
static const char *s_skim_container(const char *p, const char *end)
{
    size_t depth = 0;
    while (p < end) {
        while (p < end && !s_structural[(unsigned char)*p])
            p++;
        if (p == end)
            break;
        char c = *p;
        if (c == '"') {
            if (!(p = s_skim_string(p + 1, end)))
                return NULL;
            continue;
        }
        if (c == '[' || c == '{')
            depth++;
        else if ((c == ']' || c == '}') && --depth == 0)
            return p + 1;
        p++;
    }
    return NULL;
}

static const char *s_skim_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

int pl_json_members_skim(const char *text, size_t len, struct pl_json_members *out)
{
    const char *p = text, *end = text + len;
    out->n = 0;
    p = s_skim_ws(p, end);
    if (p >= end || *p != '{')
        return -EINVAL;
    p++;
    p = s_skim_ws(p, end);
    if (p < end && *p == '}') {
        p++;
    } else {
        for (;;) {
            struct pl_json_member x;
            if (p >= end || *p != '"')
                return -EINVAL;
            x.key = p + 1;
            if (!(p = s_skim_string(p + 1, end)))
                return -EINVAL;
            x.key_len = (size_t)(p - 1 - x.key);
            p = s_skim_ws(p, end);
            if (p >= end || *p != ':')
                return -EINVAL;
            p++;
            p = s_skim_ws(p, end);
            x.val = p;
            if (p >= end)
                return -EINVAL;
            if (*p == '"')
                p = s_skim_string(p + 1, end);
            else if (*p == '{' || *p == '[')
                p = s_skim_container(p, end);
            else
                while (p < end && *p != ',' && *p != '}' && *p != ' ' && *p != '\t' && *p != '\n' &&
                       *p != '\r')
                    p++;
            if (!p || p == x.val)
                return -EINVAL;
            x.val_len = (size_t)(p - x.val);
            int rc = s_push(out, &x);
            if (rc != 0)
                return rc == -E2BIG ? -EINVAL : rc;
            p = s_skim_ws(p, end);
            if (p < end && *p == ',') {
                p++;
                p = s_skim_ws(p, end);
                continue;
            }
            if (p < end && *p == '}') {
                p++;
                break;
            }
            return -EINVAL;
        }
    }
    p = s_skim_ws(p, end);
    return p == end ? 0 : -EINVAL;
}

void pl_json_members_free(struct pl_json_members *m)
{
    free(m->m);
    m->m = NULL;
    m->n = m->cap = 0;
}

static bool s_key_is(const struct pl_json_member *x, const char *key, size_t n)
{
    return x->key_len == n && memcmp(x->key, key, n) == 0;
}

const struct pl_json_member *pl_json_members_find(const struct pl_json_members *m, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; i < m->n; i++)
        if (s_key_is(&m->m[i], key, n))
            return &m->m[i];
    return NULL;
}

/* The names listed in the patch's "$remove" (an array of strings, as
 * written between their quotes) into *rm. */
static int s_remove_list(const struct pl_json_member *x, struct pl_json_members *rm, char *err,
                         size_t errlen)
{
    struct scan s = { .p = x->val, .end = x->val + x->val_len, .start = x->val };
    if (*s.p != '[') {
        snprintf(err, errlen, "\"%s\" must be an array of member names", PL_PATCH_REMOVE);
        return -EINVAL;
    }
    s.p++;
    s_ws(&s);
    while (s.p < s.end && *s.p != ']') {
        struct pl_json_member r = { 0 };
        if (*s.p != '"') {
            snprintf(err, errlen, "\"%s\" must be an array of member names", PL_PATCH_REMOVE);
            return -EINVAL;
        }
        r.key = s.p + 1;
        s_string(&s); /* already checked by the scan */
        r.key_len = (size_t)(s.p - 1 - r.key);
        if (memchr(r.key, '\\', r.key_len)) {
            snprintf(err, errlen, "\"%s\" names a member with an escape in its name",
                     PL_PATCH_REMOVE);
            return -EINVAL;
        }
        int rc = s_push(rm, &r);
        if (rc == -E2BIG)
            snprintf(err, errlen, "\"%s\" names more than %d members", PL_PATCH_REMOVE,
                     PL_DOC_MAX_MEMBERS);
        if (rc != 0)
            return rc == -E2BIG ? -EINVAL : rc;
        s_ws(&s);
        if (s.p < s.end && *s.p == ',') {
            s.p++;
            s_ws(&s);
        }
    }
    return 0;
}

/* Whether member i of m has the name of an earlier one. */
static bool s_repeated(const struct pl_json_members *m, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (s_key_is(&m->m[j], m->m[i].key, m->m[i].key_len))
            return true;
    return false;
}

/* Checks the patch's members: each at most once, none reserved but
 * "$remove", nothing both set and removed. *rm gets the removed names. */
static int s_check_patch(const struct pl_json_members *pm, struct pl_json_members *rm, char *err,
                         size_t errlen)
{
    for (size_t i = 0; i < pm->n; i++) {
        const struct pl_json_member *x = &pm->m[i];
        /* Names are compared as written, so one written with an escape
         * ("\u0061" for "a") could set a member twice or a '$' name
         * unseen: a stage writes its names plainly. */
        if (memchr(x->key, '\\', x->key_len)) {
            snprintf(err, errlen, "the result names a member with an escape (\"%.*s\")",
                     (int)(x->key_len > 64 ? 64 : x->key_len), x->key);
            return -EINVAL;
        }
        if (s_repeated(pm, i)) {
            snprintf(err, errlen, "the result sets \"%.*s\" twice",
                     (int)(x->key_len > 64 ? 64 : x->key_len), x->key);
            return -EINVAL;
        }
        if (s_key_is(x, PL_PATCH_REMOVE, strlen(PL_PATCH_REMOVE))) {
            int rc = s_remove_list(x, rm, err, errlen);
            if (rc != 0)
                return rc;
        } else if (x->key_len > 0 && x->key[0] == '$') {
            snprintf(err, errlen,
                     "the result sets \"%.*s\": names starting with '$' are reserved for the host",
                     (int)(x->key_len > 64 ? 64 : x->key_len), x->key);
            return -EINVAL;
        }
    }
    for (size_t i = 0; i < rm->n; i++)
        for (size_t j = 0; j < pm->n; j++)
            if (s_key_is(&pm->m[j], rm->m[i].key, rm->m[i].key_len)) {
                snprintf(err, errlen, "the result both sets and removes \"%.*s\"",
                         (int)(rm->m[i].key_len > 64 ? 64 : rm->m[i].key_len), rm->m[i].key);
                return -EINVAL;
            }
    return 0;
}

static const struct pl_json_member *s_find_raw(const struct pl_json_members *m,
                                               const struct pl_json_member *k)
{
    for (size_t i = 0; i < m->n; i++)
        if (s_key_is(&m->m[i], k->key, k->key_len))
            return &m->m[i];
    return NULL;
}

/* Writes member k with v's value at o, noting where it went in *om (when
 * not NULL; its room is reserved by the caller). */
static char *s_put_member(char *o, const struct pl_json_member *k, const struct pl_json_member *v,
                          bool *first, struct pl_json_members *om)
{
    if (!*first)
        *o++ = ',';
    *first = false;
    *o++ = '"';
    memcpy(o, k->key, k->key_len);
    struct pl_json_member *x = om ? &om->m[om->n++] : NULL;
    if (x) {
        x->key = o;
        x->key_len = k->key_len;
    }
    o += k->key_len;
    *o++ = '"';
    *o++ = ':';
    memcpy(o, v->val, v->val_len);
    if (x) {
        x->val = o;
        x->val_len = v->val_len;
    }
    return o + v->val_len;
}

/* Room in *om for n members. */
static int s_reserve(struct pl_json_members *om, size_t n)
{
    om->n = 0;
    if (om->cap >= n && om->m)
        return 0;
    struct pl_json_member *g = realloc(om->m, (n ? n : 1) * sizeof(*g));
    if (!g)
        return -ENOMEM;
    om->m = g;
    om->cap = n ? n : 1;
    return 0;
}

bool pl_json_members_lie_in(const struct pl_json_members *m, const char *text, size_t len)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->m[i].key < text || m->m[i].val < text || m->m[i].key_len > len ||
            m->m[i].val_len > len || m->m[i].key + m->m[i].key_len > text + len ||
            m->m[i].val + m->m[i].val_len > text + len)
            return false;
    return true;
}

int pl_doc_merge_members(const char *doc, size_t len, const struct pl_json_members *dmp,
                         const char *patch, size_t plen, char **out, size_t *out_len,
                         struct pl_json_members *om, char *err, size_t errlen)
{
    const struct pl_json_members dm = *dmp;
    struct pl_json_members pm = { 0 }, rm = { 0 };
    char why[200];
    size_t members = 0;
    /* The room counted below holds only if the members lie in doc. */
    if (!pl_json_members_lie_in(&dm, doc, len)) {
        snprintf(err, errlen, "the members given are not the document's");
        return -EINVAL;
    }
    int rc = pl_json_members_scan(patch, plen, &pm, why, sizeof(why));
    if (rc == -EINVAL)
        snprintf(err, errlen, "the result is not a JSON object (%s)", why);
    if (rc == 0)
        rc = s_check_patch(&pm, &rm, err, errlen);
    for (size_t i = 0; rc == 0 && i < dm.n; i++)
        if (s_repeated(&dm, i)) {
            /* Each patch value is written once per document member of its
             * name: a repeated one would also break the size below. */
            snprintf(err, errlen, "the document given to the stage holds \"%.*s\" twice",
                     (int)(dm.m[i].key_len > 64 ? 64 : dm.m[i].key_len), dm.m[i].key);
            rc = -EINVAL;
        }
    if (rc == 0) {
        members = dm.n;
        for (size_t i = 0; i < pm.n; i++)
            members += !s_key_is(&pm.m[i], PL_PATCH_REMOVE, strlen(PL_PATCH_REMOVE)) &&
                       !s_find_raw(&dm, &pm.m[i]);
        if (members > PL_DOC_MAX_MEMBERS) {
            snprintf(err, errlen, "the result would give the document more than %d members",
                     PL_DOC_MAX_MEMBERS);
            rc = -EINVAL;
        }
    }
    if (rc == 0 && om)
        rc = s_reserve(om, members);
    if (rc != 0)
        goto done;
    /* The result is at most the document and the patch side by side, plus
     * a separator, quotes and colon per member. */
    size_t cap = len + plen + 4 * (dm.n + pm.n) + 3;
    char *buf = malloc(cap), *o = buf;
    if (!buf) {
        rc = -ENOMEM;
        goto done;
    }
    bool first = true;
    *o++ = '{';
    for (size_t i = 0; i < dm.n; i++) {
        const struct pl_json_member *k = &dm.m[i];
        if (s_find_raw(&rm, k))
            continue;
        const struct pl_json_member *v = s_find_raw(&pm, k);
        o = s_put_member(o, k, v ? v : k, &first, om);
    }
    for (size_t i = 0; i < pm.n; i++) {
        const struct pl_json_member *k = &pm.m[i];
        if (s_key_is(k, PL_PATCH_REMOVE, strlen(PL_PATCH_REMOVE)) || s_find_raw(&dm, k))
            continue;
        o = s_put_member(o, k, k, &first, om);
    }
    *o++ = '}';
    *o = '\0';
    *out = buf;
    *out_len = (size_t)(o - buf);
done:
    pl_json_members_free(&pm);
    pl_json_members_free(&rm);
    return rc;
}

int pl_doc_merge(const char *doc, size_t len, const char *patch, size_t plen, char **out,
                 size_t *out_len, char *err, size_t errlen)
{
    struct pl_json_members dm = { 0 };
    /* The document is the host's own (docpatch.h): skimmed, not checked. */
    int rc = pl_json_members_skim(doc, len, &dm);
    if (rc == -EINVAL)
        snprintf(err, errlen, "the document given to the stage is not a JSON object");
    if (rc == 0)
        rc = pl_doc_merge_members(doc, len, &dm, patch, plen, out, out_len, NULL, err, errlen);
    pl_json_members_free(&dm);
    return rc;
}
