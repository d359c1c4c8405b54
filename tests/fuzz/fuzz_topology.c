/* libFuzzer harness: topology_read over a generated tree (fuzz_tree.h):
 * the CPU lists, two CPUs' topology and cache (one through a link), NUMA
 * nodes, isolation. */
#include "fuzz_tree.h"
#include "inspect/topology.h"

#define CPU "sys/devices/system/cpu/"
#define T0 CPU "cpu0/topology/"
static const char *const paths[] = {
	CPU "online", CPU "possible", CPU "present", CPU "kernel_max", CPU "isolated",
	CPU "nohz_full", T0 "physical_package_id", T0 "core_id", T0 "die_id",
	T0 "thread_siblings_list", T0 "core_siblings_list", T0 "package_cpus_list",
	CPU "cpu0/cache/index3/level", CPU "cpu0/cache/index3/shared_cpu_list",
	CPU "cpu1/topology", CPU "cpu1/online", "sys/devices/system/node/online",
	"sys/devices/system/node/node0/cpulist", "sys/devices/system/node/node1",
	"proc/cmdline",
};

static void fuzz_one(const char *text, size_t size)
{
	struct host h;
	if (!fz_tree(text, size, paths, sizeof(paths) / sizeof(paths[0]), &h))
		return;
	struct topology t;
	if (topology_read(&h, &t) == 0)
		topology_free(&t);
	host_close(&h);
}
