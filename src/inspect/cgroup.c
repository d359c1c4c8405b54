/* inspect/cgroup: hierarchy mode and controllers (cgroup.h).
 *
 * Sources: /proc/mounts (cgroup and cgroup2 lines; a v1 line names its
 * controllers in the mount options), /proc/cgroups (enabled flags; hierarchy
 * 0 means "not on a v1 hierarchy") and the v2 root's cgroup.controllers
 * (which controllers the unified hierarchy has). */
#include "inspect/cgroup.h"

#include "base/procfs_text.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct v1_mount {
	char path[256];
	char opts[512];
};

struct scan {
	bool has_v1, has_v2;
	char v2_mount[256];
	char systemd_mount[256];   /* the v1 name=systemd hierarchy */
	struct v1_mount *v1;
	size_t nv1;
};

/* /proc/mounts escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *d = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

static int add_v1(struct scan *sc, const char *path, const char *opts)
{
	struct v1_mount *v = realloc(sc->v1, (sc->nv1 + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	sc->v1 = v;
	copy_str(v[sc->nv1].path, sizeof(v->path), path);
	copy_str(v[sc->nv1].opts, sizeof(v->opts), opts);
	sc->nv1++;
	return 0;
}

static int scan_mounts(char *text, struct scan *sc)
{
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[4], *fs = NULL;
		int n = 0;
		for (char *tok = strtok_r(line, " \t", &fs); tok && n < 4;
		     tok = strtok_r(NULL, " \t", &fs))
			f[n++] = tok;
		if (n < 4)
			continue;
		unescape(f[1]);
		if (!strcmp(f[2], "cgroup2")) {
			/* Several cgroup2 mounts (bind mounts, containers):
			 * prefer the conventional places. */
			if (!sc->has_v2 || !strcmp(f[1], "/sys/fs/cgroup") ||
			    (strcmp(sc->v2_mount, "/sys/fs/cgroup") &&
			     !strcmp(f[1], "/sys/fs/cgroup/unified")))
				copy_str(sc->v2_mount, sizeof(sc->v2_mount), f[1]);
			sc->has_v2 = true;
		} else if (!strcmp(f[2], "cgroup")) {
			sc->has_v1 = true;
			if (strstr(f[3], "name=systemd") && !sc->systemd_mount[0])
				copy_str(sc->systemd_mount, sizeof(sc->systemd_mount), f[1]);
			if (add_v1(sc, f[1], f[3]))
				return -ENOMEM;
		}
	}
	return 0;
}

static bool opt_has(const char *opts, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = opts; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && !strncmp(p, name, n))
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

static struct cgroup_ctrl *find_ctrl(struct cgroup_info *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->ctrl[i].name, name))
			return &c->ctrl[i];
	return NULL;
}

static struct cgroup_ctrl *add_ctrl(struct cgroup_info *c, const char *name, size_t *cap)
{
	struct cgroup_ctrl *x = find_ctrl(c, name);
	if (x)
		return x;
	struct cgroup_ctrl *v = grow(c->ctrl, c->n, cap, sizeof(*v), 16);
	if (!v)
		return NULL;
	c->ctrl = v;
	x = &c->ctrl[c->n++];
	memset(x, 0, sizeof(*x));
	copy_str(x->name, sizeof(x->name), name);
	return x;
}

/* "#subsys_name hierarchy num_cgroups enabled" rows. */
static int read_proc_cgroups(const struct host *h, struct cgroup_info *c, size_t *cap)
{
	char *text = host_read(h, "/proc/cgroups", NULL);
	if (!text)
		return 0; /* newer kernels may drop it: v2 cgroup.controllers suffices */
	int rc = 0;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && !rc;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		unsigned hier, num, en;
		if (line[0] == '#' || sscanf(line, "%63s %u %u %u", name, &hier, &num, &en) != 4)
			continue;
		struct cgroup_ctrl *x = add_ctrl(c, name, cap);
		if (!x)
			rc = -ENOMEM;
		else
			x->enabled = en != 0;
	}
	free(text);
	return rc;
}

static int read_v2_controllers(const struct host *h, struct cgroup_info *c, size_t *cap,
			       bool known_enabled)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/cgroup.controllers", c->v2_mount);
	char *text = host_read(h, p, NULL);
	if (!text)
		return 0;
	int rc = 0;
	for (char *save = NULL, *tok = strtok_r(text, " \t\n", &save); tok && !rc;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		bool had = find_ctrl(c, tok) != NULL;
		struct cgroup_ctrl *x = add_ctrl(c, tok, cap);
		if (!x) {
			rc = -ENOMEM;
			break;
		}
		/* Listed by the kernel on the unified root: usable there. */
		x->on_v2 = true;
		if (!had || !known_enabled)
			x->enabled = true;
		copy_str(x->mount, sizeof(x->mount), c->v2_mount);
	}
	free(text);
	return rc;
}

/* Without /proc/cgroups, v1 controllers are recognised in mount options by
 * name (the options also hold rw, relatime, name=systemd, ...). */
static int v1_from_options(struct cgroup_info *c, const struct scan *sc, size_t *cap)
{
	static const char *const known[] = { "cpuset", "cpu", "cpuacct", "blkio", "memory",
					     "devices", "freezer", "net_cls", "perf_event",
					     "net_prio", "hugetlb", "pids", "rdma", "misc" };
	for (size_t k = 0; k < ARRAY_SIZE(known); k++) {
		for (size_t m = 0; m < sc->nv1; m++) {
			if (!opt_has(sc->v1[m].opts, known[k]))
				continue;
			struct cgroup_ctrl *x = add_ctrl(c, known[k], cap);
			if (!x)
				return -ENOMEM;
			x->enabled = true; /* mounted, so enabled */
			break;
		}
	}
	return 0;
}

int cgroup_read(const struct host *h, struct cgroup_info *out)
{
	memset(out, 0, sizeof(*out));
	char *text = host_read(h, "/proc/mounts", NULL);
	if (!text) {
		snprintf(out->why, sizeof(out->why), "/proc/mounts: %s", strerror(errno));
		return 0;
	}
	struct scan sc = { 0 };
	int rc = scan_mounts(text, &sc);
	free(text);
	size_t cap = 0;
	if (!rc)
		rc = read_proc_cgroups(h, out, &cap);
	bool from_proc = out->n > 0;
	if (!rc && !from_proc)
		rc = v1_from_options(out, &sc, &cap);
	if (!rc) {
		out->available = true;
		out->mode = sc.has_v1 && sc.has_v2 ? CGROUP_HYBRID
			    : sc.has_v2            ? CGROUP_V2
			    : sc.has_v1            ? CGROUP_V1
						   : CGROUP_NONE;
		copy_str(out->v2_mount, sizeof(out->v2_mount), sc.v2_mount);
		copy_str(out->systemd_mount, sizeof(out->systemd_mount), sc.systemd_mount);
		/* v1: a controller's hierarchy is the mount naming it. */
		for (size_t i = 0; i < out->n; i++)
			for (size_t m = 0; m < sc.nv1 && !out->ctrl[i].mount[0]; m++)
				if (opt_has(sc.v1[m].opts, out->ctrl[i].name))
					copy_str(out->ctrl[i].mount, sizeof(out->ctrl[i].mount),
						 sc.v1[m].path);
		if (sc.has_v2)
			rc = read_v2_controllers(h, out, &cap, from_proc);
	}
	free(sc.v1);
	if (rc) {
		cgroup_info_free(out);
		copy_str(out->why, sizeof(out->why), "out of memory");
	}
	return rc;
}

void cgroup_info_free(struct cgroup_info *c)
{
	free(c->ctrl);
	memset(c, 0, sizeof(*c));
}

const char *cgroup_mode_name(enum cgroup_mode m)
{
	switch (m) {
	case CGROUP_V1:
		return "v1";
	case CGROUP_V2:
		return "v2";
	case CGROUP_HYBRID:
		return "hybrid";
	default:
		return "none";
	}
}

/* ---- cpu.stat ------------------------------------------------------------ */

enum { CS_PERIODS, CS_THROTTLED, CS_TIME_NS, CS_TIME_US, CS_KEYS };

static int cpu_stat_key(const char *k, size_t n)
{
	static const char *const keys[CS_KEYS] = {
		"nr_periods", "nr_throttled", "throttled_time", "throttled_usec",
	};
	for (int i = 0; i < CS_KEYS; i++)
		if (strlen(keys[i]) == n && !memcmp(keys[i], k, n))
			return i;
	return -1;
}

int cgroup_cpu_stat_parse(const char *buf, size_t len, const char *file,
			  struct cgroup_cpu_stat *out, struct parse_error *err)
{
	struct pt_lines it = PT_LINES(buf, len);
	uint64_t v[CS_KEYS] = { 0 };
	bool seen[CS_KEYS] = { false };

	memset(out, 0, sizeof(*out));
	while (pt_next_line(&it)) {
		const char *k = pt_skip_space(it.s, it.e), *ke = pt_tok_end(k, it.e);
		const char *val = pt_skip_space(ke, it.e), *ve = pt_tok_end(val, it.e);
		int key = cpu_stat_key(k, (size_t)(ke - k));

		if (key < 0)
			continue;       /* usage_usec, nr_bursts, ...: not ours */
		if (seen[key]) {
			perr_set(err, file, it.line, "%.*s given twice", (int)(ke - k), k);
			return -EINVAL;
		}
		if (val == it.e || pt_skip_space(ve, it.e) != it.e || !pt_all_digits(val, ve) ||
		    pt_count_at(val, ve, &v[key]) != 1) {
			perr_set(err, file, it.line, "%.*s: '%.*s' is not a count", (int)(ke - k), k,
				 (int)(it.e - val > 64 ? 64 : it.e - val), val);
			return -EINVAL;
		}
		seen[key] = true;
	}
	if (!seen[CS_THROTTLED] || seen[CS_TIME_NS] == seen[CS_TIME_US]) {
		perr_set(err, file, 0, "%s", !seen[CS_THROTTLED] ? "no nr_throttled" :
			 seen[CS_TIME_NS] ? "both throttled_time and throttled_usec" :
			 "no throttled_time (v1) or throttled_usec (v2)");
		return -EINVAL;
	}
	out->v2 = seen[CS_TIME_US];
	out->nr_periods = v[CS_PERIODS];
	out->nr_throttled = v[CS_THROTTLED];
	if (out->v2 && v[CS_TIME_US] > UINT64_MAX / 1000) {
		perr_set(err, file, 0, "throttled_usec past u64 nanoseconds");
		return -EINVAL;
	}
	out->throttled_ns = out->v2 ? v[CS_TIME_US] * 1000 : v[CS_TIME_NS];
	return 0;
}

int cgroup_cpu_stat_read(const struct host *h, const char *dir, struct cgroup_cpu_stat *out,
			 struct parse_error *err)
{
	char path[PATH_MAX];
	char *buf;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/cpu.stat", dir);
	if ((rc = pt_read(h, path, &buf, &len, err)))
		return rc;
	rc = cgroup_cpu_stat_parse(buf, len, path, out, err);
	free(buf);
	return rc;
}

/* The line of /proc/PID/cgroup for the cpu controller: "ID:a,cpu,b:/path"
 * (v1), or "0::/path" when v2 is true. */
static bool cgroup_line_path(char *text, bool v2, char *rel, size_t sz)
{
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *ctl = strchr(line, ':'), *path = ctl ? strchr(ctl + 1, ':') : NULL;

		if (!path)
			continue;
		*path++ = '\0';
		ctl++;
		if (v2 ? !ctl[0] && !strcmp(line, "0") : ctl[0] && opt_has(ctl, "cpu")) {
			copy_str(rel, sz, path);
			return true;
		}
	}
	return false;
}

int cgroup_cpu_dir(const struct host *h, int pid, char *dir, size_t sz, char *why, size_t wsz)
{
	struct cgroup_info ci;
	struct cgroup_ctrl *cpu = NULL;
	char path[64], rel[PATH_MAX];
	char *text;
	bool found;

	if (cgroup_read(h, &ci)) {
		snprintf(why, wsz, "cgroups unreadable");
		return -ENOENT;
	}
	for (size_t i = 0; i < ci.n; i++)
		if (!strcmp(ci.ctrl[i].name, "cpu") && ci.ctrl[i].enabled)
			cpu = &ci.ctrl[i];
	if (!cpu || !(cpu->on_v2 ? ci.v2_mount[0] : cpu->mount[0])) {
		snprintf(why, wsz, "no cpu controller mounted");
		cgroup_info_free(&ci);
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	text = host_read(h, path, NULL);
	found = text && cgroup_line_path(text, cpu->on_v2, rel, sizeof(rel));
	free(text);
	if (found)
		snprintf(dir, sz, "%s%s", cpu->on_v2 ? ci.v2_mount : cpu->mount,
			 strcmp(rel, "/") ? rel : "");
	else
		snprintf(why, wsz, "%s names no %s group", path, cpu->on_v2 ? "unified" : "cpu");
	cgroup_info_free(&ci);
	return found ? 0 : -ENOENT;
}
