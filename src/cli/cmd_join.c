/* crampstat join: append each session's survey wave. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <crampstat/join.h>
#include "cli.h"
#include "cmds.h"

static const char help_head[] =
"Usage: crampstat join --survey FILE [--rejects FILE] [-o FILE] [--dedup]\n"
"                      [EXERCISE]...\n"
"Append to each exercise session the columns of its participant's survey\n"
"wave: the latest wave dated on or before the session's day as written in\n"
"start_time, or the earliest when every wave is later. Input sessions are\n"
"validated as by 'crampstat ingest' (raw files work too); a session whose\n"
"participant has no survey row is rejected with that reason.\n"
"\n";

static const cli_opt options[] = {
    { 'S', 1, "survey", "FILE",
      "the survey (gzip or plain CSV); required" },
    { 'r', 1, "rejects", "FILE",
      "write rejected survey rows and sessions as CSV" },
    CLI_OPT_OUTPUT,
    { 'D', 0, "dedup", NULL,
      "reject duplicate session ids too (ingest already\n"
      "does this; see 'Memory' in 'crampstat ingest --help')" },
    CLI_OPT_SAFE_CSV,
    { 'q', 1, "quiet", NULL,
      "no summary lines" },
    CLI_OPT_HELP,
    { 0 }
};

static const char help_tail[] =
"\n"
"Output: the exercise columns, the survey columns but participant_id,\n"
"then any extra exercise columns. Duplicate session ids are ingest's\n"
"check (its memory grows with the sessions); join checks them only with\n"
"--dedup.\n"
"\n"
"Memory: the survey table (about 110 bytes per wave); one session at a\n"
"time.\n"
"\n"
"Example:\n"
"  crampstat ingest --schema exercise sample-data/exercise.csv.gz |\n"
"    crampstat join --survey sample-data/survey.csv.gz > joined.csv\n";

static const cli_command command = {
    "join", help_head, options, 22, help_tail, 0
};

/* The rest of a row after its session cells, for every session of wave
 * wv: the separator, the wave's text and the newline. */
static int make_tail(cs_buf *b, cs_survey *sv, const cs_wave *wv, char sep)
{
    cs_str t = cs_survey_wave_text(sv, wv);

    if (!t.ptr)
        return CS_ENOMEM;
    cs_buf_reset(b);
    if (cs_buf_putc(b, sep) < 0 || cs_buf_append(b, t.ptr, t.len) < 0 ||
        cs_buf_putc(b, '\n') < 0)
        return CS_ENOMEM;
    return CS_OK;
}

int cmd_join(int argc, char **argv)
{
    cli_parser parser;
    cs_error err = {0};
    cs_rejlog *rej = NULL;
    cs_survey *sv = NULL;
    cs_idset *ids = NULL;
    cs_ingest *in = NULL;
    cli_output out = {0};
    cs_write_opts wo = {0};
    cs_buf tail;
    const cs_wave *tail_wave;
    const char *survey = NULL, *rejects = NULL, *output = NULL;
    char *stdin_only[] = { "-" };
    char **files;
    int nfiles, opt, quiet = 0, out_open = 0, dedup = 0;
    unsigned long long sessions = 0, joined = 0, rejected = 0;

    cli_parser_init(&parser, &command);
    while ((opt = cli_getopt(&parser, argc, argv)) != -1) {
        switch (opt) {
        case 'S': survey = optarg; break;
        case 'r': rejects = optarg; break;
        case 'o': output = optarg; break;
        case 'C': wo.safe_csv = 1; break;
        case 'D': dedup = 1; break;
        case 'q': quiet = 1; break;
        case 'h': return cli_help(&command);
        default: return cli_usage("join", "%s", cli_bad_option());
        }
    }
    if (!survey)
        return cli_usage("join", "--survey FILE is required");
    files = optind < argc ? argv + optind : stdin_only;
    nfiles = optind < argc ? argc - optind : 1;
    if ((opt = cli_check_files("join", rejects, output, survey, files, nfiles)))
        return opt;
    cs_buf_init(&tail, 0);

    if (cs_rejlog_open(&rej, rejects, &err) < 0 ||
        cs_survey_load(&sv, survey, rej, &err) < 0)
        goto done;
    if (!quiet) {
        cs_ingest_counts c = cs_survey_counts(sv);
        fprintf(stderr, "join: %s: %llu rows read, %llu accepted, %llu "
                "rejected (%llu participants)\n", survey,
                (unsigned long long)c.read, (unsigned long long)c.accepted,
                (unsigned long long)c.rejected,
                (unsigned long long)cs_survey_participants(sv));
    }
    if (cli_output_open(&out, output, &wo, &err) < 0)
        goto done;
    out_open = 1;
    for (int f = 0; f < nfiles; f++) {
        const cs_record *rec;
        const cs_schema *s;
        cs_session ses;
        int rc;

        if (cs_ingest_open(&in, files[f], CS_SCHEMA_EXERCISE, rej, NULL, &err) < 0)
            goto done;
        s = cs_ingest_schema(in);
        if (cs_join_check_header(s, cs_reader_name(cs_ingest_reader(in)),
                                 cs_ingest_header_line(in), &err) < 0)
            goto done;
        if (dedup) {
            if (!ids && cs_idset_create(&ids) < 0) {
                cs_error_set(&err, CS_ENOMEM, "out of memory");
                goto done;
            }
            cs_ingest_set_ids(in, ids);
        }
        if (f == 0) {
            for (int c = 0; c < CS_EX_NCOLS; c++)
                cs_writer_cstr(out.w, cs_exercise_column(c));
            cs_join_write_header(out.w);
            for (size_t i = 0; i < cs_schema_n_extra(s); i++)
                cs_writer_str(out.w, cs_schema_extra_name(s, i));
            cs_writer_end_row(out.w);
        }
        cs_survey_cursor cur = { 0 };
        /* Rows whose session cells are copied as they came and that have
         * no extra columns are those cells and the tail: one copy each. */
        int lines = cs_writer_copies(out.w, ',') && cs_schema_n_extra(s) == 0;
        tail_wave = NULL;
        while ((rc = cs_ingest_next(in, &rec, &ses, NULL, &err)) > 0) {
            const cs_wave *wv = cs_survey_cursor_wave(&cur, ses.participant_id,
                                                       ses.day);
            if (!wv && !(wv = cs_join_session(sv, &cur, in, rec, &ses, rej)))
                continue;
            if (wv != tail_wave) {
                if (make_tail(&tail, sv, wv, cs_writer_separator(out.w)) < 0) {
                    cs_error_set(&err, CS_ENOMEM, "out of memory");
                    goto done;
                }
                tail_wave = wv;
            }
            if (lines && ses.canon_cells == CS_EX_ALL_CANON) {
                const cs_str *fc = rec->fields;
                const cs_str *z = &fc[CS_EX_NCOLS - 1];
                cs_writer_line(out.w, fc[0].ptr,
                               (size_t)(z->ptr + z->len - fc[0].ptr),
                               tail.ptr, tail.len);
                continue;
            }
            cs_schema_write_session_cols(s, out.w, rec, &ses);
            cs_writer_plain(out.w, tail.ptr + 1, tail.len - 2);
            cs_schema_write_extra(s, out.w, rec);
            cs_writer_end_row(out.w);
        }
        cs_ingest_counts c = cs_ingest_counts_of(in);
        sessions += c.read;
        joined += c.accepted;
        rejected += c.rejected;
        if (rc < 0 || cs_writer_error(out.w, &err) < 0)
            goto done;
        cs_ingest_free(in);
        in = NULL;
    }
    if (!quiet)
        fprintf(stderr, "join: %llu sessions in, %llu joined, %llu rejected\n",
                sessions, joined, rejected);
done:
    /* The reject log before the output: a log that cannot be written
     * fails the run, and a failed run leaves the old -o file as it was. */
    cs_rejlog_close(rej, &err);
    rej = NULL;
    if (out_open)
        cli_output_close(&out, err.code == CS_OK, &err);
    cs_ingest_free(in);
    cs_idset_free(ids);
    cs_survey_free(sv);
    cs_buf_dispose(&tail);
    return cli_report("join", &err);
}
