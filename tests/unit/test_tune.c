/* tune: apply under the journal (all or nothing), revert (drift, force,
 * stacking, dry run), status, on scratch trees with a journal in a scratch
 * directory. */
#include "testutil.h"

#include <fcntl.h>
#include <unistd.h>

#include "journal.h"
#include "plan.h"
#include "tune.h"

struct fx {
	char *root;          /* the host tree */
	char *run;           /* parent of the journal directory */
	char jdir[4096];
	struct host h;
	struct journal j;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->root = tree_new("tune");
	f->run = tree_new("tune-run");
	snprintf(f->jdir, sizeof(f->jdir), "%s/agentune", f->run);
	for (int irq = 30; irq <= 33; irq++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "proc/irq/%d/smp_affinity_list", irq);
		tree_put(f->root, rel, "0-3\n");
	}
	tree_put(f->root, "proc/sys/net/core/busy_poll", "0\n");
	tree_put(f->root, "proc/sys/net/core/busy_read", "0\n");
	tree_put(f->root, "sys/devices/system/cpu/cpu2/power/pm_qos_resume_latency_us", "0\n");
	assert_int_equal(host_open(&f->h, f->root), 0);
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
	c->knob = k;
	copy_str(c->target, sizeof(c->target), target);
	copy_str(c->new, sizeof(c->new), new);
	snprintf(c->label, sizeof(c->label), "%s %s", knob_name(k), target);
	snprintf(c->source, sizeof(c->source), "t.profile:%zu", pl->n);
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
	assert_string_equal(f->j.e[0].old, "0-3");
	assert_string_equal(f->j.e[2].new, "n/a");
	assert_string_equal(f->j.e[1].source, "t.profile:2");
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
	assert_int_equal(r.it[0].knob, KNOB_PMQOS); /* newest first */
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
	char p[4096];
	tree_path(f->root, "proc/sys/net/core/busy_read", p, sizeof(p));
	unlink(p);
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
	assert_non_null(strstr(r.it[2].why, "cannot read it"));
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
	assert_string_equal(journal_first(&f->j, KNOB_SYSCTL, "net.core.busy_poll")->old, "0");

	assert_int_equal(tune_status(&f->h, &f->j, &r), 0);
	assert_int_equal(r.n, 2); /* one line per knob and target */
	assert_string_equal(r.it[0].old, "0");
	assert_string_equal(r.it[0].new, "100");
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
	char p[4096];
	tree_path(f->root, "proc/irq/33", p, sizeof(p));
	assert_int_equal(tree_rm(p), 0);
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

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(apply_journals_every_change_and_revert_restores, setup, teardown),
	cmocka_unit_test_setup_teardown(failure_midway_undoes_everything, setup, teardown),
	cmocka_unit_test_setup_teardown(drift_is_left_unless_forced, setup, teardown),
	cmocka_unit_test_setup_teardown(stacked_applies_revert_to_the_first_original, setup, teardown),
	cmocka_unit_test_setup_teardown(unchanged_settings_leave_no_record, setup, teardown),
	cmocka_unit_test_setup_teardown(gone_targets_are_reported, setup, teardown),
};

RUN_TESTS(tests)
