/* base/safepath: nothing reached through a symlink that the walk did not
 * vet, nothing created outside the directory held, the staging directory
 * private until it is renamed into place. */
#include "testutil.h"

#include <fcntl.h>

#include "base/safepath.h"

/* Each test gets a scratch tree: t/real/f (a file), t/real/sub/, t/out/
 * (a directory the links point into, standing for another user's),
 * t/link -> real, t/abs -> <t>/out, t/dangling -> <t>/out/new. */
struct ctx {
	char *t;
	int fd;   /* O_PATH of t */
	char why[TEST_MSG];
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	c->t = tree_new("safepath");
	tree_put(c->t, "real/f", "content\n");
	tree_dir(c->t, "real/sub");
	tree_dir(c->t, "out");
	tree_link(c->t, "link", "real");
	char abs[TEST_PATH];
	tpathf(abs, "%s/out", c->t);
	tree_link(c->t, "abs", abs);
	tpathf(abs, "%s/out/new", c->t);
	tree_link(c->t, "dangling", abs);
	tree_link(c->t, "real/up", "../out");
	c->fd = open(c->t, O_PATH | O_DIRECTORY);
	*state = c;
	return c->fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	close(c->fd);
	int rc = tree_free(c->t);
	free(c);
	return rc;
}

static bool exists_in(const struct ctx *c, const char *rel)
{
	char p[TEST_PATH];
	struct stat st;
	tpathf(p, "%s/%s", c->t, rel);
	return lstat(p, &st) == 0;
}

static size_t entries(const struct ctx *c, const char *rel)
{
	char p[TEST_PATH];
	tpathf(p, "%s/%s", c->t, rel);
	DIR *d = opendir(p);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

typedef int (*open_fn)(int, const char *, int, mode_t);

/* The same rules through openat2 and through the component walk. */
static void beneath_rules(struct ctx *c, open_fn op)
{
	int fd = op(c->fd, "real/f", O_RDONLY, 0);
	assert_true(fd >= 0);
	char buf[16] = "";
	assert_int_equal(read(fd, buf, sizeof(buf) - 1), 8);
	assert_string_equal(buf, "content\n");
	close(fd);
	/* A link in the middle, at the end, absolute, dangling: never followed. */
	assert_int_equal(op(c->fd, "link/f", O_RDONLY, 0), -ELOOP);
	assert_int_equal(op(c->fd, "link", O_RDONLY | O_DIRECTORY, 0), -ELOOP);
	assert_int_equal(op(c->fd, "link", O_PATH, 0), -ELOOP);
	assert_int_equal(op(c->fd, "abs/x", O_WRONLY | O_CREAT, 0644), -ELOOP);
	assert_int_equal(op(c->fd, "real/up/x", O_WRONLY | O_CREAT, 0644), -ELOOP);
	int rc = op(c->fd, "dangling", O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(rc == -EEXIST || rc == -ELOOP);
	rc = op(c->fd, "dangling", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(rc == -ELOOP);
	assert_int_equal(entries(c, "out"), 0);
	/* Nothing outside the directory held. */
	assert_int_equal(op(c->fd, "../x", O_RDONLY, 0), -EXDEV);
	assert_int_equal(op(c->fd, "real/../../x", O_RDONLY, 0), -EXDEV);
	assert_int_equal(op(c->fd, "/etc/passwd", O_RDONLY, 0), -EXDEV);
	/* Creation where nothing is. */
	fd = op(c->fd, "real/sub/new", O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(op(c->fd, "real/sub/new", O_WRONLY | O_CREAT | O_EXCL, 0600), -EEXIST);
	assert_int_equal(unlinkat(c->fd, "real/sub/new", 0), 0);
}

static void beneath_openat2(void **state)
{
	beneath_rules(*state, sp_open_beneath);
}

static void beneath_walk(void **state)
{
	beneath_rules(*state, sp_open_beneath_walk);
}

static void mkdirs_and_links(void **state)
{
	struct ctx *c = *state;
	assert_int_equal(sp_mkdirs_beneath(c->fd, "a/b/c", 0755), 0);
	assert_true(exists_in(c, "a/b/c"));
	assert_int_equal(sp_mkdirs_beneath(c->fd, "a/b/c", 0755), 0); /* again: fine */
	assert_int_equal(sp_mkdirs_beneath(c->fd, "link/x", 0755), -ELOOP);
	assert_int_equal(sp_mkdirs_beneath(c->fd, "abs/x/y", 0755), -ELOOP);
	assert_int_equal(sp_mkdirs_beneath(c->fd, "real/f/x", 0755), -ENOTDIR);
	assert_int_equal(sp_mkdirs_beneath(c->fd, "../x", 0755), -EXDEV);
	assert_false(exists_in(c, "real/x"));
	assert_int_equal(entries(c, "out"), 0);

	assert_int_equal(sp_symlink_beneath(c->fd, "a/b/l", "../../real"), 0);
	char text[64] = "";
	assert_true(readlinkat(c->fd, "a/b/l", text, sizeof(text) - 1) > 0);
	assert_string_equal(text, "../../real");
	assert_int_equal(sp_symlink_beneath(c->fd, "a/b/l", "x"), -EEXIST);
	assert_int_equal(sp_symlink_beneath(c->fd, "abs/l", "x"), -ELOOP);
	assert_int_equal(sp_symlink_beneath(c->fd, "link/l", "x"), -ELOOP);
	assert_int_equal(entries(c, "out"), 0);
	assert_false(exists_in(c, "real/l"));
}

/* The run directory: absolute, and no symlink anywhere in it. */
static void dir_nolinks(void **state)
{
	struct ctx *c = *state;
	char p[TEST_PATH], want[TEST_MSG];
	tpathf(p, "%s/real/sub", c->t);
	int fd = sp_open_dir_nolinks(p, false, 0700, c->why, sizeof(c->why));
	assert_true(fd >= 0);
	close(fd);
	/* A trailing slash on a link: refused, as without it. */
	tpathf(p, "%s/link/", c->t);
	assert_int_equal(sp_open_dir_nolinks(p, true, 0700, c->why, sizeof(c->why)), -ELOOP);
	tpathf(want, "%s/link is a symlink (to real): refusing a path that goes through one", c->t);
	assert_string_equal(c->why, want);
	tpathf(p, "%s/link", c->t);
	assert_int_equal(sp_open_dir_nolinks(p, true, 0700, c->why, sizeof(c->why)), -ELOOP);
	tpathf(want, "%s/link is a symlink: refusing it", c->t);
	assert_string_equal(c->why, want);
	/* A link in the middle. */
	tpathf(p, "%s/abs/run", c->t);
	assert_int_equal(sp_open_dir_nolinks(p, true, 0700, c->why, sizeof(c->why)), -ELOOP);
	assert_non_null(strstr(c->why, "/abs is a symlink (to "));
	assert_int_equal(entries(c, "out"), 0);
	/* Relative, and "..": refused. */
	assert_int_equal(sp_open_dir_nolinks("run", true, 0700, c->why, sizeof(c->why)), -EINVAL);
	assert_string_equal(c->why, "run is not an absolute path: refusing it");
	tpathf(p, "%s/real/../real", c->t);
	assert_int_equal(sp_open_dir_nolinks(p, false, 0700, c->why, sizeof(c->why)), -EINVAL);
	/* A file, a missing one, a missing parent; create makes only the last. */
	tpathf(p, "%s/real/f", c->t);
	assert_int_equal(sp_open_dir_nolinks(p, false, 0700, c->why, sizeof(c->why)), -ENOTDIR);
	tpathf(p, "%s/none", c->t);
	assert_int_equal(sp_open_dir_nolinks(p, false, 0700, c->why, sizeof(c->why)), -ENOENT);
	tpathf(p, "%s/none/run", c->t);
	assert_int_equal(sp_open_dir_nolinks(p, true, 0700, c->why, sizeof(c->why)), -ENOENT);
	assert_non_null(strstr(c->why, "its parent directory does not exist"));
	assert_false(exists_in(c, "none"));
	mode_t old = umask(0);
	tpathf(p, "%s/real/run//", c->t);
	fd = sp_open_dir_nolinks(p, true, 0700, c->why, sizeof(c->why));
	umask(old);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	close(fd);
}

/* ---------- root-owned paths (profiles) ---------- */

/* A directory root alone can write, outside /tmp (every directory above a
 * profile must be root's and not writable by others). */
static char *root_only_dir(void)
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

static int root_teardown(void **state)
{
	char *d = *state;
	int rc = d ? tree_free(d) : 0;
	*state = NULL;
	return rc;
}

static void vetted_walk(void **state)
{
	*state = NULL;
	need_root("chown and a directory only root can write");
	char *d = *state = root_only_dir();
	if (!d)
		skip_because("/run is not a directory only root can write");
	char p[TEST_PATH], want[TEST_MSG], why[TEST_MSG];
	tree_put(d, "safe/x.profile", "[main]\n");
	tree_dir(d, "user");
	tree_put(d, "user/x.profile", "[main]\n");
	char path[TEST_PATH];
	tpathf(path, "%s/user", d);
	assert_int_equal(chown(path, 65534, 65534), 0);
	tpathf(path, "%s/safe", d);
	assert_int_equal(chmod(path, 0755), 0);
	tpathf(path, "%s/safe/x.profile", d);
	assert_int_equal(chmod(path, 0644), 0);

	/* The file itself: the descriptor is the file named. */
	struct stat st, named;
	int fd = sp_open_root_owned(path, &st, why, sizeof(why));
	assert_true(fd >= 0);
	assert_int_equal(stat(path, &named), 0);
	assert_int_equal(st.st_ino, named.st_ino);
	close(fd);

	/* A root-owned link in the middle, to a root-only directory: followed. */
	tree_link(d, "rootlink", "safe");
	tpathf(p, "%s/rootlink/x.profile", d);
	fd = sp_open_root_owned(p, &st, why, sizeof(why));
	assert_true(fd >= 0);
	assert_int_equal(st.st_ino, named.st_ino);
	close(fd);

	/* A link in the middle owned by another user: refused, though where
	 * it points now is root's (it could point elsewhere next time). */
	tree_link(d, "userlink", "safe");
	tpathf(p, "%s/userlink", d);
	assert_int_equal(lchown(p, 65534, 65534), 0);
	tpathf(p, "%s/userlink/x.profile", d);
	assert_int_equal(sp_open_root_owned(p, &st, why, sizeof(why)), -EPERM);
	tpathf(want, "%s/userlink: a symlink owned by uid 65534, not root", d);
	assert_string_equal(why, want);

	/* A root-owned link into another user's directory: refused there. */
	tree_link(d, "touser", "user");
	tpathf(p, "%s/touser/x.profile", d);
	assert_int_equal(sp_open_root_owned(p, &st, why, sizeof(why)), -EPERM);
	tpathf(want, "%s/user: owned by uid 65534, not root", d);
	assert_string_equal(why, want);

	/* Relative to the current directory: its directories are walked too. */
	char cwd[TEST_PATH];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	tpathf(p, "%s/safe", d);
	assert_int_equal(chdir(p), 0);
	fd = sp_open_root_owned("x.profile", &st, why, sizeof(why));
	int e = fd < 0 ? fd : 0;
	if (fd >= 0)
		close(fd);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(e, 0);

	/* Not a regular file; group-writable; missing. */
	tpathf(p, "%s/safe", d);
	assert_int_equal(sp_open_root_owned(p, &st, why, sizeof(why)), -EINVAL);
	assert_int_equal(chmod(path, 0664), 0);
	assert_int_equal(sp_open_root_owned(path, &st, why, sizeof(why)), -EPERM);
	tpathf(want, "%s: writable by group (mode 0664)", path);
	assert_string_equal(why, want);
	tpathf(p, "%s/safe/none.profile", d);
	assert_int_equal(sp_open_root_owned(p, &st, why, sizeof(why)), -ENOENT);
}

/* ---------- the staging directory (snapshot) ---------- */

static void stage_commit(void **state)
{
	struct ctx *c = *state;
	char target[TEST_PATH];
	tpathf(target, "%s/snap", c->t);
	struct sp_stage s;
	assert_int_equal(sp_stage_begin(&s, target, c->why, sizeof(c->why)), 0);
	assert_false(exists_in(c, "snap"));
	struct stat st;
	assert_int_equal(fstat(s.fd, &st), 0);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(st.st_mode & 07777, 0700); /* nobody else can enter */
	assert_int_equal(sp_mkdirs_beneath(s.fd, "proc/sys", 0755), 0);
	int fd = sp_open_beneath(s.fd, "proc/sys/x", O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	close(fd);
	mode_t old = umask(022);
	int rc = sp_stage_commit(&s, 0777, c->why, sizeof(c->why));
	umask(old);
	assert_int_equal(rc, 0);
	sp_stage_abort(&s); /* after commit: only closes */
	assert_true(exists_in(c, "snap/proc/sys/x"));
	char p[TEST_PATH];
	tpathf(p, "%s/snap", c->t);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	/* Nothing else is left beside it. */
	assert_int_equal(entries(c, ""), 6); /* real out link abs dangling snap */
}

static void stage_refusals(void **state)
{
	struct ctx *c = *state;
	char target[TEST_PATH];
	struct sp_stage s;
	/* Not empty; a symlink (with and without a trailing slash); a file. */
	tpathf(target, "%s/real", c->t);
	assert_int_equal(sp_stage_check(target, c->why, sizeof(c->why)), -EEXIST);
	assert_non_null(strstr(c->why, "exists and is not an empty directory"));
	tpathf(target, "%s/link/", c->t);
	assert_int_equal(sp_stage_begin(&s, target, c->why, sizeof(c->why)), -ELOOP);
	sp_stage_abort(&s);
	assert_non_null(strstr(c->why, "is a symlink: refusing it"));
	tpathf(target, "%s/abs", c->t);
	assert_int_equal(sp_stage_check(target, c->why, sizeof(c->why)), -ELOOP);
	tpathf(target, "%s/real/f", c->t);
	assert_int_equal(sp_stage_check(target, c->why, sizeof(c->why)), -EEXIST);

	/* An empty directory is replaced; one that someone fills meanwhile is
	 * not, and the staging directory goes. */
	tree_dir(c->t, "empty");
	tpathf(target, "%s/empty", c->t);
	assert_int_equal(sp_stage_begin(&s, target, c->why, sizeof(c->why)), 0);
	tree_link(c->t, "empty/proc", "../out");
	int fd = sp_open_beneath(s.fd, "f", O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_true(sp_stage_commit(&s, 0755, c->why, sizeof(c->why)) < 0);
	assert_non_null(strstr(c->why, "no longer absent or an empty directory"));
	sp_stage_abort(&s);
	assert_true(exists_in(c, "empty/proc"));
	assert_false(exists_in(c, "empty/f"));
	assert_int_equal(entries(c, "out"), 0);
	assert_int_equal(entries(c, ""), 6); /* real out link abs dangling empty */
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(beneath_openat2, setup, teardown),
	cmocka_unit_test_setup_teardown(beneath_walk, setup, teardown),
	cmocka_unit_test_setup_teardown(mkdirs_and_links, setup, teardown),
	cmocka_unit_test_setup_teardown(dir_nolinks, setup, teardown),
	cmocka_unit_test_teardown(vetted_walk, root_teardown),
	cmocka_unit_test_setup_teardown(stage_commit, setup, teardown),
	cmocka_unit_test_setup_teardown(stage_refusals, setup, teardown),
};

int main(void)
{
	return cmocka_run_group_tests(tests, NULL, NULL);
}
