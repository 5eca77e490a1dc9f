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
 * 32).
 *
 * Most ids in practice are numbered: a fixed text and a run of digits
 * ("S000123456", "run-42"). Those are not hashed at all. The digits are a
 * number within a family (the text before them and the number of digits,
 * which together with the number give the id back exactly), and each
 * family keeps a bitmap of the numbers seen, in blocks of 512 numbers (one
 * cache line) found through a small hash table (the first family's
 * also through an array by block number). Ids numbered in sequence then
 * cost about one bit each and stay in cache; ids whose numbers are
 * scattered would cost up to a block each, so once the blocks take
 * BLOCKS_FREE blocks and hold fewer than one id per 8 bytes no new block
 * is made, and ids of blocks that do not exist go to the fingerprints.
 * An id is in the set when its block exists and its bit is set, or when
 * its block does not exist and its fingerprint is present: no block is
 * made after that switch, so each id is looked for in the one place it
 * was put. */
#define _DEFAULT_SOURCE 1  /* madvise(MADV_HUGEPAGE) */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <crampstat/error.h>
#include <crampstat/grow.h>
#include <crampstat/idset.h>
#include "internal.h"

#define PARTS 16

typedef struct slot { uint64_t a, b; } slot;   /* a == 0 && b == 0: empty */

typedef struct part {
    slot *t;
    size_t cap, n;
    int mapped;         /* t came from mmap (large tables) */
} part;

/* Numbered ids. */
#define FAMILIES 256          /* distinct (text, digit count) pairs */
#define PREFIX_MAX 64         /* bytes of text before the digits */
#define DIGITS_MAX 17         /* 10^17 < 2^57: the block number fits a key */
#define BLOCK_BITS 512
/* Blocks made before density is checked: 16 MiB of them, a range of
 * 134 million numbers. Sessions exported in time order come with their
 * numbers scattered over the whole range at first, one id a block, and
 * fill it in as the file goes on: at 5M sessions 9,766 blocks (625 KiB)
 * hold them all in the end. Checked after 4,096 blocks, the first few
 * thousand ids froze the blocks and the rest went to the fingerprints
 * (82 MB). Numbers scattered for good cost at most this much before
 * they go there. */
#define BLOCKS_FREE ((size_t)1 << 18)

typedef struct family {
    unsigned char plen, digits;
    char prefix[PREFIX_MAX];
} family;

/* The families are found through a table of FAM_SLOTS slots (a quarter
 * full at most), each the family's index + 1 and a signature of its text
 * and digit count: a lookup compares texts only where signatures agree.
 * Ids such as UUIDs end in digits after a text of their own, so every id
 * is a family of its own: a lookup of one that is not there must cost a
 * probe, not a comparison with every family kept. */
#define FAM_SLOTS (4 * FAMILIES)

typedef struct fslot {
    uint32_t sig;
    uint32_t fam;             /* index + 1; 0 empty */
} fslot;

typedef struct block { uint64_t w[BLOCK_BITS / 64]; } block;

typedef struct bslot {
    uint64_t key;             /* (family << 48 | block number) + 1; 0 empty */
    uint32_t block;
} bslot;

struct cs_idset {
    cs__idnext x;             /* first: cs__idset_add reads it */
    part p[PARTS];
    family *fam;
    size_t nfam;
    fslot *ft;                /* FAM_SLOTS of them, made with fam */
    bslot *bt;                /* block table, open addressing */
    size_t bcap;
    block *blocks;
    size_t nblocks, blocks_cap;
    int frozen;               /* no new blocks: new ones go to fingerprints */
    size_t blocks_free;       /* BLOCKS_FREE (cs__idset_blocks_free) */
    uint64_t last_key;        /* the block of the previous numbered id */
    block *last;
    /* The blocks of one family (the first to have one) by block number:
     * dir[number] is the block's index + 1, 0 while bt has none for it.
     * Ids in time order come with numbers scattered over the family's
     * range, and each would first miss the cache in bt; this array, four
     * bytes a block, is found in one read, mostly from cache. It mirrors
     * bt, which keeps every block: a number past ndir, or one dir does
     * not know yet, is looked for there. */
    uint32_t *dir;
    size_t ndir;
    long dir_fam;             /* -1 until a family has a block */
    /* A numbered id whose last 8 bytes are digits, and the ids after it
     * in a run: an id of the same length whose bytes before its last 8
     * are these (and whose last 8 are digits) splits as it did, into the
     * same family, with the number the same but for the last 8 digits. */
    size_t run_len;           /* its length; SIZE_MAX when none */
    uint64_t run_high;        /* its number less its last 8 digits */
    uint64_t run_fam;         /* its family << 48 */
    unsigned run_plen;        /* its text's length */
    uint64_t run_word, run_mask;  /* when it is 8 to 16 bytes long: its
                                     first 8, masked to those before its
                                     last 8 */
    char run[PREFIX_MAX + DIGITS_MAX - 8];   /* its bytes but the last 8 */
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
    if (cs_grow_huge_pages())
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

/* cs_hash64's pieces, which fingerprint runs two at a time: the start
 * from the seed and the length, a step for each 8 bytes (the last 1 to 7
 * as tail_word gives them), and the end. */
#define HASH_K 0x9e3779b97f4a7c15ULL

static inline uint64_t hash_start(uint64_t seed, size_t n)
{
    return seed ^ (n * HASH_K);
}

static inline uint64_t hash_step(uint64_t h, uint64_t w)
{
    return mix(h ^ w) + HASH_K;
}

/* The last n bytes at p (1 to 7) as a word, with their count on top. */
static inline uint64_t tail_word(const unsigned char *p, size_t n)
{
    uint64_t t = 0;

    memcpy(&t, p, n);
    return t ^ (uint64_t)n << 56;
}

uint64_t cs_hash64(const void *data, size_t n, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = hash_start(seed, n);

    for (; n >= 8; p += 8, n -= 8)
        h = hash_step(h, rd64(p));
    if (n)
        h = hash_step(h, tail_word(p, n));
    return mix(h);
}

int cs_idset_create(cs_idset **out)
{
    cs_idset *s = calloc(1, sizeof *s);

    *out = NULL;
    if (!s)
        return CS_ENOMEM;
    s->run_len = SIZE_MAX;
    s->x.len = SIZE_MAX;
    s->blocks_free = BLOCKS_FREE;
    s->dir_fam = -1;
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

/* Split id into its text, digit count and number: 1, or 0 when it does
 * not end in 1 to DIGITS_MAX digits after at most PREFIX_MAX bytes. */
static inline int numbered(cs_str id, size_t *plen, unsigned *digits,
                           uint64_t *num)
{
    size_t i = id.len;
    uint64_t v = 0, scale = 1;

    /* The last eight bytes at once when all are digits ("S000000001"). */
    if (CS_LITTLE_ENDIAN && id.len >= 8) {
        uint64_t w = cs__word_at(id.ptr + id.len - 8);
        if (!cs__non_digits(w)) {
            v = cs__eight_digits(w);
            scale = 100000000u;
            i -= 8;
        }
    }
    while (i > 0 && id.len - i < DIGITS_MAX &&
           (unsigned)(unsigned char)id.ptr[i - 1] - '0' < 10u) {
        i--;
        v += (uint64_t)(id.ptr[i] - '0') * scale;
        scale *= 10;
    }
    if (i == id.len || i > PREFIX_MAX)
        return 0;
    *plen = i;
    *digits = (unsigned)(id.len - i);
    *num = v;
    return 1;
}

static inline int is_family(const family *f, const char *p, size_t plen,
                            unsigned digits)
{
    return f->plen == plen && f->digits == digits &&
           cs_bytes_eq(f->prefix, p, plen);
}

/* A signature of a family: its text's length, its digit count, and its
 * text's first and last (up to) 8 bytes. */
static inline uint32_t family_sig(const char *p, size_t plen, unsigned digits)
{
    uint64_t lo = 0, hi = 0;

    if (plen >= 8) {
        lo = cs__word_at(p);
        hi = cs__word_at(p + plen - 8);
    } else {
        memcpy(&lo, p, plen);
    }
    return (uint32_t)(mix(lo ^ mix(hi ^ (plen << 8 | digits))) >> 32);
}

static inline size_t fhome(uint32_t sig)
{
    return sig & (FAM_SLOTS - 1);
}

static long find_family(const cs_idset *s, const char *p, size_t plen,
                        unsigned digits)
{
    uint32_t sig;
    size_t i;

    if (!s->nfam)
        return -1;
    sig = family_sig(p, plen, digits);
    for (i = fhome(sig); s->ft[i].fam; i = (i + 1) & (FAM_SLOTS - 1))
        if (s->ft[i].sig == sig &&
            is_family(&s->fam[s->ft[i].fam - 1], p, plen, digits))
            return (long)s->ft[i].fam - 1;
    return -1;
}

/* Keep a new family (there is room: nfam < FAMILIES); its index. */
static long new_family(cs_idset *s, const char *p, size_t plen,
                       unsigned digits)
{
    uint32_t sig = family_sig(p, plen, digits);
    size_t i;
    long f = (long)s->nfam++;

    s->fam[f].plen = (unsigned char)plen;
    s->fam[f].digits = (unsigned char)digits;
    memcpy(s->fam[f].prefix, p, plen);
    for (i = fhome(sig); s->ft[i].fam; i = (i + 1) & (FAM_SLOTS - 1))
        ;
    s->ft[i] = (fslot){ sig, (uint32_t)f + 1 };
    return f;
}

static inline size_t bhome(uint64_t key, size_t cap)
{
    return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
}

/* The block of key, or NULL; *slot_out is where it is or would go. */
static block *find_block(const cs_idset *s, uint64_t key, size_t *slot_out)
{
    size_t i = bhome(key, s->bcap);

    while (s->bt[i].key) {
        if (s->bt[i].key == key) {
            *slot_out = i;
            return &s->blocks[s->bt[i].block];
        }
        i = (i + 1) & (s->bcap - 1);
    }
    *slot_out = i;
    return NULL;
}

static int grow_blocks(cs_idset *s)
{
    size_t cap = s->bcap ? s->bcap * 2 : 1024;
    bslot *t = calloc(cap, sizeof *t);

    if (!t)
        return CS_ENOMEM;
    for (size_t i = 0; i < s->bcap; i++)
        if (s->bt[i].key) {
            size_t j = bhome(s->bt[i].key, cap);
            while (t[j].key)
                j = (j + 1) & (cap - 1);
            t[j] = s->bt[i];
        }
    free(s->bt);
    s->bt = t;
    s->bcap = cap;
    return CS_OK;
}

/* A new zeroed block for key at table slot i. */
static block *new_block(cs_idset *s, uint64_t key, size_t i)
{
    if (s->nblocks == s->blocks_cap) {
        size_t cap = s->blocks_cap ? s->blocks_cap * 2 : 64;
        block *b = realloc(s->blocks, cap * sizeof *b);
        if (!b)
            return NULL;
        s->blocks = b;
        s->blocks_cap = cap;
        s->last = NULL;   /* it pointed into the old array */
        s->last_key = 0;
        s->x.len = SIZE_MAX;   /* so did x.blk */
    }
    memset(&s->blocks[s->nblocks], 0, sizeof(block));
    s->bt[i].key = key;
    s->bt[i].block = (uint32_t)s->nblocks;
    return &s->blocks[s->nblocks++];
}

/* Notes block index k as family f's block number bn in dir, when f is
 * dir's family (the first family to note one becomes it) and the array
 * may reach bn: at most four entries for each block there is (and 1,024
 * to start), so that dir costs at most a quarter of the blocks' bytes
 * (and 4 KiB) however scattered the numbers. -1 out of memory. */
static int dir_note(cs_idset *s, long f, uint64_t bn, size_t k)
{
    int rc;

    if (s->dir_fam < 0)
        s->dir_fam = f;
    if (f != s->dir_fam)
        return 0;
    if ((rc = cs__u32_room(&s->dir, &s->ndir, bn + 1,
                           4 * s->nblocks + 1024)) <= 0)
        return rc;
    s->dir[bn] = (uint32_t)k + 1;
    return 0;
}

/* Set num's bit in its block b: 1 when it was new (and counted), 0 when
 * it was set already. */
static inline int set_bit(cs_idset *s, block *b, uint64_t num)
{
    uint64_t bit = (uint64_t)1 << (num % 64);
    uint64_t *w = &b->w[num % BLOCK_BITS / 64];

    if (*w & bit)
        return 0;
    *w |= bit;
    s->x.nnum++;
    s->x.n++;
    return 1;
}

/* Add a numbered id: 1 new, 0 present, CS_ENOMEM, or 2 when it belongs to
 * the fingerprints (its block does not exist and no more are made). */
static int add_numbered(cs_idset *s, cs_str id, size_t plen, unsigned digits,
                        uint64_t num)
{
    long f = -1;
    uint64_t key;
    block *b;
    size_t i;

    if (s->last && s->last_key) {
        /* Most ids are of the previous id's family: check it first. */
        const family *lf = &s->fam[(s->last_key - 1) >> 48];
        if (is_family(lf, id.ptr, plen, digits))
            f = (long)((s->last_key - 1) >> 48);
    }
    if (f < 0 && (f = find_family(s, id.ptr, plen, digits)) < 0) {
        if (s->frozen || s->nfam == FAMILIES)
            return 2;
        if (!s->fam && !(s->fam = malloc(FAMILIES * sizeof *s->fam)))
            return CS_ENOMEM;
        if (!s->ft && !(s->ft = calloc(FAM_SLOTS, sizeof *s->ft)))
            return CS_ENOMEM;
        f = new_family(s, id.ptr, plen, digits);
    }
    key = ((uint64_t)f << 48 | num / BLOCK_BITS) + 1;
    if (key == s->last_key && s->last) {
        b = s->last;
    } else if (f == s->dir_fam && num / BLOCK_BITS < s->ndir &&
               s->dir[num / BLOCK_BITS]) {
        b = &s->blocks[s->dir[num / BLOCK_BITS] - 1];
        s->last = b;
        s->last_key = key;
    } else {
        if (s->nblocks * 2 >= s->bcap && !s->frozen && grow_blocks(s) < 0)
            return CS_ENOMEM;
        if (!(b = find_block(s, key, &i))) {
            if (s->frozen)
                return 2;
            if (!(b = new_block(s, key, i)))
                return CS_ENOMEM;
        }
        if (dir_note(s, f, num / BLOCK_BITS, (size_t)(b - s->blocks)) < 0)
            return CS_ENOMEM;
        s->last = b;
        s->last_key = key;
    }
    if (!set_bit(s, b, num))
        return 0;
    /* Scattered numbers: stop making blocks once they hold fewer than one
     * id per 8 bytes (checked when the count of blocks doubles). */
    if (s->nblocks >= s->blocks_free && (s->nblocks & (s->nblocks - 1)) == 0 &&
        s->nblocks * sizeof(block) > 8 * s->x.nnum)
        s->frozen = 1;
    return 1;
}

/* The fingerprint of an id that is not kept in a block: cs_hash64 of it
 * with two seeds, both in one pass, so that the two chains of multiplies
 * overlap rather than wait on each other. */
#define SEED_A 0x243f6a8885a308d3ULL
#define SEED_B 0x13198a2e03707344ULL
static void fingerprint(cs_str id, uint64_t *a, uint64_t *b)
{
    const unsigned char *p = (const unsigned char *)id.ptr;
    size_t n = id.len;
    uint64_t ha = hash_start(SEED_A, n), hb = hash_start(SEED_B, n);

    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w = rd64(p);
        ha = hash_step(ha, w);
        hb = hash_step(hb, w);
    }
    if (n) {
        uint64_t t = tail_word(p, n);
        ha = hash_step(ha, t);
        hb = hash_step(hb, t);
    }
    *a = mix(ha);
    *b = mix(hb);
    if (!(*a | *b))
        *b = 1;  /* keep the empty marker free */
}

cs_idfp cs_idset_prepare(const cs_idset *s, cs_str id)
{
    cs_idfp v = { 0, 0, NULL, 0 };
    const part *p;
    size_t plen = 0;
    unsigned digits = 0;
    uint64_t num = 0;

    if (numbered(id, &plen, &digits, &num) &&
        ((!s->frozen && s->nfam < FAMILIES) ||
         find_family(s, id.ptr, plen, digits) >= 0)) {
        /* Decided when added: its block is usually in cache. The split
         * travels in a and b, which a numbered id does not use. An id
         * whose family is not kept and can no longer be made goes to
         * the fingerprints when added: it is prepared as one. */
        v.id = id.ptr;
        v.len = id.len;
        v.a = num;
        v.b = (uint64_t)plen | (uint64_t)digits << 8;
        return v;
    }
    fingerprint(id, &v.a, &v.b);
    p = part_of(s, v.b);
    __builtin_prefetch(&p->t[home(v.a, p->cap)], 1);
    return v;
}

static int add_fingerprint(cs_idset *s, cs_idfp fp);

/* After an id of the run whose last 8 bytes are w and whose number is
 * num, in the block s->last: ready cs__idset_add for the number after
 * it, where its last byte counts up within the block and the run's text
 * is one word. */
static void follow(cs_idset *s, uint64_t w, uint64_t num)
{
    if (w >> 56 == '9' || (num + 1) % BLOCK_BITS == 0 || s->run_len > 16) {
        s->x.len = SIZE_MAX;
        return;
    }
    s->x.len = s->run_len;
    s->x.next = w + ((uint64_t)1 << 56);
    s->x.word = s->run_word;
    s->x.mask = s->run_mask;
    s->x.num = num + 1;
    s->x.blk = s->last->w;
}

/* An id that is not the next of the run, or whose block is not the
 * last one: split it (unless the run split it, num then set), add it to
 * its block or its fingerprint, and start a run at it when it can. */
static __attribute__((noinline)) int add_split(cs_idset *s, cs_str id,
                                               int of_run, uint64_t num)
{
    cs_idfp fp = { 0, 0, NULL, 0 };
    size_t plen;
    unsigned digits;
    int rc;

    if (of_run) {
        plen = s->run_plen;
        digits = (unsigned)(id.len - plen);
        if ((rc = add_numbered(s, id, plen, digits, num)) != 2) {
            s->x.numbered_last = rc >= 0;
            if (rc >= 0)
                follow(s, cs__word_at(id.ptr + id.len - 8), num);
            return rc;
        }
    } else if (numbered(id, &plen, &digits, &num)) {
        /* The previous id's block, where add_numbered would find it
         * first, without the call. No block is made here, so its density
         * check has nothing new to see. */
        uint64_t f = (s->last_key - 1) >> 48;
        if (s->last && s->last_key == (f << 48 | num / BLOCK_BITS) + 1 &&
            is_family(&s->fam[f], id.ptr, plen, digits)) {
            rc = set_bit(s, s->last, num);
        } else if ((rc = add_numbered(s, id, plen, digits, num)) < 0) {
            s->x.numbered_last = 0;
            return rc;
        }
        if (rc != 2) {
            s->x.numbered_last = 1;
            /* Its block is the last one now: a run may start here. */
            if (CS_LITTLE_ENDIAN && digits >= 8) {
                size_t head = id.len - 8;
                s->run_len = id.len;
                s->run_high = num - cs__eight_digits(cs__word_at(
                    id.ptr + head));
                s->run_fam = (s->last_key - 1) >> 48 << 48;
                s->run_plen = (unsigned)plen;
                memcpy(s->run, id.ptr, head);
                s->run_mask = head >= 8 ? ~(uint64_t)0 : cs__low_bytes(
                    (unsigned)head);
                s->run_word = cs__word_at(id.ptr) & s->run_mask;
                follow(s, cs__word_at(id.ptr + head), num);
            }
            return rc;
        }
    }
    s->x.numbered_last = 0;
    fingerprint(id, &fp.a, &fp.b);
    return add_fingerprint(s, fp);
}

/* In one call, without the fingerprint's prefetch: a numbered id goes
 * straight to its block (the cs_idfp of cs_idset_prepare would only
 * carry the split from one call to the other). */
int cs_idset_add(cs_idset *s, cs_str id)
{
    if (CS_LITTLE_ENDIAN && id.len == s->run_len) {
        /* The next id of a run ("S000000001", "S000000002", ...): its
         * split and family are the run's, found without reading the id
         * back to its text and comparing that with the family's. Its
         * first 8 bytes hold the bytes before its last 8 when there are
         * at most 8 of them (it has at least 16 then). */
        uint64_t w = cs__word_at(id.ptr + id.len - 8);
        if (!cs__non_digits(w) &&
            (id.len <= 16
                 ? ((cs__word_at(id.ptr) & s->run_mask) == s->run_word)
                 : cs_bytes_eq(s->run, id.ptr, id.len - 8))) {
            uint64_t num = s->run_high + cs__eight_digits(w);
            if (s->last && s->last_key == (s->run_fam | num / BLOCK_BITS) + 1) {
                s->x.numbered_last = 1;
                follow(s, w, num);
                return set_bit(s, s->last, num);
            }
            return add_split(s, id, 1, num);
        }
    }
    return add_split(s, id, 0, 0);
}

int cs_idset_numbered(const cs_idset *s) { return s->x.numbered_last; }

void cs__idset_blocks_free(cs_idset *s, size_t n) { s->blocks_free = n; }
int cs__idset_frozen(const cs_idset *s) { return s->frozen; }

static int add_fingerprint(cs_idset *s, cs_idfp fp)
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
    s->x.n++;
    if (p->n * 5 > p->cap * 4 && grow(p) < 0)
        return CS_ENOMEM;
    return 1;
}

int cs_idset_add_prepared(cs_idset *s, cs_idfp fp)
{
    cs_str id = { fp.id, fp.len };
    int rc;

    s->x.numbered_last = 0;
    if (!fp.id)
        return add_fingerprint(s, fp);
    if ((rc = add_numbered(s, id, (size_t)(fp.b & 0xff), (unsigned)(fp.b >> 8),
                           fp.a)) != 2) {
        s->x.numbered_last = rc >= 0;
        return rc;
    }
    fingerprint(id, &fp.a, &fp.b);
    return add_fingerprint(s, fp);
}

size_t cs_idset_count(const cs_idset *s) { return s->x.n; }

size_t cs_idset_bytes(const cs_idset *s)
{
    size_t b = 0;
    for (int i = 0; i < PARTS; i++)
        b += s->p[i].cap * sizeof(slot);
    return b + s->bcap * sizeof(bslot) + s->blocks_cap * sizeof(block) +
           s->ndir * sizeof *s->dir +
           (s->fam ? FAMILIES * sizeof(family) : 0) +
           (s->ft ? FAM_SLOTS * sizeof(fslot) : 0);
}

void cs_idset_free(cs_idset *s)
{
    if (!s)
        return;
    for (int i = 0; i < PARTS; i++)
        if (s->p[i].t)
            table_free(s->p[i].t, s->p[i].cap, s->p[i].mapped);
    free(s->fam);
    free(s->ft);
    free(s->bt);
    free(s->blocks);
    free(s->dir);
    free(s);
}
