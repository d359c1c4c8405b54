/* tune/evaluate: phases measured from probe readings, compared over rounds. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/errmsg.h"
#include "base/jsonw.h"
#include "base/stats.h"
#include "base/util.h"
#include "tune/evaluate.h"

/* ---------- statistics ---------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

void eval_spread_of(const double *v, size_t n, struct eval_spread *out)
{
	double *s = n ? malloc(n * sizeof(*s)) : NULL;
	size_t k = 0;
	for (size_t i = 0; s && i < n; i++)
		if (!isnan(v[i]))
			s[k++] = v[i];
	out->n = k;
	out->median = out->min = out->max = NAN;
	if (k) {
		qsort(s, k, sizeof(*s), cmp_double);
		out->min = s[0];
		out->max = s[k - 1];
		out->median = k % 2 ? s[k / 2] : (s[k / 2 - 1] + s[k / 2]) / 2;
	}
	free(s);
}

double eval_ratio(double a, double b)
{
	if (isnan(a) || isnan(b) || a == 0)
		return NAN;
	return b / a;
}

bool eval_exceeds(const struct eval_spread *a, const struct eval_spread *b)
{
	if (!a->n || !b->n)
		return false;
	return b->min > a->max || b->max < a->min;
}

void eval_compare_metric(const struct eval_run *r, enum eval_metric m, struct eval_compare *c)
{
	double *v = malloc((r->nphases ? r->nphases : 1) * sizeof(*v));
	for (int k = 0; k < EVAL_KINDS; k++) {
		size_t n = 0;
		for (size_t i = 0; v && i < r->nphases; i++)
			if (r->phase[i].kind == (enum eval_kind)k)
				v[n++] = r->phase[i].m[m];
		eval_spread_of(v, n, &c->s[k]);
	}
	free(v);
	c->ratio = eval_ratio(c->s[EVAL_BASELINE].median, c->s[EVAL_PROFILE].median);
	c->exceeds = eval_exceeds(&c->s[EVAL_BASELINE], &c->s[EVAL_PROFILE]);
}

/* ---------- a phase from two probe readings ---------- */

static void pct_us(const uint64_t *before, const uint64_t *after, double *p50, double *p90,
		   double *p99, double *p999)
{
	struct hist h;
	uint64_t d[HIST_BUCKETS];
	for (size_t b = 0; b < HIST_BUCKETS; b++)
		d[b] = after[b] >= before[b] ? after[b] - before[b] : 0;
	hist_from_buckets(&h, d);
	if (!h.count) {
		*p50 = *p90 = *p99 = *p999 = NAN;
		return;
	}
	struct pct s;
	hist_summary(&h, &s);
	*p50 = s.p50 / 1e3;
	*p90 = s.p90 / 1e3;
	*p99 = s.p99 / 1e3;
	*p999 = s.p999 / 1e3;
}

static uint64_t minus(uint64_t a, uint64_t b)
{
	return a >= b ? a - b : 0;
}

/* The verdict over the phase's steps: the sums' differences (the tail and
 * the culprits are whole-run figures, left out). */
static void phase_causes(const struct probe_result *before, const struct probe_result *after,
			 const struct verdict_host *h, struct eval_phase *ph)
{
	struct probe_result *d = calloc(1, sizeof(*d));
	struct verdict *v = calloc(1, sizeof(*v));
	uint64_t *cpu = calloc(after->ncpus ? after->ncpus : 1, sizeof(*cpu));
	if (!d || !v || !cpu)
		goto out;
	d->steps = minus(after->steps, before->steps);
	const uint64_t *a = (const uint64_t *)&after->sums, *b = (const uint64_t *)&before->sums;
	uint64_t *s = (uint64_t *)&d->sums;
	for (size_t i = 0; i < sizeof(d->sums) / sizeof(uint64_t); i++)
		s[i] = minus(a[i], b[i]);
	d->ncpus = after->ncpus;
	for (unsigned c = 0; after->cpu_steps && c < after->ncpus; c++)
		cpu[c] = minus(after->cpu_steps[c], before->cpu_steps && c < before->ncpus ?
							     before->cpu_steps[c] : 0);
	d->cpu_steps = cpu;
	d->threads = after->threads;
	d->nthreads = after->nthreads;
	d->self_tgid = after->self_tgid;
	memcpy(d->stages, after->stages, sizeof(d->stages));
	memcpy(d->features, after->features, sizeof(d->features));
	verdict_eval(d, h, v);
	for (size_t i = 0; i < v->all.n && ph->ncauses < EVAL_CAUSES; i++) {
		if (v->all.cause[i].share <= 0)
			continue;
		struct eval_cause *c = &ph->cause[ph->ncauses++];
		copy_str(c->id, sizeof(c->id), v->all.cause[i].id ? v->all.cause[i].id : "?");
		c->share = v->all.cause[i].share;
	}
out:
	free(cpu);
	free(v);
	free(d);
}

void eval_phase_from(const struct probe_result *before, const struct probe_result *after,
		     const struct verdict_host *h, double dur_s, struct eval_phase *ph)
{
	for (int m = 0; m < EM_MAX; m++)
		ph->m[m] = NAN;
	ph->ncauses = 0;
	ph->duration_s = dur_s;
	ph->steps = minus(after->steps, before->steps);
	pct_us(before->hist[STAGE_WAKE_RUN], after->hist[STAGE_WAKE_RUN], &ph->m[EM_P50],
	       &ph->m[EM_P90], &ph->m[EM_P99], &ph->m[EM_P999]);
	if (after->stages[STAGE_COMPLETION].available)
		pct_us(before->hist[STAGE_COMPLETION], after->hist[STAGE_COMPLETION],
		       &ph->m[EM_C_P50], &ph->m[EM_C_P90], &ph->m[EM_C_P99], &ph->m[EM_C_P999]);
	/* The rate counts every step seen; the percentiles and causes are over
	 * the analysed ones (all of them below the sampling budget). */
	if (dur_s > 0)
		ph->m[EM_STEPS_PER_S] = (double)minus(after->steps_seen, before->steps_seen) / dur_s;
	if (ph->steps)
		phase_causes(before, after, h, ph);
}

/* ---------- the warm cost ---------- */

double eval_proc_cpu_s(int pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return NAN;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: fields count from the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p)
		return NAN;
	unsigned long long ut, st;
	/* after ") ": state(3) ... utime(14) stime(15) */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return NAN;
	long tck = sysconf(_SC_CLK_TCK);
	return (double)(ut + st) / (double)(tck > 0 ? tck : 100);
}

static bool read_u64_file(const char *path, uint64_t *v)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	unsigned long long x;
	bool ok = fscanf(f, "%llu", &x) == 1;
	fclose(f);
	if (ok)
		*v = x;
	return ok;
}

#define RAPL_DIR "/sys/class/powercap"

bool eval_rapl_open(struct eval_rapl *e, char *why, size_t sz)
{
	memset(e, 0, sizeof(*e));
	DIR *d = opendir(RAPL_DIR);
	if (!d) {
		errmsg(why, sz, 0, "unavailable (%s: %s)", RAPL_DIR, strerror(errno));
		return false;
	}
	struct dirent *de;
	bool seen = false;
	while ((de = readdir(d)) && e->n < 16) {
		unsigned pkg;
		char tail;
		/* packages only: intel-rapl:N, not their zones intel-rapl:N:M */
		if (sscanf(de->d_name, "intel-rapl:%u%c", &pkg, &tail) != 1)
			continue;
		seen = true;
		char path[300];
		snprintf(path, sizeof(path), RAPL_DIR "/%s/energy_uj", de->d_name);
		uint64_t v, range;
		if (!read_u64_file(path, &v))
			continue;
		snprintf(path, sizeof(path), RAPL_DIR "/%s/max_energy_range_uj", de->d_name);
		if (!read_u64_file(path, &range))
			range = 0;
		e->last[e->n] = v;
		e->range[e->n++] = range;
	}
	closedir(d);
	if (!e->n)
		errmsg(why, sz, 0, seen ? "unavailable (RAPL energy_uj not readable)" :
					  "unavailable (no RAPL package in " RAPL_DIR ")");
	return e->n > 0;
}

double eval_rapl_read(struct eval_rapl *e)
{
	double j = 0;
	size_t k = 0;
	DIR *d = opendir(RAPL_DIR);
	struct dirent *de;
	while (d && (de = readdir(d)) && k < e->n) {
		unsigned pkg;
		char tail, path[300];
		uint64_t v;
		if (sscanf(de->d_name, "intel-rapl:%u%c", &pkg, &tail) != 1)
			continue;
		snprintf(path, sizeof(path), RAPL_DIR "/%s/energy_uj", de->d_name);
		if (!read_u64_file(path, &v))
			continue;
		uint64_t delta = v >= e->last[k] ? v - e->last[k] : v + e->range[k] - e->last[k];
		e->last[k++] = v;
		j += (double)delta / 1e6;
	}
	if (d)
		closedir(d);
	e->total_j += j;
	return j;
}

/* ---------- the run ---------- */

int eval_run_add(struct eval_run *r, const struct eval_phase *ph)
{
	if (r->nphases == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 8;
		struct eval_phase *p = realloc(r->phase, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		r->phase = p;
		r->cap = cap;
	}
	r->phase[r->nphases++] = *ph;
	return 0;
}

void eval_run_free(struct eval_run *r)
{
	free(r->phase);
	r->phase = NULL;
	r->nphases = r->cap = 0;
}

const char *eval_kind_name(enum eval_kind k)
{
	return k == EVAL_BASELINE ? "baseline" : "profile";
}

static const struct {
	const char *json, *text, *unit;
	int decimals;
	bool lower_better;
} metric[EM_MAX] = {
	[EM_P50] = { "p50_us", "wake->run p50", "us", 1, true },
	[EM_P90] = { "p90_us", "wake->run p90", "us", 1, true },
	[EM_P99] = { "p99_us", "wake->run p99", "us", 1, true },
	[EM_P999] = { "p999_us", "wake->run p99.9", "us", 1, true },
	[EM_C_P50] = { "completion_p50_us", "completion p50", "us", 1, true },
	[EM_C_P90] = { "completion_p90_us", "completion p90", "us", 1, true },
	[EM_C_P99] = { "completion_p99_us", "completion p99", "us", 1, true },
	[EM_C_P999] = { "completion_p999_us", "completion p99.9", "us", 1, true },
	[EM_STEPS_PER_S] = { "steps_per_s", "steps/s", "", 1, false },
	[EM_WARM_CPU_S] = { "warm_cpu_s", "warm CPU time", "s", 3, true },
	[EM_ENERGY_J] = { "energy_j", "package energy", "J", 2, true },
};

const char *eval_metric_name(enum eval_metric m)
{
	return metric[m].json;
}

/* ---------- text ---------- */

static void num(char *buf, size_t sz, double v, int dec)
{
	if (isnan(v))
		snprintf(buf, sz, "-");
	else
		snprintf(buf, sz, "%.*f", dec, v);
}

static void range_str(char *buf, size_t sz, const struct eval_spread *s, int dec)
{
	if (!s->n)
		snprintf(buf, sz, "-");
	else
		snprintf(buf, sz, "%.*f-%.*f", dec, s->min, dec, s->max);
}

static const char *noise_word(const struct eval_compare *c)
{
	if (!c->s[EVAL_BASELINE].n || !c->s[EVAL_PROFILE].n)
		return "n/a";
	if (c->s[EVAL_BASELINE].n < 2 || c->s[EVAL_PROFILE].n < 2)
		return c->exceeds ? "yes (1 round)" : "no (1 round)";
	return c->exceeds ? "yes" : "no";
}

static void report_table(FILE *out, const struct eval_run *r)
{
	fprintf(out, "%-18s %10s %10s %7s %19s %19s  %s\n", "", "baseline", "profile", "ratio",
		"baseline min-max", "profile min-max", "beyond the noise");
	for (int m = 0; m < EM_MAX; m++) {
		struct eval_compare c;
		eval_compare_metric(r, m, &c);
		if (m == EM_ENERGY_J && !r->rapl)
			continue;
		if (m >= EM_C_P50 && m <= EM_C_P999 && !c.s[EVAL_BASELINE].n && !c.s[EVAL_PROFILE].n)
			continue;
		char b[32], p[32], ra[32], rb[48], rp[48], name[40];
		int dec = metric[m].decimals;
		num(b, sizeof(b), c.s[EVAL_BASELINE].median, dec);
		num(p, sizeof(p), c.s[EVAL_PROFILE].median, dec);
		num(ra, sizeof(ra), c.ratio, 2);
		range_str(rb, sizeof(rb), &c.s[EVAL_BASELINE], dec);
		range_str(rp, sizeof(rp), &c.s[EVAL_PROFILE], dec);
		snprintf(name, sizeof(name), "%s%s%s", metric[m].text, metric[m].unit[0] ? " " : "",
			 metric[m].unit);
		fprintf(out, "%-18s %10s %10s %7s %19s %19s  %s\n", name, b, p, ra, rb, rp,
			noise_word(&c));
	}
}

/* The plain sentence for one metric. */
static void report_sentence(FILE *out, const struct eval_run *r, enum eval_metric m)
{
	struct eval_compare c;
	eval_compare_metric(r, m, &c);
	if (isnan(c.ratio)) {
		fprintf(out, "  %s: not compared (not measured in both kinds of phase)\n",
			metric[m].text);
		return;
	}
	bool better = metric[m].lower_better ? c.ratio < 1 : c.ratio > 1;
	const char *dir = c.ratio == 1 ? "the same as" : better ? "better than" : "worse than";
	fprintf(out, "  %s: the profile is %.2fx baseline (%s); ", metric[m].text, c.ratio, dir);
	if (c.exceeds)
		fprintf(out, "the difference exceeds the spread between rounds: every profile "
			     "round is %s every baseline round\n",
			c.s[EVAL_PROFILE].max < c.s[EVAL_BASELINE].min ? "below" : "above");
	else
		fprintf(out, "the difference is within the spread between rounds (the ranges "
			     "overlap): not distinguishable from noise with %zu round(s)\n",
			c.s[EVAL_PROFILE].n < c.s[EVAL_BASELINE].n ? c.s[EVAL_PROFILE].n :
								      c.s[EVAL_BASELINE].n);
}

static void report_round(FILE *out, const struct eval_phase *ph)
{
	char p50[24], p99[24], sps[24], warm[24];
	num(p50, sizeof(p50), ph->m[EM_P50], 1);
	num(p99, sizeof(p99), ph->m[EM_P99], 1);
	num(sps, sizeof(sps), ph->m[EM_STEPS_PER_S], 1);
	num(warm, sizeof(warm), ph->m[EM_WARM_CPU_S], 3);
	fprintf(out, "  round %u %-8s %5.1f s  %8" PRIu64 " steps  %8s steps/s  p50 %7s  p99 %7s us  "
		"warm %s s%s", ph->round, eval_kind_name(ph->kind), ph->duration_s, ph->steps, sps,
		p50, p99, warm, ph->ncauses ? "  causes:" : "");
	for (size_t i = 0; i < ph->ncauses; i++)
		fprintf(out, "%s %s %.0f%%", i ? "," : "", ph->cause[i].id, 100 * ph->cause[i].share);
	fprintf(out, "%s\n", ph->cut_short ? "  (cut short)" : "");
}

void eval_report_text(FILE *out, const struct eval_run *r)
{
	fprintf(out, "agentune evaluate: profile %s on pid %d (%s), agent CPUs %s\n", r->profile,
		r->pid, r->comm[0] ? r->comm : "?", r->cpus[0] ? r->cpus : "?");
	fprintf(out, "%u round(s) of %u s per phase asked, %zu phase(s) measured: baseline, then "
		"the profile applied, measured, reverted\n\n", r->rounds, r->duration_s, r->nphases);
	report_table(out, r);
	fprintf(out, "\nMedians over the rounds; ratio = profile / baseline; beyond the noise = "
		     "the two min-max ranges do not overlap.\n");
	report_sentence(out, r, EM_P50);
	report_sentence(out, r, EM_P99);
	report_sentence(out, r, EM_STEPS_PER_S);
	fprintf(out, "Warm cost: %s\n", r->warm_note);
	fprintf(out, "Energy: %s\n", r->rapl ? "RAPL package energy per phase" : r->rapl_why);
	fprintf(out, "\nRounds (wake->run latency; causes: the verdict over the phase's steps):\n");
	for (size_t i = 0; i < r->nphases; i++)
		report_round(out, &r->phase[i]);
	if (r->stop_why[0])
		fprintf(out, "\nEnded early: %s\n", r->stop_why);
	if (r->reverted)
		fprintf(out, "Host: as it was found (every change reverted through the journal)\n");
	else
		fprintf(out, "Host: NOT fully restored: %s\n", r->revert_why);
}

/* ---------- JSON ---------- */

static jo *jnum(double v)
{
	return isnan(v) ? NULL : jw_double(v);
}

static jo *phase_json(const struct eval_phase *ph)
{
	jo *o = json_object_new_object();
	jw_put(o, "round", jw_uint(ph->round));
	jw_put(o, "duration_s", jw_double(ph->duration_s));
	jw_put(o, "steps", jw_u64(ph->steps));
	for (int m = 0; m < EM_MAX; m++)
		jw_put(o, metric[m].json, jnum(ph->m[m]));
	jo *cs = json_object_new_array();
	for (size_t i = 0; i < ph->ncauses; i++) {
		jo *c = json_object_new_object();
		jw_put(c, "id", jw_str(ph->cause[i].id));
		jw_put(c, "share", jw_double(ph->cause[i].share));
		json_object_array_add(cs, c);
	}
	jw_put(o, "causes", cs);
	jw_put(o, "cut_short", jw_bool(ph->cut_short));
	return o;
}

static jo *kind_json(const struct eval_run *r, enum eval_kind k)
{
	jo *o = json_object_new_object(), *spread = json_object_new_object();
	for (int m = 0; m < EM_MAX; m++) {
		struct eval_compare c;
		eval_compare_metric(r, m, &c);
		jw_put(o, metric[m].json, jnum(c.s[k].median));
		jo *s = json_object_new_object();
		jw_put(s, "min", jnum(c.s[k].min));
		jw_put(s, "max", jnum(c.s[k].max));
		jw_put(s, "n", jw_uint(c.s[k].n));
		jw_put(spread, metric[m].json, s);
	}
	jw_put(o, "spread", spread);
	jo *rounds = json_object_new_array();
	for (size_t i = 0; i < r->nphases; i++)
		if (r->phase[i].kind == k)
			json_object_array_add(rounds, phase_json(&r->phase[i]));
	jw_put(o, "rounds", rounds);
	return o;
}

struct json_object *eval_report_json(const struct eval_run *r)
{
	jo *o = json_object_new_object();
	jw_put(o, "schema", jw_str(EVAL_SCHEMA));
	jw_put(o, "profile_name", jw_str(r->profile));
	jo *t = json_object_new_object();
	jw_put(t, "pid", jw_int(r->pid));
	jw_put(t, "comm", jw_known(r->comm));
	jw_put(t, "cpus", jw_known(r->cpus));
	jw_put(o, "target", t);
	jw_put(o, "rounds_requested", jw_uint(r->rounds));
	jw_put(o, "duration_s", jw_uint(r->duration_s));
	jw_put(o, "baseline", kind_json(r, EVAL_BASELINE));
	jw_put(o, "profile", kind_json(r, EVAL_PROFILE));
	jo *cmp = json_object_new_object();
	for (int m = 0; m < EM_MAX; m++) {
		struct eval_compare c;
		eval_compare_metric(r, m, &c);
		jo *x = json_object_new_object();
		jw_put(x, "ratio", jnum(c.ratio));
		jw_put(x, "exceeds_noise", jw_bool(c.exceeds));
		jw_put(cmp, metric[m].json, x);
	}
	jw_put(o, "compare", cmp);
	jo *e = json_object_new_object();
	jw_put(e, "warm_cpu", jw_str(r->warm_note));
	jw_put(e, "rapl", jw_bool(r->rapl));
	jw_put(e, "rapl_why", r->rapl ? NULL : jw_str(r->rapl_why));
	jw_put(o, "energy", e);
	jw_put(o, "interrupted", jw_bool(r->interrupted));
	jw_put(o, "agent_exited", jw_bool(r->agent_exited));
	jw_put(o, "stopped_early", r->stop_why[0] ? jw_str(r->stop_why) : NULL);
	jw_put(o, "host_restored", jw_bool(r->reverted));
	jw_put(o, "restore_why", r->reverted ? NULL : jw_str(r->revert_why));
	return o;
}
