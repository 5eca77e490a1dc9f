/* Derived values of DATA.md section 4. tag computes the heat index of each
 * session, calories turns a participant's survey row into target_kcal, and
 * gen uses the same functions so that synthetic data obeys the contract.
 * Everything here is a pure function of inputs the reader has already
 * validated; an out-of-range enum gives NULL, NaN or -1 rather than a
 * guess, so a caller's mistake shows up in the output instead of hiding. */
#include <math.h>
#include <stddef.h>

#include <crampstat/derive.h>

/* Names, as written in the CSV files: index = enum value. */
static const char *const sex_names[CS_SEX_N] = { "F", "M" };
static const char *const activity_names[CS_ACT_N] = {
    "sedentary", "light", "moderate", "active", "very_active"
};
static const char *const conditioning_names[CS_COND_N] = {
    "unconditioned", "recreational", "trained"
};
static const char *const medical_names[CS_MED_N] = {
    "disc_injury", "parkinsons", "multiple_sclerosis", "cerebral_palsy",
    "thyroid_disease", "kidney_disease", "alcoholism", "pregnancy"
};
static const char *const age_band_names[CS_AGE_N] = {
    "10-17", "18-29", "30-44", "45-59", "60+"
};

/* The enum value is an int from the caller; test it as unsigned so that
 * one comparison rejects negative values too. */
#define NAME_OR_NULL(table, n, v) \
    ((unsigned)(v) < (unsigned)(n) ? (table)[(v)] : NULL)

const char *cs_sex_name(int sex)
{
    return NAME_OR_NULL(sex_names, CS_SEX_N, sex);
}

const char *cs_activity_name(int level)
{
    return NAME_OR_NULL(activity_names, CS_ACT_N, level);
}

const char *cs_conditioning_name(int c)
{
    return NAME_OR_NULL(conditioning_names, CS_COND_N, c);
}

const char *cs_medical_name(int m)
{
    return NAME_OR_NULL(medical_names, CS_MED_N, m);
}

const char *cs_age_band_name(int band)
{
    return NAME_OR_NULL(age_band_names, CS_AGE_N, band);
}

/* NOAA heat index as the NWS Weather Prediction Center page "The Heat
 * Index Equation" (wpc.ncep.noaa.gov/html/heatindex_equation.shtml)
 * prescribes it; T in degrees F, RH in percent (50 means 50 %).
 *
 * Decision rule, exactly:
 *   1. simple = 0.5 * (T + 61 + (T - 68) * 1.2 + RH * 0.094)
 *   2. if (simple + T) / 2 < 80: the result is simple, with no adjustment.
 *      The test is on that average, not on T itself: T = 79 F at 100 %
 *      averages 80.15 and takes the regression, T = 80 F at 40 %
 *      averages 79.79 and keeps the simple formula.
 *   3. otherwise HI = the Rothfusz regression (below), then
 *      a. if RH < 13 and 80 <= T <= 112:
 *         HI -= ((13 - RH) / 4) * sqrt((17 - |T - 95|) / 17)
 *      b. if RH > 85 and 80 <= T <= 87:
 *         HI += ((RH - 85) / 10) * ((87 - T) / 5)
 *      Both ranges are inclusive ("between" on the NWS page); a and b
 *      cannot both apply. Within 80..112 the square root's argument is
 *      never negative.
 * The adjustments correct the regression where it strays from Steadman's
 * tables; NWS's printed chart shows the bare regression, so at 80-86 F and
 * RH 90-100 % its cells can be 1-2 F below this function (see
 * tests/test_derive.c). A NaN input gives NaN: every comparison above is
 * false, so step 2 returns the simple formula, which is NaN. */
double cs_heat_index_f(double temp_f, double rh_pct)
{
    cs_heat_terms k;

    cs_heat_terms_f(&k, temp_f);
    return cs_heat_index_f_at(&k, rh_pct);
}

/* The rule above split in two: the regression's products of T alone,
 * then the rest (the simple formula and the adjustments are cheap or
 * rare, and stay whole). Every operation is the one the rule's
 * expressions take, in C's order, on the same operands: "a * t * rh" is
 * (a * t) * rh, and the regression's sum runs left to right, so a
 * T-only product can be made ahead but not added ahead of the RH terms
 * before it. The build keeps the compiler from fusing multiplies and
 * adds (-ffp-contract=off), so the split cannot change a bit. */
void cs_heat_terms_f(cs_heat_terms *k, double temp_f)
{
    cs_heat_terms_make(k, temp_f);
}

double cs_heat_index_f_at(const cs_heat_terms *k, double rh_pct)
{
    const double t = k->t, rh = rh_pct;
    double hi;

    if (cs_heat_index_f_plain(k, rh, &hi))
        return hi;
    /* The regression, and the one adjustment that applies: a below 13 %,
     * b otherwise. */
    hi = cs_heat_regression_f(k, rh);
    if (rh < 13.0)
        hi -= ((13.0 - rh) / 4.0) * sqrt((17.0 - fabs(t - 95.0)) / 17.0);
    else
        hi += ((rh - 85.0) / 10.0) * ((87.0 - t) / 5.0);
    return hi;
}

/* The NWS equations are fitted in degrees F, so convert, apply, and
 * convert back rather than refit in degrees C. */
void cs_heat_terms_c(cs_heat_terms *k, double temp_c)
{
    cs_heat_terms_make(k, cs_heat_c_to_f(temp_c));
}

double cs_heat_index_c_at(const cs_heat_terms *k, double rh_pct)
{
    return cs_heat_f_to_c(cs_heat_index_f_at(k, rh_pct));
}

double cs_heat_index_c(double temp_c, double rh_pct)
{
    cs_heat_terms k;

    cs_heat_terms_c(&k, temp_c);
    return cs_heat_index_c_at(&k, rh_pct);
}

double cs_height_cm(int ft, int in)
{
    return (12.0 * ft + in) * 2.54;
}

double cs_weight_kg(double lb)
{
    /* The international avoirdupois pound (1959), exact by definition. */
    return lb * 0.45359237;
}

double cs_bmr_kcal(double kg, double cm, int age_years, int sex)
{
    double base = 10.0 * kg + 6.25 * cm - 5.0 * age_years;

    if (sex == CS_SEX_M)
        return base + 5.0;
    if (sex == CS_SEX_F)
        return base - 161.0;
    return NAN;
}

double cs_activity_multiplier(int level)
{
    static const double mult[CS_ACT_N] = { 1.2, 1.375, 1.55, 1.725, 1.9 };

    return (unsigned)level < CS_ACT_N ? mult[level] : NAN;
}

double cs_tdee_kcal(double bmr, int level)
{
    return bmr * cs_activity_multiplier(level);
}

/* 3500 kcal per pound of body weight spread over 7 days is exactly 500
 * kcal/day per lb/week, and goals are multiples of 0.5 lb, so the goal adds
 * a whole multiple of 250 kcal: only tdee can carry a fraction. lround
 * rounds halves away from zero, which floor(x + 0.5) would get wrong below
 * zero. */
long cs_target_kcal(double tdee, double goal_lb_week)
{
    return lround(tdee + goal_lb_week * 3500.0 / 7.0);
}

long cs_safe_min_kcal(int sex)
{
    if (sex == CS_SEX_F)
        return 1200;
    if (sex == CS_SEX_M)
        return 1500;
    return -1;
}

/* -1 for an invalid sex, so that a caller who forgot to validate it does
 * not silently count the participant as safe. */
int cs_below_safe_min(long target_kcal, int sex)
{
    long min = cs_safe_min_kcal(sex);

    if (min < 0)
        return -1;
    return target_kcal < min;
}

int cs_age_band(int age_years)
{
    if (age_years < 10)
        return -1;
    if (age_years <= 17)
        return CS_AGE_10_17;
    if (age_years <= 29)
        return CS_AGE_18_29;
    if (age_years <= 44)
        return CS_AGE_30_44;
    if (age_years <= 59)
        return CS_AGE_45_59;
    return CS_AGE_60P;
}

/* The tracker lists its goals from gain 2 down to lose 2, half a pound
 * apart, so index i stands for 2 - i / 2 lb/week. */
static const char *const goal_texts[CS_GOAL_N] = {
    "Gain 2 pounds per week",
    "Gain 1.5 pounds per week",
    "Gain 1 pound per week",
    "Gain 0.5 pound per week",
    "Maintain my current weight",
    "Lose 0.5 pound per week",
    "Lose 1 pound per week",
    "Lose 1.5 pounds per week",
    "Lose 2 pounds per week",
};

const char *cs_goal_text(int idx)
{
    return NAME_OR_NULL(goal_texts, CS_GOAL_N, idx);
}

double cs_goal_lb_week(int idx)
{
    return (unsigned)idx < CS_GOAL_N ? 2.0 - idx * 0.5 : NAN;
}

/* Doubling is exact in binary floating point, so 2 * lb is a whole number
 * exactly when lb is a multiple of 0.5: no tolerance is needed, and 0.4999
 * is rejected rather than rounded to a goal the participant did not pick.
 * The negated range test also rejects NaN. Within -4 to 4 the conversion
 * to int is defined, and a value is whole exactly when truncating it
 * changes nothing (floor without SSE4.1 is a dozen instructions, and
 * analyze asks this for every session). */
int cs_goal_index(double lb_week)
{
    double twice = 2.0 * lb_week;

    if (!(twice >= -4.0 && twice <= 4.0) || (double)(int)twice != twice)
        return -1;
    return (int)(4.0 - twice);
}

/* NaN has no direction: -1, whose name is NULL. */
int cs_goal_direction(double lb_week)
{
    if (lb_week < 0.0)
        return 0;
    if (lb_week == 0.0)
        return 1;
    if (lb_week > 0.0)
        return 2;
    return -1;
}

const char *cs_goal_direction_name(int dir)
{
    static const char *const names[3] = { "lose", "maintain", "gain" };

    return NAME_OR_NULL(names, 3, dir);
}
