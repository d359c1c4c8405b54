/* napi_netlink: NAPI instances from the kernel's `netdev` generic-netlink
 * family (NETDEV_CMD_NAPI_GET dump, Linux 6.8+).  Internal to net.c. */
#ifndef AGENTUNE_NAPI_NETLINK_H
#define AGENTUNE_NAPI_NETLINK_H

#include <stddef.h>

#include "net.h"

/* Dumps every NAPI instance of the running kernel into n->napi / n->nnapi
 * (replacing what was there; ifname is left "").  0 on success; a negative
 * errno-style code with a reason in why when the family is missing or the
 * dump fails. */
int napi_netlink_dump(struct net *n, char *why, size_t whysz);

#endif
