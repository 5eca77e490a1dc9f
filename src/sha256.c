/* SHA-256 as FIPS 180-4 specifies it, dependency-free: the report's
 * provenance hashes each input file, and every partial state is hashed
 * when written and when read (tens of MB for a clustered state). Where
 * the CPU has the SHA extensions (x86's SHA-NI: Intel since Goldmont and
 * Ice Lake, AMD since Zen), the blocks go through them, chosen at run
 * time: the build needs no -msha. CRAMPSTAT_SHA256=plain forces the
 * portable rounds (tests compare the two). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/sha256.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define CS_SHA_NI 1
#endif

static const uint32_t k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void compress_one(uint32_t h[8], const unsigned char *b)
{
    uint32_t w[64], a, bb, c, d, e, f, g, hh;

    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
               (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = h[0]; bb = h[1]; c = h[2]; d = h[3];
    e = h[4]; f = h[5]; g = h[6]; hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t s1 = ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = hh + s1 + ch + k[i] + w[i];
        uint32_t s0 = ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22);
        uint32_t maj = (a & bb) ^ (a & c) ^ (bb & c);
        uint32_t t2 = s0 + maj;
        hh = g; g = f; f = e; e = d + t1;
        d = c; c = bb; bb = a; a = t1 + t2;
    }
    h[0] += a; h[1] += bb; h[2] += c; h[3] += d;
    h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static void compress_plain(uint32_t h[8], const unsigned char *b, size_t n)
{
    for (; n; n--, b += 64)
        compress_one(h, b);
}

#ifdef CS_SHA_NI
/* n blocks with the SHA extensions: the state as the two halves the
 * instructions take (ABEF and CDGH), four rounds per group of message
 * words, the schedule's next four words from the last sixteen. */
__attribute__((target("sha,sse4.1")))
static void compress_shani(uint32_t h[8], const unsigned char *b, size_t n)
{
    const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL,
                                        0x0405060700010203LL);
    __m128i t = _mm_loadu_si128((const __m128i *)&h[0]);       /* DCBA */
    __m128i s1 = _mm_loadu_si128((const __m128i *)&h[4]);      /* HGFE */
    __m128i s0;

    t = _mm_shuffle_epi32(t, 0xB1);                            /* CDAB */
    s1 = _mm_shuffle_epi32(s1, 0x1B);                          /* EFGH */
    s0 = _mm_alignr_epi8(t, s1, 8);                            /* ABEF */
    s1 = _mm_blend_epi16(s1, t, 0xF0);                         /* CDGH */
    for (; n; n--, b += 64) {
        __m128i abef = s0, cdgh = s1, w[4];
        for (int g = 0; g < 16; g++) {
            __m128i m;
            if (g < 4) {
                w[g] = _mm_shuffle_epi8(
                    _mm_loadu_si128((const __m128i *)(b + 16 * g)), swap);
            } else {
                /* W[t-16] + s0(W[t-15]) + W[t-7], then + s1(W[t-2]) */
                m = _mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]);
                m = _mm_add_epi32(m, _mm_alignr_epi8(w[(g + 3) & 3],
                                                     w[(g + 2) & 3], 4));
                w[g & 3] = _mm_sha256msg2_epu32(m, w[(g + 3) & 3]);
            }
            m = _mm_add_epi32(w[g & 3],
                              _mm_loadu_si128((const __m128i *)&k[4 * g]));
            s1 = _mm_sha256rnds2_epu32(s1, s0, m);
            s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m, 0x0E));
        }
        s0 = _mm_add_epi32(s0, abef);
        s1 = _mm_add_epi32(s1, cdgh);
    }
    t = _mm_shuffle_epi32(s0, 0x1B);                           /* FEBA */
    s1 = _mm_shuffle_epi32(s1, 0xB1);                          /* DCHG */
    s0 = _mm_blend_epi16(t, s1, 0xF0);                         /* DCBA */
    s1 = _mm_alignr_epi8(s1, t, 8);                            /* HGFE */
    _mm_storeu_si128((__m128i *)&h[0], s0);
    _mm_storeu_si128((__m128i *)&h[4], s1);
}

static int cpu_has_sha(void)
{
    unsigned a, b, c, d;

    /* leaf 7: SHA in EBX bit 29; SSSE3 and SSE4.1 in leaf 1's ECX */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 29)))
        return 0;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSSE3) &&
           (c & bit_SSE4_1);
}
#endif

/* The rounds for this CPU, unless CRAMPSTAT_SHA256=plain. */
static void (*pick(void))(uint32_t *, const unsigned char *, size_t)
{
#ifdef CS_SHA_NI
    const char *want = getenv("CRAMPSTAT_SHA256");

    if (!(want && strcmp(want, "plain") == 0) && cpu_has_sha())
        return compress_shani;
#endif
    return compress_plain;
}

const char *cs_sha256_impl(const cs_sha256 *s)
{
#ifdef CS_SHA_NI
    if (s->compress == compress_shani)
        return "shani";
#endif
    return "plain";
}

void cs_sha256_init(cs_sha256 *s)
{
    static const uint32_t iv[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
    };
    memcpy(s->h, iv, sizeof iv);
    s->len = 0;
    s->used = 0;
    s->compress = pick();
}

void cs_sha256_update(cs_sha256 *s, const void *data, size_t n)
{
    const unsigned char *p = data;

    s->len += n;
    if (s->used) {
        size_t take = 64 - s->used < n ? 64 - s->used : n;
        memcpy(s->block + s->used, p, take);
        s->used += take;
        p += take;
        n -= take;
        if (s->used < 64)
            return;
        s->compress(s->h, s->block, 1);
        s->used = 0;
    }
    /* Whole blocks from where they lie, the rest kept for later. */
    if (n >= 64) {
        s->compress(s->h, p, n / 64);
        p += n / 64 * 64;
        n %= 64;
    }
    memcpy(s->block, p, n);
    s->used = n;
}

void cs_sha256_final(cs_sha256 *s, char hex[65])
{
    uint64_t bits = s->len * 8;
    unsigned char pad = 0x80, len[8];

    cs_sha256_update(s, &pad, 1);
    pad = 0;
    while (s->used != 56)
        cs_sha256_update(s, &pad, 1);
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)(bits >> (56 - 8 * i));
    cs_sha256_update(s, len, 8);
    for (int i = 0; i < 8; i++)
        snprintf(hex + 8 * i, 9, "%08x", s->h[i]);
}

int cs_sha256_file(const char *path, char hex[65], uint64_t *size,
                   cs_error *err)
{
    unsigned char buf[65536];
    cs_sha256 s;
    FILE *f = fopen(path, "rb");
    size_t n;

    if (!f)
        return cs_error_at(err, CS_ENOENT, (cs_pos){ path, 0, 0 },
                           "cannot open: %s", strerror(errno));
    cs_sha256_init(&s);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        cs_sha256_update(&s, buf, n);
    if (ferror(f)) {
        fclose(f);
        return cs_error_at(err, CS_EIO, (cs_pos){ path, 0, 0 },
                           "read failed");
    }
    fclose(f);
    *size = s.len;
    cs_sha256_final(&s, hex);
    return CS_OK;
}
