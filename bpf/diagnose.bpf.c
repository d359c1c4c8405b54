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
 * read); for followed threads, one hash lookup each and one clock read per
 * program run.  There is no sched_wakeup program: sched_waking and
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

/* Written by user space after load (mmapped .bss). */
__u64 slow_ns = 0;                         /* raised to keep about the slowest N */
__u32 stage_off = 0;                       /* stages whose tracepoints did not attach */
/* sched_migrate_task did not attach: the CPU a wakeup queues a thread on is
 * not known (see wake_target()). */
bool wake_target_off = false;

#define PF_EXITING 0x4
#define ENOSYS 38
#define PWR_EVENT_EXIT ((__u32)-1)

/* What this CPU is doing, written only by the CPU itself (except the idle and
 * switch fields, which sched_waking and sched_migrate_task read for a remote
 * target CPU).  128 bytes so two CPUs never share a cache line.
 *
 * "In a hardirq / softirq" (hi_kind, si_in) is kept on every CPU, for the
 * wake source; the time spent in them (hi_start, si_start and the totals)
 * only while a followed thread runs here (`tracked`), since only its
 * segments read the totals: elsewhere an interrupt costs no clock read. */
struct cpu_state {
	__u64 hi_start;        /* hardirq entry while tracked, else 0 */
	__u64 hi_action;       /* struct irqaction * of a device IRQ */
	__u32 hi_irq;          /* IRQ number or DIAG_VEC_* */
	__u32 hi_kind;         /* enum wake_kind of the hardirq, 0 outside one */
	__u64 si_start;        /* softirq entry while tracked, else 0 */
	__u64 si_hard_ns;      /* hardirq time nested in the current softirq */
	__u32 si_vec;
	__u32 idle1;           /* idle state + 1, 0 when not idle */
	__u32 last_idle1;      /* state + 1 of the last idle period */
	__u32 switches;        /* sched_switch count */
	__u64 idle_exit_ts;
	__u64 hardirq_ns, hardirq_cnt, softirq_ns, softirq_cnt;
	__u64 napi_dev;        /* struct net_device * of the last NAPI polled */
	__u64 wq_func;         /* work function the kworker wq_pid runs */
	__u32 wq_pid;
	__u32 tracked;         /* a followed thread is running here */
	__u32 si_in;           /* inside a softirq */
	__u32 pad;
};

struct rq_issue {
	__u64 ts;
	__u32 tid;
	__u32 pad;
};

_Static_assert(sizeof(struct cpu_state) == 128, "cpu_state is two cache lines");

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
	__type(value, __u32);
} cpu_freq SEC(".maps");

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
 * user space or a fork put in the map? */
static __always_inline bool is_target(__u32 tgid, __u32 tid)
{
	return targ_tgid && tgid == targ_tgid && (!targ_tid || tid == targ_tid);
}

/* Cheap filter before the hash lookup: without --children and with a target
 * process, only that process's threads can be in the map. */
static __always_inline bool may_track(__u32 tgid, __u32 tid)
{
	if (follow_children || !targ_tgid)
		return true;
	return is_target(tgid, tid);
}

static __always_inline struct diag_thread *track(__u32 tid, __u32 tgid)
{
	__u32 zero = 0;
	struct diag_thread *t = bpf_map_lookup_elem(&scratch, &zero);

	if (!t)
		return NULL;
	__builtin_memset(t, 0, sizeof(*t));
	t->cur_syscall = -1;
	t->block_syscall = -1;
	t->last_cpu = -1;
	t->wakeup_cpu = -1;
	t->st.tid = tid;
	t->st.tgid = tgid;
	if (bpf_map_update_elem(&threads, &tid, t, BPF_NOEXIST)) {
		t = bpf_map_lookup_elem(&threads, &tid);
		if (!t)
			count(CNT_TRACK_FULL);
		return t;
	}
	return bpf_map_lookup_elem(&threads, &tid);
}

/* The thread state of a task; with `task`, created when it belongs to the
 * target.  An exiting task is not (re)created: it may still block and be
 * woken after sched_process_exit removed it. */
static __always_inline struct diag_thread *task_thread(bool btf, __u32 tid, __u32 tgid,
						       struct task_struct *task)
{
	struct diag_thread *t;

	if (!may_track(tgid, tid))
		return NULL;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (!t && task && is_target(tgid, tid) && !(TREAD(btf, task, flags) & PF_EXITING))
		t = track(tid, tgid);
	return t;
}

static __always_inline struct diag_thread *current_thread(void)
{
	__u64 id = bpf_get_current_pid_tgid();

	return task_thread(false, (__u32)id, id >> 32, NULL);
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

static __always_inline void hardirq_enter(__u32 irq, __u32 kind, __u64 action)
{
	struct cpu_state *cs = this_cpu_state();

	if (!cs)
		return;
	cs->hi_irq = irq;
	cs->hi_kind = kind;
	cs->hi_action = action;
	if (cs->tracked)
		cs->hi_start = bpf_ktime_get_ns();
}

static __always_inline void hardirq_exit(void)
{
	struct cpu_state *cs = this_cpu_state();
	__u64 d;

	if (!cs)
		return;
	cs->hi_kind = 0;
	if (!cs->hi_start)
		return;
	d = bpf_ktime_get_ns() - cs->hi_start;
	cs->hardirq_ns += d;
	cs->hardirq_cnt++;
	if (cs->si_start)
		cs->si_hard_ns += d;
	cs->hi_start = 0;
}

static __always_inline void softirq_enter(__u32 vec)
{
	struct cpu_state *cs = this_cpu_state();

	if (!cs)
		return;
	cs->si_vec = vec;
	cs->si_in = 1;
	if (cs->tracked) {
		cs->si_start = bpf_ktime_get_ns();
		cs->si_hard_ns = 0;
	}
}

static __always_inline void softirq_exit(void)
{
	struct cpu_state *cs = this_cpu_state();
	__u64 d;

	if (!cs)
		return;
	cs->si_in = 0;
	if (!cs->si_start)
		return;
	d = bpf_ktime_get_ns() - cs->si_start;
	/* A hardirq that interrupted the softirq is hardirq time, not softirq. */
	d = d > cs->si_hard_ns ? d - cs->si_hard_ns : 0;
	cs->softirq_ns += d;
	cs->softirq_cnt++;
	cs->si_start = 0;
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

/* ---- wakeup ----------------------------------------------------------- */

/* The 16 bytes of a trusted task's name, as bpf_get_current_comm() would
 * copy them (the kernel keeps comm NUL-padded) but without a helper call. */
static __always_inline void copy_comm(char *dst, struct task_struct *task)
{
	__u64 *d = (void *)dst, *s = (void *)task->comm;

	d[0] = s[0];
	d[1] = s[1];
}

/* Who woke the thread: the innermost interrupt on the waker's CPU, else the
 * running task.  Runs on the waker's CPU. */
static __always_inline void wake_source(bool btf, struct step_event *ev)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct cpu_state *cs = bpf_map_lookup_elem(&cpus, &cpu);
	__u64 id = bpf_get_current_pid_tgid();

	ev->wake_cpu = cpu;
	if (cs && cs->hi_kind) {
		ev->wake_kind = cs->hi_kind;
		ev->wake_arg = cs->hi_irq;
		if (cs->hi_action) {
			struct irqaction *a = (void *)cs->hi_action;

			bpf_probe_read_kernel_str(ev->irq_name, sizeof(ev->irq_name),
						  BPF_CORE_READ(a, name));
		}
		return;
	}
	if (cs && cs->si_in) {
		__u32 vec = cs->si_vec;

		ev->wake_arg = vec;
		if (vec == DIAG_SOFTIRQ_TIMER || vec == DIAG_SOFTIRQ_HRTIMER) {
			ev->wake_kind = WAKE_TIMER;
		} else {
			ev->wake_kind = WAKE_SOFTIRQ;
			if (vec == DIAG_SOFTIRQ_NET_RX && cs->napi_dev) {
				struct net_device *dev = (void *)cs->napi_dev;

				bpf_core_read_str(ev->napi_dev, sizeof(ev->napi_dev), &dev->name);
			}
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
	if (cs && cs->wq_pid == (__u32)id)
		ev->work_func = cs->wq_func;
}

/* The CPU the wakeup queues the thread on: its idle state and switch count
 * now, for the idle state at wakeup and the switches it queued behind.  At
 * sched_waking that is the CPU the thread last ran on; when the wakeup
 * picks another one, sched_migrate_task says so before it is queued.  (A
 * sched_wakeup program would know it directly, at the cost of one more
 * program run on every wakeup of the system.) */
static __always_inline void wake_target(struct diag_thread *t, __u32 cpu)
{
	struct cpu_state *cs = bpf_map_lookup_elem(&cpus, &cpu);

	if (!cs || wake_target_off)
		return;
	t->ev.idle_state = (__s32)cs->idle1 - 1;
	t->wakeup_cpu = cpu;
	t->wakeup_switches = cs->switches;
}

static __always_inline void on_waking(bool btf, struct task_struct *p)
{
	__u32 tid = TREAD(btf, p, pid), tgid = TREAD(btf, p, tgid);
	struct diag_thread *t = task_thread(btf, tid, tgid, p);
	struct step_event *ev;
	__u64 now;

	if (!t)
		return;
	/* Woken while still on its CPU (before it blocked) or already
	 * runnable: not a new step. */
	if (t->flags & (TS_ON_CPU | TS_WOKEN | TS_IN_STEP))
		return;
	now = bpf_ktime_get_ns();
	ev = &t->ev;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = now;
	ev->pid = tgid;
	ev->tid = tid;
	ev->idle_state = -1;
	ev->syscall_nr = (__u32)-1;
	wake_source(btf, ev);
	t->wait_known = t->block_ts != 0;
	if (t->block_ts) {
		ev->stage_ns[STAGE_WAIT] = now - t->block_ts;
		ev->syscall_nr = (__u32)t->block_syscall;
	}
	ev->stage_ns[STAGE_BLOCK_IO] = t->pending_bio_ns;
	t->pending_bio_ns = 0;
	t->waking_ts = now;
	t->wakeup_cpu = -1;
	wake_target(t, task_cpu(btf, p));
	t->flags |= TS_WOKEN;
}

/* ---- the step --------------------------------------------------------- */

static __always_inline void finish_step(struct diag_thread *t)
{
	struct step_event *ev = &t->ev;
	__u64 thresh = slow_ns > slow_floor_ns ? slow_ns : slow_floor_ns;
	__u32 zero = 0;
	struct diag_counters *c = bpf_map_lookup_elem(&counters, &zero);

	if (!c)
		return;         /* never: a per-CPU array element */
	if (stage_disable | stage_off) {
#pragma unroll
		for (int s = 0; s < STAGE_MAX; s++)
			if (!stage_on(s))
				ev->stage_ns[s] = 0;
	}
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
	if (ev->step_ns >= thresh) {
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
				       struct task_struct *prev, bool preempt, __u64 now)
{
	bool blocked;

	if (t->flags & TS_ON_CPU) {
		if (t->flags & TS_IN_STEP) {
			struct step_event *ev = &t->ev;

			ev->stage_ns[STAGE_RUN] += now - t->seg_start;
			ev->stage_ns[STAGE_IRQ] += cs->hardirq_ns - t->seg_hi_ns;
			ev->stage_ns[STAGE_SOFTIRQ] += cs->softirq_ns - t->seg_si_ns;
			ev->irq_count += cs->hardirq_cnt - t->seg_hi_cnt;
			ev->softirq_count += cs->softirq_cnt - t->seg_si_cnt;
		}
		t->flags &= ~TS_ON_CPU;
	}
	/* Preempted (or preempted before it could call schedule()): still
	 * runnable, the step goes on. */
	blocked = !preempt && task_state(btf, prev) != 0;
	if (!blocked) {
		t->out_ts = now;
		return;
	}
	if (t->flags & TS_IN_STEP)
		finish_step(t);
	t->flags &= ~(TS_IN_STEP | TS_WOKEN);
	t->block_ts = now;
	t->block_syscall = syscall_from_regs ? current_syscall() : t->cur_syscall;
}

static __always_inline void switch_in(bool btf, struct diag_thread *t, struct cpu_state *cs,
				      struct task_struct *prev, __u32 cpu, __u64 now)
{
	struct step_event *ev = &t->ev;

	t->flags |= TS_ON_CPU;
	t->seg_start = now;
	t->seg_hi_ns = cs->hardirq_ns;
	t->seg_hi_cnt = cs->hardirq_cnt;
	t->seg_si_ns = cs->softirq_ns;
	t->seg_si_cnt = cs->softirq_cnt;

	if (t->flags & TS_IN_STEP) {
		if (t->out_ts)
			ev->preempted_ns += now - t->out_ts;
		t->out_ts = 0;
		return;
	}
	if (!(t->flags & TS_WOKEN))
		return;         /* first seen mid-step: not measured */
	t->flags = (t->flags & ~TS_WOKEN) | TS_IN_STEP;
	t->out_ts = 0;

	__u64 wr = now - t->waking_ts, ie = 0;

	/* The CPU left idle after the wakeup: that much of wake->run is idle
	 * exit, the rest is queueing behind whatever ran. */
	if (cs->idle_exit_ts > t->waking_ts && stage_on(STAGE_IDLE_EXIT)) {
		ie = cs->idle_exit_ts - t->waking_ts;
		if (ie > wr)
			ie = wr;
		ev->idle_state = (__s32)cs->last_idle1 - 1;
	}
	ev->stage_ns[STAGE_WAKE_RUN] = wr;
	ev->stage_ns[STAGE_IDLE_EXIT] = ie;
	ev->stage_ns[STAGE_QUEUE] = wr - ie;
	ev->cpu = cpu;
	ev->prev_cpu = (__u32)t->last_cpu;
	t->last_cpu = cpu;
	if ((__u32)t->wakeup_cpu == cpu && cs->switches > t->wakeup_switches)
		ev->queued_behind = cs->switches - t->wakeup_switches - 1;
	/* prev is current here: the task that ran last before this one. */
	if (btf) {
		ev->preempt_pid = prev->pid;
		copy_comm(ev->preempt_comm, prev);
	} else {
		ev->preempt_pid = (__u32)bpf_get_current_pid_tgid();
		bpf_get_current_comm(ev->preempt_comm, sizeof(ev->preempt_comm));
	}

	__u32 *f = bpf_map_lookup_elem(&cpu_freq, &cpu);

	ev->freq_khz = f ? *f : 0;
}

static __always_inline void on_switch(bool btf, bool preempt, struct task_struct *prev,
				      struct task_struct *next)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct cpu_state *cs = bpf_map_lookup_elem(&cpus, &cpu);
	struct diag_thread *t;
	__u32 tid, tgid;
	__u64 now = 0;

	if (!cs)
		return;
	cs->switches++;
	/* No switch happens inside an interrupt: a context left set means an
	 * exit event was missed. */
	if (cs->hi_kind | cs->si_in) {
		cs->hi_kind = 0;
		cs->hi_start = 0;
		cs->si_in = 0;
		cs->si_start = 0;
	}

	/* prev is current: a tp_btf program reads it directly. */
	if (btf) {
		tid = prev->pid;
		tgid = prev->tgid;
	} else {
		__u64 id = bpf_get_current_pid_tgid();

		tid = (__u32)id;
		tgid = id >> 32;
	}
	t = task_thread(btf, tid, tgid, NULL);
	if (t) {
		now = bpf_ktime_get_ns();
		switch_out(btf, t, cs, prev, preempt, now);
	}
	tid = TREAD(btf, next, pid);
	t = tid ? task_thread(btf, tid, TREAD(btf, next, tgid), next) : NULL;  /* 0: idle */
	/* Interrupt time is counted only while a followed thread runs. */
	if (cs->tracked != (t != NULL))
		cs->tracked = t != NULL;
	if (t) {
		if (!now)
			now = bpf_ktime_get_ns();
		switch_in(btf, t, cs, prev, cpu, now);
	}
}

static __always_inline void on_migrate(bool btf, struct task_struct *p, __u32 dest_cpu)
{
	struct diag_thread *t = task_thread(btf, TREAD(btf, p, pid), TREAD(btf, p, tgid), NULL);

	if (!t || !(t->flags & (TS_WOKEN | TS_IN_STEP)))
		return;
	t->ev.migrations++;
	/* Moved by the wakeup itself (not yet queued anywhere, unlike a
	 * queued thread the load balancer moves): that is where it is
	 * queued. */
	if ((t->flags & TS_WOKEN) && !TREAD(btf, p, on_rq))
		wake_target(t, dest_cpu);
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
		if (!is_target(ctgid, ctid) && !task_thread(btf, ptid, ptgid, NULL))
			return;
	} else {
		if (!follow_children || !task_thread(btf, ptid, ptgid, NULL))
			return;
	}
	if (track(ctid, ctgid))
		count(CNT_FORKS);
}

static __always_inline void on_exit(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct diag_thread *t = task_thread(false, tid, id >> 32, NULL);

	if (!t)
		return;
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

	if (!task_thread(false, (__u32)id, id >> 32, NULL))
		return;
	ri.ts = bpf_ktime_get_ns();
	ri.tid = (__u32)id;
	bpf_map_update_elem(&rq_issued, &key, &ri, BPF_ANY);
}

static __always_inline void on_rq_complete(struct request *rq)
{
	__u64 key = (__u64)rq;
	struct rq_issue *ri = bpf_map_lookup_elem(&rq_issued, &key);
	struct diag_thread *t;
	__u32 tid;

	if (!ri)
		return;
	tid = ri->tid;
	t = bpf_map_lookup_elem(&threads, &tid);
	if (t)
		t->pending_bio_ns = bpf_ktime_get_ns() - ri->ts;
	bpf_map_delete_elem(&rq_issued, &key);
}

static __always_inline void on_work_start(bool btf, struct work_struct *work)
{
	struct cpu_state *cs = this_cpu_state();

	if (!cs)
		return;
	cs->wq_pid = (__u32)bpf_get_current_pid_tgid();
	cs->wq_func = (__u64)TREAD(btf, work, func);
}

static __always_inline void on_napi_poll(bool btf, struct napi_struct *napi)
{
	struct cpu_state *cs = this_cpu_state();
	__u64 dev = (__u64)TREAD(btf, napi, dev);

	/* The backlog NAPI (loopback, RPS) has no device. */
	if (cs && dev)
		cs->napi_dev = dev;
}

static __always_inline void on_cpu_frequency(__u32 freq, __u32 cpu)
{
	__u32 *f = bpf_map_lookup_elem(&cpu_freq, &cpu);

	if (f)
		*f = freq;
}

/* ---- the programs: one tp_btf and one raw_tp per tracepoint ------------- */

static __always_inline void count_run(__u32 tp)
{
	__u64 *n = bpf_map_lookup_elem(&runs, &tp);

	if (n)
		(*n)++;
}

#define ARG(i) ((void *)ctx[i])
#define BOTH(idx, tp, body)                                                     \
	SEC("tp_btf/" #tp)                                                      \
	int btf_##tp(unsigned long long *ctx)                                   \
	{                                                                       \
		const bool btf __attribute__((unused)) = true;                  \
		count_run(idx);                                                 \
		body;                                                           \
		return 0;                                                       \
	}                                                                       \
	SEC("raw_tp/" #tp)                                                      \
	int raw_##tp(unsigned long long *ctx)                                   \
	{                                                                       \
		const bool btf __attribute__((unused)) = false;                 \
		count_run(idx);                                                 \
		body;                                                           \
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
BOTH(TP_IRQ_EXIT, irq_handler_exit, hardirq_exit())
BOTH(TP_LOC_ENTRY, local_timer_entry, hardirq_enter(DIAG_VEC_LOCAL_TIMER, WAKE_TIMER, 0))
BOTH(TP_LOC_EXIT, local_timer_exit, hardirq_exit())
BOTH(TP_RES_ENTRY, reschedule_entry, hardirq_enter(DIAG_VEC_RESCHEDULE, WAKE_IPI, 0))
BOTH(TP_RES_EXIT, reschedule_exit, hardirq_exit())
BOTH(TP_CAL_ENTRY, call_function_entry, hardirq_enter(DIAG_VEC_CALL_FUNC, WAKE_IPI, 0))
BOTH(TP_CAL_EXIT, call_function_exit, hardirq_exit())
BOTH(TP_CAL1_ENTRY, call_function_single_entry, hardirq_enter(DIAG_VEC_CALL_FUNC1, WAKE_IPI, 0))
BOTH(TP_CAL1_EXIT, call_function_single_exit, hardirq_exit())
BOTH(TP_SOFTIRQ_ENTRY, softirq_entry, softirq_enter((__u32)ctx[0]))
BOTH(TP_SOFTIRQ_EXIT, softirq_exit, softirq_exit())
BOTH(TP_NAPI_POLL, napi_poll, on_napi_poll(btf, ARG(0)))
BOTH(TP_CPU_IDLE, cpu_idle, on_cpu_idle((__u32)ctx[0]))
BOTH(TP_CPU_FREQ, cpu_frequency, on_cpu_frequency((__u32)ctx[0], (__u32)ctx[1]))
BOTH(TP_SYS_ENTER, sys_enter, on_sys_enter((long)ctx[1]))
BOTH(TP_SYS_EXIT, sys_exit, on_sys_exit())
BOTH(TP_PAGE_FAULT, page_fault_user, on_page_fault())
BOTH(TP_RQ_ISSUE, block_rq_issue, on_rq_issue(ARG(0)))
BOTH(TP_RQ_COMPLETE, block_rq_complete, on_rq_complete(ARG(0)))
BOTH(TP_WQ_START, workqueue_execute_start, on_work_start(btf, ARG(0)))
