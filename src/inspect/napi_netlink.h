/* inspect/napi_netlink: NAPI instances from the kernel's `netdev` generic-netlink
 * family: the NETDEV_CMD_NAPI_GET dump (Linux 6.8+) for net.c, and NAPI_GET /
 * NAPI_SET of one instance for the napi knob (knob.c).
 *
 * It speaks only for the kernel: which interface name an ifindex has is
 * net.c's business, which joins these instances to the interfaces it read. */
#ifndef AGENTUNE_NAPI_NETLINK_H
#define AGENTUNE_NAPI_NETLINK_H

#include <stddef.h>
#include <stdint.h>

/* One NAPI instance as the kernel reports it. */
struct napi_inst {
	unsigned id;
	int ifindex;
	char ifname[32];           /* from ifindex, filled by net.c; "" unknown */
	int irq;                   /* -1 when none */
	int pid;                   /* threaded NAPI kthread, -1 when none */
	int rx_queue;              /* rx queue it serves (netdev queue-get), -1 unknown */
	int64_t defer_hard_irqs;   /* NA_S64 when the kernel does not report it */
	int64_t gro_flush_timeout_ns;
	int64_t irq_suspend_timeout_ns;
};

/* Dumps every NAPI instance of the running kernel into *v (malloc'd, the
 * caller frees it; NULL when there is none) and *n, in the kernel's order,
 * ifname left "".  0 on success; a negative errno-style code with a reason
 * in why when the family is missing or the dump fails (*v and *n are then
 * left alone). */
int napi_netlink_dump(struct napi_inst **v, size_t *n, char *why, size_t whysz);

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
