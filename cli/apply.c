/* agentune apply profile NAME|FILE: plan, journal, change, verify. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "base/jsonw.h"
#include "inspect/model.h"
#include "inspect/target.h"
#include "tune/bootconf.h"
#include "tune/conflicts.h"
#include "tune/journal.h"
#include "tune/plan.h"
#include "tune/profile.h"
#include "tune/report_tune.h"
#include "tune/session.h"
#include "tune/tune.h"

void usage_apply(FILE *out)
{
	fprintf(out,
		"Usage: agentune apply [profile] NAME|FILE [-p PID|--unit NAME|--cgroup PATH]\n"
		"                      [-c LIST] [--dry-run] [-j] [--allow-unsafe-profile] [-r DIR]\n"
		"       agentune apply --config FILE [--dry-run] [-j]\n\n"
		"Resolves the profile against this host into a plan (knob, target,\n"
		"current -> new, and the profile line it comes from) and prints it.  Then,\n"
		"unless --dry-run, takes the lock in " JOURNAL_DIR ", records each change in\n"
		"the journal (synced) before making it, makes it and reads it back.  All or\n"
		"nothing: a failed change undoes the others and apply exits 1.  Applying a\n"
		"second profile changes only what differs; `agentune revert` returns the\n"
		"host to its state before the first.  A profile with [pmqos] mode = window\n"
		"starts the PM QoS window controller, a daemon that holds the agent CPUs'\n"
		"constraint while the agent steps (its values journaled here first);\n"
		"revert stops it.  `apply NAME` and `apply profile NAME` are the same.\n\n"
		"  -p, --pid PID    the agent process: its CPUs (cpus = auto), the process\n"
		"                   moved into the agent cgroup, and whose steps (and its\n"
		"                   children's) open PM QoS windows\n"
		"      --unit NAME  the agent is a systemd unit (NAME.service): its first\n"
		"                   process is the --pid above, and the [cgroup] settings act\n"
		"                   on the unit's own cgroup (as systemctl set-property does\n"
		"                   at runtime), never moving a process out of it; the\n"
		"                   same happens for a --pid that runs in a unit\n"
		"      --cgroup PATH  the agent is the cgroup PATH (/sys/fs/cgroup/... or a\n"
		"                   path inside a hierarchy): the same, for that cgroup\n"
		"      --config FILE  profile, unit, cgroup and cpus from FILE (agentune.service\n"
		"                   uses " BOOTCONF_DEFAULT "); options given win\n"
		"  -c, --cpus LIST  the agent CPUs (overrides the profile's [agent] cpus)\n"
		"      --dry-run    print the plan and change nothing; a profile file the\n"
		"                   safety rule refuses is planned, with the refusal as a warning\n"
		"  -j, --json       JSON output (schema " APPLY_SCHEMA ")\n"
		"      --allow-unsafe-profile  accept, as root, a profile file that a non-root\n"
		"                   user could have written (refused by default, as sudo does)\n"
		"  -r, --root DIR   apply to a tree under DIR instead of the host (tests)\n\n"
		"Environment: AGENTUNE_RUN_DIR moves the journal and lock (tests);\n"
		"AGENTUNE_FAULT_WINDOW_WRITE=N fails the window controller's Nth PM QoS write (tests);\n"
		"AGENTUNE_FAULT_EXIT_AFTER=N makes apply _exit right after its Nth\n"
		"journaled write (crash-safety tests); AGENTUNE_FAULT_JOURNAL=N[:ENOSPC|:EIO]\n"
		"makes its Nth journal write or rewrite fail as a full or failing disk\n"
		"would (tests).\n");
}

const struct option apply_longopts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ "allow-unsafe-profile", no_argument, NULL, 'u' },
	{ "root", required_argument, NULL, 'r' },
	{ "unit", required_argument, NULL, 'U' },
	{ "cgroup", required_argument, NULL, 'G' },
	{ "config", required_argument, NULL, 'C' },
	{ NULL, 0, NULL, 0 },
};
const char apply_shortopts[] = ":p:c:jr:";

struct apply_opts {
	const char *profile;
	const char *root;
	int pid;
	const char *unit, *cgroup, *config;
	struct bootconf conf;
	struct cpumask cpus;
	bool cpus_set, dry_run, json, allow_unsafe;
	char *refusal;              /* dry run: why a real apply would refuse the file */
	unsigned long exit_after;
	unsigned long journal_fault;  /* AGENTUNE_FAULT_JOURNAL */
	int journal_fault_err;
};

/* --config FILE: what the command line did not say. */
static int config_opts(struct apply_opts *o)
{
	struct parse_error err;
	char msg[PERR_TEXT_MAX];

	if (bootconf_load(o->config, &o->conf, &err)) {
		perr_format(&err, msg, sizeof(msg));
		return usage_error("apply", "--config: %s", msg);
	}
	if (!o->profile && !o->conf.profile[0])
		return usage_error("apply", "--config %s: no profile = NAME", o->config);
	if (!o->profile)
		o->profile = o->conf.profile;
	if (!o->pid && !o->unit && !o->cgroup) {
		o->unit = o->conf.unit[0] ? o->conf.unit : NULL;
		o->cgroup = o->conf.cgroup[0] ? o->conf.cgroup : NULL;
	}
	if (!o->cpus_set && o->conf.cpus[0]) {
		if (cpulist_parse(o->conf.cpus, &o->cpus))
			return usage_error("apply", "--config %s: cpus = '%s'", o->config,
					   o->conf.cpus);
		o->cpus_set = true;
	}
	return EXIT_OK;
}

static int parse_opts(int argc, char **argv, struct apply_opts *o)
{
	unsigned long v;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, apply_shortopts, apply_longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_uint_opt(optarg, 1, 4194304, &v))
				return usage_error("apply", "--pid: '%s' is not a process id", optarg);
			o->pid = (int)v;
			break;
		case 'c':
			if (cpulist_parse(optarg, &o->cpus) || cpumask_empty(&o->cpus))
				return usage_error("apply", "--cpus: '%s' is not a CPU list (e.g. 2-3,6)", optarg);
			o->cpus_set = true;
			break;
		case 'n': o->dry_run = true; break;
		case 'j': o->json = true; break;
		case 'u': o->allow_unsafe = true; break;
		case 'r': o->root = optarg; break;
		case 'U': o->unit = optarg; break;
		case 'G': o->cgroup = optarg; break;
		case 'C': o->config = optarg; break;
		case ':': return usage_error("apply", "option '%s' needs a value", argv[optind - 1]);
		default: return unknown_option("apply", argv[optind - 1]);
		}
	}
	if (!!o->pid + !!o->unit + !!o->cgroup > 1)
		return usage_error("apply", "--pid, --unit and --cgroup name the agent: one of them");
	if (o->config && optind == argc)
		return config_opts(o);
	/* apply NAME, or apply profile NAME (the keyword is optional). */
	if (optind < argc && !strcmp(argv[optind], "profile") && argc - optind >= 2)
		optind++;
	if (optind >= argc)
		return usage_error("apply", "which profile? (agentune profile list)");
	if (optind + 1 != argc)
		return usage_error("apply", "unexpected argument '%s'", argv[optind + 1]);
	o->profile = argv[optind];
	if (o->config && config_opts(o) != EXIT_OK)
		return EXIT_USAGE;
	const char *fault = getenv("AGENTUNE_FAULT_EXIT_AFTER");
	if (fault && *fault && !parse_uint_opt(fault, 1, 1000000, &o->exit_after))
		return usage_error("apply", "AGENTUNE_FAULT_EXIT_AFTER: '%s' is not a count", fault);
	return parse_journal_fault("apply", &o->journal_fault, &o->journal_fault_err);
}

static int load_profile(struct apply_opts *o, struct profile *p)
{
	struct strlist dirs;
	if (profile_search_dirs(&dirs))
		return fail("apply", "out of memory");
	struct profile_opts po = {
		.dirs = (const char *const *)dirs.v, .ndirs = dirs.n,
		.check_safe = geteuid() == 0 && !o->allow_unsafe,
	};
	struct parse_error err;
	char msg[PERR_TEXT_MAX];
	int rc = profile_load(o->profile, &po, p, &err);
	if (rc == -EPERM && o->dry_run) {
		/* A dry run changes nothing: show the plan the file asks for,
		 * and that a real apply would refuse it. */
		perr_format(&err, msg, sizeof(msg));
		if (asprintf(&o->refusal, "apply without --dry-run would refuse this profile: %s "
			     "(--allow-unsafe-profile accepts it)", msg) < 0)
			o->refusal = NULL;
		po.check_safe = false;
		rc = profile_load(o->profile, &po, p, &err);
	}
	strlist_free(&dirs);
	if (!rc)
		return EXIT_OK;
	perr_format(&err, msg, sizeof(msg));
	if (rc == -EPERM)
		return usage_error("apply", "%s (--allow-unsafe-profile accepts it)", msg);
	return usage_error("apply", "%s", msg);
}

static void render(const struct apply_opts *o, const struct apply_report *a)
{
	if (o->json) {
		struct json_object *obj = report_apply_json(a);
		jw_print(stdout, obj);
		json_object_put(obj);
	} else {
		report_apply_text(stdout, a);
	}
}

/* Who the agent is: --unit / --cgroup resolved to a cgroup and its first
 * process; a --pid's own systemd unit.  Either way the [cgroup] settings
 * go to that cgroup (plan_opts.unit_cgroup). */
static int agent_target(const struct apply_opts *o, const struct host *h, struct target *t,
			struct plan_opts *po, char *unit, size_t usz)
{
	char why[1024];
	int *pids;
	size_t n;

	if (o->unit || o->cgroup) {
		if (o->unit ? target_unit(h, o->unit, t, why, sizeof(why)) :
			      target_cgroup(h, o->cgroup, t, why, sizeof(why)))
			return usage_error("apply", "%s%s", o->unit ? "--unit: " : "", why);
		if (!target_pids(h, t, &pids, &n)) {
			if (n)
				po->pid = pids[0];
			free(pids);
		}
		po->unit_cgroup = t->rel;
		return EXIT_OK;
	}
	if (po->pid > 0 && target_pid_unit(h, po->pid, unit, usz, t->rel, sizeof(t->rel)) == 1)
		po->unit_cgroup = t->rel;
	return EXIT_OK;
}

static int plan_and_apply(const struct apply_opts *o, const struct host *h, struct profile *p,
			  struct journal *j)
{
	struct model m;
	if (model_read(h, &m))
		return fail("apply", "cannot read the host: %s", strerror(ENOMEM));
	struct plan pl;
	struct plan_opts popts = { .pid = o->pid ? o->pid : -1, .cpus = o->cpus_set ? &o->cpus : NULL };
	/* Tests only: keep method = qos planned where it changes nothing. */
	const char *anyway = getenv("AGENTUNE_PMQOS_WITHOUT_CPUIDLE");
	popts.qos_anyway = anyway && !strcmp(anyway, "1");
	char why[1024], unit[TARGET_UNIT_MAX];
	struct target agent;
	int rc = agent_target(o, h, &agent, &popts, unit, sizeof(unit));
	if (rc != EXIT_OK) {
		model_free(&m);
		return rc;
	}
	rc = plan_build(h, &m, p, &popts, &pl, why, sizeof(why));
	if (rc) {
		model_free(&m);
		return rc == -EINVAL || rc == -ESRCH ? usage_error("apply", "%s", why)
						     : fail("apply", "%s", why);
	}
	struct strlist warnings;
	strlist_init(&warnings);
	if (o->refusal)
		strlist_add(&warnings, o->refusal);
	conflicts_warn(&m, &pl, &warnings);
	/* A controller killed with a window open left its value: the plan
	 * sees the window's value as current and changes nothing there. */
	if (j && tune_window_leftovers(h, j, &warnings)) {
		strlist_free(&warnings);
		plan_free(&pl);
		model_free(&m);
		return fail("apply", "out of memory");
	}
	struct apply_report a = { .p = p, .pl = &pl, .warnings = &warnings, .dry_run = o->dry_run };
	struct tune_result r = { 0 };
	int ret = EXIT_OK;
	if (!o->dry_run) {
		char *cpus = cpulist_str(&pl.agent_cpus);
		struct tune_apply_opts t = {
			.profile = p->name, .profile_path = p->path, .cpus = cpus,
			.pid = pl.pid, .pid_start = pl.pid_start, .exit_after = o->exit_after,
		};
		rc = tune_apply(h, j, &pl, &t, &r);
		free(cpus);
		a.r = &r;
		/* A journal left unsettled fails the command even when the
		 * changes hold: the report says what it holds. */
		ret = rc || r.journal_why[0] ? EXIT_FAIL : EXIT_OK;
	}
	render(o, &a);
	tune_result_free(&r);
	strlist_free(&warnings);
	plan_free(&pl);
	model_free(&m);
	return ret;
}

int cmd_apply(int argc, char **argv)
{
	struct apply_opts o = { .root = "/" };
	cpumask_init(&o.cpus);
	int ret = parse_opts(argc, argv, &o);
	struct host h = { .rootfd = -1 };
	struct profile p;
	bool loaded = false;
	struct tune_session s;
	bool opened = false;
	if (ret)
		goto out;
	int rc = host_open(&h, o.root);
	if (rc) {
		ret = usage_error("apply", "--root %s: %s", o.root, strerror(-rc));
		goto out;
	}
	if (h.live && !o.dry_run && geteuid() != 0) {
		ret = fail("apply", "changing the host needs root (--dry-run shows the plan)");
		goto out;
	}
	if ((ret = load_profile(&o, &p)))
		goto out;
	loaded = true;
	/* The lock is taken before planning so that the plan's "current"
	 * values cannot be changed by a concurrent apply or revert. */
	if (!o.dry_run) {
		char why[1024];
		opened = true;
		if (session_open_apply(&s, &h, why, sizeof(why))) {
			ret = fail("apply", "%s", why);
			goto out;
		}
		journal_set_fault(&s.j, o.journal_fault, o.journal_fault_err);
	}
	ret = plan_and_apply(&o, &h, &p, opened ? &s.j : NULL);
out:
	if (opened)
		session_close(&s);
	if (loaded)
		profile_free(&p);
	if (h.rootfd >= 0)
		host_close(&h);
	cpumask_free(&o.cpus);
	free(o.refusal);
	return ret;
}
