/* crampstat: one binary, one subcommand per stage. The subcommand table,
 * dispatch and the only exit(). */
#define _GNU_SOURCE 1  /* SCHED_BATCH (Linux) */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <crampstat/source.h>
#include <gsl/gsl_errno.h>
#include "cli.h"
#include "cmds.h"

static const struct command {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} commands[] = {
    { "analyze", cmd_analyze, "the whole chain in one process: the main job" },
    { "ingest", cmd_ingest, "validate CSV rows against the data contract" },
    { "join", cmd_join, "append each session's survey wave" },
    { "tag", cmd_tag, "derive values and cause-factor flags per session" },
    { "filter", cmd_filter, "keep the rows for which an expression holds" },
    { "aggregate", cmd_aggregate, "cramp incidence and statistics by cause factor" },
    { "merge", cmd_merge, "combine partial states exactly" },
    { "report", cmd_report, "render a partial state as a report" },
    { "calories", cmd_calories, "calorie goals, targets and the cramp link per goal" },
    { "rules", cmd_rules, "print the cause-factor rules in force" },
    { "gen", cmd_gen, "generate a synthetic survey and exercise data set" },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static int usage(FILE *f)
{
    fprintf(f,
        "Usage: crampstat COMMAND [OPTION]... [FILE]...\n"
        "Epidemiological summaries of hamstring cramps from gzip-compressed\n"
        "CSV files of exercise sessions and participant surveys. Every\n"
        "command reads FILEs (or standard input) and writes standard output.\n"
        "\nCommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
        "\n  help [COMMAND]  show this list, or a command's options\n"
        "\nOptions:\n"
        "  -h, --help      show this help\n"
        "  -V, --version   show the version and the gzip inflater\n"
        "\nExit status: 0 ok, 64 usage error, 65 bad input data, 66 input\n"
        "cannot be opened, 70 internal error, 71 out of memory, 74 I/O error\n"
        "reading an input or writing an output.\n"
        "See crampstat(1) and docs/ for the data contract.\n");
    if (f == stdout)
        return cli_stdout_done(NULL);
    return CLI_EXIT_USAGE;
}

static const struct command *find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* Every command is a batch job: it computes flat out and never waits on
 * a person. Under the normal policy, each time a stage of a pipeline
 * wakes the next one (a pipe that was empty now holds data) the woken
 * stage may preempt the waker on its CPU, while the other CPU idles
 * until the load balancer notices. SCHED_BATCH keeps the same share of
 * the CPU (the nice value is untouched) but a woken batch task waits
 * for the tick instead of preempting. Threads started later inherit it.
 * A policy the user chose (chrt, a batch system) is kept, and so is the
 * normal one with CRAMPSTAT_SCHED=normal. Failure changes nothing. */
static void batch_scheduling(void)
{
#ifdef SCHED_BATCH
    const char *want = getenv("CRAMPSTAT_SCHED");
    struct sched_param prio = { .sched_priority = 0 };

    if (want && strcmp(want, "normal") == 0)
        return;
    if (sched_getscheduler(0) == SCHED_OTHER)
        (void)sched_setscheduler(0, SCHED_BATCH, &prio);
#endif
}

/* Standard input, output and error open before anything else is: a
 * closed one would be taken by the first file the command opens, and
 * the summary line or the data would then be written into the -o file
 * or the reject log. Each stands in on /dev/null opened the wrong way
 * round, so that using it still fails as the closed descriptor did (a
 * read or write error), and nothing lands in another file. */
static void standard_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        int got = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
        if (got != fd) {
            /* No /dev/null: refuse to run rather than misdirect data. */
            if (got >= 0)
                close(got);
            _exit(CLI_EXIT_OSERR);
        }
    }
}

/* 64 when a word follows an option that takes none (--version x). */
static int no_more(int argc, char **argv, int used)
{
    if (argc <= used)
        return 0;
    fprintf(stderr, "crampstat: unexpected argument '%s' after '%s'\n"
            "Try 'crampstat --help'.\n", argv[used], argv[used - 1]);
    return CLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    const struct command *c;
    int rc;

    standard_fds();

    /* A closed downstream pipe ends the run quietly, even when the parent
     * left SIGPIPE ignored. GSL's default handler aborts: every GSL call
     * is checked instead. */
    signal(SIGPIPE, SIG_DFL);
    gsl_set_error_handler_off();

    if (argc < 2)
        return usage(stderr);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
        return no_more(argc, argv, 2) ? CLI_EXIT_USAGE : usage(stdout);
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        if (no_more(argc, argv, 2))
            return CLI_EXIT_USAGE;
        printf("crampstat %s\ngzip inflater: %s\n", CS_VERSION,
               strcmp(cs_source_inflater(), "isal") == 0
               ? "ISA-L (CRAMPSTAT_INFLATE=zlib for zlib; pipes use zlib)"
               : "zlib");
        return cli_stdout_done(NULL);
    }
    if (strcmp(argv[1], "help") == 0) {
        if (argc < 3)
            return usage(stdout);
        if (no_more(argc, argv, 3))
            return CLI_EXIT_USAGE;
        if (!(c = find(argv[2]))) {
            fprintf(stderr, "crampstat: unknown command '%s'\n"
                    "Try 'crampstat --help'.\n", argv[2]);
            return CLI_EXIT_USAGE;
        }
        char *hargv[] = { argv[2], "--help", NULL };
        return c->fn(2, hargv);
    }
    if (!(c = find(argv[1]))) {
        fprintf(stderr, "crampstat: unknown command '%s'\n"
                "Try 'crampstat --help'.\n", argv[1]);
        return CLI_EXIT_USAGE;
    }
    batch_scheduling();
    rc = c->fn(argc - 1, argv + 1);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (rc == 0)
            fprintf(stderr, "crampstat: %s: standard output: write failed\n",
                    c->name);
        rc = rc ? rc : CLI_EXIT_IO;
    }
    return rc;
}
