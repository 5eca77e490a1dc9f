/* Tests of src/tag.c: the cause-factor rules of DATA.md section 5 at and
 * around every threshold, the three-valued logic for missing inputs, the
 * outcome, and the derived values of section 4. Sessions and waves are
 * built by hand; every expected value is worked out in the comments. */
#include <stdarg.h>   /* cmocka 1.1 wants these four before cmocka.h */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/derive.h>
#include <crampstat/fmt.h>
#include <crampstat/join.h>
#include <crampstat/rules.h>
#include <crampstat/schema.h>
#include <crampstat/tag.h>
#include "internal.h"

#define assert_near(got, want, eps) do {                                  \
        double got_ = (got), want_ = (want);                              \
        if (!(fabs(got_ - want_) <= (eps)))                               \
            fail_msg("%s = %.17g, expected %.17g +- %g", #got, got_,      \
                     want_, (double)(eps));                               \
    } while (0)

/* ---- building a session and a wave --------------------------------- */

/* The base case: a 60-minute session at rpe 5, 20 C and 50 % humidity,
 * 500 ml drunk, 10 minutes of warm-up, stretched, no cramp; a moderately
 * active, recreational woman of 30 (5 ft 6 in, 150 lb) with no seasonal
 * sport, no conditions, maintaining her weight, 1000 mg calcium and
 * 3000 mg potassium. Every factor is 0 for it:
 *   fatigue: recreational, no seasonal sport, 60 < 90 min;
 *   tightness: moderate, stretched;
 *   heat: 20 C = 68 F, simple formula 0.5 * (68 + 61 + 0 + 50 * 0.094)
 *         = 66.85 F (average with T 67.4 < 80, so it stands) = 19.36 C;
 *   dehydration: 500 ml / 1 h = 500 >= 400;
 *   electrolyte: 1000 >= 700 and 3000 >= 2000; medical: none. */
static void base(cs_session *s, cs_wave *w)
{
    memset(s, 0, sizeof *s);
    memset(w, 0, sizeof *w);
    s->participant_id = CS_STR("P1");
    s->session_id = CS_STR("S1");
    s->activity = CS_STR("running");
    s->day = 19800;
    s->duration_min = 60;
    s->intensity_rpe = 5;
    s->temp_c = 20;
    s->humidity_pct = 50;
    s->fluid_ml = 500;
    s->warmup_min = 10;
    s->stretched = 1;
    s->cramp = 0;
    s->cramp_muscle = -1;
    w->participant_id = CS_STR("P1");
    w->day = 19700;
    w->sex = CS_SEX_F;
    w->age_years = 30;
    w->height_ft = 5;
    w->height_in = 6;
    w->weight_lb = 150;
    w->activity_level = CS_ACT_MODERATE;
    w->conditioning = CS_COND_RECREATIONAL;
    w->seasonal_sport = 0;
    w->stretch_routine = 0;
    w->conditions_known = 1;
    w->conditions = 0;
    w->goal_lb_week = 0;
    w->calcium_mg = 1000;
    w->potassium_mg = 3000;
}

static int name_index(const char *v, const char *(*fn)(int), int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(fn(i), v) == 0)
            return i;
    fail_msg("unknown name \"%s\"", v);
    return -1;
}

static double num(const char *v)
{
    return strcmp(v, "NA") == 0 ? NAN : strtod(v, NULL);
}

static int yn(const char *v)
{
    return strcmp(v, "NA") == 0 ? -1 : strcmp(v, "yes") == 0;
}

static const char *muscle_name(int m) { return cs_muscle_name(m); }

/* Apply "key=value key=value ..." to the base case; NA is missing. */
static void apply(cs_session *s, cs_wave *w, const char *edits)
{
    char buf[256], *save = NULL;

    snprintf(buf, sizeof buf, "%s", edits);
    for (char *tok = strtok_r(buf, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        char *v = strchr(tok, '=');
        assert_non_null(v);
        *v++ = '\0';
        if (!strcmp(tok, "dur")) s->duration_min = num(v);
        else if (!strcmp(tok, "rpe")) s->intensity_rpe = atoi(v);
        else if (!strcmp(tok, "temp")) s->temp_c = num(v);
        else if (!strcmp(tok, "hum")) s->humidity_pct = num(v);
        else if (!strcmp(tok, "fluid")) s->fluid_ml = num(v);
        else if (!strcmp(tok, "warmup")) s->warmup_min = num(v);
        else if (!strcmp(tok, "stretched")) s->stretched = yn(v);
        else if (!strcmp(tok, "cramp")) s->cramp = yn(v);
        else if (!strcmp(tok, "muscle"))
            s->cramp_muscle = strcmp(v, "NA") == 0 ? -1
                            : name_index(v, muscle_name, CS_MUSCLE_N);
        else if (!strcmp(tok, "sex")) w->sex = *v == 'M' ? CS_SEX_M : CS_SEX_F;
        else if (!strcmp(tok, "age")) w->age_years = atoi(v);
        else if (!strcmp(tok, "ft")) w->height_ft = atoi(v);
        else if (!strcmp(tok, "in")) w->height_in = atoi(v);
        else if (!strcmp(tok, "lb")) w->weight_lb = num(v);
        else if (!strcmp(tok, "act"))
            w->activity_level = name_index(v, cs_activity_name, CS_ACT_N);
        else if (!strcmp(tok, "cond"))
            w->conditioning = name_index(v, cs_conditioning_name, CS_COND_N);
        else if (!strcmp(tok, "seasonal")) w->seasonal_sport = yn(v);
        else if (!strcmp(tok, "goal")) w->goal_lb_week = num(v);
        else if (!strcmp(tok, "ca")) w->calcium_mg = num(v);
        else if (!strcmp(tok, "k")) w->potassium_mg = num(v);
        else if (!strcmp(tok, "conditions")) {
            /* "NA", "none", or names joined by ',' */
            w->conditions = 0;
            w->conditions_known = strcmp(v, "NA") != 0;
            if (w->conditions_known && strcmp(v, "none") != 0) {
                char *s2 = NULL;
                for (char *c = strtok_r(v, ",", &s2); c;
                     c = strtok_r(NULL, ",", &s2))
                    w->conditions |= 1u << name_index(c, cs_medical_name,
                                                      CS_MED_N);
            }
        } else
            fail_msg("unknown key \"%s\"", tok);
    }
}

static cs_tagger *tagger(const char *rules_text)
{
    cs_rules r;
    cs_error err = {0};
    cs_tagger *t = NULL;

    cs_rules_default(&r);
    if (rules_text)
        assert_int_equal(cs_rules_parse(&r, "t.rules", rules_text,
                                        strlen(rules_text), &err), CS_OK);
    assert_int_equal(cs_tagger_create(&t, &r), CS_OK);
    return t;
}

/* ---- the factor table ---------------------------------------------- */

enum { F = CS_F_FATIGUE, T = CS_F_TIGHTNESS, H = CS_F_HEAT,
       D = CS_F_DEHYDRATION, E = CS_F_ELECTROLYTE, M = CS_F_MEDICAL };
#define MED(m) (CS_F_MED_FIRST + CS_MED_##m)
#define OUTCOME (-1)   /* the "factor" column of a row about the outcome */

static const struct {
    const char *name;
    const char *edits;   /* applied to the base case */
    const char *rules;   /* rules text, NULL = defaults */
    int factor;          /* enum cs_factor, or OUTCOME */
    int want;            /* 1, 0, -1 unknown */
} cases[] = {
    /* The base case, all six factors. */
    { "base fatigue", "", NULL, F, 0 },
    { "base tightness", "", NULL, T, 0 },
    { "base heat", "", NULL, H, 0 },
    { "base dehydration", "", NULL, D, 0 },
    { "base electrolyte", "", NULL, E, 0 },
    { "base medical", "", NULL, M, 0 },

    /* Fatigue: seasonal sport and rpe >= 7. */
    { "seasonal rpe 6", "seasonal=yes rpe=6", NULL, F, 0 },
    { "seasonal rpe 7", "seasonal=yes rpe=7", NULL, F, 1 },
    { "not seasonal rpe 7", "seasonal=no rpe=7", NULL, F, 0 },
    { "seasonal rpe 10", "seasonal=yes rpe=10", NULL, F, 1 },
    /* Fatigue: duration >= 90 and rpe >= 7. */
    { "89 min rpe 7", "dur=89 rpe=7", NULL, F, 0 },
    { "89.999 min rpe 7", "dur=89.999 rpe=7", NULL, F, 0 },
    { "90 min rpe 7", "dur=90 rpe=7", NULL, F, 1 },
    { "90 min rpe 6", "dur=90 rpe=6", NULL, F, 0 },
    { "300 min rpe 7", "dur=300 rpe=7", NULL, F, 1 },
    /* Fatigue: unconditioned, whatever the session. */
    { "unconditioned", "cond=unconditioned rpe=1 dur=10", NULL, F, 1 },
    { "trained", "cond=trained", NULL, F, 0 },
    { "unconditioned, rule off", "cond=unconditioned",
      "fatigue.unconditioned = no", F, 0 },
    { "seasonal rpe 5, rule at 5", "seasonal=yes rpe=5",
      "fatigue.seasonal_rpe = 5", F, 1 },
    { "60 min rpe 8, long rule 60/8", "dur=60 rpe=8",
      "fatigue.long_duration_min = 60\nfatigue.long_rpe = 8", F, 1 },
    { "59.5 min rpe 8, long rule 60/8", "dur=59.5 rpe=8",
      "fatigue.long_duration_min = 60\nfatigue.long_rpe = 8", F, 0 },

    /* Tightness: sedentary, or not stretched and warm-up < 5. */
    { "sedentary", "act=sedentary", NULL, T, 1 },
    { "light", "act=light stretched=yes", NULL, T, 0 },
    { "no stretch, warm-up 4.9", "stretched=no warmup=4.9", NULL, T, 1 },
    { "no stretch, warm-up 5", "stretched=no warmup=5", NULL, T, 0 },
    { "no stretch, warm-up 0", "stretched=no warmup=0", NULL, T, 1 },
    { "stretched, warm-up 0", "stretched=yes warmup=0", NULL, T, 0 },
    { "sedentary, rule off", "act=sedentary", "tightness.sedentary = no",
      T, 0 },
    { "no stretch, warm-up 9.9, rule 10", "stretched=no warmup=9.9",
      "tightness.warmup_min = 10", T, 1 },
    /* ... with missing inputs (Kleene logic). */
    { "stretched NA, warm-up 3", "stretched=NA warmup=3", NULL, T, -1 },
    { "stretched NA, warm-up 10", "stretched=NA warmup=10", NULL, T, 0 },
    { "stretched NA, warm-up 5", "stretched=NA warmup=5", NULL, T, 0 },
    { "no stretch, warm-up NA", "stretched=no warmup=NA", NULL, T, -1 },
    { "stretched, warm-up NA", "stretched=yes warmup=NA", NULL, T, 0 },
    { "both NA", "stretched=NA warmup=NA", NULL, T, -1 },
    { "sedentary, both NA", "act=sedentary stretched=NA warmup=NA", NULL,
      T, 1 },
    { "sedentary, stretched NA", "act=sedentary stretched=NA warmup=3", NULL,
      T, 1 },
    /* No warm-up is shorter than 0 minutes. */
    { "no stretch, warm-up NA, rule 0", "stretched=no warmup=NA",
      "tightness.warmup_min = 0", T, 0 },

    /* Heat: heat index >= 32 C. Worked out from NOAA's formula (WPC, "The
     * Heat Index Equation"), in F:
     * 33 C = 91.4 F at 30 %: simple = 0.5 * (91.4 + 61 + 23.4 * 1.2 +
     *   30 * 0.094) = 91.65, average 91.53 >= 80, so the Rothfusz
     *   regression: -42.379 + 187.279992 + 304.299938 - 616.279334
     *   - 57.122958 - 49.335453 + 307.945344 + 70.152973 - 14.961942
     *   = 89.599560 F, no adjustment (13 <= RH <= 85) = 31.99976 C: below.
     * 33 C at 30.1 %: the same terms give 89.625215 F = 32.01401 C.
     * 30 C = 86 F at 55 %: 89.397820 F = 31.88768 C; at 56 %:
     *   89.722558 F = 32.06809 C. */
    { "33 C 30 % (31.99976 C)", "temp=33 hum=30", NULL, H, 0 },
    { "33 C 30.1 % (32.01401 C)", "temp=33 hum=30.1", NULL, H, 1 },
    { "30 C 55 % (31.88768 C)", "temp=30 hum=55", NULL, H, 0 },
    { "30 C 56 % (32.06809 C)", "temp=30 hum=56", NULL, H, 1 },
    { "33 C 30 %, rule 31.9997", "temp=33 hum=30",
      "heat.heat_index_c = 31.9997", H, 1 },
    { "33 C 30 %, rule 31.9998", "temp=33 hum=30",
      "heat.heat_index_c = 31.9998", H, 0 },
    /* ... with missing inputs. The temperature may decide alone:
     * 10 C = 50 F: even at 100 % the simple formula gives
     *   0.5 * (50 + 61 - 18 * 1.2 + 9.4) = 49.4 F (average 49.7 < 80),
     *   9.67 C, so no humidity reaches 32 C: 0.
     * 45 C = 113 F: at 0 % simple = 114, so Rothfusz: -42.379
     *   + 231.538721 - 87.312251 = 101.847 F (no adjustment above 112 F)
     *   = 38.80 C, the lowest over 0-100 %: 1.
     * 30 C = 86 F: at 0 % Rothfusz 83.2637 F minus the low-humidity
     *   adjustment 13/4 * sqrt((17 - 9) / 17) = 2.2295, 81.034 F =
     *   27.24 C; at 100 % 111.85 F = 44.36 C: unknown. */
    { "temp NA", "temp=NA hum=50", NULL, H, -1 },
    { "both NA", "temp=NA hum=NA", NULL, H, -1 },
    { "10 C, hum NA", "temp=10 hum=NA", NULL, H, 0 },
    { "45 C, hum NA", "temp=45 hum=NA", NULL, H, 1 },
    { "30 C, hum NA", "temp=30 hum=NA", NULL, H, -1 },
    { "-40 C, hum NA", "temp=-40 hum=NA", NULL, H, 0 },
    { "60 C, hum NA", "temp=60 hum=NA", NULL, H, 1 },
    /* 27.27 C = 81.086 F, where the formula switches from the simple one
     * to the regression at RH = (170.3 - 2.1 * 81.086) / 0.047 = 0.4128 %
     * and jumps down: at 0.42 % Rothfusz gives 78.808388 F, minus the
     * low-humidity adjustment (13 - 0.42) / 4 * sqrt((17 - 13.914) / 17)
     * = 1.339967, so 77.468421 F = 25.26023 C; at 0.5 %, 25.26492 C; at
     * 0 %, the simple formula, 78.8946 F = 26.05256 C. With the threshold
     * at 25.262 C a missing humidity could give either answer. */
    { "27.27 C 0.42 %, rule 25.262", "temp=27.27 hum=0.42",
      "heat.heat_index_c = 25.262", H, 0 },
    { "27.27 C 0.5 %, rule 25.262", "temp=27.27 hum=0.5",
      "heat.heat_index_c = 25.262", H, 1 },
    { "27.27 C 0 %, rule 25.262", "temp=27.27 hum=0",
      "heat.heat_index_c = 25.262", H, 1 },
    { "27.27 C hum NA, rule 25.262", "temp=27.27 hum=NA",
      "heat.heat_index_c = 25.262", H, -1 },

    /* Dehydration: fluid per hour < 400 and duration >= 30. */
    { "30 min, 199.95 ml (399.9 ml/h)", "dur=30 fluid=199.95", NULL, D, 1 },
    { "30 min, 200 ml (400 ml/h)", "dur=30 fluid=200", NULL, D, 0 },
    { "29.9 min, 0 ml", "dur=29.9 fluid=0", NULL, D, 0 },
    { "29.9 min, fluid NA", "dur=29.9 fluid=NA", NULL, D, 0 },
    { "30 min, 0 ml", "dur=30 fluid=0", NULL, D, 1 },
    { "120 min, 799 ml (399.5 ml/h)", "dur=120 fluid=799", NULL, D, 1 },
    { "20 min, fluid NA", "dur=20 fluid=NA", NULL, D, 0 },
    { "45 min, fluid NA", "dur=45 fluid=NA", NULL, D, -1 },
    { "30 min, fluid NA", "dur=30 fluid=NA", NULL, D, -1 },
    { "20 min, 0 ml, rule 15 min", "dur=20 fluid=0",
      "dehydration.min_duration_min = 15", D, 1 },
    { "60 min, 500 ml, rule 600 ml/h", "dur=60 fluid=500",
      "dehydration.fluid_ml_per_h = 600", D, 1 },

    /* Electrolyte: calcium < 700 or potassium < 2000. */
    { "calcium 699", "ca=699 k=3000", NULL, E, 1 },
    { "calcium 700", "ca=700 k=3000", NULL, E, 0 },
    { "potassium 1999", "ca=1000 k=1999", NULL, E, 1 },
    { "potassium 2000", "ca=1000 k=2000", NULL, E, 0 },
    { "both low", "ca=0 k=0", NULL, E, 1 },
    { "calcium NA, potassium 1500", "ca=NA k=1500", NULL, E, 1 },
    { "calcium NA, potassium 3000", "ca=NA k=3000", NULL, E, -1 },
    { "calcium 500, potassium NA", "ca=500 k=NA", NULL, E, 1 },
    { "calcium 900, potassium NA", "ca=900 k=NA", NULL, E, -1 },
    { "both NA", "ca=NA k=NA", NULL, E, -1 },
    { "calcium 799, rule 800", "ca=799", "electrolyte.calcium_mg = 800",
      E, 1 },
    /* No intake is below 0 mg: with that threshold a missing calcium
     * cannot change the answer. */
    { "calcium NA, rule 0", "ca=NA k=3000", "electrolyte.calcium_mg = 0",
      E, 0 },
    { "calcium NA, rule 0, low potassium", "ca=NA k=1000",
      "electrolyte.calcium_mg = 0", E, 1 },

    /* Medical: any condition; NA is unknown; pregnancy is 0 for men. */
    { "no conditions", "conditions=none", NULL, M, 0 },
    { "disc injury", "conditions=disc_injury", NULL, M, 1 },
    { "disc injury: its sub-factor", "conditions=disc_injury", NULL,
      MED(DISC_INJURY), 1 },
    { "disc injury: another sub-factor", "conditions=disc_injury", NULL,
      MED(PARKINSONS), 0 },
    { "kidney + pregnancy: kidney", "conditions=kidney_disease,pregnancy",
      NULL, MED(KIDNEY_DISEASE), 1 },
    { "kidney + pregnancy: pregnancy", "conditions=kidney_disease,pregnancy",
      NULL, MED(PREGNANCY), 1 },
    { "kidney + pregnancy: thyroid", "conditions=kidney_disease,pregnancy",
      NULL, MED(THYROID_DISEASE), 0 },
    { "alcoholism", "conditions=alcoholism", NULL, MED(ALCOHOLISM), 1 },
    { "conditions NA", "conditions=NA", NULL, M, -1 },
    { "conditions NA: a sub-factor", "conditions=NA", NULL, MED(PARKINSONS),
      -1 },
    { "conditions NA, F: pregnancy", "conditions=NA sex=F", NULL,
      MED(PREGNANCY), -1 },
    { "conditions NA, M: pregnancy", "conditions=NA sex=M", NULL,
      MED(PREGNANCY), 0 },
    { "conditions NA, M: medical", "conditions=NA sex=M", NULL, M, -1 },
    { "conditions NA, M: sclerosis", "conditions=NA sex=M", NULL,
      MED(MULTIPLE_SCLEROSIS), -1 },

    /* The outcome. */
    { "no cramp", "cramp=no", NULL, OUTCOME, 0 },
    { "hamstring cramp", "cramp=yes muscle=hamstring", NULL, OUTCOME, 1 },
    { "calf cramp", "cramp=yes muscle=calf", NULL, OUTCOME, 0 },
    { "foot cramp", "cramp=yes muscle=foot", NULL, OUTCOME, 0 },
    { "cramp, muscle NA", "cramp=yes muscle=NA", NULL, OUTCOME, -1 },
    { "any: no cramp", "cramp=no", "outcome = any", OUTCOME, 0 },
    { "any: calf cramp", "cramp=yes muscle=calf", "outcome = any",
      OUTCOME, 1 },
    { "any: hamstring cramp", "cramp=yes muscle=hamstring", "outcome = any",
      OUTCOME, 1 },
    { "any: cramp, muscle NA", "cramp=yes muscle=NA", "outcome = any",
      OUTCOME, 1 },
};

static void test_tag_factors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cs_session s;
        cs_wave w;
        cs_tagged o;
        cs_tagger *t;
        int got;

        print_message("case %s\n", cases[i].name);
        base(&s, &w);
        apply(&s, &w, cases[i].edits);
        t = tagger(cases[i].rules);
        memset(&o, 0x55, sizeof o);
        cs_tag(t, &s, &w, &o);
        got = cases[i].factor == OUTCOME ? o.outcome : o.factor[cases[i].factor];
        if (got != cases[i].want)
            fail_msg("case %s: %s is %d, expected %d", cases[i].name,
                     cases[i].factor == OUTCOME ? "outcome"
                                                : cs_factor_name(cases[i].factor),
                     got, cases[i].want);
        cs_tagger_free(t);
    }
}

/* cs_tag_wave once and cs_tag_session for each session of that wave give
 * what cs_tag gives, to the byte: every wave of the factor table (each
 * case's survey edits) with every session of it (each case's session
 * edits), under the default rules and under rules that turn on the
 * survey's halves of fatigue and tightness (and the "any" outcome). The
 * tagged values are carried from wave to wave, as chain.c and tag carry
 * them, so a field cs_tag_session failed to set would keep the last
 * wave's value and differ here. */
static void test_tag_halves(void **state)
{
    static const char *const rules[] = {
        NULL,
        "fatigue.unconditioned = no\ntightness.sedentary = no\n"
        "outcome = any\n",
    };
    const size_t n = sizeof cases / sizeof cases[0];
    size_t compared = 0;

    (void)state;
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
        cs_tagger *t = tagger(rules[r]);
        cs_tagged carried;

        memset(&carried, 0x55, sizeof carried);
        for (size_t i = 0; i < n; i++) {
            cs_session s;
            cs_wave w;

            base(&s, &w);
            apply(&s, &w, cases[i].edits);
            cs_tag_wave(t, &w, &carried);
            for (size_t j = 0; j < n; j++) {
                cs_session sj;
                cs_wave unused;
                cs_tagged want;

                base(&sj, &unused);
                apply(&sj, &unused, cases[j].edits);
                memset(&want, 0x55, sizeof want);
                cs_tag(t, &sj, &w, &want);
                cs_tag_session(t, &sj, &w, &carried);
                if (memcmp(&want, &carried, sizeof want) != 0)
                    fail_msg("wave of case %s, session of case %s, rules %zu: "
                             "the halves differ from cs_tag", cases[i].name,
                             cases[j].name, r);
                compared++;
            }
        }
        cs_tagger_free(t);
    }
    assert_int_equal(compared, 2 * n * n);
}

/* The heat rule is "at or above": a threshold equal to the session's heat
 * index, to the bit, makes it exposed, and the next double above does not. */
static void test_tag_heat_inclusive(void **state)
{
    cs_session s;
    cs_wave w;
    cs_tagged o;
    cs_rules r;
    cs_tagger *t;

    (void)state;
    base(&s, &w);
    apply(&s, &w, "temp=33 hum=30");
    cs_rules_default(&r);
    assert_int_equal(cs_tagger_create(&t, &r), CS_OK);
    cs_tag(t, &s, &w, &o);
    assert_near(o.heat_index_c, 31.99975541511118, 1e-9);
    cs_tagger_free(t);

    r.heat_index_c = o.heat_index_c;
    assert_int_equal(cs_tagger_create(&t, &r), CS_OK);
    cs_tag(t, &s, &w, &o);
    assert_int_equal(o.factor[CS_F_HEAT], 1);
    cs_tagger_free(t);

    r.heat_index_c = nextafter(o.heat_index_c, INFINITY);
    assert_int_equal(cs_tagger_create(&t, &r), CS_OK);
    cs_tag(t, &s, &w, &o);
    assert_int_equal(o.factor[CS_F_HEAT], 0);
    cs_tagger_free(t);
}

/* The tagger keeps the heat index's terms and its range over humidity
 * per temperature, two to a set of its table. A thousand temperatures,
 * so that sets fill and evict, are tagged in a pseudo-random order, with
 * and without humidity, 20,000 times by one tagger; each answer must be
 * what a fresh tagger gives for that temperature alone, and the heat
 * index what cs_heat_index_c gives. Five thresholds, so that a range
 * kept for the wrong temperature changes some answer. */
static void test_tag_heat_cache(void **state)
{
    enum { NT = 1001 };
    static const char *const rules[] = {
        "heat.heat_index_c = 25", "heat.heat_index_c = 28",
        "heat.heat_index_c = 31", "heat.heat_index_c = 34",
        "heat.heat_index_c = 37",
    };
    static signed char alone[NT];   /* the heat factor without humidity */
    cs_session s;
    cs_wave w;
    cs_tagged a;
    uint32_t x = 12345;
    long unknown = 0;

    (void)state;
    base(&s, &w);
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
        cs_tagger *shared = tagger(rules[r]);
        double thr = cs_tagger_rules(shared)->heat_index_c;
        for (int k = 0; k < NT; k++) {
            cs_tagger *fresh = tagger(rules[r]);
            s.temp_c = (k - 400) / 10.0;
            s.humidity_pct = NAN;
            cs_tag(fresh, &s, &w, &a);
            alone[k] = a.factor[CS_F_HEAT];
            unknown += alone[k] < 0;
            assert_true(isnan(a.heat_index_c));
            cs_tagger_free(fresh);
        }
        for (int i = 0; i < 20000; i++) {
            x = x * 1103515245u + 12345u;
            int k = (int)((x >> 8) % NT);
            s.temp_c = (k - 400) / 10.0;
            s.humidity_pct = (x >> 4) % 3 ? NAN : (double)((x >> 12) % 101);
            cs_tag(shared, &s, &w, &a);
            if (isnan(s.humidity_pct)) {
                assert_true(isnan(a.heat_index_c));
                assert_int_equal(a.factor[CS_F_HEAT], alone[k]);
            } else {
                double want = cs_heat_index_c(s.temp_c, s.humidity_pct);
                assert_memory_equal(&a.heat_index_c, &want, sizeof want);
                assert_int_equal(a.factor[CS_F_HEAT], want >= thr);
            }
        }
        cs_tagger_free(shared);
    }
    /* Each threshold leaves a band of temperatures undecided. */
    assert_true(unknown > 50);
    /* At 32 C: below 26 C nothing reaches it; above 40 C everything
     * does (at 40 C = 104 F and 0 %, Rothfusz: -42.379 + 213.09758
     * - 73.95797 = 96.76061 F, less the adjustment 3.25 * sqrt((17 - 9)
     * / 17) = 2.22948: 94.53113 F = 34.74 C, the lowest over 0-100 %; at
     * 25.9 C the highest is the simple formula at 100 %, 81.08 F =
     * 27.16 C). */
    cs_tagger *t32 = tagger(NULL);
    for (int k = -400; k <= 600; k++) {
        s.temp_c = k / 10.0;
        s.humidity_pct = NAN;
        cs_tag(t32, &s, &w, &a);
        if (k < 260)
            assert_int_equal(a.factor[CS_F_HEAT], 0);
        else if (k >= 400)
            assert_int_equal(a.factor[CS_F_HEAT], 1);
    }
    cs_tagger_free(t32);
}

/* The tagger's heat index must be cs_heat_index_c's own, bit for bit,
 * for every humidity and temperature: inline where neither adjustment
 * applies, the general way (through the table of temperatures)
 * otherwise. 3,600 temperatures (more than the table's ways, so that
 * sets evict all the time): every tenth of a degree from -40 to 60 C,
 * the temperatures whose degrees F are 80, 87 and 112 exactly (the
 * adjustments' edges) and 4 ulps either side, and 2,500 pseudo-random
 * ones; humidities every whole one from 0 to 100 (13 and 85 among them)
 * and some that are not whole: -0, NaN, just either side of 13 and 85,
 * 100.5, out of range. 400,000 sessions in a pseudo-random order, each
 * compared with the formula. */
static void test_tag_heat_index_bits(void **state)
{
    enum { NGRID = 1001, NEDGE = 3 * 9, NRAND = 2500,
           NT = NGRID + NEDGE + NRAND, NX = 11, NH = 101 + NX };
    static const double edge_f[3] = { 80, 87, 112 };
    static const double odd_rh[NX] = {
        -0.0, NAN, 12.999999, 13.000001, 84.999999, 85.000001, 0.5,
        100.5, -1, 1e300, INFINITY
    };
    static double temp[NT];
    double rh[NH];
    cs_tagger *t = tagger(NULL);
    double thr = cs_tagger_rules(t)->heat_index_c;
    cs_session s;
    cs_wave w;
    cs_tagged o;
    uint32_t x = 777;
    size_t n = 0;

    (void)state;
    base(&s, &w);
    for (int k = 0; k < NGRID; k++)
        temp[n++] = (k - 400) / 10.0;
    for (int e = 0; e < 3; e++) {
        /* The double nearest (F - 32) * 5 / 9 whose degrees F are F
         * exactly (26.666666666666668, 30.555555555555557,
         * 44.444444444444443), and its neighbours. */
        double c = (edge_f[e] - 32) * 5 / 9;
        int k = 0;
        while (c * 9.0 / 5.0 + 32.0 != edge_f[e] && k++ < 64)
            c = nextafter(c, -INFINITY);
        assert_true(c * 9.0 / 5.0 + 32.0 == edge_f[e]);
        for (int j = 0; j < 4; j++)
            c = nextafter(c, -INFINITY);
        for (int j = 0; j < 9; j++, c = nextafter(c, INFINITY))
            temp[n++] = c;
    }
    for (int k = 0; k < NRAND; k++) {
        x = x * 1103515245u + 12345u;
        temp[n++] = -30.0 + (x >> 8) % 8000000 / 100000.0;   /* to 50 C */
    }
    assert_int_equal(n, NT);
    for (int h = 0; h <= 100; h++)
        rh[h] = h;
    memcpy(rh + 101, odd_rh, sizeof odd_rh);

    for (long i = 0; i < 400000; i++) {
        double want;
        x = x * 1103515245u + 12345u;
        /* Half the sessions among 40 temperatures, which stay in their
         * sets; the rest across all, so that sets evict. */
        s.temp_c = temp[(x >> 4) & 1 ? (x >> 8) % NT : (x >> 8) % 40 * 25];
        x = x * 1103515245u + 12345u;
        s.humidity_pct = rh[(x >> 8) % NH];
        cs_tag(t, &s, &w, &o);
        want = cs_heat_index_c(s.temp_c, s.humidity_pct);
        assert_memory_equal(&o.heat_index_c, &want, sizeof want);
        if (!isnan(want))
            assert_int_equal(o.factor[CS_F_HEAT], want >= thr);
    }
    cs_tagger_free(t);
}

/* The heat factor without humidity, as the tagger decided it before it
 * first tried bounds of the heat index's two pieces: the extremes over
 * every 0.1 % of humidity, the adjustments' edges, the switch to the
 * regression and the vertices (tag.c's heat_range and heat_extra_rh as
 * they were). */
static void heat_grid(double temp_c, double *lo, double *hi)
{
    static const double breaks[] = { 12.999999, 13, 85, 85.000001 };
    double t = temp_c * 9.0 / 5.0 + 32.0;
    double sw = (170.3 - 2.1 * t) / 0.047;
    double a = -0.05481717 + 0.00085282 * t - 0.00000199 * t * t;
    double b = 10.14333127 - 0.22475541 * t + 0.00122874 * t * t;
    double rh[1001 + 4 + 5];
    size_t n = 0;

    for (int k = 0; k <= 1000; k++)
        rh[n++] = k / 10.0;
    for (size_t k = 0; k < 4; k++)
        rh[n++] = breaks[k];
    {
        double cand[5];
        size_t m = 0;
        cand[m++] = sw * (1 - 1e-12) - 1e-12;
        cand[m++] = sw * (1 + 1e-12) + 1e-12;
        if (a != 0) {
            cand[m++] = -b / (2 * a);
            if (t >= 80 && t <= 112)
                cand[m++] = -(b + sqrt((17 - fabs(t - 95)) / 17) / 4) / (2 * a);
            if (t >= 80 && t <= 87)
                cand[m++] = -(b + (87 - t) / 50) / (2 * a);
        }
        for (size_t k = 0; k < m; k++)
            if (cand[k] >= 0 && cand[k] <= 100)
                rh[n++] = cand[k];
    }
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t k = 0; k < n; k++) {
        double v = cs_heat_index_c(temp_c, rh[k]);
        *lo = v < *lo ? v : *lo;
        *hi = v > *hi ? v : *hi;
    }
}

/* The factor for sessions without humidity against the grid's verdict,
 * for temperatures from -45 C to 65 C every 0.05 C (and the edges of the
 * adjustments, 80, 87 and 112 F, and their neighbours), at thresholds on
 * and next to the grid's least and greatest value, where bounds that
 * were too tight or a margin on the wrong side would show. */
static void test_tag_heat_bound(void **state)
{
    cs_session s;
    cs_wave w;
    cs_tagged o;
    cs_rules r;
    long decided[3] = { 0, 0, 0 };

    (void)state;
    base(&s, &w);
    cs_rules_default(&r);
    for (int k = -1; k <= 2200 + 6; k++) {
        static const double edge_f[] = { 80, 87, 112 };
        double tc, lo, hi;
        if (k < 0)
            tc = 0;
        else if (k <= 2200)
            tc = -45 + k / 20.0;
        else
            tc = ((edge_f[(k - 2201) / 2] - 32) * 5 / 9);
        if (k > 2200 && (k - 2201) % 2)
            tc = nextafter(tc, k % 4 ? INFINITY : -INFINITY);
        heat_grid(tc, &lo, &hi);
        double thr[] = {
            lo, nextafter(lo, -INFINITY), nextafter(lo, INFINITY),
            hi, nextafter(hi, -INFINITY), nextafter(hi, INFINITY),
            lo - 1e-7, hi + 1e-7, lo - 0.01, hi + 0.01, (lo + hi) / 2,
            32, -60, 150,
        };
        for (size_t i = 0; i < sizeof thr / sizeof thr[0]; i++) {
            cs_tagger *t;
            int want = lo >= thr[i] ? 1 : hi < thr[i] ? 0 : -1;
            r.heat_index_c = thr[i];
            assert_int_equal(cs_tagger_create(&t, &r), CS_OK);
            s.temp_c = tc;
            s.humidity_pct = NAN;
            cs_tag(t, &s, &w, &o);
            if (o.factor[CS_F_HEAT] != want)
                print_error("%.17g C, threshold %.17g: %d, the grid %d\n",
                            tc, thr[i], o.factor[CS_F_HEAT], want);
            assert_int_equal(o.factor[CS_F_HEAT], want);
            decided[want + 1]++;
            cs_tagger_free(t);
        }
    }
    assert_true(decided[0] > 1000 && decided[1] > 1000 && decided[2] > 1000);
}

/* ---- derived values -------------------------------------------------- */

static const struct {
    const char *name, *edits;
    double height_cm, weight_kg, exposure_h, fluid_ml_per_h;
    double goal, bmr, tdee;
    long target;
    int below, band;
} derived[] = {
    /* F 30, 5 ft 6 in = 66 in * 2.54 = 167.64 cm; 150 lb * 0.45359237 =
     * 68.0388555 kg; BMR = 680.388555 + 1047.75 - 150 - 161 =
     * 1417.138555; moderate: * 1.55 = 2196.56476025; goal 0: 2197 kcal,
     * not below 1200. 60 min = 1 h, 500 ml/h. */
    { "base", "", 167.64, 68.0388555, 1, 500, 0, 1417.138555,
      2196.56476025, 2197, 0, CS_AGE_30_44 },
    /* M 17, 6 ft 0 in = 182.88 cm; 200 lb = 90.718474 kg; BMR =
     * 907.18474 + 1143 - 85 + 5 = 1970.18474; sedentary: * 1.2 =
     * 2364.221688; lose 2 lb/week: - 2 * 3500 / 7 = - 1000, 1364.22 ->
     * 1364 kcal, below 1500. 45 min = 0.75 h; 300 ml / 0.75 h = 400. */
    { "M 17 losing", "sex=M age=17 ft=6 in=0 lb=200 act=sedentary goal=-2 "
      "dur=45 fluid=300", 182.88, 90.718474, 0.75, 400, -2, 1970.18474,
      2364.221688, 1364, 1, CS_AGE_10_17 },
    /* F 61, 4 ft 11 in = 59 in = 149.86 cm; 110 lb = 49.8951607 kg;
     * BMR = 498.951607 + 936.625 - 305 - 161 = 969.576607; light:
     * * 1.375 = 1333.167834625; lose 1 lb/week: - 500 -> 833.17 -> 833,
     * below 1200. 90 min = 1.5 h; 450 ml / 1.5 h = 300. */
    { "F 61 light", "age=61 ft=4 in=11 lb=110 act=light goal=-1 dur=90 "
      "fluid=450", 149.86, 49.8951607, 1.5, 300, -1, 969.576607,
      1333.167834625, 833, 1, CS_AGE_60P },
    /* M 45, 5 ft 10 in = 70 in = 177.8 cm; 180.5 lb * 0.45359237 =
     * 81.6466266 + 0.226796185 = 81.873422785 kg; BMR = 818.73422785
     * + 1111.25 - 225 + 5 = 1709.98422785; very active: * 1.9 =
     * 3248.970032915; gain 1.5 lb/week: + 750 -> 3998.97 -> 3999.
     * 30 min; fluid NA. */
    { "M 45 gaining", "sex=M age=45 ft=5 in=10 lb=180.5 act=very_active "
      "goal=1.5 dur=30 fluid=NA", 177.8, 81.873422785, 0.5, NAN, 1.5,
      1709.98422785, 3248.970032915, 3999, 0, CS_AGE_45_59 },
    /* F 29, 5 ft 0 in = 152.4 cm; 100 lb = 45.359237 kg; BMR =
     * 453.59237 + 952.5 - 145 - 161 = 1100.09237; active: * 1.725 =
     * 1897.65933825; lose 2 lb/week: 897.66 -> 898, below 1200.
     * 12 min = 0.2 h; 100 ml / 0.2 h = 500. */
    { "F 29 active", "age=29 ft=5 in=0 lb=100 act=active goal=-2 dur=12 "
      "fluid=100", 152.4, 45.359237, 0.2, 500, -2, 1100.09237,
      1897.65933825, 898, 1, CS_AGE_18_29 },
};

/* The base session and wave with edits applied, tagged by t into o;
 * name, when not NULL, is printed first. */
static void tag_edited(cs_tagger *t, const char *name, const char *edits,
                       cs_tagged *o)
{
    cs_session s;
    cs_wave w;

    if (name)
        print_message("case %s\n", name);
    base(&s, &w);
    apply(&s, &w, edits);
    cs_tag(t, &s, &w, o);
}

static void test_tag_derived(void **state)
{
    cs_tagger *t = tagger(NULL);

    (void)state;
    for (size_t i = 0; i < sizeof derived / sizeof derived[0]; i++) {
        cs_tagged o;
        tag_edited(t, derived[i].name, derived[i].edits, &o);
        assert_near(o.height_cm, derived[i].height_cm, 1e-9);
        assert_near(o.weight_kg, derived[i].weight_kg, 1e-9);
        assert_near(o.exposure_h, derived[i].exposure_h, 1e-12);
        if (isnan(derived[i].fluid_ml_per_h))
            assert_true(isnan(o.fluid_ml_per_h));
        else
            assert_near(o.fluid_ml_per_h, derived[i].fluid_ml_per_h, 1e-9);
        assert_near(o.goal_lb_week, derived[i].goal, 0);
        assert_near(o.bmr_kcal, derived[i].bmr, 1e-8);
        assert_near(o.tdee_kcal, derived[i].tdee, 1e-7);
        assert_int_equal(o.target_kcal, derived[i].target);
        assert_int_equal(o.below_safe_min, derived[i].below);
        assert_int_equal(o.age_band, derived[i].band);
    }
    cs_tagger_free(t);
}

/* The fluid rate of very short sessions: kept below 10^17 ml/h, missing
 * from there on (and where the division overflows or is 0/0), so that tag
 * writes it as a plain decimal or not at all. Rates by hand: 500 ml over
 * 10^-12 min is 500 * 60 * 10^12 = 3e16 ml/h; over 10^-13 min, 3e17. */
static void test_tag_fluid_rate_bounds(void **state)
{
    static const struct { const char *edits; double want; } c[] = {
        { "dur=0.000000000001 fluid=500", 3e16 },
        { "dur=0.0000000000001 fluid=500", NAN },
        { "dur=0.0000000000001 fluid=0", 0 },
        { "dur=1e-320 fluid=500", NAN },     /* overflows to inf */
        { "dur=1e-320 fluid=0", 0 },
        { "dur=1e-330 fluid=0", NAN },       /* exposure 0: 0/0 */
        { "dur=60 fluid=10000", 10000 },
    };
    cs_tagger *t = tagger(NULL);

    (void)state;
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        cs_tagged o;
        tag_edited(t, c[i].edits, c[i].edits, &o);
        if (isnan(c[i].want))
            assert_true(isnan(o.fluid_ml_per_h));
        else
            assert_true(fabs(o.fluid_ml_per_h - c[i].want) <=
                        1e-15 * c[i].want);
    }
    cs_tagger_free(t);
}

/* Dehydration at exactly the limit with durations in tenths of a minute:
 * k tenths with 2k/3 ml (k a multiple of 3) is 400 ml/h exactly, by
 * integer arithmetic, so never below the limit; a millilitre less is
 * below it. As doubles, 400 * 32.7 exceeds 218 * 60 by a rounding, which
 * made 71 of these 900 sessions dehydrated. */
static void test_tag_dehydration_ties(void **state)
{
    cs_tagger *t = tagger(NULL);
    int checked = 0;

    (void)state;
    for (int k = 300; k < 3000; k += 3) {
        char edits[64];
        cs_tagged o;
        snprintf(edits, sizeof edits, "dur=%d.%d fluid=%d", k / 10, k % 10,
                 2 * k / 3);
        tag_edited(t, NULL, edits, &o);
        if (o.factor[CS_F_DEHYDRATION] != 0)
            fail_msg("%s: dehydration %d at exactly 400 ml/h", edits,
                     o.factor[CS_F_DEHYDRATION]);
        snprintf(edits, sizeof edits, "dur=%d.%d fluid=%d", k / 10, k % 10,
                 2 * k / 3 - 1);
        tag_edited(t, NULL, edits, &o);
        if (o.factor[CS_F_DEHYDRATION] != 1)
            fail_msg("%s: dehydration %d a millilitre under 400 ml/h", edits,
                     o.factor[CS_F_DEHYDRATION]);
        checked++;
    }
    assert_int_equal(checked, 900);
    cs_tagger_free(t);
}

/* Heat index in the output: missing when either input is. */
static void test_tag_heat_index_value(void **state)
{
    cs_tagger *t = tagger(NULL);
    cs_session s;
    cs_wave w;
    cs_tagged o;

    (void)state;
    base(&s, &w);
    cs_tag(t, &s, &w, &o);
    /* 66.85 F -> (66.85 - 32) * 5 / 9 = 19.36111 C */
    assert_near(o.heat_index_c, 19.361111111111111, 1e-9);
    apply(&s, &w, "temp=33 hum=30.1");
    cs_tag(t, &s, &w, &o);
    assert_near(o.heat_index_c, 32.01400841967566, 1e-9);
    apply(&s, &w, "hum=NA");
    cs_tag(t, &s, &w, &o);
    assert_true(isnan(o.heat_index_c));
    apply(&s, &w, "hum=50 temp=NA");
    cs_tag(t, &s, &w, &o);
    assert_true(isnan(o.heat_index_c));
    cs_tagger_free(t);
}

/* No rules: the defaults. */
static void test_tag_null_rules(void **state)
{
    cs_tagger *t = NULL;
    cs_rules d;
    cs_buf a, b;

    (void)state;
    cs_rules_default(&d);
    cs_buf_init(&a, 0);
    cs_buf_init(&b, 0);
    assert_int_equal(cs_tagger_create(&t, NULL), CS_OK);
    /* Compared through the fingerprint: the structs' padding differs. */
    assert_int_equal(cs_rules_fingerprint(cs_tagger_rules(t), &a), CS_OK);
    assert_int_equal(cs_rules_fingerprint(&d, &b), CS_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.ptr, b.ptr, a.len);
    cs_buf_dispose(&a);
    cs_buf_dispose(&b);
    cs_tagger_free(t);
    cs_tagger_free(NULL);
}

/* ---- names and cs_tag_value ------------------------------------------ */

static void test_tag_names(void **state)
{
    static const char *const want[CS_F_N] = {
        "fatigue", "tightness", "heat", "dehydration", "electrolyte",
        "medical", "medical_disc_injury", "medical_parkinsons",
        "medical_multiple_sclerosis", "medical_cerebral_palsy",
        "medical_thyroid_disease", "medical_kidney_disease",
        "medical_alcoholism", "medical_pregnancy"
    };

    (void)state;
    for (int f = 0; f < CS_F_N; f++) {
        assert_string_equal(cs_factor_name(f), want[f]);
        assert_true(cs_tag_is_own_column((cs_str){ want[f], strlen(want[f]) }));
    }
    assert_null(cs_factor_name(-1));
    assert_null(cs_factor_name(CS_F_N));
    assert_true(cs_tag_is_own_column(CS_STR("outcome")));
    assert_true(cs_tag_is_own_column(CS_STR("Target_Kcal")));
    assert_true(cs_tag_is_own_column(CS_STR("age_band")));
    assert_false(cs_tag_is_own_column(CS_STR("sex")));
    assert_false(cs_tag_is_own_column(CS_STR("duration_min")));
    /* The columns cs_tag_value gives: categories, flags, the factors;
     * not numbers of tag's output such as temp_c or target_kcal. */
    assert_true(cs_tag_has_value("medical_pregnancy"));
    assert_true(cs_tag_has_value("SEX"));
    assert_true(cs_tag_has_value("participant_id"));
    assert_true(cs_tag_has_value("activity"));
    assert_true(cs_tag_has_value("below_safe_min"));
    assert_false(cs_tag_has_value("temp_c"));
    assert_false(cs_tag_has_value("target_kcal"));
    assert_false(cs_tag_has_value(""));
}

static const struct {
    const char *column, *edits, *want;   /* want NULL: not supported */
} values[] = {
    { "sex", "", "F" },
    { "sex", "sex=M", "M" },
    { "age_band", "age=45", "45-59" },
    { "AGE_BAND", "age=18", "18-29" },
    { "age_years", "age=61", "61" },
    { "activity_level", "act=very_active", "very_active" },
    { "conditioning", "cond=trained", "trained" },
    { "seasonal_sport", "seasonal=yes", "yes" },
    { "stretch_routine", "", "no" },
    { "stretched", "stretched=NA", "" },
    { "stretched", "stretched=no", "no" },
    { "cramp", "cramp=yes muscle=calf", "yes" },
    { "cramp_muscle", "cramp=yes muscle=calf", "calf" },
    { "cramp_muscle", "", "" },
    { "intensity_rpe", "rpe=8", "8" },
    { "fatigue", "seasonal=yes rpe=7", "1" },
    { "fatigue", "", "0" },
    { "tightness", "stretched=NA warmup=3", "" },
    { "medical_pregnancy", "conditions=NA sex=M", "0" },
    { "outcome", "cramp=yes muscle=NA", "" },
    { "outcome", "cramp=yes muscle=hamstring", "1" },
    { "below_safe_min", "lb=100 ft=5 in=0 age=29 act=active goal=-2", "1" },
    { "activity", "", "cycling" },
    { "participant_id", "", "P77" },
    { "duration_min", "", NULL },
    { "target_kcal", "", NULL },
    { "no_such_column", "", NULL },
};

/* A cs_str initializer that is a constant expression (CS_STR is a
 * compound literal, which static tables cannot hold). */
#define SL(lit) { (lit), sizeof(lit) - 1 }

static void test_tag_value(void **state)
{
    /* A header and a record for the columns taken from the record as
     * written (activity, participant_id), with spaces to be trimmed. */
    static const cs_str hdr[] = {
        SL("participant_id"), SL("session_id"), SL("start_time"),
        SL("activity"), SL("duration_min"), SL("intensity_rpe"),
        SL("cramp")
    };
    static const cs_str row[] = {
        SL(" P77"), SL("S1"), SL("2024-03-01"),
        SL("cycling "), SL("60"), SL("5"), SL("no")
    };
    const cs_record h = { hdr, 7, 1, 1, 1, { NULL, 0 }, 0, 0, 0, 0, 0 };
    const cs_record rec = { row, 7, 2, 2, 2, { NULL, 0 }, 0, 0, 0, 0, 0 };
    cs_schema *ex = NULL;
    cs_error err = {0};
    cs_tagger *t = tagger(NULL);

    (void)state;
    assert_int_equal(cs_schema_create(&ex, CS_SCHEMA_EXERCISE, "t.csv", &h,
                                      &err), CS_OK);
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        cs_session s;
        cs_wave w;
        cs_tagged o;
        cs_str v = { NULL, 0 };
        char buf[32];
        int rc;
        print_message("case %s %s\n", values[i].column, values[i].edits);
        base(&s, &w);
        apply(&s, &w, values[i].edits);
        cs_tag(t, &s, &w, &o);
        rc = cs_tag_value(&v, buf, sizeof buf, values[i].column, ex, &rec,
                          &s, &w, &o);
        if (!values[i].want) {
            assert_int_equal(rc, -1);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(v.len, strlen(values[i].want));
        assert_memory_equal(v.ptr, values[i].want, v.len);
    }
    cs_schema_free(ex);
    cs_tagger_free(t);
}

/* ---- the writer and the formatting of tag's and join's cells -------- */

/* What a writer wrote, read back from its temporary file into b. */
static cs_writer *open_tmp(FILE **f, const cs_write_opts *o)
{
    cs_writer *w = NULL;
    cs_error err = {0};

    *f = tmpfile();
    assert_non_null(*f);
    assert_int_equal(cs_writer_open_fd(&w, fileno(*f), "tmp", o, &err), CS_OK);
    return w;
}

static void close_tmp(FILE *f, cs_writer *w, cs_buf *b)
{
    cs_error err = {0};
    char chunk[4096];
    size_t n;

    assert_int_equal(cs_writer_close(w, &err), CS_OK);
    rewind(f);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        assert_int_equal(cs_buf_append(b, chunk, n), CS_OK);
    fclose(f);
}

/* The writer as it was before its fast paths, one byte at a time: the
 * reference the inline paths must match byte for byte. */
typedef struct ref_writer {
    cs_buf *b;
    cs_write_opts o;
    int first;
} ref_writer;

static void ref_putc(ref_writer *r, char c)
{
    assert_int_equal(cs_buf_putc(r->b, c), CS_OK);
}

static void ref_sep(ref_writer *r)
{
    if (!r->first)
        ref_putc(r, r->o.sep);
    r->first = 0;
}

static void ref_plain(ref_writer *r, const char *p, size_t n)
{
    ref_sep(r);
    assert_int_equal(cs_buf_append(r->b, p, n), CS_OK);
}

static void ref_field(ref_writer *r, const char *p, size_t n)
{
    int quote = 0;

    ref_sep(r);
    if (r->o.safe_csv && n > 0 &&
        (p[0] == '=' || p[0] == '+' || p[0] == '-' || p[0] == '@')) {
        int num = n > 1;
        for (size_t i = 1; i < n && num; i++)
            num = (p[i] >= '0' && p[i] <= '9') || p[i] == '.';
        if (!num || p[0] == '=' || p[0] == '@') {
            if (r->o.sep == '\t') {
                ref_putc(r, '\'');
            } else {
                ref_putc(r, '"');
                ref_putc(r, '\'');
                quote = 2;
            }
        }
    }
    if (r->o.sep == '\t') {
        for (size_t i = 0; i < n; i++) {
            char c = p[i];
            ref_putc(r, c == '\t' || c == '\n' || c == '\r' ? ' ' : c);
        }
        return;
    }
    for (size_t i = 0; i < n && quote != 2; i++)
        if (p[i] == ',' || p[i] == '"' || p[i] == '\n' || p[i] == '\r')
            quote = 1;
    if (quote == 1)
        ref_putc(r, '"');
    for (size_t i = 0; i < n; i++) {
        if (quote && p[i] == '"')
            ref_putc(r, '"');
        ref_putc(r, p[i]);
    }
    if (quote)
        ref_putc(r, '"');
}

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random operations (fields with every byte that matters at every
 * position, plain cells, cells in place, raw bytes, row ends, now and then
 * a field larger than the buffer) through the writer and the reference,
 * for CSV and TSV, with and without --safe-csv. The output is several
 * times the buffer, so every fast path also meets a full buffer. */
static void test_writer_reference(void **state)
{
    static const char alphabet[] = "ab1.9 ,\"\n\r\t=+-@";
    static const char sep[2] = { ',', '\t' };
    static char big[70000];

    (void)state;
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = alphabet[rng() % (sizeof alphabet - 1)];
    for (int mode = 0; mode < 4; mode++) {
        cs_write_opts o = { sep[mode & 1], mode >> 1 };
        cs_buf want, got;
        ref_writer r;
        FILE *f;
        cs_writer *w = open_tmp(&f, &o);

        cs_buf_init(&want, 0);
        cs_buf_init(&got, 0);
        r = (ref_writer){ &want, o, 1 };
        for (int op = 0; op < 60000; op++) {
            char t[80];
            size_t n = (size_t)(rng() % 40), k = (size_t)(rng() % 5);
            for (size_t i = 0; i < n; i++)
                t[i] = alphabet[rng() % (k == 0 ? sizeof alphabet - 1 : 6)];
            switch (rng() % 8) {
            case 0:
            case 1:
            case 2:
                cs_writer_field(w, t, n);
                ref_field(&r, t, n);
                break;
            case 3:
                cs_writer_plain(w, t, n);
                ref_plain(&r, t, n);
                break;
            case 4: {
                /* Two cells in place, as cs_tag_write writes them. */
                char *d = cs_writer_cells_begin(w, 2 * sizeof t + 1);
                memcpy(d, t, n);
                d[n] = cs_writer_separator(w);
                memcpy(d + n + 1, t, n / 2);
                cs_writer_cells_end(w, d + n + 1 + n / 2);
                ref_plain(&r, t, n);
                ref_plain(&r, t, n / 2);
                break;
            }
            case 5:
                cs_writer_cells(w, t, n);
                ref_plain(&r, t, n);
                break;
            case 6:
                cs_writer_end_row(w);
                ref_putc(&r, '\n');
                r.first = 1;
                break;
            default:
                if (rng() % 500 == 0) {
                    size_t len = (size_t)(rng() % sizeof big);
                    cs_writer_field(w, big, len);
                    ref_field(&r, big, len);
                } else {
                    cs_writer_raw(w, t, n);
                    assert_int_equal(cs_buf_append(&want, t, n), CS_OK);
                }
            }
        }
        close_tmp(f, w, &got);
        assert_true(want.len > 4 * CS_WRITER_BUF);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.ptr, want.ptr, want.len);
        cs_buf_dispose(&want);
        cs_buf_dispose(&got);
    }
}

static void test_writer_numbers(void **state)
{
    static const uint64_t v[] = {
        0, 9, 10, 99, 100, 999, 1000, 9999, 10000, 99999, 100000, 123456789,
        999999999, 1000000000, 4294967295ULL, 4294967296ULL,
        10000000000000ULL, 18446744073709551615ULL
    };
    char a[32], b[32];

    (void)state;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char *e = cs_fmt_u64(b, v[i]);
        int n = snprintf(a, sizeof a, "%llu", (unsigned long long)v[i]);
        assert_int_equal(e - b, n);
        assert_memory_equal(a, b, (size_t)n);
    }
    for (int i = 0; i < 100000; i++) {
        uint32_t x = (uint32_t)(rng() % 1000000000U);
        snprintf(a, sizeof a, "%09u", (unsigned)x);
        cs_fmt_9digits(b, x);
        assert_memory_equal(a, b, 9);
    }
}

/* cs_tag_write's cells for values picked to reach every branch of the
 * formatting: 9 decimals with trailing zeros stripped, rounding half away
 * from zero, a rounded negative zero without its sign, NaN empty, 1e9 and
 * above printed as the shortest round trip; unknown flags empty. */
static void test_tag_write_cells(void **state)
{
    cs_tagged t;
    cs_buf b;
    FILE *f;
    cs_writer *w;
    const char *want =
        "x,157.48,62.051436216,0.55,,-1.5,0.000000002,-0.000000001,0,"
        "-1234,1,,1,,0,1,0,1,0,0,0,0,0,0,0,1,\n"
        "x,1000000000,1e+20,-999999999.999999872,0.333333333,1,0,1.5,"
        "12345.000000001,9223372036854775807,0,60+,,,,,,,,,,,,,,,1\n";

    (void)state;
    memset(&t, 0, sizeof t);
    t.height_cm = 157.48;
    t.weight_kg = 62.051436216;
    t.exposure_h = 0.55;
    t.heat_index_c = NAN;
    t.fluid_ml_per_h = -1.5;
    t.goal_lb_week = 1.5e-9;      /* times 1e9 is exactly 1.5: up to 2 */
    t.bmr_kcal = -1.4e-9;
    t.tdee_kcal = -0.4e-9;        /* rounds to 0: no "-0" */
    t.target_kcal = -1234;
    t.below_safe_min = 1;
    t.age_band = -1;              /* under 10: no band */
    for (int i = 0; i < CS_F_N; i++)
        t.factor[i] = (signed char)(i % 3 == 0 ? 1 : i % 3 == 1 ? -1 : 0);
    for (int i = 6; i < CS_F_N; i++)
        t.factor[i] = (signed char)(i == CS_F_N - 1);
    t.factor[3] = 1;
    t.factor[4] = 0;
    t.factor[5] = 1;
    t.outcome = -1;
    cs_buf_init(&b, 0);
    w = open_tmp(&f, NULL);
    cs_writer_cstr(w, "x");
    cs_tag_write(w, &t);
    cs_writer_end_row(w);
    t.height_cm = 1e9;
    t.weight_kg = 1e20;
    t.exposure_h = -999999999.99999988;   /* 10^9 times: ...999872 */
    t.heat_index_c = 1.0 / 3;
    t.fluid_ml_per_h = 1;
    t.goal_lb_week = -0.0;
    t.bmr_kcal = 1.5;
    t.tdee_kcal = 12345.0000000005;       /* 10^9 times: ...000.5 */
    t.target_kcal = 9223372036854775807L;
    t.below_safe_min = 0;
    t.age_band = CS_AGE_60P;
    for (int i = 0; i < CS_F_N; i++)
        t.factor[i] = -1;
    t.outcome = 1;
    cs_writer_cstr(w, "x");
    cs_tag_write(w, &t);
    cs_writer_end_row(w);
    close_tmp(f, w, &b);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.ptr, want, b.len);
    cs_buf_dispose(&b);
}

/* The session's four factors written from the table made once (comma
 * writers) give the cells written one at a time (any other separator),
 * for every value each takes. */
static void test_tag_write_session_factors(void **state)
{
    cs_write_opts tsv = { '\t', 0 };
    cs_tagged t;
    cs_tag_text wa, wb;
    cs_buf a, b;
    FILE *fa, *fb;
    cs_writer *w1, *w2;

    (void)state;
    memset(&t, 0, sizeof t);
    t.height_cm = 165.1;
    t.weight_kg = 70;
    t.exposure_h = 0.75;
    t.heat_index_c = 20.5;
    t.fluid_ml_per_h = 400;
    t.age_band = CS_AGE_30_44;
    cs_buf_init(&a, 0);
    cs_buf_init(&b, 0);
    w1 = open_tmp(&fa, NULL);
    w2 = open_tmp(&fb, &tsv);
    for (int k = 0; k < 81 * 3; k++) {
        for (int j = 0, x = k; j < CS_F_ELECTROLYTE; j++, x /= 3)
            t.factor[j] = (signed char)(x % 3 - 1);
        t.outcome = (signed char)(k / 81 - 1);
        for (int j = CS_F_ELECTROLYTE; j < CS_F_N; j++)
            t.factor[j] = (signed char)((k + j) % 3 - 1);
        cs_tag_wave_text(&wa, &t, ',');
        cs_tag_wave_text(&wb, &t, '\t');
        cs_tag_write_text(w1, &t, &wa);
        cs_writer_end_row(w1);
        cs_tag_write_text(w2, &t, &wb);
        cs_writer_end_row(w2);
    }
    close_tmp(fa, w1, &a);
    close_tmp(fb, w2, &b);
    for (size_t i = 0; i < b.len; i++)
        if (b.ptr[i] == '\t')
            b.ptr[i] = ',';
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.ptr, b.ptr, a.len);
    /* And one row by hand: fatigue 1, tightness unknown, heat 0,
     * dehydration 1. */
    assert_non_null(strstr(a.ptr, ",30-44,1,,0,1,"));
    cs_buf_dispose(&a);
    cs_buf_dispose(&b);
}

/* The wave's cells formatted once (cs_tag_wave_text) and a row written
 * with them give what cs_tag_write gives, for sessions that differ in
 * every session value, and also when the text was made for another
 * separator (it is made again then). */
static void test_tag_write_text(void **state)
{
    static const double sess[][3] = {
        { 0.55, NAN, -1.5 }, { 1.0 / 3, 31.25, 400 }, { 24, -3.5e-10, 1e12 },
    };
    cs_tagged t;
    cs_tag_text wt, other;
    cs_buf a, b;
    FILE *fa, *fb;
    cs_writer *wa, *wb;

    (void)state;
    memset(&t, 0, sizeof t);
    t.height_cm = 157.48;
    t.weight_kg = 62.051436216;
    t.goal_lb_week = -0.5;
    t.bmr_kcal = 1372.0312;
    t.tdee_kcal = 1886.54290000001;
    t.target_kcal = 1637;
    t.below_safe_min = 0;
    t.age_band = CS_AGE_60P;
    cs_tag_wave_text(&wt, &t, ',');
    cs_tag_wave_text(&other, &t, ';');
    cs_buf_init(&a, 0);
    cs_buf_init(&b, 0);
    wa = open_tmp(&fa, NULL);
    wb = open_tmp(&fb, NULL);
    for (size_t i = 0; i < sizeof sess / sizeof sess[0]; i++)
        for (int k = 0; k < 2; k++) {
            t.exposure_h = sess[i][0];
            t.heat_index_c = sess[i][1];
            t.fluid_ml_per_h = sess[i][2];
            for (int f = 0; f < CS_F_N; f++)
                t.factor[f] = (signed char)((int)(f + i) % 3 - 1);
            t.outcome = (signed char)((int)i % 3 - 1);
            cs_writer_cstr(wa, "x");
            cs_tag_write_text(wa, &t, k ? &other : &wt);
            cs_writer_end_row(wa);
            cs_writer_cstr(wb, "x");
            cs_tag_write(wb, &t);
            cs_writer_end_row(wb);
        }
    close_tmp(fa, wa, &a);
    close_tmp(fb, wb, &b);
    assert_true(b.len > 6 * 60);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.ptr, b.ptr, b.len);
    /* The wave's text itself, by hand. */
    assert_int_equal(wt.alen, strlen("157.48,62.051436216"));
    assert_memory_equal(wt.a, "157.48,62.051436216", wt.alen);
    assert_int_equal(wt.blen, strlen("-0.5,1372.0312,1886.5429,1637,0"));
    assert_memory_equal(wt.b, "-0.5,1372.0312,1886.5429,1637,0", wt.blen);
    cs_buf_dispose(&a);
    cs_buf_dispose(&b);
}

/* The text fmt_d gives v, made another way: llround of |v| 10^9 in
 * integers and printf, trailing zeros off; cs_fmt_double from 10^9. */
static void fmt_d_want(char *out, double v)
{
    if (isnan(v)) {
        out[0] = '\0';
    } else if (!(fabs(v) < 1e9)) {
        cs_fmt_double(out, 40, v);
    } else {
        long long n = llround(fabs(v) * 1e9);
        int k = sprintf(out, "%s%lld", v < 0 && n ? "-" : "",
                        n / 1000000000LL);
        if (n % 1000000000LL) {
            k += sprintf(out + k, ".%09lld", n % 1000000000LL);
            while (out[k - 1] == '0')
                out[--k] = '\0';
        }
    }
}

/* Rows with heat_index_c and fluid_ml_per_h set to values of every size
 * and sign, rounding halves, carries into the integer part, -0, NaN and
 * 10^9 either side; each cell against fmt_d_want. */
static void test_tag_fmt_d(void **state)
{
    enum { N = 200000 };
    static const double fixed[] = {
        0, -0.0, 1, -1, 0.5, 1.5e-9, 2.5e-9, -2.5e-9, 4e-10, -4e-10, 5e-10,
        -5e-10, 0.9999999995, 0.99999999949, 9.9999999995, 99.9999999996,
        999999999.99999988, -999999999.99999988, 1e9, -1e9,
        999999999.99999994, -999999999.99999994, 1e20, 123456789.123456789,
        4503599.6270370496, 4503599.6270370497, 31.25, 400, 1193.406593407,
        12345.0000000005, 0.1, 0.25, 1e-9, 1e-10, 9999.5, 10000, 99999.9,
        NAN, INFINITY, -INFINITY, 1e300, 5e-324,
        /* fmt_e9's edges: 16 digits or 17 (10^7), every length of the
         * integer part and of the decimals, zeros inside both */
        9999999.999999999, 9999999.9999999995, 10000000, 10000000.000000001,
        -9999999.999999999, 1000000.000000001, 1234567.1, 7654321.000000009,
        100000.5, 10000.25, 1000.125, 100.0625, 10.03125, 1.015625,
        0.000000001, 0.00000001, 0.0000001, 0.000001, 0.00001, 0.0001,
        0.001, 0.01, 0.123456789, 0.1000000001, 0.10000001, 1.000000001,
        1.000000010, 1.00000010, 101.010101010, 2773.333333333, 10.807222222,
        2.943333333, 1000000, 100000, 1, 9, 99, 999, 9999999,
    };
    static double v[N];
    char want[64];
    cs_tagged t;
    cs_tag_text wt;
    cs_buf b;
    FILE *f;
    cs_writer *w;
    const char *p;

    (void)state;
    for (size_t i = 0; i < N; i++) {
        uint64_t x = rng();
        if (i < sizeof fixed / sizeof fixed[0]) {
            v[i] = fixed[i];
            continue;
        }
        switch (x % 6) {
        case 0:     /* any magnitude */
            v[i] = (double)(x >> 11) / 9007199254740992.0 *
                   pow(10, (double)((x >> 3) % 24) - 12);
            break;
        case 1:     /* halves of the ninth decimal */
            v[i] = ((double)(rng() % 2000000000000ULL) + 0.5) / 1e9;
            break;
        case 2:     /* fewer decimals */
            v[i] = (double)(rng() % 100000000ULL) /
                   pow(10, (double)((x >> 8) % 9));
            break;
        case 3:     /* next to an integer */
            v[i] = nextafter((double)(rng() % 10000),
                             (x >> 8) & 1 ? INFINITY : 0);
            break;
        case 4:     /* heat indices as the tagger makes them */
            v[i] = cs_heat_index_c((double)(rng() % 1000) / 10 - 40,
                                   (double)(rng() % 1001) / 10);
            break;
        default:    /* rates */
            v[i] = (double)(rng() % 5000) / ((double)(rng() % 1440 + 1) / 60);
        }
        if ((x >> 20) % 3 == 0)
            v[i] = -v[i];
    }
    memset(&t, 0, sizeof t);
    t.height_cm = t.weight_kg = t.exposure_h = NAN;
    t.goal_lb_week = t.bmr_kcal = t.tdee_kcal = NAN;
    cs_tag_wave_text(&wt, &t, ',');
    cs_buf_init(&b, 0);
    w = open_tmp(&f, NULL);
    for (size_t i = 0; i < N; i += 2) {
        t.heat_index_c = v[i];
        t.fluid_ml_per_h = v[i + 1];
        cs_tag_write_text(w, &t, &wt);
        cs_writer_end_row(w);
    }
    close_tmp(f, w, &b);
    p = b.ptr;
    for (size_t i = 0; i < N; i++) {
        const char *e;
        if (i % 2 == 0)
            p += 3;                             /* ",,," before heat */
        e = memchr(p, ',', b.len - (size_t)(p - b.ptr));
        assert_non_null(e);
        fmt_d_want(want, v[i]);
        if (strlen(want) != (size_t)(e - p) || memcmp(want, p, strlen(want)))
            print_error("%.17g: \"%.*s\", want \"%s\"\n", v[i],
                        (int)(e - p), p, want);
        assert_int_equal(strlen(want), (size_t)(e - p));
        assert_memory_equal(want, p, strlen(want));
        p = e + 1;
        if (i % 2)
            p = (const char *)memchr(p, '\n', b.len - (size_t)(p - b.ptr)) + 1;
    }
    assert_true(p == b.ptr + b.len);
    cs_buf_dispose(&b);
}

#ifdef __SSE2__
/* cs__sse2_text16 against printf: every value of each four-digit lane
 * (the lanes are worked on apart), with the other lanes' digits
 * random, both ways round, and random pairs. */
static void test_sse2_text16(void **state)
{
    char got[17], want[24];
    (void)state;

    for (uint32_t i = 0; i < 400000; i++) {
        uint32_t r = (uint32_t)(rng() % 100000000), a, b;
        switch (i % 4) {
        case 0: a = i / 8 % 10000 + r / 10000 * 10000; break;   /* low lane */
        case 1: a = i / 8 % 10000 * 10000 + r % 10000; break;   /* high */
        default: a = (uint32_t)(rng() % 100000000);
        }
        b = (uint32_t)(rng() % 100000000);
        if (i / 4 % 2) {    /* the same lanes of b */
            uint32_t x = a;
            a = b;
            b = x;
        }
        if (i < 4) {
            a = i & 1 ? 99999999 : 0;
            b = i & 2 ? 99999999 : 0;
        }
        _mm_storeu_si128((__m128i *)(void *)got, cs__sse2_text16(a, b));
        snprintf(want, sizeof want, "%08u%08u", (unsigned)a, (unsigned)b);
        if (memcmp(got, want, 16) != 0)
            print_error("%u %u: \"%.16s\", want \"%s\"\n", (unsigned)a,
                        (unsigned)b, got, want);
        assert_memory_equal(got, want, 16);
    }
}
#endif

/* age_band goes into the wave's text when no writer with its separator
 * could quote or neutralise it, and through cs_writer_field otherwise:
 * for every band and separators that occur in some of the names, each
 * way gives the row that writing the band as a field between the cells
 * gives. */
static void test_tag_write_band(void **state)
{
    static const char seps[] = { ',', '\t', ';', '-', '+', '1', '0', '6' };
    cs_tagged t;
    long inline_band = 0, field_band = 0;

    (void)state;
    memset(&t, 0, sizeof t);
    t.height_cm = t.weight_kg = t.exposure_h = NAN;
    t.heat_index_c = t.fluid_ml_per_h = NAN;
    t.goal_lb_week = t.bmr_kcal = t.tdee_kcal = NAN;
    t.target_kcal = 7;
    t.below_safe_min = -1;
    for (int f = 0; f < CS_F_N; f++)
        t.factor[f] = -1;
    t.outcome = -1;
    for (size_t si = 0; si < sizeof seps; si++)
        for (int safe = 0; safe < 2; safe++)
            for (int band = -1; band < CS_AGE_N; band++) {
                cs_write_opts o = { seps[si], safe };
                const char *name = cs_age_band_name(band);
                cs_tag_text wt;
                cs_buf got, want;
                FILE *f;
                cs_writer *w;
                char head[32];
                int k;

                t.age_band = band;
                cs_tag_wave_text(&wt, &t, seps[si]);
                inline_band += wt.bband != 0;
                field_band += wt.bband == 0;
                cs_buf_init(&got, 0);
                w = open_tmp(&f, &o);
                cs_tag_write(w, &t);
                cs_writer_end_row(w);
                close_tmp(f, w, &got);
                /* The ten cells before the band, all empty but
                 * target_kcal, the band as a field, fifteen empty. */
                cs_buf_init(&want, 0);
                w = open_tmp(&f, &o);
                for (int c = 0; c < 10; c++)
                    cs_writer_field(w, c == 8 ? "7" : "", c == 8);
                cs_writer_field(w, name ? name : "", name ? strlen(name) : 0);
                for (int c = 0; c < CS_F_N + 1; c++)
                    cs_writer_field(w, "", 0);
                cs_writer_end_row(w);
                close_tmp(f, w, &want);
                k = snprintf(head, sizeof head, "sep %d safe %d band %d",
                             seps[si], safe, band);
                assert_true(k > 0);
                if (got.len != want.len || memcmp(got.ptr, want.ptr, got.len))
                    print_error("%s: \"%.*s\", want \"%.*s\"\n", head,
                                (int)got.len, got.ptr, (int)want.len, want.ptr);
                assert_int_equal(got.len, want.len);
                assert_memory_equal(got.ptr, want.ptr, want.len);
                cs_buf_dispose(&got);
                cs_buf_dispose(&want);
            }
    assert_true(inline_band > 0 && field_band > 0);
}

/* exposure_h for every whole minute 0 to 1441 (tag.c keeps the text of
 * 1 to 1440), for the doubles next to each, and for hours outside the
 * table, against text made here by integer arithmetic: m / 60 h is
 * 10^9 m / 60 billionths, never within a sixth of a half from a whole
 * one, so rounding the exact quotient is rounding the double. */
static void expo_want(char *out, long long m)
{
    long long n = (m * 2000000000LL + 60) / 120;   /* half up: never a half */
    long long ip = n / 1000000000LL, fp = n % 1000000000LL;
    int k = sprintf(out, "%lld", ip);

    if (fp) {
        k += sprintf(out + k, ".%09lld", fp);
        while (out[k - 1] == '0')
            out[--k] = '\0';
    }
}

/* The exposure cell of a row written with cs_tag_write_text. */
static void expo_cell(double h, char *out, size_t cap)
{
    cs_tagged t;
    cs_tag_text wt;
    cs_buf b;
    FILE *f;
    cs_writer *w;
    const char *p, *q;

    memset(&t, 0, sizeof t);
    t.heat_index_c = t.fluid_ml_per_h = NAN;
    t.exposure_h = h;
    cs_tag_wave_text(&wt, &t, ',');
    cs_buf_init(&b, 0);
    w = open_tmp(&f, NULL);
    cs_tag_write_text(w, &t, &wt);
    cs_writer_end_row(w);
    close_tmp(f, w, &b);
    /* height_cm,weight_kg,exposure_h,... */
    p = memchr(b.ptr, ',', b.len);
    assert_non_null(p);
    p = memchr(p + 1, ',', b.len - (size_t)(p + 1 - b.ptr));
    assert_non_null(p);
    q = memchr(p + 1, ',', b.len - (size_t)(p + 1 - b.ptr));
    assert_non_null(q);
    assert_true((size_t)(q - p - 1) < cap);
    memcpy(out, p + 1, (size_t)(q - p - 1));
    out[q - p - 1] = '\0';
    cs_buf_dispose(&b);
}

static void test_tag_exposure_minutes(void **state)
{
    char got[64], want[64];
    (void)state;

    for (long long m = 0; m <= 1441; m++) {
        double h = (double)m / 60;
        expo_want(want, m);
        expo_cell(h, got, sizeof got);
        assert_string_equal(got, want);
        /* The doubles either side round to the same nine decimals but
         * are not the table's: fmt_d writes them. */
        expo_cell(nextafter(h, 100), got, sizeof got);
        assert_string_equal(got, want);
        if (m > 0) {
            expo_cell(nextafter(h, -100), got, sizeof got);
            assert_string_equal(got, want);
        }
    }
    expo_cell(24.5, got, sizeof got);           /* past the table */
    assert_string_equal(got, "24.5");
    expo_cell(-0.25, got, sizeof got);
    assert_string_equal(got, "-0.25");
    expo_cell(1.0 / 120, got, sizeof got);      /* half a minute */
    assert_string_equal(got, "0.008333333");
    expo_cell(NAN, got, sizeof got);
    assert_string_equal(got, "");
}

/* cs_join_format_wave as it was: cs_fmt_date and cs_fmt_double. */
static void ref_wave(cs_buf *b, const cs_wave *o)
{
    char t[48];
    int n;

    cs_fmt_date(t, sizeof t, o->day);
    cs_buf_append(b, t, 10);
    cs_buf_printf(b, ",%s,%d,%d,%d,", o->sex == CS_SEX_F ? "F" : "M",
                  o->age_years, o->height_ft, o->height_in);
    n = cs_fmt_double(t, sizeof t, o->weight_lb);
    cs_buf_append(b, t, (size_t)n);
    cs_buf_printf(b, ",%s,%s,%s,%s,", cs_activity_name(o->activity_level),
                  cs_conditioning_name(o->conditioning),
                  o->seasonal_sport ? "yes" : "no",
                  o->stretch_routine ? "yes" : "no");
    if (!o->conditions_known) {
        cs_buf_puts(b, "NA");
    } else {
        const char *sep = "";
        for (int m = 0; m < CS_MED_N; m++)
            if (o->conditions & (1u << m)) {
                cs_buf_printf(b, "%s%s", sep, cs_medical_name(m));
                sep = ";";
            }
    }
    n = cs_fmt_double(t, sizeof t, o->goal_lb_week);
    cs_buf_putc(b, ',');
    cs_buf_append(b, t, (size_t)n);
    n = cs_fmt_double(t, sizeof t, o->calcium_mg);
    cs_buf_putc(b, ',');
    cs_buf_append(b, t, (size_t)n);
    n = cs_fmt_double(t, sizeof t, o->potassium_mg);
    cs_buf_putc(b, ',');
    cs_buf_append(b, t, (size_t)n);
}

/* A number as a survey may hold it: an integer, a decimal of a few places
 * (parsed as strtod would), missing, zero, or any double at all. */
static double survey_number(void)
{
    char t[48];
    uint64_t r = rng();

    switch (r % 6) {
    case 0: return (double)(rng() % 20000);
    case 1:
    case 2:
        snprintf(t, sizeof t, "%s%llue-%d", r & 64 ? "-" : "",
                 (unsigned long long)(rng() % 100000000000ULL),
                 (int)(rng() % 10));
        return strtod(t, NULL);
    case 3: return r & 64 ? NAN : r & 128 ? -0.0 : 0.0;
    case 4: return ((double)(int64_t)rng()) / (double)(rng() | 1);
    default: {
        double v;
        r = rng();
        memcpy(&v, &r, sizeof v);
        return v;
    }
    }
}

static void test_join_format_wave_reference(void **state)
{
    cs_buf got, want;

    (void)state;
    cs_buf_init(&got, 0);
    cs_buf_init(&want, 0);
    for (int i = 0; i < 200000; i++) {
        cs_wave o;
        memset(&o, 0, sizeof o);
        o.day = (int32_t)(rng() % 4000000) - 800000;   /* years -200 to 8900 */
        o.sex = rng() & 1 ? CS_SEX_F : CS_SEX_M;
        o.age_years = (int)(rng() % 120);
        o.height_ft = (int)(rng() % 9);
        o.height_in = (int)(rng() % 12);
        o.weight_lb = survey_number();
        o.activity_level = (int)(rng() % CS_ACT_N);
        o.conditioning = (int)(rng() % CS_COND_N);
        o.seasonal_sport = (int)(rng() & 1);
        o.stretch_routine = (int)(rng() & 1);
        o.conditions_known = rng() % 8 != 0;
        o.conditions = rng() & 1 ? 0 : (uint32_t)(rng() % (1u << CS_MED_N));
        o.goal_lb_week = survey_number();
        o.calcium_mg = survey_number();
        o.potassium_mg = survey_number();
        cs_buf_reset(&got);
        cs_buf_reset(&want);
        assert_int_equal(cs_join_format_wave(&got, &o), CS_OK);
        ref_wave(&want, &o);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.ptr, want.ptr, want.len);
        assert_int_equal(got.ptr[got.len], '\0');
    }
    cs_buf_dispose(&got);
    cs_buf_dispose(&want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tag_factors),
        cmocka_unit_test(test_tag_halves),
        cmocka_unit_test(test_tag_heat_inclusive),
        cmocka_unit_test(test_tag_heat_cache),
        cmocka_unit_test(test_tag_heat_index_bits),
        cmocka_unit_test(test_tag_heat_bound),
        cmocka_unit_test(test_tag_derived),
        cmocka_unit_test(test_tag_fluid_rate_bounds),
        cmocka_unit_test(test_tag_dehydration_ties),
        cmocka_unit_test(test_tag_heat_index_value),
        cmocka_unit_test(test_tag_null_rules),
        cmocka_unit_test(test_tag_names),
        cmocka_unit_test(test_tag_value),
        cmocka_unit_test(test_writer_reference),
        cmocka_unit_test(test_writer_numbers),
        cmocka_unit_test(test_tag_write_cells),
        cmocka_unit_test(test_tag_write_text),
        cmocka_unit_test(test_tag_write_session_factors),
        cmocka_unit_test(test_tag_fmt_d),
#ifdef __SSE2__
        cmocka_unit_test(test_sse2_text16),
#endif
        cmocka_unit_test(test_tag_write_band),
        cmocka_unit_test(test_tag_exposure_minutes),
        cmocka_unit_test(test_join_format_wave_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
