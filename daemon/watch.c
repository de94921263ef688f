/* Inbox watcher; see watch.h. */
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int s_ends(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

bool pl_watch_ignored(const char *name)
{
    return name[0] == '.' || s_ends(name, ".tmp") || s_ends(name, ".part") ||
           s_ends(name, ".swp") || s_ends(name, "~");
}

static long long s_age_ms(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (long long)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static int s_settled(const struct stat *st, int settle_ms)
{
    return s_age_ms(&st->st_mtim) >= settle_ms;
}

/* The test where no lease can tell whether a writer is busy. A write seen
 * and not yet closed means a writer still holds the file, however long it
 * pauses. Otherwise the file must have been still for settle_ms: its ctime
 * changes with every write, truncate, chmod and rename and cannot be set by
 * a user (an mtime can, by cp -p, mv across file systems or touch -d), so an
 * old ctime means size, mtime and inode under this name have all held. */
static int s_quiet(const struct stat *st, int settle_ms, bool writing)
{
    return !writing && s_age_ms(&st->st_ctim) >= settle_ms;
}

int pl_watch_probe_fd(int dirfd, const char *name, int settle_ms, bool from_event, bool writing,
                      int *keep)
{
    if (keep)
        *keep = -1;
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return s_settled(&st, settle_ms);
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return -ENOENT;
        /* A file we may not read would otherwise wait here forever: report
         * it once its writer is done, so the service claims it and fails it
         * with the reason. */
        if (errno == EACCES || errno == EPERM)
            return s_quiet(&st, settle_ms, writing);
        return 0;
    }
    /* A read lease is refused (EAGAIN) while anyone has the file open for
     * writing: the one reliable "writer still busy" signal on Linux. The
     * lease goes with the descriptor's close (it belongs to the open file),
     * so no F_UNLCK is needed. Where the verdict rests on times, they are
     * the opened inode's, not whatever the name meant before: a name named
     * by an event whose lease is granted needs none (four system calls, not
     * six, for each file that arrives). */
    int ready;
    bool leased = false;
    if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
        leased = true;
        ready = from_event || (fstat(fd, &st) == 0 && s_settled(&st, settle_ms));
    } else if (errno == EAGAIN || errno == EBUSY) {
        ready = 0;
    } else {
        /* Not our file (EACCES/EPERM without CAP_LEASE), or a file system
         * without leases: the events and the ctime must tell. */
        ready = fstat(fd, &st) == 0 && s_quiet(&st, settle_ms, writing);
    }
    /* A file ready under a lease is handed on open, the lease held, so that
     * the claim reads what the lease vouched for without opening it again;
     * no writer can open it meanwhile (its open waits for our close). */
    if (keep && leased && ready == 1) {
        *keep = fd;
        return 1;
    }
    close(fd);
    return ready;
}

int pl_watch_probe(int dirfd, const char *name, int settle_ms, bool from_event, bool writing)
{
    return pl_watch_probe_fd(dirfd, name, settle_ms, from_event, writing, NULL);
}

int pl_watch_is_ready(int dirfd, const char *name, int settle_ms, bool from_event)
{
    return pl_watch_probe(dirfd, name, settle_ms, from_event, false);
}

static void s_scan(struct pl_watch *w);

static void s_on_timer(uv_timer_t *t)
{
    struct pl_watch *w = t->data;
    s_scan(w);
}

static void s_schedule(struct pl_watch *w, int ms)
{
    if (uv_is_closing((uv_handle_t *)&w->timer))
        return;
    uint64_t due = uv_now(w->loop) + (uint64_t)ms;
    /* Keep an earlier scan that is already due. */
    if (uv_is_active((uv_handle_t *)&w->timer) &&
        uv_timer_get_due_in(&w->timer) + uv_now(w->loop) <= due)
        return;
    uv_timer_start(&w->timer, s_on_timer, (uint64_t)ms, 0);
}

static void s_scan(struct pl_watch *w)
{
    if (w->paused)
        return;
    int fd = dup(w->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    int waiting = 0;
    if (!d) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        if (e != w->scan_errno) {
            char eb[128];
            PL_ERR("cannot scan the inbox: %s; retrying until it works",
                   pl_strerror(-e, eb, sizeof(eb)));
        }
        w->scan_errno = e;
        /* Descriptors run out for a moment (EMFILE): retry soon. */
        waiting = 1;
    } else {
        if (w->scan_errno != 0)
            PL_INFO("the inbox can be scanned again");
        w->scan_errno = 0;
        rewinddir(d);
        /* "Still for settle_ms and no write in that time" needs settle_ms
         * of events: until then, a file we cannot lease waits. Without
         * inotify no write is ever seen, and the ctime alone judges. */
        bool blind = w->ifd >= 0 && uv_now(w->loop) < w->seen_from_ms + (uint64_t)w->settle_ms;
        struct dirent *e;
        while ((e = readdir(d)) && !w->paused) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
                pl_watch_ignored(e->d_name) || (w->known && w->known(w, e->d_name)))
                continue;
            bool writing = blind || pl_nameset_contains(&w->writing, e->d_name);
            int pfd;
            int r = pl_watch_probe_fd(w->dirfd, e->d_name, w->settle_ms, false, writing, &pfd);
            if (r == 1)
                w->cb(w, e->d_name, pfd);
            else if (r == 0)
                waiting = 1;
        }
        closedir(d);
    }
    int next = w->rescan_ms;
    if (waiting && w->settle_ms / 2 + 50 < next)
        next = w->settle_ms / 2 + 50;
    s_schedule(w, next);
}

/* Keeps the set of names being written. Runs for every event, paused or
 * not, so a pause never loses a write or a close. */
static void s_track(struct pl_watch *w, const struct inotify_event *ev)
{
    bool add = false;
    if (ev->mask & IN_MODIFY) {
        add = true;
    } else if (ev->mask & IN_CREATE) {
        /* An empty new regular file is a writer that has not written yet
         * (open with O_CREAT); its close-write will come. A file that
         * already has content was either linked in finished (maildir's
         * link from tmp/), for which no close-write comes, or written
         * since, and then its IN_MODIFY follows in the queue. */
        struct stat st;
        add = fstatat(w->dirfd, ev->name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
              st.st_size == 0;
    } else if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)) {
        /* A close-write follows the writer's last write; a rename in brings
         * an inode written elsewhere; a name gone is forgotten. */
        pl_nameset_remove(&w->writing, ev->name);
    }
    if (add && pl_nameset_add(&w->writing, ev->name) != 0)
        PL_WARN("%s: out of memory noting a write; it is judged by its age alone", ev->name);
}

/* The events that may make a name ready; the others schedule a look. */
static void s_on_event(struct pl_watch *w, const struct inotify_event *ev)
{
    if (w->known && w->known(w, ev->name))
        return; /* queued already: the service claims what is there then */
    if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
        bool writing = pl_nameset_contains(&w->writing, ev->name);
        int fd;
        int r = pl_watch_probe_fd(w->dirfd, ev->name, w->settle_ms, true, writing, &fd);
        if (r == 1)
            w->cb(w, ev->name, fd);
        else if (r == 0)
            s_schedule(w, w->settle_ms / 2 + 50);
    } else if (ev->mask & IN_CREATE) {
        /* Folders, symlinks and files still being written: look
         * again once they could have settled. */
        s_schedule(w, w->settle_ms + 50);
    }
}

/* After an overflow the close-writes of some names may be lost; rather than
 * wait for them forever, those names go back to being judged by their ctime
 * and by the writes seen in the settle_ms after the overflow, as at start. */
static void s_forget_writes(struct pl_watch *w)
{
    w->seen_from_ms = uv_now(w->loop);
    struct pl_nameset fresh;
    if (pl_nameset_init(&fresh) != 0)
        return;
    pl_nameset_free(&w->writing);
    w->writing = fresh;
}

static void s_on_inotify(uv_poll_t *p, int status, int events)
{
    struct pl_watch *w = p->data;
    (void)events;
    if (status < 0)
        return;
    char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(w->ifd, buf, sizeof(buf));
        if (n <= 0)
            break;
        /* A read that left room for another event took the whole queue:
         * no second read to hear EAGAIN (events after it wake the poll). */
        bool drained = (size_t)n <= sizeof(buf) - sizeof(struct inotify_event) - NAME_MAX - 1;
        for (char *q = buf; q < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)q;
            q += sizeof(*ev) + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                PL_WARN("inotify queue overflowed; rescanning the inbox");
                s_forget_writes(w);
                s_schedule(w, 0);
                continue;
            }
            if (ev->mask & IN_IGNORED) {
                PL_ERR("the inbox folder was removed or unmounted; no new files will be seen");
                continue;
            }
            if (!ev->len || pl_watch_ignored(ev->name))
                continue;
            s_track(w, ev);
            if (!w->paused)
                s_on_event(w, ev);
        }
        if (drained)
            break;
    }
}

/* Sets w up; with_inotify adds the inotify descriptor and its uv_poll. */
static int s_start(struct pl_watch *w, uv_loop_t *loop, int dirfd, int settle_ms, int rescan_ms,
                   pl_watch_cb cb, bool with_inotify)
{
    void *data = w->data;
    pl_watch_known_cb known = w->known;
    memset(w, 0, sizeof(*w));
    w->data = data;
    w->known = known;
    w->loop = loop;
    w->dirfd = dirfd;
    w->ifd = -1;
    w->settle_ms = settle_ms;
    w->rescan_ms = rescan_ms;
    w->cb = cb;
    /* The loop's cached time may be from before a long start. */
    uv_update_time(loop);
    w->seen_from_ms = uv_now(loop);
    int rc = pl_nameset_init(&w->writing);
    if (rc != 0)
        return rc;
    if (with_inotify) {
        w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (w->ifd < 0) {
            rc = -errno;
            pl_nameset_free(&w->writing);
            return rc;
        }
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", dirfd);
        uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY | IN_MOVED_FROM |
                        IN_DELETE | IN_ONLYDIR;
        rc = inotify_add_watch(w->ifd, path, mask) < 0 ? -errno
                                                       : uv_poll_init(loop, &w->poll, w->ifd);
        if (rc != 0) {
            close(w->ifd);
            pl_nameset_free(&w->writing);
            return rc;
        }
        w->poll.data = w;
        w->open_handles++;
    }
    rc = uv_timer_init(loop, &w->timer);
    if (rc != 0) {
        if (w->ifd >= 0)
            close(w->ifd);
        pl_nameset_free(&w->writing);
        return rc;
    }
    w->timer.data = w;
    w->open_handles++;
    if (w->ifd >= 0)
        uv_poll_start(&w->poll, UV_READABLE, s_on_inotify);
    uv_timer_start(&w->timer, s_on_timer, 0, 0);
    return 0;
}

int pl_watch_start(struct pl_watch *w, uv_loop_t *loop, int dirfd, int settle_ms, int rescan_ms,
                   pl_watch_cb cb)
{
    return s_start(w, loop, dirfd, settle_ms, rescan_ms, cb, true);
}

int pl_watch_start_poll(struct pl_watch *w, uv_loop_t *loop, int dirfd, int settle_ms, int poll_ms,
                        pl_watch_cb cb)
{
    return s_start(w, loop, dirfd, settle_ms, poll_ms, cb, false);
}

/* Not in every linux/magic.h. */
#ifndef GFS2_MAGIC
#define GFS2_MAGIC 0x01161970
#endif
#define PL_VBOXSF_MAGIC 0x786f4256 /* VirtualBox shared folders */

const char *pl_watch_untrusted_fs(unsigned long f_type)
{
    /* statfs's f_type is a signed word on 32-bit systems: compare the low
     * 32 bits, where every magic number lives. */
    static const struct {
        uint32_t magic;
        const char *name;
    } fs[] = {
        { NFS_SUPER_MAGIC, "NFS" },       { SMB_SUPER_MAGIC, "SMB" },
        { CIFS_SUPER_MAGIC, "SMB/CIFS" }, { SMB2_SUPER_MAGIC, "SMB2" },
        { FUSE_SUPER_MAGIC, "FUSE" },     { V9FS_MAGIC, "9p" },
        { CODA_SUPER_MAGIC, "Coda" },     { AFS_SUPER_MAGIC, "AFS" },
        { AFS_FS_MAGIC, "AFS" },          { CEPH_SUPER_MAGIC, "Ceph" },
        { OCFS2_SUPER_MAGIC, "OCFS2" },   { GFS2_MAGIC, "GFS2" },
        { PL_VBOXSF_MAGIC, "vboxsf" },
    };
    for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
        if ((uint32_t)f_type == fs[i].magic)
            return fs[i].name;
    return NULL;
}

enum pl_watch_mode pl_watch_decide(enum pl_watch_mode configured, unsigned long f_type)
{
    if (configured != PL_WATCH_AUTO)
        return configured;
    return pl_watch_untrusted_fs(f_type) ? PL_WATCH_POLL : PL_WATCH_INOTIFY;
}

void pl_watch_pause(struct pl_watch *w)
{
    w->paused = true;
}

void pl_watch_resume(struct pl_watch *w)
{
    if (!w->paused)
        return;
    w->paused = false;
    s_schedule(w, 0);
}

static void s_closed(uv_handle_t *h)
{
    struct pl_watch *w = h->data;
    if (--w->open_handles == 0) {
        if (w->ifd >= 0)
            close(w->ifd);
        w->ifd = -1;
        pl_nameset_free(&w->writing);
        if (w->closed_cb)
            w->closed_cb(w);
    }
}

void pl_watch_close(struct pl_watch *w, void (*closed_cb)(struct pl_watch *w))
{
    w->closed_cb = closed_cb;
    w->paused = true;
    if (w->ifd >= 0) {
        uv_poll_stop(&w->poll);
        uv_close((uv_handle_t *)&w->poll, s_closed);
    }
    uv_timer_stop(&w->timer);
    uv_close((uv_handle_t *)&w->timer, s_closed);
}
