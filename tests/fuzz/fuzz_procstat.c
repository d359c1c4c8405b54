/* libFuzzer harness: procstat_parse and task_stat_parse on arbitrary bytes. */
#include "fuzz.h"
#include "inspect/procstat.h"

static void fuzz_stat(const char *buf, size_t size)
{
	struct procstat s;
	struct parse_error err;
	int rc = procstat_parse(buf, size, &s, &err);
	if (rc == 0) {
		if (s.all.cpu != UINT32_MAX || (s.n && !s.cpu))
			__builtin_trap();
		for (size_t i = 0; i < s.n; i++)
			if ((i && s.cpu[i].cpu <= s.cpu[i - 1].cpu) ||
			    procstat_cpu(&s, s.cpu[i].cpu) != &s.cpu[i])
				__builtin_trap();
	} else {
		fuzz_check_failure(rc, &err, s.n, s.cpu);
	}
	procstat_free(&s);
}

static void fuzz_task(const char *buf, size_t size)
{
	struct task_stat t;
	int rc = task_stat_parse(buf, size, &t);
	if (rc == 0) {
		if (t.tid <= 0 || t.cpu < -1 || memchr(t.comm, '\0', sizeof(t.comm)) == NULL)
			__builtin_trap();
	} else if (rc != -EINVAL) {
		__builtin_trap();
	}
}

static void fuzz_one(const char *buf, size_t size)
{
	fuzz_stat(buf, size);
	fuzz_task(buf, size);
}
