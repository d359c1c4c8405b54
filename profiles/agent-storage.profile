# agent-storage: agent-latency, plus NVMe IRQs on the agent's NUMA node, for
# an agent whose steps wait on local storage (embeddings on disk, a vector
# index, a local model's weights being paged in).
#
# A completion IRQ on a CPU of another node costs a cross-node wakeup of the
# agent; on the agent's node it does not.  NVMe queue IRQs are usually
# kernel-managed (one queue per CPU, the affinity fixed by the kernel) and
# refuse to move: those are skipped and reported, since the kernel already
# completes each I/O on the CPU that issued it.

[main]
summary = agent-latency plus NVMe IRQs on the agent's NUMA node: for agents whose steps wait on local storage
include = agent-latency

[irq]
# After agent-latency's "all -> housekeeping": later rules win.
move = class:nvme -> agent-node
