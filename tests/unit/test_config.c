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
    assert_int_equal(c->nstages, 3);
    assert_string_equal(c->stages[0].name, "clean");
    assert_string_equal(c->stages[1].name, "entities");
    assert_string_equal(c->stages[2].name, "summarize");
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
        cmocka_unit_test(a_stage_s_options_are_replaced_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
