/* diagnose/report_diag: the diagnose report, text and JSON (schema in
 * docs/json-schema.md): header, stage table, wake sources, the slowest steps
 * stage by stage, the verdict, and the tool's own cost. */
#include "diagnose/report_diag.h"

#include <stdlib.h>
#include <string.h>

#include "base/jsonw.h"
#include "base/stats.h"

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
	jw_put(o, "available", jw_bool(a->available));
	jw_put(o, "why", a->available ? NULL : jw_str(a->why));
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
		jw_put(x, "count", jw_uint(h->count));
		jw_put(x, "mean_us", jw_double(hist_mean(h) / 1e3));
		jw_put(x, "p50_us", jw_double(p.p50 / 1e3));
		jw_put(x, "p90_us", jw_double(p.p90 / 1e3));
		jw_put(x, "p99_us", jw_double(p.p99 / 1e3));
		jw_put(x, "p999_us", jw_double(p.p999 / 1e3));
		jw_put(x, "max_us", jw_double(p.max / 1e3));
		jw_put(o, probe_stage_name(s), x);
	}
	free(h);
	return o;
}

/* A slow step's time stage by stage, with the parts of wake->run no stage
 * explains and the time it was preempted after it first ran. */
static jo *j_step_stages(const struct step_event *e)
{
	jo *st = json_object_new_object();
	for (unsigned s = 0; s < STAGE_MAX; s++)
		jw_put(st, probe_stage_name(s), jw_double(us(e->stage_ns[s])));
	uint64_t wr = e->stage_ns[STAGE_WAKE_RUN];
	uint64_t known = e->stage_ns[STAGE_IDLE_EXIT] + e->stage_ns[STAGE_QUEUE];
	jw_put(st, "unattributed", jw_double(us(wr > known ? wr - known : 0)));
	jw_put(st, "preempted", jw_double(us(e->preempted_ns)));
	return st;
}

/* Who woke a slow step; the fields that do not apply to its kind are null. */
static jo *j_step_wake(const struct diag_report *d, const struct step_event *e)
{
	char src[96];
	wake_source(d, e, src, sizeof(src));
	bool task = e->wake_kind == WAKE_TASK;
	jo *w = json_object_new_object();
	jw_put(w, "kind", jw_str(probe_wake_kind_name(e->wake_kind)));
	jw_put(w, "source", jw_str(src));
	jw_put(w, "waker_pid", task ? jw_int((int)e->waker_pid) : NULL);
	jw_put(w, "waker_comm", task ? jw_str(e->waker_comm) : NULL);
	jw_put(w, "irq", e->wake_kind == WAKE_HARDIRQ ? jw_int((int)e->wake_arg) : NULL);
	jw_put(w, "softirq", e->wake_kind == WAKE_SOFTIRQ ?
		jw_str(probe_softirq_name(e->wake_arg)) : NULL);
	jw_put(w, "napi_device", jw_known(e->napi_dev));
	jw_put(w, "work_function", jw_str(work_function(d, e)));
	return w;
}

static jo *j_step(const struct diag_report *d, const struct step_event *e)
{
	char mig[48];
	migration(d, e, mig, sizeof(mig));
	jo *x = json_object_new_object();
	jw_put(x, "tid", jw_int((int)e->tid));
	jw_put(x, "comm", jw_str(e->comm));
	jw_put(x, "cpu", jw_int((int)e->cpu));
	jw_put(x, "prev_cpu", e->prev_cpu == (uint32_t)-1 ? NULL : jw_int((int)e->prev_cpu));
	jw_put(x, "migration", jw_str(mig));
	jw_put(x, "delay_us", jw_double(us(verdict_step_delay(e))));
	jw_put(x, "stages_us", j_step_stages(e));
	jw_put(x, "wake", j_step_wake(d, e));
	jw_put(x, "idle_state", jw_nonneg(e->idle_state));
	jw_put(x, "queued_behind", jw_int((int)e->queued_behind));
	jw_put(x, "preempt_comm", jw_known(e->preempt_comm));
	jw_put(x, "irq_count", jw_uint(e->irq_count));
	jw_put(x, "softirq_count", jw_uint(e->softirq_count));
	jw_put(x, "syscall", jw_int((int)e->syscall_nr));
	jw_put(x, "page_faults", jw_int((int)e->page_faults));
	return x;
}

static jo *j_verdict(const struct verdict *v)
{
	jo *o = json_object_new_object();
	jw_put(o, "slow_steps", jw_int((int)v->nsteps));
	jw_put(o, "total_delay_us", jw_double(us(v->total_ns)));
	jw_put(o, "migrated_steps", jw_int((int)v->migrated));
	jo *a = json_object_new_array();
	for (size_t i = 0; i < v->n; i++) {
		jo *c = json_object_new_object();
		jw_put(c, "cause", jw_str(v->cause[i].id));
		jw_put(c, "share", jw_double(v->cause[i].share));
		jw_put(c, "delay_us", jw_double(us(v->cause[i].ns)));
		jw_put(c, "steps", jw_int((int)v->cause[i].steps));
		jw_put(c, "evidence", jw_str(v->cause[i].evidence));
		jw_put(c, "knob", jw_str(v->cause[i].knob));
		json_object_array_add(a, c);
	}
	jw_put(o, "causes", a);
	return o;
}

static jo *j_target(const struct diag_report *d)
{
	const struct probe_result *r = d->r;
	jo *t = json_object_new_object();
	jw_put(t, "pid", jw_int(d->pid));
	jw_put(t, "comm", jw_str(d->comm));
	jw_put(t, "exited", jw_bool(d->target_exited));
	jw_put(t, "cpus_allowed", jw_known(d->cpus_allowed));
	jo *th = json_object_new_array();
	for (size_t i = 0; i < r->nthreads; i++) {
		jo *x = json_object_new_object();
		jw_put(x, "tid", jw_int((int)r->threads[i].tid));
		jw_put(x, "comm", jw_str(r->threads[i].comm));
		jw_put(x, "steps", jw_uint(r->threads[i].steps));
		jw_put(x, "exited", jw_bool(r->threads[i].exited));
		json_object_array_add(th, x);
	}
	jw_put(t, "threads", th);
	return t;
}

static jo *j_tracepoints(const struct probe_result *r)
{
	jo *tps = json_object_new_array();
	for (size_t i = 0; i < r->ntps; i++) {
		jo *x = json_object_new_object();
		jw_put(x, "name", jw_str(r->tps[i].name));
		jw_put(x, "attached", jw_bool(r->tps[i].attached));
		jw_put(x, "why", r->tps[i].attached ? NULL : jw_str(r->tps[i].why));
		json_object_array_add(tps, x);
	}
	return tps;
}

static jo *j_features(const struct probe_result *r)
{
	jo *feat = json_object_new_object();
	for (unsigned f = 0; f < FEAT_MAX; f++)
		jw_put(feat, probe_feature_name(f), j_avail(&r->features[f]));
	return feat;
}

static jo *j_wake_sources(const struct probe_result *r)
{
	jo *wk = json_object_new_object();
	for (unsigned k = 0; k < WAKE_KINDS; k++)
		jw_put(wk, probe_wake_kind_name(k), jw_uint(r->wake_kinds[k]));
	return wk;
}

static jo *j_slowest(const struct diag_report *d)
{
	const struct probe_result *r = d->r;
	jo *slow = json_object_new_array();
	size_t n = r->nslow < d->slowest ? r->nslow : d->slowest;
	for (size_t i = 0; i < n; i++)
		json_object_array_add(slow, j_step(d, &r->slow[i]));
	return slow;
}

/* The programs' own cost; null figures when the kernel's statistics were off. */
static jo *j_cost(const struct probe_result *r)
{
	jo *cost = json_object_new_object();
	jw_put(cost, "available", jw_bool(r->bpf_stats));
	jw_put(cost, "bpf_run_ns", r->bpf_stats ? jw_uint(r->bpf_run_ns) : NULL);
	jw_put(cost, "bpf_run_count", r->bpf_stats ? jw_uint(r->bpf_run_cnt) : NULL);
	jw_put(cost, "ns_per_event", r->bpf_stats && r->bpf_run_cnt ?
		jw_double((double)r->bpf_run_ns / (double)r->bpf_run_cnt) : NULL);
	return cost;
}

jo *report_diag_json(const struct diag_report *d)
{
	const struct probe_result *r = d->r;
	jo *o = json_object_new_object();
	jw_put(o, "schema", jw_str(DIAGNOSE_SCHEMA));
	jw_put(o, "target", j_target(d));
	jw_put(o, "duration_s", jw_double(d->duration_s));
	jw_put(o, "steps", jw_uint(r->steps));
	jw_put(o, "mode", jw_str(r->mode));
	jw_put(o, "tracepoints", j_tracepoints(r));
	jw_put(o, "lost_events", jw_uint(r->lost));
	jw_put(o, "stages", j_stages(d));
	jw_put(o, "features", j_features(r));
	jw_put(o, "wake_sources", j_wake_sources(r));
	jw_put(o, "slowest", j_slowest(d));
	jw_put(o, "verdict", j_verdict(d->v));
	jw_put(o, "cost", j_cost(r));
	return o;
}
