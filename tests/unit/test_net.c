/* Unit tests: interfaces, net.core sysctls, NAPI (net.c, napi_netlink.c). */
#include "testutil.h"

#include "inspect/net.h"

/* ---------- helpers ---------- */

static const struct net_if *must_if(const struct net *n, const char *name)
{
	const struct net_if *f = net_if_by_name(n, name);
	if (!f)
		fail_msg("interface %s not found", name);
	return f;
}

static void read_tree(const char *root, struct host *h, struct net *n)
{
	assert_int_equal(host_open(h, root), 0);
	assert_int_equal(net_read(h, n), 0);
}

/* ---------- project trees ---------- */

/* The same capture with real dangling links and with link-files: eth0's
 * driver from its virtio device's dangling `driver` link, eth1 (its
 * directory not captured) known by name and the PCI address in its link. */
static void fixture_dangling_links(void **state)
{
	struct host ha, hb;
	struct net a, b;
	read_tree(FIXTURES "/dangling-symlinks-2cpu", &ha, &a);
	read_tree(FIXTURES "/dangling-linkfiles-2cpu", &hb, &b);
	const struct net_if *f = must_if(&a, "eth0");
	assert_string_equal(f->driver, "virtio_net");
	assert_string_equal(f->pci_bdf, "0000:00:03.0");
	assert_int_equal(f->ifindex, 4);
	f = must_if(&a, "eth1");
	assert_string_equal(f->pci_bdf, "0000:00:04.0");
	assert_string_equal(f->driver, "");
	assert_int_equal(f->ifindex, -1);
	assert_false(f->is_virtual);
	assert_int_equal(a.n, 3);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		const struct net_if *x = &a.ifs[i], *y = must_if(&b, a.ifs[i].name);
		assert_string_equal(x->pci_bdf, y->pci_bdf);
		assert_string_equal(x->driver, y->driver);
		assert_int_equal(x->ifindex, y->ifindex);
		assert_int_equal(x->is_virtual, y->is_virtual);
		assert_int_equal(x->rx_queues, y->rx_queues);
		assert_string_equal(x->operstate, y->operstate);
	}
	net_free(&a);
	net_free(&b);
	host_close(&ha);
	host_close(&hb);
}

static void fixture_virtio(void **state)
{
	struct host h;
	struct net n;
	read_tree(FIXTURES "/virtio-net-2cpu", &h, &n);
	assert_true(n.available);
	assert_int_equal(n.n, 2);
	const struct net_if *f = must_if(&n, "eth0");
	assert_int_equal(f->ifindex, 4);
	assert_string_equal(f->pci_bdf, "0000:00:03.0"); /* parent of virtio2 */
	assert_string_equal(f->driver, "virtio_net");
	assert_string_equal(f->operstate, "up");
	assert_int_equal(f->rx_queues, 1);
	assert_int_equal(f->tx_queues, 1);
	assert_int_equal(f->napi_defer_hard_irqs, 0);
	assert_int_equal(f->gro_flush_timeout_ns, 0);
	assert_int_equal(f->threaded, 0);
	assert_false(f->is_virtual);
	f = must_if(&n, "lo");
	assert_true(f->is_virtual);
	assert_int_equal(f->ifindex, 1);
	assert_string_equal(f->pci_bdf, "");
	assert_string_equal(f->driver, "");
	assert_string_equal(f->operstate, "unknown");
	assert_null(net_if_by_name(&n, "eth1"));

	assert_int_equal(n.netdev_budget, 300);
	assert_int_equal(n.netdev_budget_usecs, 8000);
	assert_int_equal(n.busy_poll, 0);
	assert_int_equal(n.busy_read, 0);

	/* the dump netlink gave on the machine this tree models */
	assert_true(n.napi_available);
	assert_int_equal(n.nnapi, 1);
	assert_int_equal(n.napi[0].id, 257);
	assert_int_equal(n.napi[0].ifindex, 4);
	assert_string_equal(n.napi[0].ifname, "eth0");
	assert_int_equal(n.napi[0].irq, -1);
	assert_int_equal(n.napi[0].pid, -1);
	assert_int_equal(n.napi[0].defer_hard_irqs, 0);
	assert_int_equal(n.napi[0].irq_suspend_timeout_ns, 0);
	assert_null(net_napi_by_irq(&n, 38));
	net_free(&n);
	host_close(&h);
}

static void fixture_e810_napi(void **state)
{
	struct host h;
	struct net n;
	read_tree(FIXTURES "/nic-napi-8cpu", &h, &n);
	assert_int_equal(n.n, 2);
	const struct net_if *f = must_if(&n, "ens1f0");
	assert_int_equal(f->ifindex, 2);
	assert_string_equal(f->pci_bdf, "0000:3b:00.0");
	assert_string_equal(f->driver, "ice");
	assert_int_equal(f->rx_queues, 8);
	assert_int_equal(f->tx_queues, 8);
	assert_int_equal(f->napi_defer_hard_irqs, 2);
	assert_int_equal(f->gro_flush_timeout_ns, 200000);
	assert_int_equal(f->threaded, 0);
	assert_int_equal(n.netdev_budget, 300);
	assert_int_equal(n.netdev_budget_usecs, 2000);
	assert_int_equal(n.busy_poll, 0);
	assert_int_equal(n.busy_read, 0);

	assert_true(n.napi_available);
	assert_string_equal(n.napi_why, "");
	assert_int_equal(n.nnapi, 8);
	for (size_t i = 0; i < 8; i++) {
		const struct napi_inst *p = &n.napi[i];
		assert_int_equal(p->id, 8193 + i);
		assert_int_equal(p->ifindex, 2);
		assert_string_equal(p->ifname, "ens1f0");
		assert_int_equal(p->irq, 121 + (int)i);
		assert_int_equal(p->pid, -1);
		assert_int_equal(p->defer_hard_irqs, 2);
		assert_int_equal(p->gro_flush_timeout_ns, 200000);
		assert_int_equal(p->irq_suspend_timeout_ns, 0);
	}
	const struct napi_inst *p = net_napi_by_irq(&n, 125);
	assert_non_null(p);
	assert_int_equal(p->id, 8197);
	assert_null(net_napi_by_irq(&n, 120)); /* misc vector: no NAPI */
	net_free(&n);
	host_close(&h);
}

/* ---------- shared captures ---------- */

static void shared_node_exporter(void **state)
{
	struct host h;
	struct net n;
	OPEN_SHARED(&h, "node-exporter-fixtures");
	assert_int_equal(net_read(&h, &n), 0);
	/* bond0, dmz, int are directories; bonding_masters is not an interface */
	assert_int_equal(n.n, 4);
	assert_null(net_if_by_name(&n, "bonding_masters"));
	assert_int_equal(must_if(&n, "bond0")->ifindex, 2);
	const struct net_if *f = must_if(&n, "eth0");
	assert_int_equal(f->ifindex, 2);
	assert_string_equal(f->pci_bdf, "0000:03:00.0");
	assert_int_equal(f->napi_defer_hard_irqs, NA_S64);
	assert_int_equal(f->threaded, -1);
	assert_int_equal(n.netdev_budget, NA_S64);
	assert_int_equal(n.busy_poll, NA_S64);
	assert_false(n.napi_available);
	assert_string_equal(n.napi_why, "not captured in this snapshot");
	assert_int_equal(n.nnapi, 0);
	net_free(&n);
	host_close(&h);
}

static void shared_procfs(void **state)
{
	struct host h;
	struct net n;
	OPEN_SHARED(&h, "procfs-testdata");
	assert_int_equal(net_read(&h, &n), 0);
	assert_int_equal(n.n, 1);
	const struct net_if *f = must_if(&n, "eth0"); /* a directory here */
	assert_int_equal(f->ifindex, 2);
	assert_string_equal(f->pci_bdf, "0000:00:1f.6");
	assert_false(f->is_virtual);
	net_free(&n);
	host_close(&h);
}

static void shared_knc(void **state)
{
	struct host h;
	struct net n;
	OPEN_SHARED(&h, "hwloc-xeon-e5-2680-2s-knc");
	assert_int_equal(net_read(&h, &n), 0);
	assert_int_equal(n.n, 7);
	const struct net_if *f = must_if(&n, "eth0");
	assert_int_equal(f->ifindex, 2);
	assert_string_equal(f->pci_bdf, "0000:02:00.0");
	assert_string_equal(f->driver, "igb");
	f = must_if(&n, "ib0");
	assert_int_equal(f->ifindex, 5);
	assert_string_equal(f->pci_bdf, "0000:82:00.0");
	assert_string_equal(f->driver, "mlx4_core");
	/* links into /sys/devices/virtual whose targets were not captured */
	assert_true(must_if(&n, "br0")->is_virtual);
	assert_true(must_if(&n, "eth0.1015")->is_virtual);
	assert_string_equal(must_if(&n, "mic0")->pci_bdf, "");
	net_free(&n);
	host_close(&h);
}

static void shared_silver_and_qemu(void **state)
{
	struct host h;
	struct net n;
	OPEN_SHARED(&h, "hwloc-xeon-silver-4108-2s-ve");
	assert_int_equal(net_read(&h, &n), 0);
	assert_int_equal(n.n, 2);
	const struct net_if *f = must_if(&n, "enp96s0f1");
	assert_int_equal(f->ifindex, 3);
	assert_string_equal(f->pci_bdf, "0000:60:00.1");
	assert_string_equal(f->driver, "i40e");
	assert_int_equal(f->gro_flush_timeout_ns, 0);
	assert_int_equal(f->napi_defer_hard_irqs, NA_S64);
	net_free(&n);
	host_close(&h);

	OPEN_SHARED(&h, "hwloc-qemu-pcidomain32bits");
	assert_int_equal(net_read(&h, &n), 0);
	assert_int_equal(n.n, 2);
	f = must_if(&n, "ens3"); /* link into a virtio0/ that was not captured */
	assert_string_equal(f->pci_bdf, "0000:00:03.0");
	assert_int_equal(f->ifindex, -1);
	assert_false(f->is_virtual);
	assert_true(must_if(&n, "lo")->is_virtual);
	net_free(&n);
	host_close(&h);
}

static void shared_all_invariants(void **state)
{
	size_t with_net = 0;
	struct shared_iter it;
	for (shared_first(&it); shared_next(&it);) {
		char cls[TEST_PATH];
		tpathf(cls, "%s/sys/class/net", it.root);
		struct stat st;
		bool has = stat(cls, &st) == 0;
		struct net n;
		assert_int_equal(net_read(&it.h, &n), 0);
		assert_int_equal(n.available, has);
		if (!has)
			assert_non_null(strstr(n.why, "/sys/class/net"));
		with_net += has;
		assert_false(n.napi_available); /* no capture has a NAPI dump */
		assert_string_equal(n.napi_why, "not captured in this snapshot");
		for (size_t j = 0; j < n.n; j++) {
			const struct net_if *f = &n.ifs[j];
			assert_true(f->name[0] != '\0');
			assert_true(f->ifindex >= -1);
			assert_true(f->threaded >= -1);
			if (f->is_virtual)
				assert_string_equal(f->pci_bdf, "");
			assert_ptr_equal(net_if_by_name(&n, f->name), f);
		}
		net_free(&n);
	}
	assert_int_equal(with_net, 6);
}

/* ---------- JSON ---------- */

static void json_round_trip(void **state)
{
	struct napi_inst v[3] = {
		{ .id = 8193, .ifindex = 2, .ifname = "ens1f0", .irq = 121, .pid = -1,
		  .defer_hard_irqs = 2, .gro_flush_timeout_ns = 200000,
		  .irq_suspend_timeout_ns = 20000000 },
		{ .id = 8194, .ifindex = 2, .ifname = "", .irq = -1, .pid = 4242,
		  .defer_hard_irqs = NA_S64, .gro_flush_timeout_ns = NA_S64,
		  .irq_suspend_timeout_ns = NA_S64 },
		{ .id = 4294967295u, .ifindex = -1, .ifname = "x", .irq = 0, .pid = 1,
		  .defer_hard_irqs = 0, .gro_flush_timeout_ns = INT64_MAX,
		  .irq_suspend_timeout_ns = 0 },
	};
	struct net a = { .napi_available = true, .nnapi = 3, .napi = v };
	char *text = napi_to_json(&a);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"gro_flush_timeout_ns\":200000"));
	assert_non_null(strstr(text, "\"pid\":null"));

	struct net b = { 0 };
	struct parse_error e = { 0 };
	assert_int_equal(napi_from_json(text, &b, &e), 0);
	assert_true(b.napi_available);
	assert_int_equal(b.nnapi, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(b.napi[i].id, v[i].id);
		assert_int_equal(b.napi[i].ifindex, v[i].ifindex);
		assert_string_equal(b.napi[i].ifname, v[i].ifname);
		assert_int_equal(b.napi[i].irq, v[i].irq);
		assert_int_equal(b.napi[i].pid, v[i].pid);
		assert_int_equal(b.napi[i].defer_hard_irqs, v[i].defer_hard_irqs);
		assert_int_equal(b.napi[i].gro_flush_timeout_ns, v[i].gro_flush_timeout_ns);
		assert_int_equal(b.napi[i].irq_suspend_timeout_ns, v[i].irq_suspend_timeout_ns);
	}
	char *again = napi_to_json(&b);
	assert_string_equal(again, text);
	free(again);
	free(text);
	net_free(&b);

	/* unavailable NAPI keeps its reason through a snapshot */
	struct net u = { .napi_available = false };
	copy_str(u.napi_why, sizeof(u.napi_why), "netdev netlink family not found");
	text = napi_to_json(&u);
	struct net w = { .napi_available = true };
	assert_int_equal(napi_from_json(text, &w, &e), 0);
	assert_false(w.napi_available);
	assert_string_equal(w.napi_why, "netdev netlink family not found");
	free(text);
	net_free(&w);

	/* empty list, unknown keys ignored */
	struct net z = { 0 };
	assert_int_equal(napi_from_json("{\"napi\":[],\"version\":2}", &z, &e), 0);
	assert_true(z.napi_available);
	assert_int_equal(z.nnapi, 0);
	assert_int_equal(napi_from_json("{\"napi\":[{\"id\":7,\"threaded\":1}]}", &z, &e), 0);
	assert_int_equal(z.nnapi, 1);
	assert_int_equal(z.napi[0].irq, -1);
	assert_int_equal(z.napi[0].ifindex, -1);
	assert_int_equal(z.napi[0].defer_hard_irqs, NA_S64);
	net_free(&z);
}

static void expect_reject(const char *text, const char *why_part)
{
	struct napi_inst *keep = calloc(1, sizeof(*keep));
	assert_non_null(keep);
	struct net n = { .napi_available = true, .nnapi = 1, .napi = keep };
	struct parse_error e;
	memset(&e, 0, sizeof(e));
	if (napi_from_json(text, &n, &e) != -EINVAL) {
		net_free(&n);
		fail_msg("accepted: %s", text ? text : "(null)");
	}
	assert_true(e.msg[0] != '\0');
	assert_string_equal(e.file, NAPI_SNAPSHOT_PATH);
	if (why_part && !strstr(e.msg, why_part))
		fail_msg("'%s': message '%s' lacks '%s'", text, e.msg, why_part);
	/* a rejected text leaves the struct alone */
	assert_ptr_equal(n.napi, keep);
	assert_int_equal(n.nnapi, 1);
	assert_true(n.napi_available);
	net_free(&n);
}

static void json_garbage(void **state)
{
	expect_reject(NULL, NULL);
	expect_reject("", NULL);
	expect_reject("   \n", NULL);
	expect_reject("{", NULL);
	expect_reject("nul", NULL);
	expect_reject("[]", "napi");
	expect_reject("null", "napi");
	expect_reject("42", "napi");
	expect_reject("{}", "napi");
	expect_reject("{\"napi\":5}", "not an array");
	expect_reject("{\"napi\":{}}", "not an array");
	expect_reject("{\"napi\":[1]}", "napi[0]");
	expect_reject("{\"napi\":[{}]}", "no id");
	expect_reject("{\"napi\":[{\"ifindex\":2}]}", "no id");
	expect_reject("{\"napi\":[{\"id\":-1}]}", "napi[0].id");
	expect_reject("{\"napi\":[{\"id\":\"8193\"}]}", "napi[0].id");
	expect_reject("{\"napi\":[{\"id\":4294967296}]}", "napi[0].id");
	expect_reject("{\"napi\":[{\"id\":1.5}]}", "napi[0].id");
	expect_reject("{\"napi\":[{\"id\":1},{\"id\":2,\"irq\":true}]}", "napi[1].irq");
	expect_reject("{\"napi\":[{\"id\":1,\"pid\":-5}]}", "napi[0].pid");
	expect_reject("{\"napi\":[{\"id\":1,\"ifindex\":2147483648}]}", "ifindex");
	expect_reject("{\"napi\":[{\"id\":1,\"gro_flush_timeout_ns\":-1}]}", "gro_flush");
	expect_reject("{\"napi\":[{\"id\":1,\"defer_hard_irqs\":[]}]}", "defer");
	expect_reject("{\"napi\":[{\"id\":1,\"ifname\":5}]}", "ifname");
	expect_reject("{\"napi\":[{\"id\":1,\"ifname\":\"0123456789012345678901234567890123\"}]}",
		      "ifname");
	expect_reject("{\"napi\":[]} trailing", "after");
	expect_reject("{\"napi\":[]}{\"napi\":[]}", "after");

	/* a syntax error names its line */
	struct net n = { 0 };
	struct parse_error e;
	memset(&e, 0, sizeof(e));
	assert_int_equal(napi_from_json("{\n\"napi\": [\n{\"id\": 1,,}\n]}", &n, &e), -EINVAL);
	assert_int_equal(e.line, 3);

	/* deep nesting */
	char deep[4096];
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	expect_reject(deep, NULL);
}

/* Random bytes and mutations of a valid document never crash; when one is
 * accepted it is a valid NAPI list. */
static void json_fuzz(void **state)
{
	const char *good = "{\"napi\":[{\"id\":8193,\"ifindex\":2,\"ifname\":\"ens1f0\","
			   "\"irq\":121,\"pid\":null,\"defer_hard_irqs\":2,"
			   "\"gro_flush_timeout_ns\":200000,\"irq_suspend_timeout_ns\":0}]}";
	unsigned seed = 12345;
	size_t accepted = 0;
	for (int it = 0; it < 4000; it++) {
		char buf[256];
		size_t len = strlen(good);
		memcpy(buf, good, len + 1);
		seed = seed * 1103515245u + 12345u;
		if (it % 2) {
			int flips = 1 + (int)(seed >> 16) % 4;
			for (int k = 0; k < flips; k++) {
				seed = seed * 1103515245u + 12345u;
				buf[(seed >> 8) % len] = (char)(1 + (seed >> 20) % 255);
			}
		} else {
			len = (seed >> 16) % (sizeof(buf) - 1);
			for (size_t k = 0; k < len; k++) {
				seed = seed * 1103515245u + 12345u;
				buf[k] = "{}[]\":,0123456789-.e nultrfasx\n\\"[(seed >> 16) % 33];
			}
			buf[len] = '\0';
		}
		struct net n = { 0 };
		struct parse_error e;
		memset(&e, 0, sizeof(e));
		int rc = napi_from_json(buf, &n, &e);
		if (rc == 0) {
			accepted++;
			for (size_t k = 0; k < n.nnapi; k++)
				assert_true(n.napi[k].irq >= -1 && n.napi[k].pid >= -1);
		} else {
			assert_int_equal(rc, -EINVAL);
			assert_true(e.msg[0] != '\0');
		}
		net_free(&n);
	}
	assert_true(accepted > 0); /* some mutations only touch a value */
}

static void snapshot_bad_napi_file(void **state)
{
	char *root = tree_new("net");
	tree_put(root, "agentune/napi.json", "{\"napi\":[{\"id\":\"x\"}]}\n");
	tree_put(root, "proc/sys/net/core/netdev_budget", "600\n");
	tree_put(root, "proc/sys/net/core/busy_poll", "garbage\n");
	struct host h;
	struct net n;
	read_tree(root, &h, &n);
	assert_false(n.available); /* no /sys/class/net */
	assert_int_equal(n.n, 0);
	assert_int_equal(n.netdev_budget, 600);
	assert_int_equal(n.busy_poll, NA_S64);
	assert_false(n.napi_available);
	assert_non_null(strstr(n.napi_why, NAPI_SNAPSHOT_PATH));
	assert_non_null(strstr(n.napi_why, "napi[0].id"));
	net_free(&n);
	host_close(&h);
	tree_free(root);
}

/* A recorded read of a tree, saved with its NAPI dump, reads back the same. */
static void snapshot_round_trip(void **state)
{
	struct host h;
	struct net a, b;
	assert_int_equal(host_open(&h, FIXTURES "/nic-napi-8cpu"), 0);
	assert_int_equal(host_record_start(&h), 0);
	assert_int_equal(net_read(&h, &a), 0);
	char *text = napi_to_json(&a);
	assert_non_null(text);
	char *dir = tree_new("netsnap");
	assert_int_equal(host_record_add(&h, NAPI_SNAPSHOT_PATH, text, strlen(text)), 0);
	free(text);
	const char *failed = NULL;
	assert_int_equal(host_record_save(&h, dir, &failed), 0);
	host_close(&h);
	read_tree(dir, &h, &b);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		assert_string_equal(a.ifs[i].name, b.ifs[i].name);
		assert_int_equal(a.ifs[i].ifindex, b.ifs[i].ifindex);
		assert_string_equal(a.ifs[i].pci_bdf, b.ifs[i].pci_bdf);
		assert_string_equal(a.ifs[i].driver, b.ifs[i].driver);
		assert_int_equal(a.ifs[i].rx_queues, b.ifs[i].rx_queues);
		assert_int_equal(a.ifs[i].napi_defer_hard_irqs, b.ifs[i].napi_defer_hard_irqs);
		assert_int_equal(a.ifs[i].is_virtual, b.ifs[i].is_virtual);
	}
	assert_string_equal(must_if(&b, "ens1f0")->driver, "ice");
	assert_int_equal(b.netdev_budget_usecs, 2000);
	assert_true(b.napi_available);
	assert_int_equal(b.nnapi, 8);
	assert_int_equal(b.napi[7].irq, 128);
	net_free(&a);
	net_free(&b);
	host_close(&h);
	tree_free(dir);
}

/* ---------- this machine ---------- */

static void live_machine(void **state)
{
	struct host h;
	struct net n;
	read_tree("/", &h, &n);
	assert_true(n.available);
	const struct net_if *lo = net_if_by_name(&n, "lo");
	if (lo) {
		assert_true(lo->is_virtual);
		assert_int_equal(lo->ifindex, 1);
	}
	assert_true(n.netdev_budget > 0);
	assert_true(n.netdev_budget_usecs > 0);
	/* The interface backed by a PCI function, as sysfs says without the
	 * library: its address and driver are what the reader found. */
	char ifname[64], bdf[64];
	const struct net_if *eth = NULL;
	if (pci_nic_find(ifname, sizeof(ifname), bdf, sizeof(bdf))) {
		eth = net_if_by_name(&n, ifname);
		assert_non_null(eth);
		assert_string_equal(eth->pci_bdf, bdf);
		char link[128], drv[PATH_MAX];
		snprintf(link, sizeof(link), "/sys/class/net/%s/device/driver", ifname);
		ssize_t len = readlink(link, drv, sizeof(drv) - 1);
		if (len > 0) {
			drv[len] = '\0';
			assert_string_equal(eth->driver, strrchr(drv, '/') ? strrchr(drv, '/') + 1 : drv);
		}
		assert_false(eth->is_virtual);
		assert_true(eth->rx_queues >= 1);
	}
	if (!n.napi_available) {
		assert_true(n.napi_why[0] != '\0');
		skip_reason("live NAPI dump unavailable (netdev generic netlink family): %s",
			    n.napi_why);
		net_free(&n);
		host_close(&h);
		skip();
	}
	assert_string_equal(n.napi_why, "");
	for (size_t i = 0; i < n.nnapi; i++) {
		const struct napi_inst *p = &n.napi[i];
		assert_true(p->ifindex > 0);
		const struct net_if *f = NULL;
		for (size_t j = 0; j < n.n; j++)
			if (n.ifs[j].ifindex == p->ifindex)
				f = &n.ifs[j];
		if (f)
			assert_string_equal(p->ifname, f->name);
		if (i)
			assert_true(n.napi[i - 1].ifindex < p->ifindex ||
				    n.napi[i - 1].id < p->id);
	}
	if (eth && eth->rx_queues) {
		bool seen = false;
		for (size_t i = 0; i < n.nnapi; i++)
			seen |= n.napi[i].ifindex == eth->ifindex;
		assert_true(seen);
	}
	/* what the live dump gives survives a snapshot */
	char *text = napi_to_json(&n);
	struct net b = { 0 };
	struct parse_error e;
	assert_int_equal(napi_from_json(text, &b, &e), 0);
	assert_int_equal(b.nnapi, n.nnapi);
	free(text);
	net_free(&b);
	net_free(&n);
	host_close(&h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(fixture_virtio),
	cmocka_unit_test(fixture_dangling_links),
	cmocka_unit_test(fixture_e810_napi),
	cmocka_unit_test(shared_node_exporter),
	cmocka_unit_test(shared_procfs),
	cmocka_unit_test(shared_knc),
	cmocka_unit_test(shared_silver_and_qemu),
	cmocka_unit_test(shared_all_invariants),
	cmocka_unit_test(json_round_trip),
	cmocka_unit_test(json_garbage),
	cmocka_unit_test(json_fuzz),
	cmocka_unit_test(snapshot_bad_napi_file),
	cmocka_unit_test(snapshot_round_trip),
	cmocka_unit_test(live_machine),
};

RUN_TESTS(tests)
