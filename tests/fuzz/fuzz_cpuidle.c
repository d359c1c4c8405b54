/* libFuzzer harness: cpuidle_read over a generated tree (fuzz_tree.h):
 * the driver and governor, two CPUs' idle states (one CPU's directory may
 * be a link), their PM QoS files and /dev/cpu_dma_latency. */
#include "fuzz_tree.h"
#include "inspect/cpuidle.h"

#define CPU "sys/devices/system/cpu/"
static const char *const paths[] = {
	CPU "cpuidle/current_driver", CPU "cpuidle/current_governor",
	CPU "cpu0/cpuidle/state0/name", CPU "cpu0/cpuidle/state0/desc",
	CPU "cpu0/cpuidle/state0/latency", CPU "cpu0/cpuidle/state0/residency",
	CPU "cpu0/cpuidle/state0/disable", CPU "cpu0/cpuidle/state0/usage",
	CPU "cpu0/cpuidle/state0/time", CPU "cpu0/cpuidle/state1",
	CPU "cpu0/cpuidle/state1/name", CPU "cpu0/cpuidle/state1/latency",
	CPU "cpu1/cpuidle", CPU "cpu0/power/pm_qos_resume_latency_us",
	CPU "cpu1/power/pm_qos_resume_latency_us", "dev/cpu_dma_latency",
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
	struct cpuidle c;
	if (cpuidle_read(&h, &cpus, &c) == 0) {
		cpuidle_refresh(&h, &c);
		cpuidle_free(&c);
	}
	cpumask_free(&cpus);
	host_close(&h);
}
