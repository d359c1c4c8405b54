/* Tests of the journal: round trips, the bytes on disk, rewrites, the
 * lock, everything that must be refused in the directory, and corrupt
 * journals with the line and reason each must be refused with. */
#include "testutil.h"

#include <fcntl.h>
#include <sys/wait.h>

#include "tune/journal.h"

/* A scratch tree per test; the journal directory is root/run. */
struct ctx {
	char *root;
	char dir[TEST_PATH];
	char why[8192];
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	c->root = tree_new("journal");
	tpathf(c->dir, "%s/run", c->root);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	int rc = tree_free(c->root);
	free(c);
	return rc;
}

/* c->dir/name into p. */
static void jpath(const struct ctx *c, const char *name, char *p, size_t sz)
{
	snprintf(p, sz, "%s/%s", c->dir, name);
}

/* The whole of a file (NUL-terminated, caller frees), NULL when absent. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = malloc(1 << 16);
	assert_non_null(buf);
	size_t n = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static void put_file(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static struct journal_apply sample_apply(const char *profile, int pid)
{
	struct journal_apply a;
	memset(&a, 0, sizeof(a));
	snprintf(a.profile, sizeof(a.profile), "%s", profile);
	snprintf(a.path, sizeof(a.path), "/usr/share/agentune/profiles/%s.profile", profile);
	a.pid = pid;
	snprintf(a.cpus, sizeof(a.cpus), "1");
	snprintf(a.root, sizeof(a.root), "/");
	a.time = 1795400000;
	a.by = 4321;
	return a;
}

/* A journal record of apply number `apply`: knob k on target, old -> new. */
static struct journal_entry sample_entry(unsigned apply, enum knob_kind k, const char *target,
					 const char *label, const char *source, const char *old,
					 const char *new)
{
	struct journal_entry e;
	memset(&e, 0, sizeof(e));
	e.apply = apply;
	change_init(&e.ch, k, target, label, source);
	snprintf(e.ch.old, sizeof(e.ch.old), "%s", old);
	snprintf(e.ch.new, sizeof(e.ch.new), "%s", new);
	return e;
}

static struct journal_entry sample_irq(unsigned apply, const char *irq, const char *old,
				       const char *new, const char *label)
{
	return sample_entry(apply, KNOB_IRQ_AFFINITY, irq, label, "x.profile:12", old, new);
}

static struct journal_entry sample_sysctl(unsigned apply, const char *old, const char *new)
{
	return sample_entry(apply, KNOB_SYSCTL, "net.core.netdev_budget", "netdev_budget",
			    "balanced.profile:7", old, new);
}

static void open_ok(struct ctx *c, struct journal *j)
{
	int rc = journal_open(j, c->dir, true, c->why, sizeof(c->why));
	if (rc)
		fprintf(stderr, "journal_open: %s\n", c->why);
	assert_int_equal(rc, 0);
}

static void add_apply_ok(struct ctx *c, struct journal *j, struct journal_apply *a)
{
	int rc = journal_add_apply(j, a, c->why, sizeof(c->why));
	if (rc)
		fprintf(stderr, "add_apply: %s\n", c->why);
	assert_int_equal(rc, 0);
}

static void add_change_ok(struct ctx *c, struct journal *j, struct journal_entry *e)
{
	int rc = journal_add_change(j, e, c->why, sizeof(c->why));
	if (rc)
		fprintf(stderr, "add_change: %s\n", c->why);
	assert_int_equal(rc, 0);
}

static void load_ok(struct ctx *c, struct journal *j)
{
	int rc = journal_load(j, c->why, sizeof(c->why));
	if (rc)
		fprintf(stderr, "journal_load: %s\n", c->why);
	assert_int_equal(rc, 0);
}

/* apply 1 (changes 1-3), apply 2 (changes 4-5), all through j. */
static void fill(struct ctx *c, struct journal *j)
{
	struct journal_apply a1 = sample_apply("agent-latency", 1234);
	add_apply_ok(c, j, &a1);
	assert_int_equal(a1.apply, 1);
	struct journal_entry e[5] = {
		sample_irq(1, "38", "0-1", "0", "IRQ 38 virtio2-input.0"),
		sample_irq(1, "39", "0-1", "0", "IRQ 39 virtio2-output.0"),
		sample_sysctl(1, "300", "600"),
	};
	for (int i = 0; i < 3; i++) {
		add_change_ok(c, j, &e[i]);
		assert_int_equal(e[i].seq, i + 1);
	}
	struct journal_apply a2 = sample_apply("agent-network", -1);
	add_apply_ok(c, j, &a2);
	assert_int_equal(a2.apply, 2);
	e[3] = sample_irq(2, "38", "0", "1", "IRQ 38 virtio2-input.0");
	e[4] = sample_sysctl(2, "600", "900");
	for (int i = 3; i < 5; i++) {
		add_change_ok(c, j, &e[i]);
		assert_int_equal(e[i].seq, i + 1);
	}
	assert_int_equal(j->napplies, 2);
	assert_int_equal(j->n, 5);
}

static void assert_apply_eq(const struct journal_apply *a, const struct journal_apply *b)
{
	assert_int_equal(a->apply, b->apply);
	assert_string_equal(a->profile, b->profile);
	assert_string_equal(a->path, b->path);
	assert_int_equal(a->pid, b->pid);
	assert_string_equal(a->cpus, b->cpus);
	assert_string_equal(a->root, b->root);
	assert_int_equal(a->time, b->time);
	assert_int_equal(a->by, b->by);
}

static void assert_entry_eq(const struct journal_entry *a, const struct journal_entry *b)
{
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->apply, b->apply);
	assert_int_equal(a->ch.knob, b->ch.knob);
	assert_string_equal(a->ch.target, b->ch.target);
	assert_string_equal(a->ch.old, b->ch.old);
	assert_string_equal(a->ch.new, b->ch.new);
	assert_string_equal(a->ch.label, b->ch.label);
	assert_string_equal(a->ch.source, b->ch.source);
}

/* ---------- the directory ---------- */

static void test_default_dir(void **state)
{
	(void)state;
	const char *saved = getenv("AGENTUNE_RUN_DIR");
	char *keep = saved ? strdup(saved) : NULL;
	unsetenv("AGENTUNE_RUN_DIR");
	assert_string_equal(journal_default_dir(), "/run/agentune");
	setenv("AGENTUNE_RUN_DIR", "", 1);
	assert_string_equal(journal_default_dir(), "/run/agentune");
	setenv("AGENTUNE_RUN_DIR", "/tmp/x-run", 1);
	assert_string_equal(journal_default_dir(), "/tmp/x-run");
	if (keep)
		setenv("AGENTUNE_RUN_DIR", keep, 1);
	else
		unsetenv("AGENTUNE_RUN_DIR");
	free(keep);
}

static void test_open_creates_0700(void **state)
{
	struct ctx *c = *state;
	struct journal j;
	assert_int_equal(journal_open(&j, c->dir, false, c->why, sizeof(c->why)), -ENOENT);
	assert_int_equal(j.dirfd, -1);
	journal_close(&j);
	assert_false(exists(c->dir));

	mode_t old = umask(0);
	open_ok(c, &j);
	umask(old);
	struct stat st;
	assert_int_equal(stat(c->dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_true(j.dirfd >= 0);
	assert_string_equal(j.dir, c->dir);
	journal_close(&j);
	/* Opening an existing one is fine with or without create. */
	assert_int_equal(journal_open(&j, c->dir, false, c->why, sizeof(c->why)), 0);
	journal_close(&j);

	/* Parents are not made. */
	char deep[TEST_PATH];
	tpathf(deep, "%s/no/such/run", c->root);
	assert_int_equal(journal_open(&j, deep, true, c->why, sizeof(c->why)), -ENOENT);
	assert_non_null(strstr(c->why, "its parent directory does not exist"));
	journal_close(&j);
	assert_false(exists(deep));
}

static void test_close_idempotent(void **state)
{
	struct ctx *c = *state;
	struct journal j;
	open_ok(c, &j);
	assert_int_equal(journal_lock(&j, c->why, sizeof(c->why)), 0);
	fill(c, &j);
	journal_close(&j);
	assert_int_equal(j.dirfd, -1);
	assert_int_equal(j.lockfd, -1);
	assert_int_equal(j.fd, -1);
	assert_null(j.e);
	assert_null(j.applies);
	assert_int_equal(j.n, 0);
	journal_close(&j);
	assert_int_equal(j.dirfd, -1);
}

static void test_dir_symlink_refused(void **state)
{
	struct ctx *c = *state;
	char real[TEST_PATH];
	tpathf(real, "%s/real", c->root);
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(symlink(real, c->dir), 0);
	struct journal j;
	char expect[TEST_MSG];
	snprintf(expect, sizeof(expect), "%s is a symlink: refusing it", c->dir);
	for (int create = 0; create < 2; create++) {
		assert_int_equal(journal_open(&j, c->dir, create, c->why, sizeof(c->why)), -ELOOP);
		assert_string_equal(c->why, expect);
		assert_int_equal(j.dirfd, -1);
		journal_close(&j);
	}
	/* Nothing was made through the link. */
	char p[TEST_PATH];
	tpathf(p, "%s/journal", real);
	assert_false(exists(p));
}

/* A trailing slash makes open(2) follow a link despite O_NOFOLLOW: the run
 * directory is walked without following any, with or without one. */
static void test_dir_trailing_slash_link_refused(void **state)
{
	struct ctx *c = *state;
	char real[TEST_PATH], slash[TEST_PATH], p[TEST_PATH];
	tpathf(real, "%s/real", c->root);
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(symlink(real, c->dir), 0);
	tpathf(slash, "%s/", c->dir);
	struct journal j;
	for (int create = 0; create < 2; create++) {
		assert_int_equal(journal_open(&j, slash, create, c->why, sizeof(c->why)), -ELOOP);
		assert_non_null(strstr(c->why, "is a symlink"));
		assert_int_equal(j.dirfd, -1);
		journal_close(&j);
	}
	tpathf(p, "%s/lock", real);
	assert_false(exists(p));
}

/* A link in the middle of the path: refused, nothing made through it. */
static void test_dir_middle_link_refused(void **state)
{
	struct ctx *c = *state;
	char real[TEST_PATH], mid[TEST_PATH], dir[TEST_PATH], p[TEST_PATH], want[TEST_MSG];
	tpathf(real, "%s/elsewhere", c->root);
	assert_int_equal(mkdir(real, 0755), 0);
	tpathf(mid, "%s/mid", c->root);
	assert_int_equal(symlink(real, mid), 0);
	tpathf(dir, "%s/run", mid);
	struct journal j;
	assert_int_equal(journal_open(&j, dir, true, c->why, sizeof(c->why)), -ELOOP);
	tpathf(want, "%s is a symlink (to %s): refusing a path that goes through one", mid, real);
	assert_string_equal(c->why, want);
	journal_close(&j);
	tpathf(p, "%s/run", real);
	assert_false(exists(p));
}

/* A relative run directory would be another directory for the controller
 * (a daemon in /) than for the apply that started it. */
static void test_dir_relative_refused(void **state)
{
	struct ctx *c = *state;
	char cwd[TEST_PATH], p[TEST_PATH];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(c->root), 0);
	struct journal j;
	int rc = journal_open(&j, "run-here", true, c->why, sizeof(c->why));
	journal_close(&j);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(c->why, "run directory run-here is not an absolute path: refusing it "
				    "(AGENTUNE_RUN_DIR must start with /)");
	tpathf(p, "%s/run-here", c->root);
	assert_false(exists(p));
}

/* The root's identity goes into the journal and comes back; a record
 * without it (an older agentune's) loads with root_id_set false. */
static void test_root_id_round_trip(void **state)
{
	struct ctx *c = *state;
	struct journal j;
	open_ok(c, &j);
	assert_int_equal(journal_lock(&j, c->why, sizeof(c->why)), 0);
	struct journal_apply a = sample_apply("balanced", -1);
	snprintf(a.root, sizeof(a.root), "/srv/tree");
	a.root_id_set = true;
	a.root_dev = 2049;
	a.root_ino = 18446744073709551615u; /* inode numbers use all 64 bits */
	assert_int_equal(journal_add_apply(&j, &a, c->why, sizeof(c->why)), 0);
	struct journal_apply b = sample_apply("other", -1);
	assert_int_equal(journal_add_apply(&j, &b, c->why, sizeof(c->why)), 0);
	journal_close(&j);
	char p[TEST_PATH];
	jpath(c, JOURNAL_FILE, p, sizeof(p));
	char *text = slurp(p, NULL);
	assert_non_null(strstr(text, "\"root\":\"/srv/tree\",\"root_id\":\"2049:18446744073709551615\""));
	free(text);
	open_ok(c, &j);
	assert_int_equal(journal_load(&j, c->why, sizeof(c->why)), 0);
	assert_int_equal(j.napplies, 2);
	assert_true(j.applies[0].root_id_set);
	assert_int_equal(j.applies[0].root_dev, 2049);
	assert_true(j.applies[0].root_ino == 18446744073709551615u);
	assert_false(j.applies[1].root_id_set);
	journal_close(&j);
}

static void test_dir_not_a_directory(void **state)
{
	struct ctx *c = *state;
	put_file(c->dir, "x", 1, 0600);
	struct journal j;
	assert_int_equal(journal_open(&j, c->dir, true, c->why, sizeof(c->why)), -ENOTDIR);
	char expect[TEST_MSG];
	snprintf(expect, sizeof(expect), "%s is not a directory: refusing it", c->dir);
	assert_string_equal(c->why, expect);
	journal_close(&j);
}

static void test_dir_mode_refused(void **state)
{
	struct ctx *c = *state;
	assert_int_equal(mkdir(c->dir, 0700), 0);
	static const struct {
		mode_t mode;
		const char *text;
	} modes[] = { { 0755, "0755" }, { 0750, "0750" }, { 0701, "0701" }, { 01777, "1777" } };
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		assert_int_equal(chmod(c->dir, modes[i].mode), 0);
		struct journal j;
		assert_int_equal(journal_open(&j, c->dir, true, c->why, sizeof(c->why)), -EPERM);
		char expect[TEST_MSG];
		snprintf(expect, sizeof(expect), "%s is mode %s: must be 0700", c->dir,
			 modes[i].text);
		assert_string_equal(c->why, expect);
		journal_close(&j);
	}
	assert_int_equal(chmod(c->dir, 0700), 0);
	struct journal j;
	open_ok(c, &j);
	journal_close(&j);
}

static void test_dir_owner_refused(void **state)
{
	struct ctx *c = *state;
	need_root("changing a directory's owner");
	assert_int_equal(mkdir(c->dir, 0700), 0);
	assert_int_equal(chown(c->dir, 65534, 65534), 0);
	struct journal j;
	assert_int_equal(journal_open(&j, c->dir, false, c->why, sizeof(c->why)), -EPERM);
	assert_non_null(strstr(c->why, "is owned by uid 65534, not by uid 0: refusing it"));
	journal_close(&j);
}

/* ---------- files planted in the directory ---------- */

static void test_planted_journal_symlink(void **state)
{
	struct ctx *c = *state;
	struct journal j;
	open_ok(c, &j);
	char victim[TEST_PATH], p[TEST_PATH];
	tpathf(victim, "%s/victim", c->root);
	put_file(victim, "precious\n", 9, 0600);
	jpath(c, "journal", p, sizeof(p));
	assert_int_equal(symlink(victim, p), 0);

	char expect[TEST_MSG];
	tpathf(expect, "%s/journal is a symlink: refusing it", c->dir);
	assert_int_equal(journal_load(&j, c->why, sizeof(c->why)), -ELOOP);
	assert_string_equal(c->why, expect);
	struct journal_apply a = sample_apply("agent-latency", 1);
	assert_int_equal(journal_add_apply(&j, &a, c->why, sizeof(c->why)), -ELOOP);
	assert_string_equal(c->why, expect);
	assert_int_equal(j.napplies, 0);
	assert_int_equal(j.fd, -1);

	/* A dangling one is not created through either. */
	char dangling[TEST_PATH];
	tpathf(dangling, "%s/made-through-link", c->root);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink(dangling, p), 0);
	assert_int_equal(journal_add_apply(&j, &a, c->why, sizeof(c->why)), -ELOOP);
	assert_false(exists(dangling));
	journal_close(&j);

	char *s = slurp(victim, NULL);
	assert_string_equal(s, "precious\n");
	free(s);
}

static void test_planted_lock_symlink(void **state)
{
	struct ctx *c = *state;
	struct journal j;
	open_ok(c, &j);
	char victim[TEST_PATH], p[TEST_PATH];
	tpathf(victim, "%s/victim", c->root);
	put_file(victim, "precious\n", 9, 0600);
	jpath(c, "lock", p, sizeof(p));
	assert_int_equal(symlink(victim, p), 0);
	assert_int_equal(journal_lock(&j, c->why, sizeof(c->why)), -ELOOP);
	char expect[TEST_MSG];
	tpathf(expect, "%s/lock is a symlink: refusing it", c->dir);
	assert_string_equal(c->why, expect);
	assert_int_equal(j.lockfd, -1);
	journal_close(&j);
	char *s = slurp(victim, NULL);
	assert_string_equal(s, "precious\n");
	free(s);
}

static void test_fifo_and_directory_refused(void **state)
{
	struct ctx *c = *state;
	struct journal j;
	open_ok(c, &j);
	char p[TEST_PATH], expect[TEST_MSG];
	jpath(c, "journal", p, sizeof(p));
	assert_int_equal(mkfifo(p, 0600), 0);
	snprintf(expect, sizeof(expect),
		 "%s/journal is a FIFO, not a regular file: refusing it", c->dir);
	/* Neither may hang on the FIFO. */
	assert_int_equal(journal_load(&j, c->why, sizeof(c->why)), -EPERM);
	assert_string_equal(c->why, expect);
	struct journal_apply a = sample_apply("agent-latency", 1);
	assert_int_equal(journal_add_apply(&j, &a, c->why, sizeof(c->why)), -EPERM);
	assert_string_equal(c->why, expect);
	assert_int_equal(unlink(p), 0);

	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(expect, sizeof(expect),
		 "%s/journal is a directory, not a regular file: refusing it", c->dir);
	assert_int_equal(journal_load(&j, c->why, sizeof(c->why)), -EPERM);
	assert_string_equal(c->why, expect);
	assert_int_equal(journal_add_apply(&j, &a, c->why, sizeof(c->why)), -EPERM);
	assert_string_equal(c->why, expect);
	assert_int_equal(rmdir(p), 0);

	jpath(c, "lock", p, sizeof(p));
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(journal_lock(&j, c->why, sizeof(c->why)), -EPERM);
	tpathf(expect, "%s/lock is a FIFO, not a regular file: refusing it",
		 c->dir);
	assert_string_equal(c->why, expect);
	journal_close(&j);
}

static void test_file_mode_and_links_refused(void **state)
{
	struct ctx *c = *state;
	struct journal j;
	open_ok(c, &j);
	char p[TEST_PATH], other[TEST_PATH], expect[TEST_MSG];
	jpath(c, "journal", p, sizeof(p));
	put_file(p, "", 0, 0644);
	assert_int_equal(journal_load(&j, c->why, sizeof(c->why)), -EPERM);
	tpathf(expect, "%s/journal is mode 0644: must be 0600", c->dir);
	assert_string_equal(c->why, expect);
	assert_int_equal(chmod(p, 0600), 0);
	load_ok(c, &j);

	tpathf(other, "%s/other-name", c->root);
	assert_int_equal(link(p, other), 0);
	assert_int_equal(journal_load(&j, c->why, sizeof(c->why)), -EPERM);
	assert_non_null(strstr(c->why, "journal has 2 hard links: refusing it"));
	journal_close(&j);
}

/* ---------- round trip and bytes ---------- */

static void test_round_trip(void **state)
{
	struct ctx *c = *state;
	struct journal j;
	open_ok(c, &j);
	assert_int_equal(journal_lock(&j, c->why, sizeof(c->why)), 0);
	load_ok(c, &j);
	assert_int_equal(j.n, 0);
	fill(c, &j);
	/* Characters JSON escapes come back as they were. */
	struct journal_entry odd = sample_irq(2, "40", "0-3", "2,3",
					      "IRQ 40 \"quoted\" back\\slash\ttab é /slash");
	add_change_ok(c, &j, &odd);
	assert_int_equal(odd.seq, 6);

	struct journal_apply a[2];
	struct journal_entry e[6];
	memcpy(a, j.applies, sizeof(a));
	memcpy(e, j.e, sizeof(e));
	journal_close(&j);

	struct journal k;
	open_ok(c, &k);
	load_ok(c, &k);
	assert_int_equal(k.napplies, 2);
	assert_int_equal(k.n, 6);
	for (int i = 0; i < 2; i++)
		assert_apply_eq(&k.applies[i], &a[i]);
	for (int i = 0; i < 6; i++)
		assert_entry_eq(&k.e[i], &e[i]);
	assert_string_equal(k.applies[0].profile, "agent-latency");
	assert_int_equal(k.applies[0].pid, 1234);
	assert_int_equal(k.applies[1].pid, -1);
	assert_int_equal(k.applies[0].time, 1795400000);
	assert_string_equal(k.e[5].ch.label, "IRQ 40 \"quoted\" back\\slash\ttab é /slash");

	/* journal_first: the first record of a knob holds the original. */
	const struct journal_entry *f = journal_first(&k, KNOB_IRQ_AFFINITY, "38");
	assert_non_null(f);
	assert_int_equal(f->seq, 1);
	assert_string_equal(f->ch.old, "0-1");
	f = journal_first(&k, KNOB_SYSCTL, "net.core.netdev_budget");
	assert_non_null(f);
	assert_int_equal(f->seq, 3);
	assert_string_equal(f->ch.old, "300");
	assert_null(journal_first(&k, KNOB_IRQ_AFFINITY, "41"));
	assert_null(journal_first(&k, KNOB_PMQOS, "38"));
	assert_string_equal(journal_apply_of(&k, 2)->profile, "agent-network");
	assert_null(journal_apply_of(&k, 3));

	/* Loading again replaces, never doubles. */
	load_ok(c, &k);
	assert_int_equal(k.n, 6);
	/* Appending after a load continues the numbering. */
	struct journal_entry more = sample_sysctl(1, "900", "1200");
	add_change_ok(c, &k, &more);
	assert_int_equal(more.seq, 7);
	struct journal_apply a3 = sample_apply("agent-storage", 77);
	add_apply_ok(c, &k, &a3);
	assert_int_equal(a3.apply, 3);
	journal_close(&k);
	open_ok(c, &k);
	load_ok(c, &k);
	assert_int_equal(k.n, 7);
	assert_int_equal(k.napplies, 3);
	assert_int_equal(k.e[6].apply, 1);
	journal_close(&k);
}

static void test_bytes_on_disk(void **state)
{
	struct ctx *c = *state;
	struct journal j;
	open_ok(c, &j);
	struct journal_apply a = sample_apply("agent-latency", 1234);
	add_apply_ok(c, &j, &a);
	struct journal_entry e = sample_irq(1, "38", "0-1", "0", "IRQ 38 virtio2-input.0");
	add_change_ok(c, &j, &e);
	/* Each record is on disk the moment add returns: read it while j is open. */
	char p[TEST_PATH];
	jpath(c, "journal", p, sizeof(p));
	char *s = slurp(p, NULL);
	assert_non_null(s);
	assert_string_equal(
		s, "{\"type\":\"apply\",\"apply\":1,\"profile\":\"agent-latency\","
		   "\"path\":\"/usr/share/agentune/profiles/agent-latency.profile\",\"pid\":1234,"
		   "\"cpus\":\"1\",\"root\":\"/\",\"time\":1795400000,\"by\":4321}\n"
		   "{\"type\":\"change\",\"seq\":1,\"apply\":1,\"knob\":\"irq_affinity\","
		   "\"target\":\"38\",\"old\":\"0-1\",\"new\":\"0\","
		   "\"label\":\"IRQ 38 virtio2-input.0\",\"source\":\"x.profile:12\"}\n");
	free(s);
	struct stat st;
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	journal_close(&j);
}

/* ---------- rewrite ---------- */

static void test_rewrite_subset(void **state)
{
	struct ctx *c = *state;
	struct journal j;
	open_ok(c, &j);
	fill(c, &j);
	char p[TEST_PATH], tmp[TEST_PATH];
	jpath(c, "journal", p, sizeof(p));
	jpath(c, "journal.new", tmp, sizeof(tmp));
	/* A stale temporary file from a killed rewrite is replaced. */
	put_file(tmp, "stale\n", 6, 0600);

	/* Changes 2 and 5 stay: both applies stay, seq numbers as they were. */
	bool keep[5] = { false, true, false, false, true };
	assert_int_equal(journal_rewrite(&j, keep, c->why, sizeof(c->why)), 0);
	assert_int_equal(j.n, 2);
	assert_int_equal(j.e[0].seq, 2);
	assert_int_equal(j.e[1].seq, 5);
	assert_int_equal(j.napplies, 2);
	assert_false(exists(tmp));
	char *s = slurp(p, NULL);
	assert_non_null(s);
	assert_string_equal(
		s, "{\"type\":\"apply\",\"apply\":1,\"profile\":\"agent-latency\","
		   "\"path\":\"/usr/share/agentune/profiles/agent-latency.profile\",\"pid\":1234,"
		   "\"cpus\":\"1\",\"root\":\"/\",\"time\":1795400000,\"by\":4321}\n"
		   "{\"type\":\"change\",\"seq\":2,\"apply\":1,\"knob\":\"irq_affinity\","
		   "\"target\":\"39\",\"old\":\"0-1\",\"new\":\"0\","
		   "\"label\":\"IRQ 39 virtio2-output.0\",\"source\":\"x.profile:12\"}\n"
		   "{\"type\":\"apply\",\"apply\":2,\"profile\":\"agent-network\","
		   "\"path\":\"/usr/share/agentune/profiles/agent-network.profile\",\"pid\":-1,"
		   "\"cpus\":\"1\",\"root\":\"/\",\"time\":1795400000,\"by\":4321}\n"
		   "{\"type\":\"change\",\"seq\":5,\"apply\":2,\"knob\":\"sysctl\","
		   "\"target\":\"net.core.netdev_budget\",\"old\":\"600\",\"new\":\"900\","
		   "\"label\":\"netdev_budget\",\"source\":\"balanced.profile:7\"}\n");
	free(s);
	struct stat st;
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* Appending goes to the new file, after the kept numbers. */
	struct journal_entry e = sample_irq(2, "41", "0-1", "1", "IRQ 41");
	add_change_ok(c, &j, &e);
	assert_int_equal(e.seq, 6);

	/* Now keep only apply 2's: apply 1 goes. */
	bool keep2[3] = { false, true, true };
	assert_int_equal(journal_rewrite(&j, keep2, c->why, sizeof(c->why)), 0);
	assert_int_equal(j.napplies, 1);
	assert_int_equal(j.applies[0].apply, 2);
	assert_int_equal(j.n, 2);
	journal_close(&j);

	open_ok(c, &j);
	load_ok(c, &j);
	assert_int_equal(j.napplies, 1);
	assert_int_equal(j.applies[0].apply, 2);
	assert_string_equal(j.applies[0].profile, "agent-network");
	assert_int_equal(j.n, 2);
	assert_int_equal(j.e[0].seq, 5);
	assert_int_equal(j.e[1].seq, 6);
	assert_string_equal(j.e[1].ch.target, "41");
	/* A new apply still numbers after the last one kept. */
	struct journal_apply a = sample_apply("balanced", -1);
	add_apply_ok(c, &j, &a);
	assert_int_equal(a.apply, 3);
	journal_close(&j);
}

/* A change of an earlier apply after a later apply record: the rewrite
 * must still put the apply records in ascending order. */
static void test_rewrite_interleaved(void **state)
{
	struct ctx *c = *state;
	struct journal j;
	open_ok(c, &j);
	struct journal_apply a1 = sample_apply("one", -1), a2 = sample_apply("two", -1);
	add_apply_ok(c, &j, &a1);
	add_apply_ok(c, &j, &a2);
	struct journal_entry e1 = sample_irq(2, "38", "0-1", "1", "IRQ 38");
	struct journal_entry e2 = sample_irq(1, "39", "0-1", "0", "IRQ 39");
	add_change_ok(c, &j, &e1);
	add_change_ok(c, &j, &e2);
	bool keep[2] = { true, true };
	assert_int_equal(journal_rewrite(&j, keep, c->why, sizeof(c->why)), 0);
	journal_close(&j);
	open_ok(c, &j);
	load_ok(c, &j);
	assert_int_equal(j.napplies, 2);
	assert_int_equal(j.applies[0].apply, 1);
	assert_int_equal(j.applies[1].apply, 2);
	assert_int_equal(j.e[0].apply, 2);
	assert_int_equal(j.e[1].apply, 1);
	journal_close(&j);
}

static void test_rewrite_none_removes(void **state)
{
	struct ctx *c = *state;
	struct journal j;
	open_ok(c, &j);
	fill(c, &j);
	char p[TEST_PATH];
	jpath(c, "journal", p, sizeof(p));
	assert_true(exists(p));
	bool keep[5] = { false };
	assert_int_equal(journal_rewrite(&j, keep, c->why, sizeof(c->why)), 0);
	assert_false(exists(p));
	assert_int_equal(j.n, 0);
	assert_int_equal(j.napplies, 0);
	/* Loading an absent journal is an empty one. */
	load_ok(c, &j);
	assert_int_equal(j.n, 0);
	/* And numbering starts over. */
	struct journal_apply a = sample_apply("agent-latency", 1);
	add_apply_ok(c, &j, &a);
	assert_int_equal(a.apply, 1);
	struct journal_entry e = sample_sysctl(1, "300", "600");
	add_change_ok(c, &j, &e);
	assert_int_equal(e.seq, 1);
	/* An apply without changes is not kept either. */
	assert_int_equal(journal_rewrite(&j, keep, c->why, sizeof(c->why)), 0);
	assert_false(exists(p));
	add_apply_ok(c, &j, &a);
	assert_int_equal(journal_rewrite(&j, NULL, c->why, sizeof(c->why)), 0);
	assert_false(exists(p));
	journal_close(&j);
}

/* ---------- the lock ---------- */

static void test_lock_two_structs(void **state)
{
	struct ctx *c = *state;
	struct journal a, b;
	open_ok(c, &a);
	open_ok(c, &b);
	assert_int_equal(journal_lock(&a, c->why, sizeof(c->why)), 0);
	assert_int_equal(journal_lock(&a, c->why, sizeof(c->why)), 0);
	assert_int_equal(journal_lock(&b, c->why, sizeof(c->why)), -EBUSY);
	char expect[TEST_MSG];
	snprintf(expect, sizeof(expect),
		 "another agentune (pid %d) is applying or reverting: lock %s/lock is held",
		 (int)getpid(), c->dir);
	assert_string_equal(c->why, expect);
	assert_int_equal(b.lockfd, -1);
	journal_close(&a);
	assert_int_equal(journal_lock(&b, c->why, sizeof(c->why)), 0);
	char p[TEST_PATH];
	jpath(c, "lock", p, sizeof(p));
	struct stat st;
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	journal_close(&b);
}

/* A killed apply's window controller shares its lock until its own death
 * signal takes effect: a lock whose named holder is dead is waited for (a
 * moment), not refused.  Here a child takes the lock, forks a grandchild
 * that inherits it and exits; the grandchild lets go 300 ms later. */
static void test_lock_dead_holder_waited_for(void **state)
{
	struct ctx *c = *state;
	struct journal j;
	open_ok(c, &j);
	int up[2];
	assert_int_equal(pipe(up), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(up[0]);
		struct journal k;
		char w[512];
		if (journal_open(&k, c->dir, false, w, sizeof(w)) || journal_lock(&k, w, sizeof(w)))
			_exit(2);
		if (fork() == 0) {
			/* the grandchild: holds the inherited lock a while */
			usleep(300000);
			_exit(0);
		}
		_exit(write(up[1], "L", 1) == 1 ? 0 : 2);
	}
	close(up[1]);
	char b = 0;
	assert_int_equal(read(up[0], &b, 1), 1);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(up[0]);
	/* the holder the file names is gone; its lock is not, for 300 ms */
	assert_int_equal(journal_lock(&j, c->why, sizeof(c->why)), 0);
	journal_close(&j);
}

static void test_lock_other_process(void **state)
{
	struct ctx *c = *state;
	struct journal j;
	open_ok(c, &j);
	int up[2], down[2];
	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Only the parent holds the other ends: the child sees EOF and
		 * exits when the parent dies half-way. */
		close(up[0]);
		close(down[1]);
		struct journal k;
		char w[512];
		char b = journal_open(&k, c->dir, false, w, sizeof(w)) == 0 &&
				 journal_lock(&k, w, sizeof(w)) == 0 ?
			 'L' :
			 'E';
		if (write(up[1], &b, 1) != 1 || read(down[0], &b, 1) < 0)
			_exit(2);
		journal_close(&k);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	char b = 0;
	assert_int_equal(read(up[0], &b, 1), 1);
	assert_int_equal(b, 'L');

	assert_int_equal(journal_lock(&j, c->why, sizeof(c->why)), -EBUSY);
	char expect[TEST_MSG];
	snprintf(expect, sizeof(expect),
		 "another agentune (pid %d) is applying or reverting: lock %s/lock is held",
		 (int)pid, c->dir);
	assert_string_equal(c->why, expect);

	assert_int_equal(write(down[1], "x", 1), 1);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(up[0]);
	close(down[1]);

	/* Released with the child: ours now, with our pid in it. */
	assert_int_equal(journal_lock(&j, c->why, sizeof(c->why)), 0);
	char p[TEST_PATH], want[32];
	jpath(c, "lock", p, sizeof(p));
	char *s = slurp(p, NULL);
	snprintf(want, sizeof(want), "%d\n", (int)getpid());
	assert_string_equal(s, want);
	free(s);
	journal_close(&j);
}

/* ---------- what add refuses ---------- */

static void test_add_refuses(void **state)
{
	struct ctx *c = *state;
	struct journal j;
	open_ok(c, &j);
	char p[TEST_PATH];
	jpath(c, "journal", p, sizeof(p));

	/* A change needs its apply record. */
	struct journal_entry e = sample_irq(1, "38", "0-1", "0", "IRQ 38");
	assert_int_equal(journal_add_change(&j, &e, c->why, sizeof(c->why)), -EINVAL);
	assert_non_null(strstr(c->why, "refers to apply 1, which is not recorded before it"));
	assert_false(exists(p));

	struct journal_apply a = sample_apply("agent-latency", 1);
	snprintf(a.root, sizeof(a.root), "snap");
	assert_int_equal(journal_add_apply(&j, &a, c->why, sizeof(c->why)), -EINVAL);
	assert_non_null(strstr(c->why, "root \"snap\" is not an absolute path"));
	a = sample_apply("agent-latency", 1);
	memset(a.profile, 'x', sizeof(a.profile));
	assert_int_equal(journal_add_apply(&j, &a, c->why, sizeof(c->why)), -EINVAL);
	assert_non_null(strstr(c->why, "not terminated"));
	assert_false(exists(p));

	a = sample_apply("agent-latency", 1);
	a.apply = 5;
	add_apply_ok(c, &j, &a);
	assert_int_equal(a.apply, 5);
	struct journal_apply old = sample_apply("older", 1);
	old.apply = 4;
	assert_int_equal(journal_add_apply(&j, &old, c->why, sizeof(c->why)), -EINVAL);
	assert_non_null(strstr(c->why, "apply 4 comes after apply 5"));
	old.apply = 5;
	assert_int_equal(journal_add_apply(&j, &old, c->why, sizeof(c->why)), -EINVAL);
	assert_non_null(strstr(c->why, "apply 5 is recorded twice"));

	/* Nothing a forged plan names outside the knobs reaches the file. */
	e = sample_irq(5, "../../etc/passwd", "0-1", "0", "IRQ 38");
	assert_int_equal(journal_add_change(&j, &e, c->why, sizeof(c->why)), -EINVAL);
	assert_non_null(strstr(c->why, "invalid target \"../../etc/passwd\" for irq_affinity"));
	e = sample_irq(5, "38", "0-1", "abc", "IRQ 38");
	assert_int_equal(journal_add_change(&j, &e, c->why, sizeof(c->why)), -EINVAL);
	assert_non_null(strstr(c->why, "invalid new value \"abc\""));
	e = sample_irq(5, "38", "0-1", "0", "IRQ 38");
	e.ch.knob = KNOB__COUNT;
	assert_int_equal(journal_add_change(&j, &e, c->why, sizeof(c->why)), -EINVAL);
	assert_int_equal(j.n, 0);
	journal_close(&j);

	open_ok(c, &j);
	load_ok(c, &j);
	assert_int_equal(j.napplies, 1);
	assert_int_equal(j.applies[0].apply, 5);
	assert_int_equal(j.n, 0);
	journal_close(&j);
}

/* A journal holding records must be loaded (and be sound) before we
 * append: a blind append would corrupt or misnumber it. */
static void test_append_needs_load(void **state)
{
	struct ctx *c = *state;
	struct journal j;
	open_ok(c, &j);
	fill(c, &j);
	journal_close(&j);
	char p[TEST_PATH];
	jpath(c, "journal", p, sizeof(p));
	size_t before, after;
	char *s = slurp(p, &before);
	free(s);

	open_ok(c, &j);
	struct journal_apply a = sample_apply("agent-latency", 1);
	assert_int_equal(journal_add_apply(&j, &a, c->why, sizeof(c->why)), -EINVAL);
	assert_non_null(strstr(c->why, "holds records that were not loaded"));
	journal_close(&j);

	/* A torn last record: load refuses, and so does append. */
	int fd = open(p, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"type\":\"cha", 12), 12);
	close(fd);
	open_ok(c, &j);
	assert_int_equal(journal_load(&j, c->why, sizeof(c->why)), -EINVAL);
	a = sample_apply("agent-latency", 1);
	assert_int_equal(journal_add_apply(&j, &a, c->why, sizeof(c->why)), -EINVAL);
	journal_close(&j);
	s = slurp(p, &after);
	free(s);
	assert_int_equal(after, before + 12);
}

/* ---------- corrupt journals ---------- */

#define A1                                                                                      \
	"{\"type\":\"apply\",\"apply\":1,\"profile\":\"p\",\"path\":\"/p\",\"pid\":-1,"          \
	"\"cpus\":\"1\",\"root\":\"/\",\"time\":1,\"by\":2}"
#define A2                                                                                      \
	"{\"type\":\"apply\",\"apply\":2,\"profile\":\"p\",\"path\":\"/p\",\"pid\":-1,"          \
	"\"cpus\":\"1\",\"root\":\"/\",\"time\":1,\"by\":2}"
/* A change with seq s, apply a, and the given knob/target/old/new. */
#define CH(s, a, k, t, o, n)                                                                    \
	"{\"type\":\"change\",\"seq\":" #s ",\"apply\":" #a ",\"knob\":\"" k "\",\"target\":\"" t \
	"\",\"old\":\"" o "\",\"new\":\"" n "\",\"label\":\"l\",\"source\":\"s:1\"}"
#define C(s) CH(s, 1, "irq_affinity", "38", "0-1", "0")
/* A change of apply 1 with a "window" field of the given JSON text. */
#define CHW(s, k, t, o, n, w)                                                                   \
	"{\"type\":\"change\",\"seq\":" #s ",\"apply\":1,\"knob\":\"" k "\",\"target\":\"" t   \
	"\",\"old\":\"" o "\",\"new\":\"" n "\",\"label\":\"l\",\"source\":\"s:1\",\"window\":" w "}"
#define X128                                                                                    \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

struct corrupt {
	const char *text;
	size_t len; /* 0: strlen(text) */
	int line;
	const char *reason;
};

static const struct corrupt corrupt[] = {
	/* not JSON, not an object */
	{ A1 "\n{\"type\":\"change\",\n", 0, 2, "not valid JSON" },
	{ A1 "\n}\n", 0, 2, "not valid JSON" },
	{ "   \n", 0, 1, "not valid JSON" },
	{ "[1,2]\n", 0, 1, "not a JSON object" },
	{ "\"apply\"\n", 0, 1, "not a JSON object" },
	{ A1 "x\n", 0, 1, "trailing characters after the JSON object" },
	{ A1 A2 "\n", 0, 1, "trailing characters after the JSON object" },
	{ A1 " \n", 0, 1, "trailing characters after the JSON object" },
	{ " " A1 "\n", 0, 1, "characters before the JSON object" },
	{ A1 "\0" "garbage\n", sizeof(A1 "\0" "garbage\n") - 1, 1, "trailing characters" },
	{ A1 "\n\n" C(1) "\n", 0, 2, "empty line" },
	{ A1 "\n" C(1), 0, 2, "torn last record (no newline at its end)" },
	{ A1, 0, 1, "torn last record" },
	/* record types and fields */
	{ "{\"type\":\"revert\",\"apply\":1}\n", 0, 1, "unknown record type \"revert\"" },
	{ "{\"apply\":1}\n", 0, 1, "missing field \"type\"" },
	{ "{\"type\":1}\n", 0, 1, "field \"type\" is not a string" },
	{ "{\"type\":\"apply\",\"apply\":1,\"profile\":\"p\",\"path\":\"/p\",\"pid\":-1,"
	  "\"cpus\":\"1\",\"root\":\"/\",\"time\":1}\n",
	  0, 1, "missing field \"by\"" },
	{ "{\"type\":\"apply\",\"apply\":\"1\",\"profile\":\"p\",\"path\":\"/p\",\"pid\":-1,"
	  "\"cpus\":\"1\",\"root\":\"/\",\"time\":1,\"by\":2}\n",
	  0, 1, "field \"apply\" is not an integer" },
	{ "{\"type\":\"apply\",\"apply\":1,\"profile\":\"p\",\"path\":\"/p\",\"pid\":-1,"
	  "\"cpus\":\"1\",\"root\":\"/\",\"time\":1.5,\"by\":2}\n",
	  0, 1, "field \"time\" is not an integer" },
	{ "{\"type\":\"apply\",\"apply\":4294967296,\"profile\":\"p\",\"path\":\"/p\",\"pid\":-1,"
	  "\"cpus\":\"1\",\"root\":\"/\",\"time\":1,\"by\":2}\n",
	  0, 1, "field \"apply\" is out of range" },
	{ "{\"type\":\"apply\",\"apply\":1,\"profile\":\"p\",\"path\":\"/p\",\"pid\":0,"
	  "\"cpus\":\"1\",\"root\":\"/\",\"time\":1,\"by\":2}\n",
	  0, 1, "pid 0 is not a process" },
	{ "{\"type\":\"apply\",\"apply\":1,\"profile\":\"p\",\"path\":\"/p\",\"pid\":-1,"
	  "\"cpus\":\"1\",\"root\":\"snap\",\"time\":1,\"by\":2}\n",
	  0, 1, "root \"snap\" is not an absolute path" },
	{ "{\"type\":\"apply\",\"apply\":1,\"profile\":\"p\",\"path\":\"/p\",\"pid\":-1,"
	  "\"cpus\":\"1\",\"root\":\"/\",\"root_id\":\"12\",\"time\":1,\"by\":2}\n",
	  0, 1, "field \"root_id\" is not DEV:INO" },
	{ "{\"type\":\"apply\",\"apply\":1,\"profile\":\"p\",\"path\":\"/p\",\"pid\":-1,"
	  "\"cpus\":\"1\",\"root\":\"/\",\"root_id\":\"1:-2\",\"time\":1,\"by\":2}\n",
	  0, 1, "field \"root_id\" is not DEV:INO" },
	{ "{\"type\":\"apply\",\"apply\":1,\"profile\":\"p\",\"path\":\"/p\",\"pid\":-1,"
	  "\"cpus\":\"1\",\"root\":\"/\",\"root_id\":\"1:99999999999999999999\",\"time\":1,"
	  "\"by\":2}\n",
	  0, 1, "field \"root_id\" is not DEV:INO" },
	{ "{\"type\":\"apply\",\"apply\":1,\"profile\":\"p\",\"path\":\"/p\",\"pid\":-1,"
	  "\"cpus\":\"1\",\"root\":\"/\",\"root_id\":[1,2],\"time\":1,\"by\":2}\n",
	  0, 1, "field \"root_id\" is not a string" },
	{ "{\"type\":\"apply\",\"apply\":1,\"profile\":\"" X128 "\",\"path\":\"/p\",\"pid\":-1,"
	  "\"cpus\":\"1\",\"root\":\"/\",\"time\":1,\"by\":2}\n",
	  0, 1, "field \"profile\" is too long (128 bytes, at most 127)" },
	{ "{\"type\":\"apply\",\"apply\":1,\"profile\":\"p\\u0000q\",\"path\":\"/p\",\"pid\":-1,"
	  "\"cpus\":\"1\",\"root\":\"/\",\"time\":1,\"by\":2}\n",
	  0, 1, "field \"profile\" holds a NUL byte" },
	{ "{\"type\":\"apply\",\"apply\":1,\"profile\":\"p\",\"path\":\"/p\",\"pid\":-1,"
	  "\"cpus\":\"1\",\"root\":\"/\",\"time\":1,\"by\":2,\"extra\":true}\n",
	  0, 1, "unknown field \"extra\"" },
	{ A1 "\n{\"type\":\"change\",\"seq\":1,\"apply\":1,\"knob\":\"irq_affinity\",\"target\":38,"
	     "\"old\":\"0-1\",\"new\":\"0\",\"label\":\"l\",\"source\":\"s:1\"}\n",
	  0, 2, "field \"target\" is not a string" },
	{ A1 "\n{\"type\":\"change\",\"seq\":1,\"apply\":1,\"knob\":\"irq_affinity\",\"target\":\"38\","
	     "\"old\":\"0-1\",\"new\":\"0\",\"label\":null,\"source\":\"s:1\"}\n",
	  0, 2, "field \"label\" is not a string" },
	/* apply numbers */
	{ A1 "\n" A1 "\n", 0, 2, "apply 1 is recorded twice" },
	{ A2 "\n" A1 "\n", 0, 2, "apply 1 comes after apply 2" },
	/* knobs */
	{ A1 "\n" CH(1, 1, "frobnicate", "38", "0-1", "0") "\n", 0, 2,
	  "unknown knob \"frobnicate\"" },
	{ A1 "\n" CH(1, 1, "irq_affinity", "../../etc/passwd", "0-1", "0") "\n", 0, 2,
	  "invalid target \"../../etc/passwd\" for irq_affinity" },
	{ A1 "\n" CH(1, 1, "sysctl", "kernel.core_pattern", "core", "|/tmp/x") "\n", 0, 2,
	  "invalid target \"kernel.core_pattern\" for sysctl" },
	{ A1 "\n" CH(1, 1, "irq_affinity", "38", "0-1", "all of them") "\n", 0, 2,
	  "invalid new value \"all of them\" for irq_affinity 38" },
	{ A1 "\n" CH(1, 1, "irq_affinity", "38", "zero", "0") "\n", 0, 2,
	  "invalid old value \"zero\" for irq_affinity 38" },
	/* order */
	{ A1 "\n" C(2) "\n" C(1) "\n", 0, 3, "seq 1 does not follow seq 2" },
	{ A1 "\n" C(1) "\n" C(1) "\n", 0, 3, "seq 1 does not follow seq 1" },
	{ A1 "\n" C(0) "\n", 0, 2, "field \"seq\" is out of range" },
	{ C(1) "\n" A1 "\n", 0, 1, "change 1 refers to apply 1, which is not recorded before it" },
	{ A1 "\n" CH(1, 2, "irq_affinity", "38", "0-1", "0") "\n" A2 "\n", 0, 2,
	  "change 1 refers to apply 2, which is not recorded before it" },
	/* the window flag */
	{ A1 "\n" CHW(1, "irq_affinity", "38", "0-1", "0", "true") "\n", 0, 2,
	  "the window controller writes pm_qos and cpufreq_min only, not irq_affinity" },
	{ A1 "\n" CHW(1, "window_controller", "pmqos", "stopped", "running", "true") "\n", 0, 2,
	  "the window controller writes pm_qos and cpufreq_min only, not window_controller" },
	{ A1 "\n" CHW(1, "pm_qos", "2", "0", "n/a", "\"yes\"") "\n", 0, 2,
	  "field \"window\" is not true or false" },
	{ A1 "\n" CHW(1, "pm_qos", "2", "0", "n/a", "1") "\n", 0, 2,
	  "field \"window\" is not true or false" },
	{ A1 "\n" CHW(1, "pm_qos", "2", "0", "n/a", "null") "\n", 0, 2,
	  "field \"window\" is not true or false" },
	/* a sound journal whose last line is broken is refused as a whole */
	{ A1 "\n" C(1) "\n" C(2) "\n" C(3) "\n{}\n", 0, 5, "missing field \"type\"" },
};

static void test_corrupt(void **state)
{
	struct ctx *c = *state;
	char p[TEST_PATH];
	jpath(c, "journal", p, sizeof(p));
	for (size_t i = 0; i < ARRAY_SIZE(corrupt); i++) {
		const struct corrupt *k = &corrupt[i];
		struct journal j;
		open_ok(c, &j);
		/* Something loaded before must not survive a failed load. */
		put_file(p, A1 "\n" C(1) "\n", strlen(A1 "\n" C(1) "\n"), 0600);
		load_ok(c, &j);
		assert_int_equal(j.n, 1);
		put_file(p, k->text, k->len ? k->len : strlen(k->text), 0600);
		int rc = journal_load(&j, c->why, sizeof(c->why));
		char prefix[TEST_PATH];
		tpathf(prefix, "%s/journal line %d: ", c->dir, k->line);
		if (rc != -EINVAL || strncmp(c->why, prefix, strlen(prefix)) ||
		    !strstr(c->why + strlen(prefix), k->reason))
			fprintf(stderr, "case %zu: rc %d, why \"%s\", want line %d \"%s\"\n", i, rc,
				c->why, k->line, k->reason);
		assert_int_equal(rc, -EINVAL);
		assert_memory_equal(c->why, prefix, strlen(prefix));
		assert_non_null(strstr(c->why + strlen(prefix), k->reason));
		assert_int_equal(j.n, 0);
		assert_int_equal(j.napplies, 0);
		assert_null(j.e);
		assert_null(j.applies);
		journal_close(&j);
	}
}

/* An absent, empty and sound journal all load. */
static void test_load_sound(void **state)
{
	struct ctx *c = *state;
	struct journal j;
	open_ok(c, &j);
	load_ok(c, &j);
	assert_int_equal(j.n, 0);
	char p[TEST_PATH];
	jpath(c, "journal", p, sizeof(p));
	put_file(p, "", 0, 0600);
	load_ok(c, &j);
	assert_int_equal(j.n, 0);
	assert_int_equal(j.napplies, 0);
	/* Hand-written, with a gap in seq (a rewrite leaves those), field
	 * order changed and escaped slashes. */
	const char *text = A1 "\n" C(3) "\n"
			      "{\"source\":\"s:2\",\"label\":\"\",\"new\":\"200\",\"old\":\"100\","
			      "\"target\":\"net.core.busy_poll\",\"knob\":\"sysctl\",\"apply\":1,"
			      "\"seq\":7,\"type\":\"change\"}\n"
			      "{\"type\":\"apply\",\"apply\":9,\"profile\":\"q\",\"path\":\"\\/x\\/y\","
			      "\"pid\":55,\"cpus\":\"2-3\",\"root\":\"\\/\",\"time\":0,\"by\":3}\n" CH(
				      8, 9, "irq_affinity", "40", "0-3", "2,3") "\n";
	put_file(p, text, strlen(text), 0600);
	load_ok(c, &j);
	assert_int_equal(j.napplies, 2);
	assert_int_equal(j.n, 3);
	assert_int_equal(j.e[0].seq, 3);
	assert_int_equal(j.e[1].seq, 7);
	assert_int_equal(j.e[1].ch.knob, KNOB_SYSCTL);
	assert_string_equal(j.e[1].ch.target, "net.core.busy_poll");
	assert_string_equal(j.e[1].ch.old, "100");
	assert_string_equal(j.e[1].ch.new, "200");
	assert_string_equal(j.applies[1].path, "/x/y");
	assert_int_equal(j.applies[1].pid, 55);
	assert_int_equal(j.e[2].apply, 9);
	assert_string_equal(j.e[2].ch.new, "2,3");
	/* Appending continues from the highest numbers. */
	struct journal_entry e = sample_sysctl(9, "200", "300");
	add_change_ok(c, &j, &e);
	assert_int_equal(e.seq, 9);
	journal_close(&j);
}

/* ---------- window-managed changes ---------- */

static struct journal_entry sample_window(unsigned apply, enum knob_kind k, const char *target,
					  const char *old, const char *new, bool window)
{
	char label[64];
	snprintf(label, sizeof(label), "cpu%s (window)", target);
	struct journal_entry e = sample_entry(apply, k, target, label, "w.profile:3", old, new);
	e.ch.window = window;
	return e;
}

/* How many times needle occurs in s. */
static int count_of(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* "window":true is written for window-managed changes only, and comes back. */
static void test_window_round_trip(void **state)
{
	struct ctx *c = *state;
	struct journal j;
	open_ok(c, &j);
	struct journal_apply a = sample_apply("agent-latency", 1234);
	add_apply_ok(c, &j, &a);
	struct journal_entry e[4] = {
		sample_window(1, KNOB_PMQOS, "2", "0", "n/a", true),
		sample_window(1, KNOB_CPUFREQ_MIN, "policy2", "1400000", "3500000", true),
		sample_window(1, KNOB_PMQOS, "3", "0", "20", false),
		sample_window(1, KNOB_WINDOW, "pmqos", "stopped", "running", false),
	};
	for (int i = 0; i < 4; i++)
		add_change_ok(c, &j, &e[i]);
	char p[TEST_PATH];
	jpath(c, "journal", p, sizeof(p));
	char *s = slurp(p, NULL);
	assert_non_null(s);
	/* Exactly the two flagged records carry the field, at their end. */
	assert_int_equal(count_of(s, "\"window\""), 2);
	assert_non_null(strstr(s, "{\"type\":\"change\",\"seq\":1,\"apply\":1,\"knob\":\"pm_qos\","
				  "\"target\":\"2\",\"old\":\"0\",\"new\":\"n/a\","));
	assert_non_null(strstr(s, "\"label\":\"cpu2 (window)\",\"source\":\"w.profile:3\","
				  "\"window\":true}\n"));
	assert_non_null(strstr(s, "\"label\":\"cpupolicy2 (window)\",\"source\":\"w.profile:3\","
				  "\"window\":true}\n"));
	assert_non_null(strstr(s, "\"target\":\"3\",\"old\":\"0\",\"new\":\"20\","
				  "\"label\":\"cpu3 (window)\",\"source\":\"w.profile:3\"}\n"));
	assert_non_null(strstr(s, "\"knob\":\"window_controller\",\"target\":\"pmqos\","
				  "\"old\":\"stopped\",\"new\":\"running\","
				  "\"label\":\"cpupmqos (window)\",\"source\":\"w.profile:3\"}\n"));
	free(s);
	journal_close(&j);

	open_ok(c, &j);
	load_ok(c, &j);
	assert_int_equal(j.n, 4);
	assert_true(j.e[0].ch.window);
	assert_int_equal(j.e[0].ch.knob, KNOB_PMQOS);
	assert_string_equal(j.e[0].ch.new, "n/a");
	assert_true(j.e[1].ch.window);
	assert_int_equal(j.e[1].ch.knob, KNOB_CPUFREQ_MIN);
	assert_false(j.e[2].ch.window);
	assert_false(j.e[3].ch.window);
	assert_int_equal(j.e[3].ch.knob, KNOB_WINDOW);
	for (int i = 0; i < 4; i++)
		assert_entry_eq(&j.e[i], &e[i]);

	/* A rewrite keeps the flag (and leaves it off the others). */
	bool keep[4] = { false, true, true, false };
	assert_int_equal(journal_rewrite(&j, keep, c->why, sizeof(c->why)), 0);
	assert_int_equal(j.n, 2);
	assert_true(j.e[0].ch.window);
	assert_false(j.e[1].ch.window);
	s = slurp(p, NULL);
	assert_non_null(s);
	assert_int_equal(count_of(s, "\"window\":true"), 1);
	assert_non_null(strstr(s, "\"seq\":2,\"apply\":1,\"knob\":\"cpufreq_min\""));
	assert_non_null(strstr(s, "\"source\":\"w.profile:3\",\"window\":true}\n"));
	assert_null(strstr(s, "\"seq\":1,"));
	free(s);
	journal_close(&j);
	open_ok(c, &j);
	load_ok(c, &j);
	assert_int_equal(j.n, 2);
	assert_int_equal(j.e[0].seq, 2);
	assert_true(j.e[0].ch.window);
	assert_int_equal(j.e[1].seq, 3);
	assert_false(j.e[1].ch.window);
	journal_close(&j);
}

/* Only pm_qos and cpufreq_min are ever written by the controller. */
static void test_window_refused_on_other_knobs(void **state)
{
	struct ctx *c = *state;
	struct journal j;
	open_ok(c, &j);
	struct journal_apply a = sample_apply("agent-latency", 1234);
	add_apply_ok(c, &j, &a);
	struct journal_entry e = sample_irq(1, "38", "0-1", "0", "IRQ 38");
	e.ch.window = true;
	assert_int_equal(journal_add_change(&j, &e, c->why, sizeof(c->why)), -EINVAL);
	assert_non_null(strstr(c->why, "only, not irq_affinity"));
	e = sample_sysctl(1, "300", "600");
	e.ch.window = true;
	assert_int_equal(journal_add_change(&j, &e, c->why, sizeof(c->why)), -EINVAL);
	assert_non_null(strstr(c->why, "only, not sysctl"));
	e = sample_window(1, KNOB_WINDOW, "pmqos", "stopped", "running", true);
	assert_int_equal(journal_add_change(&j, &e, c->why, sizeof(c->why)), -EINVAL);
	assert_non_null(strstr(c->why, "only, not window_controller"));
	assert_int_equal(j.n, 0);
	/* The window_controller knob's values are running and stopped only. */
	e = sample_window(1, KNOB_WINDOW, "pmqos", "stopped", "started", false);
	assert_int_equal(journal_add_change(&j, &e, c->why, sizeof(c->why)), -EINVAL);
	assert_non_null(strstr(c->why, "invalid new value \"started\" for window_controller"));
	e = sample_window(1, KNOB_WINDOW, "cpu", "stopped", "running", false);
	assert_int_equal(journal_add_change(&j, &e, c->why, sizeof(c->why)), -EINVAL);
	assert_non_null(strstr(c->why, "invalid target \"cpu\" for window_controller"));
	assert_int_equal(j.n, 0);
	journal_close(&j);

	/* Nothing of it reached the file. */
	char p[TEST_PATH];
	jpath(c, "journal", p, sizeof(p));
	char *s = slurp(p, NULL);
	assert_non_null(s);
	assert_int_equal(count_of(s, "\n"), 1);
	assert_null(strstr(s, "change"));
	free(s);
}

/* "window":false written by hand loads (as absent does). */
static void test_window_false_loads(void **state)
{
	struct ctx *c = *state;
	char p[TEST_PATH];
	jpath(c, "journal", p, sizeof(p));
	const char *text = A1 "\n" CHW(1, "pm_qos", "2", "0", "n/a", "false") "\n"
			   CHW(2, "pm_qos", "3", "0", "n/a", "true") "\n";
	struct journal j;
	open_ok(c, &j);
	put_file(p, text, strlen(text), 0600);
	load_ok(c, &j);
	assert_int_equal(j.n, 2);
	assert_false(j.e[0].ch.window);
	assert_true(j.e[1].ch.window);
	assert_string_equal(j.e[1].ch.target, "3");
	journal_close(&j);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_default_dir),
	cmocka_unit_test_setup_teardown(test_open_creates_0700, setup, teardown),
	cmocka_unit_test_setup_teardown(test_close_idempotent, setup, teardown),
	cmocka_unit_test_setup_teardown(test_dir_symlink_refused, setup, teardown),
	cmocka_unit_test_setup_teardown(test_dir_trailing_slash_link_refused, setup, teardown),
	cmocka_unit_test_setup_teardown(test_dir_middle_link_refused, setup, teardown),
	cmocka_unit_test_setup_teardown(test_dir_relative_refused, setup, teardown),
	cmocka_unit_test_setup_teardown(test_root_id_round_trip, setup, teardown),
	cmocka_unit_test_setup_teardown(test_dir_not_a_directory, setup, teardown),
	cmocka_unit_test_setup_teardown(test_dir_mode_refused, setup, teardown),
	cmocka_unit_test_setup_teardown(test_dir_owner_refused, setup, teardown),
	cmocka_unit_test_setup_teardown(test_planted_journal_symlink, setup, teardown),
	cmocka_unit_test_setup_teardown(test_planted_lock_symlink, setup, teardown),
	cmocka_unit_test_setup_teardown(test_fifo_and_directory_refused, setup, teardown),
	cmocka_unit_test_setup_teardown(test_file_mode_and_links_refused, setup, teardown),
	cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	cmocka_unit_test_setup_teardown(test_bytes_on_disk, setup, teardown),
	cmocka_unit_test_setup_teardown(test_rewrite_subset, setup, teardown),
	cmocka_unit_test_setup_teardown(test_rewrite_interleaved, setup, teardown),
	cmocka_unit_test_setup_teardown(test_rewrite_none_removes, setup, teardown),
	cmocka_unit_test_setup_teardown(test_lock_two_structs, setup, teardown),
	cmocka_unit_test_setup_teardown(test_lock_dead_holder_waited_for, setup, teardown),
	cmocka_unit_test_setup_teardown(test_lock_other_process, setup, teardown),
	cmocka_unit_test_setup_teardown(test_add_refuses, setup, teardown),
	cmocka_unit_test_setup_teardown(test_append_needs_load, setup, teardown),
	cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
	cmocka_unit_test_setup_teardown(test_load_sound, setup, teardown),
	cmocka_unit_test_setup_teardown(test_window_round_trip, setup, teardown),
	cmocka_unit_test_setup_teardown(test_window_refused_on_other_knobs, setup, teardown),
	cmocka_unit_test_setup_teardown(test_window_false_loads, setup, teardown),
};

RUN_TESTS(tests)
