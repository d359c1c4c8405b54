/* top/top_view: a top_frame as lines of plain text (top_view.h).
 *
 * Every pane is a table of fixed-width columns separated by one space;
 * numbers are right-aligned and formatted to fit their column (abbreviated
 * with k/M/G... when the plain figure is too wide), text cells are cut with
 * a '~' mark, and the last column takes whatever the line has left.  When
 * the width cannot hold every column, columns are dropped from the right,
 * never the first ones (the row's identity and its main figure).  Lines are
 * printable ASCII only, so a byte is a screen column and rows line up. */
#include "top/top_view.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/cpuidle.h"
#include "base/util.h"

#define NUM_SZ 32          /* a formatted number or short cell */
#define ROW_SZ 2048        /* a row before it is cut: every cell is bounded */
#define MAX_COLS 32
#define IRQ_CPUS_W 24      /* widest CPUS cell of the IRQ pane */

/* ---------- lines ---------- */

void top_lines_free(struct top_lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
	memset(l, 0, sizeof(*l));
}

/* Appends s[0..n) cut to width; bytes a terminal would interpret (controls,
 * escapes) or draw wider than one column (non-ASCII) become '?'. */
static void lines_add(struct top_lines *l, unsigned width, const char *s, size_t n)
{
	if (n > width)
		n = width;
	char **nv = grow(l->line, l->n, &l->cap, sizeof(*nv), 16);
	if (!nv)
		return;
	l->line = nv;
	char *line = malloc(n + 1);
	if (!line)
		return;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		line[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	line[n] = '\0';
	l->line[l->n++] = line;
}

void top_lines_addf(struct top_lines *l, unsigned width, const char *fmt, ...)
{
	char small[512];
	va_list ap, again;
	va_start(ap, fmt);
	va_copy(again, ap);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(small)) {
		lines_add(l, width, small, (size_t)n);
	} else if (n >= 0) {
		char *big = malloc((size_t)n + 1);
		if (big) {
			vsnprintf(big, (size_t)n + 1, fmt, again);
			lines_add(l, width, big, (size_t)n);
			free(big);
		}
	}
	va_end(again);
}

/* ---------- numbers ---------- */

/* v in thousands, millions...: "12.3k", "123k", "1.2M": at most 5
 * characters for positive v below 1e21. */
static void abbrev(char *buf, size_t sz, double v)
{
	static const char suffix[] = "kMGTPE";
	double a = fabs(v);
	const char *sign = v < 0 ? "-" : "";
	for (size_t k = 0; k < sizeof(suffix) - 1; k++) {
		a /= 1000;
		if (a < 99.95) {
			snprintf(buf, sz, "%s%.1f%c", sign, a, suffix[k]);
			return;
		}
		if (a < 999.5) {
			snprintf(buf, sz, "%s%.0f%c", sign, a, suffix[k]);
			return;
		}
	}
	snprintf(buf, sz, "%.0e", v);
}

/* v in at most w characters: with dec decimals if they fit, else none,
 * else abbreviated; "-" when unavailable (NaN). */
static void fmt_num(char *buf, size_t sz, double v, unsigned w, int dec)
{
	if (isnan(v)) {
		copy_str(buf, sz, "-");
		return;
	}
	for (int d = dec; d >= 0; d--) {
		snprintf(buf, sz, "%.*f", d, v);
		if (strlen(buf) <= w)
			return;
	}
	abbrev(buf, sz, v);
	if (strlen(buf) > w)
		buf[w < sz ? w : sz - 1] = '\0';
}

/* Rates: one decimal only below 10, where it still says something. */
static void fmt_rate(char *buf, size_t sz, double v, unsigned w)
{
	fmt_num(buf, sz, v, w, fabs(v) < 10 && v != floor(v) ? 1 : 0);
}

/* A share 0..1 as a percentage with one decimal. */
static void fmt_pct(char *buf, size_t sz, double share, unsigned w)
{
	fmt_num(buf, sz, share * 100, w, 1);
}

/* Compact rate for lists: abbreviated from 1000 on ("1.2k"). */
static void fmt_compact(char *buf, size_t sz, double v)
{
	if (fabs(v) >= 999.5)
		abbrev(buf, sz, v);
	else
		fmt_rate(buf, sz, v, 5);
}

/* pm_qos_resume_latency_us: "n/a" (no latency tolerated), "-" (no
 * constraint), "20us", "?" (unreadable). */
static void fmt_qos(char *buf, size_t sz, int64_t us, unsigned w)
{
	if (us == PMQOS_NA) {
		copy_str(buf, sz, "n/a");
	} else if (us == 0) {
		copy_str(buf, sz, "-");
	} else if (us < 0) {
		copy_str(buf, sz, "?");
	} else {
		snprintf(buf, sz, "%lldus", (long long)us);
		if (strlen(buf) > w) {
			char num[NUM_SZ];
			abbrev(num, sizeof(num), (double)us);
			snprintf(buf, sz, "%sus", num);
		}
	}
}

static unsigned digits(unsigned long long v)
{
	unsigned n = 1;
	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static const char *s_or(const char *s, const char *dflt)
{
	return s && s[0] ? s : dflt;
}

/* The greater of cur and the length of s, counting at most hi. */
static unsigned width_of(unsigned cur, const char *s, unsigned hi)
{
	size_t n = strlen(s);
	if (n > hi)
		n = hi;
	return n > cur ? (unsigned)n : cur;
}

/* NaN sorts after every number; larger first. */
static int cmp_desc(double a, double b)
{
	bool na = isnan(a), nb = isnan(b);
	if (na || nb)
		return na - nb;
	return a > b ? -1 : a < b;
}

/* ---------- rows and tables ---------- */

struct row {
	char s[ROW_SZ];
	size_t len;
};

static void row_put(struct row *r, const char *s, size_t n)
{
	if (n > sizeof(r->s) - 1 - r->len)
		n = sizeof(r->s) - 1 - r->len;
	memcpy(r->s + r->len, s, n);
	r->len += n;
	r->s[r->len] = '\0';
}

static void row_pad(struct row *r, size_t n)
{
	while (n--)
		row_put(r, " ", 1);
}

struct col {
	const char *head;
	unsigned w;       /* cell width; for the last column, its least */
	bool right;       /* numbers */
	bool rest;        /* last column: takes what remains of the line */
};

struct table {
	struct col col[MAX_COLS];
	size_t ncol;
	size_t shown;     /* columns that fit the width, from the left */
	unsigned width;
};

static void col_add(struct table *t, const char *head, unsigned w, bool right)
{
	if (t->ncol == MAX_COLS)
		return;
	if (w < strlen(head))
		w = (unsigned)strlen(head);
	t->col[t->ncol++] = (struct col){ .head = head, .w = w, .right = right };
}

static void col_rest(struct table *t, const char *head)
{
	col_add(t, head, 0, false);
	t->col[t->ncol - 1].rest = true;
}

/* Keeps the columns that fit, from the left; the first `keep` always stay
 * (the line is cut if even they do not fit). */
static void table_fit(struct table *t, size_t keep)
{
	size_t pos = 0;
	t->shown = 0;
	for (size_t i = 0; i < t->ncol; i++) {
		size_t need = t->col[i].w + (i ? 1 : 0);
		if (i >= keep && pos + need > t->width)
			break;
		pos += need;
		t->shown++;
	}
}

static void row_cell(struct row *r, const struct col *c, bool first, const char *text)
{
	if (!first)
		row_put(r, " ", 1);
	size_t n = strlen(text);
	if (c->rest) {
		row_put(r, text, n);
	} else if (n > c->w) {
		/* Cut text ends in '~' so it does not pass for the whole value. */
		if (c->w) {
			row_put(r, text, c->w - 1);
			row_put(r, "~", 1);
		}
	} else if (c->right) {
		row_pad(r, c->w - n);
		row_put(r, text, n);
	} else {
		row_put(r, text, n);
		row_pad(r, c->w - n);
	}
}

/* One line: the first ncell cells (as far as shown), then tail (free text
 * in place of the remaining columns) if not NULL. */
static void table_emit(const struct table *t, struct top_lines *out, const char *const *cell,
		       size_t ncell, const char *tail)
{
	struct row r;
	r.len = 0;
	r.s[0] = '\0';
	size_t n = ncell < t->shown ? ncell : t->shown;
	for (size_t i = 0; i < n; i++)
		row_cell(&r, &t->col[i], i == 0, cell[i]);
	if (tail) {
		if (r.len)
			row_put(&r, " ", 1);
		row_put(&r, tail, strlen(tail));
	}
	if (r.len > t->width)
		r.len = t->width;
	while (r.len && r.s[r.len - 1] == ' ')
		r.len--;
	lines_add(out, t->width, r.s, r.len);
}

static void table_header(const struct table *t, struct top_lines *out)
{
	const char *cell[MAX_COLS];
	for (size_t i = 0; i < t->ncol; i++)
		cell[i] = t->col[i].head;
	table_emit(t, out, cell, t->ncol, NULL);
}

/* ---------- sorting ---------- */

/* Rows to sort: a key and the row's position in the frame. */
struct sort_ent {
	double key;
	unsigned id;      /* tie-break: CPU number, IRQ order, frame order */
	size_t idx;
};

static int cmp_ent(const void *x, const void *y)
{
	const struct sort_ent *a = x, *b = y;
	int r = cmp_desc(a->key, b->key);
	if (r)
		return r;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* ---------- CPU pane ---------- */

static const char *const si_head[TSI_MAX] = {
	[TSI_NET_RX] = "NET_RX", [TSI_TIMER] = "TIMER", [TSI_SCHED] = "SCHED",
	[TSI_RCU] = "RCU",       [TSI_BLOCK] = "BLOCK", [TSI_OTHER] = "OTHER",
};

struct cpu_layout {
	struct table t;
	size_t nidle;
	char idle_head[TOP_IDLE_MAX][9];
	bool mhz, win;
};

static void cpu_layout(const struct top_frame *f, unsigned width, struct cpu_layout *L)
{
	memset(L, 0, sizeof(*L));
	L->t.width = width;
	L->nidle = f->nidle < TOP_IDLE_MAX ? f->nidle : TOP_IDLE_MAX;
	unsigned idw = 3, winw = 3;
	for (size_t i = 0; i < f->ncpus; i++) {
		const struct top_cpu *c = &f->cpus[i];
		unsigned d = digits(c->cpu);
		if (d > idw)
			idw = d;
		if (!isnan(c->freq_mhz))
			L->mhz = true;
		if (c->window[0]) {
			L->win = true;
			winw = width_of(winw, c->window, sizeof(c->window) - 1);
		}
	}
	/* What an agent loop is about first (its steps, the PM QoS constraint
	 * on the CPU): a narrow screen drops columns from the right. */
	col_add(&L->t, "CPU", idw, false);
	col_add(&L->t, "%UTIL", 5, true);
	col_add(&L->t, "STEPS/s", 7, true);
	col_add(&L->t, "QOS", 7, true);
	if (L->win)
		col_add(&L->t, "WIN", winw, false);
	col_add(&L->t, "IRQ/s", 6, true);
	for (size_t i = 0; i < TSI_MAX; i++)
		col_add(&L->t, si_head[i], 5, true);
	for (size_t i = 0; i < L->nidle; i++) {
		const char *name = f->idle_names[i][0] ? f->idle_names[i] : "?";
		copy_strn(L->idle_head[i], sizeof(L->idle_head[i]), name,
			  strnlen(name, sizeof(f->idle_names[i])));
		col_add(&L->t, L->idle_head[i], 5, true);
	}
	if (L->mhz)
		col_add(&L->t, "MHz", 5, true);
	col_rest(&L->t, "THREADS");
	table_fit(&L->t, 2);
}

/* The threads string, and "+K" for those it had no room for. */
static void threads_cell(char *buf, size_t sz, const struct top_cpu *c)
{
	unsigned tokens = 0;
	for (const char *p = c->threads; *p;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		tokens++;
		while (*p && *p != ' ')
			p++;
	}
	if (c->nthreads > tokens)
		snprintf(buf, sz, "%s%s+%u", c->threads, c->threads[0] ? " " : "",
			 c->nthreads - tokens);
	else
		copy_str(buf, sz, c->threads);
}

static void cpu_row(const struct cpu_layout *L, const struct top_cpu *c, const char *label,
		    struct top_lines *out)
{
	const struct col *col = L->t.col;
	char nb[MAX_COLS][NUM_SZ], threads[sizeof(c->threads) + 16];
	const char *cell[MAX_COLS];
	size_t n = 0;

	if (label)
		copy_str(nb[n], NUM_SZ, label);
	else
		snprintf(nb[n], NUM_SZ, "%u", c->cpu);
	cell[n] = nb[n];
	n++;
	fmt_pct(nb[n], NUM_SZ, c->util, col[n].w);
	cell[n] = nb[n];
	n++;
	fmt_rate(nb[n], NUM_SZ, c->steps_rate, col[n].w);
	cell[n] = nb[n];
	n++;
	fmt_qos(nb[n], NUM_SZ, c->resume_latency_us, col[n].w);
	cell[n] = nb[n];
	n++;
	if (L->win)
		cell[n++] = s_or(c->window, "-");
	fmt_rate(nb[n], NUM_SZ, c->irq_rate, col[n].w);
	cell[n] = nb[n];
	n++;
	for (size_t i = 0; i < TSI_MAX; i++, n++) {
		fmt_rate(nb[n], NUM_SZ, c->softirq_rate[i], col[n].w);
		cell[n] = nb[n];
	}
	for (size_t i = 0; i < L->nidle; i++, n++) {
		fmt_pct(nb[n], NUM_SZ, c->idle_share[i], col[n].w);
		cell[n] = nb[n];
	}
	if (L->mhz) {
		fmt_num(nb[n], NUM_SZ, c->freq_mhz, col[n].w, 0);
		cell[n] = nb[n];
		n++;
	}
	threads_cell(threads, sizeof(threads), c);
	cell[n++] = threads;
	table_emit(&L->t, out, cell, n, NULL);
}

static double cpu_key(const struct top_cpu *c, unsigned sort)
{
	switch (sort) {
	case 1: return c->util;
	case 2: return c->irq_rate;
	case 3: return c->softirq_total;
	case 4: return c->steps_rate;
	default: return 0;
	}
}

static void render_cpus(const struct top_frame *f, unsigned sort, unsigned width,
			struct top_lines *out)
{
	struct cpu_layout L;
	cpu_layout(f, width, &L);
	table_header(&L.t, out);
	cpu_row(&L, &f->all, "all", out);
	if (!f->ncpus)
		return;
	struct sort_ent *e = malloc(f->ncpus * sizeof(*e));
	if (!e)
		return;
	for (size_t i = 0; i < f->ncpus; i++)
		e[i] = (struct sort_ent){ cpu_key(&f->cpus[i], sort), f->cpus[i].cpu, i };
	qsort(e, f->ncpus, sizeof(*e), cmp_ent);
	for (size_t i = 0; i < f->ncpus; i++)
		cpu_row(&L, &f->cpus[e[i].idx], NULL, out);
	free(e);
}

/* ---------- IRQ pane ---------- */

/* "1:1.2k 0:30 +3" in at most maxw characters: the busiest CPUs that fit,
 * then how many CPUs with a rate were left out. */
static void irq_cpus_cell(char *buf, size_t sz, const struct top_irq *q, size_t maxw)
{
	size_t listed = q->ncpus < TOP_IRQ_CPUS ? q->ncpus : TOP_IRQ_CPUS;
	size_t len = 0, shown = 0;
	buf[0] = '\0';
	for (; shown < listed; shown++) {
		char rate[NUM_SZ], piece[2 * NUM_SZ], more[NUM_SZ] = "";
		fmt_compact(rate, sizeof(rate), q->cpu[shown].rate);
		int pn = snprintf(piece, sizeof(piece), "%s%u:%s", len ? " " : "",
				  q->cpu[shown].cpu, rate);
		int mn = 0;
		if (q->ncpus > shown + 1)
			mn = snprintf(more, sizeof(more), " +%zu", q->ncpus - shown - 1);
		if (len + (size_t)pn + (size_t)mn > maxw || len + (size_t)pn >= sz)
			break;
		memcpy(buf + len, piece, (size_t)pn + 1);
		len += (size_t)pn;
	}
	if (q->ncpus > shown)
		snprintf(buf + len, sz - len, "%s+%zu", len ? " " : "", q->ncpus - shown);
	else if (!q->ncpus)
		copy_str(buf, sz, "-");
}

struct irq_layout {
	struct table t;
	unsigned cpusw;
};

static void irq_layout(const struct top_frame *f, unsigned width, struct irq_layout *L)
{
	memset(L, 0, sizeof(*L));
	L->t.width = width;
	unsigned labw = 3, affw = 1, effw = 1, namew = 1, cpusw = 1;
	for (size_t i = 0; i < f->nirqs; i++) {
		const struct top_irq *q = &f->irqs[i];
		char cpus[128];
		labw = width_of(labw, q->label, 12);
		affw = width_of(affw, q->affinity, 16);
		effw = width_of(effw, q->effective, 16);
		namew = width_of(namew, q->name, 24);
		irq_cpus_cell(cpus, sizeof(cpus), q, sizeof(cpus) - 1);
		cpusw = width_of(cpusw, cpus, IRQ_CPUS_W);
	}
	col_add(&L->t, "IRQ", labw, false);
	col_add(&L->t, "RATE/s", 7, true);
	col_add(&L->t, "CPUS", cpusw, false);
	L->cpusw = L->t.col[2].w;
	col_add(&L->t, "AFFINITY", affw, false);
	col_add(&L->t, "EFFECTIVE", effw, false);
	col_add(&L->t, "NAME", namew, false);
	col_rest(&L->t, "DEVICE");
	table_fit(&L->t, 2);
}

static void irq_row(const struct irq_layout *L, const struct top_irq *q, struct top_lines *out)
{
	char rate[NUM_SZ], cpus[128];
	fmt_rate(rate, sizeof(rate), q->rate, L->t.col[1].w);
	irq_cpus_cell(cpus, sizeof(cpus), q, L->cpusw);
	const char *cell[] = {
		q->label, rate, cpus, s_or(q->affinity, "-"), s_or(q->effective, "-"),
		s_or(q->name, "-"), s_or(q->device, "-"),
	};
	table_emit(&L->t, out, cell, ARRAY_SIZE(cell), NULL);
}

/* Numbered IRQs by number, then the others ("LOC", "NMI") by label. */
static int cmp_irq_id(const struct top_irq *a, const struct top_irq *b)
{
	if (a->numbered != b->numbered)
		return a->numbered ? -1 : 1;
	if (a->numbered && a->irq != b->irq)
		return a->irq < b->irq ? -1 : 1;
	return strncmp(a->label, b->label, sizeof(a->label));
}

/* The pane's sort order over the frame's IRQs (qsort has no context). */
struct irq_ent {
	const struct top_irq *q;
	unsigned sort;
	size_t idx;
};

static int cmp_irq_ent(const void *x, const void *y)
{
	const struct irq_ent *a = x, *b = y;
	int r = 0;
	if (a->sort == 0) {
		r = cmp_desc(a->q->rate, b->q->rate);
	} else if (a->sort == 2) {
		/* Unnamed rows after the named ones. */
		bool ea = !a->q->name[0], eb = !b->q->name[0];
		r = ea != eb ? ea - eb : strncmp(a->q->name, b->q->name, sizeof(a->q->name));
	}
	if (!r)
		r = cmp_irq_id(a->q, b->q);
	if (!r)
		r = a->idx < b->idx ? -1 : a->idx > b->idx;
	return r;
}

static void render_irqs(const struct top_frame *f, unsigned sort, unsigned width,
			struct top_lines *out)
{
	struct irq_layout L;
	irq_layout(f, width, &L);
	table_header(&L.t, out);
	if (!f->nirqs)
		return;
	struct irq_ent *e = malloc(f->nirqs * sizeof(*e));
	if (!e)
		return;
	for (size_t i = 0; i < f->nirqs; i++)
		e[i] = (struct irq_ent){ &f->irqs[i], sort, i };
	qsort(e, f->nirqs, sizeof(*e), cmp_irq_ent);
	for (size_t i = 0; i < f->nirqs; i++)
		irq_row(&L, e[i].q, out);
	free(e);
}

/* ---------- agent pane ---------- */

#define AGENT_ID_COLS 2   /* PID COMM */
#define AGENT_PROC_COLS 5 /* PID COMM THR CPU% CPUS: known without BPF */

static void agent_layout(const struct top_frame *f, unsigned width, struct table *t)
{
	memset(t, 0, sizeof(*t));
	t->width = width;
	unsigned pidw = 3, commw = 4, cpusw = 4;
	for (size_t i = 0; i < f->nagents; i++) {
		const struct top_agent *a = &f->agents[i];
		unsigned d = digits(a->pid < 0 ? 0 : (unsigned long long)a->pid);
		if (d > pidw)
			pidw = d;
		commw = width_of(commw, a->comm, sizeof(a->comm) - 1);
		cpusw = width_of(cpusw, a->cpus, 16);
	}
	col_add(t, "PID", pidw, false);
	col_add(t, "COMM", commw, false);
	col_add(t, "THR", 4, true);
	col_add(t, "CPU%", 6, true);
	col_add(t, "CPUS", cpusw, false);
	col_add(t, "STEPS/s", 7, true);
	col_add(t, "P50us", 6, true);
	col_add(t, "P99us", 6, true);
	col_add(t, "IDLEX%", 6, true);
	col_add(t, "INTF%", 6, true);
	col_rest(t, "CAUSE");
	table_fit(t, AGENT_ID_COLS);
}

static void agent_row(const struct table *t, const struct top_agent *a, struct top_lines *out)
{
	const struct col *col = t->col;
	char pid[NUM_SZ], thr[NUM_SZ], util[NUM_SZ], steps[NUM_SZ], p50[NUM_SZ], p99[NUM_SZ];
	char idlex[NUM_SZ], intf[NUM_SZ], cause[sizeof(a->cause) + NUM_SZ];
	char why[sizeof(a->why) + 16];

	snprintf(pid, sizeof(pid), "%d", a->pid);
	fmt_num(thr, sizeof(thr), a->nthreads, col[2].w, 0);
	fmt_pct(util, sizeof(util), a->util, col[3].w);
	fmt_rate(steps, sizeof(steps), a->steps_rate, col[5].w);
	fmt_rate(p50, sizeof(p50), a->wake_run_p50_us, col[6].w);
	fmt_rate(p99, sizeof(p99), a->wake_run_p99_us, col[7].w);
	fmt_pct(idlex, sizeof(idlex), a->idle_exit_share, col[8].w);
	fmt_pct(intf, sizeof(intf), a->interference_share, col[9].w);
	if (isnan(a->cause_share) || !a->cause[0])
		copy_str(cause, sizeof(cause), s_or(a->cause, "-"));
	else
		snprintf(cause, sizeof(cause), "%s %.0f%%", a->cause, a->cause_share * 100);

	const char *cell[] = {
		pid, a->comm, thr, util, s_or(a->cpus, "-"), steps, p50, p99, idlex, intf, cause,
	};
	if (!a->alive) {
		table_emit(t, out, cell, AGENT_ID_COLS, "(exited)");
	} else if (!a->bpf) {
		snprintf(why, sizeof(why), "no BPF%s%s", a->why[0] ? ": " : "", a->why);
		table_emit(t, out, cell, AGENT_PROC_COLS, why);
	} else {
		table_emit(t, out, cell, ARRAY_SIZE(cell), NULL);
	}
}

/* Steps and p99 mean nothing for a row without BPF figures: those go last. */
static double agent_key(const struct top_agent *a, unsigned sort)
{
	if (sort == 0)
		return 0;
	if (!a->alive || !a->bpf)
		return NAN;
	return sort == 1 ? a->steps_rate : a->wake_run_p99_us;
}

static void render_agents(const struct top_frame *f, unsigned sort, unsigned width,
			  struct top_lines *out)
{
	struct table t;
	agent_layout(f, width, &t);
	table_header(&t, out);
	if (!f->nagents) {
		top_lines_addf(out, width,
			       "no --pid given: run agentune top --pid PID to follow an agent");
		return;
	}
	struct sort_ent *e = malloc(f->nagents * sizeof(*e));
	if (!e)
		return;
	for (size_t i = 0; i < f->nagents; i++)
		e[i] = (struct sort_ent){ agent_key(&f->agents[i], sort), 0, i };
	qsort(e, f->nagents, sizeof(*e), cmp_ent);
	for (size_t i = 0; i < f->nagents; i++)
		agent_row(&t, &f->agents[e[i].idx], out);
	free(e);
}

/* ---------- panes ---------- */

static const char *const sort_names[PANE_MAX][5] = {
	[PANE_CPU] = { "cpu", "util", "irq", "softirq", "steps" },
	[PANE_IRQ] = { "rate", "irq", "name" },
	[PANE_AGENT] = { "pid", "steps", "p99" },
};
static const unsigned sort_counts[PANE_MAX] = { 5, 3, 3 };

const char *top_pane_name(enum top_pane pane)
{
	static const char *const names[PANE_MAX] = { "CPUs", "IRQs", "Agents" };
	return (unsigned)pane < PANE_MAX ? names[pane] : "";
}

unsigned top_sort_count(enum top_pane pane)
{
	return (unsigned)pane < PANE_MAX ? sort_counts[pane] : 0;
}

/* A sort out of range is the default one, here and when rendering. */
static unsigned sort_of(enum top_pane pane, unsigned sort)
{
	return sort < top_sort_count(pane) ? sort : 0;
}

const char *top_sort_name(enum top_pane pane, unsigned sort)
{
	if ((unsigned)pane >= PANE_MAX)
		return "";
	return sort_names[pane][sort_of(pane, sort)];
}

void top_render_pane(const struct top_frame *f, enum top_pane pane, unsigned sort,
		     unsigned width, struct top_lines *out)
{
	top_lines_free(out);
	sort = sort_of(pane, sort);
	switch (pane) {
	case PANE_CPU:
		render_cpus(f, sort, width, out);
		break;
	case PANE_IRQ:
		render_irqs(f, sort, width, out);
		break;
	case PANE_AGENT:
		render_agents(f, sort, width, out);
		break;
	default:
		break;
	}
}

void top_pane_title(const struct top_frame *f, enum top_pane pane, unsigned sort,
		    unsigned width, char *buf, size_t sz)
{
	char t[128];
	const char *s = top_sort_name(pane, sort);
	switch (pane) {
	case PANE_CPU:
		snprintf(t, sizeof(t), "CPUs (%zu)  sort: %s", f->ncpus, s);
		break;
	case PANE_IRQ:
		snprintf(t, sizeof(t), "IRQs (%zu active)  sort: %s", f->nirqs, s);
		break;
	case PANE_AGENT:
		snprintf(t, sizeof(t), "Agents (%zu)  sort: %s", f->nagents, s);
		break;
	default:
		t[0] = '\0';
		break;
	}
	size_t n = strlen(t);
	copy_strn(buf, sz, t, n < width ? n : width);
}

/* ---------- header ---------- */

/* Header items packed into lines: an item goes on the current line when it
 * fits there, else it starts a new one (only a single item wider than the
 * screen is cut), so no label is lost on a narrow screen. */
struct pack {
	struct row r;
	unsigned width;
	struct top_lines *out;
};

static void pack_flush(struct pack *p)
{
	if (p->r.len)
		lines_add(p->out, p->width, p->r.s, p->r.len);
	p->r.len = 0;
	p->r.s[0] = '\0';
}

static void pack_item(struct pack *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void pack_item(struct pack *p, const char *fmt, ...)
{
	char item[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(item, sizeof(item), fmt, ap);
	va_end(ap);
	size_t n = strlen(item);
	if (p->r.len && p->r.len + 2 + n > p->width)
		pack_flush(p);
	if (p->r.len)
		row_put(&p->r, "  ", 2);
	row_put(&p->r, item, n);
}

void top_render_header(const struct top_frame *f, unsigned width, struct top_lines *out)
{
	const struct top_header *h = &f->hdr;
	struct pack p;
	p.r.len = 0;
	p.r.s[0] = '\0';
	p.width = width;
	p.out = out;
	top_lines_free(out);

	char interval[NUM_SZ] = "-";
	if (isfinite(f->elapsed_s) && f->elapsed_s > 0)
		snprintf(interval, sizeof(interval), "%.1fs", f->elapsed_s);
	pack_item(&p, "agentune top - %s", s_or(h->hostname, "?"));
	pack_item(&p, "kernel %s", s_or(h->kernel, "?"));
	pack_item(&p, "CPUs %u", h->ncpus);
	pack_item(&p, "IRQs %u", h->nirqs);
	pack_item(&p, "interval %s", interval);
	pack_item(&p, "frame #%u", f->seq);
	pack_flush(&p);

	pack_item(&p, "cpufreq: %s", s_or(h->cpufreq, "-"));
	pack_item(&p, "cpuidle: %s", s_or(h->cpuidle, "-"));
	pack_item(&p, "PM QoS: %s", s_or(h->pmqos, "-"));
	pack_flush(&p);

	pack_item(&p, "profile: %s", s_or(h->profile, "-"));
	pack_item(&p, "window: %s", s_or(h->window, "-"));
	pack_flush(&p);

	pack_item(&p, "bpf: %s", s_or(h->bpf, "-"));
	pack_flush(&p);
}
