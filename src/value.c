/* Scalar parsing for the data contract. The decimal parser is on the hot
 * path of every stage: plain decimals of up to 19 significant digits with a
 * small exponent are converted with one correctly rounded multiplication or
 * division (both operands exact in binary64, the Clinger fast path), and
 * only the rare rest goes through strtod. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/value.h>
#include "internal.h"

const double cs__pow10_exact[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

#ifdef __SSE2__
const unsigned char cs__edge[32] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};

const uint64_t cs__inv5[17] = {
    UINT64_C(0x0000000000000001), UINT64_C(0xcccccccccccccccd),
    UINT64_C(0x8f5c28f5c28f5c29), UINT64_C(0x1cac083126e978d5),
    UINT64_C(0xd288ce703afb7e91), UINT64_C(0x5d4e8fb00bcbe61d),
    UINT64_C(0x790fb65668c26139), UINT64_C(0xe5032477ae8d46a5),
    UINT64_C(0xc767074b22e90e21), UINT64_C(0x8e47ce423a2e9c6d),
    UINT64_C(0x4fa7f60d3ed61f49), UINT64_C(0x0fee64690c913975),
    UINT64_C(0x3662e0e1cf503eb1), UINT64_C(0xa47a2cf9f6433fbd),
    UINT64_C(0x54186f653140a659), UINT64_C(0x7738164770402145),
    UINT64_C(0xe4a4d1417cd9a041)
};
#endif

int cs_is_missing(cs_str s)
{
    s = cs_str_trim(s);
    if (s.len == 0)
        return 1;
    if ((s.ptr[0] | 0x20) != 'n' || s.len > 3)
        return 0;  /* the common case: a value */
    return cs_str_ieq(s, "NA") || cs_str_ieq(s, "N/A");
}

/* Scan a plain decimal; on success sets the significant-digit mantissa
 * (if it fits), the power of ten and whether it fits the fast path. */
static int scan_decimal(cs_str s, int *neg, uint64_t *mant, int *exp10,
                        int *exact)
{
    const char *p = s.ptr, *end = s.ptr + s.len;
    uint64_t m = 0;
    int ndig = 0, sig = 0, e = 0, dropped = 0, seen_dot = 0;

    *neg = 0;
    if (p < end && (*p == '+' || *p == '-'))
        *neg = (*p++ == '-');
    for (; p < end; p++) {
        unsigned d = (unsigned char)*p - '0';
        if (d <= 9) {
            ndig++;
            if (sig == 0 && d == 0) {
                if (seen_dot)
                    e--;
                continue;
            }
            if (sig < 19) {
                m = m * 10 + d;
                sig++;
                if (seen_dot)
                    e--;
            } else {
                if (d)
                    dropped = 1;
                if (!seen_dot)
                    e++;
            }
        } else if (*p == '.' && !seen_dot) {
            seen_dot = 1;
        } else {
            return -1;
        }
    }
    if (ndig == 0)
        return -1;
    *mant = m;
    *exp10 = e;
    *exact = !dropped && m <= ((uint64_t)1 << 53) && e >= -22 && e <= 22;
    return 0;
}

/* The slow path: strtod on the significant digits and a decimal exponent,
 * so that a value of any length fits a fixed buffer. A binary64 halfway
 * point has at most 767 significant digits, so the first 780 digits and a
 * sticky 1 for any non-zero digit dropped after them round exactly as the
 * whole text would. Underflow is a correctly rounded result (0 or a
 * subnormal, as strtod gives it); overflow is rejected. */
#define SLOW_DIGITS 780

static int slow_decimal(cs_str s, double *out)
{
    char tmp[SLOW_DIGITS + 32];
    const char *p = s.ptr, *end = s.ptr + s.len;
    size_t n = 0, nsig = 0;
    long e = 0;
    int seen_dot = 0, sticky = 0;
    char *endp;
    double v;

    if (p < end && (*p == '+' || *p == '-'))
        tmp[n++] = *p++;
    for (; p < end; p++) {
        if (*p == '.') {
            seen_dot = 1;
        } else if (nsig == 0 && *p == '0') {
            e -= seen_dot;          /* a leading zero holds only a place */
        } else if (nsig < SLOW_DIGITS) {
            tmp[n++] = *p;
            nsig++;
            e -= seen_dot;
        } else {
            sticky |= *p != '0';
            e += !seen_dot;
        }
    }
    if (nsig == 0) {
        tmp[n++] = '0';             /* all zeros: a signed zero */
        e = 0;
    }
    if (sticky) {
        tmp[n++] = '1';
        e--;
    }
    snprintf(tmp + n, sizeof tmp - n, "e%ld", e);
    errno = 0;
    v = strtod(tmp, &endp);
    if (*endp != '\0' || (errno == ERANGE && (v > 1 || v < -1)))
        return -1;
    *out = v;
    return 0;
}

int cs_parse_decimal(cs_str s, double *out)
{
    int neg, e, exact;
    uint64_t m;
    double v;

    /* Short texts (every value crampstat writes): at most 19 digits, so
     * all of them fit the mantissa and the loop needs no significance
     * bookkeeping; leading zeros add nothing to m, and e is minus the
     * number of digits after the dot (-19 at most), exactly as
     * scan_decimal finds. */
    const char *p = s.ptr, *end = s.ptr + s.len;
    neg = 0;
    if (p < end && (*p == '+' || *p == '-'))
        neg = (*p++ == '-');
    if (end - p <= 19) {
        const char *dot = NULL;
        m = 0;
        for (const char *q = p; q < end; q++) {
            unsigned d = (unsigned char)*q - '0';
            if (d <= 9)
                m = m * 10 + d;
            else if (*q == '.' && !dot)
                dot = q;
            else
                return -1;
        }
        if (end - p == (dot != NULL))
            return -1;  /* no digit */
        e = dot ? -(int)(end - dot - 1) : 0;
        exact = m <= ((uint64_t)1 << 53);
    } else if (scan_decimal(s, &neg, &m, &e, &exact) < 0) {
        return -1;
    }
    if (!exact)
        return slow_decimal(s, out);
    v = (double)m;
    v = e < 0 ? v / cs__pow10_exact[-e] : v * cs__pow10_exact[e];
    /* As strtod: "-0" is negative zero (it compares equal to 0). */
    *out = neg ? -v : v;
    return 0;
}

int cs_parse_decimal_padded(cs_str s, double *out)
{
    return cs__parse_decimal_padded(s, out);
}

int cs_decimal_cmp_int(cs_str s, int64_t k)
{
    const char *p = s.ptr, *end = s.ptr + s.len;
    uint64_t m = 0, ak = k < 0 ? 0 - (uint64_t)k : (uint64_t)k;
    int neg = 0, big = 0, frac = 0, mag;

    if (p < end && (*p == '+' || *p == '-'))
        neg = *p++ == '-';
    /* The whole part, saturating: past 2^64 it is above any |k|. */
    for (; p < end && *p != '.'; p++) {
        unsigned d = (unsigned)(unsigned char)*p - '0';
        if (big || m > (UINT64_MAX - d) / 10)
            big = 1;
        else
            m = m * 10 + d;
    }
    if (p < end)
        for (p++; p < end; p++)
            frac |= *p != '0';
    /* |v| against |k|: the whole parts, then whether any fraction is
     * left. */
    mag = big || m > ak ? 1 : m < ak ? -1 : frac;
    if (!big && m == 0 && !frac)
        neg = 0;                        /* -0 is 0 */
    if (!neg)
        return k < 0 ? 1 : mag;
    return k >= 0 ? -1 : -mag;
}

int cs_canon_decimal(cs_str s, char *dst, size_t cap)
{
    const char *p = s.ptr, *end = s.ptr + s.len, *dot, *ib, *ie, *fb, *fe;
    size_t n = 0;
    int neg = 0;

    if (p < end && (*p == '+' || *p == '-'))
        neg = (*p++ == '-');
    dot = memchr(p, '.', (size_t)(end - p));
    ib = p;
    ie = dot ? dot : end;
    fb = dot ? dot + 1 : end;
    fe = end;
    while (ib < ie && *ib == '0')
        ib++;
    while (fe > fb && fe[-1] == '0')
        fe--;
    if (ib == ie && fb == fe)
        neg = 0;  /* "-0.00" is zero */
    /* The exact length, so that the s.len + 2 the header promises is
     * always enough (a bound of int + frac + 3 was not, for "1440"). */
    if (cap < (size_t)neg + (ib == ie ? 1 : (size_t)(ie - ib)) +
              (fb < fe ? 1 + (size_t)(fe - fb) : 0))
        return -1;
    if (neg)
        dst[n++] = '-';
    if (ib == ie)
        dst[n++] = '0';
    memcpy(dst + n, ib, (size_t)(ie - ib));
    n += (size_t)(ie - ib);
    if (fb < fe) {
        dst[n++] = '.';
        memcpy(dst + n, fb, (size_t)(fe - fb));
        n += (size_t)(fe - fb);
    }
    return (int)n;
}

int cs_parse_int(cs_str s, int64_t *out)
{
    const char *p = s.ptr, *end = s.ptr + s.len;
    uint64_t v = 0, lim;
    int neg = 0;

    if (p < end && (*p == '+' || *p == '-'))
        neg = (*p++ == '-');
    if (p == end)
        return -1;
    lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; p < end; p++) {
        unsigned d = (unsigned char)*p - '0';
        if (d > 9 || v > (lim - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int cs_parse_bool(cs_str s, int *out)
{
    if (s.len == 0 || s.len > 5)
        return -1;
    if (s.len == 1 && (s.ptr[0] == '1' || s.ptr[0] == '0')) {
        *out = s.ptr[0] == '1';
        return 0;
    }
    if (cs_str_ieq(s, "yes") || cs_str_ieq(s, "y") || cs_str_ieq(s, "true")
        || cs_str_eq(s, "1")) {
        *out = 1;
        return 0;
    }
    if (cs_str_ieq(s, "no") || cs_str_ieq(s, "n") || cs_str_ieq(s, "false")
        || cs_str_eq(s, "0")) {
        *out = 0;
        return 0;
    }
    return -1;
}

static int digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        unsigned d = (unsigned char)p[i] - '0';
        if (d > 9)
            return -1;
        v = v * 10 + (int)d;
    }
    *out = v;
    return 0;
}

#define TIME_FORMS "not an ISO 8601 date (YYYY-MM-DD) or time " \
                   "(YYYY-MM-DDThh:mm[:ss][Z|+hh:mm|-hh:mm])"

/* form: the reason for a malformed date, naming the forms the caller
 * accepts. */
static int parse_ymd(const char *p, cs_datetime *t, const char **why,
                     const char *form)
{
    if (digits(p, 4, &t->year) < 0 || p[4] != '-' ||
        digits(p + 5, 2, &t->month) < 0 || p[7] != '-' ||
        digits(p + 8, 2, &t->day) < 0) {
        *why = form;
        return -1;
    }
    if (t->month < 1 || t->month > 12) {
        *why = "month out of range (01-12)";
        return -1;
    }
    if (t->day < 1 || t->day > cs_days_in_month(t->year, t->month)) {
        *why = "no such day in that month";
        return -1;
    }
    return 0;
}

int cs_parse_date(cs_str s, cs_datetime *out, const char **why)
{
    const char *dummy;
    cs_datetime t = {0};

    if (!why)
        why = &dummy;
    if (s.len != 10) {
        *why = "not an ISO 8601 date (YYYY-MM-DD)";
        return -1;
    }
    if (parse_ymd(s.ptr, &t, why, "not an ISO 8601 date (YYYY-MM-DD)") < 0)
        return -1;
    *out = t;
    return 0;
}

int cs_parse_datetime(cs_str s, cs_datetime *out, const char **why)
{
    const char *dummy, *p, *end;
    cs_datetime t = {0};

    if (!why)
        why = &dummy;
    if (s.len == 10)
        return cs_parse_date(s, out, why);
    *why = TIME_FORMS;
    if (s.len < 16 || (s.ptr[10] != 'T' && s.ptr[10] != ' '))
        return -1;
    if (parse_ymd(s.ptr, &t, why, TIME_FORMS) < 0)
        return -1;
    *why = TIME_FORMS;
    p = s.ptr + 11;
    end = s.ptr + s.len;
    if (digits(p, 2, &t.hour) < 0 || p[2] != ':' || digits(p + 3, 2, &t.min) < 0)
        return -1;
    p += 5;
    if (p < end && *p == ':') {
        if (end - p < 3 || digits(p + 1, 2, &t.sec) < 0)
            return -1;
        p += 3;
    }
    if (p < end && (*p == 'Z' || *p == 'z')) {
        t.has_tz = 1;
        p++;
    } else if (p < end && (*p == '+' || *p == '-')) {
        int hh, mm;
        if (end - p != 6 || digits(p + 1, 2, &hh) < 0 || p[3] != ':' ||
            digits(p + 4, 2, &mm) < 0)
            return -1;
        if (hh > 23 || mm > 59) {
            *why = "time zone offset out of range (hh 00-23, mm 00-59)";
            return -1;
        }
        t.has_tz = 1;
        t.tz_min = (hh * 60 + mm) * (*p == '-' ? -1 : 1);
        p += 6;
    }
    if (p != end)
        return -1;
    if (t.hour > 23) {
        *why = "hour out of range (00-23)";
        return -1;
    }
    if (t.min > 59) {
        *why = "minute out of range (00-59)";
        return -1;
    }
    if (t.sec > 59) {
        *why = "second out of range (00-59)";
        return -1;
    }
    t.has_time = 1;
    *out = t;
    return 0;
}

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian
 * calendar, no tables, no time zone. */
int32_t cs_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int32_t)doe - 719468;
}

int64_t cs_datetime_epoch(const cs_datetime *t)
{
    int64_t days = cs_days_from_civil(t->year, t->month, t->day);
    return days * 86400 + t->hour * 3600 + t->min * 60 + t->sec
           - (int64_t)t->tz_min * 60;
}

/* Hinnant's civil_from_days, the inverse of cs_days_from_civil. */
void cs_civil_from_days(int32_t days, int *year, int *month, int *day)
{
    int32_t z = days + 719468;
    int32_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;

    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)yoe + era * 400 + (*month <= 2);
}

