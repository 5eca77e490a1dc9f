/* Rules files. The format is deliberately tiny: "key = value" per line,
 * '#' starts a comment, blank lines are ignored. Every key is documented
 * in the output of cs_rules_format, so "crampstat rules > my.rules" is the
 * way to start a file. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/rules.h>
#include <crampstat/value.h>

enum kind { K_NUM, K_BOOL, K_OUTCOME };

static const struct key {
    const char *name;
    enum kind kind;
    size_t off;
    double lo, hi;
    const char *doc;
} keys[] = {
    { "fatigue.unconditioned", K_BOOL, offsetof(cs_rules, fatigue_unconditioned), 0, 1,
      "unconditioned participants are exposed to fatigue (yes/no)" },
    { "fatigue.seasonal_rpe", K_NUM, offsetof(cs_rules, fatigue_seasonal_rpe), 1, 10,
      "a seasonal-sport player is exposed at intensity_rpe >= this" },
    { "fatigue.long_duration_min", K_NUM, offsetof(cs_rules, fatigue_long_duration_min), 0, 1440,
      "a session at least this long (minutes) ..." },
    { "fatigue.long_rpe", K_NUM, offsetof(cs_rules, fatigue_long_rpe), 1, 10,
      "... and at intensity_rpe >= this is exposed" },
    { "tightness.sedentary", K_BOOL, offsetof(cs_rules, tightness_sedentary), 0, 1,
      "sedentary participants are exposed to tightness (yes/no)" },
    { "tightness.warmup_min", K_NUM, offsetof(cs_rules, tightness_warmup_min), 0, 240,
      "no stretching and a warm-up shorter than this (minutes) is exposed" },
    { "heat.heat_index_c", K_NUM, offsetof(cs_rules, heat_index_c), -60, 150,
      "NOAA heat index (degrees C) at or above which a session is exposed" },
    { "dehydration.fluid_ml_per_h", K_NUM, offsetof(cs_rules, dehydration_fluid_ml_per_h), 0, 100000,
      "drinking less than this (ml per hour of exercise) ..." },
    { "dehydration.min_duration_min", K_NUM, offsetof(cs_rules, dehydration_min_duration_min), 0, 1440,
      "... in a session at least this long (minutes) is exposed" },
    { "electrolyte.calcium_mg", K_NUM, offsetof(cs_rules, electrolyte_calcium_mg), 0, 10000,
      "usual calcium intake below this (mg/day) is exposed ..." },
    { "electrolyte.potassium_mg", K_NUM, offsetof(cs_rules, electrolyte_potassium_mg), 0, 10000,
      "... and so is potassium intake below this (mg/day)" },
    { "outcome", K_OUTCOME, offsetof(cs_rules, outcome), 0, 1,
      "hamstring (cramp = yes and cramp_muscle = hamstring) or any (cramp = yes)" },
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
        *(double *)(base + k->off) = x;
        return CS_OK;
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
    }
    return CS_OK;
}

int cs_rules_load(cs_rules *r, const char *path, cs_error *err)
{
    FILE *f = fopen(path, "rb");
    char buf[65536 + 1];   /* one byte more tells a 64 KiB file from a
                              larger one (feof is not set at exactly 64 KiB) */
    size_t n;

    if (!f)
        return cs_error_at(err, CS_ENOENT, (cs_pos){ path, 0, 0 },
                           "cannot open the rules file");
    n = fread(buf, 1, sizeof buf, f);
    int bad = ferror(f), big = !bad && n > 65536;
    fclose(f);
    if (bad || big)
        return cs_error_at(err, bad ? CS_EIO : CS_ELIMIT, (cs_pos){ path, 0, 0 },
                           bad ? "cannot read the rules file"
                               : "the rules file is larger than 64 KiB");
    return cs_rules_parse(r, path, buf, n, err);
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
    case K_NUM: {
        /* The shortest of 15, 16 or 17 significant digits that reads back
         * as the same double, so that a printed rules file loads back to
         * the same rules and two different rules never share a
         * fingerprint (32.000000000000007 printed as 32 did both). Never
         * in exponent form: the parser takes plain decimals only (1e-05
         * did not load back). Tiny values get many zeros, hence the
         * callers' buffer size. */
        double x = *(const double *)(base + k->off);
        int e, n, prec;
        for (prec = 15; prec < 17; prec++) {
            snprintf(b, cap, "%.*g", prec, x);
            if (strtod(b, NULL) == x)
                break;
        }
        snprintf(b, cap, "%.*g", prec, x);
        if (!strchr(b, 'e'))
            break;
        e = atoi(strchr(b, 'e') + 1);
        n = snprintf(b, cap, "%.*f", e < 0 ? prec - 1 - e : 0, x);
        while (n > 1 && strchr(b, '.') && (b[n - 1] == '0' || b[n - 1] == '.'))
            b[--n] = '\0';
        break;
    }
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
        fmt_value(r, &keys[k], v, sizeof v);
        rc = cs_buf_printf(out, "%s%s=%s", k ? ";" : "", keys[k].name, v);
    }
    return rc;
}
