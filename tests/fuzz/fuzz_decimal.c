/* libFuzzer harness: cs_parse_decimal_padded (SSE2 where there is SSE2)
 * and its word-wise reader (cs__parse_decimal_words) against
 * cs_parse_decimal on the same text. The input's first byte says how long the text is (its
 * value modulo 40, at most what is left); the text is the bytes after it
 * and the padding after the text is the rest of the input (or, when the
 * input ends, the text's own bytes again), CS_DECIMAL_PAD bytes of it, in
 * a buffer of exactly the text and its padding, so that a read past the
 * promise is caught by the address sanitizer. Both must give the same
 * return and, when they accept, the same bits; an accepted text must
 * also be what strtod reads. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/value.h>
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n, have;
    char *buf, z[64];
    double a = 0, b = 0, c = 0;
    int ra, rb, rc;

    if (size < 1)
        return 0;
    n = data[0] % 40;
    have = size - 1;
    if (n > have)
        n = have;
    if (!(buf = malloc(n + CS_DECIMAL_PAD)))
        return 0;
    memcpy(buf, data + 1, n);
    for (size_t i = 0; i < CS_DECIMAL_PAD; i++)
        buf[n + i] = 1 + n + i < size ? (char)data[1 + n + i]
                     : n ? buf[i % n] : '1';
    ra = cs_parse_decimal_padded((cs_str){ buf, n }, &a);
    rb = cs_parse_decimal((cs_str){ buf, n }, &b);
    rc = cs__parse_decimal_words((cs_str){ buf, n }, &c);
    assert(ra == rb && rc == rb);
    if (ra == 0) {
        assert(memcmp(&a, &b, sizeof a) == 0);
        assert(memcmp(&c, &b, sizeof c) == 0);
        memcpy(z, buf, n);
        z[n] = '\0';
        b = strtod(z, NULL);
        assert(memcmp(&a, &b, sizeof a) == 0);
    }
    free(buf);
    return 0;
}
