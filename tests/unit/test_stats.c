/* Unit tests: log-linear histograms, bucket ranges and percentiles. */
#include "testutil.h"
#include "base/stats.h"
#include "base/util.h"

#include <math.h>

#define LAST (HIST_BUCKETS - 1)

/* xorshift64*: deterministic samples, no libc rand state. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static double rng_unit(uint64_t *s)
{
	return ((rng_next(s) >> 11) + 0.5) / 9007199254740992.0; /* (0, 1) */
}

/* Log-normal: median e^mu, sigma in log space (Box-Muller). */
static uint64_t rng_lognormal(uint64_t *s, double mu, double sigma)
{
	double z = sqrt(-2.0 * log(rng_unit(s))) * cos(2 * M_PI * rng_unit(s));
	return (uint64_t)exp(mu + sigma * z);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The exact nearest-rank percentile of sorted v. */
static uint64_t exact_pct(const uint64_t *v, size_t n, double p)
{
	double r = ceil(p / 100.0 * (double)n * (1.0 - 1e-12));
	size_t rank = r < 1 ? 1 : (size_t)r;
	return v[(rank > n ? n : rank) - 1];
}

static void assert_rel(double got, double want, double tol)
{
	double err = fabs(got - want) / (want > 0 ? want : 1);
	if (err > tol)
		fail_msg("got %.3f want %.3f: relative error %.5f > %.5f", got, want, err, tol);
}

static void layout_known_values(void **state)
{
	/* Exact buckets up to 2*HIST_SUB - 1, then width 2 for 64..127. */
	assert_int_equal(hist_bucket(0), 0);
	assert_int_equal(hist_bucket(31), 31);
	assert_int_equal(hist_bucket(32), 32);
	assert_int_equal(hist_bucket(63), 63);
	assert_int_equal(hist_bucket(64), 64);
	assert_int_equal(hist_bucket(65), 64);
	assert_int_equal(bucket_low(64), 64);
	assert_int_equal(bucket_high(64), 65);
	/* 1000 = 2^9 + 30*16 + 8: row 5, sub-bucket 30, width 16. */
	assert_int_equal(hist_bucket(1000), 190);
	assert_int_equal(bucket_low(190), 992);
	assert_int_equal(bucket_high(190), 1007);
	/* The last row is 2^39..2^40-1; its last sub-bucket is open-ended and
	 * takes everything from 2^(HIST_MAX_POW) up. */
	assert_int_equal(bucket_low(HIST_BUCKETS - HIST_SUB), 1ULL << 39);
	assert_int_equal(bucket_low(LAST), (1ULL << 39) + (31ULL << 34));
	assert_int_equal(hist_bucket((1ULL << 40) - 1), LAST);
	assert_int_equal(hist_bucket(1ULL << HIST_MAX_POW), LAST);
	assert_int_equal(hist_bucket(bucket_low(LAST) - 1), LAST - 1);
	assert_true(bucket_high(LAST) == UINT64_MAX);
	/* Past the end behaves like the last bucket. */
	assert_int_equal(bucket_low(HIST_BUCKETS + 7), bucket_low(LAST));
}

static void bucket_range_inverse(void **state)
{
	assert_int_equal(bucket_low(0), 0);
	for (uint32_t b = 0; b < HIST_BUCKETS; b++) {
		uint64_t lo = bucket_low(b), hi = bucket_high(b);
		assert_true(lo <= hi);
		assert_int_equal(hist_bucket(lo), b);
		assert_int_equal(hist_bucket(hi), b);
		if (b + 1 < HIST_BUCKETS) {
			/* Contiguous, no gaps or overlaps. */
			assert_true(bucket_low(b + 1) == hi + 1);
			/* Width at most 1/2^HIST_SUB_BITS of the low bound. */
			if (lo > 0)
				assert_true((hi - lo + 1) * HIST_SUB <= lo || hi == lo);
		}
	}
}

static void every_value_in_its_range(void **state)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL;

	for (uint64_t v = 0; v < (1u << 16); v++) {
		uint32_t b = hist_bucket(v);
		assert_true(b < HIST_BUCKETS);
		assert_true(bucket_low(b) <= v && v <= bucket_high(b));
	}
	for (int pow = 0; pow < 64; pow++) {
		uint64_t p2 = 1ULL << pow;
		uint64_t vals[3] = { p2 - 1, p2, p2 + 1 };
		for (int i = 0; i < 3; i++) {
			uint32_t b = hist_bucket(vals[i]);
			assert_true(bucket_low(b) <= vals[i] && vals[i] <= bucket_high(b));
		}
	}
	for (int i = 0; i < 200000; i++) {
		uint64_t v = rng_next(&s) >> (rng_next(&s) % 64);
		uint32_t b = hist_bucket(v);
		assert_true(b < HIST_BUCKETS);
		assert_true(bucket_low(b) <= v && v <= bucket_high(b));
	}
	assert_int_equal(hist_bucket(UINT64_MAX), LAST);
}

static void empty_histogram(void **state)
{
	struct hist h;
	struct pct p;

	hist_init(&h);
	assert_int_equal(h.count, 0);
	assert_true(hist_percentile(&h, 50) == 0);
	assert_true(hist_percentile(&h, 100) == 0);
	assert_true(hist_mean(&h) == 0);
	hist_summary(&h, &p);
	assert_true(p.p50 == 0 && p.p90 == 0 && p.p99 == 0 && p.p999 == 0 && p.max == 0);
	/* Merging an empty one changes nothing. */
	struct hist e = { 0 };
	hist_add(&h, 500);
	hist_merge(&h, &e);
	assert_int_equal(h.count, 1);
	assert_true(h.max_known);
	assert_int_equal(h.max_ns, 500);
}

static void single_value(void **state)
{
	/* A zeroed struct is usable without hist_init. */
	struct hist h = { 0 };
	struct pct p;

	hist_add(&h, 12345);
	assert_int_equal(h.count, 1);
	assert_int_equal(h.b[hist_bucket(12345)], 1);
	/* Bucket [12288, 12543] has midpoint 12415.5: clamped to the max. */
	assert_int_equal(bucket_low(hist_bucket(12345)), 12288);
	hist_summary(&h, &p);
	assert_true(p.p50 == 12345 && p.p90 == 12345 && p.p99 == 12345);
	assert_true(p.p999 == 12345 && p.max == 12345);
	assert_true(hist_percentile(&h, 0) == 12345);
	assert_true(hist_mean(&h) == 12345);
}

static void zeros(void **state)
{
	struct hist h;

	hist_init(&h);
	for (int i = 0; i < 10; i++)
		hist_add(&h, 0);
	assert_int_equal(h.b[0], 10);
	assert_true(h.max_known);
	assert_int_equal(h.max_ns, 0);
	assert_true(hist_percentile(&h, 50) == 0);
	assert_true(hist_percentile(&h, 100) == 0);
	assert_true(hist_mean(&h) == 0);
}

static void one_to_hundred(void **state)
{
	struct hist h;
	struct pct p;

	hist_init(&h);
	for (uint64_t v = 100; v >= 1; v--)
		hist_add(&h, v);
	assert_int_equal(h.count, 100);
	assert_int_equal(h.max_ns, 100);
	/* Below 64 every value has its own bucket: exact. */
	assert_true(hist_percentile(&h, 50) == 50);
	assert_true(hist_percentile(&h, 0) == 1);
	assert_true(hist_percentile(&h, 1) == 1);
	assert_true(hist_percentile(&h, 50.5) == 51);
	/* 90 is in [90, 91], 99 in [98, 99]; 100 in [100, 101] clamps to max. */
	hist_summary(&h, &p);
	assert_true(p.p90 == 90.5);
	assert_true(p.p99 == 98.5);
	assert_true(p.p999 == 100);
	assert_true(p.max == 100);
	/* Pairs 64+65, ... average to their midpoint; 100 counts as 100. */
	assert_true(fabs(hist_mean(&h) - 50.5) < 1e-9);
	/* Out-of-range p is clamped; NaN counts as 0. */
	assert_true(hist_percentile(&h, -5) == 1);
	assert_true(hist_percentile(&h, 250) == 100);
	assert_true(hist_percentile(&h, NAN) == 1);
}

static void scaled_uniform(void **state)
{
	struct hist h;
	struct pct p;

	hist_init(&h);
	for (uint64_t i = 1; i <= 1000; i++)
		hist_add(&h, i * 1000);	/* 1 us .. 1 ms */
	hist_summary(&h, &p);
	/* 500000 is in [499712, 507903]: midpoint 503807.5. */
	assert_true(p.p50 == 503807.5);
	assert_rel(p.p50, 500000, 1.0 / 64);
	assert_rel(p.p90, 900000, 1.0 / 64);
	assert_rel(p.p99, 990000, 1.0 / 64);
	assert_rel(p.p999, 999000, 1.0 / 64);
	assert_true(p.max == 1000000);
	assert_rel(hist_mean(&h), 500500, 1.0 / 64);
}

static void lognormal_accuracy(void **state)
{
	enum { N = 100000 };
	const double ps[] = { 0, 10, 50, 90, 99, 99.9, 99.99, 100 };
	uint64_t *v = malloc(N * sizeof(*v));
	struct hist h;
	uint64_t s = 42;
	long double sum = 0;

	assert_non_null(v);
	/* Two spreads: tight (median 200 us) and heavy-tailed (median 50 us). */
	for (int round = 0; round < 2; round++) {
		hist_init(&h);
		sum = 0;
		for (int i = 0; i < N; i++) {
			v[i] = round == 0 ? rng_lognormal(&s, log(200e3), 0.5)
					  : rng_lognormal(&s, log(50e3), 2.0);
			hist_add(&h, v[i]);
			sum += v[i];
		}
		qsort(v, N, sizeof(*v), cmp_u64);
		assert_int_equal(h.max_ns, v[N - 1]);
		for (size_t i = 0; i < ARRAY_SIZE(ps); i++) {
			double want = (double)exact_pct(v, N, ps[i]);
			double got = hist_percentile(&h, ps[i]);
			/* Midpoint of a bucket <= 1/32 wide: within 1/64. */
			assert_rel(got, want, 1.0 / (2 * HIST_SUB));
			/* What the design promises, with margin: 1/2^HIST_SUB_BITS. */
			assert_rel(got, want, 1.0 / HIST_SUB);
		}
		assert_true(hist_percentile(&h, 100) == (double)v[N - 1]);
		assert_rel(hist_mean(&h), (double)(sum / N), 1.0 / (2 * HIST_SUB));
	}
	free(v);
}

static void overflow_bucket(void **state)
{
	struct hist h;

	hist_init(&h);
	hist_add(&h, 1ULL << 40);
	hist_add(&h, (1ULL << 40) + 1);
	hist_add(&h, 1ULL << 50);
	hist_add(&h, UINT64_MAX);
	assert_int_equal(h.b[LAST], 4);
	assert_true(hist_percentile(&h, 50) == (double)UINT64_MAX);
	assert_true(hist_percentile(&h, 100) == (double)UINT64_MAX);

	/* One huge value among small ones: the tail reports the max. */
	hist_init(&h);
	for (int i = 0; i < 999; i++)
		hist_add(&h, 1000);
	hist_add(&h, 1ULL << 45);
	assert_int_equal(h.b[LAST], 1);
	assert_true(hist_percentile(&h, 99.9) == 999.5);	/* [992, 1007] */
	assert_true(hist_percentile(&h, 100) == (double)(1ULL << 45));

	/* Without a max (BPF buckets) the overflow bucket reports its low bound. */
	uint64_t *raw = calloc(HIST_BUCKETS, sizeof(*raw));
	assert_non_null(raw);
	raw[LAST] = 4;
	hist_from_buckets(&h, raw);
	assert_false(h.max_known);
	assert_true(hist_percentile(&h, 50) == (double)bucket_low(LAST));
	free(raw);
}

static void from_buckets_per_cpu(void **state)
{
	uint64_t *cpu0 = calloc(HIST_BUCKETS, sizeof(uint64_t));
	uint64_t *cpu1 = calloc(HIST_BUCKETS, sizeof(uint64_t));
	struct hist h, ref;

	assert_non_null(cpu0);
	assert_non_null(cpu1);
	hist_init(&ref);
	/* What the BPF side would have counted on two CPUs. */
	for (uint64_t v = 1; v <= 2000; v++) {
		uint64_t ns = v * 997;
		(v % 3 ? cpu0 : cpu1)[hist_bucket(ns)]++;
		hist_add(&ref, ns);
	}
	hist_init(&h);
	hist_add(&h, 5);		/* replaced by from_buckets */
	hist_from_buckets(&h, cpu0);
	hist_add_buckets(&h, cpu1);
	assert_int_equal(h.count, 2000);
	assert_false(h.max_known);
	assert_memory_equal(h.b, ref.b, sizeof(h.b));
	/* Below the top bucket the two agree; at the top h has no max to
	 * clamp to and reports the bucket midpoint instead. */
	assert_true(hist_percentile(&h, 50) == hist_percentile(&ref, 50));
	assert_true(hist_percentile(&h, 99) == hist_percentile(&ref, 99));
	uint32_t top = hist_bucket(2000 * 997);
	assert_true(hist_percentile(&h, 100) ==
		    bucket_low(top) + (bucket_high(top) - bucket_low(top)) / 2.0);
	assert_true(hist_percentile(&ref, 100) == 2000 * 997);
	assert_rel(hist_percentile(&h, 100), 2000 * 997, 1.0 / 64);
	/* Empty buckets leave an empty histogram with nothing unknown. */
	memset(cpu0, 0, HIST_BUCKETS * sizeof(uint64_t));
	hist_from_buckets(&h, cpu0);
	assert_int_equal(h.count, 0);
	assert_true(hist_percentile(&h, 50) == 0);
	free(cpu0);
	free(cpu1);
}

static void merge(void **state)
{
	struct hist a, b, all;

	hist_init(&a);
	hist_init(&b);
	hist_init(&all);
	for (uint64_t v = 1; v <= 3000; v++) {
		uint64_t ns = v * v;
		hist_add(v & 1 ? &a : &b, ns);
		hist_add(&all, ns);
	}
	hist_merge(&a, &b);
	assert_int_equal(a.count, 3000);
	assert_true(a.max_known);
	assert_int_equal(a.max_ns, 9000000);
	assert_memory_equal(a.b, all.b, sizeof(a.b));
	assert_true(hist_percentile(&a, 99) == hist_percentile(&all, 99));

	/* Into an empty one: takes the source's max. */
	struct hist e = { 0 };
	hist_merge(&e, &b);
	assert_int_equal(e.count, 1500);
	assert_true(e.max_known);
	assert_int_equal(e.max_ns, 3000 * 3000);

	/* A side without a max makes the result's max unknown. */
	uint64_t *raw = calloc(HIST_BUCKETS, sizeof(*raw));
	assert_non_null(raw);
	raw[hist_bucket(50)] = 2;
	hist_from_buckets(&b, raw);
	hist_merge(&a, &b);
	assert_int_equal(a.count, 3002);
	assert_false(a.max_known);
	free(raw);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(layout_known_values),
	cmocka_unit_test(bucket_range_inverse),
	cmocka_unit_test(every_value_in_its_range),
	cmocka_unit_test(empty_histogram),
	cmocka_unit_test(single_value),
	cmocka_unit_test(zeros),
	cmocka_unit_test(one_to_hundred),
	cmocka_unit_test(scaled_uniform),
	cmocka_unit_test(lognormal_accuracy),
	cmocka_unit_test(overflow_bucket),
	cmocka_unit_test(from_buckets_per_cpu),
	cmocka_unit_test(merge),
};

RUN_TESTS(tests)
