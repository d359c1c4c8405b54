/* tune/knob: the table of setting drivers and what every kind does the
 * same way (knob.h).
 *
 * Every file is reached through host.h, so the same code drives the live
 * machine and a writable fixture tree.  knob_valid() is strict on purpose:
 * targets come from profiles, plans and the journal, which a user (or an
 * attacker who can write the journal) controls, and a target must never
 * name a file outside the few the drivers know; every read and write
 * checks it first.
 */
#include "tune/knob.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "base/errmsg.h"
#include "base/util.h"
#include "tune/knob_cgroup.h"
#include "tune/knob_irq.h"
#include "tune/knob_net.h"
#include "tune/knob_power.h"
#include "tune/knob_timerslack.h"

/* Each driver, declared by its family's header above; one the table names
 * without a header is a link error, not a silent gap. */
#define KNOB_DRIVER_DECL(kind, driver) extern const struct knob_driver driver;
KNOB_KINDS(KNOB_DRIVER_DECL)
#undef KNOB_DRIVER_DECL

/* ---------- the window controller: a kind of change, not a setting ---------- */

static bool controller_target_ok(const char *t, char *why, size_t sz)
{
	if (!strcmp(t, KNOB_WINDOW_TARGET))
		return true;
	errmsg(why, sz, 0, "window_controller target \"%s\" is not %s", t, KNOB_WINDOW_TARGET);
	return false;
}

static bool controller_value_ok(const char *t, const char *v)
{
	return !strcmp(v, "running") || !strcmp(v, "stopped");
}

/* Syntax only: tune starts, stops and looks at the process (winctl.h). */
const struct knob_driver knob_window_controller = {
	.name = "window_controller",
	.target_ok = controller_target_ok,
	.value_ok = controller_value_ok,
};

static const struct knob_driver *const drivers[KNOB__COUNT] = {
#define KNOB_TABLE_ENTRY(kind, driver) [kind] = &driver,
	KNOB_KINDS(KNOB_TABLE_ENTRY)
#undef KNOB_TABLE_ENTRY
};

static const struct knob_driver *driver(enum knob_kind k)
{
	return (unsigned)k < KNOB__COUNT ? drivers[k] : NULL;
}

const char *knob_name(enum knob_kind k)
{
	const struct knob_driver *d = driver(k);
	return d ? d->name : "unknown";
}

bool knob_from_name(const char *s, enum knob_kind *k)
{
	for (unsigned i = 0; s && i < KNOB__COUNT; i++) {
		if (!strcmp(s, drivers[i]->name)) {
			*k = (enum knob_kind)i;
			return true;
		}
	}
	return false;
}

bool knob_is_setting(enum knob_kind k)
{
	const struct knob_driver *d = driver(k);
	return d && (d->path || d->read);
}

bool knob_valid(enum knob_kind k, const char *target, const char *val, char *why, size_t sz)
{
	const struct knob_driver *d = driver(k);
	if (!d || !target) {
		errmsg(why, sz, 0, "unknown knob");
		return false;
	}
	if (strlen(target) >= KNOB_TARGET_MAX || strpbrk(target, "\n\r")) {
		errmsg(why, sz, 0, "%s target is too long or holds a newline", d->name);
		return false;
	}
	if (!d->target_ok(target, why, sz))
		return false;
	if (!val)
		return true;
	if (strlen(val) >= KNOB_VAL_MAX || strpbrk(val, "\n\r")) {
		errmsg(why, sz, 0, "value for %s %s is too long or holds a newline", d->name, target);
		return false;
	}
	if (d->value_ok(target, val))
		return true;
	errmsg(why, sz, 0, "value \"%s\" is not valid for %s %s", val, d->name, target);
	return false;
}

void knob_path(enum knob_kind k, const char *target, char *out, size_t sz)
{
	const struct knob_driver *d = driver(k);
	if (!d || !d->path || !knob_valid(k, target, NULL, NULL, 0) || !d->path(target, out, sz))
		out[0] = '\0';
}

int knob_read(const struct host *h, enum knob_kind k, const char *target, char *val, size_t sz)
{
	const struct knob_driver *d = driver(k);
	char path[PATH_MAX], line[KNOB_VAL_MAX * 2], norm[KNOB_VAL_MAX * 2];

	if (!knob_valid(k, target, NULL, NULL, 0))
		return -EINVAL;
	val[0] = '\0';
	if (d->read)
		return d->read(h, target, val, sz);
	if (!d->path)
		return -EOPNOTSUPP;
	if (!d->path(target, path, sizeof(path)))
		return -ENAMETOOLONG;
	int rc = host_read_line(h, path, line, sizeof(line));
	if (rc)
		return rc;
	/* Normalised in a buffer as large as the line, so that a value too
	 * long for val is an error here and never a cut one. */
	if (d->normalise)
		d->normalise(target, line, norm, sizeof(norm));
	else
		copy_str(norm, sizeof(norm), line);
	if (strlen(norm) >= sz || strlen(norm) >= KNOB_VAL_MAX)
		return -EOVERFLOW;
	copy_str(val, sz, norm);
	return 0;
}

int knob_write(const struct host *h, enum knob_kind k, const char *target, const char *val,
	       char *why, size_t sz)
{
	const struct knob_driver *d = driver(k);
	char path[PATH_MAX];

	if (!knob_valid(k, target, val, why, sz))
		return -EINVAL;
	if (d->write)
		return d->write(h, target, val, why, sz);
	if (!d->path)
		return errmsg(why, sz, -EOPNOTSUPP, "%s is not a setting agentune writes", d->name);
	if (!d->path(target, path, sizeof(path)))
		return errmsg(why, sz, -ENAMETOOLONG, "%s %s: path too long", d->name, target);
	/* With a newline, as `echo` writes it: the kernel's parsers accept
	 * it, and a tree's file then reads back byte for byte as it was. */
	char line[KNOB_VAL_MAX + 2];
	snprintf(line, sizeof(line), "%s\n", val); /* fits: knob_valid checked val */
	int rc = host_write(h, path, line);
	if (!rc)
		return 0;
	if (rc == -ESPIPE)
		return errmsg(why, sz, rc, "%s: %s", path, host_strerror(rc));
	if (d->write_error)
		return d->write_error(rc, target, val, why, sz);
	return errmsg(why, sz, rc, "%s: %s", path, strerror(-rc));
}

bool knob_same(enum knob_kind k, const char *a, const char *b)
{
	const struct knob_driver *d = driver(k);
	char x[KNOB_VAL_MAX], y[KNOB_VAL_MAX];

	if (!d || !a || !b)
		return false;
	/* A value too long to hold is the same as nothing. */
	if (!knob_trim(a, x, sizeof(x)) || !knob_trim(b, y, sizeof(y)))
		return false;
	return d->same ? d->same(x, y) : !strcmp(x, y);
}
