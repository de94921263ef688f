/*
 * A heartbeating worker (as `pressline worker` runs) says it is alive on its
 * job socket before it says READY, so the broker knows it as a beating
 * worker before it can send it an article: one that then dies on that first
 * article is taken as dead after workers.dead_after_ms, not waited for
 * until the article's deadline. The heartbeat thread's own socket may still
 * be connecting at that moment, so its beats cannot be relied on for this.
 * A ROUTER socket in the test stands in for the broker.
 */
#include "cm.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "harness.h"
#include "loader.h"
#include "wire.h"
#include "worker.h"

struct run {
    void *zctx;
    struct pl_plugin_instance *inst;
    int rc;
};

static void *s_worker(void *arg)
{
    struct run *r = arg;
    /* A long interval: the thread's first beat is the only one in time. */
    const struct pl_worker_opts opts = { .heartbeat_ms = 60000 };
    r->rc = pl_worker_run(r->zctx, "inproc://stage", r->inst, &opts);
    return NULL;
}

static void a_worker_beats_on_its_job_socket_before_ready(void **st)
{
    (void)st;
    char *path = th_path("%s/testkit.so", th_test_plugin_dir()), err[512];
    struct pl_plugin_handle *h = NULL;
    assert_int_equal(pl_plugin_open(path, &h, err, sizeof(err)), 0);
    struct pl_plugin_instance inst;
    assert_int_equal(pl_plugin_instance_init(&inst, h, "slow", NULL, err, sizeof(err)), 0);
    void *zctx = zmq_ctx_new();
    void *router = zmq_socket(zctx, ZMQ_ROUTER);
    assert_int_equal(zmq_bind(router, "inproc://stage"), 0);
    int ms = 10000;
    zmq_setsockopt(router, ZMQ_RCVTIMEO, &ms, sizeof(ms));
    struct run r = { .zctx = zctx, .inst = &inst };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, s_worker, &r), 0);

    /* Messages until READY; note whether the READY's sender beat first on
     * the same socket (its identity is its worker id). */
    char beat_from[64][PL_WIRE_MAX_IDENT];
    size_t nbeats = 0;
    int ready = 0, beat_before_ready = 0;
    while (!ready) {
        struct pl_wire_in in;
        assert_int_equal(pl_wire_recv(router, &in, 0), 0);
        struct pl_wire_frame f[PL_WIRE_MAX_FRAMES];
        for (size_t i = 0; i < in.n; i++)
            f[i] = pl_wire_in_frame(&in, i);
        struct pl_wire_msg m;
        assert_true(in.n >= 2);
        assert_int_equal(pl_wire_decode(f + 1, in.n - 1, &m), 0);
        if (m.type == PL_WIRE_HB && nbeats < 64 && f[0].len < PL_WIRE_MAX_IDENT) {
            memcpy(beat_from[nbeats], f[0].data, f[0].len);
            beat_from[nbeats++][f[0].len] = '\0';
        } else if (m.type == PL_WIRE_READY) {
            ready = 1;
            for (size_t i = 0; i < nbeats; i++)
                if (strlen(beat_from[i]) == f[0].len && !memcmp(beat_from[i], f[0].data, f[0].len))
                    beat_before_ready = 1;
        }
        pl_wire_in_close(&in);
    }
    assert_true(beat_before_ready);

    zmq_close(router);
    zmq_ctx_shutdown(zctx);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(r.rc, 0);
    zmq_ctx_term(zctx);
    pl_plugin_instance_fini(&inst);
    pl_plugin_close(&h);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_worker_beats_on_its_job_socket_before_ready),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
