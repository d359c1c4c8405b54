/* inspect/report_json: the inspect report as JSON (docs/json-schema.md). Unavailable
 * values are null; every section has "available" and "why". */
#include "inspect/report_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct json_object jo;

static jo *j_u64(uint64_t v)
{
	return v == NA_U64 ? NULL : json_object_new_uint64(v);
}

static jo *j_s64(int64_t v)
{
	return v == NA_S64 ? NULL : json_object_new_int64(v);
}

static jo *j_int_or_null(int v)
{
	return v < 0 ? NULL : json_object_new_int(v);
}

static jo *j_str(const char *s)
{
	return s && s[0] ? json_object_new_string(s) : NULL;
}

static jo *j_mask(const struct cpumask *m, bool has)
{
	if (!has)
		return NULL;
	char *s = cpulist_str(m);
	jo *o = json_object_new_string(s ? s : "");
	free(s);
	return o;
}

static void put(jo *o, const char *k, jo *v)
{
	json_object_object_add(o, k, v);
}

static jo *section(bool ok, const char *why)
{
	jo *o = json_object_new_object();
	put(o, "available", json_object_new_boolean(ok));
	put(o, "why", ok ? NULL : j_str(why));
	return o;
}

static jo *counts_array(const uint64_t *v, unsigned n)
{
	jo *a = json_object_new_array_ext((int)n);
	for (unsigned i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_uint64(v[i]));
	return a;
}

static jo *rates_array(const double *v, unsigned n)
{
	jo *a = json_object_new_array_ext((int)n);
	for (unsigned i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_double(v[i]));
	return a;
}

static jo *cpu_columns(const unsigned *cpu, unsigned n)
{
	jo *a = json_object_new_array_ext((int)n);
	for (unsigned i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_int((int)cpu[i]));
	return a;
}

/* ---------- sections ---------- */

static jo *j_topology(const struct topology *t)
{
	jo *o = section(t->available, t->why);
	put(o, "possible", j_mask(&t->possible, t->has_possible));
	put(o, "present", j_mask(&t->present, t->has_present));
	put(o, "online", j_mask(&t->online, t->has_online));
	put(o, "offline", j_mask(&t->offline, t->has_offline));
	put(o, "isolated", j_mask(&t->isolated, t->has_isolated));
	put(o, "nohz_full", j_mask(&t->nohz_full, t->has_nohz_full));
	put(o, "kernel_max", j_int_or_null(t->kernel_max));
	put(o, "packages", json_object_new_int((int)t->packages));
	put(o, "cores", json_object_new_int((int)t->cores));
	jo *nodes = json_object_new_array();
	for (size_t i = 0; i < t->nnodes; i++) {
		jo *n = json_object_new_object();
		put(n, "id", json_object_new_int(t->node[i].id));
		put(n, "cpus", j_mask(&t->node[i].cpus, true));
		json_object_array_add(nodes, n);
	}
	put(o, "numa_nodes", nodes);
	jo *cpus = json_object_new_array();
	for (size_t i = 0; i < t->n; i++) {
		const struct topo_cpu *c = &t->cpu[i];
		jo *x = json_object_new_object();
		put(x, "cpu", json_object_new_int((int)c->cpu));
		put(x, "online", json_object_new_boolean(c->online));
		put(x, "package", j_int_or_null(c->package));
		put(x, "die", j_int_or_null(c->die));
		put(x, "core", j_int_or_null(c->core));
		put(x, "cluster", j_int_or_null(c->cluster));
		put(x, "node", j_int_or_null(c->node));
		put(x, "siblings", j_mask(&c->siblings, c->has_topology));
		put(x, "llc", j_mask(&c->llc, !cpumask_empty(&c->llc)));
		put(x, "llc_level", j_int_or_null(c->llc_level));
		json_object_array_add(cpus, x);
	}
	put(o, "cpu", cpus);
	return o;
}

static jo *j_cpufreq(const struct cpufreq *f)
{
	jo *o = section(f->available, f->why);
	put(o, "boost", f->boost < 0 ? NULL : json_object_new_boolean(f->boost));
	put(o, "intel_pstate_status", j_str(f->pstate_status));
	jo *a = json_object_new_array();
	for (size_t i = 0; i < f->n; i++) {
		const struct cpufreq_policy *p = &f->policy[i];
		jo *x = json_object_new_object();
		put(x, "name", j_str(p->name));
		put(x, "cpus", j_mask(&p->cpus, true));
		put(x, "related_cpus", j_mask(&p->related, true));
		put(x, "driver", j_str(p->driver));
		put(x, "governor", j_str(p->governor));
		put(x, "available_governors", j_str(p->available_governors));
		put(x, "cur_khz", j_u64(p->cur_khz));
		put(x, "min_khz", j_u64(p->min_khz));
		put(x, "max_khz", j_u64(p->max_khz));
		put(x, "cpuinfo_min_khz", j_u64(p->cpuinfo_min_khz));
		put(x, "cpuinfo_max_khz", j_u64(p->cpuinfo_max_khz));
		put(x, "base_khz", j_u64(p->base_khz));
		put(x, "transition_latency_ns", j_u64(p->transition_latency_ns));
		put(x, "epp", j_str(p->epp));
		json_object_array_add(a, x);
	}
	put(o, "policies", a);
	return o;
}

static jo *j_resume_latency(int64_t v)
{
	if (v == PMQOS_NA)
		return json_object_new_string("n/a");
	return j_s64(v);
}

static jo *j_idle_state(const struct idle_state *s)
{
	jo *x = json_object_new_object();
	put(x, "index", json_object_new_int((int)s->index));
	put(x, "name", j_str(s->name));
	put(x, "desc", j_str(s->desc));
	put(x, "latency_us", j_u64(s->latency_us));
	put(x, "residency_us", j_u64(s->residency_us));
	put(x, "disabled", s->disabled < 0 ? NULL : json_object_new_boolean(s->disabled));
	put(x, "default_status", j_str(s->default_status));
	put(x, "usage", j_u64(s->usage));
	put(x, "time_us", j_u64(s->time_us));
	put(x, "above", j_u64(s->above));
	put(x, "below", j_u64(s->below));
	put(x, "rejected", j_u64(s->rejected));
	return x;
}

static jo *j_cpuidle(const struct cpuidle *c)
{
	jo *o = section(c->available, c->why);
	put(o, "driver", j_str(c->driver));
	put(o, "governor", j_str(c->governor));
	put(o, "cpu_dma_latency_us", j_s64(c->cpu_dma_latency_us));
	put(o, "cpu_dma_latency_why", c->cpu_dma_latency_us == NA_S64 ? j_str(c->cpu_dma_latency_why) : NULL);
	jo *a = json_object_new_array();
	for (size_t i = 0; i < c->n; i++) {
		const struct cpuidle_cpu *cc = &c->cpu[i];
		jo *x = json_object_new_object();
		put(x, "cpu", json_object_new_int((int)cc->cpu));
		put(x, "resume_latency_us", j_resume_latency(cc->resume_latency_us));
		jo *st = json_object_new_array();
		for (size_t k = 0; k < cc->nstates; k++)
			json_object_array_add(st, j_idle_state(&cc->state[k]));
		put(x, "states", st);
		json_object_array_add(a, x);
	}
	put(o, "cpu", a);
	return o;
}

static jo *j_irq_device(const struct irq_device *d)
{
	if (!d->pci && !d->bdf[0] && !d->ifname[0] && !d->napi && !d->kind[0])
		return NULL;
	jo *x = json_object_new_object();
	put(x, "pci", j_str(d->bdf));
	put(x, "vendor", d->pci ? j_str(d->pci->vendor_name) : NULL);
	put(x, "device", d->pci ? j_str(d->pci->device_name) : NULL);
	put(x, "class", d->pci ? j_str(d->pci->class_name) : NULL);
	put(x, "kind", j_str(d->kind));
	put(x, "vector", j_int_or_null(d->vector));
	put(x, "mode", j_str(d->mode));
	put(x, "interface", j_str(d->ifname));
	put(x, "napi_id", d->napi ? json_object_new_int64(d->napi->id) : NULL);
	put(x, "napi_via", d->napi ? json_object_new_string(d->napi_via) : NULL);
	return x;
}

static jo *j_irq_line(const struct model *m, size_t i)
{
	const struct irq_line *l = &m->irqs.lines[i];
	jo *x = json_object_new_object();
	if (l->numbered)
		put(x, "irq", json_object_new_int((int)l->irq));
	put(x, "label", json_object_new_string(l->label));
	if (l->numbered) {
		put(x, "chip", j_str(l->chip));
		put(x, "hwirq", j_str(l->hwirq));
		put(x, "trigger", j_str(l->trigger));
	}
	put(x, "name", j_str(l->name));
	put(x, "total", json_object_new_uint64(l->total));
	put(x, "counts", counts_array(l->counts, m->irqs.ncpus));
	if (l->numbered) {
		put(x, "affinity", j_mask(&l->affinity, l->has_affinity));
		put(x, "effective_affinity", j_mask(&l->effective, l->has_effective));
		put(x, "node", j_int_or_null(l->node));
		put(x, "device", m->irqdev ? j_irq_device(&m->irqdev[i]) : NULL);
	}
	if (m->sample.taken && m->sample.irq_rate && m->sample.irq_rate[i])
		put(x, "rate_per_s", rates_array(m->sample.irq_rate[i], m->irqs.ncpus));
	return x;
}

static jo *j_interrupts(const struct model *m)
{
	jo *o = section(m->irqs_sec.ok, m->irqs_sec.why);
	put(o, "cpus", cpu_columns(m->irqs.cpu, m->irqs.ncpus));
	jo *irqs = json_object_new_array(), *special = json_object_new_array();
	for (size_t i = 0; i < m->irqs.n; i++)
		json_object_array_add(m->irqs.lines[i].numbered ? irqs : special, j_irq_line(m, i));
	put(o, "irqs", irqs);
	put(o, "special", special);
	return o;
}

static jo *j_softirqs(const struct model *m)
{
	jo *o = section(m->softirqs_sec.ok, m->softirqs_sec.why);
	put(o, "cpus", cpu_columns(m->softirqs.cpu, m->softirqs.ncpus));
	jo *a = json_object_new_array();
	for (size_t i = 0; i < m->softirqs.n; i++) {
		const struct softirq_vec *v = &m->softirqs.vec[i];
		jo *x = json_object_new_object();
		put(x, "name", json_object_new_string(v->name));
		put(x, "total", json_object_new_uint64(v->total));
		put(x, "counts", counts_array(v->counts, m->softirqs.ncpus));
		if (m->sample.taken && m->sample.softirq_rate && m->sample.softirq_rate[i])
			put(x, "rate_per_s", rates_array(m->sample.softirq_rate[i], m->softirqs.ncpus));
		json_object_array_add(a, x);
	}
	put(o, "vectors", a);
	return o;
}

static jo *j_softnet_cpu(const struct softnet_cpu *c)
{
	jo *x = json_object_new_object();
	put(x, "cpu", json_object_new_int((int)c->cpu));
	put(x, "processed", j_u64(c->processed));
	put(x, "dropped", j_u64(c->dropped));
	put(x, "time_squeeze", j_u64(c->time_squeeze));
	put(x, "received_rps", j_u64(c->received_rps));
	put(x, "flow_limit_count", j_u64(c->flow_limit_count));
	put(x, "backlog_len", j_u64(c->backlog_len));
	return x;
}

static jo *j_softnet(const struct model *m)
{
	jo *o = section(m->softnet_sec.ok, m->softnet_sec.why);
	jo *a = json_object_new_array();
	for (size_t i = 0; i < m->softnet.n; i++)
		json_object_array_add(a, j_softnet_cpu(&m->softnet.cpu[i]));
	put(o, "cpu", a);
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
		put(x, "bdf", json_object_new_string(f->bdf));
		snprintf(hex, sizeof(hex), "0x%04x", f->vendor);
		put(x, "vendor_id", f->has_ids ? json_object_new_string(hex) : NULL);
		snprintf(hex, sizeof(hex), "0x%04x", f->device);
		put(x, "device_id", f->has_ids ? json_object_new_string(hex) : NULL);
		snprintf(hex, sizeof(hex), "0x%06x", f->class_code);
		put(x, "class_id", f->has_ids ? json_object_new_string(hex) : NULL);
		put(x, "vendor", j_str(f->vendor_name));
		put(x, "device", j_str(f->device_name));
		put(x, "class", j_str(f->class_name));
		put(x, "kind", json_object_new_string(pci_class_kind(f->class_code)));
		put(x, "numa_node", j_int_or_null(f->numa_node));
		put(x, "local_cpus", j_mask(&f->local_cpus, f->has_local_cpus));
		put(x, "driver", j_str(f->driver));
		jo *ifs = json_object_new_array();
		char names[sizeof(f->netdevs)];
		copy_str(names, sizeof(names), f->netdevs);
		for (char *save = NULL, *t = strtok_r(names, " ", &save); t; t = strtok_r(NULL, " ", &save))
			json_object_array_add(ifs, json_object_new_string(t));
		put(x, "interfaces", ifs);
		jo *vecs = json_object_new_array();
		for (size_t k = 0; k < f->nvec; k++) {
			jo *v = json_object_new_object();
			put(v, "irq", json_object_new_int((int)f->vec[k].irq));
			put(v, "mode", j_str(f->vec[k].mode));
			put(v, "index", j_int_or_null(f->vec[k].index));
			json_object_array_add(vecs, v);
		}
		put(x, "vectors", vecs);
		json_object_array_add(a, x);
	}
	put(o, "functions", a);
	return o;
}

static jo *j_napi(const struct net *n)
{
	jo *o = section(n->napi_available, n->napi_why);
	jo *a = json_object_new_array();
	for (size_t i = 0; i < n->nnapi; i++) {
		const struct napi_inst *p = &n->napi[i];
		jo *x = json_object_new_object();
		put(x, "id", json_object_new_int64(p->id));
		put(x, "ifindex", j_int_or_null(p->ifindex));
		put(x, "interface", j_str(p->ifname));
		put(x, "irq", j_int_or_null(p->irq));
		put(x, "pid", j_int_or_null(p->pid));
		put(x, "rx_queue", j_int_or_null(p->rx_queue));
		put(x, "defer_hard_irqs", j_s64(p->defer_hard_irqs));
		put(x, "gro_flush_timeout_ns", j_s64(p->gro_flush_timeout_ns));
		put(x, "irq_suspend_timeout_ns", j_s64(p->irq_suspend_timeout_ns));
		json_object_array_add(a, x);
	}
	put(o, "instances", a);
	return o;
}

static jo *j_net(const struct net *n)
{
	jo *o = section(n->available, n->why);
	jo *sys = json_object_new_object();
	put(sys, "netdev_budget", j_s64(n->netdev_budget));
	put(sys, "netdev_budget_usecs", j_s64(n->netdev_budget_usecs));
	put(sys, "busy_poll", j_s64(n->busy_poll));
	put(sys, "busy_read", j_s64(n->busy_read));
	put(o, "sysctl", sys);
	jo *a = json_object_new_array();
	for (size_t i = 0; i < n->n; i++) {
		const struct net_if *f = &n->ifs[i];
		jo *x = json_object_new_object();
		put(x, "name", json_object_new_string(f->name));
		put(x, "ifindex", j_int_or_null(f->ifindex));
		put(x, "pci", j_str(f->pci_bdf));
		put(x, "driver", j_str(f->driver));
		put(x, "operstate", j_str(f->operstate));
		put(x, "virtual", json_object_new_boolean(f->is_virtual));
		put(x, "rx_queues", json_object_new_int((int)f->rx_queues));
		put(x, "tx_queues", json_object_new_int((int)f->tx_queues));
		put(x, "napi_defer_hard_irqs", j_s64(f->napi_defer_hard_irqs));
		put(x, "gro_flush_timeout_ns", j_s64(f->gro_flush_timeout_ns));
		put(x, "threaded", f->threaded < 0 ? NULL : json_object_new_boolean(f->threaded));
		json_object_array_add(a, x);
	}
	put(o, "interfaces", a);
	put(o, "napi", j_napi(n));
	return o;
}

static jo *j_cgroup(const struct cgroup_info *c)
{
	jo *o = section(c->available, c->why);
	put(o, "mode", json_object_new_string(cgroup_mode_name(c->mode)));
	put(o, "v2_mount", j_str(c->v2_mount));
	jo *a = json_object_new_array();
	for (size_t i = 0; i < c->n; i++) {
		jo *x = json_object_new_object();
		put(x, "name", json_object_new_string(c->ctrl[i].name));
		put(x, "enabled", json_object_new_boolean(c->ctrl[i].enabled));
		put(x, "hierarchy", c->ctrl[i].on_v2 ? json_object_new_string("v2")
			: (c->ctrl[i].mount[0] ? json_object_new_string("v1") : NULL));
		put(x, "mount", j_str(c->ctrl[i].mount));
		json_object_array_add(a, x);
	}
	put(o, "controllers", a);
	return o;
}

static jo *j_service(int pid)
{
	jo *x = json_object_new_object();
	put(x, "running", json_object_new_boolean(pid > 0));
	put(x, "pid", pid > 0 ? json_object_new_int(pid) : NULL);
	return x;
}

static jo *j_sample(const struct model *m)
{
	if (!m->sample.taken)
		return NULL;
	jo *o = json_object_new_object();
	put(o, "interval_ms", json_object_new_int((int)m->sample.interval_ms));
	put(o, "elapsed_s", json_object_new_double(m->sample.elapsed_s));
	jo *a = json_object_new_array();
	for (size_t i = 0; i < m->sample.delta.n; i++)
		json_object_array_add(a, j_softnet_cpu(&m->sample.delta.cpu[i]));
	put(o, "softnet_delta", a);
	return o;
}

static jo *j_findings(const struct findings *f)
{
	jo *a = json_object_new_array();
	for (size_t i = 0; i < f->n; i++) {
		jo *x = json_object_new_object();
		put(x, "id", json_object_new_string(f->v[i].id));
		put(x, "severity", json_object_new_string(severity_name(f->v[i].sev)));
		put(x, "title", json_object_new_string(f->v[i].title));
		put(x, "evidence", json_object_new_string(f->v[i].evidence));
		put(x, "knob", json_object_new_string(f->v[i].knob));
		json_object_array_add(a, x);
	}
	return a;
}

jo *report_inspect_json(const struct model *m, const struct findings *f)
{
	jo *o = json_object_new_object();
	put(o, "schema", json_object_new_string(INSPECT_SCHEMA));
	jo *host = json_object_new_object();
	put(host, "hostname", j_str(m->hostname));
	put(host, "kernel", j_str(m->kernel));
	put(host, "root", json_object_new_string(m->root));
	put(o, "host", host);
	put(o, "cpus", j_topology(&m->topo));
	put(o, "cpufreq", j_cpufreq(&m->freq));
	put(o, "cpuidle", j_cpuidle(&m->idle));
	put(o, "interrupts", j_interrupts(m));
	put(o, "softirqs", j_softirqs(m));
	put(o, "softnet", j_softnet(m));
	put(o, "pci", j_pci(&m->pci));
	put(o, "network", j_net(&m->net));
	put(o, "cgroup", j_cgroup(&m->cgroup));
	jo *svc = section(m->svc.available, m->svc.why);
	put(svc, "irqbalance", j_service(m->svc.irqbalance_pid));
	put(svc, "tuned", j_service(m->svc.tuned_pid));
	put(o, "services", svc);
	put(o, "sample", j_sample(m));
	put(o, "findings", j_findings(f));
	return o;
}
