/* tune/bootconf: the boot configuration file (bootconf.h). */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>

#include "base/cpumask.h"
#include "inspect/target.h"
#include "tune/bootconf.h"

struct parse {
	const char *path;
	struct bootconf *c;
	struct parse_error *err;
	bool seen[4];
	int failed;               /* -EINVAL once an error is recorded */
	FILE *f;
	int lineno;               /* the line inih is handling */
};

/* fgets for inih, counting lines so that an error names its line. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	char *r = fgets(str, num, p->f);

	if (r)
		p->lineno++;
	return r;
}

static int bad(struct parse *p, int line, const char *key, const char *value, const char *what)
{
	perr_set(p->err, p->path, line, "%s = '%s': %s", key, value, what);
	p->failed = -EINVAL;
	return 0;                 /* stop at the first error */
}

static bool cpus_ok(const char *v)
{
	struct cpumask m;
	bool ok;

	cpumask_init(&m);
	ok = !cpulist_parse(v, &m) && !cpumask_empty(&m);
	cpumask_free(&m);
	return ok;
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
	static const char *const keys[] = { "profile", "unit", "cgroup", "cpus" };
	struct parse *p = user;
	int line = p->lineno;
	size_t k;

	if (p->failed)
		return 1;

	if (section[0] && strcmp(section, "agent")) {
		perr_set(p->err, p->path, line, "section [%s]: only keys outside a section "
			 "or in [agent] (profile, unit, cgroup, cpus)", section);
		p->failed = -EINVAL;
		return 0;
	}
	for (k = 0; k < ARRAY_SIZE(keys) && strcmp(key, keys[k]); k++)
		;
	if (k == ARRAY_SIZE(keys))
		return bad(p, line, key, value, "unknown key (profile, unit, cgroup, cpus)");
	if (p->seen[k])
		return bad(p, line, key, value, "given twice");
	p->seen[k] = true;
	if (!value[0])
		return bad(p, line, key, value, "empty");
	switch (k) {
	case 0:
		if (strlen(value) >= sizeof(p->c->profile))
			return bad(p, line, key, value, "too long");
		copy_str(p->c->profile, sizeof(p->c->profile), value);
		break;
	case 1: {
		char full[TARGET_UNIT_MAX + 16];

		/* "agent" means agent.service, as for systemctl and --unit */
		snprintf(full, sizeof(full), "%s%s", value, strchr(value, '.') ? "" : ".service");
		if (strlen(value) >= sizeof(p->c->unit) || !target_unit_name_ok(full))
			return bad(p, line, key, value, "not a unit name (NAME.service, .scope, .slice)");
		}
		copy_str(p->c->unit, sizeof(p->c->unit), value);
		break;
	case 2:
		if (value[0] != '/' || strlen(value) >= sizeof(p->c->cgroup) || strstr(value, ".."))
			return bad(p, line, key, value, "not an absolute cgroup path");
		copy_str(p->c->cgroup, sizeof(p->c->cgroup), value);
		break;
	case 3:
		if (strlen(value) >= sizeof(p->c->cpus) || !cpus_ok(value))
			return bad(p, line, key, value, "not a CPU list (e.g. 2-3,6)");
		copy_str(p->c->cpus, sizeof(p->c->cpus), value);
		break;
	}
	return 1;
}

int bootconf_load(const char *path, struct bootconf *c, struct parse_error *err)
{
	struct parse p = { .path = path, .c = c, .err = err };
	FILE *f;
	int rc;

	memset(c, 0, sizeof(*c));
	if (!(f = fopen(path, "re"))) {
		rc = -errno;
		perr_set(err, path, 0, "%s", strerror(-rc));
		return rc;
	}
	p.f = f;
	rc = ini_parse_stream(reader, &p, on_key, &p);
	fclose(f);
	if (p.failed)
		return p.failed;
	if (rc) {
		perr_set(err, path, rc > 0 ? rc : 0, "not an INI line");
		return -EINVAL;
	}
	if (c->unit[0] && c->cgroup[0]) {
		perr_set(err, path, 0, "unit and cgroup both given: name the agent one way");
		return -EINVAL;
	}
	return 0;
}
