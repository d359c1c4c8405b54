/* tune/conflicts: which running service would undo a plan, and the
 * warning that says what to do. */
#include "testutil.h"

#include "tune/conflicts.h"

static void plan_with(struct plan *pl, enum knob_kind k, const char *target)
{
	memset(pl, 0, sizeof(*pl));
	cpumask_init(&pl->agent_cpus);
	cpumask_init(&pl->housekeeping);
	assert_int_equal(cpulist_parse("2-3", &pl->agent_cpus), 0);
	pl->c = calloc(1, sizeof(*pl->c));
	assert_non_null(pl->c);
	pl->n = 1;
	change_init(&pl->c[0].ch, k, target, target, "t.profile:1");
}

/* The warnings conflicts_warn gives model m for a plan of one change of
 * knob k on target, in w (strlist_free it). */
static void warnings_for(const struct model *m, enum knob_kind k, const char *target,
			 struct strlist *w)
{
	struct plan pl;
	plan_with(&pl, k, target);
	strlist_init(w);
	assert_int_equal(conflicts_warn(m, &pl, w), 0);
	plan_free(&pl);
}

static void irqbalance_only_against_irq_changes(void **state)
{
	struct model m;
	memset(&m, 0, sizeof(m));
	m.svc.irqbalance_pid = 321;
	struct strlist w;

	warnings_for(&m, KNOB_IRQ_AFFINITY, "38", &w);
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.v[0], "irqbalance (pid 321) is running"));
	assert_non_null(strstr(w.v[0], "IRQBALANCE_BANNED_CPULIST=2-3"));
	strlist_free(&w);

	/* A plan that moves no IRQ has nothing irqbalance undoes. */
	warnings_for(&m, KNOB_SYSCTL, "net.core.busy_poll", &w);
	assert_int_equal(w.n, 0);
	strlist_free(&w);
}

static void tuned_against_any_plan_and_none_when_idle(void **state)
{
	struct model m;
	memset(&m, 0, sizeof(m));
	struct strlist w;
	warnings_for(&m, KNOB_PMQOS, "2", &w);
	assert_int_equal(w.n, 0);
	strlist_free(&w);
	m.svc.tuned_pid = 77;
	m.svc.irqbalance_pid = 78;
	warnings_for(&m, KNOB_PMQOS, "2", &w);
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.v[0], "tuned (pid 77) is running"));
	assert_non_null(strstr(w.v[0], "tuned-adm off"));
	strlist_free(&w);
}

/* irqbalance enabled at boot, not running: warned about; its banned list
 * against the agent CPUs (2-3) decides which warning, and the fix names
 * the union of what it bans and the agent CPUs. */
static void irqbalance_boot_and_banned_list(void **state)
{
	struct model m;
	memset(&m, 0, sizeof(m));
	m.svc.irqbalance_boot.enabled = 1;
	snprintf(m.svc.irqbalance_boot.by, sizeof(m.svc.irqbalance_boot.by),
		 "/etc/rc2.d/S01irqbalance");
	struct plan pl;
	struct strlist w;
	plan_with(&pl, KNOB_IRQ_AFFINITY, "38");

	strlist_init(&w);
	assert_int_equal(conflicts_warn(&m, &pl, &w), 0);
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.v[0], "irqbalance is not running now but is enabled at boot (/etc/rc2.d/S01irqbalance)"));
	assert_non_null(strstr(w.v[0], "there is no /etc/default/irqbalance"));
	assert_non_null(strstr(w.v[0], "IRQBALANCE_BANNED_CPULIST=2-3"));
	strlist_free(&w);

	snprintf(m.svc.irqbalance_conf, sizeof(m.svc.irqbalance_conf), "/etc/sysconfig/irqbalance");
	snprintf(m.svc.irqbalance_banned, sizeof(m.svc.irqbalance_banned), "0,3");
	strlist_init(&w);
	assert_int_equal(conflicts_warn(&m, &pl, &w), 0);
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.v[0], "IRQBALANCE_BANNED_CPULIST=0,3 in /etc/sysconfig/irqbalance leaves agent CPUs 2-3 to it"));
	assert_non_null(strstr(w.v[0], "IRQBALANCE_BANNED_CPULIST=0,2-3 in /etc/sysconfig/irqbalance"));
	strlist_free(&w);

	m.svc.irqbalance_pid = 55;
	snprintf(m.svc.irqbalance_banned, sizeof(m.svc.irqbalance_banned), "1-3");
	strlist_init(&w);
	assert_int_equal(conflicts_warn(&m, &pl, &w), 0);
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.v[0], "(pid 55) is running and enabled at boot"));
	assert_non_null(strstr(w.v[0], "keeps it off the agent CPUs 2-3"));
	assert_null(strstr(w.v[0], "will move these IRQs back"));
	strlist_free(&w);
	plan_free(&pl);
}

/* tuned with a known profile: only the keys that set what the plan
 * changes are named; none, no warning. */
static void tuned_profile_keys_against_the_plan(void **state)
{
	struct model m;
	memset(&m, 0, sizeof(m));
	m.svc.tuned_pid = 9;
	snprintf(m.svc.tuned_profile, sizeof(m.svc.tuned_profile), "network-latency");
	m.svc.tuned_keys_read = true;
	const char *keys[] = { "sysctl.net.core.busy_poll", "sysctl.vm.swappiness", "cpu.force_latency" };
	for (size_t i = 0; i < 3; i++)
		snprintf(m.svc.tuned_keys[m.svc.ntuned_keys++], sizeof(m.svc.tuned_keys[0]), "%s", keys[i]);
	struct strlist w;

	warnings_for(&m, KNOB_SYSCTL, "net.core.busy_poll", &w);
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.v[0], "tuned (pid 9) is running with profile 'network-latency', which sets sysctl.net.core.busy_poll:"));
	assert_null(strstr(w.v[0], "swappiness"));
	assert_null(strstr(w.v[0], "force_latency"));
	strlist_free(&w);

	warnings_for(&m, KNOB_PMQOS, "2", &w);
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.v[0], "which sets cpu.force_latency:"));
	strlist_free(&w);

	warnings_for(&m, KNOB_SYSCTL, "net.core.netdev_budget", &w);
	assert_int_equal(w.n, 0);
	strlist_free(&w);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(irqbalance_boot_and_banned_list),
	cmocka_unit_test(tuned_profile_keys_against_the_plan),
	cmocka_unit_test(irqbalance_only_against_irq_changes),
	cmocka_unit_test(tuned_against_any_plan_and_none_when_idle),
};

RUN_TESTS(tests)
