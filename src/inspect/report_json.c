/* inspect/report_json: the inspect report as JSON (docs/json-schema.md). Unavailable
 * values are null; every section has "available" and "why". */
#include "inspect/report_json.h"

#include <stdio.h>
#include <string.h>

#include "base/jsonw.h"

/* Every section starts with whether it could be read, and why not. */
static jo *section(bool ok, const char *why)
{
	jo *o = json_object_new_object();
	jw_put(o, "available", jw_bool(ok));
	jw_put(o, "why", ok ? NULL : jw_known(why));
	return o;
}

/* The CPU each per-CPU column of a counter table stands for. */
static jo *cpu_columns(const unsigned *cpu, unsigned n)
{
	jo *a = json_object_new_array_ext((int)n);
	for (unsigned i = 0; i < n; i++)
		json_object_array_add(a, jw_int((int)cpu[i]));
	return a;
}

/* ---------- sections ---------- */

static jo *j_topology(const struct topology *t)
{
	jo *o = section(t->available, t->why);
	jw_put(o, "possible", t->has_possible ? jw_cpulist(&t->possible) : NULL);
	jw_put(o, "present", t->has_present ? jw_cpulist(&t->present) : NULL);
	jw_put(o, "online", t->has_online ? jw_cpulist(&t->online) : NULL);
	jw_put(o, "offline", t->has_offline ? jw_cpulist(&t->offline) : NULL);
	jw_put(o, "isolated", t->has_isolated ? jw_cpulist(&t->isolated) : NULL);
	jw_put(o, "nohz_full", t->has_nohz_full ? jw_cpulist(&t->nohz_full) : NULL);
	jw_put(o, "kernel_max", jw_nonneg(t->kernel_max));
	jw_put(o, "packages", jw_int((int)t->packages));
	jw_put(o, "cores", jw_int((int)t->cores));
	jo *nodes = json_object_new_array();
	for (size_t i = 0; i < t->nnodes; i++) {
		jo *n = json_object_new_object();
		jw_put(n, "id", jw_int(t->node[i].id));
		jw_put(n, "cpus", jw_cpulist(&t->node[i].cpus));
		json_object_array_add(nodes, n);
	}
	jw_put(o, "numa_nodes", nodes);
	jo *cpus = json_object_new_array();
	for (size_t i = 0; i < t->n; i++) {
		const struct topo_cpu *c = &t->cpu[i];
		jo *x = json_object_new_object();
		jw_put(x, "cpu", jw_int((int)c->cpu));
		jw_put(x, "online", jw_bool(c->online));
		jw_put(x, "package", jw_nonneg(c->package));
		jw_put(x, "die", jw_nonneg(c->die));
		jw_put(x, "core", jw_nonneg(c->core));
		jw_put(x, "cluster", jw_nonneg(c->cluster));
		jw_put(x, "node", jw_nonneg(c->node));
		jw_put(x, "siblings", c->has_topology ? jw_cpulist(&c->siblings) : NULL);
		jw_put(x, "llc", cpumask_empty(&c->llc) ? NULL : jw_cpulist(&c->llc));
		jw_put(x, "llc_level", jw_nonneg(c->llc_level));
		json_object_array_add(cpus, x);
	}
	jw_put(o, "cpu", cpus);
	return o;
}

static jo *j_cpufreq(const struct cpufreq *f)
{
	jo *o = section(f->available, f->why);
	jw_put(o, "boost", jw_flag(f->boost));
	jw_put(o, "intel_pstate_status", jw_known(f->pstate_status));
	jo *a = json_object_new_array();
	for (size_t i = 0; i < f->n; i++) {
		const struct cpufreq_policy *p = &f->policy[i];
		jo *x = json_object_new_object();
		jw_put(x, "name", jw_known(p->name));
		jw_put(x, "cpus", jw_cpulist(&p->cpus));
		jw_put(x, "related_cpus", jw_cpulist(&p->related));
		jw_put(x, "driver", jw_known(p->driver));
		jw_put(x, "governor", jw_known(p->governor));
		jw_put(x, "available_governors", jw_known(p->available_governors));
		jw_put(x, "cur_khz", jw_u64(p->cur_khz));
		jw_put(x, "min_khz", jw_u64(p->min_khz));
		jw_put(x, "max_khz", jw_u64(p->max_khz));
		jw_put(x, "cpuinfo_min_khz", jw_u64(p->cpuinfo_min_khz));
		jw_put(x, "cpuinfo_max_khz", jw_u64(p->cpuinfo_max_khz));
		jw_put(x, "base_khz", jw_u64(p->base_khz));
		jw_put(x, "transition_latency_ns", jw_u64(p->transition_latency_ns));
		jw_put(x, "epp", jw_known(p->epp));
		json_object_array_add(a, x);
	}
	jw_put(o, "policies", a);
	return o;
}

static jo *j_resume_latency(int64_t v)
{
	if (v == PMQOS_NA)
		return jw_str("n/a");
	return jw_s64(v);
}

static jo *j_idle_state(const struct idle_state *s)
{
	jo *x = json_object_new_object();
	jw_put(x, "index", jw_int((int)s->index));
	jw_put(x, "name", jw_known(s->name));
	jw_put(x, "desc", jw_known(s->desc));
	jw_put(x, "latency_us", jw_u64(s->latency_us));
	jw_put(x, "residency_us", jw_u64(s->residency_us));
	jw_put(x, "disabled", jw_flag(s->disabled));
	jw_put(x, "default_status", jw_known(s->default_status));
	jw_put(x, "usage", jw_u64(s->usage));
	jw_put(x, "time_us", jw_u64(s->time_us));
	jw_put(x, "above", jw_u64(s->above));
	jw_put(x, "below", jw_u64(s->below));
	jw_put(x, "rejected", jw_u64(s->rejected));
	return x;
}

static jo *j_idle_path(const struct idlepath *p)
{
	jo *o = json_object_new_object();
	jw_put(o, "idle_option", p->cmdline_read ? jw_str(p->idle_opt) : NULL);
	jw_put(o, "vm", jw_flag(p->vm));
	jw_put(o, "hypervisor", jw_known(p->hypervisor));
	jw_put(o, "vm_evidence", jw_known(p->vm_evidence));
	jo *hp = json_object_new_object();
	jw_put(hp, "in_kernel", jw_flag(p->haltpoll));
	jw_put(hp, "module", p->haltpoll == 1 ? jw_bool(p->haltpoll_module) : NULL);
	jw_put(hp, "force", jw_flag(p->haltpoll_force));
	jw_put(hp, "how", jw_known(p->haltpoll_how));
	jw_put(o, "haltpoll", hp);
	return o;
}

static jo *j_cpuidle(const struct model *m)
{
	const struct cpuidle *c = &m->idle;
	struct cpumask online;
	cpumask_init(&online);
	model_cpus(m, &online);
	jo *o = section(c->available, c->why);
	jw_put(o, "driver", jw_known(c->driver));
	jw_put(o, "governor", jw_known(c->governor));
	jw_put(o, "cpu_dma_latency_us", jw_s64(c->cpu_dma_latency_us));
	jw_put(o, "cpu_dma_latency_why", c->cpu_dma_latency_us == NA_S64 ? jw_known(c->cpu_dma_latency_why) : NULL);
	jo *a = json_object_new_array();
	for (size_t i = 0; i < c->n; i++) {
		const struct cpuidle_cpu *cc = &c->cpu[i];
		jo *x = json_object_new_object();
		jw_put(x, "cpu", jw_int((int)cc->cpu));
		jw_put(x, "resume_latency_us", j_resume_latency(cc->resume_latency_us));
		const struct idle_cpu_path *ip = idlepath_cpu(&m->idlepath, cc->cpu);
		char text[256];
		if (ip && !cpumask_empty(&online) && !cpumask_test(&online, cc->cpu))
			copy_str(text, sizeof(text), "offline");
		else if (ip)
			idlepath_describe(&m->idlepath, c, ip, text, sizeof(text));
		jw_put(x, "idle_path", ip ? jw_str(idle_kind_name(ip->kind)) : NULL);
		jw_put(x, "idle_path_text", ip ? jw_str(text) : NULL);
		jo *st = json_object_new_array();
		for (size_t k = 0; k < cc->nstates; k++)
			json_object_array_add(st, j_idle_state(&cc->state[k]));
		jw_put(x, "states", st);
		json_object_array_add(a, x);
	}
	jw_put(o, "cpu", a);
	jw_put(o, "idle_path", j_idle_path(&m->idlepath));
	cpumask_free(&online);
	return o;
}

static jo *j_irq_device(const struct irq_device *d)
{
	if (!d->pci && !d->bdf[0] && !d->ifname[0] && !d->napi && !d->kind[0])
		return NULL;
	jo *x = json_object_new_object();
	jw_put(x, "pci", jw_known(d->bdf));
	jw_put(x, "vendor", d->pci ? jw_known(d->pci->vendor_name) : NULL);
	jw_put(x, "device", d->pci ? jw_known(d->pci->device_name) : NULL);
	jw_put(x, "class", d->pci ? jw_known(d->pci->class_name) : NULL);
	jw_put(x, "kind", jw_known(d->kind));
	jw_put(x, "vector", jw_nonneg(d->vector));
	jw_put(x, "mode", jw_known(d->mode));
	jw_put(x, "interface", jw_known(d->ifname));
	jw_put(x, "napi_id", d->napi ? jw_int(d->napi->id) : NULL);
	jw_put(x, "napi_via", d->napi ? jw_str(d->napi_via) : NULL);
	return x;
}

static jo *j_irq_line(const struct model *m, size_t i)
{
	const struct irq_line *l = &m->irqs.lines[i];
	jo *x = json_object_new_object();
	if (l->numbered)
		jw_put(x, "irq", jw_int((int)l->irq));
	jw_put(x, "label", jw_str(l->label));
	if (l->numbered) {
		jw_put(x, "chip", jw_known(l->chip));
		jw_put(x, "hwirq", jw_known(l->hwirq));
		jw_put(x, "trigger", jw_known(l->trigger));
	}
	jw_put(x, "name", jw_known(l->name));
	jw_put(x, "total", jw_uint(l->total));
	jw_put(x, "counts", jw_u64_array(l->counts, m->irqs.ncpus));
	if (l->numbered) {
		jw_put(x, "affinity", l->has_affinity ? jw_cpulist(&l->affinity) : NULL);
		jw_put(x, "effective_affinity", l->has_effective ? jw_cpulist(&l->effective) : NULL);
		jw_put(x, "node", jw_nonneg(l->node));
		jw_put(x, "device", m->irqdev ? j_irq_device(&m->irqdev[i]) : NULL);
	}
	if (m->sample.taken && m->sample.irq_rate && m->sample.irq_rate[i])
		jw_put(x, "rate_per_s", jw_double_array(m->sample.irq_rate[i], m->irqs.ncpus));
	return x;
}

static jo *j_interrupts(const struct model *m)
{
	jo *o = section(m->irqs_sec.ok, m->irqs_sec.why);
	jw_put(o, "cpus", cpu_columns(m->irqs.cpu, m->irqs.ncpus));
	jo *irqs = json_object_new_array(), *special = json_object_new_array();
	for (size_t i = 0; i < m->irqs.n; i++)
		json_object_array_add(m->irqs.lines[i].numbered ? irqs : special, j_irq_line(m, i));
	jw_put(o, "irqs", irqs);
	jw_put(o, "special", special);
	return o;
}

static jo *j_softirqs(const struct model *m)
{
	jo *o = section(m->softirqs_sec.ok, m->softirqs_sec.why);
	jw_put(o, "cpus", cpu_columns(m->softirqs.cpu, m->softirqs.ncpus));
	jo *a = json_object_new_array();
	for (size_t i = 0; i < m->softirqs.n; i++) {
		const struct softirq_vec *v = &m->softirqs.vec[i];
		jo *x = json_object_new_object();
		jw_put(x, "name", jw_str(v->name));
		jw_put(x, "total", jw_uint(v->total));
		jw_put(x, "counts", jw_u64_array(v->counts, m->softirqs.ncpus));
		if (m->sample.taken && m->sample.softirq_rate && m->sample.softirq_rate[i])
			jw_put(x, "rate_per_s", jw_double_array(m->sample.softirq_rate[i], m->softirqs.ncpus));
		json_object_array_add(a, x);
	}
	jw_put(o, "vectors", a);
	return o;
}

static jo *j_softnet_cpu(const struct softnet_cpu *c)
{
	jo *x = json_object_new_object();
	jw_put(x, "cpu", jw_int((int)c->cpu));
	jw_put(x, "processed", jw_u64(c->processed));
	jw_put(x, "dropped", jw_u64(c->dropped));
	jw_put(x, "time_squeeze", jw_u64(c->time_squeeze));
	jw_put(x, "received_rps", jw_u64(c->received_rps));
	jw_put(x, "flow_limit_count", jw_u64(c->flow_limit_count));
	jw_put(x, "backlog_len", jw_u64(c->backlog_len));
	return x;
}

static jo *j_softnet(const struct model *m)
{
	jo *o = section(m->softnet_sec.ok, m->softnet_sec.why);
	jo *a = json_object_new_array();
	for (size_t i = 0; i < m->softnet.n; i++)
		json_object_array_add(a, j_softnet_cpu(&m->softnet.cpu[i]));
	jw_put(o, "cpu", a);
	return o;
}

static jo *j_pci(const struct pci *p)
{
	jo *o = section(p->available, p->why);
	jo *a = json_object_new_array();
	char hex[16];
	for (size_t i = 0; i < p->n; i++) {
		const struct pci_func *f = &p->func[i];
		jo *x = json_object_new_object();
		jw_put(x, "bdf", jw_str(f->bdf));
		snprintf(hex, sizeof(hex), "0x%04x", f->vendor);
		jw_put(x, "vendor_id", f->has_ids ? jw_str(hex) : NULL);
		snprintf(hex, sizeof(hex), "0x%04x", f->device);
		jw_put(x, "device_id", f->has_ids ? jw_str(hex) : NULL);
		snprintf(hex, sizeof(hex), "0x%06x", f->class_code);
		jw_put(x, "class_id", f->has_ids ? jw_str(hex) : NULL);
		jw_put(x, "vendor", jw_known(f->vendor_name));
		jw_put(x, "device", jw_known(f->device_name));
		jw_put(x, "class", jw_known(f->class_name));
		jw_put(x, "kind", jw_str(pci_class_kind(f->class_code)));
		jw_put(x, "numa_node", jw_nonneg(f->numa_node));
		jw_put(x, "local_cpus", f->has_local_cpus ? jw_cpulist(&f->local_cpus) : NULL);
		jw_put(x, "driver", jw_known(f->driver));
		jo *ifs = json_object_new_array();
		char names[sizeof(f->netdevs)];
		copy_str(names, sizeof(names), f->netdevs);
		for (char *save = NULL, *t = strtok_r(names, " ", &save); t; t = strtok_r(NULL, " ", &save))
			json_object_array_add(ifs, jw_str(t));
		jw_put(x, "interfaces", ifs);
		jo *vecs = json_object_new_array();
		for (size_t k = 0; k < f->nvec; k++) {
			jo *v = json_object_new_object();
			jw_put(v, "irq", jw_int((int)f->vec[k].irq));
			jw_put(v, "mode", jw_known(f->vec[k].mode));
			jw_put(v, "index", jw_nonneg(f->vec[k].index));
			json_object_array_add(vecs, v);
		}
		jw_put(x, "vectors", vecs);
		json_object_array_add(a, x);
	}
	jw_put(o, "functions", a);
	return o;
}

static jo *j_napi(const struct net *n)
{
	jo *o = section(n->napi_available, n->napi_why);
	jo *a = json_object_new_array();
	for (size_t i = 0; i < n->nnapi; i++) {
		const struct napi_inst *p = &n->napi[i];
		jo *x = json_object_new_object();
		jw_put(x, "id", jw_int(p->id));
		jw_put(x, "ifindex", jw_nonneg(p->ifindex));
		jw_put(x, "interface", jw_known(p->ifname));
		jw_put(x, "irq", jw_nonneg(p->irq));
		jw_put(x, "pid", jw_nonneg(p->pid));
		jw_put(x, "rx_queue", jw_nonneg(p->rx_queue));
		jw_put(x, "defer_hard_irqs", jw_s64(p->defer_hard_irqs));
		jw_put(x, "gro_flush_timeout_ns", jw_s64(p->gro_flush_timeout_ns));
		jw_put(x, "irq_suspend_timeout_ns", jw_s64(p->irq_suspend_timeout_ns));
		json_object_array_add(a, x);
	}
	jw_put(o, "instances", a);
	return o;
}

static jo *j_net(const struct net *n)
{
	jo *o = section(n->available, n->why);
	jo *sys = json_object_new_object();
	jw_put(sys, "netdev_budget", jw_s64(n->netdev_budget));
	jw_put(sys, "netdev_budget_usecs", jw_s64(n->netdev_budget_usecs));
	jw_put(sys, "busy_poll", jw_s64(n->busy_poll));
	jw_put(sys, "busy_read", jw_s64(n->busy_read));
	jw_put(o, "sysctl", sys);
	jo *a = json_object_new_array();
	for (size_t i = 0; i < n->n; i++) {
		const struct net_if *f = &n->ifs[i];
		jo *x = json_object_new_object();
		jw_put(x, "name", jw_str(f->name));
		jw_put(x, "ifindex", jw_nonneg(f->ifindex));
		jw_put(x, "pci", jw_known(f->pci_bdf));
		jw_put(x, "driver", jw_known(f->driver));
		jw_put(x, "operstate", jw_known(f->operstate));
		jw_put(x, "virtual", jw_bool(f->is_virtual));
		jw_put(x, "rx_queues", jw_int((int)f->rx_queues));
		jw_put(x, "tx_queues", jw_int((int)f->tx_queues));
		jw_put(x, "napi_defer_hard_irqs", jw_s64(f->napi_defer_hard_irqs));
		jw_put(x, "gro_flush_timeout_ns", jw_s64(f->gro_flush_timeout_ns));
		jw_put(x, "threaded", jw_flag(f->threaded));
		json_object_array_add(a, x);
	}
	jw_put(o, "interfaces", a);
	jw_put(o, "napi", j_napi(n));
	return o;
}

static jo *j_cgroup(const struct cgroup_info *c)
{
	jo *o = section(c->available, c->why);
	jw_put(o, "mode", jw_str(cgroup_mode_name(c->mode)));
	jw_put(o, "v2_mount", jw_known(c->v2_mount));
	jo *a = json_object_new_array();
	for (size_t i = 0; i < c->n; i++) {
		jo *x = json_object_new_object();
		jw_put(x, "name", jw_str(c->ctrl[i].name));
		jw_put(x, "enabled", jw_bool(c->ctrl[i].enabled));
		jw_put(x, "hierarchy", c->ctrl[i].on_v2 ? jw_str("v2")
			: (c->ctrl[i].mount[0] ? jw_str("v1") : NULL));
		jw_put(x, "mount", jw_known(c->ctrl[i].mount));
		json_object_array_add(a, x);
	}
	jw_put(o, "controllers", a);
	return o;
}

static jo *j_service(int pid, const struct svc_boot *b)
{
	jo *x = json_object_new_object();
	jw_put(x, "running", jw_bool(pid > 0));
	jw_put(x, "pid", pid > 0 ? jw_int(pid) : NULL);
	jw_put(x, "enabled_at_boot", jw_flag(b->enabled));
	jw_put(x, "enabled_by", b->enabled > 0 ? jw_str(b->by) : NULL);
	return x;
}

static jo *j_sample(const struct model *m)
{
	if (!m->sample.taken)
		return NULL;
	jo *o = json_object_new_object();
	jw_put(o, "interval_ms", jw_int((int)m->sample.interval_ms));
	jw_put(o, "elapsed_s", jw_double(m->sample.elapsed_s));
	jo *a = json_object_new_array();
	for (size_t i = 0; i < m->sample.delta.n; i++)
		json_object_array_add(a, j_softnet_cpu(&m->sample.delta.cpu[i]));
	jw_put(o, "softnet_delta", a);
	return o;
}

static jo *j_findings(const struct findings *f)
{
	jo *a = json_object_new_array();
	for (size_t i = 0; i < f->n; i++) {
		jo *x = json_object_new_object();
		jw_put(x, "id", jw_str(f->v[i].id));
		jw_put(x, "severity", jw_str(severity_name(f->v[i].sev)));
		jw_put(x, "title", jw_str(f->v[i].title));
		jw_put(x, "evidence", jw_str(f->v[i].evidence));
		jw_put(x, "knob", jw_str(f->v[i].knob));
		json_object_array_add(a, x);
	}
	return a;
}

jo *report_inspect_json(const struct model *m, const struct findings *f)
{
	jo *o = json_object_new_object();
	jw_put(o, "schema", jw_str(INSPECT_SCHEMA));
	jo *host = json_object_new_object();
	jw_put(host, "hostname", jw_known(m->hostname));
	jw_put(host, "kernel", jw_known(m->kernel));
	jw_put(host, "root", jw_str(m->root));
	jw_put(o, "host", host);
	jw_put(o, "cpus", j_topology(&m->topo));
	jw_put(o, "cpufreq", j_cpufreq(&m->freq));
	jw_put(o, "cpuidle", j_cpuidle(m));
	jw_put(o, "interrupts", j_interrupts(m));
	jw_put(o, "softirqs", j_softirqs(m));
	jw_put(o, "softnet", j_softnet(m));
	jw_put(o, "pci", j_pci(&m->pci));
	jw_put(o, "network", j_net(&m->net));
	jw_put(o, "cgroup", j_cgroup(&m->cgroup));
	jo *svc = section(m->svc.available, m->svc.why);
	jo *irqb = j_service(m->svc.irqbalance_pid, &m->svc.irqbalance_boot);
	jw_put(irqb, "banned_cpulist", *m->svc.irqbalance_banned ? jw_str(m->svc.irqbalance_banned) : NULL);
	jw_put(irqb, "config", *m->svc.irqbalance_conf ? jw_str(m->svc.irqbalance_conf) : NULL);
	jw_put(svc, "irqbalance", irqb);
	jo *tuned = j_service(m->svc.tuned_pid, &m->svc.tuned_boot);
	jw_put(tuned, "active_profile", *m->svc.tuned_profile ? jw_str(m->svc.tuned_profile) : NULL);
	jo *keys = json_object_new_array();
	for (size_t i = 0; i < m->svc.ntuned_keys; i++)
		json_object_array_add(keys, jw_str(m->svc.tuned_keys[i]));
	jw_put(tuned, "profile_keys", m->svc.tuned_keys_read ? keys : (json_object_put(keys), NULL));
	jw_put(svc, "tuned", tuned);
	jw_put(o, "services", svc);
	jw_put(o, "sample", j_sample(m));
	jw_put(o, "findings", j_findings(f));
	return o;
}
