/* agentune evaluate PROFILE --pid PID: baseline and profile phases
 * alternated on the running agent, measured with the diagnose programs,
 * compared with the spread between rounds; the host left as it was found. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"
#include "base/errmsg.h"
#include "base/jsonw.h"
#include "base/util.h"
#include "diagnose/probe.h"
#include "diagnose/verdict.h"
#include "inspect/model.h"
#include "inspect/target.h"
#include "tune/evaluate.h"
#include "tune/journal.h"
#include "tune/plan.h"
#include "tune/profile.h"
#include "tune/session.h"
#include "tune/tune.h"
#include "tune/winctl.h"

#define CMD "evaluate"

void usage_evaluate(FILE *out)
{
	fprintf(out,
		"Usage: agentune evaluate [profile] NAME|FILE -p PID [-c LIST] [--rounds N]\n"
		"                         [--duration S] [-j] [--allow-unsafe-profile]\n\n"
		"Measures what a profile does to a running agent.  Alternates phases of S\n"
		"seconds, N rounds: baseline (nothing applied), then the profile applied (as\n"
		"agentune apply does it: planned, journaled in " JOURNAL_DIR ", verified),\n"
		"measured and reverted.  Each phase is measured with the diagnose BPF\n"
		"programs, loaded once for the whole run: the agent's wake->run and\n"
		"completion latency (p50/p90/p99/p99.9), its steps per second and the\n"
		"verdict's first causes; and the warm cost: the CPU time of the window\n"
		"controller (its poll threads included) and RAPL package energy where\n"
		"readable.  Prints both kinds side by side with the ratio, the min-max\n"
		"spread between rounds, and whether the difference exceeds it (the two\n"
		"ranges do not overlap).\n\n"
		"The host ends as it was found: the last profile phase is reverted, also\n"
		"on Ctrl-C, SIGTERM or SIGHUP (taken only between steps: a signal during\n"
		"an apply waits for it to end, then the revert runs) and when the agent\n"
		"exits (the run ends early, exit 1, with what was measured).  Refuses to\n"
		"start while a profile is applied or a window controller runs.  Needs\n"
		"root (CAP_BPF, CAP_PERFMON and the settings the profile changes).\n\n"
		"  -p, --pid PID      the agent process (required)\n"
		"  -c, --cpus LIST    the agent CPUs (overrides the profile's [agent] cpus)\n"
		"      --rounds N     baseline + profile rounds (default 3, 1-%d)\n"
		"      --duration S   whole seconds per phase (default 5, 1-3600)\n"
		"  -j, --json         JSON output (schema " EVAL_SCHEMA ")\n"
		"      --allow-unsafe-profile  accept a profile file a non-root user could\n"
		"                     have written (as for apply)\n\n"
		"Environment: AGENTUNE_RUN_DIR moves the journal and lock (tests).\n",
		EVAL_MAX_ROUNDS);
}

const struct option evaluate_longopts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "rounds", required_argument, NULL, 'R' },
	{ "duration", required_argument, NULL, 'd' },
	{ "json", no_argument, NULL, 'j' },
	{ "allow-unsafe-profile", no_argument, NULL, 'u' },
	{ NULL, 0, NULL, 0 },
};
/* --rounds and --duration have no short option (as in diagnose). */
const char evaluate_shortopts[] = ":p:c:j";

struct eval_opts {
	const char *profile;
	int pid;
	struct cpumask cpus;
	bool cpus_set, json, allow_unsafe;
	unsigned long rounds, duration;
};

static int parse_opts(int argc, char **argv, struct eval_opts *o)
{
	unsigned long v;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, evaluate_shortopts, evaluate_longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_uint_opt(optarg, 1, 4194304, &v))
				return usage_error(CMD, "--pid: '%s' is not a process id", optarg);
			o->pid = (int)v;
			break;
		case 'c':
			if (cpulist_parse(optarg, &o->cpus) || cpumask_empty(&o->cpus))
				return usage_error(CMD, "--cpus: '%s' is not a CPU list (e.g. 2-3,6)", optarg);
			o->cpus_set = true;
			break;
		case 'R':
			if (!parse_uint_opt(optarg, 1, EVAL_MAX_ROUNDS, &o->rounds))
				return usage_error(CMD, "--rounds: '%s' is not a number of rounds (1-%d)",
						   optarg, EVAL_MAX_ROUNDS);
			break;
		case 'd':
			if (!parse_uint_opt(optarg, 1, 3600, &o->duration))
				return usage_error(CMD, "--duration: '%s' is not a number of seconds (1-3600)",
						   optarg);
			break;
		case 'j': o->json = true; break;
		case 'u': o->allow_unsafe = true; break;
		case ':': return usage_error(CMD, "option '%s' needs a value", argv[optind - 1]);
		default: return unknown_option(CMD, argv[optind - 1]);
		}
	}
	if (optind < argc && !strcmp(argv[optind], "profile") && argc - optind >= 2)
		optind++;
	if (optind >= argc)
		return usage_error(CMD, "which profile? (agentune profile list)");
	if (optind + 1 != argc)
		return usage_error(CMD, "unexpected argument '%s'", argv[optind + 1]);
	o->profile = argv[optind];
	if (!o->pid)
		return usage_error(CMD, "--pid is required: the agent to measure");
	return EXIT_OK;
}

static int load_profile(const struct eval_opts *o, struct profile *p)
{
	struct strlist dirs;
	if (profile_search_dirs(&dirs))
		return fail(CMD, "out of memory");
	struct profile_opts po = {
		.dirs = (const char *const *)dirs.v, .ndirs = dirs.n,
		.check_safe = geteuid() == 0 && !o->allow_unsafe,
	};
	struct parse_error err;
	char msg[PERR_TEXT_MAX];
	int rc = profile_load(o->profile, &po, p, &err);
	strlist_free(&dirs);
	if (!rc)
		return EXIT_OK;
	perr_format(&err, msg, sizeof(msg));
	if (rc == -EPERM)
		return usage_error(CMD, "%s (--allow-unsafe-profile accepts it)", msg);
	return usage_error(CMD, "%s", msg);
}

/* ---------- the host: nothing applied before, apply, revert ---------- */

/* EXIT_OK when no profile is applied and no window controller runs. */
static int check_nothing_applied(void)
{
	struct tune_session s;
	char why[1024] = "";
	int have = session_open_existing(&s, false, why, sizeof(why));
	if (have < 0)
		return fail(CMD, "%s", why);
	if (have == 0) {
		session_close(&s);
		return fail(CMD, "a profile is already applied (agentune status shows it): "
			    "evaluate compares the host without it against the host with the "
			    "profile, so revert it first (agentune revert)");
	}
	session_close(&s);
	int pid;
	if (!strcmp(winctl_state(journal_default_dir(), &pid), "running"))
		return fail(CMD, "a window controller runs (pid %d) that no journal records: "
			    "agentune revert stops it", pid);
	return EXIT_OK;
}

/* The profile planned against the host as it is, before anything is
 * measured: a profile this host cannot take (the CPUs, an interface) is a
 * usage error now, not after the first baseline phase.  Sets run->cpus. */
static int check_plan(const struct host *h, const struct eval_opts *o, const struct profile *p,
		      struct eval_run *run)
{
	struct model m;
	char why[1024];
	if (model_read(h, &m))
		return fail(CMD, "cannot read the host: %s", strerror(ENOMEM));
	struct plan pl;
	struct plan_opts popts = { .pid = o->pid, .cpus = o->cpus_set ? &o->cpus : NULL };
	int rc = plan_build(h, &m, p, &popts, &pl, why, sizeof(why));
	model_free(&m);
	if (rc)
		return rc == -EINVAL || rc == -ESRCH ? usage_error(CMD, "%s", why) : fail(CMD, "%s", why);
	char *cpus = cpulist_str(&pl.agent_cpus);
	if (cpus)
		copy_str(run->cpus, sizeof(run->cpus), cpus);
	free(cpus);
	plan_free(&pl);
	return EXIT_OK;
}

/* Applies p under the journal, as apply does.  0; else why. */
static int do_apply(const struct host *h, const struct eval_opts *o, const struct profile *p,
		    struct eval_run *run, char *why, size_t sz)
{
	struct tune_session s;
	int rc = session_open_apply(&s, h, why, sz);
	if (rc)
		return rc;
	struct model m;
	if (model_read(h, &m)) {
		session_close(&s);
		return errmsg(why, sz, -ENOMEM, "cannot read the host");
	}
	struct plan pl;
	struct plan_opts popts = { .pid = o->pid, .cpus = o->cpus_set ? &o->cpus : NULL };
	char unit[TARGET_UNIT_MAX];
	struct target t;
	if (target_pid_unit(h, o->pid, unit, sizeof(unit), t.rel, sizeof(t.rel)) == 1)
		popts.unit_cgroup = t.rel;
	rc = plan_build(h, &m, p, &popts, &pl, why, sz);
	if (!rc) {
		char *cpus = cpulist_str(&pl.agent_cpus);
		if (cpus)
			copy_str(run->cpus, sizeof(run->cpus), cpus);
		struct tune_apply_opts ta = {
			.profile = p->name, .profile_path = p->path, .cpus = cpus,
			.pid = pl.pid, .pid_start = pl.pid_start,
		};
		struct tune_result r = { 0 };
		rc = tune_apply(h, &s.j, &pl, &ta, &r);
		free(cpus);
		if (rc || r.journal_why[0]) {
			if (r.journal_why[0])
				errmsg(why, sz, -EIO, "%s", r.journal_why);
			else if (r.why[0])
				errmsg(why, sz, -EIO, "%s", r.why);
			else
				errmsg(why, sz, -EIO, "the apply failed and was undone");
			for (size_t i = 0; i < r.n; i++)
				if (r.it[i].state == TUNE_FAILED && r.it[i].why[0]) {
					errmsg_append(why, sz, ": %s", r.it[i].why);
					break;
				}
			rc = rc ? rc : -EIO;
		}
		tune_result_free(&r);
		plan_free(&pl);
	}
	model_free(&m);
	session_close(&s);
	return rc;
}

/* Reverts everything the journal holds (what do_apply did).  0; else why. */
static int do_revert(char *why, size_t sz)
{
	struct tune_session s;
	struct tune_result r = { 0 };
	int have = session_open_existing(&s, true, why, sz);
	if (have) {
		if (have > 0) {
			r.ok = true;
			/* no journal, but a controller none records */
			if (tune_unjournaled_controller(&s.j, true, &r) < 0)
				have = errmsg(why, sz, -ENOMEM, "out of memory");
			else if (!r.ok)
				have = errmsg(why, sz, -EIO, "a window controller could not be stopped");
			else
				have = 0;
			tune_result_free(&r);
			session_close(&s);
		}
		return have;
	}
	int rc = tune_revert(&s.h, &s.j, false, false, &r, why, sz);
	for (size_t i = 0; !rc && i < r.n; i++)
		if (r.it[i].state == TUNE_FAILED || r.it[i].state == TUNE_DRIFTED)
			rc = errmsg(why, sz, -EIO, "%s %s: %s", knob_name(r.it[i].ch.knob),
				    r.it[i].ch.target, r.it[i].why[0] ? r.it[i].why :
				    tune_state_name(r.it[i].state));
	if (!rc && !r.ok)
		rc = errmsg(why, sz, -EIO, "a setting could not be restored (agentune status)");
	tune_result_free(&r);
	session_close(&s);
	return rc;
}

/* ---------- measuring ---------- */

struct meter {
	struct probe *p;
	struct probe_result *before, *after;
	struct verdict_host vh;
	int sfd;                   /* signalfd of SIGINT, SIGTERM, SIGHUP */
	int pid;
	int signo;                 /* the signal that stopped the run, 0 */
	bool exited;
	struct eval_rapl rapl;
	bool have_rapl;
};

/* A signal taken without waiting; true when one came. */
static bool signalled(struct meter *mt)
{
	struct signalfd_siginfo si;
	if (mt->sfd >= 0 && read(mt->sfd, &si, sizeof(si)) == sizeof(si))
		mt->signo = (int)si.ssi_signo;
	return mt->signo != 0;
}

static bool agent_alive(struct meter *mt)
{
	if (!probe_target_alive(mt->p) || (kill(mt->pid, 0) && errno == ESRCH))
		mt->exited = true;
	return !mt->exited;
}

/* One phase: dur seconds, or until a signal or the agent's exit. */
static int measure(struct meter *mt, enum eval_kind kind, unsigned round, unsigned dur,
		   struct eval_phase *ph)
{
	memset(ph, 0, sizeof(*ph));
	ph->kind = kind;
	ph->round = round;
	int ctl = -1;
	double cpu0 = 0;
	if (kind == EVAL_PROFILE && !strcmp(winctl_state(journal_default_dir(), &ctl), "running"))
		cpu0 = eval_proc_cpu_s(ctl);
	int rc = probe_read(mt->p, mt->before);
	if (rc)
		return rc;
	if (mt->have_rapl)
		eval_rapl_read(&mt->rapl);
	double start = mono_s(), end = start + dur;
	while (mono_s() < end && !signalled(mt) && agent_alive(mt))
		probe_poll(mt->p, 100);
	probe_poll(mt->p, 0);
	double len = mono_s() - start;
	if ((rc = probe_read(mt->p, mt->after)))
		return rc;
	eval_phase_from(mt->before, mt->after, &mt->vh, len, ph);
	ph->kind = kind;
	ph->round = round;
	ph->cut_short = len < dur - 0.05;
	ph->m[EM_WARM_CPU_S] = 0;
	if (ctl > 0) {
		double cpu1 = eval_proc_cpu_s(ctl);
		ph->m[EM_WARM_CPU_S] = isnan(cpu0) || isnan(cpu1) ? NAN : cpu1 - cpu0;
	}
	if (mt->have_rapl)
		ph->m[EM_ENERGY_J] = eval_rapl_read(&mt->rapl);
	return 0;
}

/* agentune off the agent's CPUs (as diagnose does), so that its own work
 * (and the controller apply forks, which inherits the affinity) does not
 * land in the steps it measures.  Best effort. */
static void pin_off_agent(int pid)
{
	cpu_set_t mine, theirs, off, one;
	char path[64];
	if (sched_getaffinity(0, sizeof(mine), &mine))
		return;
	CPU_ZERO(&theirs);
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (atoi(de->d_name) > 0 && !sched_getaffinity(atoi(de->d_name), sizeof(one), &one))
			CPU_OR(&theirs, &theirs, &one);
	if (d)
		closedir(d);
	CPU_ZERO(&off);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &mine) && !CPU_ISSET(c, &theirs))
			CPU_SET(c, &off);
	if (CPU_COUNT(&off))
		sched_setaffinity(0, sizeof(off), &off);
}

static const char *phase_label(enum eval_kind k, unsigned round, char *buf, size_t sz)
{
	snprintf(buf, sz, "the %s phase of round %u", eval_kind_name(k), round);
	return buf;
}

/* Why the run stopped early, into run->stop_why; true when it did. */
static bool stopped(struct meter *mt, struct eval_run *run, const char *where)
{
	if (!mt->signo && !signalled(mt) && agent_alive(mt))
		return false;
	if (run->stop_why[0])
		return true;
	if (mt->signo) {
		run->interrupted = true;
		snprintf(run->stop_why, sizeof(run->stop_why), "%s during %s", strsignal(mt->signo),
			 where);
	} else {
		run->agent_exited = true;
		snprintf(run->stop_why, sizeof(run->stop_why), "the agent (pid %d) exited during %s",
			 mt->pid, where);
	}
	return true;
}

/* The rounds.  Returns with nothing applied unless the revert failed
 * (run->reverted false, run->revert_why). */
static int run_rounds(const struct host *h, const struct eval_opts *o, const struct profile *p,
		      struct meter *mt, struct eval_run *run)
{
	char why[1024], where[64];
	struct eval_phase ph;
	int rc = 0;
	run->reverted = true;
	for (unsigned r = 1; r <= o->rounds && !rc; r++) {
		if (!o->json)
			fprintf(stderr, "agentune evaluate: round %u of %lu: baseline ...\n", r, o->rounds);
		if ((rc = measure(mt, EVAL_BASELINE, r, (unsigned)o->duration, &ph)))
			break;
		eval_run_add(run, &ph);
		if (stopped(mt, run, phase_label(EVAL_BASELINE, r, where, sizeof(where))))
			break;
		if (!o->json)
			fprintf(stderr, "agentune evaluate: round %u of %lu: applying %s ...\n", r,
				o->rounds, p->name);
		if (do_apply(h, o, p, run, why, sizeof(why))) {
			snprintf(run->stop_why, sizeof(run->stop_why), "apply failed in round %u: %s", r, why);
			rc = -EIO;
		} else {
			if (!o->json)
				fprintf(stderr, "agentune evaluate: round %u of %lu: %s applied, measuring ...\n",
					r, o->rounds, p->name);
			if (!stopped(mt, run, "an apply") &&
			    !(rc = measure(mt, EVAL_PROFILE, r, (unsigned)o->duration, &ph))) {
				eval_run_add(run, &ph);
				stopped(mt, run, phase_label(EVAL_PROFILE, r, where, sizeof(where)));
			}
		}
		/* Revert whatever the journal holds: also after a failed apply
		 * (which undid itself) or a signal, so nothing is left. */
		if (do_revert(why, sizeof(why))) {
			run->reverted = false;
			copy_str(run->revert_why, sizeof(run->revert_why), why);
			break;
		}
		if (run->stop_why[0])
			break;
	}
	if (rc && !run->stop_why[0])
		snprintf(run->stop_why, sizeof(run->stop_why), "reading the BPF maps: %s", strerror(-rc));
	return rc;
}

/* SIGINT, SIGTERM and SIGHUP are taken through a descriptor between steps,
 * never in the middle of one.  SIGINT is reset to its default first: a
 * shell starts background jobs with it ignored, and an ignored signal would
 * never reach the descriptor. */
static int block_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static int open_meter(const struct eval_opts *o, struct meter *mt, struct model *m, bool have_model,
		      struct eval_run *run)
{
	char err[512];
	struct probe_opts po = { .pid = o->pid, .slowest = PROBE_DEFAULT_SLOWEST,
				 .disable_features = 0 };
	mt->pid = o->pid;
	mt->p = probe_open(&po, err, sizeof(err));
	if (!mt->p)
		return errno == ESRCH ? usage_error(CMD, "%s", err) : fail(CMD, "%s", err);
	mt->before = probe_result_new();
	mt->after = probe_result_new();
	if (!mt->before || !mt->after)
		return fail(CMD, "out of memory");
	mt->vh.m = have_model ? m : NULL;
	mt->have_rapl = eval_rapl_open(&mt->rapl, run->rapl_why, sizeof(run->rapl_why));
	run->rapl = mt->have_rapl;
	return EXIT_OK;
}

static void close_meter(struct meter *mt)
{
	probe_result_free(mt->before);
	probe_result_free(mt->after);
	if (mt->p)
		probe_close(mt->p);
}

static int report(const struct eval_opts *o, const struct eval_run *run)
{
	if (o->json) {
		struct json_object *j = eval_report_json(run);
		jw_print(stdout, j);
		json_object_put(j);
	} else {
		eval_report_text(stdout, run);
	}
	return EXIT_OK;
}

static int evaluate(const struct eval_opts *o, const struct host *h, const struct profile *p)
{
	struct eval_run run = { .pid = o->pid, .rounds = (unsigned)o->rounds,
				.duration_s = (unsigned)o->duration };
	copy_str(run.profile, sizeof(run.profile), p->name);
	copy_str(run.warm_note, sizeof(run.warm_note),
		 "CPU time (user + system) of the window controller process, its threads "
		 "(poll threads) included, per phase; 0 where no controller runs");
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", o->pid);
	if (host_read_line(h, path, run.comm, sizeof(run.comm)))
		run.comm[0] = '\0';
	int ret = check_plan(h, o, p, &run);
	if (ret)
		return ret;

	struct meter mt = { .sfd = -1 };
	struct model m;
	bool have_model = model_read(h, &m) == 0;
	mt.sfd = block_signals();
	pin_off_agent(o->pid);
	ret = open_meter(o, &mt, &m, have_model, &run);
	if (ret == EXIT_OK) {
		run_rounds(h, o, p, &mt, &run);
		report(o, &run);
		if (!run.reverted)
			ret = fail(CMD, "the host could NOT be put back: %s (agentune status; "
				   "agentune revert)", run.revert_why);
		else if (run.stop_why[0])
			ret = fail(CMD, "ended early: %s; the host was put back as it was found "
				   "(%zu phase(s) measured above)", run.stop_why, run.nphases);
	}
	close_meter(&mt);
	if (mt.sfd >= 0)
		close(mt.sfd);
	if (have_model)
		model_free(&m);
	eval_run_free(&run);
	return ret;
}

int cmd_evaluate(int argc, char **argv)
{
	struct eval_opts o = { .rounds = 3, .duration = 5 };
	cpumask_init(&o.cpus);
	int ret = parse_opts(argc, argv, &o);
	struct host h = { .rootfd = -1 };
	struct profile p;
	bool loaded = false;
	if (ret)
		goto out;
	if (geteuid() != 0) {
		ret = fail(CMD, "needs root: it loads BPF programs and applies the profile");
		goto out;
	}
	if (kill(o.pid, 0) && errno == ESRCH) {
		ret = usage_error(CMD, "--pid: no process with pid %d", o.pid);
		goto out;
	}
	if ((ret = load_profile(&o, &p)))
		goto out;
	loaded = true;
	if (host_open(&h, "/")) {
		ret = fail(CMD, "cannot open /: %s", strerror(errno));
		goto out;
	}
	if ((ret = check_nothing_applied()))
		goto out;
	ret = evaluate(&o, &h, &p);
out:
	if (loaded)
		profile_free(&p);
	if (h.rootfd >= 0)
		host_close(&h);
	cpumask_free(&o.cpus);
	return ret;
}
