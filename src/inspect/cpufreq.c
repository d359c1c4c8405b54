/* inspect/cpufreq: policies under /sys/devices/system/cpu/cpufreq, or the per-CPU
 * cpufreq directories of old kernels (cpufreq.h). */
#include "inspect/cpufreq.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CPU_DIR "/sys/devices/system/cpu"
#define FREQ_DIR CPU_DIR "/cpufreq"

/* What cpuinfo_transition_latency holds when the driver does not know it
 * (CPUFREQ_ETERNAL). */
#define LATENCY_UNKNOWN 4294967295ull

/* affected_cpus / related_cpus ("0 1 2 3 " with a trailing space). */
static void read_mask(const struct host *h, const char *dir, const char *name,
		      struct cpumask *m)
{
	char p[512];
	cpumask_clear(m);
	if (!pathf(p, sizeof(p), "%s/%s", dir, name))
		return;
	char *s = host_read(h, p, NULL);
	if (s && cpulist_parse(s, m))
		cpumask_clear(m);
	free(s);
}

/* cpus: affected_cpus; an inactive policy (all its CPUs offline) has none,
 * and a capture may lack the file: related_cpus, then the policy's own CPU
 * (policyN is named after its first CPU; cpuN after its CPU).  A related
 * list without the own CPU is a hand-edited capture: not trusted. */
static int policy_cpus(struct cpufreq_policy *p, int own_cpu)
{
	if (!cpumask_empty(&p->cpus))
		return 0;
	if (!cpumask_empty(&p->related) &&
	    (own_cpu < 0 || cpumask_test(&p->related, (unsigned)own_cpu)))
		return cpumask_copy(&p->cpus, &p->related);
	return own_cpu >= 0 ? cpumask_set(&p->cpus, (unsigned)own_cpu) : 0;
}

static int read_policy(const struct host *h, const char *name, const char *dir, int own_cpu,
		       struct cpufreq_policy *p)
{
	memset(p, 0, sizeof(*p));
	copy_str(p->name, sizeof(p->name), name);
	copy_str(p->path, sizeof(p->path), dir);
	read_mask(h, dir, "affected_cpus", &p->cpus);
	read_mask(h, dir, "related_cpus", &p->related);
	host_attr_str(h, dir, "scaling_driver", p->driver, sizeof(p->driver));
	host_attr_str(h, dir, "scaling_governor", p->governor, sizeof(p->governor));
	host_attr_str(h, dir, "scaling_available_governors", p->available_governors,
		      sizeof(p->available_governors));
	/* 0-byte files (a driver that cannot tell) read as unavailable. */
	p->cur_khz = host_attr_u64(h, dir, "scaling_cur_freq");
	if (p->cur_khz == NA_U64) /* old intel_pstate and per-CPU directories */
		p->cur_khz = host_attr_u64(h, dir, "cpuinfo_cur_freq");
	p->min_khz = host_attr_u64(h, dir, "scaling_min_freq");
	p->max_khz = host_attr_u64(h, dir, "scaling_max_freq");
	p->cpuinfo_min_khz = host_attr_u64(h, dir, "cpuinfo_min_freq");
	p->cpuinfo_max_khz = host_attr_u64(h, dir, "cpuinfo_max_freq");
	p->base_khz = host_attr_u64(h, dir, "base_frequency");
	p->transition_latency_ns = host_attr_u64(h, dir, "cpuinfo_transition_latency");
	if (p->transition_latency_ns == LATENCY_UNKNOWN)
		p->transition_latency_ns = NA_U64;
	host_attr_str(h, dir, "energy_performance_preference", p->epp, sizeof(p->epp));
	return policy_cpus(p, own_cpu);
}

static int add_policy(const struct host *h, struct cpufreq *f, size_t *cap, const char *name,
		      const char *dir, int own_cpu)
{
	struct cpufreq_policy *v = grow(f->policy, f->n, cap, sizeof(*v), 16);
	if (!v)
		return -ENOMEM;
	f->policy = v;
	int rc = read_policy(h, name, dir, own_cpu, &f->policy[f->n]);
	f->n++; /* freed by cpufreq_free even when incomplete */
	return rc;
}

static bool have_path(const struct cpufreq *f, const char *path)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->policy[i].path, path))
			return true;
	return false;
}

static bool covered(const struct cpufreq *f, unsigned cpu)
{
	for (size_t i = 0; i < f->n; i++)
		if (cpumask_test(&f->policy[i].cpus, cpu) ||
		    cpumask_test(&f->policy[i].related, cpu))
			return true;
	return false;
}

static int read_policies(const struct host *h, struct cpufreq *f, size_t *cap)
{
	struct strlist names;
	if (host_list(h, FREQ_DIR, &names))
		return 0;
	int rc = 0;
	for (size_t i = 0; i < names.n && !rc; i++) {
		unsigned id;
		char dir[256];
		if (!name_number(names.v[i], "policy", &id))
			continue;
		if (pathf(dir, sizeof(dir), FREQ_DIR "/%s", names.v[i]) && host_is_dir(h, dir))
			rc = add_policy(h, f, cap, names.v[i], dir, (int)id);
	}
	strlist_free(&names);
	return rc;
}

/* cpuN/cpufreq: a link (or link-file) to its policy, or to the owning CPU's
 * directory on old kernels, or a directory of its own on old kernels. */
static int read_cpu_dir(const struct host *h, struct cpufreq *f, size_t *cap, unsigned cpu)
{
	char p[256], target[256];
	if (!pathf(p, sizeof(p), CPU_DIR "/cpu%u/cpufreq", cpu))
		return 0;
	if (host_link(h, p, target, sizeof(target)) == 0) {
		/* A dangling link (policy not captured) says nothing. */
		if (have_path(f, target) || !host_is_dir(h, target))
			return 0;
		const char *base = strrchr(target, '/');
		base = base ? base + 1 : target;
		char name[32];
		unsigned id;
		int own = -1;
		if (!strcmp(base, "cpufreq")) {
			/* .../cpuM/cpufreq: name it cpuM */
			char parent[256];
			copy_str(parent, sizeof(parent), target);
			*strrchr(parent, '/') = '\0';
			const char *pb = strrchr(parent, '/');
			copy_str(name, sizeof(name), pb ? pb + 1 : parent);
			if (name_number(name, "cpu", &id))
				own = (int)id;
		} else {
			copy_str(name, sizeof(name), base);
			if (name_number(name, "policy", &id))
				own = (int)id;
		}
		return add_policy(h, f, cap, name, target, own);
	}
	if (!host_is_dir(h, p) || covered(f, cpu))
		return 0;
	char name[32];
	pathf(name, sizeof(name), "cpu%u", cpu);
	return add_policy(h, f, cap, name, p, (int)cpu);
}

static int read_cpu_dirs(const struct host *h, const struct cpumask *cpus, struct cpufreq *f,
			 size_t *cap)
{
	struct strlist names;
	if (host_list(h, CPU_DIR, &names))
		return 0;
	int rc = 0;
	for (size_t i = 0; i < names.n && !rc; i++) {
		unsigned cpu;
		if (!name_number(names.v[i], "cpu", &cpu))
			continue;
		if (cpus && !cpumask_test(cpus, cpu))
			continue;
		rc = read_cpu_dir(h, f, cap, cpu);
	}
	strlist_free(&names);
	return rc;
}

static int cmp_policy(const void *a, const void *b)
{
	const struct cpufreq_policy *x = a, *y = b;
	return natural_cmp(x->name, y->name);
}

static void read_boost(const struct host *h, struct cpufreq *f)
{
	uint64_t v;
	if (!host_read_u64(h, FREQ_DIR "/boost", &v))
		f->boost = v != 0;
	else if (!host_read_u64(h, CPU_DIR "/intel_pstate/no_turbo", &v))
		f->boost = v == 0;
	if (host_read_line(h, CPU_DIR "/intel_pstate/status", f->pstate_status,
			   sizeof(f->pstate_status)))
		f->pstate_status[0] = '\0';
}

/* cpus limits the per-CPU directories looked at (normally the present CPUs);
 * NULL means every cpuN directory. */
int cpufreq_read(const struct host *h, const struct cpumask *cpus, struct cpufreq *out)
{
	size_t cap = 0;
	memset(out, 0, sizeof(*out));
	out->boost = -1;
	if (!host_is_dir(h, CPU_DIR)) {
		snprintf(out->why, sizeof(out->why), "%s is absent", CPU_DIR);
		return 0;
	}
	read_boost(h, out);
	int rc = read_policies(h, out, &cap);
	if (!rc)
		rc = read_cpu_dirs(h, cpus, out, &cap);
	if (rc)
		return rc;
	if (out->n > 1)
		qsort(out->policy, out->n, sizeof(*out->policy), cmp_policy);
	out->available = out->n > 0;
	if (out->available)
		return 0;
	if (host_is_dir(h, FREQ_DIR))
		snprintf(out->why, sizeof(out->why), "no cpufreq driver (no policy in %s)",
			 FREQ_DIR);
	else
		snprintf(out->why, sizeof(out->why), "no cpufreq driver (%s is absent)",
			 FREQ_DIR);
	return 0;
}

void cpufreq_free(struct cpufreq *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		cpumask_free(&f->policy[i].cpus);
		cpumask_free(&f->policy[i].related);
	}
	free(f->policy);
	memset(f, 0, sizeof(*f));
	f->boost = -1;
}

const struct cpufreq_policy *cpufreq_policy_of(const struct cpufreq *f, unsigned cpu)
{
	for (size_t i = 0; i < f->n; i++)
		if (cpumask_test(&f->policy[i].cpus, cpu))
			return &f->policy[i];
	for (size_t i = 0; i < f->n; i++)
		if (cpumask_test(&f->policy[i].related, cpu))
			return &f->policy[i];
	return NULL;
}
