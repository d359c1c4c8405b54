/* diagnose/probe: the diagnose BPF programs, loaded, attached and read.
 *
 * Opens the skeleton built from bpf/diagnose.bpf.c for one target process,
 * loads the tp_btf programs (the raw_tp ones when forced or when tp_btf does
 * not load or attach), attaches every tracepoint it can, and degrades per
 * stage: a tracepoint that is missing or fails to attach disables only the
 * stages and features that need it, with the reason.  The kernel aggregates
 * (histograms, counters, per-thread totals); only the slowest steps come
 * through the ring buffer, and probe_poll() raises the kernel's threshold so
 * that about `slowest` of them keep coming.
 *
 *	struct probe *p = probe_open(&opts, err, sizeof(err));
 *	while (running && probe_target_alive(p))
 *		probe_poll(p, 100);
 *	struct probe_result *r = probe_result_new();
 *	probe_read(p, r);  ... report ...
 *	probe_result_free(r);
 *	probe_close(p);
 */
#ifndef AGENTUNE_PROBE_H
#define AGENTUNE_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagnose.h"

struct host;

#define PROBE_DEFAULT_SLOWEST 10
#define PROBE_MAX_SLOWEST 10000
/* Steps kept for the tail: 2% of the steps so far (the p99 tail is 1%),
 * at most this many. */
#define PROBE_MAX_KEPT 50000

struct probe_opts {
	int pid;                   /* target process (tgid), > 0 */
	int tid;                   /* one thread of it only; 0 = all (and new ones) */
	bool children;             /* also follow child processes forked during the run */
	bool force_raw_tp;         /* use raw_tp programs even where tp_btf works */
	unsigned disable_stages;   /* 1 << enum diag_stage: forced unavailable (tests) */
	unsigned disable_features; /* 1 << enum probe_feature: not measured, and a
				    * tracepoint that serves only those (and
				    * disabled stages) is not loaded: top uses
				    * it to pay for no more than it shows */
	unsigned slowest;          /* slow steps kept; 0 = PROBE_DEFAULT_SLOWEST */
	uint64_t slow_floor_ns;    /* steps shorter than this are never kept */
	bool no_stats;             /* leave the kernel's BPF run-time statistics off:
				    * they cost two clock reads per program run,
				    * and without them the cost is not reported */
	bool no_sampling;          /* analyse every step, whatever the rate (by
				    * default, beyond DIAG_SAMPLE_BUDGET steps
				    * per 10 ms on a CPU, one in K is analysed
				    * and the rest only counted: diagnose.h) */
	bool stats_always;         /* keep them on for the whole run (exact totals)
				    * instead of sampling windows of it */
	const struct host *host;   /* /proc and /sys of the live host; NULL = "/" */
	int self_tgid;             /* agentune's process (0: getpid()); its threads
				    * are never culprits */
	const char *observer_pin;  /* why agentune could not be moved off the
				    * target's CPUs, or NULL when it was (the
				    * observer_pinned feature) */
};

/* Whether a stage or a feature is measured, and why not. */
struct probe_avail {
	bool available;
	char why[192];             /* "" when available */
};

/* Parts of the breakdown that are not stages of their own. */
enum probe_feature {
	FEAT_WAKE_HARDIRQ,         /* wake source: which hardirq (irq_handler_*) */
	FEAT_WAKE_VECTORS,         /* wake source: local timer / IPIs (irq_vectors) */
	FEAT_WAKE_SOFTIRQ,         /* wake source: which softirq */
	FEAT_NAPI_DEVICE,          /* NET_RX wakeups: the NAPI device (napi_poll) */
	FEAT_WORK_FUNC,            /* kworker wakers: the work function */
	FEAT_WAKEUP_TARGET,        /* idle state at wakeup, switches queued behind */
	FEAT_MIGRATION,            /* migrations counted in a step */
	FEAT_FREQUENCY,            /* CPU frequency while the step ran */
	FEAT_SYSCALL,              /* the syscall a wait blocked in */
	FEAT_PAGE_FAULTS,          /* page faults in a step */
	FEAT_FOLLOW,               /* threads (and children) created during the run */
	FEAT_CHAIN_SOFTIRQ,        /* completion: softirq raise -> entry (softirq_raise) */
	FEAT_CHAIN_TIMER,          /* completion: hrtimer lateness (hrtimer_expire_*) */
	FEAT_CHAIN_WORKQUEUE,      /* completion: work queued -> run (workqueue_queue_work) */
	FEAT_CHAIN_BLOCK,          /* completion: block_rq_complete -> wakeup */
	FEAT_THROTTLE,             /* cgroup throttling read through BTF (cfs_bandwidth) */
	FEAT_OBSERVER_PINNED,      /* agentune's threads kept off the target's CPUs */
	FEAT_MAX,
};

/* One tracepoint: attached or why not. */
struct probe_tracepoint {
	char name[40];             /* "irq_vectors:local_timer_entry" */
	bool attached;
	char why[160];
};

struct probe_thread {
	uint32_t tid, tgid;
	char comm[DIAG_COMM_LEN];
	uint64_t steps;
	uint64_t wake_run_sum_ns;
	uint64_t run_sum_ns;
	bool exited;
};

/* A task that held the agent's CPU, summed over every step. */
struct probe_culprit {
	uint32_t pid, tgid;
	char comm[DIAG_COMM_LEN];
	uint64_t queue_ns, preempt_ns;
	uint32_t steps;
};

struct probe_prog_stat {
	char name[48];             /* program name ("btf_sched_switch") */
	uint64_t run_time_ns;
	uint64_t run_cnt;
};

struct probe_result {
	/* Summed over CPUs; which steps each stage counts: struct diag_hist
	 * in diagnose.h.  Buckets: hist_bucket(). */
	uint64_t hist[STAGE_MAX][HIST_BUCKETS];
	uint64_t steps;            /* steps analysed (what the histograms, sums,
				    * culprits and slow steps are over) */
	uint64_t *cpu_steps;       /* [ncpus]: steps analysed on each CPU (the one
				    * the step ran on) */
	uint64_t steps_seen;       /* steps seen, analysed or not (>= steps) */
	uint64_t *cpu_steps_seen;  /* [ncpus]: the same per CPU */
	unsigned sample_budget;    /* steps analysed in full per 10 ms and CPU
				    * before sampling starts; 0: every step */
	uint64_t wake_kinds[WAKE_KINDS];
	uint64_t lost;             /* slow steps dropped: ring buffer full */
	uint64_t sent;             /* slow steps the kernel sent */
	uint64_t track_full;       /* threads not followed: map full */
	uint64_t forks;            /* threads/children followed after the start */
	uint64_t migrated;         /* steps on another CPU than the thread's step before */

	struct probe_thread *threads;  /* living first, then exited; by tid */
	size_t nthreads;           /* == threads followed */

	struct step_event *slow;   /* the slowest by delay, slowest first: at least
				    * opts.slowest, and enough for the p99 tail */
	size_t nslow;
	uint64_t slow_floor_delay_ns; /* steps below this delay were not kept */

	struct diag_sums sums;     /* every step: causes, chains (summed over CPUs) */
	struct probe_culprit *culprits; /* every step's culprits, by time, longest first */
	size_t nculprits;
	uint64_t culprits_full;    /* culprit records dropped: map full */
	int self_tgid;             /* agentune's own process (never a culprit) */

	struct probe_avail stages[STAGE_MAX];
	struct probe_avail features[FEAT_MAX];
	struct probe_tracepoint *tps;
	size_t ntps;

	char mode[8];              /* "tp_btf" or "raw_tp" */
	char mode_why[192];        /* why raw_tp when tp_btf was wanted, else "" */

	/* The programs' cost.  The runs are counted exactly; the time a run
	 * takes comes from the kernel's statistics, which are on only in
	 * windows (about 10% of the time, advanced by probe_poll()) unless
	 * opts.stats_always: run times are runs times the windows' time per
	 * run, program by program. */
	bool bpf_stats;            /* run times below are valid */
	bool cost_sampled_runs;    /* from the programs' own timed runs (1 in 64),
				    * not the kernel's BPF statistics */
	char bpf_stats_why[128];
	uint64_t bpf_stats_sampled_ns; /* time the statistics were on */
	uint64_t bpf_stats_elapsed_ns; /* since they were first on */
	uint64_t bpf_run_ns;       /* total over every program */
	uint64_t bpf_run_cnt;
	struct probe_prog_stat *progs;
	size_t nprogs;

	unsigned ncpus;            /* possible CPUs the maps cover */
	bool target_alive;
};

struct probe;

/* NULL on error with errno set and a message in err:
 *   ESRCH   no such process / thread
 *   EPERM   not allowed to load BPF (the message names CAP_BPF, CAP_PERFMON)
 *   EINVAL  bad options
 *   ENOTSUP the kernel lacks BTF or a tracepoint every step needs
 *   other   libbpf's error while loading (the verifier's last words in err) */
struct probe *probe_open(const struct probe_opts *opts, char *err, size_t errsz);

/* Waits up to timeout_ms, then takes in the slow steps the kernel sent and
 * raises its threshold; returns how many came or -errno (-EINTR when a
 * signal interrupted it).  The kernel wakes the caller early only when its
 * ring buffer is a quarter full, so that the tool's own wakeups do not land
 * on the measured CPUs: call it every 100 ms or so. */
int probe_poll(struct probe *p, int timeout_ms);

/* Descriptor that becomes readable when the ring buffer fills up (for
 * callers with their own poll loop, who call probe_poll(p, 0) when it is
 * readable and on their own timer). */
int probe_fd(const struct probe *p);

/* Fills r (from probe_result_new) with everything measured so far; can be
 * called more than once.  0 or -errno. */
int probe_read(struct probe *p, struct probe_result *r);

/* Follows one more process (all its threads, and with opts.children what
 * it forks from now on): the other processes of a cgroup or systemd unit
 * (inspect/target.h), added when they appear.  One already followed is
 * left as it is.  Needs opts.children (the kernel side then looks up every
 * thread instead of only the target's): -EINVAL without it. */
int probe_add_process(struct probe *p, int pid);

/* False once the target process has exited (or is a zombie). */
bool probe_target_alive(struct probe *p);

/* "tp_btf" or "raw_tp". */
const char *probe_mode(const struct probe *p);

void probe_close(struct probe *p);

struct probe_result *probe_result_new(void);
void probe_result_free(struct probe_result *r);

/* Names for reports: "wake_run", "hardirq", "NET_RX", "idle_exit"... */
const char *probe_stage_name(unsigned stage);
const char *probe_wake_kind_name(unsigned kind);
const char *probe_feature_name(unsigned feature);
const char *probe_softirq_name(unsigned vec);   /* "?" when out of range */
const char *probe_vector_name(unsigned vec);    /* DIAG_VEC_*: "LOC", "RES", "CAL" */
const char *probe_chain_kind_name(unsigned kind); /* "hardirq", "softirq", ... */
const char *probe_chain_reason(unsigned reason);  /* why a chain is unknown or partial */

#endif
