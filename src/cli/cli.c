/* Error lines, exit codes and atomic output files for all subcommands. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <crampstat/ingest.h>
#include <crampstat/period.h>
#include <crampstat/value.h>
#include <crampstat/source.h>
#include "cli.h"

int cli_exit_code(int code)
{
    switch (code) {
    case CS_OK: return CLI_EXIT_OK;
    case CS_EUSAGE: return CLI_EXIT_USAGE;
    case CS_EPARSE:
    case CS_ELIMIT:
    case CS_EDATA: return CLI_EXIT_DATA;
    case CS_ENOENT: return CLI_EXIT_NOINPUT;
    case CS_EIO: return CLI_EXIT_IO;
    case CS_ENOMEM: return CLI_EXIT_OSERR;
    default: return CLI_EXIT_SOFTWARE;
    }
}

int cli_report(const char *cmd, const cs_error *err)
{
    char line[1024];

    if (err->code == CS_OK)
        return CLI_EXIT_OK;
    fprintf(stderr, "crampstat: %s: %s\n", cmd,
            cs_error_format(err, line, sizeof line));
    return cli_exit_code(err->code);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "crampstat: %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'crampstat %s --help'.\n", cmd);
    return CLI_EXIT_USAGE;
}

int cli_same_file(const char *a, const char *b)
{
    struct stat sa, sb;

    if (stat(a, &sa) != 0)
        return b && strcmp(a, b) == 0;     /* -o X -r X, X not made yet */
    return S_ISREG(sa.st_mode) && (b ? stat(b, &sb) : fstat(0, &sb)) == 0 &&
           sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int cli_check_files(const char *cmd, const char *rejects, const char *output,
                    const char *also, char *const *inputs, int ninputs)
{
    int stdin_seen = also && strcmp(also, "-") == 0;

    for (int i = 0; i < ninputs; i++) {
        if (!inputs[i] || strcmp(inputs[i], "-") != 0)
            continue;
        if (stdin_seen++)
            return cli_usage(cmd, "standard input ('-') is named twice; it "
                             "can be read only once");
    }
    if (!rejects)
        return 0;
    if (strcmp(rejects, "-") == 0)
        return cli_usage(cmd, "--rejects wants a file name; standard output "
                         "carries the data");
    for (int i = -1; i < ninputs; i++) {
        const char *in = i < 0 ? also : inputs[i];
        if (in && cli_same_file(rejects, strcmp(in, "-") == 0 ? NULL : in))
            return cli_usage(cmd, "--rejects %s is also an input%s: the log "
                             "would empty it before it is read", rejects,
                             strcmp(in, "-") == 0 ? " (standard input)" : "");
    }
    if (output && strcmp(output, "-") != 0 && cli_same_file(rejects, output))
        return cli_usage(cmd, "--rejects and --output name the same file %s: "
                         "give the reject log its own", rejects);
    return 0;
}

void cli_note(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "crampstat: %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_stdout_done(const char *cmd)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return CLI_EXIT_OK;
    fprintf(stderr, "crampstat: %s%sstandard output: write failed: %s\n",
            cmd ? cmd : "", cmd ? ": " : "", strerror(errno));
    return CLI_EXIT_IO;
}

int cli_print_help(const char *cmd, const char *text)
{
    fputs(text, stdout);
    return cli_stdout_done(cmd);
}

void cli_parser_init(cli_parser *p, const cli_command *c)
{
    size_t n = 0, k = 0;

    memset(p, 0, sizeof *p);
    if (c->in_order)
        p->shortopts[k++] = '+';
    p->shortopts[k++] = ':';    /* a missing value returns ':' */
    for (const cli_opt *o = c->opts; o->name; o++, n++) {
        assert(n < CLI_OPTS_MAX);
        p->longopts[n] = (struct option){ o->name, o->arg ? required_argument
                                                          : no_argument,
                                          NULL, o->key };
        if (o->is_short) {
            p->shortopts[k++] = (char)o->key;
            if (o->arg)
                p->shortopts[k++] = ':';
        }
    }
    optind = 1;
}

static char bad_option[160];

const char *cli_bad_option(void)
{
    return bad_option[0] ? bad_option : "bad option";
}

/* What was wrong with the option getopt_long refused (ret '?' or ':'),
 * into bad_option. arg: argv[optind - 1], the argument the error was in
 * when getopt moved past it; for an unknown letter inside a cluster
 * ("-Zq") it has not, and arg is the argument before. So arg is taken for
 * a long option only when getopt says so: optopt 0 (no such option, or
 * more than one begins so), or optopt the key of the option arg names. */
static void say_bad(const cli_parser *p, int ret, const char *arg)
{
    if (arg && strncmp(arg, "--", 2) == 0) {
        const char *eq = strchr(arg, '=');
        size_t n = (eq ? (size_t)(eq - arg) : strlen(arg)) - 2;
        int exact = -1, only = -1, prefixed = 0;
        for (int i = 0; p->longopts[i].name; i++) {
            if (strncmp(p->longopts[i].name, arg + 2, n) != 0)
                continue;
            prefixed++;
            only = i;
            if (strlen(p->longopts[i].name) == n)
                exact = i;
        }
        int named = exact >= 0 ? exact : prefixed == 1 ? only : -1;
        int w = n > 60 ? 60 : (int)n;
        if (optopt == 0 || (named >= 0 && p->longopts[named].val == optopt)) {
            if (ret == ':')
                snprintf(bad_option, sizeof bad_option,
                         "option '--%.*s' needs a value", w, arg + 2);
            else if (named >= 0)
                snprintf(bad_option, sizeof bad_option,
                         "option '--%.*s' takes no value", w, arg + 2);
            else if (prefixed > 1)
                snprintf(bad_option, sizeof bad_option,
                         "option '--%.*s' is ambiguous (%d options begin so)",
                         w, arg + 2, prefixed);
            else
                snprintf(bad_option, sizeof bad_option,
                         "unknown option '--%.*s'", w, arg + 2);
            return;
        }
    }
    if (ret == ':')
        snprintf(bad_option, sizeof bad_option, "option '-%c' needs a value",
                 optopt);
    else if (optopt > 32 && optopt < 127)
        snprintf(bad_option, sizeof bad_option, "unknown option '-%c'", optopt);
    else
        snprintf(bad_option, sizeof bad_option, "unknown option '%.60s'",
                 arg ? arg : "?");
}

int cli_getopt(cli_parser *p, int argc, char **argv)
{
    int ret;

    opterr = 0;
    ret = getopt_long(argc, argv, p->shortopts, p->longopts, NULL);
    if (ret == '?' || ret == ':') {
        say_bad(p, ret, optind > 0 && optind <= argc ? argv[optind - 1] : NULL);
        return '?';
    }
    return ret;
}

int cli_help(const cli_command *c)
{
    cs_buf b;
    int rc;

    cs_buf_init(&b, 0);
    cs_buf_puts(&b, c->head);
    for (const cli_opt *o = c->opts; o->name; o++) {
        size_t start = b.len, width;
        if (o->is_short)
            cs_buf_printf(&b, "  -%c, --%s", o->key, o->name);
        else
            cs_buf_printf(&b, "      --%s", o->name);
        if (o->arg)
            cs_buf_printf(&b, " %s", o->arg);
        /* A name as long as the column: two spaces, then the text. */
        width = b.len - start;
        cs_buf_printf(&b, "%*s", width < (size_t)c->col ? c->col - (int)width
                                                        : 2, "");
        for (const char *s = o->help; *s; s++) {
            cs_buf_putc(&b, *s);
            if (*s == '\n')
                cs_buf_printf(&b, "%*s", c->col, "");
        }
        cs_buf_putc(&b, '\n');
    }
    cs_buf_puts(&b, c->tail);
    if (cs_buf_error(&b)) {
        cs_error err = {0};
        cs_buf_failed(&b, &err);
        rc = cli_report(c->name, &err);
    } else {
        rc = cli_print_help(c->name, b.ptr);
    }
    cs_buf_dispose(&b);
    return rc;
}

int cli_parse_double(const char *s, double *out)
{
    /* A plain decimal, as in rules files: no exponent, hex, inf or nan. */
    return cs_parse_decimal((cs_str){ s, strlen(s) }, out);
}

int cli_parse_u64(const char *s, unsigned long long *out)
{
    char *end;
    if (!*s || *s == '-')
        return -1;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return (*end == '\0' && errno == 0) ? 0 : -1;
}

int cli_output_open(cli_output *o, const char *path, const cs_write_opts *wo,
                    cs_error *err)
{
    struct stat st;

    memset(o, 0, sizeof *o);
    o->fd = 1;
    if (path && strcmp(path, "-") != 0 && stat(path, &st) == 0 &&
        !S_ISREG(st.st_mode)) {
        /* A device or a pipe (-o /dev/null, a FIFO): there is nothing to
         * rename into place, and replacing it would be wrong. */
        if (S_ISDIR(st.st_mode))
            return cs_error_at(err, CS_EUSAGE, (cs_pos){ path, 0, 0 },
                               "is a directory");
        o->fd = open(path, O_WRONLY | O_CLOEXEC);
        if (o->fd < 0)
            return cs_error_at(err, CS_EIO, (cs_pos){ path, 0, 0 },
                               "cannot open for writing: %s", strerror(errno));
        o->direct = 1;
        snprintf(o->path, sizeof o->path, "%s", path);  /* errors name it */
    } else if (path && strcmp(path, "-") != 0) {
        /* A regular file appears whole or not at all (outfile.h). */
        if (cs_outfile_open(&o->file, path, err) < 0)
            return err->code;
        o->fd = o->file.fd;
        o->atomic = 1;
        snprintf(o->path, sizeof o->path, "%s", path);
    }
    if (fstat(o->fd, &st) == 0 && S_ISFIFO(st.st_mode))
        cs_pipe_grow(o->fd, CS_PIPE_SIZE);   /* as a source on a pipe does */
    if (cs_writer_open_fd(&o->w, o->fd, o->path[0] ? o->path : "standard output",
                          wo, err) < 0) {
        if (o->atomic)
            cs_outfile_discard(&o->file);
        else if (o->direct)
            close(o->fd);
        o->atomic = o->direct = 0;
        return err->code;
    }
    return CS_OK;
}

int cli_output_close(cli_output *o, int ok, cs_error *err)
{
    int rc = cs_writer_close(o->w, ok ? err : NULL);

    o->w = NULL;
    if (o->atomic) {
        if (ok && rc == CS_OK)
            return cs_outfile_commit(&o->file, err);
        cs_outfile_discard(&o->file);
        return rc;
    }
    if (o->direct && close(o->fd) < 0 && ok && rc == CS_OK)
        rc = cs_error_set(err, CS_EIO, "write failed: %s", strerror(errno));
    return rc;
}

int cli_report_option(int opt, const char *arg, cs_report_opts *ro,
                      const char *cmd, int allow_html)
{
    switch (opt) {
    case 'l':
        if (cli_parse_double(arg, &ro->level) < 0 ||
            !(ro->level > 0 && ro->level < 1))
            return cli_usage(cmd, "--level wants a number between 0 and 1, "
                             "not '%s'", arg);
        return 0;
    case 'c':
        if (strcmp(arg, "wilson") == 0)
            ro->ci = CS_CI_WILSON;
        else if (strcmp(arg, "exact") == 0)
            ro->ci = CS_CI_EXACT;
        else
            return cli_usage(cmd, "--ci is wilson or exact, not '%s'", arg);
        return 0;
    case 'Y':
        ro->yates = 1;
        return 0;
    case 'C':
        ro->safe_csv = 1;
        return 0;
    case 'K':
        if (strcmp(arg, "participant") == 0 || strcmp(arg, "participant_id") == 0)
            ro->cluster = 1;
        else if (strcmp(arg, "none") == 0)
            ro->cluster = 0;
        else
            return cli_usage(cmd, "--cluster is participant or none, not '%s'",
                             arg);
        return 0;
    case 'W':   /* incidence over time */
        if ((ro->period = cs_period_parse(arg)) < 0)
            return cli_usage(cmd, "--period is week or month, not '%s'", arg);
        return 0;
    case 'f':
        ro->format = cs_format_parse(arg);
        if (ro->format < 0 || (ro->format == CS_FMT_HTML && !allow_html))
            return cli_usage(cmd, "--format is pretty, csv, tsv, json%s or "
                             "md, not '%s'", allow_html ? ", html" : "", arg);
        return 0;
    }
    return -1;
}

int cli_usage_partial(const char *cmd, const char *render_opt)
{
    return cli_usage(cmd, "--%s does not apply to --partial, which writes "
                     "the state: give it to 'crampstat report'", render_opt);
}

const char *cli_render_option(int opt)
{
    switch (opt) {
    case 'l': return "level";
    case 'c': return "ci";
    case 'Y': return "yates";
    case 'C': return "safe-csv";
    case 'W': return "period";
    case 'f': return "format";
    }
    return NULL;
}

int cli_rules(const char *cmd, cs_rules *r, const char *path,
              const char *outcome)
{
    cs_error err = {0};

    cs_rules_default(r);
    if (path && cs_rules_load(r, path, &err) < 0)
        return cli_report(cmd, &err);
    if (!outcome)
        return 0;
    if (strcmp(outcome, "hamstring") == 0)
        r->outcome = CS_OUTCOME_HAMSTRING;
    else if (strcmp(outcome, "any") == 0)
        r->outcome = CS_OUTCOME_ANY;
    else
        return cli_usage(cmd, "--outcome is hamstring or any, not '%s'",
                         outcome);
    return 0;
}

int cli_write_text(const char *path, const cs_buf *text, cs_error *err)
{
    cli_output out;

    if (cli_output_open(&out, path, NULL, err) < 0)
        return err->code;
    cs_writer_raw(out.w, text->ptr, text->len);
    return cli_output_close(&out, 1, err);
}

static int progress_on;
static struct timespec progress_t0, progress_last;

static double since(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void cli_progress_begin(int quiet)
{
    progress_on = !quiet && isatty(2);
    clock_gettime(CLOCK_MONOTONIC, &progress_t0);
    progress_last = progress_t0;
}

void cli_progress_tick(unsigned long long done, unsigned long long total,
                       unsigned long long rows)
{
    struct timespec now;
    double el;

    if (!progress_on)
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (since(&progress_last, &now) < 0.25)
        return;
    progress_last = now;
    el = since(&progress_t0, &now);
    if (total > 0 && done > 0) {
        double frac = (double)done / (double)total;
        double eta = frac > 0 ? el / frac - el : 0;
        fprintf(stderr, "\r%5.1f%%  %.1f of %.1f MB  %.0f rows/s  %.0fs elapsed"
                "  ETA %.0fs   ", 100 * frac, (double)done / 1e6,
                (double)total / 1e6, el > 0 ? (double)rows / el : 0, el, eta);
    } else {
        fprintf(stderr, "\r%.1f MB  %.0f rows/s  %.0fs elapsed   ",
                (double)done / 1e6, el > 0 ? (double)rows / el : 0, el);
    }
}

void cli_progress_clear(void)
{
    if (progress_on)
        fprintf(stderr, "\r%*s\r", 78, "");
}

void cli_progress_end(void)
{
    if (progress_on)
        fprintf(stderr, "\r%*s\r", 78, "");
    progress_on = 0;
}

int cli_parse_shard(const char *cmd, const char *arg, unsigned *k,
                    unsigned *n)
{
    if (cs_shard_parse(arg, k, n) < 0)
        return cli_usage(cmd, "--shard wants K/N, 1 <= K <= N <= 65536, such "
                         "as 3/8, not '%s'", arg);
    return 0;
}

const char *cli_other_rows(int sharded, uint64_t other, char *b, size_t n)
{
    b[0] = '\0';
    if (sharded)
        snprintf(b, n, ", %llu for other shards", (unsigned long long)other);
    return b;
}

int cli_stream_out(void *ctx, const char *p, size_t n, cs_error *err)
{
    cs_writer *w = ctx;

    cs_writer_raw(w, p, n);
    return cs_writer_error(w, err);
}

int cli_emit_state(const cs_agg *a, int partial, const cs_report_opts *ro,
                   const char *output, cs_error *err)
{
    cli_output out;
    cs_buf b;
    int rc;

    if (partial) {
        /* Written as it is made, in pieces: no copy of the whole text. */
        if (cli_output_open(&out, output, NULL, err) < 0)
            return err->code;
        rc = cs_agg_stream_partial_some(a, a->have, cli_stream_out, out.w,
                                        err);
        if (cli_output_close(&out, rc == CS_OK, rc == CS_OK ? err : NULL) < 0 &&
            rc == CS_OK)
            rc = err->code;
        return rc;
    }
    cs_buf_init(&b, 0);
    rc = cs_agg_render(a, ro, &b, err);
    if (rc == CS_OK)
        rc = cli_write_text(output, &b, err);
    cs_buf_dispose(&b);
    return rc;
}
