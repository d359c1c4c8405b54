/* cli: what the command files share: the command table entry and option
 * helpers that turn bad input into exit code 2 with a message. */
#ifndef AGENTUNE_CLI_H
#define AGENTUNE_CLI_H

#include <stdbool.h>
#include <stdio.h>

enum exit_code { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *out);
};

/* Prints "agentune CMD: message" to stderr and returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "agentune CMD: message" to stderr and returns EXIT_FAIL. */
int fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses an unsigned number in [min, max]; false on anything else. */
bool parse_uint_opt(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* AGENTUNE_FAULT_JOURNAL=N[:ENOSPC|:EIO] (tests only): the Nth journal
 * write or rewrite of this command fails with that error (ENOSPC when not
 * said).  *at 0 when unset.  EXIT_OK or EXIT_USAGE. */
int parse_journal_fault(const char *cmd, unsigned long *at, int *err);

/* For commands whose only option is --json: parses it, leaves optind at
 * the first operand.  EXIT_OK or EXIT_USAGE. */
int parse_json_only(const char *cmd, int argc, char **argv, bool *json);

int cmd_inspect(int argc, char **argv);
void usage_inspect(FILE *out);
int cmd_snapshot(int argc, char **argv);
void usage_snapshot(FILE *out);
int cmd_diagnose(int argc, char **argv);
void usage_diagnose(FILE *out);
int cmd_top(int argc, char **argv);
void usage_top(FILE *out);

int cmd_apply(int argc, char **argv);
void usage_apply(FILE *out);
int cmd_revert(int argc, char **argv);
void usage_revert(FILE *out);
int cmd_status(int argc, char **argv);
void usage_status(FILE *out);
int cmd_profile(int argc, char **argv);
void usage_profile(FILE *out);

#endif
