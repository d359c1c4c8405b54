/* tune/winctl: the PM QoS window controller, the process `agentune apply` starts
 * for a profile with `[pmqos] mode = window` and `agentune revert` stops.
 *
 * It loads bpf/stepwatch.bpf.c (agent steps per CPU), and runs the state
 * machine of window.h on its notifications and on one timerfd:
 *
 *   step on a CPU with no window  -> ring buffer event -> open: write the
 *       CPU's pm_qos_resume_latency_us (and raise its policy's
 *       scaling_min_freq), deadline = now + window
 *   deadline, steps since         -> extend (one wakeup per window)
 *   deadline, no step             -> close: write the original values back
 *   the agent process exits       -> every window closes; the controller
 *                                    stays, quiet, until revert
 *   SIGTERM / SIGINT              -> every window closes; exit
 *
 * Every value it writes (the constraint and the original, per CPU and per
 * policy) was journaled by apply before the controller started, as one
 * window-managed change per CPU and policy; the controller itself is the
 * journaled change {window_controller pmqos: stopped -> running}, so revert
 * stops it first (walking the journal backwards) and then restores any
 * value it left behind, even after a kill -9.  Before opening a window the
 * controller checks that the CPU still holds the original or its own value;
 * a CPU someone else changed is left alone from then on ("drifted").
 *
 * It never outlives its journal record.  apply journals the record before
 * it forks; the child dies with apply (PR_SET_PDEATHSIG, re-checked with
 * getppid) and holds apply's lock (shared) until it has written window.pid
 * durably and read its record back from the journal (the proof that revert
 * will know it).  Only then does it let go of both and tell apply it runs.
 * revert stops a controller window.pid names whether the journal records it
 * or not; status reports one the journal does not.
 *
 * After set-up it keeps no privilege: the files it writes and reads are
 * opened first, then it becomes uid/gid 65534 with no capability and
 * PR_SET_NO_NEW_PRIVS (winctl.c: drop_privileges).
 *
 * With method = poll (c->poll) it writes nothing to the host: a window (or,
 * static, the whole run) is a poll thread of its own on the CPU
 * (pollthread.h), started and stopped by the controller, and kept off a
 * CPU that does not idle (sampled every POLL_SAMPLE_MS from /proc/stat).
 *
 * Files in the run directory (journal.h's, 0700), reached through its
 * descriptor, never through a symlink, with a size cap:
 *   window.pid    "PID STARTTIME\n" (starttime: field 22 of /proc/PID/stat,
 *                 so a recycled pid is never taken for the controller),
 *                 written (fsync, rename, fsync of the directory) before the
 *                 controller acts
 *   window.json   its state, created before the privileges go and then
 *                 rewritten in place by a thread of its own (so that a slow
 *                 disk never delays a deadline) on every open and close and
 *                 at most once a second while windows are extended; "seq"
 *                 first and "seq_end" last let a reader see a torn copy
 */
#ifndef AGENTUNE_WINCTL_H
#define AGENTUNE_WINCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/host.h"
#include "tune/knob.h"
#include "tune/window.h"

#define WINCTL_PIDFILE "window.pid"
#define WINCTL_STATEFILE "window.json"

/* A CPU or a cpufreq policy the controller manages: the value a window
 * writes and the original it restores (both journaled). */
struct winctl_knob {
	char target[KNOB_TARGET_MAX];  /* "3" (pm_qos) or "policy0" (cpufreq_min) */
	char value[KNOB_VAL_MAX];
	char original[KNOB_VAL_MAX];
};

struct winctl_config {
	struct window_params params;
	int pid;                       /* the agent; -1: any user task on the CPUs */
	bool follow_children;
	unsigned apply;                /* journal apply number, for status */
	char run_dir[4096];            /* for messages */
	int run_dirfd;                 /* the run directory (journal's dirfd); -1: open run_dir */
	int lock_fd;                   /* the journal's lock apply holds; -1 none */
	struct winctl_knob *cpu;       /* pm_qos targets */
	size_t ncpu;
	struct winctl_knob *policy;    /* cpufreq_min targets */
	size_t npolicy;
	/* [pmqos] method = poll: cpu[] are the CPUs that get a poll thread
	 * (pollthread.h; value "poll", no file is written), held from start
	 * to stop (poll_static) or while the CPU's window is open. */
	bool poll, poll_static;
};

/* Starts the controller as a daemon (its own session, stdio on
 * /dev/null) and waits until it has attached its BPF programs and written
 * window.pid.  0; -errno with why (BPF that does not load, no such agent,
 * a controller already running). */
int winctl_start(const struct host *h, const struct winctl_config *c, char *why, size_t sz);

/* "running" when window.pid in run_dir names a live controller, else
 * "stopped" (with *pid -1).  Never fails: an unreadable pid file is
 * "stopped". */
const char *winctl_state(const char *run_dir, int *pid);
const char *winctl_state_at(int run_dirfd, int *pid);

/* Stops a running controller: SIGTERM, then SIGKILL after 3 s; waits for it
 * to be gone and removes window.pid and window.json.  0 (also when none
 * runs); -errno with why. */
int winctl_stop(const char *run_dir, char *why, size_t sz);
int winctl_stop_at(int run_dirfd, char *why, size_t sz);

/* window.json as read back by status and top. */
struct winctl_cpu_status {
	unsigned cpu;
	char state[16];                /* window_state_name(), or "drifted", "error" */
	double open_share;             /* of the controller's lifetime */
	uint64_t opened, extended, denied, steps;
	/* method poll */
	bool poll_thread;              /* a poll thread runs there now */
	bool busy;                     /* the last sample found it too busy to poll */
	double idle_share;             /* of the last sample (0..1) */
	double poll_cpu_s;             /* run time of its poll threads */
};

struct winctl_status {
	bool present;                  /* window.json was read */
	bool running;                  /* and its pid is a live controller */
	int pid, agent;                /* agent: -1 = any user task */
	bool agent_exited;
	unsigned apply;
	int64_t started, updated;      /* seconds since the epoch */
	double uptime_s;
	uint64_t window_ms;
	int64_t tokens, budget_tokens, refill_per_s, cost_per_window;
	uint64_t opened, extended, denied, wakeups;
	char method[8];                /* "qos" or "poll" */
	bool poll_static;              /* method poll, held all the time */
	double poll_cpu_s;             /* every poll thread's run time */
	struct winctl_cpu_status *cpu;
	size_t ncpu;
};

/* Reads window.json from run_dir.  0 with st->present false when there is
 * none; -EINVAL with why when it is malformed. */
int winctl_status_read(const char *run_dir, struct winctl_status *st, char *why, size_t sz);
int winctl_status_read_at(int run_dirfd, const char *run_dir, struct winctl_status *st,
			  char *why, size_t sz);
void winctl_status_free(struct winctl_status *st);

/* The controller's main loop, for the child winctl_start forks (and for a
 * test that runs it in the foreground).  ready_fd gets "ok\n" or
 * "error: ...\n" once it is attached (or failed); -1 for none.  Returns the
 * exit status. */
int winctl_run(const struct host *h, const struct winctl_config *c, int ready_fd);

#endif
