/* crampstat ingest: validate rows against the data contract, write the
 * canonical CSV, log every rejected row. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <crampstat/ingest.h>
#include <crampstat/source.h>
#include "cli.h"
#include "cmds.h"

static const char help_head[] =
"Usage: crampstat ingest [--schema exercise|survey|any|auto] [--rejects FILE]\n"
"                        [--max-reject-rate R] [--shard K/N] [-o FILE]\n"
"                        [FILE]...\n"
"Validate each row of the FILEs (gzip or plain CSV; standard input when no\n"
"FILE or '-') against the data contract and write the accepted rows as\n"
"canonical CSV: the contract's columns in order with normalised values\n"
"(yes/no, F/M, plain numbers, calorie_goal as signed lb/week), then any\n"
"extra columns as they came. Rejected rows go to the reject log with\n"
"the reason; one summary line per input goes to standard error. A row\n"
"over the reader's caps (a record over 4 MiB, a field over 1 MiB, more\n"
"than 4096 fields) is rejected too, and reading goes on at the next row;\n"
"only a quote that never closes ends the input.\n"
"\n";

static const cli_opt options[] = {
    { 's', 1, "schema", "KIND",
      "exercise, survey, any (CSV structure only) or\n"
      "auto (from the header, the default; a header\n"
      "with neither session_id nor survey_date is read\n"
      "as any, with a note on standard error)" },
    { 'r', 1, "rejects", "FILE",
      "write rejected rows as CSV:\n"
      "source,line,record,column,reason,raw" },
    { 'm', 0, "max-reject-rate", "R",
      "fail (exit 65) when more than R of the rows are\n"
      "rejected: a fraction (0.05) or percent (5%)" },
    { 'H', 0, "shard", "K/N",
      "only the rows of shard K of N: participants dealt\n"
      "out by a hash of participant_id, as\n"
      "pipelines/shard.sh deals them (N runs, K = 1 to N,\n"
      "take every row once); the others are counted as\n"
      "for other shards, neither checked nor logged" },
    { 'o', 1, "output", "FILE",
      "write to FILE, atomically: nothing appears under\n"
      "its name until it is complete, and a killed run\n"
      "leaves no file (default: stdout)" },
    { 'S', 0, "safe-csv", NULL,
      "prefix cells starting with = + - @ with ' (numbers\n"
      "such as -0.42 stay as they are)" },
    { 'q', 1, "quiet", NULL,
      "no summary lines" },
    { 'T', 0, "threads", "N",
      "1: read in one thread; 2 (default): decompress\n"
      "in a second thread (same output either way);\n"
      "up to 64 is taken as 2; the default is 1 where\n"
      "only one CPU may be used" },
    CLI_OPT_HELP,
    { 0 }
};

static const char help_tail[] =
"\n"
"Memory: one row at a time, plus the set of session ids seen (duplicates\n"
"are rejected after the first): about a bit per id for ids numbered in\n"
"sequence such as S000123, at most 32 bytes per id for others.\n"
"\n"
"Example:\n"
"  crampstat ingest --schema exercise --rejects rejects.csv \\\n"
"      sample-data/exercise.csv.gz > exercise.csv\n"
"\n"
"Exit status: 0 ok, 64 usage, 65 bad data or reject rate too high,\n"
"66 input cannot be opened, 74 I/O error reading an input or writing\n"
"an output.\n";

static const cli_command command = {
    "ingest", help_head, options, 27, help_tail, 0
};

static int parse_kind(const char *s)
{
    if (strcmp(s, "exercise") == 0) return CS_SCHEMA_EXERCISE;
    if (strcmp(s, "survey") == 0) return CS_SCHEMA_SURVEY;
    if (strcmp(s, "any") == 0) return CS_SCHEMA_ANY;
    if (strcmp(s, "auto") == 0) return CS_SCHEMA_AUTO;
    return -2;
}

static int parse_rate(const char *s, double *out)
{
    size_t n = strlen(s);
    char tmp[64];
    int pct = n > 0 && s[n - 1] == '%';

    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n + 1);
    if (pct)
        tmp[n - 1] = '\0';
    if (cli_parse_double(tmp, out) < 0)
        return -1;
    if (pct)
        *out /= 100;
    return *out >= 0 && *out <= 1 ? 0 : -1;
}

/* The output columns of an input, as one comparable string: later inputs
 * must give the same columns as the first. */
static void columns_key(const cs_schema *s, cs_buf *b)
{
    cs_buf_reset(b);
    cs_buf_printf(b, "%d", cs_schema_kind(s));
    if (cs_schema_kind(s) == CS_SCHEMA_ANY) {
        for (size_t i = 0; i < cs_schema_ncols(s); i++) {
            cs_str x = cs_schema_header(s, i);
            cs_buf_printf(b, ",%.*s", (int)x.len, x.ptr);
        }
        return;
    }
    for (size_t i = 0; i < cs_schema_n_extra(s); i++) {
        cs_str x = cs_schema_extra_name(s, i);
        cs_buf_printf(b, ",%.*s", (int)x.len, x.ptr);
    }
}

/* Exercise rows that are their own canonical text and lie one after
 * another in the reader's buffer, each ended by a lone "\n", are written
 * as one run of bytes: the run is extended by each such row and written
 * when a row breaks it, before the reader moves the bytes
 * (cs_ingest_on_move) and at the end of each input. The output is the
 * same bytes as writing each row (cs_schema_write_session); it saves the
 * per-row work of writing cells: a run is copied into the writer's
 * buffer once, or, over the buffer's size, written from where it lies. */
typedef struct run {
    cs_writer *w;
    const char *p;
    size_t n;               /* bytes, the last row's "\n" included */
} run;

static void run_flush(void *ctx)
{
    run *r = ctx;

    if (r->n)
        cs_writer_raw(r->w, r->p, r->n);
    r->n = 0;
}

/* Whether rec, accepted as ses, can join a run: every cell canonical and
 * in its place in the row's text (what canon_cells' bits say), a lone
 * "\n" after it. With no column after the contract's (rows_run), the
 * row's text is then its 13 cells. */
static int runs_on(const cs_record *rec, const cs_session *ses)
{
    return ses->canon_cells == CS_EX_ALL_CANON && rec->lf_end;
}

int cmd_ingest(int argc, char **argv)
{
    cli_parser parser;
    cs_error err = {0};
    cs_rejlog *rej = NULL;
    cs_idset *ids = NULL;
    cs_ingest *in = NULL;
    cs_buf key0, key;
    cli_output out = {0};
    cs_write_opts wo = {0};
    const char *rejects = NULL, *output = NULL;
    char *stdin_only[] = { "-" };
    char **files;
    int kind = CS_SCHEMA_AUTO, quiet = 0, opt, nfiles, out_open = 0;
    double max_rate = -1;
    unsigned shard_k = 0, shard_n = 0;
    unsigned long long total_read = 0, total_rej = 0;

    cs_buf_init(&key0, 0);
    cs_buf_init(&key, 0);
    unsigned long long threads;

    cli_parser_init(&parser, &command);
    while ((opt = cli_getopt(&parser, argc, argv)) != -1) {
        switch (opt) {
        case 's':
            if ((kind = parse_kind(optarg)) == -2)
                return cli_usage("ingest", "unknown schema '%s' (exercise, "
                                 "survey, any or auto)", optarg);
            break;
        case 'r': rejects = optarg; break;
        case 'm':
            if (parse_rate(optarg, &max_rate) < 0)
                return cli_usage("ingest", "--max-reject-rate wants a "
                                 "fraction from 0 to 1 or a percent, not '%s'",
                                 optarg);
            break;
        case 'o': output = optarg; break;
        case 'H':
            if ((opt = cli_parse_shard("ingest", optarg, &shard_k,
                                       &shard_n)) != 0)
                return opt;
            break;
        case 'S': wo.safe_csv = 1; break;
        case 'q': quiet = 1; break;
        case 'T':
            if (cli_parse_u64(optarg, &threads) < 0 || threads < 1 || threads > 64)
                return cli_usage("ingest", "--threads wants a number from 1 to 64");
            cs_source_default_threads((int)threads);
            break;
        case 'h': return cli_help(&command);
        default: return cli_usage("ingest", "%s", cli_bad_option());
        }
    }
    files = optind < argc ? argv + optind : stdin_only;
    nfiles = optind < argc ? argc - optind : 1;
    if ((opt = cli_check_files("ingest", rejects, output, NULL, files, nfiles)))
        return opt;

    if (cs_rejlog_open(&rej, rejects, &err) < 0 ||
        cli_output_open(&out, output, &wo, &err) < 0)
        goto done;
    out_open = 1;
    if (cs_idset_create(&ids) < 0) {
        cs_error_set(&err, CS_ENOMEM, "out of memory");
        goto done;
    }
    for (int f = 0; f < nfiles; f++) {
        const cs_record *rec;
        const cs_schema *s;
        cs_session ses;
        cs_wave wave;
        run rn;
        int rc, rows_run;

        if (cs_ingest_open(&in, files[f], kind, rej, ids, &err) < 0 ||
            cs_ingest_set_shard(in, shard_k, shard_n, &err) < 0)
            goto done;
        s = cs_ingest_schema(in);
        /* auto found no contract's header: the rows are checked as CSV
         * only. Said even with --quiet, since a job that meant to check
         * values would pass every row; --schema any says it is meant. */
        if (kind == CS_SCHEMA_AUTO && cs_schema_kind(s) == CS_SCHEMA_ANY)
            cli_note("ingest", "%s: the header names neither session_id nor "
                     "survey_date, so its rows are checked as CSV only "
                     "(--schema any); name --schema exercise or survey to "
                     "check their values", files[f]);
        columns_key(s, f == 0 ? &key0 : &key);
        if (f == 0) {
            cs_schema_write_header(s, out.w);
        } else if (key.len != key0.len || memcmp(key.ptr, key0.ptr, key.len)) {
            cs_error_at(&err, CS_EPARSE, (cs_pos){ files[f], 1, 0 },
                        "its columns differ from those of %s; ingest such "
                        "inputs separately", files[0]);
            goto done;
        }
        /* Runs of rows as they lie, when the header is the contract's
         * columns exactly and cells are copied as they are. */
        rows_run = cs_schema_kind(s) == CS_SCHEMA_EXERCISE &&
                   cs_schema_is_canonical(s) && cs_schema_n_extra(s) == 0 &&
                   cs_writer_copies(out.w, ',');
        rn = (run){ out.w, NULL, 0 };
        if (rows_run) {
            cs_ingest_on_move(in, run_flush, &rn);
            cs_ingest_mark_runs(in);
        }
        while ((rc = cs_ingest_next(in, &rec, &ses, &wave, &err)) > 0) {
            switch (cs_schema_kind(s)) {
            case CS_SCHEMA_EXERCISE:
                if (rows_run && runs_on(rec, &ses)) {
                    if (rn.n && rn.p + rn.n == rec->raw.ptr) {
                        rn.n += rec->raw.len + 1;
                    } else {
                        run_flush(&rn);
                        rn.p = rec->raw.ptr;
                        rn.n = rec->raw.len + 1;
                    }
                    break;
                }
                run_flush(&rn);
                cs_schema_write_session(s, out.w, rec, &ses);
                break;
            case CS_SCHEMA_SURVEY:
                cs_schema_write_wave(s, out.w, rec, &wave);
                break;
            default:
                cs_writer_put(out.w, rec);
            }
        }
        run_flush(&rn);
        cs_ingest_counts c = cs_ingest_counts_of(in);
        char other[48];
        total_read += c.read - c.other;
        total_rej += c.rejected;
        if (!quiet)
            fprintf(stderr, "ingest: %s: %llu rows read%s, %llu accepted, "
                    "%llu rejected\n", files[f], (unsigned long long)c.read,
                    cli_other_rows(shard_n > 0, c.other, other, sizeof other),
                    (unsigned long long)c.accepted,
                    (unsigned long long)c.rejected);
        if (rc < 0 || cs_writer_error(out.w, &err) < 0)
            goto done;
        cs_ingest_free(in);
        in = NULL;
    }
    if (max_rate >= 0 && total_read > 0 &&
        (double)total_rej > max_rate * (double)total_read)
        cs_error_set(&err, CS_EDATA, "%llu of %llu rows rejected (%.2f%%), "
                     "above --max-reject-rate %g%%", total_rej, total_read,
                     100.0 * (double)total_rej / (double)total_read,
                     100 * max_rate);
done:
    /* The reject log before the output: a log that cannot be written
     * fails the run, and a failed run leaves the old -o file as it was. */
    cs_rejlog_close(rej, &err);
    rej = NULL;
    if (out_open)
        cli_output_close(&out, err.code == CS_OK, &err);
    cs_ingest_free(in);
    cs_idset_free(ids);
    cs_buf_dispose(&key0);
    cs_buf_dispose(&key);
    return cli_report("ingest", &err);
}
