/* inspect/cpufreq: policies (or, on old kernels, per-CPU cpufreq directories). */
#ifndef AGENTUNE_CPUFREQ_H
#define AGENTUNE_CPUFREQ_H

#include "base/cpumask.h"
#include "base/host.h"
#include "base/util.h"

struct cpufreq_policy {
	char name[32];             /* "policy0", or "cpu0" for an old per-CPU directory */
	char path[256];            /* its sysfs directory */
	struct cpumask cpus;       /* affected_cpus */
	struct cpumask related;    /* related_cpus (space separated in sysfs) */
	char driver[48], governor[48];   /* "" when unavailable */
	char available_governors[256];
	uint64_t cur_khz, min_khz, max_khz;             /* scaling_*; NA_U64 if unavailable */
	uint64_t cpuinfo_min_khz, cpuinfo_max_khz, base_khz;
	uint64_t transition_latency_ns; /* NA_U64 if unavailable or "unknown" (4294967295) */
	char epp[48];              /* energy_performance_preference, "" if unavailable */
};

struct cpufreq {
	bool available;
	char why[160];             /* "no cpufreq driver" on VMs: not an error */
	size_t n;
	struct cpufreq_policy *policy;
	int boost;                 /* 1 on, 0 off, -1 unavailable (cpufreq/boost or
	                            * intel_pstate/no_turbo, inverted) */
	char pstate_status[16];    /* intel_pstate/status: active, passive; "" */
};

int cpufreq_read(const struct host *h, const struct cpumask *cpus, struct cpufreq *out);
void cpufreq_free(struct cpufreq *f);
/* The policy that covers cpu, or NULL. */
const struct cpufreq_policy *cpufreq_policy_of(const struct cpufreq *f, unsigned cpu);

#endif
