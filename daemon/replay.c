/* Replay of published messages; see replay.h. */
#include "replay.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
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

/* A client's batch in progress: where its cursor is in the index and the
 * record read but not yet taken by ZeroMQ. */
struct pl_replay_client {
    unsigned char ident[256]; /* its ROUTER identity (ZeroMQ caps them at 255 bytes) */
    size_t ilen;
    size_t next;          /* index of the next entry to read */
    size_t sent;          /* MSGs sent in this batch */
    uint64_t last;        /* seq of the last MSG sent, or the seq asked for */
    char *held;           /* owned: the record's text, NULL when none is held */
    uint64_t held_seq;    /* its seq */
    int held_error;       /* its topic is "error" */
    uint64_t progress_ms; /* loop time when ZeroMQ last took something */
};

/* What a send, or serving a client for one turn, came to: ZeroMQ took the
 * message; the batch is over (END sent, or the client is gone); the client's
 * queue is full; the turn ran out with more to send. */
enum { S_SENT = 0, S_DONE, S_BLOCKED, S_MORE };

/* The text of e's record when outbox/<id>.json now holds a later result
 * for the same content: the writer gave e's record its own name,
 * <id>.<seq>.json, before replacing it (service.c). *text is freed and
 * replaced. Returns true with the text, false when there is no such record. */
static bool s_superseded_text(const struct pl_replay_entry *e, char **text)
{
    free(*text);
    *text = NULL;
    size_t n = strlen(e->path);
    char path[4096];
    if (e->is_error || n <= 5 || strcmp(e->path + n - 5, ".json") != 0 ||
        snprintf(path, sizeof(path), "%.*s.%" PRIu64 ".json", (int)(n - 5), e->path, e->seq) >=
            (int)sizeof(path))
        return false;
    if (s_file_seq(path, text) == e->seq)
        return true;
    free(*text);
    *text = NULL;
    return false;
}

/* Reads the next record of c's batch that is still current into c->held.
 * Returns 1 when the batch has no more (the END is due), else 0. */
static int s_read_next(struct pl_replay *r, struct pl_replay_client *c)
{
    while (c->next < r->n && c->sent < PL_REPLAY_BATCH) {
        const struct pl_replay_entry *e = &r->v[c->next++];
        char *text = NULL;
        if (s_file_seq(e->path, &text) != e->seq && !s_superseded_text(e, &text))
            continue; /* the record is gone */
        c->held = text;
        c->held_seq = e->seq;
        c->held_error = e->is_error;
        return 0;
    }
    return 1;
}

static int s_send(struct pl_replay *r, struct pl_replay_client *c,
                  const struct pl_replay_wire_msg *m)
{
    int rc = pl_replay_wire_send(r->sock, c->ident, c->ilen, m, ZMQ_DONTWAIT);
    r->dirty = true;
    if (rc == 0)
        c->progress_ms = uv_now(r->loop);
    /* With mandatory routing a full queue is EAGAIN; a client gone is
     * EHOSTUNREACH. */
    return rc == 0 ? S_SENT : rc == -EAGAIN ? S_BLOCKED : S_DONE;
}

/* Sends c's held record. Returns S_SENT when ZeroMQ took it, S_BLOCKED when c's
 * queue is full (the record stays held), S_DONE when c is gone. */
static int s_send_held(struct pl_replay *r, struct pl_replay_client *c)
{
    const char *topic = c->held_error ? "error" : "article";
    const struct pl_replay_wire_msg msg = { .type = PL_REPLAY_WIRE_MSG,
                                            .topic = topic,
                                            .topic_len = strlen(topic),
                                            .json = c->held,
                                            .json_len = strlen(c->held) };
    int rc = s_send(r, c, &msg);
    if (rc != S_BLOCKED) {
        c->last = c->held_seq;
        c->sent++;
        free(c->held);
        c->held = NULL;
    }
    return rc;
}

/* Serves c for one turn: at most PL_REPLAY_QUEUE messages, so that one
 * client does not keep the loop from the others. Returns S_DONE (END sent,
 * or c is gone), S_BLOCKED (c's queue is full) or S_MORE (the turn ran out). */
static int s_serve(struct pl_replay *r, struct pl_replay_client *c)
{
    for (int k = 0; k < PL_REPLAY_QUEUE; k++) {
        if (!c->held && s_read_next(r, c)) {
            const struct pl_replay_wire_msg end = { .type = PL_REPLAY_WIRE_END,
                                                    .seq = c->last,
                                                    .more = c->next < r->n };
            int rc = s_send(r, c, &end);
            return rc == S_BLOCKED ? S_BLOCKED : S_DONE;
        }
        int rc = s_send_held(r, c);
        if (rc != S_SENT)
            return rc;
    }
    return S_MORE;
}

static void s_forget(struct pl_replay *r, size_t i)
{
    free(r->clients[i].held);
    r->clients[i] = r->clients[--r->nclients];
}

static void s_on_timer(uv_timer_t *t);

/* Serves every client one turn, forgets those done or stalled, and sets
 * the timer for the next turn: at once while some can take more, after
 * PL_REPLAY_RETRY_MS while some are blocked, not at all when none is left. */
static void s_serve_all(struct pl_replay *r)
{
    int more = 0, blocked = 0;
    uint64_t now = uv_now(r->loop);
    for (size_t i = 0; i < r->nclients;) {
        struct pl_replay_client *c = &r->clients[i];
        int rc = s_serve(r, c);
        if (rc == S_BLOCKED && now - c->progress_ms >= PL_REPLAY_STALL_MS) {
            PL_DEBUG("replay: forgot a client that took nothing for %d ms", PL_REPLAY_STALL_MS);
            rc = S_DONE;
        }
        if (rc == S_DONE) {
            s_forget(r, i);
            continue;
        }
        more |= rc == S_MORE;
        blocked |= rc == S_BLOCKED;
        i++;
    }
    if (more || blocked)
        uv_timer_start(&r->timer, s_on_timer, more ? 0 : PL_REPLAY_RETRY_MS, 0);
    else
        uv_timer_stop(&r->timer);
}

static void s_on_timer(uv_timer_t *t)
{
    s_serve_all(t->data);
}

/* Sends an ERR to ident, once, without waiting: a client whose queue is
 * full is already being answered. */
static void s_refuse(struct pl_replay *r, const struct pl_wire_frame *ident, const char *why)
{
    PL_DEBUG("replay: refused a request: %s", why);
    const struct pl_replay_wire_msg err = { .type = PL_REPLAY_WIRE_ERR,
                                            .reason = why,
                                            .reason_len = strlen(why) };
    (void)pl_replay_wire_send(r->sock, ident->data, ident->len, &err, ZMQ_DONTWAIT);
    r->dirty = true;
}

/* Starts the batch a client asked for, in place of any it had in progress
 * (it has given up on that one). Returns 0, or -EBUSY when
 * PL_REPLAY_CLIENTS others are being served. */
static int s_begin(struct pl_replay *r, const struct pl_wire_frame *ident, uint64_t since)
{
    size_t i = 0;
    while (i < r->nclients && (r->clients[i].ilen != ident->len ||
                               memcmp(r->clients[i].ident, ident->data, ident->len) != 0))
        i++;
    struct pl_replay_client *c = &r->clients[i];
    if (i < r->nclients)
        free(c->held);
    else if (r->nclients == PL_REPLAY_CLIENTS || ident->len > sizeof(c->ident))
        return -EBUSY;
    else
        r->nclients++;
    *c = (struct pl_replay_client){
        .ilen = ident->len, .next = s_after(r, since), .last = since, .progress_ms = uv_now(r->loop)
    };
    memcpy(c->ident, ident->data, ident->len);
    return 0;
}

/* Takes every request waiting: a SINCE starts a batch, anything else gets
 * an ERR saying what is wrong. Then serves a turn, which also resumes the
 * batches of clients that read since (their reading wakes the socket). */
static void s_drain(struct pl_replay *r)
{
    r->dirty = false;
    while (pl_zsock_readable(r->sock)) {
        struct pl_wire_in in;
        if (pl_wire_recv(r->sock, &in, ZMQ_DONTWAIT) != 0)
            break; /* nothing whole to read after all; the next wake-up drains again */
        struct pl_wire_frame f[PL_WIRE_MAX_FRAMES];
        for (size_t i = 0; i < in.n; i++)
            f[i] = pl_wire_in_frame(&in, i);
        struct pl_replay_wire_msg m;
        const char *why = "expected [SINCE][seq]: the request has too many frames";
        /* A ROUTER always gives the identity first; without one there is
         * nobody to answer. */
        if (in.n >= 1)
            r->requests++;
        int rc = in.n < 1       ? 0
                 : in.truncated ? -EPROTO
                                : pl_replay_wire_decode_request(f + 1, in.n - 1, &m, &why);
        if (in.n >= 1 && rc == 0 && s_begin(r, &f[0], m.seq) != 0)
            s_refuse(r, &f[0], "busy: too many clients are catching up; ask again later");
        else if (in.n >= 1 && rc != 0)
            s_refuse(r, &f[0], why);
        pl_wire_in_close(&in);
    }
    s_serve_all(r);
}

static void s_on_poll(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    s_drain(p->data);
}

static void s_on_check(uv_check_t *c)
{
    struct pl_replay *r = c->data;
    /* ZMQ_FD is edge-triggered: a request that came in during a send (as
     * the batches go) wakes nobody, so look after every loop turn that
     * sent something; without a send the descriptor wakes the loop (and
     * asking ZMQ_EVENTS costs a getpid and a poll each time). */
    if (r->dirty)
        s_drain(r);
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
    /* A client's queue holds PL_REPLAY_QUEUE messages: that, not the
     * batch, bounds what a client that does not read costs. Mandatory
     * routing makes a full queue an EAGAIN instead of a silent drop, so the
     * batch waits there and nothing is lost. */
    r->clients = calloc(PL_REPLAY_CLIENTS, sizeof(*r->clients));
    if (!r->clients) {
        snprintf(err, errlen, "cannot serve the replay endpoint %s: out of memory", endpoint);
        zmq_close(r->sock);
        r->sock = NULL;
        return -ENOMEM;
    }
    int zero = 0, one = 1, hwm = PL_REPLAY_QUEUE;
    zmq_setsockopt(r->sock, ZMQ_LINGER, &zero, sizeof(zero));
    zmq_setsockopt(r->sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(r->sock, ZMQ_ROUTER_MANDATORY, &one, sizeof(one));
    int rc = pl_zsock_bind(r->sock, endpoint, curve_secret);
    if (rc != 0) {
        snprintf(err, errlen, "cannot bind the replay endpoint %s: %s", endpoint,
                 zmq_strerror(-rc));
        zmq_close(r->sock);
        r->sock = NULL;
        free(r->clients);
        r->clients = NULL;
        return rc;
    }
    rc = pl_zsock_guard_start(&r->guard, zctx, r->sock, PL_ZSOCK_GUARDED);
    if (rc != 0) {
        snprintf(err, errlen, "cannot guard the replay endpoint %s: %s", endpoint,
                 zmq_strerror(-rc));
        zmq_close(r->sock);
        r->sock = NULL;
        free(r->clients);
        r->clients = NULL;
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
    uv_timer_init(loop, &r->timer);
    r->timer.data = r;
    r->open_handles = 3;
    return 0;
}

void pl_replay_close(struct pl_replay *r)
{
    if (r->sock) {
        uv_poll_stop(&r->poll);
        uv_check_stop(&r->check);
        uv_close((uv_handle_t *)&r->poll, NULL);
        uv_close((uv_handle_t *)&r->check, NULL);
        uv_close((uv_handle_t *)&r->timer, NULL);
        pl_zsock_guard_stop(&r->guard, r->sock);
        zmq_close(r->sock);
        r->sock = NULL;
    }
    while (r->nclients > 0)
        s_forget(r, r->nclients - 1);
    free(r->clients);
    r->clients = NULL;
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].path);
    free(r->v);
    r->v = NULL;
    r->n = r->cap = 0;
}
