/* inspect/target: an agent named by unit or cgroup (target.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/errmsg.h"
#include "base/util.h"
#include "inspect/cgroup.h"
#include "inspect/target.h"

#define SEARCH_DEPTH 4          /* slices nest: -.slice/a.slice/a-b.slice/x.service */

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && !strcmp(s + n - m, suf);
}

bool target_unit_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n >= TARGET_UNIT_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr(":_.-@\\", *p)))
			return false;
	return has_suffix(s, ".service") || has_suffix(s, ".scope") || has_suffix(s, ".slice");
}

/* A path inside a hierarchy: "/" or "/a/b", no "." or ".." component, no //. */
static bool rel_ok(const char *p)
{
	if (p[0] != '/' || strlen(p) >= TARGET_PATH_MAX)
		return false;
	if (!p[1])
		return true;
	for (const char *c = p + 1;;) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!c[n])
			return true;
		c += n + 1;
	}
}

/* The unit a cgroup path is: its last component when named like one. */
static void unit_of_rel(const char *rel, char *unit, size_t sz)
{
	const char *last = strrchr(rel, '/');

	last = last ? last + 1 : rel;
	copy_str(unit, sz, target_unit_name_ok(last) && !has_suffix(last, ".slice") ? last : "");
}

static int fill(const struct target *in, struct target *t, const char *mount, const char *rel,
		const char *via)
{
	*t = *in;
	copy_str(t->rel, sizeof(t->rel), rel);
	if (!pathf(t->dir, sizeof(t->dir), "%s%s", mount, strcmp(rel, "/") ? rel : ""))
		return -ENAMETOOLONG;
	copy_str(t->via, sizeof(t->via), via);
	return 0;
}

/* The hierarchies a unit's cgroup is looked for in: v2, then name=systemd. */
struct hiers {
	const char *mount[4];
	const char *via[4];
	size_t n;
};

static void systemd_hiers(const struct cgroup_info *ci, struct hiers *hs, bool v1_ctrls)
{
	hs->n = 0;
	if (ci->v2_mount[0]) {
		hs->mount[hs->n] = ci->v2_mount;
		hs->via[hs->n++] = "cgroup v2";
	}
	if (ci->systemd_mount[0]) {
		hs->mount[hs->n] = ci->systemd_mount;
		hs->via[hs->n++] = "name=systemd";
	}
	for (size_t i = 0; v1_ctrls && i < ci->n && hs->n < 4; i++) {
		if (ci->ctrl[i].on_v2 || !ci->ctrl[i].mount[0])
			continue;
		if (!strcmp(ci->ctrl[i].name, "cpu")) {
			hs->mount[hs->n] = ci->ctrl[i].mount;
			hs->via[hs->n++] = "cgroup v1 cpu";
		} else if (!strcmp(ci->ctrl[i].name, "cpuset")) {
			hs->mount[hs->n] = ci->ctrl[i].mount;
			hs->via[hs->n++] = "cgroup v1 cpuset";
		}
	}
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice" (systemd's slice
 * nesting); "-.slice" is the root. */
static bool slice_rel(const char *name, char *out, size_t sz)
{
	size_t len = strlen(name) - strlen(".slice"), at = 0;

	if (!strcmp(name, "-.slice")) {
		copy_str(out, sz, "/");
		return true;
	}
	out[0] = '\0';
	for (size_t i = 0; i <= len; i++) {
		if (i < len && name[i] != '-')
			continue;
		int n = snprintf(out + at, sz - at, "/%.*s.slice", (int)i, name);

		if (n < 0 || (size_t)n >= sz - at)
			return false;
		at += (size_t)n;
	}
	return true;
}

/* Depth-first search of dir for a directory called name; the path found
 * (relative to mount) into rel. */
static bool search(const struct host *h, const char *mount, const char *rel, const char *name,
		   int depth, char *out, size_t sz)
{
	struct strlist l;
	char dir[TARGET_PATH_MAX + 256], sub[TARGET_PATH_MAX];
	bool found = false;

	if (!pathf(dir, sizeof(dir), "%s%s", mount, rel))
		return false;
	strlist_init(&l);
	if (host_list(h, dir, &l))
		return false;
	for (size_t i = 0; i < l.n && !found; i++) {
		const char *e = l.v[i];

		/* Only what can hold a unit: slices, and the unit itself. */
		if (strcmp(e, name) && !has_suffix(e, ".slice"))
			continue;
		if (!pathf(sub, sizeof(sub), "%s/%s", rel, e))
			continue;
		if (!pathf(dir, sizeof(dir), "%s%s", mount, sub) || !host_is_dir(h, dir))
			continue;
		if (!strcmp(e, name)) {
			copy_str(out, sz, sub);
			found = true;
		} else if (depth > 1) {
			found = search(h, mount, sub, name, depth - 1, out, sz);
		}
	}
	strlist_free(&l);
	return found;
}

/* Runs systemctl show -p ControlGroup --value NAME; the path into out. */
static int ask_systemd(const char *name, char *out, size_t sz)
{
	int fd[2];
	pid_t pid;
	ssize_t n;
	size_t got = 0;
	int status;

	if (pipe2(fd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return -EAGAIN;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(fd[1], 1);
		if (null >= 0)
			dup2(null, 2);
		execlp("systemctl", "systemctl", "show", "-p", "ControlGroup", "--value", "--",
		       name, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	while (got + 1 < sz && (n = read(fd[0], out + got, sz - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	out[strcspn(out, "\n")] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status) || !out[0])
		return -ENOENT;
	return 0;
}

static bool systemd_is_pid1(const struct host *h)
{
	char comm[32];

	return h->live && !host_read_line(h, "/proc/1/comm", comm, sizeof(comm)) &&
	       !strcmp(comm, "systemd");
}

/* The hierarchy directory of a path inside it, the first hierarchy that has it. */
static int locate_rel(const struct host *h, const struct hiers *hs, const char *rel,
		      struct target *t, const char *via_override)
{
	char dir[TARGET_PATH_MAX + 256];
	struct target in = *t;

	for (size_t i = 0; i < hs->n; i++) {
		if (!pathf(dir, sizeof(dir), "%s%s", hs->mount[i], strcmp(rel, "/") ? rel : ""))
			continue;
		if (host_is_dir(h, dir))
			return fill(&in, t, hs->mount[i], rel, via_override ? via_override : hs->via[i]);
	}
	return -ENOENT;
}

int target_unit(const struct host *h, const char *name, struct target *t, char *why,
		size_t sz)
{
	struct cgroup_info ci;
	struct hiers hs;
	char unit[TARGET_UNIT_MAX + 16], rel[TARGET_PATH_MAX];
	int rc = -ENOENT;

	memset(t, 0, sizeof(*t));
	t->kind = TARGET_UNIT;
	/* systemctl's rule: a name without a type is a service. */
	if (name && !strchr(name, '.') && strlen(name) + 8 < TARGET_UNIT_MAX)
		snprintf(unit, sizeof(unit), "%s.service", name);
	else
		copy_str(unit, sizeof(unit), name ? name : "");
	if (!target_unit_name_ok(unit))
		return errmsg(why, sz, -EINVAL,
			      "'%s' is not a unit name with a cgroup (NAME.service, .scope or "
			      ".slice; letters, digits and :_.-@)", name ? name : "");
	copy_str(t->unit, sizeof(t->unit), unit);
	if (cgroup_read(h, &ci))
		return errmsg(why, sz, -ENOMEM, "out of memory");
	systemd_hiers(&ci, &hs, false);
	if (!hs.n) {
		cgroup_info_free(&ci);
		return errmsg(why, sz, -ENOENT, "unit %s: no cgroup v2 or name=systemd hierarchy "
			      "mounted (read from /proc/mounts)", unit);
	}
	if (systemd_is_pid1(h) && !ask_systemd(unit, rel, sizeof(rel)) && rel_ok(rel))
		rc = locate_rel(h, &hs, rel, t, "systemctl");
	if (rc && has_suffix(unit, ".slice") && slice_rel(unit, rel, sizeof(rel)))
		rc = locate_rel(h, &hs, rel, t, NULL);
	if (rc && !has_suffix(unit, ".slice") &&
	    pathf(rel, sizeof(rel), "/system.slice/%s", unit))
		rc = locate_rel(h, &hs, rel, t, NULL);
	for (size_t i = 0; rc && i < hs.n; i++)
		if (search(h, hs.mount[i], "", unit, SEARCH_DEPTH, rel, sizeof(rel)))
			rc = locate_rel(h, &hs, rel, t, NULL);
	if (rc)
		errmsg(why, sz, rc, "unit %s: no cgroup found (looked for %s/system.slice/%s "
		       "and the slices below %s%s%s): is it running?", unit, hs.mount[0], unit,
		       hs.mount[0], hs.n > 1 ? " and " : "", hs.n > 1 ? hs.mount[1] : "");
	cgroup_info_free(&ci);
	return rc;
}

/* Which mount a path under /sys/fs/cgroup lies in: the longest that prefixes it. */
static const char *mount_of(const struct hiers *hs, const char *path, const char **via)
{
	const char *best = NULL;

	for (size_t i = 0; i < hs->n; i++) {
		size_t n = strlen(hs->mount[i]);

		if (!strncmp(path, hs->mount[i], n) && (path[n] == '/' || !path[n]) &&
		    (!best || n > strlen(best))) {
			best = hs->mount[i];
			*via = hs->via[i];
		}
	}
	return best;
}

int target_cgroup(const struct host *h, const char *path, struct target *t, char *why,
		  size_t sz)
{
	struct cgroup_info ci;
	struct hiers hs;
	const char *mount, *via = NULL;
	int rc;

	memset(t, 0, sizeof(*t));
	t->kind = TARGET_CGROUP;
	if (!path || !rel_ok(path))
		return errmsg(why, sz, -EINVAL,
			      "--cgroup '%s': not an absolute path without '.', '..' or '//'",
			      path ? path : "");
	if (cgroup_read(h, &ci))
		return errmsg(why, sz, -ENOMEM, "out of memory");
	systemd_hiers(&ci, &hs, true);
	mount = mount_of(&hs, path, &via);
	if (mount) {
		const char *rel = path[strlen(mount)] ? path + strlen(mount) : "/";

		rc = host_is_dir(h, path) ? fill(t, t, mount, rel, via) : -ENOENT;
	} else {
		rc = locate_rel(h, &hs, path, t, NULL);
	}
	if (!rc) {
		char procs[TARGET_PATH_MAX + 300];

		if (pathf(procs, sizeof(procs), "%s/cgroup.procs", t->dir) && !host_exists(h, procs))
			rc = errmsg(why, sz, -EINVAL, "--cgroup %s: %s is not a cgroup (no "
				    "cgroup.procs)", path, t->dir);
		else
			unit_of_rel(t->rel, t->unit, sizeof(t->unit));
	} else {
		errmsg(why, sz, rc, "--cgroup %s: no such cgroup (looked in %s%s%s)", path,
		       mount ? mount : hs.n ? hs.mount[0] : "/sys/fs/cgroup",
		       !mount && hs.n > 1 ? " and the other hierarchies" : "", "");
	}
	cgroup_info_free(&ci);
	return rc;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int target_pids(const struct host *h, const struct target *t, int **pids, size_t *n)
{
	char path[sizeof(t->dir) + 16], *text, *save = NULL;
	size_t cap = 0;

	*pids = NULL;
	*n = 0;
	if (!pathf(path, sizeof(path), "%s/cgroup.procs", t->dir))
		return -ENAMETOOLONG;
	if (!(text = host_read(h, path, NULL)))
		return -errno;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int64_t v;
		int *nv;

		if (!parse_s64(line, &v) || v <= 0 || v > INT32_MAX)
			continue;
		if (!(nv = grow(*pids, *n, &cap, sizeof(int), 16))) {
			free(text);
			free(*pids);
			*pids = NULL;
			*n = 0;
			return -ENOMEM;
		}
		*pids = nv;
		(*pids)[(*n)++] = (int)v;
	}
	free(text);
	if (*n)
		qsort(*pids, *n, sizeof(int), cmp_int);
	return 0;
}

/* The unit in one cgroup path: its deepest *.service / *.scope component. */
static bool unit_in_path(const char *path, char *unit, size_t usz, char *rel, size_t rsz)
{
	const char *c = path, *best_end = NULL, *best = NULL;

	while (*c == '/') {
		const char *s = c + 1;
		size_t n = strcspn(s, "/");
		char comp[TARGET_UNIT_MAX];

		if (n == 0 || n >= sizeof(comp))
			break;
		copy_strn(comp, sizeof(comp), s, n);
		if (target_unit_name_ok(comp) && !has_suffix(comp, ".slice")) {
			best = s;
			best_end = s + n;
		}
		c = s + n;
	}
	if (!best)
		return false;
	copy_strn(unit, usz, best, (size_t)(best_end - best));
	copy_strn(rel, rsz, path, (size_t)(best_end - path));
	return true;
}

int target_pid_unit(const struct host *h, int pid, char *unit, size_t usz, char *rel,
		    size_t rsz)
{
	char path[64], *text, *save = NULL;
	char v2[TARGET_PATH_MAX] = "", named[TARGET_PATH_MAX] = "";

	unit[0] = rel[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (!(text = host_read(h, path, NULL)))
		return -errno;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;

		if (!b)
			continue;
		if (!strncmp(line, "0::", 3))
			copy_str(v2, sizeof(v2), b + 1);
		else if (!strncmp(a + 1, "name=systemd:", 13))
			copy_str(named, sizeof(named), b + 1);
	}
	free(text);
	if (unit_in_path(v2, unit, usz, rel, rsz) || unit_in_path(named, unit, usz, rel, rsz))
		return 1;
	return 0;
}

const char *target_label(const struct target *t, char *buf, size_t sz)
{
	if (t->kind == TARGET_UNIT)
		snprintf(buf, sz, "unit %s", t->unit);
	else
		snprintf(buf, sz, "cgroup %s", t->rel);
	return buf;
}
