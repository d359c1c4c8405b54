/* Unit tests: the poll threads of [pmqos] method = poll (tune/pollthread):
 * the idle-share rule, /proc/stat parsing, and a real thread's policy,
 * affinity and lifetime. */
#include "testutil.h"
#include "tune/pollthread.h"

#include <dirent.h>
#include <sched.h>

static void rule(void **state)
{
	/* 250 ms: 230 ms idle + 0 polled = 92% (the bundled workload, the
	 * sockperf server): polled */
	assert_false(poll_cpu_busy(poll_idle_share(230000000, 0, 250000000), POLL_MIN_IDLE_PCT, false));
	/* 100 ms idle = 40% (sockperf's spinning client, idle 38-41% by
	 * itself, which a poll thread made 25-30% slower): busy */
	assert_true(poll_cpu_busy(poll_idle_share(100000000, 0, 250000000), POLL_MIN_IDLE_PCT, false));
	/* 20 ms idle = 8%: busy */
	assert_true(poll_cpu_busy(poll_idle_share(20000000, 0, 250000000), POLL_MIN_IDLE_PCT, false));
	/* the poll thread's time is idle time the CPU would have had */
	assert_false(poll_cpu_busy(poll_idle_share(0, 200000000, 250000000), POLL_MIN_IDLE_PCT, false));
	assert_true(poll_cpu_busy(poll_idle_share(0, 1000000, 250000000), POLL_MIN_IDLE_PCT, false));
	/* 49% (the same client on a noisier day): busy */
	assert_true(poll_cpu_busy(poll_idle_share(122500000, 0, 250000000), POLL_MIN_IDLE_PCT, false));
	/* exactly 60%: not busy; capped at 1; an empty interval is 0 */
	assert_false(poll_cpu_busy(poll_idle_share(150000000, 0, 250000000), POLL_MIN_IDLE_PCT, false));
	assert_true(poll_idle_share(300000000, 300000000, 250000000) == 1.0);
	assert_true(poll_idle_share(1, 1, 0) == 0.0);
	assert_true(poll_cpu_busy(0, POLL_MIN_IDLE_PCT, false));
	/* the tests' hook: 0 polls whatever the CPU does, busy before or not */
	assert_false(poll_cpu_busy(0, 0, false));
	assert_false(poll_cpu_busy(0, 0, true));
}

/* A CPU found busy is polled again only 10 points above the threshold: an
 * agent whose CPU idles 60-70% does not start and stop a thread at every
 * sample (the bench saw "too busy" / "polled again" every 250 ms at the
 * old 10% threshold). */
static void rule_hysteresis(void **state)
{
	double s65 = poll_idle_share(162500000, 0, 250000000);
	assert_false(poll_cpu_busy(s65, POLL_MIN_IDLE_PCT, false));  /* polled: stays */
	assert_true(poll_cpu_busy(s65, POLL_MIN_IDLE_PCT, true));    /* busy: stays */
	assert_false(poll_cpu_busy(poll_idle_share(175000000, 0, 250000000), POLL_MIN_IDLE_PCT, true));
	assert_true(poll_cpu_busy(poll_idle_share(145000000, 0, 250000000), POLL_MIN_IDLE_PCT, false));
	/* capped at 100%: a fully idle CPU is always polled again */
	assert_false(poll_cpu_busy(1.0, 95, true));
	assert_true(poll_cpu_busy(0.99, 95, true));
}

static void procstat(void **state)
{
	static const char text[] =
		"cpu  100 0 50 9000 10 0 0 0 0 0\n"
		"cpu0 50 0 25 4500 5 0 0 0 0 0\n"
		"cpu1 50 0 25 4499 6 0 0 0 0 0\n"
		"cpu10 1 2 3 77 1 0 0 0 0 0\n"
		"cpu2 1 2\n"
		"intr 1 2 3\n";
	uint64_t ns = 0;
	assert_true(procstat_cpu_idle_ns(text, 0, 100, &ns));
	assert_int_equal(ns, 4505ull * 10000000ull);
	assert_true(procstat_cpu_idle_ns(text, 1, 100, &ns));
	assert_int_equal(ns, 4505ull * 10000000ull);
	/* cpu1 is not cpu10's prefix */
	assert_true(procstat_cpu_idle_ns(text, 10, 100, &ns));
	assert_int_equal(ns, 78ull * 10000000ull);
	/* USER_HZ 300: a tick is 3.33 ms */
	assert_true(procstat_cpu_idle_ns(text, 10, 300, &ns));
	assert_int_equal(ns, 260000000ull);
	assert_false(procstat_cpu_idle_ns(text, 2, 100, &ns));   /* malformed */
	assert_false(procstat_cpu_idle_ns(text, 3, 100, &ns));   /* absent */
	assert_false(procstat_cpu_idle_ns(NULL, 0, 100, &ns));
	assert_false(procstat_cpu_idle_ns(text, 0, 0, &ns));
}

/* Threads of this process named poll/N. */
static int poll_threads(unsigned cpu)
{
	char want[16], p[300], comm[32];
	snprintf(want, sizeof(want), "poll/%u", cpu);
	DIR *d = opendir("/proc/self/task");
	assert_non_null(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/self/task/%s/comm", e->d_name);
		if (read_first_line(p, comm, sizeof(comm)) && !strcmp(comm, want))
			n++;
	}
	closedir(d);
	return n;
}

/* The thread's policy and CPU from /proc: SCHED_IDLE (5) and its CPU only. */
static void check_thread(unsigned cpu)
{
	char p[300], line[256];
	DIR *d = opendir("/proc/self/task");
	assert_non_null(d);
	bool seen = false;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/self/task/%s/comm", e->d_name);
		char comm[32], want[16];
		snprintf(want, sizeof(want), "poll/%u", cpu);
		if (!read_first_line(p, comm, sizeof(comm)) || strcmp(comm, want))
			continue;
		pid_t tid = atoi(e->d_name);
		assert_int_equal(sched_getscheduler(tid), SCHED_IDLE);
		cpu_set_t set;
		assert_int_equal(sched_getaffinity(tid, sizeof(set), &set), 0);
		assert_int_equal(CPU_COUNT(&set), 1);
		assert_true(CPU_ISSET(cpu, &set));
		snprintf(p, sizeof(p), "/proc/self/task/%s/status", e->d_name);
		assert_true(read_first_line(p, line, sizeof(line)));
		seen = true;
	}
	closedir(d);
	assert_true(seen);
}

static void thread_lifetime(void **state)
{
	cpu_set_t mine;
	assert_int_equal(sched_getaffinity(0, sizeof(mine), &mine), 0);
	unsigned cpu = 0;
	while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &mine))
		cpu++;
	struct pollthread p = { .cpu = cpu, .clock = (clockid_t)-1 };
	assert_int_equal(poll_threads(cpu), 0);
	assert_int_equal(pollthread_start(&p), 0);
	assert_true(p.running);
	assert_int_equal(pollthread_start(&p), 0);   /* already running: no second */
	assert_int_equal(poll_threads(cpu), 1);
	assert_int_equal(p.started, 1);
	check_thread(cpu);
	usleep(50000);
	pollthread_stop(&p);
	assert_false(p.running);
	assert_int_equal(poll_threads(cpu), 0);
	uint64_t after = pollthread_cpu_ns(&p);
	/* A stopped thread's time stays counted, and no longer grows. */
	usleep(20000);
	assert_int_equal(pollthread_cpu_ns(&p), after);
	pollthread_stop(&p);                        /* none: no-op */
	assert_int_equal(pollthread_start(&p), 0);
	assert_int_equal(p.started, 2);
	pollthread_stop(&p);
	assert_true(pollthread_cpu_ns(&p) >= after);
	assert_int_equal(poll_threads(cpu), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(rule),
	cmocka_unit_test(rule_hysteresis),
	cmocka_unit_test(procstat),
	cmocka_unit_test(thread_lifetime),
};

RUN_TESTS(tests)
