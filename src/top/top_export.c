/* top/top_export: metrics and JSON frames (see top_export.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/errmsg.h"
#include "base/jsonw.h"
#include "base/stats.h"
#include "base/util.h"
#include "diagnose/verdict.h"
#include "inspect/cpuidle.h"
#include "top/top_export.h"

const double top_wake_buckets_s[] = {
	1e-6, 2.5e-6, 5e-6, 10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6,
	1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1.0,
};
const size_t top_wake_nbuckets = ARRAY_SIZE(top_wake_buckets_s);

static const char *const softirq_labels[TSI_MAX] = { "NET_RX", "TIMER", "SCHED", "RCU",
						      "BLOCK", "OTHER" };

void top_wake_cumulative(const uint64_t *hist, uint64_t *cum, double *sum_s)
{
	uint64_t per[ARRAY_SIZE(top_wake_buckets_s) + 1] = { 0 };
	double sum_ns = 0;

	for (uint32_t b = 0; b < HIST_BUCKETS; b++) {
		size_t k = 0;
		uint64_t hi = bucket_high(b);

		if (!hist[b])
			continue;
		while (k < top_wake_nbuckets && (double)hi > top_wake_buckets_s[k] * 1e9)
			k++;
		per[k] += hist[b];
		/* The bucket's midpoint, as hist_percentile reports it. */
		sum_ns += (double)hist[b] *
			  (hi == UINT64_MAX ? (double)bucket_low(b) :
					      ((double)bucket_low(b) + (double)hi) / 2);
	}
	for (size_t k = 0; k <= top_wake_nbuckets; k++)
		cum[k] = per[k] + (k ? cum[k - 1] : 0);
	*sum_s = sum_ns / 1e9;
}

/* ---- the text formats ---------------------------------------------------- */

struct mw {
	FILE *out;
	enum top_metrics_flavour fl;
};

/* A label value with \, " and newline escaped, as both formats want. */
static void put_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out), fputc(*s, out);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

/* # HELP / # TYPE (/ # UNIT) of a family.  name is the sample name for
 * counters (..._total) and info metrics (..._info); OpenMetrics names the
 * family without the suffix. */
static void family(struct mw *m, const char *name, const char *type, const char *unit,
		   const char *help)
{
	char fam[128];
	size_t n = strlen(name);

	copy_str(fam, sizeof(fam), name);
	if (m->fl == TOP_OPENMETRICS) {
		if (!strcmp(type, "counter") && n > 6 && !strcmp(name + n - 6, "_total"))
			fam[n - 6] = '\0';
		if (!strcmp(type, "info") && n > 5 && !strcmp(name + n - 5, "_info"))
			fam[n - 5] = '\0';
	} else if (!strcmp(type, "info")) {
		type = "gauge";
	}
	fprintf(m->out, "# HELP %s %s\n# TYPE %s %s\n", fam, help, fam, type);
	if (m->fl == TOP_OPENMETRICS && unit && unit[0])
		fprintf(m->out, "# UNIT %s %s\n", fam, unit);
}

/* name{k="v",...} value: labels as "k", "v" pairs, NULL-terminated. */
static void sample(struct mw *m, const char *name, const char *const *labels, double v)
{
	if (isnan(v))
		return;
	fputs(name, m->out);
	for (size_t i = 0; labels && labels[i]; i += 2) {
		fprintf(m->out, "%s%s=\"", i ? "," : "{", labels[i]);
		put_escaped(m->out, labels[i + 1]);
		fputc('"', m->out);
	}
	if (labels && labels[0])
		fputc('}', m->out);
	if (isinf(v))
		fprintf(m->out, " %s\n", v > 0 ? "+Inf" : "-Inf");
	else
		fprintf(m->out, " %.17g\n", v);
}

static void header_metrics(struct mw *m, const struct top_frame *f)
{
	const struct top_header *h = &f->hdr;

	family(m, "agentune_frame_interval_seconds", "gauge", "seconds",
	       "Interval the frame's rates cover.");
	sample(m, "agentune_frame_interval_seconds", NULL, f->elapsed_s);
	family(m, "agentune_profile_info", "info", NULL,
	       "A profile applied by agentune apply (from the journal), value 1.");
	for (size_t i = 0; i < h->nprofiles; i++) {
		const char *l[] = { "profile", h->profiles[i], NULL };

		sample(m, "agentune_profile_info", l, 1);
	}
	if (h->settings >= 0) {
		family(m, "agentune_applied_settings", "gauge", NULL,
		       "Settings the applied profiles hold (agentune status).");
		sample(m, "agentune_applied_settings", NULL, h->settings);
		family(m, "agentune_drifted_settings", "gauge", NULL,
		       "Applied settings that drifted or are gone (agentune status).");
		sample(m, "agentune_drifted_settings", NULL, h->drifted);
	}
}

static void window_metrics(struct mw *m, const struct top_frame *f)
{
	const struct top_window_state *w = &f->hdr.win;

	if (!w->present)
		return;
	family(m, "agentune_window_controller_up", "gauge", NULL,
	       "1 while the PM QoS window controller runs.");
	sample(m, "agentune_window_controller_up", NULL, w->running);
	if (w->tokens != NA_S64) {
		family(m, "agentune_window_tokens", "gauge", NULL,
		       "Tokens left in the window controller's bucket.");
		sample(m, "agentune_window_tokens", NULL, (double)w->tokens);
	}
	if (w->budget_tokens != NA_S64) {
		family(m, "agentune_window_budget_tokens", "gauge", NULL,
		       "Size of the window controller's token bucket.");
		sample(m, "agentune_window_budget_tokens", NULL, (double)w->budget_tokens);
	}
	family(m, "agentune_windows_opened_total", "counter", NULL,
	       "PM QoS windows opened since the controller started.");
	sample(m, "agentune_windows_opened_total", NULL, (double)w->opened);
	family(m, "agentune_windows_extended_total", "counter", NULL,
	       "PM QoS window extensions since the controller started.");
	sample(m, "agentune_windows_extended_total", NULL, (double)w->extended);
	family(m, "agentune_windows_denied_total", "counter", NULL,
	       "Windows not opened because the token bucket was short.");
	sample(m, "agentune_windows_denied_total", NULL, (double)w->denied);
	family(m, "agentune_windows_open", "gauge", NULL, "CPUs with a PM QoS window open now.");
	sample(m, "agentune_windows_open", NULL, w->open);
}

static void cpu_metrics(struct mw *m, const struct top_frame *f)
{
	char cpu[16];
	const char *l[8];

	family(m, "agentune_cpu_busy_ratio", "gauge", "ratio",
	       "Share of the interval the CPU was not idle (cpuidle, else /proc/stat).");
	for (size_t i = 0; i < f->ncpus; i++) {
		snprintf(cpu, sizeof(cpu), "%u", f->cpus[i].cpu);
		l[0] = "cpu", l[1] = cpu, l[2] = NULL;
		sample(m, "agentune_cpu_busy_ratio", l, f->cpus[i].util);
	}
	family(m, "agentune_cpu_interrupts_per_second", "gauge", NULL,
	       "Interrupts per second on the CPU over the interval (every /proc/interrupts row).");
	for (size_t i = 0; i < f->ncpus; i++) {
		snprintf(cpu, sizeof(cpu), "%u", f->cpus[i].cpu);
		l[0] = "cpu", l[1] = cpu, l[2] = NULL;
		sample(m, "agentune_cpu_interrupts_per_second", l, f->cpus[i].irq_rate);
	}
	family(m, "agentune_cpu_softirqs_per_second", "gauge", NULL,
	       "Softirqs per second on the CPU over the interval, by vector.");
	for (size_t i = 0; i < f->ncpus; i++)
		for (int k = 0; k < TSI_MAX; k++) {
			snprintf(cpu, sizeof(cpu), "%u", f->cpus[i].cpu);
			l[0] = "cpu", l[1] = cpu, l[2] = "vector", l[3] = softirq_labels[k];
			l[4] = NULL;
			sample(m, "agentune_cpu_softirqs_per_second", l, f->cpus[i].softirq_rate[k]);
		}
	if (f->nidle) {
		family(m, "agentune_cpu_idle_residency_ratio", "gauge", "ratio",
		       "Share of the interval the CPU spent in the idle state.");
		for (size_t i = 0; i < f->ncpus; i++)
			for (size_t k = 0; k < f->nidle; k++) {
				snprintf(cpu, sizeof(cpu), "%u", f->cpus[i].cpu);
				l[0] = "cpu", l[1] = cpu, l[2] = "state", l[3] = f->idle_names[k];
				l[4] = NULL;
				sample(m, "agentune_cpu_idle_residency_ratio", l,
				       f->cpus[i].idle_share[k]);
			}
	}
	family(m, "agentune_cpu_window_open", "gauge", NULL,
	       "1 while a PM QoS window keeps the CPU warm, 0 closed (CPUs the controller manages).");
	for (size_t i = 0; i < f->ncpus; i++) {
		if (!f->cpus[i].window[0])
			continue;
		snprintf(cpu, sizeof(cpu), "%u", f->cpus[i].cpu);
		l[0] = "cpu", l[1] = cpu, l[2] = NULL;
		sample(m, "agentune_cpu_window_open", l, !strcmp(f->cpus[i].window, "open") ||
							       !strcmp(f->cpus[i].window, "poll"));
	}
}

static void agent_labels(const struct top_agent *a, char *pid, size_t sz, const char **l)
{
	snprintf(pid, sz, "%d", a->pid);
	l[0] = "pid", l[1] = pid, l[2] = "comm", l[3] = a->comm, l[4] = "unit", l[5] = a->unit;
	l[6] = NULL;
}

static void agent_histograms(struct mw *m, const struct top_frame *f)
{
	const char *name = "agentune_agent_wake_latency_seconds";

	family(m, name, "histogram", "seconds",
	       "Wakeup to running (sched_waking to sched_switch in) of the agent's steps "
	       "since top started.");
	for (size_t i = 0; i < f->nagents; i++) {
		const struct top_agent *a = &f->agents[i];
		uint64_t cum[ARRAY_SIZE(top_wake_buckets_s) + 1];
		const char *l[10];
		char pid[16], le[32], n[160];
		double sum;

		if (!a->bpf)
			continue;
		top_wake_cumulative(a->wake_run_hist, cum, &sum);
		agent_labels(a, pid, sizeof(pid), l);
		snprintf(n, sizeof(n), "%s_bucket", name);
		for (size_t k = 0; k <= top_wake_nbuckets; k++) {
			if (k < top_wake_nbuckets)
				snprintf(le, sizeof(le), "%g", top_wake_buckets_s[k]);
			else
				snprintf(le, sizeof(le), "+Inf");
			l[6] = "le", l[7] = le, l[8] = NULL;
			sample(m, n, l, (double)cum[k]);
		}
		l[6] = NULL;
		snprintf(n, sizeof(n), "%s_sum", name);
		sample(m, n, l, sum);
		snprintf(n, sizeof(n), "%s_count", name);
		sample(m, n, l, (double)cum[top_wake_nbuckets]);
	}
}

static void agent_metrics(struct mw *m, const struct top_frame *f)
{
	const char *l[10];
	char pid[16];

	if (!f->nagents)
		return;
	family(m, "agentune_agent_up", "gauge", NULL, "1 while the agent's process is alive.");
	for (size_t i = 0; i < f->nagents; i++) {
		agent_labels(&f->agents[i], pid, sizeof(pid), l);
		sample(m, "agentune_agent_up", l, f->agents[i].alive);
	}
	family(m, "agentune_agent_threads", "gauge", NULL, "Threads of the agent's processes.");
	for (size_t i = 0; i < f->nagents; i++) {
		agent_labels(&f->agents[i], pid, sizeof(pid), l);
		sample(m, "agentune_agent_threads", l, f->agents[i].nthreads);
	}
	family(m, "agentune_agent_cpu_usage_ratio", "gauge", "ratio",
	       "CPU time of the agent's threads over the interval, in CPUs (1 = one CPU busy).");
	for (size_t i = 0; i < f->nagents; i++) {
		agent_labels(&f->agents[i], pid, sizeof(pid), l);
		sample(m, "agentune_agent_cpu_usage_ratio", l, f->agents[i].util);
	}
	family(m, "agentune_agent_steps_total", "counter", NULL,
	       "Steps (woken, ran, blocked again) of the agent since top started.");
	for (size_t i = 0; i < f->nagents; i++) {
		agent_labels(&f->agents[i], pid, sizeof(pid), l);
		if (f->agents[i].bpf)
			sample(m, "agentune_agent_steps_total", l, (double)f->agents[i].steps_total);
	}
	agent_histograms(m, f);
	family(m, "agentune_agent_delay_cause_ratio", "gauge", "ratio",
	       "Share of the interval's delay (wake to run plus interference) by cause.");
	for (size_t i = 0; i < f->nagents; i++) {
		agent_labels(&f->agents[i], pid, sizeof(pid), l);
		for (int c = 0; c < CAUSE_MAX && c < (int)ARRAY_SIZE(f->agents[i].cause_shares);
		     c++) {
			if (c == CAUSE_PREEMPT)
				continue;   /* top does not measure it */
			l[6] = "cause", l[7] = cause_name((enum cause)c), l[8] = NULL;
			sample(m, "agentune_agent_delay_cause_ratio", l, f->agents[i].cause_shares[c]);
		}
	}
}

int top_export_metrics(const struct top_frame *f, enum top_metrics_flavour fl, FILE *out)
{
	struct mw m = { out, fl };

	header_metrics(&m, f);
	window_metrics(&m, f);
	cpu_metrics(&m, f);
	agent_metrics(&m, f);
	if (fl == TOP_OPENMETRICS)
		fputs("# EOF\n", out);
	return fflush(out) || ferror(out) ? -EIO : 0;
}

/* ---- JSON ---------------------------------------------------------------- */

static jo *jnum(double v)
{
	return isnan(v) ? NULL : jw_double(v);
}

static jo *cpu_json(const struct top_frame *f, const struct top_cpu *c, bool all)
{
	jo *o = json_object_new_object(), *si = json_object_new_object(),
	   *idle = json_object_new_object();

	jw_put(o, "cpu", all ? NULL : jw_int(c->cpu));
	jw_put(o, "util", jnum(c->util));
	jw_put(o, "irq_rate", jnum(c->irq_rate));
	for (int k = 0; k < TSI_MAX; k++)
		jw_put(si, softirq_labels[k], jnum(c->softirq_rate[k]));
	jw_put(o, "softirq_rate", si);
	jw_put(o, "softirq_total", jnum(c->softirq_total));
	for (size_t k = 0; k < f->nidle; k++)
		jw_put(idle, f->idle_names[k], jnum(c->idle_share[k]));
	jw_put(o, "idle_share", idle);
	jw_put(o, "freq_mhz", jnum(c->freq_mhz));
	if (c->resume_latency_us == PMQOS_NA)
		jw_put(o, "resume_latency_us", jw_str("n/a"));
	else
		jw_put(o, "resume_latency_us", jw_s64(c->resume_latency_us));
	jw_put(o, "steps_rate", jnum(c->steps_rate));
	if (!all) {
		jw_put(o, "threads", jw_str(c->threads));
		jw_put(o, "window", jw_known(c->window));
	}
	return o;
}

static jo *irq_json(const struct top_irq *q)
{
	jo *o = json_object_new_object(), *cpus = json_object_new_array();

	jw_put(o, "label", jw_str(q->label));
	jw_put(o, "irq", q->numbered ? jw_int(q->irq) : NULL);
	jw_put(o, "name", jw_str(q->name));
	jw_put(o, "device", jw_known(q->device));
	jw_put(o, "affinity", jw_known(q->affinity));
	jw_put(o, "effective", jw_known(q->effective));
	jw_put(o, "rate", jw_double(q->rate));
	for (size_t i = 0; i < q->ncpus && i < TOP_IRQ_CPUS; i++) {
		jo *c = json_object_new_object();

		jw_put(c, "cpu", jw_int(q->cpu[i].cpu));
		jw_put(c, "rate", jw_double(q->cpu[i].rate));
		json_object_array_add(cpus, c);
	}
	jw_put(o, "cpus", cpus);
	return o;
}

static jo *agent_json(const struct top_agent *a)
{
	jo *o = json_object_new_object(), *causes = json_object_new_object();

	jw_put(o, "pid", jw_int(a->pid));
	jw_put(o, "comm", jw_str(a->comm));
	jw_put(o, "unit", jw_known(a->unit));
	jw_put(o, "target", jw_known(a->target));
	jw_put(o, "alive", jw_bool(a->alive));
	jw_put(o, "processes", jw_int(a->nprocs));
	jw_put(o, "threads", jw_int(a->nthreads));
	jw_put(o, "util", jnum(a->util));
	jw_put(o, "cpus", jw_str(a->cpus));
	jw_put(o, "bpf", jw_bool(a->bpf));
	jw_put(o, "why", jw_known(a->why));
	jw_put(o, "steps_rate", a->bpf ? jnum(a->steps_rate) : NULL);
	jw_put(o, "steps_total", a->bpf ? jw_uint(a->steps_total) : NULL);
	jw_put(o, "wake_run_p50_us", a->bpf ? jnum(a->wake_run_p50_us) : NULL);
	jw_put(o, "wake_run_p99_us", a->bpf ? jnum(a->wake_run_p99_us) : NULL);
	jw_put(o, "idle_exit_share", a->bpf ? jnum(a->idle_exit_share) : NULL);
	jw_put(o, "interference_share", a->bpf ? jnum(a->interference_share) : NULL);
	jw_put(o, "cause", a->bpf ? jw_known(a->cause) : NULL);
	jw_put(o, "cause_share", a->bpf ? jnum(a->cause_share) : NULL);
	for (int c = 0; c < CAUSE_MAX && c < (int)ARRAY_SIZE(a->cause_shares); c++)
		if (c != CAUSE_PREEMPT)
			jw_put(causes, cause_name((enum cause)c), jnum(a->cause_shares[c]));
	jw_put(o, "cause_shares", a->bpf ? causes : NULL);
	if (!a->bpf)
		json_object_put(causes);
	return o;
}

static jo *header_json(const struct top_frame *f)
{
	const struct top_header *h = &f->hdr;
	jo *o = json_object_new_object(), *profiles = json_object_new_array(), *w = NULL;

	jw_put(o, "hostname", jw_str(h->hostname));
	jw_put(o, "kernel", jw_str(h->kernel));
	jw_put(o, "cpufreq", jw_str(h->cpufreq));
	jw_put(o, "cpuidle", jw_str(h->cpuidle));
	jw_put(o, "pmqos", jw_str(h->pmqos));
	jw_put(o, "profile", jw_str(h->profile));
	for (size_t i = 0; i < h->nprofiles; i++)
		json_object_array_add(profiles, jw_str(h->profiles[i]));
	jw_put(o, "profiles", profiles);
	jw_put(o, "settings", jw_nonneg(h->settings));
	jw_put(o, "drifted", jw_nonneg(h->drifted));
	jw_put(o, "window", jw_str(h->window));
	if (h->win.present) {
		w = json_object_new_object();
		jw_put(w, "pid", jw_int(h->win.pid));
		jw_put(w, "running", jw_bool(h->win.running));
		jw_put(w, "agent_exited", jw_bool(h->win.agent_exited));
		jw_put(w, "tokens", jw_s64(h->win.tokens));
		jw_put(w, "budget_tokens", jw_s64(h->win.budget_tokens));
		jw_put(w, "opened", jw_uint(h->win.opened));
		jw_put(w, "extended", jw_uint(h->win.extended));
		jw_put(w, "denied", jw_uint(h->win.denied));
		jw_put(w, "open", jw_int(h->win.open));
		jw_put(w, "managed", jw_int(h->win.managed));
	}
	jw_put(o, "window_controller", w);
	jw_put(o, "bpf", jw_str(h->bpf));
	jw_put(o, "ncpus", jw_int(h->ncpus));
	jw_put(o, "nirqs", jw_int(h->nirqs));
	return o;
}

int top_export_json(const struct top_frame *f, FILE *out)
{
	jo *o = json_object_new_object(), *cpus = json_object_new_array(),
	   *irqs = json_object_new_array(), *agents = json_object_new_array();
	int rc = 0;

	jw_put(o, "schema", jw_str("agentune.top/1"));
	jw_put(o, "seq", jw_int(f->seq));
	jw_put(o, "time", jw_int((int64_t)time(NULL)));
	jw_put(o, "elapsed_s", jw_double(f->elapsed_s));
	jw_put(o, "header", header_json(f));
	jw_put(o, "all", cpu_json(f, &f->all, true));
	for (size_t i = 0; i < f->ncpus; i++)
		json_object_array_add(cpus, cpu_json(f, &f->cpus[i], false));
	jw_put(o, "cpus", cpus);
	for (size_t i = 0; i < f->nirqs; i++)
		json_object_array_add(irqs, irq_json(&f->irqs[i]));
	jw_put(o, "irqs", irqs);
	jw_put(o, "irq_total_rate", jw_double(f->irq_total_rate));
	for (size_t i = 0; i < f->nagents; i++)
		json_object_array_add(agents, agent_json(&f->agents[i]));
	jw_put(o, "agents", agents);
	if (fprintf(out, "%s\n", jw_line(o)) < 0 || fflush(out))
		rc = -EIO;
	json_object_put(o);
	return rc;
}

/* ---- the textfile --------------------------------------------------------- */

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		rc = -errno;
	close(fd);
	return rc;
}

int top_textfile_write(const struct top_frame *f, const char *path, char *why, size_t sz)
{
	char dircopy[4096], basecopy[4096], tmp[4200];
	const char *dir, *base;
	FILE *out;
	int fd, rc;

	copy_str(dircopy, sizeof(dircopy), path);
	copy_str(basecopy, sizeof(basecopy), path);
	dir = dirname(dircopy);
	base = basename(basecopy);
	if (!pathf(tmp, sizeof(tmp), "%s/.%s.tmp.%d", dir, base, (int)getpid()))
		return errmsg(why, sz, -ENAMETOOLONG, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return errmsg(why, sz, -errno, "%s: %s", tmp, strerror(errno));
	if (!(out = fdopen(fd, "w"))) {
		rc = -errno;
		close(fd);
		unlink(tmp);
		return errmsg(why, sz, rc, "%s: %s", tmp, strerror(-rc));
	}
	rc = top_export_metrics(f, TOP_PROMETHEUS, out);
	if (!rc && fsync(fd))
		rc = -errno;
	if (fclose(out) && !rc)
		rc = -EIO;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc) {
		unlink(tmp);
		return errmsg(why, sz, rc, "writing %s: %s", path, strerror(-rc));
	}
	if ((rc = fsync_dir(dir)))
		return errmsg(why, sz, rc, "%s: fsync of the directory: %s", dir, strerror(-rc));
	return 0;
}
