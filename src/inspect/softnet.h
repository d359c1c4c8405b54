/* inspect/softnet: /proc/net/softnet_stat (hex, 9 to 13 columns by kernel version). */
#ifndef AGENTUNE_SOFTNET_H
#define AGENTUNE_SOFTNET_H

#include "base/host.h"
#include "base/util.h"

struct softnet_cpu {
	unsigned cpu;            /* from the 13th column when present, else the row index */
	bool cpu_from_kernel;    /* true when the kernel printed the CPU number */
	uint64_t processed, dropped, time_squeeze;
	uint64_t received_rps, flow_limit_count; /* NA_U64 on kernels without them */
	uint64_t backlog_len;    /* NA_U64 before 5.10 */
	unsigned columns;
};

struct softnet {
	size_t n;
	struct softnet_cpu *cpu;
};

int softnet_parse(const char *buf, size_t len, struct softnet *out, struct parse_error *err);
int softnet_read(const struct host *h, struct softnet *out, struct parse_error *err);
void softnet_free(struct softnet *s);

#endif
