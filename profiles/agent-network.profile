# agent-network: agent-latency, plus NAPI and busy polling settings for an
# agent whose steps wait on the network (API calls, RPC, a local model
# server over TCP).
#
# The NIC's queue IRQs go to CPUs on the NIC's NUMA node (not necessarily
# housekeeping ones: crossing nodes costs more than sharing a CPU with the
# IRQ), the agent's sockets busy-poll for a short while before sleeping, and
# NAPI keeps the device IRQ masked while polling finds work.
#
# Busy polling spends CPU time while the agent waits; it pays off when
# replies come within tens of microseconds.  For agents that wait seconds on
# a remote model, agent-latency alone is the better choice.

[main]
summary = agent-latency plus NAPI and busy polling, NIC IRQs NUMA-local: for agents whose steps wait on the network
include = agent-latency

[irq]
# After agent-latency's "all -> housekeeping": later rules win.
move = class:net -> numa-local

[napi]
# auto: the interfaces the plan picks on this host (apply --dry-run lists
# them); name them instead (interfaces = eth0 eth1) to choose.
interfaces = auto
# 50us is the value the kernel's ip-sysctl documentation suggests to start
# with: long enough to catch a reply on the same host or rack, short enough
# that an idle socket costs little.
busy_poll = 50us
busy_read = 50us
# After a poll that found packets, NAPI re-polls from its timer instead of
# re-arming the device IRQ, until 2 polls in a row find nothing; the timer
# fires gro_flush_timeout after the last poll.  200us is a few times the
# busy poll time, so the agent's own busy polling, not the IRQ, picks up
# replies while it is active.
defer_hard_irqs = 2
gro_flush_timeout = 200us
# Twice the kernel's 300 packets per NET_RX softirq round: a round that runs
# out of budget (time_squeeze in /proc/net/softnet_stat) leaves the rest for
# the next round or for ksoftirqd, which is latency for those packets.
# netdev_budget_usecs stays at the kernel's default of two jiffies (2 ms at
# HZ=1000, 8 ms at HZ=250): 600 packets take far less.
netdev_budget = 600
