/* The plugin loader refuses broken plugins with a message naming the file. */
#include "cm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errcode.h"
#include "harness.h"
#include "loader.h"

static char *s_plugin(const char *name)
{
    return th_path("%s/%s.so", th_test_plugin_dir(), name);
}

static void wrong_abi_is_refused_naming_file_and_both_versions(void **st)
{
    (void)st;
    char *p = s_plugin("bad_abi"), err[1024];
    struct pl_plugin_handle *h = NULL;
    assert_int_equal(pl_plugin_open(p, &h, err, sizeof(err)), PL_EPLUGIN);
    assert_null(h);
    assert_non_null(strstr(err, p));
    assert_non_null(strstr(err, "version 99"));
    assert_non_null(strstr(err, "ABI version 2"));
    free(p);
}

/* A plugin built before process() returned a patch (ABI version 1) would
 * have its whole document taken for one: refused, saying what changed. */
static void version_1_plugin_is_refused_naming_file_both_versions_and_the_change(void **st)
{
    (void)st;
    char *p = s_plugin("old_abi"), err[1024];
    struct pl_plugin_handle *h = NULL;
    assert_int_equal(pl_plugin_open(p, &h, err, sizeof(err)), PL_EPLUGIN);
    assert_null(h);
    assert_non_null(strstr(err, p));
    assert_non_null(strstr(err, "built for plugin ABI version 1;"));
    assert_non_null(strstr(err, "uses ABI version 2"));
    assert_non_null(strstr(err, "only the members it adds, replaces or removes"));
    free(p);
}

static void missing_descriptor_symbol_is_refused(void **st)
{
    (void)st;
    char *p = s_plugin("no_symbol"), err[1024];
    struct pl_plugin_handle *h = NULL;
    assert_int_equal(pl_plugin_open(p, &h, err, sizeof(err)), PL_EPLUGIN);
    assert_non_null(strstr(err, "pressline_plugin"));
    assert_non_null(strstr(err, p));
    free(p);
}

static void unresolved_symbol_fails_at_load_not_later(void **st)
{
    (void)st;
    char *p = s_plugin("undefined_ref"), err[1024];
    struct pl_plugin_handle *h = NULL;
    assert_int_equal(pl_plugin_open(p, &h, err, sizeof(err)), PL_EPLUGIN);
    assert_non_null(strstr(err, "pl_symbol_that_does_not_exist"));
    free(p);
}

static void failing_init_reports_the_plugins_reason(void **st)
{
    (void)st;
    char *p = s_plugin("init_fails"), err[1024];
    struct pl_plugin_handle *h = NULL;
    assert_int_equal(pl_plugin_open(p, &h, err, sizeof(err)), 0);
    struct pl_plugin_instance inst;
    assert_int_equal(pl_plugin_instance_init(&inst, h, "mystage", "{}", err, sizeof(err)),
                     PL_EPLUGIN);
    assert_non_null(strstr(err, "mystage"));
    assert_non_null(strstr(err, "the widget option is required"));
    pl_plugin_close(&h);
    free(p);
}

static void the_host_check_keys_refuses_unknown_options(void **st)
{
    (void)st;
    char *p = s_plugin("testkit"), err[1024];
    struct pl_plugin_handle *h = NULL;
    assert_int_equal(pl_plugin_open(p, &h, err, sizeof(err)), 0);
    struct pl_plugin_instance inst;
    assert_int_equal(pl_plugin_instance_init(&inst, h, "t", "{\"bogus\":1}", err, sizeof(err)),
                     PL_EPLUGIN);
    assert_non_null(strstr(err, "unknown option \"bogus\""));
    assert_int_equal(pl_plugin_instance_init(&inst, h, "t", "[1]", err, sizeof(err)), PL_EPLUGIN);
    assert_non_null(strstr(err, "options must be a JSON object"));
    assert_int_equal(pl_plugin_instance_init(&inst, h, "t", "{\"sleep_ms\":1}", err, sizeof(err)),
                     0);
    pl_plugin_instance_fini(&inst);
    pl_plugin_close(&h);
    free(p);
}

static void missing_file_is_named(void **st)
{
    (void)st;
    char err[1024];
    struct pl_plugin_handle *h = NULL;
    assert_int_equal(pl_plugin_open("/nonexistent/x.so", &h, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "/nonexistent/x.so"));
}

static void real_plugins_load_and_reject_unknown_options(void **st)
{
    (void)st;
    const char *names[] = { "clean", "entities", "summarize" };
    for (size_t i = 0; i < 3; i++) {
        char *p = th_path("%s/lib/pressline/%s.so", th_build_dir(), names[i]), err[1024];
        struct pl_plugin_handle *h = NULL;
        assert_int_equal(pl_plugin_open(p, &h, err, sizeof(err)), 0);
        assert_string_equal(h->desc->name, names[i]);
        struct pl_plugin_instance inst;
        assert_int_equal(pl_plugin_instance_init(&inst, h, names[i], "{}", err, sizeof(err)), 0);
        pl_plugin_instance_fini(&inst);
        assert_int_equal(
            pl_plugin_instance_init(&inst, h, names[i], "{\"bogus\":1}", err, sizeof(err)),
            PL_EPLUGIN);
        assert_non_null(strstr(err, "bogus"));
        pl_plugin_close(&h);
        free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wrong_abi_is_refused_naming_file_and_both_versions),
        cmocka_unit_test(version_1_plugin_is_refused_naming_file_both_versions_and_the_change),
        cmocka_unit_test(missing_descriptor_symbol_is_refused),
        cmocka_unit_test(unresolved_symbol_fails_at_load_not_later),
        cmocka_unit_test(failing_init_reports_the_plugins_reason),
        cmocka_unit_test(the_host_check_keys_refuses_unknown_options),
        cmocka_unit_test(missing_file_is_named),
        cmocka_unit_test(real_plugins_load_and_reject_unknown_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
