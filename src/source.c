/* The bottom of every pipeline: raw bytes in, decompressed bytes out.
 *
 * gzip is detected by its magic bytes, never by the file name. We drive
 * inflate() ourselves instead of using gzread(): gzread() silently reads
 * non-gzip bytes as plain text, ignores garbage after a member and reports
 * truncation only through gzerror(), and a researcher must never get a
 * half-read file that looks complete.
 *
 * Two inflaters. zlib is the reference: every gzip error, its message and
 * its byte offset, is zlib's. A build with ISA-L (CMake option
 * CRAMPSTAT_ISAL) inflates the deflate data of each member with ISA-L,
 * about three times faster, and keeps zlib for everything that decides an
 * error:
 *   - zlib parses each member header (inflate with Z_BLOCK stops right
 *     after it), so header errors are zlib's own;
 *   - ISA-L inflates the deflate data; we compute the CRC-32 and check
 *     the 8-byte trailer ourselves;
 *   - when ISA-L reports an error, the input ends inside the member, or
 *     the trailer's CRC-32 or length does not match, the member is
 *     inflated again by zlib from its first byte ("replay"), its output
 *     thrown away up to what ISA-L already produced (zlib must produce the
 *     same bytes), and zlib finishes the member. The error, its message
 *     and its offset are then exactly those of the zlib-only path.
 * ISA-L's own error codes are never shown: its checks differ from zlib's
 * (it accepts incomplete Huffman codes, which zlib refuses, and stops at
 * other places), so only zlib's verdict is stable. The replay has to read
 * the member again, so ISA-L is used only for memory and regular files; a
 * pipe is inflated by zlib. One difference remains: a deflate block whose
 * Huffman code is incomplete (zlib: "invalid distances set", "invalid
 * literal/lengths set", "invalid code lengths set") but whose data never
 * uses a missing code decodes to the right bytes, so the CRC-32 and length
 * match and ISA-L reads the member where zlib refuses it. Damage does that
 * only in a header whose codes the block barely uses (a bit flip in a
 * 60-byte member did it; none of thousands in real files); ISA-L 2.30 has
 * no hook between blocks through which to check it.
 *
 * CRAMPSTAT_INFLATE=zlib in the environment selects zlib in a build with
 * ISA-L, so both paths are testable in one binary; it is read whenever a
 * source is opened. Any other value, or none, means the default (ISA-L
 * when built in). */
#define _GNU_SOURCE 1  /* F_SETPIPE_SZ (Linux) */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifdef CS_HAVE_ISAL
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#endif
#include <crampstat/source.h>
#include "internal.h"

/* Raw input is read RAW_CHUNK bytes at a time by default; a source opened
 * with a buf_size uses that instead (cs_source_opts). */
#define RAW_CHUNK ((size_t)128 * 1024)
#define BUF_MIN ((size_t)8)
#define BUF_MAX ((size_t)1 << 20)

enum kind { KIND_UNKNOWN, KIND_PLAIN, KIND_GZIP };

/* Where a gzip source stands. Without ISA-L only PH_MEMBER and PH_ZLIB. */
enum phase {
    PH_MEMBER,   /* at a member boundary: the end, or the next magic */
    PH_ZLIB,     /* zlib inflates the member, header to trailer */
    PH_HEAD,     /* zlib parses the member header, then PH_BODY */
    PH_BODY,     /* ISA-L inflates the deflate data */
    PH_TRAILER,  /* the CRC-32 and length (ISIZE) are checked here */
    PH_FAILED    /* a sticky error in fail */
};

/* zlib's output while a replay skips what ISA-L already produced: at
 * most SCRATCH bytes, and no more than the raw buffer. */
#define SCRATCH ((size_t)64 * 1024)
/* ISA-L keeps its output count (total_out) in 32 bits, and its portable C
 * decoder checks match distances against it: past 4 GiB in one member the
 * count would wrap and valid matches be refused. Calls write at most
 * ISAL_MAX_OUT and the count is pulled back below 2^31 between calls; it
 * only has to stay above the 32 KiB window. (A 4.5 GiB member reads the
 * same either way with the x86 decoder of ISA-L 2.30.) */
#define ISAL_MAX_OUT ((uint32_t)1 << 30)

/* Read-ahead: a second thread inflates (or reads) into a small ring of
 * large slots (8 raw buffers each: 1 MiB by default) while the caller
 * parses, so on two cores decompression is off the critical path. The
 * thread runs exactly the single-threaded code, so results are
 * byte-identical either way. */
#define SLOTS 4
#define SLOT_RAWS 8

typedef struct slot {
    char *buf;         /* room for a borrower's line (raw_cap), then data */
    long n;            /* bytes, 0 = end, < 0 = error (in err) */
    cs_error err;
    uint64_t *marks;   /* lines checked ahead (cs_source_mark_fills) */
    size_t nmarks, mstart;
} slot;

/* Marks a slot holds at most: lines of 32 bytes or more fill it. */
#define SLOT_MARKS(pf) ((pf)->slot_size / 32)
/* How much of each slot the thread checks ahead, in sixteenths: from
 * MARK_SHARE0, one more after each wait for the reader to free a slot
 * (the reader is the slower side), one less each time the reader waits
 * for a slot (the thread is). CRAMPSTAT_CHECK_AHEAD=off turns the
 * checking off, and a number from 0 to 16 fixes the share (for tests and
 * comparisons); any other value is the default. */
#define MARK_SHARE0 4

typedef struct prefetch {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    slot slot[SLOTS];
    unsigned long head, tail;  /* slots filled, slots consumed */
    size_t off;                /* bytes used of the tail slot */
    int lent;                  /* the tail slot is borrowed (and used up) */
    size_t room;               /* bytes before each slot's data */
    size_t slot_size;
    int stop;
    uint64_t consumed;         /* raw bytes, as of the last filled slot */
    unsigned long members, replays;
    cs_fill_fn *fill;          /* checks lines ahead, or NULL */
    void *fill_ctx;
    unsigned share;            /* sixteenths of a slot fill may check */
    int share_fixed;           /* CRAMPSTAT_CHECK_AHEAD named it */
} prefetch;

/* threads 0: as many as suit the CPUs this process may run on
 * (auto_threads). */
static cs_source_opts defaults = { 0, RAW_CHUNK };

/* The control groups' CPU quota, read once a process (cpus.c). */
static long long quota_milli = -1;
static pthread_once_t quota_once = PTHREAD_ONCE_INIT;
static void read_quota(void) { quota_milli = cs__cpu_quota_milli(""); }

/* 2, or 1 when the process may use one CPU at most: its affinity names
 * one (taskset, a batch system's job of one CPU), or its control groups'
 * quota allows no more than one CPU's time (docker --cpus 1, systemd's
 * CPUQuota=100%). There the threads would only take turns, and analyze
 * in one thread took 0.94-0.95 x the time of its three on one core. */
static int auto_threads(void)
{
#ifdef CPU_COUNT
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) == 1)
        return 1;
#endif
    pthread_once(&quota_once, read_quota);
    if (quota_milli >= 0 && quota_milli <= 1000)
        return 1;
    return 2;
}

void cs_source_default_threads(int n)
{
    defaults.threads = n < 0 ? 1 : n;
}

int cs_source_threads(void)
{
    return defaults.threads ? defaults.threads : auto_threads();
}

void cs_source_set_defaults(const cs_source_opts *o)
{
    if (o->threads > 0)
        defaults.threads = o->threads;
    if (o->buf_size > 0)
        defaults.buf_size = o->buf_size;
}

/* The options a source is opened with: o's, the defaults for its zeros. */
static cs_source_opts resolve(const cs_source_opts *o)
{
    cs_source_opts r = defaults;

    if (o && o->threads > 0)
        r.threads = o->threads;
    if (r.threads == 0)
        r.threads = auto_threads();
    if (o && o->buf_size > 0)
        r.buf_size = o->buf_size;
    if (r.buf_size < BUF_MIN)
        r.buf_size = BUF_MIN;
    if (r.buf_size > BUF_MAX)
        r.buf_size = BUF_MAX;
    return r;
}

struct cs_source {
    char name[1024];
    int fd, own_fd;
    const unsigned char *mem;  /* memory input, or NULL */
    size_t mem_len, mem_pos;
    unsigned char *raw;        /* raw input buffer, raw_cap bytes */
    size_t raw_cap;
    size_t raw_len, raw_pos;   /* bytes in raw, bytes already used */
    int raw_eof;
    uint64_t consumed;         /* raw bytes handed out of raw[] */
    uint64_t size;
    enum kind kind;
    int z_init, z_done;        /* inflate state exists; all members done */
    enum phase phase;
    unsigned long members;
    z_stream z;
    int threads;
    prefetch *pf;
    /* Replays read a member again: memory, or a regular file at
     * start_off + raw offset. */
    int rereadable;
    uint64_t start_off;
    int want_isal;             /* CRAMPSTAT_INFLATE at open */
    unsigned long replays;     /* members zlib inflated again */
    uint64_t member_start;     /* raw offset of the current member */
    uint64_t member_out;       /* bytes ISA-L produced in this member */
    uint32_t member_crc;       /* their CRC-32 */
    uint64_t skip;             /* replay: zlib bytes still to throw away */
    uint32_t skip_crc;         /* CRC-32 of those thrown away so far */
    unsigned char *scratch;    /* scratch_size() bytes, for the replay */
    unsigned char trailer[8];
    int trailer_n;
    int stall;                 /* ISA-L's last call made no progress */
    cs_error fail;             /* PH_FAILED */
#ifdef CS_HAVE_ISAL
    struct inflate_state *isal;  /* NULL: zlib inflates every member */
#endif
};

/* CRAMPSTAT_INFLATE=zlib: see the comment at the top. */
static int want_isal(void)
{
#ifdef CS_HAVE_ISAL
    const char *v = getenv("CRAMPSTAT_INFLATE");
    return !(v && strcmp(v, "zlib") == 0);
#else
    return 0;
#endif
}

const char *cs_source_inflater(void)
{
    return want_isal() ? "isal" : "zlib";
}

const char *cs_source_inflater_of(const cs_source *s)
{
    if (s->kind != KIND_GZIP)
        return NULL;
#ifdef CS_HAVE_ISAL
    if (s->isal)
        return "isal";
#endif
    return "zlib";
}

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
    if (s->raw_len == s->raw_cap)
        return 1;  /* full: a read of 0 bytes would look like the end */
    if (s->mem) {
        size_t n = s->mem_len - s->mem_pos;
        if (n > s->raw_cap - s->raw_len)
            n = s->raw_cap - s->raw_len;
        memcpy(s->raw + s->raw_len, s->mem + s->mem_pos, n);
        s->mem_pos += n;
        s->raw_len += n;
        if (s->mem_pos == s->mem_len)
            s->raw_eof = 1;
        return (int)(n > 0);
    }
    for (;;) {
        ssize_t n = read(s->fd, s->raw + s->raw_len, s->raw_cap - s->raw_len);
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
#ifdef CS_HAVE_ISAL
        /* Without ISA-L state (a pipe, out of memory) zlib does it all. */
        if (s->want_isal && s->rereadable &&
            (s->isal = malloc(sizeof *s->isal)) != NULL)
            isal_inflate_init(s->isal);
#endif
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

static int source_new(cs_source **out, const char *name,
                      const cs_source_opts *o)
{
    cs_source_opts r = resolve(o);
    cs_source *s = calloc(1, sizeof *s);

    if (!s || !(s->raw = malloc(r.buf_size))) {
        free(s);
        return CS_ENOMEM;
    }
    snprintf(s->name, sizeof s->name, "%s", name);
    s->fd = -1;
    s->raw_cap = r.buf_size;
    s->threads = r.threads;
    s->want_isal = want_isal();
    *out = s;
    return CS_OK;
}

int cs_source_open(cs_source **out, const char *path, cs_error *err)
{
    return cs_source_open_opts(out, path, NULL, err);
}

int cs_source_open_opts(cs_source **out, const char *path,
                        const cs_source_opts *o, cs_error *err)
{
    cs_source *s;
    struct stat st;

    *out = NULL;
    if (source_new(&s, path, o) < 0)
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
        /* As the writer's end does (cli.c): a stage may then take up to
         * 1 MiB a read from a writer that got ahead, whatever wrote. */
        if (S_ISFIFO(st.st_mode))
            cs_pipe_grow(s->fd, CS_PIPE_SIZE);
        if (S_ISREG(st.st_mode)) {
            off_t at = lseek(s->fd, 0, SEEK_CUR);
            s->size = (uint64_t)st.st_size;
            /* Standard input may be a regular file not read from its
             * start: replays seek relative to where reading began. */
            if (at >= 0) {
                s->rereadable = 1;
                s->start_off = (uint64_t)at;
            }
        }
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
    return cs_source_open_mem_opts(out, name, data, len, NULL, err);
}

int cs_source_open_mem_opts(cs_source **out, const char *name,
                            const void *data, size_t len,
                            const cs_source_opts *o, cs_error *err)
{
    cs_source *s;

    *out = NULL;
    if (source_new(&s, name, o) < 0)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    s->mem = data;
    s->mem_len = len;
    s->size = len;
    s->rereadable = 1;
    if (len == 0)
        s->raw_eof = 1;
    *out = s;
    return CS_OK;
}

/* Plain input with nothing buffered, for a caller who wants at least a
 * buffer's worth: straight into the caller's buffer, so that a small raw
 * buffer never cuts a large read into small ones (a reader rescans a
 * long line on every short read). */
static long read_plain_direct(cs_source *s, char *buf, size_t cap,
                              cs_error *err)
{
    if (s->mem) {
        size_t n = s->mem_len - s->mem_pos;
        if (n > cap)
            n = cap;
        memcpy(buf, s->mem + s->mem_pos, n);
        s->mem_pos += n;
        s->consumed += n;
        if (s->mem_pos == s->mem_len)
            s->raw_eof = 1;
        return (long)n;
    }
    for (;;) {
        ssize_t n = read(s->fd, buf, cap);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cs_error_offset(err, CS_EIO, s->name, s->consumed,
                                   "read failed: %s", strerror(errno));
        if (n == 0)
            s->raw_eof = 1;
        s->consumed += (uint64_t)n;
        return (long)n;
    }
}

static long read_plain(cs_source *s, char *buf, size_t cap, cs_error *err)
{
    size_t n;

    if (s->raw_pos == s->raw_len && cap >= s->raw_cap) {
        if (s->raw_eof)
            return 0;
        return read_plain_direct(s, buf, cap, err);
    }
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

/* Hand zlib the unused part of raw[], refilling it first if it is empty.
 * Returns 1, 0 at the end of the input, or an error. */
static int zlib_input(cs_source *s, cs_error *err)
{
    if (s->raw_pos == s->raw_len) {
        if (fill_raw(s, err) < 0)
            return err->code;
        if (s->raw_len == 0)
            return 0;
    }
    s->z.next_in = s->raw + s->raw_pos;
    s->z.avail_in = (uInt)(s->raw_len - s->raw_pos);
    return 1;
}

static int truncated(cs_source *s, cs_error *err)
{
    return cs_error_offset(err, CS_EPARSE, s->name, s->consumed,
                           "gzip: unexpected end of file (member %lu is "
                           "truncated)", s->members + 1);
}

static int zlib_error(cs_source *s, int zr, cs_error *err)
{
    const char *why = s->z.msg ? s->z.msg : zError(zr);

    if (zr == Z_MEM_ERROR)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    return cs_error_offset(err, CS_EPARSE, s->name, s->consumed,
                           "gzip: %s (member %lu)", why, s->members + 1);
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
    s->member_start = s->consumed;
    inflateReset(&s->z);
    s->z.next_in = NULL;
#ifdef CS_HAVE_ISAL
    if (s->isal) {
        s->phase = PH_HEAD;
        return CS_OK;
    }
#endif
    s->phase = PH_ZLIB;
    return CS_OK;
}

/* A member is complete. What follows it in the buffer must be the next
 * member, checked now as it always was (the end of the input is found by
 * the next read). */
static int end_member(cs_source *s, cs_error *err)
{
    s->members++;
    s->phase = PH_MEMBER;
    if (s->raw_pos < s->raw_len)
        return start_member(s, err);
    return CS_OK;
}

static int fail(cs_source *s, cs_error *err)
{
    s->phase = PH_FAILED;
    if (err && err->code == CS_OK)
        *err = s->fail;
    return s->fail.code;
}

static size_t scratch_size(const cs_source *s)
{
    return s->raw_cap < SCRATCH ? s->raw_cap : SCRATCH;
}

/* PH_ZLIB: zlib inflates into out[*n..cap), or, in a replay, into scratch
 * until the bytes ISA-L already produced are skipped. */
static int step_zlib(cs_source *s, unsigned char *out, size_t cap, size_t *n,
                     cs_error *err)
{
    unsigned char *dst = out + *n;
    size_t room = cap - *n, made;
    int skipping = s->skip > 0;
    int more = zlib_input(s, err);
    int zr;

    if (more < 0)
        return more;
    if (more == 0) {
        /* The input ends inside the member, but zlib may still hold work
         * that waits only for output room: the rest of a match, or the
         * check of its distance ("invalid distance too far back"). One more
         * call with no input lets it finish, so that the error does not
         * depend on how full the caller's buffer happened to be. */
        s->z.next_in = s->raw + s->raw_pos;
        s->z.avail_in = 0;
    }
    if (skipping) {
        dst = s->scratch;
        room = s->skip < scratch_size(s) ? (size_t)s->skip : scratch_size(s);
    }
    s->z.next_out = dst;
    s->z.avail_out = (uInt)room;
    zr = inflate(&s->z, Z_NO_FLUSH);
    made = room - s->z.avail_out;
    sync_raw(s);
    /* What the last call made counts even when the input then ends: it
     * is the data before the cut, as gzip -dc writes it. */
    if (skipping) {
        s->skip_crc = (uint32_t)crc32(s->skip_crc, dst, (uInt)made);
        s->skip -= made;
    } else {
        *n += made;
    }
    if (more == 0 && zr == Z_BUF_ERROR)
        return truncated(s, err);   /* nothing left to do without input */
    if (zr != Z_OK && zr != Z_STREAM_END &&
        !(zr == Z_BUF_ERROR && s->z.avail_in == 0))
        return zlib_error(s, zr, err);
    /* zlib must produce what ISA-L did, or the caller already has wrong
     * bytes: never expected, but never silent either. */
    if (skipping && (s->skip > 0 ? zr == Z_STREAM_END
                                 : s->skip_crc != s->member_crc)) {
        cs_error_offset(&s->fail, CS_EPARSE, s->name, s->consumed,
                        "gzip: ISA-L and zlib disagree on member %lu "
                        "(set CRAMPSTAT_INFLATE=zlib)", s->members + 1);
        return fail(s, err);
    }
    if (zr == Z_STREAM_END)
        return end_member(s, err);
    return CS_OK;   /* Z_OK, or Z_BUF_ERROR: wants more input */
}

#ifdef CS_HAVE_ISAL
/* ISA-L met an error, the input ended inside the member, or the trailer
 * does not match: zlib inflates the member again from its first byte,
 * throws away the member_out bytes already produced, and carries on. Its
 * verdict is then the zlib-only one, message and offset included. */
static int replay(cs_source *s, cs_error *err)
{
    if (!s->scratch && !(s->scratch = malloc(scratch_size(s))))
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    if (s->mem) {
        s->mem_pos = (size_t)s->member_start;
    } else if (lseek(s->fd, (off_t)(s->start_off + s->member_start),
                     SEEK_SET) < 0) {
        return cs_error_offset(err, CS_EIO, s->name, s->consumed,
                               "seek failed: %s", strerror(errno));
    }
    s->raw_len = s->raw_pos = 0;
    s->raw_eof = 0;
    s->consumed = s->member_start;
    inflateReset(&s->z);
    s->z.next_in = NULL;
    s->skip = s->member_out;
    s->skip_crc = (uint32_t)crc32(0L, Z_NULL, 0);
    s->phase = PH_ZLIB;
    s->replays++;
    return CS_OK;
}

/* PH_HEAD: zlib parses the header; Z_BLOCK stops it just before the
 * deflate data (bit 7 of data_type). */
static int step_head(cs_source *s, cs_error *err)
{
    unsigned char none;
    int zr = zlib_input(s, err);

    if (zr < 0)
        return zr;
    if (zr == 0)
        return truncated(s, err);
    s->z.next_out = &none;
    s->z.avail_out = 0;
    zr = inflate(&s->z, Z_BLOCK);
    sync_raw(s);
    if (zr == Z_OK && (s->z.data_type & 128)) {
        isal_inflate_reset(s->isal);
        s->isal->crc_flag = ISAL_DEFLATE;
        s->member_out = 0;
        s->member_crc = 0;
        s->stall = 0;
        s->phase = PH_BODY;
        return CS_OK;
    }
    if (zr == Z_OK || (zr == Z_BUF_ERROR && s->z.avail_in == 0))
        return CS_OK;
    return zlib_error(s, zr, err);
}

/* PH_BODY: ISA-L inflates the deflate data into out[*n..cap). */
static int step_body(cs_source *s, unsigned char *out, size_t cap, size_t *n,
                     cs_error *err)
{
    struct inflate_state *st = s->isal;
    size_t room = cap - *n;
    uint32_t in0, out0, used, made;
    int ret;

    if (s->raw_pos == s->raw_len || s->stall) {
        size_t had = s->raw_len - s->raw_pos;
        if (fill_raw(s, err) < 0)
            return err->code;
        if (s->raw_len - s->raw_pos == had)
            return replay(s, err);   /* the input ends inside the member */
    }
    st->next_in = s->raw + s->raw_pos;
    st->avail_in = in0 = (uint32_t)(s->raw_len - s->raw_pos);
    st->next_out = out + *n;
    st->avail_out = out0 = room < ISAL_MAX_OUT ? (uint32_t)room : ISAL_MAX_OUT;
    if (st->total_out >= (uint32_t)1 << 31)
        st->total_out -= (uint32_t)1 << 30;
    ret = isal_inflate(st);
    used = in0 - st->avail_in;
    made = out0 - st->avail_out;
    s->raw_pos += used;
    s->consumed += used;
    s->member_crc = crc32_gzip_refl(s->member_crc, out + *n, made);
    s->member_out += made;
    *n += made;
    if (ret < 0)
        return replay(s, err);
    if (st->block_state == ISAL_BLOCK_FINISH) {
        /* ISA-L reads up to 8 bytes ahead into its bit buffer and does not
         * give them back: past the padding bits of the last deflate byte,
         * they are the first bytes of the trailer. */
        int k = st->read_in_length / 8;
        uint64_t bits = st->read_in >> (st->read_in_length % 8);
        s->trailer_n = 0;
        for (; s->trailer_n < k && s->trailer_n < 8; s->trailer_n++)
            s->trailer[s->trailer_n] =
                (unsigned char)(bits >> (8 * s->trailer_n));
        s->phase = PH_TRAILER;
        return CS_OK;
    }
    /* A symbol cut by the end of raw[]: it waits for more input. */
    s->stall = used == 0 && made == 0;
    return CS_OK;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* PH_TRAILER: CRC-32 and ISIZE (the length mod 2^32). A mismatch is
 * replayed, so that zlib names it, or names an earlier error that ISA-L
 * let through. */
static int step_trailer(cs_source *s, cs_error *err)
{
    while (s->trailer_n < 8) {
        if (s->raw_pos == s->raw_len) {
            if (fill_raw(s, err) < 0)
                return err->code;
            if (s->raw_len == 0)
                return replay(s, err);
        }
        s->trailer[s->trailer_n++] = s->raw[s->raw_pos++];
        s->consumed++;
    }
    if (le32(s->trailer) != s->member_crc ||
        le32(s->trailer + 4) != (uint32_t)s->member_out)
        return replay(s, err);
    return end_member(s, err);
}
#endif

static long read_gzip(cs_source *s, char *buf, size_t cap, cs_error *err)
{
    unsigned char *out = (unsigned char *)buf;
    size_t n = 0;

    if (cap > UINT32_MAX)
        cap = UINT32_MAX;
    while (n < cap && !s->z_done) {
        int rc = CS_OK;

        switch (s->phase) {
        case PH_MEMBER:
            if (s->raw_pos == s->raw_len) {
                if (fill_raw(s, err) < 0)
                    return err->code;
                if (s->raw_len == 0) {
                    s->z_done = 1;
                    break;
                }
            }
            rc = start_member(s, err);
            break;
        case PH_ZLIB:
            rc = step_zlib(s, out, cap, &n, err);
            break;
#ifdef CS_HAVE_ISAL
        case PH_HEAD:
            rc = step_head(s, err);
            break;
        case PH_BODY:
            rc = step_body(s, out, cap, &n, err);
            break;
        case PH_TRAILER:
            rc = step_trailer(s, err);
            break;
#else
        case PH_HEAD:
        case PH_BODY:
        case PH_TRAILER:
#endif
        case PH_FAILED:
            return fail(s, err);
        }
        if (rc < 0) {
            /* The bytes inflated before the error are handed out first
             * and the error on the next call, so that how much a caller
             * sees does not depend on the size of its reads (the read-
             * ahead thread's are a mebibyte). Bytes ISA-L made that
             * zlib's replay had not yet checked when it failed are not
             * data: they end the output. */
            n -= s->skip < n ? (size_t)s->skip : n;
            if (n == 0 || !err)
                return rc;
            s->fail = *err;
            s->phase = PH_FAILED;
            *err = (cs_error){ 0 };
            return (long)n;
        }
    }
    return (long)n;
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
        cs_fill_fn *fill;
        void *ctx;
        size_t share;

        pthread_mutex_lock(&pf->mu);
        if (pf->head - pf->tail == SLOTS && pf->share < 16 && !pf->share_fixed)
            pf->share++;
        while (pf->head - pf->tail == SLOTS && !pf->stop)
            pthread_cond_wait(&pf->cv, &pf->mu);
        if (pf->stop) {
            pthread_mutex_unlock(&pf->mu);
            break;
        }
        sl = &pf->slot[pf->head % SLOTS];
        fill = pf->fill;
        ctx = pf->fill_ctx;
        share = pf->share;
        pthread_mutex_unlock(&pf->mu);
        n = read_direct(s, sl->buf + pf->room, pf->slot_size, &e);
        sl->nmarks = 0;
        if (fill && n > 0 && share > 0)
            sl->nmarks = fill(ctx, sl->buf + pf->room, (size_t)n,
                              (size_t)n * share / 16, sl->marks,
                              SLOT_MARKS(pf), &sl->mstart);
        pthread_mutex_lock(&pf->mu);
        sl->n = n;
        sl->err = e;
        pf->consumed = s->consumed;
        pf->members = s->members;
        pf->replays = s->replays;
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
    pf->slot_size = s->raw_cap * SLOT_RAWS;
    /* Plain input of a known size below that (a regular file, memory):
     * slots of its size, to the next 4 KiB, hold it as a full-size slot
     * would: the reads are the same, and a small file takes 4 slots of
     * its size rather than of 1 MiB. A file that grows meanwhile is read
     * on in more slots. */
    if (s->kind == KIND_PLAIN && s->size > 0 && s->size < pf->slot_size)
        pf->slot_size = ((size_t)s->size + 4095) & ~(size_t)4095;
    /* Each read lands on a cache line's start: the kernel copies into a
     * destination 16 bytes past one (where malloc's large blocks begin)
     * at about half the speed. `aggregate` of the 1.35 GB tagged file
     * took 0.90 x the CPU in 8 alternating pairs (its system time 0.30
     * -> 0.26 s). The room in front may be larger than a line needs. */
    pf->room = (s->raw_cap + 63) & ~(size_t)63;
    for (k = 0; k < SLOTS; k++) {
        void *p;
        if (posix_memalign(&p, 4096, pf->room + pf->slot_size) != 0)
            break;
        pf->slot[k].buf = p;
    }
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

/* The tail slot, used up, back to the producer; the lock is held. */
static void give_back(prefetch *pf)
{
    pf->tail++;
    pf->off = 0;
    pthread_cond_broadcast(&pf->cv);
}

/* The tail slot once filled (a lent one given back first), with the
 * lock released; NULL after an error or at the end, with *rc set. */
static slot *tail_slot(prefetch *pf, long *rc, cs_error *err)
{
    slot *sl;

    pthread_mutex_lock(&pf->mu);
    if (pf->lent) {
        pf->lent = 0;
        give_back(pf);
    }
    if (pf->tail == pf->head && pf->share > 0 && !pf->share_fixed)
        pf->share--;
    while (pf->tail == pf->head)
        pthread_cond_wait(&pf->cv, &pf->mu);
    sl = &pf->slot[pf->tail % SLOTS];
    pthread_mutex_unlock(&pf->mu);
    if (sl->n < 0) {
        /* Sticky: the error stays the answer, as without the thread. */
        if (err && err->code == CS_OK)
            *err = sl->err;
        *rc = sl->n;
        return NULL;
    }
    *rc = 0;
    return sl->n == 0 ? NULL : sl;
}

static long read_prefetched(cs_source *s, char *buf, size_t cap, cs_error *err)
{
    prefetch *pf = s->pf;
    slot *sl;
    size_t k;
    long rc;

    if (!(sl = tail_slot(pf, &rc, err)))
        return rc;
    k = (size_t)sl->n - pf->off;
    if (k > cap)
        k = cap;
    memcpy(buf, sl->buf + pf->room + pf->off, k);
    pf->off += k;
    if (pf->off == (size_t)sl->n) {
        pthread_mutex_lock(&pf->mu);
        give_back(pf);
        pthread_mutex_unlock(&pf->mu);
    }
    return (long)k;
}

size_t cs_source_lends(const cs_source *s)
{
    return s->pf ? s->pf->slot_size : 0;
}

long cs_source_borrow(cs_source *s, char **p, cs_error *err)
{
    prefetch *pf = s->pf;
    slot *sl;
    long rc;

    if (!pf)
        return cs_error_set(err, CS_ERROR, "nothing to lend: the source "
                            "does not read ahead");
    if (!(sl = tail_slot(pf, &rc, err)))
        return rc;
    /* Kept until the next borrow or read gives it back. */
    *p = sl->buf + pf->room + pf->off;
    rc = sl->n - (long)pf->off;
    pf->off = (size_t)sl->n;
    pf->lent = 1;
    return rc;
}

int cs_source_mark_fills(cs_source *s, cs_fill_fn *fn, void *ctx)
{
    prefetch *pf = s->pf;
    const char *want = getenv("CRAMPSTAT_CHECK_AHEAD");
    unsigned long fixed = 0;
    char *end;
    int k;

    if (!pf || (want && strcmp(want, "off") == 0))
        return 0;
    if (want && *want >= '0' && *want <= '9') {
        fixed = strtoul(want, &end, 10);
        if (*end || fixed > 16)
            want = NULL;
    } else {
        want = NULL;
    }
    pthread_mutex_lock(&pf->mu);
    for (k = 0; k < SLOTS; k++)
        if (!pf->slot[k].marks &&
            !(pf->slot[k].marks = malloc(SLOT_MARKS(pf) * sizeof(uint64_t))))
            break;
    if (k == SLOTS) {
        pf->fill = fn;
        pf->fill_ctx = ctx;
        pf->share = want ? (unsigned)fixed : MARK_SHARE0;
        pf->share_fixed = want != NULL;
    }
    pthread_mutex_unlock(&pf->mu);
    return k == SLOTS;
}

size_t cs_source_marks(const cs_source *s, const char **at,
                       const uint64_t **marks)
{
    const prefetch *pf = s->pf;
    const slot *sl;

    if (!pf || !pf->lent)
        return 0;
    sl = &pf->slot[pf->tail % SLOTS];
    *at = sl->buf + pf->room + sl->mstart;
    *marks = sl->marks;
    return sl->nmarks;
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

int cs_pipe_grow(int fd, int size)
{
#ifdef F_SETPIPE_SZ
    int now = fcntl(fd, F_GETPIPE_SZ);

    /* Between the stages of a piped chain, 1 MiB instead of 64 KiB lets
     * each process run longer before it waits for the next: fewer
     * context switches on two cores. Never smaller: a pipe someone made
     * larger stays so. A refusal (the system's pipe-max-size) changes
     * nothing but speed. */
    if (now >= 0 && now < size)
        (void)fcntl(fd, F_SETPIPE_SZ, size);
    return fcntl(fd, F_GETPIPE_SZ);
#else
    (void)fd;
    (void)size;
    return -1;
#endif
}

const char *cs_source_name(const cs_source *s) { return s->name; }
size_t cs_source_buf_size(const cs_source *s) { return s->raw_cap; }
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

unsigned long cs_source_replays(const cs_source *s)
{
    unsigned long v;

    if (!s->pf)
        return s->replays;
    pthread_mutex_lock(&s->pf->mu);
    v = s->pf->replays;
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
        for (int k = 0; k < SLOTS; k++) {
            free(pf->slot[k].buf);
            free(pf->slot[k].marks);
        }
        free(pf);
    }
    if (s->z_init)
        inflateEnd(&s->z);
#ifdef CS_HAVE_ISAL
    free(s->isal);
#endif
    free(s->scratch);
    if (s->own_fd)
        close(s->fd);
    free(s->raw);
    free(s);
}
