/*
 * The stories stage in the real daemon: its memory survives kill -9 of the
 * stage's worker process and of the daemon, and the "story" topic follows
 * each article. Temp folders, free ports, bounded waits.
 */
#include "cm.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "store.h"

struct env {
    char *dir;
    struct th_daemon d;
    struct th_sub sub;
    double story; /* the story of the last article received */
};

static void s_start(struct env *e, const char *extra)
{
    memset(e, 0, sizeof(*e));
    e->dir = th_tempdir();
    assert_non_null(e->dir);
    assert_int_equal(th_daemon_start_live(&e->d, &e->sub, e->dir, extra, 15000), 0);
    e->sub.stories = true;
}

static void s_finish(struct env *e)
{
    th_sub_close(&e->sub);
    th_daemon_free(&e->d);
    th_rmrf(e->dir);
    free(e->dir);
}

static void s_drop(struct env *e, const char *name, const char *text)
{
    assert_int_equal(th_drop(e->dir, name, text, strlen(text)), 0);
}

/* Article i of a stream: its own words, so each is a story of its own. */
static void s_drop_article(struct env *e, int i)
{
    char name[32], text[512];
    snprintf(name, sizeof(name), "wire-%03d.txt", i);
    snprintf(text, sizeof(text),
             "Report %d from the wire\n\nThe council of district%d voted on the budget for "
             "project%d on Monday after a long debate about item%d and the costs of plan%d, "
             "officials said.\n\nA final decision on scheme%d is expected next week.\n",
             i, i, i * 3, i * 7, i * 11, i * 13);
    s_drop(e, name, text);
}

/* Receives messages until `articles` articles came (story messages counted
 * into *stories, each checked against its article's story). */
static int s_collect(struct env *e, int articles, int *stories, char (*ids)[17])
{
    int got = 0;
    while (got < articles) {
        char topic[16];
        cJSON *j = th_sub_next(&e->sub, 20000, topic, NULL);
        if (!j)
            break;
        if (!strcmp(topic, "article")) {
            const cJSON *st = cJSON_GetObjectItem(j, "story");
            assert_true(cJSON_IsObject(st));
            e->story = cJSON_GetObjectItem(st, "id")->valuedouble;
            snprintf(ids[got], 17, "%s", cJSON_GetObjectItem(j, "id")->valuestring);
            got++;
        } else if (!strcmp(topic, "story")) {
            /* The story's state follows the article that changed it. */
            assert_true(cJSON_GetObjectItem(j, "id")->valuedouble == e->story);
            assert_non_null(cJSON_GetObjectItem(j, "entities"));
            (*stories)++;
        } else {
            fail_msg("unexpected %s message", topic);
        }
        cJSON_Delete(j);
    }
    return got;
}

static int64_t s_remembered(const char *dir)
{
    struct pl_stories_opts o;
    pl_stories_defaults(&o);
    char *db = th_path("%s/spool/stories.db", dir);
    o.db = db;
    o.read_only = true;
    struct pl_stories *s = NULL;
    char err[512];
    int64_t na = -1, ns = -1;
    if (pl_stories_open(&o, &s, err, sizeof(err)) == 0)
        pl_stories_count(s, &na, &ns);
    else
        fprintf(stderr, "%s\n", err);
    pl_stories_close(&s);
    free(db);
    return na;
}

static void sigkill_of_the_stories_worker_mid_stream_loses_nothing(void **st)
{
    (void)st;
    struct env e;
    char *dir = th_tempdir();
    char *extra = th_path("\"workers\":{\"heartbeat_ms\":100,\"dead_after_ms\":600},"
                          "\"stages\":[{\"name\":\"clean\"},{\"name\":\"stories\","
                          "\"spawn\":\"process\",\"endpoint\":\"ipc://%s/stories.ipc\"}]",
                          dir);
    s_start(&e, extra);
    const int N = 30;
    static char ids[64][17];
    int stories = 0;
    for (int i = 0; i < 10; i++)
        s_drop_article(&e, i);
    int got = s_collect(&e, 3, &stories, ids);
    assert_int_equal(got, 3);
    pid_t pids[4];
    assert_int_equal(th_worker_pids(e.d.pid, "stories", pids, 4), 1);
    /* Killed with the rest of the first ten queued or in its hands. */
    kill(pids[0], SIGKILL);
    for (int i = 10; i < N; i++)
        s_drop_article(&e, i);
    got += s_collect(&e, N - got, &stories, ids + got);
    assert_int_equal(got, N);
    /* One story message after each article: the last one's is still due. */
    char topic[16];
    cJSON *last = th_sub_next(&e.sub, 10000, topic, NULL);
    assert_non_null(last);
    assert_string_equal(topic, "story");
    cJSON_Delete(last);
    assert_int_equal(stories + 1, N);
    /* Every article was remembered once, none lost with the worker. */
    assert_int_equal(th_daemon_stop(&e.d, SIGTERM, 15000), 0);
    assert_int_equal(s_remembered(e.dir), N);
    free(extra);
    s_finish(&e);
    th_rmrf(dir);
    free(dir);
}

static void two_workers_of_the_stage_share_one_database(void **st)
{
    (void)st;
    struct env e;
    s_start(&e, "\"stages\":[{\"name\":\"clean\"},{\"name\":\"stories\",\"workers\":2}]");
    const int N = 24;
    static char ids[32][17];
    int stories = 0;
    for (int i = 0; i < N; i++)
        s_drop_article(&e, i);
    assert_int_equal(s_collect(&e, N, &stories, ids), N);
    assert_int_equal(th_daemon_stop(&e.d, SIGTERM, 15000), 0);
    /* Each article once, whichever connection wrote it. */
    assert_int_equal(s_remembered(e.dir), N);
    char *log = th_read_file(e.d.log, NULL);
    assert_null(strstr(log, "database is locked"));
    free(log);
    s_finish(&e);
}

static void a_reprint_is_found_after_the_daemon_is_killed_and_restarted(void **st)
{
    (void)st;
    struct env e;
    s_start(&e, "\"stages\":[{\"name\":\"clean\"},{\"name\":\"entities\"},{\"name\":\"stories\"}]");
    char *p = th_path("%s/tests/fixtures/seeds/001_11e0fa3a6d00148c.txt", th_source_dir());
    char *seed = th_read_file(p, NULL);
    free(p);
    assert_non_null(seed);
    s_drop(&e, "seed.txt", seed);
    static char ids[4][17];
    int stories = 0;
    assert_int_equal(s_collect(&e, 1, &stories, ids), 1);
    kill(e.d.pid, SIGKILL);
    waitpid(e.d.pid, NULL, 0);
    e.d.pid = 0;
    th_sub_close(&e.sub);
    assert_int_equal(th_daemon_restart(&e.d), 0);
    assert_int_equal(th_sub_live(&e.sub, &e.d, 15000), 0);
    e.sub.stories = true;
    char *reprint =
        th_path("Share: Facebook | X | Email\n\n%s\n\nCopyright 2026 Another Site.\n", seed);
    s_drop(&e, "reprint.txt", reprint);
    char topic[16];
    cJSON *j = NULL;
    while ((j = th_sub_next(&e.sub, 20000, topic, NULL)) && strcmp(topic, "article") != 0)
        cJSON_Delete(j);
    assert_non_null(j);
    const cJSON *d = cJSON_GetObjectItem(j, "duplicate_of");
    assert_true(cJSON_IsString(d));
    assert_string_equal(d->valuestring, ids[0]);
    cJSON_Delete(j);
    /* `pressline stories` reads the same database beside the daemon. */
    char *cmd =
        th_path("%s/bin/pressline stories --db %s/spool/stories.db --json", th_build_dir(), e.dir);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    assert_int_equal(pclose(f), 0);
    cJSON *list = cJSON_Parse(buf);
    assert_int_equal(cJSON_GetArraySize(list), 1);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "size")->valueint, 2);
    cJSON_Delete(list);
    free(cmd);
    free(reprint);
    free(seed);
    s_finish(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sigkill_of_the_stories_worker_mid_stream_loses_nothing),
        cmocka_unit_test(two_workers_of_the_stage_share_one_database),
        cmocka_unit_test(a_reprint_is_found_after_the_daemon_is_killed_and_restarted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
