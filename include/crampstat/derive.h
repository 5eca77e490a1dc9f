/* Derived values of DATA.md section 4: pure functions of validated inputs,
 * shared by tag (per session), calories (per participant) and gen. */
#ifndef CRAMPSTAT_DERIVE_H
#define CRAMPSTAT_DERIVE_H

enum cs_sex { CS_SEX_F = 0, CS_SEX_M = 1, CS_SEX_N = 2 };

enum cs_activity {
    CS_ACT_SEDENTARY = 0, CS_ACT_LIGHT, CS_ACT_MODERATE, CS_ACT_ACTIVE,
    CS_ACT_VERY_ACTIVE, CS_ACT_N
};

enum cs_conditioning {
    CS_COND_UNCONDITIONED = 0, CS_COND_RECREATIONAL, CS_COND_TRAINED, CS_COND_N
};

/* Medical conditions, in DATA.md order; a participant's set is a bit mask
 * (1u << CS_MED_x). */
enum cs_medical {
    CS_MED_DISC_INJURY = 0, CS_MED_PARKINSONS, CS_MED_MULTIPLE_SCLEROSIS,
    CS_MED_CEREBRAL_PALSY, CS_MED_THYROID_DISEASE, CS_MED_KIDNEY_DISEASE,
    CS_MED_ALCOHOLISM, CS_MED_PREGNANCY, CS_MED_N
};

enum cs_age_band {
    CS_AGE_10_17 = 0, CS_AGE_18_29, CS_AGE_30_44, CS_AGE_45_59, CS_AGE_60P,
    CS_AGE_N
};

/* Names as written in CSV ("F", "sedentary", "disc_injury", "18-29", ...).
 * Each returns NULL for an out-of-range value. */
const char *cs_sex_name(int sex);
const char *cs_activity_name(int level);
const char *cs_conditioning_name(int c);
const char *cs_medical_name(int m);
const char *cs_age_band_name(int band);

/* NOAA heat index (Rothfusz regression with NOAA's low- and high-humidity
 * adjustments, the simple formula where it applies), in degrees F from
 * degrees F and % relative humidity. */
double cs_heat_index_f(double temp_f, double rh_pct);
/* The same from and to degrees C. */
double cs_heat_index_c(double temp_c, double rh_pct);

/* The heat index's products of the temperature alone, for a caller that
 * meets one temperature at many humidities (tag keeps them per
 * temperature): after cs_heat_terms_c(&k, temp_c),
 * cs_heat_index_c_at(&k, rh) is bit for bit cs_heat_index_c(temp_c, rh),
 * and likewise in degrees F. */
typedef struct cs_heat_terms {
    double t;                 /* degrees F */
    double a0, ct, dtt, ftt, gt, htt;  /* the regression's T-only parts */
} cs_heat_terms;
void cs_heat_terms_f(cs_heat_terms *k, double temp_f);
void cs_heat_terms_c(cs_heat_terms *k, double temp_c);
double cs_heat_index_f_at(const cs_heat_terms *k, double rh_pct);
double cs_heat_index_c_at(const cs_heat_terms *k, double rh_pct);

/* The pieces of cs_heat_index_f_at (derive.c gives its rule), inline for
 * a caller that meets one per session (tag): the same operations on the
 * same operands, so the same bits, in code built as the library is,
 * without fused multiply-adds (-ffp-contract=off). */

/* cs_heat_terms_f's work (derive.c says why the split keeps every bit). */
static inline void cs_heat_terms_make(cs_heat_terms *k, double temp_f)
{
    const double t = temp_f;

    k->t = t;
    /* Rothfusz (1990), NWS Technical Attachment SR 90-23. */
    k->a0 = -42.379 + 2.04901523 * t;
    k->ct = 0.22475541 * t;
    k->dtt = 0.00683783 * t * t;
    k->ftt = 0.00122874 * t * t;
    k->gt = 0.00085282 * t;
    k->htt = 0.00000199 * t * t;
}

/* Degrees C to F, as the heat index converts (the NWS equations are
 * fitted in degrees F). */
static inline double cs_heat_c_to_f(double c)
{
    return c * 9.0 / 5.0 + 32.0;
}

/* The Rothfusz regression at k's temperature and rh_pct, without the
 * adjustments. */
static inline double cs_heat_regression_f(const cs_heat_terms *k,
                                          double rh_pct)
{
    const double rh = rh_pct;

    return k->a0 + 10.14333127 * rh
           - k->ct * rh - k->dtt
           - 0.05481717 * rh * rh + k->ftt * rh
           + k->gt * rh * rh - k->htt * rh * rh;
}

/* Degrees F to C, as the heat index converts. */
static inline double cs_heat_f_to_c(double f)
{
    return (f - 32.0) * 5.0 / 9.0;
}

/* cs_heat_index_f_at into *hi_f and 1 where neither of NOAA's
 * adjustments applies (neither a square root nor a call on the way); 0,
 * *hi_f untouched, where one does. */
static inline int cs_heat_index_f_plain(const cs_heat_terms *k,
                                        double rh_pct, double *hi_f)
{
    const double t = k->t, rh = rh_pct;
    double simple = 0.5 * (t + 61.0 + (t - 68.0) * 1.2 + rh * 0.094);

    if (!((simple + t) / 2.0 >= 80.0)) {
        *hi_f = simple;
        return 1;
    }
    if ((rh < 13.0 && t >= 80.0 && t <= 112.0) ||
        (rh > 85.0 && t >= 80.0 && t <= 87.0))
        return 0;
    *hi_f = cs_heat_regression_f(k, rh);
    return 1;
}

/* The same in degrees C: cs_heat_index_c_at's value, or 0. */
static inline int cs_heat_index_c_plain(const cs_heat_terms *k,
                                        double rh_pct, double *hi_c)
{
    double f;

    if (!cs_heat_index_f_plain(k, rh_pct, &f))
        return 0;
    *hi_c = cs_heat_f_to_c(f);
    return 1;
}

double cs_height_cm(int ft, int in);              /* (12 ft + in) * 2.54 */
double cs_weight_kg(double lb);                   /* lb * 0.45359237 */
/* Mifflin-St Jeor basal metabolic rate in kcal/day. */
double cs_bmr_kcal(double kg, double cm, int age_years, int sex);
double cs_activity_multiplier(int level);         /* 1.2 ... 1.9 */
double cs_tdee_kcal(double bmr, int level);
/* tdee + goal * 3500 / 7, rounded to the nearest kcal, halves away from
 * zero. */
long cs_target_kcal(double tdee, double goal_lb_week);
/* 1 when target is below 1200 kcal (F) or 1500 kcal (M). */
int cs_below_safe_min(long target_kcal, int sex);
long cs_safe_min_kcal(int sex);
/* Age band of DATA.md: 10-17, 18-29, 30-44, 45-59, 60+; -1 below 10. */
int cs_age_band(int age_years);

/* The nine calorie goals of the tracker, in its order (gain 2 first). */
#define CS_GOAL_N 9
const char *cs_goal_text(int idx);        /* "Gain 2 pounds per week" ... */
double cs_goal_lb_week(int idx);          /* 2, 1.5, ..., -2 */
/* Index of a signed lb/week value (-2 ... 2 in steps of 0.5), or -1. */
int cs_goal_index(double lb_week);
/* lose (< 0) = 0, maintain = 1, gain = 2 */
int cs_goal_direction(double lb_week);
const char *cs_goal_direction_name(int dir);

#endif
