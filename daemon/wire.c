/* Worker protocol; see wire.h. */
#include "wire.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <zmq.h>

_Static_assert(sizeof(zmq_msg_t) <= 64, "zmq_msg_t storage too small");

static int s_is(const struct pl_wire_frame *f, const char *s)
{
    size_t n = strlen(s);
    return f->len == n && memcmp(f->data, s, n) == 0;
}

/* Frames carry no alignment guarantee: copy, then convert. */
static uint64_t s_get64(const struct pl_wire_frame *f)
{
    uint64_t v;
    memcpy(&v, f->data, sizeof(v));
    return be64toh(v);
}

static void s_put64(unsigned char *p, uint64_t v)
{
    v = htobe64(v);
    memcpy(p, &v, sizeof(v));
}

int pl_wire_decode(const struct pl_wire_frame *f, size_t n, struct pl_wire_msg *m)
{
    memset(m, 0, sizeof(*m));
    if (n < 2 || !s_is(&f[0], PL_WIRE_PROTO))
        return -EPROTO;
    if (s_is(&f[1], "HB")) {
        if (n != 3 || f[2].len == 0 || f[2].len > PL_WIRE_MAX_IDENT)
            return -EPROTO;
        m->type = PL_WIRE_HB;
        m->body = f[2].data;
        m->body_len = f[2].len;
        return 0;
    }
    if (s_is(&f[1], "READY")) {
        if (n != 4)
            return -EPROTO;
        m->type = PL_WIRE_READY;
        m->plugin = f[2].data;
        m->plugin_len = f[2].len;
        m->version = f[3].data;
        m->version_len = f[3].len;
        return 0;
    }
    if (n < 4 || f[2].len != 8)
        return -EPROTO;
    m->job = s_get64(&f[2]);
    m->body = f[3].data;
    m->body_len = f[3].len;
    if (s_is(&f[1], "JOB")) {
        if (n != 4)
            return -EPROTO;
        m->type = PL_WIRE_JOB;
        return 0;
    }
    if (s_is(&f[1], "DONE") || s_is(&f[1], "PATCH")) {
        if (n != 7 || f[4].len != 8)
            return -EPROTO;
        m->type = s_is(&f[1], "DONE") ? PL_WIRE_DONE : PL_WIRE_PATCH;
        m->us = s_get64(&f[4]);
        m->plugin = f[5].data;
        m->plugin_len = f[5].len;
        m->version = f[6].data;
        m->version_len = f[6].len;
        return 0;
    }
    if (s_is(&f[1], "FAIL")) {
        if (n != 5 || f[4].len != 8)
            return -EPROTO;
        m->type = PL_WIRE_FAIL;
        m->us = s_get64(&f[4]);
        return 0;
    }
    return -EPROTO;
}

static int s_send(void *sock, const void *p, size_t n, int flags)
{
    return zmq_send(sock, p, n, flags) < 0 ? -zmq_errno() : 0;
}

int pl_wire_send(void *sock, const void *ident, size_t ident_len, const struct pl_wire_msg *m,
                 int flags)
{
    unsigned char job[8], us[8];
    struct pl_wire_frame f[PL_WIRE_MAX_FRAMES];
    size_t n = 0;
    f[n++] = (struct pl_wire_frame){ PL_WIRE_PROTO, 3 };
    s_put64(job, m->job);
    s_put64(us, m->us);
    switch (m->type) {
    case PL_WIRE_READY:
        f[n++] = (struct pl_wire_frame){ "READY", 5 };
        f[n++] = (struct pl_wire_frame){ m->plugin, m->plugin_len };
        f[n++] = (struct pl_wire_frame){ m->version, m->version_len };
        break;
    case PL_WIRE_JOB:
        f[n++] = (struct pl_wire_frame){ "JOB", 3 };
        f[n++] = (struct pl_wire_frame){ job, 8 };
        f[n++] = (struct pl_wire_frame){ m->body, m->body_len };
        break;
    case PL_WIRE_DONE:
    case PL_WIRE_PATCH:
        f[n++] = m->type == PL_WIRE_DONE ? (struct pl_wire_frame){ "DONE", 4 }
                                         : (struct pl_wire_frame){ "PATCH", 5 };
        f[n++] = (struct pl_wire_frame){ job, 8 };
        f[n++] = (struct pl_wire_frame){ m->body, m->body_len };
        f[n++] = (struct pl_wire_frame){ us, 8 };
        f[n++] = (struct pl_wire_frame){ m->plugin, m->plugin_len };
        f[n++] = (struct pl_wire_frame){ m->version, m->version_len };
        break;
    case PL_WIRE_HB:
        f[n++] = (struct pl_wire_frame){ "HB", 2 };
        f[n++] = (struct pl_wire_frame){ m->body, m->body_len };
        break;
    case PL_WIRE_FAIL:
        f[n++] = (struct pl_wire_frame){ "FAIL", 4 };
        f[n++] = (struct pl_wire_frame){ job, 8 };
        f[n++] = (struct pl_wire_frame){ m->body, m->body_len };
        f[n++] = (struct pl_wire_frame){ us, 8 };
        break;
    default: return -EINVAL;
    }
    int rc;
    if (ident && (rc = s_send(sock, ident, ident_len, ZMQ_SNDMORE | flags)) != 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        if ((rc = s_send(sock, f[i].data, f[i].len, (i + 1 < n ? ZMQ_SNDMORE : 0) | flags)) != 0)
            return rc;
    return 0;
}

int pl_wire_recv(void *sock, struct pl_wire_in *in, int flags)
{
    in->n = 0;
    in->truncated = 0;
    for (;;) {
        zmq_msg_t tmp;
        zmq_msg_t *msg = in->n < PL_WIRE_MAX_FRAMES ? (zmq_msg_t *)in->storage[in->n] : &tmp;
        zmq_msg_init(msg);
        if (zmq_msg_recv(msg, sock, flags) < 0) {
            int e = zmq_errno();
            zmq_msg_close(msg);
            pl_wire_in_close(in);
            return -e;
        }
        int more = zmq_msg_more(msg);
        if (msg == &tmp) {
            zmq_msg_close(&tmp);
            in->truncated = 1;
        } else {
            in->n++;
        }
        if (!more)
            return 0;
        flags &= ~ZMQ_DONTWAIT; /* the rest of a multipart message is there */
    }
}

struct pl_wire_frame pl_wire_in_frame(struct pl_wire_in *in, size_t i)
{
    zmq_msg_t *m = (zmq_msg_t *)in->storage[i];
    return (struct pl_wire_frame){ zmq_msg_data(m), zmq_msg_size(m) };
}

void pl_wire_in_close(struct pl_wire_in *in)
{
    for (size_t i = 0; i < in->n; i++)
        zmq_msg_close((zmq_msg_t *)in->storage[i]);
    in->n = 0;
}
