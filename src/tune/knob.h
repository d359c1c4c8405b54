/* tune/knob: the settings a profile may change, one driver per kind.  Each
 * can read the current value, validate a target and value, write, and tell
 * whether two values are the same setting (verification = read back +
 * knob_same).
 *
 * A knob is (kind, target); values are text in the form the kernel file
 * takes.  The kinds and their targets, by family (each family's header
 * says what its targets reach):
 *
 *   knob_irq.h     irq_affinity  "38"
 *   knob_net.h     sysctl        "net.core.netdev_budget"
 *                  netdev_attr   "eth0/napi_defer_hard_irqs"
 *                  napi          "257/defer-hard-irqs"
 *   knob_power.h   pm_qos        "3"
 *                  cpufreq_min   "policy0"
 *   knob_cgroup.h  cgroup_dir    "/sys/fs/cgroup/cpu/agentune"
 *                  cgroup_attr   "/sys/fs/cgroup/cpu/agentune/cpu.shares"
 *                  cgroup_procs  "1234:/sys/fs/cgroup/cpu"
 *   knob_timerslack.h  timer_slack  "1234/1240@98770" (thread 1240 of 1234)
 *
 * and one kind of change that is not a setting of the host:
 *
 *   window_controller  "pmqos"   the PM QoS window controller: "running" |
 *                  "stopped".  The knob layer only knows its syntax, so that
 *                  the journal can hold it; tune starts, stops and looks at
 *                  the process (winctl.h).  knob_read and knob_write refuse
 *                  it (-EOPNOTSUPP).
 *
 * knob_valid() is the guard that keeps a profile, a plan or a (forged)
 * journal from reaching any other file: every read and write checks it.
 */
#ifndef AGENTUNE_TUNE_KNOB_H
#define AGENTUNE_TUNE_KNOB_H

#include <stdbool.h>
#include <stddef.h>

#include "base/host.h"
#include "tune/knob_driver.h"

/* The window_controller kind's one target. */
#define KNOB_WINDOW_TARGET "pmqos"

/* Stable names, used in plans, the journal and JSON. */
const char *knob_name(enum knob_kind k);
bool knob_from_name(const char *s, enum knob_kind *k);

/* Whether k is a setting knob_read and knob_write reach (all kinds but the
 * window controller). */
bool knob_is_setting(enum knob_kind k);

/* Target and value are well formed for the kind and reach only the files
 * above.  val may be NULL to check the target alone. */
bool knob_valid(enum knob_kind k, const char *target, const char *val, char *why, size_t sz);

/* Current value, normalised (canonical CPU list, trimmed number, "n/a").
 * 0; -ENOENT when the target is gone (IRQ freed, process exited, cgroup
 * removed: cgroup_dir then reads "absent" and returns 0); -EOPNOTSUPP for
 * the window controller; -errno. */
int knob_read(const struct host *h, enum knob_kind k, const char *target, char *val, size_t sz);

/* Writes val.  0, or -errno with a reason a user can act on in why, e.g.
 * "IRQ 38 is managed by the kernel: its affinity cannot be changed (EIO)". */
int knob_write(const struct host *h, enum knob_kind k, const char *target, const char *val,
	       char *why, size_t sz);

/* Whether a and b are the same setting: CPU lists as sets, numbers
 * numerically, "n/a" only equal to itself. */
bool knob_same(enum knob_kind k, const char *a, const char *b);

/* Path of the file behind a file-backed target ("" for napi, cgroup_procs
 * and the window controller, and for an invalid target). */
void knob_path(enum knob_kind k, const char *target, char *out, size_t sz);

#endif
