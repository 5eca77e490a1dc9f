/* The HTML report. One file a researcher can mail or archive: the
 * cause-factor table, a forest plot of the risk ratios on a log axis, the
 * stratified results, the calorie charts, a data-quality section and the
 * run's provenance. Charts are inline SVG sized by viewBox, tables sit in
 * scrolling wrappers, so nothing overflows on a narrow screen. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdarg.h>
#include <crampstat/html.h>
#include <crampstat/html_dose.h>

#ifndef CS_VERSION
#define CS_VERSION "unknown"
#endif
#define CS_VERSION_TEXT CS_VERSION

#define E(s) cs_html_escape(b, (s))

static int P(cs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int P(cs_buf *b, const char *fmt, ...)
{
    va_list ap;
    char tmp[1024];
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return CS_ERROR;
    if ((size_t)n < sizeof tmp)
        return cs_buf_append(b, tmp, (size_t)n);
    va_start(ap, fmt);
    {
        int rc = cs_buf_reserve(b, (size_t)n);
        if (rc == CS_OK) {
            vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
            b->len += (size_t)n;
        }
        va_end(ap);
        return rc;
    }
}

static const char css[] =
"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;"
"color:#1b1f24;background:#fff}"
"main{max-width:1100px;margin:0 auto;padding:1.5em}"
"h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin-top:1.8em;"
"border-bottom:1px solid #d0d7de;padding-bottom:.2em}"
"p.meta{color:#57606a;margin:.2em 0}"
".wrap{overflow-x:auto;max-width:100%}"
"table{border-collapse:collapse;font-size:13px;margin:.5em 0}"
"th,td{padding:3px 8px;border-bottom:1px solid #eaeef2;text-align:right;"
"white-space:nowrap}th{background:#f6f8fa}"
"td.l,th.l{text-align:left}"
"svg{max-width:100%;height:auto;display:block}"
"svg text{font:12px system-ui,sans-serif;fill:#1b1f24}"
".note{color:#57606a;font-size:13px}"
"code{font-size:12px;word-break:break-all}";

static void num(char *d, size_t cap, double v, int dec)
{
    cs_fmt_disp(d, cap, v, dec);
}

static int factor_table(cs_buf *b, const cs_factor_stats *fs, int lvl)
{
    int rc = P(b, "<div class=\"wrap\"><table><tr><th class=\"l\">factor</th>"
               "<th>unknown</th><th>exposed</th><th>cases</th>"
               "<th>risk %% (%d%% CI)</th><th>unexposed</th><th>cases</th>"
               "<th>risk %% (%d%% CI)</th><th>RR (%d%% CI)</th>"
               "<th>OR (%d%% CI)</th><th>RD pp</th><th>PAF</th><th>chi&#178; p</th>"
               "<th>Fisher p</th></tr>\n", lvl, lvl, lvl, lvl);
    for (int f = 0; f < CS_F_N && rc == CS_OK; f++) {
        const cs_factor_stats *s = &fs[f];
        char r1[64], r2[64], rr[64], or[64], rd[32], paf[32], p1[16], p2[16];
        cs_fmt_ci(r1, sizeof r1, 100 * s->exposed.risk.est,
                  100 * s->exposed.risk.lo, 100 * s->exposed.risk.hi, 2);
        cs_fmt_ci(r2, sizeof r2, 100 * s->unexposed.risk.est,
                  100 * s->unexposed.risk.lo, 100 * s->unexposed.risk.hi, 2);
        cs_fmt_ci(rr, sizeof rr, s->rr.est, s->rr.lo, s->rr.hi, 2);
        cs_fmt_ci(or, sizeof or, s->or.est, s->or.lo, s->or.hi, 2);
        num(rd, sizeof rd, 100 * s->rd.est, 2);
        num(paf, sizeof paf, s->paf, 3);
        cs_fmt_p(p1, sizeof p1, s->chi2.p);
        cs_fmt_p(p2, sizeof p2, s->fisher_p);
        rc = P(b, "<tr><td class=\"l\">%s</td><td>%llu</td><td>%llu</td>"
               "<td>%llu</td><td>%s</td><td>%llu</td><td>%llu</td><td>%s</td>"
               "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
               "<td>%s%s</td></tr>\n", cs_factor_name(f),
               (unsigned long long)s->unknown,
               (unsigned long long)s->exposed.sessions,
               (unsigned long long)s->exposed.cases, r1,
               (unsigned long long)s->unexposed.sessions,
               (unsigned long long)s->unexposed.cases, r2, rr, or, rd, paf,
               p1, p2, s->small_expected ? " *" : "");
    }
    rc = rc ? rc : P(b, "</table></div><p class=\"note\">* an expected count "
                     "is below 5: read Fisher's exact p. Risks with Wilson "
                     "(or exact) intervals; RR Katz, OR Woolf, RD Wald.</p>\n");
    return rc;
}

/* Forest plot: one row per factor, risk ratio and interval on a log axis. */
static int forest(cs_buf *b, const cs_factor_stats *fs)
{
    const double W = 760, left = 210, right = 130, row = 22, top = 30;
    double lo = 0.5, hi = 2;
    double H = top + row * CS_F_N + 40;
    int rc;

    for (int f = 0; f < CS_F_N; f++) {
        const cs_ci *c = &fs[f].rr;
        if (isfinite(c->lo) && c->lo > 0 && c->lo < lo) lo = c->lo;
        if (isfinite(c->hi) && c->hi > hi) hi = c->hi;
        if (isfinite(c->est) && c->est > 0 && c->est < lo) lo = c->est;
        if (isfinite(c->est) && c->est > hi) hi = c->est;
    }
    lo = pow(2, floor(log2(lo)));
    hi = pow(2, ceil(log2(hi)));
    if (lo < 1.0 / 64) lo = 1.0 / 64;
    if (hi > 64) hi = 64;
#define X(v) (left + (log(v) - log(lo)) / (log(hi) - log(lo)) * (W - left - right))
    rc = P(b, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"forest plot "
           "of risk ratios\">\n", W, H);
    for (double t = lo; t <= hi * 1.0001 && rc == CS_OK; t *= 2) {
        double x = X(t);
        rc = P(b, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" "
               "stroke=\"%s\" stroke-width=\"%s\"/>"
               "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%g</text>\n",
               x, top - 8, x, top + row * CS_F_N, t == 1 ? "#57606a" : "#eaeef2",
               t == 1 ? "1.5" : "1", x, top + row * CS_F_N + 16, t);
    }
    rc = rc ? rc : P(b, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">"
                     "risk ratio, exposed vs unexposed (log scale)</text>\n"
                     "<text x=\"%.0f\" y=\"16\" text-anchor=\"start\">RR (CI)</text>\n",
                     (left + W - right) / 2, H - 4, W - right + 8);
    for (int f = 0; f < CS_F_N && rc == CS_OK; f++) {
        const cs_ci *c = &fs[f].rr;
        double y = top + row * f + row / 2;
        char lab[64];
        cs_fmt_ci(lab, sizeof lab, c->est, c->lo, c->hi, 2);
        rc = P(b, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>"
               "<text x=\"%.0f\" y=\"%.1f\">%s</text>\n", left - 8, y + 4,
               cs_factor_name(f), W - right + 8, y + 4, lab);
        if (rc == CS_OK && isfinite(c->lo) && isfinite(c->hi) && c->lo > 0) {
            double x1 = X(fmax(c->lo, lo)), x2 = X(fmin(c->hi, hi));
            rc = P(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                   "stroke=\"#0969da\" stroke-width=\"2\"/>\n", x1, y, x2, y);
        }
        if (rc == CS_OK && isfinite(c->est) && c->est >= lo && c->est <= hi)
            rc = P(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" "
                   "fill=\"#0969da\"/>\n", X(c->est) - 4, y - 4);
    }
#undef X
    return rc ? rc : P(b, "</svg>\n");
}

static int stratified(cs_buf *b, const cs_agg *a, const cs_report_opts *o)
{
    int lvl = (int)lround(o->level * 100), rc;
    cs_2x2 t[CS_AGG_MAX_LEVELS];

    rc = P(b, "<h2>Stratified by ");
    rc = rc ? rc : E(a->by);
    rc = rc ? rc : P(b, " (Mantel-Haenszel)</h2>\n<div class=\"wrap\"><table>"
                     "<tr><th class=\"l\">factor</th><th>strata</th>"
                     "<th>MH RR (%d%% CI)</th><th>MH OR (%d%% CI)</th>"
                     "<th>MH chi&#178; p</th><th>Breslow-Day p</th>"
                     "<th class=\"l\">exposed cases / sessions by stratum</th></tr>\n",
                     lvl, lvl);
    for (int f = 0; f < CS_F_N && rc == CS_OK; f++) {
        cs_mh mh;
        char rr[64], or[64], p1[16], p2[16];
        cs_report_strata(t, a, f);
        cs_stats_mh(&mh, t, a->nstrata, o->level);
        cs_fmt_ci(rr, sizeof rr, mh.risk_ratio.est, mh.risk_ratio.lo,
                  mh.risk_ratio.hi, 2);
        cs_fmt_ci(or, sizeof or, mh.odds_ratio.est, mh.odds_ratio.lo,
                  mh.odds_ratio.hi, 2);
        cs_fmt_p(p1, sizeof p1, mh.chisq.p);
        cs_fmt_p(p2, sizeof p2, mh.breslow_day.p);
        rc = P(b, "<tr><td class=\"l\">%s</td><td>%zu</td><td>%s</td><td>%s</td>"
               "<td>%s</td><td>%s</td><td class=\"l\">", cs_factor_name(f),
               mh.strata_used, rr, or, p1, p2);
        for (size_t i = 0; i < a->nstrata && rc == CS_OK; i++) {
            rc = P(b, "%s", i ? "; " : "");
            rc = rc ? rc : E(a->strata[i].name[0] ? a->strata[i].name : "(empty)");
            rc = rc ? rc : P(b, ": %llu/%llu", (unsigned long long)t[i].a,
                             (unsigned long long)(t[i].a + t[i].b));
        }
        rc = rc ? rc : P(b, "</td></tr>\n");
    }
    return rc ? rc : P(b, "</table></div>\n");
}

static const char *const bar_colors[CS_CAL_GROUPS_MAX] = {
    "#0969da", "#cf222e", "#1a7f37", "#9a6700", "#8250df"
};

/* Calorie goals: horizontal bars, one per goal and group. */
static int goal_chart(cs_buf *b, const cs_cal *c)
{
    const double W = 760, left = 220, right = 60, bar = 12;
    const double gap = 8, top = 10;
    double groupH = bar * (double)c->ngroups + gap;
    double H = top + groupH * CS_GOAL_N + 30;
    uint64_t mx = 1;
    int rc;

    for (size_t g = 0; g < c->ngroups; g++)
        for (int k = 0; k < CS_GOAL_N; k++)
            if (c->group[g].goal[k] > mx)
                mx = c->group[g].goal[k];
    rc = P(b, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"calorie "
           "goals by group\">\n", W, H);
    for (int k = 0; k < CS_GOAL_N && rc == CS_OK; k++) {
        double y0 = top + groupH * k;
        rc = P(b, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
               left - 8, y0 + groupH / 2, cs_goal_text(k));
        for (size_t g = 0; g < c->ngroups && rc == CS_OK; g++) {
            uint64_t n = c->group[g].goal[k];
            double w = (W - left - right) * (double)n / (double)mx;
            rc = P(b, "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" "
                   "fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\">%llu</text>\n",
                   left, y0 + bar * (double)g, w, bar - 2,
                   bar_colors[g % CS_CAL_GROUPS_MAX], left + w + 4,
                   y0 + bar * (double)g + bar - 3, (unsigned long long)n);
        }
    }
    for (size_t g = 0; g < c->ngroups && rc == CS_OK; g++) {
        rc = P(b, "<rect x=\"%.0f\" y=\"%.0f\" width=\"10\" height=\"10\" fill=\"%s\"/>"
               "<text x=\"%.0f\" y=\"%.0f\">", left + 90.0 * (double)g, H - 14,
               bar_colors[g % CS_CAL_GROUPS_MAX], left + 90.0 * (double)g + 14, H - 5);
        rc = rc ? rc : E(cs_cal_group_name(c->by, g));
        rc = rc ? rc : P(b, "</text>\n");
    }
    return rc ? rc : P(b, "</svg>\n");
}

/* Histogram of target_kcal of one group in 100 kcal bins. */
static int target_hist(cs_buf *b, const cs_cal *c, size_t g)
{
    const double W = 760, H = 210, left = 50, bottom = 40, top = 10;
    cs_cal_hist all;
    long lo, hi;
    uint64_t mx = 1, bins[400] = {0};
    size_t nb;
    int rc = CS_OK;

    cs_cal_hist_init(&all);
    for (int d = 0; d < CS_CAL_DIR_N && rc == CS_OK; d++)
        rc = cs_cal_hist_merge(&all, &c->group[g].target[d]);
    if (rc != CS_OK || all.total == 0) {
        cs_cal_hist_dispose(&all);
        return rc ? rc : P(b, "<p class=\"note\">no participants</p>\n");
    }
    {
        size_t first = 0, last = 0;
        int seen = 0;
        for (size_t i = 0; i < all.n; i++)
            if (all.count[i]) {
                if (!seen) first = i;
                last = i;
                seen = 1;
            }
        lo = (long)floor((double)(all.lo + (long)first) / 100) * 100;
        hi = (long)floor((double)(all.lo + (long)last) / 100) * 100 + 100;
        nb = (size_t)((hi - lo) / 100);
        if (nb > 400)
            nb = 400;
        for (size_t i = first; i <= last; i++) {
            size_t k = (size_t)((long)floor((double)(all.lo + (long)i - lo) / 100));
            if (k < nb)
                bins[k] += all.count[i];
        }
    }
    for (size_t k = 0; k < nb; k++)
        if (bins[k] > mx)
            mx = bins[k];
    rc = P(b, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"histogram "
           "of target kcal\">\n", W, H);
    for (size_t k = 0; k < nb && rc == CS_OK; k++) {
        double bw = (W - left - 10) / (double)nb;
        double h = (H - bottom - top) * (double)bins[k] / (double)mx;
        rc = P(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
               "fill=\"%s\"><title>%ld-%ld kcal: %llu</title></rect>\n",
               left + bw * (double)k, H - bottom - h, bw > 1.5 ? bw - 1 : bw, h,
               bar_colors[g % CS_CAL_GROUPS_MAX], lo + 100 * (long)k,
               lo + 100 * (long)k + 100, (unsigned long long)bins[k]);
    }
    /* A label every 500 kcal. */
    for (long v = (lo + 499) / 500 * 500; v <= hi && rc == CS_OK; v += 500) {
        double x = left + (W - left - 10) * (double)(v - lo) / (double)(hi - lo);
        rc = P(b, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%ld</text>\n",
               x, H - 24, v);
    }
    rc = rc ? rc : P(b, "<text x=\"4\" y=\"20\">%llu</text><text x=\"%.0f\" "
                     "y=\"%.0f\" text-anchor=\"middle\">target kcal/day (100 kcal "
                     "bins)</text></svg>\n", (unsigned long long)mx, W / 2, H - 5);
    cs_cal_hist_dispose(&all);
    return rc;
}

static int calories(cs_buf *b, const cs_cal *c)
{
    int rc = P(b, "<h2>Calorie goals and targets</h2>\n<p class=\"meta\">%llu "
               "participants, each counted once from their latest survey wave; "
               "grouped by %s.</p>\n", (unsigned long long)c->participants,
               cs_cal_by_name(c->by));
    rc = rc ? rc : goal_chart(b, c);
    rc = rc ? rc : P(b, "<div class=\"wrap\"><table><tr><th class=\"l\">group</th>"
                     "<th>n</th><th>mean</th><th>SD</th><th>p5</th><th>median</th>"
                     "<th>p95</th><th>below safe minimum</th></tr>\n");
    for (int g = -1; g < (int)c->ngroups && rc == CS_OK; g++) {
        cs_cal_summary s;
        char m[32], sd[32], p5[32], p50[32], p95[32];
        if (cs_cal_summary_of(&s, c, g, -1) < 0)
            return CS_ENOMEM;
        num(m, sizeof m, s.mean, 0);
        num(sd, sizeof sd, s.sd, 0);
        num(p5, sizeof p5, s.p5, 0);
        num(p50, sizeof p50, s.p50, 0);
        num(p95, sizeof p95, s.p95, 0);
        rc = P(b, "<tr><td class=\"l\">");
        rc = rc ? rc : E(g < 0 ? "all" : cs_cal_group_name(c->by, (size_t)g));
        rc = rc ? rc : P(b, "</td><td>%llu</td><td>%s</td><td>%s</td><td>%s</td>"
                         "<td>%s</td><td>%s</td><td>%llu (%.1f%%)</td></tr>\n",
                         (unsigned long long)s.n, m, sd, p5, p50, p95,
                         (unsigned long long)s.below,
                         s.n ? 100.0 * (double)s.below / (double)s.n : 0.0);
    }
    rc = rc ? rc : P(b, "</table></div>\n");
    for (size_t g = 0; g < c->ngroups && rc == CS_OK; g++) {
        rc = P(b, "<h3>target_kcal: ");
        rc = rc ? rc : E(cs_cal_group_name(c->by, g));
        rc = rc ? rc : P(b, "</h3>\n");
        rc = rc ? rc : target_hist(b, c, g);
    }
    return rc;
}

static int quality(cs_buf *b, const cs_html_doc *d, const cs_factor_stats *fs)
{
    int rc = P(b, "<h2>Data quality</h2>\n<div class=\"wrap\"><table><tr>"
               "<th class=\"l\">input</th><th class=\"l\">role</th><th>rows read</th>"
               "<th>accepted</th><th>rejected</th></tr>\n");
    for (size_t i = 0; i < d->ninputs && rc == CS_OK; i++) {
        const cs_html_input *in = &d->inputs[i];
        rc = P(b, "<tr><td class=\"l\"><code>");
        rc = rc ? rc : E(in->path);
        rc = rc ? rc : P(b, "</code></td><td class=\"l\">%s</td><td>%llu</td>"
                         "<td>%llu</td><td>%llu</td></tr>\n", in->role,
                         (unsigned long long)in->counts.read,
                         (unsigned long long)in->counts.accepted,
                         (unsigned long long)in->counts.rejected);
    }
    rc = rc ? rc : P(b, "</table></div>\n<p>Sessions: %llu read, %llu joined to a "
                     "survey wave and analysed; %llu had no survey row; %llu left "
                     "out because the outcome is unknown.</p>\n",
                     (unsigned long long)d->sessions_read,
                     (unsigned long long)d->sessions_joined,
                     (unsigned long long)d->no_survey,
                     (unsigned long long)d->agg->outcome_unknown);
    if (d->rej && cs_rejlog_total(d->rej) > 0) {
        rc = rc ? rc : P(b, "<div class=\"wrap\"><table><tr><th class=\"l\">rejected "
                         "because of column</th><th>rows</th></tr>\n");
        for (size_t k = 0; k < cs_rejlog_nkeys(d->rej) && rc == CS_OK; k++) {
            const char *name;
            uint64_t n;
            cs_rejlog_key(d->rej, k, &name, &n);
            rc = P(b, "<tr><td class=\"l\">");
            rc = rc ? rc : E(name[0] ? name : "(whole row: wrong field count)");
            rc = rc ? rc : P(b, "</td><td>%llu</td></tr>\n", (unsigned long long)n);
        }
        rc = rc ? rc : P(b, "</table></div>\n");
    }
    rc = rc ? rc : P(b, "<div class=\"wrap\"><table><tr><th class=\"l\">factor</th>"
                     "<th>left out as unknown</th></tr>\n");
    for (int f = 0; f < CS_F_N && rc == CS_OK; f++)
        rc = P(b, "<tr><td class=\"l\">%s</td><td>%llu</td></tr>\n",
               cs_factor_name(f), (unsigned long long)fs[f].unknown);
    return rc ? rc : P(b, "</table></div>\n");
}

static int provenance(cs_buf *b, const cs_html_doc *d)
{
    int rc = P(b, "<h2>Provenance</h2>\n<p>crampstat %s, run %s.</p>\n"
               "<p>Command: <code>", CS_VERSION_TEXT, d->when ? d->when : "");
    rc = rc ? rc : E(d->command ? d->command : "");
    rc = rc ? rc : P(b, "</code></p>\n<div class=\"wrap\"><table><tr><th class=\"l\">"
                     "file</th><th>bytes</th><th class=\"l\">SHA-256</th></tr>\n");
    for (size_t i = 0; i < d->ninputs && rc == CS_OK; i++) {
        rc = P(b, "<tr><td class=\"l\"><code>");
        rc = rc ? rc : E(d->inputs[i].path);
        rc = rc ? rc : P(b, "</code></td><td>%llu</td><td class=\"l\"><code>%s"
                         "</code></td></tr>\n",
                         (unsigned long long)d->inputs[i].size, d->inputs[i].sha256);
    }
    rc = rc ? rc : P(b, "</table></div>\n<p>Rules in force:</p>\n<pre class=\"note\">");
    rc = rc ? rc : E(d->rules_text ? d->rules_text : d->agg->rules);
    return rc ? rc : P(b, "</pre>\n");
}

int cs_html_render(const cs_html_doc *d, cs_buf *b)
{
    const cs_agg *a = d->agg;
    cs_factor_stats fs[CS_F_N];
    int lvl = (int)lround(d->ro->level * 100), rc;

    cs_report_crude(fs, a, d->ro);
    rc = P(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
           "<title>crampstat report</title><style>%s</style></head><body><main>\n"
           "<h1>Hamstring cramps by cause factor</h1>\n", css);
    rc = rc ? rc : P(b, "<p class=\"meta\">%llu sessions analysed (%llu left out: "
                     "outcome unknown). Outcome: %s. Confidence level %d%%.</p>\n",
                     (unsigned long long)(a->rows - a->outcome_unknown),
                     (unsigned long long)a->outcome_unknown,
                     a->outcome == CS_OUTCOME_ANY ? "any cramp"
                                                  : "hamstring cramp",
                     lvl);
    rc = rc ? rc : P(b, "<h2>Risk ratios</h2>\n");
    rc = rc ? rc : forest(b, fs);
    rc = rc ? rc : P(b, "<h2>Cause factors, exposed vs unexposed</h2>\n");
    rc = rc ? rc : factor_table(b, fs, lvl);
    if (rc == CS_OK && a->by[0])
        rc = stratified(b, a, d->ro);
    rc = rc ? rc : cs_html_dose(b, a, d->ro);        /* dose-response (html_dose.c) */
    rc = rc ? rc : cs_html_over_time(b, a, d->ro);   /* over time (html_dose.c) */
    if (rc == CS_OK && d->cal)
        rc = calories(b, d->cal);
    rc = rc ? rc : quality(b, d, fs);
    rc = rc ? rc : provenance(b, d);
    return rc ? rc : P(b, "</main></body></html>\n");
}
