/* Cause-factor rules (DATA.md section 5): every threshold can be changed
 * in a rules file of "key = value" lines; the defaults follow the data
 * contract. crampstat rules prints the effective rules in the same
 * format. */
#ifndef CRAMPSTAT_RULES_H
#define CRAMPSTAT_RULES_H

#include <crampstat/buf.h>
#include <crampstat/error.h>

enum cs_outcome { CS_OUTCOME_HAMSTRING = 0, CS_OUTCOME_ANY };

/* Dose-response bands of a graded exposure (dose.h): n strictly
 * increasing lower bounds, band i = [cut[i], cut[i+1]), the last open
 * above; cut[0] may be -infinity. reference: the 0-based band that risk
 * ratios are taken against. Not part of the fingerprint: a state carries
 * its bands in its dose section. */
#define CS_DOSE_MAXBANDS 12
enum cs_dose_exposure {
    CS_DOSE_RPE = 0, CS_DOSE_HEAT, CS_DOSE_FLUID, CS_DOSE_WARMUP,
    CS_DOSE_DURATION, CS_DOSE_CALCIUM, CS_DOSE_POTASSIUM, CS_DOSE_N
};
typedef struct cs_dose_cuts {
    int n;
    int reference;
    double cut[CS_DOSE_MAXBANDS];
} cs_dose_cuts;

typedef struct cs_rules {
    /* fatigue: unconditioned, or seasonal sport and rpe >= seasonal_rpe,
     * or duration >= long_duration_min and rpe >= long_rpe */
    int fatigue_unconditioned;      /* 1: unconditioned counts */
    double fatigue_seasonal_rpe;
    double fatigue_long_duration_min;
    double fatigue_long_rpe;
    /* tightness: sedentary, or (not stretched and warmup < warmup_min) */
    int tightness_sedentary;
    double tightness_warmup_min;
    /* heat: heat index >= heat_index_c */
    double heat_index_c;
    /* dehydration: fluid_ml_per_h < fluid and duration >= min_duration */
    double dehydration_fluid_ml_per_h;
    double dehydration_min_duration_min;
    /* electrolyte: calcium < calcium or potassium < potassium */
    double electrolyte_calcium_mg;
    double electrolyte_potassium_mg;
    int outcome;                    /* enum cs_outcome */
    cs_dose_cuts dose[CS_DOSE_N];   /* dose.EXPOSURE, dose.EXPOSURE.reference */
} cs_rules;

void cs_rules_default(cs_rules *r);
/* Read a rules file over r (keys not given keep their value). Unknown
 * key, bad number, a key given twice, a value out of its range: CS_EPARSE
 * naming the file, line and column. */
int cs_rules_load(cs_rules *r, const char *path, cs_error *err);
int cs_rules_parse(cs_rules *r, const char *name, const char *text,
                   size_t len, cs_error *err);
/* The rules in the file format, with comments. */
int cs_rules_format(const cs_rules *r, cs_buf *out);
/* One line "key=value;key=value..." that identifies the rules, for
 * partial states (states with different rules must not be merged). */
/* A number as the rules file writes it: the shortest text that reads
 * back as the same double, never in exponent form. */
void cs_rules_fmt_num(char *b, size_t cap, double x);
int cs_rules_fingerprint(const cs_rules *r, cs_buf *out);

#endif
