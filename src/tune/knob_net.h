/* tune/knob_net: the network drivers.
 *
 *   sysctl       "net.core.netdev_budget"    /proc/sys/net/core/netdev_budget; only
 *                net.core.{netdev_budget,netdev_budget_usecs,busy_poll,busy_read}
 *   netdev_attr  "eth0/napi_defer_hard_irqs" /sys/class/net/eth0/{napi_defer_hard_irqs,
 *                "eth0/gro_flush_timeout"    gro_flush_timeout}
 *   napi         "257/defer-hard-irqs"       the netdev netlink family, NAPI 257
 *                "257/gro-flush-timeout"     (live hosts only: NAPI_GET / NAPI_SET)
 */
#ifndef AGENTUNE_TUNE_KNOB_NET_H
#define AGENTUNE_TUNE_KNOB_NET_H

#include "tune/knob_driver.h"

extern const struct knob_driver knob_sysctl, knob_netdev_attr, knob_napi;

#endif
