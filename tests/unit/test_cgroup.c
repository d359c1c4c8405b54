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

/* ---- cpu.stat (the throttling fallback of diagnose) ---------------------- */

static int cpu_stat(const char *text, struct cgroup_cpu_stat *st, struct parse_error *err)
{
	memset(err, 0, sizeof(*err));
	return cgroup_cpu_stat_parse(text, strlen(text), "/g/cpu.stat", st, err);
}

static void cpu_stat_v1_and_v2(void **state)
{
	(void)state;
	struct cgroup_cpu_stat st;
	struct parse_error err;

	/* v1: throttled_time in ns; other keys skipped */
	assert_int_equal(cpu_stat("nr_periods 40\nnr_throttled 37\nthrottled_time 3301234567\n"
				  "nr_bursts 0\nburst_time 0\n", &st, &err), 0);
	assert_false(st.v2);
	assert_int_equal(st.nr_periods, 40);
	assert_int_equal(st.nr_throttled, 37);
	assert_int_equal(st.throttled_ns, 3301234567ull);
	/* v2: throttled_usec in us, usage lines before it; no final newline */
	assert_int_equal(cpu_stat("usage_usec 99\nuser_usec 9\nsystem_usec 90\nnr_periods 4\n"
				  "nr_throttled 3\nthrottled_usec 2500", &st, &err), 0);
	assert_true(st.v2);
	assert_int_equal(st.nr_throttled, 3);
	assert_int_equal(st.throttled_ns, 2500000ull);
	/* blank lines and a CRLF-ish tail are white space */
	assert_int_equal(cpu_stat("\n  nr_throttled\t1 \r\n\nthrottled_time 5\n", &st, &err), 0);
	assert_int_equal(st.throttled_ns, 5);
}

static void cpu_stat_malformed(void **state)
{
	(void)state;
	struct cgroup_cpu_stat st;
	struct parse_error err;
	static const struct { const char *text, *msg; int line; } bad[] = {
		{ "nr_throttled 1\nthrottled_time -5\n", "throttled_time: '-5' is not a count", 2 },
		{ "nr_throttled x\nthrottled_time 5\n", "nr_throttled: 'x' is not a count", 1 },
		{ "nr_throttled\nthrottled_time 5\n", "nr_throttled: '' is not a count", 1 },
		{ "nr_throttled 1 2\nthrottled_time 5\n", "nr_throttled: '1 2' is not a count", 1 },
		{ "nr_throttled 99999999999999999999\nthrottled_time 5\n", "is not a count", 1 },
		{ "nr_throttled 1\nnr_throttled 2\nthrottled_time 5\n", "nr_throttled given twice", 2 },
		{ "nr_periods 1\nthrottled_time 5\n", "no nr_throttled", 0 },
		{ "nr_throttled 1\n", "no throttled_time (v1) or throttled_usec (v2)", 0 },
		{ "nr_throttled 1\nthrottled_time 5\nthrottled_usec 5\n", "both", 0 },
		{ "nr_throttled 1\nthrottled_usec 18446744073709552\n", "past u64", 0 },
		{ "", "no nr_throttled", 0 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cpu_stat(bad[i].text, &st, &err), -EINVAL);
		assert_string_equal(err.file, "/g/cpu.stat");
		assert_int_equal(err.line, bad[i].line);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, bad[i].msg);
	}
	/* never past len: the NUL-less tail of a longer buffer is not read */
	const char text[] = "nr_throttled 1\nthrottled_time 5XYZ";
	assert_int_equal(cgroup_cpu_stat_parse(text, strlen(text) - 3, "f", &st, &err), 0);
	assert_int_equal(st.throttled_ns, 5);
}

/* A process's cpu group: the v1 cpu hierarchy here, its cpu.stat parsed. */
static void cpu_dir_live(void **state)
{
	(void)state;
	struct host h;
	struct cgroup_cpu_stat st;
	struct parse_error err;
	char dir[4096], why[256], path[4200];

	assert_int_equal(host_open(&h, "/"), 0);
	if (cgroup_cpu_dir(&h, getpid(), dir, sizeof(dir), why, sizeof(why))) {
		host_close(&h);
		skip_because("%s", why);
		return;
	}
	snprintf(path, sizeof(path), "%s/cpu.stat", dir);
	assert_true(host_exists(&h, path));
	memset(&err, 0, sizeof(err));
	assert_int_equal(cgroup_cpu_stat_read(&h, dir, &st, &err), 0);
	assert_int_equal(cgroup_cpu_dir(&h, 4194304, dir, sizeof(dir), why, sizeof(why)), -ENOENT);
	assert_true(strstr(why, "/proc/4194304/cgroup") != NULL);
	host_close(&h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(mode_names),
	cmocka_unit_test(fixture_hybrid),
	cmocka_unit_test(fixture_pure_v2),
	cmocka_unit_test(scratch_v1_and_none),
	cmocka_unit_test(shared_unavailable),
	cmocka_unit_test(live_machine),
	cmocka_unit_test(cpu_stat_v1_and_v2),
	cmocka_unit_test(cpu_stat_malformed),
	cmocka_unit_test(cpu_dir_live),
};

RUN_TESTS(tests)
