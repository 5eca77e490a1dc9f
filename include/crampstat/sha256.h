/* SHA-256 (FIPS 180-4), for the provenance of report inputs and the
 * partial states' leaf and sha256 lines. */
#ifndef CRAMPSTAT_SHA256_H
#define CRAMPSTAT_SHA256_H

#include <stddef.h>
#include <stdint.h>
#include <crampstat/error.h>

typedef struct cs_sha256 {
    uint32_t h[8];
    uint64_t len;
    unsigned char block[64];
    size_t used;
    /* the rounds for n whole blocks: the CPU's SHA extensions where it
     * has them (chosen by cs_sha256_init), else portable C */
    void (*compress)(uint32_t *h, const unsigned char *b, size_t n);
} cs_sha256;

/* CRAMPSTAT_SHA256=plain in the environment: the portable rounds. */
void cs_sha256_init(cs_sha256 *s);
/* Which rounds s uses: "shani" or "plain". */
const char *cs_sha256_impl(const cs_sha256 *s);
void cs_sha256_update(cs_sha256 *s, const void *p, size_t n);
/* 64 lowercase hex digits and a NUL into hex. */
void cs_sha256_final(cs_sha256 *s, char hex[65]);
/* Hash a file's bytes as stored (compressed); *size gets its length.
 * CS_ENOENT or CS_EIO with the file named. */
int cs_sha256_file(const char *path, char hex[65], uint64_t *size,
                   cs_error *err);

#endif
