/* inspect/cpuidle: driver, governor, per-CPU idle states; PM QoS: /dev/cpu_dma_latency
 * and per-CPU power/pm_qos_resume_latency_us. */
#ifndef AGENTUNE_CPUIDLE_H
#define AGENTUNE_CPUIDLE_H

#include "base/cpumask.h"
#include "base/host.h"
#include "base/util.h"

/* pm_qos_resume_latency_us: 0 is "no constraint"; "n/a" means no latency is
 * tolerated (polling only). */
#define PMQOS_NO_CONSTRAINT 0
#define PMQOS_NA (-1)

/* /dev/cpu_dma_latency with no request in force. */
#define CPU_DMA_LATENCY_DEFAULT 2000000000

struct idle_state {
	unsigned index;            /* N of stateN */
	char name[32], desc[64];   /* desc "" when <null> or missing; trailing spaces trimmed */
	uint64_t latency_us, residency_us; /* NA_U64 if missing (old kernels lack residency) */
	int disabled;              /* 1 disabled, 0 allowed, -1 unavailable */
	char default_status[16];   /* "enabled"/"disabled"/"" */
	uint64_t usage, time_us;   /* 64-bit counters; NA_U64 if missing */
	uint64_t above, below, rejected; /* NA_U64 if missing */
};

struct cpuidle_cpu {
	unsigned cpu;
	size_t nstates;
	struct idle_state *state;
	int64_t resume_latency_us; /* PMQOS_NA, 0 (no constraint), N us, or NA_S64 */
};

struct cpuidle {
	bool available;
	char why[160];
	char driver[48], governor[48]; /* current_driver, current_governor(_ro); "" */
	char available_governors[128];
	int64_t cpu_dma_latency_us;    /* global PM QoS; NA_S64 when unreadable */
	char cpu_dma_latency_why[128];
	bool idle_poll;                /* idle=poll on the kernel command line */
	size_t n;                      /* one per CPU in cpus passed to cpuidle_read */
	struct cpuidle_cpu *cpu;
};

/* Reads cpuidle and PM QoS for every CPU in cpus (normally the present ones). */
int cpuidle_read(const struct host *h, const struct cpumask *cpus, struct cpuidle *out);
void cpuidle_free(struct cpuidle *c);
/* Re-reads, for the CPUs and states already in c (from cpuidle_read), only
 * what changes from second to second: each state's usage and time, each
 * CPU's resume latency, the global cpu_dma_latency.  Missing files give NA
 * values.  0 (it allocates nothing). */
int cpuidle_refresh(const struct host *h, struct cpuidle *c);
const struct cpuidle_cpu *cpuidle_cpu(const struct cpuidle *c, unsigned cpu);
/* How an agent CPU can be kept from a slow return out of idle on this host
 * ([pmqos] method = auto, tune/plan.c):
 *   WARM_QOS   some CPU of the set has an enabled idle state other than POLL
 *              with an exit latency > 0 µs and a pm_qos_resume_latency_us
 *              file: the PM QoS constraint keeps it out of that state;
 *   WARM_POLL  none has, but idle halts (no cpuidle driver: the default
 *              idle routine, HLT on x86; or only states with 0 µs exit
 *              latency): no constraint changes anything, a poll thread
 *              keeps the CPU from halting;
 *   WARM_NONE  idle already polls (idle=poll on the command line, or POLL
 *              the only enabled state): neither helps.
 * A pure function of c (tests drive it with fixture trees); why, when not
 * NULL, gets the reason in words. */
enum warm_method { WARM_NONE, WARM_QOS, WARM_POLL };
const char *warm_method_name(enum warm_method m);   /* "none", "qos", "poll" */
enum warm_method cpuidle_warm_method(const struct cpuidle *c, const struct cpumask *cpus,
				     char *why, size_t sz);

/* Parses a pm_qos_resume_latency_us value: "n/a" -> PMQOS_NA, "0", "20". */
bool pmqos_parse(const char *s, int64_t *out);

#endif
