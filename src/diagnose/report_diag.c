/* diagnose/report_diag: the diagnose report, text and JSON (schema in
 * docs/json-schema.md): header, stage table, wake sources, the slowest steps
 * stage by stage, the verdict, and the tool's own cost. */
#include "diagnose/report_diag.h"

#include <stdlib.h>
#include <string.h>

#include "base/stats.h"

typedef struct json_object jo;

static void put(jo *o, const char *k, jo *v)
{
	json_object_object_add(o, k, v);
}

static double us(uint64_t ns)
{
	return (double)ns / 1e3;
}

static void stage_pct(const struct probe_result *r, unsigned stage, struct hist *h, struct pct *p)
{
	hist_from_buckets(h, r->hist[stage]);
	hist_summary(h, p);
}

static const char *work_function(const struct diag_report *d, const struct step_event *e)
{
	return e->work_func ? ksyms_name(d->ksyms, e->work_func) : NULL;
}

/* "NET_RX (virtio_net)", "IRQ 41 virtio3-rx", "task agent-p0 (pid 12)",
 * "task kworker/1:1 (pid 80) running blk_mq_run_work_fn". */
static void wake_source(const struct diag_report *d, const struct step_event *e, char *buf,
			size_t sz)
{
	const char *work = work_function(d, e);
	switch (e->wake_kind) {
	case WAKE_HARDIRQ:
		snprintf(buf, sz, "hardirq %u %s", e->wake_arg, e->irq_name);
		break;
	case WAKE_SOFTIRQ:
		snprintf(buf, sz, "softirq %s%s%s", probe_softirq_name(e->wake_arg),
			 e->napi_dev[0] ? " napi " : "", e->napi_dev);
		break;
	case WAKE_TIMER:
		snprintf(buf, sz, "timer");
		break;
	case WAKE_IPI:
		snprintf(buf, sz, "IPI %s", probe_vector_name(e->wake_arg));
		break;
	case WAKE_TASK:
		snprintf(buf, sz, "task %s (pid %u)%s%s", e->waker_comm, e->waker_pid,
			 work ? " running " : "", work ? work : "");
		break;
	default:
		snprintf(buf, sz, "unknown");
	}
}

static void migration(const struct diag_report *d, const struct step_event *e, char *buf, size_t sz)
{
	if (e->prev_cpu == (uint32_t)-1 || e->prev_cpu == e->cpu) {
		snprintf(buf, sz, "none");
		return;
	}
	const struct topo_cpu *a = d->m ? topology_cpu(&d->m->topo, e->cpu) : NULL;
	const struct topo_cpu *b = d->m ? topology_cpu(&d->m->topo, e->prev_cpu) : NULL;
	const char *kind = "other CPU";
	if (a && b) {
		if (cpumask_test(&a->siblings, e->prev_cpu))
			kind = "same core";
		else if (!cpumask_empty(&a->llc) && cpumask_test(&a->llc, e->prev_cpu))
			kind = "same LLC";
		else if (a->node >= 0 && a->node != b->node)
			kind = "other node";
		else
			kind = "other LLC";
	}
	snprintf(buf, sz, "%u->%u (%s)", e->prev_cpu, e->cpu, kind);
}

/* ---------- text ---------- */

static void text_header(FILE *out, const struct diag_report *d)
{
	const struct probe_result *r = d->r;
	fprintf(out, "agentune diagnose: pid %d (%s), %zu thread%s followed, %.1f s, %llu steps%s\n",
		d->pid, d->comm, r->nthreads, r->nthreads == 1 ? "" : "s", d->duration_s,
		(unsigned long long)r->steps,
		d->target_exited ? "; the process exited during the run (report of what was seen)" : "");
	size_t attached = 0;
	for (size_t i = 0; i < r->ntps; i++)
		attached += r->tps[i].attached;
	fprintf(out, "CPUs allowed %s; programs %s, %zu of %zu tracepoints attached%s%s%s\n",
		d->cpus_allowed[0] ? d->cpus_allowed : "unknown", r->mode, attached, r->ntps,
		r->mode_why[0] ? " (" : "", r->mode_why, r->mode_why[0] ? ")" : "");
	for (unsigned s = 0; s < STAGE_MAX; s++)
		if (!r->stages[s].available)
			fprintf(out, "stage %s unavailable: %s\n", probe_stage_name(s), r->stages[s].why);
	for (unsigned f = 0; f < FEAT_MAX; f++)
		if (!r->features[f].available)
			fprintf(out, "feature %s unavailable: %s\n", probe_feature_name(f), r->features[f].why);
	if (r->lost)
		fprintf(out, "lost events: %llu slow steps dropped (ring buffer full)\n",
			(unsigned long long)r->lost);
}

static void text_stages(FILE *out, const struct diag_report *d)
{
	fprintf(out, "\n%-10s %10s %9s %9s %9s %9s %9s   (us)\n", "stage", "count", "p50", "p90",
		"p99", "p99.9", "max");
	struct hist *h = malloc(sizeof(*h));
	for (unsigned s = 0; h && s < STAGE_MAX; s++) {
		if (!d->r->stages[s].available) {
			fprintf(out, "%-10s %10s\n", probe_stage_name(s), "unavailable");
			continue;
		}
		struct pct p;
		stage_pct(d->r, s, h, &p);
		fprintf(out, "%-10s %10llu %9.1f %9.1f %9.1f %9.1f %9.1f\n", probe_stage_name(s),
			(unsigned long long)h->count, p.p50 / 1e3, p.p90 / 1e3, p.p99 / 1e3,
			p.p999 / 1e3, p.max / 1e3);
	}
	free(h);
}

static void text_wakes(FILE *out, const struct diag_report *d)
{
	uint64_t total = 0;
	for (unsigned k = 0; k < WAKE_KINDS; k++)
		total += d->r->wake_kinds[k];
	fprintf(out, "\nwake sources:");
	for (unsigned k = 0; k < WAKE_KINDS; k++)
		if (d->r->wake_kinds[k])
			fprintf(out, " %s %.0f%%", probe_wake_kind_name(k),
				total ? 100.0 * (double)d->r->wake_kinds[k] / (double)total : 0);
	fputc('\n', out);
}

static void text_step(FILE *out, const struct diag_report *d, const struct step_event *e, size_t i)
{
	char src[96], mig[48];
	wake_source(d, e, src, sizeof(src));
	migration(d, e, mig, sizeof(mig));
	uint64_t delay = verdict_step_delay(e);
	uint64_t wr = e->stage_ns[STAGE_WAKE_RUN];
	uint64_t known = e->stage_ns[STAGE_IDLE_EXIT] + e->stage_ns[STAGE_QUEUE];
	fprintf(out, "  #%zu tid %u (%s) on CPU %u: delay %.1f us, woken by %s\n", i + 1, e->tid,
		e->comm, e->cpu, us(delay), src);
	fprintf(out, "     wake->run %.1f = idle exit %.1f (state %d) + queue %.1f (%u switches, last %s)"
		" + unattributed %.1f\n", us(wr), us(e->stage_ns[STAGE_IDLE_EXIT]), e->idle_state,
		us(e->stage_ns[STAGE_QUEUE]), e->queued_behind, e->preempt_comm[0] ? e->preempt_comm : "-",
		us(wr > known ? wr - known : 0));
	fprintf(out, "     run %.1f (hardirq %.1f x%llu, softirq %.1f x%llu, preempted %.1f), wait before %.1f,"
		" syscall %d, faults %u, migration %s\n", us(e->stage_ns[STAGE_RUN]),
		us(e->stage_ns[STAGE_IRQ]), (unsigned long long)e->irq_count,
		us(e->stage_ns[STAGE_SOFTIRQ]), (unsigned long long)e->softirq_count, us(e->preempted_ns),
		us(e->stage_ns[STAGE_WAIT]), (int)e->syscall_nr, e->page_faults, mig);
}

static void text_verdict(FILE *out, const struct diag_report *d)
{
	const struct verdict *v = d->v;
	fprintf(out, "\nverdict over the %zu slowest steps (%.1f us of delay in all):\n", v->nsteps,
		us(v->total_ns));
	if (!v->n)
		fprintf(out, "  nothing to attribute\n");
	for (size_t i = 0; i < v->n; i++) {
		const struct verdict_cause *c = &v->cause[i];
		fprintf(out, "  %zu. %-20s %5.1f%%  %s\n", i + 1, c->id, 100.0 * c->share, c->evidence);
		fprintf(out, "     fix: %s\n", c->knob);
	}
	if (v->migrated)
		fprintf(out, "  also: %u of %zu slow steps ran on another CPU than the step before"
			" (%u across LLCs or nodes)\n", v->migrated, v->nsteps, v->migrated_llc);
}

static void text_cost(FILE *out, const struct diag_report *d)
{
	const struct probe_result *r = d->r;
	if (!r->bpf_stats) {
		fprintf(out, "\ncost: unavailable (%s)\n", r->bpf_stats_why);
		return;
	}
	char sampled[80] = "";
	if (r->bpf_stats_elapsed_ns && r->bpf_stats_sampled_ns < r->bpf_stats_elapsed_ns)
		snprintf(sampled, sizeof(sampled), "; time per event sampled over %.0f%% of the run",
			 100.0 * (double)r->bpf_stats_sampled_ns / (double)r->bpf_stats_elapsed_ns);
	fprintf(out, "\ncost: BPF ran %llu times, %.0f ns per event, %.1f ms in all (%.3f%% of one CPU)%s\n",
		(unsigned long long)r->bpf_run_cnt,
		r->bpf_run_cnt ? (double)r->bpf_run_ns / (double)r->bpf_run_cnt : 0,
		(double)r->bpf_run_ns / 1e6,
		d->duration_s > 0 ? 100.0 * (double)r->bpf_run_ns / 1e9 / d->duration_s : 0, sampled);
}

void report_diag_text(FILE *out, const struct diag_report *d)
{
	text_header(out, d);
	text_stages(out, d);
	text_wakes(out, d);
	size_t n = d->r->nslow < d->slowest ? d->r->nslow : d->slowest;
	fprintf(out, "\nslowest %zu steps (us):\n", n);
	for (size_t i = 0; i < n; i++)
		text_step(out, d, &d->r->slow[i], i);
	text_verdict(out, d);
	text_cost(out, d);
}

/* ---------- JSON ---------- */

static jo *j_avail(const struct probe_avail *a)
{
	jo *o = json_object_new_object();
	put(o, "available", json_object_new_boolean(a->available));
	put(o, "why", a->available ? NULL : json_object_new_string(a->why));
	return o;
}

static jo *j_stages(const struct diag_report *d)
{
	jo *o = json_object_new_object();
	struct hist *h = malloc(sizeof(*h));
	for (unsigned s = 0; h && s < STAGE_MAX; s++) {
		struct pct p;
		stage_pct(d->r, s, h, &p);
		jo *x = j_avail(&d->r->stages[s]);
		put(x, "count", json_object_new_uint64(h->count));
		put(x, "mean_us", json_object_new_double(hist_mean(h) / 1e3));
		put(x, "p50_us", json_object_new_double(p.p50 / 1e3));
		put(x, "p90_us", json_object_new_double(p.p90 / 1e3));
		put(x, "p99_us", json_object_new_double(p.p99 / 1e3));
		put(x, "p999_us", json_object_new_double(p.p999 / 1e3));
		put(x, "max_us", json_object_new_double(p.max / 1e3));
		put(o, probe_stage_name(s), x);
	}
	free(h);
	return o;
}

static jo *j_step(const struct diag_report *d, const struct step_event *e)
{
	char src[96], mig[48];
	wake_source(d, e, src, sizeof(src));
	migration(d, e, mig, sizeof(mig));
	jo *x = json_object_new_object();
	put(x, "tid", json_object_new_int((int)e->tid));
	put(x, "comm", json_object_new_string(e->comm));
	put(x, "cpu", json_object_new_int((int)e->cpu));
	put(x, "prev_cpu", e->prev_cpu == (uint32_t)-1 ? NULL : json_object_new_int((int)e->prev_cpu));
	put(x, "migration", json_object_new_string(mig));
	put(x, "delay_us", json_object_new_double(us(verdict_step_delay(e))));
	jo *st = json_object_new_object();
	for (unsigned s = 0; s < STAGE_MAX; s++)
		put(st, probe_stage_name(s), json_object_new_double(us(e->stage_ns[s])));
	uint64_t wr = e->stage_ns[STAGE_WAKE_RUN];
	uint64_t known = e->stage_ns[STAGE_IDLE_EXIT] + e->stage_ns[STAGE_QUEUE];
	put(st, "unattributed", json_object_new_double(us(wr > known ? wr - known : 0)));
	put(st, "preempted", json_object_new_double(us(e->preempted_ns)));
	put(x, "stages_us", st);
	jo *w = json_object_new_object();
	put(w, "kind", json_object_new_string(probe_wake_kind_name(e->wake_kind)));
	put(w, "source", json_object_new_string(src));
	put(w, "waker_pid", e->wake_kind == WAKE_TASK ? json_object_new_int((int)e->waker_pid) : NULL);
	put(w, "waker_comm", e->wake_kind == WAKE_TASK ? json_object_new_string(e->waker_comm) : NULL);
	put(w, "irq", e->wake_kind == WAKE_HARDIRQ ? json_object_new_int((int)e->wake_arg) : NULL);
	put(w, "softirq", e->wake_kind == WAKE_SOFTIRQ ?
		json_object_new_string(probe_softirq_name(e->wake_arg)) : NULL);
	put(w, "napi_device", e->napi_dev[0] ? json_object_new_string(e->napi_dev) : NULL);
	const char *work = work_function(d, e);
	put(w, "work_function", work ? json_object_new_string(work) : NULL);
	put(x, "wake", w);
	put(x, "idle_state", e->idle_state >= 0 ? json_object_new_int(e->idle_state) : NULL);
	put(x, "queued_behind", json_object_new_int((int)e->queued_behind));
	put(x, "preempt_comm", e->preempt_comm[0] ? json_object_new_string(e->preempt_comm) : NULL);
	put(x, "irq_count", json_object_new_uint64(e->irq_count));
	put(x, "softirq_count", json_object_new_uint64(e->softirq_count));
	put(x, "syscall", json_object_new_int((int)e->syscall_nr));
	put(x, "page_faults", json_object_new_int((int)e->page_faults));
	return x;
}

static jo *j_verdict(const struct verdict *v)
{
	jo *o = json_object_new_object();
	put(o, "slow_steps", json_object_new_int((int)v->nsteps));
	put(o, "total_delay_us", json_object_new_double(us(v->total_ns)));
	put(o, "migrated_steps", json_object_new_int((int)v->migrated));
	jo *a = json_object_new_array();
	for (size_t i = 0; i < v->n; i++) {
		jo *c = json_object_new_object();
		put(c, "cause", json_object_new_string(v->cause[i].id));
		put(c, "share", json_object_new_double(v->cause[i].share));
		put(c, "delay_us", json_object_new_double(us(v->cause[i].ns)));
		put(c, "steps", json_object_new_int((int)v->cause[i].steps));
		put(c, "evidence", json_object_new_string(v->cause[i].evidence));
		put(c, "knob", json_object_new_string(v->cause[i].knob));
		json_object_array_add(a, c);
	}
	put(o, "causes", a);
	return o;
}

jo *report_diag_json(const struct diag_report *d)
{
	const struct probe_result *r = d->r;
	jo *o = json_object_new_object();
	put(o, "schema", json_object_new_string(DIAGNOSE_SCHEMA));
	jo *t = json_object_new_object();
	put(t, "pid", json_object_new_int(d->pid));
	put(t, "comm", json_object_new_string(d->comm));
	put(t, "exited", json_object_new_boolean(d->target_exited));
	put(t, "cpus_allowed", d->cpus_allowed[0] ? json_object_new_string(d->cpus_allowed) : NULL);
	jo *th = json_object_new_array();
	for (size_t i = 0; i < r->nthreads; i++) {
		jo *x = json_object_new_object();
		put(x, "tid", json_object_new_int((int)r->threads[i].tid));
		put(x, "comm", json_object_new_string(r->threads[i].comm));
		put(x, "steps", json_object_new_uint64(r->threads[i].steps));
		put(x, "exited", json_object_new_boolean(r->threads[i].exited));
		json_object_array_add(th, x);
	}
	put(t, "threads", th);
	put(o, "target", t);
	put(o, "duration_s", json_object_new_double(d->duration_s));
	put(o, "steps", json_object_new_uint64(r->steps));
	put(o, "mode", json_object_new_string(r->mode));
	jo *tps = json_object_new_array();
	for (size_t i = 0; i < r->ntps; i++) {
		jo *x = json_object_new_object();
		put(x, "name", json_object_new_string(r->tps[i].name));
		put(x, "attached", json_object_new_boolean(r->tps[i].attached));
		put(x, "why", r->tps[i].attached ? NULL : json_object_new_string(r->tps[i].why));
		json_object_array_add(tps, x);
	}
	put(o, "tracepoints", tps);
	put(o, "lost_events", json_object_new_uint64(r->lost));
	put(o, "stages", j_stages(d));
	jo *feat = json_object_new_object();
	for (unsigned f = 0; f < FEAT_MAX; f++)
		put(feat, probe_feature_name(f), j_avail(&r->features[f]));
	put(o, "features", feat);
	jo *wk = json_object_new_object();
	for (unsigned k = 0; k < WAKE_KINDS; k++)
		put(wk, probe_wake_kind_name(k), json_object_new_uint64(r->wake_kinds[k]));
	put(o, "wake_sources", wk);
	jo *slow = json_object_new_array();
	size_t n = r->nslow < d->slowest ? r->nslow : d->slowest;
	for (size_t i = 0; i < n; i++)
		json_object_array_add(slow, j_step(d, &r->slow[i]));
	put(o, "slowest", slow);
	put(o, "verdict", j_verdict(d->v));
	jo *cost = json_object_new_object();
	put(cost, "available", json_object_new_boolean(r->bpf_stats));
	put(cost, "bpf_run_ns", r->bpf_stats ? json_object_new_uint64(r->bpf_run_ns) : NULL);
	put(cost, "bpf_run_count", r->bpf_stats ? json_object_new_uint64(r->bpf_run_cnt) : NULL);
	put(cost, "ns_per_event", r->bpf_stats && r->bpf_run_cnt ?
		json_object_new_double((double)r->bpf_run_ns / (double)r->bpf_run_cnt) : NULL);
	put(o, "cost", cost);
	return o;
}
