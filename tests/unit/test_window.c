/* Unit tests: the PM QoS window / token budget state machine (window.c),
 * driven by a fake clock and fake ops that record every call. */
#include "testutil.h"

#include "tune/window.h"

#define MS 1000000ULL
#define SEC 1000000000ULL
#define DAY (86400ULL * SEC)
/* Fake CLOCK_MONOTONIC at the start: far from 0 (0 means "no step"). */
#define T0 (1000ULL * SEC)
#define NCPU 4
#define NPOL 2

/* ---------- fake clock and ops ---------- */

struct fake {
	uint64_t now;                 /* the fake clock */
	uint64_t last[NCPU];          /* last_step's answer... */
	bool stepping[NCPU];          /* ...or now: the CPU steps all the time */
	int rearm_force;              /* -1: true when a step came at/after since */
	bool open_fails;
	unsigned n_open[NCPU], n_close[NCPU], n_rearm[NCPU], n_last[NCPU];
	uint64_t rearm_since[NCPU];   /* since of the latest rearm */
	unsigned n_floor;
	int floor_on[NPOL];
	char log[4096];               /* "open0 close0 rearm0 floor1+ ..." */
};

static void logf_(struct fake *f, const char *what, unsigned n, const char *suffix)
{
	size_t len = strlen(f->log);
	snprintf(f->log + len, sizeof(f->log) - len, "%s%u%s ", what, n, suffix);
}

static bool fake_open(void *ctx, unsigned cpu)
{
	struct fake *f = ctx;
	assert_true(cpu < NCPU);
	f->n_open[cpu]++;
	logf_(f, "open", cpu, f->open_fails ? "!" : "");
	return !f->open_fails;
}

static void fake_close(void *ctx, unsigned cpu)
{
	struct fake *f = ctx;
	assert_true(cpu < NCPU);
	f->n_close[cpu]++;
	logf_(f, "close", cpu, "");
}

static void fake_floor(void *ctx, unsigned policy, bool on)
{
	struct fake *f = ctx;
	assert_true(policy < NPOL);
	f->n_floor++;
	f->floor_on[policy] += on ? 1 : -1;
	logf_(f, "floor", policy, on ? "+" : "-");
}

static uint64_t fake_last_step(void *ctx, unsigned cpu)
{
	struct fake *f = ctx;
	assert_true(cpu < NCPU);
	f->n_last[cpu]++;
	return f->stepping[cpu] ? f->now : f->last[cpu];
}

static bool fake_rearm(void *ctx, unsigned cpu, uint64_t since)
{
	struct fake *f = ctx;
	assert_true(cpu < NCPU);
	f->n_rearm[cpu]++;
	f->rearm_since[cpu] = since;
	logf_(f, "rearm", cpu, "");
	if (f->rearm_force >= 0)
		return f->rearm_force;
	uint64_t last = f->stepping[cpu] ? f->now : f->last[cpu];
	return last && last >= since;
}

static const struct window_ops fake_ops = {
	.open = fake_open,
	.close = fake_close,
	.floor = fake_floor,
	.last_step = fake_last_step,
	.rearm = fake_rearm,
};

struct rig {
	struct fake f;
	struct window_sm sm;
};

static struct window_params params(uint64_t window_ms, int64_t budget, int64_t refill,
				   int64_t cost)
{
	struct window_params p = {
		.window_ns = window_ms * MS,
		.budget_tokens = budget,
		.refill_per_s = refill,
		.cost_per_window = cost,
	};
	return p;
}

/* A state machine at T0 with NCPU slots, nbucket buckets, NPOL policies;
 * every CPU in scope on bucket 0 without a policy. */
static void rig_init(struct rig *r, struct window_params p, size_t nbucket)
{
	memset(r, 0, sizeof(*r));
	r->f.rearm_force = -1;
	r->f.now = T0;
	assert_int_equal(window_init(&r->sm, &p, NCPU, nbucket, NPOL, &fake_ops, &r->f, T0), 0);
	for (unsigned c = 0; c < NCPU; c++)
		assert_int_equal(window_cpu_setup(&r->sm, c, 0, -1), 0);
}

static enum window_step_result step_at(struct rig *r, unsigned cpu, uint64_t t)
{
	r->f.now = t;
	return window_step(&r->sm, cpu, t);
}

static void tick_at(struct rig *r, uint64_t t)
{
	r->f.now = t;
	window_tick(&r->sm, t);
}

/* Runs the controller's timer loop: every pending time before end. */
static void run_until(struct rig *r, uint64_t end)
{
	uint64_t t;
	while ((t = window_next_deadline(&r->sm)) && t < end)
		tick_at(r, t);
}

static const struct window_cpu *C(struct rig *r, unsigned cpu)
{
	return &r->sm.cpu[cpu];
}

/* ---------- parameters ---------- */

static void check_bad(struct window_params p, const char *msg)
{
	char why[256] = "x";
	assert_int_equal(window_params_check(&p, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, msg);
	struct window_sm sm;
	assert_int_equal(window_init(&sm, &p, 1, 1, 0, &fake_ops, NULL, T0), -EINVAL);
	window_free(&sm);
}

static void test_params_check(void **state)
{
	(void)state;
	char why[256] = "x";
	struct window_params def = params(WINDOW_DEFAULT_MS, WINDOW_DEFAULT_BUDGET,
					  WINDOW_DEFAULT_REFILL, WINDOW_DEFAULT_COST);
	assert_int_equal(window_params_check(&def, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	/* the limits themselves are valid */
	struct window_params edge = params(60000, 1000000000, 1000000000, 1000000000);
	assert_int_equal(window_params_check(&edge, NULL, 0), 0);
	edge = params(1, 1, 0, 1);
	assert_int_equal(window_params_check(&edge, why, sizeof(why)), 0);

	check_bad(params(5, 3, 1, 5),
		  "cost_per_window (5) is larger than budget_tokens (3): no window could ever open");
	check_bad(params(0, 10, 1, 1), "window_ns (0) must be greater than 0");
	check_bad(params(60001, 10, 1, 1), "window_ns (60001000000) is longer than 60 s");
	check_bad(params(20, 10, 1, 0), "cost_per_window (0) must be at least 1");
	check_bad(params(20, 10, 1, -2), "cost_per_window (-2) must be at least 1");
	check_bad(params(20, 2000000000, 1, 1000000001),
		  "cost_per_window (1000000001) is larger than 1000000000");
	check_bad(params(20, 1000000001, 1, 1),
		  "budget_tokens (1000000001) is larger than 1000000000");
	check_bad(params(20, -1, 1, 1),
		  "cost_per_window (1) is larger than budget_tokens (-1): no window could ever open");
	check_bad(params(20, 10, -1, 1), "refill_per_s (-1) must not be negative");
	check_bad(params(20, 10, 1000000001, 1),
		  "refill_per_s (1000000001) is larger than 1000000000");

	assert_int_equal(window_params_check(NULL, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "no window parameters");
	/* a tiny buffer is cut, not overrun, and the cut shows */
	char small[8];
	struct window_params bad = params(0, 1, 1, 1);
	assert_int_equal(window_params_check(&bad, small, sizeof(small)), -EINVAL);
	assert_string_equal(small, "wind...");

	assert_string_equal(window_state_name(WINDOW_CLOSED), "closed");
	assert_string_equal(window_state_name(WINDOW_OPEN), "open");
	assert_string_equal(window_state_name(WINDOW_WAIT_BUDGET), "budget");
	assert_string_equal(window_state_name(WINDOW_OFFLINE), "offline");
}

static void test_init_and_setup(void **state)
{
	(void)state;
	struct window_params p = params(20, 7, 1, 2);
	struct window_sm sm;
	assert_int_equal(window_init(&sm, &p, 3, 2, 1, &fake_ops, NULL, T0), 0);
	assert_int_equal(sm.started_at, T0);
	for (unsigned b = 0; b < 2; b++) {
		assert_int_equal(sm.bucket[b].mtokens, 7000);   /* full */
		assert_int_equal(sm.bucket[b].refilled_at, T0);
		assert_int_equal(window_tokens(&sm, b, T0), 7);
	}
	for (unsigned c = 0; c < 3; c++) {
		assert_false(sm.cpu[c].in_scope);
		assert_int_equal(sm.cpu[c].state, WINDOW_CLOSED);
		assert_int_equal(sm.cpu[c].policy, -1);
		/* not in scope: ignored */
		assert_int_equal(window_step(&sm, c, T0), WINDOW_STEP_IGNORED);
	}
	assert_int_equal(window_cpu_setup(&sm, 3, 0, -1), -EINVAL);   /* cpu */
	assert_int_equal(window_cpu_setup(&sm, 0, 2, -1), -EINVAL);   /* bucket */
	assert_int_equal(window_cpu_setup(&sm, 0, 0, 1), -EINVAL);    /* policy */
	assert_int_equal(window_cpu_setup(&sm, 0, 0, -2), -EINVAL);
	assert_int_equal(window_cpu_setup(&sm, 2, 1, 0), 0);
	assert_true(sm.cpu[2].in_scope);
	assert_int_equal(sm.cpu[2].bucket, 1);
	assert_int_equal(sm.cpu[2].policy, 0);
	assert_int_equal(window_tokens(&sm, 2, T0), 0);               /* no such bucket */
	assert_int_equal(window_next_deadline(&sm), 0);
	window_free(&sm);
	assert_null(sm.cpu);
	window_free(&sm);                                            /* twice is fine */

	/* NULLs do not crash */
	window_free(NULL);
	window_tick(NULL, T0);
	window_close_all(NULL, T0, true);
	window_cpu_offline(NULL, 0, T0);
	assert_int_equal(window_step(NULL, 0, T0), WINDOW_STEP_IGNORED);
	assert_int_equal(window_next_deadline(NULL), 0);
	assert_int_equal(window_tokens(NULL, 0, T0), 0);
	assert_true(window_open_share(NULL, 0, T0 + SEC) == 0);
	assert_int_equal(window_cpu_setup(NULL, 0, 0, -1), -EINVAL);
	assert_int_equal(window_init(NULL, &p, 1, 1, 0, NULL, NULL, T0), -EINVAL);
	struct window_totals t = { .opened = 9 };
	window_totals(NULL, &t);
	assert_int_equal(t.opened, 0);
	window_totals(&sm, NULL);

	/* no ops at all: windows open and close without calls */
	assert_int_equal(window_init(&sm, &p, 1, 1, 0, NULL, NULL, T0), 0);
	assert_int_equal(window_cpu_setup(&sm, 0, 0, -1), 0);
	assert_int_equal(window_step(&sm, 0, T0), WINDOW_STEP_OPENED);
	window_tick(&sm, T0 + 20 * MS);
	assert_int_equal(sm.cpu[0].state, WINDOW_CLOSED);
	assert_int_equal(sm.cpu[0].open_ns, 20 * MS);
	window_free(&sm);
}

/* ---------- opening, extending, closing ---------- */

static void test_open_on_step(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, params(20, 10, 0, 1), 1);
	assert_int_equal(step_at(&r, 1, T0 + 3 * MS), WINDOW_STEP_OPENED);
	assert_string_equal(r.f.log, "open1 ");
	assert_int_equal(r.f.n_open[1], 1);
	assert_int_equal(C(&r, 1)->state, WINDOW_OPEN);
	assert_int_equal(C(&r, 1)->opened_at, T0 + 3 * MS);
	assert_int_equal(C(&r, 1)->period_start, T0 + 3 * MS);
	assert_int_equal(C(&r, 1)->deadline, T0 + 23 * MS);
	assert_int_equal(C(&r, 1)->opened, 1);
	assert_int_equal(window_next_deadline(&r.sm), T0 + 23 * MS);
	assert_int_equal(window_tokens(&r.sm, 0, T0 + 3 * MS), 9);
	assert_int_equal(r.sm.bucket[0].mtokens, 9000);

	/* beyond the slots: ignored */
	assert_int_equal(step_at(&r, NCPU, T0 + 4 * MS), WINDOW_STEP_IGNORED);
	assert_int_equal(step_at(&r, 1000, T0 + 4 * MS), WINDOW_STEP_IGNORED);

	struct window_totals t;
	window_totals(&r.sm, &t);
	assert_int_equal(t.opened, 1);
	assert_int_equal(t.open_now, 1);
	assert_int_equal(t.closed + t.denied + t.extended, 0);
	window_free(&r.sm);
}

static void test_steps_while_open_ignored(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, params(20, 10, 0, 1), 1);
	assert_int_equal(step_at(&r, 0, T0), WINDOW_STEP_OPENED);
	for (uint64_t t = T0 + MS; t < T0 + 20 * MS; t += MS)
		assert_int_equal(step_at(&r, 0, t), WINDOW_STEP_IGNORED);
	assert_int_equal(r.f.n_open[0], 1);
	assert_int_equal(C(&r, 0)->deadline, T0 + 20 * MS);
	assert_int_equal(C(&r, 0)->opened, 1);
	assert_int_equal(window_tokens(&r.sm, 0, T0 + 19 * MS), 9);
	/* a tick before the deadline does nothing, not even read last_step */
	tick_at(&r, T0 + 19 * MS);
	assert_int_equal(r.f.n_last[0], 0);
	assert_string_equal(r.f.log, "open0 ");
	window_free(&r.sm);
}

static void test_extension(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, params(20, 10, 0, 1), 1);
	assert_int_equal(step_at(&r, 0, T0), WINDOW_STEP_OPENED);
	r.f.last[0] = T0 + 5 * MS;              /* one step inside the first period */
	tick_at(&r, T0 + 20 * MS);
	assert_int_equal(C(&r, 0)->state, WINDOW_OPEN);
	assert_int_equal(C(&r, 0)->extended, 1);
	assert_int_equal(C(&r, 0)->period_start, T0 + 20 * MS);
	assert_int_equal(C(&r, 0)->deadline, T0 + 40 * MS);
	assert_int_equal(C(&r, 0)->opened_at, T0);
	assert_int_equal(window_tokens(&r.sm, 0, T0 + 20 * MS), 8);   /* 1 per period */
	assert_int_equal(r.f.n_last[0], 1);

	/* no step in the second period: it closes, exactly one extension */
	tick_at(&r, T0 + 40 * MS);
	assert_int_equal(C(&r, 0)->state, WINDOW_CLOSED);
	assert_int_equal(C(&r, 0)->extended, 1);
	assert_int_equal(C(&r, 0)->closed, 1);
	assert_int_equal(C(&r, 0)->open_ns, 40 * MS);
	assert_int_equal(r.f.n_close[0], 1);
	assert_int_equal(r.f.rearm_since[0], T0 + 40 * MS);
	assert_string_equal(r.f.log, "open0 close0 rearm0 ");
	assert_int_equal(window_tokens(&r.sm, 0, T0 + 40 * MS), 8);
	assert_int_equal(window_next_deadline(&r.sm), 0);

	/* a step at exactly period_start counts as in the period */
	assert_int_equal(step_at(&r, 0, T0 + 50 * MS), WINDOW_STEP_OPENED);
	r.f.last[0] = T0 + 50 * MS;
	tick_at(&r, T0 + 70 * MS);
	assert_int_equal(C(&r, 0)->extended, 2);

	/* a CPU stepping all the time: one token per period */
	r.f.stepping[0] = true;
	for (unsigned i = 1; i <= 5; i++) {
		tick_at(&r, T0 + (70 + 20 * i) * MS);
		assert_int_equal(C(&r, 0)->extended, 2 + i);
		assert_int_equal(window_tokens(&r.sm, 0, r.f.now), 6 - i);
	}
	assert_int_equal(r.f.n_open[0], 2);
	assert_int_equal(r.f.n_close[0], 1);
	window_free(&r.sm);
}

static void test_expiry(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, params(20, 10, 0, 1), 1);
	assert_int_equal(step_at(&r, 2, T0 + 10 * MS), WINDOW_STEP_OPENED);
	tick_at(&r, T0 + 30 * MS);
	assert_int_equal(C(&r, 2)->state, WINDOW_CLOSED);
	assert_int_equal(r.f.n_close[2], 1);
	assert_int_equal(C(&r, 2)->open_ns, 20 * MS);
	assert_int_equal(C(&r, 2)->closed, 1);
	assert_int_equal(r.f.n_rearm[2], 1);
	assert_int_equal(r.f.rearm_since[2], T0 + 30 * MS);
	assert_int_equal(window_next_deadline(&r.sm), 0);
	/* 20 ms open out of 80 ms */
	assert_float_equal(window_open_share(&r.sm, 2, T0 + 80 * MS), 0.25, 1e-12);
	assert_float_equal(window_open_share(&r.sm, 1, T0 + 80 * MS), 0.0, 1e-12);
	/* later ticks leave it alone */
	tick_at(&r, T0 + SEC);
	assert_int_equal(r.f.n_close[2], 1);
	assert_int_equal(r.f.n_rearm[2], 1);
	assert_string_equal(r.f.log, "open2 close2 rearm2 ");
	/* late timer: the window was open until the tick that closed it */
	assert_int_equal(step_at(&r, 2, T0 + 2 * SEC), WINDOW_STEP_OPENED);
	tick_at(&r, T0 + 2 * SEC + 25 * MS);
	assert_int_equal(C(&r, 2)->open_ns, 45 * MS);

	struct window_totals t;
	window_totals(&r.sm, &t);
	assert_int_equal(t.opened, 2);
	assert_int_equal(t.closed, 2);
	assert_int_equal(t.open_now, 0);
	window_free(&r.sm);
}

static void test_rearm_true_reopens(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, params(20, 10, 0, 1), 1);
	assert_int_equal(step_at(&r, 0, T0), WINDOW_STEP_OPENED);
	r.f.rearm_force = 1;    /* a step slipped in while the window closed */
	tick_at(&r, T0 + 20 * MS);
	assert_string_equal(r.f.log, "open0 close0 rearm0 open0 ");
	assert_int_equal(C(&r, 0)->state, WINDOW_OPEN);
	assert_int_equal(C(&r, 0)->opened, 2);
	assert_int_equal(C(&r, 0)->closed, 1);
	assert_int_equal(C(&r, 0)->opened_at, T0 + 20 * MS);
	assert_int_equal(C(&r, 0)->deadline, T0 + 40 * MS);
	assert_int_equal(C(&r, 0)->open_ns, 20 * MS);
	assert_int_equal(window_tokens(&r.sm, 0, T0 + 20 * MS), 8);
	/* open 20 ms + 10 ms of the current one, out of 30 ms */
	assert_float_equal(window_open_share(&r.sm, 0, T0 + 30 * MS), 1.0, 1e-12);
	window_free(&r.sm);
}

/* ---------- budget ---------- */

/* Budget 5, refill 2/s, cost 1, 20 ms windows, a CPU stepping without a
 * pause for 5 s: 5 periods on the full bucket (the refill of 40 mtokens a
 * period leaves 200 mtokens after the fifth charge), then a 20 ms window
 * each time the refill has brought one token back (every 500 ms, the first
 * at +500 ms): 9 of them before +5 s.  14 periods = 5 + 2/s * 4.5 s. */
static void test_exhaustion(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, params(20, 5, 2, 1), 1);
	r.f.stepping[0] = true;
	assert_int_equal(step_at(&r, 0, T0), WINDOW_STEP_OPENED);

	run_until(&r, T0 + 100 * MS);
	assert_int_equal(C(&r, 0)->state, WINDOW_OPEN);
	assert_int_equal(C(&r, 0)->extended, 4);
	assert_int_equal(r.sm.bucket[0].mtokens, 160);

	tick_at(&r, T0 + 100 * MS);
	assert_int_equal(C(&r, 0)->state, WINDOW_WAIT_BUDGET);
	assert_int_equal(C(&r, 0)->denied, 1);
	assert_int_equal(C(&r, 0)->closed, 1);
	assert_int_equal(C(&r, 0)->open_ns, 100 * MS);
	assert_int_equal(C(&r, 0)->wait_since, T0 + 100 * MS);
	/* 800 mtokens missing at 2000 mtokens/s */
	assert_int_equal(C(&r, 0)->retry_at, T0 + 500 * MS);
	assert_int_equal(window_next_deadline(&r.sm), T0 + 500 * MS);
	assert_int_equal(r.f.n_rearm[0], 0);          /* budget closes do not rearm */
	/* steps while waiting are ignored */
	assert_int_equal(step_at(&r, 0, T0 + 200 * MS), WINDOW_STEP_IGNORED);
	assert_int_equal(window_tokens(&r.sm, 0, T0 + 499 * MS), 0);
	assert_int_equal(r.sm.bucket[0].mtokens, 998);

	/* the refill is there: rearm (since the denial), the step reopens */
	tick_at(&r, T0 + 500 * MS);
	assert_int_equal(r.f.n_rearm[0], 1);
	assert_int_equal(r.f.rearm_since[0], T0 + 100 * MS);
	assert_int_equal(C(&r, 0)->state, WINDOW_OPEN);
	assert_int_equal(C(&r, 0)->opened, 2);
	assert_int_equal(C(&r, 0)->deadline, T0 + 520 * MS);
	assert_int_equal(r.sm.bucket[0].mtokens, 0);
	tick_at(&r, T0 + 520 * MS);
	assert_int_equal(C(&r, 0)->state, WINDOW_WAIT_BUDGET);
	assert_int_equal(C(&r, 0)->retry_at, T0 + 1000 * MS);   /* 960 mtokens */

	run_until(&r, T0 + 5 * SEC);
	const struct window_cpu *c = C(&r, 0);
	assert_int_equal(c->opened, 10);
	assert_int_equal(c->extended, 4);
	assert_int_equal(c->opened + c->extended, 14);
	assert_int_equal(c->closed, 10);
	assert_int_equal(c->denied, 10);
	assert_int_equal(c->state, WINDOW_WAIT_BUDGET);
	assert_int_equal(c->retry_at, T0 + 5 * SEC);
	assert_int_equal(c->open_ns, 280 * MS);
	assert_int_equal(r.f.n_open[0], 10);
	assert_int_equal(r.f.n_close[0], 10);
	assert_int_equal(r.f.n_rearm[0], 9);
	assert_float_equal(window_open_share(&r.sm, 0, T0 + 5 * SEC), 0.056, 1e-12);
	assert_int_equal(window_tokens(&r.sm, 0, T0 + 5 * SEC), 1);
	window_free(&r.sm);
}

static void test_refill_zero_waits_forever(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, params(20, 2, 0, 1), 1);
	r.f.stepping[0] = true;
	assert_int_equal(step_at(&r, 0, T0), WINDOW_STEP_OPENED);
	tick_at(&r, T0 + 20 * MS);
	assert_int_equal(C(&r, 0)->extended, 1);
	tick_at(&r, T0 + 40 * MS);
	assert_int_equal(C(&r, 0)->state, WINDOW_WAIT_BUDGET);
	assert_int_equal(C(&r, 0)->denied, 1);
	assert_int_equal(C(&r, 0)->retry_at, 0);
	assert_int_equal(window_next_deadline(&r.sm), 0);
	tick_at(&r, T0 + 30 * DAY);
	assert_int_equal(C(&r, 0)->state, WINDOW_WAIT_BUDGET);
	assert_int_equal(step_at(&r, 0, T0 + 30 * DAY), WINDOW_STEP_IGNORED);
	assert_int_equal(window_tokens(&r.sm, 0, T0 + 30 * DAY), 0);
	/* another CPU on the empty bucket is denied at once */
	assert_int_equal(step_at(&r, 1, T0 + 30 * DAY), WINDOW_STEP_DENIED);
	assert_int_equal(C(&r, 1)->retry_at, 0);
	assert_int_equal(r.f.n_open[1], 0);
	assert_int_equal(window_next_deadline(&r.sm), 0);
	window_free(&r.sm);
}

static void test_own_buckets(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, params(20, 2, 0, 1), 2);
	assert_int_equal(window_cpu_setup(&r.sm, 1, 1, -1), 0);
	assert_int_equal(step_at(&r, 0, T0), WINDOW_STEP_OPENED);
	tick_at(&r, T0 + 20 * MS);
	assert_int_equal(step_at(&r, 0, T0 + 30 * MS), WINDOW_STEP_OPENED);
	tick_at(&r, T0 + 50 * MS);
	assert_int_equal(step_at(&r, 0, T0 + 60 * MS), WINDOW_STEP_DENIED);
	assert_int_equal(C(&r, 0)->denied, 1);
	assert_int_equal(window_tokens(&r.sm, 0, T0 + 60 * MS), 0);
	/* CPU 1 has its own, untouched */
	assert_int_equal(window_tokens(&r.sm, 1, T0 + 60 * MS), 2);
	assert_int_equal(step_at(&r, 1, T0 + 60 * MS), WINDOW_STEP_OPENED);
	assert_int_equal(window_tokens(&r.sm, 1, T0 + 60 * MS), 1);
	/* CPU 2 still draws on bucket 0 */
	assert_int_equal(step_at(&r, 2, T0 + 60 * MS), WINDOW_STEP_DENIED);
	assert_string_equal(r.f.log, "open0 close0 rearm0 open0 close0 rearm0 open1 ");
	window_free(&r.sm);
}

/* Two agents on CPUs 0 and 1, one bucket of 3, refill 10/s (1 token per
 * 100 ms): both open (1 left); at +20 ms the refill gave 200 mtokens, CPU
 * 0 extends (200 left) and CPU 1 finds it short; at +40 ms CPU 0 is short
 * too.  Both retry at +100 ms, when the bucket holds one token: CPU 0
 * takes it, CPU 1 waits for the next at +200 ms. */
static void test_shared_bucket(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, params(20, 3, 10, 1), 1);
	r.f.stepping[0] = r.f.stepping[1] = true;
	assert_int_equal(step_at(&r, 0, T0), WINDOW_STEP_OPENED);
	assert_int_equal(step_at(&r, 1, T0), WINDOW_STEP_OPENED);
	assert_int_equal(window_tokens(&r.sm, 0, T0), 1);

	tick_at(&r, T0 + 20 * MS);
	assert_int_equal(C(&r, 0)->state, WINDOW_OPEN);
	assert_int_equal(C(&r, 0)->extended, 1);
	assert_int_equal(C(&r, 1)->state, WINDOW_WAIT_BUDGET);
	assert_int_equal(C(&r, 1)->retry_at, T0 + 100 * MS);
	assert_int_equal(r.sm.bucket[0].mtokens, 200);

	tick_at(&r, T0 + 40 * MS);
	assert_int_equal(C(&r, 0)->state, WINDOW_WAIT_BUDGET);
	assert_int_equal(C(&r, 0)->retry_at, T0 + 100 * MS);
	assert_int_equal(window_next_deadline(&r.sm), T0 + 100 * MS);

	tick_at(&r, T0 + 100 * MS);
	assert_int_equal(C(&r, 0)->state, WINDOW_OPEN);
	assert_int_equal(C(&r, 0)->opened, 2);
	assert_int_equal(C(&r, 1)->state, WINDOW_WAIT_BUDGET);
	assert_int_equal(C(&r, 1)->denied, 2);
	assert_int_equal(C(&r, 1)->retry_at, T0 + 200 * MS);
	assert_int_equal(r.f.rearm_since[0], T0 + 40 * MS);
	assert_int_equal(r.f.rearm_since[1], T0 + 20 * MS);
	assert_int_equal(window_next_deadline(&r.sm), T0 + 120 * MS);

	struct window_totals t;
	window_totals(&r.sm, &t);
	assert_int_equal(t.opened, 3);
	assert_int_equal(t.extended, 1);
	assert_int_equal(t.denied, 3);
	assert_int_equal(t.closed, 2);
	assert_int_equal(t.open_now, 1);
	window_free(&r.sm);
}

static void test_open_fails_refunds(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, params(20, 3, 0, 2), 1);
	assert_int_equal(window_cpu_setup(&r.sm, 0, 0, 1), 0);
	r.f.open_fails = true;
	r.f.rearm_force = 1;        /* ignored: no loop, no second open */
	assert_int_equal(step_at(&r, 0, T0 + MS), WINDOW_STEP_FAILED);
	assert_string_equal(r.f.log, "open0! rearm0 ");
	assert_int_equal(r.f.rearm_since[0], T0 + MS);
	assert_int_equal(C(&r, 0)->state, WINDOW_CLOSED);
	assert_int_equal(C(&r, 0)->opened, 0);
	assert_int_equal(r.sm.bucket[0].mtokens, 3000);
	assert_int_equal(r.f.n_floor, 0);
	assert_int_equal(r.sm.policy_refs[1], 0);
	assert_int_equal(window_next_deadline(&r.sm), 0);

	r.f.open_fails = false;
	assert_int_equal(step_at(&r, 0, T0 + 2 * MS), WINDOW_STEP_OPENED);
	assert_int_equal(window_tokens(&r.sm, 0, T0 + 2 * MS), 1);
	assert_int_equal(r.f.floor_on[1], 1);
	window_free(&r.sm);
}

/* ---------- policies, offline, close_all ---------- */

static void test_policy_floor(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, params(20, 10, 0, 1), 1);
	assert_int_equal(window_cpu_setup(&r.sm, 0, 0, 0), 0);
	assert_int_equal(window_cpu_setup(&r.sm, 1, 0, 0), 0);
	assert_int_equal(window_cpu_setup(&r.sm, 2, 0, 1), 0);
	/* CPU 3: no policy */
	assert_int_equal(step_at(&r, 0, T0), WINDOW_STEP_OPENED);
	assert_int_equal(step_at(&r, 1, T0 + 5 * MS), WINDOW_STEP_OPENED);
	assert_int_equal(step_at(&r, 3, T0 + 5 * MS), WINDOW_STEP_OPENED);
	assert_int_equal(r.sm.policy_refs[0], 2);
	assert_int_equal(r.f.floor_on[0], 1);
	tick_at(&r, T0 + 20 * MS);
	assert_int_equal(r.sm.policy_refs[0], 1);
	assert_int_equal(r.f.floor_on[0], 1);              /* CPU 1 still open */
	tick_at(&r, T0 + 25 * MS);
	assert_int_equal(r.sm.policy_refs[0], 0);
	assert_int_equal(r.f.floor_on[0], 0);
	assert_string_equal(r.f.log, "open0 floor0+ open1 open3 close0 rearm0 "
				     "close1 floor0- rearm1 close3 rearm3 ");
	assert_int_equal(r.f.n_floor, 2);

	/* a second policy is counted on its own */
	assert_int_equal(step_at(&r, 2, T0 + 30 * MS), WINDOW_STEP_OPENED);
	assert_int_equal(step_at(&r, 0, T0 + 30 * MS), WINDOW_STEP_OPENED);
	assert_int_equal(r.f.floor_on[0], 1);
	assert_int_equal(r.f.floor_on[1], 1);
	assert_int_equal(r.f.n_floor, 4);
	/* set up again on another policy while open: the floor follows */
	assert_int_equal(window_cpu_setup(&r.sm, 0, 0, 1), 0);
	assert_int_equal(r.f.floor_on[0], 0);
	assert_int_equal(r.f.floor_on[1], 1);
	assert_int_equal(r.sm.policy_refs[1], 2);
	window_close_all(&r.sm, T0 + 40 * MS, false);
	assert_int_equal(r.sm.policy_refs[1], 0);
	assert_int_equal(r.f.floor_on[1], 0);
	window_free(&r.sm);

	/* no floor callback: fine */
	struct window_ops ops = fake_ops;
	ops.floor = NULL;
	struct window_params p = params(20, 10, 0, 1);
	struct fake f;
	memset(&f, 0, sizeof(f));
	f.rearm_force = 0;
	struct window_sm sm;
	assert_int_equal(window_init(&sm, &p, 1, 1, 1, &ops, &f, T0), 0);
	assert_int_equal(window_cpu_setup(&sm, 0, 0, 0), 0);
	assert_int_equal(window_step(&sm, 0, T0), WINDOW_STEP_OPENED);
	assert_int_equal(sm.policy_refs[0], 1);
	window_tick(&sm, T0 + 20 * MS);
	assert_int_equal(sm.policy_refs[0], 0);
	assert_string_equal(f.log, "open0 close0 rearm0 ");
	window_free(&sm);
}

static void test_offline(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, params(20, 10, 2, 5), 1);
	assert_int_equal(window_cpu_setup(&r.sm, 0, 0, 0), 0);
	assert_int_equal(step_at(&r, 0, T0), WINDOW_STEP_OPENED);
	window_cpu_offline(&r.sm, 0, T0 + 5 * MS);
	assert_int_equal(C(&r, 0)->state, WINDOW_OFFLINE);
	assert_int_equal(C(&r, 0)->open_ns, 5 * MS);
	assert_int_equal(C(&r, 0)->closed, 1);
	assert_int_equal(r.f.floor_on[0], 0);
	/* re-armed: the BPF side notifies the first step once it is back */
	assert_string_equal(r.f.log, "open0 floor0+ close0 floor0- rearm0 ");
	assert_int_equal(r.f.rearm_since[0], T0 + 5 * MS);
	assert_int_equal(window_next_deadline(&r.sm), 0);
	tick_at(&r, T0 + SEC);
	assert_int_equal(C(&r, 0)->state, WINDOW_OFFLINE);
	assert_int_equal(r.f.n_last[0], 0);

	/* a CPU waiting for the budget forgets it */
	assert_int_equal(step_at(&r, 1, T0 + SEC), WINDOW_STEP_OPENED);   /* 7 - 5 left */
	assert_int_equal(step_at(&r, 2, T0 + SEC), WINDOW_STEP_DENIED);
	assert_int_equal(C(&r, 2)->retry_at, T0 + 2500 * MS);            /* 3 at 2/s */
	window_cpu_offline(&r.sm, 2, T0 + SEC);
	assert_int_equal(C(&r, 2)->state, WINDOW_OFFLINE);
	assert_int_equal(C(&r, 2)->retry_at, 0);
	assert_int_equal(r.f.n_close[2], 0);
	assert_int_equal(window_next_deadline(&r.sm), T0 + SEC + 20 * MS);
	/* a closed one just goes offline; out of range is ignored */
	window_cpu_offline(&r.sm, 3, T0 + SEC);
	assert_int_equal(C(&r, 3)->state, WINDOW_OFFLINE);
	window_cpu_offline(&r.sm, NCPU, T0 + SEC);

	/* it came back: a step opens a window again */
	assert_int_equal(step_at(&r, 0, T0 + 6 * SEC), WINDOW_STEP_OPENED);
	assert_int_equal(C(&r, 0)->state, WINDOW_OPEN);
	assert_int_equal(C(&r, 0)->opened, 2);
	assert_int_equal(r.f.floor_on[0], 1);
	window_free(&r.sm);
}

/* CPU 0 open, 1 waiting for the budget, 2 offline, 3 closed. */
static void close_all_rig(struct rig *r)
{
	rig_init(r, params(20, 1, 1, 1), 1);
	assert_int_equal(step_at(r, 0, T0), WINDOW_STEP_OPENED);
	assert_int_equal(step_at(r, 1, T0), WINDOW_STEP_DENIED);
	window_cpu_offline(&r->sm, 2, T0);
	memset(r->f.log, 0, sizeof(r->f.log));
}

static void test_close_all(void **state)
{
	(void)state;
	struct rig r;
	close_all_rig(&r);
	window_close_all(&r.sm, T0 + 7 * MS, false);
	assert_string_equal(r.f.log, "close0 ");
	assert_int_equal(C(&r, 0)->state, WINDOW_CLOSED);
	assert_int_equal(C(&r, 0)->open_ns, 7 * MS);
	assert_int_equal(C(&r, 1)->state, WINDOW_CLOSED);
	assert_int_equal(C(&r, 1)->retry_at, 0);
	assert_int_equal(C(&r, 2)->state, WINDOW_OFFLINE);
	assert_int_equal(C(&r, 3)->state, WINDOW_CLOSED);
	assert_int_equal(window_next_deadline(&r.sm), 0);
	struct window_totals t;
	window_totals(&r.sm, &t);
	assert_int_equal(t.open_now, 0);
	assert_int_equal(t.closed, 1);
	window_free(&r.sm);

	/* with rearm: every CPU in scope, whatever rearm answers */
	close_all_rig(&r);
	r.f.rearm_force = 1;
	window_close_all(&r.sm, T0 + 7 * MS, true);
	assert_string_equal(r.f.log, "close0 rearm0 rearm1 rearm2 rearm3 ");
	for (unsigned c = 0; c < NCPU; c++)
		assert_int_equal(r.f.rearm_since[c], T0 + 7 * MS);
	assert_int_equal(C(&r, 0)->state, WINDOW_CLOSED);
	assert_int_equal(C(&r, 0)->opened, 1);
	assert_int_equal(C(&r, 2)->state, WINDOW_OFFLINE);
	assert_int_equal(window_next_deadline(&r.sm), 0);
	/* out-of-scope CPUs are not rearmed */
	window_free(&r.sm);
	struct window_params p = params(20, 1, 1, 1);
	struct fake f;
	memset(&f, 0, sizeof(f));
	struct window_sm sm;
	assert_int_equal(window_init(&sm, &p, 3, 1, 0, &fake_ops, &f, T0), 0);
	assert_int_equal(window_cpu_setup(&sm, 1, 0, -1), 0);
	window_close_all(&sm, T0, true);
	assert_string_equal(f.log, "rearm1 ");
	window_free(&sm);
}

/* ---------- time ---------- */

static void test_share(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, params(20, 10, 0, 1), 1);
	assert_true(window_open_share(&r.sm, 0, T0) == 0);
	assert_int_equal(step_at(&r, 0, T0 + 10 * MS), WINDOW_STEP_OPENED);
	/* open for 10 of 20 ms so far */
	assert_float_equal(window_open_share(&r.sm, 0, T0 + 20 * MS), 0.5, 1e-12);
	tick_at(&r, T0 + 30 * MS);
	assert_float_equal(window_open_share(&r.sm, 0, T0 + 40 * MS), 0.5, 1e-12);
	assert_int_equal(step_at(&r, 0, T0 + 60 * MS), WINDOW_STEP_OPENED);
	/* 20 closed + 20 open out of 80 */
	assert_float_equal(window_open_share(&r.sm, 0, T0 + 80 * MS), 0.5, 1e-12);
	assert_float_equal(window_open_share(&r.sm, 0, T0 + 70 * MS), 30.0 / 70.0, 1e-12);
	assert_true(window_open_share(&r.sm, 1, T0 + 80 * MS) == 0);
	assert_true(window_open_share(&r.sm, NCPU, T0 + 80 * MS) == 0);
	/* started before init (clamped to 1) */
	r.sm.cpu[1].open_ns = 5 * SEC;
	assert_float_equal(window_open_share(&r.sm, 1, T0 + SEC), 1.0, 1e-12);
	window_free(&r.sm);
}

static void test_clock_backwards(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, params(20, 10, 2, 5), 1);
	assert_int_equal(step_at(&r, 0, T0 + 100 * MS), WINDOW_STEP_OPENED);
	assert_int_equal(r.sm.bucket[0].refilled_at, T0 + 100 * MS);
	/* earlier times: no refill, the anchor stays */
	assert_int_equal(window_tokens(&r.sm, 0, T0), 5);
	assert_int_equal(r.sm.bucket[0].refilled_at, T0 + 100 * MS);
	assert_int_equal(window_tokens(&r.sm, 0, T0 + 599 * MS), 5);   /* 998 mtokens */
	assert_int_equal(r.sm.bucket[0].mtokens, 5998);
	/* a tick from the past closes nothing; shares from the past are 0 */
	tick_at(&r, T0 + 50 * MS);
	assert_int_equal(C(&r, 0)->state, WINDOW_OPEN);
	assert_true(window_open_share(&r.sm, 0, T0 + 50 * MS) == 0);
	assert_true(window_open_share(&r.sm, 0, T0 - SEC) == 0);
	/* closing before it opened adds nothing */
	window_cpu_offline(&r.sm, 0, T0 + 50 * MS);
	assert_int_equal(C(&r, 0)->open_ns, 0);
	assert_int_equal(C(&r, 0)->closed, 1);
	/* a step from the past still works, charged without refill */
	assert_int_equal(step_at(&r, 1, T0 + 10 * MS), WINDOW_STEP_OPENED);
	assert_int_equal(r.sm.bucket[0].mtokens, 998);
	assert_int_equal(C(&r, 1)->deadline, T0 + 30 * MS);
	/* short: the retry is computed from the anchor, not from the past now */
	assert_int_equal(step_at(&r, 2, T0 + 20 * MS), WINDOW_STEP_DENIED);
	assert_int_equal(C(&r, 2)->retry_at, T0 + 599 * MS + 2001 * MS);
	window_free(&r.sm);
}

static void test_large_elapsed(void **state)
{
	(void)state;
	struct rig r;
	/* biggest bucket, fast refill: elapsed * refill would overflow 64 bits */
	rig_init(&r, params(60000, 1000000000, 1000000, 1000000000), 1);
	r.f.stepping[0] = true;
	assert_int_equal(step_at(&r, 0, T0), WINDOW_STEP_OPENED);
	assert_int_equal(r.sm.bucket[0].mtokens, 0);
	assert_int_equal(window_tokens(&r.sm, 0, T0 + 2 * DAY), 1000000000);
	assert_int_equal(r.sm.bucket[0].mtokens, 1000000000000LL);
	assert_int_equal(r.sm.bucket[0].refilled_at, T0 + 2 * DAY);
	/* the timer comes days late: the window was open all along */
	tick_at(&r, T0 + 3 * DAY);
	assert_int_equal(C(&r, 0)->extended, 1);
	assert_int_equal(window_tokens(&r.sm, 0, T0 + 3 * DAY), 0);
	r.f.stepping[0] = false;
	tick_at(&r, T0 + 5 * DAY);
	assert_int_equal(C(&r, 0)->open_ns, 5 * DAY);
	assert_float_equal(window_open_share(&r.sm, 0, T0 + 10 * DAY), 0.5, 1e-12);
	/* 1e6 tokens/s: 1 mtoken per ns, partly full after 500 s */
	assert_int_equal(window_tokens(&r.sm, 0, T0 + 3 * DAY + 500 * SEC), 500000000);
	window_free(&r.sm);

	/* an empty bucket: the retry is 1000 s away (1e12 mtokens at 1e9/s) */
	rig_init(&r, params(60000, 1000000000, 1000000, 1000000000), 1);
	r.f.stepping[0] = true;
	assert_int_equal(step_at(&r, 0, T0), WINDOW_STEP_OPENED);
	tick_at(&r, T0 + 60 * SEC);
	assert_int_equal(C(&r, 0)->state, WINDOW_WAIT_BUDGET);
	assert_int_equal(C(&r, 0)->retry_at, T0 + 1000 * SEC);
	tick_at(&r, T0 + 4 * DAY);                 /* retry days late: reopens */
	assert_int_equal(C(&r, 0)->state, WINDOW_OPEN);
	assert_int_equal(C(&r, 0)->opened, 2);
	window_free(&r.sm);

	/* the largest refill too */
	rig_init(&r, params(20, 1000000000, 1000000000, 1000000000), 1);
	assert_int_equal(step_at(&r, 0, T0), WINDOW_STEP_OPENED);
	assert_int_equal(window_tokens(&r.sm, 0, T0 + 1), 1);          /* 1000 mtokens/ns */
	assert_int_equal(window_tokens(&r.sm, 0, T0 + 365 * DAY), 1000000000);
	window_free(&r.sm);
}

/* Many calls, each too short for a whole mtoken: nothing is lost. */
static void test_refill_fractions(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, params(20, 10, 2, 10), 1);     /* 1 mtoken per 500 us */
	assert_int_equal(step_at(&r, 0, T0), WINDOW_STEP_OPENED);
	for (uint64_t t = T0; t <= T0 + SEC; t += 100000)   /* every 100 us */
		window_tokens(&r.sm, 0, t);
	assert_int_equal(r.sm.bucket[0].mtokens, 2000);
	for (uint64_t t = T0 + SEC + 300000; t <= T0 + 2 * SEC; t += 300000)
		window_tokens(&r.sm, 0, t);                /* 1.9999 s at 300 us */
	window_tokens(&r.sm, 0, T0 + 2 * SEC);
	assert_int_equal(r.sm.bucket[0].mtokens, 4000);
	window_free(&r.sm);

	/* a rate that does not divide a nanosecond: within one mtoken */
	rig_init(&r, params(20, 10, 3, 10), 1);
	assert_int_equal(step_at(&r, 0, T0), WINDOW_STEP_OPENED);
	for (uint64_t t = T0; t <= T0 + SEC; t += 100000)
		window_tokens(&r.sm, 0, t);
	assert_true(r.sm.bucket[0].mtokens >= 2999 && r.sm.bucket[0].mtokens <= 3000);
	window_tokens(&r.sm, 0, T0 + SEC + 10000);
	assert_int_equal(r.sm.bucket[0].mtokens, 3000);
	window_free(&r.sm);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_params_check),
	cmocka_unit_test(test_init_and_setup),
	cmocka_unit_test(test_open_on_step),
	cmocka_unit_test(test_steps_while_open_ignored),
	cmocka_unit_test(test_extension),
	cmocka_unit_test(test_expiry),
	cmocka_unit_test(test_rearm_true_reopens),
	cmocka_unit_test(test_exhaustion),
	cmocka_unit_test(test_refill_zero_waits_forever),
	cmocka_unit_test(test_own_buckets),
	cmocka_unit_test(test_shared_bucket),
	cmocka_unit_test(test_open_fails_refunds),
	cmocka_unit_test(test_policy_floor),
	cmocka_unit_test(test_offline),
	cmocka_unit_test(test_close_all),
	cmocka_unit_test(test_share),
	cmocka_unit_test(test_clock_backwards),
	cmocka_unit_test(test_large_elapsed),
	cmocka_unit_test(test_refill_fractions),
};

RUN_TESTS(tests)
