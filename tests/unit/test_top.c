/* Tests of top's data source: frames computed from two reads of a scratch
 * 2-CPU tree whose counters the tests move by known amounts (IRQ, softirq,
 * cpuidle and /proc/stat rates, the all row, the header), counters that go
 * down or vanish, the applied profile from a journal, and --pid on this
 * very process. */
#include "testutil.h"

#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "inspect/cpuidle.h"
#include "tune/journal.h"
#include "top/top.h"
#include "top/top_agent.h"

/* ---------- the tree ---------- */

#define INTERRUPTS_HEAD "           CPU0       CPU1       \n"

/* First read: what top_source_open sees. */
static const char interrupts_a[] =
	INTERRUPTS_HEAD
	" 24:          1          0  IO-APIC   5-edge      ACPI:Ged\n"
	" 38:          0        463 PCI-MSIX-0000:00:03.0   1-edge      virtio2-input.0\n"
	" 39:        387          0 PCI-MSIX-0000:00:03.0   2-edge      virtio2-output.0\n"
	" 41:        100        100 PCI-MSIX-0000:00:02.0   1-edge      virtio1-req.0\n"
	"NMI:          0          0   Non-maskable interrupts\n"
	"LOC:      12469      13510   Local timer interrupts\n"
	"ERR:          0\n"
	"MIS:          0\n";

/* Second read.  Deltas (CPU0, CPU1): 24 none; 38 +10 +1000; 39 +500 0;
 * 41 down on CPU0 (counts 0), +30 on CPU1; LOC +100 +200; ERR +5. */
static const char interrupts_b[] =
	INTERRUPTS_HEAD
	" 24:          1          0  IO-APIC   5-edge      ACPI:Ged\n"
	" 38:         10       1463 PCI-MSIX-0000:00:03.0   1-edge      virtio2-input.0\n"
	" 39:        887          0 PCI-MSIX-0000:00:03.0   2-edge      virtio2-output.0\n"
	" 41:         50        130 PCI-MSIX-0000:00:02.0   1-edge      virtio1-req.0\n"
	"NMI:          0          0   Non-maskable interrupts\n"
	"LOC:      12569      13710   Local timer interrupts\n"
	"ERR:          5\n"
	"MIS:          0\n";

#define SOFTIRQS_HEAD "                    CPU0       CPU1       \n"

static const char softirqs_a[] =
	SOFTIRQS_HEAD
	"          HI:          0          0\n"
	"       TIMER:        100        200\n"
	"      NET_TX:          4          0\n"
	"      NET_RX:        376        472\n"
	"       BLOCK:          0        400\n"
	"    IRQ_POLL:          0          0\n"
	"     TASKLET:          2          0\n"
	"       SCHED:        300        310\n"
	"     HRTIMER:          0          0\n"
	"         RCU:       1000       2000\n";

/* Deltas (CPU0, CPU1): TIMER 50 60, NET_TX 2 0, NET_RX 100 100, BLOCK 0 40,
 * TASKLET 3 1, SCHED 30 10, HRTIMER 7 9, RCU 100 300. */
static const char softirqs_b[] =
	SOFTIRQS_HEAD
	"          HI:          0          0\n"
	"       TIMER:        150        260\n"
	"      NET_TX:          6          0\n"
	"      NET_RX:        476        572\n"
	"       BLOCK:          0        440\n"
	"    IRQ_POLL:          0          0\n"
	"     TASKLET:          5          1\n"
	"       SCHED:        330        320\n"
	"     HRTIMER:          7          9\n"
	"         RCU:       1100       2300\n";

static const char stat_a[] =
	"cpu  1000 0 500 8000 100 0 0 0 0 0\n"
	"cpu0 500 0 250 4000 50 0 0 0 0 0\n"
	"cpu1 500 0 250 4000 50 0 0 0 0 0\n"
	"intr 0\n"
	"ctxt 12345\n";

/* cpu0: user +30, system +10, idle +50, iowait +10: busy 40 of 100.
 * cpu1: user +5, idle +95: busy 5 of 100.  cpu: busy 45 of 200. */
static const char stat_b[] =
	"cpu  1035 0 510 8145 110 0 0 0 0 0\n"
	"cpu0 530 0 260 4050 60 0 0 0 0 0\n"
	"cpu1 505 0 250 4095 50 0 0 0 0 0\n"
	"intr 0\n"
	"ctxt 12400\n";

#define CPU_DIR "sys/devices/system/cpu"

static void put_fmt(const char *root, const char *rel, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void put_fmt(const char *root, const char *rel, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tree_put(root, rel, buf);
}

/* One idle state's files, as cpuidle has them. */
static void put_idle(const char *root, unsigned cpu, unsigned state, const char *name,
		     unsigned latency, uint64_t usage, uint64_t time_us)
{
	char rel[128];

	snprintf(rel, sizeof(rel), CPU_DIR "/cpu%u/cpuidle/state%u/name", cpu, state);
	put_fmt(root, rel, "%s\n", name);
	snprintf(rel, sizeof(rel), CPU_DIR "/cpu%u/cpuidle/state%u/latency", cpu, state);
	put_fmt(root, rel, "%u\n", latency);
	snprintf(rel, sizeof(rel), CPU_DIR "/cpu%u/cpuidle/state%u/usage", cpu, state);
	put_fmt(root, rel, "%llu\n", (unsigned long long)usage);
	snprintf(rel, sizeof(rel), CPU_DIR "/cpu%u/cpuidle/state%u/time", cpu, state);
	put_fmt(root, rel, "%llu\n", (unsigned long long)time_us);
}

static void put_pmqos(const char *root, unsigned cpu, const char *val)
{
	char rel[128];

	snprintf(rel, sizeof(rel), CPU_DIR "/cpu%u/power/pm_qos_resume_latency_us", cpu);
	put_fmt(root, rel, "%s\n", val);
}

/* Idle time (us) per [cpu][state] at the first and the second read. */
static const uint64_t idle_a[2][2] = { { 100, 5000 }, { 50, 7000 } };
static const uint64_t idle_b[2][2] = { { 1100, 25000 }, { 550, 37000 } };

static void put_idle_counts(const char *root, const uint64_t t[2][2])
{
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		put_idle(root, cpu, 0, "POLL", 0, 10 + cpu, t[cpu][0]);
		put_idle(root, cpu, 1, "C1", 1, 20 + cpu, t[cpu][1]);
	}
}

/* A 2-CPU host at its first read; with_idle adds cpuidle (driver, governor,
 * POLL and C1 on both CPUs). */
static char *build_tree(bool with_idle)
{
	char *root = tree_new("top");

	tree_put(root, "proc/sys/kernel/hostname", "toptest\n");
	tree_put(root, "proc/sys/kernel/osrelease", "6.18.0-top\n");
	tree_put(root, CPU_DIR "/online", "0-1\n");
	tree_put(root, CPU_DIR "/possible", "0-1\n");
	tree_put(root, CPU_DIR "/present", "0-1\n");
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		char rel[128];

		snprintf(rel, sizeof(rel), CPU_DIR "/cpu%u/topology/core_id", cpu);
		put_fmt(root, rel, "%u\n", cpu);
		snprintf(rel, sizeof(rel), CPU_DIR "/cpu%u/topology/physical_package_id", cpu);
		tree_put(root, rel, "0\n");
		snprintf(rel, sizeof(rel), CPU_DIR "/cpu%u/topology/thread_siblings_list", cpu);
		put_fmt(root, rel, "%u\n", cpu);
		snprintf(rel, sizeof(rel), CPU_DIR "/cpu%u/topology/package_cpus_list", cpu);
		tree_put(root, rel, "0-1\n");
	}
	put_pmqos(root, 0, "0");
	put_pmqos(root, 1, "0");
	if (with_idle) {
		tree_put(root, CPU_DIR "/cpuidle/current_driver", "acpi_idle\n");
		tree_put(root, CPU_DIR "/cpuidle/current_governor", "menu\n");
		put_idle_counts(root, idle_a);
	}
	tree_put(root, "dev/cpu_dma_latency", "2000000000\n");
	tree_put(root, "proc/stat", stat_a);
	tree_put(root, "proc/interrupts", interrupts_a);
	tree_put(root, "proc/softirqs", softirqs_a);
	tree_put(root, "proc/irq/24/smp_affinity_list", "0-1\n");
	tree_put(root, "proc/irq/24/effective_affinity_list", "0\n");
	tree_put(root, "proc/irq/38/smp_affinity_list", "0-1\n");
	tree_put(root, "proc/irq/38/effective_affinity_list", "1\n");
	tree_put(root, "proc/irq/39/smp_affinity_list", "0\n");
	tree_put(root, "proc/irq/39/effective_affinity_list", "0\n");
	/* 41 has no effective_affinity_list (old kernels). */
	tree_put(root, "proc/irq/41/smp_affinity_list", "1\n");
	return root;
}

/* The counters of the second read. */
static void advance_tree(const char *root, bool with_idle)
{
	tree_put(root, "proc/stat", stat_b);
	tree_put(root, "proc/interrupts", interrupts_b);
	tree_put(root, "proc/softirqs", softirqs_b);
	if (with_idle)
		put_idle_counts(root, idle_b);
}

static void rm_rel(const char *root, const char *rel)
{
	char p[TEST_PATH];

	tpathf(p, "%s/%s", root, rel);
	assert_int_equal(tree_rm(p), 0);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---------- the source ---------- */

struct ctx {
	char *root;               /* the host tree */
	char *scratch;            /* for journals */
	char nojournal[TEST_PATH];      /* a directory that does not exist */
	struct host h;
	bool host_open;
	struct top_source *s;
	struct top_frame f;
	char err[256];
	pid_t child;              /* killed and reaped by teardown */
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	c->scratch = tree_new("topj");
	tpathf(c->nojournal, "%s/absent", c->scratch);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	int rc = 0;

	if (c->child > 0) {
		kill(c->child, SIGKILL);
		waitpid(c->child, NULL, 0);
	}
	top_frame_free(&c->f);
	top_source_close(c->s);
	if (c->host_open)
		host_close(&c->h);
	if (c->root)
		rc |= tree_free(c->root);
	rc |= tree_free(c->scratch);
	free(c);
	return rc;
}

static void open_host(struct ctx *c, const char *root)
{
	assert_int_equal(host_open(&c->h, root), 0);
	c->host_open = true;
}

static struct top_source *open_source(struct ctx *c, const int *pids, size_t npids,
				      const char *journal_dir)
{
	struct top_opts o = {
		.host = &c->h,
		.pids = pids,
		.npids = npids,
		.no_bpf = true,
		.journal_dir = journal_dir ? journal_dir : c->nojournal,
	};
	struct top_source *s = top_source_open(&o, c->err, sizeof(c->err));

	if (!s)
		fprintf(stderr, "top_source_open: %s\n", c->err);
	assert_non_null(s);
	assert_string_equal(c->err, "");
	return s;
}

/* c->s on a fresh tree (first read done). */
static void open_tree(struct ctx *c, bool with_idle)
{
	c->root = build_tree(with_idle);
	open_host(c, c->root);
	c->s = open_source(c, NULL, 0, NULL);
}

static void sample_ok(struct ctx *c)
{
	assert_int_equal(top_source_sample(c->s, &c->f), 0);
	assert_true(c->f.elapsed_s > 0);
}

/* ---------- asserts ---------- */

static void assert_near(double got, double want)
{
	if (!(fabs(got - want) <= 1e-6 * fabs(want) + 1e-12))
		fail_msg("got %.12g, want %.12g", got, want);
}

/* A rate over the frame's interval that must add up to delta. */
static void assert_rate(const struct top_frame *f, double rate, double delta)
{
	assert_near(rate * f->elapsed_s, delta);
}

static void assert_nan(double v)
{
	if (!isnan(v))
		fail_msg("got %.12g, want NaN", v);
}

static const struct top_irq *find_irq(const struct top_frame *f, const char *label)
{
	for (size_t i = 0; i < f->nirqs; i++)
		if (!strcmp(f->irqs[i].label, label))
			return &f->irqs[i];
	return NULL;
}

/* tid is one of the space-separated numbers of list. */
static bool list_has(const char *list, int tid)
{
	char want[16];
	size_t n = (size_t)snprintf(want, sizeof(want), "%d", tid);

	for (const char *p = list; (p = strstr(p, want)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/* ---------- header and frame shape ---------- */

static void test_header(void **state)
{
	struct ctx *c = *state;

	open_tree(c, true);
	sample_ok(c);
	const struct top_frame *f = &c->f;
	assert_int_equal(f->seq, 1);
	assert_string_equal(f->hdr.hostname, "toptest");
	assert_string_equal(f->hdr.kernel, "6.18.0-top");
	assert_int_equal(f->hdr.ncpus, 2);
	assert_int_equal(f->hdr.nirqs, 4); /* 24, 38, 39, 41 */
	assert_string_equal(f->hdr.profile, "none");
	assert_string_equal(f->hdr.bpf, "not used (no --pid)");
	assert_string_equal(f->hdr.cpuidle, "governor menu (acpi_idle)");
	assert_true(!strncmp(f->hdr.cpufreq, "unavailable: ", 13));
	assert_string_equal(f->hdr.pmqos, "cpu_dma_latency none");
	assert_string_equal(f->hdr.window, "none");

	assert_int_equal(f->ncpus, 2);
	assert_int_equal(f->cpus[0].cpu, 0);
	assert_int_equal(f->cpus[1].cpu, 1);
	assert_int_equal(f->all.cpu, UINT32_MAX);
	assert_int_equal(f->nagents, 0);
	for (size_t i = 0; i < f->ncpus; i++) {
		assert_nan(f->cpus[i].freq_mhz);     /* no cpufreq */
		assert_nan(f->cpus[i].steps_rate);   /* no BPF */
		assert_string_equal(f->cpus[i].threads, "");
		assert_int_equal(f->cpus[i].nthreads, 0);
	}
	assert_nan(f->all.steps_rate);

	/* The header follows the host from frame to frame. */
	tree_put(c->root, "dev/cpu_dma_latency", "20\n");
	sample_ok(c);
	assert_int_equal(c->f.seq, 2);
	assert_string_equal(c->f.hdr.pmqos, "cpu_dma_latency 20 us");
}

/* ---------- IRQs ---------- */

static void test_irq_rates(void **state)
{
	struct ctx *c = *state;

	open_tree(c, true);
	advance_tree(c->root, true);
	sample_ok(c);
	const struct top_frame *f = &c->f;

	/* Only the rows that moved, busiest first: 38 (1010), 39 (500),
	 * LOC (300), 41 (30: its CPU0 count went down and counts 0), ERR (5). */
	assert_int_equal(f->nirqs, 5);
	const char *order[] = { "38", "39", "LOC", "41", "ERR" };
	const double total[] = { 1010, 500, 300, 30, 5 };
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(f->irqs[i].label, order[i]);
		assert_rate(f, f->irqs[i].rate, total[i]);
	}
	assert_null(find_irq(f, "24"));
	assert_null(find_irq(f, "NMI"));
	assert_null(find_irq(f, "MIS"));

	const struct top_irq *q = &f->irqs[0];
	assert_true(q->numbered);
	assert_int_equal(q->irq, 38);
	assert_string_equal(q->name, "virtio2-input.0");
	assert_string_equal(q->device, "0000:00:03.0 msix vector 1");
	assert_string_equal(q->affinity, "0-1");
	assert_string_equal(q->effective, "1");
	assert_int_equal(q->ncpus, 2);
	assert_int_equal(q->cpu[0].cpu, 1);           /* busiest first */
	assert_rate(f, q->cpu[0].rate, 1000);
	assert_int_equal(q->cpu[1].cpu, 0);
	assert_rate(f, q->cpu[1].rate, 10);

	q = &f->irqs[1];
	assert_int_equal(q->irq, 39);
	assert_string_equal(q->name, "virtio2-output.0");
	assert_string_equal(q->affinity, "0");
	assert_string_equal(q->effective, "0");
	assert_int_equal(q->ncpus, 1);
	assert_int_equal(q->cpu[0].cpu, 0);
	assert_rate(f, q->cpu[0].rate, 500);

	q = find_irq(f, "LOC");
	assert_false(q->numbered);
	assert_string_equal(q->name, "Local timer interrupts");
	assert_string_equal(q->affinity, "");
	assert_int_equal(q->ncpus, 2);
	assert_int_equal(q->cpu[0].cpu, 1);
	assert_rate(f, q->cpu[0].rate, 200);
	assert_rate(f, q->cpu[1].rate, 100);

	q = find_irq(f, "41");
	assert_string_equal(q->affinity, "1");
	assert_string_equal(q->effective, "");        /* no file */
	assert_int_equal(q->ncpus, 1);
	assert_int_equal(q->cpu[0].cpu, 1);
	assert_rate(f, q->cpu[0].rate, 30);

	/* ERR is one machine-wide count: no CPU of its own. */
	q = find_irq(f, "ERR");
	assert_int_equal(q->ncpus, 0);

	/* Per CPU: every row that moved there, ERR left out. */
	assert_rate(f, f->cpus[0].irq_rate, 10 + 500 + 100);
	assert_rate(f, f->cpus[1].irq_rate, 1000 + 30 + 200);
	assert_rate(f, f->all.irq_rate, 610 + 1230);
	assert_rate(f, f->irq_total_rate, 1010 + 500 + 300 + 30 + 5);

	/* Nothing moved since: nothing listed, rates 0 (not unknown). */
	sample_ok(c);
	assert_int_equal(c->f.nirqs, 0);
	assert_int_equal(c->f.hdr.nirqs, 4);
	assert_true(c->f.cpus[0].irq_rate == 0 && c->f.cpus[1].irq_rate == 0);
	assert_true(c->f.all.irq_rate == 0 && c->f.irq_total_rate == 0);
}

/* ---------- softirqs ---------- */

static void test_softirq_rates(void **state)
{
	struct ctx *c = *state;

	open_tree(c, true);
	advance_tree(c->root, true);
	sample_ok(c);
	const struct top_frame *f = &c->f;
	/* [cpu][column]: NET_RX, TIMER, SCHED, RCU, BLOCK, OTHER (NET_TX,
	 * TASKLET, HRTIMER). */
	const double want[2][TSI_MAX] = {
		{ 100, 50, 30, 100, 0, 2 + 3 + 7 },
		{ 100, 60, 10, 300, 40, 0 + 1 + 9 },
	};
	for (size_t i = 0; i < 2; i++) {
		double sum = 0;

		for (int k = 0; k < TSI_MAX; k++) {
			assert_rate(f, f->cpus[i].softirq_rate[k], want[i][k]);
			sum += want[i][k];
		}
		assert_rate(f, f->cpus[i].softirq_total, sum);
	}
	for (int k = 0; k < TSI_MAX; k++)
		assert_rate(f, f->all.softirq_rate[k], want[0][k] + want[1][k]);
	assert_rate(f, f->all.softirq_total, 292 + 520);
}

/* ---------- idle states, utilisation, PM QoS ---------- */

static void test_idle_and_util(void **state)
{
	struct ctx *c = *state;

	open_tree(c, true);
	advance_tree(c->root, true);
	put_pmqos(c->root, 0, "n/a");
	put_pmqos(c->root, 1, "20");
	/* Long enough that no share reaches 1 (they would be clamped). */
	sleep_ms(60);
	sample_ok(c);
	const struct top_frame *f = &c->f;
	double us = f->elapsed_s * 1e6;

	assert_int_equal(f->nidle, 2);
	assert_string_equal(f->idle_names[0], "POLL");
	assert_string_equal(f->idle_names[1], "C1");
	for (size_t i = 0; i < 2; i++) {
		double idle = 0;

		for (size_t k = 0; k < 2; k++) {
			double share = (double)(idle_b[i][k] - idle_a[i][k]) / us;

			assert_near(f->cpus[i].idle_share[k], share);
			idle += share;
		}
		for (size_t k = 2; k < TOP_IDLE_MAX; k++)
			assert_nan(f->cpus[i].idle_share[k]);
		/* cpuidle, not /proc/stat (which says 0.4 and 0.05). */
		assert_near(f->cpus[i].util, 1 - idle);
	}
	assert_near(f->all.util, (f->cpus[0].util + f->cpus[1].util) / 2);
	for (size_t k = 0; k < 2; k++)
		assert_near(f->all.idle_share[k],
			    (f->cpus[0].idle_share[k] + f->cpus[1].idle_share[k]) / 2);

	assert_int_equal(f->cpus[0].resume_latency_us, PMQOS_NA);
	assert_int_equal(f->cpus[1].resume_latency_us, 20);
	assert_int_equal(f->all.resume_latency_us, NA_S64);

	/* Idle counters that did not move: the CPUs were busy all along. */
	put_pmqos(c->root, 0, "0");
	put_pmqos(c->root, 1, "0");
	sample_ok(c);
	assert_near(c->f.cpus[0].idle_share[1], 0);
	assert_near(c->f.cpus[0].util, 1);
	assert_near(c->f.all.util, 1);
	assert_int_equal(c->f.cpus[0].resume_latency_us, 0);
	assert_int_equal(c->f.all.resume_latency_us, 0);

	put_pmqos(c->root, 0, "20");
	put_pmqos(c->root, 1, "20");
	sample_ok(c);
	assert_int_equal(c->f.cpus[0].resume_latency_us, 20);
	assert_int_equal(c->f.all.resume_latency_us, 20);

	/* Not a number the kernel writes: unavailable. */
	put_pmqos(c->root, 1, "-1");
	sample_ok(c);
	assert_int_equal(c->f.cpus[1].resume_latency_us, NA_S64);
	assert_int_equal(c->f.all.resume_latency_us, NA_S64);
}

static void test_util_from_stat(void **state)
{
	struct ctx *c = *state;

	open_tree(c, false);
	advance_tree(c->root, false);
	sample_ok(c);
	const struct top_frame *f = &c->f;

	assert_true(!strncmp(f->hdr.cpuidle, "unavailable: ", 13));
	assert_int_equal(f->nidle, 0);
	assert_near(f->cpus[0].util, 0.4);
	assert_near(f->cpus[1].util, 0.05);
	assert_near(f->all.util, 0.225);              /* the "cpu" line */
	for (size_t k = 0; k < TOP_IDLE_MAX; k++)
		assert_nan(f->cpus[0].idle_share[k]);
	/* The resume latency is there without cpuidle. */
	assert_int_equal(f->cpus[0].resume_latency_us, 0);
	assert_int_equal(f->all.resume_latency_us, 0);

	/* No tick in the interval: unknown, not 0/0. */
	sample_ok(c);
	assert_nan(c->f.cpus[0].util);
	assert_nan(c->f.all.util);
}

/* ---------- counters that go down, come and go ---------- */

static void test_counter_down_and_new_line(void **state)
{
	struct ctx *c = *state;

	open_tree(c, false);
	/* IRQ 39 and LOC on CPU1 and RCU on CPU1 and cpu1's /proc/stat line
	 * went down (a reused line, a CPU back online); IRQ 50 is new. */
	tree_put(c->root, "proc/interrupts",
		 INTERRUPTS_HEAD
		 " 24:          1          0  IO-APIC   5-edge      ACPI:Ged\n"
		 " 38:          0        563 PCI-MSIX-0000:00:03.0   1-edge      virtio2-input.0\n"
		 " 39:          7          0 PCI-MSIX-0000:00:03.0   2-edge      virtio2-output.0\n"
		 " 41:        100        100 PCI-MSIX-0000:00:02.0   1-edge      virtio1-req.0\n"
		 " 50:       9000       9000 PCI-MSIX-0000:00:04.0   0-edge      nvme0q0\n"
		 "NMI:          0          0   Non-maskable interrupts\n"
		 "LOC:      12479         10   Local timer interrupts\n"
		 "ERR:          0\n"
		 "MIS:          0\n");
	tree_put(c->root, "proc/softirqs",
		 SOFTIRQS_HEAD
		 "          HI:          0          0\n"
		 "       TIMER:        100        200\n"
		 "      NET_TX:          4          0\n"
		 "      NET_RX:        376        472\n"
		 "       BLOCK:          0        400\n"
		 "    IRQ_POLL:          0          0\n"
		 "     TASKLET:          2          0\n"
		 "       SCHED:        300        310\n"
		 "     HRTIMER:          0          0\n"
		 "         RCU:       1004          1\n");
	tree_put(c->root, "proc/stat",
		 "cpu  1010 0 500 8000 100 0 0 0 0 0\n"
		 "cpu0 510 0 250 4000 50 0 0 0 0 0\n"
		 "cpu1 1 0 0 1 0 0 0 0 0 0\n");
	sample_ok(c);
	const struct top_frame *f = &c->f;

	assert_int_equal(f->hdr.nirqs, 5);            /* 50 is counted in the header */
	assert_int_equal(f->nirqs, 2);
	assert_string_equal(f->irqs[0].label, "38");
	assert_rate(f, f->irqs[0].rate, 100);
	assert_string_equal(f->irqs[1].label, "LOC");
	assert_rate(f, f->irqs[1].rate, 10);          /* CPU1's drop counts 0 */
	assert_int_equal(f->irqs[1].ncpus, 1);
	assert_null(find_irq(f, "39"));
	assert_null(find_irq(f, "50"));
	assert_rate(f, f->cpus[0].irq_rate, 10);
	assert_rate(f, f->cpus[1].irq_rate, 100);
	assert_rate(f, f->cpus[0].softirq_rate[TSI_RCU], 4);
	assert_true(f->cpus[1].softirq_rate[TSI_RCU] == 0);
	assert_near(f->cpus[0].util, 1);              /* 10 ticks, all user */
	assert_nan(f->cpus[1].util);

	/* Next time 50 has a previous read and counts like the others. */
	tree_put(c->root, "proc/interrupts",
		 INTERRUPTS_HEAD
		 " 24:          1          0  IO-APIC   5-edge      ACPI:Ged\n"
		 " 38:          0        563 PCI-MSIX-0000:00:03.0   1-edge      virtio2-input.0\n"
		 " 39:          7          0 PCI-MSIX-0000:00:03.0   2-edge      virtio2-output.0\n"
		 " 41:        100        100 PCI-MSIX-0000:00:02.0   1-edge      virtio1-req.0\n"
		 " 50:       9000       9040 PCI-MSIX-0000:00:04.0   0-edge      nvme0q0\n"
		 "NMI:          0          0   Non-maskable interrupts\n"
		 "LOC:      12479         10   Local timer interrupts\n"
		 "ERR:          0\n"
		 "MIS:          0\n");
	sample_ok(c);
	assert_int_equal(c->f.nirqs, 1);
	assert_string_equal(c->f.irqs[0].label, "50");
	assert_string_equal(c->f.irqs[0].name, "nvme0q0");
	assert_string_equal(c->f.irqs[0].affinity, "");  /* no /proc/irq/50 */
	assert_rate(&c->f, c->f.irqs[0].rate, 40);
	assert_rate(&c->f, c->f.cpus[1].irq_rate, 40);
}

static void test_files_removed(void **state)
{
	struct ctx *c = *state;

	open_tree(c, false);
	advance_tree(c->root, false);
	rm_rel(c->root, "proc/stat");
	rm_rel(c->root, "proc/softirqs");
	sample_ok(c);
	const struct top_frame *f = &c->f;

	for (size_t i = 0; i < 2; i++) {
		assert_nan(f->cpus[i].util);
		assert_nan(f->cpus[i].softirq_total);
		for (int k = 0; k < TSI_MAX; k++)
			assert_nan(f->cpus[i].softirq_rate[k]);
	}
	assert_nan(f->all.util);
	assert_nan(f->all.softirq_total);
	/* What was still there is still counted. */
	assert_int_equal(f->nirqs, 5);
	assert_rate(f, f->cpus[1].irq_rate, 1230);

	rm_rel(c->root, "proc/interrupts");
	sample_ok(c);
	assert_int_equal(c->f.nirqs, 0);
	assert_int_equal(c->f.hdr.nirqs, 0);
	assert_nan(c->f.cpus[0].irq_rate);
	assert_nan(c->f.all.irq_rate);

	/* Back again: the first read is a baseline, the next has rates. */
	tree_put(c->root, "proc/stat", stat_a);
	tree_put(c->root, "proc/softirqs", softirqs_a);
	tree_put(c->root, "proc/interrupts", interrupts_a);
	sample_ok(c);
	assert_nan(c->f.cpus[0].util);
	assert_nan(c->f.cpus[0].softirq_total);
	assert_int_equal(c->f.nirqs, 0);
	advance_tree(c->root, false);
	sample_ok(c);
	assert_near(c->f.cpus[0].util, 0.4);
	assert_rate(&c->f, c->f.cpus[0].softirq_rate[TSI_NET_RX], 100);
	assert_int_equal(c->f.nirqs, 5);
}

/* ---------- regressions: bugs these tests found ---------- */

/* When /proc/softirqs is unavailable the all row's columns must be unknown
 * like the CPUs' (the view prints "-"), not 0 as if nothing ran. */
static void test_all_softirq_columns_nan(void **state)
{
	struct ctx *c = *state;

	open_tree(c, false);
	rm_rel(c->root, "proc/softirqs");
	sample_ok(c);
	assert_nan(c->f.cpus[0].softirq_rate[TSI_NET_RX]);
	assert_nan(c->f.all.softirq_total);
	for (int k = 0; k < TSI_MAX; k++)
		assert_nan(c->f.all.softirq_rate[k]);
}

/* A CPU that goes offline while top runs has no cpuidle directory and no
 * /proc/stat line: its util is unknown.  The all row must average the CPUs
 * that report (as it does for idle_share, and as the "cpu" line of
 * /proc/stat does), not count the unknown one as idle, and be unknown
 * when no CPU knows. */
static void test_all_util_skips_unknown(void **state)
{
	struct ctx *c = *state;

	open_tree(c, true);
	advance_tree(c->root, true);
	rm_rel(c->root, CPU_DIR "/cpu1/cpuidle");
	tree_put(c->root, CPU_DIR "/online", "0\n");
	tree_put(c->root, "proc/stat",
		 "cpu  1035 0 510 8145 110 0 0 0 0 0\n"
		 "cpu0 530 0 260 4050 60 0 0 0 0 0\n");
	sleep_ms(60);
	sample_ok(c);
	const struct top_frame *f = &c->f;
	assert_nan(f->cpus[1].util);
	assert_false(isnan(f->cpus[0].util));
	assert_true(f->cpus[0].util > 0);
	assert_near(f->all.util, f->cpus[0].util);

	/* Nothing known at all: unknown, not an idle machine. */
	rm_rel(c->root, CPU_DIR "/cpu0/cpuidle");
	rm_rel(c->root, "proc/stat");
	sample_ok(c);
	assert_nan(c->f.cpus[0].util);
	assert_nan(c->f.all.util);
}

/* top.h: each sample reads PM QoS again.  Without cpuidle (a VM with no
 * cpuidle driver) the per-CPU resume latency and /dev/cpu_dma_latency
 * still exist and change: each frame has the current ones. */
static void test_pmqos_without_cpuidle(void **state)
{
	struct ctx *c = *state;

	open_tree(c, false);
	put_pmqos(c->root, 0, "n/a");
	put_pmqos(c->root, 1, "n/a");
	tree_put(c->root, "dev/cpu_dma_latency", "0\n");
	sample_ok(c);
	assert_int_equal(c->f.cpus[0].resume_latency_us, PMQOS_NA);
	assert_int_equal(c->f.all.resume_latency_us, PMQOS_NA);
	assert_string_equal(c->f.hdr.pmqos, "cpu_dma_latency 0 us");
}

/* ---------- the applied profile ---------- */

static struct journal_apply an_apply(const char *profile, int pid, const char *cpus)
{
	struct journal_apply a;

	memset(&a, 0, sizeof(a));
	snprintf(a.profile, sizeof(a.profile), "%s", profile);
	snprintf(a.path, sizeof(a.path), "/usr/share/agentune/profiles/%s.profile", profile);
	a.pid = pid;
	snprintf(a.cpus, sizeof(a.cpus), "%s", cpus);
	snprintf(a.root, sizeof(a.root), "/");
	a.time = 1795400000;
	a.by = 4321;
	return a;
}

static void add_apply(const char *dir, struct journal_apply *a)
{
	struct journal j;
	char why[512] = "";
	int rc = journal_open(&j, dir, true, why, sizeof(why));

	if (!rc && (rc = journal_load(&j, why, sizeof(why))) == 0)
		rc = journal_add_apply(&j, a, why, sizeof(why));
	if (rc)
		fprintf(stderr, "journal: %s\n", why);
	assert_int_equal(rc, 0);
	journal_close(&j);
}

static void test_profile_from_journal(void **state)
{
	struct ctx *c = *state;
	char dir[TEST_PATH], file[TEST_PATH];

	tpathf(dir, "%s/run", c->scratch);
	tpathf(file, "%s/journal", dir);
	c->root = build_tree(true);
	open_host(c, c->root);
	c->s = open_source(c, NULL, 0, dir);

	/* Not there yet. */
	sample_ok(c);
	assert_string_equal(c->f.hdr.profile, "none");

	struct journal_apply a = an_apply("agent-latency", 1234, "1");
	add_apply(dir, &a);
	struct stat st;
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	sample_ok(c);
	assert_string_equal(c->f.hdr.profile, "agent-latency (pid 1234, cpus 1)");

	struct journal_apply b = an_apply("agent-network", -1, "");
	add_apply(dir, &b);
	sample_ok(c);
	assert_string_equal(c->f.hdr.profile,
			    "agent-latency (pid 1234, cpus 1) + agent-network (cpus all)");

	/* A torn record: unreadable, and it says so. */
	int fd = open(file, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"type\":\"app", 12), 12);
	close(fd);
	sample_ok(c);
	assert_true(!strncmp(c->f.hdr.profile, "journal unreadable: ", 20));
	assert_non_null(strstr(c->f.hdr.profile, "journal line 3: torn last record"));

	/* A directory others can write to is refused, not read. */
	assert_int_equal(unlink(file), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	sample_ok(c);
	assert_true(!strncmp(c->f.hdr.profile, "journal unreadable: ", 20));
	assert_non_null(strstr(c->f.hdr.profile, "mode 0777"));
	assert_int_equal(chmod(dir, 0700), 0);
	sample_ok(c);
	assert_string_equal(c->f.hdr.profile, "none");  /* empty directory */
}

/* ---------- --pid ---------- */

/* About ms of CPU time on this thread; what it computed, so that it is. */
static unsigned long burn_cpu(unsigned ms)
{
	struct timespec t0, t;
	volatile unsigned long x = 0;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do {
		for (int i = 0; i < 100000; i++)
			x += (unsigned long)i;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) * 1e3 +
			 (double)(t.tv_nsec - t0.tv_nsec) / 1e6 < ms);
	return x;
}

/* The first read of an agent's threads (at open) has no previous list to
 * search: it once called bsearch() on a NULL array, which the sanitizer
 * build ends the program on.  Opened in a child, so that a regression
 * fails this test instead of taking the others down with it. */
static void test_agent_first_read(void **state)
{
	pid_t child = fork();
	int st;

	assert_true(child >= 0);
	if (child == 0) {
		struct host h;
		char err[256];
		struct agent_watch *w;

		if (host_open(&h, "/"))
			_exit(2);
		w = agent_watch_open(&h, getpid(), true, err, sizeof(err));
		if (!w)
			_exit(3);
		agent_watch_close(w);
		host_close(&h);
		_exit(0);
	}
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void assert_agent_no_bpf(const struct top_agent *a)
{
	assert_false(a->bpf);
	assert_string_equal(a->why, "--no-bpf");
	assert_nan(a->steps_rate);
	assert_nan(a->wake_run_p50_us);
	assert_nan(a->wake_run_p99_us);
	assert_nan(a->idle_exit_share);
	assert_nan(a->interference_share);
	assert_nan(a->cause_share);
}

static void test_agent_self(void **state)
{
	struct ctx *c = *state;
	int pid = getpid(), tid = gettid();

	open_host(c, "/");
	c->s = open_source(c, &pid, 1, NULL);
	sample_ok(c);
	assert_int_equal(c->f.nagents, 1);
	const struct top_agent *a = &c->f.agents[0];
	assert_int_equal(a->pid, pid);
	assert_true(a->alive);
	assert_true(a->nthreads >= 1);
	char comm[16];
	snprintf(comm, sizeof(comm), "%s", program_invocation_short_name);
	assert_string_equal(a->comm, comm);
	assert_agent_no_bpf(a);
	assert_string_equal(c->f.hdr.bpf, "off (--no-bpf)");
	assert_true(c->f.ncpus >= 1);

	assert_true(burn_cpu(50) > 0);
	sample_ok(c);
	a = &c->f.agents[0];
	assert_true(a->alive);
	assert_true(a->util > 0);
	assert_true(a->cpus[0] != '\0');
	assert_agent_no_bpf(a);
	bool seen = false;
	for (size_t i = 0; i < c->f.ncpus; i++)
		if (list_has(c->f.cpus[i].threads, tid)) {
			assert_true(c->f.cpus[i].nthreads >= 1);
			seen = true;
		}
	if (!seen)
		for (size_t i = 0; i < c->f.ncpus; i++)
			fprintf(stderr, "cpu %u: \"%s\"\n", c->f.cpus[i].cpu,
				c->f.cpus[i].threads);
	assert_true(seen);
}

/* An agent that exits while top runs: alive false, no error. */
static void test_agent_exits(void **state)
{
	struct ctx *c = *state;

	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	c->child = child;
	open_host(c, "/");
	c->s = open_source(c, &child, 1, NULL);
	sample_ok(c);
	assert_true(c->f.agents[0].alive);
	assert_int_equal(c->f.agents[0].pid, child);
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, NULL, 0), child);
	c->child = 0;
	sample_ok(c);
	assert_int_equal(c->f.nagents, 1);
	assert_false(c->f.agents[0].alive);
	assert_int_equal(c->f.agents[0].nthreads, 0);
	assert_true(c->f.agents[0].util == 0);
}

static void assert_no_such_pid(struct ctx *c, int pid)
{
	char want[32];
	struct top_opts o = {
		.host = &c->h, .pids = &pid, .npids = 1, .no_bpf = true,
		.journal_dir = c->nojournal,
	};

	errno = 0;
	assert_null(top_source_open(&o, c->err, sizeof(c->err)));
	assert_int_equal(errno, ESRCH);
	snprintf(want, sizeof(want), "%d", pid);
	assert_non_null(strstr(c->err, want));
}

static void test_no_such_pid(void **state)
{
	struct ctx *c = *state;

	/* The tree has no /proc/4242. */
	c->root = build_tree(true);
	open_host(c, c->root);
	assert_no_such_pid(c, 4242);
	host_close(&c->h);
	c->host_open = false;

	/* A process that was reaped. */
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	open_host(c, "/");
	assert_no_such_pid(c, child);
}

/* ---------- the PM QoS window controller ---------- */

static void put_run(const char *dir, const char *name, const char *text)
{
	char p[TEST_PATH];
	FILE *fp;

	tpathf(p, "%s/%s", dir, name);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

#define WINDOW_JSON(pid)                                                                        \
	"{\"pid\":" pid ",\"apply\":1,\"agent\":-1,\"agent_exited\":false,\"started\":1.0,"      \
	"\"updated\":2.0,\"uptime_s\":1.0,\"window_ms\":20,\"budget_tokens\":1000,"              \
	"\"refill_per_s\":30,\"cost_per_window\":1,\"tokens\":977,\"opened\":12,"                \
	"\"extended\":3,\"denied\":0,\"wakeups\":20,\"cpus\":[{\"cpu\":1,\"state\":\"open\","    \
	"\"open_share\":0.5,\"opened\":12,\"extended\":3,\"denied\":0,\"steps\":100},"           \
	"{\"cpu\":7,\"state\":\"closed\",\"open_share\":0.1}]}\n"

/* No window.json: "none", no CPU managed. */
static void test_window_none(void **state)
{
	struct ctx *c = *state;
	char dir[TEST_PATH];

	tpathf(dir, "%s/run", c->scratch);
	assert_int_equal(mkdir(dir, 0700), 0);
	c->root = build_tree(true);
	open_host(c, c->root);
	c->s = open_source(c, NULL, 0, dir);
	sample_ok(c);
	assert_string_equal(c->f.hdr.window, "none");
	for (size_t i = 0; i < c->f.ncpus; i++)
		assert_string_equal(c->f.cpus[i].window, "");
	assert_string_equal(c->f.all.window, "");

	/* A controller's leftovers (window.json, no live process): not
	 * running, and the CPUs it managed say stopped.  CPU 7 is not shown. */
	put_run(dir, "window.json", WINDOW_JSON("4194305"));
	sample_ok(c);
	assert_string_equal(c->f.hdr.window, "pid 4194305 not running (revert restores)");
	assert_non_null(strstr(c->f.hdr.window, "not running"));
	assert_string_equal(c->f.cpus[0].window, "");
	assert_string_equal(c->f.cpus[1].window, "stopped");
	assert_string_equal(c->f.all.window, "");

	/* Reverted: gone again. */
	char p[TEST_PATH];
	tpathf(p, "%s/window.json", dir);
	assert_int_equal(unlink(p), 0);
	sample_ok(c);
	assert_string_equal(c->f.hdr.window, "none");
	assert_string_equal(c->f.cpus[1].window, "");

	/* Torn: unreadable, and it says so. */
	put_run(dir, "window.json", "{\"pid\":12,");
	sample_ok(c);
	assert_true(!strncmp(c->f.hdr.window, "unreadable: ", 12));
	assert_non_null(strstr(c->f.hdr.window, "not valid JSON"));
	assert_string_equal(c->f.cpus[1].window, "");
}

/* A live controller (a child of ours named in window.pid): its summary
 * and each managed CPU's state. */
static void test_window_running(void **state)
{
	struct ctx *c = *state;
	char dir[TEST_PATH], json[2048], want[160];

	tpathf(dir, "%s/run", c->scratch);
	assert_int_equal(mkdir(dir, 0700), 0);
	c->child = stand_in_controller(dir);
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", (int)c->child);
	snprintf(json, sizeof(json),
		 "{\"pid\":%s,\"agent\":-1,\"agent_exited\":true,\"updated\":1.0,"
		 "\"uptime_s\":1.0,\"budget_tokens\":1000,\"tokens\":977,\"opened\":12,"
		 "\"cpus\":[{\"cpu\":0,\"state\":\"budget\"},{\"cpu\":1,\"state\":\"open\"}]}\n",
		 pid);
	put_run(dir, "window.json", json);
	c->root = build_tree(true);
	open_host(c, c->root);
	c->s = open_source(c, NULL, 0, dir);
	sample_ok(c);
	snprintf(want, sizeof(want), "pid %d, 1 of 2 open, 12 opened, 977/1000 tokens, agent exited",
		 (int)c->child);
	assert_string_equal(c->f.hdr.window, want);
	assert_string_equal(c->f.cpus[0].window, "budget");
	assert_string_equal(c->f.cpus[1].window, "open");

	/* It dies (kill -9): the same file reads as not running. */
	kill(c->child, SIGKILL);
	waitpid(c->child, NULL, 0);
	c->child = 0;
	sample_ok(c);
	snprintf(want, sizeof(want), "pid %s not running (revert restores)", pid);
	assert_string_equal(c->f.hdr.window, want);
	assert_string_equal(c->f.cpus[0].window, "stopped");
	assert_string_equal(c->f.cpus[1].window, "stopped");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_header, setup, teardown),
	cmocka_unit_test_setup_teardown(test_irq_rates, setup, teardown),
	cmocka_unit_test_setup_teardown(test_softirq_rates, setup, teardown),
	cmocka_unit_test_setup_teardown(test_idle_and_util, setup, teardown),
	cmocka_unit_test_setup_teardown(test_util_from_stat, setup, teardown),
	cmocka_unit_test_setup_teardown(test_counter_down_and_new_line, setup, teardown),
	cmocka_unit_test_setup_teardown(test_files_removed, setup, teardown),
	cmocka_unit_test_setup_teardown(test_all_softirq_columns_nan, setup, teardown),
	cmocka_unit_test_setup_teardown(test_all_util_skips_unknown, setup, teardown),
	cmocka_unit_test_setup_teardown(test_pmqos_without_cpuidle, setup, teardown),
	cmocka_unit_test_setup_teardown(test_profile_from_journal, setup, teardown),
	cmocka_unit_test_setup_teardown(test_agent_first_read, setup, teardown),
	cmocka_unit_test_setup_teardown(test_agent_self, setup, teardown),
	cmocka_unit_test_setup_teardown(test_agent_exits, setup, teardown),
	cmocka_unit_test_setup_teardown(test_no_such_pid, setup, teardown),
	cmocka_unit_test_setup_teardown(test_window_none, setup, teardown),
	cmocka_unit_test_setup_teardown(test_window_running, setup, teardown),
};

RUN_TESTS(tests)
