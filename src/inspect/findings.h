/* inspect/findings: rules over the host model that flag what delays an agent loop's
 * wakeups, each with its evidence and the profile knob that addresses it. */
#ifndef AGENTUNE_FINDINGS_H
#define AGENTUNE_FINDINGS_H

#include "inspect/model.h"

enum severity { SEV_INFO, SEV_WARN, SEV_CRIT };

struct finding {
	enum severity sev;
	char id[40];          /* stable: "deep-idle-unconstrained" */
	char title[200];
	char evidence[800];
	char knob[600];       /* "[pmqos] resume_latency_us" */
};

struct findings {
	size_t n, cap;
	struct finding *v;
};

/* Thresholds the rules use; documented in README.md. */
#define FIND_IDLE_EXIT_US 50          /* an idle state this deep costs a step */
#define FIND_CONCENTRATION 0.80       /* share on one CPU that counts as concentrated */
#define FIND_MIN_EVENTS 100           /* below this, shares are noise */
#define FIND_NET_BOUND_SHARE 0.50     /* net share of device IRQs for "network-bound" */
#define FIND_LOW_FLOOR 0.10           /* min freq within 10% of the range above cpuinfo_min */

int findings_eval(const struct model *m, struct findings *out);
void findings_free(struct findings *f);
const char *severity_name(enum severity s);

#endif
