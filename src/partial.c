/* The partial-state text (docs/partial-format.md): a magic line, then one
 * named, versioned section per accumulator of the state, in registry
 * order, then the "leaf" lines, the "sha256" line and "end". Every
 * section is read with the same line reader (ptext.c), which stops at
 * the next "section" line, so an accumulator reads its own lines and
 * nobody else's.
 *
 * The leaves say which states written from counts a state is made of,
 * so that merge refuses to count one twice; the sha256 line makes any
 * change to the text after it was written an error. Both are hashed
 * once over the whole text, never per row. */
#include <stdio.h>
#include <string.h>
#include <crampstat/aggregate.h>
#include <crampstat/sha256.h>
#include <crampstat/source.h>
#include "internal.h"

#define MAGIC "crampstat-partial 3"
/* What the first line of any other file is told. */
#define NOT_A_STATE \
    "not a crampstat partial state (it should begin with \"" MAGIC "\")"
/* "leaf " or "sha256 " and 64 hex digits. */
#define HEXLEN 64

/* "KEY HEX\n", 64 hex digits. */
static void put_line(cs_buf *b, const char *key, const char *hex)
{
    char line[16 + HEXLEN];
    int n = snprintf(line, sizeof line, "%s %.64s\n", key, hex);

    cs_buf_append(b, line, (size_t)n);
}

/* The first accumulator that k needs and the bits of have lack, or
 * NULL: a section is neither read nor written without those. */
static const char *missing_need(const cs_acc_kind *k, unsigned have)
{
    for (const char *const *n = k->needs; n && *n; n++) {
        int j = cs_acc_find((cs_str){ *n, strlen(*n) });
        if (j < 0 || !(have & (1u << j)))
            return *n;
    }
    return NULL;
}

int cs_agg_write_partial(const cs_agg *a, cs_buf *b, cs_error *err)
{
    return cs_agg_write_partial_some(a, a->have, b, err);
}

static int append_out(void *ctx, const char *p, size_t n, cs_error *err)
{
    return cs_buf_append(ctx, p, n) < 0 ? cs_buf_check(ctx, err) : CS_OK;
}

int cs_agg_write_partial_some(const cs_agg *a, unsigned mask, cs_buf *b,
                              cs_error *err)
{
    int rc = cs_agg_stream_partial_some(a, mask, append_out, b, err);

    return rc < 0 ? rc : cs_buf_check(b, err);
}

/* A piece of the state: written once the buffer holds this much, so
 * that a state of any size is written through a buffer of about this
 * size (and a participant's line). */
#define PIECE ((size_t)1 << 20)

/* The text in b to out, hashed into s unless s is NULL; b emptied. */
static int spill(cs_buf *b, cs_sha256 *s, cs_partial_out out, void *ctx,
                 cs_error *err)
{
    int rc;

    if (cs_buf_error(b))
        return cs_buf_check(b, err);
    if (s)
        cs_sha256_update(s, b->ptr, b->len);
    if (b->len && (rc = out(ctx, b->ptr, b->len, err)) < 0)
        return rc;
    b->len = 0;
    return CS_OK;
}

int cs_agg_stream_partial_some(const cs_agg *a, unsigned mask,
                               cs_partial_out out, void *ctx, cs_error *err)
{
    cs_buf b;
    cs_sha256 s;
    char hex[HEXLEN + 1];
    int rc = CS_OK;

    mask &= a->have;
    /* The leaves of a state read or merged name whole states; a part of
     * one is none of them. And a section is not written without those it
     * needs. */
    if (mask != a->have && a->nleaves)
        return cs_error_set(err, CS_ERROR, "a part of a state read or "
                            "merged cannot be written: its leaves name whole "
                            "states");
    for (size_t i = 0; i < cs_acc_count; i++) {
        const cs_acc_kind *k = cs_acc_registry[i];
        const char *need;
        if ((mask & (1u << i)) && (need = missing_need(k, mask)))
            return cs_error_set(err, CS_ERROR, "section \"%s\" cannot be "
                                "written without \"%s\"", k->name, need);
    }
    cs_buf_init(&b, 0);
    cs_sha256_init(&s);
    cs_buf_puts(&b, MAGIC "\n");
    for (size_t i = 0; i < cs_acc_count && rc == CS_OK; i++) {
        const cs_acc_kind *k = cs_acc_registry[i];
        size_t from = 0;
        if (!(mask & (1u << i)))
            continue;
        cs_buf_printf(&b, "section %s %u\n", k->name, k->version);
        if (!k->write_part)
            k->write(a, &b);
        else
            while (k->write_part(a, &b, &from, PIECE) &&
                   (rc = spill(&b, &s, out, ctx, err)) == CS_OK)
                ;
        if (rc == CS_OK)
            rc = spill(&b, &s, out, ctx, err);
    }
    /* (the magic line is still in b when no section was written) */
    if (rc == CS_OK)
        rc = spill(&b, &s, out, ctx, err);
    if (rc == CS_OK) {
        if (a->nleaves == 0) {
            /* Counted here: a leaf, named by the text so far, so that
             * the same counts give the same bytes (no time, no random
             * number). */
            cs_sha256 leaf = s;
            cs_sha256_final(&leaf, hex);
            put_line(&b, "leaf", hex);
        }
        for (size_t i = 0; i < a->nleaves; i++)
            put_line(&b, "leaf", a->leaf[i].id);
        rc = spill(&b, &s, out, ctx, err);
    }
    if (rc == CS_OK) {
        cs_sha256_final(&s, hex);
        put_line(&b, "sha256", hex);
        cs_buf_puts(&b, "end\n");
        rc = spill(&b, NULL, out, ctx, err);
    }
    cs_buf_dispose(&b);
    return rc;
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
        return cs__ptext_err(t, 1, NOT_A_STATE);
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
    const char *need = missing_need(k, a->have);
    if (need)
        return cs__ptext_err(t, t->line, "section \"%s\" needs the \"%s\" "
                             "section before it", k->name, need);
    if (k->create(a, NULL, t->err) < 0)
        return t->err->code;
    a->have |= 1u << i;
    return i;
}

/* w as 64 lower-case hex digits (the one spelling, as for every value of
 * a state). */
static int hex64(cs_str w)
{
    if (w.len != HEXLEN)
        return 0;
    for (size_t i = 0; i < HEXLEN; i++)
        if (!((w.ptr[i] >= '0' && w.ptr[i] <= '9') ||
              (w.ptr[i] >= 'a' && w.ptr[i] <= 'f')))
            return 0;
    return 1;
}

/* The line number of the line starting at p: counted only for a
 * message, so that reading a good state does not pay for it. */
static unsigned long line_at(const char *text, const char *p)
{
    unsigned long n = 1;

    for (const char *q = text; (q = memchr(q, '\n', (size_t)(p - q))); q++)
        n++;
    return n;
}

/* The "sha256 HEX" line starting at at: the SHA-256 of every byte of
 * text before it. */
static int verify_sum(cs__ptext *t, const char *text, const char *at,
                      cs_str hex)
{
    cs_sha256 s;
    char got[HEXLEN + 1];

    if (!hex64(hex))
        return cs__ptext_err(t, line_at(text, at), "expected \"sha256\" "
                             "and 64 hexadecimal digits (lower case)");
    cs_sha256_init(&s);
    cs_sha256_update(&s, text, (size_t)(at - text));
    cs_sha256_final(&s, got);
    if (memcmp(got, hex.ptr, HEXLEN) != 0)
        return cs__ptext_err(t, line_at(text, at), "the state does not "
                             "match its sha256 line: it was changed after "
                             "it was written (edited, or damaged in storage "
                             "or transfer); make it again, or use a copy");
    return CS_OK;
}

/* When the state ends in a "sha256" line and "end", the sum is checked
 * before anything is read, so that a changed state is named as such and
 * not by whichever check of its numbers meets the change first. *at is
 * the line checked, NULL when there is none there. */
static int sum_first(cs__ptext *t, const char *text, const char **at)
{
    const char *end = t->end, *q;
    size_t room = (size_t)(end - text);

    *at = NULL;
    if (room < 4 + 8 + HEXLEN || memcmp(end - 4, "end\n", 4) != 0 ||
        end[-5] != '\n')
        return CS_OK;
    q = end - 5 - (7 + HEXLEN);
    if (q < text || (q > text && q[-1] != '\n') || memcmp(q, "sha256 ", 7))
        return CS_OK;
    *at = q;
    return verify_sum(t, text, q, (cs_str){ q + 7, HEXLEN });
}

/* A "leaf HEX" line: after the sections, in increasing order. */
static int leaf_line(cs_agg *a, cs__ptext *t, cs_str hex, size_t *cap)
{
    if (!hex64(hex))
        return cs__ptext_err(t, t->line, "expected \"leaf\" and 64 "
                             "hexadecimal digits (lower case)");
    if (a->nleaves && memcmp(a->leaf[a->nleaves - 1].id, hex.ptr, HEXLEN) >= 0)
        return cs__ptext_err(t, t->line, "the leaf lines are not in "
                             "increasing order, or one is given twice");
    if (a->nleaves == *cap) {
        size_t n = *cap ? 2 * *cap : 4;
        cs_agg_leaf *l = realloc(a->leaf, n * sizeof *l);
        if (!l)
            return cs_error_set(t->err, CS_ENOMEM, "out of memory");
        a->leaf = l;
        *cap = n;
    }
    memcpy(a->leaf[a->nleaves].id, hex.ptr, HEXLEN);
    a->leaf[a->nleaves++].from = 0;
    return CS_OK;
}

/* A state without leaf and sha256 lines, as crampstat wrote format 3
 * before them: one leaf, named as a leaf written now would be, by the
 * text before its end. */
static int old_leaf(cs_agg *a, cs__ptext *t, const char *text,
                    const char *end_line)
{
    cs_sha256 s;
    char hex[HEXLEN + 1];
    size_t cap = 0;

    cs_sha256_init(&s);
    cs_sha256_update(&s, text, (size_t)(end_line - text));
    cs_sha256_final(&s, hex);
    return leaf_line(a, t, (cs_str){ hex, HEXLEN }, &cap);
}

int cs_agg_read_partial(cs_agg *a, const char *name, const char *text,
                        size_t len, cs_error *err)
{
    cs__ptext t = { name, text, text + len, 0, err, 0 };
    const char *summed, *line_start;
    cs_str line;
    long last = -1;
    size_t cap = 0;
    int rc, sum = 0;

    cs_agg_empty(a);
    if ((rc = magic(&t)) < 0 || (rc = sum_first(&t, text, &summed)) < 0)
        return rc;
    for (;;) {
        line_start = t.p;
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
        if (sum) {
            rc = cs__ptext_err(&t, t.line, "expected \"end\" after the "
                               "sha256 line");
            goto fail;
        }
        if (cs_str_eq(w, "leaf")) {
            if ((rc = leaf_line(a, &t, rest, &cap)) < 0)
                goto fail;
            continue;
        }
        if (cs_str_eq(w, "sha256")) {
            if (!a->nleaves) {
                rc = cs__ptext_err(&t, t.line, "a sha256 line without the "
                                   "leaf lines before it");
                goto fail;
            }
            /* Checked already, unless more than "end" follows it. */
            if (line_start != summed &&
                (rc = verify_sum(&t, text, line_start, rest)) < 0)
                goto fail;
            sum = 1;
            continue;
        }
        if (!cs_str_eq(w, "section")) {
            rc = cs__ptext_err(&t, t.line, "expected a \"section\" line, "
                               "found \"%.*s\"", (int)(w.len > 40 ? 40 : w.len),
                               w.ptr);
            goto fail;
        }
        if (a->nleaves) {
            rc = cs__ptext_err(&t, t.line, "a section after the leaf lines "
                               "(they follow the last section)");
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
    if (a->nleaves && !sum) {
        rc = cs__ptext_err(&t, t.line, "the sha256 line is missing (it "
                           "follows the leaf lines)");
        goto fail;
    }
    if (!a->nleaves && (rc = old_leaf(a, &t, text, line_start)) < 0)
        goto fail;
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
    static const char prefix[] = "crampstat-partial ";
    cs_source *src = NULL;
    long n;
    int checked = 0;

    cs_buf_reset(b);
    if (cs_source_open(&src, path, err) < 0)
        return err->code;
    for (;;) {
        int rc = cs_buf_reserve(b, 65536);
        if (rc == CS_ENOMEM) {
            cs_source_free(src);
            return cs_error_at(err, CS_ENOMEM, (cs_pos){ path, 0, 0 },
                               "out of memory reading it (%zu bytes so far)",
                               b->len);
        }
        if (rc < 0)
            goto too_large;
        n = cs_source_read(src, b->ptr + b->len, 65536, err);
        if (n <= 0)
            break;
        b->len += (size_t)n;
        /* What does not begin as a state does is refused at once, not
         * read to the cap (a gzip bomb of zeros, a CSV file by mistake),
         * with the parser's words; the parser names what else is wrong
         * with a first line that begins so (an older format, CR LF). */
        if (!checked && b->len >= sizeof prefix - 1) {
            checked = 1;
            if (memcmp(b->ptr, prefix, sizeof prefix - 1) != 0) {
                cs_source_free(src);
                return cs_error_at(err, CS_EPARSE, (cs_pos){ path, 1, 0 },
                                   NOT_A_STATE);
            }
        }
        if (b->len > CS_PARTIAL_MAX)
            goto too_large;
        /* gzip: past CS_PARTIAL_GZ_FLOOR, at most CS_PARTIAL_GZ_RATIO
         * times the bytes inflated so far (a state's text compresses 3
         * to 6 times; a bomb of zeros a thousand). */
        if (b->len > CS_PARTIAL_GZ_FLOOR && cs_source_is_gzip(src) &&
            b->len / CS_PARTIAL_GZ_RATIO > cs_source_consumed(src)) {
            unsigned long long in = cs_source_consumed(src);
            cs_source_free(src);
            return cs_error_at(err, CS_ELIMIT, (cs_pos){ path, 0, 0 },
                               "inflates to over %zu bytes from its first "
                               "%llu, more than %d times: not a partial "
                               "state (a gzip bomb?)", b->len, in,
                               CS_PARTIAL_GZ_RATIO);
        }
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
