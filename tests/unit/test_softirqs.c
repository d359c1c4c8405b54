/* Unit tests: /proc/softirqs. */
#include "testutil.h"
#include "inspect/softirqs.h"

static void check_invariants(const struct softirqs *s)
{
	assert_true(s->ncpus > 0);
	assert_non_null(s->cpu);
	for (size_t i = 0; i < s->n; i++) {
		uint64_t sum = 0;
		for (unsigned c = 0; c < s->ncpus; c++)
			if (__builtin_add_overflow(sum, s->vec[i].counts[c], &sum))
				sum = NA_U64;
		assert_true(s->vec[i].total == sum);
		assert_true(s->vec[i].name[0] != '\0');
	}
}

static int parse_str(const char *text, struct softirqs *out, struct parse_error *err)
{
	size_t len;
	char *buf = unterminated(text, &len);
	int rc = softirqs_parse(buf, len, out, err);
	free(buf);
	return rc;
}

static void inline_forms(void **state)
{
	const char *text =
		"                    CPU0       CPU1       CPU4       \n"
		"          HI:          3          0          1\n"
		"       TIMER:    2776180     247490         17   \n"
		"\n"
		"BLOCK_IOPOLL:          0          0          0\n"
		"      NET_RX:      55919\n";
	struct softirqs s;
	struct parse_error err;
	assert_int_equal(parse_str(text, &s, &err), 0);
	check_invariants(&s);
	assert_int_equal(s.ncpus, 3);
	assert_int_equal(s.cpu[2], 4);
	assert_int_equal(s.n, 4);
	const struct softirq_vec *v = softirqs_find(&s, "TIMER");
	assert_non_null(v);
	assert_int_equal(v->counts[2], 17);
	assert_int_equal(v->total, 2776180 + 247490 + 17);
	/* The old and the new name of the same vector find the same row. */
	assert_ptr_equal(softirqs_find(&s, "IRQ_POLL"), softirqs_find(&s, "BLOCK_IOPOLL"));
	assert_non_null(softirqs_find(&s, "IRQ_POLL"));
	/* A short row: the missing CPUs are 0. */
	v = softirqs_find(&s, "NET_RX");
	assert_int_equal(v->counts[0], 55919);
	assert_int_equal(v->counts[1], 0);
	assert_null(softirqs_find(&s, "NET_TX"));
	softirqs_free(&s);

	assert_int_equal(parse_str("  CPU0\n  IRQ_POLL: 5\n", &s, &err), 0);
	assert_non_null(softirqs_find(&s, "BLOCK_IOPOLL"));
	assert_null(softirqs_find(&s, "RCU"));
	softirqs_free(&s);
}

static void expect_error(const char *text, int line, const char *what)
{
	struct softirqs s;
	struct parse_error err;
	memset(&err, 0, sizeof(err));
	assert_parse_error(parse_str(text, &s, &err), &err, "/proc/softirqs", line, what);
	assert_int_equal(s.n, 0);
	assert_null(s.vec);
	softirqs_free(&s);
}

static void errors(void **state)
{
	expect_error("", 1, "empty");
	expect_error("\n  \n", 1, "empty");
	expect_error("   HI: 1 2\n", 1, "no CPU header");
	expect_error("  CPU0 CPU1\n  HI: 1 2\n  TIMER: 1 x\n", 3, "not a count");
	expect_error("  CPU0 CPU1\n  HI: 1 2 3\n", 2, "more counts");
	expect_error("  CPU0 CPU1\n  HI: 1 99999999999999999999999\n", 2, "out of range");
	expect_error("  CPU0 CPU1\n  HI 1 2\n", 2, "NAME");
	expect_error("  CPU0 CPU1\n  : 1 2\n", 2, "NAME");
}

static void all_shared_trees(void **state)
{
	int seen = 0;
	struct shared_iter it;
	for (shared_first(&it); shared_next(&it);) {
		struct softirqs s;
		struct parse_error err;
		int rc = softirqs_read(&it.h, &s, &err);
		if (!host_exists(&it.h, "/proc/softirqs")) {
			assert_int_equal(rc, -ENOENT);
			assert_string_equal(err.file, "/proc/softirqs");
		} else {
			assert_int_equal(rc, 0);
			check_invariants(&s);
			/* Every kernel since 2.6.36 has these ten vectors. */
			assert_int_equal(s.n, 10);
			assert_non_null(softirqs_find(&s, "NET_RX"));
			assert_non_null(softirqs_find(&s, "IRQ_POLL"));
			seen++;
		}
		softirqs_free(&s);
	}
	assert_int_equal(seen, 5);
}

static void named_trees(void **state)
{
	struct host h;
	struct softirqs s;
	struct parse_error err;

	OPEN_SHARED(&h, "pcp-8cpu-x86_64-laptop");
	assert_int_equal(softirqs_read(&h, &s, &err), 0);
	assert_int_equal(s.ncpus, 8);
	assert_string_equal(s.vec[5].name, "BLOCK_IOPOLL");
	assert_ptr_equal(softirqs_find(&s, "IRQ_POLL"), &s.vec[5]);
	assert_int_equal(softirqs_find(&s, "TIMER")->counts[7], 12521062);
	softirqs_free(&s);
	host_close(&h);

	OPEN_SHARED(&h, "node-exporter-fixtures");
	assert_int_equal(softirqs_read(&h, &s, &err), 0);
	assert_int_equal(s.ncpus, 2);
	assert_int_equal(softirqs_find(&s, "NET_RX")->counts[1], 104508);
	assert_string_equal(s.vec[5].name, "IRQ_POLL");
	softirqs_free(&s);
	host_close(&h);

	OPEN_SHARED(&h, "pcp-1cpu-i686-kvm");
	assert_int_equal(softirqs_read(&h, &s, &err), 0);
	assert_int_equal(s.ncpus, 1);
	assert_int_equal(softirqs_find(&s, "RCU")->total, 9479358);
	softirqs_free(&s);
	host_close(&h);

	OPEN_SHARED(&h, "pcp-1152cpu-x86_64-i40e-lpfc");
	assert_int_equal(softirqs_read(&h, &s, &err), 0);
	assert_int_equal(s.ncpus, 1152);
	assert_int_equal(s.cpu[1151], 1151);
	const struct softirq_vec *v = softirqs_find(&s, "TIMER");
	assert_int_equal(v->counts[0], 114978);
	assert_int_equal(v->counts[1151], 28403);
	assert_int_equal(v->total, 55160913);
	assert_int_equal(softirqs_find(&s, "NET_RX")->total, 6892);
	softirqs_free(&s);
	host_close(&h);
}

static void xeon_96cpu(void **state)
{
	struct host h;
	struct softirqs s;
	struct parse_error err;
	OPEN_FIXTURE(&h, "xeon-mlx5-nvme-96cpu");
	assert_int_equal(softirqs_read(&h, &s, &err), 0);
	check_invariants(&s);
	assert_int_equal(s.ncpus, 96);
	assert_int_equal(s.n, 10);
	assert_int_equal(softirqs_find(&s, "IRQ_POLL")->total, 0);
	/* The NICs sit on node 0: NET_RX work lands on its CPUs. */
	const struct softirq_vec *v = softirqs_find(&s, "NET_RX");
	assert_true(v->counts[0] > v->counts[24]);
	assert_true(v->counts[48] > v->counts[95]);
	softirqs_free(&s);
	host_close(&h);
}

static int read_bad(const struct host *h, struct parse_error *err)
{
	struct softirqs s;
	int rc = softirqs_read(h, &s, err);
	if (!rc)
		check_invariants(&s);
	softirqs_free(&s);
	return rc;
}

static void bad_trees(void **state)
{
	static const struct bad_case cases[] = {
		{ "truncated-lines", 0, 0 },
		{ "missing-columns", 0, 0 },
		{ "garbage-numbers", -EINVAL, 3 },
		{ "huge-counts", -EINVAL, 3 },
		{ "empty-files", -EINVAL, 1 },
		{ "missing-dirs", -ENOENT, 0 },
		{ "binary-junk", -EINVAL, 1 },
	};
	check_bad_trees(cases, ARRAY_SIZE(cases), "/proc/softirqs", read_bad);

	struct host h;
	struct softirqs s;
	struct parse_error err;
	OPEN_FIXTURE(&h, "bad/truncated-lines");
	assert_int_equal(softirqs_read(&h, &s, &err), 0);
	/* "NET_RX:      55919      2869" was cut: what is there is kept. */
	assert_int_equal(softirqs_find(&s, "NET_RX")->counts[1], 2869);
	softirqs_free(&s);
	host_close(&h);
	OPEN_FIXTURE(&h, "bad/missing-columns");
	assert_int_equal(softirqs_read(&h, &s, &err), 0);
	assert_int_equal(softirqs_find(&s, "NET_RX")->total, 55919);
	softirqs_free(&s);
	host_close(&h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(inline_forms), cmocka_unit_test(errors),
	cmocka_unit_test(all_shared_trees), cmocka_unit_test(named_trees),
	cmocka_unit_test(xeon_96cpu), cmocka_unit_test(bad_trees),
};
RUN_TESTS(tests)
