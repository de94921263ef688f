/* Configuration: defaults, overrides, and errors that name the key. */
#include "cm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "errcode.h"

static struct pl_config *s_load(const char *json, char *err, size_t n)
{
    struct pl_config *c = NULL;
    if (pl_config_load_text(json, "test.json", "/opt/pl/bin", &c, err, n) != 0)
        return NULL;
    return c;
}

static void defaults_match_the_documented_ones(void **st)
{
    (void)st;
    char err[512];
    struct pl_config *c = s_load(NULL, err, sizeof(err));
    assert_non_null(c);
    assert_string_equal(c->inbox, "./inbox");
    assert_string_equal(c->outbox, "./outbox");
    assert_string_equal(c->failed, "./failed");
    assert_string_equal(c->pub_endpoint, "tcp://127.0.0.1:5556");
    assert_int_equal(c->nstages, 4);
    assert_string_equal(c->stages[0].name, "clean");
    assert_string_equal(c->stages[1].name, "entities");
    assert_string_equal(c->stages[2].name, "summarize");
    assert_string_equal(c->stages[3].name, "stories");
    /* The stories stage's database lies in the spool unless set. */
    assert_non_null(strstr(c->stages[3].options_json, "\"db\":\"./spool/stories.db\""));
    assert_string_equal(c->stages[0].plugin_path, "/opt/pl/bin/../lib/pressline/clean.so");
    assert_false(c->delete_on_success);
    pl_config_free(&c);
    assert_null(c);
}

static void a_file_overrides_only_what_it_names(void **st)
{
    (void)st;
    char err[512];
    struct pl_config *c =
        s_load("{\"publish\":{\"hwm\":5},\"on_success\":\"delete\"}", err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(c->pub_hwm, 5);
    assert_string_equal(c->pub_endpoint, "tcp://127.0.0.1:5556");
    assert_true(c->delete_on_success);
    pl_config_free(&c);
}

static void unknown_keys_are_errors_that_name_the_key(void **st)
{
    (void)st;
    char err[512];
    assert_null(s_load("{\"publish\":{\"hwmm\":5}}", err, sizeof(err)));
    assert_non_null(strstr(err, "publish.hwmm"));
    assert_null(s_load("{\"stages\":[{\"name\":\"x\",\"plugn\":\"y\"}]}", err, sizeof(err)));
    assert_non_null(strstr(err, "stages[0].plugn"));
    assert_null(s_load("{\"inboxx\":\"a\"}", err, sizeof(err)));
    assert_non_null(strstr(err, "\"inboxx\""));
}

static void wrong_types_and_ranges_are_refused(void **st)
{
    (void)st;
    char err[512];
    assert_null(s_load("{\"limits\":{\"max_in_flight\":0}}", err, sizeof(err)));
    assert_non_null(strstr(err, "limits.max_in_flight"));
    assert_null(s_load("{\"inbox\":7}", err, sizeof(err)));
    assert_non_null(strstr(err, "inbox"));
    assert_null(s_load("{\"on_success\":\"keep\"}", err, sizeof(err)));
    assert_null(s_load("{\"publish\":{\"endpoint\":\"http://x\"}}", err, sizeof(err)));
    assert_null(s_load("{\"stages\":[]}", err, sizeof(err)));
    assert_null(s_load("{\"stages\":[{\"name\":\"a\"},{\"name\":\"a\"}]}", err, sizeof(err)));
    assert_non_null(strstr(err, "twice"));
    assert_null(s_load("{\"limits\":{\"max_in_flight\":1e300}}", err, sizeof(err)));
    assert_non_null(strstr(err, "limits.max_in_flight"));
    assert_null(s_load("{\"watch\":{\"settle_ms\":-1e300}}", err, sizeof(err)));
    assert_null(s_load("{ not json", err, sizeof(err)));
    assert_non_null(strstr(err, "not valid JSON"));
}

static void an_invalid_configuration_is_pl_econfig_and_a_missing_file_its_errno(void **st)
{
    (void)st;
    char err[512];
    struct pl_config *c = NULL;
    assert_int_equal(pl_config_load_text("{\"inbox\":5}", "t", "/x", &c, err, sizeof(err)),
                     PL_ECONFIG);
    assert_null(c);
    assert_int_equal(pl_config_load_text("{", "t", "/x", &c, err, sizeof(err)), PL_ECONFIG);
    assert_int_equal(pl_config_load("/nonexistent/pressline.json", "/x", &c, err, sizeof(err)),
                     -ENOENT);
    assert_non_null(strstr(err, "/nonexistent/pressline.json"));
    assert_null(c);
}

/* A configuration listing n stages named s0, s1, ... into json. */
static void s_stages_json(char *json, size_t size, int n)
{
    size_t at = (size_t)snprintf(json, size, "{\"stages\":[");
    for (int i = 0; i < n; i++)
        at += (size_t)snprintf(json + at, size - at, "%s{\"name\":\"s%d\"}", i ? "," : "", i);
    snprintf(json + at, size - at, "]}");
}

static void more_stages_than_the_limit_are_refused_when_read(void **st)
{
    (void)st;
    char json[4096], err[512], limit[32];
    s_stages_json(json, sizeof(json), PL_MAX_STAGES + 1);
    assert_null(s_load(json, err, sizeof(err)));
    assert_non_null(strstr(err, "\"stages\""));
    snprintf(limit, sizeof(limit), "at most %d", PL_MAX_STAGES);
    assert_non_null(strstr(err, limit));
    s_stages_json(json, sizeof(json), PL_MAX_STAGES);
    struct pl_config *c = s_load(json, err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(c->nstages, PL_MAX_STAGES);
    pl_config_free(&c);
}

/* A stage name must fit the metrics' labels and the counters kept across
 * reloads: 63 bytes load, 64 are refused naming the key. */
static void a_stage_name_of_64_bytes_or_more_is_refused(void **st)
{
    (void)st;
    char json[512], err[512], name[80];
    memset(name, 'a', PL_STAGE_NAME_MAX - 1);
    name[PL_STAGE_NAME_MAX - 1] = '\0';
    snprintf(json, sizeof(json), "{\"stages\":[{\"name\":\"%s\",\"plugin\":\"x\"}]}", name);
    struct pl_config *c = s_load(json, err, sizeof(err));
    assert_non_null(c);
    pl_config_free(&c);
    name[PL_STAGE_NAME_MAX - 1] = 'b';
    name[PL_STAGE_NAME_MAX] = '\0';
    snprintf(json, sizeof(json), "{\"stages\":[{\"name\":\"%s\",\"plugin\":\"x\"}]}", name);
    assert_null(s_load(json, err, sizeof(err)));
    assert_non_null(strstr(err, "stages[0].name"));
    assert_non_null(strstr(err, "at most 63 bytes"));
}

static void stage_defaults_fill_endpoint_plugin_and_workers(void **st)
{
    (void)st;
    char err[512];
    struct pl_config *c = s_load(
        "{\"stages\":[{\"name\":\"x\",\"plugin\":\"/p/x.so\",\"workers\":4}]}", err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(c->nstages, 1);
    assert_string_equal(c->stages[0].endpoint, "inproc://pressline-x");
    assert_string_equal(c->stages[0].plugin_path, "/p/x.so");
    assert_int_equal(c->stages[0].workers, 4);
    assert_int_equal(c->stages[0].timeout_ms, 10000);
    pl_config_free(&c);
}

/* A trainer's options for one stage replace that stage's alone; a stage
 * the configuration does not have is an error. */
static void a_stage_s_options_are_replaced_by_name(void **st)
{
    (void)st;
    char err[512];
    struct pl_config *c = s_load("{\"stages\":[{\"name\":\"x\",\"plugin\":\"/p/x.so\"},"
                                 "{\"name\":\"y\",\"plugin\":\"/p/y.so\",\"options\":{\"a\":1}}]}",
                                 err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(pl_config_set_stage_options(c, "y", "{\"b\":2}"), 0);
    assert_string_equal(c->stages[1].options_json, "{\"b\":2}");
    assert_true(!c->stages[0].options_json || !strstr(c->stages[0].options_json, "\"b\""));
    assert_int_equal(pl_config_set_stage_options(c, "z", "{}"), PL_ECONFIG);
    pl_config_free(&c);
}

static void http_listen_defaults_to_loopback_and_empty_turns_it_off(void **st)
{
    (void)st;
    char err[512];
    struct pl_config *c = s_load(NULL, err, sizeof(err));
    assert_non_null(c);
    assert_string_equal(c->http_listen, "127.0.0.1:5558");
    assert_false(c->http_allow_remote);
    pl_config_free(&c);
    c = s_load("{\"http\":{\"listen\":\"\"}}", err, sizeof(err));
    assert_non_null(c);
    assert_string_equal(c->http_listen, "");
    pl_config_free(&c);
    c = s_load("{\"http\":{\"listen\":\"[::1]:9000\"}}", err, sizeof(err));
    assert_non_null(c);
    pl_config_free(&c);
}

static void a_non_loopback_http_listen_needs_allow_remote(void **st)
{
    (void)st;
    char err[512];
    assert_null(s_load("{\"http\":{\"listen\":\"0.0.0.0:5558\"}}", err, sizeof(err)));
    assert_non_null(strstr(err, "\"http.listen\""));
    assert_non_null(strstr(err, "http.allow_remote"));
    assert_null(s_load("{\"http\":{\"listen\":\"[::]:5558\"}}", err, sizeof(err)));
    struct pl_config *c =
        s_load("{\"http\":{\"listen\":\"0.0.0.0:5558\",\"allow_remote\":true}}", err, sizeof(err));
    assert_non_null(c);
    pl_config_free(&c);
    const char *bad[] = { "127.0.0.1", "127.0.0.1:0",    "127.0.0.1:70000",
                          "::1:80",    "example.org:80", "[localhost]:80",
                          ":80",       "127.0.0.1:8o" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char json[256];
        snprintf(json, sizeof(json), "{\"http\":{\"listen\":\"%s\"}}", bad[i]);
        assert_null(s_load(json, err, sizeof(err)));
        assert_non_null(strstr(err, "\"http.listen\""));
    }
}

static void listen_addresses_split_into_host_and_port(void **st)
{
    (void)st;
    char host[PL_LISTEN_HOST_MAX];
    int port = 0;
    assert_int_equal(pl_listen_parse("127.0.0.2:80", host, &port), 0);
    assert_string_equal(host, "127.0.0.2");
    assert_int_equal(port, 80);
    assert_true(pl_listen_is_loopback(host));
    assert_int_equal(pl_listen_parse("[::1]:65535", host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 65535);
    assert_true(pl_listen_is_loopback(host));
    assert_int_equal(pl_listen_parse("localhost:1", host, &port), 0);
    assert_true(pl_listen_is_loopback(host));
    assert_int_equal(pl_listen_parse("10.0.0.1:1", host, &port), 0);
    assert_false(pl_listen_is_loopback(host));
    assert_int_equal(pl_listen_parse("10.0.0.1", host, &port), PL_EINPUT);
}

static void watch_mode_is_auto_inotify_or_poll(void **st)
{
    (void)st;
    char err[512];
    struct pl_config *c = s_load(NULL, err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(c->watch_mode, PL_WATCH_AUTO);
    assert_int_equal(c->poll_interval_ms, 1000);
    pl_config_free(&c);
    c = s_load("{\"watch\":{\"mode\":\"poll\",\"poll_interval_ms\":250}}", err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(c->watch_mode, PL_WATCH_POLL);
    assert_int_equal(c->poll_interval_ms, 250);
    pl_config_free(&c);
    c = s_load("{\"watch\":{\"mode\":\"inotify\"}}", err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(c->watch_mode, PL_WATCH_INOTIFY);
    pl_config_free(&c);
    assert_null(s_load("{\"watch\":{\"mode\":\"fanotify\"}}", err, sizeof(err)));
    assert_non_null(strstr(err, "\"watch.mode\""));
    assert_null(s_load("{\"watch\":{\"poll_interval_ms\":10}}", err, sizeof(err)));
    assert_non_null(strstr(err, "watch.poll_interval_ms"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_match_the_documented_ones),
        cmocka_unit_test(a_file_overrides_only_what_it_names),
        cmocka_unit_test(unknown_keys_are_errors_that_name_the_key),
        cmocka_unit_test(wrong_types_and_ranges_are_refused),
        cmocka_unit_test(an_invalid_configuration_is_pl_econfig_and_a_missing_file_its_errno),
        cmocka_unit_test(more_stages_than_the_limit_are_refused_when_read),
        cmocka_unit_test(stage_defaults_fill_endpoint_plugin_and_workers),
        cmocka_unit_test(a_stage_name_of_64_bytes_or_more_is_refused),
        cmocka_unit_test(a_stage_s_options_are_replaced_by_name),
        cmocka_unit_test(http_listen_defaults_to_loopback_and_empty_turns_it_off),
        cmocka_unit_test(a_non_loopback_http_listen_needs_allow_remote),
        cmocka_unit_test(listen_addresses_split_into_host_and_port),
        cmocka_unit_test(watch_mode_is_auto_inotify_or_poll),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
