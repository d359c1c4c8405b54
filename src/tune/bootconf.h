/* tune/bootconf: /etc/agentune/agentune.conf, what agentune.service applies
 * at boot (`agentune apply --config FILE`) and which agent
 * agentune-metrics.service follows (`agentune top --config FILE`).
 *
 * An INI file (libinih), keys outside any section or in [agent]:
 *
 *	profile = agent-latency          # NAME or FILE (required for apply)
 *	unit    = my-agent.service       # the agent's systemd unit, or
 *	cgroup  = /system.slice/x.scope  # its cgroup (not both)
 *	cpus    = 2-3                    # the agent CPUs (else the profile's)
 *
 * Unknown keys, a second value for a key and malformed values are errors
 * naming the file, line, key and value.  A value is written as-is, without
 * quotes.
 */
#ifndef AGENTUNE_BOOTCONF_H
#define AGENTUNE_BOOTCONF_H

#include <stdbool.h>

#include "base/util.h"

#define BOOTCONF_DEFAULT "/etc/agentune/agentune.conf"

struct bootconf {
	char profile[4096];
	char unit[256];
	char cgroup[1024];
	char cpus[256];           /* "" = the profile's */
};

/* 0; -errno (the file cannot be read) or -EINVAL (malformed) with err
 * naming the file and line. */
int bootconf_load(const char *path, struct bootconf *c, struct parse_error *err);

#endif
