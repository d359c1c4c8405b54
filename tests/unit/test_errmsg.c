/* Unit tests: filling a message buffer, and marking a cut (base/errmsg). */
#include "testutil.h"
#include "base/errmsg.h"

/* A buffer with guard bytes after the sz bytes errmsg may use: a write
 * past sz changes them. */
#define GUARD 8
struct guarded {
	char buf[64 + GUARD];
};

static void guard_init(struct guarded *g)
{
	memset(g->buf, '#', sizeof(g->buf));
}

static void assert_guard(const struct guarded *g, size_t sz)
{
	for (size_t i = sz; i < sz + GUARD; i++)
		assert_int_equal(g->buf[i], '#');
}

static int fill_v(char *why, size_t sz, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = errmsg_v(why, sz, rc, fmt, ap);
	va_end(ap);
	return r;
}

static void returns_its_code(void **state)
{
	char why[64];
	assert_int_equal(errmsg(why, sizeof(why), -ENOENT, "IRQ %u does not exist", 41), -ENOENT);
	assert_int_equal(errmsg(why, sizeof(why), 0, "fine"), 0);
	assert_int_equal(errmsg(why, sizeof(why), 7, "seven"), 7);
	assert_int_equal(fill_v(why, sizeof(why), -EIO, "via %s", "va_list"), -EIO);
}

static void fills_the_buffer(void **state)
{
	char why[64] = "old text that must go";
	errmsg(why, sizeof(why), -ENOENT, "IRQ %u does not exist", 41);
	assert_string_equal(why, "IRQ 41 does not exist");
	assert_false(errmsg_cut(why));
	fill_v(why, sizeof(why), -EIO, "%s: %d", "via va_list", -5);
	assert_string_equal(why, "via va_list: -5");
}

static void exact_fit_is_not_cut(void **state)
{
	struct guarded g;
	guard_init(&g);
	/* 15 characters and the NUL: exactly 16 bytes. */
	errmsg(g.buf, 16, -1, "%s", "123456789012345");
	assert_string_equal(g.buf, "123456789012345");
	assert_false(errmsg_cut(g.buf));
	assert_guard(&g, 16);
}

static void a_cut_is_marked(void **state)
{
	struct guarded g;
	guard_init(&g);
	/* One character too many for 16 bytes. */
	assert_int_equal(errmsg(g.buf, 16, -E2BIG, "%s", "1234567890123456"), -E2BIG);
	assert_string_equal(g.buf, "123456789012...");
	assert_true(errmsg_cut(g.buf));
	assert_guard(&g, 16);

	guard_init(&g);
	errmsg(g.buf, 16, -1, "a path /sys/devices/system/cpu/cpu%d/cpufreq is long", 12);
	assert_int_equal(strlen(g.buf), 15);
	assert_string_equal(g.buf, "a path /sys/...");
	assert_true(errmsg_cut(g.buf));
	assert_guard(&g, 16);
}

static void smallest_buffers(void **state)
{
	struct guarded g;
	/* Room for the mark and one character. */
	guard_init(&g);
	errmsg(g.buf, 5, -1, "%s", "abcdefgh");
	assert_string_equal(g.buf, "a...");
	assert_guard(&g, 5);
	/* Only the mark. */
	guard_init(&g);
	errmsg(g.buf, 4, -1, "%s", "abcdefgh");
	assert_string_equal(g.buf, "...");
	assert_guard(&g, 4);
	/* No room for the mark: what fits, terminated, nothing past sz. */
	guard_init(&g);
	errmsg(g.buf, 3, -1, "%s", "abcdefgh");
	assert_string_equal(g.buf, "ab");
	assert_guard(&g, 3);
	guard_init(&g);
	errmsg(g.buf, 1, -1, "%s", "abcdefgh");
	assert_string_equal(g.buf, "");
	assert_guard(&g, 1);
}

static void null_or_empty_buffer(void **state)
{
	assert_int_equal(errmsg(NULL, 0, -ENOMEM, "out of %s", "memory"), -ENOMEM);
	assert_int_equal(errmsg(NULL, 64, -ENOMEM, "out of %s", "memory"), -ENOMEM);
	assert_int_equal(fill_v(NULL, 0, -EPERM, "%s", "x"), -EPERM);
	struct guarded g;
	guard_init(&g);
	assert_int_equal(errmsg(g.buf, 0, -EINVAL, "%s", "not written"), -EINVAL);
	assert_guard(&g, 0);
	errmsg_append(NULL, 0, "%s", "nothing");
	errmsg_append(NULL, 64, "%s", "nothing");
	errmsg_append(g.buf, 0, "%s", "not written");
	assert_guard(&g, 0);
	assert_false(errmsg_cut(NULL));
	assert_false(errmsg_cut(""));
	assert_false(errmsg_cut(".."));
	assert_true(errmsg_cut("..."));
}

static void append_separates(void **state)
{
	char why[64] = "";
	errmsg_append(why, sizeof(why), "first %d", 1);
	assert_string_equal(why, "first 1");
	errmsg_append(why, sizeof(why), "second %s", "two");
	assert_string_equal(why, "first 1; second two");
	errmsg_append(why, sizeof(why), "%s", "third");
	assert_string_equal(why, "first 1; second two; third");
	assert_false(errmsg_cut(why));

	errmsg(why, sizeof(why), -1, "opening %s", "/run/agentune");
	errmsg_append(why, sizeof(why), "journal %s", "kept");
	assert_string_equal(why, "opening /run/agentune; journal kept");
}

static void append_exact_fit(void **state)
{
	struct guarded g;
	guard_init(&g);
	errmsg(g.buf, 16, -1, "%s", "abcdefgh");
	errmsg_append(g.buf, 16, "%s", "12345");   /* 8 + 2 + 5 = 15 */
	assert_string_equal(g.buf, "abcdefgh; 12345");
	assert_false(errmsg_cut(g.buf));
	assert_guard(&g, 16);
}

static void append_cut_is_marked(void **state)
{
	struct guarded g;
	/* The text does not fit after the separator. */
	guard_init(&g);
	errmsg(g.buf, 16, -1, "%s", "abcdefgh");
	errmsg_append(g.buf, 16, "%s", "123456");
	assert_string_equal(g.buf, "abcdefgh; 12...");
	assert_true(errmsg_cut(g.buf));
	assert_guard(&g, 16);
	/* Only the separator fits: the appended text is lost, and says so. */
	guard_init(&g);
	errmsg(g.buf, 16, -1, "%s", "abcdefghijklm");   /* 13 characters */
	errmsg_append(g.buf, 16, "%s", "more");
	assert_string_equal(g.buf, "abcdefghijkl...");
	assert_true(errmsg_cut(g.buf));
	assert_guard(&g, 16);
	/* Not even the separator fits. */
	guard_init(&g);
	errmsg(g.buf, 16, -1, "%s", "abcdefghijklmno");   /* full */
	errmsg_append(g.buf, 16, "%s", "more");
	assert_string_equal(g.buf, "abcdefghijkl...");
	assert_true(errmsg_cut(g.buf));
	assert_guard(&g, 16);
	/* A message already cut stays marked. */
	guard_init(&g);
	errmsg(g.buf, 16, -1, "%s", "abcdefghijklmnopqrst");
	errmsg_append(g.buf, 16, "%s", "more");
	assert_string_equal(g.buf, "abcdefghijkl...");
	assert_guard(&g, 16);
}

static void append_empty_text(void **state)
{
	char why[16] = "abc";
	errmsg_append(why, sizeof(why), "%s", "");
	assert_string_equal(why, "abc; ");
	assert_false(errmsg_cut(why));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(returns_its_code),     cmocka_unit_test(fills_the_buffer),
	cmocka_unit_test(exact_fit_is_not_cut), cmocka_unit_test(a_cut_is_marked),
	cmocka_unit_test(smallest_buffers),     cmocka_unit_test(null_or_empty_buffer),
	cmocka_unit_test(append_separates),     cmocka_unit_test(append_exact_fit),
	cmocka_unit_test(append_cut_is_marked), cmocka_unit_test(append_empty_text),
};
RUN_TESTS(tests)
