/* Dose-response accumulator and its statistics (dose.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <crampstat/aggregate.h>
#include <crampstat/dose.h>
#include <crampstat/grow.h>
#include <crampstat/value.h>
#include <crampstat/writer.h>
#include "internal.h"

#define next_word cs__ptext_word
#define parse_u64 cs__parse_u64

static const char *const exposure_names[CS_DOSE_N] = {
    "intensity_rpe", "heat_index_c", "fluid_ml_per_h", "warmup_min",
    "duration_min", "calcium_mg", "potassium_mg"
};

const char *cs_dose_exposure_name(int e)
{
    return e >= 0 && e < CS_DOSE_N ? exposure_names[e] : NULL;
}

/* ---- participants ---------------------------------------------------- */

/* A participant's counts in the bands it has sessions in, for the robust
 * trend: one block of bytes in a pool, an entry a band, in key order
 * (key = exposure * 16 + band, below 128). An entry is the key's byte,
 * its top bit set when the band has no case, then the sessions and, unless
 * none, the cases, each as a LEB128 number (7 bits a byte, low bits
 * first). Sessions and cases in one band are at most 2^32 - 1, as a
 * participant's counts in cluster.c are (more are refused as an overflow,
 * never wrapped); the band totals (cs_dose_band) have 64 bits.
 *
 * Most entries take two bytes, where a pair of 32-bit counts and a key
 * took nine: 8.4 MB instead of 33 MB for the 3.66 million entries of
 * the 5M-session benchmark, memory written for the first time as the
 * sessions stream, which costs CPU (docs/performance-log.md, round 18). */
#define NKEYS (CS_DOSE_N * 16)
#define TOUCH_WORDS ((NKEYS + 63) / 64)
#define NO_CASES 0x80u
/* The most bytes an entry takes: the key and two 5-byte numbers. */
#define ENTRY_MAX 11
_Static_assert(NKEYS <= 128 && NO_CASES == 1u << 7,
               "a key and the no-case bit in one byte");

/* A participant: its entries are the len bytes of the pool from off. */
typedef struct person {
    const char *id;               /* in the id store: never moves */
    uint32_t id_len, hash;
    uint64_t off;
    uint32_t len;
} person;

struct cs_dose_people {
    person *p;
    size_t n, cap;
    uint32_t *slot;               /* open addressing: index + 1, 0 empty;
                                     NULL while every id has risen */
    size_t nslot;                 /* kept also while slot is NULL */
    /* Every participant's block, back to back. A participant met again
     * after others (input not grouped by participant) is counted up in
     * its block where it can be (one_in_place), else written anew at the
     * end; the hole it leaves is reclaimed when the pool is next
     * compacted. */
    unsigned char *pool;
    size_t used, cape, holes;
    cs__idstore ids;              /* person.id points into it */
    cs__whomap who;               /* the rows' numbers of the participants */
    /* The participant whose sessions are being added (index + 1, 0
     * none) and its pending counts, by key; touched has a bit for each
     * key with counts. Sessions come grouped by participant, so a session
     * costs an id comparison and the bands' increments, and the pool is
     * written once per participant. While live (cs_dose_add counts the
     * current participant) its sessions are not pended one by one: they
     * are the bands' counts less snap, the bands' sessions and cases when
     * it became current, pended once, when it is settled (catch_up), or,
     * after one session, counted up in its block (one_in_place). */
    size_t cur;
    uint64_t cn[NKEYS], cy[NKEYS];
    uint64_t touched[TOUCH_WORDS];
    int live;
    struct { uint64_t n, y; } snap[NKEYS];
    /* cs_dose_add's test for "the same participant as the last
     * session": its id, when that participant has had more than one
     * session since the snapshot; else cur_len is SIZE_MAX (no id is so
     * long), so that a participant's second session goes by
     * change_person too, which notes it in many. Till then the one
     * session's exposures and outcome are kept: a participant settled
     * after that session alone (every one, on input not grouped by
     * participant, as when sorted by start time) is caught up from its
     * bands, seven at most, rather than by a scan of every band. Nothing
     * is counted a session: on grouped input the second session's
     * detour costs less than the look-up of cur's entry it saves. */
    const char *cur_id;
    size_t cur_len;
    int many;
    double v1[CS_DOSE_N];
    uint64_t y1;
    /* The calcium and potassium intakes come from the participant's
     * survey wave, so they repeat from session to session. The sessions
     * since the last fold_run whose two values had the same bits (run_n
     * of them, 0 none; run_y cases, run_m milli-minutes) are added to
     * the two bands, run_slot (cs_dose_band_of's: -2 missing, -1 below),
     * at once: by fold_run, before anything reads the bands. A session
     * then costs a comparison of the two values instead of two bands'
     * look-ups and increments. */
    uint64_t run_bits[2];
    int run_slot[2];
    uint64_t run_n, run_y, run_m;
    /* Whether a participant was added after one whose id sorts after it,
     * so that cs_dose_finish must sort them. Input grouped by participant
     * and sorted by id does not; the blocks are in key order always. */
    int people_unordered;
};

/* One entry of a block: key, sessions, cases. */
typedef struct dentry {
    unsigned key;
    uint32_t n, y;
} dentry;

static unsigned char *put_num32(unsigned char *q, uint32_t v)
{
    while (v >= 0x80) {
        *q++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *q++ = (unsigned char)v;
    return q;
}

static const unsigned char *get_num32(const unsigned char *q, uint32_t *v)
{
    uint32_t x = *q & 0x7f;
    int s = 7;

    /* The pool holds only what put_num32 wrote: at most 5 bytes. */
    while (*q++ & 0x80) {
        x |= (uint32_t)(*q & 0x7f) << s;
        s += 7;
    }
    *v = x;
    return q;
}

/* The entry at q into *e; returns the next one's place. Counts under
 * 128 (nearly all) are read with no jump on whether there are cases
 * (about a quarter of the entries have): the byte read for them is the
 * sessions' again when there are none, inside the entry either way. */
static inline const unsigned char *get_entry(const unsigned char *q,
                                             dentry *e)
{
    unsigned k = q[0], has = !(k & NO_CASES);
    unsigned n = q[1], y = q[1 + has] & (0u - has);

    if (__builtin_expect(((n | y) & 0x80) == 0, 1)) {
        e->key = k & ~NO_CASES;
        e->n = n;
        e->y = y;
        return q + 2 + has;
    }
    q++;

    e->key = k & ~NO_CASES;
    q = get_num32(q, &e->n);
    e->y = 0;
    if (!(k & NO_CASES))
        q = get_num32(q, &e->y);
    return q;
}

static unsigned char *put_entry(unsigned char *q, unsigned key, uint32_t n,
                                uint32_t y)
{
    *q++ = (unsigned char)(key | (y ? 0 : NO_CASES));
    q = put_num32(q, n);
    return y ? put_num32(q, y) : q;
}

/* put_entry for counts under 128 (y <= n < 128), as nearly all are,
 * with no jump on whether there are cases: their byte is written always
 * and passed over when there are none. Writes 3 bytes (ENTRY_MAX
 * reserved). */
static inline unsigned char *put_small(unsigned char *q, unsigned key,
                                       unsigned n, unsigned y)
{
    /* 1 when y is 0, by arithmetic: GCC made a jump of y ? 0 : 1 */
    unsigned none = (y - 1) >> 31;

    q[0] = (unsigned char)(key | none << 7);
    q[1] = (unsigned char)n;
    q[2] = (unsigned char)y;
    return q + 3 - none;
}

/* Participant p's block, its start and end: both NULL when it has none,
 * so that a walk to the end (with !=, which two NULLs may be compared
 * by) takes no step. */
static const unsigned char *block(const cs_dose_people *t, const person *p,
                                  const unsigned char **end)
{
    /* (no arithmetic on a NULL pool: UB) */
    const unsigned char *q = p->len ? t->pool + p->off : NULL;

    *end = q ? q + p->len : NULL;
    return q;
}

static int rehash(cs_dose_people *t, size_t nslot)
{
    uint32_t *s = calloc(nslot, sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < t->n; i++) {
        size_t h = t->p[i].hash & (nslot - 1);
        while (s[h])
            h = (h + 1) & (nslot - 1);
        s[h] = (uint32_t)(i + 1);
    }
    free(t->slot);
    t->slot = s;
    t->nslot = nslot;
    return 0;
}

static int cmp_person(const void *x, const void *y)
{
    const person *a = x, *b = y;
    return cs_str_cmp((cs_str){ a->id, a->id_len }, (cs_str){ b->id, b->id_len });
}

/* Index + 1 of participant id, added (with no entries) when new; 0 out
 * of memory. *isnew says whether it was added. As in cluster.c, the
 * table is built only at the first new id that does not rise: till then
 * an id above the last one is new without a probe. */
static size_t find_person(cs_dose_people *t, const char *id, size_t len,
                          int *isnew)
{
    uint32_t h = cs__id_hash(id, len);
    size_t k = 0;

    *isnew = 0;
    if (t->nslot == 0)
        t->nslot = 64;
    if (!t->slot && t->n &&
        cs_str_cmp((cs_str){ t->p[t->n - 1].id, t->p[t->n - 1].id_len },
                   (cs_str){ id, len }) >= 0 &&
        rehash(t, t->nslot) < 0)
        return 0;
    for (k = h & (t->nslot - 1); t->slot && t->slot[k];
         k = (k + 1) & (t->nslot - 1)) {
        const person *p = &t->p[t->slot[k] - 1];
        if (p->hash == h && p->id_len == len && cs_bytes_eq(p->id, id, len))
            return t->slot[k];
    }
    if (t->n >= UINT32_MAX - 1 || len >= UINT32_MAX)
        return 0;
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        person *np = cs_grow_realloc(t->p, cap * sizeof *np);
        if (!np)
            return 0;
        t->p = np;
        t->cap = cap;
    }
    const char *s = cs__idstore_copy(&t->ids, id, len);
    if (!s)
        return 0;
    t->p[t->n] = (person){ s, (uint32_t)len, h, 0, 0 };
    /* Without a table every id so far has risen, this one too. */
    if (t->slot && t->n && cmp_person(&t->p[t->n - 1], &t->p[t->n]) >= 0)
        t->people_unordered = 1;
    ++t->n;
    if (t->slot)
        t->slot[k] = (uint32_t)t->n;
    *isnew = 1;
    if (2 * t->n > t->nslot) {
        if (!t->slot)
            t->nslot *= 2;
        else if (rehash(t, 2 * t->nslot) < 0)
            return 0;
    }
    return t->n;
}

/* find_person for a row with the number who (cs_acc_row.who, 0 none):
 * by the number when the participant was found by it before. Numbers
 * are recorded once the table is built (input not grouped by
 * participant, where each row is another's), as in cluster.c. */
static size_t find_who(cs_dose_people *t, const char *id, size_t len,
                       uint32_t who, int *isnew)
{
    uint32_t k = cs__who_get(&t->who, who);
    size_t idx;

    if (k) {
        *isnew = 0;
        return k;
    }
    idx = find_person(t, id, len, isnew);
    if (idx && who && t->slot &&
        cs__who_set(&t->who, who, (uint32_t)idx, t->n) < 0)
        return 0;
    return idx;
}

/* pool_room when the pool is full: it grows, or is compacted (the
 * blocks copied in participant order) when holes are at least half of
 * it. */
static __attribute__((noinline)) int pool_grow(cs_dose_people *t, size_t more)
{
    size_t need = t->used + more;

    if (need < t->used)
        return -1;
    if (t->holes && t->holes >= t->used / 2) {
        size_t cap = t->cape, at = 0;
        while (cap < t->used - t->holes + more)
            cap *= 2;
        unsigned char *np = cs_grow_realloc(NULL, cap);
        if (!np)
            return -1;
        for (size_t i = 0; i < t->n; i++) {
            person *p = &t->p[i];
            if (p->len)
                memcpy(np + at, t->pool + p->off, p->len);
            p->off = at;
            at += p->len;
        }
        cs_grow_free(t->pool);
        t->pool = np;
        t->cape = cap;
        t->used = at;
        t->holes = 0;
        return 0;
    }
    size_t cap = t->cape ? 2 * t->cape : 16384;
    while (cap < need)
        cap *= 2;
    unsigned char *np = cs_grow_realloc(t->pool, cap);
    if (!np)
        return -1;
    t->pool = np;
    t->cape = cap;
    return 0;
}

/* Room for more bytes at the pool's end (pool_grow when there is
 * none), inline in both writers of blocks. */
static inline int pool_room(cs_dose_people *t, size_t more)
{
    size_t need = t->used + more;

    return need <= t->cape ? 0 : pool_grow(t, more);
}

/* Forgets the pending counts (after an error). */
static void drop(cs_dose_people *t)
{
    memset(t->cn, 0, sizeof t->cn);
    memset(t->cy, 0, sizeof t->cy);
    memset(t->touched, 0, sizeof t->touched);
    t->cur = 0;
    t->cur_len = SIZE_MAX;
    t->live = 0;
}

/* Makes participant index + 1 the current one, its pending counts 0. */
static void start(cs_dose_people *t, size_t idx)
{
    t->cur = idx;
    t->cur_len = SIZE_MAX;
}

/* Pending n, y for key of the current participant. */
static void pend(cs_dose_people *t, unsigned key, uint64_t n, uint64_t y)
{
    t->touched[key / 64] |= UINT64_C(1) << (key % 64);
    t->cn[key] += n;
    t->cy[key] += y;
}

/* Writes the current participant's pending counts, with the counts of
 * its block if it has one, as its block at the pool's end (over the old
 * one when that is the last); -1 out of memory, -2 a count overflows 32
 * bits. On either failure the pending counts are dropped and the block
 * stays as it was. The keys come out in order from the touched bits. */
static int flush(cs_dose_people *t)
{
    person *p;
    size_t bytes = 0;
    const unsigned char *end;
    unsigned char *q;

    if (!t || !t->cur)
        return 0;
    p = &t->p[t->cur - 1];
    for (const unsigned char *b = block(t, p, &end); b != end;) {
        dentry e;
        b = get_entry(b, &e);
        pend(t, e.key, e.n, e.y);
    }
    for (int w = 0; w < TOUCH_WORDS; w++)
        for (uint64_t m = t->touched[w]; m; m &= m - 1) {
            unsigned key = (unsigned)(w * 64 + __builtin_ctzll(m));
            if (t->cn[key] > UINT32_MAX) {     /* cy <= cn */
                drop(t);
                return -2;
            }
            bytes += t->cn[key] ? ENTRY_MAX : 0;
        }
    if (bytes) {
        if (pool_room(t, bytes) < 0) {
            drop(t);
            return -1;
        }
        /* The old block, read above, is written over when it is the
         * pool's last, else left as a hole. */
        p = &t->p[t->cur - 1];
        if (p->len && p->off + p->len == t->used)
            t->used = p->off;
        else
            t->holes += p->len;
        q = t->pool + t->used;
        for (int w = 0; w < TOUCH_WORDS; w++)
            for (uint64_t m = t->touched[w]; m; m &= m - 1) {
                unsigned key = (unsigned)(w * 64 + __builtin_ctzll(m));
                if (t->cn[key])        /* a band with no session: no entry */
                    q = put_entry(q, key, (uint32_t)t->cn[key],
                                  (uint32_t)t->cy[key]);
                t->cn[key] = t->cy[key] = 0;
            }
        p->off = t->used;
        p->len = (uint32_t)(q - (t->pool + t->used));
        t->used += p->len;
    }
    memset(t->touched, 0, sizeof t->touched);
    t->cur = 0;
    t->cur_len = SIZE_MAX;
    t->live = 0;
    return 0;
}

/* flush's failure rc as an error: out of memory, or participant id's
 * counts past 32 bits (as cluster.c words it). */
static int settle_rc(cs_str id, int rc, cs_error *err)
{
    if (rc == -1)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    if (rc == -2)
        return cs_error_set(err, CS_EDATA, "participant \"%.*s\": a session "
                            "or case count of one dose-response band "
                            "overflows 32 bits",
                            (int)(id.len > 64 ? 64 : id.len), id.ptr);
    return CS_OK;
}

/* The id of t's current participant, for settle_rc. */
static cs_str cur_id(const cs_dose_people *t)
{
    const person *p = t && t->cur ? &t->p[t->cur - 1] : NULL;
    return p ? (cs_str){ p->id, p->id_len } : (cs_str){ "", 0 };
}

/* flush, its failure as an error. */
static int settle(cs_dose_people *t, cs_error *err)
{
    cs_str id = cur_id(t);
    return settle_rc(id, flush(t), err);
}

/* The bands' sessions and cases, as the live participant's start. */
static void snapshot(const cs_dose *d)
{
    cs_dose_people *t = d->people;

    for (int e = 0; e < CS_DOSE_N; e++) {
        const cs_dose_exp *x = &d->e[e];
        for (int b = 0; b < x->cuts.n; b++) {
            t->snap[e * 16 + b].n = x->band[b].sessions;
            t->snap[e * 16 + b].y = x->band[b].cases;
        }
    }
}

static inline unsigned band_fast(const cs_dose_exp *x, double v);

/* The exposures whose sessions are added by runs (run_n): the last two. */
#define RUN_FIRST CS_DOSE_CALCIUM
_Static_assert(CS_DOSE_CALCIUM + 1 == CS_DOSE_POTASSIUM &&
               CS_DOSE_POTASSIUM + 1 == CS_DOSE_N,
               "the runs' exposures are the last two");

/* The run's sessions into the bands of calcium and potassium; nothing
 * (no write) when there are none, as after cs_dose_finish, so that the
 * readers of a finished d may share it. */
static void fold_run(const cs_dose *dc)
{
    cs_dose_people *t = dc->people;

    if (!t || !t->run_n)
        return;
    /* Sessions were added to d since the last fold: it is not const. */
    cs_dose *d = (cs_dose *)dc;
    for (int i = 0; i < 2; i++) {
        cs_dose_exp *x = &d->e[RUN_FIRST + i];
        int s = t->run_slot[i];
        if (s == -2) {
            x->missing += t->run_n;
        } else if (s == -1) {
            x->below += t->run_n;
        } else {
            x->band[s].sessions += t->run_n;
            x->band[s].cases += t->run_y;
            x->band[s].mmin += t->run_m;
        }
    }
    t->run_n = t->run_y = t->run_m = 0;
}

/* The key of the band exposure e of the live participant's one session
 * (v1) is in, into *key: 1; 0 when the value is missing or below the
 * first cut. catch_up pends it, or one_in_place counts it up in the
 * block, exposure by exposure (a walk that stops at the first band the
 * block lacks, before the rest are found). */
static inline int one_key(const cs_dose *d, int e, unsigned *key)
{
    const cs_dose_exp *x = &d->e[e];
    double ve = d->people->v1[e];

    if (!(ve >= x->cuts.cut[0]))
        return 0;
    *key = (unsigned)e * 16 + band_fast(x, ve);
    return 1;
}

/* The live participant's sessions since its snapshot, pended, and the
 * snapshot taken again (so that it may be caught up more than once);
 * nothing when none is live. Only the participants' table changes. */
static void catch_up(const cs_dose *d)
{
    cs_dose_people *t = d->people;

    fold_run(d);
    if (!t || !t->live)
        return;
    if (!t->many) {
        /* One session: its bands, as cs_dose_add found them, moved by
         * one session and its outcome, and no other. */
        for (int e = 0; e < CS_DOSE_N; e++) {
            unsigned key;
            if (!one_key(d, e, &key))
                continue;
            pend(t, key, 1, t->y1);
            t->snap[key].n++;
            t->snap[key].y += t->y1;
        }
        t->many = 1;    /* not again: a later session may add to them */
        return;
    }
    for (int e = 0; e < CS_DOSE_N; e++) {
        const cs_dose_exp *x = &d->e[e];
        for (int b = 0; b < x->cuts.n; b++) {
            unsigned key = (unsigned)(e * 16 + b);
            uint64_t n = x->band[b].sessions, y = x->band[b].cases;
            if (n != t->snap[key].n)
                pend(t, key, n - t->snap[key].n, y - t->snap[key].y);
            t->snap[key].n = n;
            t->snap[key].y = y;
        }
    }
}

/* Whether d's participants are settled by catch_up_new: the current
 * one is live, has had more than one session, has no block yet (met for
 * the first time) and nothing pending. */
static inline int new_and_live(const cs_dose *d)
{
    const cs_dose_people *t = d->people;
    uint64_t pending = 0;

    if (!t || !t->live || !t->many || !t->cur || t->p[t->cur - 1].len)
        return 0;
    for (int w = 0; w < TOUCH_WORDS; w++)
        pending |= t->touched[w];
    return !pending;
}

/* catch_up and flush in one, when new_and_live: the participant's
 * entries are the bands' counts less the snapshot, written straight to
 * the pool in key order, as flush would write them from the pending
 * counts. 0, or flush's failures (-1, -2, the counts dropped). */
static __attribute__((noinline)) int catch_up_new(const cs_dose *d)
{
    cs_dose_people *t = d->people;
    unsigned char key[NKEYS];
    uint64_t dn[NKEYS], dy[NKEYS];
    size_t k = 0;
    person *p;
    unsigned char *q;
    /* Every band's sessions or-ed: past 32 bits when one is (dy <= dn),
     * under 128 when all are (each entry then put_small's) */
    uint64_t all = 0;

    for (int e = 0; e < CS_DOSE_N; e++) {
        const cs_dose_exp *x = &d->e[e];
        /* Each band written at k, and k moved past it only when the
         * participant has sessions in it: no jump on which bands it has
         * (about half of them, a coin toss for the branch predictor). */
        for (int b = 0; b < x->cuts.n; b++) {
            unsigned kk = (unsigned)(e * 16 + b);
            uint64_t n = x->band[b].sessions, y = x->band[b].cases;
            key[k] = (unsigned char)kk;
            dn[k] = n - t->snap[kk].n;
            dy[k] = y - t->snap[kk].y;
            all |= dn[k];
            k += dn[k] != 0;
            t->snap[kk].n = n;
            t->snap[kk].y = y;
        }
    }
    if (all > UINT32_MAX) {
        drop(t);
        return -2;
    }
    if (k) {
        if (pool_room(t, k * ENTRY_MAX) < 0) {
            drop(t);
            return -1;
        }
        p = &t->p[t->cur - 1];
        q = t->pool + t->used;
        if (all < 0x80)
            for (size_t i = 0; i < k; i++)
                q = put_small(q, key[i], (unsigned)dn[i], (unsigned)dy[i]);
        else
            for (size_t i = 0; i < k; i++)
                q = dn[i] < 0x80 ? put_small(q, key[i], (unsigned)dn[i],
                                             (unsigned)dy[i])
                                 : put_entry(q, key[i], (uint32_t)dn[i],
                                             (uint32_t)dy[i]);
        p->off = t->used;
        p->len = (uint32_t)(q - (t->pool + t->used));
        t->used += p->len;
    }
    t->cur = 0;
    t->cur_len = SIZE_MAX;
    t->live = 0;
    return 0;
}

/* catch_up and flush in one for a participant met again after others
 * with one session since (every session, on input in time order): when
 * its block has an entry for each of the session's bands, each with
 * fewer than 127 sessions, and, if the session is a case, with a cases'
 * byte, those bytes are counted up where they lie (each number stays one
 * byte). flush would decode the whole block, pend it and write it anew
 * at the pool's end, leaving a hole unless it was the last; here only
 * the entries up to the session's last band are read, and nothing is
 * written elsewhere. 1 when done; 0 having changed nothing, for
 * catch_up and flush (an outcome other than 0 or 1 too, which
 * cs_dose_add does not take). */
static int one_in_place(const cs_dose *d)
{
    cs_dose_people *t = d->people;
    unsigned char *at[CS_DOSE_N];
    unsigned keys[CS_DOSE_N];
    const unsigned char *q, *end;
    unsigned y1, nk = 0;
    const person *p;

    if (!t || !t->live || t->many || !t->cur || t->y1 > 1)
        return 0;
    p = &t->p[t->cur - 1];
    if (!p->len)
        return 0;
    for (int w = 0; w < TOUCH_WORDS; w++)
        if (t->touched[w])
            return 0;
    y1 = (unsigned)t->y1;
    q = block(t, p, &end);
    for (int e = 0; e < CS_DOSE_N; e++) {
        unsigned key;
        if (!one_key(d, e, &key))
            continue;
        /* The block is in key order, and so are the session's keys. */
        for (;;) {
            dentry en;
            if (q == end)
                return 0;
            if ((q[0] & ~NO_CASES) == key)
                break;
            if ((q[0] & ~NO_CASES) > key)
                return 0;
            q = get_entry(q, &en);
        }
        /* The sessions under 127, so one byte before and after, and so
         * are the cases (at most the sessions); with a case, an entry
         * that has a cases' byte to count it in. */
        if (q[1] >= 0x7f || (y1 && (q[0] & NO_CASES)))
            return 0;
        keys[nk] = key;
        at[nk++] = t->pool + (q - t->pool);
        q += 2 + !(q[0] & NO_CASES);
    }
    for (unsigned i = 0; i < nk; i++) {
        at[i][1]++;
        if (y1)
            at[i][2]++;   /* its cases' byte, checked above */
        t->snap[keys[i]].n++;
        t->snap[keys[i]].y += y1;
    }
    t->cur = 0;
    t->cur_len = SIZE_MAX;
    t->live = 0;
    return 1;
}

/* flush and settle of d's participants, the live one's sessions caught
 * up first: what every reader of the participants' counts calls. */
static int flush_d(const cs_dose *d)
{
    fold_run(d);
    if (new_and_live(d))
        return catch_up_new(d);
    if (one_in_place(d))
        return 0;
    catch_up(d);
    return flush(d->people);
}

static int settle_d(const cs_dose *d, cs_error *err)
{
    cs_str id = cur_id(d->people);
    return settle_rc(id, flush_d(d), err);
}

static void people_free(cs_dose_people *t)
{
    if (!t)
        return;
    cs__idstore_free(&t->ids);
    cs_grow_free(t->p);
    free(t->slot);
    cs__who_clear(&t->who);
    cs_grow_free(t->pool);
    free(t);
}

/* ---- the accumulator ------------------------------------------------- */

/* x's table (cs_dose_exp.tab) when its cuts allow one. */
static void set_table(cs_dose_exp *x)
{
    const cs_dose_cuts *c = &x->cuts;

    x->tabled = 0;
    if (!(c->cut[0] >= 0))
        return;
    for (int i = 1; i < c->n; i++)
        if (!(c->cut[i] >= 1 && c->cut[i] < CS_DOSE_TABLE) ||
            c->cut[i] != (double)(int)c->cut[i])
            return;
    x->lim = c->n > 1 ? c->cut[c->n - 1] : 0;
    for (int v = 0, b = 0; v <= (int)x->lim; v++) {
        while (b + 1 < c->n && c->cut[b + 1] <= v)
            b++;
        x->tab[v] = (unsigned char)b;
    }
    x->tabled = 1;
}

/* Exposure e's bands: the cuts, hi, the four after the first (NaN past
 * the last), for band_fast, and the table; d->wide when there are more
 * than five. */
static void set_cuts(cs_dose *d, int e, const cs_dose_cuts *c)
{
    cs_dose_exp *x = &d->e[e];

    x->cuts = *c;
    for (int i = 0; i < 4; i++)
        x->hi[i] = i + 1 < c->n ? c->cut[i + 1] : NAN;
    d->wide |= c->n > 5;
    set_table(x);
    d->tabled = d->e[CS_DOSE_HEAT].cuts.n <= 5;
    for (int k = 0; k < RUN_FIRST; k++)
        d->tabled &= k == CS_DOSE_HEAT || d->e[k].tabled;
}

void cs_dose_init(cs_dose *d, const cs_rules *r)
{
    memset(d, 0, sizeof *d);
    d->present = 1;
    for (int e = 0; e < CS_DOSE_N; e++)
        set_cuts(d, e, &r->dose[e]);
}

int cs_dose_cluster(cs_dose *d, cs_error *err)
{
    if (d->people)
        return CS_OK;
    if (!(d->people = cs__calloc_lines(sizeof *d->people)))
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    d->people->cur_len = SIZE_MAX;
    return CS_OK;
}

void cs_dose_dispose(cs_dose *d)
{
    people_free(d->people);
    memset(d, 0, sizeof *d);
}

/* The band of v, given v >= c->cut[0]: the number of the later bounds it
 * reaches, the bounds rising strictly (cs_dose_band_of; cs_dose_add and
 * catch_up now take band_fast, below). A count with no branch to guess
 * wrong: 83.0 M instructions for cs_dose_add on 200,612 sessions, against
 * 96.1 M scanning down from the top and 114 M for a binary search. The
 * switch jumps once, on the number of bounds (the same for an exposure
 * from session to session), into two instructions a bound, where a loop
 * tested its end after each: 54.3 M instead of 56.6 M. */
_Static_assert(CS_DOSE_MAXBANDS == 12, "band_within and cs_dose_banded "
               "unroll their switches for up to 12 cuts");

static inline unsigned band_within(const cs_dose_cuts *c, double v)
{
    unsigned b = 0;

    switch (c->n) {
    case 12: b += v >= c->cut[11]; /* fall through */
    case 11: b += v >= c->cut[10]; /* fall through */
    case 10: b += v >= c->cut[9];  /* fall through */
    case 9:  b += v >= c->cut[8];  /* fall through */
    case 8:  b += v >= c->cut[7];  /* fall through */
    case 7:  b += v >= c->cut[6];  /* fall through */
    case 6:  b += v >= c->cut[5];  /* fall through */
    case 5:  b += v >= c->cut[4];  /* fall through */
    case 4:  b += v >= c->cut[3];  /* fall through */
    case 3:  b += v >= c->cut[2];  /* fall through */
    case 2:  b += v >= c->cut[1];  /* fall through */
    default: break;
    }
    return b;
}

/* band_within(&x->cuts, v), for cs_dose_add: four comparisons, with
 * the bounds past the last NaN, which no value reaches, rather than a
 * jump on the number of cuts (which cost more than the comparisons it
 * saved: the default bands have four or five cuts); the sixth cut on, if
 * any, counted apart. */
static inline unsigned band_four(const cs_dose_exp *x, double v)
{
    return (unsigned)(v >= x->hi[0]) + (unsigned)(v >= x->hi[1]) +
           (unsigned)(v >= x->hi[2]) + (unsigned)(v >= x->hi[3]);
}

static inline unsigned band_fast(const cs_dose_exp *x, double v)
{
    unsigned b = band_four(x, v);

    if (__builtin_expect(x->cuts.n > 5, 0))
        for (int i = 5; i < x->cuts.n; i++)
            b += v >= x->cuts.cut[i];
    return b;
}

int cs_dose_band_of(const cs_dose_cuts *c, double v)
{
    if (isnan(v))
        return -2;
    if (v < c->cut[0])
        return -1;
    return (int)band_within(c, v);
}

double cs_dose_canonical(double v)
{
    /* tag's fmt_d: round |v| * 1e9 half away from zero; the text is the
     * decimal m / 1e9, which strtod reads back as the double nearest it,
     * as the division of two exact doubles gives (m < 2^53). */
    double x, r;
    uint64_t m;

    if (!(fabs(v) < 4e6))
        return v;
    x = fabs(v) * 1e9;
    m = (uint64_t)x;
    if (x >= (double)m + 0.5)
        m++;
    r = (double)m / 1e9;
    return v < 0 ? -r : r;
}

double cs_dose_banded(const cs_dose_cuts *c, double v)
{
    double m = HUGE_VAL;

    /* What cs_dose_canonical gives back unchanged, whatever the cuts:
     * v missing, infinite or past 4e6, and a whole number (|v| * 1e9 is
     * then exact, and so is its quotient by 1e9), but -0, which it makes
     * +0. Most values cs_dose_banded_quick passes on are these (missing,
     * or a whole number such as 600 ml/h), and are given back without a
     * look at the cuts. */
    if (!(fabs(v) < 4e6) ||
        (v == (double)(int64_t)v && (v != 0 || !signbit(v))))
        return v;

    /* The nearest cut's distance, branch-free: a NaN distance (NaN v)
     * compares false and is passed over, as an infinite cut's infinite
     * one is too far; x86's minsd is this expression, four instructions a
     * cut where or-ing each cut's test took seven. One jump on the number
     * of cuts, as in band_within. */
#define NEAREST(i) do {                                 \
        double d_ = fabs(v - c->cut[i]);                \
        m = d_ < m ? d_ : m;                            \
    } while (0)
    switch (c->n) {
    case 12: NEAREST(11); /* fall through */
    case 11: NEAREST(10); /* fall through */
    case 10: NEAREST(9);  /* fall through */
    case 9:  NEAREST(8);  /* fall through */
    case 8:  NEAREST(7);  /* fall through */
    case 7:  NEAREST(6);  /* fall through */
    case 6:  NEAREST(5);  /* fall through */
    case 5:  NEAREST(4);  /* fall through */
    case 4:  NEAREST(3);  /* fall through */
    case 3:  NEAREST(2);  /* fall through */
    case 2:  NEAREST(1);  /* fall through */
    case 1:  NEAREST(0);  /* fall through */
    default: break;
    }
#undef NEAREST
    return m <= 1e-6 ? cs_dose_canonical(v) : v;
}

/* An infinite cut (the heat index's first, by default) is passed over:
 * no value comes within 1e-6 of it. */
int cs_dose_cuts_whole(const cs_dose_cuts *c)
{
    for (int i = 0; i < c->n; i++) {
        if (isinf(c->cut[i]))
            continue;
        if (!(c->cut[i] < 1e9 && c->cut[i] > -1e9) ||
            c->cut[i] != (double)(int64_t)c->cut[i])
            return 0;
    }
    return 1;
}

/* A new participant for cs_dose_add: the last one's counts settled, the
 * bands' counts taken as the new one's start (catch_up). Apart, so that
 * the session's path keeps its registers (once per participant). */
__attribute__((noinline))
static int change_person(cs_dose *d, const double v[CS_DOSE_N], int outcome,
                         cs_str participant, uint32_t who, cs_error *err)
{
    cs_dose_people *t = d->people;
    /* the snapshot kept up by catch_up or one_in_place, in settle_d */
    int isnew, rc, snapped = t->live;
    size_t idx;

    if (t->cur) {
        const person *p = &t->p[t->cur - 1];
        /* By the rows' number when the map has it (the current one's id
         * is not in cache when it was found by its number), else by the
         * id. */
        uint32_t k = cs__who_get(&t->who, who);
        if (k ? k == t->cur
              : p->id_len == participant.len &&
                cs_bytes_eq(p->id, participant.ptr, participant.len)) {
            /* Its second session: the bands are scanned for its counts
             * (catch_up), and cs_dose_add knows it from now on. */
            t->many = 1;
            t->cur_id = p->id;
            t->cur_len = p->id_len;
            return CS_OK;
        }
    }
    if ((rc = settle_d(d, err)) < 0)
        return rc;
    idx = find_who(t, participant.ptr, participant.len, who, &isnew);
    if (!idx)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    start(t, idx);
    if (!snapped)
        snapshot(d);
    t->live = 1;
    t->many = 0;
    memcpy(t->v1, v, sizeof t->v1);
    t->y1 = (uint64_t)outcome;
    return CS_OK;
}

/* One exposure's value ve of a session into its band; wide: the
 * exposure may have more than five cuts (else band_four serves). */
/* A value below the first cut, or missing, counted as such: 1; 0 for
 * one within the bands. One comparison settles the usual case: recorded
 * and within the bands (NaN compares false). */
static inline __attribute__((always_inline)) int
outside_bands(cs_dose_exp *x, double ve)
{
    if (!(ve >= x->cuts.cut[0])) {
        if (isnan(ve))
            x->missing++;
        else
            x->below++;
        return 1;
    }
    return 0;
}

static inline __attribute__((always_inline)) void
add_exposure(cs_dose_exp *x, double ve, uint64_t y, uint64_t mmin, int wide)
{
    if (outside_bands(x, ve))
        return;
    cs_dose_band *c = x->band + (wide ? band_fast(x, ve) : band_four(x, ve));
    c->sessions++;
    c->cases += y;
    c->mmin += mmin;
}

/* add_exposure for a tabled exposure: the band of a value within the
 * bands (at least the first cut, so at least 0) by the table, the value
 * clamped to lim first (minsd), which keeps the conversion in range. */
static inline __attribute__((always_inline)) void
add_tabled(cs_dose_exp *x, double ve, uint64_t y, uint64_t mmin)
{
    if (outside_bands(x, ve))
        return;
    double w = ve < x->lim ? ve : x->lim;
    cs_dose_band *c = x->band + x->tab[(int64_t)w];
    c->sessions++;
    c->cases += y;
    c->mmin += mmin;
}

/* A session whose calcium or potassium differs from the run's (or no
 * run): the run folded, and a new one started with the session. Apart,
 * as change_person is. */
__attribute__((noinline))
static void run_start(cs_dose *d, const double v[CS_DOSE_N], uint64_t y,
                      uint64_t mmin)
{
    cs_dose_people *t = d->people;

    fold_run(d);
    for (int i = 0; i < 2; i++) {
        memcpy(&t->run_bits[i], &v[RUN_FIRST + i], sizeof t->run_bits[i]);
        t->run_slot[i] = cs_dose_band_of(&d->e[RUN_FIRST + i].cuts,
                                         v[RUN_FIRST + i]);
    }
    t->run_n = 1;
    t->run_y = y;
    t->run_m = mmin;
}

/* The session into the run of calcium and potassium (run_n). */
static inline __attribute__((always_inline)) void
add_run(cs_dose *d, const double v[CS_DOSE_N], uint64_t y, uint64_t mmin)
{
    cs_dose_people *t = d->people;
    uint64_t a, b;

    memcpy(&a, &v[RUN_FIRST], sizeof a);
    memcpy(&b, &v[RUN_FIRST + 1], sizeof b);
    if (__builtin_expect(((a ^ t->run_bits[0]) | (b ^ t->run_bits[1])) == 0 &&
                         t->run_n != 0, 1)) {
        t->run_n++;
        t->run_y += y;
        t->run_m += mmin;
    } else {
        run_start(d, v, y, mmin);
    }
}

/* The exposures before the runs (RUN_FIRST) of a tabled d: four by their
 * tables and the heat index by its cuts, as add_session and rows_tabled
 * both add a session. */
_Static_assert(RUN_FIRST == 5 && CS_DOSE_HEAT == 1,
               "add_first_tabled tables four exposures, the heat index not");
static inline __attribute__((always_inline)) void
add_first_tabled(cs_dose *d, const double v[CS_DOSE_N], uint64_t y,
                 uint64_t mmin)
{
    add_tabled(&d->e[0], v[0], y, mmin);
    add_exposure(&d->e[1], v[1], y, mmin, 0);
    add_tabled(&d->e[2], v[2], y, mmin);
    add_tabled(&d->e[3], v[3], y, mmin);
    add_tabled(&d->e[4], v[4], y, mmin);
}

/* cs_dose_add, inline in it and in the accumulator's add (dose_add),
 * which calls it for every session: one call and one saving of the
 * registers a session rather than two. */
static inline __attribute__((always_inline)) int
add_session(cs_dose *d, const double v[CS_DOSE_N], int outcome,
            uint64_t mmin, cs_str participant, cs_error *err)
{
    cs_dose_people *t = d->people;
    int rc;

    if (t && (t->cur_len != participant.len ||
              !cs_bytes_eq(t->cur_id, participant.ptr, participant.len)) &&
        (rc = change_person(d, v, outcome, participant, 0, err)) < 0)
        return rc;
    /* Written out, each exposure's fields at a fixed offset: a loop over
     * them cost four instructions an exposure for its pointers. With up
     * to five cuts an exposure (the default bands), one test a session
     * rather than one an exposure for more cuts. Calcium and potassium
     * go by runs when the participants are kept (as analyze does). */
    _Static_assert(CS_DOSE_N == 7, "add_session adds seven exposures");
    int last = t ? RUN_FIRST : CS_DOSE_N;
    if (t)
        add_run(d, v, (uint64_t)outcome, mmin);
    if (__builtin_expect(d->tabled, 1)) {
        add_first_tabled(d, v, (uint64_t)outcome, mmin);
        for (int e = RUN_FIRST; e < last; e++)
            add_exposure(&d->e[e], v[e], (uint64_t)outcome, mmin, 1);
        return CS_OK;
    }
    if (__builtin_expect(d->wide, 0)) {
        for (int e = 0; e < last; e++)
            add_exposure(&d->e[e], v[e], (uint64_t)outcome, mmin, 1);
        return CS_OK;
    }
    add_exposure(&d->e[0], v[0], (uint64_t)outcome, mmin, 0);
    add_exposure(&d->e[1], v[1], (uint64_t)outcome, mmin, 0);
    add_exposure(&d->e[2], v[2], (uint64_t)outcome, mmin, 0);
    add_exposure(&d->e[3], v[3], (uint64_t)outcome, mmin, 0);
    add_exposure(&d->e[4], v[4], (uint64_t)outcome, mmin, 0);
    if (t)
        return CS_OK;
    add_exposure(&d->e[5], v[5], (uint64_t)outcome, mmin, 0);
    add_exposure(&d->e[6], v[6], (uint64_t)outcome, mmin, 0);
    return CS_OK;
}

int cs_dose_add(cs_dose *d, const double v[CS_DOSE_N], int outcome,
                uint64_t mmin, cs_str participant, cs_error *err)
{
    return add_session(d, v, outcome, mmin, participant, err);
}

static int add_u64(uint64_t *x, uint64_t y)
{
    if (*x > UINT64_MAX - y)
        return -1;
    *x += y;
    return 0;
}

int cs_dose_merge(cs_dose *into, const cs_dose *from, cs_error *err)
{
    if (!into->present && !from->present)
        return CS_OK;
    if (!into->present || !from->present)
        return cs_error_set(err, CS_EDATA, "a state has no dose-response "
                            "section (made by an older crampstat?): make it "
                            "again with this one");
    if (!into->people != !from->people)
        return cs_error_set(err, CS_EDATA, "one state keeps the "
                            "participants' dose-response counts and the other "
                            "does not");
    for (int e = 0; e < CS_DOSE_N; e++) {
        const cs_dose_cuts *a = &into->e[e].cuts, *b = &from->e[e].cuts;
        if (a->n != b->n || a->reference != b->reference ||
            memcmp(a->cut, b->cut, (size_t)a->n * sizeof a->cut[0]) != 0)
            return cs_error_set(err, CS_EDATA, "the states band %s "
                                "differently (dose.%s in the rules)",
                                exposure_names[e], exposure_names[e]);
    }
    /* The live participants' sessions taken from the bands before
     * these change (settled below). */
    catch_up(into);
    catch_up(from);
    for (int e = 0; e < CS_DOSE_N; e++) {
        cs_dose_exp *x = &into->e[e];
        const cs_dose_exp *o = &from->e[e];
        if (add_u64(&x->missing, o->missing) < 0 || add_u64(&x->below, o->below) < 0)
            goto overflow;
        for (int b = 0; b < x->cuts.n; b++)
            if (add_u64(&x->band[b].sessions, o->band[b].sessions) < 0 ||
                add_u64(&x->band[b].cases, o->band[b].cases) < 0 ||
                add_u64(&x->band[b].mmin, o->band[b].mmin) < 0)
                goto overflow;
    }
    if (from->people) {
        cs_dose_people *t = into->people, *f = from->people;
        int rc;
        if ((rc = settle(t, err)) < 0 || (rc = settle(f, err)) < 0)
            return rc;     /* (caught up above, before the bands moved) */
        for (size_t i = 0; i < f->n; i++) {
            const person *src = &f->p[i];
            int isnew;
            size_t idx = find_person(t, src->id, src->id_len, &isnew);
            if (!idx)
                return cs_error_set(err, CS_ENOMEM, "out of memory");
            start(t, idx);
            const unsigned char *b, *end;
            for (b = block(f, src, &end); b != end;) {
                dentry e;
                b = get_entry(b, &e);
                pend(t, e.key, e.n, e.y);
            }
            if ((rc = settle(t, err)) < 0)
                return rc;
        }
    }
    return CS_OK;
overflow:
    return cs_error_set(err, CS_EDATA, "a dose-response count overflows 64 "
                        "bits when merging");
}

int cs_dose_finish(cs_dose *d, cs_error *err)
{
    cs_dose_people *t = d->people;
    int rc;

    if (!t)
        return CS_OK;
    if ((rc = settle_d(d, err)) < 0)
        return rc;
    /* A finished table may be handed to another accumulator, whose rows
     * number their participants otherwise: the map goes, whether or not
     * the participants move. */
    cs__who_clear(&t->who);
    if (t->n == 0)
        return CS_OK;
    /* Input grouped by participant and sorted by id (the generator's, or
     * any file sorted so) leaves the participants in order: nothing is
     * sorted or hashed again (the ids are unique, so the order is the
     * same). Each one's entries are in key order always (flush). */
    if (t->people_unordered) {
        qsort(t->p, t->n, sizeof *t->p, cmp_person);
        t->people_unordered = 0;
        if (rehash(t, t->nslot) < 0)
            return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    return CS_OK;
}

size_t cs_dose_participants(const cs_dose *d)
{
    return d->people ? d->people->n : 0;
}

/* ---- the partial-state section ---------------------------------------- */

static void put_num(cs_buf *b, double x)
{
    char t[400];
    if (isinf(x)) {
        cs_buf_printf(b, "-inf");
        return;
    }
    cs_rules_fmt_num(t, sizeof t, x);
    cs_buf_printf(b, "%s", t);
}

/* The "dose" and "band" lines of each exposure. */
static void write_bands(const cs_dose *d, cs_buf *b)
{
    for (int e = 0; e < CS_DOSE_N; e++) {
        const cs_dose_exp *x = &d->e[e];
        cs_buf_printf(b, "dose %s %d ", exposure_names[e], x->cuts.reference + 1);
        for (int k = 0; k < x->cuts.n; k++) {
            if (k)
                cs_buf_putc(b, ',');
            put_num(b, x->cuts.cut[k]);
        }
        cs_buf_printf(b, " %llu %llu\n", (unsigned long long)x->missing,
                      (unsigned long long)x->below);
        for (int k = 0; k < x->cuts.n; k++)
            if (x->band[k].sessions || x->band[k].cases || x->band[k].mmin)
                cs_buf_printf(b, "band %s %d %llu %llu %llu\n",
                              exposure_names[e], k + 1,
                              (unsigned long long)x->band[k].sessions,
                              (unsigned long long)x->band[k].cases,
                              (unsigned long long)x->band[k].mmin);
    }
}

/* Appends only: the buffer's error is sticky, and the caller checks it. */
int cs_dose_write(const cs_dose *d, cs_buf *b)
{
    size_t from = 0;
    int rc = cs_dose_write_part(d, b, &from, SIZE_MAX);

    return rc < 0 ? rc : cs_buf_error(b);
}

/* Item 0 is the "dose" and "band" lines, item i + 1 participant i's
 * "dp" line. */
int cs_dose_write_part(const cs_dose *d, cs_buf *b, size_t *from,
                       size_t room)
{
    size_t n = d->people ? d->people->n : 0, i;
    int rc;

    if (!d->present)
        return 0;
    if (*from == 0) {
        if ((rc = flush_d(d)) < 0)     /* normally done by cs_dose_finish */
            return rc == -1 ? CS_ENOMEM : CS_EDATA;
        write_bands(d, b);
        *from = 1;
    }
    for (i = *from - 1; i < n && !cs_buf_error(b); i++) {
        const person *p = &d->people->p[i];
        cs_buf_append(b, "dp :", 4);
        for (size_t k = 0; k < p->id_len; k++) {
            unsigned char c = (unsigned char)p->id[k];
            if (c <= 0x20 || c >= 0x7f || c == '%' || c == ':')
                cs_buf_printf(b, "%%%02X", c);
            else
                cs_buf_putc(b, (char)c);
        }
        /* Formatted by hand: printf was most of the time of writing a
         * state with many participants. */
        const unsigned char *k, *end;
        for (k = block(d->people, p, &end); k != end;) {
            dentry en;
            char t[64], *q = t;
            k = get_entry(k, &en);
            *q++ = ' ';
            q = cs_fmt_u64(q, en.key / 16 + 1);
            *q++ = '.';
            q = cs_fmt_u64(q, en.key % 16 + 1);
            *q++ = ':';
            q = cs_fmt_u64(q, en.n);
            *q++ = ':';
            q = cs_fmt_u64(q, en.y);
            cs_buf_append(b, t, (size_t)(q - t));
        }
        cs_buf_putc(b, '\n');
        if (b->len >= room) {   /* at least one a call */
            i++;
            break;
        }
    }
    *from = i + 1;
    return i < n && !cs_buf_error(b);
}

static int exposure_of(cs_str w)
{
    for (int e = 0; e < CS_DOSE_N; e++)
        if (cs_str_eq(w, exposure_names[e]))
            return e;
    return -1;
}

#define WHY(...) (snprintf(why, whycap, __VA_ARGS__), -1)

/* Which "dose" lines were read: bit e. Kept in the unused high bits of
 * present while reading (present = 1 | declared << 1). */
int cs_dose_read_line(cs_dose *d, cs_str word, cs_str rest, char *why,
                      size_t whycap)
{
    if (cs_str_eq(word, "dose")) {
        int e = exposure_of(next_word(&rest));
        cs_str refw = next_word(&rest), cutw = next_word(&rest);
        uint64_t ref, miss, below;
        cs_dose_cuts c = { 0, 0, { 0 } };
        if (e < 0)
            return WHY("dose: unknown exposure");
        if (d->present & (2 << e))
            return WHY("dose %s: given twice", exposure_names[e]);
        while (cutw.len) {
            const char *comma = memchr(cutw.ptr, ',', cutw.len);
            size_t n = comma ? (size_t)(comma - cutw.ptr) : cutw.len;
            cs_str w = { cutw.ptr, n };
            double x;
            if (n == 0 || c.n == CS_DOSE_MAXBANDS)
                return WHY("dose %s: bad band bounds", exposure_names[e]);
            if (c.n == 0 && cs_str_eq(w, "-inf"))
                x = -HUGE_VAL;
            else if (cs_parse_decimal(w, &x) < 0)
                return WHY("dose %s: a band bound is not a plain decimal "
                           "number", exposure_names[e]);
            if (c.n && !(x > c.cut[c.n - 1]))
                return WHY("dose %s: the band bounds are not strictly "
                           "increasing numbers", exposure_names[e]);
            c.cut[c.n++] = x;
            cutw.ptr += comma ? n + 1 : n;
            cutw.len -= comma ? n + 1 : n;
            if (comma && cutw.len == 0)
                return WHY("dose %s: bad band bounds", exposure_names[e]);
        }
        if (parse_u64(refw, &ref) < 0 || c.n == 0 || ref < 1 || ref > (uint64_t)c.n ||
            parse_u64(next_word(&rest), &miss) < 0 ||
            parse_u64(next_word(&rest), &below) < 0 || rest.len)
            return WHY("expected \"dose EXPOSURE REFERENCE BOUNDS MISSING "
                       "BELOW\"");
        c.reference = (int)ref - 1;
        memset(&d->e[e], 0, sizeof d->e[e]);
        set_cuts(d, e, &c);
        d->e[e].missing = miss;
        d->e[e].below = below;
        d->present |= 1 | (2 << e);
        return 0;
    }
    if (cs_str_eq(word, "band")) {
        int e = exposure_of(next_word(&rest));
        uint64_t k, n, y, m;
        if (e < 0 || !(d->present & (2 << e)))
            return WHY("band: unknown exposure, or no \"dose\" line before it");
        if (parse_u64(next_word(&rest), &k) < 0 || k < 1 ||
            k > (uint64_t)d->e[e].cuts.n || parse_u64(next_word(&rest), &n) < 0 ||
            parse_u64(next_word(&rest), &y) < 0 ||
            parse_u64(next_word(&rest), &m) < 0 || rest.len)
            return WHY("expected \"band EXPOSURE BAND SESSIONS CASES MMIN\"");
        if (y > n || (n < UINT64_MAX / 1440000 && m > n * (uint64_t)1440000))
            return WHY("inconsistent band: more cases than sessions, or more "
                       "exposure than 1440 minutes a session");
        if (d->e[e].band[k - 1].sessions)
            return WHY("band %s %llu: given twice", exposure_names[e],
                       (unsigned long long)k);
        d->e[e].band[k - 1] = (cs_dose_band){ n, y, m };
        return 0;
    }
    if (cs_str_eq(word, "dp") && d->people) {
        cs_str id = next_word(&rest);
        char buf[256];
        size_t len = 0;
        if (id.len < 2 || id.ptr[0] != ':')
            return WHY("dp: expected ':' and a participant id");
        switch (cs__ptext_unescape((cs_str){ id.ptr + 1, id.len - 1 }, buf,
                                   sizeof buf, &len)) {
        case -1:
            return WHY("dp: bad %%-escape");
        case -2:
            return WHY("dp: unescaped byte in a participant id");
        case -3:
            return WHY("dp: participant id too long");
        }
        cs_dose_people *t = d->people;
        int isnew, rc = flush_d(d);
        size_t idx = rc < 0 ? 0 : find_person(t, buf, len, &isnew);
        if (!idx)
            return WHY("out of memory");
        if (!isnew)
            return WHY("dp: participant given twice");
        start(t, idx);
        while (rest.len) {
            cs_str w = next_word(&rest);
            uint64_t e, b, n, y;
            const char *dot = memchr(w.ptr, '.', w.len);
            const char *c1 = dot ? memchr(dot, ':', (size_t)(w.ptr + w.len - dot)) : NULL;
            const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(w.ptr + w.len - c1 - 1)) : NULL;
            if (!c2 ||
                parse_u64((cs_str){ w.ptr, (size_t)(dot - w.ptr) }, &e) < 0 ||
                parse_u64((cs_str){ dot + 1, (size_t)(c1 - dot - 1) }, &b) < 0 ||
                parse_u64((cs_str){ c1 + 1, (size_t)(c2 - c1 - 1) }, &n) < 0 ||
                parse_u64((cs_str){ c2 + 1, (size_t)(w.ptr + w.len - c2 - 1) }, &y) < 0 ||
                e < 1 || e > CS_DOSE_N || b < 1 || b > CS_DOSE_MAXBANDS ||
                y > n || n == 0) {
                drop(t);
                return WHY("dp: expected EXPOSURE.BAND:SESSIONS:CASES");
            }
            unsigned key = (unsigned)((e - 1) * 16 + (b - 1));
            if (t->cn[key]) {
                drop(t);
                return WHY("dp: an entry is given twice");
            }
            pend(t, key, n, y);
        }
        switch (flush(t)) {
        case -1:
            return WHY("out of memory");
        case -2:
            return WHY("dp: a count is over 4294967295 (2^32 - 1)");
        }
        return 0;
    }
    return WHY("unexpected line");
}

int cs_dose_check(const cs_dose *d, uint64_t used, char *why, size_t whycap)
{
    if (!d->present)
        return 0;
    for (int e = 0; e < CS_DOSE_N; e++) {
        const cs_dose_exp *x = &d->e[e];
        uint64_t t = x->missing;
        if (!(d->present & (2 << e)))
            return WHY("no \"dose %s\" line", exposure_names[e]);
        if (add_u64(&t, x->below) < 0)
            return WHY("dose %s: counts overflow", exposure_names[e]);
        for (int b = 0; b < x->cuts.n; b++)
            if (add_u64(&t, x->band[b].sessions) < 0)
                return WHY("dose %s: counts overflow", exposure_names[e]);
        if (t != used)
            return WHY("dose %s: the bands count %llu sessions, the state "
                       "%llu (the state was edited or is corrupt)",
                       exposure_names[e], (unsigned long long)t,
                       (unsigned long long)used);
    }
    if (d->people) {
        uint64_t n[CS_DOSE_N][CS_DOSE_MAXBANDS], y[CS_DOSE_N][CS_DOSE_MAXBANDS];
        memset(n, 0, sizeof n);
        memset(y, 0, sizeof y);
        const cs_dose_people *t = d->people;
        if (t->cur)
            return WHY("internal: participants' counts not settled");
        for (size_t i = 0; i < t->n; i++) {
            const unsigned char *b, *end;
            for (b = block(t, &t->p[i], &end); b != end;) {
                dentry en;
                b = get_entry(b, &en);
                if (en.key % 16 >= (unsigned)d->e[en.key / 16].cuts.n)
                    return WHY("dp: a band past the last");
                if (add_u64(&n[en.key / 16][en.key % 16], en.n) < 0 ||
                    add_u64(&y[en.key / 16][en.key % 16], en.y) < 0)
                    return WHY("dp: counts overflow");
            }
        }
        for (int e = 0; e < CS_DOSE_N; e++)
            for (int b = 0; b < d->e[e].cuts.n; b++)
                if (n[e][b] != d->e[e].band[b].sessions ||
                    y[e][b] != d->e[e].band[b].cases)
                    return WHY("the participants' dose-response counts do not "
                               "add up to the bands (the state was edited or "
                               "is corrupt)");
    }
    return 0;
}

/* ---- statistics ------------------------------------------------------ */

uint32_t cs_dose_trend(cs_test *out, const uint64_t *x, const uint64_t *n,
                       const double *score, size_t k)
{
    double N = 0, X = 0, sn = 0, t = 0, v = 0, sbar, p;
    size_t groups = 0;

    out->stat = out->p = NAN;
    out->df = 1;
    for (size_t i = 0; i < k; i++) {
        if (x[i] > n[i])
            return CS_NOTE_BAD_INPUT;
        if (!n[i])
            continue;
        groups++;
        N += (double)n[i];
        X += (double)x[i];
        sn += (double)n[i] * score[i];
    }
    if (groups < 2)
        return CS_NOTE_EMPTY;
    sbar = sn / N;
    p = X / N;
    for (size_t i = 0; i < k; i++) {
        if (!n[i])
            continue;
        double ds = score[i] - sbar;
        t += ((double)x[i] - (double)n[i] * p) * ds;
        v += (double)n[i] * ds * ds;
    }
    v *= p * (1 - p);
    if (!(v > 0))
        return X == 0 ? CS_NOTE_NO_CASES : CS_NOTE_ZERO_SE;
    out->stat = t * t / v;
    out->p = gsl_cdf_chisq_Q(out->stat, 1);
    return 0;
}

/* The robust trend: logit P = b0 + b1 * score fitted on the band totals,
 * sandwich variance with the participants' score sums, and the small-
 * sample factor G/(G-1) (N-1)/(N-2) that statsmodels' cluster covariance
 * uses. In three steps, so that every exposure's participant sums come
 * from one walk over the participants, not one walk each: trend_fit fits
 * the band totals, trend_meat sums the scores, trend_end gives the
 * interval. */
typedef struct trend_work {
    double pr[CS_DOSE_MAXBANDS];  /* fitted risk of each band */
    double bread[4];
    double meat[4];
    uint64_t G, N;
    cs_logit_fit fit;
} trend_work;

/* 1 when the participants' sums are needed; 0 when the trend stops here
 * (its notes say why). */
static int trend_fit(cs_dose_stats *s, const cs_dose *d, int e, trend_work *w)
{
    const cs_dose_exp *x = &d->e[e];
    double xs[2 * CS_DOSE_MAXBANDS];
    uint64_t n[CS_DOSE_MAXBANDS], y[CS_DOSE_MAXBANDS];
    size_t used = 0;

    memset(w, 0, sizeof *w);
    s->robust = 1;
    s->trend_or = (cs_ci){ NAN, NAN, NAN };
    s->trend_or_p = NAN;
    for (int b = 0; b < x->cuts.n; b++) {
        xs[2 * b] = 1;
        xs[2 * b + 1] = b + 1;
        n[b] = x->band[b].sessions;
        y[b] = x->band[b].cases;
        w->N += n[b];
        used += n[b] > 0;
    }
    if (used < 2) {
        s->robust_notes = CS_NOTE_EMPTY;
        return 0;
    }
    if (cs_stats_logit(&w->fit, xs, n, y, (size_t)x->cuts.n, 2) < 0 ||
        w->fit.aliased[1]) {
        s->robust_notes = w->fit.status | CS_NOTE_LOGIT_SINGULAR;
        return 0;
    }
    s->robust_notes = w->fit.status;
    for (int b = 0; b < x->cuts.n; b++) {
        double eta = w->fit.beta[0] + w->fit.beta[1] * (b + 1);
        w->pr[b] = 1 / (1 + exp(-eta));
        double wt = (double)n[b] * w->pr[b] * (1 - w->pr[b]);
        w->bread[0] += wt;
        w->bread[1] += wt * (b + 1);
        w->bread[3] += wt * (b + 1) * (b + 1);
    }
    w->bread[2] = w->bread[1];
    return 1;
}

/* The score sums of every participant, for the exposures in mask, in one
 * walk: a participant's entries are in key order, so each exposure's
 * residuals are added in the same order as a walk for it alone would. */
static inline void meat_add(trend_work *w, double u0, double u1)
{
    w->G++;
    w->meat[0] += u0 * u0;
    w->meat[1] += u0 * u1;
    w->meat[3] += u1 * u1;
}

/* Each entry's residual goes to its exposure's two sums, by index, and
 * each exposure's sums to its meat when the participant ends, in
 * exposure order: the same additions in the same order as keeping one
 * exposure's sums at a time, without a jump on where an exposure's
 * entries end (a participant has one to five a band, a guess the branch
 * predictor lost at most of the seven ends). The fitted risks and the
 * scores are by key; 0 for an exposure not in mask, whose sums are
 * dropped. */
static void trend_meat(const cs_dose *d, unsigned mask,
                       trend_work w[CS_DOSE_N])
{
    const cs_dose_people *t = d->people;
    double pr[NKEYS] = { 0 }, score[NKEYS] = { 0 };

    for (int e = 0; e < CS_DOSE_N; e++)
        for (int b = 0; mask >> e & 1 && b < d->e[e].cuts.n; b++) {
            pr[e * 16 + b] = w[e].pr[b];
            score[e * 16 + b] = b + 1;
        }
    for (size_t i = 0; i < t->n; i++) {
        const person *p = &t->p[i];
        const unsigned char *q, *end;
        double u0[CS_DOSE_N] = { 0 }, u1[CS_DOSE_N] = { 0 };
        unsigned seen = 0;
        for (q = block(t, p, &end); q != end;) {
            dentry en;
            q = get_entry(q, &en);
            unsigned e = en.key / 16;
            double r = (double)en.y - (double)en.n * pr[en.key];
            u0[e] += r;
            u1[e] += r * score[en.key];
            seen |= 1u << e;
        }
        for (unsigned m = seen & mask; m; m &= m - 1) {
            int e = __builtin_ctz(m);
            meat_add(&w[e], u0[e], u1[e]);
        }
    }
    for (int e = 0; e < CS_DOSE_N; e++)
        w[e].meat[2] = w[e].meat[1];
}

static void trend_end(cs_dose_stats *s, const trend_work *w, double level)
{
    const double *bread = w->bread, *meat = w->meat;
    uint64_t G = w->G, N = w->N;

    s->participants = G;
    if (G < 2 || N <= 2) {
        s->robust_notes |= CS_NOTE_EMPTY;
        return;
    }
    double det = bread[0] * bread[3] - bread[1] * bread[2];
    if (!(fabs(det) > 0)) {
        s->robust_notes |= CS_NOTE_LOGIT_SINGULAR;
        return;
    }
    /* inv = [d -b; -c a] / det; var(b1) = (inv M inv)_11 */
    double i10 = -bread[2] / det, i11 = bread[0] / det;
    double v = i10 * (meat[0] * i10 + meat[1] * i11) +
               i11 * (meat[2] * i10 + meat[3] * i11);
    v *= (double)G / (double)(G - 1) * ((double)N - 1) / ((double)N - 2);
    if (!(v > CS__ROBUST_VAR_MIN)) {
        s->robust_notes |= CS_NOTE_ZERO_SE;
        return;
    }
    double se = sqrt(v), z = cs_stats_z(level), b1 = w->fit.beta[1];
    s->trend_or = (cs_ci){ exp(b1), exp(b1 - z * se), exp(b1 + z * se) };
    s->trend_or_p = 2 * gsl_cdf_ugaussian_Q(fabs(b1 / se));
}

/* Everything but the robust trend. */
static void stats_bands(cs_dose_stats *s, const cs_dose *d, int e,
                        double level)
{
    const cs_dose_exp *x = &d->e[e];
    const cs_dose_band *ref = &x->band[x->cuts.reference];
    uint64_t cx[CS_DOSE_MAXBANDS], cn[CS_DOSE_MAXBANDS];
    double score[CS_DOSE_MAXBANDS];

    memset(s, 0, sizeof *s);
    s->exposure = e;
    s->nbands = x->cuts.n;
    s->reference = x->cuts.reference;
    s->missing = x->missing;
    s->below = x->below;
    for (int b = 0; b < x->cuts.n; b++) {
        cs_dose_band_stats *o = &s->band[b];
        const cs_dose_band *c = &x->band[b];
        cs_2x2 t = { c->cases, c->sessions - c->cases, ref->cases,
                     ref->sessions - ref->cases };
        o->lower = x->cuts.cut[b];
        o->upper = b + 1 < x->cuts.n ? x->cuts.cut[b + 1] : HUGE_VAL;
        o->sessions = c->sessions;
        o->cases = c->cases;
        o->hours = (double)c->mmin / 60000.0;
        o->notes = cs_stats_wilson(&o->risk, c->cases, c->sessions, level);
        o->notes |= cs_stats_poisson_rate(&o->rate, c->cases, o->hours, 1000, level);
        if (b == x->cuts.reference)
            o->rr = (cs_ci){ c->sessions && c->cases ? 1.0 : NAN, NAN, NAN };
        else
            o->notes |= cs_stats_rr(&o->rr, &t, level);
        cx[b] = c->cases;
        cn[b] = c->sessions;
        score[b] = b + 1;
    }
    s->trend_notes = cs_dose_trend(&s->trend, cx, cn, score, (size_t)x->cuts.n);
}

/* The exposures e with out[e] set. */
static void stats_of(cs_dose_stats *const out[CS_DOSE_N], const cs_dose *d,
                     double level, int robust)
{
    trend_work w[CS_DOSE_N];
    unsigned need = 0;

    /* fold_run, flush: no-ops after cs_dose_finish, which the report
     * follows */
    fold_run(d);
    robust = robust && d->people && flush_d(d) == 0;
    for (int e = 0; e < CS_DOSE_N; e++) {
        if (!out[e])
            continue;
        stats_bands(out[e], d, e, level);
        if (robust && trend_fit(out[e], d, e, &w[e]))
            need |= 1u << e;
    }
    if (!need)
        return;
    trend_meat(d, need, w);
    for (int e = 0; e < CS_DOSE_N; e++)
        if (need >> e & 1)
            trend_end(out[e], &w[e], level);
}

void cs_dose_stats_compute(cs_dose_stats *s, const cs_dose *d, int e,
                           double level, int robust)
{
    cs_dose_stats *out[CS_DOSE_N] = { NULL };

    out[e] = s;
    stats_of(out, d, level, robust);
}

void cs_dose_stats_compute_all(cs_dose_stats s[CS_DOSE_N], const cs_dose *d,
                               double level, int robust)
{
    cs_dose_stats *out[CS_DOSE_N];

    for (int e = 0; e < CS_DOSE_N; e++)
        out[e] = &s[e];
    stats_of(out, d, level, robust);
}

/* ---- the "dose" accumulator (acc.h) ---------------------------------- */

static int dose_create(cs_agg *a, const cs_acc_opts *o, cs_error *err)
{
    if (!o) {
        /* Read from the section: its "dose" lines give the bands; the
         * participants' counts are kept when the state has the cluster
         * section, which comes before. */
        memset(&a->dose, 0, sizeof a->dose);
        a->dose.present = 1;
        return a->clu ? cs_dose_cluster(&a->dose, err) : CS_OK;
    }
    cs_dose_init(&a->dose, o->rules);
    return o->cluster ? cs_dose_cluster(&a->dose, err) : CS_OK;
}

static void dose_dispose(cs_agg *a)
{
    cs_dose_dispose(&a->dose);
}

/* Every exposure missing, for a row that has none; the participant is
 * still one of the dose-response trend's, as each participant of the
 * cluster section is (dose_check). */
static const double no_dose[CS_DOSE_N] = {
    NAN, NAN, NAN, NAN, NAN, NAN, NAN
};
_Static_assert(CS_DOSE_N == 7, "no_dose has a NaN for each exposure");

static inline const double *row_dose(const cs_acc_row *r)
{
    return r->more ? r->more->dose : no_dose;
}

static int dose_add(cs_agg *a, cs_acc_row *r, cs_error *err)
{
    if (r->outcome < 0)
        return CS_OK;
    return add_session(&a->dose, row_dose(r), r->outcome, r->mmin,
                       r->participant, err);
}

/* The test of a row's participant against the current one (cur_id,
 * cur_len) for rows_tabled: for ids of 8 to 16 bytes (the usual), the
 * current id's first and last 8 bytes held, so that a row costs two
 * loads of its id and no jump on the id's length, as cs_bytes_eq takes
 * each time. */
typedef struct cur_key {
    const char *id;
    size_t len;
    uint64_t w0, w1;
} cur_key;

static inline void cur_key_of(cur_key *k, const cs_dose_people *t)
{
    k->id = t->cur_id;
    k->len = t->cur_len;
    k->w0 = k->w1 = 0;
    if (k->len >= 8 && k->len <= 16) {
        memcpy(&k->w0, k->id, 8);
        memcpy(&k->w1, k->id + k->len - 8, 8);
    }
}

static inline int cur_key_is(const cur_key *k, cs_str id)
{
    uint64_t a, b;

    if (id.len != k->len)       /* SIZE_MAX (no id is so long): never */
        return 0;
    if (__builtin_expect(id.len >= 8 && id.len <= 16, 1)) {
        memcpy(&a, id.ptr, 8);
        memcpy(&b, id.ptr + id.len - 8, 8);
        return ((a ^ k->w0) | (b ^ k->w1)) == 0;
    }
    return cs_bytes_eq(k->id, id.ptr, id.len);
}

/* A block's first and last bytes: one_in_place and flush read it from
 * its start, often up to its end, and a block of more than a few bands
 * often crosses a cache line. */
static inline void prefetch_block(const unsigned char *q, uint32_t len)
{
    __builtin_prefetch(q);
    __builtin_prefetch(q + len - 1);
}

/* Input not grouped by participant (sessions in time order, say) makes
 * nearly every row a change of participant, whose lookup waited on three
 * misses one after another: the slot, the participant, its id and its
 * block in the pool (which one_in_place or flush reads). Fetched here
 * for the chunk's runs first, one stage for all of them before the next,
 * the misses of a stage overlap (cluster.c does the same). Only where
 * the table is built: input grouped by participant never builds it. */
static void fetch_people(const cs_dose_people *t, const cs_acc_row *r,
                         size_t n)
{
    uint32_t s[CS__FETCH_MAX];
    unsigned char byid[CS__FETCH_MAX];
    size_t m = cs__fetch_people(r, n, &t->who, t->slot, t->nslot, s, byid);

    for (size_t k = 0; k < m; k++)
        if (s[k])
            __builtin_prefetch(&t->p[s[k] - 1]);
    for (size_t k = 0; k < m; k++)
        if (s[k]) {
            const person *p = &t->p[s[k] - 1];
            if (byid[k])
                __builtin_prefetch(p->id);
            if (p->len)
                prefetch_block(t->pool + p->off, p->len);
        }
}

/* add_session for rows r[0 .. n-1] when d keeps the participants and is
 * tabled (as analyze's default bands are): the same counts, with the
 * current participant's id held across the rows (cur_key), one test of
 * d's kind for all of them, and no call a row. The number added
 * before one failed (err set; d as add_session leaves it), else n. */
static size_t rows_tabled(cs_dose *d, const cs_acc_row *r, size_t n,
                          cs_error *err)
{
    cs_dose_people *t = d->people;
    cur_key cur;

    if (t->slot)
        fetch_people(t, r, n);
    cur_key_of(&cur, t);
    for (size_t i = 0; i < n; i++) {
        const cs_acc_row *x = &r[i];
        if (x->outcome < 0)
            continue;
        const double *v = row_dose(x);
        uint64_t y = (uint64_t)x->outcome, mmin = x->mmin;
        if (__builtin_expect(!cur_key_is(&cur, x->participant), 0)) {
            if (change_person(d, v, x->outcome, x->participant, x->who,
                              err) < 0)
                return i;
            cur_key_of(&cur, t);
        }
        add_run(d, v, y, mmin);
        add_first_tabled(d, v, y, mmin);
    }
    return n;
}

static size_t dose_add_rows(cs_agg *a, cs_acc_row *r, size_t n, cs_error *err)
{
    size_t i = 0;

    if (a->dose.people && a->dose.tabled)
        return rows_tabled(&a->dose, r, n, err);
    while (i < n && dose_add(a, &r[i], err) >= 0)
        i++;
    return i;
}

/* The same bands (dose.EXPOSURE in the rules). */
static int dose_mergeable(const cs_agg *into, const cs_agg *from,
                          cs_error *err)
{
    for (int e = 0; e < CS_DOSE_N; e++) {
        const cs_dose_cuts *a = &into->dose.e[e].cuts, *b = &from->dose.e[e].cuts;
        if (a->n != b->n || a->reference != b->reference ||
            memcmp(a->cut, b->cut, (size_t)a->n * sizeof a->cut[0]) != 0)
            return cs_error_set(err, CS_EDATA, "the states band %s "
                                "differently (dose.%s in the rules)",
                                exposure_names[e], exposure_names[e]);
    }
    if (!into->dose.people != !from->dose.people)
        return cs_error_set(err, CS_EDATA, "one state keeps the "
                            "participants' dose-response counts and the other "
                            "does not");
    return CS_OK;
}

static int dose_merge(cs_agg *into, cs_agg *from, cs_acc_pass *p, cs_error *err)
{
    /* Added one by one into an empty table the participants' counts would
     * come out the same (cs_dose_finish sorts them), at the cost of a
     * second copy of every participant's: hand them over when allowed. */
    if (p->may_take && into->dose.people && from->dose.people &&
        cs_dose_participants(&into->dose) == 0) {
        cs_dose_people *mine = into->dose.people, *theirs = from->dose.people;
        int rc;
        /* Their live participant's sessions are their bands' counts
         * less a snapshot: taken before the bands move and the table
         * changes hands. */
        if ((rc = settle_d(&from->dose, err)) < 0)
            return rc;
        cs__who_clear(&theirs->who);   /* numbers of from's rows */
        into->dose.people = from->dose.people = NULL;
        rc = cs_dose_merge(&into->dose, &from->dose, err);
        into->dose.people = rc < 0 ? mine : theirs;
        from->dose.people = rc < 0 ? theirs : mine;
        return rc;
    }
    return cs_dose_merge(&into->dose, &from->dose, err);
}

static int dose_finish(cs_agg *a, cs_acc_pass *p, cs_error *err)
{
    (void)p;
    return cs_dose_finish(&a->dose, err);
}

static int dose_write_part(const cs_agg *a, cs_buf *b, size_t *from,
                           size_t room)
{
    int rc = cs_dose_write_part(&a->dose, b, from, room);

    if (rc < 0 && !cs_buf_error(b))
        cs_buf_fail(b, CS_EDATA);
    return rc > 0;
}

/* The section at once: its pieces, with no bound on a piece. */
static void dose_write(const cs_agg *a, cs_buf *b)
{
    size_t from = 0;

    dose_write_part(a, b, &from, SIZE_MAX);
}

static int dose_read(cs_agg *a, cs__ptext *t)
{
    cs_str line;
    int rc;

    while ((rc = cs__ptext_line(t, &line)) > 0) {
        char why[200];
        cs_str w = cs__ptext_word(&line);
        const cs_dose_people *d = a->dose.people;
        size_t before = d ? d->n : 0;
        if (cs_dose_read_line(&a->dose, w, line, why, sizeof why) < 0)
            return cs__ptext_err(t, t->line, "%s", why);
        /* The "dp" lines in id order, as the "p" lines: a changed id is
         * then out of order, or another's, or no participant's
         * (dose_versus_cluster). */
        if (d && d->n == before + 1 && before > 0 &&
            cmp_person(&d->p[before - 1], &d->p[before]) >= 0)
            return cs__ptext_err(t, t->line, "dp: participant \"%.*s\" is out "
                                 "of order (the lines are sorted by id)",
                                 (int)(d->p[before].id_len > 40
                                       ? 40 : d->p[before].id_len),
                                 d->p[before].id);
    }
    return rc;
}

/* The bands against the factor tables: for each exposure, the bands'
 * cases and exposure equal the tables' when no session is missing or
 * below the bands, and are at most theirs otherwise. */
static int dose_versus_factors(const cs_agg *a, cs__ptext *t)
{
    cs__totals tot;

    if (cs__agg_totals(a, &tot) < 0)
        return CS_OK;
    for (int e = 0; e < CS_DOSE_N; e++) {
        const cs_dose_exp *x = &a->dose.e[e];
        uint64_t y = 0, m = 0;
        int all = x->missing == 0 && x->below == 0;
        for (int b = 0; b < x->cuts.n; b++)
            if (add_u64(&y, x->band[b].cases) < 0 ||
                add_u64(&m, x->band[b].mmin) < 0)
                return cs__ptext_err(t, t->line, "dose %s: counts overflow",
                                     exposure_names[e]);
        if (all ? y != tot.cases || m != tot.mmin
                : y > tot.cases || m > tot.mmin)
            return cs__ptext_err(t, t->line, "dose %s: the bands count %llu "
                                 "cases and %llu milli-minutes, the factor "
                                 "tables %llu and %llu%s (the state was "
                                 "edited or is corrupt)", exposure_names[e],
                                 (unsigned long long)y, (unsigned long long)m,
                                 (unsigned long long)tot.cases,
                                 (unsigned long long)tot.mmin,
                                 all ? "" : " for all sessions");
    }
    return CS_OK;
}

/* The participants of the "dp" lines are those of the "p" lines: both
 * are the participants with a session whose outcome is known. */
static int dose_versus_cluster(const cs_agg *a, cs__ptext *t)
{
    const cs_dose_people *d = a->dose.people;
    size_t np = cs_clu_participants(a->clu), i;

    if (!d || !a->clu)
        return CS_OK;
    for (i = 0; i < d->n && i < np; i++) {
        cs_str p = cs_clu_id(a->clu, i), q = { d->p[i].id, d->p[i].id_len };
        if (cs_str_cmp(p, q) != 0) {
            int dp_only = cs_str_cmp(q, p) < 0;
            cs_str id = dp_only ? q : p;
            return cs__ptext_err(t, t->line, "participant \"%.*s\" has %s "
                                 "(the state was edited or is corrupt)",
                                 (int)(id.len > 40 ? 40 : id.len), id.ptr,
                                 dp_only ? "a \"dp\" line but no \"p\" line"
                                         : "a \"p\" line but no \"dp\" line");
        }
    }
    if (d->n != np)
        return cs__ptext_err(t, t->line, "%zu participants have \"p\" lines, "
                             "%zu \"dp\" lines (the state was edited or is "
                             "corrupt)", np, d->n);
    return CS_OK;
}

static int dose_check(const cs_agg *a, cs__ptext *t)
{
    char why[200];
    int rc;

    if (cs_dose_check(&a->dose, cs__agg_used(a), why, sizeof why) < 0)
        return cs__ptext_err(t, t->line, "%s", why);
    if (a->dose.present && ((rc = dose_versus_factors(a, t)) < 0 ||
                            (rc = dose_versus_cluster(a, t)) < 0))
        return rc;
    return CS_OK;
}

static const char *const dose_needs[] = { "sessions", NULL };

const cs_acc_kind cs_acc_dose = {
    "dose", 1, dose_needs, cs__acc_with_sessions, dose_create, dose_dispose,
    dose_add, dose_mergeable, dose_merge, dose_finish, dose_write, dose_read,
    dose_check, NULL, cs__report_dose,
    dose_add_rows,
    dose_write_part,
};
