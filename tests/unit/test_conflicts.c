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

static void irqbalance_only_against_irq_changes(void **state)
{
	struct model m;
	memset(&m, 0, sizeof(m));
	m.svc.irqbalance_pid = 321;
	struct plan pl;
	struct strlist w;

	plan_with(&pl, KNOB_IRQ_AFFINITY, "38");
	strlist_init(&w);
	assert_int_equal(conflicts_warn(&m, &pl, &w), 0);
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.v[0], "irqbalance (pid 321) is running"));
	assert_non_null(strstr(w.v[0], "IRQBALANCE_BANNED_CPULIST=2-3"));
	strlist_free(&w);
	plan_free(&pl);

	/* A plan that moves no IRQ has nothing irqbalance undoes. */
	plan_with(&pl, KNOB_SYSCTL, "net.core.busy_poll");
	strlist_init(&w);
	assert_int_equal(conflicts_warn(&m, &pl, &w), 0);
	assert_int_equal(w.n, 0);
	strlist_free(&w);
	plan_free(&pl);
}

static void tuned_against_any_plan_and_none_when_idle(void **state)
{
	struct model m;
	memset(&m, 0, sizeof(m));
	struct plan pl;
	struct strlist w;
	plan_with(&pl, KNOB_PMQOS, "2");
	strlist_init(&w);
	assert_int_equal(conflicts_warn(&m, &pl, &w), 0);
	assert_int_equal(w.n, 0);
	m.svc.tuned_pid = 77;
	m.svc.irqbalance_pid = 78;
	assert_int_equal(conflicts_warn(&m, &pl, &w), 0);
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.v[0], "tuned (pid 77) is running"));
	assert_non_null(strstr(w.v[0], "tuned-adm off"));
	strlist_free(&w);
	plan_free(&pl);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(irqbalance_only_against_irq_changes),
	cmocka_unit_test(tuned_against_any_plan_and_none_when_idle),
};

RUN_TESTS(tests)
