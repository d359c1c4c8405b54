/* inspect/model: read every section of a host and join IRQs to devices (model.h). */
#include "inspect/model.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

static void read_identity(const struct host *h, struct model *m)
{
	host_attr_str(h, "/proc/sys/kernel", "hostname", m->hostname, sizeof(m->hostname));
	host_attr_str(h, "/proc/sys/kernel", "osrelease", m->kernel, sizeof(m->kernel));
}

static void section_from(struct section *s, int rc, const struct parse_error *e,
			 const char *path)
{
	s->ok = rc == 0;
	if (s->ok)
		return;
	if (e->file[0])
		perr_format(e, s->why, sizeof(s->why));
	else
		snprintf(s->why, sizeof(s->why), "%s: %s", path, strerror(-rc));
}

/* Finds "dddd:bb:dd.f" (PCI address) inside an IRQ name or chip. */
static bool find_bdf(const char *s, char *out, size_t sz)
{
	for (const char *p = s; *p; p++) {
		size_t dom = 0;
		while (isxdigit((unsigned char)p[dom]))
			dom++;
		if (dom < 4 || dom > 5 || p[dom] != ':')
			continue;
		const char *q = p + dom + 1;
		if (isxdigit((unsigned char)q[0]) && isxdigit((unsigned char)q[1]) && q[2] == ':' &&
		    isxdigit((unsigned char)q[3]) && isxdigit((unsigned char)q[4]) && q[5] == '.' &&
		    isxdigit((unsigned char)q[6])) {
			copy_strn(out, sz, p, (size_t)(q + 7 - p));
			return true;
		}
	}
	return false;
}

/* The MSI vector index the kernel prints as hwirq: "PCI-MSIX-<bdf> 3-edge" is
 * the index itself; the older "PCI-MSI 114688-edge" packs it in the low 11 bits. */
static int vector_from_hwirq(const struct irq_line *l)
{
	uint64_t hw;
	if (!parse_u64(l->hwirq, &hw))
		return -1;
	char bdf[32];
	if ((strstr(l->chip, "PCI-MSIX-") || strstr(l->chip, "PCI-MSI-")) &&
	    find_bdf(l->chip, bdf, sizeof(bdf)))
		return (int)hw; /* "IR-PCI-MSIX-0000:af:00.0 15-edge" */
	if (strstr(l->chip, "PCI-MSI"))
		return (int)(hw & 0x7ff);
	return -1;
}

/* An interface whose name appears in the IRQ's name ("i40e-eth0-TxRx-3"). */
static const char *ifname_in(const struct net *n, const char *irqname)
{
	const char *best = NULL;
	for (size_t i = 0; i < n->n; i++) {
		const char *name = n->ifs[i].name;
		size_t len = strlen(name);
		const char *hit = strstr(irqname, name);
		if (!hit || !len)
			continue;
		char after = hit[len];
		if (isalnum((unsigned char)after))
			continue; /* "eth1" must not match "eth10" */
		if (!best || strlen(best) < len)
			best = name;
	}
	return best;
}

static const char *kind_from_name(const char *name)
{
	if (strstr(name, "nvme"))
		return "nvme";
	if (strstr(name, "TxRx") || strstr(name, "mlx5_comp") || strstr(name, "-rx-") ||
	    strstr(name, "-tx-"))
		return "net";
	if (strstr(name, "ahci") || strstr(name, "ata_") || strstr(name, "lpfc") ||
	    strstr(name, "megasas") || strstr(name, "smartpqi"))
		return "storage";
	if (strstr(name, "i915") || strstr(name, "nvidia") || strstr(name, "amdgpu") ||
	    strstr(name, "nvkm"))
		return "gpu";
	return "";
}

/* The rx queue an IRQ serves, from its name: "virtio2-input.0", "eth0-rx-3",
 * "ens1f0-TxRx-5", "mlx5_comp2@pci:...".  -1 when the name does not say. */
static int rx_queue_of(const char *name)
{
	static const char *const marks[] = { "input.", "-rx-", "TxRx-", "rxtx-", "mlx5_comp" };
	int queue = -1;
	for (size_t i = 0; i < ARRAY_SIZE(marks); i++) {
		const char *hit = strstr(name, marks[i]);
		if (!hit)
			continue;
		hit += strlen(marks[i]);
		if (!isdigit((unsigned char)*hit))
			continue;
		queue = (int)strtol(hit, NULL, 10);
	}
	return queue;
}

static const struct napi_inst *napi_by_queue(const struct net *n, const char *ifname, int queue)
{
	for (size_t i = 0; queue >= 0 && i < n->nnapi; i++)
		if (n->napi[i].rx_queue == queue && !strcmp(n->napi[i].ifname, ifname))
			return &n->napi[i];
	return NULL;
}

static void join_irq(struct model *m, const struct irq_line *l, struct irq_device *d)
{
	const struct pci_vec *vec = NULL;
	d->vector = -1;
	d->pci = pci_by_irq(&m->pci, l->irq, &vec);
	if (!d->pci && (find_bdf(l->chip, d->bdf, sizeof(d->bdf)) ||
			find_bdf(l->name, d->bdf, sizeof(d->bdf))))
		d->pci = pci_find(&m->pci, d->bdf);
	if (d->pci)
		copy_str(d->bdf, sizeof(d->bdf), d->pci->bdf);
	if (vec) {
		copy_str(d->mode, sizeof(d->mode), vec->mode);
		d->vector = vec->index;
	}
	int hw = vector_from_hwirq(l);
	if (hw >= 0)
		d->vector = hw;
	if (!d->mode[0] && strstr(l->chip, "PCI-MSIX"))
		copy_str(d->mode, sizeof(d->mode), "msix");

	const char *ifname = ifname_in(&m->net, l->name);
	if (!ifname && d->pci && d->pci->netdevs[0]) {
		size_t len = strcspn(d->pci->netdevs, " ");
		copy_strn(d->ifname, sizeof(d->ifname), d->pci->netdevs, len);
	} else if (ifname) {
		copy_str(d->ifname, sizeof(d->ifname), ifname);
	}
	d->napi = net_napi_by_irq(&m->net, l->irq);
	d->napi_via = d->napi ? "irq" : NULL;
	if (d->napi && !d->ifname[0])
		copy_str(d->ifname, sizeof(d->ifname), d->napi->ifname);
	if (!d->napi && d->ifname[0]) {
		d->napi = napi_by_queue(&m->net, d->ifname, rx_queue_of(l->name));
		d->napi_via = d->napi ? "rx-queue" : NULL;
	}

	d->kind = d->pci ? pci_class_kind(d->pci->class_code) : kind_from_name(l->name);
	if (d->ifname[0] && (!strcmp(d->kind, "") || !strcmp(d->kind, "other")))
		d->kind = "net";
}

static int join_irqs(struct model *m)
{
	if (!m->irqs.n)
		return 0;
	m->irqdev = calloc(m->irqs.n, sizeof(*m->irqdev));
	if (!m->irqdev)
		return -ENOMEM;
	for (size_t i = 0; i < m->irqs.n; i++) {
		m->irqdev[i].vector = -1;
		m->irqdev[i].kind = "";
		if (m->irqs.lines[i].numbered)
			join_irq(m, &m->irqs.lines[i], &m->irqdev[i]);
	}
	return 0;
}

void model_cpus(const struct model *m, struct cpumask *out)
{
	const struct topology *t = &m->topo;
	cpumask_clear(out);
	if (t->has_online && !cpumask_empty(&t->online)) {
		cpumask_copy(out, &t->online);
	} else if (t->has_present && !cpumask_empty(&t->present)) {
		cpumask_copy(out, &t->present);
	} else {
		for (size_t i = 0; i < t->n; i++)
			if (t->cpu[i].online)
				cpumask_set(out, t->cpu[i].cpu);
	}
}

/* The CPUs whose per-CPU files are read: present ones, or every cpuN dir. */
static void present_cpus(const struct topology *t, struct cpumask *out)
{
	if (t->has_present && !cpumask_empty(&t->present)) {
		cpumask_copy(out, &t->present);
		return;
	}
	for (size_t i = 0; i < t->n; i++)
		cpumask_set(out, t->cpu[i].cpu);
}

int model_read(const struct host *h, struct model *m)
{
	struct parse_error e;
	struct cpumask cpus;
	int rc;

	memset(m, 0, sizeof(*m));
	copy_str(m->root, sizeof(m->root), h->root);
	read_identity(h, m);

	topology_read(h, &m->topo);
	cpumask_init(&cpus);
	present_cpus(&m->topo, &cpus);
	cpufreq_read(h, &cpus, &m->freq);
	cpuidle_read(h, &cpus, &m->idle);
	cpumask_free(&cpus);
	if (idlepath_read(h, &m->idle, m->kernel, &m->idlepath))
		return -ENOMEM;

	memset(&e, 0, sizeof(e));
	m->read_at = mono_s(); /* the counters' first read: rates start here */
	rc = interrupts_read(h, &m->irqs, &e);
	section_from(&m->irqs_sec, rc, &e, "/proc/interrupts");
	memset(&e, 0, sizeof(e));
	rc = softirqs_read(h, &m->softirqs, &e);
	section_from(&m->softirqs_sec, rc, &e, "/proc/softirqs");
	memset(&e, 0, sizeof(e));
	rc = softnet_read(h, &m->softnet, &e);
	section_from(&m->softnet_sec, rc, &e, "/proc/net/softnet_stat");

	pci_read(h, &m->pci);
	net_read(h, &m->net);
	cgroup_read(h, &m->cgroup);
	services_read(h, &m->svc);
	return join_irqs(m);
}

static double **alloc_rates(size_t rows, unsigned cols)
{
	double **r = calloc(rows ? rows : 1, sizeof(*r));
	for (size_t i = 0; r && i < rows; i++)
		r[i] = calloc(cols ? cols : 1, sizeof(**r));
	return r;
}

static void free_rates(double **r, size_t rows)
{
	for (size_t i = 0; r && i < rows; i++)
		free(r[i]);
	free(r);
}

static double delta_rate(uint64_t before, uint64_t after, double secs)
{
	return after >= before ? (double)(after - before) / secs : 0.0;
}

static void irq_rates(struct model *m, const struct interrupts *after, double secs)
{
	struct sample *s = &m->sample;
	s->irq_rate = alloc_rates(m->irqs.n, m->irqs.ncpus);
	for (size_t i = 0; s->irq_rate && i < m->irqs.n; i++) {
		const struct irq_line *a = &m->irqs.lines[i], *b = NULL;
		/* Lines keep their order unless IRQs come and go meanwhile. */
		if (i < after->n && !strcmp(after->lines[i].label, a->label))
			b = &after->lines[i];
		for (size_t j = 0; !b && j < after->n; j++)
			if (!strcmp(after->lines[j].label, a->label))
				b = &after->lines[j];
		if (!b || after->ncpus != m->irqs.ncpus || !s->irq_rate[i])
			continue;
		for (unsigned c = 0; c < m->irqs.ncpus; c++)
			s->irq_rate[i][c] = delta_rate(a->counts[c], b->counts[c], secs);
	}
}

static void softirq_rates(struct model *m, const struct softirqs *after, double secs)
{
	struct sample *s = &m->sample;
	s->softirq_rate = alloc_rates(m->softirqs.n, m->softirqs.ncpus);
	for (size_t i = 0; s->softirq_rate && i < m->softirqs.n; i++) {
		const struct softirq_vec *b = softirqs_find(after, m->softirqs.vec[i].name);
		if (!b || after->ncpus != m->softirqs.ncpus || !s->softirq_rate[i])
			continue;
		for (unsigned c = 0; c < m->softirqs.ncpus; c++)
			s->softirq_rate[i][c] =
				delta_rate(m->softirqs.vec[i].counts[c], b->counts[c], secs);
	}
}

static uint64_t sub_or_zero(uint64_t a, uint64_t b)
{
	return (a == NA_U64 || b == NA_U64 || a < b) ? 0 : a - b;
}

static void softnet_delta(struct model *m, struct softnet *after)
{
	struct softnet *d = &m->sample.delta;
	*d = *after;
	after->cpu = NULL;
	after->n = 0;
	for (size_t i = 0; i < d->n; i++) {
		const struct softnet_cpu *b = NULL;
		for (size_t j = 0; j < m->softnet.n && !b; j++)
			if (m->softnet.cpu[j].cpu == d->cpu[i].cpu)
				b = &m->softnet.cpu[j];
		struct softnet_cpu *c = &d->cpu[i];
		c->processed = b ? sub_or_zero(c->processed, b->processed) : 0;
		c->dropped = b ? sub_or_zero(c->dropped, b->dropped) : 0;
		c->time_squeeze = b ? sub_or_zero(c->time_squeeze, b->time_squeeze) : 0;
	}
}

int model_sample(const struct host *h, struct model *m, unsigned ms)
{
	struct parse_error e;
	struct interrupts irqs = { 0 };
	struct softirqs sirqs = { 0 };
	struct softnet snet = { 0 };

	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	double secs = mono_s() - m->read_at;
	if (secs <= 0)
		secs = 1e-3;
	m->sample.taken = true;
	m->sample.interval_ms = ms;
	m->sample.elapsed_s = secs;
	if (m->irqs_sec.ok && !interrupts_read(h, &irqs, &e))
		irq_rates(m, &irqs, secs);
	if (m->softirqs_sec.ok && !softirqs_read(h, &sirqs, &e))
		softirq_rates(m, &sirqs, secs);
	if (m->softnet_sec.ok && !softnet_read(h, &snet, &e))
		softnet_delta(m, &snet);
	interrupts_free(&irqs);
	softirqs_free(&sirqs);
	softnet_free(&snet);
	return 0;
}

void model_free(struct model *m)
{
	free_rates(m->sample.irq_rate, m->irqs.n);
	free_rates(m->sample.softirq_rate, m->softirqs.n);
	softnet_free(&m->sample.delta);
	topology_free(&m->topo);
	cpufreq_free(&m->freq);
	cpuidle_free(&m->idle);
	idlepath_free(&m->idlepath);
	interrupts_free(&m->irqs);
	free(m->irqdev);
	softirqs_free(&m->softirqs);
	softnet_free(&m->softnet);
	pci_free(&m->pci);
	net_free(&m->net);
	cgroup_info_free(&m->cgroup);
	memset(m, 0, sizeof(*m));
}

void irq_device_describe(const struct irq_device *d, char *buf, size_t sz)
{
	buf[0] = '\0';
	if (!d)
		return;
	size_t len = 0;
	if (d->bdf[0])
		len += (size_t)snprintf(buf + len, sz - len, "%s", d->bdf);
	if (d->pci && (d->pci->vendor_name[0] || d->pci->device_name[0]) && len < sz)
		len += (size_t)snprintf(buf + len, sz - len, " %s %s", d->pci->vendor_name,
					d->pci->device_name);
	if (d->vector >= 0 && len < sz)
		len += (size_t)snprintf(buf + len, sz - len, " %s vector %d",
					d->mode[0] ? d->mode : "msi", d->vector);
	if (d->ifname[0] && len < sz)
		len += (size_t)snprintf(buf + len, sz - len, " if %s", d->ifname);
	if (d->napi && len < sz)
		len += (size_t)snprintf(buf + len, sz - len, " napi %u", d->napi->id);
	if (d->kind[0] && len < sz)
		snprintf(buf + len, sz - len, " [%s]", d->kind);
}
