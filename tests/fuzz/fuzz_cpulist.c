/* libFuzzer harness: the two CPU mask text forms, and the list printer
 * fed back into the list parser. */
#include "base/cpumask.h"
#include "fuzz.h"

static void fuzz_one(const char *buf, size_t size)
{
	(void)size; /* the mask parsers read up to the NUL */
	struct cpumask m, again;
	cpumask_init(&m);
	cpumask_init(&again);
	if (cpulist_parse(buf, &m) == 0) {
		/* What we print, we read back to the same set. */
		char *s = cpulist_str(&m);
		if (s) {
			if (cpulist_parse(s, &again) != 0 || !cpumask_equal(&m, &again))
				__builtin_trap();
			free(s);
		}
	}
	cpumask_clear(&m);
	if (cpumask_parse_hex(buf, &m) == 0) {
		unsigned w = cpumask_weight(&m), n = 0;
		for (int c = cpumask_next(&m, -1); c >= 0; c = cpumask_next(&m, c))
			n++;
		if (n != w)
			__builtin_trap();
	}
	cpumask_free(&m);
	cpumask_free(&again);
}
