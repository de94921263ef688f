/*
 * Character encodings: see decode.h.
 */
#include "decode.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uchardet.h>

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
            strcpy(out, cs); /* length checked above */
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
