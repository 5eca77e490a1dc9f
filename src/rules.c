/* Rules files. The format is deliberately tiny: "key = value" per line,
 * '#' starts a comment, blank lines are ignored. Every key is documented
 * in the output of cs_rules_format, so "crampstat rules > my.rules" is the
 * way to start a file. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <crampstat/rules.h>
#include <crampstat/value.h>

enum kind { K_NUM, K_BOOL, K_OUTCOME, K_CUTS, K_REF };

static const struct key {
    const char *name;
    enum kind kind;
    size_t off;
    double lo, hi;
    const char *doc;
    int whole;   /* whole numbers only: intensity_rpe is 1 to 10 in steps of 1 */
} keys[] = {
    { "fatigue.unconditioned", K_BOOL, offsetof(cs_rules, fatigue_unconditioned), 0, 1,
      "unconditioned participants are exposed to fatigue (yes/no)", 0 },
    { "fatigue.seasonal_rpe", K_NUM, offsetof(cs_rules, fatigue_seasonal_rpe), 1, 10,
      "a seasonal-sport player is exposed at intensity_rpe >= this", 1 },
    { "fatigue.long_duration_min", K_NUM, offsetof(cs_rules, fatigue_long_duration_min), 0, 1440,
      "a session at least this long (minutes) ...", 0 },
    { "fatigue.long_rpe", K_NUM, offsetof(cs_rules, fatigue_long_rpe), 1, 10,
      "... and at intensity_rpe >= this is exposed", 1 },
    { "tightness.sedentary", K_BOOL, offsetof(cs_rules, tightness_sedentary), 0, 1,
      "sedentary participants are exposed to tightness (yes/no)", 0 },
    { "tightness.warmup_min", K_NUM, offsetof(cs_rules, tightness_warmup_min), 0, 240,
      "no stretching and a warm-up shorter than this (minutes) is exposed", 0 },
    { "heat.heat_index_c", K_NUM, offsetof(cs_rules, heat_index_c), -60, 150,
      "NOAA heat index (degrees C) at or above which a session is exposed", 0 },
    { "dehydration.fluid_ml_per_h", K_NUM, offsetof(cs_rules, dehydration_fluid_ml_per_h), 0, 100000,
      "drinking less than this (ml per hour of exercise) ...", 0 },
    { "dehydration.min_duration_min", K_NUM, offsetof(cs_rules, dehydration_min_duration_min), 0, 1440,
      "... in a session at least this long (minutes) is exposed", 0 },
    { "electrolyte.calcium_mg", K_NUM, offsetof(cs_rules, electrolyte_calcium_mg), 0, 10000,
      "usual calcium intake below this (mg/day) is exposed ...", 0 },
    { "electrolyte.potassium_mg", K_NUM, offsetof(cs_rules, electrolyte_potassium_mg), 0, 10000,
      "... and so is potassium intake below this (mg/day)", 0 },
    { "outcome", K_OUTCOME, offsetof(cs_rules, outcome), 0, 1,
      "hamstring (cramp = yes and cramp_muscle = hamstring) or any (cramp = yes)", 0 },
#define DOSE_KEYS(e, name, lo, hi, what, whole) \
    { "dose." name, K_CUTS, offsetof(cs_rules, dose[e]), lo, hi, \
      "dose-response bands of " name ": their lower bounds, strictly " \
      "increasing (" what ")", whole }, \
    { "dose." name ".reference", K_REF, offsetof(cs_rules, dose[e]), 1, \
      CS_DOSE_MAXBANDS, "the band (1 = first) that " name "'s risk ratios " \
      "are taken against", 0 }
    DOSE_KEYS(CS_DOSE_RPE, "intensity_rpe", 1, 10, "Borg CR10", 1),
    DOSE_KEYS(CS_DOSE_HEAT, "heat_index_c", -60, 150,
              "degrees C; NOAA: caution 27, extreme caution 32, danger 39, "
              "extreme danger 51; the first may be -inf", 0),
    DOSE_KEYS(CS_DOSE_FLUID, "fluid_ml_per_h", 0, 100000, "ml per hour", 0),
    DOSE_KEYS(CS_DOSE_WARMUP, "warmup_min", 0, 240, "minutes", 0),
    DOSE_KEYS(CS_DOSE_DURATION, "duration_min", 0, 1440, "minutes", 0),
    DOSE_KEYS(CS_DOSE_CALCIUM, "calcium_mg", 0, 10000, "mg per day", 0),
    DOSE_KEYS(CS_DOSE_POTASSIUM, "potassium_mg", 0, 10000, "mg per day", 0),
#undef DOSE_KEYS
};

#define NKEYS (sizeof keys / sizeof keys[0])

void cs_rules_default(cs_rules *r)
{
    r->fatigue_unconditioned = 1;
    r->fatigue_seasonal_rpe = 7;
    r->fatigue_long_duration_min = 90;
    r->fatigue_long_rpe = 7;
    r->tightness_sedentary = 1;
    r->tightness_warmup_min = 5;
    r->heat_index_c = 32;
    r->dehydration_fluid_ml_per_h = 400;
    r->dehydration_min_duration_min = 30;
    r->electrolyte_calcium_mg = 700;
    r->electrolyte_potassium_mg = 2000;
    r->outcome = CS_OUTCOME_HAMSTRING;
    /* Bands around the factors' thresholds (rpe 7, heat index 32, 400
     * ml/h, 5 min warm-up, 30 and 90 min, calcium 700, potassium 2000),
     * and NOAA's heat-index categories (80, 90, 103, 125 F). */
    static const cs_dose_cuts def[CS_DOSE_N] = {
        { 4, 0, { 1, 4, 7, 9 } },
        { 5, 0, { -HUGE_VAL, 27, 32, 39, 51 } },
        { 5, 0, { 0, 200, 400, 600, 800 } },
        { 4, 0, { 0, 5, 10, 15 } },
        { 5, 0, { 0, 30, 60, 90, 120 } },
        { 4, 0, { 0, 500, 700, 1000 } },
        { 4, 0, { 0, 1500, 2000, 3000 } },
    };
    memcpy(r->dose, def, sizeof def);
}

/* A list of band lower bounds: "1, 4, 7, 9"; the first may be -inf. The
 * column named is the offending number's. */
static int set_cuts(cs_dose_cuts *d, const struct key *k, cs_str v,
                    const char *name, unsigned long line, unsigned long col,
                    cs_error *err)
{
    cs_dose_cuts c = { 0, d->reference, { 0 } };
    const char *p = v.ptr, *end = v.ptr + v.len;

    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        cs_str w = cs_str_trim((cs_str){ p, (size_t)((comma ? comma : end) - p) });
        unsigned long wc = col + (unsigned long)(w.ptr - v.ptr);
        double x;
        if (w.len == 0)
            return cs_error_at(err, CS_EPARSE, (cs_pos){ name, line, wc },
                               "%s: a bound is missing", k->name);
        if (c.n == CS_DOSE_MAXBANDS)
            return cs_error_at(err, CS_EPARSE, (cs_pos){ name, line, wc },
                               "%s: more than %d bands", k->name,
                               CS_DOSE_MAXBANDS);
        if (c.n == 0 && cs_str_ieq(w, "-inf"))
            x = -HUGE_VAL;
        else if (cs_parse_decimal(w, &x) < 0)
            return cs_error_at(err, CS_EPARSE, (cs_pos){ name, line, wc },
                               "%s: \"%.*s\" is not a number%s", k->name,
                               (int)w.len, w.ptr, c.n ? "" : " (or -inf)");
        else if (x < k->lo || x > k->hi)
            return cs_error_at(err, CS_EPARSE, (cs_pos){ name, line, wc },
                               "%s: %.*s is outside %g ... %g", k->name,
                               (int)w.len, w.ptr, k->lo, k->hi);
        else if (k->whole && x != floor(x))
            return cs_error_at(err, CS_EPARSE, (cs_pos){ name, line, wc },
                               "%s: %.*s is not a whole number "
                               "(intensity_rpe is 1 to 10 in steps of 1)",
                               k->name, (int)w.len, w.ptr);
        if (c.n && !(x > c.cut[c.n - 1]))
            return cs_error_at(err, CS_EPARSE, (cs_pos){ name, line, wc },
                               "%s: %.*s does not increase on the bound "
                               "before it (the bounds must be strictly "
                               "increasing)", k->name, (int)w.len, w.ptr);
        c.cut[c.n++] = x;
        if (!comma)
            break;
        p = comma + 1;
    }
    *d = c;
    return CS_OK;
}

static int set_key(cs_rules *r, const struct key *k, cs_str v, const char *name,
                   unsigned long line, unsigned long col, cs_error *err)
{
    char *base = (char *)r;
    int b;
    double x;

    switch (k->kind) {
    case K_BOOL:
        if (cs_parse_bool(v, &b) < 0)
            return cs_error_at(err, CS_EPARSE, (cs_pos){ name, line, col },
                               "%s: \"%.*s\" is not yes or no", k->name,
                               (int)v.len, v.ptr);
        *(int *)(base + k->off) = b;
        return CS_OK;
    case K_OUTCOME:
        if (cs_str_ieq(v, "hamstring"))
            r->outcome = CS_OUTCOME_HAMSTRING;
        else if (cs_str_ieq(v, "any"))
            r->outcome = CS_OUTCOME_ANY;
        else
            return cs_error_at(err, CS_EPARSE, (cs_pos){ name, line, col },
                               "outcome: \"%.*s\" is not hamstring or any",
                               (int)v.len, v.ptr);
        return CS_OK;
    case K_NUM:
        if (cs_parse_decimal(v, &x) < 0)
            return cs_error_at(err, CS_EPARSE, (cs_pos){ name, line, col },
                               "%s: \"%.*s\" is not a number", k->name,
                               (int)v.len, v.ptr);
        if (x < k->lo || x > k->hi)
            return cs_error_at(err, CS_EPARSE, (cs_pos){ name, line, col },
                               "%s: %.*s is outside %g ... %g", k->name,
                               (int)v.len, v.ptr, k->lo, k->hi);
        if (k->whole && x != floor(x))
            return cs_error_at(err, CS_EPARSE, (cs_pos){ name, line, col },
                               "%s: %.*s is not a whole number "
                               "(intensity_rpe is 1 to 10 in steps of 1)",
                               k->name, (int)v.len, v.ptr);
        *(double *)(base + k->off) = x;
        return CS_OK;
    case K_CUTS:
        return set_cuts((cs_dose_cuts *)(base + k->off), k, v, name, line,
                        col, err);
    case K_REF: {
        int64_t i;
        if (cs_parse_int(v, &i) < 0 || i < 1 || i > CS_DOSE_MAXBANDS)
            return cs_error_at(err, CS_EPARSE, (cs_pos){ name, line, col },
                               "%s: \"%.*s\" is not a band number from 1 "
                               "to %d", k->name, (int)v.len, v.ptr,
                               CS_DOSE_MAXBANDS);
        ((cs_dose_cuts *)(base + k->off))->reference = (int)(i - 1);
        return CS_OK;
    }
    }
    return CS_OK;
}

/* Rules under which a factor can never be exposed are contradictory:
 * checked after each key, so the error names the line that made it so. */
static int contradiction(const cs_rules *r, const char *key, const char *name,
                         unsigned long line, unsigned long col, cs_error *err)
{
    const char *why = NULL;

    if (strncmp(key, "tightness.", 10) == 0 && !r->tightness_sedentary &&
        r->tightness_warmup_min <= 0)
        why = "tightness can never be exposed: sedentary = no and no "
              "warm-up is shorter than 0 minutes";
    else if (strncmp(key, "dehydration.", 12) == 0 &&
             r->dehydration_fluid_ml_per_h <= 0)
        why = "dehydration can never be exposed: no intake is below 0 ml/h";
    else if (strncmp(key, "electrolyte.", 12) == 0 &&
             r->electrolyte_calcium_mg <= 0 && r->electrolyte_potassium_mg <= 0)
        why = "electrolyte can never be exposed: no intake is below 0 mg";
    if (!why)
        return CS_OK;
    return cs_error_at(err, CS_EPARSE, (cs_pos){ name, line, col }, "%s", why);
}

int cs_rules_parse(cs_rules *r, const char *name, const char *text,
                   size_t len, cs_error *err)
{
    const char *p = text, *end = text + len;
    unsigned long line = 0;
    unsigned char seen[NKEYS] = {0};

    /* A UTF-8 byte order mark, as some editors write: not part of the
     * first key (columns count after it). */
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        p += 3;
    unsigned long seen_line[NKEYS] = {0};

    while (p < end) {
        const char *ls = p;  /* line start: columns count from here */
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *hash = memchr(p, '#', (size_t)(le - p));
        cs_str l = cs_str_trim((cs_str){ p, (size_t)((hash ? hash : le) - p) });
        const char *eq;
        cs_str key, val;
        unsigned long kcol, vcol;
        size_t k;

        line++;
        p = nl ? nl + 1 : end;
        if (l.len && l.ptr[l.len - 1] == '\r')
            l = cs_str_trim((cs_str){ l.ptr, l.len - 1 });
        if (l.len == 0)
            continue;
        kcol = (unsigned long)(l.ptr - ls) + 1;
        if (!(eq = memchr(l.ptr, '=', l.len)))
            return cs_error_at(err, CS_EPARSE, (cs_pos){ name, line, kcol },
                               "expected \"key = value\"");
        key = cs_str_trim((cs_str){ l.ptr, (size_t)(eq - l.ptr) });
        val = cs_str_trim((cs_str){ eq + 1, (size_t)(l.ptr + l.len - eq - 1) });
        vcol = (unsigned long)(val.ptr - ls) + 1;
        for (k = 0; k < NKEYS; k++)
            if (cs_str_ieq(key, keys[k].name))
                break;
        if (k == NKEYS)
            return cs_error_at(err, CS_EPARSE, (cs_pos){ name, line, kcol },
                               "unknown key \"%.*s\" (crampstat rules lists "
                               "them all)", (int)key.len, key.ptr);
        if (seen[k])
            return cs_error_at(err, CS_EPARSE, (cs_pos){ name, line, kcol },
                               "%s is given twice (first on line %lu)",
                               keys[k].name, seen_line[k]);
        seen[k] = 1;
        seen_line[k] = line;
        if (val.len == 0)
            return cs_error_at(err, CS_EPARSE, (cs_pos){ name, line, vcol },
                               "%s: the value is missing", keys[k].name);
        if (set_key(r, &keys[k], val, name, line, vcol, err) < 0)
            return err->code;
        if (contradiction(r, keys[k].name, name, line, kcol, err) < 0)
            return err->code;
        if (keys[k].kind == K_CUTS || keys[k].kind == K_REF) {
            const cs_dose_cuts *d = (const cs_dose_cuts *)((const char *)r + keys[k].off);
            if (d->reference >= d->n)
                return cs_error_at(err, CS_EPARSE, (cs_pos){ name, line, vcol },
                                   "%s: the reference band %d is past the "
                                   "last of %d bands", keys[k].name,
                                   d->reference + 1, d->n);
        }
    }
    return CS_OK;
}

int cs_rules_load(cs_rules *r, const char *path, cs_error *err)
{
    FILE *f = fopen(path, "rb");
    char buf[65536 + 1];   /* one byte more tells a 64 KiB file from a
                              larger one (feof is not set at exactly 64 KiB) */
    struct stat st;
    size_t n;

    /* As a data input: one that cannot be opened, or is a directory, is
     * no input (66); a read that fails part way is an I/O error (74). */
    if (!f) {
        int e = errno;
        return cs_error_at(err, CS_ENOENT, (cs_pos){ path, 0, 0 },
                           "cannot open the rules file: %s", strerror(e));
    }
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return cs_error_at(err, CS_ENOENT, (cs_pos){ path, 0, 0 },
                           "cannot read the rules file: is a directory");
    }
    errno = 0;
    n = fread(buf, 1, sizeof buf, f);
    int e = errno, bad = ferror(f), big = !bad && n > 65536;
    fclose(f);
    if (bad)
        return cs_error_at(err, CS_EIO, (cs_pos){ path, 0, 0 },
                           "cannot read the rules file: %s", strerror(e));
    if (big)
        return cs_error_at(err, CS_ELIMIT, (cs_pos){ path, 0, 0 },
                           "the rules file is larger than 64 KiB");
    return cs_rules_parse(r, path, buf, n, err);
}

/* Kept for the renderers that call it by this name: cs_fmt_plain. */
void cs_rules_fmt_num(char *b, size_t cap, double x)
{
    cs_fmt_plain(b, cap, x);
}

static void fmt_value(const cs_rules *r, const struct key *k, char *b, size_t cap)
{
    const char *base = (const char *)r;
    switch (k->kind) {
    case K_BOOL:
        snprintf(b, cap, "%s", *(const int *)(base + k->off) ? "yes" : "no");
        break;
    case K_OUTCOME:
        snprintf(b, cap, "%s", r->outcome == CS_OUTCOME_ANY ? "any" : "hamstring");
        break;
    case K_REF:
        snprintf(b, cap, "%d", ((const cs_dose_cuts *)(base + k->off))->reference + 1);
        break;
    case K_CUTS: {
        const cs_dose_cuts *d = (const cs_dose_cuts *)(base + k->off);
        size_t len = 0;
        b[0] = '\0';
        for (int i = 0; i < d->n && len + 1 < cap; i++) {
            char one[400];
            if (isinf(d->cut[i]))
                snprintf(one, sizeof one, "-inf");
            else
                cs_rules_fmt_num(one, sizeof one, d->cut[i]);
            len += (size_t)snprintf(b + len, cap - len, "%s%s", i ? "," : "", one);
        }
        break;
    }
    case K_NUM:
        cs_rules_fmt_num(b, cap, *(const double *)(base + k->off));
        break;
    }
}

int cs_rules_format(const cs_rules *r, cs_buf *out)
{
    char v[400];
    int rc = cs_buf_printf(out,
        "# crampstat rules: cause-factor thresholds (DATA.md section 5).\n"
        "# Format: key = value, one per line; '#' starts a comment.\n"
        "# Keys left out keep these defaults.\n");
    for (size_t k = 0; k < NKEYS && rc == CS_OK; k++) {
        fmt_value(r, &keys[k], v, sizeof v);
        rc = cs_buf_printf(out, "\n# %s\n%s = %s\n", keys[k].doc,
                           keys[k].name, v);
    }
    return rc;
}

int cs_rules_fingerprint(const cs_rules *r, cs_buf *out)
{
    char v[400];
    int rc = CS_OK;
    for (size_t k = 0; k < NKEYS && rc == CS_OK; k++) {
        if (keys[k].kind == K_CUTS || keys[k].kind == K_REF)
            continue;   /* carried by the state's dose section */
        fmt_value(r, &keys[k], v, sizeof v);
        rc = cs_buf_printf(out, "%s%s=%s", k ? ";" : "", keys[k].name, v);
    }
    return rc;
}
