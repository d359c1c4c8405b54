/* diagnose/verdict: diagnose's auto-analysis, rtla timerlat style: how much
 * of the steps' delay each cause explains (the completion path, timer
 * lateness, softirq deferral and deferred work before the wakeup; idle exit,
 * queueing behind named tasks, cgroup throttling, interrupts, preemption,
 * migration and frequency after it; what nothing explains), ranked, each
 * with its evidence, the tasks to blame where the cause is tasks, and the
 * profile knob that addresses it where one can act on this host.
 *
 * Twice: over ALL steps (sums the kernel keeps for every step) and over the
 * TAIL (the steps above the p99 of delay, from the slow steps user space
 * kept).  The causes (enum cause) are in bpf/diagnose.h: the kernel and
 * user space split a step alike (diag_step_causes()). */
#ifndef AGENTUNE_VERDICT_H
#define AGENTUNE_VERDICT_H

#include <stdbool.h>

#include "inspect/model.h"
#include "diagnose/ksyms.h"
#include "diagnose/probe.h"

#define VERDICT_CULPRITS 5

struct verdict_culprit {
	uint32_t pid, tgid;
	char comm[DIAG_COMM_LEN];
	uint64_t ns;               /* time it held the agent's CPU, summed over steps */
};

struct verdict_cause {
	enum cause cause;
	const char *id;            /* "queueing", "idle-exit", ... */
	double share;              /* of the total delay, 0..1 */
	uint64_t ns;               /* summed over the steps */
	uint64_t steps;            /* steps where it is present */
	uint64_t warm_ns;          /* idle-exit: of ns, a warm idle (a SCHED_IDLE task
				    * held the CPU: the wake IPI and the switch) */
	uint64_t warm_steps;
	char evidence[480];
	char knob[200];            /* "" when nothing can act on it on this host */
	struct verdict_culprit culprit[VERDICT_CULPRITS]; /* tasks, longest first */
	size_t nculprits;
};

/* One verdict: over all steps or over the tail. */
struct verdict_set {
	uint64_t steps;
	uint64_t total_ns;         /* their delay: the sum of every cause */
	uint64_t threshold_ns;     /* tail: the smallest delay in it (the p99) */
	bool truncated;            /* tail: fewer steps kept than the tail has */
	size_t n;                  /* causes listed (those with time) */
	struct verdict_cause cause[CAUSE_MAX]; /* ranked, largest share first */
};

/* What the host allows a fix to act on; filled by the caller (the CLI from
 * the model and the target's cgroup), zero = nothing known. */
struct verdict_host {
	const struct model *m;     /* topology, idle states, IRQ rates; may be NULL */
	bool idle_states;          /* the agent's CPUs have idle states a PM QoS
				    * limit can keep them out of (a cpuidle driver
				    * with a state deeper than polling) */
	char idle_why[160];        /* why not, for the evidence */
	char cgroup[256];          /* the target's cpu cgroup ("/agent"), "" unknown */
	char cpu_quota[96];        /* its quota ("10000 100000"), "" none or unknown */
	const struct ksyms *ksyms; /* names work functions; may be NULL */
	/* Where BTF cannot read the task's group (probe feature "throttle"
	 * unavailable): the group's cpu.stat, read at the start and the end of
	 * the run.  Its throttled time is moved into cgroup-throttling out of
	 * the wait that idle exit and unattributed hold (a throttled group
	 * leaves its CPU idle or unexplained): an estimate, said so. */
	bool throttle_fallback;    /* cpu.stat read at both ends */
	char cpu_stat[300];        /* the file */
	uint64_t nr_throttled;     /* periods throttled during the run */
	uint64_t throttled_ns;     /* the group's throttled time during the run */
	char cpu_stat_why[300];    /* why cpu.stat was not read at both ends, "" */
};

struct verdict {
	struct verdict_set all, tail;
	uint64_t throttle_moved_ns; /* all steps: what the cpu.stat fallback moved */
	unsigned migrated;         /* tail steps that ran on another CPU than the last */
	unsigned migrated_llc;     /* ... of them onto another LLC or node */
};

/* The delay one step paid, as the verdict counts it (diag_step_causes()). */
uint64_t verdict_step_delay(const struct step_event *e);

/* r: the probe's result (sums and culprits for all steps; r->slow for the
 * tail).  h may be NULL. */
void verdict_eval(const struct probe_result *r, const struct verdict_host *h, struct verdict *v);

const char *cause_name(enum cause c);

#endif
