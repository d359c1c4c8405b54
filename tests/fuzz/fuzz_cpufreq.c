/* libFuzzer harness: cpufreq_read over a generated tree (fuzz_tree.h):
 * two policies (one reached through a link), the per-CPU links, boost and
 * intel_pstate. */
#include "fuzz_tree.h"
#include "inspect/cpufreq.h"

#define CPU "sys/devices/system/cpu/"
#define P0 CPU "cpufreq/policy0/"
static const char *const paths[] = {
	P0 "affected_cpus", P0 "related_cpus", P0 "scaling_driver", P0 "scaling_governor",
	P0 "scaling_min_freq", P0 "scaling_max_freq", P0 "cpuinfo_min_freq",
	P0 "cpuinfo_max_freq", P0 "scaling_cur_freq", P0 "energy_performance_preference",
	CPU "cpufreq/policy1", CPU "cpufreq/policy1/related_cpus", CPU "cpu0/cpufreq",
	CPU "cpu1/cpufreq", CPU "cpufreq/boost", CPU "intel_pstate/status",
	CPU "intel_pstate/no_turbo",
};

static void fuzz_one(const char *text, size_t size)
{
	struct host h;
	if (!fz_tree(text, size, paths, sizeof(paths) / sizeof(paths[0]), &h))
		return;
	struct cpumask cpus;
	cpumask_init(&cpus);
	cpumask_set(&cpus, 0);
	cpumask_set(&cpus, 1);
	struct cpufreq f;
	if (cpufreq_read(&h, &cpus, &f) == 0)
		cpufreq_free(&f);
	cpumask_free(&cpus);
	host_close(&h);
}
