/* tune/plan: a profile resolved against one host into ordered changes (plan.h).
 *
 * Every value planned is compared with what the knob reads now; what already
 * holds is left out.  Where the profile is silent or the host lacks a
 * setting, the choices below are the ones a performance engineer expects:
 *
 * - Agent CPUs: --cpus, else the profile's [agent] cpus; "auto" (and an
 *   unset cpus with --pid) is the process's Cpus_allowed_list.  They must be
 *   online.  Housekeeping "auto" (or unset) is every other online CPU; a
 *   housekeeping list must be online, non-empty and apart from the agent's.
 * - [irq]: the last matching rule decides.  class:other is any IRQ that is
 *   not net, nvme, storage or gpu (legacy and bridge IRQs included).  name:
 *   matches the whole action list or any one action of a shared IRQ.
 *   numa-local uses the device's node (PCI numa_node, else /proc/irq/N/node),
 *   else the PCI function's local_cpulist, else housekeeping.
 * - [napi]: per-interface keys without `interfaces` mean interfaces = auto.
 * - [pmqos] static without resume_latency_us sets nothing (a note says so).
 *   The cpufreq floor is planned whenever min_freq is set, for every policy
 *   that covers an agent CPU; a percentage rounds down to a whole kHz.
 * - [cgroup]: cpu_max without a period uses the kernel's 100000 µs; cpuset
 *   "auto" and isolate without cpuset mean the agent CPUs.  isolate moves
 *   every other top-level cgroup of the cpuset hierarchy to housekeeping;
 *   on v1, whose cpuset refuses (EBUSY) a parent that would no longer hold
 *   its children's CPUs, descendants go first (deepest first).
 */
#include "tune/plan.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/errmsg.h"
#include "base/procfs_text.h"
#include "tune/journal.h"
#include "tune/knob_cgroup.h"
#include "tune/knob_timerslack.h"
#include "inspect/procstat.h"
#include "tune/winctl.h"

#define DEFAULT_CGROUP "agentune"
#define DEFAULT_CFS_PERIOD_US 100000
#define V1_DEPTH_MAX 16

struct ctx {
	const struct host *h;
	const struct model *m;
	const struct profile *p;
	const struct plan_opts *o;
	struct plan *pl;
	char *why;
	size_t sz;
	struct cpumask online;
	bool window;                /* planning [pmqos] mode = window */
};

/* ---------- small helpers ---------- */

/* snprintf for text for people, where truncation is harmless. */
static void __attribute__((format(printf, 3, 4))) strf(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
}

static void src_str(const struct profile_src *s, char *buf, size_t sz)
{
	if (!s || !s->file[0])
		buf[0] = '\0';
	else if (s->line > 0)
		snprintf(buf, sz, "%s:%d", s->file, s->line);
	else
		copy_str(buf, sz, s->file);
}

/* why = "FILE:LINE: message"; returns rc. */
static int __attribute__((format(printf, 4, 5)))
fail(struct ctx *c, int rc, const struct profile_src *s, const char *fmt, ...)
{
	char src[CHANGE_SOURCE_MAX], msg[1024];
	va_list ap;
	va_start(ap, fmt);
	errmsg_v(msg, sizeof(msg), 0, fmt, ap);
	va_end(ap);
	src_str(s, src, sizeof(src));
	return errmsg(c->why, c->sz, rc, "%s%s%s", src, src[0] ? ": " : "", msg);
}

static int __attribute__((format(printf, 3, 4)))
note(struct ctx *c, const struct profile_src *s, const char *fmt, ...)
{
	struct plan *pl = c->pl;
	struct plan_note *v = grow(pl->notes, pl->nnotes, &pl->notes_cap, sizeof(*v), 8);
	if (!v)
		return -ENOMEM;
	pl->notes = v;
	struct plan_note *n = &pl->notes[pl->nnotes++];
	memset(n, 0, sizeof(*n));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(n->text, sizeof(n->text), fmt, ap);
	va_end(ap);
	src_str(s, n->source, sizeof(n->source));
	return 0;
}

static int add_change(struct ctx *c, enum knob_kind k, const char *target, const char *label,
		      const char *old, const char *new, const struct profile_src *s, bool optional)
{
	char why[256];
	if (!knob_valid(k, target, new, why, sizeof(why)))
		return fail(c, -EINVAL, s, "%s %s = %s: %s", knob_name(k), target, new, why);
	struct plan *pl = c->pl;
	struct plan_change *v = grow(pl->c, pl->n, &pl->cap, sizeof(*v), 16);
	if (!v)
		return -ENOMEM;
	pl->c = v;
	struct plan_change *pc = &pl->c[pl->n++];
	char source[CHANGE_SOURCE_MAX];
	src_str(s, source, sizeof(source));
	change_init(&pc->ch, k, target, label, source);
	copy_str(pc->ch.old, sizeof(pc->ch.old), old);
	copy_str(pc->ch.new, sizeof(pc->ch.new), new);
	pc->ch.window = c->window;
	pc->optional = optional;
	return 0;
}

/* Plans k/target = new unless it already holds; an unreadable current value
 * is planned against "" (the apply engine reads it again before writing). */
static int plan_set(struct ctx *c, enum knob_kind k, const char *target, const char *label,
		    const char *new, const struct profile_src *s, bool optional)
{
	char old[KNOB_VAL_MAX];
	int rc = knob_read(c->h, k, target, old, sizeof(old));
	/* A value revert could not restore whole: refused before anything
	 * is written. */
	if (rc == -EOVERFLOW)
		return fail(c, -EOVERFLOW, s, "%s %s: its current value is longer than the %d bytes "
			    "agentune can journal: refusing to change it", knob_name(k), target,
			    KNOB_VAL_MAX - 1);
	if (rc == -ESPIPE) {
		char path[PATH_MAX];
		knob_path(k, target, path, sizeof(path));
		return fail(c, -ESPIPE, s, "%s %s: %s is %s", knob_name(k), target, path,
			    host_strerror(rc));
	}
	if (rc)
		old[0] = '\0';
	else if (knob_same(k, old, new))
		return 0;
	return add_change(c, k, target, label, old, new, s, optional);
}

/* The CPU list of m into buf: 0, or -EOVERFLOW when it does not fit; buf
 * then holds a start of it that ends in "..." (for messages only). */
static int mask_str(const struct cpumask *m, char *buf, size_t sz)
{
	int n = cpulist_format(m, buf, sz);
	if (n >= 0 && (size_t)n < sz)
		return 0;
	if (sz > 4) {
		size_t len = strlen(buf);
		if (len > sz - 4)
			len = sz - 4;
		memcpy(buf + len, "...", 4);
	}
	return -EOVERFLOW;
}

static bool node_cpus(const struct model *m, int id, const struct cpumask **out)
{
	for (size_t i = 0; id >= 0 && i < m->topo.nnodes; i++)
		if (m->topo.node[i].id == id && !cpumask_empty(&m->topo.node[i].cpus)) {
			*out = &m->topo.node[i].cpus;
			return true;
		}
	return false;
}

/* ---------- agent and housekeeping CPUs ---------- */

static int pid_cpus(struct ctx *c, const struct profile_src *s, struct cpumask *out)
{
	char list[KNOB_VAL_MAX]; /* whole for 8192 CPU ids; longer: -EOVERFLOW */
	int rc = pt_status_field(c->h, c->o->pid, "Cpus_allowed_list", list, sizeof(list));
	if (rc == -ENOENT || rc == -ESRCH)
		return fail(c, -ESRCH, NULL, "process %d does not exist", c->o->pid);
	if (!rc)
		rc = cpulist_parse(list, out);
	if (rc == -ENOMEM)
		return rc;
	if (rc || cpumask_empty(out))
		return fail(c, -EINVAL, s, "cannot read the CPUs process %d may run on "
			    "(/proc/%d/status)", c->o->pid, c->o->pid);
	return 0;
}

static int check_online(struct ctx *c, const struct cpumask *cpus, const char *what,
			const struct profile_src *s, const char *origin)
{
	struct cpumask off;
	char list[256], on[256];
	cpumask_init(&off);
	int rc = cpumask_and(&off, cpus, &c->online, true);
	if (!rc && !cpumask_empty(&off)) {
		mask_str(&off, list, sizeof(list));
		mask_str(&c->online, on, sizeof(on));
		if (origin)
			rc = fail(c, -EINVAL, s, "%s: %s CPUs %s are not online (online: %s)",
				  origin, what, list, on);
		else
			rc = fail(c, -EINVAL, s, "%s CPUs %s are not online (online: %s)", what,
				  list, on);
	}
	cpumask_free(&off);
	return rc;
}

static int agent_cpus(struct ctx *c)
{
	const struct profile *p = c->p;
	struct plan *pl = c->pl;
	const struct profile_src *s = &p->cpus.src;
	int rc;

	if (c->o->pid >= 0) {
		char dir[64];
		snprintf(dir, sizeof(dir), "/proc/%d", c->o->pid);
		if (!host_exists(c->h, dir))
			return fail(c, -ESRCH, NULL, "process %d does not exist", c->o->pid);
		/* 0 (unknown) when a tree holds no stat: checked where needed. */
		if (knob_pid_start(c->h, c->o->pid, &pl->pid_start))
			pl->pid_start = 0;
	}
	if (c->o->cpus) {
		s = NULL;
		rc = cpumask_copy(&pl->agent_cpus, c->o->cpus);
	} else if (p->cpus.kind == CPUS_LIST) {
		rc = cpumask_copy(&pl->agent_cpus, &p->cpus.cpus);
	} else if (c->o->pid >= 0) {
		rc = pid_cpus(c, s, &pl->agent_cpus);
	} else if (p->cpus.kind == CPUS_AUTO) {
		return fail(c, -EINVAL, s, "cpus = auto needs --pid or --cpus");
	} else {
		return fail(c, -EINVAL, NULL,
			    "no agent CPUs: the profile sets no [agent] cpus; use --cpus or --pid");
	}
	if (rc)
		return rc;
	const char *origin = c->o->cpus ? "--cpus" : NULL;
	if (cpumask_empty(&pl->agent_cpus))
		return fail(c, -EINVAL, s, "%sthe agent CPU list is empty",
			    origin ? "--cpus: " : "");
	rc = check_online(c, &pl->agent_cpus, "agent", s, origin);
	if (rc)
		return rc;

	const struct cpus_spec *hk = &p->housekeeping;
	char list[256];
	if (hk->kind == CPUS_LIST) {
		rc = cpumask_copy(&pl->housekeeping, &hk->cpus);
		if (!rc)
			rc = check_online(c, &pl->housekeeping, "housekeeping", &hk->src, NULL);
		if (rc)
			return rc;
		struct cpumask both;
		cpumask_init(&both);
		rc = cpumask_and(&both, &pl->housekeeping, &pl->agent_cpus, false);
		if (!rc && !cpumask_empty(&both)) {
			mask_str(&both, list, sizeof(list));
			rc = fail(c, -EINVAL, &hk->src,
				  "housekeeping CPUs %s are also agent CPUs", list);
		}
		cpumask_free(&both);
		if (!rc && cpumask_empty(&pl->housekeeping))
			rc = fail(c, -EINVAL, &hk->src, "the housekeeping CPU list is empty");
		return rc;
	}
	rc = cpumask_and(&pl->housekeeping, &c->online, &pl->agent_cpus, true);
	if (!rc && cpumask_empty(&pl->housekeeping)) {
		mask_str(&pl->agent_cpus, list, sizeof(list));
		rc = fail(c, -EINVAL, s,
			  "the agent may run on every CPU (%s): nothing is left for "
			  "housekeeping; use --cpus",
			  list);
	}
	return rc;
}

/* ---------- [irq] ---------- */

static void rule_text(const struct irq_rule *r, char *buf, size_t sz)
{
	if (!strncmp(r->text, "move", 4))
		snprintf(buf, sz, "[irq] %s", r->text);
	else if (r->text[0])
		snprintf(buf, sz, "[irq] move = %s", r->text);
	else
		snprintf(buf, sz, "[irq] move = %s:%s -> %s", irq_sel_name(r->sel), r->arg,
			 irq_dest_name(r->dest));
}

static bool kind_is_other(const char *kind)
{
	static const char *const named[] = { "net", "nvme", "storage", "gpu" };
	for (size_t i = 0; i < ARRAY_SIZE(named); i++)
		if (!strcmp(kind, named[i]))
			return false;
	return true;
}

/* fnmatch against the whole action list, or any one action of a shared IRQ
 * ("ehci_hcd:usb1, mmc0"). */
static bool name_matches(const char *pat, const char *name)
{
	if (!fnmatch(pat, name, 0))
		return true;
	if (!strchr(name, ','))
		return false;
	char buf[256];
	copy_str(buf, sizeof(buf), name);
	for (char *save = NULL, *a = strtok_r(buf, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*a))
			a++;
		size_t n = strlen(a);
		while (n && isspace((unsigned char)a[n - 1]))
			a[--n] = '\0';
		if (!fnmatch(pat, a, 0))
			return true;
	}
	return false;
}

static bool rule_matches(const struct irq_rule *r, const struct irq_line *l,
			 const struct irq_device *d)
{
	uint64_t n;
	const char *kind = d->kind ? d->kind : "";
	switch (r->sel) {
	case IRQSEL_ALL:
		return true;
	case IRQSEL_CLASS:
		return !strcmp(r->arg, "other") ? kind_is_other(kind) : !strcmp(r->arg, kind);
	case IRQSEL_INTERFACE:
		return d->ifname[0] && !strcmp(r->arg, d->ifname);
	case IRQSEL_PCI:
		return d->bdf[0] && !strcasecmp(r->arg, d->bdf);
	case IRQSEL_NAME:
		return name_matches(r->arg, l->name);
	case IRQSEL_IRQ:
		return parse_u64(r->arg, &n) && n == l->irq;
	}
	return false;
}

static bool rule_must_match(const struct irq_rule *r)
{
	return r->sel == IRQSEL_INTERFACE || r->sel == IRQSEL_PCI || r->sel == IRQSEL_IRQ;
}

/* Rules that name a CPU list or one device must make sense here. */
static int check_rules(struct ctx *c)
{
	const struct model *m = c->m;
	char text[300];
	for (size_t i = 0; i < c->p->nirq; i++) {
		const struct irq_rule *r = &c->p->irq[i];
		rule_text(r, text, sizeof(text));
		if (r->dest == IRQDEST_CPUS) {
			if (cpumask_empty(&r->cpus))
				return fail(c, -EINVAL, &r->src, "%s: empty CPU list", text);
			int rc = check_online(c, &r->cpus, "target", &r->src, text);
			if (rc)
				return rc;
		}
		if (!rule_must_match(r))
			continue;
		bool hit = false;
		for (size_t k = 0; k < m->irqs.n && !hit; k++)
			hit = m->irqs.lines[k].numbered &&
			      rule_matches(r, &m->irqs.lines[k], &m->irqdev[k]);
		if (hit)
			continue;
		if (r->sel == IRQSEL_INTERFACE)
			return fail(c, -EINVAL, &r->src, "%s: no IRQ of interface %s on this host",
				    text, r->arg);
		if (r->sel == IRQSEL_PCI)
			return fail(c, -EINVAL, &r->src,
				    "%s: no IRQ of PCI device %s on this host", text, r->arg);
		return fail(c, -EINVAL, &r->src, "%s: no IRQ %s on this host", text, r->arg);
	}
	return 0;
}

/* The CPUs of the device's NUMA node, or NULL when unknown. */
static const struct cpumask *device_node_cpus(const struct model *m, const struct irq_line *l,
					      const struct irq_device *d)
{
	const struct cpumask *cpus;
	int node = d->pci ? d->pci->numa_node : -1;
	if (node < 0)
		node = l->node;
	if (node_cpus(m, node, &cpus))
		return cpus;
	if (d->pci && d->pci->has_local_cpus && !cpumask_empty(&d->pci->local_cpus))
		return &d->pci->local_cpus;
	return NULL;
}

static int irq_dest(struct ctx *c, const struct irq_rule *r, const struct irq_line *l,
		    const struct irq_device *d, struct cpumask *out)
{
	const struct plan *pl = c->pl;
	struct cpumask tmp;
	int rc = 0;

	cpumask_init(&tmp);
	switch (r->dest) {
	case IRQDEST_HOUSEKEEPING:
		rc = cpumask_copy(out, &pl->housekeeping);
		break;
	case IRQDEST_CPUS:
		rc = cpumask_copy(out, &r->cpus);
		break;
	case IRQDEST_NUMA_LOCAL: {
		const struct cpumask *node = device_node_cpus(c->m, l, d);
		if (!node) {
			rc = cpumask_copy(out, &pl->housekeeping);
			break;
		}
		rc = cpumask_and(&tmp, node, &c->online, false);
		if (!rc)
			rc = cpumask_and(out, &tmp, &pl->agent_cpus, true);
		if (!rc && cpumask_empty(out))
			rc = cpumask_copy(out, &tmp);
		if (!rc && cpumask_empty(out))
			rc = cpumask_copy(out, &pl->housekeeping);
		break;
	}
	case IRQDEST_AGENT_NODE:
		for (size_t i = 0; !rc && i < c->m->topo.nnodes; i++)
			if (cpumask_intersects(&c->m->topo.node[i].cpus, &pl->agent_cpus))
				rc = cpumask_or(&tmp, &c->m->topo.node[i].cpus);
		if (!rc)
			rc = cpumask_and(out, &tmp, &pl->housekeeping, false);
		if (!rc && cpumask_empty(out))
			rc = cpumask_copy(out, &pl->housekeeping);
		break;
	}
	cpumask_free(&tmp);
	return rc;
}

static int plan_irq_line(struct ctx *c, const struct irq_rule *r, const struct irq_line *l,
			 const struct irq_device *d)
{
	struct cpumask dest;
	char target[16], label[160], new[KNOB_VAL_MAX];

	cpumask_init(&dest);
	int rc = irq_dest(c, r, l, d, &dest);
	if (!rc && mask_str(&dest, new, sizeof(new)))
		rc = fail(c, -EOVERFLOW, &r->src, "IRQ %u: the CPU list is longer than the %d bytes "
			  "agentune can journal", l->irq, KNOB_VAL_MAX - 1);
	cpumask_free(&dest);
	if (rc)
		return rc;
	snprintf(target, sizeof(target), "%u", l->irq);
	if (d->ifname[0])
		strf(label, sizeof(label), "IRQ %u %s (%s)", l->irq, l->name, d->ifname);
	else if (l->name[0])
		strf(label, sizeof(label), "IRQ %u %s", l->irq, l->name);
	else
		snprintf(label, sizeof(label), "IRQ %u", l->irq);
	bool optional = r->sel == IRQSEL_ALL || r->sel == IRQSEL_CLASS;
	return plan_set(c, KNOB_IRQ_AFFINITY, target, label, new, &r->src, optional);
}

static int plan_irqs(struct ctx *c)
{
	const struct model *m = c->m;
	const struct profile *p = c->p;
	if (!p->nirq)
		return 0;
	const struct profile_src *s0 = &p->irq[0].src;
	if (!m->irqs_sec.ok || !m->irqdev)
		return note(c, s0, "[irq] skipped: no IRQ list on this host (%s)",
			    m->irqs_sec.why[0] ? m->irqs_sec.why : "/proc/interrupts");
	int rc = check_rules(c);
	if (rc)
		return rc;
	size_t before = c->pl->n, matched = 0, noaff = 0;
	for (size_t i = 0; i < m->irqs.n && !rc; i++) {
		const struct irq_line *l = &m->irqs.lines[i];
		if (!l->numbered)
			continue;
		const struct irq_rule *last = NULL;
		for (size_t k = 0; k < p->nirq; k++)
			if (rule_matches(&p->irq[k], l, &m->irqdev[i]))
				last = &p->irq[k];
		if (!last)
			continue;
		if (!l->has_affinity) {
			noaff++;
			continue;
		}
		matched++;
		rc = plan_irq_line(c, last, l, &m->irqdev[i]);
	}
	if (rc || c->pl->n > before)
		return rc;
	if (noaff && !matched)
		return note(c, s0, "[irq] not applicable: no /proc/irq/N/smp_affinity_list here "
				   "(%zu IRQ%s matched)", noaff, noaff == 1 ? "" : "s");
	if (!matched)
		return note(c, s0, "[irq] no IRQ on this host matches the rules");
	return note(c, s0, "[irq] every matching IRQ is already where the rules put it");
}

/* ---------- [napi] ---------- */

static int plan_sysctls(struct ctx *c)
{
	const struct profile *p = c->p;
	const struct {
		const char *name;
		const struct pnum *v;
	} keys[] = {
		{ "netdev_budget", &p->netdev_budget },
		{ "netdev_budget_usecs", &p->netdev_budget_usecs },
		{ "busy_poll", &p->busy_poll },
		{ "busy_read", &p->busy_read },
	};
	int rc = 0;
	for (size_t i = 0; i < ARRAY_SIZE(keys) && !rc; i++) {
		if (!keys[i].v->set)
			continue;
		char target[64], path[96], new[32];
		snprintf(target, sizeof(target), "net.core.%s", keys[i].name);
		snprintf(path, sizeof(path), "/proc/sys/net/core/%s", keys[i].name);
		if (!host_exists(c->h, path)) {
			rc = note(c, &keys[i].v->src, "%s: not applicable (no %s on this host)",
				  target, path);
			continue;
		}
		snprintf(new, sizeof(new), "%" PRId64, keys[i].v->v);
		rc = plan_set(c, KNOB_SYSCTL, target, target, new, &keys[i].v->src, false);
	}
	return rc;
}

/* The interfaces per-interface keys apply to. */
static int napi_interfaces(struct ctx *c, struct strlist *out)
{
	const struct profile *p = c->p;
	const struct net *net = &c->m->net;
	if (p->interfaces_set && !p->interfaces_auto) {
		for (size_t i = 0; i < p->interfaces.n; i++) {
			if (!net_if_by_name(net, p->interfaces.v[i]))
				return fail(c, -EINVAL, &p->interfaces_src,
					    "[napi] interfaces: no interface %s on this host",
					    p->interfaces.v[i]);
			if (strlist_add(out, p->interfaces.v[i]))
				return -ENOMEM;
		}
		return 0;
	}
	for (size_t i = 0; i < net->n; i++)
		if (!net->ifs[i].is_virtual && !strcmp(net->ifs[i].operstate, "up") &&
		    strlist_add(out, net->ifs[i].name))
			return -ENOMEM;
	return 0;
}

static bool if_has_napi(const struct net *net, const char *ifname)
{
	for (size_t i = 0; i < net->nnapi; i++)
		if (!strcmp(net->napi[i].ifname, ifname) && net->napi[i].defer_hard_irqs != NA_S64)
			return true;
	return false;
}

static int plan_napi_if(struct ctx *c, const char *ifname)
{
	const struct profile *p = c->p;
	const struct net *net = &c->m->net;
	const struct {
		const struct pnum *v;
		const char *napi_attr, *sysfs_attr;
	} keys[] = {
		{ &p->defer_hard_irqs, "defer-hard-irqs", "napi_defer_hard_irqs" },
		{ &p->gro_flush_timeout_ns, "gro-flush-timeout", "gro_flush_timeout" },
	};
	char target[KNOB_TARGET_MAX], label[160], new[32], path[160];
	int rc = 0;

	/* Per NAPI where the kernel can: sysfs sets every NAPI of the device
	 * but reads back only one value. */
	if (c->h->live && net->napi_available && if_has_napi(net, ifname)) {
		for (size_t i = 0; i < net->nnapi && !rc; i++) {
			const struct napi_inst *n = &net->napi[i];
			if (strcmp(n->ifname, ifname) || n->defer_hard_irqs == NA_S64)
				continue;
			for (size_t k = 0; k < ARRAY_SIZE(keys) && !rc; k++) {
				if (!keys[k].v->set)
					continue;
				snprintf(target, sizeof(target), "%u/%s", n->id, keys[k].napi_attr);
				snprintf(label, sizeof(label), "%s NAPI %u %s", ifname, n->id,
					 keys[k].napi_attr);
				snprintf(new, sizeof(new), "%" PRId64, keys[k].v->v);
				rc = plan_set(c, KNOB_NAPI, target, label, new, &keys[k].v->src,
					      false);
			}
		}
		return rc;
	}
	for (size_t k = 0; k < ARRAY_SIZE(keys) && !rc; k++) {
		if (!keys[k].v->set)
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, keys[k].sysfs_attr);
		if (!host_exists(c->h, path)) {
			rc = note(c, &keys[k].v->src, "%s %s: not applicable (no %s)", ifname,
				  keys[k].sysfs_attr, path);
			continue;
		}
		snprintf(target, sizeof(target), "%s/%s", ifname, keys[k].sysfs_attr);
		snprintf(new, sizeof(new), "%" PRId64, keys[k].v->v);
		rc = plan_set(c, KNOB_NETDEV_ATTR, target, target, new, &keys[k].v->src, false);
	}
	return rc;
}

static int plan_napi(struct ctx *c)
{
	const struct profile *p = c->p;
	bool per_if = p->defer_hard_irqs.set || p->gro_flush_timeout_ns.set;
	int rc = plan_sysctls(c);
	if (rc || (!per_if && !p->interfaces_set))
		return rc;
	const struct profile_src *s = p->defer_hard_irqs.set ? &p->defer_hard_irqs.src :
				      p->gro_flush_timeout_ns.set ? &p->gro_flush_timeout_ns.src :
								      &p->interfaces_src;
	if (!c->m->net.available)
		return note(c, s, "[napi] per-interface settings skipped: %s",
			    c->m->net.why[0] ? c->m->net.why : "no network interfaces");
	struct strlist ifs;
	strlist_init(&ifs);
	rc = napi_interfaces(c, &ifs);
	if (!rc && per_if && !ifs.n)
		rc = note(c, s, "[napi] per-interface settings skipped: no physical interface "
				"is up");
	for (size_t i = 0; per_if && !rc && i < ifs.n; i++)
		rc = plan_napi_if(c, ifs.v[i]);
	strlist_free(&ifs);
	return rc;
}

/* ---------- [pmqos] ---------- */

static int plan_pmqos_static(struct ctx *c)
{
	const struct profile *p = c->p;
	const struct pnum *lat = &p->resume_latency_us;
	/* A window without a latency keeps the CPU polling: n/a. */
	const struct pnum na = { .set = true, .v = PMQOS_NA, .src = p->pmqos_mode_src };
	if (!lat->set && c->window)
		lat = &na;
	if (!lat->set)
		return note(c, &p->pmqos_mode_src,
			    "[pmqos] mode = static without resume_latency_us: nothing to set");
	char new[32], target[16], label[32], path[128], list[256];
	if (lat->v < 0)
		copy_str(new, sizeof(new), "n/a");
	else
		snprintf(new, sizeof(new), "%" PRId64, lat->v);
	struct cpumask missing;
	cpumask_init(&missing);
	const struct cpumask *agent = &c->pl->agent_cpus;
	int rc = 0;
	for (int cpu = cpumask_next(agent, -1); cpu >= 0 && !rc; cpu = cpumask_next(agent, cpu)) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/power/pm_qos_resume_latency_us", cpu);
		if (!host_exists(c->h, path)) {
			rc = cpumask_set(&missing, (unsigned)cpu);
			continue;
		}
		snprintf(target, sizeof(target), "%d", cpu);
		snprintf(label, sizeof(label), c->window ? "cpu%d (window)" : "cpu%d", cpu);
		rc = plan_set(c, KNOB_PMQOS, target, label, new, &lat->src, false);
	}
	if (!rc && !cpumask_empty(&missing)) {
		mask_str(&missing, list, sizeof(list));
		rc = note(c, &lat->src,
			  "PM QoS: not applicable on CPU%s %s (no power/pm_qos_resume_latency_us)",
			  cpumask_weight(&missing) == 1 ? "" : "s", list);
	}
	cpumask_free(&missing);
	return rc;
}

static bool policy_covers(const struct cpufreq_policy *pol, const struct cpumask *cpus)
{
	return cpumask_intersects(&pol->cpus, cpus) || cpumask_intersects(&pol->related, cpus);
}

static int plan_cpufreq(struct ctx *c)
{
	const struct profile *p = c->p;
	const struct cpufreq *f = &c->m->freq;
	const struct profile_src *s = &p->min_freq_src;
	if (!f->available || !f->n)
		return note(c, s, "cpufreq floor: not applicable (no cpufreq on this host)");
	int rc = 0;
	size_t covered = 0;
	for (size_t i = 0; i < f->n && !rc; i++) {
		const struct cpufreq_policy *pol = &f->policy[i];
		if (!policy_covers(pol, &c->pl->agent_cpus))
			continue;
		covered++;
		uint64_t lo = pol->cpuinfo_min_khz, hi = pol->cpuinfo_max_khz, khz;
		if (strncmp(pol->name, "policy", 6)) {
			rc = note(c, s, "cpufreq floor: not applicable to %s (old per-CPU "
					"cpufreq layout)", pol->name);
			continue;
		}
		if (hi == NA_U64 || (p->min_freq_kind == FREQ_PERCENT && lo == NA_U64)) {
			rc = note(c, s, "cpufreq floor: %s skipped (its cpuinfo range is unknown)",
				  pol->name);
			continue;
		}
		switch (p->min_freq_kind) {
		case FREQ_MAX:
			khz = hi;
			break;
		case FREQ_PERCENT:
			khz = lo + (hi > lo ? (hi - lo) * p->min_freq / 100 : 0);
			break;
		default:
			khz = p->min_freq;
			if (khz > hi)
				return fail(c, -EINVAL, s,
					    "min_freq = %" PRIu64 " kHz is above the maximum of "
					    "%s (%" PRIu64 " kHz)",
					    khz, pol->name, hi);
			if (lo != NA_U64 && khz < lo)
				return fail(c, -EINVAL, s,
					    "min_freq = %" PRIu64 " kHz is below the minimum of "
					    "%s (%" PRIu64 " kHz)",
					    khz, pol->name, lo);
			break;
		}
		char new[32], label[160], list[128];
		snprintf(new, sizeof(new), "%" PRIu64, khz);
		if (mask_str(&pol->cpus, list, sizeof(list)) || !list[0])
			mask_str(&pol->related, list, sizeof(list));
		strf(label, sizeof(label), "%s (CPU %s) scaling_min_freq%s", pol->name, list,
		     c->window ? " (window)" : "");
		rc = plan_set(c, KNOB_CPUFREQ_MIN, pol->name, label, new, s, false);
	}
	if (!rc && !covered)
		rc = note(c, s, "cpufreq floor: no cpufreq policy covers the agent CPUs");
	return rc;
}

/* The window keys mean something with mode = window only. */
static int window_keys_unused(struct ctx *c)
{
	const struct profile *p = c->p;
	const struct pnum *keys[] = { &p->window_ms, &p->budget_tokens, &p->refill_per_s,
				      &p->cost_per_window };
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i]->set)
			return note(c, &keys[i]->src, "[pmqos] the window keys are used with "
						      "mode = window only: not set");
	return 0;
}

/* A controller from an earlier apply manages PM QoS on this host: -EINVAL
 * for a static constraint (the two would fight), a note for a window. */
static int controller_running(struct ctx *c, bool *running)
{
	int pid;
	*running = !strcmp(winctl_state(journal_default_dir(), &pid), "running");
	if (!*running)
		return 0;
	if (c->p->pmqos_mode == PMQOS_MODE_STATIC)
		return fail(c, -EINVAL, &c->p->pmqos_mode_src,
			    "[pmqos] mode = static: the PM QoS window controller of an earlier "
			    "apply (pid %d) manages PM QoS here; revert it first", pid);
	/* A window with another method than the running one's: the running
	 * controller stays, as for a window profile over a window profile. */
	return note(c, &c->p->pmqos_mode_src,
		    "PM QoS window: the controller of an earlier apply (pid %d) is running; "
		    "its windows stay as they are", pid);
}

/* Every pm_qos and cpufreq_min change becomes the controller's (journaled,
 * written per window), then the controller itself. */
static int plan_pmqos_window(struct ctx *c)
{
	const struct profile *p = c->p;
	profile_window_params(p, &c->pl->window);
	size_t n0 = c->pl->n;
	c->window = true;
	int rc = plan_pmqos_static(c);
	/* No CPU needs a window (each holds the value already, or has no
	 * pm_qos file): no controller, and the floor is set like a static one. */
	bool cpus = c->pl->n > n0;
	c->window = cpus;
	if (!rc && p->min_freq_kind != FREQ_UNSET)
		rc = plan_cpufreq(c);
	c->window = false;
	if (rc || !cpus)
		return rc;
	/* controller_running found none: it is stopped now. */
	return add_change(c, KNOB_WINDOW, KNOB_WINDOW_TARGET, "PM QoS window controller",
			  "stopped", "running", &p->pmqos_mode_src, false);
}

static const struct profile_src *method_src(const struct profile *p)
{
	return p->pmqos_method != PMQOS_METHOD_UNSET ? &p->pmqos_method_src : &p->pmqos_mode_src;
}

/* method = poll: the controller's poll threads on the agent CPUs, held
 * while applied (static) or while a window is open; the floor as for qos.
 * Nothing is written to the host for the threads themselves: they are
 * threads of the controller, whose journal record is the change. */
static int plan_poll(struct ctx *c)
{
	const struct profile *p = c->p;
	bool win = p->pmqos_mode == PMQOS_MODE_WINDOW;
	int rc = cpumask_copy(&c->pl->poll_cpus, &c->pl->agent_cpus);
	c->pl->poll_static = !win;
	/* A static poll's controller opens no window; its parameters are
	 * the defaults, checked like any. */
	profile_window_params(p, &c->pl->window);
	/* With auto the latency is for the hosts where qos is chosen. */
	if (!rc && p->resume_latency_us.set && p->pmqos_method == PMQOS_METHOD_POLL)
		rc = note(c, &p->resume_latency_us.src, "[pmqos] resume_latency_us is not used with "
			  "method = poll (a poll thread keeps the CPU from halting at all)");
	c->window = win;
	if (!rc && p->min_freq_kind != FREQ_UNSET)
		rc = plan_cpufreq(c);
	c->window = false;
	if (rc)
		return rc;
	char label[128], list[96];
	mask_str(&c->pl->poll_cpus, list, sizeof(list));
	/* Threads spin on the CPUs of the machine that runs agentune, never
	 * on a tree's. */
	if (!c->h->live)
		return note(c, method_src(p), "poll threads on CPU %s: not started under --root "
			    "(they act on the running machine only)", list);
	strf(label, sizeof(label), "poll threads on CPU %s (%s)", list, win ? "window" : "static");
	return add_change(c, KNOB_WINDOW, KNOB_WINDOW_TARGET, label, "stopped", "running",
			  &p->pmqos_mode_src, false);
}

/* [pmqos] method against this host: what keeps the agent CPUs warm here. */
static void resolve_method(struct ctx *c)
{
	struct plan *pl = c->pl;
	enum warm_method host = cpuidle_warm_method(&c->m->idle, &pl->agent_cpus, pl->warm_why,
						    sizeof(pl->warm_why));
	pl->warm_set = true;
	switch (c->p->pmqos_method) {
	case PMQOS_METHOD_QOS:
		pl->warm = host == WARM_QOS || c->o->qos_anyway ? WARM_QOS : WARM_NONE;
		break;
	case PMQOS_METHOD_POLL:
		pl->warm = WARM_POLL;
		break;
	default:
		pl->warm_auto = true;
		pl->warm = host;
		break;
	}
}

/* The constraint where it acts; a note with the reason where it does not. */
static int plan_warm(struct ctx *c)
{
	const struct profile *p = c->p;
	struct plan *pl = c->pl;
	if (pl->warm == WARM_POLL)
		return plan_poll(c);
	int rc;
	if (pl->warm == WARM_QOS && p->pmqos_mode == PMQOS_MODE_WINDOW)
		return plan_pmqos_window(c);
	if (pl->warm == WARM_QOS) {
		rc = plan_pmqos_static(c);
		if (!rc && p->min_freq_kind != FREQ_UNSET)
			rc = plan_cpufreq(c);
		return rc;
	}
	if (p->pmqos_method == PMQOS_METHOD_QOS)
		rc = note(c, method_src(p), "PM QoS: not planned, it changes nothing on this host: "
			  "%s (method = poll or auto keeps these CPUs warm here)", pl->warm_why);
	else
		rc = note(c, method_src(p), "PM QoS: neither method acts on this host: %s",
			  pl->warm_why);
	if (!rc && p->min_freq_kind != FREQ_UNSET)
		rc = plan_cpufreq(c);
	return rc;
}

static int plan_pmqos(struct ctx *c)
{
	const struct profile *p = c->p;
	bool running = false;
	int rc = 0;
	bool warm = p->pmqos_mode == PMQOS_MODE_STATIC || p->pmqos_mode == PMQOS_MODE_WINDOW;
	if (warm) {
		resolve_method(c);
		/* A static constraint fights a controller; a static poll is a
		 * controller of its own: either waits for revert. */
		rc = controller_running(c, &running);
	}
	if (rc || running)
		return rc;
	if (p->pmqos_mode != PMQOS_MODE_WINDOW)
		rc = window_keys_unused(c);
	if (!rc && warm)
		return plan_warm(c);
	if (!rc && p->pmqos_method != PMQOS_METHOD_UNSET)
		rc = note(c, &p->pmqos_method_src, "[pmqos] method is used with mode = static or "
			  "window only: not used");
	if (!rc && p->resume_latency_us.set)
		rc = note(c, &p->resume_latency_us.src,
			  "[pmqos] resume_latency_us is used with mode = static or window only: "
			  "not set");
	if (!rc && p->min_freq_kind != FREQ_UNSET)
		rc = plan_cpufreq(c);
	return rc;
}

/* ---------- [cgroup] ---------- */

struct hier {
	char mount[256];
	char dir[300];
	bool v2, cpu, cpuset, dir_exists;
	char mems[KNOB_VAL_MAX];   /* cpuset.mems to copy from the parent; "" none */
};

struct cg {
	const char *name;
	const struct profile_src *src;    /* for the directory and the move */
	bool want_cpu, want_uclamp, want_cpuset, isolate;
	struct hier hier[2];
	size_t nh;
};

static const struct cgroup_ctrl *find_ctrl(const struct cgroup_info *ci, const char *name)
{
	for (size_t i = 0; i < ci->n; i++)
		if (!strcmp(ci->ctrl[i].name, name) && ci->ctrl[i].enabled)
			return &ci->ctrl[i];
	return NULL;
}

/* Whether the words of "cpuset cpu io" hold name. */
static bool word_in(const char *words, const char *name)
{
	size_t n = strlen(name);
	for (const char *s = words; *s;) {
		s += strspn(s, " \t\n");
		size_t len = strcspn(s, " \t\n");
		if (len == n && !strncmp(s, name, n))
			return true;
		s += len;
	}
	return false;
}

/* The hierarchy controller ctl lives in, added to g once; NULL when the
 * controller is missing or unusable (a note says why). */
static int cg_hier(struct ctx *c, struct cg *g, const char *ctl, struct hier **out)
{
	const struct cgroup_info *ci = &c->m->cgroup;
	const struct cgroup_ctrl *x = ci->available ? find_ctrl(ci, ctl) : NULL;
	const char *mount = !x ? "" : x->on_v2 ? ci->v2_mount : x->mount;
	*out = NULL;
	if (!mount[0])
		return note(c, g->src, "[cgroup] the %s controller is not available on this "
				       "host: its settings are skipped", ctl);
	char why[256], dir[KNOB_TARGET_MAX];
	if (!pathf(dir, sizeof(dir), "%s/%s", mount, g->name) ||
	    !knob_valid(KNOB_CGROUP_DIR, dir, NULL, why, sizeof(why)))
		return note(c, g->src, "[cgroup] %s hierarchy at %s: skipped (%s)", ctl, mount,
			    why);
	if (x->on_v2) {
		char path[300], ctl_list[512];
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", mount);
		if (host_read_line(c->h, path, ctl_list, sizeof(ctl_list)) ||
		    !word_in(ctl_list, ctl))
			return note(c, g->src,
				    "%s controller not enabled for children of %s: skipped", ctl,
				    mount);
	}
	for (size_t i = 0; i < g->nh; i++)
		if (!strcmp(g->hier[i].mount, mount)) {
			*out = &g->hier[i];
			return 0;
		}
	struct hier *hr = &g->hier[g->nh++];
	memset(hr, 0, sizeof(*hr));
	copy_str(hr->mount, sizeof(hr->mount), mount);
	hr->v2 = x->on_v2;
	snprintf(hr->dir, sizeof(hr->dir), "%s/%s", mount, g->name);
	*out = hr;
	return 0;
}

static int cg_attr(struct ctx *c, const struct cg *g, const struct hier *hr, const char *file,
		   const char *new, const struct profile_src *s)
{
	char target[KNOB_TARGET_MAX], label[160];
	if (!pathf(target, sizeof(target), "%s/%s", hr->dir, file))
		return fail(c, -ENAMETOOLONG, s, "cgroup path %s/%s is too long", hr->dir, file);
	if (!hr->dir_exists) {
		snprintf(label, sizeof(label), "cgroup %s: %s (new cgroup)", g->name, file);
		return add_change(c, KNOB_CGROUP_ATTR, target, label, "", new, s, false);
	}
	if (!host_exists(c->h, target))
		return note(c, s, "cgroup %s: not applicable (no %s)", file, target);
	snprintf(label, sizeof(label), "cgroup %s: %s", g->name, file);
	return plan_set(c, KNOB_CGROUP_ATTR, target, label, new, s, false);
}

static int cg_cpu_attrs(struct ctx *c, const struct cg *g, const struct hier *hr)
{
	const struct profile *p = c->p;
	char v[64];
	int rc = 0;
	if (p->cpu_weight.set) {
		int64_t w = p->cpu_weight.v;
		if (hr->v2) {
			snprintf(v, sizeof(v), "%" PRId64, w);
			rc = cg_attr(c, g, hr, "cpu.weight", v, &p->cpu_weight.src);
		} else {
			/* v2 weight 100 is v1's default of 1024 shares. */
			int64_t shares = w * 1024 / 100;
			shares = shares < 2 ? 2 : shares > 262144 ? 262144 : shares;
			snprintf(v, sizeof(v), "%" PRId64, shares);
			rc = cg_attr(c, g, hr, "cpu.shares", v, &p->cpu_weight.src);
		}
	}
	if (!rc && p->cpu_max_quota_us.set) {
		int64_t q = p->cpu_max_quota_us.v;
		int64_t per = p->cpu_max_period_us.set ? p->cpu_max_period_us.v :
							 DEFAULT_CFS_PERIOD_US;
		const struct profile_src *s = &p->cpu_max_quota_us.src;
		if (hr->v2) {
			if (q < 0)
				snprintf(v, sizeof(v), "max %" PRId64, per);
			else
				snprintf(v, sizeof(v), "%" PRId64 " %" PRId64, q, per);
			rc = cg_attr(c, g, hr, "cpu.max", v, s);
		} else {
			/* The period first: revert, walking backwards, then
			 * restores the quota before the period. */
			snprintf(v, sizeof(v), "%" PRId64, per);
			rc = cg_attr(c, g, hr, "cpu.cfs_period_us", v, s);
			snprintf(v, sizeof(v), "%" PRId64, q < 0 ? (int64_t)-1 : q);
			if (!rc)
				rc = cg_attr(c, g, hr, "cpu.cfs_quota_us", v, s);
		}
	}
	if (!rc && g->want_uclamp) {
		int64_t u = p->uclamp_min.v;
		if (u >= 10000)
			copy_str(v, sizeof(v), "max");
		else
			snprintf(v, sizeof(v), "%" PRId64 ".%02" PRId64, u / 100, u % 100);
		rc = cg_attr(c, g, hr, "cpu.uclamp.min", v, &p->uclamp_min.src);
	}
	return rc;
}

static int cg_cpuset_attrs(struct ctx *c, const struct cg *g, const struct hier *hr)
{
	const struct profile *p = c->p;
	const struct profile_src *s = p->cpuset.kind != CPUS_UNSET ? &p->cpuset.src :
								      &p->isolate.src;
	char v[KNOB_VAL_MAX];
	const struct cpumask *cpus =
		p->cpuset.kind == CPUS_LIST ? &p->cpuset.cpus : &c->pl->agent_cpus;
	int rc = mask_str(cpus, v, sizeof(v));
	if (!rc)
		rc = cg_attr(c, g, hr, "cpuset.cpus", v, s);
	if (!rc && hr->mems[0])
		rc = cg_attr(c, g, hr, "cpuset.mems", hr->mems, s);
	return rc;
}

/* cpuset.mems to copy from the parent; v1 refuses tasks in a cpuset
 * without mems, v2 inherits when it is empty. */
static int cg_mems(struct ctx *c, struct cg *g, struct hier *hr)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/%s", hr->mount,
		 hr->v2 ? "cpuset.mems.effective" : "cpuset.mems");
	if (!host_read_line(c->h, path, hr->mems, sizeof(hr->mems)) && hr->mems[0])
		return 0;
	hr->mems[0] = '\0';
	if (hr->v2)
		return 0;
	hr->cpuset = false;
	return note(c, g->src, "[cgroup] cpuset skipped: cannot read %s", path);
}

static int cg_procs_count(struct ctx *c, const char *mount)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/cgroup.procs", mount);
	char *text = host_read(c->h, path, NULL);
	if (!text)
		return 0;
	int n = 0;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		int64_t pid;
		if (parse_s64(line, &pid) && pid != c->o->pid)
			n++;
	}
	free(text);
	return n;
}

/* Sets dir/cpuset.cpus to housekeeping; on v1 after every descendant. */
static int cg_isolate_dir(struct ctx *c, const struct hier *hr, const char *dir,
			  const char *hk, const struct profile_src *s, int depth)
{
	int rc = 0;
	if (!hr->v2 && depth < V1_DEPTH_MAX) {
		struct strlist kids;
		if (!host_list(c->h, dir, &kids)) {
			for (size_t i = 0; i < kids.n && !rc; i++) {
				char sub[KNOB_TARGET_MAX];
				if (!pathf(sub, sizeof(sub), "%s/%s", dir, kids.v[i]) ||
				    !host_is_dir(c->h, sub))
					continue;
				rc = cg_isolate_dir(c, hr, sub, hk, s, depth + 1);
			}
			strlist_free(&kids);
		}
		if (rc)
			return rc;
	}
	char target[KNOB_TARGET_MAX], old[KNOB_VAL_MAX], label[160];
	if (!pathf(target, sizeof(target), "%s/cpuset.cpus", dir) || !host_exists(c->h, target))
		return 0;
	if (knob_read(c->h, KNOB_CGROUP_ATTR, target, old, sizeof(old)))
		old[0] = '\0';
	if (!hr->v2 && depth > 0 && old[0]) {
		/* A v1 descendant already within housekeeping stays as it is. */
		struct cpumask cur, hkm;
		cpumask_init(&cur);
		cpumask_init(&hkm);
		bool within = !cpulist_parse(old, &cur) && !cpulist_parse(hk, &hkm) &&
			      cpumask_subset(&cur, &hkm);
		cpumask_free(&cur);
		cpumask_free(&hkm);
		if (within)
			return 0;
	}
	if (knob_same(KNOB_CGROUP_ATTR, old, hk))
		return 0;
	snprintf(label, sizeof(label), "cgroup %s: cpuset.cpus (isolate)", dir + strlen(hr->mount));
	return add_change(c, KNOB_CGROUP_ATTR, target, label, old, hk, s, false);
}

static int cg_isolate(struct ctx *c, const struct cg *g, const struct hier *hr)
{
	const struct profile_src *s = &c->p->isolate.src;
	char hk[KNOB_VAL_MAX];
	int rc = mask_str(&c->pl->housekeeping, hk, sizeof(hk));
	struct strlist kids;
	if (rc || host_list(c->h, hr->mount, &kids))
		return rc;
	for (size_t i = 0; i < kids.n && !rc; i++) {
		char dir[KNOB_TARGET_MAX];
		if (!strcmp(kids.v[i], g->name) ||
		    !pathf(dir, sizeof(dir), "%s/%s", hr->mount, kids.v[i]) ||
		    !host_is_dir(c->h, dir))
			continue;
		rc = cg_isolate_dir(c, hr, dir, hk, s, 0);
	}
	strlist_free(&kids);
	int n = rc ? 0 : cg_procs_count(c, hr->mount);
	if (n > 0)
		rc = note(c, s,
			  "%d %s in the root cpuset cannot be moved by a cgroup; for full "
			  "isolation boot with isolcpus=/nohz_full=",
			  n, n == 1 ? "process" : "processes");
	return rc;
}

/* The line the cgroup is first asked for: it names the directory and the move. */
static const struct profile_src *cg_first_src(const struct profile *p)
{
	if (p->cgroup_name_set)
		return &p->cgroup_name_src;
	if (p->cpu_weight.set)
		return &p->cpu_weight.src;
	if (p->cpu_max_quota_us.set)
		return &p->cpu_max_quota_us.src;
	if (p->cpuset.kind != CPUS_UNSET)
		return &p->cpuset.src;
	if (p->uclamp_min.set)
		return &p->uclamp_min.src;
	return p->isolate.set ? &p->isolate.src : NULL;
}

static int cg_setup(struct ctx *c, struct cg *g)
{
	const struct profile *p = c->p;
	int rc = 0;
	if (g->want_uclamp && !host_exists(c->h, "/proc/sys/kernel/sched_util_clamp_min")) {
		g->want_uclamp = false;
		rc = note(c, &p->uclamp_min.src,
			  "uclamp_min: not applicable (kernel without uclamp: no "
			  "/proc/sys/kernel/sched_util_clamp_min)");
	}
	struct hier *hr;
	if (!rc && (g->want_cpu || g->want_uclamp)) {
		rc = cg_hier(c, g, "cpu", &hr);
		if (!rc && hr)
			hr->cpu = true;
	}
	if (!rc && g->want_cpuset) {
		rc = cg_hier(c, g, "cpuset", &hr);
		if (!rc && hr) {
			hr->cpuset = true;
			rc = cg_mems(c, g, hr);
		}
	}
	if (!rc && p->cpuset.kind == CPUS_LIST)
		rc = check_online(c, &p->cpuset.cpus, "cpuset", &p->cpuset.src, NULL);
	for (size_t i = 0; !rc && i < g->nh; i++) {
		char state[32];
		if (!g->hier[i].cpu && !g->hier[i].cpuset)
			continue;
		if (knob_read(c->h, KNOB_CGROUP_DIR, g->hier[i].dir, state, sizeof(state)))
			state[0] = '\0';
		g->hier[i].dir_exists = !strcmp(state, "present");
	}
	return rc;
}

/* The agent runs in a systemd unit: its own cgroup takes the settings,
 * nothing is created and no process is moved (systemd owns its tree). */
static int plan_unit_cgroup(struct ctx *c, struct cg *g)
{
	const char *rel = c->o->unit_cgroup;
	int rc;

	if (rel[0] != '/' || !rel[1])
		return fail(c, -EINVAL, g->src, "unit cgroup '%s' is not a cgroup path", rel);
	g->name = rel + 1;
	if (g->isolate) {
		g->isolate = false;
		g->want_cpuset = c->p->cpuset.kind != CPUS_UNSET;
		rc = note(c, &c->p->isolate.src, "[cgroup] isolate: skipped for an agent in a "
			  "systemd unit (set AllowedCPUs= on the other slices instead)");
		if (rc)
			return rc;
	}
	if (!g->want_cpu && !g->want_uclamp && !g->want_cpuset)
		return 0;
	rc = cg_setup(c, g);
	for (size_t i = 0; !rc && i < g->nh; i++) {
		struct hier *hr = &g->hier[i];

		if (!hr->cpu && !hr->cpuset)
			continue;
		if (!hr->dir_exists) {
			rc = note(c, g->src, "[cgroup] unit cgroup %s has no directory in the "
				  "hierarchy at %s: its settings there are skipped (systemd "
				  "creates it, e.g. with CPUAccounting=yes)", rel, hr->mount);
			continue;
		}
		if (hr->cpu)
			rc = cg_cpu_attrs(c, g, hr);
		if (!rc && hr->cpuset)
			rc = cg_cpuset_attrs(c, g, hr);
	}
	return rc;
}

static int plan_cgroup(struct ctx *c)
{
	const struct profile *p = c->p;
	struct cg g;
	memset(&g, 0, sizeof(g));
	g.want_cpu = p->cpu_weight.set || p->cpu_max_quota_us.set;
	g.want_uclamp = p->uclamp_min.set;
	g.isolate = p->isolate.set && p->isolate.v;
	g.want_cpuset = p->cpuset.kind != CPUS_UNSET || g.isolate;
	if (!g.want_cpu && !g.want_uclamp && !g.want_cpuset)
		return 0;
	g.name = p->cgroup_name_set && p->cgroup_name[0] ? p->cgroup_name : DEFAULT_CGROUP;
	g.src = cg_first_src(p);
	if (c->o->unit_cgroup)
		return plan_unit_cgroup(c, &g);
	if (c->o->pid < 0)
		return note(c, g.src, "cgroup settings skipped: no --pid");

	int rc = cg_setup(c, &g);
	/* Directories and attributes, then the moves, then isolation. */
	for (size_t i = 0; !rc && i < g.nh; i++) {
		struct hier *hr = &g.hier[i];
		if (!hr->cpu && !hr->cpuset)
			continue;
		if (!hr->dir_exists) {
			char label[160];
			strf(label, sizeof(label), "cgroup %s (%s)", g.name, hr->mount);
			rc = add_change(c, KNOB_CGROUP_DIR, hr->dir, label, "absent", "present",
					g.src, false);
		}
		if (!rc && hr->cpu)
			rc = cg_cpu_attrs(c, &g, hr);
		if (!rc && hr->cpuset)
			rc = cg_cpuset_attrs(c, &g, hr);
	}
	for (size_t i = 0; !rc && i < g.nh; i++) {
		const struct hier *hr = &g.hier[i];
		if (!hr->cpu && !hr->cpuset)
			continue;
		char target[KNOB_TARGET_MAX], label[160], new[80];
		/* The start time tells this process from a later one that
		 * reuses its pid (revert must never move that one). */
		if (!c->pl->pid_start)
			return fail(c, -ESRCH, g.src, "cannot read the start time of process %d "
				    "(/proc/%d/stat)", c->o->pid, c->o->pid);
		if (!pathf(target, sizeof(target), "%d@%" PRIu64 ":%s", c->o->pid,
			   c->pl->pid_start, hr->mount))
			return fail(c, -ENAMETOOLONG, g.src, "cgroup mount %s: path too long",
				    hr->mount);
		strf(label, sizeof(label), "process %d -> cgroup %s (%s)", c->o->pid, g.name,
			 hr->mount);
		snprintf(new, sizeof(new), "/%s", g.name);
		rc = plan_set(c, KNOB_CGROUP_PROCS, target, label, new, g.src, false);
	}
	for (size_t i = 0; !rc && g.isolate && i < g.nh; i++)
		if (g.hier[i].cpuset)
			rc = cg_isolate(c, &g, &g.hier[i]);
	return rc;
}

/* ---------- [agent] timer_slack_ns ---------- */

/* Each thread of the --pid process now, journaled one by one so revert
 * restores each exactly.  Threads started later copy the slack of the
 * thread that creates them (the kernel does, at clone): they are not
 * journaled, and keep it until they exit.  A thread that reads 0 runs
 * under a real-time policy, where no slack applies: left alone. */
static int plan_timer_slack(struct ctx *c)
{
	const struct pnum *ts = &c->p->timer_slack_ns;
	if (!ts->set)
		return 0;
	if (c->o->pid < 0)
		return note(c, &ts->src, "[agent] timer_slack_ns: skipped: no --pid (the slack "
					 "is set per thread of the agent process)");
	struct task_list tl;
	int rc = task_list_read(c->h, c->o->pid, &tl);
	if (rc == -ENOMEM)
		return rc;
	if (rc)
		return note(c, &ts->src, "[agent] timer_slack_ns: skipped: cannot list the threads "
					 "of process %d (/proc/%d/task: %s)", c->o->pid, c->o->pid,
			    strerror(rc == -ESRCH ? ENOENT : -rc));
	char new[32], target[KNOB_TARGET_MAX], label[96], cur[64], rt[160] = "";
	size_t nrt = 0, n0 = c->pl->n;
	snprintf(new, sizeof(new), "%" PRId64, ts->v);
	for (size_t i = 0; !rc && i < tl.n; i++) {
		const struct task_stat *t = &tl.t[i];
		if (!t->starttime || knob_timer_slack_target(c->o->pid, t->tid, t->starttime, target,
							     sizeof(target)))
			continue;
		int r = knob_read(c->h, KNOB_TIMER_SLACK, target, cur, sizeof(cur));
		if (r == -ENOENT)
			continue; /* exited meanwhile */
		if (!r && !strcmp(cur, "0")) {
			size_t len = strlen(rt);
			if (nrt++ < 8)
				snprintf(rt + len, sizeof(rt) - len, "%s%d", len ? ", " : "", t->tid);
			continue;
		}
		strf(label, sizeof(label), "thread %d (%s) of pid %d", t->tid, t->comm, c->o->pid);
		rc = plan_set(c, KNOB_TIMER_SLACK, target, label, new, &ts->src, false);
	}
	if (!rc && nrt)
		rc = note(c, &ts->src, "timer slack: thread%s %s%s run%s under a real-time policy, "
				       "where no timer slack applies (it reads 0): left as %s",
			  nrt == 1 ? "" : "s", rt, nrt > 8 ? ", ..." : "", nrt == 1 ? "s" : "",
			  nrt == 1 ? "it is" : "they are");
	if (!rc && c->pl->n > n0)
		rc = note(c, &ts->src, "timer slack: for the threads process %d has now (%zu); "
				       "threads it starts later copy the slack of the thread that "
				       "starts them, and revert does not reach them",
			  c->o->pid, tl.n);
	task_list_free(&tl);
	return rc;
}

/* ---------- the plan ---------- */

static bool napi_set(const struct profile *p)
{
	return p->netdev_budget.set || p->netdev_budget_usecs.set || p->busy_poll.set ||
	       p->busy_read.set || p->defer_hard_irqs.set || p->gro_flush_timeout_ns.set ||
	       p->interfaces_set;
}

static bool pmqos_set(const struct profile *p)
{
	return p->pmqos_mode != PMQOS_MODE_UNSET || p->resume_latency_us.set ||
	       p->min_freq_kind != FREQ_UNSET;
}

/* A section that is set but changed nothing and said nothing gets a note,
 * so a dry run accounts for every section of the profile. */
static int section_quiet(struct ctx *c, const char *sec, size_t n0, size_t notes0,
			 const struct profile_src *s)
{
	if (c->pl->n != n0 || c->pl->nnotes != notes0)
		return 0;
	return note(c, s, "[%s] every setting already holds its value here", sec);
}

static int build(struct ctx *c)
{
	const struct profile *p = c->p;
	size_t n0, k0;
	int rc = agent_cpus(c);
	if (!rc)
		rc = plan_irqs(c);
	if (rc)
		return rc;

	n0 = c->pl->n, k0 = c->pl->nnotes;
	rc = plan_napi(c);
	if (!rc && napi_set(p)) {
		const struct profile_src *s = p->interfaces_set ? &p->interfaces_src : NULL;
		const struct pnum *keys[] = { &p->netdev_budget, &p->netdev_budget_usecs,
					      &p->busy_poll, &p->busy_read, &p->defer_hard_irqs,
					      &p->gro_flush_timeout_ns };
		for (size_t i = 0; !s && i < ARRAY_SIZE(keys); i++)
			if (keys[i]->set)
				s = &keys[i]->src;
		rc = section_quiet(c, "napi", n0, k0, s);
	}
	if (rc)
		return rc;

	n0 = c->pl->n, k0 = c->pl->nnotes;
	rc = plan_pmqos(c);
	if (!rc && pmqos_set(p)) {
		const struct profile_src *s = p->pmqos_mode != PMQOS_MODE_UNSET ?
						      &p->pmqos_mode_src :
					      p->resume_latency_us.set ? &p->resume_latency_us.src :
									 &p->min_freq_src;
		if (p->pmqos_mode == PMQOS_MODE_OFF && !p->resume_latency_us.set &&
		    p->min_freq_kind == FREQ_UNSET && c->pl->nnotes == k0)
			rc = note(c, s, "[pmqos] mode = off: PM QoS is left as it is");
		else
			rc = section_quiet(c, "pmqos", n0, k0, s);
	}
	if (rc)
		return rc;

	n0 = c->pl->n, k0 = c->pl->nnotes;
	rc = plan_cgroup(c);
	bool cg_set = p->cpu_weight.set || p->cpu_max_quota_us.set || p->uclamp_min.set ||
		      p->cpuset.kind != CPUS_UNSET || (p->isolate.set && p->isolate.v);
	if (!rc && cg_set)
		rc = section_quiet(c, "cgroup", n0, k0, cg_first_src(p));
	else if (!rc && p->cgroup_name_set)
		rc = note(c, &p->cgroup_name_src, "[cgroup] a name but no setting: nothing to do");
	if (rc)
		return rc;

	n0 = c->pl->n, k0 = c->pl->nnotes;
	rc = plan_timer_slack(c);
	if (!rc && p->timer_slack_ns.set && c->pl->n == n0 && c->pl->nnotes == k0)
		rc = note(c, &p->timer_slack_ns.src, "[agent] timer_slack_ns: every thread already "
			  "holds %" PRId64 " ns", p->timer_slack_ns.v);
	return rc;
}

int plan_build(const struct host *h, const struct model *m, const struct profile *p,
	       const struct plan_opts *o, struct plan *out, char *why, size_t sz)
{
	memset(out, 0, sizeof(*out));
	cpumask_init(&out->agent_cpus);
	cpumask_init(&out->housekeeping);
	cpumask_init(&out->poll_cpus);
	out->pid = o ? o->pid : -1;
	if (why && sz)
		why[0] = '\0';

	struct plan_opts none = { .pid = -1, .cpus = NULL };
	struct ctx c = {
		.h = h, .m = m, .p = p, .o = o ? o : &none, .pl = out, .why = why, .sz = sz,
	};
	cpumask_init(&c.online);
	model_cpus(m, &c.online);
	int rc = build(&c);
	cpumask_free(&c.online);
	if (rc == -ENOMEM && why && sz && !why[0])
		copy_str(why, sz, "out of memory");
	if (rc) {
		plan_free(out);
		out->pid = o ? o->pid : -1;
	}
	return rc;
}

void plan_free(struct plan *pl)
{
	if (!pl)
		return;
	free(pl->c);
	free(pl->notes);
	cpumask_free(&pl->agent_cpus);
	cpumask_free(&pl->housekeeping);
	cpumask_free(&pl->poll_cpus);
	memset(pl, 0, sizeof(*pl));
	pl->pid = -1;
}
