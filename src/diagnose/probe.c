/* diagnose/probe: loads bpf/diagnose.bpf.c through its skeleton and reads its maps.
 * See probe.h for the interface. */
#include "diagnose/probe.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "diagnose.skel.h"
#include "base/errmsg.h"
#include "base/host.h"
#include "base/util.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define S(x) (1u << (x))
#define ALL_STAGES (S(STAGE_MAX) - 1)

/* The kernel's BPF run-time statistics cost two clock reads around every
 * run of every BPF program on the machine (about 30 ns a run in a VM, as
 * much as our programs themselves): they are on in windows of
 * STATS_WINDOW_NS, one every STATS_PERIOD_NS on average, the first from the
 * start, and give each program's time per run.  How many times each ran is
 * counted by the programs themselves (the `runs` map), so the run's cost is
 * exact counts times sampled times per run.  The gaps between windows are
 * random (half to one and a half times the mean) so that a periodic
 * workload is not always sampled in the same phase.  Each switch patches
 * the kernel's text (a few IPIs): about twice a second costs nothing
 * measurable. */
#define STATS_PERIOD_NS 1000000000ull
#define STATS_WINDOW_NS 100000000ull

/* The tracepoints (enum diag_tp in diagnose.h).  `pair` is the
 * offset of the other half of an entry/exit pair: one half alone would
 * leave the CPU "in an interrupt" forever, so both go or neither. */
struct tp_def {
	const char *name;          /* program suffix and tracepoint name */
	const char *cat;           /* tracing category, for messages */
	unsigned stages;           /* stages that cannot work without it */
	unsigned feats;            /* features that cannot work without it */
	int pair;
	bool core;                 /* without it there are no steps at all */
};

static const struct tp_def tp_defs[TP_MAX] = {
	[TP_SCHED_WAKING] = { "sched_waking", "sched", ALL_STAGES, 0, 0, true },
	[TP_SCHED_SWITCH] = { "sched_switch", "sched", ALL_STAGES, 0, 0, true },
	[TP_SCHED_WAKEUP_NEW] = { "sched_wakeup_new", "sched", 0, S(FEAT_FOLLOW), 0, false },
	/* Also where a wakeup queues a thread: no sched_wakeup program (it
	 * would run on every wakeup of the system for that alone). */
	[TP_SCHED_MIGRATE] = { "sched_migrate_task", "sched", 0,
			       S(FEAT_MIGRATION) | S(FEAT_WAKEUP_TARGET), 0, false },
	[TP_FORK] = { "sched_process_fork", "sched", 0, S(FEAT_FOLLOW), 0, false },
	[TP_EXIT] = { "sched_process_exit", "sched", 0, 0, 0, false },
	[TP_IRQ_ENTRY] = { "irq_handler_entry", "irq", S(STAGE_IRQ), S(FEAT_WAKE_HARDIRQ), 1, false },
	[TP_IRQ_EXIT] = { "irq_handler_exit", "irq", S(STAGE_IRQ), S(FEAT_WAKE_HARDIRQ), -1, false },
	[TP_LOC_ENTRY] = { "local_timer_entry", "irq_vectors", 0, S(FEAT_WAKE_VECTORS), 1, false },
	[TP_LOC_EXIT] = { "local_timer_exit", "irq_vectors", 0, S(FEAT_WAKE_VECTORS), -1, false },
	[TP_RES_ENTRY] = { "reschedule_entry", "irq_vectors", 0, S(FEAT_WAKE_VECTORS), 1, false },
	[TP_RES_EXIT] = { "reschedule_exit", "irq_vectors", 0, S(FEAT_WAKE_VECTORS), -1, false },
	[TP_CAL_ENTRY] = { "call_function_entry", "irq_vectors", 0, S(FEAT_WAKE_VECTORS), 1, false },
	[TP_CAL_EXIT] = { "call_function_exit", "irq_vectors", 0, S(FEAT_WAKE_VECTORS), -1, false },
	[TP_CAL1_ENTRY] = { "call_function_single_entry", "irq_vectors", 0, S(FEAT_WAKE_VECTORS), 1, false },
	[TP_CAL1_EXIT] = { "call_function_single_exit", "irq_vectors", 0, S(FEAT_WAKE_VECTORS), -1, false },
	[TP_SOFTIRQ_ENTRY] = { "softirq_entry", "irq", S(STAGE_SOFTIRQ), S(FEAT_WAKE_SOFTIRQ), 1, false },
	[TP_SOFTIRQ_EXIT] = { "softirq_exit", "irq", S(STAGE_SOFTIRQ), S(FEAT_WAKE_SOFTIRQ), -1, false },
	[TP_NAPI_POLL] = { "napi_poll", "napi", 0, S(FEAT_NAPI_DEVICE), 0, false },
	[TP_CPU_IDLE] = { "cpu_idle", "power", S(STAGE_IDLE_EXIT), 0, 0, false },
	[TP_CPU_FREQ] = { "cpu_frequency", "power", 0, S(FEAT_FREQUENCY), 0, false },
	[TP_SYS_ENTER] = { "sys_enter", "raw_syscalls", 0, S(FEAT_SYSCALL), 0, false },
	[TP_SYS_EXIT] = { "sys_exit", "raw_syscalls", 0, 0, 0, false },
	[TP_PAGE_FAULT] = { "page_fault_user", "exceptions", 0, S(FEAT_PAGE_FAULTS), 0, false },
	[TP_RQ_ISSUE] = { "block_rq_issue", "block", S(STAGE_BLOCK_IO), 0, 1, false },
	[TP_RQ_COMPLETE] = { "block_rq_complete", "block", S(STAGE_BLOCK_IO), S(FEAT_CHAIN_BLOCK), -1, false },
	[TP_WQ_START] = { "workqueue_execute_start", "workqueue", 0,
			  S(FEAT_WORK_FUNC) | S(FEAT_CHAIN_WORKQUEUE), 0, false },
	[TP_SOFTIRQ_RAISE] = { "softirq_raise", "irq", 0, S(FEAT_CHAIN_SOFTIRQ), 0, false },
	[TP_HRT_ENTRY] = { "hrtimer_expire_entry", "timer", 0, S(FEAT_CHAIN_TIMER), 1, false },
	[TP_HRT_EXIT] = { "hrtimer_expire_exit", "timer", 0, S(FEAT_CHAIN_TIMER), -1, false },
	[TP_WQ_QUEUE] = { "workqueue_queue_work", "workqueue", 0, S(FEAT_CHAIN_WORKQUEUE), 0, false },
};

struct tp_state {
	bool want;                 /* loaded in this attempt */
	bool attached;
	char why[160];             /* why not wanted or not attached */
	struct bpf_link *link;
};

/* A loaded program's run time and count summed over the statistics
 * windows, and the kernel's cumulative values when they were last taken. */
struct prog_acc {
	uint64_t base_ns, base_cnt;
	uint64_t ns, cnt;
};

struct probe {
	struct probe_opts opts;
	struct host own_host;
	const struct host *host;
	bool own;
	struct diagnose_bpf *skel;
	struct ring_buffer *rb;
	struct tp_state tp[TP_MAX];
	bool raw;
	char mode_why[192];
	int stats_fd;              /* >= 0 while a statistics window is open */
	char stats_why[128];
	bool stats_ok;             /* statistics could be enabled */
	uint64_t stats_t0;         /* when the first window opened (CLOCK_MONOTONIC ns) */
	uint64_t t0;               /* when the programs were attached */
	uint64_t stats_since;      /* the open window's time already accounted up to */
	uint64_t stats_next;       /* when the next window opens or the open one closes */
	uint64_t stats_on_ns;      /* window time accounted */
	uint64_t stats_rng;        /* xorshift state for the gaps */
	struct prog_acc acc[TP_MAX];
	unsigned ncpus;
	bool cpufreq;
	char cpufreq_why[128];
	bool syscall_regs;         /* syscall from saved registers, not sys_enter */
	/* Min-heap of the slowest steps, by delay_ns: `cap` grows with the
	 * steps (2% of them, for the p99 tail) up to PROBE_MAX_KEPT. */
	struct step_event *heap;
	size_t nheap, cap;
	uint64_t floor_delay;      /* what the kernel was last told to send */
	uint64_t slots_full;       /* threads user space found no slot for */
	bool throttle_btf;         /* the task group's throttled time is readable */
	char throttle_why[160];
	char *logbuf;
};

/* libbpf's print callback has no user pointer: the last warning is kept per
 * thread so that a failed load can say why. */
static __thread char last_libbpf_msg[256];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	const char *dbg = getenv("AGENTUNE_BPF_DEBUG");

	if (dbg && *dbg) {
		va_list aq;

		va_copy(aq, ap);
		vfprintf(stderr, fmt, aq);
		va_end(aq);
	}
	if (level == LIBBPF_WARN) {
		vsnprintf(last_libbpf_msg, sizeof(last_libbpf_msg), fmt, ap);
		last_libbpf_msg[strcspn(last_libbpf_msg, "\n")] = '\0';
	}
	return 0;
}

/* ---- names ------------------------------------------------------------ */

const char *probe_stage_name(unsigned stage)
{
	static const char *const n[STAGE_MAX] = {
		"wake_run", "idle_exit", "queue", "run", "irq", "softirq", "wait", "block_io",
		"completion", "throttle", "unattributed", "preempted", "delay", "warm_idle",
	};
	return stage < STAGE_MAX ? n[stage] : "?";
}

const char *probe_wake_kind_name(unsigned kind)
{
	static const char *const n[WAKE_KINDS] = {
		"unknown", "hardirq", "softirq", "timer", "task", "ipi",
	};
	return kind < WAKE_KINDS ? n[kind] : "?";
}

const char *probe_feature_name(unsigned f)
{
	static const char *const n[FEAT_MAX] = {
		"wake_hardirq", "wake_vectors", "wake_softirq", "napi_device", "work_function",
		"wakeup_target", "migration", "frequency", "syscall", "page_faults", "follow",
		"chain_softirq", "chain_timer", "chain_workqueue", "chain_block", "throttle",
		"observer_pinned",
	};
	return f < FEAT_MAX ? n[f] : "?";
}

const char *probe_softirq_name(unsigned vec)
{
	static const char *const n[] = {
		"HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET",
		"SCHED", "HRTIMER", "RCU",
	};
	return vec < ARRAY_SIZE(n) ? n[vec] : "?";
}

const char *probe_chain_kind_name(unsigned kind)
{
	static const char *const n[CHAIN_KINDS] = {
		"unknown", "hardirq", "softirq", "timer", "workqueue", "block", "task",
	};
	return kind < CHAIN_KINDS ? n[kind] : "?";
}

const char *probe_chain_reason(unsigned reason)
{
	static const char *const n[CR_REASONS] = {
		"",
		"in a hardirq whose entry was not seen",
		"softirq raise not seen: timed from the softirq's entry",
		"work queued unseen (before the start, or its record overwritten): timed from its execution",
		"the interrupt tracepoints are not attached",
	};
	return reason < CR_REASONS ? n[reason] : "?";
}

const char *probe_vector_name(unsigned vec)
{
	switch (vec) {
	case DIAG_VEC_LOCAL_TIMER: return "LOC";
	case DIAG_VEC_RESCHEDULE: return "RES";
	case DIAG_VEC_CALL_FUNC:
	case DIAG_VEC_CALL_FUNC1: return "CAL";
	}
	return "?";
}

/* ---- checks before loading --------------------------------------------- */

static bool has_cap(unsigned cap)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return false;
	return cap < 64 && (data[cap / 32].effective & (1u << (cap % 32)));
}

static bool may_load_bpf(void)
{
	return has_cap(CAP_SYS_ADMIN) || (has_cap(CAP_BPF) && has_cap(CAP_PERFMON));
}

static const char perm_msg[] =
	"loading BPF tracing programs needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN): run as root";

/* State letter of /proc/PID/stat, 0 when it cannot be read. */
static char proc_state(const struct host *h, int pid, int *ppid)
{
	char path[64], buf[2048]; /* 52 fields of up to 20 digits and a comm */

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (host_read_line(h, path, buf, sizeof(buf)))
		return 0;
	const char *r = strrchr(buf, ')');
	char st = 0;
	int pp = 0;

	if (!r || sscanf(r + 1, " %c %d", &st, &pp) < 1)
		return 0;
	if (ppid)
		*ppid = pp;
	return st;
}

static void detect_cpufreq(struct probe *p)
{
	p->cpufreq = false;
	for (unsigned c = 0; c < p->ncpus; c++) {
		char path[96];

		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/cpufreq", c);
		if (host_is_dir(p->host, path)) {
			p->cpufreq = true;
			return;
		}
	}
	copy_str(p->cpufreq_why, sizeof(p->cpufreq_why),
		 "no cpufreq driver (/sys/devices/system/cpu/cpu*/cpufreq absent)");
}

/* Which tracepoints this attempt loads, and why the others are left out. */
static void choose_tracepoints(struct probe *p, const struct btf *vmlinux)
{
	unsigned off = p->opts.disable_stages, foff = p->opts.disable_features;

	for (int i = 0; i < TP_MAX; i++) {
		struct tp_state *t = &p->tp[i];
		const struct tp_def *d = &tp_defs[i];
		char tname[96];

		memset(t, 0, sizeof(*t));
		t->want = true;
		snprintf(tname, sizeof(tname), "btf_trace_%s", d->name);
		if (vmlinux && btf__find_by_name_kind(vmlinux, tname, BTF_KIND_TYPEDEF) < 0) {
			t->want = false;
			snprintf(t->why, sizeof(t->why), "tracepoint %s:%s not in this kernel",
				 d->cat, d->name);
		} else if (!d->core && (d->stages || d->feats) && (d->stages & ~off) == 0 &&
			   (d->feats & ~foff) == 0) {
			/* Serves only stages and features the caller turned off. */
			t->want = false;
			snprintf(t->why, sizeof(t->why), "not loaded: what it measures is disabled");
		} else if (i == TP_CPU_FREQ && !p->cpufreq) {
			t->want = false;
			copy_str(t->why, sizeof(t->why), p->cpufreq_why);
		}
	}
	/* The syscall a wait blocked in comes from the thread's saved registers
	 * where the kernel can give them (x86): raw_syscalls would run a
	 * program on every syscall of the system and slow every syscall
	 * entry.  Elsewhere sys_enter records it, and a user page fault ends
	 * "in a syscall" as well as sys_exit does, so sys_exit (one more
	 * program per syscall) runs only without page_fault_user. */
	if (foff & S(FEAT_SYSCALL)) {
		for (int i = TP_SYS_ENTER; i <= TP_SYS_EXIT; i++) {
			p->tp[i].want = false;
			copy_str(p->tp[i].why, sizeof(p->tp[i].why), "not loaded: its feature is disabled");
		}
	} else if (p->syscall_regs) {
		for (int i = TP_SYS_ENTER; i <= TP_SYS_EXIT; i++) {
			p->tp[i].want = false;
			copy_str(p->tp[i].why, sizeof(p->tp[i].why),
				 "not needed: the syscall is read from the saved registers");
		}
	} else if (p->tp[TP_PAGE_FAULT].want) {
		p->tp[TP_SYS_EXIT].want = false;
		copy_str(p->tp[TP_SYS_EXIT].why, sizeof(p->tp[TP_SYS_EXIT].why),
			 "not needed: page_fault_user marks the end of a syscall");
	}
}

static struct bpf_program *tp_prog(struct diagnose_bpf *skel, int i, bool raw)
{
	char name[64];

	snprintf(name, sizeof(name), "%s_%s", raw ? "raw" : "btf", tp_defs[i].name);
	return bpf_object__find_program_by_name(skel->obj, name);
}

/* ---- load and attach ----------------------------------------------------- */

static void last_log_line(const char *log, char *out, size_t sz)
{
	size_t n = log ? strlen(log) : 0;

	while (n && (log[n - 1] == '\n' || log[n - 1] == ' '))
		n--;
	size_t s = n;

	while (s && log[s - 1] != '\n')
		s--;
	copy_strn(out, sz, log + s, n - s);
}

static void detach_all(struct probe *p)
{
	for (int i = 0; i < TP_MAX; i++) {
		bpf_link__destroy(p->tp[i].link);
		p->tp[i].link = NULL;
		p->tp[i].attached = false;
	}
}

static void destroy_skel(struct probe *p)
{
	detach_all(p);
	diagnose_bpf__destroy(p->skel);
	p->skel = NULL;
}

static int configure(struct probe *p, bool raw)
{
	struct diagnose_bpf *s = p->skel;
	int err;

	s->rodata->targ_tgid = (uint32_t)p->opts.pid;
	s->rodata->targ_tid = (uint32_t)p->opts.tid;
	s->rodata->follow_children = p->opts.children;
	s->rodata->stage_disable = p->opts.disable_stages;
	s->rodata->slow_floor_ns = p->opts.slow_floor_ns;
	s->rodata->syscall_from_regs = p->syscall_regs;
	s->rodata->self_tgid = (uint32_t)(p->opts.self_tgid > 0 ? p->opts.self_tgid : getpid());
	s->rodata->throttle_on = p->throttle_btf;
	s->rodata->sample_budget = p->opts.no_sampling ? 0 : DIAG_SAMPLE_BUDGET;
	if ((err = bpf_map__set_max_entries(s->maps.cpus, p->ncpus)) ||
	    (err = bpf_map__set_max_entries(s->maps.cpu_freq, p->ncpus)))
		return err;
	for (int i = 0; i < TP_MAX; i++) {
		struct bpf_program *b = tp_prog(s, i, false), *r = tp_prog(s, i, true);

		if (!b || !r)
			return -ENOENT;
		bpf_program__set_autoload(b, p->tp[i].want && !raw);
		bpf_program__set_autoload(r, p->tp[i].want && raw);
	}
	return 0;
}

/* Attaches what was loaded; 0, or -errno when a core tracepoint failed
 * (its reason in err). */
static int attach_all(struct probe *p, bool raw, char *err, size_t errsz)
{
	/* Backwards: exits before entries (an entry alone would leave a CPU
	 * "in an interrupt"), and the context tracepoints before the
	 * scheduler ones, so that the first steps already know it. */
	int order[TP_MAX], n = 0;

	/* softirq_raise right after softirq_entry, not before it: a raise
	 * recorded while entries were not yet seen would stay "pending" until
	 * the first entry after attaching, which then started its chain tens
	 * of ms early (seen on NET_RX: 16-24 ms). */
	for (int i = TP_MAX - 1; i >= 0; i--) {
		if (i == TP_SOFTIRQ_RAISE)
			continue;
		order[n++] = i;
		if (i == TP_SOFTIRQ_ENTRY)
			order[n++] = TP_SOFTIRQ_RAISE;
	}
	for (int k = 0; k < n; k++) {
		int i = order[k];
		struct tp_state *t = &p->tp[i];

		if (!t->want)
			continue;
		t->link = bpf_program__attach(tp_prog(p->skel, i, raw));
		if (!t->link) {
			int e = errno;

			snprintf(t->why, sizeof(t->why), "%s:%s did not attach (%s): %s",
				 tp_defs[i].cat, tp_defs[i].name, raw ? "raw_tp" : "tp_btf",
				 strerror(e));
			if (tp_defs[i].core)
				return errmsg(err, errsz, e ? -e : -EINVAL, "%s", t->why);
			continue;
		}
		t->attached = true;
	}
	for (int i = 0; i < TP_MAX; i++) {
		struct tp_state *t = &p->tp[i], *o;

		if (!tp_defs[i].pair || !t->attached)
			continue;
		o = &p->tp[i + tp_defs[i].pair];
		if (o->attached)
			continue;
		bpf_link__destroy(t->link);
		t->link = NULL;
		t->attached = false;
		snprintf(t->why, sizeof(t->why), "detached: its pair %s:%s is missing",
			 tp_defs[i].cat, tp_defs[i + tp_defs[i].pair].name);
	}
	return 0;
}

/* The frequency each CPU runs at now and its policy's max, before
 * cpu_frequency events update the first. */
static void seed_frequencies(struct probe *p)
{
	int fd = bpf_map__fd(p->skel->maps.cpu_freq);
	static const char *const cur[] = { "scaling_cur_freq", "cpuinfo_cur_freq" };
	static const char *const max[] = { "cpuinfo_max_freq", "scaling_max_freq" };

	if (!p->cpufreq)
		return;
	for (unsigned c = 0; c < p->ncpus; c++) {
		struct { uint32_t cur_khz, max_khz; } v = { 0, 0 };
		char path[112];
		uint64_t khz;

		for (int i = 0; i < 2 && !v.cur_khz; i++) {
			snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/cpufreq/%s", c, cur[i]);
			if (!host_read_u64(p->host, path, &khz))
				v.cur_khz = khz > UINT32_MAX ? UINT32_MAX : (uint32_t)khz;
		}
		for (int i = 0; i < 2 && !v.max_khz; i++) {
			snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/cpufreq/%s", c, max[i]);
			if (!host_read_u64(p->host, path, &khz))
				v.max_khz = khz > UINT32_MAX ? UINT32_MAX : (uint32_t)khz;
		}
		if (v.cur_khz || v.max_khz)
			bpf_map_update_elem(fd, &c, &v, BPF_ANY);
	}
}

/* Whether struct `sname` has a member `member` in the kernel's BTF. */
static bool btf_has_member(const struct btf *btf, const char *sname, const char *member)
{
	int id = btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, (unsigned)id) : NULL;
	const struct btf_member *m = t ? btf_members(t) : NULL;

	for (unsigned i = 0; t && i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), member))
			return true;
	return false;
}

/* Throttling is read from the task's group: task->se.cfs_rq->tg->
 * cfs_bandwidth.throttled_time (CONFIG_FAIR_GROUP_SCHED and
 * CONFIG_CFS_BANDWIDTH). */
static void detect_throttle(struct probe *p, const struct btf *vmlinux)
{
	const char *off = getenv("AGENTUNE_DIAG_NO_BTF_THROTTLE");

	/* Test hook: the cpu.stat fallback on a kernel where BTF works. */
	if (off && *off && strcmp(off, "0")) {
		p->throttle_btf = false;
		copy_str(p->throttle_why, sizeof(p->throttle_why),
			 "reading the task's group through BTF turned off (AGENTUNE_DIAG_NO_BTF_THROTTLE)");
		return;
	}
	p->throttle_btf = vmlinux && btf_has_member(vmlinux, "sched_entity", "cfs_rq") &&
			  btf_has_member(vmlinux, "cfs_rq", "tg") &&
			  btf_has_member(vmlinux, "task_group", "cfs_bandwidth") &&
			  btf_has_member(vmlinux, "cfs_bandwidth", "throttled_time");
	if (!p->throttle_btf)
		copy_str(p->throttle_why, sizeof(p->throttle_why),
			 "the kernel's BTF has no task group bandwidth (sched_entity.cfs_rq, "
			 "task_group.cfs_bandwidth.throttled_time): CONFIG_CFS_BANDWIDTH off");
}

/* One attempt in one mode: open, configure, load, attach. */
static int try_mode(struct probe *p, bool raw, const struct btf *vmlinux, char *err, size_t errsz)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo,
		    .kernel_log_buf = p->logbuf,
		    .kernel_log_size = p->logbuf ? 1u << 20 : 0);
	int e;

	choose_tracepoints(p, vmlinux);
	if (p->logbuf)
		p->logbuf[0] = '\0';
	last_libbpf_msg[0] = '\0';
	p->skel = diagnose_bpf__open_opts(&oo);
	if (!p->skel) {
		e = errno ? errno : EINVAL;
		return errmsg(err, errsz, -e, "opening the BPF object: %s", strerror(e));
	}
	if ((e = configure(p, raw))) {
		destroy_skel(p);
		return errmsg(err, errsz, e, "configuring the BPF object: %s", strerror(-e));
	}
	if ((e = diagnose_bpf__load(p->skel))) {
		char line[160];

		last_log_line(p->logbuf, line, sizeof(line));
		if (getenv("AGENTUNE_BPF_DEBUG") && p->logbuf)
			fprintf(stderr, "%s\n", p->logbuf);
		if (e == -EPERM || e == -EACCES)
			errmsg(err, errsz, e, "%s (%s)", perm_msg, strerror(-e));
		else
			errmsg(err, errsz, e, "loading the %s programs: %s%s%s%s%s",
			       raw ? "raw_tp" : "tp_btf", strerror(-e),
			       line[0] ? ": verifier: " : "", line,
			       last_libbpf_msg[0] && !line[0] ? ": " : "",
			       line[0] ? "" : last_libbpf_msg);
		destroy_skel(p);
		return e;
	}
	/* Before attaching, so that cpu_frequency events win over sysfs. */
	seed_frequencies(p);
	if ((e = attach_all(p, raw, err, errsz))) {
		destroy_skel(p);
		return e;
	}
	return 0;
}

/* ---- the threads followed --------------------------------------------- */

/* The thread's slot in the kernel's table of followed threads (diagnose.h):
 * the kernel may take slots meanwhile, hence the compare-and-swap. */
static bool slot_insert(struct probe *p, uint32_t tid)
{
	struct diag_slot *slots = p->skel->bss->slots;
	uint32_t way[2] = { diag_slot_a(tid), diag_slot_b(tid) };

	for (int i = 0; i < 2; i++)
		if (__atomic_load_n(&slots[way[i]].tid, __ATOMIC_ACQUIRE) == tid)
			return true;
	for (int i = 0; i < 2; i++) {
		uint32_t free_tid = 0;

		if (__atomic_compare_exchange_n(&slots[way[i]].tid, &free_tid, tid, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return true;
	}
	return false;
}

static void add_thread(struct probe *p, int tgid, int tid)
{
	struct diag_thread t;
	char path[96], comm[64] = "";
	uint32_t key = (uint32_t)tid;

	memset(&t, 0, sizeof(t));
	t.cur_syscall = -1;
	t.block_syscall = -1;
	t.last_cpu = -1;
	t.wakeup_cpu = -1;
	t.st.tid = (uint32_t)tid;
	t.st.tgid = (uint32_t)tgid;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", tgid, tid);
	if (host_read_line(p->host, path, comm, sizeof(comm)) == 0)
		copy_str(t.st.comm, sizeof(t.st.comm), comm);
	/* The kernel may have added it already (it follows the target's
	 * threads as soon as they wake): keep what it measured. */
	t.win_cpu = -1;
	bpf_map_update_elem(bpf_map__fd(p->skel->maps.threads), &key, &t, BPF_NOEXIST);
	if (!slot_insert(p, key))
		p->slots_full++;
}

static void add_process(struct probe *p, int pid)
{
	struct strlist tasks;
	char path[64];

	strlist_init(&tasks);
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if (host_list(p->host, path, &tasks) == 0) {
		for (size_t i = 0; i < tasks.n; i++) {
			int64_t tid;

			if (!parse_s64(tasks.v[i], &tid) || tid <= 0 || tid > INT32_MAX)
				continue;
			if (pid == p->opts.pid && p->opts.tid && tid != p->opts.tid)
				continue;
			add_thread(p, pid, (int)tid);
		}
	}
	strlist_free(&tasks);
}

int probe_add_process(struct probe *p, int pid)
{
	if (!p->opts.children || pid <= 0)
		return -EINVAL;
	add_process(p, pid);
	return 0;
}

/* The target's living descendants, for --children. */
static void add_descendants(struct probe *p)
{
	struct strlist procs;
	int *pid = NULL, *ppid = NULL;
	size_t n = 0;
	bool *in;

	strlist_init(&procs);
	if (host_list(p->host, "/proc", &procs)) {
		strlist_free(&procs);
		return;
	}
	pid = calloc(procs.n + 1, sizeof(int));
	ppid = calloc(procs.n + 1, sizeof(int));
	in = calloc(procs.n + 1, sizeof(bool));
	for (size_t i = 0; pid && ppid && in && i < procs.n; i++) {
		int64_t v;
		int pp;

		if (!parse_s64(procs.v[i], &v) || v <= 0 || v > INT32_MAX)
			continue;
		if (proc_state(p->host, (int)v, &pp)) {
			pid[n] = (int)v;
			ppid[n++] = pp;
		}
	}
	/* Fixed point: a process is in when its parent is. */
	for (bool more = true; more && pid && ppid && in;) {
		more = false;
		for (size_t i = 0; i < n; i++) {
			if (in[i] || pid[i] == p->opts.pid)
				continue;
			bool parent_in = ppid[i] == p->opts.pid;

			for (size_t j = 0; !parent_in && j < n; j++)
				parent_in = in[j] && pid[j] == ppid[i];
			if (parent_in) {
				in[i] = true;
				more = true;
				add_process(p, pid[i]);
			}
		}
	}
	free(pid);
	free(ppid);
	free(in);
	strlist_free(&procs);
}

/* ---- slow steps ---------------------------------------------------------- */

static int read_percpu(int fd, uint32_t key, uint64_t *out, size_t n, unsigned ncpus);

static void heap_swap(struct step_event *a, struct step_event *b)
{
	struct step_event t = *a;

	*a = *b;
	*b = t;
}

static void heap_down(struct step_event *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && h[l].delay_ns < h[m].delay_ns)
			m = l;
		if (r < n && h[r].delay_ns < h[m].delay_ns)
			m = r;
		if (m == i)
			return;
		heap_swap(&h[i], &h[m]);
		i = m;
	}
}

static void heap_up(struct step_event *h, size_t i)
{
	while (i) {
		size_t parent = (i - 1) / 2;

		if (h[parent].delay_ns <= h[i].delay_ns)
			return;
		heap_swap(&h[i], &h[parent]);
		i = parent;
	}
}

/* Steps counted by the kernel so far (every CPU). */
static uint64_t kernel_steps(struct probe *p)
{
	uint64_t cnt[CNT_MAX];
	int fd = bpf_map__fd(p->skel->maps.counters);

	memset(cnt, 0, sizeof(cnt));
	read_percpu(fd, 0, cnt, CNT_MAX, p->ncpus);
	return cnt[CNT_STEPS];
}

/* The heap may hold 2% of the steps (the p99 tail is 1%), at least the
 * slowest asked for, at most PROBE_MAX_KEPT: grown when full and allowed. */
static bool heap_grow(struct probe *p)
{
	size_t want = (size_t)(kernel_steps(p) / 50) + 100, cap;
	struct step_event *h;

	if (want > PROBE_MAX_KEPT)
		want = PROBE_MAX_KEPT;
	if (want <= p->cap)
		return false;
	cap = p->cap * 2 < want ? want : p->cap * 2;
	if (cap > PROBE_MAX_KEPT)
		cap = PROBE_MAX_KEPT;
	h = realloc(p->heap, cap * sizeof(*h));
	if (!h)
		return false;
	p->heap = h;
	p->cap = cap;
	return true;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct probe *p = ctx;
	struct step_event ev;

	if (size < sizeof(ev))
		return 0;
	memcpy(&ev, data, sizeof(ev));
	if (p->nheap == p->cap)
		heap_grow(p);
	if (p->nheap < p->cap) {
		p->heap[p->nheap] = ev;
		heap_up(p->heap, p->nheap++);
	} else if (ev.delay_ns > p->heap[0].delay_ns) {
		p->heap[0] = ev;
		heap_down(p->heap, p->nheap, 0);
	} else {
		return 0;
	}
	/* Full: only steps slower than the fastest kept one are worth sending. */
	if (p->nheap == p->cap) {
		p->floor_delay = p->heap[0].delay_ns + 1;
		*(volatile __u64 *)&p->skel->bss->slow_ns = p->floor_delay;
	}
	return 0;
}

/* ---- BPF statistics windows ----------------------------------------------- */

static bool prog_info(const struct bpf_program *prog, uint64_t *ns, uint64_t *cnt)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	int fd = prog ? bpf_program__fd(prog) : -1;

	if (fd < 0)
		return false;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	*ns = info.run_time_ns;
	*cnt = info.run_cnt;
	return true;
}

/* Takes the kernel's counters: with `add`, what they gained since the last
 * time is added to the window sums (they only move while statistics are on,
 * ours or someone else's, hence the explicit windows). */
static void stats_take(struct probe *p, bool add)
{
	for (int i = 0; i < TP_MAX; i++) {
		struct prog_acc *a = &p->acc[i];
		uint64_t ns, cnt;

		if (!p->tp[i].want || !prog_info(tp_prog(p->skel, i, p->raw), &ns, &cnt))
			continue;
		if (add && ns >= a->base_ns && cnt >= a->base_cnt) {
			a->ns += ns - a->base_ns;
			a->cnt += cnt - a->base_cnt;
		}
		a->base_ns = ns;
		a->base_cnt = cnt;
	}
}

/* The open window's time and runs so far go into the sums. */
static void stats_account(struct probe *p, uint64_t now)
{
	if (p->stats_fd < 0)
		return;
	stats_take(p, true);
	p->stats_on_ns += now - p->stats_since;
	p->stats_since = now;
}

/* After attaching: the first window starts now (statistics were enabled
 * before loading, to say early when they cannot be). */
static void stats_start(struct probe *p)
{
	if (p->stats_fd < 0)
		return;
	p->stats_ok = true;
	stats_take(p, false);
	p->stats_t0 = p->stats_since = mono_ns();
	p->stats_rng = (p->stats_t0 ^ ((uint64_t)getpid() << 32)) | 1;
	p->stats_next = p->stats_t0 + STATS_WINDOW_NS;
}

/* A gap between two windows: uniform in [0.5, 1.5] times the mean gap. */
static uint64_t stats_gap(struct probe *p)
{
	const uint64_t mean = STATS_PERIOD_NS - STATS_WINDOW_NS;
	uint64_t x = p->stats_rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	p->stats_rng = x;
	return mean / 2 + x % (mean + 1);
}

/* Opens or closes the window when its time has come. */
static void stats_tick(struct probe *p)
{
	uint64_t now;

	if (!p->stats_ok || p->opts.stats_always || (now = mono_ns()) < p->stats_next)
		return;
	if (p->stats_fd >= 0) {
		stats_account(p, now);
		close(p->stats_fd);
		p->stats_fd = -1;
		p->stats_next = now + stats_gap(p);
		return;
	}
	p->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (p->stats_fd < 0) {
		p->stats_next = now + stats_gap(p);        /* try again later */
		return;
	}
	stats_take(p, false);
	p->stats_since = mono_ns();
	p->stats_next = p->stats_since + STATS_WINDOW_NS;
}

/* Milliseconds until stats_tick() has something to do, capped at max. */
static int stats_wait_ms(const struct probe *p, int max)
{
	uint64_t now, left;

	if (!p->stats_ok || p->opts.stats_always)
		return max;
	now = mono_ns();
	left = p->stats_next > now ? (p->stats_next - now + 999999) / 1000000 : 0;
	return max < 0 || left < (uint64_t)max ? (int)left : max;
}

/* ---- open / close --------------------------------------------------------- */

/* The steps of probe_open.  Each returns 0 or a negative errno with the
 * reason in err; probe_open closes what they set up when one fails. */

static bool options_valid(const struct probe_opts *o)
{
	return o && o->pid > 0 && o->tid >= 0 && o->slowest <= PROBE_MAX_SLOWEST;
}

static struct probe *probe_new(const struct probe_opts *opts)
{
	struct probe *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->opts = *opts;
	p->stats_fd = -1;
	return p;
}

/* The caller's host, which must be the live one (BPF sees this kernel: /proc
 * of a snapshot would lie), or "/" opened here. */
static int use_host(struct probe *p, char *err, size_t errsz)
{
	int e;

	if (p->opts.host) {
		p->host = p->opts.host;
		if (!p->host->live)
			return errmsg(err, errsz, -EINVAL,
				      "diagnose needs the live host, not the tree at %s", p->host->root);
		return 0;
	}
	if ((e = host_open(&p->own_host, "/")))
		return errmsg(err, errsz, e, "opening /: %s", strerror(-e));
	p->own = true;
	p->host = &p->own_host;
	return 0;
}

static int check_target(const struct probe *p, char *err, size_t errsz)
{
	char st = proc_state(p->host, p->opts.pid, NULL);
	char path[64];

	if (!st || st == 'X')
		return errmsg(err, errsz, -ESRCH, "no such process: %d", p->opts.pid);
	if (!p->opts.tid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/task/%d", p->opts.pid, p->opts.tid);
	if (!host_is_dir(p->host, path))
		return errmsg(err, errsz, -ESRCH, "no thread %d in process %d", p->opts.tid,
			      p->opts.pid);
	return 0;
}

static int check_rights(char *err, size_t errsz)
{
	return may_load_bpf() ? 0 : errmsg(err, errsz, -EPERM, "%s", perm_msg);
}

/* libbpf's messages through our callback, and the possible CPUs the
 * per-CPU maps are sized by. */
static int init_libbpf(struct probe *p, char *err, size_t errsz)
{
	int n;

	libbpf_set_print(libbpf_print);
	n = libbpf_num_possible_cpus();

	if (n <= 0)
		return errmsg(err, errsz, n ? n : -EINVAL, "cannot count the possible CPUs: %s",
			      strerror(-n));
	p->ncpus = (unsigned)n;
	return 0;
}

static int load_vmlinux_btf(struct btf **out, char *err, size_t errsz)
{
	*out = btf__load_vmlinux_btf();
	if (*out)
		return 0;
	return errmsg(err, errsz, -ENOTSUP,
		      "the kernel has no BTF (/sys/kernel/btf/vmlinux: %s); "
		      "the CO-RE programs need CONFIG_DEBUG_INFO_BTF",
		      strerror(errno ? errno : ENOTSUP));
}

/* The heap of slow steps, and room for the verifier's log (without it a
 * failed load says less, which is no reason to fail). */
static int alloc_buffers(struct probe *p, char *err, size_t errsz)
{
	p->cap = p->opts.slowest ? p->opts.slowest : PROBE_DEFAULT_SLOWEST;
	if (p->cap < 100)
		p->cap = 100;
	p->heap = calloc(p->cap, sizeof(*p->heap));
	p->logbuf = malloc(1u << 20);
	return p->heap ? 0 : errmsg(err, errsz, -ENOMEM, "out of memory");
}

/* Statistics before loading, so that a kernel without them is known early;
 * the windows start once attached (stats_start). */
static void enable_stats(struct probe *p)
{
	if (p->opts.no_stats) {
		copy_str(p->stats_why, sizeof(p->stats_why), "statistics not requested");
		return;
	}
	/* By default the programs time one run in 64 themselves (count_run()
	 * in diagnose.bpf.c): the kernel's statistics switch patches kernel
	 * text and interrupts every CPU, which the measured agent would pay. */
	if (!p->opts.stats_always)
		return;
	p->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (p->stats_fd < 0)
		snprintf(p->stats_why, sizeof(p->stats_why), "BPF_ENABLE_STATS failed: %s",
			 strerror(errno));
}

/* bpf_task_pt_regs (5.15) reads the syscall from the saved registers; the
 * x86 check of "in a syscall" is in diagnose.bpf.c. */
static void choose_syscall_source(struct probe *p)
{
#if defined(__x86_64__)
	p->syscall_regs = libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT,
						  BPF_FUNC_task_pt_regs, NULL) > 0;
#else
	(void)p;
#endif
}

/* tp_btf programs, or raw_tp ones when forced or when tp_btf fails for any
 * reason but a lack of rights (raw_tp would fail the same way). */
static int load_and_attach(struct probe *p, const struct btf *vmlinux, char *err, size_t errsz)
{
	int e;

	p->raw = p->opts.force_raw_tp;
	if (p->raw)
		copy_str(p->mode_why, sizeof(p->mode_why), "raw_tp forced");
	e = try_mode(p, p->raw, vmlinux, err, errsz);
	if (e && !p->raw && e != -EPERM) {
		errmsg(p->mode_why, sizeof(p->mode_why), 0, "tp_btf failed: %s", err);
		p->raw = true;
		e = try_mode(p, true, vmlinux, err, errsz);
	}
	return e;
}

/* Everything up to programs attached and running. */
static int load_programs(struct probe *p, char *err, size_t errsz)
{
	struct btf *vmlinux;
	int e = load_vmlinux_btf(&vmlinux, err, errsz);

	if (e)
		return e;
	e = alloc_buffers(p, err, errsz);
	if (!e) {
		detect_cpufreq(p);
		detect_throttle(p, vmlinux);
		enable_stats(p);
		choose_syscall_source(p);
		e = load_and_attach(p, vmlinux, err, errsz);
	}
	btf__free(vmlinux);
	free(p->logbuf);
	p->logbuf = NULL;
	return e;
}

/* Stages whose tracepoints did not attach record nothing. */
static void disable_unattached_stages(struct probe *p)
{
	unsigned off = 0;

	for (int i = 0; i < TP_MAX; i++)
		if (!p->tp[i].attached)
			off |= tp_defs[i].stages;
	p->skel->bss->stage_off = off;
	p->skel->bss->wake_target_off = !p->tp[TP_SCHED_MIGRATE].attached;
	p->skel->bss->slow_ns = 0;
}

/* After attaching: the threads that exist now and the ring buffer of slow
 * steps, then the statistics windows.  A thread created from now on is
 * caught by sched_process_fork, one created before is in /proc. */
static int start_following(struct probe *p, char *err, size_t errsz)
{
	disable_unattached_stages(p);
	add_process(p, p->opts.pid);
	if (p->opts.children)
		add_descendants(p);
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.events), on_event, p, NULL);
	if (!p->rb) {
		int e = errno ? errno : ENOMEM;

		return errmsg(err, errsz, -e, "creating the ring buffer reader: %s", strerror(e));
	}
	p->t0 = mono_ns();
	stats_start(p);
	return 0;
}

struct probe *probe_open(const struct probe_opts *opts, char *err, size_t errsz)
{
	struct probe *p;
	int e;

	if (err && errsz)
		err[0] = '\0';
	if (!options_valid(opts)) {
		errno = -errmsg(err, errsz, -EINVAL, "invalid probe options");
		return NULL;
	}
	p = probe_new(opts);
	if (!p) {
		errno = -errmsg(err, errsz, -ENOMEM, "out of memory");
		return NULL;
	}
	if ((e = use_host(p, err, errsz)) || (e = check_target(p, err, errsz)) ||
	    (e = check_rights(err, errsz)) || (e = init_libbpf(p, err, errsz)) ||
	    (e = load_programs(p, err, errsz)) || (e = start_following(p, err, errsz))) {
		probe_close(p);
		errno = -e;
		return NULL;
	}
	return p;
}

void probe_close(struct probe *p)
{
	if (!p)
		return;
	ring_buffer__free(p->rb);
	if (p->skel)
		destroy_skel(p);
	if (p->stats_fd >= 0)
		close(p->stats_fd);
	if (p->own)
		host_close(&p->own_host);
	free(p->heap);
	free(p->logbuf);
	free(p);
}

int probe_poll(struct probe *p, int timeout_ms)
{
	/* The kernel wakes the reader only when the ring fills up (see
	 * RINGBUF_WAKE_BYTES): after the wait, take what is there anyway. */
	int n = ring_buffer__poll(p->rb, stats_wait_ms(p, timeout_ms));
	int m;

	stats_tick(p);
	if (n < 0)
		return n;
	m = ring_buffer__consume(p->rb);
	return m < 0 ? m : n + m;
}

int probe_fd(const struct probe *p)
{
	return ring_buffer__epoll_fd(p->rb);
}

bool probe_target_alive(struct probe *p)
{
	char st = proc_state(p->host, p->opts.pid, NULL);

	return st && st != 'Z' && st != 'X';
}

const char *probe_mode(const struct probe *p)
{
	return p->raw ? "raw_tp" : "tp_btf";
}

/* ---- reading --------------------------------------------------------------- */

struct probe_result *probe_result_new(void)
{
	return calloc(1, sizeof(struct probe_result));
}

static void result_clear(struct probe_result *r)
{
	free(r->threads);
	free(r->slow);
	free(r->tps);
	free(r->progs);
	free(r->cpu_steps);
	free(r->cpu_steps_seen);
	free(r->culprits);
	memset(r, 0, sizeof(*r));
}

void probe_result_free(struct probe_result *r)
{
	if (!r)
		return;
	result_clear(r);
	free(r);
}

/* Sums a per-CPU array element of n u64 into out; with col_out, also keeps
 * value number col of each CPU's slice there (ncpus of them). */
static int read_percpu_col(int fd, uint32_t key, uint64_t *out, size_t n, unsigned ncpus,
			   size_t col, uint64_t *col_out)
{
	size_t stride = n * sizeof(uint64_t);   /* already a multiple of 8 */
	uint64_t *buf = calloc(ncpus, stride);

	if (!buf)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, buf)) {
		int e = -errno;

		free(buf);
		return e;
	}
	for (unsigned c = 0; c < ncpus; c++) {
		for (size_t i = 0; i < n; i++)
			out[i] += buf[c * n + i];
		if (col_out)
			col_out[c] = buf[c * n + col];
	}
	free(buf);
	return 0;
}

static int read_percpu(int fd, uint32_t key, uint64_t *out, size_t n, unsigned ncpus)
{
	return read_percpu_col(fd, key, out, n, ncpus, 0, NULL);
}

static int cmp_thread(const void *a, const void *b)
{
	const struct probe_thread *x = a, *y = b;

	if (x->exited != y->exited)
		return x->exited ? 1 : -1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static int read_threads(struct probe *p, struct probe_result *r)
{
	int tfd = bpf_map__fd(p->skel->maps.threads), dfd = bpf_map__fd(p->skel->maps.dead_threads);
	size_t cap = bpf_map__max_entries(p->skel->maps.threads) +
		     bpf_map__max_entries(p->skel->maps.dead_threads);
	struct diag_thread t;
	struct thread_stat st;
	uint32_t key, next, *prev;

	r->threads = calloc(cap, sizeof(*r->threads));
	if (!r->threads)
		return -ENOMEM;
	for (int pass = 0; pass < 2; pass++) {
		int fd = pass ? dfd : tfd;

		for (prev = NULL; bpf_map_get_next_key(fd, prev, &next) == 0; prev = &key) {
			key = next;
			if (pass == 0 && bpf_map_lookup_elem(fd, &key, &t) == 0)
				st = t.st;
			else if (pass == 1 && bpf_map_lookup_elem(fd, &key, &st) == 0)
				;
			else
				continue;
			if (r->nthreads >= cap)
				break;
			struct probe_thread *o = &r->threads[r->nthreads++];

			o->tid = key;
			o->tgid = st.tgid;
			copy_strn(o->comm, sizeof(o->comm), st.comm, sizeof(st.comm));
			o->steps = st.steps;
			o->wake_run_sum_ns = st.wake_run_sum_ns;
			o->run_sum_ns = st.run_sum_ns;
			o->exited = pass == 1;
		}
	}
	qsort(r->threads, r->nthreads, sizeof(*r->threads), cmp_thread);
	return 0;
}

static int cmp_slow(const void *a, const void *b)
{
	const struct step_event *x = a, *y = b;

	if (x->delay_ns != y->delay_ns)
		return x->delay_ns > y->delay_ns ? -1 : 1;
	return x->ts_ns < y->ts_ns ? -1 : x->ts_ns > y->ts_ns;
}

static void availability(struct probe *p, struct probe_result *r)
{
	for (int s = 0; s < STAGE_MAX; s++) {
		struct probe_avail *a = &r->stages[s];

		a->available = true;
		if (p->opts.disable_stages & S(s)) {
			a->available = false;
			copy_str(a->why, sizeof(a->why), "disabled by request");
			continue;
		}
		for (int i = 0; i < TP_MAX && a->available; i++) {
			if ((tp_defs[i].stages & S(s)) && !p->tp[i].attached) {
				a->available = false;
				copy_str(a->why, sizeof(a->why), p->tp[i].why);
			}
		}
	}
	for (int f = 0; f < FEAT_MAX; f++) {
		struct probe_avail *a = &r->features[f];

		a->available = true;
		for (int i = 0; i < TP_MAX && a->available; i++) {
			if ((tp_defs[i].feats & S(f)) && !p->tp[i].attached) {
				a->available = false;
				copy_str(a->why, sizeof(a->why), p->tp[i].why);
			}
		}
	}
	if (!p->cpufreq) {
		r->features[FEAT_FREQUENCY].available = false;
		copy_str(r->features[FEAT_FREQUENCY].why, sizeof(r->features[0].why), p->cpufreq_why);
	}
	if (!p->throttle_btf) {
		r->features[FEAT_THROTTLE].available = false;
		copy_str(r->features[FEAT_THROTTLE].why, sizeof(r->features[0].why), p->throttle_why);
		r->stages[STAGE_THROTTLE].available = false;
		copy_str(r->stages[STAGE_THROTTLE].why, sizeof(r->stages[0].why), p->throttle_why);
	}
	if (p->opts.observer_pin) {
		r->features[FEAT_OBSERVER_PINNED].available = false;
		copy_str(r->features[FEAT_OBSERVER_PINNED].why, sizeof(r->features[0].why),
			 p->opts.observer_pin);
	}
	if (p->syscall_regs) {
		r->features[FEAT_SYSCALL].available = true;
		r->features[FEAT_SYSCALL].why[0] = '\0';
	} else if (r->features[FEAT_SYSCALL].available && !p->tp[TP_PAGE_FAULT].attached &&
		   !p->tp[TP_SYS_EXIT].attached)
		copy_str(r->features[FEAT_SYSCALL].why, sizeof(r->features[0].why),
			 "partial: a wait in a page fault is shown as the last syscall");
}

/* A program's sampled runs: their count and time (the run_times map). */
static int read_run_time(struct probe *p, uint32_t i, uint64_t *ns, uint64_t *cnt)
{
	uint64_t v[2] = { 0, 0 };
	int e = read_percpu(bpf_map__fd(p->skel->maps.run_times), i, v, 2, p->ncpus);

	*ns = v[0];
	*cnt = v[1];
	return e;
}

/* Each program's runs (counted exactly, in the `runs` map) and run time:
 * those runs times its time per run, from the runs the programs timed
 * themselves (one in 64), or with opts.stats_always from the kernel's
 * statistics. */
static int read_prog_stats(struct probe *p, struct probe_result *r)
{
	uint64_t now = mono_ns(), win_ns = 0, win_cnt = 0;
	uint64_t ns[TP_MAX], cnt[TP_MAX];
	int fd = bpf_map__fd(p->skel->maps.runs), e;
	bool own = !p->opts.stats_always && !p->opts.no_stats;

	memset(ns, 0, sizeof(ns));
	memset(cnt, 0, sizeof(cnt));
	stats_account(p, now);
	for (int i = 0; i < TP_MAX; i++) {
		if (own) {
			if (p->tp[i].want && (e = read_run_time(p, (uint32_t)i, &ns[i], &cnt[i])))
				return e;
		} else {
			ns[i] = p->acc[i].ns;
			cnt[i] = p->acc[i].cnt;
		}
		win_ns += ns[i];
		win_cnt += cnt[i];
	}
	r->cost_sampled_runs = own;
	r->bpf_stats = (own || p->stats_ok) && win_cnt > 0;
	copy_str(r->bpf_stats_why, sizeof(r->bpf_stats_why),
		 r->bpf_stats ? "" : own || p->stats_ok ? "no program run timed yet" : p->stats_why);
	r->bpf_stats_sampled_ns = own ? 0 : p->stats_on_ns;
	r->bpf_stats_elapsed_ns = own ? now - p->t0 : p->stats_ok ? now - p->stats_t0 : 0;
	r->progs = calloc(TP_MAX, sizeof(*r->progs));
	if (!r->progs)
		return -ENOMEM;
	for (int i = 0; i < TP_MAX; i++) {
		const struct bpf_program *prog = tp_prog(p->skel, i, p->raw);
		uint64_t runs = 0;

		if (!p->tp[i].want || !prog || bpf_program__fd(prog) < 0)
			continue;
		if ((e = read_percpu(fd, (uint32_t)i, &runs, 1, p->ncpus)))
			return e;
		struct probe_prog_stat *st = &r->progs[r->nprogs++];

		copy_str(st->name, sizeof(st->name), bpf_program__name(prog));
		st->run_cnt = runs;
		/* A program that never ran timed: the mean of the rest. */
		if (r->bpf_stats)
			st->run_time_ns = (uint64_t)((double)runs * (cnt[i] ? (double)ns[i] / (double)cnt[i] :
						      (double)win_ns / (double)win_cnt) + 0.5);
		r->bpf_run_ns += st->run_time_ns;
		r->bpf_run_cnt += runs;
	}
	return 0;
}

static int cmp_culprit(const void *a, const void *b)
{
	const struct probe_culprit *x = a, *y = b;
	uint64_t tx = x->queue_ns + x->preempt_ns, ty = y->queue_ns + y->preempt_ns;

	return tx > ty ? -1 : tx < ty;
}

/* The culprits map, longest first. */
static int read_culprits(struct probe *p, struct probe_result *r)
{
	int fd = bpf_map__fd(p->skel->maps.culprits);
	size_t cap = bpf_map__max_entries(p->skel->maps.culprits);
	uint32_t key, next, *prev = NULL;
	struct diag_culprit c;

	r->culprits = calloc(cap, sizeof(*r->culprits));
	if (!r->culprits)
		return -ENOMEM;
	for (; bpf_map_get_next_key(fd, prev, &next) == 0 && r->nculprits < cap; prev = &key) {
		key = next;
		if (bpf_map_lookup_elem(fd, &key, &c))
			continue;
		struct probe_culprit *o = &r->culprits[r->nculprits++];

		o->pid = key;
		o->tgid = c.tgid;
		copy_strn(o->comm, sizeof(o->comm), c.comm, sizeof(c.comm));
		o->queue_ns = c.queue_ns;
		o->preempt_ns = c.preempt_ns;
		o->steps = c.steps;
	}
	qsort(r->culprits, r->nculprits, sizeof(*r->culprits), cmp_culprit);
	return 0;
}

/* The counters, summed, with the steps analysed and seen per CPU: one read,
 * so that the two agree (the programs may still run meanwhile). */
static int read_counters(struct probe *p, struct probe_result *r, uint64_t *cnt)
{
	unsigned n = p->ncpus ? p->ncpus : 1;
	uint64_t *buf = calloc(n, sizeof(struct diag_counters));
	uint32_t zero = 0;

	r->cpu_steps = calloc(n, sizeof(*r->cpu_steps));
	r->cpu_steps_seen = calloc(n, sizeof(*r->cpu_steps_seen));
	if (!buf || !r->cpu_steps || !r->cpu_steps_seen) {
		free(buf);
		return -ENOMEM;
	}
	if (bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.counters), &zero, buf)) {
		int e = -errno;

		free(buf);
		return e;
	}
	for (unsigned c = 0; c < p->ncpus; c++) {
		const uint64_t *v = &buf[c * CNT_MAX];

		for (size_t i = 0; i < CNT_MAX; i++)
			cnt[i] += v[i];
		r->cpu_steps[c] = v[CNT_STEPS];
		r->cpu_steps_seen[c] = v[CNT_SEEN];
	}
	free(buf);
	return 0;
}

int probe_read(struct probe *p, struct probe_result *r)
{
	uint64_t cnt[CNT_MAX];
	int e;

	result_clear(r);
	r->ncpus = p->ncpus;
	copy_str(r->mode, sizeof(r->mode), probe_mode(p));
	copy_str(r->mode_why, sizeof(r->mode_why), p->mode_why);
	for (uint32_t s = 0; s < STAGE_MAX; s++) {
		e = read_percpu(bpf_map__fd(p->skel->maps.hists), s, r->hist[s], HIST_BUCKETS,
				p->ncpus);
		if (e)
			return e;
	}
	memset(cnt, 0, sizeof(cnt));
	if ((e = read_counters(p, r, cnt)))
		return e;
	r->steps = cnt[CNT_STEPS];
	r->steps_seen = cnt[CNT_SEEN];
	r->sample_budget = p->opts.no_sampling ? 0 : DIAG_SAMPLE_BUDGET;
	r->lost = cnt[CNT_LOST];
	r->sent = cnt[CNT_SENT];
	r->track_full = cnt[CNT_TRACK_FULL] + p->slots_full;
	r->forks = cnt[CNT_FORKS];
	r->migrated = cnt[CNT_MIGRATED];
	r->culprits_full = cnt[CNT_CULPRITS_FULL];
	r->self_tgid = p->opts.self_tgid > 0 ? p->opts.self_tgid : getpid();
	_Static_assert(sizeof(struct diag_sums) % sizeof(uint64_t) == 0, "sums are u64s");
	e = read_percpu(bpf_map__fd(p->skel->maps.sums), 0, (uint64_t *)&r->sums,
			sizeof(r->sums) / sizeof(uint64_t), p->ncpus);
	if (e)
		return e;
	if ((e = read_culprits(p, r)))
		return e;
	for (int k = 0; k < WAKE_KINDS; k++)
		r->wake_kinds[k] = cnt[CNT_WAKE + k];

	if ((e = read_threads(p, r)))
		return e;

	r->slow = calloc(p->nheap ? p->nheap : 1, sizeof(*r->slow));
	if (!r->slow)
		return -ENOMEM;
	memcpy(r->slow, p->heap, p->nheap * sizeof(*r->slow));
	r->nslow = p->nheap;
	r->slow_floor_delay_ns = p->floor_delay;
	qsort(r->slow, r->nslow, sizeof(*r->slow), cmp_slow);

	availability(p, r);
	r->tps = calloc(TP_MAX, sizeof(*r->tps));
	if (!r->tps)
		return -ENOMEM;
	for (int i = 0; i < TP_MAX; i++) {
		struct probe_tracepoint *t = &r->tps[r->ntps++];

		snprintf(t->name, sizeof(t->name), "%s:%s", tp_defs[i].cat, tp_defs[i].name);
		t->attached = p->tp[i].attached;
		copy_str(t->why, sizeof(t->why), p->tp[i].why);
	}
	if ((e = read_prog_stats(p, r)))
		return e;
	r->target_alive = probe_target_alive(p);
	return 0;
}
