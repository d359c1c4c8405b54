/* Unit tests: irqbalance / tuned detection (services.c). */
#include "testutil.h"

#include "inspect/services.h"

static void read_tree(const char *root, struct host *h, struct services *s)
{
	assert_int_equal(host_open(h, root), 0);
	assert_int_equal(services_read(h, s), 0);
}

static void fixture_both_running(void **state)
{
	struct host h;
	struct services s;
	read_tree(FIXTURES "/nic-napi-8cpu", &h, &s);
	assert_true(s.available);
	assert_int_equal(s.irqbalance_pid, 812);
	assert_int_equal(s.tuned_pid, 950); /* python3 /usr/sbin/tuned */
	host_close(&h);
}

static void fixture_none_running(void **state)
{
	struct host h;
	struct services s;
	read_tree(FIXTURES "/virtio-net-2cpu", &h, &s);
	assert_true(s.available);
	assert_int_equal(s.irqbalance_pid, 0);
	assert_int_equal(s.tuned_pid, 0);
	host_close(&h);
}

static void scratch_cases(void **state)
{
	char *root = tree_new("svc");
	tree_put(root, "proc/10/comm", "systemd\n");
	tree_put(root, "proc/900/comm", "irqbalance\n");
	tree_put(root, "proc/95/comm", "irqbalance\n");    /* lowest PID wins */
	tree_put(root, "proc/96/status", "Name: gone\n");  /* exited: no comm */
	tree_put(root, "proc/self/comm", "irqbalance\n");  /* not a PID */
	tree_put(root, "proc/sys/kernel/comm", "tuned\n");
	tree_put(root, "proc/300/comm", "python3\n");
	TREE_PUT_BYTES(root, "proc/300/cmdline", "/usr/bin/python3\0/opt/untuned\0-x tuned\0");
	tree_put(root, "proc/301/comm", "python3.11\n");
	TREE_PUT_BYTES(root, "proc/301/cmdline", "/usr/bin/python3.11\0");
	tree_put(root, "proc/302/comm", "python3\n");       /* cmdline vanished */
	tree_put(root, "proc/400/comm", "tuned-adm\n");
	struct host h;
	struct services s;
	read_tree(root, &h, &s);
	assert_true(s.available);
	assert_int_equal(s.irqbalance_pid, 95);
	assert_int_equal(s.tuned_pid, 0);
	host_close(&h);

	/* tuned started through its shebang: comm is "tuned" */
	tree_put(root, "proc/500/comm", "tuned\n");
	tree_put(root, "proc/450/comm", "python3\n");
	TREE_PUT_BYTES(root, "proc/450/cmdline", "python3\0-Es\0tuned"); /* no final NUL */
	read_tree(root, &h, &s);
	assert_int_equal(s.tuned_pid, 450);
	host_close(&h);
	char p[TEST_PATH];
	tpathf(p, "%s/proc/450/cmdline", root);
	unlink(p);
	read_tree(root, &h, &s);
	assert_int_equal(s.tuned_pid, 500);
	host_close(&h);
	tree_free(root);
}

static void shared_not_captured(void **state)
{
	struct shared_iter it;
	for (shared_first(&it); shared_next(&it);) {
		struct services s;
		assert_int_equal(services_read(&it.h, &s), 0);
		/* some keep /proc/interrupts, none keeps processes */
		assert_false(s.available);
		assert_true(s.why[0] != '\0');
		assert_int_equal(s.irqbalance_pid, 0);
		assert_int_equal(s.tuned_pid, 0);
	}
}

static void check_comm(const struct host *h, int pid, const char *want)
{
	char p[TEST_PATH], comm[32];
	snprintf(p, sizeof(p), "/proc/%d/comm", pid);
	if (host_read_line(h, p, comm, sizeof(comm)))
		return; /* exited since */
	if (strcmp(comm, want) && strncmp(comm, "python", 6))
		fail_msg("pid %d is %s, not %s", pid, comm, want);
}

static void live_machine(void **state)
{
	struct host h;
	struct services s;
	read_tree("/", &h, &s);
	assert_true(s.available); /* at least this test is running */
	if (s.irqbalance_pid)
		check_comm(&h, s.irqbalance_pid, "irqbalance");
	if (s.tuned_pid)
		check_comm(&h, s.tuned_pid, "tuned");
	fprintf(stderr, "# live: irqbalance pid %d, tuned pid %d\n", s.irqbalance_pid,
		s.tuned_pid);
	host_close(&h);
}

/* /etc of a systemd host: wants links, the banned list, tuned's active
 * profile and the keys of its include chain (/etc/tuned before
 * /usr/lib/tuned). */
static void etc_systemd(void **state)
{
	struct host h;
	struct services s;
	read_tree(FIXTURES "/services-etc-systemd", &h, &s);
	assert_false(s.available); /* no /proc in this tree */
	assert_int_equal(s.irqbalance_pid, 0);
	assert_int_equal(s.irqbalance_boot.enabled, 1);
	assert_string_equal(s.irqbalance_boot.by,
			    "/etc/systemd/system/multi-user.target.wants/irqbalance.service");
	assert_int_equal(s.tuned_boot.enabled, 1);
	assert_string_equal(s.irqbalance_banned, "2-3"); /* quoted, commented line skipped */
	assert_string_equal(s.irqbalance_conf, "/etc/default/irqbalance");
	assert_string_equal(s.tuned_profile, "agent-net");
	assert_true(s.tuned_keys_read);
	const char *want[] = { "sysctl.net.core.busy_read", "sysctl.net.core.busy_poll",
			       "cpu.force_latency", "cpu.governor", "vm.transparent_hugepages" };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool found = false;
		for (size_t j = 0; j < s.ntuned_keys; j++)
			found |= !strcmp(s.tuned_keys[j], want[i]);
		if (!found)
			fail_msg("tuned key %s not read", want[i]);
	}
	host_close(&h);
}

/* sysv: an S link in rc2.d enables, K links do not; /etc/sysconfig. */
static void etc_sysv(void **state)
{
	struct host h;
	struct services s;
	read_tree(FIXTURES "/services-etc-sysv", &h, &s);
	assert_int_equal(s.irqbalance_boot.enabled, 1);
	assert_string_equal(s.irqbalance_boot.by, "/etc/rc2.d/S01irqbalance");
	assert_int_equal(s.tuned_boot.enabled, 0);
	assert_string_equal(s.irqbalance_banned, "1"); /* export VAR=value */
	assert_string_equal(s.irqbalance_conf, "/etc/sysconfig/irqbalance");
	assert_string_equal(s.tuned_profile, "");
	assert_false(s.tuned_keys_read);
	host_close(&h);
	/* a tree without /etc: unknown, not "no" */
	read_tree(FIXTURES "/virtio-net-2cpu", &h, &s);
	assert_int_equal(s.irqbalance_boot.enabled, -1);
	assert_int_equal(s.tuned_boot.enabled, -1);
	host_close(&h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(etc_systemd),
	cmocka_unit_test(etc_sysv),
	cmocka_unit_test(fixture_both_running),
	cmocka_unit_test(fixture_none_running),
	cmocka_unit_test(scratch_cases),
	cmocka_unit_test(shared_not_captured),
	cmocka_unit_test(live_machine),
};

RUN_TESTS(tests)
