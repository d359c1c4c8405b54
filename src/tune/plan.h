/* tune/plan: a profile resolved against one host into the list of changes it
 * would make, {knob, target, current -> new, the profile line it comes from},
 * in the order they are to be made.  Settings that already hold the wanted
 * value are left out (so applying a profile over another changes only what
 * differs); settings that do not exist on this host (no cpufreq, no uclamp)
 * become notes, not errors.
 *
 * Order matters for revert, which walks the journal backwards: cgroup
 * directories come before their attributes and before the process is moved
 * into them, so that revert moves the process back before removing them.
 */
#ifndef AGENTUNE_PLAN_H
#define AGENTUNE_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/cpumask.h"
#include "base/host.h"
#include "tune/change.h"
#include "tune/knob.h"
#include "inspect/model.h"
#include "tune/profile.h"
#include "tune/window.h"

struct plan_change {
	/* ch.old is the value found when planning (apply reads it again);
	 * ch.window: journaled by apply, written by the window controller
	 * while a window is open (new) and after (old). */
	struct change ch;
	/* Chosen by a broad selector (all, class:): a kernel-managed IRQ that
	 * refuses the change (EPERM, EIO) is skipped and reported, not a failure. */
	bool optional;
};

struct plan_note {
	char text[320];             /* "cpufreq floor: not applicable (no cpufreq on this host)" */
	char source[300];
};

struct plan {
	struct plan_change *c;
	size_t n, cap;
	struct plan_note *notes;
	size_t nnotes, notes_cap;
	struct cpumask agent_cpus, housekeeping;
	int pid;                    /* -1 without --pid */
	uint64_t pid_start;         /* its start time (/proc/PID/stat); 0 unknown */
	/* [pmqos] mode = window: the controller's parameters, when the plan
	 * starts one (a window_controller change). */
	struct window_params window;
	/* [pmqos] method, resolved against this host (inspect/cpuidle.h):
	 * warm_set when the profile asks to keep CPUs warm (mode static or
	 * window); warm is what acts here, warm_why the reason. */
	bool warm_set, warm_auto;
	enum warm_method warm;
	char warm_why[320];
	/* warm == WARM_POLL: the CPUs that get a poll thread of the
	 * controller, held while applied (static) or while a window is open. */
	struct cpumask poll_cpus;
	bool poll_static;
};

struct plan_opts {
	int pid;                    /* -1: none */
	/* The agent's systemd unit: its cgroup as /proc/PID/cgroup prints it
	 * ("/system.slice/agent.service"), or NULL.  The [cgroup] settings then
	 * act on that cgroup in each hierarchy, as `systemctl set-property
	 * --runtime` does, instead of creating one and moving the process out
	 * of systemd's tree; a hierarchy where the unit has no cgroup is
	 * skipped with a note (systemd is the one that creates them). */
	const char *unit_cgroup;
	const struct cpumask *cpus; /* --cpus; NULL: the profile's [agent] cpus */
	/* Tests only (AGENTUNE_PMQOS_WITHOUT_CPUIDLE=1): plan a method = qos
	 * constraint even where it changes nothing, as before method existed,
	 * so that the window controller's mechanics are tested on hosts
	 * without cpuidle. */
	bool qos_anyway;
};

/* Resolves p against the host h as m describes it.  0; -EINVAL with why
 * naming the profile line when the profile asks for something this host
 * cannot give (an interface or IRQ that does not exist, agent CPUs that are
 * offline, cpus=auto without --pid, a frequency above the hardware's); -errno. */
int plan_build(const struct host *h, const struct model *m, const struct profile *p,
	       const struct plan_opts *o, struct plan *out, char *why, size_t sz);
void plan_free(struct plan *pl);

#endif
