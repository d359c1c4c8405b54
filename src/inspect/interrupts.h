/* inspect/interrupts: /proc/interrupts and /proc/irq/N/{smp_affinity_list,
 * effective_affinity_list,node}. */
#ifndef AGENTUNE_INTERRUPTS_H
#define AGENTUNE_INTERRUPTS_H

#include "base/cpumask.h"
#include "base/host.h"
#include "base/util.h"

struct irq_line {
	char label[32];      /* "41", "LOC", "IPI0", "EXT", "I/O" */
	bool numbered;       /* the label is an IRQ number */
	unsigned irq;        /* valid when numbered */
	uint64_t *counts;    /* one per CPU column; columns missing on a short row are 0 */
	unsigned ncounts;    /* how many counts the row really had (ERR: has 1) */
	uint64_t total;
	char chip[64];       /* "IR-IO-APIC", "PCI-MSIX-0000:00:04.0", "GICv3", "" */
	char hwirq[32];      /* "1", "114688", "27", "" when the kernel does not print it */
	char trigger[16];    /* "edge", "level", "fasteoi", "" (lower case) */
	char name[256];      /* actions ("virtio3-rx", "ehci_hcd:usb1, mmc0") or, for
	                      * special rows, the description ("Local timer interrupts") */
	/* From /proc/irq/N; has_* false when the file is absent or unreadable. */
	bool has_affinity, has_effective;
	struct cpumask affinity, effective;
	int node;            /* -1 when unknown */
};

struct interrupts {
	unsigned ncpus;      /* CPU columns in the header */
	unsigned *cpu;       /* CPU number of each column ("CPU7" -> 7) */
	size_t n;
	struct irq_line *lines;
};

/* Parses the text of /proc/interrupts.  0, or -EINVAL with err naming the
 * line (no header, a count out of range, ...).  Never reads past len. */
int interrupts_parse(const char *buf, size_t len, struct interrupts *out,
		     struct parse_error *err);
/* Reads /proc/interrupts and, for numbered IRQs, /proc/irq/N/ files. */
int interrupts_read(const struct host *h, struct interrupts *out, struct parse_error *err);
/* Its two halves, for a caller that refreshes the counts often and wants
 * the per-IRQ files only for some lines (top): /proc/interrupts alone, and
 * one numbered line's affinity, effective affinity and node. */
int interrupts_read_counts(const struct host *h, struct interrupts *out,
			   struct parse_error *err);
void interrupts_read_irq_files(const struct host *h, struct irq_line *l);
void interrupts_free(struct interrupts *irqs);
const struct irq_line *interrupts_find(const struct interrupts *irqs, unsigned irq);
/* Column index of CPU cpu, or -1. */
int interrupts_column(const struct interrupts *irqs, unsigned cpu);

#endif
