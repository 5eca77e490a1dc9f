/* The tests' helpers for the last lines of a partial state (its "leaf"
 * lines and "sha256" line, docs/partial-format.md): include after
 * cmocka.h, stdlib.h, string.h and crampstat/aggregate.h. */
#ifndef CS_TESTS_PARTIAL_SUM_H
#define CS_TESTS_PARTIAL_SUM_H

#include <crampstat/sha256.h>

/* A copy of the state's text without its leaf and sha256 lines: the
 * counts alone, to compare states made of different leaves (malloc'd). */
static inline char *strip_sums(const char *text)
{
    size_t n = strlen(text), k = 0;
    char *out = malloc(n + 1);

    assert_non_null(out);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (strncmp(p, "leaf ", 5) != 0 && strncmp(p, "sha256 ", 7) != 0) {
            memcpy(out + k, p, len);
            k += len;
        }
        p += len;
    }
    out[k] = '\0';
    return out;
}

/* The sha256 line of an edited state's text made again, in place: the
 * state then passes the checksum, so that what is refused is refused by
 * the checks of its numbers. */
static inline void resum(char *text)
{
    char *at = strstr(text, "\nsha256 ");
    cs_sha256 s;
    char hex[65];

    assert_non_null(at);
    at++;
    cs_sha256_init(&s);
    cs_sha256_update(&s, text, (size_t)(at - text));
    cs_sha256_final(&s, hex);
    memcpy(at + 7, hex, 64);
}

/* Forget the leaves a state was read with, so that it merges with its
 * own copy as another state would (merge refuses the same state twice). */
static inline void forget_leaves(cs_agg *a)
{
    free(a->leaf);
    a->leaf = NULL;
    a->nleaves = 0;
}

#endif
