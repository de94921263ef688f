/*
 * The broker <-> worker protocol over ZeroMQ (ROUTER at the daemon, DEALER
 * at each worker). Every message starts with the protocol frame "PL1":
 *
 *   worker -> broker  READY  [PL1][READY][plugin][version]
 *   broker -> worker  JOB    [PL1][JOB][job:u64be][document json]
 *   worker -> broker  DONE   [PL1][DONE][job:u64be][document json][us:u64be][plugin][version]
 *   worker -> broker  PATCH  [PL1][PATCH][job:u64be][patch json][us:u64be][plugin][version]
 *   worker -> broker  FAIL   [PL1][FAIL][job:u64be][reason][us:u64be]
 *   worker -> broker  HB     [PL1][HB][worker id]   (from the worker's heartbeat socket)
 *
 * DONE carries the document with the stage's patch merged in (docpatch.h),
 * PATCH the plugin's patch alone, which the broker merges into the document
 * it holds (and whose members it kept from the merge before, so the
 * document is not looked through again). The daemon's own workers, threads
 * and the processes it starts (`pressline worker --exit-with-parent`),
 * answer PATCH; a `pressline worker` started by hand (on another host, say)
 * answers DONE, which a daemon from before PATCH also understands.
 * A process worker names its job socket (ZMQ_ROUTING_ID) with its worker id
 * and sends HB from a second socket every heartbeat interval, from a thread
 * of its own, so a plugin busy for long still shows the process is alive and
 * a crashed process falls silent.
 * A worker runs one job at a time, in the order they came, and answers each
 * with DONE or FAIL; the broker may send it up to its stage's "prefetch"
 * jobs ahead (broker.h), which wait in the worker's socket.
 * Decoding is a pure function over frames so it can be fuzzed. Sending and
 * receiving use the calling thread's socket only.
 */
#ifndef PL_WIRE_H
#define PL_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define PL_WIRE_PROTO "PL1"
#define PL_WIRE_MAX_FRAMES 8
#define PL_WIRE_MAX_IDENT 256

enum pl_wire_type {
    PL_WIRE_READY = 1,
    PL_WIRE_JOB,
    PL_WIRE_DONE,
    PL_WIRE_FAIL,
    PL_WIRE_HB,
    PL_WIRE_PATCH,
    PL_WIRE_TYPE_LAST = PL_WIRE_PATCH /* the highest type: move it when one is added */
};

struct pl_wire_frame {
    const void *data;
    size_t len;
};

/* A decoded message. Pointers borrow from the frames. */
struct pl_wire_msg {
    int type;
    uint64_t job;
    const char *body; /* JOB/DONE: document JSON; PATCH: patch JSON; FAIL: reason; HB: worker id */
    size_t body_len;
    uint64_t us;
    const char *plugin, *version;
    size_t plugin_len, version_len;
};

/* Decodes frames (without the ROUTER identity). Returns 0, or -EPROTO for a
 * message that does not follow the protocol. */
int pl_wire_decode(const struct pl_wire_frame *f, size_t n, struct pl_wire_msg *m);

/* Sends m on sock, preceded by the identity frame when ident is not NULL.
 * flags: 0 or ZMQ_DONTWAIT. Returns 0 or -errno. */
int pl_wire_send(void *sock, const void *ident, size_t ident_len, const struct pl_wire_msg *m,
                 int flags);

/* Received multipart message; holds the zmq_msg_t storage. */
struct pl_wire_in {
    unsigned char storage[PL_WIRE_MAX_FRAMES][64]; /* zmq_msg_t, opaque here */
    size_t n;
    int truncated; /* more frames arrived than fit; they were discarded */
};

/* Receives one whole multipart message. Returns 0, or -errno (-EAGAIN with
 * ZMQ_DONTWAIT and nothing waiting, -ETERM when the context ends). */
int pl_wire_recv(void *sock, struct pl_wire_in *in, int flags);

/* Frame i of a received message. */
struct pl_wire_frame pl_wire_in_frame(struct pl_wire_in *in, size_t i);

void pl_wire_in_close(struct pl_wire_in *in);

#endif
