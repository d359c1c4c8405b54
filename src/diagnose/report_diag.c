/* diagnose/report_diag: the diagnose report, text and JSON (schema in
 * docs/json-schema.md): header, stage table, wake sources and chains, the
 * slowest steps each with its chain in one line, the verdict over all steps
 * and over the tail, and the tool's own cost. */
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

/* ---------- the chain of a step ---------- */

static const char *queued_by_name(uint32_t q)
{
	switch (q) {
	case QB_IRQ: return "irq";
	case QB_SOFTIRQ: return "softirq";
	case QB_TASK: return "task";
	}
	return NULL;
}

/* Where the step's softirq ran. */
static const char *softirq_where(const struct diag_chain *ch)
{
	if (ch->flags & CHF_KSOFTIRQD)
		return "ksoftirqd";
	if (ch->flags & CHF_BH_TASK)
		return "bh enable in a task";
	return "irq exit";
}

/* The IRQ's action name in full: the kernel record keeps 15 characters
 * ("virtio2-output." for "virtio2-output.0"); /proc/interrupts has all. */
static void irq_name_full(const struct diag_report *d, const struct step_event *e, char *buf,
			  size_t sz)
{
	const struct irq_line *l = d->m ? interrupts_find(&d->m->irqs, e->chain.irq) : NULL;
	size_t n = strnlen(e->irq_name, sizeof(e->irq_name));

	snprintf(buf, sz, "%.*s", (int)n, e->irq_name);
	if (!l || n + 1 < sizeof(e->irq_name))
		return;         /* not cut, or nothing to complete it from */
	for (const char *a = l->name; *a; ) {
		size_t len = strcspn(a, ",");

		if (len > n && !strncmp(a, e->irq_name, n)) {
			snprintf(buf, sz, "%.*s", (int)len, a);
			return;
		}
		a += len;
		a += strspn(a, ", ");
	}
}

/* "IRQ 38 virtio2-input.0" or "LOC"; "" when the chain had no interrupt. */
static void irq_label(const struct diag_report *d, const struct step_event *e, char *buf, size_t sz)
{
	uint32_t irq = e->chain.irq;
	char name[64];

	irq_name_full(d, e, name, sizeof(name));
	if (irq == DIAG_NONE)
		buf[0] = '\0';
	else if (DIAG_IS_VEC(irq))
		snprintf(buf, sz, "%s", probe_vector_name(irq));
	else
		snprintf(buf, sz, "IRQ %u%s%s", irq, name[0] ? " " : "", name);
}

/* The disk of a block chain: "vda", where /sys/dev/block/MAJ:MIN links, else
 * "254:0"; "" when the chain has none. */
static void disk_name(const struct diag_report *d, uint32_t dev, char *buf, size_t sz)
{
	char path[64], target[512];
	const char *base;

	buf[0] = '\0';
	if (!dev)
		return;
	snprintf(buf, sz, "%u:%u", DIAG_DEV_MAJOR(dev), DIAG_DEV_MINOR(dev));
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", DIAG_DEV_MAJOR(dev), DIAG_DEV_MINOR(dev));
	if (!d->host || host_link_target(d->host, path, target, sizeof(target)))
		return;
	base = strrchr(target, '/');
	if (base && base[1])
		snprintf(buf, sz, "%s", base + 1);
}

#define ARROW " \xe2\x86\x92 "     /* " → " */
#define MICRO "\xc2\xb5s"          /* "µs" */

/* The chain up to the wakeup, e.g. "IRQ 38 virtio2-input.0 on CPU 0 →
 * NET_RX (irq exit, 12 µs)". */
static void chain_text(const struct diag_report *d, const struct step_event *e, char *buf, size_t sz)
{
	const struct diag_chain *ch = &e->chain;
	char irq[64];
	double comp = us(e->stage_ns[STAGE_COMPLETION]);
	size_t len;

	irq_label(d, e, irq, sizeof(irq));
	buf[0] = '\0';
	switch (ch->kind) {
	case CHAIN_HARDIRQ:
		snprintf(buf, sz, "%s on CPU %d (%.1f " MICRO ")", irq[0] ? irq : "hardirq",
			 ch->origin_cpu, comp);
		break;
	case CHAIN_SOFTIRQ:
		if (irq[0])
			snprintf(buf, sz, "%s on CPU %d" ARROW, irq, ch->origin_cpu);
		else
			snprintf(buf, sz, "raised on CPU %d" ARROW, ch->origin_cpu);
		len = strlen(buf);
		snprintf(buf + len, sz - len, "%s (%s, %.1f " MICRO, probe_softirq_name(ch->softirq),
			 softirq_where(ch), comp);
		len = strlen(buf);
		if (e->napi_dev[0] || (ch->flags & CHF_NAPI_SEEN && ch->dev))
			snprintf(buf + len, sz - len, ", napi %s", e->napi_dev[0] ? e->napi_dev : "(no device)");
		len = strlen(buf);
		if (ch->flags & CHF_NAPI_SEEN && ch->dev)
			snprintf(buf + len, sz - len, " id %u", ch->dev);
		len = strlen(buf);
		snprintf(buf + len, sz - len, "%s)", ch->flags & CHF_NAPI_FULL ? ", budget exhausted" : "");
		break;
	case CHAIN_TIMER:
		if (ch->flags & CHF_LATENESS)
			snprintf(buf, sz, "timer %.1f " MICRO " late%s%s on CPU %d" ARROW "callback (%.1f " MICRO ")",
				 us(ch->lateness_ns), irq[0] ? " in " : "", irq, ch->origin_cpu, comp);
		else
			snprintf(buf, sz, "timer %s on CPU %d (%.1f " MICRO ")",
				 ch->softirq != DIAG_NONE ? probe_softirq_name(ch->softirq) : irq,
				 ch->origin_cpu, comp);
		break;
	case CHAIN_WORKQUEUE: {
		const char *fn = work_function(d, e);
		snprintf(buf, sz, "work queued by %s on CPU %d" ARROW "%s running %s (%.1f " MICRO ")",
			 queued_by_name(ch->queued_by) ? queued_by_name(ch->queued_by) : "?",
			 ch->origin_cpu, e->waker_comm, fn ? fn : "?", comp);
		break;
	}
	case CHAIN_BLOCK: {
		char disk[48];

		disk_name(d, ch->dev, disk, sizeof(disk));
		buf[0] = '\0';
		if (irq[0]) {
			snprintf(buf, sz, "%s on CPU %d" ARROW, irq, ch->origin_cpu);
		}
		len = strlen(buf);
		if (ch->softirq != DIAG_NONE)
			snprintf(buf + len, sz - len, "%s (%s)" ARROW, probe_softirq_name(ch->softirq),
				 softirq_where(ch));
		len = strlen(buf);
		snprintf(buf + len, sz - len, "block_rq_complete%s%s%s (%.1f " MICRO ")",
			 disk[0] ? " " : "", disk, ch->flags & CHF_BLOCK_OWN ? ", its own request" : "",
			 comp);
		break;
	}
	case CHAIN_TASK:
		snprintf(buf, sz, "task %s (pid %u) on CPU %u", e->waker_comm, e->waker_pid, e->wake_cpu);
		break;
	default:
		snprintf(buf, sz, "unknown (%s)", probe_chain_reason(ch->reason));
	}
	if (ch->reason && ch->kind != CHAIN_UNKNOWN) {
		len = strlen(buf);
		snprintf(buf + len, sz - len, " [partial: %s]", probe_chain_reason(ch->reason));
	}
}

/* The longest other task of a window, or NULL. */
static const struct diag_task_time *top_task(const struct diag_window *w)
{
	const struct diag_task_time *best = NULL;
	for (int i = 0; i < DIAG_TOP_TASKS; i++)
		if (w->top[i].ns && (!best || w->top[i].ns > best->ns))
			best = &w->top[i];
	return best;
}

/* The whole step in one line: the chain, the wakeup, the wait's parts. */
static void step_line(const struct diag_report *d, const struct step_event *e, char *buf, size_t sz)
{
	const struct diag_window *w = &e->wait;
	const struct diag_task_time *t = top_task(w);
	size_t len;

	chain_text(d, e, buf, sz);
	len = strlen(buf);
	snprintf(buf + len, sz - len, ARROW "wake on CPU %u", e->cpu);
#define PART(cond, ...) do { if (cond) { len = strlen(buf); \
		snprintf(buf + len, sz - len, ARROW __VA_ARGS__); } } while (0)
	PART(w->throttle_ns, "throttled %.1f " MICRO, us(w->throttle_ns));
	PART(w->idle_ns, "idle exit %.1f " MICRO, us(w->idle_ns));
	PART(w->warm_ns, "warm idle exit %.1f " MICRO " (a SCHED_IDLE task held the CPU)",
	     us(w->warm_ns));
	PART(w->irq_ns, "hardirq %.1f " MICRO, us(w->irq_ns));
	PART(w->softirq_ns, "softirq %.1f " MICRO, us(w->softirq_ns));
	PART(w->task_ns && t, "queued %.1f " MICRO " behind %s (pid %u)%s", us(w->task_ns), t->comm,
	     t->pid, w->task_ns > t->ns + 500 ? " and others" : "");
	PART(w->own_ns, "queued %.1f " MICRO " behind its own threads", us(w->own_ns));
	PART(w->unattributed_ns >= 1000, "unattributed %.1f " MICRO, us(w->unattributed_ns));
	PART(true, "ran %.1f " MICRO, us(e->stage_ns[STAGE_RUN]));
	PART(e->preempted_ns, "preempted %.1f " MICRO "%s%s", us(e->preempted_ns),
	     e->pre.throttle_ns ? " (throttled)" : "", "");
#undef PART
}

/* ---------- text ---------- */

/* Where the cgroup throttling figures come from: per step through BTF, or
 * the group's cpu.stat over the run (the fallback), or nowhere. */
static const char *throttle_source(const struct diag_report *d)
{
	if (d->r->features[FEAT_THROTTLE].available)
		return "btf";
	return d->vh && d->vh->throttle_fallback ? "cpu.stat" : NULL;
}

static void text_throttling(FILE *out, const struct diag_report *d)
{
	const struct verdict_host *vh = d->vh;
	const char *src = throttle_source(d);

	if (!src || strcmp(src, "cpu.stat"))
		return;
	fprintf(out, "throttling from %s over the run (not per step): nr_throttled +%llu, "
		"%.1f ms throttled; %.1f ms of the steps' wait counted as cgroup-throttling\n",
		vh->cpu_stat, (unsigned long long)vh->nr_throttled, vh->throttled_ns / 1e6,
		d->v ? d->v->throttle_moved_ns / 1e6 : 0.0);
}

/* How many steps were seen and how many analysed in full: what every
 * figure below (stages, shares, percentiles, culprits) is over. */
static void text_sampling(FILE *out, const struct probe_result *r)
{
	if (r->steps_seen <= r->steps) {
		fprintf(out, "steps: %llu seen, every one analysed%s\n",
			(unsigned long long)r->steps_seen,
			r->sample_budget ? "" : " (sampling off)");
		return;
	}
	fprintf(out, "steps: %llu seen, %llu analysed (%.1f%%): sampled beyond %u steps per 10 ms "
		"on a CPU; stages, shares and percentiles are over the analysed steps\n",
		(unsigned long long)r->steps_seen, (unsigned long long)r->steps,
		100.0 * (double)r->steps / (double)r->steps_seen, r->sample_budget);
}

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
	text_sampling(out, r);
	for (unsigned s = 0; s < STAGE_MAX; s++)
		if (!r->stages[s].available)
			fprintf(out, "stage %s unavailable: %s\n", probe_stage_name(s), r->stages[s].why);
	for (unsigned f = 0; f < FEAT_MAX; f++)
		if (!r->features[f].available)
			fprintf(out, "feature %s unavailable: %s\n", probe_feature_name(f), r->features[f].why);
	text_throttling(out, d);
	if (r->lost)
		fprintf(out, "lost events: %llu slow steps dropped (ring buffer full)\n",
			(unsigned long long)r->lost);
}

static void text_stages(FILE *out, const struct diag_report *d)
{
	fprintf(out, "\n%-12s %10s %9s %9s %9s %9s %9s   (us)\n", "stage", "count", "p50", "p90",
		"p99", "p99.9", "max");
	struct hist *h = malloc(sizeof(*h));
	for (unsigned s = 0; h && s < STAGE_MAX; s++) {
		if (!d->r->stages[s].available) {
			fprintf(out, "%-12s %10s\n", probe_stage_name(s), "unavailable");
			continue;
		}
		struct pct p;
		stage_pct(d->r, s, h, &p);
		fprintf(out, "%-12s %10llu %9.1f %9.1f %9.1f %9.1f %9.1f\n", probe_stage_name(s),
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
	total = 0;
	for (unsigned k = 0; k < CHAIN_KINDS; k++)
		total += d->r->sums.chain[k];
	fprintf(out, "chains:");
	for (unsigned k = 0; k < CHAIN_KINDS; k++)
		if (d->r->sums.chain[k])
			fprintf(out, " %s %.0f%%", probe_chain_kind_name(k),
				total ? 100.0 * (double)d->r->sums.chain[k] / (double)total : 0);
	fputc('\n', out);
	if (d->r->sums.napi_full)
		fprintf(out, "  %llu NET_RX wakeups came in a NAPI poll that used its whole budget\n",
			(unsigned long long)d->r->sums.napi_full);
	for (unsigned k = 1; k < CR_REASONS; k++)
		if (d->r->sums.reason[k])
			fprintf(out, "  %llu chains unknown or partial: %s\n",
				(unsigned long long)d->r->sums.reason[k], probe_chain_reason(k));
}

/* ", 1200 of 2400 MHz (50% of max), ramp 35.0 µs after the wakeup": the
 * clock the step ran at against its policy's max, and the first frequency
 * change on that CPU after the wakeup; "" without cpufreq (the header
 * says why). */
static void freq_text(const struct step_event *e, char *buf, size_t sz)
{
	size_t len;

	buf[0] = '\0';
	if (!e->freq_khz)
		return;
	if (e->freq_max_khz)
		snprintf(buf, sz, ", %u of %u MHz (%.0f%% of max)", e->freq_khz / 1000,
			 e->freq_max_khz / 1000, 100.0 * e->freq_khz / e->freq_max_khz);
	else
		snprintf(buf, sz, ", %u MHz (policy max unknown)", e->freq_khz / 1000);
	len = strlen(buf);
	if (e->ramp_ns)
		snprintf(buf + len, sz - len, ", ramp %.1f " MICRO " after the wakeup", us(e->ramp_ns));
	else
		snprintf(buf + len, sz - len, ", no frequency change during the step");
}

static void text_step(FILE *out, const struct diag_report *d, const struct step_event *e, size_t i)
{
	char line[768], mig[48];
	migration(d, e, mig, sizeof(mig));
	step_line(d, e, line, sizeof(line));
	fprintf(out, "  #%zu tid %u (%s) on CPU %u: delay %.1f us (completion %.1f, wake->run %.1f, "
		"run %.1f)\n", i + 1, e->tid, e->comm, e->cpu, us(e->delay_ns),
		us(e->stage_ns[STAGE_COMPLETION]), us(e->stage_ns[STAGE_WAKE_RUN]),
		us(e->stage_ns[STAGE_RUN]));
	fprintf(out, "     %s\n", line);
	fprintf(out, "     migration %s", mig);
	if (e->migration_ns)
		fprintf(out, ", cost %.1f " MICRO, us(e->migration_ns));
	freq_text(e, line, sizeof(line));
	fprintf(out, "%s\n", line);
}

static void text_verdict_set(FILE *out, const char *title, const struct verdict_set *v)
{
	fprintf(out, "\nverdict over %s (%llu steps, %.1f us of delay in all):\n", title,
		(unsigned long long)v->steps, us(v->total_ns));
	if (!v->n)
		fprintf(out, "  nothing to attribute\n");
	for (size_t i = 0; i < v->n; i++) {
		const struct verdict_cause *c = &v->cause[i];
		fprintf(out, "  %zu. %-20s %5.1f%%  %s\n", i + 1, c->id, 100.0 * c->share, c->evidence);
		if (c->knob[0])
			fprintf(out, "     fix: %s\n", c->knob);
	}
}

static void text_verdict(FILE *out, const struct diag_report *d)
{
	const struct verdict *v = d->v;
	char tail[96];
	text_verdict_set(out, "all steps", &v->all);
	snprintf(tail, sizeof(tail), "the tail (delay >= %.1f us, the p99%s)",
		 us(v->tail.threshold_ns), v->tail.truncated ? "; fewer steps kept than it has" : "");
	text_verdict_set(out, tail, &v->tail);
	if (v->migrated)
		fprintf(out, "  also: %u of %llu tail steps ran on another CPU than the step before"
			" (%u across LLCs or nodes)\n", v->migrated,
			(unsigned long long)v->tail.steps, v->migrated_llc);
}

static void text_cost(FILE *out, const struct diag_report *d)
{
	const struct probe_result *r = d->r;
	if (!r->bpf_stats) {
		fprintf(out, "\ncost: unavailable (%s)\n", r->bpf_stats_why);
		return;
	}
	char sampled[80] = "";
	if (r->cost_sampled_runs)
		snprintf(sampled, sizeof(sampled), "; time per event from 1 run in 64, timed by the programs");
	else if (r->bpf_stats_elapsed_ns && r->bpf_stats_sampled_ns < r->bpf_stats_elapsed_ns)
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

/* A slow step's time stage by stage, and the parts of its wait. */
static jo *j_step_stages(const struct step_event *e)
{
	jo *st = json_object_new_object();
	for (unsigned s = 0; s < STAGE_MAX; s++)
		jw_put(st, probe_stage_name(s), jw_double(us(e->stage_ns[s])));
	jw_put(st, "wait_irq", jw_double(us(e->wait.irq_ns)));
	jw_put(st, "wait_softirq", jw_double(us(e->wait.softirq_ns)));
	jw_put(st, "wait_own_threads", jw_double(us(e->wait.own_ns)));
	jw_put(st, "wait_observer", jw_double(us(e->wait.observer_ns)));
	jw_put(st, "wait_warm_idle", jw_double(us(e->wait.warm_ns)));
	jw_put(st, "run_irq", jw_double(us(e->run_irq_ns)));
	jw_put(st, "run_softirq", jw_double(us(e->run_softirq_ns)));
	return st;
}

/* The tasks that held the CPU during a window, longest first. */
static jo *j_window_tasks(const struct diag_window *w)
{
	jo *a = json_object_new_array();
	bool used[DIAG_TOP_TASKS] = { false };
	for (int k = 0; k < DIAG_TOP_TASKS; k++) {
		int best = -1;
		for (int i = 0; i < DIAG_TOP_TASKS; i++)
			if (!used[i] && w->top[i].ns && (best < 0 || w->top[i].ns > w->top[best].ns))
				best = i;
		if (best < 0)
			break;
		used[best] = true;
		jo *t = json_object_new_object();
		char comm[DIAG_COMM_LEN + 1];
		snprintf(comm, sizeof(comm), "%.*s", DIAG_COMM_LEN, w->top[best].comm);
		jw_put(t, "comm", jw_str(comm));
		jw_put(t, "pid", jw_int(w->top[best].pid));
		jw_put(t, "us", jw_double(us(w->top[best].ns)));
		json_object_array_add(a, t);
	}
	return a;
}

static jo *j_chain(const struct diag_report *d, const struct step_event *e)
{
	const struct diag_chain *ch = &e->chain;
	jo *c = json_object_new_object();
	jo *cpus = json_object_new_array();
	int list[3] = { ch->origin_cpu, (int)e->wake_cpu, (int)e->cpu }, last = -2;
	bool softirq = ch->softirq != DIAG_NONE;
	bool dev_irq = ch->irq != DIAG_NONE && !DIAG_IS_VEC(ch->irq);
	char line[512];

	for (int i = 0; i < 3; i++)
		if (list[i] >= 0 && list[i] != last) {
			json_object_array_add(cpus, jw_int(list[i]));
			last = list[i];
		}
	char irqname[64], disk[48];

	chain_text(d, e, line, sizeof(line));
	irq_name_full(d, e, irqname, sizeof(irqname));
	disk_name(d, ch->dev, disk, sizeof(disk));
	jw_put(c, "kind", jw_str(probe_chain_kind_name(ch->kind)));
	jw_put(c, "cpus", cpus);
	jw_put(c, "irq", dev_irq ? jw_int(ch->irq) : NULL);
	jw_put(c, "irq_name", dev_irq ? jw_known(irqname) : NULL);
	jw_put(c, "vector", DIAG_IS_VEC(ch->irq) ? jw_str(probe_vector_name(ch->irq)) : NULL);
	jw_put(c, "softirq", softirq ? jw_str(probe_softirq_name(ch->softirq)) : NULL);
	jw_put(c, "in_ksoftirqd", softirq ? jw_bool(ch->flags & CHF_KSOFTIRQD) : NULL);
	jw_put(c, "napi_device", ch->flags & CHF_NAPI_SEEN ? jw_known(e->napi_dev) : NULL);
	jw_put(c, "napi_budget_exhausted", ch->flags & CHF_NAPI_SEEN ?
	       jw_bool(ch->flags & CHF_NAPI_FULL) : NULL);
	jw_put(c, "napi_id", ch->flags & CHF_NAPI_SEEN && ch->dev ? jw_uint(ch->dev) : NULL);
	jw_put(c, "disk", ch->kind == CHAIN_BLOCK && ch->dev ? jw_str(disk) : NULL);
	jw_put(c, "own_request", ch->kind == CHAIN_BLOCK ? jw_bool(ch->flags & CHF_BLOCK_OWN) : NULL);
	jw_put(c, "work_function", ch->kind == CHAIN_WORKQUEUE ? jw_str(work_function(d, e)) : NULL);
	jw_put(c, "queued_by", jw_str(queued_by_name(ch->queued_by)));
	jw_put(c, "timer_lateness_us", ch->flags & CHF_LATENESS ? jw_double(us(ch->lateness_ns)) : NULL);
	jw_put(c, "completion_us", ch->kind == CHAIN_UNKNOWN ? NULL :
	       jw_double(us(e->stage_ns[STAGE_COMPLETION])));
	jw_put(c, "reason", ch->reason ? jw_str(probe_chain_reason(ch->reason)) : NULL);
	jw_put(c, "text", jw_str(line));
	return c;
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
	char mig[48], line[768];
	migration(d, e, mig, sizeof(mig));
	step_line(d, e, line, sizeof(line));
	bool moved = e->prev_cpu != (uint32_t)-1 && e->prev_cpu != e->cpu;
	jo *x = json_object_new_object();
	jw_put(x, "tid", jw_int((int)e->tid));
	jw_put(x, "comm", jw_str(e->comm));
	jw_put(x, "cpu", jw_int((int)e->cpu));
	jw_put(x, "prev_cpu", e->prev_cpu == (uint32_t)-1 ? NULL : jw_int((int)e->prev_cpu));
	jw_put(x, "delay_us", jw_double(us(e->delay_ns)));
	jw_put(x, "stages_us", j_step_stages(e));
	jw_put(x, "chain", j_chain(d, e));
	jw_put(x, "line", jw_str(line));
	jw_put(x, "queued_behind_tasks", j_window_tasks(&e->wait));
	jw_put(x, "preempted_by_tasks", j_window_tasks(&e->pre));
	jw_put(x, "freq_khz", e->freq_khz ? jw_int(e->freq_khz) : NULL);
	jw_put(x, "freq_max_khz", e->freq_max_khz ? jw_int(e->freq_max_khz) : NULL);
	jw_put(x, "ramp_us", e->freq_max_khz ? jw_double(us(e->ramp_ns)) : NULL);
	jo *m = json_object_new_object();
	jw_put(m, "moved", jw_bool(moved));
	jw_put(m, "kind", jw_str(mig));
	jw_put(m, "cost_us", jw_double(us(e->migration_ns)));
	jw_put(x, "migration", m);
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

static jo *j_verdict_set(const struct verdict_set *v, bool tail)
{
	jo *o = json_object_new_object();
	jw_put(o, "steps", jw_uint(v->steps));
	jw_put(o, "total_delay_us", jw_double(us(v->total_ns)));
	if (tail) {
		jw_put(o, "threshold_us", jw_double(us(v->threshold_ns)));
		jw_put(o, "truncated", jw_bool(v->truncated));
	}
	jo *a = json_object_new_array();
	for (size_t i = 0; i < v->n; i++) {
		const struct verdict_cause *vc = &v->cause[i];
		jo *c = json_object_new_object();
		jw_put(c, "cause", jw_str(vc->id));
		jw_put(c, "share", jw_double(vc->share));
		jw_put(c, "delay_us", jw_double(us(vc->ns)));
		jw_put(c, "steps", jw_uint(vc->steps));
		jw_put(c, "evidence", jw_str(vc->evidence));
		jw_put(c, "knob", jw_known(vc->knob));
		jw_put(c, "warm_idle_us", vc->cause == CAUSE_IDLE_EXIT ? jw_double(us(vc->warm_ns)) : NULL);
		jo *cu = json_object_new_array();
		for (size_t k = 0; k < vc->nculprits; k++) {
			jo *t = json_object_new_object();
			jw_put(t, "comm", jw_str(vc->culprit[k].comm));
			jw_put(t, "pid", jw_int(vc->culprit[k].pid));
			jw_put(t, "us", jw_double(us(vc->culprit[k].ns)));
			json_object_array_add(cu, t);
		}
		jw_put(c, "culprits", cu);
		json_object_array_add(a, c);
	}
	jw_put(o, "causes", a);
	return o;
}

static jo *j_verdict(const struct verdict *v)
{
	jo *o = json_object_new_object();
	jw_put(o, "all", j_verdict_set(&v->all, false));
	jw_put(o, "tail", j_verdict_set(&v->tail, true));
	jw_put(o, "migrated_tail_steps", jw_int((int)v->migrated));
	return o;
}

/* Steps by chain kind, and the chains unknown or partial by reason. */
static jo *j_chains(const struct probe_result *r)
{
	jo *o = json_object_new_object(), *k = json_object_new_object(), *u = json_object_new_object();
	for (unsigned i = 0; i < CHAIN_KINDS; i++)
		jw_put(k, probe_chain_kind_name(i), jw_uint(r->sums.chain[i]));
	for (unsigned i = 1; i < CR_REASONS; i++)
		jw_put(u, probe_chain_reason(i), jw_uint(r->sums.reason[i]));
	jw_put(o, "kinds", k);
	jw_put(o, "reasons", u);
	jw_put(o, "napi_budget_exhausted", jw_uint(r->sums.napi_full));
	jw_put(o, "migrated_steps", jw_uint(r->sums.migrated_steps));
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
	jw_put(cost, "source", jw_str(r->cost_sampled_runs ? "programs' own timed runs (1 in 64)" :
				       "kernel BPF statistics"));
	jw_put(cost, "bpf_run_ns", r->bpf_stats ? jw_uint(r->bpf_run_ns) : NULL);
	jw_put(cost, "bpf_run_count", r->bpf_stats ? jw_uint(r->bpf_run_cnt) : NULL);
	jw_put(cost, "ns_per_event", r->bpf_stats && r->bpf_run_cnt ?
		jw_double((double)r->bpf_run_ns / (double)r->bpf_run_cnt) : NULL);
	return cost;
}

/* Where throttling is measured: "btf" per step, "cpu.stat" over the run. */
static jo *j_throttling(const struct diag_report *d)
{
	const struct verdict_host *vh = d->vh;
	const char *src = throttle_source(d);
	bool fb = src && !strcmp(src, "cpu.stat");
	jo *o = json_object_new_object();

	jw_put(o, "source", jw_str(src));
	jw_put(o, "cpu_stat", vh && vh->cpu_stat[0] ? jw_str(vh->cpu_stat) : NULL);
	jw_put(o, "nr_throttled", vh && vh->throttle_fallback ? jw_uint(vh->nr_throttled) : NULL);
	jw_put(o, "throttled_us", vh && vh->throttle_fallback ? jw_double(us(vh->throttled_ns)) : NULL);
	jw_put(o, "moved_us", fb && d->v ? jw_double(us(d->v->throttle_moved_ns)) : NULL);
	jw_put(o, "why", vh && vh->cpu_stat_why[0] ? jw_str(vh->cpu_stat_why) : NULL);
	return o;
}

static jo *j_sampling(const struct probe_result *r)
{
	jo *o = json_object_new_object();

	jw_put(o, "steps_seen", jw_uint(r->steps_seen));
	jw_put(o, "steps_analysed", jw_uint(r->steps));
	jw_put(o, "sampled", jw_bool(r->steps_seen > r->steps));
	jw_put(o, "budget_per_10ms_per_cpu", r->sample_budget ? jw_uint(r->sample_budget) : NULL);
	return o;
}

jo *report_diag_json(const struct diag_report *d)
{
	const struct probe_result *r = d->r;
	jo *o = json_object_new_object();
	jw_put(o, "schema", jw_str(DIAGNOSE_SCHEMA));
	jw_put(o, "target", j_target(d));
	jw_put(o, "duration_s", jw_double(d->duration_s));
	jw_put(o, "steps", jw_uint(r->steps));
	jw_put(o, "sampling", j_sampling(r));
	jw_put(o, "mode", jw_str(r->mode));
	jw_put(o, "tracepoints", j_tracepoints(r));
	jw_put(o, "lost_events", jw_uint(r->lost));
	jw_put(o, "stages", j_stages(d));
	jw_put(o, "features", j_features(r));
	jw_put(o, "wake_sources", j_wake_sources(r));
	jw_put(o, "chains", j_chains(r));
	jw_put(o, "throttling", j_throttling(d));
	jw_put(o, "slowest", j_slowest(d));
	jw_put(o, "verdict", j_verdict(d->v));
	jw_put(o, "cost", j_cost(r));
	return o;
}
