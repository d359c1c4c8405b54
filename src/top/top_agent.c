/* top/top_agent: one --pid of `agentune top` (see top_agent.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diagnose/probe.h"
#include "inspect/procstat.h"
#include "base/errmsg.h"
#include "base/stats.h"
#include "top/top_agent.h"
#include "diagnose/verdict.h"

/* CPU time of one thread at the previous sample, in ns. */
struct thread_time {
	int tid;
	uint64_t ns;
};

struct agent_watch {
	const struct host *host;
	int pid;                     /* the process, or a unit's / cgroup's first */
	char comm[16];
	char unit[TARGET_UNIT_MAX];
	bool has_target;             /* following a unit or cgroup, not one pid */
	struct target target;
	int *pids;                   /* the processes followed (cgroup.procs) */
	size_t npids;
	double ticks_per_s;          /* USER_HZ */

	struct thread_time *prev;   /* by tid */
	size_t nprev;

	struct probe *probe;         /* NULL when BPF is off */
	char why[192];
	uint64_t prev_hist[STAGE_MAX][HIST_BUCKETS];
	uint64_t prev_steps;
	uint64_t base_hist[HIST_BUCKETS];  /* wake->run at open: the totals start there */
	uint64_t base_steps;
	uint64_t *prev_cpu_steps;    /* [probe ncpus] */
	unsigned ncpus;
	uint64_t prev_bpf_ns;
	double bpf_ns_per_s;
	struct probe_result *res;
};

static void read_comm(const struct host *h, int pid, char *buf, size_t sz)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (host_read_line(h, path, buf, sz) < 0)
		buf[0] = '\0';
}

/* The diagnose programs on pid, with as little of their extra work as top
 * needs: one slow step (top shows distributions, not steps). */
static void open_probe(struct agent_watch *w)
{
	struct probe_opts o = {
		.pid = w->pid,
		/* A unit's processes: the others are added below and at each
		 * sample, what they fork is followed by the kernel. */
		.children = w->has_target,
		.slowest = 1,
		.host = w->host,
		/* The programs' cost per interval, exactly: the kernel's sampled
		 * statistics give a mean over the whole run, which the first
		 * interval's start-up runs dominate for a long time. */
		.stats_always = true,
		/* Only what top shows: wake->run split into idle exit and
		 * queueing, run time, and interference from IRQs (the local
		 * timer and IPIs included: irq_vectors) and softirqs. */
		.disable_stages = 1u << STAGE_BLOCK_IO,
		.disable_features = 1u << FEAT_NAPI_DEVICE |
				    1u << FEAT_WORK_FUNC | 1u << FEAT_FREQUENCY |
				    1u << FEAT_SYSCALL | 1u << FEAT_PAGE_FAULTS |
				    /* diagnose's completion chains: top shows no chain */
				    1u << FEAT_CHAIN_SOFTIRQ | 1u << FEAT_CHAIN_TIMER |
				    1u << FEAT_CHAIN_WORKQUEUE | 1u << FEAT_CHAIN_BLOCK,
	};
	char err[256] = "";

	w->probe = probe_open(&o, err, sizeof(err));
	if (!w->probe) {
		/* probe_open's reason may be longer than the row has room for. */
		errmsg(w->why, sizeof(w->why), 0, "%s", err[0] ? err : strerror(errno));
		return;
	}
	w->res = probe_result_new();
	if (!w->res || probe_read(w->probe, w->res)) {
		snprintf(w->why, sizeof(w->why), "reading the programs' maps failed");
		probe_close(w->probe);
		w->probe = NULL;
		return;
	}
	for (size_t i = 0; i < w->npids; i++)
		if (w->pids[i] != w->pid)
			probe_add_process(w->probe, w->pids[i]);
	/* The figures start now: what ran before the first sample is the baseline. */
	memcpy(w->prev_hist, w->res->hist, sizeof(w->prev_hist));
	memcpy(w->base_hist, w->res->hist[STAGE_WAKE_RUN], sizeof(w->base_hist));
	/* Rates count every step seen, analysed or not (sampling). */
	w->prev_steps = w->base_steps = w->res->steps_seen;
	w->ncpus = w->res->ncpus;
	w->prev_cpu_steps = calloc(w->ncpus ? w->ncpus : 1, sizeof(uint64_t));
	if (w->prev_cpu_steps && w->res->cpu_steps_seen)
		memcpy(w->prev_cpu_steps, w->res->cpu_steps_seen, w->ncpus * sizeof(uint64_t));
	w->prev_bpf_ns = w->res->bpf_run_ns;
}

static void remember_threads(struct agent_watch *w);

/* The processes of the unit or cgroup now; for --pid the one. */
static int refresh_pids(struct agent_watch *w)
{
	int *pids;
	size_t n;
	int e;

	if (!w->has_target) {
		if (!w->pids && !(w->pids = calloc(1, sizeof(int))))
			return -ENOMEM;
		w->pids[0] = w->pid;
		w->npids = 1;
		return 0;
	}
	if ((e = target_pids(w->host, &w->target, &pids, &n)))
		return e == -ENOMEM ? e : 0;   /* gone: keep the last list */
	free(w->pids);
	w->pids = pids;
	w->npids = n;
	return 0;
}

static struct agent_watch *watch_open(const struct host *h, int pid, const struct target *t,
				      bool no_bpf, char *err, size_t errsz)
{
	struct agent_watch *w = calloc(1, sizeof(*w));
	struct task_list tl = {0};
	long hz = sysconf(_SC_CLK_TCK);
	char rel[TARGET_PATH_MAX];

	if (!w) {
		errmsg(err, errsz, 0, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	w->host = h;
	w->pid = pid;
	w->ticks_per_s = hz > 0 ? (double)hz : 100.0;
	if (t) {
		char label[TARGET_PATH_MAX + 16];

		w->has_target = true;
		w->target = *t;
		if (refresh_pids(w) || !w->npids) {
			errmsg(err, errsz, 0, "%s: no process in %s",
			       target_label(t, label, sizeof(label)), t->dir);
			free(w->pids);
			free(w);
			errno = ESRCH;
			return NULL;
		}
		w->pid = w->pids[0];
		copy_str(w->unit, sizeof(w->unit), t->unit);
	} else if (refresh_pids(w)) {
		free(w);
		errno = ENOMEM;
		return NULL;
	}
	if (task_list_read(h, w->pid, &tl) < 0) {
		errmsg(err, errsz, 0, "no process %d", w->pid);
		free(w->pids);
		free(w);
		errno = ESRCH;
		return NULL;
	}
	task_list_free(&tl);
	read_comm(h, w->pid, w->comm, sizeof(w->comm));
	if (!t && target_pid_unit(h, w->pid, w->unit, sizeof(w->unit), rel, sizeof(rel)) <= 0)
		w->unit[0] = '\0';
	remember_threads(w);
	if (no_bpf)
		snprintf(w->why, sizeof(w->why), "--no-bpf");
	else
		open_probe(w);
	return w;
}

struct agent_watch *agent_watch_open(const struct host *h, int pid, bool no_bpf,
				     char *err, size_t errsz)
{
	return watch_open(h, pid, NULL, no_bpf, err, errsz);
}

struct agent_watch *agent_watch_open_target(const struct host *h, const struct target *t,
					    bool no_bpf, char *err, size_t errsz)
{
	return watch_open(h, 0, t, no_bpf, err, errsz);
}

static int cmp_ticks(const void *a, const void *b)
{
	const struct thread_time *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

static uint64_t prev_cpu_ns(const struct agent_watch *w, int tid)
{
	struct thread_time key = { .tid = tid };
	const struct thread_time *t =
		w->nprev ? bsearch(&key, w->prev, w->nprev, sizeof(key), cmp_ticks) : NULL;

	return t ? t->ns : 0;
}

/* A thread's CPU time: schedstat's exact nanoseconds, else utime + stime
 * (sampled at the tick). */
static uint64_t task_cpu_ns(const struct agent_watch *w, const struct task_stat *t)
{
	if (t->run_ns != NA_U64)
		return t->run_ns;
	return (uint64_t)((double)(t->utime + t->stime) * 1e9 / w->ticks_per_s);
}

/* Appends ",N" (or "N") to a CPU list string when there is room. */
static void add_cpu(char *buf, size_t sz, int cpu)
{
	size_t len = strlen(buf);

	if (len + 12 < sz)
		snprintf(buf + len, sz - len, "%s%d", len ? "," : "", cpu);
}

static int cmp_task(const void *a, const void *b)
{
	const struct task_stat *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

/* Every thread of every process followed, by tid; *alive processes of them.
 * -ESRCH when none is left. */
static int read_tasks(struct agent_watch *w, struct task_list *all, unsigned *alive)
{
	*alive = 0;
	memset(all, 0, sizeof(*all));
	for (size_t i = 0; i < w->npids; i++) {
		struct task_list tl = {0};
		struct task_stat *nt;

		if (task_list_read(w->host, w->pids[i], &tl) < 0)
			continue;
		(*alive)++;
		nt = realloc(all->t, (all->n + tl.n + 1) * sizeof(*nt));
		if (!nt) {
			task_list_free(&tl);
			task_list_free(all);
			return -ENOMEM;
		}
		all->t = nt;
		memcpy(all->t + all->n, tl.t, tl.n * sizeof(*nt));
		all->n += tl.n;
		task_list_free(&tl);
	}
	if (!*alive)
		return -ESRCH;
	if (w->npids > 1)
		qsort(all->t, all->n, sizeof(*all->t), cmp_task);
	return 0;
}

/* The procfs half: threads, CPU time, where they ran. */
static int sample_threads(struct agent_watch *w, double elapsed_s, struct top_agent *row,
			  struct agent_ran **ran, size_t *nran)
{
	struct task_list tl = {0};
	struct thread_time *now;
	uint64_t used = 0;
	bool cpu_seen[4096] = { false };
	unsigned alive;
	int e;

	*ran = NULL;
	*nran = 0;
	if ((e = read_tasks(w, &tl, &alive)))
		return e == -ENOMEM ? e : 0;   /* gone: alive stays false */
	row->alive = true;
	row->nprocs = alive;
	row->nthreads = (unsigned)tl.n;
	now = calloc(tl.n ? tl.n : 1, sizeof(*now));
	*ran = calloc(tl.n ? tl.n : 1, sizeof(**ran));
	if (!now || !*ran) {
		free(now);
		free(*ran);
		*ran = NULL;
		task_list_free(&tl);
		return -ENOMEM;
	}
	for (size_t i = 0; i < tl.n; i++) {
		const struct task_stat *t = &tl.t[i];
		uint64_t ns = task_cpu_ns(w, t), before;

		before = prev_cpu_ns(w, t->tid);
		now[i] = (struct thread_time){ t->tid, ns };
		/* A thread born in the interval ran for all the time it has. */
		if (ns <= before)
			continue;
		used += ns - before;
		(*ran)[(*nran)++] = (struct agent_ran){ t->tid, t->cpu };
		if (t->cpu >= 0 && t->cpu < 4096 && !cpu_seen[t->cpu]) {
			cpu_seen[t->cpu] = true;
			add_cpu(row->cpus, sizeof(row->cpus), t->cpu);
		}
	}
	free(w->prev);
	w->prev = now;
	w->nprev = tl.n;
	task_list_free(&tl);
	row->util = elapsed_s > 0 ? (double)used / 1e9 / elapsed_s : 0;
	return 0;
}

/* Sum of a histogram's values, from its buckets' representatives. */
static double hist_sum(const uint64_t *buckets)
{
	struct hist h;

	hist_from_buckets(&h, buckets);
	return h.count ? hist_mean(&h) * (double)h.count : 0;
}

/* The dominant delay of the interval: which stage's time is largest among
 * what steps waited for (wake->run split into idle exit, queueing and the
 * rest) and what interrupted them while they ran. */
static void dominant_cause(const double *sum, struct top_agent *row)
{
	double unexplained = sum[STAGE_WAKE_RUN] - sum[STAGE_IDLE_EXIT] - sum[STAGE_QUEUE];
	double total = sum[STAGE_WAKE_RUN] + sum[STAGE_IRQ] + sum[STAGE_SOFTIRQ];
	struct { enum cause c; double ns; } cand[] = {
		{ CAUSE_QUEUE, sum[STAGE_QUEUE] },
		{ CAUSE_IDLE_EXIT, sum[STAGE_IDLE_EXIT] },
		{ CAUSE_IRQ, sum[STAGE_IRQ] },
		{ CAUSE_SOFTIRQ, sum[STAGE_SOFTIRQ] },
		{ CAUSE_UNATTRIBUTED, unexplained > 0 ? unexplained : 0 },
	};
	size_t best = 0;

	for (size_t i = 1; i < sizeof(cand) / sizeof(cand[0]); i++)
		if (cand[i].ns > cand[best].ns)
			best = i;
	if (total <= 0) {
		snprintf(row->cause, sizeof(row->cause), "none");
		return;
	}
	snprintf(row->cause, sizeof(row->cause), "%s", cause_name(cand[best].c));
	row->cause_share = cand[best].ns / total;
}

/* Every cause's share of the same total (the exporters' gauge per cause). */
static void cause_shares(const double *sum, struct top_agent *row)
{
	double unexplained = sum[STAGE_WAKE_RUN] - sum[STAGE_IDLE_EXIT] - sum[STAGE_QUEUE];
	double total = sum[STAGE_WAKE_RUN] + sum[STAGE_IRQ] + sum[STAGE_SOFTIRQ];

	if (total <= 0)
		return;
	row->cause_shares[CAUSE_QUEUE] = sum[STAGE_QUEUE] / total;
	row->cause_shares[CAUSE_IDLE_EXIT] = sum[STAGE_IDLE_EXIT] / total;
	row->cause_shares[CAUSE_IRQ] = sum[STAGE_IRQ] / total;
	row->cause_shares[CAUSE_SOFTIRQ] = sum[STAGE_SOFTIRQ] / total;
	row->cause_shares[CAUSE_PREEMPT] = 0;   /* not measured by top */
	row->cause_shares[CAUSE_UNATTRIBUTED] = unexplained > 0 ? unexplained / total : 0;
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : NAN;
}

/* The BPF half: the in-kernel aggregates' growth since the last sample. */
static int sample_probe(struct agent_watch *w, double elapsed_s, struct top_agent *row,
			double *steps_rate, size_t nslots)
{
	uint64_t d[HIST_BUCKETS];
	double sum[STAGE_MAX];
	struct hist wr;
	int e;

	probe_poll(w->probe, 0);
	if ((e = probe_read(w->probe, w->res)))
		return e == -ENOMEM ? e : 0;
	for (unsigned s = 0; s < STAGE_MAX; s++) {
		for (unsigned b = 0; b < HIST_BUCKETS; b++)
			d[b] = w->res->hist[s][b] - w->prev_hist[s][b];
		sum[s] = hist_sum(d);
		if (s == STAGE_WAKE_RUN)
			hist_from_buckets(&wr, d);
	}
	memcpy(w->prev_hist, w->res->hist, sizeof(w->prev_hist));

	row->bpf = true;
	row->steps_rate = elapsed_s > 0 ? (double)(w->res->steps_seen - w->prev_steps) / elapsed_s : 0;
	w->prev_steps = w->res->steps_seen;
	row->wake_run_p50_us = wr.count ? hist_percentile(&wr, 50) / 1e3 : NAN;
	row->wake_run_p99_us = wr.count ? hist_percentile(&wr, 99) / 1e3 : NAN;
	row->idle_exit_share = ratio(sum[STAGE_IDLE_EXIT], sum[STAGE_WAKE_RUN]);
	row->interference_share = ratio(sum[STAGE_IRQ] + sum[STAGE_SOFTIRQ], sum[STAGE_RUN]);
	dominant_cause(sum, row);
	cause_shares(sum, row);
	row->steps_total = w->res->steps_seen - w->base_steps;
	for (unsigned b = 0; b < HIST_BUCKETS; b++)
		row->wake_run_hist[b] = w->res->hist[STAGE_WAKE_RUN][b] - w->base_hist[b];

	for (unsigned c = 0; c < w->ncpus && w->res->cpu_steps_seen; c++) {
		uint64_t n = w->res->cpu_steps_seen[c] - w->prev_cpu_steps[c];

		if (c < nslots && elapsed_s > 0)
			steps_rate[c] += (double)n / elapsed_s;
		w->prev_cpu_steps[c] = w->res->cpu_steps_seen[c];
	}
	if (w->res->bpf_stats && elapsed_s > 0 && w->res->bpf_run_ns >= w->prev_bpf_ns)
		w->bpf_ns_per_s = (double)(w->res->bpf_run_ns - w->prev_bpf_ns) / elapsed_s;
	w->prev_bpf_ns = w->res->bpf_run_ns;
	return 0;
}

/* The threads' CPU time at open: the first interval starts there (the row
 * and the list of a zero-length interval are thrown away). */
static void remember_threads(struct agent_watch *w)
{
	struct top_agent row;
	struct agent_ran *ran = NULL;
	size_t nran = 0;

	memset(&row, 0, sizeof(row));
	sample_threads(w, 0, &row, &ran, &nran);
	free(ran);
}

int agent_watch_sample(struct agent_watch *w, double elapsed_s, struct top_agent *row,
		       double *steps_rate, size_t nslots, struct agent_ran **ran, size_t *nran)
{
	int e;

	memset(row, 0, sizeof(*row));
	row->pid = w->pid;
	copy_str(row->comm, sizeof(row->comm), w->comm);
	copy_str(row->unit, sizeof(row->unit), w->unit);
	if (w->has_target)
		target_label(&w->target, row->target, sizeof(row->target));
	for (size_t i = 0; i < ARRAY_SIZE(row->cause_shares); i++)
		row->cause_shares[i] = NAN;
	row->steps_rate = row->wake_run_p50_us = row->wake_run_p99_us = NAN;
	row->idle_exit_share = row->interference_share = row->cause_share = NAN;
	copy_str(row->why, sizeof(row->why), w->why);

	if ((e = refresh_pids(w)))
		return e;
	if ((e = sample_threads(w, elapsed_s, row, ran, nran)))
		return e;
	if (!w->probe)
		return 0;
	/* Processes that entered the unit since: followed from now on. */
	for (size_t i = 0; w->has_target && i < w->npids; i++)
		probe_add_process(w->probe, w->pids[i]);
	return sample_probe(w, elapsed_s, row, steps_rate, nslots);
}

const char *agent_watch_bpf_mode(const struct agent_watch *w)
{
	return w->probe ? probe_mode(w->probe) : NULL;
}

double agent_watch_bpf_ns_per_s(const struct agent_watch *w)
{
	return w->bpf_ns_per_s;
}

void agent_watch_close(struct agent_watch *w)
{
	if (!w)
		return;
	probe_result_free(w->res);
	probe_close(w->probe);
	free(w->prev_cpu_steps);
	free(w->prev);
	free(w->pids);
	free(w);
}
