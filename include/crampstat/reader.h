/* CSV records out of a byte source (RFC 4180 with libcsv as the parser of
 * record), with the physical line of every record so that every message
 * can name FILE:LINE. */
#ifndef CRAMPSTAT_READER_H
#define CRAMPSTAT_READER_H

#include <stdint.h>
#include <crampstat/buf.h>
#include <crampstat/error.h>
#include <crampstat/source.h>

#define CS_FIELD_MAX ((size_t)1 << 20)   /* bytes in one field */
#define CS_RECORD_MAX ((size_t)4 << 20)  /* bytes in one record */
#define CS_FIELDS_MAX 4096               /* fields in one record */
#define CS_RAW_KEEP 4096   /* bytes of a skipped record kept in raw */

typedef struct cs_record {
    const cs_str *fields;
    size_t nfields;
    unsigned long line;      /* physical line where the record starts */
    unsigned long end_line;  /* physical line where it ends */
    uint64_t index;          /* 1-based record number (the header is 1) */
    cs_str raw;              /* the record's bytes, line ends excluded */
    /* When fields[0].ptr == raw.ptr the line was split in place: the
     * fields lie one after another in raw with a comma between each two,
     * so raw is already their CSV text. Unquoted fields never do. */
    /* 1 when the reader found the record on one line ended by a lone
     * "\n", which then follows raw in the reader's buffer (raw.ptr[raw.len]
     * is it); 0 when not known. */
    unsigned char lf_end;
    /* 1 when the reader split the record in place from one line whose
     * bytes are all printable ASCII (0x20 to 0x7e): then every field is
     * such bytes, none of them a comma, a quote, CR or LF; 0 when not
     * known. */
    unsigned char printable;
    /* 1 for a line the read-ahead thread checked (cs_reader_mark_ahead):
     * then its fields are not split (nfields is 0), raw is the line, and
     * mark is the checker's word for it; 0 for every other record. */
    unsigned char checked;
    uint32_t mark;
    /* The last fields not split: 0 unless the reader was asked to split
     * only the first ones (cs_reader_split_head). Then fields[0] to
     * fields[nfields - unsplit - 1] are set, the others are not, and
     * nfields still counts them all; cs_reader_split_rest sets them. */
    size_t unsplit;
} cs_record;

typedef struct cs_read_opts {
    int keep_empty_lines;  /* report an empty line as a record [""] */
} cs_read_opts;

typedef struct cs_reader cs_reader;

/* Open a file ("-" = standard input). */
int cs_reader_open(cs_reader **out, const char *path, const cs_read_opts *o,
                   cs_error *err);
/* Read from memory; data must outlive the reader. */
int cs_reader_open_mem(cs_reader **out, const char *name, const void *data,
                       size_t len, const cs_read_opts *o, cs_error *err);
/* Read the next record. Returns 1 and sets *out to a record borrowed from
 * the reader (valid until the next call or cs_reader_free), 0 at the end of
 * the input, or a negative cs_code with err at the offending line and
 * field. A leading UTF-8 BOM is skipped; UTF-16/32 text (a BOM at the
 * start, also inside gzip) is CS_EPARSE. Empty lines are not records
 * unless keep_empty_lines is set (they still count as lines). Errors are
 * sticky: after one, every call returns it again. */
int cs_reader_next(cs_reader *r, const cs_record **out, cs_error *err);
/* Open path and read its header (the first record) into *header,
 * borrowed like any record. An input without one is CS_EPARSE "empty
 * input: the header is missing"; *out is NULL after any failure. */
int cs_reader_open_header(cs_reader **out, const cs_record **header,
                          const char *path, const cs_read_opts *o,
                          cs_error *err);
/* From now on, hand out a record over a cap (record, line, field or
 * field count) as skipped (see cs_reader_skipped) and go on at the next record,
 * instead of failing with CS_ELIMIT. Only an open quote that never closes
 * stays an error (CS_EPARSE): then no next record can be found safely.
 * cs_reader_open_header reads the header before this can be set: a
 * header over a cap is always an error. */
void cs_reader_skip_overlong(cs_reader *r, int on);
/* A skipped record has no fields (every other record has at least one);
 * its raw holds its first bytes (at most CS_RAW_KEEP), line and end_line
 * where it is. For the record last handed out: why it was skipped, naming
 * the cap, and *len its whole length in bytes (line ends inside it
 * included, its last one not); NULL when it was not skipped. */
const char *cs_reader_skipped(const cs_reader *r, uint64_t *len);
/* The field (from 1) of that record over the field cap, as the reason
 * names it; 0 when a whole-record cap was hit or nothing was skipped. */
unsigned long cs_reader_skipped_field(const cs_reader *r);
/* Call fn(ctx) before the reader moves or overwrites the bytes of the
 * records it has handed out (when it reads more input), so that a caller
 * that kept their text past the next call can use it first. The text of
 * the last record handed out is still there then. NULL turns it off. The
 * caller uses whatever it kept before it frees the reader. */
void cs_reader_on_move(cs_reader *r, void (*fn)(void *ctx), void *ctx);
/* Check lines ahead on the source's read-ahead thread: check(ctx, rec,
 * &word) is called there for lines split in place (plain, printable,
 * each ended by a lone "\n") and returns 1 for a line the caller would
 * take as it lies, with a word of its own about it. Such lines then come
 * out of cs_reader_next as records with checked set (see cs_record), at
 * their own line and record numbers; the others as before. check must
 * be safe to run beside the caller. Call it after the first record (the
 * source starts its thread at the first read). Returns 1 when on, 0 when
 * the source does not read ahead (--threads 1, memory), when
 * CRAMPSTAT_CHECK_AHEAD is off, or when memory is short: then nothing
 * changes. */
typedef int cs_mark_check(void *ctx, const cs_record *rec, uint32_t *word);
typedef struct cs_marker cs_marker;
int cs_reader_mark_ahead(cs_reader *r, cs_mark_check *check, void *ctx);
/* Right after a checked record: read its line again the ordinary way at
 * the next call (split and handed out like any line), and use no more
 * marks of the current buffer. */
void cs_reader_unmark(cs_reader *r);
/* Pass over, unsplit and unseen, the lines whose first field keep(ctx,
 * field) refuses (returns 0 for): a caller that wants only some rows,
 * decided by their first field alone (ingest --shard), pays no split for
 * the others. Only lines plain enough that they would be split in place
 * with that same first field are offered: the first comma within the
 * line's first two 64-byte blocks of the buffer and no quote before it,
 * no quote in the line, ended by LF, CR LF or CR inside the buffer,
 * shorter than CS_FIELDS_MAX bytes (so within every cap). Every other
 * line comes out of cs_reader_next as before, and so do lines checked
 * ahead (cs_reader_mark_ahead). A line passed over still counts as a
 * line and a record, so the numbers of those handed out do not change;
 * cs_reader_passed counts them. Call it after the header. NULL turns it
 * off. */
typedef int cs_first_fn(void *ctx, cs_str first);
void cs_reader_pass_lines(cs_reader *r, cs_first_fn *keep, void *ctx);
uint64_t cs_reader_passed(const cs_reader *r);
/* The bytes read from the source but not yet handed out, [*p, *end):
 * what follows the last record, for a caller to look ahead in (to fetch
 * what the coming lines will need). They stay where they are only until
 * the next call of cs_reader_next. */
void cs_reader_ahead(const cs_reader *r, const char **p, const char **end);
/* Split only the first n fields (n > 0) of the lines read from now on
 * where that saves work: a caller that reads a few columns of wide rows
 * pays for the commas of the others only a count a block. A line with
 * more fields then comes out with unsplit set (cs_record): split in
 * place, its field count exact, its fields from n on left unset. Every
 * other line (quoted, over a cap, CR ended...) is split whole, as before.
 * 0 splits every field again. */
void cs_reader_split_head(cs_reader *r, size_t n);
/* Set the fields the last record handed out left unsplit (none when its
 * unsplit is 0); its unsplit is 0 after. */
void cs_reader_split_rest(cs_reader *r);
const char *cs_reader_name(const cs_reader *r);
const cs_source *cs_reader_source(const cs_reader *r);
void cs_reader_free(cs_reader *r);

#endif
