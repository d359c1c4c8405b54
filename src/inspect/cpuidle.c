/* inspect/cpuidle: driver, governor and per-CPU idle states; PM QoS from
 * /dev/cpu_dma_latency and cpuN/power/pm_qos_resume_latency_us (cpuidle.h). */
#include "inspect/cpuidle.h"

#include <ctype.h>
#include <inttypes.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CPU_DIR "/sys/devices/system/cpu"
#define IDLE_DIR CPU_DIR "/cpuidle"
#define DMA_LATENCY "/dev/cpu_dma_latency"

bool pmqos_parse(const char *s, int64_t *out)
{
	char buf[32];
	if (!s)
		return false;
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!strcmp(buf, "n/a")) {
		*out = PMQOS_NA;
		return true;
	}
	/* The kernel stores an s32 >= 0; "-1" or "0x10" never comes from it. */
	uint64_t v;
	if (strspn(buf, "0123456789") != n || !parse_u64(buf, &v) || v > INT32_MAX)
		return false;
	*out = (int64_t)v;
	return true;
}

/* The counters of a state: what cpuidle_refresh reads again. */
static void read_counters(const struct host *h, const char *dir, struct idle_state *st)
{
	st->usage = host_attr_u64(h, dir, "usage");
	st->time_us = host_attr_u64(h, dir, "time");
}

static void read_state(const struct host *h, const char *dir, unsigned index,
		       struct idle_state *st)
{
	int64_t v;
	char p[512];

	memset(st, 0, sizeof(*st));
	st->index = index;
	host_attr_str(h, dir, "name", st->name, sizeof(st->name));
	/* host_read_line trims the padding some drivers put after desc. */
	host_attr_str(h, dir, "desc", st->desc, sizeof(st->desc));
	if (!strcmp(st->desc, "<null>"))
		st->desc[0] = '\0';
	st->latency_us = host_attr_u64(h, dir, "latency");
	st->residency_us = host_attr_u64(h, dir, "residency");
	st->disabled = -1;
	if (pathf(p, sizeof(p), "%s/disable", dir) && !host_read_s64(h, p, &v))
		st->disabled = v != 0;
	host_attr_str(h, dir, "default_status", st->default_status, sizeof(st->default_status));
	read_counters(h, dir, st);
	st->above = host_attr_u64(h, dir, "above");
	st->below = host_attr_u64(h, dir, "below");
	st->rejected = host_attr_u64(h, dir, "rejected");
}

static int read_states(const struct host *h, struct cpuidle_cpu *c)
{
	char dir[256], sdir[512];
	struct strlist names;

	if (!pathf(dir, sizeof(dir), CPU_DIR "/cpu%u/cpuidle", c->cpu) ||
	    host_list(h, dir, &names))
		return 0;
	int rc = 0;
	c->state = calloc(names.n ? names.n : 1, sizeof(*c->state));
	if (!c->state)
		rc = -ENOMEM;
	for (size_t i = 0; i < names.n && !rc; i++) {
		unsigned k;
		if (!name_number(names.v[i], "state", &k))
			continue;
		if (!pathf(sdir, sizeof(sdir), "%s/%s", dir, names.v[i]) || !host_is_dir(h, sdir))
			continue;
		read_state(h, sdir, k, &c->state[c->nstates++]);
	}
	strlist_free(&names);
	return rc;
}

static void read_resume_latency(const struct host *h, struct cpuidle_cpu *c)
{
	char p[256], buf[32];
	c->resume_latency_us = NA_S64;
	if (pathf(p, sizeof(p), CPU_DIR "/cpu%u/power/pm_qos_resume_latency_us", c->cpu) &&
	    !host_read_line(h, p, buf, sizeof(buf)) && !pmqos_parse(buf, &c->resume_latency_us))
		c->resume_latency_us = NA_S64;
}

/* A live /dev/cpu_dma_latency reads as a binary little-endian s32; a
 * snapshot keeps those 4 bytes; a hand-written tree may hold text. */
static void read_dma_latency(const struct host *h, struct cpuidle *out)
{
	size_t len = 0;
	out->cpu_dma_latency_us = NA_S64;
	char *s = host_read(h, DMA_LATENCY, &len);
	if (!s) {
		if (errno == ENOENT)
			snprintf(out->cpu_dma_latency_why, sizeof(out->cpu_dma_latency_why),
				 "%s is absent", DMA_LATENCY);
		else
			snprintf(out->cpu_dma_latency_why, sizeof(out->cpu_dma_latency_why),
				 "cannot read %s: %s", DMA_LATENCY, strerror(errno));
		return;
	}
	bool text = len > 0 && strspn(s, "0123456789-+ \t\n") == len &&
		    strpbrk(s, "0123456789");
	if (text) {
		char buf[32];
		size_t a = strspn(s, " \t\n"), n = strcspn(s + a, " \t\n");
		int64_t v;
		copy_strn(buf, sizeof(buf), s + a, n);
		if (parse_s64(buf, &v) && v >= INT32_MIN && v <= INT32_MAX)
			out->cpu_dma_latency_us = v;
	} else if (len == 4) {
		const unsigned char *b = (const unsigned char *)s;
		uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
			     (uint32_t)b[3] << 24;
		out->cpu_dma_latency_us = (int32_t)u;
	}
	if (out->cpu_dma_latency_us == NA_S64)
		snprintf(out->cpu_dma_latency_why, sizeof(out->cpu_dma_latency_why),
			 "%s: unexpected content (%zu bytes)", DMA_LATENCY, len);
	free(s);
}

/* The CPUs to report: cpus, or every cpuN directory when cpus is NULL. */
static int cpu_list(const struct host *h, const struct cpumask *cpus, struct cpumask *m)
{
	if (cpus)
		return cpumask_copy(m, cpus);
	struct strlist names;
	if (host_list(h, CPU_DIR, &names))
		return 0;
	int rc = 0;
	for (size_t i = 0; i < names.n && !rc; i++) {
		unsigned cpu;
		if (name_number(names.v[i], "cpu", &cpu))
			rc = cpumask_set(m, cpu);
	}
	strlist_free(&names);
	return rc;
}

static int read_cpus(const struct host *h, const struct cpumask *cpus, struct cpuidle *out)
{
	struct cpumask m;
	cpumask_init(&m);
	int rc = cpu_list(h, cpus, &m);
	unsigned n = cpumask_weight(&m);
	if (!rc && n) {
		out->cpu = calloc(n, sizeof(*out->cpu));
		if (!out->cpu)
			rc = -ENOMEM;
	}
	for (int cpu = cpumask_next(&m, -1); !rc && cpu >= 0; cpu = cpumask_next(&m, cpu)) {
		struct cpuidle_cpu *c = &out->cpu[out->n++];
		c->cpu = (unsigned)cpu;
		read_resume_latency(h, c);
		rc = read_states(h, c);
	}
	cpumask_free(&m);
	return rc;
}

/* idle=poll on the kernel command line: the idle loop polls, whatever
 * cpuidle says. */
static bool cmdline_idle_poll(const struct host *h)
{
	char *s = host_read(h, "/proc/cmdline", NULL);
	bool found = false;
	for (char *t = s ? strtok(s, " \t\n") : NULL; t && !found; t = strtok(NULL, " \t\n"))
		found = !strcmp(t, "idle=poll");
	free(s);
	return found;
}

int cpuidle_read(const struct host *h, const struct cpumask *cpus, struct cpuidle *out)
{
	memset(out, 0, sizeof(*out));
	read_dma_latency(h, out);
	out->idle_poll = cmdline_idle_poll(h);
	if (!host_is_dir(h, CPU_DIR)) {
		snprintf(out->why, sizeof(out->why), "%s is absent", CPU_DIR);
		return 0;
	}
	bool dir = host_is_dir(h, IDLE_DIR);
	host_attr_str(h, IDLE_DIR, "current_driver", out->driver, sizeof(out->driver));
	if (!host_attr_str(h, IDLE_DIR, "current_governor", out->governor, sizeof(out->governor)))
		host_attr_str(h, IDLE_DIR, "current_governor_ro", out->governor,
			      sizeof(out->governor));
	host_attr_str(h, IDLE_DIR, "available_governors", out->available_governors,
		      sizeof(out->available_governors));

	/* The resume latency exists without cpuidle: read the CPUs anyway. */
	int rc = read_cpus(h, cpus, out);
	if (rc)
		return rc;
	bool states = false;
	for (size_t i = 0; i < out->n && !states; i++)
		states = out->cpu[i].nstates > 0;
	if (!strcmp(out->driver, "none"))
		snprintf(out->why, sizeof(out->why), "no cpuidle driver (current_driver is none)");
	else if (!dir && !states)
		snprintf(out->why, sizeof(out->why), "no cpuidle (%s is absent)", IDLE_DIR);
	else
		out->available = true;
	return 0;
}

void cpuidle_free(struct cpuidle *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->cpu[i].state);
	free(c->cpu);
	memset(c, 0, sizeof(*c));
	c->cpu_dma_latency_us = NA_S64;
}

static int cmp_cpu(const void *a, const void *b)
{
	const struct cpuidle_cpu *x = a, *y = b;
	return x->cpu < y->cpu ? -1 : x->cpu > y->cpu;
}

/* c->cpu is in CPU order: read_cpus walks a mask. */
const struct cpuidle_cpu *cpuidle_cpu(const struct cpuidle *c, unsigned cpu)
{
	const struct cpuidle_cpu key = { .cpu = cpu };
	return c->n ? bsearch(&key, c->cpu, c->n, sizeof(*c->cpu), cmp_cpu) : NULL;
}

/* Only what moves: the counters of the states cpuidle_read found, the PM
 * QoS values.  A state or CPU that has gone reads as NA; none is added. */
int cpuidle_refresh(const struct host *h, struct cpuidle *c)
{
	char dir[256];

	c->cpu_dma_latency_why[0] = '\0';
	read_dma_latency(h, c);
	for (size_t i = 0; i < c->n; i++) {
		struct cpuidle_cpu *cc = &c->cpu[i];
		read_resume_latency(h, cc);
		for (size_t j = 0; j < cc->nstates; j++) {
			struct idle_state *st = &cc->state[j];
			if (pathf(dir, sizeof(dir), CPU_DIR "/cpu%u/cpuidle/state%u", cc->cpu,
				  st->index))
				read_counters(h, dir, st);
			else
				st->usage = st->time_us = NA_U64;
		}
	}
	return 0;
}

/* ---------- which warm method acts here ---------- */

const char *warm_method_name(enum warm_method m)
{
	return m == WARM_QOS ? "qos" : m == WARM_POLL ? "poll" : "none";
}

static bool is_poll_state(const struct idle_state *st)
{
	return !strcmp(st->name, "POLL");
}

static bool state_enabled(const struct idle_state *st)
{
	return st->disabled != 1;
}

/* The deepest enabled state with an exit latency, or NULL. */
static const struct idle_state *deep_state(const struct cpuidle_cpu *cc)
{
	const struct idle_state *best = NULL;
	for (size_t i = 0; i < cc->nstates; i++) {
		const struct idle_state *st = &cc->state[i];
		if (is_poll_state(st) || !state_enabled(st) || st->latency_us == NA_U64 ||
		    !st->latency_us)
			continue;
		if (!best || st->latency_us > best->latency_us)
			best = st;
	}
	return best;
}

/* An enabled state that halts (any but POLL). */
static bool halts(const struct cpuidle_cpu *cc)
{
	for (size_t i = 0; i < cc->nstates; i++)
		if (!is_poll_state(&cc->state[i]) && state_enabled(&cc->state[i]))
			return true;
	return false;
}

static enum warm_method warm_cpu(const struct cpuidle *c, const struct cpuidle_cpu *cc,
				 unsigned cpu, char *why, size_t sz)
{
	if (c->idle_poll) {
		snprintf(why, sz, "idle=poll on the kernel command line: idle already polls");
		return WARM_NONE;
	}
	/* No driver, or a CPU cpuidle does not list: the default idle routine. */
	if (!c->available || !cc || !cc->nstates) {
		if (!c->available)
			snprintf(why, sz, "%s: idle is the default idle routine (HLT on x86), "
				 "which no PM QoS constraint avoids", c->why[0] ? c->why :
				 "no cpuidle driver");
		else
			snprintf(why, sz, "cpuidle driver %s lists no idle state for CPU %u: idle is "
				 "the default idle routine, which no PM QoS constraint avoids",
				 c->driver[0] ? c->driver : "(unknown)", cpu);
		return WARM_POLL;
	}
	const struct idle_state *deep = deep_state(cc);
	if (deep && cc->resume_latency_us != NA_S64) {
		snprintf(why, sz, "cpuidle driver %s: CPU %u has idle state %s with an exit "
			 "latency of %" PRIu64 " us, which the PM QoS constraint avoids",
			 c->driver[0] ? c->driver : "(unknown)", cpu, deep->name, deep->latency_us);
		return WARM_QOS;
	}
	if (deep) {
		snprintf(why, sz, "CPU %u has no power/pm_qos_resume_latency_us: no constraint can "
			 "keep it out of %s", cpu, deep->name);
		return WARM_POLL;
	}
	if (halts(cc)) {
		snprintf(why, sz, "cpuidle driver %s: CPU %u has no enabled idle state with an exit "
			 "latency (only 0 us ones): the PM QoS constraint avoids nothing, but idle "
			 "still halts", c->driver[0] ? c->driver : "(unknown)", cpu);
		return WARM_POLL;
	}
	snprintf(why, sz, "CPU %u's only enabled idle state is POLL: idle already polls", cpu);
	return WARM_NONE;
}

/* qos when the constraint acts on any CPU of the set (on the others it is
 * harmless), else poll when any halts, else none.  The reason given is
 * that of the first CPU with the winning method. */
enum warm_method cpuidle_warm_method(const struct cpuidle *c, const struct cpumask *cpus,
				     char *why, size_t sz)
{
	char buf[320], first[3][320] = { "", "", "" };
	enum warm_method best = WARM_NONE;
	bool any = false;
	for (int cpu = cpumask_next(cpus, -1); cpu >= 0; cpu = cpumask_next(cpus, cpu)) {
		enum warm_method m = warm_cpu(c, cpuidle_cpu(c, (unsigned)cpu), (unsigned)cpu, buf,
					      sizeof(buf));
		any = true;
		if (!first[m][0])
			copy_str(first[m], sizeof(first[m]), buf);
		if (m == WARM_QOS || (m == WARM_POLL && best == WARM_NONE))
			best = m;
	}
	if (!any)
		snprintf(first[WARM_NONE], sizeof(first[WARM_NONE]), "no CPU to keep warm");
	if (why && sz)
		copy_str(why, sz, first[best]);
	return best;
}
