/* tune/knob_irq: the irq_affinity driver, an IRQ's smp_affinity_list.
 *
 *   target "38"  ->  /proc/irq/38/smp_affinity_list, value a CPU list
 */
#ifndef AGENTUNE_TUNE_KNOB_IRQ_H
#define AGENTUNE_TUNE_KNOB_IRQ_H

#include "tune/knob_driver.h"

extern const struct knob_driver knob_irq_affinity;

/* The reason a write of cpus to IRQ irq's affinity failed with err (an
 * errno, either sign): EIO (a managed IRQ, or a chip that cannot move it),
 * EPERM, ENOSPC (no free vector on those CPUs), EINVAL (CPUs offline or not
 * allowed) and ENOENT are explained; anything else is strerror with the
 * path.  Returns -|err|. */
int knob_irq_error(int err, unsigned irq, const char *cpus, char *why, size_t sz);

#endif
