/* Session-id set. Storing the ids themselves would cost their length plus
 * pointers per session; a 128-bit fingerprint is 16 bytes and its
 * collision odds are far below any hardware error rate. Linear probing
 * with a 0.8 load limit and 1.5x growth keeps the table between 1.25 and
 * 1.875 slots per id: 20 to 30 bytes each. */
#define _DEFAULT_SOURCE 1  /* madvise(MADV_HUGEPAGE) */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <crampstat/error.h>
#include <crampstat/idset.h>

typedef struct slot { uint64_t a, b; } slot;   /* a == 0 && b == 0: empty */

struct cs_idset {
    slot *t;
    size_t cap, n;
    int mapped;         /* t came from mmap (large tables) */
};

/* Tables of millions of ids are touched at random, one cache line a row:
 * on 4 KiB pages nearly every add also misses the TLB. Large tables are
 * mapped with a request for huge pages (where the kernel grants them);
 * the bytes are zero either way, as calloc's. */
#define HUGE_MIN ((size_t)4 << 20)

static slot *table_alloc(size_t cap, int *mapped)
{
    size_t bytes = cap * sizeof(slot);
    void *p;

    *mapped = 0;
    if (bytes < HUGE_MIN)
        return calloc(cap, sizeof(slot));
    p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
             -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
    *mapped = 1;
    return p;
}

static void table_free(slot *t, size_t cap, int mapped)
{
    if (mapped)
        munmap(t, cap * sizeof(slot));
    else
        free(t);
}

static inline uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t mix(uint64_t x)
{
    /* The murmur3 / splitmix finaliser: full avalanche. */
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

uint64_t cs_hash64(const void *data, size_t n, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);

    while (n >= 8) {
        h = mix(h ^ rd64(p)) + 0x9e3779b97f4a7c15ULL;
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t t = 0;
        memcpy(&t, p, n);
        h = mix(h ^ t ^ ((uint64_t)n << 56)) + 0x9e3779b97f4a7c15ULL;
    }
    return mix(h);
}

int cs_idset_create(cs_idset **out)
{
    cs_idset *s = calloc(1, sizeof *s);

    *out = NULL;
    if (!s)
        return CS_ENOMEM;
    s->cap = 1024;
    if (!(s->t = table_alloc(s->cap, &s->mapped))) {
        free(s);
        return CS_ENOMEM;
    }
    *out = s;
    return CS_OK;
}

/* Map a hash onto [0, cap) without a modulo (Lemire's multiply-shift on
 * the top 32 bits; tables stay far below 2^32 slots). */
static inline size_t home(uint64_t a, size_t cap)
{
    return (size_t)(((a >> 32) * (uint64_t)cap) >> 32);
}

static void insert(slot *t, size_t cap, slot v)
{
    size_t i = home(v.a, cap);
    while (t[i].a | t[i].b)
        i = i + 1 == cap ? 0 : i + 1;
    t[i] = v;
}

static int grow(cs_idset *s)
{
    size_t cap = s->cap + s->cap / 2;
    int mapped;
    slot *t = table_alloc(cap, &mapped);

    if (!t)
        return CS_ENOMEM;
    for (size_t i = 0; i < s->cap; i++)
        if (s->t[i].a | s->t[i].b)
            insert(t, cap, s->t[i]);
    table_free(s->t, s->cap, s->mapped);
    s->t = t;
    s->cap = cap;
    s->mapped = mapped;
    return CS_OK;
}

cs_idfp cs_idset_prepare(const cs_idset *s, cs_str id)
{
    cs_idfp v = { cs_hash64(id.ptr, id.len, 0x243f6a8885a308d3ULL),
                  cs_hash64(id.ptr, id.len, 0x13198a2e03707344ULL) };

    if (!(v.a | v.b))
        v.b = 1;  /* keep the empty marker free */
    __builtin_prefetch(&s->t[home(v.a, s->cap)], 1);
    return v;
}

int cs_idset_add(cs_idset *s, cs_str id)
{
    return cs_idset_add_prepared(s, cs_idset_prepare(s, id));
}

int cs_idset_add_prepared(cs_idset *s, cs_idfp fp)
{
    slot v = { fp.a, fp.b };
    size_t i;

    i = home(v.a, s->cap);
    while (s->t[i].a | s->t[i].b) {
        if (s->t[i].a == v.a && s->t[i].b == v.b)
            return 0;
        i = i + 1 == s->cap ? 0 : i + 1;
    }
    s->t[i] = v;
    s->n++;
    if (s->n * 5 > s->cap * 4 && grow(s) < 0)
        return CS_ENOMEM;
    return 1;
}

size_t cs_idset_count(const cs_idset *s) { return s->n; }
size_t cs_idset_bytes(const cs_idset *s) { return s->cap * sizeof(slot); }

void cs_idset_free(cs_idset *s)
{
    if (!s)
        return;
    table_free(s->t, s->cap, s->mapped);
    free(s);
}
