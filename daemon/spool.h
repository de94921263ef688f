/*
 * The folders a file passes through, and the moves between them. A file
 * leaves the inbox only by an atomic rename into spool/work (the claim); its
 * result is written to the outbox atomically (temp file, fsync, rename, fsync
 * of the folder) before the source moves to done/; a failure moves it to
 * failed/ beside <name>.error.json. Everything left in spool/work after a
 * crash is processed again at start.
 *
 * Claims and reads run on the loop thread; the finishing moves and writes run
 * on the writer thread (one at a time). Directory descriptors are read-only
 * after pl_spool_open.
 */
#ifndef PL_SPOOL_H
#define PL_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

struct pl_config;

struct pl_spool {
    int inbox_fd, work_fd, outbox_fd, done_fd, failed_fd, spool_fd;
    const char *inbox, *outbox, *done, *failed; /* borrowed from the config */
    bool durable;
    bool follow_symlinks;
};

#define PL_KEY_LEN 19 /* a claim key: 18 hex digits and "_" */

/* Creates the folders when missing and opens them; sp borrows cfg's folder
 * names, so cfg must outlive it. Returns 0, or with err naming the folder
 * -errno, or -EXDEV when the inbox and the spool are on different file
 * systems; nothing is left open then. */
int pl_spool_open(struct pl_spool *sp, const struct pl_config *cfg, char *err, size_t errlen);
void pl_spool_close(struct pl_spool *sp);

/* Renames inbox/<name> to work/<key>_<name>. Writes the work name into
 * work_name (NAME_MAX + 1 bytes). Returns 0 or -errno (-ENOENT: gone). */
int pl_spool_claim(struct pl_spool *sp, const char *name, char *work_name);

/* Puts a claimed file back: renames work/<work_name> to inbox/<name>, unless
 * a new file took that name meanwhile. Returns 0 or -errno (-EEXIST). */
int pl_spool_unclaim(struct pl_spool *sp, const char *work_name, const char *name);

/* The original file name inside a work name ("<key>_<name>"). */
const char *pl_spool_orig_name(const char *work_name);

/* Reads work/<work_name> up to max bytes: a regular file; a symlink is
 * refused unless follow_symlinks is set, and then its target is read (a
 * relative one from the inbox, where the link was made). On success the caller owns *data (free).
 * Returns 0, -EFBIG
 * (*len set to the file size), -ELOOP for a symlink, -EISDIR, -EINVAL for
 * another non-regular file, -EAGAIN when the file changed while it was read
 * (a writer still had it open), or -errno. */
int pl_spool_read(struct pl_spool *sp, const char *work_name, size_t max, void **data, size_t *len);

/* The reading behind pl_spool_read: dirfd/name, symlinks refused unless
 * follow. Same returns. */
int pl_read_file_at(int dirfd, const char *name, size_t max, bool follow, void **data, size_t *len);

/* A user-facing reason for a read refusal rc from pl_read_file_at (len and
 * max as there). Sets *format to "symlink", "directory", "special" or
 * leaves it. Writes into buf and returns it. */
const char *pl_refusal_reason(int rc, size_t len, size_t max, const char **format, char *buf,
                              size_t n);

/* Writes data to dir/name atomically: a temp file, fsync when durable,
 * rename, fsync of the folder when durable. Returns 0 or -errno. */
int pl_write_atomic(int dirfd, const char *name, const void *data, size_t len, bool durable);

/* Moves work/<work_name> to done/<orig> (or unlinks it when del). A name
 * already in done/ gets ".<key>" appended. Returns 0 or -errno. */
int pl_spool_done(struct pl_spool *sp, const char *work_name, bool del);

/* Moves work/<work_name> to failed/<orig>; the caller then writes
 * failed/<out_name>.error.json. The final name (which may carry ".<key>")
 * goes into out_name (NAME_MAX + 1). Returns 0 or -errno. */
int pl_spool_move_failed(struct pl_spool *sp, const char *work_name, char *out_name);

/* Lists work/ (entries left from an earlier run). Caller frees each name and
 * the array. Returns 0 or -errno. */
int pl_spool_list_work(struct pl_spool *sp, char ***names, size_t *n);

/* Removes leftover temp files (".pl-tmp-*") from the outbox, failed/ and
 * the spool folder (where the seq file is written). */
void pl_spool_sweep_temp(struct pl_spool *sp);

#endif
