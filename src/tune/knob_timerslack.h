/* tune/knob_timerslack: the timer slack of one thread of the agent.
 *
 *   timer_slack  "1234/1240@98770"   thread 1240 of process 1234, started at
 *                98770 (field 22 of /proc/1234/task/1240/stat, clock ticks
 *                after boot); the file is /proc/1240/timerslack_ns, which
 *                holds that one thread's slack in ns (/proc/1234/timerslack_ns
 *                is the main thread's only).
 *
 * A thread that has exited, or whose tid now names another thread (another
 * start time, or not a thread of that process), is gone: -ENOENT, never
 * written.  Values are 1..2^64-1 ns: the kernel takes a write of 0 as "back
 * to this thread's default slack", not as a slack of 0, so 0 is not a value
 * agentune writes or restores.  A thread under a real-time policy reads 0
 * (Linux 6.12+: no slack applies to it, and any write leaves 0).
 */
#ifndef AGENTUNE_TUNE_KNOB_TIMERSLACK_H
#define AGENTUNE_TUNE_KNOB_TIMERSLACK_H

#include <stdint.h>

#include "tune/knob_driver.h"

extern const struct knob_driver knob_timer_slack;

/* The target for thread tid of process pid started at start. */
int knob_timer_slack_target(int pid, int tid, uint64_t start, char *out, size_t sz);

#endif
