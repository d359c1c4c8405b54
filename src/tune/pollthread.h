/* tune/pollthread: the poll threads of `[pmqos] method = poll`, and the rule
 * that keeps them off CPUs that do not idle.
 *
 * A poll thread keeps one CPU from halting: it is SCHED_IDLE (it runs only
 * when nothing else on that CPU is runnable, and gives the CPU up at the next
 * scheduler tick or wakeup when something is), pinned to its CPU, and spins
 * on `pause` (which tells the core, and a hypervisor with pause-loop exiting,
 * that this is a spin loop).  It is a thread of the window controller
 * (winctl.h), so it dies with it: a kill -9 of the controller leaves no
 * thread behind, and revert stops the controller.
 *
 * The rule.  A CPU gets a poll thread only while it is mostly idle: its
 * idle share over the last sample (POLL_SAMPLE_MS) is at least
 * POLL_MIN_IDLE_PCT (60%).  The idle share is the CPU's idle time from
 * /proc/stat plus the poll thread's own run time (which /proc/stat counts
 * as busy, and which is time the CPU would otherwise have spent idle).  A
 * CPU found busy is polled again only once its idle share reaches
 * POLL_MIN_IDLE_PCT + POLL_HYSTERESIS_PCT, so that an agent near the
 * threshold does not start and stop a thread every sample.  Why 60/70%:
 * on a VM without a cpuidle driver, poll threads gained 20-40% on agents
 * that leave their CPU idle 90% of the time or more (the sockperf server,
 * the bundled workload) and cost 5-30% on one that keeps it busy 40-60% of
 * the time by itself (sockperf's ping-pong client, which spins between
 * messages: its CPU idle 38-49%); such an agent halts seldom and briefly, so
 * there is little idle exit to save and the thread's preemption at every
 * wakeup is not free.  The thresholds sit between the two with a margin on
 * both sides (at 50% the client, idle 49% in one run, kept a thread that a
 * first sample taken before it started had given it).  A CPU kept busy by
 * anything else is not polled either.
 */
#ifndef AGENTUNE_POLLTHREAD_H
#define AGENTUNE_POLLTHREAD_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define POLL_SAMPLE_MS 250
#define POLL_MIN_IDLE_PCT 60
#define POLL_HYSTERESIS_PCT 10

struct pollthread {
	unsigned cpu;
	bool running;               /* a thread exists */
	pthread_t thread;
	pid_t tid;
	clockid_t clock;            /* its CPU-time clock while running */
	volatile int stop;          /* set to end the spin */
	sem_t ready;                /* the thread has set its policy ... */
	int start_rc;               /* ... with this result (0 or -errno) */
	uint64_t done_ns;           /* run time of the threads that ended */
	uint64_t started;           /* threads started */
};

/* Starts the poll thread on p->cpu (no-op when it runs).  0 or -errno. */
int pollthread_start(struct pollthread *p);
/* Ends it and waits for it (no-op when none runs). */
void pollthread_stop(struct pollthread *p);
/* Run time of every poll thread this CPU had, the running one included. */
uint64_t pollthread_cpu_ns(const struct pollthread *p);

/* The idle share (0..1) of a CPU over interval_ns: /proc/stat's idle time
 * plus the poll threads' run time, capped at 1.  0 for an empty interval. */
double poll_idle_share(uint64_t procstat_idle_ns, uint64_t poll_ns, uint64_t interval_ns);
/* The rule: a CPU whose idle share is below min_idle_pct % (normally
 * POLL_MIN_IDLE_PCT) is busy, and gets no poll thread; one that was_busy
 * stays busy until its share reaches min_idle_pct + POLL_HYSTERESIS_PCT
 * (capped at 100%).  min_idle_pct 0 (the tests' hook) is never busy. */
bool poll_cpu_busy(double idle_share, unsigned min_idle_pct, bool was_busy);

/* idle + iowait of cpu from the text of /proc/stat, in nanoseconds
 * (USER_HZ ticks times 1e9 / ticks_per_s).  false when the line is absent
 * or malformed. */
bool procstat_cpu_idle_ns(const char *text, unsigned cpu, long ticks_per_s, uint64_t *ns);

#endif
