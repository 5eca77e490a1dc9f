/* Shared pieces of the subcommands: exit codes, error lines, output
 * files that appear atomically, help text. */
#ifndef CRAMPSTAT_CLI_H
#define CRAMPSTAT_CLI_H

#include <getopt.h>
#include <crampstat/error.h>
#include <crampstat/report.h>
#include <crampstat/rules.h>
#include <crampstat/outfile.h>
#include <crampstat/writer.h>

/* sysexits.h values, spelled out so that the meaning is visible here. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_USAGE = 64,     /* EX_USAGE: bad option or argument */
    CLI_EXIT_DATA = 65,      /* EX_DATAERR: bad input data */
    CLI_EXIT_NOINPUT = 66,   /* EX_NOINPUT: cannot open input */
    CLI_EXIT_SOFTWARE = 70,  /* EX_SOFTWARE: internal error */
    CLI_EXIT_OSERR = 71,     /* EX_OSERR: out of memory */
    CLI_EXIT_IO = 74         /* EX_IOERR: write failed */
};

/* Print "crampstat: CMD: src:line:col: msg" for a set error and return the
 * exit status for its code (0 when err is clear). */
int cli_report(const char *cmd, const cs_error *err);
int cli_exit_code(int code);
/* Whether path a and path b (NULL: standard input) name one regular
 * file: the same text, or the same device and inode. Devices such as
 * /dev/null may be both. */
int cli_same_file(const char *a, const char *b);
/* 64, with the reason, when standard input is named twice among the
 * inputs (also, then inputs; NULL entries are skipped), when the reject log is "-", or when
 * it names one of the inputs or the -o file (by path, or the same inode):
 * opening it would empty that file. 0 otherwise. Called before any file
 * is opened. */
int cli_check_files(const char *cmd, const char *rejects, const char *output,
                    const char *also, char *const *inputs, int ninputs);
/* Print "crampstat: CMD: msg" and a hint to --help; returns 64. */
int cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print a message line on stderr: "crampstat: CMD: msg". */
void cli_note(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Flush stdout; returns 0, or 74 after the line "crampstat: CMD:
 * standard output: write failed: REASON" (no "CMD: " for NULL). */
int cli_stdout_done(const char *cmd);
/* Write text to stdout, then cli_stdout_done(cmd). */
int cli_print_help(const char *cmd, const char *text);

/* One option of a command, declared once: it makes getopt_long's long
 * option, the short-option string and the option's lines in --help. */
typedef struct cli_opt {
    int key;            /* what cli_getopt returns for it */
    int is_short;       /* 1: -KEY works too, and the help shows it */
    const char *name;   /* --NAME */
    const char *arg;    /* the argument's name in the help ("FILE"), or
                         * NULL when it takes none */
    const char *help;   /* description; each '\n' starts another line at
                         * the description column */
} cli_opt;

/* Options that several commands share word for word. */
#define CLI_OPT_OUTPUT \
    { 'o', 1, "output", "FILE", "write to FILE, atomically (default: stdout)" }
#define CLI_OPT_SAFE_CSV \
    { 'C', 0, "safe-csv", NULL, \
      "prefix cells starting with = + - @ with ' (numbers\n" \
      "such as -0.42 stay as they are)" }
#define CLI_OPT_HELP { 'h', 1, "help", NULL, "show this help" }

/* A command's options and help: head (usage and what it does, up to the
 * blank line before the options), the options in help order (ended by a
 * { 0 } entry), their descriptions from column col, then tail. */
typedef struct cli_command {
    const char *name;
    const char *head;
    const cli_opt *opts;
    int col;
    const char *tail;
    int in_order;       /* 1: options end at the first operand ('+') */
} cli_command;

#define CLI_OPTS_MAX 32

/* getopt_long's tables, made from a command's cli_opt list. */
typedef struct cli_parser {
    struct option longopts[CLI_OPTS_MAX + 1];
    char shortopts[3 * CLI_OPTS_MAX + 2];
} cli_parser;

/* Build the tables and reset getopt (optind = 1). */
void cli_parser_init(cli_parser *p, const cli_command *c);
/* getopt_long over the tables: the option's key, '?' for a bad one, -1
 * at the end. getopt prints nothing: what was wrong with a bad one is
 * cli_bad_option()'s text, for cli_usage. */
int cli_getopt(cli_parser *p, int argc, char **argv);
/* The last bad option, said in one phrase ("unknown option '--foo'",
 * "option '--survey' needs a value", ...). */
const char *cli_bad_option(void);
/* Print the command's help (head, one entry per option, tail); returns 0
 * or 74 as cli_print_help. */
int cli_help(const cli_command *c);
/* Parse a number option, a plain decimal (no exponent, hex, inf or
 * nan); returns 0 or -1. */
int cli_parse_double(const char *s, double *out);
int cli_parse_u64(const char *s, unsigned long long *out);

/* An output: standard output, or a file written as an unnamed file
 * (O_TMPFILE) in the same directory and linked into place only when
 * everything was written, so that a failed or killed run, even by
 * SIGKILL, never leaves half a report or a temporary file. Where the file
 * system cannot (or CRAMPSTAT_NO_TMPFILE is set), a named temporary file
 * beside it, renamed into place at the end and removed on an error or
 * SIGINT, SIGTERM, SIGHUP (a SIGKILL leaves it). */
typedef struct cli_output {
    int fd;
    char path[4096];   /* final path; "" = standard output */
    cs_writer *w;
    int direct;        /* writing straight into a device or pipe */
    int atomic;        /* a regular file: written as file, named at the end */
    cs_outfile file;
} cli_output;

int cli_output_open(cli_output *o, const char *path, const cs_write_opts *wo,
                    cs_error *err);
/* ok: flush, fsync and rename (or flush stdout); !ok: remove the
 * temporary. Returns CS_OK or the first write error. */
int cli_output_close(cli_output *o, int ok, cs_error *err);

/* The long name of a cli_report_option key that only shapes how a state
 * is rendered (--format, --level, --ci, --yates, --safe-csv, --period),
 * or NULL: none of them applies when a command writes a partial state. */
const char *cli_render_option(int opt);
/* The usage error of such an option given with --partial. */
int cli_usage_partial(const char *cmd, const char *render_opt);
/* The report options every reporting command shares: -l/--level,
 * -c/--ci, -Y/--yates, -K/--cluster, -C/--safe-csv, -f/--format (html only when
 * allow_html). Returns 0 when opt was one of them and is valid, the usage
 * exit status when its value is bad, -1 when opt is not one of them. */
int cli_report_option(int opt, const char *arg, cs_report_opts *ro,
                      const char *cmd, int allow_html);

/* The rules in force for tag, aggregate and analyze: the defaults, a
 * rules file over them when path is set, and --outcome (hamstring or any)
 * over that when outcome is set. Returns 0, or the exit status after
 * printing why. */
int cli_rules(const char *cmd, cs_rules *r, const char *path,
              const char *outcome);

/* Write a finished text (a report, a partial state) to path ("-" or
 * NULL = stdout) through cli_output: atomically for a file. */
int cli_write_text(const char *path, const cs_buf *text, cs_error *err);

/* Progress on a terminal: cli_progress_begin decides (stderr is a tty and
 * not quiet); cli_progress_tick redraws at most a few times a second. */
void cli_progress_begin(int quiet);
void cli_progress_tick(unsigned long long done, unsigned long long total,
                       unsigned long long rows);
void cli_progress_end(void);
/* Wipe the progress line (before another message on stderr). */
void cli_progress_clear(void);

/* --shard K/N (cs_shard_parse) into *k and *n: 0, or 64 with the reason
 * for cmd. */
int cli_parse_shard(const char *cmd, const char *arg, unsigned *k,
                    unsigned *n);
/* What a summary line says after "N rows read" of a sharded input,
 * ", N for other shards", into b; "" when not sharded. Returns b. */
const char *cli_other_rows(int sharded, uint64_t other, char *b, size_t n);
/* cs_partial_out for a cs_writer (ctx): the piece written, the writer's
 * sticky error returned. */
int cli_stream_out(void *ctx, const char *p, size_t n, cs_error *err);
/* Write a finished state to output (NULL = standard output) as its
 * partial state or as the report of every section it holds. */
int cli_emit_state(const cs_agg *a, int partial, const cs_report_opts *ro,
                   const char *output, cs_error *err);

#endif
