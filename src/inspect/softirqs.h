/* inspect/softirqs: /proc/softirqs. */
#ifndef AGENTUNE_SOFTIRQS_H
#define AGENTUNE_SOFTIRQS_H

#include "base/host.h"
#include "base/util.h"

struct softirq_vec {
	char name[24];       /* "NET_RX", "TIMER", "IRQ_POLL" or old "BLOCK_IOPOLL" */
	uint64_t *counts;    /* one per CPU column */
	uint64_t total;
};

struct softirqs {
	unsigned ncpus;
	unsigned *cpu;       /* CPU number of each column */
	size_t n;
	struct softirq_vec *vec;
};

int softirqs_parse(const char *buf, size_t len, struct softirqs *out, struct parse_error *err);
int softirqs_read(const struct host *h, struct softirqs *out, struct parse_error *err);
void softirqs_free(struct softirqs *s);
const struct softirq_vec *softirqs_find(const struct softirqs *s, const char *name);

#endif
