/* Row filters: the expression language of `crampstat filter EXPR`. An
 * expression is compiled once against the header (column names resolved
 * to indexes, literals parsed) and then matched against each row without
 * allocating.
 *
 * Grammar (keywords and, or, not, in, is, empty in any case):
 *
 *   expr      = conj { "or" conj }
 *   conj      = neg { "and" neg }                 (and binds tighter)
 *   neg       = { "not" } primary                 (not binds tightest)
 *   primary   = "(" expr ")" | condition
 *   condition = operand cmp operand
 *             | column [ "not" ] "in" "(" value { "," value } ")"
 *             | column "is" [ "not" ] "empty"
 *   cmp       = "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="
 *   operand   = column | value        (at least one side is a column)
 *   column    = `back-quoted name`    (`` inside for one backquote)
 *             | bare word (see below)
 *   value     = 'text' | "text"       ('' or "" inside for one quote)
 *             | bare word (see below)
 *
 * A bare word is a run of bytes other than blanks, ( ) , = ! < > ' " `,
 * e.g. age, F, 40, -2.5, 2024-06-01, 2024-06-01T10:00+02:00. One that
 * parses as a number or an ISO date/time is always a value. Any other is
 * a column name on the left of cmp, in and is; on the right of cmp it is
 * a value (sex = F), unless the left side is a value, since one side must
 * be a column: 40 < age and 'soccer' = sport work too. In lists bare
 * words are values. Compare two columns as a = `b`. Column names match
 * the header case-insensitively after trimming blanks; names that are
 * keywords (and or not in is), look like numbers or dates, or contain
 * blanks or operator characters need backquotes.
 *
 * Typing, per comparison and per row: values are trimmed of blanks, then
 *   1. both numbers (cs_parse_decimal): numeric order ("10" > "9");
 *   2. for = != and in: both booleans (cs_parse_bool): yes = Y = true = 1;
 *   3. both ISO dates or times (cs_parse_datetime): time order; a date is
 *      its midnight; two times with zones compare as instants, otherwise
 *      as written (wall clock, the zone ignored);
 *   4. otherwise text, bytewise (case-sensitive).
 * Quoting a value does not change its type: '40' is the number 40.
 *
 * Missing values (empty, NA, N/A, as cs_is_missing) follow SQL: every
 * comparison and `in` with a missing field is unknown, for != too; not
 * unknown is unknown; false and unknown is false; true or unknown is true;
 * a row is kept only when the whole expression is true. So `not (x = 1)`
 * and `x != 1` keep the same rows, and neither keeps rows where x is
 * missing; ask for those with `x is empty`. A literal that is itself
 * missing ('', NA) is rejected at compile time: it could never match. A
 * row shorter than the header has missing values in the absent fields. */
#ifndef CRAMPSTAT_FILTER_H
#define CRAMPSTAT_FILTER_H

#include <stddef.h>
#include <crampstat/buf.h>
#include <crampstat/error.h>

typedef struct cs_filter cs_filter;

/* Deepest nesting of parentheses accepted; deeper gives CS_ELIMIT. */
#define CS_FILTER_DEPTH_MAX 100

/* Compile expr (NUL-terminated) against a header of ncols names. On
 * success returns CS_OK and sets *out to a filter the caller frees with
 * cs_filter_free; it keeps no pointer to expr or header. On failure sets
 * *out to NULL and returns CS_EPARSE (bad syntax, unterminated quote,
 * missing literal), CS_EUSAGE (unknown or ambiguous column), CS_ELIMIT
 * (nesting) or CS_ENOMEM, with err->src "expression", err->line 1 and
 * err->col the 1-based byte offset in expr of the offending token (one
 * past the last byte when the expression ends too early), so that a
 * caret printed that many bytes in points at it. */
int cs_filter_compile(cs_filter **out, const char *expr, const cs_str *header,
                      size_t ncols, cs_error *err);

/* Match one row whose fields are in header order. Returns 1 to keep the
 * row, 0 to drop it; never allocates and, as of now, never fails (err is
 * for future use; a negative return would have filled it). Fields past
 * nfields count as missing. */
int cs_filter_match(const cs_filter *f, const cs_str *fields, size_t nfields,
                    cs_error *err);

void cs_filter_free(cs_filter *f);  /* accepts NULL */

#endif
