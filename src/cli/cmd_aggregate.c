/* crampstat aggregate: cramp incidence by cause factor from tagged
 * sessions (merge and report are in cmd_partial.c). */
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <crampstat/aggregate.h>
#include <crampstat/calories.h>
#include <crampstat/ingest.h>
#include <crampstat/report.h>
#include <crampstat/tagread.h>
#include <crampstat/value.h>
#include "cli.h"
#include "cmds.h"

static const char agg_help_head[] =
"Usage: crampstat aggregate [--by COLUMN] [--adjust COLUMN] [--level L]\n"
"                           [--ci wilson|exact] [--yates] [--partial]\n"
"                           [--cluster participant|none] [--period week|month]\n"
"                           [--format pretty|csv|tsv|json|md] [--rules FILE]\n"
"                           [--outcome KIND] [--input-name NAME]\n"
"                           [--rejects FILE] [-o FILE] [FILE]...\n"
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
    CLI_OPT_OUTPUT,
    CLI_OPT_SAFE_CSV,
    { 'q', 1, "quiet", NULL,
      "no summary line" },
    CLI_OPT_HELP,
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

int cmd_aggregate(int argc, char **argv)
{
    cli_parser parser;
    cs_error err = {0};
    cs_report_opts ro;
    cs_rules rules;
    cs_agg agg;
    cs_reader *r = NULL;
    cs_tagread *tr = NULL;
    cs_rejlog *rej = NULL;
    const char *by = NULL, *adjust = NULL, *output = NULL, *rejects = NULL,
               *rules_path = NULL, *input_name = NULL, *outcome = NULL;
    char *stdin_only[] = { "-" };
    char **files;
    int nfiles, opt, partial = 0, quiet = 0, agg_ready = 0;
    const char *render_opt = NULL;   /* the first option only a report uses */
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
        case 'h': return cli_help(&agg_command);
        default:
            if ((rc = cli_report_option(opt, optarg, &ro, "aggregate", 0)) >= 0) {
                if (rc)
                    return rc;
                if (!render_opt)
                    render_opt = cli_render_option(opt);
                break;
            }
            return cli_usage("aggregate", "%s", cli_bad_option());
        }
    }
    if (partial && render_opt)
        return cli_usage_partial("aggregate", render_opt);
    files = optind < argc ? argv + optind : stdin_only;
    nfiles = optind < argc ? argc - optind : 1;
    if ((opt = cli_check_files("aggregate", rejects, output, NULL, files,
                               nfiles)))
        return opt;
    if ((opt = cli_rules("aggregate", &rules, rules_path, outcome)) != 0)
        return opt;
    if (cs_agg_init(&agg, &rules, by, adjust, &err) < 0)
        goto done;
    agg_ready = 1;              /* cs_agg_init cleans up after itself */
    if ((ro.cluster && cs_agg_cluster(&agg, &err) < 0) ||
        cs_rejlog_open(&rej, rejects, &err) < 0)
        goto done;
    for (int f = 0; f < nfiles; f++) {
        const cs_record *rec;
        cs_tagread_opts to = { CS_TR_FACTORS | CS_TR_MORE |
                               (ro.cluster ? CS_TR_PARTICIPANT : 0u),
                               by, adjust, "aggregate" };
        int rc;

        if (cs_agg_add_input(&agg, input_name && strcmp(files[f], "-") == 0
                                   ? input_name : files[f], &err) < 0)
            goto done;
        if (cs_reader_open_header(&r, &rec, files[f], NULL, &err) < 0 ||
            cs_tagread_open(&tr, r, rec, &to, rej, &err) < 0)
            goto done;
        rc = cs_tagread_count(tr, &agg, &err);
        nin += cs_tagread_rows(tr);
        nrej += cs_tagread_rejected(tr);
        cs_tagread_free(tr);
        tr = NULL;
        if (rc < 0)
            goto done;
        cs_reader_free(r);
        r = NULL;
    }
    if (!quiet)
        fprintf(stderr, "aggregate: %llu rows in, %llu used, %llu rejected\n",
                nin, nin - nrej, nrej);
    /* The reject log is whole once the rows are read: closed first, so
     * that a log that cannot be written fails the run before the output
     * is put in place. */
    cs_rejlog_close(rej, &err);
    rej = NULL;
    if (err.code == CS_OK && cs_agg_finish(&agg, &err) == CS_OK)
        cli_emit_state(&agg, partial, &ro, output, &err);
done:
    cs_tagread_free(tr);
    cs_rejlog_close(rej, &err);
    cs_reader_free(r);
    if (agg_ready)
        cs_agg_dispose(&agg);
    return cli_report("aggregate", &err);
}
