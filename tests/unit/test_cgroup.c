/* Unit tests: cgroup mode and controllers (cgroup.c). */
#include "testutil.h"

#include "inspect/cgroup.h"

static const struct cgroup_ctrl *must_ctrl(const struct cgroup_info *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->ctrl[i].name, name))
			return &c->ctrl[i];
	fail_msg("controller %s not found", name);
	return NULL;
}

static bool has_ctrl(const struct cgroup_info *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->ctrl[i].name, name))
			return true;
	return false;
}

static void read_tree(const char *root, struct host *h, struct cgroup_info *c)
{
	assert_int_equal(host_open(h, root), 0);
	assert_int_equal(cgroup_read(h, c), 0);
}

static void mode_names(void **state)
{
	assert_string_equal(cgroup_mode_name(CGROUP_NONE), "none");
	assert_string_equal(cgroup_mode_name(CGROUP_V1), "v1");
	assert_string_equal(cgroup_mode_name(CGROUP_V2), "v2");
	assert_string_equal(cgroup_mode_name(CGROUP_HYBRID), "hybrid");
}

/* Modelled on this machine: v1 controllers plus cgroup2 at .../unified. */
static void fixture_hybrid(void **state)
{
	struct host h;
	struct cgroup_info c;
	read_tree(FIXTURES "/virtio-net-2cpu", &h, &c);
	assert_true(c.available);
	assert_int_equal(c.mode, CGROUP_HYBRID);
	assert_string_equal(c.v2_mount, "/sys/fs/cgroup/unified");
	assert_int_equal(c.n, 12);
	const struct cgroup_ctrl *x = must_ctrl(&c, "cpu");
	assert_true(x->enabled);
	assert_false(x->on_v2);
	assert_string_equal(x->mount, "/sys/fs/cgroup/cpu");
	x = must_ctrl(&c, "cpuset");
	assert_false(x->on_v2);
	assert_string_equal(x->mount, "/sys/fs/cgroup/cpuset");
	x = must_ctrl(&c, "hugetlb"); /* hierarchy 0, in unified cgroup.controllers */
	assert_true(x->on_v2);
	assert_string_equal(x->mount, "/sys/fs/cgroup/unified");
	x = must_ctrl(&c, "net_cls"); /* enabled, mounted nowhere */
	assert_true(x->enabled);
	assert_false(x->on_v2);
	assert_string_equal(x->mount, "");
	assert_false(has_ctrl(&c, "systemd")); /* name=systemd is not a controller */
	cgroup_info_free(&c);
	host_close(&h);
}

static void fixture_pure_v2(void **state)
{
	struct host h;
	struct cgroup_info c;
	read_tree(FIXTURES "/nic-napi-8cpu", &h, &c);
	assert_true(c.available);
	assert_int_equal(c.mode, CGROUP_V2);
	assert_string_equal(c.v2_mount, "/sys/fs/cgroup");
	assert_int_equal(c.n, 15); /* 14 from /proc/cgroups + io */
	static const char *const v2[] = { "cpuset", "cpu", "io", "memory", "hugetlb",
					  "pids", "rdma", "misc" };
	for (size_t i = 0; i < ARRAY_SIZE(v2); i++) {
		const struct cgroup_ctrl *x = must_ctrl(&c, v2[i]);
		assert_true(x->on_v2);
		assert_true(x->enabled);
		assert_string_equal(x->mount, "/sys/fs/cgroup");
	}
	const struct cgroup_ctrl *x = must_ctrl(&c, "cpuacct");
	assert_false(x->on_v2);
	assert_string_equal(x->mount, "");
	cgroup_info_free(&c);
	host_close(&h);
}

static void scratch_v1_and_none(void **state)
{
	char *root = tree_new("cg");
	struct host h;
	struct cgroup_info c;

	/* pure v1, co-mounted cpu,cpuacct, a mount point with an escaped space,
	 * a disabled controller, and no /proc/cgroups header games */
	tree_put(root, "proc/mounts",
	    "tmpfs /sys/fs/cgroup tmpfs ro,mode=755 0 0\n"
	    "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0\n"
	    "cgroup /sys/fs/cgroup/my\\040cpuset cgroup rw,cpuset,clone_children 0 0\n"
	    "cgroup /sys/fs/cgroup/systemd cgroup rw,xattr,name=systemd 0 0\n"
	    "short line\n");
	tree_put(root, "proc/cgroups",
	    "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
	    "cpuset\t2\t1\t1\ncpu\t3\t5\t1\ncpuacct\t3\t5\t1\nmemory\t0\t1\t0\n"
	    "garbage row\n");
	read_tree(root, &h, &c);
	assert_int_equal(c.mode, CGROUP_V1);
	assert_string_equal(c.v2_mount, "");
	assert_int_equal(c.n, 4);
	assert_string_equal(must_ctrl(&c, "cpu")->mount, "/sys/fs/cgroup/cpu,cpuacct");
	assert_string_equal(must_ctrl(&c, "cpuacct")->mount, "/sys/fs/cgroup/cpu,cpuacct");
	assert_string_equal(must_ctrl(&c, "cpuset")->mount, "/sys/fs/cgroup/my cpuset");
	assert_false(must_ctrl(&c, "memory")->enabled);
	assert_false(must_ctrl(&c, "cpu")->on_v2);
	cgroup_info_free(&c);
	host_close(&h);

	/* without /proc/cgroups, v1 controllers come from the mount options */
	char p[TEST_PATH];
	tpathf(p, "%s/proc/cgroups", root);
	unlink(p);
	read_tree(root, &h, &c);
	assert_int_equal(c.mode, CGROUP_V1);
	assert_int_equal(c.n, 3);
	assert_true(must_ctrl(&c, "cpuacct")->enabled);
	cgroup_info_free(&c);
	host_close(&h);

	/* no cgroup filesystem at all */
	tree_put(root, "proc/mounts", "proc /proc proc rw 0 0\n");
	read_tree(root, &h, &c);
	assert_true(c.available);
	assert_int_equal(c.mode, CGROUP_NONE);
	assert_int_equal(c.n, 0);
	cgroup_info_free(&c);
	host_close(&h);

	/* two cgroup2 mounts: the conventional one wins; no /proc/cgroups */
	tree_put(root, "proc/mounts",
	    "cgroup2 /run/ctr/cg cgroup2 rw 0 0\ncgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n");
	tree_put(root, "sys/fs/cgroup/cgroup.controllers", "cpu memory\n");
	read_tree(root, &h, &c);
	assert_int_equal(c.mode, CGROUP_V2);
	assert_string_equal(c.v2_mount, "/sys/fs/cgroup");
	assert_int_equal(c.n, 2);
	assert_true(must_ctrl(&c, "memory")->on_v2);
	cgroup_info_free(&c);
	host_close(&h);
	tree_free(root);
}

static void shared_unavailable(void **state)
{
	struct shared_iter it;
	for (shared_first(&it); shared_next(&it);) {
		struct cgroup_info c;
		assert_int_equal(cgroup_read(&it.h, &c), 0);
		/* no capture kept /proc/mounts */
		assert_false(c.available);
		assert_non_null(strstr(c.why, "/proc/mounts"));
		assert_int_equal(c.mode, CGROUP_NONE);
		assert_int_equal(c.n, 0);
		cgroup_info_free(&c);
	}
}

static void live_machine(void **state)
{
	struct host h;
	struct cgroup_info c;
	read_tree("/", &h, &c);
	assert_true(c.available);
	for (size_t i = 0; i < c.n; i++) {
		const struct cgroup_ctrl *x = &c.ctrl[i];
		assert_true(x->name[0] != '\0');
		if (x->on_v2)
			assert_string_equal(x->mount, c.v2_mount);
	}
	if (c.mode == CGROUP_V2 || c.mode == CGROUP_HYBRID)
		assert_true(c.v2_mount[0] == '/');
	if (c.mode == CGROUP_HYBRID && has_ctrl(&c, "cpuset") &&
	    must_ctrl(&c, "cpuset")->mount[0]) {
		/* this machine: cpu and cpuset on v1, cgroup2 at .../unified */
		assert_false(must_ctrl(&c, "cpuset")->on_v2);
		assert_false(must_ctrl(&c, "cpu")->on_v2);
		assert_non_null(strstr(must_ctrl(&c, "cpu")->mount, "cpu"));
	} else {
		fprintf(stderr, "NOTE: live cgroup mode is %s, not this machine's hybrid\n",
			cgroup_mode_name(c.mode));
	}
	cgroup_info_free(&c);
	host_close(&h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(mode_names),
	cmocka_unit_test(fixture_hybrid),
	cmocka_unit_test(fixture_pure_v2),
	cmocka_unit_test(scratch_v1_and_none),
	cmocka_unit_test(shared_unavailable),
	cmocka_unit_test(live_machine),
};

RUN_TESTS(tests)
