/* agentune diagnose: per-wakeup stage attribution for a running process. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "base/jsonw.h"
#include "base/procfs_text.h"
#include "diagnose/probe.h"
#include "diagnose/report_diag.h"
#include "diagnose/verdict.h"
#include "inspect/cgroup.h"
#include "inspect/model.h"
#include "inspect/target.h"

void usage_diagnose(FILE *out)
{
	fprintf(out,
		"Usage: agentune diagnose -p PID|--unit NAME|--cgroup PATH [-t TID]\n"
		"                         [--duration S] [--slowest N] [--children]\n"
		"                         [--no-sampling] [-j]\n\n"
		"Measures every step of the process's threads (woken -> runs -> blocks again)\n"
		"with built-in BPF programs, from the first event of the chain that led to\n"
		"the wakeup (interrupt, softirq, timer expiry, queued work, block completion)\n"
		"to the thread running, and says what delayed it: the completion path, idle\n"
		"exit, the tasks that held its CPU, cgroup throttling, interrupts, preemption,\n"
		"migration, frequency.  Ends with a verdict over all steps and over the p99\n"
		"tail: causes ranked by their share of the delay, with evidence, the tasks to\n"
		"blame and the profile knob that can act on each here.  agentune moves itself\n"
		"off the target's CPUs while it measures.  Ctrl-C ends early and still\n"
		"reports.  Needs root (CAP_BPF and CAP_PERFMON).\n\n"
		"  -p, --pid PID       the process to diagnose\n"
		"      --unit NAME     the processes of a systemd unit (NAME.service), now and\n"
		"                      later: the cgroup is read again every second, what they\n"
		"                      fork is followed from its first step\n"
		"      --cgroup PATH   the same for a cgroup (/sys/fs/cgroup/... or a path inside\n"
		"                      a hierarchy, as /proc/PID/cgroup prints it)\n"
		"  -t, --tid TID       only this thread of it\n"
		"      --duration S    whole seconds to measure (default 10, 1-86400)\n"
		"      --slowest N     slow steps to break down (default 10, 1-10000)\n"
		"      --children      also follow child processes started during the run\n"
		"      --no-sampling   analyse every step, whatever the rate (by default, beyond\n"
		"                      40 steps per 10 ms on a CPU one step in K is analysed and\n"
		"                      the others only counted: the report says how many)\n"
		"  -j, --json          JSON output (schema agentune.diagnose/2)\n"
		"      --raw-tp        use raw tracepoints even where BTF ones work\n"
		"      --disable-stage NAME  measure without that stage (testing the fallbacks)\n");
}

const struct option diagnose_longopts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "tid", required_argument, NULL, 't' },
	{ "duration", required_argument, NULL, 'd' },
	{ "slowest", required_argument, NULL, 'n' },
	{ "children", no_argument, NULL, 'c' },
	{ "no-sampling", no_argument, NULL, 'S' },
	{ "json", no_argument, NULL, 'j' },
	{ "raw-tp", no_argument, NULL, 'r' },
	{ "disable-stage", required_argument, NULL, 'x' },
	{ "unit", required_argument, NULL, 'U' },
	{ "cgroup", required_argument, NULL, 'G' },
	{ NULL, 0, NULL, 0 },
};
/* --duration, --slowest, --children, --no-sampling and --raw-tp have no short option: their
 * letters mean other things elsewhere (agentune(8), "Short options"). */
const char diagnose_shortopts[] = ":p:t:j";

struct diag_opts {
	struct probe_opts probe;
	unsigned long duration;
	bool json;
	const char *unit, *cgroup;  /* --unit / --cgroup instead of --pid */
	struct target target;
};

static int stage_by_name(const char *name)
{
	for (unsigned s = 0; s < STAGE_MAX; s++)
		if (!strcmp(probe_stage_name(s), name))
			return (int)s;
	return -1;
}

static int parse_opts(int argc, char **argv, struct diag_opts *o)
{
	unsigned long v;
	int c, stage;
	memset(o, 0, sizeof(*o));
	o->duration = 10;
	o->probe.slowest = PROBE_DEFAULT_SLOWEST;
	opterr = 0;
	while ((c = getopt_long(argc, argv, diagnose_shortopts, diagnose_longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
		case 't':
			if (!parse_uint_opt(optarg, 1, 4194304, &v))
				return usage_error("diagnose", "--%s: '%s' is not a process id",
						   c == 'p' ? "pid" : "tid", optarg);
			*(c == 'p' ? &o->probe.pid : &o->probe.tid) = (int)v;
			break;
		case 'd':
			if (!parse_uint_opt(optarg, 1, 86400, &o->duration))
				return usage_error("diagnose", "--duration: '%s' is not a number of seconds (1-86400)", optarg);
			break;
		case 'n':
			if (!parse_uint_opt(optarg, 1, PROBE_MAX_SLOWEST, &v))
				return usage_error("diagnose", "--slowest: '%s' is not a count (1-%d)", optarg, PROBE_MAX_SLOWEST);
			o->probe.slowest = (unsigned)v;
			break;
		case 'c': o->probe.children = true; break;
		case 'S': o->probe.no_sampling = true; break;
		case 'U': o->unit = optarg; break;
		case 'G': o->cgroup = optarg; break;
		case 'j': o->json = true; break;
		case 'r': o->probe.force_raw_tp = true; break;
		case 'x':
			if ((stage = stage_by_name(optarg)) < 0)
				return usage_error("diagnose", "--disable-stage: no stage '%s'", optarg);
			o->probe.disable_stages |= 1u << stage;
			break;
		case ':': return usage_error("diagnose", "option '%s' needs a value", argv[optind - 1]);
		default: return unknown_option("diagnose", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("diagnose", "unexpected argument '%s'", argv[optind]);
	if (!!o->probe.pid + !!o->unit + !!o->cgroup != 1)
		return usage_error("diagnose", "one of --pid, --unit or --cgroup is required");
	if (o->probe.tid && !o->probe.pid)
		return usage_error("diagnose", "--tid needs --pid");
	return EXIT_OK;
}

/* --unit / --cgroup: the cgroup and its first process, which the probe
 * opens on; the rest are added after it (follow_target). */
static int resolve_target(const struct host *h, struct diag_opts *o)
{
	char why[1024];
	int *pids;
	size_t n;

	if (o->unit ? target_unit(h, o->unit, &o->target, why, sizeof(why)) :
		      target_cgroup(h, o->cgroup, &o->target, why, sizeof(why)))
		return usage_error("diagnose", "%s%s", o->unit ? "--unit: " : "", why);
	if (target_pids(h, &o->target, &pids, &n) || !n)
		return usage_error("diagnose", "%s: no process in %s",
				   target_label(&o->target, why, sizeof(why)), o->target.dir);
	o->probe.pid = pids[0];
	o->probe.children = true;
	free(pids);
	return EXIT_OK;
}

/* The processes of the unit or cgroup now, followed from now on (already
 * followed ones are left as they are); false when none is left. */
static bool follow_target(const struct host *h, const struct diag_opts *o, struct probe *p)
{
	int *pids;
	size_t n;

	if (target_pids(h, &o->target, &pids, &n))
		return true;          /* unreadable for a moment: keep going */
	for (size_t i = 0; i < n; i++)
		probe_add_process(p, pids[i]);
	free(pids);
	return n > 0;
}

/* Polls until the duration ends, Ctrl-C/SIGTERM, or the target exits (for
 * a unit or cgroup: its last process). */
static double run(struct probe *p, const struct host *h, const struct diag_opts *o,
		  unsigned long duration, bool *exited)
{
	bool targeted = o->unit || o->cgroup;
	double next_follow = 0;
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	double start = mono_s(), end = start + (double)duration;
	while (mono_s() < end) {
		if (targeted && mono_s() >= next_follow) {
			next_follow = mono_s() + 1;
			if (!follow_target(h, o, p)) {
				*exited = true;
				break;
			}
		}
		if (!targeted && !probe_target_alive(p)) {
			*exited = true;
			break;
		}
		struct signalfd_siginfo si;
		if (sfd >= 0 && read(sfd, &si, sizeof(si)) == sizeof(si))
			break;
		probe_poll(p, 100);
	}
	probe_poll(p, 0);
	if (sfd >= 0)
		close(sfd);
	return mono_s() - start;
}

/* The process's name and CPU affinity, for the report's header. */
static void read_target(const struct host *h, struct diag_report *d)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", d->pid);
	if (host_read_line(h, path, d->comm, sizeof(d->comm)))
		d->comm[0] = '\0';
	if (pt_status_field(h, d->pid, "Cpus_allowed_list", d->cpus_allowed,
			    sizeof(d->cpus_allowed)))
		d->cpus_allowed[0] = '\0';
}

/* The CPUs any thread of the process may run on (the union). */
static void target_cpus(int pid, int tid, cpu_set_t *set)
{
	char path[64];
	DIR *dir;
	struct dirent *de;

	CPU_ZERO(set);
	if (tid) {
		sched_getaffinity(tid, sizeof(*set), set);
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if (!(dir = opendir(path))) {
		sched_getaffinity(pid, sizeof(*set), set);
		return;
	}
	while ((de = readdir(dir))) {
		cpu_set_t one;
		int t = atoi(de->d_name);
		if (t > 0 && !sched_getaffinity(t, sizeof(one), &one))
			CPU_OR(set, set, &one);
	}
	closedir(dir);
}

/* The observer out of the picture: agentune (one thread) moves to the CPUs
 * it may use that the target may not, so that its own work (reading the
 * ring buffer, the report) never delays the steps it measures.  NULL when
 * done, else why not. */
static const char *pin_off_target(int pid, int tid, char *why, size_t sz)
{
	cpu_set_t mine, theirs, off;

	if (sched_getaffinity(0, sizeof(mine), &mine)) {
		snprintf(why, sz, "sched_getaffinity: %s", strerror(errno));
		return why;
	}
	target_cpus(pid, tid, &theirs);
	if (!CPU_COUNT(&theirs)) {
		snprintf(why, sz, "the target's CPU affinity could not be read");
		return why;
	}
	CPU_ZERO(&off);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &mine) && !CPU_ISSET(c, &theirs))
			CPU_SET(c, &off);
	if (!CPU_COUNT(&off)) {
		snprintf(why, sz, "the target may run on every CPU agentune may use: no CPU to move to");
		return why;
	}
	if (sched_setaffinity(0, sizeof(off), &off)) {
		snprintf(why, sz, "sched_setaffinity: %s", strerror(errno));
		return why;
	}
	return NULL;
}

/* The target's cpu cgroup and its CPU quota (cgroup v1 cpu controller or
 * v2 cpu.max), for the throttling evidence. */
static void read_cgroup_quota(const struct host *h, int pid, struct verdict_host *vh)
{
	char path[384], line[512], buf[96];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (!(f = fopen(path, "r")))
		return;
	while (fgets(line, sizeof(line), f)) {
		char *ctl = strchr(line, ':'), *cg = ctl ? strchr(ctl + 1, ':') : NULL;
		if (!cg)
			continue;
		*cg++ = '\0';
		ctl++;
		cg[strcspn(cg, "\n")] = '\0';
		bool v1 = false;
		for (char *tok = strtok(ctl, ","); tok; tok = strtok(NULL, ","))
			v1 |= !strcmp(tok, "cpu");
		if (v1) {
			static const char *const mnt[] = { "cpu", "cpu,cpuacct", "cpuacct,cpu" };
			for (size_t i = 0; i < 3 && !vh->cpu_quota[0]; i++) {
				char q[32] = "", per[32] = "";
				snprintf(path, sizeof(path), "/sys/fs/cgroup/%s%s/cpu.cfs_quota_us", mnt[i], cg);
				if (host_read_line(h, path, q, sizeof(q)))
					continue;
				snprintf(path, sizeof(path), "/sys/fs/cgroup/%s%s/cpu.cfs_period_us", mnt[i], cg);
				host_read_line(h, path, per, sizeof(per));
				snprintf(vh->cgroup, sizeof(vh->cgroup), "%s (v1)", cg);
				if (strcmp(q, "-1"))
					snprintf(vh->cpu_quota, sizeof(vh->cpu_quota),
						 "cpu.cfs_quota_us %s per cpu.cfs_period_us %s", q, per);
			}
		} else if (!ctl[0] && !vh->cgroup[0]) {
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cpu.max", cg);
			if (!host_read_line(h, path, buf, sizeof(buf))) {
				snprintf(vh->cgroup, sizeof(vh->cgroup), "%s (v2)", cg);
				if (strncmp(buf, "max", 3))
					snprintf(vh->cpu_quota, sizeof(vh->cpu_quota), "cpu.max %s", buf);
			}
		}
	}
	fclose(f);
}

/* The target's cpu group and its cpu.stat at the start of the run: where
 * BTF cannot read the task's group, the throttled time during the run comes
 * from there (verdict.h). */
struct cpu_stat_watch {
	bool ok;
	char dir[PATH_MAX];
	struct cgroup_cpu_stat start;
	char why[PERR_TEXT_MAX];
};

static void cpu_stat_start(const struct host *h, int pid, struct cpu_stat_watch *w)
{
	struct parse_error e;

	memset(w, 0, sizeof(*w));
	memset(&e, 0, sizeof(e));
	if (cgroup_cpu_dir(h, pid, w->dir, sizeof(w->dir), w->why, sizeof(w->why)))
		return;
	if (cgroup_cpu_stat_read(h, w->dir, &w->start, &e)) {
		perr_format(&e, w->why, sizeof(w->why));
		return;
	}
	w->ok = true;
}

static void cpu_stat_end(const struct host *h, const struct cpu_stat_watch *w,
			 struct verdict_host *vh)
{
	struct cgroup_cpu_stat end;
	struct parse_error e;
	char why[PERR_TEXT_MAX];

	memset(&e, 0, sizeof(e));
	snprintf(vh->cpu_stat, sizeof(vh->cpu_stat), "%s/cpu.stat", w->dir);
	if (!w->ok) {
		snprintf(vh->cpu_stat_why, sizeof(vh->cpu_stat_why), "%s", w->why);
		return;
	}
	if (cgroup_cpu_stat_read(h, w->dir, &end, &e)) {
		perr_format(&e, why, sizeof(why));
		snprintf(vh->cpu_stat_why, sizeof(vh->cpu_stat_why), "at the end: %s", why);
		return;
	}
	vh->throttle_fallback = true;
	vh->nr_throttled = end.nr_throttled > w->start.nr_throttled ?
			   end.nr_throttled - w->start.nr_throttled : 0;
	vh->throttled_ns = end.throttled_ns > w->start.throttled_ns ?
			   end.throttled_ns - w->start.throttled_ns : 0;
}

/* Whether a PM QoS limit could act: an idle state deeper than polling. */
static void read_idle_states(const struct model *m, struct verdict_host *vh)
{
	vh->idle_states = false;
	if (!m || !m->idle.available) {
		snprintf(vh->idle_why, sizeof(vh->idle_why), "no cpuidle on this host (%s)",
			 m ? m->idle.why : "host model unavailable");
		return;
	}
	for (size_t c = 0; c < m->idle.n; c++)
		for (size_t i = 0; i < m->idle.cpu[c].nstates; i++)
			if (strcasecmp(m->idle.cpu[c].state[i].name, "POLL"))
				vh->idle_states = true;
	if (!vh->idle_states)
		snprintf(vh->idle_why, sizeof(vh->idle_why),
			 "no idle state deeper than polling (cpuidle driver '%s')",
			 m->idle.driver[0] ? m->idle.driver : "none");
}

static int report(const struct diag_opts *o, struct diag_report *d)
{
	char label[TARGET_PATH_MAX + 16];

	if (o->json) {
		struct json_object *j = report_diag_json(d), *t = NULL;

		/* The unit or cgroup beside the pid it started from. */
		if (json_object_object_get_ex(j, "target", &t) && t) {
			bool named = o->unit || o->cgroup;

			jw_put(t, "unit", named ? jw_known(o->target.unit) : NULL);
			jw_put(t, "cgroup", named ? jw_str(o->target.rel) : NULL);
		}
		int rc = jw_print(stdout, j);
		json_object_put(j);
		return rc ? EXIT_FAIL : EXIT_OK;
	}
	if (o->unit || o->cgroup)
		printf("agentune diagnose: %s (%s), its processes from pid %d on\n",
		       target_label(&o->target, label, sizeof(label)), o->target.dir, d->pid);
	report_diag_text(stdout, d);
	return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
}

int cmd_diagnose(int argc, char **argv)
{
	struct diag_opts o;
	int rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc;

	/* The host model gives topology, idle state names and, sampled over the
	 * run, the interrupt rates that name what interfered. */
	struct host h;
	struct model m;
	struct ksyms ks;
	if (host_open(&h, "/"))
		return fail("diagnose", "cannot open /: %s", strerror(errno));
	if ((o.unit || o.cgroup) && (rc = resolve_target(&h, &o)) != EXIT_OK) {
		host_close(&h);
		return rc;
	}
	if (kill(o.probe.pid, 0) < 0 && errno == ESRCH) {
		host_close(&h);
		return usage_error("diagnose", "no process with pid %d", o.probe.pid);
	}

	struct diag_report d = { .pid = o.probe.pid, .slowest = o.probe.slowest };
	read_target(&h, &d);
	bool have_model = model_read(&h, &m) == 0;
	bool have_ksyms = ksyms_read(&h, &ks) == 0;
	d.ksyms = have_ksyms ? &ks : NULL;
	d.host = &h;

	char err[512], pin_why[160];
	o.probe.observer_pin = pin_off_target(o.probe.pid, o.probe.tid, pin_why, sizeof(pin_why));
	struct probe *p = probe_open(&o.probe, err, sizeof(err));
	if (!p) {
		int e = errno;
		if (have_model)
			model_free(&m);
		if (have_ksyms)
			ksyms_free(&ks);
		host_close(&h);
		return e == ESRCH ? usage_error("diagnose", "%s", err) : fail("diagnose", "%s", err);
	}
	if (o.unit || o.cgroup)
		follow_target(&h, &o, p);
	struct cpu_stat_watch csw;
	cpu_stat_start(&h, o.probe.pid, &csw);
	d.duration_s = run(p, &h, &o, o.duration, &d.target_exited);
	if (have_model)
		model_sample(&h, &m, 0);

	struct probe_result *r = probe_result_new();
	struct verdict v;
	rc = r ? probe_read(p, r) : -ENOMEM;
	if (rc) {
		rc = fail("diagnose", "reading the BPF maps: %s", strerror(-rc));
	} else {
		struct verdict_host vh;
		memset(&vh, 0, sizeof(vh));
		vh.m = have_model ? &m : NULL;
		vh.ksyms = d.ksyms;
		read_idle_states(vh.m, &vh);
		read_cgroup_quota(&h, o.probe.pid, &vh);
		cpu_stat_end(&h, &csw, &vh);
		verdict_eval(r, &vh, &v);
		d.r = r;
		d.v = &v;
		d.vh = &vh;
		d.m = have_model ? &m : NULL;
		rc = report(&o, &d);
	}
	probe_result_free(r);
	probe_close(p);
	if (have_model)
		model_free(&m);
	if (have_ksyms)
		ksyms_free(&ks);
	host_close(&h);
	return rc;
}
