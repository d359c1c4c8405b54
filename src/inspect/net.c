/* inspect/net: interfaces, net.core sysctls and NAPI instances (net.h).
 *
 * NAPI instances come from the kernel's `netdev` generic-netlink family on
 * the live host (napi_netlink.c) and from the snapshot's saved dump
 * (NAPI_SNAPSHOT_PATH, the JSON written by napi_to_json) on any other root;
 * here they are sorted and get their interface names.
 *
 * The JSON shape, stable for snapshots:
 *   {"napi": [ {"id": 8193, "ifindex": 2, "ifname": "ens1f0", "irq": 121,
 *               "pid": null, "rx_queue": 0, "defer_hard_irqs": 2,
 *               "gro_flush_timeout_ns": 200000,
 *               "irq_suspend_timeout_ns": 0}, ... ]}
 * null stands for "the kernel did not say" (no IRQ, not threaded, a kernel
 * without per-NAPI settings).  When the capture could not list NAPI at all:
 *   {"napi": null, "why": "netdev netlink family not found ..."}
 * Unknown keys are ignored, so newer writers stay readable. */
#include "inspect/net.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "inspect/pci.h"

#define CLASS_NET "/sys/class/net"
#define VIRTUAL_DIR "/sys/devices/virtual/"
#define NET_CORE "/proc/sys/net/core"

/* ---------- interfaces ---------- */

static void count_queues(const struct host *h, const char *dir, struct net_if *f)
{
	char p[PATH_MAX + 64];
	struct strlist l;
	snprintf(p, sizeof(p), "%s/queues", dir);
	if (host_list(h, p, &l))
		return;
	for (size_t i = 0; i < l.n; i++) {
		if (!strncmp(l.v[i], "rx-", 3))
			f->rx_queues++;
		else if (!strncmp(l.v[i], "tx-", 3))
			f->tx_queues++;
	}
	strlist_free(&l);
}

/* The last component of a device path that is a BDF: the function itself,
 * or for virtio (.../0000:00:03.0/virtio2) the parent of virtioN. */
static void bdf_from_path(const char *path, char *out, size_t sz)
{
	char buf[PATH_MAX];
	copy_str(buf, sizeof(buf), path);
	out[0] = '\0';
	for (char *save = NULL, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save))
		if (pci_is_bdf(c))
			copy_str(out, sz, c);
}

/* The device behind an interface: its `device` link; failing that (captures
 * that kept only net/IF/ifindex) the directory that holds net/IF. */
static bool device_dir(const struct host *h, const char *dir, char *out, size_t sz)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/device", dir);
	if (pci_link_target(h, p, out, sz) == 0)
		return true;
	if (strncmp(dir, "/sys/devices/", 13) || !strncmp(dir, VIRTUAL_DIR, strlen(VIRTUAL_DIR)))
		return false;
	copy_str(out, sz, dir);
	char *s = strrchr(out, '/');
	if (!s || s == out)
		return false;
	*s = '\0';
	s = strrchr(out, '/');
	if (!s || strcmp(s, "/net"))
		return false;
	*s = '\0';
	return *out != '\0';
}

/* 1 interface, 0 not one (bonding_masters), -ENOMEM. */
static int read_if(const struct host *h, const char *name, struct net_if *f)
{
	char entry[PATH_MAX], dir[PATH_MAX];
	snprintf(entry, sizeof(entry), CLASS_NET "/%s", name);
	memset(f, 0, sizeof(*f));
	copy_str(f->name, sizeof(f->name), name);
	f->ifindex = -1;
	f->napi_defer_hard_irqs = NA_S64;
	f->gro_flush_timeout_ns = NA_S64;
	f->threaded = -1;

	/* A link (or link-file) to the device's net/IF, or in some captures
	 * the directory itself; a plain file is not an interface. */
	int rc = pci_link_target(h, entry, dir, sizeof(dir));
	if (rc == -EINVAL || rc == -ENOTDIR) {
		if (!host_is_dir(h, entry))
			return 0;
		copy_str(dir, sizeof(dir), entry);
	} else if (rc) {
		return 1; /* a link we may not follow: the name is all we know */
	}
	f->is_virtual = !strncmp(dir, VIRTUAL_DIR, strlen(VIRTUAL_DIR));

	int64_t v = host_attr_s64(h, dir, "ifindex");
	if (v >= 0 && v <= INT_MAX)
		f->ifindex = (int)v;
	host_attr_str(h, dir, "operstate", f->operstate, sizeof(f->operstate));
	count_queues(h, dir, f);
	f->napi_defer_hard_irqs = host_attr_s64(h, dir, "napi_defer_hard_irqs");
	f->gro_flush_timeout_ns = host_attr_s64(h, dir, "gro_flush_timeout");
	v = host_attr_s64(h, dir, "threaded");
	f->threaded = v >= 0 && v <= INT_MAX ? (int)v : -1;

	char dev[PATH_MAX];
	if (!f->is_virtual && device_dir(h, dir, dev, sizeof(dev))) {
		bdf_from_path(dev, f->pci_bdf, sizeof(f->pci_bdf));
		pci_driver_name(h, dev, f->driver, sizeof(f->driver));
	}
	return 1;
}

static int read_ifs(const struct host *h, struct net *out)
{
	struct strlist l;
	int rc = host_list(h, CLASS_NET, &l);
	if (rc) {
		snprintf(out->why, sizeof(out->why), "no network interfaces in sysfs (" CLASS_NET
			 ": %s)", strerror(-rc));
		return 0;
	}
	out->available = true;
	out->ifs = l.n ? calloc(l.n, sizeof(*out->ifs)) : NULL;
	if (l.n && !out->ifs) {
		strlist_free(&l);
		return -ENOMEM;
	}
	for (size_t i = 0; i < l.n; i++)
		if (read_if(h, l.v[i], &out->ifs[out->n]) == 1)
			out->n++;
	strlist_free(&l);
	return 0;
}

/* ---------- NAPI ---------- */

static int napi_cmp(const void *a, const void *b)
{
	const struct napi_inst *x = a, *y = b;
	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id);
}

static void napi_finish(struct net *n)
{
	if (n->nnapi > 1)
		qsort(n->napi, n->nnapi, sizeof(*n->napi), napi_cmp);
	for (size_t i = 0; i < n->nnapi; i++) {
		struct napi_inst *p = &n->napi[i];
		for (size_t j = 0; j < n->n; j++) {
			if (n->ifs[j].ifindex >= 0 && n->ifs[j].ifindex == p->ifindex) {
				copy_str(p->ifname, sizeof(p->ifname), n->ifs[j].name);
				break;
			}
		}
	}
}

static void read_napi_snapshot(const struct host *h, struct net *out)
{
	char *text = host_read(h, NAPI_SNAPSHOT_PATH, NULL);
	if (!text) {
		if (errno == ENOENT)
			copy_str(out->napi_why, sizeof(out->napi_why),
				 "not captured in this snapshot");
		else
			snprintf(out->napi_why, sizeof(out->napi_why), "%s: %s",
				 NAPI_SNAPSHOT_PATH, strerror(errno));
		return;
	}
	struct parse_error e;
	if (napi_from_json(text, out, &e)) {
		char msg[PERR_TEXT_MAX];
		perr_format(&e, msg, sizeof(msg));
		out->napi_available = false;
		copy_str(out->napi_why, sizeof(out->napi_why), msg);
	}
	free(text);
}

static void read_napi(const struct host *h, struct net *out)
{
	if (h->live) {
		struct napi_inst *v;
		size_t n;
		if (napi_netlink_dump(&v, &n, out->napi_why, sizeof(out->napi_why)) == 0) {
			free(out->napi);
			out->napi = v;
			out->nnapi = n;
			out->napi_available = true;
			out->napi_why[0] = '\0';
		}
	} else {
		read_napi_snapshot(h, out);
	}
	if (out->napi_available)
		napi_finish(out);
}

/* ---------- interface ---------- */

int net_read(const struct host *h, struct net *out)
{
	memset(out, 0, sizeof(*out));
	int rc = read_ifs(h, out);
	if (rc) {
		net_free(out);
		copy_str(out->why, sizeof(out->why), "out of memory");
		return rc;
	}
	out->netdev_budget = host_attr_s64(h, NET_CORE, "netdev_budget");
	out->netdev_budget_usecs = host_attr_s64(h, NET_CORE, "netdev_budget_usecs");
	out->busy_poll = host_attr_s64(h, NET_CORE, "busy_poll");
	out->busy_read = host_attr_s64(h, NET_CORE, "busy_read");
	read_napi(h, out);
	return 0;
}

void net_free(struct net *n)
{
	free(n->ifs);
	free(n->napi);
	memset(n, 0, sizeof(*n));
}

const struct napi_inst *net_napi_by_irq(const struct net *n, unsigned irq)
{
	for (size_t i = 0; i < n->nnapi; i++)
		if (n->napi[i].irq >= 0 && (unsigned)n->napi[i].irq == irq)
			return &n->napi[i];
	return NULL;
}

const struct net_if *net_if_by_name(const struct net *n, const char *name)
{
	for (size_t i = 0; name && i < n->n; i++)
		if (!strcmp(n->ifs[i].name, name))
			return &n->ifs[i];
	return NULL;
}

/* ---------- JSON ---------- */

static struct json_object *j_int_or_null(int64_t v, int64_t na)
{
	return v == na ? NULL : json_object_new_int64(v);
}

char *napi_to_json(const struct net *n)
{
	struct json_object *root = json_object_new_object();
	if (!root)
		return NULL;
	if (!n->napi_available) {
		json_object_object_add(root, "napi", NULL);
		json_object_object_add(root, "why", json_object_new_string(n->napi_why));
	} else {
		struct json_object *a = json_object_new_array();
		for (size_t i = 0; a && i < n->nnapi; i++) {
			const struct napi_inst *p = &n->napi[i];
			struct json_object *o = json_object_new_object();
			if (!o)
				break;
			json_object_object_add(o, "id", json_object_new_int64(p->id));
			json_object_object_add(o, "ifindex", j_int_or_null(p->ifindex, -1));
			json_object_object_add(o, "ifname",
					       p->ifname[0] ? json_object_new_string(p->ifname) : NULL);
			json_object_object_add(o, "irq", j_int_or_null(p->irq, -1));
			json_object_object_add(o, "pid", j_int_or_null(p->pid, -1));
			json_object_object_add(o, "rx_queue", j_int_or_null(p->rx_queue, -1));
			json_object_object_add(o, "defer_hard_irqs",
					       j_int_or_null(p->defer_hard_irqs, NA_S64));
			json_object_object_add(o, "gro_flush_timeout_ns",
					       j_int_or_null(p->gro_flush_timeout_ns, NA_S64));
			json_object_object_add(o, "irq_suspend_timeout_ns",
					       j_int_or_null(p->irq_suspend_timeout_ns, NA_S64));
			json_object_array_add(a, o);
		}
		json_object_object_add(root, "napi", a);
	}
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_NOSLASHESCAPE);
	char *text = s ? strdup(s) : NULL;
	json_object_put(root);
	return text;
}

/* An integer member in [lo, hi]; null or absent give na.  false when the
 * member is there but is not such an integer. */
static bool j_int(struct json_object *o, const char *key, int64_t lo, int64_t hi, int64_t na,
		  int64_t *out)
{
	struct json_object *v;
	*out = na;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return true;
	if (!json_object_is_type(v, json_type_int))
		return false;
	errno = 0;
	int64_t x = json_object_get_int64(v);
	if (errno || x < lo || x > hi)
		return false;
	*out = x;
	return true;
}

static int napi_entry(struct json_object *o, size_t idx, struct napi_inst *p,
		      struct parse_error *err)
{
	int64_t v[8];
	static const char *const keys[] = { "id", "ifindex", "irq", "pid", "defer_hard_irqs",
					     "gro_flush_timeout_ns", "irq_suspend_timeout_ns",
					     "rx_queue" };
	static const int64_t hi[] = { UINT32_MAX, INT_MAX, INT_MAX, INT_MAX, UINT32_MAX,
				      INT64_MAX, INT64_MAX, INT_MAX };
	static const int64_t na[] = { -1, -1, -1, -1, NA_S64, NA_S64, NA_S64, -1 };

	if (!json_object_is_type(o, json_type_object)) {
		perr_set(err, NAPI_SNAPSHOT_PATH, 0, "napi[%zu]: not an object", idx);
		return -EINVAL;
	}
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		if (!j_int(o, keys[k], 0, hi[k], na[k], &v[k])) {
			perr_set(err, NAPI_SNAPSHOT_PATH, 0,
				 "napi[%zu].%s: not an integer in 0..%lld", idx, keys[k],
				 (long long)hi[k]);
			return -EINVAL;
		}
	}
	if (v[0] < 0) {
		perr_set(err, NAPI_SNAPSHOT_PATH, 0, "napi[%zu]: no id", idx);
		return -EINVAL;
	}
	memset(p, 0, sizeof(*p));
	p->id = (unsigned)v[0];
	p->ifindex = (int)v[1];
	p->irq = (int)v[2];
	p->pid = (int)v[3];
	p->defer_hard_irqs = v[4];
	p->gro_flush_timeout_ns = v[5];
	p->irq_suspend_timeout_ns = v[6];
	p->rx_queue = (int)v[7];

	struct json_object *s;
	if (json_object_object_get_ex(o, "ifname", &s) && s) {
		if (!json_object_is_type(s, json_type_string) ||
		    (size_t)json_object_get_string_len(s) >= sizeof(p->ifname)) {
			perr_set(err, NAPI_SNAPSHOT_PATH, 0,
				 "napi[%zu].ifname: not an interface name", idx);
			return -EINVAL;
		}
		copy_str(p->ifname, sizeof(p->ifname), json_object_get_string(s));
	}
	return 0;
}

static int napi_list(struct json_object *a, struct net *n, struct parse_error *err)
{
	size_t len = json_object_array_length(a);
	struct napi_inst *v = len ? calloc(len, sizeof(*v)) : NULL;
	if (len && !v) {
		perr_set(err, NAPI_SNAPSHOT_PATH, 0, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < len; i++) {
		if (napi_entry(json_object_array_get_idx(a, i), i, &v[i], err)) {
			free(v);
			return -EINVAL;
		}
	}
	free(n->napi);
	n->napi = v;
	n->nnapi = len;
	n->napi_available = true;
	n->napi_why[0] = '\0';
	return 0;
}

/* Line of a byte offset, for syntax errors. */
static int line_of(const char *text, size_t off)
{
	int line = 1;
	for (size_t i = 0; i < off && text[i]; i++)
		line += text[i] == '\n';
	return line;
}

/* Parses the whole text as one JSON value into *root (NULL for `null`). */
static int parse_text(const char *text, struct json_object **root, struct parse_error *err)
{
	size_t len = strlen(text);
	*root = NULL;
	if (len >= INT_MAX) {
		perr_set(err, NAPI_SNAPSHOT_PATH, 0, "too large");
		return -EINVAL;
	}
	struct json_tokener *tok = json_tokener_new();
	if (!tok) {
		perr_set(err, NAPI_SNAPSHOT_PATH, 0, "out of memory");
		return -ENOMEM;
	}
	/* The terminating NUL is passed too: it ends a top-level literal
	 * ("42", "null") that json-c would otherwise wait to continue. */
	*root = json_tokener_parse_ex(tok, text, (int)len + 1);
	enum json_tokener_error je = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (je != json_tokener_success) {
		json_object_put(*root);
		*root = NULL;
		if (je == json_tokener_continue || end > len)
			perr_set(err, NAPI_SNAPSHOT_PATH, line_of(text, len),
				 "unexpected end of input");
		else
			perr_set(err, NAPI_SNAPSHOT_PATH, line_of(text, end), "%s",
				 json_tokener_error_desc(je));
		return -EINVAL;
	}
	while (end < len && isspace((unsigned char)text[end]))
		end++;
	if (end < len) {
		json_object_put(*root);
		*root = NULL;
		perr_set(err, NAPI_SNAPSHOT_PATH, line_of(text, end), "text after the JSON value");
		return -EINVAL;
	}
	return 0;
}

int napi_from_json(const char *text, struct net *n, struct parse_error *err)
{
	if (!text) {
		perr_set(err, NAPI_SNAPSHOT_PATH, 0, "no text");
		return -EINVAL;
	}
	struct json_object *root;
	if (parse_text(text, &root, err))
		return -EINVAL;
	int rc = -EINVAL;
	struct json_object *a, *why;
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "napi", &a)) {
		perr_set(err, NAPI_SNAPSHOT_PATH, 0, "expected an object with a \"napi\" member");
	} else if (!a) {
		/* Saved as unavailable: keep the reason it was saved with. */
		free(n->napi);
		n->napi = NULL;
		n->nnapi = 0;
		n->napi_available = false;
		const char *w = json_object_object_get_ex(root, "why", &why) &&
					json_object_is_type(why, json_type_string)
				? json_object_get_string(why) : "not available when captured";
		copy_str(n->napi_why, sizeof(n->napi_why), w);
		rc = 0;
	} else if (!json_object_is_type(a, json_type_array)) {
		perr_set(err, NAPI_SNAPSHOT_PATH, 0, "\"napi\" is not an array");
	} else {
		rc = napi_list(a, n, err);
		if (rc == -ENOMEM)
			rc = -EINVAL;
	}
	json_object_put(root);
	return rc;
}
