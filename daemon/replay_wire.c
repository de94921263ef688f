/* Replay protocol; see replay_wire.h. */
#include "replay_wire.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* strtoull parses a seq: it must hold exactly the 64 bits of one. */
_Static_assert(ULLONG_MAX == UINT64_MAX, "unsigned long long is not 64 bits");

static int s_is(const struct pl_wire_frame *f, const char *s)
{
    size_t n = strlen(s);
    return f->len == n && memcmp(f->data, s, n) == 0;
}

/* A seq frame: decimal digits only (strtoull alone would also take a sign,
 * blanks and a NUL-terminated prefix), within 64 bits. On -EPROTO, *why
 * says which rule it breaks. */
static int s_get_seq(const struct pl_wire_frame *f, uint64_t *seq, const char **why)
{
    const char *p = f->data;
    *why = "the seq is not a decimal number without sign (1 to 20 digits)";
    if (f->len == 0 || f->len > PL_REPLAY_WIRE_SEQ_DIGITS)
        return -EPROTO;
    for (size_t i = 0; i < f->len; i++)
        if (p[i] < '0' || p[i] > '9')
            return -EPROTO;
    char num[PL_REPLAY_WIRE_SEQ_DIGITS + 1];
    memcpy(num, p, f->len);
    num[f->len] = '\0';
    errno = 0;
    unsigned long long v = strtoull(num, NULL, 10);
    if (errno == ERANGE) {
        *why = "the seq does not fit in 64 bits";
        return -EPROTO;
    }
    *seq = v;
    return 0;
}

static int s_decode_end(const struct pl_wire_frame *f, size_t n, struct pl_replay_wire_msg *d,
                        const char **why)
{
    if (n != 3 || s_get_seq(&f[1], &d->seq, why) != 0 || f[2].len != 1)
        return -EPROTO;
    char more = *(const char *)f[2].data;
    if (more != '0' && more != '1')
        return -EPROTO;
    d->type = PL_REPLAY_WIRE_END;
    d->more = more == '1';
    return 0;
}

/* Decodes any of the four messages; the callers keep the direction's. On
 * -EPROTO, *why says what is wrong in words a client can act on. */
static int s_decode(const struct pl_wire_frame *f, size_t n, struct pl_replay_wire_msg *m,
                    const char **why)
{
    struct pl_replay_wire_msg d = { 0 };
    *why = "expected [SINCE][seq]: the first frame is not SINCE";
    if (n == 0) {
        *why = "expected [SINCE][seq]: the request has no frame";
        return -EPROTO;
    }
    if (s_is(&f[0], "SINCE")) {
        *why = "expected [SINCE][seq]: SINCE takes exactly one frame, the seq";
        if (n != 2 || s_get_seq(&f[1], &d.seq, why) != 0)
            return -EPROTO;
        d.type = PL_REPLAY_WIRE_SINCE;
    } else if (s_is(&f[0], "MSG")) {
        if (n != 3 || f[1].len == 0)
            return -EPROTO;
        d.type = PL_REPLAY_WIRE_MSG;
        d.topic = f[1].data;
        d.topic_len = f[1].len;
        d.json = f[2].data;
        d.json_len = f[2].len;
    } else if (s_is(&f[0], "END")) {
        if (s_decode_end(f, n, &d, why) != 0)
            return -EPROTO;
    } else if (s_is(&f[0], "ERR")) {
        if (n != 2 || f[1].len == 0 || f[1].len > PL_REPLAY_WIRE_REASON_MAX)
            return -EPROTO;
        d.type = PL_REPLAY_WIRE_ERR;
        d.reason = f[1].data;
        d.reason_len = f[1].len;
    } else {
        return -EPROTO;
    }
    *m = d;
    return 0;
}

int pl_replay_wire_decode_request(const struct pl_wire_frame *f, size_t n,
                                  struct pl_replay_wire_msg *m, const char **why)
{
    const char *reason = NULL;
    memset(m, 0, sizeof(*m));
    int rc = s_decode(f, n, m, &reason);
    if (n > 0 && !s_is(&f[0], "SINCE")) {
        /* A reply sent back, or a verb we do not know: either way not
         * SINCE, whatever else is wrong with it. */
        memset(m, 0, sizeof(*m));
        reason = "expected [SINCE][seq]: the first frame is not SINCE";
        rc = -EPROTO;
    }
    if (rc != 0 && why)
        *why = reason;
    return rc;
}

int pl_replay_wire_decode_reply(const struct pl_wire_frame *f, size_t n,
                                struct pl_replay_wire_msg *m)
{
    const char *why;
    memset(m, 0, sizeof(*m));
    int rc = s_decode(f, n, m, &why);
    if (rc == 0 && m->type == PL_REPLAY_WIRE_SINCE) {
        memset(m, 0, sizeof(*m));
        rc = -EPROTO;
    }
    return rc;
}

int pl_replay_wire_encode(const struct pl_replay_wire_msg *m, struct pl_replay_wire_frames *out)
{
    struct pl_wire_frame *f = out->f;
    int len = snprintf(out->num, sizeof(out->num), "%" PRIu64, m->seq);
    out->n = 0;
    switch (m->type) {
    case PL_REPLAY_WIRE_SINCE:
        f[0] = (struct pl_wire_frame){ "SINCE", 5 };
        f[1] = (struct pl_wire_frame){ out->num, (size_t)len };
        out->n = 2;
        return 0;
    case PL_REPLAY_WIRE_MSG:
        if (m->topic_len == 0)
            return -EINVAL;
        f[0] = (struct pl_wire_frame){ "MSG", 3 };
        f[1] = (struct pl_wire_frame){ m->topic, m->topic_len };
        f[2] = (struct pl_wire_frame){ m->json, m->json_len };
        out->n = 3;
        return 0;
    case PL_REPLAY_WIRE_END:
        if (m->more != 0 && m->more != 1)
            return -EINVAL;
        f[0] = (struct pl_wire_frame){ "END", 3 };
        f[1] = (struct pl_wire_frame){ out->num, (size_t)len };
        f[2] = (struct pl_wire_frame){ m->more ? "1" : "0", 1 };
        out->n = 3;
        return 0;
    case PL_REPLAY_WIRE_ERR:
        if (m->reason_len == 0 || m->reason_len > PL_REPLAY_WIRE_REASON_MAX)
            return -EINVAL;
        f[0] = (struct pl_wire_frame){ "ERR", 3 };
        f[1] = (struct pl_wire_frame){ m->reason, m->reason_len };
        out->n = 2;
        return 0;
    default: return -EINVAL;
    }
}

static int s_send(void *sock, const void *p, size_t n, int flags)
{
    return zmq_send(sock, p, n, flags) < 0 ? -zmq_errno() : 0;
}

int pl_replay_wire_send(void *sock, const void *ident, size_t ident_len,
                        const struct pl_replay_wire_msg *m, int flags)
{
    struct pl_replay_wire_frames out;
    int rc = pl_replay_wire_encode(m, &out);
    if (rc != 0)
        return rc;
    if (ident && (rc = s_send(sock, ident, ident_len, ZMQ_SNDMORE | flags)) != 0)
        return rc;
    for (size_t i = 0; i < out.n; i++) {
        rc = s_send(sock, out.f[i].data, out.f[i].len, (i + 1 < out.n ? ZMQ_SNDMORE : 0) | flags);
        if (rc != 0)
            return rc;
    }
    return 0;
}
