/* Unit tests: the findings rules, on the project's fixture trees and on
 * models changed in memory to plant (or remove) each cause. */
#include "testutil.h"
#include "inspect/findings.h"

struct ctx {
	struct host h;
	struct model m;
	struct findings f;
};

static void load(struct ctx *c, const char *fixture)
{
	char root[TEST_PATH];
	tpathf(root, "%s/%s", FIXTURES, fixture);
	assert_int_equal(host_open(&c->h, root), 0);
	assert_int_equal(model_read(&c->h, &c->m), 0);
	assert_int_equal(findings_eval(&c->m, &c->f), 0);
}

static void reeval(struct ctx *c)
{
	findings_free(&c->f);
	assert_int_equal(findings_eval(&c->m, &c->f), 0);
}

static void unload(struct ctx *c)
{
	findings_free(&c->f);
	model_free(&c->m);
	host_close(&c->h);
}

static const struct finding *find(const struct findings *f, const char *id)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].id, id))
			return &f->v[i];
	return NULL;
}

/* Text of a finding, "" when absent (the asserts before say it is there). */
#define EVIDENCE(x) ((x) ? (x)->evidence : "")
#define TITLE(x) ((x) ? (x)->title : "")
#define KNOB(x) ((x) ? (x)->knob : "")

static void deep_idle_on_intel_server(void **state)
{
	struct ctx c;
	load(&c, "intel-pstate-80cpu");
	const struct finding *x = find(&c.f, "deep-idle-unconstrained");
	assert_non_null(x);
	/* CPUs 4-7 hold n/a, CPU 8 holds 20 us, CPU 5 has C6 disabled; 76-79 are offline. */
	assert_non_null(strstr(EVIDENCE(x), "CPUs 0-3,9-75 may enter C6 (exit latency 133 us"));
	assert_non_null(strstr(EVIDENCE(x), "no PM QoS constraint"));
	assert_int_equal(x ? (int)x->sev : -1, SEV_WARN);
	assert_non_null(strstr(KNOB(x), "[pmqos]"));
	unload(&c);
}

static void pmqos_constraint_removes_deep_idle(void **state)
{
	struct ctx c;
	load(&c, "intel-pstate-80cpu");
	for (size_t i = 0; i < c.m.idle.n; i++)
		c.m.idle.cpu[i].resume_latency_us = PMQOS_NA;
	reeval(&c);
	assert_null(find(&c.f, "deep-idle-unconstrained"));
	/* A global request through /dev/cpu_dma_latency works as well. */
	for (size_t i = 0; i < c.m.idle.n; i++)
		c.m.idle.cpu[i].resume_latency_us = 0;
	c.m.idle.cpu_dma_latency_us = 20;
	reeval(&c);
	assert_null(find(&c.f, "deep-idle-unconstrained"));
	c.m.idle.cpu_dma_latency_us = CPU_DMA_LATENCY_DEFAULT;
	reeval(&c);
	assert_non_null(find(&c.f, "deep-idle-unconstrained"));
	unload(&c);
}

static void loose_constraint_still_reported(void **state)
{
	struct ctx c;
	load(&c, "acpi-cpufreq-4cpu"); /* /dev/cpu_dma_latency 100: C3 out, C2 in */
	const struct finding *x = find(&c.f, "deep-idle-unconstrained");
	assert_non_null(x);
	assert_non_null(strstr(EVIDENCE(x), "C2 (exit latency 100 us"));
	assert_non_null(strstr(EVIDENCE(x), "constraint of 100 us"));
	unload(&c);
}

static void slow_ramp_rules(void **state)
{
	struct ctx c;
	load(&c, "intel-pstate-80cpu");
	const struct finding *x = find(&c.f, "cpufreq-slow-ramp");
	assert_non_null(x);
	assert_non_null(strstr(EVIDENCE(x), "EPP balance_power"));
	/* The isolated CPUs run EPP performance: not in the list. */
	assert_null(strstr(EVIDENCE(x), "4-7,"));
	unload(&c);

	load(&c, "acpi-cpufreq-4cpu");
	x = find(&c.f, "cpufreq-slow-ramp");
	assert_non_null(x);
	assert_non_null(strstr(EVIDENCE(x), "governor schedutil"));
	/* A floor well above the minimum is fine. */
	for (size_t i = 0; i < c.m.freq.n; i++)
		c.m.freq.policy[i].min_khz = 3000000;
	reeval(&c);
	assert_null(find(&c.f, "cpufreq-slow-ramp"));
	/* powersave on a non-pstate driver pins the minimum: critical. */
	for (size_t i = 0; i < c.m.freq.n; i++)
		copy_str(c.m.freq.policy[i].governor, sizeof(c.m.freq.policy[i].governor), "powersave");
	reeval(&c);
	x = find(&c.f, "cpufreq-slow-ramp");
	assert_non_null(x);
	assert_int_equal(x ? (int)x->sev : -1, SEV_CRIT);
	unload(&c);
}

static void quiet_vm_has_no_findings(void **state)
{
	struct ctx c;
	load(&c, "virtio-net-2cpu");
	assert_int_equal(c.f.n, 0);
	unload(&c);
}

/* Puts all of an IRQ's interrupts on one column. */
static void set_counts(struct model *m, unsigned irq, uint64_t c0, uint64_t c1)
{
	for (size_t i = 0; i < m->irqs.n; i++) {
		struct irq_line *l = &m->irqs.lines[i];
		if (l->numbered && l->irq == irq) {
			l->counts[0] = c0;
			l->counts[1] = c1;
			return;
		}
	}
	fail_msg("IRQ %u not in fixture", irq);
}

static void net_irq_concentration(void **state)
{
	struct ctx c;
	load(&c, "virtio-net-2cpu");
	set_counts(&c.m, 38, 0, 5000);
	set_counts(&c.m, 39, 10, 4000);
	reeval(&c);
	const struct finding *x = find(&c.f, "net-irqs-concentrated");
	assert_non_null(x);
	assert_non_null(strstr(TITLE(x), "CPU 1"));
	assert_non_null(strstr(EVIDENCE(x), "(eth0)"));
	/* Spread evenly: nothing to say. */
	set_counts(&c.m, 38, 2500, 2500);
	set_counts(&c.m, 39, 2000, 2000);
	reeval(&c);
	assert_null(find(&c.f, "net-irqs-concentrated"));
	/* Too few interrupts to judge. */
	set_counts(&c.m, 38, 0, 5);
	set_counts(&c.m, 39, 0, 5);
	reeval(&c);
	assert_null(find(&c.f, "net-irqs-concentrated"));
	unload(&c);
}

static void net_softirq_concentration(void **state)
{
	struct ctx c;
	load(&c, "virtio-net-2cpu");
	for (size_t i = 0; i < c.m.softirqs.n; i++) {
		if (!strcmp(c.m.softirqs.vec[i].name, "NET_RX")) {
			c.m.softirqs.vec[i].counts[0] = 9000;
			c.m.softirqs.vec[i].counts[1] = 100;
		}
	}
	reeval(&c);
	const struct finding *x = find(&c.f, "net-softirq-concentrated");
	assert_non_null(x);
	assert_non_null(strstr(TITLE(x), "CPU 0"));
	unload(&c);
}

static void softnet_since_boot_and_sampled(void **state)
{
	struct ctx c;
	load(&c, "xeon-mlx5-nvme-96cpu");
	const struct finding *x = find(&c.f, "softnet-budget-exhausted");
	assert_non_null(x);
	assert_int_equal(x ? (int)x->sev : -1, SEV_INFO); /* since boot only */
	/* A sample in which squeeze grew is a warning. */
	c.m.sample.taken = true;
	c.m.sample.interval_ms = 1000;
	c.m.sample.elapsed_s = 1.0;
	c.m.sample.delta.n = 1;
	c.m.sample.delta.cpu = calloc(1, sizeof(struct softnet_cpu));
	c.m.sample.delta.cpu[0].cpu = 3;
	c.m.sample.delta.cpu[0].time_squeeze = 7;
	reeval(&c);
	x = find(&c.f, "softnet-budget-exhausted");
	assert_non_null(x);
	assert_int_equal(x ? (int)x->sev : -1, SEV_WARN);
	assert_non_null(strstr(EVIDENCE(x), "time_squeeze +7"));
	assert_non_null(strstr(EVIDENCE(x), "CPUs 3"));
	/* A sample with no growth says nothing, whatever happened since boot. */
	c.m.sample.delta.cpu[0].time_squeeze = 0;
	reeval(&c);
	assert_null(find(&c.f, "softnet-budget-exhausted"));
	unload(&c);
}

static void effective_affinity_outside_request(void **state)
{
	struct ctx c;
	load(&c, "xeon-mlx5-nvme-96cpu");
	const struct finding *x = find(&c.f, "irq-affinity-not-effective");
	assert_non_null(x);
	/* IRQ 350 asks for 0-23,48-71 but runs on 33; effective CPUs inside the
	 * request (the normal case) are not reported. */
	assert_non_null(strstr(EVIDENCE(x), "IRQ 350"));
	assert_non_null(strstr(EVIDENCE(x), "effective 33"));
	assert_null(strstr(EVIDENCE(x), "IRQ 349"));
	unload(&c);
}

static void services_and_busy_poll(void **state)
{
	struct ctx c;
	load(&c, "nic-napi-8cpu");
	assert_non_null(find(&c.f, "irqbalance-running"));
	assert_non_null(find(&c.f, "tuned-running"));
	const struct finding *x = find(&c.f, "busy-poll-off");
	assert_non_null(x);
	assert_int_equal(x ? (int)x->sev : -1, SEV_INFO);
	/* Busy polling on: no longer reported. */
	c.m.net.busy_poll = 50;
	reeval(&c);
	assert_null(find(&c.f, "busy-poll-off"));
	unload(&c);
}

static void shared_captures_never_crash(void **state)
{
	struct shared_iter it;
	shared_first(&it);
	assert_true(it.names.n >= 30);
	while (shared_next(&it)) {
		struct ctx c;
		assert_int_equal(host_open(&c.h, it.root), 0);
		assert_int_equal(model_read(&c.h, &c.m), 0);
		assert_int_equal(findings_eval(&c.m, &c.f), 0);
		for (size_t k = 0; k < c.f.n; k++) {
			assert_true(strlen(c.f.v[k].title) > 0);
			assert_true(strlen(c.f.v[k].evidence) > 0);
			assert_true(strlen(c.f.v[k].knob) > 0);
		}
		unload(&c);
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(deep_idle_on_intel_server),
	cmocka_unit_test(pmqos_constraint_removes_deep_idle),
	cmocka_unit_test(loose_constraint_still_reported),
	cmocka_unit_test(slow_ramp_rules),
	cmocka_unit_test(quiet_vm_has_no_findings),
	cmocka_unit_test(net_irq_concentration),
	cmocka_unit_test(net_softirq_concentration),
	cmocka_unit_test(softnet_since_boot_and_sampled),
	cmocka_unit_test(effective_affinity_outside_request),
	cmocka_unit_test(services_and_busy_poll),
	cmocka_unit_test(shared_captures_never_crash),
};
RUN_TESTS(tests)
