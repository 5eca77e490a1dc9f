/* The ingest stage: every input row is either handed on or written to the
 * reject log with a reason, and read = accepted + rejected always holds
 * (+ other, the rows left to other shards, when the input is sharded). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <crampstat/ingest.h>
#include <crampstat/writer.h>
#include "internal.h"

#define REJ_KEYS 64

struct cs_rejlog {
    cs_writer *w;
    int fd;
    char path[1024];
    uint64_t total;
    size_t nkeys;
    char keys[REJ_KEYS][40];
    uint64_t counts[REJ_KEYS];
    char cut[CS_RAW_KEEP + 80];  /* raw of a skipped record, marked */
    uint64_t mark_total;         /* cs_rejlog_mark */
    size_t mark_nkeys;
    uint64_t mark_counts[REJ_KEYS];
};

int cs_rejlog_open(cs_rejlog **out, const char *path, cs_error *err)
{
    cs_rejlog *l = calloc(1, sizeof *l);

    *out = NULL;
    if (!l)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    l->fd = -1;
    if (path && strcmp(path, "-") == 0) {
        free(l);
        return cs_error_set(err, CS_EUSAGE, "--rejects wants a file name; "
                            "standard output carries the data");
    }
    if (path) {
        snprintf(l->path, sizeof l->path, "%s", path);
        l->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (l->fd < 0) {
            int e = errno;
            free(l);
            return cs_error_at(err, CS_EIO, (cs_pos){ path, 0, 0 },
                               "cannot create the reject log: %s",
                               strerror(e));
        }
        if (cs_writer_open_fd(&l->w, l->fd, path, NULL, err) < 0) {
            close(l->fd);
            free(l);
            return err->code;
        }
        cs_writer_raw(l->w, "source,line,record,column,reason,raw\n", 37);
    }
    *out = l;
    return CS_OK;
}

/* Log a row; cut: the whole length of a skipped record whose raw holds
 * only its first bytes (0 for any other row). */
static void rejlog_add(cs_rejlog *l, const char *src, const cs_record *rec,
                       const char *column, const char *reason, uint64_t cut)
{
    char num[32];
    size_t k;

    if (!column)
        column = "";
    l->total++;
    for (k = 0; k < l->nkeys; k++)
        if (strcmp(l->keys[k], column) == 0)
            break;
    if (k == l->nkeys && k < REJ_KEYS) {
        snprintf(l->keys[k], sizeof l->keys[k], "%s", column);
        l->nkeys++;
    }
    if (k < REJ_KEYS)
        l->counts[k]++;
    if (!l->w)
        return;
    cs_writer_cstr(l->w, src);
    cs_writer_plain(l->w, num, (size_t)snprintf(num, sizeof num, "%lu",
                                                rec->line));
    /* The data record number: the header is record 1. */
    cs_writer_plain(l->w, num, (size_t)snprintf(num, sizeof num, "%llu",
                    (unsigned long long)(rec->index > 0 ? rec->index - 1 : 0)));
    cs_writer_cstr(l->w, column);
    cs_writer_cstr(l->w, reason);
    if (cut > rec->raw.len) {
        /* Say that raw was cut, in the cell itself: a reader of the log
         * must not take the first bytes for the row. */
        size_t n = rec->raw.len < CS_RAW_KEEP ? rec->raw.len : CS_RAW_KEEP;
        memcpy(l->cut, rec->raw.ptr, n);
        n += (size_t)snprintf(l->cut + n, sizeof l->cut - n,
                              "... [cut: the first %zu of %llu bytes]", n,
                              (unsigned long long)cut);
        cs_writer_str(l->w, (cs_str){ l->cut, n });
    } else {
        cs_writer_str(l->w, rec->raw);
    }
    cs_writer_end_row(l->w);
}

void cs_rejlog_add(cs_rejlog *l, const char *src, const cs_record *rec,
                   const char *column, const char *reason)
{
    rejlog_add(l, src, rec, column, reason, 0);
}

size_t cs_rejlog_nkeys(const cs_rejlog *l) { return l->nkeys; }

void cs_rejlog_key(const cs_rejlog *l, size_t i, const char **name,
                   uint64_t *count)
{
    *name = l->keys[i];
    *count = l->counts[i];
}

uint64_t cs_rejlog_total(const cs_rejlog *l) { return l->total; }

void cs_rejlog_mark(cs_rejlog *l)
{
    l->mark_total = l->total;
    l->mark_nkeys = l->nkeys;
    memcpy(l->mark_counts, l->counts, sizeof l->counts);
}

void cs_rejlog_rewind(cs_rejlog *l)
{
    l->total = l->mark_total;
    l->nkeys = l->mark_nkeys;
    memcpy(l->counts, l->mark_counts, sizeof l->counts);
}

int cs_rejlog_finish(cs_rejlog *l, cs_error *err)
{
    int rc = CS_OK;

    if (!l)
        return CS_OK;
    if (l->w)
        rc = cs_writer_close(l->w, err);
    l->w = NULL;
    if (l->fd >= 0 && close(l->fd) < 0 && rc == CS_OK)
        rc = cs_error_at(err, CS_EIO, (cs_pos){ l->path, 0, 0 },
                         "write failed: %s", strerror(errno));
    l->fd = -1;
    return rc;
}

int cs_rejlog_close(cs_rejlog *l, cs_error *err)
{
    int rc = cs_rejlog_finish(l, err);

    free(l);
    return rc;
}

struct cs_ingest {
    cs_reader *r;
    cs_schema *schema;
    cs_rejlog *rej;
    cs_idset *ids;
    int kind;
    size_t header_line;
    long sid_col;           /* session_id's field (exercise rows) */
    long pid_col;           /* participant_id's, when sharded */
    unsigned shard_k, shard_n;   /* cs_ingest_set_shard; n 0 or 1: all */
    const char *ahead;      /* cs_ingest_ahead_field: its next line */
    cs_ingest_counts counts;
    cs_reject why;
    int (*on_reject)(void *ctx, const cs_record *rec, long col);
    void *on_reject_ctx;
};

int cs_ingest_open(cs_ingest **out, const char *path, int kind,
                   cs_rejlog *rej, cs_idset *ids, cs_error *err)
{
    cs_reader *r;
    const cs_record *h;

    *out = NULL;
    if (cs_reader_open_header(&r, &h, path, NULL, err) < 0)
        return err->code;
    return cs_ingest_open_reader(out, r, h, kind, rej, ids, err);
}

int cs_ingest_open_reader(cs_ingest **out, cs_reader *r, const cs_record *h,
                          int kind, cs_rejlog *rej, cs_idset *ids,
                          cs_error *err)
{
    cs_ingest *in = calloc(1, sizeof *in);

    *out = NULL;
    if (!in) {
        cs_reader_free(r);
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    }
    in->r = r;
    in->rej = rej;
    in->ids = ids;
    in->kind = kind;
    in->header_line = h->line;
    /* A row over a reader cap costs that row, not the input. */
    cs_reader_skip_overlong(in->r, 1);
    if (cs_schema_create(&in->schema, kind, cs_reader_name(r), h, err) < 0) {
        cs_ingest_free(in);
        return err->code;
    }
    in->kind = cs_schema_kind(in->schema);
    in->sid_col = in->kind == CS_SCHEMA_EXERCISE
                ? cs_schema_index(in->schema, CS_EX_SESSION_ID) : -1;
    *out = in;
    return CS_OK;
}

/* The column of a reject as the contract names it, not as the header
 * spells it: the per-column counts add up over inputs whose headers
 * differ in case or spacing ("Cramp" and "cramp" are one column), and
 * the name matches the one the reason starts with. */
static const char *column_name(const cs_ingest *in, long col)
{
    int n = in->kind == CS_SCHEMA_EXERCISE ? CS_EX_NCOLS
          : in->kind == CS_SCHEMA_SURVEY ? CS_SV_NCOLS : 0;

    if (col < 0)
        return "";
    for (int c = 0; c < n; c++)
        if (cs_schema_index(in->schema, c) == col)
            return in->kind == CS_SCHEMA_EXERCISE ? cs_exercise_column(c)
                                                  : cs_survey_column(c);
    return "";  /* not a contract column */
}

static const char *reject_column(const cs_ingest *in)
{
    return column_name(in, in->why.col);
}

int cs_ingest_ahead_field(cs_ingest *in, long col, int lines, cs_str *out)
{
    const char *p, *end, *nl, *q;

    cs_reader_ahead(in->r, &p, &end);
    if (!p)
        return 0;
    /* (as integers: after a refill the old pointer may be into another
     * buffer, which C does not let pointers be ordered against) */
    if ((uintptr_t)in->ahead < (uintptr_t)p ||
        (uintptr_t)in->ahead > (uintptr_t)end) {
        /* Behind (a record of several lines, a new buffer): the line
         * `lines` on from the next one. */
        in->ahead = p;
        while (--lines > 0 && (nl = memchr(in->ahead, '\n',
                                           (size_t)(end - in->ahead))))
            in->ahead = nl + 1;
    }
    if (!(nl = memchr(in->ahead, '\n', (size_t)(end - in->ahead))))
        return 0;
    p = in->ahead;
    in->ahead = nl + 1;
    for (long k = 0; k < col; k++) {
        if (!(q = memchr(p, ',', (size_t)(nl - p))))
            return 0;
        p = q + 1;
    }
    if (!(q = memchr(p, ',', (size_t)(nl - p))))
        q = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
    if (q > p && *p == '"')
        return 0;
    *out = cs_str_trim((cs_str){ p, (size_t)(q - p) });
    return 1;
}

/* h mod 2^31 - 1, exactly, for h below 2^61: 2^31 is 1 mod 2^31 - 1, so
 * one fold leaves it below twice that, and one subtraction below it. */
static inline uint64_t mod_m31(uint64_t h)
{
    const uint64_t m = 2147483647u;   /* 2^31 - 1 */

    h = (h & m) + (h >> 31);
    return h >= m ? h - m : h;
}

unsigned cs_shard_of(cs_str id, unsigned n)
{
    const unsigned char *b;
    uint64_t h = 0;
    size_t i = 0;

    id = cs_str_trim(id);
    b = (const unsigned char *)id.ptr;
    /* Four bytes a step: h = 31^4 h + 31^3 b0 + 31^2 b1 + 31 b2 + b3, below
     * 2^51 for h below 2^31; a byte at a time for the rest (below 2^36). */
    for (; i + 4 <= id.len; i += 4)
        h = mod_m31(h * 923521u + b[i] * 29791u + b[i + 1] * 961u +
                    b[i + 2] * 31u + b[i + 3]);
    for (; i < id.len; i++)
        h = mod_m31(h * 31 + b[i]);
    return n ? (unsigned)(h % n) + 1 : 1;
}

int cs_shard_parse(const char *s, unsigned *k, unsigned *n)
{
    unsigned long v[2];
    const char *p = s;

    for (int i = 0; i < 2; i++) {
        if (*p < '1' || *p > '9')
            return -1;
        v[i] = 0;
        while (*p >= '0' && *p <= '9') {
            v[i] = v[i] * 10 + (unsigned long)(*p++ - '0');
            if (v[i] > 65536)
                return -1;
        }
        if (*p++ != (i == 0 ? '/' : '\0'))
            return -1;
    }
    if (v[0] > v[1])
        return -1;
    *k = (unsigned)v[0];
    *n = (unsigned)v[1];
    return 0;
}

/* cs_first_fn: whether the row whose first field is the id is this
 * shard's. */
static int first_in_shard(void *ctx, cs_str id)
{
    const cs_ingest *in = ctx;

    return cs_shard_of(id, in->shard_n) == in->shard_k;
}

int cs_ingest_set_shard(cs_ingest *in, unsigned k, unsigned n, cs_error *err)
{
    long col = in->kind == CS_SCHEMA_EXERCISE
             ? cs_schema_index(in->schema, CS_EX_PARTICIPANT_ID)
             : in->kind == CS_SCHEMA_SURVEY
             ? cs_schema_index(in->schema, CS_SV_PARTICIPANT_ID) : -1;

    if (n > 1 && col < 0)
        return cs_error_at(err, CS_EUSAGE,
                           (cs_pos){ cs_reader_name(in->r), in->header_line,
                                     0 },
                           "--shard needs a participant_id column (exercise "
                           "or survey rows)");
    in->pid_col = col;
    in->shard_k = k;
    in->shard_n = n > 1 ? n : 0;
    /* Where the id is the first field, as in the contract's layout, the
     * reader passes other shards' plain lines over unsplit; the rest
     * come here and other_shard decides, by the same bytes. */
    cs_reader_pass_lines(in->r, in->shard_n && col == 0 ? first_in_shard
                                                        : NULL, in);
    return CS_OK;
}

/* Whether rec (not a skipped record) is another shard's. */
static int other_shard(const cs_ingest *in, const cs_record *rec)
{
    cs_str id = (size_t)in->pid_col < rec->nfields
              ? rec->fields[in->pid_col] : (cs_str){ "", 0 };

    return cs_shard_of(id, in->shard_n) != in->shard_k;
}

int cs_ingest_next(cs_ingest *in, const cs_record **out, cs_session *ses,
                   cs_wave *wave, cs_error *err)
{
    const cs_record *rec;
    int rc, ok;

    while ((rc = cs_reader_next(in->r, &rec, err)) > 0) {
        if (rec->checked) {
            /* Checked ahead (cs_ingest_mark_runs): accepted as its own
             * canonical row; its session id is all that is left. A
             * duplicate goes round again the ordinary way, to be
             * rejected there with its fields. */
            cs_str sid = { rec->raw.ptr + (rec->mark >> 16),
                           rec->mark & 0xffffu };
            if (in->ids) {
                int added = cs__idset_add(in->ids, sid);
                if (added < 0)
                    return cs_error_set(err, CS_ENOMEM, "out of memory");
                if (!added) {
                    cs_reader_unmark(in->r);
                    continue;
                }
            }
            in->counts.read++;
            in->counts.accepted++;
            ses->session_id = sid;
            ses->canon_cells = CS_EX_ALL_CANON;
            *out = rec;
            return 1;
        }
        in->counts.read++;
        if (rec->nfields == 0) {
            /* Skipped by the reader: over a cap (a record always has a
             * field otherwise). */
            uint64_t len = 0;
            const char *why;
            if (in->shard_n && in->shard_k != 1) {
                in->counts.other++;
                continue;
            }
            why = cs_reader_skipped(in->r, &len);
            unsigned long f = cs_reader_skipped_field(in->r);
            in->counts.rejected++;
            if (in->rej)
                rejlog_add(in->rej, cs_reader_name(in->r), rec,
                           column_name(in, (long)f - 1),
                           why ? why : "over a reader cap", len);
            continue;
        }
        if (in->shard_n && other_shard(in, rec)) {
            in->counts.other++;
            continue;
        }
        if (in->kind == CS_SCHEMA_EXERCISE) {
            /* Start fetching the id's slot now; validating the row takes
             * about as long as the cache miss. Numbered ids have no miss
             * to hide: after one, the next is added in one call. */
            cs_idfp fp;
            int have_fp = in->ids && !cs__idset_numbered(in->ids) &&
                          (size_t)in->sid_col < rec->nfields;
            if (have_fp)
                fp = cs_idset_prepare(in->ids,
                                      cs_str_trim(rec->fields[in->sid_col]));
            ok = cs_schema_exercise(in->schema, rec, ses, &in->why);
            if (ok && in->ids) {
                /* An accepted row's session_id is that trimmed field. */
                int added = have_fp ? cs_idset_add_prepared(in->ids, fp)
                                    : cs__idset_add(in->ids, ses->session_id);
                if (added < 0)
                    return cs_error_set(err, CS_ENOMEM, "out of memory");
                if (!added) {
                    char b[80];
                    size_t n = ses->session_id.len > 64 ? 64
                             : ses->session_id.len;
                    memcpy(b, ses->session_id.ptr, n);
                    b[n] = '\0';
                    in->why.col = cs_schema_index(in->schema,
                                                  CS_EX_SESSION_ID);
                    snprintf(in->why.reason, sizeof in->why.reason,
                             "session_id: \"%s\" appeared before "
                             "(duplicates are rejected after the first)", b);
                    ok = 0;
                }
            }
        } else if (in->kind == CS_SCHEMA_SURVEY) {
            ok = cs_schema_survey(in->schema, rec, wave, &in->why);
        } else {
            ok = cs_schema_any(in->schema, rec, &in->why);
        }
        if (ok) {
            in->counts.accepted++;
            *out = rec;
            return 1;
        }
        in->counts.rejected++;
        if (in->rej)
            cs_rejlog_add(in->rej, cs_reader_name(in->r), rec,
                          reject_column(in), in->why.reason);
        if (in->on_reject &&
            (rc = in->on_reject(in->on_reject_ctx, rec, in->why.col)) < 0)
            return cs_error_set(err, rc, "out of memory");
    }
    return rc;
}

/* On the read-ahead thread: whether the exercise row rec is accepted
 * and is its own canonical text, and where its session id lies (its
 * offset in the row above bit 16, its length below). */
static int check_canonical(void *ctx, const cs_record *rec, uint32_t *word)
{
    const cs_ingest *in = ctx;
    cs_session o;

    if (!cs_schema_exercise_fixed(in->schema, rec, &o) ||
        !cs_session_verbatim(&o))
        return 0;
    *word = (uint32_t)(o.session_id.ptr - rec->raw.ptr) << 16 |
            (uint32_t)o.session_id.len;
    return 1;
}

int cs_ingest_mark_runs(cs_ingest *in)
{
    if (in->kind != CS_SCHEMA_EXERCISE || in->shard_n)
        return 0;
    return cs_reader_mark_ahead(in->r, check_canonical, in);
}

void cs_ingest_set_ids(cs_ingest *in, cs_idset *ids)
{
    in->ids = ids;
}

void cs_ingest_on_reject(cs_ingest *in,
                         int (*fn)(void *ctx, const cs_record *rec, long col),
                         void *ctx)
{
    in->on_reject = fn;
    in->on_reject_ctx = ctx;
}

void cs_ingest_uncount(cs_ingest *in)
{
    in->counts.accepted--;
    in->counts.rejected++;
}

const cs_schema *cs_ingest_schema(const cs_ingest *in) { return in->schema; }

size_t cs_ingest_header_line(const cs_ingest *in)
{
    return in->header_line;
}
cs_ingest_counts cs_ingest_counts_of(const cs_ingest *in)
{
    cs_ingest_counts c = in->counts;
    uint64_t passed = cs_reader_passed(in->r);   /* other shards' rows */

    c.read += passed;
    c.other += passed;
    return c;
}
const cs_reader *cs_ingest_reader(const cs_ingest *in) { return in->r; }
void cs_ingest_on_move(cs_ingest *in, void (*fn)(void *ctx), void *ctx)
{
    cs_reader_on_move(in->r, fn, ctx);
}
const char *cs_ingest_name(const cs_ingest *in) { return cs_reader_name(in->r); }

void cs_ingest_free(cs_ingest *in)
{
    if (!in)
        return;
    /* The reader first: its read-ahead thread may be checking rows with
     * the schema (cs_ingest_mark_runs) until the reader stops it. */
    cs_reader_free(in->r);
    cs_schema_free(in->schema);
    free(in);
}
