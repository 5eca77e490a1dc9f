/* Byte sources: a file or standard input, gzip or plain, detected by magic
 * bytes. Concatenated gzip members are one stream; corrupt, truncated and
 * CRC- or length-mismatched gzip are errors naming the byte offset. */
#ifndef CRAMPSTAT_SOURCE_H
#define CRAMPSTAT_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <crampstat/error.h>

typedef struct cs_source cs_source;

/* How a source reads. A zero field means the default. Neither option
 * changes what is read: bytes, errors and their offsets are the same. */
typedef struct cs_source_opts {
    /* 1 reads in the caller's thread; 2 decompresses ahead in a second
     * thread (the default, unless the process may use one CPU at most:
     * then 1; see cs_source_default_threads). */
    int threads;
    /* Bytes of the raw input buffer: 128 KiB by default, at least 8, at
     * most 1 MiB. The read-ahead slots hold 8 of them each, and a reader
     * (reader.h) starts with twice this size. Small buffers make a short
     * input cheap to open (fuzzing, many small files). */
    size_t buf_size;
} cs_source_opts;

/* Open path ("-" = standard input). CS_ENOENT when it cannot be opened. */
int cs_source_open(cs_source **out, const char *path, cs_error *err);
/* Read from memory (not copied: data must outlive the source). */
int cs_source_open_mem(cs_source **out, const char *name, const void *data,
                       size_t len, cs_error *err);
/* The same with options (o NULL: the defaults). */
int cs_source_open_opts(cs_source **out, const char *path,
                        const cs_source_opts *o, cs_error *err);
int cs_source_open_mem_opts(cs_source **out, const char *name,
                            const void *data, size_t len,
                            const cs_source_opts *o, cs_error *err);
/* Read up to cap decompressed bytes. Returns the count, 0 at the end of
 * the input, or a negative cs_code (err names the compressed byte offset
 * for gzip errors). */
long cs_source_read(cs_source *s, char *buf, size_t cap, cs_error *err);
/* When the source reads ahead in a thread of its own, so that
 * cs_source_borrow can hand out its bytes in place: the most bytes one
 * borrow returns; else 0. Known after the first read. */
size_t cs_source_lends(const cs_source *s);
/* The bytes read ahead, in place, instead of a copy: the rest of the
 * current read-ahead buffer, at *p. The cs_source_buf_size(s) bytes
 * before *p are the caller's to write (to put an unfinished line in
 * front). They stay valid until the next cs_source_borrow or
 * cs_source_read, or cs_source_free. Returns the count, 0 at the end of
 * the input, or a negative cs_code, as cs_source_read; only for a source
 * that lends. */
long cs_source_borrow(cs_source *s, char **p, cs_error *err);
/* Lines checked ahead, on the read-ahead thread: fn(ctx, p, n, limit,
 * marks, cap, start) is given each buffer it fills (n bytes at p) and may
 * describe, in at most cap marks, the lines it has checked, one after
 * another from p + *start, covering about limit bytes; it returns how
 * many. limit adapts so that the thread checks what the reader would
 * otherwise wait for. Returns 1 when set, 0 when the source does not read
 * ahead (or is out of memory). fn must be safe to run beside the reader;
 * buffers filled before the call have no marks. */
typedef size_t cs_fill_fn(void *ctx, const char *p, size_t n, size_t limit,
                          uint64_t *marks, size_t cap, size_t *start);
int cs_source_mark_fills(cs_source *s, cs_fill_fn *fn, void *ctx);
/* The marks of the buffer last borrowed (cs_source_borrow): their count,
 * the first marked line at *at; 0 when there are none. */
size_t cs_source_marks(const cs_source *s, const char **at,
                       const uint64_t **marks);
/* The name given at open. */
const char *cs_source_name(const cs_source *s);
/* Bytes of its raw input buffer (cs_source_opts.buf_size as applied). */
size_t cs_source_buf_size(const cs_source *s);
/* Compressed (raw) bytes consumed so far, total raw size when known
 * (regular files), 0 otherwise. */
uint64_t cs_source_consumed(const cs_source *s);
uint64_t cs_source_size(const cs_source *s);
int cs_source_is_gzip(const cs_source *s);
unsigned long cs_source_members(const cs_source *s);
void cs_source_free(cs_source *s);
/* Threads for sources opened from now on: 1 reads in the caller's thread;
 * 2 decompresses ahead in a second thread. The bytes read are the same
 * either way. Unless this is called (or after n = 0), 2, or 1 when the
 * process may use one CPU at most, where the threads would only take
 * turns: its affinity names one CPU (taskset, a batch system's one-CPU
 * job), or its control groups' CPU quota allows one CPU's time or less
 * (docker --cpus 1). */
void cs_source_default_threads(int n);
/* The threads cs_source_default_threads set, or the default above:
 * callers that can use a thread of their own follow the same choice. */
int cs_source_threads(void);
/* Defaults for sources opened from now on, also by a reader or by the
 * stages that open their files themselves (ingest, join): the non-zero
 * fields of o replace the current defaults. */
void cs_source_set_defaults(const cs_source_opts *o);
/* The gzip inflater of sources opened now: "isal" in a build with ISA-L
 * (CMake option CRAMPSTAT_ISAL) unless the environment variable
 * CRAMPSTAT_INFLATE is "zlib", else "zlib". The bytes read and the errors
 * (message and offset) are the same with either, but for one kind of
 * damage that ISA-L reads (see src/source.c); pipes always use zlib. */
const char *cs_source_inflater(void);
/* The inflater of this source ("isal" or "zlib") once a read found gzip;
 * NULL for plain input or before the first read. */
const char *cs_source_inflater_of(const cs_source *s);
/* Members that ISA-L handed to zlib to inflate again: only damaged input
 * (its error is then zlib's), so always 0 for a file that reads. */
unsigned long cs_source_replays(const cs_source *s);

/* The pipe size crampstat asks for at both ends of a pipe it reads or
 * writes (a source on a pipe, standard output on a pipe). */
#define CS_PIPE_SIZE (1 << 20)
/* Make the pipe fd at least size bytes (CS_PIPE_SIZE), never smaller;
 * returns its size then, or -1 where the system cannot tell (not a pipe,
 * not Linux). */
int cs_pipe_grow(int fd, int size);

#endif
