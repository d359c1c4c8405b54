/* Unit tests: top_view renders hand-built frames as bounded plain text. */
#include "testutil.h"
#include "top/top_view.h"
#include "inspect/cpuidle.h"

#include <math.h>
#include <time.h>

static const unsigned widths[] = { 20, 40, 80, 132, 400 };

/* ---------- frames ---------- */

/* Everything unknown but the PM QoS constraint, which is "none". */
static void cpu_blank(struct top_cpu *c, unsigned n)
{
	top_cpu_unknown(c, n);
	c->resume_latency_us = 0;
}

/* ncpus CPUs numbered 0.. in order, nirqs and nagents zeroed rows. */
static void frame_new(struct top_frame *f, size_t ncpus, size_t nirqs, size_t nagents)
{
	memset(f, 0, sizeof(*f));
	f->seq = 3;
	f->elapsed_s = 1.0;
	copy_str(f->hdr.hostname, sizeof(f->hdr.hostname), "box1");
	copy_str(f->hdr.kernel, sizeof(f->hdr.kernel), "6.8.0-45-generic");
	copy_str(f->hdr.cpufreq, sizeof(f->hdr.cpufreq), "governor schedutil (intel_pstate)");
	copy_str(f->hdr.cpuidle, sizeof(f->hdr.cpuidle), "governor menu (intel_idle)");
	copy_str(f->hdr.pmqos, sizeof(f->hdr.pmqos), "none");
	copy_str(f->hdr.profile, sizeof(f->hdr.profile), "agent-latency (pid 1234, cpus 1)");
	copy_str(f->hdr.window, sizeof(f->hdr.window), "none");
	copy_str(f->hdr.bpf, sizeof(f->hdr.bpf), "tp_btf, 12 us/s");
	f->hdr.ncpus = (unsigned)ncpus;
	f->hdr.nirqs = 57;
	f->ncpus = ncpus;
	f->cpus = calloc(ncpus ? ncpus : 1, sizeof(*f->cpus));
	assert_non_null(f->cpus);
	for (size_t i = 0; i < ncpus; i++)
		cpu_blank(&f->cpus[i], (unsigned)i);
	cpu_blank(&f->all, UINT32_MAX);
	f->nirqs = nirqs;
	f->irqs = calloc(nirqs ? nirqs : 1, sizeof(*f->irqs));
	assert_non_null(f->irqs);
	f->nagents = nagents;
	f->agents = calloc(nagents ? nagents : 1, sizeof(*f->agents));
	assert_non_null(f->agents);
}

static void frame_del(struct top_frame *f)
{
	free(f->cpus);
	free(f->irqs);
	free(f->agents);
	memset(f, 0, sizeof(*f));
}

static void irq_set(struct top_irq *q, const char *label, double rate, const char *name)
{
	copy_str(q->label, sizeof(q->label), label);
	q->numbered = parse_u64(label, &(uint64_t){ 0 });
	if (q->numbered)
		q->irq = (unsigned)strtoul(label, NULL, 10);
	q->rate = rate;
	copy_str(q->name, sizeof(q->name), name);
}

static void agent_set(struct top_agent *a, int pid, const char *comm, double steps, double p99)
{
	memset(a, 0, sizeof(*a));
	a->pid = pid;
	copy_str(a->comm, sizeof(a->comm), comm);
	a->alive = a->bpf = true;
	a->nthreads = 1;
	a->util = 0.1;
	a->steps_rate = steps;
	a->wake_run_p50_us = 10;
	a->wake_run_p99_us = p99;
	a->idle_exit_share = a->interference_share = a->cause_share = NAN;
	copy_str(a->cause, sizeof(a->cause), "none");
}

static void fill(char *s, size_t sz, char c)
{
	memset(s, c, sz - 1);
	s[sz - 1] = '\0';
}

/* Everything at its longest: 256 CPUs, 8 idle states, full strings. */
static void frame_big(struct top_frame *f, size_t ncpus, size_t nirqs)
{
	frame_new(f, ncpus, nirqs, 4);
	fill(f->hdr.hostname, sizeof(f->hdr.hostname), 'h');
	fill(f->hdr.profile, sizeof(f->hdr.profile), 'p');
	fill(f->hdr.bpf, sizeof(f->hdr.bpf), 'b');
	f->nidle = TOP_IDLE_MAX;
	for (size_t i = 0; i < TOP_IDLE_MAX; i++)
		snprintf(f->idle_names[i], sizeof(f->idle_names[i]), "state-long-%zu", i);
	for (size_t i = 0; i < ncpus; i++) {
		struct top_cpu *c = &f->cpus[i];
		c->util = (double)(i % 100) / 100;
		c->irq_rate = 1e9 * (double)i;
		for (size_t s = 0; s < TSI_MAX; s++)
			c->softirq_rate[s] = 123456789.0 * (double)s;
		c->softirq_total = 1e12;
		for (size_t s = 0; s < TOP_IDLE_MAX; s++)
			c->idle_share[s] = 0.125;
		c->freq_mhz = 123456;
		c->resume_latency_us = 2000000000;
		c->steps_rate = 1e15;
		fill(c->threads, sizeof(c->threads), '7');
		c->nthreads = 4000;
		fill(c->window, sizeof(c->window), 'w');
	}
	f->all = f->cpus[0];
	f->all.cpu = UINT32_MAX;
	for (size_t i = 0; i < nirqs; i++) {
		struct top_irq *q = &f->irqs[i];
		char label[24];
		snprintf(label, sizeof(label), "%zu", i * 7);
		irq_set(q, label, 1e10 / (double)(i + 1), "");
		fill(q->name, sizeof(q->name), 'n');
		fill(q->device, sizeof(q->device), 'd');
		fill(q->affinity, sizeof(q->affinity), '1');
		fill(q->effective, sizeof(q->effective), '2');
		q->ncpus = ncpus;
		for (size_t k = 0; k < TOP_IRQ_CPUS; k++)
			q->cpu[k] = (struct top_irq_cpu){ (unsigned)(ncpus - 1 - k), 1e9 };
	}
	fill(f->irqs[0].label, sizeof(f->irqs[0].label), 'L');
	f->irqs[0].numbered = false;
	for (size_t i = 0; i < 4; i++) {
		struct top_agent *a = &f->agents[i];
		agent_set(a, 4194304, "", 1e12, 1e9);
		fill(a->comm, sizeof(a->comm), 'c');
		fill(a->cpus, sizeof(a->cpus), '3');
		fill(a->cause, sizeof(a->cause), 'q');
		a->nthreads = 100000;
		a->util = 5000;
		a->cause_share = 1;
		fill(a->why, sizeof(a->why), 'y');
	}
	f->agents[1].bpf = false;
	f->agents[2].alive = false;
}

/* ---------- reading the text back ---------- */

/* Start and end offsets of the header token head in line l->line[0]. */
static void head_pos(const struct top_lines *l, const char *head, size_t *start, size_t *end)
{
	assert_true(l->n > 0);
	const char *h = l->line[0];
	size_t n = strlen(head);
	for (size_t i = 0; h[i];) {
		while (h[i] == ' ')
			i++;
		size_t j = i;
		while (h[j] && h[j] != ' ')
			j++;
		if (j - i == n && !strncmp(h + i, head, n)) {
			*start = i;
			*end = j;
			return;
		}
		i = j;
	}
	fail_msg("no column %s in \"%s\"", head, h);
}

static bool has_col(const struct top_lines *l, const char *head)
{
	const char *h = l->line[0];
	size_t n = strlen(head);
	for (const char *p = h; (p = strstr(p, head)); p++)
		if ((p == h || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

/* A right-aligned cell: the token of row ending where the header ends. */
static const char *rcell(const struct top_lines *l, size_t row, const char *head)
{
	static char buf[256];
	size_t start, end;
	head_pos(l, head, &start, &end);
	assert_true(row < l->n);
	const char *s = l->line[row];
	assert_true(strlen(s) >= end);
	assert_true(s[end] == ' ' || s[end] == '\0');
	size_t b = end;
	while (b > 0 && s[b - 1] != ' ')
		b--;
	assert_true(b < end);
	memcpy(buf, s + b, end - b);
	buf[end - b] = '\0';
	return buf;
}

/* A left-aligned cell: from the header's start to the next column's (or
 * the end of the line), without trailing blanks. */
static const char *lcell(const struct top_lines *l, size_t row, const char *head)
{
	static char buf[1024];
	size_t start, end;
	head_pos(l, head, &start, &end);
	const char *h = l->line[0];
	size_t stop = end;
	while (h[stop] == ' ')
		stop++;
	assert_true(row < l->n);
	const char *s = l->line[row];
	size_t len = strlen(s);
	assert_true(len > start);
	assert_true(start == 0 || s[start - 1] == ' ');
	if (!h[stop] || stop > len)
		stop = len;
	size_t n = stop - start;
	while (n && s[start + n - 1] == ' ')
		n--;
	memcpy(buf, s + start, n);
	buf[n] = '\0';
	return buf;
}

static void assert_bounded(const struct top_lines *l, unsigned width)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *s = l->line[i];
		if (strlen(s) > width)
			fail_msg("line %zu is %zu > %u: %s", i, strlen(s), width, s);
		for (const char *p = s; *p; p++)
			assert_true(*p >= 0x20 && *p < 0x7f);
	}
}

/* ---------- tests ---------- */

static void test_lines_addf(void **state)
{
	(void)state;
	struct top_lines l = { 0 };
	top_lines_addf(&l, 5, "%s", "abcdefgh");
	top_lines_addf(&l, 80, "n=%d", 42);
	char big[3000];
	fill(big, sizeof(big), 'z');
	top_lines_addf(&l, 2000, "<%s>", big);
	top_lines_addf(&l, 80, "esc\x1b[31m tab\tnl\n");
	for (int i = 0; i < 100; i++)
		top_lines_addf(&l, 10, "%d", i);
	assert_int_equal(l.n, 104);
	assert_string_equal(l.line[0], "abcde");
	assert_string_equal(l.line[1], "n=42");
	assert_int_equal(strlen(l.line[2]), 2000);
	assert_int_equal(l.line[2][0], '<');
	assert_int_equal(l.line[2][1999], 'z');
	assert_string_equal(l.line[3], "esc?[31m tab?nl?");
	assert_string_equal(l.line[103], "99");
	top_lines_free(&l);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.cap, 0);
	assert_null(l.line);
}

static void test_names_and_titles(void **state)
{
	(void)state;
	assert_string_equal(top_pane_name(PANE_CPU), "CPUs");
	assert_string_equal(top_pane_name(PANE_IRQ), "IRQs");
	assert_string_equal(top_pane_name(PANE_AGENT), "Agents");
	assert_int_equal(top_sort_count(PANE_CPU), 5);
	assert_int_equal(top_sort_count(PANE_IRQ), 3);
	assert_int_equal(top_sort_count(PANE_AGENT), 3);
	const char *cpu[] = { "cpu", "util", "irq", "softirq", "steps" };
	const char *irq[] = { "rate", "irq", "name" };
	const char *agent[] = { "pid", "steps", "p99" };
	for (unsigned i = 0; i < 5; i++)
		assert_string_equal(top_sort_name(PANE_CPU, i), cpu[i]);
	for (unsigned i = 0; i < 3; i++) {
		assert_string_equal(top_sort_name(PANE_IRQ, i), irq[i]);
		assert_string_equal(top_sort_name(PANE_AGENT, i), agent[i]);
	}
	assert_string_equal(top_sort_name(PANE_IRQ, 7), "rate");

	struct top_frame f;
	frame_new(&f, 2, 5, 1);
	char buf[64];
	top_pane_title(&f, PANE_CPU, 0, 80, buf, sizeof(buf));
	assert_string_equal(buf, "CPUs (2)  sort: cpu");
	top_pane_title(&f, PANE_IRQ, 0, 80, buf, sizeof(buf));
	assert_string_equal(buf, "IRQs (5 active)  sort: rate");
	top_pane_title(&f, PANE_AGENT, 2, 80, buf, sizeof(buf));
	assert_string_equal(buf, "Agents (1)  sort: p99");
	top_pane_title(&f, PANE_CPU, 3, 12, buf, sizeof(buf));
	assert_string_equal(buf, "CPUs (2)  so");
	top_pane_title(&f, PANE_IRQ, 1, 80, buf, 8);
	assert_string_equal(buf, "IRQs (5");
	frame_del(&f);
}

static void test_widths_bounded(void **state)
{
	(void)state;
	struct top_frame f;
	frame_big(&f, 256, 300);
	struct top_lines l = { 0 };
	for (size_t w = 0; w < ARRAY_SIZE(widths); w++) {
		unsigned width = widths[w];
		top_render_header(&f, width, &l);
		assert_true(l.n >= 4);
		assert_bounded(&l, width);
		for (unsigned p = 0; p < PANE_MAX; p++) {
			for (unsigned s = 0; s < top_sort_count(p); s++) {
				top_render_pane(&f, p, s, width, &l);
				size_t rows = p == PANE_CPU ? 2 + f.ncpus :
					      p == PANE_IRQ ? 1 + f.nirqs : 1 + f.nagents;
				assert_int_equal(l.n, rows);
				assert_bounded(&l, width);
			}
			char title[128];
			top_pane_title(&f, p, 0, width, title, sizeof(title));
			assert_true(strlen(title) <= width);
		}
		/* The identity and main figure of a row survive any width. */
		top_render_pane(&f, PANE_CPU, 0, width, &l);
		assert_true(has_col(&l, "CPU") && has_col(&l, "%UTIL"));
		assert_string_equal(rcell(&l, 2 + 99, "%UTIL"), "99.0");
		top_render_pane(&f, PANE_IRQ, 0, width, &l);
		assert_true(has_col(&l, "IRQ") && has_col(&l, "RATE/s"));
		assert_string_equal(rcell(&l, 1, "RATE/s"), "10.0G");
	}
	/* Wide enough for every column: each one there, rows as wide as the
	 * long strings make them, still cut at the width. */
	top_render_pane(&f, PANE_CPU, 0, 400, &l);
	assert_true(has_col(&l, "THREADS") && has_col(&l, "state-lo") && has_col(&l, "WIN"));
	size_t len = strlen(l.line[2]);
	assert_true(len > 132 && len < 400);
	assert_string_equal(l.line[2] + len - 6, " +3999");
	/* THREADS needs room for its header, else it goes like the others. */
	size_t start, end;
	head_pos(&l, "THREADS", &start, &end);
	top_render_pane(&f, PANE_CPU, 0, (unsigned)end, &l);
	assert_true(has_col(&l, "THREADS"));
	assert_int_equal(strlen(l.line[2]), end);
	top_render_pane(&f, PANE_CPU, 0, (unsigned)end - 1, &l);
	assert_false(has_col(&l, "THREADS"));
	assert_true(has_col(&l, "WIN"));
	top_render_pane(&f, PANE_IRQ, 0, 400, &l);
	assert_true(has_col(&l, "DEVICE"));
	assert_string_equal(lcell(&l, 1, "NAME"), "nnnnnnnnnnnnnnnnnnnnnnn~");
	top_lines_free(&l);
	frame_del(&f);
}

static void test_cpu_order_all_first(void **state)
{
	(void)state;
	struct top_frame f;
	frame_new(&f, 256, 0, 0);
	for (size_t i = 0; i < f.ncpus; i++)
		f.cpus[i].util = 0.5;
	f.all.util = 0.25;
	struct top_lines l = { 0 };
	top_render_pane(&f, PANE_CPU, 0, 132, &l);
	assert_int_equal(l.n, 258);
	assert_string_equal(lcell(&l, 1, "CPU"), "all");
	assert_string_equal(rcell(&l, 1, "%UTIL"), "25.0");
	for (size_t i = 0; i < f.ncpus; i++) {
		char want[24];
		snprintf(want, sizeof(want), "%zu", i);
		assert_string_equal(lcell(&l, 2 + i, "CPU"), want);
	}
	top_lines_free(&l);
	frame_del(&f);
}

/* The CPU column of rows 1.. as numbers; "all" is -1. */
static void cpu_order(const struct top_lines *l, int *got, size_t n)
{
	assert_int_equal(l->n, n + 1);
	for (size_t i = 1; i <= n; i++) {
		const char *c = lcell(l, i, "CPU");
		got[i - 1] = strcmp(c, "all") ? atoi(c) : -1;
	}
}

static void test_cpu_sorts(void **state)
{
	(void)state;
	struct top_frame f;
	frame_new(&f, 5, 0, 0);
	/* Out of order in the frame: the view sorts anyway. */
	static const unsigned order[] = { 3, 0, 4, 1, 2 };
	static const double util[] = { .5, .9, NAN, .5, .1 };
	static const double irq[] = { 100, 100, 300, 50, NAN };
	static const double si[] = { 10, NAN, 30, 30, 20 };
	static const double steps[] = { 5, NAN, 50, 1, 50 };
	for (size_t i = 0; i < 5; i++) {
		struct top_cpu *c = &f.cpus[i];
		unsigned n = order[i];
		c->cpu = n;
		c->util = util[n];
		c->irq_rate = irq[n];
		c->softirq_total = si[n];
		c->steps_rate = steps[n];
	}
	f.all.util = 1;
	f.all.steps_rate = 1e9;
	static const int want[5][6] = {
		{ -1, 0, 1, 2, 3, 4 },
		{ -1, 1, 0, 3, 4, 2 },
		{ -1, 2, 0, 1, 3, 4 },
		{ -1, 2, 3, 4, 0, 1 },
		{ -1, 2, 4, 0, 3, 1 },
	};
	struct top_lines l = { 0 };
	for (unsigned s = 0; s < 5; s++) {
		int got[6];
		top_render_pane(&f, PANE_CPU, s, 132, &l);
		cpu_order(&l, got, 6);
		assert_memory_equal(got, want[s], sizeof(got));
	}
	top_lines_free(&l);
	frame_del(&f);
}

static void test_numbers(void **state)
{
	(void)state;
	struct top_frame f;
	frame_new(&f, 6, 3, 0);
	static const double irq[] = { 1234567, 123456, 999999, 1234567890, 2.5, 3.0 };
	for (size_t i = 0; i < 6; i++) {
		f.cpus[i].irq_rate = irq[i];
		f.cpus[i].util = 1.0;
		f.cpus[i].softirq_rate[TSI_NET_RX] = i ? 12345 : 1234567;
		f.cpus[i].softirq_rate[TSI_TIMER] = 0;
	}
	f.cpus[0].steps_rate = 12345678;
	f.cpus[1].steps_rate = 99960000;
	f.cpus[2].steps_rate = 250;
	f.cpus[3].steps_rate = 0.26;
	struct top_lines l = { 0 };
	top_render_pane(&f, PANE_CPU, 0, 132, &l);
	static const char *const want[] = { "1.2M", "123456", "999999", "1.2G", "2.5", "3" };
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(rcell(&l, 2 + i, "IRQ/s"), want[i]);
		assert_string_equal(rcell(&l, 2 + i, "%UTIL"), "100.0");
		assert_string_equal(rcell(&l, 2 + i, "NET_RX"), i ? "12345" : "1.2M");
		assert_string_equal(rcell(&l, 2 + i, "TIMER"), "0");
	}
	assert_string_equal(rcell(&l, 2, "STEPS/s"), "12.3M");
	assert_string_equal(rcell(&l, 3, "STEPS/s"), "100M");
	assert_string_equal(rcell(&l, 4, "STEPS/s"), "250");
	assert_string_equal(rcell(&l, 5, "STEPS/s"), "0.3");

	/* Per-CPU rates of an IRQ are always compact. */
	irq_set(&f.irqs[0], "38", 1230, "virtio2-input.0");
	f.irqs[0].ncpus = 2;
	f.irqs[0].cpu[0] = (struct top_irq_cpu){ 1, 1200 };
	f.irqs[0].cpu[1] = (struct top_irq_cpu){ 0, 30 };
	irq_set(&f.irqs[1], "39", 135801, "virtio2-output.0");
	f.irqs[1].ncpus = 2;
	f.irqs[1].cpu[0] = (struct top_irq_cpu){ 2, 123456 };
	f.irqs[1].cpu[1] = (struct top_irq_cpu){ 3, 12345 };
	irq_set(&f.irqs[2], "LOC", 1234567, "Local timer interrupts");
	f.irqs[2].ncpus = 1;
	f.irqs[2].cpu[0] = (struct top_irq_cpu){ 5, 1234567 };
	top_render_pane(&f, PANE_IRQ, 1, 132, &l);
	assert_string_equal(lcell(&l, 1, "CPUS"), "1:1.2k 0:30");
	assert_string_equal(lcell(&l, 2, "CPUS"), "2:123k 3:12.3k");
	assert_string_equal(lcell(&l, 3, "CPUS"), "5:1.2M");
	assert_string_equal(rcell(&l, 1, "RATE/s"), "1230");
	assert_string_equal(rcell(&l, 2, "RATE/s"), "135801");
	assert_string_equal(rcell(&l, 3, "RATE/s"), "1234567");
	top_lines_free(&l);
	frame_del(&f);
}

static void test_nan_dash(void **state)
{
	(void)state;
	struct top_frame f;
	frame_new(&f, 2, 0, 0);
	f.nidle = 2;
	copy_str(f.idle_names[0], sizeof(f.idle_names[0]), "POLL");
	copy_str(f.idle_names[1], sizeof(f.idle_names[1]), "C1");
	f.cpus[1].freq_mhz = 2400;
	f.cpus[1].idle_share[1] = 0.5;
	struct top_lines l = { 0 };
	top_render_pane(&f, PANE_CPU, 0, 200, &l);
	const char *cols[] = { "%UTIL", "IRQ/s", "NET_RX", "TIMER", "SCHED", "RCU",
			       "BLOCK", "OTHER", "POLL", "C1", "MHz", "STEPS/s" };
	for (size_t i = 0; i < ARRAY_SIZE(cols); i++) {
		assert_string_equal(rcell(&l, 1, cols[i]), "-");
		assert_string_equal(rcell(&l, 2, cols[i]), "-");
	}
	assert_string_equal(rcell(&l, 3, "MHz"), "2400");
	assert_string_equal(rcell(&l, 3, "C1"), "50.0");
	assert_string_equal(rcell(&l, 3, "POLL"), "-");
	top_lines_free(&l);
	frame_del(&f);
}

static void test_qos(void **state)
{
	(void)state;
	struct top_frame f;
	frame_new(&f, 5, 0, 0);
	static const int64_t qos[] = { PMQOS_NA, 0, 20, NA_S64, 2000000000 };
	static const char *const want[] = { "n/a", "-", "20us", "?", "2.0Gus" };
	for (size_t i = 0; i < 5; i++)
		f.cpus[i].resume_latency_us = qos[i];
	struct top_lines l = { 0 };
	top_render_pane(&f, PANE_CPU, 0, 132, &l);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(rcell(&l, 2 + i, "QOS"), want[i]);
	top_lines_free(&l);
	frame_del(&f);
}

static void test_optional_columns(void **state)
{
	(void)state;
	struct top_frame f;
	frame_new(&f, 3, 0, 0);
	f.nidle = 1;
	copy_str(f.idle_names[0], sizeof(f.idle_names[0]), "a-very-long-state");
	copy_str(f.cpus[0].threads, sizeof(f.cpus[0].threads), "1234 1240");
	f.cpus[0].nthreads = 2;
	copy_str(f.cpus[1].threads, sizeof(f.cpus[1].threads), "1 2 3");
	f.cpus[1].nthreads = 5;
	struct top_lines l = { 0 };
	top_render_pane(&f, PANE_CPU, 0, 200, &l);
	assert_false(has_col(&l, "MHz"));
	assert_false(has_col(&l, "WIN"));
	assert_true(has_col(&l, "a-very-l"));
	assert_false(has_col(&l, "a-very-long-state"));
	assert_string_equal(lcell(&l, 2, "THREADS"), "1234 1240");
	assert_string_equal(lcell(&l, 3, "THREADS"), "1 2 3 +2");
	/* Nothing past the last figure when a CPU ran no agent thread. */
	assert_string_equal(rcell(&l, 4, "STEPS/s"), "-");
	assert_int_equal(l.line[4][strlen(l.line[4]) - 1], '-');

	f.cpus[2].freq_mhz = 3400;
	copy_str(f.cpus[2].window, sizeof(f.cpus[2].window), "open");
	top_render_pane(&f, PANE_CPU, 0, 200, &l);
	assert_true(has_col(&l, "MHz"));
	assert_true(has_col(&l, "WIN"));
	assert_string_equal(rcell(&l, 4, "MHz"), "3400");
	assert_string_equal(rcell(&l, 2, "MHz"), "-");
	assert_string_equal(lcell(&l, 4, "WIN"), "open");
	assert_string_equal(lcell(&l, 2, "WIN"), "-");
	assert_string_equal(lcell(&l, 2, "THREADS"), "1234 1240");
	top_lines_free(&l);
	frame_del(&f);
}

static void test_irq_cpus_more(void **state)
{
	(void)state;
	struct top_frame f;
	frame_new(&f, 0, 2, 0);
	irq_set(&f.irqs[0], "120", 30000, "eth0-rx-0");
	f.irqs[0].ncpus = 20;
	for (unsigned k = 0; k < TOP_IRQ_CPUS; k++)
		f.irqs[0].cpu[k] = (struct top_irq_cpu){ 12 + k, 1200 - 10.0 * k };
	irq_set(&f.irqs[1], "121", 45, "eth0-rx-1");
	f.irqs[1].ncpus = 9;
	for (unsigned k = 0; k < TOP_IRQ_CPUS; k++)
		f.irqs[1].cpu[k] = (struct top_irq_cpu){ k, 5 };
	struct top_lines l = { 0 };
	top_render_pane(&f, PANE_IRQ, 0, 200, &l);
	assert_string_equal(lcell(&l, 1, "CPUS"), "12:1.2k 13:1.2k +18");
	/* "0:5 1:5 ... +N": the CPUs shown and N add up to the 9. */
	const char *c = lcell(&l, 2, "CPUS");
	assert_true(strlen(c) <= 24);
	const char *plus = strrchr(c, '+');
	assert_non_null(plus);
	unsigned shown = 0;
	for (const char *p = c; p < plus; p++)
		shown += *p == ':';
	assert_int_equal(shown + (unsigned)atoi(plus + 1), 9);
	assert_true(shown >= 4);
	assert_string_equal(lcell(&l, 1, "NAME"), "eth0-rx-0");
	assert_string_equal(lcell(&l, 1, "AFFINITY"), "-");
	top_lines_free(&l);
	frame_del(&f);
}

static void test_irq_sorts(void **state)
{
	(void)state;
	struct top_frame f;
	frame_new(&f, 0, 6, 0);
	irq_set(&f.irqs[0], "LOC", 500, "Local timer interrupts");
	irq_set(&f.irqs[1], "38", 400, "virtio2-input.0");
	irq_set(&f.irqs[2], "CAL", 400, "Function call interrupts");
	irq_set(&f.irqs[3], "9", 400, "acpi");
	irq_set(&f.irqs[4], "120", 300, "eth0-rx-0");
	irq_set(&f.irqs[5], "NMI", 10, "");
	copy_str(f.irqs[1].affinity, sizeof(f.irqs[1].affinity), "0-3");
	copy_str(f.irqs[1].effective, sizeof(f.irqs[1].effective), "2");
	copy_str(f.irqs[1].device, sizeof(f.irqs[1].device), "eth0 rx 0 0000:00:03.0 msix 1");
	static const char *const want[3][6] = {
		{ "LOC", "9", "38", "CAL", "120", "NMI" },
		{ "9", "38", "120", "CAL", "LOC", "NMI" },
		{ "CAL", "LOC", "9", "120", "38", "NMI" },
	};
	struct top_lines l = { 0 };
	for (unsigned s = 0; s < 3; s++) {
		top_render_pane(&f, PANE_IRQ, s, 132, &l);
		assert_int_equal(l.n, 7);
		for (size_t i = 0; i < 6; i++)
			assert_string_equal(lcell(&l, 1 + i, "IRQ"), want[s][i]);
	}
	/* Sorted by IRQ, 38 is the second row. */
	top_render_pane(&f, PANE_IRQ, 1, 132, &l);
	assert_string_equal(lcell(&l, 2, "AFFINITY"), "0-3");
	assert_string_equal(lcell(&l, 2, "EFFECTIVE"), "2");
	assert_string_equal(lcell(&l, 2, "DEVICE"), "eth0 rx 0 0000:00:03.0 msix 1");
	assert_string_equal(lcell(&l, 6, "NAME"), "-");
	top_lines_free(&l);
	frame_del(&f);
}

static void test_agents(void **state)
{
	(void)state;
	struct top_frame f;
	frame_new(&f, 0, 0, 4);
	struct top_agent *a = &f.agents[0];
	agent_set(a, 1234, "python3", 250, 480);
	a->wake_run_p50_us = 12.4;
	a->idle_exit_share = 0.314;
	a->interference_share = 0.02;
	copy_str(a->cause, sizeof(a->cause), "queueing");
	a->cause_share = 0.63;
	copy_str(a->cpus, sizeof(a->cpus), "1,3");
	a->util = 0.93;
	a->nthreads = 12;
	a = &f.agents[1];
	agent_set(a, 77, "node", NAN, NAN);
	a->bpf = false;
	copy_str(a->why, sizeof(a->why), "--no-bpf");
	a->util = 0.5;
	a->nthreads = 3;
	copy_str(a->cpus, sizeof(a->cpus), "0");
	agent_set(&f.agents[2], 4321, "agent", 0, 0);
	f.agents[2].alive = false;
	agent_set(&f.agents[3], 55, "worker", 900, 100);

	struct top_lines l = { 0 };
	top_render_pane(&f, PANE_AGENT, 0, 132, &l);
	assert_int_equal(l.n, 5);
	assert_string_equal(lcell(&l, 1, "PID"), "1234");
	assert_string_equal(lcell(&l, 1, "COMM"), "python3");
	assert_string_equal(rcell(&l, 1, "THR"), "12");
	assert_string_equal(rcell(&l, 1, "CPU%"), "93.0");
	assert_string_equal(lcell(&l, 1, "CPUS"), "1,3");
	assert_string_equal(rcell(&l, 1, "STEPS/s"), "250");
	assert_string_equal(rcell(&l, 1, "P50us"), "12");
	assert_string_equal(rcell(&l, 1, "P99us"), "480");
	assert_string_equal(rcell(&l, 1, "IDLEX%"), "31.4");
	assert_string_equal(rcell(&l, 1, "INTF%"), "2.0");
	assert_string_equal(lcell(&l, 1, "CAUSE"), "queueing 63%");

	/* Without BPF: the procfs columns, then why, where STEPS/s starts. */
	size_t start, end;
	head_pos(&l, "STEPS/s", &start, &end);
	assert_string_equal(lcell(&l, 2, "PID"), "77");
	assert_string_equal(rcell(&l, 2, "CPU%"), "50.0");
	assert_string_equal(rcell(&l, 2, "THR"), "3");
	assert_string_equal(l.line[2] + start, "no BPF: --no-bpf");
	/* Exited: its name, then the word. */
	head_pos(&l, "THR", &start, &end);
	assert_string_equal(l.line[3], "4321 agent   (exited)");
	assert_string_equal(l.line[3] + end - 4, "(exited)");
	assert_string_equal(lcell(&l, 4, "CAUSE"), "none");

	static const char *const want[3][4] = {
		{ "1234", "77", "4321", "55" },
		{ "55", "1234", "77", "4321" },
		{ "1234", "55", "77", "4321" },
	};
	for (unsigned s = 0; s < 3; s++) {
		top_render_pane(&f, PANE_AGENT, s, 132, &l);
		for (size_t i = 0; i < 4; i++)
			assert_string_equal(lcell(&l, 1 + i, "PID"), want[s][i]);
	}
	/* A why without a reason still says BPF is off. */
	f.agents[1].why[0] = '\0';
	top_render_pane(&f, PANE_AGENT, 0, 132, &l);
	assert_non_null(strstr(l.line[2], " no BPF"));
	top_lines_free(&l);
	frame_del(&f);
}

static void test_no_agents(void **state)
{
	(void)state;
	struct top_frame f;
	frame_new(&f, 1, 0, 0);
	struct top_lines l = { 0 };
	top_render_pane(&f, PANE_AGENT, 0, 132, &l);
	assert_int_equal(l.n, 2);
	assert_true(has_col(&l, "PID") && has_col(&l, "CAUSE"));
	assert_string_equal(l.line[1],
			    "no --pid given: run agentune top --pid PID to follow an agent");
	top_render_pane(&f, PANE_AGENT, 0, 20, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.line[1], "no --pid given: run ");
	top_lines_free(&l);
	frame_del(&f);
}

static void test_narrow(void **state)
{
	(void)state;
	struct top_frame f;
	frame_new(&f, 2, 0, 0);
	f.all.util = 0.5;
	f.all.steps_rate = 4000;
	f.cpus[1].util = 0.123;
	struct top_lines l = { 0 };
	/* The agent's columns come right after CPU and %UTIL. */
	top_render_pane(&f, PANE_CPU, 0, 20, &l);
	assert_string_equal(l.line[0], "CPU %UTIL STEPS/s");
	assert_string_equal(l.line[1], "all  50.0    4000");
	top_render_pane(&f, PANE_CPU, 0, 12, &l);
	assert_string_equal(l.line[0], "CPU %UTIL");
	assert_string_equal(l.line[1], "all  50.0");
	assert_string_equal(l.line[3], "1    12.3");
	top_render_pane(&f, PANE_CPU, 0, 5, &l);
	assert_string_equal(l.line[0], "CPU %");
	assert_string_equal(l.line[1], "all");
	top_lines_free(&l);
	frame_del(&f);
}

/* The line of l that starts with prefix, or NULL. */
static const char *line_with(const struct top_lines *l, const char *what)
{
	for (size_t i = 0; i < l->n; i++)
		if (strstr(l->line[i], what))
			return l->line[i];
	return NULL;
}

static void test_header(void **state)
{
	(void)state;
	struct top_frame f;
	frame_new(&f, 4, 0, 0);
	struct top_lines l = { 0 };
	top_render_header(&f, 400, &l);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.line[0], "agentune top - box1  kernel 6.8.0-45-generic  CPUs 4  "
				       "IRQs 57  interval 1.0s  frame #3");
	assert_string_equal(l.line[1], "cpufreq: governor schedutil (intel_pstate)  "
				       "cpuidle: governor menu (intel_idle)  PM QoS: none");
	assert_string_equal(l.line[2], "profile: agent-latency (pid 1234, cpus 1)  window: none");
	assert_string_equal(l.line[3], "bpf: tp_btf, 12 us/s");
	/* Narrower: whole items move to the next line rather than being cut. */
	const char *labels[] = { "cpufreq: governor schedutil (intel_pstate)",
				 "cpuidle: governor menu (intel_idle)", "PM QoS: none",
				 "profile: agent-latency", "window: none", "bpf: tp_btf",
				 "frame #3" };
	top_render_header(&f, 80, &l);
	assert_bounded(&l, 80);
	for (size_t i = 0; i < ARRAY_SIZE(labels); i++)
		assert_non_null(line_with(&l, labels[i]));
	top_render_header(&f, 20, &l);
	assert_bounded(&l, 20);
	const char *starts[] = { "cpufreq:", "cpuidle:", "PM QoS:", "profile:", "window:",
				 "bpf:", "frame #3", "interval 1.0s" };
	for (size_t i = 0; i < ARRAY_SIZE(starts); i++) {
		const char *s = line_with(&l, starts[i]);
		assert_non_null(s);
		assert_ptr_equal(strstr(s, starts[i]), s);
	}
	/* Before a first interval, and with nothing known. */
	memset(&f.hdr, 0, sizeof(f.hdr));
	f.elapsed_s = NAN;
	top_render_header(&f, 400, &l);
	assert_non_null(line_with(&l, "interval -"));
	assert_non_null(line_with(&l, "window: -"));
	top_lines_free(&l);
	frame_del(&f);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_scale(void **state)
{
	(void)state;
	struct top_frame f;
	frame_big(&f, 1024, 5000);
	struct top_lines l = { 0 };
	double t0 = now_s();
	for (unsigned s = 0; s < 5; s++) {
		top_render_pane(&f, PANE_CPU, s, 200, &l);
		assert_int_equal(l.n, 1026);
	}
	for (unsigned s = 0; s < 3; s++) {
		top_render_pane(&f, PANE_IRQ, s, 200, &l);
		assert_int_equal(l.n, 5001);
	}
	double took = now_s() - t0;
	/* Generous (sanitizers, loaded CI): quadratic work would take minutes. */
	assert_true(took < 5.0);
	top_render_pane(&f, PANE_IRQ, 1, 200, &l);
	assert_string_equal(lcell(&l, 1, "IRQ"), "7");
	assert_string_equal(lcell(&l, 5000, "IRQ"), "LLLLLLLLLLL~");
	top_lines_free(&l);
	frame_del(&f);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_lines_addf),
	cmocka_unit_test(test_names_and_titles),
	cmocka_unit_test(test_widths_bounded),
	cmocka_unit_test(test_cpu_order_all_first),
	cmocka_unit_test(test_cpu_sorts),
	cmocka_unit_test(test_numbers),
	cmocka_unit_test(test_nan_dash),
	cmocka_unit_test(test_qos),
	cmocka_unit_test(test_optional_columns),
	cmocka_unit_test(test_irq_cpus_more),
	cmocka_unit_test(test_irq_sorts),
	cmocka_unit_test(test_agents),
	cmocka_unit_test(test_no_agents),
	cmocka_unit_test(test_narrow),
	cmocka_unit_test(test_header),
	cmocka_unit_test(test_scale),
};

RUN_TESTS(tests)
