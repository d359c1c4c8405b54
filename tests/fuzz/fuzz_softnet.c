/* libFuzzer harness: softnet_parse on arbitrary bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "softnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	struct softnet s;
	struct parse_error err;
	int rc = softnet_parse(buf, size, &s, &err);
	if (rc == 0) {
		if (!s.n)
			__builtin_trap();
		for (size_t i = 0; i < s.n; i++)
			if (s.cpu[i].columns < 9 || (!s.cpu[i].cpu_from_kernel && s.cpu[i].cpu != i))
				__builtin_trap();
	} else if ((rc != -EINVAL && rc != -ENOMEM) || err.line < 1 || s.n || s.cpu) {
		__builtin_trap();
	}
	softnet_free(&s);
	free(buf);
	return 0;
}
