/* Replay of published messages; see replay.h. */
#include "replay.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#include "log.h"
#include "replay_wire.h"
#include "spool.h"
#include "wire.h"
#include "zsock.h"

static int s_push(struct pl_replay *r, uint64_t seq, int is_error, const char *path)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        struct pl_replay_entry *v = realloc(r->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        r->v = v;
        r->cap = cap;
    }
    char *p = strdup(path);
    if (!p)
        return -ENOMEM;
    r->v[r->n++] = (struct pl_replay_entry){ seq, p, is_error };
    return 0;
}

/* The seq stored in a JSON file, or 0. */
static uint64_t s_file_seq(const char *path, char **text_out)
{
    void *data = NULL;
    size_t len = 0;
    if (pl_read_file_at(AT_FDCWD, path, 1u << 30, false, &data, &len) != 0)
        return 0;
    cJSON *j = cJSON_ParseWithLength(data, len);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "seq");
    uint64_t seq = cJSON_IsNumber(s) && s->valuedouble >= 1 ? (uint64_t)s->valuedouble : 0;
    cJSON_Delete(j);
    if (text_out && seq) {
        *text_out = data;
        /* Outbox files end with a newline for people; messages do not. */
        while (len > 0 && ((char *)data)[len - 1] == '\n')
            ((char *)data)[--len] = '\0';
    } else {
        free(data);
    }
    return seq;
}

static int s_load_dir(struct pl_replay *r, const char *dir, const char *suffix, int is_error)
{
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    struct dirent *e;
    size_t sl = strlen(suffix);
    int rc = 0;
    while ((e = readdir(d)) && rc == 0) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' || n <= sl || strcmp(e->d_name + n - sl, suffix) != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        uint64_t seq = s_file_seq(path, NULL);
        if (seq)
            rc = s_push(r, seq, is_error, path);
    }
    closedir(d);
    return rc;
}

static int s_cmp(const void *a, const void *b)
{
    const struct pl_replay_entry *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int pl_replay_load(struct pl_replay *r, const char *outbox, const char *failed)
{
    memset(r, 0, sizeof(*r));
    int rc = s_load_dir(r, outbox, ".json", 0);
    if (rc == 0)
        rc = s_load_dir(r, failed, ".error.json", 1);
    if (r->n > 1)
        qsort(r->v, r->n, sizeof(*r->v), s_cmp);
    return rc;
}

int pl_replay_add(struct pl_replay *r, uint64_t seq, int is_error, const char *path)
{
    return s_push(r, seq, is_error, path);
}

/* First index with seq > since (binary search; seqs ascend). */
static size_t s_after(const struct pl_replay *r, uint64_t since)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->v[mid].seq <= since)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Answers one request: the MSG of each record after since, at most
 * PL_REPLAY_BATCH, then END. A failed send (the client is gone, or its
 * queue is full) ends the answer there, without END: the client's wait for
 * one runs out. */
static void s_serve(struct pl_replay *r, const void *ident, size_t ilen, uint64_t since)
{
    size_t i = s_after(r, since), sent = 0;
    uint64_t last = since;
    for (; i < r->n && sent < PL_REPLAY_BATCH; i++) {
        char *text = NULL;
        if (s_file_seq(r->v[i].path, &text) != r->v[i].seq) {
            free(text); /* superseded by a later result for the same file */
            continue;
        }
        const char *topic = r->v[i].is_error ? "error" : "article";
        const struct pl_replay_wire_msg msg = { .type = PL_REPLAY_WIRE_MSG,
                                                .topic = topic,
                                                .topic_len = strlen(topic),
                                                .json = text,
                                                .json_len = strlen(text) };
        int rc = pl_replay_wire_send(r->sock, ident, ilen, &msg, ZMQ_DONTWAIT);
        free(text);
        if (rc != 0)
            return;
        last = r->v[i].seq;
        sent++;
    }
    const struct pl_replay_wire_msg end = { .type = PL_REPLAY_WIRE_END,
                                            .seq = last,
                                            .more = i < r->n };
    (void)pl_replay_wire_send(r->sock, ident, ilen, &end, ZMQ_DONTWAIT); /* as a MSG's */
}

/* Answers every request waiting. A request that does not follow the
 * protocol gets no answer: the client times out. */
static void s_drain(struct pl_replay *r)
{
    while (pl_zsock_readable(r->sock)) {
        struct pl_wire_in in;
        if (pl_wire_recv(r->sock, &in, ZMQ_DONTWAIT) != 0)
            break; /* nothing whole to read after all; the next wake-up drains again */
        struct pl_wire_frame f[PL_WIRE_MAX_FRAMES];
        for (size_t i = 0; i < in.n; i++)
            f[i] = pl_wire_in_frame(&in, i);
        struct pl_replay_wire_msg m;
        if (in.n >= 1 && !in.truncated && pl_replay_wire_decode_request(f + 1, in.n - 1, &m) == 0)
            s_serve(r, f[0].data, f[0].len, m.seq);
        else
            PL_DEBUG("replay: ignored a malformed request");
        pl_wire_in_close(&in);
    }
}

static void s_on_poll(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    s_drain(p->data);
}

static void s_on_check(uv_check_t *c)
{
    s_drain(c->data);
}

int pl_replay_start(struct pl_replay *r, uv_loop_t *loop, void *zctx, const char *endpoint,
                    const char *curve_secret, char *err, size_t errlen)
{
    r->loop = loop;
    if (!endpoint || !*endpoint)
        return 0;
    r->sock = zmq_socket(zctx, ZMQ_ROUTER);
    if (!r->sock) {
        int e = zmq_errno();
        snprintf(err, errlen, "cannot bind the replay endpoint %s: %s", endpoint, zmq_strerror(e));
        return -e;
    }
    /* A whole batch and its END must fit in a client's queue: a ROUTER
     * drops what does not, and a lost END would leave the client waiting.
     * Clients ask for the next batch only after an END, so one batch per
     * client is all that is ever queued. Mandatory routing reports a full
     * queue instead of dropping silently. */
    int zero = 0, one = 1, hwm = 2 * PL_REPLAY_BATCH + 16;
    zmq_setsockopt(r->sock, ZMQ_LINGER, &zero, sizeof(zero));
    zmq_setsockopt(r->sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(r->sock, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));
    int rc = pl_zsock_bind(r->sock, endpoint, curve_secret);
    if (rc != 0) {
        snprintf(err, errlen, "cannot bind the replay endpoint %s: %s", endpoint,
                 zmq_strerror(-rc));
        zmq_close(r->sock);
        r->sock = NULL;
        return rc;
    }
    int fd;
    size_t len = sizeof(fd);
    zmq_getsockopt(r->sock, ZMQ_FD, &fd, &len);
    uv_poll_init(loop, &r->poll, fd);
    r->poll.data = r;
    uv_poll_start(&r->poll, UV_READABLE, s_on_poll);
    uv_check_init(loop, &r->check);
    r->check.data = r;
    uv_check_start(&r->check, s_on_check);
    r->open_handles = 2;
    return 0;
}

void pl_replay_close(struct pl_replay *r)
{
    if (r->sock) {
        uv_poll_stop(&r->poll);
        uv_check_stop(&r->check);
        uv_close((uv_handle_t *)&r->poll, NULL);
        uv_close((uv_handle_t *)&r->check, NULL);
        zmq_close(r->sock);
        r->sock = NULL;
    }
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].path);
    free(r->v);
    r->v = NULL;
    r->n = r->cap = 0;
}
