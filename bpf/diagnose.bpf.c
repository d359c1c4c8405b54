// SPDX-License-Identifier: GPL-2.0
/* diagnose.bpf.c: per-step stage attribution for the threads of one process.
 *
 * A step of a followed thread is: sched_waking -> sched_switch in -> sched_switch
 * out while not runnable.  Per-CPU context (in which hardirq / softirq, idle
 * state, hardirq and softirq time) is kept from the irq, irq_vectors, softirq
 * and power tracepoints so that a wakeup is attributed to the interrupt that
 * did it, never to the task it interrupted.  Everything is aggregated here:
 * per-stage log-linear histograms, per-thread totals, counters; only steps at
 * least `slow_ns` long go through the ring buffer, with their breakdown.
 *
 * Every tracepoint has a tp_btf and a raw_tp program with the same body; user
 * space loads one set.  The body gets `btf` as a constant: tp_btf arguments
 * are trusted BTF pointers and are read directly, raw_tp ones through
 * BPF_CORE_READ (a probe read per field, slower).
 *
 * sched_waking and sched_switch run for every wakeup and context switch of
 * the machine, so what they do for a thread that is not followed is kept to
 * a few loads (no map lookup when the target process is known, no clock
 * read).  For a followed thread they find its slot in a table in .bss
 * (plain loads, no helper call); only a step chosen for analysis touches
 * its record in the `threads` hash and reads the clock.  Every step is
 * analysed while the steps ending on a CPU stay within a budget (40 per
 * 10 ms); beyond it one in K is, evenly spread, and the rest only counted
 * (diagnose.h, "sampling"): a full analysis costs several times an empty
 * program, so at 100k steps/s no per-step analysis could stay within a few
 * percent.  There is no sched_wakeup program: sched_waking and
 * sched_migrate_task together know where a wakeup queues a thread.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "diagnose.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load. */
const volatile __u32 targ_tgid = 0;        /* 0: only the tids user space put in `threads` */
const volatile __u32 targ_tid = 0;         /* 0: every thread of targ_tgid */
const volatile bool follow_children = false;
const volatile __u32 stage_disable = 0;    /* 1 << enum diag_stage */
const volatile __u64 slow_floor_ns = 0;    /* never send steps shorter than this */
/* Take the syscall a thread blocks in from its saved user registers instead
 * of raw_syscalls:sys_enter, which would run on every syscall of the system
 * and force every syscall through the slow entry path.  x86 only. */
const volatile bool syscall_from_regs = false;
/* agentune's own process: its threads are never culprits. */
const volatile __u32 self_tgid = 0;
/* Steps analysed in full per DIAG_SAMPLE_WIN_NS and CPU before sampling
 * starts (diagnose.h, "sampling"); 0: every step, whatever its cost. */
const volatile __u32 sample_budget = DIAG_SAMPLE_BUDGET;

/* The followed threads (diagnose.h): user space inserts those that exist
 * at the start. */
struct diag_slot slots[DIAG_SLOTS];

/* Written by user space after load (mmapped .bss). */
__u64 slow_ns = 0;                         /* raised to keep about the slowest N */
__u32 stage_off = 0;                       /* stages whose tracepoints did not attach */
/* sched_migrate_task did not attach: the CPU a wakeup queues a thread on is
 * not known (see wake_target()). */
bool wake_target_off = false;
/* The task group's throttled time can be read through BTF (CFS bandwidth
 * control is built in); set by user space before load. */
const volatile bool throttle_on = false;

#define PF_EXITING 0x4
#define ENOSYS 38
#define PWR_EVENT_EXIT ((__u32)-1)

/* The first raise of a softirq vector since it last ran on this CPU, and
 * the hardirq it was raised in (none: a task raised it). */
struct raise_rec {
	__u64 ts;
	__u64 irq_ts;          /* entry of that hardirq, 0 none */
	__u64 action;          /* its struct irqaction *, 0 none */
	__u32 irq;             /* its IRQ number or DIAG_VEC_*, DIAG_NONE */
	__u32 pad;
};

#define NR_SOFTIRQS 10

/* What this CPU is doing, written by the CPU itself, except: the idle and
 * switch fields, which sched_waking and sched_migrate_task read for a
 * remote target CPU, and the window (win_*), which the waker opens on the
 * CPU the woken thread is queued on.  Cache-line aligned so that two CPUs
 * never share a line.
 *
 * "In a hardirq / softirq" and its entry time are kept on every CPU (the
 * chain of a wakeup starts there); the time spent in them (the totals)
 * only while a followed thread runs here or waits for this CPU (`tracked`,
 * `win_tid`), since only those read the totals. */
struct cpu_state {
	/* What every sched_switch reads or writes, in one cache line. */
	__u32 hi_kind;         /* enum wake_kind of the hardirq, 0 outside one */
	__u32 si_in;           /* inside a softirq */
	__u32 switches;        /* sched_switch count */
	__u32 tracked;         /* an analysed step's thread is running here */
	__u32 win_tid;         /* followed thread waiting for this CPU, 0 none */
	/* Sampling (diagnose.h): the window of the steps decided here. */
	__u32 samp_seen;       /* steps decided in it */
	__u32 samp_every;      /* K: analyse one in K (0, 1: all) */
	__u32 samp_count;      /* steps since the last analysed one */
	__u64 samp_jiffies;    /* jiffies at the last decision */
	__u64 samp_start;      /* start of the window */
	__u64 hi_entry;        /* entry time of the current hardirq, 0 outside one */
	__u64 hi_action;       /* struct irqaction * of a device IRQ */
	__u32 hi_irq;          /* IRQ number or DIAG_VEC_* */
	__u32 si_vec;
	__u64 si_entry;        /* entry time of the current softirq, 0 outside one */
	__u64 si_hard_ns;      /* hardirq time nested in the current softirq */
	struct raise_rec si_raise; /* the raise of the running softirq */
	__u32 idle1;           /* idle state + 1, 0 when not idle */
	__u32 last_idle1;      /* state + 1 of the last idle period */
	__u64 idle_exit_ts;
	__u64 hardirq_ns, hardirq_cnt, softirq_ns, softirq_cnt;
	__u64 napi_dev;        /* struct net_device * of the last NAPI polled */
	__u32 napi_wake_tid;   /* a followed thread woken by the running NET_RX */
	__u32 wq_pid;          /* the kworker running wq_work */
	__u64 wq_func, wq_work, wq_start;
	__u64 wq_tmp;          /* on_work_queue()'s scratch */
	__u64 blk_ts;          /* last block_rq_complete here */
	__u32 blk_dev;         /* its disk (dev_t, MKDEV encoding) */
	__u32 blk_tid;         /* the followed thread that issued it, 0 none */
	__u64 hrt;             /* struct hrtimer * whose callback runs, 0 none */
	__u64 hrt_now;         /* ktime_t * of its base's now (the caller's stack) */
	__u64 hrt_entry;       /* hrtimer_expire_entry time */
	__u64 freq_change_ts;  /* last cpu_frequency change */
	__u64 win_last;        /* window's last segment boundary */
	__u64 win_hi, win_si;  /* hardirq_ns, softirq_ns then */
	struct raise_rec raise[NR_SOFTIRQS];
} __attribute__((aligned(64)));

struct cpu_freq_rec {
	__u32 cur_khz, max_khz;
};

/* Where and when a work item was queued (direct-mapped by its address: a
 * record overwritten by another work is "not seen", never wrong, since the
 * address is checked). */
struct wq_rec {
	__u64 work;
	__u64 ts;
	__u32 by;              /* enum queued_by */
	__u32 cpu;
};

#define WQ_SLOTS 1024

struct rq_issue {
	__u64 ts;
	__u32 tid;
	__u32 pad;
};


struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);               /* resized to the possible CPUs */
	__type(key, __u32);
	__type(value, struct cpu_state);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);               /* resized; seeded from sysfs */
	__type(key, __u32);
	__type(value, struct cpu_freq_rec);
} cpu_freq SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WQ_SLOTS);
	__type(key, __u32);
	__type(value, struct wq_rec);
} wq_queued SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct diag_sums);
} sums SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct diag_culprit);
} culprits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct diag_thread);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct thread_stat);
} dead_threads SEC(".maps");

/* LRU: a request whose completion is never seen must not fill the map. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct rq_issue);
} rq_issued SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAGE_MAX);
	__type(key, __u32);
	__type(value, struct diag_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct diag_counters);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct diag_thread);
} scratch SEC(".maps");

/* Runs of each program (key: enum diag_tp).  The kernel's BPF statistics
 * count them too, but cost two clock reads a run, so user space turns them
 * on only in sample windows (for the time a run takes); the count itself
 * is kept here, exactly, for an increment. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} runs SEC(".maps");

/* Time of the sampled runs (count_run()), per program. */
struct run_time {
	__u64 ns, cnt;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TP_MAX);
	__type(key, __u32);
	__type(value, struct run_time);
} run_times SEC(".maps");

#define RINGBUF_BYTES (1 << 20)
/* The reader is woken only once a quarter of the ring is used; otherwise it
 * drains the ring on its own timer.  A wakeup per slow step would put the
 * tool's own process on the CPUs it measures, right when steps are slow. */
#define RINGBUF_WAKE_BYTES (RINGBUF_BYTES / 4)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RINGBUF_BYTES);
} events SEC(".maps");

/* Kernels before 5.14 call it `state`. */
struct task_struct___o {
	volatile long state;
} __attribute__((preserve_access_index));

/* Kernels without THREAD_INFO_IN_TASK's cpu in thread_info. */
struct task_struct___c {
	unsigned int cpu;
} __attribute__((preserve_access_index));

/* A field of a tracepoint argument, CO-RE relocated either way. */
#define TREAD(btf, p, f) ((btf) ? (p)->f : BPF_CORE_READ(p, f))

static __always_inline struct cpu_state *this_cpu_state(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&cpus, &cpu);
}

static __always_inline void count(__u32 idx)
{
	__u32 zero = 0;
	struct diag_counters *c = bpf_map_lookup_elem(&counters, &zero);

	if (c && idx < CNT_MAX)
		c->v[idx]++;
}

static __always_inline bool stage_on(__u32 stage)
{
	return !((stage_disable | stage_off) & (1u << stage));
}

static __always_inline void hist_add(__u32 stage, __u64 v)
{
	struct diag_hist *h;
	__u32 b;

	if (!stage_on(stage))
		return;
	h = bpf_map_lookup_elem(&hists, &stage);
	if (!h)
		return;
	b = hist_bucket(v);
	barrier_var(b);
	if (b >= HIST_BUCKETS)
		return;
	h->b[b]++;
}

/* Is (tgid, tid) one the user asked for by process, as opposed to a thread
 * user space or a fork put in the table? */
static __always_inline bool is_target(__u32 tgid, __u32 tid)
{
	return targ_tgid && tgid == targ_tgid && (!targ_tid || tid == targ_tid);
}

/* Cheap filter before the slot table: without --children and with a
 * target process, only that process's threads can be in it. */
static __always_inline bool may_track(__u32 tgid, __u32 tid)
{
	if (follow_children || !targ_tgid)
		return true;
	return is_target(tgid, tid);
}

/* The slot of a followed thread, NULL when it is not followed: two loads,
 * no helper call. */
static __always_inline struct diag_slot *slot_of(__u32 tid)
{
	struct diag_slot *s;

	if (!tid)
		return NULL;
	s = &slots[diag_slot_a(tid) & (DIAG_SLOTS - 1)];
	if (s->tid == tid)
		return s;
	s = &slots[diag_slot_b(tid) & (DIAG_SLOTS - 1)];
	return s->tid == tid ? s : NULL;
}

/* Takes a free slot for tid (or finds its own).  Without atomics (the BPF
 * target here has no compare-and-swap): the store is read back, and the
 * rare loser of a race for the same slot is not followed. */
static __always_inline struct diag_slot *slot_take(__u32 tid)
{
	struct diag_slot *s = slot_of(tid);

	if (s)
		return s;
	s = &slots[diag_slot_a(tid) & (DIAG_SLOTS - 1)];
	if (s->tid) {
		s = &slots[diag_slot_b(tid) & (DIAG_SLOTS - 1)];
		if (s->tid)
			return NULL;
	}
	s->flags = 0;
	s->tid = tid;
	barrier();
	return s->tid == tid ? s : NULL;
}

/* A followed thread's record in the `threads` hash, created when missing. */
static __always_inline struct diag_thread *track(__u32 tid, __u32 tgid)
{
	__u32 zero = 0;
	struct diag_thread *t = bpf_map_lookup_elem(&threads, &tid);

	if (t)
		return t;
	t = bpf_map_lookup_elem(&scratch, &zero);
	if (!t)
		return NULL;
	/* In two parts, kept apart by a compiler barrier: clang's BPF
	 * backend inlines a memset of at most 1024 bytes, and the thread
	 * state is larger. */
	__builtin_memset(t, 0, __builtin_offsetof(struct diag_thread, ev));
	asm volatile("" ::: "memory");
	__builtin_memset(&t->ev, 0, sizeof(t->ev));
	t->cur_syscall = -1;
	t->block_syscall = -1;
	t->last_cpu = -1;
	t->wakeup_cpu = -1;
	t->win_cpu = -1;
	t->st.tid = tid;
	t->st.tgid = tgid;
	bpf_map_update_elem(&threads, &tid, t, BPF_NOEXIST);
	return bpf_map_lookup_elem(&threads, &tid);
}

/* Follows a thread: its slot, and its record; 0, or -1 when either is
 * full.  Out of line (once per thread), like everything the per-event fast
 * path skips: the fast path's code stays small. */
static __noinline int follow(__u32 tid, __u32 tgid)
{
	struct diag_slot *s = slot_take(tid);

	if (!s || !track(tid, tgid)) {
		if (s) {
			s->tid = 0;
			s->flags = 0;
		}
		count(CNT_TRACK_FULL);
		return -1;
	}
	return 0;
}

/* The slot of a task; with `task`, created when it belongs to the target.
 * An exiting task is not (re)created: it may still block and be woken
 * after sched_process_exit removed it. */
static __always_inline struct diag_slot *task_slot(bool btf, __u32 tid, __u32 tgid,
						   struct task_struct *task)
{
	struct diag_slot *s;

	if (!may_track(tgid, tid))
		return NULL;
	s = slot_of(tid);
	if (!s && task && is_target(tgid, tid) && !(TREAD(btf, task, flags) & PF_EXITING) &&
	    follow(tid, tgid) == 0)
		s = slot_of(tid);
	return s;
}

/* The record of a followed thread whose current step is analysed. */
static __always_inline struct diag_thread *analysed(struct diag_slot *s, __u32 tid)
{
	if (!s || (s->flags & (SF_FULL | SF_STEP)) != (SF_FULL | SF_STEP))
		return NULL;
	return bpf_map_lookup_elem(&threads, &tid);
}

/* The current task's record, when it is followed. */
static __always_inline struct diag_thread *current_thread(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;

	if (!may_track(id >> 32, tid) || !slot_of(tid))
		return NULL;
	return bpf_map_lookup_elem(&threads, &tid);
}

/* K for a window that saw `seen` > budget steps (diagnose.h): the steps
 * analysed per window shrink as the rate grows (budget^2 / seen), down to
 * DIAG_SAMPLE_MIN. */
static __always_inline __u32 sample_every(__u32 seen)
{
	__u32 want = sample_budget * sample_budget / seen;

	if (want < DIAG_SAMPLE_MIN)
		want = DIAG_SAMPLE_MIN;
	return (seen + want - 1) / want;
}

/* Whether the next step ending on this CPU is analysed (diagnose.h,
 * "sampling").  No clock read, except once per jiffy at most. */
static __always_inline bool sample_step(struct cpu_state *cs)
{
	__u64 j, now;

	if (!sample_budget)
		return true;
	j = bpf_jiffies64();
	if (j != cs->samp_jiffies) {
		cs->samp_jiffies = j;
		now = bpf_ktime_get_ns();
		if (now - cs->samp_start >= DIAG_SAMPLE_WIN_NS) {
			/* A window much longer than asked for saw a low rate. */
			if (now - cs->samp_start >= 2 * DIAG_SAMPLE_WIN_NS ||
			    cs->samp_seen <= sample_budget)
				cs->samp_every = 1;
			else
				cs->samp_every = sample_every(cs->samp_seen);
			cs->samp_seen = 0;
			cs->samp_start = now;
		}
	}
	cs->samp_seen++;
	if (cs->samp_count + 1 >= cs->samp_every) {
		cs->samp_count = 0;
		return true;
	}
	cs->samp_count++;
	return false;
}

static __always_inline __u32 task_cpu(bool btf, struct task_struct *p)
{
	struct task_struct___c *c = (void *)p;

	if (bpf_core_field_exists(p->thread_info.cpu))
		return TREAD(btf, p, thread_info.cpu);
	return TREAD(btf, c, cpu);
}

static __always_inline long task_state(bool btf, struct task_struct *p)
{
	struct task_struct___o *o = (void *)p;

	if (bpf_core_field_exists(p->__state))
		return TREAD(btf, p, __state);
	return TREAD(btf, o, state);
}

/* ---- interrupt context ---------------------------------------------- */

/* Interrupt time is counted on a CPU only while someone reads it. */
static __always_inline bool counting(const struct cpu_state *cs)
{
	return cs->tracked || cs->win_tid;
}

/* `timed`: its time counts as hardirq time.  The wake IPIs (reschedule,
 * call-function) are the scheduler's own way of queueing a wakeup: their
 * time is part of the wakeup, not interference. */
static __always_inline void hardirq_enter(__u32 irq, __u32 kind, __u64 action)
{
	struct cpu_state *cs = this_cpu_state();

	if (!cs)
		return;
	cs->hi_irq = irq;
	cs->hi_kind = kind;
	cs->hi_action = action;
	cs->hi_entry = bpf_ktime_get_ns();
}

static __always_inline void hardirq_exit(bool timed)
{
	struct cpu_state *cs = this_cpu_state();
	__u64 d;

	if (!cs)
		return;
	cs->hi_kind = 0;
	if (cs->hi_entry && timed && counting(cs)) {
		/* Counted for a window only: the part after it opened (a
		 * wakeup from this very interrupt opens it midway). */
		__u64 start = !cs->tracked && cs->win_last > cs->hi_entry ? cs->win_last : cs->hi_entry;

		d = diag_sat_sub(bpf_ktime_get_ns(), start);
		cs->hardirq_ns += d;
		cs->hardirq_cnt++;
		if (cs->si_in)
			cs->si_hard_ns += d;
	}
	cs->hi_entry = 0;
}

static __always_inline void on_softirq_raise(__u32 vec)
{
	struct cpu_state *cs;
	struct raise_rec *r;

	if (vec >= NR_SOFTIRQS)
		return;
	cs = this_cpu_state();
	if (!cs)
		return;
	r = &cs->raise[vec];
	if (r->ts)
		return;         /* already pending: the chain starts at the first raise */
	r->ts = bpf_ktime_get_ns();
	if (cs->hi_kind) {
		r->irq = cs->hi_irq;
		r->irq_ts = cs->hi_entry;
		r->action = cs->hi_action;
	} else {
		r->irq = DIAG_NONE;
		r->irq_ts = 0;
		r->action = 0;
	}
}

static __always_inline void softirq_enter(__u32 vec)
{
	struct cpu_state *cs = this_cpu_state();

	if (!cs)
		return;
	cs->si_vec = vec;
	cs->si_in = 1;
	cs->si_entry = bpf_ktime_get_ns();
	cs->si_hard_ns = 0;
	if (vec < NR_SOFTIRQS) {
		cs->si_raise = cs->raise[vec];
		cs->raise[vec].ts = 0;
	} else {
		cs->si_raise.ts = 0;
	}
}

static __always_inline void softirq_exit(void)
{
	struct cpu_state *cs = this_cpu_state();
	__u64 d;

	if (!cs)
		return;
	cs->si_in = 0;
	cs->napi_wake_tid = 0;
	if (cs->si_entry && counting(cs)) {
		__u64 start = !cs->tracked && cs->win_last > cs->si_entry ? cs->win_last : cs->si_entry;

		d = diag_sat_sub(bpf_ktime_get_ns(), start);
		/* A hardirq that interrupted the softirq is hardirq time. */
		d = d > cs->si_hard_ns ? d - cs->si_hard_ns : 0;
		cs->softirq_ns += d;
		cs->softirq_cnt++;
	}
	cs->si_entry = 0;
}

static __always_inline void on_cpu_idle(__u32 state)
{
	struct cpu_state *cs = this_cpu_state();

	if (!cs)
		return;
	if (state == PWR_EVENT_EXIT) {
		if (cs->idle1) {
			cs->last_idle1 = cs->idle1;
			cs->idle_exit_ts = bpf_ktime_get_ns();
		}
		cs->idle1 = 0;
	} else {
		cs->idle1 = state + 1;
	}
}

/* ---- the chain that led to a wakeup ------------------------------------ */

/* The 16 bytes of a trusted task's name, as bpf_get_current_comm() would
 * copy them (the kernel keeps comm NUL-padded) but without a helper call. */
static __always_inline void copy_comm(char *dst, struct task_struct *task)
{
	__u64 *d = (void *)dst, *s = (void *)task->comm;

	d[0] = s[0];
	d[1] = s[1];
}

static __always_inline void irq_name(struct step_event *ev, __u64 action)
{
	struct irqaction *a = (void *)action;

	if (action)
		bpf_probe_read_kernel_str(ev->irq_name, sizeof(ev->irq_name),
					  BPF_CORE_READ(a, name));
}

/* The timer whose callback is running: lateness = its base's now at
 * expiry - _softexpires; the chain starts when it should have fired. */
static __always_inline void timer_chain(struct cpu_state *cs, struct diag_chain *ch)
{
	struct hrtimer *h = (void *)cs->hrt;
	__s64 soft = BPF_CORE_READ(h, _softexpires), now = 0;

	ch->kind = CHAIN_TIMER;
	if (bpf_probe_read_kernel(&now, sizeof(now), (void *)cs->hrt_now) || now < soft) {
		ch->start_ts = cs->hrt_entry;
		return;
	}
	ch->lateness_ns = (__u64)(now - soft);
	ch->flags |= CHF_LATENESS;
	ch->start_ts = cs->hrt_entry - ch->lateness_ns;
}

static __always_inline bool in_ksoftirqd(void)
{
	char c[16];

	bpf_get_current_comm(c, sizeof(c));
	return c[0] == 'k' && c[1] == 's' && c[2] == 'o' && c[3] == 'f' && c[4] == 't' &&
	       c[5] == 'i' && c[6] == 'r' && c[7] == 'q' && c[8] == 'd' && c[9] == '/';
}

static __always_inline void softirq_chain(struct cpu_state *cs, struct step_event *ev, __u32 tid)
{
	struct diag_chain *ch = &ev->chain;
	__u32 vec = cs->si_vec;

	ch->softirq = vec;
	ch->mid_ts = cs->si_entry;
	ch->kind = vec == DIAG_SOFTIRQ_TIMER || vec == DIAG_SOFTIRQ_HRTIMER ? CHAIN_TIMER :
		   CHAIN_SOFTIRQ;
	if (in_ksoftirqd())
		ch->flags |= CHF_KSOFTIRQD;
	if (!cs->si_raise.ts) {
		ch->reason = CR_RAISE_UNSEEN;
		ch->start_ts = cs->si_entry;
		return;
	}
	if (cs->si_raise.irq != DIAG_NONE && cs->si_raise.irq_ts) {
		ch->irq = cs->si_raise.irq;
		ch->start_ts = cs->si_raise.irq_ts;
		irq_name(ev, cs->si_raise.action);
	} else {
		ch->start_ts = cs->si_raise.ts;
		if (!(ch->flags & CHF_KSOFTIRQD))
			ch->flags |= CHF_BH_TASK;
	}
	/* The NAPI poll that delivered it ends after the wakeup: napi_poll
	 * completes the chain (device, budget). */
	if (vec == DIAG_SOFTIRQ_NET_RX)
		cs->napi_wake_tid = tid;
}

static __always_inline __u32 wq_slot(__u64 work)
{
	return (__u32)((work >> 4) ^ (work >> 14)) & (WQ_SLOTS - 1);
}

static __always_inline void work_chain(struct cpu_state *cs, struct step_event *ev)
{
	struct diag_chain *ch = &ev->chain;
	__u32 slot = wq_slot(cs->wq_work);
	struct wq_rec *q = bpf_map_lookup_elem(&wq_queued, &slot);

	ch->kind = CHAIN_WORKQUEUE;
	ch->mid_ts = cs->wq_start;
	ev->work_func = cs->wq_func;
	if (q && q->work == cs->wq_work && q->ts && q->ts <= cs->wq_start) {
		ch->start_ts = q->ts;
		ch->queued_by = q->by;
		ch->origin_cpu = (__s32)q->cpu;
	} else {
		ch->start_ts = cs->wq_start;
		ch->reason = CR_QUEUE_UNSEEN;
	}
}

/* A request completed in this interrupt or softirq before the wakeup: the
 * chain starts at block_rq_complete; the disk, and whether the request was
 * the woken thread's own. */
static __always_inline void block_chain(struct cpu_state *cs, struct diag_chain *ch, __u32 tid)
{
	ch->kind = CHAIN_BLOCK;
	ch->start_ts = cs->blk_ts;
	ch->dev = cs->blk_dev;
	if (cs->blk_tid == tid)
		ch->flags |= CHF_BLOCK_OWN;
}

/* Who woke the thread and the chain before it: the innermost context on
 * the waker's CPU (hrtimer callback, hardirq, softirq, kworker), else the
 * running task.  Runs on the waker's CPU, at sched_waking. */
static __always_inline void wake_source(bool btf, struct step_event *ev, __u32 tid, __u64 now)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct cpu_state *cs = bpf_map_lookup_elem(&cpus, &cpu);
	struct diag_chain *ch = &ev->chain;
	__u64 id = bpf_get_current_pid_tgid();

	ev->wake_cpu = cpu;
	ch->irq = DIAG_NONE;
	ch->softirq = DIAG_NONE;
	ch->origin_cpu = (__s32)cpu;
	if (!cs)
		return;
	if (cs->hi_kind) {
		ev->wake_kind = cs->hi_kind;
		ev->wake_arg = cs->hi_irq;
		ch->irq = cs->hi_irq;
		irq_name(ev, cs->hi_action);
		if (cs->hrt) {
			timer_chain(cs, ch);
		} else if (cs->blk_ts >= cs->hi_entry && cs->hi_entry) {
			block_chain(cs, ch, tid);
		} else {
			ch->kind = CHAIN_HARDIRQ;
			ch->start_ts = cs->hi_entry;
			if (!cs->hi_entry)
				ch->reason = CR_IRQ_ENTRY_UNSEEN;
		}
		return;
	}
	if (cs->si_in) {
		__u32 vec = cs->si_vec;

		ev->wake_arg = vec;
		ev->wake_kind = vec == DIAG_SOFTIRQ_TIMER || vec == DIAG_SOFTIRQ_HRTIMER ?
				WAKE_TIMER : WAKE_SOFTIRQ;
		if (vec == DIAG_SOFTIRQ_NET_RX && cs->napi_dev) {
			struct net_device *dev = (void *)cs->napi_dev;

			bpf_core_read_str(ev->napi_dev, sizeof(ev->napi_dev), &dev->name);
		}
		softirq_chain(cs, ev, tid);
		if (cs->hrt)
			timer_chain(cs, ch);
		else if (cs->blk_ts >= cs->si_entry && cs->si_entry) {
			block_chain(cs, ch, tid);
			ch->reason = CR_NONE;
		}
		return;
	}
	ev->wake_kind = WAKE_TASK;
	ev->waker_pid = (__u32)id;
	ev->waker_tgid = id >> 32;
	if (btf)
		copy_comm(ev->waker_comm, bpf_get_current_task_btf());
	else
		bpf_get_current_comm(ev->waker_comm, sizeof(ev->waker_comm));
	if (cs->wq_pid == (__u32)id && cs->wq_work) {
		work_chain(cs, ev);
		return;
	}
	ch->kind = CHAIN_TASK;
	ch->start_ts = now;
}

/* ---- throttling, read through BTF ------------------------------------------ */

/* The throttled time of the task's (leaf) task group, all CPUs: what
 * cpu.stat's throttled_usec shows.  It grows when a throttled cfs_rq of the
 * group is unthrottled, so a window's delta, read at its close, holds the
 * throttling that ended it.  0 without CFS bandwidth control. */
static __always_inline __u64 group_throttled_ns(bool btf, struct task_struct *p)
{
	if (!throttle_on)
		return 0;
	/* A trusted task: the pointer walk is plain (fault-safe) loads, no
	 * probe-read helper calls. */
	if (btf) {
		struct cfs_rq *cfs = p->se.cfs_rq;
		struct task_group *tg = cfs ? cfs->tg : NULL;

		return tg ? tg->cfs_bandwidth.throttled_time : 0;
	}
	return BPF_CORE_READ(p, se.cfs_rq, tg, cfs_bandwidth.throttled_time);
}

/* ---- windows: what the agent's CPU did while the agent waited ------------ */

static __always_inline void top_add(struct diag_window *w, __u32 pid, __u32 tgid, __u64 ns,
				    const char *comm)
{
	int min = 0;

#pragma unroll
	for (int i = 0; i < DIAG_TOP_TASKS; i++) {
		if (w->top[i].pid == pid && w->top[i].ns) {
			w->top[i].ns += ns;
			return;
		}
	}
#pragma unroll
	for (int i = 1; i < DIAG_TOP_TASKS; i++)
		if (w->top[i].ns < w->top[min].ns)
			min = i;
#pragma unroll
	for (int i = 0; i < DIAG_TOP_TASKS; i++) {
		if (i != min || w->top[i].ns >= ns)
			continue;
		w->top[i].pid = pid;
		w->top[i].tgid = tgid;
		w->top[i].ns = ns;
		__builtin_memcpy(w->top[i].comm, comm, DIAG_COMM_LEN);
	}
}

/* SCHED_IDLE in include/uapi/linux/sched.h. */
#define DIAG_SCHED_IDLE 5

/* Whether p runs under SCHED_IDLE (a poll thread or spinner keeping its CPU
 * warm): task_struct->policy through BTF. */
static __always_inline bool sched_idle_task(bool btf, struct task_struct *p)
{
	return TREAD(btf, p, policy) == DIAG_SCHED_IDLE;
}

/* The task that ran on this CPU since the window's last boundary (prev at a
 * switch), its time there minus the interrupts, into the window.  warm: it
 * is a SCHED_IDLE task (see diag_window.warm_ns). */
static __always_inline void win_segment(struct cpu_state *cs, struct diag_window *w,
					__u32 pid, __u32 tgid, const char *comm, bool warm,
					__u64 now)
{
	__u64 d = diag_sat_sub(now, cs->win_last);
	__u64 hi = cs->hardirq_ns - cs->win_hi, si = cs->softirq_ns - cs->win_si;
	__u64 task = diag_sat_sub(d, hi + si);

	w->irq_ns += hi;
	w->softirq_ns += si;
	if (!pid) {
		/* The idle task: the CPU left idle at its last cpu_idle exit;
		 * what follows (the wake IPI, the switch) is unattributed. */
		if (cs->idle_exit_ts > cs->win_last && cs->idle_exit_ts <= now &&
		    stage_on(STAGE_IDLE_EXIT))
			w->idle_ns += cs->idle_exit_ts - cs->win_last;
	} else if (self_tgid && tgid == self_tgid) {
		w->observer_ns += task;
	} else if (targ_tgid && tgid == targ_tgid) {
		w->own_ns += task;
	} else if (warm) {
		w->warm_ns += task;
	} else if (task) {
		w->task_ns += task;
		top_add(w, pid, tgid, task, comm);
	}
	cs->win_last = now;
	cs->win_hi = cs->hardirq_ns;
	cs->win_si = cs->softirq_ns;
}

/* Opens t's window on cpu at now: the wait after a wakeup (queued there,
 * possibly from another CPU) or a preemption.  One window per CPU: a
 * second followed thread waiting for the same CPU meanwhile gets its wait
 * unattributed. */
static __always_inline void win_open(struct diag_thread *t, __u32 tid, __u32 cpu, __u64 now,
				     bool pre, __u64 thr)
{
	struct cpu_state *cs = bpf_map_lookup_elem(&cpus, &cpu);

	if (!cs || (cs->win_tid && cs->win_tid != tid))
		return;
	cs->win_tid = tid;
	cs->win_last = now;
	cs->win_hi = cs->hardirq_ns;
	cs->win_si = cs->softirq_ns;
	t->win_cpu = (__s32)cpu;
	t->win_pre = pre;
	t->win_thr0 = thr;
}

static __always_inline void win_drop(struct diag_thread *t, __u32 tid)
{
	__u32 cpu = (__u32)t->win_cpu;
	struct cpu_state *cs;

	if (t->win_cpu < 0)
		return;
	cs = bpf_map_lookup_elem(&cpus, &cpu);
	if (cs && cs->win_tid == tid)
		cs->win_tid = 0;
	t->win_cpu = -1;
}

static __always_inline struct diag_window *win_of(struct diag_thread *t)
{
	return t->win_pre ? &t->ev.pre : &t->ev.wait;
}

/* A context switch on a CPU with an open window: the task that leaves
 * had the CPU while the followed thread waited. */
static __always_inline void win_switch(bool btf, struct cpu_state *cs, struct task_struct *prev,
				       __u32 prev_pid, __u32 prev_tgid, __u64 now)
{
	__u32 tid = cs->win_tid;
	struct diag_thread *t = bpf_map_lookup_elem(&threads, &tid);
	char comm[DIAG_COMM_LEN];

	if (!t || t->win_cpu != (__s32)bpf_get_smp_processor_id()) {
		cs->win_tid = 0;        /* its thread went away or moved on */
		return;
	}
	if (btf)
		copy_comm(comm, prev);
	else
		bpf_get_current_comm(comm, sizeof(comm));
	win_segment(cs, win_of(t), prev_pid, prev_tgid, comm, sched_idle_task(btf, prev), now);
}

/* ---- wakeup ----------------------------------------------------------- */

/* The CPU the wakeup queues the thread on: its idle state and switch count
 * now, and the window opens there.  At sched_waking that is the CPU the
 * thread last ran on; when the wakeup picks another one,
 * sched_migrate_task says so before it is queued.  (A sched_wakeup program
 * would know it directly, at the cost of one more program run on every
 * wakeup of the system.) */
static __always_inline void wake_target(struct diag_thread *t, __u32 tid, __u32 cpu, __u64 now)
{
	struct cpu_state *cs = bpf_map_lookup_elem(&cpus, &cpu);

	if (!cs || wake_target_off)
		return;
	t->ev.idle_state = (__s32)cs->idle1 - 1;
	t->wakeup_cpu = cpu;
	t->wakeup_switches = cs->switches;
	win_drop(t, tid);
	win_open(t, tid, cpu, now, false, t->win_thr0);
}

/* A step of a followed thread starts, analysed: block_seen says whether
 * its record's block time is this wait's (see switch_out_slot()). */
static __noinline int full_waking(bool btf, struct diag_thread *t, struct task_struct *p,
				  bool block_seen)
{
	__u32 tid = TREAD(btf, p, pid), tgid = TREAD(btf, p, tgid);
	struct step_event *ev = &t->ev;
	__u64 now = bpf_ktime_get_ns();

	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = now;
	ev->pid = tgid;
	ev->tid = tid;
	ev->idle_state = -1;
	ev->syscall_nr = (__u32)-1;
	wake_source(btf, ev, tid, now);
	if (ev->chain.start_ts && ev->chain.start_ts <= now)
		ev->stage_ns[STAGE_COMPLETION] = now - ev->chain.start_ts;
	t->wait_known = block_seen && t->block_ts;
	if (t->wait_known) {
		ev->stage_ns[STAGE_WAIT] = now - t->block_ts;
		ev->syscall_nr = (__u32)t->block_syscall;
		/* A block request it issued, completed during this wait. */
		if (t->pending_bio_ts >= t->block_ts)
			ev->stage_ns[STAGE_BLOCK_IO] = t->pending_bio_ns;
	}
	t->pending_bio_ns = 0;
	t->pending_bio_ts = 0;
	t->waking_ts = now;
	t->wakeup_cpu = -1;
	t->out_ts = 0;
	/* Whatever its record said about earlier steps: they were not all
	 * followed here. */
	t->flags = 0;
	t->win_thr0 = group_throttled_ns(btf, p);
	wake_target(t, tid, task_cpu(btf, p), now);
	t->flags = TS_WOKEN;
	return 0;
}

/* sched_waking: a new step when the thread is neither running nor already
 * woken; analysed or only counted (diagnose.h, "sampling"). */
static __always_inline void on_waking(bool btf, struct task_struct *p)
{
	__u32 tid = TREAD(btf, p, pid), tgid = TREAD(btf, p, tgid);
	struct diag_slot *s = task_slot(btf, tid, tgid, p);
	struct diag_thread *t;
	__u32 f;

	if (!s)
		return;
	f = s->flags;
	/* Woken while still on its CPU (before it blocked) or already
	 * runnable: not a new step. */
	if (f & (SF_ON | SF_STEP))
		return;
	if (!(f & SF_DECIDED)) {
		struct cpu_state *cs = this_cpu_state();

		if (!cs)
			return;
		f = sample_step(cs) ? f | SF_FULL : f & ~SF_FULL;
	}
	s->flags = (f & ~(SF_DECIDED | SF_RAN)) | SF_STEP;
	if (!(f & SF_FULL))
		return;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t) {
		s->flags &= ~SF_FULL;
		return;
	}
	full_waking(btf, t, p, f & SF_DECIDED);
}

/* ---- the step --------------------------------------------------------- */

static __always_inline void add_culprit(const struct diag_task_time *tt, bool pre)
{
	struct diag_culprit *c, nc = {};
	__u32 pid = tt->pid;

	if (!tt->ns || !pid)
		return;
	c = bpf_map_lookup_elem(&culprits, &pid);
	if (!c) {
		nc.tgid = tt->tgid;
		__builtin_memcpy(nc.comm, tt->comm, DIAG_COMM_LEN);
		if (bpf_map_update_elem(&culprits, &pid, &nc, BPF_NOEXIST) &&
		    bpf_map_lookup_elem(&culprits, &pid) == NULL) {
			count(CNT_CULPRITS_FULL);
			return;
		}
		c = bpf_map_lookup_elem(&culprits, &pid);
		if (!c)
			return;
	}
	if (pre)
		__sync_fetch_and_add(&c->preempt_ns, tt->ns);
	else
		__sync_fetch_and_add(&c->queue_ns, tt->ns);
	__sync_fetch_and_add(&c->steps, 1);
}

static __always_inline void add_sums(const struct step_event *ev)
{
	__u32 zero = 0;
	struct diag_sums *s = bpf_map_lookup_elem(&sums, &zero);
	__u32 k = ev->chain.kind, r = ev->chain.reason;

	if (!s)
		return;
#pragma unroll
	for (int i = 0; i < CAUSE_MAX; i++) {
		s->ns[i] += ev->cause_ns[i];
		s->steps[i] += ev->cause_ns[i] != 0;
	}
	s->delay_ns += ev->delay_ns;
	s->warm_ns += ev->wait.warm_ns;
	s->warm_steps += ev->wait.warm_ns != 0;
	if (k < CHAIN_KINDS)
		s->chain[k]++;
	if (r < CR_REASONS) {
		barrier_var(r);
		s->reason[r]++;         /* [0] counts the complete chains */
	}
	if (ev->prev_cpu != (__u32)-1 && ev->prev_cpu != ev->cpu)
		s->migrated_steps++;
	if (ev->chain.flags & CHF_NAPI_FULL)
		s->napi_full++;
}

/* Run time above the thread's usual, after a migration; the usual is an
 * average over its steps that did not migrate. */
static __always_inline void migration_cost(struct diag_thread *t, struct step_event *ev)
{
	__u64 run = ev->stage_ns[STAGE_RUN], avg = t->run_avg_ns;
	bool migrated = ev->prev_cpu != (__u32)-1 && ev->prev_cpu != ev->cpu;

	if (migrated) {
		ev->migration_ns = avg ? diag_sat_sub(run, avg) : 0;
		return;
	}
	if (!avg)
		t->run_avg_ns = run;
	else if (run > avg)
		t->run_avg_ns = avg + ((run - avg) >> 3);
	else
		t->run_avg_ns = avg - ((avg - run) >> 3);
}

static __always_inline void finish_step(struct diag_thread *t, struct cpu_state *cs)
{
	struct step_event *ev = &t->ev;
	__u64 thresh = slow_ns > slow_floor_ns ? slow_ns : slow_floor_ns;
	__u32 zero = 0;
	struct diag_counters *c = bpf_map_lookup_elem(&counters, &zero);

	if (!c)
		return;         /* never: a per-CPU array element */
	diag_fit_window(&ev->pre);
	ev->stage_ns[STAGE_IDLE_EXIT] = ev->wait.idle_ns + ev->wait.warm_ns;
	ev->stage_ns[STAGE_WARM_IDLE] = ev->wait.warm_ns;
	ev->stage_ns[STAGE_QUEUE] = ev->wait.task_ns + ev->wait.own_ns;
	ev->stage_ns[STAGE_IRQ] = ev->wait.irq_ns + ev->pre.irq_ns + ev->run_irq_ns;
	ev->stage_ns[STAGE_SOFTIRQ] = ev->wait.softirq_ns + ev->pre.softirq_ns + ev->run_softirq_ns;
	ev->stage_ns[STAGE_THROTTLE] = ev->wait.throttle_ns + ev->pre.throttle_ns;
	ev->stage_ns[STAGE_UNATTRIBUTED] = ev->wait.unattributed_ns + ev->pre.unattributed_ns;
	ev->stage_ns[STAGE_PREEMPTED] = ev->preempted_ns;
	if (stage_disable | stage_off) {
#pragma unroll
		for (int s = 0; s < STAGE_MAX; s++)
			if (!stage_on(s))
				ev->stage_ns[s] = 0;
	}
	if (cs->freq_change_ts > ev->ts_ns)
		ev->ramp_ns = cs->freq_change_ts - ev->ts_ns;
	migration_cost(t, ev);
	diag_step_causes(ev);
	ev->stage_ns[STAGE_DELAY] = ev->delay_ns;
	ev->step_ns = ev->stage_ns[STAGE_WAKE_RUN] + ev->stage_ns[STAGE_RUN];

	hist_add(STAGE_WAKE_RUN, ev->stage_ns[STAGE_WAKE_RUN]);
	hist_add(STAGE_IDLE_EXIT, ev->stage_ns[STAGE_IDLE_EXIT]);
	hist_add(STAGE_QUEUE, ev->stage_ns[STAGE_QUEUE]);
	hist_add(STAGE_RUN, ev->stage_ns[STAGE_RUN]);
	hist_add(STAGE_IRQ, ev->stage_ns[STAGE_IRQ]);
	hist_add(STAGE_SOFTIRQ, ev->stage_ns[STAGE_SOFTIRQ]);
	if (t->wait_known)
		hist_add(STAGE_WAIT, ev->stage_ns[STAGE_WAIT]);
	if (ev->stage_ns[STAGE_BLOCK_IO])
		hist_add(STAGE_BLOCK_IO, ev->stage_ns[STAGE_BLOCK_IO]);
	hist_add(STAGE_COMPLETION, ev->stage_ns[STAGE_COMPLETION]);
	hist_add(STAGE_THROTTLE, ev->stage_ns[STAGE_THROTTLE]);
	hist_add(STAGE_UNATTRIBUTED, ev->stage_ns[STAGE_UNATTRIBUTED]);
	hist_add(STAGE_PREEMPTED, ev->stage_ns[STAGE_PREEMPTED]);
	hist_add(STAGE_DELAY, ev->stage_ns[STAGE_DELAY]);
	hist_add(STAGE_WARM_IDLE, ev->stage_ns[STAGE_WARM_IDLE]);
	add_sums(ev);
#pragma unroll
	for (int i = 0; i < DIAG_TOP_TASKS; i++) {
		add_culprit(&ev->wait.top[i], false);
		add_culprit(&ev->pre.top[i], true);
	}

	c->v[CNT_STEPS]++;
	if (ev->prev_cpu != (__u32)-1 && ev->prev_cpu != ev->cpu)
		c->v[CNT_MIGRATED]++;
	c->v[CNT_WAKE + (ev->wake_kind < WAKE_KINDS ? ev->wake_kind : WAKE_UNKNOWN)]++;
	t->st.steps++;
	t->st.wake_run_sum_ns += ev->stage_ns[STAGE_WAKE_RUN];
	t->st.run_sum_ns += ev->stage_ns[STAGE_RUN];
	if (!t->st.comm[0])
		bpf_get_current_comm(t->st.comm, sizeof(t->st.comm));

	/* The thread is current: its name is read only for a step worth
	 * sending (and again when it exits). */
	if (ev->delay_ns >= thresh) {
		bpf_get_current_comm(ev->comm, sizeof(ev->comm));
		__u64 wake = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= RINGBUF_WAKE_BYTES ?
			     BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

		if (bpf_ringbuf_output(&events, ev, sizeof(*ev), wake))
			c->v[CNT_LOST]++;
		else
			c->v[CNT_SENT]++;
	}
}

/* The syscall the current task is in, -1 when it is not in one (a page
 * fault).  The x86 syscall entry stores -ENOSYS in the saved ax until the
 * syscall returns; an exception saves the user's ax there. */
static __always_inline __s32 current_syscall(void)
{
#if defined(__TARGET_ARCH_x86)
	/* A trusted pointer: plain loads, no probe-read helper calls. */
	struct pt_regs *regs = (void *)bpf_task_pt_regs(bpf_get_current_task_btf());

	if ((long)regs->ax != -ENOSYS)
		return -1;
	return (__s32)regs->orig_ax;
#else
	return -1;
#endif
}

static __always_inline void switch_out(bool btf, struct diag_thread *t, struct cpu_state *cs,
				       struct task_struct *prev, bool preempt, __u32 cpu, __u64 now)
{
	bool blocked;

	if (t->flags & TS_ON_CPU) {
		if (t->flags & TS_IN_STEP) {
			struct step_event *ev = &t->ev;

			ev->stage_ns[STAGE_RUN] += now - t->seg_start;
			ev->run_irq_ns += cs->hardirq_ns - t->seg_hi_ns;
			ev->run_softirq_ns += cs->softirq_ns - t->seg_si_ns;
			ev->irq_count += cs->hardirq_cnt - t->seg_hi_cnt;
			ev->softirq_count += cs->softirq_cnt - t->seg_si_cnt;
		}
		t->flags &= ~TS_ON_CPU;
	}
	/* Preempted (or throttled, or preempted before it could call
	 * schedule()): still runnable, the step goes on; what the CPU does
	 * until it is back is the preemption's window. */
	blocked = !preempt && task_state(btf, prev) != 0;
	if (!blocked) {
		t->out_ts = now;
		if (t->flags & TS_IN_STEP)
			win_open(t, t->st.tid, cpu, now, true, group_throttled_ns(btf, prev));
		return;
	}
	win_drop(t, t->st.tid);
	if (t->flags & TS_IN_STEP)
		finish_step(t, cs);
	t->flags &= ~(TS_IN_STEP | TS_WOKEN);
	t->block_ts = now;
	t->block_syscall = syscall_from_regs ? current_syscall() : t->cur_syscall;
}

/* The window t waited in closes on this CPU: the last segment (prev ran
 * it), the group's throttling meanwhile, and the parts fitted. */
static __always_inline void win_close(bool btf, struct diag_thread *t, struct cpu_state *cs,
				      struct task_struct *next, __u32 prev_pid, __u32 prev_tgid,
				      const char *prev_comm, bool prev_warm, __u32 cpu, __u64 now,
				      __u64 since)
{
	struct diag_window *w = win_of(t);
	__u64 thr;

	if (t->win_cpu == (__s32)cpu && cs->win_tid == t->st.tid) {
		win_segment(cs, w, prev_pid, prev_tgid, prev_comm, prev_warm, now);
		thr = group_throttled_ns(btf, next);
		if (thr > t->win_thr0)
			w->throttle_ns += diag_min(thr - t->win_thr0, now - since);
	}
	w->total_ns += now - since;
	cs->win_tid = cs->win_tid == t->st.tid ? 0 : cs->win_tid;
	t->win_cpu = -1;
	if (!t->win_pre)
		diag_fit_window(w);
}

static __always_inline void switch_in(bool btf, struct diag_thread *t, struct cpu_state *cs,
				      struct task_struct *prev, struct task_struct *next,
				      __u32 prev_pid, __u32 prev_tgid, __u32 cpu, __u64 now)
{
	struct step_event *ev = &t->ev;
	char comm[DIAG_COMM_LEN];
	bool warm = prev_pid && sched_idle_task(btf, prev);

	t->flags |= TS_ON_CPU;
	t->seg_start = now;
	t->seg_hi_ns = cs->hardirq_ns;
	t->seg_hi_cnt = cs->hardirq_cnt;
	t->seg_si_ns = cs->softirq_ns;
	t->seg_si_cnt = cs->softirq_cnt;

	/* prev is current here: the task that ran last before this one. */
	if (btf)
		copy_comm(comm, prev);
	else
		bpf_get_current_comm(comm, sizeof(comm));

	if (t->flags & TS_IN_STEP) {
		if (t->out_ts) {
			ev->preempted_ns += now - t->out_ts;
			t->win_pre = 1;
			win_close(btf, t, cs, next, prev_pid, prev_tgid, comm, warm, cpu, now,
				  t->out_ts);
		}
		t->out_ts = 0;
		return;
	}
	if (!(t->flags & TS_WOKEN))
		return;         /* first seen mid-step: not measured */
	t->flags = (t->flags & ~TS_WOKEN) | TS_IN_STEP;
	t->out_ts = 0;

	__u64 wr = now - t->waking_ts;

	t->win_pre = 0;
	win_close(btf, t, cs, next, prev_pid, prev_tgid, comm, warm, cpu, now, t->waking_ts);
	if (ev->wait.idle_ns)
		ev->idle_state = (__s32)cs->last_idle1 - 1;
	ev->stage_ns[STAGE_WAKE_RUN] = wr;
	ev->cpu = cpu;
	ev->prev_cpu = (__u32)t->last_cpu;
	t->last_cpu = cpu;
	if ((__u32)t->wakeup_cpu == cpu && cs->switches > t->wakeup_switches)
		ev->queued_behind = cs->switches - t->wakeup_switches - 1;
	ev->preempt_pid = prev_pid;
	__builtin_memcpy(ev->preempt_comm, comm, DIAG_COMM_LEN);

	struct cpu_freq_rec *f = bpf_map_lookup_elem(&cpu_freq, &cpu);

	if (f) {
		ev->freq_khz = f->cur_khz;
		ev->freq_max_khz = f->max_khz;
	}
}

/* The next step of tid is analysed: its record gets the time it blocked
 * and in which syscall (what switch_out() does for an analysed step). */
static __noinline int arm_block(__u32 tid)
{
	struct diag_thread *t = bpf_map_lookup_elem(&threads, &tid);

	if (!t)
		return 0;
	t->block_ts = bpf_ktime_get_ns();
	t->block_syscall = syscall_from_regs ? current_syscall() : t->cur_syscall;
	return 0;
}

/* A followed thread leaves this CPU.  When it blocks, its step ends (one
 * more seen) and whether the next one is analysed is chosen here, so that
 * an analysed step knows the wait before it: its record gets the block's
 * time (switch_out() did when this step was analysed: `recorded`). */
static __always_inline void switch_out_slot(bool btf, struct diag_slot *s, struct cpu_state *cs,
					    struct task_struct *prev, bool preempt, __u32 tid,
					    bool recorded, __u64 now)
{
	__u32 f = s->flags & ~SF_ON;

	if (preempt || task_state(btf, prev) == 0) {
		s->flags = f;           /* still runnable: the step goes on */
		return;
	}
	if ((f & (SF_STEP | SF_RAN)) == (SF_STEP | SF_RAN))
		count(CNT_SEEN);
	f &= ~(SF_STEP | SF_RAN | SF_FULL);
	if (sample_step(cs)) {
		f |= SF_FULL;
		if (!recorded)
			arm_block(tid);
	}
	s->flags = f | SF_DECIDED;
}

/* A followed thread gets this CPU: it ran in its step. */
static __always_inline void switch_in_slot(struct diag_slot *s)
{
	__u32 f = s->flags | SF_ON;

	if (f & SF_STEP)
		f |= SF_RAN;
	s->flags = f;
}

static __always_inline bool full_step(const struct diag_slot *s)
{
	return s && (s->flags & (SF_FULL | SF_STEP)) == (SF_FULL | SF_STEP);
}

/* sched_switch with an analysed step involved (prev's, next's, or one
 * waiting for this CPU): the slots, and the records. */
/* prev's ids at sched_switch: prev is current, which a tp_btf program
 * reads directly and a raw_tp one through the helper. */
static __always_inline void prev_ids(bool btf, struct task_struct *prev, __u32 *tid, __u32 *tgid)
{
	if (btf) {
		*tid = prev->pid;
		*tgid = prev->tgid;
	} else {
		__u64 id = bpf_get_current_pid_tgid();

		*tid = (__u32)id;
		*tgid = id >> 32;
	}
}

static __noinline int switch_slow(bool btf, bool preempt, struct task_struct *prev,
				  struct task_struct *next, struct cpu_state *cs)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct diag_slot *sp, *sn = NULL;
	struct diag_thread *t, *tn = NULL;
	__u32 tid, tgid, ntid;
	__u64 now = 0;

	prev_ids(btf, prev, &tid, &tgid);
	ntid = TREAD(btf, next, pid);
	if (ntid)               /* 0: idle */
		sn = task_slot(btf, ntid, TREAD(btf, next, tgid), next);
	sp = task_slot(btf, tid, tgid, NULL);
	/* A followed thread waits for this CPU and another one takes it:
	 * prev's time is part of that wait. */
	if (cs->win_tid && cs->win_tid != ntid) {
		now = bpf_ktime_get_ns();
		win_switch(btf, cs, prev, tid, tgid, now);
	}
	if (sp) {
		t = analysed(sp, tid);
		if (t) {
			if (!now)
				now = bpf_ktime_get_ns();
			switch_out(btf, t, cs, prev, preempt, cpu, now);
		}
		switch_out_slot(btf, sp, cs, prev, preempt, tid, t != NULL, now);
	}
	if (sn) {
		switch_in_slot(sn);
		tn = analysed(sn, ntid);
	}
	/* Interrupt time is counted only while an analysed step runs. */
	if (cs->tracked != (tn != NULL))
		cs->tracked = tn != NULL;
	if (tn) {
		if (!now)
			now = bpf_ktime_get_ns();
		switch_in(btf, tn, cs, prev, next, tid, tgid, cpu, now);
	}
	return 0;
}

/* sched_switch: the slots of prev and next (a few loads and stores); the
 * rest, out of line, only when an analysed step is involved. */
static __always_inline void on_switch(bool btf, bool preempt, struct task_struct *prev,
				      struct task_struct *next)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct cpu_state *cs = bpf_map_lookup_elem(&cpus, &cpu);
	struct diag_slot *sp, *sn = NULL;
	__u32 tid, tgid, ntid;

	if (!cs)
		return;
	cs->switches++;
	/* No switch happens inside an interrupt: a context left set means an
	 * exit event was missed. */
	if (cs->hi_kind | cs->si_in) {
		cs->hi_kind = 0;
		cs->hi_entry = 0;
		cs->si_in = 0;
		cs->si_entry = 0;
	}
	prev_ids(btf, prev, &tid, &tgid);
	ntid = TREAD(btf, next, pid);
	if (ntid)
		sn = task_slot(btf, ntid, TREAD(btf, next, tgid), next);
	sp = task_slot(btf, tid, tgid, NULL);
	if (cs->win_tid || full_step(sp) || full_step(sn)) {
		switch_slow(btf, preempt, prev, next, cs);
		return;
	}
	if (cs->tracked)
		cs->tracked = 0;
	if (sp)
		switch_out_slot(btf, sp, cs, prev, preempt, tid, false, 0);
	if (sn)
		switch_in_slot(sn);
}

static __always_inline void on_migrate(bool btf, struct task_struct *p, __u32 dest_cpu)
{
	__u32 tid = TREAD(btf, p, pid);
	struct diag_thread *t = analysed(task_slot(btf, tid, TREAD(btf, p, tgid), NULL), tid);

	if (!t || !(t->flags & (TS_WOKEN | TS_IN_STEP)))
		return;
	t->ev.migrations++;
	/* Moved by the wakeup itself (not yet queued anywhere, unlike a
	 * queued thread the load balancer moves): that is where it is
	 * queued. */
	if ((t->flags & TS_WOKEN) && !TREAD(btf, p, on_rq)) {
		wake_target(t, tid, dest_cpu, bpf_ktime_get_ns());
		return;
	}
	/* A queued thread moved: its window moves with it. */
	if (t->win_cpu >= 0) {
		bool pre = t->win_pre;

		win_drop(t, tid);
		win_open(t, tid, dest_cpu, bpf_ktime_get_ns(), pre, t->win_thr0);
	}
}

/* ---- threads come and go ------------------------------------------------ */

static __always_inline void on_fork(bool btf, struct task_struct *parent,
				    struct task_struct *child)
{
	__u32 ptid = TREAD(btf, parent, pid), ptgid = TREAD(btf, parent, tgid);
	__u32 ctid = TREAD(btf, child, pid), ctgid = TREAD(btf, child, tgid);

	if (ctgid == ptgid) {
		/* A new thread: followed when its process is, unless the user
		 * asked for one thread only. */
		if (targ_tid)
			return;
		if (!is_target(ctgid, ctid) && !task_slot(btf, ptid, ptgid, NULL))
			return;
	} else {
		if (!follow_children || !task_slot(btf, ptid, ptgid, NULL))
			return;
	}
	if (follow(ctid, ctgid) == 0)
		count(CNT_FORKS);
}

static __always_inline void on_exit(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct diag_slot *s = task_slot(false, tid, id >> 32, NULL);
	struct diag_thread *t;

	if (!s)
		return;
	s->tid = 0;
	s->flags = 0;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t)
		return;
	win_drop(t, tid);
	bpf_get_current_comm(t->st.comm, sizeof(t->st.comm));
	bpf_map_update_elem(&dead_threads, &tid, &t->st, BPF_ANY);
	bpf_map_delete_elem(&threads, &tid);
}

/* ---- syscalls, faults, block I/O, workqueues, NAPI, frequency ------------ */

static __always_inline void on_sys_enter(long nr)
{
	struct diag_thread *t = current_thread();

	if (t)
		t->cur_syscall = nr;
}

static __always_inline void on_sys_exit(void)
{
	struct diag_thread *t = current_thread();

	if (t)
		t->cur_syscall = -1;
}

/* A user page fault also means the thread is not in a syscall now: a block
 * that follows is in the fault, not in the last syscall. */
static __always_inline void on_page_fault(void)
{
	struct diag_thread *t = current_thread();

	if (!t)
		return;
	t->cur_syscall = -1;
	if (t->flags & TS_IN_STEP)
		t->ev.page_faults++;
}

static __always_inline void on_rq_issue(struct request *rq)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct rq_issue ri = {};
	__u64 key = (__u64)rq;

	if (!may_track(id >> 32, (__u32)id) || !slot_of((__u32)id))
		return;
	ri.ts = bpf_ktime_get_ns();
	ri.tid = (__u32)id;
	bpf_map_update_elem(&rq_issued, &key, &ri, BPF_ANY);
}

static __always_inline void on_rq_complete(struct request *rq)
{
	__u64 key = (__u64)rq;
	struct rq_issue *ri = bpf_map_lookup_elem(&rq_issued, &key);
	struct cpu_state *cs = this_cpu_state();
	struct diag_thread *t;
	__u32 tid = ri ? ri->tid : 0;

	/* A wakeup in the interrupt or softirq that completed a request is
	 * the block chain's: when, which disk, and whose request it was. */
	if (cs && (cs->hi_kind | cs->si_in)) {
		struct request_queue *q = BPF_CORE_READ(rq, q);
		struct gendisk *disk = NULL;

		/* request_queue.disk: 5.15 and later; older kernels leave the
		 * disk unnamed rather than fail to load. */
		if (bpf_core_field_exists(q->disk))
			disk = BPF_CORE_READ(q, disk);

		cs->blk_ts = bpf_ktime_get_ns();
		cs->blk_tid = tid;
		cs->blk_dev = disk ? (BPF_CORE_READ(disk, major) << 20) |
				     (BPF_CORE_READ(disk, first_minor) & 0xfffff) : 0;
	}
	if (!ri)
		return;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (t) {
		t->pending_bio_ts = bpf_ktime_get_ns();
		t->pending_bio_ns = t->pending_bio_ts - ri->ts;
	}
	bpf_map_delete_elem(&rq_issued, &key);
}

static __always_inline void on_work_start(bool btf, struct work_struct *work)
{
	struct cpu_state *cs = this_cpu_state();

	if (!cs)
		return;
	cs->wq_pid = (__u32)bpf_get_current_pid_tgid();
	cs->wq_func = (__u64)TREAD(btf, work, func);
	cs->wq_work = (__u64)work;
	cs->wq_start = bpf_ktime_get_ns();
}

/* Where and when the work was queued, and from what context. */
static __always_inline void on_work_queue(struct work_struct *work)
{
	__u32 slot, cpu = bpf_get_smp_processor_id();
	struct cpu_state *cs = bpf_map_lookup_elem(&cpus, &cpu);
	struct wq_rec *q;
	__u64 w;

	if (!cs)
		return;
	/* A trusted pointer allows no arithmetic: its value, read back from
	 * memory, is a number. */
	cs->wq_tmp = (__u64)work;
	w = *(volatile __u64 *)&cs->wq_tmp;
	slot = wq_slot(w);
	q = bpf_map_lookup_elem(&wq_queued, &slot);
	if (!q)
		return;
	q->work = w;
	q->ts = bpf_ktime_get_ns();
	q->by = cs->hi_kind ? QB_IRQ : cs->si_in ? QB_SOFTIRQ : QB_TASK;
	q->cpu = cpu;
}

/* The poll that delivered a followed thread's wakeup ends after it: the
 * device it polled and whether it used its whole budget complete the
 * chain. */
static __always_inline void on_napi_poll(bool btf, struct napi_struct *napi, int work, int budget)
{
	struct cpu_state *cs = this_cpu_state();
	__u64 dev = (__u64)TREAD(btf, napi, dev);
	struct diag_thread *t;
	__u32 tid;

	if (!cs)
		return;
	/* The backlog NAPI (loopback, RPS) has no device. */
	if (dev)
		cs->napi_dev = dev;
	tid = cs->napi_wake_tid;
	if (!tid)
		return;
	cs->napi_wake_tid = 0;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t)
		return;
	t->ev.chain.flags |= CHF_NAPI_SEEN | (work >= budget ? CHF_NAPI_FULL : 0);
	t->ev.chain.dev = TREAD(btf, napi, napi_id);
	if (dev) {
		struct net_device *nd = (void *)dev;

		bpf_core_read_str(t->ev.napi_dev, sizeof(t->ev.napi_dev), &nd->name);
	} else {
		t->ev.napi_dev[0] = 0;
	}
}

static __always_inline void on_hrtimer_entry(struct hrtimer *h, void *now)
{
	struct cpu_state *cs = this_cpu_state();

	if (!cs)
		return;
	cs->hrt = (__u64)h;
	cs->hrt_now = (__u64)now;
	cs->hrt_entry = bpf_ktime_get_ns();
}

static __always_inline void on_hrtimer_exit(void)
{
	struct cpu_state *cs = this_cpu_state();

	if (cs)
		cs->hrt = 0;
}

static __always_inline void on_cpu_frequency(__u32 freq, __u32 cpu)
{
	struct cpu_freq_rec *f = bpf_map_lookup_elem(&cpu_freq, &cpu);
	struct cpu_state *cs = bpf_map_lookup_elem(&cpus, &cpu);

	if (f)
		f->cur_khz = freq;
	if (cs)
		cs->freq_change_ts = bpf_ktime_get_ns();
}

/* ---- the programs: one tp_btf and one raw_tp per tracepoint ------------- */

/* Every run is counted; one in RUN_SAMPLE is timed (two clock reads), so
 * that the programs' cost is known without the kernel's BPF statistics,
 * whose switch patches kernel text and interrupts every CPU. */
#define RUN_SAMPLE 64

static __always_inline __u64 count_run(__u32 tp)
{
	__u64 *n = bpf_map_lookup_elem(&runs, &tp);

	if (!n)
		return 0;
	(*n)++;
	return (*n & (RUN_SAMPLE - 1)) ? 0 : bpf_ktime_get_ns();
}

static __always_inline void end_run(__u32 tp, __u64 t0)
{
	struct run_time *r;

	if (!t0)
		return;
	r = bpf_map_lookup_elem(&run_times, &tp);
	if (r) {
		r->ns += bpf_ktime_get_ns() - t0;
		r->cnt++;
	}
}

#define ARG(i) ((void *)ctx[i])
#define BOTH(idx, tp, body)                                                     \
	SEC("tp_btf/" #tp)                                                      \
	int btf_##tp(unsigned long long *ctx)                                   \
	{                                                                       \
		const bool btf __attribute__((unused)) = true;                  \
		__u64 t0 = count_run(idx);                                      \
		body;                                                           \
		end_run(idx, t0);                                               \
		return 0;                                                       \
	}                                                                       \
	SEC("raw_tp/" #tp)                                                      \
	int raw_##tp(unsigned long long *ctx)                                   \
	{                                                                       \
		const bool btf __attribute__((unused)) = false;                 \
		__u64 t0 = count_run(idx);                                      \
		body;                                                           \
		end_run(idx, t0);                                               \
		return 0;                                                       \
	}

BOTH(TP_SCHED_WAKING, sched_waking, on_waking(btf, ARG(0)))
/* The new task is already on the CPU it is queued on. */
BOTH(TP_SCHED_WAKEUP_NEW, sched_wakeup_new, on_waking(btf, ARG(0)))
BOTH(TP_SCHED_SWITCH, sched_switch, on_switch(btf, (bool)ctx[0], ARG(1), ARG(2)))
BOTH(TP_SCHED_MIGRATE, sched_migrate_task, on_migrate(btf, ARG(0), (__u32)ctx[1]))
BOTH(TP_FORK, sched_process_fork, on_fork(btf, ARG(0), ARG(1)))
BOTH(TP_EXIT, sched_process_exit, on_exit())
BOTH(TP_IRQ_ENTRY, irq_handler_entry, hardirq_enter((__u32)ctx[0], WAKE_HARDIRQ, ctx[1]))
BOTH(TP_IRQ_EXIT, irq_handler_exit, hardirq_exit(true))
BOTH(TP_LOC_ENTRY, local_timer_entry, hardirq_enter(DIAG_VEC_LOCAL_TIMER, WAKE_TIMER, 0))
BOTH(TP_LOC_EXIT, local_timer_exit, hardirq_exit(true))
BOTH(TP_RES_ENTRY, reschedule_entry, hardirq_enter(DIAG_VEC_RESCHEDULE, WAKE_IPI, 0))
BOTH(TP_RES_EXIT, reschedule_exit, hardirq_exit(false))
BOTH(TP_CAL_ENTRY, call_function_entry, hardirq_enter(DIAG_VEC_CALL_FUNC, WAKE_IPI, 0))
BOTH(TP_CAL_EXIT, call_function_exit, hardirq_exit(false))
BOTH(TP_CAL1_ENTRY, call_function_single_entry, hardirq_enter(DIAG_VEC_CALL_FUNC1, WAKE_IPI, 0))
BOTH(TP_CAL1_EXIT, call_function_single_exit, hardirq_exit(false))
BOTH(TP_SOFTIRQ_ENTRY, softirq_entry, softirq_enter((__u32)ctx[0]))
BOTH(TP_SOFTIRQ_EXIT, softirq_exit, softirq_exit())
BOTH(TP_NAPI_POLL, napi_poll, on_napi_poll(btf, ARG(0), (int)ctx[1], (int)ctx[2]))
BOTH(TP_CPU_IDLE, cpu_idle, on_cpu_idle((__u32)ctx[0]))
BOTH(TP_CPU_FREQ, cpu_frequency, on_cpu_frequency((__u32)ctx[0], (__u32)ctx[1]))
BOTH(TP_SYS_ENTER, sys_enter, on_sys_enter((long)ctx[1]))
BOTH(TP_SYS_EXIT, sys_exit, on_sys_exit())
BOTH(TP_PAGE_FAULT, page_fault_user, on_page_fault())
BOTH(TP_RQ_ISSUE, block_rq_issue, on_rq_issue(ARG(0)))
BOTH(TP_RQ_COMPLETE, block_rq_complete, on_rq_complete(ARG(0)))
BOTH(TP_WQ_START, workqueue_execute_start, on_work_start(btf, ARG(0)))
BOTH(TP_SOFTIRQ_RAISE, softirq_raise, on_softirq_raise((__u32)ctx[0]))
BOTH(TP_HRT_ENTRY, hrtimer_expire_entry, on_hrtimer_entry(ARG(0), ARG(1)))
BOTH(TP_HRT_EXIT, hrtimer_expire_exit, on_hrtimer_exit())
BOTH(TP_WQ_QUEUE, workqueue_queue_work, on_work_queue(ARG(2)))
