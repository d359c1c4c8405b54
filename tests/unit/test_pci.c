/* Unit tests: PCI functions from sysfs (pci.c). */
#include "testutil.h"

#include "inspect/pci.h"

/* ---------- helpers ---------- */

static const struct pci_func *must_find(const struct pci *p, const char *bdf)
{
	const struct pci_func *f = pci_find(p, bdf);
	if (!f)
		fail_msg("%s not found", bdf);
	return f;
}

static void assert_cpulist(const struct cpumask *m, const char *want)
{
	char *s = cpulist_str(m);
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void assert_vec_range(const struct pci_func *f, unsigned first, unsigned last,
			     const char *mode)
{
	assert_int_equal(f->nvec, last - first + 1);
	for (size_t i = 0; i < f->nvec; i++) {
		assert_int_equal(f->vec[i].irq, first + i);
		assert_int_equal(f->vec[i].index, (int)i);
		assert_string_equal(f->vec[i].mode, mode);
	}
}

static void read_tree(const char *root, struct host *h, struct pci *p)
{
	assert_int_equal(host_open(h, root), 0);
	assert_int_equal(pci_read(h, p), 0);
}

/* ---------- pure functions ---------- */

static void class_kinds(void **state)
{
	assert_string_equal(pci_class_kind(0x020000), "net");
	assert_string_equal(pci_class_kind(0x028000), "net");
	assert_string_equal(pci_class_kind(0x010802), "nvme");
	assert_string_equal(pci_class_kind(0x010601), "storage");
	assert_string_equal(pci_class_kind(0x018000), "storage");
	assert_string_equal(pci_class_kind(0x030000), "gpu");
	assert_string_equal(pci_class_kind(0x030200), "gpu");
	assert_string_equal(pci_class_kind(0x060400), "bridge");
	assert_string_equal(pci_class_kind(0x060000), "bridge");
	assert_string_equal(pci_class_kind(0x0c0330), "other");
	assert_string_equal(pci_class_kind(0xffff00), "other");
}

static void bdf_syntax(void **state)
{
	assert_true(pci_is_bdf("0000:00:04.0"));
	assert_true(pci_is_bdf("10000:00:04.0"));
	assert_true(pci_is_bdf("0000:a2:1f.7"));
	assert_false(pci_is_bdf("0000:00:04.8"));
	assert_false(pci_is_bdf("000:00:04.0"));
	assert_false(pci_is_bdf("pci0000:00"));
	assert_false(pci_is_bdf("virtio2"));
	assert_false(pci_is_bdf("0000:00:04.0x"));
	assert_false(pci_is_bdf(""));
}

/* ---------- project trees ---------- */

static void fixture_virtio(void **state)
{
	struct host h;
	struct pci p;
	read_tree(FIXTURES "/virtio-net-2cpu", &h, &p);
	assert_true(p.available);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.func[0].bdf, "0000:00:00.0");
	assert_string_equal(p.func[2].bdf, "0000:00:03.0");

	const struct pci_func *f = must_find(&p, "0000:00:03.0");
	assert_true(f->has_ids);
	assert_int_equal(f->vendor, 0x1af4);
	assert_int_equal(f->device, 0x1041);
	assert_int_equal(f->subvendor, 0x1af4);
	assert_int_equal(f->subdevice, 0x1041);
	assert_int_equal(f->class_code, 0x020000);
	assert_non_null(strstr(f->vendor_name, "Red Hat"));
	assert_string_equal(f->device_name, "Virtio 1.0 network device");
	assert_string_equal(f->class_name, "Ethernet controller");
	assert_string_equal(pci_class_kind(f->class_code), "net");
	assert_int_equal(f->numa_node, -1);
	assert_true(f->has_local_cpus);
	assert_cpulist(&f->local_cpus, "0-1");
	assert_string_equal(f->driver, "virtio-pci");
	assert_string_equal(f->netdevs, "eth0"); /* via virtio2/net */
	assert_string_equal(f->path, "/sys/devices/pci0000:00/0000:00:03.0");
	assert_int_equal(f->legacy_irq, 0);
	assert_vec_range(f, 37, 39, "msix");

	const struct pci_vec *v;
	assert_ptr_equal(pci_by_irq(&p, 38, &v), f);
	assert_int_equal(v->index, 1);
	assert_null(pci_by_irq(&p, 26, &v));
	assert_null(v);

	f = must_find(&p, "0000:00:02.0");
	assert_string_equal(pci_class_kind(f->class_code), "storage");
	assert_string_equal(f->netdevs, ""); /* virtio1 has no net/ */
	assert_vec_range(f, 35, 36, "msix");

	f = must_find(&p, "0000:00:00.0");
	assert_string_equal(f->driver, "");
	assert_int_equal(f->nvec, 0);
	assert_string_equal(f->vendor_name, "Intel Corporation");
	assert_string_equal(f->class_name, "Host bridge");
	assert_null(pci_find(&p, "0000:00:09.0"));
	pci_free(&p);
	host_close(&h);
}

/* A capture that kept the links but not their targets, once with real
 * symbolic links and once with link-files: the same functions, the driver
 * names from the links' text, nothing followed out of the root. */
static void fixture_dangling_links(void **state)
{
	struct host ha, hb;
	struct pci a, b;
	read_tree(FIXTURES "/dangling-symlinks-2cpu", &ha, &a);
	read_tree(FIXTURES "/dangling-linkfiles-2cpu", &hb, &b);
	assert_int_equal(a.n, 3); /* 0000:00:05.0 leads nowhere: not a function */
	assert_null(pci_find(&a, "0000:00:05.0"));
	assert_string_equal(must_find(&a, "0000:00:03.0")->driver, "virtio-pci");
	assert_string_equal(must_find(&a, "0000:00:02.0")->driver, "virtio-pci");
	assert_string_equal(must_find(&a, "0000:00:00.0")->driver, ""); /* leaves the root */
	assert_string_equal(must_find(&a, "0000:00:03.0")->netdevs, "eth0");
	assert_vec_range(must_find(&a, "0000:00:03.0"), 37, 39, "msix");
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		const struct pci_func *x = &a.func[i], *y = &b.func[i];
		assert_string_equal(x->bdf, y->bdf);
		assert_string_equal(x->path, y->path);
		assert_string_equal(x->driver, y->driver);
		assert_string_equal(x->netdevs, y->netdevs);
		assert_int_equal(x->vendor, y->vendor);
		assert_int_equal(x->nvec, y->nvec);
		for (size_t k = 0; k < x->nvec; k++) {
			assert_int_equal(x->vec[k].irq, y->vec[k].irq);
			assert_string_equal(x->vec[k].mode, y->vec[k].mode);
		}
	}
	char t[TEST_PATH];
	assert_int_equal(pci_link_target(&ha, "/sys/devices/pci0000:00/0000:00:00.0/driver", t,
					 sizeof(t)),
			 -EXDEV);
	assert_int_equal(pci_link_target(&hb, "/sys/devices/pci0000:00/0000:00:00.0/driver", t,
					 sizeof(t)),
			 -EXDEV);
	pci_free(&a);
	pci_free(&b);
	host_close(&ha);
	host_close(&hb);
}

static void fixture_e810(void **state)
{
	struct host h;
	struct pci p;
	read_tree(FIXTURES "/nic-napi-8cpu", &h, &p);
	assert_int_equal(p.n, 2);
	const struct pci_func *f = must_find(&p, "0000:3b:00.0");
	assert_int_equal(f->vendor, 0x8086);
	assert_int_equal(f->device, 0x159b);
	assert_int_equal(f->subdevice, 0x0003);
	assert_string_equal(f->vendor_name, "Intel Corporation");
	assert_non_null(strstr(f->device_name, "E810"));
	assert_int_equal(f->numa_node, 0);
	assert_cpulist(&f->local_cpus, "0-7");
	assert_string_equal(f->driver, "ice");
	assert_string_equal(f->netdevs, "ens1f0");
	assert_int_equal(f->legacy_irq, 16);
	assert_vec_range(f, 120, 128, "msix");
	const struct pci_vec *v;
	assert_ptr_equal(pci_by_irq(&p, 128, &v), f);
	assert_int_equal(v->index, 8);

	f = must_find(&p, "0000:3a:00.0");
	assert_string_equal(f->driver, "pcieport");
	assert_string_equal(pci_class_kind(f->class_code), "bridge");
	assert_vec_range(f, 26, 26, "msi");
	pci_free(&p);
	host_close(&h);
}

/* Entries that are directories, old-style msi_irqs/N/mode, a function with
 * no ids, an unknown vendor, garbage values. */
static void scratch_layouts(void **state)
{
	char *root = tree_new("pci");
#define PUT(rel, s) tree_put(root, "sys/bus/pci/devices/0000:00:1f.0/" rel, s)
	PUT("vendor", "0x1234\n");
	PUT("device", "0x5678\n");
	PUT("class", "0x0c0330\n");
	PUT("numa_node", "garbage\n");
	PUT("local_cpus", "00000000,0000000f\n");
	PUT("irq", "11\n");
	PUT("msi_irqs/100/mode", "msi\n");
	PUT("msi_irqs/99/mode", "msix\n");
	PUT("msi_irqs/bogus", "msix\n");
	PUT("net/usb0/ifindex", "3\n");
	tree_put(root, "sys/bus/pci/devices/0000:00:1f.1/class", "zz\n");
	tree_put(root, "sys/bus/pci/devices/not-a-link", "hello\n");
#undef PUT
	struct host h;
	struct pci pc;
	read_tree(root, &h, &pc);
	assert_int_equal(pc.n, 2); /* the plain file is skipped */
	const struct pci_func *f = must_find(&pc, "0000:00:1f.0");
	assert_string_equal(f->path, "/sys/bus/pci/devices/0000:00:1f.0");
	assert_int_equal(f->vendor, 0x1234);
	assert_int_equal(f->numa_node, -1);
	assert_cpulist(&f->local_cpus, "0-3");
	assert_int_equal(f->legacy_irq, 11);
	assert_string_equal(f->vendor_name, "");
	assert_string_equal(f->device_name, "");
	assert_string_equal(f->class_name, "USB controller");
	assert_string_equal(f->netdevs, "usb0");
	assert_int_equal(f->nvec, 2);
	assert_int_equal(f->vec[0].irq, 99);
	assert_string_equal(f->vec[0].mode, "msix");
	assert_int_equal(f->vec[1].irq, 100);
	assert_string_equal(f->vec[1].mode, "msi");
	assert_int_equal(f->vec[1].index, 1);
	f = must_find(&pc, "0000:00:1f.1");
	assert_false(f->has_ids);
	assert_false(f->has_local_cpus);
	assert_int_equal(f->class_code, 0);
	assert_string_equal(f->vendor_name, "");
	pci_free(&pc);
	host_close(&h);
	tree_free(root);
}

static void no_pci_bus(void **state)
{
	char *root = tree_new("pci");
	struct host h;
	struct pci p;
	read_tree(root, &h, &p);
	assert_false(p.available);
	assert_non_null(strstr(p.why, "/sys/bus/pci/devices"));
	assert_int_equal(p.n, 0);
	assert_null(pci_find(&p, "0000:00:00.0"));
	pci_free(&p);
	host_close(&h);
	tree_free(root);
}

/* What pci_read reads, saved as a snapshot, reads back the same. */
static void snapshot_round_trip(void **state)
{
	static const char *const trees[] = { FIXTURES "/nic-napi-8cpu",
					     FIXTURES "/virtio-net-2cpu" };
	for (size_t t = 0; t < ARRAY_SIZE(trees); t++) {
		struct host h;
		struct pci a, b;
		assert_int_equal(host_open(&h, trees[t]), 0);
		assert_int_equal(host_record_start(&h), 0);
		assert_int_equal(pci_read(&h, &a), 0);
		char *dir = tree_new("pcisnap");
		const char *failed = NULL;
		assert_int_equal(host_record_save(&h, dir, &failed), 0);
		host_close(&h);
		read_tree(dir, &h, &b);
		assert_int_equal(a.n, b.n);
		for (size_t i = 0; i < a.n; i++) {
			const struct pci_func *x = &a.func[i], *y = &b.func[i];
			assert_string_equal(x->bdf, y->bdf);
			assert_string_equal(x->path, y->path);
			assert_int_equal(x->class_code, y->class_code);
			assert_string_equal(x->driver, y->driver);
			assert_true(x->driver[0] != '\0' || !strcmp(x->bdf, "0000:00:00.0"));
			assert_string_equal(x->netdevs, y->netdevs);
			assert_string_equal(x->device_name, y->device_name);
			assert_int_equal(x->numa_node, y->numa_node);
			assert_true(cpumask_equal(&x->local_cpus, &y->local_cpus));
			assert_int_equal(x->nvec, y->nvec);
			for (size_t k = 0; k < x->nvec; k++) {
				assert_int_equal(x->vec[k].irq, y->vec[k].irq);
				assert_string_equal(x->vec[k].mode, y->vec[k].mode);
			}
		}
		pci_free(&a);
		pci_free(&b);
		host_close(&h);
		tree_free(dir);
	}
}

/* ---------- shared captures ---------- */

static void shared_node_exporter(void **state)
{
	struct host h;
	struct pci p;
	OPEN_SHARED(&h, "node-exporter-fixtures");
	assert_int_equal(pci_read(&h, &p), 0);
	assert_int_equal(p.n, 3);
	const struct pci_func *f = must_find(&p, "0000:45:00.0");
	assert_int_equal(f->vendor, 0x8086);
	assert_int_equal(f->device, 0x1521);
	assert_string_equal(f->device_name, "I350 Gigabit Network Connection");
	assert_string_equal(f->driver, "igb"); /* link kept, drivers/ not */
	assert_int_equal(f->numa_node, 0);
	assert_cpulist(&f->local_cpus, "0-63,128-191");
	assert_int_equal(f->legacy_irq, 58);
	assert_string_equal(f->netdevs, "ens10f0");
	assert_vec_range(f, 147, 155, "msix");

	f = must_find(&p, "0000:01:00.0");
	assert_string_equal(pci_class_kind(f->class_code), "nvme");
	assert_string_equal(f->driver, "nvme");
	assert_vec_range(f, 81, 89, "msix");
	f = must_find(&p, "0000:00:02.1");
	assert_string_equal(f->driver, "pcieport");
	assert_vec_range(f, 39, 39, "msi");
	pci_free(&p);
	host_close(&h);
}

static void shared_procfs_e810(void **state)
{
	struct host h;
	struct pci p;
	OPEN_SHARED(&h, "procfs-testdata");
	assert_int_equal(pci_read(&h, &p), 0);
	const struct pci_func *f = must_find(&p, "0000:a2:00.0");
	assert_int_equal(f->vendor, 0x8086);
	assert_int_equal(f->device, 0x159b);
	assert_int_equal(f->numa_node, 1);
	assert_cpulist(&f->local_cpus, "64-127");
	assert_int_equal(f->legacy_irq, 73);
	/* its driver link climbs out of the root: never followed */
	assert_string_equal(f->driver, "");
	assert_string_equal(f->netdevs, "enp162s0f0np0");
	assert_int_equal(f->nvec, 0);
	assert_string_equal(pci_class_kind(f->class_code), "net");
	pci_free(&p);
	host_close(&h);
}

static void shared_silver_4108(void **state)
{
	struct host h;
	struct pci p;
	OPEN_SHARED(&h, "hwloc-xeon-silver-4108-2s-ve");
	assert_int_equal(pci_read(&h, &p), 0);
	assert_int_equal(p.n, 28);
	const struct pci_func *f = must_find(&p, "0000:60:00.0");
	assert_int_equal(f->device, 0x37d2);
	assert_string_equal(f->driver, "i40e");
	assert_string_equal(f->netdevs, "enp96s0f0");
	assert_cpulist(&f->local_cpus, "0-7,16-23");
	/* msi_irqs/N files holding "msix"; 52-103 and 112-158: the index is the
	 * position, not irq - first */
	assert_int_equal(f->nvec, 99);
	for (size_t i = 0; i < f->nvec; i++)
		assert_string_equal(f->vec[i].mode, "msix");
	const struct pci_vec *v;
	assert_ptr_equal(pci_by_irq(&p, 112, &v), f);
	assert_int_equal(v->index, 52);
	assert_int_equal(f->vec[51].irq, 103);
	assert_int_equal(f->vec[98].irq, 158);
	assert_null(pci_by_irq(&p, 104, NULL));
	f = must_find(&p, "0000:60:00.1");
	assert_vec_range(f, 159, 257, "msix");
	f = must_find(&p, "0000:17:00.0");
	assert_vec_range(f, 30, 30, "msi");
	f = must_find(&p, "0000:1b:00.0");
	assert_int_equal(f->vendor, 0x1bcf);
	assert_string_equal(f->driver, "ve_drv");
	assert_string_equal(pci_class_kind(f->class_code), "other");
	pci_free(&p);
	host_close(&h);
}

static void shared_knc_old_msi_dirs(void **state)
{
	struct host h;
	struct pci p;
	OPEN_SHARED(&h, "hwloc-xeon-e5-2680-2s-knc");
	assert_int_equal(pci_read(&h, &p), 0);
	assert_int_equal(p.n, 137);
	/* msi_irqs/N/mode directories (old kernel) */
	const struct pci_func *f = must_find(&p, "0000:00:04.1");
	assert_vec_range(f, 86, 86, "msix");
	assert_string_equal(f->driver, "ioatdma");
	f = must_find(&p, "0000:00:01.0");
	assert_vec_range(f, 77, 77, "msi");
	f = must_find(&p, "0000:02:00.0");
	assert_string_equal(f->driver, "igb");
	assert_string_equal(f->netdevs, "eth0");
	assert_vec_range(f, 101, 109, "msix");
	f = must_find(&p, "0000:82:00.0");
	assert_string_equal(f->driver, "mlx4_core");
	assert_string_equal(f->netdevs, "ib0");
	assert_int_equal(f->numa_node, 1);
	assert_cpulist(&f->local_cpus, "8-15");
	const struct pci_vec *v;
	assert_ptr_equal(pci_by_irq(&p, 109, &v), must_find(&p, "0000:02:00.0"));
	assert_int_equal(v->index, 8);
	pci_free(&p);
	host_close(&h);
}

static void shared_ghw_l5640(void **state)
{
	struct host h;
	struct pci p;
	OPEN_SHARED(&h, "ghw-xeon-l5640-2s-24cpu");
	assert_int_equal(pci_read(&h, &p), 0);
	assert_int_equal(p.n, 82);
	const struct pci_func *f = must_find(&p, "0000:05:00.1");
	assert_int_equal(f->numa_node, 1);
	assert_cpulist(&f->local_cpus, "1,3,5,7,9,11,13,15,17,19,21,23");
	assert_string_equal(f->driver, "igb");
	assert_int_equal(f->legacy_irq, 45);
	f = must_find(&p, "0000:01:00.0");
	assert_int_equal(f->vendor, 0x14e4);
	assert_string_equal(f->driver, "bnx2");
	assert_int_equal(f->numa_node, -1);
	assert_int_equal(f->subvendor, 0); /* not captured */
	assert_string_equal(p.func[p.n - 1].bdf, "0000:ff:06.3");
	pci_free(&p);
	host_close(&h);
}

static void shared_e7_4870(void **state)
{
	struct host h;
	struct pci p;
	OPEN_SHARED(&h, "hwloc-xeon-e7-4870-4s-40cpu");
	assert_int_equal(pci_read(&h, &p), 0);
	assert_int_equal(p.n, 37);
	const struct pci_func *f = must_find(&p, "0000:02:00.1");
	assert_string_equal(f->driver, "bnx2");
	assert_string_equal(f->netdevs, "eth1");
	assert_int_equal(f->legacy_irq, 44);
	f = must_find(&p, "0000:43:00.0");
	assert_string_equal(f->netdevs, "ib0");
	assert_int_equal(f->numa_node, 2);
	pci_free(&p);
	host_close(&h);
}

static void shared_qemu_domain32(void **state)
{
	struct host h;
	struct pci p;
	OPEN_SHARED(&h, "hwloc-qemu-pcidomain32bits");
	assert_int_equal(pci_read(&h, &p), 0);
	assert_int_equal(p.n, 9);
	/* 5-digit domains sort after domain 0 */
	assert_string_equal(p.func[7].bdf, "10000:00:00.0");
	assert_string_equal(p.func[8].bdf, "10000:00:04.0");
	const struct pci_func *f = must_find(&p, "10000:00:04.0");
	assert_string_equal(f->path, "/sys/devices/pci10000:00/10000:00:04.0");
	assert_int_equal(f->device, 0x1001);
	assert_string_equal(f->driver, "virtio-pci");
	assert_vec_range(f, 27, 28, "msix");
	f = must_find(&p, "0000:00:03.0");
	assert_vec_range(f, 24, 26, "msix");
	assert_string_equal(f->netdevs, ""); /* virtio0/ was not captured */
	pci_free(&p);
	host_close(&h);
}

/* Every capture: no crash, and what is there is consistent. */
static void shared_all_invariants(void **state)
{
	struct shared_iter it;
	shared_first(&it);
	assert_true(it.names.n >= 20);
	size_t with_pci = 0;
	while (shared_next(&it)) {
		char bus[TEST_PATH];
		tpathf(bus, "%s/sys/bus/pci/devices", it.root);
		struct stat st;
		bool has_bus = stat(bus, &st) == 0;
		struct pci p;
		assert_int_equal(pci_read(&it.h, &p), 0);
		assert_int_equal(p.available, has_bus);
		if (!has_bus)
			assert_true(p.why[0] != '\0');
		with_pci += has_bus;
		for (size_t j = 0; j < p.n; j++) {
			const struct pci_func *f = &p.func[j];
			assert_true(pci_is_bdf(f->bdf));
			assert_true(f->has_ids);
			assert_true(f->vendor_name[0] != '\0'); /* all are in pci.ids */
			assert_int_equal(strncmp(f->path, "/sys/", 5), 0);
			assert_true(f->numa_node >= -1);
			for (size_t k = 0; k < f->nvec; k++) {
				assert_int_equal(f->vec[k].index, (int)k);
				if (k)
					assert_true(f->vec[k].irq > f->vec[k - 1].irq);
				assert_ptr_equal(pci_by_irq(&p, f->vec[k].irq, NULL), f);
			}
			if (j)
				assert_true(strcmp(p.func[j - 1].bdf, f->bdf) != 0);
			assert_ptr_equal(pci_find(&p, f->bdf), f);
		}
		pci_free(&p);
	}
	assert_int_equal(with_pci, 7);
}

/* ---------- this machine ---------- */

/* The NIC's PCI function (wherever it sits, whatever its IRQ numbers) as
 * sysfs says without the library: its MSI-X vectors, driver, vendor. */
static void live_machine(void **state)
{
	char ifname[64], bdf[64], p_[128], vendor[32] = "", drv[PATH_MAX];
	unsigned irq[256];
	size_t nirq;
	need_pci_nic(ifname, sizeof(ifname), bdf, sizeof(bdf));
	need_msix(bdf, irq, ARRAY_SIZE(irq), &nirq);
	struct host h;
	struct pci p;
	read_tree("/", &h, &p);
	assert_true(p.available);
	const struct pci_func *f = pci_find(&p, bdf);
	assert_non_null(f);
	assert_string_equal(pci_class_kind(f->class_code), "net");
	assert_non_null(strstr(f->netdevs, ifname));
	snprintf(p_, sizeof(p_), "/sys/bus/pci/devices/%s/vendor", bdf);
	assert_true(read_first_line(p_, vendor, sizeof(vendor)));
	assert_int_equal(f->vendor, strtoul(vendor, NULL, 16));
	if (f->vendor == 0x1af4) /* virtio */
		assert_non_null(strstr(f->vendor_name, "Red Hat"));
	snprintf(p_, sizeof(p_), "/sys/bus/pci/devices/%s/driver", bdf);
	ssize_t len = readlink(p_, drv, sizeof(drv) - 1);
	assert_true(len > 0);
	drv[len] = '\0';
	assert_string_equal(f->driver, strrchr(drv, '/') + 1);
	assert_int_equal(f->nvec, nirq);
	for (size_t i = 0; i < nirq; i++) {
		assert_int_equal(f->vec[i].irq, irq[i]);
		assert_int_equal(f->vec[i].index, (int)i);
		assert_string_equal(f->vec[i].mode, "msix");
	}
	assert_true(f->has_local_cpus);
	pci_free(&p);
	host_close(&h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(class_kinds),
	cmocka_unit_test(bdf_syntax),
	cmocka_unit_test(fixture_virtio),
	cmocka_unit_test(fixture_dangling_links),
	cmocka_unit_test(fixture_e810),
	cmocka_unit_test(scratch_layouts),
	cmocka_unit_test(no_pci_bus),
	cmocka_unit_test(snapshot_round_trip),
	cmocka_unit_test(shared_node_exporter),
	cmocka_unit_test(shared_procfs_e810),
	cmocka_unit_test(shared_silver_4108),
	cmocka_unit_test(shared_knc_old_msi_dirs),
	cmocka_unit_test(shared_ghw_l5640),
	cmocka_unit_test(shared_e7_4870),
	cmocka_unit_test(shared_qemu_domain32),
	cmocka_unit_test(shared_all_invariants),
	cmocka_unit_test(live_machine),
};

RUN_TESTS(tests)
