/* crampstat filter: keep the rows for which an expression holds. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <crampstat/filter.h>
#include <crampstat/ingest.h>
#include <crampstat/reader.h>
#include "cli.h"
#include "cmds.h"

static const char help_head[] =
"Usage: crampstat filter [--rejects FILE] [-o FILE] [--safe-csv] [-q] EXPR\n"
"                        [FILE]...\n"
"Keep the CSV rows for which EXPR holds. The header and the kept rows are\n"
"written as canonical CSV: each field as it was read, quoted only when it\n"
"holds a comma, a double quote, CR or LF, each row ending in LF.\n"
"\n"
"EXPR: comparisons = != < <= > >= between a column and a value,\n"
"COL in (a, b, c), COL is empty, COL is not empty, and, or, not,\n"
"parentheses. Numbers compare as numbers, ISO dates and times as times,\n"
"the rest as text. Values may be quoted ('a b'); column names are matched\n"
"case-insensitively (write `odd name` in backquotes). A comparison with an\n"
"empty or NA field is unknown, and a row is kept only when EXPR is true.\n"
"A row whose field count differs from the header's cannot be judged: it\n"
"is rejected (written to the reject log, with the reason) and counted.\n"
"\n";

static const cli_opt options[] = {
    { 'r', 1, "rejects", "FILE",
      "write the rows that cannot be judged as CSV" },
    CLI_OPT_OUTPUT,
    { 'C', 0, "safe-csv", NULL,
      "prefix cells starting with = + - @ with ' (for\n"
      "spreadsheets; the fields are then no longer as read)" },
    { 'q', 1, "quiet", NULL,
      "no summary line" },
    CLI_OPT_HELP,
    { 0 }
};

static const char help_tail[] =
"\n"
"Summary on standard error: rows in, kept, rejected.\n"
"Memory: one row at a time.\n"
"\n"
"Example:\n"
"  crampstat filter 'sex = F and age_years >= 40' < tagged.csv\n"
"  crampstat filter \"activity in (running, soccer) and heat = 1\" tagged.csv\n";

static const cli_command command = {
    "filter", help_head, options, 21, help_tail, 1
};

/* Print the expression with a caret under the error's byte column. */
static void show_caret(const char *expr, const cs_error *err)
{
    if (err->col == 0)
        return;
    fprintf(stderr, "  %s\n  %*s^\n", expr, (int)(err->col - 1), "");
}

int cmd_filter(int argc, char **argv)
{
    cli_parser parser;
    cs_error err = {0};
    cs_filter *flt = NULL;
    cs_reader *r = NULL;
    cs_rejlog *rej = NULL;
    cli_output out = {0};
    cs_write_opts wo = {0};
    const char *output = NULL, *rejects = NULL, *expr;
    unsigned long long nin = 0, nkept = 0, nrej = 0;
    int quiet = 0;
    char *stdin_only[] = { "-" };
    char **files;
    int nfiles, opt, out_open = 0;
    cs_buf first_hdr;
    size_t first_n = 0;

    cs_buf_init(&first_hdr, 0);
    cli_parser_init(&parser, &command);
    while ((opt = cli_getopt(&parser, argc, argv)) != -1) {
        switch (opt) {
        case 'o': output = optarg; break;
        case 'r': rejects = optarg; break;
        case 'q': quiet = 1; break;
        case 'C': wo.safe_csv = 1; break;
        case 'h': return cli_help(&command);
        default: return cli_usage("filter", "%s", cli_bad_option());
        }
    }
    if (optind >= argc)
        return cli_usage("filter", "an expression is required");
    expr = argv[optind++];
    files = optind < argc ? argv + optind : stdin_only;
    nfiles = optind < argc ? argc - optind : 1;
    if ((opt = cli_check_files("filter", rejects, output, NULL, files, nfiles)))
        return opt;

    if (cs_rejlog_open(&rej, rejects, &err) < 0 ||
        cli_output_open(&out, output, &wo, &err) < 0)
        goto done;
    out_open = 1;
    for (int f = 0; f < nfiles; f++) {
        const cs_record *rec;
        int rc;

        if (cs_reader_open_header(&r, &rec, files[f], NULL, &err) < 0)
            goto done;
        if (f == 0) {
            if (cs_filter_compile(&flt, expr, rec->fields, rec->nfields,
                                  &err) < 0) {
                int code = cli_report("filter", &err);
                show_caret(expr, &err);
                cli_output_close(&out, 0, NULL);
                cs_error ignored = {0};
                cs_rejlog_close(rej, &ignored);
                cs_reader_free(r);
                /* A bad expression is a usage error, whatever its kind. */
                return code == CLI_EXIT_OSERR ? code : CLI_EXIT_USAGE;
            }
            cs_writer_put(out.w, rec);
            first_n = rec->nfields;
            if (cs_buf_append(&first_hdr, rec->raw.ptr, rec->raw.len) < 0) {
                cs_buf_failed(&first_hdr, &err);
                goto done;
            }
        } else if (rec->nfields != first_n || rec->raw.len != first_hdr.len ||
                   memcmp(rec->raw.ptr, first_hdr.ptr, rec->raw.len) != 0) {
            /* The expression was resolved against the first header. */
            cs_error_at(&err, CS_EPARSE, (cs_pos){ files[f], rec->line, 0 },
                        "its header differs from that of %s; filter such "
                        "files separately", files[0]);
            goto done;
        }
        while ((rc = cs_reader_next(r, &rec, &err)) > 0) {
            nin++;
            if (rec->nfields != first_n) {
                /* A missing field would read as empty (unknown), an extra
                 * one would be passed on: neither is a judgement. */
                char why[96];
                snprintf(why, sizeof why, "row has %zu field%s, the header "
                         "has %zu", rec->nfields, rec->nfields == 1 ? "" : "s",
                         first_n);
                cs_rejlog_add(rej, files[f], rec, "", why);
                nrej++;
                continue;
            }
            int m = cs_filter_match(flt, rec->fields, rec->nfields, &err);
            if (m < 0)
                goto done;
            if (m) {
                cs_writer_put(out.w, rec);
                nkept++;
            }
        }
        if (rc < 0 || cs_writer_error(out.w, &err) < 0)
            goto done;
        cs_reader_free(r);
        r = NULL;
    }
    if (!quiet)
        fprintf(stderr, "filter: %llu rows in, %llu kept, %llu rejected\n",
                nin, nkept, nrej);
done:
    /* The reject log before the output: a log that cannot be written
     * fails the run, and a failed run leaves the old -o file as it was. */
    cs_rejlog_close(rej, &err);
    rej = NULL;
    if (out_open)
        cli_output_close(&out, err.code == CS_OK, &err);
    cs_reader_free(r);
    cs_filter_free(flt);
    cs_buf_dispose(&first_hdr);
    return cli_report("filter", &err);
}
