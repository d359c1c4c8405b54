/* Unit tests: profiles (parser, validation, includes, listing, safety). */
#include "testutil.h"
#include "tune/profile.h"
#include "tune/window.h"

#include <limits.h>

#define GOOD FIXTURES "/profiles/good"
#define BAD FIXTURES "/profiles/bad"
#define SHIPPED SRCDIR "/profiles"

static int load_in(const char *dir, const char *name, struct profile *p, struct parse_error *err)
{
	const char *dirs[] = { dir };
	struct profile_opts o = { .dirs = dirs, .ndirs = 1 };
	return profile_load(name, &o, p, err);
}

/* A scratch directory holding one profile, t.profile, with text. */
struct scratch {
	char *root;
	char path[TEST_PATH];
};

static int load_text(struct scratch *s, const char *text, struct profile *p,
		     struct parse_error *err)
{
	s->root = tree_new("profile");
	tree_put(s->root, "t.profile", text);
	snprintf(s->path, sizeof(s->path), "%s/t.profile", s->root);
	return load_in(s->root, s->path, p, err);
}

static void scratch_free(struct scratch *s)
{
	assert_int_equal(tree_free(s->root), 0);
}

static void assert_cpus(const struct cpumask *m, const char *want)
{
	char *s = cpulist_str(m);
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void assert_src(const struct profile_src *src, const char *file, int line)
{
	assert_string_equal(src->file, file);
	assert_int_equal(src->line, line);
}

static void assert_num(const struct pnum *n, int64_t v, const char *file, int line)
{
	assert_true(n->set);
	assert_int_equal(n->v, v);
	assert_src(&n->src, file, line);
}

/* [agent] timer_slack_ns: ns bare, units taken, the line kept. */
static void timer_slack_key(void **state)
{
	const char *f = GOOD "/timer-slack.profile";
	struct profile p;
	struct parse_error err;
	assert_int_equal(load_in(GOOD, f, &p, &err), 0);
	assert_num(&p.timer_slack_ns, 50000, f, 5);
	profile_free(&p);
	/* unset in a profile that does not name it */
	assert_int_equal(load_in(GOOD, GOOD "/all-keys.profile", &p, &err), 0);
	assert_false(p.timer_slack_ns.set);
	profile_free(&p);
}

/* ---------- every key ---------- */

static void all_keys(void **state)
{
	const char *f = GOOD "/all-keys.profile";
	struct profile p;
	struct parse_error err;
	assert_int_equal(load_in(GOOD, f, &p, &err), 0);
	assert_string_equal(p.name, "all-keys");
	assert_string_equal(p.path, f);
	assert_string_equal(p.summary, "Every key once");
	assert_int_equal(p.chain.n, 1);
	assert_string_equal(p.chain.v[0], f);

	assert_int_equal(p.cpus.kind, CPUS_LIST);
	assert_cpus(&p.cpus.cpus, "2-3");
	assert_src(&p.cpus.src, f, 5);
	assert_int_equal(p.housekeeping.kind, CPUS_LIST);
	assert_cpus(&p.housekeeping.cpus, "0-1,4");

	assert_int_equal(p.nirq, 6);
	assert_int_equal(p.irq[0].sel, IRQSEL_ALL);
	assert_int_equal(p.irq[0].dest, IRQDEST_HOUSEKEEPING);
	assert_string_equal(p.irq[0].text, "all -> housekeeping");
	assert_src(&p.irq[0].src, f, 8);
	assert_int_equal(p.irq[1].sel, IRQSEL_CLASS);
	assert_string_equal(p.irq[1].arg, "nvme");
	assert_int_equal(p.irq[1].dest, IRQDEST_AGENT_NODE);
	assert_int_equal(p.irq[2].sel, IRQSEL_INTERFACE);
	assert_string_equal(p.irq[2].arg, "eth0");
	assert_int_equal(p.irq[2].dest, IRQDEST_NUMA_LOCAL);
	assert_int_equal(p.irq[3].sel, IRQSEL_PCI);
	assert_string_equal(p.irq[3].arg, "0000:03:00.0");
	assert_int_equal(p.irq[3].dest, IRQDEST_CPUS);
	assert_cpus(&p.irq[3].cpus, "0-1");
	assert_int_equal(p.irq[4].sel, IRQSEL_NAME);
	assert_string_equal(p.irq[4].arg, "mlx5_comp*");
	assert_int_equal(p.irq[5].sel, IRQSEL_IRQ);
	assert_string_equal(p.irq[5].arg, "42");
	assert_cpus(&p.irq[5].cpus, "5");
	assert_src(&p.irq[5].src, f, 13);

	assert_num(&p.netdev_budget, 600, f, 15);
	assert_num(&p.netdev_budget_usecs, 4000, f, 16);
	assert_num(&p.busy_poll, 50, f, 17);
	assert_num(&p.busy_read, 100, f, 18);
	assert_true(p.interfaces_set);
	assert_false(p.interfaces_auto);
	assert_int_equal(p.interfaces.n, 2);
	assert_string_equal(p.interfaces.v[0], "eth0");
	assert_string_equal(p.interfaces.v[1], "eth1");
	assert_src(&p.interfaces_src, f, 19);
	assert_num(&p.defer_hard_irqs, 2, f, 20);
	assert_num(&p.gro_flush_timeout_ns, 200000, f, 21);

	assert_int_equal(p.pmqos_mode, PMQOS_MODE_STATIC);
	assert_src(&p.pmqos_mode_src, f, 23);
	assert_num(&p.resume_latency_us, 20, f, 24);
	assert_int_equal(p.min_freq_kind, FREQ_KHZ);
	assert_int_equal(p.min_freq, 2400000);
	assert_src(&p.min_freq_src, f, 25);

	assert_true(p.cgroup_name_set);
	assert_string_equal(p.cgroup_name, "agents.v1");
	assert_src(&p.cgroup_name_src, f, 27);
	assert_num(&p.cpu_weight, 500, f, 28);
	assert_num(&p.cpu_max_quota_us, 50000, f, 29);
	assert_num(&p.cpu_max_period_us, 100000, f, 29);
	assert_int_equal(p.cpuset.kind, CPUS_LIST);
	assert_cpus(&p.cpuset.cpus, "2-3");
	assert_num(&p.uclamp_min, 1250, f, 31);
	assert_num(&p.isolate, 1, f, 32);
	profile_free(&p);
	/* Freed twice is harmless: profile_free leaves an empty profile. */
	profile_free(&p);
	assert_int_equal(p.nirq, 0);
}

/* What a profile that sets nothing holds. */
static void defaults(void **state)
{
	struct scratch s;
	struct profile p;
	struct parse_error err;
	assert_int_equal(load_text(&s, "# nothing\n[main]\nsummary = empty\n", &p, &err), 0);
	assert_int_equal(p.cpus.kind, CPUS_UNSET);
	assert_int_equal(p.housekeeping.kind, CPUS_UNSET);
	assert_int_equal(p.cpuset.kind, CPUS_UNSET);
	assert_int_equal(p.nirq, 0);
	assert_null(p.irq);
	assert_false(p.busy_poll.set);
	assert_false(p.gro_flush_timeout_ns.set);
	assert_false(p.interfaces_set);
	assert_int_equal(p.pmqos_mode, PMQOS_MODE_UNSET);
	assert_int_equal(p.min_freq_kind, FREQ_UNSET);
	assert_false(p.resume_latency_us.set);
	assert_false(p.window_ms.set);
	assert_false(p.budget_tokens.set);
	assert_false(p.refill_per_s.set);
	assert_false(p.cost_per_window.set);
	assert_int_equal(p.window_ms.v, 0);
	assert_false(p.cgroup_name_set);
	assert_string_equal(p.cgroup_name, "agentune");
	assert_false(p.cpu_weight.set);
	assert_false(p.cpu_max_quota_us.set);
	assert_false(p.uclamp_min.set);
	assert_false(p.isolate.set);
	assert_string_equal(p.name, "t");
	profile_free(&p);
	scratch_free(&s);
}

static void formats(void **state)
{
	const char *f = GOOD "/formats.profile";
	struct profile p;
	struct parse_error err;
	assert_int_equal(load_in(GOOD, f, &p, &err), 0);
	assert_string_equal(p.summary, "Formats inih accepts");
	assert_num(&p.busy_poll, 2000, f, 8);
	assert_num(&p.busy_read, 1000000, f, 16);
	assert_int_equal(p.pmqos_mode, PMQOS_MODE_OFF);
	assert_int_equal(p.min_freq_kind, FREQ_PERCENT);
	assert_int_equal(p.min_freq, 80);
	profile_free(&p);
}

/* One value of one key, and what it becomes. */
struct form {
	const char *section, *line;
	size_t off;          /* offsetof the struct pnum in struct profile */
	int64_t want;
};

#define PN(field) offsetof(struct profile, field)

static const struct form forms[] = {
	{ "napi", "busy_poll = 0", PN(busy_poll), 0 },
	{ "napi", "busy_poll = 1000ns", PN(busy_poll), 1 },
	{ "napi", "busy_poll = 3ms", PN(busy_poll), 3000 },
	{ "napi", "busy_poll = 10s", PN(busy_poll), 10000000 },
	{ "napi", "busy_read = 7 us", PN(busy_read), 7 },
	{ "napi", "busy_read = 5\xc2\xb5s", PN(busy_read), 5 },
	{ "napi", "netdev_budget = 1", PN(netdev_budget), 1 },
	{ "napi", "netdev_budget = 1000000", PN(netdev_budget), 1000000 },
	{ "napi", "netdev_budget_usecs = 8000", PN(netdev_budget_usecs), 8000 },
	{ "napi", "netdev_budget_usecs = 1s", PN(netdev_budget_usecs), 1000000 },
	{ "napi", "defer_hard_irqs = 0", PN(defer_hard_irqs), 0 },
	{ "napi", "defer_hard_irqs = 2147483647", PN(defer_hard_irqs), 2147483647 },
	{ "napi", "gro_flush_timeout = 1500", PN(gro_flush_timeout_ns), 1500 },
	{ "napi", "gro_flush_timeout = 1500ns", PN(gro_flush_timeout_ns), 1500 },
	{ "napi", "gro_flush_timeout = 20us", PN(gro_flush_timeout_ns), 20000 },
	{ "napi", "gro_flush_timeout = 10s", PN(gro_flush_timeout_ns), 10000000000LL },
	{ "pmqos", "resume_latency_us = n/a", PN(resume_latency_us), -1 },
	{ "pmqos", "resume_latency_us = 0", PN(resume_latency_us), 0 },
	{ "pmqos", "resume_latency_us = 2ms", PN(resume_latency_us), 2000 },
	{ "pmqos", "resume_latency_us = 2147483646", PN(resume_latency_us), 2147483646 },
	{ "pmqos", "window_ms = 1", PN(window_ms), 1 },
	{ "pmqos", "window_ms = 20", PN(window_ms), 20 },
	{ "pmqos", "window_ms = 20ms", PN(window_ms), 20 },
	{ "pmqos", "window_ms = 5 ms", PN(window_ms), 5 },
	{ "pmqos", "window_ms = 1000us", PN(window_ms), 1 },
	{ "pmqos", "window_ms = 3000000ns", PN(window_ms), 3 },
	{ "pmqos", "window_ms = 2s", PN(window_ms), 2000 },
	{ "pmqos", "window_ms = 60s", PN(window_ms), 60000 },
	{ "pmqos", "window_ms = 60000", PN(window_ms), 60000 },
	{ "pmqos", "budget_tokens = 1", PN(budget_tokens), 1 },
	{ "pmqos", "budget_tokens = 1000000000", PN(budget_tokens), 1000000000 },
	{ "pmqos", "refill_per_s = 0", PN(refill_per_s), 0 },
	{ "pmqos", "refill_per_s = 1000000", PN(refill_per_s), 1000000 },
	{ "pmqos", "cost_per_window = 1", PN(cost_per_window), 1 },
	/* The most a window can cost against the default budget of 1000. */
	{ "pmqos", "cost_per_window = 1000", PN(cost_per_window), 1000 },
	{ "cgroup", "cpu_weight = 1", PN(cpu_weight), 1 },
	{ "cgroup", "cpu_weight = 10000", PN(cpu_weight), 10000 },
	{ "cgroup", "cpu_max = max", PN(cpu_max_quota_us), -1 },
	{ "cgroup", "cpu_max = max", PN(cpu_max_period_us), 100000 },
	{ "cgroup", "cpu_max = max 50ms", PN(cpu_max_period_us), 50000 },
	{ "cgroup", "cpu_max = 20000", PN(cpu_max_quota_us), 20000 },
	{ "cgroup", "cpu_max = 20000", PN(cpu_max_period_us), 100000 },
	{ "cgroup", "cpu_max = 1ms 1ms", PN(cpu_max_quota_us), 1000 },
	{ "cgroup", "cpu_max = 2s 1s", PN(cpu_max_quota_us), 2000000 },
	{ "cgroup", "cpu_max = 2s 1s", PN(cpu_max_period_us), 1000000 },
	{ "cgroup", "uclamp_min = 0", PN(uclamp_min), 0 },
	{ "cgroup", "uclamp_min = 100", PN(uclamp_min), 10000 },
	{ "cgroup", "uclamp_min = 100.00", PN(uclamp_min), 10000 },
	{ "cgroup", "uclamp_min = max", PN(uclamp_min), 10000 },
	{ "cgroup", "uclamp_min = 50.5", PN(uclamp_min), 5050 },
	{ "cgroup", "uclamp_min = 12.25%", PN(uclamp_min), 1225 },
	{ "cgroup", "isolate = no", PN(isolate), 0 },
	{ "cgroup", "isolate = true", PN(isolate), 1 },
	{ "cgroup", "isolate = False", PN(isolate), 0 },
	{ "cgroup", "isolate = 1", PN(isolate), 1 },
	{ "cgroup", "isolate = 0", PN(isolate), 0 },
};

static void value_forms(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		char text[256];
		snprintf(text, sizeof(text), "[%s]\n%s\n", forms[i].section, forms[i].line);
		struct scratch s;
		struct profile p;
		struct parse_error err;
		int rc = load_text(&s, text, &p, &err);
		if (rc)
			fprintf(stderr, "%s: %s\n", forms[i].line, err.msg);
		assert_int_equal(rc, 0);
		const struct pnum *n = (const struct pnum *)((const char *)&p + forms[i].off);
		if (n->v != forms[i].want)
			fprintf(stderr, "%s: %lld\n", forms[i].line, (long long)n->v);
		assert_num(n, forms[i].want, s.path, 2);
		profile_free(&p);
		scratch_free(&s);
	}
}

/* min_freq, cpus and interfaces, which are not plain numbers. */
static void other_forms(void **state)
{
	static const struct {
		const char *value;
		enum freq_kind kind;
		uint64_t v;
	} freqs[] = {
		{ "max", FREQ_MAX, 0 },       { "0%", FREQ_PERCENT, 0 },
		{ "100%", FREQ_PERCENT, 100 }, { "1800000", FREQ_KHZ, 1800000 },
		{ "800kHz", FREQ_KHZ, 800 },  { "1800 MHz", FREQ_KHZ, 1800000 },
		{ "2.4 GHz", FREQ_KHZ, 2400000 }, { "1.5ghz", FREQ_KHZ, 1500000 },
		{ "3.25MHz", FREQ_KHZ, 3250 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(freqs); i++) {
		char text[128];
		snprintf(text, sizeof(text), "[pmqos]\nmin_freq = %s\n", freqs[i].value);
		struct scratch s;
		struct profile p;
		struct parse_error err;
		assert_int_equal(load_text(&s, text, &p, &err), 0);
		assert_int_equal(p.min_freq_kind, freqs[i].kind);
		assert_int_equal(p.min_freq, freqs[i].v);
		assert_src(&p.min_freq_src, s.path, 2);
		profile_free(&p);
		scratch_free(&s);
	}

	struct scratch s;
	struct profile p;
	struct parse_error err;
	assert_int_equal(load_text(&s, "[agent]\ncpus = auto\nhousekeeping = 0 1 2\n"
				       "[napi]\ninterfaces = auto\n[cgroup]\ncpuset = auto\n"
				       "name = A_b-9\n",
				   &p, &err),
			 0);
	assert_int_equal(p.cpus.kind, CPUS_AUTO);
	assert_src(&p.cpus.src, s.path, 2);
	assert_int_equal(p.housekeeping.kind, CPUS_LIST);
	assert_cpus(&p.housekeeping.cpus, "0-2");
	assert_true(p.interfaces_set);
	assert_true(p.interfaces_auto);
	assert_int_equal(p.interfaces.n, 0);
	assert_int_equal(p.cpuset.kind, CPUS_AUTO);
	assert_string_equal(p.cgroup_name, "A_b-9");
	profile_free(&p);
	scratch_free(&s);

	/* A name pattern may hold spaces and "->"; the last arrow splits. */
	assert_int_equal(load_text(&s, "[irq]\nmove = name:PCIe PME->x -> 1,3\n", &p, &err), 0);
	assert_int_equal(p.nirq, 1);
	assert_int_equal(p.irq[0].sel, IRQSEL_NAME);
	assert_string_equal(p.irq[0].arg, "PCIe PME->x");
	assert_cpus(&p.irq[0].cpus, "1,3");
	assert_string_equal(p.irq[0].text, "name:PCIe PME->x -> 1,3");
	profile_free(&p);
	scratch_free(&s);
}

/* ---------- invalid profiles ---------- */

struct bad_profile {
	const char *name;
	int line;
	const char *msg;      /* a part of err.msg */
};

static const struct bad_profile bads[] = {
	{ "unknown-section", 4, "unknown section [foo]" },
	{ "unknown-key", 3, "[napi] busy_pol: unknown key" },
	{ "key-outside-section", 2, "outside any section" },
	{ "not-key-value", 3, "not a 'key = value' line" },
	{ "section-unclosed", 2, "not a 'key = value' line" },
	{ "duplicate-key", 5, "[napi] busy_poll given twice (lines 3 and 5)" },
	{ "include-twice", 4, "include given twice (lines 3 and 4)" },
	{ "empty-value", 3, "[main] summary: empty value" },
	{ "indented-continuation", 4, "indented line" },
	{ "pmqos-mode", 3, "[pmqos] mode = 'fast': unknown mode (off, static or window)" },
	{ "busy-poll-word", 3, "[napi] busy_poll = 'abc': not a duration (use e.g. 50us)" },
	{ "busy-poll-fraction", 3, "not a whole number of microseconds" },
	{ "busy-poll-range", 3, "out of range (0..10s)" },
	{ "busy-read-unit", 3, "[napi] busy_read = '5min': not a duration" },
	{ "netdev-budget-zero", 3, "[napi] netdev_budget = '0': out of range (1..1000000)" },
	{ "netdev-budget-negative", 3, "not a whole number" },
	{ "netdev-budget-usecs-zero", 3, "out of range (1us..10s)" },
	{ "defer-hard-irqs-range", 3, "out of range (0..2147483647)" },
	{ "gro-flush-timeout-range", 3, "[napi] gro_flush_timeout = '60s': out of range (0..10s)" },
	{ "interfaces-name", 3, "'eth/1' is not an interface name" },
	{ "interfaces-long", 3, "is not an interface name" },
	{ "interfaces-auto-mixed", 3, "auto stands alone" },
	{ "interfaces-twice", 3, "eth0 listed twice" },
	{ "cpus-syntax", 3, "[agent] cpus = '0-3x': not a CPU list" },
	{ "cpus-empty", 3, "empty CPU list" },
	{ "housekeeping-reversed", 3, "[agent] housekeeping = '3-1': not a CPU list" },
	{ "irq-no-arrow", 3, "not 'SELECTOR -> TARGET'" },
	{ "irq-selector", 3, "unknown selector 'bus:usb'" },
	{ "irq-class", 3, "unknown class 'wifi' (net, nvme, storage, gpu, other)" },
	{ "irq-interface", 3, "'eth 0' is not an interface name" },
	{ "irq-pci", 3, "'00:1f.2' is not a PCI address" },
	{ "irq-pattern", 3, "empty name pattern" },
	{ "irq-number", 3, "'12a' is not an IRQ number" },
	{ "irq-target", 3, "unknown target 'elsewhere'" },
	{ "irq-target-empty", 3, "empty CPU list" },
	{ "resume-latency-word", 3, "[pmqos] resume_latency_us = 'none': neither n/a nor a duration" },
	{ "resume-latency-range", 3, "out of range (n/a or 0..2147483646us)" },
	{ "min-freq-percent", 3, "[pmqos] min_freq = '120%': out of range (0%..100%)" },
	{ "min-freq-zero", 3, "out of range (1kHz..100GHz)" },
	{ "min-freq-unit", 3, "not a frequency" },
	{ "min-freq-fraction", 3, "not a frequency" },
	{ "pmqos-window", 5, "[pmqos] cost_per_window = 10 is larger than budget_tokens = 5: "
			     "no window could ever open" },
	{ "pmqos-window-ms", 4, "[pmqos] window_ms = '1500us': not a whole number of milliseconds" },
	{ "pmqos-budget-tokens", 4, "[pmqos] budget_tokens = '0': out of range (1..1000000000)" },
	{ "cgroup-name-slash", 3, "[cgroup] name = 'a/b': not a cgroup name" },
	{ "cgroup-name-dotdot", 3, "not a cgroup name" },
	{ "cpu-weight-range", 3, "[cgroup] cpu_weight = '10001': out of range (1..10000)" },
	{ "cpu-max-words", 3, "not 'max', 'max PERIOD', 'QUOTA' or 'QUOTA PERIOD'" },
	{ "cpu-max-quota", 3, "out of range (quota 1ms..1000s)" },
	{ "cpu-max-period", 3, "out of range (period 1ms..1s)" },
	{ "cpuset-syntax", 3, "[cgroup] cpuset = 'all': not a CPU list or auto" },
	{ "uclamp-range", 3, "out of range (0..100)" },
	{ "timer-slack-zero", 3, "[agent] timer_slack_ns = '0': 0 would reset each thread to its "
				 "default slack, not remove it: use 1ns for the least slack" },
	{ "timer-slack-word", 3, "[agent] timer_slack_ns = 'soon': not a duration" },
	{ "timer-slack-range", 3, "[agent] timer_slack_ns = '2s': out of range (1ns..1s)" },
	{ "timer-slack-unit", 3, "[agent] timer_slack_ns = '1.5us': not a duration" },
	{ "uclamp-decimals", 3, "not a percentage (0..100 with up to 2 decimals, or max)" },
	{ "isolate-word", 3, "[cgroup] isolate = 'maybe': not yes or no" },
	{ "summary-long-line", 3, "line too long" },
	{ "include-missing", 3, "include = no-such-profile: no profile named 'no-such-profile'" },
	{ "include-missing-file", 3, "no-such.profile: No such file or directory" },
	{ "include-self", 3, "include cycle: include-self.profile includes include-self.profile" },
};

/* Fixtures checked by tests of their own. */
static const char *const bad_elsewhere[] = { "cycle-a", "cycle-b", "include-bad" };

static void bad_fixtures(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(bads); i++) {
		char path[TEST_PATH];
		snprintf(path, sizeof(path), BAD "/%s.profile", bads[i].name);
		struct profile p;
		struct parse_error err;
		int rc = load_in(BAD, path, &p, &err);
		if (rc != -EINVAL && rc != -ENOENT)
			fprintf(stderr, "%s: rc %d\n", bads[i].name, rc);
		if (!strstr(err.msg, bads[i].msg) || err.line != bads[i].line)
			fprintf(stderr, "%s: line %d: %s\n", bads[i].name, err.line, err.msg);
		assert_int_equal(rc, strstr(bads[i].name, "include-missing") ? -ENOENT : -EINVAL);
		assert_parse_error(-EINVAL, &err, path, bads[i].line, bads[i].msg);
		/* Nothing is left behind. */
		assert_int_equal(p.nirq, 0);
		assert_null(p.irq);
		assert_int_equal(p.chain.n, 0);
		profile_free(&p);
	}

	/* Every file in bad/ is one of the cases above. */
	DIR *d = opendir(BAD);
	assert_non_null(d);
	struct dirent *de;
	size_t files = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		files++;
		bool known = false;
		for (size_t i = 0; i < ARRAY_SIZE(bads) && !known; i++)
			known = !strncmp(de->d_name, bads[i].name, strlen(bads[i].name)) &&
				!strcmp(de->d_name + strlen(bads[i].name), ".profile");
		for (size_t i = 0; i < ARRAY_SIZE(bad_elsewhere) && !known; i++)
			known = !strncmp(de->d_name, bad_elsewhere[i], strlen(bad_elsewhere[i]));
		if (!known)
			fprintf(stderr, "untested fixture %s\n", de->d_name);
		assert_true(known);
	}
	closedir(d);
	assert_int_equal(files, ARRAY_SIZE(bads) + ARRAY_SIZE(bad_elsewhere));
}

/* The messages people read, whole. */
static void bad_messages(void **state)
{
	struct profile p;
	struct parse_error err;
	assert_int_equal(load_in(BAD, BAD "/busy-poll-word.profile", &p, &err), -EINVAL);
	assert_string_equal(err.msg, "[napi] busy_poll = 'abc': not a duration (use e.g. 50us)");
	assert_int_equal(load_in(BAD, BAD "/pmqos-mode.profile", &p, &err), -EINVAL);
	assert_string_equal(err.msg, "[pmqos] mode = 'fast': unknown mode (off, static or window)");
	assert_int_equal(load_in(BAD, BAD "/duplicate-key.profile", &p, &err), -EINVAL);
	assert_string_equal(err.msg, "[napi] busy_poll given twice (lines 3 and 5)");
	assert_int_equal(load_in(BAD, BAD "/unknown-key.profile", &p, &err), -EINVAL);
	assert_string_equal(err.msg, "[napi] busy_pol: unknown key (netdev_budget, "
				     "netdev_budget_usecs, busy_poll, busy_read, interfaces, "
				     "defer_hard_irqs, gro_flush_timeout)");
	char buf[512];
	perr_format(&err, buf, sizeof(buf));
	assert_string_equal(buf, BAD "/unknown-key.profile line 3: [napi] busy_pol: unknown key "
				 "(netdev_budget, netdev_budget_usecs, busy_poll, busy_read, "
				 "interfaces, defer_hard_irqs, gro_flush_timeout)");
}

/* The first error in file order. */
static void error_order(void **state)
{
	/* A bad value before an unknown key: the bad value is reported. */
	struct scratch s;
	struct profile p;
	struct parse_error err;
	assert_parse_error(load_text(&s, "[napi]\nbusy_poll = x\nnope = 1\n", &p, &err), &err,
			   s.path, 2, "not a duration");
	scratch_free(&s);
	/* An inih syntax error before a bad value: the syntax error. */
	assert_parse_error(load_text(&s, "[napi]\njunk\nbusy_poll = x\n", &p, &err), &err,
			   s.path, 2, "not a 'key = value' line");
	scratch_free(&s);
	/* A bad window key before a cost larger than the budget: the bad key. */
	assert_parse_error(load_text(&s, "[pmqos]\nbudget_tokens = 3\ncost_per_window = 5\n"
					 "window_ms = 0\n", &p, &err),
			   &err, s.path, 4, "[pmqos] window_ms = '0': out of range");
	scratch_free(&s);
}

/* ---------- the window controller's keys ---------- */

static void window_all_keys(void **state)
{
	struct scratch s;
	struct profile p;
	struct parse_error err;
	int rc = load_text(&s, "[main]\nsummary = window\n[pmqos]\nmode = window\n"
			       "resume_latency_us = n/a\nmin_freq = max\nwindow_ms = 5ms\n"
			       "budget_tokens = 1000000000\nrefill_per_s = 1000000\n"
			       "cost_per_window = 1000000\n",
			   &p, &err);
	if (rc)
		fprintf(stderr, "line %d: %s\n", err.line, err.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(p.pmqos_mode, PMQOS_MODE_WINDOW);
	assert_src(&p.pmqos_mode_src, s.path, 4);
	assert_num(&p.resume_latency_us, -1, s.path, 5);
	assert_int_equal(p.min_freq_kind, FREQ_MAX);
	assert_num(&p.window_ms, 5, s.path, 7);
	assert_num(&p.budget_tokens, 1000000000, s.path, 8);
	assert_num(&p.refill_per_s, 1000000, s.path, 9);
	assert_num(&p.cost_per_window, 1000000, s.path, 10);
	profile_free(&p);
	scratch_free(&s);

	/* The mode alone: every window key unset, for window.h's defaults. */
	assert_int_equal(load_text(&s, "[pmqos]\nmode = window\n", &p, &err), 0);
	assert_int_equal(p.pmqos_mode, PMQOS_MODE_WINDOW);
	assert_false(p.window_ms.set || p.budget_tokens.set || p.refill_per_s.set ||
		     p.cost_per_window.set);
	/* No method: unset, which the plan takes as auto. */
	assert_int_equal(p.pmqos_method, PMQOS_METHOD_UNSET);
	profile_free(&p);
	scratch_free(&s);

	/* Each method, with its line. */
	static const struct {
		const char *v;
		enum pmqos_method m;
	} methods[] = { { "auto", PMQOS_METHOD_AUTO }, { "qos", PMQOS_METHOD_QOS },
			{ "poll", PMQOS_METHOD_POLL } };
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++) {
		char text[96];
		snprintf(text, sizeof(text), "[pmqos]\nmode = static\nmethod = %s\n", methods[i].v);
		assert_int_equal(load_text(&s, text, &p, &err), 0);
		assert_int_equal(p.pmqos_method, methods[i].m);
		assert_int_equal(p.pmqos_method_src.line, 3);
		assert_string_equal(pmqos_method_name(p.pmqos_method), methods[i].v);
		profile_free(&p);
		scratch_free(&s);
	}

	/* The window keys are [pmqos] keys like the others. */
	assert_parse_error(load_text(&s, "[pmqos]\nwindow_ms = 5\nwindow_ms = 6\n", &p, &err),
			   &err, s.path, 3, "[pmqos] window_ms given twice (lines 2 and 3)");
	scratch_free(&s);
	assert_parse_error(load_text(&s, "[napi]\nwindow_ms = 5\n", &p, &err), &err, s.path, 2,
			   "[napi] window_ms: unknown key");
	scratch_free(&s);
	assert_parse_error(load_text(&s, "[pmqos]\nwindow = 5\n", &p, &err), &err, s.path, 2,
			   "[pmqos] window: unknown key (mode, method, resume_latency_us, min_freq, "
			   "window_ms, budget_tokens, refill_per_s, cost_per_window)");
	scratch_free(&s);
	assert_parse_error(load_text(&s, "[pmqos]\nbudget_tokens =\n", &p, &err), &err, s.path, 2,
			   "[pmqos] budget_tokens: empty value");
	scratch_free(&s);
}

/* One bad value of one key, and the whole message. */
static const struct {
	const char *line, *msg;
} window_bads[] = {
	{ "mode = fast", "[pmqos] mode = 'fast': unknown mode (off, static or window)" },
	{ "mode = Window", "[pmqos] mode = 'Window': unknown mode (off, static or window)" },
	{ "mode = windowed", "[pmqos] mode = 'windowed': unknown mode (off, static or window)" },
	{ "method = spin", "[pmqos] method = 'spin': unknown method (auto, qos or poll)" },
	{ "method = Poll", "[pmqos] method = 'Poll': unknown method (auto, qos or poll)" },
	{ "method = qos poll", "[pmqos] method = 'qos poll': unknown method (auto, qos or poll)" },
	{ "window_ms = 0", "[pmqos] window_ms = '0': out of range (1ms..60s)" },
	{ "window_ms = 0ms", "[pmqos] window_ms = '0ms': out of range (1ms..60s)" },
	{ "window_ms = 60001", "[pmqos] window_ms = '60001': out of range (1ms..60s)" },
	{ "window_ms = 61s", "[pmqos] window_ms = '61s': out of range (1ms..60s)" },
	{ "window_ms = 99999999999999", "[pmqos] window_ms = '99999999999999': out of range "
					"(1ms..60s)" },
	{ "window_ms = 1500us", "[pmqos] window_ms = '1500us': not a whole number of "
				"milliseconds" },
	{ "window_ms = 500us", "[pmqos] window_ms = '500us': not a whole number of milliseconds" },
	{ "window_ms = 20000001ns", "[pmqos] window_ms = '20000001ns': not a whole number of "
				    "milliseconds" },
	{ "window_ms = 2.5ms", "[pmqos] window_ms = '2.5ms': not a duration (use e.g. 20ms)" },
	{ "window_ms = 1.5", "[pmqos] window_ms = '1.5': not a duration (use e.g. 20ms)" },
	{ "window_ms = -5", "[pmqos] window_ms = '-5': not a duration (use e.g. 20ms)" },
	{ "window_ms = 20 min", "[pmqos] window_ms = '20 min': not a duration (use e.g. 20ms)" },
	{ "window_ms = 20MS", "[pmqos] window_ms = '20MS': not a duration (use e.g. 20ms)" },
	{ "window_ms = fast", "[pmqos] window_ms = 'fast': not a duration (use e.g. 20ms)" },
	{ "window_ms = 99999999999999999999", "[pmqos] window_ms = '99999999999999999999': not "
					      "a duration (use e.g. 20ms)" },
	{ "window_ms = 100000000000s", "[pmqos] window_ms = '100000000000s': too large" },
	{ "budget_tokens = 0", "[pmqos] budget_tokens = '0': out of range (1..1000000000)" },
	{ "budget_tokens = 1000000001", "[pmqos] budget_tokens = '1000000001': out of range "
					"(1..1000000000)" },
	{ "budget_tokens = 1e3", "[pmqos] budget_tokens = '1e3': not a whole number" },
	{ "budget_tokens = -1", "[pmqos] budget_tokens = '-1': not a whole number" },
	{ "budget_tokens = +5", "[pmqos] budget_tokens = '+5': not a whole number" },
	{ "budget_tokens = lots", "[pmqos] budget_tokens = 'lots': not a whole number" },
	{ "budget_tokens = 99999999999999999999", "[pmqos] budget_tokens = "
						  "'99999999999999999999': not a whole number" },
	{ "refill_per_s = 1000001", "[pmqos] refill_per_s = '1000001': out of range (0..1000000)" },
	{ "refill_per_s = 2.5", "[pmqos] refill_per_s = '2.5': not a whole number" },
	{ "refill_per_s = 30/s", "[pmqos] refill_per_s = '30/s': not a whole number" },
	{ "refill_per_s = -1", "[pmqos] refill_per_s = '-1': not a whole number" },
	{ "cost_per_window = 0", "[pmqos] cost_per_window = '0': out of range (1..1000000)" },
	{ "cost_per_window = 1000001", "[pmqos] cost_per_window = '1000001': out of range "
				       "(1..1000000)" },
	{ "cost_per_window = 1.0", "[pmqos] cost_per_window = '1.0': not a whole number" },
	{ "cost_per_window = x", "[pmqos] cost_per_window = 'x': not a whole number" },
};

static void window_bad_values(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(window_bads); i++) {
		char text[256];
		snprintf(text, sizeof(text), "[main]\nsummary = w\n[pmqos]\nmin_freq = max\n%s\n",
			 window_bads[i].line);
		struct scratch s;
		struct profile p;
		struct parse_error err;
		int rc = load_text(&s, text, &p, &err);
		if (rc != -EINVAL || err.line != 5 || strcmp(err.msg, window_bads[i].msg))
			fprintf(stderr, "%s: rc %d line %d: %s\n", window_bads[i].line, rc, err.line,
				err.msg);
		assert_parse_error(rc, &err, s.path, 5, window_bads[i].msg);
		assert_string_equal(err.msg, window_bads[i].msg);
		/* Nothing is left behind. */
		assert_int_equal(p.chain.n, 0);
		assert_false(p.window_ms.set);
		scratch_free(&s);
	}
}

/* A window that costs more than the bucket holds could never open. */
static void window_budget_check(void **state)
{
	struct scratch s;
	struct profile p;
	struct parse_error err;
	assert_parse_error(load_text(&s, "[main]\nsummary = w\n[pmqos]\nmode = window\n"
					 "budget_tokens = 3\nrefill_per_s = 1\ncost_per_window = 5\n",
				     &p, &err),
			   &err, s.path, 7, "");
	assert_string_equal(err.msg, "[pmqos] cost_per_window = 5 is larger than budget_tokens "
				     "= 3: no window could ever open");
	char buf[700], want[TEST_MSG];
	perr_format(&err, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%s line 7: [pmqos] cost_per_window = 5 is larger than "
				     "budget_tokens = 3: no window could ever open", s.path);
	assert_string_equal(buf, want);
	assert_int_equal(p.chain.n, 0);
	assert_false(p.cost_per_window.set);
	scratch_free(&s);

	/* The order of the keys does not matter; the line is cost_per_window's. */
	assert_parse_error(load_text(&s, "[pmqos]\ncost_per_window = 2\nbudget_tokens = 1\n", &p,
				     &err),
			   &err, s.path, 2, "cost_per_window = 2 is larger than budget_tokens = 1:");
	scratch_free(&s);

	/* Against the default budget. */
	assert_parse_error(load_text(&s, "[pmqos]\ncost_per_window = 1001\n", &p, &err), &err,
			   s.path, 2, "");
	assert_string_equal(err.msg, "[pmqos] cost_per_window = 1001 is larger than "
				     "budget_tokens = 1000 (the default): no window could ever open");
	scratch_free(&s);

	/* Equal is enough; so is the smallest budget against the default cost. */
	assert_int_equal(load_text(&s, "[pmqos]\nbudget_tokens = 7\ncost_per_window = 7\n", &p,
				   &err),
			 0);
	assert_num(&p.budget_tokens, 7, s.path, 2);
	assert_num(&p.cost_per_window, 7, s.path, 3);
	profile_free(&p);
	scratch_free(&s);
	assert_int_equal(load_text(&s, "[pmqos]\nbudget_tokens = 1\n", &p, &err), 0);
	assert_false(p.cost_per_window.set);
	profile_free(&p);
	scratch_free(&s);
	assert_int_equal(load_text(&s, "[pmqos]\ncost_per_window = 1000\n", &p, &err), 0);
	profile_free(&p);
	scratch_free(&s);
	/* Whatever the mode: the keys are wrong even while unused. */
	assert_parse_error(load_text(&s, "[pmqos]\nmode = static\nbudget_tokens = 3\n"
					 "cost_per_window = 5\n", &p, &err),
			   &err, s.path, 4, "no window could ever open");
	scratch_free(&s);
}

/* The check runs on the merged profile, after the whole chain. */
static void window_budget_includes(void **state)
{
	char *root = tree_new("profile");
	char a[TEST_PATH], b[TEST_PATH], c[TEST_PATH], want[1200];
	tpathf(a, "%s/a.profile", root);
	tpathf(b, "%s/b.profile", root);
	tpathf(c, "%s/c.profile", root);
	struct profile p;
	struct parse_error err;

	/* The budget below, the cost above: the cost's line, with where the
	 * budget came from. */
	tree_put(root, "a.profile", "[pmqos]\nbudget_tokens = 3\n");
	tree_put(root, "b.profile", "[main]\ninclude = a\n[pmqos]\nmode = window\n"
				    "cost_per_window = 5\n");
	assert_parse_error(load_in(root, "b", &p, &err), &err, b, 5, "");
	snprintf(want, sizeof(want), "[pmqos] cost_per_window = 5 is larger than budget_tokens "
				     "= 3 (%s line 2): no window could ever open", a);
	assert_string_equal(err.msg, want);
	assert_int_equal(p.chain.n, 0);

	/* Both below, the budget lowered above: still the cost's line, below. */
	tree_put(root, "a.profile", "[pmqos]\nbudget_tokens = 10\ncost_per_window = 5\n");
	tree_put(root, "b.profile", "[main]\ninclude = a\n[pmqos]\nbudget_tokens = 3\n");
	assert_int_equal(load_in(root, "a", &p, &err), 0);
	profile_free(&p);
	assert_parse_error(load_in(root, "b", &p, &err), &err, a, 3, "");
	snprintf(want, sizeof(want), "[pmqos] cost_per_window = 5 is larger than budget_tokens "
				     "= 3 (%s line 4): no window could ever open", b);
	assert_string_equal(err.msg, want);

	/* Through three files: the cost from the bottom, the budget lowered at
	 * the top. */
	tree_put(root, "a.profile", "[pmqos]\ncost_per_window = 4\n");
	tree_put(root, "b.profile", "[main]\ninclude = a\n[pmqos]\nbudget_tokens = 100\n");
	tree_put(root, "c.profile", "[main]\ninclude = b\n[pmqos]\nbudget_tokens = 2\n");
	assert_int_equal(load_in(root, "b", &p, &err), 0);
	profile_free(&p);
	assert_parse_error(load_in(root, "c", &p, &err), &err, a, 2,
			   "cost_per_window = 4 is larger than budget_tokens = 2 (");
	assert_non_null(strstr(err.msg, c));

	/* Wrong alone, fixed by the including profile: it loads. */
	tree_put(root, "a.profile", "[pmqos]\nbudget_tokens = 3\ncost_per_window = 5\n");
	tree_put(root, "b.profile", "[main]\ninclude = a\n[pmqos]\nbudget_tokens = 10\n");
	assert_parse_error(load_in(root, "a", &p, &err), &err, a, 3, "no window could ever open");
	assert_int_equal(load_in(root, "b", &p, &err), 0);
	assert_num(&p.budget_tokens, 10, b, 4);
	assert_num(&p.cost_per_window, 5, a, 3);
	profile_free(&p);

	/* A bad window value in an included file names that file. */
	tree_put(root, "a.profile", "[pmqos]\n\nrefill_per_s = 1000001\n");
	assert_parse_error(load_in(root, "b", &p, &err), &err, a, 3,
			   "[pmqos] refill_per_s = '1000001': out of range (0..1000000)");
	assert_int_equal(tree_free(root), 0);
}

/* Keys in the including profile win, the window's as the others. */
static void window_override(void **state)
{
	char *root = tree_new("profile");
	char a[TEST_PATH], b[TEST_PATH], c[TEST_PATH];
	tpathf(a, "%s/a.profile", root);
	tpathf(b, "%s/b.profile", root);
	tpathf(c, "%s/c.profile", root);
	tree_put(root, "a.profile", "[pmqos]\nmode = static\nwindow_ms = 50\nbudget_tokens = 100\n"
				    "refill_per_s = 5\n");
	tree_put(root, "b.profile", "[main]\ninclude = a\n[pmqos]\nmode = window\n"
				    "window_ms = 10ms\n");
	tree_put(root, "c.profile", "[main]\ninclude = b.profile\n[pmqos]\nrefill_per_s = 0\n"
				    "window_ms = 1s\n");
	struct profile p;
	struct parse_error err;
	assert_int_equal(load_in(root, "a", &p, &err), 0);
	assert_int_equal(p.pmqos_mode, PMQOS_MODE_STATIC);
	assert_num(&p.window_ms, 50, a, 3);
	profile_free(&p);

	assert_int_equal(load_in(root, "b", &p, &err), 0);
	assert_int_equal(p.pmqos_mode, PMQOS_MODE_WINDOW);
	assert_src(&p.pmqos_mode_src, b, 4);
	assert_num(&p.window_ms, 10, b, 5);
	assert_num(&p.budget_tokens, 100, a, 4);
	assert_num(&p.refill_per_s, 5, a, 5);
	assert_false(p.cost_per_window.set);
	profile_free(&p);

	assert_int_equal(load_in(root, "c", &p, &err), 0);
	assert_int_equal(p.chain.n, 3);
	assert_int_equal(p.pmqos_mode, PMQOS_MODE_WINDOW);
	assert_num(&p.window_ms, 1000, c, 5);
	assert_num(&p.refill_per_s, 0, c, 4);
	assert_num(&p.budget_tokens, 100, a, 4);
	profile_free(&p);
	assert_int_equal(tree_free(root), 0);
}

/* Bytes a text editor would not write. */
static void odd_bytes(void **state)
{
	struct scratch s;
	struct profile p;
	struct parse_error err;
	/* CRLF line ends and a UTF-8 BOM are fine. */
	assert_int_equal(load_text(&s, "\xef\xbb\xbf[napi]\r\nbusy_poll = 5us\r\n", &p, &err), 0);
	assert_num(&p.busy_poll, 5, s.path, 2);
	profile_free(&p);
	scratch_free(&s);
	/* A BOM before an unknown section is still caught. */
	assert_parse_error(load_text(&s, "\xef\xbb\xbf[bogus]\n", &p, &err), &err, s.path, 1,
			   "unknown section [bogus]");
	scratch_free(&s);

	/* A NUL byte on line 3. */
	s.root = tree_new("profile");
	TREE_PUT_BYTES(s.root, "t.profile", "[napi]\nbusy_poll = 5\nbusy_read\0 = 1\n");
	snprintf(s.path, sizeof(s.path), "%s/t.profile", s.root);
	assert_parse_error(load_in(s.root, s.path, &p, &err), &err, s.path, 3, "NUL byte");
	/* A directory, and a file too large to be a profile. */
	tree_dir(s.root, "d.profile");
	char path[TEST_PATH];
	tpathf(path, "%s/d.profile", s.root);
	assert_parse_error(load_in(s.root, path, &p, &err), &err, path, 0, "not a regular file");
	char *big = malloc(70000);
	assert_non_null(big);
	memset(big, '#', 70000);
	big[69999] = '\0';
	tree_put(s.root, "big.profile", big);
	free(big);
	tpathf(path, "%s/big.profile", s.root);
	assert_parse_error(load_in(s.root, path, &p, &err), &err, path, 0, "larger than 64 KiB");
	/* An include of a directory names the include line. */
	tree_put(s.root, "inc.profile", "[main]\ninclude = d.profile\n");
	tpathf(path, "%s/inc.profile", s.root);
	assert_parse_error(load_in(s.root, path, &p, &err), &err, path, 2, "not a regular file");
	scratch_free(&s);
}

static void missing(void **state)
{
	struct profile p;
	struct parse_error err;
	const char *dirs[] = { BAD, GOOD };
	struct profile_opts o = { .dirs = dirs, .ndirs = 2 };
	assert_int_equal(profile_load("no-such", &o, &p, &err), -ENOENT);
	assert_string_equal(err.file, "no-such");
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.msg, "no profile named 'no-such' (looked in " BAD ", " GOOD ")"));
	assert_int_equal(profile_load(GOOD "/no-such.profile", &o, &p, &err), -ENOENT);
	assert_string_equal(err.file, GOOD "/no-such.profile");
	assert_string_equal(err.msg, "No such file or directory");
	/* No directory to look in. */
	struct profile_opts none = { .dirs = NULL, .ndirs = 0 };
	assert_int_equal(profile_load("balanced", &none, &p, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "looked in no directory"));
	assert_int_equal(profile_load("", &o, &p, &err), -EINVAL);
}

/* ---------- includes ---------- */

static void chain_override_and_accumulate(void **state)
{
	const char *top = GOOD "/chain-top.profile", *mid = GOOD "/chain-mid.profile",
		   *base = GOOD "/chain-base.profile";
	struct profile p;
	struct parse_error err;
	assert_int_equal(load_in(GOOD, "chain-top", &p, &err), 0);
	assert_string_equal(p.name, "chain-top");
	assert_string_equal(p.path, top);
	assert_int_equal(p.chain.n, 3);
	assert_string_equal(p.chain.v[0], top);
	assert_string_equal(p.chain.v[1], mid);
	assert_string_equal(p.chain.v[2], base);
	/* No summary of its own: the middle one's. */
	assert_string_equal(p.summary, "middle of the chain");
	/* Overridden at every level: the top wins. */
	assert_num(&p.busy_poll, 30, top, 8);
	assert_num(&p.cpu_weight, 1000, top, 10);
	/* Set only below. */
	assert_num(&p.netdev_budget, 300, base, 11);
	assert_int_equal(p.cpus.kind, CPUS_LIST);
	assert_cpus(&p.cpus.cpus, "0-1");
	assert_src(&p.cpus.src, base, 5);
	/* [irq] rules accumulate, the included profile's first. */
	assert_int_equal(p.nirq, 3);
	assert_int_equal(p.irq[0].sel, IRQSEL_ALL);
	assert_src(&p.irq[0].src, base, 8);
	assert_int_equal(p.irq[1].sel, IRQSEL_CLASS);
	assert_string_equal(p.irq[1].arg, "net");
	assert_src(&p.irq[1].src, mid, 6);
	assert_int_equal(p.irq[2].sel, IRQSEL_IRQ);
	assert_string_equal(p.irq[2].arg, "7");
	assert_src(&p.irq[2].src, top, 6);
	profile_free(&p);

	/* The middle one alone. */
	assert_int_equal(load_in(GOOD, "chain-mid", &p, &err), 0);
	assert_int_equal(p.chain.n, 2);
	assert_num(&p.busy_poll, 20, mid, 8);
	assert_int_equal(p.nirq, 2);
	profile_free(&p);
}

static void relative_include(void **state)
{
	char cwd[PATH_MAX];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/"), 0);
	struct profile p;
	struct parse_error err;
	int rc = load_in("/nonexistent", GOOD "/sub/relative.profile", &p, &err);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rc, 0);
	assert_int_equal(p.chain.n, 2);
	assert_string_equal(p.chain.v[1], GOOD "/sub/../chain-base.profile");
	assert_num(&p.netdev_budget, 900, GOOD "/sub/relative.profile", 5);
	assert_num(&p.busy_poll, 10, GOOD "/sub/../chain-base.profile", 10);
	assert_string_equal(p.name, "relative");
	profile_free(&p);
}

/* An include replaces a list, not adds to it. */
static void override_lists(void **state)
{
	char *root = tree_new("profile");
	tree_put(root, "a.profile", "[napi]\ninterfaces = eth0 eth1\n[agent]\ncpus = 0-3\n"
				    "[cgroup]\ncpu_max = 10ms 20ms\n");
	tree_put(root, "b.profile", "[main]\ninclude = a\n[napi]\ninterfaces = auto\n"
				    "[agent]\ncpus = 5\n[cgroup]\ncpu_max = max\n");
	struct profile p;
	struct parse_error err;
	assert_int_equal(load_in(root, "b", &p, &err), 0);
	assert_true(p.interfaces_auto);
	assert_int_equal(p.interfaces.n, 0);
	assert_cpus(&p.cpus.cpus, "5");
	assert_int_equal(p.cpu_max_quota_us.v, -1);
	assert_int_equal(p.cpu_max_period_us.v, 100000);
	profile_free(&p);
	assert_int_equal(tree_free(root), 0);
}

static void cycles(void **state)
{
	struct profile p;
	struct parse_error err;
	assert_parse_error(load_in(BAD, "cycle-a", &p, &err), &err, BAD "/cycle-b.profile", 3,
			   "include cycle: cycle-a.profile includes cycle-b.profile includes "
			   "cycle-a.profile");
	assert_int_equal(p.chain.n, 0);
	assert_parse_error(load_in(BAD, "include-self", &p, &err), &err,
			   BAD "/include-self.profile", 3,
			   "include cycle: include-self.profile includes include-self.profile");
	/* A bad value in an included file names that file. */
	assert_parse_error(load_in(BAD, "include-bad", &p, &err), &err,
			   BAD "/busy-poll-word.profile", 3, "[napi] busy_poll = 'abc'");
}

/* d1 includes d2 ... includes dN. */
static char *depth_tree(int n)
{
	char *root = tree_new("profile");
	for (int i = 1; i <= n; i++) {
		char name[32], text[64];
		snprintf(name, sizeof(name), "d%d.profile", i);
		if (i < n)
			snprintf(text, sizeof(text), "[main]\ninclude = d%d\n[napi]\nnetdev_budget = %d\n",
				 i + 1, i);
		else
			snprintf(text, sizeof(text), "[main]\nsummary = bottom\n");
		tree_put(root, name, text);
	}
	return root;
}

static void depth_limit(void **state)
{
	struct profile p;
	struct parse_error err;
	char *root = depth_tree(PROFILE_MAX_DEPTH);
	assert_int_equal(load_in(root, "d1", &p, &err), 0);
	assert_int_equal(p.chain.n, PROFILE_MAX_DEPTH);
	assert_string_equal(p.summary, "bottom");
	assert_int_equal(p.netdev_budget.v, 1);
	profile_free(&p);
	assert_int_equal(tree_free(root), 0);

	root = depth_tree(PROFILE_MAX_DEPTH + 1);
	char file[TEST_PATH];
	tpathf(file, "%s/d%d.profile", root, PROFILE_MAX_DEPTH);
	assert_parse_error(load_in(root, "d1", &p, &err), &err, file, 2,
			   "includes nested deeper than 8 files: d1.profile includes d2.profile");
	assert_non_null(strstr(err.msg, "d8.profile includes d9.profile"));
	/* From the second file down, the chain fits again. */
	assert_int_equal(load_in(root, "d2", &p, &err), 0);
	assert_int_equal(p.chain.n, PROFILE_MAX_DEPTH);
	profile_free(&p);
	assert_int_equal(tree_free(root), 0);
}

/* ---------- shipped profiles ---------- */

static void load_shipped(const char *name, struct profile *p)
{
	struct parse_error err;
	int rc = load_in(SHIPPED, name, p, &err);
	if (rc)
		fprintf(stderr, "%s: %s line %d: %s\n", name, err.file, err.line, err.msg);
	assert_int_equal(rc, 0);
	assert_true(strlen(p->summary) > 40);
}

static void check_latency_base(const struct profile *p)
{
	assert_int_equal(p->cpus.kind, CPUS_AUTO);
	assert_int_equal(p->housekeeping.kind, CPUS_AUTO);
	assert_string_equal(p->cgroup_name, "agentune");
	assert_int_equal(p->pmqos_mode, PMQOS_MODE_WINDOW);
	assert_string_equal(p->pmqos_mode_src.file, SHIPPED "/agent-latency.profile");
	/* Commented out at their defaults: the plan takes window.h's. */
	assert_false(p->window_ms.set);
	assert_false(p->budget_tokens.set);
	assert_false(p->refill_per_s.set);
	assert_false(p->cost_per_window.set);
	assert_true(p->resume_latency_us.set);
	assert_int_equal(p->resume_latency_us.v, -1);
	assert_int_equal(p->min_freq_kind, FREQ_MAX);
	assert_int_equal(p->cpu_weight.v, 1000);
	assert_int_equal(p->uclamp_min.v, 10000);
	assert_true(p->nirq >= 1);
	assert_int_equal(p->irq[0].sel, IRQSEL_ALL);
	assert_int_equal(p->irq[0].dest, IRQDEST_HOUSEKEEPING);
	assert_string_equal(p->irq[0].src.file, SHIPPED "/agent-latency.profile");
}

static void shipped(void **state)
{
	struct profile p;
	load_shipped("balanced", &p);
	assert_int_equal(p.chain.n, 1);
	assert_int_equal(p.cpus.kind, CPUS_AUTO);
	assert_int_equal(p.housekeeping.kind, CPUS_AUTO);
	assert_int_equal(p.pmqos_mode, PMQOS_MODE_OFF);
	assert_true(p.cgroup_name_set);
	assert_string_equal(p.cgroup_name, "agentune");
	assert_true(p.cpu_weight.set);
	assert_int_equal(p.cpu_weight.v, 100);
	assert_int_equal(p.nirq, 0);
	assert_false(p.busy_poll.set);
	assert_false(p.uclamp_min.set);
	assert_int_equal(p.cpuset.kind, CPUS_UNSET);
	profile_free(&p);

	load_shipped("agent-latency", &p);
	assert_int_equal(p.chain.n, 2);
	assert_string_equal(p.chain.v[1], SHIPPED "/balanced.profile");
	check_latency_base(&p);
	assert_int_equal(p.nirq, 1);
	assert_false(p.busy_poll.set);
	assert_false(p.isolate.set);
	profile_free(&p);

	load_shipped("agent-network", &p);
	assert_int_equal(p.chain.n, 3);
	check_latency_base(&p);
	assert_int_equal(p.nirq, 2);
	assert_int_equal(p.irq[1].sel, IRQSEL_CLASS);
	assert_string_equal(p.irq[1].arg, "net");
	assert_int_equal(p.irq[1].dest, IRQDEST_NUMA_LOCAL);
	assert_true(p.interfaces_set && p.interfaces_auto);
	assert_int_equal(p.busy_poll.v, 50);
	assert_int_equal(p.busy_read.v, 50);
	assert_int_equal(p.defer_hard_irqs.v, 2);
	assert_int_equal(p.gro_flush_timeout_ns.v, 200000);
	assert_int_equal(p.netdev_budget.v, 600);
	assert_false(p.netdev_budget_usecs.set);
	profile_free(&p);

	load_shipped("agent-storage", &p);
	assert_int_equal(p.chain.n, 3);
	check_latency_base(&p);
	assert_int_equal(p.nirq, 2);
	assert_int_equal(p.irq[1].sel, IRQSEL_CLASS);
	assert_string_equal(p.irq[1].arg, "nvme");
	assert_int_equal(p.irq[1].dest, IRQDEST_AGENT_NODE);
	assert_false(p.busy_poll.set);
	profile_free(&p);

	load_shipped("agent-isolated", &p);
	assert_int_equal(p.chain.n, 3);
	check_latency_base(&p);
	assert_int_equal(p.nirq, 1);
	assert_int_equal(p.cpuset.kind, CPUS_AUTO);
	assert_true(p.isolate.set);
	assert_int_equal(p.isolate.v, 1);
	profile_free(&p);

	/* By file name too; its include = agent-latency is still a name, looked
	 * up in the directories. */
	struct parse_error err;
	assert_int_equal(load_in(SHIPPED, SHIPPED "/agent-network.profile", &p, &err), 0);
	assert_string_equal(p.name, "agent-network");
	profile_free(&p);
	assert_int_equal(load_in(GOOD, SHIPPED "/agent-network.profile", &p, &err), -ENOENT);
	assert_string_equal(err.file, SHIPPED "/agent-network.profile");
	assert_int_equal(err.line, 16);
	assert_non_null(strstr(err.msg, "include = agent-latency: no profile named 'agent-latency'"));
}

/* agent-latency's commented window keys: window.h's defaults, and valid
 * once uncommented. */
static void shipped_window_defaults(void **state)
{
	static const struct {
		const char *key;
		int64_t v;
		size_t off;
	} want[] = {
		{ "window_ms", WINDOW_DEFAULT_MS, PN(window_ms) },
		{ "budget_tokens", WINDOW_DEFAULT_BUDGET, PN(budget_tokens) },
		{ "refill_per_s", WINDOW_DEFAULT_REFILL, PN(refill_per_s) },
		{ "cost_per_window", WINDOW_DEFAULT_COST, PN(cost_per_window) },
	};
	FILE *f = fopen(SHIPPED "/agent-latency.profile", "r");
	assert_non_null(f);
	char *text = calloc(1, 65536);
	assert_non_null(text);
	size_t n = fread(text, 1, 65535, f);
	fclose(f);
	assert_true(n > 0 && n < 65535);
	int lines[ARRAY_SIZE(want)] = { 0 };
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		char line[64];
		snprintf(line, sizeof(line), "\n#%s = %lld\n", want[i].key, (long long)want[i].v);
		char *at = strstr(text, line);
		if (!at) {
			free(text);
			fail_msg("agent-latency.profile has no '%s'", line + 1);
			return;
		}
		memmove(at + 1, at + 2, strlen(at + 2) + 1); /* uncommented */
		lines[i] = 1; /* at is the end of the line before */
		for (const char *c = text; c <= at; c++)
			lines[i] += *c == '\n';
	}
	/* balanced is still found in the shipped directory. */
	char *root = tree_new("profile");
	tree_put(root, "agent-latency.profile", text);
	free(text);
	const char *dirs[] = { root, SHIPPED };
	struct profile_opts o = { .dirs = dirs, .ndirs = 2 };
	struct profile p;
	struct parse_error err;
	char path[TEST_PATH];
	tpathf(path, "%s/agent-latency.profile", root);
	int rc = profile_load("agent-latency", &o, &p, &err);
	if (rc)
		fprintf(stderr, "line %d: %s\n", err.line, err.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(p.pmqos_mode, PMQOS_MODE_WINDOW);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_num((const struct pnum *)((const char *)&p + want[i].off), want[i].v, path,
			   lines[i]);
	profile_free(&p);
	assert_int_equal(tree_free(root), 0);
}

/* ---------- listing ---------- */

static void list(void **state)
{
	const char *dirs[] = { SHIPPED, GOOD, "/nonexistent-dir" };
	struct profile_opts o = { .dirs = dirs, .ndirs = 3, .check_safe = true };
	struct profile_info *v;
	size_t n;
	assert_int_equal(profile_list(&o, &v, &n), 0);
	static const char *const names[] = { "agent-isolated", "agent-latency", "agent-network",
					     "agent-storage", "all-keys", "balanced", "chain-base",
					     "chain-mid", "chain-top", "formats", "timer-slack" };
	assert_int_equal(n, ARRAY_SIZE(names));
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i].name, names[i]);
	assert_string_equal(v[5].path, SHIPPED "/balanced.profile");
	assert_string_equal(v[4].summary, "Every key once");
	assert_string_equal(v[8].summary, "middle of the chain");
	assert_non_null(strstr(v[2].summary, "busy polling"));
	free(v);

	/* Invalid ones are listed, with why. */
	const char *bad_dirs[] = { BAD };
	struct profile_opts bo = { .dirs = bad_dirs, .ndirs = 1 };
	assert_int_equal(profile_list(&bo, &v, &n), 0);
	assert_int_equal(n, ARRAY_SIZE(bads) + ARRAY_SIZE(bad_elsewhere));
	bool seen = false;
	for (size_t i = 0; i < n; i++) {
		assert_true(!strncmp(v[i].summary, "(invalid: ", 10));
		if (i)
			assert_true(strcmp(v[i - 1].name, v[i].name) < 0);
		if (!strcmp(v[i].name, "busy-poll-word")) {
			seen = true;
			assert_string_equal(v[i].summary, "(invalid: line 3: [napi] busy_poll = "
							  "'abc': not a duration (use e.g. 50us))");
		}
		if (!strcmp(v[i].name, "include-bad"))
			assert_non_null(strstr(v[i].summary, "busy-poll-word.profile line 3"));
	}
	assert_true(seen);
	free(v);

	/* A name in two directories: the first directory's. */
	char *a = tree_new("profile"), *b = tree_new("profile");
	tree_put(a, "x.profile", "[main]\nsummary = from a\n");
	tree_put(b, "x.profile", "[main]\nsummary = from b\n");
	tree_put(b, "y.profile", "[main]\nsummary = only in b\n");
	tree_put(b, ".profile", "[main]\nsummary = no name\n");
	tree_put(b, "z.profile.bak", "[main]\nsummary = not a profile\n");
	const char *ab[] = { a, b };
	struct profile_opts abo = { .dirs = ab, .ndirs = 2 };
	assert_int_equal(profile_list(&abo, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "x");
	assert_string_equal(v[0].summary, "from a");
	assert_string_equal(v[1].summary, "only in b");
	free(v);
	/* Nothing to list. */
	struct profile_opts none = { .dirs = NULL, .ndirs = 0 };
	assert_int_equal(profile_list(&none, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	assert_int_equal(tree_free(a), 0);
	assert_int_equal(tree_free(b), 0);
}

static void names(void **state)
{
	assert_string_equal(irq_sel_name(IRQSEL_ALL), "all");
	assert_string_equal(irq_sel_name(IRQSEL_CLASS), "class");
	assert_string_equal(irq_sel_name(IRQSEL_INTERFACE), "interface");
	assert_string_equal(irq_sel_name(IRQSEL_PCI), "pci");
	assert_string_equal(irq_sel_name(IRQSEL_NAME), "name");
	assert_string_equal(irq_sel_name(IRQSEL_IRQ), "irq");
	assert_string_equal(irq_dest_name(IRQDEST_HOUSEKEEPING), "housekeeping");
	assert_string_equal(irq_dest_name(IRQDEST_NUMA_LOCAL), "numa-local");
	assert_string_equal(irq_dest_name(IRQDEST_AGENT_NODE), "agent-node");
	assert_string_equal(irq_dest_name(IRQDEST_CPUS), "cpus");
}

/* ---------- who may have written it ---------- */

/* A profile in /tmp: any user can create files there. */
static void unsafe_tmp(void **state)
{
	struct stat st;
	assert_int_equal(stat("/tmp", &st), 0);
	assert_true(st.st_mode & S_IWOTH); /* as on every Linux */
	char *root = tree_new_in("/tmp", "profile");
	chmod(root, 0755);
	tree_put(root, "t.profile", "[main]\nsummary = in tmp\n");
	char path[TEST_PATH], why[256];
	tpathf(path, "%s/t.profile", root);
	chmod(path, 0644);
	assert_int_equal(profile_check_safe(path, why, sizeof(why)), -EPERM);
	/* Directories are vetted from / down, before anything in them is
	 * opened: /tmp is refused whoever owns the file. */
	char want[TEST_MSG];
	snprintf(want, sizeof(want), "/tmp: writable by others (mode %04o)",
		 (unsigned)(st.st_mode & 07777));
	assert_string_equal(why, want);
	/* profile_load refuses it with the reason; without check_safe it loads. */
	const char *dirs[] = { root };
	struct profile_opts o = { .dirs = dirs, .ndirs = 1, .check_safe = true };
	struct profile p;
	struct parse_error err;
	assert_int_equal(profile_load(path, &o, &p, &err), -EPERM);
	assert_string_equal(err.file, path);
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.msg, why));
	assert_int_equal(p.chain.n, 0);
	o.check_safe = false;
	assert_int_equal(profile_load(path, &o, &p, &err), 0);
	profile_free(&p);
	/* A path that does not exist, in a directory that passes. */
	tpathf(path, "/agentune-test-none-%d.profile", (int)getpid());
	assert_int_equal(profile_check_safe(path, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "No such file"));
	assert_int_equal(tree_free(root), 0);
}

/* A root-only directory outside /tmp, for the checks that can pass. */
static char *safe_dir(void)
{
	if (geteuid() != 0)
		return NULL;
	char *d = strdup("/run/agentune-test-XXXXXX");
	assert_non_null(d);
	struct stat st;
	if (stat("/run", &st) || st.st_uid != 0 || (st.st_mode & 022) || !mkdtemp(d)) {
		free(d);
		return NULL;
	}
	chmod(d, 0755);
	return d;
}

/* Removes what safe_checks made in /run and /tmp, even when it failed. */
static int safe_teardown(void **state)
{
	char **dirs = *state;
	for (int i = 0; dirs && i < 2; i++)
		if (dirs[i])
			tree_free(dirs[i]);
	free(dirs);
	return 0;
}

static void safe_checks(void **state)
{
	char **made = calloc(2, sizeof(char *));
	assert_non_null(made);
	*state = made;
	need_root("a directory only root can write, and chown");
	char *root = made[0] = safe_dir();
	if (!root)
		skip_because("/run is not a directory only root can write");
	char path[TEST_PATH], inc[TEST_PATH], link[TEST_PATH], why[256];
	tpathf(path, "%s/ok.profile", root);
	tpathf(inc, "%s/inc.profile", root);
	tree_put(root, "ok.profile", "[main]\ninclude = inc\n");
	tree_put(root, "inc.profile", "[napi]\nbusy_poll = 1\n");
	chmod(path, 0644);
	chmod(inc, 0644);
	assert_int_equal(profile_check_safe(path, why, sizeof(why)), 0);

	const char *dirs[] = { root };
	struct profile_opts o = { .dirs = dirs, .ndirs = 1, .check_safe = true };
	struct profile p;
	struct parse_error err;
	assert_int_equal(profile_load("ok", &o, &p, &err), 0);
	assert_int_equal(p.chain.n, 2);
	profile_free(&p);

	/* Each way a file or a directory above it can be someone else's. */
	chmod(inc, 0666);
	assert_int_equal(profile_check_safe(inc, why, sizeof(why)), -EPERM);
	char want[TEST_MSG];
	tpathf(want, "%s: writable by others (mode 0666)", inc);
	assert_string_equal(why, want);
	/* The included file is checked too. */
	assert_int_equal(profile_load("ok", &o, &p, &err), -EPERM);
	assert_string_equal(err.file, inc);
	assert_non_null(strstr(err.msg, want));

	chmod(inc, 0664);
	assert_int_equal(profile_check_safe(inc, why, sizeof(why)), -EPERM);
	tpathf(want, "%s: writable by group (mode 0664)", inc);
	assert_string_equal(why, want);

	chmod(inc, 0644);
	assert_int_equal(chown(inc, 1000, 0), 0);
	assert_int_equal(profile_check_safe(inc, why, sizeof(why)), -EPERM);
	tpathf(want, "%s: owned by uid 1000, not root", inc);
	assert_string_equal(why, want);
	assert_int_equal(chown(inc, 0, 0), 0);

	chmod(root, 0777);
	assert_int_equal(profile_check_safe(path, why, sizeof(why)), -EPERM);
	tpathf(want, "%s: writable by others (mode 0777)", root);
	assert_string_equal(why, want);
	chmod(root, 0755);
	assert_int_equal(profile_check_safe(path, why, sizeof(why)), 0);

	/* A link in /tmp to a safe file: whoever owns /tmp's entries picks the target. */
	char *tmp = made[1] = tree_new_in("/tmp", "profile");
	chmod(tmp, 0755);
	tpathf(link, "%s/l.profile", tmp);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(profile_check_safe(link, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "/tmp: writable by others"));
	/* A link in a safe directory to a safe file is fine. */
	tpathf(link, "%s/l.profile", root);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(profile_check_safe(link, why, sizeof(why)), 0);

	/* A link in the middle of the path owned by another user, pointing
	 * (for now) at this safe directory: whoever owns it could point it
	 * elsewhere between a check by name and the read.  Refused, and so is
	 * an include reached through it. */
	char mid[TEST_PATH], top[TEST_PATH];
	tpathf(mid, "%s/viauser", root);
	assert_int_equal(symlink(".", mid), 0);
	assert_int_equal(lchown(mid, 1000, 1000), 0);
	tpathf(link, "%s/viauser/ok.profile", root);
	assert_int_equal(profile_check_safe(link, why, sizeof(why)), -EPERM);
	tpathf(want, "%s: a symlink owned by uid 1000, not root", mid);
	assert_string_equal(why, want);
	tree_put(root, "top.profile", "[main]\ninclude = viauser/inc.profile\n");
	tpathf(top, "%s/top.profile", root);
	chmod(top, 0644);
	assert_int_equal(profile_load(top, &o, &p, &err), -EPERM);
	tpathf(link, "%s/viauser/inc.profile", root);
	assert_string_equal(err.file, link);
	assert_non_null(strstr(err.msg, want));
	assert_int_equal(p.chain.n, 0);

}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(timer_slack_key),
	cmocka_unit_test(all_keys),
	cmocka_unit_test(defaults),
	cmocka_unit_test(formats),
	cmocka_unit_test(value_forms),
	cmocka_unit_test(other_forms),
	cmocka_unit_test(bad_fixtures),
	cmocka_unit_test(bad_messages),
	cmocka_unit_test(error_order),
	cmocka_unit_test(window_all_keys),
	cmocka_unit_test(window_bad_values),
	cmocka_unit_test(window_budget_check),
	cmocka_unit_test(window_budget_includes),
	cmocka_unit_test(window_override),
	cmocka_unit_test(odd_bytes),
	cmocka_unit_test(missing),
	cmocka_unit_test(chain_override_and_accumulate),
	cmocka_unit_test(relative_include),
	cmocka_unit_test(override_lists),
	cmocka_unit_test(cycles),
	cmocka_unit_test(depth_limit),
	cmocka_unit_test(shipped),
	cmocka_unit_test(shipped_window_defaults),
	cmocka_unit_test(list),
	cmocka_unit_test(names),
	cmocka_unit_test(unsafe_tmp),
	cmocka_unit_test_teardown(safe_checks, safe_teardown),
};

RUN_TESTS(tests)
