/* libFuzzer harness: the byte source (gzip detection, multi-member
 * inflate, truncation/CRC/length checks) over arbitrary bytes. Reads in
 * odd-sized pieces so that member boundaries fall everywhere; the error
 * must be set on every negative return, and the decompressed total is
 * capped so that a bomb in the corpus cannot stall the run. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <crampstat/source.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char buf[70000];
    cs_error err = {0};
    cs_source *s = NULL;
    uint64_t total = 0;
    size_t cap = 1 + (size ? data[0] % 4096 : 0) * 17;
    long n;

    if (cs_source_open_mem(&s, "fuzz.gz", data, size, &err) < 0) {
        assert(err.code != CS_OK);
        return 0;
    }
    while ((n = cs_source_read(s, buf, cap, &err)) > 0) {
        assert((size_t)n <= cap);
        total += (uint64_t)n;
        if (total > ((uint64_t)4 << 20))
            break;
        cap = cap * 3 % sizeof buf + 1;
    }
    if (n < 0)
        assert(err.code == n && err.msg[0]);
    else
        assert(err.code == CS_OK);
    assert(cs_source_consumed(s) <= size);
    (void)cs_source_name(s);
    (void)cs_source_is_gzip(s);
    (void)cs_source_members(s);
    cs_source_free(s);
    return 0;
}
