/* inspect/cgroup: hierarchy mode (v1, v2, hybrid) and controllers. */
#ifndef AGENTUNE_CGROUP_H
#define AGENTUNE_CGROUP_H

#include "base/host.h"
#include "base/util.h"

enum cgroup_mode { CGROUP_NONE, CGROUP_V1, CGROUP_V2, CGROUP_HYBRID };

struct cgroup_ctrl {
	char name[32];
	bool enabled;
	bool on_v2;                /* bound to the unified hierarchy */
	char mount[256];           /* where its hierarchy is mounted; "" */
};

struct cgroup_info {
	bool available;
	char why[160];
	enum cgroup_mode mode;
	char v2_mount[256];        /* "/sys/fs/cgroup" or "/sys/fs/cgroup/unified"; "" */
	char systemd_mount[256];   /* v1 name=systemd hierarchy ("/sys/fs/cgroup/systemd"); "" */
	size_t n;
	struct cgroup_ctrl *ctrl;
};

int cgroup_read(const struct host *h, struct cgroup_info *out);
void cgroup_info_free(struct cgroup_info *c);
const char *cgroup_mode_name(enum cgroup_mode m);

/* The throttling counters of a group's cpu.stat: the v1 cpu controller
 * writes "nr_throttled N" and "throttled_time NS" (nanoseconds), v2
 * "nr_throttled N" and "throttled_usec US".  Other keys are skipped. */
struct cgroup_cpu_stat {
	bool v2;                   /* throttled_usec seen (else throttled_time) */
	uint64_t nr_periods;
	uint64_t nr_throttled;
	uint64_t throttled_ns;
};

/* Parses the text of a cpu.stat.  0, or -EINVAL with err naming file and
 * line: a value that is not a decimal count (or is past u64), a key given
 * twice, nr_throttled or the throttled time missing.  Never reads past len. */
int cgroup_cpu_stat_parse(const char *buf, size_t len, const char *file,
			  struct cgroup_cpu_stat *out, struct parse_error *err);
/* dir/cpu.stat read and parsed; -errno (err names the file) when unreadable. */
int cgroup_cpu_stat_read(const struct host *h, const char *dir, struct cgroup_cpu_stat *out,
			 struct parse_error *err);

/* The directory of process pid's cpu controller group: the v1 hierarchy
 * the cpu controller is mounted on (/proc/PID/cgroup's line naming "cpu"),
 * else the unified one ("0::/path") where it offers cpu.  0, or -ENOENT
 * with why (no cpu controller, the process gone). */
int cgroup_cpu_dir(const struct host *h, int pid, char *dir, size_t sz, char *why, size_t wsz);

#endif
