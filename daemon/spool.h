/*
 * The folders a file passes through, and the moves between them. A file
 * leaves the inbox only by an atomic rename into spool/work (the claim); its
 * result is written to the outbox atomically (pl_write_new: an unnamed file,
 * fsync, linkat; or a temp file and its rename; then the folder's fsync)
 * before the source moves to done/; a failure moves it to
 * failed/ beside <name>.error.json. Everything left in spool/work after a
 * crash is processed again at start.
 *
 * One daemon per spool: pl_spool_open takes an exclusive flock on
 * <spool>/lock (which holds the daemon's pid) before anything in the spool
 * is read or changed, and keeps it until pl_spool_close or the process's
 * end.
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
    int lock_fd;                                /* <spool>/lock, flocked exclusively while open */
    const char *inbox, *outbox, *done, *failed; /* borrowed from the config */
    bool durable;
    bool follow_symlinks;
};

#define PL_KEY_LEN 19 /* a claim key: 18 hex digits and "_" */

/* The lock file's name inside the spool folder. */
#define PL_SPOOL_LOCK "lock"

/* Creates the folders when missing, opens them and locks the spool (see
 * above); sp borrows cfg's folder names, so cfg must outlive it. Returns 0,
 * or with err naming the folder -errno, -EBUSY when another process holds
 * the spool's lock (err names its pid), or -EXDEV when the inbox and the
 * spool are on different file systems; nothing is left open or locked then. */
int pl_spool_open(struct pl_spool *sp, const struct pl_config *cfg, char *err, size_t errlen);
/* Closes the folders and releases the lock. */
void pl_spool_close(struct pl_spool *sp);

/* Whether another process holds the lock of the spool folder `spool`
 * (borrowed), without creating anything. Returns 1 with *pid set to the
 * holder's pid (0 when it has not written it), 0 when nobody holds it (or
 * there is no lock file yet), or -errno when the lock file cannot be read. */
int pl_spool_lock_holder(const char *spool, long *pid);

/* Renames inbox/<name> to work/<key>_<name>. Writes the work name into
 * work_name (NAME_MAX + 1 bytes); a name too long for it is shortened
 * there, keeping its extension (the caller keeps the full name for
 * pl_spool_done and pl_spool_move_failed). Returns 0 or -errno (-ENOENT:
 * gone). */
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

/* pl_spool_read of the file just claimed as work_name, through fd
 * (borrowed: the caller closes it), the watcher's descriptor of the file it
 * judged ready, opened in the inbox before the claim and with the read
 * lease still held (watch.h): no second look-up and open of the name. The
 * same checks on the open inode (a regular file, at most max bytes,
 * unchanged while read) and the same returns; when fd is not the inode the
 * claim moved (a file renamed over the name between the watcher's open and
 * the claim), the claimed file is read by its name instead. -EAGAIN also
 * when the lease was broken (a writer is waiting in open()): the caller
 * puts the file back before it closes fd. */
int pl_spool_read_claimed(struct pl_spool *sp, int fd, const char *work_name, size_t max,
                          void **data, size_t *len);

/* A user-facing reason for a read refusal rc from pl_read_file_at (len and
 * max as there). Sets *format to "symlink", "directory", "special" or
 * leaves it. Writes into buf and returns it. */
const char *pl_refusal_reason(int rc, size_t len, size_t max, const char **format, char *buf,
                              size_t n);

/* Writes data to dir/name atomically: a temp file, fsync when durable,
 * rename, fsync of the folder when durable. Returns 0 or -errno. */
int pl_write_atomic(int dirfd, const char *name, const void *data, size_t len, bool durable);
/* pl_write_atomic without the folder's fsync: for a writer that syncs the
 * folder once for a batch of files (group commit) before it relies on any
 * of them. Returns 0 or -errno. */
int pl_write_renamed(int dirfd, const char *name, const void *data, size_t len, bool durable);

/* Writes data to dir/name only if no file has that name: -EEXIST then,
 * with nothing written, so that the caller can deal with the file there
 * (keep it, replace it with pl_write_renamed). The file is made unnamed
 * (O_TMPFILE), written, fdatasynced when durable, and given its name by
 * linkat, which fails with EEXIST rather than replacing: one directory entry
 * made, where a temp file and its rename make two and remove one, and no
 * temp file is ever left behind by a crash. Where the file system has no
 * O_TMPFILE (NFS, some FUSE), or neither linkat(AT_EMPTY_PATH) nor the
 * /proc/self/fd link can name the file, a temp file and
 * renameat2(RENAME_NOREPLACE), from then on; where that takes no flags
 * (NFS, 9p, sshfs), the temp file's link and unlink.
 * As for pl_write_renamed the folder is not synced. Any thread. Returns 0,
 * -EEXIST or -errno. */
int pl_write_new(int dirfd, const char *name, const void *data, size_t len, bool durable);

/* For tests only: no_tmpfile takes pl_write_new the temp file's way, as
 * where O_TMPFILE is refused; no_rename2 makes every RENAME_NOREPLACE
 * rename of this file (pl_write_new, pl_spool_unclaim, pl_spool_done,
 * pl_spool_move_failed) see EINVAL, as NFS, 9p and FUSE without rename2
 * answer, so that their fallbacks run on any file system. Process-wide;
 * call while no other thread writes. */
void pl_spool_test_fallbacks(bool no_tmpfile, bool no_rename2);

/* What a failure record's name adds to the name of the file in failed/. */
#define PL_ERROR_SUFFIX ".error.json"

/* Moves work/<work_name> to done/<name> (or unlinks it when del); name is
 * the file's original name (borrowed), whole up to NAME_MAX bytes. A name
 * already in done/ gets ".<key>" appended, its stem shortened when the
 * result would pass NAME_MAX (the extension before ".<key>" stays). Returns
 * 0 or -errno. */
int pl_spool_done(struct pl_spool *sp, const char *work_name, const char *name, bool del);

/* Moves work/<work_name> to failed/<name> (name as for pl_spool_done); the
 * caller then writes failed/<out_name>.error.json. So that the record's
 * name always fits, out_name is at most NAME_MAX - 11 bytes: a longer name
 * has the end of its stem cut, keeping its extension, and one already in
 * failed/ gets ".<key>" as in done/. The final name goes into out_name
 * (NAME_MAX + 1). Returns 0 or -errno. */
int pl_spool_move_failed(struct pl_spool *sp, const char *work_name, const char *name,
                         char *out_name);

/* Lists work/ (entries left from an earlier run). Caller frees each name and
 * the array. Returns 0 or -errno. */
int pl_spool_list_work(struct pl_spool *sp, char ***names, size_t *n);

/* Removes leftover temp files (".pl-tmp-*") from the outbox, failed/ and
 * the spool folder (where the seq file is written). */
void pl_spool_sweep_temp(struct pl_spool *sp);

#endif
