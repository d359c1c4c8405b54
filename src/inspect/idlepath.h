/* inspect/idlepath: how each CPU idles, and so what a wakeup from idle costs
 * it: the cpuidle driver's states, or no driver (idle is HLT); the idle=
 * boot option (/proc/cmdline); whether the host is a VM, where a HLT is a
 * VM exit (the hypervisor flag in /proc/cpuinfo, /sys/hypervisor/type, the
 * DMI vendor, a paravirtual clocksource); and whether the kernel has the
 * haltpoll cpuidle driver (/sys/module/cpuidle_haltpoll, else
 * /boot/config-RELEASE).  Every file is optional: what cannot be read is
 * unknown, never an error. */
#ifndef AGENTUNE_IDLEPATH_H
#define AGENTUNE_IDLEPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/host.h"
#include "inspect/cpuidle.h"

enum idle_kind {
	IDLE_KIND_UNKNOWN,    /* no cpuidle information in the tree */
	IDLE_KIND_BOOT_POLL,  /* idle=poll: the CPU polls and never halts */
	IDLE_KIND_HALT,       /* no cpuidle driver: idle is HLT (default_idle) */
	IDLE_KIND_POLL_ONLY,  /* every enabled state polls (exit latency 0) */
	IDLE_KIND_NO_POLL,    /* states, none polling: every idle pays the
	                       * shallowest one's exit, which no PM QoS
	                       * constraint can avoid */
	IDLE_KIND_STATES,     /* a polling state and deeper ones: a PM QoS
	                       * constraint can keep the CPU polling */
};

struct idle_cpu_path {
	unsigned cpu;
	enum idle_kind kind;
	/* The shallowest enabled state that does not poll (NO_POLL, STATES):
	 * what an idle CPU enters first.  name "" when there is none. */
	char first_name[32];
	uint64_t first_latency_us; /* NA_U64 unknown */
};

struct idlepath {
	/* /proc/cmdline: the idle= option ("poll", "halt", "nomwait"; ""
	 * when not given); cmdline_read false when the file is unreadable. */
	bool cmdline_read;
	char idle_opt[16];
	/* 1 a VM, 0 not one, -1 unknown; hypervisor "KVM", "Xen", ... ("" when
	 * the VM's kind is unknown); vm_evidence what told. */
	int vm;
	char hypervisor[48];
	char vm_evidence[256];
	/* The haltpoll cpuidle driver: 1 in this kernel (built in, loaded, or a
	 * module), 0 not, -1 unknown; haltpoll_force the cpuidle_haltpoll.force
	 * parameter (1 Y, 0 N, -1 unknown); haltpoll_how where that was read. */
	int haltpoll;
	int haltpoll_force;
	bool haltpoll_module;      /* CONFIG_HALTPOLL_CPUIDLE=m: modprobe */
	char haltpoll_how[160];
	size_t n;                  /* one per CPU of the cpuidle reading */
	struct idle_cpu_path *cpu;
};

/* Reads the files above for the CPUs idle holds; kernel is the release
 * (/proc/sys/kernel/osrelease, "" unknown) for /boot/config-RELEASE.
 * 0 or -ENOMEM. */
int idlepath_read(const struct host *h, const struct cpuidle *idle, const char *kernel,
		  struct idlepath *out);
void idlepath_free(struct idlepath *p);

const struct idle_cpu_path *idlepath_cpu(const struct idlepath *p, unsigned cpu);

/* Stable names for JSON: "unknown", "poll-boot", "halt", "poll-only",
 * "no-poll-state", "states". */
const char *idle_kind_name(enum idle_kind k);

/* "no cpuidle driver: idle is HLT (VM: KVM)", "cpuidle haltpoll: POLL,
 * then haltpoll idle (exit 1 us)": one CPU's idle path, for people. */
void idlepath_describe(const struct idlepath *p, const struct cpuidle *idle,
		       const struct idle_cpu_path *c, char *buf, size_t sz);

/* Whether a wakeup from idle on c pays an exit no PM QoS constraint can
 * avoid and that is expensive here: a halt (no driver, or no polling
 * state) on a VM, where it is a VM exit; or, off a VM, a shallowest state
 * at least min_us deep. */
bool idlepath_exit_unavoidable(const struct idlepath *p, const struct idle_cpu_path *c,
			       uint64_t min_us);

#endif
