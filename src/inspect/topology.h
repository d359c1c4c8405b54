/* inspect/topology: CPUs (possible/present/online/offline/isolated/nohz_full), SMT
 * siblings, packages, dies, clusters, last-level caches and NUMA nodes. */
#ifndef AGENTUNE_TOPOLOGY_H
#define AGENTUNE_TOPOLOGY_H

#include "base/cpumask.h"
#include "base/host.h"
#include "base/util.h"

struct topo_cpu {
	unsigned cpu;
	bool online;
	bool has_topology;        /* offline CPUs have no topology/ directory */
	int package, die, core, cluster; /* -1 when unavailable */
	int node;                 /* NUMA node, -1 when unknown */
	struct cpumask siblings;  /* SMT siblings (thread_siblings_list), incl. itself */
	struct cpumask package_cpus; /* core_siblings_list / package_cpus_list */
	struct cpumask llc;       /* CPUs sharing the last-level cache; empty if unknown */
	int llc_level;            /* 3, 2, ... or -1 */
};

struct numa_node {
	int id;
	struct cpumask cpus;      /* may be empty (memory-only nodes) */
};

struct topology {
	bool available;
	char why[160];
	/* has_X false when the file is missing; the mask is then empty. */
	bool has_possible, has_present, has_online, has_offline, has_isolated, has_nohz_full;
	struct cpumask possible, present, online, offline, isolated, nohz_full;
	int kernel_max;           /* -1 when unavailable */
	size_t n;                 /* CPUs with a cpuN directory, ascending */
	struct topo_cpu *cpu;
	size_t nnodes;
	struct numa_node *node;
	unsigned packages, cores; /* distinct counts over online CPUs with topology */
};

int topology_read(const struct host *h, struct topology *out);
void topology_free(struct topology *t);
const struct topo_cpu *topology_cpu(const struct topology *t, unsigned cpu);

#endif
