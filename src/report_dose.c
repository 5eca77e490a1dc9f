/* The dose-response and incidence-over-time sections of the aggregate
 * report: computed from the state's dose and period sections, rendered as
 * JSON or as text tables (pretty, md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/report.h>
#include <crampstat/value.h>
#include "internal.h"

/* Append a string literal. */
#define APP(b, lit) cs_buf_append((b), (lit), sizeof(lit) - 1)

static const char *const main_names[CS_F_MAIN_N] = {
    "fatigue", "tightness", "heat", "dehydration", "electrolyte", "medical"
};

static void bound_text(char *d, size_t cap, double x)
{
    if (isinf(x))
        snprintf(d, cap, "%s", x < 0 ? "-inf" : "inf");
    else
        cs_rules_fmt_num(d, cap, x);
}

/* "7-9" style label of a band: "[lower, upper)" written as "lower to
 * <upper", or "lower+" for the last, "<upper" for one open below. */
void cs_dose_band_label(char *d, size_t cap, double lower, double upper)
{
    char lo[64], hi[64];
    bound_text(lo, sizeof lo, lower);
    bound_text(hi, sizeof hi, upper);
    if (isinf(lower) && isinf(upper))
        snprintf(d, cap, "all");
    else if (isinf(lower))
        snprintf(d, cap, "<%s", hi);
    else if (isinf(upper))
        snprintf(d, cap, "%s+", lo);
    else
        snprintf(d, cap, "%s to <%s", lo, hi);
}

void cs_report_dose_compute(cs_dose_stats out[CS_DOSE_N], const cs_agg *a,
                            const cs_report_opts *o)
{
    cs_dose_stats_compute_all(out, &a->dose, o->level,
                              o->cluster && a->clu != NULL);
    for (int e = 0; e < CS_DOSE_N; e++) {
        if (o->ci == CS_CI_EXACT)
            for (int b = 0; b < out[e].nbands; b++)
                out[e].band[b].notes |= cs_stats_clopper_pearson(
                    &out[e].band[b].risk, out[e].band[b].cases,
                    out[e].band[b].sessions, o->level);
    }
}

static int j_ci(cs_buf *b, const char *key, const cs_ci *c)
{
    cs_buf_printf(b, "\"%s\": {\"estimate\": ", key);
    cs_json_num(b, c->est);
    APP(b, ", \"lower\": ");
    cs_json_num(b, c->lo);
    APP(b, ", \"upper\": ");
    cs_json_num(b, c->hi);
    cs_buf_putc(b, '}');
    return cs_buf_error(b);
}

static int j_notes(cs_buf *b, uint32_t notes)
{
    return cs__json_notes(b, notes, cs_stats_note_text);
}

int cs_report_dose_json(cs_buf *b, const cs_report *r)
{
    const cs_agg *a = r->a;
    const cs_report_opts *o = r->o;
    const cs_dose_stats *s = r->dose;
    const cs_period_row *rows = r->period;
    size_t nrows = r->nperiod;

    if (!a->dose.present)
        APP(b, ",\n\"dose_response\": null");
    else
        APP(b, ",\n\"dose_response\": [");
    for (int e = 0; a->dose.present && e < CS_DOSE_N; e++) {
        const cs_dose_stats *x = &s[e];
        char label[160];
        cs_buf_printf(b, "%s\n  {\"exposure\": \"%s\", \"reference\": %d, "
                      "\"missing\": %llu, \"below_first_band\": %llu, "
                      "\"bands\": [", e ? "," : "",
                      cs_dose_exposure_name(e), x->reference + 1,
                      (unsigned long long)x->missing,
                      (unsigned long long)x->below);
        for (int k = 0; k < x->nbands; k++) {
            const cs_dose_band_stats *d = &x->band[k];
            cs_dose_band_label(label, sizeof label, d->lower, d->upper);
            cs_buf_printf(b, "%s\n    {\"label\": ", k ? "," : "");
            cs_json_str(b, label);
            APP(b, ", \"lower\": ");
            cs_json_num(b, d->lower);
            APP(b, ", \"upper\": ");
            cs_json_num(b, d->upper);
            cs_buf_printf(b, ", \"sessions\": %llu, \"cases\": %llu, "
                          "\"hours\": ", (unsigned long long)d->sessions,
                          (unsigned long long)d->cases);
            cs_json_num(b, d->hours);
            APP(b, ",\n     ");
            j_ci(b, "risk", &d->risk);
            APP(b, ", ");
            j_ci(b, "rate_per_1000h", &d->rate);
            APP(b, ",\n     ");
            j_ci(b, "risk_ratio", &d->rr);
            APP(b, ", ");
            j_notes(b, d->notes);
            cs_buf_putc(b, '}');
        }
        APP(b, "],\n   \"trend\": {\"chi2\": ");
        cs_json_num(b, x->trend.stat);
        APP(b, ", \"df\": 1, \"p\": ");
        cs_json_num(b, x->trend.p);
        APP(b, ", ");
        j_notes(b, x->trend_notes);
        APP(b, "},\n   \"trend_robust\": ");
        if (!x->robust)
            APP(b, "null");
        else {
            APP(b, "{\"odds_ratio_per_band\": ");
            cs_json_num(b, x->trend_or.est);
            APP(b, ", \"lower\": ");
            cs_json_num(b, x->trend_or.lo);
            APP(b, ", \"upper\": ");
            cs_json_num(b, x->trend_or.hi);
            APP(b, ", \"p\": ");
            cs_json_num(b, x->trend_or_p);
            cs_buf_printf(b, ", \"participants\": %llu, ",
                          (unsigned long long)x->participants);
            cs__json_notes(b, x->robust_notes, cs_stats_robust_note_text);
            cs_buf_putc(b, '}');
        }
        cs_buf_putc(b, '}');
    }
    if (a->dose.present)
        cs_buf_putc(b, ']');
    if (!a->period.present) {
        APP(b, ",\n\"over_time\": null");
        return cs_buf_error(b);
    }
    if (r->period_nomem)
        return cs_buf_fail(b, CS_ENOMEM);
    cs_buf_printf(b, ",\n\"over_time\": {\"period\": \"%s\", "
                  "\"undated\": %llu, \"rows\": [",
                  cs_period_name(o->period),
                  (unsigned long long)a->period.undated);
    for (size_t i = 0; i < nrows; i++) {
        const cs_period_row *w = &rows[i];
        char date[16];
        cs_fmt_date(date, sizeof date, w->start);
        cs_buf_printf(b, "%s\n  {\"start\": \"%s\", \"sessions\": %llu, "
                      "\"hours\": ", i ? "," : "", date,
                      (unsigned long long)w->sessions);
        cs_json_num(b, w->hours);
        cs_buf_printf(b, ", \"cases\": %llu, ",
                      (unsigned long long)w->cases);
        j_ci(b, "rate_per_1000h", &w->rate);
        APP(b, ",\n   \"exposed_share\": {");
        for (int f = 0; f < CS_F_MAIN_N; f++) {
            cs_buf_printf(b, "%s\"%s\": ", f ? ", " : "", main_names[f]);
            cs_json_num(b, w->exposed_share[f]);
        }
        APP(b, "}}");
    }
    APP(b, "]}");
    return cs_buf_error(b);
}

static void fmt_ci(char *d, size_t cap, const cs_ci *c, double scale, int dec)
{
    cs_fmt_ci(d, cap, scale * c->est, scale * c->lo, scale * c->hi, dec);
}

void cs_report_dose_notes(const cs_dose_stats *x, char *nt, size_t ncap,
                          char *rt, size_t rcap)
{
    uint32_t n = x->trend_notes;

    for (int k = 0; k < x->nbands; k++)
        n |= x->band[k].notes;
    cs_stats_notes_format(nt, ncap, n);
    cs_stats_robust_notes_format(rt, rcap, x->robust ? x->robust_notes : 0);
}

/* Why a band's measure or the trend is missing ("-" in the table), as
 * the JSON's notes say it: the bands' and the trend's in one line, the
 * robust trend's in another. */
static void dose_notes(cs_buf *b, int fmt, const cs_dose_stats *x)
{
    char nt[1024], rt[1024];
    const char *gap = fmt == CS_FMT_MD ? "\n" : "";

    cs_report_dose_notes(x, nt, sizeof nt, rt, sizeof rt);
    if (nt[0])
        cs_buf_printf(b, "%snote: %s\n", gap, nt);
    if (rt[0])
        cs_buf_printf(b, "%snote: robust trend: %s\n", gap, rt);
}

int cs_report_dose_tables(cs_buf *b, const cs_report *r)
{
    const cs_agg *a = r->a;
    const cs_report_opts *o = r->o;
    const cs_dose_stats *s = r->dose;
    int fmt = o->format == CS_FMT_MD ? CS_FMT_MD : CS_FMT_PRETTY;
    int lvl = (int)lround(o->level * 100);
    char buf[12][160], h[3][48];
    const char *cells[12];
    cs_table t;

    for (int i = 0; i < 12; i++)
        cells[i] = buf[i];
    snprintf(h[0], sizeof h[0], "risk %% (%d%% CI)", lvl);
    snprintf(h[1], sizeof h[1], "per 1000 h (%d%% CI)", lvl);
    snprintf(h[2], sizeof h[2], "RR (%d%% CI)", lvl);
    if (a->dose.present) {
        cs_buf_printf(b, fmt == CS_FMT_MD ? "\n## Dose-response\n"
                                          : "\nDose-response\n");
    }
    for (int e = 0; a->dose.present && e < CS_DOSE_N; e++) {
        const cs_dose_stats *x = &s[e];
        const char *hdr[] = { "band", "sessions", "cases", "hours", h[0], h[1], h[2] };
        char p[32], p2[32];
        cs_table_init(&t, 7, hdr);
        for (int k = 0; k < x->nbands; k++) {
            const cs_dose_band_stats *d = &x->band[k];
            cs_dose_band_label(buf[0], sizeof buf[0], d->lower, d->upper);
            if (k == x->reference)
                strncat(buf[0], " (ref)", sizeof buf[0] - strlen(buf[0]) - 1);
            snprintf(buf[1], sizeof buf[1], "%llu", (unsigned long long)d->sessions);
            snprintf(buf[2], sizeof buf[2], "%llu", (unsigned long long)d->cases);
            cs_fmt_disp(buf[3], sizeof buf[3], d->hours, 1);
            fmt_ci(buf[4], sizeof buf[4], &d->risk, 100, 2);
            fmt_ci(buf[5], sizeof buf[5], &d->rate, 1, 2);
            if (k == x->reference)
                snprintf(buf[6], sizeof buf[6], "1");
            else
                fmt_ci(buf[6], sizeof buf[6], &d->rr, 1, 2);
            cs_table_add(&t, cells);
        }
        cs_fmt_p(p, sizeof p, x->trend.p);
        cs_buf_printf(b, fmt == CS_FMT_MD
                      ? "\n### %s\n\n%llu sessions left out (missing), "
                        "%llu below the first band.\n\n"
                      : "\n%s (%llu left out: missing; %llu below "
                        "the first band)\n",
                      cs_dose_exposure_name(e),
                      (unsigned long long)x->missing,
                      (unsigned long long)x->below);
        t.numeric[0] = 0;   /* band labels ("4 to <7") read as text */
        cs_table_render(&t, fmt, 0, b);
        cs_table_dispose(&t);
        char tr[200];
        cs_fmt_disp(tr, sizeof tr, x->trend.stat, 2);
        cs_buf_printf(b, "%strend: chi-square %s (1 df), p %s",
                      fmt == CS_FMT_MD ? "\n" : "", tr, p);
        if (x->robust) {
            fmt_ci(tr, sizeof tr, &x->trend_or, 1, 3);
            cs_fmt_p(p2, sizeof p2, x->trend_or_p);
            cs_buf_printf(b, "; robust OR per band %s, p %s",
                          tr, p2);
        }
        cs_buf_putc(b, '\n');
        dose_notes(b, fmt, x);
    }
    if (!a->period.present || cs_buf_error(b))
        return cs_buf_error(b);

    const cs_period_row *rows = r->period;
    size_t nrows = r->nperiod;
    double top = 0;
    if (r->period_nomem)
        return cs_buf_fail(b, CS_ENOMEM);
    for (size_t i = 0; i < nrows; i++)
        if (isfinite(rows[i].rate.est) && rows[i].rate.est > top)
            top = rows[i].rate.est;
    {
        const char *hdr[] = { o->period == CS_PERIOD_WEEK ? "week of" : "month",
                              "sessions", "hours", "cases", h[1], "rate",
                              "fatigue%", "tight%", "heat%", "dehyd%",
                              "electr%", "medical%" };
        cs_table_init(&t, 12, hdr);
    }
    for (size_t i = 0; i < nrows; i++) {
        const cs_period_row *w = &rows[i];
        int len = top > 0 && isfinite(w->rate.est)
                      ? (int)lround(30 * w->rate.est / top) : 0;
        cs_fmt_date(buf[0], sizeof buf[0], w->start);
        if (o->period == CS_PERIOD_MONTH)
            buf[0][7] = '\0';
        snprintf(buf[1], sizeof buf[1], "%llu", (unsigned long long)w->sessions);
        cs_fmt_disp(buf[2], sizeof buf[2], w->hours, 1);
        snprintf(buf[3], sizeof buf[3], "%llu", (unsigned long long)w->cases);
        fmt_ci(buf[4], sizeof buf[4], &w->rate, 1, 2);
        memset(buf[5], '#', (size_t)len);
        buf[5][len] = '\0';
        for (int f = 0; f < CS_F_MAIN_N; f++)
            cs_fmt_disp(buf[6 + f], sizeof buf[6 + f], 100 * w->exposed_share[f], 1);
        cs_table_add(&t, cells);
    }
    cs_buf_printf(b, fmt == CS_FMT_MD
                  ? "\n## Incidence by %s\n\n%llu sessions undated.\n\n"
                  : "\nIncidence by %s (%llu sessions undated)\n",
                  cs_period_name(o->period),
                  (unsigned long long)a->period.undated);
    cs_table_render(&t, fmt, 0, b);
    cs_table_dispose(&t);
    return cs_buf_error(b);
}
