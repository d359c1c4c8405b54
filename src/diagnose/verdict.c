/* diagnose/verdict: causes of the slow steps, ranked by their share (verdict.h). */
#include "diagnose/verdict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *id;
	const char *knob;
} cause_info[CAUSE_MAX] = {
	[CAUSE_QUEUE] = { "queueing", "[cgroup] cpu_weight, or [agent] cpus + [irq]/[cgroup] cpuset to keep other work off the agent CPUs (agent-isolated)" },
	[CAUSE_IDLE_EXIT] = { "idle-exit", "[pmqos] mode = static, resume_latency_us (agent-latency)" },
	[CAUSE_IRQ] = { "irq-interference", "[irq] move = all -> housekeeping (agent-latency); nohz_full for the timer tick" },
	[CAUSE_SOFTIRQ] = { "softirq-interference", "[irq] move = class:net -> housekeeping, [napi] netdev_budget (agent-network) / threaded NAPI" },
	[CAUSE_PREEMPT] = { "preemption", "[cgroup] cpu_weight or cpuset for the agent" },
	[CAUSE_UNATTRIBUTED] = { "unattributed", "see the stages unavailable in the header" },
};

const char *cause_name(enum cause c)
{
	return c < CAUSE_MAX ? cause_info[c].id : "?";
}

static uint64_t sat_sub(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

uint64_t verdict_step_delay(const struct step_event *e)
{
	return e->stage_ns[STAGE_WAKE_RUN] + e->stage_ns[STAGE_IRQ] +
	       e->stage_ns[STAGE_SOFTIRQ] + e->preempted_ns;
}

/* How much of one step's delay each cause explains. */
static void step_parts(const struct step_event *e, uint64_t part[CAUSE_MAX])
{
	uint64_t wr = e->stage_ns[STAGE_WAKE_RUN];
	uint64_t idle = e->stage_ns[STAGE_IDLE_EXIT], queue = e->stage_ns[STAGE_QUEUE];
	if (idle > wr)
		idle = wr;
	if (queue > wr - idle)
		queue = wr - idle;
	part[CAUSE_IDLE_EXIT] = idle;
	part[CAUSE_QUEUE] = queue;
	part[CAUSE_UNATTRIBUTED] = sat_sub(wr, idle + queue);
	part[CAUSE_IRQ] = e->stage_ns[STAGE_IRQ];
	part[CAUSE_SOFTIRQ] = e->stage_ns[STAGE_SOFTIRQ];
	part[CAUSE_PREEMPT] = e->preempted_ns;
}

/* The idle task is not a task the agent queued behind. */
static const char *preempt_comm(const struct step_event *e)
{
	return strncmp(e->preempt_comm, "swapper", 7) ? e->preempt_comm : NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The task that most often ran before the agent in slow steps that queued,
 * with its count: sorted once, so --slowest 10000 stays cheap. */
static const char *most_queued_behind(const struct probe_result *r, unsigned *count)
{
	const char **names = calloc(r->nslow ? r->nslow : 1, sizeof(*names));
	size_t n = 0;
	const char *best = NULL;
	*count = 0;
	for (size_t i = 0; names && i < r->nslow; i++) {
		const char *who = preempt_comm(&r->slow[i]);
		if (r->slow[i].stage_ns[STAGE_QUEUE] && who && who[0])
			names[n++] = who;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0, run = 1; i < n; i++, run++) {
		if (i + 1 < n && !strcmp(names[i], names[i + 1]))
			continue;
		if (run > *count) {
			*count = (unsigned)run;
			best = names[i];
		}
		run = 0;
	}
	free(names);
	return best;
}

static void evidence_queue(const struct probe_result *r, struct verdict_cause *c)
{
	unsigned k, behind = 0;
	for (size_t i = 0; i < r->nslow; i++)
		behind += r->slow[i].stage_ns[STAGE_QUEUE] && preempt_comm(&r->slow[i]);
	const char *who = most_queued_behind(r, &k);
	int len = snprintf(c->evidence, sizeof(c->evidence),
			   "in %u of %zu slow steps the agent was runnable but not yet running, "
			   "%.1f us per affected step", c->steps, r->nslow,
			   c->steps ? c->ns / 1e3 / c->steps : 0);
	if (len < 0 || (size_t)len >= sizeof(c->evidence))
		return;
	if (who)
		snprintf(c->evidence + len, sizeof(c->evidence) - (size_t)len,
			 "; in %u of them other tasks ran first, most often '%s' (%u steps)",
			 behind, who, k);
	else
		snprintf(c->evidence + len, sizeof(c->evidence) - (size_t)len,
			 "; no other task ran meanwhile (the context switch itself)");
}

static const char *idle_state_name(const struct model *m, unsigned cpu, int state)
{
	const struct cpuidle_cpu *c = m ? cpuidle_cpu(&m->idle, cpu) : NULL;
	for (size_t i = 0; c && state >= 0 && i < c->nstates; i++)
		if ((int)c->state[i].index == state)
			return c->state[i].name;
	return NULL;
}

static void evidence_idle(const struct probe_result *r, const struct model *m,
			  struct verdict_cause *c)
{
	/* The deepest state seen and the CPU it was on. */
	int state = -1;
	unsigned cpu = 0;
	for (size_t i = 0; i < r->nslow; i++) {
		const struct step_event *e = &r->slow[i];
		if (e->stage_ns[STAGE_IDLE_EXIT] && e->idle_state > state) {
			state = e->idle_state;
			cpu = e->cpu;
		}
	}
	const char *name = idle_state_name(m, cpu, state);
	char st[64];
	if (name)
		snprintf(st, sizeof(st), "state%d (%s)", state, name);
	else
		snprintf(st, sizeof(st), "state%d", state);
	snprintf(c->evidence, sizeof(c->evidence),
		 "in %u of %zu slow steps the agent's CPU was idle at the wakeup (deepest: %s on CPU %u); "
		 "leaving idle took %.1f us per affected step",
		 c->steps, r->nslow, st, cpu, c->steps ? c->ns / 1e3 / c->steps : 0);
}

/* Busiest interrupt lines (or softirq vectors) on cpu during the sample. */
static void busiest_on_cpu(const struct model *m, unsigned cpu, bool softirq, char *buf, size_t sz)
{
	buf[0] = '\0';
	if (!m || !m->sample.taken)
		return;
	const unsigned *cols = softirq ? m->softirqs.cpu : m->irqs.cpu;
	unsigned ncols = softirq ? m->softirqs.ncpus : m->irqs.ncpus;
	double **rate = softirq ? m->sample.softirq_rate : m->sample.irq_rate;
	size_t rows = softirq ? m->softirqs.n : m->irqs.n;
	int col = -1;
	for (unsigned i = 0; i < ncols; i++)
		if (cols[i] == cpu)
			col = (int)i;
	if (col < 0 || !rate)
		return;
	bool *used = calloc(rows ? rows : 1, sizeof(*used));
	for (int k = 0; used && k < 3; k++) {
		int best = -1;
		for (size_t i = 0; i < rows; i++)
			if (!used[i] && rate[i] && rate[i][col] >= 1.0 &&
			    (best < 0 || rate[i][col] > rate[best][col]))
				best = (int)i;
		if (best < 0)
			break;
		used[best] = true;
		const char *label = softirq ? m->softirqs.vec[best].name : m->irqs.lines[best].label;
		const char *name = softirq ? "" : m->irqs.lines[best].name;
		size_t len = strlen(buf);
		snprintf(buf + len, sz - len, "%s%s%s%s %.0f/s", len ? ", " : "", label,
			 name[0] ? " " : "", name, rate[best][col]);
	}
	free(used);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The CPU the slow steps ran on most. */
static unsigned main_cpu(const struct probe_result *r)
{
	uint32_t *cpus = calloc(r->nslow ? r->nslow : 1, sizeof(*cpus));
	unsigned best = 0, best_n = 0;
	for (size_t i = 0; cpus && i < r->nslow; i++)
		cpus[i] = r->slow[i].cpu;
	if (cpus && r->nslow)
		qsort(cpus, r->nslow, sizeof(*cpus), cmp_u32);
	for (size_t i = 0, run = 1; cpus && i < r->nslow; i++, run++) {
		if (i + 1 < r->nslow && cpus[i] == cpus[i + 1])
			continue;
		if (run > best_n) {
			best_n = (unsigned)run;
			best = cpus[i];
		}
		run = 0;
	}
	free(cpus);
	return best;
}

static void evidence_interference(const struct probe_result *r, const struct model *m,
				  struct verdict_cause *c, bool softirq)
{
	unsigned cpu = main_cpu(r);
	uint64_t events = 0;
	for (size_t i = 0; i < r->nslow; i++)
		events += softirq ? r->slow[i].softirq_count : r->slow[i].irq_count;
	char busiest[200];
	busiest_on_cpu(m, cpu, softirq, busiest, sizeof(busiest));
	int len = snprintf(c->evidence, sizeof(c->evidence),
			   "%s ran on the agent's CPU during %u of %zu slow steps (%llu events, "
			   "%.1f us per affected step)", softirq ? "softirqs" : "hardirqs", c->steps,
			   r->nslow, (unsigned long long)events, c->steps ? c->ns / 1e3 / c->steps : 0);
	if (busiest[0] && len > 0 && (size_t)len < sizeof(c->evidence))
		snprintf(c->evidence + len, sizeof(c->evidence) - (size_t)len,
			 "; busiest on CPU %u during the run: %s", cpu, busiest);
}

static void evidence_other(const struct probe_result *r, struct verdict_cause *c)
{
	if (c->cause == CAUSE_PREEMPT)
		snprintf(c->evidence, sizeof(c->evidence),
			 "in %u of %zu slow steps the agent was preempted after it started: %.1f us "
			 "runnable but off CPU per affected step", c->steps, r->nslow,
			 c->steps ? c->ns / 1e3 / c->steps : 0);
	else
		snprintf(c->evidence, sizeof(c->evidence),
			 "wake->run time no measured stage explains, in %u of %zu slow steps", c->steps,
			 r->nslow);
}

static int by_share(const void *a, const void *b)
{
	const struct verdict_cause *x = a, *y = b;
	return x->ns < y->ns ? 1 : (x->ns > y->ns ? -1 : 0);
}

static void count_migrations(const struct probe_result *r, const struct model *m, struct verdict *v)
{
	for (size_t i = 0; i < r->nslow; i++) {
		const struct step_event *e = &r->slow[i];
		if (e->prev_cpu == e->cpu || e->prev_cpu == (uint32_t)-1)
			continue;
		v->migrated++;
		const struct topo_cpu *a = m ? topology_cpu(&m->topo, e->cpu) : NULL;
		if (a && !cpumask_empty(&a->llc) && !cpumask_test(&a->llc, e->prev_cpu))
			v->migrated_llc++;
	}
}

void verdict_eval(const struct probe_result *r, const struct model *m, struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->nsteps = r->nslow;
	for (int c = 0; c < CAUSE_MAX; c++) {
		v->cause[c].cause = (enum cause)c;
		v->cause[c].id = cause_info[c].id;
		snprintf(v->cause[c].knob, sizeof(v->cause[c].knob), "%s", cause_info[c].knob);
	}
	for (size_t i = 0; i < r->nslow; i++) {
		uint64_t part[CAUSE_MAX];
		step_parts(&r->slow[i], part);
		for (int c = 0; c < CAUSE_MAX; c++) {
			v->cause[c].ns += part[c];
			v->cause[c].steps += part[c] > 0;
			v->total_ns += part[c];
		}
	}
	count_migrations(r, m, v);
	for (int c = 0; c < CAUSE_MAX; c++) {
		struct verdict_cause *x = &v->cause[c];
		x->share = v->total_ns ? (double)x->ns / (double)v->total_ns : 0;
		switch (c) {
		case CAUSE_QUEUE: evidence_queue(r, x); break;
		case CAUSE_IDLE_EXIT: evidence_idle(r, m, x); break;
		case CAUSE_IRQ: evidence_interference(r, m, x, false); break;
		case CAUSE_SOFTIRQ: evidence_interference(r, m, x, true); break;
		default: evidence_other(r, x); break;
		}
	}
	qsort(v->cause, CAUSE_MAX, sizeof(v->cause[0]), by_share);
	/* Causes that explain nothing are not listed. */
	v->n = 0;
	while (v->n < CAUSE_MAX && v->cause[v->n].ns)
		v->n++;
}
