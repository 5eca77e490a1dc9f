/* libFuzzer harness: the partial-state reader on untrusted text, every
 * section of every accumulator. A state that reads must write back, read
 * again and write the same bytes (the format round-trips), be refused as
 * a merge with itself, merge with a copy that has forgotten its leaves
 * (or refuse with an overflow error), and render as a report in every
 * format. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/aggregate.h>
#include <crampstat/report.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cs_error err = {0};
    cs_agg a, b, c;
    cs_buf t1, t2, rep;
    if (cs_agg_read_partial(&a, "fuzz", (const char *)data, size, &err) < 0) {
        assert(err.code != CS_OK && err.msg[0]);
        return 0;
    }
    cs_buf_init(&t1, 0);
    cs_buf_init(&t2, 0);
    cs_buf_init(&rep, 0);
    assert(cs_agg_write_partial(&a, &t1, NULL) == CS_OK);
    assert(cs_agg_read_partial(&b, "again", t1.ptr, t1.len, &err) == CS_OK);
    assert(cs_agg_write_partial(&b, &t2, NULL) == CS_OK);
    assert(t1.len == t2.len && memcmp(t1.ptr, t2.ptr, t1.len) == 0);
    /* The same state twice is refused; a copy whose leaves are forgotten
     * (another state of the same counts) merges into it: exact doubling,
     * or a clean overflow. */
    assert(cs_agg_read_partial(&c, "copy", t1.ptr, t1.len, &err) == CS_OK);
    assert(cs_agg_merge(&c, &b, &err) == CS_EDATA);
    memset(&err, 0, sizeof err);
    free(c.leaf);
    c.leaf = NULL;
    c.nleaves = 0;
    if (cs_agg_merge(&c, &b, &err) < 0)
        assert(err.code == CS_EDATA);
    else
        assert(c.rows == 2 * b.rows && c.have == b.have);
    memset(&err, 0, sizeof err);
    for (int fmt = CS_FMT_PRETTY; fmt <= CS_FMT_MD; fmt++) {
        cs_report_opts o;
        cs_report_opts_init(&o);
        o.format = fmt;
        o.safe_csv = fmt == CS_FMT_CSV;
        cs_buf_reset(&rep);
        memset(&err, 0, sizeof err);
        (void)cs_agg_render(&a, &o, &rep, &err);
    }
    cs_agg_dispose(&a);
    cs_agg_dispose(&b);
    cs_agg_dispose(&c);
    cs_buf_dispose(&t1);
    cs_buf_dispose(&t2);
    cs_buf_dispose(&rep);
    return 0;
}
