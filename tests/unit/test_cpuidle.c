/* Unit tests: cpuidle and PM QoS reader on the project's trees, every shared
 * capture, small temporary trees and the live machine. */
#include "testutil.h"
#include "inspect/cpuidle.h"
#include "inspect/topology.h"

static void read_present(struct host *h, struct cpuidle *c)
{
	struct topology t;
	assert_int_equal(topology_read(h, &t), 0);
	assert_int_equal(cpuidle_read(h, t.has_present ? &t.present : NULL, c), 0);
	topology_free(&t);
}

static const struct cpuidle_cpu *cpu_of(const struct cpuidle *c, unsigned cpu)
{
	const struct cpuidle_cpu *cc = cpuidle_cpu(c, cpu);
	assert_non_null(cc);
	assert_int_equal(cc->cpu, cpu);
	return cc;
}

static void pmqos_values(void **state)
{
	int64_t v = 7;
	assert_true(pmqos_parse("n/a\n", &v));
	assert_int_equal(v, PMQOS_NA);
	assert_true(pmqos_parse("0", &v));
	assert_int_equal(v, PMQOS_NO_CONSTRAINT);
	assert_true(pmqos_parse("20\n", &v));
	assert_int_equal(v, 20);
	assert_true(pmqos_parse("  100 ", &v));
	assert_int_equal(v, 100);
	assert_true(pmqos_parse("2147483647", &v));
	assert_int_equal(v, 2147483647);
	v = 7;
	assert_false(pmqos_parse("", &v));
	assert_false(pmqos_parse("\n", &v));
	assert_false(pmqos_parse("-5", &v));
	assert_false(pmqos_parse("0x10", &v));
	assert_false(pmqos_parse("abc", &v));
	assert_false(pmqos_parse("n/a/b", &v));
	assert_false(pmqos_parse("2147483648", &v));
	assert_false(pmqos_parse("99999999999999999999999", &v));
	assert_false(pmqos_parse(NULL, &v));
	assert_int_equal(v, 7);
}

static void intel_80cpu(void **state)
{
	static const char *names[] = { "POLL", "C1", "C1E", "C6" };
	static const char *descs[] = { "CPUIDLE CORE POLL IDLE", "MWAIT 0x00", "MWAIT 0x01",
				       "MWAIT 0x20" };
	static const uint64_t lat[] = { 0, 2, 10, 133 }, res[] = { 0, 2, 20, 600 };
	struct host h;
	struct cpuidle c;
	OPEN_FIXTURE(&h, "intel-pstate-80cpu");
	read_present(&h, &c);
	assert_true(c.available);
	assert_string_equal(c.driver, "intel_idle");
	assert_string_equal(c.governor, "menu");
	assert_string_equal(c.available_governors, "ladder menu teo");
	assert_int_equal(c.cpu_dma_latency_us, CPU_DMA_LATENCY_DEFAULT); /* binary */
	assert_string_equal(c.cpu_dma_latency_why, "");
	assert_int_equal(c.n, 80);
	for (unsigned cpu = 0; cpu < 76; cpu++) {
		const struct cpuidle_cpu *cc = cpu_of(&c, cpu);
		assert_int_equal(cc->nstates, 4);
		for (unsigned k = 0; k < 4; k++) {
			const struct idle_state *s = &cc->state[k];
			assert_int_equal(s->index, k);
			assert_string_equal(s->name, names[k]);
			assert_string_equal(s->desc, descs[k]);
			assert_int_equal(s->latency_us, lat[k]);
			assert_int_equal(s->residency_us, res[k]);
			assert_int_equal(s->disabled, cpu == 5 && k == 3);
			if (!(cpu == 0 && k == 3)) {
				assert_int_equal(s->usage, 1000 * (k + 1) + cpu);
				assert_int_equal(s->time_us, 50000 * (k + 1) + cpu);
			}
		}
	}
	const struct idle_state *s = &cpu_of(&c, 0)->state[3];
	assert_int_equal(s->usage, 4294967303ull);
	assert_int_equal(s->time_us, 18075336307000ull);
	assert_string_equal(s->default_status, "enabled");
	assert_int_equal(s->above, 9);
	assert_int_equal(s->below, 15);
	assert_int_equal(s->rejected, 0);
	s = &cpu_of(&c, 1)->state[3];
	assert_string_equal(s->default_status, "");
	assert_true(s->above == NA_U64 && s->below == NA_U64 && s->rejected == NA_U64);
	/* offline CPUs: no cpuidle/, but their PM QoS file */
	assert_int_equal(cpu_of(&c, 77)->nstates, 0);
	assert_int_equal(cpu_of(&c, 77)->resume_latency_us, 0);
	for (unsigned cpu = 4; cpu <= 7; cpu++)
		assert_int_equal(cpu_of(&c, cpu)->resume_latency_us, PMQOS_NA);
	assert_int_equal(cpu_of(&c, 8)->resume_latency_us, 20);
	assert_int_equal(cpu_of(&c, 9)->resume_latency_us, PMQOS_NO_CONSTRAINT);
	assert_int_equal(cpu_of(&c, 3)->resume_latency_us, PMQOS_NO_CONSTRAINT);
	assert_null(cpuidle_cpu(&c, 80));
	cpuidle_free(&c);
	host_close(&h);
}

static void acpi_4cpu(void **state)
{
	struct host h;
	struct cpuidle c;
	OPEN_FIXTURE(&h, "acpi-cpufreq-4cpu");
	read_present(&h, &c);
	assert_true(c.available);
	assert_string_equal(c.driver, "acpi_idle");
	assert_string_equal(c.governor, "menu"); /* current_governor_ro */
	assert_string_equal(c.available_governors, "");
	assert_int_equal(c.cpu_dma_latency_us, 100); /* decimal text */
	assert_int_equal(c.n, 4);
	const struct cpuidle_cpu *c0 = cpu_of(&c, 0), *c3 = cpu_of(&c, 3);
	assert_int_equal(c0->nstates, 4);
	assert_string_equal(c0->state[1].name, "C1");
	assert_int_equal(c0->state[1].latency_us, 1);
	assert_int_equal(c0->state[1].residency_us, 2);
	assert_int_equal(c0->state[2].latency_us, 100);
	assert_int_equal(c0->state[3].latency_us, 1000);
	assert_int_equal(c0->state[3].residency_us, 2000);
	assert_int_equal(c0->state[3].disabled, 0);
	assert_string_equal(c0->state[3].desc, "ACPI IOPORT 0x815");
	/* old-style: no residency, no disable */
	assert_int_equal(c3->nstates, 4);
	assert_string_equal(c3->state[3].name, "C3");
	assert_int_equal(c3->state[3].latency_us, 1000);
	assert_true(c3->state[3].residency_us == NA_U64);
	assert_int_equal(c3->state[3].disabled, -1);
	assert_int_equal(c3->state[3].usage, 303);
	assert_int_equal(c3->state[3].time_us, 30003);
	assert_int_equal(c3->resume_latency_us, 0);
	cpuidle_free(&c);

	/* NULL: every cpuN directory */
	assert_int_equal(cpuidle_read(&h, NULL, &c), 0);
	assert_int_equal(c.n, 4);
	cpuidle_free(&c);
	host_close(&h);
}

/* A CPU in the mask without a directory still gets an (empty) entry. */
static void cpus_mask(void **state)
{
	struct host h;
	struct cpuidle c;
	struct cpumask m;
	cpumask_init(&m);
	OPEN_FIXTURE(&h, "acpi-cpufreq-4cpu");
	assert_int_equal(cpulist_parse("1,3,9", &m), 0);
	assert_int_equal(cpuidle_read(&h, &m, &c), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.cpu[0].cpu, 1);
	assert_int_equal(c.cpu[1].cpu, 3);
	assert_int_equal(cpu_of(&c, 9)->nstates, 0);
	assert_true(cpu_of(&c, 9)->resume_latency_us == NA_S64);
	assert_null(cpuidle_cpu(&c, 0));
	cpuidle_free(&c);
	cpumask_free(&m);
	host_close(&h);
}

static void shared_all(void **state)
{
	size_t with_states = 0;
	struct shared_iter it;
	for (shared_first(&it); shared_next(&it);) {
		struct cpuidle c;
		char p[TEST_PATH];
		read_present(&it.h, &c);
		/* no capture has /dev */
		assert_true(c.cpu_dma_latency_us == NA_S64);
		assert_true(c.cpu_dma_latency_why[0] != '\0');
		if (!c.available)
			assert_true(c.why[0] != '\0');
		bool states = false;
		for (size_t k = 0; k < c.n; k++) {
			const struct cpuidle_cpu *cc = &c.cpu[k];
			if (k)
				assert_true(cc->cpu > c.cpu[k - 1].cpu);
			snprintf(p, sizeof(p),
				 "/sys/devices/system/cpu/cpu%u/power/pm_qos_resume_latency_us",
				 cc->cpu);
			assert_int_equal(host_exists(&it.h, p), cc->resume_latency_us != NA_S64);
			for (size_t j = 0; j < cc->nstates; j++) {
				const struct idle_state *s = &cc->state[j];
				states = true;
				if (j)
					assert_true(s->index > cc->state[j - 1].index);
				assert_true(s->name[0] != '\0');
				size_t len = strlen(s->desc);
				assert_true(len == 0 || s->desc[len - 1] != ' ');
				assert_true(strcmp(s->desc, "<null>") != 0);
				assert_true(s->disabled >= -1 && s->disabled <= 1);
				snprintf(p, sizeof(p),
					 "/sys/devices/system/cpu/cpu%u/cpuidle/state%u/latency",
					 cc->cpu, s->index);
				assert_int_equal(host_exists(&it.h, p), s->latency_us != NA_U64);
				snprintf(p, sizeof(p),
					 "/sys/devices/system/cpu/cpu%u/cpuidle/state%u/residency",
					 cc->cpu, s->index);
				assert_int_equal(host_exists(&it.h, p), s->residency_us != NA_U64);
				if (s->residency_us != NA_U64 && j + 1 < cc->nstates &&
				    cc->state[j + 1].residency_us != NA_U64)
					assert_true(s->residency_us <= cc->state[j + 1].residency_us);
			}
		}
		if (states) {
			with_states++;
			assert_true(c.available);
		}
		cpuidle_free(&c);
	}
	assert_true(with_states >= 9);
}

static void crm_intel_idle(void **state)
{
	static const uint64_t lat[] = { 0, 2, 10, 133 }, res[] = { 0, 2, 20, 600 };
	struct host h;
	struct cpuidle c;
	OPEN_SHARED(&h, "crm-xeon-server-112cpu-isolated");
	read_present(&h, &c);
	assert_true(c.available);
	assert_string_equal(c.driver, "intel_idle");
	assert_string_equal(c.governor, "menu"); /* current_governor_ro */
	assert_int_equal(c.n, 112);
	for (size_t i = 0; i < c.n; i++) {
		assert_int_equal(c.cpu[i].nstates, 4);
		assert_int_equal(c.cpu[i].resume_latency_us, 0);
		for (size_t k = 0; k < 4; k++) {
			assert_int_equal(c.cpu[i].state[k].latency_us, lat[k]);
			assert_int_equal(c.cpu[i].state[k].residency_us, res[k]);
		}
	}
	const struct idle_state *s = &cpu_of(&c, 0)->state[3];
	assert_string_equal(s->name, "C6");
	assert_string_equal(s->default_status, "enabled");
	assert_int_equal(s->time_us, 18075336307ull);
	assert_int_equal(s->usage, 492588);
	assert_string_equal(cpu_of(&c, 0)->state[0].name, "POLL");
	cpuidle_free(&c);
	host_close(&h);
}

static void epyc_null_desc(void **state)
{
	struct host h;
	struct cpuidle c;
	OPEN_SHARED(&h, "ul-amd-epyc-7451-2s-96cpu");
	read_present(&h, &c);
	assert_string_equal(c.driver, "acpi_idle");
	assert_int_equal(c.n, 96);
	const struct cpuidle_cpu *c0 = cpu_of(&c, 0);
	assert_int_equal(c0->nstates, 3);
	assert_string_equal(c0->state[1].desc, "ACPI HLT");
	assert_string_equal(c0->state[2].name, "C2");
	assert_string_equal(c0->state[2].desc, ""); /* "<null>" */
	assert_int_equal(c0->state[2].latency_us, 100);
	assert_int_equal(c0->state[2].residency_us, 200);
	assert_int_equal(c0->state[2].time_us, 649512255968ull);
	assert_int_equal(cpu_of(&c, 7)->state[2].usage, 1412560846);
	cpuidle_free(&c);
	host_close(&h);
}

static void qcom_clusters(void **state)
{
	struct host h;
	struct cpuidle c;
	OPEN_SHARED(&h, "ul-arm-qcom-A510-A710-A715-X3");
	read_present(&h, &c);
	assert_true(c.available);
	assert_string_equal(c.driver, "psci_idle");
	assert_string_equal(c.governor, "qcom-cpu-lpm");
	assert_string_equal(c.available_governors, "menu teo qcom-cpu-lpm");
	assert_string_equal(cpu_of(&c, 0)->state[0].name, "WFI");
	assert_string_equal(cpu_of(&c, 0)->state[1].name, "silver-c4");
	assert_int_equal(cpu_of(&c, 0)->state[1].latency_us, 1300);
	assert_string_equal(cpu_of(&c, 3)->state[1].name, "gold-c4");
	assert_int_equal(cpu_of(&c, 3)->state[1].residency_us, 8136);
	assert_string_equal(cpu_of(&c, 7)->state[1].name, "gold-plus-c4");
	assert_int_equal(cpu_of(&c, 7)->state[1].latency_us, 1850);
	assert_int_equal(cpu_of(&c, 7)->state[1].residency_us, 7480);
	cpuidle_free(&c);
	host_close(&h);
}

static void u8500_padded(void **state)
{
	struct host h;
	struct cpuidle c;
	OPEN_SHARED(&h, "hwloc-arm-u8500-2cpu");
	read_present(&h, &c);
	assert_string_equal(c.driver, "cpuidle_driver");
	const struct cpuidle_cpu *c0 = cpu_of(&c, 0);
	assert_int_equal(c0->nstates, 7);
	assert_string_equal(c0->state[0].name, "C0");
	assert_string_equal(c0->state[0].desc, "Running");
	assert_string_equal(c0->state[3].desc, "ApIdle, ARM PLL off");
	assert_string_equal(c0->state[6].desc, "ApDeepsleep, UL PLL off");
	assert_int_equal(c0->state[5].latency_us, 8800);
	assert_true(c0->state[5].residency_us == NA_U64);
	assert_int_equal(c0->state[5].disabled, -1);
	assert_true(c0->resume_latency_us == NA_S64); /* no power/ on that kernel */
	cpuidle_free(&c);
	host_close(&h);
}

static void knc_no_residency(void **state)
{
	struct host h;
	struct cpuidle c;
	OPEN_SHARED(&h, "hwloc-xeon-e5-2680-2s-knc");
	read_present(&h, &c);
	assert_int_equal(c.n, 16);
	const struct cpuidle_cpu *c7 = cpu_of(&c, 7);
	assert_int_equal(c7->nstates, 4);
	assert_string_equal(c7->state[0].name, "C0");
	assert_int_equal(c7->state[1].latency_us, 3);
	assert_int_equal(c7->state[3].latency_us, 93);
	assert_true(c7->state[3].residency_us == NA_U64);
	assert_int_equal(c7->state[1].time_us, 133103819332ull);
	cpuidle_free(&c);
	host_close(&h);

	OPEN_SHARED(&h, "hwloc-xeon-e7-4870-4s-40cpu");
	read_present(&h, &c);
	assert_string_equal(cpu_of(&c, 0)->state[1].name, "NHM-C1");
	assert_int_equal(cpu_of(&c, 0)->state[1].latency_us, 3);
	assert_int_equal(cpu_of(&c, 0)->state[2].latency_us, 20);
	assert_int_equal(cpu_of(&c, 0)->state[3].latency_us, 200);
	cpuidle_free(&c);
	host_close(&h);
}

static void driver_none(void **state)
{
	struct host h;
	struct cpuidle c;
	OPEN_SHARED(&h, "ghw-kvm-skylake-offline-cpus");
	read_present(&h, &c);
	assert_false(c.available);
	assert_non_null(strstr(c.why, "none"));
	assert_string_equal(c.driver, "none");
	assert_string_equal(c.governor, "menu");
	assert_string_equal(c.available_governors, "menu haltpoll");
	/* the resume latency is read anyway */
	assert_int_equal(c.n, 4);
	for (unsigned cpu = 0; cpu < 4; cpu++) {
		assert_int_equal(cpu_of(&c, cpu)->resume_latency_us, 0);
		assert_int_equal(cpu_of(&c, cpu)->nstates, 0);
	}
	cpuidle_free(&c);
	host_close(&h);
}

static void no_cpuidle_dir(void **state)
{
	struct host h;
	struct cpuidle c;
	OPEN_SHARED(&h, "hwloc-power9-sparse-cpus-gpu");
	read_present(&h, &c);
	assert_false(c.available);
	assert_non_null(strstr(c.why, "/sys/devices/system/cpu/cpuidle"));
	assert_int_equal(c.n, 32);
	assert_string_equal(c.driver, "");
	cpuidle_free(&c);
	host_close(&h);
}

/* A temporary tree with only /dev/cpu_dma_latency. */
static void dma_latency_case(const void *data, size_t len, int64_t want, const char *why)
{
	char *dir = tree_new("idle");
	struct host h;
	struct cpuidle c;
	tree_dir(dir, "dev");
	if (data)
		tree_put_n(dir, "dev/cpu_dma_latency", data, len);
	assert_int_equal(host_open(&h, dir), 0);
	assert_int_equal(cpuidle_read(&h, NULL, &c), 0);
	assert_int_equal(c.cpu_dma_latency_us, want);
	if (why)
		assert_non_null(strstr(c.cpu_dma_latency_why, why));
	else
		assert_string_equal(c.cpu_dma_latency_why, "");
	/* no /sys at all */
	assert_false(c.available);
	assert_int_equal(c.n, 0);
	cpuidle_free(&c);
	host_close(&h);
	tree_free(dir);
}

static void dma_latency_forms(void **state)
{
	const unsigned char twenty[4] = { 20, 0, 0, 0 }, zero[4] = { 0, 0, 0, 0 };
	const unsigned char def[4] = { 0x00, 0x94, 0x35, 0x77 };
	dma_latency_case(twenty, 4, 20, NULL);
	dma_latency_case(zero, 4, 0, NULL);
	dma_latency_case(def, 4, CPU_DMA_LATENCY_DEFAULT, NULL);
	dma_latency_case("55\n", 3, 55, NULL);
	dma_latency_case("2000000000", 10, CPU_DMA_LATENCY_DEFAULT, NULL);
	dma_latency_case("\x01\x02\x03", 3, NA_S64, "unexpected");
	dma_latency_case("", 0, NA_S64, "unexpected");
	dma_latency_case("99999999999\n", 12, NA_S64, "unexpected");
	dma_latency_case(NULL, 0, NA_S64, "absent");
}

static void live_host(void **state)
{
	struct host h;
	struct cpuidle c;
	struct topology t;
	assert_int_equal(host_open(&h, "/"), 0);
	assert_int_equal(topology_read(&h, &t), 0);
	assert_int_equal(cpuidle_read(&h, &t.present, &c), 0);
	assert_int_equal(c.n, cpumask_weight(&t.present));
	if (c.available) {
		const struct cpuidle_cpu *cc = cpu_of(&c, (unsigned)cpumask_next(&t.online, -1));
		assert_true(cc->nstates >= 1);
		assert_true(cc->state[0].latency_us != NA_U64);
		assert_true(c.driver[0] != '\0');
	} else {
		assert_true(c.why[0] != '\0');
	}
	for (size_t i = 0; i < c.n; i++) {
		char p[TEST_PATH];
		snprintf(p, sizeof(p),
			 "/sys/devices/system/cpu/cpu%u/power/pm_qos_resume_latency_us",
			 c.cpu[i].cpu);
		if (host_exists(&h, p))
			assert_true(c.cpu[i].resume_latency_us != NA_S64);
	}
	if (c.cpu_dma_latency_us == NA_S64)
		assert_true(c.cpu_dma_latency_why[0] != '\0'); /* not root */
	else
		assert_true(c.cpu_dma_latency_us >= 0);
	cpuidle_free(&c);
	topology_free(&t);
	host_close(&h);
}

/* ---- cpuidle_refresh ---- */

static void put_state(const char *dir, unsigned cpu, unsigned k, const char *name,
		      const char *usage, const char *time)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%u/cpuidle/state%u/name", cpu, k);
	tree_put(dir, rel, name);
	snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%u/cpuidle/state%u/latency", cpu, k);
	tree_put(dir, rel, k ? "10\n" : "0\n");
	snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%u/cpuidle/state%u/usage", cpu, k);
	tree_put(dir, rel, usage);
	snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%u/cpuidle/state%u/time", cpu, k);
	tree_put(dir, rel, time);
}

static void rm_rel(const char *dir, const char *rel)
{
	char p[TEST_PATH];
	tpathf(p, "%s/%s", dir, rel);
	assert_int_equal(unlink(p), 0);
}

/* Counters move between cpuidle_read and cpuidle_refresh; names do not
 * (a changed name file is not read again), nor do new states appear. */
static void refresh_tree(void **state)
{
	char *dir = tree_new("idle-refresh");
	struct host h;
	struct cpuidle c;
	put_state(dir, 0, 0, "POLL\n", "10\n", "100\n");
	put_state(dir, 0, 1, "C1\n", "20\n", "200\n");
	put_state(dir, 1, 0, "POLL\n", "30\n", "300\n");
	put_state(dir, 1, 1, "C1\n", "40\n", "400\n");
	tree_put(dir, "sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us", "0\n");
	tree_put(dir, "sys/devices/system/cpu/cpu1/power/pm_qos_resume_latency_us", "n/a\n");
	tree_put(dir, "sys/devices/system/cpu/cpuidle/current_driver", "intel_idle\n");
	tree_put(dir, "dev/cpu_dma_latency", "100\n");
	assert_int_equal(host_open(&h, dir), 0);
	assert_int_equal(cpuidle_read(&h, NULL, &c), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.cpu[1].state[1].usage, 40);
	assert_int_equal(c.cpu[1].resume_latency_us, PMQOS_NA);
	assert_int_equal(c.cpu_dma_latency_us, 100);

	put_state(dir, 0, 0, "renamed\n", "11\n", "150\n");
	put_state(dir, 0, 1, "C1\n", "4294967303\n", "18075336307000\n");
	put_state(dir, 1, 1, "C1\n", "41\n", "401\n");
	put_state(dir, 1, 2, "C6\n", "50\n", "500\n");  /* new: not picked up */
	tree_put(dir, "sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us", "20\n");
	tree_put(dir, "sys/devices/system/cpu/cpu1/power/pm_qos_resume_latency_us", "0\n");
	tree_put(dir, "dev/cpu_dma_latency", "0\n");
	assert_int_equal(cpuidle_refresh(&h, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.cpu[0].state[0].name, "POLL");
	assert_int_equal(c.cpu[0].state[0].usage, 11);
	assert_int_equal(c.cpu[0].state[0].time_us, 150);
	assert_int_equal(c.cpu[0].state[1].usage, 4294967303ull);
	assert_int_equal(c.cpu[0].state[1].time_us, 18075336307000ull);
	assert_int_equal(c.cpu[1].state[0].usage, 30); /* unchanged */
	assert_int_equal(c.cpu[1].state[1].usage, 41);
	assert_int_equal(c.cpu[1].state[1].time_us, 401);
	assert_int_equal(c.cpu[1].nstates, 2);
	assert_int_equal(c.cpu[1].state[1].latency_us, 10);
	assert_int_equal(c.cpu[0].resume_latency_us, 20);
	assert_int_equal(c.cpu[1].resume_latency_us, PMQOS_NO_CONSTRAINT);
	assert_int_equal(c.cpu_dma_latency_us, 0);
	assert_string_equal(c.cpu_dma_latency_why, "");
	assert_true(c.available);
	assert_string_equal(c.driver, "intel_idle");

	/* Files gone: NA, never an error. */
	rm_rel(dir, "sys/devices/system/cpu/cpu1/cpuidle/state1/usage");
	rm_rel(dir, "sys/devices/system/cpu/cpu0/cpuidle/state0/time");
	rm_rel(dir, "sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us");
	rm_rel(dir, "dev/cpu_dma_latency");
	tree_put(dir, "sys/devices/system/cpu/cpu1/power/pm_qos_resume_latency_us", "junk\n");
	assert_int_equal(cpuidle_refresh(&h, &c), 0);
	assert_true(c.cpu[1].state[1].usage == NA_U64);
	assert_int_equal(c.cpu[1].state[1].time_us, 401);
	assert_int_equal(c.cpu[0].state[0].usage, 11);
	assert_true(c.cpu[0].state[0].time_us == NA_U64);
	assert_true(c.cpu[0].resume_latency_us == NA_S64);
	assert_true(c.cpu[1].resume_latency_us == NA_S64);
	assert_true(c.cpu_dma_latency_us == NA_S64);
	assert_non_null(strstr(c.cpu_dma_latency_why, "absent"));

	/* A whole CPU gone (hot-unplugged and its directory with it). */
	char p[TEST_PATH];
	tpathf(p, "%s/sys/devices/system/cpu/cpu1", dir);
	assert_int_equal(tree_rm(p), 0);
	tree_put(dir, "dev/cpu_dma_latency", "55\n");
	assert_int_equal(cpuidle_refresh(&h, &c), 0);
	assert_int_equal(c.n, 2);
	for (size_t k = 0; k < c.cpu[1].nstates; k++)
		assert_true(c.cpu[1].state[k].usage == NA_U64 &&
			    c.cpu[1].state[k].time_us == NA_U64);
	assert_string_equal(c.cpu[1].state[0].name, "POLL");
	assert_int_equal(c.cpu_dma_latency_us, 55);
	assert_string_equal(c.cpu_dma_latency_why, ""); /* the old why is gone */
	cpuidle_free(&c);

	/* nothing read: nothing to refresh */
	memset(&c, 0, sizeof(c));
	assert_int_equal(cpuidle_refresh(&h, &c), 0);
	assert_int_equal(c.cpu_dma_latency_us, 55);
	host_close(&h);
	tree_free(dir);
}

/* On an unchanged tree a refresh gives back exactly what the read gave. */
static void refresh_unchanged(void **state)
{
	static const char *const trees[] = { "intel-pstate-80cpu", "acpi-cpufreq-4cpu" };
	for (size_t t = 0; t < ARRAY_SIZE(trees); t++) {
		char root[TEST_PATH];
		struct host h;
		struct cpuidle a, b;
		tpathf(root, "%s/%s", FIXTURES, trees[t]);
		assert_int_equal(host_open(&h, root), 0);
		read_present(&h, &a);
		read_present(&h, &b);
		/* spoil b's counters: the refresh must put them back */
		for (size_t i = 0; i < b.n; i++) {
			b.cpu[i].resume_latency_us = 12345;
			for (size_t k = 0; k < b.cpu[i].nstates; k++)
				b.cpu[i].state[k].usage = b.cpu[i].state[k].time_us = 1;
		}
		b.cpu_dma_latency_us = 7;
		assert_int_equal(cpuidle_refresh(&h, &b), 0);
		assert_int_equal(a.n, b.n);
		assert_int_equal(a.cpu_dma_latency_us, b.cpu_dma_latency_us);
		assert_string_equal(a.cpu_dma_latency_why, b.cpu_dma_latency_why);
		for (size_t i = 0; i < a.n; i++) {
			assert_int_equal(a.cpu[i].nstates, b.cpu[i].nstates);
			assert_true(a.cpu[i].resume_latency_us == b.cpu[i].resume_latency_us);
			for (size_t k = 0; k < a.cpu[i].nstates; k++)
				assert_memory_equal(&a.cpu[i].state[k], &b.cpu[i].state[k],
						    sizeof(a.cpu[i].state[k]));
		}
		cpuidle_free(&a);
		cpuidle_free(&b);
		host_close(&h);
	}
}

/* This machine's counters only grow. */
static void refresh_live(void **state)
{
	struct host h;
	struct cpuidle c;
	need_cpuidle();
	assert_int_equal(host_open(&h, "/"), 0);
	assert_int_equal(cpuidle_read(&h, NULL, &c), 0);
	size_t total = 0, k = 0;
	for (size_t i = 0; i < c.n; i++)
		total += c.cpu[i].nstates;
	assert_true(total > 0);
	uint64_t *usage = calloc(total, sizeof(*usage)), *time = calloc(total, sizeof(*time));
	assert_non_null(usage);
	assert_non_null(time);
	for (size_t i = 0; i < c.n; i++)
		for (size_t j = 0; j < c.cpu[i].nstates; j++, k++) {
			usage[k] = c.cpu[i].state[j].usage;
			time[k] = c.cpu[i].state[j].time_us;
		}
	for (int round = 0; round < 3; round++) {
		usleep(20000);
		assert_int_equal(cpuidle_refresh(&h, &c), 0);
		k = 0;
		for (size_t i = 0; i < c.n; i++)
			for (size_t j = 0; j < c.cpu[i].nstates; j++, k++) {
				const struct idle_state *s = &c.cpu[i].state[j];
				if (usage[k] != NA_U64 && s->usage != NA_U64)
					assert_true(s->usage >= usage[k]);
				if (time[k] != NA_U64 && s->time_us != NA_U64)
					assert_true(s->time_us >= time[k]);
				usage[k] = s->usage;
				time[k] = s->time_us;
			}
	}
	free(usage);
	free(time);
	cpuidle_free(&c);
	host_close(&h);
}


/* ---- cpuidle_warm_method: which [pmqos] method = auto picks ---- */

static enum warm_method warm_of(const char *root, const char *cpus, char *why, size_t sz)
{
	struct host h;
	struct cpuidle c;
	struct cpumask m;
	assert_int_equal(host_open(&h, root), 0);
	cpumask_init(&m);
	assert_int_equal(cpulist_parse(cpus, &m), 0);
	assert_int_equal(cpuidle_read(&h, NULL, &c), 0);
	enum warm_method w = cpuidle_warm_method(&c, &m, why, sz);
	cpumask_free(&m);
	cpuidle_free(&c);
	host_close(&h);
	return w;
}

static void warm_shared_trees(void **state)
{
	char why[320];
	need_shared();
	/* intel_idle POLL C1 C1E C6: C6's 133 us is what the constraint avoids */
	assert_int_equal(warm_of(SHARED_HOSTS "/crm-xeon-server-112cpu-isolated", "1", why,
				 sizeof(why)), WARM_QOS);
	assert_non_null(strstr(why, "C6"));
	assert_non_null(strstr(why, "133 us"));
	/* acpi_idle POLL, C1 (0 us), C2 (100 us) */
	assert_int_equal(warm_of(SHARED_HOSTS "/ul-amd-epyc-7451-2s-96cpu", "0-3", why,
				 sizeof(why)), WARM_QOS);
	assert_non_null(strstr(why, "C2"));
	/* current_driver none: idle halts, no constraint avoids it */
	assert_int_equal(warm_of(SHARED_HOSTS "/ghw-kvm-skylake-offline-cpus", "1", why,
				 sizeof(why)), WARM_POLL);
	assert_non_null(strstr(why, "no cpuidle driver"));
	assert_int_equal(warm_of(SHARED_HOSTS "/pcp-vm-8cpu-4node", "0-7", why, sizeof(why)),
			 WARM_POLL);
	assert_int_equal(warm_of(FIXTURES "/intel-pstate-80cpu", "3", why, sizeof(why)), WARM_QOS);
}

/* A tree with one CPU: the driver, states (name:latency[:disabled]) and
 * optionally the command line. */
static char *warm_tree(const char *driver, const char *const *states, size_t n,
		       const char *cmdline, bool pmqos_file)
{
	char *dir = tree_new("warm");
	char rel[160], v[32];
	tree_put(dir, "sys/devices/system/cpu/cpuidle/current_driver", driver);
	if (pmqos_file)
		tree_put(dir, "sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us", "0\n");
	else
		tree_dir(dir, "sys/devices/system/cpu/cpu0");
	for (size_t k = 0; k < n; k++) {
		char name[32];
		unsigned lat = 0, dis = 0;
		assert_true(sscanf(states[k], "%31[^:]:%u:%u", name, &lat, &dis) >= 2);
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu0/cpuidle/state%zu/name", k);
		tree_put(dir, rel, name);
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu0/cpuidle/state%zu/latency", k);
		snprintf(v, sizeof(v), "%u\n", lat);
		tree_put(dir, rel, v);
		snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu0/cpuidle/state%zu/disable", k);
		snprintf(v, sizeof(v), "%u\n", dis);
		tree_put(dir, rel, v);
	}
	if (cmdline)
		tree_put(dir, "proc/cmdline", cmdline);
	return dir;
}

static void warm_case(const char *driver, const char *const *states, size_t n,
		      const char *cmdline, bool pmqos_file, enum warm_method want,
		      const char *why_part)
{
	char why[320] = "";
	char *dir = warm_tree(driver, states, n, cmdline, pmqos_file);
	enum warm_method got = warm_of(dir, "0", why, sizeof(why));
	if (got != want || !strstr(why, why_part))
		fprintf(stderr, "%s: got %s (%s), want %s\n", driver, warm_method_name(got), why,
			warm_method_name(want));
	assert_int_equal(got, want);
	assert_non_null(strstr(why, why_part));
	tree_free(dir);
}

static void warm_small_trees(void **state)
{
	static const char *haltpoll[] = { "POLL:0", "haltpoll:1" };
	static const char *shallow[] = { "POLL:0", "C1:0" };
	static const char *poll_only[] = { "POLL:0" };
	static const char *c6_off[] = { "POLL:0", "C1:0", "C6:133:1" };
	static const char *c6_on[] = { "POLL:0", "C1:0", "C6:133:0" };
	static const char *all_off[] = { "POLL:0", "C1:2:1" };
	/* haltpoll: its halt state has 1 us, which the constraint avoids */
	warm_case("haltpoll\n", haltpoll, 2, NULL, true, WARM_QOS, "haltpoll");
	/* only POLL and a 0 us C1: nothing to avoid, but idle halts */
	warm_case("acpi_idle\n", shallow, 2, NULL, true, WARM_POLL, "avoids nothing");
	/* a deep state disabled counts for nothing; enabled it does */
	warm_case("intel_idle\n", c6_off, 3, NULL, true, WARM_POLL, "avoids nothing");
	warm_case("intel_idle\n", c6_on, 3, NULL, true, WARM_QOS, "C6");
	/* a deep state but no pm_qos file: no constraint can act */
	warm_case("intel_idle\n", c6_on, 3, NULL, false, WARM_POLL, "no power/pm_qos");
	/* POLL only (the rest disabled): idle already polls */
	warm_case("acpi_idle\n", poll_only, 1, NULL, true, WARM_NONE, "already polls");
	warm_case("acpi_idle\n", all_off, 2, NULL, true, WARM_NONE, "already polls");
	/* idle=poll on the command line: whatever cpuidle says */
	warm_case("none\n", NULL, 0, "quiet idle=poll console=ttyS0\n", true, WARM_NONE,
		  "idle=poll");
	warm_case("none\n", NULL, 0, "quiet idle=halt\n", true, WARM_POLL, "no cpuidle driver");
}

/* The live host: whatever it has, the answer follows from what it reads. */
static void warm_live(void **state)
{
	struct host h;
	struct cpuidle c;
	struct cpumask m;
	char why[320] = "";
	assert_int_equal(host_open(&h, "/"), 0);
	assert_int_equal(cpuidle_read(&h, NULL, &c), 0);
	cpumask_init(&m);
	assert_int_equal(cpumask_set(&m, c.n > 1 ? c.cpu[1].cpu : 0), 0);
	enum warm_method w = cpuidle_warm_method(&c, &m, why, sizeof(why));
	assert_true(why[0] != '\0');
	fprintf(stderr, "# live host: %s: %s\n", warm_method_name(w), why);
	if (c.idle_poll)
		assert_int_equal(w, WARM_NONE);
	else if (!c.available)
		assert_int_equal(w, WARM_POLL); /* this VM: no cpuidle driver */
	else
		assert_true(w == WARM_QOS || w == WARM_POLL || w == WARM_NONE);
	cpumask_free(&m);
	cpuidle_free(&c);
	host_close(&h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(pmqos_values),
	cmocka_unit_test(intel_80cpu),
	cmocka_unit_test(acpi_4cpu),
	cmocka_unit_test(cpus_mask),
	cmocka_unit_test(shared_all),
	cmocka_unit_test(crm_intel_idle),
	cmocka_unit_test(epyc_null_desc),
	cmocka_unit_test(qcom_clusters),
	cmocka_unit_test(u8500_padded),
	cmocka_unit_test(knc_no_residency),
	cmocka_unit_test(driver_none),
	cmocka_unit_test(no_cpuidle_dir),
	cmocka_unit_test(dma_latency_forms),
	cmocka_unit_test(live_host),
	cmocka_unit_test(refresh_tree),
	cmocka_unit_test(refresh_unchanged),
	cmocka_unit_test(refresh_live),
	cmocka_unit_test(warm_shared_trees),
	cmocka_unit_test(warm_small_trees),
	cmocka_unit_test(warm_live),
};

RUN_TESTS(tests)
