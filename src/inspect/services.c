/* inspect/services: irqbalance and tuned, found by scanning /proc/PID/comm
 * (services.h).
 *
 * irqbalance is a C program: its comm is "irqbalance".  tuned is a Python
 * script: started through its shebang its comm is "tuned" (the kernel names
 * the task after the script), but started as `python3 /usr/sbin/tuned` the
 * comm is the interpreter's, so for a comm starting with "python" the
 * arguments in /proc/PID/cmdline are checked for one whose basename is
 * "tuned".  The lowest matching PID wins.  Processes that exit between the
 * listing and the read are skipped. */
#include "inspect/services.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "base/util.h"

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Is one of argv[1..] (NUL-separated) a path whose basename is "tuned"? */
static bool cmdline_runs_tuned(const struct host *h, const char *pid)
{
	char p[64];
	size_t len;
	snprintf(p, sizeof(p), "/proc/%s/cmdline", pid);
	char *buf = host_read(h, p, &len);
	if (!buf)
		return false;
	bool found = false;
	size_t off = strnlen(buf, len) + 1; /* skip argv[0], the interpreter */
	while (off < len && !found) {
		const char *arg = buf + off;
		size_t n = strnlen(arg, len - off);
		const char *base = memrchr(arg, '/', n);
		base = base ? base + 1 : arg;
		found = (size_t)(arg + n - base) == 5 && !strncmp(base, "tuned", 5);
		off += n + 1;
	}
	free(buf);
	return found;
}

/* ---------- enabled at boot ---------- */

/* systemd: a NAME.service link in some /etc/systemd/system/X.wants/ (what
 * `systemctl enable` makes).  0 no, 1 yes, -1 no systemd config here. */
static int systemd_enabled(const struct host *h, const char *name, char *by, size_t sz)
{
	const char *dir = "/etc/systemd/system";
	char unit[96], sub[320];
	struct strlist l, w;
	if (host_list(h, dir, &l))
		return -1;
	snprintf(unit, sizeof(unit), "%s.service", name);
	int found = 0;
	for (size_t i = 0; i < l.n && !found; i++) {
		size_t n = strlen(l.v[i]);
		if (n < 6 || strcmp(l.v[i] + n - 6, ".wants"))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, l.v[i]);
		if (host_list(h, sub, &w))
			continue;
		for (size_t j = 0; j < w.n && !found; j++)
			if (!strcmp(w.v[j], unit)) {
				snprintf(by, sz, "%s/%s", sub, unit);
				found = 1;
			}
		strlist_free(&w);
	}
	strlist_free(&l);
	return found;
}

/* sysv: an /etc/rcN.d/SNNname link for a multi-user runlevel. */
static int sysv_enabled(const struct host *h, const char *name, char *by, size_t sz)
{
	int seen = -1;
	for (int lvl = 2; lvl <= 5; lvl++) {
		char dir[32];
		struct strlist l;
		snprintf(dir, sizeof(dir), "/etc/rc%d.d", lvl);
		if (host_list(h, dir, &l))
			continue;
		seen = 0;
		for (size_t i = 0; i < l.n; i++) {
			const char *e = l.v[i];
			if (e[0] == 'S' && isdigit((unsigned char)e[1]) && isdigit((unsigned char)e[2]) &&
			    !strcmp(e + 3, name)) {
				snprintf(by, sz, "%s/%s", dir, e);
				strlist_free(&l);
				return 1;
			}
		}
		strlist_free(&l);
	}
	return seen;
}

static void boot_read(const struct host *h, const char *name, struct svc_boot *b)
{
	int sd = systemd_enabled(h, name, b->by, sizeof(b->by));
	int sv = sd == 1 ? -1 : sysv_enabled(h, name, b->by, sizeof(b->by));
	b->enabled = sd == 1 || sv == 1 ? 1 : sd == 0 || sv == 0 ? 0 : -1;
}

/* ---------- irqbalance's configuration ---------- */

/* VAR=value, VAR="value", export VAR='value'; comments and others skipped. */
static bool shell_var(const char *line, const char *var, char *out, size_t sz)
{
	line += strspn(line, " \t");
	if (!strncmp(line, "export ", 7))
		line += 7 + strspn(line + 7, " \t");
	size_t n = strlen(var);
	if (strncmp(line, var, n) || line[n] != '=')
		return false;
	const char *v = line + n + 1;
	char q = *v == '"' || *v == '\'' ? *v++ : 0;
	size_t len = q ? strcspn(v, q == '"' ? "\"" : "'") : strcspn(v, " \t#\r\n");
	copy_strn(out, sz, v, len);
	return true;
}

static void irqbalance_conf_read(const struct host *h, struct services *out)
{
	static const char *const files[] = { "/etc/default/irqbalance", "/etc/sysconfig/irqbalance" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t len;
		char *buf = host_read(h, files[i], &len);
		if (!buf)
			continue;
		copy_str(out->irqbalance_conf, sizeof(out->irqbalance_conf), files[i]);
		for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			shell_var(line, "IRQBALANCE_BANNED_CPULIST", out->irqbalance_banned,
				  sizeof(out->irqbalance_banned));
		free(buf);
		return;
	}
}

/* ---------- tuned's active profile ---------- */

struct tuned_ctx {
	const struct host *h;
	struct services *out;
	char include[256];
};

static int tuned_key(void *user, const char *section, const char *name, const char *value)
{
	struct tuned_ctx *c = user;
	if (!strcmp(section, "main")) {
		if (!strcmp(name, "include"))
			copy_str(c->include, sizeof(c->include), value);
		return 1;
	}
	struct services *o = c->out;
	char k[80];
	snprintf(k, sizeof(k), "%s.%s", section, name);
	for (size_t i = 0; i < o->ntuned_keys; i++)
		if (!strcmp(o->tuned_keys[i], k))
			return 1;
	if (o->ntuned_keys < SVC_TUNED_KEYS)
		copy_str(o->tuned_keys[o->ntuned_keys++], sizeof(o->tuned_keys[0]), k);
	return 1;
}

/* NAME's tuned.conf (/etc/tuned first, as tuned looks), then the profiles
 * it includes, up to 8 deep. */
static void tuned_profile_read(const struct host *h, struct services *out, const char *name, int depth)
{
	static const char *const dirs[] = { "/etc/tuned", "/usr/lib/tuned", "/usr/lib/tuned/profiles" };
	if (depth > 8 || !*name || strchr(name, '/') || !strcmp(name, ".."))
		return;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char p[320];
		size_t len;
		snprintf(p, sizeof(p), "%s/%s/tuned.conf", dirs[i], name);
		char *buf = host_read(h, p, &len);
		if (!buf)
			continue;
		struct tuned_ctx c = { .h = h, .out = out };
		ini_parse_string(buf, tuned_key, &c);
		free(buf);
		out->tuned_keys_read = true;
		/* include = a, b: each in turn */
		for (char *save = NULL, *inc = strtok_r(c.include, ", ", &save); inc;
		     inc = strtok_r(NULL, ", ", &save))
			tuned_profile_read(h, out, inc, depth + 1);
		return;
	}
}

static void tuned_conf_read(const struct host *h, struct services *out)
{
	if (host_read_line(h, "/etc/tuned/active_profile", out->tuned_profile,
			   sizeof(out->tuned_profile)))
		out->tuned_profile[0] = '\0';
	/* tuned-adm can activate several: "a b"; each is read */
	char names[128];
	copy_str(names, sizeof(names), out->tuned_profile);
	for (char *save = NULL, *n = strtok_r(names, " \t", &save); n; n = strtok_r(NULL, " \t", &save))
		tuned_profile_read(h, out, n, 0);
}

/* The /etc side: boot links and configuration. */
static void config_read(const struct host *h, struct services *out)
{
	boot_read(h, "irqbalance", &out->irqbalance_boot);
	boot_read(h, "tuned", &out->tuned_boot);
	irqbalance_conf_read(h, out);
	tuned_conf_read(h, out);
}

int services_read(const struct host *h, struct services *out)
{
	memset(out, 0, sizeof(*out));
	config_read(h, out);
	struct strlist l;
	int rc = host_list(h, "/proc", &l);
	if (rc) {
		snprintf(out->why, sizeof(out->why), "/proc: %s", strerror(-rc));
		return 0;
	}
	size_t seen = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (!all_digits(l.v[i]) || strlen(l.v[i]) > 10)
			continue;
		char p[64], comm[32];
		snprintf(p, sizeof(p), "/proc/%s/comm", l.v[i]);
		if (host_read_line(h, p, comm, sizeof(comm)))
			continue; /* gone, or not captured */
		seen++;
		long pid = strtol(l.v[i], NULL, 10);
		if (pid <= 0 || pid > INT32_MAX)
			continue;
		if (!strcmp(comm, "irqbalance")) {
			if (!out->irqbalance_pid)
				out->irqbalance_pid = (int)pid;
		} else if (!strcmp(comm, "tuned") ||
			   (!strncmp(comm, "python", 6) && cmdline_runs_tuned(h, l.v[i]))) {
			if (!out->tuned_pid)
				out->tuned_pid = (int)pid;
		}
	}
	strlist_free(&l);
	if (!seen) {
		copy_str(out->why, sizeof(out->why),
			 "no processes under /proc (not captured in this tree)");
		return 0;
	}
	out->available = true;
	return 0;
}
