/* agentune: command dispatch.  Commands live in a table (name -> handler),
 * the way bpftool and ip do it; each one has --help. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef AGENTUNE_VERSION
#define AGENTUNE_VERSION "0.1"
#endif

static int cmd_help(int argc, char **argv);
static void usage_help(FILE *out);

static const struct command commands[] = {
	{ "inspect", "report IRQ, network, power and cgroup state, with findings", cmd_inspect, usage_inspect },
	{ "snapshot", "copy every file inspect reads into a directory", cmd_snapshot, usage_snapshot },
	{ "diagnose", "attribute each wakeup of a process to the kernel stage that delayed it", cmd_diagnose, usage_diagnose },
	{ "top", "live view: CPUs, IRQs, softirqs, idle states and each agent's steps", cmd_top, usage_top },
	{ "apply", "apply a tuning profile (plan, journal, verify; all or nothing)", cmd_apply, usage_apply },
	{ "revert", "restore what apply changed, from the journal", cmd_revert, usage_revert },
	{ "status", "what is applied, and whether each setting still holds", cmd_status, usage_status },
	{ "profile", "list the profiles or show one", cmd_profile, usage_profile },
	{ "help", "show help for a command", cmd_help, usage_help },
};

/* "agentune CMD: message" on stderr. */
static void vsay(const char *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "agentune %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(cmd, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'agentune %s --help'.\n", cmd);
	return EXIT_USAGE;
}

int fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(cmd, fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

bool parse_uint_opt(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

int parse_journal_fault(const char *cmd, unsigned long *at, int *err)
{
	const char *s = getenv("AGENTUNE_FAULT_JOURNAL");
	*at = 0;
	*err = ENOSPC;
	if (!s || !*s)
		return EXIT_OK;
	char num[24];
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	if (n >= sizeof(num))
		n = sizeof(num) - 1;
	memcpy(num, s, n);
	num[n] = '\0';
	if (!parse_uint_opt(num, 1, 1000000, at) ||
	    (colon && strcmp(colon + 1, "ENOSPC") && strcmp(colon + 1, "EIO")))
		return usage_error(cmd, "AGENTUNE_FAULT_JOURNAL: '%s' is not N, N:ENOSPC or N:EIO", s);
	if (colon && !strcmp(colon + 1, "EIO"))
		*err = EIO;
	return EXIT_OK;
}

int parse_json_only(const char *cmd, int argc, char **argv, bool *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	*json = false;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (c != 'j')
			return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		*json = true;
	}
	return EXIT_OK;
}

/* Every command's report goes to stdout: one that could not be written
 * (a full disk, a closed pipe, /dev/full) is a failure of the command,
 * whatever the command itself returned. */
static int report_written(const char *cmd, int ret)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return ret;
	int err = errno;
	fprintf(stderr, "agentune%s%s: writing the report: %s\n", *cmd ? " " : "", cmd,
		strerror(err ? err : EIO));
	return ret == EXIT_USAGE ? ret : EXIT_FAIL;
}

static void usage_main(FILE *out)
{
	fprintf(out, "Usage: agentune COMMAND [OPTIONS]\n"
		     "       agentune --version | help [COMMAND]\n\n"
		     "Inspects, diagnoses and tunes the kernel path behind agent loops.\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nExit codes: 0 success, 1 the operation failed, 2 usage error or bad input.\n");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void usage_help(FILE *out)
{
	fprintf(out, "Usage: agentune help [COMMAND]\n");
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		usage_main(stdout);
		return EXIT_OK;
	}
	const struct command *c = find_command(argv[1]);
	if (!c)
		return usage_error("help", "unknown command '%s'", argv[1]);
	c->usage(stdout);
	return EXIT_OK;
}

/* Runs the command argv names; *name is what a message about its output
 * calls it. */
static int dispatch(int argc, char **argv, const char **name)
{
	if (argc < 2) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("agentune %s\n", AGENTUNE_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage_main(stdout);
		return EXIT_OK;
	}
	const struct command *c = find_command(argv[1]);
	if (!c) {
		fprintf(stderr, "agentune: unknown command '%s'\n", argv[1]);
		usage_main(stderr);
		return EXIT_USAGE;
	}
	*name = c->name;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			c->usage(stdout);
			return EXIT_OK;
		}
	}
	/* Commands parse their options with getopt from argv[0] = their name. */
	optind = 1;
	return c->run(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	const char *name = "";
	int ret = dispatch(argc, argv, &name);
	return report_written(name, ret);
}
