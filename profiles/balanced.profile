# balanced: the base that every shipped profile includes.
#
# It says who is who and little more: the agent's CPUs are the ones the
# --pid process may run on, every other online CPU is housekeeping, and the
# agent runs in a cgroup of its own at the default weight.  The cgroup is
# what the other profiles tune (weight, uclamp, cpuset), and it gives revert
# one place to move the process back from.  No interrupt, NAPI or power
# setting is touched here.
#
# Apply it alone to see what agentune considers the agent and housekeeping
# CPUs on this host (agentune apply profile balanced --pid PID --dry-run).
# Copy it to /etc/agentune/profiles to change the defaults for every profile
# that includes it.

[main]
summary = Base of the others: agent CPUs from --pid, the rest housekeeping, the agent in its own cgroup at the default weight

[agent]
# auto: the CPUs in the --pid process's affinity (or --cpus).
cpus = auto
# auto: every online CPU that is not an agent CPU.
housekeeping = auto

[pmqos]
# No PM QoS request: the idle governor decides, as without agentune.
mode = off

[cgroup]
name = agentune
# 100 is cgroup v2's default weight: the agent gets no more CPU than before,
# it only gets a cgroup of its own.
cpu_weight = 100
