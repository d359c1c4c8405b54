/* libFuzzer harness: cgroup_cpu_stat_parse (a group's cpu.stat, v1 or v2)
 * on arbitrary bytes. */
#include "fuzz.h"
#include "inspect/cgroup.h"

static void fuzz_one(const char *buf, size_t size)
{
	struct cgroup_cpu_stat st;
	struct parse_error err;

	memset(&err, 0, sizeof(err));
	int rc = cgroup_cpu_stat_parse(buf, size, "cpu.stat", &st, &err);
	if (rc == 0) {
		/* v2 gives microseconds: nanoseconds are whole thousands */
		if (st.v2 && st.throttled_ns % 1000)
			__builtin_trap();
	} else if (rc != -EINVAL || !memchr(err.msg, 0, sizeof(err.msg)) || !err.msg[0] ||
		   strcmp(err.file, "cpu.stat")) {
		__builtin_trap();
	}
}
