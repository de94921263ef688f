/* The replay client's helpers (replay_fixture.h). */
#include "cm.h"

#include "replay_fixture.h"

#include <errno.h>
#include <zmq.h>

int rf_reply(void *sock, struct pl_wire_in *in, struct pl_replay_wire_msg *m, int timeout_ms)
{
    zmq_pollitem_t it = { sock, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll(&it, 1, timeout_ms) <= 0)
        return -ETIMEDOUT;
    assert_int_equal(pl_wire_recv(sock, in, 0), 0);
    struct pl_wire_frame f[PL_WIRE_MAX_FRAMES];
    for (size_t i = 0; i < in->n; i++)
        f[i] = pl_wire_in_frame(in, i);
    assert_int_equal(pl_replay_wire_decode_reply(f, in->n, m), 0);
    return 0;
}
