/* Publish sequence; see seq.h. */
#include "seq.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"

static int s_reserve(struct pl_seq *s, uint64_t ceiling)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", ceiling);
    int rc = pl_write_atomic(s->dirfd, "seq", buf, (size_t)n, s->durable);
    if (rc == 0)
        s->ceiling = ceiling;
    return rc;
}

int pl_seq_open(struct pl_seq *s, int dirfd, bool durable)
{
    memset(s, 0, sizeof(*s));
    s->dirfd = dirfd;
    s->durable = durable;
    s->next = 1;
    int fd = openat(dirfd, "seq", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char buf[32] = { 0 };
        ssize_t r = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        char *end;
        errno = 0;
        unsigned long long v = strtoull(buf, &end, 10);
        if (r <= 0 || errno || end == buf || (*end && *end != '\n'))
            return -EBADMSG;
        /* Everything below the old ceiling may have been used. */
        s->next = v;
    } else if (errno != ENOENT) {
        return -errno;
    }
    return s_reserve(s, s->next + PL_SEQ_BLOCK);
}

int pl_seq_take(struct pl_seq *s, uint64_t *out)
{
    if (s->next >= s->ceiling) {
        int rc = s_reserve(s, s->next + PL_SEQ_BLOCK);
        if (rc != 0)
            return rc;
    }
    *out = s->next++;
    return 0;
}
