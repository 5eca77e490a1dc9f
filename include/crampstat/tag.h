/* Derived values and cause-factor flags of one session (DATA.md sections
 * 4 and 5), with three-valued logic: a factor is unknown only when the
 * missing inputs could change the answer. */
#ifndef CRAMPSTAT_TAG_H
#define CRAMPSTAT_TAG_H

#include <crampstat/rules.h>
#include <crampstat/schema.h>
#include <crampstat/writer.h>

/* Factors: the six main ones, then one per medical condition. */
enum cs_factor {
    CS_F_FATIGUE = 0, CS_F_TIGHTNESS, CS_F_HEAT, CS_F_DEHYDRATION,
    CS_F_ELECTROLYTE, CS_F_MEDICAL,
    CS_F_MAIN_N,
    CS_F_MED_FIRST = CS_F_MAIN_N,   /* + enum cs_medical */
    CS_F_N = CS_F_MAIN_N + CS_MED_N
};

/* Column name of a factor: "fatigue" ... "medical", "medical_disc_injury"
 * ... "medical_pregnancy". */
const char *cs_factor_name(int f);

typedef struct cs_tagged {
    double height_cm, weight_kg, exposure_h, heat_index_c, fluid_ml_per_h;
    double goal_lb_week, bmr_kcal, tdee_kcal;
    long target_kcal;
    int below_safe_min;
    int age_band;
    signed char factor[CS_F_N];   /* 1 exposed, 0 not, -1 unknown */
    signed char outcome;          /* 1, 0, -1 unknown */
    /* The survey's part of fatigue and tightness (cs_tag_wave). */
    signed char wave_fatigue, wave_tightness;
} cs_tagged;

typedef struct cs_tagger cs_tagger;

int cs_tagger_create(cs_tagger **out, const cs_rules *r);
const cs_rules *cs_tagger_rules(const cs_tagger *t);
void cs_tagger_free(cs_tagger *t);
/* Compute everything for one joined session. */
void cs_tag(cs_tagger *t, const cs_session *s, const cs_wave *w, cs_tagged *out);
/* The same in two halves: what depends on the wave alone (the derived
 * body and calorie values, electrolyte and medical, the survey's part of
 * fatigue and tightness), and then the rest for one session of that wave.
 * A caller whose sessions share a wave computes its half once: every
 * field cs_tag_wave sets stays as it was until the next call for a wave,
 * and cs_tag_session reads it. The two calls give what cs_tag gives. */
void cs_tag_wave(const cs_tagger *t, const cs_wave *w, cs_tagged *out);
void cs_tag_session(cs_tagger *t, const cs_session *s, const cs_wave *w,
                    cs_tagged *out);

/* The columns tag appends, in order (header names / one row's values),
 * each preceded by a separator as a field of the current row. */
void cs_tag_write_header(cs_writer *w);
/* 1 when name is one of the columns tag writes (they are recomputed, not
 * copied, when tag reads its own output). */
int cs_tag_is_own_column(cs_str name);
/* CS_EPARSE at src:line:column when the extra columns of the exercise
 * header ex hold some of the columns tag writes but not all (a column of
 * the user's that tag would replace: rename it), or one of them twice.
 * All of them is tag's own output, which tag recomputes. CS_OK
 * otherwise. */
int cs_tag_check_header(const cs_schema *ex, const char *src, size_t line,
                        cs_error *err);
void cs_tag_write(cs_writer *w, const cs_tagged *t);
/* The same in two steps for a run of sessions of one wave: the text of
 * the wave's cells (height_cm, weight_kg; goal_lb_week to
 * below_safe_min; age_band; electrolyte and the medical factors)
 * formatted once with separator sep, the writer's, and then each
 * session's row with it. A row whose wave factors are not those the text
 * was made from (wf) is written from its own. */
typedef struct cs_tag_text {
    char a[2 * 41], b[5 * 41 + 24];
    size_t alen, blen;
    const char *band;
    char sep;
    /* bband: blen, the separator, age_band's text and the separator
     * after it, which b holds after its first blen bytes; 0 when the
     * band is written as a field instead (text that might need
     * quoting). wfc: the cells of electrolyte to the last medical
     * factor, each followed by the separator, wflen bytes. cells: a
 * factor's cell and the separator after it, unknown, 0 and 1. */
    size_t bband, wflen;
    char wfc[32], cells[3][2];
    signed char wf[CS_F_N - CS_F_ELECTROLYTE];
} cs_tag_text;
void cs_tag_wave_text(cs_tag_text *out, const cs_tagged *t, char sep);
void cs_tag_write_text(cs_writer *w, const cs_tagged *t, const cs_tag_text *wt);

/* The text that tag's output would hold in column `name` for this
 * session, for in-process stages that group by a column (analyze --by).
 * Categorical columns of the exercise and survey contracts, the derived
 * categories (age_band, below_safe_min), the factor flags and outcome are
 * supported; returns -1 for any other column. buf (at least 32 bytes)
 * backs the text when it is not borrowed from rec. */
int cs_tag_value(cs_str *out, char *buf, size_t cap, const char *name,
                 const cs_schema *ex, const cs_record *rec,
                 const cs_session *s, const cs_wave *w, const cs_tagged *t);
/* 1 when cs_tag_value gives column `name`, 0 when it returns -1 for it. */
int cs_tag_has_value(const char *name);

#endif
