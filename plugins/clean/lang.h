/*
 * The language of the clean stage's output text, guessed from the
 * frequencies of the function words of seven languages (en, de, fr, es,
 * it, nl, pt). A statistical detector replaces this when more languages
 * matter.
 *
 * Called by the clean plugin on its worker thread (any thread): a table of
 * the lists' words is built once on first use (pthread_once), then only
 * read.
 */
#ifndef PL_LANG_H
#define PL_LANG_H

#include <stddef.h>

/* The ISO 639-1 code of the language of t[0..n) (UTF-8), or "und" (ISO
 * 639-2 for undetermined) when no language stands out. The result is a
 * static string. */
const char *pl_language_guess(const char *t, size_t n);

#endif
