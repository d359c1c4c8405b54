/* slackwait: how late a timed wait ends, for the timer slack benchmark
 * (tests/bench/README.md).  One thread sleeps --timeout-us at a time
 * (clock_nanosleep, relative: the kernel lets it end up to the thread's
 * timer slack late) and times how much later than asked it returned.
 *
 *   slackwait [--timeout-us N] [--duration S] [--wait-signal]
 *
 * --wait-signal: print "ready PID" on stderr and wait for SIGUSR1 before
 * measuring, so that a benchmark can change the process first (agentune
 * apply --pid PID).  Prints one line: the thread's timerslack_ns as it
 * measured, the samples, and the lateness mean, p50, p99 and p99.9 in us.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct(const uint64_t *v, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return (double)v[i < n ? i : n - 1] / 1000.0;
}

static long own_slack(void)
{
	char path[64];
	long v = -1;
	snprintf(path, sizeof(path), "/proc/%d/timerslack_ns", (int)gettid());
	FILE *f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

int main(int argc, char **argv)
{
	long timeout_us = 1000;
	double duration = 3;
	int wait_signal = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--timeout-us") && i + 1 < argc)
			timeout_us = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--duration") && i + 1 < argc)
			duration = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--wait-signal"))
			wait_signal = 1;
		else {
			fprintf(stderr, "usage: slackwait [--timeout-us N] [--duration S] [--wait-signal]\n");
			return 2;
		}
	}
	if (timeout_us < 1 || timeout_us > 1000000 || duration <= 0 || duration > 3600) {
		fprintf(stderr, "slackwait: --timeout-us 1..1000000, --duration 0..3600\n");
		return 2;
	}
	if (wait_signal) {
		sigset_t s;
		int sig;
		sigemptyset(&s);
		sigaddset(&s, SIGUSR1);
		sigprocmask(SIG_BLOCK, &s, NULL);
		fprintf(stderr, "ready %d\n", (int)getpid());
		sigwait(&s, &sig);
	}
	size_t cap = (size_t)(duration * 1e6 / (double)timeout_us) + 16, n = 0;
	uint64_t *late = calloc(cap, sizeof(*late));
	if (!late)
		return 1;
	long slack = own_slack();
	struct timespec req = { .tv_sec = timeout_us / 1000000, .tv_nsec = (timeout_us % 1000000) * 1000 };
	uint64_t want = (uint64_t)timeout_us * 1000, end = now_ns() + (uint64_t)(duration * 1e9);
	while (n < cap && now_ns() < end) {
		uint64_t t0 = now_ns();
		while (clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL) == EINTR)
			;
		uint64_t d = now_ns() - t0;
		late[n++] = d > want ? d - want : 0;
	}
	if (!n)
		return 1;
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (double)late[i];
	qsort(late, n, sizeof(*late), cmp_u64);
	printf("slack_ns %ld samples %zu mean %.1f p50 %.1f p99 %.1f p999 %.1f\n", slack, n,
	       sum / (double)n / 1000.0, pct(late, n, 0.50), pct(late, n, 0.99), pct(late, n, 0.999));
	free(late);
	return 0;
}
