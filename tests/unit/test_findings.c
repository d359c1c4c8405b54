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

/* ---------- the idle path, and exits no constraint avoids ---------- */

/* This VM's kind: no cpuidle driver, a KVM guest. */
static void halt_on_kvm_is_unavoidable(void **state)
{
	struct ctx c;
	load(&c, "idle-none-kvm-2cpu");
	const struct idlepath *p = &c.m.idlepath;
	assert_int_equal(p->vm, 1);
	assert_string_equal(p->hypervisor, "KVM");
	assert_non_null(strstr(p->vm_evidence, "hypervisor flag in /proc/cpuinfo"));
	assert_non_null(strstr(p->vm_evidence, "clocksource kvm-clock"));
	assert_true(p->cmdline_read);
	assert_string_equal(p->idle_opt, ""); /* the idle=poll after -- is init's */
	assert_int_equal(p->haltpoll, 1);
	assert_int_equal(p->haltpoll_force, 0);
	assert_int_equal(p->n, 2);
	for (size_t i = 0; i < p->n; i++)
		assert_int_equal(p->cpu[i].kind, IDLE_KIND_HALT);
	char text[256];
	idlepath_describe(p, &c.m.idle, &p->cpu[0], text, sizeof(text));
	assert_string_equal(text, "no cpuidle driver: idle is HLT (VM: KVM)");

	const struct finding *x = find(&c.f, "idle-exit-unavoidable");
	assert_non_null(x);
	assert_int_equal(x ? (int)x->sev : -1, SEV_WARN);
	assert_non_null(strstr(EVIDENCE(x), "CPUs 0-1: no cpuidle driver: idle is HLT"));
	assert_non_null(strstr(EVIDENCE(x), "VM exit"));
	assert_non_null(strstr(KNOB(x), "[pmqos] method = poll"));
	assert_non_null(strstr(KNOB(x), "cpuidle_haltpoll.force=1"));
	assert_non_null(strstr(KNOB(x), "in this kernel: /sys/module/cpuidle_haltpoll, force=N"));
	assert_non_null(strstr(KNOB(x), "idle=poll"));
	assert_non_null(strstr(KNOB(x), "not set by agentune"));
	/* No PM QoS fix is offered where PM QoS has nothing to act on. */
	assert_null(find(&c.f, "deep-idle-unconstrained"));
	assert_null(find(&c.f, "vm-halt-state-unconstrained"));
	/* Off a VM the same halt is C1, about a microsecond: no finding. */
	c.m.idlepath.vm = 0;
	reeval(&c);
	assert_null(find(&c.f, "idle-exit-unavoidable"));
	/* Where it cannot be told, an info that says what it would cost. */
	c.m.idlepath.vm = -1;
	reeval(&c);
	x = find(&c.f, "idle-exit-unavoidable");
	assert_non_null(x);
	assert_int_equal(x ? (int)x->sev : -1, SEV_INFO);
	assert_non_null(strstr(EVIDENCE(x), "unknown"));
	unload(&c);
}

/* haltpoll: POLL first, so a constraint helps: no "unavoidable", but the
 * halt state on a VM is reported with the PM QoS knob, until it is held. */
static void haltpoll_vm_constraint_helps(void **state)
{
	struct ctx c;
	load(&c, "idle-haltpoll-kvm-2cpu");
	const struct idlepath *p = &c.m.idlepath;
	assert_int_equal(p->vm, 1);
	assert_int_equal(p->haltpoll, 1);
	assert_int_equal(p->haltpoll_force, 1);
	assert_int_equal(p->cpu[0].kind, IDLE_KIND_STATES);
	assert_string_equal(p->cpu[0].first_name, "haltpoll idle");
	assert_int_equal(p->cpu[0].first_latency_us, 1);
	assert_null(find(&c.f, "idle-exit-unavoidable"));
	const struct finding *x = find(&c.f, "vm-halt-state-unconstrained");
	assert_non_null(x);
	assert_non_null(strstr(KNOB(x), "resume_latency_us = n/a"));
	assert_non_null(strstr(EVIDENCE(x), "CPUs 0-1"));
	/* n/a on CPU 1 leaves CPU 0 only */
	c.m.idle.cpu[1].resume_latency_us = PMQOS_NA;
	reeval(&c);
	x = find(&c.f, "vm-halt-state-unconstrained");
	assert_non_null(x);
	assert_non_null(strstr(EVIDENCE(x), "CPUs 0:"));
	c.m.idle.cpu[0].resume_latency_us = PMQOS_NA;
	reeval(&c);
	assert_null(find(&c.f, "vm-halt-state-unconstrained"));
	/* The same states off a VM: C1-like, cheap, nothing to say. */
	c.m.idle.cpu[0].resume_latency_us = c.m.idle.cpu[1].resume_latency_us = 0;
	c.m.idlepath.vm = 0;
	reeval(&c);
	assert_null(find(&c.f, "vm-halt-state-unconstrained"));
	assert_null(find(&c.f, "idle-exit-unavoidable"));
	unload(&c);
}

/* idle=poll: nothing halts, nothing to find. */
static void boot_poll_never_halts(void **state)
{
	struct ctx c;
	load(&c, "idle-poll-boot-2cpu");
	assert_string_equal(c.m.idlepath.idle_opt, "poll");
	assert_int_equal(c.m.idlepath.cpu[0].kind, IDLE_KIND_BOOT_POLL);
	assert_int_equal(c.m.idlepath.haltpoll, -1);
	assert_int_equal(c.f.n, 0);
	unload(&c);
}

/* C1 only, on a VM told by DMI (no x86 flags line): unavoidable; the
 * kernel config says there is no haltpoll driver, and the knob says so. */
static void c1_only_vm_by_dmi(void **state)
{
	struct ctx c;
	load(&c, "idle-c1-vm-2cpu");
	const struct idlepath *p = &c.m.idlepath;
	assert_int_equal(p->vm, 1);
	assert_string_equal(p->hypervisor, "KVM/QEMU");
	assert_non_null(strstr(p->vm_evidence, "DMI sys_vendor 'QEMU'"));
	assert_int_equal(p->haltpoll, 0);
	assert_int_equal(p->cpu[0].kind, IDLE_KIND_NO_POLL);
	const struct finding *x = find(&c.f, "idle-exit-unavoidable");
	assert_non_null(x);
	assert_int_equal(x ? (int)x->sev : -1, SEV_WARN);
	assert_non_null(strstr(EVIDENCE(x), "no polling state, idles in C1 first"));
	assert_non_null(strstr(KNOB(x), "NOT in this kernel"));
	/* A polling state added: a constraint can keep the CPUs polling. */
	struct idle_state *st = c.m.idle.cpu[0].state;
	st[0].latency_us = 0;
	snprintf(st[0].name, sizeof(st[0].name), "POLL");
	idlepath_free(&c.m.idlepath);
	assert_int_equal(idlepath_read(&c.h, &c.m.idle, c.m.kernel, &c.m.idlepath), 0);
	assert_int_equal(c.m.idlepath.cpu[0].kind, IDLE_KIND_POLL_ONLY);
	assert_int_equal(c.m.idlepath.cpu[1].kind, IDLE_KIND_NO_POLL);
	reeval(&c);
	x = find(&c.f, "idle-exit-unavoidable");
	assert_non_null(x);
	assert_non_null(strstr(EVIDENCE(x), "CPUs 1:"));
	unload(&c);
}

/* Deep C-states on a machine of its own: PM QoS is the fix, as before. */
static void deep_states_on_metal(void **state)
{
	struct ctx c;
	load(&c, "idle-deep-metal-2cpu");
	assert_int_equal(c.m.idlepath.vm, 0);
	assert_int_equal(c.m.idlepath.haltpoll, 0);
	assert_int_equal(c.m.idlepath.cpu[0].kind, IDLE_KIND_STATES);
	assert_non_null(find(&c.f, "deep-idle-unconstrained"));
	assert_null(find(&c.f, "idle-exit-unavoidable"));
	assert_null(find(&c.f, "vm-halt-state-unconstrained"));
	/* C1 disabled and C6 the only state past POLL: still avoidable */
	for (size_t i = 0; i < c.m.idle.n; i++)
		c.m.idle.cpu[i].state[0].disabled = 1; /* POLL off: nothing polls */
	idlepath_free(&c.m.idlepath);
	assert_int_equal(idlepath_read(&c.h, &c.m.idle, c.m.kernel, &c.m.idlepath), 0);
	assert_int_equal(c.m.idlepath.cpu[0].kind, IDLE_KIND_NO_POLL);
	assert_int_equal(c.m.idlepath.cpu[0].first_latency_us, 2); /* C1 */
	reeval(&c);
	/* off a VM a 2 us C1 is cheap: still nothing "unavoidable" */
	assert_null(find(&c.f, "idle-exit-unavoidable"));
	unload(&c);
}

/* Trees that lack every file: unknown, never a finding made up. */
static void idle_path_unknown_without_files(void **state)
{
	struct ctx c;
	load(&c, "virtio-net-2cpu");
	assert_false(c.m.idlepath.cmdline_read);
	assert_int_equal(c.m.idlepath.vm, -1);
	assert_int_equal(c.m.idlepath.haltpoll, -1);
	assert_int_equal(c.m.idlepath.cpu[0].kind, IDLE_KIND_UNKNOWN);
	assert_null(find(&c.f, "idle-exit-unavoidable"));
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
	cmocka_unit_test(halt_on_kvm_is_unavoidable),
	cmocka_unit_test(haltpoll_vm_constraint_helps),
	cmocka_unit_test(boot_poll_never_halts),
	cmocka_unit_test(c1_only_vm_by_dmi),
	cmocka_unit_test(deep_states_on_metal),
	cmocka_unit_test(idle_path_unknown_without_files),
};
RUN_TESTS(tests)
