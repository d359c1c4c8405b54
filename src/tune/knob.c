/* tune/knob: read, validate, write and compare one kind of setting (knob.h).
 *
 * Every file is reached through host.h, so the same code drives the live
 * machine and a writable fixture tree.  knob_valid() is strict on purpose:
 * targets come from profiles, plans and the journal, which a user (or an
 * attacker who can write the journal) controls, and a target must never
 * name a file outside the few this module knows.
 *
 * libcgroup (2.0.2 here), as read in its source and checked live on a
 * hybrid host (v1 controllers at /sys/fs/cgroup/<ctrl>, cgroup2 at
 * /sys/fs/cgroup/unified):
 *  - cgroup_init() maps every controller name to the first mount naming
 *    it: v1 mounts by their options, the cgroup2 mount by the controllers in
 *    its cgroup.controllers.  A hierarchy is reachable only through a
 *    controller: a v1 name=systemd hierarchy, or a cgroup2 mount whose
 *    cgroup.controllers is empty, cannot be named at all.
 *  - cgroup_create_cgroup() on a cgroup2 controller first writes "+ctrl" to
 *    cgroup.subtree_control of every directory from the mount down to the
 *    parent, and cgroup_delete_cgroup() never takes it back: creating
 *    /sys/fs/cgroup/unified/x through "hugetlb" left hugetlb enabled for the
 *    whole unified tree.  That is a change the journal would not know about,
 *    so on cgroup2 libcgroup is only used with controllers the parent has
 *    already enabled (the "+ctrl" writes are then no-ops); with none, the
 *    directory is made with host_mkdir, which is all the kernel sees anyway.
 *  - cgroup_change_cgroup_path() writes the pid and then each thread id to
 *    the v1 "tasks" file (cgroup.procs on cgroup2); a thread created during
 *    that walk by a thread not yet moved stays behind, so after it every
 *    thread is checked and, if one was missed, the pid is written to
 *    cgroup.procs, which moves the whole thread group at once.
 *  - libcgroup only knows the live mount table, so under any other root the
 *    plain host operations are used.
 * Its cgroup_create_cgroup() makes directories with mode 0775 (less the
 * umask) where host_mkdir uses 0755.
 */
#include "tune/knob.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libcgroup.h>

#include "inspect/cgroup.h"
#include "base/cpumask.h"
#include "tune/journal.h"
#include "inspect/napi_netlink.h"
#include "base/util.h"
#include "tune/winctl.h"

#define CG_ROOT "/sys/fs/cgroup"
#define MAX_CTRLS 16

static const char *const names[KNOB__COUNT] = {
	[KNOB_IRQ_AFFINITY] = "irq_affinity", [KNOB_SYSCTL] = "sysctl",
	[KNOB_NETDEV_ATTR] = "netdev_attr",   [KNOB_NAPI] = "napi",
	[KNOB_PMQOS] = "pm_qos",              [KNOB_CPUFREQ_MIN] = "cpufreq_min",
	[KNOB_CGROUP_DIR] = "cgroup_dir",     [KNOB_CGROUP_ATTR] = "cgroup_attr",
	[KNOB_CGROUP_PROCS] = "cgroup_procs", [KNOB_WINDOW] = "window_controller",
};

static const char *const sysctls[] = { "net.core.netdev_budget", "net.core.netdev_budget_usecs",
				       "net.core.busy_poll", "net.core.busy_read" };

static const char *const cg_attrs[] = { "cpu.weight",        "cpu.max",
					"cpu.uclamp.min",    "cpu.shares",
					"cpu.cfs_quota_us",  "cpu.cfs_period_us",
					"cpuset.cpus",       "cpuset.mems",
					"cpuset.cpu_exclusive" };

const char *knob_name(enum knob_kind k)
{
	return (unsigned)k < KNOB__COUNT ? names[k] : "unknown";
}

bool knob_from_name(const char *s, enum knob_kind *k)
{
	for (unsigned i = 0; s && i < KNOB__COUNT; i++) {
		if (!strcmp(s, names[i])) {
			*k = (enum knob_kind)i;
			return true;
		}
	}
	return false;
}

bool knob_cgroup_attr_allowed(const char *file)
{
	for (size_t i = 0; file && i < ARRAY_SIZE(cg_attrs); i++)
		if (!strcmp(file, cg_attrs[i]))
			return true;
	return false;
}

/* Fills why (when there is one) and returns rc. */
__attribute__((format(printf, 4, 5))) static int fail(char *why, size_t sz, int rc,
						      const char *fmt, ...)
{
	if (why && sz) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, sz, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* ---------- syntax ---------- */

/* Plain decimal as the kernel should see it: digits only, and no leading
 * zero, which kstrto*(s, 0) would read as octal. */
static bool dec_ok(const char *s, uint64_t max, uint64_t *out)
{
	size_t n = strspn(s, "0123456789");
	if (n == 0 || s[n] || n > 20 || (s[0] == '0' && n > 1))
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, NULL, 10);
	if (errno || v > max)
		return false;
	if (out)
		*out = v;
	return true;
}

/* A CPU list in the kernel's syntax ("0-3,8"), nothing else. */
static bool cpulist_ok(const char *s, bool allow_empty)
{
	if (s[strspn(s, "0123456789,-")])
		return false;
	if (!*s)
		return allow_empty;
	struct cpumask m;
	cpumask_init(&m);
	bool ok = cpulist_parse(s, &m) == 0 && !cpumask_empty(&m);
	cpumask_free(&m);
	return ok;
}

static bool has_ctrl_or_space(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return true;
	return false;
}

/* Components of rel ("a/b", no leading slash): none empty, ".", or "..". */
static bool components_ok(const char *rel)
{
	for (const char *p = rel;;) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!p[n])
			return true;
		p += n + 1;
	}
}

/* A path under /sys/fs/cgroup without any way out of it; root_ok lets the
 * mount point /sys/fs/cgroup itself through (cgroup2 mounted there). */
static bool cg_path_ok(const char *p, bool root_ok, char *why, size_t sz)
{
	if (strlen(p) >= KNOB_TARGET_MAX || has_ctrl_or_space(p)) {
		fail(why, sz, 0, "cgroup path \"%.64s\" is too long or holds white space", p);
		return false;
	}
	if (root_ok && !strcmp(p, CG_ROOT))
		return true;
	if (strncmp(p, CG_ROOT "/", sizeof(CG_ROOT)) || !components_ok(p + sizeof(CG_ROOT))) {
		fail(why, sz, 0,
		     "cgroup path \"%s\" must be a plain path under " CG_ROOT
		     "/ (no //, ., .. or trailing /)",
		     p);
		return false;
	}
	return true;
}

/* A path inside a hierarchy, as /proc/PID/cgroup prints it: "/" or "/a/b". */
static bool cg_rel_ok(const char *p)
{
	return p[0] == '/' && strlen(p) < KNOB_VAL_MAX && !has_ctrl_or_space(p) &&
	       (!p[1] || components_ok(p + 1));
}

static const char *last_component(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* "IFNAME/attr" or "ID/attr": the part before the slash into head. */
static const char *split_slash(const char *t, char *head, size_t sz)
{
	const char *s = strchr(t, '/');
	if (!s || (size_t)(s - t) >= sz)
		return NULL;
	copy_strn(head, sz, t, (size_t)(s - t));
	return s + 1;
}

static bool ifname_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 15 && !strchr(s, '/') && !has_ctrl_or_space(s) && strcmp(s, ".") &&
	       strcmp(s, "..");
}

/* "1234:/sys/fs/cgroup/cpu" -> pid and mount. */
static bool procs_split(const char *t, int *pid, char *mount, size_t sz)
{
	char num[16];
	const char *c = strchr(t, ':');
	uint64_t v;
	if (!c || (size_t)(c - t) >= sizeof(num))
		return false;
	copy_strn(num, sizeof(num), t, (size_t)(c - t));
	if (!dec_ok(num, INT_MAX, &v) || v == 0)
		return false;
	*pid = (int)v;
	copy_str(mount, sz, c + 1);
	return true;
}

static bool target_ok(enum knob_kind k, const char *t, char *why, size_t sz)
{
	char head[64];
	const char *tail;
	uint64_t v;

	switch (k) {
	case KNOB_IRQ_AFFINITY:
		if (dec_ok(t, UINT32_MAX, NULL))
			return true;
		fail(why, sz, 0, "IRQ target \"%s\" is not an IRQ number", t);
		return false;
	case KNOB_SYSCTL:
		for (size_t i = 0; i < ARRAY_SIZE(sysctls); i++)
			if (!strcmp(t, sysctls[i]))
				return true;
		fail(why, sz, 0,
		     "sysctl \"%s\" is not one of net.core.{netdev_budget,netdev_budget_usecs,"
		     "busy_poll,busy_read}",
		     t);
		return false;
	case KNOB_NETDEV_ATTR:
		tail = split_slash(t, head, 16);
		if (tail && ifname_ok(head) &&
		    (!strcmp(tail, "napi_defer_hard_irqs") || !strcmp(tail, "gro_flush_timeout")))
			return true;
		fail(why, sz, 0,
		     "netdev target \"%s\" is not IFNAME/napi_defer_hard_irqs or "
		     "IFNAME/gro_flush_timeout",
		     t);
		return false;
	case KNOB_NAPI:
		tail = split_slash(t, head, sizeof(head));
		if (tail && dec_ok(head, UINT32_MAX, &v) && v &&
		    (!strcmp(tail, "defer-hard-irqs") || !strcmp(tail, "gro-flush-timeout")))
			return true;
		fail(why, sz, 0,
		     "NAPI target \"%s\" is not ID/defer-hard-irqs or ID/gro-flush-timeout", t);
		return false;
	case KNOB_PMQOS:
		if (dec_ok(t, CPUMASK_MAX_CPUS - 1, NULL))
			return true;
		fail(why, sz, 0, "PM QoS target \"%s\" is not a CPU number", t);
		return false;
	case KNOB_CPUFREQ_MIN:
		if (!strncmp(t, "policy", 6) && dec_ok(t + 6, CPUMASK_MAX_CPUS - 1, NULL))
			return true;
		fail(why, sz, 0, "cpufreq target \"%s\" is not policyN", t);
		return false;
	case KNOB_CGROUP_DIR:
		if (!cg_path_ok(t, false, why, sz))
			return false;
		tail = last_component(t);
		if (knob_cgroup_attr_allowed(tail) || !strncmp(tail, "cgroup.", 7) ||
		    !strcmp(tail, "tasks")) {
			fail(why, sz, 0, "cgroup directory \"%s\" names a cgroup file", t);
			return false;
		}
		return true;
	case KNOB_CGROUP_ATTR:
		if (!cg_path_ok(t, false, why, sz))
			return false;
		if (knob_cgroup_attr_allowed(last_component(t)))
			return true;
		fail(why, sz, 0,
		     "cgroup attribute \"%s\" is not one of cpu.weight, cpu.max, cpu.uclamp.min, "
		     "cpu.shares, cpu.cfs_quota_us, cpu.cfs_period_us, cpuset.cpus, cpuset.mems, "
		     "cpuset.cpu_exclusive",
		     last_component(t));
		return false;
	case KNOB_CGROUP_PROCS: {
		int pid;
		char mount[KNOB_TARGET_MAX];
		if (!procs_split(t, &pid, mount, sizeof(mount))) {
			fail(why, sz, 0, "cgroup_procs target \"%s\" is not PID:/sys/fs/cgroup/...", t);
			return false;
		}
		return cg_path_ok(mount, true, why, sz);
	}
	case KNOB_WINDOW:
		if (!strcmp(t, WINCTL_TARGET))
			return true;
		fail(why, sz, 0, "window_controller target \"%s\" is not %s", t, WINCTL_TARGET);
		return false;
	default:
		fail(why, sz, 0, "unknown knob");
		return false;
	}
}

/* cpu.max: "max PERIOD" or "QUOTA PERIOD". */
static bool cpu_max_ok(const char *v)
{
	char a[32], b[32], extra;
	uint64_t q, p;
	if (strchr(v, '\t') || sscanf(v, "%31s %31s %c", a, b, &extra) != 2)
		return false;
	return (!strcmp(a, "max") || (dec_ok(a, INT64_MAX, &q) && q)) && dec_ok(b, UINT32_MAX, &p) &&
	       p;
}

/* cpu.uclamp.min: "max" or a percentage with at most two decimals, in
 * hundredths of a percent. */
static bool percent_parse(const char *v, uint64_t *out)
{
	if (!strcmp(v, "max")) {
		*out = 10000;
		return true;
	}
	char ip[8] = "";
	const char *dot = strchr(v, '.');
	size_t n = dot ? (size_t)(dot - v) : strlen(v);
	if (n == 0 || n >= sizeof(ip))
		return false;
	copy_strn(ip, sizeof(ip), v, n);
	uint64_t whole, frac = 0;
	if (strspn(ip, "0123456789") != n)
		return false;
	whole = strtoull(ip, NULL, 10);
	if (dot) {
		size_t fn = strlen(dot + 1);
		if (fn < 1 || fn > 2 || strspn(dot + 1, "0123456789") != fn)
			return false;
		frac = strtoull(dot + 1, NULL, 10) * (fn == 1 ? 10 : 1);
	}
	if (whole > 100 || (whole == 100 && frac))
		return false;
	*out = whole * 100 + frac;
	return true;
}

static bool attr_value_ok(const char *file, const char *v)
{
	uint64_t x;
	if (!strcmp(file, "cpu.weight"))
		return dec_ok(v, 10000, &x) && x >= 1;
	if (!strcmp(file, "cpu.shares"))
		return dec_ok(v, 262144, &x) && x >= 2;
	if (!strcmp(file, "cpu.cfs_quota_us"))
		return !strcmp(v, "-1") || (dec_ok(v, INT64_MAX, &x) && x);
	if (!strcmp(file, "cpu.cfs_period_us"))
		return dec_ok(v, 1000000, &x) && x >= 1000;
	if (!strcmp(file, "cpu.max"))
		return cpu_max_ok(v);
	if (!strcmp(file, "cpu.uclamp.min"))
		return percent_parse(v, &x);
	if (!strcmp(file, "cpuset.cpus") || !strcmp(file, "cpuset.mems"))
		return cpulist_ok(v, true);
	if (!strcmp(file, "cpuset.cpu_exclusive"))
		return !strcmp(v, "0") || !strcmp(v, "1");
	return false;
}

static bool value_ok(enum knob_kind k, const char *t, const char *v, char *why, size_t sz)
{
	bool ok;
	if (strlen(v) >= KNOB_VAL_MAX || strpbrk(v, "\n\r")) {
		fail(why, sz, 0, "value for %s %s is too long or holds a newline", names[k], t);
		return false;
	}
	switch (k) {
	case KNOB_IRQ_AFFINITY:
		ok = cpulist_ok(v, false);
		break;
	case KNOB_SYSCTL:
		ok = dec_ok(v, INT_MAX, NULL);
		break;
	case KNOB_NETDEV_ATTR:
	case KNOB_NAPI:
		/* defer: u32 in 0..S32_MAX; gro flush timeout: ns, unsigned long. */
		ok = strstr(last_component(t), "defer") ? dec_ok(v, INT32_MAX, NULL)
							 : dec_ok(v, UINT64_MAX, NULL);
		break;
	case KNOB_PMQOS:
		ok = !strcmp(v, "n/a") || dec_ok(v, INT32_MAX, NULL);
		break;
	case KNOB_CPUFREQ_MIN:
		ok = dec_ok(v, UINT32_MAX, NULL);
		break;
	case KNOB_CGROUP_DIR:
		ok = !strcmp(v, "present") || !strcmp(v, "absent");
		break;
	case KNOB_CGROUP_ATTR:
		ok = attr_value_ok(last_component(t), v);
		break;
	case KNOB_CGROUP_PROCS:
		ok = cg_rel_ok(v);
		break;
	case KNOB_WINDOW:
		ok = !strcmp(v, "running") || !strcmp(v, "stopped");
		break;
	default:
		ok = false;
	}
	if (!ok)
		fail(why, sz, 0, "value \"%s\" is not valid for %s %s", v, names[k], t);
	return ok;
}

bool knob_valid(enum knob_kind k, const char *target, const char *val, char *why, size_t sz)
{
	if ((unsigned)k >= KNOB__COUNT || !target) {
		fail(why, sz, 0, "unknown knob");
		return false;
	}
	if (strlen(target) >= KNOB_TARGET_MAX || strpbrk(target, "\n\r")) {
		fail(why, sz, 0, "%s target is too long or holds a newline", names[k]);
		return false;
	}
	return target_ok(k, target, why, sz) && (!val || value_ok(k, target, val, why, sz));
}

/* ---------- paths ---------- */

void knob_path(enum knob_kind k, const char *target, char *out, size_t sz)
{
	char head[16];
	const char *tail;

	out[0] = '\0';
	if (!knob_valid(k, target, NULL, NULL, 0))
		return;
	switch (k) {
	case KNOB_IRQ_AFFINITY:
		snprintf(out, sz, "/proc/irq/%s/smp_affinity_list", target);
		break;
	case KNOB_SYSCTL:
		snprintf(out, sz, "/proc/sys/net/core/%s", target + strlen("net.core."));
		break;
	case KNOB_NETDEV_ATTR:
		tail = split_slash(target, head, sizeof(head));
		snprintf(out, sz, "/sys/class/net/%s/%s", head, tail);
		break;
	case KNOB_PMQOS:
		snprintf(out, sz, "/sys/devices/system/cpu/cpu%s/power/pm_qos_resume_latency_us",
			 target);
		break;
	case KNOB_CPUFREQ_MIN:
		snprintf(out, sz, "/sys/devices/system/cpu/cpufreq/%s/scaling_min_freq", target);
		break;
	case KNOB_CGROUP_DIR:
	case KNOB_CGROUP_ATTR:
		copy_str(out, sz, target);
		break;
	default:
		break;
	}
}

/* ---------- comparing ---------- */

static void trim(const char *s, char *out, size_t sz)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	copy_strn(out, sz, s, n);
}

static bool same_number(const char *a, const char *b)
{
	int64_t x, y;
	if (parse_s64(a, &x) && parse_s64(b, &y))
		return x == y;
	return !strcmp(a, b);
}

/* Both CPU lists: equal as sets.  *parsed false when one is not a list. */
static bool same_cpulist(const char *a, const char *b, bool *parsed)
{
	struct cpumask x, y;
	cpumask_init(&x);
	cpumask_init(&y);
	*parsed = !a[strspn(a, "0123456789,-")] && !b[strspn(b, "0123456789,-")] &&
		  !cpulist_parse(a, &x) && !cpulist_parse(b, &y);
	bool same = *parsed && cpumask_equal(&x, &y);
	cpumask_free(&x);
	cpumask_free(&y);
	return same;
}

/* "QUOTA PERIOD" fields; *parsed false unless both are two fields. */
static bool same_two_fields(const char *a, const char *b, bool *parsed)
{
	char a1[64], a2[64], b1[64], b2[64], extra;
	*parsed = sscanf(a, "%63s %63s %c", a1, a2, &extra) == 2 &&
		  sscanf(b, "%63s %63s %c", b1, b2, &extra) == 2;
	return *parsed && same_number(a1, b1) && same_number(a2, b2);
}

/* knob_same has no target, so a cgroup attribute's kind is told by the
 * shape of its values: numbers (cpu.weight, cpu.shares, cfs_*), percentages
 * (uclamp: "max" is 100), two fields (cpu.max), CPU lists (cpuset.*). */
static bool same_attr(const char *a, const char *b)
{
	int64_t x, y;
	uint64_t p, q;
	bool parsed;
	if (parse_s64(a, &x) && parse_s64(b, &y))
		return x == y;
	if (percent_parse(a, &p) && percent_parse(b, &q))
		return p == q;
	bool same = same_two_fields(a, b, &parsed);
	if (parsed)
		return same;
	same = same_cpulist(a, b, &parsed);
	return parsed ? same : !strcmp(a, b);
}

bool knob_same(enum knob_kind k, const char *a, const char *b)
{
	char x[KNOB_VAL_MAX], y[KNOB_VAL_MAX];
	bool parsed, same;

	if (!a || !b)
		return false;
	trim(a, x, sizeof(x));
	trim(b, y, sizeof(y));
	switch (k) {
	case KNOB_IRQ_AFFINITY:
		same = same_cpulist(x, y, &parsed);
		return parsed ? same : !strcmp(x, y);
	case KNOB_SYSCTL:
	case KNOB_NETDEV_ATTR:
	case KNOB_NAPI:
	case KNOB_CPUFREQ_MIN:
		return same_number(x, y);
	case KNOB_PMQOS:
		if (!strcmp(x, "n/a") || !strcmp(y, "n/a"))
			return !strcmp(x, y);
		return same_number(x, y);
	case KNOB_CGROUP_ATTR:
		return same_attr(x, y);
	default:
		return !strcmp(x, y);
	}
}

/* ---------- IRQ errors ---------- */

int knob_irq_error(int err, unsigned irq, const char *cpus, char *why, size_t sz)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return fail(why, sz, 0, "%s", "");
	case EPERM:
		/* procfs refuses kernel-managed IRQs (multi-queue NVMe, virtio-blk
		 * and some NIC queues) before asking the chip */
		return fail(why, sz, -EPERM,
			    "IRQ %u is managed by the kernel: its affinity cannot be changed "
			    "from user space (EPERM)",
			    irq);
	case EIO:
		return fail(why, sz, -EIO,
			    "IRQ %u is managed by the kernel (or its chip cannot move it): "
			    "affinity unchanged (EIO)",
			    irq);
	case ENOSPC:
		return fail(why, sz, -ENOSPC,
			    "no free interrupt vector on the target CPUs for IRQ %u (ENOSPC): "
			    "choose more CPUs",
			    irq);
	case EINVAL:
		return fail(why, sz, -EINVAL,
			    "CPU list %s is not usable for IRQ %u (EINVAL: offline or outside the "
			    "allowed CPUs)",
			    cpus ? cpus : "", irq);
	case ENOENT:
		return fail(why, sz, -ENOENT, "IRQ %u no longer exists (/proc/irq/%u is gone)", irq,
			    irq);
	default:
		return fail(why, sz, -err, "/proc/irq/%u/smp_affinity_list: %s", irq, strerror(err));
	}
}

/* ---------- NAPI (netlink) ---------- */

static void napi_split(const char *t, unsigned *id, int *attr)
{
	char head[16];
	const char *tail = split_slash(t, head, sizeof(head));
	*id = (unsigned)strtoul(head, NULL, 10);
	*attr = !strcmp(tail, "defer-hard-irqs") ? NETDEV_A_NAPI_DEFER_HARD_IRQS
						  : NETDEV_A_NAPI_GRO_FLUSH_TIMEOUT;
}

static int napi_read(const struct host *h, const char *t, char *val, size_t sz)
{
	unsigned id;
	int attr;
	char why[256];
	struct napi_inst ni;

	if (!h->live)
		return -EOPNOTSUPP;
	napi_split(t, &id, &attr);
	int rc = napi_netlink_get(id, &ni, why, sizeof(why));
	if (rc)
		return rc;
	int64_t v = attr == NETDEV_A_NAPI_DEFER_HARD_IRQS ? ni.defer_hard_irqs
							  : ni.gro_flush_timeout_ns;
	if (v == NA_S64)
		return -EOPNOTSUPP; /* a kernel before 6.13 does not report it */
	snprintf(val, sz, "%lld", (long long)v);
	return 0;
}

static int napi_write(const struct host *h, const char *t, const char *val, char *why, size_t sz)
{
	unsigned id;
	int attr;

	if (!h->live)
		return fail(why, sz, -EOPNOTSUPP, "NAPI settings through netlink need the live host");
	napi_split(t, &id, &attr);
	return napi_netlink_set(id, attr, strtoull(val, NULL, 10), why, sz);
}

/* ---------- cgroup hierarchies ---------- */

/* Where a path under /sys/fs/cgroup lies: its hierarchy's mount and its
 * place in it, all resolved (a combined v1 mount may be reached through a
 * link, /sys/fs/cgroup/cpu -> cpu,cpuacct). */
struct hier {
	char path[PATH_MAX];
	char mount[PATH_MAX];
	char rel[PATH_MAX];        /* "/" for the mount itself, else "/a/b" */
	bool v2;
	size_t n;                  /* v1: the controllers bound to the mount */
	char ctrl[MAX_CTRLS][32];
};

/* host_resolve, also for a path whose last component does not exist yet. */
static int resolve_any(const struct host *h, const char *path, char *out, size_t sz)
{
	int rc = host_resolve(h, path, out, sz);
	if (rc != -ENOENT)
		return rc;
	const char *slash = strrchr(path, '/');
	char parent[PATH_MAX], rp[PATH_MAX];
	if (!slash || slash == path)
		return rc;
	copy_strn(parent, sizeof(parent), path, (size_t)(slash - path));
	rc = host_resolve(h, parent, rp, sizeof(rp));
	if (rc)
		return rc;
	return pathf(out, sz, "%s%s", strcmp(rp, "/") ? rp : "", slash) ? 0 : -ENAMETOOLONG;
}

static bool path_under(const char *p, const char *m)
{
	size_t n = strlen(m);
	return !strcmp(m, "/") || (!strncmp(p, m, n) && (p[n] == '\0' || p[n] == '/'));
}

static void resolve_mount(const struct host *h, const char *m, char *out, size_t sz)
{
	if (host_resolve(h, m, out, sz))
		copy_str(out, sz, m);
}

static int find_hier(const struct host *h, const char *path, struct hier *hi, char *why,
		     size_t sz)
{
	struct cgroup_info ci;
	char rm[PATH_MAX], rv2[PATH_MAX] = "";

	memset(hi, 0, sizeof(*hi));
	int rc = resolve_any(h, path, hi->path, sizeof(hi->path));
	if (rc)
		return fail(why, sz, rc, "%s: %s", path, strerror(-rc));
	if (cgroup_read(h, &ci))
		return fail(why, sz, -ENOMEM, "%s", "out of memory");
	if (ci.v2_mount[0])
		resolve_mount(h, ci.v2_mount, rv2, sizeof(rv2));
	/* The innermost mount holding the path. */
	for (size_t i = 0; i <= ci.n; i++) {
		const char *m = i < ci.n ? ci.ctrl[i].mount : ci.v2_mount;
		if (!m[0])
			continue;
		resolve_mount(h, m, rm, sizeof(rm));
		if (path_under(hi->path, rm) && strlen(rm) > strlen(hi->mount))
			copy_str(hi->mount, sizeof(hi->mount), rm);
	}
	hi->v2 = hi->mount[0] && !strcmp(hi->mount, rv2);
	for (size_t i = 0; !hi->v2 && i < ci.n && hi->n < MAX_CTRLS; i++) {
		if (!ci.ctrl[i].mount[0] || ci.ctrl[i].on_v2)
			continue;
		resolve_mount(h, ci.ctrl[i].mount, rm, sizeof(rm));
		if (!strcmp(rm, hi->mount))
			copy_str(hi->ctrl[hi->n++], sizeof(hi->ctrl[0]), ci.ctrl[i].name);
	}
	cgroup_info_free(&ci);
	if (!hi->mount[0])
		return fail(why, sz, -ENODEV, "%s is not inside a mounted cgroup hierarchy", path);
	const char *rel = hi->path + (strcmp(hi->mount, "/") ? strlen(hi->mount) : 0);
	copy_str(hi->rel, sizeof(hi->rel), *rel ? rel : "/");
	return 0;
}

/* The path of the line of a /proc/.../cgroup text that belongs to hi:
 * "0::/path" for cgroup2, "N:ctrl1,ctrl2:/path" naming one of hi's
 * controllers for v1.  0, or -ENODEV when no line does. */
static int cg_line_for(char *text, const struct hier *hi, char *out, size_t sz)
{
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = *c2 = '\0';
		bool match = false;
		if (hi->v2) {
			match = !strcmp(line, "0") && c1 + 1 == c2;
		} else {
			for (char *s2 = NULL, *tok = strtok_r(c1 + 1, ",", &s2); tok && !match;
			     tok = strtok_r(NULL, ",", &s2))
				for (size_t i = 0; i < hi->n && !match; i++)
					match = !strcmp(tok, hi->ctrl[i]);
		}
		if (match) {
			trim(c2 + 1, out, sz);
			return 0;
		}
	}
	return -ENODEV;
}

/* Which cgroup of hi process pid (or one thread of it) is in. */
static int cg_of(const struct host *h, const char *procfile, const struct hier *hi, char *out,
		 size_t sz)
{
	char *text = host_read(h, procfile, NULL);
	if (!text)
		return errno == ESRCH ? -ENOENT : -errno;
	int rc = cg_line_for(text, hi, out, sz);
	free(text);
	return rc;
}

/* ---------- libcgroup ---------- */

static void lcg_quiet(void *userdata, int level, const char *fmt, va_list ap)
{
	(void)userdata;
	(void)level;
	(void)fmt;
	(void)ap;
}

/* The controllers through which libcgroup reaches hierarchy hi, i.e. the
 * names it maps to hi->mount.  v1: the hierarchy's own controllers.  v2:
 * those listed in v2dir/v2file (the parent's cgroup.subtree_control, or the
 * root's cgroup.controllers), so that libcgroup's "+ctrl" writes change
 * nothing.  0 on a non-live host, when libcgroup cannot start, or when no
 * name fits: the caller then uses the host operations. */
static size_t lcg_ctrls(const struct host *h, const struct hier *hi, const char *v2dir,
			const char *v2file, char out[][32], size_t max)
{
	char cand[MAX_CTRLS][32];
	size_t nc = 0, n = 0;

	if (!h->live)
		return 0;
	cgroup_set_logger(lcg_quiet, CGROUP_LOG_ERROR, NULL);
	if (cgroup_init())
		return 0;
	if (hi->v2) {
		char p[PATH_MAX], line[512];
		if (!pathf(p, sizeof(p), "%s/%s", v2dir, v2file) ||
		    host_read_line(h, p, line, sizeof(line)))
			return 0;
		for (char *s = NULL, *t = strtok_r(line, " ", &s); t && nc < MAX_CTRLS;
		     t = strtok_r(NULL, " ", &s))
			copy_str(cand[nc++], sizeof(cand[0]), t);
	} else {
		for (; nc < hi->n; nc++)
			copy_str(cand[nc], sizeof(cand[0]), hi->ctrl[nc]);
	}
	for (size_t i = 0; i < nc && n < max; i++) {
		char *mp = NULL;
		if (cgroup_get_subsys_mount_point(cand[i], &mp) == 0 && mp &&
		    !strcmp(mp, hi->mount))
			copy_str(out[n++], sizeof(out[0]), cand[i]);
		free(mp);
	}
	return n;
}

static struct cgroup *lcg_new(const char *rel, char ctrl[][32], size_t n)
{
	struct cgroup *cg = cgroup_new_cgroup(rel);
	for (size_t i = 0; cg && i < n; i++) {
		if (!cgroup_add_controller(cg, ctrl[i])) {
			cgroup_free(&cg);
			return NULL;
		}
	}
	return cg;
}

/* A libcgroup error as -errno: ECGOTHER carries the system's errno. */
static int lcg_errno(int ret)
{
	int e = ret == ECGOTHER ? cgroup_get_last_errno() : 0;
	return e ? -e : ret == ECGROUPNOTOWNER ? -EPERM : ret == ECGROUPNOTEXIST ? -ENOENT : -EIO;
}

static int lcg_fail(int ret, char *why, size_t sz, const char *what)
{
	int rc = lcg_errno(ret);
	return fail(why, sz, rc, "%s: libcgroup: %s", what,
		    ret == ECGOTHER ? strerror(-rc) : cgroup_strerror(ret));
}

/* ---------- cgroup directories ---------- */

static void parent_of(const char *p, char *out, size_t sz)
{
	const char *slash = strrchr(p, '/');
	copy_strn(out, sz, p, slash && slash != p ? (size_t)(slash - p) : 1);
}

/* Moves every process listed in dir/cgroup.procs to parent/cgroup.procs:
 * processes the agent forked after apply would otherwise keep the cgroup
 * busy.  Live, until the list is empty (they may fork meanwhile); in a tree
 * there is no kernel to empty the list, so one pass. */
static int move_out(const struct host *h, const char *dir, const char *parent, char *why,
		    size_t sz)
{
	char src[PATH_MAX], dst[PATH_MAX];
	if (!pathf(src, sizeof(src), "%s/cgroup.procs", dir) ||
	    !pathf(dst, sizeof(dst), "%s/cgroup.procs", parent))
		return fail(why, sz, -ENAMETOOLONG, "%s: path too long", dir);
	for (int round = 0; round < (h->live ? 32 : 1); round++) {
		char *text = host_read(h, src, NULL);
		if (!text)
			return errno == ENOENT ? 0 : fail(why, sz, -errno, "%s: %s", src,
							  strerror(errno));
		int moved = 0, rc = 0;
		for (char *s = NULL, *tok = strtok_r(text, " \t\n", &s); tok && !rc;
		     tok = strtok_r(NULL, " \t\n", &s)) {
			uint64_t pid;
			if (!dec_ok(tok, INT_MAX, &pid))
				continue;
			rc = host_write(h, dst, tok);
			if (rc == -ESRCH) /* exited meanwhile */
				rc = 0;
			else if (rc)
				fail(why, sz, rc, "moving process %s out of %s to %s: %s", tok, dir,
				     parent, strerror(-rc));
			moved++;
		}
		free(text);
		if (rc)
			return rc;
		if (!moved)
			return 0;
	}
	return h->live ? fail(why, sz, -EBUSY, "%s: processes keep appearing in it", dir) : 0;
}

/* Creates (make) or removes the directory through libcgroup when it can
 * name the hierarchy without side effects (see the top of this file).
 * 1 when it cannot, so the caller uses the kernel's cgroupfs directly. */
static int lcg_dir(const struct host *h, const struct hier *hi, const char *t,
		   const char *parent, bool make, char *why, size_t sz)
{
	char ctrl[MAX_CTRLS][32];
	size_t n = lcg_ctrls(h, hi, parent, "cgroup.subtree_control", ctrl, MAX_CTRLS);
	if (!n)
		return 1;
	struct cgroup *cg = lcg_new(hi->rel, ctrl, n);
	if (!cg)
		return fail(why, sz, -ENOMEM, "%s", "out of memory");
	int ret = make ? cgroup_create_cgroup(cg, 0) : cgroup_delete_cgroup(cg, 0);
	cgroup_free(&cg);
	if (ret)
		return lcg_fail(ret, why, sz, t);
	if (host_is_dir(h, t) != make)
		return fail(why, sz, -EIO, "%s: libcgroup reported success but %s", t,
			    make ? "made nothing" : "it is still there");
	return 0;
}

static int dir_create(const struct host *h, const struct hier *hi, const char *t,
		      const char *parent, char *why, size_t sz)
{
	int rc = lcg_dir(h, hi, t, parent, true, why, sz);
	if (rc <= 0)
		return rc;
	rc = host_mkdir(h, t);
	return rc ? fail(why, sz, rc, "creating cgroup %s: %s", t, strerror(-rc)) : 0;
}

static int dir_remove(const struct host *h, const struct hier *hi, const char *t,
		      const char *parent, char *why, size_t sz)
{
	int rc = move_out(h, t, parent, why, sz);
	if (!rc)
		rc = lcg_dir(h, hi, t, parent, false, why, sz);
	if (rc <= 0)
		return rc;
	rc = host_rmdir(h, t);
	if (rc == -EBUSY || rc == -ENOTEMPTY)
		return fail(why, sz, rc, "removing cgroup %s: it still holds processes or child "
			    "cgroups (%s)", t, strerror(-rc));
	return rc ? fail(why, sz, rc, "removing cgroup %s: %s", t, strerror(-rc)) : 0;
}

static int dir_write(const struct host *h, const char *t, const char *val, char *why, size_t sz)
{
	bool present = !strcmp(val, "present");
	if (host_is_dir(h, t) == present)
		return 0;
	char parent[PATH_MAX];
	parent_of(t, parent, sizeof(parent));
	/* libcgroup would mkdir -p; a parent made here would outlive revert. */
	if (!host_is_dir(h, parent))
		return fail(why, sz, -ENOENT, "parent cgroup %s does not exist", parent);
	struct hier hi;
	int rc = find_hier(h, t, &hi, why, sz);
	if (rc)
		return rc;
	if (!strcmp(hi.rel, "/"))
		return fail(why, sz, -EINVAL, "%s is the root of a cgroup hierarchy", t);
	parent_of(hi.path, parent, sizeof(parent));
	return present ? dir_create(h, &hi, hi.path, parent, why, sz)
		       : dir_remove(h, &hi, hi.path, parent, why, sz);
}

/* ---------- processes ---------- */

/* The hierarchy of a cgroup_procs target, which must be a mount point. */
static int procs_hier(const struct host *h, const char *t, int *pid, struct hier *hi, char *why,
		      size_t sz)
{
	char mount[KNOB_TARGET_MAX];
	procs_split(t, pid, mount, sizeof(mount));
	int rc = find_hier(h, mount, hi, why, sz);
	if (rc)
		return rc;
	if (strcmp(hi->rel, "/"))
		return fail(why, sz, -EINVAL, "%s is not the mount point of a cgroup hierarchy",
			    mount);
	if (!hi->v2 && !hi->n)
		return fail(why, sz, -ENODEV, "%s: a v1 hierarchy without controllers", mount);
	return 0;
}

static int procs_read(const struct host *h, const char *t, char *val, size_t sz)
{
	struct hier hi;
	int pid;
	char p[64];
	int rc = procs_hier(h, t, &pid, &hi, NULL, 0);
	if (rc)
		return rc;
	snprintf(p, sizeof(p), "/proc/%d/cgroup", pid);
	return cg_of(h, p, &hi, val, sz);
}

static int procs_error(int rc, int pid, const char *dest, char *why, size_t sz)
{
	if (rc == -ESRCH || rc == -ENOENT)
		return fail(why, sz, -ENOENT, "process %d no longer exists", pid);
	if (rc == -ENOSPC)
		return fail(why, sz, rc,
			    "cannot move process %d into %s: cpuset has no CPUs or memory nodes "
			    "set (ENOSPC)",
			    pid, dest);
	return fail(why, sz, rc, "cannot move process %d into %s: %s", pid, dest, strerror(-rc));
}

/* Whether every thread of pid is in cgroup val of hi. */
static bool all_threads_in(const struct host *h, int pid, const struct hier *hi, const char *val)
{
	char dir[64], p[128], cur[KNOB_VAL_MAX];
	struct strlist tl;
	strlist_init(&tl);
	snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	bool all = host_list(h, dir, &tl) == 0;
	for (size_t i = 0; all && i < tl.n; i++) {
		snprintf(p, sizeof(p), "%s/%.32s/cgroup", dir, tl.v[i]);
		int rc = cg_of(h, p, hi, cur, sizeof(cur));
		all = rc == -ENOENT || (rc == 0 && !strcmp(cur, val)); /* exited: fine */
	}
	strlist_free(&tl);
	return all;
}

static int procs_write(const struct host *h, const char *t, const char *val, char *why,
		       size_t sz)
{
	struct hier hi;
	int pid;
	char dest[PATH_MAX], procs[PATH_MAX], proc[64], num[16];
	int rc = procs_hier(h, t, &pid, &hi, why, sz);
	if (rc)
		return rc;
	bool root = !strcmp(val, "/");
	/* Mounts are under /sys/fs/cgroup (knob_valid), never "/". */
	if (!pathf(dest, sizeof(dest), "%s%s", hi.mount, root ? "" : val) ||
	    !pathf(procs, sizeof(procs), "%s/cgroup.procs", dest))
		return fail(why, sz, -ENAMETOOLONG, "%s: path too long", val);
	if (!host_is_dir(h, dest))
		return fail(why, sz, -ENOENT, "cgroup %s does not exist", dest);
	snprintf(proc, sizeof(proc), "/proc/%d", pid);
	if (!host_exists(h, proc))
		return procs_error(-ESRCH, pid, dest, why, sz);

	char ctrl[MAX_CTRLS + 1][32], pdir[PATH_MAX];
	parent_of(dest, pdir, sizeof(pdir));
	size_t n = lcg_ctrls(h, &hi, root ? hi.mount : pdir,
			     root ? "cgroup.controllers" : "cgroup.subtree_control", ctrl,
			     MAX_CTRLS);
	if (n) {
		const char *cs[MAX_CTRLS + 1];
		for (size_t i = 0; i < n; i++)
			cs[i] = ctrl[i];
		cs[n] = NULL;
		int ret = cgroup_change_cgroup_path(val, pid, cs);
		if (ret)
			return procs_error(lcg_errno(ret), pid, dest, why, sz);
		if (all_threads_in(h, pid, &hi, val))
			return 0;
		/* A thread escaped the thread-by-thread walk: sweep below. */
	}
	snprintf(num, sizeof(num), "%d", pid);
	rc = host_write(h, procs, num);
	return rc ? procs_error(rc, pid, dest, why, sz) : 0;
}

/* ---------- read / write ---------- */

/* The value as knob_read gives it: canonical CPU lists, cpu.max fields
 * single-spaced, everything else as the kernel printed it (trimmed). */
static void normalise(enum knob_kind k, const char *t, const char *in, char *out, size_t sz)
{
	const char *file = k == KNOB_CGROUP_ATTR ? last_component(t) : "";
	if (k == KNOB_IRQ_AFFINITY || !strcmp(file, "cpuset.cpus") || !strcmp(file, "cpuset.mems")) {
		struct cpumask m;
		cpumask_init(&m);
		if (cpulist_parse(in, &m) == 0 && cpulist_format(&m, out, sz) >= 0) {
			cpumask_free(&m);
			return;
		}
		cpumask_free(&m);
	} else if (!strcmp(file, "cpu.max")) {
		char a[64], b[64];
		if (sscanf(in, "%63s %63s", a, b) == 2) {
			snprintf(out, sz, "%s %s", a, b);
			return;
		}
	}
	copy_str(out, sz, in);
}

int knob_read(const struct host *h, enum knob_kind k, const char *target, char *val, size_t sz)
{
	char path[PATH_MAX], line[KNOB_VAL_MAX * 2];

	if (!knob_valid(k, target, NULL, NULL, 0))
		return -EINVAL;
	val[0] = '\0';
	switch (k) {
	case KNOB_NAPI:
		return napi_read(h, target, val, sz);
	case KNOB_CGROUP_DIR:
		copy_str(val, sz, host_is_dir(h, target) ? "present" : "absent");
		return 0;
	case KNOB_CGROUP_PROCS:
		return procs_read(h, target, val, sz);
	case KNOB_WINDOW:
		/* A live process whatever the host root: apply starts it on
		 * this machine. */
		copy_str(val, sz, winctl_state(journal_default_dir(), NULL));
		return 0;
	default:
		break;
	}
	knob_path(k, target, path, sizeof(path));
	int rc = host_read_line(h, path, line, sizeof(line));
	if (rc)
		return rc;
	normalise(k, target, line, val, sz);
	return 0;
}

int knob_write(const struct host *h, enum knob_kind k, const char *target, const char *val,
	       char *why, size_t sz)
{
	char path[PATH_MAX];

	if (!knob_valid(k, target, val, why, sz))
		return -EINVAL;
	switch (k) {
	case KNOB_NAPI:
		return napi_write(h, target, val, why, sz);
	case KNOB_CGROUP_DIR:
		return dir_write(h, target, val, why, sz);
	case KNOB_CGROUP_PROCS:
		return procs_write(h, target, val, why, sz);
	case KNOB_WINDOW:
		if (!strcmp(val, "stopped"))
			return winctl_stop(journal_default_dir(), why, sz);
		return fail(why, sz, -EOPNOTSUPP,
			    "the PM QoS window controller is started by apply, with its profile");
	default:
		break;
	}
	knob_path(k, target, path, sizeof(path));
	/* With a newline, as `echo` writes it: the kernel's parsers accept
	 * it, and a tree's file then reads back byte for byte as it was. */
	char line[KNOB_VAL_MAX + 2];
	snprintf(line, sizeof(line), "%s\n", val);
	int rc = host_write(h, path, line);
	if (!rc)
		return 0;
	if (k == KNOB_IRQ_AFFINITY)
		return knob_irq_error(rc, (unsigned)strtoul(target, NULL, 10), val, why, sz);
	return fail(why, sz, rc, "%s: %s", path, strerror(-rc));
}
