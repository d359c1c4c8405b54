/* Unit tests: knob drivers (knob.c) and the NAPI netlink get/set
 * (napi_netlink.c).  Writable scratch trees for every kind; the shared
 * captures and the project's trees read-only; live tests (root only) on
 * this machine's NAPI, cgroup v1 and cgroup2 hierarchies and PM QoS, each
 * restoring what it changed in its teardown. */
#include "testutil.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "inspect/cgroup.h"
#include "tune/knob.h"
#include "tune/knob_cgroup.h"
#include "tune/knob_irq.h"
#include "tune/knob_timerslack.h"
#include "inspect/procstat.h"
#include "inspect/napi_netlink.h"
#include "inspect/net.h"

/* ---------- helpers ---------- */

static char *slurp(const char *root, const char *rel)
{
	char p[TEST_PATH];
	tpathf(p, "%s/%s", root, rel);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	static char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void must_read(const struct host *h, enum knob_kind k, const char *t, const char *want)
{
	char v[KNOB_VAL_MAX];
	int rc = knob_read(h, k, t, v, sizeof(v));
	if (rc)
		fail_msg("knob_read %s %s: %d", knob_name(k), t, rc);
	assert_string_equal(v, want);
}

static void must_write(const struct host *h, enum knob_kind k, const char *t, const char *val)
{
	char why[512] = "";
	int rc = knob_write(h, k, t, val, why, sizeof(why));
	if (rc)
		fail_msg("knob_write %s %s=%s: %d %s", knob_name(k), t, val, rc, why);
}

/* Write, read back, and the read-back value is the same setting.  With a
 * tree root, the file is emptied first: a tree's regular file keeps its old
 * tail after a shorter write, a kernel file does not. */
/* Writes val, reads it back as canon (host_write replaces a tree file's
 * content, so a shorter value leaves nothing of the longer one behind). */
static void roundtrip(const struct host *h, enum knob_kind k, const char *t, const char *val,
		      const char *canon)
{
	char v[KNOB_VAL_MAX];
	must_write(h, k, t, val);
	assert_int_equal(knob_read(h, k, t, v, sizeof(v)), 0);
	assert_string_equal(v, canon);
	assert_true(knob_same(k, v, val));
}

/* ---------- names, syntax ---------- */

static void names(void **state)
{
	for (int k = 0; k < KNOB__COUNT; k++) {
		enum knob_kind back;
		assert_true(knob_from_name(knob_name((enum knob_kind)k), &back));
		assert_int_equal(back, k);
	}
	assert_string_equal(knob_name(KNOB_IRQ_AFFINITY), "irq_affinity");
	assert_string_equal(knob_name(KNOB_CGROUP_PROCS), "cgroup_procs");
	enum knob_kind k;
	assert_false(knob_from_name("irq", &k));
	assert_false(knob_from_name("", &k));
	assert_true(knob_cgroup_attr_allowed("cpu.weight"));
	assert_true(knob_cgroup_attr_allowed("cpuset.cpu_exclusive"));
	assert_false(knob_cgroup_attr_allowed("cgroup.procs"));
	assert_false(knob_cgroup_attr_allowed("memory.max"));
	assert_false(knob_cgroup_attr_allowed("cpu.weight.nice"));
}

struct kv {
	enum knob_kind k;
	const char *target, *val;
};

static const struct kv good[] = {
	{ KNOB_IRQ_AFFINITY, "38", "0-3,8" },
	{ KNOB_IRQ_AFFINITY, "0", "1" },
	{ KNOB_SYSCTL, "net.core.netdev_budget", "600" },
	{ KNOB_SYSCTL, "net.core.busy_poll", "0" },
	{ KNOB_NETDEV_ATTR, "eth0/napi_defer_hard_irqs", "2" },
	{ KNOB_NETDEV_ATTR, "enp0s31f6.1015/gro_flush_timeout", "200000" },
	{ KNOB_NAPI, "257/defer-hard-irqs", "2147483647" },
	{ KNOB_NAPI, "8193/gro-flush-timeout", "18446744073709551615" },
	{ KNOB_PMQOS, "3", "n/a" },
	{ KNOB_PMQOS, "3", "0" },
	{ KNOB_PMQOS, "127", "20" },
	{ KNOB_CPUFREQ_MIN, "policy0", "2400000" },
	{ KNOB_CGROUP_DIR, "/sys/fs/cgroup/cpu/agentune", "present" },
	{ KNOB_CGROUP_DIR, "/sys/fs/cgroup/agentune.slice/x", "absent" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/cpu/agentune/cpu.shares", "2048" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/agentune/cpu.max", "max 100000" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/agentune/cpu.max", "50000 100000" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/agentune/cpu.weight", "10000" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/agentune/cpu.uclamp.min", "12.5" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/agentune/cpu.uclamp.min", "max" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/cpuset/agentune/cpuset.cpus", "2-3" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/cpuset/agentune/cpuset.mems", "" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/cpu/agentune/cpu.cfs_quota_us", "-1" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/cpuset/agentune/cpuset.cpu_exclusive", "1" },
	{ KNOB_CGROUP_PROCS, "1234:/sys/fs/cgroup/cpu", "/agentune" },
	{ KNOB_CGROUP_PROCS, "1234:/sys/fs/cgroup", "/" },
	{ KNOB_CGROUP_PROCS, "1:/sys/fs/cgroup/cpu,cpuacct", "/system.slice/a.service" },
	{ KNOB_TIMER_SLACK, "1234/1240@98770", "1" },
	{ KNOB_TIMER_SLACK, "1/1@1", "18446744073709551615" },
};

static void valid_accepts(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		char why[256] = "";
		if (!knob_valid(good[i].k, good[i].target, good[i].val, why, sizeof(why)))
			fail_msg("rejected %s %s=%s: %s", knob_name(good[i].k), good[i].target,
				 good[i].val, why);
		assert_true(knob_valid(good[i].k, good[i].target, NULL, NULL, 0));
	}
}

static const struct kv bad[] = {
	/* targets */
	{ KNOB_IRQ_AFFINITY, "38/../../x", "1" },
	{ KNOB_IRQ_AFFINITY, "../38", "1" },
	{ KNOB_IRQ_AFFINITY, "038", "1" },
	{ KNOB_IRQ_AFFINITY, "", "1" },
	{ KNOB_IRQ_AFFINITY, "-1", "1" },
	{ KNOB_SYSCTL, "net.core.somaxconn", "1" },
	{ KNOB_SYSCTL, "net/core/netdev_budget", "1" },
	{ KNOB_SYSCTL, "net.core.netdev_budget/../../../etc", "1" },
	{ KNOB_NETDEV_ATTR, "eth0/../x", "1" },
	{ KNOB_NETDEV_ATTR, "../eth0/gro_flush_timeout", "1" },
	{ KNOB_NETDEV_ATTR, "eth0/mtu", "1" },
	{ KNOB_NETDEV_ATTR, "../gro_flush_timeout", "1" },
	{ KNOB_NETDEV_ATTR, "./gro_flush_timeout", "1" },
	{ KNOB_NETDEV_ATTR, "averyveryverylongname/gro_flush_timeout", "1" },
	{ KNOB_NETDEV_ATTR, "eth 0/gro_flush_timeout", "1" },
	{ KNOB_NAPI, "257/defer_hard_irqs", "1" },
	{ KNOB_NAPI, "0/defer-hard-irqs", "1" },
	{ KNOB_NAPI, "257", "1" },
	{ KNOB_PMQOS, "cpu3", "0" },
	{ KNOB_PMQOS, "3/../../../..", "0" },
	{ KNOB_CPUFREQ_MIN, "policy0/../..", "1" },
	{ KNOB_CPUFREQ_MIN, "policy", "1" },
	{ KNOB_CGROUP_DIR, "/sys/fs/cgroup/../../etc/passwd", "present" },
	{ KNOB_CGROUP_DIR, "/sys/fs/cgroup/cpu/../../../tmp", "present" },
	{ KNOB_CGROUP_DIR, "/sys/fs/cgroup/cpu/..", "absent" },
	{ KNOB_CGROUP_DIR, "/sys/fs/cgroup/cpu/./x", "present" },
	{ KNOB_CGROUP_DIR, "/sys/fs/cgroup/cpu//x", "present" },
	{ KNOB_CGROUP_DIR, "/sys/fs/cgroup/cpu/x/", "present" },
	{ KNOB_CGROUP_DIR, "/sys/fs/cgroup", "present" },
	{ KNOB_CGROUP_DIR, "/sys/fs/cgroupx/a", "present" },
	{ KNOB_CGROUP_DIR, "/tmp/x", "present" },
	{ KNOB_CGROUP_DIR, "sys/fs/cgroup/cpu/x", "present" },
	{ KNOB_CGROUP_DIR, "/sys/fs/cgroup/cpu/a b", "present" },
	{ KNOB_CGROUP_DIR, "/sys/fs/cgroup/cpu/cgroup.procs", "present" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/cpu/agentune/cgroup.procs", "1" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/cpu/agentune/release_agent", "/bin/sh" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/../../etc/cpu.weight", "1" },
	{ KNOB_CGROUP_ATTR, "/etc/cpu.weight", "1" },
	{ KNOB_CGROUP_PROCS, "1234", "/" },
	{ KNOB_CGROUP_PROCS, "0:/sys/fs/cgroup/cpu", "/" },
	{ KNOB_CGROUP_PROCS, "x:/sys/fs/cgroup/cpu", "/" },
	{ KNOB_CGROUP_PROCS, "1234:/sys/fs/cgroup/../../proc", "/" },
	{ KNOB_CGROUP_PROCS, "1234:/proc/1", "/" },
	/* values */
	{ KNOB_IRQ_AFFINITY, "38", "" },
	{ KNOB_IRQ_AFFINITY, "38", "0-3\n" },
	{ KNOB_IRQ_AFFINITY, "38", "0-3\nff" },
	{ KNOB_IRQ_AFFINITY, "38", "ff" },
	{ KNOB_IRQ_AFFINITY, "38", "3-1" },
	{ KNOB_SYSCTL, "net.core.netdev_budget", "-1" },
	{ KNOB_SYSCTL, "net.core.netdev_budget", "0300" },
	{ KNOB_SYSCTL, "net.core.netdev_budget", "300 " },
	{ KNOB_SYSCTL, "net.core.netdev_budget", "99999999999" },
	{ KNOB_NETDEV_ATTR, "eth0/napi_defer_hard_irqs", "2147483648" },
	{ KNOB_NAPI, "257/gro-flush-timeout", "18446744073709551616" },
	{ KNOB_PMQOS, "3", "N/A" },
	{ KNOB_PMQOS, "3", "-1" },
	{ KNOB_CPUFREQ_MIN, "policy0", "2.4GHz" },
	{ KNOB_CGROUP_DIR, "/sys/fs/cgroup/cpu/x", "yes" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/x/cpu.max", "max" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/x/cpu.max", "max 100000 1" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/x/cpu.max", "0 100000" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/x/cpu.weight", "0" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/x/cpu.weight", "10001" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/x/cpu.uclamp.min", "100.01" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/x/cpu.uclamp.min", "1.234" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/x/cpuset.cpus", "0-3\n" },
	{ KNOB_CGROUP_ATTR, "/sys/fs/cgroup/x/cpuset.cpu_exclusive", "2" },
	{ KNOB_CGROUP_PROCS, "1234:/sys/fs/cgroup/cpu", "agentune" },
	{ KNOB_CGROUP_PROCS, "1234:/sys/fs/cgroup/cpu", "/../../etc" },
	{ KNOB_CGROUP_PROCS, "1234:/sys/fs/cgroup/cpu", "/a/" },
	{ KNOB_CGROUP_PROCS, "1234:/sys/fs/cgroup/cpu", "/a\n/b" },
	{ KNOB_CGROUP_PROCS, "1234:/sys/fs/cgroup/cpu", "/a b" },
};

static void valid_rejects(void **state)
{
	assert_true(ARRAY_SIZE(bad) >= 20);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char why[256] = "";
		if (knob_valid(bad[i].k, bad[i].target, bad[i].val, why, sizeof(why)))
			fail_msg("accepted %s \"%s\" = \"%s\"", knob_name(bad[i].k), bad[i].target,
				 bad[i].val);
		assert_true(why[0] != '\0');
	}
	/* A newline in a target, an unknown kind, NULL why. */
	assert_false(knob_valid(KNOB_IRQ_AFFINITY, "38\n", NULL, NULL, 0));
	assert_false(knob_valid(KNOB__COUNT, "38", "1", NULL, 0));
	char why[256];
	assert_false(knob_valid(KNOB_CGROUP_DIR, "/sys/fs/cgroup/../../etc/passwd", "present", why,
				sizeof(why)));
	assert_non_null(strstr(why, "/sys/fs/cgroup/../../etc/passwd"));
}

static void paths(void **state)
{
	char p[TEST_PATH];
	knob_path(KNOB_IRQ_AFFINITY, "38", p, sizeof(p));
	assert_string_equal(p, "/proc/irq/38/smp_affinity_list");
	knob_path(KNOB_SYSCTL, "net.core.netdev_budget_usecs", p, sizeof(p));
	assert_string_equal(p, "/proc/sys/net/core/netdev_budget_usecs");
	knob_path(KNOB_NETDEV_ATTR, "eth0/gro_flush_timeout", p, sizeof(p));
	assert_string_equal(p, "/sys/class/net/eth0/gro_flush_timeout");
	knob_path(KNOB_PMQOS, "3", p, sizeof(p));
	assert_string_equal(p, "/sys/devices/system/cpu/cpu3/power/pm_qos_resume_latency_us");
	knob_path(KNOB_CPUFREQ_MIN, "policy12", p, sizeof(p));
	assert_string_equal(p, "/sys/devices/system/cpu/cpufreq/policy12/scaling_min_freq");
	knob_path(KNOB_CGROUP_ATTR, "/sys/fs/cgroup/a/cpu.max", p, sizeof(p));
	assert_string_equal(p, "/sys/fs/cgroup/a/cpu.max");
	knob_path(KNOB_CGROUP_DIR, "/sys/fs/cgroup/a", p, sizeof(p));
	assert_string_equal(p, "/sys/fs/cgroup/a");
	knob_path(KNOB_NAPI, "257/defer-hard-irqs", p, sizeof(p));
	assert_string_equal(p, "");
	knob_path(KNOB_CGROUP_PROCS, "1:/sys/fs/cgroup", p, sizeof(p));
	assert_string_equal(p, "");
	knob_path(KNOB_IRQ_AFFINITY, "38/../../x", p, sizeof(p));
	assert_string_equal(p, "");
}

static void same(void **state)
{
	assert_true(knob_same(KNOB_IRQ_AFFINITY, "0-3", "3,2,1,0"));
	assert_true(knob_same(KNOB_IRQ_AFFINITY, "0-1,4\n", "0,1,4"));
	assert_false(knob_same(KNOB_IRQ_AFFINITY, "0-3", "0-2"));
	assert_true(knob_same(KNOB_SYSCTL, " 300\n", "300"));
	assert_false(knob_same(KNOB_SYSCTL, "300", "3000"));
	assert_true(knob_same(KNOB_NETDEV_ATTR, "0", "00"));
	assert_true(knob_same(KNOB_NAPI, "200000\n", "200000"));
	assert_true(knob_same(KNOB_CPUFREQ_MIN, "800000", " 800000 "));
	assert_true(knob_same(KNOB_PMQOS, "n/a", "n/a\n"));
	assert_true(knob_same(KNOB_PMQOS, "0", "0"));
	assert_false(knob_same(KNOB_PMQOS, "n/a", "0"));
	assert_false(knob_same(KNOB_PMQOS, "0", "n/a"));
	assert_true(knob_same(KNOB_PMQOS, "20", "020"));
	assert_true(knob_same(KNOB_CGROUP_ATTR, "max 100000", "max  100000\n"));
	assert_false(knob_same(KNOB_CGROUP_ATTR, "max 100000", "max 50000"));
	assert_false(knob_same(KNOB_CGROUP_ATTR, "50000 100000", "max 100000"));
	assert_true(knob_same(KNOB_CGROUP_ATTR, "2048", " 2048\n"));
	assert_true(knob_same(KNOB_CGROUP_ATTR, "0-3", "0,1,2,3"));
	assert_true(knob_same(KNOB_CGROUP_ATTR, "12.5", "12.50"));
	assert_true(knob_same(KNOB_CGROUP_ATTR, "max", "100.00"));
	assert_false(knob_same(KNOB_CGROUP_ATTR, "max", "99.99"));
	assert_true(knob_same(KNOB_CGROUP_DIR, "present", "present"));
	assert_false(knob_same(KNOB_CGROUP_DIR, "present", "absent"));
	assert_true(knob_same(KNOB_CGROUP_PROCS, "/agentune", "/agentune\n"));
	assert_false(knob_same(KNOB_CGROUP_PROCS, "/agentune", "/agentune2"));
	assert_false(knob_same(KNOB_SYSCTL, NULL, "1"));
}

static void irq_errors(void **state)
{
	char why[256];
	assert_int_equal(knob_irq_error(EIO, 38, "2-3", why, sizeof(why)), -EIO);
	assert_string_equal(why, "IRQ 38 is managed by the kernel (or its chip cannot move it): "
				 "affinity unchanged (EIO)");
	assert_int_equal(knob_irq_error(-ENOSPC, 38, "2-3", why, sizeof(why)), -ENOSPC);
	assert_string_equal(why, "no free interrupt vector on the target CPUs for IRQ 38 (ENOSPC): "
				 "choose more CPUs");
	assert_int_equal(knob_irq_error(EINVAL, 24, "7", why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "CPU list 7 is not usable for IRQ 24 (EINVAL: offline or outside "
				 "the allowed CPUs)");
	assert_int_equal(knob_irq_error(-EPERM, 24, "7", why, sizeof(why)), -EPERM);
	assert_string_equal(why, "IRQ 24 is managed by the kernel: its affinity cannot be changed "
				 "from user space (EPERM)");
	assert_int_equal(knob_irq_error(EBUSY, 24, "7", why, sizeof(why)), -EBUSY);
	assert_string_equal(why, "/proc/irq/24/smp_affinity_list: Device or resource busy");
	assert_int_equal(knob_irq_error(ENOENT, 24, "7", why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "IRQ 24 no longer exists"));
}

/* ---------- file-backed kinds on scratch trees ---------- */

static void irq_tree(void **state)
{
	char *root = tree_new("knob-irq");
	tree_put(root, "proc/irq/38/smp_affinity_list", "0,1,2,3\n");
	tree_dir(root, "proc/irq/40/smp_affinity_list"); /* not writable as a file */
	struct host h;
	assert_int_equal(host_open(&h, root), 0);
	must_read(&h, KNOB_IRQ_AFFINITY, "38", "0-3");
	roundtrip(&h, KNOB_IRQ_AFFINITY, "38", "5,4", "4-5");
	assert_string_equal(slurp(root, "proc/irq/38/smp_affinity_list"), "5,4\n");
	char v[64], why[256];
	assert_int_equal(knob_read(&h, KNOB_IRQ_AFFINITY, "39", v, sizeof(v)), -ENOENT);
	assert_int_equal(knob_write(&h, KNOB_IRQ_AFFINITY, "39", "1", why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "IRQ 39 no longer exists"));
	assert_int_equal(knob_write(&h, KNOB_IRQ_AFFINITY, "40", "1", why, sizeof(why)), -EISDIR);
	assert_string_equal(why, "/proc/irq/40/smp_affinity_list: Is a directory");
	/* Invalid input never reaches a file. */
	assert_int_equal(knob_write(&h, KNOB_IRQ_AFFINITY, "38", "ff", why, sizeof(why)), -EINVAL);
	assert_int_equal(knob_read(&h, KNOB_IRQ_AFFINITY, "38/../40", v, sizeof(v)), -EINVAL);
	assert_string_equal(slurp(root, "proc/irq/38/smp_affinity_list"), "5,4\n");
	host_close(&h);
	assert_int_equal(tree_free(root), 0);
}

/* The project's tree: an mlx5 IRQ's affinity as captured. */
static void irq_fixture(void **state)
{
	struct host h;
	OPEN_FIXTURE(&h, "xeon-mlx5-nvme-96cpu");
	must_read(&h, KNOB_IRQ_AFFINITY, "219", "78");
	char v[64];
	assert_int_equal(knob_read(&h, KNOB_IRQ_AFFINITY, "1", v, sizeof(v)), -ENOENT);
	host_close(&h);
}

static void sysctl_tree(void **state)
{
	char *root = tree_new("knob-sysctl");
	tree_put(root, "proc/sys/net/core/netdev_budget", "300\n");
	tree_put(root, "proc/sys/net/core/netdev_budget_usecs", "8000\n");
	tree_put(root, "proc/sys/net/core/busy_poll", "0\n");
	tree_put(root, "proc/sys/net/core/busy_read", "0\n");
	tree_put(root, "proc/sys/net/core/somaxconn", "4096\n");
	struct host h;
	assert_int_equal(host_open(&h, root), 0);
	must_read(&h, KNOB_SYSCTL, "net.core.netdev_budget", "300");
	must_read(&h, KNOB_SYSCTL, "net.core.netdev_budget_usecs", "8000");
	roundtrip(&h, KNOB_SYSCTL, "net.core.netdev_budget", "600", "600");
	roundtrip(&h, KNOB_SYSCTL, "net.core.busy_poll", "50", "50");
	roundtrip(&h, KNOB_SYSCTL, "net.core.busy_read", "50", "50");
	char why[256];
	assert_int_equal(knob_write(&h, KNOB_SYSCTL, "net.core.somaxconn", "1", why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(slurp(root, "proc/sys/net/core/somaxconn"), "4096\n");
	host_close(&h);
	assert_int_equal(tree_free(root), 0);
}

/* /sys/class/net/X is a link to the device's directory, as on a real box
 * (eth0); captures store it as a link-file (eth1). */
static void netdev_tree(void **state)
{
	const char *dev0 = "sys/devices/pci0000:00/0000:00:03.0/virtio0/net/eth0";
	const char *dev1 = "sys/devices/pci0000:00/0000:00:04.0/net/eth1";
	char *root = tree_new("knob-netdev");
	char p[TEST_PATH];
	tpathf(p, "%s/napi_defer_hard_irqs", dev0);
	tree_put(root, p, "0\n");
	tpathf(p, "%s/gro_flush_timeout", dev0);
	tree_put(root, p, "0\n");
	tree_link(root, "sys/class/net/eth0", "../../devices/pci0000:00/0000:00:03.0/virtio0/net/eth0");
	tpathf(p, "%s/gro_flush_timeout", dev1);
	tree_put(root, p, "20000\n");
	tree_put(root, "sys/class/net/eth1", "../../devices/pci0000:00/0000:00:04.0/net/eth1");
	struct host h;
	assert_int_equal(host_open(&h, root), 0);
	must_read(&h, KNOB_NETDEV_ATTR, "eth0/napi_defer_hard_irqs", "0");
	roundtrip(&h, KNOB_NETDEV_ATTR, "eth0/napi_defer_hard_irqs", "2", "2");
	roundtrip(&h, KNOB_NETDEV_ATTR, "eth0/gro_flush_timeout", "200000", "200000");
	tpathf(p, "%s/gro_flush_timeout", dev0);
	assert_string_equal(slurp(root, p), "200000\n");
	must_read(&h, KNOB_NETDEV_ATTR, "eth1/gro_flush_timeout", "20000");
	/* Through a link-file too. */
	roundtrip(&h, KNOB_NETDEV_ATTR, "eth1/gro_flush_timeout", "400000", "400000");
	tpathf(p, "%s/gro_flush_timeout", dev1);
	assert_string_equal(slurp(root, p), "400000\n");
	char v[64];
	assert_int_equal(knob_read(&h, KNOB_NETDEV_ATTR, "eth2/gro_flush_timeout", v, sizeof(v)),
			 -ENOENT);
	host_close(&h);
	assert_int_equal(tree_free(root), 0);
}

static void pmqos_tree(void **state)
{
	char *root = tree_new("knob-pmqos");
	tree_put(root, "sys/devices/system/cpu/cpu1/power/pm_qos_resume_latency_us", "0\n");
	struct host h;
	assert_int_equal(host_open(&h, root), 0);
	must_read(&h, KNOB_PMQOS, "1", "0");
	roundtrip(&h, KNOB_PMQOS, "1", "n/a", "n/a");
	roundtrip(&h, KNOB_PMQOS, "1", "20", "20");
	char v[64];
	assert_int_equal(knob_read(&h, KNOB_PMQOS, "2", v, sizeof(v)), -ENOENT);
	host_close(&h);
	assert_int_equal(tree_free(root), 0);
}

/* A cpufreq policy with the values of a real capture (intel_cpufreq on a
 * Haswell laptop: 800 MHz to 3.8 GHz). */
static void cpufreq_tree(void **state)
{
	static const char *const files[] = { "scaling_min_freq", "scaling_max_freq",
					     "cpuinfo_min_freq", "cpuinfo_max_freq",
					     "scaling_driver", "related_cpus" };
	struct host cap;
	OPEN_SHARED(&cap, "pcp-haswell-i7-4810mq");
	char *root = tree_new("knob-cpufreq");
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char src[256], dst[256], line[128];
		snprintf(src, sizeof(src), "/sys/devices/system/cpu/cpufreq/policy0/%s", files[i]);
		assert_int_equal(host_read_line(&cap, src, line, sizeof(line)), 0);
		snprintf(dst, sizeof(dst), "sys/devices/system/cpu/cpufreq/policy0/%s", files[i]);
		strcat(line, "\n");
		tree_put(root, dst, line);
	}
	host_close(&cap);
	struct host h;
	assert_int_equal(host_open(&h, root), 0);
	must_read(&h, KNOB_CPUFREQ_MIN, "policy0", "800000");
	roundtrip(&h, KNOB_CPUFREQ_MIN, "policy0", "2400000", "2400000");
	char v[64];
	assert_int_equal(knob_read(&h, KNOB_CPUFREQ_MIN, "policy1", v, sizeof(v)), -ENOENT);
	host_close(&h);
	assert_int_equal(tree_free(root), 0);
}

/* Every capture: reads never crash, give a value knob_same accepts, and
 * named trees give their captured values. */
static void shared_reads(void **state)
{
	struct shared_iter it;
	int seen_pmqos = 0, seen_cpufreq = 0;
	for (shared_first(&it); shared_next(&it);) {
		static const struct kv reads[] = {
			{ KNOB_PMQOS, "0", NULL },
			{ KNOB_PMQOS, "1", NULL },
			{ KNOB_CPUFREQ_MIN, "policy0", NULL },
			{ KNOB_SYSCTL, "net.core.netdev_budget", NULL },
			{ KNOB_IRQ_AFFINITY, "0", NULL },
			{ KNOB_CGROUP_DIR, "/sys/fs/cgroup/cpu", NULL },
			{ KNOB_CGROUP_PROCS, "1:/sys/fs/cgroup", NULL },
		};
		for (size_t i = 0; i < ARRAY_SIZE(reads); i++) {
			char v[KNOB_VAL_MAX];
			int rc = knob_read(&it.h, reads[i].k, reads[i].target, v, sizeof(v));
			assert_true(rc <= 0);
			if (rc)
				continue;
			assert_true(knob_same(reads[i].k, v, v));
			assert_null(strchr(v, '\n'));
			if (reads[i].k == KNOB_PMQOS)
				seen_pmqos++;
			if (reads[i].k == KNOB_CPUFREQ_MIN) {
				seen_cpufreq++;
				assert_true(strspn(v, "0123456789") == strlen(v));
			}
		}
		if (!strcmp(it.name, "crm-xeon-server-112cpu-isolated")) {
			must_read(&it.h, KNOB_PMQOS, "0", "0");
			must_read(&it.h, KNOB_CPUFREQ_MIN, "policy0", "1000000");
		}
		if (!strcmp(it.name, "pcp-haswell-i7-4810mq"))
			must_read(&it.h, KNOB_CPUFREQ_MIN, "policy0", "800000");
	}
	assert_true(seen_pmqos > 0);
	assert_true(seen_cpufreq >= 5);
}

/* ---------- cgroups on scratch trees ---------- */

/* Like this machine: v1 controllers (cpu and cpuacct sharing a hierarchy,
 * reached through links), name=systemd, cgroup2 at .../unified. */
static char *hybrid_tree(void)
{
	char *root = tree_new("knob-cg1");
	tree_put(root, "proc/mounts",
		 "sysfs /sys sysfs rw 0 0\n"
		 "tmpfs /sys/fs/cgroup tmpfs ro,mode=755 0 0\n"
		 "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nsdelegate 0 0\n"
		 "cgroup /sys/fs/cgroup/systemd cgroup rw,xattr,name=systemd 0 0\n"
		 "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0\n"
		 "cgroup /sys/fs/cgroup/cpuset cgroup rw,cpuset 0 0\n");
	tree_put(root, "proc/cgroups",
		 "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
		 "cpuset\t3\t1\t1\ncpu\t2\t5\t1\ncpuacct\t2\t5\t1\nhugetlb\t0\t1\t1\n");
	tree_put(root, "sys/fs/cgroup/cpu,cpuacct/cgroup.procs", "1\n");
	tree_put(root, "sys/fs/cgroup/cpu,cpuacct/cpu.shares", "1024\n");
	tree_link(root, "sys/fs/cgroup/cpu", "cpu,cpuacct");
	tree_link(root, "sys/fs/cgroup/cpuacct", "cpu,cpuacct");
	tree_put(root, "sys/fs/cgroup/cpuset/cgroup.procs", "1\n");
	tree_put(root, "sys/fs/cgroup/cpuset/cpuset.cpus", "0-7\n");
	tree_put(root, "sys/fs/cgroup/systemd/cgroup.procs", "1\n");
	tree_put(root, "sys/fs/cgroup/unified/cgroup.controllers", "hugetlb\n");
	tree_put(root, "sys/fs/cgroup/unified/cgroup.procs", "1\n");
	const char *pc = "12:name=systemd:/user.slice/user-0.slice\n"
			 "3:cpuset:/\n"
			 "2:cpu,cpuacct:/agentune\n"
			 "0::/user.slice/user-0.slice/session-1.scope\n";
	tree_put(root, "proc/1234/cgroup", pc);
	tree_put(root, "proc/1234/task/1234/cgroup", pc);
	return root;
}

/* A pure cgroup2 host with systemd's slices. */
static char *v2_tree(void)
{
	char *root = tree_new("knob-cg2");
	tree_put(root, "proc/mounts",
		 "proc /proc proc rw 0 0\n"
		 "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0\n");
	tree_put(root, "sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
	tree_put(root, "sys/fs/cgroup/cgroup.subtree_control", "cpu cpuset memory\n");
	tree_put(root, "sys/fs/cgroup/cgroup.procs", "1\n");
	tree_put(root, "sys/fs/cgroup/system.slice/agent.service/cgroup.procs", "4321\n");
	tree_put(root, "sys/fs/cgroup/agentune/cgroup.procs", "");
	tree_put(root, "sys/fs/cgroup/agentune/cpu.weight", "100\n");
	tree_put(root, "sys/fs/cgroup/agentune/cpu.max", "max   100000\n");
	tree_put(root, "sys/fs/cgroup/agentune/cpu.uclamp.min", "0.00\n");
	tree_put(root, "sys/fs/cgroup/agentune/cpuset.cpus", " 0,1,2,3\n");
	tree_put(root, "sys/fs/cgroup/agentune/cpuset.mems", "\n");
	tree_put(root, "proc/4321/cgroup", "0::/system.slice/agent.service\n");
	tree_put(root, "proc/4321/task/4321/cgroup", "0::/system.slice/agent.service\n");
	return root;
}

static void procs_read_v1(void **state)
{
	char *root = hybrid_tree();
	struct host h;
	assert_int_equal(host_open(&h, root), 0);
	/* cpu is a link to the shared cpu,cpuacct hierarchy. */
	must_read(&h, KNOB_CGROUP_PROCS, "1234:/sys/fs/cgroup/cpu", "/agentune");
	must_read(&h, KNOB_CGROUP_PROCS, "1234:/sys/fs/cgroup/cpuacct", "/agentune");
	must_read(&h, KNOB_CGROUP_PROCS, "1234:/sys/fs/cgroup/cpu,cpuacct", "/agentune");
	must_read(&h, KNOB_CGROUP_PROCS, "1234:/sys/fs/cgroup/cpuset", "/");
	must_read(&h, KNOB_CGROUP_PROCS, "1234:/sys/fs/cgroup/unified",
		  "/user.slice/user-0.slice/session-1.scope");
	char v[KNOB_VAL_MAX];
	/* Process gone; a hierarchy without controllers; not a mount point;
	 * not a cgroup mount at all. */
	assert_int_equal(knob_read(&h, KNOB_CGROUP_PROCS, "999:/sys/fs/cgroup/cpu", v, sizeof(v)),
			 -ENOENT);
	assert_int_equal(
		knob_read(&h, KNOB_CGROUP_PROCS, "1234:/sys/fs/cgroup/systemd", v, sizeof(v)),
		-ENODEV);
	tree_dir(root, "sys/fs/cgroup/cpu,cpuacct/agentune");
	assert_int_equal(knob_read(&h, KNOB_CGROUP_PROCS, "1234:/sys/fs/cgroup/cpu/agentune", v,
				   sizeof(v)),
			 -EINVAL);
	tree_dir(root, "sys/fs/cgroup/blkio");
	assert_int_equal(
		knob_read(&h, KNOB_CGROUP_PROCS, "1234:/sys/fs/cgroup/blkio", v, sizeof(v)),
		-ENODEV);
	host_close(&h);
	assert_int_equal(tree_free(root), 0);
}

static void procs_v2(void **state)
{
	char *root = v2_tree();
	struct host h;
	assert_int_equal(host_open(&h, root), 0);
	must_read(&h, KNOB_CGROUP_PROCS, "4321:/sys/fs/cgroup", "/system.slice/agent.service");
	must_write(&h, KNOB_CGROUP_PROCS, "4321:/sys/fs/cgroup", "/agentune");
	assert_string_equal(slurp(root, "sys/fs/cgroup/agentune/cgroup.procs"), "4321");
	/* Back to the root cgroup. */
	must_write(&h, KNOB_CGROUP_PROCS, "4321:/sys/fs/cgroup", "/");
	assert_string_equal(slurp(root, "sys/fs/cgroup/cgroup.procs"), "4321");
	char v[KNOB_VAL_MAX], why[256];
	assert_int_equal(knob_write(&h, KNOB_CGROUP_PROCS, "4321:/sys/fs/cgroup", "/nope", why,
				    sizeof(why)),
			 -ENOENT);
	assert_string_equal(why, "cgroup /sys/fs/cgroup/nope does not exist");
	assert_int_equal(knob_write(&h, KNOB_CGROUP_PROCS, "999:/sys/fs/cgroup", "/agentune", why,
				    sizeof(why)),
			 -ENOENT);
	assert_string_equal(why, "process 999 no longer exists");
	assert_int_equal(knob_read(&h, KNOB_CGROUP_PROCS, "999:/sys/fs/cgroup", v, sizeof(v)),
			 -ENOENT);
	assert_int_equal(knob_write(&h, KNOB_CGROUP_PROCS, "4321:/sys/fs/cgroup/agentune", "/",
				    why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "not the mount point"));
	host_close(&h);
	assert_int_equal(tree_free(root), 0);
}

/* Issue 15 (7): a pid recorded with its start time is that process only;
 * the same pid started at another time (reused) reads as gone and is never
 * moved.  A target without a start time (an older journal) still works. */
static void procs_start_time(void **state)
{
	char *root = v2_tree();
	tree_put(root, "proc/4321/stat", STAT_LINE(4321, 555));
	struct host h;
	char v[KNOB_VAL_MAX], why[256];
	assert_int_equal(host_open(&h, root), 0);
	uint64_t start = 0;
	assert_int_equal(knob_pid_start(&h, 4321, &start), 0);
	assert_int_equal(start, 555);
	assert_int_equal(knob_pid_start(&h, 999, &start), -ENOENT);
	assert_true(knob_valid(KNOB_CGROUP_PROCS, "4321@555:/sys/fs/cgroup", "/", why, sizeof(why)));
	assert_true(knob_procs_has_start("4321@555:/sys/fs/cgroup"));
	assert_false(knob_procs_has_start("4321:/sys/fs/cgroup"));
	static const char *const badt[] = { "4321@:/sys/fs/cgroup", "4321@0:/sys/fs/cgroup",
					   "4321@x:/sys/fs/cgroup", "@5:/sys/fs/cgroup",
					   "4321@05:/sys/fs/cgroup", "4321@5@6:/sys/fs/cgroup" };
	for (size_t i = 0; i < sizeof(badt) / sizeof(badt[0]); i++)
		assert_false(knob_valid(KNOB_CGROUP_PROCS, badt[i], NULL, why, sizeof(why)));
	must_read(&h, KNOB_CGROUP_PROCS, "4321@555:/sys/fs/cgroup", "/system.slice/agent.service");
	must_read(&h, KNOB_CGROUP_PROCS, "4321:/sys/fs/cgroup", "/system.slice/agent.service");
	/* The pid now names a process started later. */
	tree_put(root, "proc/4321/stat", STAT_LINE(4321, 777));
	assert_int_equal(knob_read(&h, KNOB_CGROUP_PROCS, "4321@555:/sys/fs/cgroup", v, sizeof(v)),
			 -ENOENT);
	assert_int_equal(knob_write(&h, KNOB_CGROUP_PROCS, "4321@555:/sys/fs/cgroup", "/agentune",
				    why, sizeof(why)),
			 -ENOENT);
	assert_non_null(strstr(why, "pid 4321 now names another process (started at 777, not 555)"));
	assert_string_equal(slurp(root, "sys/fs/cgroup/agentune/cgroup.procs"), "");
	/* A zombie is gone too. */
	tree_put(root, "proc/4321/stat", "4321 (agent) Z 1 1 1 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 555 0 0\n");
	assert_int_equal(knob_read(&h, KNOB_CGROUP_PROCS, "4321@555:/sys/fs/cgroup", v, sizeof(v)),
			 -ENOENT);
	/* A line that names no cgroup the knob could write back (found by
	 * fuzz_procpid): malformed, not a value. */
	tree_put(root, "proc/4321/stat", STAT_LINE(4321, 555));
	tree_put(root, "proc/4321/cgroup", "0::/a b\n");
	assert_int_equal(knob_read(&h, KNOB_CGROUP_PROCS, "4321@555:/sys/fs/cgroup", v, sizeof(v)),
			 -EINVAL);
	tree_put(root, "proc/4321/cgroup", "0::/system.slice/agent.service\n");
	/* The right process is moved. */
	must_write(&h, KNOB_CGROUP_PROCS, "4321@555:/sys/fs/cgroup", "/agentune");
	assert_string_equal(slurp(root, "sys/fs/cgroup/agentune/cgroup.procs"), "4321");
	host_close(&h);
	assert_int_equal(tree_free(root), 0);
}

/* ---------- timer slack: one thread, checked by its start time ---------- */

/* Thread tid of pid: its task/TID/stat (start time start) and the
 * /proc/TID/timerslack_ns that holds its slack. */
static void put_thread(const char *root, int pid, int tid, const char *start, const char *slack)
{
	char p[128], line[256];
	snprintf(p, sizeof(p), "proc/%d/task/%d/stat", pid, tid);
	snprintf(line, sizeof(line), "%d (agent-c0) S 1 1 1 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 2 0 %s 0 0\n",
		 tid, start);
	tree_put(root, p, line);
	snprintf(p, sizeof(p), "proc/%d/timerslack_ns", tid);
	tree_put(root, p, slack);
}

static void timer_slack_tree(void **state)
{
	char *root = tree_new("knob-timerslack");
	put_thread(root, 4321, 4321, "555", "50000\n");
	put_thread(root, 4321, 4325, "560", "50000\n");
	struct host h;
	char v[KNOB_VAL_MAX], why[256], p[256];
	assert_int_equal(host_open(&h, root), 0);
	/* syntax: PID/TID@START, each positive; 0 is not a value */
	static const char *const badt[] = { "4321/4325", "4321@560", "/4325@560", "4321/@560",
					   "4321/4325@", "4321/4325@0", "0/4325@560", "4321/0@560",
					   "4321/04325@560", "4321/4325@560/x", "../4325@560",
					   "4321/4325@-1", "4321 /4325@560" };
	for (size_t i = 0; i < ARRAY_SIZE(badt); i++)
		if (knob_valid(KNOB_TIMER_SLACK, badt[i], NULL, why, sizeof(why)))
			fail_msg("accepted target %s", badt[i]);
	assert_non_null(strstr(why, "is not PID/TID@START"));
	static const char *const badv[] = { "0", "-1", "01", "1ns", "18446744073709551616", "" };
	for (size_t i = 0; i < ARRAY_SIZE(badv); i++)
		if (knob_valid(KNOB_TIMER_SLACK, "4321/4325@560", badv[i], why, sizeof(why)))
			fail_msg("accepted value '%s'", badv[i]);
	/* the thread's own file, not the process's */
	knob_path(KNOB_TIMER_SLACK, "4321/4325@560", p, sizeof(p));
	assert_string_equal(p, "/proc/4325/timerslack_ns");

	must_read(&h, KNOB_TIMER_SLACK, "4321/4325@560", "50000");
	roundtrip(&h, KNOB_TIMER_SLACK, "4321/4325@560", "1", "1");
	assert_string_equal(slurp(root, "proc/4325/timerslack_ns"), "1\n");
	/* the main thread untouched */
	assert_string_equal(slurp(root, "proc/4321/timerslack_ns"), "50000\n");
	roundtrip(&h, KNOB_TIMER_SLACK, "4321/4325@560", "50000", "50000");
	assert_true(knob_same(KNOB_TIMER_SLACK, "50000", " 50000\n"));
	assert_false(knob_same(KNOB_TIMER_SLACK, "1", "50000"));

	/* the tid now names a thread started later: gone, never written */
	put_thread(root, 4321, 4325, "999", "50000\n");
	assert_int_equal(knob_read(&h, KNOB_TIMER_SLACK, "4321/4325@560", v, sizeof(v)), -ENOENT);
	assert_int_equal(knob_write(&h, KNOB_TIMER_SLACK, "4321/4325@560", "1", why, sizeof(why)),
			 -ENOENT);
	assert_non_null(strstr(why, "thread 4325 of process 4321 has exited (the tid names another thread now)"));
	assert_string_equal(slurp(root, "proc/4325/timerslack_ns"), "50000\n");
	/* a zombie, and a thread of another process, are gone too */
	tree_put(root, "proc/4321/task/4325/stat",
		 "4325 (agent-c0) Z 1 1 1 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 2 0 560 0 0\n");
	assert_int_equal(knob_read(&h, KNOB_TIMER_SLACK, "4321/4325@560", v, sizeof(v)), -ENOENT);
	assert_int_equal(knob_read(&h, KNOB_TIMER_SLACK, "4000/4321@555", v, sizeof(v)), -ENOENT);
	/* exited: its task directory is gone */
	char d[TEST_PATH];
	tpathf(d, "%s/proc/4321/task/4325/stat", root);
	assert_int_equal(unlink(d), 0);
	assert_int_equal(knob_write(&h, KNOB_TIMER_SLACK, "4321/4325@560", "1", why, sizeof(why)),
			 -ENOENT);
	assert_non_null(strstr(why, "thread 4325 of process 4321 has exited"));
	host_close(&h);
	assert_int_equal(tree_free(root), 0);
}

static pid_t spawn(void);
static void kill_child(pid_t *pid);

/* Live, as root: a thread of a child gets its own slack; the process's
 * other thread keeps its own; restored exactly. */
static void timer_slack_live(void **state)
{
	need_root("writing another process's timerslack_ns (CAP_SYS_NICE)");
	pid_t pid = spawn();
	struct host h;
	struct task_list tl;
	char target[KNOB_TARGET_MAX], orig[64], other[64], why[256], p[64];
	assert_int_equal(host_open(&h, "/"), 0);
	assert_int_equal(task_list_read(&h, pid, &tl), 0);
	assert_true(tl.n >= 2);
	const struct task_stat *t = &tl.t[tl.n - 1];   /* the second thread */
	assert_int_not_equal(t->tid, pid);
	assert_int_equal(knob_timer_slack_target(pid, t->tid, t->starttime, target, sizeof(target)), 0);
	assert_int_equal(knob_read(&h, KNOB_TIMER_SLACK, target, orig, sizeof(orig)), 0);
	snprintf(p, sizeof(p), "/proc/%d/timerslack_ns", pid);
	assert_int_equal(host_read_line(&h, p, other, sizeof(other)), 0);
	roundtrip(&h, KNOB_TIMER_SLACK, target, "1", "1");
	char now[64];
	assert_int_equal(host_read_line(&h, p, now, sizeof(now)), 0);
	assert_string_equal(now, other); /* the main thread keeps its slack */
	roundtrip(&h, KNOB_TIMER_SLACK, target, orig, orig);
	/* a start time that is not the thread's: never written */
	assert_int_equal(knob_timer_slack_target(pid, t->tid, t->starttime + 1, target, sizeof(target)), 0);
	assert_int_equal(knob_write(&h, KNOB_TIMER_SLACK, target, "7", why, sizeof(why)), -ENOENT);
	snprintf(p, sizeof(p), "/proc/%d/timerslack_ns", t->tid);
	assert_int_equal(host_read_line(&h, p, now, sizeof(now)), 0);
	assert_string_equal(now, orig);
	task_list_free(&tl);
	host_close(&h);
	kill_child(&pid);
}

/* Issue 15 (10): a FIFO (or socket) at a knob path under a root: read and
 * write refuse it at once, with the path, instead of blocking. */
static void fifo_knob_refused(void **state)
{
	char *root = tree_new("knob-fifo");
	tree_put(root, "proc/sys/net/core/busy_poll", "0\n");
	char p[TEST_PATH];
	tpathf(p, "%s/proc/irq/38", root);
	tree_dir(root, "proc/irq/38");
	tpathf(p, "%s/proc/irq/38/smp_affinity_list", root);
	assert_int_equal(mkfifo(p, 0600), 0);
	struct host h;
	char v[KNOB_VAL_MAX], why[256];
	assert_int_equal(host_open(&h, root), 0);
	alarm(10); /* a regression blocks: fail instead of hanging */
	assert_int_equal(knob_read(&h, KNOB_IRQ_AFFINITY, "38", v, sizeof(v)), -ESPIPE);
	assert_int_equal(knob_write(&h, KNOB_IRQ_AFFINITY, "38", "1", why, sizeof(why)), -ESPIPE);
	assert_string_equal(why, "/proc/irq/38/smp_affinity_list: not a regular file (a FIFO, "
				 "socket or device): refused");
	size_t len;
	errno = 0;
	assert_null(host_read(&h, "/proc/irq/38/smp_affinity_list", &len));
	assert_int_equal(errno, ESPIPE);
	alarm(0);
	host_close(&h);
	assert_int_equal(tree_free(root), 0);
}

/* Issue 15 (2): a value as long as a large host prints it is read, written
 * and compared whole; one longer than KNOB_VAL_MAX is an error, never cut. */
static void long_values_whole(void **state)
{
	char *root = tree_new("knob-long");
	/* 200 sparse CPUs above 1000: 1000 bytes. */
	char list[2048] = "";
	size_t n = 0;
	for (int c = 1000; c < 1400; c += 2)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%d", n ? "," : "", c);
	assert_true(n >= 969);
	char file[2100];
	snprintf(file, sizeof(file), "%s\n", list);
	tree_put(root, "proc/irq/38/smp_affinity_list", file);
	struct host h;
	char v[KNOB_VAL_MAX], why[256];
	assert_int_equal(host_open(&h, root), 0);
	must_read(&h, KNOB_IRQ_AFFINITY, "38", list);
	must_write(&h, KNOB_IRQ_AFFINITY, "38", "1");
	must_write(&h, KNOB_IRQ_AFFINITY, "38", list);
	assert_string_equal(slurp(root, "proc/irq/38/smp_affinity_list"), file);
	/* An 8192-CPU host's longest list (pairs) fits. */
	char *pairs = malloc(KNOB_VAL_MAX);
	n = 0;
	for (int c = 0; c < 8192; c += 3)
		n += (size_t)snprintf(pairs + n, KNOB_VAL_MAX - n, "%s%d-%d", n ? "," : "", c, c + 1);
	assert_true(n > 26000 && n < KNOB_VAL_MAX);
	assert_true(knob_valid(KNOB_IRQ_AFFINITY, "38", pairs, why, sizeof(why)));
	must_write(&h, KNOB_IRQ_AFFINITY, "38", pairs);
	must_read(&h, KNOB_IRQ_AFFINITY, "38", pairs);
	assert_true(knob_same(KNOB_IRQ_AFFINITY, pairs, pairs));
	/* Longer than the bound: refused when read, not valid to write. */
	char *huge = malloc(2 * KNOB_VAL_MAX + 16);
	n = 0;
	for (int c = 0; n < KNOB_VAL_MAX + 100; c += 3)
		n += (size_t)snprintf(huge + n, 2 * KNOB_VAL_MAX - n, "%s%d-%d", n ? "," : "", c, c + 1);
	char *hf = malloc(n + 2);
	snprintf(hf, n + 2, "%s\n", huge);
	tree_put(root, "proc/irq/38/smp_affinity_list", hf);
	assert_int_equal(knob_read(&h, KNOB_IRQ_AFFINITY, "38", v, sizeof(v)), -EOVERFLOW);
	assert_false(knob_valid(KNOB_IRQ_AFFINITY, "38", huge, why, sizeof(why)));
	assert_false(knob_same(KNOB_IRQ_AFFINITY, huge, huge));
	/* A short buffer is an error too, not a start of the list. */
	tree_put(root, "proc/irq/38/smp_affinity_list", file);
	char small[64];
	assert_int_equal(knob_read(&h, KNOB_IRQ_AFFINITY, "38", small, sizeof(small)), -EOVERFLOW);
	assert_int_equal(host_read_line(&h, "/proc/irq/38/smp_affinity_list", small, sizeof(small)),
			 -EOVERFLOW);
	assert_string_equal(small, "");
	free(pairs);
	free(huge);
	free(hf);
	host_close(&h);
	assert_int_equal(tree_free(root), 0);
}

static void cgroup_dir_tree(void **state)
{
	char *root = hybrid_tree();
	struct host h;
	char why[256];
	assert_int_equal(host_open(&h, root), 0);
	const char *d = "/sys/fs/cgroup/cpu/agentune";
	must_read(&h, KNOB_CGROUP_DIR, d, "absent");
	must_write(&h, KNOB_CGROUP_DIR, d, "present");
	must_read(&h, KNOB_CGROUP_DIR, d, "present");
	/* Made in the hierarchy the link points to. */
	char p[TEST_PATH];
	tpathf(p, "%s/sys/fs/cgroup/cpu,cpuacct/agentune", root);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	must_write(&h, KNOB_CGROUP_DIR, d, "present"); /* already there: nothing to do */

	/* The process goes in, then the directory is removed with it still
	 * listed: it is moved to the parent first.  (In a tree the listing
	 * file keeps the directory from being removed; live tests remove.) */
	tree_put(root, "sys/fs/cgroup/cpu,cpuacct/agentune/cgroup.procs", "");
	must_write(&h, KNOB_CGROUP_PROCS, "1234:/sys/fs/cgroup/cpu", "/agentune");
	assert_string_equal(slurp(root, "sys/fs/cgroup/cpu,cpuacct/agentune/cgroup.procs"), "1234");
	tree_put(root, "sys/fs/cgroup/cpu,cpuacct/agentune/cgroup.procs", "1234\n1240\n");
	assert_int_equal(knob_write(&h, KNOB_CGROUP_DIR, d, "absent", why, sizeof(why)),
			 -ENOTEMPTY);
	assert_non_null(strstr(why, "still holds processes"));
	/* Each pid was written to the parent's cgroup.procs (no O_TRUNC in a
	 * tree: the last of two same-length pids is what is left). */
	assert_string_equal(slurp(root, "sys/fs/cgroup/cpu,cpuacct/cgroup.procs"), "1240");
	tpathf(p, "%s/sys/fs/cgroup/cpu,cpuacct/agentune/cgroup.procs", root);
	assert_int_equal(unlink(p), 0);
	must_write(&h, KNOB_CGROUP_DIR, d, "absent");
	must_read(&h, KNOB_CGROUP_DIR, d, "absent");
	assert_int_equal(stat(root, &st), 0);
	tpathf(p, "%s/sys/fs/cgroup/cpu,cpuacct/agentune", root);
	assert_int_not_equal(stat(p, &st), 0);
	must_write(&h, KNOB_CGROUP_DIR, d, "absent"); /* idempotent */

	/* Refused: a missing parent (no mkdir -p), a directory outside any
	 * hierarchy (the tmpfs above them), a hierarchy's root. */
	assert_int_equal(knob_write(&h, KNOB_CGROUP_DIR, "/sys/fs/cgroup/cpu/a/b", "present", why,
				    sizeof(why)),
			 -ENOENT);
	assert_string_equal(why, "parent cgroup /sys/fs/cgroup/cpu/a does not exist");
	assert_int_equal(knob_write(&h, KNOB_CGROUP_DIR, "/sys/fs/cgroup/agentune", "present", why,
				    sizeof(why)),
			 -ENODEV);
	assert_non_null(strstr(why, "not inside a mounted cgroup hierarchy"));
	assert_int_equal(knob_write(&h, KNOB_CGROUP_DIR, "/sys/fs/cgroup/cpuset", "absent", why,
				    sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "root of a cgroup hierarchy"));
	must_read(&h, KNOB_CGROUP_DIR, "/sys/fs/cgroup/cpuset", "present");

	/* cgroup2 at .../unified: an empty directory goes away. */
	must_write(&h, KNOB_CGROUP_DIR, "/sys/fs/cgroup/unified/agentune", "present");
	must_read(&h, KNOB_CGROUP_DIR, "/sys/fs/cgroup/unified/agentune", "present");
	must_write(&h, KNOB_CGROUP_DIR, "/sys/fs/cgroup/unified/agentune", "absent");
	must_read(&h, KNOB_CGROUP_DIR, "/sys/fs/cgroup/unified/agentune", "absent");
	host_close(&h);
	assert_int_equal(tree_free(root), 0);
}

static void cgroup_attr_tree(void **state)
{
	char *root = v2_tree();
	struct host h;
	assert_int_equal(host_open(&h, root), 0);
	const char *a = "/sys/fs/cgroup/agentune/";
	char t[TEST_PATH], v[KNOB_VAL_MAX], why[256];
#define T(file) (snprintf(t, sizeof(t), "%s%s", a, file), t)
	must_read(&h, KNOB_CGROUP_ATTR, T("cpu.max"), "max 100000");
	roundtrip(&h, KNOB_CGROUP_ATTR, T("cpu.max"), "50000 100000", "50000 100000");
	must_read(&h, KNOB_CGROUP_ATTR, T("cpu.weight"), "100");
	roundtrip(&h, KNOB_CGROUP_ATTR, T("cpu.weight"), "1000", "1000");
	must_read(&h, KNOB_CGROUP_ATTR, T("cpuset.cpus"), "0-3");
	roundtrip(&h, KNOB_CGROUP_ATTR, T("cpuset.cpus"), "3,2", "2-3");
	must_read(&h, KNOB_CGROUP_ATTR, T("cpuset.mems"), "");
	must_read(&h, KNOB_CGROUP_ATTR, T("cpu.uclamp.min"), "0.00");
	must_write(&h, KNOB_CGROUP_ATTR, T("cpu.uclamp.min"), "12.5");
	assert_true(knob_same(KNOB_CGROUP_ATTR, "12.50", "12.5"));
	/* A file the kernel does not have (cpu.shares is v1). */
	assert_int_equal(knob_write(&h, KNOB_CGROUP_ATTR, T("cpu.shares"), "2048", why,
				    sizeof(why)),
			 -ENOENT);
	assert_string_equal(why, "/sys/fs/cgroup/agentune/cpu.shares: No such file or directory");
	assert_int_equal(knob_read(&h, KNOB_CGROUP_ATTR, "/sys/fs/cgroup/gone/cpu.max", v,
				   sizeof(v)),
			 -ENOENT);
	assert_int_equal(knob_write(&h, KNOB_CGROUP_ATTR, T("cpu.max"), "max\n100", why,
				    sizeof(why)),
			 -EINVAL);
#undef T
	host_close(&h);
	assert_int_equal(tree_free(root), 0);
}

static void napi_not_live(void **state)
{
	char *root = tree_new("knob-napi");
	struct host h;
	char v[64], why[256];
	assert_int_equal(host_open(&h, root), 0);
	assert_int_equal(knob_read(&h, KNOB_NAPI, "257/defer-hard-irqs", v, sizeof(v)),
			 -EOPNOTSUPP);
	assert_int_equal(
		knob_write(&h, KNOB_NAPI, "257/defer-hard-irqs", "2", why, sizeof(why)),
		-EOPNOTSUPP);
	assert_string_equal(why, "NAPI settings through netlink need the live host");
	host_close(&h);
	assert_int_equal(tree_free(root), 0);
}

/* ---------- live (root) ---------- */

#define SKIP_UNLESS_ROOT() need_root("writes the live machine's settings")

struct live {
	struct host h;
	bool open;
	/* napi / pm_qos: the target and the value to restore */
	enum knob_kind k;
	char target[KNOB_TARGET_MAX];
	char old[KNOB_VAL_MAX];
	bool changed;
	/* cgroups */
	char dir[KNOB_TARGET_MAX];
	pid_t child[2];
	char subtree[300];         /* cgroup.subtree_control to write back */
	char subtree_undo[80];     /* "-hugetlb" */
};

static int live_setup(void **state)
{
	struct live *l = calloc(1, sizeof(*l));
	if (!l)
		return -1;
	*state = l;
	return 0;
}

static void kill_child(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}

static int live_teardown(void **state)
{
	struct live *l = *state;
	char why[256];
	if (l->changed && knob_write(&l->h, l->k, l->target, l->old, why, sizeof(why)))
		fprintf(stderr, "RESTORE FAILED %s %s=%s: %s\n", knob_name(l->k), l->target, l->old,
			why);
	/* A dead child leaves its cgroups, which then can be removed. */
	kill_child(&l->child[0]);
	kill_child(&l->child[1]);
	if (l->dir[0] && host_is_dir(&l->h, l->dir) && host_rmdir(&l->h, l->dir))
		fprintf(stderr, "CLEANUP FAILED: rmdir %s\n", l->dir);
	if (l->subtree_undo[0] && l->subtree[0] &&
	    host_write(&l->h, l->subtree, l->subtree_undo))
		fprintf(stderr, "RESTORE FAILED: %s < %s\n", l->subtree, l->subtree_undo);
	if (l->open)
		host_close(&l->h);
	free(l);
	return 0;
}

static void live_open(struct live *l)
{
	assert_int_equal(host_open(&l->h, "/"), 0);
	l->open = true;
	assert_true(l->h.live);
}

static void napi_live(void **state)
{
	struct live *l = *state;
	SKIP_UNLESS_ROOT();
	char nic[64], bdf[64];
	need_pci_nic(nic, sizeof(nic), bdf, sizeof(bdf));
	live_open(l);
	struct net n;
	assert_int_equal(net_read(&l->h, &n), 0);
	unsigned id = 0;
	for (size_t i = 0; n.napi_available && i < n.nnapi && !id; i++)
		if (!strcmp(n.napi[i].ifname, nic))
			id = n.napi[i].id;
	bool dump = n.napi_available;
	net_free(&n);
	if (!dump)
		skip_because("no NAPI dump: the netdev generic netlink family is unavailable");
	if (!id)
		skip_because("no NAPI instance of %s in the netdev netlink dump", nic);
	/* napi_netlink_get sees the instance; an unknown id is -ENOENT. */
	struct napi_inst ni;
	char why[256];
	assert_int_equal(napi_netlink_get(id, &ni, why, sizeof(why)), 0);
	assert_int_equal(ni.id, id);
	assert_true(ni.ifindex > 0);
	assert_int_equal(napi_netlink_get(4000000000u, &ni, why, sizeof(why)), -ENOENT);
	assert_int_equal(napi_netlink_set(4000000000u, NETDEV_A_NAPI_DEFER_HARD_IRQS, 1, why,
					  sizeof(why)),
			 -ENOENT);

	l->k = KNOB_NAPI;
	snprintf(l->target, sizeof(l->target), "%u/defer-hard-irqs", id);
	int rc = knob_read(&l->h, KNOB_NAPI, l->target, l->old, sizeof(l->old));
	if (rc == -EOPNOTSUPP)
		skip_because("kernel does not report defer-hard-irqs per NAPI");
	assert_int_equal(rc, 0);
	char want[32];
	snprintf(want, sizeof(want), "%lld", atoll(l->old) + 1);
	l->changed = true;
	roundtrip(&l->h, KNOB_NAPI, l->target, want, want);
	/* The same instance through the dump agrees. */
	assert_int_equal(napi_netlink_get(id, &ni, why, sizeof(why)), 0);
	assert_int_equal(ni.defer_hard_irqs, atoll(want));
	/* gro-flush-timeout reads as a number too. */
	char t2[64], v[64];
	snprintf(t2, sizeof(t2), "%u/gro-flush-timeout", id);
	assert_int_equal(knob_read(&l->h, KNOB_NAPI, t2, v, sizeof(v)), 0);
	assert_true(strspn(v, "0123456789") == strlen(v));
	/* Restored here as well as in the teardown, and checked. */
	must_write(&l->h, KNOB_NAPI, l->target, l->old);
	l->changed = false;
	must_read(&l->h, KNOB_NAPI, l->target, l->old);
}

static void pmqos_live(void **state)
{
	struct live *l = *state;
	SKIP_UNLESS_ROOT();
	need_pmqos(1);
	live_open(l);
	l->k = KNOB_PMQOS;
	copy_str(l->target, sizeof(l->target), "1");
	assert_int_equal(knob_read(&l->h, KNOB_PMQOS, "1", l->old, sizeof(l->old)), 0);
	const char *want = strcmp(l->old, "20") ? "20" : "25";
	l->changed = true;
	roundtrip(&l->h, KNOB_PMQOS, "1", want, want);
	must_write(&l->h, KNOB_PMQOS, "1", l->old);
	l->changed = false;
	must_read(&l->h, KNOB_PMQOS, "1", l->old);
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* A child with a second thread, so that a move has a thread group to move. */
static pid_t spawn(void)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pthread_t t;
		pthread_create(&t, NULL, sleeper, NULL);
		for (;;)
			pause();
	}
	/* Wait for the second thread. */
	char p[TEST_PATH];
	snprintf(p, sizeof(p), "/proc/%d/task", pid);
	for (int i = 0; i < 200; i++) {
		struct strlist tl;
		struct host h;
		strlist_init(&tl);
		assert_int_equal(host_open(&h, "/"), 0);
		int rc = host_list(&h, p, &tl);
		size_t n = tl.n;
		strlist_free(&tl);
		host_close(&h);
		if (rc == 0 && n >= 2)
			return pid;
		usleep(10000);
	}
	fail_msg("child %d never started its thread", pid);
	return -1;
}

/* Every thread of pid is in cgroup rel of the hierarchy of controller
 * ctrl, or of cgroup2 when ctrl is NULL, as /proc/PID/task/TID/cgroup says. */
static void threads_in(pid_t pid, const char *ctrl, const char *rel)
{
	char p[TEST_PATH];
	snprintf(p, sizeof(p), "/proc/%d/task", pid);
	DIR *d = opendir(p);
	assert_non_null(d);
	int seen = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char f[TEST_PATH], line[512];
		tpathf(f, "%s/%s/cgroup", p, e->d_name);
		FILE *fp = fopen(f, "r");
		assert_non_null(fp);
		bool found = false;
		while (fgets(line, sizeof(line), fp)) {
			char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
			assert_non_null(c2);
			*c1 = *c2 = '\0';
			char *path = c2 + 1;
			path[strcspn(path, "\n")] = '\0';
			bool match = !ctrl && !strcmp(line, "0") && c1 + 1 == c2;
			for (char *s = NULL, *t = strtok_r(c1 + 1, ",", &s); ctrl && t && !match;
			     t = strtok_r(NULL, ",", &s))
				match = !strcmp(t, ctrl);
			if (!match)
				continue;
			if (strcmp(path, rel))
				fail_msg("thread %s of %d is in %s, not %s", e->d_name, pid, path, rel);
			found = true;
		}
		fclose(fp);
		assert_true(found);
		seen++;
	}
	closedir(d);
	assert_true(seen >= 2);
}

/* Create DIR under mount, set attr (when given) in it, move a two-thread
 * child in and back out, then remove DIR with a second child still in it. */
static void cgroup_cycle(struct live *l, const char *mount, const char *ctrl, const char *attr,
			 const char *val)
{
	char rel[64], target[KNOB_TARGET_MAX], orig[KNOB_VAL_MAX], why[256];
	snprintf(rel, sizeof(rel), "/agentune-test-%d", (int)getpid());
	snprintf(l->dir, sizeof(l->dir), "%s%s", mount, rel);
	must_read(&l->h, KNOB_CGROUP_DIR, l->dir, "absent");
	must_write(&l->h, KNOB_CGROUP_DIR, l->dir, "present");
	must_read(&l->h, KNOB_CGROUP_DIR, l->dir, "present");
	if (attr) {
		char t[KNOB_TARGET_MAX + 64], v[KNOB_VAL_MAX];
		tpathf(t, "%s/%s", l->dir, attr);
		assert_int_equal(knob_read(&l->h, KNOB_CGROUP_ATTR, t, v, sizeof(v)), 0);
		assert_false(knob_same(KNOB_CGROUP_ATTR, v, val));
		roundtrip(&l->h, KNOB_CGROUP_ATTR, t, val, val);
	}

	l->child[0] = spawn();
	snprintf(target, sizeof(target), "%d:%s", (int)l->child[0], mount);
	assert_int_equal(knob_read(&l->h, KNOB_CGROUP_PROCS, target, orig, sizeof(orig)), 0);
	assert_true(orig[0] == '/');
	roundtrip(&l->h, KNOB_CGROUP_PROCS, target, rel, rel);
	threads_in(l->child[0], ctrl, rel);
	roundtrip(&l->h, KNOB_CGROUP_PROCS, target, orig, orig);
	threads_in(l->child[0], ctrl, orig);

	/* A process left in the cgroup is moved to the parent on removal. */
	l->child[1] = spawn();
	snprintf(target, sizeof(target), "%d:%s", (int)l->child[1], mount);
	must_write(&l->h, KNOB_CGROUP_PROCS, target, rel);
	must_read(&l->h, KNOB_CGROUP_PROCS, target, rel);
	int rc = knob_write(&l->h, KNOB_CGROUP_DIR, l->dir, "absent", why, sizeof(why));
	if (rc)
		fail_msg("absent: %d %s", rc, why);
	must_read(&l->h, KNOB_CGROUP_DIR, l->dir, "absent");
	must_read(&l->h, KNOB_CGROUP_PROCS, target, "/");
	threads_in(l->child[1], ctrl, "/");

	/* A process that is gone. */
	kill_child(&l->child[1]);
	char v[KNOB_VAL_MAX];
	assert_int_equal(knob_read(&l->h, KNOB_CGROUP_PROCS, target, v, sizeof(v)), -ENOENT);
	assert_int_equal(knob_write(&l->h, KNOB_CGROUP_PROCS, target, "/", why, sizeof(why)),
			 -ENOENT);
}

/* Where this machine mounts the v1 hierarchy of ctrl (or, with ctrl NULL,
 * cgroup2); false when it has none. */
static bool live_mount(struct live *l, const char *ctrl, char *mount, size_t sz)
{
	struct cgroup_info ci;
	assert_int_equal(cgroup_read(&l->h, &ci), 0);
	mount[0] = '\0';
	if (!ctrl)
		copy_str(mount, sz, ci.v2_mount);
	for (size_t i = 0; ctrl && i < ci.n; i++)
		if (!strcmp(ci.ctrl[i].name, ctrl) && ci.ctrl[i].mount[0] && !ci.ctrl[i].on_v2)
			copy_str(mount, sz, ci.ctrl[i].mount);
	cgroup_info_free(&ci);
	return mount[0] != '\0';
}

/* cgroup v1 cpu hierarchy (this machine: /sys/fs/cgroup/cpu): libcgroup. */
static void cgroup_v1_live(void **state)
{
	struct live *l = *state;
	SKIP_UNLESS_ROOT();
	live_open(l);
	char mount[256];
	need_cgroup_v1("cpu", mount, sizeof(mount));
	assert_true(live_mount(l, "cpu", mount, sizeof(mount)));
	cgroup_cycle(l, mount, "cpu", "cpu.shares", "2048");
}

/* A v1 cpuset cgroup without cpuset.cpus and cpuset.mems takes no task:
 * the move fails with a message that says why. */
static void cpuset_v1_live(void **state)
{
	struct live *l = *state;
	SKIP_UNLESS_ROOT();
	live_open(l);
	char mount[128];
	need_cgroup_v1("cpuset", mount, sizeof(mount));
	assert_true(live_mount(l, "cpuset", mount, sizeof(mount)));
	char rel[64], target[KNOB_TARGET_MAX], why[256], t[TEST_PATH];
	snprintf(rel, sizeof(rel), "/agentune-test-%d", (int)getpid());
	snprintf(l->dir, sizeof(l->dir), "%s%s", mount, rel);
	must_write(&l->h, KNOB_CGROUP_DIR, l->dir, "present");
	tpathf(t, "%s/cpuset.cpus", l->dir);
	must_read(&l->h, KNOB_CGROUP_ATTR, t, "");
	l->child[0] = spawn();
	snprintf(target, sizeof(target), "%d:%s", (int)l->child[0], mount);
	assert_int_equal(knob_write(&l->h, KNOB_CGROUP_PROCS, target, rel, why, sizeof(why)),
			 -ENOSPC);
	assert_non_null(strstr(why, "cpuset has no CPUs or memory nodes set (ENOSPC)"));
	must_read(&l->h, KNOB_CGROUP_PROCS, target, "/");
	/* With CPUs and memory nodes it does. */
	char cpus[64], mems[64], p[TEST_PATH];
	tpathf(p, "%s/cpuset.cpus", mount);
	assert_int_equal(knob_read(&l->h, KNOB_CGROUP_ATTR, p, cpus, sizeof(cpus)), 0);
	tpathf(p, "%s/cpuset.mems", mount);
	assert_int_equal(knob_read(&l->h, KNOB_CGROUP_ATTR, p, mems, sizeof(mems)), 0);
	roundtrip(&l->h, KNOB_CGROUP_ATTR, t, cpus, cpus);
	tpathf(t, "%s/cpuset.mems", l->dir);
	roundtrip(&l->h, KNOB_CGROUP_ATTR, t, mems, mems);
	roundtrip(&l->h, KNOB_CGROUP_PROCS, target, rel, rel);
	threads_in(l->child[0], "cpuset", rel);
	must_write(&l->h, KNOB_CGROUP_DIR, l->dir, "absent");
	must_read(&l->h, KNOB_CGROUP_PROCS, target, "/");
}

/* The cgroup2 hierarchy (this machine: /sys/fs/cgroup/unified, no
 * controller enabled below its root, so libcgroup cannot be used there
 * without side effects and the knob makes the directory itself). */
static void cgroup_v2_live(void **state)
{
	struct live *l = *state;
	SKIP_UNLESS_ROOT();
	live_open(l);
	char mount[256];
	need_cgroup_v2(mount, sizeof(mount));
	assert_true(live_mount(l, NULL, mount, sizeof(mount)));
	cgroup_cycle(l, mount, NULL, NULL, NULL);
}

/* The cgroup2 hierarchy with a controller enabled at its root, so that
 * libcgroup creates, moves and removes: its "+ctrl" writes must leave
 * cgroup.subtree_control as it was. */
static void cgroup_v2_libcgroup_live(void **state)
{
	struct live *l = *state;
	SKIP_UNLESS_ROOT();
	live_open(l);
	char mount[256];
	need_cgroup_v2(mount, sizeof(mount));
	assert_true(live_mount(l, NULL, mount, sizeof(mount)));
	char ctrls[256] = "", sub[256] = "", p[TEST_PATH];
	tpathf(p, "%s/cgroup.controllers", mount);
	host_read_line(&l->h, p, ctrls, sizeof(ctrls));
	snprintf(l->subtree, sizeof(l->subtree), "%s/cgroup.subtree_control", mount);
	assert_int_equal(host_read_line(&l->h, l->subtree, sub, sizeof(sub)), 0);
	if (!sub[0]) {
		/* Enable the first controller for the test, disable it after. */
		char first[64] = "";
		sscanf(ctrls, "%63s", first);
		if (!first[0])
			skip_because("cgroup2 has no controller to enable (all are on v1 hierarchies)");
		char plus[70];
		snprintf(plus, sizeof(plus), "+%s", first);
		snprintf(l->subtree_undo, sizeof(l->subtree_undo), "-%s", first);
		assert_int_equal(host_write(&l->h, l->subtree, plus), 0);
		assert_int_equal(host_read_line(&l->h, l->subtree, sub, sizeof(sub)), 0);
	}
	cgroup_cycle(l, mount, NULL, NULL, NULL);
	char after[256];
	assert_int_equal(host_read_line(&l->h, l->subtree, after, sizeof(after)), 0);
	assert_string_equal(after, sub);
}

/* ---------- window_controller ---------- */

static void window_valid(void **state)
{
	char why[256] = "";
	assert_string_equal(knob_name(KNOB_WINDOW), "window_controller");
	enum knob_kind k;
	assert_true(knob_from_name("window_controller", &k));
	assert_int_equal(k, KNOB_WINDOW);
	assert_true(knob_valid(KNOB_WINDOW, "pmqos", NULL, why, sizeof(why)));
	assert_true(knob_valid(KNOB_WINDOW, "pmqos", "running", why, sizeof(why)));
	assert_true(knob_valid(KNOB_WINDOW, "pmqos", "stopped", why, sizeof(why)));
	static const char *const targets[] = { "", "pmqos/..", "PMQOS", "cpu0", "3", "pmqos " };
	for (size_t i = 0; i < ARRAY_SIZE(targets); i++) {
		why[0] = '\0';
		assert_false(knob_valid(KNOB_WINDOW, targets[i], "stopped", why, sizeof(why)));
		char want[128];
		snprintf(want, sizeof(want), "window_controller target \"%s\" is not pmqos",
			 targets[i]);
		assert_string_equal(why, want);
	}
	static const char *const values[] = { "", "Running", "start", "stop", "1", "running\n" };
	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		why[0] = '\0';
		assert_false(knob_valid(KNOB_WINDOW, "pmqos", values[i], why, sizeof(why)));
		assert_true(why[0] != '\0');
	}
	assert_false(knob_valid(KNOB_WINDOW, "pmqos", "start", why, sizeof(why)));
	assert_string_equal(why, "value \"start\" is not valid for window_controller pmqos");
	/* No file behind it. */
	char p[TEST_PATH] = "x";
	knob_path(KNOB_WINDOW, "pmqos", p, sizeof(p));
	assert_string_equal(p, "");
	assert_true(knob_same(KNOB_WINDOW, "running", "running"));
	assert_false(knob_same(KNOB_WINDOW, "running", "stopped"));
}

/* The window controller is a process that tune starts and stops
 * (winctl.h), not a setting: the knob layer knows its syntax only and
 * refuses to read or write it, so no knob call can start, stop or look at
 * a process.  Every other kind is a setting. */
static void window_not_a_setting(void **state)
{
	char v[KNOB_VAL_MAX] = "x", why[256] = "";
	struct host h;
	char *root = tree_new("knob-win");
	assert_int_equal(host_open(&h, root), 0);
	assert_int_equal(knob_read(&h, KNOB_WINDOW, "pmqos", v, sizeof(v)), -EOPNOTSUPP);
	assert_string_equal(v, "");
	assert_int_equal(knob_write(&h, KNOB_WINDOW, "pmqos", "stopped", why, sizeof(why)),
			 -EOPNOTSUPP);
	assert_string_equal(why, "window_controller is not a setting agentune writes");
	/* Syntax is still checked first. */
	assert_int_equal(knob_write(&h, KNOB_WINDOW, "policy0", "stopped", why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(knob_read(&h, KNOB_WINDOW, "cpu0", v, sizeof(v)), -EINVAL);
	for (unsigned k = 0; k < KNOB__COUNT; k++)
		assert_int_equal(knob_is_setting((enum knob_kind)k), k != KNOB_WINDOW);
	assert_false(knob_is_setting(KNOB__COUNT));
	host_close(&h);
	assert_int_equal(tree_free(root), 0);
}

/* Adding a kind means a driver with a name: every kind has one, distinct,
 * and it round-trips. */
static void every_kind_has_a_driver(void **state)
{
	for (unsigned k = 0; k < KNOB__COUNT; k++) {
		const char *n = knob_name((enum knob_kind)k);
		assert_string_not_equal(n, "unknown");
		enum knob_kind back;
		assert_true(knob_from_name(n, &back));
		assert_int_equal(back, k);
		for (unsigned o = 0; o < k; o++)
			assert_string_not_equal(n, knob_name((enum knob_kind)o));
	}
	assert_string_equal(knob_name(KNOB__COUNT), "unknown");
	enum knob_kind x;
	assert_false(knob_from_name("irq-affinity", &x));
	assert_false(knob_from_name(NULL, &x));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(names),
	cmocka_unit_test(valid_accepts),
	cmocka_unit_test(valid_rejects),
	cmocka_unit_test(paths),
	cmocka_unit_test(same),
	cmocka_unit_test(irq_errors),
	cmocka_unit_test(irq_tree),
	cmocka_unit_test(irq_fixture),
	cmocka_unit_test(sysctl_tree),
	cmocka_unit_test(netdev_tree),
	cmocka_unit_test(pmqos_tree),
	cmocka_unit_test(cpufreq_tree),
	cmocka_unit_test(shared_reads),
	cmocka_unit_test(procs_read_v1),
	cmocka_unit_test(procs_v2),
	cmocka_unit_test(procs_start_time),
	cmocka_unit_test(fifo_knob_refused),
	cmocka_unit_test(long_values_whole),
	cmocka_unit_test(cgroup_dir_tree),
	cmocka_unit_test(cgroup_attr_tree),
	cmocka_unit_test(napi_not_live),
	cmocka_unit_test(window_valid),
	cmocka_unit_test(window_not_a_setting),
	cmocka_unit_test(every_kind_has_a_driver),
	cmocka_unit_test(timer_slack_tree),
	cmocka_unit_test_setup_teardown(napi_live, live_setup, live_teardown),
	cmocka_unit_test_setup_teardown(pmqos_live, live_setup, live_teardown),
	cmocka_unit_test(timer_slack_live),
	cmocka_unit_test_setup_teardown(cgroup_v1_live, live_setup, live_teardown),
	cmocka_unit_test_setup_teardown(cpuset_v1_live, live_setup, live_teardown),
	cmocka_unit_test_setup_teardown(cgroup_v2_live, live_setup, live_teardown),
	cmocka_unit_test_setup_teardown(cgroup_v2_libcgroup_live, live_setup, live_teardown),
};

RUN_TESTS(tests)
