/* crampstat rules: print the effective cause-factor rules. */
#include <getopt.h>
#include <stdio.h>
#include <crampstat/rules.h>
#include "cli.h"
#include "cmds.h"

static const char help[] =
"Usage: crampstat rules [--rules FILE]\n"
"Print the cause-factor rules in force, in the rules-file format, with a\n"
"comment per key: the defaults of the data contract, or FILE's values over\n"
"them. Start a rules file of your own with 'crampstat rules > my.rules'.\n"
"\n"
"  -R, --rules FILE  read and check FILE first\n"
"  -h, --help        show this help\n"
"\n"
"Example:\n"
"  crampstat rules > my.rules && crampstat tag --rules my.rules < joined.csv\n";

int cmd_rules(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "rules", required_argument, NULL, 'R' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    cs_error err = {0};
    cs_rules r;
    cs_buf b;
    const char *path = NULL;
    int opt, rc;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "R:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'R': path = optarg; break;
        case 'h': return cli_print_help(help);
        default: return cli_usage("rules", "bad option");
        }
    }
    if (optind < argc)
        return cli_usage("rules", "unexpected argument '%s'", argv[optind]);
    cs_rules_default(&r);
    if (path && cs_rules_load(&r, path, &err) < 0)
        return cli_report("rules", &err);
    cs_buf_init(&b, 0);
    if (cs_rules_format(&r, &b) < 0) {
        cli_text_failed(&b, &err);
        cs_buf_dispose(&b);
        return cli_report("rules", &err);
    }
    rc = cli_print_help(b.ptr);
    cs_buf_dispose(&b);
    return rc;
}
