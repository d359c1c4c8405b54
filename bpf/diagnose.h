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

/* The stages of a step (see DESIGN.md "diagnose"). */
enum diag_stage {
	STAGE_WAKE_RUN,        /* sched_waking -> sched_switch in */
	STAGE_IDLE_EXIT,       /* part of wake->run: target CPU leaving idle */
	STAGE_QUEUE,           /* part of wake->run: other tasks ran first */
	STAGE_RUN,             /* on-CPU time of the step */
	STAGE_IRQ,             /* hardirq time on the agent's CPU during the step */
	STAGE_SOFTIRQ,         /* softirq time on the agent's CPU during the step */
	STAGE_WAIT,            /* off-CPU time before the wakeup */
	STAGE_BLOCK_IO,        /* issue->complete of the block request waited on */
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

/* Migration of a step relative to the previous step of the same thread;
 * user space classifies it from the two CPU numbers and the topology. */

/* One slow step with its full breakdown, sent through the ring buffer. */
struct step_event {
	__u64 ts_ns;                 /* sched_waking time */
	__u32 pid, tid;
	__u32 cpu, prev_cpu;         /* ran on / previous step ran on */
	__u64 stage_ns[STAGE_MAX];
	__u64 step_ns;               /* wake->run + run: the latency the step paid */
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
	/* Added by the probe (bpf/diagnose.bpf.c). */
	__u32 waker_tgid;            /* process of the waking task */
	__u32 migrations;            /* sched_migrate_task of the thread in the step */
	__u64 preempted_ns;          /* runnable but off-CPU after it first ran (not in step_ns) */
	__u32 queued_behind;         /* context switches on its CPU between wakeup and run */
	__u32 wake_cpu;              /* CPU the waker ran on */
	char irq_name[DIAG_COMM_LEN];/* WAKE_HARDIRQ: the irqaction name ("virtio3-input.0") */
};

/* Softirq vectors (include/linux/interrupt.h), for wake_arg. */
enum diag_softirq {
	DIAG_SOFTIRQ_HI, DIAG_SOFTIRQ_TIMER, DIAG_SOFTIRQ_NET_TX, DIAG_SOFTIRQ_NET_RX,
	DIAG_SOFTIRQ_BLOCK, DIAG_SOFTIRQ_IRQ_POLL, DIAG_SOFTIRQ_TASKLET,
	DIAG_SOFTIRQ_SCHED, DIAG_SOFTIRQ_HRTIMER, DIAG_SOFTIRQ_RCU,
};

/* wake_arg for WAKE_TIMER from the local timer interrupt and for WAKE_IPI:
 * which x86 system vector (the softirq vectors above otherwise). */
#define DIAG_VEC_LOCAL_TIMER 0x100
#define DIAG_VEC_RESCHEDULE  0x101
#define DIAG_VEC_CALL_FUNC   0x102
#define DIAG_VEC_CALL_FUNC1  0x103

/* Global counters, one per-CPU array element summed by user space. */
enum diag_counter {
	CNT_STEPS,                   /* steps completed (== WAKE_RUN histogram count) */
	CNT_LOST,                    /* slow steps the ring buffer had no room for */
	CNT_SENT,                    /* slow steps sent */
	CNT_TRACK_FULL,              /* threads not followed: tracked map full */
	CNT_FORKS,                   /* threads/children followed from sched_process_fork */
	CNT_MIGRATED,                /* steps that ran on another CPU than the one before */
	CNT_WAKE,                    /* + enum wake_kind: steps by wake source */
	CNT_MAX = CNT_WAKE + WAKE_KINDS,
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

/* Thread state flags. */
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
	struct thread_stat st;
	struct step_event ev;        /* the step being measured */
};

#endif
