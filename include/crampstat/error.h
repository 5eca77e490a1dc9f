/* Errors: one fixed-size struct carrying the code and the position in the
 * input, so that reporting never allocates, even when out of memory. */
#ifndef CRAMPSTAT_ERROR_H
#define CRAMPSTAT_ERROR_H

enum cs_code {
    CS_OK = 0,
    CS_ERROR = -1,
    CS_ENOMEM = -2,
    CS_EIO = -3,     /* open/read/write failed; strerror text in msg */
    CS_EPARSE = -4,  /* malformed CSV, gzip or header; bad expression */
    CS_EUSAGE = -5,  /* bad option or argument from the caller */
    CS_ELIMIT = -6,  /* size cap hit: field too long, too many columns */
    CS_ENOENT = -7,  /* input cannot be opened (missing, permission) */
    CS_EDATA = -8    /* input data breaks a rule (reject rate, bad state) */
};

typedef struct cs_pos {
    const char *src;     /* input name as given; "-" is stdin */
    unsigned long line;  /* 1-based physical input line; 0 = n/a */
    unsigned long col;   /* 1-based CSV column (field); byte column in
                            expressions; 0 = n/a */
} cs_pos;

typedef struct cs_error {
    int code;               /* enum cs_code; CS_OK while clear */
    char src[128];          /* copied from cs_pos.src; "" = no input */
    unsigned long line, col;
    unsigned long long offset; /* byte offset for gzip errors; 0 = n/a */
    int has_offset;
    char msg[256];          /* one line, no trailing newline */
} cs_error;

/* Set err (only if it is still clear: the first error wins) and return
 * code. */
int cs_error_set(cs_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int cs_error_at(cs_error *err, int code, cs_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Like cs_error_at but with a byte offset instead of a line. */
int cs_error_offset(cs_error *err, int code, const char *src,
                    unsigned long long offset, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void cs_error_clear(cs_error *err);

/* Format "src:line:col: msg" (parts that are unknown are left out) into
 * buf; returns buf. */
const char *cs_error_format(const cs_error *err, char *buf, unsigned long cap);

#endif
