/* inspect/report_text: the inspect report for people.  Wide per-CPU data is summarised
 * (top CPUs, grouped CPU lists) so a 1152-CPU host stays readable; --json has
 * every value. */
#include "inspect/report_text.h"

#include <stdlib.h>
#include <string.h>

#define NA "unavailable"
#define TOP_CPUS 3   /* per-CPU columns shown per IRQ row */

static const char *s_or(const char *s, const char *dflt)
{
	return s && s[0] ? s : dflt;
}

static void fmt_u64(char *buf, size_t sz, uint64_t v)
{
	if (v == NA_U64)
		snprintf(buf, sz, "-");
	else
		snprintf(buf, sz, "%llu", (unsigned long long)v);
}

static void print_mask(FILE *out, const char *label, const struct cpumask *m, bool has)
{
	if (!has) {
		fprintf(out, "  %-10s %s\n", label, NA);
		return;
	}
	char *s = cpulist_str(m);
	fprintf(out, "  %-10s %s\n", label, s && s[0] ? s : "(none)");
	free(s);
}

static void heading(FILE *out, const char *title)
{
	fprintf(out, "\n%s\n", title);
}

/* ---------- CPUs ---------- */

static void text_topology(FILE *out, const struct topology *t)
{
	heading(out, "CPUs and topology");
	if (!t->available) {
		fprintf(out, "  %s: %s\n", NA, t->why);
		return;
	}
	print_mask(out, "possible", &t->possible, t->has_possible);
	print_mask(out, "present", &t->present, t->has_present);
	print_mask(out, "online", &t->online, t->has_online);
	print_mask(out, "offline", &t->offline, t->has_offline);
	print_mask(out, "isolated", &t->isolated, t->has_isolated);
	print_mask(out, "nohz_full", &t->nohz_full, t->has_nohz_full);
	fprintf(out, "  packages %u, cores %u, NUMA nodes %zu\n", t->packages, t->cores, t->nnodes);
	for (size_t i = 0; i < t->nnodes; i++) {
		char *s = cpulist_str(&t->node[i].cpus);
		fprintf(out, "    node%d: %s\n", t->node[i].id, s && s[0] ? s : "(no CPUs)");
		free(s);
	}
	/* SMT and LLC groups, each listed once. */
	bool smt = false;
	for (size_t i = 0; i < t->n; i++)
		smt |= cpumask_weight(&t->cpu[i].siblings) > 1;
	fprintf(out, "  SMT %s\n", smt ? "on" : "off");
	struct cpumask seen;
	cpumask_init(&seen);
	for (size_t i = 0; i < t->n; i++) {
		const struct topo_cpu *c = &t->cpu[i];
		if (cpumask_empty(&c->llc) || cpumask_test(&seen, c->cpu))
			continue;
		char *s = cpulist_str(&c->llc);
		fprintf(out, "    L%d cache shared by %s\n", c->llc_level, s ? s : "?");
		free(s);
		for (int k = cpumask_next(&c->llc, -1); k >= 0; k = cpumask_next(&c->llc, k))
			cpumask_set(&seen, (unsigned)k);
	}
	cpumask_free(&seen);
}

/* ---------- cpufreq ---------- */

/* Policies print as one row when everything but the current frequency agrees
 * (a 1024-CPU host has 1024 identical policies). */
static bool same_policy(const struct cpufreq_policy *a, const struct cpufreq_policy *b)
{
	return !strcmp(a->driver, b->driver) && !strcmp(a->governor, b->governor) &&
	       !strcmp(a->epp, b->epp) && a->min_khz == b->min_khz && a->max_khz == b->max_khz &&
	       a->cpuinfo_max_khz == b->cpuinfo_max_khz;
}

static void text_policy_group(FILE *out, const struct cpufreq *f, size_t first, bool *done)
{
	const struct cpufreq_policy *p = &f->policy[first];
	struct cpumask cpus;
	uint64_t lo = NA_U64, hi = 0;
	cpumask_init(&cpus);
	for (size_t j = first; j < f->n; j++) {
		const struct cpufreq_policy *q = &f->policy[j];
		if (done[j] || !same_policy(p, q))
			continue;
		done[j] = true;
		for (int c = cpumask_next(&q->cpus, -1); c >= 0; c = cpumask_next(&q->cpus, c))
			cpumask_set(&cpus, (unsigned)c);
		if (q->cur_khz != NA_U64) {
			lo = q->cur_khz < lo ? q->cur_khz : lo;
			hi = q->cur_khz > hi ? q->cur_khz : hi;
		}
	}
	char *list = cpulist_str(&cpus);
	char cur[48], min[24], max[24], hw[24];
	if (lo == NA_U64)
		snprintf(cur, sizeof(cur), "-");
	else if (lo == hi)
		snprintf(cur, sizeof(cur), "%llu", (unsigned long long)lo);
	else
		snprintf(cur, sizeof(cur), "%llu-%llu", (unsigned long long)lo, (unsigned long long)hi);
	fmt_u64(min, sizeof(min), p->min_khz);
	fmt_u64(max, sizeof(max), p->max_khz);
	fmt_u64(hw, sizeof(hw), p->cpuinfo_max_khz);
	fprintf(out, "  CPUs %s: %s/%s, min %s max %s (hw max %s) kHz, now %s kHz%s%s\n",
		s_or(list, "?"), s_or(p->driver, "-"), s_or(p->governor, "-"), min, max, hw, cur,
		p->epp[0] ? ", EPP " : "", p->epp);
	free(list);
	cpumask_free(&cpus);
}

static void text_cpufreq(FILE *out, const struct cpufreq *f)
{
	heading(out, "cpufreq");
	if (!f->available) {
		fprintf(out, "  %s: %s\n", NA, f->why);
		return;
	}
	fprintf(out, "  %zu policies, boost %s%s%s\n", f->n,
		f->boost < 0 ? NA : (f->boost ? "on" : "off"),
		f->pstate_status[0] ? ", intel_pstate " : "", f->pstate_status);
	bool *done = calloc(f->n ? f->n : 1, sizeof(*done));
	for (size_t i = 0; done && i < f->n; i++)
		if (!done[i])
			text_policy_group(out, f, i, done);
	free(done);
}

/* ---------- cpuidle and PM QoS ---------- */

static void fmt_resume(char *buf, size_t sz, int64_t v)
{
	if (v == PMQOS_NA)
		snprintf(buf, sz, "n/a (poll only)");
	else if (v == NA_S64)
		snprintf(buf, sz, "%s", NA);
	else if (v == 0)
		snprintf(buf, sz, "0 (no constraint)");
	else
		snprintf(buf, sz, "%lld us", (long long)v);
}

/* Two CPUs print as one row when their state tables and constraint agree. */
static bool same_idle(const struct cpuidle_cpu *a, const struct cpuidle_cpu *b)
{
	if (a->nstates != b->nstates || a->resume_latency_us != b->resume_latency_us)
		return false;
	for (size_t i = 0; i < a->nstates; i++) {
		const struct idle_state *x = &a->state[i], *y = &b->state[i];
		if (strcmp(x->name, y->name) || x->latency_us != y->latency_us ||
		    x->residency_us != y->residency_us || x->disabled != y->disabled)
			return false;
	}
	return true;
}

static void text_idle_group(FILE *out, const struct cpuidle *c, size_t first, bool *done)
{
	const struct cpuidle_cpu *a = &c->cpu[first];
	struct cpumask group;
	cpumask_init(&group);
	for (size_t j = first; j < c->n; j++) {
		if (!done[j] && same_idle(a, &c->cpu[j])) {
			cpumask_set(&group, c->cpu[j].cpu);
			done[j] = true;
		}
	}
	char *cpus = cpulist_str(&group), res[48];
	fmt_resume(res, sizeof(res), a->resume_latency_us);
	fprintf(out, "  CPUs %s: pm_qos_resume_latency_us %s\n", s_or(cpus, "?"), res);
	for (size_t k = 0; k < a->nstates; k++) {
		const struct idle_state *s = &a->state[k];
		char lat[24], resid[24];
		fmt_u64(lat, sizeof(lat), s->latency_us);
		fmt_u64(resid, sizeof(resid), s->residency_us);
		fprintf(out, "    state%-2u %-12s exit %6s us  residency %6s us  %s\n", s->index,
			s->name, lat, resid,
			s->disabled == 1 ? "disabled" : (s->disabled == 0 ? "enabled" : ""));
	}
	free(cpus);
	cpumask_free(&group);
}

/* An offline CPU lists no idle states: say offline, not unknown. */
static void idle_path_text(const struct model *m, const struct cpumask *online,
			   const struct idle_cpu_path *c, char *buf, size_t sz)
{
	if (!cpumask_empty(online) && !cpumask_test(online, c->cpu))
		snprintf(buf, sz, "offline");
	else
		idlepath_describe(&m->idlepath, &m->idle, c, buf, sz);
}

/* CPUs whose idle paths read the same print as one line. */
static void text_idle_paths(FILE *out, const struct model *m)
{
	const struct idlepath *p = &m->idlepath;
	bool *done = calloc(p->n ? p->n : 1, sizeof(*done));
	char a[256], b[256];
	struct cpumask online;
	cpumask_init(&online);
	model_cpus(m, &online);
	fprintf(out, "  idle path:%s\n", p->n ? "" : " unavailable (no CPU to report)");
	for (size_t i = 0; done && i < p->n; i++) {
		if (done[i])
			continue;
		struct cpumask group;
		cpumask_init(&group);
		idle_path_text(m, &online, &p->cpu[i], a, sizeof(a));
		for (size_t j = i; j < p->n; j++) {
			idle_path_text(m, &online, &p->cpu[j], b, sizeof(b));
			if (!done[j] && !strcmp(a, b)) {
				cpumask_set(&group, p->cpu[j].cpu);
				done[j] = true;
			}
		}
		char *cpus = cpulist_str(&group);
		fprintf(out, "    CPU%s %s: %s\n", cpumask_weight(&group) == 1 ? "" : "s",
			s_or(cpus, "?"), a);
		free(cpus);
		cpumask_free(&group);
	}
	free(done);
	cpumask_free(&online);
	if (p->vm == 1)
		fprintf(out, "  VM: yes%s%s (%s)\n", p->hypervisor[0] ? ", " : "", p->hypervisor,
			p->vm_evidence);
	else
		fprintf(out, "  VM: %s%s%s%s\n", p->vm == 0 ? "no" : "unknown",
			p->vm_evidence[0] ? " (" : "", p->vm_evidence, p->vm_evidence[0] ? ")" : "");
	if (!p->cmdline_read)
		fprintf(out, "  boot option idle=: %s (/proc/cmdline)\n", NA);
	else
		fprintf(out, "  boot option idle=: %s\n", p->idle_opt[0] ? p->idle_opt : "not given");
	if (p->haltpoll < 0)
		fprintf(out, "  haltpoll cpuidle driver: %s\n", "unknown");
	else
		fprintf(out, "  haltpoll cpuidle driver: %s%s%s%s%s\n",
			p->haltpoll ? (p->haltpoll_module ? "a module" : "in the kernel") : "not in the kernel",
			p->haltpoll_how[0] ? " (" : "", p->haltpoll_how, p->haltpoll_how[0] ? ")" : "",
			p->haltpoll_force == 1 ? ", force=Y" : p->haltpoll_force == 0 ? ", force=N" : "");
}

static void text_cpuidle(FILE *out, const struct model *m)
{
	const struct cpuidle *c = &m->idle;
	heading(out, "cpuidle and PM QoS");
	if (c->cpu_dma_latency_us == NA_S64)
		fprintf(out, "  /dev/cpu_dma_latency %s: %s\n", NA, c->cpu_dma_latency_why);
	else
		fprintf(out, "  /dev/cpu_dma_latency %lld us%s\n", (long long)c->cpu_dma_latency_us,
			c->cpu_dma_latency_us >= CPU_DMA_LATENCY_DEFAULT ? " (no constraint)" : "");
	if (!c->available)
		fprintf(out, "  cpuidle %s: %s\n", NA, c->why);
	else
		fprintf(out, "  driver %s, governor %s\n", s_or(c->driver, "-"), s_or(c->governor, "-"));
	bool *done = calloc(c->n ? c->n : 1, sizeof(*done));
	for (size_t i = 0; done && i < c->n; i++)
		if (!done[i])
			text_idle_group(out, c, i, done);
	free(done);
	text_idle_paths(out, m);
}

/* ---------- interrupts ---------- */

/* The busiest columns of a row as "cpu1:35348 cpu0:12". */
static void top_cpus(char *buf, size_t sz, const uint64_t *v, const unsigned *cpu, unsigned n,
		     const double *rate)
{
	unsigned pick[TOP_CPUS];
	unsigned npick = 0;
	buf[0] = '\0';
	for (unsigned k = 0; k < TOP_CPUS; k++) {
		int best = -1;
		for (unsigned c = 0; c < n; c++) {
			bool taken = false;
			for (unsigned j = 0; j < npick; j++)
				taken |= pick[j] == c;
			double val = rate ? rate[c] : (double)v[c];
			if (taken || val <= 0)
				continue;
			if (best < 0 || val > (rate ? rate[best] : (double)v[best]))
				best = (int)c;
		}
		if (best < 0)
			break;
		pick[npick++] = (unsigned)best;
	}
	for (unsigned j = 0; j < npick; j++) {
		size_t len = strlen(buf);
		if (rate)
			snprintf(buf + len, sz - len, "%scpu%u:%.0f/s", j ? " " : "", cpu[pick[j]],
				 rate[pick[j]]);
		else
			snprintf(buf + len, sz - len, "%scpu%u:%llu", j ? " " : "", cpu[pick[j]],
				 (unsigned long long)v[pick[j]]);
	}
	if (!npick)
		snprintf(buf, sz, "-");
}

static void text_irq(FILE *out, const struct model *m, size_t i)
{
	const struct irq_line *l = &m->irqs.lines[i];
	const double *rate = m->sample.taken && m->sample.irq_rate ? m->sample.irq_rate[i] : NULL;
	char top[160], dev[400], hw[64];
	top_cpus(top, sizeof(top), l->counts, m->irqs.cpu, m->irqs.ncpus, rate);
	irq_device_describe(m->irqdev ? &m->irqdev[i] : NULL, dev, sizeof(dev));
	snprintf(hw, sizeof(hw), "%s%s%s%s%s", l->chip, l->hwirq[0] ? " " : "", l->hwirq,
		 l->trigger[0] ? "-" : "", l->trigger);
	char *aff = l->has_affinity ? cpulist_str(&l->affinity) : NULL;
	char *eff = l->has_effective ? cpulist_str(&l->effective) : NULL;
	fprintf(out, "  %5u %-30s %-28s %12llu  %s\n", l->irq, hw, l->name,
		(unsigned long long)l->total, top);
	char node[24];
	snprintf(node, sizeof(node), "%d", l->node);
	fprintf(out, "        affinity %s, effective %s, node %s%s%s\n", aff ? aff : NA,
		eff ? eff : NA, l->node >= 0 ? node : NA, dev[0] ? "; " : "", dev);
	free(aff);
	free(eff);
}

static void text_interrupts(FILE *out, const struct model *m)
{
	heading(out, "Interrupts");
	if (!m->irqs_sec.ok) {
		fprintf(out, "  %s: %s\n", NA, m->irqs_sec.why);
		return;
	}
	size_t numbered = 0;
	for (size_t i = 0; i < m->irqs.n; i++)
		numbered += m->irqs.lines[i].numbered;
	fprintf(out, "  %zu device IRQs over %u CPUs%s\n", numbered, m->irqs.ncpus,
		m->sample.taken ? " (busiest CPUs by rate during the sample)" : " (busiest CPUs since boot)");
	fprintf(out, "  %5s %-30s %-28s %12s  %s\n", "IRQ", "chip hwirq", "name", "total", "busiest CPUs");
	for (size_t i = 0; i < m->irqs.n; i++)
		if (m->irqs.lines[i].numbered)
			text_irq(out, m, i);
	fprintf(out, "  special rows:\n");
	for (size_t i = 0; i < m->irqs.n; i++) {
		const struct irq_line *l = &m->irqs.lines[i];
		if (l->numbered)
			continue;
		const double *rate = m->sample.taken && m->sample.irq_rate ? m->sample.irq_rate[i] : NULL;
		char top[160];
		top_cpus(top, sizeof(top), l->counts, m->irqs.cpu, m->irqs.ncpus, rate);
		fprintf(out, "  %5s %-40s %12llu  %s\n", l->label, l->name,
			(unsigned long long)l->total, top);
	}
}

/* ---------- network ---------- */

static void fmt_s64(char *buf, size_t sz, int64_t v)
{
	if (v == NA_S64)
		snprintf(buf, sz, "%s", NA);
	else
		snprintf(buf, sz, "%lld", (long long)v);
}

static void text_net(FILE *out, const struct net *n)
{
	heading(out, "Network");
	if (!n->available) {
		fprintf(out, "  %s: %s\n", NA, n->why);
		return;
	}
	char b[32], bu[32], bp[32], br[32];
	fmt_s64(b, sizeof(b), n->netdev_budget);
	fmt_s64(bu, sizeof(bu), n->netdev_budget_usecs);
	fmt_s64(bp, sizeof(bp), n->busy_poll);
	fmt_s64(br, sizeof(br), n->busy_read);
	fprintf(out, "  net.core: netdev_budget %s, netdev_budget_usecs %s, busy_poll %s, busy_read %s\n",
		b, bu, bp, br);
	for (size_t i = 0; i < n->n; i++) {
		const struct net_if *f = &n->ifs[i];
		char defer[32], gro[32];
		fmt_s64(defer, sizeof(defer), f->napi_defer_hard_irqs);
		fmt_s64(gro, sizeof(gro), f->gro_flush_timeout_ns);
		fprintf(out, "  %-10s ifindex %d, %s%s%s, %s, rx %u tx %u queues, "
			"napi_defer_hard_irqs %s, gro_flush_timeout %s ns, threaded %s\n",
			f->name, f->ifindex, f->is_virtual ? "virtual" : s_or(f->pci_bdf, "no PCI device"),
			f->driver[0] ? " " : "", f->driver, s_or(f->operstate, "?"), f->rx_queues,
			f->tx_queues, defer, gro, f->threaded < 0 ? NA : (f->threaded ? "on" : "off"));
	}
	if (!n->napi_available) {
		fprintf(out, "  NAPI instances %s: %s\n", NA, n->napi_why);
		return;
	}
	fprintf(out, "  NAPI instances: %zu\n", n->nnapi);
	for (size_t i = 0; i < n->nnapi; i++) {
		const struct napi_inst *p = &n->napi[i];
		char defer[32], gro[32], sus[32];
		fmt_s64(defer, sizeof(defer), p->defer_hard_irqs);
		fmt_s64(gro, sizeof(gro), p->gro_flush_timeout_ns);
		fmt_s64(sus, sizeof(sus), p->irq_suspend_timeout_ns);
		char irq[16] = "-", queue[16] = "-";
		if (p->irq >= 0)
			snprintf(irq, sizeof(irq), "%d", p->irq);
		if (p->rx_queue >= 0)
			snprintf(queue, sizeof(queue), "%d", p->rx_queue);
		fprintf(out, "    napi %u on %s: rx queue %s, irq %s, %s, defer-hard-irqs %s, "
			"gro-flush-timeout %s, irq-suspend-timeout %s\n", p->id, s_or(p->ifname, "?"),
			queue, irq, p->pid > 0 ? "threaded" : "softirq", defer, gro, sus);
	}
}

static void text_softirqs(FILE *out, const struct model *m)
{
	heading(out, "Softirqs");
	if (!m->softirqs_sec.ok) {
		fprintf(out, "  %s: %s\n", NA, m->softirqs_sec.why);
		return;
	}
	for (size_t i = 0; i < m->softirqs.n; i++) {
		const struct softirq_vec *v = &m->softirqs.vec[i];
		const double *rate = m->sample.taken && m->sample.softirq_rate ? m->sample.softirq_rate[i] : NULL;
		char top[160];
		top_cpus(top, sizeof(top), v->counts, m->softirqs.cpu, m->softirqs.ncpus, rate);
		fprintf(out, "  %-12s %14llu  %s\n", v->name, (unsigned long long)v->total, top);
	}
}

static void text_softnet(FILE *out, const struct model *m)
{
	heading(out, "Softnet (per CPU)");
	if (!m->softnet_sec.ok) {
		fprintf(out, "  %s: %s\n", NA, m->softnet_sec.why);
		return;
	}
	uint64_t p = 0, d = 0, s = 0;
	for (size_t i = 0; i < m->softnet.n; i++) {
		p += m->softnet.cpu[i].processed;
		d += m->softnet.cpu[i].dropped;
		s += m->softnet.cpu[i].time_squeeze;
	}
	fprintf(out, "  %zu CPUs: processed %llu, dropped %llu, time_squeeze %llu\n", m->softnet.n,
		(unsigned long long)p, (unsigned long long)d, (unsigned long long)s);
	for (size_t i = 0; i < m->softnet.n; i++) {
		const struct softnet_cpu *c = &m->softnet.cpu[i];
		if (c->dropped || c->time_squeeze)
			fprintf(out, "    cpu%u: dropped %llu, time_squeeze %llu\n", c->cpu,
				(unsigned long long)c->dropped, (unsigned long long)c->time_squeeze);
	}
	if (m->sample.taken) {
		for (size_t i = 0; i < m->sample.delta.n; i++) {
			const struct softnet_cpu *c = &m->sample.delta.cpu[i];
			if (c->dropped || c->time_squeeze)
				fprintf(out, "    during sample cpu%u: dropped +%llu, time_squeeze +%llu\n",
					c->cpu, (unsigned long long)c->dropped,
					(unsigned long long)c->time_squeeze);
		}
	}
}

/* ---------- PCI, cgroup, services ---------- */

static void text_pci(FILE *out, const struct pci *p)
{
	heading(out, "PCI functions with interrupts or interfaces");
	if (!p->available) {
		fprintf(out, "  %s: %s\n", NA, p->why);
		return;
	}
	size_t shown = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct pci_func *f = &p->func[i];
		if (!f->nvec && !f->netdevs[0])
			continue;
		shown++;
		char *local = f->has_local_cpus ? cpulist_str(&f->local_cpus) : NULL;
		fprintf(out, "  %s %s: %s %s [%s]\n", f->bdf, s_or(f->class_name, "?"),
			s_or(f->vendor_name, "?"), s_or(f->device_name, "?"), pci_class_kind(f->class_code));
		fprintf(out, "      driver %s, NUMA node %s%d, local CPUs %s, %zu MSI/MSI-X vectors%s%s\n",
			s_or(f->driver, "-"), f->numa_node < 0 ? "unknown " : "", f->numa_node,
			local ? local : NA, f->nvec, f->netdevs[0] ? ", interfaces " : "", f->netdevs);
		free(local);
	}
	fprintf(out, "  (%zu of %zu functions shown)\n", shown, p->n);
}

static void text_cgroup(FILE *out, const struct cgroup_info *c)
{
	heading(out, "cgroups");
	if (!c->available) {
		fprintf(out, "  %s: %s\n", NA, c->why);
		return;
	}
	fprintf(out, "  mode %s%s%s\n", cgroup_mode_name(c->mode), c->v2_mount[0] ? ", v2 at " : "",
		c->v2_mount);
	for (size_t i = 0; i < c->n; i++) {
		const struct cgroup_ctrl *k = &c->ctrl[i];
		fprintf(out, "    %-12s %s%s%s\n", k->name,
			!k->enabled ? "disabled" : (k->on_v2 ? "v2" : (k->mount[0] ? "v1" : "unbound")),
			k->mount[0] && !k->on_v2 ? " at " : "", k->on_v2 ? "" : k->mount);
	}
}

static void text_boot(FILE *out, const struct svc_boot *b)
{
	if (b->enabled > 0)
		fprintf(out, ", enabled at boot (%s)", b->by);
	else if (b->enabled == 0)
		fprintf(out, ", not enabled at boot");
}

static void text_services(FILE *out, const struct services *s)
{
	heading(out, "Services that change these settings");
	if (!s->available)
		fprintf(out, "  %s: %s\n", NA, s->why);
	if (s->irqbalance_pid > 0)
		fprintf(out, "  irqbalance running (pid %d)", s->irqbalance_pid);
	else
		fprintf(out, "  irqbalance not running");
	text_boot(out, &s->irqbalance_boot);
	if (*s->irqbalance_banned)
		fprintf(out, "; IRQBALANCE_BANNED_CPULIST=%s (%s)", s->irqbalance_banned, s->irqbalance_conf);
	fputc('\n', out);
	if (s->tuned_pid > 0)
		fprintf(out, "  tuned running (pid %d)", s->tuned_pid);
	else
		fprintf(out, "  tuned not running");
	text_boot(out, &s->tuned_boot);
	if (*s->tuned_profile)
		fprintf(out, "; active profile %s", s->tuned_profile);
	fputc('\n', out);
}

static void text_findings(FILE *out, const struct findings *f)
{
	heading(out, "Findings");
	if (!f->n) {
		fprintf(out, "  none: nothing on this host is known to delay agent wakeups\n");
		return;
	}
	for (int sev = SEV_CRIT; sev >= SEV_INFO; sev--) {
		for (size_t i = 0; i < f->n; i++) {
			const struct finding *x = &f->v[i];
			if ((int)x->sev != sev)
				continue;
			fprintf(out, "  [%s] %s (%s)\n", severity_name(x->sev), x->title, x->id);
			fprintf(out, "      evidence: %s\n", x->evidence);
			fprintf(out, "      fix:      %s\n", x->knob);
		}
	}
}

void report_inspect_text(FILE *out, const struct model *m, const struct findings *f)
{
	fprintf(out, "agentune inspect: %s, kernel %s%s%s\n", s_or(m->hostname, "(hostname unavailable)"),
		s_or(m->kernel, NA), strcmp(m->root, "/") ? ", root " : "",
		strcmp(m->root, "/") ? m->root : "");
	if (m->sample.taken)
		fprintf(out, "sampled counters over %u ms\n", m->sample.interval_ms);
	text_topology(out, &m->topo);
	text_cpufreq(out, &m->freq);
	text_cpuidle(out, m);
	text_interrupts(out, m);
	text_softirqs(out, m);
	text_softnet(out, m);
	text_net(out, &m->net);
	text_pci(out, &m->pci);
	text_cgroup(out, &m->cgroup);
	text_services(out, &m->svc);
	text_findings(out, f);
}
