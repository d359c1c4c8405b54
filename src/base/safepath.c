/* base/safepath: paths walked without following another user's links (safepath.h). */
#include "base/safepath.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/errmsg.h"
#include "base/util.h"

#define SP_MAX_LINKS 40
#define SP_MAX_DEPTH 128 /* directories removed recursively by sp_stage_abort */

/* The next component of *p (slashes skipped) into comp; false at the end.
 * *last tells whether nothing but slashes follows it. */
static int next_component(const char **p, char *comp, bool *last)
{
	const char *s = *p;
	while (*s == '/')
		s++;
	if (!*s)
		return 0;
	size_t len = strcspn(s, "/");
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(comp, s, len);
	comp[len] = '\0';
	s += len;
	*p = s;
	*last = s[strspn(s, "/")] == '\0';
	return 1;
}

/* ---------- beneath a directory we hold ---------- */

/* O_DIRECTORY|O_NOFOLLOW on a symlink fails with ENOTDIR: say -ELOOP, as
 * for a link anywhere else, so callers see one answer for "a link". */
static int link_is_eloop(int dirfd, const char *name, int e)
{
	struct stat st;
	if (e == ENOTDIR && !fstatat(dirfd, *name ? name : ".", &st, AT_SYMLINK_NOFOLLOW) &&
	    S_ISLNK(st.st_mode))
		return -ELOOP;
	return -e;
}

int sp_open_beneath_walk(int dirfd, const char *rel, int flags, mode_t mode)
{
	if (rel[0] == '/')
		return -EXDEV;
	int cur = dup(dirfd);
	if (cur < 0)
		return -errno;
	const char *p = rel;
	char comp[NAME_MAX + 1];
	bool last = true;
	int r;
	while ((r = next_component(&p, comp, &last)) > 0) {
		if (!strcmp(comp, "..")) {
			close(cur);
			return -EXDEV;
		}
		if (last)
			break;
		if (!strcmp(comp, "."))
			continue;
		int fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			struct stat st;
			if (e == ENOTDIR && !fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) &&
			    S_ISLNK(st.st_mode))
				e = ELOOP;
			close(cur);
			return -e;
		}
		close(cur);
		cur = fd;
	}
	if (r < 0) {
		close(cur);
		return r;
	}
	if (r == 0) /* "" or only slashes: the directory itself */
		strcpy(comp, ".");
	int fd = openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	int e = fd < 0 ? link_is_eloop(cur, comp, errno) : 0;
	close(cur);
	if (fd < 0)
		return e;
	/* O_PATH|O_NOFOLLOW opens a link itself rather than failing. */
	struct stat st;
	if ((flags & O_PATH) && !fstat(fd, &st) && S_ISLNK(st.st_mode)) {
		close(fd);
		return -ELOOP;
	}
	return fd;
}

int sp_open_beneath(int dirfd, const char *rel, int flags, mode_t mode)
{
	if (rel[0] == '/')
		return -EXDEV;
	struct open_how how = {
		.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, dirfd, *rel ? rel : ".", &how, sizeof(how));
	struct stat st;
	if (fd >= 0 && (flags & O_PATH) && !fstat(fd, &st) && S_ISLNK(st.st_mode)) {
		close(fd); /* O_PATH|O_NOFOLLOW opens a link itself */
		return -ELOOP;
	}
	if (fd >= 0)
		return fd;
	if (errno == ENOSYS)
		return sp_open_beneath_walk(dirfd, rel, flags, mode);
	return link_is_eloop(dirfd, rel, errno);
}

/* The parent of rel below dirfd (O_PATH) and rel's last component. */
static int parent_beneath(int dirfd, const char *rel, char *name)
{
	char dir[PATH_MAX];
	size_t len = strlen(rel);
	while (len > 1 && rel[len - 1] == '/')
		len--;
	if (len >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, rel, len);
	dir[len] = '\0';
	char *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : dir;
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..") || strlen(base) > NAME_MAX)
		return -EINVAL;
	strcpy(name, base);
	if (!slash)
		return sp_open_beneath(dirfd, "", O_PATH | O_DIRECTORY, 0);
	*slash = '\0';
	return sp_open_beneath(dirfd, dir, O_PATH | O_DIRECTORY, 0);
}

int sp_mkdirs_beneath(int dirfd, const char *rel, mode_t mode)
{
	if (rel[0] == '/')
		return -EXDEV;
	int cur = dup(dirfd);
	if (cur < 0)
		return -errno;
	const char *p = rel;
	char comp[NAME_MAX + 1];
	bool last;
	int r;
	while ((r = next_component(&p, comp, &last)) > 0) {
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			r = -EXDEV;
			break;
		}
		if (mkdirat(cur, comp, mode) && errno != EEXIST) {
			r = -errno;
			break;
		}
		/* What is there now must be a directory, not a link to one. */
		int fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			struct stat st;
			r = -errno;
			if (r == -ENOTDIR && !fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) &&
			    S_ISLNK(st.st_mode))
				r = -ELOOP;
			break;
		}
		close(cur);
		cur = fd;
	}
	close(cur);
	return r < 0 ? r : 0;
}

int sp_symlink_beneath(int dirfd, const char *rel, const char *target)
{
	char name[NAME_MAX + 1];
	int pfd = parent_beneath(dirfd, rel, name);
	if (pfd < 0)
		return pfd;
	int rc = symlinkat(target, pfd, name) ? -errno : 0;
	close(pfd);
	return rc;
}

/* ---------- an absolute path with no link in it ---------- */

/* "why" for a component that open refused with O_NOFOLLOW|O_DIRECTORY. */
static int refuse_component(int cur, const char *comp, const char *sofar, bool whole, int e,
			    char *why, size_t sz)
{
	struct stat st;
	if (fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(cur, comp, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		if (whole)
			return errmsg(why, sz, -ELOOP, "%s is a symlink: refusing it", sofar);
		return errmsg(why, sz, -ELOOP,
			      "%s is a symlink (to %s): refusing a path that goes through one",
			      sofar, target);
	}
	if (e == ENOTDIR)
		return errmsg(why, sz, -ENOTDIR, "%s is not a directory: refusing it", sofar);
	return errmsg(why, sz, -e, "cannot open %s: %s", sofar, strerror(e));
}

int sp_open_dir_nolinks(const char *path, bool create, mode_t mode, char *why, size_t sz)
{
	if (!path || path[0] != '/')
		return errmsg(why, sz, -EINVAL, "%s is not an absolute path: refusing it",
			      path ? path : "(null)");
	int cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return errmsg(why, sz, -errno, "cannot open /: %s", strerror(errno));
	char sofar[PATH_MAX] = "", comp[NAME_MAX + 1];
	const char *p = path;
	bool last = true;
	int r;
	while ((r = next_component(&p, comp, &last)) > 0) {
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			close(cur);
			return errmsg(why, sz, -EINVAL, "%s names a parent directory (..): refusing it",
				      path);
		}
		size_t len = strlen(sofar);
		if (len + 1 + strlen(comp) >= sizeof(sofar)) {
			close(cur);
			return errmsg(why, sz, -ENAMETOOLONG, "%s: path too long", path);
		}
		sprintf(sofar + len, "/%s", comp);
		int fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && create && last) {
			if (mkdirat(cur, comp, mode) && errno != EEXIST) {
				int e = errno;
				close(cur);
				return errmsg(why, sz, -e, "cannot create %s: %s", sofar, strerror(e));
			}
			fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd < 0) {
			int e = errno;
			if (e == ENOENT) {
				close(cur);
				if (create && !last)
					return errmsg(why, sz, -ENOENT,
						      "cannot create %s: its parent directory does not exist",
						      path);
				return errmsg(why, sz, -ENOENT, "%s does not exist", sofar);
			}
			/* ELOOP or ENOTDIR: a link or a file where a directory should be. */
			bool whole = last && !strcmp(sofar, path);
			r = refuse_component(cur, comp, whole ? path : sofar, whole, e, why, sz);
			close(cur);
			return r;
		}
		close(cur);
		cur = fd;
	}
	if (r < 0) {
		close(cur);
		return errmsg(why, sz, r, "%s: a component is too long", path);
	}
	return cur;
}

/* ---------- a path only root can have written ---------- */

/* Root's, and (links aside, whose mode means nothing) not writable by group
 * or others. */
static int vet(const char *path, const struct stat *st, char *why, size_t sz)
{
	if (st->st_uid != 0)
		return errmsg(why, sz, -EPERM, "%s: %sowned by uid %u, not root", path,
			      S_ISLNK(st->st_mode) ? "a symlink " : "", (unsigned)st->st_uid);
	if (!S_ISLNK(st->st_mode) && (st->st_mode & (S_IWGRP | S_IWOTH)))
		return errmsg(why, sz, -EPERM, "%s: writable by %s (mode %04o)", path,
			      st->st_mode & S_IWOTH ? "others" : "group",
			      (unsigned)(st->st_mode & 07777));
	return 0;
}

/* A walk from "/": the directory it is in (cur, vetted) and its path. */
struct walk {
	int cur;
	char canon[PATH_MAX];
	char rest[PATH_MAX * 2];
	int links;
};

static int walk_root(struct walk *w, char *why, size_t sz)
{
	if (w->cur >= 0)
		close(w->cur);
	w->canon[0] = '\0';
	w->cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->cur < 0)
		return errmsg(why, sz, -errno, "cannot open /: %s", strerror(errno));
	struct stat st;
	if (fstat(w->cur, &st))
		return errmsg(why, sz, -errno, "cannot stat /: %s", strerror(errno));
	return vet("/", &st, why, sz);
}

/* The link comp in w->cur (already vetted as root's): its text replaces
 * it in the rest of the walk. */
static int walk_follow(struct walk *w, const char *comp, const char *after, char *why, size_t sz)
{
	char target[PATH_MAX], next[PATH_MAX * 2];
	ssize_t n = readlinkat(w->cur, comp, target, sizeof(target) - 1);
	if (n < 0)
		return errmsg(why, sz, -errno, "%s/%s: %s", w->canon, comp, strerror(errno));
	target[n] = '\0';
	if (++w->links > SP_MAX_LINKS)
		return errmsg(why, sz, -ELOOP, "%s/%s: too many levels of symlinks", w->canon, comp);
	if (snprintf(next, sizeof(next), "%s/%s", target, after) >= (int)sizeof(next))
		return errmsg(why, sz, -ENAMETOOLONG, "%s/%s: path too long", w->canon, comp);
	strcpy(w->rest, next);
	return target[0] == '/' ? walk_root(w, why, sz) : 0;
}

/* Into the directory comp of w->cur, vetted on the descriptor held. */
static int walk_down(struct walk *w, const char *comp, char *why, size_t sz)
{
	char path[PATH_MAX + NAME_MAX + 2];
	snprintf(path, sizeof(path), "%s/%s", w->canon, comp);
	int fd = openat(w->cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno == ELOOP ? EAGAIN : errno; /* a link since fstatat: a race */
		return errmsg(why, sz, -e, "%s: %s", path, strerror(e));
	}
	struct stat st;
	int rc = fstat(fd, &st) ? errmsg(why, sz, -errno, "%s: %s", path, strerror(errno))
				: vet(path, &st, why, sz);
	if (rc || strlen(path) >= sizeof(w->canon)) {
		close(fd);
		return rc ? rc : errmsg(why, sz, -ENAMETOOLONG, "%s: path too long", path);
	}
	close(w->cur);
	w->cur = fd;
	strcpy(w->canon, path);
	return 0;
}

static void walk_up(struct walk *w)
{
	int fd = openat(w->cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		close(w->cur);
		w->cur = fd;
	}
	char *slash = strrchr(w->canon, '/');
	if (slash)
		*slash = '\0';
}

/* The file comp of w->cur: a regular file, vetted on its descriptor. */
static int walk_open_file(struct walk *w, const char *comp, struct stat *st, char *why,
			  size_t sz)
{
	char path[PATH_MAX + NAME_MAX + 2];
	snprintf(path, sizeof(path), "%s/%s", w->canon, comp);
	/* O_NONBLOCK: a FIFO must not hang us before fstat says what it is. */
	int fd = openat(w->cur, comp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return errmsg(why, sz, -errno, "%s: %s", path, strerror(errno));
	int rc = 0;
	if (fstat(fd, st))
		rc = errmsg(why, sz, -errno, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st->st_mode))
		rc = errmsg(why, sz, -EINVAL, "%s: not a regular file", path);
	else
		rc = vet(path, st, why, sz);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

static int walk_start(struct walk *w, const char *path, char *why, size_t sz)
{
	char cwd[PATH_MAX];
	if (path[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		return errmsg(why, sz, -errno, "%s: the current directory: %s", path, strerror(errno));
	if (snprintf(w->rest, sizeof(w->rest), "%s/%s", path[0] == '/' ? "" : cwd, path) >=
	    (int)sizeof(w->rest))
		return errmsg(why, sz, -ENAMETOOLONG, "%s: path too long", path);
	return walk_root(w, why, sz);
}

int sp_open_root_owned(const char *path, struct stat *st, char *why, size_t sz)
{
	struct walk w = { .cur = -1 };
	int rc = walk_start(&w, path, why, sz);
	char comp[NAME_MAX + 1];
	bool last = false;
	while (!rc) {
		const char *p = w.rest;
		int r = next_component(&p, comp, &last);
		if (r <= 0) {
			rc = r ? errmsg(why, sz, r, "%s: a component is too long", path)
			       : errmsg(why, sz, -EISDIR, "%s: a directory, not a file", path);
			break;
		}
		char after[PATH_MAX * 2];
		copy_str(after, sizeof(after), p);
		if (!strcmp(comp, ".") || !strcmp(comp, "..")) {
			if (comp[1])
				walk_up(&w);
			strcpy(w.rest, after);
			if (last)
				rc = errmsg(why, sz, -EISDIR, "%s: a directory, not a file", path);
			continue;
		}
		struct stat ls;
		char here[PATH_MAX + NAME_MAX + 2];
		snprintf(here, sizeof(here), "%s/%s", w.canon, comp);
		if (fstatat(w.cur, comp, &ls, AT_SYMLINK_NOFOLLOW)) {
			rc = errmsg(why, sz, -errno, "%s: %s", here, strerror(errno));
			break;
		}
		if (S_ISLNK(ls.st_mode)) {
			rc = vet(here, &ls, why, sz);
			if (!rc)
				rc = walk_follow(&w, comp, after, why, sz);
			continue;
		}
		if (last) {
			rc = walk_open_file(&w, comp, st, why, sz);
			break;
		}
		strcpy(w.rest, after);
		rc = walk_down(&w, comp, why, sz);
	}
	if (w.cur >= 0)
		close(w.cur);
	return rc;
}

/* ---------- a private staging directory ---------- */

static bool dir_empty_at(int pfd, const char *name)
{
	int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	bool empty = true;
	struct dirent *de;
	while (empty && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

/* Splits target into its parent (opened) and its last component. */
static int stage_parent(struct sp_stage *s, const char *target, char *why, size_t sz)
{
	s->parentfd = -1;
	char dir[PATH_MAX];
	size_t len = strlen(target);
	while (len > 1 && target[len - 1] == '/')
		len--;
	if (!len || len >= sizeof(dir))
		return errmsg(why, sz, -EINVAL, "'%s': not a directory name", target);
	memcpy(dir, target, len);
	dir[len] = '\0';
	char *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : dir;
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..") || strlen(base) > 200)
		return errmsg(why, sz, -EINVAL, "%s: name a new or empty directory", target);
	strcpy(s->name, base);
	const char *parent = !slash ? "." : slash == dir ? "/" : (*slash = '\0', dir);
	s->parentfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->parentfd < 0)
		return errmsg(why, sz, -errno, "%s: %s", parent, strerror(errno));
	return 0;
}

/* Target absent, or an empty directory reached without a link. */
static int stage_check_target(struct sp_stage *s, char *why, size_t sz)
{
	struct stat st;
	if (fstatat(s->parentfd, s->name, &st, AT_SYMLINK_NOFOLLOW)) {
		if (errno == ENOENT)
			return 0;
		return errmsg(why, sz, -errno, "%s: %s", s->target, strerror(errno));
	}
	if (S_ISLNK(st.st_mode))
		return errmsg(why, sz, -ELOOP, "%s is a symlink: refusing it (name the directory itself)",
			      s->target);
	if (!S_ISDIR(st.st_mode) || !dir_empty_at(s->parentfd, s->name))
		return errmsg(why, sz, -EEXIST, "%s exists and is not an empty directory", s->target);
	return 0;
}

int sp_stage_check(const char *target, char *why, size_t sz)
{
	struct sp_stage s;
	memset(&s, 0, sizeof(s));
	s.fd = -1;
	copy_str(s.target, sizeof(s.target), target);
	int rc = stage_parent(&s, target, why, sz);
	if (!rc)
		rc = stage_check_target(&s, why, sz);
	if (s.parentfd >= 0)
		close(s.parentfd);
	return rc;
}

int sp_stage_begin(struct sp_stage *s, const char *target, char *why, size_t sz)
{
	memset(s, 0, sizeof(*s));
	s->parentfd = s->fd = -1;
	copy_str(s->target, sizeof(s->target), target);
	int rc = stage_parent(s, target, why, sz);
	if (!rc)
		rc = stage_check_target(s, why, sz);
	if (rc)
		return rc;
	/* A name nobody can have prepared: mkdirat fails on anything there. */
	unsigned seed = (unsigned)getpid() ^ (unsigned)mono_ns();
	for (int tries = 0; tries < 100; tries++) {
		seed = seed * 1103515245u + 12345u;
		snprintf(s->tmp, sizeof(s->tmp), ".%s.tmp-%08x", s->name, seed);
		if (!mkdirat(s->parentfd, s->tmp, 0700))
			break;
		int e = errno;
		s->tmp[0] = '\0';
		if (e != EEXIST)
			return errmsg(why, sz, -e, "cannot create a directory beside %s: %s",
				      s->target, strerror(e));
	}
	if (!s->tmp[0])
		return errmsg(why, sz, -EEXIST, "cannot create a directory beside %s", s->target);
	s->fd = openat(s->parentfd, s->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (s->fd < 0 || fstat(s->fd, &st))
		return errmsg(why, sz, -errno, "%s beside %s: %s", s->tmp, s->target, strerror(errno));
	/* In a directory others may write, the name could have been swapped
	 * between mkdirat and openat: only our own 0700 directory will do. */
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		/* Not ours: sp_stage_abort must not empty it. */
		close(s->fd);
		s->fd = -1;
		errmsg(why, sz, -EPERM, "%s beside %s was replaced by someone else", s->tmp, s->target);
		s->tmp[0] = '\0';
		return -EPERM;
	}
	return 0;
}

int sp_stage_commit(struct sp_stage *s, mode_t mode, char *why, size_t sz)
{
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(s->fd, mode & ~mask & 07777))
		return errmsg(why, sz, -errno, "%s: %s", s->target, strerror(errno));
	if (renameat(s->parentfd, s->tmp, s->parentfd, s->name)) {
		int e = errno;
		if (e == ENOTEMPTY || e == EEXIST || e == ENOTDIR || e == EISDIR)
			return errmsg(why, sz, -e, "%s is no longer absent or an empty directory: "
				      "someone put something there during the snapshot", s->target);
		return errmsg(why, sz, -e, "cannot rename %s to %s: %s", s->tmp, s->target, strerror(e));
	}
	s->tmp[0] = '\0';
	struct stat a, b;
	if (fstat(s->fd, &a) || fstatat(s->parentfd, s->name, &b, AT_SYMLINK_NOFOLLOW) ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return errmsg(why, sz, -EBUSY, "%s is not the directory written: it was replaced "
			      "during the snapshot", s->target);
	return 0;
}

/* Everything below fd (a directory we made): entries removed, never a link
 * followed. */
static void remove_below(int fd, int depth)
{
	int dfd = dup(fd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISDIR(st.st_mode) && depth < SP_MAX_DEPTH) {
			int sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				remove_below(sub, depth + 1);
				close(sub);
			}
			unlinkat(fd, de->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(fd, de->d_name, 0);
		}
	}
	closedir(d);
}

void sp_stage_abort(struct sp_stage *s)
{
	if (s->parentfd >= 0 && s->tmp[0]) {
		if (s->fd >= 0)
			remove_below(s->fd, 0);
		unlinkat(s->parentfd, s->tmp, AT_REMOVEDIR);
	}
	if (s->fd >= 0)
		close(s->fd);
	if (s->parentfd >= 0)
		close(s->parentfd);
	s->fd = s->parentfd = -1;
	s->tmp[0] = '\0';
}
