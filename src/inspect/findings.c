/* inspect/findings: rules over the model (findings.h).  Each rule is one function that
 * looks at one part of the model and adds at most a few findings. */
#include "inspect/findings.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *severity_name(enum severity s)
{
	switch (s) {
	case SEV_CRIT: return "critical";
	case SEV_WARN: return "warning";
	default: return "info";
	}
}

static struct finding *add(struct findings *f, enum severity sev, const char *id,
			   const char *knob)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct finding *v = realloc(f->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		f->v = v;
		f->cap = cap;
	}
	struct finding *x = &f->v[f->n++];
	memset(x, 0, sizeof(*x));
	x->sev = sev;
	copy_str(x->id, sizeof(x->id), id);
	copy_str(x->knob, sizeof(x->knob), knob);
	return x;
}

#define SAY(field, ...) snprintf((field), sizeof(field), __VA_ARGS__)

/* ---------- idle states ---------- */

/* Latency the CPU must honour, in us; -1 when nothing constrains it. */
static int64_t idle_tolerance(const struct cpuidle *idle, const struct cpuidle_cpu *c)
{
	int64_t tol = -1;
	if (c->resume_latency_us == PMQOS_NA)
		tol = 0;
	else if (c->resume_latency_us != NA_S64 && c->resume_latency_us > 0)
		tol = c->resume_latency_us;
	int64_t global = idle->cpu_dma_latency_us;
	if (global != NA_S64 && global >= 0 && global < CPU_DMA_LATENCY_DEFAULT &&
	    (tol < 0 || global < tol))
		tol = global;
	return tol;
}

/* The deepest state the CPU may enter that is at least FIND_IDLE_EXIT_US deep. */
static const struct idle_state *deep_allowed(const struct cpuidle *idle,
					     const struct cpuidle_cpu *c)
{
	int64_t tol = idle_tolerance(idle, c);
	const struct idle_state *deep = NULL;
	for (size_t i = 0; i < c->nstates; i++) {
		const struct idle_state *s = &c->state[i];
		if (s->disabled == 1 || s->latency_us == NA_U64 ||
		    s->latency_us < FIND_IDLE_EXIT_US)
			continue;
		if (tol >= 0 && (int64_t)s->latency_us > tol)
			continue;
		if (!deep || s->latency_us > deep->latency_us)
			deep = s;
	}
	return deep;
}

static void rule_deep_idle(const struct model *m, const struct cpumask *online,
			   struct findings *f)
{
	struct cpumask hit;
	const struct idle_state *worst = NULL;
	int64_t worst_tol = -1;
	cpumask_init(&hit);
	for (size_t i = 0; i < m->idle.n; i++) {
		const struct cpuidle_cpu *c = &m->idle.cpu[i];
		if (!cpumask_test(online, c->cpu))
			continue;
		const struct idle_state *s = deep_allowed(&m->idle, c);
		if (!s)
			continue;
		cpumask_set(&hit, c->cpu);
		if (!worst || s->latency_us > worst->latency_us) {
			worst = s;
			worst_tol = idle_tolerance(&m->idle, c);
		}
	}
	if (worst) {
		char *cpus = cpulist_str(&hit);
		struct finding *x = add(f, SEV_WARN, "deep-idle-unconstrained",
					"[pmqos] mode = static, resume_latency_us (agent-latency)");
		if (x && cpus) {
			char qos[64] = "no PM QoS constraint";
			if (worst_tol >= 0)
				SAY(qos, "a PM QoS constraint of %lld us that allows it",
				    (long long)worst_tol);
			SAY(x->title, "Idle states with exit latency >= %d us allowed on %u CPU%s",
			    FIND_IDLE_EXIT_US, cpumask_weight(&hit), cpumask_weight(&hit) == 1 ? "" : "s");
			char res[48] = "";
			if (worst->residency_us != NA_U64)
				SAY(res, ", target residency %llu us",
				    (unsigned long long)worst->residency_us);
			SAY(x->evidence,
			    "CPUs %s may enter %s (exit latency %llu us%s) with %s; each wakeup "
			    "from it pays that exit before the agent runs", cpus, worst->name,
			    (unsigned long long)worst->latency_us, res, qos);
		}
		free(cpus);
	}
	cpumask_free(&hit);
}

/* ---------- idle exits no constraint can avoid ---------- */

/* Whether this kernel has the haltpoll driver, for the finding's text. */
static const char *haltpoll_have(const struct idlepath *p)
{
	if (p->haltpoll == 1)
		return p->haltpoll_module ? "a module in this kernel (modprobe cpuidle-haltpoll "
					    "force=1)" : "in this kernel";
	return p->haltpoll == 0 ? "NOT in this kernel" : "whether this kernel has it is unknown";
}

/* What the kernel offers instead of a constraint, with its cost: agentune
 * sets neither (both are boot options). */
static void boot_alternatives(const struct idlepath *p, char *buf, size_t sz)
{
	char haltpoll[240] = "";
	if (p->vm != 0)
		SAY(haltpoll, "cpuidle_haltpoll.force=1 (the haltpoll driver and governor poll up "
			      "to guest_halt_poll_ns before halting: host CPU time; KVM guests "
			      "only; %s%s%s%s), or ", haltpoll_have(p), p->haltpoll_how[0] ? ": " : "",
		    p->haltpoll_how, p->haltpoll_force == 0 ? ", force=N now" : "");
	snprintf(buf, sz, "%sidle=poll (no CPU ever halts: a full %sCPU burnt per idle %sCPU)",
		 haltpoll, p->vm == 1 ? "host " : "", p->vm == 1 ? "v" : "");
}

static void rule_idle_exit_unavoidable(const struct model *m, const struct cpumask *online,
				       struct findings *f)
{
	const struct idlepath *p = &m->idlepath;
	struct cpumask hit;
	const struct idle_cpu_path *first = NULL;
	cpumask_init(&hit);
	for (size_t i = 0; i < p->n; i++) {
		const struct idle_cpu_path *c = &p->cpu[i];
		/* Off a known VM a bare halt is C1 (about a microsecond); on a
		 * host that may be one, say what it would cost. */
		bool maybe = c->kind == IDLE_KIND_HALT && p->vm < 0;
		if (!cpumask_test(online, c->cpu) ||
		    (!maybe && !idlepath_exit_unavoidable(p, c, FIND_IDLE_EXIT_US)))
			continue;
		cpumask_set(&hit, c->cpu);
		first = first ? first : c;
	}
	char *cpus = first ? cpulist_str(&hit) : NULL;
	if (cpus) {
		char knob[sizeof(f->v->knob)], alt[480], path[200], vm[320];
		boot_alternatives(p, alt, sizeof(alt));
		SAY(knob, "[pmqos] method = poll (agentune's poll threads keep the agent CPUs from "
			  "halting while the agent steps); at boot, not set by agentune: %s", alt);
		enum severity sev = p->vm == 1 || first->kind == IDLE_KIND_NO_POLL ? SEV_WARN : SEV_INFO;
		struct finding *x = add(f, sev, "idle-exit-unavoidable", knob);
		idlepath_describe(p, &m->idle, first, path, sizeof(path));
		if (p->vm == 1)
			SAY(vm, "this is a VM (%s), where a halt is a VM exit and each wakeup a VM entry "
				"(tens of us) before the agent runs", p->vm_evidence);
		else if (p->vm < 0)
			SAY(vm, "whether this is a VM is unknown; on a VM a halt is a VM exit and each "
				"wakeup a VM entry (tens of us)");
		else
			SAY(vm, "each wakeup pays that exit before the agent runs");
		if (x) {
			SAY(x->title, "Wakeups from idle pay %s exit that no PM QoS constraint avoids on "
				      "%u CPU%s", first->kind == IDLE_KIND_HALT ? "a halt" : "an idle state's",
			    cpumask_weight(&hit), cpumask_weight(&hit) == 1 ? "" : "s");
			SAY(x->evidence, "CPUs %s: %s; %s; PM QoS (pm_qos_resume_latency_us, "
					 "/dev/cpu_dma_latency) only chooses among cpuidle states, and %s",
			    cpus, path, vm, first->kind == IDLE_KIND_HALT ? "there are none here" :
			    "none here polls instead");
		}
	}
	free(cpus);
	cpumask_free(&hit);
}

/* On a VM the shallowest state past POLL is a halt whatever latency the
 * driver reports for it (haltpoll says 1 us): its exit is a VM exit, which
 * a constraint of "n/a" avoids by keeping the CPU polling. */
static void rule_vm_halt_state(const struct model *m, const struct cpumask *online,
			       struct findings *f)
{
	const struct idlepath *p = &m->idlepath;
	struct cpumask hit;
	const struct idle_cpu_path *first = NULL;
	if (p->vm != 1)
		return;
	cpumask_init(&hit);
	for (size_t i = 0; i < p->n; i++) {
		const struct idle_cpu_path *c = &p->cpu[i];
		const struct cpuidle_cpu *cc = cpuidle_cpu(&m->idle, c->cpu);
		if (!cc || !cpumask_test(online, c->cpu) || c->kind != IDLE_KIND_STATES)
			continue;
		int64_t tol = idle_tolerance(&m->idle, cc);
		if (tol >= 0 && (c->first_latency_us == NA_U64 || (uint64_t)tol < c->first_latency_us))
			continue; /* already held out of it */
		cpumask_set(&hit, c->cpu);
		first = first ? first : c;
	}
	char *cpus = first ? cpulist_str(&hit) : NULL;
	struct finding *x = cpus ? add(f, SEV_WARN, "vm-halt-state-unconstrained",
				       "[pmqos] resume_latency_us = n/a, mode = window or static "
				       "(agent-latency): the CPU polls instead of halting") : NULL;
	if (x) {
		char path[200];
		idlepath_describe(p, &m->idle, first, path, sizeof(path));
		SAY(x->title, "Idle CPUs halt on a VM (%s exit is a VM exit) on %u CPU%s",
		    first->first_name, cpumask_weight(&hit), cpumask_weight(&hit) == 1 ? "" : "s");
		SAY(x->evidence, "CPUs %s: %s; on this VM (%s) entering %s is a halt, whose exit "
				 "costs a VM exit and entry (tens of us) whatever latency the driver "
				 "reports; no PM QoS constraint holds these CPUs in POLL now",
		    cpus, path, p->vm_evidence, first->first_name);
	}
	free(cpus);
	cpumask_free(&hit);
}

/* ---------- cpufreq ---------- */

static bool is_pstate_driver(const char *driver)
{
	return !strcmp(driver, "intel_pstate") || !strncmp(driver, "amd-pstate", 10);
}

static bool low_floor(const struct cpufreq_policy *p)
{
	if (p->min_khz == NA_U64 || p->cpuinfo_min_khz == NA_U64 ||
	    p->cpuinfo_max_khz == NA_U64 || p->cpuinfo_max_khz <= p->cpuinfo_min_khz)
		return false;
	double range = (double)(p->cpuinfo_max_khz - p->cpuinfo_min_khz);
	return (double)p->min_khz <= (double)p->cpuinfo_min_khz + FIND_LOW_FLOOR * range;
}

enum ramp { RAMP_OK, RAMP_PINNED_MIN, RAMP_LAZY_EPP, RAMP_LOW_FLOOR, RAMP_KINDS };

static const struct {
	enum severity sev;
	const char *why;
} ramp_text[RAMP_KINDS] = {
	[RAMP_PINNED_MIN] = { SEV_CRIT, "powersave governor holds the minimum frequency" },
	[RAMP_LAZY_EPP] = { SEV_WARN, "powersave with an energy-saving EPP ramps slowly" },
	[RAMP_LOW_FLOOR] = { SEV_WARN, "demand-driven governor with its floor at the minimum frequency" },
};

static enum ramp slow_ramp(const struct cpufreq_policy *p)
{
	if (!strcmp(p->governor, "powersave")) {
		if (!is_pstate_driver(p->driver))
			return RAMP_PINNED_MIN;
		if (!strcmp(p->epp, "power") || !strcmp(p->epp, "balance_power"))
			return RAMP_LAZY_EPP;
		return RAMP_OK;
	}
	if ((!strcmp(p->governor, "schedutil") || !strcmp(p->governor, "ondemand") ||
	     !strcmp(p->governor, "conservative")) && low_floor(p))
		return RAMP_LOW_FLOOR;
	return RAMP_OK;
}

/* One finding per kind of slow ramp, listing every CPU it covers. */
static void rule_cpufreq(const struct model *m, struct findings *f)
{
	if (!m->freq.available)
		return;
	for (enum ramp r = RAMP_OK + 1; r < RAMP_KINDS; r++) {
		const struct cpufreq_policy *first = NULL;
		struct cpumask cpus;
		cpumask_init(&cpus);
		for (size_t i = 0; i < m->freq.n; i++) {
			const struct cpufreq_policy *p = &m->freq.policy[i];
			if (slow_ramp(p) != r)
				continue;
			first = first ? first : p;
			for (int c = cpumask_next(&p->cpus, -1); c >= 0; c = cpumask_next(&p->cpus, c))
				cpumask_set(&cpus, (unsigned)c);
		}
		char *list = first ? cpulist_str(&cpus) : NULL;
		struct finding *x = list ? add(f, ramp_text[r].sev, "cpufreq-slow-ramp",
					       "[pmqos] min_freq (a floor held while the agent is active)") : NULL;
		if (x) {
			SAY(x->title, "CPU frequency ramps slowly: %s", ramp_text[r].why);
			SAY(x->evidence, "CPUs %s: driver %s, governor %s%s%s, min %llu kHz of %llu-%llu kHz",
			    list, first->driver[0] ? first->driver : "?", first->governor,
			    first->epp[0] ? ", EPP " : "", first->epp,
			    (unsigned long long)(first->min_khz == NA_U64 ? 0 : first->min_khz),
			    (unsigned long long)(first->cpuinfo_min_khz == NA_U64 ? 0 : first->cpuinfo_min_khz),
			    (unsigned long long)(first->cpuinfo_max_khz == NA_U64 ? 0 : first->cpuinfo_max_khz));
		}
		free(list);
		cpumask_free(&cpus);
	}
}

/* ---------- interrupts and softirqs ---------- */

/* Events per column of one IRQ line: the sampled interval if there is one,
 * else the counts since boot. */
static double line_events(const struct model *m, size_t line, unsigned col)
{
	if (m->sample.taken && m->sample.irq_rate && m->sample.irq_rate[line])
		return m->sample.irq_rate[line][col] * m->sample.elapsed_s;
	return (double)m->irqs.lines[line].counts[col];
}

static double vec_events(const struct model *m, size_t vec, unsigned col)
{
	if (m->sample.taken && m->sample.softirq_rate && m->sample.softirq_rate[vec])
		return m->sample.softirq_rate[vec][col] * m->sample.elapsed_s;
	return (double)m->softirqs.vec[vec].counts[col];
}

struct spread {
	double total, top;
	unsigned top_cpu;
	unsigned lines;
	char names[160];
};

static void spread_add(struct spread *s, const double *per_col, unsigned ncols, double *acc)
{
	for (unsigned c = 0; c < ncols; c++) {
		acc[c] += per_col[c];
		s->total += per_col[c];
	}
}

static void spread_top(struct spread *s, const double *acc, const unsigned *cpu,
		       unsigned ncols)
{
	for (unsigned c = 0; c < ncols; c++) {
		if (acc[c] > s->top) {
			s->top = acc[c];
			s->top_cpu = cpu[c];
		}
	}
}

static bool concentrated(const struct spread *s, unsigned online)
{
	return online > 1 && s->total >= FIND_MIN_EVENTS &&
	       s->top >= FIND_CONCENTRATION * s->total;
}

static void append_name(char *buf, size_t sz, const char *name)
{
	if (!name[0] || strstr(buf, name))
		return;
	size_t len = strlen(buf);
	snprintf(buf + len, sz - len, "%s%s", len ? ", " : "", name);
}

static void net_irq_spread(const struct model *m, struct spread *s)
{
	unsigned ncols = m->irqs.ncpus;
	double *acc = calloc(ncols ? ncols : 1, sizeof(*acc));
	double *row = calloc(ncols ? ncols : 1, sizeof(*row));
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; acc && row && i < m->irqs.n; i++) {
		if (!m->irqs.lines[i].numbered || strcmp(m->irqdev[i].kind, "net"))
			continue;
		for (unsigned c = 0; c < ncols; c++)
			row[c] = line_events(m, i, c);
		spread_add(s, row, ncols, acc);
		s->lines++;
		append_name(s->names, sizeof(s->names), m->irqdev[i].ifname);
	}
	if (acc)
		spread_top(s, acc, m->irqs.cpu, ncols);
	free(acc);
	free(row);
}

static void rule_net_irqs(const struct model *m, unsigned online, struct findings *f)
{
	if (!m->irqs_sec.ok || !m->irqdev)
		return;
	struct spread s;
	net_irq_spread(m, &s);
	if (!s.lines || !concentrated(&s, online))
		return;
	struct finding *x = add(f, SEV_WARN, "net-irqs-concentrated",
				"[irq] move = class:net -> housekeeping | numa-local (spread the queues' IRQs)");
	if (!x)
		return;
	SAY(x->title, "Network IRQs concentrated on CPU %u", s.top_cpu);
	SAY(x->evidence, "%.0f%% of %.0f interrupts of %u net IRQ%s%s%s%s landed on CPU %u %s",
	    100.0 * s.top / s.total, s.total, s.lines, s.lines == 1 ? "" : "s",
	    s.names[0] ? " (" : "", s.names, s.names[0] ? ")" : "", s.top_cpu,
	    m->sample.taken ? "during the sample" : "since boot");
}

static void rule_net_softirqs(const struct model *m, unsigned online, struct findings *f)
{
	static const char *const vecs[] = { "NET_RX", "NET_TX" };
	if (!m->softirqs_sec.ok)
		return;
	unsigned ncols = m->softirqs.ncpus;
	double *acc = calloc(ncols ? ncols : 1, sizeof(*acc));
	double *row = calloc(ncols ? ncols : 1, sizeof(*row));
	struct spread s;
	memset(&s, 0, sizeof(s));
	for (size_t i = 0; acc && row && i < m->softirqs.n; i++) {
		if (strcmp(m->softirqs.vec[i].name, vecs[0]) && strcmp(m->softirqs.vec[i].name, vecs[1]))
			continue;
		for (unsigned c = 0; c < ncols; c++)
			row[c] = vec_events(m, i, c);
		spread_add(&s, row, ncols, acc);
		s.lines++;
	}
	if (acc)
		spread_top(&s, acc, m->softirqs.cpu, ncols);
	free(acc);
	free(row);
	if (!s.lines || !concentrated(&s, online))
		return;
	struct finding *x = add(f, SEV_WARN, "net-softirq-concentrated",
				"[irq] move = class:net -> housekeeping (and RPS) to spread NET_RX work");
	if (!x)
		return;
	SAY(x->title, "NET_RX/NET_TX softirq work concentrated on CPU %u", s.top_cpu);
	SAY(x->evidence, "%.0f%% of %.0f NET_RX+NET_TX softirqs ran on CPU %u %s",
	    100.0 * s.top / s.total, s.total, s.top_cpu,
	    m->sample.taken ? "during the sample" : "since boot");
}

static void rule_softnet(const struct model *m, struct findings *f)
{
	const struct softnet *sn = m->sample.taken ? &m->sample.delta : &m->softnet;
	if (!m->softnet_sec.ok)
		return;
	uint64_t squeeze = 0, dropped = 0;
	struct cpumask cpus;
	cpumask_init(&cpus);
	for (size_t i = 0; i < sn->n; i++) {
		squeeze += sn->cpu[i].time_squeeze;
		dropped += sn->cpu[i].dropped;
		if (sn->cpu[i].time_squeeze || sn->cpu[i].dropped)
			cpumask_set(&cpus, sn->cpu[i].cpu);
	}
	if (squeeze || dropped) {
		char *list = cpulist_str(&cpus);
		struct finding *x = add(f, m->sample.taken ? SEV_WARN : SEV_INFO,
					"softnet-budget-exhausted",
					"[napi] netdev_budget, netdev_budget_usecs");
		if (x && list) {
			SAY(x->title, "NAPI budget exhausted: softnet time_squeeze/drops %s",
			    m->sample.taken ? "increasing" : "since boot");
			SAY(x->evidence, "time_squeeze +%llu, dropped +%llu on CPUs %s %s",
			    (unsigned long long)squeeze, (unsigned long long)dropped, list,
			    m->sample.taken ? "during the sample" : "since boot (use --sample to see if it is still happening)");
		}
		free(list);
	}
	cpumask_free(&cpus);
}

static void rule_effective_affinity(const struct model *m, struct findings *f)
{
	char irqs[300] = "";
	unsigned n = 0;
	for (size_t i = 0; i < m->irqs.n; i++) {
		const struct irq_line *l = &m->irqs.lines[i];
		if (!l->has_affinity || !l->has_effective || cpumask_empty(&l->effective) ||
		    cpumask_subset(&l->effective, &l->affinity))
			continue;
		if (n++ < 8) {
			char *req = cpulist_str(&l->affinity), *eff = cpulist_str(&l->effective);
			size_t len = strlen(irqs);
			snprintf(irqs + len, sizeof(irqs) - len, "%sIRQ %u (%s) requested %s, effective %s",
				 len ? "; " : "", l->irq, l->name, req ? req : "?", eff ? eff : "?");
			free(req);
			free(eff);
		}
	}
	if (!n)
		return;
	struct finding *x = add(f, SEV_WARN, "irq-affinity-not-effective",
				"[irq] (choose CPUs the IRQ can really use; kernel-managed IRQs refuse writes)");
	if (!x)
		return;
	SAY(x->title, "%u IRQ%s run%s outside the CPUs requested for them", n, n == 1 ? "" : "s",
	    n == 1 ? "s" : "");
	SAY(x->evidence, "%s%s", irqs, n > 8 ? "; ..." : "");
}

static void rule_services(const struct model *m, struct findings *f)
{
	if (m->svc.irqbalance_pid > 0) {
		struct finding *x = add(f, SEV_WARN, "irqbalance-running",
					"stop irqbalance, or ban the agent CPUs: IRQBALANCE_BANNED_CPULIST");
		if (x) {
			SAY(x->title, "irqbalance is running and will move IRQs a profile places");
			SAY(x->evidence, "irqbalance pid %d rewrites /proc/irq/*/smp_affinity every few seconds",
			    m->svc.irqbalance_pid);
		}
	}
	if (m->svc.tuned_pid > 0) {
		struct finding *x = add(f, SEV_WARN, "tuned-running",
					"stop tuned, or give it a profile that leaves these settings alone");
		if (x) {
			SAY(x->title, "tuned is running and may undo a profile's settings");
			SAY(x->evidence, "tuned pid %d applies its own sysctl, cpufreq and PM QoS settings",
			    m->svc.tuned_pid);
		}
	}
}

/* Net interrupts are most of all device interrupts. */
static bool network_bound(const struct model *m, double *share)
{
	double net = 0, all = 0;
	for (size_t i = 0; m->irqdev && i < m->irqs.n; i++) {
		if (!m->irqs.lines[i].numbered)
			continue;
		for (unsigned c = 0; c < m->irqs.ncpus; c++) {
			double e = line_events(m, i, c);
			all += e;
			if (!strcmp(m->irqdev[i].kind, "net"))
				net += e;
		}
	}
	*share = all > 0 ? net / all : 0;
	return all >= FIND_MIN_EVENTS && *share >= FIND_NET_BOUND_SHARE;
}

static void rule_busy_poll(const struct model *m, struct findings *f)
{
	double share;
	if (!m->net.available || m->net.busy_poll != 0 || m->net.busy_read != 0 ||
	    !m->irqs_sec.ok || !network_bound(m, &share))
		return;
	struct finding *x = add(f, SEV_INFO, "busy-poll-off", "[napi] busy_poll, busy_read");
	if (!x)
		return;
	SAY(x->title, "Busy polling is off on a network-bound host");
	SAY(x->evidence, "net.core.busy_poll = 0 and busy_read = 0 while network IRQs are %.0f%% of device interrupts",
	    100.0 * share);
}

int findings_eval(const struct model *m, struct findings *out)
{
	struct cpumask online;
	memset(out, 0, sizeof(*out));
	cpumask_init(&online);
	model_cpus(m, &online);
	unsigned n_online = cpumask_weight(&online);

	rule_deep_idle(m, &online, out);
	rule_idle_exit_unavoidable(m, &online, out);
	rule_vm_halt_state(m, &online, out);
	rule_cpufreq(m, out);
	rule_net_irqs(m, n_online, out);
	rule_net_softirqs(m, n_online, out);
	rule_softnet(m, out);
	rule_effective_affinity(m, out);
	rule_services(m, out);
	rule_busy_poll(m, out);
	cpumask_free(&online);
	return 0;
}

void findings_free(struct findings *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}
