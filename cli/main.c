/* agentune: command dispatch.  Commands live in a table (name -> handler),
 * the way bpftool and ip do it; each one has --help. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <json-c/json_c_version.h>
#include <ncurses.h>

#include "cli.h"

#ifndef AGENTUNE_VERSION
#define AGENTUNE_VERSION "0.0.0"
#endif

static int cmd_help(int argc, char **argv);
static void usage_help(FILE *out);

static const struct option no_longopts[] = { { NULL, 0, NULL, 0 } };

static const struct command commands[] = {
	{ "inspect", "report IRQ, network, power and cgroup state, with findings", cmd_inspect, usage_inspect,
	  inspect_longopts, inspect_shortopts },
	{ "snapshot", "copy every file inspect reads into a directory", cmd_snapshot, usage_snapshot,
	  snapshot_longopts, snapshot_shortopts },
	{ "diagnose", "attribute each wakeup of a process to the kernel stage that delayed it", cmd_diagnose, usage_diagnose,
	  diagnose_longopts, diagnose_shortopts },
	{ "top", "live view: CPUs, IRQs, softirqs, idle states and each agent's steps", cmd_top, usage_top,
	  top_longopts, top_shortopts },
	{ "apply", "apply a tuning profile (plan, journal, verify; all or nothing)", cmd_apply, usage_apply,
	  apply_longopts, apply_shortopts },
	{ "revert", "restore what apply changed, from the journal", cmd_revert, usage_revert,
	  revert_longopts, revert_shortopts },
	{ "evaluate", "compare a profile with none on a running agent, phase by phase", cmd_evaluate,
	  usage_evaluate, evaluate_longopts, evaluate_shortopts },
	{ "status", "what is applied, and whether each setting still holds", cmd_status, usage_status,
	  json_only_longopts, json_only_shortopts },
	{ "profile", "list the profiles or show one", cmd_profile, usage_profile,
	  json_only_longopts, json_only_shortopts },
	{ "help", "show help for a command", cmd_help, usage_help, no_longopts, "" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

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

const struct option json_only_longopts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};
const char json_only_shortopts[] = "j";

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
	int c;
	*json = false;
	opterr = 0;
	while ((c = getopt_long(argc, argv, json_only_shortopts, json_only_longopts, NULL)) != -1) {
		if (c != 'j')
			return unknown_option(cmd, argv[optind - 1]);
		*json = true;
	}
	return EXIT_OK;
}

/* The short option of o in cmd, or 0 when it has none. */
static char short_of(const struct command *cmd, const struct option *o)
{
	if (o->flag || o->val <= ' ' || o->val > '~' || o->val == ':')
		return 0;
	return strchr(cmd->shortopts, o->val) ? (char)o->val : 0;
}

int unknown_option(const char *cmd, const char *arg)
{
	char where[256] = "";
	const char *meaning = NULL;
	size_t off = 0;
	if (arg[0] == '-' && arg[1] && arg[1] != '-' && !arg[2]) {
		for (size_t i = 0; i < NCOMMANDS; i++)
			for (const struct option *o = commands[i].longopts; o->name; o++) {
				if (short_of(&commands[i], o) != arg[1])
					continue;
				meaning = o->name;
				off += (size_t)snprintf(where + off, sizeof(where) - off, "%s%s",
							off ? ", " : "", commands[i].name);
				if (off >= sizeof(where))
					off = sizeof(where) - 1;
			}
	}
	if (meaning)
		return usage_error(cmd, "unknown option '%s' (-%c is --%s, of %s)", arg, arg[1], meaning, where);
	return usage_error(cmd, "unknown option '%s'", arg);
}

/* `agentune CMD --list-options`: one line per option the command's getopt
 * table accepts, "--LONG<TAB>-X or -<TAB>value or none", --help included
 * (dispatch takes it).  For the option test and scripts; not in --help. */
static void list_options(const struct command *cmd)
{
	for (const struct option *o = cmd->longopts; o->name; o++) {
		char s[3] = { '-', short_of(cmd, o), '\0' };
		printf("--%s\t%s\t%s\n", o->name, s,
		       o->has_arg == required_argument ? "value" : "none");
	}
	printf("--help\t-h\tnone\n");
}

/* --version: the version (VERSION and the commit), the libbpf it runs
 * with, and what this build has. */
static void print_version(void)
{
	printf("agentune %s\n", AGENTUNE_VERSION);
	printf("libbpf %u.%u (built against %d.%d)\n", libbpf_major_version(), libbpf_minor_version(),
	       LIBBPF_MAJOR_VERSION, LIBBPF_MINOR_VERSION);
	printf("features: bpf-diagnose (tp_btf, raw_tp fallback) bpf-top bpf-pmqos-window "
	       "napi-netlink (libnl-genl-3) cgroup (libcgroup) pci-names (libpci) "
	       "screen (ncursesw %s) json (json-c %s) profiles (inih)\n",
	       NCURSES_VERSION, JSON_C_VERSION);
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
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n  -V, --version  the version, the libbpf version and the build's features\n"
		     "  -h, --help     this help; agentune COMMAND --help for a command's\n"
		     "\nExit codes: 0 success, 1 the operation failed, 2 usage error or bad input,\n"
		     "3 status found a setting drifted or gone.  See agentune(8).\n");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void usage_help(FILE *out)
{
	fprintf(out, "Usage: agentune help [COMMAND]\n");
}

/* A command's help, and the option every command has. */
static void print_usage(const struct command *c)
{
	c->usage(stdout);
	printf("\n  -h, --help   this help (every command; agentune(8) has them all)\n");
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
	print_usage(c);
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
		print_version();
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--list-options")) {
		printf("--version\t-V\tnone\n--help\t-h\tnone\n");
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
	if (argc == 3 && !strcmp(argv[2], "--list-options")) {
		list_options(c);
		return EXIT_OK;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			print_usage(c);
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
