/* The subcommand entry points: each returns an exit status. */
#ifndef CRAMPSTAT_CMDS_H
#define CRAMPSTAT_CMDS_H

int cmd_ingest(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_join(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_aggregate(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_calories(int argc, char **argv);
int cmd_analyze(int argc, char **argv);

#endif
