/* diagnose/ksyms: kernel symbol names from /proc/kallsyms, to name the work function
 * a kworker ran when it woke the agent.  Addresses need root (kptr_restrict). */
#ifndef AGENTUNE_KSYMS_H
#define AGENTUNE_KSYMS_H

#include <stddef.h>
#include <stdint.h>

#include "base/host.h"

struct ksym {
	uint64_t addr;
	char *name;
};

struct ksyms {
	size_t n;
	struct ksym *v;      /* sorted by address */
	char *names;         /* one buffer holding every name */
};

/* 0, or -errno; an unreadable file or one with only zero addresses
 * (not root) gives -EPERM. */
int ksyms_read(const struct host *h, struct ksyms *out);
/* The function containing addr ("blk_mq_requeue_work"), or NULL. */
const char *ksyms_name(const struct ksyms *ks, uint64_t addr);
void ksyms_free(struct ksyms *ks);

#endif
