/* The partial-state text (docs/partial-format.md): a magic line, then one
 * named, versioned section per accumulator of the state, in registry
 * order, then "end". Every section is read with the same line reader
 * (ptext.c), which stops at the next "section" line, so an accumulator
 * reads its own lines and nobody else's. */
#include <stdio.h>
#include <string.h>
#include <crampstat/aggregate.h>
#include <crampstat/source.h>
#include "internal.h"

#define MAGIC "crampstat-partial 3"

/* A list of appends and one check: the buffer's error is sticky. */
int cs_agg_write_partial(const cs_agg *a, cs_buf *b, cs_error *err)
{
    cs_buf_puts(b, MAGIC "\n");
    for (size_t i = 0; i < cs_acc_count && !cs_buf_error(b); i++)
        if (a->have & (1u << i)) {
            const cs_acc_kind *k = cs_acc_registry[i];
            cs_buf_printf(b, "section %s %u\n", k->name, k->version);
            k->write(a, b);
        }
    cs_buf_puts(b, "end\n");
    return cs_buf_check(b, err);
}

/* The first line: this format, or a message saying what it is. */
static int magic(cs__ptext *t)
{
    cs_str line;
    int rc = cs__ptext_line(t, &line);

    if (rc <= 0)
        return rc < 0 ? rc : cs__ptext_err(t, 1, "not a crampstat partial "
                                           "state (it is empty)");
    if (line.len && line.ptr[line.len - 1] == '\r')
        return cs__ptext_err(t, 1, "the partial state has CRLF line ends "
                             "(converted as text?); states are written with "
                             "LF only");
    if (cs_str_eq(line, MAGIC))
        return CS_OK;
    if (line.len <= 18 || memcmp(line.ptr, "crampstat-partial ", 18) != 0)
        return cs__ptext_err(t, 1, "not a crampstat partial state (it should "
                             "begin with \"" MAGIC "\")");
    if (cs_str_eq(line, "crampstat-partial 2 aggregate") ||
        cs_str_eq(line, "crampstat-partial 1 aggregate") ||
        cs_str_eq(line, "crampstat-partial 1 calories"))
        return cs__ptext_err(t, 1, "\"%.*s\" is a partial state of an older "
                             "crampstat, without sections: make the state "
                             "again with this crampstat", (int)line.len,
                             line.ptr);
    return cs__ptext_err(t, 1, "unsupported partial state \"%.*s\" (this "
                         "crampstat reads \"" MAGIC "\")",
                         (int)(line.len > 60 ? 60 : line.len), line.ptr);
}

/* "section NAME VERSION": the accumulator that reads it, or an error
 * naming what is wrong with it. */
static int section(cs_agg *a, cs__ptext *t, cs_str rest, long last)
{
    cs_str name = cs__ptext_word(&rest);
    uint64_t version;
    int i = cs_acc_find(name);

    if (i < 0)
        return cs__ptext_err(t, t->line, "unknown section \"%.*s\" (this "
                             "crampstat does not know it: made by a newer "
                             "one?)", (int)(name.len > 40 ? 40 : name.len),
                             name.ptr);
    const cs_acc_kind *k = cs_acc_registry[i];
    if (cs__parse_u64(cs__ptext_word(&rest), &version) < 0 || rest.len)
        return cs__ptext_err(t, t->line, "expected \"section %s VERSION\"",
                             k->name);
    if (version != k->version)
        return cs__ptext_err(t, t->line, "section \"%s\" version %llu: this "
                             "crampstat reads version %u", k->name,
                             (unsigned long long)version, k->version);
    if (a->have & (1u << i))
        return cs__ptext_err(t, t->line, "section \"%s\" is given twice",
                             k->name);
    if (i < last)
        return cs__ptext_err(t, t->line, "section \"%s\" is out of order "
                             "(sections come in the order %s first)",
                             k->name, cs_acc_registry[0]->name);
    for (const char *const *n = k->needs; n && *n; n++) {
        int j = cs_acc_find((cs_str){ *n, strlen(*n) });
        if (j < 0 || !(a->have & (1u << j)))
            return cs__ptext_err(t, t->line, "section \"%s\" needs the "
                                 "\"%s\" section before it", k->name, *n);
    }
    if (k->create(a, NULL, t->err) < 0)
        return t->err->code;
    a->have |= 1u << i;
    return i;
}

int cs_agg_read_partial(cs_agg *a, const char *name, const char *text,
                        size_t len, cs_error *err)
{
    cs__ptext t = { name, text, text + len, 0, err, 0 };
    cs_str line;
    long last = -1;
    int rc;

    cs_agg_empty(a);
    if ((rc = magic(&t)) < 0)
        return rc;
    for (;;) {
        if ((rc = cs__ptext_line(&t, &line)) < 0)
            goto fail;
        if (rc == 0) {
            rc = cs__ptext_err(&t, t.line, "the state is truncated: \"end\" "
                               "is missing");
            goto fail;
        }
        cs_str rest = line, w = cs__ptext_word(&rest);
        if (cs_str_eq(line, "end"))
            break;
        if (!cs_str_eq(w, "section")) {
            rc = cs__ptext_err(&t, t.line, "expected a \"section\" line, "
                               "found \"%.*s\"", (int)(w.len > 40 ? 40 : w.len),
                               w.ptr);
            goto fail;
        }
        int i = section(a, &t, rest, last);
        if (i < 0) {
            rc = i;
            goto fail;
        }
        last = i;
        t.in_section = 1;
        rc = cs_acc_registry[i]->read(a, &t);
        t.in_section = 0;
        if (rc < 0)
            goto fail;
    }
    if (t.p != t.end) {
        rc = cs__ptext_err(&t, t.line + 1, "text after \"end\"");
        goto fail;
    }
    if (a->have == 0) {
        rc = cs__ptext_err(&t, t.line, "the state has no section");
        goto fail;
    }
    for (size_t i = 0; i < cs_acc_count; i++)
        if ((a->have & (1u << i)) &&
            (rc = cs_acc_registry[i]->check(a, &t)) < 0)
            goto fail;
    if ((rc = cs_agg_finish(a, err)) < 0)
        goto fail;
    return CS_OK;
fail:
    cs_agg_dispose(a);
    return rc;
}

int cs_read_small_file(cs_buf *b, const char *path, cs_error *err)
{
    cs_source *src = NULL;
    long n;

    cs_buf_reset(b);
    if (cs_source_open(&src, path, err) < 0)
        return err->code;
    for (;;) {
        if (cs_buf_reserve(b, 65536) < 0)
            goto too_large;
        n = cs_source_read(src, b->ptr + b->len, 65536, err);
        if (n <= 0)
            break;
        b->len += (size_t)n;
        if (b->len > CS_PARTIAL_MAX)
            goto too_large;
    }
    cs_source_free(src);
    if (n < 0)
        return (int)n;
    b->ptr[b->len] = '\0';
    return CS_OK;
too_large:
    cs_source_free(src);
    return cs_error_at(err, CS_ELIMIT, (cs_pos){ path, 0, 0 },
                       "larger than %zu bytes: not a partial state",
                       CS_PARTIAL_MAX);
}
