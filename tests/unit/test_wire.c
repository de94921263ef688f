/* Worker protocol: round trip over real sockets, and rejection of junk. */
#include "cm.h"

#include <errno.h>
#include <string.h>
#include <zmq.h>

#include "wire.h"

static void job_done_and_patch_round_trip_over_inproc(void **st)
{
    (void)st;
    void *ctx = zmq_ctx_new();
    void *r = zmq_socket(ctx, ZMQ_ROUTER), *d = zmq_socket(ctx, ZMQ_DEALER);
    assert_int_equal(zmq_bind(r, "inproc://wire-test"), 0);
    assert_int_equal(zmq_connect(d, "inproc://wire-test"), 0);
    struct pl_wire_msg ready = {
        .type = PL_WIRE_READY, .plugin = "p", .plugin_len = 1, .version = "1.2", .version_len = 3
    };
    assert_int_equal(pl_wire_send(d, NULL, 0, &ready, 0), 0);
    struct pl_wire_in in;
    assert_int_equal(pl_wire_recv(r, &in, 0), 0);
    assert_int_equal(in.n, 5);
    struct pl_wire_frame f[PL_WIRE_MAX_FRAMES];
    for (size_t i = 0; i < in.n; i++)
        f[i] = pl_wire_in_frame(&in, i);
    struct pl_wire_msg m;
    assert_int_equal(pl_wire_decode(f + 1, in.n - 1, &m), 0);
    assert_int_equal(m.type, PL_WIRE_READY);
    assert_memory_equal(m.version, "1.2", 3);
    struct pl_wire_msg job = {
        .type = PL_WIRE_JOB, .job = 0x0102030405060708ull, .body = "{}", .body_len = 2
    };
    assert_int_equal(pl_wire_send(r, f[0].data, f[0].len, &job, 0), 0);
    pl_wire_in_close(&in);
    assert_int_equal(pl_wire_recv(d, &in, 0), 0);
    for (size_t i = 0; i < in.n; i++)
        f[i] = pl_wire_in_frame(&in, i);
    assert_int_equal(pl_wire_decode(f, in.n, &m), 0);
    assert_int_equal(m.type, PL_WIRE_JOB);
    assert_true(m.job == 0x0102030405060708ull);
    assert_memory_equal(m.body, "{}", 2);
    pl_wire_in_close(&in);
    /* The answers, DONE with the document and PATCH with the patch alone,
     * come back as sent, each as its own type. */
    static const int types[] = { PL_WIRE_DONE, PL_WIRE_PATCH };
    for (int t = 0; t < 2; t++) {
        struct pl_wire_msg reply = { .type = types[t],
                                     .job = 7,
                                     .body = "{\"a\":1}",
                                     .body_len = 7,
                                     .us = 42,
                                     .plugin = "p",
                                     .plugin_len = 1,
                                     .version = "1.2",
                                     .version_len = 3 };
        assert_int_equal(pl_wire_send(d, NULL, 0, &reply, 0), 0);
        assert_int_equal(pl_wire_recv(r, &in, 0), 0);
        assert_int_equal(in.n, 8);
        for (size_t i = 0; i < in.n; i++)
            f[i] = pl_wire_in_frame(&in, i);
        assert_int_equal(pl_wire_decode(f + 1, in.n - 1, &m), 0);
        assert_int_equal(m.type, types[t]);
        assert_true(m.job == 7 && m.us == 42);
        assert_int_equal(m.body_len, 7);
        assert_memory_equal(m.body, "{\"a\":1}", 7);
        assert_memory_equal(m.plugin, "p", 1);
        pl_wire_in_close(&in);
    }
    zmq_close(r);
    zmq_close(d);
    zmq_ctx_term(ctx);
}

static void decoder_rejects_wrong_protocol_counts_and_sizes(void **st)
{
    (void)st;
    struct pl_wire_msg m;
    struct pl_wire_frame bad_proto[] = { { "PL2", 3 }, { "READY", 5 }, { "a", 1 }, { "b", 1 } };
    assert_int_equal(pl_wire_decode(bad_proto, 4, &m), -EPROTO);
    struct pl_wire_frame short_job[] = { { "PL1", 3 }, { "JOB", 3 }, { "1234", 4 }, { "{}", 2 } };
    assert_int_equal(pl_wire_decode(short_job, 4, &m), -EPROTO);
    struct pl_wire_frame missing[] = { { "PL1", 3 }, { "DONE", 4 }, { "12345678", 8 } };
    assert_int_equal(pl_wire_decode(missing, 3, &m), -EPROTO);
    struct pl_wire_frame patch_short[] = { { "PL1", 3 }, { "PATCH", 5 }, { "12345678", 8 },
                                           { "{}", 2 },  { "1234", 4 },  { "p", 1 },
                                           { "v", 1 } };
    assert_int_equal(pl_wire_decode(patch_short, 7, &m), -EPROTO);
    struct pl_wire_frame unknown[] = { { "PL1", 3 }, { "HELLO", 5 }, { "12345678", 8 }, { "", 0 } };
    assert_int_equal(pl_wire_decode(unknown, 4, &m), -EPROTO);
    assert_int_equal(pl_wire_decode(unknown, 0, &m), -EPROTO);
    struct pl_wire_frame hb[] = { { "PL1", 3 }, { "HB", 2 }, { "w1", 2 } };
    assert_int_equal(pl_wire_decode(hb, 3, &m), 0);
    assert_int_equal(m.type, PL_WIRE_HB);
    assert_memory_equal(m.body, "w1", 2);
    struct pl_wire_frame hb_empty[] = { { "PL1", 3 }, { "HB", 2 }, { "", 0 } };
    assert_int_equal(pl_wire_decode(hb_empty, 3, &m), -EPROTO);
    assert_int_equal(pl_wire_decode(hb, 2, &m), -EPROTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(job_done_and_patch_round_trip_over_inproc),
        cmocka_unit_test(decoder_rejects_wrong_protocol_counts_and_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
