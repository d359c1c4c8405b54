/* libFuzzer harness: pci_read over a generated tree (fuzz_tree.h): a
 * function reached through the bus's link, its attributes, MSI vectors
 * (files or directories with a mode), its driver link and network name. */
#include "fuzz_tree.h"
#include "inspect/pci.h"

#define DEV "sys/devices/pci0000:00/0000:00:03.0/"
static const char *const paths[] = {
	"sys/bus/pci/devices/0000:00:03.0", DEV "vendor", DEV "device",
	DEV "subsystem_vendor", DEV "subsystem_device", DEV "class", DEV "numa_node",
	DEV "local_cpulist", DEV "irq", DEV "msi_irqs/37", DEV "msi_irqs/38/mode",
	DEV "driver", "sys/bus/pci/drivers/virtio-pci", DEV "net/eth0",
	"sys/bus/pci/devices/0000:00:04.0", "usr/share/misc/pci.ids",
};

static void fuzz_one(const char *text, size_t size)
{
	struct host h;
	if (!fz_tree(text, size, paths, sizeof(paths) / sizeof(paths[0]), &h))
		return;
	struct pci p;
	if (pci_read(&h, &p) == 0)
		pci_free(&p);
	host_close(&h);
}
