/* inspect/services: irqbalance and tuned, found by scanning /proc/PID/comm
 * (services.h).
 *
 * irqbalance is a C program: its comm is "irqbalance".  tuned is a Python
 * script: started through its shebang its comm is "tuned" (the kernel names
 * the task after the script), but started as `python3 /usr/sbin/tuned` the
 * comm is the interpreter's, so for a comm starting with "python" the
 * arguments in /proc/PID/cmdline are checked for one whose basename is
 * "tuned".  The lowest matching PID wins.  Processes that exit between the
 * listing and the read are skipped. */
#include "inspect/services.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Is one of argv[1..] (NUL-separated) a path whose basename is "tuned"? */
static bool cmdline_runs_tuned(const struct host *h, const char *pid)
{
	char p[64];
	size_t len;
	snprintf(p, sizeof(p), "/proc/%s/cmdline", pid);
	char *buf = host_read(h, p, &len);
	if (!buf)
		return false;
	bool found = false;
	size_t off = strnlen(buf, len) + 1; /* skip argv[0], the interpreter */
	while (off < len && !found) {
		const char *arg = buf + off;
		size_t n = strnlen(arg, len - off);
		const char *base = memrchr(arg, '/', n);
		base = base ? base + 1 : arg;
		found = (size_t)(arg + n - base) == 5 && !strncmp(base, "tuned", 5);
		off += n + 1;
	}
	free(buf);
	return found;
}

int services_read(const struct host *h, struct services *out)
{
	memset(out, 0, sizeof(*out));
	struct strlist l;
	int rc = host_list(h, "/proc", &l);
	if (rc) {
		snprintf(out->why, sizeof(out->why), "/proc: %s", strerror(-rc));
		return 0;
	}
	size_t seen = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (!all_digits(l.v[i]) || strlen(l.v[i]) > 10)
			continue;
		char p[64], comm[32];
		snprintf(p, sizeof(p), "/proc/%s/comm", l.v[i]);
		if (host_read_line(h, p, comm, sizeof(comm)))
			continue; /* gone, or not captured */
		seen++;
		long pid = strtol(l.v[i], NULL, 10);
		if (pid <= 0 || pid > INT32_MAX)
			continue;
		if (!strcmp(comm, "irqbalance")) {
			if (!out->irqbalance_pid)
				out->irqbalance_pid = (int)pid;
		} else if (!strcmp(comm, "tuned") ||
			   (!strncmp(comm, "python", 6) && cmdline_runs_tuned(h, l.v[i]))) {
			if (!out->tuned_pid)
				out->tuned_pid = (int)pid;
		}
	}
	strlist_free(&l);
	if (!seen) {
		copy_str(out->why, sizeof(out->why),
			 "no processes under /proc (not captured in this tree)");
		return 0;
	}
	out->available = true;
	return 0;
}
