/* tune/knob_cgroup: the cgroup drivers.
 *
 *   cgroup_dir    "/sys/fs/cgroup/cpu/agentune"   value "present" | "absent"
 *   cgroup_attr   "/sys/fs/cgroup/cpu/agentune/cpu.shares"   (a file of a cgroup
 *                 directory under /sys/fs/cgroup, one of the attributes
 *                 knob_cgroup_attr_allowed accepts)
 *   cgroup_procs  "1234:/sys/fs/cgroup/cpu"   the cgroup (path relative to that
 *                 hierarchy's mount, "/" or "/agentune") that process 1234 is in
 *
 * On v1, v2 and hybrid hierarchies; through libcgroup on the live host
 * where it acts without side effects (knob_cgroup.c says when), and through
 * the plain files otherwise.
 */
#ifndef AGENTUNE_TUNE_KNOB_CGROUP_H
#define AGENTUNE_TUNE_KNOB_CGROUP_H

#include <stdbool.h>

#include "tune/knob_driver.h"

extern const struct knob_driver knob_cgroup_dir, knob_cgroup_attr, knob_cgroup_procs;

/* The cgroup attribute files a profile may set (v2 and v1 names). */
bool knob_cgroup_attr_allowed(const char *file);

#endif
