/* libFuzzer harness: cgroup_read over a generated tree (fuzz_tree.h):
 * /proc/mounts, /proc/cgroups and the cgroup2 mount's controllers. */
#include "fuzz_tree.h"
#include "inspect/cgroup.h"

static const char *const paths[] = {
	"proc/mounts", "proc/cgroups", "sys/fs/cgroup/unified/cgroup.controllers",
	"sys/fs/cgroup/cgroup.controllers", "sys/fs/cgroup/cpu", "proc/self/cgroup",
	"proc/1/cgroup",
};

static void fuzz_one(const char *text, size_t size)
{
	struct host h;
	if (!fz_tree(text, size, paths, sizeof(paths) / sizeof(paths[0]), &h))
		return;
	struct cgroup_info c;
	if (cgroup_read(&h, &c) == 0) {
		for (size_t i = 0; i < c.n; i++)
			if (!memchr(c.ctrl[i].name, 0, sizeof(c.ctrl[i].name)) ||
			    !memchr(c.ctrl[i].mount, 0, sizeof(c.ctrl[i].mount)))
				__builtin_trap();
		cgroup_info_free(&c);
	}
	host_close(&h);
}
