/* libFuzzer harness: profile_load on arbitrary bytes written to a file, with
 * the invariants the plan relies on checked after a successful load.  Names
 * in include= are looked up in an empty directory, so the input never pulls
 * in a shipped profile; a relative file include finds only the input itself
 * (a cycle) or nothing. */
#include <stdio.h>
#include <unistd.h>

#include "fuzz.h"
#include "tune/profile.h"

struct dirs {
	char empty[64], input[64], file[96];
};

static struct dirs d;

static void cleanup(void)
{
	unlink(d.file);
	rmdir(d.input);
	rmdir(d.empty);
}

/* Made once per process and removed at its exit: libFuzzer runs millions of
 * inputs through the same two directories. */
static const struct dirs *dirs(void)
{
	static int made;
	if (!made) {
		snprintf(d.empty, sizeof(d.empty), "/tmp/fuzz-profile-dirs-XXXXXX");
		snprintf(d.input, sizeof(d.input), "/tmp/fuzz-profile-input-XXXXXX");
		if (!mkdtemp(d.empty) || !mkdtemp(d.input))
			__builtin_trap();
		snprintf(d.file, sizeof(d.file), "%s/in.profile", d.input);
		made = 1;
		atexit(cleanup);
	}
	return &d;
}

static void check_num(const struct pnum *n, int64_t lo, int64_t hi)
{
	if (n->set && (n->v < lo || n->v > hi || n->src.line < 1 || !n->src.file[0]))
		__builtin_trap();
	if (!n->set && n->v)
		__builtin_trap();
}

static void check_cpus(const struct cpus_spec *c)
{
	if ((c->kind == CPUS_LIST) == cpumask_empty(&c->cpus))
		__builtin_trap();
}

static void check(const struct profile *p)
{
	if (p->chain.n < 1 || p->chain.n > PROFILE_MAX_DEPTH || strcmp(p->name, "in"))
		__builtin_trap();
	if (strlen(p->summary) >= sizeof(p->summary) ||
	    strlen(p->cgroup_name) >= sizeof(p->cgroup_name) || !p->cgroup_name[0])
		__builtin_trap();
	check_cpus(&p->cpus);
	check_cpus(&p->housekeeping);
	check_cpus(&p->cpuset);
	for (size_t i = 0; i < p->nirq; i++) {
		const struct irq_rule *r = &p->irq[i];
		if ((r->dest == IRQDEST_CPUS) == cpumask_empty(&r->cpus))
			__builtin_trap();
		if ((r->sel == IRQSEL_ALL) != !r->arg[0] || !strstr(r->text, "->") ||
		    r->src.line < 1)
			__builtin_trap();
	}
	check_num(&p->netdev_budget, 1, 1000000);
	check_num(&p->netdev_budget_usecs, 1, 10000000);
	check_num(&p->busy_poll, 0, 10000000);
	check_num(&p->busy_read, 0, 10000000);
	check_num(&p->defer_hard_irqs, 0, INT32_MAX);
	check_num(&p->gro_flush_timeout_ns, 0, 10000000000LL);
	check_num(&p->resume_latency_us, -1, INT32_MAX - 1);
	check_num(&p->cpu_weight, 1, 10000);
	check_num(&p->cpu_max_quota_us, -1, 1000000000);
	check_num(&p->cpu_max_period_us, 1000, 1000000);
	check_num(&p->uclamp_min, 0, 10000);
	check_num(&p->isolate, 0, 1);
	if (p->cpu_max_quota_us.set != p->cpu_max_period_us.set)
		__builtin_trap();
	if (p->interfaces_auto && p->interfaces.n)
		__builtin_trap();
	if (p->min_freq_kind == FREQ_PERCENT && p->min_freq > 100)
		__builtin_trap();
	if (p->min_freq_kind == FREQ_KHZ && (p->min_freq == 0 || p->min_freq > 100000000))
		__builtin_trap();
}

static void fuzz_one(const char *buf, size_t size)
{
	const struct dirs *d = dirs();
	FILE *f = fopen(d->file, "w");
	if (!f)
		__builtin_trap();
	if (size && fwrite(buf, 1, size, f) != size)
		__builtin_trap();
	fclose(f);

	const char *list[] = { d->empty };
	struct profile_opts o = { .dirs = list, .ndirs = 1, .check_safe = false };
	struct profile p;
	struct parse_error err;
	int rc = profile_load(d->file, &o, &p, &err);
	if (rc == 0)
		check(&p);
	else if ((rc != -EINVAL && rc != -ENOENT && rc != -ENOMEM && rc != -ELOOP &&
		  rc != -EACCES && rc != -ENOTDIR && rc != -ENAMETOOLONG) ||
		 !err.file[0] || !err.msg[0] || p.nirq || p.irq || p.chain.n)
		__builtin_trap();
	profile_free(&p);
}
