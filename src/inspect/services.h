/* inspect/services: daemons that would fight a profile (irqbalance, tuned). */
#ifndef AGENTUNE_SERVICES_H
#define AGENTUNE_SERVICES_H

#include "base/host.h"

struct services {
	bool available;
	char why[160];
	int irqbalance_pid;        /* 0 when not running */
	int tuned_pid;
};

int services_read(const struct host *h, struct services *out);

#endif
