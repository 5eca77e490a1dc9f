/* libFuzzer harness: the join and tag path on arbitrary survey and
 * session bytes. The input is split at its first 0xFF byte (a byte that
 * valid UTF-8 never holds): the survey before it, the sessions after it
 * (without one, the sessions are empty). Each part is a file (gzip or
 * plain), read through the library as `crampstat join --survey` and then
 * `crampstat tag` read it: cs_survey_load, cs_ingest_open and
 * cs_join_session for every session, the joined rows written as CSV; then
 * those rows read back through cs_jschema_parse, tagged by cs_tag and
 * written again.
 *
 * Besides "no crash, no leak, no UB" it asserts that every row is
 * accounted for: in the survey and the sessions, read = accepted +
 * rejected, and the reject log holds exactly the rejected rows; join
 * writes one row per accepted session; tag reads back every row join
 * wrote and accepts each (join writes only valid rows), unless the joined
 * header itself is refused (an extra session column named like a survey
 * column). And the survey and the sessions read again in 2 to 4 shards
 * (--shard K/N, both files) take every row once: the shards' accepted,
 * rejected and joined rows add up to the whole run's. */
#define _GNU_SOURCE   /* memfd_create */
#include <assert.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <crampstat/join.h>
#include <crampstat/reader.h>
#include <crampstat/rules.h>
#include <crampstat/source.h>
#include <crampstat/tag.h>

/* One in-memory file, rewritten for each input and opened by path as
 * the command line would (a regular file, so both inflaters run). */
typedef struct mfile {
    int fd;
    char path[64];
} mfile;

static void mfile_init(mfile *f, const char *name)
{
    f->fd = memfd_create(name, MFD_CLOEXEC);
    assert(f->fd >= 0);
    snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
}

static void mfile_set(mfile *f, const uint8_t *p, size_t n)
{
    size_t done = 0;

    /* Writers write at the file offset: back to the start. */
    assert(ftruncate(f->fd, 0) == 0 && lseek(f->fd, 0, SEEK_SET) == 0);
    while (done < n) {
        ssize_t k = pwrite(f->fd, p + done, n - done, (off_t)done);
        assert(k > 0);
        done += (size_t)k;
    }
}

/* The bytes written to f since the last mfile_set, in a malloc'd copy. */
static char *mfile_get(mfile *f, size_t *n)
{
    off_t end = lseek(f->fd, 0, SEEK_END);
    char *p;

    assert(end >= 0);
    p = malloc((size_t)end + 1);
    assert(p);
    assert(pread(f->fd, p, (size_t)end, 0) == end);
    *n = (size_t)end;
    return p;
}

static mfile survey, sessions, joined;
static int null_fd = -1;
static cs_tagger *tagger;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static cs_rules rules;
    (void)argc;
    (void)argv;
    mfile_init(&survey, "survey");
    mfile_init(&sessions, "sessions");
    mfile_init(&joined, "joined");
    null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    assert(null_fd >= 0);
    cs_rules_default(&rules);
    assert(cs_tagger_create(&tagger, &rules) == CS_OK);
    return 0;
}

/* Join (shard k of n of both inputs; n 0: all): returns the rows
 * written, or -1 when an input is refused. cnt: the survey's accepted
 * and rejected rows, then the sessions'. */
static long run_join(cs_rejlog *rej, unsigned k, unsigned n, uint64_t cnt[4])
{
    cs_error err = {0};
    cs_survey *sv = NULL;
    cs_ingest *in = NULL;
    cs_writer *w = NULL;
    const cs_record *rec;
    const cs_schema *s;
    cs_session ses;
    cs_ingest_counts c;
    long rows = 0;
    int rc;

    rc = cs_survey_load_shard(&sv, survey.path, rej, k, n, &err);
    if (rc < 0) {
        assert(rc == err.code && err.msg[0] && sv == NULL);
        return -1;
    }
    c = cs_survey_counts(sv);
    assert(c.read == c.accepted + c.rejected + c.other);
    assert(n > 1 || c.other == 0);
    assert(cs_survey_waves(sv) == c.accepted);
    assert(cs_survey_participants(sv) <= c.accepted);
    cnt[0] = c.accepted;
    cnt[1] = c.rejected;

    mfile_set(&joined, NULL, 0);
    assert(cs_writer_open_fd(&w, joined.fd, "joined", NULL, &err) == CS_OK);
    rc = cs_ingest_open(&in, sessions.path, CS_SCHEMA_EXERCISE, rej, NULL,
                        &err);
    if (rc == 0) {
        int shard_rc = cs_ingest_set_shard(in, k, n, &err);
        assert(shard_rc == CS_OK);
        (void)shard_rc;
    }
    if (rc < 0) {
        assert(rc == err.code && err.msg[0] && in == NULL);
        cs_writer_close(w, NULL);
        cs_survey_free(sv);
        return -1;
    }
    s = cs_ingest_schema(in);
    for (int k = 0; k < CS_EX_NCOLS; k++)
        cs_writer_cstr(w, cs_exercise_column(k));
    cs_join_write_header(w);
    for (size_t i = 0; i < cs_schema_n_extra(s); i++)
        cs_writer_str(w, cs_schema_extra_name(s, i));
    cs_writer_end_row(w);
    cs_survey_cursor cur = { 0 };
    while ((rc = cs_ingest_next(in, &rec, &ses, NULL, &err)) > 0) {
        const cs_wave *wv = cs_join_session(sv, &cur, in, rec, &ses, rej);
        cs_str t;
        /* The cursor finds what a lookup without one finds. */
        assert(wv == cs_survey_find(sv, ses.participant_id, ses.day));
        if (!wv)
            continue;
        assert(wv->participant_id.len == ses.participant_id.len &&
               memcmp(wv->participant_id.ptr, ses.participant_id.ptr,
                      ses.participant_id.len) == 0);
        t = cs_survey_wave_text(sv, wv);
        assert(t.ptr);
        cs_schema_write_session_cols(s, w, rec, &ses);
        cs_writer_plain(w, t.ptr, t.len);
        cs_schema_write_extra(s, w, rec);
        cs_writer_end_row(w);
        rows++;
    }
    c = cs_ingest_counts_of(in);
    assert(c.read == c.accepted + c.rejected + c.other);
    assert(n > 1 || c.other == 0);
    assert(c.accepted == (uint64_t)rows);
    cnt[2] = c.accepted;
    cnt[3] = c.rejected;
    if (rc < 0)
        assert(rc == err.code && err.msg[0]);
    assert(cs_writer_close(w, &err) == CS_OK);
    cs_ingest_free(in);
    cs_survey_free(sv);
    return rc < 0 ? -1 : rows;
}

/* Tag join's output; every row must be tagged. */
static void run_tag(long rows, cs_rejlog *rej)
{
    cs_error err = {0};
    cs_reader *r = NULL;
    cs_jschema *js = NULL;
    cs_writer *w = NULL;
    const cs_record *rec;
    cs_session ses;
    cs_wave wv;
    cs_tagged t;
    cs_reject why;
    size_t n;
    char *text = mfile_get(&joined, &n);
    long seen = 0;
    int rc;

    assert(cs_reader_open_mem(&r, "joined", text, n, NULL, &err) == CS_OK);
    assert(cs_reader_next(r, &rec, &err) == 1);
    if (cs_jschema_create(&js, "joined", rec, cs_tag_is_own_column, &err) < 0) {
        /* Only a header join could not make unique is refused. */
        assert(err.code == CS_EPARSE && err.line == 1 &&
               strstr(err.msg, "appears twice"));
        cs_reader_free(r);
        free(text);
        return;
    }
    assert(cs_writer_open_fd(&w, null_fd, "null", NULL, &err) == CS_OK);
    cs_tag_write_header(w);
    cs_writer_end_row(w);
    while ((rc = cs_reader_next(r, &rec, &err)) > 0) {
        why.col = -2;
        why.reason[0] = '\0';
        if (!cs_jschema_parse(js, rec, &ses, &wv, &why)) {
            cs_rejlog_add(rej, "joined", rec, "", why.reason);
            fprintf(stderr, "tag rejects a joined row: %s\n", why.reason);
            abort();
        }
        cs_tag(tagger, &ses, &wv, &t);
        for (int f = 0; f < CS_F_N; f++)
            assert(t.factor[f] >= -1 && t.factor[f] <= 1);
        assert(t.outcome >= -1 && t.outcome <= 1);
        cs_schema_write_session_cols(cs_jschema_exercise(js), w, rec, &ses);
        cs_tag_write(w, &t);
        cs_jschema_write_extra(js, w, rec);
        cs_writer_end_row(w);
        seen++;
    }
    assert(rc == 0);
    assert(seen == rows);
    assert(cs_writer_close(w, &err) == CS_OK);
    cs_jschema_free(js);
    cs_reader_free(r);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Small buffers, no read-ahead thread, and buffer sizes that vary
     * with the input so that refills fall everywhere. */
    cs_source_opts so = { 1, (size_t)8 << (size % 9) };
    const uint8_t *cut = memchr(data, 0xff, size);
    size_t ns = cut ? (size_t)(cut - data) : size;
    cs_error err = {0};
    cs_rejlog *rej = NULL;
    uint64_t cnt[4] = { 0 }, part[4], sum[4] = { 0 };
    long rows;

    cs_source_set_defaults(&so);
    mfile_set(&survey, data, ns);
    mfile_set(&sessions, cut ? cut + 1 : data, cut ? size - ns - 1 : 0);
    assert(cs_rejlog_open(&rej, "/dev/null", &err) == CS_OK);
    rows = run_join(rej, 0, 0, cnt);
    if (getenv("FUZZ_JOIN_VERBOSE"))   /* to check what a seed reaches */
        fprintf(stderr, "survey %zu bytes, sessions %zu bytes: %ld rows "
                "joined, %llu rejected\n", ns, cut ? size - ns - 1 : 0,
                rows, (unsigned long long)(cnt[1] + cnt[3]));
    if (rows >= 0) {
        assert(cs_rejlog_total(rej) == cnt[1] + cnt[3]);
        run_tag(rows, rej);
    }
    assert(cs_rejlog_close(rej, &err) == CS_OK);
    if (rows < 0)
        return 0;
    /* The shards take every row once, and join the same sessions. */
    unsigned n = 2 + (unsigned)(size % 3);
    long joined_rows = 0;
    for (unsigned k = 1; k <= n; k++) {
        assert(cs_rejlog_open(&rej, NULL, &err) == CS_OK);
        long r = run_join(rej, k, n, part);
        assert(r >= 0);
        assert(cs_rejlog_total(rej) == part[1] + part[3]);
        assert(cs_rejlog_close(rej, &err) == CS_OK);
        joined_rows += r;
        for (int i = 0; i < 4; i++)
            sum[i] += part[i];
    }
    assert(joined_rows == rows);
    for (int i = 0; i < 4; i++)
        assert(sum[i] == cnt[i]);
    return 0;
}
