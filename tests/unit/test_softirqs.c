/* Unit tests: /proc/softirqs. */
#include "testutil.h"
#include "softirqs.h"

#include <unistd.h>

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
	size_t len = strlen(text);
	char *buf = malloc(len ? len : 1); /* no NUL: ASan sees any overread */
	assert_non_null(buf);
	memcpy(buf, text, len);
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
	assert_int_equal(parse_str(text, &s, &err), -EINVAL);
	assert_string_equal(err.file, "/proc/softirqs");
	assert_int_equal(err.line, line);
	assert_non_null(strstr(err.msg, what));
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
	if (!shared_available())
		skip();
	struct strlist names;
	strlist_init(&names);
	assert_int_equal(shared_hosts(NULL, &names), 0);
	int seen = 0;
	for (size_t i = 0; i < names.n; i++) {
		char root[1024];
		snprintf(root, sizeof(root), "%s/%s", SHARED_HOSTS, names.v[i]);
		struct host h;
		assert_int_equal(host_open(&h, root), 0);
		struct softirqs s;
		struct parse_error err;
		int rc = softirqs_read(&h, &s, &err);
		if (!host_exists(&h, "/proc/softirqs")) {
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
		host_close(&h);
	}
	assert_int_equal(seen, 5);
	strlist_free(&names);
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

struct bad_case {
	const char *tree;
	int rc;
	int line;
};

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
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char root[512];
		snprintf(root, sizeof(root), "%s/bad/%s", FIXTURES, cases[i].tree);
		struct host h;
		assert_int_equal(host_open(&h, root), 0);
		struct softirqs s;
		struct parse_error err;
		memset(&err, 0, sizeof(err));
		int rc = softirqs_read(&h, &s, &err);
		if (rc != cases[i].rc)
			fprintf(stderr, "%s: rc %d\n", cases[i].tree, rc);
		assert_int_equal(rc, cases[i].rc);
		if (rc) {
			assert_string_equal(err.file, "/proc/softirqs");
			assert_int_equal(err.line, cases[i].line);
		} else {
			check_invariants(&s);
		}
		softirqs_free(&s);
		host_close(&h);
	}

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
