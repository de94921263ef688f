/*
 * The one error convention of pressline's own modules (../shared/STYLE.md):
 * a fallible function returns an int, 0 on success, or a negative code on
 * failure: a negative errno value (-ENOMEM, -ENOENT, ...; libzmq's own
 * errnos included) or one of the PL_E* codes below, for failures that no
 * errno describes. Where the caller needs more than the code (which key of
 * the configuration, which plugin file), the function also fills an error
 * buffer; the caller that knows the context (the file, the stage, the
 * article) logs it, once. pl_strerror names every code.
 *
 * Pure; any thread.
 */
#ifndef PL_ERRCODE_H
#define PL_ERRCODE_H

#include <stddef.h>

/* Where an errno says it, it is used: a malformed protocol message (wire,
 * replay) is -EPROTO, a timeout -ETIMEDOUT. The codes of our own lie below
 * every errno value (Linux's end at -133; libzmq's start at -156384713), so
 * they never collide with either. */
enum pl_errcode {
    PL_ECONFIG = -1001, /* the configuration is invalid; the buffer says where */
    PL_EPLUGIN = -1002, /* a plugin could not be loaded or initialised */
    PL_EINPUT = -1003,  /* an input file (data set, model, key) is malformed */
    PL_ESTAGE = -1004,  /* a stage refused or failed a document */
    PL_ELIMIT = -1005,  /* a configured bound was reached */
};

/* Writes the text for rc (a negative errno, a libzmq errno or a PL_E* code;
 * a positive errno is taken as its negative) into buf and returns buf. An
 * unknown code is written as "error <rc>". */
const char *pl_strerror(int rc, char *buf, size_t len);

#endif
