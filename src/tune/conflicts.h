/* tune/conflicts: the services that would undo a plan behind agentune's
 * back (irqbalance moves IRQs back within seconds; tuned sets the same IRQ,
 * PM QoS and sysctl settings again), and what to do about each. */
#ifndef AGENTUNE_TUNE_CONFLICTS_H
#define AGENTUNE_TUNE_CONFLICTS_H

#include "base/host.h"
#include "inspect/model.h"
#include "tune/plan.h"

/* Adds one warning to out per service, running or enabled at boot, that
 * conflicts with pl on the host m describes, saying precisely what:
 * irqbalance against IRQ moves, unless IRQBALANCE_BANNED_CPULIST keeps it
 * off the agent CPUs (then a milder one); tuned with the keys of its active
 * profile that set what pl changes (none: no warning; profile unknown: the
 * general warning).  0 or -ENOMEM. */
int conflicts_warn(const struct model *m, const struct plan *pl, struct strlist *out);

#endif
