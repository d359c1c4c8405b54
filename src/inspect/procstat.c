/* inspect/procstat: CPU time from /proc/stat and the threads of a process from
 * /proc/PID/task/TID/stat (procstat.h).
 *
 * /proc/stat (fs/proc/stat.c) starts with "cpu  user nice system idle iowait
 * irq softirq steal guest guest_nice", then one "cpuN" line per online CPU,
 * then intr, ctxt, btime, processes...  Kernels before 2.6.33 print fewer
 * columns (2.4: the first four); later ones may print more.  Lines this
 * reader does not know are skipped, not checked: intr alone can be longer
 * than everything else. */
#include "inspect/procstat.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cpumask.h"
#include "base/procfs_text.h"

#define STAT_FILE "/proc/stat"
#define CPU_MIN_COLUMNS 4   /* user nice system idle: every kernel has them */
#define CPU_COLUMNS 10      /* up to guest_nice */
#define TASK_MIN_FIELDS 15  /* up to stime */
#define TASK_START_FIELD 22 /* starttime */
#define TASK_CPU_FIELD 39   /* processor */

static bool tok_is(const char *p, const char *t, const char *word)
{
	size_t n = strlen(word);
	return (size_t)(t - p) == n && !memcmp(p, word, n);
}

/* The counts after the label of a cpu line, into t. */
static int cpu_counts(const char *p, const char *e, struct cpu_times *t,
		      struct parse_error *err, int line)
{
	uint64_t c[CPU_COLUMNS] = { 0 }, sum, v;
	unsigned n = pt_counts(&p, e, c, CPU_COLUMNS, &sum), cols = n;

	/* A kernel newer than this reader may print more columns. */
	for (; n == CPU_COLUMNS && p < e && pt_count_at(p, e, &v) == 1; cols++)
		p = pt_skip_space(pt_tok_end(p, e), e);
	if (p < e) {
		int rc = pt_count_at(p, e, &v);
		perr_set(err, STAT_FILE, line, "%s (column %u)",
			 rc < 0 ? "count out of range" : "not a count", cols + 1);
		return -EINVAL;
	}
	if (n < CPU_MIN_COLUMNS) {
		perr_set(err, STAT_FILE, line, "%u counts, want at least %d", n,
			 CPU_MIN_COLUMNS);
		return -EINVAL;
	}
	t->user = c[0];
	t->nice = c[1];
	t->system = c[2];
	t->idle = c[3];
	t->iowait = c[4];
	t->irq = c[5];
	t->softirq = c[6];
	t->steal = c[7];
	/* c[8], c[9]: guest and guest_nice, already inside user and nice. */
	return 0;
}

static int add_cpu(struct procstat *out, size_t *cap, const struct cpu_times *t)
{
	struct cpu_times *v = grow(out->cpu, out->n, cap, sizeof(*v), 16);
	if (!v)
		return -ENOMEM;
	out->cpu = v;
	out->cpu[out->n++] = *t;
	return 0;
}

/* A "cpu" or "cpuN" line whose label ends at t. */
static int cpu_line(const char *p, const char *t, const char *e, struct procstat *out,
		    size_t *cap, bool *have_all, struct parse_error *err, int line)
{
	struct cpu_times ct = { .cpu = UINT32_MAX };
	uint64_t n;

	if (t - p > 3) {
		if (pt_count_at(p + 3, t, &n) != 1 || n >= CPUMASK_MAX_CPUS) {
			perr_set(err, STAT_FILE, line, "CPU number out of range");
			return -EINVAL;
		}
		ct.cpu = (unsigned)n;
		if (out->n && out->cpu[out->n - 1].cpu >= ct.cpu) {
			perr_set(err, STAT_FILE, line, "cpu%u after cpu%u", ct.cpu,
				 out->cpu[out->n - 1].cpu);
			return -EINVAL;
		}
	} else if (*have_all) {
		perr_set(err, STAT_FILE, line, "a second \"cpu\" line");
		return -EINVAL;
	}
	int rc = cpu_counts(t, e, &ct, err, line);
	if (rc)
		return rc;
	if (ct.cpu != UINT32_MAX)
		return add_cpu(out, cap, &ct);
	out->all = ct;
	*have_all = true;
	return 0;
}

static int ctxt_line(const char *p, const char *e, struct procstat *out,
		     struct parse_error *err, int line)
{
	p = pt_skip_space(p, e);
	const char *t = pt_tok_end(p, e);
	if (pt_count_at(p, t, &out->ctxt) != 1 || pt_skip_space(t, e) != e) {
		perr_set(err, STAT_FILE, line, "ctxt is not a count");
		return -EINVAL;
	}
	return 0;
}

static int parse_line(const char *p, const char *e, struct procstat *out, size_t *cap,
		      bool *have_all, struct parse_error *err, int line)
{
	p = pt_skip_space(p, e);
	const char *t = pt_tok_end(p, e);

	/* "cpu" and "cpuN"; not "cpufoo", should a kernel ever print one. */
	if (t - p >= 3 && !memcmp(p, "cpu", 3) && (t - p == 3 || pt_all_digits(p + 3, t)))
		return cpu_line(p, t, e, out, cap, have_all, err, line);
	if (tok_is(p, t, "ctxt"))
		return ctxt_line(t, e, out, err, line);
	return 0;
}

int procstat_parse(const char *buf, size_t len, struct procstat *out, struct parse_error *err)
{
	struct pt_lines it = PT_LINES(buf, len);
	size_t cap = 0;
	bool have_all = false;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->ctxt = NA_U64;
	while (!rc && pt_next_line(&it))
		rc = parse_line(it.s, it.e, out, &cap, &have_all, err, it.line);
	if (rc == -ENOMEM)
		perr_set(err, STAT_FILE, it.line, "out of memory");
	if (!rc && !have_all) {
		perr_set(err, STAT_FILE, 1, "no \"cpu\" line");
		rc = -EINVAL;
	}
	if (rc)
		procstat_free(out);
	return rc;
}

int procstat_read(const struct host *h, struct procstat *out, struct parse_error *err)
{
	char *buf;
	size_t len;

	memset(out, 0, sizeof(*out));
	out->ctxt = NA_U64;
	int rc = pt_read(h, STAT_FILE, &buf, &len, err);
	if (rc)
		return rc;
	rc = procstat_parse(buf, len, out, err);
	free(buf);
	return rc;
}

void procstat_free(struct procstat *s)
{
	if (!s)
		return;
	free(s->cpu);
	memset(s, 0, sizeof(*s));
	s->ctxt = NA_U64;
}

/* s->cpu ascends strictly: procstat_parse rejects anything else. */
const struct cpu_times *procstat_cpu(const struct procstat *s, unsigned cpu)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->cpu[mid].cpu == cpu)
			return &s->cpu[mid];
		if (s->cpu[mid].cpu < cpu)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The sums wrap rather than saturate: top subtracts two samples, and the
 * difference of wrapped sums is still right. */
uint64_t cpu_times_busy(const struct cpu_times *t)
{
	return t->user + t->nice + t->system + t->irq + t->softirq + t->steal;
}

uint64_t cpu_times_total(const struct cpu_times *t)
{
	return cpu_times_busy(t) + t->idle + t->iowait;
}

/* ---- /proc/PID/task/TID/stat ---- */

/* Moves [*p, *t) on to the token of field number field (1-based, as in
 * proc(5)); *at is the number of the field it holds.  false when the line
 * is shorter. */
static bool field_at(const char **p, const char **t, const char *e, int *at, int field)
{
	while (*at < field) {
		*p = pt_skip_space(*t, e);
		if (*p == e)
			return false;
		*t = pt_tok_end(*p, e);
		(*at)++;
	}
	return true;
}

static bool field_u64(const char **p, const char **t, const char *e, int *at, int field,
		      uint64_t *out)
{
	return field_at(p, t, e, at, field) && pt_count_at(*p, *t, out) == 1;
}

int task_stat_parse(const char *buf, size_t len, struct task_stat *out)
{
	const char *e = buf + len;
	const char *lp = memchr(buf, '(', len), *rp;
	uint64_t v;

	memset(out, 0, sizeof(*out));
	out->cpu = -1;
	if (!lp || !(rp = memrchr(lp + 1, ')', (size_t)(e - lp - 1))))
		return -EINVAL;
	/* "TID (" */
	const char *p = pt_skip_space(buf, lp), *t = pt_tok_end(p, lp);
	if (pt_count_at(p, t, &v) != 1 || !v || v > INT_MAX || pt_skip_space(t, lp) != lp)
		return -EINVAL;
	out->tid = (int)v;
	copy_strn(out->comm, sizeof(out->comm), lp + 1, (size_t)(rp - lp - 1));

	/* The fields after comm end with the line; comm may hold a '\n'. */
	const char *nl = memchr(rp, '\n', (size_t)(e - rp));
	if (nl)
		e = nl;
	int at = 2;
	t = rp + 1;
	if (!field_at(&p, &t, e, &at, 3) || t - p != 1)
		return -EINVAL;
	out->state = *p;
	if (!field_u64(&p, &t, e, &at, 14, &out->utime) ||
	    !field_u64(&p, &t, e, &at, TASK_MIN_FIELDS, &out->stime))
		return -EINVAL;
	if (!field_at(&p, &t, e, &at, TASK_START_FIELD))
		return 0;
	if (pt_count_at(p, t, &out->starttime) != 1)
		return -EINVAL;
	if (!field_at(&p, &t, e, &at, TASK_CPU_FIELD))
		return 0; /* a kernel too old to print processor */
	if (pt_count_at(p, t, &v) != 1 || v >= CPUMASK_MAX_CPUS)
		return -EINVAL;
	out->cpu = (int)v;
	return 0;
}

static int cmp_tid(const void *a, const void *b)
{
	const struct task_stat *x = a, *y = b;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* The thread of task/name, its stat into t: false when the thread is gone,
 * or its stat is not one or names another thread. */
/* schedstat's first field: nanoseconds on a CPU, exact where utime/stime are
 * sampled at the tick (a loop whose period is the tick's can look idle). */
static void read_run_ns(const struct host *h, int pid, const char *name, struct task_stat *t)
{
	char path[96], line[128];

	t->run_ns = NA_U64;
	if (!pathf(path, sizeof(path), "/proc/%d/task/%s/schedstat", pid, name) ||
	    host_read_line(h, path, line, sizeof(line)) < 0)
		return;
	line[strcspn(line, " ")] = '\0';
	if (!parse_u64(line, &t->run_ns))
		t->run_ns = NA_U64;
}

static bool read_task(const struct host *h, int pid, const char *name, struct task_stat *t)
{
	char path[96];
	size_t len, n = strlen(name);

	if (n > 10 || !pt_all_digits(name, name + n) ||
	    !pathf(path, sizeof(path), "/proc/%d/task/%s/stat", pid, name))
		return false;
	char *buf = host_read(h, path, &len);
	if (!buf)
		return false;
	int rc = task_stat_parse(buf, len, t);
	free(buf);
	/* A stat that does not name its own directory is not that thread's. */
	char num[16];
	snprintf(num, sizeof(num), "%d", t->tid);
	if (rc || strcmp(num, name))
		return false;
	read_run_ns(h, pid, name, t);
	return true;
}

int task_list_read(const struct host *h, int pid, struct task_list *out)
{
	char dir[64];
	struct strlist names;

	memset(out, 0, sizeof(*out));
	out->pid = pid;
	if (pid <= 0)
		return -ESRCH;
	snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	int rc = host_list(h, dir, &names);
	if (rc)
		return rc == -ENOENT ? -ESRCH : rc;
	if (names.n) {
		out->t = calloc(names.n, sizeof(*out->t));
		if (!out->t) {
			strlist_free(&names);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < names.n; i++)
		if (read_task(h, pid, names.v[i], &out->t[out->n]))
			out->n++;
	strlist_free(&names);
	if (out->n > 1)
		qsort(out->t, out->n, sizeof(*out->t), cmp_tid);
	return 0;
}

void task_list_free(struct task_list *l)
{
	if (!l)
		return;
	free(l->t);
	memset(l, 0, sizeof(*l));
}
