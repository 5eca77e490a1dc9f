/* crampstat calories: calorie goals and targets per participant from the
 * survey, or the cramp link by goal direction from tagged sessions; the
 * header decides which. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <crampstat/calories.h>
#include <crampstat/ingest.h>
#include <crampstat/join.h>
#include <crampstat/tagread.h>
#include <crampstat/value.h>
#include "cli.h"
#include "cmds.h"

static const char help_head[] =
"Usage: crampstat calories [--by sex|age_band|activity_level] [--partial]\n"
"                          [--format pretty|csv|tsv|json|md] [-o FILE] [FILE]\n"
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
    { 'f', 1, "format", "FMT",
      "pretty (default), csv, tsv, json or md" },
    { 'l', 1, "level", "L",
      "confidence level of the cramp link (default 0.95)" },
    { 'c', 0, "ci", "METHOD",
      "risk interval: wilson (default) or exact\n"
      "(Clopper-Pearson)" },
    { 'r', 1, "rejects", "FILE",
      "write rejected rows as CSV" },
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

static const char help_tail[] =
"\n"
"'calories' is 'calories --partial | report'; states of shards split by\n"
"participant merge exactly ('crampstat merge').\n"
"\n"
"Memory: the survey table (about 200 bytes per wave) and one exact\n"
"histogram per group and goal direction (at most 200 KB each); tagged\n"
"sessions are read one row at a time.\n"
"\n"
"Example:\n"
"  crampstat calories --by age_band sample-data/survey.csv.gz\n";

static const cli_command command = {
    "calories", help_head, options, 24, help_tail, 0
};

/* ---- standard input through a pipe ---------------------------------------
 * The header decides how the input is read, but a pipe cannot be rewound
 * and the survey loader opens its input itself. So the head of the pipe is
 * read here, and a child process replays it followed by the rest of the
 * original input into a new pipe that becomes standard input: nothing is
 * held in memory or spooled to disk, and names and line numbers stay those
 * of "-". */

#define HEAD_MAX ((size_t)16 << 20)

static pid_t feeder = -1;

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int replay_stdin(const char *head, size_t n, cs_error *err)
{
    int p[2];

    if (pipe(p) < 0)
        return cs_error_set(err, CS_EIO, "standard input: pipe failed: %s",
                            strerror(errno));
    fflush(NULL);
    if ((feeder = fork()) < 0) {
        close(p[0]);
        close(p[1]);
        return cs_error_set(err, CS_EIO, "standard input: fork failed: %s",
                            strerror(errno));
    }
    if (feeder == 0) {
        static char buf[65536];
        ssize_t r;
        close(p[0]);
        r = write_all(p[1], head, n);
        /* The child owns a copy of the head: free it before leaving. */
        free((void *)(uintptr_t)head);
        if (r < 0)
            _exit(0);   /* the reader stopped early: not our error */
        for (;;) {
            r = read(0, buf, sizeof buf);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                _exit(errno > 0 && errno < 256 ? errno : 255);
            if (r == 0 || write_all(p[1], buf, (size_t)r) < 0)
                _exit(0);
        }
    }
    close(p[1]);
    if (dup2(p[0], 0) < 0) {
        close(p[0]);
        return cs_error_set(err, CS_EIO, "standard input: dup2 failed: %s",
                            strerror(errno));
    }
    close(p[0]);
    return CS_OK;
}

/* Stop the feeder (when the input was not read to the end) and report a
 * read error it had. */
static void end_replay(cs_error *err)
{
    int st, nul;

    if (feeder <= 0)
        return;
    if ((nul = open("/dev/null", O_RDONLY)) >= 0) {
        dup2(nul, 0);   /* closes our end of the pipe */
        close(nul);
    } else {
        close(0);
    }
    while (waitpid(feeder, &st, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
        cs_error_set(err, CS_EIO, "standard input: read failed: %s",
                     strerror(WEXITSTATUS(st)));
    feeder = -1;
}

/* Decide from the header whether the input is tagged sessions. A file is
 * opened again afterwards; standard input is rewound when it is a
 * regular file and replayed otherwise. An input that cannot be read as
 * CSV is left to the survey loader, whose message names the problem. */
static int peek(const char *path, int *tagged, cs_error *err)
{
    cs_reader *r = NULL;
    const cs_record *rec;
    struct stat st;
    cs_error ignore = {0};
    char *head = NULL;
    size_t n = 0, cap = 65536;
    int eof = 0;

    *tagged = 0;
    if (strcmp(path, "-") != 0 || (fstat(0, &st) == 0 && S_ISREG(st.st_mode))) {
        off_t off = strcmp(path, "-") == 0 ? lseek(0, 0, SEEK_CUR) : 0;
        if (cs_reader_open(&r, path, NULL, err) < 0)
            return err->code;
        if (cs_reader_next(r, &rec, &ignore) > 0)
            *tagged = cs_tagread_is_tagged(rec);
        cs_reader_free(r);
        if (strcmp(path, "-") == 0 && (off < 0 || lseek(0, off, SEEK_SET) < 0))
            return cs_error_set(err, CS_EIO, "standard input: cannot rewind: "
                                "%s", strerror(errno));
        return CS_OK;
    }
    /* A pipe: read until the header parses or the head is 16 MiB. */
    for (;;) {
        char *nh = realloc(head, cap);
        if (!nh) {
            free(head);
            return cs_error_set(err, CS_ENOMEM, "out of memory");
        }
        head = nh;
        while (n < cap && !eof) {
            ssize_t k = read(0, head + n, cap - n);
            if (k < 0 && errno == EINTR)
                continue;
            if (k < 0) {
                free(head);
                return cs_error_set(err, CS_EIO, "standard input: read "
                                    "failed: %s", strerror(errno));
            }
            eof = k == 0;
            n += (size_t)k;
        }
        cs_error_clear(&ignore);
        if (cs_reader_open_mem(&r, "-", head, n, NULL, &ignore) == CS_OK) {
            int rc = cs_reader_next(r, &rec, &ignore);
            if (rc > 0)
                *tagged = cs_tagread_is_tagged(rec);
            cs_reader_free(r);
            r = NULL;
            if (rc > 0 || eof || cap >= HEAD_MAX)
                break;
        } else if (eof || cap >= HEAD_MAX) {
            break;
        }
        cap *= 2;
    }
    int rc = replay_stdin(head, n, err);
    free(head);
    return rc;
}

/* ---- the two inputs ------------------------------------------------------ */

typedef struct counts {
    unsigned long long in, used, rejected, participants;
} counts;

static int read_survey(cs_cal *cal, const char *path, cs_rejlog *rej,
                       counts *k, cs_error *err)
{
    cs_survey *sv = NULL;
    cs_ingest_counts ic;

    if (cs_survey_load(&sv, path, rej, err) < 0)
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

static int read_tagged(cs_cal *cal, const char *path, cs_rejlog *rej,
                       counts *k, cs_error *err)
{
    cs_tagread_opts to = { CS_TR_GOAL, NULL, NULL, "calories" };
    cs_reader *r = NULL;
    cs_tagread *tr = NULL;
    const cs_record *rec;
    cs_tagrow row;

    if (cs_reader_open_header(&r, &rec, path, NULL, err) < 0)
        return err->code;
    if (cs_tagread_open(&tr, r, rec, &to, rej, err) == CS_OK) {
        while (cs_tagread_next(tr, &row, err) > 0)
            if (cs_cal_add_session(cal, row.goal_lb_week, row.outcome, err) < 0)
                break;
        k->in = cs_tagread_rows(tr);
        k->rejected = cs_tagread_rejected(tr);
        k->used = k->in - k->rejected;
    }
    cs_tagread_free(tr);
    cs_reader_free(r);
    return err->code;
}

static int emit(const cs_cal *cal, int partial, const cs_report_opts *ro,
                const char *output, cs_error *err)
{
    cs_buf b;
    int rc;

    cs_buf_init(&b, 0);
    rc = partial ? cs_cal_write_partial(cal, &b, err)
                 : cs_cal_render(cal, ro, &b, err);
    if (rc == CS_OK)
        rc = cli_write_text(output, &b, err);
    cs_buf_dispose(&b);
    return rc;
}

int cmd_calories(int argc, char **argv)
{
    cli_parser parser;
    cs_error err = {0};
    cs_report_opts ro;
    cs_rejlog *rej = NULL;
    cs_cal cal;
    counts k = {0};
    const char *output = NULL, *rejects = NULL, *path = "-";
    int opt, by = CS_CAL_BY_SEX, partial = 0, quiet = 0, tagged = 0,
        cal_ready = 0;

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
        case 'r': rejects = optarg; break;
        case 'o': output = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': return cli_help(&command);
        default:
            if ((rc = cli_report_option(opt, optarg, &ro, "calories", 0)) >= 0) {
                if (rc)
                    return rc;
                break;
            }
            return cli_usage("calories", "bad option");
        }
    }
    if (optind + 1 < argc)
        return cli_usage("calories", "one input at a time (merge the partial "
                         "states of several with 'crampstat merge')");
    if (optind < argc)
        path = argv[optind];
    if (cs_cal_init(&cal, by, &err) < 0)
        return cli_report("calories", &err);
    cal_ready = 1;
    if (peek(path, &tagged, &err) < 0 ||
        cs_rejlog_open(&rej, rejects, &err) < 0)
        goto done;
    if (tagged ? read_tagged(&cal, path, rej, &k, &err) < 0
               : read_survey(&cal, path, rej, &k, &err) < 0)
        goto done;
    end_replay(&err);
    if (err.code)
        goto done;
    if (!quiet) {
        if (tagged)
            fprintf(stderr, "calories: %llu tagged sessions in, %llu used, "
                    "%llu rejected\n", k.in, k.used, k.rejected);
        else
            fprintf(stderr, "calories: %llu survey rows in, %llu accepted, "
                    "%llu rejected; %llu participants\n", k.in, k.used,
                    k.rejected, k.participants);
    }
    cs_cal_finish(&cal);
    emit(&cal, partial, &ro, output, &err);
done:
    end_replay(&err);
    cs_rejlog_close(rej, &err);
    if (cal_ready)
        cs_cal_dispose(&cal);
    return cli_report("calories", &err);
}
