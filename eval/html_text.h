/*
 * The text of an HTML reference (Mozilla Readability's expected.html), for
 * `pressline eval extract --readability`: the truth it scores the clean
 * stage against. Deliberately apart from the clean stage (it shares no code
 * with plugins/clean), so that the truth does not inherit the extractor's
 * judgement: libxml2's HTML parser reads the page, the text nodes are taken
 * in document order except under <script>, <style> and <template>, a block
 * element (p, div, h1-h6, li, table cells, ...) starts and ends a paragraph,
 * <br> ends a line, and every run of white space (Unicode's White_Space:
 * the no-break and ideographic spaces too, which the 4-gram scorer would
 * read as letters) becomes one space. Pure; any thread.
 */
#ifndef PL_HTML_TEXT_H
#define PL_HTML_TEXT_H

#include <stddef.h>

/* Writes the text of the len bytes of HTML at html (borrowed; any encoding
 * libxml2 detects, UTF-8 by default) to *out, NUL-terminated, paragraphs
 * split by a blank line, no white space at either end; "" when the page
 * holds no text. Caller owns *out (free()). Returns 0, or -ENOMEM (*out
 * NULL). */
int pl_html_text(const char *html, size_t len, char **out);

#endif
