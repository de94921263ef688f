/*
 * The replay index on disk (issue 18 point 6): <spool>/replay.idx, so that a
 * start does not read every result in outbox/ and failed/ to rebuild the
 * index of replay.h (75 us per result: 7.5 s for 100,000).
 *
 *   header   128 bytes at offset 0: magic "PLRIDX1\n", version, the count
 *            of records committed, the end offset of the last one, the last
 *            seq, and a stamp (device, inode, mtime to the nanosecond) of
 *            outbox/ and failed/ taken after the batch the records describe;
 *            a check (FNV-1a) over all of it
 *   records  appended after it, one per result written, in seq order:
 *            seq (8 bytes), kind (1: 0 outbox/, 1 failed/), 1 zero byte,
 *            the name's length (2), a check over the record (4), then the
 *            file's name in its folder
 *
 * The writer thread appends a batch's records after the batch's results are
 * written, then rewrites the header with the new stamp, and syncs the file
 * with the batch when durable (pl_replay_log_commit); a result is published
 * only after that, so every published seq is in the index. At start the
 * index is trusted only when the header's check, the sizes and every
 * record's check hold and the folders' stamps equal the header's: nothing
 * but this daemon changed outbox/ or failed/ since it last committed. When it
 * is missing, torn, stale or unreadable the old scan (pl_replay_load)
 * rebuilds the index and a fresh file is written, so correctness never
 * depends on it: an entry whose record is gone is skipped by replay anyway.
 * What a stamp cannot see: a change to the folders by another program within
 * the same clock tick (a few ms) as the daemon's last commit, which leaves the
 * mtime as it was; the daemon's own writes are always indexed.
 *
 * Loop thread at start (pl_replay_log_open), then the writer thread only
 * (add, commit); close after the writer is done.
 */
#ifndef PL_REPLAY_LOG_H
#define PL_REPLAY_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay.h"

#define PL_REPLAY_LOG_NAME "replay.idx"

struct pl_replay_log {
    int fd; /* <spool>/replay.idx open for appending; -1: not kept (a write failed) */
    int spool_fd, outbox_fd, failed_fd; /* borrowed from the spool */
    bool durable;
    uint64_t count, bytes, last_seq; /* as committed */
    char *buf;                       /* records added, not yet committed */
    size_t len, cap;
    bool rebuilt;  /* the start read the folders (the index was not usable) */
    char why[128]; /* why it was rebuilt, for the log */
};

/* Fills r (zeroed first, as pl_replay_load) from the index in spool_fd when it
 * is valid for outbox_fd and failed_fd, else by pl_replay_load(outbox, failed)
 * and writes a fresh index; then opens it for appending. The fds are
 * borrowed and must outlive l. Returns 0, or pl_replay_load's error (r is
 * then to be closed all the same). Failing to write the index is not an
 * error: it is then not kept (l->fd -1) and the next start scans. */
int pl_replay_log_open(struct pl_replay_log *l, struct pl_replay *r, int spool_fd, int outbox_fd,
                       int failed_fd, const char *outbox, const char *failed, bool durable);

/* Adds a record for the result name (its file name in outbox/, or in
 * failed/ when is_error) published as seq; kept in memory until commit.
 * Returns 0 or -ENOMEM. */
int pl_replay_log_add(struct pl_replay_log *l, uint64_t seq, bool is_error, const char *name);

/* Appends the records added, stamps the header with the folders as they are
 * now and, when durable, fdatasyncs the file. Call after the batch's writes
 * to outbox/ and failed/. On failure the index is removed and not kept for
 * the rest of the run (the next start scans). Returns 0 or -errno. */
int pl_replay_log_commit(struct pl_replay_log *l);

void pl_replay_log_close(struct pl_replay_log *l);

#endif
