/* The survey table. Participants sit in an open-addressing hash table of
 * indexes; their ids live once in one arena; waves are cs_wave structs
 * in (participant, day) order after loading, so a session's wave is a
 * short binary search. 72 bytes per wave, 16 per participant and the id
 * bytes, and the hash table's slots. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/derive.h>
#include <crampstat/grow.h>
#include <crampstat/join.h>
#include "internal.h"

/* 16 bytes: a participant has at most one wave a day, and dates run
 * from 0000 to 9999 (3,652,425 days); an id has at most 64 bytes. */
typedef struct part {
    const char *id;     /* in an id block: never moves */
    uint32_t first;     /* index of its first wave: while the waves come
                         * grouped by participant, and after loading */
    unsigned nwaves : 24;
    unsigned id_len : 8;
} part;

/* While loading a survey whose participants' waves do not each come in
 * one run: a wave's participant, and that participant's wave before it
 * (index + 1; 0 none). */
typedef struct wave_link {
    uint32_t part;
    uint32_t prev;
} wave_link;

/* A participant with survey rows that the contract rejected, and how
 * many (saturating): said when a session of theirs finds no wave. Kept
 * for every such participant, whether or not they also have waves. */
typedef struct rpart {
    const char *id;     /* in the id store, as a part's */
    uint32_t id_len;
    uint32_t rejected;
} rpart;

/* Participants after the cursor's that cs_survey_find_at tries before the
 * table. */
#define NEXT_PARTS 2
#define NEXT_MISSED 8

struct cs_survey {
    /* The participants' ids, where they never move, so that a wave's
     * participant_id can point at its id from the start. */
    cs__idstore ids;
    part *parts;
    size_t nparts, pcap;
    uint32_t *table;    /* participant index + 1; 0 = empty */
    size_t tcap;        /* its slots (also while it is not yet built) */
    int deferred;       /* while loading: no table yet, ids rising */
    /* The waves, nothing but what the stages read: analyze reads no
     * more, and every byte written here is fresh memory. */
    cs_wave *waves;
    size_t nwaves, wcap;
    uint32_t last;      /* while loading: participant of the last wave + 1 */
    int unordered;      /* while loading: a wave came before its forerunner */
    /* While loading, once a participant's waves stop coming in one run:
     * a link for every wave (lcap of them), and every participant's last
     * wave (index + 1; hcap of them). NULL while they come grouped. */
    wave_link *link;
    size_t lcap;
    uint32_t *head;
    size_t hcap;
    /* The join columns of the waves as CSV text, each made on first use
     * (join and tag write it, analyze never): txt_at[i] is wave i's
     * offset in txt << 16 | its length, 0 when not made yet. */
    cs_buf txt;
    uint64_t *txt_at;
    cs_ingest_counts counts;
    rpart *rparts;      /* participants with rejected rows */
    size_t nrparts, rpcap;
    uint32_t *rtable;   /* rpart index + 1; 0 = empty */
    size_t rtcap;
    long pid_col;       /* while loading: participant_id's field */
};

/* Whether p is the participant with this id. */
static inline int part_is(const part *p, cs_str id)
{
    return p->id_len == id.len && cs_bytes_eq(p->id, id.ptr, id.len);
}

static uint32_t *lookup(const cs_survey *s, cs_str id, uint64_t h)
{
    size_t i = (size_t)(h & (s->tcap - 1));
    for (;;) {
        uint32_t v = s->table[i];
        if (!v)
            return &s->table[i];
        if (part_is(&s->parts[v - 1], id))
            return &s->table[i];
        i = (i + 1) & (s->tcap - 1);
    }
}

static int grow_table(cs_survey *s)
{
    size_t cap = s->tcap ? s->tcap * 2 : 1024;
    uint32_t *t, *old = s->table;
    size_t oldcap = s->tcap;

    if (s->deferred) {      /* only the size is kept until it is built */
        s->tcap = cap;
        return CS_OK;
    }
    if (!(t = calloc(cap, sizeof *t)))
        return CS_ENOMEM;
    s->table = t;
    s->tcap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i]) {
            const part *p = &s->parts[old[i] - 1];
            cs_str id = { p->id, p->id_len };
            *lookup(s, id, cs_hash64(id.ptr, id.len, 0)) = old[i];
        }
    free(old);
    return CS_OK;
}

/* The table of every participant so far, at the size kept for it. While
 * the ids come in rising order no lookup is needed (a rising id is new),
 * and a probe of a table far larger than the cache stalls on each; here
 * the inserts do not wait on one another, and the slots are fetched a
 * few participants ahead. */
#define BUILD_AHEAD 8
static int build_table(cs_survey *s)
{
    uint64_t h[BUILD_AHEAD];

    if (!(s->table = calloc(s->tcap, sizeof *s->table)))
        return CS_ENOMEM;
    s->deferred = 0;
    for (size_t i = 0; i < s->nparts + BUILD_AHEAD; i++) {
        if (i >= BUILD_AHEAD) {
            size_t j = i - BUILD_AHEAD;
            const part *p = &s->parts[j];
            *lookup(s, (cs_str){ p->id, p->id_len }, h[j % BUILD_AHEAD]) =
                (uint32_t)(j + 1);
        }
        if (i < s->nparts) {
            const part *p = &s->parts[i];
            h[i % BUILD_AHEAD] = cs_hash64(p->id, p->id_len, 0);
            __builtin_prefetch(&s->table[h[i % BUILD_AHEAD] & (s->tcap - 1)], 1);
        }
    }
    return CS_OK;
}

/* Block p (a cs_grow block, or NULL) of *cap elements of size bytes, n
 * of them in use, with room for one more: doubled, from 1024, when full.
 * NULL when out of memory (p is then kept) or past 2^31 elements, beyond
 * which the 32-bit indexes would not reach. */
static void *room_for(void *p, size_t *cap, size_t n, size_t size)
{
    size_t c = *cap ? *cap * 2 : 1024;
    void *np;

    if (n < *cap)
        return p;
    if (c > (size_t)1 << 31 || !(np = cs_grow_realloc(p, c * size)))
        return NULL;
    *cap = c;
    return np;
}

/* The links of the waves so far, which came grouped (each participant's
 * a run from its first): from here on they may come in any order. */
static int scatter(cs_survey *s)
{
    if (!(s->link = cs_grow_realloc(NULL, s->wcap * sizeof *s->link)))
        return CS_ENOMEM;
    s->lcap = s->wcap;
    if (!(s->head = cs_grow_realloc(NULL, s->pcap * sizeof *s->head)))
        return CS_ENOMEM;
    s->hcap = s->pcap;
    for (size_t v = 0; v < s->nparts; v++) {
        const part *p = &s->parts[v];
        for (size_t i = p->first; i < p->first + p->nwaves; i++)
            s->link[i] = (wave_link){ (uint32_t)v,
                                      i == p->first ? 0 : (uint32_t)i };
        s->head[v] = (uint32_t)(p->first + p->nwaves);
    }
    s->unordered = 1;
    return CS_OK;
}

/* A new participant for id; its index + 1, or 0 when out of memory. */
static uint32_t new_part(cs_survey *s, cs_str id)
{
    part *np = room_for(s->parts, &s->pcap, s->nparts, sizeof *np), *p;

    if (!np)
        return 0;
    s->parts = np;
    if (s->link) {
        uint32_t *nh = room_for(s->head, &s->hcap, s->nparts, sizeof *nh);
        if (!nh)
            return 0;
        s->head = nh;
        s->head[s->nparts] = 0;
    }
    p = &s->parts[s->nparts];
    if (!(p->id = cs__idstore_copy(&s->ids, id.ptr, id.len)))
        return 0;
    p->id_len = (unsigned)id.len;
    p->nwaves = 0;
    p->first = (uint32_t)s->nwaves;   /* so while the waves come grouped */
    return (uint32_t)++s->nparts;
}

/* Whether participant v has a wave on day, the one being added aside. */
static int has_day(const cs_survey *s, uint32_t v, int32_t day)
{
    if (s->link) {
        for (uint32_t i = s->head[v - 1]; i; i = s->link[i - 1].prev)
            if (s->waves[i - 1].day == day)
                return 1;
        return 0;
    }
    /* Grouped: v's waves are the run from its first to the last one. */
    for (size_t i = s->parts[v - 1].first; i < s->nwaves; i++)
        if (s->waves[i].day == day)
            return 1;
    return 0;
}

/* Add the wave read into the slot after the last (waves[nwaves]); 0 when
 * it repeats a date of its participant's waves. */
static int add_wave(cs_survey *s)
{
    cs_wave *w = &s->waves[s->nwaves];
    uint32_t *slot, v = s->last;
    part *p;

    /* A survey grouped by participant (the usual file) has the last
     * wave's participant again: no hashing, no probe of the table. */
    if (v && part_is(&s->parts[v - 1], w->participant_id))
        goto known;
    if ((s->nparts + 1) * 2 > s->tcap && grow_table(s) < 0)
        return CS_ENOMEM;
    if (s->deferred && s->nparts &&
        cs_str_cmp((cs_str){ s->parts[s->nparts - 1].id,
                             s->parts[s->nparts - 1].id_len },
                   w->participant_id) >= 0 &&
        build_table(s) < 0)
        return CS_ENOMEM;
    slot = s->deferred ? NULL
         : lookup(s, w->participant_id,
                  cs_hash64(w->participant_id.ptr, w->participant_id.len, 0));
    if (slot && *slot) {
        /* A participant seen before the last one's waves. */
        v = *slot;
        if (!s->link && scatter(s) < 0)
            return CS_ENOMEM;
    } else {
        if (!(v = new_part(s, w->participant_id)))
            return CS_ENOMEM;
        if (slot)
            *slot = v;
    }
known:
    if (has_day(s, v, w->day))
        return 0;
    p = &s->parts[v - 1];
    if (s->link) {
        wave_link *nl = room_for(s->link, &s->lcap, s->nwaves, sizeof *nl);
        if (!nl)
            return CS_ENOMEM;
        s->link = nl;
        s->link[s->nwaves] = (wave_link){ v - 1, s->head[v - 1] };
        s->head[v - 1] = (uint32_t)s->nwaves + 1;
    } else if (p->nwaves && s->waves[s->nwaves - 1].day > w->day) {
        /* Told against the wave before while it is in cache rather than
         * in a pass over them all afterwards. */
        s->unordered = 1;
    }
    w->participant_id = (cs_str){ p->id, p->id_len };
    s->last = v;
    s->nwaves++;
    p->nwaves++;
    return 1;
}

static int cmp_day(const void *a, const void *b)
{
    const cs_wave *x = a, *y = b;
    return (x->day > y->day) - (x->day < y->day);
}

/* The waves in (participant, day) order, each participant's a run from
 * its first. A survey grouped by participant and in date order (the
 * usual file; add_wave tells) is so already. Linked waves are moved to
 * their participants' runs in place: each wave's place is counted into
 * its link (prev, no longer needed), and the waves are swapped along the
 * cycles of that permutation. Then every run out of date order is
 * sorted; no participant has two waves on one day, so no stable sort is
 * needed. */
static void order_waves(cs_survey *s)
{
    if (s->link) {
        size_t at = 0;
        for (size_t v = 0; v < s->nparts; v++) {
            s->parts[v].first = (uint32_t)at;
            s->head[v] = (uint32_t)at;  /* the next place in v's run */
            at += s->parts[v].nwaves;
        }
        for (size_t i = 0; i < s->nwaves; i++)
            s->link[i].prev = s->head[s->link[i].part]++;
        for (size_t i = 0; i < s->nwaves; i++)
            while (s->link[i].prev != i) {
                uint32_t j = s->link[i].prev;
                cs_wave t = s->waves[j];
                s->waves[j] = s->waves[i];
                s->waves[i] = t;
                s->link[i].prev = s->link[j].prev;
                s->link[j].prev = j;
            }
        cs_grow_free(s->link);
        cs_grow_free(s->head);
        s->link = NULL;
        s->head = NULL;
        s->lcap = s->hcap = 0;
    }
    if (!s->unordered)
        return;
    for (size_t v = 0; v < s->nparts; v++) {
        cs_wave *w = s->waves + s->parts[v].first;
        for (size_t i = 1; i < s->parts[v].nwaves; i++)
            if (w[i - 1].day > w[i].day) {
                qsort(w, s->parts[v].nwaves, sizeof *w, cmp_day);
                break;
            }
    }
}

static uint32_t *rlookup(const cs_survey *s, const char *id, size_t len)
{
    size_t i = (size_t)(cs_hash64(id, len, 0) & (s->rtcap - 1));
    for (;;) {
        uint32_t v = s->rtable[i];
        const rpart *p = v ? &s->rparts[v - 1] : NULL;
        if (!v || (p->id_len == len && cs_bytes_eq(p->id, id, len)))
            return &s->rtable[i];
        i = (i + 1) & (s->rtcap - 1);
    }
}

/* cs_ingest_on_reject: count the row against its participant, when its
 * participant_id could be one (present, at most 64 bytes: an id at fault
 * or longer never matches a session's, which the contract checked). */
static int note_rejected(void *ctx, const cs_record *rec, long col)
{
    cs_survey *s = ctx;
    cs_str id;
    uint32_t *slot;

    if (s->pid_col < 0 || col == s->pid_col ||
        (size_t)s->pid_col >= rec->nfields)
        return CS_OK;
    id = cs_str_trim(rec->fields[s->pid_col]);
    if (id.len == 0 || id.len > 64 || cs_is_missing(id))
        return CS_OK;
    if ((s->nrparts + 1) * 2 > s->rtcap) {
        size_t cap = s->rtcap ? s->rtcap * 2 : 64;
        uint32_t *t = calloc(cap, sizeof *t), *old = s->rtable;
        size_t oldcap = s->rtcap;
        if (!t)
            return CS_ENOMEM;
        s->rtable = t;
        s->rtcap = cap;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i]) {
                const rpart *p = &s->rparts[old[i] - 1];
                *rlookup(s, p->id, p->id_len) = old[i];
            }
        free(old);
    }
    slot = rlookup(s, id.ptr, id.len);
    if (*slot) {
        rpart *p = &s->rparts[*slot - 1];
        p->rejected += p->rejected < UINT32_MAX;
        return CS_OK;
    }
    if (s->nrparts == s->rpcap) {
        size_t cap = s->rpcap ? s->rpcap * 2 : 64;
        rpart *np = cs_grow_realloc(s->rparts, cap * sizeof *np);
        if (!np)
            return CS_ENOMEM;
        s->rparts = np;
        s->rpcap = cap;
    }
    rpart *p = &s->rparts[s->nrparts];
    if (!(p->id = cs__idstore_copy(&s->ids, id.ptr, id.len)))
        return CS_ENOMEM;
    p->id_len = (uint32_t)id.len;
    p->rejected = 1;
    *slot = (uint32_t)++s->nrparts;
    return CS_OK;
}

/* How many rows of participant id the contract rejected. */
static uint32_t rejected_rows(const cs_survey *s, cs_str id)
{
    uint32_t v;

    if (!s->rtcap)
        return 0;
    v = *rlookup(s, id.ptr, id.len);
    return v ? s->rparts[v - 1].rejected : 0;
}

static int load_reader(cs_survey **out, cs_reader *r, const cs_record *h,
                       cs_rejlog *rej, unsigned shard_k, unsigned shard_n,
                       cs_error *err);

int cs_survey_load(cs_survey **out, const char *path, cs_rejlog *rej,
                   cs_error *err)
{
    return cs_survey_load_shard(out, path, rej, 0, 0, err);
}

int cs_survey_load_shard(cs_survey **out, const char *path, cs_rejlog *rej,
                         unsigned shard_k, unsigned shard_n, cs_error *err)
{
    cs_reader *r;
    const cs_record *h;

    *out = NULL;
    if (cs_reader_open_header(&r, &h, path, NULL, err) < 0)
        return err->code;
    return load_reader(out, r, h, rej, shard_k, shard_n, err);
}

int cs_survey_load_reader(cs_survey **out, cs_reader *r, const cs_record *h,
                          cs_rejlog *rej, cs_error *err)
{
    return load_reader(out, r, h, rej, 0, 0, err);
}

static int load_reader(cs_survey **out, cs_reader *r, const cs_record *h,
                       cs_rejlog *rej, unsigned shard_k, unsigned shard_n,
                       cs_error *err)
{
    cs_survey *s = calloc(1, sizeof *s);
    cs_ingest *in = NULL;
    const cs_record *rec;
    int rc;

    *out = NULL;
    if (!s) {
        cs_reader_free(r);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    cs_buf_init_grown(&s->txt, (size_t)1 << 36);
    s->deferred = 1;
    if (grow_table(s) < 0) {
        cs_reader_free(r);
        cs_survey_free(s);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    if (cs_ingest_open_reader(&in, r, h, CS_SCHEMA_SURVEY, rej, NULL,
                              err) < 0) {
        cs_survey_free(s);
        return err->code;
    }
    if (cs_ingest_set_shard(in, shard_k, shard_n, err) < 0) {
        cs_ingest_free(in);
        cs_survey_free(s);
        return err->code;
    }
    s->pid_col = cs_schema_index(cs_ingest_schema(in), CS_SV_PARTICIPANT_ID);
    cs_ingest_on_reject(in, note_rejected, s);
    for (;;) {
        /* Each row is checked into the slot after the last wave: an
         * accepted one stays there. */
        cs_wave *nw = room_for(s->waves, &s->wcap, s->nwaves, sizeof *nw), *w;
        int added;
        if (!nw) {
            rc = cs_error_set(err, CS_ENOMEM, "out of memory");
            break;
        }
        s->waves = nw;
        w = &s->waves[s->nwaves];
        if ((rc = cs_ingest_next(in, &rec, NULL, w, err)) <= 0)
            break;
        if ((added = add_wave(s)) < 0) {
            rc = cs_error_set(err, CS_ENOMEM, "out of memory");
            break;
        }
        if (!added) {
            /* Two waves on one day: which one holds is undecidable. */
            char reason[160];
            snprintf(reason, sizeof reason, "survey_date: participant "
                     "\"%.*s\" already has a wave on this date",
                     (int)(w->participant_id.len > 64 ? 64 : w->participant_id.len),
                     w->participant_id.ptr);
            cs_ingest_uncount(in);
            if (rej)
                cs_rejlog_add(rej, cs_ingest_name(in), rec, "survey_date",
                              reason);
        }
    }
    s->counts = cs_ingest_counts_of(in);
    cs_ingest_free(in);
    if (rc >= 0 && s->deferred && build_table(s) < 0)
        rc = cs_error_set(err, CS_ENOMEM, "out of memory");
    if (rc < 0) {
        cs_survey_free(s);
        return rc;
    }
    order_waves(s);
    *out = s;
    return CS_OK;
}

cs_ingest_counts cs_survey_counts(const cs_survey *s) { return s->counts; }
uint64_t cs_survey_participants(const cs_survey *s) { return s->nparts; }
uint64_t cs_survey_waves(const cs_survey *s) { return s->nwaves; }
size_t cs_survey_count(const cs_survey *s) { return s->nparts; }

size_t cs_survey_bytes(const cs_survey *s)
{
    return cs__idstore_bytes(&s->ids) + s->txt.cap +
           (s->txt_at ? s->nwaves * sizeof *s->txt_at : 0) +
           s->pcap * sizeof(part) + s->tcap * sizeof(uint32_t) +
           s->wcap * sizeof(cs_wave) + s->rpcap * sizeof(rpart) +
           s->rtcap * sizeof(uint32_t);
}

/* The wave of participant p for a session on day: the last wave with
 * w.day <= day; the first when all are later. Remembered in *cur with
 * the days it covers: from its own (any day before, for the first) to
 * the day before the next wave's (any day after, for the last). */
static const cs_wave *wave_on(const cs_survey *s, cs_survey_cursor *cur,
                              const part *p, int32_t day)
{
    size_t lo = 0, hi = p->nwaves, i;
    const cs_wave *w = s->waves + p->first;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (w[mid].day <= day)
            lo = mid + 1;
        else
            hi = mid;
    }
    i = lo ? lo - 1 : 0;
    cur->first = i == 0 ? INT32_MIN : w[i].day;
    cur->last = i + 1 < p->nwaves ? w[i + 1].day - 1 : INT32_MAX;
    cur->wave = &w[i];
    return &w[i];
}

/* Whether the cursor's wave is the one for a session of id on day. */
static inline int cursor_holds(const cs_survey *s, const cs_survey_cursor *cur,
                               cs_str id, int32_t day)
{
    return cur->part && part_is(&s->parts[cur->part - 1], id) &&
           (uint32_t)day - (uint32_t)cur->first <=
           (uint32_t)cur->last - (uint32_t)cur->first;
}

const cs_wave *cs_survey_find_at(const cs_survey *s, cs_survey_cursor *cur,
                                 cs_str id, int32_t day)
{
    uint32_t v = cur->part;

    if (cursor_holds(s, cur, id, day))
        return cur->wave;
    if (v) {
        const part *p = &s->parts[v - 1];
        if (part_is(p, id))
            return wave_on(s, cur, p, day);
        /* Sessions grouped by participant in the survey's order go on
         * to the next participant (or one a few on, past those without
         * sessions): the parts are read in order, where a probe of the
         * table misses the cache. In any other order those parts and
         * their ids are misses of their own, and are passed over after
         * NEXT_MISSED moves elsewhere in a row (tried again now and then,
         * for input that turns grouped). */
        if (cur->next_missed < NEXT_MISSED || (cur->moves & 15) == 0) {
            for (uint32_t k = v; k < s->nparts && k < v + NEXT_PARTS; k++)
                if (part_is(&s->parts[k], id)) {
                    cur->part = k + 1;
                    cur->moves++;
                    cur->next_missed = 0;
                    return wave_on(s, cur, &s->parts[k], day);
                }
            cur->next_missed += cur->next_missed < NEXT_MISSED;
        }
    }
    if (!(v = *lookup(s, id, cs_hash64(id.ptr, id.len, 0))))
        return NULL;
    cur->part = v;
    cur->moves++;
    return wave_on(s, cur, &s->parts[v - 1], day);
}

void cs_survey_fetch_ahead(const cs_survey *s, cs_survey_fetch *f, cs_str id)
{
    enum { N = 2 * CS_FETCH_STEP };
    unsigned now = f->k % N, mid = (f->k + N - CS_FETCH_STEP) % N;
    size_t mask = s->tcap - 1;

    if (!s->table)
        return;
    /* The id pushed 2 steps ago (its line comes in CS_FETCH_STEP rows):
     * its participant's id and waves. */
    if (f->k >= N && f->v[now]) {
        const part *p = &s->parts[f->v[now] - 1];
        __builtin_prefetch(p->id);
        __builtin_prefetch(&s->waves[p->first]);
    }
    /* The one pushed a step ago: its slot is in cache; its participant. */
    if (f->k >= CS_FETCH_STEP &&
        (f->v[mid] = s->table[f->h[mid] & mask]) != 0)
        __builtin_prefetch(&s->parts[f->v[mid] - 1]);
    f->h[now] = cs_hash64(id.ptr, id.len, 0);
    f->v[now] = 0;
    __builtin_prefetch(&s->table[f->h[now] & mask]);
    f->k++;
}

const cs_wave *cs_survey_find(const cs_survey *s, cs_str id, int32_t day)
{
    cs_survey_cursor cur = { 0 };

    return cs_survey_find_at(s, &cur, id, day);
}

const cs_wave *cs_survey_latest(const cs_survey *s, size_t i)
{
    const part *p = &s->parts[i];
    return &s->waves[p->first + p->nwaves - 1];
}

void cs_survey_free(cs_survey *s)
{
    if (!s)
        return;
    cs__idstore_free(&s->ids);
    cs_buf_dispose(&s->txt);
    free(s->txt_at);
    cs_grow_free(s->parts);
    free(s->table);
    cs_grow_free(s->waves);
    cs_grow_free(s->link);
    cs_grow_free(s->head);
    cs_grow_free(s->rparts);
    free(s->rtable);
    free(s);
}

/* cs_join_session past the cursor's wave: the search, and the reject of
 * a session whose participant has no wave. Out of line, so that the
 * session found at the cursor saves no registers and no reason buffer
 * for them. */
static __attribute__((noinline)) const cs_wave *
join_rest(const cs_survey *s, cs_survey_cursor *cur, cs_ingest *in,
          const cs_record *rec, const cs_session *ses, cs_rejlog *rej)
{
    const cs_wave *wv;
    char reason[160];
    int idlen = (int)(ses->participant_id.len > 64 ? 64
                      : ses->participant_id.len);
    uint32_t nrej;

    if ((wv = cs_survey_find_at(s, cur, ses->participant_id, ses->day)))
        return wv;
    if ((nrej = rejected_rows(s, ses->participant_id)) > 0)
        snprintf(reason, sizeof reason, "participant_id: \"%.*s\" has no "
                 "valid survey row (%lu rejected)", idlen,
                 ses->participant_id.ptr, (unsigned long)nrej);
    else
        snprintf(reason, sizeof reason, "participant_id: \"%.*s\" has no "
                 "survey row", idlen, ses->participant_id.ptr);
    cs_ingest_uncount(in);
    if (rej)
        cs_rejlog_add(rej, cs_ingest_name(in), rec, "participant_id", reason);
    return NULL;
}

const cs_wave *cs_join_session(const cs_survey *s, cs_survey_cursor *cur,
                               cs_ingest *in, const cs_record *rec,
                               const cs_session *ses, cs_rejlog *rej)
{
    /* Most sessions are the last one's participant, in the same wave,
     * told without a stack frame (the rest is join_rest's). */
    const cs_wave *w = cs_survey_cursor_wave(cur, ses->participant_id,
                                             ses->day);

    return w ? w : join_rest(s, cur, in, rec, ses, rej);
}

void cs_join_write_header(cs_writer *w)
{
    for (int c = CS_SV_SURVEY_DATE; c < CS_SV_NCOLS; c++)
        cs_writer_cstr(w, cs_survey_column(c));
}

int cs_join_check_header(const cs_schema *ex, const char *src, size_t line,
                         cs_error *err)
{
    for (size_t i = 0; i < cs_schema_n_extra(ex); i++) {
        cs_str n = cs_schema_extra_name(ex, i);
        for (int c = CS_SV_SURVEY_DATE; c < CS_SV_NCOLS; c++)
            if (cs_str_ieq(n, cs_survey_column(c)))
                return cs_error_at(err, CS_EPARSE, (cs_pos){ src, line,
                                   cs_schema_extra_index(ex, i) + 1 },
                                   "column \"%s\" is a survey column, which "
                                   "join appends: rename or drop it (is the "
                                   "input joined already?)",
                                   cs_survey_column(c));
    }
    return CS_OK;
}

cs_str cs_survey_wave_text(cs_survey *s, const cs_wave *w)
{
    /* Formatting a wave costs a few hundred instructions: do it once,
     * and only for the stages that write it (analyze never does). A
     * wave's text is 10 to a few hundred bytes (cs_join_format_wave), so
     * its length takes 16 bits. */
    size_t i = (size_t)(w - s->waves);

    if (!s->txt_at &&
        !(s->txt_at = calloc(s->nwaves, sizeof *s->txt_at)))
        return (cs_str){ NULL, 0 };
    if (!s->txt_at[i]) {
        size_t off = s->txt.len;
        if (cs_join_format_wave(&s->txt, w) < 0)
            return (cs_str){ NULL, 0 };
        s->txt_at[i] = (uint64_t)off << 16 | (s->txt.len - off);
    }
    return (cs_str){ s->txt.ptr + (s->txt_at[i] >> 16),
                     (size_t)(s->txt_at[i] & 0xffff) };
}

static const double pow10_d[] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8
};
static const uint32_t pow10_u32[] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000
};

/* Most bytes put_double writes: cs_fmt_double's text (at most 24 bytes)
 * and its NUL. */
#define PUT_DOUBLE_MAX 40

/* cs_fmt_double's text (the shortest of %.15g, %.16g and %.17g that reads
 * back as v), without calling it for the values a survey holds: integers
 * and decimals of a few places (158.6 lb, -1.5 lb a week, 1050 mg),
 * missing values and zero.
 *
 * When m / 10^k, with m < 10^15 and k <= 8, reads back as v (the division
 * of two exact doubles is correctly rounded, so this test is strtod's),
 * that decimal is within half an ulp of v, far closer than the 15th
 * significant digit can move it: %.15g prints exactly its digits, and
 * cs_fmt_double keeps that. The smallest such k gives no trailing zero,
 * as %g strips them. m is llround(|v| * 10^k) (halves up, by a comparison
 * that no fused multiply-add can reach into): for m < 2^51 the error of
 * the product is far below 0.5, so no m that works is missed. |v| below
 * 1e-4 (printed with an exponent) and anything else goes to
 * cs_fmt_double. Writes at d (PUT_DOUBLE_MAX bytes), returns the end. */
static char *put_double(char *d, double v)
{
    double a = fabs(v);

    if (isnan(v))
        return d;                   /* cs_fmt_double's "" */
    if (v == 0) {
        *d = '0';                   /* -0 too */
        return d + 1;
    }
    if (a >= 1e-4 && a < 1e15) {
        for (int k = 0; k < (int)(sizeof pow10_d / sizeof pow10_d[0]); k++) {
            double x = a * pow10_d[k];
            uint64_t m;

            if (!(x < 1e15))
                break;
            m = (uint64_t)x;
            if (x >= (double)m + 0.5)   /* exact: m < 2^50 */
                m++;
            if ((double)m / pow10_d[k] == a) {
                /* The integer part ("0" when m < 10^k), the point and k
                 * decimals; m / 10^k by a constant in the common cases. */
                uint64_t ip = k == 0 ? m : k == 1 ? m / 10 : m / pow10_u32[k];

                if (v < 0)
                    *d++ = '-';
                d = cs_fmt_u64(d, ip);
                if (k) {
                    *d++ = '.';
                    cs_fmt_digits(d + k, (uint32_t)(m - ip * pow10_u32[k]), k);
                    d += k;
                }
                return d;
            }
        }
    }
    return d + cs_fmt_double(d, PUT_DOUBLE_MAX, v);
}

/* The wave's date as the first 10 bytes of cs_fmt_date's
 * "%04d-%02d-%02d", by hand for the years 0 to 9999. */
static char *put_date(char *d, int32_t days)
{
    int y, m, dd;

    cs_civil_from_days(days, &y, &m, &dd);
    if (y < 0 || y > 9999) {
        char t[16];
        cs_fmt_date(t, sizeof t, days);
        memcpy(d, t, 10);
        return d + 10;
    }
    cs_fmt_2digits(d, (uint32_t)y / 100);
    cs_fmt_2digits(d + 2, (uint32_t)y % 100);
    d[4] = '-';
    cs_fmt_2digits(d + 5, (uint32_t)m);
    d[7] = '-';
    cs_fmt_2digits(d + 8, (uint32_t)dd);
    return d + 10;
}

static char *put_str(char *d, const char *s, size_t n)
{
    memcpy(d, s, n);
    return d + n;
}

/* Formatted without printf, straight into b: tag writes this for every
 * row it reads. */
int cs_join_format_wave(cs_buf *b, const cs_wave *o)
{
    const char *act = cs_activity_name(o->activity_level);
    const char *cond = cs_conditioning_name(o->conditioning);
    size_t nact = strlen(act), ncond = strlen(cond);
    char *d;
    int rc;

    /* Up to stretch_routine: 10 + 3 + 3 * 11 + PUT_DOUBLE_MAX + 2 + 5 + 4
     * bytes besides the names. */
    rc = cs_buf_reserve(b, 64 + PUT_DOUBLE_MAX + nact + ncond);
    if (rc < 0)
        return rc;
    d = b->ptr + b->len;
    d = put_date(d, o->day);
    d = put_str(d, o->sex == CS_SEX_F ? ",F," : ",M,", 3);
    d = cs_fmt_u64(d, (unsigned)o->age_years);
    *d++ = ',';
    d = cs_fmt_u64(d, (unsigned)o->height_ft);
    *d++ = ',';
    d = cs_fmt_u64(d, (unsigned)o->height_in);
    *d++ = ',';
    d = put_double(d, o->weight_lb);
    *d++ = ',';
    d = put_str(d, act, nact);
    *d++ = ',';
    d = put_str(d, cond, ncond);
    /* Each put_str with a constant length, so that it is a store. */
    if (o->seasonal_sport)
        d = put_str(d, ",yes,", 5);
    else
        d = put_str(d, ",no,", 4);
    if (o->stretch_routine)
        d = put_str(d, "yes,", 4);
    else
        d = put_str(d, "no,", 3);
    b->len = (size_t)(d - b->ptr);
    b->ptr[b->len] = '\0';
    if (!o->conditions_known) {
        rc = cs_buf_append(b, "NA", 2);
    } else if (o->conditions) {     /* most waves have none */
        int first = 1;
        for (int m = 0; m < CS_MED_N && rc == CS_OK; m++)
            if (o->conditions & (1u << m)) {
                rc = first ? CS_OK : cs_buf_putc(b, ';');
                rc = rc ? rc : cs_buf_puts(b, cs_medical_name(m));
                first = 0;
            }
    }
    if (rc < 0)
        return rc;
    rc = cs_buf_reserve(b, 3 * (1 + PUT_DOUBLE_MAX));
    if (rc < 0)
        return rc;
    d = b->ptr + b->len;
    *d++ = ',';
    d = put_double(d, o->goal_lb_week);
    *d++ = ',';
    d = put_double(d, o->calcium_mg);
    *d++ = ',';
    d = put_double(d, o->potassium_mg);
    b->len = (size_t)(d - b->ptr);
    b->ptr[b->len] = '\0';
    return CS_OK;
}

struct cs_jschema {
    cs_schema *ex, *sv;
    size_t *extra;
    size_t nextra;
    /* cs_jschema_parse_next: the survey columns after participant_id
     * when they lie side by side (span of them from first_col, else 0),
     * and the participant_id and text of those of the last wave parsed. */
    size_t span, pid_col, first_col;
    cs_buf last;
    int have_last;
};

/* The survey columns after participant_id, when they lie side by side:
 * their count, and where they start; 0 otherwise. */
static size_t wave_span(const cs_schema *sv, size_t *pid_col, size_t *first)
{
    long a = cs_schema_index(sv, CS_SV_SURVEY_DATE);

    for (int c = CS_SV_SURVEY_DATE; c < CS_SV_NCOLS; c++)
        if (cs_schema_index(sv, c) != a + (c - CS_SV_SURVEY_DATE))
            return 0;
    *pid_col = (size_t)cs_schema_index(sv, CS_SV_PARTICIPANT_ID);
    *first = (size_t)a;
    return CS_SV_NCOLS - CS_SV_SURVEY_DATE;
}

int cs_jschema_create(cs_jschema **out, const char *src, const cs_record *h,
                      int (*drop)(cs_str name), cs_error *err)
{
    cs_jschema *j = calloc(1, sizeof *j);

    *out = NULL;
    if (!j || !(j->extra = calloc(h->nfields ? h->nfields : 1, sizeof *j->extra))) {
        free(j);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    cs_buf_init(&j->last, 0);
    if (cs_schema_create(&j->ex, CS_SCHEMA_EXERCISE, src, h, err) < 0 ||
        cs_schema_create(&j->sv, CS_SCHEMA_SURVEY, src, h, err) < 0) {
        cs_jschema_free(j);
        return err->code;
    }
    j->span = wave_span(j->sv, &j->pid_col, &j->first_col);
    for (size_t i = 0; i < h->nfields; i++) {
        cs_str name = cs_schema_header(j->ex, i);
        int known = 0;
        for (int c = 0; c < CS_EX_NCOLS; c++)
            known |= cs_schema_index(j->ex, c) == (long)i;
        for (int c = 0; c < CS_SV_NCOLS; c++)
            known |= cs_schema_index(j->sv, c) == (long)i;
        if (!known && !(drop && drop(name)))
            j->extra[j->nextra++] = i;
    }
    *out = j;
    return CS_OK;
}

int cs_jschema_parse(const cs_jschema *j, const cs_record *rec,
                     cs_session *ses, cs_wave *wave, cs_reject *rej)
{
    return cs_schema_exercise(j->ex, rec, ses, rej) &&
           cs_schema_survey(j->sv, rec, wave, rej);
}

int cs_jschema_parse_next(cs_jschema *j, const cs_record *rec,
                          cs_session *ses, cs_wave *wave, cs_reject *rej,
                          int *same)
{
    int ok = cs_schema_exercise(j->ex, rec, ses, rej);

    *same = 0;
    if (ok && j->span && rec->fields[0].ptr == rec->raw.ptr) {
        /* Split in place: the wave's columns are one stretch of raw. */
        cs_str id = rec->fields[j->pid_col];
        const char *a = rec->fields[j->first_col].ptr;
        const cs_str *z = &rec->fields[j->first_col + j->span - 1];
        size_t n = (size_t)(z->ptr + z->len - a);
        const char *l = j->last.ptr;
        *same = j->have_last && j->last.len == id.len + 1 + n &&
                cs_bytes_eq(l, id.ptr, id.len) && l[id.len] == '\n' &&
                memcmp(l + id.len + 1, a, n) == 0;
        if (*same) {
            wave->participant_id = cs_str_trim(id);
        } else if ((ok = cs_schema_survey(j->sv, rec, wave, rej))) {
            cs_buf_reset(&j->last);
            j->have_last = cs_buf_append(&j->last, id.ptr, id.len) == CS_OK &&
                           cs_buf_putc(&j->last, '\n') == CS_OK &&
                           cs_buf_append(&j->last, a, n) == CS_OK;
        } else {
            j->have_last = 0;
        }
    } else if (ok) {
        /* *wave is this row's now, not the one last describes. */
        j->have_last = 0;
        ok = cs_schema_survey(j->sv, rec, wave, rej);
    }
    return ok;
}

size_t cs_jschema_wave_cols(const cs_jschema *j, size_t *first)
{
    *first = j->first_col;
    return j->span;
}

const cs_schema *cs_jschema_exercise(const cs_jschema *j) { return j->ex; }
const cs_schema *cs_jschema_survey(const cs_jschema *j) { return j->sv; }

void cs_jschema_write_extra_header(const cs_jschema *j, cs_writer *w)
{
    for (size_t i = 0; i < j->nextra; i++)
        cs_writer_str(w, cs_schema_header(j->ex, j->extra[i]));
}

void cs_jschema_write_extra(const cs_jschema *j, cs_writer *w,
                            const cs_record *rec)
{
    for (size_t i = 0; i < j->nextra; i++)
        cs_writer_str(w, rec->fields[j->extra[i]]);
}

void cs_jschema_free(cs_jschema *j)
{
    if (!j)
        return;
    cs_schema_free(j->ex);
    cs_schema_free(j->sv);
    cs_buf_dispose(&j->last);
    free(j->extra);
    free(j);
}
