/* top/top_agent: one --pid of `agentune top`: its threads from procfs and its
 * steps from the diagnose BPF programs (src/diagnose/probe.c, in-kernel histograms
 * and counters), turned into figures over the interval between samples.
 * It owns the agent's row; the frame (top.h) holds one per --pid. */
#ifndef AGENTUNE_TOP_AGENT_H
#define AGENTUNE_TOP_AGENT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/host.h"
#include "base/stats.h"
#include "inspect/target.h"

/* One agent's row of a frame (struct top_frame in top.h). */
struct top_agent {
	int pid;                  /* the process; for a unit or cgroup its first one */
	char comm[16];
	char unit[TARGET_UNIT_MAX]; /* systemd unit it runs in, "" none */
	char target[TARGET_PATH_MAX + 16]; /* "unit x.service" / "cgroup /a", "" for --pid */
	unsigned nprocs;          /* processes followed (1 for --pid) */
	bool alive;
	unsigned nthreads;
	double util;              /* CPU time of all its threads, in CPUs (1.0 = one CPU) */
	char cpus[64];            /* CPUs its threads ran on in the interval: "1,3" */
	bool bpf;                 /* the columns below are measured */
	char why[192];            /* why they are not ("--no-bpf", "not allowed to load
	                           * BPF (needs CAP_BPF and CAP_PERFMON)") */
	double steps_rate;        /* per s */
	double wake_run_p50_us, wake_run_p99_us; /* over the interval; NaN when no step */
	double idle_exit_share;   /* of the wake->run time: CPU leaving idle; NaN */
	double interference_share;/* irq+softirq time during steps, of run time; NaN */
	char cause[24];           /* dominant delay in the interval: "queueing",
	                           * "idle-exit", "irq", "softirq", "none" (no steps) */
	double cause_share;       /* its share of wake->run + interference; NaN */
	/* Every cause's share of the interval's delay (cause_name() order,
	 * CAUSE_*); NaN when nothing was delayed or without BPF. */
	double cause_shares[8];
	/* Since top started (for counters and histograms that only grow):
	 * steps, and the wake->run histogram (base/stats buckets, ns). */
	uint64_t steps_total;
	uint64_t wake_run_hist[HIST_BUCKETS];
};

/* A thread of the agent that used CPU time in the interval, and the CPU it
 * was last on at the end of it. */
struct agent_ran {
	int tid;
	int cpu;
};

struct agent_watch;

/* NULL with errno ESRCH and a message when pid does not exist.  BPF that
 * cannot be loaded (or no_bpf) is not an error: the rows say why. */
struct agent_watch *agent_watch_open(const struct host *h, int pid, bool no_bpf,
				     char *err, size_t errsz);

/* Figures since the previous call (or since open) over elapsed_s seconds:
 * fills row; adds the steps per second that ran on each CPU into
 * steps_rate[cpu] for cpu < nslots; *ran (malloc'ed, the caller frees it)
 * gets the threads that ran, *nran of them.  A process that has exited
 * gives alive = false and zero rates, not an error.  0 or -ENOMEM. */
int agent_watch_sample(struct agent_watch *w, double elapsed_s, struct top_agent *row,
		       double *steps_rate, size_t nslots, struct agent_ran **ran, size_t *nran);

/* "tp_btf"/"raw_tp" and the programs' run time per second of the last
 * interval (0 when not measured); NULL mode when BPF is off. */
const char *agent_watch_bpf_mode(const struct agent_watch *w);
double agent_watch_bpf_ns_per_s(const struct agent_watch *w);

/* The same for a unit or cgroup (inspect/target.h): the processes in it
 * now, and at every sample the ones that came since (cgroup.procs read
 * again; what they fork is followed by the kernel from the start).  NULL
 * with errno ESRCH when it holds no process. */
struct agent_watch *agent_watch_open_target(const struct host *h, const struct target *t,
					    bool no_bpf, char *err, size_t errsz);

void agent_watch_close(struct agent_watch *w);

#endif
