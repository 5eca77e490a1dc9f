/* crampstat calories: calorie goals and targets per participant from the
 * survey, or the cramp link by goal direction from tagged sessions; the
 * header decides which. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/aggregate.h>
#include <crampstat/calories.h>
#include <crampstat/ingest.h>
#include <crampstat/join.h>
#include <crampstat/tagread.h>
#include <crampstat/value.h>
#include "cli.h"
#include "cmds.h"

static const char help_head[] =
"Usage: crampstat calories [--by sex|age_band|activity_level] [--partial]\n"
"                          [--rules FILE] [--outcome hamstring|any]\n"
"                          [--format pretty|csv|tsv|json|md] [--level L]\n"
"                          [--ci wilson|exact] [--rejects FILE] [-o FILE] [FILE]\n"
"Read the survey (raw survey.csv.gz, validated as by 'crampstat ingest',\n"
"or ingest's output) and count every participant once, from the latest\n"
"survey wave: the nine calorie goals of the tracker with counts and\n"
"shares per group and overall; target_kcal (Mifflin-St Jeor x activity\n"
"multiplier + goal x 3500/7) with n, mean, SD, min, p5, p25, median, p75,\n"
"p95 and max per group and goal direction, quantiles as GSL's\n"
"gsl_stats_quantile_from_sorted_data defines them; a 100 kcal histogram;\n"
"the share below the safe minimum (1200 kcal F, 1500 kcal M) and the\n"
"goals that lead there most often.\n"
"Given tagged sessions instead (the output of 'crampstat tag', known by\n"
"its outcome and goal_lb_week columns), it reports the cramp risk per\n"
"goal direction and the risk ratio of lose (and gain) vs maintain; merge\n"
"a survey state and a tagged state to get both in one report.\n"
"\n";

static const cli_opt options[] = {
    { 'b', 1, "by", "GROUP",
      "sex (default), age_band or activity_level" },
    { 'p', 1, "partial", NULL,
      "write the mergeable partial state instead" },
    { 'R', 1, "rules", "FILE",
      "tagged sessions: the rules file given to tag,\n"
      "for its outcome (--outcome overrides it)" },
    { 'O', 0, "outcome", "KIND",
      "tagged sessions: the outcome tag counted,\n"
      "hamstring (default) or any, as given to tag; it\n"
      "is recorded, and states of different outcomes\n"
      "are not merged" },
    { 'f', 1, "format", "FMT",
      "pretty (default), csv, tsv, json or md" },
    { 'l', 1, "level", "L",
      "confidence level of the cramp link (default 0.95)" },
    { 'c', 0, "ci", "METHOD",
      "risk interval: wilson (default) or exact\n"
      "(Clopper-Pearson)" },
    { 'r', 1, "rejects", "FILE",
      "write rejected rows as CSV" },
    CLI_OPT_OUTPUT,
    CLI_OPT_SAFE_CSV,
    { 'q', 1, "quiet", NULL,
      "no summary line" },
    CLI_OPT_HELP,
    { 0 }
};

static const char help_tail[] =
"\n"
"'calories' is 'calories --partial | report'; states of shards split by\n"
"participant merge exactly ('crampstat merge').\n"
"\n"
"Memory: the survey table (about 110 bytes per wave) and one exact\n"
"histogram per group and goal direction (at most 200 KB each); tagged\n"
"sessions are read one row at a time.\n"
"\n"
"Example:\n"
"  crampstat calories --by age_band sample-data/survey.csv.gz\n";

static const cli_command command = {
    "calories", help_head, options, 24, help_tail, 0
};

/* ---- the two inputs ------------------------------------------------------ */

typedef struct counts {
    unsigned long long in, used, rejected, participants;
} counts;

/* The survey, from r whose header h was read (r is taken over). */
static int read_survey(cs_cal *cal, cs_reader *r, const cs_record *h,
                       cs_rejlog *rej, counts *k, cs_error *err)
{
    cs_survey *sv = NULL;
    cs_ingest_counts ic;

    if (cs_survey_load_reader(&sv, r, h, rej, err) < 0)
        return err->code;
    ic = cs_survey_counts(sv);
    k->in = ic.read;
    k->used = ic.accepted;
    k->rejected = ic.rejected;
    for (size_t i = 0; i < cs_survey_count(sv); i++)
        if (cs_cal_add_participant(cal, cs_survey_latest(sv, i), err) < 0)
            break;
    k->participants = cs_survey_count(sv);
    cs_survey_free(sv);
    return err->code;
}

/* Tagged sessions, from r whose header h was read (r is borrowed). */
static int read_tagged(cs_agg *st, cs_reader *r, const cs_record *h,
                       cs_rejlog *rej, counts *k, cs_error *err)
{
    cs_tagread_opts to = { CS_TR_GOAL, NULL, NULL, "calories" };
    cs_tagread *tr = NULL;

    if (cs_tagread_open(&tr, r, h, &to, rej, err) < 0)
        return err->code;
    cs_tagread_count(tr, st, err);
    k->in = cs_tagread_rows(tr);
    k->rejected = cs_tagread_rejected(tr);
    k->used = k->in - k->rejected;
    cs_tagread_free(tr);
    return err->code;
}

int cmd_calories(int argc, char **argv)
{
    cli_parser parser;
    cs_error err = {0};
    cs_report_opts ro;
    cs_rejlog *rej = NULL;
    cs_agg st;
    cs_acc_opts ao = { NULL, NULL, NULL, 0, 0, 1, CS_CAL_BY_SEX };
    cs_reader *r = NULL;
    const cs_record *h;
    counts k = {0};
    const char *output = NULL, *rejects = NULL, *path = "-", *outcome = NULL,
               *rules_path = NULL;
    cs_rules rules;
    int opt, by = CS_CAL_BY_SEX, partial = 0, quiet = 0, tagged = 0,
        cal_ready = 0;
    const char *render_opt = NULL;   /* the first option only a report uses */

    cs_report_opts_init(&ro);
    cli_parser_init(&parser, &command);
    while ((opt = cli_getopt(&parser, argc, argv)) != -1) {
        int rc;
        switch (opt) {
        case 'b':
            if ((by = cs_cal_by_parse(optarg)) < 0)
                return cli_usage("calories", "--by is sex, age_band or "
                                 "activity_level, not '%s'", optarg);
            break;
        case 'p': partial = 1; break;
        case 'O': outcome = optarg; break;
        case 'R': rules_path = optarg; break;
        case 'r': rejects = optarg; break;
        case 'o': output = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': return cli_help(&command);
        default:
            if ((rc = cli_report_option(opt, optarg, &ro, "calories", 0)) >= 0) {
                if (rc)
                    return rc;
                if (!render_opt)
                    render_opt = cli_render_option(opt);
                break;
            }
            return cli_usage("calories", "%s", cli_bad_option());
        }
    }
    if (partial && render_opt)
        return cli_usage_partial("calories", render_opt);
    if (optind + 1 < argc)
        return cli_usage("calories", "one input at a time (merge the partial "
                         "states of several with 'crampstat merge')");
    if (optind < argc)
        path = argv[optind];
    if ((opt = cli_check_files("calories", rejects, output, path, NULL, 0)))
        return opt;
    if ((opt = cli_rules("calories", &rules, rules_path, outcome)) != 0)
        return opt;
    ao.rules = &rules;       /* for the outcome the link counts */
    ao.calories_by = by;     /* a state of the calorie goals alone */
    if (cs_agg_open(&st, &ao, &err) < 0)
        return cli_report("calories", &err);
    cal_ready = 1;
    /* The header says which input this is; the rows are read on from
     * the same reader, so standard input is read once. */
    if (cs_reader_open_header(&r, &h, path, NULL, &err) < 0 ||
        cs_rejlog_open(&rej, rejects, &err) < 0)
        goto done;
    if ((tagged = cs_tagread_is_tagged(h))) {
        if (read_tagged(&st, r, h, rej, &k, &err) < 0)
            goto done;
    } else {
        cs_reader *owned = r;
        r = NULL;
        if (read_survey(st.cal, owned, h, rej, &k, &err) < 0)
            goto done;
    }
    if (!quiet) {
        if (tagged)
            fprintf(stderr, "calories: %llu tagged sessions in, %llu used, "
                    "%llu rejected\n", k.in, k.used, k.rejected);
        else
            fprintf(stderr, "calories: %llu survey rows in, %llu accepted, "
                    "%llu rejected; %llu participants\n", k.in, k.used,
                    k.rejected, k.participants);
    }
    /* The reject log first, as aggregate closes it. */
    cs_rejlog_close(rej, &err);
    rej = NULL;
    if (err.code == CS_OK && cs_agg_finish(&st, &err) == CS_OK)
        cli_emit_state(&st, partial, &ro, output, &err);
done:
    cs_reader_free(r);
    cs_rejlog_close(rej, &err);
    if (cal_ready)
        cs_agg_dispose(&st);
    return cli_report("calories", &err);
}
