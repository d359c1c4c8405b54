/* tune/window: the PM QoS window and token-budget state machine of the window
 * controller (winctl.h), with the clock passed in so that tests drive it.
 *
 * A window keeps one CPU's PM QoS constraint (and its policy's frequency
 * floor) in place for window_ns.  The controller feeds it three inputs:
 *
 *   window_step()  the BPF side saw an agent step on a CPU with no open
 *                  window (it notifies once, then stays quiet until
 *                  ops->rearm lets it notify again);
 *   window_tick()  the timer reached window_next_deadline();
 *   window_close_all() / window_cpu_offline()  the agent exited, the
 *                  controller stops, a CPU went away.
 *
 * and it answers through ops: open / close a CPU's window, raise / drop a
 * policy's floor, read the last step time the BPF side keeps per CPU, and
 * re-arm the BPF notification.
 *
 * Each window period (the first one and every extension) costs
 * cost_per_window tokens from the CPU's bucket, charged when it starts.
 * A bucket holds at most budget_tokens and refills at refill_per_s.  At a
 * CPU's deadline: a step since the period started and tokens left -> the
 * window is extended by window_ns from now; otherwise it closes.  A step that
 * finds the bucket short leaves the CPU waiting (WINDOW_WAIT_BUDGET) until
 * the bucket holds a window's cost again; then the notification is re-armed
 * and the next step opens a window.  Several CPUs, and several agents, may
 * share one bucket.
 *
 * Times are CLOCK_MONOTONIC nanoseconds (what bpf_ktime_get_ns gives).
 */
#ifndef AGENTUNE_WINDOW_H
#define AGENTUNE_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Defaults for a loop that steps every 0.1 to 5 ms: a window several
 * times the longest gap, so an active loop keeps it; enough tokens for
 * 20 s of one CPU held warm without a pause; a refill that sustains 60% of
 * one CPU's time. */
#define WINDOW_DEFAULT_MS 20
#define WINDOW_DEFAULT_BUDGET 1000
#define WINDOW_DEFAULT_REFILL 30
#define WINDOW_DEFAULT_COST 1

struct window_params {
	uint64_t window_ns;         /* > 0 */
	int64_t budget_tokens;      /* >= cost_per_window */
	int64_t refill_per_s;       /* >= 0 */
	int64_t cost_per_window;    /* >= 1 */
};

enum window_state {
	WINDOW_CLOSED,              /* ordinary power management; BPF may notify */
	WINDOW_OPEN,                /* constraint held until deadline */
	WINDOW_WAIT_BUDGET,         /* a step found the bucket short; retry_at */
	WINDOW_OFFLINE,             /* the CPU went away; ignored until a step */
};

const char *window_state_name(enum window_state s);   /* "closed", "open", ... */

struct window_ops {
	/* Write the constraint (true) or the original value back (false).
	 * open returning false (the write failed) leaves the window closed and
	 * refunds the tokens. */
	bool (*open)(void *ctx, unsigned cpu);
	void (*close)(void *ctx, unsigned cpu);
	/* Frequency floor of a policy: raised while any of its CPUs has an
	 * open window.  May be NULL when no CPU has a policy. */
	void (*floor)(void *ctx, unsigned policy, bool on);
	/* Time of the last agent step on cpu (0: none yet). */
	uint64_t (*last_step)(void *ctx, unsigned cpu);
	/* Let the BPF side notify again for cpu.  Returns true when a step
	 * arrived at or after `since` and the caller should treat it as
	 * notified (it claimed the notification itself). */
	bool (*rearm)(void *ctx, unsigned cpu, uint64_t since);
};

struct window_cpu {
	enum window_state state;
	bool in_scope;              /* set up with window_cpu_setup */
	unsigned bucket;
	int policy;                 /* -1: no frequency floor */
	uint64_t opened_at;         /* start of the current window (open) */
	uint64_t period_start;      /* start of the current period */
	uint64_t deadline;          /* WINDOW_OPEN */
	uint64_t retry_at;          /* WINDOW_WAIT_BUDGET */
	uint64_t open_ns;           /* closed windows' total time */
	uint64_t opened, extended, denied, closed;
	uint64_t wait_since;          /* WINDOW_WAIT_BUDGET: when the step was denied */
};

struct window_bucket {
	int64_t mtokens;            /* thousandths of a token */
	uint64_t refilled_at;
};

struct window_sm {
	struct window_params p;
	const struct window_ops *ops;
	void *ctx;
	uint64_t started_at;
	struct window_cpu *cpu;
	size_t ncpu;
	struct window_bucket *bucket;
	size_t nbucket;
	unsigned *policy_refs;      /* open windows per policy */
	size_t npolicy;
};

/* Checks p: 0, or -EINVAL with why naming the parameter. */
int window_params_check(const struct window_params *p, char *why, size_t sz);

/* ncpu CPU slots (by CPU number), nbucket full buckets, npolicy policies.
 * No CPU is in scope until window_cpu_setup.  0, -EINVAL, -ENOMEM. */
int window_init(struct window_sm *sm, const struct window_params *p, size_t ncpu,
		size_t nbucket, size_t npolicy, const struct window_ops *ops, void *ctx,
		uint64_t now);
void window_free(struct window_sm *sm);

/* Puts cpu in scope, drawing on bucket, with policy (-1 none).  -EINVAL
 * when out of range. */
int window_cpu_setup(struct window_sm *sm, unsigned cpu, unsigned bucket, int policy);

enum window_step_result {
	WINDOW_STEP_OPENED,
	WINDOW_STEP_DENIED,         /* bucket short: waits for the refill */
	WINDOW_STEP_IGNORED,        /* not in scope, already open, or waiting */
	WINDOW_STEP_FAILED,         /* ops->open failed */
};

/* A step arrived on cpu at now. */
enum window_step_result window_step(struct window_sm *sm, unsigned cpu, uint64_t now);

/* Extends, closes or retries every CPU whose time has come (deadline or
 * retry_at <= now). */
void window_tick(struct window_sm *sm, uint64_t now);

/* The earliest deadline or retry time, or 0 when nothing is pending (the
 * controller then sleeps until the next notification). */
uint64_t window_next_deadline(const struct window_sm *sm);

/* Closes every open window and forgets budget waits (agent gone, stop).
 * With rearm false the BPF side is left quiet. */
void window_close_all(struct window_sm *sm, uint64_t now, bool rearm);

/* cpu went offline: its window closes, the notification is re-armed, and
 * the CPU stays offline (no deadline) until a step (it came back) is
 * notified. */
void window_cpu_offline(struct window_sm *sm, unsigned cpu, uint64_t now);

/* Tokens in bucket at now (refill applied; whole tokens, rounded down). */
int64_t window_tokens(struct window_sm *sm, unsigned bucket, uint64_t now);

/* Share (0..1) of the time since window_init that cpu had a window open. */
double window_open_share(const struct window_sm *sm, unsigned cpu, uint64_t now);

/* Totals over every CPU. */
struct window_totals {
	uint64_t opened, extended, denied, closed;
	unsigned open_now;
};
void window_totals(const struct window_sm *sm, struct window_totals *t);

#endif
