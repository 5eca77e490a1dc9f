/* libFuzzer harness: CSV records (libcsv + the reader's line tracking,
 * BOM, caps) and the data contract's validation of every record, then
 * the canonical CSV writer on the accepted ones. The first input byte
 * picks the schema, so the same bytes are tried as exercise, survey,
 * any and auto-detected input. The source reads in the caller's thread
 * with a small buffer (8 bytes to 4 KiB, varying with the input), so
 * that an input costs no thread and no large buffers, and refills fall
 * anywhere in a line. */
#include <assert.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <crampstat/reader.h>
#include <crampstat/schema.h>
#include <crampstat/source.h>
#include <crampstat/writer.h>

static cs_writer *sink(void)
{
    static int fd = -1;
    cs_writer *w = NULL;
    cs_error err = {0};
    cs_write_opts o = {0};

    if (fd < 0)
        fd = open("/dev/null", O_WRONLY);
    o.safe_csv = 1;
    cs_writer_open_fd(&w, fd, "null", &o, &err);
    return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int kinds[4] = { CS_SCHEMA_AUTO, CS_SCHEMA_ANY,
                                  CS_SCHEMA_EXERCISE, CS_SCHEMA_SURVEY };
    cs_error err = {0};
    cs_reader *r = NULL;
    cs_schema *s = NULL;
    cs_writer *w;
    const cs_record *rec;
    int kind, rc;
    cs_read_opts ro = {0};
    cs_source_opts so = { 1, (size_t)8 << (size % 10) };

    if (size < 1)
        return 0;
    cs_source_set_defaults(&so);
    kind = kinds[data[0] & 3];
    ro.keep_empty_lines = (data[0] >> 2) & 1;
    data++;
    size--;
    if (cs_reader_open_mem(&r, "fuzz.csv", data, size, &ro, &err) < 0)
        return 0;
    w = sink();
    rc = cs_reader_next(r, &rec, &err);
    if (rc > 0 && cs_schema_create(&s, kind, "fuzz.csv", rec, &err) == CS_OK) {
        if (w)
            cs_schema_write_header(s, w);
        while ((rc = cs_reader_next(r, &rec, &err)) > 0) {
            cs_reject rej;
            cs_session ses;
            cs_wave wv;
            int ok;

            assert(rec->line >= 1 && rec->end_line >= rec->line);
            rej.col = -2;
            rej.reason[0] = '\0';
            switch (cs_schema_kind(s)) {
            case CS_SCHEMA_EXERCISE:
                ok = cs_schema_exercise(s, rec, &ses, &rej);
                if (ok && w)
                    cs_schema_write_session(s, w, rec, &ses);
                break;
            case CS_SCHEMA_SURVEY:
                ok = cs_schema_survey(s, rec, &wv, &rej);
                if (ok && w)
                    cs_schema_write_wave(s, w, rec, &wv);
                break;
            default:
                ok = cs_schema_any(s, rec, &rej);
                if (ok && w)
                    cs_writer_put(w, rec);
            }
            /* A reject always says why, and names a column or the row. */
            if (!ok)
                assert(rej.reason[0] && rej.col >= -1 &&
                       rej.col < (long)cs_schema_ncols(s));
        }
    }
    if (rc < 0)
        assert(err.code == rc && err.msg[0]);
    cs_writer_close(w, NULL);
    cs_schema_free(s);
    cs_reader_free(r);
    return 0;
}
