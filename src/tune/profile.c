/* tune/profile: tuning profiles, their include chains and the validation of every
 * key (profile.h).
 *
 * A file is read whole (profiles are small), handed to libinih through a
 * reader of our own so that we know the line of every key (the Debian build
 * of inih has no line number in the handler), and each key is validated as
 * it is met, so errors come in file order.  The file's keys are kept as
 * written; once its include (if any) is loaded into the profile, they are
 * applied on top of it: the included profile's values first, ours over them.
 */
#include "tune/profile.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "base/errmsg.h"
#include "base/safepath.h"
#include "inspect/cpuidle.h"
#include "inspect/pci.h"
#include "tune/window.h"

/* Far above any sensible profile; keeps a wrong path (a log, /proc/kcore)
 * from being read whole. */
#define PROFILE_MAX_SIZE (64 * 1024)

#define US 1000ULL             /* ns per µs */
#define MS (1000 * US)         /* ns per ms */
#define SEC 1000000000ULL      /* ns per s */

/* ---------- one file's keys ---------- */

struct entry {
	char *section, *key, *value;
	int line;
};

struct pfile {
	const char *path;
	const char *buf;
	size_t len, pos;
	int lineno;
	bool after_key;             /* inih reads an indented line as a continuation */
	struct entry *e;
	size_t n, cap;
	struct profile scratch;     /* values validated here as they come */
	int rc;                     /* first error (err filled), 0 */
	struct parse_error *err;
};

struct loader {
	const struct profile_opts *o;
	struct parse_error *err;
	struct {
		dev_t dev;
		ino_t ino;
		const char *path;
	} stack[PROFILE_MAX_DEPTH];
	int depth;
};

static void profile_init(struct profile *p)
{
	memset(p, 0, sizeof(*p));
	strlist_init(&p->chain);
	strlist_init(&p->interfaces);
	cpumask_init(&p->cpus.cpus);
	cpumask_init(&p->housekeeping.cpus);
	cpumask_init(&p->cpuset.cpus);
	copy_str(p->cgroup_name, sizeof(p->cgroup_name), "agentune");
}

void profile_free(struct profile *p)
{
	for (size_t i = 0; i < p->nirq; i++)
		cpumask_free(&p->irq[i].cpus);
	free(p->irq);
	strlist_free(&p->chain);
	strlist_free(&p->interfaces);
	cpumask_free(&p->cpus.cpus);
	cpumask_free(&p->housekeeping.cpus);
	cpumask_free(&p->cpuset.cpus);
	profile_init(p);
}

const char *irq_sel_name(enum irq_sel s)
{
	static const char *const names[] = { "all", "class", "interface", "pci", "name", "irq" };
	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}

const char *irq_dest_name(enum irq_dest d)
{
	static const char *const names[] = { "housekeeping", "numa-local", "agent-node", "cpus" };
	return (unsigned)d < ARRAY_SIZE(names) ? names[d] : "?";
}

/* ---------- values ---------- */

/* A setter validates v and stores it in p; on a bad value it writes why
 * (the caller adds "[section] key = 'v': ") and returns -EINVAL. */
typedef int (*setter)(struct profile *p, const char *v, const struct profile_src *src,
		      char *why, size_t sz);

/* Decimal digits only: no sign, no hex, no spaces.  Advances *s. */
static bool digits(const char **s, uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;
	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++)
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *p - '0', &v))
			return false;
	*s = p;
	*out = v;
	return true;
}

static bool whole_number(const char *s, uint64_t *out)
{
	return digits(&s, out) && !*s;
}

static void set_num(struct pnum *n, int64_t v, const struct profile_src *src)
{
	n->set = true;
	n->v = v;
	n->src = *src;
}

static int set_int(struct pnum *n, const char *v, int64_t lo, int64_t hi,
		   const struct profile_src *src, char *why, size_t sz)
{
	uint64_t x;
	if (!whole_number(v, &x))
		return errmsg(why, sz, -EINVAL, "not a whole number");
	if (x < (uint64_t)lo || x > (uint64_t)hi)
		return errmsg(why, sz, -EINVAL, "out of range (%lld..%lld)", (long long)lo, (long long)hi);
	set_num(n, (int64_t)x, src);
	return 0;
}

static const char *unit_name(uint64_t unit_ns)
{
	return unit_ns == 1 ? "nanoseconds" : unit_ns == US ? "microseconds" : "milliseconds";
}

/* DURATION in units of unit_ns: "50us", "2 ms", "1s", or bare (already in
 * the key's unit).  0, or -EINVAL with why. */
static int parse_duration(const char *v, uint64_t unit_ns, uint64_t *out, char *why, size_t sz)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} units[] = { { "ns", 1 }, { "us", US }, { "\xc2\xb5s", US }, { "ms", MS },
		      { "s", SEC } };
	const char *s = v;
	uint64_t n;
	/* The example is one the key takes. */
	const char *eg = unit_ns == MS ? "20ms" : "50us";
	if (!digits(&s, &n))
		return errmsg(why, sz, -EINVAL, "not a duration (use e.g. %s)", eg);
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s) {
		*out = n;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(s, units[i].name))
			continue;
		uint64_t ns;
		if (__builtin_mul_overflow(n, units[i].ns, &ns))
			return errmsg(why, sz, -EINVAL, "too large");
		if (ns % unit_ns)
			return errmsg(why, sz, -EINVAL, "not a whole number of %s", unit_name(unit_ns));
		*out = ns / unit_ns;
		return 0;
	}
	return errmsg(why, sz, -EINVAL, "not a duration (use e.g. %s)", eg);
}

/* A duration key: range [lo, hi] in the key's unit, range text for people. */
static int set_duration(struct pnum *n, const char *v, uint64_t unit_ns, uint64_t lo, uint64_t hi,
			const char *range, const struct profile_src *src, char *why, size_t sz)
{
	uint64_t x = 0;
	int rc = parse_duration(v, unit_ns, &x, why, sz);
	if (rc)
		return rc;
	if (x < lo || x > hi)
		return errmsg(why, sz, -EINVAL, "out of range (%s)", range);
	set_num(n, (int64_t)x, src);
	return 0;
}

static int set_cpus(struct cpus_spec *c, const char *v, bool allow_auto,
		    const struct profile_src *src, char *why, size_t sz)
{
	if (allow_auto && !strcmp(v, "auto")) {
		cpumask_free(&c->cpus);
		c->kind = CPUS_AUTO;
		c->src = *src;
		return 0;
	}
	int rc = cpulist_parse(v, &c->cpus);
	if (rc == -ENOMEM)
		return rc;
	if (rc)
		return errmsg(why, sz, -EINVAL, "not a CPU list%s (e.g. 0-3,8)", allow_auto ? " or auto" : "");
	if (cpumask_empty(&c->cpus))
		return errmsg(why, sz, -EINVAL, "empty CPU list");
	c->kind = CPUS_LIST;
	c->src = *src;
	return 0;
}

/* [main] */

static int set_summary(struct profile *p, const char *v, const struct profile_src *src,
		       char *why, size_t sz)
{
	(void)src;
	if (strlen(v) >= sizeof(p->summary))
		return errmsg(why, sz, -EINVAL, "too long (at most %zu characters)", sizeof(p->summary) - 1);
	copy_str(p->summary, sizeof(p->summary), v);
	return 0;
}

static int set_include(struct profile *p, const char *v, const struct profile_src *src,
		       char *why, size_t sz)
{
	(void)p;
	(void)src;
	if (strlen(v) >= PATH_MAX)
		return errmsg(why, sz, -EINVAL, "too long");
	return 0; /* resolved by the loader */
}

/* [agent] */

static int set_agent_cpus(struct profile *p, const char *v, const struct profile_src *src,
			  char *why, size_t sz)
{
	return set_cpus(&p->cpus, v, true, src, why, sz);
}

static int set_housekeeping(struct profile *p, const char *v, const struct profile_src *src,
			    char *why, size_t sz)
{
	return set_cpus(&p->housekeeping, v, true, src, why, sz);
}

/* The kernel reads a write of 0 as "back to the default slack" (50 us for
 * most threads), not as no slack: 0 is refused, 1 ns is the least. */
static int set_timer_slack(struct profile *p, const char *v, const struct profile_src *src,
			   char *why, size_t sz)
{
	uint64_t x = 0;
	int rc = parse_duration(v, 1, &x, why, sz);
	if (!rc && x == 0)
		return errmsg(why, sz, -EINVAL, "0 would reset each thread to its default slack, "
			      "not remove it: use 1ns for the least slack");
	return rc ? rc : set_duration(&p->timer_slack_ns, v, 1, 1, SEC, "1ns..1s", src, why, sz);
}

/* [irq] */

static int parse_selector(struct irq_rule *r, const char *s, char *why, size_t sz)
{
	static const char *const classes[] = { "net", "nvme", "storage", "gpu", "other" };
	static const struct {
		const char *prefix;
		enum irq_sel sel;
	} kinds[] = { { "class:", IRQSEL_CLASS }, { "interface:", IRQSEL_INTERFACE },
		      { "pci:", IRQSEL_PCI }, { "name:", IRQSEL_NAME }, { "irq:", IRQSEL_IRQ } };
	if (!strcmp(s, "all")) {
		r->sel = IRQSEL_ALL;
		return 0;
	}
	const char *arg = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(kinds) && !arg; i++)
		if (!strncmp(s, kinds[i].prefix, strlen(kinds[i].prefix))) {
			r->sel = kinds[i].sel;
			arg = s + strlen(kinds[i].prefix);
		}
	if (!arg)
		return errmsg(why, sz, -EINVAL, "unknown selector '%.40s' (all, class:, interface:, pci:, "
				    "name:, irq:)", s);
	if (strlen(arg) >= sizeof(r->arg))
		return errmsg(why, sz, -EINVAL, "%s too long", irq_sel_name(r->sel));
	copy_str(r->arg, sizeof(r->arg), arg);
	uint64_t n;
	switch (r->sel) {
	case IRQSEL_CLASS:
		for (size_t i = 0; i < ARRAY_SIZE(classes); i++)
			if (!strcmp(arg, classes[i]))
				return 0;
		return errmsg(why, sz, -EINVAL, "unknown class '%.40s' (net, nvme, storage, gpu, other)", arg);
	case IRQSEL_INTERFACE:
		if (!ifname_ok(arg))
			return errmsg(why, sz, -EINVAL, "'%.40s' is not an interface name (1..%d characters, "
					    "no '/', ':' or white space)", arg, IFNAME_MAX);
		return 0;
	case IRQSEL_PCI:
		if (!pci_is_bdf(arg))
			return errmsg(why, sz, -EINVAL, "'%.40s' is not a PCI address (DOMAIN:BUS:DEV.FN, e.g. "
					    "0000:03:00.0)", arg);
		return 0;
	case IRQSEL_NAME:
		if (!*arg)
			return errmsg(why, sz, -EINVAL, "empty name pattern");
		return 0;
	case IRQSEL_IRQ:
		if (!whole_number(arg, &n) || n > INT_MAX)
			return errmsg(why, sz, -EINVAL, "'%.40s' is not an IRQ number", arg);
		return 0;
	default:
		return 0;
	}
}

static int parse_target(struct irq_rule *r, const char *s, char *why, size_t sz)
{
	static const char *const names[] = { "housekeeping", "numa-local", "agent-node" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i])) {
			r->dest = (enum irq_dest)i;
			return 0;
		}
	r->dest = IRQDEST_CPUS;
	int rc = cpulist_parse(s, &r->cpus);
	if (rc == -ENOMEM)
		return rc;
	if (rc)
		return errmsg(why, sz, -EINVAL, "unknown target '%.40s' (housekeeping, numa-local, agent-node "
				    "or a CPU list)", s);
	if (cpumask_empty(&r->cpus))
		return errmsg(why, sz, -EINVAL, "empty CPU list");
	return 0;
}

/* s[0..n) without the white space around it, into a new string. */
static char *trimmed(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return strndup(s, n);
}

static int set_move(struct profile *p, const char *v, const struct profile_src *src, char *why,
		    size_t sz)
{
	struct irq_rule r;
	memset(&r, 0, sizeof(r));
	cpumask_init(&r.cpus);
	/* Targets never hold "->"; a name pattern might. */
	const char *arrow = NULL;
	for (const char *s = strstr(v, "->"); s; s = strstr(s + 1, "->"))
		arrow = s;
	if (!arrow)
		return errmsg(why, sz, -EINVAL, "not 'SELECTOR -> TARGET' (e.g. class:net -> housekeeping)");
	if (strlen(v) >= sizeof(r.text))
		return errmsg(why, sz, -EINVAL, "too long");
	char *sel = trimmed(v, (size_t)(arrow - v)), *dest = trimmed(arrow + 2, strlen(arrow + 2));
	int rc = sel && dest ? parse_selector(&r, sel, why, sz) : -ENOMEM;
	if (!rc)
		rc = parse_target(&r, dest, why, sz);
	free(sel);
	free(dest);
	if (!rc) {
		size_t cap = p->nirq; /* exact size: rules are few */
		struct irq_rule *nv = realloc(p->irq, (cap + 1) * sizeof(*nv));
		rc = nv ? 0 : -ENOMEM;
		if (nv) {
			p->irq = nv;
			copy_str(r.text, sizeof(r.text), v);
			r.src = *src;
			p->irq[p->nirq++] = r;
			return 0;
		}
	}
	cpumask_free(&r.cpus);
	return rc;
}

/* [napi] */

static int set_netdev_budget(struct profile *p, const char *v, const struct profile_src *src,
			     char *why, size_t sz)
{
	return set_int(&p->netdev_budget, v, 1, 1000000, src, why, sz);
}

static int set_netdev_budget_usecs(struct profile *p, const char *v,
				   const struct profile_src *src, char *why, size_t sz)
{
	return set_duration(&p->netdev_budget_usecs, v, US, 1, 10000000, "1us..10s", src, why, sz);
}

/* Busy polling longer than 10 s per call is a mistake, not a tuning. */
static int set_busy_poll(struct profile *p, const char *v, const struct profile_src *src,
			 char *why, size_t sz)
{
	return set_duration(&p->busy_poll, v, US, 0, 10000000, "0..10s", src, why, sz);
}

static int set_busy_read(struct profile *p, const char *v, const struct profile_src *src,
			 char *why, size_t sz)
{
	return set_duration(&p->busy_read, v, US, 0, 10000000, "0..10s", src, why, sz);
}

static int set_defer_hard_irqs(struct profile *p, const char *v, const struct profile_src *src,
			       char *why, size_t sz)
{
	return set_int(&p->defer_hard_irqs, v, 0, INT32_MAX, src, why, sz);
}

static int set_gro_flush_timeout(struct profile *p, const char *v, const struct profile_src *src,
				 char *why, size_t sz)
{
	return set_duration(&p->gro_flush_timeout_ns, v, 1, 0, 10 * SEC, "0..10s", src, why, sz);
}

static int set_interfaces(struct profile *p, const char *v, const struct profile_src *src,
			  char *why, size_t sz)
{
	struct strlist l;
	strlist_init(&l);
	bool is_auto = !strcmp(v, "auto");
	int rc = 0;
	for (const char *s = v; !is_auto && *s && !rc;) {
		size_t n = strcspn(s, " \t,");
		if (n) {
			char name[IFNAME_MAX + 1];
			copy_strn(name, sizeof(name), s, n);
			if (n > IFNAME_MAX || !ifname_ok(name))
				rc = errmsg(why, sz, -EINVAL, "'%.*s' is not an interface name (1..%d characters, "
						  "no '/', ':' or white space)", (int)(n > 40 ? 40 : n),
					 s, IFNAME_MAX);
			else if (!strcmp(name, "auto"))
				rc = errmsg(why, sz, -EINVAL, "auto stands alone, not with interface names");
			for (size_t i = 0; !rc && i < l.n; i++)
				if (!strcmp(l.v[i], name))
					rc = errmsg(why, sz, -EINVAL, "%s listed twice", name);
			if (!rc)
				rc = strlist_add(&l, name);
		}
		s += n;
		s += strspn(s, " \t,");
	}
	if (!rc && !is_auto && !l.n)
		rc = errmsg(why, sz, -EINVAL, "no interface named");
	if (rc) {
		strlist_free(&l);
		return rc;
	}
	strlist_free(&p->interfaces);
	p->interfaces = l;
	p->interfaces_set = true;
	p->interfaces_auto = is_auto;
	p->interfaces_src = *src;
	return 0;
}

/* [pmqos] */

static int set_mode(struct profile *p, const char *v, const struct profile_src *src, char *why,
		    size_t sz)
{
	if (!strcmp(v, "off"))
		p->pmqos_mode = PMQOS_MODE_OFF;
	else if (!strcmp(v, "static"))
		p->pmqos_mode = PMQOS_MODE_STATIC;
	else if (!strcmp(v, "window"))
		p->pmqos_mode = PMQOS_MODE_WINDOW;
	else
		return errmsg(why, sz, -EINVAL, "unknown mode (off, static or window)");
	p->pmqos_mode_src = *src;
	return 0;
}

static int set_method(struct profile *p, const char *v, const struct profile_src *src, char *why,
		      size_t sz)
{
	if (!strcmp(v, "auto"))
		p->pmqos_method = PMQOS_METHOD_AUTO;
	else if (!strcmp(v, "qos"))
		p->pmqos_method = PMQOS_METHOD_QOS;
	else if (!strcmp(v, "poll"))
		p->pmqos_method = PMQOS_METHOD_POLL;
	else
		return errmsg(why, sz, -EINVAL, "unknown method (auto, qos or poll)");
	p->pmqos_method_src = *src;
	return 0;
}

const char *pmqos_method_name(enum pmqos_method m)
{
	switch (m) {
	case PMQOS_METHOD_QOS:
		return "qos";
	case PMQOS_METHOD_POLL:
		return "poll";
	default:
		return "auto";
	}
}

/* The kernel takes 0..S32_MAX-1 (it keeps S32_MAX for "no constraint"). */
static int set_resume_latency(struct profile *p, const char *v, const struct profile_src *src,
			      char *why, size_t sz)
{
	if (!strcmp(v, "n/a")) {
		set_num(&p->resume_latency_us, PMQOS_NA, src);
		return 0;
	}
	if (!isdigit((unsigned char)v[0]))
		return errmsg(why, sz, -EINVAL, "neither n/a nor a duration (e.g. 20us)");
	return set_duration(&p->resume_latency_us, v, US, 0, INT32_MAX - 1, "n/a or 0..2147483646us",
			    src, why, sz);
}

/* "2.4GHz" -> 2400000 kHz, exactly or not at all. */
static bool parse_khz(const char *v, uint64_t *out)
{
	static const struct {
		const char *name;
		uint64_t khz;
	} units[] = { { "", 1 }, { "khz", 1 }, { "mhz", 1000 }, { "ghz", 1000000 } };
	const char *s = v;
	uint64_t whole, frac = 0, scale = 1;
	if (!digits(&s, &whole))
		return false;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return false;
		for (; isdigit((unsigned char)*s); s++) {
			if (scale >= 1000000000)
				return false;
			frac = frac * 10 + (uint64_t)(*s - '0');
			scale *= 10;
		}
	}
	while (*s == ' ')
		s++;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcasecmp(s, units[i].name))
			continue;
		uint64_t k, f = frac * units[i].khz;
		if (f % scale || __builtin_mul_overflow(whole, units[i].khz, &k) ||
		    __builtin_add_overflow(k, f / scale, &k))
			return false;
		*out = k;
		return true;
	}
	return false;
}

#define MAX_FREQ_KHZ 100000000ULL /* 100 GHz: a typo, not a CPU */

static int set_min_freq(struct profile *p, const char *v, const struct profile_src *src,
			char *why, size_t sz)
{
	uint64_t x;
	size_t n = strlen(v);
	if (!strcmp(v, "max")) {
		p->min_freq_kind = FREQ_MAX;
		p->min_freq = 0;
	} else if (n > 1 && v[n - 1] == '%') {
		char num[32];
		copy_strn(num, sizeof(num), v, n - 1);
		if (n - 1 >= sizeof(num) || !whole_number(num, &x))
			return errmsg(why, sz, -EINVAL, "not a percentage (0%%..100%%)");
		if (x > 100)
			return errmsg(why, sz, -EINVAL, "out of range (0%%..100%%)");
		p->min_freq_kind = FREQ_PERCENT;
		p->min_freq = x;
	} else {
		if (!parse_khz(v, &x))
			return errmsg(why, sz, -EINVAL, "not a frequency (max, N%%, or e.g. 2.4GHz; bare numbers "
					    "are kHz)");
		if (x == 0 || x > MAX_FREQ_KHZ)
			return errmsg(why, sz, -EINVAL, "out of range (1kHz..100GHz)");
		p->min_freq_kind = FREQ_KHZ;
		p->min_freq = x;
	}
	p->min_freq_src = *src;
	return 0;
}

/* The window controller's keys (window.h); whether the budget covers a
 * window's cost is checked once the include chain is read. */

/* Beyond a minute a window is static mode with extra steps. */
static int set_window_ms(struct profile *p, const char *v, const struct profile_src *src,
			 char *why, size_t sz)
{
	return set_duration(&p->window_ms, v, MS, 1, 60000, "1ms..60s", src, why, sz);
}

static int set_budget_tokens(struct profile *p, const char *v, const struct profile_src *src,
			     char *why, size_t sz)
{
	return set_int(&p->budget_tokens, v, 1, 1000000000, src, why, sz);
}

/* 0: the budget is spent once and never comes back. */
static int set_refill_per_s(struct profile *p, const char *v, const struct profile_src *src,
			    char *why, size_t sz)
{
	return set_int(&p->refill_per_s, v, 0, 1000000, src, why, sz);
}

static int set_cost_per_window(struct profile *p, const char *v, const struct profile_src *src,
			       char *why, size_t sz)
{
	return set_int(&p->cost_per_window, v, 1, 1000000, src, why, sz);
}

/* [cgroup] */

static int set_cgroup_name(struct profile *p, const char *v, const struct profile_src *src,
			   char *why, size_t sz)
{
	size_t n = strlen(v);
	if (n >= sizeof(p->cgroup_name) || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
						     "rstuvwxyz0123456789_.-") != n ||
	    !strcmp(v, ".") || !strcmp(v, ".."))
		return errmsg(why, sz, -EINVAL, "not a cgroup name (1..%zu of A-Z a-z 0-9 _ . -)",
			   sizeof(p->cgroup_name) - 1);
	copy_str(p->cgroup_name, sizeof(p->cgroup_name), v);
	p->cgroup_name_set = true;
	p->cgroup_name_src = *src;
	return 0;
}

static int set_cpu_weight(struct profile *p, const char *v, const struct profile_src *src,
			  char *why, size_t sz)
{
	return set_int(&p->cpu_weight, v, 1, 10000, src, why, sz);
}

/* cgroup v2 cpu.max: the kernel wants a period of 1ms..1s and a quota of at
 * least 1ms; more than 1000 s of CPU per period is a typo. */
static int set_cpu_max(struct profile *p, const char *v, const struct profile_src *src,
		       char *why, size_t sz)
{
	const char *usage = "'max', 'max PERIOD', 'QUOTA' or 'QUOTA PERIOD' (e.g. 50ms 100ms)";
	char q[64], per[64] = "";
	size_t n = strcspn(v, " \t");
	const char *rest = v + n + strspn(v + n, " \t");
	if (n >= sizeof(q) || strlen(rest) >= sizeof(per) || strcspn(rest, " \t") != strlen(rest))
		return errmsg(why, sz, -EINVAL, "not %s", usage);
	copy_strn(q, sizeof(q), v, n);
	copy_str(per, sizeof(per), rest);
	struct pnum quota = { 0 }, period = { 0 };
	int rc;
	if (!strcmp(q, "max"))
		set_num(&quota, -1, src);
	else if ((rc = set_duration(&quota, q, US, 1000, 1000 * 1000000ULL, "quota 1ms..1000s", src,
				    why, sz)))
		return rc;
	if (!*per)
		set_num(&period, 100000, src);   /* the kernel's default period */
	else if ((rc = set_duration(&period, per, US, 1000, 1000000, "period 1ms..1s", src, why,
				    sz)))
		return rc;
	p->cpu_max_quota_us = quota;
	p->cpu_max_period_us = period;
	return 0;
}

static int set_cpuset(struct profile *p, const char *v, const struct profile_src *src, char *why,
		      size_t sz)
{
	return set_cpus(&p->cpuset, v, true, src, why, sz);
}

/* Percent with up to two decimals -> hundredths (the kernel's cpu.uclamp.min). */
static int set_uclamp_min(struct profile *p, const char *v, const struct profile_src *src,
			  char *why, size_t sz)
{
	if (!strcmp(v, "max")) {
		set_num(&p->uclamp_min, 10000, src);
		return 0;
	}
	const char *s = v;
	uint64_t whole, frac = 0;
	int nfrac = 0;
	bool ok = digits(&s, &whole) && whole <= 100;
	if (ok && *s == '.') {
		s++;
		for (; isdigit((unsigned char)*s) && nfrac < 3; s++, nfrac++)
			frac = frac * 10 + (uint64_t)(*s - '0');
		ok = nfrac >= 1 && nfrac <= 2;
	}
	if (ok && *s == '%')
		s++;
	if (!ok || *s)
		return errmsg(why, sz, -EINVAL, "not a percentage (0..100 with up to 2 decimals, or max)");
	uint64_t h = whole * 100 + (nfrac == 1 ? frac * 10 : frac);
	if (h > 10000)
		return errmsg(why, sz, -EINVAL, "out of range (0..100)");
	set_num(&p->uclamp_min, (int64_t)h, src);
	return 0;
}

static int set_isolate(struct profile *p, const char *v, const struct profile_src *src,
		       char *why, size_t sz)
{
	static const char *const yes[] = { "yes", "true", "1" }, *const no[] = { "no", "false", "0" };
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(v, yes[i])) {
			set_num(&p->isolate, 1, src);
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			set_num(&p->isolate, 0, src);
			return 0;
		}
	}
	return errmsg(why, sz, -EINVAL, "not yes or no");
}

/* ---------- keys ---------- */

struct keydef {
	const char *section, *name;
	setter set;
	bool repeatable;
};

static const struct keydef keys[] = {
	{ "main", "summary", set_summary, false },
	{ "main", "include", set_include, false },
	{ "agent", "cpus", set_agent_cpus, false },
	{ "agent", "housekeeping", set_housekeeping, false },
	{ "agent", "timer_slack_ns", set_timer_slack, false },
	{ "irq", "move", set_move, true },
	{ "napi", "netdev_budget", set_netdev_budget, false },
	{ "napi", "netdev_budget_usecs", set_netdev_budget_usecs, false },
	{ "napi", "busy_poll", set_busy_poll, false },
	{ "napi", "busy_read", set_busy_read, false },
	{ "napi", "interfaces", set_interfaces, false },
	{ "napi", "defer_hard_irqs", set_defer_hard_irqs, false },
	{ "napi", "gro_flush_timeout", set_gro_flush_timeout, false },
	{ "pmqos", "mode", set_mode, false },
	{ "pmqos", "method", set_method, false },
	{ "pmqos", "resume_latency_us", set_resume_latency, false },
	{ "pmqos", "min_freq", set_min_freq, false },
	{ "pmqos", "window_ms", set_window_ms, false },
	{ "pmqos", "budget_tokens", set_budget_tokens, false },
	{ "pmqos", "refill_per_s", set_refill_per_s, false },
	{ "pmqos", "cost_per_window", set_cost_per_window, false },
	{ "cgroup", "name", set_cgroup_name, false },
	{ "cgroup", "cpu_weight", set_cpu_weight, false },
	{ "cgroup", "cpu_max", set_cpu_max, false },
	{ "cgroup", "cpuset", set_cpuset, false },
	{ "cgroup", "uclamp_min", set_uclamp_min, false },
	{ "cgroup", "isolate", set_isolate, false },
};

static const char *const sections[] = { "main", "agent", "irq", "napi", "pmqos", "cgroup" };

static const struct keydef *find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

static bool known_section(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if (!strcmp(sections[i], s))
			return true;
	return false;
}

/* "netdev_budget, busy_poll, ..." for an unknown-key message. */
static void section_keys(const char *section, char *buf, size_t sz)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(keys) && off < sz; i++)
		if (!strcmp(keys[i].section, section))
			off += (size_t)snprintf(buf + off, sz - off, "%s%s", off ? ", " : "",
						keys[i].name);
}

/* ---------- parsing one file ---------- */

static int pf_fail(struct pfile *f, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int pf_fail(struct pfile *f, int line, const char *fmt, ...)
{
	if (f->rc)
		return f->rc;
	va_list ap;
	va_start(ap, fmt);
	char msg[sizeof(f->err->msg)];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	perr_set(f->err, f->path, line, "%s", msg);
	f->rc = -EINVAL;
	return f->rc;
}

/* fgets for inih over our buffer, one line per call, so inih's line count
 * and ours agree; it also vets what inih would take silently. */
static char *pf_reader(char *str, int num, void *stream)
{
	struct pfile *f = stream;
	if (f->rc || f->pos >= f->len)
		return NULL;
	const char *s = f->buf + f->pos;
	size_t rest = f->len - f->pos;
	const char *nl = memchr(s, '\n', rest);
	size_t n = nl ? (size_t)(nl - s) + 1 : rest;
	f->lineno++;
	/* inih would split a longer line and read its tail as a line of its own. */
	if (num < 4 || n + 1 > (size_t)num) {
		pf_fail(f, f->lineno, "line too long (at most %d characters)", num - 3);
		return NULL;
	}
	memcpy(str, s, n);
	str[n] = '\0';
	f->pos += n;
	const char *t = str;
	if (f->lineno == 1 && !strncmp(t, "\xef\xbb\xbf", 3))
		t += 3; /* a UTF-8 BOM, which inih skips */
	while (isspace((unsigned char)*t)) /* as inih's lskip */
		t++;
	if (!*t || *t == ';' || *t == '#')
		return str;
	if (t != str && f->after_key) {
		pf_fail(f, f->lineno, "indented line: inih would read it as a continuation of the "
				      "previous value, which profiles do not use");
		return NULL;
	}
	if (*t == '[') {
		const char *end = strchr(t, ']');
		if (end) {
			f->after_key = false;
			char name[64];
			copy_strn(name, sizeof(name), t + 1, (size_t)(end - t - 1));
			if ((size_t)(end - t - 1) >= sizeof(name) || !known_section(name)) {
				pf_fail(f, f->lineno, "unknown section [%.40s] (main, agent, irq, napi, "
						      "pmqos, cgroup)", name);
				return NULL;
			}
		}
	}
	return str;
}

static const struct entry *pf_find(const struct pfile *f, const char *section, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->e[i].section, section) && !strcmp(f->e[i].key, key))
			return &f->e[i];
	return NULL;
}

static int pf_add(struct pfile *f, const char *section, const char *key, const char *value)
{
	struct entry *nv = grow(f->e, f->n, &f->cap, sizeof(*nv), 16);
	if (!nv)
		return -ENOMEM;
	f->e = nv;
	struct entry *e = &f->e[f->n];
	e->section = strdup(section);
	e->key = strdup(key);
	e->value = strdup(value);
	e->line = f->lineno;
	if (!e->section || !e->key || !e->value) {
		free(e->section);
		free(e->key);
		free(e->value);
		return -ENOMEM;
	}
	f->n++;
	return 0;
}

/* Sets one key on p; err names f's file and the line. */
static int apply_one(struct pfile *f, struct profile *p, const struct keydef *k,
		     const char *value, int line)
{
	char why[1024];
	struct profile_src src;
	copy_str(src.file, sizeof(src.file), f->path);
	src.line = line;
	int rc = k->set(p, value, &src, why, sizeof(why));
	if (rc == -EINVAL)
		return pf_fail(f, line, "[%s] %s = '%.60s': %s", k->section, k->name, value, why);
	if (rc) {
		perr_set(f->err, f->path, line, "%s", strerror(-rc));
		f->rc = rc;
	}
	return rc;
}

static int pf_handler(void *user, const char *section, const char *name, const char *value)
{
	struct pfile *f = user;
	if (f->rc)
		return 0;
	f->after_key = true;
	int line = f->lineno;
	if (!*section)
		return !pf_fail(f, line, "%.40s: a key outside any section (start with [main])", name);
	if (!known_section(section))
		return !pf_fail(f, line, "unknown section [%.40s]", section);
	const struct keydef *k = find_key(section, name);
	if (!k) {
		char known[160];
		section_keys(section, known, sizeof(known));
		return !pf_fail(f, line, "[%s] %.40s: unknown key (%s)", section, name, known);
	}
	const struct entry *prev = k->repeatable ? NULL : pf_find(f, section, name);
	if (prev && k->set == set_include)
		return !pf_fail(f, line, "include given twice (lines %d and %d): a profile "
				"includes one other at most", prev->line, line);
	if (prev)
		return !pf_fail(f, line, "[%s] %s given twice (lines %d and %d)", section, name,
				prev->line, line);
	if (!*value)
		return !pf_fail(f, line, "[%s] %s: empty value", section, name);
	if (apply_one(f, &f->scratch, k, value, line))
		return 0;
	if (pf_add(f, section, name, value)) {
		perr_set(f->err, f->path, line, "out of memory");
		f->rc = -ENOMEM;
		return 0;
	}
	return 1;
}

static void pf_free(struct pfile *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->e[i].section);
		free(f->e[i].key);
		free(f->e[i].value);
	}
	free(f->e);
	f->e = NULL;
	f->n = f->cap = 0;
	profile_free(&f->scratch);
}

/* Parses buf into f's entries, every key and value checked. */
static int pf_parse(struct pfile *f)
{
	const char *nul = memchr(f->buf, '\0', f->len);
	if (nul) {
		int line = 1;
		for (const char *s = f->buf; s < nul; s++)
			line += *s == '\n';
		return pf_fail(f, line, "a NUL byte: not a text file");
	}
	int rc = ini_parse_stream(pf_reader, f, pf_handler, f);
	/* inih reports its own syntax errors by line, and keeps going. */
	if (rc > 0 && (!f->rc || rc < f->err->line) && f->rc != -ENOMEM) {
		f->rc = 0;
		return pf_fail(f, rc, "not a 'key = value' line or a [section] header");
	}
	if (rc < 0 && !f->rc) {
		perr_set(f->err, f->path, 0, "out of memory");
		f->rc = -ENOMEM;
	}
	return f->rc;
}

/* ---------- files ---------- */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static bool is_file_ref(const char *s)
{
	size_t n = strlen(s), e = strlen(PROFILE_EXT);
	return strchr(s, '/') || (n >= e && !strcmp(s + n - e, PROFILE_EXT));
}

/* "DIR1, DIR2" (malloc'd), "no directory" for none; NULL out of memory. */
static char *dir_list(const struct profile_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < o->ndirs; i++)
		fprintf(f, "%s%s", i ? ", " : "", o->dirs[i]);
	if (!o->ndirs)
		fputs("no directory", f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

#ifndef AGENTUNE_DATADIR
#define AGENTUNE_DATADIR "/usr/local/share/agentune"
#endif

/* profiles/ beside the running binary's directory, resolved; "" when
 * there is none. */
static void source_tree_dir(char *out, size_t sz)
{
	char exe[PATH_MAX], dir[PATH_MAX + 16], real[PATH_MAX];
	out[0] = '\0';
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	if (pathf(dir, sizeof(dir), "%s/../profiles", dirname(exe)) && realpath(dir, real))
		copy_str(out, sz, real);
}

int profile_search_dirs(struct strlist *out)
{
	strlist_init(out);
	int rc = 0;
	const char *env = getenv("AGENTUNE_PROFILE_PATH");
	if (env && *env) {
		char *copy = strdup(env), *save = NULL;
		if (!copy)
			return -ENOMEM;
		for (char *s = strtok_r(copy, ":", &save); s && !rc; s = strtok_r(NULL, ":", &save))
			rc = strlist_add(out, s);
		free(copy);
	}
	char tree[PATH_MAX];
	source_tree_dir(tree, sizeof(tree));
	const char *fixed[] = { "/etc/agentune/profiles", AGENTUNE_DATADIR "/profiles", tree };
	for (size_t i = 0; i < ARRAY_SIZE(fixed) && !rc; i++)
		if (fixed[i][0])
			rc = strlist_add(out, fixed[i]);
	if (rc)
		strlist_free(out);
	return rc ? -ENOMEM : 0;
}

/* NAME -> DIR/NAME.profile from the first directory that has it. */
static int find_in_dirs(const struct profile_opts *o, const char *name, char *out, size_t sz,
			char *why, size_t wsz)
{
	for (size_t i = 0; i < o->ndirs; i++) {
		struct stat st;
		if (pathf(out, sz, "%s/%s%s", o->dirs[i], name, PROFILE_EXT) && !stat(out, &st))
			return 0;
	}
	char *looked = dir_list(o);
	errmsg(why, wsz, -ENOENT, "no profile named '%s' (looked in %s)", name,
	       looked ? looked : "?");
	free(looked);
	return -ENOENT;
}

/* Opens path.  With vetted, as sp_open_root_owned does (every directory
 * and link on the way root's and not writable by others, checked on the
 * descriptors walked, so the check is about the file that is then read):
 * -EPERM with why naming the path and the reason.  Otherwise (and for the
 * other errors) why is the bare reason. */
static int open_profile(const char *path, bool vetted, struct stat *st, char *why, size_t sz)
{
	if (vetted) {
		int fd = sp_open_root_owned(path, st, why, sz);
		if (fd >= 0 || fd == -EPERM)
			return fd;
		errmsg(why, sz, 0, "%s", fd == -EINVAL ? "not a regular file" : strerror(-fd));
		return fd;
	}
	/* O_NONBLOCK: a FIFO named by mistake must not hang us before fstat. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		errmsg(why, sz, 0, "%s", strerror(e));
		return -e;
	}
	return fd;
}

/* Whole regular file, at most PROFILE_MAX_SIZE bytes, NUL added.  0 or -errno
 * with why (-EPERM: refused by the vetting, see open_profile). */
static int read_file(const char *path, bool vetted, char **out, size_t *len, struct stat *st,
		     char *why, size_t sz)
{
	int fd = open_profile(path, vetted, st, why, sz);
	if (fd < 0)
		return fd;
	int rc = 0;
	char *buf = NULL;
	size_t n = 0;
	if (fstat(fd, st)) {
		rc = -errno;
		errmsg(why, sz, 0, "%s", strerror(-rc));
	} else if (!S_ISREG(st->st_mode)) {
		rc = -EINVAL;
		errmsg(why, sz, 0, "not a regular file");
	} else if (!(buf = malloc(PROFILE_MAX_SIZE + 1))) {
		rc = -ENOMEM;
		errmsg(why, sz, 0, "out of memory");
	}
	while (!rc) {
		ssize_t r = read(fd, buf + n, PROFILE_MAX_SIZE + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			errmsg(why, sz, 0, "%s", strerror(-rc));
		} else if (r == 0) {
			break;
		} else if ((n += (size_t)r) > PROFILE_MAX_SIZE) {
			rc = -EINVAL;
			errmsg(why, sz, 0, "larger than %d KiB: not a profile", PROFILE_MAX_SIZE / 1024);
		}
	}
	close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* "a.profile includes b.profile includes a.profile" */
/* "a.profile includes b.profile includes a.profile"; a cut is marked. */
static void chain_text(const struct loader *L, const char *last, char *buf, size_t sz)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (f) {
		for (int i = 0; i < L->depth; i++)
			fprintf(f, "%s includes ", base_name(L->stack[i].path));
		fputs(base_name(last), f);
	}
	if (!f || fclose(f))
		errmsg(buf, sz, 0, "%s", "(out of memory)");
	else
		errmsg(buf, sz, 0, "%s", text);
	free(text);
}

static int load_file(struct loader *L, const char *path, const struct profile_src *from,
		     struct profile *p);

/* Loads f's include, if any, into p: it comes first. */
static int load_include(struct loader *L, struct pfile *f, struct profile *p)
{
	const struct entry *inc = pf_find(f, "main", "include");
	if (!inc)
		return 0;
	char path[PATH_MAX + 64], why[1024];
	const char *v = inc->value;
	if (!is_file_ref(v)) {
		if (find_in_dirs(L->o, v, path, sizeof(path), why, sizeof(why))) {
			perr_set(L->err, f->path, inc->line, "include = %s: %s", v, why);
			return -ENOENT;
		}
	} else if (v[0] == '/') {
		copy_str(path, sizeof(path), v);
	} else {
		/* Relative to the including file, not to where we were run. */
		const char *slash = strrchr(f->path, '/');
		if (!pathf(path, sizeof(path), "%.*s%s", slash ? (int)(slash - f->path + 1) : 0,
			   f->path, v)) {
			perr_set(L->err, f->path, inc->line, "include = %.60s: path too long", v);
			return -EINVAL;
		}
	}
	struct profile_src src;
	copy_str(src.file, sizeof(src.file), f->path);
	src.line = inc->line;
	return load_file(L, path, &src, p);
}

/* An error about the file itself: at the include line that named it, or
 * (for the top file) at the file. */
static void file_error(struct loader *L, const char *path, const struct profile_src *from,
		       const char *why)
{
	if (from)
		perr_set(L->err, from->file, from->line, "include: %s: %s", path, why);
	else
		perr_set(L->err, path, 0, "%s", why);
}

static int load_file(struct loader *L, const char *path, const struct profile_src *from,
		     struct profile *p)
{
	char why[1024], chain[1024];
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	int rc = read_file(path, L->o->check_safe, &buf, &len, &st, why, sizeof(why));
	if (rc == -EPERM && L->o->check_safe) {
		perr_set(L->err, path, 0, "refused: %s (a profile must be writable by root only)",
			 why);
		return rc;
	}
	if (rc) {
		file_error(L, path, from, why);
		return rc;
	}
	for (int i = 0; i < L->depth; i++)
		if (L->stack[i].dev == st.st_dev && L->stack[i].ino == st.st_ino) {
			chain_text(L, path, chain, sizeof(chain));
			perr_set(L->err, from->file, from->line, "include cycle: %s", chain);
			free(buf);
			return -EINVAL;
		}
	if (L->depth == PROFILE_MAX_DEPTH) {
		chain_text(L, path, chain, sizeof(chain));
		perr_set(L->err, from->file, from->line, "includes nested deeper than %d files: %s",
			 PROFILE_MAX_DEPTH, chain);
		free(buf);
		return -EINVAL;
	}
	if (strlist_add(&p->chain, path)) {
		free(buf);
		perr_set(L->err, path, 0, "out of memory");
		return -ENOMEM;
	}

	struct pfile f;
	memset(&f, 0, sizeof(f));
	f.path = p->chain.v[p->chain.n - 1];
	f.buf = buf;
	f.len = len;
	f.err = L->err;
	profile_init(&f.scratch);
	rc = pf_parse(&f);
	if (!rc) {
		L->stack[L->depth].dev = st.st_dev;
		L->stack[L->depth].ino = st.st_ino;
		L->stack[L->depth].path = f.path;
		L->depth++;
		rc = load_include(L, &f, p);
		L->depth--;
	}
	/* Ours over the included profile's; values were checked while parsing. */
	for (size_t i = 0; !rc && i < f.n; i++)
		rc = apply_one(&f, p, find_key(f.e[i].section, f.e[i].key), f.e[i].value,
			       f.e[i].line);
	pf_free(&f);
	free(buf);
	return rc;
}

/* " (the default)", or where the other key of a message was set when that is
 * another file than the one the error names. */
static void origin(const struct pnum *n, const char *errfile, char *buf, size_t sz)
{
	if (!n->set)
		snprintf(buf, sz, " (the default)");
	else if (strcmp(n->src.file, errfile))
		snprintf(buf, sz, " (%.200s line %d)", n->src.file, n->src.line);
	else
		buf[0] = '\0';
}

/* What no single key can see: a window costs more than the bucket holds.
 * Checked on the merged profile, at the line of the key that was set
 * (cost_per_window's when both were). */
static int64_t pnum_or(const struct pnum *n, int64_t dflt)
{
	return n->set ? n->v : dflt;
}

void profile_window_params(const struct profile *p, struct window_params *w)
{
	w->window_ns = (uint64_t)pnum_or(&p->window_ms, WINDOW_DEFAULT_MS) * 1000000u;
	w->budget_tokens = pnum_or(&p->budget_tokens, WINDOW_DEFAULT_BUDGET);
	w->refill_per_s = pnum_or(&p->refill_per_s, WINDOW_DEFAULT_REFILL);
	w->cost_per_window = pnum_or(&p->cost_per_window, WINDOW_DEFAULT_COST);
}

static int check_window(const struct profile *p, struct parse_error *err)
{
	struct window_params w;
	profile_window_params(p, &w);
	int64_t budget = w.budget_tokens, cost = w.cost_per_window;
	if (cost <= budget)
		return 0;
	const struct profile_src *at = p->cost_per_window.set ? &p->cost_per_window.src :
								&p->budget_tokens.src;
	char cfrom[240], bfrom[240];
	origin(&p->cost_per_window, at->file, cfrom, sizeof(cfrom));
	origin(&p->budget_tokens, at->file, bfrom, sizeof(bfrom));
	perr_set(err, at->file, at->line, "[pmqos] cost_per_window = %lld%s is larger than "
		 "budget_tokens = %lld%s: no window could ever open", (long long)cost, cfrom,
		 (long long)budget, bfrom);
	return -EINVAL;
}

int profile_load(const char *name_or_file, const struct profile_opts *o, struct profile *p,
		 struct parse_error *err)
{
	struct parse_error dummy;
	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	profile_init(p);
	char path[PATH_MAX + 64], why[1024];
	if (!*name_or_file) {
		perr_set(err, "", 0, "no profile named");
		return -EINVAL;
	}
	if (is_file_ref(name_or_file)) {
		copy_str(path, sizeof(path), name_or_file);
	} else if (find_in_dirs(o, name_or_file, path, sizeof(path), why, sizeof(why))) {
		perr_set(err, name_or_file, 0, "%s", why);
		return -ENOENT;
	}
	if (strlen(path) >= sizeof(p->path)) {
		perr_set(err, path, 0, "path too long");
		return -EINVAL;
	}
	struct loader L = { .o = o, .err = err };
	int rc = load_file(&L, path, NULL, p);
	if (!rc)
		rc = check_window(p, err);
	if (rc) {
		profile_free(p);
		return rc;
	}
	copy_str(p->path, sizeof(p->path), path);
	const char *b = base_name(path);
	size_t n = strlen(b), e = strlen(PROFILE_EXT);
	if (n > e && !strcmp(b + n - e, PROFILE_EXT))
		n -= e;
	copy_strn(p->name, sizeof(p->name), b, n);
	return 0;
}

/* ---------- who could have written it ---------- */

int profile_check_safe(const char *path, char *why, size_t sz)
{
	struct stat st;
	int fd = sp_open_root_owned(path, &st, why, sz);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* ---------- listing ---------- */

static int info_cmp(const void *a, const void *b)
{
	return strcmp(((const struct profile_info *)a)->name, ((const struct profile_info *)b)->name);
}

static bool listed(const struct profile_info *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return true;
	return false;
}

static void describe(const char *path, const struct profile_opts *o, struct profile_info *pi)
{
	struct profile_opts lo = *o;
	lo.check_safe = false;
	struct profile p;
	struct parse_error err;
	if (profile_load(path, &lo, &p, &err) == 0) {
		copy_str(pi->summary, sizeof(pi->summary), p.summary);
		profile_free(&p);
		return;
	}
	char msg[PERR_TEXT_MAX];
	if (!strcmp(err.file, path) && err.line > 0)
		snprintf(msg, sizeof(msg), "line %d: %s", err.line, err.msg);
	else if (!strcmp(err.file, path))
		snprintf(msg, sizeof(msg), "%s", err.msg);
	else
		perr_format(&err, msg, sizeof(msg));
	errmsg(pi->summary, sizeof(pi->summary), 0, "(invalid: %s)", msg);
}

int profile_list(const struct profile_opts *o, struct profile_info **out, size_t *n)
{
	struct profile_info *v = NULL;
	size_t nv = 0, cap = 0, e = strlen(PROFILE_EXT);
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < o->ndirs; i++) {
		DIR *d = opendir(o->dirs[i]);
		if (!d)
			continue; /* a user directory that does not exist lists nothing */
		struct dirent *de;
		while ((de = readdir(d))) {
			size_t len = strlen(de->d_name);
			struct profile_info pi;
			memset(&pi, 0, sizeof(pi));
			if (len <= e || strcmp(de->d_name + len - e, PROFILE_EXT) ||
			    len - e >= sizeof(pi.name))
				continue;
			copy_strn(pi.name, sizeof(pi.name), de->d_name, len - e);
			struct stat st;
			if (listed(v, nv, pi.name) ||
			    !pathf(pi.path, sizeof(pi.path), "%s/%s", o->dirs[i], de->d_name) ||
			    stat(pi.path, &st) || !S_ISREG(st.st_mode))
				continue;
			struct profile_info *nvp = grow(v, nv, &cap, sizeof(*nvp), 8);
			if (!nvp) {
				closedir(d);
				free(v);
				return -ENOMEM;
			}
			v = nvp;
			describe(pi.path, o, &pi);
			v[nv++] = pi;
		}
		closedir(d);
	}
	if (nv)
		qsort(v, nv, sizeof(*v), info_cmp);
	*out = v;
	*n = nv;
	return 0;
}
