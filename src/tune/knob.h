/* tune/knob: one driver per kind of setting a profile may change.  Each can read
 * the current value, validate a target and value, write, and tell whether
 * two values are the same setting (verification = read back + knob_same).
 *
 * A knob is (kind, target); values are text in the form the kernel file
 * takes.  Targets and what they reach:
 *
 *   irq_affinity  "38"                        /proc/irq/38/smp_affinity_list (CPU list)
 *   sysctl        "net.core.netdev_budget"    /proc/sys/net/core/netdev_budget; only
 *                 net.core.{netdev_budget,netdev_budget_usecs,busy_poll,busy_read}
 *   netdev_attr   "eth0/napi_defer_hard_irqs" /sys/class/net/eth0/{napi_defer_hard_irqs,
 *                 "eth0/gro_flush_timeout"    gro_flush_timeout}
 *   napi          "257/defer-hard-irqs"       the netdev netlink family, NAPI 257
 *                 "257/gro-flush-timeout"     (live hosts only: NAPI_GET / NAPI_SET)
 *   pm_qos        "3"                         /sys/devices/system/cpu/cpu3/power/
 *                                             pm_qos_resume_latency_us ("n/a", "0", µs)
 *   cpufreq_min   "policy0"                   /sys/devices/system/cpu/cpufreq/policy0/
 *                                             scaling_min_freq (kHz)
 *   cgroup_dir    "/sys/fs/cgroup/cpu/agentune"   value "present" | "absent"
 *   cgroup_attr   "/sys/fs/cgroup/cpu/agentune/cpu.shares"   (a file of a cgroup
 *                 directory under /sys/fs/cgroup, one of the attributes below)
 *   cgroup_procs  "1234:/sys/fs/cgroup/cpu"   the cgroup (path relative to that
 *                 hierarchy's mount, "/" or "/agentune") that process 1234 is in
 *   window_controller  "pmqos"                 the PM QoS window controller (winctl.h):
 *                 "running" | "stopped".  Only "stopped" can be written (it stops
 *                 the process); apply starts it through winctl_start.
 *
 * knob_valid() is the guard that keeps a profile, a plan or a (forged)
 * journal from reaching any other file: every read and write checks it.
 */
#ifndef AGENTUNE_KNOB_H
#define AGENTUNE_KNOB_H

#include <stdbool.h>
#include <stddef.h>

#include "base/host.h"

enum knob_kind {
	KNOB_IRQ_AFFINITY,
	KNOB_SYSCTL,
	KNOB_NETDEV_ATTR,
	KNOB_NAPI,
	KNOB_PMQOS,
	KNOB_CPUFREQ_MIN,
	KNOB_CGROUP_DIR,
	KNOB_CGROUP_ATTR,
	KNOB_CGROUP_PROCS,
	KNOB_WINDOW,
	KNOB__COUNT
};

#define KNOB_VAL_MAX 256
#define KNOB_TARGET_MAX 256

/* Stable names, used in plans, the journal and JSON. */
const char *knob_name(enum knob_kind k);
bool knob_from_name(const char *s, enum knob_kind *k);

/* The cgroup attribute files a profile may set (v2 and v1 names). */
bool knob_cgroup_attr_allowed(const char *file);

/* Target and value are well formed for the kind and reach only the files
 * above.  val may be NULL to check the target alone. */
bool knob_valid(enum knob_kind k, const char *target, const char *val, char *why, size_t sz);

/* Current value, normalised (canonical CPU list, trimmed number, "n/a").
 * 0; -ENOENT when the target is gone (IRQ freed, process exited, cgroup
 * removed: cgroup_dir then reads "absent" and returns 0); -errno. */
int knob_read(const struct host *h, enum knob_kind k, const char *target, char *val, size_t sz);

/* Writes val.  0, or -errno with a reason a user can act on in why, e.g.
 * "IRQ 38 is managed by the kernel: its affinity cannot be changed (EIO)". */
int knob_write(const struct host *h, enum knob_kind k, const char *target, const char *val,
	       char *why, size_t sz);

/* Whether a and b are the same setting: CPU lists as sets, numbers
 * numerically, "n/a" only equal to itself. */
bool knob_same(enum knob_kind k, const char *a, const char *b);

/* Path of the file behind a file-backed target ("" for napi/cgroup_procs). */
void knob_path(enum knob_kind k, const char *target, char *out, size_t sz);

/* The reason knob_write gives when writing cpus to IRQ irq's affinity
 * failed with err (an errno, either sign): EIO (a managed IRQ, or a chip
 * that cannot move it), ENOSPC (no free vector on those CPUs) and EINVAL
 * (CPUs offline or not allowed) are explained; anything else is strerror
 * with the path.  Returns -|err|. */
int knob_irq_error(int err, unsigned irq, const char *cpus, char *why, size_t sz);

#endif
