/* libFuzzer harness: cpuidle_read over a generated tree (fuzz_tree.h):
 * the driver and governor, two CPUs' idle states (one CPU's directory may
 * be a link), their PM QoS files and /dev/cpu_dma_latency; then the idle
 * path over it (idlepath_read: /proc/cmdline, /proc/cpuinfo, the
 * clocksource, DMI, /sys/hypervisor, the haltpoll module, the kernel
 * config), each CPU described. */
#include "fuzz_tree.h"
#include "inspect/cpuidle.h"
#include "inspect/idlepath.h"

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
	"proc/cmdline", "proc/cpuinfo", "sys/hypervisor/type",
	"sys/devices/system/clocksource/clocksource0/available_clocksource",
	"sys/class/dmi/id/sys_vendor", "sys/class/dmi/id/product_name",
	"sys/module/cpuidle_haltpoll/parameters/force", "boot/config-6.18",
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
		struct idlepath p;
		if (idlepath_read(&h, &c, "6.18", &p) == 0) {
			char text[256];
			for (size_t i = 0; i < p.n; i++) {
				idlepath_describe(&p, &c, &p.cpu[i], text, sizeof(text));
				idlepath_exit_unavoidable(&p, &p.cpu[i], 50);
			}
			idlepath_free(&p);
		}
		cpuidle_refresh(&h, &c);
		cpuidle_free(&c);
	}
	cpumask_free(&cpus);
	host_close(&h);
}
