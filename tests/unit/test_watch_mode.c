/* watch.mode: which file systems inotify cannot be trusted on, and the mode
 * "auto" picks for each (issue 16, point 4). */
#include "cm.h"

#include <linux/magic.h>
#include <stdint.h>
#include <string.h>

#include "watch.h"

static void network_and_fuse_file_systems_are_named_untrusted(void **st)
{
    (void)st;
    assert_string_equal(pl_watch_untrusted_fs(NFS_SUPER_MAGIC), "NFS");
    assert_string_equal(pl_watch_untrusted_fs(CIFS_SUPER_MAGIC), "SMB/CIFS");
    assert_string_equal(pl_watch_untrusted_fs(SMB2_SUPER_MAGIC), "SMB2");
    assert_string_equal(pl_watch_untrusted_fs(SMB_SUPER_MAGIC), "SMB");
    assert_string_equal(pl_watch_untrusted_fs(FUSE_SUPER_MAGIC), "FUSE");
    assert_string_equal(pl_watch_untrusted_fs(V9FS_MAGIC), "9p");
    assert_string_equal(pl_watch_untrusted_fs(CEPH_SUPER_MAGIC), "Ceph");
    /* A 32-bit statfs gives the magic as a negative word. */
    assert_string_equal(pl_watch_untrusted_fs((unsigned long)(long)(int32_t)CIFS_SUPER_MAGIC),
                        "SMB/CIFS");
}

static void local_file_systems_are_trusted(void **st)
{
    (void)st;
    assert_null(pl_watch_untrusted_fs(EXT4_SUPER_MAGIC));
    assert_null(pl_watch_untrusted_fs(XFS_SUPER_MAGIC));
    assert_null(pl_watch_untrusted_fs(BTRFS_SUPER_MAGIC));
    assert_null(pl_watch_untrusted_fs(TMPFS_MAGIC));
    assert_null(pl_watch_untrusted_fs(OVERLAYFS_SUPER_MAGIC));
    assert_null(pl_watch_untrusted_fs(0));
}

static void auto_polls_only_where_inotify_cannot_be_trusted(void **st)
{
    (void)st;
    assert_int_equal(pl_watch_decide(PL_WATCH_AUTO, NFS_SUPER_MAGIC), PL_WATCH_POLL);
    assert_int_equal(pl_watch_decide(PL_WATCH_AUTO, FUSE_SUPER_MAGIC), PL_WATCH_POLL);
    assert_int_equal(pl_watch_decide(PL_WATCH_AUTO, SMB2_SUPER_MAGIC), PL_WATCH_POLL);
    assert_int_equal(pl_watch_decide(PL_WATCH_AUTO, EXT4_SUPER_MAGIC), PL_WATCH_INOTIFY);
    assert_int_equal(pl_watch_decide(PL_WATCH_AUTO, TMPFS_MAGIC), PL_WATCH_INOTIFY);
}

static void an_explicit_mode_is_kept_whatever_the_file_system(void **st)
{
    (void)st;
    assert_int_equal(pl_watch_decide(PL_WATCH_INOTIFY, NFS_SUPER_MAGIC), PL_WATCH_INOTIFY);
    assert_int_equal(pl_watch_decide(PL_WATCH_POLL, EXT4_SUPER_MAGIC), PL_WATCH_POLL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(network_and_fuse_file_systems_are_named_untrusted),
        cmocka_unit_test(local_file_systems_are_trusted),
        cmocka_unit_test(auto_polls_only_where_inotify_cannot_be_trusted),
        cmocka_unit_test(an_explicit_mode_is_kept_whatever_the_file_system),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
