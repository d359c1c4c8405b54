/* tune/session: the journal and its host, opened as apply, revert and
 * status need them, in a scratch run directory (AGENTUNE_RUN_DIR). */
#include "testutil.h"

#include "tune/session.h"

struct fx {
	char *run;           /* parent of the run directory */
	char dir[TEST_PATH]; /* the run directory, AGENTUNE_RUN_DIR */
	char *root;          /* a host tree */
	struct host h;
	char *saved_env;
	bool had_env;
	char why[1024];
	char moved[TEST_PATH]; /* where root_swapped put the applied tree, "" */
	char *other;           /* the tree put in its place, or NULL */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->run = tree_new("session-run");
	tpathf(f->dir, "%s/agentune", f->run);
	f->root = tree_new("session-host");
	if (host_open(&f->h, f->root))
		return -1;
	const char *e = getenv("AGENTUNE_RUN_DIR");
	f->had_env = e != NULL;
	f->saved_env = e ? strdup(e) : NULL;
	setenv("AGENTUNE_RUN_DIR", f->dir, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	if (f->had_env)
		setenv("AGENTUNE_RUN_DIR", f->saved_env, 1);
	else
		unsetenv("AGENTUNE_RUN_DIR");
	free(f->saved_env);
	host_close(&f->h);
	if (f->moved[0]) { /* put the applied tree back where tree_free looks */
		unlink(f->root);
		rmdir(f->root);
		rename(f->moved, f->root);
	}
	if (f->other)
		tree_free(f->other);
	int rc = tree_free(f->run) | tree_free(f->root);
	free(f);
	return rc;
}

/* An apply on f's host with one change recorded (id: with the root's
 * identity, as apply records it). */
static void record_apply(struct fx *f, bool id)
{
	struct tune_session s;
	assert_int_equal(session_open_apply(&s, &f->h, f->why, sizeof(f->why)), 0);
	struct journal_apply a = { .apply = 1, .pid = -1, .time = 1795400000, .by = 1 };
	copy_str(a.profile, sizeof(a.profile), "t");
	copy_str(a.root, sizeof(a.root), f->h.root);
	assert_int_equal(host_root_id(&f->h, &a.root_dev, &a.root_ino), 0);
	a.root_id_set = id;
	assert_int_equal(journal_add_apply(&s.j, &a, f->why, sizeof(f->why)), 0);
	struct journal_entry e = { .apply = 1 };
	change_init(&e.ch, KNOB_SYSCTL, "net.core.busy_poll", "busy_poll", "t.profile:3");
	copy_str(e.ch.old, sizeof(e.ch.old), "0");
	copy_str(e.ch.new, sizeof(e.ch.new), "50");
	assert_int_equal(journal_add_change(&s.j, &e, f->why, sizeof(f->why)), 0);
	session_close(&s);
}

static void record_one_apply(struct fx *f)
{
	record_apply(f, true);
}

/* Nothing applied: no run directory, then an empty one.  Not an error,
 * and the directory is named for the report. */
static void nothing_applied(void **state)
{
	struct fx *f = *state;
	struct tune_session s;
	assert_int_equal(session_open_existing(&s, true, f->why, sizeof(f->why)), 1);
	assert_string_equal(s.j.dir, f->dir);
	assert_false(s.host_open);
	session_close(&s);
	assert_int_equal(mkdir(f->dir, 0700), 0);
	assert_int_equal(session_open_existing(&s, false, f->why, sizeof(f->why)), 1);
	assert_string_equal(s.j.dir, f->dir);
	session_close(&s);
}

/* The records are opened with the host they are about. */
static void existing_opens_the_journals_host(void **state)
{
	struct fx *f = *state;
	record_one_apply(f);
	struct tune_session s;
	assert_int_equal(session_open_existing(&s, true, f->why, sizeof(f->why)), 0);
	assert_true(s.host_open);
	assert_string_equal(s.h.root, f->h.root);
	assert_int_equal(s.j.n, 1);
	assert_string_equal(s.j.e[0].ch.new, "50");
	session_close(&s);
}

/* One apply at a time; status reads meanwhile (no lock). */
static void the_lock_is_one_at_a_time(void **state)
{
	struct fx *f = *state;
	record_one_apply(f);
	struct tune_session a, b;
	assert_int_equal(session_open_apply(&a, &f->h, f->why, sizeof(f->why)), 0);
	assert_int_equal(session_open_existing(&b, true, f->why, sizeof(f->why)), -EBUSY);
	assert_non_null(strstr(f->why, "another agentune"));
	session_close(&b);
	assert_int_equal(session_open_existing(&b, false, f->why, sizeof(f->why)), 0);
	session_close(&b);
	session_close(&a);
	assert_int_equal(session_open_existing(&b, true, f->why, sizeof(f->why)), 0);
	session_close(&b);
}

/* A journal about another root is not extended by an apply here. */
static void apply_refuses_another_root(void **state)
{
	struct fx *f = *state;
	record_one_apply(f);
	char *other = tree_new("session-other");
	struct host h2;
	assert_int_equal(host_open(&h2, other), 0);
	struct tune_session s;
	assert_int_equal(session_open_apply(&s, &h2, f->why, sizeof(f->why)), -EXDEV);
	char want[TEST_MSG];
	tpathf(want, "the journal holds changes to root %s (apply 1 of t); revert them first",
	       f->h.root);
	assert_string_equal(f->why, want);
	session_close(&s);
	host_close(&h2);
	assert_int_equal(tree_free(other), 0);
}

/* The applied tree moved away and something else put at its path: a link
 * to another tree holding the same files, a link to /, another directory.
 * revert and status (open_existing) and a further apply refuse each,
 * naming the recorded root and what the path is now; with the tree back,
 * all is well again. */
static void root_swapped(void **state)
{
	struct fx *f = *state;
	record_one_apply(f);
	tpathf(f->moved, "%s.moved", f->root);
	f->other = tree_new("session-other");
	char other_real[PATH_MAX];
	assert_non_null(realpath(f->other, other_real));
	assert_int_equal(rename(f->root, f->moved), 0);
	struct tune_session s;
	char want[TEST_MSG];

	const char *targets[] = { f->other, "/" };
	for (size_t i = 0; i < ARRAY_SIZE(targets); i++) {
		assert_int_equal(symlink(targets[i], f->root), 0);
		for (int lock = 0; lock < 2; lock++) {
			assert_int_equal(session_open_existing(&s, lock, f->why, sizeof(f->why)),
					 -EXDEV);
			tpathf(want, "the journal's root %s now resolves to %s (device ", f->h.root,
			       i ? "/" : other_real);
			assert_true(!strncmp(f->why, want, strlen(want)));
			assert_non_null(strstr(f->why, "refusing it"));
			session_close(&s);
		}
		assert_int_equal(unlink(f->root), 0);
	}

	/* Another directory at the very path. */
	assert_int_equal(mkdir(f->root, 0755), 0);
	assert_int_equal(session_open_existing(&s, true, f->why, sizeof(f->why)), -EXDEV);
	tpathf(want, "the journal's root %s was device ", f->h.root);
	assert_true(!strncmp(f->why, want, strlen(want)));
	tpathf(want, " when applied; %s is now device ", f->h.root);
	assert_non_null(strstr(f->why, want));
	assert_non_null(strstr(f->why, "another directory: refusing it"));
	session_close(&s);
	struct host h2;
	assert_int_equal(host_open(&h2, f->root), 0);
	assert_int_equal(session_open_apply(&s, &h2, f->why, sizeof(f->why)), -EXDEV);
	assert_non_null(strstr(f->why, "another directory: refusing it"));
	session_close(&s);
	host_close(&h2);

	/* The tree back: revert may go ahead. */
	assert_int_equal(rmdir(f->root), 0);
	assert_int_equal(rename(f->moved, f->root), 0);
	f->moved[0] = '\0';
	assert_int_equal(session_open_existing(&s, true, f->why, sizeof(f->why)), 0);
	assert_true(s.host_open);
	session_close(&s);
}

/* A journal that does not record which directory a root other than / was
 * (an older agentune's) is not followed by name. */
static void root_without_identity(void **state)
{
	struct fx *f = *state;
	record_apply(f, false);
	struct tune_session s;
	assert_int_equal(session_open_existing(&s, false, f->why, sizeof(f->why)), -EXDEV);
	char want[TEST_MSG];
	tpathf(want, "the journal does not record which directory root %s was (an older "
		     "agentune wrote it): refusing to follow the path", f->h.root);
	assert_string_equal(f->why, want);
	session_close(&s);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(root_swapped, setup, teardown),
	cmocka_unit_test_setup_teardown(root_without_identity, setup, teardown),
	cmocka_unit_test_setup_teardown(nothing_applied, setup, teardown),
	cmocka_unit_test_setup_teardown(existing_opens_the_journals_host, setup, teardown),
	cmocka_unit_test_setup_teardown(the_lock_is_one_at_a_time, setup, teardown),
	cmocka_unit_test_setup_teardown(apply_refuses_another_root, setup, teardown),
};

RUN_TESTS(tests)
