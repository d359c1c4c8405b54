/* inspect/napi_netlink: NAPI instances from the kernel's `netdev` generic-netlink
 * family: the NETDEV_CMD_NAPI_GET dump (Linux 6.8+) for net.c, and NAPI_GET /
 * NAPI_SET of one instance for the napi knob (knob.c). */
#ifndef AGENTUNE_NAPI_NETLINK_H
#define AGENTUNE_NAPI_NETLINK_H

#include <stddef.h>
#include <stdint.h>

#include "inspect/net.h"

/* Dumps every NAPI instance of the running kernel into n->napi / n->nnapi
 * (replacing what was there; ifname is left "").  0 on success; a negative
 * errno-style code with a reason in why when the family is missing or the
 * dump fails. */
int napi_netlink_dump(struct net *n, char *why, size_t whysz);

/* The attributes napi_netlink_set can change (enum netdev_a_napi; the
 * build host's uapi headers predate them). */
#ifndef NETDEV_A_NAPI_DEFER_HARD_IRQS
#define NETDEV_A_NAPI_DEFER_HARD_IRQS 5    /* u32, Linux 6.13+ */
#endif
#ifndef NETDEV_A_NAPI_GRO_FLUSH_TIMEOUT
#define NETDEV_A_NAPI_GRO_FLUSH_TIMEOUT 6  /* uint, ns, 6.13+ */
#endif

/* One NAPI instance (NETDEV_CMD_NAPI_GET for id; ifname and rx_queue are
 * left ""/-1).  0; -ENOENT when there is no such NAPI; -errno with why. */
int napi_netlink_get(unsigned id, struct napi_inst *out, char *why, size_t whysz);

/* Sets attr (NETDEV_A_NAPI_DEFER_HARD_IRQS or
 * NETDEV_A_NAPI_GRO_FLUSH_TIMEOUT, in ns) of NAPI id: NETDEV_CMD_NAPI_SET,
 * Linux 6.13+.  0; -ENOENT when there is no such NAPI; -EOPNOTSUPP on older
 * kernels; -EPERM without CAP_NET_ADMIN; -errno with why. */
int napi_netlink_set(unsigned id, int attr, uint64_t value, char *why, size_t whysz);

#endif
