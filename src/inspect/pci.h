/* inspect/pci: PCI functions from sysfs with names from libpci's pci.ids, their NUMA
 * node, local CPUs, driver, network interfaces and MSI/MSI-X vectors. */
#ifndef AGENTUNE_PCI_H
#define AGENTUNE_PCI_H

#include "base/cpumask.h"
#include "base/host.h"
#include "base/util.h"

struct pci_vec {
	unsigned irq;
	char mode[8];              /* "msi", "msix", "" when unknown */
	int index;                 /* vector index within the device (position among
	                            * its msi_irqs); -1 when unknown */
};

struct pci_func {
	char bdf[32];              /* "0000:00:04.0", "10000:00:04.0" */
	char path[256];            /* canonical sysfs directory */
	bool has_ids;
	unsigned vendor, device, subvendor, subdevice;
	unsigned class_code;       /* 24 bits: 0x020000 */
	char vendor_name[128], device_name[160], class_name[96]; /* from pci.ids; "" */
	int numa_node;             /* -1 unknown */
	bool has_local_cpus;
	struct cpumask local_cpus;
	char driver[64];           /* "" when unbound or the link leaves the root */
	char netdevs[128];         /* interfaces it provides, space separated ("eth0") */
	size_t nvec;
	struct pci_vec *vec;       /* sorted by IRQ number */
	unsigned legacy_irq;       /* the irq file; 0 if none */
};

struct pci {
	bool available;
	char why[160];
	size_t n;
	struct pci_func *func;     /* sorted by BDF */
};

int pci_read(const struct host *h, struct pci *out);
void pci_free(struct pci *p);
const struct pci_func *pci_find(const struct pci *p, const char *bdf);
/* The function that owns an MSI/MSI-X irq, or NULL; *vec receives the vector. */
const struct pci_func *pci_by_irq(const struct pci *p, unsigned irq, const struct pci_vec **vec);
/* Short class name for rules and profiles: "net", "nvme", "storage", "gpu",
 * "bridge", "other". */
const char *pci_class_kind(unsigned class_code);
/* "0000:00:04.0" or a 5+-digit domain "10000:00:04.0". */
bool pci_is_bdf(const char *s);
/* host_link() that also names the target of a link whose target a captured
 * tree did not keep (a real symbolic link or a link-file, inside the root,
 * whose target is missing): host_link_target().  0, -EXDEV (leaves the
 * root), -EINVAL (not a link), -ENOENT. */
int pci_link_target(const struct host *h, const char *path, char *out, size_t sz);
/* Name of the driver bound to the device directory devdir (the basename of
 * its `driver` link) into out; "" when unbound or when the link leaves the
 * root (-EXDEV).  In captures that keep the link but not its target the name
 * still comes from the link text.  0 or -errno. */
int pci_driver_name(const struct host *h, const char *devdir, char *out, size_t sz);

#endif
