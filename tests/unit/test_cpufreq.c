/* Unit tests: cpufreq reader on the project's trees, every shared capture
 * and the live machine. */
#include "testutil.h"
#include "inspect/cpufreq.h"
#include "inspect/topology.h"

static void assert_list(const struct cpumask *m, const char *want)
{
	char buf[4096];
	cpulist_format(m, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* Reads cpufreq for the present CPUs (every cpuN directory when the capture
 * has no present list), as inspect does. */
static void read_present(struct host *h, struct cpufreq *f)
{
	struct topology t;
	assert_int_equal(topology_read(h, &t), 0);
	assert_int_equal(cpufreq_read(h, t.has_present ? &t.present : NULL, f), 0);
	topology_free(&t);
}

static const struct cpufreq_policy *named(const struct cpufreq *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->policy[i].name, name))
			return &f->policy[i];
	fail_msg("policy %s missing", name);
	return NULL;
}

static void intel_80cpu(void **state)
{
	struct host h;
	struct cpufreq f;
	OPEN_FIXTURE(&h, "intel-pstate-80cpu");
	read_present(&h, &f);
	assert_true(f.available);
	assert_int_equal(f.n, 76);
	assert_int_equal(f.boost, 1); /* no_turbo 0 */
	assert_string_equal(f.pstate_status, "active");
	/* natural order */
	assert_string_equal(f.policy[2].name, "policy2");
	assert_string_equal(f.policy[10].name, "policy10");
	assert_string_equal(f.policy[75].name, "policy75");
	const struct cpufreq_policy *p = &f.policy[0];
	assert_string_equal(p->name, "policy0");
	assert_string_equal(p->path, "/sys/devices/system/cpu/cpufreq/policy0");
	assert_list(&p->cpus, "0");
	assert_list(&p->related, "0");
	assert_string_equal(p->driver, "intel_pstate");
	assert_string_equal(p->governor, "powersave");
	assert_string_equal(p->available_governors, "performance powersave");
	assert_int_equal(p->cur_khz, 800000);
	assert_int_equal(p->min_khz, 800000);
	assert_int_equal(p->max_khz, 3900000);
	assert_int_equal(p->cpuinfo_min_khz, 800000);
	assert_int_equal(p->cpuinfo_max_khz, 3900000);
	assert_int_equal(p->base_khz, 2100000);
	assert_int_equal(p->transition_latency_ns, 0);
	assert_string_equal(p->epp, "balance_power");
	assert_string_equal(named(&f, "policy4")->epp, "performance");
	assert_string_equal(named(&f, "policy47")->epp, "performance");
	assert_string_equal(named(&f, "policy48")->epp, "balance_power");
	assert_int_equal(named(&f, "policy75")->cur_khz, 800000 + 37000 * 75);
	assert_ptr_equal(cpufreq_policy_of(&f, 75), named(&f, "policy75"));
	assert_null(cpufreq_policy_of(&f, 76)); /* offline, no policy */
	cpufreq_free(&f);
	host_close(&h);
}

static void acpi_4cpu(void **state)
{
	struct host h;
	struct cpufreq f;
	OPEN_FIXTURE(&h, "acpi-cpufreq-4cpu");
	read_present(&h, &f);
	assert_true(f.available);
	assert_int_equal(f.n, 4);
	assert_int_equal(f.boost, 1);
	assert_string_equal(f.pstate_status, "");
	for (size_t i = 0; i < 4; i++) {
		const struct cpufreq_policy *p = &f.policy[i];
		char want[16];
		snprintf(want, sizeof(want), "%zu", i);
		assert_list(&p->cpus, want);
		assert_list(&p->related, want); /* "3 " with a trailing space */
		assert_string_equal(p->driver, "acpi-cpufreq");
		assert_string_equal(p->governor, "schedutil");
		/* the floor: scaling_min_freq at cpuinfo_min_freq */
		assert_int_equal(p->min_khz, 1400000);
		assert_int_equal(p->min_khz, p->cpuinfo_min_khz);
		assert_int_equal(p->max_khz, 3500000);
		assert_int_equal(p->transition_latency_ns, 10000);
		assert_true(p->base_khz == NA_U64);
		assert_string_equal(p->epp, "");
		assert_string_equal(p->available_governors,
				    "conservative ondemand userspace powersave performance schedutil");
	}
	assert_int_equal(f.policy[2].cur_khz, 3500000);
	/* cpuN/cpufreq is a real symlink here */
	assert_string_equal(cpufreq_policy_of(&f, 3)->path,
			    "/sys/devices/system/cpu/cpufreq/policy3");
	cpufreq_free(&f);
	host_close(&h);
}

/* The cpus argument limits the per-CPU directories looked at. */
static void cpus_filter(void **state)
{
	struct host h;
	struct cpufreq f;
	struct cpumask m;
	cpumask_init(&m);
	OPEN_SHARED(&h, "hwloc-opteron-6134-4s");
	assert_int_equal(cpulist_parse("0-3", &m), 0);
	assert_int_equal(cpufreq_read(&h, &m, &f), 0);
	assert_int_equal(f.n, 4);
	assert_string_equal(f.policy[3].name, "cpu3");
	cpufreq_free(&f);
	assert_int_equal(cpufreq_read(&h, NULL, &f), 0);
	assert_int_equal(f.n, 32);
	cpufreq_free(&f);
	cpumask_free(&m);
	host_close(&h);
}

static void shared_all(void **state)
{
	size_t with_freq = 0;
	struct shared_iter it;
	for (shared_first(&it); shared_next(&it);) {
		struct cpufreq f;
		read_present(&it.h, &f);
		if (!f.available) {
			assert_true(f.why[0] != '\0');
			assert_int_equal(f.n, 0);
			goto next;
		}
		with_freq++;
		assert_true(f.boost >= -1 && f.boost <= 1);
		for (size_t k = 0; k < f.n; k++) {
			const struct cpufreq_policy *p = &f.policy[k];
			assert_true(p->name[0] != '\0');
			assert_true(p->path[0] == '/');
			assert_false(cpumask_empty(&p->cpus));
			if (k)
				assert_true(natural_cmp(f.policy[k - 1].name, p->name) < 0);
			if (p->min_khz != NA_U64 && p->max_khz != NA_U64)
				assert_true(p->min_khz <= p->max_khz);
			if (p->cpuinfo_min_khz != NA_U64 && p->cpuinfo_max_khz != NA_U64)
				assert_true(p->cpuinfo_min_khz <= p->cpuinfo_max_khz);
			assert_true(p->transition_latency_ns != 4294967295ull);
			size_t len = strlen(p->available_governors);
			assert_true(len == 0 || p->available_governors[len - 1] != ' ');
			for (int c = cpumask_next(&p->cpus, -1); c >= 0;
			     c = cpumask_next(&p->cpus, c))
				assert_true(cpumask_test(&cpufreq_policy_of(&f, (unsigned)c)->cpus,
							 (unsigned)c));
		}
next:
		cpufreq_free(&f);
	}
	assert_true(with_freq >= 14);
}

static void qcom_clusters(void **state)
{
	struct host h;
	struct cpufreq f;
	OPEN_SHARED(&h, "ul-arm-qcom-A510-A710-A715-X3");
	read_present(&h, &f);
	assert_int_equal(f.n, 3);
	assert_int_equal(f.boost, 1);
	assert_list(&f.policy[0].cpus, "0-2");
	assert_list(&f.policy[1].cpus, "3-6");
	assert_list(&f.policy[1].related, "3-6"); /* "3 4 5 6" */
	assert_list(&f.policy[2].cpus, "7");
	assert_string_equal(f.policy[2].name, "policy7");
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(f.policy[i].governor, "walt");
		assert_string_equal(f.policy[i].driver, "qcom-cpufreq-hw");
	}
	assert_int_equal(f.policy[2].max_khz, 998400);
	assert_int_equal(f.policy[2].min_khz, 864000);
	assert_int_equal(f.policy[2].cpuinfo_max_khz, 3187200);
	assert_ptr_equal(cpufreq_policy_of(&f, 5), &f.policy[1]);
	cpufreq_free(&f);
	host_close(&h);
}

static void haswell_schedutil(void **state)
{
	struct host h;
	struct cpufreq f;
	OPEN_SHARED(&h, "pcp-haswell-i7-4810mq");
	read_present(&h, &f);
	assert_int_equal(f.n, 8);
	assert_string_equal(f.pstate_status, "passive");
	assert_int_equal(f.boost, 1);
	for (size_t i = 0; i < 8; i++) {
		assert_string_equal(f.policy[i].governor, "schedutil");
		assert_string_equal(f.policy[i].driver, "intel_cpufreq");
		assert_int_equal(cpumask_weight(&f.policy[i].cpus), 1);
		assert_true(cpumask_test(&f.policy[i].cpus, (unsigned)i));
		assert_int_equal(f.policy[i].transition_latency_ns, 20000);
	}
	assert_int_equal(f.policy[0].cur_khz, 2739269);
	cpufreq_free(&f);
	host_close(&h);
}

static void hybrid_epp(void **state)
{
	struct host h;
	struct cpufreq f;
	OPEN_SHARED(&h, "hwloc-i7-1370p-hybrid");
	read_present(&h, &f);
	assert_int_equal(f.n, 20);
	assert_string_equal(f.pstate_status, "active");
	const struct cpufreq_policy *p0 = named(&f, "policy0"), *p19 = named(&f, "policy19");
	assert_string_equal(p0->epp, "balance_performance");
	assert_int_equal(p0->base_khz, 1900000);
	assert_int_equal(p0->cpuinfo_max_khz, 5000000);
	assert_int_equal(p19->base_khz, 1400000);
	assert_int_equal(p19->cpuinfo_max_khz, 3900000);
	assert_int_equal(p19->cpuinfo_min_khz, 400000);
	cpufreq_free(&f);
	host_close(&h);
}

static void crm_empty_governor(void **state)
{
	struct host h;
	struct cpufreq f;
	OPEN_SHARED(&h, "crm-xeon-server-112cpu-isolated");
	read_present(&h, &f);
	assert_int_equal(f.n, 112);
	assert_string_equal(f.policy[0].governor, ""); /* a 0-byte file */
	assert_string_equal(f.policy[0].driver, "intel_pstate");
	assert_int_equal(f.boost, 1);
	cpufreq_free(&f);
	host_close(&h);
}

/* policy0 plus an old per-CPU directory for cpu1 in one tree. */
static void procfs_mixed(void **state)
{
	struct host h;
	struct cpufreq f;
	OPEN_SHARED(&h, "procfs-testdata");
	read_present(&h, &f);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.policy[0].name, "cpu1");
	assert_string_equal(f.policy[0].path, "/sys/devices/system/cpu/cpu1/cpufreq");
	assert_string_equal(f.policy[1].name, "policy0");
	const struct cpufreq_policy *c1 = cpufreq_policy_of(&f, 1);
	assert_ptr_equal(c1, &f.policy[0]);
	assert_true(c1->transition_latency_ns == NA_U64); /* 4294967295 */
	assert_int_equal(c1->cur_khz, 1200195);           /* cpuinfo_cur_freq */
	assert_int_equal(f.policy[1].transition_latency_ns, 0);
	assert_int_equal(f.policy[1].cur_khz, 1219917);
	assert_int_equal(f.boost, -1);
	cpufreq_free(&f);
	host_close(&h);
}

static void old_per_cpu(void **state)
{
	struct host h;
	struct cpufreq f;
	OPEN_SHARED(&h, "hwloc-xeon-e5-2680-2s-knc");
	read_present(&h, &f);
	assert_int_equal(f.n, 16);
	assert_string_equal(f.policy[0].name, "cpu0");
	assert_string_equal(f.policy[15].name, "cpu15");
	assert_string_equal(f.policy[0].driver, "acpi-cpufreq");
	assert_string_equal(f.policy[0].governor, "performance");
	assert_string_equal(f.policy[0].available_governors, "ondemand userspace performance");
	assert_int_equal(f.policy[0].cur_khz, 2701000);
	assert_int_equal(f.policy[0].transition_latency_ns, 10000);
	cpufreq_free(&f);
	host_close(&h);

	/* One directory for two CPUs: cpu1 is covered by cpu0's. */
	OPEN_SHARED(&h, "hwloc-arm-u8500-2cpu");
	read_present(&h, &f);
	assert_int_equal(f.n, 1);
	assert_list(&f.policy[0].cpus, "0-1");
	assert_string_equal(f.policy[0].driver, "U8500");
	assert_ptr_equal(cpufreq_policy_of(&f, 1), &f.policy[0]);
	cpufreq_free(&f);
	host_close(&h);
}

static void dangling_links(void **state)
{
	struct host h;
	struct cpufreq f;
	/* cpuN/cpufreq link-files point to policies that were not captured. */
	OPEN_SHARED(&h, "hwloc-power9-sparse-cpus-gpu");
	read_present(&h, &f);
	assert_false(f.available);
	assert_string_equal(f.why,
			    "no cpufreq driver (/sys/devices/system/cpu/cpufreq is absent)");
	cpufreq_free(&f);
	host_close(&h);
}

static void epyc_acpi(void **state)
{
	struct host h;
	struct cpufreq f;
	OPEN_SHARED(&h, "ul-amd-epyc-7451-2s-96cpu");
	read_present(&h, &f);
	assert_int_equal(f.n, 96);
	assert_int_equal(f.boost, 1);
	assert_string_equal(f.policy[0].governor, "performance");
	assert_int_equal(f.policy[0].cpuinfo_max_khz, 2300000);
	assert_int_equal(f.policy[0].cur_khz, 2893313);
	cpufreq_free(&f);
	host_close(&h);
}

static void boost_sources(void **state)
{
	struct host h;
	struct cpufreq f;
	/* cpufreq/boost 0 wins over everything */
	OPEN_SHARED(&h, "hwloc-nvidia-dgx-gb10");
	read_present(&h, &f);
	assert_int_equal(f.boost, 0);
	assert_int_equal(f.n, 20);
	assert_string_equal(f.policy[0].driver, "cppc_cpufreq");
	assert_string_equal(f.policy[0].governor, "performance");
	cpufreq_free(&f);
	host_close(&h);
	/* no policy captured, but intel_pstate/no_turbo 0 still says boost on */
	OPEN_SHARED(&h, "hwloc-xeon-silver-4108-2s-ve");
	read_present(&h, &f);
	assert_false(f.available);
	assert_int_equal(f.boost, 1);
	assert_string_equal(f.pstate_status, "active");
	cpufreq_free(&f);
	host_close(&h);
}

static void live_host(void **state)
{
	struct host h;
	struct cpufreq f;
	assert_int_equal(host_open(&h, "/"), 0);
	read_present(&h, &f);
	if (f.available) {
		assert_true(f.n > 0);
		assert_non_null(cpufreq_policy_of(&f, (unsigned)cpumask_next(&f.policy[0].cpus, -1)));
	} else {
		/* A VM without cpufreq is normal. */
		assert_int_equal(f.n, 0);
		assert_non_null(strstr(f.why, "no cpufreq driver"));
	}
	cpufreq_free(&f);
	host_close(&h);
}

static void missing_cpu_dir(void **state)
{
	struct host h;
	struct cpufreq f;
	char *dir = tree_new("freq");
	assert_int_equal(host_open(&h, dir), 0);
	assert_int_equal(cpufreq_read(&h, NULL, &f), 0);
	assert_false(f.available);
	assert_true(f.why[0] != '\0');
	assert_int_equal(f.boost, -1);
	assert_null(cpufreq_policy_of(&f, 0));
	cpufreq_free(&f);
	host_close(&h);
	tree_free(dir);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(intel_80cpu),
	cmocka_unit_test(acpi_4cpu),
	cmocka_unit_test(cpus_filter),
	cmocka_unit_test(shared_all),
	cmocka_unit_test(qcom_clusters),
	cmocka_unit_test(haswell_schedutil),
	cmocka_unit_test(hybrid_epp),
	cmocka_unit_test(crm_empty_governor),
	cmocka_unit_test(procfs_mixed),
	cmocka_unit_test(old_per_cpu),
	cmocka_unit_test(dangling_links),
	cmocka_unit_test(epyc_acpi),
	cmocka_unit_test(boost_sources),
	cmocka_unit_test(live_host),
	cmocka_unit_test(missing_cpu_dir),
};

RUN_TESTS(tests)
