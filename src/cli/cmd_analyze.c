/* crampstat analyze: the whole chain in one process (ingest, join, tag,
 * aggregate, calories) through cs_chain (chain.h); the command keeps its
 * options, its messages and its exit status. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <crampstat/chain.h>
#include <crampstat/source.h>
#include "cli.h"
#include "cmds.h"

static const char help_head[] =
"Usage: crampstat analyze --survey FILE --exercise FILE... [--rules FILE]\n"
"                         [--by COLUMN] [--adjust COLUMN] [--level L]\n"
"                         [--ci wilson|exact] [--yates] [--outcome KIND]\n"
"                         [--cluster participant|none] [--period week|month]\n"
"                         [--format pretty|csv|tsv|json|md|html]\n"
"                         [--rejects FILE] [--keep-going]\n"
"                         [-o FILE] [--also FORMAT=FILE]...\n"
"                         [--partial-prefix PREFIX [--input-name NAME]\n"
"                          [--shard K/N]]\n"
"                         [--quiet|--verbose]\n"
"Run ingest -> join -> tag -> aggregate and calories in one process and\n"
"write the report. The result equals the separate commands chained:\n"
"  crampstat ingest --schema exercise FILE... | crampstat join --survey S |\n"
"  crampstat tag | crampstat aggregate --input-name FILE\n"
"then a blank line and the calorie report ('calories --partial' of the\n"
"survey merged with 'calories --partial' of the tagged sessions). JSON\n"
"is one object: {\"ingest\": {...}, \"aggregate\": {...}, \"calories\": {...}}.\n"
"HTML is one self-contained page with charts.\n"
"\n";

static const cli_opt options[] = {
    { 'S', 1, "survey", "FILE",
      "the survey (gzip or plain CSV); required" },
    { 'e', 1, "exercise", "FILE",
      "an exercise file; repeat for several (required)" },
    { 'R', 1, "rules", "FILE",
      "cause-factor thresholds (see 'crampstat rules')" },
    { 'O', 0, "outcome", "KIND",
      "hamstring (default) or any cramp" },
    { 'b', 1, "by", "COLUMN",
      "stratify by sex, age_band, activity_level,\n"
      "conditioning, activity, ... (categorical columns)" },
    { 'a', 1, "adjust", "COLUMN",
      "add a categorical column to the logistic model" },
    { 'l', 1, "level", "L",
      "confidence level (default 0.95)" },
    { 'c', 0, "ci", "METHOD",
      "risk interval: wilson (default) or exact" },
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
    { 'f', 1, "format", "FMT",
      "pretty (default), csv, tsv, json, md or html" },
    { 'r', 1, "rejects", "FILE",
      "write every rejected row, with its reason, as CSV" },
    { 'k', 1, "keep-going", NULL,
      "leave out of the report an exercise file that cannot\n"
      "be read to its end (damaged gzip or CSV, unreadable),\n"
      "as if it had not been named; the report says which\n"
      "and why, and the exit status is 65" },
    { 'o', 1, "output", "FILE",
      "write to FILE, atomically: nothing appears under its\n"
      "name until it is complete, and a killed run leaves\n"
      "no file (default: stdout)" },
    { 'A', 0, "also", "FORMAT=FILE",
      "also write the report in FORMAT to FILE (such as\n"
      "json=report.json), atomically, from the same run:\n"
      "one pass over the data for several formats;\n"
      "repeat for more (at most 8)" },
    { 'P', 0, "partial-prefix", "PREFIX",
      "write the partial states, not the report:\n"
      "PREFIX.agg.partial ('aggregate --partial' of the\n"
      "tagged sessions) and PREFIX.cal.partial ('calories\n"
      "--partial' of them: the sessions' calorie goals,\n"
      "without the survey's participants); both appear\n"
      "or neither (a shard of pipelines/partial.sh)" },
    { 'N', 0, "input-name", "NAME",
      "with --partial-prefix: record the exercise file\n"
      "(one) under NAME, as 'aggregate --input-name'" },
    { 'H', 0, "shard", "K/N",
      "with --partial-prefix: count only the sessions of\n"
      "shard K of N (participants dealt out by a hash of\n"
      "participant_id, as pipelines/shard.sh deals them):\n"
      "N runs, K = 1 to N, read the same files and their\n"
      "merged states are the whole run's. The others'\n"
      "rows are counted as for other shards" },
    { 'U', 0, "assume-unique-ids", NULL,
      "skip the duplicate session-id check (memory\n"
      "then stays flat whatever the number of sessions)" },
    CLI_OPT_SAFE_CSV,
    { 'q', 1, "quiet", NULL,
      "no summary lines, no progress" },
    { 'v', 1, "verbose", NULL,
      "log each stage's counts" },
    { 'T', 0, "threads", "N",
      "1: read in one thread; 2 (default): decompress\n"
      "in a second thread and tag and count in a third\n"
      "(same output either way); up to 64 is taken as 2;\n"
      "the default is 1 where only one CPU may be used" },
    CLI_OPT_HELP,
    { 0 }
};

static const char help_tail[] =
"\n"
"Memory: the survey table, the set of session ids (about a bit per id\n"
"numbered in sequence such as S000123, at most 32 bytes for others; none\n"
"with --assume-unique-ids), each participant's counts (none with\n"
"--cluster none), and fixed buffers.\n"
"\n"
"Example:\n"
"  crampstat analyze --survey sample-data/survey.csv.gz \\\n"
"      --exercise sample-data/exercise.csv.gz --by sex\n"
"\n"
"Exit status: 0 ok, 64 usage, 65 bad data (with --keep-going: the report\n"
"is written, and a file was left out), 66 input cannot be opened,\n"
"74 I/O error reading an input or writing an output.\n";

static const cli_command command = {
    "analyze", help_head, options, 24, help_tail, 0
};

/* What the command says while the chain runs. */
typedef struct said {
    int quiet, verbose, shard;
} said;

static void on_survey(void *ctx, const char *path, cs_ingest_counts c)
{
    const said *s = ctx;
    char other[48];
    if (s->verbose || !s->quiet)
        fprintf(stderr, "ingest: %s: %llu rows read%s, %llu accepted, %llu "
                "rejected\n", path, (unsigned long long)c.read,
                cli_other_rows(s->shard, c.other, other, sizeof other),
                (unsigned long long)c.accepted, (unsigned long long)c.rejected);
}

static void on_progress(void *ctx, uint64_t consumed, uint64_t size,
                        uint64_t rows)
{
    (void)ctx;
    cli_progress_tick(consumed, size, rows);
}

static void on_file(void *ctx, const char *path, cs_ingest_counts c)
{
    const said *s = ctx;
    char other[48];
    cli_progress_clear();
    if (!s->quiet)
        fprintf(stderr, "ingest: %s: %llu rows read%s, %llu joined, %llu "
                "rejected\n", path, (unsigned long long)c.read,
                cli_other_rows(s->shard, c.other, other, sizeof other),
                (unsigned long long)c.accepted, (unsigned long long)c.rejected);
}

static void on_left_out(void *ctx, const char *why)
{
    (void)ctx;
    cli_note("analyze", "%s; left out of the report (--keep-going)", why);
}

/* The two partial states of --partial-prefix, opened before the run (a
 * folder that cannot take them fails before any reading) and put in
 * place after it, the calories' first: a run that fails leaves neither,
 * and a reader that finds the aggregate state finds its calories. */
typedef struct states_out {
    char path[2][4096];            /* aggregate, calories */
    cli_output out[2];
    int open;                      /* how many are */
} states_out;

/* The two names; 64 when they are too long or the reject log is one. */
static int states_names(states_out *so, const char *prefix,
                        const char *rejects)
{
    static const char *const ext[2] = { ".agg.partial", ".cal.partial" };

    if (!prefix[0] || strcmp(prefix, "-") == 0)
        return cli_usage("analyze", "--partial-prefix wants the start of two "
                         "file names, not '%s'", prefix);
    for (int i = 0; i < 2; i++) {
        int rc;
        int n = snprintf(so->path[i], sizeof so->path[i], "%s%s", prefix,
                         ext[i]);
        if (n < 0 || (size_t)n >= sizeof so->path[i])
            return cli_usage("analyze", "--partial-prefix is too long");
        if ((rc = cli_check_files("analyze", rejects, so->path[i], NULL,
                                  NULL, 0)))
            return rc;
    }
    return 0;
}

static int states_open(states_out *so, cs_error *err)
{
    for (; so->open < 2; so->open++)
        if (cli_output_open(&so->out[so->open], so->path[so->open], NULL,
                            err) < 0)
            return err->code;
    return CS_OK;
}

/* ok: write both states and put them in place, the calories' first;
 * !ok: drop what is open. Either both appear or neither. */
static int states_close(states_out *so, const cs_chain *ch, int ok,
                        cs_error *err)
{
    int calbit = cs_acc_find((cs_str){ "calories", 8 });
    unsigned cal = calbit < 0 ? 0u : 1u << calbit;

    if (ok && so->open == 2) {
        /* Each written as it is made, in pieces. */
        if (!(ch->agg.have & cal))
            cs_error_set(err, CS_ERROR, "the run counted no calorie goals");
        else if (cs_agg_stream_partial_some(&ch->agg, ch->agg.have & ~cal,
                                            cli_stream_out, so->out[0].w,
                                            err) == CS_OK)
            cs_agg_stream_partial_some(&ch->agg, cal, cli_stream_out,
                                       so->out[1].w, err);
        ok = err->code == CS_OK;
    } else {
        ok = 0;
    }
    if (so->open == 2 &&
        cli_output_close(&so->out[1], ok, ok ? err : NULL) < 0)
        ok = 0;
    if (so->open >= 1 &&
        cli_output_close(&so->out[0], ok, ok ? err : NULL) < 0 && ok) {
        unlink(so->path[1]);       /* not one without the other */
        ok = 0;
    }
    so->open = 0;
    return ok ? CS_OK : err->code;
}

/* --also FORMAT=FILE: another format of the same report, to a file. */
#define ALSO_MAX 8
typedef struct also_out {
    int format;
    const char *path;
} also_out;

static int parse_also(also_out *a, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char name[16];

    if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof name || !eq[1])
        return cli_usage("analyze", "--also wants FORMAT=FILE, such as "
                         "json=report.json, not '%s'", arg);
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = '\0';
    if ((a->format = cs_format_parse(name)) < 0)
        return cli_usage("analyze", "--also: the format is pretty, csv, tsv, "
                         "json, md or html, not '%s'", name);
    if (strcmp(eq + 1, "-") == 0)
        return cli_usage("analyze", "--also writes a file: standard output "
                         "takes the report of --format");
    a->path = eq + 1;
    return 0;
}

int cmd_analyze(int argc, char **argv)
{
    cli_parser parser;
    cs_error err = {0};
    cs_report_opts ro;
    cs_rules rules;
    cs_chain *ch = NULL;
    cs_chain_opts co = {0};
    cs_buf b, cmd;
    const char *rules_path = NULL, *outcome = NULL, *output = NULL,
               *prefix = NULL, *render_opt = NULL;
    const char *exercise[CS_CHAIN_MAX_EXERCISE];
    states_out so = { .open = 0 };
    also_out also[ALSO_MAX];
    int nalso = 0;
    said sd = { 0, 0, 0 };
    cs_chain_hooks hooks = { &sd, on_survey, on_progress, on_file,
                             on_left_out };
    int opt;
    unsigned long long threads;

    cs_report_opts_init(&ro);
    cli_parser_init(&parser, &command);
    while ((opt = cli_getopt(&parser, argc, argv)) != -1) {
        int rc;
        switch (opt) {
        case 'S': co.survey = optarg; break;
        case 'e':
            if (co.nexercise == CS_CHAIN_MAX_EXERCISE)
                return cli_usage("analyze", "at most %d exercise files",
                                 CS_CHAIN_MAX_EXERCISE);
            exercise[co.nexercise++] = optarg;
            break;
        case 'R': rules_path = optarg; break;
        case 'O': outcome = optarg; break;
        case 'b': co.by = optarg; break;
        case 'a': co.adjust = optarg; break;
        case 'r': co.rejects = optarg; break;
        case 'o': output = optarg; break;
        case 'U': co.unique_ids = 1; break;
        case 'P': prefix = optarg; break;
        case 'A':
            if (nalso == ALSO_MAX)
                return cli_usage("analyze", "at most %d --also", ALSO_MAX);
            if ((opt = parse_also(&also[nalso++], optarg)) != 0)
                return opt;
            break;
        case 'N': co.input_name = optarg; break;
        case 'H':
            if ((opt = cli_parse_shard("analyze", optarg, &co.shard_k,
                                       &co.shard_n)) != 0)
                return opt;
            break;
        case 'k': co.keep_going = 1; break;
        case 'q': sd.quiet = 1; break;
        case 'v': sd.verbose = 1; break;
        case 'T':
            if (cli_parse_u64(optarg, &threads) < 0 || threads < 1 || threads > 64)
                return cli_usage("analyze", "--threads wants a number from 1 to 64");
            cs_source_default_threads((int)threads);
            break;
        case 'h': return cli_help(&command);
        default:
            if ((rc = cli_report_option(opt, optarg, &ro, "analyze", 1)) >= 0) {
                if (rc)
                    return rc;
                if (!render_opt)
                    render_opt = cli_render_option(opt);
                break;
            }
            return cli_usage("analyze", "%s", cli_bad_option());
        }
    }
    if (sd.quiet && sd.verbose)
        return cli_usage("analyze", "--quiet and --verbose ask for opposite "
                         "things: give one");
    if (optind < argc)
        return cli_usage("analyze", "unexpected argument '%s' (name exercise "
                         "files with --exercise)", argv[optind]);
    if (!co.survey || co.nexercise == 0)
        return cli_usage("analyze", "--survey FILE and --exercise FILE are "
                         "required");
    if (co.input_name && !prefix)
        return cli_usage("analyze", "--input-name names the exercise file in "
                         "the partial states: give --partial-prefix too");
    if (co.shard_n && !prefix)
        return cli_usage("analyze", "--shard counts a part of the sessions, "
                         "whose report alone is not the data's: give "
                         "--partial-prefix, and merge the N shards' states");
    for (int i = 0; i < nalso; i++) {
        for (int j = -1; j < i; j++) {
            const char *other = j < 0 ? output : also[j].path;
            if (other && strcmp(other, "-") != 0 &&
                cli_same_file(other, also[i].path))
                return cli_usage("analyze", "%s is named for two reports",
                                 also[i].path);
        }
        if ((opt = cli_check_files("analyze", co.rejects, also[i].path, NULL,
                                   NULL, 0)))
            return opt;
    }
    if (prefix) {
        if (output || nalso)
            return cli_usage("analyze", "--partial-prefix writes the partial "
                             "states, %s the report: give one",
                             output ? "-o" : "--also");
        if (render_opt)
            return cli_usage("analyze", "--%s does not apply to "
                             "--partial-prefix, which writes the states: give "
                             "it to 'crampstat report'", render_opt);
        if (co.keep_going)
            return cli_usage("analyze", "--keep-going names the files it "
                             "leaves out in the report, and a partial state "
                             "cannot: run a shard without it");
        co.sessions_calories = 1;
        sd.shard = co.shard_n > 0;
    }
    /* (the names are only read) */
    if ((opt = cli_check_files("analyze", co.rejects, output, co.survey,
                               (char *const *)exercise, co.nexercise)))
        return opt;
    if (prefix && (opt = states_names(&so, prefix, co.rejects)))
        return opt;
    if ((opt = cli_rules("analyze", &rules, rules_path, outcome)) != 0)
        return opt;
    co.exercise = exercise;
    co.rules = &rules;
    co.cluster = ro.cluster;
    cs_buf_init(&b, 0);
    cs_buf_init(&cmd, 0);
    if (cs_chain_open(&ch, &co, &err) < 0) {
        if (err.code == CS_EUSAGE && !ch)
            return cli_usage("analyze", "%s", err.msg);
        goto done;
    }
    if (prefix && states_open(&so, &err) < 0)
        goto done;
    cli_progress_begin(sd.quiet);
    if (cs_chain_run(ch, &hooks, &err) < 0)
        goto done;
    cli_progress_end();
    if (sd.verbose) {
        fprintf(stderr, "join: %llu sessions in, %llu joined, %llu rejected\n",
                (unsigned long long)ch->read, (unsigned long long)ch->joined,
                (unsigned long long)ch->rejected);
        fprintf(stderr, "tag: %llu rows in, %llu tagged, %llu rejected\n",
                (unsigned long long)ch->joined, (unsigned long long)ch->tagged,
                (unsigned long long)(ch->joined - ch->tagged));
        fprintf(stderr, "aggregate: %llu rows in, %llu used, %llu rejected\n",
                (unsigned long long)ch->tagged, (unsigned long long)ch->counted,
                (unsigned long long)(ch->tagged - ch->counted));
        fprintf(stderr, "memory: survey table %zu bytes, session ids %zu bytes, "
                "participant sums %zu bytes (%zu participants)\n",
                cs_survey_bytes(ch->sv),
                ch->ids ? cs_idset_bytes(ch->ids) : (size_t)0,
                cs_clu_bytes(ch->agg.clu), cs_clu_participants(ch->agg.clu));
    }
    if (prefix) {
        states_close(&so, ch, 1, &err);
        goto done;
    }
    /* The command line, for the HTML page. */
    cs_buf_puts(&cmd, "crampstat");
    for (int i = 0; i < argc; i++)
        cs_buf_printf(&cmd, " %s", argv[i]);
    if (cs_buf_check(&cmd, &err) < 0 ||
        cs_chain_render(ch, &ro, cmd.ptr, &b, &err) < 0)
        goto done;
    if (cli_write_text(output, &b, &err) < 0)
        goto done;
    /* The other formats, each rendered from the same run's states. */
    for (int i = 0; i < nalso; i++) {
        cs_report_opts ra = ro;
        ra.format = also[i].format;
        cs_buf_reset(&b);
        if (cs_chain_render(ch, &ra, cmd.ptr, &b, &err) < 0 ||
            cli_write_text(also[i].path, &b, &err) < 0)
            goto done;
    }
    if (ch->nleft)
        cs_error_set(&err, CS_EDATA, "%zu of %d exercise files left out of "
                     "the report (--keep-going); the first: %s", ch->nleft,
                     co.nexercise, ch->left[0].why);
done:
    cli_progress_end();
    if (so.open)
        states_close(&so, ch, 0, &err);
    cs_chain_close(ch, &err);
    cs_buf_dispose(&cmd);
    cs_buf_dispose(&b);
    return cli_report("analyze", &err);
}
