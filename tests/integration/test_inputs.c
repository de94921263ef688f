/* The real daemon on inputs of issue 12's point 8: JSON exports cut short
 * or mistyped go to failed/ with their reasons, a text that starts with a
 * brace is still published, and a 255-byte file name comes out whole in
 * done/ and, beside its record, in failed/; and a writer that keeps
 * opening inbox files does not stop it. Temp folders, bounded waits. */
#include "cm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

struct env {
    char *dir;
    struct th_daemon d;
    struct th_sub sub;
};

static void s_start(struct env *e)
{
    memset(e, 0, sizeof(*e));
    e->dir = th_tempdir();
    assert_non_null(e->dir);
    assert_int_equal(th_daemon_start_live(&e->d, &e->sub, e->dir, "", 10000), 0);
}

static void s_finish(struct env *e)
{
    assert_int_equal(th_daemon_stop(&e->d, SIGTERM, 10000), 0);
    th_sub_close(&e->sub);
    th_daemon_free(&e->d);
    th_rmrf(e->dir);
    free(e->dir);
}

/* Writes text under a short temp name (a long name has no room for a
 * prefix), then renames it into the inbox as name. */
static void s_drop(struct env *e, const char *name, const char *text)
{
    char *tmp = th_path("%s/.drop.tmp", e->dir);
    char *dst = th_path("%s/inbox/%s", e->dir, name);
    assert_int_equal(th_write_file(tmp, text, strlen(text)), 0);
    assert_int_equal(rename(tmp, dst), 0);
    free(tmp);
    free(dst);
}

static const char *s_str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Waits for the message about the file just dropped: of topic want, with
 * reason_part in its reason when it is an error. Returns it (caller
 * deletes). */
static cJSON *s_expect(struct env *e, const char *want, const char *reason_part)
{
    char topic[16];
    cJSON *j = th_sub_next(&e->sub, 20000, topic, NULL);
    if (!j)
        fail_msg("no message within 20 s (expected %s)", want);
    if (strcmp(topic, want) != 0)
        fail_msg("expected %s, got %s: %s", want, topic, s_str(j, "reason"));
    if (reason_part && !strstr(s_str(j, "reason"), reason_part))
        fail_msg("reason \"%s\" lacks \"%s\"", s_str(j, "reason"), reason_part);
    return j;
}

static bool s_exists(struct env *e, const char *folder, const char *name, const char *suffix)
{
    char *p = th_path("%s/%s/%s%s", e->dir, folder, name, suffix);
    struct stat sb;
    bool ok = lstat(p, &sb) == 0;
    free(p);
    return ok;
}

static void broken_json_exports_go_to_failed_with_their_reasons(void **st)
{
    (void)st;
    struct env e;
    s_start(&e);
    s_drop(&e, "cut.json",
           "{\"title\": \"Council passes the budget\", \"text\": \"The city council passed th");
    cJSON *j = s_expect(&e, "error", "the JSON export is truncated at byte 74");
    assert_string_equal(s_str(j, "stage"), "clean");
    cJSON_Delete(j);
    assert_true(s_exists(&e, "failed", "cut.json", ""));
    assert_true(s_exists(&e, "failed", "cut.json", ".error.json"));
    s_drop(&e, "five.json", "{\"title\": \"Budget\", \"text\": 5}");
    cJSON_Delete(s_expect(&e, "error", "\"text\" must be a string, not a number"));
    assert_true(s_exists(&e, "failed", "five.json", ".error.json"));
    /* A text that starts with a brace is published as text. */
    s_drop(&e, "note.txt",
           "{Editor's note: updated on Friday.}\n\nThe city council passed the budget on "
           "Friday after a long debate. Critics said the plan cuts too deep into the libraries.");
    j = s_expect(&e, "article", NULL);
    assert_string_equal(s_str(cJSON_GetObjectItem(j, "source"), "format"), "text");
    cJSON_Delete(j);
    s_finish(&e);
}

static void a_255_byte_name_comes_out_whole(void **st)
{
    (void)st;
    struct env e;
    s_start(&e);
    char name[NAME_MAX + 1];
    memset(name, 'n', NAME_MAX - 4);
    memcpy(name + NAME_MAX - 4, ".txt", 5);
    s_drop(&e, name,
           "The harbour was calm on Friday and the ferries ran on time all day, the port "
           "authority said in its weekly report.");
    cJSON *j = s_expect(&e, "article", NULL);
    assert_string_equal(s_str(cJSON_GetObjectItem(j, "source"), "name"), name);
    cJSON_Delete(j);
    /* The move to done/ follows the publish: allow it a moment. */
    for (int i = 0; i < 100 && !s_exists(&e, "done", name, ""); i++)
        usleep(20000);
    assert_true(s_exists(&e, "done", name, ""));
    /* In failed/ the stem gives the 11 bytes its record's name needs, and
     * the record names the file whole. */
    name[0] = 'f';
    s_drop(&e, name, "");
    j = s_expect(&e, "error", "empty file");
    assert_string_equal(s_str(cJSON_GetObjectItem(j, "source"), "name"), name);
    cJSON_Delete(j);
    char kept[NAME_MAX + 1];
    snprintf(kept, sizeof(kept), "%.*s.txt", NAME_MAX - 11 - 4, name);
    assert_true(s_exists(&e, "failed", kept, ""));
    assert_true(s_exists(&e, "failed", kept, ".error.json"));
    s_finish(&e);
}

/* A program that keeps opening a file in the inbox for writing (a shell's
 * `>>`, a copy over the same name) breaks the read lease the watcher's
 * probe holds for a moment; the kernel tells the holder with SIGIO, whose
 * default is to end the process. Files written in place and opened again
 * and again until the daemon claims them: the daemon stays up and
 * publishes every one. */
static void a_writer_breaking_the_probes_lease_does_not_stop_the_daemon(void **st)
{
    (void)st;
    struct env e;
    s_start(&e);
    enum { FILES = 200 };
    long broken = 0;
    for (int i = 0; i < FILES; i++) {
        char *p = th_path("%s/inbox/w%03d.txt", e.dir, i);
        char text[160];
        snprintf(text, sizeof(text),
                 "Article %d: the council met on Monday and agreed the budget for the harbour "
                 "wall, the mayor said.",
                 i);
        assert_int_equal(th_write_file(p, text, strlen(text)), 0);
        uint64_t end = th_now_ms() + 3000;
        while (th_now_ms() < end) {
            int fd = open(p, O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC);
            if (fd >= 0) {
                close(fd);
            } else if (errno == EWOULDBLOCK) {
                broken++; /* the probe held its lease: it was told */
            } else {
                break; /* claimed: gone from the inbox */
            }
        }
        free(p);
        if (waitpid(e.d.pid, NULL, WNOHANG) != 0)
            fail_msg("the daemon died after %d files (%ld leases broken); its log: %s", i + 1,
                     broken, e.d.log);
    }
    for (int i = 0; i < FILES; i++) {
        char topic[16];
        cJSON *j = th_sub_next(&e.sub, 20000, topic, NULL);
        if (!j)
            fail_msg("%d of %d published (%ld leases broken)", i, FILES, broken);
        cJSON_Delete(j);
    }
    print_message("%ld leases broken by the writer\n", broken);
    s_finish(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(broken_json_exports_go_to_failed_with_their_reasons),
        cmocka_unit_test(a_255_byte_name_comes_out_whole),
        cmocka_unit_test(a_writer_breaking_the_probes_lease_does_not_stop_the_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
