/* Unit tests: /proc/net/softnet_stat. */
#include "testutil.h"
#include "inspect/softnet.h"

static int parse_str(const char *text, struct softnet *out, struct parse_error *err)
{
	size_t len;
	char *buf = unterminated(text, &len);
	int rc = softnet_parse(buf, len, out, err);
	free(buf);
	return rc;
}

static void check_invariants(const struct softnet *s)
{
	assert_true(s->n > 0);
	for (size_t i = 0; i < s->n; i++) {
		const struct softnet_cpu *c = &s->cpu[i];
		assert_true(c->columns >= 9);
		assert_true((c->received_rps == NA_U64) == (c->columns < 10));
		assert_true((c->flow_limit_count == NA_U64) == (c->columns < 11));
		assert_true((c->backlog_len == NA_U64) == (c->columns < 12));
		assert_true(c->cpu_from_kernel == (c->columns >= 13));
		if (!c->cpu_from_kernel)
			assert_int_equal(c->cpu, i);
	}
}

static void column_counts(void **state)
{
	struct host h;
	struct softnet s;
	struct parse_error err;
	OPEN_SHARED(&h, "procfs-testdata");
	assert_int_equal(softnet_read(&h, &s, &err), 0);
	check_invariants(&s);
	/* Rows from several kernel versions in one file. */
	assert_int_equal(s.n, 5);
	assert_int_equal(s.cpu[0].columns, 13);
	assert_int_equal(s.cpu[1].columns, 13);
	assert_int_equal(s.cpu[2].columns, 11);
	assert_int_equal(s.cpu[3].columns, 9);
	assert_int_equal(s.cpu[4].columns, 10);

	assert_int_equal(s.cpu[0].processed, 0x358fe3);
	assert_int_equal(s.cpu[0].dropped, 0x6283);
	assert_int_equal(s.cpu[0].received_rps, 0x855fc);
	assert_int_equal(s.cpu[0].flow_limit_count, 0x76);
	assert_int_equal(s.cpu[0].backlog_len, 0);
	assert_true(s.cpu[0].cpu_from_kernel);
	assert_int_equal(s.cpu[0].cpu, 0);
	assert_int_equal(s.cpu[1].cpu, 1);
	assert_int_equal(s.cpu[1].backlog_len, 0xdc);
	assert_int_equal(s.cpu[1].time_squeeze, 0xb1);

	assert_int_equal(s.cpu[2].time_squeeze, 0xf0000769);
	assert_false(s.cpu[2].cpu_from_kernel);
	assert_int_equal(s.cpu[2].cpu, 2);
	assert_true(s.cpu[2].backlog_len == NA_U64);
	assert_int_equal(s.cpu[2].flow_limit_count, 2);

	assert_true(s.cpu[3].received_rps == NA_U64);
	assert_int_equal(s.cpu[3].time_squeeze, 0x109a4);
	assert_int_equal(s.cpu[4].received_rps, 0x10);
	assert_true(s.cpu[4].flow_limit_count == NA_U64);
	softnet_free(&s);
	host_close(&h);
}

static void broken_fixture(void **state)
{
	struct host h;
	OPEN_SHARED(&h, "procfs-testdata");
	size_t len;
	char *buf = host_read(&h, "/proc/net/softnet_stat.broken", &len);
	assert_non_null(buf);
	struct softnet s;
	struct parse_error err;
	memset(&err, 0, sizeof(err));
	/* "00015c73 00020e76 F0000769 00000000": four columns. */
	assert_int_equal(softnet_parse(buf, len, &s, &err), -EINVAL);
	assert_string_equal(err.file, "/proc/net/softnet_stat");
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.msg, "4 columns"));
	assert_int_equal(s.n, 0);
	softnet_free(&s);
	free(buf);
	host_close(&h);
}

static void named_trees(void **state)
{
	struct host h;
	struct softnet s;
	struct parse_error err;

	/* 11 columns and no newline at the end of the file. */
	OPEN_SHARED(&h, "node-exporter-fixtures");
	assert_int_equal(softnet_read(&h, &s, &err), 0);
	check_invariants(&s);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.cpu[1].dropped, 0x29);
	assert_int_equal(s.cpu[1].time_squeeze, 0xa);
	assert_int_equal(s.cpu[3].processed, 0x2f8339);
	assert_int_equal(s.cpu[3].columns, 11);
	softnet_free(&s);
	host_close(&h);

	OPEN_SHARED(&h, "pcp-hp-bl920gen8-480cpu");
	assert_int_equal(softnet_read(&h, &s, &err), 0);
	check_invariants(&s);
	assert_int_equal(s.n, 480);
	for (size_t i = 0; i < s.n; i++)
		assert_int_equal(s.cpu[i].columns, 10);
	assert_int_equal(s.cpu[0].processed, 0x8ac);
	assert_int_equal(s.cpu[479].cpu, 479);
	softnet_free(&s);
	host_close(&h);
}

static void all_shared_trees(void **state)
{
	int seen = 0;
	struct shared_iter it;
	for (shared_first(&it); shared_next(&it);) {
		struct softnet s;
		struct parse_error err;
		int rc = softnet_read(&it.h, &s, &err);
		if (!host_exists(&it.h, "/proc/net/softnet_stat")) {
			assert_int_equal(rc, -ENOENT);
			assert_string_equal(err.file, "/proc/net/softnet_stat");
			assert_int_equal(err.line, 0);
		} else {
			assert_int_equal(rc, 0);
			check_invariants(&s);
			seen++;
		}
		softnet_free(&s);
	}
	assert_int_equal(seen, 3);
}

static void inline_forms(void **state)
{
	struct softnet s;
	struct parse_error err;
	/* Upper-case hex, tabs, CRs, blank lines, a 14th column from the future. */
	assert_int_equal(parse_str("0000ABCD 0000000F 00000001 0 0 0 0 0 0 0 0 0 00000007 0000dead\r\n"
				   "\n"
				   "ffffffff\t00000000 00000000 0 0 0 0 0 00000009\n",
				   &s, &err), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.cpu[0].processed, 0xabcd);
	assert_int_equal(s.cpu[0].dropped, 15);
	assert_int_equal(s.cpu[0].columns, 14);
	assert_int_equal(s.cpu[0].cpu, 7);
	assert_true(s.cpu[0].cpu_from_kernel);
	assert_int_equal(s.cpu[1].processed, 0xffffffff);
	assert_int_equal(s.cpu[1].cpu, 1);
	assert_int_equal(s.cpu[1].columns, 9);
	softnet_free(&s);

	/* 64-bit counters fit; 17 hex digits do not. */
	assert_int_equal(parse_str("ffffffffffffffff 0 0 0 0 0 0 0 0\n", &s, &err), 0);
	assert_true(s.cpu[0].processed == UINT64_MAX);
	softnet_free(&s);
}

static void expect_error(const char *text, int line, const char *what)
{
	struct softnet s;
	struct parse_error err;
	memset(&err, 0, sizeof(err));
	assert_parse_error(parse_str(text, &s, &err), &err, "/proc/net/softnet_stat", line, what);
	assert_int_equal(s.n, 0);
	assert_null(s.cpu);
	softnet_free(&s);
}

static void errors(void **state)
{
	expect_error("", 1, "empty");
	expect_error("\n \n", 1, "empty");
	expect_error("0 0 0 0 0 0 0 0 0\n0 0 0 0\n", 2, "4 columns");
	expect_error("0 0 0 0 0 0 0 0 0\n0 0 0 0 0 0 0 0 0\n0 0 0 0 0 0 0 0 0x1\n", 3,
		     "not a hex number in column 9");
	expect_error("0 0 0 0 0 0 0 0 -1\n", 1, "not a hex number");
	expect_error("0 10000000000000000 0 0 0 0 0 0 0\n", 1, "out of range in column 2");
	expect_error("0 0 0 0 0 0 0 0 0 0 0 0 ffffffff\n", 1, "CPU index");
}

static void xeon_96cpu(void **state)
{
	struct host h;
	struct softnet s;
	struct parse_error err;
	OPEN_FIXTURE(&h, "xeon-mlx5-nvme-96cpu");
	assert_int_equal(softnet_read(&h, &s, &err), 0);
	check_invariants(&s);
	assert_int_equal(s.n, 96);
	unsigned dropped = 0, squeezed = 0;
	for (size_t i = 0; i < s.n; i++) {
		assert_int_equal(s.cpu[i].columns, 13);
		assert_int_equal(s.cpu[i].cpu, i);
		assert_true(s.cpu[i].processed > 0);
		dropped += s.cpu[i].dropped != 0;
		squeezed += s.cpu[i].time_squeeze != 0;
	}
	assert_int_equal(dropped, 3);
	assert_true(squeezed >= 10);
	assert_int_equal(s.cpu[12].dropped, 1234 + 12);
	assert_int_equal(s.cpu[12].backlog_len, 3);
	assert_true(s.cpu[12].time_squeeze > 0);
	softnet_free(&s);
	host_close(&h);
}

/* Every bad tree is an error for softnet_stat, and leaves no rows. */
static int read_bad(const struct host *h, struct parse_error *err)
{
	struct softnet s;
	int rc = softnet_read(h, &s, err);
	assert_int_equal(s.n, 0);
	softnet_free(&s);
	return rc;
}

static void bad_trees(void **state)
{
	static const struct bad_case cases[] = {
		{ "truncated-lines", -EINVAL, 2 },
		{ "missing-columns", -EINVAL, 2 },
		{ "garbage-numbers", -EINVAL, 2 },
		{ "huge-counts", -EINVAL, 2 },
		{ "empty-files", -EINVAL, 1 },
		{ "missing-dirs", -ENOENT, 0 },
		{ "binary-junk", -EINVAL, 1 },
	};
	check_bad_trees(cases, ARRAY_SIZE(cases), "/proc/net/softnet_stat", read_bad);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(column_counts), cmocka_unit_test(broken_fixture),
	cmocka_unit_test(named_trees),   cmocka_unit_test(all_shared_trees),
	cmocka_unit_test(inline_forms),  cmocka_unit_test(errors),
	cmocka_unit_test(xeon_96cpu),    cmocka_unit_test(bad_trees),
};
RUN_TESTS(tests)
