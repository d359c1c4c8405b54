/* tune/knob_power: the power-management drivers.
 *
 *   pm_qos       "3"        /sys/devices/system/cpu/cpu3/power/
 *                           pm_qos_resume_latency_us ("n/a", "0", µs)
 *   cpufreq_min  "policy0"  /sys/devices/system/cpu/cpufreq/policy0/
 *                           scaling_min_freq (kHz)
 */
#ifndef AGENTUNE_TUNE_KNOB_POWER_H
#define AGENTUNE_TUNE_KNOB_POWER_H

#include "tune/knob_driver.h"

extern const struct knob_driver knob_pmqos, knob_cpufreq_min;

#endif
