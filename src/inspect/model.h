/* inspect/model: everything the readers tell about a host, joined: each IRQ with the
 * PCI function, MSI-X vector, interface and NAPI instance behind it, and, with
 * a sample, per-CPU rates.  Findings and reports are computed from it. */
#ifndef AGENTUNE_MODEL_H
#define AGENTUNE_MODEL_H

#include "inspect/cgroup.h"
#include "inspect/cpufreq.h"
#include "inspect/cpuidle.h"
#include "inspect/idlepath.h"
#include "inspect/interrupts.h"
#include "inspect/net.h"
#include "inspect/pci.h"
#include "inspect/services.h"
#include "inspect/softirqs.h"
#include "inspect/softnet.h"
#include "inspect/topology.h"

/* What stands behind one numbered IRQ (all fields optional). */
struct irq_device {
	const struct pci_func *pci;   /* NULL when no PCI function matches */
	char bdf[32];                 /* from sysfs or from the IRQ's name */
	int vector;                   /* MSI/MSI-X vector index, -1 unknown */
	char mode[8];                 /* "msix", "msi", "" */
	char ifname[32];              /* network interface, "" */
	const struct napi_inst *napi;
	const char *napi_via;         /* "irq" (the kernel says so) or "rx-queue"
	                               * (the IRQ's queue is the one the NAPI serves) */
	const char *kind;             /* "net", "nvme", "storage", "gpu", "other", "" */
};

/* Counter sections keep their own availability: a parse error there (with
 * file and line) must not hide the rest of the report. */
struct section {
	bool ok;
	char why[320];
};

struct sample {
	bool taken;
	unsigned interval_ms;         /* what was asked for */
	double elapsed_s;             /* between the two reads of the counters */
	double **irq_rate;            /* [line][column] per second; NULL rows for
	                               * lines absent in the second read */
	double **softirq_rate;        /* [vector][column] */
	struct softnet delta;         /* second read minus first, per CPU */
};

struct model {
	char root[4096];
	char hostname[128], kernel[128];
	struct topology topo;
	struct cpufreq freq;
	struct cpuidle idle;
	struct idlepath idlepath;      /* how each CPU idles, VM or not */
	struct section irqs_sec, softirqs_sec, softnet_sec;
	struct interrupts irqs;
	struct irq_device *irqdev;    /* parallel to irqs.lines */
	struct softirqs softirqs;
	struct softnet softnet;
	struct pci pci;
	struct net net;
	struct cgroup_info cgroup;
	struct services svc;
	struct sample sample;
	double read_at;               /* CLOCK_MONOTONIC seconds of model_read */
};

/* Reads every section; a section that cannot be read is marked unavailable.
 * Returns 0, or -ENOMEM. */
int model_read(const struct host *h, struct model *m);
/* Reads the counters again after ms milliseconds and computes rates over
 * the time since model_read (ms = 0: rates over whatever ran meanwhile). */
int model_sample(const struct host *h, struct model *m, unsigned ms);
void model_free(struct model *m);

/* "0000:00:03.0 Red Hat, Inc. Virtio network device msix vector 1 if eth0
 * napi 257 [net]" (the parts known), "" when d is NULL. */
void irq_device_describe(const struct irq_device *d, char *buf, size_t sz);

/* CPUs the report iterates over: online if known, else present, else those
 * with a directory. */
void model_cpus(const struct model *m, struct cpumask *out);

#endif
