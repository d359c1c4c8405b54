/* Shared helpers for the cmocka unit tests. */
#ifndef AGENTUNE_TESTUTIL_H
#define AGENTUNE_TESTUTIL_H

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/host.h"
#include "base/util.h"

/* The project's own fixture trees. */
#define FIXTURES SRCDIR "/tests/fixtures"
/* Real captures, read-only, beside the checkout. */
#define SHARED_HOSTS SRCDIR "/../shared/fixtures/hosts"

static inline int shared_available(void)
{
	struct stat st;
	return stat(SHARED_HOSTS, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Opens a host on the named shared capture; skips the test if ../shared is absent. */
#define OPEN_SHARED(h, name)                                                        \
	do {                                                                        \
		if (!shared_available()) {                                          \
			fprintf(stderr, "SKIP: %s not found\n", SHARED_HOSTS);     \
			skip();                                                     \
		}                                                                   \
		assert_int_equal(host_open((h), SHARED_HOSTS "/" name), 0);        \
	} while (0)

#define OPEN_FIXTURE(h, name) assert_int_equal(host_open((h), FIXTURES "/" name), 0)

/* Names of every shared capture (sorted). */
static inline int shared_hosts(struct host *probe, struct strlist *out)
{
	(void)probe;
	struct host h;
	if (host_open(&h, SHARED_HOSTS))
		return -1;
	int rc = host_list(&h, "/", out);
	host_close(&h);
	for (size_t i = 0; rc == 0 && i < out->n;) {
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", SHARED_HOSTS, out->v[i]);
		struct stat st;
		if (stat(p, &st) || !S_ISDIR(st.st_mode)) {
			free(out->v[i]);
			memmove(&out->v[i], &out->v[i + 1], (out->n - i - 1) * sizeof(char *));
			out->n--;
		} else {
			i++;
		}
	}
	return rc;
}

/* Every shared capture in turn, open as a host; skips the test when
 * ../shared is absent:
 *	struct shared_iter it;
 *	for (shared_first(&it); shared_next(&it);)
 *		... it.h, it.name, it.root ...
 * shared_next closes the host it opened before; the last one also frees the
 * list (it.names.n is there until then). */
struct shared_iter {
	struct strlist names;
	size_t i;
	const char *name;
	char root[4096];
	struct host h;
	bool open;
};

static inline void shared_first(struct shared_iter *it)
{
	if (!shared_available()) {
		fprintf(stderr, "SKIP: %s not found\n", SHARED_HOSTS);
		skip();
	}
	strlist_init(&it->names);
	assert_int_equal(shared_hosts(NULL, &it->names), 0);
	it->i = 0;
	it->open = false;
}

static inline bool shared_next(struct shared_iter *it)
{
	if (it->open)
		host_close(&it->h);
	it->open = false;
	if (it->i == it->names.n) {
		strlist_free(&it->names);
		return false;
	}
	it->name = it->names.v[it->i++];
	snprintf(it->root, sizeof(it->root), "%s/%s", SHARED_HOSTS, it->name);
	assert_int_equal(host_open(&it->h, it->root), 0);
	it->open = true;
	return true;
}

/* ---------- scratch trees, for layouts no capture has ---------- */

/* A new empty directory /tmp/agentune-<tag>-XXXXXX; tree_free removes it. */
static inline char *tree_new(const char *tag)
{
	char *root = malloc(64);
	assert_non_null(root);
	snprintf(root, 64, "/tmp/agentune-%s-XXXXXX", tag);
	assert_non_null(mkdtemp(root));
	return root;
}

/* root/rel into p, with the directories above it made. */
static inline void tree_path(const char *root, const char *rel, char *p, size_t sz)
{
	snprintf(p, sz, "%s/%s", root, rel);
	for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
}

/* mkdir -p root/rel */
static inline void tree_dir(const char *root, const char *rel)
{
	char p[4096];
	tree_path(root, rel, p, sizeof(p));
	assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
}

/* A file root/rel of len bytes (NULs and all). */
static inline void tree_put_n(const char *root, const char *rel, const void *data, size_t len)
{
	char p[4096];
	tree_path(root, rel, p, sizeof(p));
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static inline void tree_put(const char *root, const char *rel, const char *content)
{
	tree_put_n(root, rel, content, strlen(content));
}

/* A string literal with its embedded NULs, without the final one. */
#define TREE_PUT_BYTES(root, rel, lit) tree_put_n(root, rel, lit, sizeof(lit) - 1)

/* A real symbolic link root/rel -> target. */
static inline void tree_link(const char *root, const char *rel, const char *target)
{
	char p[4096];
	tree_path(root, rel, p, sizeof(p));
	assert_int_equal(symlink(target, p), 0);
}

static inline int tree_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* rm -r dir (links are removed, never followed).  0 or -1. */
static inline int tree_rm(const char *dir)
{
	return nftw(dir, tree_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Removes a tree_new tree and frees its name.  0 or -1. */
static inline int tree_free(char *root)
{
	int rc = tree_rm(root);
	free(root);
	return rc;
}

/* ---------- parsers ---------- */

/* A copy of text without its NUL, exactly len bytes long: ASan catches a
 * parser that reads past len.  The caller frees it. */
static inline char *unterminated(const char *text, size_t *len)
{
	*len = strlen(text);
	char *buf = malloc(*len ? *len : 1);
	assert_non_null(buf);
	memcpy(buf, text, *len);
	return buf;
}

/* A parse that failed as it must: -EINVAL, err naming file and line, and
 * its message containing what. */
static inline void assert_parse_error(int rc, const struct parse_error *err, const char *file,
				      int line, const char *what)
{
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err->file, file);
	assert_int_equal(err->line, line);
	assert_non_null(strstr(err->msg, what));
}

/* A tree under tests/fixtures/bad and what reading it must give. */
struct bad_case {
	const char *tree;
	int rc;
	int line;            /* where err points when rc is not 0 */
};

/* Reads every case's tree with read_fn, which checks and frees what it read
 * and returns the reader's result; on an error err must name file and the
 * case's line. */
static inline void check_bad_trees(const struct bad_case *cases, size_t n, const char *file,
				   int (*read_fn)(const struct host *h, struct parse_error *err))
{
	for (size_t i = 0; i < n; i++) {
		char root[512];
		snprintf(root, sizeof(root), "%s/bad/%s", FIXTURES, cases[i].tree);
		struct host h;
		assert_int_equal(host_open(&h, root), 0);
		struct parse_error err;
		memset(&err, 0, sizeof(err));
		int rc = read_fn(&h, &err);
		if (rc != cases[i].rc)
			fprintf(stderr, "%s: rc %d\n", cases[i].tree, rc);
		assert_int_equal(rc, cases[i].rc);
		if (rc) {
			assert_string_equal(err.file, file);
			assert_int_equal(err.line, cases[i].line);
		}
		host_close(&h);
	}
}

/* cmocka prints TAP when asked; run-tests.sh counts it. */
#define RUN_TESTS(group)                                                            \
	int main(void)                                                              \
	{                                                                           \
		cmocka_set_message_output(CM_OUTPUT_TAP);                           \
		return cmocka_run_group_tests(group, NULL, NULL);                   \
	}

/* ---------- the PM QoS window controller's pid file ---------- */

/* starttime (field 22 of /proc/PID/stat) of pid; 0 when it is gone.  Read
 * here rather than with the library's parser, so that the tests of the
 * controller's pid check do not rest on the code they test.  comm may hold
 * spaces and ')': fields count from the last ')'. */
static inline unsigned long long starttime_of(int pid)
{
	char p[64], buf[1024];
	snprintf(p, sizeof(p), "/proc/%d/stat", pid);
	FILE *fp = fopen(p, "r");
	if (!fp)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	char *s = strrchr(buf, ')');
	for (int field = 2; s && field < 22; field++)
		s = strchr(s + 1, ' ');
	return s ? strtoull(s + 1, NULL, 10) : 0;
}

/* A child that pauses until killed, named in RUNDIR/window.pid as a running
 * window controller; the caller kills and reaps it. */
static inline pid_t stand_in_controller(const char *rundir)
{
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		for (;;)
			pause();
	}
	unsigned long long start = starttime_of(child);
	assert_true(start > 0);
	char p[4200];
	snprintf(p, sizeof(p), "%s/window.pid", rundir);
	FILE *fp = fopen(p, "w");
	assert_non_null(fp);
	fprintf(fp, "%d %llu\n", (int)child, start);
	fclose(fp);
	return child;
}

#endif
