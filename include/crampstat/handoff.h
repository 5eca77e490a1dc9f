/* Handing work from one thread to a second, in order. The producer fills
 * items (fixed size, plus bytes they may refer to, such as a copied id)
 * into batches; a consumer thread calls fn on each batch's items, batch
 * after batch, in the order the items were put. The memory is fixed at create:
 * CS_HANDOFF_SLOTS batches, each of batch_items items and batch_bytes
 * bytes; a batch's byte buffer grows only for an item whose bytes alone
 * exceed it. Nothing is allocated per item.
 *
 * Without a thread (threaded 0) the items gather in one batch of at most
 * 64 (fewer when batch_items is smaller, or its bytes are full), and the
 * cs_handoff_put that fills it calls fn on it in the caller's thread;
 * cs_handoff_finish calls it on the rest. The items come in the same
 * order, a few dozen a call as from the thread, while they are still in
 * the first-level cache. An error of fn is returned by that put, so the
 * caller stops at the end of the batch, where the thread's error would
 * stop it some batches later.
 *
 * The first error of fn stops the calls: the items after the one it
 * failed on are dropped, the next cs_handoff_put returns it, and so does
 * cs_handoff_finish. */
#ifndef CRAMPSTAT_HANDOFF_H
#define CRAMPSTAT_HANDOFF_H

#include <stddef.h>
#include <crampstat/error.h>

/* 32 batches of analyze's 1024 sessions hold about 12 ms of the reading
 * thread's work: enough to ride out the counting thread's bursts (a table
 * growing, a run of new participants) without either thread sleeping.
 * With 4, each thread slept 0.2-0.6 s of a 2.2 s run waiting for the
 * other; 32 made analyze 10 % faster on 5M sessions for 2.2 MiB. */
#define CS_HANDOFF_SLOTS 32

typedef struct cs_handoff cs_handoff;

/* fn(items, n, bytes, payload, err): the n items (item_size bytes
 * each, in the order they were put) of a batch; bytes is the base of the
 * batch's byte buffer, to which the offsets cs_handoff_next gave are
 * relative. Returns CS_OK, or a negative cs_code with err set when it
 * failed on an item (and left the ones after it). */
typedef int (*cs_handoff_fn)(void *items, size_t n, const char *bytes,
                             void *payload, cs_error *err);

int cs_handoff_create(cs_handoff **out, int threaded, size_t item_size,
                      size_t batch_items, size_t batch_bytes,
                      cs_handoff_fn fn, void *payload, cs_error *err);
/* The next item to fill, with room for nbytes bytes at *bytes, which is
 * *off bytes into the batch's byte buffer (fn's bytes); all valid until
 * cs_handoff_put. NULL when out of memory, or when fn failed on the
 * batch that had to be ended for room (without a thread), err set either
 * way. An item that is not put is not handed over. */
void *cs_handoff_next(cs_handoff *h, size_t nbytes, size_t *off,
                      char **bytes, cs_error *err);
/* Hand over the item filled since cs_handoff_next. CS_OK, or the first
 * error of fn (copied into err) once it has happened. */
int cs_handoff_put(cs_handoff *h, cs_error *err);
/* Hand over the last batch, wait until fn has seen every item, and stop
 * the thread. CS_OK, or fn's first error (copied into err). */
int cs_handoff_finish(cs_handoff *h, cs_error *err);
/* Stops the thread when finish was not called: the items not yet seen
 * are dropped. Accepts NULL. */
void cs_handoff_free(cs_handoff *h);

#endif
