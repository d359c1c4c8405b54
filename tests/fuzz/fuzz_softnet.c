/* libFuzzer harness: softnet_parse on arbitrary bytes. */
#include "fuzz.h"
#include "inspect/softnet.h"

static void fuzz_one(const char *buf, size_t size)
{
	struct softnet s;
	struct parse_error err;
	int rc = softnet_parse(buf, size, &s, &err);
	if (rc == 0) {
		if (!s.n)
			__builtin_trap();
		for (size_t i = 0; i < s.n; i++)
			if (s.cpu[i].columns < 9 || (!s.cpu[i].cpu_from_kernel && s.cpu[i].cpu != i))
				__builtin_trap();
	} else {
		fuzz_check_failure(rc, &err, s.n, s.cpu);
	}
	softnet_free(&s);
}
