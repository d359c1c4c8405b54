/* cli: what the command files share: the command table entry and option
 * helpers that turn bad input into exit code 2 with a message. */
#ifndef AGENTUNE_CLI_H
#define AGENTUNE_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

/* EXIT_DRIFTED: status found an applied setting drifted or gone (the
 * operation itself worked; like `tuned-adm verify` failing). */
enum exit_code { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_DRIFTED = 3 };

/* A command's options are the table its getopt_long call parses, and the
 * same table is what `agentune CMD --list-options` prints (for the option
 * test and scripts), so the list cannot drift from what is accepted.  A
 * long option has a short one when its val is a letter in shortopts; one
 * letter means one thing across commands (README, agentune(8)). */
struct command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *out);
	const struct option *longopts;
	const char *shortopts;
};

/* Prints "agentune CMD: message" to stderr and returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "agentune CMD: message" to stderr and returns EXIT_FAIL. */
int fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "unknown option 'ARG'" (exit 2); when ARG is a short option another
 * command has, says what it means there. */
int unknown_option(const char *cmd, const char *arg);
/* Parses an unsigned number in [min, max]; false on anything else. */
bool parse_uint_opt(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* AGENTUNE_FAULT_JOURNAL=N[:ENOSPC|:EIO] (tests only): the Nth journal
 * write or rewrite of this command fails with that error (ENOSPC when not
 * said).  *at 0 when unset.  EXIT_OK or EXIT_USAGE. */
int parse_journal_fault(const char *cmd, unsigned long *at, int *err);

/* For commands whose only option is --json: parses it, leaves optind at
 * the first operand.  EXIT_OK or EXIT_USAGE. */
int parse_json_only(const char *cmd, int argc, char **argv, bool *json);
extern const struct option json_only_longopts[];
extern const char json_only_shortopts[];

int cmd_inspect(int argc, char **argv);
void usage_inspect(FILE *out);
extern const struct option inspect_longopts[];
extern const char inspect_shortopts[];
int cmd_snapshot(int argc, char **argv);
void usage_snapshot(FILE *out);
extern const struct option snapshot_longopts[];
extern const char snapshot_shortopts[];
int cmd_diagnose(int argc, char **argv);
void usage_diagnose(FILE *out);
extern const struct option diagnose_longopts[];
extern const char diagnose_shortopts[];
int cmd_top(int argc, char **argv);
void usage_top(FILE *out);
extern const struct option top_longopts[];
extern const char top_shortopts[];

int cmd_apply(int argc, char **argv);
void usage_apply(FILE *out);
extern const struct option apply_longopts[];
extern const char apply_shortopts[];
int cmd_revert(int argc, char **argv);
void usage_revert(FILE *out);
extern const struct option revert_longopts[];
extern const char revert_shortopts[];
int cmd_evaluate(int argc, char **argv);
void usage_evaluate(FILE *out);
extern const struct option evaluate_longopts[];
extern const char evaluate_shortopts[];
int cmd_status(int argc, char **argv);
void usage_status(FILE *out);
int cmd_profile(int argc, char **argv);
void usage_profile(FILE *out);

#endif
