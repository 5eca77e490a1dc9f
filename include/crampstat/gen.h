/* Synthetic data generator behind `crampstat gen`: a seeded population of
 * participants (survey.csv.gz) and their exercise sessions
 * (exercise.csv.gz), with hamstring cramps drawn from a logistic model of
 * the six cause factors of DATA.md section 5 whose coefficients are known,
 * so that the statistics can be checked against a planted truth. The model
 * and the choices behind every column are in docs/generator.md. */
#ifndef CRAMPSTAT_GEN_H
#define CRAMPSTAT_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <crampstat/error.h>

/* Cause factors in DATA.md section 5 order: the index of
 * cs_gen_stats.exposed and of the truth's "coefficients". */
enum cs_gen_factor {
    CS_GEN_FATIGUE = 0, CS_GEN_TIGHTNESS, CS_GEN_HEAT, CS_GEN_DEHYDRATION,
    CS_GEN_ELECTROLYTE, CS_GEN_MEDICAL, CS_GEN_FACTOR_N
};

/* Limits checked by cs_gen_write (CS_EUSAGE beyond them). */
#define CS_GEN_MAX_PARTICIPANTS 100000000u  /* ids stay P + 7..9 digits */
#define CS_GEN_MAX_SESSIONS_MEAN 10000.0
#define CS_GEN_MAX_FRAILTY_SD 10.0

/* A buffer of this size always holds cs_gen_truth_json's text. */
#define CS_GEN_TRUTH_MAX 8192

typedef struct cs_gen_opts {
    uint64_t participants;             /* >= 1; default 2000 */
    uint64_t seed;                     /* default 1 */
    double sessions_per_participant;   /* mean, 0 ... 10000; default 25 */
    double frailty_sd;                 /* SD of a participant's random
                                          intercept u_i ~ N(0, sd^2) added
                                          to the logit of the cramp model,
                                          0 ... 10; default 0 (none, and
                                          then no draw is made) */
} cs_gen_opts;

/* What a run wrote, counted on the true (pre-masking) values. */
typedef struct cs_gen_stats {
    uint64_t participants;
    uint64_t survey_rows;              /* data rows, header not counted */
    uint64_t exercise_rows;
    uint64_t hamstring_cramps;         /* rows with cramp_muscle hamstring
                                          before masking */
    uint64_t other_cramps;             /* cramp = yes, another muscle */
    uint64_t exposed[CS_GEN_FACTOR_N]; /* sessions exposed per factor */
    uint64_t condition_rows[8];        /* survey rows with each condition,
                                          enum cs_medical order */
} cs_gen_stats;

/* Defaults: 2000 participants, seed 1, 25 sessions per participant, no
 * frailty. */
void cs_gen_opts_init(cs_gen_opts *o);

/* Write out_dir/survey.csv.gz and out_dir/exercise.csv.gz (out_dir must
 * exist). Both are first written under temporary names in out_dir
 * (".survey.csv.gz.<pid>.tmp") and renamed only when both are complete, so
 * a failed run leaves no partial file behind; an existing file of the final
 * name is replaced. The bytes depend only on *o (and on this generator's
 * version): the same options give identical files.
 * Fills *stats_out when it is not NULL. Returns CS_OK, CS_EUSAGE for
 * options out of range, CS_ENOMEM, or CS_EIO with the file and strerror (or
 * zlib's) text in err->msg. Memory is a few MB whatever the number of
 * participants: one participant's survey waves and session times at a
 * time. Calls from different threads into different directories are
 * safe; into the same one they would share temporary names. */
int cs_gen_write(const cs_gen_opts *o, const char *out_dir,
                 cs_gen_stats *stats_out, cs_error *err);

/* Format the planted truth as one JSON object followed by a newline: the
 * options and seed, the model, its intercept, coefficients and odds ratios
 * per factor (with o->frailty_sd > 0, also that SD, and the coefficients
 * are then conditional on the participant; without it the text is that of
 * a generator without the option), the other-cramp rate, the design prevalences and the missing
 * rates; when stats is not NULL (the stats of the run with the same *o),
 * also the realized counts under "realized". Numbers are formatted without
 * the C library's locale. Like snprintf: writes at most cap bytes to out
 * (NUL-terminated when cap > 0) and returns the length of the whole text,
 * which is below CS_GEN_TRUTH_MAX (0, an empty text, when out of memory). */
size_t cs_gen_truth_json(char *out, size_t cap, const cs_gen_opts *o,
                         const cs_gen_stats *stats);

#endif
