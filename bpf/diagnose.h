/* diagnose.h: what the diagnose BPF programs and user space share: stages,
 * wake sources, the histogram bucket function and the slow-step record.
 * Included by bpf/diagnose.bpf.c (with vmlinux.h) and by src/ (with stdint). */
#ifndef AGENTUNE_DIAGNOSE_H
#define AGENTUNE_DIAGNOSE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define DIAG_COMM_LEN 16

/* Log-linear histograms: 2^HIST_SUB_BITS sub-buckets per power of two of
 * nanoseconds, so a bucket is at most 1/2^HIST_SUB_BITS wide relative to its
 * value (3% with 5 bits) and p99 is accurate to a few percent.  Values below
 * 2^HIST_SUB_BITS ns get one bucket each; values above 2^HIST_MAX_POW ns land
 * in the last bucket. */
#define HIST_SUB_BITS 5
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_MAX_POW 40                 /* ~18 minutes */
#define HIST_BUCKETS ((HIST_MAX_POW - HIST_SUB_BITS + 1) * HIST_SUB)

/* Index of the highest set bit of v != 0.  clang 14's BPF backend crashes on
 * __builtin_clzll (no CTLZ instruction), so BPF gets a binary search. */
static inline __u32 hist_msb(__u64 v)
{
#if defined(__bpf__)
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) r += 1;
	return r;
#else
	return 63 - __builtin_clzll(v);
#endif
}

/* Bucket of a value in ns.  Shared by the BPF side (which counts) and the
 * stats module (which turns buckets back into values). */
static inline __u32 hist_bucket(__u64 v)
{
	if (v < HIST_SUB)
		return (__u32)v;
	__u32 pow = hist_msb(v);                      /* v in [2^pow, 2^(pow+1)) */
	if (pow > HIST_MAX_POW)
		return HIST_BUCKETS - 1;
	__u32 sub = (__u32)(v >> (pow - HIST_SUB_BITS)) & (HIST_SUB - 1);
	__u32 b = (pow - HIST_SUB_BITS + 1) * HIST_SUB + sub;
	return b < HIST_BUCKETS ? b : HIST_BUCKETS - 1;
}

/* The stages of a step (see DESIGN.md "diagnose" and docs/json-schema.md).
 * Appended, never renumbered: src/top reads some of them by name. */
enum diag_stage {
	STAGE_WAKE_RUN,        /* sched_waking -> sched_switch in (the wait) */
	STAGE_IDLE_EXIT,       /* part of the wait: the queued-on CPU leaving idle */
	STAGE_QUEUE,           /* part of the wait: other tasks ran there, measured */
	STAGE_RUN,             /* on-CPU time of the step */
	STAGE_IRQ,             /* hardirq time on the agent's CPU: wait and run */
	STAGE_SOFTIRQ,         /* softirq time on the agent's CPU: wait and run */
	STAGE_WAIT,            /* off-CPU time before the wakeup */
	STAGE_BLOCK_IO,        /* issue->complete of the block request waited on */
	STAGE_COMPLETION,      /* first event of the wakeup's chain -> sched_waking */
	STAGE_THROTTLE,        /* the agent's cgroup throttled: wait and preemptions */
	STAGE_UNATTRIBUTED,    /* wait and preemption time nothing measured explains */
	STAGE_PREEMPTED,       /* runnable but off-CPU after it first ran */
	STAGE_DELAY,           /* what the step lost: the sum of its causes (below) */
	STAGE_WARM_IDLE,       /* part of IDLE_EXIT: a SCHED_IDLE task held the CPU (warm idle) */
	STAGE_MAX,
};

enum wake_kind {
	WAKE_UNKNOWN,
	WAKE_HARDIRQ,          /* wake_arg: IRQ number */
	WAKE_SOFTIRQ,          /* wake_arg: softirq vector (NET_RX = 3) */
	WAKE_TIMER,            /* hrtimer/timer softirq or local timer interrupt */
	WAKE_TASK,             /* waker_pid / waker_comm */
	WAKE_IPI,              /* reschedule / call-function IPI */
	WAKE_KINDS,
};

/* The chain of events that ended in the wakeup (struct diag_chain). */
enum chain_kind {
	CHAIN_UNKNOWN,         /* reason in diag_chain.reason */
	CHAIN_HARDIRQ,         /* irq_handler_entry (or an x86 vector entry) -> wakeup */
	CHAIN_SOFTIRQ,         /* [hardirq ->] softirq_raise -> softirq_entry -> wakeup */
	CHAIN_TIMER,           /* hrtimer expiry (lateness) -> callback -> wakeup */
	CHAIN_WORKQUEUE,       /* workqueue_queue_work -> execute_start -> wakeup */
	CHAIN_BLOCK,           /* block_rq_complete -> wakeup */
	CHAIN_TASK,            /* a task woke it: nothing before */
	CHAIN_KINDS,
};

/* Why a chain is unknown, or only partly known (then start_ts is the
 * earliest event that was seen). */
enum chain_reason {
	CR_NONE,
	CR_IRQ_ENTRY_UNSEEN,   /* in a hardirq whose entry was not seen */
	CR_RAISE_UNSEEN,       /* softirq raise not seen: timed from softirq entry */
	CR_QUEUE_UNSEEN,       /* work queued before the start or evicted: from execute start */
	CR_NO_CONTEXT,         /* the irq/softirq tracepoints are not attached */
	CR_REASONS,
};

#define CHF_KSOFTIRQD    1u  /* the softirq ran in ksoftirqd */
#define CHF_BH_TASK      2u  /* the softirq ran at a task's bh enable, not irq exit */
#define CHF_NAPI_SEEN    4u  /* napi_poll of the NET_RX run seen: device, budget */
#define CHF_NAPI_FULL    8u  /* that poll used its whole budget */
#define CHF_LATENESS    16u  /* lateness_ns is known (hrtimer) */
#define CHF_BLOCK_OWN   32u  /* the completed request was one the woken thread issued */

enum queued_by { QB_NONE, QB_IRQ, QB_SOFTIRQ, QB_TASK };

#define DIAG_NONE 0xffffffffu

struct diag_chain {
	__u64 start_ts;              /* first event of the chain, 0 unknown */
	__u64 mid_ts;                /* softirq entry / work execute start, 0 none */
	__u64 lateness_ns;           /* hrtimer: expiry -> expire_entry (CHF_LATENESS) */
	__u32 kind, reason;          /* enum chain_kind, enum chain_reason */
	__u32 irq;                   /* IRQ number or DIAG_VEC_*, DIAG_NONE */
	__u32 softirq;               /* softirq vector, DIAG_NONE */
	__s32 origin_cpu;            /* CPU of the first event, -1 unknown */
	__u32 flags;                 /* CHF_* */
	__u32 queued_by;             /* enum queued_by (workqueue) */
	__u32 dev;                   /* block: the disk's dev_t (major << 20 | minor);
				      * NET_RX with CHF_NAPI_SEEN: the NAPI id; 0 unknown */
};

/* The kernel's dev_t encoding (MKDEV), for diag_chain.dev. */
#define DIAG_DEV_MAJOR(d) ((d) >> 20)
#define DIAG_DEV_MINOR(d) ((d) & 0xfffffu)

/* A task that ran on the agent's CPU while the agent waited (or was
 * preempted), with its run time there (interrupts excluded). */
struct diag_task_time {
	__u32 pid, tgid;
	__u64 ns;
	char comm[DIAG_COMM_LEN];
};

#define DIAG_TOP_TASKS 3

/* What the agent's CPU did while the agent waited for it, measured segment
 * by segment (between context switches there).  The parts are fitted into
 * the window's length (throttling first, see diag_fit_window()), the rest
 * is unattributed: the scheduler's own work, the wake IPI. */
struct diag_window {
	__u64 total_ns;              /* the window: waking -> run, or out -> back in */
	__u64 idle_ns;               /* the CPU leaving idle (to its cpu_idle exit) */
	__u64 irq_ns, softirq_ns;    /* interrupts there */
	__u64 task_ns;               /* other tasks there (in top[] as far as it goes) */
	__u64 own_ns;                /* the target's own other threads (not culprits) */
	__u64 observer_ns;           /* agentune's own threads (counted unattributed) */
	__u64 throttle_ns;           /* the agent's group throttled */
	__u64 unattributed_ns;       /* the rest */
	/* A SCHED_IDLE task (policy 5: a poll thread or spinner keeping the
	 * CPU out of a halt) held the CPU.  The scheduler preempts it at once
	 * for the woken agent, so its time is the way out of a warm idle --
	 * the wake IPI and the switch -- counted with idle exit, never a
	 * culprit. */
	__u64 warm_ns;
	struct diag_task_time top[DIAG_TOP_TASKS]; /* the longest, longest first */
};

/* The causes of delay (the verdict ranks them).  Appended, never
 * renumbered. */
enum cause {
	CAUSE_QUEUE,           /* other tasks ran on the CPU between wakeup and run */
	CAUSE_IDLE_EXIT,       /* the CPU was idle and took time to leave its state */
	CAUSE_IRQ,             /* hardirqs on the agent's CPU, waiting or running */
	CAUSE_SOFTIRQ,         /* softirqs on the agent's CPU, waiting or running */
	CAUSE_PREEMPT,         /* runnable but off-CPU after it first ran */
	CAUSE_UNATTRIBUTED,    /* time no measurement explains */
	CAUSE_COMPLETION,      /* the completion path: interrupt/softirq/block -> wakeup */
	CAUSE_SOFTIRQ_DEFERRAL,/* the completion's softirq deferred to ksoftirqd */
	CAUSE_DEFERRED_WORK,   /* the completion went through a kworker */
	CAUSE_TIMER_LATENESS,  /* the timer fired late (and its callback) */
	CAUSE_THROTTLE,        /* the agent's cgroup was throttled (CPU quota) */
	CAUSE_MIGRATION,       /* run time lost after a migration (cold caches) */
	CAUSE_FREQUENCY,       /* run time lost to a clock below the policy's max */
	CAUSE_MAX,
};

/* One step with its full breakdown, sent through the ring buffer when slow. */
struct step_event {
	__u64 ts_ns;                 /* sched_waking time */
	__u32 pid, tid;
	__u32 cpu, prev_cpu;         /* ran on / previous step ran on */
	__u64 stage_ns[STAGE_MAX];
	__u64 step_ns;               /* wake->run + run (v1's ranking; see delay_ns) */
	__u32 wake_kind;
	__u32 wake_arg;              /* IRQ number or softirq vector */
	__u32 waker_pid;
	__s32 idle_state;            /* state the target CPU was in, -1 none */
	__u32 syscall_nr;            /* syscall it blocked in, -1 unknown */
	__u32 page_faults;
	__u32 preempt_pid;           /* the last task that ran before it on that CPU */
	__u32 freq_khz;              /* 0 when cpufreq is absent */
	__u64 irq_count, softirq_count; /* interference events during the step */
	__u64 work_func;             /* kworker waker's work function address, 0 none */
	char comm[DIAG_COMM_LEN];
	char waker_comm[DIAG_COMM_LEN];
	char preempt_comm[DIAG_COMM_LEN];
	char napi_dev[DIAG_COMM_LEN];/* NET_RX wakeups: the NAPI device */
	__u32 waker_tgid;            /* process of the waking task */
	__u32 migrations;            /* sched_migrate_task of the thread in the step */
	__u64 preempted_ns;          /* runnable but off-CPU after it first ran (not in step_ns) */
	__u32 queued_behind;         /* context switches on its CPU between wakeup and run */
	__u32 wake_cpu;              /* CPU the waker ran on */
	char irq_name[DIAG_COMM_LEN];/* the irqaction name of the chain's IRQ ("virtio3-input.0") */
	/* diagnose/2 */
	struct diag_chain chain;
	struct diag_window wait;     /* waking -> switch in */
	struct diag_window pre;      /* preemptions after it first ran, summed */
	__u64 run_irq_ns, run_softirq_ns; /* interrupts while it ran */
	__u64 ramp_ns;               /* waking -> first frequency change there, 0 none */
	__u32 freq_max_khz;          /* the policy's max on that CPU, 0 unknown */
	__u32 pad2;
	__u64 migration_ns;          /* run time above the thread's usual after a migration */
	__u64 delay_ns;              /* sum of cause_ns */
	__u64 cause_ns[CAUSE_MAX];   /* diag_step_causes() */
};

static inline __u64 diag_sat_sub(__u64 a, __u64 b)
{
	return a > b ? a - b : 0;
}

static inline __u64 diag_min(__u64 a, __u64 b)
{
	return a < b ? a : b;
}

/* x * num / den for num <= den, without overflowing for x up to 2^53. */
static inline __u64 diag_scale(__u64 x, __u64 num, __u64 den)
{
	__u64 f;

	if (!den || num >= den)
		return x;
	f = (num << 10) / den;       /* num < 2^53 for any window we measure */
	return (x * f) >> 10;
}

/* Fits a window's measured parts into its length: the group's throttled
 * time first (while throttled, whatever else the CPU did is not why the
 * agent waited), then idle exit, interrupts and tasks, scaled down together
 * when they overlap; the rest is unattributed (observer time included). */
static inline void diag_fit_window(struct diag_window *w)
{
	__u64 rest, sum;

	if (w->throttle_ns > w->total_ns)
		w->throttle_ns = w->total_ns;
	rest = w->total_ns - w->throttle_ns;
	sum = w->idle_ns + w->warm_ns + w->irq_ns + w->softirq_ns + w->task_ns + w->own_ns;
	if (sum > rest) {
		w->idle_ns = diag_scale(w->idle_ns, rest, sum);
		w->warm_ns = diag_scale(w->warm_ns, rest, sum);
		w->irq_ns = diag_scale(w->irq_ns, rest, sum);
		w->softirq_ns = diag_scale(w->softirq_ns, rest, sum);
		w->task_ns = diag_scale(w->task_ns, rest, sum);
		w->own_ns = diag_scale(w->own_ns, rest, sum);
		sum = w->idle_ns + w->warm_ns + w->irq_ns + w->softirq_ns + w->task_ns + w->own_ns;
	}
	w->unattributed_ns = diag_sat_sub(rest, sum);
	/* agentune's own time is a part of the unattributed rest, never more
	 * than it (the parts measured above may have filled the window). */
	if (w->observer_ns > w->unattributed_ns)
		w->observer_ns = w->unattributed_ns;
}

/* How much of one step's delay each cause explains; fills cause_ns and
 * delay_ns.  Shared by the kernel (sums over every step) and user space
 * (the tail and the unit tests), so both count alike. */
static inline void diag_step_causes(struct step_event *e)
{
	__u64 *c = e->cause_ns;
	__u64 comp = e->stage_ns[STAGE_COMPLETION];
	__u64 d = 0;

	for (int i = 0; i < CAUSE_MAX; i++)
		c[i] = 0;
	switch (e->chain.kind) {
	case CHAIN_SOFTIRQ:
		if (e->chain.flags & CHF_KSOFTIRQD)
			c[CAUSE_SOFTIRQ_DEFERRAL] = comp;
		else
			c[CAUSE_COMPLETION] = comp;
		break;
	case CHAIN_WORKQUEUE:
		c[CAUSE_DEFERRED_WORK] = comp;
		break;
	case CHAIN_TIMER:
		c[CAUSE_TIMER_LATENESS] = comp;
		break;
	default:
		c[CAUSE_COMPLETION] = comp;    /* hardirq, block; 0 for a task */
		break;
	}
	c[CAUSE_IDLE_EXIT] = e->wait.idle_ns + e->wait.warm_ns;  /* cold + warm idle */
	c[CAUSE_QUEUE] = e->wait.task_ns + e->wait.own_ns;
	c[CAUSE_THROTTLE] = e->wait.throttle_ns + e->pre.throttle_ns;
	c[CAUSE_IRQ] = e->wait.irq_ns + e->pre.irq_ns + e->run_irq_ns;
	c[CAUSE_SOFTIRQ] = e->wait.softirq_ns + e->pre.softirq_ns + e->run_softirq_ns;
	c[CAUSE_PREEMPT] = e->pre.task_ns + e->pre.own_ns + e->pre.idle_ns + e->pre.warm_ns;
	c[CAUSE_UNATTRIBUTED] = e->wait.unattributed_ns + e->pre.unattributed_ns;
	c[CAUSE_MIGRATION] = e->migration_ns;
	if (e->freq_khz && e->freq_max_khz > e->freq_khz)
		c[CAUSE_FREQUENCY] = diag_scale(e->stage_ns[STAGE_RUN],
						e->freq_max_khz - e->freq_khz, e->freq_max_khz);
	for (int i = 0; i < CAUSE_MAX; i++)
		d += c[i];
	e->delay_ns = d;
}

/* Kernel-side sums over every step (a per-CPU array element summed by user
 * space): the "all steps" verdict. */
struct diag_sums {
	__u64 ns[CAUSE_MAX];
	__u64 steps[CAUSE_MAX];      /* steps where the cause was > 0 */
	__u64 delay_ns;
	__u64 chain[CHAIN_KINDS];    /* steps by chain kind */
	__u64 reason[CR_REASONS];    /* chains unknown or partial, by reason */
	__u64 migrated_steps;
	__u64 napi_full;             /* NET_RX wakeups in a poll that used its whole budget */
	__u64 warm_ns;               /* of ns[CAUSE_IDLE_EXIT]: warm idle (wait.warm_ns) */
	__u64 warm_steps;
};

/* Tasks that held the agent's CPU while it waited or was preempted, summed
 * over every step (hash by pid). */
struct diag_culprit {
	__u32 tgid;
	__u32 steps;
	__u64 queue_ns;              /* while the agent waited after its wakeup */
	__u64 preempt_ns;            /* while it was preempted */
	char comm[DIAG_COMM_LEN];
};

/* Softirq vectors (include/linux/interrupt.h), for wake_arg. */
enum diag_softirq {
	DIAG_SOFTIRQ_HI, DIAG_SOFTIRQ_TIMER, DIAG_SOFTIRQ_NET_TX, DIAG_SOFTIRQ_NET_RX,
	DIAG_SOFTIRQ_BLOCK, DIAG_SOFTIRQ_IRQ_POLL, DIAG_SOFTIRQ_TASKLET,
	DIAG_SOFTIRQ_SCHED, DIAG_SOFTIRQ_HRTIMER, DIAG_SOFTIRQ_RCU,
};

/* wake_arg for WAKE_TIMER from the local timer interrupt and for WAKE_IPI:
 * which x86 system vector (the softirq vectors above otherwise). */
#define DIAG_VEC_LOCAL_TIMER 0x80000100u
#define DIAG_VEC_RESCHEDULE  0x80000101u
#define DIAG_VEC_CALL_FUNC   0x80000102u
#define DIAG_VEC_CALL_FUNC1  0x80000103u
/* A vector, not an IRQ number (IRQ numbers stay far below 2^31). */
#define DIAG_IS_VEC(x) ((x) != DIAG_NONE && ((x) & 0x80000000u))

/* Global counters, one per-CPU array element summed by user space. */
enum diag_counter {
	CNT_STEPS,                   /* steps completed (== WAKE_RUN histogram count) */
	CNT_LOST,                    /* slow steps the ring buffer had no room for */
	CNT_SENT,                    /* slow steps sent */
	CNT_TRACK_FULL,              /* threads not followed: tracked map full */
	CNT_FORKS,                   /* threads/children followed from sched_process_fork */
	CNT_MIGRATED,                /* steps that ran on another CPU than the one before */
	CNT_CULPRITS_FULL,           /* culprit records the culprits map had no room for */
	CNT_WAKE,                    /* + enum wake_kind: steps by wake source */
	/* Steps seen, analysed or not (counted on the CPU the step ran on,
	 * when it ends): CNT_STEPS of them were analysed (see "sampling"). */
	CNT_SEEN = CNT_WAKE + WAKE_KINDS,
	CNT_MAX,
};

/* The tracepoints the programs attach to: the index of each one's run
 * counter (the `runs` map), and of its entry in src/diagnose/probe.c.  Pairs of
 * entry and exit are next to each other, entry first. */
enum diag_tp {
	TP_SCHED_WAKING, TP_SCHED_SWITCH, TP_SCHED_WAKEUP_NEW,
	TP_SCHED_MIGRATE, TP_FORK, TP_EXIT,
	TP_IRQ_ENTRY, TP_IRQ_EXIT, TP_LOC_ENTRY, TP_LOC_EXIT, TP_RES_ENTRY, TP_RES_EXIT,
	TP_CAL_ENTRY, TP_CAL_EXIT, TP_CAL1_ENTRY, TP_CAL1_EXIT,
	TP_SOFTIRQ_ENTRY, TP_SOFTIRQ_EXIT, TP_NAPI_POLL, TP_CPU_IDLE, TP_CPU_FREQ,
	TP_SYS_ENTER, TP_SYS_EXIT, TP_PAGE_FAULT, TP_RQ_ISSUE, TP_RQ_COMPLETE, TP_WQ_START,
	TP_SOFTIRQ_RAISE, TP_HRT_ENTRY, TP_HRT_EXIT, TP_WQ_QUEUE,
	TP_MAX,
};

struct diag_counters {
	__u64 v[CNT_MAX];
};

/* One stage's histogram (a per-CPU array element, key = enum diag_stage).
 * Every step adds one value to WAKE_RUN, IDLE_EXIT, QUEUE, RUN, IRQ and
 * SOFTIRQ (zeros included, so their counts equal the steps); WAIT only when
 * the block before the step was seen; BLOCK_IO only for steps after a wait
 * on a block request the thread issued.  A disabled stage counts nothing. */
struct diag_hist {
	__u64 b[HIST_BUCKETS];
};

/* Per-thread totals; kept in the thread state while it lives and moved to
 * a map of exited threads when it exits. */
struct thread_stat {
	__u32 tid, tgid;
	__u64 steps;
	__u64 wake_run_sum_ns;
	__u64 run_sum_ns;
	char comm[DIAG_COMM_LEN];
};

/* ---- the followed threads, and sampling --------------------------------
 *
 * sched_waking and sched_switch run for every wakeup and context switch of
 * the machine.  Whether a task is followed, and whether its current step is
 * analysed, is kept in a table of small slots in the programs' .bss (direct
 * memory access, no map helper call), direct-mapped by tid with two ways;
 * user space inserts the threads that exist at the start.  A thread whose
 * two slots are taken is not followed (CNT_TRACK_FULL).
 *
 * Sampling: every step is analysed in full (the per-thread record in the
 * `threads` hash, clock reads, windows, histograms, sums) while the steps
 * that end on a CPU stay within `sample_budget` (B) per DIAG_SAMPLE_WIN_NS
 * there.  Beyond that, one step in K is, so that the analysed ones are
 * spread evenly over the window: K = ceil(seen / want) where seen is the
 * previous window's count and want = max(B^2 / seen, DIAG_SAMPLE_MIN).  So
 * the analysed steps per window go down from B as the rate grows past it,
 * to DIAG_SAMPLE_MIN: a full analysis costs ~0.7-1.5 us, and at 100k steps/s
 * even B of them per 10 ms would cost ~0.5% of the CPU.  The rest only flip
 * flags in their slot and count as seen (CNT_SEEN).  The choice
 * for a step is made when the step before it blocks (so that its wait is
 * known), or at its wakeup when no block was seen. */
#define DIAG_SLOTS_LOG 14
#define DIAG_SLOTS (1u << DIAG_SLOTS_LOG)
#define DIAG_SAMPLE_WIN_NS 10000000ull  /* 10 ms */
#define DIAG_SAMPLE_BUDGET 40           /* default: every step up to 4000/s per CPU */
#define DIAG_SAMPLE_MIN 4               /* analysed per window at the highest rates */

struct diag_slot {
	__u32 tid;                   /* 0: free */
	__u32 flags;                 /* SF_* */
};

#define SF_ON      1u                /* on a CPU now */
#define SF_STEP    2u                /* woken, not yet blocked again: a step is open */
#define SF_RAN     4u                /* ran since that wakeup */
#define SF_FULL    8u                /* the open step (or, blocked, the next) is analysed */
#define SF_DECIDED 16u               /* SF_FULL was chosen when it blocked */

/* The two slots a tid may sit in. */
static inline __u32 diag_slot_a(__u32 tid)
{
	return tid & (DIAG_SLOTS - 1);
}

static inline __u32 diag_slot_b(__u32 tid)
{
	return (__u32)(tid * 2654435761u) >> (32 - DIAG_SLOTS_LOG);
}

/* Thread state flags (of an analysed step, in struct diag_thread). */
#define TS_ON_CPU  1u                /* running now (a segment is open) */
#define TS_WOKEN   2u                /* sched_waking seen, not yet run */
#define TS_IN_STEP 4u                /* ran since its waking: a step is open */

/* State of one followed thread (value of the tracked map, key = tid).
 * User space inserts zeroed ones with tgid/tid/cur_syscall/last_cpu set. */
struct diag_thread {
	__u32 flags;
	__s32 cur_syscall;           /* last sys_enter nr, -1 after a user page fault */
	__s32 last_cpu;              /* CPU of the previous step, -1 none */
	__u32 wakeup_switches;       /* that CPU's switch count when it was queued there */
	__s32 wakeup_cpu;            /* CPU the wakeup queued it on, -1 none */
	__s32 block_syscall;         /* syscall it last blocked in (saved registers, or cur_syscall) */
	__u32 wait_known;            /* block_ts was seen before this step's waking */
	__u32 pad_;
	__u64 waking_ts;
	__u64 block_ts;              /* last switch-out while not runnable, 0 none */
	__u64 seg_start;             /* switch-in time of the open segment */
	__u64 seg_hi_ns, seg_hi_cnt, seg_si_ns, seg_si_cnt; /* CPU counters then */
	__u64 out_ts;                /* preempted (runnable) since */
	__u64 pending_bio_ns;        /* block request it issued completed after this long */
	__u64 pending_bio_ts;        /* ... at this time (stale when before block_ts) */
	__s32 win_cpu;               /* CPU whose window it is in (cpu_state.win_tid), -1 none */
	__u32 win_pre;               /* that window is a preemption (else the wait) */
	__u64 win_thr0;              /* its group's throttled time when the window opened */
	__u64 run_avg_ns;            /* run time of its steps without migration, averaged */
	struct thread_stat st;
	struct step_event ev;        /* the step being measured */
};

#endif
