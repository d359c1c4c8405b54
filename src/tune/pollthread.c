/* tune/pollthread: poll threads and the idle-share rule (pollthread.h). */
#include "tune/pollthread.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* SCHED_IDLE is set by the thread itself (glibc's attributes take only
 * OTHER, FIFO and RR); until it is, the thread spins not at all: it
 * reports, and leaves if the policy could not be set. */
static void *spin(void *arg)
{
	struct pollthread *p = arg;
	struct sched_param sp = { .sched_priority = 0 };
	p->tid = (pid_t)syscall(SYS_gettid);
	/* Nice 19 first: pollthread_stop may then make it SCHED_OTHER (with
	 * RLIMIT_NICE >= 1) so that it runs, sees stop and ends at once, even
	 * on a CPU so busy that SCHED_IDLE would wait a second for a turn. */
	setpriority(PRIO_PROCESS, (id_t)p->tid, 19);
	int rc = sched_setscheduler(0, SCHED_IDLE, &sp) ? -errno : 0;
	p->start_rc = rc;
	sem_post(&p->ready);
	if (rc)
		return NULL;
	while (!__atomic_load_n(&p->stop, __ATOMIC_RELAXED))
		cpu_relax();
	return NULL;
}

int pollthread_start(struct pollthread *p)
{
	if (p->running)
		return 0;
	pthread_attr_t a;
	cpu_set_t set;
	int rc = pthread_attr_init(&a);
	if (rc)
		return -rc;
	CPU_ZERO(&set);
	CPU_SET(p->cpu, &set);
	/* Created on its CPU: it never runs anywhere else. */
	rc = pthread_attr_setaffinity_np(&a, sizeof(set), &set);
	if (!rc)
		rc = pthread_attr_setstacksize(&a, 64 * 1024);
	__atomic_store_n(&p->stop, 0, __ATOMIC_RELAXED);
	if (!rc && sem_init(&p->ready, 0, 0))
		rc = errno;
	if (!rc)
		rc = pthread_create(&p->thread, &a, spin, p);
	pthread_attr_destroy(&a);
	if (rc)
		return -rc;
	while (sem_wait(&p->ready) && errno == EINTR)
		;
	sem_destroy(&p->ready);
	if (p->start_rc) {
		pthread_join(p->thread, NULL);
		return p->start_rc;
	}
	char name[16];
	snprintf(name, sizeof(name), "poll/%u", p->cpu);
	pthread_setname_np(p->thread, name);
	if (pthread_getcpuclockid(p->thread, &p->clock))
		p->clock = (clockid_t)-1;
	p->running = true;
	p->started++;
	return 0;
}

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	if (c == (clockid_t)-1 || clock_gettime(c, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void pollthread_stop(struct pollthread *p)
{
	if (!p->running)
		return;
	__atomic_store_n(&p->stop, 1, __ATOMIC_RELAXED);
	/* Its clock is readable until it is joined. */
	uint64_t before = clock_ns(p->clock);
	struct sched_param sp = { .sched_priority = 0 };
	sched_setscheduler(p->tid, SCHED_OTHER, &sp);   /* EPERM: it waits its turn */
	/* What it ran until it saw stop: read just before it ends. */
	uint64_t last = clock_ns(p->clock);
	pthread_join(p->thread, NULL);
	p->done_ns += last > before ? last : before;
	p->running = false;
	p->clock = (clockid_t)-1;
}

uint64_t pollthread_cpu_ns(const struct pollthread *p)
{
	return p->done_ns + (p->running ? clock_ns(p->clock) : 0);
}

double poll_idle_share(uint64_t procstat_idle_ns, uint64_t poll_ns, uint64_t interval_ns)
{
	if (!interval_ns)
		return 0;
	double s = ((double)procstat_idle_ns + (double)poll_ns) / (double)interval_ns;
	return s > 1 ? 1 : s;
}

bool poll_cpu_busy(double idle_share, unsigned min_idle_pct, bool was_busy)
{
	unsigned pct = min_idle_pct;
	if (was_busy && pct)
		pct = pct + POLL_HYSTERESIS_PCT > 100 ? 100 : pct + POLL_HYSTERESIS_PCT;
	return idle_share * 100.0 < (double)pct;
}

bool procstat_cpu_idle_ns(const char *text, unsigned cpu, long ticks_per_s, uint64_t *ns)
{
	char want[24];
	int n = snprintf(want, sizeof(want), "cpu%u ", cpu);
	if (!text || ticks_per_s <= 0)
		return false;
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, want, (size_t)n))
			continue;
		uint64_t user, nice, sys, idle, iowait;
		if (sscanf(l + n, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
			   &user, &nice, &sys, &idle, &iowait) != 5)
			return false;
		uint64_t ticks = idle + iowait;
		*ns = ticks / (uint64_t)ticks_per_s * 1000000000ull +
		      ticks % (uint64_t)ticks_per_s * 1000000000ull / (uint64_t)ticks_per_s;
		return true;
	}
	return false;
}
