/* Tagging: derived values and cause factors per session.
 *
 * Three-valued logic (Kleene): "a or b" is exposed when either is, not
 * exposed when both are not, unknown otherwise; "a and b" dually. The
 * heat factor needs more than that when only humidity is missing: the
 * temperature alone may already decide it (at 10 C no humidity makes the
 * heat index reach 32 C). We find the heat index's range over humidity
 * 0-100 % by evaluating it at every 0.1 % and at the formula's breakpoints
 * and vertices, cached per temperature, because the NOAA formula is
 * piecewise and not monotonic in general. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/derive.h>
#include <crampstat/tag.h>

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

#define HEAT_CACHE 4096

struct cs_tagger {
    cs_rules rules;
    double heat_t[HEAT_CACHE];     /* temperature of the entry, NaN = empty */
    double heat_lo[HEAT_CACHE], heat_hi[HEAT_CACHE];
};

int cs_tagger_create(cs_tagger **out, const cs_rules *r)
{
    cs_tagger *t = malloc(sizeof *t);

    *out = NULL;
    if (!t)
        return CS_ENOMEM;
    if (r)
        t->rules = *r;
    else
        cs_rules_default(&t->rules);
    for (size_t i = 0; i < HEAT_CACHE; i++)
        t->heat_t[i] = NAN;
    *out = t;
    return CS_OK;
}

const cs_rules *cs_tagger_rules(const cs_tagger *t) { return &t->rules; }

void cs_tagger_free(cs_tagger *t)
{
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
 * each of its three pieces. Returns how many were written (at most 5). */
static size_t heat_extra_rh(double temp_c, double *rh)
{
    double t = temp_c * 9.0 / 5.0 + 32.0;
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

static void heat_range(cs_tagger *t, double temp_c, double *lo, double *hi)
{
    uint64_t bits;
    size_t i;

    memcpy(&bits, &temp_c, sizeof bits);
    i = (size_t)((bits * 0x9e3779b97f4a7c15ULL) >> 52) & (HEAT_CACHE - 1);
    if (t->heat_t[i] != temp_c) {
        static const double breaks[] = { 12.999999, 13, 85, 85.000001 };
        double mn = INFINITY, mx = -INFINITY;
        for (int k = 0; k <= 1000; k++) {
            double v = cs_heat_index_c(temp_c, k / 10.0);
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        double extra[8];
        size_t nextra = heat_extra_rh(temp_c, extra);
        for (size_t k = 0; k < sizeof breaks / sizeof breaks[0]; k++) {
            double v = cs_heat_index_c(temp_c, breaks[k]);
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        for (size_t k = 0; k < nextra; k++) {
            double v = cs_heat_index_c(temp_c, extra[k]);
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        t->heat_t[i] = temp_c;
        t->heat_lo[i] = mn;
        t->heat_hi[i] = mx;
    }
    *lo = t->heat_lo[i];
    *hi = t->heat_hi[i];
}

void cs_tag(cs_tagger *t, const cs_session *s, const cs_wave *w, cs_tagged *o)
{
    const cs_rules *r = &t->rules;
    signed char f, a, b;
    int known = w->conditions_known;

    o->height_cm = cs_height_cm(w->height_ft, w->height_in);
    o->weight_kg = cs_weight_kg(w->weight_lb);
    o->exposure_h = s->duration_min / 60;
    o->heat_index_c = cs_heat_index_c(s->temp_c, s->humidity_pct);
    o->fluid_ml_per_h = isnan(s->fluid_ml) ? NAN : s->fluid_ml / o->exposure_h;
    o->goal_lb_week = w->goal_lb_week;
    o->bmr_kcal = cs_bmr_kcal(o->weight_kg, o->height_cm, w->age_years, w->sex);
    o->tdee_kcal = cs_tdee_kcal(o->bmr_kcal, w->activity_level);
    o->target_kcal = cs_target_kcal(o->tdee_kcal, w->goal_lb_week);
    o->below_safe_min = cs_below_safe_min(o->target_kcal, w->sex);
    o->age_band = cs_age_band(w->age_years);

    /* Fatigue: every input is required, so it is always known. */
    f = r->fatigue_unconditioned && w->conditioning == CS_COND_UNCONDITIONED;
    f |= w->seasonal_sport && s->intensity_rpe >= r->fatigue_seasonal_rpe;
    f |= s->duration_min >= r->fatigue_long_duration_min &&
         s->intensity_rpe >= r->fatigue_long_rpe;
    o->factor[CS_F_FATIGUE] = f;

    /* Tightness: sedentary, or not stretched and a short warm-up. */
    a = r->tightness_sedentary && w->activity_level == CS_ACT_SEDENTARY;
    b = and3(s->stretched < 0 ? -1 : !s->stretched,
             below(s->warmup_min, r->tightness_warmup_min));
    o->factor[CS_F_TIGHTNESS] = or3(a, b);

    /* Heat. */
    if (!isnan(o->heat_index_c)) {
        o->factor[CS_F_HEAT] = o->heat_index_c >= r->heat_index_c;
    } else if (!isnan(s->temp_c)) {
        double lo, hi;
        heat_range(t, s->temp_c, &lo, &hi);
        o->factor[CS_F_HEAT] = lo >= r->heat_index_c ? 1
                             : hi < r->heat_index_c ? 0 : -1;
    } else {
        o->factor[CS_F_HEAT] = -1;
    }

    /* Dehydration: a short session is not dehydrated whatever it drank.
     * fluid / (duration / 60) < limit is compared as fluid * 60 < limit *
     * duration: 220 ml in 33 min is exactly 400 ml/h, but the division
     * gives 399.99999999999994. */
    o->factor[CS_F_DEHYDRATION] =
        and3(isnan(s->fluid_ml) ? -1
             : s->fluid_ml * 60 < r->dehydration_fluid_ml_per_h * s->duration_min,
             s->duration_min >= r->dehydration_min_duration_min);

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

    if (r->outcome == CS_OUTCOME_ANY)
        o->outcome = (signed char)s->cramp;
    else if (!s->cramp)
        o->outcome = 0;
    else
        o->outcome = s->cramp_muscle < 0 ? -1
                   : s->cramp_muscle == CS_MUSCLE_HAMSTRING;
}

static const char *const derived_names[] = {
    "height_cm", "weight_kg", "exposure_h", "heat_index_c", "fluid_ml_per_h",
    "goal_lb_week", "bmr_kcal", "tdee_kcal", "target_kcal", "below_safe_min",
    "age_band"
};

int cs_tag_is_own_column(cs_str name)
{
    for (size_t i = 0; i < sizeof derived_names / sizeof derived_names[0]; i++)
        if (cs_str_ieq(name, derived_names[i]))
            return 1;
    for (int f = 0; f < CS_F_N; f++)
        if (cs_str_ieq(name, factor_names[f]))
            return 1;
    return cs_str_ieq(name, "outcome");
}

void cs_tag_write_header(cs_writer *w)
{
    for (size_t i = 0; i < sizeof derived_names / sizeof derived_names[0]; i++)
        cs_writer_cstr(w, derived_names[i]);
    for (int f = 0; f < CS_F_N; f++)
        cs_writer_cstr(w, factor_names[f]);
    cs_writer_cstr(w, "outcome");
}

/* Derived values are written rounded to 9 decimals, trailing zeros
 * stripped: exact for what is exact (157.48 cm, 62.051436216 kg, 0.55 h),
 * far below any measurement's precision otherwise, and an integer
 * division instead of a shortest-round-trip search (which was most of
 * tag's time). Nothing downstream reads these columns back for
 * statistics. */
static void put_d(cs_writer *w, double v)
{
    char b[48], *p = b + sizeof b;
    unsigned long long m, ip, fp;
    int frac = 9, started = 0;

    if (isnan(v)) {
        cs_writer_plain(w, "", 0);
        return;
    }
    if (!(fabs(v) < 1e9)) {
        int n = cs_fmt_double(b, sizeof b, v);
        cs_writer_plain(w, b, (size_t)n);
        return;
    }
    m = (unsigned long long)llround(fabs(v) * 1e9);
    ip = m / 1000000000ULL;
    fp = m % 1000000000ULL;
    while (frac-- > 0) {
        int d = (int)(fp % 10);
        fp /= 10;
        if (!started && d == 0)
            continue;
        started = 1;
        *--p = (char)('0' + d);
    }
    if (started)
        *--p = '.';
    do {
        *--p = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    if (v < 0 && m != 0)
        *--p = '-';
    cs_writer_plain(w, p, (size_t)(b + sizeof b - p));
}

static void put_flag(cs_writer *w, int v)
{
    cs_writer_plain(w, v < 0 ? "" : v ? "1" : "0", v < 0 ? 0 : 1);
}

void cs_tag_write(cs_writer *w, const cs_tagged *t)
{
    char b[32];

    put_d(w, t->height_cm);
    put_d(w, t->weight_kg);
    put_d(w, t->exposure_h);
    put_d(w, t->heat_index_c);
    put_d(w, t->fluid_ml_per_h);
    put_d(w, t->goal_lb_week);
    put_d(w, t->bmr_kcal);
    put_d(w, t->tdee_kcal);
    cs_writer_plain(w, b, (size_t)snprintf(b, sizeof b, "%ld", t->target_kcal));
    put_flag(w, t->below_safe_min);
    cs_writer_cstr(w, cs_age_band_name(t->age_band));
    for (int f = 0; f < CS_F_N; f++)
        put_flag(w, t->factor[f]);
    put_flag(w, t->outcome);
}

static cs_str lit(const char *s)
{
    return (cs_str){ s ? s : "", s ? strlen(s) : 0 };
}

static cs_str yesno(int v)
{
    return lit(v < 0 ? "" : v ? "yes" : "no");
}

int cs_tag_value(cs_str *out, char *buf, size_t cap, const char *name,
                 const cs_schema *ex, const cs_record *rec,
                 const cs_session *s, const cs_wave *w, const cs_tagged *t)
{
    cs_str n = lit(name);

    for (int f = 0; f < CS_F_N; f++)
        if (cs_str_ieq(n, factor_names[f])) {
            *out = lit(t->factor[f] < 0 ? "" : t->factor[f] ? "1" : "0");
            return 0;
        }
    if (cs_str_ieq(n, "outcome"))
        *out = lit(t->outcome < 0 ? "" : t->outcome ? "1" : "0");
    else if (cs_str_ieq(n, "below_safe_min"))
        *out = lit(t->below_safe_min < 0 ? "" : t->below_safe_min ? "1" : "0");
    else if (cs_str_ieq(n, "age_band"))
        *out = lit(cs_age_band_name(t->age_band));
    else if (cs_str_ieq(n, "sex"))
        *out = lit(cs_sex_name(w->sex));
    else if (cs_str_ieq(n, "activity_level"))
        *out = lit(cs_activity_name(w->activity_level));
    else if (cs_str_ieq(n, "conditioning"))
        *out = lit(cs_conditioning_name(w->conditioning));
    else if (cs_str_ieq(n, "seasonal_sport"))
        *out = yesno(w->seasonal_sport);
    else if (cs_str_ieq(n, "stretch_routine"))
        *out = yesno(w->stretch_routine);
    else if (cs_str_ieq(n, "age_years"))
        *out = (cs_str){ buf, (size_t)snprintf(buf, cap, "%d", w->age_years) };
    else if (cs_str_ieq(n, "stretched"))
        *out = yesno(s->stretched);
    else if (cs_str_ieq(n, "cramp"))
        *out = yesno(s->cramp);
    else if (cs_str_ieq(n, "cramp_muscle"))
        *out = lit(cs_muscle_name(s->cramp_muscle));
    else if (cs_str_ieq(n, "intensity_rpe"))
        *out = (cs_str){ buf, (size_t)snprintf(buf, cap, "%d", s->intensity_rpe) };
    else if (cs_str_ieq(n, "activity") || cs_str_ieq(n, "participant_id")) {
        int col = cs_str_ieq(n, "activity") ? CS_EX_ACTIVITY : CS_EX_PARTICIPANT_ID;
        *out = cs_str_trim(rec->fields[cs_schema_index(ex, col)]);
    } else
        return -1;
    return 0;
}
