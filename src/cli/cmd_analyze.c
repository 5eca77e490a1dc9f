/* crampstat analyze: the whole chain in one process (ingest, join, tag,
 * aggregate, calories), through the same stage code as the separate
 * commands and with no CSV between the stages. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <crampstat/aggregate.h>
#include <crampstat/calories.h>
#include <crampstat/handoff.h>
#include <crampstat/html.h>
#include <crampstat/sha256.h>
#include <crampstat/ingest.h>
#include <crampstat/join.h>
#include <crampstat/report.h>
#include <crampstat/tag.h>
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
"                         [-o FILE] [--quiet|--verbose]\n"
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
    { 'U', 0, "assume-unique-ids", NULL,
      "skip the duplicate session-id check (memory\n"
      "then stays flat whatever the number of sessions)" },
    { 'C', 0, "safe-csv", NULL,
      "prefix cells starting with = + - @ with ' (numbers\n"
      "such as -0.42 stay as they are)" },
    { 'q', 1, "quiet", NULL,
      "no summary lines, no progress" },
    { 'v', 1, "verbose", NULL,
      "log each stage's counts" },
    { 'T', 0, "threads", "N",
      "1: read in one thread; 2 (default): decompress\n"
      "in a second thread and tag and count in a third\n"
      "(same output either way)" },
    { 'h', 1, "help", NULL,
      "show this help" },
    { 0 }
};

static const char help_tail[] =
"\n"
"Memory: the survey table, the set of session ids (about a bit per id\n"
"numbered in sequence such as S000123, at most 32 bytes for others; none\n"
"with --assume-unique-ids), and fixed buffers.\n"
"\n"
"Example:\n"
"  crampstat analyze --survey sample-data/survey.csv.gz \\\n"
"      --exercise sample-data/exercise.csv.gz --by sex\n"
"\n"
"Exit status: 0 ok, 64 usage, 65 bad data (with --keep-going: the report\n"
"is written, and a file was left out), 66 input cannot be opened,\n"
"74 write error.\n";

static const cli_command command = {
    "analyze", help_head, options, 24, help_tail, 0
};

#define MAX_EXERCISE 1024

/* An exercise file left out by --keep-going: why, and how many of its
 * rows were read (and not counted) before the damage. */
typedef struct left_out {
    const char *path;
    char why[300];
    uint64_t rows;
} left_out;

/* What the run counted, for the report. */
typedef struct run {
    const cs_rules *rules;
    uint64_t read, joined, no_survey;
    int argc;
    char **argv;
    const left_out *left;
    size_t nleft;
} run;

/* The files left out, after the report in its format; nothing when none
 * was. JSON has them in "ingest" (json_ingest). */
/* A joined session, handed from the thread that reads, checks and joins
 * it to the one that tags and counts it. The strings of ses are not used
 * there (they point into the reader's buffer, which has moved on): what
 * is needed of the record travels in the batch's bytes. */
typedef struct joined {
    cs_session ses;
    const cs_wave *wv;       /* the survey table does not change */
    uint64_t mmin;
    size_t pid, pid_len;     /* offsets into the batch's bytes */
    size_t bv, bv_len, av, av_len;
    int tagged;              /* t is set (--by or --adjust needed it) */
    cs_tagged t;
} joined;

typedef struct counter {
    cs_tagger *tg;
    cs_agg *agg;
    cs_cal *cal;
} counter;

/* Tag one joined session and count it: the second half of a row's work,
 * in the order the rows were read (cs_handoff). */
static int count_session(void *item, const char *bytes, void *payload,
                         cs_error *err)
{
    joined *j = item;
    const counter *c = payload;
    cs_str pid = { bytes + j->pid, j->pid_len };
    cs_str bv = { bytes + j->bv, j->bv_len }, av = { bytes + j->av, j->av_len };

    if (!j->tagged)
        cs_tag(c->tg, &j->ses, j->wv, &j->t);
    /* dose-response and over time: the values as tag writes them */
    cs_agg_more more = { { (double)j->ses.intensity_rpe,
                           cs_dose_canonical(j->t.heat_index_c),
                           cs_dose_canonical(j->t.fluid_ml_per_h),
                           j->ses.warmup_min, (double)j->mmin / 1000.0,
                           j->wv->calcium_mg, j->wv->potassium_mg },
                         j->ses.day, 1 };
    if (cs_agg_add(c->agg, j->t.factor, j->t.outcome, j->mmin, bv, av, pid,
                   err) < 0 ||
        cs_agg_add_more(c->agg, &more, j->t.factor, j->t.outcome, j->mmin,
                        pid, err) < 0 ||
        cs_cal_add_session(c->cal, j->wv->goal_lb_week, j->t.outcome, err) < 0)
        return err->code;
    return CS_OK;
}

static void render_left_out(cs_buf *b, const run *rn, int format)
{
    char sep = format == CS_FMT_TSV ? '\t' : ',';

    if (rn->nleft == 0 || format == CS_FMT_JSON)
        return;
    if (format == CS_FMT_HTML) {
        cs_buf_puts(b, "<h2>Inputs left out</h2>\n<p>These exercise "
                    "files could not be read to their end and are left "
                    "out of every count above (--keep-going).</p>\n"
                    "<table><tr><th>file</th><th>why</th><th>rows read "
                    "before, not counted</th></tr>\n");
        for (size_t i = 0; i < rn->nleft; i++) {
            cs_buf_puts(b, "<tr><td>");
            cs_html_escape(b, rn->left[i].path);
            cs_buf_puts(b, "</td><td>");
            cs_html_escape(b, rn->left[i].why);
            cs_buf_printf(b, "</td><td>%llu</td></tr>\n",
                          (unsigned long long)rn->left[i].rows);
        }
        cs_buf_puts(b, "</table>\n");
        return;
    }
    if (format == CS_FMT_CSV || format == CS_FMT_TSV) {
        /* One more table after a blank line, as the calorie tables. */
        cs_buf_printf(b, "\nleft_out_file%creason%crows_read\n", sep, sep);
        for (size_t i = 0; i < rn->nleft; i++) {
            const char *cells[2] = { rn->left[i].path, rn->left[i].why };
            for (int c = 0; c < 2; c++) {
                int q = format == CS_FMT_CSV &&
                        strpbrk(cells[c], ",\"\r\n") != NULL;
                if (q)
                    cs_buf_putc(b, '"');
                for (const char *p = cells[c]; *p; p++) {
                    char ch = *p;
                    if (format == CS_FMT_TSV && (ch == '\t' || ch == '\n' ||
                                                 ch == '\r'))
                        ch = ' ';
                    cs_buf_putc(b, ch);
                    if (format == CS_FMT_CSV && ch == '"')
                        cs_buf_putc(b, '"');
                }
                if (q)
                    cs_buf_putc(b, '"');
                cs_buf_putc(b, sep);
            }
            cs_buf_printf(b, "%llu\n", (unsigned long long)rn->left[i].rows);
        }
        return;
    }
    cs_buf_puts(b, format == CS_FMT_MD
                ? "\n## Inputs left out\n\nThese exercise files could "
                  "not be read to their end and are left out of every "
                  "count above (--keep-going).\n\n"
                : "\nInputs left out (--keep-going): not read to their "
                  "end, left out of every count above\n");
    for (size_t i = 0; i < rn->nleft; i++)
        /* The reason names the file (and where it broke). */
        cs_buf_printf(b, "%s%s (%llu rows read before, not counted)\n",
                      format == CS_FMT_MD ? "- " : "", rn->left[i].why,
                      (unsigned long long)rn->left[i].rows);
}

/* The session ids of the exercise files read to their end, read again
 * into a new set: a file left out must not leave its ids behind, or a
 * later file's sessions with those ids would be rejected as duplicates. */
static int rebuild_ids(cs_idset **ids, const char *const *files,
                       const unsigned char *merged, int n, cs_error *err)
{
    cs_idset_free(*ids);
    *ids = NULL;
    if (cs_idset_create(ids) < 0)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (int f = 0; f < n; f++) {
        cs_ingest *in;
        const cs_record *rec;
        cs_session ses;
        int rc;

        if (!merged[f])
            continue;
        if (strcmp(files[f], "-") == 0)
            return cs_error_set(err, CS_EUSAGE, "standard input cannot be "
                                "read again for its session ids after a file "
                                "was left out; name a file instead of '-'");
        if (cs_ingest_open(&in, files[f], CS_SCHEMA_EXERCISE, NULL, *ids,
                           err) < 0)
            return err->code;
        while ((rc = cs_ingest_next(in, &rec, &ses, NULL, err)) > 0)
            ;
        cs_ingest_free(in);
        if (rc < 0)
            return rc;
    }
    return CS_OK;
}

/* The ingest member of the JSON report: counts per input and stage. */
static void json_ingest(cs_buf *b, const cs_html_input *in, size_t n,
                        const cs_rejlog *rej, const run *rn)
{
    cs_buf_puts(b, "{\"inputs\": [");
    for (size_t i = 0; i < n; i++) {
        cs_buf_puts(b, i ? ", {\"file\": " : "{\"file\": ");
        cs_json_str(b, in[i].path);
        cs_buf_printf(b, ", \"role\": \"%s\", \"read\": %llu, "
                      "\"accepted\": %llu, \"rejected\": %llu}", in[i].role,
                      (unsigned long long)in[i].counts.read,
                      (unsigned long long)in[i].counts.accepted,
                      (unsigned long long)in[i].counts.rejected);
    }
    cs_buf_printf(b, "], \"sessions\": {\"read\": %llu, \"joined\": %llu, "
                  "\"no_survey\": %llu}, \"rejected_by_column\": {",
                  (unsigned long long)rn->read, (unsigned long long)rn->joined,
                  (unsigned long long)rn->no_survey);
    for (size_t k = 0; k < cs_rejlog_nkeys(rej); k++) {
        const char *name;
        uint64_t cnt;
        cs_rejlog_key(rej, k, &name, &cnt);
        if (k)
            cs_buf_puts(b, ", ");
        cs_json_str(b, name[0] ? name : "(row)");
        cs_buf_printf(b, ": %llu", (unsigned long long)cnt);
    }
    cs_buf_puts(b, "}");
    if (rn->nleft) {
        cs_buf_puts(b, ", \"left_out\": [");
        for (size_t i = 0; i < rn->nleft; i++) {
            cs_buf_puts(b, i ? ", {\"file\": " : "{\"file\": ");
            cs_json_str(b, rn->left[i].path);
            cs_buf_puts(b, ", \"reason\": ");
            cs_json_str(b, rn->left[i].why);
            cs_buf_printf(b, ", \"rows_read\": %llu}",
                          (unsigned long long)rn->left[i].rows);
        }
        cs_buf_puts(b, "]");
    }
    cs_buf_puts(b, "}");
}

/* Strip the trailing newline of a rendered JSON object. */
static void chomp(cs_buf *b)
{
    while (b->len && b->ptr[b->len - 1] == '\n')
        b->len--;
}

static int render(cs_buf *b, const cs_agg *agg, const cs_cal *cal,
                  const cs_report_opts *ro, cs_html_input *in, size_t nin,
                  const cs_rejlog *rej, const run *rn, cs_error *err)
{
    int rc = CS_OK;

    if (ro->format == CS_FMT_HTML) {
        cs_html_doc d = {0};
        cs_buf cmd, rules;
        char when[40];
        time_t now = time(NULL);
        struct tm tmv;

        for (size_t i = 0; i < nin; i++)
            if (cs_sha256_file(in[i].path, in[i].sha256, &in[i].size, err) < 0) {
                /* Standard input cannot be read twice. */
                if (strcmp(in[i].path, "-") != 0)
                    return err->code;
                cs_error_clear(err);
                snprintf(in[i].sha256, sizeof in[i].sha256, "(standard input)");
            }
        cs_buf_init(&cmd, 0);
        cs_buf_init(&rules, 0);
        cs_buf_printf(&cmd, "crampstat");
        for (int i = 0; i < rn->argc; i++)
            cs_buf_printf(&cmd, " %s", rn->argv[i]);
        if (cs_buf_check(&cmd, err) < 0 ||
            (cs_rules_format(rn->rules, &rules) < 0 &&
             cli_text_failed(&rules, err) < 0)) {
            cs_buf_dispose(&cmd);
            cs_buf_dispose(&rules);
            return err->code;
        }
        gmtime_r(&now, &tmv);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tmv);
        d.agg = agg;
        d.cal = cal;
        d.ro = ro;
        d.inputs = in;
        d.ninputs = nin;
        d.sessions_read = rn->read;
        d.sessions_joined = rn->joined;
        d.no_survey = rn->no_survey;
        d.rej = rej;
        d.command = cmd.ptr;
        d.when = when;
        d.rules_text = rules.ptr;
        rc = cs_html_render(&d, b);
        if (rc == CS_OK && rn->nleft) {
            /* Before the end of the page. */
            static const char tail[] = "</body>";
            char *at = NULL;
            for (char *p = b->ptr; p && (p = strstr(p, tail)); p++)
                at = p;
            if (at) {
                cs_buf rest;
                size_t off = (size_t)(at - b->ptr);
                cs_buf_init(&rest, 0);
                cs_buf_append(&rest, at, b->len - off);
                if ((rc = cs_buf_check(&rest, err)) == CS_OK) {
                    b->len = off;
                    render_left_out(b, rn, ro->format);
                    cs_buf_append(b, rest.ptr, rest.len);
                }
                cs_buf_dispose(&rest);
            }
        }
        cs_buf_dispose(&cmd);
        cs_buf_dispose(&rules);
    } else if (ro->format == CS_FMT_JSON) {
        cs_buf_puts(b, "{\"ingest\": ");
        json_ingest(b, in, nin, rej, rn);
        cs_buf_puts(b, ",\n\"aggregate\": ");
        rc = cs_report_render(agg, ro, b);
        chomp(b);
        cs_buf_puts(b, ",\n\"calories\": ");
        if (rc == CS_OK && cs_cal_render(cal, ro, b, err) < 0)
            return err->code;
        chomp(b);
        cs_buf_puts(b, "}\n");
    } else {
        rc = cs_report_render(agg, ro, b);
        cs_buf_putc(b, '\n');
        if (rc == CS_OK && cs_cal_render(cal, ro, b, err) < 0)
            return err->code;
        render_left_out(b, rn, ro->format);
    }
    /* The report's renderers fail through b (its cap, memory) or, for
     * their tables, out of memory: cli_text_failed tells which. */
    if (rc < 0 || cs_buf_error(b))
        return cli_text_failed(b, err);
    return CS_OK;
}

int cmd_analyze(int argc, char **argv)
{
    cli_parser parser;
    cs_error err = {0};
    cs_report_opts ro;
    cs_rules rules;
    cs_agg agg, fagg;   /* the run, and the file being read */
    cs_cal cal, fcal;
    cs_html_input inputs[MAX_EXERCISE + 1];
    cs_rejlog *rej = NULL;
    cs_survey *sv = NULL;
    cs_idset *ids = NULL;
    cs_ingest *in = NULL;
    cs_tagger *tg = NULL;
    cs_handoff *ho = NULL;
    cs_buf b;
    const char *survey = NULL, *rules_path = NULL, *outcome = NULL,
               *by = NULL, *adjust = NULL, *rejects = NULL, *output = NULL;
    const char *exercise[MAX_EXERCISE];
    int nex = 0, opt, quiet = 0, verbose = 0, unique = 0, agg_ready = 0;
    int cal_ready = 0, keep_going = 0, ids_stale = 0, file_ready = 0;
    static left_out left[MAX_EXERCISE];
    static unsigned char merged[MAX_EXERCISE];
    size_t nleft = 0, nin = 1;
    unsigned long long total_read = 0, total_joined = 0, total_rej = 0;
    unsigned long long no_survey = 0;
    counter cnt;

    cs_report_opts_init(&ro);
    unsigned long long threads;

    cli_parser_init(&parser, &command);
    while ((opt = cli_getopt(&parser, argc, argv)) != -1) {
        int rc;
        switch (opt) {
        case 'S': survey = optarg; break;
        case 'e':
            if (nex == MAX_EXERCISE)
                return cli_usage("analyze", "at most %d exercise files",
                                 MAX_EXERCISE);
            exercise[nex++] = optarg;
            break;
        case 'R': rules_path = optarg; break;
        case 'O': outcome = optarg; break;
        case 'b': by = optarg; break;
        case 'a': adjust = optarg; break;
        case 'r': rejects = optarg; break;
        case 'o': output = optarg; break;
        case 'U': unique = 1; break;
        case 'k': keep_going = 1; break;
        case 'q': quiet = 1; break;
        case 'v': verbose = 1; break;
        case 'T':
            if (cli_parse_u64(optarg, &threads) < 0 || threads < 1 || threads > 64)
                return cli_usage("analyze", "--threads wants a number from 1 to 64");
            cs_source_default_threads((int)threads);
            break;
        case 'W':   /* incidence over time */
            if ((ro.period = cs_period_parse(optarg)) < 0)
                return cli_usage("analyze", "--period is week or month, not '%s'",
                                 optarg);
            break;
        case 'h': return cli_help(&command);
        default:
            if ((rc = cli_report_option(opt, optarg, &ro, "analyze", 1)) >= 0) {
                if (rc)
                    return rc;
                break;
            }
            return cli_usage("analyze", "bad option");
        }
    }
    if (optind < argc)
        return cli_usage("analyze", "unexpected argument '%s' (name exercise "
                         "files with --exercise)", argv[optind]);
    if (!survey || nex == 0)
        return cli_usage("analyze", "--survey FILE and --exercise FILE are "
                         "required");
    if ((opt = cli_rules("analyze", &rules, rules_path, outcome)) != 0)
        return opt;
    {
        /* Refuse a --by column analyze cannot produce before reading. */
        cs_str v;
        char tmp[32];
        cs_session s0 = {0};
        cs_wave w0 = {0};
        cs_tagged t0 = {0};
        const char *cols[] = { by, adjust };
        for (int k = 0; k < 2; k++)
            if (cols[k] && strcmp(cols[k], "activity") != 0 &&
                strcmp(cols[k], "participant_id") != 0 &&
                cs_tag_value(&v, tmp, sizeof tmp, cols[k], NULL, NULL, &s0,
                             &w0, &t0) < 0)
                return cli_usage("analyze", "cannot group by \"%s\" in "
                                 "analyze; use the piped chain ('crampstat "
                                 "aggregate --by %s')", cols[k], cols[k]);
    }
    cs_buf_init(&b, 0);
    if (cs_agg_init(&agg, &rules, by, adjust, &err) < 0 ||
        (ro.cluster && cs_agg_cluster(&agg, &err) < 0))
        goto done;
    agg_ready = 1;
    /* Calories group by --by when it is one of theirs, else by sex. */
    if (cs_cal_init(&cal, by && cs_cal_by_parse(by) >= 0 ? cs_cal_by_parse(by)
                                                       : CS_CAL_BY_SEX, &err) < 0)
        goto done;
    cal_ready = 1;
    if (cs_tagger_create(&tg, &rules) < 0 ||
        (!unique && cs_idset_create(&ids) < 0)) {
        cs_error_set(&err, CS_ENOMEM, "out of memory");
        goto done;
    }
    if (cs_rejlog_open(&rej, rejects, &err) < 0 ||
        cs_survey_load(&sv, survey, rej, &err) < 0)
        goto done;
    cli_progress_begin(quiet);
    for (size_t i = 0; i < cs_survey_count(sv); i++)
        if (cs_cal_add_participant(&cal, cs_survey_latest(sv, i), &err) < 0)
            goto done;
    memset(inputs, 0, sizeof inputs);
    inputs[0].role = "survey";
    inputs[0].path = survey;
    inputs[0].counts = cs_survey_counts(sv);
    {
        cs_ingest_counts c = cs_survey_counts(sv);
        if (verbose || !quiet)
            fprintf(stderr, "ingest: %s: %llu rows read, %llu accepted, %llu "
                    "rejected\n", survey, (unsigned long long)c.read,
                    (unsigned long long)c.accepted, (unsigned long long)c.rejected);
    }
    for (int f = 0; f < nex; f++) {
        const cs_record *rec;
        const cs_schema *s = NULL;
        cs_session ses;
        cs_tagged t;
        int rc;
        unsigned long long rows = 0, file_no_survey = 0;
        cs_ingest_counts c = { 0, 0, 0 };

        /* Each file is counted into states of its own, merged into the
         * run's (exactly: integer counts) only once it was read to its
         * end, so that --keep-going can leave a damaged one out. */
        if (ids_stale && rebuild_ids(&ids, exercise, merged, f, &err) < 0)
            goto done;
        ids_stale = 0;
        if (cs_agg_init(&fagg, &rules, by, adjust, &err) < 0 ||
            (ro.cluster && cs_agg_cluster(&fagg, &err) < 0))
            goto done;
        if (cs_cal_init(&fcal, cal.by, &err) < 0) {
            cs_agg_dispose(&fagg);
            goto done;
        }
        file_ready = 1;
        if (cs_agg_add_input(&fagg, exercise[f], &err) < 0)
            goto done;
        cs_rejlog_mark(rej);
        rc = cs_ingest_open(&in, exercise[f], CS_SCHEMA_EXERCISE, rej, ids, &err);
        if (rc < 0 && !keep_going)
            goto done;
        if (rc == 0)
            s = cs_ingest_schema(in);
        /* Reading, checking and joining stay in this thread, with the
         * reject log; tagging and counting follow in another, in the
         * same order, so the output and the log are the same with one
         * thread or more. */
        cnt = (counter){ tg, &fagg, &fcal };
        if (in && cs_handoff_create(&ho, cs_source_threads() > 1,
                                    sizeof(joined), 1024, 64 * 1024,
                                    count_session, &cnt, &err) < 0)
            goto done;
        while (in && (rc = cs_ingest_next(in, &rec, &ses, NULL, &err)) > 0) {
            const cs_wave *wv = cs_join_session(sv, in, rec, &ses, rej);
            cs_str bv = { "", 0 }, av = { "", 0 }, pid;
            char bb[32], ab[32];
            uint64_t mmin;
            joined *j;
            size_t off;

            if ((++rows & 0xffff) == 0) {
                const cs_source *src = cs_reader_source(cs_ingest_reader(in));
                cli_progress_tick(cs_source_consumed(src), cs_source_size(src),
                                  rows);
            }
            if (!wv) {
                file_no_survey++;
                continue;
            }
            if (by || adjust)
                cs_tag(tg, &ses, wv, &t);
            if (by)
                cs_tag_value(&bv, bb, sizeof bb, by, s, rec, &ses, wv, &t);
            if (adjust)
                cs_tag_value(&av, ab, sizeof ab, adjust, s, rec, &ses, wv, &t);
            /* The same milli-minutes aggregate reads from tag's output:
             * the canonical text of the validated duration. */
            if (cs_agg_mmin(cs_str_trim(rec->fields[cs_schema_index(s, CS_EX_DURATION_MIN)]),
                            &mmin) < 0) {
                cs_error_set(&err, CS_ERROR, "internal: duration not in "
                             "milli-minutes");
                goto done;
            }
            pid = cs_str_trim(rec->fields[cs_schema_index(s, CS_EX_PARTICIPANT_ID)]);
            if (!(j = cs_handoff_next(ho, pid.len + bv.len + av.len, &off, &err)))
                goto done;
            j->ses = ses;
            j->wv = wv;
            j->mmin = mmin;
            j->tagged = by || adjust;
            if (j->tagged)
                j->t = t;
            j->pid = off;
            j->pid_len = pid.len;
            j->bv = off + pid.len;
            j->bv_len = bv.len;
            j->av = j->bv + bv.len;
            j->av_len = av.len;
            memcpy(cs_handoff_bytes(ho) + j->pid, pid.ptr, pid.len);
            memcpy(cs_handoff_bytes(ho) + j->bv, bv.ptr, bv.len);
            memcpy(cs_handoff_bytes(ho) + j->av, av.ptr, av.len);
            if (cs_handoff_put(ho, &err) < 0)
                goto done;
        }
        if (ho) {
            /* The counting thread's error came from an earlier row than
             * any error of reading that stopped the loop: it wins. */
            cs_error herr = {0};
            if (cs_handoff_finish(ho, &herr) < 0) {
                err = herr;
                goto done;
            }
            cs_handoff_free(ho);
            ho = NULL;
        }
        if (in)
            c = cs_ingest_counts_of(in);
        cli_progress_clear();
        if (!quiet && in)
            fprintf(stderr, "ingest: %s: %llu rows read, %llu joined, %llu "
                    "rejected\n", exercise[f], (unsigned long long)c.read,
                    (unsigned long long)c.accepted, (unsigned long long)c.rejected);
        if (rc < 0 && (!keep_going || err.code == CS_ENOMEM ||
                       err.code == CS_ERROR))
            goto done;
        if (rc < 0) {
            /* Left out, as if never named: its states and its rejected
             * rows' counts are dropped, and the session ids it added are
             * forgotten before the next file. The reject log keeps the
             * lines of its rows rejected before the damage. */
            char line[1024];
            left[nleft].path = exercise[f];
            left[nleft].rows = c.read;
            snprintf(left[nleft].why, sizeof left[nleft].why, "%s",
                     cs_error_format(&err, line, sizeof line));
            cli_note("analyze", "%s; left out of the report (--keep-going)",
                     left[nleft].why);
            nleft++;
            cs_error_clear(&err);
            cs_rejlog_rewind(rej);
            ids_stale = ids != NULL;
        } else {
            if (cs_agg_merge_move(&agg, &fagg, &err) < 0 ||
                cs_cal_merge(&cal, &fcal, &err) < 0)
                goto done;
            merged[f] = 1;
            inputs[nin].role = "exercise";
            inputs[nin].path = exercise[f];
            inputs[nin++].counts = c;
            total_read += c.read;
            total_joined += c.accepted;
            total_rej += c.rejected;
            no_survey += file_no_survey;
        }
        cs_agg_dispose(&fagg);
        cs_cal_dispose(&fcal);
        file_ready = 0;
        cs_ingest_free(in);
        in = NULL;
    }
    cli_progress_end();
    if (verbose) {
        fprintf(stderr, "join: %llu sessions in, %llu joined, %llu rejected\n",
                total_read, total_joined, total_rej);
        fprintf(stderr, "tag: %llu rows in, %llu tagged, 0 rejected\n",
                total_joined, total_joined);
        fprintf(stderr, "aggregate: %llu rows in, %llu used, 0 rejected\n",
                total_joined, total_joined);
        fprintf(stderr, "memory: survey table %zu bytes, session ids %zu bytes, "
                "participant sums %zu bytes (%zu participants)\n",
                cs_survey_bytes(sv), ids ? cs_idset_bytes(ids) : (size_t)0,
                cs_clu_bytes(agg.clu), cs_clu_participants(agg.clu));
    }
    if (cs_agg_finish(&agg, &err) < 0)
        goto done;
    cs_cal_finish(&cal);
    {
        run rn = { &rules, total_read, total_joined, no_survey, argc, argv,
                   left, nleft };
        if (render(&b, &agg, &cal, &ro, inputs, nin, rej, &rn, &err) < 0)
            goto done;
    }
    if (cli_write_text(output, &b, &err) == CS_OK && nleft)
        cs_error_set(&err, CS_EDATA, "%zu of %d exercise files left out of "
                     "the report (--keep-going); the first: %s", nleft, nex,
                     left[0].why);
done:
    cs_handoff_free(ho);   /* before the states its thread counts into */
    cli_progress_end();
    cs_rejlog_close(rej, &err);
    cs_ingest_free(in);
    cs_idset_free(ids);
    cs_survey_free(sv);
    cs_tagger_free(tg);
    if (agg_ready)
        cs_agg_dispose(&agg);
    if (cal_ready)
        cs_cal_dispose(&cal);
    if (file_ready) {
        cs_agg_dispose(&fagg);
        cs_cal_dispose(&fcal);
    }
    cs_buf_dispose(&b);
    return cli_report("analyze", &err);
}
