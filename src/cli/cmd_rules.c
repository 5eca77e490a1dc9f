/* crampstat rules: print the effective cause-factor rules. */
#include <getopt.h>
#include <stdio.h>
#include <crampstat/rules.h>
#include "cli.h"
#include "cmds.h"

static const char help_head[] =
"Usage: crampstat rules [--rules FILE]\n"
"Print the cause-factor rules in force, in the rules-file format, with a\n"
"comment per key: the defaults of the data contract, or FILE's values over\n"
"them. Start a rules file of your own with 'crampstat rules > my.rules'.\n"
"\n";

static const cli_opt options[] = {
    { 'R', 1, "rules", "FILE",
      "read and check FILE first" },
    CLI_OPT_HELP,
    { 0 }
};

static const char help_tail[] =
"\n"
"Example:\n"
"  crampstat rules > my.rules && crampstat tag --rules my.rules < joined.csv\n";

static const cli_command command = {
    "rules", help_head, options, 20, help_tail, 0
};

int cmd_rules(int argc, char **argv)
{
    cli_parser parser;
    cs_error err = {0};
    cs_rules r;
    cs_buf b;
    const char *path = NULL;
    int opt, rc;

    cli_parser_init(&parser, &command);
    while ((opt = cli_getopt(&parser, argc, argv)) != -1) {
        switch (opt) {
        case 'R': path = optarg; break;
        case 'h': return cli_help(&command);
        default: return cli_usage("rules", "%s", cli_bad_option());
        }
    }
    if (optind < argc)
        return cli_usage("rules", "unexpected argument '%s'", argv[optind]);
    cs_rules_default(&r);
    if (path && cs_rules_load(&r, path, &err) < 0)
        return cli_report("rules", &err);
    cs_buf_init(&b, 0);
    if (cs_rules_format(&r, &b) < 0) {
        cs_buf_failed(&b, &err);
        cs_buf_dispose(&b);
        return cli_report("rules", &err);
    }
    rc = cli_print_help("rules", b.ptr);
    cs_buf_dispose(&b);
    return rc;
}
