/* Tables that grow where they are (grow.h). */
#define _DEFAULT_SOURCE 1   /* MAP_ANONYMOUS, MAP_NORESERVE, madvise */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/grow.h>
#include <stdio.h>
#include "internal.h"
#include <pthread.h>
#include <dirent.h>
#if defined(__unix__)
#include <sys/mman.h>
#include <sys/resource.h>
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CS_GROW_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CS_GROW_ASAN 1
#endif

#if defined(MAP_ANONYMOUS) && defined(MAP_NORESERVE) && UINTPTR_MAX > 0xffffffffu && \
    !defined(CS_GROW_ASAN)
#define CS_GROW_MAP 1
#endif

#define RESERVE ((size_t)1 << 30)
#define HUGE ((uintptr_t)2 << 20)

/* Just before every block: 64 bytes, so the block keeps malloc's
 * alignment. */
typedef struct head {
    size_t reserve;     /* bytes the block may reach in place; 0: malloc's */
    size_t size;        /* bytes asked for last */
    void *map;          /* the reservation (map_len(reserve) bytes) */
} head;
#define HEAD 64
_Static_assert(sizeof(head) <= HEAD, "the head fits before the block");

static head *head_of(const void *p)
{
    return (head *)(void *)((char *)(uintptr_t)p - HEAD);
}

static void *by_malloc(void *p, size_t n)
{
    head *h = realloc(p ? head_of(p) : NULL, HEAD + n);

    if (!h)
        return NULL;
    if (!p)
        *h = (head){ 0, 0, NULL };
    h->size = n;
    return (char *)h + HEAD;
}

/* Bit 5 of a virtio balloon's features: VIRTIO_BALLOON_F_REPORTING, the
 * guest tells the host which free blocks it may take back. */
#define BALLOON_REPORTING 5
#define BALLOON "/bus/virtio/drivers/virtio_balloon"

int cs__grow_free_pages_reported(const char *sys)
{
    char path[4096], bits[64];
    DIR *d;
    struct dirent *e;
    int found = 0;

    if (snprintf(path, sizeof path, "%s" BALLOON, sys) >= (int)sizeof path ||
        !(d = opendir(path)))
        return 0;
    while (!found && (e = readdir(d)) != NULL) {
        /* The features file is a line of '0' and '1', bit 0 first. */
        if (strncmp(e->d_name, "virtio", 6) == 0 &&
            snprintf(path, sizeof path, BALLOON "/%s/features", e->d_name) <
                (int)sizeof path &&
            cs__read_line(sys, path, bits, sizeof bits) == 0 &&
            strlen(bits) > BALLOON_REPORTING)
            found = bits[BALLOON_REPORTING] == '1';
    }
    closedir(d);
    return found;
}

static int huge_by_host = 1;
static pthread_once_t huge_once = PTHREAD_ONCE_INIT;

static void probe_host(void)
{
    huge_by_host = !cs__grow_free_pages_reported("/sys");
}

int cs_grow_huge_pages(void)
{
    const char *e = getenv("CRAMPSTAT_HUGEPAGES");

    if (e && strcmp(e, "off") == 0)
        return 0;
    if (e && strcmp(e, "on") == 0)
        return 1;
    pthread_once(&huge_once, probe_host);
    return huge_by_host;
}

#ifdef CS_GROW_MAP
/* The length mapped for a reservation: the block, room to align it, the
 * head. */
static size_t map_len(size_t reserve)
{
    return reserve + HUGE + HEAD;
}

/* A reservation of reserve bytes after a head, the block 2 MiB aligned
 * (so that huge pages line up with it); NULL when none can be had. */
static void *reserve_block(size_t reserve)
{
    char *map = mmap(NULL, map_len(reserve), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    uintptr_t data;
    head *h;

    if (map == MAP_FAILED)
        return NULL;
    data = ((uintptr_t)map + HEAD + HUGE - 1) & ~(HUGE - 1);
    h = head_of((void *)data);
    *h = (head){ reserve, 0, map };
#ifdef MADV_HUGEPAGE
    /* The first 2 MiB keep small pages: a small table stays small. */
    if (reserve > HUGE && cs_grow_huge_pages())
        (void)madvise((void *)(data + HUGE), reserve - HUGE, MADV_HUGEPAGE);
#endif
    return (void *)data;
}

/* Whether to reserve: not when asked not to; not under a limit of the
 * address space (ulimit -v, as some batch systems set), which the
 * reservations would use up although they take no memory; and not where
 * the kernel counts every mapping against the memory it promises
 * (vm.overcommit_memory 2), where they would crowd out real allocations. */
static int use_map(void)
{
    const char *e = getenv("CRAMPSTAT_GROW");
    struct rlimit lim;
    FILE *f;
    int mode = 0;

    if (e && strcmp(e, "malloc") == 0)
        return 0;
    if (getrlimit(RLIMIT_AS, &lim) != 0 || lim.rlim_cur != RLIM_INFINITY)
        return 0;
    if ((f = fopen("/proc/sys/vm/overcommit_memory", "r")) != NULL) {
        if (fscanf(f, "%d", &mode) != 1)
            mode = 2;
        fclose(f);
    }
    return mode != 2;
}
#endif

void *cs__grow_realloc_reserve(void *p, size_t n, size_t reserve)
{
    head *h = p ? head_of(p) : NULL;
    void *q;

    if (h && h->reserve == 0)
        return by_malloc(p, n);
    if (h && n <= h->reserve) {
        h->size = n;
        return p;
    }
#ifdef CS_GROW_MAP
    if (h || use_map()) {
        size_t r = h ? 2 * h->reserve : reserve;
        while (r < n && r < SIZE_MAX / 4)
            r *= 2;
        if (r >= n && (q = reserve_block(r)) != NULL) {
            head_of(q)->size = n;
            if (h) {
                memcpy(q, p, h->size < n ? h->size : n);
                munmap(h->map, map_len(h->reserve));
            }
            return q;
        }
    }
#else
    (void)reserve;
#endif
    /* No reservation: malloc's block from here on. */
    if (!(q = by_malloc(NULL, n)))
        return NULL;
    if (h) {
        memcpy(q, p, h->size < n ? h->size : n);
        cs_grow_free(p);
    }
    return q;
}

void *cs_grow_realloc(void *p, size_t n)
{
    return cs__grow_realloc_reserve(p, n, RESERVE);
}

void cs_grow_free(void *p)
{
    head *h;

    if (!p)
        return;
    h = head_of(p);
#ifdef CS_GROW_MAP
    if (h->reserve) {
        munmap(h->map, map_len(h->reserve));
        return;
    }
#endif
    free(h);
}

int cs__grow_reserved(const void *p)
{
    return p && head_of(p)->reserve != 0;
}
