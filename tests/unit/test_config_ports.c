/*
 * tcp:// endpoints in the configuration must end in a port from 1 to 65535
 * (ZeroMQ would bind a random port for 99999 or "*"), and the error names
 * the key; the folder check names a key whose folder is a file.
 */
#include "cm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "errcode.h"
#include "harness.h"

/* Loads {"publish":{"endpoint":ep}}; returns its code, err filled. */
static int s_load_pub(const char *ep, char *err, size_t n)
{
    char json[512];
    snprintf(json, sizeof(json), "{\"publish\":{\"endpoint\":\"%s\"}}", ep);
    struct pl_config *c = NULL;
    int rc = pl_config_load_text(json, "t.json", "/x", &c, err, n);
    pl_config_free(&c);
    return rc;
}

static void tcp_ports_outside_1_to_65535_are_refused_naming_the_key(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "tcp://127.0.0.1:99999", "tcp://127.0.0.1:65536", "tcp://127.0.0.1:0",
        "tcp://127.0.0.1:*",     "tcp://127.0.0.1:",      "tcp://127.0.0.1",
        "tcp://127.0.0.1:55x",   "tcp://127.0.0.1:-5",    "tcp://:",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[512] = "";
        if (s_load_pub(bad[i], err, sizeof(err)) != PL_ECONFIG)
            fail_msg("%s was accepted", bad[i]);
        assert_non_null(strstr(err, "\"publish.endpoint\""));
        assert_non_null(strstr(err, bad[i]));
    }
}

static void tcp_hosts_of_every_form_with_a_good_port_are_accepted(void **state)
{
    (void)state;
    static const char *const good[] = {
        "tcp://127.0.0.1:1", "tcp://*:65535",          "tcp://[::1]:5556",
        "tcp://eth0:5556",   "tcp://example.org:5556", "ipc:///tmp/pl.sock",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char err[512] = "";
        if (s_load_pub(good[i], err, sizeof(err)) != 0)
            fail_msg("%s was refused: %s", good[i], err);
    }
}

static void a_stage_endpoint_with_a_bad_port_names_the_stage_key(void **state)
{
    (void)state;
    const char *json = "{\"stages\":[{\"name\":\"clean\",\"plugin\":\"clean\",\"spawn\":\"none\","
                       "\"endpoint\":\"tcp://127.0.0.1:70000\"}]}";
    struct pl_config *c = NULL;
    char err[512] = "";
    assert_int_equal(pl_config_load_text(json, "t.json", "/x", &c, err, sizeof(err)), PL_ECONFIG);
    assert_non_null(strstr(err, "\"stages[0].endpoint\""));
}

static void a_folder_that_is_a_file_names_its_key(void **state)
{
    (void)state;
    char *dir = th_tempdir();
    char *file = th_path("%s/a-file", dir);
    assert_int_equal(th_write_file(file, "x", 1), 0);
    static const char *const keys[] = { "inbox", "outbox", "spool", "done", "failed" };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char *json = th_path("{\"%s\":\"%s\"}", keys[i], file);
        struct pl_config *c = NULL;
        char err[512] = "", key[32];
        assert_int_equal(pl_config_load_text(json, "t.json", "/x", &c, err, sizeof(err)), 0);
        assert_int_equal(pl_config_check_folders(c, "t.json", err, sizeof(err)), PL_ECONFIG);
        snprintf(key, sizeof(key), "\"%s\"", keys[i]);
        if (!strstr(err, key) || !strstr(err, file))
            fail_msg("the message does not name %s and %s: %s", key, file, err);
        pl_config_free(&c);
        free(json);
    }
    /* Below a file, and a missing folder (created at start), and spool/work. */
    char *below = th_path("{\"failed\":\"%s/sub\"}", file);
    struct pl_config *c = NULL;
    char err[512] = "";
    assert_int_equal(pl_config_load_text(below, "t.json", "/x", &c, err, sizeof(err)), 0);
    assert_int_equal(pl_config_check_folders(c, "t.json", err, sizeof(err)), PL_ECONFIG);
    assert_non_null(strstr(err, "\"failed\""));
    pl_config_free(&c);
    char *fresh = th_path("{\"inbox\":\"%s/new/inbox\",\"outbox\":\"%s/o\",\"spool\":\"%s/s\","
                          "\"done\":\"%s/d\",\"failed\":\"%s/f\"}",
                          dir, dir, dir, dir, dir);
    assert_int_equal(pl_config_load_text(fresh, "t.json", "/x", &c, err, sizeof(err)), 0);
    assert_int_equal(pl_config_check_folders(c, "t.json", err, sizeof(err)), 0);
    char *s = th_path("%s/s", dir);
    char *work = th_path("%s/s/work", dir);
    assert_int_equal(mkdir(s, 0755), 0);
    assert_int_equal(th_write_file(work, "x", 1), 0);
    assert_int_equal(pl_config_check_folders(c, "t.json", err, sizeof(err)), PL_ECONFIG);
    assert_non_null(strstr(err, "\"spool\""));
    pl_config_free(&c);
    free(work);
    free(s);
    free(fresh);
    free(below);
    free(file);
    th_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tcp_ports_outside_1_to_65535_are_refused_naming_the_key),
        cmocka_unit_test(tcp_hosts_of_every_form_with_a_good_port_are_accepted),
        cmocka_unit_test(a_stage_endpoint_with_a_bad_port_names_the_stage_key),
        cmocka_unit_test(a_folder_that_is_a_file_names_its_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
