/* tune/knob_cgroup: cgroup directories, attributes and membership, with
 * libcgroup where it acts without side effects (knob_cgroup.h).
 *
 * libcgroup (2.0.2 here), as read in its source and checked live on a
 * hybrid host (v1 controllers at /sys/fs/cgroup/<ctrl>, cgroup2 at
 * /sys/fs/cgroup/unified):
 *  - cgroup_init() maps every controller name to the first mount naming
 *    it: v1 mounts by their options, the cgroup2 mount by the controllers in
 *    its cgroup.controllers.  A hierarchy is reachable only through a
 *    controller: a v1 name=systemd hierarchy, or a cgroup2 mount whose
 *    cgroup.controllers is empty, cannot be named at all.
 *  - cgroup_create_cgroup() on a cgroup2 controller first writes "+ctrl" to
 *    cgroup.subtree_control of every directory from the mount down to the
 *    parent, and cgroup_delete_cgroup() never takes it back: creating
 *    /sys/fs/cgroup/unified/x through "hugetlb" left hugetlb enabled for the
 *    whole unified tree.  That is a change the journal would not know about,
 *    so on cgroup2 libcgroup is only used with controllers the parent has
 *    already enabled (the "+ctrl" writes are then no-ops); with none, the
 *    directory is made with host_mkdir, which is all the kernel sees anyway.
 *  - cgroup_change_cgroup_path() writes the pid and then each thread id to
 *    the v1 "tasks" file (cgroup.procs on cgroup2); a thread created during
 *    that walk by a thread not yet moved stays behind, so after it every
 *    thread is checked and, if one was missed, the pid is written to
 *    cgroup.procs, which moves the whole thread group at once.
 *  - libcgroup only knows the live mount table, so under any other root the
 *    plain host operations are used.
 * Its cgroup_create_cgroup() makes directories with mode 0775 (less the
 * umask) where host_mkdir uses 0755.
 */
#include "tune/knob_cgroup.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libcgroup.h>

#include "base/errmsg.h"
#include "base/util.h"
#include "inspect/cgroup.h"
#include "inspect/procstat.h"

#define CG_ROOT "/sys/fs/cgroup"
#define MAX_CTRLS 16

static const char *const cg_attrs[] = { "cpu.weight",        "cpu.max",
					"cpu.uclamp.min",    "cpu.shares",
					"cpu.cfs_quota_us",  "cpu.cfs_period_us",
					"cpuset.cpus",       "cpuset.mems",
					"cpuset.cpu_exclusive" };

bool knob_cgroup_attr_allowed(const char *file)
{
	for (size_t i = 0; file && i < ARRAY_SIZE(cg_attrs); i++)
		if (!strcmp(file, cg_attrs[i]))
			return true;
	return false;
}

/* ---------- syntax ---------- */

/* A path under /sys/fs/cgroup without any way out of it; root_ok lets the
 * mount point /sys/fs/cgroup itself through (cgroup2 mounted there). */
static bool cg_path_ok(const char *p, bool root_ok, char *why, size_t sz)
{
	if (strlen(p) >= KNOB_TARGET_MAX || knob_has_space(p)) {
		errmsg(why, sz, 0, "cgroup path \"%.64s\" is too long or holds white space", p);
		return false;
	}
	if (root_ok && !strcmp(p, CG_ROOT))
		return true;
	if (strncmp(p, CG_ROOT "/", sizeof(CG_ROOT)) || !knob_components_ok(p + sizeof(CG_ROOT))) {
		errmsg(why, sz, 0,
		     "cgroup path \"%s\" must be a plain path under " CG_ROOT
		     "/ (no //, ., .. or trailing /)",
		     p);
		return false;
	}
	return true;
}

/* A path inside a hierarchy, as /proc/PID/cgroup prints it: "/" or "/a/b". */
static bool cg_rel_ok(const char *p)
{
	return p[0] == '/' && strlen(p) < KNOB_VAL_MAX && !knob_has_space(p) &&
	       (!p[1] || knob_components_ok(p + 1));
}

/* "1234@98765:/sys/fs/cgroup/cpu" -> pid, start time and mount;
 * "1234:/sys/fs/cgroup/cpu" (no start time) -> *start 0. */
static bool procs_split(const char *t, int *pid, uint64_t *start, char *mount, size_t sz)
{
	char num[48];
	const char *c = strchr(t, ':');
	uint64_t v, s = 0;
	if (!c || (size_t)(c - t) >= sizeof(num))
		return false;
	copy_strn(num, sizeof(num), t, (size_t)(c - t));
	char *at = strchr(num, '@');
	if (at) {
		*at = '\0';
		if (!knob_dec_ok(at + 1, INT64_MAX, &s) || s == 0)
			return false;
	}
	if (!knob_dec_ok(num, INT_MAX, &v) || v == 0)
		return false;
	*pid = (int)v;
	*start = s;
	copy_str(mount, sz, c + 1);
	return true;
}

bool knob_procs_has_start(const char *target)
{
	const char *c = strchr(target, ':');
	const char *at = strchr(target, '@');
	return at && c && at < c;
}

int knob_pid_start(const struct host *h, int pid, uint64_t *start)
{
	char path[64];
	size_t len = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	char *buf = host_read(h, path, &len);
	if (!buf)
		return errno == ENOENT || errno == ESRCH ? -ENOENT : -errno;
	struct task_stat ts;
	int rc = task_stat_parse(buf, len, &ts);
	free(buf);
	if (rc || !ts.starttime)
		return -EINVAL;
	if (ts.state == 'Z' || ts.state == 'X')
		return -ENOENT;
	*start = ts.starttime;
	return 0;
}

/* Whether the pid of a target is still the process it names: 0, or
 * -ENOENT when it is gone or the pid names a process started at another
 * time (why says so). */
static int same_process(const struct host *h, int pid, uint64_t start, char *why, size_t sz)
{
	uint64_t now = 0;
	if (!start)
		return 0; /* unknown: as recorded by an older agentune */
	int rc = knob_pid_start(h, pid, &now);
	if (rc == -ENOENT)
		return errmsg(why, sz, -ENOENT, "process %d no longer exists", pid);
	if (rc)
		return errmsg(why, sz, rc, "/proc/%d/stat: %s", pid, strerror(-rc));
	if (now != start)
		return errmsg(why, sz, -ENOENT,
			      "process %d no longer exists: pid %d now names another process "
			      "(started at %" PRIu64 ", not %" PRIu64 "); left alone",
			      pid, pid, now, start);
	return 0;
}

/* cpu.max: "max PERIOD" or "QUOTA PERIOD". */
static bool cpu_max_ok(const char *v)
{
	char a[32], b[32], extra;
	uint64_t q, p;
	if (strchr(v, '\t') || sscanf(v, "%31s %31s %c", a, b, &extra) != 2)
		return false;
	return (!strcmp(a, "max") || (knob_dec_ok(a, INT64_MAX, &q) && q)) && knob_dec_ok(b, UINT32_MAX, &p) &&
	       p;
}

/* cpu.uclamp.min: "max" or a percentage with at most two decimals, in
 * hundredths of a percent. */
static bool percent_parse(const char *v, uint64_t *out)
{
	if (!strcmp(v, "max")) {
		*out = 10000;
		return true;
	}
	char ip[8] = "";
	const char *dot = strchr(v, '.');
	size_t n = dot ? (size_t)(dot - v) : strlen(v);
	if (n == 0 || n >= sizeof(ip))
		return false;
	copy_strn(ip, sizeof(ip), v, n);
	uint64_t whole, frac = 0;
	if (strspn(ip, "0123456789") != n)
		return false;
	whole = strtoull(ip, NULL, 10);
	if (dot) {
		size_t fn = strlen(dot + 1);
		if (fn < 1 || fn > 2 || strspn(dot + 1, "0123456789") != fn)
			return false;
		frac = strtoull(dot + 1, NULL, 10) * (fn == 1 ? 10 : 1);
	}
	if (whole > 100 || (whole == 100 && frac))
		return false;
	*out = whole * 100 + frac;
	return true;
}

static bool attr_value_ok(const char *file, const char *v)
{
	uint64_t x;
	if (!strcmp(file, "cpu.weight"))
		return knob_dec_ok(v, 10000, &x) && x >= 1;
	if (!strcmp(file, "cpu.shares"))
		return knob_dec_ok(v, 262144, &x) && x >= 2;
	if (!strcmp(file, "cpu.cfs_quota_us"))
		return !strcmp(v, "-1") || (knob_dec_ok(v, INT64_MAX, &x) && x);
	if (!strcmp(file, "cpu.cfs_period_us"))
		return knob_dec_ok(v, 1000000, &x) && x >= 1000;
	if (!strcmp(file, "cpu.max"))
		return cpu_max_ok(v);
	if (!strcmp(file, "cpu.uclamp.min"))
		return percent_parse(v, &x);
	if (!strcmp(file, "cpuset.cpus") || !strcmp(file, "cpuset.mems"))
		return knob_cpulist_ok(v, true);
	if (!strcmp(file, "cpuset.cpu_exclusive"))
		return !strcmp(v, "0") || !strcmp(v, "1");
	return false;
}

/* "QUOTA PERIOD" fields; *parsed false unless both are two fields. */
static bool same_two_fields(const char *a, const char *b, bool *parsed)
{
	char a1[64], a2[64], b1[64], b2[64], extra;
	*parsed = sscanf(a, "%63s %63s %c", a1, a2, &extra) == 2 &&
		  sscanf(b, "%63s %63s %c", b1, b2, &extra) == 2;
	return *parsed && knob_same_number(a1, b1) && knob_same_number(a2, b2);
}

/* knob_same has no target, so a cgroup attribute's kind is told by the
 * shape of its values: numbers (cpu.weight, cpu.shares, cfs_*), percentages
 * (uclamp: "max" is 100), two fields (cpu.max), CPU lists (cpuset.*). */
static bool same_attr(const char *a, const char *b)
{
	int64_t x, y;
	uint64_t p, q;
	bool parsed;
	if (parse_s64(a, &x) && parse_s64(b, &y))
		return x == y;
	if (percent_parse(a, &p) && percent_parse(b, &q))
		return p == q;
	bool same = same_two_fields(a, b, &parsed);
	if (parsed)
		return same;
	same = knob_same_cpulist(a, b, &parsed);
	return parsed ? same : !strcmp(a, b);
}

/* ---------- cgroup hierarchies ---------- */

/* Where a path under /sys/fs/cgroup lies: its hierarchy's mount and its
 * place in it, all resolved (a combined v1 mount may be reached through a
 * link, /sys/fs/cgroup/cpu -> cpu,cpuacct). */
struct hier {
	char path[PATH_MAX];
	char mount[PATH_MAX];
	char rel[PATH_MAX];        /* "/" for the mount itself, else "/a/b" */
	bool v2;
	size_t n;                  /* v1: the controllers bound to the mount */
	char ctrl[MAX_CTRLS][32];
};

/* host_resolve, also for a path whose last component does not exist yet. */
static int resolve_any(const struct host *h, const char *path, char *out, size_t sz)
{
	int rc = host_resolve(h, path, out, sz);
	if (rc != -ENOENT)
		return rc;
	const char *slash = strrchr(path, '/');
	char parent[PATH_MAX], rp[PATH_MAX];
	if (!slash || slash == path)
		return rc;
	copy_strn(parent, sizeof(parent), path, (size_t)(slash - path));
	rc = host_resolve(h, parent, rp, sizeof(rp));
	if (rc)
		return rc;
	return pathf(out, sz, "%s%s", strcmp(rp, "/") ? rp : "", slash) ? 0 : -ENAMETOOLONG;
}

static bool path_under(const char *p, const char *m)
{
	size_t n = strlen(m);
	return !strcmp(m, "/") || (!strncmp(p, m, n) && (p[n] == '\0' || p[n] == '/'));
}

static void resolve_mount(const struct host *h, const char *m, char *out, size_t sz)
{
	if (host_resolve(h, m, out, sz))
		copy_str(out, sz, m);
}

static int find_hier(const struct host *h, const char *path, struct hier *hi, char *why,
		     size_t sz)
{
	struct cgroup_info ci;
	char rm[PATH_MAX], rv2[PATH_MAX] = "";

	memset(hi, 0, sizeof(*hi));
	int rc = resolve_any(h, path, hi->path, sizeof(hi->path));
	if (rc)
		return errmsg(why, sz, rc, "%s: %s", path, strerror(-rc));
	if (cgroup_read(h, &ci))
		return errmsg(why, sz, -ENOMEM, "%s", "out of memory");
	if (ci.v2_mount[0])
		resolve_mount(h, ci.v2_mount, rv2, sizeof(rv2));
	/* The innermost mount holding the path. */
	for (size_t i = 0; i <= ci.n; i++) {
		const char *m = i < ci.n ? ci.ctrl[i].mount : ci.v2_mount;
		if (!m[0])
			continue;
		resolve_mount(h, m, rm, sizeof(rm));
		if (path_under(hi->path, rm) && strlen(rm) > strlen(hi->mount))
			copy_str(hi->mount, sizeof(hi->mount), rm);
	}
	hi->v2 = hi->mount[0] && !strcmp(hi->mount, rv2);
	for (size_t i = 0; !hi->v2 && i < ci.n && hi->n < MAX_CTRLS; i++) {
		if (!ci.ctrl[i].mount[0] || ci.ctrl[i].on_v2)
			continue;
		resolve_mount(h, ci.ctrl[i].mount, rm, sizeof(rm));
		if (!strcmp(rm, hi->mount))
			copy_str(hi->ctrl[hi->n++], sizeof(hi->ctrl[0]), ci.ctrl[i].name);
	}
	cgroup_info_free(&ci);
	if (!hi->mount[0])
		return errmsg(why, sz, -ENODEV, "%s is not inside a mounted cgroup hierarchy", path);
	const char *rel = hi->path + (strcmp(hi->mount, "/") ? strlen(hi->mount) : 0);
	copy_str(hi->rel, sizeof(hi->rel), *rel ? rel : "/");
	return 0;
}

/* The path of the line of a /proc/.../cgroup text that belongs to hi:
 * "0::/path" for cgroup2, "N:ctrl1,ctrl2:/path" naming one of hi's
 * controllers for v1.  0, or -ENODEV when no line does. */
static int cg_line_for(char *text, const struct hier *hi, char *out, size_t sz)
{
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = *c2 = '\0';
		bool match = false;
		if (hi->v2) {
			match = !strcmp(line, "0") && c1 + 1 == c2;
		} else {
			for (char *s2 = NULL, *tok = strtok_r(c1 + 1, ",", &s2); tok && !match;
			     tok = strtok_r(NULL, ",", &s2))
				for (size_t i = 0; i < hi->n && !match; i++)
					match = !strcmp(tok, hi->ctrl[i]);
		}
		if (match) {
			if (!knob_trim(c2 + 1, out, sz))
				return -EOVERFLOW;
			/* Found by fuzz_procpid: "2:cpu:/a b" or "0::" is not a
			 * cgroup the knob could write back: malformed. */
			return cg_rel_ok(out) ? 0 : -EINVAL;
		}
	}
	return -ENODEV;
}

/* Which cgroup of hi process pid (or one thread of it) is in. */
static int cg_of(const struct host *h, const char *procfile, const struct hier *hi, char *out,
		 size_t sz)
{
	char *text = host_read(h, procfile, NULL);
	if (!text)
		return errno == ESRCH ? -ENOENT : -errno;
	int rc = cg_line_for(text, hi, out, sz);
	free(text);
	return rc;
}

/* ---------- libcgroup ---------- */

static void lcg_quiet(void *userdata, int level, const char *fmt, va_list ap)
{
	(void)userdata;
	(void)level;
	(void)fmt;
	(void)ap;
}

/* The controllers through which libcgroup reaches hierarchy hi, i.e. the
 * names it maps to hi->mount.  v1: the hierarchy's own controllers.  v2:
 * those listed in v2dir/v2file (the parent's cgroup.subtree_control, or the
 * root's cgroup.controllers), so that libcgroup's "+ctrl" writes change
 * nothing.  0 on a non-live host, when libcgroup cannot start, or when no
 * name fits: the caller then uses the host operations. */
static size_t lcg_ctrls(const struct host *h, const struct hier *hi, const char *v2dir,
			const char *v2file, char out[][32], size_t max)
{
	char cand[MAX_CTRLS][32];
	size_t nc = 0, n = 0;

	if (!h->live)
		return 0;
	cgroup_set_logger(lcg_quiet, CGROUP_LOG_ERROR, NULL);
	if (cgroup_init())
		return 0;
	if (hi->v2) {
		char p[PATH_MAX], line[512];
		if (!pathf(p, sizeof(p), "%s/%s", v2dir, v2file) ||
		    host_read_line(h, p, line, sizeof(line)))
			return 0;
		for (char *s = NULL, *t = strtok_r(line, " ", &s); t && nc < MAX_CTRLS;
		     t = strtok_r(NULL, " ", &s))
			copy_str(cand[nc++], sizeof(cand[0]), t);
	} else {
		for (; nc < hi->n; nc++)
			copy_str(cand[nc], sizeof(cand[0]), hi->ctrl[nc]);
	}
	for (size_t i = 0; i < nc && n < max; i++) {
		char *mp = NULL;
		if (cgroup_get_subsys_mount_point(cand[i], &mp) == 0 && mp &&
		    !strcmp(mp, hi->mount))
			copy_str(out[n++], sizeof(out[0]), cand[i]);
		free(mp);
	}
	return n;
}

static struct cgroup *lcg_new(const char *rel, char ctrl[][32], size_t n)
{
	struct cgroup *cg = cgroup_new_cgroup(rel);
	for (size_t i = 0; cg && i < n; i++) {
		if (!cgroup_add_controller(cg, ctrl[i])) {
			cgroup_free(&cg);
			return NULL;
		}
	}
	return cg;
}

/* A libcgroup error as -errno: ECGOTHER carries the system's errno. */
static int lcg_errno(int ret)
{
	int e = ret == ECGOTHER ? cgroup_get_last_errno() : 0;
	return e ? -e : ret == ECGROUPNOTOWNER ? -EPERM : ret == ECGROUPNOTEXIST ? -ENOENT : -EIO;
}

static int lcg_error(int ret, char *why, size_t sz, const char *what)
{
	int rc = lcg_errno(ret);
	return errmsg(why, sz, rc, "%s: libcgroup: %s", what,
		    ret == ECGOTHER ? strerror(-rc) : cgroup_strerror(ret));
}

/* ---------- cgroup directories ---------- */

static void parent_of(const char *p, char *out, size_t sz)
{
	const char *slash = strrchr(p, '/');
	copy_strn(out, sz, p, slash && slash != p ? (size_t)(slash - p) : 1);
}

/* Moves every process listed in dir/cgroup.procs to parent/cgroup.procs:
 * processes the agent forked after apply would otherwise keep the cgroup
 * busy.  Live, until the list is empty (they may fork meanwhile); in a tree
 * there is no kernel to empty the list, so one pass. */
static int move_out(const struct host *h, const char *dir, const char *parent, char *why,
		    size_t sz)
{
	char src[PATH_MAX], dst[PATH_MAX];
	if (!pathf(src, sizeof(src), "%s/cgroup.procs", dir) ||
	    !pathf(dst, sizeof(dst), "%s/cgroup.procs", parent))
		return errmsg(why, sz, -ENAMETOOLONG, "%s: path too long", dir);
	for (int round = 0; round < (h->live ? 32 : 1); round++) {
		char *text = host_read(h, src, NULL);
		if (!text)
			return errno == ENOENT ? 0 : errmsg(why, sz, -errno, "%s: %s", src,
							  strerror(errno));
		int moved = 0, rc = 0;
		for (char *s = NULL, *tok = strtok_r(text, " \t\n", &s); tok && !rc;
		     tok = strtok_r(NULL, " \t\n", &s)) {
			uint64_t pid;
			if (!knob_dec_ok(tok, INT_MAX, &pid))
				continue;
			rc = host_write(h, dst, tok);
			if (rc == -ESRCH) /* exited meanwhile */
				rc = 0;
			else if (rc)
				errmsg(why, sz, rc, "moving process %s out of %s to %s: %s", tok, dir,
				     parent, strerror(-rc));
			moved++;
		}
		free(text);
		if (rc)
			return rc;
		if (!moved)
			return 0;
	}
	return h->live ? errmsg(why, sz, -EBUSY, "%s: processes keep appearing in it", dir) : 0;
}

/* Creates (make) or removes the directory through libcgroup when it can
 * name the hierarchy without side effects (see the top of this file).
 * 1 when it cannot, so the caller uses the kernel's cgroupfs directly. */
static int lcg_dir(const struct host *h, const struct hier *hi, const char *t,
		   const char *parent, bool make, char *why, size_t sz)
{
	char ctrl[MAX_CTRLS][32];
	size_t n = lcg_ctrls(h, hi, parent, "cgroup.subtree_control", ctrl, MAX_CTRLS);
	if (!n)
		return 1;
	struct cgroup *cg = lcg_new(hi->rel, ctrl, n);
	if (!cg)
		return errmsg(why, sz, -ENOMEM, "%s", "out of memory");
	int ret = make ? cgroup_create_cgroup(cg, 0) : cgroup_delete_cgroup(cg, 0);
	cgroup_free(&cg);
	if (ret)
		return lcg_error(ret, why, sz, t);
	if (host_is_dir(h, t) != make)
		return errmsg(why, sz, -EIO, "%s: libcgroup reported success but %s", t,
			    make ? "made nothing" : "it is still there");
	return 0;
}

static int dir_create(const struct host *h, const struct hier *hi, const char *t,
		      const char *parent, char *why, size_t sz)
{
	int rc = lcg_dir(h, hi, t, parent, true, why, sz);
	if (rc <= 0)
		return rc;
	rc = host_mkdir(h, t);
	return rc ? errmsg(why, sz, rc, "creating cgroup %s: %s", t, strerror(-rc)) : 0;
}

static int dir_remove(const struct host *h, const struct hier *hi, const char *t,
		      const char *parent, char *why, size_t sz)
{
	int rc = move_out(h, t, parent, why, sz);
	if (!rc)
		rc = lcg_dir(h, hi, t, parent, false, why, sz);
	if (rc <= 0)
		return rc;
	rc = host_rmdir(h, t);
	if (rc == -EBUSY || rc == -ENOTEMPTY)
		return errmsg(why, sz, rc, "removing cgroup %s: it still holds processes or child "
			    "cgroups (%s)", t, strerror(-rc));
	return rc ? errmsg(why, sz, rc, "removing cgroup %s: %s", t, strerror(-rc)) : 0;
}

static int dir_write(const struct host *h, const char *t, const char *val, char *why, size_t sz)
{
	bool present = !strcmp(val, "present");
	if (host_is_dir(h, t) == present)
		return 0;
	char parent[PATH_MAX];
	parent_of(t, parent, sizeof(parent));
	/* libcgroup would mkdir -p; a parent made here would outlive revert. */
	if (!host_is_dir(h, parent))
		return errmsg(why, sz, -ENOENT, "parent cgroup %s does not exist", parent);
	struct hier hi;
	int rc = find_hier(h, t, &hi, why, sz);
	if (rc)
		return rc;
	if (!strcmp(hi.rel, "/"))
		return errmsg(why, sz, -EINVAL, "%s is the root of a cgroup hierarchy", t);
	parent_of(hi.path, parent, sizeof(parent));
	return present ? dir_create(h, &hi, hi.path, parent, why, sz)
		       : dir_remove(h, &hi, hi.path, parent, why, sz);
}

/* ---------- processes ---------- */

/* The hierarchy of a cgroup_procs target, which must be a mount point. */
static int procs_hier(const struct host *h, const char *t, int *pid, struct hier *hi, char *why,
		      size_t sz)
{
	char mount[KNOB_TARGET_MAX];
	uint64_t start = 0;
	procs_split(t, pid, &start, mount, sizeof(mount));
	int rc = same_process(h, *pid, start, why, sz);
	if (rc)
		return rc;
	rc = find_hier(h, mount, hi, why, sz);
	if (rc)
		return rc;
	if (strcmp(hi->rel, "/"))
		return errmsg(why, sz, -EINVAL, "%s is not the mount point of a cgroup hierarchy",
			    mount);
	if (!hi->v2 && !hi->n)
		return errmsg(why, sz, -ENODEV, "%s: a v1 hierarchy without controllers", mount);
	return 0;
}

static int procs_read(const struct host *h, const char *t, char *val, size_t sz)
{
	struct hier hi;
	int pid;
	char p[64];
	int rc = procs_hier(h, t, &pid, &hi, NULL, 0);
	if (rc)
		return rc;
	snprintf(p, sizeof(p), "/proc/%d/cgroup", pid);
	return cg_of(h, p, &hi, val, sz);
}

static int procs_error(int rc, int pid, const char *dest, char *why, size_t sz)
{
	if (rc == -ESRCH || rc == -ENOENT)
		return errmsg(why, sz, -ENOENT, "process %d no longer exists", pid);
	if (rc == -ENOSPC)
		return errmsg(why, sz, rc,
			    "cannot move process %d into %s: cpuset has no CPUs or memory nodes "
			    "set (ENOSPC)",
			    pid, dest);
	return errmsg(why, sz, rc, "cannot move process %d into %s: %s", pid, dest, strerror(-rc));
}

/* Whether every thread of pid is in cgroup val of hi. */
static bool all_threads_in(const struct host *h, int pid, const struct hier *hi, const char *val)
{
	char dir[64], p[128], cur[KNOB_VAL_MAX];
	struct strlist tl;
	strlist_init(&tl);
	snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	bool all = host_list(h, dir, &tl) == 0;
	for (size_t i = 0; all && i < tl.n; i++) {
		snprintf(p, sizeof(p), "%s/%.32s/cgroup", dir, tl.v[i]);
		int rc = cg_of(h, p, hi, cur, sizeof(cur));
		all = rc == -ENOENT || (rc == 0 && !strcmp(cur, val)); /* exited: fine */
	}
	strlist_free(&tl);
	return all;
}

static int procs_write(const struct host *h, const char *t, const char *val, char *why,
		       size_t sz)
{
	struct hier hi;
	int pid;
	char dest[PATH_MAX], procs[PATH_MAX], proc[64], num[16];
	int rc = procs_hier(h, t, &pid, &hi, why, sz);
	if (rc)
		return rc;
	bool root = !strcmp(val, "/");
	/* Mounts are under /sys/fs/cgroup (knob_valid), never "/". */
	if (!pathf(dest, sizeof(dest), "%s%s", hi.mount, root ? "" : val) ||
	    !pathf(procs, sizeof(procs), "%s/cgroup.procs", dest))
		return errmsg(why, sz, -ENAMETOOLONG, "%s: path too long", val);
	if (!host_is_dir(h, dest))
		return errmsg(why, sz, -ENOENT, "cgroup %s does not exist", dest);
	snprintf(proc, sizeof(proc), "/proc/%d", pid);
	if (!host_exists(h, proc))
		return procs_error(-ESRCH, pid, dest, why, sz);

	char ctrl[MAX_CTRLS + 1][32], pdir[PATH_MAX];
	parent_of(dest, pdir, sizeof(pdir));
	size_t n = lcg_ctrls(h, &hi, root ? hi.mount : pdir,
			     root ? "cgroup.controllers" : "cgroup.subtree_control", ctrl,
			     MAX_CTRLS);
	if (n) {
		const char *cs[MAX_CTRLS + 1];
		for (size_t i = 0; i < n; i++)
			cs[i] = ctrl[i];
		cs[n] = NULL;
		int ret = cgroup_change_cgroup_path(val, pid, cs);
		if (ret)
			return procs_error(lcg_errno(ret), pid, dest, why, sz);
		if (all_threads_in(h, pid, &hi, val))
			return 0;
		/* A thread escaped the thread-by-thread walk: sweep below. */
	}
	snprintf(num, sizeof(num), "%d", pid);
	rc = host_write(h, procs, num);
	return rc ? procs_error(rc, pid, dest, why, sz) : 0;
}


/* ---------- the drivers ---------- */

/* A directory is not named like one of the files a cgroup holds. */
static bool dir_target_ok(const char *t, char *why, size_t sz)
{
	if (!cg_path_ok(t, false, why, sz))
		return false;
	const char *tail = knob_last_component(t);
	if (knob_cgroup_attr_allowed(tail) || !strncmp(tail, "cgroup.", 7) ||
	    !strcmp(tail, "tasks")) {
		errmsg(why, sz, 0, "cgroup directory \"%s\" names a cgroup file", t);
		return false;
	}
	return true;
}

static bool dir_value_ok(const char *t, const char *v)
{
	return !strcmp(v, "present") || !strcmp(v, "absent");
}

static bool dir_path(const char *t, char *out, size_t sz)
{
	return pathf(out, sz, "%s", t);
}

static int dir_read(const struct host *h, const char *t, char *val, size_t sz)
{
	copy_str(val, sz, host_is_dir(h, t) ? "present" : "absent");
	return 0;
}

const struct knob_driver knob_cgroup_dir = {
	.name = "cgroup_dir",
	.target_ok = dir_target_ok,
	.value_ok = dir_value_ok,
	.path = dir_path,
	.read = dir_read,
	.write = dir_write,
};

static bool attr_target_ok(const char *t, char *why, size_t sz)
{
	if (!cg_path_ok(t, false, why, sz))
		return false;
	if (knob_cgroup_attr_allowed(knob_last_component(t)))
		return true;
	errmsg(why, sz, 0,
	       "cgroup attribute \"%s\" is not one of cpu.weight, cpu.max, cpu.uclamp.min, "
	       "cpu.shares, cpu.cfs_quota_us, cpu.cfs_period_us, cpuset.cpus, cpuset.mems, "
	       "cpuset.cpu_exclusive",
	       knob_last_component(t));
	return false;
}

static bool attr_value_ok_of(const char *t, const char *v)
{
	return attr_value_ok(knob_last_component(t), v);
}

/* cpuset lists in canonical form, cpu.max's fields single-spaced. */
static void attr_normalise(const char *t, const char *in, char *out, size_t sz)
{
	const char *file = knob_last_component(t);
	char a[64], b[64];
	if (!strcmp(file, "cpuset.cpus") || !strcmp(file, "cpuset.mems")) {
		if (knob_canonical_cpulist(in, out, sz))
			return;
	} else if (!strcmp(file, "cpu.max") && sscanf(in, "%63s %63s", a, b) == 2) {
		snprintf(out, sz, "%s %s", a, b);
		return;
	}
	copy_str(out, sz, in);
}

const struct knob_driver knob_cgroup_attr = {
	.name = "cgroup_attr",
	.target_ok = attr_target_ok,
	.value_ok = attr_value_ok_of,
	.path = dir_path,
	.normalise = attr_normalise,
	.same = same_attr,
};

static bool procs_target_ok(const char *t, char *why, size_t sz)
{
	int pid;
	uint64_t start;
	char mount[KNOB_TARGET_MAX];
	if (!procs_split(t, &pid, &start, mount, sizeof(mount))) {
		errmsg(why, sz, 0,
		       "cgroup_procs target \"%s\" is not PID[@START]:/sys/fs/cgroup/...", t);
		return false;
	}
	return cg_path_ok(mount, true, why, sz);
}

static bool procs_value_ok(const char *t, const char *v)
{
	return cg_rel_ok(v);
}

const struct knob_driver knob_cgroup_procs = {
	.name = "cgroup_procs",
	.target_ok = procs_target_ok,
	.value_ok = procs_value_ok,
	.read = procs_read,
	.write = procs_write,
};
