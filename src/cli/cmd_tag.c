/* crampstat tag: derived values and cause-factor flags per session. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <crampstat/ingest.h>
#include <crampstat/join.h>
#include <crampstat/tag.h>
#include "cli.h"
#include "cmds.h"

static const char help_head[] =
"Usage: crampstat tag [--rules FILE] [--outcome hamstring|any] [--rejects FILE]\n"
"                     [-o FILE] [FILE]...\n"
"Read joined sessions (the output of 'crampstat join') and append the\n"
"derived values (height_cm, weight_kg, exposure_h, heat_index_c,\n"
"fluid_ml_per_h, goal_lb_week, bmr_kcal, tdee_kcal, target_kcal,\n"
"below_safe_min, age_band), one column per cause factor and medical\n"
"sub-factor (1 exposed, 0 not, empty when unknown) and outcome. Derived\n"
"numbers are written rounded to at most 9 decimals.\n"
"\n";

static const cli_opt options[] = {
    { 'R', 1, "rules", "FILE",
      "cause-factor thresholds (see 'crampstat rules')" },
    { 'O', 0, "outcome", "KIND",
      "hamstring (default: cramp_muscle = hamstring) or\n"
      "any (any cramp)" },
    { 'r', 1, "rejects", "FILE",
      "write rows that break the data contract as CSV" },
    CLI_OPT_OUTPUT,
    CLI_OPT_SAFE_CSV,
    { 'q', 1, "quiet", NULL,
      "no summary line" },
    CLI_OPT_HELP,
    { 0 }
};

static const char help_tail[] =
"\n"
"Memory: one row at a time.\n"
"\n"
"Example:\n"
"  crampstat join --survey sample-data/survey.csv.gz \\\n"
"      sample-data/exercise.csv.gz | crampstat tag > tagged.csv\n";

static const cli_command command = {
    "tag", help_head, options, 24, help_tail, 0
};

int cmd_tag(int argc, char **argv)
{
    cli_parser parser;
    cs_error err = {0};
    cs_rules rules;
    cs_tagger *tg = NULL;
    cs_rejlog *rej = NULL;
    cs_reader *r = NULL;
    cs_jschema *js = NULL;
    cli_output out = {0};
    cs_write_opts wo = {0};
    cs_buf scratch;
    const cs_schema *ex;
    const char *rules_path = NULL, *outcome = NULL, *rejects = NULL,
               *output = NULL;
    char *stdin_only[] = { "-" };
    char **files;
    int nfiles, opt, quiet = 0, out_open = 0;
    unsigned long long nin = 0, ntag = 0, nrej = 0;

    cli_parser_init(&parser, &command);
    while ((opt = cli_getopt(&parser, argc, argv)) != -1) {
        switch (opt) {
        case 'R': rules_path = optarg; break;
        case 'O': outcome = optarg; break;
        case 'r': rejects = optarg; break;
        case 'o': output = optarg; break;
        case 'C': wo.safe_csv = 1; break;
        case 'q': quiet = 1; break;
        case 'h': return cli_help(&command);
        default: return cli_usage("tag", "%s", cli_bad_option());
        }
    }
    files = optind < argc ? argv + optind : stdin_only;
    nfiles = optind < argc ? argc - optind : 1;
    if ((opt = cli_check_files("tag", rejects, output, NULL, files, nfiles)))
        return opt;
    if ((opt = cli_rules("tag", &rules, rules_path, outcome)) != 0)
        return opt;
    cs_buf_init(&scratch, 0);
    if (cs_tagger_create(&tg, &rules) < 0) {
        cs_error_set(&err, CS_ENOMEM, "out of memory");
        goto done;
    }
    if (cs_rejlog_open(&rej, rejects, &err) < 0 ||
        cli_output_open(&out, output, &wo, &err) < 0)
        goto done;
    out_open = 1;
    for (int f = 0; f < nfiles; f++) {
        const cs_record *rec;
        cs_session ses;
        cs_wave wv;
        cs_tagged t;
        cs_tag_text wt;
        cs_reject why;
        const cs_str *fc;
        size_t wave_at, wave_end;
        int rc, in_place, verbatim = 0, copies;

        if (cs_reader_open_header(&r, &rec, files[f], NULL, &err) < 0)
            goto done;
        if (cs_jschema_create(&js, files[f], rec, cs_tag_is_own_column, &err) < 0)
            goto done;
        ex = cs_jschema_exercise(js);
        /* The wave's cells (nothing when not side by side) */
        wave_end = cs_jschema_wave_cols(js, &wave_at);
        if (wave_end == 0)
            wave_at = 0;
        else
            wave_end += wave_at - 1;
        copies = cs_writer_copies(out.w, ',');
        if (cs_tag_check_header(ex, cs_reader_name(r), rec->line, &err) < 0)
            goto done;
        if (f == 0) {
            for (int c = 0; c < CS_EX_NCOLS; c++)
                cs_writer_cstr(out.w, cs_exercise_column(c));
            cs_join_write_header(out.w);
            cs_tag_write_header(out.w);
            cs_jschema_write_extra_header(js, out.w);
            cs_writer_end_row(out.w);
        }
        while ((rc = cs_reader_next(r, &rec, &err)) > 0) {
            int same = 0, ok;
            nin++;
            ok = cs_jschema_parse_next(js, rec, &ses, &wv, &why, &same);
            if (!ok) {
                char col[72] = "";
                nrej++;
                if (why.col >= 0) {
                    cs_str n = cs_schema_header(cs_jschema_exercise(js),
                                                (size_t)why.col);
                    snprintf(col, sizeof col, "%.*s",
                             (int)(n.len > 64 ? 64 : n.len), n.ptr);
                }
                cs_rejlog_add(rej, files[f], rec, col, why.reason);
                continue;
            }
            ntag++;
            /* The wave's half of the tagging is still in t when the
             * wave's text is the last one parsed (and so tagged). */
            if (!same) {
                cs_tag_wave(tg, &wv, &t);
                cs_tag_wave_text(&wt, &t, cs_writer_separator(out.w));
            }
            cs_tag_session(tg, &ses, &wv, &t);
            fc = rec->fields;
            in_place = fc[0].ptr == rec->raw.ptr && wave_end < rec->nfields;
            if (!same) {
                cs_buf_reset(&scratch);
                if (cs_join_format_wave(&scratch, &wv) < 0) {
                    cs_buf_failed(&scratch, &err);
                    goto done;
                }
                /* The row's wave cells, side by side after the session's
                 * in the line, are the text written for the wave. */
                verbatim = in_place && wave_at == CS_EX_NCOLS &&
                           (size_t)(fc[wave_end].ptr + fc[wave_end].len -
                                    fc[wave_at].ptr) == scratch.len &&
                           memcmp(fc[wave_at].ptr, scratch.ptr,
                                  scratch.len) == 0;
            }
            /* The session's cells as they came (all canonical, the
             * contract's columns first and in order: the line's first
             * cells) and then the wave's, as one copy when the row holds
             * the wave's text as this writes it. The rows of one wave
             * (same) hold the same text for it, compared once. */
            if (verbatim && in_place && ses.canon_cells == CS_EX_ALL_CANON &&
                copies) {
                cs_writer_cells(out.w, fc[0].ptr,
                                (size_t)(fc[wave_end].ptr + fc[wave_end].len -
                                         fc[0].ptr));
            } else {
                cs_schema_write_session_cols(ex, out.w, rec, &ses);
                cs_writer_plain(out.w, scratch.ptr, scratch.len);
            }
            cs_tag_write_text(out.w, &t, &wt);
            cs_jschema_write_extra(js, out.w, rec);
            cs_writer_end_row(out.w);
        }
        if (rc < 0 || cs_writer_error(out.w, &err) < 0)
            goto done;
        cs_jschema_free(js);
        js = NULL;
        cs_reader_free(r);
        r = NULL;
    }
    if (!quiet)
        fprintf(stderr, "tag: %llu rows in, %llu tagged, %llu rejected\n",
                nin, ntag, nrej);
done:
    /* The reject log before the output: a log that cannot be written
     * fails the run, and a failed run leaves the old -o file as it was. */
    cs_rejlog_close(rej, &err);
    rej = NULL;
    if (out_open)
        cli_output_close(&out, err.code == CS_OK, &err);
    cs_jschema_free(js);
    cs_reader_free(r);
    cs_tagger_free(tg);
    cs_buf_dispose(&scratch);
    return cli_report("tag", &err);
}
