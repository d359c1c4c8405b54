/* libFuzzer harness: what agentune reads of one process over a generated
 * tree (fuzz_tree.h): /proc/PID/status fields (pt_status_field), its start
 * time (/proc/PID/stat), and its cgroup as the cgroup_procs knob reads it
 * from /proc/PID/cgroup against /proc/mounts.  A value that does not fit
 * is an error, never a cut one. */
#include "fuzz_tree.h"
#include "base/procfs_text.h"
#include "tune/knob.h"
#include "tune/knob_cgroup.h"

static const char *const paths[] = {
	"proc/4321/status", "proc/4321/stat", "proc/4321/cgroup", "proc/mounts",
	"proc/cgroups", "proc/4321/task/4321/cgroup", "sys/fs/cgroup/cgroup.procs",
	"sys/fs/cgroup/cpu/cgroup.procs",
};

static void fuzz_one(const char *text, size_t size)
{
	struct host h;
	if (!fz_tree(text, size, paths, sizeof(paths) / sizeof(paths[0]), &h))
		return;
	char small[16], big[4096];
	static const char *const keys[] = { "Cpus_allowed_list", "Name", "Tgid", "" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		int rc = pt_status_field(&h, 4321, keys[i], small, sizeof(small));
		if ((rc == 0 && strlen(small) >= sizeof(small)) || (rc == -EOVERFLOW && small[0]))
			__builtin_trap();
		rc = pt_status_field(&h, 4321, keys[i], big, sizeof(big));
		if (rc == 0 && strlen(big) >= sizeof(big))
			__builtin_trap();
	}
	uint64_t start = 0;
	if (knob_pid_start(&h, 4321, &start) == 0 && !start)
		__builtin_trap();
	char target[64], v[KNOB_VAL_MAX];
	snprintf(target, sizeof(target), "4321@%llu:/sys/fs/cgroup", (unsigned long long)(start ? start : 1));
	static const char *const targets[] = { "4321:/sys/fs/cgroup", "4321:/sys/fs/cgroup/cpu" };
	for (size_t i = 0; i < 3; i++) {
		const char *t = i < 2 ? targets[i] : target;
		int rc = knob_read(&h, KNOB_CGROUP_PROCS, t, v, sizeof(v));
		if (rc == 0 && (v[0] != '/' || strlen(v) >= sizeof(v)))
			__builtin_trap();
	}
	host_close(&h);
}
