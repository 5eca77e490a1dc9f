/* Handing items in order to a consumer thread (handoff.h). One producer,
 * one consumer, CS_HANDOFF_SLOTS batches in a ring: the producer fills the
 * slot after the full ones and waits only when every slot is full; the
 * consumer takes the oldest full slot and waits only when none is. A lock
 * is taken once a batch, not once an item. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/handoff.h>

/* A slot is 64 bytes, a cache line, so that the producer's count of the
 * slot it fills does not share a line with the slot being consumed. */
typedef struct slot {
    unsigned char *items;
    size_t n;                  /* items put */
    char *bytes;
    size_t nbytes, bcap;       /* bytes used, allocated */
    char pad[64 - 2 * sizeof(void *) - 3 * sizeof(size_t)];
} slot;
_Static_assert(sizeof(slot) == 64, "a slot is one cache line");

struct cs_handoff {
    int threaded;
    size_t item_size, batch_items;
    cs_handoff_fn fn;
    void *payload;
    slot s[CS_HANDOFF_SLOTS];
    size_t head, full;         /* the oldest full slot, how many are full */
    size_t fill;               /* the slot being filled */
    size_t pending_bytes;      /* bytes of the item being filled */
    int started, done, stop;   /* thread running; no more batches; drop */
    int failed;                /* fn failed (cerr holds why) */
    cs_error cerr;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;         /* a slot became full or free, or done */
};

/* Without a thread: items a batch, so that fn takes them a few dozen at
 * a time (as from the thread) while they are still in the first-level
 * cache. */
#define UNTHREADED_BATCH 64

static void *consumer(void *arg)
{
    cs_handoff *h = arg;

    for (;;) {
        slot *s;
        int skip;

        pthread_mutex_lock(&h->mu);
        while (h->full == 0 && !h->done && !h->stop)
            pthread_cond_wait(&h->cv, &h->mu);
        if (h->stop || (h->full == 0 && h->done)) {
            pthread_mutex_unlock(&h->mu);
            return NULL;
        }
        s = &h->s[h->head];
        skip = h->failed;
        pthread_mutex_unlock(&h->mu);
        /* The batch in one call: fn reads the items where they lie. */
        cs_error e = {0};
        if (!skip && h->fn(s->items, s->n, s->bytes, h->payload, &e) < 0) {
            pthread_mutex_lock(&h->mu);
            h->cerr = e;
            h->failed = 1;
            pthread_mutex_unlock(&h->mu);
        }
        pthread_mutex_lock(&h->mu);
        s->n = 0;
        s->nbytes = 0;
        h->head = (h->head + 1) % CS_HANDOFF_SLOTS;
        h->full--;
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
    }
}

int cs_handoff_create(cs_handoff **out, int threaded, size_t item_size,
                      size_t batch_items, size_t batch_bytes,
                      cs_handoff_fn fn, void *payload, cs_error *err)
{
    cs_handoff *h = calloc(1, sizeof *h);
    size_t nslots;

    *out = NULL;
    if (!h)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    h->threaded = threaded;
    h->item_size = item_size ? item_size : 1;
    h->batch_items = batch_items ? batch_items : 1;
    if (!threaded && h->batch_items > UNTHREADED_BATCH)
        h->batch_items = UNTHREADED_BATCH;
    h->fn = fn;
    h->payload = payload;
    nslots = threaded ? CS_HANDOFF_SLOTS : 1;
    for (size_t i = 0; i < nslots; i++) {
        slot *s = &h->s[i];
        s->bcap = batch_bytes ? batch_bytes : 64;
        if (!(s->items = malloc(h->batch_items * h->item_size)) ||
            !(s->bytes = malloc(s->bcap))) {
            cs_handoff_free(h);
            return cs_error_set(err, CS_ENOMEM, "out of memory");
        }
    }
    if (threaded) {
        if (pthread_mutex_init(&h->mu, NULL) != 0) {
            cs_handoff_free(h);
            return cs_error_set(err, CS_ENOMEM, "cannot create a lock");
        }
        if (pthread_cond_init(&h->cv, NULL) != 0) {
            pthread_mutex_destroy(&h->mu);
            cs_handoff_free(h);
            return cs_error_set(err, CS_ENOMEM, "cannot create a condition");
        }
        h->started = 1;  /* the lock exists: free destroys it */
        if (pthread_create(&h->th, NULL, consumer, h) != 0) {
            h->started = 0;
            pthread_cond_destroy(&h->cv);
            pthread_mutex_destroy(&h->mu);
            cs_handoff_free(h);
            return cs_error_set(err, CS_ENOMEM, "cannot start a thread");
        }
    }
    *out = h;
    return CS_OK;
}

/* Hand the slot being filled to the consumer and wait for a free one. */
static void submit(cs_handoff *h)
{
    pthread_mutex_lock(&h->mu);
    h->full++;
    pthread_cond_broadcast(&h->cv);
    while (h->full == CS_HANDOFF_SLOTS)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
    h->fill = (h->fill + 1) % CS_HANDOFF_SLOTS;
}

/* The batch without a thread: fn on its items now, in the caller's
 * thread. */
static __attribute__((noinline)) int run_now(cs_handoff *h, cs_error *err)
{
    slot *s = &h->s[h->fill];
    int rc;

    rc = h->failed ? h->cerr.code
                   : h->fn(s->items, s->n, s->bytes, h->payload, &h->cerr);
    s->n = 0;          /* after an error, dropped */
    s->nbytes = 0;
    if (rc < 0) {
        h->failed = 1;
        if (err->code == CS_OK)
            *err = h->cerr;
        return h->cerr.code;
    }
    if (h->cerr.code != CS_OK)    /* as the thread does: a clear start */
        h->cerr = (cs_error){0};
    return CS_OK;
}

/* cs_handoff_next when the item's bytes do not fit in the slot's room:
 * hand the slot over (threaded, when it holds items) or grow its
 * buffer. */
static __attribute__((noinline)) void *next_room(cs_handoff *h,
                                                 size_t nbytes, size_t *off,
                                                 char **bytes, cs_error *err)
{
    slot *s = &h->s[h->fill];

    if (h->threaded && s->n > 0) {
        submit(h);
        s = &h->s[h->fill];
    } else if (s->n > 0 && run_now(h, err) < 0) {
        return NULL;
    }
    if (nbytes > s->bcap - s->nbytes) {
        /* The slot is empty here (or unthreaded, where it is reused): only
         * an item larger than the buffer gets here. */
        size_t cap = s->bcap;
        char *p;
        while (cap < s->nbytes + nbytes)
            cap *= 2;
        if (!(p = realloc(s->bytes, cap))) {
            cs_error_set(err, CS_ENOMEM, "out of memory");
            return NULL;
        }
        s->bytes = p;
        s->bcap = cap;
    }
    *off = s->nbytes;
    *bytes = s->bytes + s->nbytes;
    h->pending_bytes = nbytes;
    return s->items + s->n * h->item_size;
}

void *cs_handoff_next(cs_handoff *h, size_t nbytes, size_t *off,
                      char **bytes, cs_error *err)
{
    slot *s = &h->s[h->fill];

    /* Once an item: kept to what an item that fits needs. */
    if (nbytes > s->bcap - s->nbytes)
        return next_room(h, nbytes, off, bytes, err);
    *off = s->nbytes;
    *bytes = s->bytes + s->nbytes;
    h->pending_bytes = nbytes;
    return s->items + s->n * h->item_size;
}

static int failed(cs_handoff *h, cs_error *err)
{
    int f;

    if (!h->threaded)
        return h->failed;
    pthread_mutex_lock(&h->mu);
    f = h->failed;
    pthread_mutex_unlock(&h->mu);
    if (f && err && err->code == CS_OK)
        *err = h->cerr;
    return f;
}

/* cs_handoff_put on a full batch: hand it over, unless the thread failed. */
static __attribute__((noinline)) int put_batch(cs_handoff *h, cs_error *err)
{
    if (failed(h, err)) {
        h->s[h->fill].n = 0;     /* dropped, and room for a caller that */
        h->s[h->fill].nbytes = 0;    /* puts on */
        return h->cerr.code;
    }
    submit(h);
    return CS_OK;
}

int cs_handoff_put(cs_handoff *h, cs_error *err)
{
    slot *s = &h->s[h->fill];

    s->nbytes += h->pending_bytes;
    h->pending_bytes = 0;
    if (++s->n == h->batch_items)
        return h->threaded ? put_batch(h, err) : run_now(h, err);
    return CS_OK;
}

int cs_handoff_finish(cs_handoff *h, cs_error *err)
{
    if (h->threaded && h->started) {
        if (h->s[h->fill].n > 0) {
            pthread_mutex_lock(&h->mu);
            h->full++;
            pthread_mutex_unlock(&h->mu);
        }
        pthread_mutex_lock(&h->mu);
        h->done = 1;
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
        pthread_join(h->th, NULL);
        h->started = 0;
        pthread_cond_destroy(&h->cv);
        pthread_mutex_destroy(&h->mu);
    }
    if (!h->threaded && h->s[h->fill].n > 0)
        return run_now(h, err);
    if (h->failed) {
        if (err->code == CS_OK)
            *err = h->cerr;
        return h->cerr.code;
    }
    return CS_OK;
}

void cs_handoff_free(cs_handoff *h)
{
    if (!h)
        return;
    if (h->started) {
        pthread_mutex_lock(&h->mu);
        h->stop = 1;
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
        pthread_join(h->th, NULL);
        pthread_cond_destroy(&h->cv);
        pthread_mutex_destroy(&h->mu);
    }
    for (size_t i = 0; i < CS_HANDOFF_SLOTS; i++) {
        free(h->s[i].items);
        free(h->s[i].bytes);
    }
    free(h);
}
