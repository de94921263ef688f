/*
 * One built plugin run in-process on one document through the real loader,
 * as a worker runs it, for the plugin tests that check a stage's output:
 * test_edge.c and test_inputs.c. Runs on the test's thread.
 */
#ifndef PL_TEST_PLUGIN_RUN_H
#define PL_TEST_PLUGIN_RUN_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Opens build/lib/pressline/<plugin>.so, makes an instance with options
 * (JSON object text, or NULL) and runs it on doc. Returns the document
 * after the stage, parsed: doc with the plugin's patch applied, as the
 * worker does (caller deletes), or NULL with the plugin's message in err[n]. rc, when
 * not NULL, receives the plugin's return code. Fails the test when the
 * plugin cannot be opened or its instance made. */
cJSON *pr_run(const char *plugin, const char *options, const char *doc, char *err, size_t n,
              int *rc);

/* pr_run of clean on the text raw, as the daemon hands it over:
 * {"source":{},"raw":raw}. */
cJSON *pr_clean_raw(const char *raw, char *err, size_t n, int *rc);

#endif
