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
	cmocka_unit_test(natural_cmp_orders_numbers),
};

int main(void)
{
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, make_tree, remove_tree);
}
