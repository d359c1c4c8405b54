/* tune/conflicts: irqbalance and tuned against a plan (conflicts.h). */
#include "tune/conflicts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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

int conflicts_warn(const struct model *m, const struct plan *pl, struct strlist *out)
{
	int rc = 0;
	if (m->svc.irqbalance_pid && plan_moves_irqs(pl)) {
		char *cpus = cpulist_str(&pl->agent_cpus);
		rc = add(out,
			 "irqbalance (pid %d) is running and will move these IRQs back within seconds: "
			 "stop it (systemctl stop irqbalance), or keep it off the agent CPUs with "
			 "IRQBALANCE_BANNED_CPULIST=%s in /etc/default/irqbalance and restart it",
			 m->svc.irqbalance_pid, cpus ? cpus : "?");
		free(cpus);
	}
	if (!rc && m->svc.tuned_pid)
		rc = add(out,
			 "tuned (pid %d) is running: its profile may set the same IRQ, PM QoS and sysctl "
			 "settings again; `tuned-adm off` before applying, or keep the two from "
			 "overlapping", m->svc.tuned_pid);
	return rc;
}
