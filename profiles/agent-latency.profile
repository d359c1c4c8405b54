# agent-latency: the general profile for an agent loop whose steps wait on
# short wakeups (tool calls, IPC, small network replies) and should not pay
# for interrupts, deep idle exits or a cold CPU clock on the way back.
#
# - Every IRQ that can be moved goes to the housekeeping CPUs, so the
#   agent's CPUs run the agent.  Kernel-managed IRQs (NVMe and some NIC
#   queues) refuse to move; they are skipped and listed, not failures.
# - While the agent steps, and for a window after its last step, its CPUs
#   do not enter any idle state with an exit latency (resume latency "n/a"
#   leaves polling only; on a host without such states, a poll thread keeps
#   them from halting) and their frequency floor is raised to the maximum.
#   An idle agent's CPUs go back to ordinary power management, and a token
#   budget caps how much of the time a busy one holds them.  This costs
#   power on those CPUs, and only on those.
# - The agent's cgroup gets ten times the default CPU weight and, where the
#   kernel has uclamp, a full utilization clamp, so that schedutil and EAS
#   treat it as a big task from its first instruction after a wakeup.
# - Each thread of the agent gets a timer slack of 1 ns instead of the
#   default 50 us: a timed wait (a sleep, an epoll or futex timeout) then
#   ends when it was asked to, not up to 50 us later.  The cost is fewer
#   timer expiries coalesced (more timer interrupts) for the agent's own
#   timers only.  Threads the agent starts later copy the slack of the
#   thread that starts them.
#
# Revert puts every one of these back.

[main]
summary = Low latency for an agent loop: IRQs off its CPUs, no deep idle and max frequency floor on them while it steps, a heavier cgroup; start here
include = balanced

[agent]
# ns; 0 is refused (the kernel reads it as "back to the default slack").
timer_slack_ns = 1

[irq]
move = all -> housekeeping

[pmqos]
# window: keep the agent CPUs warm while the agent steps and for a window
# after; mode = static keeps them warm all the time instead.
mode = window
# How a CPU is kept warm.  auto: the PM QoS constraint below where the host
# has idle states with an exit latency for it to avoid (a cpuidle driver),
# a SCHED_IDLE poll thread per agent CPU where it has none (no cpuidle
# driver: idle is HLT, a VM exit on a guest), nothing where idle already
# polls.  apply --dry-run prints what it resolved to and why.
method = auto
# n/a: no exit latency is acceptable, so only polling idle is left.
resume_latency_us = n/a
# The frequency floor (cpufreq scaling_min_freq) of the agent CPUs' policies;
# not applicable, and reported so, on hosts without cpufreq.
min_freq = max
# The window keys at their defaults; uncomment one to change it.
# A 0.1-5 ms step loop keeps a 20 ms window open; it closes 20-40 ms after.
#window_ms = 20
# A busy agent drains 1000 tokens in 20 s (50 windows/s on one CPU),
#budget_tokens = 1000
# then gets 30 windows/s: the constraint held 60% of the time.
#refill_per_s = 30
# Each window, and each extension of one, costs one token.
#cost_per_window = 1

[cgroup]
# Ten times the default weight: the agent wins its CPUs back from
# housekeeping work that lands there, without starving that work.
cpu_weight = 1000
uclamp_min = max
