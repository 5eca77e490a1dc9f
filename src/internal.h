/* Cross-module helpers that are not part of the public API (cs__ names). */
#ifndef CRAMPSTAT_INTERNAL_H
#define CRAMPSTAT_INTERNAL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/aggregate.h>
#include <crampstat/buf.h>
#include <crampstat/calories.h>
#include <crampstat/error.h>
#include <crampstat/idset.h>
#include <crampstat/stats.h>
#include <crampstat/tag.h>
#include <crampstat/value.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* The CPU quota of the process's control groups (cgroup v2 or v1), in
 * thousandths of a CPU: the smallest of its group and those above it;
 * -1 when none is set or none can be read. Paths are read under root
 * ("" for the system's own; src/cpus.c). */
long long cs__cpu_quota_milli(const char *root);

/* The first line of root followed by path (path from "/"), without its
 * line end, into buf (cut at cap - 1 bytes); 0 when read, -1 otherwise
 * (src/cpus.c; the host's files under /proc and /sys, the tests' own
 * trees). */
int cs__read_line(const char *root, const char *path, char *buf,
                  size_t cap);

/* 1 when words may be read little-endian (the SWAR reads of schema.c
 * and tagread.c); elsewhere those reads are skipped. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CS_LITTLE_ENDIAN 1
#else
#define CS_LITTLE_ENDIAN 0
#endif

/* Eight bytes of text read as a little-endian word (byte 0, the first
 * character, lowest): the SWAR reads of value.c and idset.c. */
static inline uint64_t cs__word_at(const char *p)
{
    uint64_t w;

    memcpy(&w, p, 8);
    return w;
}

/* Bits in the high nibble of each byte of x that is not an ASCII digit
 * (high nibble 3, low nibble plus 6 not carrying); no carry crosses a
 * byte. 0 when all eight are digits. */
static inline uint64_t cs__non_digits(uint64_t x)
{
    const uint64_t hi = UINT64_C(0xf0f0f0f0f0f0f0f0),
                   lo = UINT64_C(0x0f0f0f0f0f0f0f0f);

    return ((x & hi) ^ UINT64_C(0x3030303030303030)) |
           (((x & lo) + UINT64_C(0x0606060606060606)) & hi);
}

/* The number the eight digits of x make, byte 0 the most significant
 * (only each byte's low nibble is read, so a byte 0x00 counts as a
 * leading 0). Pairs, then fours, then the eight, each by one multiply. */
static inline uint64_t cs__eight_digits(uint64_t x)
{
    x = ((x & UINT64_C(0x0f0f0f0f0f0f0f0f)) * 2561) >> 8;
    x = ((x & UINT64_C(0x00ff00ff00ff00ff)) * 6553601) >> 16;
    return ((x & UINT64_C(0x0000ffff0000ffff)) * UINT64_C(42949672960001)) >> 32;
}

/* The states of the n <= 8 factor flags at factor (1, 0, -1), 2 bits
 * each (-1 becomes 3), flag f at bits 2f: the cluster key's (cluster.c)
 * and the index of tag's table of factor cells (tag.c). Where words are
 * little-endian, each byte's low 2 bits are gathered by shifts, where a
 * loop took 4 instructions a factor. */
static inline uint64_t cs__factor_states(const signed char *factor, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v = 0;

    memcpy(&v, factor, n);
    v &= 0x0303030303030303ull;
    v = (v | v >> 6) & 0x000f000f000f000full;
    v = (v | v >> 12) & 0x000000ff000000ffull;
    return (v | v >> 24) & 0xffffull;
#else
    uint64_t key = 0;
    for (size_t f = 0; f < n; f++)
        key |= (uint64_t)((unsigned char)factor[f] & 3u) << (2 * f);
    return key;
#endif
}

/* The first n bytes of a word (n 0 to 7) as a mask. */
static inline uint64_t cs__low_bytes(unsigned n)
{
    return ((uint64_t)1 << (8 * n)) - 1;
}

/* 10^0 to 10^22, each exact as a double (value.c). */
extern const double cs__pow10_exact[23];

#ifdef __SSE2__
/* 16 bytes 0xff, then 16 bytes 0: the 16 bytes at cs__edge + 16 - i are
 * i bytes 0xff and then 0s, for i 0 to 16 (value.c). */
extern const unsigned char cs__edge[32];
/* The inverse of 5^k modulo 2^64, k 0 to 16: a multiple of 5^k times it
 * is the quotient, exactly (value.c). */
extern const uint64_t cs__inv5[17];

/* The digits of a text of n = 1 to 16 of them at d (d[i] the i-th
 * digit's value, the 16 - n bytes after them 0) as a number. The bytes
 * are read as 16-bit lanes, and multiply-adds of neighbouring lanes make
 * pairs, fours and eights (the first eight and the last); the 16 - n
 * zeros at the end made the number 10^(16 - n) times the text's, which
 * is a shift by 16 - n and a multiplication by the inverse of 5^(16 - n),
 * exact as a division of a multiple. */
static inline uint64_t cs__sse2_digits(__m128i d, unsigned n)
{
    const __m128i zero = _mm_setzero_si128(),
                  w10 = _mm_set1_epi32(0x0001000a);
    __m128i t;
    uint64_t v;

    t = _mm_packs_epi32(_mm_madd_epi16(_mm_unpacklo_epi8(d, zero), w10),
                        _mm_madd_epi16(_mm_unpackhi_epi8(d, zero), w10));
    t = _mm_madd_epi16(t, _mm_set1_epi32(0x00010064));          /* 100 */
    t = _mm_madd_epi16(_mm_packs_epi32(t, t),
                       _mm_set1_epi32(0x00012710));             /* 10^4 */
    v = (uint64_t)(uint32_t)_mm_cvtsi128_si32(t) * 100000000 +
        (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(t, 4));
    return (v >> (16 - n)) * cs__inv5[16 - n];
}
#endif

#ifdef __SSE2__
/* The 16 digits of a * 10^8 + b (a, b < 10^8) as text, the first digit in
 * byte 0. Each number is split into halves of four digits (32-bit lanes:
 * a's, then b's), each half into pairs (16-bit lanes), each pair into
 * digits (bytes), every lane at once: u / 10^4 is u * 3518437209 >> 45
 * for u < 2^32, u / 100 is u * 5243 >> 19 for u < 43699, u / 10 is
 * u * 6554 >> 16 for u < 16384. */
static inline __m128i cs__sse2_text16(uint32_t a, uint32_t b)
{
    __m128i v = _mm_unpacklo_epi64(_mm_cvtsi32_si128((int)a),
                                   _mm_cvtsi32_si128((int)b)), q, t;

    q = _mm_srli_epi64(_mm_mul_epu32(v, _mm_set1_epi32((int)3518437209u)),
                       45);
    v = _mm_sub_epi32(v, _mm_mul_epu32(q, _mm_set1_epi32(10000)));
    v = _mm_or_si128(q, _mm_slli_epi64(v, 32));
    t = _mm_srli_epi16(_mm_mulhi_epu16(v, _mm_set1_epi32(5243)), 3);
    v = _mm_sub_epi16(v, _mm_mullo_epi16(t, _mm_set1_epi32(100)));
    v = _mm_or_si128(t, _mm_slli_epi32(v, 16));
    t = _mm_mulhi_epu16(v, _mm_set1_epi16(6554));
    v = _mm_sub_epi16(v, _mm_mullo_epi16(t, _mm_set1_epi16(10)));
    v = _mm_or_si128(t, _mm_slli_epi16(v, 8));
    return _mm_add_epi8(v, _mm_set1_epi8('0'));
}
#endif

/* cs_parse_decimal_padded without SSE2: eight bytes at a time in words
 * (and with it too, for the tests, which compare the two). */
/* The padded readers' start: s's text after its sign (*p, *len; *neg
 * whether there was one), and whether that is 2 to 16 bytes on a host
 * whose words read little-endian, the only texts they read themselves;
 * the rest is cs_parse_decimal's. */
static inline int cs__decimal_digits_at(cs_str s, const char **p,
                                        size_t *len, int *neg)
{
    *neg = s.len && *s.ptr == '-';
    *p = s.ptr + *neg;
    *len = s.len - (size_t)*neg;
    return CS_LITTLE_ENDIAN && *len - 2 < 15;
}

static inline int cs__parse_decimal_words(cs_str s, double *out)
{
    const char *p;
    size_t len;
    uint64_t lo, hi, ndl, ndh, m;
    unsigned n, fl = 0, sh;
    int neg;
    double v;

    if (!cs__decimal_digits_at(s, &p, &len, &neg))
        return cs_parse_decimal(s, out);
    /* Bytes 0-15 as two words, and where they are not digits, within the
     * text's 2 to 16 bytes. */
    n = (unsigned)len;
    lo = cs__word_at(p);
    hi = cs__word_at(p + 8);
    ndl = cs__non_digits(lo);
    ndh = cs__non_digits(hi);
    if (len < 8) {
        ndl &= cs__low_bytes((unsigned)len);
        ndh = 0;
    } else {
        ndh &= len == 16 ? ~UINT64_C(0)
                         : cs__low_bytes((unsigned)len - 8);
    }
    if (ndl | ndh) {
        /* One dot, anywhere, and nothing else but digits: the dot
         * taken out, the bytes after it moved down one. */
        unsigned k = ndl ? (unsigned)__builtin_ctzll(ndl) >> 3
                         : 8 + ((unsigned)__builtin_ctzll(ndh) >> 3);
        if (p[k] != '.')
            return cs_parse_decimal(s, out);
        if (k < 8) {
            ndl &= ~(UINT64_C(0xff) << (8 * k));
            lo = (lo & cs__low_bytes(k)) |
                 (((lo >> 8) | (hi << 56)) & ~cs__low_bytes(k));
            hi >>= 8;
        } else {
            ndh &= ~(UINT64_C(0xff) << (8 * (k - 8)));
            hi = (hi & cs__low_bytes(k - 8)) |
                 ((hi >> 8) & ~cs__low_bytes(k - 8));
        }
        if (ndl | ndh)
            return cs_parse_decimal(s, out);
        n--;
        fl = n - k;
    }
    /* n = 1 to 15 digits, so m < 10^15 < 2^53 is exact: the fast
     * path of cs_parse_decimal with its m and e = -fl, and so its
     * value. The digits are moved to the top of the 16 bytes (zeros
     * before them), then read as two numbers of eight. */
    if (n == 16)
        return cs_parse_decimal(s, out);
    sh = 8 * (16 - n);
    if (sh >= 64) {
        hi = lo << (sh - 64);
        lo = 0;
    } else {
        hi = (hi << sh) | (lo >> (64 - sh));
        lo <<= sh;
    }
    m = cs__eight_digits(lo) * 100000000 + cs__eight_digits(hi);
    v = (double)m / cs__pow10_exact[fl];
    *out = neg ? -v : v;
    return 0;
}

/* cs_parse_decimal_padded (value.h), inline for tagread.c, which reads
 * two such numbers a row. With SSE2 the text's 2 to 16 bytes are checked
 * and read at once: the bytes less '0', those past the text made 0; then
 * one byte that is not a digit, a dot, is taken out by moving the bytes
 * after it down one, and the n digits read as a number m (of at most 15
 * digits when there was a dot: exact as a double, and so the value of
 * cs_parse_decimal's fast path, m / 10^(digits after the dot)). */
static inline int cs__parse_decimal_padded(cs_str s, double *out)
{
#ifndef __SSE2__
    return cs__parse_decimal_words(s, out);
#else
    const char *p;
    size_t len;
    uint64_t m;
    unsigned n, fl = 0;
    int neg;
    double v;

    if (!cs__decimal_digits_at(s, &p, &len, &neg))
        return cs_parse_decimal(s, out);
    n = (unsigned)len;
    {
        __m128i d = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)
                                                 (const void *)p),
                                 _mm_set1_epi8('0'));
        unsigned nd;

        d = _mm_and_si128(d, _mm_loadu_si128((const __m128i *)(const void *)
                                             (cs__edge + 16 - len)));
        /* A bit for each byte of the text that is not a digit: its value
         * less '0' is above 9 as an unsigned byte. */
        nd = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
                 _mm_subs_epu8(d, _mm_set1_epi8(9)), _mm_setzero_si128())) ^
             0xffffu;
        if (nd) {
            unsigned k = (unsigned)__builtin_ctz(nd);
            __m128i before;

            if ((nd & (nd - 1)) || p[k] != '.')
                return cs_parse_decimal(s, out);
            before = _mm_loadu_si128((const __m128i *)(const void *)
                                     (cs__edge + 16 - k));
            d = _mm_or_si128(_mm_and_si128(before, d),
                             _mm_andnot_si128(before, _mm_srli_si128(d, 1)));
            n--;
            fl = n - k;
        } else if (n == 16) {
            return cs_parse_decimal(s, out);
        }
        m = cs__sse2_digits(d, n);
    }
    v = (double)m / cs__pow10_exact[fl];
    *out = neg ? -v : v;
    return 0;
#endif
}

/* Zeroed memory on cache lines of its own, for a state the counting
 * thread writes at every session: sharing a line with anything the
 * reading thread writes would move the line between the cores at each
 * write (a calloc'd 2 KB state beside the reader's record cost the
 * counting thread a third more time). Freed with free. */
static inline void *cs__calloc_lines(size_t n)
{
    size_t m = (n + 63) / 64 * 64;
    void *p = aligned_alloc(64, m ? m : 64);

    if (p)
        memset(p, 0, m);
    return p;
}

/* The least robust (sandwich) variance taken as information. Robust
 * variances here are sums of squares expanded into moments and summed
 * back, so a variance that is 0 (a group whose sessions come from too few
 * participants to vary) comes out as rounding, 1e-30 or so, and gave
 * intervals of zero width and p values near 0. A standard error below
 * 1e-8, on a log scale or a risk's, would need some 10^16 sessions. */
#define CS__ROBUST_VAR_MIN 1e-16

/* Copies of participant ids that never move, so that a table can point
 * at an id from the moment it has one: blocks of 256 bytes doubling to
 * 64 KiB (a small table stays small), an id longer than a block in one
 * of its own. The copies are not NUL-terminated. Zeroed is empty. */
typedef struct cs__idstore {
    char **blk;
    size_t n, cap;        /* blocks, and room for their pointers */
    size_t used, size;    /* bytes used and allocated of the last block */
    size_t bytes;         /* allocated in all the blocks */
} cs__idstore;

/* The hash of a participant id in the per-participant tables of
 * cluster.c and dose.c (idset.c's cs_hash64, folded). */
static inline uint32_t cs__id_hash(const char *id, size_t len)
{
    uint64_t h = cs_hash64(id, len, 0);
    return (uint32_t)(h ^ (h >> 32));
}

/* A table's participants by the number the rows carry (cs_acc_row.who):
 * at[who - 1] is the participant's index + 1 in the table, 0 while not
 * yet known. For input not grouped by participant, where nearly every
 * row is another participant's, so that a row finds its participant with
 * one read instead of the id's hash, a probe and a comparison of the ids
 * (each a miss of the cache). Only valid while the table's participants
 * keep their places: cleared wherever they are reordered. */
typedef struct cs__whomap {
    uint32_t *at;
    size_t n;             /* numbers it has room for */
} cs__whomap;

/* The table's index + 1 for who, 0 when unknown (who 0 included). */
static inline uint32_t cs__who_get(const cs__whomap *m, uint32_t who)
{
    return (size_t)who - 1 < m->n ? m->at[who - 1] : 0;
}

/* Room in the array *a of *n entries for entry need - 1: *n doubled
 * (from 1,024) until it holds it, the new entries zeroed; unless *n would
 * pass most, when nothing changes. 1 with room, 0 past most, -1 out of
 * memory. (cs__who_set's map, idset.c's blocks by number.) */
int cs__u32_room(uint32_t **a, size_t *n, uint64_t need, size_t most);

/* Records that who is the table's participant idx (index + 1), growing
 * the map, when who is at most 16 (np + 65536), np the participants the
 * table has: so that the map grows with the table's participants (at
 * most 128 bytes each, past its first 8 MiB), not with any number a
 * caller gives. (A survey's numbers run past the participants with
 * sessions in a file; in time order its numbers come in any order from
 * the start.) who 0, or a larger one, is not recorded, and is found by
 * its id. -1 out of memory. */
int cs__who_set(cs__whomap *m, uint32_t who, uint32_t idx, size_t np);
/* Forgets every participant (the table reordered them), and frees. */
void cs__who_clear(cs__whomap *m);

/* The first two stages of fetching a chunk's participants ahead (cluster.c
 * and dose.c, for input not grouped by participant): for each run of one
 * participant, where the table's map of the rows' numbers (cs_acc_row.who)
 * holds it, the participant's entry in the map; else its slot in the
 * table slot (nslot slots, a power of two, of index + 1); all of them
 * fetched before any is read, then read into out. out[k] is then the
 * index + 1 of the run's participant itself (byid[k] 0: its id need not
 * be read, cs__who_get finds it again), or the slot's (byid[k] 1; 0:
 * empty). At most CS__FETCH_MAX runs; their number. */
#define CS__FETCH_MAX 64
static inline size_t cs__fetch_people(const cs_acc_row *r, size_t n,
                                      const cs__whomap *map,
                                      const uint32_t *slot, size_t nslot,
                                      uint32_t out[CS__FETCH_MAX],
                                      unsigned char byid[CS__FETCH_MAX])
{
    uint32_t h[CS__FETCH_MAX], row[CS__FETCH_MAX];
    size_t m = 0;

    for (size_t j = 0; j < n && m < CS__FETCH_MAX; j++) {
        cs_str id = r[j].participant;
        if (j > 0 && r[j - 1].participant.len == id.len &&
            cs_bytes_eq(r[j - 1].participant.ptr, id.ptr, id.len))
            continue;
        if ((size_t)r[j].who - 1 < map->n) {
            __builtin_prefetch(&map->at[r[j].who - 1]);
            h[m] = r[j].who;
            byid[m] = 0;
        } else {
            h[m] = cs__id_hash(id.ptr, id.len);
            __builtin_prefetch(&slot[h[m] & (nslot - 1)]);
            byid[m] = 1;
        }
        row[m++] = (uint32_t)j;
    }
    for (size_t k = 0; k < m; k++) {
        if (!byid[k]) {
            if ((out[k] = map->at[h[k] - 1]) != 0)
                continue;
            /* a number not yet met: by the id */
            cs_str id = r[row[k]].participant;
            h[k] = cs__id_hash(id.ptr, id.len);
            byid[k] = 1;
        }
        out[k] = slot[h[k] & (nslot - 1)];
    }
    return m;
}

/* A copy of the len bytes at id; NULL when out of memory. */
const char *cs__idstore_copy(cs__idstore *s, const char *id, size_t len);
/* Bytes allocated, the list of blocks included. */
size_t cs__idstore_bytes(const cs__idstore *s);
void cs__idstore_free(cs__idstore *s);

/* A partial-state text being parsed (aggregate and calories states share
 * the line format: space-separated words, one record a line). The input
 * is untrusted: every helper fails with CS_EDATA at name:line. */
typedef struct cs__ptext {
    const char *name;
    const char *p, *end;
    unsigned long line;   /* lines read so far */
    cs_error *err;
    int in_section;       /* cs__ptext_line stops at "section" and "end" */
} cs__ptext;

/* Set a CS_EDATA error at name:line; returns CS_EDATA. */
int cs__ptext_err(cs__ptext *t, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The next line without its newline: 1, 0 at the end, or CS_EDATA when
 * the last line has no newline (a truncated state; that line is named).
 * Inside a section (in_section) a "section ...", "leaf ...", "sha256 ..."
 * or "end" line is its end: 0, and the line is left for the next read. */
int cs__ptext_line(cs__ptext *t, cs_str *line);
/* Split off the first space-separated word of s. */
cs_str cs__ptext_word(cs_str *s);
/* w as a count: 0, or -1 when it is not digits only, -2 when it does
 * not fit in 64 bits. Inline: tagread.c reads short counts with it at
 * every row. */
static inline int cs__parse_u64(cs_str w, uint64_t *out)
{
    uint64_t v = 0;

    if (w.len == 0 || w.len > 20)
        return -1;
    for (size_t i = 0; i < w.len; i++) {
        unsigned d = (unsigned)((unsigned char)w.ptr[i] - '0');
        if (d > 9)
            return -1;
        if (v > (UINT64_MAX - d) / 10)
            return -2;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}
/* Decode the percent-encoded bytes of a state's string (after its ':'):
 * every byte <= 0x20 or >= 0x7f is written as %XX, so such a byte seen
 * raw, an escape that is not two hex digits, or %00 is refused. Writes
 * at most cap - 1 bytes and a NUL into out, *len the bytes. Returns 0,
 * -1 a bad escape, -2 an unescaped byte, -3 longer than cap - 1. */
int cs__ptext_unescape(cs_str in, char *out, size_t cap, size_t *len);
/* The next word of s as a count (a whole number >= 0 that fits 64 bits). */
int cs__ptext_u64(cs__ptext *t, cs_str *s, uint64_t *out);

/* The next line, which must begin with key: its rest in *rest. */
int cs__ptext_key(cs__ptext *t, const char *key, cs_str *rest);
/* ":percent-encoded" into a fresh string (CS_EDATA, CS_ENOMEM). */
int cs__ptext_str(cs__ptext *t, cs_str s, char **out);
/* The same into dst of cap bytes; "KEY: value too long" beyond. */
int cs__ptext_fixed_str(cs__ptext *t, const char *key, char *dst, size_t cap);
/* Write s as ':' and percent-encoded bytes (its inverse). */
void cs__put_str(cs_buf *b, const char *s);
/* x += y; -1 on overflow. */
int cs__add_u64(uint64_t *x, uint64_t y);

/* The levels of a stratifying or adjustment column (aggregate.c). */
struct cs_agg_level;
/* Index of the level named v, added when new; -1 out of memory, -2 too
 * many levels. The level of the last session, usually, is a test in the
 * caller (factors.c and logistic.c look one up for every session): the
 * call it saves cost more than the test. */
long cs__level_search(struct cs_agg_level **lv, size_t *n, size_t *last,
                      cs_str v);
static inline long cs__level_find(struct cs_agg_level **lv, size_t *n,
                                  size_t *last, cs_str v)
{
    const struct cs_agg_level *l = *lv;

    if (*last < *n && l[*last].name_len == v.len &&
        cs_bytes_eq(l[*last].name, v.ptr, v.len))
        return (long)*last;
    return cs__level_search(lv, n, last, v);
}
int cs__level_error(long rc, const char *col, cs_error *err);
void cs__levels_free(struct cs_agg_level *l, size_t n);
int cs__level_cmp(const void *x, const void *y);
/* A "stratum" or "level" line's rest (":VALUE") read into a new level:
 * the level, or NULL with the error set (bad value, given twice, too many
 * levels, out of memory). */
struct cs_agg_level *cs__level_read(cs__ptext *t, cs_str rest,
                                    struct cs_agg_level **lv, size_t *n,
                                    size_t *last, const char *col);
/* The index of the factor named w, or -1. */
int cs__factor_index(cs_str w);
/* The "factors" accumulator's pending counts settled into its strata's
 * cells (factors.c): the run of sessions that share the wave factors, and
 * the sessions kept by their combination of the four session factors.
 * What reads the cells calls it first (a finish, a merge, a write, a
 * report). Nothing when none is pending. */
void cs__factors_settle(const struct cs_agg *a);

/* The days since 1970-01-01 of the ISO date YYYY-MM-DD in p's first 10
 * bytes, the dates cs_parse_date takes and the day cs_days_from_civil
 * gives, by schema.c's table; -1 for any other 10 bytes. */
int cs__date_day(const char *p, int32_t *day);
/* The "wanted" of the accumulators that count every tagged session. */
struct cs_acc_opts;
int cs__acc_with_sessions(const struct cs_acc_opts *o);
/* The sessions a state's accumulators count: read less unknown outcome. */
struct cs_agg;
uint64_t cs__agg_used(const struct cs_agg *a);
/* What the factor tables count, for the other sections' checks: the
 * sessions, cases and milli-minutes (every factor counts each session
 * once, in one of its three states), and each main factor's exposed and
 * known (exposed or unexposed) sessions. 0, or -1 when a sum would pass
 * 2^64 (no merge makes such a state). */
typedef struct cs__agg_totals {
    uint64_t sessions, cases, mmin;
    uint64_t exposed[CS_F_MAIN_N], known[CS_F_MAIN_N];
} cs__totals;
int cs__agg_totals(const struct cs_agg *a, cs__totals *out);

/* The report model's parts, one per accumulator (report.c). */
struct cs_report;
void cs__report_factors(struct cs_report *r);
void cs__report_logistic(struct cs_report *r);
void cs__report_cluster(struct cs_report *r);
void cs__report_cluster_factors(struct cs_report *r);
void cs__report_dose(struct cs_report *r);
void cs__report_period(struct cs_report *r);
/* A JSON "notes" array: text(bit) of each set bit (report.c). text is
 * cs_stats_note_text, or the words of a model or interval that names the
 * same bits its own way. Returns the buffer's error. */
int cs__json_notes(cs_buf *b, uint32_t notes, const char *(*text)(uint32_t));

/* ---- Hooks for the tests and fuzz harnesses of schema.c ---- */
struct cs_schema;
struct cs_record;
struct cs_session;
struct cs_wave;
struct cs_reject;
/* The same without the fast paths for rows written canonically: every
 * field through the full checks. For tests, which compare the two. */
int cs_schema_exercise_checked(const struct cs_schema *s, const struct cs_record *rec,
                               struct cs_session *out, struct cs_reject *rej);
/* The validator cs_schema_exercise tries first when the header puts the
 * contract's columns first and in contract order (what ingest writes and
 * gen makes): each column at its fixed index, read by a parser of its
 * own. Returns 1 when it accepts rec, with *out exactly as the full checks
 * fill it (canon_cells aside, which they never set); 0 when it leaves the
 * verdict to them: it never rejects, and for any other layout it always
 * returns 0. For tests and fuzzing, which compare it with the checks. */
int cs_schema_exercise_fixed(const struct cs_schema *s, const struct cs_record *rec,
                             struct cs_session *out);
int cs_schema_survey_checked(const struct cs_schema *s, const struct cs_record *rec,
                             struct cs_wave *out, struct cs_reject *rej);
/* A 2x2 table's counts as doubles with its margins (stats.c, epi.c):
 * exact below 2^53, and the sums cannot wrap as uint64_t sums could. */
typedef struct cs__tab {
    double a, b, c, d;
    double n1, n0;   /* exposed, unexposed (row totals) */
    double m1, m0;   /* cases, non-cases (column totals) */
    double n;
} cs__tab;
cs__tab cs__tab_of(const cs_2x2 *t);
/* est, lo, hi all NaN. */
void cs__ci_nan(cs_ci *ci);
/* Chi-square upper tail; NaN for a statistic below 0 or df <= 0. */
double cs__chisq_q(double stat, double df);

/* calories.c for calories_report.c: a goal's signed lb/week as the state
 * writes it ("-0.5"), and the targets of a group (-1 all) and direction
 * (-1 all) in one fresh histogram (CS_ENOMEM). */
const char *cs__cal_lb_text(int goal);
int cs__cal_combined(cs_cal_hist *out, const cs_cal *c, int group, int dir);

/* The next id of a run of numbered session ids (idset.c), at the front
 * of struct cs_idset so that a caller adds it inline (cs__idset_add).
 * When len is not SIZE_MAX: an id of len bytes (8 to 16) whose first 8
 * bytes masked by mask are word and whose last 8 are next is the run's
 * text and digit count with the number num, whose bit is bit num % 512
 * of the block blk (eight words). The bits are the set's own, so an id
 * found present there was added before, by whichever path. n and nnum
 * are the set's counts of ids and of ids held in blocks; numbered_last
 * is cs_idset_numbered. */
typedef struct cs__idnext {
    size_t len;
    uint64_t next, word, mask, num;
    uint64_t *blk;
    size_t n, nnum;
    int numbered_last;
} cs__idnext;

/* cs_idset_add, with the next id of a run added here: its bit set and
 * the state moved on to the number after it, while its last byte can
 * simply count up (a last digit 9, or the block's end, goes through
 * cs_idset_add, which readies the next one again). */
static inline int cs__idset_add(cs_idset *s, cs_str id)
{
    cs__idnext *x = (cs__idnext *)(void *)s;

    if (CS_LITTLE_ENDIAN && id.len == x->len &&
        cs__word_at(id.ptr + id.len - 8) == x->next &&
        (cs__word_at(id.ptr) & x->mask) == x->word) {
        uint64_t *w = &x->blk[x->num / 64 % 8];
        uint64_t bit = (uint64_t)1 << (x->num % 64);
        if (!(*w & bit)) {
            *w |= bit;
            x->n++;
            x->nnum++;
            x->numbered_last = 1;
            x->num++;
            if (x->num % 512 == 0 || x->next >> 56 == '9')
                x->len = SIZE_MAX;
            x->next += (uint64_t)1 << 56;
            return 1;
        }
    }
    return cs_idset_add(s, id);
}

/* For tests (idset.c): the blocks made before their density is checked
 * (a power of two; BLOCKS_FREE by default), and whether blocks are no
 * longer made. */
void cs__idset_blocks_free(cs_idset *s, size_t n);
int cs__idset_frozen(const cs_idset *s);

static inline int cs__idset_numbered(const cs_idset *s)
{
    return ((const cs__idnext *)(const void *)s)->numbered_last;
}

/* reader.c: the structural scans, for the tests. cs__scan_index builds
 * the index of n bytes at p with the scan called name ("scalar", "sse2",
 * "avx2"): per 64 bytes, a word of the commas (bit i: p[i]), one of
 * '"' LF CR and one of the bytes outside 0x20-0x7e; it returns -1 when
 * this build or CPU lacks that scan.
 * cs__reader_scan names the scan a reader uses. */
struct cs_reader;
int cs__scan_index(const char *name, uint64_t *idx, const char *p, size_t n);
const char *cs__reader_scan(const struct cs_reader *r);

#endif
