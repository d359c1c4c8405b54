/* tune: apply under the journal (all or nothing), revert (drift, force,
 * stacking, dry run), status, on scratch trees with a journal in a scratch
 * directory. */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tune/journal.h"
#include "tune/plan.h"
#include "tune/tune.h"

struct fx {
	char *root;          /* the host tree */
	char *run;           /* parent of the journal directory */
	char jdir[4096];
	struct host h;
	struct journal j;
	char *saved_env;     /* AGENTUNE_RUN_DIR before the test */
	bool had_env;
	pid_t child;         /* a fake window controller, killed by teardown */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->root = tree_new("tune");
	f->run = tree_new("tune-run");
	tpathf(f->jdir, "%s/agentune", f->run);
	for (int irq = 30; irq <= 33; irq++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "proc/irq/%d/smp_affinity_list", irq);
		tree_put(f->root, rel, "0-3\n");
	}
	tree_put(f->root, "proc/sys/net/core/busy_poll", "0\n");
	tree_put(f->root, "proc/sys/net/core/busy_read", "0\n");
	tree_put(f->root, "sys/devices/system/cpu/cpu2/power/pm_qos_resume_latency_us", "0\n");
	assert_int_equal(host_open(&f->h, f->root), 0);
	/* The window controller's files (knob_read of window_controller) go
	 * to the journal's directory, as they do for agentune itself. */
	const char *e = getenv("AGENTUNE_RUN_DIR");
	f->had_env = e != NULL;
	f->saved_env = e ? strdup(e) : NULL;
	setenv("AGENTUNE_RUN_DIR", f->jdir, 1);
	f->j = (struct journal){ .dirfd = -1, .lockfd = -1, .fd = -1 };
	char why[512];
	assert_int_equal(journal_open(&f->j, f->jdir, true, why, sizeof(why)), 0);
	assert_int_equal(journal_lock(&f->j, why, sizeof(why)), 0);
	assert_int_equal(journal_load(&f->j, why, sizeof(why)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	if (f->child > 0) {
		kill(f->child, SIGKILL);
		waitpid(f->child, NULL, 0);
	}
	if (f->had_env)
		setenv("AGENTUNE_RUN_DIR", f->saved_env, 1);
	else
		unsetenv("AGENTUNE_RUN_DIR");
	free(f->saved_env);
	journal_close(&f->j);
	host_close(&f->h);
	tree_free(f->root);
	tree_free(f->run);
	free(f);
	return 0;
}

static void add(struct plan *pl, enum knob_kind k, const char *target, const char *new,
		bool optional)
{
	struct plan_change *v = realloc(pl->c, (pl->n + 1) * sizeof(*v));
	assert_non_null(v);
	pl->c = v;
	struct plan_change *c = &pl->c[pl->n++];
	memset(c, 0, sizeof(*c));
	char label[128], source[64];
	snprintf(label, sizeof(label), "%s %s", knob_name(k), target);
	snprintf(source, sizeof(source), "t.profile:%zu", pl->n);
	change_init(&c->ch, k, target, label, source);
	copy_str(c->ch.new, sizeof(c->ch.new), new);
	c->optional = optional;
}

static void new_plan(struct plan *pl)
{
	memset(pl, 0, sizeof(*pl));
	cpumask_init(&pl->agent_cpus);
	cpumask_init(&pl->housekeeping);
	pl->pid = -1;
}

static const struct tune_apply_opts opts = { .profile = "t", .profile_path = "/t.profile",
					     .cpus = "2", .pid = -1 };

static void read_val(struct fx *f, enum knob_kind k, const char *target, const char *want)
{
	char v[KNOB_VAL_MAX];
	assert_int_equal(knob_read(&f->h, k, target, v, sizeof(v)), 0);
	assert_string_equal(v, want);
}

static void apply_journals_every_change_and_revert_restores(void **state)
{
	struct fx *f = *state;
	struct plan pl;
	new_plan(&pl);
	add(&pl, KNOB_IRQ_AFFINITY, "30", "0-1", true);
	add(&pl, KNOB_SYSCTL, "net.core.busy_poll", "50", false);
	add(&pl, KNOB_PMQOS, "2", "n/a", false);
	struct tune_result r;
	assert_int_equal(tune_apply(&f->h, &f->j, &pl, &opts, &r), 0);
	assert_true(r.ok);
	assert_int_equal(r.done, 3);
	read_val(f, KNOB_IRQ_AFFINITY, "30", "0-1");
	read_val(f, KNOB_SYSCTL, "net.core.busy_poll", "50");
	read_val(f, KNOB_PMQOS, "2", "n/a");
	assert_int_equal(f->j.n, 3);
	assert_string_equal(f->j.e[0].ch.old, "0-3");
	assert_string_equal(f->j.e[2].ch.new, "n/a");
	assert_string_equal(f->j.e[1].ch.source, "t.profile:2");
	tune_result_free(&r);

	struct tune_result st;
	assert_int_equal(tune_status(&f->h, &f->j, &st), 0);
	assert_int_equal(st.n, 3);
	for (size_t i = 0; i < st.n; i++)
		assert_int_equal(st.it[i].state, TUNE_OK);
	tune_result_free(&st);

	char why[512];
	assert_int_equal(tune_revert(&f->h, &f->j, false, false, &r, why, sizeof(why)), 0);
	assert_int_equal(r.done, 3);
	assert_int_equal(r.it[0].ch.knob, KNOB_PMQOS); /* newest first */
	read_val(f, KNOB_IRQ_AFFINITY, "30", "0-3");
	read_val(f, KNOB_SYSCTL, "net.core.busy_poll", "0");
	read_val(f, KNOB_PMQOS, "2", "0");
	assert_int_equal(f->j.n, 0);
	tune_result_free(&r);
	free(pl.c);
}

/* A write that fails mid-plan (the sysctl is a directory) undoes the
 * changes before it and leaves the journal without this apply. */
static void failure_midway_undoes_everything(void **state)
{
	struct fx *f = *state;
	char *p = tree_path(f->root, "proc/sys/net/core/busy_read");
	unlink(p);
	free(p);
	tree_dir(f->root, "proc/sys/net/core/busy_read");
	tree_put(f->root, "proc/sys/net/core/busy_read/x", "");
	struct plan pl;
	new_plan(&pl);
	add(&pl, KNOB_IRQ_AFFINITY, "31", "0", false);
	add(&pl, KNOB_SYSCTL, "net.core.busy_poll", "50", false);
	add(&pl, KNOB_SYSCTL, "net.core.busy_read", "50", false);
	add(&pl, KNOB_PMQOS, "2", "n/a", false);
	struct tune_result r;
	assert_int_equal(tune_apply(&f->h, &f->j, &pl, &opts, &r), -1);
	assert_false(r.ok);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.it[0].state, TUNE_UNDONE);
	assert_int_equal(r.it[1].state, TUNE_UNDONE);
	assert_int_equal(r.it[2].state, TUNE_FAILED);
	assert_non_null(strstr(r.it[2].why, "cannot read /proc/sys/net/core/busy_read: "));
	assert_int_equal(r.it[3].state, TUNE_NOT_RUN);
	read_val(f, KNOB_IRQ_AFFINITY, "31", "0-3");
	read_val(f, KNOB_SYSCTL, "net.core.busy_poll", "0");
	read_val(f, KNOB_PMQOS, "2", "0");
	assert_int_equal(f->j.n, 0);
	assert_int_equal(f->j.napplies, 0);
	tune_result_free(&r);
	free(pl.c);
}

/* Someone changes a setting after apply: status says drifted, revert
 * leaves it (and keeps its record), --force restores it. */
static void drift_is_left_unless_forced(void **state)
{
	struct fx *f = *state;
	struct plan pl;
	new_plan(&pl);
	add(&pl, KNOB_SYSCTL, "net.core.busy_poll", "50", false);
	add(&pl, KNOB_IRQ_AFFINITY, "32", "1", false);
	struct tune_result r;
	assert_int_equal(tune_apply(&f->h, &f->j, &pl, &opts, &r), 0);
	tune_result_free(&r);
	assert_int_equal(host_write(&f->h, "/proc/sys/net/core/busy_poll", "7"), 0);

	assert_int_equal(tune_status(&f->h, &f->j, &r), 0);
	assert_int_equal(r.it[0].state, TUNE_DRIFTED);
	assert_string_equal(r.it[0].now, "7");
	assert_int_equal(r.it[1].state, TUNE_OK);
	tune_result_free(&r);

	char why[512];
	assert_int_equal(tune_revert(&f->h, &f->j, false, false, &r, why, sizeof(why)), 0);
	assert_int_equal(r.it[1].state, TUNE_DRIFTED);
	assert_non_null(strstr(r.it[1].why, "changed by someone else"));
	read_val(f, KNOB_SYSCTL, "net.core.busy_poll", "7");
	read_val(f, KNOB_IRQ_AFFINITY, "32", "0-3");
	assert_int_equal(f->j.n, 1);
	tune_result_free(&r);

	assert_int_equal(tune_revert(&f->h, &f->j, true, false, &r, why, sizeof(why)), 0);
	assert_int_equal(r.it[0].state, TUNE_FORCED);
	read_val(f, KNOB_SYSCTL, "net.core.busy_poll", "0");
	assert_int_equal(f->j.n, 0);
	tune_result_free(&r);
	free(pl.c);
}

/* Two applies of the same knob: revert walks both back to the first
 * original; a dry run predicts it without writing. */
static void stacked_applies_revert_to_the_first_original(void **state)
{
	struct fx *f = *state;
	struct plan a, b;
	new_plan(&a);
	new_plan(&b);
	add(&a, KNOB_SYSCTL, "net.core.busy_poll", "50", false);
	add(&b, KNOB_SYSCTL, "net.core.busy_poll", "100", false);
	add(&b, KNOB_SYSCTL, "net.core.busy_read", "100", false);
	struct tune_result r;
	assert_int_equal(tune_apply(&f->h, &f->j, &a, &opts, &r), 0);
	tune_result_free(&r);
	assert_int_equal(tune_apply(&f->h, &f->j, &b, &opts, &r), 0);
	tune_result_free(&r);
	assert_int_equal(f->j.napplies, 2);
	assert_string_equal(journal_first(&f->j, KNOB_SYSCTL, "net.core.busy_poll")->ch.old, "0");

	assert_int_equal(tune_status(&f->h, &f->j, &r), 0);
	assert_int_equal(r.n, 2); /* one line per knob and target */
	assert_string_equal(r.it[0].ch.old, "0");
	assert_string_equal(r.it[0].ch.new, "100");
	tune_result_free(&r);

	char why[512];
	assert_int_equal(tune_revert(&f->h, &f->j, false, true, &r, why, sizeof(why)), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.it[1].state, TUNE_RESTORED);
	assert_int_equal(r.it[2].state, TUNE_RESTORED); /* sees the value the newer one restores */
	read_val(f, KNOB_SYSCTL, "net.core.busy_poll", "100");
	assert_int_equal(f->j.n, 3);
	tune_result_free(&r);

	assert_int_equal(tune_revert(&f->h, &f->j, false, false, &r, why, sizeof(why)), 0);
	read_val(f, KNOB_SYSCTL, "net.core.busy_poll", "0");
	read_val(f, KNOB_SYSCTL, "net.core.busy_read", "0");
	assert_int_equal(f->j.n, 0);
	tune_result_free(&r);
	free(a.c);
	free(b.c);
}

/* A change already in place when its turn comes is not journaled; an empty
 * plan journals nothing at all. */
static void unchanged_settings_leave_no_record(void **state)
{
	struct fx *f = *state;
	struct plan pl;
	new_plan(&pl);
	struct tune_result r;
	assert_int_equal(tune_apply(&f->h, &f->j, &pl, &opts, &r), 0);
	assert_int_equal(f->j.napplies, 0);
	tune_result_free(&r);
	add(&pl, KNOB_IRQ_AFFINITY, "33", "0-3", false);
	assert_int_equal(tune_apply(&f->h, &f->j, &pl, &opts, &r), 0);
	assert_int_equal(r.it[0].state, TUNE_UNCHANGED);
	assert_int_equal(f->j.n, 0);
	assert_int_equal(f->j.napplies, 0);
	tune_result_free(&r);
	free(pl.c);
}

/* A target that disappears after apply is "gone" for status and revert. */
static void gone_targets_are_reported(void **state)
{
	struct fx *f = *state;
	struct plan pl;
	new_plan(&pl);
	add(&pl, KNOB_IRQ_AFFINITY, "33", "2", false);
	struct tune_result r;
	assert_int_equal(tune_apply(&f->h, &f->j, &pl, &opts, &r), 0);
	tune_result_free(&r);
	char *p = tree_path(f->root, "proc/irq/33");
	int rc = tree_rm(p);
	free(p);
	assert_int_equal(rc, 0);
	assert_int_equal(tune_status(&f->h, &f->j, &r), 0);
	assert_int_equal(r.it[0].state, TUNE_GONE);
	tune_result_free(&r);
	char why[512];
	assert_int_equal(tune_revert(&f->h, &f->j, false, false, &r, why, sizeof(why)), 0);
	assert_int_equal(r.it[0].state, TUNE_GONE);
	assert_true(r.ok);
	assert_int_equal(f->j.n, 0);
	tune_result_free(&r);
	free(pl.c);
}

/* ---------- PM QoS windows ---------- */

#define PMQOS2 "sys/devices/system/cpu/cpu2/power/pm_qos_resume_latency_us"
#define PMQOS3 "sys/devices/system/cpu/cpu3/power/pm_qos_resume_latency_us"
#define MINFREQ0 "sys/devices/system/cpu/cpufreq/policy0/scaling_min_freq"

static char *slurp(const char *root, const char *rel)
{
	char p[TEST_PATH];
	tpathf(p, "%s/%s", root, rel);
	FILE *fp = fopen(p, "r");
	if (!fp)
		return NULL;
	static char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static bool jdir_has(const struct fx *f, const char *name)
{
	char p[TEST_PATH];
	struct stat st;
	tpathf(p, "%s/%s", f->jdir, name);
	return lstat(p, &st) == 0;
}

/* A window-managed change (plan_pmqos_window's). */
static void add_window(struct plan *pl, enum knob_kind k, const char *target, const char *new)
{
	add(pl, k, target, new, false);
	pl->c[pl->n - 1].ch.window = true;
}

/* A child that sleeps until signalled, in window.pid as the controller. */
static void fake_controller(struct fx *f)
{
	f->child = stand_in_controller(f->jdir);
}

static void put_run_file(struct fx *f, const char *name, const char *text)
{
	char p[TEST_PATH];
	tpathf(p, "%s/%s", f->jdir, name);
	FILE *fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* A pid no process has (above pid_max). */
static int no_such_pid(void)
{
	FILE *fp = fopen("/proc/sys/kernel/pid_max", "r");
	long max = 4194304;
	if (fp) {
		assert_int_equal(fscanf(fp, "%ld", &max), 1);
		fclose(fp);
	}
	return (int)max + 1;
}

/* The controller cannot start (its agent does not exist): apply fails,
 * the window values it journaled are dropped (they were never written),
 * and journal and tree are as before. */
static void window_start_failure_undoes_everything(void **state)
{
	struct fx *f = *state;
	tree_put(f->root, PMQOS3, "0\n");
	tree_put(f->root, MINFREQ0, "1400000\n");
	struct plan pl;
	new_plan(&pl);
	pl.pid = no_such_pid();
	pl.window = (struct window_params){ .window_ns = 20000000, .budget_tokens = 1000,
					    .refill_per_s = 30, .cost_per_window = 1 };
	add(&pl, KNOB_SYSCTL, "net.core.busy_poll", "50", false);
	add_window(&pl, KNOB_PMQOS, "2", "n/a");
	add_window(&pl, KNOB_PMQOS, "3", "20");
	add_window(&pl, KNOB_CPUFREQ_MIN, "policy0", "3500000");
	add(&pl, KNOB_WINDOW, "pmqos", "running", false);
	add(&pl, KNOB_SYSCTL, "net.core.busy_read", "50", false);
	struct tune_result r;
	assert_int_equal(tune_apply(&f->h, &f->j, &pl, &opts, &r), -1);
	assert_false(r.ok);
	assert_int_equal(r.n, 6);
	assert_int_equal(r.done, 0);
	assert_int_equal(r.undo_failed, 0);
	assert_int_equal(r.it[0].state, TUNE_UNDONE);
	/* The window values: never written, nothing to undo. */
	for (int i = 1; i <= 3; i++) {
		if (r.it[i].state != TUNE_UNDONE)
			fprintf(stderr, "item %d: %s %s\n", i, tune_state_name(r.it[i].state),
				r.it[i].why);
		assert_int_equal(r.it[i].state, TUNE_UNDONE);
	}
	assert_string_equal(r.it[1].ch.old, "0");
	assert_string_equal(r.it[3].ch.old, "1400000");
	assert_int_equal(r.it[4].ch.knob, KNOB_WINDOW);
	assert_int_equal(r.it[4].state, TUNE_FAILED);
	char want[128];
	snprintf(want, sizeof(want), "agent process %d does not exist", pl.pid);
	if (!strstr(r.it[4].why, want))
		fprintf(stderr, "why: %s\n", r.it[4].why);
	assert_non_null(strstr(r.it[4].why, want));
	assert_int_equal(r.it[5].state, TUNE_NOT_RUN);
	/* The tree byte for byte, the journal without this apply. */
	assert_string_equal(slurp(f->root, PMQOS2), "0\n");
	assert_string_equal(slurp(f->root, PMQOS3), "0\n");
	assert_string_equal(slurp(f->root, MINFREQ0), "1400000\n");
	read_val(f, KNOB_SYSCTL, "net.core.busy_poll", "0");
	read_val(f, KNOB_SYSCTL, "net.core.busy_read", "0");
	assert_int_equal(f->j.n, 0);
	assert_int_equal(f->j.napplies, 0);
	assert_false(jdir_has(f, "journal"));
	assert_false(jdir_has(f, "window.pid"));
	assert_false(jdir_has(f, "window.json"));
	tune_result_free(&r);

	/* An earlier apply's records stay as they were. */
	struct plan first;
	new_plan(&first);
	add(&first, KNOB_IRQ_AFFINITY, "30", "1", false);
	assert_int_equal(tune_apply(&f->h, &f->j, &first, &opts, &r), 0);
	tune_result_free(&r);
	assert_int_equal(tune_apply(&f->h, &f->j, &pl, &opts, &r), -1);
	assert_int_equal(r.it[4].state, TUNE_FAILED);
	tune_result_free(&r);
	assert_int_equal(f->j.n, 1);
	assert_int_equal(f->j.napplies, 1);
	assert_int_equal(f->j.e[0].ch.knob, KNOB_IRQ_AFFINITY);
	assert_false(f->j.e[0].ch.window);
	struct journal k = { .dirfd = -1, .lockfd = -1, .fd = -1 };
	char why[512];
	assert_int_equal(journal_open(&k, f->jdir, false, why, sizeof(why)), 0);
	assert_int_equal(journal_load(&k, why, sizeof(why)), 0);
	assert_int_equal(k.n, 1);
	assert_int_equal(k.napplies, 1);
	assert_string_equal(k.e[0].ch.target, "30");
	journal_close(&k);
	assert_string_equal(slurp(f->root, PMQOS2), "0\n");
	read_val(f, KNOB_IRQ_AFFINITY, "30", "1");
	free(first.c);
	free(pl.c);
}

/* What apply leaves behind for a window profile (the controller itself
 * cannot run here): journal records written by hand. */
static void journal_windows(struct fx *f)
{
	char why[512];
	struct journal_apply a = { .pid = -1, .time = 1795400000, .by = 4321 };
	copy_str(a.profile, sizeof(a.profile), "agent-latency");
	copy_str(a.root, sizeof(a.root), f->root);
	assert_int_equal(journal_add_apply(&f->j, &a, why, sizeof(why)), 0);
	static const struct {
		enum knob_kind k;
		const char *target, *old, *new;
		bool window;
	} ch[] = {
		{ KNOB_PMQOS, "2", "0", "n/a", true },
		{ KNOB_PMQOS, "3", "0", "20", true },
		{ KNOB_CPUFREQ_MIN, "policy0", "1400000", "3500000", true },
		{ KNOB_WINDOW, "pmqos", "stopped", "running", false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ch); i++) {
		struct journal_entry e = { .apply = a.apply, .ch.knob = ch[i].k,
					   .ch.window = ch[i].window };
		copy_str(e.ch.target, sizeof(e.ch.target), ch[i].target);
		copy_str(e.ch.old, sizeof(e.ch.old), ch[i].old);
		copy_str(e.ch.new, sizeof(e.ch.new), ch[i].new);
		snprintf(e.ch.label, sizeof(e.ch.label), "%s (window)", ch[i].target);
		copy_str(e.ch.source, sizeof(e.ch.source), "w.profile:3");
		assert_int_equal(journal_add_change(&f->j, &e, why, sizeof(why)), 0);
	}
}

/* The host as a window profile leaves it: CPU 2's window open (n/a), CPU
 * 3 holding pmqos3_now, the frequency floor at minfreq_now, the records
 * journaled and a stand-in controller running. */
static void windows_applied(struct fx *f, const char *pmqos3_now, const char *minfreq_now)
{
	tree_put(f->root, PMQOS2, "n/a\n");
	tree_put(f->root, PMQOS3, pmqos3_now);
	tree_put(f->root, MINFREQ0, minfreq_now);
	journal_windows(f);
	fake_controller(f);
}

static const struct tune_item *item(const struct tune_result *r, enum knob_kind k,
				    const char *target)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->it[i].ch.knob == k && !strcmp(r->it[i].ch.target, target))
			return &r->it[i];
	fail_msg("no item %s %s", knob_name(k), target);
	return NULL;
}

/* status: a window value is fine open (new) or closed (the original);
 * anything else is someone else's. */
static void window_status(void **state)
{
	struct fx *f = *state;
	windows_applied(f, "0\n", "3500000\n");

	struct tune_result r;
	assert_int_equal(tune_status(&f->h, &f->j, &r), 0);
	assert_int_equal(r.n, 4);
	const struct tune_item *it = item(&r, KNOB_PMQOS, "2");
	assert_int_equal(it->state, TUNE_WINDOW);
	assert_string_equal(it->why, "window open");
	assert_string_equal(it->now, "n/a");
	assert_string_equal(it->ch.old, "0");
	assert_string_equal(it->ch.new, "n/a");
	it = item(&r, KNOB_PMQOS, "3");
	assert_int_equal(it->state, TUNE_WINDOW);
	assert_string_equal(it->why, "window closed");
	assert_string_equal(it->now, "0");
	it = item(&r, KNOB_CPUFREQ_MIN, "policy0");
	assert_int_equal(it->state, TUNE_WINDOW);
	assert_string_equal(it->why, "window open");
	it = item(&r, KNOB_WINDOW, "pmqos");
	assert_int_equal(it->state, TUNE_OK);
	assert_string_equal(it->now, "running");
	assert_true(r.ok);
	tune_result_free(&r);

	/* A third value: drifted, and status is not ok. */
	tree_put(f->root, PMQOS3, "5\n");
	tree_put(f->root, MINFREQ0, "1400000\n");
	assert_int_equal(tune_status(&f->h, &f->j, &r), 0);
	it = item(&r, KNOB_PMQOS, "3");
	assert_int_equal(it->state, TUNE_DRIFTED);
	assert_string_equal(it->now, "5");
	assert_string_equal(it->why, "");
	it = item(&r, KNOB_CPUFREQ_MIN, "policy0");
	assert_int_equal(it->state, TUNE_WINDOW);
	assert_string_equal(it->why, "window closed");
	assert_false(r.ok);
	tune_result_free(&r);

	/* The controller killed: its record says so. */
	tree_put(f->root, PMQOS2, "0\n");
	tree_put(f->root, PMQOS3, "20\n");
	kill(f->child, SIGKILL);
	waitpid(f->child, NULL, 0);
	f->child = 0;
	assert_int_equal(tune_status(&f->h, &f->j, &r), 0);
	/* The window it held stays at the window's value with nobody to close
	 * it: the CPU would poll until revert, so status says so (issue 15,
	 * defect 8: it said "window open"). */
	it = item(&r, KNOB_PMQOS, "3");
	assert_int_equal(it->state, TUNE_DRIFTED);
	assert_string_equal(it->why, "holds the window's value 20, but no window controller is "
				     "running (killed?): it stays there until `agentune revert` "
				     "restores 0");
	/* the closed ones are as they should be */
	it = item(&r, KNOB_PMQOS, "2");
	assert_int_equal(it->state, TUNE_WINDOW);
	assert_string_equal(it->why, "window closed");
	/* and apply's warning names the same */
	struct strlist warn;
	strlist_init(&warn);
	assert_int_equal(tune_window_leftovers(&f->h, &f->j, &warn), 0);
	assert_int_equal(warn.n, 1);
	assert_non_null(strstr(warn.v[0], "holds the window's value 20, but no window controller"));
	strlist_free(&warn);
	it = item(&r, KNOB_WINDOW, "pmqos");
	assert_int_equal(it->state, TUNE_DRIFTED);
	assert_string_equal(it->now, "stopped");
	assert_non_null(strstr(it->why, "the controller is not running"));
	assert_false(r.ok);
	tune_result_free(&r);
	assert_int_equal(f->j.n, 4);
}

/* After a kill -9 of the controller: revert restores the values it left at
 * the window's, finds the others original, and clears its stale files. */
static void window_revert_after_kill(void **state)
{
	struct fx *f = *state;
	tree_put(f->root, PMQOS2, "n/a\n");      /* a window was open */
	tree_put(f->root, PMQOS3, "0\n");        /* closed */
	tree_put(f->root, MINFREQ0, "3500000\n");
	journal_windows(f);
	/* Its files, naming a process that is gone. */
	pid_t gone = fork();
	assert_true(gone >= 0);
	if (gone == 0)
		_exit(0);
	assert_int_equal(waitpid(gone, NULL, 0), gone);
	char line[64];
	snprintf(line, sizeof(line), "%d 12345\n", (int)gone);
	put_run_file(f, "window.pid", line);
	put_run_file(f, "window.json", "{\"pid\":1}\n");

	struct tune_result r;
	char why[512];
	/* A dry run says so and touches nothing. */
	assert_int_equal(tune_revert(&f->h, &f->j, false, true, &r, why, sizeof(why)), 0);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.it[0].ch.knob, KNOB_WINDOW);
	assert_int_equal(r.it[0].state, TUNE_ORIGINAL);
	assert_int_equal(item(&r, KNOB_PMQOS, "2")->state, TUNE_RESTORED);
	assert_true(jdir_has(f, "window.pid"));
	assert_true(jdir_has(f, "window.json"));
	assert_string_equal(slurp(f->root, PMQOS2), "n/a\n");
	assert_int_equal(f->j.n, 4);
	tune_result_free(&r);

	assert_int_equal(tune_revert(&f->h, &f->j, false, false, &r, why, sizeof(why)), 0);
	assert_true(r.ok);
	assert_int_equal(r.n, 4);
	/* Newest first: the controller, then what it managed. */
	assert_int_equal(r.it[0].ch.knob, KNOB_WINDOW);
	assert_int_equal(r.it[0].state, TUNE_ORIGINAL);
	assert_int_equal(r.it[1].ch.knob, KNOB_CPUFREQ_MIN);
	assert_int_equal(r.it[1].state, TUNE_RESTORED);
	assert_int_equal(r.it[2].ch.knob, KNOB_PMQOS);
	assert_string_equal(r.it[2].ch.target, "3");
	assert_int_equal(r.it[2].state, TUNE_ORIGINAL);
	assert_string_equal(r.it[3].ch.target, "2");
	assert_int_equal(r.it[3].state, TUNE_RESTORED);
	assert_int_equal(r.done, 2);
	assert_string_equal(slurp(f->root, PMQOS2), "0\n");
	assert_string_equal(slurp(f->root, PMQOS3), "0\n");
	assert_string_equal(slurp(f->root, MINFREQ0), "1400000\n");
	assert_false(jdir_has(f, "window.pid"));
	assert_false(jdir_has(f, "window.json"));
	assert_int_equal(f->j.n, 0);
	assert_false(jdir_has(f, "journal"));
	tune_result_free(&r);
}

/* A controller that still runs is stopped first (SIGTERM), then the values
 * are restored; one changed by someone else stays for --force. */
static void window_revert_stops_controller(void **state)
{
	struct fx *f = *state;
	windows_applied(f, "7\n", "1400000\n");         /* someone else's */
	put_run_file(f, "window.json", "{\"pid\":1}\n");

	struct tune_result r;
	char why[512];
	assert_int_equal(tune_revert(&f->h, &f->j, false, false, &r, why, sizeof(why)), 0);
	assert_true(r.ok);
	assert_int_equal(r.it[0].ch.knob, KNOB_WINDOW);
	assert_int_equal(r.it[0].state, TUNE_RESTORED);
	assert_string_equal(r.it[0].now, "running");
	/* Stopped and reaped. */
	errno = 0;
	assert_int_equal(kill(f->child, 0), -1);
	assert_int_equal(errno, ESRCH);
	f->child = 0;
	assert_false(jdir_has(f, "window.pid"));
	assert_false(jdir_has(f, "window.json"));
	assert_int_equal(item(&r, KNOB_PMQOS, "2")->state, TUNE_RESTORED);
	assert_int_equal(item(&r, KNOB_PMQOS, "3")->state, TUNE_DRIFTED);
	assert_int_equal(item(&r, KNOB_CPUFREQ_MIN, "policy0")->state, TUNE_ORIGINAL);
	assert_string_equal(slurp(f->root, PMQOS2), "0\n");
	assert_string_equal(slurp(f->root, PMQOS3), "7\n");
	/* The drifted one stays, with its window flag. */
	assert_int_equal(f->j.n, 1);
	assert_string_equal(f->j.e[0].ch.target, "3");
	assert_true(f->j.e[0].ch.window);
	tune_result_free(&r);

	assert_int_equal(tune_revert(&f->h, &f->j, true, false, &r, why, sizeof(why)), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.it[0].state, TUNE_FORCED);
	assert_string_equal(slurp(f->root, PMQOS3), "0\n");
	assert_int_equal(f->j.n, 0);
	tune_result_free(&r);
}

/* A dry run decides on the controller like on any setting, and leaves it
 * running: nothing is stopped, nothing removed, the journal as it was. */
static void window_dry_run_leaves_the_controller_running(void **state)
{
	struct fx *f = *state;
	windows_applied(f, "0\n", "1400000\n");
	struct tune_result r;
	char why[512];
	assert_int_equal(tune_revert(&f->h, &f->j, false, true, &r, why, sizeof(why)), 0);
	assert_int_equal(r.it[0].ch.knob, KNOB_WINDOW);
	assert_string_equal(r.it[0].now, "running");
	assert_int_equal(r.it[0].state, TUNE_RESTORED);
	assert_int_equal(kill(f->child, 0), 0);
	assert_true(jdir_has(f, "window.pid"));
	assert_int_equal(f->j.n, 4);
	tune_result_free(&r);
	/* status sees it running: the record holds. */
	assert_int_equal(tune_status(&f->h, &f->j, &r), 0);
	assert_int_equal(item(&r, KNOB_WINDOW, "pmqos")->state, TUNE_OK);
	tune_result_free(&r);
}

/* Revert only ever stops a controller: a (forged) record whose original is
 * "running" cannot make it start one.  The write is refused with the
 * reason, the record stays, and no controller file appears. */
static void revert_never_starts_a_controller(void **state)
{
	struct fx *f = *state;
	char why[512];
	struct journal_apply a = { .pid = -1, .time = 1795400000, .by = 4321 };
	copy_str(a.profile, sizeof(a.profile), "forged");
	copy_str(a.root, sizeof(a.root), f->root);
	assert_int_equal(journal_add_apply(&f->j, &a, why, sizeof(why)), 0);
	struct journal_entry e = { .apply = a.apply };
	change_init(&e.ch, KNOB_WINDOW, KNOB_WINDOW_TARGET, "PM QoS window controller", "x:1");
	copy_str(e.ch.old, sizeof(e.ch.old), "running");
	copy_str(e.ch.new, sizeof(e.ch.new), "stopped");
	assert_int_equal(journal_add_change(&f->j, &e, why, sizeof(why)), 0);

	struct tune_result r;
	assert_int_equal(tune_revert(&f->h, &f->j, false, false, &r, why, sizeof(why)), 0);
	assert_false(r.ok);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.it[0].now, "stopped");
	assert_int_equal(r.it[0].state, TUNE_FAILED);
	assert_non_null(strstr(r.it[0].why, "started by apply"));
	assert_false(jdir_has(f, "window.pid"));
	assert_int_equal(f->j.n, 1);
	tune_result_free(&r);
}

/* A cgroup2 tree with process 4321 (started at 555) in agent.service. */
static void cgroup_tree(struct fx *f)
{
	tree_put(f->root, "proc/mounts", "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n");
	tree_put(f->root, "sys/fs/cgroup/cgroup.controllers", "cpu cpuset\n");
	tree_put(f->root, "sys/fs/cgroup/cgroup.subtree_control", "cpu cpuset\n");
	tree_put(f->root, "sys/fs/cgroup/cgroup.procs", "1\n");
	tree_put(f->root, "sys/fs/cgroup/system.slice/agent.service/cgroup.procs", "4321\n");
	tree_put(f->root, "sys/fs/cgroup/agentune/cgroup.procs", "");
	tree_put(f->root, "proc/4321/stat", STAT_LINE(4321, 555));
	tree_put(f->root, "proc/4321/cgroup", "0::/system.slice/agent.service\n");
	tree_put(f->root, "proc/4321/task/4321/cgroup", "0::/system.slice/agent.service\n");
}

/* Issue 15 (7): the agent exits after apply and its pid is reused by an
 * unrelated process: revert (even --force) and status call it gone and
 * never move the new process. */
static void recycled_pid_is_gone(void **state)
{
	struct fx *f = *state;
	cgroup_tree(f);
	/* What apply leaves (a tree has no kernel to move the process, so
	 * the records are written as apply writes them) ... */
	char why[512];
	struct journal_apply a = { .pid = 4321, .pid_start = 555, .time = 1795400000, .by = 4321 };
	copy_str(a.profile, sizeof(a.profile), "t");
	copy_str(a.root, sizeof(a.root), f->root);
	assert_int_equal(journal_add_apply(&f->j, &a, why, sizeof(why)), 0);
	struct journal_entry e = { .apply = a.apply };
	change_init(&e.ch, KNOB_CGROUP_PROCS, "4321@555:/sys/fs/cgroup", "process 4321", "t:1");
	copy_str(e.ch.old, sizeof(e.ch.old), "/system.slice/agent.service");
	copy_str(e.ch.new, sizeof(e.ch.new), "/agentune");
	assert_int_equal(journal_add_change(&f->j, &e, why, sizeof(why)), 0);
	struct tune_result r;
	/* ... and what the kernel shows: the agent in /agentune ... */
	tree_put(f->root, "proc/4321/cgroup", "0::/agentune\n");
	tree_put(f->root, "proc/4321/task/4321/cgroup", "0::/agentune\n");
	assert_int_equal(tune_status(&f->h, &f->j, &r), 0);
	assert_int_equal(r.it[0].state, TUNE_OK);
	tune_result_free(&r);
	/* ... then it exits and pid 4321 is another process, in a cgroup of
	 * its own. */
	tree_put(f->root, "proc/4321/stat", STAT_LINE(4321, 90210));
	tree_put(f->root, "proc/4321/cgroup", "0::/user.slice\n");
	tree_put(f->root, "proc/4321/task/4321/cgroup", "0::/user.slice\n");
	tree_put(f->root, "sys/fs/cgroup/system.slice/agent.service/cgroup.procs", "");
	assert_int_equal(tune_status(&f->h, &f->j, &r), 0);
	assert_int_equal(r.it[0].state, TUNE_GONE);
	tune_result_free(&r);
	assert_int_equal(tune_revert(&f->h, &f->j, true, false, &r, why, sizeof(why)), 0);
	assert_true(r.ok);
	assert_int_equal(r.it[0].state, TUNE_GONE);
	assert_int_equal(r.done, 0);
	/* Nothing was written: the unrelated process stays where it is. */
	assert_string_equal(slurp(f->root, "sys/fs/cgroup/system.slice/agent.service/cgroup.procs"), "");
	assert_string_equal(slurp(f->root, "sys/fs/cgroup/cgroup.procs"), "1\n");
	assert_int_equal(f->j.n, 0);
	assert_false(jdir_has(f, "journal"));
	tune_result_free(&r);
}

/* A record of an older agentune ("PID:mount", no start time): --force does
 * not move a process found elsewhere (it may be another process); the
 * record stays and says why. */
static void legacy_procs_record_not_forced(void **state)
{
	struct fx *f = *state;
	cgroup_tree(f);
	char why[512];
	struct journal_apply a = { .pid = 4321, .time = 1795400000, .by = 4321 };
	copy_str(a.profile, sizeof(a.profile), "old");
	copy_str(a.root, sizeof(a.root), f->root);
	assert_int_equal(journal_add_apply(&f->j, &a, why, sizeof(why)), 0);
	struct journal_entry e = { .apply = a.apply };
	change_init(&e.ch, KNOB_CGROUP_PROCS, "4321:/sys/fs/cgroup", "process 4321", "old:1");
	copy_str(e.ch.old, sizeof(e.ch.old), "/system.slice/agent.service");
	copy_str(e.ch.new, sizeof(e.ch.new), "/agentune");
	assert_int_equal(journal_add_change(&f->j, &e, why, sizeof(why)), 0);
	tree_put(f->root, "proc/4321/cgroup", "0::/user.slice\n");
	struct tune_result r;
	assert_int_equal(tune_revert(&f->h, &f->j, true, false, &r, why, sizeof(why)), 0);
	if (r.it[0].state != TUNE_DRIFTED)
		fprintf(stderr, "revert: %s\n", r.it[0].why);
	assert_int_equal(r.it[0].state, TUNE_DRIFTED);
	assert_non_null(strstr(r.it[0].why, "--force leaves it alone"));
	assert_string_equal(slurp(f->root, "sys/fs/cgroup/system.slice/agent.service/cgroup.procs"),
			    "4321\n");
	assert_int_equal(f->j.n, 1);
	tune_result_free(&r);
}

/* Issue 15 (9): a failed apply whose journal cannot be settled (the disk
 * fails when its records are dropped) says so, leaves records revert
 * understands (status: original, not drifted), and revert clears them. */
static void unsettled_journal_is_reported(void **state)
{
	struct fx *f = *state;
	struct plan pl;
	new_plan(&pl);
	add(&pl, KNOB_SYSCTL, "net.core.busy_poll", "50", false);
	add(&pl, KNOB_IRQ_AFFINITY, "31", "0", false);
	add(&pl, KNOB_SYSCTL, "net.core.busy_read", "50", false);
	/* busy_read unreadable: the apply fails at the third change. */
	char p[TEST_PATH];
	tpathf(p, "%s/proc/sys/net/core/busy_read", f->root);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(p, 0755), 0);
	/* Writes: the apply record, 2 changes; the 4th (cutting the records
	 * back) fails as a dying disk would. */
	journal_set_fault(&f->j, 4, EIO);
	struct tune_result r;
	assert_int_equal(tune_apply(&f->h, &f->j, &pl, &opts, &r), -1);
	assert_false(r.ok);
	assert_int_equal(r.it[0].state, TUNE_UNDONE);
	assert_int_equal(r.it[1].state, TUNE_UNDONE);
	assert_non_null(strstr(r.journal_why, "Input/output error"));
	assert_non_null(strstr(r.journal_why, "`agentune revert` drops them"));
	read_val(f, KNOB_SYSCTL, "net.core.busy_poll", "0");
	read_val(f, KNOB_IRQ_AFFINITY, "31", "0-3");
	tune_result_free(&r);
	/* What a later command finds. */
	struct journal k = { .dirfd = -1, .lockfd = -1, .fd = -1 };
	char why[512];
	journal_close(&f->j);
	assert_int_equal(journal_open(&k, f->jdir, false, why, sizeof(why)), 0);
	assert_int_equal(journal_lock(&k, why, sizeof(why)), 0);
	assert_int_equal(journal_load(&k, why, sizeof(why)), 0);
	assert_int_equal(k.n, 2);
	assert_int_equal(tune_status(&f->h, &k, &r), 0);
	assert_false(r.ok);
	for (size_t i = 0; i < r.n; i++) {
		assert_int_equal(r.it[i].state, TUNE_ORIGINAL);
		assert_non_null(strstr(r.it[i].why, "original value"));
	}
	tune_result_free(&r);
	assert_int_equal(tune_revert(&f->h, &k, false, false, &r, why, sizeof(why)), 0);
	assert_true(r.ok);
	assert_int_equal(r.done, 0);
	assert_false(jdir_has(f, "journal"));
	tune_result_free(&r);
	journal_close(&k);
	f->j = (struct journal){ .dirfd = -1, .lockfd = -1, .fd = -1 };
	free(pl.c);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(recycled_pid_is_gone, setup, teardown),
	cmocka_unit_test_setup_teardown(legacy_procs_record_not_forced, setup, teardown),
	cmocka_unit_test_setup_teardown(unsettled_journal_is_reported, setup, teardown),
	cmocka_unit_test_setup_teardown(apply_journals_every_change_and_revert_restores, setup, teardown),
	cmocka_unit_test_setup_teardown(failure_midway_undoes_everything, setup, teardown),
	cmocka_unit_test_setup_teardown(drift_is_left_unless_forced, setup, teardown),
	cmocka_unit_test_setup_teardown(stacked_applies_revert_to_the_first_original, setup, teardown),
	cmocka_unit_test_setup_teardown(unchanged_settings_leave_no_record, setup, teardown),
	cmocka_unit_test_setup_teardown(gone_targets_are_reported, setup, teardown),
	cmocka_unit_test_setup_teardown(window_start_failure_undoes_everything, setup, teardown),
	cmocka_unit_test_setup_teardown(window_status, setup, teardown),
	cmocka_unit_test_setup_teardown(window_revert_after_kill, setup, teardown),
	cmocka_unit_test_setup_teardown(window_revert_stops_controller, setup, teardown),
	cmocka_unit_test_setup_teardown(window_dry_run_leaves_the_controller_running, setup, teardown),
	cmocka_unit_test_setup_teardown(revert_never_starts_a_controller, setup, teardown),
};

RUN_TESTS(tests)
