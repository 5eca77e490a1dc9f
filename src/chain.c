/* The chain over a survey and exercise files: reading, checking, joining
 * and tagging in the caller's thread, with the reject log; counting in
 * another (cs_handoff), in the same order, so the states and the log are
 * the same with one thread or more. Each exercise file is
 * counted into states of its own, merged into the run's (exactly: integer
 * counts) only once it was read to its end, so that keep_going can leave
 * a damaged one out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crampstat/chain.h>
#include <crampstat/handoff.h>
#include <crampstat/source.h>
#include <crampstat/tag.h>
#include <crampstat/writer.h>

/* A tagged session, handed from the thread that reads, checks, joins and
 * tags it to the one that counts it: only what counting needs, as small
 * as it goes, since every byte of it moves from one core's cache to the
 * other's. Counting is the slower half (its per-participant tables miss
 * the cache), so the tagging is done before the handoff. The participant
 * id and any --by and --adjust values travel in the batch's bytes (the
 * reader's buffer has moved on). */
typedef struct joined {
    /* The wave's values the accumulators read, copied where the reading
     * thread has the wave at hand: read through a pointer into the
     * survey table, each would cost the counting thread a miss when
     * sessions are not grouped by participant. */
    double calcium_mg, potassium_mg, goal_lb_week;
    double heat, fluid;      /* heat index and fluid per hour, banded
                                as tag writes them (cs_dose_banded) */
    double warmup_min;
    uint32_t duration_mmin;
    int32_t day;
    uint32_t who;            /* the participant's place in the survey
                                table + 1 (cs_acc_row.who) */
    uint32_t off;            /* into the batch's bytes: the id, then */
    uint16_t pid_len;        /* the --by and --adjust values (each at */
    uint16_t bv_len, av_len; /* most 64 bytes) */
    signed char rpe, outcome;
    signed char factor[CS_F_N];
} joined;

/* An id or a value, most often 4 to 16 bytes: the writer's short copy
 * (no call to memcpy, which cost more than its copy), memcpy past it. */
static inline void copy_value(char *d, const char *s, size_t n)
{
    if (n <= CS_WRITER_SHORT)
        cs__writer_copy(d, s, n);
    else
        memcpy(d, s, n);
}

/* What the counting thread writes for one file: the file's states and
 * how many sessions it counted, in memory of their own, away from the
 * reading thread's stack (a line both write would move between the
 * cores). */
typedef struct counter {
    cs_agg agg;
    uint64_t counted;
} counter;

/* Sessions counted a chunk at a time (cs_agg_add_rows: one call per
 * accumulator and chunk, not per session), from a chunk's rows on the
 * counting thread's stack: 64 rows and their exposures, 10 KiB, stay in
 * the first-level cache while the accumulators take them in turn. */
#define COUNT_CHUNK 64

/* The row of one tagged session, as every accumulator sees it. */
static inline void row_of(const joined *j, const char *bytes,
                          cs_acc_row *row, cs_agg_more *more)
{
    const char *b = bytes + j->off;
    cs_str pid = { b, j->pid_len };
    cs_str bv = { b + j->pid_len, j->bv_len };
    cs_str av = { bv.ptr + j->bv_len, j->av_len };

    /* dose-response and over time: the values as tag writes them */
    *more = (cs_agg_more){ { (double)j->rpe, j->heat, j->fluid,
                             j->warmup_min, j->duration_mmin / 1000.0,
                             j->calcium_mg, j->potassium_mg },
                           j->day, 1 };
    /* The milli-minutes the validator read from the duration's text, as
     * aggregate reads them from tag's output: the double cannot give the
     * text's rounding at the fourth decimal. */
    *row = (cs_acc_row){ j->factor, j->outcome, j->duration_mmin, bv, av,
                         pid, more, j->goal_lb_week, 0, j->who };
}

/* Count a batch of tagged sessions: the second half of a row's work, in
 * the order the rows were read. */
static int count_sessions(void *items, size_t n, const char *bytes,
                          void *payload, cs_error *err)
{
    const joined *j = items;
    counter *c = payload;
    cs_acc_row row[COUNT_CHUNK];
    cs_agg_more more[COUNT_CHUNK];

    for (size_t i = 0; i < n;) {
        size_t k = 0;
        for (; k < COUNT_CHUNK && i < n; k++, i++)
            row_of(&j[i], bytes, &row[k], &more[k]);
        if (cs_agg_add_rows(&c->agg, row, k, err) < 0)
            return err->code;
        c->counted += k;
    }
    return CS_OK;
}

int cs_chain_open(cs_chain **out, const cs_chain_opts *o, cs_error *err)
{
    const char *cols[2] = { o->by, o->adjust };
    cs_chain *c;

    *out = NULL;
    /* A --by column the chain cannot give is refused before reading. */
    for (int k = 0; k < 2; k++)
        if (cols[k] && !cs_tag_has_value(cols[k]))
            return cs_error_set(err, CS_EUSAGE, "cannot group by \"%s\" in "
                                "analyze; use the piped chain ('crampstat "
                                "aggregate --by %s')", cols[k], cols[k]);
    if (o->nexercise < 1 || o->nexercise > CS_CHAIN_MAX_EXERCISE)
        return cs_error_set(err, CS_EUSAGE, "from 1 to %d exercise files",
                            CS_CHAIN_MAX_EXERCISE);
    if (o->input_name && o->nexercise != 1)
        return cs_error_set(err, CS_EUSAGE, "one name is recorded for one "
                            "exercise file, not %d", o->nexercise);
    if (!(c = calloc(1, sizeof *c)))
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    *out = c;
    c->o = *o;
    /* Every accumulator; calories group by --by when it is one of theirs,
     * else by sex. */
    c->acc = (cs_acc_opts){ o->rules, o->by, o->adjust, 1, o->cluster, 1,
                            o->by && cs_cal_by_parse(o->by) >= 0
                                ? cs_cal_by_parse(o->by) : CS_CAL_BY_SEX };
    if (cs_agg_open(&c->agg, &c->acc, err) < 0)
        return err->code;
    c->agg_ready = 1;
    if (cs_tagger_create(&c->tg, o->rules) < 0 ||
        (!o->unique_ids && cs_idset_create(&c->ids) < 0))
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    return cs_rejlog_open(&c->rej, o->rejects, err);
}

/* An exercise file through ingest, against the run's session ids and
 * counting only the run's shard (rej may be NULL). */
static int open_exercise(cs_chain *c, const char *path, cs_rejlog *rej,
                         cs_ingest **in, cs_error *err)
{
    if (cs_ingest_open(in, path, CS_SCHEMA_EXERCISE, rej, c->ids, err) < 0)
        return err->code;
    if (cs_ingest_set_shard(*in, c->o.shard_k, c->o.shard_n, err) < 0) {
        cs_ingest_free(*in);
        *in = NULL;
        return err->code;
    }
    return CS_OK;
}

/* The session ids of the exercise files read to their end, read again
 * into a new set: a file left out must not leave its ids behind, or a
 * later file's sessions with those ids would be rejected as duplicates. */
static int rebuild_ids(cs_chain *c, int n, cs_error *err)
{
    cs_idset_free(c->ids);
    c->ids = NULL;
    if (cs_idset_create(&c->ids) < 0)
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (int f = 0; f < n; f++) {
        cs_ingest *in;
        const cs_record *rec;
        cs_session ses;
        int rc;

        if (!c->merged[f])
            continue;
        if (strcmp(c->o.exercise[f], "-") == 0)
            return cs_error_set(err, CS_EUSAGE, "standard input cannot be "
                                "read again for its session ids after a file "
                                "was left out; name a file instead of '-'");
        if (open_exercise(c, c->o.exercise[f], NULL, &in, err) < 0)
            return err->code;
        while ((rc = cs_ingest_next(in, &rec, &ses, NULL, err)) > 0)
            ;
        cs_ingest_free(in);
        if (rc < 0)
            return rc;
    }
    return CS_OK;
}

/* Read one exercise file into the counter's states through the handoff.
 * Returns CS_OK or the error that stopped it. *told: the file was opened
 * and read as far as it goes (its counts are in *counts); *fatal: the
 * handoff or an internal check failed, which ends the run. */
static int read_file(cs_chain *c, const char *path, const cs_chain_hooks *h,
                     counter *cnt, cs_ingest_counts *counts,
                     uint64_t *no_survey, uint64_t *tagged, int *told,
                     int *fatal, cs_error *err)
{
    const char *by = c->o.by, *adjust = c->o.adjust;
    cs_ingest *in = NULL;
    cs_handoff *ho = NULL;
    const cs_schema *s;
    const cs_record *rec;
    cs_session ses;
    cs_tagged t;
    const cs_wave *tagged_wv = NULL;   /* whose half t holds */
    cs_survey_cursor cur = { 0 };
    cs_survey_fetch fetch = { { 0 }, { 0 }, 0 };
    /* The cursor's moves to another participant when the last 64 rows
     * began; over 32 in them: the input is not grouped by participant,
     * and the survey's reads are fetched ahead. */
    uint32_t moves = 0;
    int unordered = 0;
    uint64_t rows = 0;
    long pcol;
    int rc, broke = 0;
    const cs_dose_cuts *heat = &c->acc.rules->dose[CS_DOSE_HEAT],
                       *fluid = &c->acc.rules->dose[CS_DOSE_FLUID];
    const int heat_whole = cs_dose_cuts_whole(heat),
              fluid_whole = cs_dose_cuts_whole(fluid);

    *told = *fatal = 0;
    if ((rc = open_exercise(c, path, c->rej, &in, err)) < 0)
        return rc;
    s = cs_ingest_schema(in);
    /* What join and tag would refuse in this header, analyze refuses. */
    if (cs_join_check_header(s, cs_reader_name(cs_ingest_reader(in)),
                             cs_ingest_header_line(in), err) < 0 ||
        cs_tag_check_header(s, cs_reader_name(cs_ingest_reader(in)),
                            cs_ingest_header_line(in), err) < 0) {
        cs_ingest_free(in);
        return err->code;
    }
    pcol = cs_schema_index(s, CS_EX_PARTICIPANT_ID);
    if (cs_handoff_create(&ho, cs_source_threads() > 1, sizeof(joined), 1024,
                          64 * 1024, count_sessions, cnt, err) < 0) {
        cs_ingest_free(in);
        *fatal = 1;
        return err->code;
    }
    while ((rc = cs_ingest_next(in, &rec, &ses, NULL, err)) > 0) {
        const cs_wave *wv = cs_join_session(c->sv, &cur, in, rec, &ses,
                                             c->rej);
        cs_str bv = { "", 0 }, av = { "", 0 }, pid, ahead;
        char bb[32], ab[32], *dst;
        joined *j;
        size_t off;

        if (unordered &&
            cs_ingest_ahead_field(in, pcol, 3 * CS_FETCH_STEP, &ahead))
            cs_survey_fetch_ahead(c->sv, &fetch, ahead);
        if ((++rows & 63) == 0) {
            unordered = cur.moves - moves > 32;
            moves = cur.moves;
            if ((rows & 0xffff) == 0 && h && h->progress) {
                const cs_source *src = cs_reader_source(cs_ingest_reader(in));
                h->progress(h->ctx, cs_source_consumed(src),
                            cs_source_size(src), rows);
            }
        }
        if (!wv) {
            (*no_survey)++;
            continue;
        }
        /* The wave's half of the tagging once per wave: sessions come in
         * runs of one participant's wave, and its address names it. */
        if (wv != tagged_wv) {
            cs_tag_wave(c->tg, wv, &t);
            tagged_wv = wv;
        }
        cs_tag_session(c->tg, &ses, wv, &t);
        (*tagged)++;
        if (by)
            cs_tag_value(&bv, bb, sizeof bb, by, s, rec, &ses, wv, &t);
        if (adjust)
            cs_tag_value(&av, ab, sizeof ab, adjust, s, rec, &ses, wv, &t);
        pid = cs_str_trim(rec->fields[pcol]);
        if (!(j = cs_handoff_next(ho, pid.len + bv.len + av.len, &off, &dst,
                                  err))) {
            rc = err->code;
            broke = 1;
            break;
        }
        j->calcium_mg = wv->calcium_mg;
        j->potassium_mg = wv->potassium_mg;
        j->goal_lb_week = wv->goal_lb_week;
        j->who = cur.part;   /* wv's participant, pid's survey row */
        /* two calls, as the two exposures' values and cuts differ (a
         * value repeats the last row's in under 0.4% of sessions) */
        j->heat = cs_dose_banded_quick(heat, heat_whole, t.heat_index_c);
        j->fluid = cs_dose_banded_quick(fluid, fluid_whole, t.fluid_ml_per_h);
        j->warmup_min = ses.warmup_min;
        j->duration_mmin = ses.duration_mmin;
        j->day = ses.day;
        j->off = (uint32_t)off;
        j->pid_len = (uint16_t)pid.len;
        j->bv_len = (uint16_t)bv.len;
        j->av_len = (uint16_t)av.len;
        j->rpe = (signed char)ses.intensity_rpe;
        j->outcome = t.outcome;
        memcpy(j->factor, t.factor, sizeof j->factor);
        copy_value(dst, pid.ptr, pid.len);
        if (bv.len | av.len) {   /* without --by and --adjust, both empty */
            copy_value(dst + pid.len, bv.ptr, bv.len);
            copy_value(dst + pid.len + bv.len, av.ptr, av.len);
        }
        if ((rc = cs_handoff_put(ho, err)) < 0) {
            broke = 1;
            break;
        }
    }
    if (!broke) {
        /* The counting thread's error came from an earlier row than any
         * error of reading that stopped the loop: it wins. */
        cs_error herr = {0};
        if (cs_handoff_finish(ho, &herr) < 0) {
            *err = herr;
            rc = herr.code;
            broke = 1;
        }
    }
    cs_handoff_free(ho);   /* before the states its thread counts into */
    *counts = cs_ingest_counts_of(in);
    *told = !broke;
    *fatal = broke;
    cs_ingest_free(in);
    return rc < 0 ? rc : CS_OK;
}

int cs_chain_run(cs_chain *c, const cs_chain_hooks *h, cs_error *err)
{
    counter *cnt;
    int ids_stale = 0, rc = CS_OK;

    if (cs_survey_load_shard(&c->sv, c->o.survey, c->rej, c->o.shard_k,
                             c->o.shard_n, err) < 0)
        return err->code;
    for (size_t i = 0; !c->o.sessions_calories && i < cs_survey_count(c->sv);
         i++)
        if (cs_cal_add_participant(c->agg.cal, cs_survey_latest(c->sv, i), err) < 0)
            return err->code;
    c->inputs[0].role = "survey";
    c->inputs[0].path = c->o.survey;
    c->inputs[0].counts = cs_survey_counts(c->sv);
    c->ninputs = 1;
    if (h && h->survey)
        h->survey(h->ctx, c->o.survey, c->inputs[0].counts);
    /* Whole cache lines of its own: nothing else shares a line it writes. */
    if (!(cnt = aligned_alloc(64, (sizeof *cnt + 63) / 64 * 64)))
        return cs_error_set(err, CS_ENOMEM, "out of memory");
    for (int f = 0; f < c->o.nexercise && rc == CS_OK; f++) {
        const char *path = c->o.exercise[f];
        cs_ingest_counts counts = { 0 };
        uint64_t no_survey = 0, tagged = 0;
        int told = 0, fatal;

        if (ids_stale && rebuild_ids(c, f, err) < 0) {
            rc = err->code;
            break;
        }
        ids_stale = 0;
        if (cs_agg_open(&cnt->agg, &c->acc, err) < 0) {
            rc = err->code;
            break;
        }
        cnt->counted = 0;
        fatal = 1;
        if ((rc = cs_agg_add_input(&cnt->agg, c->o.input_name
                                             ? c->o.input_name : path,
                                   err)) == CS_OK) {
            cs_rejlog_mark(c->rej);
            rc = read_file(c, path, h, cnt, &counts, &no_survey,
                           &tagged, &told, &fatal, err);
            if (told && h && h->file)
                h->file(h->ctx, path, counts);
        }
        /* Only an input that could not be read is left out: not one that
         * ran out of memory or failed a check of the chain's own. */
        if (rc < 0 && (fatal || !c->o.keep_going ||
                       err->code == CS_ENOMEM || err->code == CS_ERROR)) {
            cs_agg_dispose(&cnt->agg);
            break;
        }
        if (rc < 0) {
            /* Left out, as if never named: its states and its rejected
             * rows' counts are dropped, and the session ids it added are
             * forgotten before the next file. The reject log keeps the
             * lines of its rows rejected before the damage. */
            cs_chain_left *l = &c->left[c->nleft++];
            char line[1024];
            l->path = path;
            l->rows = counts.read;
            snprintf(l->why, sizeof l->why, "%s",
                     cs_error_format(err, line, sizeof line));
            if (h && h->left_out)
                h->left_out(h->ctx, l->why);
            cs_error_clear(err);
            cs_rejlog_rewind(c->rej);
            ids_stale = c->ids != NULL;
            rc = CS_OK;
        } else {
            if (cs_agg_merge_move(&c->agg, &cnt->agg, err) < 0) {
                cs_agg_dispose(&cnt->agg);
                rc = err->code;
                break;
            }
            c->merged[f] = 1;
            c->inputs[c->ninputs].role = "exercise";
            c->inputs[c->ninputs].path = path;
            c->inputs[c->ninputs++].counts = counts;
            c->read += counts.read;
            c->joined += counts.accepted;
            c->rejected += counts.rejected;
            c->no_survey += no_survey;
            c->tagged += tagged;
            c->counted += cnt->counted;
        }
        cs_agg_dispose(&cnt->agg);
    }
    free(cnt);
    if (rc < 0)
        return rc;
    /* Every row is read: the reject log is whole. Its file is closed
     * here (the counts stay for the report), before anything is written,
     * so that a log that cannot be written fails the run and no report
     * is put in its place. */
    rc = cs_rejlog_finish(c->rej, err);
    return rc < 0 ? rc : cs_agg_finish(&c->agg, err);
}

int cs_chain_close(cs_chain *c, cs_error *err)
{
    int rc;

    if (!c)
        return CS_OK;
    rc = cs_rejlog_close(c->rej, err);
    cs_idset_free(c->ids);
    cs_survey_free(c->sv);
    cs_tagger_free(c->tg);
    if (c->agg_ready)
        cs_agg_dispose(&c->agg);
    free(c);
    return rc;
}
