/* top/top: the frames of `agentune top` (see top.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tune/journal.h"
#include "inspect/model.h"
#include "base/errmsg.h"
#include "base/procfs_text.h"
#include "inspect/procstat.h"
#include "top/top.h"
#include "top/top_agent.h"
#include "tune/tune.h"
#include "tune/winctl.h"

/* The counters as read at one sample. */
struct counters {
	double at;                 /* CLOCK_MONOTONIC seconds */
	bool stat_ok, irqs_ok, softirqs_ok;
	struct procstat stat;
	struct interrupts irqs;
	struct softirqs softirqs;
	uint64_t (*idle_time)[TOP_IDLE_MAX]; /* [cpu row][state] us, NA_U64 unknown */
};

struct top_source {
	const struct host *host;
	char journal_dir[4096];
	struct model m;            /* read once: topology, devices, idle states */
	unsigned *cpu;             /* the CPUs shown, ascending */
	size_t ncpu;
	unsigned max_cpu;          /* largest CPU number + 1 */
	char **irq_device;         /* by IRQ number (< nirq_device), from the model */
	size_t nirq_device;
	struct counters prev;
	struct agent_watch **agents;
	size_t nagents;
	bool no_bpf;
	unsigned seq;
};

static void counters_free(struct counters *c)
{
	procstat_free(&c->stat);
	interrupts_free(&c->irqs);
	softirqs_free(&c->softirqs);
	free(c->idle_time);
	memset(c, 0, sizeof(*c));
}

static int read_counters(struct top_source *s, struct counters *c)
{
	struct parse_error err;

	c->at = mono_s();
	c->stat_ok = procstat_read(s->host, &c->stat, &err) == 0;
	/* Without the per-IRQ files: affinity is read only for the rows a
	 * frame shows (describe_irq). */
	c->irqs_ok = interrupts_read_counts(s->host, &c->irqs, &err) == 0;
	c->softirqs_ok = softirqs_read(s->host, &c->softirqs, &err) == 0;
	c->idle_time = calloc(s->ncpu ? s->ncpu : 1, sizeof(*c->idle_time));
	if (!c->idle_time)
		return -ENOMEM;
	if (cpuidle_refresh(s->host, &s->m.idle) == -ENOMEM)
		return -ENOMEM;
	for (size_t i = 0; i < s->ncpu; i++) {
		const struct cpuidle_cpu *ic = cpuidle_cpu(&s->m.idle, s->cpu[i]);

		for (size_t k = 0; k < TOP_IDLE_MAX; k++)
			c->idle_time[i][k] = ic && k < ic->nstates ? ic->state[k].time_us : NA_U64;
	}
	return 0;
}

/* The model's description of every numbered IRQ, by number. */
static int index_devices(struct top_source *s)
{
	const struct interrupts *irqs = &s->m.irqs;
	unsigned max = 0;

	for (size_t i = 0; i < irqs->n; i++)
		if (irqs->lines[i].numbered && irqs->lines[i].irq + 1 > max)
			max = irqs->lines[i].irq + 1;
	s->irq_device = calloc(max ? max : 1, sizeof(char *));
	if (!s->irq_device)
		return -ENOMEM;
	s->nirq_device = max;
	for (size_t i = 0; i < irqs->n && s->m.irqdev; i++) {
		char buf[400];

		if (!irqs->lines[i].numbered)
			continue;
		irq_device_describe(&s->m.irqdev[i], buf, sizeof(buf));
		if (buf[0] && !(s->irq_device[irqs->lines[i].irq] = strdup(buf)))
			return -ENOMEM;
	}
	return 0;
}

static int list_cpus(struct top_source *s)
{
	struct cpumask cpus;
	int c = -1;

	cpumask_init(&cpus);
	model_cpus(&s->m, &cpus);
	s->cpu = calloc(cpumask_weight(&cpus) + 1, sizeof(unsigned));
	if (!s->cpu) {
		cpumask_free(&cpus);
		return -ENOMEM;
	}
	while ((c = cpumask_next(&cpus, c)) >= 0) {
		s->cpu[s->ncpu++] = (unsigned)c;
		s->max_cpu = (unsigned)c + 1;
	}
	cpumask_free(&cpus);
	return 0;
}

static int open_agents(struct top_source *s, const struct top_opts *o, char *err, size_t errsz)
{
	size_t n = o->npids + o->ntargets;

	s->agents = calloc(n ? n : 1, sizeof(*s->agents));
	if (!s->agents)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		s->agents[i] = i < o->npids ?
			agent_watch_open(s->host, o->pids[i], o->no_bpf, err, errsz) :
			agent_watch_open_target(s->host, &o->targets[i - o->npids], o->no_bpf,
						err, errsz);
		if (!s->agents[i])
			return -errno;
		s->nagents++;
	}
	return 0;
}

struct top_source *top_source_open(const struct top_opts *o, char *err, size_t errsz)
{
	struct top_source *s = calloc(1, sizeof(*s));
	int e;

	if (!s) {
		errmsg(err, errsz, 0, "out of memory");
		return NULL;
	}
	s->host = o->host;
	s->no_bpf = o->no_bpf;
	copy_str(s->journal_dir, sizeof(s->journal_dir),
		 o->journal_dir ? o->journal_dir : journal_default_dir());
	/* What fails below without a message of its own runs out of memory. */
	errmsg(err, errsz, 0, "out of memory");
	if ((e = model_read(s->host, &s->m)) || (e = list_cpus(s)) || (e = index_devices(s)) ||
	    (e = open_agents(s, o, err, errsz)) || (e = read_counters(s, &s->prev))) {
		top_source_close(s);
		errno = -e;
		return NULL;
	}
	err[0] = '\0';
	return s;
}

/* Rate of a counter that may have been reset (an IRQ line reused, a CPU
 * back online): a counter that went down counts as 0, not as a wrap. */
static double rate(uint64_t now, uint64_t before, double dt)
{
	if (now == NA_U64 || before == NA_U64 || now < before || dt <= 0)
		return 0;
	return (double)(now - before) / dt;
}

static size_t cpu_row(const struct top_source *s, unsigned cpu)
{
	size_t lo = 0, hi = s->ncpu;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->cpu[mid] == cpu)
			return mid;
		if (s->cpu[mid] < cpu)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

static void fill_util(const struct top_source *s, const struct counters *now,
		      struct top_frame *f)
{
	const struct counters *was = &s->prev;

	for (size_t i = 0; i < f->ncpus; i++) {
		const struct cpu_times *a = now->stat_ok ? procstat_cpu(&now->stat, s->cpu[i]) : NULL;
		const struct cpu_times *b = was->stat_ok ? procstat_cpu(&was->stat, s->cpu[i]) : NULL;
		uint64_t total;

		if (!a || !b || (total = cpu_times_total(a) - cpu_times_total(b)) == 0 ||
		    cpu_times_total(a) < cpu_times_total(b))
			continue;
		f->cpus[i].util = (double)(cpu_times_busy(a) - cpu_times_busy(b)) / (double)total;
	}
	if (now->stat_ok && was->stat_ok) {
		uint64_t total = cpu_times_total(&now->stat.all) - cpu_times_total(&was->stat.all);

		if (total && cpu_times_total(&now->stat.all) >= cpu_times_total(&was->stat.all))
			f->all.util = (double)(cpu_times_busy(&now->stat.all) -
					       cpu_times_busy(&was->stat.all)) / (double)total;
	}
}

static enum top_softirq softirq_column(const char *name)
{
	static const char *const names[] = { "NET_RX", "TIMER", "SCHED", "RCU", "BLOCK" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return (enum top_softirq)i;
	return TSI_OTHER;
}

static void fill_softirqs(const struct top_source *s, const struct counters *now,
			  struct top_frame *f)
{
	const struct softirqs *a = &now->softirqs, *b = &s->prev.softirqs;

	if (!now->softirqs_ok || !s->prev.softirqs_ok)
		return;
	for (size_t i = 0; i < f->ncpus; i++) {
		for (int k = 0; k < TSI_MAX; k++)
			f->cpus[i].softirq_rate[k] = 0;
		f->cpus[i].softirq_total = 0;
	}
	for (size_t v = 0; v < a->n; v++) {
		const struct softirq_vec *was = softirqs_find(b, a->vec[v].name);
		enum top_softirq col = softirq_column(a->vec[v].name);

		for (unsigned c = 0; was && c < a->ncpus && c < b->ncpus; c++) {
			size_t row = cpu_row(s, a->cpu[c]);
			double r = rate(a->vec[v].counts[c], was->counts[c], f->elapsed_s);

			if (row == SIZE_MAX || b->cpu[c] != a->cpu[c])
				continue;
			f->cpus[row].softirq_rate[col] += r;
			f->cpus[row].softirq_total += r;
		}
	}
}

/* Busy time is what the idle states did not take: cpuidle's counters are
 * exact, where /proc/stat samples at the tick and misses a loop whose
 * period is the tick's.  /proc/stat stays the source without cpuidle. */
static void util_from_idle(const struct top_frame *f, struct top_cpu *c)
{
	double idle = 0;

	if (!f->nidle)
		return;
	for (size_t k = 0; k < f->nidle; k++) {
		if (isnan(c->idle_share[k]))
			return;
		idle += c->idle_share[k];
	}
	c->util = fmax(0, 1 - idle);
}

static void fill_idle(const struct top_source *s, const struct counters *now,
		      struct top_frame *f)
{
	const struct cpuidle_cpu *first = s->ncpu ? cpuidle_cpu(&s->m.idle, s->cpu[0]) : NULL;
	double us = f->elapsed_s * 1e6;

	for (size_t k = 0; first && k < first->nstates && k < TOP_IDLE_MAX; k++)
		copy_str(f->idle_names[f->nidle++], sizeof(f->idle_names[0]), first->state[k].name);
	for (size_t i = 0; i < f->ncpus; i++) {
		const struct cpuidle_cpu *ic = cpuidle_cpu(&s->m.idle, s->cpu[i]);

		for (size_t k = 0; k < f->nidle && us > 0; k++) {
			uint64_t a = now->idle_time[i][k], b = s->prev.idle_time[i][k];

			if (a != NA_U64 && b != NA_U64 && a >= b)
				f->cpus[i].idle_share[k] = fmin(1.0, (double)(a - b) / us);
		}
		util_from_idle(f, &f->cpus[i]);
		f->cpus[i].resume_latency_us = ic ? ic->resume_latency_us : NA_S64;
	}
}

static void fill_freq(const struct top_source *s, struct top_frame *f)
{
	const struct cpufreq *cf = &s->m.freq;

	for (size_t p = 0; cf->available && p < cf->n; p++) {
		char path[300];
		uint64_t khz;
		int c = -1;

		snprintf(path, sizeof(path), "%s/scaling_cur_freq", cf->policy[p].path);
		if (host_read_u64(s->host, path, &khz))
			continue;
		while ((c = cpumask_next(&cf->policy[p].cpus, c)) >= 0) {
			size_t row = cpu_row(s, (unsigned)c);

			if (row != SIZE_MAX)
				f->cpus[row].freq_mhz = (double)khz / 1e3;
		}
	}
}

/* The row of the previous read with the same label: the same index when the
 * set of lines did not change, which is nearly always. */
static const struct irq_line *prev_line(const struct interrupts *b, size_t i,
					const struct irq_line *l)
{
	if (i < b->n && !strcmp(b->lines[i].label, l->label))
		return &b->lines[i];
	for (size_t j = 0; j < b->n; j++)
		if (!strcmp(b->lines[j].label, l->label))
			return &b->lines[j];
	return NULL;
}

static int cmp_irq_rate(const void *x, const void *y)
{
	const struct top_irq *a = x, *b = y;

	if (a->rate != b->rate)
		return a->rate < b->rate ? 1 : -1;
	return strcmp(a->label, b->label);
}

/* The busiest CPUs of one IRQ, kept sorted, at most TOP_IRQ_CPUS. */
static void irq_add_cpu(struct top_irq *q, unsigned cpu, double r)
{
	size_t n = q->ncpus < TOP_IRQ_CPUS ? q->ncpus : TOP_IRQ_CPUS, at = n;

	q->ncpus++;
	while (at > 0 && q->cpu[at - 1].rate < r)
		at--;
	if (at >= TOP_IRQ_CPUS)
		return;
	if (n == TOP_IRQ_CPUS)
		n--;
	memmove(&q->cpu[at + 1], &q->cpu[at], (n - at) * sizeof(q->cpu[0]));
	q->cpu[at] = (struct top_irq_cpu){ cpu, r };
}

/* A CPU list for the screen: whole, or its start and "..." when the
 * column is too narrow (never a shorter list that looks whole). */
static void screen_list(const struct cpumask *m, char *buf, size_t sz)
{
	int n = cpulist_format(m, buf, sz);
	if (n < 0)
		buf[0] = '\0';
	else if ((size_t)n >= sz && sz > 4) {
		size_t len = strlen(buf);
		if (len > sz - 4)
			len = sz - 4;
		memcpy(buf + len, "...", 4);
	}
}

/* The IRQ's requested and effective affinity, read through the interrupts
 * reader into its line; "" when unavailable. */
static void irq_affinity(const struct top_source *s, struct irq_line *l, struct top_irq *q)
{
	interrupts_read_irq_files(s->host, l);
	q->affinity[0] = q->effective[0] = '\0';
	if (l->has_affinity)
		screen_list(&l->affinity, q->affinity, sizeof(q->affinity));
	if (l->has_effective)
		screen_list(&l->effective, q->effective, sizeof(q->effective));
}

static void describe_irq(const struct top_source *s, struct irq_line *l, struct top_irq *q)
{
	copy_str(q->label, sizeof(q->label), l->label);
	q->numbered = l->numbered;
	q->irq = l->irq;
	copy_str(q->name, sizeof(q->name), l->name);
	if (l->numbered && l->irq < s->nirq_device && s->irq_device[l->irq])
		copy_str(q->device, sizeof(q->device), s->irq_device[l->irq]);
	else
		snprintf(q->device, sizeof(q->device), "%s%s%s", l->chip,
			 l->chip[0] && l->hwirq[0] ? " " : "", l->hwirq);
	if (l->numbered)
		irq_affinity(s, l, q);
}

/* One IRQ row's rates; false when nothing came in the interval. */
static bool irq_rates(const struct top_source *s, const struct interrupts *a,
		      const struct interrupts *b, const struct irq_line *l,
		      const struct irq_line *was, struct top_frame *f, struct top_irq *q)
{
	/* ERR and MIS are machine-wide counts in the first column. */
	bool per_cpu = strcmp(l->label, "ERR") && strcmp(l->label, "MIS");

	memset(q, 0, sizeof(*q));
	for (unsigned c = 0; c < l->ncounts && c < was->ncounts && c < a->ncpus; c++) {
		double r;
		size_t row;

		if (c >= b->ncpus || a->cpu[c] != b->cpu[c])
			continue;
		r = rate(l->counts[c], was->counts[c], f->elapsed_s);
		if (r <= 0)
			continue;
		q->rate += r;
		if (!per_cpu)
			continue;
		irq_add_cpu(q, a->cpu[c], r);
		if ((row = cpu_row(s, a->cpu[c])) != SIZE_MAX)
			f->cpus[row].irq_rate += r;
	}
	return q->rate > 0;
}

static int fill_irqs(const struct top_source *s, struct counters *now,
		     struct top_frame *f)
{
	const struct interrupts *a = &now->irqs, *b = &s->prev.irqs;

	for (size_t i = 0; i < a->n; i++)
		if (a->lines[i].numbered)
			f->hdr.nirqs++;
	if (!now->irqs_ok || !s->prev.irqs_ok)
		return 0;
	for (size_t i = 0; i < f->ncpus; i++)
		f->cpus[i].irq_rate = 0;
	f->irqs = calloc(a->n ? a->n : 1, sizeof(*f->irqs));
	if (!f->irqs)
		return -ENOMEM;
	for (size_t i = 0; i < a->n; i++) {
		struct irq_line *l = &now->irqs.lines[i];
		const struct irq_line *was = prev_line(b, i, l);
		struct top_irq *q = &f->irqs[f->nirqs];

		if (!was || !irq_rates(s, a, b, l, was, f, q))
			continue;
		describe_irq(s, l, q);
		f->irq_total_rate += q->rate;
		f->nirqs++;
	}
	qsort(f->irqs, f->nirqs, sizeof(*f->irqs), cmp_irq_rate);
	return 0;
}

/* Appends " TID" to a CPU's thread list while it fits; counts them all. */
static void cpu_add_thread(struct top_cpu *c, int tid)
{
	size_t len = strlen(c->threads);

	c->nthreads++;
	if (len + 12 < sizeof(c->threads))
		snprintf(c->threads + len, sizeof(c->threads) - len, "%s%d", len ? " " : "", tid);
}

static int fill_agents(struct top_source *s, struct top_frame *f)
{
	double *steps = calloc(s->max_cpu ? s->max_cpu : 1, sizeof(double));
	bool any_bpf = false;
	int e = 0;

	f->agents = calloc(s->nagents ? s->nagents : 1, sizeof(*f->agents));
	if (!steps || !f->agents) {
		free(steps);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->nagents && !e; i++) {
		struct agent_ran *ran = NULL;
		size_t nran = 0;

		e = agent_watch_sample(s->agents[i], f->elapsed_s, &f->agents[i], steps,
				       s->max_cpu, &ran, &nran);
		any_bpf |= f->agents[i].bpf;
		for (size_t k = 0; k < nran; k++) {
			size_t row = ran[k].cpu >= 0 ? cpu_row(s, (unsigned)ran[k].cpu) : SIZE_MAX;

			if (row != SIZE_MAX)
				cpu_add_thread(&f->cpus[row], ran[k].tid);
		}
		free(ran);
		f->nagents++;
	}
	for (size_t i = 0; i < f->ncpus && any_bpf; i++) {
		f->cpus[i].steps_rate = steps[s->cpu[i]];
		f->all.steps_rate = (isnan(f->all.steps_rate) ? 0 : f->all.steps_rate) +
				    steps[s->cpu[i]];
	}
	free(steps);
	return e;
}

/* Idle residency averaged over the CPUs that report it; the resume latency
 * when every CPU has the same one. */
static void fill_all_idle(struct top_frame *f)
{
	struct top_cpu *all = &f->all;

	for (size_t k = 0; k < f->nidle; k++) {
		double sum = 0;
		size_t n = 0;

		for (size_t i = 0; i < f->ncpus; i++)
			if (!isnan(f->cpus[i].idle_share[k])) {
				sum += f->cpus[i].idle_share[k];
				n++;
			}
		all->idle_share[k] = n ? sum / (double)n : NAN;
	}
	/* The machine's utilisation from the same source as the CPUs'. */
	if (f->nidle && f->ncpus) {
		double sum = 0;
		size_t n = 0;

		for (size_t i = 0; i < f->ncpus; i++)
			if (!isnan(f->cpus[i].util)) {
				sum += f->cpus[i].util;
				n++;
			}
		all->util = n ? sum / (double)n : NAN;
	}
	all->resume_latency_us = f->ncpus ? f->cpus[0].resume_latency_us : NA_S64;
	for (size_t i = 1; i < f->ncpus; i++)
		if (f->cpus[i].resume_latency_us != all->resume_latency_us)
			all->resume_latency_us = NA_S64;
}

/* The whole machine's row: rates summed over the CPUs (util comes from
 * the "cpu" line of /proc/stat). */
static void fill_all(struct top_frame *f)
{
	struct top_cpu *all = &f->all;

	all->irq_rate = all->softirq_total = 0;
	for (int k = 0; k < TSI_MAX; k++)
		all->softirq_rate[k] = 0;
	for (size_t i = 0; i < f->ncpus; i++) {
		const struct top_cpu *c = &f->cpus[i];

		all->irq_rate += isnan(c->irq_rate) ? 0 : c->irq_rate;
		all->softirq_total += isnan(c->softirq_total) ? 0 : c->softirq_total;
		for (int k = 0; k < TSI_MAX; k++)
			all->softirq_rate[k] += isnan(c->softirq_rate[k]) ? 0 : c->softirq_rate[k];
	}
	fill_all_idle(f);
	if (f->ncpus && isnan(f->cpus[0].irq_rate))
		all->irq_rate = NAN;
	if (f->ncpus && isnan(f->cpus[0].softirq_total)) {
		all->softirq_total = NAN;
		for (int k = 0; k < TSI_MAX; k++)
			all->softirq_rate[k] = NAN;
	}
}

void top_cpu_unknown(struct top_cpu *c, unsigned cpu)
{
	memset(c, 0, sizeof(*c));
	c->cpu = cpu;
	c->util = c->irq_rate = c->softirq_total = c->freq_mhz = c->steps_rate = NAN;
	for (int k = 0; k < TSI_MAX; k++)
		c->softirq_rate[k] = NAN;
	for (int k = 0; k < TOP_IDLE_MAX; k++)
		c->idle_share[k] = NAN;
	c->resume_latency_us = NA_S64;
}

/* How many applied settings still hold (status), for the exporters. */
static void count_drifted(const struct top_source *s, const struct journal *j,
			  struct top_header *h)
{
	struct tune_result r = {0};

	if (tune_status(s->host, j, &r)) {
		tune_result_free(&r);
		return;
	}
	h->settings = h->drifted = 0;
	for (size_t i = 0; i < r.n; i++) {
		h->settings++;
		h->drifted += r.it[i].state == TUNE_DRIFTED || r.it[i].state == TUNE_GONE;
	}
	tune_result_free(&r);
}

static void fill_profile(const struct top_source *s, struct top_header *h)
{
	struct journal j;
	char why[256] = "";
	size_t len = 0;
	int e = journal_open(&j, s->journal_dir, false, why, sizeof(why));

	h->settings = h->drifted = -1;
	if (e == -ENOENT) {
		h->settings = h->drifted = 0;
		snprintf(h->profile, sizeof(h->profile), "none");
		return;
	}
	if (e || journal_load(&j, why, sizeof(why))) {
		snprintf(h->profile, sizeof(h->profile), "journal unreadable: %s", why);
		if (!e)
			journal_close(&j);
		return;
	}
	snprintf(h->profile, sizeof(h->profile), "none");
	count_drifted(s, &j, h);
	for (size_t i = 0; i < j.napplies && len < sizeof(h->profile); i++) {
		const struct journal_apply *a = &j.applies[i];
		char pid[32] = "";

		if (h->nprofiles < TOP_PROFILES_MAX)
			copy_str(h->profiles[h->nprofiles++], sizeof(h->profiles[0]), a->profile);
		if (a->pid > 0)
			snprintf(pid, sizeof(pid), "pid %d, ", a->pid);
		len += (size_t)snprintf(h->profile + len, sizeof(h->profile) - len,
					"%s%s (%scpus %s)", i ? " + " : "", a->profile, pid,
					a->cpus[0] ? a->cpus : "all");
	}
	journal_close(&j);
}

static void fill_bpf(const struct top_source *s, struct top_header *h)
{
	double ns = 0;
	const char *mode = NULL;

	for (size_t i = 0; i < s->nagents; i++) {
		if (agent_watch_bpf_mode(s->agents[i]))
			mode = agent_watch_bpf_mode(s->agents[i]);
		ns += agent_watch_bpf_ns_per_s(s->agents[i]);
	}
	if (!s->nagents)
		snprintf(h->bpf, sizeof(h->bpf), "not used (no --pid)");
	else if (s->no_bpf)
		snprintf(h->bpf, sizeof(h->bpf), "off (--no-bpf)");
	else if (!mode)
		snprintf(h->bpf, sizeof(h->bpf), "off (see the agent pane)");
	else
		snprintf(h->bpf, sizeof(h->bpf), "%s, programs %.0f us/s", mode, ns / 1e3);
}

static void fill_header(const struct top_source *s, struct top_frame *f)
{
	const struct model *m = &s->m;
	struct top_header *h = &f->hdr;
	int64_t dma;

	copy_str(h->hostname, sizeof(h->hostname), m->hostname);
	copy_str(h->kernel, sizeof(h->kernel), m->kernel);
	h->ncpus = (unsigned)f->ncpus;
	if (m->freq.available && m->freq.n)
		snprintf(h->cpufreq, sizeof(h->cpufreq), "governor %s (%s)",
			 m->freq.policy[0].governor, m->freq.policy[0].driver);
	else
		snprintf(h->cpufreq, sizeof(h->cpufreq), "unavailable: %s", m->freq.why);
	if (m->idle.available)
		snprintf(h->cpuidle, sizeof(h->cpuidle), "governor %s (%s)", m->idle.governor,
			 m->idle.driver);
	else
		snprintf(h->cpuidle, sizeof(h->cpuidle), "unavailable: %s", m->idle.why);
	dma = m->idle.cpu_dma_latency_us;
	if (dma == NA_S64)
		snprintf(h->pmqos, sizeof(h->pmqos), "cpu_dma_latency unavailable");
	else if (dma >= CPU_DMA_LATENCY_DEFAULT)
		snprintf(h->pmqos, sizeof(h->pmqos), "cpu_dma_latency none");
	else
		snprintf(h->pmqos, sizeof(h->pmqos), "cpu_dma_latency %lld us", (long long)dma);
	fill_profile(s, h);
	fill_bpf(s, h);
}

/* The window controller's state file: its summary in the header, each
 * managed CPU's window state in its row ("" for CPUs it does not manage). */
static void fill_window(const struct top_source *s, struct top_frame *f)
{
	struct top_header *h = &f->hdr;
	struct winctl_status w;
	char why[256];
	if (winctl_status_read(s->journal_dir, &w, why, sizeof(why))) {
		snprintf(h->window, sizeof(h->window), "unreadable: %s", why);
		return;
	}
	if (!w.present) {
		snprintf(h->window, sizeof(h->window), "none");
		return;
	}
	unsigned open = 0;
	h->win = (struct top_window_state){
		.present = true, .running = w.running, .agent_exited = w.agent_exited,
		.pid = w.pid, .tokens = w.tokens, .budget_tokens = w.budget_tokens,
		.opened = w.opened, .extended = w.extended, .denied = w.denied,
		.managed = (unsigned)w.ncpu,
	};
	bool poll = !strcmp(w.method, "poll");
	for (size_t i = 0; i < w.ncpu; i++) {
		const struct winctl_cpu_status *c = &w.cpu[i];
		size_t row = cpu_row(s, c->cpu);
		open += !strcmp(c->state, "open") || !strcmp(c->state, "polling");
		/* method poll: "poll" while a poll thread runs there, "busy"
		 * when the CPU idles too little to get one. */
		const char *cell = !w.running ? "stopped" : poll && c->poll_thread ? "poll" :
				   poll && c->busy && strcmp(c->state, "closed") ? "busy" : c->state;
		if (row < f->ncpus)
			copy_str(f->cpus[row].window, sizeof(f->cpus[row].window), cell);
	}
	h->win.open = w.running ? open : 0;
	if (w.running)
		snprintf(h->window, sizeof(h->window),
			 "%spid %d, %u of %zu %s, %" PRIu64 " opened, %" PRId64 "/%" PRId64 " tokens%s",
			 poll ? (w.poll_static ? "poll static, " : "poll, ") : "", w.pid, open,
			 w.ncpu, poll && w.poll_static ? "polled" : "open", w.opened, w.tokens,
			 w.budget_tokens, w.agent_exited ? ", agent exited" : "");
	else
		snprintf(h->window, sizeof(h->window), "pid %d not running (revert restores)", w.pid);
	winctl_status_free(&w);
}

int top_source_sample(struct top_source *s, struct top_frame *f)
{
	struct counters now = {0};
	int e;

	top_frame_free(f);
	if ((e = read_counters(s, &now)))
		goto out;
	f->seq = ++s->seq;
	f->elapsed_s = now.at - s->prev.at;
	f->ncpus = s->ncpu;
	f->cpus = calloc(s->ncpu ? s->ncpu : 1, sizeof(*f->cpus));
	if (!f->cpus) {
		e = -ENOMEM;
		goto out;
	}
	top_cpu_unknown(&f->all, UINT32_MAX);
	for (size_t i = 0; i < s->ncpu; i++)
		top_cpu_unknown(&f->cpus[i], s->cpu[i]);
	fill_util(s, &now, f);
	fill_softirqs(s, &now, f);
	fill_idle(s, &now, f);
	fill_freq(s, f);
	if ((e = fill_irqs(s, &now, f)) || (e = fill_agents(s, f)))
		goto out;
	fill_all(f);
	fill_header(s, f);
	fill_window(s, f);
out:
	/* The counters just read are the start of the next interval, whatever
	 * happened to this frame. */
	counters_free(&s->prev);
	s->prev = now;
	return e;
}

void top_frame_free(struct top_frame *f)
{
	free(f->cpus);
	free(f->irqs);
	free(f->agents);
	memset(f, 0, sizeof(*f));
}

void top_source_close(struct top_source *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nagents; i++)
		agent_watch_close(s->agents[i]);
	free(s->agents);
	for (size_t i = 0; i < s->nirq_device; i++)
		free(s->irq_device[i]);
	free(s->irq_device);
	free(s->cpu);
	counters_free(&s->prev);
	model_free(&s->m);
	free(s);
}
