/* The daemon's service; see service.h. */
#include "service.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <uv.h>
#include <zmq.h>

#include "article.h"
#include "broker.h"
#include "config.h"
#include "docpatch.h"
#include "gen.h"
#include "loader.h"
#include "log.h"
#include "nameset.h"
#include "ops.h"
#include "publish.h"
#include "reload.h"
#include "replay.h"
#include "replay_log.h"
#include "seq.h"
#include "spool.h"
#include "watch.h"

#define WRITER_BATCH 64
#define RETRY_MS 2000
/* Files claimed per loop turn at most: between two slices the loop takes
 * the stages' answers and sends them their next jobs, and hands the writer
 * its next batch, so that a burst in the inbox does not keep the workers
 * and the writer waiting while the loop claims max_in_flight files in a
 * row. */
#define INTAKE_SLICE 16

/* An article from claim to publish. */
struct item {
    struct pl_article a;     /* first: the broker's record */
    STAILQ_ENTRY(item) link; /* the writer's queue, then its batch */
    struct pl_gen *gen;      /* the stage chain it entered (held); NULL: refused at intake */
    char work_name[NAME_MAX + 1];
    char *name; /* original file name */
    char *path; /* "inbox/<name>" as shown to subscribers */
    struct pl_source src;
    char received_at[32];
    bool failed;
    const char *fail_stage; /* NULL: refused at intake */
    /* Filled by the writer. */
    uint64_t seq;
    /* The seq of a record written to the outbox but never published (the
     * move to done/ failed): the retry replaces it without keeping it. */
    uint64_t unpublished_seq;
    char *out;
    size_t out_len;
    const char *story; /* the "story" topic's message: a slice of out, or NULL */
    size_t story_len;
    int write_rc;
    int write_failures; /* writes that failed so far: logged as errors once */
    bool recovered;     /* left in spool/work by a run that crashed */
    char failed_name[NAME_MAX + 1];
};

/* A name the watcher reported, queued until it is claimed. */
struct name_node {
    STAILQ_ENTRY(name_node) link;
    char name[];
};

/* How many ranges of unused seq numbers status names. */
#define UNUSED_RANGES 8

struct service {
    const struct pl_config *cfg; /* as started; a reload changes none of the keys read here */
    const struct pl_service_opts *opts;
    uv_loop_t loop;
    void *zctx; /* the publisher's and the replay's; each generation has its own */
    struct pl_spool spool;
    struct pl_seq seq;
    struct pl_watch watch;
    struct pl_reload rl; /* the stage chains: the current generation and the old ones */
    bool rl_open;
    struct pl_publisher pub;
    struct pl_replay replay;
    struct pl_replay_log rlog; /* the index on disk: loaded at start, then the writer's */
    struct pl_ops ops;         /* metrics, the HTTP endpoint, systemd notifications */

    struct pl_nameset pending_set;
    struct pl_nameset unclaimable; /* names whose claim failed, logged once */
    size_t nunclaimable;
    STAILQ_HEAD(, name_node) pending; /* names from the watcher, not yet claimed */
    size_t npending;
    char **recovered;
    size_t nrecovered, recovered_at;

    size_t in_flight;
    STAILQ_HEAD(item_list, item) wq; /* finished, waiting for the writer */
    struct item_list batch;          /* being written */
    uv_work_t work;
    bool writing;
    uv_timer_t retry_timer, status_timer, stop_timer;
    uv_idle_t intake_idle; /* runs s_intake while files wait and there is room (INTAKE_SLICE) */
    bool intake_idle_open;
    uv_signal_t sigint, sigterm;

    bool stopping, watch_open;
    bool write_blocked; /* results cannot be written: take no new files */
    int signals;
    uint64_t started_ms;
    unsigned long processed, failed;
    uint64_t last_seq;
    /* The latest ranges of seq numbers taken or reserved but never
     * published, oldest first, [from, to] inclusive; said in status. */
    uint64_t unused[UNUSED_RANGES][2];
    size_t nunused;
    bool unused_checked; /* the gap left by the previous run is noted */
};

static void s_pump(struct service *sv);
static void s_writer_kick(struct service *sv);
static void s_note_unused(struct service *sv, uint64_t from, uint64_t to);
static void s_maybe_finish_stop(struct service *sv);

static void s_item_free(struct item *it)
{
    if (!it)
        return;
    if (it->gen)
        pl_reload_release(it->gen);
    pl_article_doc_free(&it->a);
    free(it->name);
    free(it->path);
    free(it->out);
    free(it);
}

/* --- finishing --------------------------------------------------------- */

static void s_queue_write(struct service *sv, struct item *it)
{
    STAILQ_INSERT_TAIL(&sv->wq, it, link);
    s_writer_kick(sv);
}

static void s_fail_item(struct service *sv, struct item *it, const char *stage, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));
static void s_fail_item(struct service *sv, struct item *it, const char *stage, const char *fmt,
                        ...)
{
    it->failed = true;
    it->fail_stage = stage;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->a.fail_reason, sizeof(it->a.fail_reason), fmt, ap);
    va_end(ap);
    s_queue_write(sv, it);
}

static void s_on_done(struct pl_broker *b, struct pl_article *a)
{
    struct service *sv = b->data;
    s_queue_write(sv, (struct item *)a);
}

static void s_on_failed(struct pl_broker *b, struct pl_article *a)
{
    struct service *sv = b->data;
    struct item *it = (struct item *)a;
    it->failed = true;
    it->fail_stage = a->fail_stage;
    s_queue_write(sv, it);
}

/* Before outbox/<id>.json is replaced by a newer result for the same
 * content, gives the record it holds a second name, outbox/<id>.<seq>.json,
 * so that every published seq stays replayable (maildir's way: a name per
 * message) while <id>.json keeps meaning "the latest result". A hard link,
 * not a copy: atomic, and a crash before the rename that follows leaves
 * both names on the same old record. The batch's fsync of outbox/
 * (s_writer_work) makes the link durable too. A record that was written
 * but never published is not kept: one of unpublished_seq (see struct
 * item), or, when recovered_name is not NULL (the file was left in
 * spool/work by a run that crashed), one of that same file, whose earlier
 * run died between writing it and publishing. Thread pool. Returns 0 or
 * -errno of the failed link. */
static int s_keep_superseded(int outbox_fd, const char *id, uint64_t unpublished_seq,
                             const char *recovered_name)
{
    char fname[64], kept[96];
    snprintf(fname, sizeof(fname), "%s.json", id);
    void *data = NULL;
    size_t len = 0;
    if (pl_read_file_at(outbox_fd, fname, 1u << 30, false, &data, &len) != 0)
        return 0; /* nothing to keep (or nothing readable: it cannot be replayed either) */
    cJSON *j = cJSON_ParseWithLength(data, len);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "seq");
    uint64_t seq = cJSON_IsNumber(s) && s->valuedouble >= 1 ? (uint64_t)s->valuedouble : 0;
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(j, "source");
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(src, "name"));
    bool own = recovered_name && name && strcmp(name, recovered_name) == 0;
    cJSON_Delete(j);
    free(data);
    if (seq == 0 || seq == unpublished_seq || own)
        return 0;
    snprintf(kept, sizeof(kept), "%s.%" PRIu64 ".json", id, seq);
    if (linkat(outbox_fd, fname, outbox_fd, kept, 0) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* Marks every item of the batch written into the folder of failed (true:
 * failed/, false: outbox/) as not written, with rc: its folder's fsync
 * failed, so none of them is known to be durable. */
static void s_batch_unsynced(struct service *sv, bool failed, int rc)
{
    struct item *it;
    STAILQ_FOREACH(it, &sv->batch, link)
    if (it->write_rc == 0 && it->failed == failed)
        it->write_rc = rc;
}

/* The end of a batch's group commit (see s_writer_work), after its result
 * files are written: the replay index, one fsync of each folder written,
 * then the sources' moves and one fsync of their folders. Thread pool. */
static void s_writer_commit(struct service *sv, bool wrote_outbox, bool wrote_failed)
{
    const struct pl_config *cfg = sv->cfg;
    struct item *it;
    /* Before anything of the batch is published: every seq published is in
     * the index. A failure only stops the index being kept (logged). Before
     * the folders' fsync, which then makes it durable with them (one
     * journal commit on ext4 for the index and both folders); an entry of a
     * result whose folder sync then fails is never published and is skipped
     * by replay (its seq is not in the file), and an index that is not
     * durable after a power cut no longer matches the folders' stamps. */
    STAILQ_FOREACH(it, &sv->batch, link)
    if (it->write_rc == 0) {
        char name[NAME_MAX + sizeof(PL_ERROR_SUFFIX)];
        if (it->failed)
            snprintf(name, sizeof(name), "%s" PL_ERROR_SUFFIX, it->failed_name);
        else
            snprintf(name, sizeof(name), "%s.json", it->src.id);
        if (pl_replay_log_add(&sv->rlog, it->seq, it->failed, name) != 0)
            break; /* out of memory: the commit goes on with what it has */
    }
    (void)pl_replay_log_commit(&sv->rlog);
    /* One folder sync for the batch's results (and the links and moves
     * into those folders before them). */
    if (cfg->durable && wrote_outbox && fsync(sv->spool.outbox_fd) != 0)
        s_batch_unsynced(sv, false, -errno);
    if (cfg->durable && wrote_failed && fsync(sv->spool.failed_fd) != 0)
        s_batch_unsynced(sv, true, -errno);
    /* Now the sources of the results written may leave spool/work. */
    bool moved = false;
    STAILQ_FOREACH(it, &sv->batch, link)
    if (it->write_rc == 0 && !it->failed) {
        int rc = pl_spool_done(&sv->spool, it->work_name, it->name, cfg->delete_on_success);
        moved |= rc == 0;
        if (rc == 0)
            it->unpublished_seq = 0;
        it->write_rc = rc;
    }
    /* So that a power cut does not bring them back into spool/work (they
     * would be processed again: published twice, never lost). A failure
     * here is only logged: the results are durable and published. */
    if (cfg->durable && moved &&
        ((!cfg->delete_on_success && fsync(sv->spool.done_fd) != 0) ||
         fsync(sv->spool.work_fd) != 0)) {
        char eb[128];
        PL_WARN("cannot sync %s/done and %s/work: %s; after a power cut some articles may be "
                "processed again",
                cfg->spool, cfg->spool, pl_strerror(-errno, eb, sizeof(eb)));
    }
}

/* Thread pool: writes one batch as a group commit. First every result file
 * (each fdatasynced when durable, renamed into outbox/ or failed/), then
 * the replay index's records and one fsync of each folder written, and
 * only then the sources of the batch's results move from spool/work to
 * done/, with one fsync of those folders: no source leaves the spool before
 * its result is durable, at one folder sync per batch instead of one per
 * article. A crash in between leaves the sources in spool/work, processed
 * again at the next start (the results already written are replaced without
 * being kept, as unpublished: see s_keep_superseded). */
static void s_writer_work(uv_work_t *w)
{
    struct service *sv = w->data;
    const struct pl_config *cfg = sv->cfg;
    /* The pool thread that writes a batch is named for it (top -H, perf,
     * pl_bench --threads); libuv leaves its threads the program's name. */
    static _Thread_local bool named;
    if (!named) {
        named = true;
        pthread_setname_np(pthread_self(), "pl-writer");
    }
    char published_at[32];
    pl_iso_time(pl_epoch_us(), published_at);
    bool wrote_outbox = false, wrote_failed = false;
    struct item *it;
    STAILQ_FOREACH(it, &sv->batch, link)
    {
        it->write_rc = 0;
        free(it->out);
        it->out = NULL;
        it->story = NULL; /* a slice of out */
        it->story_len = 0;
        if (!it->failed) {
            /* The chain the article went through: its generation's. */
            const struct pl_broker *b = &it->gen->broker;
            /* The "story" topic: when the stories stage put a "story"
             * object in the article, subscribers get the story's new state
             * on its own topic, right after the article that changed it:
             * the object as it stands in the message, found while the
             * message is composed (no other pass over it). */
            size_t story[2];
            /* A document the daemon made and merged from checked patches
             * alone is composed from the members the last merge found;
             * any other is scanned in full here. */
            const struct pl_json_members *known =
                it->a.doc_checked && it->a.members_ok ? &it->a.members : NULL;
            int rc = pl_article_final(it->a.doc, it->a.doc_len, known, it->seq, published_at,
                                      it->a.times, b->nstages, &it->out, &it->out_len, story);
            if (rc == -EINVAL) {
                /* Only a broken plugin gets here; the worker checks results. */
                it->failed = true;
                it->fail_stage = b->stages[b->nstages - 1].name;
                snprintf(it->a.fail_reason, sizeof(it->a.fail_reason),
                         "the last stage returned a document that is not a JSON object");
            } else if (rc != 0) {
                it->write_rc = rc;
                continue;
            } else {
                char fname[64];
                snprintf(fname, sizeof(fname), "%s.json", it->src.id);
                /* The newline makes outbox files easy to cat and concatenate. */
                it->out[it->out_len] = '\0';
                char *nl = realloc(it->out, it->out_len + 2);
                if (!nl) {
                    it->write_rc = -ENOMEM;
                    continue;
                }
                it->out = nl;
                it->out[it->out_len] = '\n';
                /* Made only if no record has the name (one directory
                 * entry made, no look-up before it); the one already there
                 * is kept or replaced as s_keep_superseded decides. */
                int wrc = pl_write_new(sv->spool.outbox_fd, fname, it->out, it->out_len + 1,
                                       cfg->durable);
                if (wrc == -EEXIST) {
                    const char *rname = it->recovered ? it->name : NULL;
                    wrc = s_keep_superseded(sv->spool.outbox_fd, it->src.id, it->unpublished_seq,
                                            rname);
                    if (wrc == 0)
                        wrc = pl_write_renamed(sv->spool.outbox_fd, fname, it->out, it->out_len + 1,
                                               cfg->durable);
                }
                it->out[it->out_len] = '\0';
                if (story[1]) {
                    it->story = it->out + story[0];
                    it->story_len = story[1];
                }
                /* Not published until its source has moved: a retry
                 * before then replaces it without keeping it. */
                if (wrc == 0) {
                    wrote_outbox = true;
                    it->unpublished_seq = it->seq;
                }
                it->write_rc = wrc;
                continue;
            }
        }
        /* Failed: move the source (once: a retry after a failed write of
         * the reason must not move it again), then write the reason. */
        char failed_path[PATH_MAX];
        int rc = 0;
        if (!it->failed_name[0])
            rc = pl_spool_move_failed(&sv->spool, it->work_name, it->name, it->failed_name);
        if (rc != 0) {
            it->failed_name[0] = '\0';
            it->write_rc = rc;
            continue;
        }
        snprintf(failed_path, sizeof(failed_path), "%s/%s", cfg->failed, it->failed_name);
        rc = pl_article_error(&it->src, it->received_at, it->seq, published_at, it->fail_stage,
                              it->a.fail_reason, failed_path, &it->out, &it->out_len);
        if (rc == 0) {
            /* failed_name leaves room for the suffix within NAME_MAX
             * (pl_spool_move_failed); the buffer is sized so that nothing
             * is cut even were it not so. */
            char ename[NAME_MAX + sizeof(PL_ERROR_SUFFIX)];
            snprintf(ename, sizeof(ename), "%s" PL_ERROR_SUFFIX, it->failed_name);
            rc = pl_write_renamed(sv->spool.failed_fd, ename, it->out, it->out_len, cfg->durable);
            wrote_failed |= rc == 0;
        }
        it->write_rc = rc;
    }
    s_writer_commit(sv, wrote_outbox, wrote_failed);
}

static void s_on_retry(uv_timer_t *t)
{
    s_writer_kick(t->data);
}

static void s_writer_after(uv_work_t *w, int status)
{
    struct service *sv = w->data;
    (void)status;
    struct item_list retry = STAILQ_HEAD_INITIALIZER(retry),
                     written = STAILQ_HEAD_INITIALIZER(written);
    struct item *it;
    sv->writing = false;
    STAILQ_CONCAT(&written, &sv->batch);
    /* With every result of the batch written, the next batch goes to the
     * thread pool before this one is published, so the writer works on it
     * while the loop publishes (its seqs follow these, and it is published
     * after them: the callbacks run in order). A batch with a failed write
     * waits: its articles go back to the front of the queue first. */
    bool all_written = true;
    STAILQ_FOREACH(it, &written, link)
    all_written &= it->write_rc == 0;
    if (all_written)
        s_writer_kick(sv);
    while ((it = STAILQ_FIRST(&written))) {
        STAILQ_REMOVE_HEAD(&written, link);
        if (it->write_rc != 0) {
            char eb[128];
            /* Once as an error; then at debug level, or a disk full for an
             * hour would log every article in flight every RETRY_MS. */
            if (it->write_failures++ == 0)
                PL_ERR("%s: cannot write the %s (%s); the file stays in the spool and is "
                       "retried every %d ms",
                       it->name, it->failed ? "failure record" : "result",
                       pl_strerror(it->write_rc, eb, sizeof(eb)), RETRY_MS);
            else
                PL_DEBUG("%s: still cannot write the %s (%s), %d tries", it->name,
                         it->failed ? "failure record" : "result",
                         pl_strerror(it->write_rc, eb, sizeof(eb)), it->write_failures);
            /* Its seq is not published: the retry takes another, so that
             * seqs published stay in order. */
            s_note_unused(sv, it->seq, it->seq);
            STAILQ_INSERT_TAIL(&retry, it, link);
            continue;
        }
        char rpath[PATH_MAX];
        if (it->failed)
            snprintf(rpath, sizeof(rpath), "%s/%s.error.json", sv->cfg->failed, it->failed_name);
        else
            snprintf(rpath, sizeof(rpath), "%s/%s.json", sv->cfg->outbox, it->src.id);
        if (pl_replay_add(&sv->replay, it->seq, it->failed, rpath) != 0)
            PL_WARN("out of memory indexing seq %" PRIu64 " for replay", it->seq);
        if (it->failed) {
            sv->failed++;
            PL_WARN("%s (id %s): failed in %s: %s; moved to %s/%s", it->name, it->src.id,
                    it->fail_stage ? it->fail_stage : "intake", it->a.fail_reason, sv->cfg->failed,
                    it->failed_name);
            pl_publisher_send(&sv->pub, "error", it->out, it->out_len);
        } else {
            sv->processed++;
            PL_DEBUG("%s (id %s): published as seq %" PRIu64, it->name, it->src.id, it->seq);
            pl_publisher_send(&sv->pub, "article", it->out, it->out_len);
            if (it->story)
                pl_publisher_send(&sv->pub, "story", it->story, it->story_len);
        }
        sv->last_seq = it->seq;
        sv->in_flight--;
        s_item_free(it);
    }
    if (!STAILQ_EMPTY(&retry) && !sv->write_blocked) {
        char eb[128];
        sv->write_blocked = true;
        PL_ERR("pausing intake: results cannot be written (%s); new files wait in %s and "
               "everything in flight stays in %s/work until a write succeeds",
               pl_strerror(STAILQ_FIRST(&retry)->write_rc, eb, sizeof(eb)), sv->cfg->inbox,
               sv->cfg->spool);
    } else if (STAILQ_EMPTY(&retry) && sv->write_blocked) {
        sv->write_blocked = false;
        PL_INFO("resuming intake: results are being written again");
    }
    if (!STAILQ_EMPTY(&retry)) {
        /* Back to the front of the queue, after a pause. */
        STAILQ_CONCAT(&retry, &sv->wq);
        STAILQ_CONCAT(&sv->wq, &retry);
        if (!sv->stopping)
            uv_timer_start(&sv->retry_timer, s_on_retry, RETRY_MS, 0);
    } else {
        s_writer_kick(sv);
    }
    s_pump(sv);
    s_maybe_finish_stop(sv);
}

/* Notes seq numbers [from, to] that are never published, for status: so
 * a subscriber can tell a jump in seq from messages it missed. Keeps the
 * latest UNUSED_RANGES ranges, joining one that follows the last. */
static void s_note_unused(struct service *sv, uint64_t from, uint64_t to)
{
    if (sv->nunused > 0 && sv->unused[sv->nunused - 1][1] + 1 == from) {
        sv->unused[sv->nunused - 1][1] = to;
        return;
    }
    if (sv->nunused == UNUSED_RANGES) {
        memmove(sv->unused[0], sv->unused[1], (UNUSED_RANGES - 1) * sizeof(sv->unused[0]));
        sv->nunused--;
    }
    sv->unused[sv->nunused][0] = from;
    sv->unused[sv->nunused][1] = to;
    sv->nunused++;
}

/* Before the first seq of this run: the numbers after the newest in the
 * record up to the first this run takes were reserved by the previous run
 * (seq.c reserves blocks) and never published. */
static void s_note_unused_at_start(struct service *sv)
{
    sv->unused_checked = true;
    uint64_t newest = sv->replay.n ? sv->replay.v[sv->replay.n - 1].seq : 0;
    if (sv->seq.next > newest + 1)
        s_note_unused(sv, newest + 1, sv->seq.next - 1);
}

static void s_writer_kick(struct service *sv)
{
    if (sv->writing || STAILQ_EMPTY(&sv->wq) || uv_is_active((uv_handle_t *)&sv->retry_timer))
        return;
    int n = 0;
    struct item *it;
    if (!sv->unused_checked)
        s_note_unused_at_start(sv);
    while ((it = STAILQ_FIRST(&sv->wq)) && n < WRITER_BATCH) {
        if (pl_seq_take(&sv->seq, &it->seq) != 0) {
            PL_ERR("cannot reserve sequence numbers in %s/seq; retrying in %d ms", sv->cfg->spool,
                   RETRY_MS);
            uv_timer_start(&sv->retry_timer, s_on_retry, RETRY_MS, 0);
            break;
        }
        STAILQ_REMOVE_HEAD(&sv->wq, link);
        STAILQ_INSERT_TAIL(&sv->batch, it, link);
        n++;
    }
    if (STAILQ_EMPTY(&sv->batch))
        return;
    sv->writing = true;
    sv->work.data = sv;
    uv_queue_work(&sv->loop, &sv->work, s_writer_work, s_writer_after);
}

/* --- intake ------------------------------------------------------------ */

static struct item *s_item_new(const char *work_name, const char *name, const char *dir)
{
    struct item *it = calloc(1, sizeof(*it));
    if (!it)
        return NULL;
    snprintf(it->work_name, sizeof(it->work_name), "%s", work_name);
    it->name = strdup(name);
    size_t n = strlen(dir) + strlen(name) + 2;
    it->path = malloc(n);
    if (!it->name || !it->path) {
        s_item_free(it);
        return NULL;
    }
    snprintf(it->path, n, "%s/%s", dir, name);
    it->src.path = it->path;
    it->src.name = it->name;
    it->src.format = "text";
    it->a.data = it;
    pl_iso_time(pl_epoch_us(), it->received_at);
    return it;
}

/* A file that changed while it was read (rc -EAGAIN) had a writer the
 * watcher could not see, or one held in open() by the lease on fd (still
 * open here: the writer gets in only once the file is back): it goes back
 * to the inbox, where the watcher waits for that writer's close (or for
 * the file to be still) before it is claimed again. One that could not be
 * opened for want of descriptors (-EMFILE, -ENFILE) goes back too: that is
 * the daemon's moment, not the file's fault, and the next scan claims it
 * again. */
static int s_put_back(struct service *sv, struct item *it, const char *work_name, const char *name,
                      int why)
{
    int rc = pl_spool_unclaim(&sv->spool, work_name, name);
    if (rc != 0)
        return rc;
    if (why == -EAGAIN)
        PL_WARN("%s/%s: changed while it was being read; back in the inbox until its writer is "
                "done",
                sv->cfg->inbox, name);
    else
        PL_WARN("%s/%s: cannot be opened now (too many open files); back in the inbox for the "
                "next scan",
                sv->cfg->inbox, name);
    sv->in_flight--;
    s_item_free(it);
    return 0;
}

/* Reads the claimed file and hands it to the broker, or refuses it.
 * recovered: it was left in spool/work by a run that crashed. fd: -1, or the
 * watcher's descriptor of it (pl_spool_read_claimed), which the caller
 * closes. */
static void s_start(struct service *sv, const char *work_name, const char *name, bool recovered,
                    int fd)
{
    struct item *it = s_item_new(work_name, name, sv->cfg->inbox);
    if (!it) {
        PL_ERR("%s: out of memory; it stays in the spool for the next start", name);
        return;
    }
    it->recovered = recovered;
    sv->in_flight++;
    void *data = NULL;
    size_t len = 0;
    int rc = fd >= 0
                 ? pl_spool_read_claimed(&sv->spool, fd, work_name, sv->cfg->max_bytes, &data, &len)
                 : pl_spool_read(&sv->spool, work_name, sv->cfg->max_bytes, &data, &len);
    if ((rc == -EAGAIN || rc == -EMFILE || rc == -ENFILE) &&
        s_put_back(sv, it, work_name, name, rc) == 0)
        return;
    if (rc != 0) {
        pl_name_id(name, &it->src);
        it->src.bytes = len;
        char why[256];
        pl_refusal_reason(rc, len, sv->cfg->max_bytes, &it->src.format, why, sizeof(why));
        s_fail_item(sv, it, NULL, "%s", why);
        return;
    }
    pl_content_id(data, len, &it->src);
    it->src.bytes = len;
    if (len == 0) {
        free(data);
        s_fail_item(sv, it, NULL, "empty file (0 bytes)");
        return;
    }
    rc = pl_article_initial(&it->src, it->received_at, data, len, &it->a.doc, &it->a.doc_len);
    free(data);
    if (rc != 0) {
        s_fail_item(sv, it, NULL, "out of memory building the document");
        return;
    }
    it->a.doc_checked = true; /* made here */
    PL_DEBUG("%s: claimed as id %s (%zu bytes)", name, it->src.id, len);
    it->gen = pl_reload_current(&sv->rl);
    pl_reload_hold(it->gen);
    pl_broker_submit(&it->gen->broker, &it->a);
}

/* A file that cannot even be moved out of the inbox (another account's file
 * in a sticky folder, a read-only mount) cannot reach failed/ either: it is
 * logged once, not at every scan, and counted in status as "unclaimable". */
static void s_claim_failed(struct service *sv, const char *name, int rc)
{
    if (pl_nameset_contains(&sv->unclaimable, name))
        return;
    char eb[128];
    PL_ERR("%s/%s: cannot claim it: %s; it stays in the inbox", sv->cfg->inbox, name,
           pl_strerror(rc, eb, sizeof(eb)));
    if (pl_nameset_add(&sv->unclaimable, name) == 0)
        sv->nunclaimable++;
}

/* Whether intake can take a file now. No current generation: a reload
 * waits for the old one's sockets. */
static bool s_can_take(struct service *sv)
{
    return !sv->stopping && !sv->write_blocked && pl_reload_current(&sv->rl) &&
           sv->in_flight < (size_t)sv->cfg->max_in_flight;
}

/* Whether files wait to be claimed: recovered ones or names from the watcher. */
static bool s_files_wait(const struct service *sv)
{
    return sv->recovered_at < sv->nrecovered || !STAILQ_EMPTY(&sv->pending);
}

/* Claims inbox/<name> and hands it on (s_start); fd as there. */
static void s_claim(struct service *sv, const char *name, int fd)
{
    char work_name[NAME_MAX + 1];
    int rc = pl_spool_claim(&sv->spool, name, work_name);
    if (rc == 0) {
        if (pl_nameset_contains(&sv->unclaimable, name)) {
            pl_nameset_remove(&sv->unclaimable, name);
            sv->nunclaimable--;
        }
        s_start(sv, work_name, name, false, fd);
    } else if (rc != -ENOENT) {
        s_claim_failed(sv, name, rc);
    }
}

/* Claims up to limit files (recovered ones first) and hands them to the
 * broker. */
static void s_intake(struct service *sv, int limit)
{
    for (int taken = 0; taken < limit && s_can_take(sv); taken++) {
        if (sv->recovered_at < sv->nrecovered) {
            char *w = sv->recovered[sv->recovered_at++];
            s_start(sv, w, pl_spool_orig_name(w), true, -1);
            continue;
        }
        struct name_node *n = STAILQ_FIRST(&sv->pending);
        if (!n)
            break;
        STAILQ_REMOVE_HEAD(&sv->pending, link);
        sv->npending--;
        pl_nameset_remove(&sv->pending_set, n->name);
        s_claim(sv, n->name, -1);
        free(n);
    }
    if (sv->watch_open && sv->watch.paused && sv->npending < (size_t)sv->cfg->max_queued / 2)
        pl_watch_resume(&sv->watch);
}

static void s_on_intake_idle(uv_idle_t *h)
{
    struct service *sv = h->data;
    s_intake(sv, INTAKE_SLICE);
    if (!s_files_wait(sv) || !s_can_take(sv))
        uv_idle_stop(h);
}

/* Takes waiting files while there is room: one slice now, the rest a slice
 * per loop turn (INTAKE_SLICE), from an idle handle that stops once no file
 * waits or there is no room (what makes room calls this again). */
static void s_pump(struct service *sv)
{
    if (!sv->intake_idle_open) {
        s_intake(sv, INT_MAX); /* before the handle exists (start) or after it closed */
        return;
    }
    s_intake(sv, INTAKE_SLICE);
    if (s_files_wait(sv) && s_can_take(sv))
        uv_idle_start(&sv->intake_idle, s_on_intake_idle);
}

/* The watcher's "known" test: a name queued and not yet claimed. */
static bool s_is_queued(struct pl_watch *w, const char *name)
{
    const struct service *sv = w->data;
    return pl_nameset_contains(&sv->pending_set, name);
}

static void s_on_name(struct pl_watch *w, const char *name, int fd)
{
    struct service *sv = w->data;
    if (fd >= 0) {
        /* Nothing waits before it and there is room: claimed now, read
         * through the watcher's descriptor (three system calls fewer than
         * opening it again by name). Otherwise it waits its turn, and the
         * lease goes now: held while queued, it would keep writers waiting. */
        bool now = !s_files_wait(sv) && s_can_take(sv);
        if (now)
            s_claim(sv, name, fd);
        close(fd);
        if (now)
            return;
    }
    if (sv->stopping || pl_nameset_contains(&sv->pending_set, name))
        return;
    size_t n = strlen(name);
    struct name_node *node = malloc(sizeof(*node) + n + 1);
    if (!node || pl_nameset_add(&sv->pending_set, name) != 0) {
        free(node);
        PL_WARN("out of memory queueing %s; it is picked up by a later scan", name);
        return;
    }
    memcpy(node->name, name, n + 1);
    STAILQ_INSERT_TAIL(&sv->pending, node, link);
    sv->npending++;
    if (sv->npending >= (size_t)sv->cfg->max_queued)
        pl_watch_pause(w); /* the rest stay in the inbox; a scan finds them on resume */
    s_pump(sv);
}

/* --- status ------------------------------------------------------------- */

/* The figures the metrics, the probes and systemd's STATUS= show (ops.h). */
static void s_ops_fill(struct pl_ops *o, struct pl_metrics_data *d)
{
    struct service *sv = o->data;
    uint64_t now = uv_now(&sv->loop);
    /* The stages of the current generation. While a reload's new stages
     * wait for the old ones to let their endpoints go, those of the newest
     * generation that runs: they are still at work on what they hold, so
     * the watchdog goes on (a drain may outlast WatchdogSec), while /ready
     * says intake waits. The counters add up every generation's. */
    struct pl_gen *cur = sv->rl_open ? pl_reload_current(&sv->rl) : NULL;
    const struct pl_gen *shown = cur;
    if (!shown && sv->rl_open) {
        const struct pl_gen *g;
        LIST_FOREACH(g, &sv->rl.gens, link)
        if (g->broker_open) {
            shown = g;
            break;
        }
    }
    d->reload_waiting = sv->rl_open && !cur && !sv->stopping;
    d->nstages = shown ? shown->broker.nstages : 0;
    for (size_t i = 0; i < d->nstages; i++) {
        const struct pl_stage_rt *s = &shown->broker.stages[i];
        snprintf(d->stages[i].name, sizeof(d->stages[i].name), "%s", s->name);
        struct pl_stage_totals tot;
        pl_reload_stage_totals(&sv->rl, s->name, &tot);
        d->stages[i].seconds = tot.seconds;
        d->stages[i].retries = tot.retries;
        d->stages[i].process_cpu_ns = tot.process_cpu_ns;
        d->stages[i].threads = shown->cfg->stages[i].spawn == PL_SPAWN_THREAD;
        d->stages[i].workers = pl_broker_live_workers(s, now);
    }
    d->published = sv->processed;
    d->failed = sv->failed;
    d->replay_requests = sv->replay.requests;
    d->last_seq = sv->last_seq;
    d->in_flight = sv->in_flight;
    d->queued = sv->npending;
    d->intake_paused = sv->write_blocked;
    d->watching = sv->watch_open;
    d->stopping = sv->stopping;
}

static void s_on_status(uv_timer_t *t)
{
    struct service *sv = t->data;
    if (!sv->unused_checked)
        s_note_unused_at_start(sv);
    char now[32], buf[1024];
    pl_iso_time(pl_epoch_us(), now);
    int n = snprintf(buf, sizeof(buf),
                     "{\"schema\":\"pressline/status/1\",\"published_at\":\"%s\","
                     "\"uptime_ms\":%" PRIu64 ",\"in_flight\":%zu,\"pending\":%zu,"
                     "\"processed\":%lu,\"failed\":%lu,\"last_seq\":%" PRIu64
                     ",\"stopping\":%s,\"intake_paused\":%s,\"unclaimable\":%zu,\"unused_seq\":[",
                     now, uv_now(&sv->loop) - sv->started_ms, sv->in_flight, sv->npending,
                     sv->processed, sv->failed, sv->last_seq, sv->stopping ? "true" : "false",
                     sv->write_blocked ? "true" : "false", sv->nunclaimable);
    /* The buffer holds UNUSED_RANGES ranges of 20-digit numbers. */
    for (size_t i = 0; i < sv->nunused; i++)
        n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s[%" PRIu64 ",%" PRIu64 "]", i ? "," : "",
                      sv->unused[i][0], sv->unused[i][1]);
    n += snprintf(buf + n, sizeof(buf) - (size_t)n, "]}");
    pl_publisher_send(&sv->pub, "status", buf, (size_t)n);
    pl_ops_status(&sv->ops);
}

/* --- shutdown ----------------------------------------------------------- */

static void s_on_watch_closed(struct pl_watch *w)
{
    (void)w;
}

static void s_abandoned(struct pl_broker *b, struct pl_article *a)
{
    (void)b;
    struct service *sv = b->data;
    sv->in_flight--;
    s_item_free((struct item *)a);
}

/* Closes everything once no work is left (or the deadline passed). */
static void s_close_all(struct service *sv)
{
    if (uv_is_closing((uv_handle_t *)&sv->stop_timer))
        return;
    size_t left = pl_reload_abandon(&sv->rl, s_abandoned);
    if (left)
        PL_WARN("shutdown deadline reached: %zu article%s stay in %s/work and are processed "
                "at the next start",
                left, left == 1 ? "" : "s", sv->cfg->spool);
    pl_reload_close(&sv->rl);
    pl_replay_close(&sv->replay);
    pl_ops_close(&sv->ops);
    uv_close((uv_handle_t *)&sv->stop_timer, NULL);
    uv_close((uv_handle_t *)&sv->intake_idle, NULL);
    sv->intake_idle_open = false;
    uv_close((uv_handle_t *)&sv->status_timer, NULL);
    uv_close((uv_handle_t *)&sv->retry_timer, NULL);
    uv_close((uv_handle_t *)&sv->sigint, NULL);
    uv_close((uv_handle_t *)&sv->sigterm, NULL);
}

static void s_maybe_finish_stop(struct service *sv)
{
    if (!sv->stopping || sv->writing)
        return;
    /* Articles waiting for the writer are finished before we go, unless a
     * write keeps failing (then they stay in the spool). */
    if (sv->in_flight == 0 || (!pl_reload_in_flight(&sv->rl) && !STAILQ_EMPTY(&sv->wq) &&
                               uv_is_active((uv_handle_t *)&sv->retry_timer)))
        s_close_all(sv);
}

static void s_on_stop_timer(uv_timer_t *t)
{
    struct service *sv = t->data;
    if (sv->writing) {
        /* A write in progress always completes (it is bounded file I/O). */
        uv_timer_start(t, s_on_stop_timer, 50, 0);
        return;
    }
    s_close_all(sv);
}

static void s_on_signal(uv_signal_t *s, int signum)
{
    struct service *sv = s->data;
    if (++sv->signals > 1) {
        PL_WARN("second %s: exiting now; articles in flight stay in %s/work for the next start",
                strsignal(signum), sv->cfg->spool);
        _exit(1);
    }
    PL_INFO("%s: no new files taken; finishing %zu article%s in flight (up to %d ms)",
            strsignal(signum), sv->in_flight, sv->in_flight == 1 ? "" : "s",
            sv->cfg->shutdown_timeout_ms);
    sv->stopping = true;
    pl_ops_stopping(&sv->ops);
    pl_reload_stop(&sv->rl);
    if (sv->watch_open) {
        sv->watch_open = false;
        pl_watch_close(&sv->watch, s_on_watch_closed);
    }
    /* Names queued but not claimed are still in the inbox: nothing to do. */
    struct name_node *n;
    while ((n = STAILQ_FIRST(&sv->pending))) {
        STAILQ_REMOVE_HEAD(&sv->pending, link);
        free(n);
    }
    sv->npending = 0;
    uv_timer_start(&sv->stop_timer, s_on_stop_timer, (uint64_t)sv->cfg->shutdown_timeout_ms, 0);
    s_maybe_finish_stop(sv);
}

/* --- start ------------------------------------------------------------- */

/* Lists what an earlier run left in spool/work; s_pump takes it first.
 * Returns 0 or -errno (logged). */
static int s_recover(struct service *sv)
{
    int rc = pl_spool_list_work(&sv->spool, &sv->recovered, &sv->nrecovered);
    if (rc != 0) {
        char eb[128];
        PL_ERR("cannot list %s/work: %s", sv->cfg->spool, pl_strerror(rc, eb, sizeof(eb)));
        return rc;
    }
    if (sv->nrecovered)
        PL_INFO("recovering %zu article%s left in %s/work by an earlier run", sv->nrecovered,
                sv->nrecovered == 1 ? "" : "s", sv->cfg->spool);
    return 0;
}

/* Undoes a start that failed after the broker was up: every handle is
 * closed and the loop run until they are gone. */
static void s_abort_start(struct service *sv)
{
    if (sv->rl_open)
        pl_reload_close(&sv->rl);
    pl_replay_close(&sv->replay);
    pl_ops_close(&sv->ops);
    uv_run(&sv->loop, UV_RUN_DEFAULT);
}

/* Start, phase 1: the folders, the sequence file, the queue's name set and
 * the replay index. Each failure is logged. Returns 0 or its code; on
 * failure s_close_storage undoes what was done. */
static int s_open_storage(struct service *sv)
{
    const struct pl_config *cfg = sv->cfg;
    char err[1024];
    int rc = pl_spool_open(&sv->spool, cfg, err, sizeof(err));
    if (rc != 0) {
        PL_ERR("%s", err);
        return rc;
    }
    pl_spool_sweep_temp(&sv->spool);
    rc = pl_seq_open(&sv->seq, sv->spool.spool_fd, cfg->durable);
    if (rc != 0) {
        char eb[128];
        PL_ERR("cannot use the sequence file %s/seq: %s", cfg->spool,
               rc == -EBADMSG ? "it is corrupt (expected one decimal number)"
                              : pl_strerror(rc, eb, sizeof(eb)));
        return rc;
    }
    if ((rc = pl_nameset_init(&sv->pending_set)) != 0 ||
        (rc = pl_nameset_init(&sv->unclaimable)) != 0) {
        PL_ERR("out of memory");
        return rc;
    }
    uint64_t t0 = uv_hrtime();
    rc = pl_replay_log_open(&sv->rlog, &sv->replay, sv->spool.spool_fd, sv->spool.outbox_fd,
                            sv->spool.failed_fd, cfg->outbox, cfg->failed, cfg->durable);
    if (rc == 0 && sv->rlog.rebuilt)
        PL_INFO("replay index: %zu entries read from %s and %s in %" PRIu64
                " ms (%s/" PL_REPLAY_LOG_NAME " was not usable: %s)",
                sv->replay.n, cfg->outbox, cfg->failed, (uv_hrtime() - t0) / 1000000, cfg->spool,
                sv->rlog.why);
    else if (rc == 0)
        PL_INFO("replay index: %zu entries from %s/" PL_REPLAY_LOG_NAME " in %" PRIu64 " ms",
                sv->replay.n, cfg->spool, (uv_hrtime() - t0) / 1000000);
    if (rc != 0) {
        char eb[128];
        PL_ERR("cannot index %s and %s for replay: %s", cfg->outbox, cfg->failed,
               pl_strerror(rc, eb, sizeof(eb)));
        return rc;
    }
    return 0;
}

static void s_close_storage(struct service *sv)
{
    pl_replay_close(&sv->replay);
    pl_replay_log_close(&sv->rlog);
    pl_nameset_free(&sv->pending_set);
    pl_nameset_free(&sv->unclaimable);
    pl_spool_close(&sv->spool);
}

/* Start, phase 2: the ZeroMQ context and the sockets (publisher, replay).
 * Each failure is logged. Returns 0 or its code; on
 * failure s_close_sockets undoes what was done. */
static int s_open_sockets(struct service *sv)
{
    const struct pl_config *cfg = sv->cfg;
    char err[1024];
    sv->zctx = zmq_ctx_new();
    if (!sv->zctx) {
        int rc = -zmq_errno();
        char eb[128];
        PL_ERR("cannot create a ZeroMQ context: %s", pl_strerror(rc, eb, sizeof(eb)));
        return rc;
    }
    int rc = pl_publisher_open(&sv->pub, sv->zctx, cfg->pub_endpoint, cfg->pub_hwm,
                               cfg->curve_secret, err, sizeof(err));
    if (rc == 0)
        rc = pl_replay_start(&sv->replay, &sv->loop, sv->zctx, cfg->replay_endpoint,
                             cfg->curve_secret, err, sizeof(err));
    if (rc != 0)
        PL_ERR("%s", err);
    return rc;
}

/* Closes what s_open_sockets opened; the context only when no worker is
 * stuck (zmq_ctx_term waits for every socket, and a stuck worker's never
 * closes). */
static void s_close_sockets(struct service *sv, size_t stuck)
{
    pl_replay_close(&sv->replay);
    uv_run(&sv->loop, UV_RUN_NOWAIT); /* let the closed handles go */
    pl_publisher_close(&sv->pub);
    if (!stuck && sv->zctx)
        zmq_ctx_term(sv->zctx);
}

/* Starts the inbox watcher in the mode watch.mode asks for; "auto" looks at
 * the inbox's file system (statfs), as inotify sees nothing that other hosts
 * write to NFS, SMB/CIFS or a FUSE mount. Logs the choice and any failure.
 * Returns 0 or -errno. */
static int s_start_watch(struct service *sv)
{
    const struct pl_config *cfg = sv->cfg;
    char eb[128];
    struct statfs fs;
    unsigned long f_type = 0;
    if (fstatfs(sv->spool.inbox_fd, &fs) == 0)
        f_type = (unsigned long)fs.f_type;
    else
        PL_WARN("cannot tell the file system of the inbox %s (%s); taking it as local", cfg->inbox,
                pl_strerror(-errno, eb, sizeof(eb)));
    const char *remote = pl_watch_untrusted_fs(f_type);
    enum pl_watch_mode mode = pl_watch_decide(cfg->watch_mode, f_type);
    sv->watch.data = sv;
    sv->watch.known = s_is_queued;
    int rc;
    if (mode == PL_WATCH_POLL) {
        if (cfg->watch_mode == PL_WATCH_AUTO)
            PL_WARN("the inbox %s is on %s, where inotify does not see files that other hosts "
                    "write; watching it by scans every %d ms instead (watch.mode \"auto\"; "
                    "watch.poll_interval_ms)",
                    cfg->inbox, remote, cfg->poll_interval_ms);
        else
            PL_INFO("watching the inbox %s by scans every %d ms (watch.mode \"poll\")", cfg->inbox,
                    cfg->poll_interval_ms);
        rc = pl_watch_start_poll(&sv->watch, &sv->loop, sv->spool.inbox_fd, cfg->settle_ms,
                                 cfg->poll_interval_ms, s_on_name);
    } else {
        if (remote)
            PL_WARN("the inbox %s is on %s, where inotify does not see files that other hosts "
                    "write; watch.mode \"inotify\" relies on it anyway (with a full scan every "
                    "%d ms)",
                    cfg->inbox, remote, cfg->rescan_interval_ms);
        rc = pl_watch_start(&sv->watch, &sv->loop, sv->spool.inbox_fd, cfg->settle_ms,
                            cfg->rescan_interval_ms, s_on_name);
    }
    if (rc != 0)
        PL_ERR("cannot watch the inbox %s: %s", cfg->inbox, pl_strerror(rc, eb, sizeof(eb)));
    return rc;
}

/* A reload starts: RELOADING=1, and READY=1 again once its stages live. */
static void s_on_reloading(void *data)
{
    struct service *sv = data;
    pl_ops_reloading(&sv->ops);
}

/* A reload's new generation is current after waiting: intake goes on. */
static void s_on_current(void *data)
{
    s_pump(data);
}

/* Start, phase 3: generation 1 of the stages (the broker's sockets, the
 * worker threads and processes), the metrics and the HTTP endpoint, what an
 * earlier run left and the inbox watcher. Each failure is logged and the
 * start undone (s_abort_start). Returns 0 or its code. */
static int s_start_work(struct service *sv)
{
    const struct pl_config *cfg = sv->cfg;
    char eb[128];
    const struct pl_reload_hooks hooks = { .data = sv,
                                           .on_done = s_on_done,
                                           .on_failed = s_on_failed,
                                           .on_current = s_on_current,
                                           .on_reloading = s_on_reloading };
    /* The stages first, so that the first scrape of the metrics and the
     * probes already sees them (with no live worker yet). */
    sv->rl_open = true;
    int rc = pl_reload_open(&sv->rl, &sv->loop, cfg, sv->opts->config_path,
                            sv->opts->log_level_fixed, &hooks);
    sv->ops.data = sv;
    if (rc == 0)
        rc = pl_ops_start(&sv->ops, &sv->loop, cfg, s_ops_fill);
    if (rc == 0)
        rc = s_recover(sv);
    if (rc == 0)
        rc = s_start_watch(sv);
    (void)eb;
    if (rc != 0) {
        s_abort_start(sv);
        return rc;
    }
    sv->watch_open = true;
    return 0;
}

/* Start, phase 4: the writer's retry timer, the status and shutdown timers,
 * SIGINT, SIGTERM and SIGHUP (reload). Cannot fail. */
static void s_arm_timers(struct service *sv)
{
    const struct pl_config *cfg = sv->cfg;
    uv_timer_init(&sv->loop, &sv->retry_timer);
    uv_timer_init(&sv->loop, &sv->status_timer);
    uv_timer_init(&sv->loop, &sv->stop_timer);
    sv->retry_timer.data = sv->status_timer.data = sv->stop_timer.data = sv;
    uv_idle_init(&sv->loop, &sv->intake_idle);
    sv->intake_idle.data = sv;
    sv->intake_idle_open = true;
    if (cfg->status_interval_ms > 0)
        uv_timer_start(&sv->status_timer, s_on_status, (uint64_t)cfg->status_interval_ms,
                       (uint64_t)cfg->status_interval_ms);
    uv_signal_init(&sv->loop, &sv->sigint);
    uv_signal_init(&sv->loop, &sv->sigterm);
    sv->sigint.data = sv->sigterm.data = sv;
    uv_signal_start(&sv->sigint, s_on_signal, SIGINT);
    uv_signal_start(&sv->sigterm, s_on_signal, SIGTERM);
    pl_reload_arm(&sv->rl);
}

/* Frees what is left once the loop is done; the generations last, once
 * every article has released its own. */
static void s_free(struct service *sv)
{
    pl_ops_free(&sv->ops);
    for (size_t i = 0; i < sv->nrecovered; i++)
        free(sv->recovered[i]);
    free(sv->recovered);
    struct item *it;
    while ((it = STAILQ_FIRST(&sv->wq))) {
        STAILQ_REMOVE_HEAD(&sv->wq, link);
        s_item_free(it);
    }
    if (sv->rl_open)
        pl_reload_free(&sv->rl);
    uv_loop_close(&sv->loop);
    free(sv);
}

/* Raises the soft open-file limit to the hard one. Every subscriber,
 * replay client and worker connection is a descriptor, and the common soft
 * default of 1,024 is soon spent by idle TCP connections, after which the
 * inbox scan and the writer fail with EMFILE. The hard limit is what the
 * administrator granted (the unit's LimitNOFILE); libuv and ZeroMQ use
 * epoll, so no FD_SETSIZE bound applies. Failing to raise it is not fatal. */
static void s_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        char eb[128];
        PL_WARN("cannot read the open-file limit: %s", pl_strerror(-errno, eb, sizeof(eb)));
        return;
    }
    rlim_t was = rl.rlim_cur;
    if (rl.rlim_cur != rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            char eb[128];
            PL_WARN("cannot raise the open-file limit from %llu to %llu: %s",
                    (unsigned long long)was, (unsigned long long)rl.rlim_max,
                    pl_strerror(-errno, eb, sizeof(eb)));
            return;
        }
    }
    if (was != rl.rlim_cur)
        PL_INFO("open-file limit %llu (raised from %llu)", (unsigned long long)rl.rlim_cur,
                (unsigned long long)was);
    else
        PL_INFO("open-file limit %llu (the hard limit)", (unsigned long long)rl.rlim_cur);
}

int pl_service_run(const struct pl_config *cfg, const struct pl_service_opts *opts)
{
    struct service *sv = calloc(1, sizeof(*sv));
    if (!sv) {
        PL_ERR("out of memory");
        return -ENOMEM;
    }
    sv->cfg = cfg;
    sv->opts = opts;
    sv->rlog.fd = -1;
    STAILQ_INIT(&sv->pending);
    STAILQ_INIT(&sv->wq);
    STAILQ_INIT(&sv->batch);
    uv_loop_init(&sv->loop);
    /* A signal kills nothing mid-write: they arrive through the loop. */
    signal(SIGPIPE, SIG_IGN);
    /* The watcher's probe holds a read lease for a moment (watch.c), until
     * the claim has read the file or queued its name: a program opening the
     * file for writing then breaks it, and the kernel tells the holder with
     * SIGIO, whose default ends the process. The holder closes the file
     * soon whatever happens, which lets the writer's open go on, so the
     * notice is not needed. */
    signal(SIGIO, SIG_IGN);
    /* A reload asked for before the start is complete (pl_reload_arm) is
     * ignored, not the end of the daemon; uv_spawn resets it in workers. */
    signal(SIGHUP, SIG_IGN);
    s_raise_nofile();
    size_t stuck = 0;
    int rc = s_open_storage(sv);
    if (rc == 0) {
        rc = s_open_sockets(sv);
        if (rc == 0) {
            rc = s_start_work(sv);
            if (rc == 0) {
                s_arm_timers(sv);
                sv->started_ms = uv_now(&sv->loop);
                PL_INFO("watching %s; publishing on %s (replay on %s, %zu messages); results in "
                        "%s",
                        cfg->inbox, cfg->pub_endpoint,
                        *cfg->replay_endpoint ? cfg->replay_endpoint : "none", sv->replay.n,
                        cfg->outbox);
                s_pump(sv);
                uv_run(&sv->loop, UV_RUN_DEFAULT);
                PL_INFO("stopped: %lu published, %lu failed", sv->processed, sv->failed);
            }
            stuck = pl_reload_stuck(&sv->rl);
            if (stuck)
                PL_WARN("%zu worker thread%s stuck in a plugin at the end", stuck,
                        stuck == 1 ? " is" : "s are");
        }
        s_close_sockets(sv, stuck);
    }
    s_close_storage(sv);
    s_free(sv);
    if (stuck)
        _exit(rc != 0); /* a thread is inside a plugin; nothing else to wait for */
    return rc;
}

/* Warns when a daemon holds cfg's spool. A warning, not a failure: --check
 * judges the configuration, which is no worse for a running daemon (it is
 * how an operator checks a new configuration before a restart, and the
 * unit's ExecStartPre), and a second daemon refuses to start anyway. */
static void s_check_lock(const struct pl_config *cfg)
{
    long pid;
    int rc = pl_spool_lock_holder(cfg->spool, &pid);
    if (rc == 1 && pid > 0)
        PL_WARN("the spool %s is in use by presslined pid %ld; a second daemon on it would not "
                "start",
                cfg->spool, pid);
    else if (rc == 1)
        PL_WARN("the spool %s is in use by another presslined; a second daemon on it would not "
                "start",
                cfg->spool);
    else if (rc < 0) {
        char eb[128];
        PL_WARN("cannot tell whether a daemon holds the spool %s: %s/%s: %s", cfg->spool,
                cfg->spool, PL_SPOOL_LOCK, pl_strerror(rc, eb, sizeof(eb)));
    }
}

int pl_service_check(const struct pl_config *cfg)
{
    s_check_lock(cfg);
    return pl_service_check_stages(cfg);
}

int pl_service_check_stages(const struct pl_config *cfg)
{
    int first = 0;
    for (size_t i = 0; i < cfg->nstages; i++) {
        const struct pl_stage_cfg *sc = &cfg->stages[i];
        struct pl_plugin_handle *h = NULL;
        char err[1024];
        int rc = pl_plugin_open(sc->plugin_path, &h, err, sizeof(err));
        if (rc != 0) {
            PL_ERR("stage %s: %s", sc->name, err);
            first = first ? first : rc;
            continue;
        }
        struct pl_plugin_instance inst;
        rc = pl_plugin_instance_init(&inst, h, sc->name, sc->options_json, err, sizeof(err));
        if (rc != 0) {
            PL_ERR("%s", err);
            first = first ? first : rc;
        } else {
            PL_INFO("stage %s: plugin %s %s (%s) loads and accepts its options", sc->name,
                    h->desc->name, h->desc->version, sc->plugin_path);
            pl_plugin_instance_fini(&inst);
        }
        pl_plugin_close(&h);
    }
    return first;
}
