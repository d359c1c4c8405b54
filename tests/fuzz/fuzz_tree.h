/* Shared by the harnesses that fuzz a reader over a generated tree: the
 * input, split at NUL bytes, fills a fixed list of paths under a scratch
 * root (one chunk per path, in order); the harness then opens a host on
 * that root and calls its reader.  A chunk that starts with
 *   "@L" makes the path a symbolic link to the rest (relative, absolute
 *        or dangling: the host must keep every one inside the root),
 *   "@D" makes it a directory, "@-" leaves it out;
 * anything else is the file's content (a content of "../x" is a link-file,
 * as captured trees hold them).  Paths whose parent cannot be made (a file
 * or a link is there) are skipped. */
#ifndef AGENTUNE_FUZZ_TREE_H
#define AGENTUNE_FUZZ_TREE_H

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "base/host.h"

static char fz_root[64];

static int fz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level > 0)
		remove(path);
	return 0;
}

/* Everything below the root, the root itself kept. */
static void fz_clear(void)
{
	nftw(fz_root, fz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void fz_cleanup(void)
{
	fz_clear();
	rmdir(fz_root);
}

/* mkdir -p of path's parent under the root; false when it cannot be. */
static bool fz_parents(char *full)
{
	size_t base = strlen(fz_root) + 1;
	for (char *s = full + base; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		int rc = mkdir(full, 0755);
		struct stat st;
		bool ok = rc == 0 || (errno == EEXIST && lstat(full, &st) == 0 && S_ISDIR(st.st_mode));
		*s = '/';
		if (!ok)
			return false;
	}
	return true;
}

static void fz_put(const char *rel, const char *data, size_t len)
{
	char full[PATH_MAX];
	if (snprintf(full, sizeof(full), "%s/%s", fz_root, rel) >= (int)sizeof(full) ||
	    !fz_parents(full))
		return;
	if (len >= 2 && data[0] == '@' && data[1] == '-')
		return;
	if (len >= 2 && data[0] == '@' && data[1] == 'D') {
		mkdir(full, 0755);
		return;
	}
	if (len >= 2 && data[0] == '@' && data[1] == 'L') {
		char target[PATH_MAX];
		size_t n = len - 2 < sizeof(target) - 1 ? len - 2 : sizeof(target) - 1;
		memcpy(target, data + 2, n);
		target[n] = '\0';
		if (n)
			symlink(target, full);
		return;
	}
	int fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
	if (fd < 0)
		return;
	if (len && write(fd, data, len) < 0) {
		/* a short tree is still a tree */
	}
	close(fd);
}

/* Fills the root from the input and opens a host on it; false when the
 * host cannot be opened (then nothing is to be read). */
static bool fz_tree(const char *text, size_t size, const char *const *paths, size_t n,
		    struct host *h)
{
	if (!fz_root[0]) {
		snprintf(fz_root, sizeof(fz_root), "/tmp/fuzz-tree-XXXXXX");
		if (!mkdtemp(fz_root))
			__builtin_trap();
		atexit(fz_cleanup);
	}
	fz_clear();
	const char *p = text, *end = text + size;
	for (size_t i = 0; i < n && p <= end; i++) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		size_t len = z ? (size_t)(z - p) : (size_t)(end - p);
		fz_put(paths[i], p, len);
		p += len + 1;
	}
	return host_open(h, fz_root) == 0;
}

#endif
