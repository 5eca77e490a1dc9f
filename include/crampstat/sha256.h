/* SHA-256 (FIPS 180-4), for the provenance of report inputs. */
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
} cs_sha256;

void cs_sha256_init(cs_sha256 *s);
void cs_sha256_update(cs_sha256 *s, const void *p, size_t n);
/* 64 lowercase hex digits and a NUL into hex. */
void cs_sha256_final(cs_sha256 *s, char hex[65]);
/* Hash a file's bytes as stored (compressed); *size gets its length.
 * CS_ENOENT or CS_EIO with the file named. */
int cs_sha256_file(const char *path, char hex[65], uint64_t *size,
                   cs_error *err);

#endif
