/* Unit tests: topology reader on the project's trees, every shared capture
 * and the live machine. */
#include "testutil.h"
#include "inspect/topology.h"

static void assert_list(const struct cpumask *m, const char *want)
{
	char buf[4096];
	cpulist_format(m, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static const struct topo_cpu *cpu_of(const struct topology *t, unsigned cpu)
{
	const struct topo_cpu *c = topology_cpu(t, cpu);
	assert_non_null(c);
	assert_int_equal(c->cpu, cpu);
	return c;
}

static const struct numa_node *node_of(const struct topology *t, int id)
{
	for (size_t i = 0; i < t->nnodes; i++)
		if (t->node[i].id == id)
			return &t->node[i];
	fail_msg("node %d missing", id);
	return NULL;
}

static void read_shared(struct host *h, struct topology *t)
{
	assert_int_equal(topology_read(h, t), 0);
	assert_true(t->available);
}

static void intel_80cpu(void **state)
{
	struct host h;
	struct topology t;
	OPEN_FIXTURE(&h, "intel-pstate-80cpu");
	assert_int_equal(topology_read(&h, &t), 0);
	assert_true(t.available);
	assert_true(t.has_possible && t.has_present && t.has_online && t.has_offline);
	assert_true(t.has_isolated && t.has_nohz_full);
	assert_list(&t.possible, "0-79");
	assert_list(&t.present, "0-79");
	assert_list(&t.online, "0-75");
	assert_list(&t.offline, "76-79");
	assert_list(&t.isolated, "4-7,44-47");
	assert_list(&t.nohz_full, "4-7,44-47");
	assert_int_equal(t.kernel_max, 8191);
	assert_int_equal(t.n, 80);
	for (size_t i = 0; i < t.n; i++)
		assert_int_equal(t.cpu[i].cpu, i);

	const struct topo_cpu *c = cpu_of(&t, 0); /* no online file: in the list */
	assert_true(c->online && c->has_topology);
	assert_int_equal(c->package, 0);
	assert_int_equal(c->die, 0);
	assert_int_equal(c->core, 0);
	assert_int_equal(c->cluster, -1);
	assert_int_equal(c->node, 0);
	assert_list(&c->siblings, "0,40");
	assert_list(&c->package_cpus, "0-19,40-59");
	assert_list(&c->llc, "0-19,40-59");
	assert_int_equal(c->llc_level, 3);

	c = cpu_of(&t, 65);
	assert_int_equal(c->package, 1);
	assert_int_equal(c->core, 5);
	assert_int_equal(c->node, 1);
	assert_list(&c->siblings, "25,65");
	assert_list(&c->llc, "20-39,60-75");

	c = cpu_of(&t, 37); /* sibling 77 is offline */
	assert_list(&c->siblings, "37");

	c = cpu_of(&t, 77);
	assert_false(c->online);
	assert_false(c->has_topology);
	assert_int_equal(c->package, -1);
	assert_int_equal(c->core, -1);
	assert_int_equal(c->node, -1);
	assert_int_equal(c->llc_level, -1);
	assert_true(cpumask_empty(&c->llc));
	assert_true(cpumask_empty(&c->siblings));

	assert_int_equal(t.nnodes, 2);
	assert_list(&node_of(&t, 0)->cpus, "0-19,40-59");
	assert_list(&node_of(&t, 1)->cpus, "20-39,60-75");
	assert_int_equal(t.packages, 2);
	assert_int_equal(t.cores, 40);
	assert_null(topology_cpu(&t, 80));
	topology_free(&t);
	host_close(&h);
}

static void acpi_4cpu(void **state)
{
	struct host h;
	struct topology t;
	OPEN_FIXTURE(&h, "acpi-cpufreq-4cpu");
	assert_int_equal(topology_read(&h, &t), 0);
	assert_true(t.available);
	/* No online list: the mask comes from the per-CPU files, cpu0 has none. */
	assert_false(t.has_online);
	assert_list(&t.online, "0-3");
	assert_false(t.has_offline);
	assert_false(t.has_nohz_full);
	assert_true(t.has_isolated);
	assert_true(cpumask_empty(&t.isolated));
	assert_int_equal(t.kernel_max, 511);
	assert_int_equal(t.n, 4);
	const struct topo_cpu *c = cpu_of(&t, 0);
	assert_true(c->online);
	assert_int_equal(c->die, -1);
	assert_list(&c->package_cpus, "0-3"); /* from core_siblings_list */
	assert_list(&c->siblings, "0");
	assert_list(&c->llc, "0-3");
	assert_int_equal(c->llc_level, 3);
	assert_int_equal(cpu_of(&t, 3)->core, 3);
	assert_int_equal(cpu_of(&t, 3)->node, 0);
	assert_int_equal(t.packages, 1);
	assert_int_equal(t.cores, 4);
	topology_free(&t);
	host_close(&h);
}

/* Invariants on every shared capture. */
static void shared_all(void **state)
{
	struct shared_iter it;
	shared_first(&it);
	assert_true(it.names.n > 20);
	size_t with_cpu = 0;
	while (shared_next(&it)) {
		struct topology t;
		assert_int_equal(topology_read(&it.h, &t), 0);
		if (!host_is_dir(&it.h, "/sys/devices/system/cpu")) {
			assert_false(t.available);
			assert_true(t.why[0] != '\0');
			assert_int_equal(t.n, 0);
			goto next;
		}
		with_cpu++;
		assert_true(t.available);
		assert_true(t.n > 0);
		if (t.has_possible && t.has_online)
			assert_true(cpumask_subset(&t.online, &t.possible));
		if (t.has_present && t.has_online)
			assert_true(cpumask_subset(&t.online, &t.present));
		if (t.has_present && t.has_possible)
			assert_true(cpumask_subset(&t.present, &t.possible));
		for (size_t k = 0; k < t.n; k++) {
			const struct topo_cpu *c = &t.cpu[k];
			if (k)
				assert_true(c->cpu > t.cpu[k - 1].cpu);
			assert_ptr_equal(topology_cpu(&t, c->cpu), c);
			assert_int_equal(c->online, cpumask_test(&t.online, c->cpu));
			if (!cpumask_empty(&c->siblings))
				assert_true(cpumask_test(&c->siblings, c->cpu));
			if (!cpumask_empty(&c->package_cpus) && c->online)
				assert_true(cpumask_test(&c->package_cpus, c->cpu));
			assert_int_equal(c->llc_level < 0, cpumask_empty(&c->llc));
			if (!c->has_topology)
				assert_true(c->package == -1 && c->core == -1);
			if (c->node >= 0)
				assert_true(cpumask_test(&node_of(&t, c->node)->cpus, c->cpu));
		}
		for (size_t k = 1; k < t.nnodes; k++)
			assert_true(t.node[k].id > t.node[k - 1].id);
		assert_true(t.cores >= t.packages);
		assert_true(t.cores <= t.n);
next:
		topology_free(&t);
	}
	assert_true(with_cpu >= 20);
}

static void crm_112cpu(void **state)
{
	struct host h;
	struct topology t;
	OPEN_SHARED(&h, "crm-xeon-server-112cpu-isolated");
	read_shared(&h, &t);
	assert_int_equal(t.n, 112);
	assert_list(&t.online, "0-111");
	assert_list(&t.isolated, "4-7,60-63");
	assert_true(t.has_offline);
	assert_true(cpumask_empty(&t.offline));
	assert_false(t.has_nohz_full);
	assert_int_equal(t.kernel_max, 511);
	assert_int_equal(t.nnodes, 6);
	assert_true(cpumask_empty(&node_of(&t, 4)->cpus));
	assert_true(cpumask_empty(&node_of(&t, 5)->cpus));
	assert_int_equal(cpumask_weight(&node_of(&t, 1)->cpus), 28);
	assert_int_equal(cpu_of(&t, 0)->node, 0);
	assert_int_equal(cpu_of(&t, 5)->node, 1);
	assert_int_equal(cpu_of(&t, 111)->node, 3);
	assert_list(&cpu_of(&t, 0)->siblings, "0,56");
	assert_int_equal(cpumask_weight(&cpu_of(&t, 0)->package_cpus), 56);
	assert_true(cpu_of(&t, 0)->online); /* no cpu0/online file */
	assert_int_equal(t.packages, 2);
	assert_int_equal(t.cores, 56);
	topology_free(&t);
	host_close(&h);
}

static void power9_sparse(void **state)
{
	struct host h;
	struct topology t;
	OPEN_SHARED(&h, "hwloc-power9-sparse-cpus-gpu");
	read_shared(&h, &t);
	assert_list(&t.online, "0-15,88-103");
	assert_list(&t.present, "0-15,88-103");
	assert_list(&t.possible, "0-175");
	assert_true(t.has_offline); /* a 0-byte file */
	assert_true(cpumask_empty(&t.offline));
	assert_int_equal(t.n, 32);
	assert_int_equal(t.kernel_max, 2047);
	const struct topo_cpu *c = cpu_of(&t, 88);
	assert_int_equal(c->package, 8);
	assert_int_equal(c->core, 2056);
	assert_int_equal(c->node, 8);
	assert_list(&c->siblings, "88-91");
	assert_null(topology_cpu(&t, 16));
	assert_int_equal(t.nnodes, 8);
	assert_true(cpumask_empty(&node_of(&t, 255)->cpus));
	assert_int_equal(t.packages, 2);
	assert_int_equal(t.cores, 8);
	topology_free(&t);
	host_close(&h);
}

static void e5_offline_cpu0(void **state)
{
	struct host h;
	struct topology t;
	OPEN_SHARED(&h, "hwloc-xeon-e5-2680v3-offline-cpu0");
	read_shared(&h, &t);
	assert_list(&t.online, "4-20");
	assert_list(&t.offline, "0-3,21-191");
	assert_list(&t.present, "0-23");
	assert_list(&t.possible, "0-191");
	const struct topo_cpu *c = cpu_of(&t, 0);
	assert_false(c->online);
	assert_false(c->has_topology);
	assert_true(cpu_of(&t, 4)->has_topology);
	assert_false(cpu_of(&t, 23)->online);
	topology_free(&t);
	host_close(&h);
}

static void kvm_offline(void **state)
{
	struct host h;
	struct topology t;
	OPEN_SHARED(&h, "ghw-kvm-skylake-offline-cpus");
	read_shared(&h, &t);
	assert_true(t.has_nohz_full);
	assert_true(cpumask_empty(&t.nohz_full)); /* "(null)" */
	assert_list(&t.online, "0-1");
	assert_int_equal(t.n, 4);
	assert_false(cpu_of(&t, 2)->online);
	assert_false(cpu_of(&t, 3)->has_topology);
	assert_int_equal(cpu_of(&t, 1)->package, 1);
	assert_int_equal(cpu_of(&t, 1)->cluster, 1);
	assert_int_equal(cpu_of(&t, 1)->node, 0);
	assert_int_equal(t.packages, 2);
	assert_int_equal(t.cores, 2);
	topology_free(&t);
	host_close(&h);
}

static void power7_256(void **state)
{
	struct host h;
	struct topology t;
	OPEN_SHARED(&h, "hwloc-power7-256cpu");
	read_shared(&h, &t);
	/* No masks at all, no online files: every CPU counts as online. */
	assert_false(t.has_online || t.has_possible || t.has_present);
	assert_int_equal(t.n, 256);
	assert_list(&t.online, "0-255");
	const struct topo_cpu *c = cpu_of(&t, 255);
	assert_int_equal(c->package, -1);
	assert_int_equal(c->core, 252);
	assert_list(&c->siblings, "252-255");
	/* nodes from the 8-word hex cpumap (no cpulist) */
	assert_int_equal(t.nnodes, 8);
	assert_list(&node_of(&t, 0)->cpus, "0-31");
	assert_list(&node_of(&t, 13)->cpus, "224-255");
	assert_int_equal(c->node, 13);
	assert_int_equal(t.cores, 64);
	assert_int_equal(t.packages, 64); /* package id -1: package_cpus masks */
	topology_free(&t);
	host_close(&h);
}

static void gb10_arm(void **state)
{
	struct host h;
	struct topology t;
	OPEN_SHARED(&h, "hwloc-nvidia-dgx-gb10");
	read_shared(&h, &t);
	assert_int_equal(t.n, 20);
	assert_int_equal(cpu_of(&t, 0)->package, 36);
	assert_int_equal(cpu_of(&t, 0)->cluster, 56);
	assert_int_equal(cpu_of(&t, 10)->cluster, 1144);
	assert_int_equal(cpu_of(&t, 10)->die, -1);
	assert_true(t.has_nohz_full);
	assert_true(cpumask_empty(&t.nohz_full));
	assert_int_equal(t.packages, 1);
	assert_int_equal(t.cores, 20);
	topology_free(&t);
	host_close(&h);
}

static void qcom_clusters(void **state)
{
	struct host h;
	struct topology t;
	OPEN_SHARED(&h, "ul-arm-qcom-A510-A710-A715-X3");
	read_shared(&h, &t);
	assert_int_equal(t.n, 8);
	assert_int_equal(cpu_of(&t, 7)->package, 2);
	assert_int_equal(cpu_of(&t, 7)->core, 0);
	assert_list(&cpu_of(&t, 4)->package_cpus, "3-6");
	assert_int_equal(t.packages, 3);
	assert_int_equal(t.cores, 8);
	assert_int_equal(t.nnodes, 0);
	assert_int_equal(cpu_of(&t, 0)->node, -1);
	topology_free(&t);
	host_close(&h);
}

static void node_exporter_partial(void **state)
{
	struct host h;
	struct topology t;
	OPEN_SHARED(&h, "node-exporter-fixtures");
	read_shared(&h, &t);
	assert_false(t.has_possible);
	assert_list(&t.isolated, "1,3-5,9");
	assert_int_equal(t.n, 4);
	/* No sibling lists: cores from (package, core) ids. */
	assert_true(cpumask_empty(&cpu_of(&t, 0)->siblings));
	assert_int_equal(cpu_of(&t, 2)->package, 1);
	assert_int_equal(cpu_of(&t, 2)->node, 1);
	assert_true(cpumask_empty(&node_of(&t, 2)->cpus));
	assert_int_equal(t.packages, 2);
	topology_free(&t);
	host_close(&h);
}

static void hybrid_cores(void **state)
{
	struct host h;
	struct topology t;
	/* 6 P-cores with SMT + 8 E-cores */
	OPEN_SHARED(&h, "hwloc-i7-1370p-hybrid");
	read_shared(&h, &t);
	assert_int_equal(t.n, 20);
	assert_int_equal(t.cores, 14);
	assert_int_equal(t.packages, 1);
	assert_true(cpu_of(&t, 0)->online); /* no cpu0/online file */
	assert_int_equal(cpumask_weight(&cpu_of(&t, 0)->siblings), 2);
	assert_int_equal(cpumask_weight(&cpu_of(&t, 19)->siblings), 1);
	topology_free(&t);
	host_close(&h);
}

static void live_host(void **state)
{
	struct host h;
	struct topology t;
	assert_int_equal(host_open(&h, "/"), 0);
	assert_int_equal(topology_read(&h, &t), 0);
	assert_true(t.available);
	assert_true(t.n >= 1);
	assert_true(t.has_online);
	assert_true(cpumask_test(&t.online, 0) || t.has_offline);
	assert_true(t.packages >= 1);
	assert_true(t.cores >= 1);
	char p[128];
	snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%u/cache", t.cpu[0].cpu);
	if (t.cpu[0].online && host_is_dir(&h, p)) {
		assert_true(t.cpu[0].llc_level >= 1);
		assert_true(cpumask_test(&t.cpu[0].llc, t.cpu[0].cpu));
	}
	topology_free(&t);
	host_close(&h);
}

static void missing_cpu_dir(void **state)
{
	struct host h;
	struct topology t;
	char *dir = tree_new("topo");
	assert_int_equal(host_open(&h, dir), 0);
	assert_int_equal(topology_read(&h, &t), 0);
	assert_false(t.available);
	assert_non_null(strstr(t.why, "/sys/devices/system/cpu"));
	assert_int_equal(t.kernel_max, -1);
	topology_free(&t);
	host_close(&h);
	tree_free(dir);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(intel_80cpu),
	cmocka_unit_test(acpi_4cpu),
	cmocka_unit_test(shared_all),
	cmocka_unit_test(crm_112cpu),
	cmocka_unit_test(power9_sparse),
	cmocka_unit_test(e5_offline_cpu0),
	cmocka_unit_test(kvm_offline),
	cmocka_unit_test(power7_256),
	cmocka_unit_test(gb10_arm),
	cmocka_unit_test(qcom_clusters),
	cmocka_unit_test(node_exporter_partial),
	cmocka_unit_test(hybrid_cores),
	cmocka_unit_test(live_host),
	cmocka_unit_test(missing_cpu_dir),
};

RUN_TESTS(tests)
