/* crampstat aggregate: cramp incidence by cause factor from tagged
 * sessions; crampstat merge and report for partial states. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <crampstat/aggregate.h>
#include <crampstat/calories.h>
#include <crampstat/ingest.h>
#include <crampstat/report.h>
#include <crampstat/value.h>
#include "cli.h"
#include "cmds.h"

static const char agg_help_head[] =
"Usage: crampstat aggregate [--by COLUMN] [--adjust COLUMN] [--level L]\n"
"                           [--ci wilson|exact] [--yates] [--partial]\n"
"                           [--cluster participant|none] [--period week|month]\n"
"                           [--format pretty|csv|tsv|json|md] [-o FILE] [FILE]...\n"
"Read tagged sessions (the output of 'crampstat tag') and report, for\n"
"every cause factor and medical sub-factor, exposed against unexposed\n"
"sessions: counts, exposure hours, risk with its interval, incidence per\n"
"1000 h (exact Poisson), risk ratio (Katz), odds ratio (Woolf), risk\n"
"difference (Wald), attributable fractions, Pearson chi-square and\n"
"Fisher's exact p; Mantel-Haenszel pooled RR and OR, MH chi-square and\n"
"Breslow-Day per factor with --by; and a logistic regression of the\n"
"outcome on the six main factors. Sessions with a factor unknown are\n"
"left out of that factor and counted.\n"
"\n";

static const cli_opt agg_options[] = {
    { 'b', 1, "by", "COLUMN",
      "stratify by a categorical column (sex, age_band...)" },
    { 'a', 1, "adjust", "COLUMN",
      "add a categorical column to the logistic model" },
    { 'l', 1, "level", "L",
      "confidence level (default 0.95)" },
    { 'c', 0, "ci", "METHOD",
      "risk interval: wilson (default) or exact\n"
      "(Clopper-Pearson)" },
    { 'Y', 0, "yates", NULL,
      "chi-square with Yates' continuity correction" },
    { 'W', 0, "period", "P",
      "week or month (default): the incidence-over-time\n"
      "table's periods (ISO weeks from Monday, or calendar\n"
      "months, by the session's day as written)" },
    { 'K', 0, "cluster", "BY",
      "participant (default): the intervals that lead\n"
      "are robust to the clustering of sessions within\n"
      "participants (sandwich by participant_id); none:\n"
      "sessions treated as independent (the plain tables)" },
    { 'p', 1, "partial", NULL,
      "write the mergeable partial state instead" },
    { 'f', 1, "format", "FMT",
      "pretty (default), csv, tsv, json or md" },
    { 'R', 1, "rules", "FILE",
      "the rules tag used (recorded in the state, so that\n"
      "states made with other rules are not merged)" },
    { 'O', 0, "outcome", "KIND",
      "the outcome tag counted: hamstring (default) or\n"
      "any; recorded in the state like the rules" },
    { 'N', 0, "input-name", "NAME",
      "record standard input under this name" },
    { 'r', 1, "rejects", "FILE",
      "write rows that are not valid tagged rows as CSV" },
    { 'o', 1, "output", "FILE",
      "write to FILE, atomically (default: stdout)" },
    { 'C', 0, "safe-csv", NULL,
      "prefix cells starting with = + - @ with ' (numbers\n"
      "such as -0.42 stay as they are)" },
    { 'q', 1, "quiet", NULL,
      "no summary line" },
    { 'h', 1, "help", NULL,
      "show this help" },
    { 0 }
};

static const char agg_help_tail[] =
"\n"
"'aggregate' is 'aggregate --partial | report'. Memory: one accumulator\n"
"per stratum and 64 covariate patterns per adjustment level.\n"
"\n"
"Example:\n"
"  crampstat tag < joined.csv | crampstat aggregate --by sex\n";

static const cli_command agg_command = {
    "aggregate", agg_help_head, agg_options, 24, agg_help_tail, 0
};

static const char merge_help_head[] =
"Usage: crampstat merge [-o FILE] [PARTIAL]...\n"
"Combine partial states (from 'aggregate --partial' or 'calories\n"
"--partial') into one partial state. Merging is exact, associative and\n"
"commutative; states made with different rules, outcome, --by, --adjust\n"
"or format versions are refused. With no PARTIAL, or '-', read one state\n"
"from standard input.\n"
"\n";

static const cli_opt merge_options[] = {
    { 'o', 1, "output", "FILE",
      "write to FILE, atomically (default: stdout)" },
    { 'h', 1, "help", NULL,
      "show this help" },
    { 0 }
};

static const char merge_help_tail[] =
"\n"
"Example:\n"
"  crampstat merge shard-*.partial | crampstat report --format json\n";

static const cli_command merge_command = {
    "merge", merge_help_head, merge_options, 22, merge_help_tail, 0
};

static const char report_help_head[] =
"Usage: crampstat report [--format pretty|csv|tsv|json|md] [--level L]\n"
"                        [--ci wilson|exact] [--yates] [--period week|month]\n"
"                        [-o FILE] [PARTIAL]\n"
"Render a partial state (from 'aggregate --partial', 'calories --partial'\n"
"or 'merge') as a report; standard input when no PARTIAL is given.\n"
"\n";

static const cli_opt report_options[] = {
    { 'f', 1, "format", "FMT",
      "pretty (default), csv, tsv, json or md" },
    { 'l', 1, "level", "L",
      "confidence level (default 0.95)" },
    { 'c', 0, "ci", "METHOD",
      "risk interval: wilson (default) or exact" },
    { 'Y', 0, "yates", NULL,
      "chi-square with Yates' continuity correction" },
    { 'K', 0, "cluster", "BY",
      "participant (default) or none: which intervals lead\n"
      "(none: sessions treated as independent)" },
    { 'W', 0, "period", "P",
      "week or month (default): incidence-over-time periods" },
    { 'o', 1, "output", "FILE",
      "write to FILE, atomically (default: stdout)" },
    { 'C', 0, "safe-csv", NULL,
      "prefix cells starting with = + - @ with ' (numbers\n"
      "such as -0.42 stay as they are)" },
    { 'h', 1, "help", NULL,
      "show this help" },
    { 0 }
};

static const char report_help_tail[] =
"\n"
"Example:\n"
"  crampstat report --format md merged.partial > report.md\n";

static const cli_command report_command = {
    "report", report_help_head, report_options, 22, report_help_tail, 0
};

/* Write a finished state as a report or a partial state. */
static int emit(const cs_agg *a, int partial, const cs_report_opts *ro,
                const char *output, cs_error *err)
{
    cs_buf b;
    int rc;

    cs_buf_init(&b, 0);
    if (partial)
        rc = cs_agg_write_partial(a, &b, err);
    else if ((rc = cs_report_render(a, ro, &b)) < 0)
        rc = cli_text_failed(&b, err);
    if (rc == CS_OK)
        rc = cli_write_text(output, &b, err);
    cs_buf_dispose(&b);
    return rc;
}

/* Column index by name (trimmed, case-insensitive), or -1. */
static long column(const cs_record *h, const char *name)
{
    for (size_t i = 0; i < h->nfields; i++)
        if (cs_str_ieq(cs_str_trim(h->fields[i]), name))
            return (long)i;
    return -1;
}

/* How many header columns have this name: one given twice is ambiguous,
 * and column() would silently take the first. */
static int named(const cs_record *h, const char *name)
{
    int n = 0;
    for (size_t i = 0; i < h->nfields; i++)
        n += cs_str_ieq(cs_str_trim(h->fields[i]), name) != 0;
    return n;
}

static int flag(cs_str v, signed char *out)
{
    v = cs_str_trim(v);
    if (v.len == 0) { *out = -1; return 0; }
    if (v.len == 1 && (v.ptr[0] == '0' || v.ptr[0] == '1')) {
        *out = (signed char)(v.ptr[0] - '0');
        return 0;
    }
    return -1;
}

/* ---- dose-response and over-time columns ---- */
/* A number of tag's output, or NaN when missing; -1 when not a number. */
static int dose_value(cs_str v, double *out)
{
    char t[64], *end;

    v = cs_str_trim(v);
    if (cs_is_missing(v)) {
        *out = NAN;
        return 0;
    }
    if (cs_parse_decimal(v, out) == 0)
        return 0;
    /* Very large derived values are written with an exponent. */
    if (v.len >= sizeof t)
        return -1;
    memcpy(t, v.ptr, v.len);
    t[v.len] = '\0';
    *out = strtod(t, &end);
    return *end || !isfinite(*out) ? -1 : 0;
}

/* The columns the dose-response and over-time sections read (absent ones
 * count every session as missing or undated), and one row's values;
 * bad names the offending column. */
static void more_columns(const cs_record *h, long xcol[CS_DOSE_N], long *tcol)
{
    for (int e = 0; e < CS_DOSE_N; e++)
        xcol[e] = e == CS_DOSE_DURATION ? -1 : column(h, cs_dose_exposure_name(e));
    *tcol = column(h, "start_time");
}

static const char *more_values(const cs_record *rec, const long xcol[CS_DOSE_N],
                               long tcol, uint64_t mmin, cs_agg_more *m)
{
    for (int e = 0; e < CS_DOSE_N; e++) {
        m->dose[e] = NAN;
        if (e == CS_DOSE_DURATION)
            m->dose[e] = (double)mmin / 1000.0;
        else if (xcol[e] >= 0 && dose_value(rec->fields[xcol[e]], &m->dose[e]) < 0)
            return cs_dose_exposure_name(e);
    }
    m->has_day = 0;
    if (tcol >= 0) {
        cs_str v = cs_str_trim(rec->fields[tcol]);
        cs_datetime dt;
        const char *why;
        if (v.len == 0)
            return NULL;
        if (v.len < 10 || cs_parse_date((cs_str){ v.ptr, 10 }, &dt, &why) < 0)
            return "start_time";
        m->day = cs_days_from_civil(dt.year, dt.month, dt.day);
        m->has_day = 1;
    }
    return NULL;
}

int cmd_aggregate(int argc, char **argv)
{
    cli_parser parser;
    cs_error err = {0};
    cs_report_opts ro;
    cs_rules rules;
    cs_agg agg;
    cs_reader *r = NULL;
    cs_rejlog *rej = NULL;
    const char *by = NULL, *adjust = NULL, *output = NULL, *rejects = NULL,
               *rules_path = NULL, *input_name = NULL, *outcome = NULL;
    char *stdin_only[] = { "-" };
    char **files;
    int nfiles, opt, partial = 0, quiet = 0, agg_ready = 0;
    unsigned long long nin = 0, nrej = 0;

    cs_report_opts_init(&ro);
    cli_parser_init(&parser, &agg_command);
    while ((opt = cli_getopt(&parser, argc, argv)) != -1) {
        int rc;
        switch (opt) {
        case 'b': by = optarg; break;
        case 'a': adjust = optarg; break;
        case 'p': partial = 1; break;
        case 'R': rules_path = optarg; break;
        case 'N': input_name = optarg; break;
        case 'O': outcome = optarg; break;
        case 'r': rejects = optarg; break;
        case 'o': output = optarg; break;
        case 'q': quiet = 1; break;
        case 'W':   /* incidence over time */
            if ((ro.period = cs_period_parse(optarg)) < 0)
                return cli_usage("aggregate", "--period is week or month, not '%s'",
                                 optarg);
            break;
        case 'h': return cli_help(&agg_command);
        default:
            if ((rc = cli_report_option(opt, optarg, &ro, "aggregate", 0)) >= 0) {
                if (rc)
                    return rc;
                break;
            }
            return cli_usage("aggregate", "bad option");
        }
    }
    files = optind < argc ? argv + optind : stdin_only;
    nfiles = optind < argc ? argc - optind : 1;
    if ((opt = cli_rules("aggregate", &rules, rules_path, outcome)) != 0)
        return opt;
    if (cs_agg_init(&agg, &rules, by, adjust, &err) < 0 ||
        (ro.cluster && cs_agg_cluster(&agg, &err) < 0) ||
        cs_rejlog_open(&rej, rejects, &err) < 0)
        goto done;
    agg_ready = 1;
    for (int f = 0; f < nfiles; f++) {
        const cs_record *rec;
        long fcol[CS_F_N], ocol, dcol, bcol = -1, acol = -1, pcol = -1;
        long xcol[CS_DOSE_N], tcol;
        int rc;

        if (cs_agg_add_input(&agg, input_name && strcmp(files[f], "-") == 0
                                   ? input_name : files[f], &err) < 0)
            goto done;
        if (cs_reader_open_header(&r, &rec, files[f], NULL, &err) < 0)
            goto done;
        for (int k = 0; k < CS_F_N; k++)
            if ((fcol[k] = column(rec, cs_factor_name(k))) < 0) {
                cs_error_at(&err, CS_EPARSE, (cs_pos){ files[f], rec->line, 0 },
                            "column \"%s\" is missing: aggregate reads the "
                            "output of 'crampstat tag'", cs_factor_name(k));
                goto done;
            }
        ocol = column(rec, "outcome");
        dcol = column(rec, "duration_min");
        if (ocol < 0 || dcol < 0) {
            cs_error_at(&err, CS_EPARSE, (cs_pos){ files[f], rec->line, 0 },
                        "column \"%s\" is missing: aggregate reads the output "
                        "of 'crampstat tag'", ocol < 0 ? "outcome" : "duration_min");
            goto done;
        }
        if (ro.cluster && (pcol = column(rec, "participant_id")) < 0) {
            cs_error_at(&err, CS_EPARSE, (cs_pos){ files[f], rec->line, 0 },
                        "column \"participant_id\" is missing: the intervals "
                        "robust to clustering need it (or use --cluster none)");
            goto done;
        }
        if ((by && (bcol = column(rec, by)) < 0) ||
            (adjust && (acol = column(rec, adjust)) < 0)) {
            cs_error_at(&err, CS_EUSAGE, (cs_pos){ files[f], rec->line, 0 },
                        "no column \"%s\" in the header", bcol < 0 && by ? by : adjust);
            goto done;
        }
        {
            const char *more[] = { "outcome", "duration_min", by, adjust,
                                   ro.cluster ? "participant_id" : NULL };
            const char *dup = NULL;
            for (int k = 0; k < CS_F_N && !dup; k++)
                if (named(rec, cs_factor_name(k)) > 1)
                    dup = cs_factor_name(k);
            for (int k = 0; k < 5 && !dup; k++)
                if (more[k] && named(rec, more[k]) > 1)
                    dup = more[k];
            if (dup) {
                cs_error_at(&err, CS_EPARSE, (cs_pos){ files[f], rec->line, 0 },
                            "column \"%s\" appears twice in the header", dup);
                goto done;
            }
        }
        more_columns(rec, xcol, &tcol);
        size_t ncols = rec->nfields;
        while ((rc = cs_reader_next(r, &rec, &err)) > 0) {
            signed char fl[CS_F_N], out;
            uint64_t mmin;
            cs_agg_more more;
            const char *bad = NULL;
            char reason[160];
            nin++;
            if (rec->nfields != ncols) {
                snprintf(reason, sizeof reason, "row has %zu fields, the header "
                         "has %zu", rec->nfields, ncols);
                nrej++;
                cs_rejlog_add(rej, files[f], rec, "", reason);
                continue;
            }
            for (int k = 0; k < CS_F_N && !bad; k++)
                if (flag(rec->fields[fcol[k]], &fl[k]) < 0)
                    bad = cs_factor_name(k);
            if (!bad && flag(rec->fields[ocol], &out) < 0)
                bad = "outcome";
            if (bad) {
                snprintf(reason, sizeof reason, "%s: not 1, 0 or empty", bad);
            } else if (cs_agg_mmin(cs_str_trim(rec->fields[dcol]), &mmin) < 0 ||
                       mmin == 0) {
                bad = "duration_min";
                snprintf(reason, sizeof reason, "duration_min: not a number "
                         "of minutes above 0 and at most 1440");
            }
            if (!bad && pcol >= 0 && cs_str_trim(rec->fields[pcol]).len == 0) {
                bad = "participant_id";
                snprintf(reason, sizeof reason, "participant_id: empty");
            }
            if (!bad && (bad = more_values(rec, xcol, tcol, mmin, &more)))
                snprintf(reason, sizeof reason, "%s: %s", bad,
                         strcmp(bad, "start_time") == 0
                             ? "not a date YYYY-MM-DD[Thh:mm...]"
                             : "not a number");
            if (bad) {
                nrej++;
                cs_rejlog_add(rej, files[f], rec, bad, reason);
                continue;
            }
            if (cs_agg_add(&agg, fl, out, mmin,
                           bcol >= 0 ? cs_str_trim(rec->fields[bcol]) : (cs_str){ "", 0 },
                           acol >= 0 ? cs_str_trim(rec->fields[acol]) : (cs_str){ "", 0 },
                           pcol >= 0 ? cs_str_trim(rec->fields[pcol]) : (cs_str){ "", 0 },
                           &err) < 0 ||
                cs_agg_add_more(&agg, &more, fl, out, mmin,
                                pcol >= 0 ? cs_str_trim(rec->fields[pcol]) : (cs_str){ "", 0 },
                                &err) < 0)
                goto done;
        }
        if (rc < 0)
            goto done;
        cs_reader_free(r);
        r = NULL;
    }
    if (!quiet)
        fprintf(stderr, "aggregate: %llu rows in, %llu used, %llu rejected\n",
                nin, nin - nrej, nrej);
    if (cs_agg_finish(&agg, &err) == CS_OK)
        emit(&agg, partial, &ro, output, &err);
done:
    cs_rejlog_close(rej, &err);
    cs_reader_free(r);
    if (agg_ready)
        cs_agg_dispose(&agg);
    return cli_report("aggregate", &err);
}

int cmd_merge(int argc, char **argv)
{
    cli_parser parser;
    cs_error err = {0};
    cs_agg total, one;
    cs_cal ctotal, cone;
    cs_buf text;
    const char *output = NULL;
    char *stdin_only[] = { "-" };
    char **files;
    int nfiles, opt, have = 0, cal = 0;

    cli_parser_init(&parser, &merge_command);
    while ((opt = cli_getopt(&parser, argc, argv)) != -1) {
        switch (opt) {
        case 'o': output = optarg; break;
        case 'h': return cli_help(&merge_command);
        default: return cli_usage("merge", "bad option");
        }
    }
    files = optind < argc ? argv + optind : stdin_only;
    nfiles = optind < argc ? argc - optind : 1;
    cs_buf_init(&text, CS_PARTIAL_MAX + ((size_t)1 << 17));
    for (int f = 0; f < nfiles; f++) {
        char kind[32];
        if (cs_read_small_file(&text, files[f], &err) < 0 ||
            cs_partial_kind(files[f], text.ptr, text.len, kind, sizeof kind, &err) < 0)
            goto done;
        /* The first state decides the kind: aggregate or calories. */
        if (f == 0)
            cal = strcmp(kind, "calories") == 0;
        if (strcmp(kind, cal ? "calories" : "aggregate") != 0) {
            cs_error_at(&err, CS_EDATA, (cs_pos){ files[f], 1, 0 },
                        "a \"%s\" partial state cannot be merged with "
                        "%s states", kind, cal ? "calories" : "aggregate");
            goto done;
        }
        if (cal ? cs_cal_read_partial(have ? &cone : &ctotal, files[f],
                                      text.ptr, text.len, &err) < 0
                : cs_agg_read_partial(have ? &one : &total, files[f], text.ptr,
                                      text.len, &err) < 0)
            goto done;
        if (have) {
            int rc = cal ? cs_cal_merge(&ctotal, &cone, &err)
                         : cs_agg_merge(&total, &one, &err);
            if (cal)
                cs_cal_dispose(&cone);
            else
                cs_agg_dispose(&one);
            if (rc < 0) {
                /* Name the file that did not fit. */
                char msg[256];
                snprintf(msg, sizeof msg, "%s", err.msg);
                cs_error_clear(&err);
                cs_error_at(&err, CS_EDATA, (cs_pos){ files[f], 0, 0 },
                            "cannot merge: %s", msg);
                goto done;
            }
        }
        have = 1;
    }
    if (cal) {
        cli_output out;
        cs_cal_finish(&ctotal);
        cs_buf_reset(&text);
        if (cs_cal_write_partial(&ctotal, &text, &err) == CS_OK &&
            cli_output_open(&out, output, NULL, &err) == CS_OK) {
            cs_writer_raw(out.w, text.ptr, text.len);
            cli_output_close(&out, 1, &err);
        }
        goto done;
    }
    if (cs_agg_finish(&total, &err) == CS_OK)
        emit(&total, 1, NULL, output, &err);
done:
    if (have && cal)
        cs_cal_dispose(&ctotal);
    else if (have)
        cs_agg_dispose(&total);
    cs_buf_dispose(&text);
    return cli_report("merge", &err);
}

int cmd_report(int argc, char **argv)
{
    cli_parser parser;
    cs_error err = {0};
    cs_report_opts ro;
    cs_agg agg;
    cs_cal cal;
    cs_buf text;
    const char *output = NULL, *path = "-";
    char kind[32];
    int opt, have = 0, have_cal = 0;

    cs_report_opts_init(&ro);
    cli_parser_init(&parser, &report_command);
    while ((opt = cli_getopt(&parser, argc, argv)) != -1) {
        int rc;
        switch (opt) {
        case 'o': output = optarg; break;
        case 'W':   /* incidence over time */
            if ((ro.period = cs_period_parse(optarg)) < 0)
                return cli_usage("report", "--period is week or month, not '%s'",
                                 optarg);
            break;
        case 'h': return cli_help(&report_command);
        default:
            if ((rc = cli_report_option(opt, optarg, &ro, "report", 0)) >= 0) {
                if (rc)
                    return rc;
                break;
            }
            return cli_usage("report", "bad option");
        }
    }
    if (optind + 1 < argc)
        return cli_usage("report", "one partial state at a time (merge them "
                         "first with 'crampstat merge')");
    if (optind < argc)
        path = argv[optind];
    cs_buf_init(&text, CS_PARTIAL_MAX + ((size_t)1 << 17));
    if (cs_read_small_file(&text, path, &err) < 0 ||
        cs_partial_kind(path, text.ptr, text.len, kind, sizeof kind, &err) < 0)
        goto done;
    if (strcmp(kind, "calories") == 0) {
        cli_output out;
        if (cs_cal_read_partial(&cal, path, text.ptr, text.len, &err) < 0)
            goto done;
        have_cal = 1;
        cs_buf_reset(&text);
        if (cs_cal_render(&cal, &ro, &text, &err) == CS_OK &&
            cli_output_open(&out, output, NULL, &err) == CS_OK) {
            cs_writer_raw(out.w, text.ptr, text.len);
            cli_output_close(&out, 1, &err);
        }
        goto done;
    }
    if (strcmp(kind, "aggregate") != 0) {
        cs_error_at(&err, CS_EDATA, (cs_pos){ path, 1, 0 },
                    "unknown partial state kind \"%s\"", kind);
        goto done;
    }
    if (cs_agg_read_partial(&agg, path, text.ptr, text.len, &err) < 0)
        goto done;
    have = 1;
    emit(&agg, 0, &ro, output, &err);
done:
    if (have)
        cs_agg_dispose(&agg);
    if (have_cal)
        cs_cal_dispose(&cal);
    cs_buf_dispose(&text);
    return cli_report("report", &err);
}
