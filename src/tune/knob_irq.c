/* tune/knob_irq: IRQ affinity (knob_irq.h). */
#include "tune/knob_irq.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/errmsg.h"
#include "base/util.h"

static bool irq_target_ok(const char *t, char *why, size_t sz)
{
	if (knob_dec_ok(t, UINT32_MAX, NULL))
		return true;
	errmsg(why, sz, 0, "IRQ target \"%s\" is not an IRQ number", t);
	return false;
}

static bool irq_value_ok(const char *t, const char *v)
{
	return knob_cpulist_ok(v, false);
}

static bool irq_path(const char *t, char *out, size_t sz)
{
	return pathf(out, sz, "/proc/irq/%s/smp_affinity_list", t);
}

/* The kernel prints the list it was given in canonical form; a tree's
 * file may hold any form, compared as a set. */
static void irq_normalise(const char *t, const char *in, char *out, size_t sz)
{
	if (!knob_canonical_cpulist(in, out, sz))
		copy_str(out, sz, in);
}

static int irq_write_error(int err, const char *t, const char *val, char *why, size_t sz)
{
	return knob_irq_error(err, (unsigned)strtoul(t, NULL, 10), val, why, sz);
}

static bool irq_same(const char *a, const char *b)
{
	bool parsed;
	bool same = knob_same_cpulist(a, b, &parsed);
	return parsed ? same : !strcmp(a, b);
}

const struct knob_driver knob_irq_affinity = {
	.name = "irq_affinity",
	.target_ok = irq_target_ok,
	.value_ok = irq_value_ok,
	.path = irq_path,
	.normalise = irq_normalise,
	.write_error = irq_write_error,
	.same = irq_same,
};

int knob_irq_error(int err, unsigned irq, const char *cpus, char *why, size_t sz)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return errmsg(why, sz, 0, "%s", "");
	case EPERM:
		/* procfs refuses kernel-managed IRQs (multi-queue NVMe, virtio-blk
		 * and some NIC queues) before asking the chip */
		return errmsg(why, sz, -EPERM,
			      "IRQ %u is managed by the kernel: its affinity cannot be changed "
			      "from user space (EPERM)",
			      irq);
	case EIO:
		return errmsg(why, sz, -EIO,
			      "IRQ %u is managed by the kernel (or its chip cannot move it): "
			      "affinity unchanged (EIO)",
			      irq);
	case ENOSPC:
		return errmsg(why, sz, -ENOSPC,
			      "no free interrupt vector on the target CPUs for IRQ %u (ENOSPC): "
			      "choose more CPUs",
			      irq);
	case EINVAL:
		return errmsg(why, sz, -EINVAL,
			      "CPU list %s is not usable for IRQ %u (EINVAL: offline or outside "
			      "the allowed CPUs)",
			      cpus ? cpus : "", irq);
	case ENOENT:
		return errmsg(why, sz, -ENOENT, "IRQ %u no longer exists (/proc/irq/%u is gone)",
			      irq, irq);
	default:
		return errmsg(why, sz, -err, "/proc/irq/%u/smp_affinity_list: %s", irq,
			      strerror(err));
	}
}
