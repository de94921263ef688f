/*
 * Character encodings: see decode.h.
 */
#include "decode.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uchardet.h>

#include "docjson.h"
#include "html.h"
#include "text.h"

/* --- bytes to valid UTF-8 ----------------------------------------------- */

/* Counts invalid sequences and control characters in raw; with b, also
 * appends raw to it with every invalid sequence replaced by U+FFFD and
 * control characters dropped. Returns 0 or -ENOMEM. */
static int s_scan_utf8(const char *raw, size_t n, struct pl_buf *b, size_t *invalid,
                       size_t *control)
{
    size_t adv;
    *invalid = *control = 0;
    for (size_t i = 0; i < n; i += adv) {
        int32_t cp = pl_utf8_decode(raw + i, n - i, &adv);
        if (cp < 0) {
            (*invalid)++;
            if (b && pl_buf_append(b, "\xef\xbf\xbd", 3))
                return -ENOMEM;
            continue;
        }
        if ((cp < 0x20 && cp != '\n' && cp != '\r' && cp != '\t' && cp != '\f') || cp == 0x7f ||
            (cp >= 0x80 && cp < 0xa0)) {
            (*control)++;
            continue; /* dropped: never part of article text */
        }
        if (b && pl_buf_append(b, raw + i, adv))
            return -ENOMEM;
    }
    return 0;
}

void pl_count_invalid(const char *raw, size_t n, size_t *invalid, size_t *control)
{
    s_scan_utf8(raw, n, NULL, invalid, control); /* counting cannot fail */
}

int pl_repair_utf8(const char *raw, size_t n, char **out, size_t *out_len, size_t *invalid,
                   size_t *control)
{
    struct pl_buf b = { 0 };
    *out = NULL;
    if (s_scan_utf8(raw, n, &b, invalid, control) != 0 || pl_buf_terminate(&b) != 0) {
        free(b.data);
        return -ENOMEM;
    }
    *out = b.data;
    *out_len = b.len;
    return 0;
}

/* --- encodings ----------------------------------------------------------- */

const char *pl_bom_encoding(const char *data, size_t len, size_t *bom)
{
    const unsigned char *d = (const unsigned char *)data;
    *bom = 0;
    if (len >= 4 && d[0] == 0xff && d[1] == 0xfe && d[2] == 0 && d[3] == 0)
        return *bom = 4, "UTF-32LE";
    if (len >= 4 && d[0] == 0 && d[1] == 0 && d[2] == 0xfe && d[3] == 0xff)
        return *bom = 4, "UTF-32BE";
    if (len >= 3 && d[0] == 0xef && d[1] == 0xbb && d[2] == 0xbf)
        return *bom = 3, "UTF-8";
    if (len >= 2 && d[0] == 0xff && d[1] == 0xfe)
        return *bom = 2, "UTF-16LE";
    if (len >= 2 && d[0] == 0xfe && d[1] == 0xff)
        return *bom = 2, "UTF-16BE";
    return NULL;
}

int pl_html_charset(const char *data, size_t len, char *out, size_t cap)
{
    size_t n = len < 131072 ? len : 131072;
    /* Only inside <meta ...>: scripts and data: URIs say "charset" too. */
    for (size_t m = 0; m + 5 < n; m++) {
        if (data[m] != '<' || strncasecmp(data + m, "<meta", 5) != 0)
            continue;
        size_t end = m + 5;
        while (end < n && data[end] != '>')
            end++;
        for (size_t i = m + 5; i + 7 < end; i++) {
            if (strncasecmp(data + i, "charset", 7) != 0)
                continue;
            size_t j = i + 7;
            while (j < end && (data[j] == ' ' || data[j] == '='))
                j++;
            while (j < end && (data[j] == '"' || data[j] == '\''))
                j++;
            size_t k = 0;
            while (j < end && k + 1 < cap &&
                   (isalnum((unsigned char)data[j]) || data[j] == '-' || data[j] == '_' ||
                    data[j] == ':' || data[j] == '.'))
                out[k++] = data[j++];
            out[k] = '\0';
            if (k > 0)
                return 1;
        }
        m = end;
    }
    return 0;
}

int pl_guess_charset(const char *data, size_t len, char *out, size_t cap)
{
    uchardet_t u = uchardet_new();
    if (!u)
        return 0;
    int ok = 0;
    if (uchardet_handle_data(u, data, len) == 0) {
        uchardet_data_end(u);
        const char *cs = uchardet_get_charset(u);
        if (cs && *cs && cap > strlen(cs)) {
            memcpy(out, cs, strlen(cs) + 1); /* length checked above */
            ok = 1;
        }
    }
    uchardet_delete(u);
    return ok;
}

/* Doubles *buf. Returns 0 or -ENOMEM (then *buf is freed). */
static int s_grow(char **buf, size_t *cap)
{
    char *nb = realloc(*buf, *cap * 2);
    if (!nb) {
        free(*buf);
        *buf = NULL;
        return -ENOMEM;
    }
    *buf = nb;
    *cap *= 2;
    return 0;
}

int pl_to_utf8(const char *from, const char *data, size_t len, char **out, size_t *out_len,
               size_t *bad)
{
    *out = NULL;
    *out_len = 0;
    *bad = 0;
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == (iconv_t)-1)
        return -EINVAL;
    size_t cap = len * 4 + 16, o = 0;
    char *buf = malloc(cap);
    if (!buf) {
        iconv_close(cd);
        return -ENOMEM;
    }
    char *in = (char *)data;
    size_t left = len;
    while (left > 0) {
        if (cap - o < 16 && s_grow(&buf, &cap) != 0) {
            iconv_close(cd);
            return -ENOMEM;
        }
        char *dst = buf + o;
        size_t room = cap - o - 4;
        size_t r = iconv(cd, &in, &left, &dst, &room);
        o = (size_t)(dst - buf);
        if (r != (size_t)-1)
            break;
        if (errno == E2BIG) {
            if (s_grow(&buf, &cap) != 0) {
                iconv_close(cd);
                return -ENOMEM;
            }
            continue;
        }
        /* EILSEQ or EINVAL (truncated at the end): U+FFFD, skip a byte. */
        if (o + 8 > cap && s_grow(&buf, &cap) != 0) {
            iconv_close(cd);
            return -ENOMEM;
        }
        memcpy(buf + o, "\xef\xbf\xbd", 3);
        o += 3;
        (*bad)++;
        in++;
        left--;
        iconv(cd, NULL, NULL, NULL, NULL);
    }
    iconv_close(cd);
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    return 0;
}

/* --- the input's encoding ------------------------------------------------ */

/* The UTF-16 a byte pattern names, or NULL: mostly-ASCII text in UTF-16
 * without a byte-order mark has a NUL in the high byte of many of its
 * 16-bit units (every ASCII letter, space and newline) and none in the low
 * byte (that would be U+0000 or a rare character). A tenth of the units
 * with a NUL high byte and under a hundredth with a NUL low byte is the
 * signal; what it converts to is checked by the caller. */
static const char *s_utf16_pattern(const char *data, size_t len)
{
    size_t units = len / 2, nul[2] = { 0, 0 };
    if (units < 2)
        return NULL;
    for (size_t i = 0; i < units * 2; i++)
        nul[i & 1] += data[i] == '\0';
    if (nul[1] * 10 >= units && nul[0] * 100 <= units)
        return "UTF-16LE";
    if (nul[0] * 10 >= units && nul[1] * 100 <= units)
        return "UTF-16BE";
    return NULL;
}

/* Input that would be refused as binary but has the byte pattern of UTF-16
 * without a byte-order mark: converted, and kept when what it converts to
 * is text (few bytes that do not convert, few control characters); else
 * left as it was, to be refused. */
static int s_decode_utf16(double max_invalid_ratio, double max_control_ratio,
                          struct pl_decoded *out, struct pl_error *err)
{
    const char *enc = s_utf16_pattern(out->text, out->len);
    if (!enc)
        return 0;
    char *conv;
    size_t n, bad, inv, ctl;
    int rc = pl_to_utf8(enc, out->text, out->len, &conv, &n, &bad);
    if (rc == -ENOMEM) {
        pl_fail(err, "clean: out of memory");
        return rc;
    }
    if (rc != 0)
        return 0;
    pl_count_invalid(conv, n, &inv, &ctl);
    if ((double)bad > max_invalid_ratio * (double)(out->len / 2) ||
        (double)ctl > max_control_ratio * (double)n) {
        free(conv);
        return 0;
    }
    out->conv = conv;
    out->text = conv;
    out->len = n;
    snprintf(out->encoding, sizeof(out->encoding), "%s", enc);
    return 0;
}

/* Input without a byte-order mark (out->text, out->len): UTF-8 when it is
 * (nearly) valid, UTF-16 when it has its pattern of NUL bytes, else what
 * the page declares or uchardet guesses. */
static int s_decode_unmarked(double max_invalid_ratio, double max_control_ratio,
                             struct pl_decoded *out, struct pl_error *err)
{
    const char *raw = out->text;
    size_t len = out->len, inv, ctl;
    pl_count_invalid(raw, len, &inv, &ctl);
    /* Binary data stays binary whatever the encoding (refused later),
     * unless it is UTF-16 that lost its byte-order mark. */
    int binary = len > 0 && (double)ctl > max_control_ratio * (double)len;
    if (binary)
        return s_decode_utf16(max_invalid_ratio, max_control_ratio, out, err);
    /* A page that is not valid UTF-8 and declares (or, undeclared, looks
     * like) another charset is in that charset, however few its non-ASCII
     * bytes: most of a page is ASCII markup. */
    char cs[64];
    int is_page = inv > 0 && pl_html_sniff(raw, len);
    int declared =
        is_page &&
        (pl_html_charset(raw, len, cs, sizeof(cs)) || pl_guess_charset(raw, len, cs, sizeof(cs))) &&
        strcasecmp(cs, "utf-8") != 0 && strcasecmp(cs, "utf8") != 0 && strcasecmp(cs, "ascii") != 0;
    if (binary || len == 0 || (!declared && (double)inv <= max_invalid_ratio * (double)len))
        return 0;
    if (!declared && !pl_guess_charset(raw, len, cs, sizeof(cs))) {
        pl_fail(err,
                "not UTF-8 text: %zu invalid byte sequences in %zu bytes, and its "
                "encoding could not be detected; convert the file to UTF-8",
                inv, len);
        return -EILSEQ;
    }
    size_t bad;
    int rc = pl_to_utf8(cs, raw, len, &out->conv, &out->len, &bad);
    if (rc == -ENOMEM) {
        pl_fail(err, "clean: out of memory");
        return rc;
    }
    if (rc != 0) {
        pl_fail(err, "not UTF-8 text, and its declared encoding \"%s\" is unknown", cs);
        return rc;
    }
    snprintf(out->encoding, sizeof(out->encoding), "%s", cs);
    out->text = out->conv;
    return 0;
}

int pl_decode(const char *raw, size_t len, double max_invalid_ratio, double max_control_ratio,
              struct pl_decoded *out, struct pl_error *err)
{
    out->text = raw;
    out->len = len;
    out->conv = NULL;
    snprintf(out->encoding, sizeof(out->encoding), "UTF-8");
    size_t bom = 0;
    const char *bom_enc = pl_bom_encoding(raw, len, &bom);
    if (bom_enc)
        snprintf(out->encoding, sizeof(out->encoding), "%s", bom_enc);
    if (bom_enc && strcmp(bom_enc, "UTF-8") != 0) {
        size_t bad;
        int rc = pl_to_utf8(bom_enc, raw + bom, len - bom, &out->conv, &out->len, &bad);
        if (rc != 0) {
            pl_fail(err, "clean: cannot convert from %s", bom_enc);
            return rc;
        }
        out->text = out->conv;
        return 0;
    }
    out->text = raw + bom;
    out->len = len - bom;
    return s_decode_unmarked(max_invalid_ratio, max_control_ratio, out, err);
}
