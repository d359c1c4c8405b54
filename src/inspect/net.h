/* inspect/net: interfaces (sysfs), net.core sysctls, and NAPI instances from the
 * `netdev` generic-netlink family (live, napi_netlink.h) or from a snapshot's
 * saved dump, joined to the interfaces by ifindex. */
#ifndef AGENTUNE_NET_H
#define AGENTUNE_NET_H

#include "base/host.h"
#include "base/util.h"
#include "inspect/napi_netlink.h"

/* Where a snapshot keeps what only netlink tells, relative to its root. */
#define NAPI_SNAPSHOT_PATH "/agentune/napi.json"

struct net_if {
	char name[32];
	int ifindex;               /* -1 unknown */
	char pci_bdf[32];          /* "" when not backed by a PCI function */
	char driver[64];
	char operstate[16];
	unsigned rx_queues, tx_queues;
	int64_t napi_defer_hard_irqs;   /* NA_S64 if missing */
	int64_t gro_flush_timeout_ns;   /* NA_S64 if missing */
	int threaded;              /* 1/0, -1 unavailable */
	bool is_virtual;           /* lives under /sys/devices/virtual */
};

struct net {
	bool available;
	char why[160];
	size_t n;
	struct net_if *ifs;
	int64_t netdev_budget, netdev_budget_usecs, busy_poll, busy_read; /* NA_S64 */
	bool napi_available;
	char napi_why[200];        /* e.g. "netdev netlink family not found" */
	size_t nnapi;
	struct napi_inst *napi;
};

int net_read(const struct host *h, struct net *out);
void net_free(struct net *n);
/* The NAPI instances as JSON text (the snapshot file); malloc'd. */
char *napi_to_json(const struct net *n);
/* Parses that text back (used for non-live roots).  0 or -EINVAL. */
int napi_from_json(const char *text, struct net *n, struct parse_error *err);
const struct napi_inst *net_napi_by_irq(const struct net *n, unsigned irq);
const struct net_if *net_if_by_name(const struct net *n, const char *name);

#endif
