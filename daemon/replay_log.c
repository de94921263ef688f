/* The replay index on disk; see replay_log.h. */
#include "replay_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"

#define HDR_SIZE 128
#define REC_HEAD 16
#define VERSION 1
static const char s_magic[8] = { 'P', 'L', 'R', 'I', 'D', 'X', '1', '\n' };

/* A folder as the header records it. */
struct stamp {
    uint64_t dev, ino, sec, nsec;
};

struct header {
    char magic[8];
    uint32_t version, hsize;
    uint64_t count, bytes, last_seq;
    struct stamp outbox, failed;
    uint32_t check; /* over everything before it */
};

static uint32_t s_fnv(const void *p, size_t n, uint32_t h)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 16777619u;
    return h;
}

static int s_stamp(int fd, struct stamp *s)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -errno;
    *s = (struct stamp){ (uint64_t)st.st_dev, (uint64_t)st.st_ino, (uint64_t)st.st_mtim.tv_sec,
                         (uint64_t)st.st_mtim.tv_nsec };
    return 0;
}

static void s_put_u64(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static uint64_t s_get_u64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* The header as 128 bytes, its check filled in. */
static void s_header_bytes(const struct pl_replay_log *l, const struct stamp *ob,
                           const struct stamp *fb, unsigned char out[HDR_SIZE])
{
    struct header h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, s_magic, sizeof(s_magic));
    h.version = VERSION;
    h.hsize = HDR_SIZE;
    h.count = l->count;
    h.bytes = l->bytes;
    h.last_seq = l->last_seq;
    h.outbox = *ob;
    h.failed = *fb;
    h.check = s_fnv(&h, offsetof(struct header, check), 2166136261u);
    memset(out, 0, HDR_SIZE);
    memcpy(out, &h, sizeof(h));
}

/* Appends one record to l->buf. */
static int s_buf_add(struct pl_replay_log *l, uint64_t seq, bool is_error, const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 0xffff)
        return -EINVAL;
    if (l->len + REC_HEAD + n > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4096;
        while (cap < l->len + REC_HEAD + n)
            cap *= 2;
        char *b = realloc(l->buf, cap);
        if (!b)
            return -ENOMEM;
        l->buf = b;
        l->cap = cap;
    }
    unsigned char *p = (unsigned char *)l->buf + l->len;
    s_put_u64(p, seq);
    p[8] = is_error ? 1 : 0;
    p[9] = 0;
    uint16_t len16 = (uint16_t)n;
    memcpy(p + 10, &len16, 2);
    memcpy(p + 16, name, n);
    uint32_t c = s_fnv(p, 12, 2166136261u);
    c = s_fnv(name, n, c);
    memcpy(p + 12, &c, 4);
    l->len += REC_HEAD + n;
    return 0;
}

static int s_write_all(int fd, const void *data, size_t len, off_t off)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = pwrite(fd, p, len, off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        len -= (size_t)w;
        off += w;
    }
    return 0;
}

/* Fills r from the index image data (len bytes). Returns 0, or -EBADMSG with
 * why set when it is not to be trusted. A tail past the committed end (an
 * append never committed) is left for pl_replay_log_open to cut. */
static int s_parse(struct pl_replay_log *l, struct pl_replay *r, const unsigned char *data,
                   size_t len, const char *outbox, const char *failed)
{
    struct header h;
    if (len < HDR_SIZE) {
        snprintf(l->why, sizeof(l->why), "it is shorter than its header");
        return -EBADMSG;
    }
    memcpy(&h, data, sizeof(h));
    if (memcmp(h.magic, s_magic, sizeof(s_magic)) != 0 || h.version != VERSION ||
        h.hsize != HDR_SIZE || h.check != s_fnv(&h, offsetof(struct header, check), 2166136261u)) {
        snprintf(l->why, sizeof(l->why), "its header is not valid");
        return -EBADMSG;
    }
    if (h.bytes < HDR_SIZE || h.bytes > len) {
        snprintf(l->why, sizeof(l->why), "it is shorter than its header says (torn)");
        return -EBADMSG;
    }
    struct stamp ob, fb;
    if (s_stamp(l->outbox_fd, &ob) != 0 || s_stamp(l->failed_fd, &fb) != 0 ||
        memcmp(&ob, &h.outbox, sizeof(ob)) != 0 || memcmp(&fb, &h.failed, sizeof(fb)) != 0) {
        snprintf(l->why, sizeof(l->why), "outbox/ or failed/ changed since it was written");
        return -EBADMSG;
    }
    size_t off = HDR_SIZE;
    uint64_t prev = 0, n = 0;
    char path[4096];
    while (off < h.bytes) {
        const unsigned char *p = data + off;
        uint16_t nl;
        uint32_t c;
        if (h.bytes - off < REC_HEAD)
            break;
        memcpy(&nl, p + 10, 2);
        memcpy(&c, p + 12, 4);
        if (nl == 0 || h.bytes - off - REC_HEAD < nl || p[8] > 1 ||
            c != s_fnv(p + 16, nl, s_fnv(p, 12, 2166136261u)))
            break;
        uint64_t seq = s_get_u64(p);
        if (seq <= prev)
            break;
        if (memchr(p + 16, '/', nl) || memchr(p + 16, '\0', nl))
            break;
        int w = snprintf(path, sizeof(path), "%s/%.*s", p[8] ? failed : outbox, (int)nl,
                         (const char *)(p + 16));
        if (w < 0 || (size_t)w >= sizeof(path))
            break;
        if (pl_replay_add(r, seq, p[8], path) != 0)
            return -ENOMEM;
        prev = seq;
        n++;
        off += REC_HEAD + nl;
    }
    if (off != h.bytes || n != h.count || prev != h.last_seq) {
        snprintf(l->why, sizeof(l->why), "a record does not check out (torn or corrupt)");
        return -EBADMSG;
    }
    l->count = h.count;
    l->bytes = h.bytes;
    l->last_seq = h.last_seq;
    return 0;
}

/* Reads and checks the index. Returns 0 with r filled, or a negative code
 * with l->why set (r is then emptied). */
static int s_load(struct pl_replay_log *l, struct pl_replay *r, const char *outbox,
                  const char *failed)
{
    void *data = NULL;
    size_t len = 0;
    int rc = pl_read_file_at(l->spool_fd, PL_REPLAY_LOG_NAME, (size_t)1 << 40, false, &data, &len);
    if (rc != 0) {
        char eb[128];
        snprintf(l->why, sizeof(l->why), "it cannot be read (%s)",
                 rc == -ENOENT ? "there is none" : pl_strerror(rc, eb, sizeof(eb)));
        return rc;
    }
    rc = s_parse(l, r, data, len, outbox, failed);
    free(data);
    if (rc == -ENOMEM)
        return rc;
    if (rc != 0) {
        pl_replay_close(r);
        memset(r, 0, sizeof(*r));
        return rc;
    }
    return 0;
}

/* Writes a fresh index of r's entries, stamped with ob and fb (taken before
 * the folders were read), in place of any. Returns 0 or -errno. */
static int s_rewrite(struct pl_replay_log *l, const struct pl_replay *r, const struct stamp *ob,
                     const struct stamp *fb)
{
    l->len = HDR_SIZE;
    if (!l->buf || l->cap < HDR_SIZE) {
        free(l->buf);
        l->buf = malloc(HDR_SIZE);
        l->cap = l->buf ? HDR_SIZE : 0;
        if (!l->buf)
            return -ENOMEM;
    }
    uint64_t last = 0;
    for (size_t i = 0; i < r->n; i++) {
        const char *slash = strrchr(r->v[i].path, '/');
        /* The scan sorted by seq; a seq held by two files (a record copied
         * by hand) is indexed once, as the in-memory index's lookup finds it. */
        if (r->v[i].seq <= last)
            continue;
        int rc = s_buf_add(l, r->v[i].seq, r->v[i].is_error, slash ? slash + 1 : r->v[i].path);
        if (rc != 0)
            return rc;
        last = r->v[i].seq;
        l->count++;
    }
    l->bytes = l->len;
    l->last_seq = last;
    s_header_bytes(l, ob, fb, (unsigned char *)l->buf);
    int rc = pl_write_atomic(l->spool_fd, PL_REPLAY_LOG_NAME, l->buf, l->len, l->durable);
    l->len = 0;
    return rc;
}

int pl_replay_log_open(struct pl_replay_log *l, struct pl_replay *r, int spool_fd, int outbox_fd,
                       int failed_fd, const char *outbox, const char *failed, bool durable)
{
    memset(l, 0, sizeof(*l));
    memset(r, 0, sizeof(*r));
    l->fd = -1;
    l->spool_fd = spool_fd;
    l->outbox_fd = outbox_fd;
    l->failed_fd = failed_fd;
    l->durable = durable;
    int rc = s_load(l, r, outbox, failed);
    if (rc == -ENOMEM)
        return rc;
    char eb[128];
    if (rc != 0) {
        l->rebuilt = true;
        l->count = l->bytes = l->last_seq = 0;
        struct stamp ob, fb;
        int src = s_stamp(outbox_fd, &ob);
        if (src == 0)
            src = s_stamp(failed_fd, &fb);
        rc = pl_replay_load(r, outbox, failed);
        if (rc != 0)
            return rc;
        if (src == 0)
            src = s_rewrite(l, r, &ob, &fb);
        if (src != 0) {
            PL_WARN("cannot write the replay index %s: %s; the next start reads the folders "
                    "again",
                    PL_REPLAY_LOG_NAME, pl_strerror(src, eb, sizeof(eb)));
            unlinkat(spool_fd, PL_REPLAY_LOG_NAME, 0);
            return 0;
        }
    }
    l->fd = openat(spool_fd, PL_REPLAY_LOG_NAME, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    /* A tail past the committed end is an append never committed: cut. */
    if (l->fd >= 0 && ftruncate(l->fd, (off_t)l->bytes) != 0) {
        close(l->fd);
        l->fd = -1;
    }
    if (l->fd < 0) {
        PL_WARN("cannot open the replay index %s: %s; the next start reads the folders again",
                PL_REPLAY_LOG_NAME, pl_strerror(-errno, eb, sizeof(eb)));
        unlinkat(spool_fd, PL_REPLAY_LOG_NAME, 0);
    }
    return 0;
}

int pl_replay_log_add(struct pl_replay_log *l, uint64_t seq, bool is_error, const char *name)
{
    if (l->fd < 0)
        return 0;
    return s_buf_add(l, seq, is_error, name);
}

/* Stops keeping the index after a failed write: a file that may be short
 * or stale is removed rather than trusted at the next start (which would
 * reject it anyway, as its stamp no longer matches). */
static void s_drop(struct pl_replay_log *l, int rc)
{
    char eb[128];
    PL_WARN("cannot append to the replay index %s: %s; not kept for this run (the next start "
            "reads the folders)",
            PL_REPLAY_LOG_NAME, pl_strerror(rc, eb, sizeof(eb)));
    close(l->fd);
    l->fd = -1;
    unlinkat(l->spool_fd, PL_REPLAY_LOG_NAME, 0);
    l->len = 0;
}

int pl_replay_log_commit(struct pl_replay_log *l)
{
    if (l->fd < 0)
        return 0;
    struct stamp ob, fb;
    int rc = s_write_all(l->fd, l->buf, l->len, (off_t)l->bytes);
    if (rc == 0)
        rc = s_stamp(l->outbox_fd, &ob);
    if (rc == 0)
        rc = s_stamp(l->failed_fd, &fb);
    if (rc != 0) {
        s_drop(l, rc);
        return rc;
    }
    /* Count the records of this batch: their seqs ascend, so the last
     * is the newest. */
    for (size_t off = 0; off < l->len;) {
        uint16_t nl;
        memcpy(&nl, l->buf + off + 10, 2);
        l->last_seq = s_get_u64((const unsigned char *)l->buf + off);
        l->count++;
        off += REC_HEAD + nl;
    }
    l->bytes += l->len;
    unsigned char hdr[HDR_SIZE];
    s_header_bytes(l, &ob, &fb, hdr);
    rc = s_write_all(l->fd, hdr, HDR_SIZE, 0);
    if (rc == 0 && l->durable && fdatasync(l->fd) != 0)
        rc = -errno;
    if (rc != 0) {
        s_drop(l, rc);
        return rc;
    }
    l->len = 0;
    return 0;
}

void pl_replay_log_close(struct pl_replay_log *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    free(l->buf);
    l->buf = NULL;
    l->len = l->cap = 0;
}
