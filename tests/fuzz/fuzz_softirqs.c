/* libFuzzer harness: softirqs_parse on arbitrary bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "softirqs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	struct softirqs s;
	struct parse_error err;
	int rc = softirqs_parse(buf, size, &s, &err);
	if (rc == 0) {
		if (!s.ncpus)
			__builtin_trap();
		for (size_t i = 0; i < s.n; i++) {
			uint64_t sum = 0;
			for (unsigned c = 0; c < s.ncpus; c++)
				if (__builtin_add_overflow(sum, s.vec[i].counts[c], &sum))
					sum = NA_U64;
			if (sum != s.vec[i].total || softirqs_find(&s, s.vec[i].name) == NULL)
				__builtin_trap();
		}
	} else if ((rc != -EINVAL && rc != -ENOMEM) || err.line < 1 || s.n || s.vec) {
		__builtin_trap();
	}
	softirqs_free(&s);
	free(buf);
	return 0;
}
