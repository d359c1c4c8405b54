/* tune/knob_power: per-CPU PM QoS resume latency and the cpufreq floor
 * (knob_power.h). */
#include "tune/knob_power.h"

#include <string.h>

#include "base/cpumask.h"
#include "base/errmsg.h"
#include "base/util.h"

/* ---------- pm_qos ---------- */

static bool pmqos_target_ok(const char *t, char *why, size_t sz)
{
	if (knob_dec_ok(t, CPUMASK_MAX_CPUS - 1, NULL))
		return true;
	errmsg(why, sz, 0, "PM QoS target \"%s\" is not a CPU number", t);
	return false;
}

/* "n/a" (no constraint: poll only), or a latency in µs. */
static bool pmqos_value_ok(const char *t, const char *v)
{
	return !strcmp(v, "n/a") || knob_dec_ok(v, INT32_MAX, NULL);
}

static bool pmqos_path(const char *t, char *out, size_t sz)
{
	return pathf(out, sz, "/sys/devices/system/cpu/cpu%s/power/pm_qos_resume_latency_us", t);
}

/* "n/a" is only equal to itself; 0 is not "n/a". */
static bool pmqos_same(const char *a, const char *b)
{
	if (!strcmp(a, "n/a") || !strcmp(b, "n/a"))
		return !strcmp(a, b);
	return knob_same_number(a, b);
}

const struct knob_driver knob_pmqos = {
	.name = "pm_qos",
	.target_ok = pmqos_target_ok,
	.value_ok = pmqos_value_ok,
	.path = pmqos_path,
	.same = pmqos_same,
};

/* ---------- cpufreq_min ---------- */

static bool cpufreq_target_ok(const char *t, char *why, size_t sz)
{
	if (!strncmp(t, "policy", 6) && knob_dec_ok(t + 6, CPUMASK_MAX_CPUS - 1, NULL))
		return true;
	errmsg(why, sz, 0, "cpufreq target \"%s\" is not policyN", t);
	return false;
}

static bool cpufreq_value_ok(const char *t, const char *v)
{
	return knob_dec_ok(v, UINT32_MAX, NULL);
}

static bool cpufreq_path(const char *t, char *out, size_t sz)
{
	return pathf(out, sz, "/sys/devices/system/cpu/cpufreq/%s/scaling_min_freq", t);
}

const struct knob_driver knob_cpufreq_min = {
	.name = "cpufreq_min",
	.target_ok = cpufreq_target_ok,
	.value_ok = cpufreq_value_ok,
	.path = cpufreq_path,
	.same = knob_same_number,
};
