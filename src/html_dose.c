/* HTML sections for dose-response and incidence over time (html_dose.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/fmt.h>
#include <crampstat/html_dose.h>
#include <crampstat/value.h>

/* The largest finite value among n doubles (at least floor). */
static double top_of(const double *v, size_t n, double floor)
{
    double t = floor;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]) && v[i] > t)
            t = v[i];
    return t;
}

/* A round axis maximum: 1, 2 or 5 times a power of ten, at least t. */
static double nice(double t)
{
    double p = pow(10, floor(log10(t)));
    return t <= p ? p : t <= 2 * p ? 2 * p : t <= 5 * p ? 5 * p : 10 * p;
}

static int dose_chart(cs_buf *b, const cs_dose_stats *s)
{
    const double W = 620, H = 230, left = 60, right = 20, top = 20, bottom = 50;
    const char *name = cs_dose_exposure_name(s->exposure);
    double his[CS_DOSE_MAXBANDS], ymax;
    double step = (W - left - right) / (s->nbands ? s->nbands : 1);

    for (int k = 0; k < s->nbands; k++)
        his[k] = 100 * s->band[k].risk.hi;
    ymax = nice(top_of(his, (size_t)s->nbands, 0.1));
#define Y(v) (top + (1 - (v) / ymax) * (H - top - bottom))
    /* Drawn at its own width (as the other charts): scaled to the page
     * its text would be twice the page's. */
    cs_buf_printf(b, "<svg width=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                  "role=\"img\" aria-labelledby=\"dose-%s-t dose-%s-d\">"
                  "<title id=\"dose-%s-t\">Risk of a cramp by %s band</title>"
                  "<desc id=\"dose-%s-d\">Risk in percent per band of %s, "
                  "with its interval; the table below has the numbers. "
                  "Trend chi-square %.2f.</desc>\n", W, W, H, name, name, name,
                  name, name, name, s->trend.stat);
    for (int t = 0; t <= 4; t++) {
        double v = ymax * t / 4;
        cs_buf_printf(b, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" "
                      "stroke=\"#eaeef2\"/><text x=\"%.0f\" y=\"%.1f\" "
                      "text-anchor=\"end\">%g%%</text>\n", left, Y(v), W - right,
                      Y(v), left - 6, Y(v) + 4, v);
    }
    for (int k = 0; k < s->nbands; k++) {
        const cs_dose_band_stats *d = &s->band[k];
        double x = left + step * (k + 0.5);
        char label[160];
        cs_dose_band_label(label, sizeof label, d->lower, d->upper);
        cs_buf_printf(b, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">",
                      x, H - bottom + 18);
        cs_html_escape(b, label);
        cs_buf_printf(b, "%s</text>\n", k == s->reference ? " (ref)" : "");
        if (isfinite(d->risk.lo) && isfinite(d->risk.hi))
            cs_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                          "y2=\"%.1f\" stroke=\"#0969da\" stroke-width=\"2\"/>\n",
                          x, Y(100 * d->risk.lo), x, Y(100 * d->risk.hi));
        if (isfinite(d->risk.est))
            cs_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
                          "fill=\"#0969da\"><title>%.2f%% (%.2f, %.2f)</title>"
                          "</circle>\n", x, Y(100 * d->risk.est),
                          100 * d->risk.est, 100 * d->risk.lo, 100 * d->risk.hi);
    }
#undef Y
    cs_buf_printf(b, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">"
                  "%s band</text></svg>\n", (left + W - right) / 2,
                  H - 8, name);
    return cs_buf_error(b);
}

int cs_html_dose(cs_buf *b, const cs_report *r)
{
    const cs_agg *a = r->a;
    const cs_report_opts *o = r->o;
    const cs_dose_stats *s = r->dose;
    int lvl = (int)lround(o->level * 100);

    if (!a->dose.present)
        return CS_OK;
    cs_buf_printf(b, "<h2>Dose-response</h2>\n<p class=\"meta\">Risk per "
                  "band of each graded exposure (bands from the rules "
                  "file); risk ratios against the reference band; trend: "
                  "Cochran-Armitage chi-square with scores 1, 2, ...%s.</p>\n",
                  s[0].robust ? ", and the odds ratio per band of a logistic "
                  "model with intervals robust to clustering within "
                  "participants" : "");
    for (int e = 0; e < CS_DOSE_N; e++) {
        const cs_dose_stats *x = &s[e];
        char p[32], tr[32];
        cs_buf_printf(b, "<h3>%s</h3>\n", cs_dose_exposure_name(e));
        dose_chart(b, x);
        cs_buf_printf(b, "<div class=\"wrap\"><table><tr>"
                      "<th class=\"l\">band</th><th>sessions</th>"
                      "<th>cases</th><th>hours</th>"
                      "<th>risk %% (%d%% CI)</th>"
                      "<th>per 1000 h (%d%% CI)</th>"
                      "<th>RR (%d%% CI)</th></tr>\n", lvl, lvl, lvl);
        for (int k = 0; k < x->nbands; k++) {
            const cs_dose_band_stats *d = &x->band[k];
            char label[160], h[32], rk[64], q[64], rr[64];
            cs_dose_band_label(label, sizeof label, d->lower, d->upper);
            cs_fmt_disp(h, sizeof h, d->hours, 1);
            cs_fmt_ci(rk, sizeof rk, 100 * d->risk.est, 100 * d->risk.lo,
                      100 * d->risk.hi, 2);
            cs_fmt_ci(q, sizeof q, d->rate.est, d->rate.lo, d->rate.hi, 2);
            if (k == x->reference)
                snprintf(rr, sizeof rr, "1 (reference)");
            else
                cs_fmt_ci(rr, sizeof rr, d->rr.est, d->rr.lo, d->rr.hi, 2);
            cs_buf_printf(b, "<tr><td class=\"l\">");
            cs_html_escape(b, label);
            cs_buf_printf(b, "</td><td>%llu</td><td>%llu</td>"
                          "<td>%s</td><td>%s</td><td>%s</td>"
                          "<td>%s</td></tr>\n",
                          (unsigned long long)d->sessions,
                          (unsigned long long)d->cases, h, rk, q, rr);
        }
        cs_fmt_disp(tr, sizeof tr, x->trend.stat, 2);
        cs_fmt_p(p, sizeof p, x->trend.p);
        cs_buf_printf(b, "</table></div>\n<p class=\"note\">%llu "
                      "sessions left out (missing), %llu below "
                      "the first band. Trend: chi-square %s (1 df), "
                      "p %s", (unsigned long long)x->missing,
                      (unsigned long long)x->below, tr, p);
        if (x->robust) {
            char orc[64], p2[32];
            cs_fmt_ci(orc, sizeof orc, x->trend_or.est, x->trend_or.lo,
                      x->trend_or.hi, 3);
            cs_fmt_p(p2, sizeof p2, x->trend_or_p);
            cs_buf_printf(b, "; robust odds ratio per band %s, p %s", orc, p2);
        }
        cs_buf_printf(b, ".</p>\n");
        /* Why a "-" in the table or the trend: the JSON's notes. */
        {
            char nt[1024], rt[1024];
            cs_report_dose_notes(x, nt, sizeof nt, rt, sizeof rt);
            if (nt[0]) {
                cs_buf_printf(b, "<p class=\"note\">Note: ");
                cs_html_escape(b, nt);
                cs_buf_printf(b, ".</p>\n");
            }
            if (rt[0]) {
                cs_buf_printf(b, "<p class=\"note\">Robust trend: ");
                cs_html_escape(b, rt);
                cs_buf_printf(b, ".</p>\n");
            }
        }
    }
    return cs_buf_error(b);
}

int cs_html_over_time(cs_buf *b, const cs_report *r)
{
    const cs_agg *a = r->a;
    const cs_report_opts *o = r->o;
    /* right: half the widest date label ("2024-01-01"), which is centred
     * on the last period and was cut off at 20. */
    const double W = 760, H = 260, left = 60, right = 40, top = 20, bottom = 50;
    static const char *const main_names[CS_F_MAIN_N] = {
        "fatigue", "tightness", "heat", "dehydration", "electrolyte", "medical"
    };
    int lvl = (int)lround(o->level * 100);
    const cs_period_row *rows = r->period;
    size_t n = r->nperiod;
    double ymax = 1, step;

    if (!a->period.present)
        return CS_OK;
    if (r->period_nomem)
        return cs_buf_fail(b, CS_ENOMEM);
    for (size_t i = 0; i < n; i++)
        if (isfinite(rows[i].rate.hi) && rows[i].rate.hi > ymax)
            ymax = rows[i].rate.hi;
    ymax = nice(ymax);
    step = n > 1 ? (W - left - right) / (double)(n - 1) : 0;
#define X(i) (left + step * (double)(i) + (n > 1 ? 0 : (W - left - right) / 2))
#define Y(v) (top + (1 - (v) / ymax) * (H - top - bottom))
    cs_buf_printf(b, "<h2>Incidence by %s</h2>\n<p class=\"meta\">Cramps per "
                  "1000 exposure hours per %s (by the session's day as "
                  "written), with the exact %d%% Poisson interval as a band; "
                  "%llu sessions undated.</p>\n",
                  cs_period_name(o->period), cs_period_name(o->period), lvl,
                  (unsigned long long)a->period.undated);
    cs_buf_printf(b, "<svg width=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                  "role=\"img\" aria-labelledby=\"ot-t ot-d\"><title id=\"ot-t\">"
                  "Cramp rate per 1000 h by %s</title><desc id=\"ot-d\">"
                  "A line of the rate per %s over %zu periods, with "
                  "its interval shaded; the table below has the "
                  "numbers.</desc>\n", W, W, H, cs_period_name(o->period),
                  cs_period_name(o->period), n);
    for (int t = 0; t <= 4; t++) {
        double v = ymax * t / 4;
        cs_buf_printf(b, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" "
                      "stroke=\"#eaeef2\"/><text x=\"%.0f\" y=\"%.1f\" "
                      "text-anchor=\"end\">%g</text>\n", left, Y(v), W - right,
                      Y(v), left - 6, Y(v) + 4, v);
    }
    if (n) {
        /* The interval band: upper limits forward, lower limits back. */
        cs_buf_printf(b, "<polygon fill=\"#0969da\" fill-opacity=\"0.15\" "
                      "stroke=\"none\" points=\"");
        for (size_t i = 0; i < n; i++)
            cs_buf_printf(b, "%.1f,%.1f ", X(i),
                          Y(isfinite(rows[i].rate.hi) ? rows[i].rate.hi : 0));
        for (size_t i = n; i-- > 0;)
            cs_buf_printf(b, "%.1f,%.1f ", X(i),
                          Y(isfinite(rows[i].rate.lo) ? rows[i].rate.lo : 0));
        cs_buf_printf(b, "\"/>\n<polyline fill=\"none\" "
                      "stroke=\"#0969da\" stroke-width=\"2\" points=\"");
        for (size_t i = 0; i < n; i++)
            cs_buf_printf(b, "%.1f,%.1f ", X(i),
                          Y(isfinite(rows[i].rate.est) ? rows[i].rate.est : 0));
        cs_buf_printf(b, "\"/>\n");
    }
    /* Every how many periods a date label fits: a label is 7 or 10
     * characters of 12px text (about 6.8 px each) and a gap. */
    int chars = o->period == CS_PERIOD_MONTH ? 7 : 10;
    size_t every = step > 0 ? (size_t)ceil((chars * 6.8 + 8) / step) : 1;
    every = every ? every : 1;
    for (size_t i = 0; i < n; i++) {
        char date[16];
        cs_fmt_date(date, sizeof date, rows[i].start);
        if (i % every == 0)
            cs_buf_printf(b, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">"
                          "%.*s</text>\n", X(i), H - bottom + 18, chars, date);
    }
#undef X
#undef Y
    cs_buf_printf(b, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">"
                  "%s starting</text></svg>\n", (left + W - right) / 2,
                  H - 8, cs_period_name(o->period));
    cs_buf_printf(b, "<div class=\"wrap\"><table><tr><th class=\"l\">"
                  "%s</th><th>sessions</th><th>hours</th><th>cases</th>"
                  "<th>per 1000 h (%d%% CI)</th>",
                  o->period == CS_PERIOD_WEEK ? "week of" : "month", lvl);
    for (int f = 0; f < CS_F_MAIN_N; f++)
        cs_buf_printf(b, "<th>%s %%</th>", main_names[f]);
    cs_buf_printf(b, "</tr>\n");
    for (size_t i = 0; i < n; i++) {
        const cs_period_row *w = &rows[i];
        char date[16], h[32], q[64];
        cs_fmt_date(date, sizeof date, w->start);
        if (o->period == CS_PERIOD_MONTH)
            date[7] = '\0';
        cs_fmt_disp(h, sizeof h, w->hours, 1);
        cs_fmt_ci(q, sizeof q, w->rate.est, w->rate.lo, w->rate.hi, 2);
        cs_buf_printf(b, "<tr><td class=\"l\">%s</td><td>%llu</td><td>%s</td>"
                      "<td>%llu</td><td>%s</td>", date,
                      (unsigned long long)w->sessions, h,
                      (unsigned long long)w->cases, q);
        for (int f = 0; f < CS_F_MAIN_N; f++) {
            char sh[32];
            cs_fmt_disp(sh, sizeof sh, 100 * w->exposed_share[f], 1);
            cs_buf_printf(b, "<td>%s</td>", sh);
        }
        cs_buf_printf(b, "</tr>\n");
    }
    cs_buf_printf(b, "</table></div>\n");
    return cs_buf_error(b);
}
