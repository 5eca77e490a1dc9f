/* crampstat gen: a seeded synthetic data set with a planted truth. */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <crampstat/gen.h>
#include "cli.h"
#include "cmds.h"

static const char help_head[] =
"Usage: crampstat gen [--participants N] [--seed S] [--sessions-mean M]\n"
"                     [--frailty-sd SD] [--out-dir DIR] [--truth]\n"
"Write DIR/survey.csv.gz and DIR/exercise.csv.gz: a synthetic population\n"
"whose hamstring cramps follow a logistic model with a known coefficient\n"
"per cause factor. The same arguments give byte-identical files.\n"
"\n";

static const cli_opt options[] = {
    { 'n', 1, "participants", "N",
      "participants (default 2000)" },
    { 's', 1, "seed", "S",
      "random seed (default 1)" },
    { 'm', 1, "sessions-mean", "M",
      "mean sessions per participant (default 25)" },
    { 'f', 0, "frailty-sd", "SD",
      "add a participant random intercept u ~ N(0, SD^2)\n"
      "to the logit (0 to 10; default 0: none, and the\n"
      "files are those of a run without the option).\n"
      "The planted coefficients are then conditional on\n"
      "the participant; crude and marginal values are\n"
      "smaller" },
    { 'd', 1, "out-dir", "DIR",
      "where to write (default: .; made if missing, in\n"
      "a folder that exists)" },
    { 't', 1, "truth", NULL,
      "print the planted model as JSON on stdout\n"
      "(with --out-dir, after writing the files, with\n"
      "the realised counts; without it, no files are\n"
      "written)" },
    CLI_OPT_HELP,
    { 0 }
};

static const char help_tail[] =
"\n"
"Memory: one participant at a time.\n"
"\n"
"Example:\n"
"  crampstat gen --participants 200000 --seed 1 --out-dir bench-data\n";

static const cli_command command = {
    "gen", help_head, options, 25, help_tail, 0
};

int cmd_gen(int argc, char **argv)
{
    cli_parser parser;
    cs_error err = {0};
    cs_gen_opts o;
    cs_gen_stats stats;
    const char *dir = NULL;
    unsigned long long u;
    int truth = 0, opt;

    cs_gen_opts_init(&o);
    cli_parser_init(&parser, &command);
    while ((opt = cli_getopt(&parser, argc, argv)) != -1) {
        switch (opt) {
        case 'n':
            if (cli_parse_u64(optarg, &u) < 0 || u == 0 ||
                u > CS_GEN_MAX_PARTICIPANTS)
                return cli_usage("gen", "--participants wants a whole number "
                                 "from 1 to %u, not '%s'",
                                 CS_GEN_MAX_PARTICIPANTS, optarg);
            o.participants = u;
            break;
        case 's':
            if (cli_parse_u64(optarg, &u) < 0)
                return cli_usage("gen", "--seed wants a whole number from 0 "
                                 "to 18446744073709551615, not '%s'", optarg);
            o.seed = u;
            break;
        case 'm':
            if (cli_parse_double(optarg, &o.sessions_per_participant) < 0 ||
                !(o.sessions_per_participant >= 0 &&
                  o.sessions_per_participant <= CS_GEN_MAX_SESSIONS_MEAN))
                return cli_usage("gen", "--sessions-mean wants a number from "
                                 "0 to %g, not '%s'", CS_GEN_MAX_SESSIONS_MEAN,
                                 optarg);
            break;
        case 'f':
            if (cli_parse_double(optarg, &o.frailty_sd) < 0 ||
                !(o.frailty_sd >= 0 && o.frailty_sd <= CS_GEN_MAX_FRAILTY_SD))
                return cli_usage("gen", "--frailty-sd wants a number from 0 "
                                 "to %g, not '%s'", CS_GEN_MAX_FRAILTY_SD,
                                 optarg);
            break;
        case 'd': dir = optarg; break;
        case 't': truth = 1; break;
        case 'h': return cli_help(&command);
        default: return cli_usage("gen", "%s", cli_bad_option());
        }
    }
    if (optind < argc)
        return cli_usage("gen", "unexpected argument '%s'", argv[optind]);
    if (dir && mkdir(dir, 0755) < 0 && errno != EEXIST) {
        cs_error_at(&err, CS_EIO, (cs_pos){ dir, 0, 0 },
                    "cannot make the output directory: %s", strerror(errno));
        return cli_report("gen", &err);
    }
    if (dir || !truth) {
        if (cs_gen_write(&o, dir ? dir : ".", &stats, &err) < 0)
            return cli_report("gen", &err);
    }
    if (truth) {
        char buf[CS_GEN_TRUTH_MAX];
        cs_gen_truth_json(buf, sizeof buf, &o, dir ? &stats : NULL);
        return cli_print_help("gen", buf);      /* with the reason it failed */
    }
    return CLI_EXIT_OK;
}
