/* tune/knob_net: net.core sysctls, per-interface NAPI attributes and
 * per-NAPI settings through netlink (knob_net.h). */
#include "tune/knob_net.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/errmsg.h"
#include "base/util.h"
#include "inspect/napi_netlink.h"

#define SYSCTL_PREFIX "net.core."

static const char *const sysctls[] = { "net.core.netdev_budget", "net.core.netdev_budget_usecs",
				       "net.core.busy_poll", "net.core.busy_read" };

/* ---------- sysctl ---------- */

static bool sysctl_target_ok(const char *t, char *why, size_t sz)
{
	for (size_t i = 0; i < ARRAY_SIZE(sysctls); i++)
		if (!strcmp(t, sysctls[i]))
			return true;
	errmsg(why, sz, 0,
	       "sysctl \"%s\" is not one of net.core.{netdev_budget,netdev_budget_usecs,"
	       "busy_poll,busy_read}",
	       t);
	return false;
}

static bool sysctl_value_ok(const char *t, const char *v)
{
	return knob_dec_ok(v, INT_MAX, NULL);
}

static bool sysctl_path(const char *t, char *out, size_t sz)
{
	return pathf(out, sz, "/proc/sys/net/core/%s", t + strlen(SYSCTL_PREFIX));
}

const struct knob_driver knob_sysctl = {
	.name = "sysctl",
	.target_ok = sysctl_target_ok,
	.value_ok = sysctl_value_ok,
	.path = sysctl_path,
	.same = knob_same_number,
};

/* ---------- netdev_attr and napi: the same two settings ---------- */

/* defer-hard-irqs: u32 in 0..S32_MAX; the GRO flush timeout: ns, an
 * unsigned long. */
static bool defer_or_timeout_ok(const char *t, const char *v)
{
	return strstr(knob_last_component(t), "defer") ? knob_dec_ok(v, INT32_MAX, NULL)
							: knob_dec_ok(v, UINT64_MAX, NULL);
}

/* ---------- netdev_attr ---------- */

static bool netdev_target_ok(const char *t, char *why, size_t sz)
{
	char ifname[IFNAME_MAX + 1];
	const char *tail = knob_split_slash(t, ifname, sizeof(ifname));
	if (tail && ifname_ok(ifname) &&
	    (!strcmp(tail, "napi_defer_hard_irqs") || !strcmp(tail, "gro_flush_timeout")))
		return true;
	errmsg(why, sz, 0,
	       "netdev target \"%s\" is not IFNAME/napi_defer_hard_irqs or "
	       "IFNAME/gro_flush_timeout",
	       t);
	return false;
}

static bool netdev_path(const char *t, char *out, size_t sz)
{
	char ifname[IFNAME_MAX + 1];
	const char *tail = knob_split_slash(t, ifname, sizeof(ifname));
	return tail && pathf(out, sz, "/sys/class/net/%s/%s", ifname, tail);
}

const struct knob_driver knob_netdev_attr = {
	.name = "netdev_attr",
	.target_ok = netdev_target_ok,
	.value_ok = defer_or_timeout_ok,
	.path = netdev_path,
	.same = knob_same_number,
};

/* ---------- napi ---------- */

static bool napi_target_ok(const char *t, char *why, size_t sz)
{
	char id[64];
	uint64_t v;
	const char *tail = knob_split_slash(t, id, sizeof(id));
	if (tail && knob_dec_ok(id, UINT32_MAX, &v) && v &&
	    (!strcmp(tail, "defer-hard-irqs") || !strcmp(tail, "gro-flush-timeout")))
		return true;
	errmsg(why, sz, 0, "NAPI target \"%s\" is not ID/defer-hard-irqs or ID/gro-flush-timeout",
	       t);
	return false;
}

static void napi_split(const char *t, unsigned *id, int *attr)
{
	char head[16];
	const char *tail = knob_split_slash(t, head, sizeof(head));
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
		return errmsg(why, sz, -EOPNOTSUPP,
			      "NAPI settings through netlink need the live host");
	napi_split(t, &id, &attr);
	return napi_netlink_set(id, attr, strtoull(val, NULL, 10), why, sz);
}

const struct knob_driver knob_napi = {
	.name = "napi",
	.target_ok = napi_target_ok,
	.value_ok = defer_or_timeout_ok,
	.read = napi_read,
	.write = napi_write,
	.same = knob_same_number,
};
