/* inspect/services: daemons that would fight a profile (irqbalance, tuned):
 * running now, enabled to start at boot (systemd wants links, sysv rc
 * links under the tree's /etc), irqbalance's IRQBALANCE_BANNED_CPULIST and
 * tuned's active profile with the settings it makes. */
#ifndef AGENTUNE_SERVICES_H
#define AGENTUNE_SERVICES_H

#include "base/host.h"

#define SVC_TUNED_KEYS 48

/* Whether a service starts at boot, as /etc says. */
struct svc_boot {
	int enabled;               /* 1 yes, 0 no, -1 unknown (no init config in the tree) */
	char by[200];              /* the link that enables it, e.g.
	                              /etc/systemd/system/multi-user.target.wants/irqbalance.service */
};

struct services {
	bool available;
	char why[160];
	int irqbalance_pid;        /* 0 when not running */
	int tuned_pid;
	struct svc_boot irqbalance_boot, tuned_boot;
	/* IRQBALANCE_BANNED_CPULIST as written ("" when not set) and the file
	 * ("" when neither /etc/default/irqbalance nor /etc/sysconfig/irqbalance
	 * exists). */
	char irqbalance_banned[128];
	char irqbalance_conf[64];
	/* tuned's active profile ("" when none) and the keys its tuned.conf
	 * (with its includes) sets, as "plugin.key" ("cpu.force_latency",
	 * "sysctl.net.core.busy_poll"); tuned_keys_read false when the profile's
	 * tuned.conf was not found. */
	char tuned_profile[128];
	bool tuned_keys_read;
	char tuned_keys[SVC_TUNED_KEYS][80];
	size_t ntuned_keys;
};

int services_read(const struct host *h, struct services *out);

#endif
