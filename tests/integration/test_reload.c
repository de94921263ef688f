/*
 * The real daemon reloading its configuration on SIGHUP (issue 16, point
 * 3): a changed stage option applies to the articles that enter after the
 * reload, while those in flight finish on the old chain and are published
 * once each; a configuration that does not validate, or that changes a key
 * only a restart can change, is refused with the key in the log and the
 * daemon runs on; SIGHUPs that come during a reload are merged into one
 * more; a stage's
 * worker count changes; SIGTERM right after SIGHUP stops cleanly; a chain
 * on an ipc:// endpoint with worker processes is replaced too, and one
 * whose tcp:// endpoint is taken is tried again until it binds.
 *
 * The testkit stage's "fail_on" is the marker: a chain whose testkit fails
 * on a word shows at once which chain an article went through.
 */
#include "cm.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

#define WAIT_MS 15000

/* The stages: clean, then testkit with the given options and workers. */
static char *s_stages(const char *testkit_options, int workers)
{
    return th_path("\"stages\":[{\"name\":\"clean\"},"
                   "{\"name\":\"kit\",\"plugin\":\"%s/testkit.so\",\"workers\":%d,"
                   "\"timeout_ms\":10000,\"max_attempts\":1,\"options\":{%s}}]",
                   th_test_plugin_dir(), workers, testkit_options);
}

/* The same with testkit as one worker process on ipc://<dir>/kit.sock. */
static char *s_process_stages(const char *dir, const char *testkit_options)
{
    return th_path("\"stages\":[{\"name\":\"clean\"},"
                   "{\"name\":\"kit\",\"plugin\":\"%s/testkit.so\",\"workers\":1,"
                   "\"spawn\":\"process\",\"endpoint\":\"ipc://%s/kit.sock\","
                   "\"max_attempts\":1,\"options\":{%s}}]",
                   th_test_plugin_dir(), dir, testkit_options);
}

/* Drops body into the inbox as name (written aside, then renamed in). */
static void s_drop(const struct th_daemon *d, const char *name, const char *body)
{
    assert_int_equal(th_drop(d->dir, name, body, strlen(body)), 0);
}

/* How often needle occurs in d's log. */
static int s_log_count(const struct th_daemon *d, const char *needle)
{
    char *log = th_read_file(d->log, NULL);
    int n = 0;
    for (const char *p = log; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    free(log);
    return n;
}

/* Waits until needle occurs at least n times in d's log. Returns 0, or -1
 * at the deadline (the log is printed). */
static int s_wait_log(const struct th_daemon *d, const char *needle, int n, int timeout_ms)
{
    uint64_t end = th_now_ms() + (uint64_t)timeout_ms;
    while (th_now_ms() < end) {
        if (s_log_count(d, needle) >= n)
            return 0;
        usleep(20 * 1000);
    }
    char *log = th_read_file(d->log, NULL);
    fprintf(stderr, "no %d x \"%s\" in the log:\n%s\n", n, needle, log ? log : "(none)");
    free(log);
    return -1;
}

/* Writes the configuration with extra, sends SIGHUP and waits for the n-th
 * outcome line (reloaded or refused). */
static void s_reload(const struct th_daemon *d, const char *extra, const char *outcome, int n)
{
    assert_int_equal(th_daemon_write_config(d, extra), 0);
    assert_int_equal(kill(d->pid, SIGHUP), 0);
    assert_int_equal(s_wait_log(d, outcome, n, WAIT_MS), 0);
}

/* Waits until the inbox is empty: every file dropped is claimed. */
static void s_wait_claimed(const struct th_daemon *d)
{
    char *inbox = th_path("%s/inbox", d->dir);
    uint64_t end = th_now_ms() + WAIT_MS;
    while (th_count_dir(inbox) > 0 && th_now_ms() < end)
        usleep(10 * 1000);
    assert_int_equal(th_count_dir(inbox), 0);
    free(inbox);
}

/* The next message: its topic in topic, its source name in name[64];
 * fails the test at the deadline. Returns seq. */
static double s_next(struct th_sub *sub, char topic[16], char name[64])
{
    cJSON *j = th_sub_next(sub, WAIT_MS, topic, NULL);
    assert_non_null(j);
    const cJSON *src = cJSON_GetObjectItem(j, "source");
    snprintf(name, 64, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(src, "name")));
    double seq = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "seq"));
    cJSON_Delete(j);
    return seq;
}

struct fixture {
    char *dir;
    struct th_daemon d;
    struct th_sub sub;
};

static void s_start(struct fixture *f, const char *extra)
{
    f->dir = th_tempdir();
    assert_non_null(f->dir);
    assert_int_equal(th_daemon_start_live(&f->d, &f->sub, f->dir, extra, WAIT_MS), 0);
}

/* Stops the daemon with SIGTERM (status 0 required) and cleans up. */
static void s_finish(struct fixture *f)
{
    assert_int_equal(th_daemon_stop(&f->d, SIGTERM, WAIT_MS), 0);
    th_sub_close(&f->sub);
    th_daemon_free(&f->d);
    th_rmrf(f->dir);
    free(f->dir);
}

static int s_count(const struct fixture *f, const char *sub)
{
    char *p = th_path("%s/%s", f->dir, sub);
    int n = th_count_dir(p);
    free(p);
    return n;
}

/* The summarizer's "sentences": 1, then 3 after the reload, which also
 * sets log_level to debug. */
static void a_changed_stage_option_applies_to_articles_that_enter_after_the_reload(void **st)
{
    (void)st;
    static const char text[] =
        "The council met on Monday to discuss the new budget. Members argued about the cost of "
        "roads. The mayor said the plan would be ready by June. Residents asked for more parks "
        "in the city centre. The vote is set for next week.\n";
    struct fixture f;
    const char *one = "\"stages\":[{\"name\":\"clean\"},{\"name\":\"summarize\","
                      "\"options\":{\"sentences\":1}}]";
    const char *three = "\"log_level\":\"debug\",\"stages\":[{\"name\":\"clean\"},"
                        "{\"name\":\"summarize\",\"options\":{\"sentences\":3}}]";
    s_start(&f, one);
    int want[2] = { 1, 3 };
    for (int round = 0; round < 2; round++) {
        if (round == 1)
            s_reload(&f.d, three, "reloaded", 1);
        char name[32], body[sizeof(text) + 32];
        snprintf(name, sizeof(name), "council%d.txt", round);
        snprintf(body, sizeof(body), "%sRound %d.\n", text, round);
        s_drop(&f.d, name, body);
        char topic[16];
        cJSON *j = th_sub_next(&f.sub, WAIT_MS, topic, NULL);
        assert_non_null(j);
        assert_string_equal(topic, "article");
        const cJSON *sum = cJSON_GetObjectItem(j, "summary");
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(sum, "sentences")), want[round]);
        cJSON_Delete(j);
    }
    /* log_level came with the reload: the second article's debug line. */
    assert_int_equal(s_wait_log(&f.d, "council1.txt (id", 1, WAIT_MS), 0);
    assert_int_equal(s_log_count(&f.d, "council0.txt (id"), 0);
    s_finish(&f);
}

/* Three articles held 700 ms each by one worker when the reload swaps in
 * a chain that fails every article with "marker": they finish on the old
 * chain, each published once; one dropped after the reload fails. */
static void articles_in_flight_during_a_reload_finish_on_the_old_chain_once(void **st)
{
    (void)st;
    struct fixture f;
    char *slow = s_stages("\"sleep_ms\":700", 1);
    char *failing = s_stages("\"fail_on\":\"marker\"", 1);
    s_start(&f, slow);
    for (int i = 0; i < 3; i++) {
        char name[32], body[64];
        snprintf(name, sizeof(name), "old%d.txt", i);
        snprintf(body, sizeof(body), "Old article %d with its marker.", i);
        s_drop(&f.d, name, body);
    }
    s_wait_claimed(&f.d);
    s_reload(&f.d, failing, "reloaded", 1);
    assert_int_equal(s_log_count(&f.d, "in flight finish on generation 1"), 1);
    s_drop(&f.d, "new.txt", "New article with its marker.");
    int old_seen[3] = { 0 }, new_seen = 0;
    double seqs[4];
    for (int i = 0; i < 4; i++) {
        char topic[16], name[64];
        seqs[i] = s_next(&f.sub, topic, name);
        if (!strncmp(name, "old", 3)) {
            assert_string_equal(topic, "article");
            old_seen[name[3] - '0']++;
        } else {
            assert_string_equal(name, "new.txt");
            assert_string_equal(topic, "error");
            new_seen++;
        }
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(old_seen[i], 1);
    assert_int_equal(new_seen, 1);
    for (int i = 1; i < 4; i++)
        assert_true(seqs[i] == seqs[i - 1] + 1);
    /* Nothing more comes: nothing is published twice. */
    char topic[16];
    cJSON *again = th_sub_next(&f.sub, 1000, topic, NULL);
    assert_null(again);
    assert_int_equal(s_count(&f, "outbox"), 3);
    assert_int_equal(s_count(&f, "failed"), 2); /* new.txt and its .error.json */
    assert_int_equal(s_count(&f, "spool/work"), 0);
    /* The old chain stopped once its last article was out. */
    assert_int_equal(s_wait_log(&f.d, "generation 1: no article left", 1, WAIT_MS), 0);
    s_finish(&f);
    free(slow);
    free(failing);
}

/* A worker count of 0 (the configuration's own check) and an option the
 * plugin refuses (the plugin's check, as --check runs it): both refused,
 * the key in the log, and the old chain takes the next article. */
static void an_invalid_configuration_is_refused_with_its_key_and_the_old_one_runs_on(void **st)
{
    (void)st;
    struct fixture f;
    char *good = s_stages("\"fail_on\":\"marker\"", 1);
    char *zero = s_stages("\"fail_on\":\"nothing\"", 0);
    char *unknown = s_stages("\"fail_on\":\"nothing\",\"no_such_option\":1", 1);
    s_start(&f, good);
    s_reload(&f.d, zero, "reload refused", 1);
    assert_int_equal(s_log_count(&f.d, "\"stages[1].workers\" must be an integer"), 1);
    s_reload(&f.d, unknown, "reload refused", 2);
    assert_int_equal(s_log_count(&f.d, "unknown option \"no_such_option\""), 1);
    assert_int_equal(s_log_count(&f.d, "reloaded"), 0);
    s_drop(&f.d, "a.txt", "An article with its marker.");
    char topic[16], name[64];
    s_next(&f.sub, topic, name);
    assert_string_equal(topic, "error"); /* the old chain's fail_on */
    s_finish(&f);
    free(good);
    free(zero);
    free(unknown);
}

/* Folders, limits and durable need a restart: the refusal names each. */
static void a_change_of_restart_only_keys_is_refused_naming_them(void **st)
{
    (void)st;
    struct fixture f;
    char *stages = s_stages("", 1);
    s_start(&f, stages);
    char *changed =
        th_path("\"outbox\":\"./elsewhere\",\"limits\":{\"max_in_flight\":5},%s", stages);
    s_reload(&f.d, changed, "reload refused", 1);
    assert_int_equal(s_log_count(&f.d, "only a restart can change: outbox, limits.max_in_flight"),
                     1);
    s_drop(&f.d, "a.txt", "An article after a refused reload.");
    char topic[16], name[64];
    s_next(&f.sub, topic, name);
    assert_string_equal(topic, "article");
    assert_int_equal(s_count(&f, "outbox"), 1);
    s_finish(&f);
    free(stages);
    free(changed);
}

/* A reload that waits (worker processes on ipc://, an article 1.5 s in
 * the old chain) with fail_on "first"; during it, fail_on "second" and two
 * SIGHUPs back to back: they are merged into exactly one more reload after
 * it, which runs "second", and the daemon works. */
static void sighups_during_a_reload_are_merged_into_exactly_one_more(void **st)
{
    (void)st;
    struct fixture f;
    f.dir = th_tempdir();
    assert_non_null(f.dir);
    char *slow = s_process_stages(f.dir, "\"sleep_ms\":1500");
    char *first = s_process_stages(f.dir, "\"fail_on\":\"first\"");
    char *second = s_process_stages(f.dir, "\"fail_on\":\"second\"");
    assert_int_equal(th_daemon_start_live(&f.d, &f.sub, f.dir, slow, WAIT_MS), 0);
    assert_int_equal(s_wait_log(&f.d, "worker for stage kit", 1, WAIT_MS), 0);
    s_drop(&f.d, "slow.txt", "An article that holds the old chain.");
    s_wait_claimed(&f.d);
    assert_int_equal(th_daemon_write_config(&f.d, first), 0);
    assert_int_equal(kill(f.d.pid, SIGHUP), 0);
    assert_int_equal(s_wait_log(&f.d, "new files wait", 1, WAIT_MS), 0);
    assert_int_equal(th_daemon_write_config(&f.d, second), 0);
    assert_int_equal(kill(f.d.pid, SIGHUP), 0);
    assert_int_equal(kill(f.d.pid, SIGHUP), 0);
    assert_int_equal(s_wait_log(&f.d, "reloaded", 2, WAIT_MS), 0);
    char topic[16], name[64];
    s_next(&f.sub, topic, name);
    assert_string_equal(name, "slow.txt");
    assert_string_equal(topic, "article");
    s_drop(&f.d, "one.txt", "This one says first.");
    s_drop(&f.d, "two.txt", "This one says second.");
    for (int i = 0; i < 2; i++) {
        s_next(&f.sub, topic, name);
        assert_string_equal(topic, !strcmp(name, "one.txt") ? "article" : "error");
    }
    assert_int_equal(s_log_count(&f.d, "SIGHUP: reading"), 2);
    assert_int_equal(s_log_count(&f.d, "reloaded"), 2);
    s_finish(&f);
    free(slow);
    free(first);
    free(second);
}

/* One worker that takes 1 s an article, then two: two articles dropped
 * together are published less than the 1 s one worker would need between
 * them (the margin is wide: a loaded machine delays either). */
static void a_worker_count_change_from_one_to_two_takes_effect(void **st)
{
    (void)st;
    struct fixture f;
    char *one = s_stages("\"sleep_ms\":1000", 1);
    char *two = s_stages("\"sleep_ms\":1000", 2);
    s_start(&f, one);
    s_reload(&f.d, two, "reloaded", 1);
    assert_int_equal(s_log_count(&f.d, "2 workers on inproc://pressline-kit"), 1);
    s_drop(&f.d, "a.txt", "First of two at once.");
    s_drop(&f.d, "b.txt", "Second of two at once.");
    char topic[16], name[64];
    s_next(&f.sub, topic, name);
    uint64_t first = th_now_ms();
    s_next(&f.sub, topic, name);
    assert_true(th_now_ms() - first < 900);
    s_finish(&f);
    free(one);
    free(two);
}

/* SIGHUP and SIGTERM back to back with an article in flight: exit status
 * 0, the article published, nothing left in the spool. */
static void sigterm_right_after_sighup_stops_cleanly(void **st)
{
    (void)st;
    struct fixture f;
    char *slow = s_stages("\"sleep_ms\":500", 1);
    char *other = s_stages("\"sleep_ms\":10", 2);
    s_start(&f, slow);
    s_drop(&f.d, "a.txt", "An article in flight at the stop.");
    s_wait_claimed(&f.d);
    assert_int_equal(th_daemon_write_config(&f.d, other), 0);
    assert_int_equal(kill(f.d.pid, SIGHUP), 0);
    assert_int_equal(th_daemon_stop(&f.d, SIGTERM, WAIT_MS), 0);
    assert_int_equal(s_count(&f, "outbox"), 1);
    assert_int_equal(s_count(&f, "failed"), 0);
    assert_int_equal(s_count(&f, "spool/work"), 0);
    assert_int_equal(s_log_count(&f.d, "stopped: 1 published, 0 failed"), 1);
    th_sub_close(&f.sub);
    th_daemon_free(&f.d);
    th_rmrf(f.dir);
    free(f.dir);
    free(slow);
    free(other);
}

/* The kit stage as worker processes on an ipc:// endpoint, which a new
 * chain can bind only once the old one let it go: the articles in flight
 * finish on the old processes, new files wait, then go to the new ones. */
static void a_chain_of_worker_processes_on_ipc_is_replaced_after_it_drains(void **st)
{
    (void)st;
    struct fixture f;
    f.dir = th_tempdir();
    assert_non_null(f.dir);
    char *slow = s_process_stages(f.dir, "\"sleep_ms\":700");
    char *failing = s_process_stages(f.dir, "\"fail_on\":\"marker\"");
    assert_int_equal(th_daemon_start_live(&f.d, &f.sub, f.dir, slow, WAIT_MS), 0);
    assert_int_equal(s_wait_log(&f.d, "worker for stage kit", 1, WAIT_MS), 0);
    s_drop(&f.d, "old0.txt", "Old article 0 with its marker.");
    s_drop(&f.d, "old1.txt", "Old article 1 with its marker.");
    s_wait_claimed(&f.d);
    assert_int_equal(th_daemon_write_config(&f.d, failing), 0);
    assert_int_equal(kill(f.d.pid, SIGHUP), 0);
    assert_int_equal(s_wait_log(&f.d, "new files wait", 1, WAIT_MS), 0);
    s_drop(&f.d, "new.txt", "New article with its marker.");
    int articles = 0, errors = 0;
    for (int i = 0; i < 3; i++) {
        char topic[16], name[64];
        s_next(&f.sub, topic, name);
        if (!strcmp(topic, "article")) {
            assert_true(!strncmp(name, "old", 3));
            articles++;
        } else {
            assert_string_equal(name, "new.txt");
            errors++;
        }
    }
    assert_int_equal(articles, 2);
    assert_int_equal(errors, 1);
    assert_int_equal(s_log_count(&f.d, "reloaded"), 1);
    s_finish(&f);
    free(slow);
    free(failing);
}

/* The new chain's tcp:// endpoint is held by another socket when the old
 * chain lets go: its start fails, is tried again every second while new
 * files wait, and once the port is free the waiting file is published. */
static void a_chain_that_cannot_bind_yet_is_tried_again_and_loses_nothing(void **st)
{
    (void)st;
    struct fixture f;
    int port = th_free_port();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); /* not the daemon's */
    assert_true(fd >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 1), 0);
    char *start = s_stages("", 1);
    char *tcp = th_path("\"stages\":[{\"name\":\"clean\"},{\"name\":\"kit\",\"plugin\":"
                        "\"%s/testkit.so\",\"endpoint\":\"tcp://127.0.0.1:%d\"}]",
                        th_test_plugin_dir(), port);
    s_start(&f, start);
    s_reload(&f.d, tcp, "did not start", 1);
    s_drop(&f.d, "waits.txt", "An article that waits for the new chain.");
    assert_int_equal(s_wait_log(&f.d, "cannot bind", 2, WAIT_MS), 0);
    close(fd);
    char topic[16], name[64];
    s_next(&f.sub, topic, name);
    assert_string_equal(name, "waits.txt");
    assert_string_equal(topic, "article");
    assert_int_equal(s_log_count(&f.d, "reloaded"), 1);
    assert_int_equal(s_count(&f, "failed"), 0);
    s_finish(&f);
    free(start);
    free(tcp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_changed_stage_option_applies_to_articles_that_enter_after_the_reload),
        cmocka_unit_test(articles_in_flight_during_a_reload_finish_on_the_old_chain_once),
        cmocka_unit_test(an_invalid_configuration_is_refused_with_its_key_and_the_old_one_runs_on),
        cmocka_unit_test(a_change_of_restart_only_keys_is_refused_naming_them),
        cmocka_unit_test(sighups_during_a_reload_are_merged_into_exactly_one_more),
        cmocka_unit_test(a_worker_count_change_from_one_to_two_takes_effect),
        cmocka_unit_test(sigterm_right_after_sighup_stops_cleanly),
        cmocka_unit_test(a_chain_of_worker_processes_on_ipc_is_replaced_after_it_drains),
        cmocka_unit_test(a_chain_that_cannot_bind_yet_is_tried_again_and_loses_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
