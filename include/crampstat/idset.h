/* A set of ids (session ids) for duplicate detection in bounded memory:
 * each id is kept as a 128-bit fingerprint in open-addressing tables, 20
 * to 30 bytes per id, and below 32 even while a table grows. Two
 * different ids share a fingerprint with probability about n^2 / 2^129
 * (below 1e-24 for 20 million ids). */
#ifndef CRAMPSTAT_IDSET_H
#define CRAMPSTAT_IDSET_H

#include <stddef.h>
#include <stdint.h>
#include <crampstat/buf.h>

typedef struct cs_idset cs_idset;

int cs_idset_create(cs_idset **out);
/* Add id: 1 when it was new, 0 when already present, CS_ENOMEM. */
int cs_idset_add(cs_idset *s, cs_str id);

/* The same in two steps, so that the table's cache line can be fetched
 * while the caller does other work: cs_idset_prepare computes the
 * fingerprint and prefetches its slot; cs_idset_add_prepared adds it. A
 * table of millions of ids misses the cache on nearly every add. */
typedef struct cs_idfp {
    uint64_t a, b;        /* the fingerprint, or when id is set the number
                             and where the digits start */
    const char *id;       /* a numbered id, added through its block (id */
    size_t len;           /* must stay valid until it is added) */
} cs_idfp;
cs_idfp cs_idset_prepare(const cs_idset *s, cs_str id);
int cs_idset_add_prepared(cs_idset *s, cs_idfp fp);
/* 1 when the last id added was numbered ("S000123"): kept as a bit in a
 * block that stays in cache, so the next such id gains nothing from
 * cs_idset_prepare and is cheaper added by cs_idset_add alone. */
int cs_idset_numbered(const cs_idset *s);
size_t cs_idset_count(const cs_idset *s);
size_t cs_idset_bytes(const cs_idset *s);  /* table memory */
void cs_idset_free(cs_idset *s);

/* 64-bit hash of bytes with a seed (also used for participant tables). */
uint64_t cs_hash64(const void *p, size_t n, uint64_t seed);

#endif
