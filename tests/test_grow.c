/* Tests of src/grow.c: a block grows where it is within its reservation,
 * moves with its bytes when it outgrows it, is malloc's when asked, and a
 * reservation takes no memory until it is written. Each block is filled
 * with a pattern of its offsets and read back after every change. */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <crampstat/grow.h>

static void fill(unsigned char *p, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        p[i] = (unsigned char)(i * 7 + (i >> 12));
}

static int holds(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(i * 7 + (i >> 12)))
            return 0;
    return 1;
}

/* Doubling from 4 KiB to 64 MiB: the same address all the way (when the
 * block is a reservation: not under AddressSanitizer), the bytes kept. */
static void grows_in_place(void **state)
{
    size_t n = 4096;
    unsigned char *p = cs_grow_realloc(NULL, n), *first = p;
    int reserved;

    (void)state;
    assert_non_null(p);
    reserved = cs__grow_reserved(p);
    fill(p, 0, n);
    while (n < ((size_t)64 << 20)) {
        unsigned char *q = cs_grow_realloc(p, 2 * n);
        assert_non_null(q);
        if (reserved)
            assert_ptr_equal(q, first);
        fill(q, n, 2 * n);
        p = q;
        n *= 2;
    }
    assert_true(holds(p, n));
    cs_grow_free(p);
}

/* A block of 1 MiB's reservation grown to 3 MiB moves into a larger one
 * (still a reservation) with its bytes; shrinking keeps the address. */
static void outgrows_its_reservation(void **state)
{
    size_t small = (size_t)1 << 20;
    unsigned char *p = cs__grow_realloc_reserve(NULL, small, small), *q, *r;

    int reserved;

    (void)state;
    assert_non_null(p);
    reserved = cs__grow_reserved(p);
    fill(p, 0, small);
    q = cs__grow_realloc_reserve(p, 3 * small, small);
    assert_non_null(q);
    assert_int_equal(cs__grow_reserved(q), reserved);
    assert_true(holds(q, small));
    fill(q, small, 3 * small);
    r = cs_grow_realloc(q, 100);
    if (reserved)
        assert_ptr_equal(r, q);
    assert_true(holds(r, 100));
    cs_grow_free(r);
    cs_grow_free(NULL);
}

/* CRAMPSTAT_GROW=malloc: malloc's block, which realloc grows. */
static void malloc_when_asked(void **state)
{
    unsigned char *p, *q;

    (void)state;
    assert_int_equal(setenv("CRAMPSTAT_GROW", "malloc", 1), 0);
    p = cs_grow_realloc(NULL, 5000);
    assert_non_null(p);
    assert_int_equal(cs__grow_reserved(p), 0);
    fill(p, 0, 5000);
    q = cs_grow_realloc(p, (size_t)8 << 20);
    assert_non_null(q);
    assert_int_equal(cs__grow_reserved(q), 0);
    assert_true(holds(q, 5000));
    cs_grow_free(q);
    assert_int_equal(unsetenv("CRAMPSTAT_GROW"), 0);
}

/* The VmFlags of the mapping that holds address a, from /proc/self/smaps
 * (into flags, with a space before and after each); 0 without it. */
static int vm_flags(const void *a, char *flags, size_t cap)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    int in = 0, found = 0;

    if (!f)
        return 0;
    while (!found && fgets(line, sizeof line, f)) {
        uintptr_t lo, hi;

        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2)
            in = (uintptr_t)a >= lo && (uintptr_t)a < hi;
        else if (in && strncmp(line, "VmFlags:", 8) == 0) {
            snprintf(flags, cap, "%s", line + 8);
            for (char *c = flags; *c; c++)
                if (*c == '\n')
                    *c = ' ';
            found = 1;
        }
    }
    fclose(f);
    return found;
}

/* Past its first 2 MiB a reservation asks for huge pages ("hg" among its
 * mapping's flags) with CRAMPSTAT_HUGEPAGES=on, not with =off, and unset
 * as the host's probe chose (not under a balloon that reports free pages);
 * its first 2 MiB never do. */
static void huge_pages_unless_off(void **state)
{
    const char *want[] = { NULL, "off", "on" };

    (void)state;
    for (int k = 0; k < 3; k++) {
        unsigned char *p;
        char head[512], tail[512];

        if (want[k])
            assert_int_equal(setenv("CRAMPSTAT_HUGEPAGES", want[k], 1), 0);
        else
            assert_int_equal(unsetenv("CRAMPSTAT_HUGEPAGES"), 0);
        int huge = k == 2 || (k == 0 && !cs__grow_free_pages_reported("/sys"));

        assert_int_equal(cs_grow_huge_pages(), huge);
        p = cs__grow_realloc_reserve(NULL, (size_t)8 << 20, (size_t)64 << 20);
        assert_non_null(p);
        if (!cs__grow_reserved(p) || !vm_flags(p, head, sizeof head) ||
            !vm_flags(p + ((size_t)4 << 20), tail, sizeof tail)) {
            cs_grow_free(p);
            skip();
        }
        assert_null(strstr(head, " hg "));
        if (!huge)
            assert_null(strstr(tail, " hg "));
        else
            assert_non_null(strstr(tail, " hg "));
        cs_grow_free(p);
    }
    assert_int_equal(unsetenv("CRAMPSTAT_HUGEPAGES"), 0);
}

/* Writes text to the file at dir/rel, making its directories. */
static void put(const char *dir, const char *rel, const char *text)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, rel);
    for (char *c = path + strlen(dir) + 1; *c; c++)
        if (*c == '/') {
            *c = '\0';
            (void)mkdir(path, 0700);
            *c = '/';
        }
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void rm_tree(const char *dir)
{
    char cmd[1100];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

#define BALLOON "bus/virtio/drivers/virtio_balloon"

/* The probe of a sysfs tree made here: a virtio balloon's features are
 * bits, bit 0 first, and bit 5 is free page reporting (the virtio
 * specification, 5.5.3). The first features are copied from a real
 * balloon that reports; the others clear bit 5, cut the string short, or
 * put it where no device is, before a second device that reports. */
static void probe_reads_the_balloons_features(void **state)
{
    char tmpl[] = "/tmp/cs-grow-sys.XXXXXX";
    char *dir = mkdtemp(tmpl);

    (void)state;
    assert_non_null(dir);
    assert_int_equal(cs__grow_free_pages_reported(dir), 0);
    assert_int_equal(cs__grow_free_pages_reported("/nonexistent/sys"), 0);
    put(dir, BALLOON "/bind", "");
    put(dir, BALLOON "/uevent", "");
    assert_int_equal(cs__grow_free_pages_reported(dir), 0);
    put(dir, BALLOON "/virtio0/features",
        "0110010100000000000000000000000010000000000000000000000000000000\n");
    assert_int_equal(cs__grow_free_pages_reported(dir), 1);
    put(dir, BALLOON "/virtio0/features",
        "0110000100000000000000000000000010000000000000000000000000000000\n");
    assert_int_equal(cs__grow_free_pages_reported(dir), 0);
    put(dir, BALLOON "/virtio0/features", "01100\n");
    assert_int_equal(cs__grow_free_pages_reported(dir), 0);
    put(dir, BALLOON "/module/features", "0000010000\n");
    assert_int_equal(cs__grow_free_pages_reported(dir), 0);
    put(dir, BALLOON "/virtio3/features", "0000010000\n");
    assert_int_equal(cs__grow_free_pages_reported(dir), 1);
    rm_tree(dir);
}

/* Resident pages of this process, from /proc/self/statm; -1 without it. */
static long resident_pages(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size, res = -1;

    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &res) != 2)
        res = -1;
    fclose(f);
    return res;
}

/* A block of 512 MiB asked for, and 4 bytes of it written: the process
 * grows by a few pages, not by the block (a reservation takes memory only
 * where it is written). */
static void takes_memory_only_where_written(void **state)
{
    size_t n = (size_t)512 << 20;
    long before = resident_pages(), after;
    unsigned char *p;

    (void)state;
    if (before < 0)
        skip();
    p = cs_grow_realloc(NULL, n);
    assert_non_null(p);
    if (!cs__grow_reserved(p)) {
        cs_grow_free(p);
        skip();
    }
    memcpy(p, "abcd", 4);
    after = resident_pages();
    assert_true(after - before < (8L << 20) / sysconf(_SC_PAGESIZE));
    cs_grow_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grows_in_place),
        cmocka_unit_test(outgrows_its_reservation),
        cmocka_unit_test(malloc_when_asked),
        cmocka_unit_test(huge_pages_unless_off),
        cmocka_unit_test(probe_reads_the_balloons_features),
        cmocka_unit_test(takes_memory_only_where_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
