/* The report of a chain run (chain.h) in every format: the aggregate and
 * calorie reports as their own renderers write them, with what only the
 * chain knows around them (the inputs and their counts, the files left
 * out). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <crampstat/chain.h>
#include <crampstat/fmt.h>
#include <crampstat/html.h>
#include <crampstat/sha256.h>

/* The files left out, after the report in its format; nothing when none
 * was. JSON has them in "ingest" (json_ingest). */
static void render_left_out(cs_buf *b, const cs_chain *rn, int format)
{
    char sep = format == CS_FMT_TSV ? '\t' : ',';

    if (rn->nleft == 0 || format == CS_FMT_JSON)
        return;
    if (format == CS_FMT_HTML) {
        cs_buf_puts(b, "<h2>Inputs left out</h2>\n<p>These exercise "
                    "files could not be read to their end and are left "
                    "out of every count above (--keep-going).</p>\n"
                    "<table><tr><th>file</th><th>why</th><th>rows read "
                    "before, not counted</th></tr>\n");
        for (size_t i = 0; i < rn->nleft; i++) {
            cs_buf_puts(b, "<tr><td>");
            cs_html_escape(b, rn->left[i].path);
            cs_buf_puts(b, "</td><td>");
            cs_html_escape(b, rn->left[i].why);
            cs_buf_printf(b, "</td><td>%llu</td></tr>\n",
                          (unsigned long long)rn->left[i].rows);
        }
        cs_buf_puts(b, "</table>\n");
        return;
    }
    if (format == CS_FMT_CSV || format == CS_FMT_TSV) {
        /* One more table after a blank line, as the calorie tables. */
        cs_buf_printf(b, "\nleft_out_file%creason%crows_read\n", sep, sep);
        for (size_t i = 0; i < rn->nleft; i++) {
            const char *cells[2] = { rn->left[i].path, rn->left[i].why };
            for (int c = 0; c < 2; c++) {
                int q = format == CS_FMT_CSV &&
                        strpbrk(cells[c], ",\"\r\n") != NULL;
                if (q)
                    cs_buf_putc(b, '"');
                for (const char *p = cells[c]; *p; p++) {
                    char ch = *p;
                    if (format == CS_FMT_TSV && (ch == '\t' || ch == '\n' ||
                                                 ch == '\r'))
                        ch = ' ';
                    cs_buf_putc(b, ch);
                    if (format == CS_FMT_CSV && ch == '"')
                        cs_buf_putc(b, '"');
                }
                if (q)
                    cs_buf_putc(b, '"');
                cs_buf_putc(b, sep);
            }
            cs_buf_printf(b, "%llu\n", (unsigned long long)rn->left[i].rows);
        }
        return;
    }
    cs_buf_puts(b, format == CS_FMT_MD
                ? "\n## Inputs left out\n\nThese exercise files could "
                  "not be read to their end and are left out of every "
                  "count above (--keep-going).\n\n"
                : "\nInputs left out (--keep-going): not read to their "
                  "end, left out of every count above\n");
    for (size_t i = 0; i < rn->nleft; i++) {
        /* The reason names the file (and where it broke). */
        if (format == CS_FMT_MD) {
            cs_buf_puts(b, "- ");
            cs_md_append(b, rn->left[i].why, strlen(rn->left[i].why));
        } else {
            cs_buf_puts(b, rn->left[i].why);
        }
        cs_buf_printf(b, " (%llu rows read before, not counted)\n",
                      (unsigned long long)rn->left[i].rows);
    }
}

/* The ingest member of the JSON report: counts per input and stage. */
static void json_ingest(cs_buf *b, const cs_chain *rn)
{
    const cs_html_input *in = rn->inputs;
    const cs_rejlog *rej = rn->rej;

    cs_buf_puts(b, "{\"inputs\": [");
    for (size_t i = 0; i < rn->ninputs; i++) {
        cs_buf_puts(b, i ? ", {\"file\": " : "{\"file\": ");
        cs_json_str(b, in[i].path);
        cs_buf_printf(b, ", \"role\": \"%s\", \"read\": %llu, "
                      "\"accepted\": %llu, \"rejected\": %llu}", in[i].role,
                      (unsigned long long)in[i].counts.read,
                      (unsigned long long)in[i].counts.accepted,
                      (unsigned long long)in[i].counts.rejected);
    }
    cs_buf_printf(b, "], \"sessions\": {\"read\": %llu, \"joined\": %llu, "
                  "\"no_survey\": %llu}, \"rejected_by_column\": {",
                  (unsigned long long)rn->read, (unsigned long long)rn->joined,
                  (unsigned long long)rn->no_survey);
    for (size_t k = 0; k < cs_rejlog_nkeys(rej); k++) {
        const char *name;
        uint64_t cnt;
        cs_rejlog_key(rej, k, &name, &cnt);
        if (k)
            cs_buf_puts(b, ", ");
        cs_json_str(b, name[0] ? name : "(row)");
        cs_buf_printf(b, ": %llu", (unsigned long long)cnt);
    }
    cs_buf_puts(b, "}");
    if (rn->nleft) {
        cs_buf_puts(b, ", \"left_out\": [");
        for (size_t i = 0; i < rn->nleft; i++) {
            cs_buf_puts(b, i ? ", {\"file\": " : "{\"file\": ");
            cs_json_str(b, rn->left[i].path);
            cs_buf_puts(b, ", \"reason\": ");
            cs_json_str(b, rn->left[i].why);
            cs_buf_printf(b, ", \"rows_read\": %llu}",
                          (unsigned long long)rn->left[i].rows);
        }
        cs_buf_puts(b, "]");
    }
    cs_buf_puts(b, "}");
}

static int render_html(cs_chain *c, const cs_report_opts *ro,
                       const char *command, cs_buf *b, cs_error *err)
{
    cs_html_doc d = {0};
    cs_buf rules;
    char when[40];
    time_t now = time(NULL);
    struct tm tmv;
    int rc;

    for (size_t i = 0; i < c->ninputs; i++) {
        cs_html_input *in = &c->inputs[i];
        if (cs_sha256_file(in->path, in->sha256, &in->size, err) < 0) {
            /* Standard input cannot be read twice. */
            if (strcmp(in->path, "-") != 0)
                return err->code;
            cs_error_clear(err);
            snprintf(in->sha256, sizeof in->sha256, "(standard input)");
        }
    }
    cs_buf_init(&rules, 0);
    if (cs_rules_format(c->o.rules, &rules) < 0) {
        rc = cs_buf_failed(&rules, err);
        cs_buf_dispose(&rules);
        return rc;
    }
    gmtime_r(&now, &tmv);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    d.agg = &c->agg;
    d.cal = c->agg.cal;
    d.ro = ro;
    d.inputs = c->inputs;
    d.ninputs = c->ninputs;
    d.sessions_read = c->read;
    d.sessions_joined = c->joined;
    d.no_survey = c->no_survey;
    d.rej = c->rej;
    d.command = command;
    d.when = when;
    d.rules_text = rules.ptr;
    rc = cs_html_render(&d, b);
    if (rc == CS_OK && c->nleft) {
        /* Before the end of the page. */
        static const char tail[] = "</body>";
        char *at = NULL;
        for (char *p = b->ptr; p && (p = strstr(p, tail)); p++)
            at = p;
        if (at) {
            cs_buf rest;
            size_t off = (size_t)(at - b->ptr);
            cs_buf_init(&rest, 0);
            cs_buf_append(&rest, at, b->len - off);
            if ((rc = cs_buf_check(&rest, err)) == CS_OK) {
                b->len = off;
                render_left_out(b, c, ro->format);
                cs_buf_append(b, rest.ptr, rest.len);
            }
            cs_buf_dispose(&rest);
        }
    }
    cs_buf_dispose(&rules);
    return rc;
}

int cs_chain_render(cs_chain *c, const cs_report_opts *ro,
                    const char *command, cs_buf *b, cs_error *err)
{
    int rc = CS_OK;

    if (ro->format == CS_FMT_HTML) {
        if ((rc = render_html(c, ro, command, b, err)) < 0 && err->code)
            return rc;
    } else if (ro->format == CS_FMT_JSON) {
        cs_buf_puts(b, "{\"ingest\": ");
        json_ingest(b, c);
        cs_buf_puts(b, ",\n\"aggregate\": ");
        rc = cs_report_json_value(&c->agg, ro, b);
        cs_buf_puts(b, ",\n\"calories\": ");
        if (rc == CS_OK && cs_cal_json_value(c->agg.cal, ro, b, err) < 0)
            return err->code;
        cs_buf_puts(b, "}\n");
    } else {
        rc = cs_report_render(&c->agg, ro, b);
        cs_buf_putc(b, '\n');
        if (rc == CS_OK && cs_cal_render(c->agg.cal, ro, b, err) < 0)
            return err->code;
        render_left_out(b, c, ro->format);
    }
    if (rc < 0 || cs_buf_error(b))
        return cs_buf_failed(b, err);
    return CS_OK;
}
