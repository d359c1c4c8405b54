/* Unit tests: cpumask lists and hex masks. */
#include "testutil.h"
#include "base/cpumask.h"

static void list_roundtrip(void **state)
{
	struct cpumask m;
	cpumask_init(&m);
	assert_int_equal(cpulist_parse("1,2-7,9\n", &m), 0);
	assert_int_equal(cpumask_weight(&m), 8);
	char buf[64];
	cpulist_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, "1-7,9");
	assert_int_equal(cpulist_parse("0-15,88-103", &m), 0);
	assert_int_equal(cpumask_weight(&m), 32);
	assert_true(cpumask_test(&m, 103));
	assert_false(cpumask_test(&m, 16));
	cpumask_free(&m);
}

static void list_empty_forms(void **state)
{
	struct cpumask m;
	cpumask_init(&m);
	const char *empties[] = { "", "\n", "              (null)\n", "(null)" };
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(cpulist_parse(empties[i], &m), 0);
		assert_true(cpumask_empty(&m));
	}
	cpumask_free(&m);
}

static void list_garbage(void **state)
{
	struct cpumask m;
	cpumask_init(&m);
	assert_int_equal(cpulist_parse("1-", &m), -EINVAL);
	assert_int_equal(cpulist_parse("5-3", &m), -EINVAL);
	assert_int_equal(cpulist_parse("abc", &m), -EINVAL);
	assert_int_equal(cpulist_parse("1,,2", &m), -EINVAL);
	assert_int_equal(cpulist_parse("99999999", &m), -ERANGE);
	cpumask_free(&m);
}

static void related_cpus_spaces(void **state)
{
	struct cpumask m;
	cpumask_init(&m);
	assert_int_equal(cpulist_parse("0 1 2 3 \n", &m), 0);
	assert_int_equal(cpumask_weight(&m), 4);
	cpumask_free(&m);
}

static void hex_multiword(void **state)
{
	struct cpumask m;
	cpumask_init(&m);
	/* 72 CPUs: three 32-bit words. */
	assert_int_equal(cpumask_parse_hex("00000080,00000000,00000001\n", &m), 0);
	assert_true(cpumask_test(&m, 0));
	assert_true(cpumask_test(&m, 71));
	assert_int_equal(cpumask_weight(&m), 2);
	/* A short first word is still aligned on 32 bits. */
	assert_int_equal(cpumask_parse_hex("1,0", &m), 0);
	assert_true(cpumask_test(&m, 32));
	assert_int_equal(cpumask_weight(&m), 1);
	assert_int_equal(cpumask_parse_hex("FF", &m), 0);
	assert_int_equal(cpumask_weight(&m), 8);
	assert_int_equal(cpumask_parse_hex("xyz", &m), -EINVAL);
	assert_int_equal(cpumask_parse_hex("123456789", &m), -EINVAL);
	cpumask_free(&m);
}

static void set_operations(void **state)
{
	struct cpumask a, b;
	cpumask_init(&a);
	cpumask_init(&b);
	cpulist_parse("0-3", &a);
	cpulist_parse("2", &b);
	assert_true(cpumask_subset(&b, &a));
	assert_false(cpumask_subset(&a, &b));
	assert_true(cpumask_intersects(&a, &b));
	cpulist_parse("200", &b);
	assert_false(cpumask_intersects(&a, &b));
	assert_int_equal(cpumask_next(&b, -1), 200);
	assert_int_equal(cpumask_next(&b, 200), -1);
	cpumask_copy(&a, &b);
	assert_true(cpumask_equal(&a, &b));
	cpumask_free(&a);
	cpumask_free(&b);
}

/* Union, intersection and difference across masks of different widths. */
static void or_and_andnot(void **state)
{
	struct cpumask a, b, d;
	cpumask_init(&a);
	cpumask_init(&b);
	cpumask_init(&d);
	assert_int_equal(cpulist_parse("0-3,70", &a), 0);
	assert_int_equal(cpulist_parse("2-5,130", &b), 0);
	char buf[64];
	assert_int_equal(cpumask_and(&d, &a, &b, false), 0);
	cpulist_format(&d, buf, sizeof(buf));
	assert_string_equal(buf, "2-3");
	assert_int_equal(cpumask_and(&d, &a, &b, true), 0);
	cpulist_format(&d, buf, sizeof(buf));
	assert_string_equal(buf, "0-1,70");
	assert_int_equal(cpumask_and(&d, &b, &a, true), 0);
	cpulist_format(&d, buf, sizeof(buf));
	assert_string_equal(buf, "4-5,130");
	assert_int_equal(cpumask_or(&a, &b), 0);
	cpulist_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "0-5,70,130");
	cpumask_free(&a);
	cpumask_free(&b);
	cpumask_free(&d);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(or_and_andnot),
	cmocka_unit_test(list_roundtrip),   cmocka_unit_test(list_empty_forms),
	cmocka_unit_test(list_garbage),     cmocka_unit_test(related_cpus_spaces),
	cmocka_unit_test(hex_multiword),    cmocka_unit_test(set_operations),
};
RUN_TESTS(tests)
