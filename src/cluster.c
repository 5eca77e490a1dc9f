/* Per-participant sums and the cluster-robust (sandwich) variances built
 * from them. The variance of every model here is the one statsmodels'
 * GLM(...).fit(cov_type="cluster") returns: bread^-1 meat bread^-1 times
 * G/(G-1) (N-1)/(N-K), the meat summing each participant's total score.
 *
 * For y ~ 1 + x with a binary x the fitted values are the two groups'
 * means, so the scores of the four two-group models reduce to the
 * residuals e1 = a_i - p1 n1_i and e0 = c_i - p0 n0_i of participant i
 * (cases a_i, c_i of n1_i, n0_i exposed and unexposed sessions): with
 * S11 = sum e1^2, S00 = sum e0^2, S10 = sum e1 e0 and A, C the case
 * totals,
 *   var log RR = S11/A^2 + S00/C^2 - 2 S10/(A C)             (Poisson log)
 *   var log OR = the same with A(1-p1), C(1-p0) below       (binomial logit)
 *   var RD     = S11/N1^2 + S00/N0^2 - 2 S10/(N1 N0)         (identity)
 * and the rate ratio uses exposure-time residuals a_i - r1 t1_i. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <crampstat/aggregate.h>
#include <crampstat/cluster.h>
#include <crampstat/grow.h>
#include <crampstat/writer.h>
#include "internal.h"

#define NONE UINT32_MAX

typedef struct entry {
    uint64_t key;      /* factor states and level (cluster.h) */
    uint64_t mmin;
    uint32_t n, y;     /* sessions, cases */
} entry;

/* A participant's entries are count consecutive ones of the table's from
 * off. Sessions come grouped by participant, so the one being added to
 * is the last and its entries grow in place; one met again after others
 * moves its entries to the end, and the hole it leaves is reclaimed when
 * the entries are next compacted. */
typedef struct person {
    const char *id;    /* in the id store: never moves */
    uint32_t id_len;
    uint32_t off;      /* first entry */
    uint32_t count;    /* entries */
    uint32_t hash;
} person;

struct cs_clu {
    person *p;
    size_t np, capp;
    entry *e;
    size_t ne, cape;
    size_t holes;      /* entries left behind by participants that moved */
    cs__idstore ids;   /* person.id points into it */
    uint32_t *slot;    /* open addressing: person index + 1, 0 = empty;
                          NULL while every id has risen (see find_person) */
    size_t nslot;      /* a power of two, kept also while slot is NULL */
    size_t last;       /* the last person looked up */
    cs__whomap who;    /* the rows' numbers of the participants */
    int sorted;        /* entries contiguous per person, in key order */
    /* 0: the layout cs_clu_finish gives holds already (participants in id
     * order, each one's entries one block in key order, the blocks in
     * participant order), as input grouped by participant and sorted by
     * id leaves it. Set by whatever may break it: a participant added
     * after a larger id, a block moved to the end, levels renumbered. */
    int unordered;
};

int cs_clu_create(cs_clu **out, cs_error *err)
{
    cs_clu *c = cs__calloc_lines(sizeof *c);

    if (!c)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    c->nslot = 1024;
    c->last = SIZE_MAX;
    *out = c;
    return CS_OK;
}

void cs_clu_free(cs_clu *c)
{
    if (!c)
        return;
    cs_grow_free(c->p);
    cs_grow_free(c->e);
    cs__idstore_free(&c->ids);
    free(c->slot);
    cs__who_clear(&c->who);
    free(c);
}

size_t cs_clu_participants(const cs_clu *c) { return c ? c->np : 0; }

cs_str cs_clu_id(const cs_clu *c, size_t i)
{
    return (cs_str){ c->p[i].id, c->p[i].id_len };
}

size_t cs_clu_bytes(const cs_clu *c)
{
    if (!c)
        return 0;
    return sizeof *c + c->capp * sizeof *c->p + c->cape * sizeof *c->e +
           cs__idstore_bytes(&c->ids) +
           (c->slot ? c->nslot * sizeof *c->slot : 0) +
           c->who.n * sizeof *c->who.at;
}

/* Participant q's id. */
static cs_str id_str(const person *q)
{
    return (cs_str){ q->id, q->id_len };
}

/* The table of every participant, at n slots; -1 out of memory. */
static int fill_slots(cs_clu *c, size_t n)
{
    uint32_t *s = calloc(n, sizeof *s);

    if (!s)
        return -1;
    for (size_t i = 0; i < c->np; i++) {
        size_t k = c->p[i].hash & (n - 1);
        while (s[k])
            k = (k + 1) & (n - 1);
        s[k] = (uint32_t)(i + 1);
    }
    free(c->slot);
    c->slot = s;
    c->nslot = n;
    return 0;
}

static int grow_slots(cs_clu *c)
{
    if (!c->slot) {     /* not built: only its size follows */
        c->nslot *= 2;
        return 0;
    }
    return fill_slots(c, c->nslot * 2);
}

/* Index of participant id, added when new; -1 out of memory. While the
 * ids of new participants rise (input grouped by participant in id
 * order, or a sorted state merged), an id above the last one is new
 * without a look at the table, which at 200,000 participants misses the
 * cache on every probe; the table is built at the first id that does
 * not rise. (search_person's search by the id.) */
static long search_id(cs_clu *c, cs_str id)
{
    const char *s;
    uint32_t h;
    size_t k = 0;

    h = cs__id_hash(id.ptr, id.len);
    if (!c->slot && c->np &&
        cs_str_cmp(id_str(&c->p[c->np - 1]), id) >= 0 &&
        fill_slots(c, c->nslot) < 0)
        return -1;
    for (k = h & (c->nslot - 1); c->slot && c->slot[k];
         k = (k + 1) & (c->nslot - 1)) {
        const person *q = &c->p[c->slot[k] - 1];
        if (q->hash == h && q->id_len == id.len &&
            cs_bytes_eq(q->id, id.ptr, id.len))
            return (long)(c->last = c->slot[k] - 1);
    }
    if (c->np >= UINT32_MAX - 1 || id.len >= UINT32_MAX)
        return -1;
    if (c->np == c->capp) {
        size_t n = c->capp ? c->capp * 2 : 1024;
        person *p = cs_grow_realloc(c->p, n * sizeof *p);
        if (!p)
            return -1;
        c->p = p;
        c->capp = n;
    }
    if (c->slot && c->np &&
        cs_str_cmp(id_str(&c->p[c->np - 1]), id) >= 0)
        c->unordered = 1;
    if (c->ne >= NONE || !(s = cs__idstore_copy(&c->ids, id.ptr, id.len)))
        return -1;
    c->p[c->np] = (person){ s, (uint32_t)id.len, (uint32_t)c->ne, 0, h };
    if (c->slot)
        c->slot[k] = (uint32_t)(c->np + 1);
    c->last = c->np++;
    c->sorted = 0;
    if (c->np * 2 > c->nslot && grow_slots(c) < 0)
        return -1;
    return (long)c->last;
}

/* find_person past the last participant: by the id, and the rows'
 * number who is recorded. Numbers are recorded once the table is built
 * (input not grouped by participant, where each row is another's):
 * grouped input finds each participant once and needs no map. */
__attribute__((noinline))
static long search_person(cs_clu *c, cs_str id, uint32_t who)
{
    long i = search_id(c, id);

    if (i >= 0 && who && c->slot &&
        cs__who_set(&c->who, who, (uint32_t)i + 1, c->np) < 0)
        return -1;
    return i;
}

/* The last participant's again, usually (sessions come grouped by
 * participant): a comparison and no call, the search apart so that this
 * path saves no registers. who: cs_acc_row.who, 0 where there is none;
 * a participant found by it before is found by it first, without a look
 * at any id (the last one's is not in cache when it was found so). */
static inline long find_person(cs_clu *c, cs_str id, uint32_t who)
{
    uint32_t k = cs__who_get(&c->who, who);

    if (k)
        return (long)(c->last = k - 1);
    if (c->last < c->np) {
        const person *q = &c->p[c->last];
        if (q->id_len == id.len && cs_bytes_eq(q->id, id.ptr, id.len))
            return (long)c->last;
    }
    return search_person(c, id, who);
}

/* Room for more entries at the end: the array grows, or is compacted
 * (every participant's entries copied in participant order, participant
 * skip's last) when holes are at least half of it. */
static int room(cs_clu *c, size_t more, size_t skip)
{
    size_t need = c->ne + more;

    if (need <= c->cape)
        return 0;
    if (need >= NONE)
        return -1;
    if (c->holes && c->holes >= c->ne / 2) {
        size_t cap = c->cape, at = 0;
        while (cap < c->ne - c->holes + more)
            cap *= 2;
        entry *ne = cs_grow_realloc(NULL, cap * sizeof *ne);
        if (!ne)
            return -1;
        for (size_t i = 0; i <= c->np; i++) {
            size_t k = i < c->np ? i : skip;
            if ((i < c->np && i == skip) || k >= c->np)
                continue;
            person *q = &c->p[k];
            if (q->count)
                memcpy(ne + at, c->e + q->off, q->count * sizeof *ne);
            q->off = (uint32_t)at;
            at += q->count;
        }
        cs_grow_free(c->e);
        c->e = ne;
        c->cape = cap;
        c->ne = at;
        c->holes = 0;
        return 0;
    }
    size_t m = c->cape ? c->cape * 2 : 4096;
    while (m < need)
        m *= 2;
    entry *ne = cs_grow_realloc(c->e, m * sizeof *ne);
    if (!ne)
        return -1;
    c->e = ne;
    c->cape = m;
    return 0;
}

/* add_entry of a key participant i has no entry for yet. */
__attribute__((noinline))
static int new_entry(cs_clu *c, size_t i, uint64_t key, uint64_t n,
                     uint64_t y, uint64_t mmin)
{
    person *q = &c->p[i];
    entry *e;

    if (n > UINT32_MAX || y > UINT32_MAX)
        return -2;
    if (room(c, 1 + (q->off + q->count == c->ne ? 0 : q->count), i) < 0)
        return -1;
    q = &c->p[i];
    if (q->off + q->count != c->ne) {       /* move it to the end */
        if (q->count)
            memcpy(c->e + c->ne, c->e + q->off, q->count * sizeof *c->e);
        c->holes += q->count;
        q->off = (uint32_t)c->ne;
        c->ne += q->count;
        c->unordered = 1;
    }
    /* Into its place by key: the block is at the end, in cache, and a
     * new key is rare next to the sessions that find theirs. */
    entry x = { key, mmin, (uint32_t)n, (uint32_t)y };
    size_t j = q->count;
    e = c->e + q->off;
    while (j > 0 && e[j - 1].key > key) {
        e[j] = e[j - 1];
        j--;
    }
    e[j] = x;
    c->ne++;
    q->count++;
    c->sorted = 0;
    return 0;
}

/* Add n, y, mmin to participant i's entry key, found (the usual case,
 * with no call and no registers saved) or made; -1 out of memory, -2 a
 * count overflows. */
static inline int add_entry(cs_clu *c, size_t i, uint64_t key, uint64_t n,
                            uint64_t y, uint64_t mmin)
{
    person *q = &c->p[i];
    /* (no arithmetic on c->e before its first entry: NULL + 0 is UB) */
    entry *e = q->count ? c->e + q->off : NULL;

    for (uint32_t j = 0; j < q->count; j++)
        if (e[j].key == key) {
            if (n > UINT32_MAX - e[j].n || y > UINT32_MAX - e[j].y ||
                mmin > UINT64_MAX - e[j].mmin)
                return -2;
            e[j].n += (uint32_t)n;
            e[j].y += (uint32_t)y;
            e[j].mmin += mmin;
            return 0;
        }
    return new_entry(c, i, key, n, y, mmin);
}

static int add_error(int rc, cs_str id, cs_error *err)
{
    if (rc == -1)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    return cs_error_set(err, CS_EDATA, "participant \"%.*s\": a session or "
                        "case count overflows 32 bits", (int)(id.len > 64 ? 64 : id.len),
                        id.ptr);
}

/* The factor states, 2 bits each (-1 becomes 3), factor f at bits 2f. */
static uint64_t pack_states(const signed char *factor)
{
    uint64_t key = 0;
    _Static_assert(CS_F_N <= 32, "a key holds 2 bits a factor below the level");
    for (int f = 0; f < CS_F_N; f += 8)
        key |= cs__factor_states(factor + f, CS_F_N - f < 8
                             ? (size_t)(CS_F_N - f) : 8) << (2 * f);
    return key;
}

/* pack_states of the factors before the wave factors. */
_Static_assert(CS_F_ELECTROLYTE == 4, "pack_first packs four factors");
static inline uint64_t pack_first(const signed char *factor)
{
    return cs__factor_states(factor, CS_F_ELECTROLYTE);
}

/* pack_states, the wave factors' part from the last session's (the
 * accumulator's cache in the state, cs_agg.clu_wave) when they are the
 * same; w NULL: none. */
static inline uint64_t pack_key(cs_clu_wave *w, const signed char *factor)
{
    const signed char *f = factor + CS_F_ELECTROLYTE;

    if (!w)
        return pack_states(factor);
    if (!w->known || memcmp(w->flags, f, sizeof w->flags) != 0) {
        memcpy(w->flags, f, sizeof w->flags);
        w->bits = pack_states(factor) & ~(uint64_t)0xff;
        w->known = 1;
    }
    return w->bits | pack_first(factor);
}

/* cs_clu_add, inline in it and in the accumulator's add (cluster_add),
 * which calls it for every session. */
static inline __attribute__((always_inline)) int
add_session(cs_clu *c, cs_clu_wave *w, cs_str id, const signed char *factor,
            unsigned level, int outcome, uint64_t mmin, cs_error *err)
{
    uint64_t key = (uint64_t)(level & CS_CLU_NO_LEVEL) << CS_CLU_LEVEL_SHIFT;
    long i;
    int rc;

    key |= pack_key(w, factor);
    if ((i = find_person(c, id, 0)) < 0)
        return add_error(-1, id, err);
    if ((rc = add_entry(c, (size_t)i, key, 1, outcome > 0, mmin)) < 0)
        return add_error(rc, id, err);
    return CS_OK;
}

int cs_clu_add(cs_clu *c, cs_str id, const signed char *factor, unsigned level,
               int outcome, uint64_t mmin, cs_error *err)
{
    return add_session(c, NULL, id, factor, level, outcome, mmin, err);
}

static uint64_t with_level(uint64_t key, unsigned level)
{
    return (key & ((UINT64_C(1) << CS_CLU_LEVEL_SHIFT) - 1)) |
           ((uint64_t)level << CS_CLU_LEVEL_SHIFT);
}

static unsigned level_of(uint64_t key)
{
    return (unsigned)(key >> CS_CLU_LEVEL_SHIFT) & CS_CLU_NO_LEVEL;
}

int cs_clu_merge(cs_clu *into, const cs_clu *from, const size_t *level_map,
                 size_t nlevels, cs_error *err)
{
    for (size_t i = 0; i < from->np; i++) {
        const person *q = &from->p[i];
        cs_str id = { q->id, q->id_len };
        long t = find_person(into, id, 0);
        if (t < 0)
            return add_error(-1, id, err);
        for (uint32_t j = 0; j < q->count; j++) {
            const entry *e = &from->e[q->off + j];
            unsigned lv = level_of(e->key);
            uint64_t key = e->key;
            int rc;
            if (lv != CS_CLU_NO_LEVEL) {
                if (lv >= nlevels)
                    return cs_error_set(err, CS_EDATA, "internal: a "
                                        "participant's level is out of range");
                key = with_level(key, (unsigned)level_map[lv]);
            }
            if ((rc = add_entry(into, (size_t)t, key, e->n, e->y, e->mmin)) < 0)
                return add_error(rc, id, err);
        }
    }
    return CS_OK;
}

void cs_clu_remap_levels(cs_clu *c, const size_t *map, size_t nlevels)
{
    for (size_t i = 0; i < c->np; i++)
        for (uint32_t j = 0; j < c->p[i].count; j++) {
            entry *e = &c->e[c->p[i].off + j];
            unsigned lv = level_of(e->key);
            if (lv != CS_CLU_NO_LEVEL && lv < nlevels)
                e->key = with_level(e->key, (unsigned)map[lv]);
        }
    c->sorted = 0;
    c->unordered = 1;
}

/* A participant's id and index, sorted by id. */
typedef struct idref {
    const char *id;
    uint32_t len, idx;
} idref;

static int cmp_idref(const void *x, const void *y)
{
    const idref *a = x, *b = y;
    return cs_str_cmp((cs_str){ a->id, a->len }, (cs_str){ b->id, b->len });
}

/* Entries of one participant by key: a handful, so insertion sort. */
static void sort_block(entry *e, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        entry x = e[i];
        size_t k = i;
        while (k > 0 && e[k - 1].key > x.key) {
            e[k] = e[k - 1];
            k--;
        }
        e[k] = x;
    }
}

static void rehash(cs_clu *c)
{
    c->last = SIZE_MAX;
    if (!c->slot)
        return;
    memset(c->slot, 0, c->nslot * sizeof *c->slot);
    for (size_t i = 0; i < c->np; i++) {
        size_t s = c->p[i].hash & (c->nslot - 1);
        while (c->slot[s])
            s = (s + 1) & (c->nslot - 1);
        c->slot[s] = (uint32_t)(i + 1);
    }
    c->last = SIZE_MAX;
}

/* Input grouped by participant, in id order (what a sorted file gives):
 * the participants are already in order and each one's entries are one
 * block, the blocks in order. Then sorting in place is enough. */
static int in_canonical_layout(const cs_clu *c)
{
    uint32_t at = 0;

    for (size_t i = 0; i < c->np; i++) {
        const person *q = &c->p[i];
        if (i > 0 && cs_str_cmp(id_str(&c->p[i - 1]), id_str(q)) >= 0)
            return 0;
        if (q->off != at)
            return 0;
        at += q->count;
    }
    return 1;
}

int cs_clu_finish(cs_clu *c, cs_error *err)
{
    idref *order;
    person *np;
    entry *ne;
    size_t k = 0;

    /* A finished table may be handed to another accumulator, whose rows
     * number their participants otherwise: the map goes, whether or not
     * the participants move. */
    cs__who_clear(&c->who);

    if (c->sorted)
        return CS_OK;
    if (!c->unordered) {
        c->last = SIZE_MAX;
        c->sorted = 1;
        return CS_OK;
    }
    if (in_canonical_layout(c)) {
        for (size_t i = 0; i < c->np; i++) {
            const person *q = &c->p[i];
            if (q->count)
                sort_block(c->e + q->off, q->count);
        }
        c->last = SIZE_MAX;
        c->sorted = 1;
        c->unordered = 0;
        return CS_OK;
    }
    order = malloc((c->np + 1) * sizeof *order);
    np = cs_grow_realloc(NULL, (c->np + 1) * sizeof *np);
    ne = cs_grow_realloc(NULL, (c->ne + 1) * sizeof *ne);
    if (!order || !np || !ne) {
        free(order); cs_grow_free(np); cs_grow_free(ne);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < c->np; i++)
        order[i] = (idref){ c->p[i].id, c->p[i].id_len, (uint32_t)i };
    qsort(order, c->np, sizeof *order, cmp_idref);
    for (size_t i = 0; i < c->np; i++) {
        const person *q = &c->p[order[i].idx];
        size_t start = k;
        np[i] = *q;
        if (q->count)
            memcpy(ne + k, c->e + q->off, q->count * sizeof *ne);
        k += q->count;
        sort_block(ne + start, k - start);
        np[i].off = (uint32_t)start;
        np[i].count = (uint32_t)(k - start);
    }
    free(order);
    cs_grow_free(c->p);
    cs_grow_free(c->e);
    c->p = np;
    c->capp = c->np + 1;
    c->e = ne;
    c->cape = c->ne + 1;
    c->ne = k;
    c->holes = 0;
    rehash(c);
    c->sorted = 1;
    c->unordered = 0;
    return CS_OK;
}

/* ---- the partial-state section ---------------------------------------- */

/* Appends only: the buffer's error is sticky, and the caller checks it. */
int cs_clu_write(const cs_clu *c, cs_buf *b)
{
    size_t from = 0;

    cs_clu_write_part(c, b, &from, SIZE_MAX);
    return cs_buf_error(b);
}

int cs_clu_write_part(const cs_clu *c, cs_buf *b, size_t *from, size_t room)
{
    size_t i = *from;

    for (; i < c->np && !cs_buf_error(b); i++) {
        const person *q = &c->p[i];
        const char *s = q->id;
        cs_buf_append(b, "p :", 3);
        for (size_t k = 0; k < q->id_len; k++) {
            unsigned char ch = (unsigned char)s[k];
            if (ch <= 0x20 || ch >= 0x7f || ch == '%')
                cs_buf_printf(b, "%%%02X", ch);
            else
                cs_buf_putc(b, (char)ch);
        }
        for (uint32_t j = 0; j < q->count; j++) {
            /* " KEY/LEVEL:N:Y:MMIN", LEVEL "-" for none: as printf's %u
             * and %llu write the numbers (cs_fmt_u64), without a call
             * to printf for each of the millions of entries */
            const entry *e = &c->e[q->off + j];
            char line[CS_F_N + 4 * 21 + 8], *d = line;
            unsigned lv = level_of(e->key);
            *d++ = ' ';
            for (int f = 0; f < CS_F_N; f++)
                *d++ = "01?-"[(e->key >> (2 * f)) & 3];
            *d++ = '/';
            if (lv == CS_CLU_NO_LEVEL)
                *d++ = '-';
            else
                d = cs_fmt_u64(d, lv);
            *d++ = ':';
            d = cs_fmt_u64(d, e->n);
            *d++ = ':';
            d = cs_fmt_u64(d, e->y);
            *d++ = ':';
            d = cs_fmt_u64(d, e->mmin);
            cs_buf_append(b, line, (size_t)(d - line));
        }
        cs_buf_putc(b, '\n');
        if (b->len >= room) {   /* at least one a call */
            i++;
            break;
        }
    }
    *from = i;
    return i < c->np && !cs_buf_error(b);
}

static int take_u64(const char **p, const char *end, uint64_t *out)
{
    uint64_t v = 0;
    const char *s = *p;

    if (s >= end || *s < '0' || *s > '9' || (*s == '0' && s + 1 < end &&
                                             s[1] >= '0' && s[1] <= '9'))
        return -1;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *p = s;
    *out = v;
    return 0;
}

#define WHY(...) (snprintf(why, whycap, __VA_ARGS__), -1)

int cs_clu_read_line(cs_clu *c, cs_str rest, size_t nlevels, char *why,
                     size_t whycap)
{
    const char *p = rest.ptr, *end = rest.ptr + rest.len, *w;
    char idbuf[1024];
    size_t idn = 0;
    uint64_t prev = 0;
    int first = 1;
    long i;

    if (p >= end || *p != ':')
        return WHY("expected ':' and a participant id");
    for (w = ++p; p < end && *p != ' '; p++)
        ;
    switch (cs__ptext_unescape((cs_str){ w, (size_t)(p - w) }, idbuf,
                               sizeof idbuf, &idn)) {
    case -1:
        return WHY("bad %%-escape");
    case -2:
        return WHY("unescaped byte in a participant id");
    case -3:
        return WHY("participant id longer than %zu bytes", sizeof idbuf - 1);
    }
    if (idn == 0)
        return WHY("empty participant id");
    if (c->np) {
        /* In byte order, as cs_clu_finish leaves them: a state edited out
         * of order is refused, not re-sorted. */
        if (cs_str_cmp(id_str(&c->p[c->np - 1]), (cs_str){ idbuf, idn }) >= 0)
            return WHY("participant \"%.*s\" is out of order (participants "
                       "come in byte order of their ids)",
                       (int)(idn > 64 ? 64 : idn), idbuf);
    }
    {
        size_t before = c->np;
        if ((i = find_person(c, (cs_str){ idbuf, idn }, 0)) < 0)
            return WHY("out of memory");
        if (c->np == before)
            return WHY("participant \"%.*s\" appears twice", (int)(idn > 64 ? 64 : idn), idbuf);
    }
    if (p >= end)
        return WHY("participant \"%.*s\" has no sessions", (int)(idn > 64 ? 64 : idn), idbuf);
    while (p < end) {
        uint64_t key = 0, lv, n, y, m;
        int complete = 1;
        if (*p++ != ' ')
            return WHY("expected a space between entries");
        w = p;
        if (end - p < CS_F_N + 2)
            return WHY("truncated entry");
        for (int f = 0; f < CS_F_N; f++, p++) {
            uint64_t s = *p == '0' ? 0 : *p == '1' ? 1 : *p == '-' ? 3 : 2;
            if (s == 2)
                return WHY("factor states are 0, 1 or '-'");
            if (s == 3 && f < CS_F_MAIN_N)
                complete = 0;
            key |= s << (2 * f);
        }
        if (*p++ != '/')
            return WHY("expected '/' after the factor states");
        if (p < end && *p == '-') {
            p++;
            lv = CS_CLU_NO_LEVEL;
            if (complete)
                return WHY("an entry with every main factor known needs a level");
        } else {
            if (take_u64(&p, end, &lv) < 0 || lv >= nlevels)
                return WHY("level is not an index of the state's levels");
            if (!complete)
                return WHY("an entry with a main factor unknown has no level");
        }
        key |= lv << CS_CLU_LEVEL_SHIFT;
        if (p >= end || *p++ != ':' || take_u64(&p, end, &n) < 0 ||
            p >= end || *p++ != ':' || take_u64(&p, end, &y) < 0 ||
            p >= end || *p++ != ':' || take_u64(&p, end, &m) < 0)
            return WHY("an entry is KEY/LEVEL:SESSIONS:CASES:MMIN");
        if (n > UINT32_MAX)
            return WHY("entry \"%.*s\": a count is over 4294967295 (2^32 - 1)",
                       (int)(p - w > 60 ? 60 : p - w), w);
        if (n == 0 || y > n || m > n * (uint64_t)1440000)
            return WHY("inconsistent entry \"%.*s\": no sessions, more cases "
                       "than sessions, or more than 1440 minutes a session",
                       (int)(p - w > 60 ? 60 : p - w), w);
        if (!first && key <= prev)
            return WHY("entries are not in canonical order (or repeat)");
        if (add_entry(c, (size_t)i, key, n, y, m) < 0)
            return WHY("out of memory");
        prev = key;
        first = 0;
    }
    return 0;
}

/* ---- totals and statistics -------------------------------------------- */

void cs_clu_totals(const cs_clu *c, uint64_t cell[CS_F_N][3][3],
                   size_t nlevels, uint64_t *pn, uint64_t *py, uint64_t *pm)
{
    memset(cell, 0, sizeof(uint64_t) * CS_F_N * 9);
    memset(pn, 0, nlevels * 64 * sizeof *pn);
    memset(py, 0, nlevels * 64 * sizeof *py);
    memset(pm, 0, nlevels * 64 * sizeof *pm);
    for (size_t i = 0; i < c->np; i++) {
        for (uint32_t j = 0; j < c->p[i].count; j++) {
            const entry *e = &c->e[c->p[i].off + j];
            unsigned lv = level_of(e->key), bits = 0;
            for (int f = 0; f < CS_F_N; f++) {
                unsigned st = (unsigned)(e->key >> (2 * f)) & 3;
                st = st == 3 ? 2 : st;                  /* unknown */
                cell[f][st][0] += e->n;
                cell[f][st][1] += e->y;
                cell[f][st][2] += e->mmin;
                if (f < CS_F_MAIN_N)
                    bits |= (st & 1u) << f;
            }
            if (lv != CS_CLU_NO_LEVEL && lv < nlevels) {
                pn[lv * 64 + bits] += e->n;
                py[lv * 64 + bits] += e->y;
                pm[lv * 64 + bits] += e->mmin;
            }
        }
    }
}

size_t cs_clu_notes_format(char *buf, size_t cap, uint32_t notes)
{
    static const char *const text[] = {
        "a group has no sessions",
        "a zero cell",
        "a group's sessions come from a single participant",
        "robust standard error 0",
        "the model has no usable fit",
        "the robust covariance could not be computed",
        "out of memory",
        "separation: the coefficients are not estimates, so no robust "
            "interval or p",
    };
    size_t len = 0;

    if (cap)
        buf[0] = '\0';
    for (unsigned k = 0; k < sizeof text / sizeof *text; k++) {
        if (!(notes & (1u << k)))
            continue;
        int n = snprintf(buf ? buf + (len < cap ? len : cap) : NULL,
                         len < cap ? cap - len : 0, "%s%s", len ? "; " : "",
                         text[k]);
        len += (size_t)n;
    }
    return len;
}

static cs_ci nan_ci(void)
{
    return (cs_ci){ NAN, NAN, NAN };
}

__extension__ typedef unsigned __int128 u128;

/* Exact integer moments over participants of their per-group sums (n
 * sessions, y cases, m milli-minutes; 1 exposed, 0 unexposed): the
 * residual sums of squares follow from them at the end, so one walk is
 * enough and the result does not depend on the participants' order. */
typedef struct fsums {
    uint64_t N1, N0, A, C, G1, G0, G;
    u128 M1, M0;
    u128 yy1, yn1, nn1, yy0, yn0, nn0, y1y0, y1n0, n1y0, n1n0;
    u128 ym1, mm1, ym0, mm0, y1m0, m1y0, m1m0;
    double T1, T0, s11, s00, s10, r11, r00, r10;
    double sdd, s0d;   /* PAF: sum d^2 and sum e0 d, d = y - p n over both groups */
} fsums;

static void finish_factor(cs_clu_factor *o, const fsums *m, double level);

static long double ld(u128 x) { return (long double)x; }

/* A participant's totals and the products of them: what it adds to the
 * moments of a group it has all its sessions in. */
typedef struct tsums {
    uint64_t g, n, y;
    u128 m, yy, yn, nn, ym, mm;
} tsums;

static void tsums_add(tsums *into, const tsums *t)
{
    into->g += t->g; into->n += t->n; into->y += t->y; into->m += t->m;
    into->yy += t->yy; into->yn += t->yn; into->nn += t->nn;
    into->ym += t->ym; into->mm += t->mm;
}

void cs_clu_factor_stats_all(cs_clu_factor out[CS_F_N], const cs_clu *c,
                             double level)
{
    fsums m[CS_F_N];
    /* Over all participants, and over those with every entry exposed (c1)
     * or every entry unknown or the factor varying (cu): the ones with
     * every entry unexposed, most participants for most factors, are all
     * minus the others, and cost nothing but a test in the loop. */
    tsums all, c1[CS_F_N], cu[CS_F_N];

    memset(m, 0, sizeof m);
    memset(&all, 0, sizeof all);
    memset(c1, 0, sizeof c1);
    memset(cu, 0, sizeof cu);
    for (size_t i = 0; i < c->np; i++) {
        const person *q = &c->p[i];
        uint64_t and = ~(uint64_t)0, or = 0, tn = 0, ty = 0, tm = 0;
        if (!q->count)
            continue;
        const entry *e = c->e + q->off;
        for (uint32_t j = 0; j < q->count; j++) {
            and &= e[j].key;
            or |= e[j].key;
            tn += e[j].n;
            ty += e[j].y;
            tm += e[j].mmin;
        }
        tsums t = { tn > 0, tn, ty, tm, (u128)ty * ty, (u128)ty * tn,
                    (u128)tn * tn, (u128)ty * tm, (u128)tm * tm };
        tsums_add(&all, &t);
        /* A factor's two bits, set in diff where its state varies, in and
         * where it is 1 or unknown throughout. */
        uint64_t diff = (and ^ or) & ((UINT64_C(1) << (2 * CS_F_N)) - 1);
        uint64_t v = diff | (and & ((UINT64_C(1) << (2 * CS_F_N)) - 1));
        uint64_t work = (v | v >> 1) & UINT64_C(0x5555555555555555);
        while (work) {
            int f = __builtin_ctzll(work) / 2;
            work &= work - 1;
            if (!((diff >> (2 * f)) & 3)) {
                tsums_add((and >> (2 * f) & 3) == 1 ? &c1[f] : &cu[f], &t);
                continue;
            }
            tsums_add(&cu[f], &t);
            fsums *x = &m[f];
            uint64_t sn[2] = { 0, 0 }, sy[2] = { 0, 0 }, sm[2] = { 0, 0 };
            for (uint32_t j = 0; j < q->count; j++) {
                unsigned st = (unsigned)(e[j].key >> (2 * f)) & 3;
                if (st > 1)
                    continue;
                sn[st] += e[j].n;
                sy[st] += e[j].y;
                sm[st] += e[j].mmin;
            }
            u128 n1 = sn[1], y1 = sy[1], m1 = sm[1];
            u128 n0 = sn[0], y0 = sy[0], m0 = sm[0];
            x->G1 += n1 > 0;
            x->G0 += n0 > 0;
            x->G += n0 + n1 > 0;
            x->N1 += (uint64_t)n1;
            x->A += (uint64_t)y1;
            x->N0 += (uint64_t)n0;
            x->C += (uint64_t)y0;
            x->M1 += m1;
            x->M0 += m0;
            /* A group the participant has no session in adds only
             * zeros to the products that take it. */
            int g1 = (n1 | y1 | m1) != 0, g0 = (n0 | y0 | m0) != 0;
            if (g1) {
                x->yy1 += y1 * y1; x->yn1 += y1 * n1; x->nn1 += n1 * n1;
                x->ym1 += y1 * m1; x->mm1 += m1 * m1;
            }
            if (g0) {
                x->yy0 += y0 * y0; x->yn0 += y0 * n0; x->nn0 += n0 * n0;
                x->ym0 += y0 * m0; x->mm0 += m0 * m0;
            }
            if (g1 && g0) {
                x->y1y0 += y1 * y0; x->y1n0 += y1 * n0; x->n1y0 += n1 * y0;
                x->n1n0 += n1 * n0;
                x->y1m0 += y1 * m0; x->m1y0 += m1 * y0; x->m1m0 += m1 * m0;
            }
        }
    }
    /* The participants in one state throughout: exposed ones from c1,
     * unexposed ones all minus c1 minus cu. The sums are integers, and
     * exact modulo 2^64 and 2^128, so the differences are the sums. */
    for (int f = 0; f < CS_F_N; f++) {
        fsums *x = &m[f];
        const tsums *a = &c1[f], *u = &cu[f];
        x->G += all.g - u->g;
        x->G1 += a->g;
        x->N1 += a->n; x->A += a->y; x->M1 += a->m;
        x->yy1 += a->yy; x->yn1 += a->yn; x->nn1 += a->nn;
        x->ym1 += a->ym; x->mm1 += a->mm;
        x->G0 += all.g - a->g - u->g;
        x->N0 += all.n - a->n - u->n; x->C += all.y - a->y - u->y;
        x->M0 += all.m - a->m - u->m;
        x->yy0 += all.yy - a->yy - u->yy; x->yn0 += all.yn - a->yn - u->yn;
        x->nn0 += all.nn - a->nn - u->nn; x->ym0 += all.ym - a->ym - u->ym;
        x->mm0 += all.mm - a->mm - u->mm;
    }
    for (int f = 0; f < CS_F_N; f++) {
        fsums *x = &m[f];
        long double p1 = x->N1 ? (long double)x->A / x->N1 : 0;
        long double p0 = x->N0 ? (long double)x->C / x->N0 : 0;
        long double q1 = x->M1 ? (long double)x->A / ld(x->M1) : 0;
        long double q0 = x->M0 ? (long double)x->C / ld(x->M0) : 0;
        /* sum (y1 - p1 n1)^2 and the like, expanded */
        x->s11 = (double)(ld(x->yy1) - 2 * p1 * ld(x->yn1) + p1 * p1 * ld(x->nn1));
        x->s00 = (double)(ld(x->yy0) - 2 * p0 * ld(x->yn0) + p0 * p0 * ld(x->nn0));
        x->s10 = (double)(ld(x->y1y0) - p0 * ld(x->y1n0) - p1 * ld(x->n1y0) +
                          p1 * p0 * ld(x->n1n0));
        x->r11 = (double)(ld(x->yy1) - 2 * q1 * ld(x->ym1) + q1 * q1 * ld(x->mm1));
        x->r00 = (double)(ld(x->yy0) - 2 * q0 * ld(x->ym0) + q0 * q0 * ld(x->mm0));
        x->r10 = (double)(ld(x->y1y0) - q0 * ld(x->y1m0) - q1 * ld(x->m1y0) +
                          q1 * q0 * ld(x->m1m0));
        /* d = (y1 + y0) - p (n1 + n0), e0 = y0 - p0 n0, p the risk of all */
        long double pa = x->N1 + x->N0 ? (long double)(x->A + x->C) / (x->N1 + x->N0) : 0;
        x->sdd = (double)(ld(x->yy1) + 2 * ld(x->y1y0) + ld(x->yy0) -
                          2 * pa * (ld(x->yn1) + ld(x->y1n0) + ld(x->n1y0) + ld(x->yn0)) +
                          pa * pa * (ld(x->nn1) + 2 * ld(x->n1n0) + ld(x->nn0)));
        x->s0d = (double)(ld(x->y1y0) + ld(x->yy0) - pa * ld(x->n1y0) - pa * ld(x->yn0) -
                          p0 * ld(x->y1n0) - p0 * ld(x->yn0) + p0 * pa * ld(x->n1n0) +
                          p0 * pa * ld(x->nn0));
        x->T1 = (double)(ld(x->M1) / 60000);
        x->T0 = (double)(ld(x->M0) / 60000);
        finish_factor(&out[f], x, level);
    }
}

void cs_clu_factor_stats(cs_clu_factor *o, const cs_clu *c, int f, double level)
{
    cs_clu_factor all[CS_F_N];

    cs_clu_factor_stats_all(all, c, level);
    *o = all[f];
}

static cs_ci wald_log(double est, double se, double z)
{
    return (cs_ci){ est, exp(log(est) - z * se), exp(log(est) + z * se) };
}

static void finish_factor(cs_clu_factor *o, const fsums *m, double level)
{
    double z = cs_stats_z(level);
    uint64_t N1 = m->N1, N0 = m->N0, A = m->A, C = m->C, G1 = m->G1, G0 = m->G0,
             G = m->G;
    double T1 = m->T1, T0 = m->T0;
    double s11 = m->s11, s00 = m->s00, s10 = m->s10, r11 = m->r11, r00 = m->r00,
           r10 = m->r10;

    memset(o, 0, sizeof *o);
    o->risk_ratio = o->odds_ratio = o->risk_difference = o->rate_ratio =
        o->exposed_risk = o->unexposed_risk = o->af_exposed = o->paf = nan_ci();
    o->se_log_rr = o->design_effect = NAN;
    o->participants_exposed = G1;
    o->participants_unexposed = G0;
    o->participants = G;
    o->sessions = N1 + N0;
    if (N1 == 0 || N0 == 0) {
        o->notes = CS_CLU_NOTE_EMPTY;
        o->rr_notes = o->or_notes = o->rd_notes = o->rate_notes = o->notes;
        o->af_notes = o->paf_notes = o->notes;
        o->exp_notes = N1 ? 0 : CS_CLU_NOTE_EMPTY;
        o->unexp_notes = N0 ? 0 : CS_CLU_NOTE_EMPTY;
    }
    double p1 = N1 ? (double)A / (double)N1 : NAN;
    double p0 = N0 ? (double)C / (double)N0 : NAN;
    double q1 = T1 > 0 ? (double)A / T1 : NAN, q0 = T0 > 0 ? (double)C / T0 : NAN;
    double dA = (double)A, dC = (double)C, dN1 = (double)N1, dN0 = (double)N0;
    double N = dN1 + dN0;
    /* One participant per group: its residual sum is 0 by construction,
     * and the robust variance would be too small, not robust. */
    uint32_t two = 0;
    if (G1 < 2 || G0 < 2 || G < 2)
        two = CS_CLU_NOTE_ONE_PARTICIPANT;
    double c2 = G >= 2 && N > 2 ? (double)G / (double)(G - 1) * (N - 1) / (N - 2)
                                : NAN;

    /* Group risks: intercept-only logit models, K = 1. */
    struct { uint64_t g, a, n; double s; cs_ci *out; uint32_t *notes; } grp[2] = {
        { G1, A, N1, s11, &o->exposed_risk, &o->exp_notes },
        { G0, C, N0, s00, &o->unexposed_risk, &o->unexp_notes },
    };
    for (int k = 0; k < 2; k++) {
        if (grp[k].n == 0) {
            *grp[k].notes |= CS_CLU_NOTE_EMPTY;
            continue;
        }
        double p = (double)grp[k].a / (double)grp[k].n;
        if (grp[k].g < 2) {
            grp[k].out->est = p;
            *grp[k].notes |= CS_CLU_NOTE_ONE_PARTICIPANT;
            continue;
        }
        if (grp[k].a == 0 || grp[k].a == grp[k].n) {
            grp[k].out->est = p;
            *grp[k].notes |= CS_CLU_NOTE_ZERO_CELL;
            continue;
        }
        double w = (double)grp[k].a * (1 - p);
        double v = (double)grp[k].g / (double)(grp[k].g - 1) * grp[k].s / (w * w);
        double se = sqrt(v), lg = log(p / (1 - p));
        if (!(v > CS__ROBUST_VAR_MIN)) {
            grp[k].out->est = p;
            *grp[k].notes |= CS_CLU_NOTE_ZERO_SE;
            continue;
        }
        *grp[k].out = (cs_ci){ p, 1 / (1 + exp(-(lg - z * se))),
                               1 / (1 + exp(-(lg + z * se))) };
    }
    if (N1 == 0 || N0 == 0)
        goto done;

    /* Risk difference: defined without cases. */
    o->risk_difference.est = p1 - p0;
    if (two)
        o->rd_notes |= two;
    else {
        double v = c2 * (s11 / (dN1 * dN1) + s00 / (dN0 * dN0) - 2 * s10 / (dN1 * dN0));
        double se = v > CS__ROBUST_VAR_MIN ? sqrt(v) : 0;
        if (se > 0)
            o->risk_difference = (cs_ci){ p1 - p0, p1 - p0 - z * se, p1 - p0 + z * se };
        else
            o->rd_notes |= CS_CLU_NOTE_ZERO_SE;
    }
    /* Risk ratio and rate ratio: log link, need cases in both groups. */
    if (A == 0 || C == 0) {
        o->rr_notes |= CS_CLU_NOTE_ZERO_CELL;
        o->rate_notes |= CS_CLU_NOTE_ZERO_CELL;
    } else {
        o->risk_ratio.est = p1 / p0;
        o->rate_ratio.est = q1 / q0;
        if (two) {
            o->rr_notes |= two;
            o->rate_notes |= two;
        } else {
            double v = c2 * (s11 / (dA * dA) + s00 / (dC * dC) - 2 * s10 / (dA * dC));
            double vr = c2 * (r11 / (dA * dA) + r00 / (dC * dC) - 2 * r10 / (dA * dC));
            double katz = 1 / dA - 1 / dN1 + 1 / dC - 1 / dN0;
            if (v > CS__ROBUST_VAR_MIN) {
                o->se_log_rr = sqrt(v);
                o->risk_ratio = wald_log(p1 / p0, o->se_log_rr, z);
                if (katz > 0)
                    o->design_effect = v / katz;
            } else {
                o->rr_notes |= CS_CLU_NOTE_ZERO_SE;
            }
            if (vr > CS__ROBUST_VAR_MIN)
                o->rate_ratio = wald_log(q1 / q0, sqrt(vr), z);
            else
                o->rate_notes |= CS_CLU_NOTE_ZERO_SE;
        }
    }
    /* Odds ratio: all four cells non-zero. */
    if (A == 0 || C == 0 || A == N1 || C == N0) {
        o->or_notes |= CS_CLU_NOTE_ZERO_CELL;
    } else {
        double or = (p1 / (1 - p1)) / (p0 / (1 - p0));
        o->odds_ratio.est = or;
        if (two)
            o->or_notes |= two;
        else {
            double w1 = dA * (1 - p1), w0 = dC * (1 - p0);
            double v = c2 * (s11 / (w1 * w1) + s00 / (w0 * w0) - 2 * s10 / (w1 * w0));
            if (v > CS__ROBUST_VAR_MIN)
                o->odds_ratio = wald_log(or, sqrt(v), z);
            else
                o->or_notes |= CS_CLU_NOTE_ZERO_SE;
        }
    }
    /* AF among the exposed: a monotone function of the risk ratio. */
    o->af_notes = o->rr_notes;
    if (o->risk_ratio.est == o->risk_ratio.est) {
        const cs_ci *rr = &o->risk_ratio;
        o->af_exposed = (cs_ci){ (rr->est - 1) / rr->est, (rr->lo - 1) / rr->lo,
                                 (rr->hi - 1) / rr->hi };
    }
    /* PAF = 1 - p0 / p with p0 = C / N0 and p = (A + C) / N both ratio
     * estimators: log(1 - PAF) = log p0 - log p has per-participant
     * influence e0 / C - d / (A + C), e0 = y0 - p0 n0, d = y - p n. With
     * one session per participant this is Jewell's variance exactly. */
    if (A + C == 0) {
        o->paf_notes |= CS_CLU_NOTE_ZERO_CELL;
    } else {
        double p = (dA + dC) / N, P = dA + dC;
        o->paf.est = 1 - p0 / p;
        if (C == 0)
            o->paf_notes |= CS_CLU_NOTE_ZERO_CELL;   /* PAF 1: log(0) */
        else if (two)
            o->paf_notes |= two;
        else {
            double v = c2 * (s00 / (dC * dC) - 2 * m->s0d / (dC * P) +
                             m->sdd / (P * P));
            if (v > CS__ROBUST_VAR_MIN) {
                double se = sqrt(v), q = 1 - o->paf.est;
                o->paf.lo = 1 - q * exp(z * se);
                o->paf.hi = 1 - q * exp(-z * se);
            } else {
                o->paf_notes |= CS_CLU_NOTE_ZERO_SE;
            }
        }
    }
done:
    o->notes |= o->rr_notes | o->or_notes | o->rd_notes | o->rate_notes |
                o->exp_notes | o->unexp_notes | o->af_notes | o->paf_notes;
}

/* ---- models ---------------------------------------------------------- */

/* Cholesky of the p x p matrix a (row-major) in place, skipping columns
 * whose pivot falls below tol times their diagonal (marked in skip).
 * Returns the rank. */
static size_t chol(double *a, size_t p, unsigned char *skip, double tol)
{
    size_t rank = 0;

    for (size_t j = 0; j < p; j++) {
        if (skip[j])
            continue;
        double d = a[j * p + j], orig = d;
        for (size_t k = 0; k < j; k++)
            if (!skip[k])
                d -= a[j * p + k] * a[j * p + k];
        if (!(d > tol * orig) || !(orig > 0)) {
            skip[j] = 1;
            continue;
        }
        d = sqrt(d);
        a[j * p + j] = d;
        for (size_t i = j + 1; i < p; i++) {
            if (skip[i])
                continue;
            double s = a[i * p + j];
            for (size_t k = 0; k < j; k++)
                if (!skip[k])
                    s -= a[i * p + k] * a[j * p + k];
            a[i * p + j] = s / d;
        }
        rank++;
    }
    return rank;
}

/* Inverse of the matrix whose Cholesky factor is in l (lower triangle),
 * on the columns not skipped, into inv (p x p; skipped rows/cols 0). */
static void chol_inverse(const double *l, size_t p, const unsigned char *skip,
                         double *inv)
{
    double col[CS_CLU_MAXP], y[CS_CLU_MAXP];

    memset(inv, 0, p * p * sizeof *inv);
    for (size_t c = 0; c < p; c++) {
        if (skip[c])
            continue;
        for (size_t i = 0; i < p; i++)
            col[i] = i == c ? 1 : 0;
        for (size_t i = 0; i < p; i++) {           /* L y = e_c */
            if (skip[i]) {
                y[i] = 0;
                continue;
            }
            double s = col[i];
            for (size_t k = 0; k < i; k++)
                if (!skip[k])
                    s -= l[i * p + k] * y[k];
            y[i] = s / l[i * p + i];
        }
        for (size_t i = p; i-- > 0;) {             /* L' x = y */
            if (skip[i])
                continue;
            double s = y[i];
            for (size_t k = i + 1; k < p; k++)
                if (!skip[k])
                    s -= l[k * p + i] * inv[k * p + c];
            inv[i * p + c] = s / l[i * p + i];
        }
    }
}

/* The main factors' states of a key with every main factor known (low
 * bit of each 2-bit state), factor f at bit f: its even bits gathered. */
_Static_assert(CS_F_MAIN_N <= 8, "main_bits gathers at most eight states");
static inline unsigned main_bits(uint64_t key)
{
    uint64_t v = key & UINT64_C(0x5555) &
                 ((UINT64_C(1) << (2 * CS_F_MAIN_N)) - 1);

    v = (v | v >> 1) & UINT64_C(0x3333);
    v = (v | v >> 2) & UINT64_C(0x0f0f);
    v = (v | v >> 4) & UINT64_C(0x00ff);
    return (unsigned)v;
}

/* One model's part of the walk in robust_models: kind 0 logit (mean n p),
 * 1 Poisson (mean t lambda, t in thousands of hours). */
typedef struct rmodel {
    cs_clu_terms *out;
    const double *beta;
    unsigned char skip[CS_CLU_MAXP];
    int kind;
    double *rate, *wsum;  /* per pattern: the mean per trial or per
                             thousand hours, and the bread's weight */
    double *meat;
} rmodel;

/* The sandwich of model m from its meat and the patterns' weights (rows
 * P apart). */
static void sandwich(rmodel *m, size_t p, const double *rows, size_t P,
                     size_t npat, uint64_t G, uint64_t N, double z)
{
    cs_clu_terms *out = m->out;
    double *bread = calloc(p * p, sizeof *bread);
    double *inv = calloc(p * p, sizeof *inv);
    const double *beta = m->beta, *meat = m->meat;
    size_t rank;

    if (!bread || !inv) {
        out->notes = CS_CLU_NOTE_NOMEM;
        goto done;
    }
    for (size_t k = 0; k < npat; k++) {
        const double *row = rows + k * P;
        if (m->wsum[k] == 0)
            continue;
        for (size_t a = 0; a < p; a++)
            if (row[a] != 0)
                for (size_t b = 0; b < p; b++)
                    bread[a * p + b] += m->wsum[k] * row[a] * row[b];
    }
    out->participants = G;
    out->sessions = N;
    if (G < 2) {
        out->notes = CS_CLU_NOTE_ONE_PARTICIPANT;
        goto done;
    }
    rank = chol(bread, p, m->skip, 1e-10);
    if (rank == 0 || (double)N <= (double)rank) {
        out->notes = CS_CLU_NOTE_SINGULAR;
        goto done;
    }
    chol_inverse(bread, p, m->skip, inv);
    {
        double corr = (double)G / (double)(G - 1) * ((double)N - 1) /
                      ((double)N - (double)rank);
        for (size_t j = 0; j < p; j++) {
            if (m->skip[j])
                continue;
            double v = 0;                   /* (inv meat inv)_jj */
            for (size_t a = 0; a < p; a++)
                for (size_t b = 0; b < p; b++)
                    v += inv[j * p + a] * meat[a * p + b] * inv[b * p + j];
            v *= corr;
            if (!(v > CS__ROBUST_VAR_MIN)) {
                out->notes |= CS_CLU_NOTE_ZERO_SE;
                continue;
            }
            double se = sqrt(v);
            out->se[j] = se;
            out->lower[j] = exp(beta[j] - z * se);
            out->upper[j] = exp(beta[j] + z * se);
            out->p_value[j] = 2 * gsl_cdf_ugaussian_Q(fabs(beta[j] / se));
        }
    }
done:
    free(bread);
    free(inv);
}

/* The walk of robust_models over every participant, rows and meat P
 * wide (P >= p, the columns past p zero in the rows and not read in the
 * meat): with P a constant, the loops over a row have no count to test
 * and no remainder. The sums of the first p columns are those of a walk
 * p wide, element by element in the same order. */
static inline __attribute__((always_inline)) void
robust_walk(rmodel *m, int nm, const cs_clu *c, size_t P, const double *rows,
            uint64_t *G, uint64_t *N)
{
    for (size_t i = 0; i < c->np; i++) {
        const person *q = &c->p[i];
        double u[2][CS_CLU_MAXP];   /* the first P used */
        int any = 0;
        for (int t = 0; t < nm; t++)
            for (size_t a = 0; a < P; a++)
                u[t][a] = 0;
        for (uint32_t j = 0; j < q->count; j++) {
            const entry *e = &c->e[q->off + j];
            unsigned lv = level_of(e->key);
            if (lv == CS_CLU_NO_LEVEL)
                continue;
            size_t k = (size_t)lv * 64 + main_bits(e->key);
            const double *row = rows + k * P;
            for (int t = 0; t < nm; t++) {
                const double *rate = m[t].rate;
                double mu;
                if (m[t].kind == 0) {
                    mu = e->n * rate[k];
                    m[t].wsum[k] += e->n * rate[k] * (1 - rate[k]);
                } else {
                    mu = (double)e->mmin / 6e7 * rate[k]; /* thousands of hours */
                    m[t].wsum[k] += mu;
                }
                for (size_t a = 0; a < P; a++)
                    u[t][a] += row[a] * (e->y - mu);
            }
            *N += e->n;
            any = 1;
        }
        if (!any)
            continue;
        (*G)++;
        for (int t = 0; t < nm; t++)
            for (size_t a = 0; a < P; a++)
                if (u[t][a] != 0)
                    for (size_t b = 0; b < P; b++)
                        m[t].meat[a * P + b] += u[t][a] * u[t][b];
    }
}

/* The per-participant walk of the models (nm of them, one or two) over
 * the entries with every main factor known, done once for all: each
 * model's sums are added in the same order as a walk of its own would. */
static void robust_models(rmodel *m, int nm, const cs_clu *c, size_t p,
                          cs_clu_row_fn rowfn, void *payload, double level)
{
    enum { NARROW = 8 };
    double z = cs_stats_z(level);
    uint64_t G = 0, N = 0;
    size_t P = p <= NARROW ? NARROW : p;    /* the walk's width */
    int nomem = 0;

    for (int k = 0; k < nm; k++) {
        cs_clu_terms *out = m[k].out;
        memset(out, 0, sizeof *out);
        out->p = p;
        for (size_t j = 0; j < CS_CLU_MAXP; j++)
            out->beta[j] = out->se[j] = out->lower[j] = out->upper[j] =
                out->p_value[j] = NAN;
        for (size_t j = 0; j < p; j++)
            out->beta[j] = m[k].beta[j];
        m[k].meat = calloc(P * P, sizeof *m[k].meat);
        m[k].rate = m[k].wsum = NULL;
        nomem |= !m[k].meat;
    }
    /* Rows (P wide, zero past p) and the mean per trial (logit) or per
     * thousand hours (Poisson) of every pattern and level, computed
     * once; the bread from the patterns' totals. */
    unsigned nlev = 0;
    for (size_t j = 0; j < c->ne; j++) {
        unsigned lv = level_of(c->e[j].key);
        if (lv != CS_CLU_NO_LEVEL && lv + 1 > nlev)
            nlev = lv + 1;
    }
    size_t npat = (size_t)nlev * 64;
    double *rows = calloc(npat * P + 1, sizeof *rows);
    for (int k = 0; k < nm; k++) {
        m[k].rate = calloc(npat + 1, sizeof *m[k].rate);
        m[k].wsum = calloc(npat + 1, sizeof *m[k].wsum);
        nomem |= !m[k].rate || !m[k].wsum;
    }
    if (nomem || !rows) {
        for (int k = 0; k < nm; k++)
            m[k].out->notes = CS_CLU_NOTE_NOMEM;
        goto done;
    }
    for (size_t k = 0; k < npat; k++) {
        double *row = rows + k * P;
        rowfn(row, (unsigned)(k & 63), (unsigned)(k >> 6), payload);
        for (int t = 0; t < nm; t++) {
            double eta = 0;
            for (size_t a = 0; a < p; a++)
                if (!m[t].skip[a])
                    eta += row[a] * m[t].beta[a];
            m[t].rate[k] = m[t].kind == 0 ? 1 / (1 + exp(-eta)) : exp(eta);
        }
    }
    if (P == NARROW)
        robust_walk(m, nm, c, NARROW, rows, &G, &N);
    else
        robust_walk(m, nm, c, P, rows, &G, &N);
    for (int t = 0; t < nm; t++) {
        for (size_t a = 0; a < p; a++)      /* P wide to p wide, in place */
            for (size_t b = 0; b < p; b++)
                m[t].meat[a * p + b] = m[t].meat[a * P + b];
        sandwich(&m[t], p, rows, P, npat, G, N, z);
    }
done:
    free(rows);
    for (int k = 0; k < nm; k++) {
        free(m[k].meat);
        free(m[k].rate);
        free(m[k].wsum);
    }
}

/* A separated fit (a cell with no cases, or no non-cases, drives a
 * coefficient towards infinity) has coefficients that are not estimates:
 * the sandwich at them gives a finite standard error and a p near 0 for
 * what is an artefact. Its intervals and p are withheld, as undefined, and
 * the note says why; the coefficients stay, as the model-based table shows
 * them, under its own separation note. */
static void withhold_if_separated(cs_clu_terms *out, uint32_t status)
{
    if (!(status & (CS_NOTE_LOGIT_SEPARATION | CS_NOTE_POISSON_SEPARATION)))
        return;
    for (size_t j = 0; j < CS_CLU_MAXP; j++)
        out->se[j] = out->lower[j] = out->upper[j] = out->p_value[j] = NAN;
    out->notes |= CS_CLU_NOTE_SEPARATION;
}

/* Model m from a fit's coefficients and aliased columns. */
static rmodel model_of(cs_clu_terms *out, int kind, const double *beta,
                       const unsigned char *aliased, size_t p)
{
    rmodel m = { .out = out, .beta = beta, .kind = kind };

    memcpy(m.skip, aliased, p);
    return m;
}

static void not_fitted(cs_clu_terms *out)
{
    memset(out, 0, sizeof *out);
    out->notes = CS_CLU_NOTE_NOT_FITTED;
}

void cs_clu_models_robust(cs_clu_terms *logit_out, const cs_logit_fit *logit,
                          cs_clu_terms *pois_out, const cs_poisson_fit *pois,
                          const cs_clu *c, cs_clu_row_fn row, void *payload,
                          double level)
{
    rmodel m[2];
    size_t p[2];
    int nm = 0;

    if (logit_out && (!logit || logit->p == 0 || logit->p > CS_CLU_MAXP ||
                      (logit->status & (CS_NOTE_BAD_INPUT | CS_NOTE_NOMEM))))
        not_fitted(logit_out);
    else if (logit_out) {
        p[nm] = logit->p;
        m[nm++] = model_of(logit_out, 0, logit->beta, logit->aliased, logit->p);
    }
    if (pois_out && (!pois || pois->p == 0 || pois->rank == 0 ||
                     (pois->status & (CS_NOTE_BAD_INPUT | CS_NOTE_NOMEM))))
        not_fitted(pois_out);
    else if (pois_out) {
        p[nm] = pois->p;
        m[nm++] = model_of(pois_out, 1, pois->beta, pois->aliased, pois->p);
    }
    if (nm == 2 && p[0] != p[1]) {
        robust_models(&m[0], 1, c, p[0], row, payload, level);
        robust_models(&m[1], 1, c, p[1], row, payload, level);
    } else if (nm > 0) {
        robust_models(m, nm, c, p[0], row, payload, level);
    }
    for (int k = 0; k < nm; k++)
        withhold_if_separated(m[k].out, m[k].kind == 0 ? logit->status
                                                       : pois->status);
}

void cs_clu_logit_robust(cs_clu_terms *out, const cs_clu *c,
                         const cs_logit_fit *fit, cs_clu_row_fn row,
                         void *payload, double level)
{
    cs_clu_models_robust(out, fit, NULL, NULL, c, row, payload, level);
}

void cs_clu_poisson_robust(cs_clu_terms *out, const cs_clu *c,
                           const cs_poisson_fit *fit, cs_clu_row_fn row,
                           void *payload, double level)
{
    cs_clu_models_robust(NULL, NULL, out, fit, c, row, payload, level);
}

int cs_poisson_fit_patterns(cs_poisson_fit *o, const double *x,
                            const uint64_t *y, const double *t,
                            const uint64_t *n, size_t m, size_t p,
                            double level)
{
    double a[CS_CLU_MAXP * CS_CLU_MAXP], inv[CS_CLU_MAXP * CS_CLU_MAXP];
    double g[CS_CLU_MAXP], beta[CS_CLU_MAXP], step[CS_CLU_MAXP];
    double z = cs_stats_z(level), dev_old = INFINITY;
    uint64_t Y = 0;
    double T = 0;

    memset(o, 0, sizeof *o);
    o->p = p;
    for (size_t j = 0; j < CS_CLU_MAXP; j++)
        o->beta[j] = o->se[j] = o->lower[j] = o->upper[j] = o->p_value[j] = NAN;
    if (p == 0 || p > CS_CLU_MAXP || m == 0) {
        o->status = CS_NOTE_BAD_INPUT;
        return -1;
    }
    for (size_t k = 0; k < m; k++) {
        if (!(t[k] >= 0) || (y[k] > 0 && !(t[k] > 0))) {
            o->status = CS_NOTE_BAD_INPUT;
            return -1;
        }
        Y += y[k];
        T += t[k];
        o->sessions += n[k];
    }
    if (!(T > 0)) {
        o->status = CS_NOTE_EMPTY;
        return -1;
    }
    /* Aliased columns: those the earlier ones explain, weighted by time
     * (the weights at the start, where every rate is the overall one). */
    memset(a, 0, sizeof a);
    for (size_t k = 0; k < m; k++)
        for (size_t i = 0; i < p; i++)
            for (size_t j = 0; j < p; j++)
                a[i * p + j] += t[k] * x[k * p + i] * x[k * p + j];
    o->rank = chol(a, p, o->aliased, 1e-12);
    if (o->rank < p)
        o->status |= CS_NOTE_LOGIT_SINGULAR;
    memset(beta, 0, sizeof beta);
    /* Start at the overall rate on the intercept-like first column. */
    if (!o->aliased[0] && Y > 0)
        beta[0] = log((double)Y / T);
    for (o->iterations = 0; o->iterations < 100; o->iterations++) {
        double dev = 0;
        memset(a, 0, sizeof a);
        memset(g, 0, sizeof g);
        for (size_t k = 0; k < m; k++) {
            double eta = 0, mu;
            for (size_t j = 0; j < p; j++)
                if (!o->aliased[j])
                    eta += x[k * p + j] * beta[j];
            mu = t[k] * exp(eta);
            if (y[k] > 0)
                dev += 2 * ((double)y[k] * log((double)y[k] / mu) - ((double)y[k] - mu));
            else
                dev += 2 * mu;
            for (size_t i = 0; i < p; i++) {
                g[i] += x[k * p + i] * ((double)y[k] - mu);
                for (size_t j = 0; j < p; j++)
                    a[i * p + j] += mu * x[k * p + i] * x[k * p + j];
            }
        }
        unsigned char skip[CS_CLU_MAXP];
        memcpy(skip, o->aliased, sizeof skip);
        if (chol(a, p, skip, 1e-14) < o->rank) {
            o->status |= CS_NOTE_POISSON_SEPARATION;
            break;
        }
        chol_inverse(a, p, skip, inv);
        for (size_t i = 0; i < p; i++) {
            step[i] = 0;
            for (size_t j = 0; j < p; j++)
                step[i] += inv[i * p + j] * g[j];
        }
        for (size_t i = 0; i < p; i++)
            if (!o->aliased[i])
                beta[i] += step[i];
        if (fabs(dev - dev_old) <= 1e-10 * (fabs(dev) + 0.1)) {
            o->converged = 1;
            o->iterations++;
            break;
        }
        dev_old = dev;
    }
    /* Model-based covariance at the final beta. */
    memset(a, 0, sizeof a);
    for (size_t k = 0; k < m; k++) {
        double eta = 0, mu;
        for (size_t j = 0; j < p; j++)
            if (!o->aliased[j])
                eta += x[k * p + j] * beta[j];
        mu = t[k] * exp(eta);
        if (y[k] == 0 && mu < 1e-8 * t[k])
            o->status |= CS_NOTE_POISSON_SEPARATION;
        for (size_t i = 0; i < p; i++)
            for (size_t j = 0; j < p; j++)
                a[i * p + j] += mu * x[k * p + i] * x[k * p + j];
    }
    {
        unsigned char skip[CS_CLU_MAXP];
        memcpy(skip, o->aliased, sizeof skip);
        chol(a, p, skip, 1e-14);
        chol_inverse(a, p, skip, inv);
        for (size_t j = 0; j < p; j++) {
            if (o->aliased[j])
                continue;
            o->beta[j] = beta[j];
            if (skip[j])
                continue;
            o->se[j] = sqrt(inv[j * p + j]);
            o->lower[j] = exp(beta[j] - z * o->se[j]);
            o->upper[j] = exp(beta[j] + z * o->se[j]);
            o->p_value[j] = 2 * gsl_cdf_ugaussian_Q(fabs(beta[j] / o->se[j]));
        }
    }
    if (!o->converged)
        o->status |= CS_NOTE_LOGIT_NOT_CONVERGED;
    return 0;
}

/* ---- the "cluster" accumulator (acc.h) ------------------------------- */

static int cluster_wanted(const cs_acc_opts *o)
{
    return o->sessions && o->cluster;
}

static int cluster_create(cs_agg *a, const cs_acc_opts *o, cs_error *err)
{
    (void)o;
    return cs_clu_create(&a->clu, err);
}

static void cluster_dispose(cs_agg *a)
{
    cs_clu_free(a->clu);
    a->clu = NULL;
}

static int cluster_add(cs_agg *a, cs_acc_row *r, cs_error *err)
{
    if (r->outcome < 0)
        return CS_OK;
    return add_session(a->clu, &a->clu_wave, r->participant, r->factor,
                       r->level, r->outcome, r->mmin, err);
}

/* Add one session of the run's participant i to its entry key: the
 * run's entries e[0] ... e[*count - 1] are kept in registers across the
 * run and read again after new_entry moves or grows them. 0; -1 out of
 * memory, -2 a count overflows. */
static inline __attribute__((always_inline)) int
add_run_entry(cs_clu *c, size_t i, entry **e, uint32_t *count, uint64_t key,
              uint64_t y, uint64_t mmin)
{
    uint32_t j = 0;

    while (j < *count && (*e)[j].key != key)
        j++;
    if (j < *count) {
        entry *x = &(*e)[j];
        /* y <= n in every entry (a state read is checked for it, and
         * every add keeps it): n is the only count to check */
        if (x->n == UINT32_MAX || mmin > UINT64_MAX - x->mmin)
            return -2;
        x->n++;
        x->y += (uint32_t)y;
        x->mmin += mmin;
        return 0;
    }
    int rc = new_entry(c, i, key, 1, y, mmin);
    const person *q = &c->p[i];
    *e = c->e + q->off;
    *count = q->count;
    return rc;
}

/* Input not grouped by participant (sessions in time order, say) has
 * nearly every row another participant's, and each lookup waited on
 * three misses one after another: the slot, the participant, its
 * entries (and its id to compare). Fetched here for the chunk's runs
 * first, one stage for all of them before the next, the misses of a
 * stage overlap; a participant whose number the map holds is fetched
 * from the map instead of the slot, and its id is not read. Only where
 * the table is built: input grouped by participant never builds it. */
static void fetch_people(const cs_clu *c, const cs_acc_row *r, size_t n)
{
    uint32_t s[CS__FETCH_MAX];
    unsigned char byid[CS__FETCH_MAX];
    size_t m = cs__fetch_people(r, n, &c->who, c->slot, c->nslot, s, byid);

    for (size_t k = 0; k < m; k++)
        if (s[k])
            __builtin_prefetch(&c->p[s[k] - 1]);
    for (size_t k = 0; k < m; k++)
        if (s[k]) {
            const person *q = &c->p[s[k] - 1];
            if (byid[k])
                __builtin_prefetch(q->id);
            if (q->count)
                __builtin_prefetch(c->e + q->off);
        }
}

/* cluster_add for r[0] ... r[n - 1]. Sessions come grouped by
 * participant, so a chunk is mostly runs of one id: the participant is
 * looked up once a run, the run's later rows compared with its first. A
 * failing row gives the error and state that adding one at a time does:
 * rows before it are in, it and those after it are not. */
static size_t cluster_add_rows(cs_agg *a, cs_acc_row *r, size_t n,
                               cs_error *err)
{
    cs_clu *c = a->clu;
    cs_clu_wave *w = &a->clu_wave;
    size_t j = 0;

    if (c->slot)
        fetch_people(c, r, n);
    while (j < n) {
        if (r[j].outcome < 0) {
            j++;
            continue;
        }
        cs_str id = r[j].participant;
        long i = find_person(c, id, r[j].who);
        if (i < 0) {
            add_error(-1, id, err);
            return j;
        }
        const person *q = &c->p[i];
        /* (no arithmetic on c->e before its first entry: NULL + 0 is UB) */
        entry *e = q->count ? c->e + q->off : NULL;
        uint32_t count = q->count;
        do {
            if (r[j].outcome < 0)
                continue;
            uint64_t key = (uint64_t)(r[j].level & CS_CLU_NO_LEVEL)
                               << CS_CLU_LEVEL_SHIFT |
                           pack_key(w, r[j].factor);
            int rc = add_run_entry(c, (size_t)i, &e, &count, key,
                                   r[j].outcome > 0, r[j].mmin);
            if (rc < 0) {
                add_error(rc, id, err);
                return j;
            }
        } while (++j < n && r[j].participant.len == id.len &&
                 cs_bytes_eq(r[j].participant.ptr, id.ptr, id.len));
    }
    return n;
}

static int cluster_merge(cs_agg *into, cs_agg *from, cs_acc_pass *p,
                         cs_error *err)
{
    /* Into had no participants and no levels (the first file of a run):
     * from's level indices are into's, so its sums are handed over, not
     * added one entry at a time; the empty table goes back. */
    if (p->may_take && cs_clu_participants(into->clu) == 0 &&
        p->into_levels == 0) {
        cs_clu *mine = into->clu;
        cs__who_clear(&from->clu->who);   /* numbers of from's rows */
        into->clu = from->clu;
        from->clu = mine;
        return CS_OK;
    }
    return cs_clu_merge(into->clu, from->clu, p->level_map, p->nlevels, err);
}

static int cluster_finish(cs_agg *a, cs_acc_pass *p, cs_error *err)
{
    if (p->level_map)
        cs_clu_remap_levels(a->clu, p->level_map, p->nlevels);
    return cs_clu_finish(a->clu, err);
}

/* Item 0 is the count's line, item i + 1 participant i. */
static int cluster_write_part(const cs_agg *a, cs_buf *b, size_t *from,
                              size_t room)
{
    size_t i;
    int more;

    if (*from == 0) {
        cs_buf_printf(b, "participants %zu\n", cs_clu_participants(a->clu));
        *from = 1;
    }
    i = *from - 1;
    more = cs_clu_write_part(a->clu, b, &i, room);
    *from = i + 1;
    return more;
}

/* The section at once: its pieces, with no bound on a piece. */
static void cluster_write(const cs_agg *a, cs_buf *b)
{
    size_t from = 0;

    cluster_write_part(a, b, &from, SIZE_MAX);
}

static int cluster_read(cs_agg *a, cs__ptext *t)
{
    cs_str rest, line;
    uint64_t declared;
    int rc;

    if ((rc = cs__ptext_key(t, "participants", &rest)) < 0 ||
        (rc = cs__ptext_u64(t, &rest, &declared)) < 0)
        return rc;
    unsigned long at = t->line;
    if (rest.len)
        return cs__ptext_err(t, t->line, "text after the count");
    while ((rc = cs__ptext_line(t, &line)) > 0) {
        char why[160];
        if (!cs_str_eq(cs__ptext_word(&line), "p"))
            return cs__ptext_err(t, t->line, "expected a participant line "
                                 "(\"p\")");
        if (cs_clu_read_line(a->clu, line, a->nadj, why, sizeof why) < 0)
            return cs__ptext_err(t, t->line, "%s", why);
    }
    if (rc == 0 && cs_clu_participants(a->clu) != declared)
        return cs__ptext_err(t, at, "the participants line counts %llu "
                             "participants, the state has %zu (the state was "
                             "edited or is corrupt)",
                             (unsigned long long)declared,
                             cs_clu_participants(a->clu));
    return rc;
}

/* The participants' sums count the same sessions, cases and exposure as
 * the cells and the pattern tables. */
static int cluster_check(const cs_agg *a, cs__ptext *t)
{
    uint64_t cell[CS_F_N][3][3];
    size_t np = a->nadj * CS_AGG_PATTERNS;
    uint64_t *pn = calloc(np + 1, 3 * sizeof *pn), *py = pn + np, *pm = py + np;
    int bad = 0;

    if (!pn)
        return cs_error_set(t->err, CS_ENOMEM, "out of memory");
    cs_clu_totals(a->clu, cell, a->nadj, pn, py, pm);
    for (int f = 0; f < CS_F_N && !bad; f++)
        for (int e = 0; e < 3 && !bad; e++) {
            uint64_t s[3] = { 0, 0, 0 };
            for (size_t i = 0; i < a->nstrata; i++) {
                s[0] += a->strata[i].cell[f][e].sessions;
                s[1] += a->strata[i].cell[f][e].cases;
                s[2] += a->strata[i].cell[f][e].mmin;
            }
            bad = memcmp(s, cell[f][e], sizeof s) != 0;
        }
    for (size_t j = 0; j < a->nadj && !bad; j++)
        for (unsigned k = 0; k < CS_AGG_PATTERNS && !bad; k++)
            bad = a->adj[j].n[k] != pn[j * CS_AGG_PATTERNS + k] ||
                  a->adj[j].y[k] != py[j * CS_AGG_PATTERNS + k] ||
                  a->adj[j].m[k] != pm[j * CS_AGG_PATTERNS + k];
    free(pn);
    if (bad)
        return cs__ptext_err(t, t->line, "the participants' sessions do not "
                             "add up to the cells and patterns (the state "
                             "was edited or is corrupt)");
    return CS_OK;
}

static const char *const cluster_needs[] = { "sessions", "factors", "logistic",
                                             NULL };

const cs_acc_kind cs_acc_cluster = {
    "cluster", 1, cluster_needs, cluster_wanted, cluster_create,
    cluster_dispose, cluster_add, NULL, cluster_merge, cluster_finish,
    cluster_write, cluster_read, cluster_check, cs__report_cluster,
    cs__report_cluster_factors,
    cluster_add_rows,
    cluster_write_part,
};
