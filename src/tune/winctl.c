/* tune/winctl: the PM QoS window controller (see winctl.h). */
#include "tune/winctl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <json-c/json.h>
#include <linux/types.h>

#include "base/cpumask.h"
#include "base/errmsg.h"
#include "base/jsonw.h"
#include "base/util.h"
#include "inspect/procstat.h"
#include "tune/ctllog.h"
#include "stepwatch.h"
#include "stepwatch.skel.h"

#define STOP_GRACE_MS 3000
#define READY_TIMEOUT_MS 15000
#define STATE_EVERY_NS 1000000000ull   /* state file at most once a second while extending */

/* ---------- the pid file ---------- */

static void run_path(const char *dir, const char *name, char *out, size_t sz)
{
	snprintf(out, sz, "%s/%s", dir, name);
}

/* starttime of a live (not zombie) process, 0 when it is gone. */
static uint64_t start_of(int pid)
{
	struct host live;
	char path[64];
	uint64_t start = 0;
	if (pid <= 0 || host_open(&live, "/"))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	size_t len = 0;
	char *buf = host_read(&live, path, &len);
	struct task_stat ts;
	if (buf && !task_stat_parse(buf, len, &ts) && ts.state != 'Z' && ts.state != 'X')
		start = ts.starttime;
	free(buf);
	host_close(&live);
	return start;
}

static bool read_pidfile(const char *dir, int *pid, uint64_t *start)
{
	char path[4200], line[96];
	run_path(dir, WINCTL_PIDFILE, path, sizeof(path));
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool ok = fgets(line, sizeof(line), f) && sscanf(line, "%d %" SCNu64, pid, start) == 2 &&
		  *pid > 0;
	fclose(f);
	return ok;
}

const char *winctl_state(const char *run_dir, int *pid)
{
	int p;
	uint64_t start;
	if (pid)
		*pid = -1;
	if (!run_dir || !read_pidfile(run_dir, &p, &start) || !start || start_of(p) != start)
		return "stopped";
	if (pid)
		*pid = p;
	return "running";
}

/* Writes dir/name through a temporary file and a rename. */
static int write_atomic(const char *dir, const char *name, const char *text)
{
	char path[4200], tmp[4210];
	run_path(dir, name, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	size_t len = strlen(text);
	int rc = write(fd, text, len) == (ssize_t)len ? 0 : -EIO;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

/* ---------- stopping ---------- */

static bool gone(int pid, uint64_t start)
{
	if (start_of(pid) == start)
		return false;
	/* Our own child (apply undoing its start) is a zombie now: reaped
	 * here, after the look, so it cannot die between the two. */
	waitpid(pid, NULL, WNOHANG);
	return true;
}

static bool wait_gone(int pid, uint64_t start, int ms)
{
	for (int t = 0; t < ms; t += 10) {
		if (gone(pid, start))
			return true;
		usleep(10000);
	}
	return gone(pid, start);
}

static void remove_files(const char *dir)
{
	char path[4200];
	run_path(dir, WINCTL_PIDFILE, path, sizeof(path));
	unlink(path);
	run_path(dir, WINCTL_STATEFILE, path, sizeof(path));
	unlink(path);
}

int winctl_stop(const char *run_dir, char *why, size_t sz)
{
	int pid;
	uint64_t start;
	if (!read_pidfile(run_dir, &pid, &start) || !start || start_of(pid) != start) {
		remove_files(run_dir);
		return 0;
	}
	/* SIGTERM: it closes its windows (writes the originals back) first. */
	if (kill(pid, SIGTERM) && errno != ESRCH)
		return errmsg(why, sz, -errno, "cannot stop the window controller (pid %d): %s", pid,
			      strerror(errno));
	if (!wait_gone(pid, start, STOP_GRACE_MS)) {
		kill(pid, SIGKILL);
		if (!wait_gone(pid, start, 2000)) {
			return errmsg(why, sz, -ETIMEDOUT, "the window controller (pid %d) does not exit",
				      pid);
		}
	}
	remove_files(run_dir);
	return 0;
}

/* ---------- the running controller ---------- */

struct ctl {
	const struct host *h;
	const struct winctl_config *c;
	struct stepwatch_bpf *skel;
	struct ring_buffer *rb;
	struct window_sm sm;
	const struct winctl_knob **knob_of;   /* by CPU number */
	bool *drifted, *failed;               /* by CPU number */
	size_t nslots;
	int tfd, sfd, pidfd, epfd;
	uint64_t wakeups, last_state_ns;
	struct window_totals last_totals;
	double started_wall;
	bool agent_exited;
	bool exhausted;                       /* budget-exhausted logged, no window since */
};

static double wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile struct stepwatch_cpu *slot(struct ctl *x, unsigned cpu)
{
	return &x->skel->bss->cpus[cpu];
}

static bool cpu_online(const struct ctl *x, unsigned cpu)
{
	char path[80], v[16];
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/online", cpu);
	/* No online file (cpu0 on many machines): always online. */
	return host_read_line(x->h, path, v, sizeof(v)) || strcmp(v, "0");
}

/* The CPU holds our value or its original; anything else is someone
 * else's setting, which we leave alone from then on. */
static bool still_ours(struct ctl *x, unsigned cpu, const struct winctl_knob *k)
{
	char now[KNOB_VAL_MAX];
	if (knob_read(x->h, KNOB_PMQOS, k->target, now, sizeof(now)))
		return false;
	if (knob_same(KNOB_PMQOS, now, k->value) || knob_same(KNOB_PMQOS, now, k->original))
		return true;
	x->drifted[cpu] = true;
	return false;
}

static bool op_open(void *ctx, unsigned cpu)
{
	struct ctl *x = ctx;
	const struct winctl_knob *k = cpu < x->nslots ? x->knob_of[cpu] : NULL;
	char why[256];
	if (!k || x->drifted[cpu] || !cpu_online(x, cpu) || !still_ours(x, cpu, k))
		return false;
	x->failed[cpu] = knob_write(x->h, KNOB_PMQOS, k->target, k->value, why, sizeof(why)) != 0;
	if (x->failed[cpu])
		ctllog(LOG_ERR, "cpu%u: opening the window failed: %s", cpu, why);
	return !x->failed[cpu];
}

static void op_close(void *ctx, unsigned cpu)
{
	struct ctl *x = ctx;
	const struct winctl_knob *k = cpu < x->nslots ? x->knob_of[cpu] : NULL;
	char why[256];
	if (!k || !still_ours(x, cpu, k))
		return;
	/* An offline CPU's file may refuse: revert tries again. */
	x->failed[cpu] = knob_write(x->h, KNOB_PMQOS, k->target, k->original, why, sizeof(why)) != 0;
	if (x->failed[cpu])
		ctllog(LOG_ERR, "cpu%u: closing the window failed (revert writes it again): %s",
		       cpu, why);
}

static void op_floor(void *ctx, unsigned policy, bool on)
{
	struct ctl *x = ctx;
	if (policy >= x->c->npolicy)
		return;
	const struct winctl_knob *k = &x->c->policy[policy];
	char now[KNOB_VAL_MAX], why[256];
	if (knob_read(x->h, KNOB_CPUFREQ_MIN, k->target, now, sizeof(now)) ||
	    !(knob_same(KNOB_CPUFREQ_MIN, now, k->value) ||
	      knob_same(KNOB_CPUFREQ_MIN, now, k->original)))
		return;
	if (knob_write(x->h, KNOB_CPUFREQ_MIN, k->target, on ? k->value : k->original, why,
		       sizeof(why)))
		ctllog(LOG_ERR, "%s: %s the cpufreq floor failed: %s", k->target,
		       on ? "raising" : "lowering", why);
}

static uint64_t op_last_step(void *ctx, unsigned cpu)
{
	struct ctl *x = ctx;
	return cpu < x->nslots ? slot(x, cpu)->last_step_ns : 0;
}

/* notify = 1, then look whether a step came in the meantime (in which case
 * the BPF side may or may not have sent an event: a duplicate is ignored). */
static bool op_rearm(void *ctx, unsigned cpu, uint64_t since)
{
	struct ctl *x = ctx;
	if (cpu >= x->nslots || x->drifted[cpu] || x->agent_exited)
		return false;
	volatile struct stepwatch_cpu *s = slot(x, cpu);
	s->notify = 1;
	__sync_synchronize();
	uint64_t last = s->last_step_ns;
	if (!last || last < since)
		return false;
	s->notify = 0;
	return true;
}

static const struct window_ops ops = {
	.open = op_open, .close = op_close, .floor = op_floor,
	.last_step = op_last_step, .rearm = op_rearm,
};

/* ---------- the state file ---------- */

static const char *cpu_state(const struct ctl *x, unsigned cpu)
{
	if (x->drifted[cpu])
		return "drifted";
	if (x->failed[cpu])
		return "error";
	return window_state_name(x->sm.cpu[cpu].state);
}

static json_object *cpu_json(struct ctl *x, unsigned cpu, uint64_t now)
{
	const struct window_cpu *w = &x->sm.cpu[cpu];
	json_object *o = json_object_new_object();
	jw_put(o, "cpu", jw_int(cpu));
	jw_put(o, "state", jw_str(cpu_state(x, cpu)));
	jw_put(o, "open_share", jw_double(window_open_share(&x->sm, cpu, now)));
	jw_put(o, "opened", jw_int((int64_t)w->opened));
	jw_put(o, "extended", jw_int((int64_t)w->extended));
	jw_put(o, "denied", jw_int((int64_t)w->denied));
	jw_put(o, "steps", jw_int((int64_t)slot(x, cpu)->steps));
	return o;
}

static void write_state(struct ctl *x, uint64_t now)
{
	const struct window_params *p = &x->c->params;
	struct window_totals t;
	window_totals(&x->sm, &t);
	json_object *o = json_object_new_object(), *cpus = json_object_new_array();
	jw_put(o, "pid", jw_int(getpid()));
	jw_put(o, "apply", jw_int(x->c->apply));
	jw_put(o, "agent", jw_int(x->c->pid));
	jw_put(o, "agent_exited", jw_bool(x->agent_exited));
	jw_put(o, "started", jw_double(x->started_wall));
	jw_put(o, "updated", jw_double(wall_s()));
	jw_put(o, "uptime_s", jw_double((double)(now - x->sm.started_at) / 1e9));
	jw_put(o, "window_ms", jw_int((int64_t)(p->window_ns / 1000000u)));
	jw_put(o, "budget_tokens", jw_int(p->budget_tokens));
	jw_put(o, "refill_per_s", jw_int(p->refill_per_s));
	jw_put(o, "cost_per_window", jw_int(p->cost_per_window));
	jw_put(o, "tokens", jw_int(window_tokens(&x->sm, 0, now)));
	jw_put(o, "opened", jw_int((int64_t)t.opened));
	jw_put(o, "extended", jw_int((int64_t)t.extended));
	jw_put(o, "denied", jw_int((int64_t)t.denied));
	jw_put(o, "wakeups", jw_int((int64_t)x->wakeups));
	for (size_t cpu = 0; cpu < x->nslots; cpu++)
		if (x->knob_of[cpu])
			json_object_array_add(cpus, cpu_json(x, (unsigned)cpu, now));
	jw_put(o, "cpus", cpus);
	const char *s = jw_line(o);
	char *line = NULL;
	if (s && asprintf(&line, "%s\n", s) > 0)
		write_atomic(x->c->run_dir, WINCTL_STATEFILE, line);
	free(line);
	json_object_put(o);
	x->last_state_ns = now;
	x->last_totals = t;
}

/* On every open, close and denial; while windows are only extended, at
 * most once a second. */
static void maybe_write_state(struct ctl *x, uint64_t now)
{
	struct window_totals t;
	window_totals(&x->sm, &t);
	/* Once per run of denials: the first since a window last opened. */
	if (t.opened != x->last_totals.opened)
		x->exhausted = false;
	if (t.denied != x->last_totals.denied && !x->exhausted) {
		x->exhausted = true;
		ctllog(LOG_WARNING, "token budget exhausted: %" PRId64 " of %" PRId64 " tokens "
		       "left, %" PRIu64 " windows denied so far; windows wait for the refill (%"
		       PRId64 "/s)", window_tokens(&x->sm, 0, now), x->c->params.budget_tokens,
		       t.denied, x->c->params.refill_per_s);
	}
	bool changed = t.opened != x->last_totals.opened || t.closed != x->last_totals.closed ||
		       t.denied != x->last_totals.denied;
	if (changed || (t.extended != x->last_totals.extended &&
			now - x->last_state_ns >= STATE_EVERY_NS))
		write_state(x, now);
}

/* ---------- set-up ---------- */


static int on_event(void *ctx, void *data, size_t len)
{
	struct ctl *x = ctx;
	const struct stepwatch_event *ev = data;
	if (len >= sizeof(*ev) && !x->agent_exited)
		window_step(&x->sm, ev->cpu, mono_ns());
	return 0;
}

/* tp_btf first, raw_tp where BTF-typed tracepoints do not load. */
static int load_bpf(struct ctl *x, bool raw, char *why, size_t sz)
{
	struct stepwatch_bpf *s = stepwatch_bpf__open();
	if (!s)
		return errmsg(why, sz, -errno, "cannot open the step watcher BPF object: %s", strerror(errno));
	s->rodata->targ_tgid = x->c->pid > 0 ? (uint32_t)x->c->pid : 0;
	s->rodata->follow_children = x->c->follow_children;
	s->rodata->self_tgid = (uint32_t)getpid();
	struct bpf_program *btf[] = { s->progs.btf_sched_switch, s->progs.btf_sched_process_fork,
				      s->progs.btf_sched_process_exit };
	struct bpf_program *rawp[] = { s->progs.raw_sched_switch, s->progs.raw_sched_process_fork,
				       s->progs.raw_sched_process_exit };
	for (size_t i = 0; i < ARRAY_SIZE(btf); i++) {
		bpf_program__set_autoload(btf[i], !raw);
		bpf_program__set_autoload(rawp[i], raw);
	}
	int err = stepwatch_bpf__load(s);
	if (!err) {
		for (size_t cpu = 0; cpu < x->nslots; cpu++)
			if (x->knob_of[cpu]) {
				s->bss->cpus[cpu].in_scope = 1;
				s->bss->cpus[cpu].notify = 1;
			}
		err = stepwatch_bpf__attach(s);
	}
	if (err) {
		errmsg(why, sz, 0, "cannot %s the step watcher BPF programs (%s): %s",
		    s->links.btf_sched_switch || s->links.raw_sched_switch ? "attach" : "load",
		    raw ? "raw_tp" : "tp_btf", strerror(-err));
		stepwatch_bpf__destroy(s);
		return err;
	}
	x->skel = s;
	return 0;
}

/* Which policy (index into c->policy) covers each managed CPU. */
static int policies_of(struct ctl *x, int *pol)
{
	for (size_t i = 0; i < x->nslots; i++)
		pol[i] = -1;
	for (size_t p = 0; p < x->c->npolicy; p++) {
		char path[160];
		struct cpumask m;
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpufreq/%s/related_cpus",
			 x->c->policy[p].target);
		/* Whole, however many CPUs: a fixed buffer would cut the list. */
		char *list = host_read(x->h, path, NULL);
		if (!list)
			continue;
		cpumask_init(&m);
		int prc = cpulist_parse(list, &m);
		free(list);
		if (!prc)
			for (int cpu = cpumask_next(&m, -1); cpu >= 0; cpu = cpumask_next(&m, cpu))
				if ((size_t)cpu < x->nslots)
					pol[cpu] = (int)p;
		cpumask_free(&m);
	}
	return 0;
}

static int map_cpus(struct ctl *x, char *why, size_t sz)
{
	unsigned max = 0;
	for (size_t i = 0; i < x->c->ncpu; i++) {
		uint64_t cpu;
		if (!parse_u64(x->c->cpu[i].target, &cpu) || cpu >= STEPWATCH_MAX_CPUS)
			return errmsg(why, sz, -EINVAL, "CPU %s: not a CPU the controller can watch (0..%d)",
				   x->c->cpu[i].target, STEPWATCH_MAX_CPUS - 1);
		if (cpu + 1 > max)
			max = (unsigned)cpu + 1;
	}
	x->nslots = max;
	x->knob_of = calloc(max ? max : 1, sizeof(*x->knob_of));
	x->drifted = calloc(max ? max : 1, sizeof(bool));
	x->failed = calloc(max ? max : 1, sizeof(bool));
	if (!x->knob_of || !x->drifted || !x->failed)
		return errmsg(why, sz, -ENOMEM, "out of memory");
	for (size_t i = 0; i < x->c->ncpu; i++)
		x->knob_of[strtoul(x->c->cpu[i].target, NULL, 10)] = &x->c->cpu[i];
	return 0;
}

static int setup_sm(struct ctl *x, char *why, size_t sz)
{
	int *pol = calloc(x->nslots ? x->nslots : 1, sizeof(*pol));
	if (!pol)
		return errmsg(why, sz, -ENOMEM, "out of memory");
	policies_of(x, pol);
	int rc = window_init(&x->sm, &x->c->params, x->nslots, 1, x->c->npolicy, &ops, x,
			     mono_ns());
	for (size_t cpu = 0; !rc && cpu < x->nslots; cpu++)
		if (x->knob_of[cpu])
			rc = window_cpu_setup(&x->sm, (unsigned)cpu, 0, pol[cpu]);
	free(pol);
	if (rc)
		errmsg(why, sz, 0, "window parameters: %s", strerror(-rc));
	return rc;
}

static int add_fd(struct ctl *x, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	return epoll_ctl(x->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int setup_fds(struct ctl *x, char *why, size_t sz)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	x->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	x->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	x->epfd = epoll_create1(EPOLL_CLOEXEC);
	x->rb = ring_buffer__new(bpf_map__fd(x->skel->maps.events), on_event, x, NULL);
	if (x->sfd < 0 || x->tfd < 0 || x->epfd < 0 || !x->rb)
		return errmsg(why, sz, -errno, "cannot set up the controller's descriptors: %s",
			   strerror(errno));
	if (x->c->pid > 0) {
		x->pidfd = (int)syscall(SYS_pidfd_open, x->c->pid, 0);
		if (x->pidfd < 0)
			return errmsg(why, sz, -errno, "agent process %d: %s", x->c->pid, strerror(errno));
	}
	int rc = add_fd(x, x->sfd);
	if (!rc)
		rc = add_fd(x, x->tfd);
	if (!rc)
		rc = add_fd(x, ring_buffer__epoll_fd(x->rb));
	if (!rc && x->pidfd >= 0)
		rc = add_fd(x, x->pidfd);
	if (rc)
		errmsg(why, sz, 0, "epoll: %s", strerror(-rc));
	return rc;
}

static int write_pidfile(const struct ctl *x, char *why, size_t sz)
{
	char line[64];
	uint64_t start = start_of(getpid());
	snprintf(line, sizeof(line), "%d %" PRIu64 "\n", (int)getpid(), start);
	int rc = start ? write_atomic(x->c->run_dir, WINCTL_PIDFILE, line) : -ESRCH;
	if (rc)
		errmsg(why, sz, 0, "cannot write %s/%s: %s", x->c->run_dir, WINCTL_PIDFILE, strerror(-rc));
	return rc;
}

/* The controller runs off the CPUs it manages where there are others: its
 * own wakeups there would be what the agent's windows are for. */
static void keep_off_managed(const struct ctl *x)
{
	/* Sized from the possible CPUs, not CPU_SETSIZE (1024): a larger
	 * host would make sched_getaffinity fail with EINVAL. */
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return;
	size_t nbits = (size_t)ncpu > x->nslots ? (size_t)ncpu : x->nslots;
	cpu_set_t *off = CPU_ALLOC(nbits);
	size_t size = CPU_ALLOC_SIZE(nbits);
	if (!off)
		return;
	if (!sched_getaffinity(0, size, off)) {
		for (size_t cpu = 0; cpu < x->nslots; cpu++)
			if (x->knob_of[cpu])
				CPU_CLR_S(cpu, size, off);
		if (CPU_COUNT_S(size, off))
			sched_setaffinity(0, size, off);
	}
	CPU_FREE(off);
}

static int setup(struct ctl *x, char *why, size_t sz)
{
	int rc = window_params_check(&x->c->params, why, sz);
	if (!rc)
		rc = map_cpus(x, why, sz);
	if (!rc)
		keep_off_managed(x);
	if (!rc && load_bpf(x, false, why, sz))
		rc = load_bpf(x, true, why, sz);
	if (!rc)
		rc = setup_sm(x, why, sz);
	if (!rc)
		rc = setup_fds(x, why, sz);
	if (!rc)
		rc = write_pidfile(x, why, sz);
	return rc;
}

static void teardown(struct ctl *x)
{
	ring_buffer__free(x->rb);
	stepwatch_bpf__destroy(x->skel);
	window_free(&x->sm);
	for (int *fd = &x->tfd; fd <= &x->epfd; fd++)
		if (*fd >= 0)
			close(*fd);
	free(x->knob_of);
	free(x->drifted);
	free(x->failed);
}

/* ---------- the loop ---------- */

static void arm_timer(struct ctl *x)
{
	uint64_t d = window_next_deadline(&x->sm);
	struct itimerspec its = { 0 };
	if (d) {
		its.it_value.tv_sec = (time_t)(d / 1000000000ull);
		its.it_value.tv_nsec = (long)(d % 1000000000ull);
	}
	timerfd_settime(x->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* The agent is gone: close everything and keep the BPF side quiet. */
static void agent_gone(struct ctl *x, uint64_t now)
{
	x->agent_exited = true;
	for (size_t cpu = 0; cpu < x->nslots; cpu++) {
		slot(x, (unsigned)cpu)->notify = 0;
		slot(x, (unsigned)cpu)->in_scope = 0;
	}
	window_close_all(&x->sm, now, false);
	epoll_ctl(x->epfd, EPOLL_CTL_DEL, x->pidfd, NULL);
	write_state(x, now);
}

/* Before the deadlines are served: a CPU that went offline closes. */
static void check_offline(struct ctl *x, uint64_t now)
{
	for (size_t cpu = 0; cpu < x->nslots; cpu++) {
		const struct window_cpu *w = &x->sm.cpu[cpu];
		if (w->state == WINDOW_OPEN && w->deadline <= now && !cpu_online(x, (unsigned)cpu))
			window_cpu_offline(&x->sm, (unsigned)cpu, now);
	}
}

/* Serves one ready descriptor; false when the controller must stop. */
static bool serve(struct ctl *x, int fd)
{
	uint64_t now = mono_ns();
	if (fd == x->sfd) {
		struct signalfd_siginfo si;
		return read(x->sfd, &si, sizeof(si)) != (ssize_t)sizeof(si);
	}
	if (fd == x->tfd) {
		uint64_t n;
		if (read(x->tfd, &n, sizeof(n)) < 0 && errno == EAGAIN)
			return true;
		check_offline(x, now);
		window_tick(&x->sm, now);
	} else if (fd == x->pidfd) {
		agent_gone(x, now);
	} else {
		ring_buffer__consume(x->rb);
	}
	maybe_write_state(x, mono_ns());
	return true;
}

static void loop(struct ctl *x)
{
	for (;;) {
		arm_timer(x);
		struct epoll_event ev[4];
		int n = epoll_wait(x->epfd, ev, 4, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		x->wakeups++;
		for (int i = 0; i < n; i++)
			if (!serve(x, ev[i].data.fd))
				return;
	}
}

static void report(int fd, const char *fmt, const char *why)
{
	if (fd < 0)
		return;
	dprintf(fd, fmt, why);
	close(fd);
}

int winctl_run(const struct host *h, const struct winctl_config *c, int ready_fd)
{
	struct ctl x = { .h = h, .c = c, .tfd = -1, .sfd = -1, .pidfd = -1, .epfd = -1 };
	char why[512] = "";
	x.started_wall = wall_s();
	ctllog_open();
	if (setup(&x, why, sizeof(why))) {
		ctllog(LOG_ERR, "not started: %s", why);
		report(ready_fd, "error: %s\n", why);
		teardown(&x);
		ctllog_close();
		return 1;
	}
	write_state(&x, mono_ns());
	ctllog(LOG_INFO, "started: agent pid %d, %zu CPUs, window %" PRIu64 " ms, budget %"
	       PRId64 " tokens (refill %" PRId64 "/s, %" PRId64 " per window)", x.c->pid,
	       x.c->ncpu, x.c->params.window_ns / 1000000, x.c->params.budget_tokens,
	       x.c->params.refill_per_s, x.c->params.cost_per_window);
	report(ready_fd, "%s\n", "ok");
	loop(&x);
	window_close_all(&x.sm, mono_ns(), false);
	write_state(&x, mono_ns());
	struct window_totals t;
	window_totals(&x.sm, &t);
	ctllog(LOG_INFO, "stopped: windows opened %" PRIu64 ", extended %" PRIu64 ", denied %"
	       PRIu64 "%s", t.opened, t.extended, t.denied,
	       x.agent_exited ? " (the agent had exited)" : "");
	teardown(&x);
	ctllog_close();
	return 0;
}

/* ---------- starting ---------- */

/* In the child: its own session, stdio on /dev/null, no descriptor of the
 * parent's but the ready pipe (the journal's lock must not outlive apply). */
static void become_daemon(int ready)
{
	setsid();
	if (chdir("/"))
		_exit(1);
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	if (ready != 3 && dup2(ready, 3) < 0)
		_exit(1);
	syscall(SYS_close_range, 4u, ~0u, 0u);
	libbpf_set_print(NULL);
}

/* Reads the child's one line.  0 for "ok". */
static int wait_ready(int fd, pid_t child, char *why, size_t sz)
{
	char buf[600] = "";
	size_t n = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (n < sizeof(buf) - 1 && poll(&p, 1, READY_TIMEOUT_MS) > 0) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(buf, '\n', n))
			break;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!strcmp(buf, "ok"))
		return 0;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	if (!strncmp(buf, "error: ", 7))
		errmsg(why, sz, 0, "window controller: %s", buf + 7);
	else
		errmsg(why, sz, 0, "window controller: exited before it was ready");
	return -EIO;
}

int winctl_start(const struct host *h, const struct winctl_config *c, char *why, size_t sz)
{
	int pid;
	if (!strcmp(winctl_state(c->run_dir, &pid), "running"))
		return errmsg(why, sz, -EEXIST, "a window controller is already running (pid %d)", pid);
	int rc = window_params_check(&c->params, why, sz);
	if (rc)
		return rc;
	if (c->pid > 0 && kill(c->pid, 0) && errno == ESRCH)
		return errmsg(why, sz, -ESRCH, "agent process %d does not exist", c->pid);
	int fds[2];
	if (pipe2(fds, O_CLOEXEC))
		return errmsg(why, sz, -errno, "pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t child = fork();
	if (child < 0) {
		rc = -errno;
		close(fds[0]);
		close(fds[1]);
		return errmsg(why, sz, rc, "fork: %s", strerror(-rc));
	}
	if (child == 0) {
		close(fds[0]);
		become_daemon(fds[1]);
		/* The parent's host descriptor did not survive the close above. */
		struct host own;
		if (host_open(&own, h->root)) {
			report(3, "error: %s\n", "cannot open the host root");
			_exit(1);
		}
		_exit(winctl_run(&own, c, 3));
	}
	close(fds[1]);
	rc = wait_ready(fds[0], child, why, sz);
	close(fds[0]);
	return rc;
}

/* ---------- reading the state file ---------- */

static int64_t get_i(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static double get_d(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_double(v) : 0;
}

/* The shares as of now: the time since the last update counts as it was
 * then (a window open then is open still, closed ones stay closed). */
static double share_now(double share, double uptime, double since, const char *state)
{
	double total = uptime + (since > 0 ? since : 0);
	if (total <= 0)
		return 0;
	double open = share * uptime + (!strcmp(state, "open") && since > 0 ? since : 0);
	return open / total;
}

static int read_cpus(json_object *arr, struct winctl_status *st, double since)
{
	size_t n = json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	st->cpu = calloc(n ? n : 1, sizeof(*st->cpu));
	if (!st->cpu)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(arr, i), *v;
		struct winctl_cpu_status *c = &st->cpu[st->ncpu++];
		c->cpu = (unsigned)get_i(o, "cpu");
		if (json_object_object_get_ex(o, "state", &v))
			copy_str(c->state, sizeof(c->state), json_object_get_string(v));
		c->open_share = share_now(get_d(o, "open_share"), st->uptime_s, since, c->state);
		c->opened = (uint64_t)get_i(o, "opened");
		c->extended = (uint64_t)get_i(o, "extended");
		c->denied = (uint64_t)get_i(o, "denied");
		c->steps = (uint64_t)get_i(o, "steps");
	}
	return 0;
}

int winctl_status_read(const char *run_dir, struct winctl_status *st, char *why, size_t sz)
{
	memset(st, 0, sizeof(*st));
	char path[4200];
	run_path(run_dir, WINCTL_STATEFILE, path, sizeof(path));
	json_object *o = json_object_from_file(path);
	if (!o) {
		if (access(path, F_OK))
			return 0;
		return errmsg(why, sz, -EINVAL, "%s: not valid JSON", path);
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return errmsg(why, sz, -EINVAL, "%s: not a JSON object", path);
	}
	st->present = true;
	st->pid = (int)get_i(o, "pid");
	st->agent = (int)get_i(o, "agent");
	st->apply = (unsigned)get_i(o, "apply");
	json_object *v;
	st->agent_exited = json_object_object_get_ex(o, "agent_exited", &v) &&
			   json_object_get_boolean(v);
	st->started = (int64_t)get_d(o, "started");
	double updated = get_d(o, "updated"), since = wall_s() - updated;
	st->updated = (int64_t)updated;
	st->uptime_s = get_d(o, "uptime_s");
	st->window_ms = (uint64_t)get_i(o, "window_ms");
	st->tokens = get_i(o, "tokens");
	st->budget_tokens = get_i(o, "budget_tokens");
	st->refill_per_s = get_i(o, "refill_per_s");
	st->cost_per_window = get_i(o, "cost_per_window");
	st->opened = (uint64_t)get_i(o, "opened");
	st->extended = (uint64_t)get_i(o, "extended");
	st->denied = (uint64_t)get_i(o, "denied");
	st->wakeups = (uint64_t)get_i(o, "wakeups");
	int pid;
	st->running = !strcmp(winctl_state(run_dir, &pid), "running") && pid == st->pid;
	/* A dead controller's figures stop where it wrote them last. */
	if (!st->running)
		since = 0;
	int rc = json_object_object_get_ex(o, "cpus", &v) ? read_cpus(v, st, since) : 0;
	st->uptime_s += since > 0 ? since : 0;
	json_object_put(o);
	return rc;
}

void winctl_status_free(struct winctl_status *st)
{
	free(st->cpu);
	memset(st, 0, sizeof(*st));
}
