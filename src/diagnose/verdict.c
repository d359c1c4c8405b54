/* diagnose/verdict: the causes of delay over all steps and over the tail,
 * ranked by their share (verdict.h). */
#include "diagnose/verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *id;
	const char *knob;          /* NULL: no profile knob addresses it */
} cause_info[CAUSE_MAX] = {
	[CAUSE_QUEUE] = { "queueing", "[cgroup] cpu_weight for the agent, or [agent] cpus + [cgroup] cpuset to keep the other tasks off its CPUs (agent-isolated)" },
	[CAUSE_IDLE_EXIT] = { "idle-exit", "[pmqos] mode = static, resume_latency_us (agent-latency)" },
	[CAUSE_IRQ] = { "irq-interference", "[irq] move = all -> housekeeping (agent-latency); nohz_full for the timer tick" },
	[CAUSE_SOFTIRQ] = { "softirq-interference", "[irq] move = class:net -> housekeeping, [napi] netdev_budget (agent-network)" },
	[CAUSE_PREEMPT] = { "preemption", "[cgroup] cpu_weight or cpuset for the agent" },
	[CAUSE_UNATTRIBUTED] = { "unattributed", NULL },
	[CAUSE_COMPLETION] = { "completion-path", "[irq] move = class:net -> agent-node, [napi] busy_poll / busy_read (agent-network)" },
	[CAUSE_SOFTIRQ_DEFERRAL] = { "softirq-deferral", "[napi] netdev_budget, defer_hard_irqs + gro_flush_timeout (agent-network)" },
	[CAUSE_DEFERRED_WORK] = { "deferred-work", "[cgroup] cpuset keeping the agent off the kworker's CPU, or [irq] move the completing IRQ next to the agent" },
	[CAUSE_TIMER_LATENESS] = { "timer-lateness", NULL },
	[CAUSE_THROTTLE] = { "cgroup-throttling", "[cgroup] cpu_max" },
	[CAUSE_MIGRATION] = { "migration", "[agent] cpus + [cgroup] cpuset: fewer CPUs to move between (agent-isolated)" },
	[CAUSE_FREQUENCY] = { "frequency", "[pmqos] min_freq = max (agent-latency)" },
};

const char *cause_name(enum cause c)
{
	return c < CAUSE_MAX ? cause_info[c].id : "?";
}

uint64_t verdict_step_delay(const struct step_event *e)
{
	struct step_event x = *e;

	diag_step_causes(&x);
	return x.delay_ns;
}

static void append(char *buf, size_t sz, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= sz)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, sz - len, fmt, ap);
	va_end(ap);
}

/* ---- culprits ------------------------------------------------------------ */

/* The target's own threads and agentune's are never culprits. */
static bool may_blame(const struct probe_result *r, int target, uint32_t tgid, uint32_t pid)
{
	return pid && tgid != (uint32_t)r->self_tgid && (target <= 0 || tgid != (uint32_t)target);
}

/* ksoftirqd/N runs the softirqs its CPU could not finish at IRQ exit: the
 * time the agent waited behind it (or was preempted by it) is softirq work
 * on its CPU, whose fix is where the interrupts land and the NAPI budget,
 * not the agent's weight.  So it counts as softirq-interference, and
 * ksoftirqd is never named a task the agent queued behind. */
static bool is_ksoftirqd(const char *comm)
{
	return strncmp(comm, "ksoftirqd/", 10) == 0;
}

/* Moves up to ns from cause `from` to softirq-interference; what it moved. */
static uint64_t to_softirq(struct verdict_set *s, enum cause from, uint64_t ns)
{
	struct verdict_cause *f = &s->cause[from];

	if (ns > f->ns)
		ns = f->ns;
	f->ns -= ns;
	s->cause[CAUSE_SOFTIRQ].ns += ns;
	return ns;
}

static void culprit_add(struct verdict_cause *c, uint32_t pid, uint32_t tgid, const char *comm,
			uint64_t ns)
{
	if (!ns)
		return;
	for (size_t i = 0; i < c->nculprits; i++)
		if (c->culprit[i].pid == pid) {
			c->culprit[i].ns += ns;
			return;
		}
	/* Full: the smallest makes room when this one is larger. */
	size_t slot = c->nculprits;
	if (slot == VERDICT_CULPRITS) {
		slot = 0;
		for (size_t i = 1; i < VERDICT_CULPRITS; i++)
			if (c->culprit[i].ns < c->culprit[slot].ns)
				slot = i;
		if (c->culprit[slot].ns >= ns)
			return;
	} else {
		c->nculprits++;
	}
	struct verdict_culprit *x = &c->culprit[slot];
	x->pid = pid;
	x->tgid = tgid;
	x->ns = ns;
	snprintf(x->comm, sizeof(x->comm), "%.*s", DIAG_COMM_LEN, comm);
}

static int by_culprit_ns(const void *a, const void *b)
{
	const struct verdict_culprit *x = a, *y = b;
	return x->ns < y->ns ? 1 : (x->ns > y->ns ? -1 : 0);
}

/* Tail: every kept slot of the tail's steps, summed per task. */
static void tail_culprits(const struct probe_result *r, int target, const struct step_event *s,
			  size_t n, struct verdict_cause *queue, struct verdict_cause *pre)
{
	/* Summed over all tail steps first (a task present in many steps must
	 * win over one long one), then the top kept. */
	size_t cap = n * DIAG_TOP_TASKS * 2 + 1, m = 0;
	struct verdict_culprit *all = calloc(cap, sizeof(*all));
	uint8_t *is_pre = calloc(cap, 1);
	for (size_t i = 0; all && is_pre && i < n; i++)
		for (int w = 0; w < 2; w++)
			for (int k = 0; k < DIAG_TOP_TASKS; k++) {
				const struct diag_task_time *t = w ? &s[i].pre.top[k] : &s[i].wait.top[k];
				if (!t->ns || !may_blame(r, target, t->tgid, t->pid) ||
				    is_ksoftirqd(t->comm))
					continue;
				size_t j = 0;
				while (j < m && !(all[j].pid == t->pid && is_pre[j] == w))
					j++;
				if (j == m) {
					all[m].pid = t->pid;
					all[m].tgid = t->tgid;
					snprintf(all[m].comm, sizeof(all[m].comm), "%.*s", DIAG_COMM_LEN, t->comm);
					is_pre[m++] = (uint8_t)w;
				}
				all[j].ns += t->ns;
			}
	for (size_t j = 0; all && is_pre && j < m; j++)
		culprit_add(is_pre[j] ? pre : queue, all[j].pid, all[j].tgid, all[j].comm, all[j].ns);
	free(all);
	free(is_pre);
}

static void all_culprits(const struct probe_result *r, int target, struct verdict_set *s)
{
	for (size_t i = 0; i < r->nculprits; i++) {
		const struct probe_culprit *c = &r->culprits[i];
		if (!may_blame(r, target, c->tgid, c->pid))
			continue;
		if (is_ksoftirqd(c->comm)) {
			/* Its steps may overlap those with softirq time already:
			 * at least as many steps as it delayed. */
			uint64_t *n = &s->cause[CAUSE_SOFTIRQ].steps;
			if ((to_softirq(s, CAUSE_QUEUE, c->queue_ns) |
			     to_softirq(s, CAUSE_PREEMPT, c->preempt_ns)) && c->steps > *n)
				*n = c->steps;
			continue;
		}
		culprit_add(&s->cause[CAUSE_QUEUE], c->pid, c->tgid, c->comm, c->queue_ns);
		culprit_add(&s->cause[CAUSE_PREEMPT], c->pid, c->tgid, c->comm, c->preempt_ns);
	}
}

/* One tail step's time behind ksoftirqd (waiting, preempted): softirq. */
static void tail_ksoftirqd(const struct step_event *e, struct verdict_set *s)
{
	uint64_t moved = 0;

	for (int w = 0; w < 2; w++) {
		enum cause from = w ? CAUSE_PREEMPT : CAUSE_QUEUE;
		uint64_t ns = 0;
		for (int k = 0; k < DIAG_TOP_TASKS; k++) {
			const struct diag_task_time *t = w ? &e->pre.top[k] : &e->wait.top[k];
			if (t->ns && is_ksoftirqd(t->comm))
				ns += t->ns;
		}
		uint64_t m = to_softirq(s, from, ns < e->cause_ns[from] ? ns : e->cause_ns[from]);
		if (m && m == e->cause_ns[from] && s->cause[from].steps)
			s->cause[from].steps--;     /* all of it was ksoftirqd */
		moved |= m;
	}
	if (moved && !e->cause_ns[CAUSE_SOFTIRQ])
		s->cause[CAUSE_SOFTIRQ].steps++;
}

/* ---- evidence ----------------------------------------------------------- */

struct ctx {
	const struct probe_result *r;
	const struct verdict_host *h;
	int target;
	const struct step_event *s;   /* the tail's steps, NULL for all */
	size_t n;
	bool tail;
};

static void ev_culprits(struct verdict_cause *c, const char *what)
{
	if (!c->nculprits) {
		append(c->evidence, sizeof(c->evidence), "; no other task: %s", what);
		return;
	}
	append(c->evidence, sizeof(c->evidence), "; held by");
	for (size_t i = 0; i < c->nculprits && i < 3; i++)
		append(c->evidence, sizeof(c->evidence), "%s '%s' (pid %u) %.1f us", i ? "," : "",
		       c->culprit[i].comm, c->culprit[i].pid, c->culprit[i].ns / 1e3);
}

/* The most frequent chain among the tail's steps (or the kinds, for all). */
static void ev_chains(const struct ctx *x, struct verdict_cause *c)
{
	if (!x->tail) {
		append(c->evidence, sizeof(c->evidence), "; chains:");
		for (unsigned k = 0; k < CHAIN_KINDS; k++)
			if (x->r->sums.chain[k])
				append(c->evidence, sizeof(c->evidence), " %s %llu", probe_chain_kind_name(k),
				       (unsigned long long)x->r->sums.chain[k]);
		return;
	}
	for (size_t i = 0; i < x->n; i++) {
		const struct step_event *e = &x->s[i];
		const struct diag_chain *ch = &e->chain;
		if (!e->cause_ns[c->cause])
			continue;
		append(c->evidence, sizeof(c->evidence), "; slowest: %s", probe_chain_kind_name(ch->kind));
		if (ch->irq != DIAG_NONE && !DIAG_IS_VEC(ch->irq))
			append(c->evidence, sizeof(c->evidence), " from IRQ %u %s", ch->irq, e->irq_name);
		else if (ch->irq != DIAG_NONE)
			append(c->evidence, sizeof(c->evidence), " from %s", probe_vector_name(ch->irq));
		if (ch->softirq != DIAG_NONE)
			append(c->evidence, sizeof(c->evidence), " -> %s%s", probe_softirq_name(ch->softirq),
			       ch->flags & CHF_KSOFTIRQD ? " in ksoftirqd" : "");
		if (e->napi_dev[0])
			append(c->evidence, sizeof(c->evidence), " (napi %s%s)", e->napi_dev,
			       ch->flags & CHF_NAPI_FULL ? ", budget exhausted" : "");
		if (e->work_func && x->h && x->h->ksyms)
			append(c->evidence, sizeof(c->evidence), " running %s",
			       ksyms_name(x->h->ksyms, e->work_func));
		if (ch->flags & CHF_LATENESS)
			append(c->evidence, sizeof(c->evidence), ", timer %.1f us late", ch->lateness_ns / 1e3);
		append(c->evidence, sizeof(c->evidence), ", %.1f us before the wakeup",
		       e->stage_ns[STAGE_COMPLETION] / 1e3);
		return;
	}
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

/* The CPU the tail's steps (or, for all, the slow steps kept) ran on most. */
static unsigned main_cpu(const struct probe_result *r)
{
	unsigned best = 0;
	uint64_t best_n = 0;
	for (unsigned c = 0; r->cpu_steps && c < r->ncpus; c++)
		if (r->cpu_steps[c] > best_n) {
			best_n = r->cpu_steps[c];
			best = c;
		}
	return best;
}

/* Most of the idle exit was a warm idle: a PM QoS limit has no idle state
 * to keep the CPU out of there, so it is no fix. */
static bool warm_mostly(const struct verdict_cause *c)
{
	return c->cause == CAUSE_IDLE_EXIT && c->warm_ns && c->warm_ns * 2 >= c->ns;
}

static void evidence(const struct ctx *x, struct verdict_cause *c, uint64_t nsteps)
{
	const struct verdict_host *h = x->h;
	double per = c->steps ? c->ns / 1e3 / (double)c->steps : 0;
	char *ev = c->evidence;
	size_t sz = sizeof(c->evidence);

	snprintf(ev, sz, "in %llu of %llu steps, %.1f us per affected step",
		 (unsigned long long)c->steps, (unsigned long long)nsteps, per);
	switch (c->cause) {
	case CAUSE_QUEUE:
		append(ev, sz, ": runnable on its CPU while other tasks ran there");
		ev_culprits(c, "its own threads ran");
		break;
	case CAUSE_PREEMPT:
		append(ev, sz, ": preempted after it started");
		ev_culprits(c, "its own threads or idle");
		break;
	case CAUSE_IDLE_EXIT:
		append(ev, sz, ": its CPU was idle at the wakeup and took this long to leave idle");
		if (c->warm_ns)
			append(ev, sz, "; warm idle %.1f us in %llu steps (%.0f%%): a SCHED_IDLE task "
			       "(a poll thread) held the CPU, preempted at once: the wake IPI and the switch",
			       c->warm_ns / 1e3, (unsigned long long)c->warm_steps,
			       c->ns ? 100.0 * (double)c->warm_ns / (double)c->ns : 0);
		if (warm_mostly(c))
			append(ev, sz, "; no PM QoS fix: the CPU was kept warm, no idle state to leave");
		else if (h && !h->idle_states)
			append(ev, sz, "; no PM QoS fix: %s", h->idle_why[0] ? h->idle_why :
			       "no idle state to constrain on this host");
		break;
	case CAUSE_THROTTLE:
		append(ev, sz, ": its cgroup%s%s ran out of CPU quota (throttled)",
		       h && h->cgroup[0] ? " " : "", h ? h->cgroup : "");
		if (h && h->cpu_quota[0])
			append(ev, sz, "; quota %s", h->cpu_quota);
		append(ev, sz, "; %.1f ms throttled in all", c->ns / 1e6);
		if (h && h->throttle_fallback && !x->r->features[FEAT_THROTTLE].available)
			append(ev, sz, "; estimated from %s (not per step: BTF cannot read the task's"
			       " group): nr_throttled +%llu, throttled %.1f ms during the run, taken"
			       " from idle exit, unattributed and preemption", h->cpu_stat,
			       (unsigned long long)h->nr_throttled, h->throttled_ns / 1e6);
		break;
	case CAUSE_COMPLETION:
		append(ev, sz, ": from the interrupt (or block completion) to the wakeup");
		ev_chains(x, c);
		break;
	case CAUSE_SOFTIRQ_DEFERRAL:
		append(ev, sz, ": the completing softirq ran in ksoftirqd, a thread that waits for a CPU");
		ev_chains(x, c);
		break;
	case CAUSE_DEFERRED_WORK:
		append(ev, sz, ": the completion went through a kworker (queued -> ran -> woke)");
		ev_chains(x, c);
		break;
	case CAUSE_TIMER_LATENESS:
		append(ev, sz, ": the timer fired (and its callback woke the agent) this late after its expiry");
		ev_chains(x, c);
		break;
	case CAUSE_IRQ:
	case CAUSE_SOFTIRQ: {
		char busiest[200];
		unsigned cpu = main_cpu(x->r);
		append(ev, sz, ": %s on the agent's CPU while it waited or ran%s",
		       c->cause == CAUSE_IRQ ? "hardirqs" : "softirqs",
		       c->cause == CAUSE_SOFTIRQ ? " (at IRQ exit or in ksoftirqd)" : "");
		busiest_on_cpu(h ? h->m : NULL, cpu, c->cause == CAUSE_SOFTIRQ, busiest, sizeof(busiest));
		if (busiest[0])
			append(ev, sz, "; busiest on CPU %u during the run: %s", cpu, busiest);
		break;
	}
	case CAUSE_MIGRATION: {
		uint64_t moved = 0;
		append(ev, sz, ": run time above the thread's usual after it moved CPUs");
		if (!x->tail)
			moved = x->r->sums.migrated_steps;
		for (size_t i = 0; x->tail && i < x->n; i++)
			moved += x->s[i].prev_cpu != (uint32_t)-1 && x->s[i].prev_cpu != x->s[i].cpu;
		append(ev, sz, "; %llu steps ran on another CPU than the step before, %.1f us lost in all",
		       (unsigned long long)moved, c->ns / 1e3);
		break;
	}
	case CAUSE_FREQUENCY:
		append(ev, sz, ": run time lost to a clock below the policy's max");
		break;
	case CAUSE_UNATTRIBUTED: {
		uint64_t unknown = 0;
		append(ev, sz, ": wait no measurement explains (the scheduler's own work, the wake IPI)");
		for (unsigned k = 1; k < CR_REASONS; k++)
			unknown += x->r->sums.reason[k];
		if (unknown)
			append(ev, sz, "; %llu chains unknown or partial", (unsigned long long)unknown);
		break;
	}
	default:
		break;
	}
}

/* ---- cgroup throttling from cpu.stat ------------------------------------------ */

/* Whether the cpu.stat fallback applies: BTF could not read the group and
 * its cpu.stat says it was throttled during the run. */
static bool throttle_fallback_on(const struct probe_result *r, const struct verdict_host *h)
{
	return h && h->throttle_fallback && h->throttled_ns &&
	       !r->features[FEAT_THROTTLE].available;
}

/* The causes a throttled group's time lands in when it cannot be read per
 * step: the agent runnable but held off its CPU with the CPU idle (idle
 * exit), doing nothing anyone explains (unattributed), or, when the quota
 * ran out while the agent ran, preemption. */
static const enum cause throttle_pool[] = { CAUSE_IDLE_EXIT, CAUSE_UNATTRIBUTED, CAUSE_PREEMPT };
#define NPOOL (sizeof(throttle_pool) / sizeof(throttle_pool[0]))

/* Moves the share `f` (0..1) of each pool cause into cgroup-throttling;
 * returns what it moved. */
static uint64_t throttle_take(struct verdict_set *s, double f)
{
	struct verdict_cause *thr = &s->cause[CAUSE_THROTTLE];
	uint64_t moved = 0;

	if (f <= 0)
		return 0;
	for (size_t i = 0; i < NPOOL; i++) {
		struct verdict_cause *c = &s->cause[throttle_pool[i]];
		uint64_t take = f >= 1.0 ? c->ns : (uint64_t)((double)c->ns * f);

		c->ns -= take;
		moved += take;
		if (take && thr->steps < c->steps)
			thr->steps = c->steps;
		if (!c->ns)
			c->steps = 0;
	}
	thr->ns += moved;
	return moved;
}

/* The fraction of the pool the group's throttled time explains over all
 * steps (at most all of it). */
static double throttle_fraction(const struct verdict_set *all, const struct verdict_host *h)
{
	uint64_t pool = 0;

	for (size_t i = 0; i < NPOOL; i++)
		pool += all->cause[throttle_pool[i]].ns;
	if (!pool)
		return 0;
	return h->throttled_ns >= pool ? 1.0 : (double)h->throttled_ns / (double)pool;
}

/* ---- the two verdicts ------------------------------------------------------ */

static int by_share(const void *a, const void *b)
{
	const struct verdict_cause *x = a, *y = b;
	return x->ns < y->ns ? 1 : (x->ns > y->ns ? -1 : 0);
}

static void set_init(struct verdict_set *s, const struct verdict_host *h)
{
	memset(s, 0, sizeof(*s));
	for (int c = 0; c < CAUSE_MAX; c++) {
		s->cause[c].cause = (enum cause)c;
		s->cause[c].id = cause_info[c].id;
		const char *knob = cause_info[c].knob;
		/* A PM QoS limit acts only where there is an idle state to keep
		 * the CPU out of; unknown (no host) counts as cannot. */
		if (c == CAUSE_IDLE_EXIT && !(h && h->idle_states))
			knob = NULL;
		snprintf(s->cause[c].knob, sizeof(s->cause[c].knob), "%s", knob ? knob : "");
	}
}

static void set_finish(const struct ctx *x, struct verdict_set *s)
{
	s->total_ns = 0;
	for (int c = 0; c < CAUSE_MAX; c++)
		s->total_ns += s->cause[c].ns;
	for (int c = 0; c < CAUSE_MAX; c++) {
		struct verdict_cause *vc = &s->cause[c];
		vc->share = s->total_ns ? (double)vc->ns / (double)s->total_ns : 0;
		qsort(vc->culprit, vc->nculprits, sizeof(vc->culprit[0]), by_culprit_ns);
		if (warm_mostly(vc))
			vc->knob[0] = '\0';
		evidence(x, vc, s->steps);
	}
	qsort(s->cause, CAUSE_MAX, sizeof(s->cause[0]), by_share);
	/* Causes that explain nothing are not listed. */
	s->n = 0;
	while (s->n < CAUSE_MAX && s->cause[s->n].ns)
		s->n++;
}

/* Returns the share of idle exit and unattributed the cpu.stat fallback
 * moved into cgroup-throttling (0 without it), what it moved in *moved. */
static double eval_all(const struct probe_result *r, const struct verdict_host *h, int target,
		       struct verdict_set *s, uint64_t *moved)
{
	double f = 0;

	struct ctx x = { .r = r, .h = h, .target = target };
	set_init(s, h);
	s->steps = r->steps;
	for (int c = 0; c < CAUSE_MAX; c++) {
		s->cause[c].ns = r->sums.ns[c];
		s->cause[c].steps = r->sums.steps[c];
	}
	s->cause[CAUSE_IDLE_EXIT].warm_ns = r->sums.warm_ns;
	s->cause[CAUSE_IDLE_EXIT].warm_steps = r->sums.warm_steps;
	all_culprits(r, target, s);
	if (throttle_fallback_on(r, h)) {
		f = throttle_fraction(s, h);
		*moved = throttle_take(s, f);
	}
	set_finish(&x, s);
	return f;
}

/* The tail: the 1% slowest steps by delay (those above the p99), from the
 * slow steps kept (sorted slowest first). */
static void eval_tail(const struct probe_result *r, const struct verdict_host *h, int target,
		      double f_all, struct verdict_set *s)
{
	uint64_t want = (r->steps + 99) / 100;
	size_t n = r->nslow < want ? r->nslow : (size_t)want;
	struct ctx x = { .r = r, .h = h, .target = target, .s = r->slow, .n = n, .tail = true };

	if (!want && r->nslow)
		n = x.n = 1;            /* no kernel count (tests): the slowest */
	set_init(s, h);
	s->steps = n;
	s->truncated = r->nslow < want;
	s->threshold_ns = n ? r->slow[n - 1].delay_ns : 0;
	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < CAUSE_MAX; c++) {
			s->cause[c].ns += r->slow[i].cause_ns[c];
			s->cause[c].steps += r->slow[i].cause_ns[c] != 0;
		}
		s->cause[CAUSE_IDLE_EXIT].warm_ns += r->slow[i].wait.warm_ns;
		s->cause[CAUSE_IDLE_EXIT].warm_steps += r->slow[i].wait.warm_ns != 0;
		tail_ksoftirqd(&r->slow[i], s);
	}
	tail_culprits(r, target, r->slow, n, &s->cause[CAUSE_QUEUE], &s->cause[CAUSE_PREEMPT]);
	if (throttle_fallback_on(r, h))
		throttle_take(s, f_all);
	set_finish(&x, s);
}

static void count_migrations(const struct probe_result *r, const struct model *m, size_t n,
			     struct verdict *v)
{
	for (size_t i = 0; i < n; i++) {
		const struct step_event *e = &r->slow[i];
		if (e->prev_cpu == e->cpu || e->prev_cpu == (uint32_t)-1)
			continue;
		v->migrated++;
		const struct topo_cpu *a = m ? topology_cpu(&m->topo, e->cpu) : NULL;
		if (a && !cpumask_empty(&a->llc) && !cpumask_test(&a->llc, e->prev_cpu))
			v->migrated_llc++;
	}
}

void verdict_eval(const struct probe_result *r, const struct verdict_host *h, struct verdict *v)
{
	int target = r->nthreads ? (int)r->threads[0].tgid : 0;

	memset(v, 0, sizeof(*v));
	/* The cpu.stat fallback moves a share of all steps' idle exit and
	 * unattributed time; the tail loses the same share. */
	double f = eval_all(r, h, target, &v->all, &v->throttle_moved_ns);
	eval_tail(r, h, target, f, &v->tail);
	count_migrations(r, h ? h->m : NULL, (size_t)v->tail.steps, v);
}
