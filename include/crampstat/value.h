/* Scalar values of the data contract (DATA.md section 1): decimal numbers,
 * integers, booleans, missing markers, ISO 8601 dates and times. The
 * parsers take length-delimited text and never allocate. */
#ifndef CRAMPSTAT_VALUE_H
#define CRAMPSTAT_VALUE_H

#include <stdint.h>
#include <crampstat/buf.h>
#include <crampstat/fmt.h>

/* Empty, NA or N/A in any case (after trimming spaces). */
int cs_is_missing(cs_str s);

/* Plain decimal: optional sign, digits, optional '.' and digits (at least
 * one digit in all). No exponent, no hex, no inf/nan, no thousands
 * separators, no spaces (callers trim). Exactly rounded: bit for bit what
 * strtod gives for the same text ("-0" is -0.0; a value too small for a
 * double is 0 or a subnormal), at any length. Returns 0 and sets *out, or
 * -1 (also when the value overflows a double). */
int cs_parse_decimal(cs_str s, double *out);
/* The same, for a text whose next bytes may be read: at least
 * CS_DECIMAL_PAD bytes from s.ptr are readable, whatever s.len (the cells
 * of a line read in place, not its last ones). Tag's usual numbers (a
 * '-' or nothing, then 2 to 16 bytes of digits and at most one dot, at
 * most 15 digits) are read eight bytes at a time; the result and the
 * return are always cs_parse_decimal's. */
#define CS_DECIMAL_PAD 24
int cs_parse_decimal_padded(cs_str s, double *out);
/* The sign (-1, 0, 1) of the value of s less k, exactly, for a text that
 * cs_parse_decimal accepts: where a double cannot tell them apart, as
 * with 1440.0000000000001, which rounds to 1440. */
int cs_decimal_cmp_int(cs_str s, int64_t k);
/* Canonical text of a decimal that cs_parse_decimal accepted: no '+', no
 * leading zeros, no trailing fractional zeros, "-0" as "0". Writes at most
 * s.len + 2 bytes into dst and returns the length, or -1. */
int cs_canon_decimal(cs_str s, char *dst, size_t cap);
/* Optional sign and digits; range of int64. Returns 0 or -1. */
int cs_parse_int(cs_str s, int64_t *out);
/* yes/no, y/n, true/false, 1/0 in any case. Returns 0 and sets *out to
 * 1 or 0, or -1. */
int cs_parse_bool(cs_str s, int *out);

/* A calendar date or time as written. */
typedef struct cs_datetime {
    int year, month, day;
    int hour, min, sec;   /* 0 for a bare date */
    int has_time;         /* 0 = date only */
    int has_tz;           /* 1 when Z or +-hh:mm was given */
    int tz_min;           /* offset east of UTC in minutes */
} cs_datetime;

/* ISO 8601: YYYY-MM-DD, or YYYY-MM-DDThh:mm[:ss][Z|+hh:mm|-hh:mm]. The
 * date must exist (leap years), hh 0-23, mm 0-59, ss 0-59. Returns 0 or -1
 * with a short reason in *why (a static string) when why is not NULL. */
int cs_parse_datetime(cs_str s, cs_datetime *out, const char **why);
int cs_parse_date(cs_str s, cs_datetime *out, const char **why); /* no time */
/* Days in month m (1-12) of year y, proleptic Gregorian; the year is
 * looked at for February alone. Inline: the validators' fast paths bound
 * every date's day with it. */
static inline int cs_days_in_month(int y, int m)
{
    static const unsigned char dim[12] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };
    if (m != 2)
        return dim[m - 1];
    return 28 + ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0);
}
/* Days since 1970-01-01 of the date as written (no time zone applied). */
int32_t cs_days_from_civil(int year, int month, int day);
/* The inverse: the civil date of a day number. */
void cs_civil_from_days(int32_t days, int *year, int *month, int *day);
/* Seconds since the epoch in UTC (the offset applied; none = UTC). */
int64_t cs_datetime_epoch(const cs_datetime *t);

#endif
