/*
 * Character encodings of the clean stage's input: byte-order marks (UTF-8,
 * UTF-16, UTF-32), the charset a web page declares, else uchardet's guess;
 * converted to UTF-8 with iconv. Called by the clean plugin on its worker
 * thread; pure apart from the iconv and uchardet handles it opens.
 */
#ifndef PL_DECODE_H
#define PL_DECODE_H

#include <stddef.h>

/* The encoding a byte-order mark at the start of data names, or NULL; sets
 * *bom to the mark's length. */
const char *pl_bom_encoding(const char *data, size_t len, size_t *bom);

/* The charset a <meta charset> or http-equiv Content-Type declares in the
 * first 128 KB of a page, copied to out (cap bytes); 0 when none. */
int pl_html_charset(const char *data, size_t len, char *out, size_t cap);

/* uchardet's guess for data, copied to out; 0 when it has none. */
int pl_guess_charset(const char *data, size_t len, char *out, size_t cap);

/* Converts data from encoding `from` to UTF-8 (bytes that do not convert
 * become U+FFFD, counted in *bad). Caller frees *out (NUL-terminated).
 * Returns 0, -EINVAL for an encoding iconv does not know, or -ENOMEM. */
int pl_to_utf8(const char *from, const char *data, size_t len, char **out, size_t *out_len,
               size_t *bad);

#endif
