/* Tagging: derived values and cause factors per session.
 *
 * Three-valued logic (Kleene): "a or b" is exposed when either is, not
 * exposed when both are not, unknown otherwise; "a and b" dually. The
 * heat factor needs more than that when only humidity is missing: the
 * temperature alone may already decide it (at 10 C no humidity makes the
 * heat index reach 32 C). We find the heat index's range over humidity
 * 0-100 % by evaluating it at every 0.1 % and at the formula's breakpoints
 * and vertices, cached per temperature, because the NOAA formula is
 * piecewise and not monotonic in general; bounds of its two pieces,
 * with a margin far above rounding, settle most temperatures first. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/derive.h>
#include <crampstat/tag.h>
#include "internal.h"

static const char *const factor_names[CS_F_N] = {
    "fatigue", "tightness", "heat", "dehydration", "electrolyte", "medical",
    "medical_disc_injury", "medical_parkinsons",
    "medical_multiple_sclerosis", "medical_cerebral_palsy",
    "medical_thyroid_disease", "medical_kidney_disease",
    "medical_alcoholism", "medical_pregnancy"
};

const char *cs_factor_name(int f)
{
    return f >= 0 && f < CS_F_N ? factor_names[f] : NULL;
}

/* Per temperature, for the sessions that go the general way
 * (tag_session_general: no humidity, or one of the heat index's
 * adjustments): the heat index's terms of the temperature alone
 * (cs_heat_terms), and, once a session without humidity asks, the heat
 * factor without humidity (heat_unknown). Two ways a set, the one used
 * last first, so that two temperatures of one set do not evict each
 * other in turn: about 700 temperatures met 89,588 times without
 * humidity in the 5M benchmark set cost 1,000 to 2,000 ranges of 1,010
 * evaluations each with one way. What such a session reads is one cache
 * line (heat_hot); the factors lie apart (heat_cold). */
#define HEAT_SETS 2048

typedef struct heat_hot {
    uint64_t key;                  /* 1 + the temperature's bits; 0: empty */
    cs_heat_terms k;
} heat_hot;

_Static_assert(sizeof(heat_hot) == 64, "a temperature's terms fill one line");

typedef struct heat_cold {
    signed char heat;              /* the heat factor without humidity, */
    unsigned char has_heat;        /* once has_heat */
} heat_cold;

struct cs_tagger {
    cs_rules rules;
    void *heat_mem;                /* hot and cold, from one calloc */
    heat_hot (*hot)[2];            /* HEAT_SETS sets, on 64-byte lines */
    heat_cold (*cold)[2];
};

int cs_tagger_create(cs_tagger **out, const cs_rules *r)
{
    cs_tagger *t = malloc(sizeof *t);
    uintptr_t at;

    *out = NULL;
    if (!t)
        return CS_ENOMEM;
    /* Zeroed, every entry empty: a table this large comes from fresh
     * pages, written only as temperatures come. Aligned by hand: malloc
     * promises 16 bytes, not a cache line. */
    t->heat_mem = calloc(1, 63 + HEAT_SETS * 2 * (sizeof(heat_hot) +
                                                  sizeof(heat_cold)));
    if (!t->heat_mem) {
        free(t);
        return CS_ENOMEM;
    }
    at = ((uintptr_t)t->heat_mem + 63) & ~(uintptr_t)63;
    t->hot = (heat_hot (*)[2])at;
    t->cold = (heat_cold (*)[2])(void *)(t->hot + HEAT_SETS);
    if (r)
        t->rules = *r;
    else
        cs_rules_default(&t->rules);
    *out = t;
    return CS_OK;
}

const cs_rules *cs_tagger_rules(const cs_tagger *t) { return &t->rules; }

void cs_tagger_free(cs_tagger *t)
{
    if (t)
        free(t->heat_mem);
    free(t);
}

/* Kleene logic on 1 / 0 / -1. */
static signed char or3(signed char a, signed char b)
{
    if (a == 1 || b == 1)
        return 1;
    if (a == 0 && b == 0)
        return 0;
    return -1;
}

static signed char and3(signed char a, signed char b)
{
    if (a == 0 || b == 0)
        return 0;
    if (a == 1 && b == 1)
        return 1;
    return -1;
}

/* x < lim, where x and lim are products of decimal inputs as doubles:
 * values within 1 part in 10^12 of each other are taken as equal, that
 * is, as the same decimal value rounded twice (a double's rounding is 1
 * part in 10^16; two measurements in ml and minutes never differ by
 * less). */
static int clearly_below(double x, double lim)
{
    return x < lim && lim - x > 1e-12 * fabs(lim);
}

/* x < lim, unknown when x is missing. Every quantity compared here (fluid
 * per hour, warm-up minutes, intakes) is >= 0 by the contract, so below a
 * limit of 0 or less nothing is, missing or not. */
static signed char below(double x, double lim)
{
    if (isnan(x))
        return lim <= 0 ? 0 : -1;
    return x < lim;
}

/* Humidities where the heat index may take an extreme that the 0.1 % grid
 * misses: on either side of the switch from the simple formula to the
 * regression, where the index jumps (at 27.27 C it drops from 26.06 C to
 * 25.26 C at 0.41 % humidity, and the grid's nearest point, 0.5 %, gives
 * 25.26 + 0.005), and the vertex of the regression's parabola in RH on
 * each of its three pieces, at t degrees F. Returns how many were
 * written (at most 5). */
static size_t heat_extra_rh(double t, double *rh)
{
    /* (simple + T) / 2 >= 80  <=>  RH >= (170.3 - 2.1 T) / 0.047 */
    double sw = (170.3 - 2.1 * t) / 0.047;
    double a = -0.05481717 + 0.00085282 * t - 0.00000199 * t * t;
    double b = 10.14333127 - 0.22475541 * t + 0.00122874 * t * t;
    double cand[5];
    size_t n = 0, m = 0;

    cand[m++] = sw * (1 - 1e-12) - 1e-12;
    cand[m++] = sw * (1 + 1e-12) + 1e-12;
    if (a != 0) {
        cand[m++] = -b / (2 * a);
        if (t >= 80 && t <= 112)   /* low-humidity adjustment, RH < 13 */
            cand[m++] = -(b + sqrt((17 - fabs(t - 95)) / 17) / 4) / (2 * a);
        if (t >= 80 && t <= 87)    /* high-humidity adjustment, RH > 85 */
            cand[m++] = -(b + (87 - t) / 50) / (2 * a);
    }
    for (size_t k = 0; k < m; k++)
        if (cand[k] >= 0 && cand[k] <= 100)
            rh[n++] = cand[k];
    return n;
}

/* The set of temp_c (not NaN), whose first way it is made or moved to. */
static size_t heat_of(cs_tagger *t, double temp_c)
{
    heat_hot *set, e;
    heat_cold c;
    uint64_t bits;
    size_t i;

    memcpy(&bits, &temp_c, sizeof bits);
    i = (size_t)((bits * 0x9e3779b97f4a7c15ULL) >> 53) & (HEAT_SETS - 1);
    set = t->hot[i];
    if (set[0].key == bits + 1)    /* a NaN's bits, never temp_c's, wrap */
        return i;
    if (set[1].key == bits + 1) {
        e = set[1];
        c = t->cold[i][1];
    } else {
        e.key = bits + 1;
        cs_heat_terms_c(&e.k, temp_c);
        c = (heat_cold){ 0, 0 };
    }
    set[1] = set[0];
    set[0] = e;
    t->cold[i][1] = t->cold[i][0];
    t->cold[i][0] = c;
    return i;
}

/* The heat factor without humidity at the temperature of k, from the
 * heat index at every 0.1 % of humidity, the adjustments' edges, the
 * switch and the vertices: 1 when the least value is at least thr, 0
 * when the greatest is below it, -1 otherwise. The values are compared
 * with thr as they come, and the scan stops once one on each side has
 * (the answer is then -1, whatever follows); 0 % and 100 % first, where
 * the index is lowest and highest at most temperatures. A NaN value is
 * no least or greatest value, and a NaN thr gives -1, as the least and
 * greatest compared with it would. */
static int heat_scan(const cs_heat_terms *k, double thr)
{
    static const double breaks[] = { 12.999999, 13, 85, 85.000001 };
    double extra[8];
    size_t nextra;
    int lt = 0, ge = 0;

    if (isnan(thr))
        return -1;
    for (int j = 0; j <= 1000; j++) {
        int g = j == 1 ? 1000 : j > 1 ? j - 1 : 0;   /* 0, 1000, 1 to 999 */
        double v = cs_heat_index_c_at(k, g / 10.0);
        lt |= v < thr;
        ge |= v >= thr;
        if (lt && ge)
            return -1;
    }
    nextra = heat_extra_rh(k->t, extra);
    for (size_t j = 0; j < sizeof breaks / sizeof breaks[0]; j++) {
        double v = cs_heat_index_c_at(k, breaks[j]);
        lt |= v < thr;
        ge |= v >= thr;
    }
    for (size_t j = 0; j < nextra; j++) {
        double v = cs_heat_index_c_at(k, extra[j]);
        lt |= v < thr;
        ge |= v >= thr;
    }
    return !lt ? 1 : !ge ? 0 : -1;
}

/* The heat factor without humidity, when bounds of the heat index over
 * humidity 0-100 % settle it: 1 when every value heat_scan could meet
 * is at least thr, 0 when every one is below, -1 when the bounds cannot
 * tell (then heat_scan's evaluations decide). Most temperatures are far
 * from the threshold either way, and the bounds take a dozen operations
 * where the range takes 1,010 evaluations.
 *
 * At t degrees F the index is the simple formula, increasing in RH,
 * below the switch at RH = sw, and the regression, a quadratic in RH,
 * at and above it; each piece's extremes over its interval are at its
 * ends and, for the quadratic, its vertex. Each interval reaches 10^-6 %
 * past sw, as the evaluations decide the side by rounded arithmetic.
 * The low-humidity adjustment lowers the index by at most 13 / 4 times
 * its root, the high-humidity one raises it by at most 1.5 (87 - t) / 5.
 * Within -100 to 250 F the terms stay below 10^4 and a double's rounding
 * moves an evaluation by well under 10^-9 degrees, against the margin of
 * 10^-6 C kept on each side. */
static int heat_bound(const cs_heat_terms *k, double thr)
{
    const double t = k->t, margin = 1e-6;
    double sw, lo = INFINITY, hi = -INFINITY;

    if (!(t >= -100 && t <= 250))
        return -1;
    sw = (170.3 - 2.1 * t) / 0.047;
    if (sw + 1e-6 >= 0) {
        /* The simple formula on [0, min(sw, 100)]. */
        double r = sw + 1e-6 < 100 ? sw + 1e-6 : 100;
        double s0 = 0.5 * (t + 61.0 + (t - 68.0) * 1.2);
        double s1 = 0.5 * (t + 61.0 + (t - 68.0) * 1.2 + r * 0.094);
        lo = s0;
        hi = s1;
    }
    if (sw - 1e-6 <= 100) {
        /* The regression on [max(sw, 0), 100]. */
        double c0 = -42.379 + 2.04901523 * t - 0.00683783 * t * t;
        double c1 = 10.14333127 - 0.22475541 * t + 0.00122874 * t * t;
        double c2 = -0.05481717 + 0.00085282 * t - 0.00000199 * t * t;
        double r0 = sw - 1e-6 > 0 ? sw - 1e-6 : 0;
        double at[3] = { r0, 100, r0 };
        double rlo = INFINITY, rhi = -INFINITY;
        if (c2 != 0 && -c1 / (2 * c2) > r0 && -c1 / (2 * c2) < 100)
            at[2] = -c1 / (2 * c2);
        for (int i = 0; i < 3; i++) {
            double v = c0 + c1 * at[i] + c2 * at[i] * at[i];
            rlo = v < rlo ? v : rlo;
            rhi = v > rhi ? v : rhi;
        }
        if (t >= 80 && t <= 112)
            rlo -= 13.0 / 4.0 * sqrt((17.0 - fabs(t - 95.0)) / 17.0);
        if (t >= 80 && t <= 87)
            rhi += 1.5 * ((87.0 - t) / 5.0);
        lo = rlo < lo ? rlo : lo;
        hi = rhi > hi ? rhi : hi;
    }
    if ((hi - 32.0) * 5.0 / 9.0 + margin < thr)
        return 0;
    if ((lo - 32.0) * 5.0 / 9.0 - margin >= thr)
        return 1;
    return -1;
}

/* The heat factor without humidity at the temperature of set i's first
 * way (heat_of's): heat_bound's, or heat_scan's when the bounds cannot
 * tell. */
static signed char heat_unknown(cs_tagger *t, size_t i)
{
    const heat_hot *e = &t->hot[i][0];
    heat_cold *c = &t->cold[i][0];
    const double thr = t->rules.heat_index_c;

    if (!c->has_heat) {
        int f = heat_bound(&e->k, thr);
        if (f < 0)
            f = heat_scan(&e->k, thr);
        c->heat = (signed char)f;
        c->has_heat = 1;
    }
    return c->heat;
}

void cs_tag_wave(const cs_tagger *t, const cs_wave *w, cs_tagged *o)
{
    const cs_rules *r = &t->rules;
    int known = w->conditions_known;

    o->height_cm = cs_height_cm(w->height_ft, w->height_in);
    o->weight_kg = cs_weight_kg(w->weight_lb);
    o->goal_lb_week = w->goal_lb_week;
    o->bmr_kcal = cs_bmr_kcal(o->weight_kg, o->height_cm, w->age_years, w->sex);
    o->tdee_kcal = cs_tdee_kcal(o->bmr_kcal, w->activity_level);
    o->target_kcal = cs_target_kcal(o->tdee_kcal, w->goal_lb_week);
    o->below_safe_min = cs_below_safe_min(o->target_kcal, w->sex);
    o->age_band = cs_age_band(w->age_years);

    /* The survey's halves of fatigue (unconditioned) and tightness
     * (sedentary); cs_tag_session adds the session's. */
    o->wave_fatigue = r->fatigue_unconditioned &&
                      w->conditioning == CS_COND_UNCONDITIONED;
    o->wave_tightness = r->tightness_sedentary &&
                        w->activity_level == CS_ACT_SEDENTARY;

    o->factor[CS_F_ELECTROLYTE] =
        or3(below(w->calcium_mg, r->electrolyte_calcium_mg),
            below(w->potassium_mg, r->electrolyte_potassium_mg));

    o->factor[CS_F_MEDICAL] = known ? w->conditions != 0 : -1;
    for (int m = 0; m < CS_MED_N; m++)
        o->factor[CS_F_MED_FIRST + m] =
            known ? (signed char)((w->conditions >> m) & 1) : -1;
    /* Pregnancy is known to be absent for men even when conditions are
     * unknown. */
    if (!known && w->sex == CS_SEX_M)
        o->factor[CS_F_MED_FIRST + CS_MED_PREGNANCY] = 0;
}

/* Everything of the session's half but the heat index and the heat
 * factor. */
static inline __attribute__((always_inline)) void tag_rest(
    const cs_rules *r, const cs_session *s, const cs_wave *w, cs_tagged *o)
{
    signed char f, b;

    o->exposure_h = s->duration_min / 60;
    /* A rate of 10^17 ml/h or more (fluid in a session of well under a
     * millionth of a minute, which the contract's 0 < duration allows)
     * is left missing, as a division that overflows would be: such a
     * double is no longer written as a plain decimal, which is all that
     * the stages reading tag's output take. analyze uses this function
     * too, so the two agree. */
    double rate = s->fluid_ml / o->exposure_h;
    o->fluid_ml_per_h = isnan(s->fluid_ml) || !(rate < 1e17) ? NAN : rate;

    /* Fatigue: every input is required, so it is always known. */
    f = o->wave_fatigue;
    f |= w->seasonal_sport && s->intensity_rpe >= r->fatigue_seasonal_rpe;
    f |= s->duration_min >= r->fatigue_long_duration_min &&
         s->intensity_rpe >= r->fatigue_long_rpe;
    o->factor[CS_F_FATIGUE] = f;

    /* Tightness: sedentary, or not stretched and a short warm-up. */
    b = and3(s->stretched < 0 ? -1 : !s->stretched,
             below(s->warmup_min, r->tightness_warmup_min));
    o->factor[CS_F_TIGHTNESS] = or3(o->wave_tightness, b);

    /* Dehydration: a short session is not dehydrated whatever it drank.
     * fluid / (duration / 60) < limit is compared as fluid * 60 < limit *
     * duration: 220 ml in 33 min is exactly 400 ml/h, but the division
     * gives 399.99999999999994. A duration with decimals is not exact as
     * a double either (218 ml in 32.7 min is 400 ml/h, yet 400 * 32.7 is
     * 13080.000000000002): within 1 part in 10^12 the two sides are the
     * same rate, which is not below the limit. */
    o->factor[CS_F_DEHYDRATION] =
        and3(isnan(s->fluid_ml) ? -1
             : clearly_below(s->fluid_ml * 60,
                             r->dehydration_fluid_ml_per_h * s->duration_min),
             s->duration_min >= r->dehydration_min_duration_min);

    if (r->outcome == CS_OUTCOME_ANY)
        o->outcome = (signed char)s->cramp;
    else if (!s->cramp)
        o->outcome = 0;
    else
        o->outcome = s->cramp_muscle < 0 ? -1
                   : s->cramp_muscle == CS_MUSCLE_HAMSTRING;
}

/* The session's half whatever its temperature and humidity: the
 * temperature's terms made or moved first in its set, the heat index's
 * adjustments, the heat factor without humidity. */
static __attribute__((noinline)) void tag_session_general(
    cs_tagger *t, const cs_session *s, const cs_wave *w, cs_tagged *o)
{
    const cs_rules *r = &t->rules;
    size_t set;
    int known_t;

    known_t = !isnan(s->temp_c);
    set = known_t ? heat_of(t, s->temp_c) : 0;
    o->heat_index_c = known_t ? cs_heat_index_c_at(&t->hot[set][0].k,
                                                    s->humidity_pct)
                              : NAN;
    if (!isnan(o->heat_index_c)) {
        o->factor[CS_F_HEAT] = o->heat_index_c >= r->heat_index_c;
    } else if (known_t) {
        o->factor[CS_F_HEAT] = heat_unknown(t, set);
    } else {
        o->factor[CS_F_HEAT] = -1;
    }
    tag_rest(r, s, w, o);
}

/* Most sessions have a humidity at which neither of the heat index's
 * adjustments applies: for them the temperature's terms and the heat
 * index inline, straight from the session's numbers, and no call at all
 * (so no registers saved and restored either). The terms take a dozen
 * operations without a load, where the table's line for the temperature
 * was often not in cache (a third of the function's samples were on
 * that load, at 5M sessions). The rest go the general way, which gives
 * the same for these. */
void cs_tag_session(cs_tagger *t, const cs_session *s, const cs_wave *w,
                    cs_tagged *o)
{
    cs_heat_terms k;
    double hi;

    cs_heat_terms_make(&k, cs_heat_c_to_f(s->temp_c));
    if (!cs_heat_index_c_plain(&k, s->humidity_pct, &hi) || isnan(hi)) {
        tag_session_general(t, s, w, o);
        return;
    }
    o->heat_index_c = hi;
    o->factor[CS_F_HEAT] = hi >= t->rules.heat_index_c;
    tag_rest(&t->rules, s, w, o);
}

void cs_tag(cs_tagger *t, const cs_session *s, const cs_wave *w, cs_tagged *o)
{
    cs_tag_wave(t, w, o);
    cs_tag_session(t, s, w, o);
}

static const char *const derived_names[] = {
    "height_cm", "weight_kg", "exposure_h", "heat_index_c", "fluid_ml_per_h",
    "goal_lb_week", "bmr_kcal", "tdee_kcal", "target_kcal", "below_safe_min",
    "age_band"
};

/* The number of the column tag writes named name, from 1; 0 for none. */
static int own_column(cs_str name)
{
    int k = 1;

    for (size_t i = 0; i < sizeof derived_names / sizeof derived_names[0]; i++, k++)
        if (cs_str_ieq(name, derived_names[i]))
            return k;
    for (int f = 0; f < CS_F_N; f++, k++)
        if (cs_str_ieq(name, factor_names[f]))
            return k;
    return cs_str_ieq(name, "outcome") ? k : 0;
}

/* The name of tag's column number k (from 1). */
static const char *own_name(int k)
{
    int nd = (int)(sizeof derived_names / sizeof derived_names[0]);

    if (k <= nd)
        return derived_names[k - 1];
    if (k <= nd + CS_F_N)
        return factor_names[k - 1 - nd];
    return "outcome";
}

int cs_tag_is_own_column(cs_str name)
{
    return own_column(name) != 0;
}

int cs_tag_check_header(const cs_schema *ex, const char *src, size_t line,
                        cs_error *err)
{
    enum { NOWN = sizeof derived_names / sizeof derived_names[0] + CS_F_N + 1 };
    size_t at[NOWN + 1] = { 0 };   /* column + 1 where each was seen */
    int first = 0, seen = 0;       /* first: the first one seen */

    for (size_t i = 0; i < cs_schema_n_extra(ex); i++) {
        int k = own_column(cs_schema_extra_name(ex, i));
        size_t col = cs_schema_extra_index(ex, i) + 1;
        if (!k)
            continue;
        if (at[k])
            return cs_error_at(err, CS_EPARSE, (cs_pos){ src, line, col },
                               "column \"%s\" appears twice in the header "
                               "(columns %zu and %zu)", own_name(k), at[k],
                               col);
        at[k] = col;
        first = first ? first : k;
        seen++;
    }
    if (seen == 0 || seen == NOWN)
        return CS_OK;
    for (int k = 1; k <= NOWN; k++)
        if (!at[k])
            return cs_error_at(err, CS_EPARSE, (cs_pos){ src, line, at[first] },
                               "column \"%s\" is one tag writes, and it "
                               "would replace it; the input is not tag's "
                               "output (it has no \"%s\" column): rename the "
                               "column", own_name(first), own_name(k));
    return CS_OK;
}

void cs_tag_write_header(cs_writer *w)
{
    for (size_t i = 0; i < sizeof derived_names / sizeof derived_names[0]; i++)
        cs_writer_cstr(w, derived_names[i]);
    for (int f = 0; f < CS_F_N; f++)
        cs_writer_cstr(w, factor_names[f]);
    cs_writer_cstr(w, "outcome");
}

/* Most bytes fmt_d writes: cs_fmt_double's text (at most 24 bytes, and
 * its NUL) for |v| >= 1e9, or a sign, 9 integer digits, the point and 9
 * decimals; a sign and fmt_e9's 25 bytes. */
#define FMT_D_MAX 40

/* The big and the rare cases of fmt_d, out of line so that its common
 * path calls nothing and saves no registers. */
static __attribute__((noinline)) char *fmt_d_big(char *d, double v)
{
    return d + cs_fmt_double(d, FMT_D_MAX, v);
}

static __attribute__((noinline)) char *fmt_u32_long(char *d, uint32_t v)
{
    return cs_fmt_u64(d, v);
}

#ifdef __SSE2__
/* m / 10^9 for m < 10^16 as the rest of fmt_d_in writes it, at d (the
 * text is at most 17 bytes; 25 are written); returns the end. The 16
 * digits of m at once (cs__sse2_text16), the first 7 the integer part
 * and the other 9 the decimals; a mask of those that are '0' gives the
 * integer part's leading zeros (but its units) and the decimals' trailing
 * ones, without a branch on the number of digits. */
_Static_assert(FMT_D_MAX >= 1 + 25, "a sign and fmt_e9's stores");

static inline __attribute__((always_inline)) char *fmt_e9(char *d,
                                                       uint64_t m)
{
    uint64_t hi = m / 100000000, w;
    __m128i t = cs__sse2_text16((uint32_t)hi, (uint32_t)(m - hi * 100000000));
    unsigned z = (unsigned)_mm_movemask_epi8(
                     _mm_cmpeq_epi8(t, _mm_set1_epi8('0'))),
             lz = (unsigned)__builtin_ctz(~z | 0x40),  /* 0 to 6 */
             nz = ~z & 0xff80;              /* the decimals not 0 */

    /* The integer part without its leading zeros, 8 bytes stored (the
     * last, the first decimal, is overwritten or left past the end). */
    _mm_storel_epi64((__m128i *)(void *)&w, t);
    w >>= 8 * lz;
    __builtin_memcpy(d, &w, 8);
    d += 7 - lz;
    if (nz) {
        /* The point and the decimals up to the last that is not 0. */
        *d = '.';
        _mm_storeu_si128((__m128i *)(void *)(d + 1), _mm_srli_si128(t, 7));
        d += (unsigned)(31 - __builtin_clz(nz)) - 5;
    }
    return d;
}
#endif

/* Derived values are written rounded to 9 decimals, trailing zeros
 * stripped: exact for what is exact (157.48 cm, 62.051436216 kg, 0.55 h),
 * far below any measurement's precision otherwise, and an integer
 * division instead of a shortest-round-trip search (which was most of
 * tag's time). Nothing downstream reads these columns back for
 * statistics. Writes at d, returns the end; NaN is the empty cell. */
static inline __attribute__((always_inline)) char *fmt_d_in(char *d,
                                                         double v)
{
    double x;
    int64_t m;
    uint32_t ip, fp;

    if (isnan(v))
        return d;
    if (!(fabs(v) < 1e9))
        return fmt_d_big(d, v);
    /* llround(x) for 0 <= x < 1e18 without the libm call: truncation is
     * exact there, x is an integer once it is 2^52 or more, and below
     * that m + 0.5 is exact, so halves round away from zero as llround
     * does. (A comparison, not x - m, so that no contraction into a fused
     * multiply-add can look at the unrounded product.) */
    x = fabs(v) * 1e9;
    m = (int64_t)x;                     /* signed: x < 1e18 < 2^63 */
    if (x < 4503599627370496.0 && x >= (double)m + 0.5)
        m++;
    if (v < 0 && m != 0)
        *d++ = '-';
#ifdef __SSE2__
    if (m < INT64_C(10000000000000000))
        return fmt_e9(d, (uint64_t)m);
#endif
    ip = (uint32_t)((uint64_t)m / 1000000000U);   /* < 1e9: x <= 1e18 - 128 */
    fp = (uint32_t)((uint64_t)m % 1000000000U);
    /* Below 10^4 (heat indices have two digits, rates three or four)
     * cs_fmt_u64's short paths, inline; its longer ones call. */
    d = ip < 10000 ? cs_fmt_u64(d, ip) : fmt_u32_long(d, ip);
    if (fp) {
        /* The 9 decimals, then back over their trailing zeros (there
         * is a nonzero one). */
        int k = 9;
        *d++ = '.';
        cs_fmt_9digits(d, fp);
        while (d[k - 1] == '0')
            k--;
        d += k;
    }
    return d;
}

/* fmt_d_in is inline in the row writer (two calls a row) and called
 * elsewhere (once a wave). */
static char *fmt_d(char *d, double v)
{
    return fmt_d_in(d, v);
}

static char *fmt_flag(char *d, int v)
{
    if (v >= 0)
        *d++ = v ? '1' : '0';
    return d;
}

/* printf's %ld without printf. */
static char *fmt_long(char *d, long v)
{
    if (v < 0)
        *d++ = '-';
    return cs_fmt_u64(d, v < 0 ? 0ULL - (unsigned long long)v
                               : (unsigned long long)v);
}

/* exposure_h's text for whole minutes of 1 to 1440, the duration of
 * nearly every session: fmt_d's own text of d / 60, made once, and used
 * when exposure_h is that very double. Each takes one fmt_d call a row
 * off tag (a third of its formatting). */
#define EXPO_MAX 1440

typedef struct expo_text {
    double v;
    unsigned char len;
    char text[23];
} expo_text;

_Static_assert(sizeof(expo_text) == 32, "two to a cache line");

static expo_text expo[EXPO_MAX + 1];
static pthread_once_t expo_once = PTHREAD_ONCE_INIT;

/* The cells of the session's four factors (fatigue to dehydration), each
 * with the comma after it, for every value they take (-1, 0, 1), made
 * once: one 8-byte copy a row instead of a cell at a time (a third of
 * the row's factor cells). Indexed by the low two bits of each factor's
 * byte (sf_index); made with expo. */
#define SF_N (CS_F_ELECTROLYTE - CS_F_FATIGUE)
_Static_assert(SF_N == 4 && CS_F_FATIGUE == 0, "four factors from the first");

static char sf_text[256][8];
static unsigned char sf_len[256];

static inline unsigned sf_index(const signed char *f)
{
    return (unsigned)cs__factor_states(f, SF_N);
}

static void sf_make(void)
{
    for (int k = 0; k < 81; k++) {
        signed char f[SF_N];
        char *d;
        unsigned i;

        for (int j = 0, x = k; j < SF_N; j++, x /= 3)
            f[j] = (signed char)(x % 3 - 1);
        i = sf_index(f);
        d = sf_text[i];
        for (int j = 0; j < SF_N; j++) {
            if (f[j] >= 0)
                *d++ = f[j] ? '1' : '0';
            *d++ = ',';
        }
        sf_len[i] = (unsigned char)(d - sf_text[i]);
    }
}

static void expo_make(void)
{
    sf_make();
    for (int m = 1; m <= EXPO_MAX; m++) {
        char d[FMT_D_MAX];
        size_t n;

        expo[m].v = (double)m / 60;     /* as cs_tag_session divides */
        n = (size_t)(fmt_d(d, expo[m].v) - d);
        if (n > sizeof expo[m].text) {  /* cannot happen: "23.983333333" */
            expo[m].v = NAN;
            continue;
        }
        memcpy(expo[m].text, d, n);
        expo[m].len = (unsigned char)n;
    }
}

/* exposure_h (hours) at d, as fmt_d writes it; returns the end. */
static char *fmt_exposure(char *d, double h)
{
    if (h > 0 && h <= EXPO_MAX / 60) {
        const expo_text *e = &expo[(unsigned)(h * 60 + 0.5)];
        if (e->v == h) {
            memcpy(d, e->text, sizeof e->text);
            return d + e->len;
        }
    }
    return fmt_d(d, h);
}

/* The numbers and flags need neither quoting nor --safe-csv's quote mark
 * (a number such as -1.5 keeps its sign), so they are formatted straight
 * into the writer's buffer, a row's cells at a time. age_band goes in as
 * it is when no writer could quote or neutralise it (any band name we
 * have), through cs_writer_field otherwise. */
void cs_tag_wave_text(cs_tag_text *out, const cs_tagged *t, char sep)
{
    char *d = out->a;
    const char *band;
    size_t bl;
    int plain;

    /* Here, once a wave, rather than in every row: no row is written
     * without a text made by this function. */
    (void)pthread_once(&expo_once, expo_make);

    d = fmt_d(d, t->height_cm);
    *d++ = sep;
    d = fmt_d(d, t->weight_kg);
    out->alen = (size_t)(d - out->a);
    d = out->b;
    d = fmt_d(d, t->goal_lb_week);
    *d++ = sep;
    d = fmt_d(d, t->bmr_kcal);
    *d++ = sep;
    d = fmt_d(d, t->tdee_kcal);
    *d++ = sep;
    d = fmt_long(d, t->target_kcal);
    *d++ = sep;
    d = fmt_flag(d, t->below_safe_min);
    out->blen = (size_t)(d - out->b);
    band = cs_age_band_name(t->age_band);
    out->band = band;
    out->sep = sep;

    /* The band after b's cells when it is plain for every writer with
     * this separator: none of the bytes any of them quotes or replaces,
     * and no first byte that --safe-csv neutralises. */
    bl = band ? strlen(band) : 0;
    plain = bl <= sizeof out->b - out->blen - 2 &&
            !(bl && (band[0] == '=' || band[0] == '+' || band[0] == '-' ||
                     band[0] == '@'));
    for (size_t i = 0; i < bl && plain; i++) {
        char c = band[i];
        plain = c != sep && c != ',' && c != '"' && c != '\t' &&
                c != '\n' && c != '\r';
    }
    out->bband = 0;
    if (plain) {
        *d++ = sep;
        if (bl)         /* band may be NULL then, which memcpy must not get */
            memcpy(d, band, bl);
        d += bl;
        *d++ = sep;
        out->bband = (size_t)(d - out->b);
    }

    /* A factor's cell and separator: unknown, 0, 1 (fmt_factor's). */
    out->cells[0][0] = out->cells[0][1] = sep;
    out->cells[1][0] = '0';
    out->cells[2][0] = '1';
    out->cells[1][1] = out->cells[2][1] = sep;

    /* The wave's factors' cells, each with the separator after it. */
    d = out->wfc;
    for (int f = CS_F_ELECTROLYTE; f < CS_F_N; f++) {
        signed char v = t->factor[f];
        out->wf[f - CS_F_ELECTROLYTE] = v;
        if (v >= 0)
            *d++ = v ? '1' : '0';
        *d++ = sep;
    }
    out->wflen = (size_t)(d - out->wfc);
}

_Static_assert(sizeof ((cs_tag_text *)0)->a >= 2 * FMT_D_MAX + 1 &&
               sizeof ((cs_tag_text *)0)->b >= 3 * FMT_D_MAX + 4 + 20 + 1,
               "cs_tag_text holds what cs_tag_wave_text writes");
_Static_assert(sizeof ((cs_tag_text *)0)->wfc >=
               2 * (CS_F_N - CS_F_ELECTROLYTE),
               "cs_tag_text holds the wave's factors' cells");

/* A factor's cell and the separator after it, as one 2-byte store at d
 * from cells (cs_tag_text's); unknown is the separator alone. Returns the
 * end. (Choosing the byte by comparisons took twice the instructions.) */
static inline char *fmt_factor(char *d, signed char v, const char (*cells)[2])
{
    int i = (v > 0) + (v >= 0);

    __builtin_memcpy(d, cells[i], 2);
    return d + 1 + (i != 0);
}

/* Bytes of a cs_tag_text copied by fixed-size moves when its text is no
 * longer (reading past the text stays inside the array; the bytes
 * written past it are in the room asked for, and overwritten or left
 * beyond the buffer's length). */
#define COPY_A 32
#define COPY_B 64

/* What a row asks the writer for: every copy at its fixed size, the
 * three session numbers and their separators, the factors and outcome. */
#define ROW_ROOM (sizeof ((cs_tag_text *)0)->a + 3 * (FMT_D_MAX + 1) + \
                  sizeof ((cs_tag_text *)0)->b + 2 * CS_F_N + 2 + \
                  sizeof ((cs_tag_text *)0)->wfc)

_Static_assert(ROW_ROOM <= CS_WRITER_ROOM, "a row's cells fit the room");
_Static_assert(COPY_A <= sizeof ((cs_tag_text *)0)->a &&
               COPY_B <= sizeof ((cs_tag_text *)0)->b,
               "the fixed copies read inside the text");

void cs_tag_write_text(cs_writer *w, const cs_tagged *t, const cs_tag_text *wt)
{
    char sep = cs_writer_separator(w);
    cs_tag_text own;
    size_t n;
    char *d;

    if (wt->sep != sep) {       /* made for another writer's separator */
        cs_tag_wave_text(&own, t, sep);
        wt = &own;
    }

    /* One room check for the row's cells: the wave's two numbers, the
     * session's three, the wave's five cells (and age_band), the
     * factors and outcome, with the separators between them. */
    d = cs_writer_cells_begin(w, ROW_ROOM);
    if (wt->alen <= COPY_A)
        __builtin_memcpy(d, wt->a, COPY_A);
    else
        memcpy(d, wt->a, wt->alen);
    d += wt->alen;
    *d++ = sep;
    d = fmt_exposure(d, t->exposure_h);
    *d++ = sep;
    d = fmt_d_in(d, t->heat_index_c);
    *d++ = sep;
    d = fmt_d_in(d, t->fluid_ml_per_h);
    *d++ = sep;
    n = wt->bband ? wt->bband : wt->blen;
    if (n <= COPY_B)
        __builtin_memcpy(d, wt->b, COPY_B);
    else
        memcpy(d, wt->b, n);
    d += n;
    if (!wt->bband) {
        cs_writer_cells_end(w, d);
        cs_writer_field(w, wt->band ? wt->band : "",
                        wt->band ? strlen(wt->band) : 0);
        d = cs_writer_cells_begin(w, ROW_ROOM);
    }

    /* The session's factors, then the wave's as the text has them
     * unless this row's differ. */
    if (sep == ',') {
        unsigned i = sf_index(t->factor);
        __builtin_memcpy(d, sf_text[i], sizeof sf_text[i]);
        d += sf_len[i];
    } else {
        for (int f = 0; f < CS_F_ELECTROLYTE; f++)
            d = fmt_factor(d, t->factor[f], wt->cells);
    }
    if (__builtin_memcmp(t->factor + CS_F_ELECTROLYTE, wt->wf,
                         sizeof wt->wf) == 0) {
        __builtin_memcpy(d, wt->wfc, sizeof wt->wfc);
        d += wt->wflen;
    } else {
        for (int f = CS_F_ELECTROLYTE; f < CS_F_N; f++)
            d = fmt_factor(d, t->factor[f], wt->cells);
    }
    d = fmt_flag(d, t->outcome);
    cs_writer_cells_end(w, d);
}

void cs_tag_write(cs_writer *w, const cs_tagged *t)
{
    cs_tag_text wt;

    cs_tag_wave_text(&wt, t, cs_writer_separator(w));
    cs_tag_write_text(w, t, &wt);
}

static cs_str lit(const char *s)
{
    return (cs_str){ s ? s : "", s ? strlen(s) : 0 };
}

static cs_str yesno(int v)
{
    return lit(v < 0 ? "" : v ? "yes" : "no");
}

/* printf's %d into buf; analyze asks this for every row it groups. */
static cs_str int_text(char *buf, size_t cap, int v)
{
    char *end;

    if (cap < 12)   /* fewer than the 32 bytes promised: as printf did */
        return (cs_str){ buf, (size_t)snprintf(buf, cap, "%d", v) };
    end = fmt_long(buf, v);
    *end = '\0';
    return (cs_str){ buf, (size_t)(end - buf) };
}

/* The columns cs_tag_value gives, after the factor names, in the order
 * of the switch below. */
enum {
    V_OUTCOME, V_BELOW_SAFE_MIN, V_AGE_BAND, V_SEX, V_ACTIVITY_LEVEL,
    V_CONDITIONING, V_SEASONAL_SPORT, V_STRETCH_ROUTINE, V_AGE_YEARS,
    V_STRETCHED, V_CRAMP, V_CRAMP_MUSCLE, V_INTENSITY_RPE, V_ACTIVITY,
    V_PARTICIPANT_ID, V_N
};
static const char *const value_names[V_N] = {
    "outcome", "below_safe_min", "age_band", "sex", "activity_level",
    "conditioning", "seasonal_sport", "stretch_routine", "age_years",
    "stretched", "cramp", "cramp_muscle", "intensity_rpe", "activity",
    "participant_id"
};

/* A factor's index, V_N + a value_names index, or -1. */
static int value_column(cs_str n)
{
    for (int f = 0; f < CS_F_N; f++)
        if (cs_str_ieq(n, factor_names[f]))
            return f;
    for (int v = 0; v < V_N; v++)
        if (cs_str_ieq(n, value_names[v]))
            return CS_F_N + v;
    return -1;
}

int cs_tag_has_value(const char *name)
{
    return value_column(lit(name)) >= 0;
}

int cs_tag_value(cs_str *out, char *buf, size_t cap, const char *name,
                 const cs_schema *ex, const cs_record *rec,
                 const cs_session *s, const cs_wave *w, const cs_tagged *t)
{
    int c = value_column(lit(name));

    if (c < 0)
        return -1;
    if (c < CS_F_N) {
        *out = lit(t->factor[c] < 0 ? "" : t->factor[c] ? "1" : "0");
        return 0;
    }
    switch (c - CS_F_N) {
    case V_OUTCOME:
        *out = lit(t->outcome < 0 ? "" : t->outcome ? "1" : "0");
        break;
    case V_BELOW_SAFE_MIN:
        *out = lit(t->below_safe_min < 0 ? "" : t->below_safe_min ? "1" : "0");
        break;
    case V_AGE_BAND: *out = lit(cs_age_band_name(t->age_band)); break;
    case V_SEX: *out = lit(cs_sex_name(w->sex)); break;
    case V_ACTIVITY_LEVEL: *out = lit(cs_activity_name(w->activity_level)); break;
    case V_CONDITIONING: *out = lit(cs_conditioning_name(w->conditioning)); break;
    case V_SEASONAL_SPORT: *out = yesno(w->seasonal_sport); break;
    case V_STRETCH_ROUTINE: *out = yesno(w->stretch_routine); break;
    case V_AGE_YEARS: *out = int_text(buf, cap, w->age_years); break;
    case V_STRETCHED: *out = yesno(s->stretched); break;
    case V_CRAMP: *out = yesno(s->cramp); break;
    case V_CRAMP_MUSCLE: *out = lit(cs_muscle_name(s->cramp_muscle)); break;
    case V_INTENSITY_RPE: *out = int_text(buf, cap, s->intensity_rpe); break;
    case V_ACTIVITY:
        *out = cs_str_trim(rec->fields[cs_schema_index(ex, CS_EX_ACTIVITY)]);
        break;
    default:   /* V_PARTICIPANT_ID */
        *out = cs_str_trim(rec->fields[cs_schema_index(ex, CS_EX_PARTICIPANT_ID)]);
        break;
    }
    return 0;
}
