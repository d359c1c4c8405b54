/* base/cpumask: sets of CPU numbers of any width, and the kernel's two text forms
 * of them: CPU lists ("0-3,8,10-11") and hex masks ("ff,00000001"). */
#ifndef AGENTUNE_CPUMASK_H
#define AGENTUNE_CPUMASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPUMASK_MAX_CPUS 65536 /* larger numbers are input errors */

struct cpumask {
	uint64_t *w;
	unsigned nwords;
};

void cpumask_init(struct cpumask *m);
void cpumask_free(struct cpumask *m);
void cpumask_clear(struct cpumask *m);
int cpumask_set(struct cpumask *m, unsigned cpu);
void cpumask_unset(struct cpumask *m, unsigned cpu);
bool cpumask_test(const struct cpumask *m, unsigned cpu);
unsigned cpumask_weight(const struct cpumask *m);
bool cpumask_empty(const struct cpumask *m);
/* Next CPU after prev (-1 to start); -1 when none:
 * for (int c = cpumask_next(m, -1); c >= 0; c = cpumask_next(m, c)) */
int cpumask_next(const struct cpumask *m, int prev);
int cpumask_copy(struct cpumask *dst, const struct cpumask *src);
bool cpumask_equal(const struct cpumask *a, const struct cpumask *b);
/* dst |= src.  0 or -ENOMEM. */
int cpumask_or(struct cpumask *dst, const struct cpumask *src);
/* dst = a & b, or a & ~b with not_b (dst may not be a or b).  0 or -ENOMEM. */
int cpumask_and(struct cpumask *dst, const struct cpumask *a, const struct cpumask *b,
		bool not_b);
bool cpumask_subset(const struct cpumask *sub, const struct cpumask *super);
bool cpumask_intersects(const struct cpumask *a, const struct cpumask *b);

/* "0-3,8".  Empty input, white space, a NUL, or "(null)" give an empty set.
 * -EINVAL on anything else that is not a list; -ERANGE past CPUMASK_MAX_CPUS. */
int cpulist_parse(const char *s, struct cpumask *m);
/* "ff,00000001" (32-bit words, most significant first, as in smp_affinity). */
int cpumask_parse_hex(const char *s, struct cpumask *m);
/* Canonical list; returns the length it needs, like snprintf. */
int cpulist_format(const struct cpumask *m, char *buf, size_t sz);
/* Canonical list as a malloc'd string (NULL on ENOMEM). */
char *cpulist_str(const struct cpumask *m);

#endif
