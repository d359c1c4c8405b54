/* inspect/procstat: CPU time from /proc/stat, and the threads of one process from
 * /proc/PID/task/TID/stat (which CPU each last ran on, its CPU time).  What
 * `agentune top` needs for utilisation and for "which agent threads ran on
 * this CPU" when BPF is not there. */
#ifndef AGENTUNE_PROCSTAT_H
#define AGENTUNE_PROCSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/host.h"
#include "base/util.h"

/* One "cpu" or "cpuN" line, in USER_HZ ticks.  Fields an old kernel does not
 * print (steal, guest...) are 0. */
struct cpu_times {
	unsigned cpu;             /* N of cpuN; UINT32_MAX for the "cpu" total line */
	uint64_t user, nice, system, idle, iowait, irq, softirq, steal;
};

struct procstat {
	struct cpu_times all;     /* the "cpu" line */
	size_t n;                 /* cpuN lines, in file order (ascending CPU) */
	struct cpu_times *cpu;
	uint64_t ctxt;            /* context switches since boot, NA_U64 if absent */
};

/* Parses /proc/stat text.  0, or -EINVAL with err naming the line (no "cpu"
 * line, a count that is not a number), -ENOMEM.  Never reads past len. */
int procstat_parse(const char *buf, size_t len, struct procstat *out, struct parse_error *err);
int procstat_read(const struct host *h, struct procstat *out, struct parse_error *err);
void procstat_free(struct procstat *s);
/* The line of CPU cpu, NULL when the file has none (offline CPUs). */
const struct cpu_times *procstat_cpu(const struct procstat *s, unsigned cpu);
/* Ticks not idle (idle and iowait are idle), and all ticks (guest time is
 * already inside user/nice, so it is not added again). */
uint64_t cpu_times_busy(const struct cpu_times *t);
uint64_t cpu_times_total(const struct cpu_times *t);

/* One thread, from /proc/PID/task/TID/stat. */
struct task_stat {
	int tid;
	char comm[16];            /* may contain spaces and ')' */
	char state;               /* 'R', 'S', 'D', ... */
	int cpu;                  /* "processor": the CPU it last ran on, -1 unknown */
	uint64_t utime, stime;    /* ticks */
	uint64_t starttime;       /* ticks after boot; 0 when the line stops short */
	uint64_t run_ns;          /* time on a CPU from .../schedstat (task_list_read
	                           * only); NA_U64 without it */
};

struct task_list {
	int pid;
	size_t n;                 /* by tid ascending */
	struct task_stat *t;
};

/* Parses the text of a .../stat file (comm is the text between the first
 * '(' and the last ')').  0, or -EINVAL when it is not such a line. */
int task_stat_parse(const char *buf, size_t len, struct task_stat *out);
/* Reads every thread of pid.  0; -ESRCH when the process is gone (no
 * /proc/PID/task); threads that exit while it reads are left out. */
int task_list_read(const struct host *h, int pid, struct task_list *out);
void task_list_free(struct task_list *l);

#endif
