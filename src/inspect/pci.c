/* inspect/pci: PCI functions from sysfs, names from libpci's pci.ids (pci.h).
 *
 * libpci is used for one thing only: turning ids into names with
 * pci_lookup_name().  It never scans the bus and never reads sysfs itself
 * (no pci_init(), no pci_scan_bus()): every sysfs file is read through host_*
 * so that --root, snapshots and fixture trees see exactly what we see. */
#include "inspect/pci.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pci/pci.h>

#define PCI_DEVICES "/sys/bus/pci/devices"

/* ---------- small helpers ---------- */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static bool hex_run(const char **s, size_t min, size_t max)
{
	size_t n = 0;
	while (isxdigit((unsigned char)(*s)[n]))
		n++;
	if (n < min || n > max)
		return false;
	*s += n;
	return true;
}

/* "0000:00:04.0", "10000:00:04.0": domain (4-8 hex digits), bus, slot, fn. */
bool pci_is_bdf(const char *s)
{
	if (!hex_run(&s, 4, 8) || *s++ != ':' || !hex_run(&s, 2, 2) || *s++ != ':' ||
	    !hex_run(&s, 2, 2) || *s++ != '.')
		return false;
	return *s >= '0' && *s <= '7' && s[1] == '\0';
}

/* Numeric order of (domain, bus, slot, function); names that are not BDFs
 * sort after, by name. */
static int bdf_cmp(const char *a, const char *b)
{
	unsigned long da, db;
	unsigned ba, sa, fa, bb, sb, fb;
	bool oka = pci_is_bdf(a) && sscanf(a, "%lx:%x:%x.%x", &da, &ba, &sa, &fa) == 4;
	bool okb = pci_is_bdf(b) && sscanf(b, "%lx:%x:%x.%x", &db, &bb, &sb, &fb) == 4;
	if (!oka || !okb)
		return oka != okb ? (oka ? -1 : 1) : strcmp(a, b);
	if (da != db)
		return da < db ? -1 : 1;
	unsigned ka = ba << 16 | sa << 8 | fa, kb = bb << 16 | sb << 8 | fb;
	return ka < kb ? -1 : (ka > kb);
}

static int func_qsort_cmp(const void *a, const void *b)
{
	return bdf_cmp(((const struct pci_func *)a)->bdf, ((const struct pci_func *)b)->bdf);
}

static int vec_qsort_cmp(const void *a, const void *b)
{
	unsigned x = ((const struct pci_vec *)a)->irq, y = ((const struct pci_vec *)b)->irq;
	return x < y ? -1 : (x > y);
}

int pci_link_target(const struct host *h, const char *path, char *out, size_t sz)
{
	int rc = host_link(h, path, out, sz);
	if (rc != -ENOENT)
		return rc;
	/* A link (or link-file) the tree kept without its target. */
	return host_link_target(h, path, out, sz);
}

int pci_driver_name(const struct host *h, const char *devdir, char *out, size_t sz)
{
	char link[PATH_MAX], target[PATH_MAX];
	out[0] = '\0';
	snprintf(link, sizeof(link), "%s/driver", devdir);
	/* -EXDEV: the link leaves the root and is never followed. */
	int rc = pci_link_target(h, link, target, sizeof(target));
	if (rc)
		return rc;
	copy_str(out, sz, base_name(target));
	/* host_link keeps the target directory in a snapshot. */
	return 0;
}

/* ---------- names from pci.ids ---------- */

/* libpci's error handler must not return (it is declared noreturn, and code
 * after the call is not meant to run) and its default one exits; pci_alloc()
 * even leaves it NULL until pci_init(), which we never call.  With the lookup
 * flags below (no hwdb, no DNS, no cache) a lookup can raise an error only for
 * a malformed pci.ids or an allocation failure.  The handler therefore jumps
 * back to names_fill(), which stops using names.  The handler gets no context
 * argument, so the jump target is a thread-local set only around lookups. */
static _Thread_local jmp_buf *pci_err_jmp;

__attribute__((noreturn, format(printf, 1, 2))) static void pci_fatal(char *msg, ...)
{
	(void)msg;
	longjmp(*pci_err_jmp, 1);
}

__attribute__((format(printf, 1, 2))) static void pci_quiet(char *msg, ...)
{
	(void)msg;
}

static struct pci_access *names_open(void)
{
	struct pci_access *a = pci_alloc();
	if (!a)
		return NULL;
	a->error = pci_fatal;
	a->warning = pci_quiet;
	a->debug = pci_quiet;
	a->id_lookup_mode = 0; /* no ~/.pciids-cache: pci.ids only */
	static const char *const alt[] = { "/usr/share/misc/pci.ids",
					   "/usr/share/hwdata/pci.ids",
					   "/usr/share/pci.ids" };
	if (a->id_file_name && access(a->id_file_name, R_OK) != 0) {
		for (size_t i = 0; i < ARRAY_SIZE(alt); i++) {
			if (access(alt[i], R_OK) == 0) {
				pci_set_name_list_path(a, (char *)alt[i], 0);
				break;
			}
		}
	}
	return a;
}

#define LOOKUP_FLAGS (PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB)

static void lookup(struct pci_access *a, char *dst, size_t sz, int flags, unsigned x,
		   unsigned y)
{
	char buf[256];
	const char *s = (flags & PCI_LOOKUP_DEVICE)
		? pci_lookup_name(a, buf, (int)sizeof(buf), flags | LOOKUP_FLAGS, (int)x, (int)y)
		: pci_lookup_name(a, buf, (int)sizeof(buf), flags | LOOKUP_FLAGS, (int)x);
	copy_str(dst, sz, s ? s : "");
}

/* Names for f; false when libpci raised an error (see pci_fatal). */
static bool names_fill(struct pci_access *a, struct pci_func *f)
{
	jmp_buf env;
	if (setjmp(env)) {
		pci_err_jmp = NULL;
		return false;
	}
	pci_err_jmp = &env;
	lookup(a, f->vendor_name, sizeof(f->vendor_name), PCI_LOOKUP_VENDOR, f->vendor, 0);
	lookup(a, f->device_name, sizeof(f->device_name), PCI_LOOKUP_DEVICE, f->vendor,
	       f->device);
	lookup(a, f->class_name, sizeof(f->class_name), PCI_LOOKUP_CLASS, f->class_code >> 8, 0);
	pci_err_jmp = NULL;
	return true;
}

/* ---------- one function ---------- */

static bool read_hex(const struct host *h, const char *dir, const char *name, unsigned *out)
{
	uint64_t v = host_attr_u64(h, dir, name);
	if (v > UINT32_MAX) /* and NA_U64 */
		return false;
	*out = (unsigned)v;
	return true;
}

static void read_local_cpus(const struct host *h, struct pci_func *f)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/local_cpulist", f->path);
	char *s = host_read(h, p, NULL);
	if (s) {
		f->has_local_cpus = cpulist_parse(s, &f->local_cpus) == 0;
		free(s);
		if (f->has_local_cpus)
			return;
	}
	snprintf(p, sizeof(p), "%s/local_cpus", f->path);
	s = host_read(h, p, NULL);
	if (s) {
		f->has_local_cpus = cpumask_parse_hex(s, &f->local_cpus) == 0;
		free(s);
	}
	if (!f->has_local_cpus)
		cpumask_clear(&f->local_cpus);
}

/* msi_irqs/N is a file holding "msi"/"msix", or (old kernels) a directory
 * with a `mode` file. */
static void read_vec_mode(const struct host *h, const char *dir, const char *n, char *mode,
			  size_t sz)
{
	char p[PATH_MAX], buf[16];
	snprintf(p, sizeof(p), "%s/msi_irqs/%s", dir, n);
	if (host_is_dir(h, p))
		strncat(p, "/mode", sizeof(p) - strlen(p) - 1);
	mode[0] = '\0';
	if (host_read_line(h, p, buf, sizeof(buf)) == 0 &&
	    (!strcmp(buf, "msi") || !strcmp(buf, "msix")))
		copy_str(mode, sz, buf);
}

static int read_vectors(const struct host *h, struct pci_func *f)
{
	char p[PATH_MAX];
	struct strlist l;
	snprintf(p, sizeof(p), "%s/msi_irqs", f->path);
	if (host_list(h, p, &l))
		return 0;
	int rc = 0;
	f->vec = l.n ? calloc(l.n, sizeof(*f->vec)) : NULL;
	if (l.n && !f->vec)
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < l.n; i++) {
		uint64_t irq;
		if (!parse_u64(l.v[i], &irq) || irq > UINT32_MAX || l.v[i][0] == '0')
			continue; /* not an IRQ number */
		struct pci_vec *v = &f->vec[f->nvec++];
		v->irq = (unsigned)irq;
		read_vec_mode(h, f->path, l.v[i], v->mode, sizeof(v->mode));
	}
	strlist_free(&l);
	if (f->nvec > 1)
		qsort(f->vec, f->nvec, sizeof(*f->vec), vec_qsort_cmp);
	for (size_t i = 0; i < f->nvec; i++)
		f->vec[i].index = (int)i;
	return rc;
}

static void add_netdevs_in(const struct host *h, const char *netdir, char *buf, size_t sz)
{
	struct strlist l;
	if (host_list(h, netdir, &l))
		return;
	for (size_t i = 0; i < l.n; i++) {
		size_t len = strlen(buf);
		snprintf(buf + len, sz - len, "%s%s", len ? " " : "", l.v[i]);
	}
	strlist_free(&l);
}

/* Children of a PCI function that are links or other PCI functions: their
 * net/ is not this function's. */
static bool skip_child(const char *name)
{
	static const char *const skip[] = { "net", "msi_irqs", "power", "driver", "subsystem",
					    "firmware_node", "iommu", "iommu_group", "physfn",
					    "link", "ptp", "of_node", "remoteproc" };
	if (strchr(name, ':') || !strncmp(name, "virtfn", 6))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(skip); i++)
		if (!strcmp(name, skip[i]))
			return true;
	return false;
}

/* Interfaces in the function's net/, or one level down (virtio: the PCI
 * function owns virtioN, which owns net/eth0). */
static void read_netdevs(const struct host *h, struct pci_func *f)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/net", f->path);
	add_netdevs_in(h, p, f->netdevs, sizeof(f->netdevs));
	struct strlist l;
	if (host_list(h, f->path, &l))
		return;
	for (size_t i = 0; i < l.n; i++) {
		if (skip_child(l.v[i]))
			continue;
		snprintf(p, sizeof(p), "%s/%s/net", f->path, l.v[i]);
		if (host_is_dir(h, p))
			add_netdevs_in(h, p, f->netdevs, sizeof(f->netdevs));
	}
	strlist_free(&l);
}

/* The function's directory: the bus entry is a link (or link-file) to it,
 * or in some captures the directory itself. */
static int func_dir(const struct host *h, const char *entry, char *out, size_t sz)
{
	int rc = host_link(h, entry, out, sz);
	if (rc == 0)
		return 0;
	if (host_is_dir(h, entry)) {
		copy_str(out, sz, entry);
		return 0;
	}
	return rc;
}

static int read_func(const struct host *h, const char *name, struct pci_func *f)
{
	char entry[PATH_MAX], dir[PATH_MAX];
	snprintf(entry, sizeof(entry), PCI_DEVICES "/%s", name);
	if (func_dir(h, entry, dir, sizeof(dir)))
		return -ENOENT;
	memset(f, 0, sizeof(*f));
	cpumask_init(&f->local_cpus);
	copy_str(f->bdf, sizeof(f->bdf), name);
	copy_str(f->path, sizeof(f->path), dir);
	bool v = read_hex(h, dir, "vendor", &f->vendor);
	f->has_ids = read_hex(h, dir, "device", &f->device) && v;
	read_hex(h, dir, "subsystem_vendor", &f->subvendor);
	read_hex(h, dir, "subsystem_device", &f->subdevice);
	read_hex(h, dir, "class", &f->class_code);
	f->class_code &= 0xffffff;

	int64_t node = host_attr_s64(h, dir, "numa_node");
	f->numa_node = node >= 0 && node < INT_MAX ? (int)node : -1;
	read_local_cpus(h, f);
	uint64_t irq = host_attr_u64(h, dir, "irq");
	if (irq <= UINT32_MAX)
		f->legacy_irq = (unsigned)irq;
	pci_driver_name(h, dir, f->driver, sizeof(f->driver));
	read_netdevs(h, f);
	return read_vectors(h, f);
}

/* ---------- interface ---------- */

int pci_read(const struct host *h, struct pci *out)
{
	struct strlist l;
	memset(out, 0, sizeof(*out));
	int rc = host_list(h, PCI_DEVICES, &l);
	if (rc) {
		snprintf(out->why, sizeof(out->why), "no PCI bus in sysfs (" PCI_DEVICES ": %s)",
			 strerror(-rc));
		return 0;
	}
	out->available = true;
	if (!l.n) {
		strlist_free(&l);
		return 0;
	}
	out->func = calloc(l.n, sizeof(*out->func));
	if (!out->func) {
		strlist_free(&l);
		out->available = false;
		copy_str(out->why, sizeof(out->why), "out of memory");
		return -ENOMEM;
	}
	struct pci_access *names = names_open();
	rc = 0;
	for (size_t i = 0; i < l.n; i++) {
		struct pci_func *f = &out->func[out->n];
		int r = read_func(h, l.v[i], f);
		if (r == -ENOENT)
			continue; /* entry that leads nowhere inside the root */
		out->n++;
		if (r) {
			rc = r;
			break;
		}
		if (names && f->has_ids && !names_fill(names, f)) {
			/* pci.ids is unusable: no names, and leave the
			 * half-loaded list to pci_cleanup(). */
			f->vendor_name[0] = f->device_name[0] = f->class_name[0] = '\0';
			pci_cleanup(names);
			names = NULL;
		}
	}
	if (names)
		pci_cleanup(names);
	strlist_free(&l);
	if (out->n > 1)
		qsort(out->func, out->n, sizeof(*out->func), func_qsort_cmp);
	return rc;
}

void pci_free(struct pci *p)
{
	for (size_t i = 0; i < p->n; i++) {
		cpumask_free(&p->func[i].local_cpus);
		free(p->func[i].vec);
	}
	free(p->func);
	memset(p, 0, sizeof(*p));
}

const struct pci_func *pci_find(const struct pci *p, const char *bdf)
{
	for (size_t i = 0; bdf && i < p->n; i++)
		if (!strcasecmp(p->func[i].bdf, bdf))
			return &p->func[i];
	return NULL;
}

const struct pci_func *pci_by_irq(const struct pci *p, unsigned irq, const struct pci_vec **vec)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct pci_func *f = &p->func[i];
		for (size_t j = 0; j < f->nvec; j++) {
			if (f->vec[j].irq == irq) {
				if (vec)
					*vec = &f->vec[j];
				return f;
			}
		}
	}
	if (vec)
		*vec = NULL;
	return NULL;
}

const char *pci_class_kind(unsigned class_code)
{
	unsigned base = (class_code >> 16) & 0xff, sub = (class_code >> 8) & 0xff;
	switch (base) {
	case 0x02:
		return "net";
	case 0x01:
		return sub == 0x08 ? "nvme" : "storage";
	case 0x03: /* VGA, XGA, 3D (0x0302), display */
		return "gpu";
	case 0x06:
		return "bridge";
	default:
		return "other";
	}
}
