/* base/safepath: reaching files so that nobody else's symlink can redirect us.
 *
 * agentune runs as root and writes where users point it.  Resolving a path by
 * name follows every link on the way, including one another user planted a
 * moment before.  These functions walk paths themselves, holding a
 * descriptor for each directory they pass, so what they check is what they
 * use:
 *
 *   beneath a directory we hold    sp_open_beneath, sp_mkdirs_beneath,
 *                                  sp_symlink_beneath: no symlink followed
 *                                  below it, nothing reached outside it
 *                                  (openat2 RESOLVE_NO_SYMLINKS |
 *                                  RESOLVE_BENEATH; where the kernel has no
 *                                  openat2, component by component with
 *                                  O_NOFOLLOW)
 *   an absolute path, no link      sp_open_dir_nolinks: the run directory
 *   a root-owned path              sp_open_root_owned: profiles; every
 *                                  directory walked root's and not writable
 *                                  by group or others, every link root's
 *   a private staging directory    sp_stage_*: snapshot writes into a fresh
 *                                  0700 directory beside its target and
 *                                  renames it into place at the end
 *
 * All return a descriptor or 0 on success and a negative errno on failure;
 * those with (why, sz) say why in a message that names the path.
 */
#ifndef AGENTUNE_BASE_SAFEPATH_H
#define AGENTUNE_BASE_SAFEPATH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Opens rel (relative, no "..") below dirfd with flags (O_CLOEXEC and
 * O_NOFOLLOW added; mode for O_CREAT).  A symlink anywhere in rel, the last
 * component included, is -ELOOP; an absolute rel or a ".." is -EXDEV. */
int sp_open_beneath(int dirfd, const char *rel, int flags, mode_t mode);
/* The same, component by component with openat(O_NOFOLLOW): what
 * sp_open_beneath does where openat2 is missing (ENOSYS).  Exported for
 * the tests, which check both ways. */
int sp_open_beneath_walk(int dirfd, const char *rel, int flags, mode_t mode);

/* mkdir -p of rel below dirfd (each missing directory made with mode),
 * never through a symlink: 0, -ELOOP (a link on the way), -ENOTDIR, -errno. */
int sp_mkdirs_beneath(int dirfd, const char *rel, mode_t mode);

/* symlinkat(target, rel) with rel's parent reached as sp_open_beneath
 * does.  The link's text is not followed here.  0 or -errno (-EEXIST). */
int sp_symlink_beneath(int dirfd, const char *rel, const char *target);

/* Opens the directory at the absolute path, component by component, with
 * no symlink followed anywhere in it (a trailing slash changes nothing).
 * With create, makes the last component (mode) when it is absent; its
 * parent must exist.  An O_PATH|O_DIRECTORY descriptor, or -EINVAL (not
 * absolute, or a ".."), -ELOOP (a symlink: why names it and where it
 * points), -ENOTDIR, -ENOENT (why says what is missing), -errno. */
int sp_open_dir_nolinks(const char *path, bool create, mode_t mode, char *why, size_t sz);

/* Opens the regular file at path (relative paths start at the current
 * directory) for reading, walking it from "/" and refusing it (-EPERM,
 * why naming the path and the reason) unless every directory walked is
 * owned by root and not writable by group or others, every symlink
 * followed is owned by root, and the file is a regular file owned by root
 * and not writable by group or others.  The checks are made on the
 * descriptors walked and opened, so they hold for what is then read.  st
 * gets the file's fstat.  A descriptor, -EPERM, or -errno with why. */
int sp_open_root_owned(const char *path, struct stat *st, char *why, size_t sz);

/* A directory written privately and then put in place as target. */
struct sp_stage {
	int parentfd;               /* target's parent, opened once */
	int fd;                     /* the staging directory */
	char name[NAME_MAX + 1];    /* target's last component */
	char tmp[NAME_MAX + 1];     /* the staging directory's name in the parent */
	char target[PATH_MAX];
};

/* What sp_stage_begin checks first, without making anything: target is
 * absent, or an empty directory that is not a symlink.  0 or -errno with why. */
int sp_stage_check(const char *target, char *why, size_t sz);
/* Checks target (absent, or an empty directory that is not a symlink) and
 * makes a fresh staging directory beside it, 0700 and ours, that nobody
 * else can enter.  s->fd is its descriptor.  0 or -errno with why. */
int sp_stage_begin(struct sp_stage *s, const char *target, char *why, size_t sz);
/* Gives the staging directory mode (less the umask) and renames it to
 * target, which must still be absent or an empty directory; then checks
 * that target is the directory written.  0 or -errno with why; on failure
 * call sp_stage_abort. */
int sp_stage_commit(struct sp_stage *s, mode_t mode, char *why, size_t sz);
/* Removes the staging directory and what was written in it (a failed
 * capture leaves nothing), and closes everything.  Safe after commit. */
void sp_stage_abort(struct sp_stage *s);

#endif
