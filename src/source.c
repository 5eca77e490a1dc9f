/* The bottom of every pipeline: raw bytes in, decompressed bytes out.
 *
 * gzip is detected by its magic bytes, never by the file name. We drive
 * inflate() ourselves instead of using gzread(): gzread() silently reads
 * non-gzip bytes as plain text, ignores garbage after a member and reports
 * truncation only through gzerror(), and a researcher must never get a
 * half-read file that looks complete. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <crampstat/source.h>

#define RAW_CHUNK (128 * 1024)

enum kind { KIND_UNKNOWN, KIND_PLAIN, KIND_GZIP };

/* Read-ahead: a second thread inflates (or reads) into a small ring of
 * large slots while the caller parses, so on two cores decompression is
 * off the critical path. The thread runs exactly the single-threaded code,
 * so results are byte-identical either way. */
#define SLOTS 4
#define SLOT_SIZE ((size_t)1 << 20)

typedef struct slot {
    char *buf;
    long n;            /* bytes, 0 = end, < 0 = error (in err) */
    cs_error err;
} slot;

typedef struct prefetch {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    slot slot[SLOTS];
    unsigned long head, tail;  /* slots filled, slots consumed */
    size_t off;                /* bytes used of the tail slot */
    int stop;
    uint64_t consumed;         /* raw bytes, as of the last filled slot */
    unsigned long members;
} prefetch;

static int default_threads = 2;

void cs_source_default_threads(int n)
{
    default_threads = n < 1 ? 1 : n;
}

struct cs_source {
    char name[1024];
    int fd, own_fd;
    const unsigned char *mem;  /* memory input, or NULL */
    size_t mem_len, mem_pos;
    unsigned char *raw;        /* raw input buffer (file input) */
    size_t raw_len, raw_pos;   /* bytes in raw, bytes already used */
    int raw_eof;
    uint64_t consumed;         /* raw bytes handed out of raw[] */
    uint64_t size;
    enum kind kind;
    int z_init, z_done;        /* inflate state exists; all members done */
    int in_member;             /* inside a member (not at a boundary) */
    unsigned long members;
    z_stream z;
    int threads;
    prefetch *pf;
};

static int fill_raw(cs_source *s, cs_error *err)
{
    /* Keep unread bytes; they are still needed (magic, next member). */
    if (s->raw_pos > 0) {
        memmove(s->raw, s->raw + s->raw_pos, s->raw_len - s->raw_pos);
        s->raw_len -= s->raw_pos;
        s->raw_pos = 0;
    }
    if (s->raw_eof)
        return 0;
    if (s->raw_len == RAW_CHUNK)
        return 1;  /* full: a read of 0 bytes would look like the end */
    if (s->mem) {
        size_t n = s->mem_len - s->mem_pos;
        if (n > RAW_CHUNK - s->raw_len)
            n = RAW_CHUNK - s->raw_len;
        memcpy(s->raw + s->raw_len, s->mem + s->mem_pos, n);
        s->mem_pos += n;
        s->raw_len += n;
        if (s->mem_pos == s->mem_len)
            s->raw_eof = 1;
        return (int)(n > 0);
    }
    for (;;) {
        ssize_t n = read(s->fd, s->raw + s->raw_len, RAW_CHUNK - s->raw_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cs_error_offset(err, CS_EIO, s->name, s->consumed,
                                   "read failed: %s", strerror(errno));
        if (n == 0)
            s->raw_eof = 1;
        s->raw_len += (size_t)n;
        return n > 0;
    }
}

static int detect(cs_source *s, cs_error *err)
{
    const unsigned char *b;
    size_t n;

    while (s->raw_len < 4 && !s->raw_eof)
        if (fill_raw(s, err) < 0)
            return err->code;
    b = s->raw;
    n = s->raw_len;
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
        s->kind = KIND_GZIP;
        memset(&s->z, 0, sizeof s->z);
        if (inflateInit2(&s->z, 15 + 16) != Z_OK)
            return cs_error_set(err, CS_ENOMEM, "%s: cannot start inflate",
                                s->name);
        s->z_init = 1;
        return CS_OK;
    }
    if (n >= 2 && b[0] == 0x1f && (b[1] == 0x9d || b[1] == 0xa0))
        return cs_error_offset(err, CS_EPARSE, s->name, 0,
            "not gzip: Unix compress (.Z) data is not supported; "
            "recompress with gzip");
    if (n >= 3 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h')
        return cs_error_offset(err, CS_EPARSE, s->name, 0,
            "not gzip: bzip2 data is not supported; recompress with gzip");
    if (n >= 4 && b[0] == 0xfd && b[1] == '7' && b[2] == 'z' && b[3] == 'X')
        return cs_error_offset(err, CS_EPARSE, s->name, 0,
            "not gzip: xz data is not supported; recompress with gzip");
    if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
        return cs_error_offset(err, CS_EPARSE, s->name, 0,
            "not gzip: zstd data is not supported; recompress with gzip");
    if (n >= 2 && ((b[0] == 0xff && b[1] == 0xfe) || (b[0] == 0xfe && b[1] == 0xff)))
        return cs_error_offset(err, CS_EPARSE, s->name, 0,
            "UTF-16 or UTF-32 text is not supported; convert to UTF-8");
    if (n >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0xfe && b[3] == 0xff)
        return cs_error_offset(err, CS_EPARSE, s->name, 0,
            "UTF-16 or UTF-32 text is not supported; convert to UTF-8");
    s->kind = KIND_PLAIN;
    return CS_OK;
}

static int source_new(cs_source **out, const char *name)
{
    cs_source *s = calloc(1, sizeof *s);
    if (!s || !(s->raw = malloc(RAW_CHUNK))) {
        free(s);
        return CS_ENOMEM;
    }
    snprintf(s->name, sizeof s->name, "%s", name);
    s->fd = -1;
    s->threads = default_threads;
    *out = s;
    return CS_OK;
}

int cs_source_open(cs_source **out, const char *path, cs_error *err)
{
    cs_source *s;
    struct stat st;

    *out = NULL;
    if (source_new(&s, path) < 0)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    if (strcmp(path, "-") == 0) {
        s->fd = 0;
    } else {
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0) {
            int e = errno;
            cs_source_free(s);
            return cs_error_at(err, CS_ENOENT, (cs_pos){ path, 0, 0 },
                               "cannot open: %s", strerror(e));
        }
        s->own_fd = 1;
    }
    if (fstat(s->fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            cs_source_free(s);
            return cs_error_at(err, CS_ENOENT, (cs_pos){ path, 0, 0 },
                               "cannot read: is a directory");
        }
        if (S_ISREG(st.st_mode))
            s->size = (uint64_t)st.st_size;
    }
#ifdef POSIX_FADV_SEQUENTIAL
    if (s->size)
        posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    *out = s;
    return CS_OK;
}

int cs_source_open_mem(cs_source **out, const char *name, const void *data,
                       size_t len, cs_error *err)
{
    cs_source *s;

    *out = NULL;
    if (source_new(&s, name) < 0)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    s->mem = data;
    s->mem_len = len;
    s->size = len;
    if (len == 0)
        s->raw_eof = 1;
    *out = s;
    return CS_OK;
}

static long read_plain(cs_source *s, char *buf, size_t cap, cs_error *err)
{
    size_t n;

    if (s->raw_pos == s->raw_len) {
        int rc = fill_raw(s, err);
        if (rc < 0)
            return rc;
        if (s->raw_len == 0)
            return 0;
    }
    n = s->raw_len - s->raw_pos;
    if (n > cap)
        n = cap;
    memcpy(buf, s->raw + s->raw_pos, n);
    s->raw_pos += n;
    s->consumed += n;
    return (long)n;
}

/* Account for the raw bytes inflate has taken since the last call. */
static void sync_raw(cs_source *s)
{
    size_t pos;

    if (!s->z.next_in)
        return;
    pos = (size_t)(s->z.next_in - s->raw);
    s->consumed += pos - s->raw_pos;
    s->raw_pos = pos;
}

/* A member must start with the magic bytes: anything else after a complete
 * member is trailing garbage, an error rather than silently ignored. */
static int start_member(cs_source *s, cs_error *err)
{
    while (s->raw_len - s->raw_pos < 2 && !s->raw_eof)
        if (fill_raw(s, err) < 0)
            return err->code;
    if (s->raw_len - s->raw_pos < 2 || s->raw[s->raw_pos] != 0x1f ||
        s->raw[s->raw_pos + 1] != 0x8b)
        return cs_error_offset(err, CS_EPARSE, s->name, s->consumed,
                               "gzip: trailing garbage after member %lu",
                               s->members);
    s->in_member = 1;
    s->z.next_in = s->raw + s->raw_pos;
    s->z.avail_in = (uInt)(s->raw_len - s->raw_pos);
    return CS_OK;
}

static long read_gzip(cs_source *s, char *buf, size_t cap, cs_error *err)
{
    if (s->z_done)
        return 0;
    s->z.next_out = (unsigned char *)buf;
    s->z.avail_out = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);
    while (s->z.avail_out > 0) {
        int zr;

        if (s->z.avail_in == 0) {
            sync_raw(s);
            if (fill_raw(s, err) < 0)
                return err->code;
            if (s->raw_len == 0) {
                if (s->in_member)
                    return cs_error_offset(err, CS_EPARSE, s->name,
                        s->consumed, "gzip: unexpected end of file "
                        "(member %lu is truncated)", s->members + 1);
                s->z_done = 1;
                break;
            }
            if (!s->in_member) {
                if (start_member(s, err) < 0)
                    return err->code;
            } else {
                s->z.next_in = s->raw + s->raw_pos;
                s->z.avail_in = (uInt)(s->raw_len - s->raw_pos);
            }
        }
        zr = inflate(&s->z, Z_NO_FLUSH);
        if (zr == Z_STREAM_END) {
            s->members++;
            s->in_member = 0;
            sync_raw(s);
            inflateReset(&s->z);
            if (s->z.avail_in > 0 && start_member(s, err) < 0)
                return err->code;
            continue;
        }
        if (zr == Z_BUF_ERROR && s->z.avail_in == 0)
            continue;
        if (zr == Z_MEM_ERROR)
            return cs_error_set(err, CS_ENOMEM, "out of memory");
        if (zr != Z_OK) {
            const char *why = s->z.msg ? s->z.msg : zError(zr);
            sync_raw(s);
            return cs_error_offset(err, CS_EPARSE, s->name, s->consumed,
                                   "gzip: %s (member %lu)", why,
                                   s->members + 1);
        }
    }
    return (long)(cap - s->z.avail_out);
}

static long read_direct(cs_source *s, char *buf, size_t cap, cs_error *err)
{
    if (s->kind == KIND_PLAIN)
        return read_plain(s, buf, cap, err);
    return read_gzip(s, buf, cap, err);
}

static void *producer(void *arg)
{
    cs_source *s = arg;
    prefetch *pf = s->pf;

    for (;;) {
        slot *sl;
        cs_error e = {0};
        long n;

        pthread_mutex_lock(&pf->mu);
        while (pf->head - pf->tail == SLOTS && !pf->stop)
            pthread_cond_wait(&pf->cv, &pf->mu);
        if (pf->stop) {
            pthread_mutex_unlock(&pf->mu);
            break;
        }
        sl = &pf->slot[pf->head % SLOTS];
        pthread_mutex_unlock(&pf->mu);
        n = read_direct(s, sl->buf, SLOT_SIZE, &e);
        pthread_mutex_lock(&pf->mu);
        sl->n = n;
        sl->err = e;
        pf->consumed = s->consumed;
        pf->members = s->members;
        pf->head++;
        pthread_cond_broadcast(&pf->cv);
        pthread_mutex_unlock(&pf->mu);
        if (n <= 0)
            break;
    }
    return NULL;
}

/* Start the read-ahead thread; on any failure stay single-threaded. */
static void start_prefetch(cs_source *s)
{
    prefetch *pf = calloc(1, sizeof *pf);
    int k;

    if (!pf)
        return;
    for (k = 0; k < SLOTS; k++)
        if (!(pf->slot[k].buf = malloc(SLOT_SIZE)))
            break;
    if (k < SLOTS || pthread_mutex_init(&pf->mu, NULL) != 0) {
        while (k-- > 0)
            free(pf->slot[k].buf);
        free(pf);
        return;
    }
    pthread_cond_init(&pf->cv, NULL);
    s->pf = pf;
    if (pthread_create(&pf->th, NULL, producer, s) != 0) {
        pthread_cond_destroy(&pf->cv);
        pthread_mutex_destroy(&pf->mu);
        for (k = 0; k < SLOTS; k++)
            free(pf->slot[k].buf);
        free(pf);
        s->pf = NULL;
    }
}

static long read_prefetched(cs_source *s, char *buf, size_t cap, cs_error *err)
{
    prefetch *pf = s->pf;
    slot *sl;
    size_t k;

    pthread_mutex_lock(&pf->mu);
    while (pf->tail == pf->head)
        pthread_cond_wait(&pf->cv, &pf->mu);
    sl = &pf->slot[pf->tail % SLOTS];
    pthread_mutex_unlock(&pf->mu);
    if (sl->n < 0) {
        /* Sticky: the error stays the answer, as without the thread. */
        if (err && err->code == CS_OK)
            *err = sl->err;
        return sl->n;
    }
    if (sl->n == 0)
        return 0;
    k = (size_t)sl->n - pf->off;
    if (k > cap)
        k = cap;
    memcpy(buf, sl->buf + pf->off, k);
    pf->off += k;
    if (pf->off == (size_t)sl->n) {
        pthread_mutex_lock(&pf->mu);
        pf->tail++;
        pf->off = 0;
        pthread_cond_broadcast(&pf->cv);
        pthread_mutex_unlock(&pf->mu);
    }
    return (long)k;
}

long cs_source_read(cs_source *s, char *buf, size_t cap, cs_error *err)
{
    if (s->kind == KIND_UNKNOWN) {
        if (detect(s, err) < 0)
            return err->code;
        /* Detection ran here, so the kind is settled before the thread. */
        if (s->threads > 1)
            start_prefetch(s);
    }
    if (s->pf)
        return read_prefetched(s, buf, cap, err);
    return read_direct(s, buf, cap, err);
}

const char *cs_source_name(const cs_source *s) { return s->name; }
uint64_t cs_source_consumed(const cs_source *s)
{
    uint64_t v;

    if (!s->pf)
        return s->consumed;
    pthread_mutex_lock(&s->pf->mu);
    v = s->pf->consumed;
    pthread_mutex_unlock(&s->pf->mu);
    return v;
}
uint64_t cs_source_size(const cs_source *s) { return s->size; }
int cs_source_is_gzip(const cs_source *s) { return s->kind == KIND_GZIP; }
unsigned long cs_source_members(const cs_source *s)
{
    unsigned long v;

    if (!s->pf)
        return s->members;
    pthread_mutex_lock(&s->pf->mu);
    v = s->pf->members;
    pthread_mutex_unlock(&s->pf->mu);
    return v;
}

void cs_source_free(cs_source *s)
{
    if (!s)
        return;
    if (s->pf) {
        prefetch *pf = s->pf;
        pthread_mutex_lock(&pf->mu);
        pf->stop = 1;
        pthread_cond_broadcast(&pf->cv);
        pthread_mutex_unlock(&pf->mu);
        pthread_join(pf->th, NULL);
        pthread_cond_destroy(&pf->cv);
        pthread_mutex_destroy(&pf->mu);
        for (int k = 0; k < SLOTS; k++)
            free(pf->slot[k].buf);
        free(pf);
    }
    if (s->z_init)
        inflateEnd(&s->z);
    if (s->own_fd)
        close(s->fd);
    free(s->raw);
    free(s);
}
