/* Spool folders and moves; see spool.h. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

#define TMP_PREFIX ".pl-tmp-"

static int s_mkdirs(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int s_open_dir(const char *path, int *fd, char *err, size_t errlen)
{
    int rc = s_mkdirs(path);
    if (rc == 0) {
        *fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (*fd < 0)
            rc = -errno;
    }
    if (rc != 0) {
        char eb[128];
        snprintf(err, errlen, "cannot create or open the folder %s: %s", path,
                 pl_strerror(rc, eb, sizeof(eb)));
        return rc;
    }
    return 0;
}

/* The pid written in an open lock file, or 0 when it holds none yet. */
static long s_lock_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *end;
    errno = 0;
    long pid = strtol(buf, &end, 10);
    return errno || end == buf || pid <= 0 ? 0 : pid;
}

/* Takes spool/lock for this process and writes its pid there. flock, not a
 * pid file alone: the kernel drops the lock when the process dies, even by
 * SIGKILL, so a crash never leaves a stale lock behind. A conflict is tried
 * again for a moment, as it may be a `presslined --check` probing (a shared
 * lock held for microseconds) or a daemon that has the lock but has not yet
 * written its pid. */
static int s_lock(struct pl_spool *sp, const char *spool, char *err, size_t errlen)
{
    char eb[128];
    sp->lock_fd = openat(sp->spool_fd, PL_SPOOL_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (sp->lock_fd < 0) {
        int rc = -errno;
        snprintf(err, errlen, "cannot open the lock file %s/%s: %s", spool, PL_SPOOL_LOCK,
                 pl_strerror(rc, eb, sizeof(eb)));
        return rc;
    }
    int rc = 0;
    for (int tries = 0; tries < 20; tries++) {
        rc = flock(sp->lock_fd, LOCK_EX | LOCK_NB) == 0 ? 0 : -errno;
        if (rc != -EWOULDBLOCK)
            break;
        usleep(10000);
    }
    if (rc == -EWOULDBLOCK) {
        long pid = s_lock_pid(sp->lock_fd);
        char who[32] = "pid unknown";
        if (pid > 0)
            snprintf(who, sizeof(who), "pid %ld", pid);
        snprintf(err, errlen,
                 "the spool %s is in use by another presslined (%s); one daemon per spool", spool,
                 who);
        return -EBUSY;
    }
    if (rc == 0) {
        char pid[32];
        int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
        ssize_t w;
        if (ftruncate(sp->lock_fd, 0) != 0)
            rc = -errno;
        else if ((w = pwrite(sp->lock_fd, pid, (size_t)n, 0)) != n)
            rc = w < 0 ? -errno : -ENOSPC; /* a short write of a dozen bytes */
    }
    if (rc != 0)
        snprintf(err, errlen, "cannot lock %s/%s: %s", spool, PL_SPOOL_LOCK,
                 pl_strerror(rc, eb, sizeof(eb)));
    return rc;
}

int pl_spool_lock_holder(const char *spool, long *pid)
{
    char path[PATH_MAX];
    *pid = 0;
    if (snprintf(path, sizeof(path), "%s/%s", spool, PL_SPOOL_LOCK) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
    /* A shared lock conflicts only with the daemon's exclusive one, and is
     * dropped at once. */
    int rc = flock(fd, LOCK_SH | LOCK_NB) == 0 ? 0 : -errno;
    if (rc == 0) {
        flock(fd, LOCK_UN);
    } else if (rc == -EWOULDBLOCK) {
        *pid = s_lock_pid(fd);
        rc = 1;
    }
    close(fd);
    return rc;
}

int pl_spool_open(struct pl_spool *sp, const struct pl_config *cfg, char *err, size_t errlen)
{
    memset(sp, 0, sizeof(*sp));
    sp->inbox_fd = sp->work_fd = sp->outbox_fd = sp->done_fd = sp->failed_fd = sp->spool_fd = -1;
    sp->lock_fd = -1;
    sp->inbox = cfg->inbox;
    sp->outbox = cfg->outbox;
    sp->done = cfg->done;
    sp->failed = cfg->failed;
    sp->durable = cfg->durable;
    sp->follow_symlinks = cfg->follow_symlinks;
    char work[PATH_MAX];
    snprintf(work, sizeof(work), "%s/work", cfg->spool);
    int rc;
    if ((rc = s_open_dir(cfg->inbox, &sp->inbox_fd, err, errlen)) ||
        (rc = s_open_dir(cfg->spool, &sp->spool_fd, err, errlen)) ||
        (rc = s_lock(sp, cfg->spool, err, errlen)) ||
        (rc = s_open_dir(work, &sp->work_fd, err, errlen)) ||
        (rc = s_open_dir(cfg->outbox, &sp->outbox_fd, err, errlen)) ||
        (rc = s_open_dir(cfg->failed, &sp->failed_fd, err, errlen)) ||
        (!cfg->delete_on_success && (rc = s_open_dir(cfg->done, &sp->done_fd, err, errlen)))) {
        pl_spool_close(sp);
        return rc;
    }
    /* A rename is atomic only within one file system. */
    struct stat a, b;
    if (fstat(sp->inbox_fd, &a) == 0 && fstat(sp->work_fd, &b) == 0 && a.st_dev != b.st_dev) {
        snprintf(err, errlen,
                 "the inbox %s and the spool %s must be on the same file system "
                 "(files are claimed by rename)",
                 cfg->inbox, cfg->spool);
        pl_spool_close(sp);
        return -EXDEV;
    }
    return 0;
}

void pl_spool_close(struct pl_spool *sp)
{
    /* The lock goes last, when nothing of the spool is held any more. */
    int *fds[] = { &sp->inbox_fd,  &sp->work_fd,  &sp->outbox_fd, &sp->done_fd,
                   &sp->failed_fd, &sp->spool_fd, &sp->lock_fd };
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
}

static void s_make_key(char key[PL_KEY_LEN + 1])
{
    /* Unique across runs: wall-clock ms and a counter. */
    static atomic_uint counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long long ms =
        (unsigned long long)ts.tv_sec * 1000ull + (unsigned long long)ts.tv_nsec / 1000000ull;
    snprintf(key, PL_KEY_LEN + 1, "%012llx%06x_", ms & 0xffffffffffffull,
             atomic_fetch_add(&counter, 1) & 0xffffff);
}

/* The longest extension kept whole when a name is shortened: longer, the
 * "extension" is more likely part of the name than a file type. */
#define EXT_MAX 32

/* Writes name into out (room + 1 bytes) whole when it is at most room
 * bytes, else shortened to room bytes: the end of its stem goes, never in
 * the middle of a UTF-8 character, and its extension (from the last ".",
 * up to EXT_MAX bytes) stays, so the file keeps its type. */
static void s_fit_name(const char *name, size_t room, char *out)
{
    size_t len = strlen(name);
    if (len <= room) {
        memcpy(out, name, len + 1);
        return;
    }
    const char *dot = strrchr(name, '.');
    size_t ext =
        dot && dot != name && strlen(dot) <= EXT_MAX && strlen(dot) < room ? strlen(dot) : 0;
    size_t cut = room - ext;
    while (cut > 0 && ((unsigned char)name[cut] & 0xc0) == 0x80)
        cut--; /* name[cut] continues a character: cut before it */
    memcpy(out, name, cut);
    memcpy(out + cut, name + len - ext, ext);
    out[cut + ext] = '\0';
}

/* For tests (pl_spool_test_fallbacks): renameat2's flags refused, as on NFS. */
static atomic_bool s_no_rename2;

/* renameat2(RENAME_NOREPLACE): olddir/old to newdir/new, never over a file
 * there (-EEXIST). Every such move of the spool goes through here. Returns
 * 0 or -errno. */
static int s_rename_noreplace(int olddir, const char *old, int newdir, const char *new)
{
    int rc = -EINVAL;
    if (!atomic_load(&s_no_rename2))
        rc = renameat2(olddir, old, newdir, new, RENAME_NOREPLACE) == 0 ? 0 : -errno;
    /* NFS, 9p and sshfs refuse any flag (EINVAL), as FUSE without rename2
     * and old kernels do (ENOSYS): a link, which also fails with EEXIST
     * rather than replace, then the old name's unlink. A crash between the
     * two leaves two names of one inode, never a lost file: a temp file is
     * swept at the next start; a file in both work/ and the inbox, done/ or
     * failed/ is at worst taken again (its result is already there under
     * its id). A folder cannot be linked (EPERM): refusing it keeps the
     * no-replace promise, and leaves it where it was. */
    if (rc != -EINVAL && rc != -ENOSYS)
        return rc;
    if (linkat(olddir, old, newdir, new, 0) != 0)
        return -errno;
    if (unlinkat(olddir, old, 0) != 0 && errno != ENOENT) {
        /* Not moved after all: as it was before. (ENOENT: the old name is
         * gone already, and the new one is then the file's only name.) */
        rc = -errno;
        unlinkat(newdir, new, 0);
        return rc;
    }
    return 0;
}

int pl_spool_claim(struct pl_spool *sp, const char *name, char *work_name)
{
    char key[PL_KEY_LEN + 1];
    s_make_key(key);
    /* Keep within NAME_MAX: a very long name is shortened in the work name
     * only (the caller keeps the full one), so that even a file recovered
     * from work/ after a crash keeps its extension. */
    memcpy(work_name, key, PL_KEY_LEN);
    s_fit_name(name, NAME_MAX - PL_KEY_LEN, work_name + PL_KEY_LEN);
    if (renameat(sp->inbox_fd, name, sp->work_fd, work_name) != 0)
        return -errno;
    return 0;
}

int pl_spool_unclaim(struct pl_spool *sp, const char *work_name, const char *name)
{
    return s_rename_noreplace(sp->work_fd, work_name, sp->inbox_fd, name);
}

const char *pl_spool_orig_name(const char *work_name)
{
    const char *u = strchr(work_name, '_');
    return u && u - work_name == PL_KEY_LEN - 1 ? u + 1 : work_name;
}

int pl_spool_read(struct pl_spool *sp, const char *work_name, size_t max, void **data, size_t *len)
{
    if (sp->follow_symlinks) {
        /* The claim moved the link itself into work/: a relative target
         * is relative to the inbox, where the link was made. */
        char target[PATH_MAX];
        ssize_t n = readlinkat(sp->work_fd, work_name, target, sizeof(target) - 1);
        if (n >= 0) {
            target[n] = '\0';
            return pl_read_file_at(target[0] == '/' ? AT_FDCWD : sp->inbox_fd, target, max, true,
                                   data, len);
        }
    }
    return pl_read_file_at(sp->work_fd, work_name, max, false, data, len);
}

const char *pl_refusal_reason(int rc, size_t len, size_t max, const char **format, char *buf,
                              size_t n)
{
    char eb[128];
    switch (rc) {
    case -EFBIG:
        snprintf(buf, n, "file is %zu bytes, over the limit of %zu bytes (limits.max_bytes)", len,
                 max);
        break;
    case -ELOOP:
        *format = "symlink";
        snprintf(buf, n,
                 "is a symbolic link; pressline does not follow links out of the "
                 "inbox: move the file itself in");
        break;
    case -EISDIR:
        *format = "directory";
        snprintf(buf, n, "is a folder; pressline takes files only, not folders");
        break;
    case -EINVAL:
        *format = "special";
        snprintf(buf, n, "is not a regular file (a device, fifo or socket)");
        break;
    case -EAGAIN:
        snprintf(buf, n,
                 "changed while it was being read: a writer still has it open; write it "
                 "elsewhere and rename it into the inbox");
        break;
    case -EACCES:
    case -EPERM:
        snprintf(buf, n,
                 "cannot be read: %s (the daemon's user may not open it: make it readable, "
                 "e.g. chmod a+r, before moving it in)",
                 pl_strerror(rc, eb, sizeof(eb)));
        break;
    default: snprintf(buf, n, "cannot be read: %s", pl_strerror(rc, eb, sizeof(eb)));
    }
    return buf;
}

/* Reads the open regular file fd up to max bytes, as pl_read_file_at says
 * after its checks by name. Borrows fd. With expect, -ESTALE when fd is not
 * the inode expect describes. */
static int s_read_fd(int fd, const struct stat *expect, size_t max, void **data, size_t *len)
{
    /* The inode opened, as it was before reading: compared with the same
     * after reading, it tells whether a writer changed it under us. */
    struct stat st, after;
    if (fstat(fd, &st) != 0)
        return -errno;
    if (expect && (st.st_ino != expect->st_ino || st.st_dev != expect->st_dev))
        return -ESTALE;
    if (!S_ISREG(st.st_mode))
        return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
    if ((size_t)st.st_size > max) {
        *len = (size_t)st.st_size;
        return -EFBIG;
    }
    /* Read what is there, up to max + 1 to notice growth past the limit. */
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap + 1);
    int rc = 0;
    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                rc = -EFBIG;
                break;
            }
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                rc = -ENOMEM;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        /* All the bytes the inode had: no read to hear the end of the file
         * (a system call an article). A file that grew meanwhile has another
         * size below, exactly as one that grew after a read of its end. */
        if (n == (size_t)st.st_size)
            break;
    }
    /* The watcher cannot see every writer (without a lease, another
     * account's file is judged by its events and its ctime), so a file that
     * grew, shrank or was written while being read is not taken as read:
     * every write moves the mtime, and the bytes read must be all there is.
     * The ctime is left out here: a rename or chmod moves it too, without
     * touching the bytes. */
    if (rc == 0 && n <= max &&
        (fstat(fd, &after) != 0 || after.st_size != st.st_size || (off_t)n != after.st_size ||
         after.st_mtim.tv_sec != st.st_mtim.tv_sec || after.st_mtim.tv_nsec != st.st_mtim.tv_nsec))
        rc = -EAGAIN;
    if (rc == 0 && n > max)
        rc = -EFBIG;
    if (rc != 0) {
        free(buf);
        *len = n;
        return rc;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

int pl_read_file_at(int dirfd, const char *work_name, size_t max, bool follow, void **data,
                    size_t *len)
{
    /* By name first, so that nothing but a regular file of a size we take
     * is ever opened (opening a device or a fifo can have effects). */
    struct stat st;
    if (fstatat(dirfd, work_name, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) != 0)
        return -errno;
    if (S_ISLNK(st.st_mode))
        return -ELOOP;
    if (S_ISDIR(st.st_mode))
        return -EISDIR;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    if ((size_t)st.st_size > max) {
        *len = (size_t)st.st_size;
        return -EFBIG;
    }
    int fd =
        openat(dirfd, work_name, O_RDONLY | (follow ? 0 : O_NOFOLLOW) | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    int rc = s_read_fd(fd, NULL, max, data, len);
    close(fd);
    return rc;
}

int pl_spool_read_claimed(struct pl_spool *sp, int fd, const char *work_name, size_t max,
                          void **data, size_t *len)
{
    /* The descriptor was opened by the name the claim then renamed, so it
     * is the claimed file unless something renamed another file over that
     * name in between (a producer replacing its file): then the claimed
     * file is the other one, read by its name like any other. */
    struct stat named;
    if (fstatat(sp->work_fd, work_name, &named, AT_SYMLINK_NOFOLLOW) != 0)
        return -errno;
    int rc = s_read_fd(fd, &named, max, data, len);
    if (rc == -ESTALE)
        return pl_spool_read(sp, work_name, max, data, len);
    /* A writer whose open() came while the lease was held waits in it
     * until the lease goes, and then writes: bytes this read cannot have.
     * Its open breaks the lease (F_UNLCK while the kernel waits for us), so
     * the file is taken as changed: the caller puts it back in the inbox
     * before it closes fd, which lets the writer in, and the writer's close
     * brings it back to the watcher. */
    if (rc == 0 && fcntl(fd, F_GETLEASE) != F_RDLCK) {
        free(*data);
        *data = NULL;
        rc = -EAGAIN;
    }
    return rc;
}

int pl_write_atomic(int dirfd, const char *name, const void *data, size_t len, bool durable)
{
    int rc = pl_write_renamed(dirfd, name, data, len, durable);
    if (rc == 0 && durable && fsync(dirfd) != 0)
        return -errno;
    return rc;
}

static int s_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        left -= (size_t)w;
    }
    return 0;
}

/* Writes data into a new temp file of dirfd, whose name goes into tmp
 * (NAME_MAX + 1), closed and fdatasynced when durable. Returns 0 or -errno
 * (no temp file left then). */
static int s_write_temp(int dirfd, char *tmp, const void *data, size_t len, bool durable)
{
    static atomic_uint counter;
    /* The pid once per process, not a system call per file (glibc does not
     * cache it); presslined and pressline never fork without exec. */
    static atomic_int pid;
    if (atomic_load(&pid) == 0)
        atomic_store(&pid, (int)getpid());
    snprintf(tmp, NAME_MAX + 1, TMP_PREFIX "%d-%u", atomic_load(&pid),
             atomic_fetch_add(&counter, 1));
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    int rc = s_write_all(fd, data, len);
    if (rc == 0 && durable && fdatasync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc != 0)
        unlinkat(dirfd, tmp, 0);
    return rc;
}

int pl_write_renamed(int dirfd, const char *name, const void *data, size_t len, bool durable)
{
    char tmp[NAME_MAX + 1];
    int rc = s_write_temp(dirfd, tmp, data, len, durable);
    if (rc == 0 && renameat(dirfd, tmp, dirfd, name) != 0) {
        rc = -errno;
        unlinkat(dirfd, tmp, 0);
    }
    return rc;
}

/* How an unnamed file gets its name here, learnt by the first link: 0 not
 * known yet, 1 linkat(AT_EMPTY_PATH) (Linux 6.10 lets a process link a
 * file it opened; before, that took CAP_DAC_READ_SEARCH), 2 the file's
 * /proc/self/fd link followed (any kernel with O_TMPFILE, /proc mounted). */
static atomic_int s_link_how;
/* Set once an O_TMPFILE open says the file system cannot make one. */
static atomic_bool s_no_tmpfile;

static int s_link_unnamed(int fd, int dirfd, const char *name)
{
    int how = atomic_load(&s_link_how);
    if (how != 2) {
        if (linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0) {
            atomic_store(&s_link_how, 1);
            return 0;
        }
        /* Without the right to, the empty path is looked up as a name:
         * ENOENT. */
        if (how == 1 || (errno != ENOENT && errno != EPERM))
            return -errno;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    if (linkat(AT_FDCWD, path, dirfd, name, AT_SYMLINK_FOLLOW) != 0)
        return -errno;
    atomic_store(&s_link_how, 2);
    return 0;
}

void pl_spool_test_fallbacks(bool no_tmpfile, bool no_rename2)
{
    atomic_store(&s_no_tmpfile, no_tmpfile);
    atomic_store(&s_no_rename2, no_rename2);
}

int pl_write_new(int dirfd, const char *name, const void *data, size_t len, bool durable)
{
    if (!atomic_load(&s_no_tmpfile)) {
        int fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
        if (fd >= 0) {
            /* Written and synced before it has a name, then the folder's
             * sync (the caller's, once a batch) makes the name durable: the
             * order systemd's link_tmpfile() keeps with LINK_TMPFILE_SYNC. */
            int rc = s_write_all(fd, data, len);
            if (rc == 0 && durable && fdatasync(fd) != 0)
                rc = -errno;
            bool unlinkable = false;
            if (rc == 0) {
                rc = s_link_unnamed(fd, dirfd, name);
                /* Neither way to name it works here (a kernel before 6.10
                 * without /proc): the temp file's way from now on. */
                unlinkable = (rc == -ENOENT || rc == -EPERM) && atomic_load(&s_link_how) == 0;
            }
            if (close(fd) != 0 && rc == 0) {
                /* Named already, but its bytes may not all be there. */
                rc = -errno;
                unlinkat(dirfd, name, 0);
            }
            if (!unlinkable)
                return rc;
        } else if (errno != EOPNOTSUPP && errno != EISDIR) {
            /* EOPNOTSUPP: this file system; EISDIR: a kernel without
             * O_TMPFILE (it includes O_DIRECTORY). */
            return -errno;
        }
        atomic_store(&s_no_tmpfile, true);
    }
    char tmp[NAME_MAX + 1];
    int rc = s_write_temp(dirfd, tmp, data, len, durable);
    if (rc == 0 && (rc = s_rename_noreplace(dirfd, tmp, dirfd, name)) != 0)
        unlinkat(dirfd, tmp, 0);
    return rc;
}

/* Renames work/<work_name> into dirfd as name, kept to room bytes (see
 * s_fit_name), or with ".<key>" appended (the name shortened further when
 * it must) when that name is taken: never over another file. */
static int s_move_out(struct pl_spool *sp, const char *work_name, const char *name, size_t room,
                      int dirfd, char *out_name)
{
    s_fit_name(name, room, out_name);
    int rc = s_rename_noreplace(sp->work_fd, work_name, dirfd, out_name);
    if (rc != -EEXIST)
        return rc;
    const char *orig = pl_spool_orig_name(work_name);
    size_t keylen = orig > work_name ? (size_t)(orig - work_name - 1) : 0;
    s_fit_name(name, room - 1 - keylen, out_name);
    size_t n = strlen(out_name);
    out_name[n] = '.';
    memcpy(out_name + n + 1, work_name, keylen);
    out_name[n + 1 + keylen] = '\0';
    return s_rename_noreplace(sp->work_fd, work_name, dirfd, out_name);
}

int pl_spool_done(struct pl_spool *sp, const char *work_name, const char *name, bool del)
{
    if (del)
        return unlinkat(sp->work_fd, work_name, 0) == 0 || errno == ENOENT ? 0 : -errno;
    char out[NAME_MAX + 1];
    return s_move_out(sp, work_name, name, NAME_MAX, sp->done_fd, out);
}

int pl_spool_move_failed(struct pl_spool *sp, const char *work_name, const char *name,
                         char *out_name)
{
    /* Room for the record beside it: <out_name>.error.json. */
    return s_move_out(sp, work_name, name, NAME_MAX - strlen(PL_ERROR_SUFFIX), sp->failed_fd,
                      out_name);
}

int pl_spool_list_work(struct pl_spool *sp, char ***names, size_t *n)
{
    int fd = dup(sp->work_fd);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    rewinddir(d);
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 64;
            char **nv = realloc(v, cap * sizeof(*nv));
            if (!nv) {
                rc = -ENOMEM;
                break;
            }
            v = nv;
        }
        if (!(v[cnt] = strdup(e->d_name))) {
            rc = -ENOMEM;
            break;
        }
        cnt++;
    }
    closedir(d);
    if (rc != 0) {
        for (size_t i = 0; i < cnt; i++)
            free(v[i]);
        free(v);
        return rc;
    }
    *names = v;
    *n = cnt;
    return 0;
}

static void s_sweep(int dirfd)
{
    int fd = dup(dirfd);
    if (fd < 0)
        return;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    rewinddir(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0)
            unlinkat(dirfd, e->d_name, 0);
    closedir(d);
}

void pl_spool_sweep_temp(struct pl_spool *sp)
{
    s_sweep(sp->outbox_fd);
    s_sweep(sp->failed_fd);
    s_sweep(sp->spool_fd);
}
