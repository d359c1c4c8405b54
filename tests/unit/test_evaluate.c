/* Unit tests: evaluate's statistics (median and spread over rounds, the
 * ratio, the "exceeds the noise" rule), phases from two probe readings,
 * the warm-cost reader and the JSON report's fields. */
#include "testutil.h"
#include "tune/evaluate.h"

#include <math.h>
#include <time.h>

static void test_spread_odd_even_nan(void **state)
{
	(void)state;
	struct eval_spread s;
	double odd[] = { 5, 1, 3 };
	eval_spread_of(odd, 3, &s);
	assert_int_equal(s.n, 3);
	assert_true(s.median == 3 && s.min == 1 && s.max == 5);

	double even[] = { 4, 1, NAN, 2, 10 };
	eval_spread_of(even, 5, &s);
	assert_int_equal(s.n, 4);          /* NAN is not a measurement */
	assert_true(s.median == 3 && s.min == 1 && s.max == 10);

	double none[] = { NAN, NAN };
	eval_spread_of(none, 2, &s);
	assert_int_equal(s.n, 0);
	assert_true(isnan(s.median) && isnan(s.min) && isnan(s.max));
	eval_spread_of(NULL, 0, &s);
	assert_int_equal(s.n, 0);
}

static void test_ratio(void **state)
{
	(void)state;
	assert_true(fabs(eval_ratio(40, 30) - 0.75) < 1e-12);
	assert_true(isnan(eval_ratio(0, 30)));     /* nothing to divide by */
	assert_true(isnan(eval_ratio(NAN, 30)));
	assert_true(isnan(eval_ratio(30, NAN)));
}

static struct eval_spread sp(double lo, double hi, size_t n)
{
	struct eval_spread s = { .median = (lo + hi) / 2, .min = lo, .max = hi, .n = n };
	return s;
}

static void test_exceeds_rule(void **state)
{
	(void)state;
	struct eval_spread a = sp(30, 40, 3), b;
	b = sp(20, 29.9, 3);
	assert_true(eval_exceeds(&a, &b));         /* every profile round below */
	b = sp(40.1, 50, 3);
	assert_true(eval_exceeds(&a, &b));         /* every one above */
	b = sp(20, 30, 3);
	assert_false(eval_exceeds(&a, &b));        /* touching ranges overlap */
	b = sp(35, 36, 3);
	assert_false(eval_exceeds(&a, &b));        /* inside */
	b = sp(10, 50, 3);
	assert_false(eval_exceeds(&a, &b));        /* around */
	b = sp(NAN, NAN, 0);
	assert_false(eval_exceeds(&a, &b));        /* nothing measured */
	assert_false(eval_exceeds(&b, &a));
}

static struct eval_phase phase(enum eval_kind k, unsigned round, double p50)
{
	struct eval_phase ph;
	memset(&ph, 0, sizeof(ph));
	for (int m = 0; m < EM_MAX; m++)
		ph.m[m] = NAN;
	ph.kind = k;
	ph.round = round;
	ph.duration_s = 2;
	ph.steps = 4000;
	ph.m[EM_P50] = p50;
	ph.m[EM_STEPS_PER_S] = 2000;
	ph.m[EM_WARM_CPU_S] = k == EVAL_PROFILE ? 0.5 : 0;
	return ph;
}

static void test_compare_metric(void **state)
{
	(void)state;
	struct eval_run r;
	memset(&r, 0, sizeof(r));
	double base[] = { 42, 38, 45 }, prof[] = { 29, 27, 31 };
	for (unsigned i = 0; i < 3; i++) {
		struct eval_phase b = phase(EVAL_BASELINE, i + 1, base[i]);
		struct eval_phase p = phase(EVAL_PROFILE, i + 1, prof[i]);
		assert_int_equal(eval_run_add(&r, &b), 0);
		assert_int_equal(eval_run_add(&r, &p), 0);
	}
	struct eval_compare c;
	eval_compare_metric(&r, EM_P50, &c);
	assert_true(c.s[EVAL_BASELINE].median == 42 && c.s[EVAL_PROFILE].median == 29);
	assert_true(fabs(c.ratio - 29.0 / 42.0) < 1e-12);
	assert_true(c.exceeds);
	assert_true(c.s[EVAL_BASELINE].min == 38 && c.s[EVAL_PROFILE].max == 31);

	/* one noisy profile round makes the ranges overlap */
	r.phase[5].m[EM_P50] = 39;
	eval_compare_metric(&r, EM_P50, &c);
	assert_false(c.exceeds);
	assert_true(c.s[EVAL_PROFILE].median == 29);

	/* a metric no phase measured: no ratio, no claim */
	eval_compare_metric(&r, EM_P999, &c);
	assert_true(isnan(c.ratio));
	assert_false(c.exceeds);
	eval_run_free(&r);
}

/* Two readings of a probe: the phase is their difference. */
static void test_phase_from_readings(void **state)
{
	(void)state;
	struct probe_result *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	assert_non_null(a);
	assert_non_null(b);
	/* before: 1000 steps at 100 us; the phase adds 1000 at 20 us */
	a->hist[STAGE_WAKE_RUN][hist_bucket(100000)] = 1000;
	a->steps = 1000;
	a->steps_seen = 1000;
	*b = *a;
	b->hist[STAGE_WAKE_RUN][hist_bucket(20000)] += 990;
	b->hist[STAGE_WAKE_RUN][hist_bucket(500000)] += 10;
	b->steps = 2000;
	/* sampled: 3000 steps seen in the phase, 1000 of them analysed */
	b->steps_seen = 4000;
	b->stages[STAGE_COMPLETION].available = false;
	struct eval_phase ph;
	eval_phase_from(a, b, NULL, 2.0, &ph);
	assert_int_equal(ph.steps, 1000);
	assert_true(fabs(ph.m[EM_P50] - 20) < 1);       /* bucket error < 4% */
	assert_true(fabs(ph.m[EM_P90] - 20) < 1);
	assert_true(fabs(ph.m[EM_P999] - 500) < 20);    /* the 10 slow ones */
	assert_true(fabs(ph.m[EM_STEPS_PER_S] - 1500) < 1e-9);   /* every step seen */
	assert_true(isnan(ph.m[EM_C_P50]));             /* stage not available */

	/* nothing happened: no latency, 0 steps/s */
	eval_phase_from(b, b, NULL, 1.0, &ph);
	assert_int_equal(ph.steps, 0);
	assert_true(isnan(ph.m[EM_P50]));
	assert_true(ph.m[EM_STEPS_PER_S] == 0);
	free(a);
	free(b);
}

static void test_proc_cpu(void **state)
{
	(void)state;
	double t0 = eval_proc_cpu_s(getpid());
	assert_false(isnan(t0));
	struct timespec s, n;
	clock_gettime(CLOCK_MONOTONIC, &s);
	do   /* 60 ms of CPU: several clock ticks */
		clock_gettime(CLOCK_MONOTONIC, &n);
	while ((n.tv_sec - s.tv_sec) * 1e9 + (n.tv_nsec - s.tv_nsec) < 60e6);
	double t1 = eval_proc_cpu_s(getpid());
	assert_true(t1 - t0 >= 0.02);
	assert_true(isnan(eval_proc_cpu_s(0x3fffff)));  /* no such process */
}

static void test_json_fields(void **state)
{
	(void)state;
	struct eval_run r;
	memset(&r, 0, sizeof(r));
	copy_str(r.profile, sizeof(r.profile), "agent-latency");
	r.pid = 42;
	r.rounds = 2;
	r.reverted = true;
	for (unsigned i = 1; i <= 2; i++) {
		struct eval_phase b = phase(EVAL_BASELINE, i, 40 + i), p = phase(EVAL_PROFILE, i, 20 + i);
		eval_run_add(&r, &b);
		eval_run_add(&r, &p);
	}
	struct json_object *o = eval_report_json(&r), *v, *k;
	assert_true(json_object_object_get_ex(o, "schema", &v));
	assert_string_equal(json_object_get_string(v), EVAL_SCHEMA);
	const char *keys[] = { "p50_us", "p90_us", "p99_us", "p999_us", "steps_per_s", "warm_cpu_s", "rounds" };
	for (int kind = 0; kind < 2; kind++) {
		assert_true(json_object_object_get_ex(o, kind ? "profile" : "baseline", &k));
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			assert_true(json_object_object_get_ex(k, keys[i], &v));
		json_object_object_get_ex(k, "rounds", &v);
		assert_int_equal(json_object_array_length(v), 2);
	}
	json_object_object_get_ex(o, "profile", &k);
	json_object_object_get_ex(k, "p50_us", &v);
	assert_true(fabs(json_object_get_double(v) - 21.5) < 1e-9);
	json_object_object_get_ex(k, "p999_us", &v);
	assert_null(v);                                  /* not measured: null */
	assert_true(json_object_object_get_ex(o, "compare", &k));
	json_object_object_get_ex(k, "p50_us", &k);
	json_object_object_get_ex(k, "exceeds_noise", &v);
	assert_true(json_object_get_boolean(v));
	json_object_put(o);
	eval_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spread_odd_even_nan),
		cmocka_unit_test(test_ratio),
		cmocka_unit_test(test_exceeds_rule),
		cmocka_unit_test(test_compare_metric),
		cmocka_unit_test(test_phase_from_readings),
		cmocka_unit_test(test_proc_cpu),
		cmocka_unit_test(test_json_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
