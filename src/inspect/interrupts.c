/* inspect/interrupts: /proc/interrupts and /proc/irq/N/ files (interrupts.h).
 *
 * The file is split on white space, never on columns: labels are right-aligned
 * to a width that depends on nr_irqs, a count may touch its label
 * ("IPI0:2768808080"), and a 1152-CPU line is 12 KB.  The parser makes one
 * pass over the buffer and allocates once per line, never per count. */
#include "inspect/interrupts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/procfs_text.h"

#define IRQ_FILE "/proc/interrupts"

/* Drops trailing white space (and the NULs a damaged file may hold). */
static const char *trim_end(const char *p, const char *e)
{
	while (e > p && (pt_is_space(e[-1]) || e[-1] == '\0'))
		e--;
	return e;
}

static void copy_lower(char *dst, size_t sz, const char *p, size_t n)
{
	copy_strn(dst, sz, p, n);
	for (char *c = dst; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
}

/* Flow handler names the kernel appends to the chip ("-edge") and the
 * trigger words of GENERIC_IRQ_SHOW_LEVEL ("Level", "Edge"). */
static bool known_trigger(const char *p, size_t n)
{
	static const char *const names[] = { "edge", "level", "fasteoi", "simple", "percpu" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strlen(names[i]) == n && !strncasecmp(p, names[i], n))
			return true;
	return false;
}

/* The text after the counts of a numbered row:
 *   x86     "IR-IO-APIC   2-edge      timer", "PCI-MSIX-0000:00:04.0   1-edge  virtio3-rx"
 *   old x86 "IR-PCI-MSI-edge      xhci_hcd" (chip and flow name joined, no hwirq)
 *   arm64   "GICv3  27 Level     arch_timer", "ARMH0061:00   3 Edge      ACPI:Event"
 *   s390    "PCI-MSI  mlx5_comp0@pci:0002:00:00.0" (no hwirq, no trigger)
 * The chip is always the first token; what follows it decides the rest. */
static void parse_chip(const char *p, const char *e, struct irq_line *l)
{
	const char *c = p, *ce = pt_tok_end(p, e);
	const char *t2 = pt_skip_space(ce, e), *t2e = pt_tok_end(t2, e);
	const char *rest = ce;

	if (t2 < t2e) {
		const char *d = t2;
		while (d < t2e && pt_is_digit(*d))
			d++;
		if (d < t2e && *d == '-' && d + 1 < t2e) {
			/* "2-edge", or "-edge" when the chip has no domain */
			copy_strn(l->hwirq, sizeof(l->hwirq), t2, (size_t)(d - t2));
			copy_lower(l->trigger, sizeof(l->trigger), d + 1, (size_t)(t2e - d - 1));
			rest = t2e;
		} else if (d == t2e) {
			/* "27 Level" or a bare hwirq */
			copy_strn(l->hwirq, sizeof(l->hwirq), t2, (size_t)(t2e - t2));
			rest = t2e;
			const char *t3 = pt_skip_space(t2e, e), *t3e = pt_tok_end(t3, e);
			if (t3 < t3e && known_trigger(t3, (size_t)(t3e - t3))) {
				copy_lower(l->trigger, sizeof(l->trigger), t3, (size_t)(t3e - t3));
				rest = t3e;
			}
		}
	}
	if (!l->trigger[0] && !l->hwirq[0]) {
		/* Old kernels: "IR-PCI-MSI-edge", "IO-APIC-fasteoi", "DMAR_MSI-edge". */
		const char *dash = ce;
		while (dash > c && dash[-1] != '-')
			dash--;
		if (dash > c + 1 && known_trigger(dash, (size_t)(ce - dash))) {
			copy_lower(l->trigger, sizeof(l->trigger), dash, (size_t)(ce - dash));
			ce = dash - 1;
		}
	}
	copy_strn(l->chip, sizeof(l->chip), c, (size_t)(ce - c));
	rest = pt_skip_space(rest, e);
	copy_strn(l->name, sizeof(l->name), rest, (size_t)(e - rest));
}

/* A line "LABEL: counts... text".  Blank lines never get here. */
static int parse_row(const char *p, const char *e, struct interrupts *out,
		     struct irq_line *l, struct parse_error *err, int line)
{
	const char *lab;
	p = pt_label(p, e, &lab);
	if (!p) {
		perr_set(err, IRQ_FILE, line, "no \"LABEL:\" at the start of the line");
		return -EINVAL;
	}
	size_t llen = (size_t)(p - lab);
	if (llen >= sizeof(l->label)) {
		perr_set(err, IRQ_FILE, line, "label longer than %zu characters",
			 sizeof(l->label) - 1);
		return -EINVAL;
	}
	copy_strn(l->label, sizeof(l->label), lab, llen);
	if (pt_all_digits(lab, p)) {
		uint64_t irq;
		if (pt_count_at(lab, p, &irq) != 1 || irq > UINT32_MAX) {
			perr_set(err, IRQ_FILE, line, "IRQ number out of range");
			return -EINVAL;
		}
		l->numbered = true;
		l->irq = (unsigned)irq;
	}
	p++;

	l->counts = calloc(out->ncpus, sizeof(*l->counts));
	if (!l->counts)
		return -ENOMEM;
	/* The counts end at the first token that is not one: the text. */
	uint64_t c;
	unsigned n = pt_counts(&p, e, l->counts, out->ncpus, &l->total);
	if (n < out->ncpus && pt_count_at(p, e, &c) < 0) {
		perr_set(err, IRQ_FILE, line, "count out of range (column %u)", n + 1);
		return -EINVAL;
	}
	l->ncounts = n;

	e = trim_end(p, e);
	if (l->numbered && n > 0)
		parse_chip(p, e, l);
	else /* descriptions, and garbage where the counts should be */
		copy_strn(l->name, sizeof(l->name), p, (size_t)(e - p));
	return 0;
}

static struct irq_line *new_line(struct interrupts *out, size_t *cap)
{
	struct irq_line *v = grow(out->lines, out->n, cap, sizeof(*v), 64);
	if (!v)
		return NULL;
	out->lines = v;
	struct irq_line *l = &out->lines[out->n++];
	memset(l, 0, sizeof(*l));
	cpumask_init(&l->affinity);
	cpumask_init(&l->effective);
	l->node = -1;
	return l;
}

int interrupts_parse(const char *buf, size_t len, struct interrupts *out,
		     struct parse_error *err)
{
	struct pt_lines it = PT_LINES(buf, len);
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	int rc = pt_header(&it, &out->cpu, &out->ncpus, IRQ_FILE, err);
	while (!rc && pt_next_line(&it)) {
		struct irq_line *l = new_line(out, &cap);
		rc = l ? parse_row(it.s, it.e, out, l, err, it.line) : -ENOMEM;
	}
	if (rc == -ENOMEM)
		perr_set(err, IRQ_FILE, it.line, "out of memory");
	if (rc)
		interrupts_free(out);
	return rc;
}

/* /proc/irq/N/<list>, or the hex mask file beside it on kernels without
 * the _list form.  Any failure leaves the mask "unavailable". */
static bool read_mask(const struct host *h, unsigned irq, const char *list,
		      const char *hex, struct cpumask *m)
{
	char path[64];
	size_t len;
	bool is_list = true;

	snprintf(path, sizeof(path), "/proc/irq/%u/%s", irq, list);
	char *s = host_read(h, path, &len);
	if (!s) {
		snprintf(path, sizeof(path), "/proc/irq/%u/%s", irq, hex);
		s = host_read(h, path, &len);
		is_list = false;
	}
	if (!s)
		return false;
	int rc = is_list ? cpulist_parse(s, m) : cpumask_parse_hex(s, m);
	free(s);
	if (rc)
		cpumask_clear(m);
	return rc == 0;
}

void interrupts_read_irq_files(const struct host *h, struct irq_line *l)
{
	char path[64];
	int64_t node;

	l->has_affinity = read_mask(h, l->irq, "smp_affinity_list", "smp_affinity",
				    &l->affinity);
	l->has_effective = read_mask(h, l->irq, "effective_affinity_list",
				     "effective_affinity", &l->effective);
	snprintf(path, sizeof(path), "/proc/irq/%u/node", l->irq);
	if (host_read_s64(h, path, &node) == 0 && node >= -1 && node <= INT32_MAX)
		l->node = (int)node;
}

int interrupts_read_counts(const struct host *h, struct interrupts *out,
			   struct parse_error *err)
{
	char *buf;
	size_t len;

	memset(out, 0, sizeof(*out));
	int rc = pt_read(h, IRQ_FILE, &buf, &len, err);
	if (rc)
		return rc;
	rc = interrupts_parse(buf, len, out, err);
	free(buf);
	return rc;
}

int interrupts_read(const struct host *h, struct interrupts *out, struct parse_error *err)
{
	int rc = interrupts_read_counts(h, out, err);

	if (rc)
		return rc;
	for (size_t i = 0; i < out->n; i++)
		if (out->lines[i].numbered)
			interrupts_read_irq_files(h, &out->lines[i]);
	return 0;
}

void interrupts_free(struct interrupts *irqs)
{
	if (!irqs)
		return;
	for (size_t i = 0; i < irqs->n; i++) {
		free(irqs->lines[i].counts);
		cpumask_free(&irqs->lines[i].affinity);
		cpumask_free(&irqs->lines[i].effective);
	}
	free(irqs->lines);
	free(irqs->cpu);
	memset(irqs, 0, sizeof(*irqs));
}

const struct irq_line *interrupts_find(const struct interrupts *irqs, unsigned irq)
{
	for (size_t i = 0; i < irqs->n; i++)
		if (irqs->lines[i].numbered && irqs->lines[i].irq == irq)
			return &irqs->lines[i];
	return NULL;
}

int interrupts_column(const struct interrupts *irqs, unsigned cpu)
{
	/* Columns are usually CPU0..CPUn-1 in order: try the direct slot first. */
	if (cpu < irqs->ncpus && irqs->cpu[cpu] == cpu)
		return (int)cpu;
	for (unsigned i = 0; i < irqs->ncpus; i++)
		if (irqs->cpu[i] == cpu)
			return (int)i;
	return -1;
}
