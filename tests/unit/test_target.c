/* Unit tests: an agent named by unit or cgroup (inspect/target.c), the boot
 * configuration (tune/bootconf.c) and the wake-latency histogram of the
 * metrics export (top/top_export.c). */
#include "testutil.h"

#include <math.h>

#include "base/stats.h"
#include "inspect/target.h"
#include "top/top_export.h"
#include "tune/bootconf.h"

#define MOUNTS "cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n" \
	       "cgroup /sys/fs/cgroup/systemd cgroup rw,xattr,name=systemd 0 0\n" \
	       "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n"

/* A hybrid tree: agent.service in system.slice (v2 and name=systemd), a
 * nested slice's web.service in name=systemd only, a cpu-hierarchy group. */
static char *hybrid_tree(void)
{
	char *root = tree_new("target");

	tree_put(root, "proc/mounts", MOUNTS);
	tree_put(root, "sys/fs/cgroup/unified/cgroup.procs", "");
	tree_put(root, "sys/fs/cgroup/unified/system.slice/agent.service/cgroup.procs", "30\n7\n12\n");
	tree_put(root, "sys/fs/cgroup/systemd/system.slice/agent.service/cgroup.procs", "30\n7\n12\n");
	tree_put(root, "sys/fs/cgroup/systemd/app.slice/app-web.slice/web.service/cgroup.procs", "5\n");
	tree_put(root, "sys/fs/cgroup/cpu/batch/cgroup.procs", "");
	tree_put(root, "proc/30/cgroup", "4:cpu:/\n1:name=systemd:/system.slice/agent.service\n"
				     "0::/system.slice/agent.service/worker\n");
	tree_put(root, "proc/31/cgroup", "1:name=systemd:/user.slice/user-0.slice/session-3.scope\n0::/\n");
	tree_put(root, "proc/32/cgroup", "1:name=systemd:/\n0::/\n");
	return root;
}

static void unit_names(void **state)
{
	assert_true(target_unit_name_ok("agent.service"));
	assert_true(target_unit_name_ok("getty@tty1.service"));
	assert_true(target_unit_name_ok("session-3.scope"));
	assert_true(target_unit_name_ok("app-web.slice"));
	assert_false(target_unit_name_ok("agent"));              /* no type */
	assert_false(target_unit_name_ok("agent.socket"));       /* no cgroup */
	assert_false(target_unit_name_ok("a b.service"));
	assert_false(target_unit_name_ok("a/b.service"));
	assert_false(target_unit_name_ok("a;b.service"));
	assert_false(target_unit_name_ok(".service"));
	assert_false(target_unit_name_ok(""));
}

static void unit_found_in_v2_and_procs_sorted(void **state)
{
	char *root = hybrid_tree(), why[1024];
	struct host h;
	struct target t;
	int *pids;
	size_t n;

	assert_int_equal(host_open(&h, root), 0);
	/* "agent" means agent.service, as systemctl takes it */
	assert_int_equal(target_unit(&h, "agent", &t, why, sizeof(why)), 0);
	assert_string_equal(t.unit, "agent.service");
	assert_string_equal(t.rel, "/system.slice/agent.service");
	assert_string_equal(t.dir, "/sys/fs/cgroup/unified/system.slice/agent.service");
	assert_string_equal(t.via, "cgroup v2");
	assert_int_equal(target_pids(&h, &t, &pids, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(pids[0], 7);
	assert_int_equal(pids[1], 12);
	assert_int_equal(pids[2], 30);
	free(pids);
	host_close(&h);
	tree_free(root);
}

static void unit_in_nested_slice_found_by_search(void **state)
{
	char *root = hybrid_tree(), why[1024];
	struct host h;
	struct target t;

	assert_int_equal(host_open(&h, root), 0);
	assert_int_equal(target_unit(&h, "web.service", &t, why, sizeof(why)), 0);
	assert_string_equal(t.rel, "/app.slice/app-web.slice/web.service");
	assert_string_equal(t.via, "name=systemd");
	/* a slice by systemd's naming rule */
	assert_int_equal(target_unit(&h, "app-web.slice", &t, why, sizeof(why)), 0);
	assert_string_equal(t.rel, "/app.slice/app-web.slice");
	host_close(&h);
	tree_free(root);
}

static void unit_errors(void **state)
{
	char *root = hybrid_tree(), why[1024];
	struct host h;
	struct target t;

	assert_int_equal(host_open(&h, root), 0);
	assert_int_equal(target_unit(&h, "nosuch.service", &t, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "unit nosuch.service: no cgroup found (looked for "
				    "/sys/fs/cgroup/unified/system.slice/nosuch.service"));
	assert_int_equal(target_unit(&h, "x.socket", &t, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "'x.socket' is not a unit name"));
	host_close(&h);
	tree_free(root);
}

static void cgroup_by_path_and_by_dir(void **state)
{
	char *root = hybrid_tree(), why[1024];
	struct host h;
	struct target t;

	assert_int_equal(host_open(&h, root), 0);
	assert_int_equal(target_cgroup(&h, "/system.slice/agent.service", &t, why, sizeof(why)), 0);
	assert_string_equal(t.dir, "/sys/fs/cgroup/unified/system.slice/agent.service");
	assert_string_equal(t.unit, "agent.service");   /* a unit's cgroup */
	/* only in the cpu hierarchy: found there */
	assert_int_equal(target_cgroup(&h, "/batch", &t, why, sizeof(why)), 0);
	assert_string_equal(t.dir, "/sys/fs/cgroup/cpu/batch");
	assert_string_equal(t.unit, "");
	assert_int_equal(target_cgroup(&h, "/sys/fs/cgroup/systemd/app.slice/app-web.slice/web.service",
				       &t, why, sizeof(why)), 0);
	assert_string_equal(t.rel, "/app.slice/app-web.slice/web.service");
	assert_string_equal(t.unit, "web.service");
	assert_int_equal(target_cgroup(&h, "/a/../etc", &t, why, sizeof(why)), -EINVAL);
	assert_int_equal(target_cgroup(&h, "relative", &t, why, sizeof(why)), -EINVAL);
	assert_int_equal(target_cgroup(&h, "/nosuch", &t, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "--cgroup /nosuch: no such cgroup"));
	host_close(&h);
	tree_free(root);
}

static void pid_unit(void **state)
{
	char *root = hybrid_tree(), unit[256], rel[1024];
	struct host h;

	assert_int_equal(host_open(&h, root), 0);
	/* a sub-cgroup of the unit (delegation) belongs to the unit */
	assert_int_equal(target_pid_unit(&h, 30, unit, sizeof(unit), rel, sizeof(rel)), 1);
	assert_string_equal(unit, "agent.service");
	assert_string_equal(rel, "/system.slice/agent.service");
	/* the v2 line says "/": the name=systemd one tells */
	assert_int_equal(target_pid_unit(&h, 31, unit, sizeof(unit), rel, sizeof(rel)), 1);
	assert_string_equal(unit, "session-3.scope");
	assert_int_equal(target_pid_unit(&h, 32, unit, sizeof(unit), rel, sizeof(rel)), 0);
	assert_string_equal(unit, "");
	assert_true(target_pid_unit(&h, 99, unit, sizeof(unit), rel, sizeof(rel)) < 0);
	host_close(&h);
	tree_free(root);
}

static void bootconf_parse(void **state)
{
	char *root = tree_new("conf"), *p;
	struct bootconf c;
	struct parse_error e;
	char msg[PERR_TEXT_MAX];

	tree_put(root, "ok.conf", "# comment\nprofile = agent-latency\n[agent]\nunit = a.service\ncpus = 2-3\n");
	p = tree_path(root, "ok.conf");
	assert_int_equal(bootconf_load(p, &c, &e), 0);
	assert_string_equal(c.profile, "agent-latency");
	assert_string_equal(c.unit, "a.service");
	assert_string_equal(c.cpus, "2-3");
	free(p);
	tree_put(root, "bad.conf", "profile = x\nprofile = y\n");
	p = tree_path(root, "bad.conf");
	assert_int_equal(bootconf_load(p, &c, &e), -EINVAL);
	perr_format(&e, msg, sizeof(msg));
	assert_non_null(strstr(msg, "bad.conf line 2: profile = 'y': given twice"));
	free(p);
	tree_put(root, "sec.conf", "[pmqos]\nmode = window\n");
	p = tree_path(root, "sec.conf");
	assert_int_equal(bootconf_load(p, &c, &e), -EINVAL);
	perr_format(&e, msg, sizeof(msg));
	assert_non_null(strstr(msg, "sec.conf line 2: section [pmqos]"));
	free(p);
	tree_put(root, "unit.conf", "unit = a/b.service\n");
	p = tree_path(root, "unit.conf");
	assert_int_equal(bootconf_load(p, &c, &e), -EINVAL);
	free(p);
	tree_put(root, "bare.conf", "unit = my agent\n");   /* no type, and a space */
	p = tree_path(root, "bare.conf");
	assert_int_equal(bootconf_load(p, &c, &e), -EINVAL);
	free(p);
	tree_put(root, "bare2.conf", "unit = my-agent\n");
	p = tree_path(root, "bare2.conf");
	assert_int_equal(bootconf_load(p, &c, &e), 0);
	assert_string_equal(c.unit, "my-agent");
	free(p);
	tree_free(root);
}

/* Kernel buckets to cumulative le buckets: a value lands under the first
 * bound its bucket lies wholly below; +Inf counts all; sum near the truth. */
static void wake_histogram(void **state)
{
	static uint64_t hist[HIST_BUCKETS];
	uint64_t cum[64];
	double sum;
	const uint64_t values[] = { 800, 4000, 4000, 90000, 2000000, 3000000000ull };
	double truth = 0;

	memset(hist, 0, sizeof(hist));
	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		hist[hist_bucket(values[i])]++;
		truth += (double)values[i] / 1e9;
	}
	assert_true(top_wake_nbuckets + 1 <= ARRAY_SIZE(cum));
	top_wake_cumulative(hist, cum, &sum);
	/* bounds: 1us 2.5us 5us 10us 25us 50us 100us ... 2.5ms ... 1s */
	assert_int_equal(cum[0], 1);    /* 800 ns <= 1 us */
	assert_int_equal(cum[2], 3);    /* + two of 4 us <= 5 us */
	assert_int_equal(cum[5], 3);    /* nothing between 5 and 50 us */
	assert_int_equal(cum[6], 4);    /* 90 us <= 100 us */
	assert_int_equal(cum[10], 5);   /* 2 ms <= 2.5 ms */
	assert_int_equal(cum[top_wake_nbuckets - 1], 5);  /* 3 s is above 1 s */
	assert_int_equal(cum[top_wake_nbuckets], 6);      /* +Inf */
	for (size_t k = 1; k <= top_wake_nbuckets; k++)
		assert_true(cum[k] >= cum[k - 1]);
	assert_true(fabs(sum - truth) / truth < 0.02);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unit_names),
		cmocka_unit_test(unit_found_in_v2_and_procs_sorted),
		cmocka_unit_test(unit_in_nested_slice_found_by_search),
		cmocka_unit_test(unit_errors),
		cmocka_unit_test(cgroup_by_path_and_by_dir),
		cmocka_unit_test(pid_unit),
		cmocka_unit_test(bootconf_parse),
		cmocka_unit_test(wake_histogram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
