/*
 * Character encodings of the clean stage's input: byte-order marks (UTF-8,
 * UTF-16, UTF-32), UTF-16 without one (by its pattern of NUL bytes), the
 * charset a web page declares, else uchardet's guess;
 * converted to UTF-8 with iconv; then invalid sequences replaced and
 * control characters dropped. Called by the clean plugin (and its fuzzer)
 * on its worker thread; pure apart from the iconv and uchardet handles it
 * opens.
 */
#ifndef PL_DECODE_H
#define PL_DECODE_H

#include <stddef.h>

#include <pressline/plugin.h>

/* The input as UTF-8 (or nearly: pl_repair_utf8 does the rest). */
struct pl_decoded {
    const char *text; /* borrowed: the input itself, or conv */
    size_t len;
    char *conv;        /* the converted text (caller frees), or NULL */
    char encoding[64]; /* the encoding the input was read in */
};

/* Reads raw[0..len) in its encoding: a byte-order mark's, else UTF-8 when
 * at most max_invalid_ratio of its bytes are invalid UTF-8, UTF-16LE or BE
 * when it has over max_control_ratio control characters in UTF-8 but
 * UTF-16's pattern of NUL bytes and converts to text, UTF-8 when it is
 * binary (over max_control_ratio control characters: refused by the
 * caller), else
 * the charset a web page declares or uchardet guesses. raw stays the
 * caller's and must outlive out->text. Returns 0, or -EILSEQ (no encoding
 * found), -EINVAL (an encoding iconv does not know) or -ENOMEM with err
 * filled; out->conv is then NULL. */
int pl_decode(const char *raw, size_t len, double max_invalid_ratio, double max_control_ratio,
              struct pl_decoded *out, struct pl_error *err);

/* Counts the invalid UTF-8 sequences and the control characters in
 * raw[0..n): C0 but tab, newline, carriage return and form feed; DEL; C1. */
void pl_count_invalid(const char *raw, size_t n, size_t *invalid, size_t *control);

/* Copies raw[0..n) into *out (caller frees, NUL-terminated, *out_len bytes)
 * with every invalid sequence replaced by U+FFFD and control characters
 * dropped, counting both as pl_count_invalid does. Returns 0 or -ENOMEM. */
int pl_repair_utf8(const char *raw, size_t n, char **out, size_t *out_len, size_t *invalid,
                   size_t *control);

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
