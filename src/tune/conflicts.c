/* tune/conflicts: irqbalance and tuned against a plan (conflicts.h). */
#include "tune/conflicts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cpumask.h"

static bool plan_moves_irqs(const struct plan *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		if (pl->c[i].ch.knob == KNOB_IRQ_AFFINITY)
			return true;
	return false;
}

/* Adds the formatted text (whatever its length) to out. */
static int __attribute__((format(printf, 2, 3))) add(struct strlist *out, const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	int rc = strlist_add(out, s);
	free(s);
	return rc ? -ENOMEM : 0;
}

/* "running (pid N)", "running (pid N) and enabled at boot (LINK)" or
 * "enabled at boot (LINK), not running now". */
static void state_text(int pid, const struct svc_boot *b, char *buf, size_t sz)
{
	if (pid > 0 && b->enabled > 0)
		snprintf(buf, sz, "(pid %d) is running and enabled at boot (%s)", pid, b->by);
	else if (pid > 0)
		snprintf(buf, sz, "(pid %d) is running", pid);
	else
		snprintf(buf, sz, "is not running now but is enabled at boot (%s)", b->by);
}

/* irqbalance against a plan that moves IRQs: whether its banned list keeps
 * it off the agent CPUs, and what to set where. */
static int warn_irqbalance(const struct services *svc, const struct plan *pl, struct strlist *out)
{
	char state[300], *agent = cpulist_str(&pl->agent_cpus);
	const char *conf = *svc->irqbalance_conf ? svc->irqbalance_conf : "/etc/default/irqbalance";
	struct cpumask banned, want;
	int rc;
	cpumask_init(&banned);
	cpumask_init(&want);
	state_text(svc->irqbalance_pid, &svc->irqbalance_boot, state, sizeof(state));
	bool have_banned = *svc->irqbalance_banned && !cpulist_parse(svc->irqbalance_banned, &banned);
	if (have_banned && cpumask_subset(&pl->agent_cpus, &banned)) {
		rc = add(out,
			 "irqbalance %s; IRQBALANCE_BANNED_CPULIST=%s in %s keeps it off the agent CPUs %s, "
			 "but it may still move the IRQs this plan places on housekeeping CPUs among them",
			 state, svc->irqbalance_banned, conf, agent ? agent : "?");
	} else {
		char *fix;
		cpumask_copy(&want, &pl->agent_cpus);
		if (have_banned)
			cpumask_or(&want, &banned);
		fix = cpulist_str(&want);
		char why[300];
		if (have_banned)
			snprintf(why, sizeof(why), "IRQBALANCE_BANNED_CPULIST=%s in %s leaves agent CPUs %s to it",
				 svc->irqbalance_banned, conf, agent ? agent : "?");
		else if (*svc->irqbalance_conf)
			snprintf(why, sizeof(why), "IRQBALANCE_BANNED_CPULIST is not set in %s", conf);
		else
			snprintf(why, sizeof(why), "there is no %s", conf);
		rc = add(out,
			 "irqbalance %s and will move these IRQs back %s (%s): stop it "
			 "(systemctl disable --now irqbalance), or keep it off the agent CPUs with "
			 "IRQBALANCE_BANNED_CPULIST=%s in %s and restart it",
			 state, svc->irqbalance_pid > 0 ? "within seconds" : "once it starts",
			 why, fix ? fix : "?", conf);
		free(fix);
	}
	free(agent);
	cpumask_free(&banned);
	cpumask_free(&want);
	return rc;
}

/* tuned's keys ("plugin.key") that set what a change of knob k on target
 * sets: its [sysctl] key of the same name, its [cpu] plugin for PM QoS and
 * the frequency floor, [scheduler] and [irqbalance] for IRQ affinity, [net]
 * for interface settings, [scheduler] cgroup keys for cgroups. */
static bool tuned_key_overlaps(const char *key, enum knob_kind k, const char *target)
{
	switch (k) {
	case KNOB_SYSCTL:
		return !strncmp(key, "sysctl.", 7) && !strcmp(key + 7, target);
	case KNOB_PMQOS:
		return !strcmp(key, "cpu.force_latency") || !strcmp(key, "cpu.pm_qos_resume_latency_us");
	case KNOB_CPUFREQ_MIN:
		return !strcmp(key, "cpu.governor") || !strcmp(key, "cpu.min_perf_pct");
	case KNOB_IRQ_AFFINITY:
		return !strcmp(key, "scheduler.isolated_cores") || !strcmp(key, "irqbalance.banned_cpus") ||
		       !strcmp(key, "scheduler.default_irq_smp_affinity");
	case KNOB_NETDEV_ATTR:
	case KNOB_NAPI:
		return !strncmp(key, "net.", 4);
	case KNOB_CGROUP_DIR:
	case KNOB_CGROUP_ATTR:
	case KNOB_CGROUP_PROCS:
		return !strncmp(key, "scheduler.cgroup", 16);
	default:
		return false;
	}
}

static int warn_tuned(const struct services *svc, const struct plan *pl, struct strlist *out)
{
	char state[300];
	state_text(svc->tuned_pid, &svc->tuned_boot, state, sizeof(state));
	if (!svc->tuned_keys_read)
		return add(out,
			   "tuned %s%s%s%s: its profile may set the same IRQ, PM QoS and sysctl settings "
			   "again; `tuned-adm off` before applying, or keep the two from overlapping",
			   state, *svc->tuned_profile ? " with profile '" : "", svc->tuned_profile,
			   *svc->tuned_profile ? "' (its tuned.conf not found)" : "");
	/* the tuned keys that set what this plan changes, each once */
	char keys[1024] = "";
	size_t off = 0, n = 0;
	for (size_t i = 0; i < svc->ntuned_keys; i++) {
		const char *key = svc->tuned_keys[i];
		bool hit = false;
		for (size_t j = 0; j < pl->n && !hit; j++)
			hit = tuned_key_overlaps(key, pl->c[j].ch.knob, pl->c[j].ch.target);
		if (hit && off < sizeof(keys)) {
			off += (size_t)snprintf(keys + off, sizeof(keys) - off, "%s%s", n ? ", " : "", key);
			n++;
		}
	}
	if (!n)
		return 0;
	return add(out,
		   "tuned %s with profile '%s', which sets %s: this plan changes the same, and tuned "
		   "sets them back whenever it applies its profile (a restart, a reboot, tuned-adm): "
		   "`tuned-adm off` before applying, or remove those from its profile",
		   state, svc->tuned_profile, keys);
}

int conflicts_warn(const struct model *m, const struct plan *pl, struct strlist *out)
{
	const struct services *svc = &m->svc;
	int rc = 0;
	if ((svc->irqbalance_pid > 0 || svc->irqbalance_boot.enabled > 0) && plan_moves_irqs(pl))
		rc = warn_irqbalance(svc, pl, out);
	if (!rc && (svc->tuned_pid > 0 || svc->tuned_boot.enabled > 0) && pl->n)
		rc = warn_tuned(svc, pl, out);
	return rc;
}
