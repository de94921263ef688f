/* Inbox watcher; see watch.h. */
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

static int s_settled(const struct stat *st, int settle_ms)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long long age_ms = (long long)(now.tv_sec - st->st_mtim.tv_sec) * 1000 +
                       (now.tv_nsec - st->st_mtim.tv_nsec) / 1000000;
    return age_ms >= settle_ms;
}

int pl_watch_is_ready(int dirfd, const char *name, int settle_ms, bool from_event)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return s_settled(&st, settle_ms);
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -ENOENT : 0;
    /* A read lease is refused (EAGAIN) while anyone has the file open for
     * writing: the one reliable "writer still busy" signal on Linux. */
    int ready;
    if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
        fcntl(fd, F_SETLEASE, F_UNLCK);
        ready = from_event || s_settled(&st, settle_ms);
    } else if (errno == EAGAIN || errno == EBUSY) {
        ready = 0;
    } else {
        /* Not our file or a file system without leases: time alone. */
        ready = s_settled(&st, settle_ms);
    }
    close(fd);
    return ready;
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
        char eb[128];
        PL_ERR("cannot scan the inbox: %s", pl_strerror(errno, eb, sizeof(eb)));
        if (fd >= 0)
            close(fd);
    } else {
        rewinddir(d);
        struct dirent *e;
        while ((e = readdir(d)) && !w->paused) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || pl_watch_ignored(e->d_name))
                continue;
            int r = pl_watch_is_ready(w->dirfd, e->d_name, w->settle_ms, false);
            if (r == 1)
                w->cb(w, e->d_name);
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
        for (char *q = buf; q < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)q;
            q += sizeof(*ev) + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                PL_WARN("inotify queue overflowed; rescanning the inbox");
                s_schedule(w, 0);
                continue;
            }
            if (ev->mask & IN_IGNORED) {
                PL_ERR("the inbox folder was removed or unmounted; no new files will be seen");
                continue;
            }
            if (!ev->len || pl_watch_ignored(ev->name) || w->paused)
                continue;
            if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
                int r = pl_watch_is_ready(w->dirfd, ev->name, w->settle_ms, true);
                if (r == 1)
                    w->cb(w, ev->name);
                else if (r == 0)
                    s_schedule(w, w->settle_ms / 2 + 50);
            } else if (ev->mask & IN_CREATE) {
                /* Folders, symlinks and files still being written: look
                 * again once they could have settled. */
                s_schedule(w, w->settle_ms + 50);
            }
        }
    }
}

int pl_watch_start(struct pl_watch *w, uv_loop_t *loop, int dirfd, int settle_ms, int rescan_ms,
                   pl_watch_cb cb)
{
    void *data = w->data;
    memset(w, 0, sizeof(*w));
    w->data = data;
    w->loop = loop;
    w->dirfd = dirfd;
    w->settle_ms = settle_ms;
    w->rescan_ms = rescan_ms;
    w->cb = cb;
    w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->ifd < 0)
        return -errno;
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", dirfd);
    if (inotify_add_watch(w->ifd, path, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ONLYDIR) <
        0) {
        int e = errno;
        close(w->ifd);
        return -e;
    }
    int rc = uv_poll_init(loop, &w->poll, w->ifd);
    if (rc == 0)
        rc = uv_timer_init(loop, &w->timer);
    if (rc != 0) {
        close(w->ifd);
        return rc;
    }
    w->poll.data = w;
    w->timer.data = w;
    w->open_handles = 2;
    uv_poll_start(&w->poll, UV_READABLE, s_on_inotify);
    uv_timer_start(&w->timer, s_on_timer, 0, 0);
    return 0;
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
        close(w->ifd);
        w->ifd = -1;
        if (w->closed_cb)
            w->closed_cb(w);
    }
}

void pl_watch_close(struct pl_watch *w, void (*closed_cb)(struct pl_watch *w))
{
    w->closed_cb = closed_cb;
    w->paused = true;
    uv_poll_stop(&w->poll);
    uv_timer_stop(&w->timer);
    uv_close((uv_handle_t *)&w->poll, s_closed);
    uv_close((uv_handle_t *)&w->timer, s_closed);
}
