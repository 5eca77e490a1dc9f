/* The HTML report. One file a researcher can mail or archive, with
 * everything the text report has: the intervals robust to the clustering
 * of sessions within participants lead (--cluster none: session level),
 * forest plots of the risk ratios and of the adjusted models, the
 * stratified results, the calorie goals with their cramp link, a
 * data-quality section and the run's provenance. Charts are inline SVG
 * sized by viewBox, each with a <title> and a <desc> that carry its
 * numbers (and a table beside it), tables sit in scrolling wrappers, a
 * print stylesheet lays it out on paper. No scripts, no network.
 *
 * The page is a list of section renderers (sections[] at the end), each
 * given the report computed once by cs_report_compute. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdarg.h>
#include <crampstat/html.h>
#include <crampstat/schema.h>
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
        return cs_buf_fail(b, CS_ERROR);
    if ((size_t)n < sizeof tmp)
        return cs_buf_append(b, tmp, (size_t)n);
    va_start(ap, fmt);
    if (cs_buf_reserve(b, (size_t)n) == CS_OK) {
        vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
        b->len += (size_t)n;
    }
    va_end(ap);
    return cs_buf_error(b);
}

static const char css[] =
"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;"
"color:#1b1f24;background:#fff}"
"main{max-width:1200px;margin:0 auto;padding:1.5em}"
"h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em;margin-top:1.8em;"
"border-bottom:1px solid #d0d7de;padding-bottom:.2em}h3{font-size:1.05em}"
"p.meta{color:#57606a;margin:.2em 0}"
"p.lead{background:#ddf4ff;border-left:4px solid #0969da;padding:.4em .8em}"
"p.how{color:#57606a;font-size:13px;font-style:italic;margin:.3em 0 .6em}"
".wrap{overflow-x:auto;max-width:100%}"
"table{border-collapse:collapse;font-size:13px;margin:.5em 0}"
"caption{text-align:left;font-weight:600;padding:2px 0;white-space:nowrap}"
"th,td{padding:3px 6px;border-bottom:1px solid #eaeef2;text-align:right;"
"white-space:nowrap}th{background:#f6f8fa;white-space:normal;"
"vertical-align:bottom}"
"td.l,th.l{text-align:left}"
"svg{max-width:100%;height:auto;display:block}"
"svg text{font:12px system-ui,sans-serif;fill:#1b1f24}"
".note{color:#57606a;font-size:13px}"
"code{font-size:12px;word-break:break-all}"
"pre{white-space:pre-wrap;word-break:break-all}"
"@media print{@page{margin:14mm}"
"body{font-size:10pt;color:#000}main{max-width:none;padding:0}"
"h2{break-after:avoid;page-break-after:avoid}"
"h3,p.meta{break-after:avoid;page-break-after:avoid}"
"p.how,p.note{break-before:avoid;page-break-before:avoid}"
".wrap{overflow:visible}table{font-size:8pt}th,td{padding:1px 4px}"
"th{background:none;border-bottom:1px solid #000}"
"table,svg,p.how{break-inside:avoid;page-break-inside:avoid}"
"p.lead{background:none;border:1px solid #000}"
"svg{max-width:17cm}}";

static void num(char *d, size_t cap, double v, int dec)
{
    cs_fmt_disp(d, cap, v, dec);
}

/* Everything a section renderer needs. */
typedef struct hctx {
    const cs_html_doc *d;
    const cs_report *r;
    int lvl;                    /* the confidence level in percent */
} hctx;

/* A short line that says how to read the section above it. */
static int how(cs_buf *b, const char *text)
{
    P(b, "<p class=\"how\">How to read this: ");
    cs_buf_puts(b, text);
    P(b, "</p>\n");
    return cs_buf_error(b);
}

/* A full-precision number as a data attribute (as JSON writes it; null
 * when undefined), so a reader can check the page against the JSON. */
static int dnum(cs_buf *b, const char *name, double v)
{
    char t[40];

    if (!isfinite(v))
        return P(b, " data-%s=\"null\"", name);
    cs_fmt_double(t, sizeof t, v);
    return P(b, " data-%s=\"%s\"", name, t);
}

static int dci(cs_buf *b, const char *prefix, const cs_ci *c)
{
    char n[48];

    snprintf(n, sizeof n, "%s-est", prefix);
    dnum(b, n, c->est);
    snprintf(n, sizeof n, "%s-lo", prefix);
    dnum(b, n, c->lo);
    snprintf(n, sizeof n, "%s-hi", prefix);
    dnum(b, n, c->hi);
    return cs_buf_error(b);
}

/* ---- forest plots ------------------------------------------------------ */

typedef struct frow {
    const char *label;          /* from the data: escaped */
    cs_ci ci;
} frow;

/* One row per estimate with its interval on a log axis; the <title> says
 * what is plotted and the <desc> lists every estimate and interval. */
static int forest(cs_buf *b, const char *id, const char *title,
                  const char *axis, const frow *rows, size_t n)
{
    const double W = 760, left = 220, right = 150, row = 22, top = 30;
    double lo = 0.5, hi = 2;
    double H = top + row * (double)n + 40;
    char lab[96];

    for (size_t i = 0; i < n; i++) {
        const cs_ci *c = &rows[i].ci;
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
    P(b, "<svg width=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-labelledby=\""
        "%s-t %s-d\">\n<title id=\"%s-t\">%s</title>\n<desc id=\"%s-d\">",
        W, W, H, id, id, id, title, id);
    for (size_t i = 0; i < n; i++) {
        const cs_ci *c = &rows[i].ci;
        cs_fmt_ci(lab, sizeof lab, c->est, c->lo, c->hi, 2);
        E(rows[i].label);
        P(b, " %s%s", isfinite(c->est) ? lab : "undefined",
            i + 1 < n ? "; " : "");
    }
    P(b, "</desc>\n");
    /* A tick at every power of 2; below 1/8 labelled as a fraction (1/64,
     * not 0.015625), and past seven ticks only every other one labelled,
     * 1 always among them, so that the labels never run together. */
    int nticks = (int)lround(log2(hi / lo)) + 1;
    for (double t = lo; t <= hi * 1.0001; t *= 2) {
        double x = X(t);
        int e = (int)lround(log2(t));
        char tl[16] = "";
        if (nticks <= 7 || e % 2 == 0)
            snprintf(tl, sizeof tl, t >= 0.125 ? "%g" : "1/%g",
                     t >= 0.125 ? t : 1 / t);
        P(b, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" "
            "stroke=\"%s\" stroke-width=\"%s\"/>",
            x, top - 8, x, top + row * (double)n, t == 1 ? "#57606a" : "#eaeef2",
            t == 1 ? "1.5" : "1");
        if (tl[0])
            P(b, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>",
              x, top + row * (double)n + 16, tl);
        P(b, "\n");
    }
    P(b, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">"
        "%s</text>\n<text x=\"%.0f\" y=\"16\" text-anchor=\"start\">"
        "estimate (CI)</text>\n",
        (left + W - right) / 2, H - 4, axis, W - right + 8);
    for (size_t i = 0; i < n; i++) {
        const cs_ci *c = &rows[i].ci;
        double y = top + row * (double)i + row / 2;
        cs_fmt_ci(lab, sizeof lab, c->est, c->lo, c->hi, 2);
        P(b, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", left - 8, y + 4);
        E(rows[i].label);
        P(b, "</text><text x=\"%.0f\" y=\"%.1f\">%s</text>\n",
            W - right + 8, y + 4, lab);
        /* Both ends held to the axis: an interval wholly past one end
         * of it is not drawn (its numbers are beside the plot). */
        if (isfinite(c->lo) && isfinite(c->hi) && c->lo > 0 &&
            c->hi >= lo && c->lo <= hi) {
            double x1 = X(fmin(fmax(c->lo, lo), hi)),
                   x2 = X(fmax(fmin(c->hi, hi), lo));
            P(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#0969da\" stroke-width=\"2\"/>\n", x1, y, x2, y);
        }
        if (isfinite(c->est) && c->est >= lo && c->est <= hi)
            P(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" "
                "fill=\"#0969da\"/>\n", X(c->est) - 4, y - 4);
    }
#undef X
    P(b, "</svg>\n");
    return cs_buf_error(b);
}

/* ---- the sections ------------------------------------------------------ */

static int sec_overview(cs_buf *b, const hctx *h)
{
    const cs_agg *a = h->d->agg;
    const cs_report *r = h->r;

    P(b, "<h1>Hamstring cramps by cause factor</h1>\n");
    P(b, "<p class=\"meta\">%llu sessions read, %llu used (%llu "
        "left out: outcome unknown). Outcome: %s. Confidence level "
        "%d%%; risk intervals %s, rates per 1000 h exact Poisson.</p>\n",
        (unsigned long long)a->rows,
        (unsigned long long)(a->rows - a->outcome_unknown),
        (unsigned long long)a->outcome_unknown,
        a->outcome == CS_OUTCOME_ANY
          ? "any cramp (cramp = yes)"
          : "hamstring cramp (cramp = yes and cramp_muscle = hamstring)",
        h->lvl, r->robust ? "robust (intercept-only logit)"
              : h->d->ro->ci == CS_CI_EXACT ? "Clopper-Pearson"
                                            : "Wilson");
    if (r->robust)
        P(b, "<p class=\"lead\">Intervals robust to clustering of "
            "sessions within participants (%zu participants; "
            "sandwich by participant_id). Run with <code>--cluster "
            "none</code> for session-level intervals.</p>\n",
            cs_clu_participants(a->clu));
    else
        P(b, "<p class=\"lead\">Session-level intervals: sessions "
            "are treated as independent%s.</p>\n",
            h->d->ro->cluster
              ? " (the state has no per-participant sums)"
              : " (<code>--cluster none</code>); without that "
                "option the intervals are robust to clustering of "
                "sessions within participants");
    return cs_buf_error(b);
}

/* The risk ratio of each factor: robust when the report is. */
static int sec_risk_ratios(cs_buf *b, const hctx *h)
{
    const cs_report *r = h->r;
    frow rows[CS_F_N];
    char title[160];

    for (int f = 0; f < CS_F_N; f++) {
        rows[f].label = cs_factor_name(f);
        rows[f].ci = r->robust ? r->cf[f].risk_ratio : r->f[f].rr;
    }
    snprintf(title, sizeof title, "Forest plot: risk ratio of each factor, "
             "exposed vs unexposed, with %d%% %s intervals", h->lvl,
             r->robust ? "cluster-robust" : "session-level (Katz)");
    P(b, "<h2>Risk ratios</h2>\n");
    forest(b, "rr", title, "risk ratio, exposed vs unexposed "
           "(log scale)", rows, CS_F_N);
    how(b, "each row is one cause factor; the square is the "
        "risk ratio and the line its interval. Right of 1: "
        "cramps are more frequent in exposed sessions; a line "
        "that crosses 1 is compatible with no difference. The "
        "numbers are in the tables below.");
    return cs_buf_error(b);
}

static int sec_exposure(cs_buf *b, const hctx *h)
{
    const cs_report *r = h->r;
    P(b, "<h2>Risk by exposure</h2>\n<div class=\"wrap\"><table>"
        "<tr><th class=\"l\">factor</th><th>unknown</th><th>exposed</th>%s"
        "<th>cases</th><th>risk %% (%d%% CI)</th><th>per 1000 h</th>"
        "<th>unexposed</th>%s<th>cases</th><th>risk %% (%d%% CI)</th>"
        "<th>per 1000 h</th></tr>\n",
        r->robust ? "<th>people</th>" : "", h->lvl,
        r->robust ? "<th>people</th>" : "", h->lvl);

    for (int f = 0; f < CS_F_N; f++) {
        const cs_factor_stats *s = &r->f[f];
        const cs_clu_factor *cf = &r->cf[f];
        P(b, "<tr data-factor=\"%s\"><td class=\"l\">%s</td><td>%llu</td>",
            cs_factor_name(f), cs_factor_name(f), (unsigned long long)s->unknown);
        for (int g = 0; g < 2; g++) {
            const cs_group_stats *gs = g ? &s->unexposed : &s->exposed;
            const cs_ci *risk = !r->robust ? &gs->risk
                : g ? &cf->unexposed_risk : &cf->exposed_risk;
            char rk[64], rt[64];
            cs_fmt_ci(rk, sizeof rk, 100 * risk->est, 100 * risk->lo,
                      100 * risk->hi, 2);
            num(rt, sizeof rt, gs->rate.est, 2);
            P(b, "<td>%llu</td>", (unsigned long long)gs->sessions);
            if (r->robust)
                P(b, "<td>%llu</td>", (unsigned long long)
                    (g ? cf->participants_unexposed : cf->participants_exposed));
            P(b, "<td>%llu</td><td>%s</td><td>%s</td>",
                (unsigned long long)gs->cases, rk, rt);
        }
        P(b, "</tr>\n");
    }
    P(b, "</table></div>\n");
    how(b, r->robust
        ? "sessions and cramp cases in exposed and unexposed sessions, and the "
          "people they came from; the risk is cases per 100 sessions with an "
          "interval robust to clustering within participants, the rate is cases "
          "per 1000 hours of exercise."
        : "sessions and cramp cases in exposed and unexposed sessions; the risk "
          "is cases per 100 sessions, the rate cases per 1000 hours of exercise.");
    return cs_buf_error(b);
}

/* Notes, numbered (the statistics' own) and lettered (the robust
 * measures'), as in the text report. */
typedef struct notes {
    uint32_t seen[32], clu[32];
    int nseen, nclu;
} notes;

static void note_refs(notes *n, uint32_t st, uint32_t clu, char *d, size_t cap)
{
    size_t len = 0;

    d[0] = '\0';
    for (unsigned bit = 0; bit < 32; bit++) {
        uint32_t m = UINT32_C(1) << bit;
        int k;
        if (!(st & m) || m == CS_NOTE_SMALL_EXPECTED || !cs_stats_note_text(m))
            continue;
        for (k = 0; k < n->nseen && n->seen[k] != m; k++)
            ;
        if (k == n->nseen)
            n->seen[n->nseen++] = m;
        if (len < cap)
            len += (size_t)snprintf(d + len, cap - len, "%s%d", len ? "," : "", k + 1);
    }
    for (unsigned bit = 0; bit < 32; bit++) {
        uint32_t m = UINT32_C(1) << bit;
        int k;
        if (!(clu & m))
            continue;
        for (k = 0; k < n->nclu && n->clu[k] != m; k++)
            ;
        if (k == n->nclu)
            n->clu[n->nclu++] = m;
        if (len < cap)
            len += (size_t)snprintf(d + len, cap - len, "%s%c", len ? "," : "",
                                    'a' + k);
    }
}

static int note_list(cs_buf *b, const notes *n)
{
    for (int k = 0; k < n->nseen; k++)
        P(b, "<p class=\"note\">%d. %s</p>\n", k + 1,
            cs_stats_note_text(n->seen[k]));
    for (int k = 0; k < n->nclu; k++) {
        char t[1024];
        cs_clu_notes_format(t, sizeof t, n->clu[k]);
        P(b, "<p class=\"note\">%c. robust interval undefined: %s</p>\n",
            'a' + k, t);
    }
    return cs_buf_error(b);
}

static int sec_comparison(cs_buf *b, const hctx *h)
{
    const cs_report *r = h->r;
    notes nt;
    int lvl = h->lvl;
    P(b, "<h2>Comparison, exposed vs unexposed</h2>\n<div class=\"wrap\">"
        "<table><tr><th class=\"l\">factor</th><th>risk ratio (%d%% CI)</th>"
        "<th>odds ratio (%d%% CI)</th><th>risk diff. pp (%d%% CI)</th>"
        "<th>rate ratio (%d%% CI)</th>%s<th>AF exp. %% (%d%% CI)</th>"
        "<th>PAF %% (%d%% CI)</th>"
        "<th>chi&#178; p%s</th><th>Fisher p</th><th class=\"l\">notes</th>"
        "</tr>\n", lvl, lvl, lvl, lvl, r->robust ? "<th>deff</th>" : "",
        lvl, lvl, h->d->ro->yates ? " (Yates)" : "");

    memset(&nt, 0, sizeof nt);
    for (int f = 0; f < CS_F_N; f++) {
        const cs_factor_stats *s = &r->f[f];
        const cs_clu_factor *cf = &r->cf[f];
        const cs_ci *rr = r->robust ? &cf->risk_ratio : &s->rr;
        const cs_ci *or = r->robust ? &cf->odds_ratio : &s->or;
        const cs_ci *rd = r->robust ? &cf->risk_difference : &s->rd;
        const cs_ci *rt = r->robust ? &cf->rate_ratio : &r->rate_ratio[f];
        const cs_ci *afc = cs_report_af(r, f);
        const cs_ci *pafc = cs_report_paf(r, f);
        char c1[64], c2[64], c3[64], c4[64], de[32], af[64], paf[64], p1[16],
             p2[16], nr[128];
        cs_fmt_ci(c1, sizeof c1, rr->est, rr->lo, rr->hi, 2);
        cs_fmt_ci(c2, sizeof c2, or->est, or->lo, or->hi, 2);
        cs_fmt_ci(c3, sizeof c3, 100 * rd->est, 100 * rd->lo, 100 * rd->hi, 2);
        cs_fmt_ci(c4, sizeof c4, rt->est, rt->lo, rt->hi, 2);
        num(de, sizeof de, cf->design_effect, 2);
        cs_fmt_ci(af, sizeof af, 100 * afc->est, 100 * afc->lo, 100 * afc->hi, 1);
        cs_fmt_ci(paf, sizeof paf, 100 * pafc->est, 100 * pafc->lo, 100 * pafc->hi, 1);
        cs_fmt_p(p1, sizeof p1, s->chi2.p);
        cs_fmt_p(p2, sizeof p2, s->fisher_p);
        note_refs(&nt, s->notes | s->exposed.notes | s->unexposed.notes |
                  (r->robust ? 0 : r->rate_notes[f]), r->robust ? cf->notes : 0,
                  nr, sizeof nr);
        P(b, "<tr data-factor=\"%s\"", cs_factor_name(f));
        dci(b, "rr", rr);
        dci(b, "or", or);
        dci(b, "rd", rd);
        dci(b, "rate", rt);
        if (r->robust)
            dnum(b, "deff", cf->design_effect);
        dci(b, "af", afc);
        dci(b, "paf", pafc);
        P(b, "><td class=\"l\">%s</td><td>%s</td><td>%s</td>"
            "<td>%s</td><td>%s</td>", cs_factor_name(f), c1, c2, c3, c4);
        if (r->robust)
            P(b, "<td>%s</td>", de);
        P(b, "<td>%s</td><td>%s</td><td>%s</td><td>%s%s</td>"
            "<td class=\"l\">%s</td></tr>\n", af, paf, p1, p2,
            s->small_expected ? " *" : "", nr);
    }
    P(b, "</table></div>\n");
    if (cs_report_any_star(r))
        P(b, "<p class=\"note\">* an expected count is below 5: read "
            "Fisher's exact p.</p>\n");
    note_list(b, &nt);
    if (r->robust)
        P(b, "<p class=\"note\">Risks, RR, OR, RD, rate ratio, AF and PAF: "
            "intervals robust to clustering within participants; deff = "
            "(robust / Katz SE of log RR)&#178;; chi-square and Fisher p treat "
            "sessions as independent. AF exp.: attributable fraction among the "
            "exposed, (RR &#8722; 1) / RR; PAF: population attributable "
            "fraction, the share of all cases that would not occur without the "
            "factor.</p>\n");
    else
        P(b, "<p class=\"note\">RR Katz, OR Woolf, RD Wald, rate ratio exact "
            "(conditional on the total), AF from the RR interval, PAF Jewell's "
            "interval; sessions treated as independent. AF exp.: attributable "
            "fraction among the exposed; PAF: population attributable "
            "fraction.</p>\n");
    how(b, "a ratio above 1 (a difference above 0) means more "
        "cramps in exposed sessions; an interval that includes "
        "1 (or 0) is compatible with no effect. A design effect "
        "(deff) above 1 says how much wider the interval is for "
        "sessions coming in clusters from the same people.");
    return cs_buf_error(b);
}

static int enote_list(cs_buf *b, const cs_epi_refs *e)
{
    for (int k = 0; k < e->n; k++)
        P(b, "<p class=\"note\">e%d. %s</p>\n", k + 1,
            cs_epi_note_text(e->bit[k]));
    return cs_buf_error(b);
}

/* epi.2by2's further measures of each factor; session-level intervals. */
static int sec_attributable(cs_buf *b, const hctx *h)
{
    const cs_report *r = h->r;
    int lvl = h->lvl;
    cs_epi_refs en;
    P(b, "<h2>Attributable measures and exact odds ratio (sessions "
        "treated as independent)</h2>\n<div class=\"wrap\">"
        "<table id=\"attr-table\"><tr><th class=\"l\">factor</th>"
        "<th>pop. attr. risk pp (%d%% CI)</th><th>NNT (%d%% CI)</th>"
        "<th>exact OR (%d%% CI)</th><th>attr. rate per 1000 h (%d%% CI)</th>"
        "<th>AF exp. rate %% (%d%% CI)</th><th>PAF rate %% (%d%% CI)</th>"
        "<th class=\"l\">notes</th></tr>\n", lvl, lvl, lvl, lvl, lvl, lvl);

    memset(&en, 0, sizeof en);
    for (int f = 0; f < CS_F_N; f++) {
        const cs_epi_factor *m = &r->ep[f];
        cs_ci nnt = { m->nnt.est, m->nnt.lo, m->nnt.hi };
        const char *kind = cs_epi_nnt_kind_name(m->nnt.kind);
        char c[6][CS_REPORT_CELL], nr[64];
        cs_report_attr_cells(r, f, c);
        cs_epi_refs_add(&en, m->notes, nr, sizeof nr);
        P(b, "<tr data-factor=\"%s\" data-nnt-kind=\"%s\"", cs_factor_name(f),
            kind ? kind : "");
        dci(b, "par", &m->par);
        dci(b, "nnt", &nnt);
        dci(b, "xor", &m->exact_or);
        dci(b, "ard", &m->rate_difference);
        dci(b, "afr", &m->af_rate);
        dci(b, "pafr", &m->paf_rate);
        P(b, "><td class=\"l\">%s</td><td>%s</td><td>%s</td><td>%s</td>"
            "<td>%s</td><td>%s</td><td>%s</td><td class=\"l\">%s</td>"
            "</tr>\n", cs_factor_name(f), c[0], c[1], c[2], c[3],
            c[4], c[5], nr);
    }
    P(b, "</table></div>\n");
    enote_list(b, &en);
    how(b, "pop. attr. risk is the risk of all sessions minus "
        "that of the unexposed; NNT the number of exposed "
        "sessions per extra cramp (NNTH) or per cramp avoided "
        "(NNTB), its interval passing through infinity when the "
        "risk difference's contains 0; the exact odds ratio is "
        "the conditional maximum-likelihood estimate with "
        "Fisher's exact interval; the rate measures are per "
        "1000 hours. These intervals treat sessions as "
        "independent: read the comparison above for intervals "
        "robust to clustering.");
    return cs_buf_error(b);
}

/* Each stratum's risk ratio, odds ratio and risk difference. */
static int strata_table(cs_buf *b, const hctx *h)
{
    const cs_agg *a = h->d->agg;
    const cs_report *r = h->r;
    int lvl = h->lvl;
    cs_epi_refs en;
    P(b, "<div class=\"wrap\"><table id=\"strata-table\"><caption>Each "
        "stratum of ");

    memset(&en, 0, sizeof en);
    E(a->by);
    P(b, "</caption><tr><th class=\"l\">factor</th><th class=\"l\">");
    E(a->by);
    P(b, "</th><th>exposed</th><th>cases</th><th>unexposed</th>"
        "<th>cases</th><th>risk ratio (%d%% CI)</th>"
        "<th>odds ratio (%d%% CI)</th><th>risk diff. pp (%d%% CI)</th>"
        "<th class=\"l\">notes</th></tr>\n", lvl, lvl, lvl);
    for (int f = 0; f < CS_F_N; f++) {
        const cs_report_strat *s = &r->s[f];
        for (size_t i = 0; s->t && s->st && i < a->nstrata; i++) {
            const cs_2x2 *x = &s->t[i];
            const cs_epi_stratum *m = &s->st[i];
            char c[3][CS_REPORT_CELL], nr[64];
            cs_report_stratum_cells(m, c);
            cs_epi_refs_add(&en, m->notes, nr, sizeof nr);
            P(b, "<tr data-factor=\"%s\" data-stratum=\"", cs_factor_name(f));
            E(a->strata[i].name);
            P(b, "\"");
            dci(b, "rr", &m->risk_ratio);
            dci(b, "or", &m->odds_ratio);
            dci(b, "rd", &m->risk_difference);
            P(b, "><td class=\"l\">%s</td><td class=\"l\">",
                cs_factor_name(f));
            E(a->strata[i].name[0] ? a->strata[i].name : "(empty)");
            P(b, "</td><td>%llu</td><td>%llu</td><td>%llu</td>"
                "<td>%llu</td><td>%s</td><td>%s</td><td>%s</td>"
                "<td class=\"l\">%s</td></tr>\n",
                (unsigned long long)(x->a + x->b),
                (unsigned long long)x->a,
                (unsigned long long)(x->c + x->d),
                (unsigned long long)x->c, c[0], c[1], c[2], nr);
        }
    }
    P(b, "</table></div>\n");
    enote_list(b, &en);
    return cs_buf_error(b);
}

static int sec_stratified(cs_buf *b, const hctx *h)
{
    const cs_agg *a = h->d->agg;
    const cs_report *r = h->r;
    int lvl = h->lvl;

    if (!r->has_strata)
        return CS_OK;
    P(b, "<h2>Stratified by ");
    E(a->by);
    P(b, " (Mantel-Haenszel; treats sessions as independent)</h2>\n"
        "<div class=\"wrap\"><table>"
        "<tr><th class=\"l\">factor</th><th>strata</th>"
        "<th>MH RR (%d%% CI)</th><th>MH OR (%d%% CI)</th>"
        "<th>MH RD pp (%d%% CI)</th><th>crude/MH RR</th>"
        "<th>crude/MH OR</th>"
        "<th>MH chi&#178; p</th><th>Breslow-Day p</th>"
        "<th>Woolf p RR</th><th>Woolf p OR</th>"
        "<th class=\"l\">notes</th></tr>\n",
        lvl, lvl, lvl);
    cs_epi_refs en;
    memset(&en, 0, sizeof en);
    for (int f = 0; f < CS_F_N; f++) {
        const cs_report_strat *s = &r->s[f];
        const cs_mh *mh = &s->mh;
        const cs_epi_stratified *m = &s->ep;
        char rr[64], or[64], p1[16], p2[16], nr[64];
        char rd[CS_REPORT_CELL], ca1[CS_REPORT_CELL], ca2[CS_REPORT_CELL],
             w1[CS_REPORT_CELL], w2[CS_REPORT_CELL];
        cs_report_pooled_cells(m, rd, ca1, ca2, w1, w2);
        cs_epi_refs_add(&en, m->notes, nr, sizeof nr);
        cs_fmt_ci(rr, sizeof rr, mh->risk_ratio.est, mh->risk_ratio.lo,
                  mh->risk_ratio.hi, 2);
        cs_fmt_ci(or, sizeof or, mh->odds_ratio.est, mh->odds_ratio.lo,
                  mh->odds_ratio.hi, 2);
        cs_fmt_p(p1, sizeof p1, mh->chisq.p);
        cs_fmt_p(p2, sizeof p2, mh->breslow_day.p);
        P(b, "<tr data-factor=\"%s\"", cs_factor_name(f));
        dci(b, "mh-rr", &mh->risk_ratio);
        dci(b, "mh-or", &mh->odds_ratio);
        dci(b, "mh-rd", &m->mh_rd);
        dnum(b, "crude-mh-rr", m->crude_adj.risk_ratio);
        dnum(b, "crude-mh-or", m->crude_adj.odds_ratio);
        dnum(b, "woolf-rr-p", m->woolf_rr.p);
        dnum(b, "woolf-or-p", m->woolf_or.p);
        P(b, "><td class=\"l\">%s</td><td>%zu</td><td>%s</td><td>%s</td>"
            "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
            "<td>%s</td><td>%s</td><td class=\"l\">%s%s%s</td></tr>\n",
            cs_factor_name(f), mh->strata_used, rr, or, rd, ca1, ca2,
            p1, p2, w1, w2,
            s->notes & CS_NOTE_BD_TOO_FEW_STRATA
              ? "Breslow-Day undefined" : "",
            (s->notes & CS_NOTE_BD_TOO_FEW_STRATA) && nr[0] ? " " : "",
            nr);
    }
    P(b, "</table></div>\n");
    enote_list(b, &en);
    strata_table(b, h);
    how(b, "the same comparison within each stratum, pooled "
        "(Mantel-Haenszel; the risk difference with the "
        "Greenland-Robins variance). crude/MH is the crude "
        "ratio over the pooled one: close to 1, the "
        "stratifying column does not confound the factor; a "
        "small Breslow-Day or Woolf p says the ratio differs "
        "between strata, and the table of each stratum shows "
        "how. These intervals treat sessions as independent.");
    return cs_buf_error(b);
}

/* A model's terms: a table (intercept first) and a forest plot of the
 * factors' (and adjustment levels') ratios. */
static int model(cs_buf *b, const hctx *h, const char *id, const char *measure,
                 const char *first_term, int fitted, const double *est,
                 const double *lo, const double *hi, const double *p,
                 int robust)
{
    const cs_report *r = h->r;
    frow rows[CS_LOGIT_MAXP];
    size_t n = 0;
    char title[200];
    P(b, "<div class=\"wrap\"><table id=\"%s-table\"><tr><th class=\"l\">"
        "term</th><th>%s (%d%% CI, %s)</th><th>p</th></tr>\n", id, measure,
        h->lvl, robust ? "robust" : "session level");

    for (size_t j = 0; fitted && j < r->p; j++) {
        cs_ci c = { est[j], lo[j], hi[j] };
        char t[96], pv[16];
        /* Small ratios (the intercept's baseline odds) need more decimals. */
        cs_fmt_ci(t, sizeof t, c.est, c.lo, c.hi, c.est < 0.1 ? 4 : 2);
        cs_fmt_p(pv, sizeof pv, p[j]);
        P(b, "<tr data-term=\"");
        E(r->term[j]);
        P(b, "\"");
        dci(b, "v", &c);
        dnum(b, "p", p[j]);
        P(b, "><td class=\"l\">");
        E(j ? r->term[j] : first_term);
        P(b, "</td><td>%s</td><td>%s</td></tr>\n", t, pv);
        if (j > 0) {
            rows[n].label = r->term[j];
            rows[n].ci = c;
            n++;
        }
    }
    P(b, "</table></div>\n");
    if (n > 0) {
        snprintf(title, sizeof title, "Forest plot: adjusted %ss of the model's "
                 "terms, with %d%% %s intervals", measure, h->lvl,
                 robust ? "cluster-robust" : "session-level");
        char axis[96];
        snprintf(axis, sizeof axis, "adjusted %s (log scale)", measure);
        forest(b, id, title, axis, rows, n);
    }
    return cs_buf_error(b);
}

static int sec_logistic(cs_buf *b, const hctx *h)
{
    const cs_report *r = h->r;
    int rb = r->robust && r->fitted;
    double est[CS_LOGIT_MAXP], lo[CS_LOGIT_MAXP], hi[CS_LOGIT_MAXP];

    for (size_t j = 0; r->fitted && j < r->p; j++) {
        est[j] = r->term_or[j].est;
        lo[j] = rb ? r->logit_rb.lower[j] : r->term_or[j].lo;
        hi[j] = rb ? r->logit_rb.upper[j] : r->term_or[j].hi;
    }
    P(b, "<h2>Logistic regression on the six main factors</h2>\n"
        "<p class=\"meta\">%llu sessions with all six known%s; %s%s.</p>\n",
        (unsigned long long)r->logit_sessions,
        h->d->agg->adjust[0] ? " (and the adjustment column)" : "",
        !r->fitted ? "no data" : r->fit.converged ? "converged"
                                                : "did not converge",
        rb ? "; robust intervals" : "; session-level intervals");
    model(b, h, "logit", "odds ratio", "intercept (baseline odds)",
          r->fitted, est, lo, hi,
          rb ? r->logit_rb.p_value : r->fit.p_value, rb);
    for (unsigned bit = 0; bit < 32; bit++)
        if ((r->logit_notes & (UINT32_C(1) << bit)) &&
            cs_stats_note_text(UINT32_C(1) << bit))
            P(b, "<p class=\"note\">note: %s</p>\n",
                cs_stats_note_text(UINT32_C(1) << bit));
    if (rb && r->logit_rb.notes) {
        char t[1024];
        cs_clu_notes_format(t, sizeof t, r->logit_rb.notes);
        P(b, "<p class=\"note\">robust intervals: %s</p>\n", t);
    }
    how(b, "each factor's odds ratio holds the other five (and "
        "the adjustment column) fixed, so it is the factor's "
        "own association with cramps; compare it with the crude "
        "odds ratio above to see how much the other factors "
        "explained.");
    return cs_buf_error(b);
}

static int sec_poisson(cs_buf *b, const hctx *h)
{
    const cs_report *r = h->r;
    int rb = r->robust && r->pois_fitted;
    double est[CS_CLU_MAXP];

    for (size_t j = 0; r->pois_fitted && j < r->p; j++)
        est[j] = exp(r->pois.beta[j]);
    P(b, "<h2>Poisson rate model, cases per 1000 h, on the six main "
        "factors</h2>\n<p class=\"meta\">%llu sessions; %s%s.</p>\n",
        (unsigned long long)(r->pois_fitted ? r->pois.sessions : 0),
        !r->pois_fitted ? "no data" : r->pois.converged ? "converged"
                                                     : "did not converge",
        rb ? "; robust intervals" : "; session-level intervals");
    model(b, h, "pois", "rate ratio", "baseline per 1000 h",
          r->pois_fitted, est,
          rb ? r->pois_rb.lower : r->pois.lower,
          rb ? r->pois_rb.upper : r->pois.upper,
          rb ? r->pois_rb.p_value : r->pois.p_value, rb);
    if (r->pois_fitted && r->pois.status) {
        char t[1024];
        cs_stats_poisson_notes_format(t, sizeof t, r->pois.status);
        P(b, "<p class=\"note\">note: %s</p>\n", t);
    }
    if (rb && r->pois_rb.notes) {
        char t[1024];
        cs_clu_notes_format(t, sizeof t, r->pois_rb.notes);
        P(b, "<p class=\"note\">robust intervals: %s</p>\n", t);
    }
    how(b, "the same model for the rate of cramps per hour of "
        "exercise rather than per session: a factor's rate "
        "ratio is how many times more cramps per hour its "
        "exposed sessions have, the others held fixed; the "
        "baseline is the rate with no factor present.");
    return cs_buf_error(b);
}

/* ---- calories ---------------------------------------------------------- */

static const char *const bar_colors[CS_CAL_GROUPS_MAX] = {
    "#0969da", "#cf222e", "#1a7f37", "#9a6700", "#8250df"
};

static double share(uint64_t k, uint64_t n)
{
    return n ? (double)k / (double)n : NAN;
}

/* Calorie goals: horizontal bars, one per goal and group; a table beside. */
static int goal_chart(cs_buf *b, const cs_cal *c)
{
    const double W = 760, left = 220, right = 60, bar = 12;
    const double gap = 8, top = 10;
    double groupH = bar * (double)c->ngroups + gap;
    double H = top + groupH * CS_GOAL_N + 30;
    uint64_t mx = 1;

    for (size_t g = 0; g < c->ngroups; g++)
        for (int k = 0; k < CS_GOAL_N; k++)
            if (c->group[g].goal[k] > mx)
                mx = c->group[g].goal[k];
    P(b, "<svg width=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-labelledby=\""
        "goals-t goals-d\">\n<title id=\"goals-t\">Bar chart: participants "
        "per calorie goal, by %s</title>\n<desc id=\"goals-d\">", W, W, H,
        cs_cal_by_name(c->by));
    for (int k = 0; k < CS_GOAL_N; k++) {
        P(b, "%s%s:", k ? "; " : "", cs_goal_text(k));
        for (size_t g = 0; g < c->ngroups; g++) {
            P(b, " ");
            E(cs_cal_group_name(c->by, g));
            P(b, " %llu", (unsigned long long)c->group[g].goal[k]);
        }
    }
    P(b, "</desc>\n");
    for (int k = 0; k < CS_GOAL_N; k++) {
        double y0 = top + groupH * k;
        P(b, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
            left - 8, y0 + groupH / 2, cs_goal_text(k));
        for (size_t g = 0; g < c->ngroups; g++) {
            uint64_t n = c->group[g].goal[k];
            double w = (W - left - right) * (double)n / (double)mx;
            P(b, "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" "
                "fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\">%llu</text>\n",
                left, y0 + bar * (double)g, w, bar - 2,
                bar_colors[g % CS_CAL_GROUPS_MAX], left + w + 4,
                y0 + bar * (double)g + bar - 3, (unsigned long long)n);
        }
    }
    for (size_t g = 0; g < c->ngroups; g++) {
        P(b, "<rect x=\"%.0f\" y=\"%.0f\" width=\"10\" height=\"10\" fill=\"%s\"/>"
            "<text x=\"%.0f\" y=\"%.0f\">", left + 90.0 * (double)g, H - 14,
            bar_colors[g % CS_CAL_GROUPS_MAX], left + 90.0 * (double)g + 14, H - 5);
        E(cs_cal_group_name(c->by, g));
        P(b, "</text>\n");
    }
    P(b, "</svg>\n");
    return cs_buf_error(b);
}

static int goal_table(cs_buf *b, const cs_cal *c)
{
    uint64_t n[CS_CAL_GROUPS_MAX + 1] = {0};
    P(b, "<div class=\"wrap\"><table><caption>Calorie goals "
        "(participants, %% of the group)</caption><tr><th class=\"l\">goal"
        "</th><th>lb/week</th>");

    for (size_t g = 0; g < c->ngroups; g++)
        for (int k = 0; k < CS_GOAL_N; k++) {
            n[g] += c->group[g].goal[k];
            n[CS_CAL_GROUPS_MAX] += c->group[g].goal[k];
        }
    for (size_t g = 0; g < c->ngroups; g++) {
        P(b, "<th>");
        E(cs_cal_group_name(c->by, g));
        P(b, "</th>");
    }
    P(b, "<th>all</th></tr>\n");
    for (int k = 0; k <= CS_GOAL_N; k++) {
        uint64_t all = 0;
        char lb[16] = "";
        if (k < CS_GOAL_N)
            snprintf(lb, sizeof lb, "%g", cs_goal_lb_week(k));
        P(b, "<tr><td class=\"l\">%s</td><td>%s</td>",
            k < CS_GOAL_N ? cs_goal_text(k) : "all goals", lb);
        for (size_t g = 0; g <= c->ngroups; g++) {
            int tot = g == c->ngroups;
            uint64_t v = 0, d = tot ? n[CS_CAL_GROUPS_MAX] : n[g];
            char pc[16];
            if (tot)
                v = all;
            else if (k < CS_GOAL_N)
                v = c->group[g].goal[k];
            else
                v = n[g];
            all += v;
            num(pc, sizeof pc, 100 * share(v, d), 1);
            P(b, "<td>%llu (%s%%)</td>", (unsigned long long)v, pc);
        }
        P(b, "</tr>\n");
    }
    P(b, "</table></div>\n");
    return cs_buf_error(b);
}

static const char *const dir_label[4] = { "all", "lose", "maintain", "gain" };

static int target_table(cs_buf *b, const cs_cal *c)
{
    P(b, "<div class=\"wrap\"><table><caption>target_kcal by goal "
        "direction</caption><tr><th class=\"l\">group</th><th class=\"l\">"
        "direction</th><th>n</th><th>mean</th><th>SD</th><th>min</th>"
        "<th>p5</th><th>p25</th><th>median</th><th>p75</th><th>p95</th>"
        "<th>max</th><th>&lt; safe min</th></tr>\n");

    for (int g = 0; g <= (int)c->ngroups; g++) {
        int gi = g == (int)c->ngroups ? -1 : g;
        for (int d = -1; d < CS_CAL_DIR_N; d++) {
            cs_cal_summary s;
            char v[10][32];
            if (cs_cal_summary_of(&s, c, gi, d) < 0)
                return cs_buf_fail(b, CS_ENOMEM);
            num(v[0], sizeof v[0], s.mean, 1);
            num(v[1], sizeof v[1], s.sd, 1);
            num(v[2], sizeof v[2], s.min, 0);
            num(v[3], sizeof v[3], s.p5, 1);
            num(v[4], sizeof v[4], s.p25, 1);
            num(v[5], sizeof v[5], s.p50, 1);
            num(v[6], sizeof v[6], s.p75, 1);
            num(v[7], sizeof v[7], s.p95, 1);
            num(v[8], sizeof v[8], s.max, 0);
            num(v[9], sizeof v[9], 100 * share(s.below, s.n), 1);
            P(b, "<tr><td class=\"l\">");
            E(gi < 0 ? "all" : cs_cal_group_name(c->by, (size_t)gi));
            P(b, "</td><td class=\"l\">%s</td><td>%llu</td><td>%s</td>"
                "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                "<td>%s</td><td>%s</td><td>%s</td><td>%s%s</td></tr>\n",
                dir_label[d + 1], (unsigned long long)s.n, v[0], v[1],
                v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9],
                isfinite(share(s.below, s.n)) ? "%" : "");
        }
    }
    P(b, "</table></div>\n");
    return cs_buf_error(b);
}

/* The goals that put participants below the safe minimum, most often
 * first (ties in the tracker's order), per group and for everybody. */
static int below_table(cs_buf *b, const cs_cal *c)
{
    P(b, "<div class=\"wrap\"><table><caption>Goals leading below the "
        "safe minimum, most often first</caption><tr><th class=\"l\">group"
        "</th><th class=\"l\">goal</th><th>below</th><th>%% of below</th>"
        "<th>%% of the goal</th></tr>\n");

    for (int g = 0; g <= (int)c->ngroups; g++) {
        uint64_t below[CS_GOAL_N] = {0}, goal[CS_GOAL_N] = {0}, tot = 0;
        int rank[CS_GOAL_N], nrank = 0;
        for (int i = 0; i < CS_GOAL_N; i++) {
            for (size_t k = 0; k < c->ngroups; k++)
                if (g == (int)c->ngroups || (size_t)g == k) {
                    below[i] += c->group[k].below[i];
                    goal[i] += c->group[k].goal[i];
                }
            tot += below[i];
        }
        for (int i = 0; i < CS_GOAL_N; i++) {
            int j;
            if (!below[i])
                continue;
            for (j = nrank; j > 0 && below[rank[j - 1]] < below[i]; j--)
                rank[j] = rank[j - 1];
            rank[j] = i;
            nrank++;
        }
        for (int j = 0; j < nrank; j++) {
            int i = rank[j];
            char p1[16], p2[16];
            num(p1, sizeof p1, 100 * share(below[i], tot), 1);
            num(p2, sizeof p2, 100 * share(below[i], goal[i]), 1);
            P(b, "<tr><td class=\"l\">");
            E(g == (int)c->ngroups ? "all"
                                   : cs_cal_group_name(c->by, (size_t)g));
            P(b, "</td><td class=\"l\">%s</td><td>%llu</td><td>%s</td>"
                "<td>%s</td></tr>\n", cs_goal_text(i),
                (unsigned long long)below[i], p1, p2);
        }
    }
    P(b, "</table></div>\n");
    return cs_buf_error(b);
}

#define NBINS_MAX ((size_t)((CS_CAL_KCAL_MAX - CS_CAL_KCAL_MIN) / CS_CAL_BIN_KCAL + 2))

/* The 100 kcal bins that span every target of every group. */
static int bin_range(const cs_cal *c, long *lo, size_t *nb)
{
    long mn = 0, mx = 0;
    int seen = 0;

    for (size_t g = 0; g < c->ngroups; g++)
        for (int d = 0; d < CS_CAL_DIR_N; d++) {
            const cs_cal_hist *hh = &c->group[g].target[d];
            for (size_t i = 0; i < hh->n; i++)
                if (hh->count[i]) {
                    long k = hh->lo + (long)i;
                    if (!seen || k < mn) mn = k;
                    if (!seen || k > mx) mx = k;
                    seen = 1;
                }
        }
    if (!seen)
        return 0;
    *lo = (long)floor((double)mn / CS_CAL_BIN_KCAL) * CS_CAL_BIN_KCAL;
    *nb = (size_t)(((long)floor((double)mx / CS_CAL_BIN_KCAL) * CS_CAL_BIN_KCAL
                    - *lo) / CS_CAL_BIN_KCAL) + 1;
    if (*nb > NBINS_MAX)
        *nb = NBINS_MAX;
    return 1;
}

/* Participants of group g (every group when g < 0) per bin. */
static void bins_of(const cs_cal *c, int g, long lo, size_t nb, uint64_t *out)
{
    memset(out, 0, nb * sizeof *out);
    for (size_t k = 0; k < c->ngroups; k++) {
        if (g >= 0 && (size_t)g != k)
            continue;
        for (int d = 0; d < CS_CAL_DIR_N; d++) {
            const cs_cal_hist *hh = &c->group[k].target[d];
            for (size_t i = 0; i < hh->n; i++) {
                long v = hh->lo + (long)i;
                long j = (long)floor((double)(v - lo) / CS_CAL_BIN_KCAL);
                if (hh->count[i] && j >= 0 && (size_t)j < nb)
                    out[j] += hh->count[i];
            }
        }
    }
}

/* Histogram of target_kcal of one group in 100 kcal bins; the <desc>
 * lists the counts of the bins that have participants. */
static int target_hist(cs_buf *b, const cs_cal *c, size_t g, long lo, size_t nb)
{
    const double W = 760, H = 210, left = 50, bottom = 40, top = 10;
    uint64_t mx = 1, bins[NBINS_MAX];
    long hi = lo + (long)nb * CS_CAL_BIN_KCAL;

    bins_of(c, (int)g, lo, nb, bins);
    for (size_t k = 0; k < nb; k++)
        if (bins[k] > mx)
            mx = bins[k];
    P(b, "<svg width=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-labelledby=\""
        "hist%zu-t hist%zu-d\">\n<title id=\"hist%zu-t\">Histogram: target_kcal "
        "of ", W, W, H, g, g, g);
    E(cs_cal_group_name(c->by, g));
    P(b, " in %d kcal bins</title>\n<desc id=\"hist%zu-d\">"
        "participants per bin (bins with none left out): ",
        CS_CAL_BIN_KCAL, g);
    for (size_t k = 0, first = 1; k < nb; k++)
        if (bins[k]) {
            P(b, "%s%ld-%ld kcal %llu", first ? "" : "; ",
                lo + CS_CAL_BIN_KCAL * (long)k,
                lo + CS_CAL_BIN_KCAL * (long)(k + 1),
                (unsigned long long)bins[k]);
            first = 0;
        }
    P(b, "</desc>\n");
    for (size_t k = 0; k < nb; k++) {
        double bw = (W - left - 10) / (double)nb;
        double hgt = (H - bottom - top) * (double)bins[k] / (double)mx;
        P(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
            "fill=\"%s\"><title>%ld-%ld kcal: %llu</title></rect>\n",
            left + bw * (double)k, H - bottom - hgt, bw > 1.5 ? bw - 1 : bw, hgt,
            bar_colors[g % CS_CAL_GROUPS_MAX], lo + 100 * (long)k,
            lo + 100 * (long)k + 100, (unsigned long long)bins[k]);
    }
    /* A label every 500 kcal. */
    for (long v = (long)ceil((double)lo / 500) * 500; v <= hi; v += 500) {
        double x = left + (W - left - 10) * (double)(v - lo) / (double)(hi - lo);
        P(b, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%ld</text>\n",
            x, H - 24, v);
    }
    P(b, "<text x=\"4\" y=\"20\">%llu</text><text x=\"%.0f\" "
      "y=\"%.0f\" text-anchor=\"middle\">target kcal/day (100 kcal "
      "bins)</text></svg>\n", (unsigned long long)mx, W / 2, H - 5);
    return cs_buf_error(b);
}

/* The histograms' counts, one row per bin, one column per group. */
static int hist_table(cs_buf *b, const cs_cal *c, long lo, size_t nb)
{
    uint64_t bins[CS_CAL_GROUPS_MAX + 1][NBINS_MAX];
    P(b, "<div class=\"wrap\"><table><caption>target_kcal histograms, "
        "%d kcal bins (participants)</caption><tr><th>from</th><th>to</th>",
        CS_CAL_BIN_KCAL);

    for (size_t g = 0; g <= c->ngroups; g++) {
        bins_of(c, g == c->ngroups ? -1 : (int)g, lo, nb, bins[g]);
        P(b, "<th>");
        E(g == c->ngroups ? "all" : cs_cal_group_name(c->by, g));
        P(b, "</th>");
    }
    P(b, "</tr>\n");
    for (size_t k = 0; k < nb; k++) {
        P(b, "<tr><td>%ld</td><td>%ld</td>", lo + CS_CAL_BIN_KCAL * (long)k,
            lo + CS_CAL_BIN_KCAL * (long)(k + 1));
        for (size_t g = 0; g <= c->ngroups; g++)
            P(b, "<td>%llu</td>", (unsigned long long)bins[g][k]);
        P(b, "</tr>\n");
    }
    P(b, "</table></div>\n");
    return cs_buf_error(b);
}

/* The cramp link: risk per goal direction, lose and gain against
 * maintain, as the calorie report computes them. */
static int cramp_link(cs_buf *b, const cs_cal *c, const hctx *h)
{
    cs_cal_link_stats ls;
    uint64_t total = 0, unknown = 0;
    int lvl = h->lvl;

    for (int d = 0; d < CS_CAL_DIR_N; d++) {
        total += c->link[d].sessions + c->link[d].unknown;
        unknown += c->link[d].unknown;
    }
    if (total == 0)
        return CS_OK;
    cs_cal_link_compute(&ls, c, h->d->ro);
    P(b, "<h3>Cramp risk by goal direction</h3>\n<p class=\"meta\">%s; %llu "
        "tagged sessions, %llu with the outcome unknown left out; %s interval; "
        "sessions treated as independent.</p>\n<div class=\"wrap\"><table id=\""
        "link-table\"><tr><th class=\"l\">goal direction</th><th>sessions</th>"
        "<th>cases</th><th>risk %% (%d%% CI)</th><th>outcome unknown</th></tr>\n",
        c->outcome == CS_OUTCOME_HAMSTRING ? "Hamstring cramps"
        : c->outcome == CS_OUTCOME_ANY ? "Any cramp" : "Outcome not recorded",
        (unsigned long long)total, (unsigned long long)unknown,
        h->d->ro->ci == CS_CI_EXACT ? "Clopper-Pearson" : "Wilson", lvl);
    for (int d = 0; d < CS_CAL_DIR_N; d++) {
        const cs_ci *ci = &ls.risk[d];
        char t[64];
        cs_fmt_ci(t, sizeof t, 100 * ci->est, 100 * ci->lo, 100 * ci->hi, 2);
        P(b, "<tr data-direction=\"%s\"", cs_goal_direction_name(d));
        dci(b, "risk", ci);
        P(b, "><td class=\"l\">%s</td><td>%llu</td><td>%llu</td>"
            "<td>%s</td><td>%llu</td></tr>\n", cs_goal_direction_name(d),
            (unsigned long long)c->link[d].sessions,
            (unsigned long long)c->link[d].cases, t,
            (unsigned long long)c->link[d].unknown);
    }
    P(b, "</table></div>\n<div class=\"wrap\"><table id=\"link-cmp\">"
        "<caption>Goal direction against maintain (Katz RR, Wald RD, "
        "Fisher's exact p)</caption><tr><th class=\"l\">comparison</th>"
        "<th>risk ratio (%d%% CI)</th><th>risk diff. pp (%d%% CI)</th>"
        "<th>Fisher p</th><th class=\"l\">notes</th></tr>\n", lvl, lvl);
    for (int k = 0; k < 2; k++) {
        char t1[64], t2[64], pv[16], nt[256];
        cs_fmt_ci(t1, sizeof t1, ls.rr[k].est, ls.rr[k].lo, ls.rr[k].hi, 2);
        cs_fmt_ci(t2, sizeof t2, 100 * ls.rd[k].est, 100 * ls.rd[k].lo,
                  100 * ls.rd[k].hi, 2);
        cs_fmt_p(pv, sizeof pv, ls.fisher_p[k]);
        cs_stats_notes_format(nt, sizeof nt, ls.notes[k]);
        P(b, "<tr data-exposed=\"%s\"", k ? "gain" : "lose");
        dci(b, "rr", &ls.rr[k]);
        dci(b, "rd", &ls.rd[k]);
        dnum(b, "fisher-p", ls.fisher_p[k]);
        P(b, "><td class=\"l\">%s vs maintain</td><td>%s</td>"
            "<td>%s</td><td>%s</td><td class=\"l\">%s</td></tr>\n",
            k ? "gain" : "lose", t1, t2, pv, nt);
    }
    P(b, "</table></div>\n");
    how(b, "the share of sessions with a cramp among people "
        "trying to lose, keep or gain weight (their goal at the "
        "session's survey wave); a risk ratio below 1 means "
        "fewer cramps than in those maintaining their weight.");
    return cs_buf_error(b);
}

static int sec_calories(cs_buf *b, const hctx *h)
{
    const cs_cal *c = h->d->cal;
    long lo = 0;
    size_t nb = 0;

    if (!c)
        return CS_OK;
    P(b, "<h2>Calorie goals and targets</h2>\n<p class=\"meta\">%llu "
        "participants, each counted once from their latest survey wave; "
        "grouped by %s. target_kcal: Mifflin-St Jeor BMR &#215; activity "
        "multiplier + goal &#215; 3500/7; safe minimum %ld kcal (F), %ld kcal "
        "(M).</p>\n", (unsigned long long)c->participants,
        cs_cal_by_name(c->by), cs_safe_min_kcal(CS_SEX_F),
        cs_safe_min_kcal(CS_SEX_M));
    if (c->participants == 0)
        P(b, "<p class=\"note\">no participants: give the survey for goals "
            "and targets</p>\n");
    if (c->participants > 0) {
        goal_chart(b, c);
        goal_table(b, c);
        how(b, "how many participants chose each of the tracker's "
            "nine weekly goals, per group.");
        target_table(b, c);
        below_table(b, c);
        how(b, "the daily calorie target each goal implies; the "
            "last column and the table after it show who would "
            "eat below the safe minimum, and which goals put "
            "them there.");
        if (bin_range(c, &lo, &nb)) {
            for (size_t g = 0; g < c->ngroups; g++) {
                P(b, "<h3>target_kcal: ");
                E(cs_cal_group_name(c->by, g));
                P(b, "</h3>\n");
                target_hist(b, c, g, lo, nb);
            }
            hist_table(b, c, lo, nb);
            how(b, "the spread of daily targets, on the same axis "
                "for every group; the table gives each bar's "
                "count.");
        }
    }
    cramp_link(b, c, h);
    return cs_buf_error(b);
}

/* ---- data quality and provenance ---------------------------------------- */

static int sec_quality(cs_buf *b, const hctx *h)
{
    const cs_html_doc *d = h->d;
    const cs_factor_stats *fs = h->r->f;
    P(b, "<h2>Data quality</h2>\n<div class=\"wrap\"><table><tr>"
        "<th class=\"l\">input</th><th class=\"l\">role</th><th>rows read</th>"
        "<th>accepted</th><th>rejected</th></tr>\n");
    for (size_t i = 0; i < d->ninputs; i++) {
        const cs_html_input *in = &d->inputs[i];
        P(b, "<tr><td class=\"l\"><code>");
        E(in->path);
        P(b, "</code></td><td class=\"l\">%s</td><td>%llu</td>"
            "<td>%llu</td><td>%llu</td></tr>\n", in->role,
            (unsigned long long)in->counts.read,
            (unsigned long long)in->counts.accepted,
            (unsigned long long)in->counts.rejected);
    }
    P(b, "</table></div>\n<p>Sessions: %llu read, %llu joined to a "
        "survey wave and analysed; %llu had no survey row; %llu left "
        "out because the outcome is unknown.</p>\n",
        (unsigned long long)d->sessions_read,
        (unsigned long long)d->sessions_joined,
        (unsigned long long)d->no_survey,
        (unsigned long long)d->agg->outcome_unknown);
    if (d->rej && cs_rejlog_total(d->rej) > 0) {
        P(b, "<div class=\"wrap\"><table><tr><th class=\"l\">rejected "
            "because of column</th><th>rows</th></tr>\n");
        for (size_t k = 0; k < cs_rejlog_nkeys(d->rej); k++) {
            const char *name;
            uint64_t n;
            cs_rejlog_key(d->rej, k, &name, &n);
            P(b, "<tr><td class=\"l\">");
            E(name[0] ? name : "(whole row: wrong field count)");
            P(b, "</td><td>%llu</td></tr>\n", (unsigned long long)n);
        }
        P(b, "</table></div>\n");
    }
    P(b, "<div class=\"wrap\"><table><tr><th class=\"l\">factor</th>"
        "<th>left out as unknown</th></tr>\n");
    for (int f = 0; f < CS_F_N; f++)
        P(b, "<tr><td class=\"l\">%s</td><td>%llu</td></tr>\n",
            cs_factor_name(f), (unsigned long long)fs[f].unknown);
    P(b, "</table></div>\n");
    how(b, "every row read is either in the report or rejected "
        "with its column (the --rejects file has each row and "
        "its reason); a factor left out as unknown for a "
        "session is not counted as exposed or unexposed.");
    return cs_buf_error(b);
}

static int sec_provenance(cs_buf *b, const hctx *h)
{
    const cs_html_doc *d = h->d;
    P(b, "<h2>Provenance</h2>\n<p>crampstat %s, run %s.</p>\n"
        "<p>Command: <code>", CS_VERSION_TEXT, d->when ? d->when : "");
    E(d->command ? d->command : "");
    P(b, "</code></p>\n<div class=\"wrap\"><table><tr><th class=\"l\">"
        "file</th><th>bytes</th><th class=\"l\">SHA-256</th></tr>\n");
    for (size_t i = 0; i < d->ninputs; i++) {
        P(b, "<tr><td class=\"l\"><code>");
        E(d->inputs[i].path);
        P(b, "</code></td><td>%llu</td><td class=\"l\"><code>%s"
            "</code></td></tr>\n",
            (unsigned long long)d->inputs[i].size, d->inputs[i].sha256);
    }
    P(b, "</table></div>\n<p>Rules in force:</p>\n<pre class=\"note\">");
    E(d->rules_text ? d->rules_text : d->agg->rules);
    P(b, "</pre>\n");
    how(b, "the same command on files with the same SHA-256 "
        "and the same rules gives the same numbers.");
    return cs_buf_error(b);
}

/* Dose-response and incidence over time (src/html_dose.c). */
static int sec_dose(cs_buf *b, const hctx *h)
{
    if (!h->d->agg->dose.present)
        return CS_OK;
    cs_html_dose(b, h->r);
    how(b, "each chart is one exposure cut into bands; the "
        "dot is the band's risk and the line its interval. "
        "Risks that climb from band to band, with a small trend "
        "p, point to a dose-response; the robust trend allows "
        "for the clustering of sessions within participants.");
    return cs_buf_error(b);
}

static int sec_over_time(cs_buf *b, const hctx *h)
{
    if (!h->d->agg->period.present)
        return CS_OK;
    cs_html_over_time(b, h->r);
    how(b, "the line is the cramp rate per 1000 h of each "
        "period and the band its exact interval; a period with "
        "few hours has a wide band, so read changes against "
        "the bands, not the line alone.");
    return cs_buf_error(b);
}

/* The page, section by section. */
typedef int (*section_fn)(cs_buf *b, const hctx *h);

static const section_fn sections[] = {
    sec_overview,
    sec_risk_ratios,
    sec_exposure,
    sec_comparison,
    sec_attributable,
    /* Further per-factor sections go here: after the factor comparison,
     * before the stratified results and the models. A section is a
     * section_fn that writes an <h2>, its charts (SVG with <title> and
     * <desc> carrying the numbers, or a table) and a how() line. */
    sec_dose,
    sec_over_time,
    sec_stratified,
    sec_logistic,
    sec_poisson,
    sec_calories,
    sec_quality,
    sec_provenance,
};

int cs_html_render(const cs_html_doc *d, cs_buf *b)
{
    hctx h;
    cs_report *r = cs_report_compute(d->agg, d->ro);

    if (!r)
        return cs_buf_fail(b, CS_ENOMEM);
    h.d = d;
    h.r = r;
    h.lvl = (int)lround(d->ro->level * 100);
    P(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        "<title>crampstat report</title><style>%s</style></head><body><main>\n",
        css);
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        sections[i](b, &h);
    cs_report_free(r);
    P(b, "</main></body></html>\n");
    return cs_buf_error(b);
}
