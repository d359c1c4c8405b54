/* Unit tests: /proc/interrupts and /proc/irq/N/ files. */
#include "testutil.h"
#include "inspect/interrupts.h"

/* The sum every reader must agree with: saturating, like the parser. */
static uint64_t sum_counts(const struct irq_line *l, unsigned ncpus)
{
	uint64_t s = 0;
	for (unsigned i = 0; i < ncpus; i++)
		if (__builtin_add_overflow(s, l->counts[i], &s))
			return NA_U64;
	return s;
}

static void check_invariants(const struct interrupts *irqs)
{
	assert_true(irqs->ncpus > 0);
	assert_non_null(irqs->cpu);
	for (size_t i = 0; i < irqs->n; i++) {
		const struct irq_line *l = &irqs->lines[i];
		assert_true(l->label[0] != '\0');
		assert_true(l->ncounts <= irqs->ncpus);
		for (unsigned c = l->ncounts; c < irqs->ncpus; c++)
			assert_true(l->counts[c] == 0);
		assert_true(l->total == sum_counts(l, irqs->ncpus));
		if (!l->numbered)
			assert_string_equal(l->chip, "");
		assert_true(l->node >= -1);
	}
}

static const struct irq_line *by_label(const struct interrupts *irqs, const char *label)
{
	for (size_t i = 0; i < irqs->n; i++)
		if (!strcmp(irqs->lines[i].label, label))
			return &irqs->lines[i];
	return NULL;
}

static int parse_str(const char *s, struct interrupts *out, struct parse_error *err)
{
	size_t len;
	char *buf = unterminated(s, &len);
	int rc = interrupts_parse(buf, len, out, err);
	free(buf);
	return rc;
}

/* ---- inline text: every form the kernel prints ---- */

static void x86_forms(void **state)
{
	const char *text =
		"            CPU0       CPU2       CPU5       \n"
		"   0:         38          0          7  IR-IO-APIC    2-edge      timer\n"
		"  11:          1          2          3   PCI-MSIX-0000:00:04.0   1-edge  virtio3-rx\n"
		"  24:          0          0          0   PCI-MSI 114688-edge      virtio5-config\n"
		"  27:     836947        157          0  IR-PCI-MSI-edge      0000:00:1f.2\n"
		"  28:          0          0          0  IR-PCI-MSI 475136-edge      PCIe PME, aerdrv\n"
		"  30:          0          0          0      None    -edge      \n"
		"  31:          5          0          0  IR-IO-APIC  31-fasteoi\n"
		"\n"
		" NMI:        553        203          1   Non-maskable interrupts\n"
		" ERR:          0\n"
		" MIS:          7\n"
		"    \n";
	struct interrupts irqs;
	struct parse_error err;
	assert_int_equal(parse_str(text, &irqs, &err), 0);
	check_invariants(&irqs);
	assert_int_equal(irqs.ncpus, 3);
	assert_int_equal(irqs.cpu[1], 2);
	assert_int_equal(irqs.cpu[2], 5);
	assert_int_equal(irqs.n, 10);

	const struct irq_line *l = interrupts_find(&irqs, 0);
	assert_non_null(l);
	assert_true(l->numbered);
	assert_string_equal(l->chip, "IR-IO-APIC");
	assert_string_equal(l->hwirq, "2");
	assert_string_equal(l->trigger, "edge");
	assert_string_equal(l->name, "timer");
	assert_int_equal(l->total, 45);
	assert_int_equal(l->counts[interrupts_column(&irqs, 5)], 7);

	l = interrupts_find(&irqs, 11);
	assert_string_equal(l->chip, "PCI-MSIX-0000:00:04.0");
	assert_string_equal(l->hwirq, "1");
	assert_string_equal(l->trigger, "edge");
	assert_string_equal(l->name, "virtio3-rx");

	l = interrupts_find(&irqs, 24);
	assert_string_equal(l->chip, "PCI-MSI");
	assert_string_equal(l->hwirq, "114688");
	assert_string_equal(l->name, "virtio5-config");

	l = interrupts_find(&irqs, 27);
	assert_string_equal(l->chip, "IR-PCI-MSI");
	assert_string_equal(l->hwirq, "");
	assert_string_equal(l->trigger, "edge");
	assert_string_equal(l->name, "0000:00:1f.2");

	l = interrupts_find(&irqs, 28);
	assert_string_equal(l->name, "PCIe PME, aerdrv");

	/* A chip without a domain: no hwirq, the flow name after a dash. */
	l = interrupts_find(&irqs, 30);
	assert_string_equal(l->chip, "None");
	assert_string_equal(l->hwirq, "");
	assert_string_equal(l->trigger, "edge");
	assert_string_equal(l->name, "");

	l = interrupts_find(&irqs, 31);
	assert_string_equal(l->trigger, "fasteoi");
	assert_string_equal(l->name, "");

	l = by_label(&irqs, "NMI");
	assert_false(l->numbered);
	assert_string_equal(l->name, "Non-maskable interrupts");
	assert_int_equal(l->total, 757);
	l = by_label(&irqs, "MIS");
	assert_int_equal(l->ncounts, 1);
	assert_int_equal(l->counts[0], 7);
	assert_int_equal(l->counts[1], 0);
	assert_string_equal(l->name, "");

	assert_null(interrupts_find(&irqs, 1));
	assert_int_equal(interrupts_column(&irqs, 0), 0);
	assert_int_equal(interrupts_column(&irqs, 2), 1);
	assert_int_equal(interrupts_column(&irqs, 1), -1);
	assert_int_equal(interrupts_column(&irqs, 99), -1);
	interrupts_free(&irqs);
}

static void arm64_and_s390_forms(void **state)
{
	const char *text =
		"           CPU0       CPU1\n"
		"EXT:      31903      57022 \n"
		"I/O:       6989      33457 \n"
		" 10: 3287008667 3310445093     GICv3  27 Level     arch_timer\n"
		" 50:          0          0  ARMH0061:00   3 Edge      ACPI:Event\n"
		" 51:         13          0   ITS-MSI 65536 Edge      nvme0q0\n"
		"  4:          0          0   PCI-MSI  mlx5_comp0@pci:0002:00:00.0\n"
		"IPI0:2768808080 2844211768       Rescheduling interrupts\n"
		"CLK:       2876       2246   [EXT] Clock Comparator\n"
		"Err:          0\n";
	struct interrupts irqs;
	struct parse_error err;
	assert_int_equal(parse_str(text, &irqs, &err), 0);
	check_invariants(&irqs);
	assert_int_equal(irqs.n, 9);
	assert_string_equal(irqs.lines[0].label, "EXT");
	assert_false(irqs.lines[0].numbered);
	assert_int_equal(irqs.lines[0].total, 31903 + 57022);
	assert_string_equal(irqs.lines[1].label, "I/O");

	const struct irq_line *l = interrupts_find(&irqs, 10);
	assert_string_equal(l->chip, "GICv3");
	assert_string_equal(l->hwirq, "27");
	assert_string_equal(l->trigger, "level");
	assert_string_equal(l->name, "arch_timer");
	assert_true(l->total == 3287008667ull + 3310445093ull);

	l = interrupts_find(&irqs, 50);
	assert_string_equal(l->chip, "ARMH0061:00");
	assert_string_equal(l->hwirq, "3");
	assert_string_equal(l->trigger, "edge");
	assert_string_equal(l->name, "ACPI:Event");

	l = interrupts_find(&irqs, 51);
	assert_string_equal(l->chip, "ITS-MSI");
	assert_string_equal(l->hwirq, "65536");

	l = interrupts_find(&irqs, 4);
	assert_string_equal(l->chip, "PCI-MSI");
	assert_string_equal(l->hwirq, "");
	assert_string_equal(l->trigger, "");
	assert_string_equal(l->name, "mlx5_comp0@pci:0002:00:00.0");

	l = by_label(&irqs, "IPI0");
	assert_int_equal(l->ncounts, 2);
	assert_true(l->counts[0] == 2768808080ull);
	assert_string_equal(l->name, "Rescheduling interrupts");
	assert_string_equal(by_label(&irqs, "CLK")->name, "[EXT] Clock Comparator");
	assert_int_equal(by_label(&irqs, "Err")->ncounts, 1);
	interrupts_free(&irqs);
}

static void short_and_garbage_rows(void **state)
{
	const char *text =
		"           CPU0       CPU1       CPU2       CPU3\n"
		"  0:         49          0   IO-APIC   2-edge      timer\n"
		"  1:        1x3       0x10   IO-APIC   1-edge      i8042\n"
		"NMI:        n/a        n/a   Non-maskable interrupts\n"
		" 99:\n";
	struct interrupts irqs;
	struct parse_error err;
	assert_int_equal(parse_str(text, &irqs, &err), 0);
	check_invariants(&irqs);
	const struct irq_line *l = interrupts_find(&irqs, 0);
	assert_int_equal(l->ncounts, 2);
	assert_string_equal(l->chip, "IO-APIC");
	assert_string_equal(l->name, "timer");
	/* Garbage where the counts should be: kept as text, zero counts. */
	l = interrupts_find(&irqs, 1);
	assert_int_equal(l->ncounts, 0);
	assert_int_equal(l->total, 0);
	assert_string_equal(l->chip, "");
	assert_string_equal(l->name, "1x3       0x10   IO-APIC   1-edge      i8042");
	assert_string_equal(by_label(&irqs, "NMI")->name,
			    "n/a        n/a   Non-maskable interrupts");
	l = interrupts_find(&irqs, 99);
	assert_int_equal(l->ncounts, 0);
	assert_string_equal(l->name, "");
	interrupts_free(&irqs);
}

static void expect_error(const char *text, int line, const char *what)
{
	struct interrupts irqs;
	struct parse_error err;
	memset(&err, 0, sizeof(err));
	assert_parse_error(parse_str(text, &irqs, &err), &err, "/proc/interrupts", line, what);
	/* A failed parse leaves nothing to free. */
	assert_int_equal(irqs.n, 0);
	assert_null(irqs.lines);
	interrupts_free(&irqs);
}

static void errors(void **state)
{
	expect_error("", 1, "no CPU header");
	expect_error("\n\n   \n", 1, "no CPU header");
	expect_error("\n   ", 1, "no CPU header");
	expect_error("  0:  5  IO-APIC 2-edge timer\n", 1, "no CPU header");
	expect_error("    CPU0 CPUx\n", 1, "no CPU header");
	expect_error("    CPU0 CPU99999999\n", 1, "out of range");
	expect_error("   CPU0  CPU1\n  0:  1  99999999999999999999999  IO-APIC 2-edge timer\n", 2,
		     "count out of range");
	expect_error("   CPU0  CPU1\n  0:  1  18446744073709551616  IO-APIC 2-edge timer\n", 2,
		     "count out of range");
	expect_error("   CPU0\n  0:  1  IO-APIC 2-edge timer\n\n  garbage line\n", 4, "LABEL");
	expect_error("   CPU0\nABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:  1\n", 2, "label");
	expect_error("   CPU0\n99999999999: 1\n", 2, "IRQ number");
}

static void max_u64_count(void **state)
{
	struct interrupts irqs;
	struct parse_error err;
	assert_int_equal(parse_str("   CPU0 CPU1\nLOC: 18446744073709551615 1\n"
				   "RES: 00000000000000000000000042 1\n",
				   &irqs, &err), 0);
	assert_true(irqs.lines[0].counts[0] == UINT64_MAX);
	/* The total does not fit: it reads as unavailable rather than wrapping. */
	assert_true(irqs.lines[0].total == NA_U64);
	assert_int_equal(irqs.lines[1].counts[0], 42);
	interrupts_free(&irqs);
}

static void too_many_columns(void **state)
{
	size_t sz = 65537 * 12 + 16, off = 0;
	char *s = malloc(sz);
	assert_non_null(s);
	for (unsigned i = 0; i < 65537; i++)
		off += (size_t)snprintf(s + off, sz - off, " CPU%u", i);
	snprintf(s + off, sz - off, "\n");
	expect_error(s, 1, "more than 65536");
	/* Exactly 65536 columns is still a header. */
	char *last = strrchr(s, ' ');
	strcpy(last, "\n");
	struct interrupts irqs;
	struct parse_error err;
	assert_int_equal(parse_str(s, &irqs, &err), 0);
	assert_int_equal(irqs.ncpus, 65536);
	assert_int_equal(irqs.cpu[65535], 65535);
	assert_int_equal(interrupts_column(&irqs, 40000), 40000);
	interrupts_free(&irqs);
	free(s);
}

static void stops_at_len(void **state)
{
	const char *text = "   CPU0  CPU1\n  0:  10  20  IO-APIC  2-edge  timer\n";
	struct interrupts irqs;
	struct parse_error err;
	/* Cut inside the second count: the row is short, not garbage. */
	size_t len = strlen("   CPU0  CPU1\n  0:  10  2");
	char *buf = malloc(len);
	memcpy(buf, text, len);
	assert_int_equal(interrupts_parse(buf, len, &irqs, &err), 0);
	free(buf);
	assert_int_equal(irqs.n, 1);
	assert_int_equal(irqs.lines[0].ncounts, 2);
	assert_int_equal(irqs.lines[0].counts[1], 2);
	interrupts_free(&irqs);
}

/* ---- the shared captures ---- */

static void all_shared_trees(void **state)
{
	int seen = 0;
	struct shared_iter it;
	for (shared_first(&it); shared_next(&it);) {
		struct interrupts irqs;
		struct parse_error err;
		int rc = interrupts_read(&it.h, &irqs, &err);
		if (!host_exists(&it.h, "/proc/interrupts")) {
			assert_int_equal(rc, -ENOENT);
			assert_string_equal(err.file, "/proc/interrupts");
			assert_int_equal(err.line, 0);
		} else {
			if (rc)
				fprintf(stderr, "%s: %s line %d: %s\n", it.name, err.file,
					err.line, err.msg);
			assert_int_equal(rc, 0);
			check_invariants(&irqs);
			assert_true(irqs.n > 0);
			for (size_t k = 0; k < irqs.n; k++) {
				/* No capture holds /proc/irq/N. */
				assert_false(irqs.lines[k].has_affinity);
				assert_int_equal(irqs.lines[k].node, -1);
			}
			seen++;
		}
		interrupts_free(&irqs);
	}
	assert_int_equal(seen, 7);
}

static void graviton_arm64(void **state)
{
	struct host h;
	OPEN_SHARED(&h, "node-exporter-aarch64-graviton-ena");
	struct interrupts irqs;
	struct parse_error err;
	assert_int_equal(interrupts_read(&h, &irqs, &err), 0);
	assert_int_equal(irqs.ncpus, 8);
	/* The last line holds only spaces: not a row. */
	assert_int_equal(irqs.n, 59);
	const struct irq_line *l = interrupts_find(&irqs, 51);
	assert_string_equal(l->chip, "ITS-MSI");
	assert_string_equal(l->hwirq, "65536");
	assert_string_equal(l->trigger, "edge");
	assert_string_equal(l->name, "nvme0q0");
	assert_int_equal(l->total, 37);
	l = interrupts_find(&irqs, 10);
	assert_string_equal(l->chip, "GICv3");
	assert_string_equal(l->hwirq, "27");
	assert_string_equal(l->trigger, "level");
	assert_true(l->total == 26767542953ull);
	l = interrupts_find(&irqs, 50);
	assert_string_equal(l->chip, "ARMH0061:00");
	assert_string_equal(l->hwirq, "3");
	l = interrupts_find(&irqs, 57);
	assert_string_equal(l->name, "ena-mgmnt@pci:0000:00:05.0");
	l = by_label(&irqs, "IPI0");
	assert_true(l->counts[0] == 2768808080ull);
	assert_true(l->total == 22166462124ull);
	assert_string_equal(by_label(&irqs, "IPI3")->name, "CPU stop (for crash dump) interrupts");
	assert_int_equal(by_label(&irqs, "Err")->ncounts, 1);
	interrupts_free(&irqs);
	host_close(&h);
}

static void old_x86_joined_chip(void **state)
{
	struct host h;
	OPEN_SHARED(&h, "node-exporter-fixtures");
	struct interrupts irqs;
	struct parse_error err;
	assert_int_equal(interrupts_read(&h, &irqs, &err), 0);
	assert_int_equal(irqs.ncpus, 4);
	const struct irq_line *l = interrupts_find(&irqs, 42);
	assert_string_equal(l->chip, "IR-PCI-MSI");
	assert_string_equal(l->trigger, "edge");
	assert_string_equal(l->hwirq, "");
	assert_string_equal(l->name, "xhci_hcd");
	assert_int_equal(l->total, 378324 + 1734637 + 440240 + 2434308);
	l = interrupts_find(&irqs, 9);
	assert_string_equal(l->chip, "IR-IO-APIC");
	assert_string_equal(l->trigger, "fasteoi");
	l = interrupts_find(&irqs, 16);
	assert_string_equal(l->name, "ehci_hcd:usb1, mmc0");
	l = interrupts_find(&irqs, 40);
	assert_string_equal(l->chip, "DMAR_MSI");
	assert_string_equal(l->trigger, "edge");
	assert_int_equal(by_label(&irqs, "ERR")->ncounts, 1);
	assert_int_equal(by_label(&irqs, "MIS")->ncounts, 1);
	assert_int_equal(by_label(&irqs, "LOC")->counts[3], 130980079);
	interrupts_free(&irqs);
	host_close(&h);
}

static void s390_mlx5(void **state)
{
	struct host h;
	OPEN_SHARED(&h, "pcp-16cpu-s390x-mlx5");
	struct interrupts irqs;
	struct parse_error err;
	assert_int_equal(interrupts_read(&h, &irqs, &err), 0);
	check_invariants(&irqs);
	assert_int_equal(irqs.ncpus, 16);
	/* Named rows before the numbered block... */
	assert_string_equal(irqs.lines[0].label, "EXT");
	assert_string_equal(irqs.lines[1].label, "I/O");
	assert_string_equal(irqs.lines[2].label, "AIO");
	assert_int_equal(irqs.lines[0].counts[0], 30368);
	assert_string_equal(irqs.lines[0].name, "");
	const struct irq_line *l = interrupts_find(&irqs, 4);
	assert_string_equal(l->chip, "PCI-MSI");
	assert_string_equal(l->name, "mlx5_comp0@pci:0002:00:00.0");
	assert_string_equal(l->hwirq, "");
	assert_string_equal(l->trigger, "");
	l = interrupts_find(&irqs, 23);
	assert_string_equal(l->chip, "PCI-MSI");
	assert_string_equal(l->name, "0000:00:00.0");
	/* ... and after it. */
	assert_string_equal(by_label(&irqs, "CLK")->name, "[EXT] Clock Comparator");
	assert_string_equal(by_label(&irqs, "RST")->name, "[CPU] CPU Restart");
	assert_false(by_label(&irqs, "RST")->numbered);
	interrupts_free(&irqs);
	host_close(&h);
}

static void s390_no_numbered(void **state)
{
	struct host h;
	OPEN_SHARED(&h, "pcp-2cpu-s390x");
	struct interrupts irqs;
	struct parse_error err;
	assert_int_equal(interrupts_read(&h, &irqs, &err), 0);
	assert_int_equal(irqs.ncpus, 2);
	assert_int_equal(irqs.n, 2);
	for (size_t i = 0; i < irqs.n; i++)
		assert_false(irqs.lines[i].numbered);
	assert_string_equal(irqs.lines[1].label, "I/O");
	assert_int_equal(irqs.lines[1].counts[1], 33457);
	assert_int_equal(irqs.lines[0].total, 31903 + 57022);
	interrupts_free(&irqs);
	host_close(&h);
}

static void procfs_testdata_blank_line(void **state)
{
	struct host h;
	OPEN_SHARED(&h, "procfs-testdata");
	struct interrupts irqs;
	struct parse_error err;
	assert_int_equal(interrupts_read(&h, &irqs, &err), 0);
	/* 48 lines after the header, one of them empty. */
	assert_int_equal(irqs.n, 47);
	assert_string_equal(irqs.lines[irqs.n - 1].label, "PIW");
	assert_string_equal(interrupts_find(&irqs, 29)->name, "ahci[0000:00:1f.2]");
	assert_string_equal(interrupts_find(&irqs, 25)->name, "virtio5-req.0");
	assert_string_equal(interrupts_find(&irqs, 25)->hwirq, "114689");
	interrupts_free(&irqs);
	host_close(&h);
}

static void kvm_one_cpu_and_laptop(void **state)
{
	struct host h;
	OPEN_SHARED(&h, "pcp-1cpu-i686-kvm");
	struct interrupts irqs;
	struct parse_error err;
	assert_int_equal(interrupts_read(&h, &irqs, &err), 0);
	assert_int_equal(irqs.ncpus, 1);
	const struct irq_line *l = interrupts_find(&irqs, 24);
	assert_string_equal(l->chip, "PCI-MSI");
	assert_string_equal(l->hwirq, "81920");
	assert_string_equal(l->name, "ahci[0000:00:05.0]");
	assert_string_equal(interrupts_find(&irqs, 10)->name, "virtio0, qxl");
	assert_int_equal(interrupts_find(&irqs, 11)->total, 307009);
	interrupts_free(&irqs);
	host_close(&h);

	OPEN_SHARED(&h, "pcp-8cpu-x86_64-laptop");
	assert_int_equal(interrupts_read(&h, &irqs, &err), 0);
	assert_int_equal(irqs.ncpus, 8);
	l = interrupts_find(&irqs, 27);
	assert_string_equal(l->chip, "IR-PCI-MSI");
	assert_string_equal(l->hwirq, "512000");
	assert_string_equal(l->name, "0000:00:1f.2");
	l = interrupts_find(&irqs, 24);
	assert_string_equal(l->chip, "DMAR-MSI");
	assert_string_equal(l->hwirq, "0");
	interrupts_free(&irqs);
	host_close(&h);
}

static void big_1152cpu(void **state)
{
	need_shared();
	char *dir = tree_new("irq");
	char cmd[2048];
	tree_dir(dir, "proc");
	snprintf(cmd, sizeof(cmd), "bzip2 -dc '%s/pcp-1152cpu-x86_64-i40e-lpfc/proc/interrupts.bz2' > '%s/proc/interrupts'",
		 SHARED_HOSTS, dir);
	int sys = system(cmd);

	struct host h;
	struct interrupts irqs;
	struct parse_error err;
	int rc = -1;
	if (sys == 0 && host_open(&h, dir) == 0) {
		rc = interrupts_read(&h, &irqs, &err);
		host_close(&h);
	}
	tree_free(dir);
	assert_int_equal(sys, 0);
	assert_int_equal(rc, 0);

	check_invariants(&irqs);
	assert_int_equal(irqs.ncpus, 1152);
	assert_int_equal(irqs.cpu[1151], 1151);
	assert_int_equal(irqs.n, 1056);
	const struct irq_line *l = interrupts_find(&irqs, 0);
	assert_string_equal(l->chip, "IR-IO-APIC");
	assert_string_equal(l->name, "timer");
	assert_int_equal(l->total, 844);
	l = interrupts_find(&irqs, 679);
	assert_string_equal(l->chip, "IR-PCI-MSI");
	assert_string_equal(l->hwirq, "102236161");
	assert_string_equal(l->name, "i40e-eth0-TxRx-0");
	assert_int_equal(l->counts[0], 12973);
	assert_string_equal(interrupts_find(&irqs, 24)->name, "PCIe PME");
	assert_string_equal(interrupts_find(&irqs, 1160)->name, "i40e-0000:c3:00.3:fdir-TxRx-0");
	l = by_label(&irqs, "LOC");
	assert_int_equal(l->ncounts, 1152);
	assert_int_equal(l->counts[0], 6342723);
	assert_int_equal(l->counts[1151], 425311);
	assert_int_equal(l->total, 509807994);
	assert_int_equal(by_label(&irqs, "ERR")->ncounts, 1);
	size_t numbered = 0;
	for (size_t i = 0; i < irqs.n; i++)
		numbered += irqs.lines[i].numbered;
	assert_int_equal(numbered, 1034);
	interrupts_free(&irqs);
}

/* ---- the project's own trees ---- */

static void xeon_96cpu(void **state)
{
	struct host h;
	OPEN_FIXTURE(&h, "xeon-mlx5-nvme-96cpu");
	struct interrupts irqs;
	struct parse_error err;
	assert_int_equal(interrupts_read(&h, &irqs, &err), 0);
	check_invariants(&irqs);
	assert_int_equal(irqs.ncpus, 96);
	size_t numbered = 0;
	for (size_t i = 0; i < irqs.n; i++)
		numbered += irqs.lines[i].numbered;
	assert_int_equal(numbered, 324);

	/* Legacy IRQs only have hex masks: 96 CPUs span three 32-bit words. */
	const struct irq_line *l = interrupts_find(&irqs, 0);
	assert_true(l->has_affinity && l->has_effective);
	assert_int_equal(cpumask_weight(&l->affinity), 96);
	assert_int_equal(cpumask_weight(&l->effective), 1);
	assert_true(cpumask_test(&l->effective, 0));
	assert_int_equal(l->node, 0);

	/* No /proc/irq/27 at all. */
	l = interrupts_find(&irqs, 27);
	assert_false(l->has_affinity);
	assert_false(l->has_effective);
	assert_int_equal(l->node, -1);
	assert_string_equal(l->chip, "DMAR-MSI");
	/* The kernel's own NUMA_NO_NODE. */
	l = interrupts_find(&irqs, 26);
	assert_true(l->has_affinity);
	assert_int_equal(l->node, -1);

	/* Managed NVMe queue: one CPU each. */
	l = interrupts_find(&irqs, 41);
	assert_string_equal(l->name, "nvme0q1");
	assert_string_equal(l->chip, "IR-PCI-MSIX-0000:5e:00.0");
	assert_string_equal(l->hwirq, "1");
	assert_int_equal(cpumask_weight(&l->affinity), 1);
	assert_true(cpumask_test(&l->affinity, 0));
	assert_int_equal(l->node, 1);
	assert_string_equal(interrupts_find(&irqs, 136)->name, "nvme0q96");

	/* Requested everywhere, effective on one CPU. */
	l = interrupts_find(&irqs, 140);
	assert_string_equal(l->name, "mlx5_async@pci:0000:3b:00.0");
	assert_int_equal(cpumask_weight(&l->affinity), 96);
	assert_int_equal(cpumask_weight(&l->effective), 1);
	assert_true(cpumask_test(&l->effective, 5));
	char buf[64];
	l = interrupts_find(&irqs, 152);
	assert_string_equal(l->name, "mlx5_comp11@pci:0000:3b:00.0");
	assert_string_equal(l->hwirq, "12");
	cpulist_format(&l->affinity, buf, sizeof(buf));
	assert_string_equal(buf, "0-23,48-71");
	cpulist_format(&l->effective, buf, sizeof(buf));
	assert_string_equal(buf, "12");

	/* Allocated, never requested: no name, an empty effective mask. */
	l = interrupts_find(&irqs, 351);
	assert_string_equal(l->name, "");
	assert_string_equal(l->hwirq, "17");
	assert_true(l->has_effective);
	assert_true(cpumask_empty(&l->effective));

	for (size_t i = 0; i < irqs.n; i++) {
		l = &irqs.lines[i];
		if (!l->numbered || l->irq == 27)
			continue;
		assert_true(l->has_affinity && l->has_effective);
		/* IRQ 350: affinity just rewritten to node 0, the vector not moved
		 * yet (x86 moves it when it next fires): effective stays on 33. */
		if (l->irq == 350) {
			assert_true(cpumask_test(&l->effective, 33));
			assert_false(cpumask_intersects(&l->effective, &l->affinity));
		} else {
			assert_true(cpumask_subset(&l->effective, &l->affinity));
		}
		/* The list and the hex mask beside it say the same. */
		char path[64];
		snprintf(path, sizeof(path), "/proc/irq/%u/smp_affinity", l->irq);
		char *hex = host_read(&h, path, NULL);
		assert_non_null(hex);
		struct cpumask m;
		cpumask_init(&m);
		assert_int_equal(cpumask_parse_hex(hex, &m), 0);
		assert_true(cpumask_equal(&m, &l->affinity));
		cpumask_free(&m);
		free(hex);
		/* Busy vectors count mostly on their effective CPU. */
		int eff = cpumask_next(&l->effective, -1);
		if (l->total > 100000 && eff >= 0) {
			int col = interrupts_column(&irqs, (unsigned)eff);
			assert_true(l->counts[col] * 2 > l->total);
		}
	}
	interrupts_free(&irqs);
	host_close(&h);
}

static int read_bad(const struct host *h, struct parse_error *err)
{
	struct interrupts irqs;
	int rc = interrupts_read(h, &irqs, err);
	if (rc)
		assert_true(err->msg[0] != '\0');
	else
		check_invariants(&irqs);
	interrupts_free(&irqs);
	return rc;
}

static void bad_trees(void **state)
{
	static const struct bad_case cases[] = {
		{ "truncated-lines", 0, 0 },
		{ "missing-columns", 0, 0 },
		{ "garbage-numbers", 0, 0 },
		{ "huge-counts", -EINVAL, 3 },
		{ "empty-files", -EINVAL, 1 },
		{ "missing-dirs", -ENOENT, 0 },
		{ "binary-junk", -EINVAL, 2 },
	};
	check_bad_trees(cases, ARRAY_SIZE(cases), "/proc/interrupts", read_bad);
}

static void bad_tree_details(void **state)
{
	struct host h;
	struct interrupts irqs;
	struct parse_error err;
	OPEN_FIXTURE(&h, "bad/truncated-lines");
	assert_int_equal(interrupts_read(&h, &irqs, &err), 0);
	assert_int_equal(irqs.n, 4);
	/* " 25:          0       14" cut after the second count. */
	const struct irq_line *l = interrupts_find(&irqs, 25);
	assert_int_equal(l->ncounts, 2);
	assert_int_equal(l->counts[1], 14);
	interrupts_free(&irqs);
	host_close(&h);

	OPEN_FIXTURE(&h, "bad/missing-columns");
	assert_int_equal(interrupts_read(&h, &irqs, &err), 0);
	l = interrupts_find(&irqs, 1);
	assert_int_equal(l->ncounts, 1);
	assert_string_equal(l->chip, "IO-APIC");
	assert_string_equal(l->name, "i8042");
	interrupts_free(&irqs);
	host_close(&h);

	OPEN_FIXTURE(&h, "bad/garbage-numbers");
	assert_int_equal(interrupts_read(&h, &irqs, &err), 0);
	l = interrupts_find(&irqs, 1);
	assert_int_equal(l->ncounts, 0);
	assert_non_null(strstr(l->name, "1x3"));
	assert_int_equal(by_label(&irqs, "LOC")->total, 10196 + 7429);
	interrupts_free(&irqs);
	host_close(&h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(x86_forms),
	cmocka_unit_test(arm64_and_s390_forms),
	cmocka_unit_test(short_and_garbage_rows),
	cmocka_unit_test(errors),
	cmocka_unit_test(max_u64_count),
	cmocka_unit_test(too_many_columns),
	cmocka_unit_test(stops_at_len),
	cmocka_unit_test(all_shared_trees),
	cmocka_unit_test(graviton_arm64),
	cmocka_unit_test(old_x86_joined_chip),
	cmocka_unit_test(s390_mlx5),
	cmocka_unit_test(s390_no_numbered),
	cmocka_unit_test(procfs_testdata_blank_line),
	cmocka_unit_test(kvm_one_cpu_and_laptop),
	cmocka_unit_test(big_1152cpu),
	cmocka_unit_test(xeon_96cpu),
	cmocka_unit_test(bad_trees),
	cmocka_unit_test(bad_tree_details),
};
RUN_TESTS(tests)
