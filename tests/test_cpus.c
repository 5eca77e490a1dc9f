/* Tests for src/cpus.c: the CPU quota of the process's control groups,
 * read from trees of /proc and /sys files made here as the kernel shows
 * them: cgroup v2, v1 beside v2 (the hybrid layout), a container's v1
 * mount of its own part of the tree, no quota, and files that do not
 * parse. The expected thousandths of a CPU are quota x 1000 / period,
 * the smallest over the group and those above it. */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"

static char root[256];

/* root/path with text, its folders made. */
static void put(const char *path, const char *text)
{
    char full[1024];
    FILE *f;

    snprintf(full, sizeof full, "%s%s", root, path);
    for (char *p = full + strlen(root) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        assert_true(mkdir(full, 0755) == 0 || errno == EEXIST);
        *p = '/';
    }
    assert_non_null(f = fopen(full, "w"));
    fputs(text, f);
    fclose(f);
}

static int fresh(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/crampstat-cpus.XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int gone(void **state)
{
    char cmd[300];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static const char mount_v2[] =
    "24 1 259:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
    "31 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - "
    "cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";

static void test_v2(void **state)
{
    (void)state;
    put("/proc/self/mountinfo", mount_v2);
    put("/proc/self/cgroup", "0::/user.slice/job.scope\n");
    put("/sys/fs/cgroup/user.slice/job.scope/cpu.max", "max 100000\n");
    put("/sys/fs/cgroup/user.slice/cpu.max", "50000 100000\n");
    assert_int_equal(cs__cpu_quota_milli(root), 500);
    /* the group's own, smaller than above it */
    put("/sys/fs/cgroup/user.slice/job.scope/cpu.max", "25000 50000\n");
    put("/sys/fs/cgroup/user.slice/cpu.max", "max 100000\n");
    assert_int_equal(cs__cpu_quota_milli(root), 500);
    put("/sys/fs/cgroup/user.slice/job.scope/cpu.max", "250000 100000\n");
    assert_int_equal(cs__cpu_quota_milli(root), 2500);
    /* both set: the smaller, the one above */
    put("/sys/fs/cgroup/user.slice/cpu.max", "150000 100000\n");
    assert_int_equal(cs__cpu_quota_milli(root), 1500);
    put("/sys/fs/cgroup/user.slice/cpu.max", "max 100000\n");
    /* none anywhere */
    put("/sys/fs/cgroup/user.slice/job.scope/cpu.max", "max 100000\n");
    assert_int_equal(cs__cpu_quota_milli(root), -1);
}

/* v1's cpu controller beside v2's unified tree: v1 holds the quota. */
static void test_v1_hybrid(void **state)
{
    (void)state;
    put("/proc/self/mountinfo",
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
        "33 31 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:5 - cgroup "
        "cgroup rw,cpu,cpuacct\n"
        "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n");
    put("/proc/self/cgroup", "3:cpuset:/\n2:cpu,cpuacct:/batch/job7\n0::/\n");
    put("/sys/fs/cgroup/cpu,cpuacct/batch/job7/cpu.cfs_quota_us", "-1\n");
    put("/sys/fs/cgroup/cpu,cpuacct/batch/job7/cpu.cfs_period_us", "100000\n");
    put("/sys/fs/cgroup/cpu,cpuacct/batch/cpu.cfs_quota_us", "100000\n");
    put("/sys/fs/cgroup/cpu,cpuacct/batch/cpu.cfs_period_us", "100000\n");
    put("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
    put("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
    /* a v2 cpu.max in the unified tree is not the cpu controller's */
    put("/sys/fs/cgroup/unified/cpu.max", "10000 100000\n");
    assert_int_equal(cs__cpu_quota_milli(root), 1000);
    put("/sys/fs/cgroup/cpu,cpuacct/batch/cpu.cfs_quota_us", "-1\n");
    assert_int_equal(cs__cpu_quota_milli(root), -1);
    /* the cpuacct-only mount is not the cpu controller's */
    put("/proc/self/cgroup", "2:cpuacct:/batch/job7\n0::/\n");
    assert_int_equal(cs__cpu_quota_milli(root), 10 * 1000 / 100);
}

/* In a container the mount's root is the container's group, and
 * /proc/self/cgroup names it from the host's root. */
static void test_container_v1(void **state)
{
    (void)state;
    put("/proc/self/mountinfo",
        "700 690 0:30 /docker/0123abcd /sys/fs/cgroup/cpu ro,nosuid - cgroup "
        "cgroup rw,cpu\n");
    put("/proc/self/cgroup", "4:cpu:/docker/0123abcd\n");
    put("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "150000\n");
    put("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
    assert_int_equal(cs__cpu_quota_milli(root), 1500);
    /* a group below the mount that has the container's path is another
     * group (the mount's root is already the container's) */
    put("/sys/fs/cgroup/cpu/docker/0123abcd/cpu.cfs_quota_us", "50000\n");
    put("/sys/fs/cgroup/cpu/docker/0123abcd/cpu.cfs_period_us", "100000\n");
    assert_int_equal(cs__cpu_quota_milli(root), 1500);
}

static void test_unreadable(void **state)
{
    (void)state;
    /* nothing at all */
    assert_int_equal(cs__cpu_quota_milli(root), -1);
    put("/proc/self/cgroup", "0::/a\n");
    assert_int_equal(cs__cpu_quota_milli(root), -1);      /* no mountinfo */
    put("/proc/self/mountinfo", mount_v2);
    put("/sys/fs/cgroup/a/cpu.max", "12x 100000\n");
    assert_int_equal(cs__cpu_quota_milli(root), -1);
    put("/sys/fs/cgroup/a/cpu.max", "100000\n");
    assert_int_equal(cs__cpu_quota_milli(root), -1);
    put("/sys/fs/cgroup/a/cpu.max", "100000 0\n");
    assert_int_equal(cs__cpu_quota_milli(root), -1);
    put("/sys/fs/cgroup/a/cpu.max", "");
    assert_int_equal(cs__cpu_quota_milli(root), -1);
    put("/proc/self/cgroup", "garbage\n");
    assert_int_equal(cs__cpu_quota_milli(root), -1);
    put("/proc/self/cgroup", "0::relative\n");
    assert_int_equal(cs__cpu_quota_milli(root), -1);
    put("/proc/self/cgroup", "0::/a\n");
    put("/sys/fs/cgroup/a/cpu.max", "100000 100000\n");
    assert_int_equal(cs__cpu_quota_milli(root), 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_v2, fresh, gone),
        cmocka_unit_test_setup_teardown(test_v1_hybrid, fresh, gone),
        cmocka_unit_test_setup_teardown(test_container_v1, fresh, gone),
        cmocka_unit_test_setup_teardown(test_unreadable, fresh, gone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
