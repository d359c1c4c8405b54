/* base/host: the one place where procfs, sysfs and /dev are reached.
 *
 * Every path a reader uses is absolute as on a live machine ("/proc/interrupts")
 * and is resolved under the host's root directory.  With root "/" that is the
 * live machine; with another root it is a snapshot or a fixture tree.  Links
 * inside a root resolve inside it; a link that would climb out of the root is
 * not followed (EXDEV).  Captured trees sometimes hold a link as a regular file
 * whose content is the link's target ("link-files"); they resolve like links,
 * and a link-file whose target the tree lacks reads like a real dangling
 * link (host_link_target).
 *
 * A host can record every path it reads, lists or resolves, with the content
 * it saw, so that `agentune snapshot` copies exactly what inspect read.
 */
#ifndef AGENTUNE_HOST_H
#define AGENTUNE_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host_record;

struct host {
	char root[4096];   /* "/" for the live machine, no trailing slash otherwise */
	int rootfd;        /* O_PATH descriptor of root */
	bool live;         /* root is "/" */
	struct host_record *rec; /* NULL unless recording for a snapshot */
};

/* Sorted list of strings owned by the list. */
struct strlist {
	char **v;
	size_t n, cap;
};

int host_open(struct host *h, const char *root);
void host_close(struct host *h);

/* The root directory's identity (fstat of rootfd): what a journal records
 * so that a path that later names another tree is not taken for it.
 * 0 or -errno. */
int host_root_id(const struct host *h, uint64_t *dev, uint64_t *ino);

/* Start recording what is read (for snapshot). */
int host_record_start(struct host *h);

/* Whole file as a NUL-terminated malloc'd buffer; NULL with errno set:
 * ESPIPE when path is not a regular file (a FIFO or socket; a device but
 * on the live host), which is never opened so as to block. */
char *host_read(const struct host *h, const char *path, size_t *len);

/* First line, white space trimmed, into buf.  0 or -errno; -EOVERFLOW (buf
 * "") when the line does not fit: nothing is ever cut. */
int host_read_line(const struct host *h, const char *path, char *buf, size_t sz);

/* Integers from a one-value file: 0, -errno, or -EINVAL when not a number. */
int host_read_u64(const struct host *h, const char *path, uint64_t *out);
int host_read_s64(const struct host *h, const char *path, int64_t *out);

/* One attribute file dir/name (a sysfs or sysctl value), where missing,
 * unreadable or not a number all mean "unavailable": NA_U64 / NA_S64.  An
 * empty file (a driver that cannot tell) is not a number either. */
uint64_t host_attr_u64(const struct host *h, const char *dir, const char *name);
int64_t host_attr_s64(const struct host *h, const char *dir, const char *name);
/* The first line of dir/name as host_read_line gives it; false with buf ""
 * when the file is missing or unreadable. */
bool host_attr_str(const struct host *h, const char *dir, const char *name, char *buf,
		   size_t sz);

/* Directory entries (without . and ..), sorted naturally (cpu2 < cpu10). */
int host_list(const struct host *h, const char *dir, struct strlist *out);

/* Resolves links (and link-files) in every component of path; writes the
 * canonical absolute path (relative to root) into out.  0 or -errno. */
int host_resolve(const struct host *h, const char *path, char *out, size_t sz);

/* Target of the link at path, resolved to a canonical path ("driver" ->
 * "/sys/bus/pci/drivers/igb").  -EINVAL if path is not a link, -ENOENT
 * when the tree does not hold the target. */
int host_link(const struct host *h, const char *path, char *out, size_t sz);

/* Where the link at path points, whether or not the tree holds the target
 * (a capture keeps a PCI function's `driver` link but not
 * /sys/bus/pci/drivers/igb): the directory holding the link, resolved,
 * joined with the link's text taken lexically ("../../../bus/pci/drivers/igb"
 * -> "/sys/bus/pci/drivers/igb").  A real symbolic link and a link-file read
 * the same.  0, -EXDEV (the text climbs out of the root: not followed),
 * -EINVAL (not a link), -ENOENT (nothing at path). */
int host_link_target(const struct host *h, const char *path, char *out, size_t sz);

/* strerror, with ESPIPE and EOVERFLOW worded as host_read, host_write
 * and host_read_line mean them. */
const char *host_strerror(int err);

bool host_exists(const struct host *h, const char *path);
bool host_is_dir(const struct host *h, const char *path);

/* Writes data to an existing file (no O_CREAT), replacing its content (a
 * tree's regular file is truncated; procfs, sysfs and cgroupfs ignore the
 * truncation, as they do for `echo x > file`).  0 or -errno; -ESPIPE for
 * anything but a regular file (opened without blocking). */
int host_write(const struct host *h, const char *path, const char *data);

/* Creates (0755) or removes an empty directory: cgroups.  0 or -errno. */
int host_mkdir(const struct host *h, const char *path);
int host_rmdir(const struct host *h, const char *path);

/* Snapshot support: write everything recorded below the directory dirfd
 * (one nobody else can write: sp_stage_begin), no symlink followed on the
 * way, every file created (O_EXCL) rather than opened.  0 or -errno; on
 * error *failed names the path that could not be written. */
int host_record_save_at(const struct host *h, int dirfd, const char **failed);
/* The same into dir, made (0755) when absent; dir itself is not followed
 * if a symlink.  For trees the caller alone controls (tests). */
int host_record_save(const struct host *h, const char *dir, const char **failed);
/* Records an extra file that no reader read (the netlink NAPI dump). */
int host_record_add(struct host *h, const char *path, const char *data, size_t len);
size_t host_record_count(const struct host *h);

void strlist_init(struct strlist *l);
int strlist_add(struct strlist *l, const char *s);
void strlist_sort(struct strlist *l);
void strlist_free(struct strlist *l);
/* strverscmp-like natural order, exported for readers that sort names. */
int natural_cmp(const char *a, const char *b);

#endif
