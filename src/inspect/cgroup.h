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

#endif
