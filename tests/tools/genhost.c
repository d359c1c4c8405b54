/*
 * genhost: writes a synthetic, deterministic x86 host tree (procfs, sysfs,
 * the NAPI snapshot file, /dev/cpu_dma_latency) with the absolute-path layout
 * that `agentune inspect --root DIR` reads.  Used by the inspect benchmark
 * (tests/bench/run.sh) to build snapshots of 2 to 1024+ CPUs.
 *
 *   genhost --cpus N --irqs M [--nodes K] [--seed S] [--sparse] [--lean] OUTDIR
 *
 * --sparse spreads the N CPUs over the ids of an 8192-CPU kernel (possible
 * 0-8191; CPU i is id i * (8192 / N), the last one 8191), so every CPU
 * list is long and sparse, as on a large host with CPUs offline or not
 * present.  --lean leaves out the per-CPU cpuidle states and cpufreq
 * policies (a host without cpuidle driver or cpufreq, like a VM), which
 * keeps a tree of thousands of CPUs small.
 *
 * The machine: K packages (one NUMA node and one L3 each), SMT2 when N >= 4
 * and even (Intel numbering: cpu i and i + N/2 are siblings), intel_pstate
 * with one policy per CPU, intel_idle POLL/C1/C1E/C6, cgroup v2.  The M
 * numbered IRQs are a few IO-APIC lines, then the MSI-X vectors of mlx5 and
 * i40e NICs and NVMe controllers, each device with one vector per CPU up to
 * the driver's usual limit.  Every count comes from a PRNG seeded with S, so
 * the same arguments always give the same tree, byte for byte.
 *
 * Formats follow the kernel's own printf formats (kernel/irq/proc.c,
 * arch/x86/kernel/irq.c, kernel/softirq.c, net/core/net-procfs.c,
 * fs/proc/stat.c) and were compared with a live 6.x host.  The tool is plain
 * C with no libraries and writes ~100k files a second: one open/write/close
 * per file, directories made only when an open fails with ENOENT.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CPUS 8192
#define MAX_IRQS 65536
#define MAX_NODES 64
#define FLUSH_AT (1u << 20)
#define NAPI_ID_BASE 8193       /* MIN_NAPI_ID = NR_CPUS + 1 with NR_CPUS=8192 */

struct sbuf {
	char *p;
	size_t len, cap;
};

enum dev_type { DEV_MLX5, DEV_I40E, DEV_NVME };

struct dev {
	enum dev_type type;
	char bdf[16];
	unsigned bus, slot, fn;
	int node;
	unsigned instance;         /* nvmeN, ethN */
	char ifname[32];           /* "" for NVMe */
	int ifindex;
	unsigned nvec;             /* MSI-X vectors; vector 0 is async/misc/admin */
	unsigned *irq;             /* IRQ number of each vector */
	unsigned napi_base;        /* NAPI id of queue 0 */
};

struct irq {
	unsigned num;
	char chip[48];
	unsigned hwirq;
	const char *trigger;
	char name[64];
	int dev;                   /* index into devs, -1 for legacy */
	unsigned vec;
	int eff;                   /* effective CPU */
	unsigned aff_lo, aff_hi;   /* smp_affinity_list as one range */
	int node;
};

struct gen {
	int rootfd;
	unsigned ncpus, nirqs, nnodes;
	uint64_t rng;
	struct sbuf sb;
	char path[PATH_MAX];
	/* topology */
	unsigned smt, ncores;
	unsigned char *isolated;   /* per CPU */
	char **pkg_list;           /* cpulist of each package/node */
	char *all_list;            /* "0-N-1" */
	bool server;               /* several IO-APICs, interrupt remapping */
	unsigned gsi_top;
	/* interrupts */
	struct dev *devs;
	size_t ndevs;
	struct irq *irqs;
	size_t nirq;
	unsigned prec;             /* width of the IRQ number column */
};

/* ---- utilities ---------------------------------------------------------- */

/* --sparse: the id of CPU index c (NULL: ids are the indices). */
static unsigned *cpu_ids;

static unsigned cid(unsigned c)
{
	return cpu_ids ? cpu_ids[c] : c;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("genhost: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);

	if (!p)
		die("out of memory");
	return p;
}

/* splitmix64: tiny, fast and good enough for plausible counters. */
static uint64_t rnd(struct gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_range(struct gen *g, uint64_t lo, uint64_t hi)
{
	return lo + rnd(g) % (hi - lo + 1);
}

static void sb_reserve(struct sbuf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;

	while (cap < b->len + more)
		cap *= 2;
	b->p = realloc(b->p, cap);
	if (!b->p)
		die("out of memory");
	b->cap = cap;
}

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	sb_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_vprintf(struct sbuf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(b->p ? b->p + b->len : NULL, b->cap - b->len, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		die("vsnprintf failed");
	if ((size_t)n >= b->cap - b->len) {
		sb_reserve(b, (size_t)n + 1);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(b, fmt, ap);
	va_end(ap);
}

/* Right-aligned decimal, like "%*llu" but without printf's cost: the
 * interrupts file of a big host holds millions of these. */
static void sb_udec(struct sbuf *b, uint64_t v, unsigned width)
{
	char tmp[24];
	unsigned n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_reserve(b, (width > n ? width : n));
	while (width > n) {
		b->p[b->len++] = ' ';
		width--;
	}
	memcpy(b->p + b->len, tmp + sizeof(tmp) - n, n);
	b->len += n;
}

static void sb_hex8(struct sbuf *b, uint32_t v)
{
	static const char hx[] = "0123456789abcdef";

	sb_reserve(b, 8);
	for (int i = 7; i >= 0; i--)
		b->p[b->len++] = hx[(v >> (i * 4)) & 0xf];
}

/* A cpulist ("0-3,8-11") from a per-CPU membership array. */
static void sb_cpulist(struct sbuf *b, const unsigned char *set, unsigned n)
{
	bool first = true;

	for (unsigned i = 0; i < n; i++) {
		if (!set[i])
			continue;
		unsigned j = i;

		while (j + 1 < n && set[j + 1] && cid(j + 1) == cid(j) + 1)
			j++;
		sb_printf(b, first ? "%u" : ",%u", cid(i));
		if (j > i)
			sb_printf(b, "-%u", cid(j));
		first = false;
		i = j;
	}
}

static char *pth(struct gen *g, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(g->path, sizeof(g->path), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(g->path))
		die("path too long");
	return g->path;
}

/* ---- files -------------------------------------------------------------- */

static void mkdir_p(int dirfd, const char *path)
{
	if (!mkdirat(dirfd, path, 0755) || errno == EEXIST)
		return;
	if (errno != ENOENT)
		die("mkdir %s: %s", path, strerror(errno));

	char parent[PATH_MAX];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		die("mkdir %s: %s", path, strerror(ENOENT));
	*slash = '\0';
	mkdir_p(dirfd, parent);
	if (mkdirat(dirfd, path, 0755) && errno != EEXIST)
		die("mkdir %s: %s", path, strerror(errno));
}

static void mkdir_parent(int dirfd, const char *path)
{
	char parent[PATH_MAX];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (!slash)
		return;
	*slash = '\0';
	mkdir_p(dirfd, parent);
}

static int open_out(struct gen *g, const char *path)
{
	int fd = openat(g->rootfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 && errno == ENOENT) {
		mkdir_parent(g->rootfd, path);
		fd = openat(g->rootfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	}
	if (fd < 0)
		die("create %s: %s", path, strerror(errno));
	return fd;
}

static void write_all(int fd, const char *p, size_t n, const char *what)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write %s: %s", what, strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

/* Writes the buffer to path and empties it. */
static void emit(struct gen *g, const char *path)
{
	int fd = open_out(g, path);

	write_all(fd, g->sb.p, g->sb.len, path);
	if (close(fd))
		die("close %s: %s", path, strerror(errno));
	g->sb.len = 0;
}

static void putf(struct gen *g, const char *path, const char *fmt, ...)
{
	va_list ap;

	g->sb.len = 0;
	va_start(ap, fmt);
	sb_vprintf(&g->sb, fmt, ap);
	va_end(ap);
	emit(g, path);
}

/* Streaming output for the big files: flush whenever a MiB has piled up. */
static void stream_flush(struct gen *g, int fd, bool force)
{
	if (g->sb.len >= FLUSH_AT || (force && g->sb.len)) {
		write_all(fd, g->sb.p, g->sb.len, "stream");
		g->sb.len = 0;
	}
}

static void stream_close(struct gen *g, int fd, const char *path)
{
	stream_flush(g, fd, true);
	if (close(fd))
		die("close %s: %s", path, strerror(errno));
}

static void link_to(struct gen *g, const char *target, const char *path)
{
	if (!symlinkat(target, g->rootfd, path))
		return;
	if (errno == ENOENT) {
		mkdir_parent(g->rootfd, path);
		if (!symlinkat(target, g->rootfd, path))
			return;
	}
	die("symlink %s: %s", path, strerror(errno));
}

static void mkdir_rel(struct gen *g, const char *path)
{
	mkdir_p(g->rootfd, path);
}

/* ---- topology ----------------------------------------------------------- */

static unsigned cpu_core(const struct gen *g, unsigned cpu)
{
	return cpu % g->ncores;
}

static unsigned core_pkg(const struct gen *g, unsigned core)
{
	return (unsigned)((uint64_t)core * g->nnodes / g->ncores);
}

static unsigned pkg_first_core(const struct gen *g, unsigned pkg)
{
	return (unsigned)(((uint64_t)pkg * g->ncores + g->nnodes - 1) / g->nnodes);
}

static unsigned cpu_pkg(const struct gen *g, unsigned cpu)
{
	return core_pkg(g, cpu_core(g, cpu));
}

static char *sb_take(struct sbuf *b)
{
	char *s = xcalloc(b->len + 1, 1);

	memcpy(s, b->p, b->len);
	b->len = 0;
	return s;
}

static void plan_topology(struct gen *g)
{
	unsigned n = g->ncpus;
	unsigned char *set = xcalloc(n, 1);

	g->smt = (n >= 4 && n % 2 == 0) ? 2 : 1;
	g->ncores = n / g->smt;
	if (!g->nnodes)
		g->nnodes = n >= 16 ? 2 : 1;
	if (g->nnodes > g->ncores)
		g->nnodes = g->ncores;
	g->server = n > 8;
	g->gsi_top = g->server ? 120 : 24;

	g->pkg_list = xcalloc(g->nnodes, sizeof(*g->pkg_list));
	for (unsigned k = 0; k < g->nnodes; k++) {
		for (unsigned c = 0; c < n; c++)
			set[c] = cpu_pkg(g, c) == k;
		g->sb.len = 0;
		sb_cpulist(&g->sb, set, n);
		g->pkg_list[k] = sb_take(&g->sb);
	}
	g->sb.len = 0;
	memset(set, 1, n);
	sb_cpulist(&g->sb, set, n);
	g->all_list = sb_take(&g->sb);

	/* A latency-tuned box: cores 2-3 of package 0 and their siblings
	 * isolated and nohz_full (only on hosts big enough to spare them). */
	g->isolated = set;
	memset(set, 0, n);
	if (n >= 16) {
		for (unsigned c = 0; c < n; c++) {
			unsigned core = cpu_core(g, c);

			set[c] = cpu_pkg(g, c) == 0 && core >= 2 && core <= 3;
		}
	}
}

static bool any_isolated(const struct gen *g)
{
	for (unsigned c = 0; c < g->ncpus; c++)
		if (g->isolated[c])
			return true;
	return false;
}

/* ---- interrupt plan ----------------------------------------------------- */

static const struct {
	unsigned irq, hwirq;
	const char *trigger, *name;
} legacy[] = {
	{ 0, 2, "edge", "timer" },
	{ 1, 1, "edge", "i8042" },
	{ 4, 4, "edge", "ttyS0" },
	{ 8, 8, "edge", "rtc0" },
	{ 9, 9, "fasteoi", "acpi" },
	{ 12, 12, "edge", "i8042" },
	{ 16, 16, "fasteoi", "i801_smbus" },
};
#define NLEGACY (sizeof(legacy) / sizeof(legacy[0]))

/* Vectors a driver asks for: one per CPU plus the async/misc/admin one,
 * within the driver's usual limit. */
static unsigned dev_cap(const struct gen *g, enum dev_type t)
{
	unsigned q = g->ncpus;

	if (t == DEV_I40E && q > 128)
		q = 128;
	if (t == DEV_NVME && q > 128)
		q = 128;
	return q + 1;
}

static struct irq *new_irq(struct gen *g)
{
	struct irq *q = &g->irqs[g->nirq++];

	memset(q, 0, sizeof(*q));
	q->dev = -1;
	return q;
}

static void plan_legacy(struct gen *g, unsigned nleg)
{
	const char *ioapic = g->server ? "IR-IO-APIC" : "IO-APIC";

	for (unsigned i = 0; i < nleg && i < NLEGACY; i++) {
		struct irq *q = new_irq(g);

		q->num = legacy[i].irq;
		snprintf(q->chip, sizeof(q->chip), "%s", ioapic);
		q->hwirq = legacy[i].hwirq;
		q->trigger = legacy[i].trigger;
		snprintf(q->name, sizeof(q->name), "%s", legacy[i].name);
		q->eff = (int)(rnd(g) % g->ncpus);
		q->aff_lo = 0;
		q->aff_hi = g->ncpus - 1;
		q->node = 0;
	}
	if (nleg > NLEGACY) {            /* the IOMMU's fault interrupt */
		struct irq *q = new_irq(g);

		q->num = g->gsi_top;
		snprintf(q->chip, sizeof(q->chip), "DMAR-MSI");
		q->hwirq = 0;
		q->trigger = "edge";
		snprintf(q->name, sizeof(q->name), "dmar0");
		q->eff = 0;
		q->aff_lo = 0;
		q->aff_hi = g->ncpus - 1;
		q->node = 0;
	}
}

static void name_dev(struct dev *d, unsigned nth[3])
{
	snprintf(d->bdf, sizeof(d->bdf), "0000:%02x:%02x.%u", d->bus, d->slot, d->fn);
	d->instance = nth[d->type]++;
	if (d->type == DEV_MLX5)
		snprintf(d->ifname, sizeof(d->ifname), "enp%us%uf%unp%u",
			 d->bus, d->slot, d->fn, d->fn);
	else if (d->type == DEV_I40E)
		snprintf(d->ifname, sizeof(d->ifname), "eth%u", d->instance);
}

/* Where the cycle's devices sit: slot s of the plan (mlx5, i40e, nvme, ...)
 * goes to node s % K; each node owns a band of buses, as on real servers where
 * every socket has its own root ports.  BDFs stay unique for thousands of
 * devices. */
static void place_dev(struct gen *g, struct dev *d, unsigned cycle)
{
	unsigned s = cycle * 3 + (unsigned)d->type;
	unsigned band = 0xe0 / g->nnodes;
	unsigned j = s / g->nnodes;

	d->node = (int)(s % g->nnodes);
	d->bus = 0x18 + (unsigned)d->node * band + j % band;
	d->slot = (j / band) % 32;
	d->fn = 0;
}

static const char *msix_chip_prefix(const struct gen *g)
{
	return g->server ? "IR-PCI-MSIX-" : "PCI-MSIX-";
}

/* The CPU a queue's vector is steered to: the device's node first. */
static void queue_cpu_order(const struct gen *g, int node, unsigned *order)
{
	unsigned k = 0;

	for (unsigned c = 0; c < g->ncpus; c++)
		if ((int)cpu_pkg(g, c) == node)
			order[k++] = c;
	for (unsigned c = 0; c < g->ncpus; c++)
		if ((int)cpu_pkg(g, c) != node)
			order[k++] = c;
}

static void plan_dev_irqs(struct gen *g, struct dev *d, unsigned *next, unsigned *order)
{
	unsigned nq = d->nvec - 1;

	d->irq = xcalloc(d->nvec, sizeof(*d->irq));
	queue_cpu_order(g, d->node, order);
	for (unsigned v = 0; v < d->nvec; v++) {
		struct irq *q = new_irq(g);

		q->num = (*next)++;
		d->irq[v] = q->num;
		snprintf(q->chip, sizeof(q->chip), "%s%s", msix_chip_prefix(g), d->bdf);
		q->hwirq = v;
		q->trigger = "edge";
		q->dev = (int)(d - g->devs);
		q->vec = v;
		q->node = d->node;
		if (d->type == DEV_MLX5)
			snprintf(q->name, sizeof(q->name), v ? "mlx5_comp%u@pci:%s" : "mlx5_async%u@pci:%s",
				 v ? v - 1 : 0, d->bdf);
		else if (d->type == DEV_I40E && v)
			snprintf(q->name, sizeof(q->name), "i40e-%s-TxRx-%u", d->ifname, v - 1);
		else if (d->type == DEV_I40E)
			snprintf(q->name, sizeof(q->name), "i40e-%s:misc", d->bdf);
		else
			snprintf(q->name, sizeof(q->name), "nvme%uq%u", d->instance, v);

		if (v == 0) {                 /* async/misc/admin: any CPU */
			q->aff_lo = 0;
			q->aff_hi = g->ncpus - 1;
			q->eff = (int)order[0];
		} else if (d->type == DEV_NVME) {
			/* managed affinity: the CPUs split evenly over the queues */
			q->aff_lo = (unsigned)((uint64_t)(v - 1) * g->ncpus / nq);
			q->aff_hi = (unsigned)((uint64_t)v * g->ncpus / nq) - 1;
			if (q->aff_hi < q->aff_lo)
				q->aff_hi = q->aff_lo;
			q->eff = (int)q->aff_lo;
		} else {                      /* driver's affinity hint */
			q->eff = (int)order[(v - 1) % g->ncpus];
			q->aff_lo = q->aff_hi = (unsigned)q->eff;
		}
	}
}

static unsigned legacy_count(unsigned m)
{
	if (m <= NLEGACY + 1)
		return m;
	unsigned n = m / 4;

	if (n < 2)
		n = 2;
	return n > NLEGACY + 1 ? NLEGACY + 1 : n;
}

static void plan_irqs(struct gen *g)
{
	static const enum dev_type cycle_types[] = { DEV_MLX5, DEV_I40E, DEV_NVME, DEV_MLX5 };
	unsigned nleg = legacy_count(g->nirqs);
	unsigned left = g->nirqs - nleg;
	unsigned floor_cap = (g->nirqs + 47) / 48;      /* keeps devices under ~50 */
	unsigned next = g->gsi_top + (nleg > NLEGACY ? 1 : 0);
	unsigned nth[3] = { 0, 0, 0 };
	unsigned *order = xcalloc(g->ncpus, sizeof(*order));
	size_t maxdev = left / 2 + 1;

	g->irqs = xcalloc(g->nirqs, sizeof(*g->irqs));
	g->devs = xcalloc(maxdev, sizeof(*g->devs));
	plan_legacy(g, nleg);

	for (unsigned k = 0; left; k++) {
		struct dev *d = &g->devs[g->ndevs];
		unsigned cycle = k / 4, pos = k % 4;

		d->type = cycle_types[pos];
		if (pos == 3) {               /* second port of this cycle's mlx5 card */
			*d = g->devs[g->ndevs - 3];
			d->fn = 1;
			d->irq = NULL;
		} else {
			place_dev(g, d, cycle);
		}
		name_dev(d, nth);

		unsigned cap = dev_cap(g, d->type);

		if (cap < floor_cap)
			cap = floor_cap;
		d->nvec = left < cap ? left : cap;
		if (left - d->nvec == 1)      /* never leave a lone vector behind */
			d->nvec++;
		left -= d->nvec;
		next += (unsigned)(rnd(g) % 3);   /* freed IRQs leave holes */
		g->ndevs++;
		plan_dev_irqs(g, d, &next, order);
	}
	free(order);

	/* Column width: digits of the kernel's nr_irqs (x86 arch_probe_nr_irqs). */
	uint64_t nr = g->gsi_top + 16 + 8ULL * g->ncpus +
		      (g->gsi_top > 16 ? g->gsi_top * 16ULL : 8ULL * g->ncpus);
	uint64_t top = g->nirq ? g->irqs[g->nirq - 1].num + 1ULL : 0;

	if (top > nr)
		nr = top;
	g->prec = 3;
	for (uint64_t j = 1000; g->prec < 10 && j <= nr; j *= 10)
		g->prec++;

	int ifindex = 2;                      /* 1 is lo */
	unsigned napi = NAPI_ID_BASE;

	for (size_t i = 0; i < g->ndevs; i++) {
		struct dev *d = &g->devs[i];

		if (d->type == DEV_NVME)
			continue;
		d->ifindex = ifindex++;
		d->napi_base = napi;
		napi += d->nvec - 1;
	}
}

/* ---- proc --------------------------------------------------------------- */

static uint32_t irq_count(struct gen *g, const struct irq *q, unsigned cpu)
{
	if ((int)cpu == q->eff) {
		if (q->dev < 0 || q->vec == 0)   /* legacy, async/misc/admin */
			return (uint32_t)rnd_range(g, 1, 200000);
		return (uint32_t)rnd_range(g, 1000, 400000000);
	}
	/* a little left over from before the last affinity change */
	if (rnd(g) % 64 == 0)
		return (uint32_t)rnd_range(g, 1, 5000);
	return 0;
}

static void irq_row_label(struct gen *g, const char *label)
{
	sb_reserve(&g->sb, g->prec + 1);
	size_t n = strlen(label);

	for (size_t i = n; i < g->prec; i++)
		g->sb.p[g->sb.len++] = ' ';
	sb_add(&g->sb, label, n);
	sb_add(&g->sb, ":", 1);
}

static const struct {
	const char *label, *desc;
	unsigned lo, hi;           /* per-CPU count range */
} arch_rows[] = {
	{ "NMI", "Non-maskable interrupts", 0, 5000 },
	{ "LOC", "Local timer interrupts", 1000000, 400000000 },
	{ "SPU", "Spurious interrupts", 0, 0 },
	{ "PMI", "Performance monitoring interrupts", 0, 5000 },
	{ "IWI", "IRQ work interrupts", 0, 200000 },
	{ "RTR", "APIC ICR read retries", 0, 0 },
	{ "RES", "Rescheduling interrupts", 1000, 50000000 },
	{ "CAL", "Function call interrupts", 1000, 5000000 },
	{ "TLB", "TLB shootdowns", 100, 2000000 },
	{ "TRM", "Thermal event interrupts", 0, 0 },
	{ "THR", "Threshold APIC interrupts", 0, 0 },
	{ "DFR", "Deferred Error APIC interrupts", 0, 0 },
	{ "MCE", "Machine check exceptions", 0, 0 },
	{ "MCP", "Machine check polls", 2406, 2406 },
	{ "ERR", NULL, 0, 0 },
	{ "MIS", NULL, 0, 0 },
	{ "PIN", "Posted-interrupt notification event", 0, 0 },
	{ "NPI", "Nested posted-interrupt event", 0, 0 },
	{ "PIW", "Posted-interrupt wakeup event", 0, 0 },
};

static void gen_interrupts(struct gen *g)
{
	const char *path = "proc/interrupts";
	int fd = open_out(g, path);
	char num[16];

	g->sb.len = 0;
	for (unsigned i = 0; i < g->prec + 8; i++)
		sb_add(&g->sb, " ", 1);
	for (unsigned c = 0; c < g->ncpus; c++)
		sb_printf(&g->sb, "CPU%-8u", cid(c));
	sb_add(&g->sb, "\n", 1);

	for (size_t i = 0; i < g->nirq; i++) {
		const struct irq *q = &g->irqs[i];

		snprintf(num, sizeof(num), "%u", q->num);
		irq_row_label(g, num);
		for (unsigned c = 0; c < g->ncpus; c++) {
			sb_add(&g->sb, " ", 1);
			sb_udec(&g->sb, irq_count(g, q, c), 10);
		}
		sb_printf(&g->sb, " %8s ", q->chip);
		sb_udec(&g->sb, q->hwirq, g->prec);
		sb_printf(&g->sb, "-%-8s  %s\n", q->trigger, q->name);
		stream_flush(g, fd, false);
	}

	for (size_t r = 0; r < sizeof(arch_rows) / sizeof(arch_rows[0]); r++) {
		irq_row_label(g, arch_rows[r].label);
		if (!arch_rows[r].desc) {     /* ERR, MIS: one global count */
			sb_add(&g->sb, " ", 1);
			sb_udec(&g->sb, 0, 10);
			sb_add(&g->sb, "\n", 1);
			continue;
		}
		for (unsigned c = 0; c < g->ncpus; c++) {
			sb_add(&g->sb, " ", 1);
			sb_udec(&g->sb, rnd_range(g, arch_rows[r].lo, arch_rows[r].hi), 10);
		}
		sb_printf(&g->sb, "   %s\n", arch_rows[r].desc);
		stream_flush(g, fd, false);
	}
	stream_close(g, fd, path);
}

static void gen_proc_irq(struct gen *g)
{
	for (size_t i = 0; i < g->nirq; i++) {
		const struct irq *q = &g->irqs[i];

		unsigned char *set = xcalloc(g->ncpus, 1);

		memset(set + q->aff_lo, 1, q->aff_hi - q->aff_lo + 1);
		g->sb.len = 0;
		sb_cpulist(&g->sb, set, g->ncpus);
		sb_add(&g->sb, "\n", 1);
		emit(g, pth(g, "proc/irq/%u/smp_affinity_list", q->num));
		free(set);
		putf(g, pth(g, "proc/irq/%u/effective_affinity_list", q->num), "%u\n",
		     cid((unsigned)q->eff));
		putf(g, pth(g, "proc/irq/%u/node", q->num), "%d\n", q->node);
	}
}

static void gen_softirqs(struct gen *g)
{
	static const struct {
		const char *name;
		unsigned lo, hi;
	} vec[] = {
		{ "HI", 0, 5000 }, { "TIMER", 100000, 90000000 }, { "NET_TX", 0, 100000 },
		{ "NET_RX", 1000, 900000000 }, { "BLOCK", 0, 2000000 }, { "IRQ_POLL", 0, 0 },
		{ "TASKLET", 0, 50000 }, { "SCHED", 100000, 90000000 },
		{ "HRTIMER", 0, 20000 }, { "RCU", 100000, 90000000 },
	};
	const char *path = "proc/softirqs";
	int fd = open_out(g, path);

	g->sb.len = 0;
	sb_puts(&g->sb, "                    ");
	for (unsigned c = 0; c < g->ncpus; c++)
		sb_printf(&g->sb, "CPU%-8u", cid(c));
	sb_add(&g->sb, "\n", 1);
	for (size_t v = 0; v < sizeof(vec) / sizeof(vec[0]); v++) {
		sb_printf(&g->sb, "%12s:", vec[v].name);
		for (unsigned c = 0; c < g->ncpus; c++) {
			sb_add(&g->sb, " ", 1);
			sb_udec(&g->sb, rnd_range(g, vec[v].lo, vec[v].hi), 10);
		}
		sb_add(&g->sb, "\n", 1);
		stream_flush(g, fd, false);
	}
	stream_close(g, fd, path);
}

/* 13 columns, as 5.10 to 6.x kernels print them. */
static void gen_softnet(struct gen *g)
{
	const char *path = "proc/net/softnet_stat";
	int fd = open_out(g, path);

	g->sb.len = 0;
	for (unsigned c = 0; c < g->ncpus; c++) {
		uint32_t col[13] = { 0 };

		col[0] = (uint32_t)rnd_range(g, 1000, 0xfffffff);       /* processed */
		col[1] = rnd(g) % 16 == 0 ? (uint32_t)rnd_range(g, 1, 500) : 0; /* dropped */
		col[2] = (uint32_t)rnd_range(g, 0, 3000);                /* time_squeeze */
		col[12] = cid(c);                                        /* cpu */
		for (int i = 0; i < 13; i++) {
			sb_hex8(&g->sb, col[i]);
			sb_add(&g->sb, i == 12 ? "\n" : " ", 1);
		}
		stream_flush(g, fd, false);
	}
	stream_close(g, fd, path);
}

/* /proc/stat as fs/proc/stat.c prints it: the "cpu" line is the sum of the
 * "cpuN" lines, every CPU up for the same time (idle takes what the other
 * columns leave).  No intr or softirq lines: nothing reads them. */
static void gen_proc_stat(struct gen *g)
{
	enum { USER, NICE, SYSTEM, IDLE, IOWAIT, IRQ, SOFTIRQ, STEAL, GUEST, GUEST_NICE, NCOL };
	uint64_t up = rnd_range(g, 360000, 8640000);   /* 1 h to 1 day at USER_HZ 100 */
	uint64_t *t = xcalloc((size_t)g->ncpus * NCOL, sizeof(*t)), all[NCOL] = { 0 };
	uint64_t ctxt = 0;

	for (unsigned c = 0; c < g->ncpus; c++) {
		uint64_t *v = &t[(size_t)c * NCOL];

		v[USER] = rnd(g) % (up / 4);
		v[NICE] = rnd(g) % (up / 200 + 1);
		v[SYSTEM] = rnd(g) % (up / 10);
		v[IOWAIT] = rnd(g) % (up / 100 + 1);
		v[IRQ] = rnd(g) % (up / 500 + 1);
		v[SOFTIRQ] = rnd(g) % (up / 50 + 1);
		v[IDLE] = up - v[USER] - v[NICE] - v[SYSTEM] - v[IOWAIT] - v[IRQ] - v[SOFTIRQ];
		for (int i = 0; i < NCOL; i++)
			all[i] += v[i];
		ctxt += rnd_range(g, 1000, 50000) * (up / 100);
	}

	const char *path = "proc/stat";
	int fd = open_out(g, path);

	g->sb.len = 0;
	sb_puts(&g->sb, "cpu ");
	for (int i = 0; i < NCOL; i++) {
		sb_add(&g->sb, " ", 1);
		sb_udec(&g->sb, all[i], 0);
	}
	sb_add(&g->sb, "\n", 1);
	for (unsigned c = 0; c < g->ncpus; c++) {
		sb_printf(&g->sb, "cpu%u", cid(c));
		for (int i = 0; i < NCOL; i++) {
			sb_add(&g->sb, " ", 1);
			sb_udec(&g->sb, t[(size_t)c * NCOL + i], 0);
		}
		sb_add(&g->sb, "\n", 1);
		stream_flush(g, fd, false);
	}
	sb_printf(&g->sb, "ctxt %" PRIu64 "\n", ctxt);
	sb_printf(&g->sb, "btime %" PRIu64 "\n", 1717200000 - up / 100);
	sb_printf(&g->sb, "processes %" PRIu64 "\n", rnd_range(g, 2000, 2000000));
	sb_printf(&g->sb, "procs_running %u\n", 1 + (unsigned)(rnd(g) % 4));
	sb_puts(&g->sb, "procs_blocked 0\n");
	stream_close(g, fd, path);
	free(t);
}

static void gen_proc_misc(struct gen *g)
{
	putf(g, "proc/sys/kernel/osrelease", "6.6.32-generic\n");
	putf(g, "proc/sys/kernel/hostname", "genhost-%uc-%ui\n", g->ncpus, g->nirqs);
	putf(g, "proc/sys/net/core/netdev_budget", "300\n");
	putf(g, "proc/sys/net/core/netdev_budget_usecs", "8000\n");
	putf(g, "proc/sys/net/core/busy_poll", "0\n");
	putf(g, "proc/sys/net/core/busy_read", "0\n");

	g->sb.len = 0;
	sb_puts(&g->sb, "BOOT_IMAGE=/boot/vmlinuz-6.6.32-generic root=/dev/nvme0n1p2 ro quiet");
	if (any_isolated(g)) {
		sb_puts(&g->sb, " isolcpus=");
		sb_cpulist(&g->sb, g->isolated, g->ncpus);
		sb_puts(&g->sb, " nohz_full=");
		sb_cpulist(&g->sb, g->isolated, g->ncpus);
	}
	sb_puts(&g->sb, "\n");
	emit(g, "proc/cmdline");

	putf(g, "proc/mounts",
	     "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n"
	     "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
	     "udev /dev devtmpfs rw,nosuid,relatime,size=65802412k,nr_inodes=16450603,mode=755,inode64 0 0\n"
	     "devpts /dev/pts devpts rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=000 0 0\n"
	     "tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=13165148k,mode=755,inode64 0 0\n"
	     "/dev/nvme0n1p2 / ext4 rw,relatime,errors=remount-ro 0 0\n"
	     "securityfs /sys/kernel/security securityfs rw,nosuid,nodev,noexec,relatime 0 0\n"
	     "tmpfs /dev/shm tmpfs rw,nosuid,nodev,inode64 0 0\n"
	     "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0\n"
	     "bpf /sys/fs/bpf bpf rw,nosuid,nodev,noexec,relatime,mode=700 0 0\n"
	     "debugfs /sys/kernel/debug debugfs rw,nosuid,nodev,noexec,relatime 0 0\n"
	     "tracefs /sys/kernel/tracing tracefs rw,nosuid,nodev,noexec,relatime 0 0\n"
	     "/dev/nvme0n1p1 /boot/efi vfat rw,relatime,fmask=0077,dmask=0077,codepage=437,iocharset=ascii,shortname=mixed,utf8,errors=remount-ro 0 0\n");

	/* cgroup v2 only: every controller on hierarchy 0. */
	static const char *const ctrl[] = { "cpuset", "cpu", "cpuacct", "blkio", "memory",
					    "devices", "freezer", "net_cls", "perf_event",
					    "net_prio", "hugetlb", "pids", "rdma", "misc" };
	unsigned ncg = 40 + (unsigned)(rnd(g) % 60);

	g->sb.len = 0;
	sb_puts(&g->sb, "#subsys_name\thierarchy\tnum_cgroups\tenabled\n");
	for (size_t i = 0; i < sizeof(ctrl) / sizeof(ctrl[0]); i++)
		sb_printf(&g->sb, "%s\t0\t%u\t1\n", ctrl[i], ncg);
	emit(g, "proc/cgroups");
	putf(g, "sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
	putf(g, "sys/fs/cgroup/cgroup.subtree_control", "cpuset cpu io memory pids\n");

	/* a few processes, none of them irqbalance or tuned */
	putf(g, "proc/1/comm", "systemd\n");
	putf(g, "proc/2/comm", "kthreadd\n");
	putf(g, "proc/1187/comm", "sshd\n");
	putf(g, "proc/1203/comm", "agent-worker\n");

	/* /dev/cpu_dma_latency: no PM QoS request in force (s32 LE 2000000000) */
	int32_t v = 2000000000;
	unsigned char le[4] = { (unsigned char)(v & 0xff), (unsigned char)((v >> 8) & 0xff),
				(unsigned char)((v >> 16) & 0xff), (unsigned char)((v >> 24) & 0xff) };
	g->sb.len = 0;
	sb_add(&g->sb, (const char *)le, sizeof(le));
	emit(g, "dev/cpu_dma_latency");
}

/* ---- sys/devices/system ------------------------------------------------- */

static void gen_cpu_lists(struct gen *g)
{
	const char *base = "sys/devices/system/cpu";

	putf(g, pth(g, "%s/possible", base), "%s\n", cpu_ids ? "0-8191" : g->all_list);
	putf(g, pth(g, "%s/present", base), "%s\n", g->all_list);
	putf(g, pth(g, "%s/online", base), "%s\n", g->all_list);
	putf(g, pth(g, "%s/offline", base), "\n");
	putf(g, pth(g, "%s/kernel_max", base), "8191\n");

	g->sb.len = 0;
	sb_cpulist(&g->sb, g->isolated, g->ncpus);
	sb_add(&g->sb, "\n", 1);
	emit(g, pth(g, "%s/isolated", base));
	g->sb.len = 0;
	if (any_isolated(g))
		sb_cpulist(&g->sb, g->isolated, g->ncpus);
	else
		sb_puts(&g->sb, "(null)");
	sb_add(&g->sb, "\n", 1);
	emit(g, pth(g, "%s/nohz_full", base));

	putf(g, pth(g, "%s/cpuidle/current_driver", base), "intel_idle\n");
	putf(g, pth(g, "%s/cpuidle/current_governor", base), "menu\n");
	putf(g, pth(g, "%s/cpuidle/current_governor_ro", base), "menu\n");
	putf(g, pth(g, "%s/cpuidle/available_governors", base), "ladder menu teo \n");
	putf(g, pth(g, "%s/intel_pstate/status", base), "active\n");
	putf(g, pth(g, "%s/intel_pstate/no_turbo", base), "0\n");

	static const char *const node_lists[] = { "possible", "online", "has_cpu" };

	for (size_t i = 0; i < sizeof(node_lists) / sizeof(node_lists[0]); i++) {
		if (g->nnodes == 1)
			putf(g, pth(g, "sys/devices/system/node/%s", node_lists[i]), "0\n");
		else
			putf(g, pth(g, "sys/devices/system/node/%s", node_lists[i]), "0-%u\n",
			     g->nnodes - 1);
	}
	for (unsigned k = 0; k < g->nnodes; k++)
		putf(g, pth(g, "sys/devices/system/node/node%u/cpulist", k), "%s\n", g->pkg_list[k]);
}

static const struct {
	const char *name, *desc;
	unsigned latency, residency;
} idle_states[] = {
	{ "POLL", "CPUIDLE CORE POLL IDLE", 0, 0 },
	{ "C1", "MWAIT 0x00", 2, 2 },
	{ "C1E", "MWAIT 0x01", 10, 20 },
	{ "C6", "MWAIT 0x20", 133, 600 },
};

static void gen_cpu_idle(struct gen *g, unsigned c)
{
	for (unsigned s = 0; s < sizeof(idle_states) / sizeof(idle_states[0]); s++) {
		char d[96];
		uint64_t usage = rnd_range(g, 1000, 50000000);

		snprintf(d, sizeof(d), "sys/devices/system/cpu/cpu%u/cpuidle/state%u", cid(c), s);
		putf(g, pth(g, "%s/name", d), "%s\n", idle_states[s].name);
		putf(g, pth(g, "%s/desc", d), "%s\n", idle_states[s].desc);
		putf(g, pth(g, "%s/latency", d), "%u\n", idle_states[s].latency);
		putf(g, pth(g, "%s/residency", d), "%u\n", idle_states[s].residency);
		putf(g, pth(g, "%s/disable", d), "0\n");
		putf(g, pth(g, "%s/default_status", d), "enabled\n");
		putf(g, pth(g, "%s/usage", d), "%" PRIu64 "\n", usage);
		putf(g, pth(g, "%s/time", d), "%" PRIu64 "\n",
		     usage * (idle_states[s].residency + 1) * rnd_range(g, 1, 40));
		putf(g, pth(g, "%s/above", d), "%" PRIu64 "\n", s ? usage / rnd_range(g, 20, 200) : 0);
		putf(g, pth(g, "%s/below", d), "%" PRIu64 "\n",
		     s + 1 < 4 ? usage / rnd_range(g, 10, 100) : 0);
		putf(g, pth(g, "%s/rejected", d), "0\n");
	}
}

static void gen_cpu_topology(struct gen *g, unsigned c)
{
	char d[96];
	unsigned core = cpu_core(g, c), pkg = core_pkg(g, core);
	unsigned core_id = core - pkg_first_core(g, pkg);

	snprintf(d, sizeof(d), "sys/devices/system/cpu/cpu%u/topology", cid(c));
	putf(g, pth(g, "%s/physical_package_id", d), "%u\n", pkg);
	putf(g, pth(g, "%s/die_id", d), "0\n");
	putf(g, pth(g, "%s/core_id", d), "%u\n", core_id);
	putf(g, pth(g, "%s/cluster_id", d), "%u\n", core);
	if (g->smt == 2)
		putf(g, pth(g, "%s/thread_siblings_list", d), "%u,%u\n", cid(core),
		     cid(core + g->ncores));
	else
		putf(g, pth(g, "%s/thread_siblings_list", d), "%u\n", cid(c));
	putf(g, pth(g, "%s/core_siblings_list", d), "%s\n", g->pkg_list[pkg]);
	putf(g, pth(g, "%s/package_cpus_list", d), "%s\n", g->pkg_list[pkg]);

	snprintf(d, sizeof(d), "sys/devices/system/cpu/cpu%u/cache/index3", cid(c));
	putf(g, pth(g, "%s/level", d), "3\n");
	putf(g, pth(g, "%s/shared_cpu_list", d), "%s\n", g->pkg_list[pkg]);
}

static void gen_cpufreq_policy(struct gen *g, unsigned c)
{
	char d[96];

	snprintf(d, sizeof(d), "sys/devices/system/cpu/cpufreq/policy%u", cid(c));
	putf(g, pth(g, "%s/affected_cpus", d), "%u\n", cid(c));
	putf(g, pth(g, "%s/related_cpus", d), "%u\n", cid(c));
	putf(g, pth(g, "%s/scaling_driver", d), "intel_pstate\n");
	putf(g, pth(g, "%s/scaling_governor", d), "powersave\n");
	putf(g, pth(g, "%s/scaling_available_governors", d), "performance powersave\n");
	putf(g, pth(g, "%s/scaling_cur_freq", d), "%u\n", (unsigned)rnd_range(g, 800000, 3700000));
	putf(g, pth(g, "%s/scaling_min_freq", d), "800000\n");
	putf(g, pth(g, "%s/scaling_max_freq", d), "3700000\n");
	putf(g, pth(g, "%s/cpuinfo_min_freq", d), "800000\n");
	putf(g, pth(g, "%s/cpuinfo_max_freq", d), "3700000\n");
	putf(g, pth(g, "%s/base_frequency", d), "2100000\n");
	putf(g, pth(g, "%s/energy_performance_preference", d), "balance_performance\n");
	putf(g, pth(g, "%s/cpuinfo_transition_latency", d), "0\n");

	char target[32];

	snprintf(target, sizeof(target), "../cpufreq/policy%u", cid(c));
	link_to(g, target, pth(g, "sys/devices/system/cpu/cpu%u/cpufreq", cid(c)));
}

static bool lean;

static void gen_cpus(struct gen *g)
{
	gen_cpu_lists(g);
	if (lean)
		putf(g, "sys/devices/system/cpu/cpuidle/current_driver", "none\n");
	for (unsigned c = 0; c < g->ncpus; c++) {
		putf(g, pth(g, "sys/devices/system/cpu/cpu%u/online", cid(c)), "1\n");
		gen_cpu_topology(g, c);
		if (!lean)
			gen_cpu_idle(g, c);
		putf(g, pth(g, "sys/devices/system/cpu/cpu%u/power/pm_qos_resume_latency_us",
			    cid(c)), "0\n");
		if (!lean)
			gen_cpufreq_policy(g, c);
	}
}

/* ---- PCI and network ----------------------------------------------------- */

static const struct {
	unsigned vendor, device, subvendor, subdevice, class_code;
	const char *driver;
} dev_ids[] = {
	[DEV_MLX5] = { 0x15b3, 0x1017, 0x15b3, 0x0007, 0x020000, "mlx5_core" },   /* ConnectX-5 */
	[DEV_I40E] = { 0x8086, 0x1572, 0x8086, 0x0000, 0x020000, "i40e" },        /* X710 SFP+ */
	[DEV_NVME] = { 0x144d, 0xa824, 0x144d, 0xa801, 0x010802, "nvme" },        /* PM173X */
};

static void gen_netdev(struct gen *g, const char *devdir, const char *ifname, int ifindex,
		       unsigned nq, const char *mac, const char *operstate)
{
	char d[256];

	snprintf(d, sizeof(d), "%s/net/%s", devdir, ifname);
	putf(g, pth(g, "%s/ifindex", d), "%d\n", ifindex);
	putf(g, pth(g, "%s/operstate", d), "%s\n", operstate);
	putf(g, pth(g, "%s/mtu", d), ifindex == 1 ? "65536\n" : "1500\n");
	putf(g, pth(g, "%s/address", d), "%s\n", mac);
	putf(g, pth(g, "%s/napi_defer_hard_irqs", d), "0\n");
	putf(g, pth(g, "%s/gro_flush_timeout", d), "0\n");
	putf(g, pth(g, "%s/threaded", d), "0\n");
	for (unsigned q = 0; q < nq; q++) {
		mkdir_rel(g, pth(g, "%s/queues/rx-%u", d, q));
		mkdir_rel(g, pth(g, "%s/queues/tx-%u", d, q));
	}
}

static void gen_pci_dev(struct gen *g, const struct dev *d)
{
	char dir[128], target[160];

	snprintf(dir, sizeof(dir), "sys/devices/pci0000:00/%s", d->bdf);
	putf(g, pth(g, "%s/vendor", dir), "0x%04x\n", dev_ids[d->type].vendor);
	putf(g, pth(g, "%s/device", dir), "0x%04x\n", dev_ids[d->type].device);
	putf(g, pth(g, "%s/subsystem_vendor", dir), "0x%04x\n", dev_ids[d->type].subvendor);
	putf(g, pth(g, "%s/subsystem_device", dir), "0x%04x\n", dev_ids[d->type].subdevice);
	putf(g, pth(g, "%s/class", dir), "0x%06x\n", dev_ids[d->type].class_code);
	putf(g, pth(g, "%s/numa_node", dir), "%d\n", g->nnodes > 1 ? d->node : -1);
	putf(g, pth(g, "%s/local_cpulist", dir), "%s\n", g->pkg_list[d->node]);
	putf(g, pth(g, "%s/irq", dir), "0\n");
	for (unsigned v = 0; v < d->nvec; v++)
		putf(g, pth(g, "%s/msi_irqs/%u", dir, d->irq[v]), "msix\n");

	snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", dev_ids[d->type].driver);
	link_to(g, target, pth(g, "%s/driver", dir));
	mkdir_rel(g, pth(g, "sys/bus/pci/drivers/%s", dev_ids[d->type].driver));
	snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", d->bdf);
	link_to(g, target, pth(g, "sys/bus/pci/devices/%s", d->bdf));

	if (d->type == DEV_NVME)
		return;

	char mac[24];

	snprintf(mac, sizeof(mac), "%s:%02x:%02x:%02x:%02x",
		 d->type == DEV_MLX5 ? "b8:ce" : "3c:fd", d->bus, d->slot, d->fn, d->instance & 0xff);
	gen_netdev(g, dir, d->ifname, d->ifindex, d->nvec - 1, mac, "up");
	snprintf(target, sizeof(target), "../../../%s", d->bdf);
	link_to(g, target, pth(g, "%s/net/%s/device", dir, d->ifname));
	snprintf(target, sizeof(target), "../../devices/pci0000:00/%s/net/%s", d->bdf, d->ifname);
	link_to(g, target, pth(g, "sys/class/net/%s", d->ifname));
}

static void gen_napi_json(struct gen *g)
{
	bool first = true;
	int fd = open_out(g, "agentune/napi.json");

	g->sb.len = 0;
	sb_puts(&g->sb, "{\"napi\":[");
	for (size_t i = 0; i < g->ndevs; i++) {
		const struct dev *d = &g->devs[i];

		if (d->type == DEV_NVME)
			continue;
		for (unsigned v = 1; v < d->nvec; v++) {
			sb_printf(&g->sb, "%s\n{\"id\":%u,\"ifindex\":%d,\"ifname\":\"%s\",\"irq\":%u,"
				  "\"pid\":null,\"defer_hard_irqs\":0,\"gro_flush_timeout_ns\":0,"
				  "\"irq_suspend_timeout_ns\":0}",
				  first ? "" : ",", d->napi_base + v - 1, d->ifindex, d->ifname,
				  d->irq[v]);
			first = false;
			stream_flush(g, fd, false);
		}
	}
	sb_puts(&g->sb, "\n]}\n");
	stream_close(g, fd, "agentune/napi.json");
}

static void gen_pci_net(struct gen *g)
{
	for (size_t i = 0; i < g->ndevs; i++)
		gen_pci_dev(g, &g->devs[i]);
	gen_netdev(g, "sys/devices/virtual", "lo", 1, 1, "00:00:00:00:00:00", "unknown");
	link_to(g, "../../devices/virtual/net/lo", "sys/class/net/lo");
	mkdir_rel(g, "sys/bus/pci/devices");
	gen_napi_json(g);
}

/* ---- main --------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: genhost --cpus N --irqs M [--nodes K] [--seed S] [--sparse] [--lean] OUTDIR\n"
			"  N 1..%d, M 0..%d, K 1..%d (default 1, 2 from 16 CPUs)\n"
			"  OUTDIR must be missing or empty\n",
		MAX_CPUS, MAX_IRQS, MAX_NODES);
	exit(2);
}

static uint64_t parse_num(const char *opt, const char *s, uint64_t lo, uint64_t hi)
{
	char *end;
	unsigned long long v;

	if (!s || !*s)
		usage();
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || *s == '-' || v < lo || v > hi)
		die("%s: bad value '%s' (want %" PRIu64 "..%" PRIu64 ")", opt, s, lo, hi);
	return v;
}

static void open_root(struct gen *g, const char *dir)
{
	if (mkdir(dir, 0755) && errno != EEXIST)
		mkdir_p(AT_FDCWD, dir);

	DIR *dp = opendir(dir);
	struct dirent *e;

	if (!dp)
		die("%s: %s", dir, strerror(errno));
	while ((e = readdir(dp)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			die("%s: not empty (genhost writes into an empty directory)", dir);
	closedir(dp);
	g->rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (g->rootfd < 0)
		die("%s: %s", dir, strerror(errno));
}

static void free_gen(struct gen *g)
{
	for (size_t i = 0; i < g->ndevs; i++)
		free(g->devs[i].irq);
	for (unsigned k = 0; k < g->nnodes; k++)
		free(g->pkg_list[k]);
	free(g->pkg_list);
	free(g->all_list);
	free(g->isolated);
	free(g->devs);
	free(g->irqs);
	free(g->sb.p);
	close(g->rootfd);
}

int main(int argc, char **argv)
{
	struct gen g = { .rootfd = -1 };
	const char *out = NULL;
	bool have_cpus = false, have_irqs = false, sparse = false;
	uint64_t seed = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--cpus") && i + 1 < argc) {
			g.ncpus = (unsigned)parse_num(a, argv[++i], 1, MAX_CPUS);
			have_cpus = true;
		} else if (!strcmp(a, "--irqs") && i + 1 < argc) {
			g.nirqs = (unsigned)parse_num(a, argv[++i], 0, MAX_IRQS);
			have_irqs = true;
		} else if (!strcmp(a, "--nodes") && i + 1 < argc) {
			g.nnodes = (unsigned)parse_num(a, argv[++i], 1, MAX_NODES);
		} else if (!strcmp(a, "--seed") && i + 1 < argc) {
			seed = parse_num(a, argv[++i], 0, UINT64_MAX);
		} else if (!strcmp(a, "--sparse")) {
			sparse = true;
		} else if (!strcmp(a, "--lean")) {
			lean = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage();
		} else if (a[0] == '-' || out) {
			usage();
		} else {
			out = a;
		}
	}
	if (!out || !have_cpus || !have_irqs)
		usage();

	if (sparse) {
		cpu_ids = xcalloc(g.ncpus, sizeof(*cpu_ids));
		for (unsigned c = 0; c < g.ncpus; c++)
			cpu_ids[c] = c * (MAX_CPUS / g.ncpus);
		cpu_ids[g.ncpus - 1] = MAX_CPUS - 1;
	}
	g.rng = seed ^ 0x6167656e74756e65ULL;   /* "agentune" */
	open_root(&g, out);
	plan_topology(&g);
	plan_irqs(&g);
	gen_interrupts(&g);
	gen_proc_irq(&g);
	gen_softirqs(&g);
	gen_softnet(&g);
	gen_proc_misc(&g);
	gen_cpus(&g);
	gen_pci_net(&g);
	/* Last, so that the files above stay what they were before it existed. */
	gen_proc_stat(&g);
	free_gen(&g);
	return 0;
}
