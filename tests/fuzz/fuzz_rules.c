/* libFuzzer harness: the rules-file parser. What parses must format, and
 * the formatted text must parse back to the same rules (same
 * fingerprint): that is the promise of "crampstat rules > my.rules". */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <crampstat/rules.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cs_error err = {0};
    cs_rules r, back;
    cs_buf text, fp1, fp2;

    cs_rules_default(&r);
    if (cs_rules_parse(&r, "fuzz.rules", (const char *)data, size, &err) < 0) {
        assert(err.code != CS_OK && err.msg[0]);
        return 0;
    }
    cs_buf_init(&text, 0);
    cs_buf_init(&fp1, 0);
    cs_buf_init(&fp2, 0);
    assert(cs_rules_format(&r, &text) == CS_OK);
    assert(cs_rules_fingerprint(&r, &fp1) == CS_OK);
    cs_rules_default(&back);
    memset(&err, 0, sizeof err);
    assert(cs_rules_parse(&back, "formatted", text.ptr, text.len, &err) == CS_OK);
    assert(cs_rules_fingerprint(&back, &fp2) == CS_OK);
    assert(fp1.len == fp2.len && memcmp(fp1.ptr, fp2.ptr, fp1.len) == 0);
    cs_buf_dispose(&text);
    cs_buf_dispose(&fp1);
    cs_buf_dispose(&fp2);
    return 0;
}
