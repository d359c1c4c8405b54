/* inspect/topology: CPUs, SMT siblings, packages, last-level caches and NUMA nodes
 * from /sys/devices/system/{cpu,node} (topology.h). */
#include "inspect/topology.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CPU_DIR "/sys/devices/system/cpu"
#define NODE_DIR "/sys/devices/system/node"

/* A CPU list file into m.  false (m empty) when missing or malformed: a
 * garbled list says nothing we can trust. */
static bool read_list(const struct host *h, const char *path, struct cpumask *m)
{
	char *s = host_read(h, path, NULL);
	cpumask_clear(m);
	if (!s)
		return false;
	int rc = cpulist_parse(s, m);
	free(s);
	if (rc)
		cpumask_clear(m);
	return rc == 0;
}

static bool read_hex(const struct host *h, const char *path, struct cpumask *m)
{
	char *s = host_read(h, path, NULL);
	cpumask_clear(m);
	if (!s)
		return false;
	int rc = cpumask_parse_hex(s, m);
	free(s);
	if (rc)
		cpumask_clear(m);
	return rc == 0;
}

/* dir/list_name, else dir/hex_name (old kernels and captures may have only one). */
static bool read_list_or_hex(const struct host *h, const char *dir, const char *list_name,
			     const char *hex_name, struct cpumask *m)
{
	char p[512];
	if (pathf(p, sizeof(p), "%s/%s", dir, list_name) && read_list(h, p, m))
		return true;
	return pathf(p, sizeof(p), "%s/%s", dir, hex_name) && read_hex(h, p, m);
}

/* An id file; -1 when missing or not a number (the kernel itself writes -1
 * for "unknown", e.g. POWER physical_package_id, ARM die_id). */
static int read_id(const struct host *h, const char *dir, const char *name)
{
	int64_t v = host_attr_s64(h, dir, name);
	return v < -1 || v > INT32_MAX ? -1 : (int)v;
}

static void read_cpu_topology(const struct host *h, const char *cpudir, struct topo_cpu *c)
{
	char dir[256];
	c->has_topology = pathf(dir, sizeof(dir), "%s/topology", cpudir) && host_is_dir(h, dir);
	if (!c->has_topology)
		return;
	c->package = read_id(h, dir, "physical_package_id");
	c->die = read_id(h, dir, "die_id");
	c->core = read_id(h, dir, "core_id");
	c->cluster = read_id(h, dir, "cluster_id");
	read_list_or_hex(h, dir, "thread_siblings_list", "thread_siblings", &c->siblings);
	/* package_cpus* is the newer name of core_siblings*. */
	if (!read_list_or_hex(h, dir, "package_cpus_list", "package_cpus", &c->package_cpus))
		read_list_or_hex(h, dir, "core_siblings_list", "core_siblings",
				 &c->package_cpus);
}

/* The cache index with the highest level; on a tie the one shared by more
 * CPUs (L1d and L1i on a machine without L2 have the same level). */
static int read_cpu_llc(const struct host *h, const char *cpudir, struct topo_cpu *c)
{
	char dir[256], p[512];
	struct strlist idx;
	struct cpumask m;

	if (!pathf(dir, sizeof(dir), "%s/cache", cpudir) || host_list(h, dir, &idx))
		return 0;
	cpumask_init(&m);
	int rc = 0;
	for (size_t i = 0; i < idx.n; i++) {
		unsigned k;
		uint64_t level;
		if (!name_number(idx.v[i], "index", &k))
			continue;
		if (!pathf(p, sizeof(p), "%s/%s/level", dir, idx.v[i]) ||
		    host_read_u64(h, p, &level) || level > 16)
			continue;
		if (!pathf(p, sizeof(p), "%s/%s", dir, idx.v[i]) ||
		    !read_list_or_hex(h, p, "shared_cpu_list", "shared_cpu_map", &m))
			continue;
		if ((int)level < c->llc_level)
			continue;
		if ((int)level == c->llc_level && cpumask_weight(&m) <= cpumask_weight(&c->llc))
			continue;
		c->llc_level = (int)level;
		rc = cpumask_copy(&c->llc, &m);
		if (rc)
			break;
	}
	cpumask_free(&m);
	strlist_free(&idx);
	return rc;
}

/* Online per CPU: the online list when there is one; otherwise the CPU's own
 * online file, and a CPU without one (cpu0 usually) is online. */
static bool cpu_online(const struct host *h, const struct topology *t, const char *cpudir,
		       unsigned cpu)
{
	if (t->has_online)
		return cpumask_test(&t->online, cpu);
	return host_attr_u64(h, cpudir, "online") != 0;
}

static int cmp_cpu(const void *a, const void *b)
{
	const struct topo_cpu *x = a, *y = b;
	return x->cpu < y->cpu ? -1 : x->cpu > y->cpu;
}

static int read_cpus(const struct host *h, struct topology *t)
{
	struct strlist names;
	int rc = host_list(h, CPU_DIR, &names);
	if (rc)
		return rc;
	t->cpu = calloc(names.n ? names.n : 1, sizeof(*t->cpu));
	if (!t->cpu) {
		strlist_free(&names);
		return -ENOMEM;
	}
	for (size_t i = 0; i < names.n && !rc; i++) {
		unsigned cpu;
		char dir[256];
		if (!name_number(names.v[i], "cpu", &cpu))
			continue;
		if (!pathf(dir, sizeof(dir), CPU_DIR "/%s", names.v[i]) || !host_is_dir(h, dir))
			continue;
		struct topo_cpu *c = &t->cpu[t->n++];
		c->cpu = cpu;
		c->package = c->die = c->core = c->cluster = c->node = -1;
		c->llc_level = -1;
		c->online = cpu_online(h, t, dir, cpu);
		read_cpu_topology(h, dir, c);
		rc = read_cpu_llc(h, dir, c);
		if (!rc && !t->has_online && c->online)
			rc = cpumask_set(&t->online, cpu);
	}
	strlist_free(&names);
	qsort(t->cpu, t->n, sizeof(*t->cpu), cmp_cpu);
	return rc;
}

static int cmp_node(const void *a, const void *b)
{
	const struct numa_node *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int read_nodes(const struct host *h, struct topology *t)
{
	struct strlist names;
	if (host_list(h, NODE_DIR, &names))
		return 0; /* no NUMA information: node stays -1 */
	t->node = calloc(names.n ? names.n : 1, sizeof(*t->node));
	if (!t->node) {
		strlist_free(&names);
		return -ENOMEM;
	}
	for (size_t i = 0; i < names.n; i++) {
		unsigned id;
		char dir[256];
		if (!name_number(names.v[i], "node", &id) || id > INT32_MAX)
			continue;
		if (!pathf(dir, sizeof(dir), NODE_DIR "/%s", names.v[i]) || !host_is_dir(h, dir))
			continue;
		struct numa_node *n = &t->node[t->nnodes++];
		n->id = (int)id;
		read_list_or_hex(h, dir, "cpulist", "cpumap", &n->cpus);
	}
	strlist_free(&names);
	qsort(t->node, t->nnodes, sizeof(*t->node), cmp_node);
	for (size_t i = 0; i < t->n; i++)
		for (size_t k = 0; k < t->nnodes && t->cpu[i].node < 0; k++)
			if (cpumask_test(&t->node[k].cpus, t->cpu[i].cpu))
				t->cpu[i].node = t->node[k].id;
	return 0;
}

static bool counted(const struct topo_cpu *c)
{
	return c->online && c->has_topology;
}

/* Lowest counted CPU of m, or -1. */
static int first_counted(const struct topology *t, const struct cpumask *m)
{
	for (int cpu = cpumask_next(m, -1); cpu >= 0; cpu = cpumask_next(m, cpu)) {
		const struct topo_cpu *c = topology_cpu(t, (unsigned)cpu);
		if (c && counted(c))
			return cpu;
	}
	return -1;
}

/* Packages: distinct physical_package_id >= 0.  Where the kernel does not
 * know the id (-1 on POWER) the package_cpus masks stand in for it. */
static unsigned count_packages(const struct topology *t)
{
	unsigned n = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct topo_cpu *c = &t->cpu[i];
		bool first = counted(c);
		for (size_t k = 0; first && k < i; k++) {
			const struct topo_cpu *o = &t->cpu[k];
			if (!counted(o))
				continue;
			if (c->package >= 0 ? o->package == c->package :
			    (o->package < 0 && cpumask_equal(&o->package_cpus, &c->package_cpus)))
				first = false;
		}
		n += first;
	}
	return n;
}

/* Cores: one per SMT sibling group; without sibling lists, distinct
 * (package, die, cluster, core) ids.  core_id alone repeats across
 * packages and ARM clusters. */
static unsigned count_cores(const struct topology *t)
{
	unsigned n = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct topo_cpu *c = &t->cpu[i];
		if (!counted(c))
			continue;
		if (!cpumask_empty(&c->siblings) && cpumask_test(&c->siblings, c->cpu)) {
			n += first_counted(t, &c->siblings) == (int)c->cpu;
			continue;
		}
		bool first = true;
		for (size_t k = 0; first && k < i; k++) {
			const struct topo_cpu *o = &t->cpu[k];
			if (counted(o) && cpumask_empty(&o->siblings) && o->package == c->package &&
			    o->die == c->die && o->cluster == c->cluster && o->core == c->core)
				first = false;
		}
		n += first;
	}
	return n;
}

int topology_read(const struct host *h, struct topology *out)
{
	memset(out, 0, sizeof(*out));
	out->kernel_max = -1;
	if (!host_is_dir(h, CPU_DIR)) {
		snprintf(out->why, sizeof(out->why), "%s is absent", CPU_DIR);
		return 0;
	}
	out->available = true;
	out->has_possible = read_list(h, CPU_DIR "/possible", &out->possible);
	out->has_present = read_list(h, CPU_DIR "/present", &out->present);
	out->has_online = read_list(h, CPU_DIR "/online", &out->online);
	out->has_offline = read_list(h, CPU_DIR "/offline", &out->offline);
	out->has_isolated = read_list(h, CPU_DIR "/isolated", &out->isolated);
	out->has_nohz_full = read_list(h, CPU_DIR "/nohz_full", &out->nohz_full);
	int64_t km;
	if (!host_read_s64(h, CPU_DIR "/kernel_max", &km) && km >= 0 && km <= INT32_MAX)
		out->kernel_max = (int)km;

	/* Without the online file, the online mask is built from the CPUs. */
	int rc = read_cpus(h, out);
	if (!rc)
		rc = read_nodes(h, out);
	if (rc && rc != -ENOMEM) {
		/* The directory vanished or cannot be listed: report it. */
		snprintf(out->why, sizeof(out->why), "cannot list %s: %s", CPU_DIR,
			 strerror(-rc));
		out->available = false;
		return 0;
	}
	if (rc)
		return rc;
	out->packages = count_packages(out);
	out->cores = count_cores(out);
	return 0;
}

void topology_free(struct topology *t)
{
	if (!t)
		return;
	cpumask_free(&t->possible);
	cpumask_free(&t->present);
	cpumask_free(&t->online);
	cpumask_free(&t->offline);
	cpumask_free(&t->isolated);
	cpumask_free(&t->nohz_full);
	for (size_t i = 0; i < t->n; i++) {
		cpumask_free(&t->cpu[i].siblings);
		cpumask_free(&t->cpu[i].package_cpus);
		cpumask_free(&t->cpu[i].llc);
	}
	free(t->cpu);
	for (size_t i = 0; i < t->nnodes; i++)
		cpumask_free(&t->node[i].cpus);
	free(t->node);
	memset(t, 0, sizeof(*t));
	t->kernel_max = -1;
}

const struct topo_cpu *topology_cpu(const struct topology *t, unsigned cpu)
{
	const struct topo_cpu key = { .cpu = cpu };
	return t->n ? bsearch(&key, t->cpu, t->n, sizeof(*t->cpu), cmp_cpu) : NULL;
}
