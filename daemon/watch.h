/*
 * Watches the inbox and reports names that are ready to be claimed.
 *
 * inotify (IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE, IN_MODIFY, IN_MOVED_FROM,
 * IN_DELETE, IN_Q_OVERFLOW) is read through a uv_poll on its descriptor;
 * uv_fs_event is not used because it cannot tell "closed after writing" and
 * hides queue overflows. A full scan runs at start, after an overflow and
 * every rescan interval; a scan that finds entries not yet ready comes back
 * after the settle interval.
 *
 * Ready means: not ignored by name (dotfiles, *.tmp, *.part, *.swp, *~);
 * for a regular file, no process has it open for writing. Where a read lease
 * can be taken (the daemon owns the file, or has CAP_LEASE) the lease says
 * so, and a file found by a scan rather than a close/rename event must also
 * have an mtime settle_ms old. Where it cannot (another account's file, a
 * file system without leases) the watcher follows the maildir rule: a name
 * that had a write (IN_MODIFY, or IN_CREATE of an empty file) waits for its
 * close-write or a rename in, whatever the clock says, and then, like a file
 * found by a scan, its ctime must be settle_ms old (ctime moves on every
 * write, truncate, rename and chmod, and no user can set it back). A file the
 * daemon cannot open is reported once it is quiet by the same rule, so the
 * service claims it and fails it with the reason. Anything else (folder,
 * symlink, fifo) is reported once its mtime has settled, so the service can
 * refuse it. A name may be reported more than once; the service
 * de-duplicates; the service re-checks the file after reading it.
 *
 * Without a lease, a file that was already being written when the daemon
 * started, or whose events were lost in an overflow, is judged by its ctime
 * and by the writes seen in the settle_ms that follow; a writer that pauses
 * longer than that across the start is not seen.
 *
 * On network and FUSE file systems (NFS, SMB/CIFS, 9p, ...) inotify sees only
 * what this host does, not what other clients write, so there the watcher
 * can run on scans alone (pl_watch_start_poll): every poll interval, with
 * no events, each name judged as a scanned one (lease or ctime). The service
 * picks the mode from watch.mode and the inbox's statfs (pl_watch_decide).
 * Loop thread only.
 */
#ifndef PL_WATCH_H
#define PL_WATCH_H

#include <stdbool.h>
#include <uv.h>

#include "config.h"
#include "nameset.h"

struct pl_watch;
/* A name ready to be claimed. fd: -1, or the probe's descriptor of the
 * file, opened in the inbox with a read lease (pl_watch_probe_fd), which the
 * callee owns and closes soon: a writer's open of the file waits until then
 * (SIGIO, which the kernel sends the holder, must be ignored). */
typedef void (*pl_watch_cb)(struct pl_watch *w, const char *name, int fd);
typedef bool (*pl_watch_known_cb)(struct pl_watch *w, const char *name);

struct pl_watch {
    void *data; /* the owner's back-pointer */
    /* Set by the owner, like data (start keeps both); NULL: none. True for
     * a name the owner already holds (queued to be claimed): neither a scan
     * nor an event looks at it again. Without it, every scan during a burst
     * probed each file still waiting in the inbox (six system calls a name,
     * the directory looked up twice), again every settle interval while the
     * burst's files were too fresh for a scan to call ready: O(n^2) in the
     * files waiting. */
    pl_watch_known_cb known;
    uv_loop_t *loop;
    int dirfd;                /* borrowed */
    int ifd;                  /* inotify, owned; -1 when watching by scans alone */
    int settle_ms, rescan_ms; /* rescan_ms: the poll interval when scans alone watch */
    pl_watch_cb cb;
    uv_poll_t poll;
    uv_timer_t timer;
    int open_handles;
    void (*closed_cb)(struct pl_watch *w);
    bool paused;
    /* Names written to (IN_MODIFY) with no close-write since: without a
     * lease, these wait for the close whatever their age. */
    struct pl_nameset writing;
    /* Loop time (ms) from which every write has been seen: the start, or
     * the last overflow. A scan before settle_ms past it cannot know that
     * no write came in the settle time, so it treats names as written. */
    uint64_t seen_from_ms;
    /* The errno of the last scan that could not open the inbox (0: the
     * last scan could), so a lasting EMFILE is logged once, not per scan. */
    int scan_errno;
};

/* True for names the inbox ignores. */
bool pl_watch_ignored(const char *name);

/* Starts watching dirfd (the inbox). The first scan runs on the next loop
 * iteration. Returns 0, -ENOMEM or -errno. */
int pl_watch_start(struct pl_watch *w, uv_loop_t *loop, int dirfd, int settle_ms, int rescan_ms,
                   pl_watch_cb cb);

/* The same watch without inotify: a full scan every poll_ms, the first on
 * the next loop iteration. Returns 0, -ENOMEM or -errno. */
int pl_watch_start_poll(struct pl_watch *w, uv_loop_t *loop, int dirfd, int settle_ms, int poll_ms,
                        pl_watch_cb cb);

/* The name of the file system whose statfs f_type this is when inotify
 * cannot be trusted there (changes made by other hosts or by a FUSE daemon
 * raise no event): "NFS", "SMB/CIFS", "FUSE", "9p" ...; NULL for the others
 * (local file systems, tmpfs, overlay). Pure. */
const char *pl_watch_untrusted_fs(unsigned long f_type);

/* The mode to watch with: the configured one unless it is PL_WATCH_AUTO,
 * which is PL_WATCH_POLL on a file system pl_watch_untrusted_fs names and
 * PL_WATCH_INOTIFY elsewhere. Pure. */
enum pl_watch_mode pl_watch_decide(enum pl_watch_mode configured, unsigned long f_type);

/* Stops reporting names while paused (the service is full); a scan runs on
 * resume so nothing that arrived meanwhile is missed. */
void pl_watch_pause(struct pl_watch *w);
void pl_watch_resume(struct pl_watch *w);

/* Closes the handles; closed_cb runs when they are gone (w may be freed then). */
void pl_watch_close(struct pl_watch *w, void (*closed_cb)(struct pl_watch *w));

/* The readiness test above, for one name. from_event: a close-after-write or
 * rename-in event named it. writing: a write to it was seen and no
 * close-write since. Returns 1 ready, 0 not yet, -errno gone/error. */
int pl_watch_probe(int dirfd, const char *name, int settle_ms, bool from_event, bool writing);

/* pl_watch_probe that, when keep is not NULL and the file is ready under a
 * read lease, leaves it open: *keep is then the descriptor, the lease held,
 * and the caller owns it; otherwise *keep is -1. */
int pl_watch_probe_fd(int dirfd, const char *name, int settle_ms, bool from_event, bool writing,
                      int *keep);

/* pl_watch_probe with no write seen. */
int pl_watch_is_ready(int dirfd, const char *name, int settle_ms, bool from_event);

#endif
