/* tune/knob_cgroup: the cgroup drivers.
 *
 *   cgroup_dir    "/sys/fs/cgroup/cpu/agentune"   value "present" | "absent"
 *   cgroup_attr   "/sys/fs/cgroup/cpu/agentune/cpu.shares"   (a file of a cgroup
 *                 directory under /sys/fs/cgroup, one of the attributes
 *                 knob_cgroup_attr_allowed accepts)
 *   cgroup_procs  "1234@98765:/sys/fs/cgroup/cpu"   the cgroup (path relative
 *                 to that hierarchy's mount, "/" or "/agentune") that process
 *                 1234, started at 98765 (field 22 of /proc/1234/stat, clock
 *                 ticks after boot), is in.  A pid that now names a process
 *                 started at another time is another process: it reads as
 *                 gone (-ENOENT) and is never written.  "1234:/sys/..."
 *                 (journals of older agentune) has no start time: unknown,
 *                 the pid is taken as it is (and revert --force will not
 *                 move it, tune.c).
 *
 * On v1, v2 and hybrid hierarchies; through libcgroup on the live host
 * where it acts without side effects (knob_cgroup.c says when), and through
 * the plain files otherwise.
 */
#ifndef AGENTUNE_TUNE_KNOB_CGROUP_H
#define AGENTUNE_TUNE_KNOB_CGROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "tune/knob_driver.h"

extern const struct knob_driver knob_cgroup_dir, knob_cgroup_attr, knob_cgroup_procs;

/* The cgroup attribute files a profile may set (v2 and v1 names). */
bool knob_cgroup_attr_allowed(const char *file);

/* The start time of process pid under h (field 22 of /proc/PID/stat).
 * 0; -ENOENT when it is gone (or a zombie); -EINVAL when stat is not
 * readable as one. */
int knob_pid_start(const struct host *h, int pid, uint64_t *start);

/* Whether a cgroup_procs target names its process's start time. */
bool knob_procs_has_start(const char *target);

#endif
