/* Unit tests: the verdict over synthetic slow steps (no BPF needed). */
#include "testutil.h"
#include "diagnose/verdict.h"

static struct step_event step(unsigned cpu, uint64_t idle, uint64_t queue, uint64_t irq,
			      const char *before)
{
	struct step_event e;
	memset(&e, 0, sizeof(e));
	e.cpu = e.prev_cpu = cpu;
	e.idle_state = idle ? 1 : -1;
	e.stage_ns[STAGE_IDLE_EXIT] = idle;
	e.stage_ns[STAGE_QUEUE] = queue;
	e.stage_ns[STAGE_WAKE_RUN] = idle + queue;
	e.stage_ns[STAGE_IRQ] = irq;
	snprintf(e.preempt_comm, sizeof(e.preempt_comm), "%s", before);
	return e;
}

static void ranks_causes_by_share(void **state)
{
	struct step_event ev[4] = {
		step(1, 0, 4000000, 0, "hog"),
		step(1, 0, 3000000, 1000, "hog"),
		step(1, 50000, 10000, 0, "swapper/1"),
		step(1, 0, 20000, 0, "kworker/1:1"),
	};
	struct probe_result r;
	memset(&r, 0, sizeof(r));
	r.slow = ev;
	r.nslow = 4;
	struct verdict v;
	verdict_eval(&r, NULL, &v);
	assert_int_equal(v.nsteps, 4);
	assert_int_equal(v.total_ns, 4000000 + 3001000 + 60000 + 20000);
	assert_true(v.n >= 3);
	assert_string_equal(v.cause[0].id, "queueing");
	assert_string_equal(v.cause[1].id, "idle-exit");
	assert_string_equal(v.cause[2].id, "irq-interference");
	assert_int_equal(v.cause[0].steps, 4);
	double sum = 0;
	for (size_t i = 0; i < v.n; i++)
		sum += v.cause[i].share;
	assert_true(sum > 0.999 && sum < 1.001);
	/* The task queued behind most often is named; the idle task never is. */
	assert_non_null(strstr(v.cause[0].evidence, "most often 'hog' (2 steps)"));
	assert_non_null(strstr(v.cause[0].evidence, "in 3 of them other tasks ran first"));
}

static void unattributed_is_what_no_stage_explains(void **state)
{
	struct step_event e = step(0, 0, 0, 0, "");
	e.stage_ns[STAGE_WAKE_RUN] = 5000; /* stages disabled: nothing split out */
	struct probe_result r;
	memset(&r, 0, sizeof(r));
	r.slow = &e;
	r.nslow = 1;
	struct verdict v;
	verdict_eval(&r, NULL, &v);
	assert_int_equal(v.n, 1);
	assert_string_equal(v.cause[0].id, "unattributed");
	assert_true(v.cause[0].share > 0.999);
}

static void migrations_are_counted(void **state)
{
	struct step_event ev[2] = { step(1, 0, 1000, 0, ""), step(1, 0, 1000, 0, "") };
	ev[1].prev_cpu = 0;
	struct probe_result r;
	memset(&r, 0, sizeof(r));
	r.slow = ev;
	r.nslow = 2;
	struct verdict v;
	verdict_eval(&r, NULL, &v);
	assert_int_equal(v.migrated, 1);
}

static void no_slow_steps_no_causes(void **state)
{
	struct probe_result r;
	memset(&r, 0, sizeof(r));
	struct verdict v;
	verdict_eval(&r, NULL, &v);
	assert_int_equal(v.n, 0);
	assert_int_equal(v.total_ns, 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(ranks_causes_by_share),
	cmocka_unit_test(unattributed_is_what_no_stage_explains),
	cmocka_unit_test(migrations_are_counted),
	cmocka_unit_test(no_slow_steps_no_causes),
};
RUN_TESTS(tests)
