/* Unit tests: the JSON helpers every report is built with (base/jsonw). */
#include "testutil.h"
#include "base/jsonw.h"

/* obj on one line, as the journal writes it: the form these tests compare. */
static void assert_line(jo *obj, const char *want)
{
	assert_string_equal(jw_line(obj), want);
}

/* {"v": v} on one line: how a value (or its absence: null) is written. */
static void assert_value(jo *v, const char *want)
{
	jo *o = json_object_new_object();
	jw_put(o, "v", v);
	char expect[256];
	snprintf(expect, sizeof(expect), "{\"v\":%s}", want);
	assert_line(o, expect);
	json_object_put(o);
}

static void strings_str_and_known(void **state)
{
	/* A text that is what it is: "" stays "". */
	assert_value(jw_str("eth0"), "\"eth0\"");
	assert_value(jw_str(""), "\"\"");
	assert_value(jw_str(NULL), "null");
	/* A text that may be unknown: "" is unknown. */
	assert_value(jw_known("eth0"), "\"eth0\"");
	assert_value(jw_known(""), "null");
	assert_value(jw_known(NULL), "null");
	assert_null(jw_known(""));
	jo *empty = jw_str("");
	assert_non_null(empty);
	json_object_put(empty);
	/* Quotes and control characters are escaped, slashes are not. */
	assert_value(jw_str("a \"b\"\n/sys"), "\"a \\\"b\\\"\\n/sys\"");
}

static void numbers_and_unknowns(void **state)
{
	assert_value(jw_u64(NA_U64), "null");
	assert_value(jw_u64(0), "0");
	assert_value(jw_u64(NA_U64 - 1), "18446744073709551614");
	assert_value(jw_s64(NA_S64), "null");
	assert_value(jw_s64(-5), "-5");
	assert_value(jw_s64(INT64_MAX), "9223372036854775807");
	assert_value(jw_nonneg(-1), "null");
	assert_value(jw_nonneg(INT64_MIN), "null");
	assert_value(jw_nonneg(0), "0");
	assert_value(jw_nonneg(4096), "4096");
	assert_value(jw_int(-3), "-3");
	assert_value(jw_uint(0), "0");
	/* NA_U64's bits are a count like any other here. */
	assert_value(jw_uint(NA_U64), "18446744073709551615");
	assert_value(jw_bool(true), "true");
	assert_value(jw_bool(false), "false");
	assert_value(jw_flag(1), "true");
	assert_value(jw_flag(0), "false");
	assert_value(jw_flag(-1), "null");
	assert_value(jw_double(2.5), "2.5");
	assert_value(jw_double(0.0), "0.0");
}

static void cpu_lists(void **state)
{
	assert_value(jw_cpulist(NULL), "null");
	struct cpumask m;
	cpumask_init(&m);
	assert_value(jw_cpulist(&m), "\"\"");
	assert_int_equal(cpulist_parse("0-3,8,10-11", &m), 0);
	assert_value(jw_cpulist(&m), "\"0-3,8,10-11\"");
	cpumask_free(&m);
}

static void arrays(void **state)
{
	const uint64_t u[] = { 0, 7, UINT64_MAX };
	const double d[] = { 1.5, 0.25 };
	assert_value(jw_u64_array(u, 3), "[0,7,18446744073709551615]");
	assert_value(jw_u64_array(u, 0), "[]");
	assert_value(jw_double_array(d, 2), "[1.5,0.25]");
	assert_value(jw_double_array(NULL, 0), "[]");
}

static void put_adds_and_replaces(void **state)
{
	jo *o = json_object_new_object();
	jw_put(o, "b", jw_int(1));
	jw_put(o, "a", NULL);
	jw_put(o, "c", jw_str("x"));
	assert_line(o, "{\"b\":1,\"a\":null,\"c\":\"x\"}");
	jw_put(o, "b", jw_str("two"));
	jw_put(o, "c", NULL);
	assert_line(o, "{\"b\":\"two\",\"a\":null,\"c\":null}");
	json_object_put(o);
}

/* What jw_print writes for obj, read back from a temporary file. */
static char *printed(jo *obj, int *rc)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	*rc = jw_print(f, obj);
	long n = ftell(f);
	assert_true(n >= 0);
	char *text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	rewind(f);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return text;
}

static void print_form(void **state)
{
	jo *o = json_object_new_object();
	jw_put(o, "root", jw_str("/sys/devices"));
	jw_put(o, "why", jw_known(""));
	jo *a = json_object_new_array();
	json_object_array_add(a, jw_int(1));
	json_object_array_add(a, jw_int(2));
	jw_put(o, "cpus", a);
	int rc = -1;
	char *text = printed(o, &rc);
	assert_int_equal(rc, 0);
	/* Pretty, a space after each colon, slashes as they are, one newline. */
	assert_string_equal(text, "{\n"
				  "  \"root\": \"/sys/devices\",\n"
				  "  \"why\": null,\n"
				  "  \"cpus\": [\n"
				  "    1,\n"
				  "    2\n"
				  "  ]\n"
				  "}\n");
	free(text);
	/* The one-line form has no spaces either. */
	assert_line(o, "{\"root\":\"/sys/devices\",\"why\":null,\"cpus\":[1,2]}");
	json_object_put(o);
}

static void print_to_a_full_device_fails(void **state)
{
	FILE *f = fopen("/dev/full", "w");
	if (!f)
		skip(); /* SKIP: no /dev/full in this environment */
	/* Unbuffered: the write itself fails, not a later flush. */
	assert_int_equal(setvbuf(f, NULL, _IONBF, 0), 0);
	jo *o = json_object_new_object();
	jw_put(o, "a", jw_int(1));
	assert_int_equal(jw_print(f, o), -EIO);
	json_object_put(o);
	fclose(f);
}

static void print_to_a_read_only_stream_fails(void **state)
{
	FILE *f = fopen("/dev/null", "r");
	assert_non_null(f);
	jo *o = json_object_new_object();
	assert_int_equal(jw_print(f, o), -EIO);
	json_object_put(o);
	fclose(f);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(strings_str_and_known), cmocka_unit_test(numbers_and_unknowns),
	cmocka_unit_test(cpu_lists),             cmocka_unit_test(arrays),
	cmocka_unit_test(put_adds_and_replaces), cmocka_unit_test(print_form),
	cmocka_unit_test(print_to_a_full_device_fails),
	cmocka_unit_test(print_to_a_read_only_stream_fails),
};
RUN_TESTS(tests)
