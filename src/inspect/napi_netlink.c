/* inspect/napi_netlink: NAPI instances from the `netdev` generic-netlink family.
 *
 * The build host's uapi headers (Debian 12, Linux 6.1) have no
 * <linux/netdev.h>, so the few constants used here are defined below with the
 * values of the kernel's include/uapi/linux/netdev.h (generated from
 * Documentation/netlink/specs/netdev.yaml).  They are ABI: the kernel only
 * appends to these enums. */
#include "inspect/napi_netlink.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "base/errmsg.h"
#include "base/util.h"

#ifndef NETDEV_FAMILY_NAME
#define NETDEV_FAMILY_NAME "netdev"
#endif
#ifndef NETDEV_FAMILY_VERSION
#define NETDEV_FAMILY_VERSION 1
#endif
/* enum { NETDEV_CMD_DEV_GET = 1, ..._DEV_*_NTF, PAGE_POOL_GET, ..._NTF x3,
 * PAGE_POOL_STATS_GET, QUEUE_GET, NAPI_GET (11), QSTATS_GET, BIND_RX,
 * NAPI_SET, BIND_TX } */
#ifndef NETDEV_CMD_NAPI_GET
#define NETDEV_CMD_QUEUE_GET 10
#define NETDEV_CMD_NAPI_GET 11
#endif
#ifndef NETDEV_CMD_NAPI_SET
#define NETDEV_CMD_NAPI_SET 14             /* Linux 6.13+ */
#endif
/* enum netdev_a_queue; queue type 0 is rx (enum netdev_queue_type) */
#ifndef NETDEV_A_QUEUE_ID
#define NETDEV_A_QUEUE_ID 1                /* u32 */
#define NETDEV_A_QUEUE_IFINDEX 2           /* u32 */
#define NETDEV_A_QUEUE_TYPE 3              /* u32 */
#define NETDEV_A_QUEUE_NAPI_ID 4           /* u32 */
#define NETDEV_QUEUE_TYPE_RX 0
#endif
#define QUEUE_ATTR_MAX NETDEV_A_QUEUE_NAPI_ID
/* enum netdev_a_napi */
#ifndef NETDEV_A_NAPI_IFINDEX
#define NETDEV_A_NAPI_IFINDEX 1            /* u32 */
#define NETDEV_A_NAPI_ID 2                 /* u32 */
#define NETDEV_A_NAPI_IRQ 3                /* u32, absent without an IRQ */
#define NETDEV_A_NAPI_PID 4                /* u32, threaded NAPI only */
#endif
/* NETDEV_A_NAPI_DEFER_HARD_IRQS (5) and NETDEV_A_NAPI_GRO_FLUSH_TIMEOUT (6),
 * Linux 6.13+, are in napi_netlink.h for the napi knob. */
#ifndef NETDEV_A_NAPI_IRQ_SUSPEND_TIMEOUT
#define NETDEV_A_NAPI_IRQ_SUSPEND_TIMEOUT 7 /* uint, 6.13+ */
#endif
/* Newer attributes (THREADED = 8, ...) are ignored: nla_parse skips types
 * above the maximum it is given. */
#define NAPI_ATTR_MAX NETDEV_A_NAPI_IRQ_SUSPEND_TIMEOUT

struct dump_ctx {
	struct napi_inst *v;
	size_t n, cap;
	int err;               /* -ENOMEM from the callback */
};

static bool get_u32(struct nlattr *a, uint32_t *out)
{
	if (!a || nla_len(a) < 4)
		return false;
	*out = nla_get_u32(a);
	return true;
}

/* NLA_UINT: the kernel sends 4 bytes when the value fits, else 8. */
static int64_t get_uint(struct nlattr *a)
{
	if (!a)
		return NA_S64;
	if (nla_len(a) == 4)
		return nla_get_u32(a);
	if (nla_len(a) == 8) {
		uint64_t v = nla_get_u64(a);
		return v > INT64_MAX ? NA_S64 : (int64_t)v;
	}
	return NA_S64;
}

static int on_napi(struct nl_msg *msg, void *arg)
{
	struct dump_ctx *c = arg;
	struct nlattr *tb[NAPI_ATTR_MAX + 1];
	uint32_t v;

	/* No policy: a length we do not expect makes the field NA instead
	 * of dropping the whole message. */
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, NAPI_ATTR_MAX, NULL) < 0)
		return NL_SKIP;
	if (!tb[NETDEV_A_NAPI_ID])
		return NL_SKIP;
	struct napi_inst *nv = grow(c->v, c->n, &c->cap, sizeof(*nv), 16);
	if (!nv) {
		c->err = -ENOMEM;
		return NL_STOP;
	}
	c->v = nv;
	struct napi_inst *ni = &c->v[c->n];
	memset(ni, 0, sizeof(*ni));
	ni->ifindex = -1;
	ni->irq = -1;
	ni->pid = -1;
	ni->rx_queue = -1;
	if (get_u32(tb[NETDEV_A_NAPI_ID], &v))
		ni->id = v;
	if (get_u32(tb[NETDEV_A_NAPI_IFINDEX], &v) && v <= INT32_MAX)
		ni->ifindex = (int)v;
	if (get_u32(tb[NETDEV_A_NAPI_IRQ], &v) && v <= INT32_MAX)
		ni->irq = (int)v;
	if (get_u32(tb[NETDEV_A_NAPI_PID], &v) && v <= INT32_MAX)
		ni->pid = (int)v;
	ni->defer_hard_irqs = get_u32(tb[NETDEV_A_NAPI_DEFER_HARD_IRQS], &v) ? (int64_t)v : NA_S64;
	ni->gro_flush_timeout_ns = get_uint(tb[NETDEV_A_NAPI_GRO_FLUSH_TIMEOUT]);
	ni->irq_suspend_timeout_ns = get_uint(tb[NETDEV_A_NAPI_IRQ_SUSPEND_TIMEOUT]);
	c->n++;
	return NL_OK;
}

/* A queue answer: remember which rx queue each NAPI instance serves, so an
 * IRQ named after its queue ("virtio2-input.0") finds its NAPI even where the
 * driver does not report the NAPI's IRQ. */
static int on_queue(struct nl_msg *msg, void *arg)
{
	struct dump_ctx *c = arg;
	struct nlattr *tb[QUEUE_ATTR_MAX + 1];
	uint32_t id, type, napi;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, QUEUE_ATTR_MAX, NULL) < 0)
		return NL_SKIP;
	if (!get_u32(tb[NETDEV_A_QUEUE_ID], &id) || !get_u32(tb[NETDEV_A_QUEUE_TYPE], &type) ||
	    !get_u32(tb[NETDEV_A_QUEUE_NAPI_ID], &napi) || type != NETDEV_QUEUE_TYPE_RX ||
	    id > INT32_MAX)
		return NL_SKIP;
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].id == napi && c->v[i].rx_queue < 0)
			c->v[i].rx_queue = (int)id;
	return NL_OK;
}

/* Sends the dump request and collects the answers into c. */
static int do_dump(struct nl_sock *sk, int family, int cmd, struct dump_ctx *c, char *why,
		   size_t whysz)
{
	struct nl_msg *msg = nlmsg_alloc();
	if (!msg)
		return errmsg(why, whysz, -ENOMEM, "out of memory");
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_DUMP,
			 cmd, NETDEV_FAMILY_VERSION)) {
		nlmsg_free(msg);
		return errmsg(why, whysz, -ENOMEM, "out of memory");
	}
	int rc = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (rc < 0)
		return errmsg(why, whysz, -EIO, "netdev netlink: send failed: %s",
			      nl_geterror(rc));
	rc = nl_recvmsgs_default(sk);
	if (c->err)
		return errmsg(why, whysz, c->err, "out of memory");
	if (rc == -NLE_OPNOTSUPP)
		return errmsg(why, whysz, -EOPNOTSUPP,
			      "netdev netlink family has no NAPI_GET (kernel older than 6.8): %s",
			      nl_geterror(rc));
	if (rc < 0)
		return errmsg(why, whysz, -EIO, "netdev netlink NAPI dump failed: %s",
			      nl_geterror(rc));
	return 0;
}

/* A generic netlink socket connected, with the netdev family resolved. */
static int open_family(struct nl_sock **skp, int *family, char *why, size_t whysz)
{
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		return errmsg(why, whysz, -ENOMEM, "out of memory");
	int rc = genl_connect(sk);
	if (rc < 0) {
		rc = errmsg(why, whysz, -EIO, "generic netlink unavailable: %s", nl_geterror(rc));
		nl_socket_free(sk);
		return rc;
	}
	*family = genl_ctrl_resolve(sk, NETDEV_FAMILY_NAME);
	if (*family < 0) {
		rc = errmsg(why, whysz, -ENOENT,
			    "netdev netlink family not found (kernel older than 6.3?): %s",
			    nl_geterror(*family));
		nl_socket_free(sk);
		return rc;
	}
	*skp = sk;
	return 0;
}

int napi_netlink_dump(struct napi_inst **v, size_t *n, char *why, size_t whysz)
{
	struct dump_ctx c = { 0 };
	struct nl_sock *sk;
	int family;

	int rc = open_family(&sk, &family, why, whysz);
	if (rc)
		return rc;
	/* Answers are sized by peeking, so big dumps are not truncated. */
	nl_socket_enable_msg_peek(sk);
	rc = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_napi, &c);
	if (rc < 0) {
		rc = errmsg(why, whysz, -ENOMEM, "out of memory");
		goto out;
	}
	rc = do_dump(sk, family, NETDEV_CMD_NAPI_GET, &c, why, whysz);
	if (rc == 0) {
		/* Queues are optional (6.8+): without them rx_queue stays -1. */
		char qwhy[128];
		if (nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_queue, &c) >= 0)
			do_dump(sk, family, NETDEV_CMD_QUEUE_GET, &c, qwhy, sizeof(qwhy));
		c.err = 0;
		*v = c.v;
		*n = c.n;
		c.v = NULL;
	}
out:
	free(c.v);
	nl_socket_free(sk);
	return rc;
}

/* A libnl error code (negative NLE_*) as a negative errno. */
static int errno_of_nlerr(int nlerr)
{
	switch (-nlerr) {
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_PERM:
	case NLE_NOACCESS: return -EPERM;
	case NLE_INVAL:
	case NLE_RANGE: return -EINVAL;
	case NLE_NOMEM: return -ENOMEM;
	default: return -EIO;
	}
}

/* The kernel refused request `what` about NAPI id: -errno with the reason. */
static int napi_request_failed(int nlerr, unsigned id, const char *what, char *why, size_t whysz)
{
	int rc = errno_of_nlerr(nlerr);
	if (rc == -ENOENT)
		return errmsg(why, whysz, rc, "NAPI %u does not exist (any more)", id);
	if (rc == -EOPNOTSUPP)
		return errmsg(why, whysz, rc, "netdev netlink %s is not supported by this kernel (%s)",
			      what, nl_geterror(nlerr));
	return errmsg(why, whysz, rc, "netdev netlink %s for NAPI %u failed: %s", what, id,
		      nl_geterror(nlerr));
}

/* A netdev request for one NAPI id; the caller adds the other attributes. */
static struct nl_msg *napi_msg(int family, int cmd, unsigned id)
{
	struct nl_msg *msg = nlmsg_alloc();
	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0, cmd,
			 NETDEV_FAMILY_VERSION) ||
	    nla_put_u32(msg, NETDEV_A_NAPI_ID, id) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int napi_netlink_get(unsigned id, struct napi_inst *out, char *why, size_t whysz)
{
	struct dump_ctx c = { 0 };
	struct nl_sock *sk;
	int family;

	int rc = open_family(&sk, &family, why, whysz);
	if (rc)
		return rc;
	/* One answer or one error: no ACK to wait for after the answer. */
	nl_socket_disable_auto_ack(sk);
	struct nl_msg *msg = napi_msg(family, NETDEV_CMD_NAPI_GET, id);
	if (!msg || nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_napi, &c) < 0) {
		nlmsg_free(msg);
		rc = errmsg(why, whysz, -ENOMEM, "out of memory");
		goto out;
	}
	rc = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (rc < 0) {
		rc = errmsg(why, whysz, -EIO, "netdev netlink: send failed: %s", nl_geterror(rc));
		goto out;
	}
	rc = nl_recvmsgs_default(sk);
	if (c.err) {
		rc = errmsg(why, whysz, c.err, "out of memory");
	} else if (rc < 0) {
		rc = napi_request_failed(rc, id, "NAPI_GET", why, whysz);
	} else if (c.n != 1 || c.v[0].id != id) {
		rc = errmsg(why, whysz, -EIO, "netdev netlink NAPI_GET %u: %zu answers", id, c.n);
	} else {
		*out = c.v[0];
		rc = 0;
	}
out:
	free(c.v);
	nl_socket_free(sk);
	return rc;
}

int napi_netlink_set(unsigned id, int attr, uint64_t value, char *why, size_t whysz)
{
	struct nl_sock *sk;
	int family;

	if (attr != NETDEV_A_NAPI_DEFER_HARD_IRQS && attr != NETDEV_A_NAPI_GRO_FLUSH_TIMEOUT)
		return errmsg(why, whysz, -EINVAL, "NAPI attribute not settable here");
	/* The kernel's policy: defer-hard-irqs is a u32 in 0..S32_MAX. */
	if (attr == NETDEV_A_NAPI_DEFER_HARD_IRQS && value > INT32_MAX)
		return errmsg(why, whysz, -ERANGE, "defer-hard-irqs above 2147483647");
	int rc = open_family(&sk, &family, why, whysz);
	if (rc)
		return rc;
	struct nl_msg *msg = napi_msg(family, NETDEV_CMD_NAPI_SET, id);
	/* gro-flush-timeout is an NLA_UINT: 8 bytes are always accepted. */
	if (!msg || (attr == NETDEV_A_NAPI_DEFER_HARD_IRQS
			     ? nla_put_u32(msg, attr, (uint32_t)value)
			     : nla_put_u64(msg, attr, value)) < 0) {
		nlmsg_free(msg);
		rc = errmsg(why, whysz, -ENOMEM, "out of memory");
		goto out;
	}
	/* Sends, frees msg and waits for the kernel's ACK or error. */
	rc = nl_send_sync(sk, msg);
	if (rc < 0)
		rc = napi_request_failed(rc, id, "NAPI_SET", why, whysz);
out:
	nl_socket_free(sk);
	return rc;
}
