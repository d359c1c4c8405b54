/* Shared helpers for the cmocka unit tests. */
#ifndef AGENTUNE_TESTUTIL_H
#define AGENTUNE_TESTUTIL_H

#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
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

/* Room for any path the kernel takes (PATH_MAX) and what a test joins to
 * it.  Paths are built with tpathf, which fails the test instead of cutting
 * one: nothing here depends on how long the checkout's path is. */
#define TEST_PATH (PATH_MAX + 512)
/* An expected message that names a path or two. */
#define TEST_MSG (2 * TEST_PATH + 1024)
#define tpathf(buf, ...) tpathf_((buf), sizeof(buf), __VA_ARGS__)

__attribute__((format(printf, 3, 4))) static inline void tpathf_(char *buf, size_t sz,
								  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sz)
		fail_msg("path longer than %zu bytes: %s...", sz, buf);
}

/* A malloc'd string; fails the test when there is no memory. */
__attribute__((format(printf, 1, 2))) static inline char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		fail_msg("out of memory");
	return s;
}

/* ---------- premises ----------
 *
 * A test whose premise is a capability of the machine it runs on checks it
 * with one of the need_* functions below, which skip the test and say why
 * when the premise does not hold.  The reason goes to stderr and, as a TAP
 * comment just before cmocka's "# SKIP" line, to stdout, where
 * tests/run-tests.sh finds it and lists it with the test. */
#define skip_because(...)                                                           \
	do {                                                                        \
		skip_reason(__VA_ARGS__);                                           \
		skip();                                                             \
		__builtin_unreachable(); /* skip() jumps out of the test */        \
	} while (0)

__attribute__((format(printf, 1, 2))) static inline void skip_reason(const char *fmt, ...)
{
	char why[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "SKIP: %s\n", why);
	printf("# SKIP: %s\n", why);
	fflush(stdout);
}

static inline int shared_available(void)
{
	struct stat st;
	return stat(SHARED_HOSTS, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The real captures in ../shared/fixtures/hosts beside the checkout. */
static inline void need_shared(void)
{
	if (!shared_available())
		skip_because("%s not found (the captures beside the checkout)", SHARED_HOSTS);
}

/* Root: for writing the live machine's settings, and for what only root
 * may do (what is named in for_what). */
static inline void need_root(const char *for_what)
{
	if (geteuid() != 0)
		skip_because("needs root (%s)", for_what);
}

/* Loading the BPF programs: root and the kernel's BTF. */
static inline void need_bpf(void)
{
	struct stat st;
	need_root("loading BPF: CAP_BPF, CAP_PERFMON");
	if (stat("/sys/kernel/btf/vmlinux", &st))
		skip_because("kernel has no BTF (/sys/kernel/btf/vmlinux)");
}

/* The first line of a small file, trailing white space cut; false when it
 * cannot be read. */
static inline bool read_first_line(const char *path, char *buf, size_t sz)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		return false;
	bool ok = fgets(buf, (int)sz, fp) != NULL;
	fclose(fp);
	if (!ok)
		return false;
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	return true;
}

/* A cpuidle driver with per-CPU idle states (cpuN/cpuidle/), read here
 * rather than through the library's reader. */
static inline void need_cpuidle(void)
{
	char drv[128] = "";
	struct stat st;
	if (!read_first_line("/sys/devices/system/cpu/cpuidle/current_driver", drv, sizeof(drv)))
		skip_because("no cpuidle in sysfs (/sys/devices/system/cpu/cpuidle/current_driver)");
	if (!drv[0] || !strcmp(drv, "none"))
		skip_because("no cpuidle driver (current_driver: %s): idle is the architecture's "
			     "default, with no idle states", drv[0] ? drv : "empty");
	if (stat("/sys/devices/system/cpu/cpu0/cpuidle", &st) || !S_ISDIR(st.st_mode))
		skip_because("cpuidle driver %s but no /sys/devices/system/cpu/cpu0/cpuidle", drv);
}

/* /proc/interrupts with a local timer row "LOC:" (x86; arm64 names its
 * timer IRQ otherwise), read here rather than through the library. */
static inline void need_loc_row(void)
{
	FILE *fp = fopen("/proc/interrupts", "r");
	char line[512];
	bool loc = false;
	if (!fp)
		skip_because("/proc/interrupts cannot be read: %s", strerror(errno));
	while (!loc && fgets(line, sizeof(line), fp)) {
		const char *s = line + strspn(line, " ");
		loc = !strncmp(s, "LOC:", 4);
		/* a long line: skip the rest of it */
		while (!strchr(line, '\n') && fgets(line, sizeof(line), fp))
			;
	}
	fclose(fp);
	if (!loc)
		skip_because("no local timer row (LOC) in /proc/interrupts: not an x86 machine");
}

/* CPU cpu's per-CPU PM QoS file (pm_qos_resume_latency_us), writable. */
static inline void need_pmqos(unsigned cpu)
{
	char p[128];
	snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%u/power/pm_qos_resume_latency_us", cpu);
	if (access(p, F_OK))
		skip_because("no %s", p);
	if (access(p, W_OK))
		skip_because("%s is not writable here", p);
}

/* Where this machine mounts a hierarchy, from /proc/self/mountinfo (read
 * here, not through the library's cgroup reader): the cgroup v1 hierarchy
 * that holds controller ctrl, or with ctrl NULL the cgroup2 one.  false
 * when there is none. */
static inline bool cgroup_mount_of(const char *ctrl, char *mount, size_t sz)
{
	FILE *fp = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	bool found = false;
	if (!fp)
		return false;
	while (!found && fgets(line, sizeof(line), fp)) {
		/* id parent maj:min root mount opts [optional...] - fstype source superopts */
		char *sep = strstr(line, " - ");
		if (!sep)
			continue;
		char fstype[64] = "", src[256] = "", super[1024] = "", mnt[2048] = "";
		if (sscanf(sep + 3, "%63s %255s %1023s", fstype, src, super) < 2 ||
		    sscanf(line, "%*s %*s %*s %*s %2047s", mnt) != 1)
			continue;
		if (!ctrl) {
			found = !strcmp(fstype, "cgroup2");
		} else if (!strcmp(fstype, "cgroup")) {
			for (char *save = NULL, *o = strtok_r(super, ",", &save); o && !found;
			     o = strtok_r(NULL, ",", &save))
				found = !strcmp(o, ctrl);
		}
		if (found)
			snprintf(mount, sz, "%s", mnt); /* mount points here have no escapes */
	}
	fclose(fp);
	return found;
}

/* A cgroup v1 hierarchy with controller ctrl: its mount point into mount. */
static inline void need_cgroup_v1(const char *ctrl, char *mount, size_t sz)
{
	if (!cgroup_mount_of(ctrl, mount, sz))
		skip_because("no cgroup v1 hierarchy with the %s controller", ctrl);
}

/* A cgroup2 hierarchy (unified, or beside v1 ones): its mount point. */
static inline void need_cgroup_v2(char *mount, size_t sz)
{
	if (!cgroup_mount_of(NULL, mount, sz))
		skip_because("no cgroup2 hierarchy mounted");
}

/* A network interface backed by a PCI function (the real path of its
 * `device` link runs through a PCI address: the function itself, or a
 * virtio device below it), read from sysfs here: its name and the PCI
 * address nearest to it.  eth0 first, then the others in directory order. */
static inline bool pci_nic_find(char *ifname, size_t isz, char *bdf, size_t bsz)
{
	DIR *d = opendir("/sys/class/net");
	char names[64][64];
	size_t n = 0;
	if (!d)
		return false;
	for (struct dirent *e; (e = readdir(d)) && n < 64;)
		if (e->d_name[0] != '.')
			snprintf(names[n++], sizeof(names[0]), "%s", e->d_name);
	closedir(d);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			if ((pass == 0) != !strcmp(names[i], "eth0"))
				continue;
			char link[128], real[PATH_MAX], found[64] = "";
			snprintf(link, sizeof(link), "/sys/class/net/%s/device", names[i]);
			if (!realpath(link, real))
				continue;
			for (char *save = NULL, *c = strtok_r(real, "/", &save); c;
			     c = strtok_r(NULL, "/", &save)) {
				unsigned dom, bus, dev, fn;
				char tail;
				if (sscanf(c, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) == 4)
					snprintf(found, sizeof(found), "%s", c);
			}
			if (!found[0])
				continue;
			snprintf(ifname, isz, "%s", names[i]);
			snprintf(bdf, bsz, "%s", found);
			return true;
		}
	return false;
}

static inline void need_pci_nic(char *ifname, size_t isz, char *bdf, size_t bsz)
{
	if (!pci_nic_find(ifname, isz, bdf, bsz))
		skip_because("no network interface backed by a PCI function (/sys/class/net/*/device)");
}

/* The MSI-X vectors of PCI function bdf, from its msi_irqs directory (a file
 * per IRQ holding its mode), sorted; how many into *n. */
static inline void need_msix(const char *bdf, unsigned *irq, size_t max, size_t *n)
{
	char dir[128];
	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/msi_irqs", bdf);
	DIR *d = opendir(dir);
	*n = 0;
	if (!d)
		skip_because("PCI function %s has no MSI or MSI-X vectors (%s)", bdf, dir);
	for (struct dirent *e; (e = readdir(d));) {
		char p[512], mode[16];
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (!read_first_line(p, mode, sizeof(mode)) || strcmp(mode, "msix") || *n == max)
			continue;
		irq[(*n)++] = (unsigned)strtoul(e->d_name, NULL, 10);
	}
	closedir(d);
	for (size_t i = 1; i < *n; i++)
		for (size_t j = i; j > 0 && irq[j - 1] > irq[j]; j--) {
			unsigned t = irq[j];
			irq[j] = irq[j - 1];
			irq[j - 1] = t;
		}
	if (!*n)
		skip_because("PCI function %s has no MSI-X vector", bdf);
}

/* Opens a host on the named shared capture; skips the test if ../shared is absent. */
#define OPEN_SHARED(h, name)                                                        \
	do {                                                                        \
		need_shared();                                                      \
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
		char *p = xasprintf("%s/%s", SHARED_HOSTS, out->v[i]);
		struct stat st;
		bool dir = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
		free(p);
		if (!dir) {
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
 * list (it.names.n is there until then).  Call shared_first before anything
 * the test allocates: it may skip the test. */
struct shared_iter {
	struct strlist names;
	size_t i;
	const char *name;
	char *root;
	struct host h;
	bool open;
};

static inline void shared_first(struct shared_iter *it)
{
	need_shared();
	strlist_init(&it->names);
	assert_int_equal(shared_hosts(NULL, &it->names), 0);
	it->i = 0;
	it->open = false;
	it->root = NULL;
}

static inline bool shared_next(struct shared_iter *it)
{
	if (it->open)
		host_close(&it->h);
	it->open = false;
	free(it->root);
	it->root = NULL;
	if (it->i == it->names.n) {
		strlist_free(&it->names);
		return false;
	}
	it->name = it->names.v[it->i++];
	it->root = xasprintf("%s/%s", SHARED_HOSTS, it->name);
	assert_int_equal(host_open(&it->h, it->root), 0);
	it->open = true;
	return true;
}

/* ---------- scratch trees, for layouts no capture has ---------- */

/* Where scratch trees go: $TMPDIR, as mktemp(1) does, else /tmp. */
static inline const char *test_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	return t && t[0] == '/' ? t : "/tmp";
}

/* A new empty directory DIR/agentune-<tag>-XXXXXX; tree_free removes it. */
static inline char *tree_new_in(const char *dir, const char *tag)
{
	char *root = xasprintf("%s/agentune-%s-XXXXXX", dir, tag);
	if (!mkdtemp(root))
		fail_msg("mkdtemp %s: %s", root, strerror(errno));
	return root;
}

/* A new empty scratch directory under test_tmpdir(). */
static inline char *tree_new(const char *tag)
{
	return tree_new_in(test_tmpdir(), tag);
}

/* root/rel, malloc'd, with the directories above it made. */
static inline char *tree_path(const char *root, const char *rel)
{
	char *p = xasprintf("%s/%s", root, rel);
	for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	return p;
}

/* mkdir -p root/rel */
static inline void tree_dir(const char *root, const char *rel)
{
	char *p = tree_path(root, rel);
	int rc = mkdir(p, 0755) == 0 || errno == EEXIST;
	free(p);
	assert_true(rc);
}

/* A file root/rel of len bytes (NULs and all). */
static inline void tree_put_n(const char *root, const char *rel, const void *data, size_t len)
{
	char *p = tree_path(root, rel);
	FILE *f = fopen(p, "w");
	free(p);
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
	char *p = tree_path(root, rel);
	int rc = symlink(target, p);
	free(p);
	assert_int_equal(rc, 0);
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
		char *root = xasprintf("%s/bad/%s", FIXTURES, cases[i].tree);
		struct host h;
		assert_int_equal(host_open(&h, root), 0);
		free(root);
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
	char *p = xasprintf("%s/window.pid", rundir);
	FILE *fp = fopen(p, "w");
	free(p);
	assert_non_null(fp);
	fprintf(fp, "%d %llu\n", (int)child, start);
	fclose(fp);
	return child;
}

/* A /proc/PID/stat line of process pid started at start (field 22). */
#define STAT_LINE(pid, start) \
	#pid " (agent) S 1 1 1 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 " #start " 0 0\n"

#endif
