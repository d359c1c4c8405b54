// SPDX-License-Identifier: GPL-2.0
/* stepwatch.bpf.c: the agent's steps, per CPU, for the PM QoS window
 * controller (src/tune/winctl.c).
 *
 * A step is an agent task switched in on a CPU the controller manages.  Each
 * one stores its time in that CPU's slot (the controller reads it at a
 * window's deadline to decide whether to extend it), and only when the slot
 * asks for it (notify: no window open there) sends one event through the
 * ring buffer.  So user space hears once per window, not once per step.
 *
 * The agent is one process and, with follow_children, every process it
 * forks afterwards; without a target process, any user task on a managed
 * CPU counts (an agent pinned to its own CPUs), except the controller itself.
 *
 * notify is written by both sides without atomics.  The worst a race can
 * do: an event for a CPU whose window just opened (the controller ignores
 * it), or a step that does not notify (the next one does).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "stepwatch.h"

char LICENSE[] SEC("license") = "GPL";

#define PF_KTHREAD 0x00200000

/* Set by user space before load. */
const volatile __u32 targ_tgid = 0;        /* 0: any user task on a managed CPU */
const volatile bool follow_children = true;
const volatile __u32 self_tgid = 0;        /* the controller: never a step */

/* Mmapped by user space. */
struct stepwatch_cpu cpus[STEPWATCH_MAX_CPUS];

/* Descendants of targ_tgid (processes, by tgid). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STEPWATCH_MAX_AGENTS);
	__type(key, __u32);
	__type(value, __u8);
} agents SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

static __always_inline bool is_agent(struct task_struct *t, __u32 tgid)
{
	if (!targ_tgid)
		return tgid != self_tgid && !(BPF_CORE_READ(t, flags) & PF_KTHREAD);
	if (tgid == targ_tgid)
		return true;
	return follow_children && bpf_map_lookup_elem(&agents, &tgid);
}

static __always_inline void on_switch(struct task_struct *next)
{
	__u32 cpu = bpf_get_smp_processor_id();

	if (cpu >= STEPWATCH_MAX_CPUS)
		return;
	struct stepwatch_cpu *c = &cpus[cpu];

	if (!c->in_scope)
		return;
	__u32 pid = BPF_CORE_READ(next, pid), tgid = BPF_CORE_READ(next, tgid);

	if (!pid || !is_agent(next, tgid))
		return;
	__u64 now = bpf_ktime_get_ns();

	c->last_step_ns = now;
	c->steps++;
	if (!c->notify)
		return;
	c->notify = 0;
	struct stepwatch_event ev = { .cpu = cpu, .tgid = tgid, .ts = now };

	bpf_ringbuf_output(&events, &ev, sizeof(ev), 0);
}

static __always_inline void on_fork(struct task_struct *parent, struct task_struct *child)
{
	if (!targ_tgid || !follow_children)
		return;
	__u32 ptgid = BPF_CORE_READ(parent, tgid), ctgid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (ctgid == ptgid)
		return;             /* a new thread, not a new process */
	if (ptgid == targ_tgid || bpf_map_lookup_elem(&agents, &ptgid))
		bpf_map_update_elem(&agents, &ctgid, &one, BPF_ANY);
}

static __always_inline void on_exit(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;

	if (targ_tgid && (__u32)id == tgid)
		bpf_map_delete_elem(&agents, &tgid);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(btf_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	on_switch(next);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(raw_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	on_switch(next);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(btf_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	on_fork(parent, child);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(raw_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	on_fork(parent, child);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(btf_sched_process_exit, struct task_struct *p)
{
	on_exit();
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(raw_sched_process_exit, struct task_struct *p)
{
	on_exit();
	return 0;
}
