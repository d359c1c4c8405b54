# agent-isolated: agent-latency, with the agent's CPUs reserved for it.
#
# The agent's cgroup gets the agent CPUs as its cpuset and, with isolate,
# the other cgroups' cpusets are shrunk to the housekeeping CPUs, so that no
# other task is scheduled there (kernel threads bound to a CPU excepted).
# Use it on hosts with CPUs to spare, for one agent that must not share.
# Everything else on the host gets fewer CPUs until revert.

[main]
summary = agent-latency with the agent's CPUs reserved through cpuset, every other task moved off them
include = agent-latency

[cgroup]
# auto: the agent CPUs.
cpuset = auto
isolate = yes
