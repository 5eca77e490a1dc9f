/* crampstat merge and report: the commands that read partial states,
 * whatever sections they hold (src/partial.c). */
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <crampstat/aggregate.h>
#include <crampstat/report.h>
#include "cli.h"
#include "cmds.h"

static const char merge_help_head[] =
"Usage: crampstat merge [-o FILE] [PARTIAL]...\n"
"Combine partial states (from 'aggregate --partial' or 'calories\n"
"--partial') into one partial state. Merging is exact, associative and\n"
"commutative; states made with different rules, outcome, --by, --adjust\n"
"or format versions are refused. With no PARTIAL, or '-', read one state\n"
"from standard input.\n"
"\n";

static const cli_opt merge_options[] = {
    CLI_OPT_OUTPUT,
    CLI_OPT_HELP,
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
"                        [--ci wilson|exact] [--yates]\n"
"                        [--cluster participant|none] [--period week|month]\n"
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
    CLI_OPT_OUTPUT,
    CLI_OPT_SAFE_CSV,
    CLI_OPT_HELP,
    { 0 }
};

static const char report_help_tail[] =
"\n"
"Example:\n"
"  crampstat report --format md merged.partial > report.md\n";

static const cli_command report_command = {
    "report", report_help_head, report_options, 22, report_help_tail, 0
};

/* A leaf state that files[f] holds and an earlier file does too: its
 * sessions would count twice. Name both files. */
static int counted_twice(const cs_agg *total, const cs_agg *one,
                         char **files, int f, cs_error *err)
{
    long i = cs_agg_shared_leaf(total, one);
    const char *other;

    if (i < 0)
        return CS_OK;
    other = files[total->leaf[i].from];
    if (strcmp(other, files[f]) == 0)
        return cs_error_at(err, CS_EDATA, (cs_pos){ files[f], 0, 0 },
                           "cannot merge: the file is given twice, so its "
                           "sessions would count twice: give each state once");
    return cs_error_at(err, CS_EDATA, (cs_pos){ files[f], 0, 0 },
                       "cannot merge: it and %s both hold the sessions of the "
                       "state %.12s..., which would count twice: merge each "
                       "state once (a merged state holds those it was made "
                       "of)", other, total->leaf[i].id);
}

int cmd_merge(int argc, char **argv)
{
    cli_parser parser;
    cs_error err = {0};
    cs_agg total, one;
    cs_buf text;
    const char *output = NULL;
    char *stdin_only[] = { "-" };
    char **files;
    int nfiles, opt, have = 0;

    cli_parser_init(&parser, &merge_command);
    while ((opt = cli_getopt(&parser, argc, argv)) != -1) {
        switch (opt) {
        case 'o': output = optarg; break;
        case 'h': return cli_help(&merge_command);
        default: return cli_usage("merge", "%s", cli_bad_option());
        }
    }
    files = optind < argc ? argv + optind : stdin_only;
    nfiles = optind < argc ? argc - optind : 1;
    cs_buf_init(&text, CS_PARTIAL_MAX + ((size_t)1 << 17));
    for (int f = 0; f < nfiles; f++) {
        if (cs_read_small_file(&text, files[f], &err) < 0 ||
            cs_agg_read_partial(have ? &one : &total, files[f], text.ptr,
                                text.len, &err) < 0)
            goto done;
        for (size_t i = 0; have && i < one.nleaves; i++)
            one.leaf[i].from = (uint32_t)f;
        if (have && counted_twice(&total, &one, files, f, &err) < 0) {
            cs_agg_dispose(&one);
            goto done;
        }
        if (have) {
            int rc = cs_agg_merge_move(&total, &one, &err);
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
    if (cs_agg_finish(&total, &err) == CS_OK)
        cli_emit_state(&total, 1, NULL, output, &err);
done:
    if (have)
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
    cs_buf text;
    const char *output = NULL, *path = "-";
    int opt, have = 0;

    cs_report_opts_init(&ro);
    cli_parser_init(&parser, &report_command);
    while ((opt = cli_getopt(&parser, argc, argv)) != -1) {
        int rc;
        switch (opt) {
        case 'o': output = optarg; break;
        case 'h': return cli_help(&report_command);
        default:
            if ((rc = cli_report_option(opt, optarg, &ro, "report", 0)) >= 0) {
                if (rc)
                    return rc;
                break;
            }
            return cli_usage("report", "%s", cli_bad_option());
        }
    }
    if (optind + 1 < argc)
        return cli_usage("report", "one partial state at a time (merge them "
                         "first with 'crampstat merge')");
    if (optind < argc)
        path = argv[optind];
    cs_buf_init(&text, CS_PARTIAL_MAX + ((size_t)1 << 17));
    if (cs_read_small_file(&text, path, &err) < 0 ||
        cs_agg_read_partial(&agg, path, text.ptr, text.len, &err) < 0)
        goto done;
    have = 1;
    cli_emit_state(&agg, 0, &ro, output, &err);
done:
    if (have)
        cs_agg_dispose(&agg);
    cs_buf_dispose(&text);
    return cli_report("report", &err);
}
