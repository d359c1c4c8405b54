/* inspect/target: an agent named by its systemd unit or by its cgroup, as
 * well as by pid (`--unit NAME.service`, `--cgroup PATH` on apply, diagnose
 * and top; any later command resolves them the same way).
 *
 * A unit is resolved to its cgroup without systemd running: systemd names a
 * unit's cgroup after the unit, inside its slice ("/system.slice/NAME"), in
 * the unified (v2) hierarchy and in the v1 name=systemd one, so the
 * directory is looked up there: the slice path for a .slice, system.slice
 * for the rest, then a search of the tree (a unit with Slice=).  Where
 * systemd is PID 1 on the live host it is asked instead (`systemctl show
 * -p ControlGroup --value NAME`), as it knows a unit that has no process
 * yet.  The processes are then cgroup.procs of that directory, read again
 * whenever a caller wants the ones that came later.
 *
 *	struct target t;
 *	if (target_unit(h, "agent.service", &t, why, sizeof(why))) ... exit 2
 *	int *pids; size_t n;
 *	target_pids(h, &t, &pids, &n);   ... free(pids)
 */
#ifndef AGENTUNE_TARGET_H
#define AGENTUNE_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "base/host.h"

#define TARGET_UNIT_MAX 256    /* systemd's UNIT_NAME_MAX */
#define TARGET_PATH_MAX 1024

enum target_kind { TARGET_UNIT, TARGET_CGROUP };

struct target {
	enum target_kind kind;
	char unit[TARGET_UNIT_MAX]; /* the unit ("agent.service"); for --cgroup the
				     * unit whose cgroup it is, else "" */
	char rel[TARGET_PATH_MAX];  /* path inside the hierarchy, as /proc/PID/cgroup
				     * prints it: "/system.slice/agent.service" */
	char dir[TARGET_PATH_MAX + 256]; /* the directory holding cgroup.procs:
				     * "/sys/fs/cgroup/unified/system.slice/agent.service" */
	char via[64];               /* how it was found: "cgroup v2", "name=systemd",
				     * "systemctl", "cgroup v1 cpu" */
};

/* Whether s is a unit name systemd accepts: 1-255 bytes of
 * [A-Za-z0-9:_.\-@], a dot-suffix of a unit type that has a cgroup
 * (.service, .scope, .slice). */
bool target_unit_name_ok(const char *s);

/* NAME ("agent" means "agent.service", as systemctl takes it) to its cgroup.
 * 0; -EINVAL (not a unit name) or -ENOENT (no such cgroup: the unit is not
 * running, or not on this host) with why naming the unit and where it was
 * looked for. */
int target_unit(const struct host *h, const char *name, struct target *t, char *why,
		size_t sz);

/* PATH: a directory under a cgroup mount ("/sys/fs/cgroup/unified/a/b"), or a
 * path inside a hierarchy ("/system.slice/agent.service", looked up in the
 * v2, name=systemd, cpu and cpuset hierarchies in that order).  0, -EINVAL
 * (a relative path, "..", not a cgroup), -ENOENT, with why. */
int target_cgroup(const struct host *h, const char *path, struct target *t, char *why,
		  size_t sz);

/* The processes in the cgroup now (cgroup.procs), ascending, in a malloc'ed
 * array the caller frees; an empty cgroup gives n = 0.  0 or -errno. */
int target_pids(const struct host *h, const struct target *t, int **pids, size_t *n);

/* The systemd unit process pid belongs to, from /proc/PID/cgroup (the v2
 * line, else the name=systemd one): the deepest component of its path named
 * *.service or *.scope, and that path up to it ("/system.slice/x.service").
 * A process in a sub-cgroup of a unit (delegation) belongs to the unit.
 * 1 found, 0 not in a unit (the root, a slice, a cgroup of agentune's),
 * -errno (no such process). */
int target_pid_unit(const struct host *h, int pid, char *unit, size_t usz, char *rel,
		    size_t rsz);

/* "unit agent.service" or "cgroup /a/b", for messages and reports. */
const char *target_label(const struct target *t, char *buf, size_t sz);

#endif
