/* diagnose/verdict: diagnose's auto-analysis.  Over the slowest steps, how much of the
 * delay each cause explains (queueing behind other tasks, idle exit, IRQ and
 * softirq interference, migration, what no stage explains), ranked, each with
 * its evidence and the profile knob that addresses it — rtla timerlat's
 * auto-analysis, for any process. */
#ifndef AGENTUNE_VERDICT_H
#define AGENTUNE_VERDICT_H

#include "inspect/model.h"
#include "diagnose/probe.h"

enum cause {
	CAUSE_QUEUE,          /* other tasks ran on the CPU between wakeup and run */
	CAUSE_IDLE_EXIT,      /* the CPU was idle and took time to leave its state */
	CAUSE_IRQ,            /* hardirqs on the agent's CPU while the step ran */
	CAUSE_SOFTIRQ,        /* softirqs on the agent's CPU while the step ran */
	CAUSE_PREEMPT,        /* runnable but off-CPU after it first ran */
	CAUSE_UNATTRIBUTED,   /* wake->run no stage explains */
	CAUSE_MAX,
};

struct verdict_cause {
	enum cause cause;
	const char *id;       /* "queueing", "idle-exit", ... */
	double share;         /* of the slow steps' total delay, 0..1 */
	uint64_t ns;          /* summed over the slow steps */
	unsigned steps;       /* slow steps where it is present */
	char evidence[400];
	char knob[160];
};

struct verdict {
	size_t nsteps;        /* slow steps analysed */
	uint64_t total_ns;    /* their delay: wake->run + interference + preemption */
	unsigned migrated;    /* slow steps that ran on another CPU than the last */
	unsigned migrated_llc; /* ... of them onto another LLC or node */
	size_t n;
	struct verdict_cause cause[CAUSE_MAX]; /* ranked, largest share first */
};

/* The delay one slow step paid, as the verdict counts it. */
uint64_t verdict_step_delay(const struct step_event *e);

/* m supplies topology (migration classes) and, when sampled over the run,
 * the interrupt rates that name the IRQs behind interference; may be NULL. */
void verdict_eval(const struct probe_result *r, const struct model *m, struct verdict *v);

const char *cause_name(enum cause c);

#endif
