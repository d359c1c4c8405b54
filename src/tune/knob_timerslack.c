/* tune/knob_timerslack: one thread's timer slack, /proc/TID/timerslack_ns,
 * checked against the thread's start time before every read and write
 * (knob_timerslack.h). */
#include "tune/knob_timerslack.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/errmsg.h"
#include "base/util.h"
#include "inspect/procstat.h"

int knob_timer_slack_target(int pid, int tid, uint64_t start, char *out, size_t sz)
{
	int n = snprintf(out, sz, "%d/%d@%" PRIu64, pid, tid, start);
	return n < 0 || (size_t)n >= sz ? -ENAMETOOLONG : 0;
}

/* "PID/TID@START", each a plain positive decimal. */
static bool split(const char *t, int *pid, int *tid, uint64_t *start)
{
	char head[24], mid[24];
	const char *slash = strchr(t, '/'), *at = strchr(t, '@');
	uint64_t p, k, s;
	if (!slash || !at || at < slash || (size_t)(slash - t) >= sizeof(head) ||
	    (size_t)(at - slash - 1) >= sizeof(mid))
		return false;
	copy_strn(head, sizeof(head), t, (size_t)(slash - t));
	copy_strn(mid, sizeof(mid), slash + 1, (size_t)(at - slash - 1));
	if (!knob_dec_ok(head, INT_MAX, &p) || !p || !knob_dec_ok(mid, INT_MAX, &k) || !k ||
	    !knob_dec_ok(at + 1, INT64_MAX, &s) || !s)
		return false;
	*pid = (int)p;
	*tid = (int)k;
	*start = s;
	return true;
}

static bool target_ok(const char *t, char *why, size_t sz)
{
	int pid, tid;
	uint64_t start;
	if (split(t, &pid, &tid, &start))
		return true;
	errmsg(why, sz, 0, "timer_slack target \"%s\" is not PID/TID@START", t);
	return false;
}

/* 1 ns and up: a write of 0 means "the default", not a slack of 0. */
static bool value_ok(const char *t, const char *v)
{
	uint64_t x;
	return knob_dec_ok(v, UINT64_MAX, &x) && x > 0;
}

static bool path(const char *t, char *out, size_t sz)
{
	int pid, tid;
	uint64_t start;
	return split(t, &pid, &tid, &start) && pathf(out, sz, "/proc/%d/timerslack_ns", tid);
}

/* 0 when tid is still the thread of pid that started at start; -ENOENT
 * when it has exited or the tid names another thread now. */
static int same_thread(const struct host *h, const char *t, char *why, size_t sz)
{
	int pid, tid;
	uint64_t start;
	char p[64];
	size_t len = 0;
	split(t, &pid, &tid, &start); /* knob.c checked the target */
	snprintf(p, sizeof(p), "/proc/%d/task/%d/stat", pid, tid);
	char *buf = host_read(h, p, &len);
	if (!buf)
		return errmsg(why, sz, -ENOENT, "thread %d of process %d has exited", tid, pid);
	struct task_stat ts;
	int rc = task_stat_parse(buf, len, &ts);
	free(buf);
	if (rc || ts.state == 'Z' || ts.state == 'X' || ts.starttime != start)
		return errmsg(why, sz, -ENOENT, "thread %d of process %d has exited%s", tid, pid,
			      !rc && ts.starttime != start ? " (the tid names another thread now)" : "");
	return 0;
}

static int slack_read(const struct host *h, const char *t, char *val, size_t sz)
{
	char p[64], line[32];
	int rc = same_thread(h, t, NULL, 0);
	if (rc)
		return rc;
	path(t, p, sizeof(p));
	rc = host_read_line(h, p, line, sizeof(line));
	if (rc == -ESRCH)
		return -ENOENT;
	if (rc)
		return rc;
	if (strlen(line) >= sz)
		return -EOVERFLOW;
	copy_str(val, sz, line);
	return 0;
}

static int slack_write(const struct host *h, const char *t, const char *val, char *why,
		       size_t sz)
{
	char p[64], line[32];
	int rc = same_thread(h, t, why, sz);
	if (rc)
		return rc;
	path(t, p, sizeof(p));
	snprintf(line, sizeof(line), "%s\n", val);
	rc = host_write(h, p, line);
	if (rc == -ESRCH || rc == -ENOENT)
		return errmsg(why, sz, -ENOENT, "%s: the thread has exited", p);
	if (rc == -EPERM)
		return errmsg(why, sz, rc, "%s: not allowed (needs CAP_SYS_NICE)", p);
	return rc ? errmsg(why, sz, rc, "%s: %s", p, host_strerror(rc)) : 0;
}

const struct knob_driver knob_timer_slack = {
	.name = "timer_slack",
	.target_ok = target_ok,
	.value_ok = value_ok,
	.path = path,
	.read = slack_read,
	.write = slack_write,
	.same = knob_same_number,
};
