/* The names files get in done/ and failed/: a name of up to NAME_MAX bytes
 * comes out whole, and when something must give (a clash, the room for
 * ".error.json") the stem is shortened and the extension kept; nothing is
 * overwritten. Spool folders in a temp folder. */
#include "cm.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "harness.h"
#include "spool.h"
#include "spool_fixture.h"

/* A name of n bytes: n - 4 bytes of stem from stem_byte, then ".txt". */
static char *s_long_name(size_t n, char stem_byte)
{
    char *s = malloc(n + 1);
    memset(s, stem_byte, n - 4);
    memcpy(s + n - 4, ".txt", 5);
    return s;
}

/* Drops content into inbox/name and claims it; wn gets the work name. */
static void s_drop_and_claim(struct sf_fx *f, const char *name, const char *content, char *wn)
{
    char *p = th_path("%s/in/%s", f->dir, name);
    assert_int_equal(th_write_file(p, content, strlen(content)), 0);
    assert_int_equal(pl_spool_claim(&f->sp, name, wn), 0);
    free(p);
}

/* The content of folder/name in the fixture, or NULL (caller frees). */
static char *s_content(struct sf_fx *f, const char *folder, const char *name)
{
    char *p = th_path("%s/%s/%s", f->dir, folder, name);
    size_t len;
    char *data = th_read_file(p, &len);
    free(p);
    return data;
}

static bool s_ends_with(const char *s, const char *end)
{
    size_t n = strlen(s), m = strlen(end);
    return n >= m && memcmp(s + n - m, end, m) == 0;
}

static void a_255_byte_name_ends_in_done_whole(void **state)
{
    struct sf_fx *f = *state;
    char *name = s_long_name(NAME_MAX, 'a');
    char wn[NAME_MAX + 1];
    s_drop_and_claim(f, name, "first", wn);
    /* The work name has no room for it whole, but keeps its extension, so
     * even a file recovered from work/ after a crash keeps its type. */
    assert_true(strlen(wn) <= NAME_MAX);
    assert_true(s_ends_with(pl_spool_orig_name(wn), ".txt"));
    assert_int_equal(pl_spool_done(&f->sp, wn, name, false), 0);
    char *got = s_content(f, "done", name);
    assert_non_null(got);
    assert_string_equal(got, "first");
    free(got);
    free(name);
}

static void a_255_byte_name_that_clashes_in_done_keeps_its_extension(void **state)
{
    struct sf_fx *f = *state;
    char *name = s_long_name(NAME_MAX, 'b');
    char wn[NAME_MAX + 1];
    s_drop_and_claim(f, name, "first", wn);
    assert_int_equal(pl_spool_done(&f->sp, wn, name, false), 0);
    s_drop_and_claim(f, name, "second", wn);
    assert_int_equal(pl_spool_done(&f->sp, wn, name, false), 0);
    char *dd = th_path("%s/done", f->dir);
    assert_int_equal(th_count_dir(dd), 2);
    free(dd);
    /* The first is not overwritten; the second is <stem cut>.txt.<key>. */
    char *got = s_content(f, "done", name);
    assert_string_equal(got, "first");
    free(got);
    const char *orig = pl_spool_orig_name(wn);
    char want[NAME_MAX + 1];
    size_t keylen = (size_t)(orig - wn - 1), stem = NAME_MAX - 1 - keylen - 4;
    memset(want, 'b', stem);
    memcpy(want + stem, ".txt.", 5);
    memcpy(want + stem + 5, wn, keylen);
    want[NAME_MAX] = '\0';
    got = s_content(f, "done", want);
    assert_non_null(got);
    assert_string_equal(got, "second");
    free(got);
    free(name);
}

static void a_255_byte_name_in_failed_leaves_room_for_its_record(void **state)
{
    struct sf_fx *f = *state;
    char *name = s_long_name(NAME_MAX, 'c');
    char wn[NAME_MAX + 1], out[NAME_MAX + 1], out2[NAME_MAX + 1];
    s_drop_and_claim(f, name, "first", wn);
    assert_int_equal(pl_spool_move_failed(&f->sp, wn, name, out), 0);
    /* <out>.error.json must fit in NAME_MAX: the stem gives 11 bytes. */
    assert_int_equal(strlen(out), NAME_MAX - strlen(PL_ERROR_SUFFIX));
    assert_true(s_ends_with(out, ".txt"));
    assert_memory_equal(out, name, strlen(out) - 4);
    s_drop_and_claim(f, name, "second", wn);
    assert_int_equal(pl_spool_move_failed(&f->sp, wn, name, out2), 0);
    assert_string_not_equal(out, out2);
    assert_true(strlen(out2) <= NAME_MAX - strlen(PL_ERROR_SUFFIX));
    assert_non_null(strstr(out2, ".txt."));
    char *a = s_content(f, "failed", out), *b = s_content(f, "failed", out2);
    assert_string_equal(a, "first");
    assert_string_equal(b, "second");
    free(a);
    free(b);
    /* A name that fits is kept whole, as before. */
    s_drop_and_claim(f, "short.txt", "third", wn);
    assert_int_equal(pl_spool_move_failed(&f->sp, wn, "short.txt", out), 0);
    assert_string_equal(out, "short.txt");
    free(name);
}

static void a_shortened_name_is_never_cut_inside_a_character(void **state)
{
    struct sf_fx *f = *state;
    /* 124 x "é" (2 bytes each) and ".md": 251 bytes, so failed/ must cut
     * 7 bytes; cutting at an odd byte would split an "é". */
    char name[NAME_MAX + 1];
    for (int i = 0; i < 124; i++)
        memcpy(name + 2 * i, "\xc3\xa9", 2);
    memcpy(name + 248, ".md", 4);
    char wn[NAME_MAX + 1], out[NAME_MAX + 1];
    s_drop_and_claim(f, name, "x", wn);
    assert_int_equal(pl_spool_move_failed(&f->sp, wn, name, out), 0);
    assert_true(s_ends_with(out, ".md"));
    size_t stem = strlen(out) - 3;
    assert_int_equal(stem % 2, 0);
    assert_int_equal(stem, 240);
    assert_memory_equal(out, name, stem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_255_byte_name_ends_in_done_whole, sf_setup, sf_teardown),
        cmocka_unit_test_setup_teardown(a_255_byte_name_that_clashes_in_done_keeps_its_extension,
                                        sf_setup, sf_teardown),
        cmocka_unit_test_setup_teardown(a_255_byte_name_in_failed_leaves_room_for_its_record,
                                        sf_setup, sf_teardown),
        cmocka_unit_test_setup_teardown(a_shortened_name_is_never_cut_inside_a_character, sf_setup,
                                        sf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
