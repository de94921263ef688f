/*
 * Cross-validation folds grouped by site, shared by the evaluators and the
 * trainers so that a page is always held out together with every other page
 * of its site (never one page of a site trained on and another scored).
 *
 * A page's site is its URL's host name, lower-cased, without a leading
 * "www." (trafilatura's set); a Mozilla Readability test page's site is its
 * folder name without a trailing "-<digits>" ("nytimes-3" -> "nytimes").
 * Its fold is the FNV-1a hash of the site modulo the number of folds.
 * Pure functions; any thread.
 */
#ifndef PL_FOLDS_H
#define PL_FOLDS_H

#include <stddef.h>

/* Writes the site of url (scheme://host[:port]/...) into out (n bytes,
 * NUL-terminated, cut if longer). A string without "://" is taken as a
 * host. */
void pl_site_of_url(const char *url, char *out, size_t n);

/* Writes the site of a Readability test page's folder name into out. */
void pl_site_of_test_page(const char *name, char *out, size_t n);

/* The fold (0 .. nfolds-1) of site; 0 when nfolds < 2. */
unsigned pl_site_fold(const char *site, unsigned nfolds);

#endif
