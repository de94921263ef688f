/*
 * Watches the inbox and reports names that are ready to be claimed.
 *
 * inotify (IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE, IN_Q_OVERFLOW) is read
 * through a uv_poll on its descriptor; uv_fs_event is not used because it
 * cannot tell "closed after writing" and hides queue overflows. A full scan
 * runs at start, after an overflow and every rescan interval; a scan that
 * finds entries not yet ready comes back after the settle interval.
 *
 * Ready means: not ignored by name (dotfiles, *.tmp, *.part, *.swp, *~);
 * for a regular file, no process has it open for writing (probed with a read
 * lease) and, when found by a scan rather than a close/rename event, its
 * mtime is at least settle_ms old; anything else (folder, symlink, fifo) is
 * reported once its mtime has settled, so the service can refuse it.
 * A name may be reported more than once; the service de-duplicates.
 * Loop thread only.
 */
#ifndef PL_WATCH_H
#define PL_WATCH_H

#include <stdbool.h>
#include <uv.h>

struct pl_watch;
typedef void (*pl_watch_cb)(struct pl_watch *w, const char *name);

struct pl_watch {
    void *data; /* the owner's back-pointer */
    uv_loop_t *loop;
    int dirfd; /* borrowed */
    int ifd;   /* inotify, owned */
    int settle_ms, rescan_ms;
    pl_watch_cb cb;
    uv_poll_t poll;
    uv_timer_t timer;
    int open_handles;
    void (*closed_cb)(struct pl_watch *w);
    bool paused;
};

/* True for names the inbox ignores. */
bool pl_watch_ignored(const char *name);

/* Starts watching dirfd (the inbox). The first scan runs on the next loop
 * iteration. Returns 0 or -errno. */
int pl_watch_start(struct pl_watch *w, uv_loop_t *loop, int dirfd, int settle_ms, int rescan_ms,
                   pl_watch_cb cb);

/* Stops reporting names while paused (the service is full); a scan runs on
 * resume so nothing that arrived meanwhile is missed. */
void pl_watch_pause(struct pl_watch *w);
void pl_watch_resume(struct pl_watch *w);

/* Closes the handles; closed_cb runs when they are gone (w may be freed then). */
void pl_watch_close(struct pl_watch *w, void (*closed_cb)(struct pl_watch *w));

/* The readiness test above, for one name. from_event: a close-after-write or
 * rename-in event named it. Returns 1 ready, 0 not yet, -errno gone/error. */
int pl_watch_is_ready(int dirfd, const char *name, int settle_ms, bool from_event);

#endif
