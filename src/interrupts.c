/* interrupts: /proc/interrupts and /proc/irq/N/ files (interrupts.h).
 *
 * The file is split on white space, never on columns: labels are right-aligned
 * to a width that depends on nr_irqs, a count may touch its label
 * ("IPI0:2768808080"), and a 1152-CPU line is 12 KB.  The parser makes one
 * pass over the buffer and allocates once per line, never per count. */
#include "interrupts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IRQ_FILE "/proc/interrupts"
#define MAX_COLUMNS 65536

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

static const char *skip_space(const char *p, const char *e)
{
	while (p < e && is_space(*p))
		p++;
	return p;
}

/* Counts sit in space-padded columns ("%10u "): most of a wide file is
 * runs of spaces, so skip them eight at a time. */
static const char *skip_pad(const char *p, const char *e)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (e - p >= 8) {
		uint64_t w;
		memcpy(&w, p, sizeof(w));
		w ^= 0x2020202020202020ull;
		if (w) {
			p += __builtin_ctzll(w) / 8;
			break;
		}
		p += 8;
	}
#endif
	return skip_space(p, e);
}

static const char *tok_end(const char *p, const char *e)
{
	while (p < e && !is_space(*p))
		p++;
	return p;
}

/* Drops trailing white space (and the NULs a damaged file may hold). */
static const char *trim_end(const char *p, const char *e)
{
	while (e > p && (is_space(e[-1]) || e[-1] == '\0'))
		e--;
	return e;
}

static const char *line_end(const char *p, const char *e)
{
	const char *nl = memchr(p, '\n', (size_t)(e - p));
	return nl ? nl : e;
}

static bool all_digits(const char *p, const char *e)
{
	if (p == e)
		return false;
	for (; p < e; p++)
		if (!is_digit(*p))
			return false;
	return true;
}

/* Digits past 19, with overflow checks: only huge or zero-padded counts. */
static const char *long_tail(const char *p, const char *e, uint64_t *v, bool *over)
{
	for (; p < e && is_digit(*p); p++) {
		if (__builtin_mul_overflow(*v, 10, v) ||
		    __builtin_add_overflow(*v, (unsigned)(*p - '0'), v))
			*over = true;
	}
	return p;
}

/* One count at *pp.  1 with *pp past it; 0 when the token is not a number
 * (the row's text starts there); -ERANGE when it is digits past u64.
 * This is the hot loop of a 1024-CPU file: keep it tight. */
static inline __attribute__((always_inline)) int parse_count(const char **pp, const char *e,
								uint64_t *out)
{
	const char *p = *pp;
	unsigned d;

	if (p == e || (d = (unsigned char)*p - '0') > 9)
		return 0;
	uint64_t v = d;
	bool over = false;
	/* 19 digits always fit in u64. */
	const char *lim = e - p > 19 ? p + 19 : e;
	for (p++; p < lim && (d = (unsigned char)*p - '0') <= 9; p++)
		v = v * 10 + d;
	if (p == lim)
		p = long_tail(p, e, &v, &over);
	if (p < e && !is_space(*p))
		return 0;
	if (over)
		return -ERANGE;
	*out = v;
	*pp = p;
	return 1;
}

/* "CPU0 CPU1 CPU7 ...": the CPU number of each column. */
static int parse_header(const char *p, const char *e, struct interrupts *out,
			struct parse_error *err, int line)
{
	size_t cap = 0;

	for (p = skip_space(p, e); p < e; p = skip_space(p, e)) {
		const char *t = tok_end(p, e);
		uint64_t cpu;
		if (t - p < 4 || memcmp(p, "CPU", 3) || !all_digits(p + 3, t) || t - p > 12) {
			perr_set(err, IRQ_FILE, line, "no CPU header (\"%.*s\")",
				 (int)(t - p > 32 ? 32 : t - p), p);
			return -EINVAL;
		}
		if (out->ncpus == MAX_COLUMNS) {
			perr_set(err, IRQ_FILE, line, "more than %d CPU columns", MAX_COLUMNS);
			return -EINVAL;
		}
		const char *d = p + 3;
		if (parse_count(&d, t, &cpu) != 1 || cpu >= CPUMASK_MAX_CPUS) {
			perr_set(err, IRQ_FILE, line, "CPU number out of range");
			return -EINVAL;
		}
		if (out->ncpus == cap) {
			cap = cap ? cap * 2 : 64;
			unsigned *c = realloc(out->cpu, cap * sizeof(*c));
			if (!c)
				return -ENOMEM;
			out->cpu = c;
		}
		out->cpu[out->ncpus++] = (unsigned)cpu;
		p = t;
	}
	if (!out->ncpus) {
		perr_set(err, IRQ_FILE, line, "no CPU header");
		return -EINVAL;
	}
	return 0;
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
	const char *c = p, *ce = tok_end(p, e);
	const char *t2 = skip_space(ce, e), *t2e = tok_end(t2, e);
	const char *rest = ce;

	if (t2 < t2e) {
		const char *d = t2;
		while (d < t2e && is_digit(*d))
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
			const char *t3 = skip_space(t2e, e), *t3e = tok_end(t3, e);
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
	rest = skip_space(rest, e);
	copy_strn(l->name, sizeof(l->name), rest, (size_t)(e - rest));
}

/* A line "LABEL: counts... text".  Blank lines never get here. */
static int parse_row(const char *p, const char *e, struct interrupts *out,
		     struct irq_line *l, struct parse_error *err, int line)
{
	p = skip_space(p, e);
	const char *lab = p;
	while (p < e && *p != ':' && !is_space(*p))
		p++;
	if (p == e || *p != ':' || p == lab) {
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
	if (all_digits(lab, p)) {
		const char *d = lab;
		uint64_t irq;
		if (parse_count(&d, p, &irq) != 1 || irq > UINT32_MAX) {
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
	uint64_t total = 0;
	unsigned n = 0;
	for (p = skip_pad(p, e); p < e && n < out->ncpus; p = skip_pad(p, e)) {
		int rc = parse_count(&p, e, &l->counts[n]);
		if (rc < 0) {
			perr_set(err, IRQ_FILE, line, "count out of range (column %u)", n + 1);
			return -EINVAL;
		}
		if (rc == 0)
			break;
		/* Saturates: a total past u64 reads as unavailable. */
		if (__builtin_add_overflow(total, l->counts[n], &total))
			total = NA_U64;
		n++;
	}
	l->ncounts = n;
	l->total = total;

	e = trim_end(p, e);
	if (l->numbered && n > 0)
		parse_chip(p, e, l);
	else /* descriptions, and garbage where the counts should be */
		copy_strn(l->name, sizeof(l->name), p, (size_t)(e - p));
	return 0;
}

static struct irq_line *new_line(struct interrupts *out, size_t *cap)
{
	if (out->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct irq_line *v = realloc(out->lines, nc * sizeof(*v));
		if (!v)
			return NULL;
		out->lines = v;
		*cap = nc;
	}
	struct irq_line *l = &out->lines[out->n++];
	memset(l, 0, sizeof(*l));
	cpumask_init(&l->affinity);
	cpumask_init(&l->effective);
	l->node = -1;
	return l;
}

static bool blank(const char *p, const char *e)
{
	return skip_space(p, e) == e;
}

int interrupts_parse(const char *buf, size_t len, struct interrupts *out,
		     struct parse_error *err)
{
	const char *p = buf, *end = buf + len;
	int line = 1, rc = 0;
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	/* The header is the first line that is not blank. */
	for (;;) {
		const char *le = line_end(p, end);
		if (p == end || !blank(p, le)) {
			if (p == end) {
				perr_set(err, IRQ_FILE, 1, "empty file, no CPU header");
				return -EINVAL;
			}
			rc = parse_header(p, le, out, err, line);
			p = le < end ? le + 1 : end;
			break;
		}
		p = le < end ? le + 1 : end;
		line++;
	}
	while (!rc && p < end) {
		line++;
		const char *le = line_end(p, end);
		if (!blank(p, le)) {
			struct irq_line *l = new_line(out, &cap);
			rc = l ? parse_row(p, le, out, l, err, line) : -ENOMEM;
		}
		p = le < end ? le + 1 : end;
	}
	if (rc == -ENOMEM)
		perr_set(err, IRQ_FILE, line, "out of memory");
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

static void read_irq_files(const struct host *h, struct irq_line *l)
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

int interrupts_read(const struct host *h, struct interrupts *out, struct parse_error *err)
{
	size_t len;

	memset(out, 0, sizeof(*out));
	char *buf = host_read(h, IRQ_FILE, &len);
	if (!buf) {
		int e = errno ? errno : EIO;
		perr_set(err, IRQ_FILE, 0, "%s", strerror(e));
		return -e;
	}
	int rc = interrupts_parse(buf, len, out, err);
	free(buf);
	if (rc)
		return rc;
	for (size_t i = 0; i < out->n; i++)
		if (out->lines[i].numbered)
			read_irq_files(h, &out->lines[i]);
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
