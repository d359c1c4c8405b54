/* libFuzzer harness: softirqs_parse on arbitrary bytes. */
#include "fuzz.h"
#include "inspect/softirqs.h"

static void fuzz_one(const char *buf, size_t size)
{
	struct softirqs s;
	struct parse_error err;
	int rc = softirqs_parse(buf, size, &s, &err);
	if (rc == 0) {
		if (!s.ncpus)
			__builtin_trap();
		for (size_t i = 0; i < s.n; i++)
			if (fuzz_total(s.vec[i].counts, s.ncpus) != s.vec[i].total ||
			    softirqs_find(&s, s.vec[i].name) == NULL)
				__builtin_trap();
	} else {
		fuzz_check_failure(rc, &err, s.n, s.vec);
	}
	softirqs_free(&s);
}
