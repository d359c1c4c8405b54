/* base/host: root-confined access to procfs, sysfs and /dev (see host.h). */
#include "base/host.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/safepath.h"
#include "base/util.h"

#define MAX_LINKS 40
#define MAX_FILE (64u << 20) /* a 1152-CPU /proc/interrupts is 13 MB */

enum rec_kind { REC_DIR, REC_FILE, REC_LINK, REC_PLACEHOLDER };

struct rec_entry {
	enum rec_kind kind;
	char *path;
	char *data; /* file content or link target */
	size_t len;
};

struct host_record {
	struct rec_entry *v;
	size_t n, cap;
};

/* ---------- string lists ---------- */

void strlist_init(struct strlist *l)
{
	memset(l, 0, sizeof(*l));
}

int strlist_add(struct strlist *l, const char *s)
{
	char **v = grow(l->v, l->n, &l->cap, sizeof(*v), 16);
	if (!v)
		return -ENOMEM;
	l->v = v;
	l->v[l->n] = strdup(s);
	if (!l->v[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

int natural_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			while (*a == '0' && isdigit((unsigned char)a[1]))
				a++;
			while (*b == '0' && isdigit((unsigned char)b[1]))
				b++;
			size_t la = 0, lb = 0;
			while (isdigit((unsigned char)a[la]))
				la++;
			while (isdigit((unsigned char)b[lb]))
				lb++;
			if (la != lb)
				return la < lb ? -1 : 1;
			int c = strncmp(a, b, la);
			if (c)
				return c;
			a += la;
			b += lb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : (*b ? -1 : 0);
}

static int natural_qsort_cmp(const void *a, const void *b)
{
	return natural_cmp(*(char *const *)a, *(char *const *)b);
}

void strlist_sort(struct strlist *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), natural_qsort_cmp);
}

void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	strlist_init(l);
}

/* ---------- recording ---------- */

static void record(const struct host *h, enum rec_kind kind, const char *path,
		   const char *data, size_t len)
{
	struct host_record *r = h->rec;
	if (!r)
		return;
	struct rec_entry *v = grow(r->v, r->n, &r->cap, sizeof(*v), 256);
	if (!v)
		return;
	r->v = v;
	struct rec_entry *e = &r->v[r->n];
	e->kind = kind;
	e->path = strdup(path);
	e->data = NULL;
	e->len = len;
	if (data) {
		e->data = malloc(len + 1);
		if (e->data) {
			memcpy(e->data, data, len);
			e->data[len] = '\0';
		}
	}
	if (!e->path || (data && !e->data)) {
		free(e->path);
		free(e->data);
		return;
	}
	r->n++;
}

int host_record_start(struct host *h)
{
	if (h->rec)
		return 0;
	h->rec = calloc(1, sizeof(*h->rec));
	return h->rec ? 0 : -ENOMEM;
}

int host_record_add(struct host *h, const char *path, const char *data, size_t len)
{
	if (!h->rec)
		return -EINVAL;
	size_t before = h->rec->n;
	record(h, REC_FILE, path, data, len);
	return h->rec->n > before ? 0 : -ENOMEM;
}

size_t host_record_count(const struct host *h)
{
	return h->rec ? h->rec->n : 0;
}

/* ---------- opening and closing ---------- */

int host_open(struct host *h, const char *root)
{
	memset(h, 0, sizeof(*h));
	h->rootfd = -1;
	if (!root || !*root)
		root = "/";
	char real[PATH_MAX];
	if (!realpath(root, real))
		return -errno;
	if (strlen(real) >= sizeof(h->root))
		return -ENAMETOOLONG;
	strcpy(h->root, real);
	h->live = strcmp(real, "/") == 0;
	h->rootfd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return h->rootfd < 0 ? -errno : 0;
}

int host_root_id(const struct host *h, uint64_t *dev, uint64_t *ino)
{
	struct stat st;
	if (h->rootfd < 0)
		return -EBADF;
	if (fstat(h->rootfd, &st))
		return -errno;
	*dev = (uint64_t)st.st_dev;
	*ino = (uint64_t)st.st_ino;
	return 0;
}

void host_close(struct host *h)
{
	if (h->rootfd >= 0)
		close(h->rootfd);
	if (h->rec) {
		for (size_t i = 0; i < h->rec->n; i++) {
			free(h->rec->v[i].path);
			free(h->rec->v[i].data);
		}
		free(h->rec->v);
		free(h->rec);
	}
	memset(h, 0, sizeof(*h));
	h->rootfd = -1;
}

/* ---------- path resolution ---------- */

/* "/a/b" -> "a/b", "/" -> "." : paths relative to rootfd. */
static const char *rel(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

/* A captured tree may hold a link as a regular file containing "../x/y". */
static bool read_link_file(const struct host *h, const char *canon, char *target,
			   size_t sz)
{
	int fd = openat(h->rootfd, rel(canon), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, target, sz - 1);
	close(fd);
	if (n <= 0)
		return false;
	target[n] = '\0';
	while (n > 0 && isspace((unsigned char)target[n - 1]))
		target[--n] = '\0';
	if (strncmp(target, "../", 3) != 0 && strncmp(target, "./", 2) != 0)
		return false;
	return strchr(target, '\n') == NULL;
}

static void pop_component(char *canon)
{
	char *slash = strrchr(canon, '/');
	if (slash)
		*slash = '\0';
}

/* Resolves path component by component under the root.  follow_last: resolve
 * a link (or link-file) in the last component too.  Links met on the way are
 * recorded when recording.  Returns 0 or -errno; -EXDEV if a link climbs out. */
static int resolve(const struct host *h, const char *path, bool follow_last,
		   char *out, size_t sz)
{
	char rest[PATH_MAX * 2], canon[PATH_MAX] = "";
	int links = 0;

	if (snprintf(rest, sizeof(rest), "%s", path) >= (int)sizeof(rest))
		return -ENAMETOOLONG;
	char *p = rest;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char comp[NAME_MAX + 1];
		size_t len = strcspn(p, "/");
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(comp, p, len);
		comp[len] = '\0';
		p += len;
		bool last = strspn(p, "/") == strlen(p);

		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			if (!*canon)
				return -EXDEV;
			pop_component(canon);
			continue;
		}
		char cand[PATH_MAX];
		if (snprintf(cand, sizeof(cand), "%s/%s", canon, comp) >= (int)sizeof(cand))
			return -ENAMETOOLONG;
		struct stat st;
		if (fstatat(h->rootfd, rel(cand), &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;

		char target[PATH_MAX];
		bool is_link = false;
		if (S_ISLNK(st.st_mode) && (!last || follow_last)) {
			ssize_t n = readlinkat(h->rootfd, rel(cand), target, sizeof(target) - 1);
			if (n < 0)
				return -errno;
			target[n] = '\0';
			is_link = true;
			record(h, REC_LINK, cand, target, (size_t)n);
		} else if (S_ISREG(st.st_mode) && (!last || follow_last) &&
			   st.st_size < PATH_MAX) {
			is_link = read_link_file(h, cand, target, sizeof(target));
			if (!is_link && !last)
				return -ENOTDIR;
			if (is_link)
				record(h, REC_FILE, cand, target, strlen(target));
		} else if (!S_ISDIR(st.st_mode) && !last) {
			return -ENOTDIR;
		}
		if (!is_link) {
			strcpy(canon, cand);
			continue;
		}
		if (++links > MAX_LINKS)
			return -ELOOP;
		if (target[0] == '/')
			canon[0] = '\0'; /* absolute links resolve inside the root */
		char next[PATH_MAX * 2];
		if (snprintf(next, sizeof(next), "%s/%s", target, p) >= (int)sizeof(next))
			return -ENAMETOOLONG;
		strcpy(rest, next);
		p = rest;
	}
	if (snprintf(out, sz, "%s", *canon ? canon : "/") >= (int)sz)
		return -ENAMETOOLONG;
	return 0;
}

int host_resolve(const struct host *h, const char *path, char *out, size_t sz)
{
	return resolve(h, path, true, out, sz);
}

/* The link at path, a real symbolic link or a link-file, read the same way:
 * canon gets the link's own canonical path (the directories above it
 * resolved), target its text.  -EINVAL when path is neither. */
static int link_text(const struct host *h, const char *path, char *canon, size_t csz,
		     char *target, size_t tsz)
{
	int rc = resolve(h, path, false, canon, csz);
	if (rc)
		return rc;
	struct stat st;
	if (fstatat(h->rootfd, rel(canon), &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlinkat(h->rootfd, rel(canon), target, tsz - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		record(h, REC_LINK, canon, target, (size_t)n);
	} else if (!S_ISREG(st.st_mode) || !read_link_file(h, canon, target, tsz)) {
		return -EINVAL;
	} else {
		record(h, REC_FILE, canon, target, strlen(target));
	}
	return 0;
}

/* dir (the canonical directory that holds a link) joined with the link's
 * text, lexically, as a path inside the root: absolute text starts at the
 * root, ".." drops the component before it.  -EXDEV when it climbs above
 * the root. */
static int link_join(const char *dir, const char *target, char *out, size_t sz)
{
	char buf[PATH_MAX * 2], res[PATH_MAX * 2] = "";
	size_t len = 0;
	if (snprintf(buf, sizeof(buf), "%s/%s", target[0] == '/' ? "" : dir, target) >=
	    (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *save = NULL, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			if (!len)
				return -EXDEV;
			while (len && res[len - 1] != '/')
				len--;
			if (len)
				len--;
			res[len] = '\0';
			continue;
		}
		int n = snprintf(res + len, sizeof(res) - len, "/%s", c);
		if (n < 0 || (size_t)n >= sizeof(res) - len)
			return -ENAMETOOLONG;
		len += (size_t)n;
	}
	return snprintf(out, sz, "%s", len ? res : "/") >= (int)sz ? -ENAMETOOLONG : 0;
}

int host_link(const struct host *h, const char *path, char *out, size_t sz)
{
	char canon[PATH_MAX], target[PATH_MAX];
	int rc = link_text(h, path, canon, sizeof(canon), target, sizeof(target));
	if (rc)
		return rc;
	struct stat st;
	char joined[PATH_MAX * 2];
	if (target[0] == '/')
		snprintf(joined, sizeof(joined), "%s", target);
	else {
		pop_component(canon);
		snprintf(joined, sizeof(joined), "%s/%s", canon, target);
	}
	rc = resolve(h, joined, true, out, sz);
	/* A snapshot keeps the directory a link points to, so the link (a
	 * driver, a device) still resolves where nothing below it was read. */
	if (!rc && h->rec && fstatat(h->rootfd, rel(out), &st, 0) == 0 && S_ISDIR(st.st_mode))
		record(h, REC_DIR, out, NULL, 0);
	return rc;
}

int host_link_target(const struct host *h, const char *path, char *out, size_t sz)
{
	char canon[PATH_MAX], target[PATH_MAX];
	int rc = link_text(h, path, canon, sizeof(canon), target, sizeof(target));
	if (rc)
		return rc;
	pop_component(canon);
	return link_join(canon, target, out, sz);
}

/* Opens path for reading or writing, confined to the root. */
static int open_confined(const struct host *h, const char *path, int flags,
			 char *canon, size_t canon_sz)
{
	if (!h->rec) {
		if (h->live) {
			int fd = open(path, flags | O_CLOEXEC);
			return fd < 0 ? -errno : fd;
		}
		struct open_how how = {
			.flags = (uint64_t)(flags | O_CLOEXEC),
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};
		int fd = (int)syscall(SYS_openat2, h->rootfd, rel(path), &how, sizeof(how));
		if (fd >= 0)
			return fd;
		/* ENOTDIR: a link-file on the way; EXDEV: an absolute link or
		 * one that leaves the root; ENOSYS: an old kernel. */
		if (errno != ENOTDIR && errno != EXDEV && errno != ELOOP && errno != ENOSYS)
			return -errno;
	}
	int rc = resolve(h, path, true, canon, canon_sz);
	if (rc)
		return rc;
	int fd = openat(h->rootfd, rel(canon), flags | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Whether what fd opened is a file host_read or host_write may use:
 * procfs, sysfs and cgroupfs files are regular; /dev/cpu_dma_latency is a
 * device, read on the live host only.  A FIFO or socket (planted in a tree)
 * never: it would block or mean nothing.  0 or -ESPIPE. */
static int check_kind(const struct host *h, int fd, bool writing)
{
	struct stat st;
	if (fstat(fd, &st))
		return -errno;
	if (S_ISREG(st.st_mode))
		return 0;
	if (!writing && h->live && S_ISCHR(st.st_mode))
		return 0;
	return -ESPIPE;
}

const char *host_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err == ESPIPE)
		return "not a regular file (a FIFO, socket or device): refused";
	if (err == EOVERFLOW)
		return "its value is longer than agentune can hold whole: refused";
	return strerror(err);
}

char *host_read(const struct host *h, const char *path, size_t *len)
{
	char canon[PATH_MAX];
	snprintf(canon, sizeof(canon), "%s", path);
	/* O_NONBLOCK: a FIFO in a tree must not hang us (check_kind then
	 * refuses it); regular files ignore the flag. */
	int fd = open_confined(h, path, O_RDONLY | O_NONBLOCK, canon, sizeof(canon));
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	int kind = check_kind(h, fd, false);
	if (kind) {
		close(fd);
		errno = -kind;
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		if (n == cap) {
			if (cap >= MAX_FILE) {
				free(buf);
				buf = NULL;
				errno = EFBIG;
				break;
			}
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			buf = NULL;
			errno = e;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	int e = errno;
	close(fd);
	if (!buf) {
		errno = e;
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	record(h, REC_FILE, canon, buf, n);
	return buf;
}

int host_read_line(const struct host *h, const char *path, char *buf, size_t sz)
{
	size_t len;
	char *data = host_read(h, path, &len);
	if (!data)
		return -errno;
	char *s = data;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strcspn(s, "\n");
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	/* A NUL inside the line ends it: some captures hold "\0\n". */
	n = strnlen(s, n);
	/* A line that does not fit is an error, never a shorter value: a cut
	 * CPU list is another CPU list. */
	if (n >= sz) {
		free(data);
		if (sz)
			buf[0] = '\0';
		return -EOVERFLOW;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	free(data);
	return 0;
}

int host_read_u64(const struct host *h, const char *path, uint64_t *out)
{
	char buf[64];
	int rc = host_read_line(h, path, buf, sizeof(buf));
	if (rc)
		return rc;
	/* Decimal, or hex with 0x; never octal ("010" is ten). */
	return parse_u64(buf, out) ? 0 : -EINVAL;
}

int host_read_s64(const struct host *h, const char *path, int64_t *out)
{
	char buf[64];
	int rc = host_read_line(h, path, buf, sizeof(buf));
	if (rc)
		return rc;
	return parse_s64(buf, out) ? 0 : -EINVAL;
}

uint64_t host_attr_u64(const struct host *h, const char *dir, const char *name)
{
	char p[PATH_MAX];
	uint64_t v;
	return pathf(p, sizeof(p), "%s/%s", dir, name) && !host_read_u64(h, p, &v) ? v : NA_U64;
}

int64_t host_attr_s64(const struct host *h, const char *dir, const char *name)
{
	char p[PATH_MAX];
	int64_t v;
	return pathf(p, sizeof(p), "%s/%s", dir, name) && !host_read_s64(h, p, &v) ? v : NA_S64;
}

bool host_attr_str(const struct host *h, const char *dir, const char *name, char *buf,
		   size_t sz)
{
	char p[PATH_MAX];
	if (pathf(p, sizeof(p), "%s/%s", dir, name) && !host_read_line(h, p, buf, sz))
		return true;
	buf[0] = '\0';
	return false;
}

static enum rec_kind child_kind(int dfd, const char *name, char *target, size_t sz,
				size_t *tlen)
{
	struct stat st;
	*tlen = 0;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return REC_PLACEHOLDER;
	if (S_ISDIR(st.st_mode))
		return REC_DIR;
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlinkat(dfd, name, target, sz - 1);
		if (n >= 0) {
			target[n] = '\0';
			*tlen = (size_t)n;
			return REC_LINK;
		}
	}
	return REC_PLACEHOLDER;
}

int host_list(const struct host *h, const char *dir, struct strlist *out)
{
	char canon[PATH_MAX];
	strlist_init(out);
	snprintf(canon, sizeof(canon), "%s", dir);
	int fd = open_confined(h, dir, O_RDONLY | O_DIRECTORY, canon, sizeof(canon));
	if (fd < 0)
		return fd;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return -e;
	}
	record(h, REC_DIR, canon, NULL, 0);
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (strlist_add(out, de->d_name)) {
			rc = -ENOMEM;
			break;
		}
		if (h->rec) {
			char child[PATH_MAX * 2], target[PATH_MAX];
			size_t tlen;
			snprintf(child, sizeof(child), "%s/%s", strcmp(canon, "/") ? canon : "",
				 de->d_name);
			enum rec_kind k = child_kind(dirfd(d), de->d_name, target,
						     sizeof(target), &tlen);
			record(h, k, child, k == REC_LINK ? target : NULL, tlen);
		}
	}
	closedir(d);
	if (rc)
		strlist_free(out);
	else
		strlist_sort(out);
	return rc;
}

bool host_exists(const struct host *h, const char *path)
{
	char canon[PATH_MAX];
	return resolve(h, path, true, canon, sizeof(canon)) == 0;
}

bool host_is_dir(const struct host *h, const char *path)
{
	char canon[PATH_MAX];
	struct stat st;
	if (resolve(h, path, true, canon, sizeof(canon)))
		return false;
	return fstatat(h->rootfd, rel(canon), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode);
}

int host_write(const struct host *h, const char *path, const char *data)
{
	char canon[PATH_MAX];
	int fd = open_confined(h, path, O_WRONLY | O_TRUNC | O_NONBLOCK, canon, sizeof(canon));
	/* A FIFO without a reader: ENXIO from a non-blocking open. */
	if (fd == -ENXIO)
		return -ESPIPE;
	if (fd < 0)
		return fd;
	int kind = check_kind(h, fd, true);
	if (kind) {
		close(fd);
		return kind;
	}
	size_t len = strlen(data);
	ssize_t n = write(fd, data, len);
	int rc = n < 0 ? -errno : ((size_t)n == len ? 0 : -EIO);
	if (close(fd) < 0 && !rc)
		rc = -errno;
	return rc;
}

/* The parent of path resolved inside the root, and the last component. */
static int split_parent(const struct host *h, const char *path, char *parent, size_t psz,
			const char **name)
{
	const char *slash = strrchr(path, '/');
	if (!slash || !slash[1] || !strcmp(slash + 1, ".") || !strcmp(slash + 1, ".."))
		return -EINVAL;
	*name = slash + 1;
	char dir[PATH_MAX];
	copy_strn(dir, sizeof(dir), path, slash == path ? 1 : (size_t)(slash - path));
	return h->live ? (copy_str(parent, psz, dir), 0) : resolve(h, dir, true, parent, psz);
}

/* mkdir/rmdir go through the resolved parent so that a tree's links never
 * take them out of the root. */
static int dir_op(const struct host *h, const char *path, bool make)
{
	char parent[PATH_MAX], full[PATH_MAX * 2];
	const char *name;
	int rc = split_parent(h, path, parent, sizeof(parent), &name);
	if (rc)
		return rc;
	if (h->live) {
		snprintf(full, sizeof(full), "%s/%s", strcmp(parent, "/") ? parent : "", name);
		rc = make ? mkdir(full, 0755) : rmdir(full);
	} else {
		snprintf(full, sizeof(full), "%s/%s", rel(parent), name);
		rc = make ? mkdirat(h->rootfd, full, 0755) : unlinkat(h->rootfd, full, AT_REMOVEDIR);
	}
	return rc < 0 ? -errno : 0;
}

int host_mkdir(const struct host *h, const char *path)
{
	return dir_op(h, path, true);
}

int host_rmdir(const struct host *h, const char *path)
{
	return dir_op(h, path, false);
}

/* ---------- saving a recording ---------- */

/* The directories above path, made below dfd without following a link. */
static int parent_dirs(int dfd, const char *path)
{
	char parent[PATH_MAX * 2];
	snprintf(parent, sizeof(parent), "%s", path);
	pop_component(parent);
	return *parent ? sp_mkdirs_beneath(dfd, rel(parent), 0755) : 0;
}

/* An absolute link target would point out of the snapshot on the machine
 * that reads it: rewrite "/sys/x" seen from "/sys/class/net/l" as "../../../sys/x". */
static void relative_target(const char *link, const char *target, char *out, size_t sz)
{
	if (target[0] != '/') {
		snprintf(out, sz, "%s", target);
		return;
	}
	size_t len = 0;
	out[0] = '\0';
	for (const char *p = link + 1; *p; p++)
		if (*p == '/' && len + 3 < sz)
			len += (size_t)snprintf(out + len, sz - len, "../");
	snprintf(out + len, sz - len, "%s", target + 1);
}

/* One entry below dfd.  Nothing on the way is followed through a link
 * (not even one the snapshot itself holds), and files are created, never
 * opened through whatever might already be at their name. */
static int save_entry(int dfd, const struct rec_entry *e)
{
	int rc = e->kind == REC_DIR ? sp_mkdirs_beneath(dfd, rel(e->path), 0755)
				    : parent_dirs(dfd, e->path);
	if (rc || e->kind == REC_DIR)
		return rc;
	if (e->kind == REC_LINK) {
		char target[PATH_MAX * 2];
		relative_target(e->path, e->data, target, sizeof(target));
		rc = sp_symlink_beneath(dfd, rel(e->path), target);
		return rc == -EEXIST ? 0 : rc;
	}
	int fd = sp_open_beneath(dfd, rel(e->path), O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd == -EEXIST) {
		/* Placeholders never clobber content read elsewhere; a file read
		 * twice keeps what was read last (a regular file we made). */
		if (e->kind == REC_PLACEHOLDER)
			return 0;
		fd = sp_open_beneath(dfd, rel(e->path), O_WRONLY | O_TRUNC, 0);
	}
	if (fd < 0)
		return fd;
	rc = 0;
	if (e->data && e->len && write(fd, e->data, e->len) != (ssize_t)e->len)
		rc = -EIO;
	if (close(fd) && !rc)
		rc = -errno;
	return rc;
}

/* Order: dirs and links first, then content, then placeholders last so they
 * never stand in for a file that was read. */
static int save_rank(enum rec_kind k)
{
	switch (k) {
	case REC_DIR: return 0;
	case REC_LINK: return 1;
	case REC_FILE: return 2;
	default: return 3;
	}
}

int host_record_save_at(const struct host *h, int dirfd, const char **failed)
{
	if (!h->rec)
		return -EINVAL;
	int rc = 0;
	for (int rank = 0; rank <= 3 && !rc; rank++) {
		for (size_t i = 0; i < h->rec->n && !rc; i++) {
			const struct rec_entry *e = &h->rec->v[i];
			if (save_rank(e->kind) != rank)
				continue;
			rc = save_entry(dirfd, e);
			if (rc && failed)
				*failed = e->path;
		}
	}
	return rc;
}

int host_record_save(const struct host *h, const char *dir, const char **failed)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	int rc = host_record_save_at(h, dfd, failed);
	close(dfd);
	return rc;
}
