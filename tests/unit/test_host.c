/* Unit tests: host root confinement, link-files, recording and saving. */
#include "testutil.h"

#include <fcntl.h>

static char *tmpl;

/* A small tree: a real link, a link-file, an escaping link, an absolute link. */
static int make_tree(void **state)
{
	tmpl = tree_new("host");
	tree_put(tmpl, "sys/devices/pci0000:00/0000:00:03.0/numa_node", "1\n");
	tree_put(tmpl, "sys/devices/pci0000:00/0000:00:03.0/net/eth0/mtu", "1500\n");
	tree_put(tmpl, "sys/bus/pci/devices/.keep", "");
	tree_link(tmpl, "sys/bus/pci/devices/0000:00:03.0", "../../../devices/pci0000:00/0000:00:03.0");
	tree_put(tmpl, "sys/class/net/eth0", "../../devices/pci0000:00/0000:00:03.0/net/eth0\n");
	tree_link(tmpl, "sys/class/net/evil", "../../../../../../etc");
	tree_link(tmpl, "sys/class/net/abs", "/sys/devices/pci0000:00/0000:00:03.0/net/eth0");
	tree_put(tmpl, "proc/sys/net/core/netdev_budget", "300\n");
	tree_put(tmpl, "proc/cpu10", "x");
	tree_put(tmpl, "proc/cpu2", "x");
	return 0;
}

static int remove_tree(void **state)
{
	return tree_free(tmpl);
}

static void reads_through_links_and_link_files(void **state)
{
	struct host h;
	assert_int_equal(host_open(&h, tmpl), 0);
	uint64_t v;
	assert_int_equal(host_read_u64(&h, "/sys/bus/pci/devices/0000:00:03.0/numa_node", &v), 0);
	assert_int_equal(v, 1);
	/* eth0 is a link-file (captures keep links as files). */
	assert_int_equal(host_read_u64(&h, "/sys/class/net/eth0/mtu", &v), 0);
	assert_int_equal(v, 1500);
	char out[TEST_PATH];
	assert_int_equal(host_link(&h, "/sys/class/net/eth0", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/devices/pci0000:00/0000:00:03.0/net/eth0");
	assert_int_equal(host_resolve(&h, "/sys/bus/pci/devices/0000:00:03.0", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/devices/pci0000:00/0000:00:03.0");
	host_close(&h);
}

static void escaping_link_is_not_followed(void **state)
{
	struct host h;
	assert_int_equal(host_open(&h, tmpl), 0);
	char out[TEST_PATH];
	assert_int_equal(host_resolve(&h, "/sys/class/net/evil/passwd", out, sizeof(out)), -EXDEV);
	assert_null(host_read(&h, "/sys/class/net/evil/passwd", NULL));
	assert_int_equal(errno, EXDEV);
	assert_null(host_read(&h, "/../../../../etc/passwd", NULL));
	host_close(&h);
}

static void absolute_link_resolves_inside_root(void **state)
{
	struct host h;
	assert_int_equal(host_open(&h, tmpl), 0);
	uint64_t v;
	assert_int_equal(host_read_u64(&h, "/sys/class/net/abs/mtu", &v), 0);
	assert_int_equal(v, 1500);
	host_close(&h);
}

static void list_is_natural_order(void **state)
{
	struct host h;
	struct strlist l;
	assert_int_equal(host_open(&h, tmpl), 0);
	assert_int_equal(host_list(&h, "/proc", &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0], "cpu2");
	assert_string_equal(l.v[1], "cpu10");
	assert_string_equal(l.v[2], "sys");
	strlist_free(&l);
	assert_true(host_list(&h, "/nonexistent", &l) < 0);
	host_close(&h);
}

static void read_helpers_reject_garbage(void **state)
{
	char *root = tree_new("host2");
	tree_put(root, "a", "12abc\n");
	tree_put(root, "b", "");
	tree_put(root, "c", "  -5 \n");
	struct host h;
	assert_int_equal(host_open(&h, root), 0);
	uint64_t u;
	int64_t s;
	assert_int_equal(host_read_u64(&h, "/a", &u), -EINVAL);
	assert_int_equal(host_read_u64(&h, "/b", &u), -EINVAL);
	assert_int_equal(host_read_s64(&h, "/c", &s), 0);
	assert_int_equal(s, -5);
	assert_int_equal(host_read_u64(&h, "/missing", &u), -ENOENT);
	host_close(&h);
	assert_int_equal(tree_free(root), 0);
}

static void recording_saves_what_was_read(void **state)
{
	struct host h;
	assert_int_equal(host_open(&h, tmpl), 0);
	assert_int_equal(host_record_start(&h), 0);
	uint64_t v;
	assert_int_equal(host_read_u64(&h, "/sys/bus/pci/devices/0000:00:03.0/numa_node", &v), 0);
	assert_int_equal(host_read_u64(&h, "/proc/sys/net/core/netdev_budget", &v), 0);
	assert_int_equal(host_record_add(&h, "/agentune/extra.json", "{}", 2), 0);

	char out[TEST_PATH];
	tpathf(out, "%s-snap", tmpl);
	const char *failed = NULL;
	assert_int_equal(host_record_save(&h, out, &failed), 0);
	host_close(&h);

	/* The copy reads the same through the same link. */
	assert_int_equal(host_open(&h, out), 0);
	assert_int_equal(host_read_u64(&h, "/sys/bus/pci/devices/0000:00:03.0/numa_node", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(host_read_u64(&h, "/proc/sys/net/core/netdev_budget", &v), 0);
	assert_int_equal(v, 300);
	char line[16];
	assert_int_equal(host_read_line(&h, "/agentune/extra.json", line, sizeof(line)), 0);
	assert_string_equal(line, "{}");
	/* What was not read is not copied. */
	assert_false(host_exists(&h, "/sys/class/net/eth0/mtu"));
	host_close(&h);
	assert_int_equal(tree_rm(out), 0);
}

/* A link whose target the tree lacks, as a real symbolic link (sym/) and as
 * a link-file (file/), each inside a PCI function's directory. */
static char *dangling_tree(void)
{
	char *root = tree_new("dangling");
	static const char *const kinds[] = { "sym", "file" };
	static const struct {
		const char *name, *text;
	} links[] = {
		{ "driver", "../../../bus/pci/drivers/igb" },           /* dangles */
		{ "up", "../../../../../../etc" },                      /* leaves the root */
		{ "abs", "/sys/bus/pci/drivers/ixgbe" },                /* absolute: inside */
		{ "self", "./sub/../x" },                               /* "." and ".." */
		{ "firmware_node", "../../../firmware/acpi/x" },       /* dangles */
	};
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		char rel[256];
		snprintf(rel, sizeof(rel), "%s/sys/devices/pci0000:00/0000:00:1f.6/vendor", kinds[k]);
		tree_put(root, rel, "0x8086\n");
		snprintf(rel, sizeof(rel), "%s/sys/bus/pci/devices", kinds[k]);
		tree_dir(root, rel);
		for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
			snprintf(rel, sizeof(rel), "%s/sys/devices/pci0000:00/0000:00:1f.6/%s", kinds[k],
				 links[i].name);
			/* a link-file must start with ../ or ./ to be one */
			if (k == 0)
				tree_link(root, rel, links[i].text);
			else if (links[i].text[0] == '.')
				tree_put(root, rel, links[i].text);
		}
	}
	return root;
}

/* host_link_target reads a real dangling link as it reads a link-file:
 * the link text joined to the link's directory, kept inside the root. */
static void dangling_links_read_like_link_files(void **state)
{
	char *root = dangling_tree();
	static const struct {
		const char *name;
		int rc;
		const char *want;
	} cases[] = {
		{ "driver", 0, "/sys/bus/pci/drivers/igb" },
		{ "up", -EXDEV, NULL },
		{ "self", 0, "/sys/devices/pci0000:00/0000:00:1f.6/x" },
		{ "firmware_node", 0, "/sys/firmware/acpi/x" },
		{ "vendor", -EINVAL, NULL },       /* a file, not a link */
		{ "nothing", -ENOENT, NULL },      /* no file at all */
	};
	for (int k = 0; k < 2; k++) {
		char *dir = xasprintf("%s/%s", root, k ? "file" : "sym");
		struct host h;
		assert_int_equal(host_open(&h, dir), 0);
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			char path[256], out[TEST_PATH] = "";
			snprintf(path, sizeof(path), "/sys/bus/../devices/pci0000:00/0000:00:1f.6/%s",
				 cases[i].name);
			int rc = host_link_target(&h, path, out, sizeof(out));
			if (rc != cases[i].rc)
				fprintf(stderr, "%s %s: rc %d, %s\n", k ? "link-file" : "symlink",
					cases[i].name, rc, out);
			assert_int_equal(rc, cases[i].rc);
			if (cases[i].want)
				assert_string_equal(out, cases[i].want);
			/* host_link wants the target there: it is not */
			if (cases[i].rc == 0)
				assert_int_equal(host_link(&h, path, out, sizeof(out)), -ENOENT);
		}
		/* an absolute real link stays inside the root */
		if (!k) {
			char out[TEST_PATH];
			assert_int_equal(host_link_target(&h, "/sys/devices/pci0000:00/0000:00:1f.6/abs",
							  out, sizeof(out)),
					 0);
			assert_string_equal(out, "/sys/bus/pci/drivers/ixgbe");
		}
		host_close(&h);
		free(dir);
	}
	assert_int_equal(tree_free(root), 0);
}

/* A snapshot keeps a dangling link as what it was: a symbolic link stays
 * one, a link-file a file; both read back the same. */
static void dangling_links_survive_a_snapshot(void **state)
{
	char *root = dangling_tree();
	for (int k = 0; k < 2; k++) {
		char *dir = xasprintf("%s/%s", root, k ? "file" : "sym");
		char *snap = xasprintf("%s/snap-%s", root, k ? "file" : "sym");
		const char *link = "/sys/devices/pci0000:00/0000:00:1f.6/driver";
		struct host h;
		char out[TEST_PATH];
		assert_int_equal(host_open(&h, dir), 0);
		assert_int_equal(host_record_start(&h), 0);
		assert_int_equal(host_link_target(&h, link, out, sizeof(out)), 0);
		const char *failed = NULL;
		assert_int_equal(host_record_save(&h, snap, &failed), 0);
		host_close(&h);
		char *saved = xasprintf("%s%s", snap, link);
		struct stat st;
		assert_int_equal(lstat(saved, &st), 0);
		assert_true(k ? S_ISREG(st.st_mode) : S_ISLNK(st.st_mode));
		free(saved);
		assert_int_equal(host_open(&h, snap), 0);
		assert_int_equal(host_link_target(&h, link, out, sizeof(out)), 0);
		assert_string_equal(out, "/sys/bus/pci/drivers/igb");
		host_close(&h);
		free(snap);
		free(dir);
	}
	assert_int_equal(tree_free(root), 0);
}

/* The project's fixture pair: the same links, real and as link-files. */
static void dangling_fixture_pair(void **state)
{
	static const char *const links[] = {
		"/sys/devices/pci0000:00/0000:00:03.0/driver",
		"/sys/devices/pci0000:00/0000:00:03.0/virtio2/driver",
		"/sys/devices/pci0000:00/0000:00:00.0/driver",
		"/sys/bus/pci/devices/0000:00:05.0",
		"/sys/class/net/eth1",
		"/sys/class/net/eth0",
		"/sys/class/net/eth0/device",
	};
	struct host a, b;
	OPEN_FIXTURE(&a, "dangling-symlinks-2cpu");
	OPEN_FIXTURE(&b, "dangling-linkfiles-2cpu");
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		char x[TEST_PATH] = "", y[TEST_PATH] = "";
		int rx = host_link_target(&a, links[i], x, sizeof(x));
		int ry = host_link_target(&b, links[i], y, sizeof(y));
		assert_int_equal(rx, ry);
		assert_string_equal(x, y);
		rx = host_link(&a, links[i], x, sizeof(x));
		ry = host_link(&b, links[i], y, sizeof(y));
		assert_int_equal(rx, ry);
		if (!rx)
			assert_string_equal(x, y);
	}
	char out[TEST_PATH];
	assert_int_equal(host_link_target(&a, links[0], out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/bus/pci/drivers/virtio-pci");
	assert_int_equal(host_link_target(&a, links[2], out, sizeof(out)), -EXDEV);
	assert_int_equal(host_link(&a, links[5], out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/devices/pci0000:00/0000:00:03.0/virtio2/net/eth0");
	host_close(&a);
	host_close(&b);
}

static void natural_cmp_orders_numbers(void **state)
{
	assert_true(natural_cmp("cpu2", "cpu10") < 0);
	assert_true(natural_cmp("policy10", "policy9") > 0);
	assert_int_equal(natural_cmp("eth0", "eth0"), 0);
	assert_true(natural_cmp("a", "ab") < 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(reads_through_links_and_link_files),
	cmocka_unit_test(escaping_link_is_not_followed),
	cmocka_unit_test(absolute_link_resolves_inside_root),
	cmocka_unit_test(list_is_natural_order),
	cmocka_unit_test(read_helpers_reject_garbage),
	cmocka_unit_test(recording_saves_what_was_read),
	cmocka_unit_test(dangling_links_read_like_link_files),
	cmocka_unit_test(dangling_links_survive_a_snapshot),
	cmocka_unit_test(dangling_fixture_pair),
	cmocka_unit_test(natural_cmp_orders_numbers),
};

int main(void)
{
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, make_tree, remove_tree);
}
