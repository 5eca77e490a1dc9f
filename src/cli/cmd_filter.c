/* crampstat filter: keep the rows for which an expression holds. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <crampstat/filter.h>
#include <crampstat/reader.h>
#include "cli.h"
#include "cmds.h"

static const char help_head[] =
"Usage: crampstat filter [-o FILE] [--safe-csv] EXPR [FILE]...\n"
"Keep the CSV rows for which EXPR holds; the header and every column pass\n"
"through untouched.\n"
"\n"
"EXPR: comparisons = != < <= > >= between a column and a value,\n"
"COL in (a, b, c), COL is empty, COL is not empty, and, or, not,\n"
"parentheses. Numbers compare as numbers, ISO dates and times as times,\n"
"the rest as text. Values may be quoted ('a b'); column names are matched\n"
"case-insensitively (write `odd name` in backquotes). A comparison with an\n"
"empty or NA field is unknown, and a row is kept only when EXPR is true.\n"
"\n";

static const cli_opt options[] = {
    CLI_OPT_OUTPUT,
    { 'C', 0, "safe-csv", NULL,
      "prefix cells starting with = + - @ with ' (for\n"
      "spreadsheets; the rows are then no longer untouched)" },
    CLI_OPT_HELP,
    { 0 }
};

static const char help_tail[] =
"\n"
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
    cli_output out = {0};
    cs_write_opts wo = {0};
    const char *output = NULL, *expr;
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

    if (cli_output_open(&out, output, &wo, &err) < 0)
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
            int m = cs_filter_match(flt, rec->fields, rec->nfields, &err);
            if (m < 0)
                goto done;
            if (m)
                cs_writer_put(out.w, rec);
        }
        if (rc < 0 || cs_writer_error(out.w, &err) < 0)
            goto done;
        cs_reader_free(r);
        r = NULL;
    }
done:
    if (out_open)
        cli_output_close(&out, err.code == CS_OK, &err);
    cs_reader_free(r);
    cs_filter_free(flt);
    cs_buf_dispose(&first_hdr);
    return cli_report("filter", &err);
}
