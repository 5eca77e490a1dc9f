/* Session-id set. Storing the ids themselves would cost their length plus
 * pointers per session; a 128-bit fingerprint is 16 bytes and its
 * collision odds are far below any hardware error rate. Linear probing
 * with a 0.8 load limit and 1.5x growth keeps each table between 1.25 and
 * 1.875 slots per id: 20 to 30 bytes each.
 *
 * The ids are spread over 16 parts by the top bits of the fingerprint,
 * each its own table: a part grows alone, so the moment when its old and
 * new table both exist adds at most 1.25 bytes per id, not the whole set
 * again: the peak stays below 31.25 bytes per session (the set may cost
 * 32). */
#define _DEFAULT_SOURCE 1  /* madvise(MADV_HUGEPAGE) */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <crampstat/error.h>
#include <crampstat/idset.h>

#define PARTS 16

typedef struct slot { uint64_t a, b; } slot;   /* a == 0 && b == 0: empty */

typedef struct part {
    slot *t;
    size_t cap, n;
    int mapped;         /* t came from mmap (large tables) */
} part;

struct cs_idset {
    part p[PARTS];
    size_t n;
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
    for (int i = 0; i < PARTS; i++) {
        s->p[i].cap = 64;
        if (!(s->p[i].t = table_alloc(s->p[i].cap, &s->p[i].mapped))) {
            cs_idset_free(s);
            return CS_ENOMEM;
        }
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

/* The part of a fingerprint: the top bits of b, independent of a's home
 * slot. */
static inline part *part_of(const cs_idset *s, uint64_t b)
{
    return (part *)&s->p[b >> 60];
}

static void insert(slot *t, size_t cap, slot v)
{
    size_t i = home(v.a, cap);
    while (t[i].a | t[i].b)
        i = i + 1 == cap ? 0 : i + 1;
    t[i] = v;
}

static int grow(part *p)
{
    size_t cap = p->cap + p->cap / 2;
    int mapped;
    slot *t = table_alloc(cap, &mapped);

    if (!t)
        return CS_ENOMEM;
    for (size_t i = 0; i < p->cap; i++)
        if (p->t[i].a | p->t[i].b)
            insert(t, cap, p->t[i]);
    table_free(p->t, p->cap, p->mapped);
    p->t = t;
    p->cap = cap;
    p->mapped = mapped;
    return CS_OK;
}

cs_idfp cs_idset_prepare(const cs_idset *s, cs_str id)
{
    cs_idfp v = { cs_hash64(id.ptr, id.len, 0x243f6a8885a308d3ULL),
                  cs_hash64(id.ptr, id.len, 0x13198a2e03707344ULL) };
    const part *p;

    if (!(v.a | v.b))
        v.b = 1;  /* keep the empty marker free */
    p = part_of(s, v.b);
    __builtin_prefetch(&p->t[home(v.a, p->cap)], 1);
    return v;
}

int cs_idset_add(cs_idset *s, cs_str id)
{
    return cs_idset_add_prepared(s, cs_idset_prepare(s, id));
}

int cs_idset_add_prepared(cs_idset *s, cs_idfp fp)
{
    slot v = { fp.a, fp.b };
    part *p = part_of(s, v.b);
    size_t i = home(v.a, p->cap);

    while (p->t[i].a | p->t[i].b) {
        if (p->t[i].a == v.a && p->t[i].b == v.b)
            return 0;
        i = i + 1 == p->cap ? 0 : i + 1;
    }
    p->t[i] = v;
    p->n++;
    s->n++;
    if (p->n * 5 > p->cap * 4 && grow(p) < 0)
        return CS_ENOMEM;
    return 1;
}

size_t cs_idset_count(const cs_idset *s) { return s->n; }

size_t cs_idset_bytes(const cs_idset *s)
{
    size_t b = 0;
    for (int i = 0; i < PARTS; i++)
        b += s->p[i].cap * sizeof(slot);
    return b;
}

void cs_idset_free(cs_idset *s)
{
    if (!s)
        return;
    for (int i = 0; i < PARTS; i++)
        if (s->p[i].t)
            table_free(s->p[i].t, s->p[i].cap, s->p[i].mapped);
    free(s);
}
