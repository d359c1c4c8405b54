/* Unit tests: the model's joins (IRQ -> PCI function, vector, interface,
 * NAPI) and the sample. */
#include "testutil.h"
#include "inspect/model.h"

static const struct irq_device *dev_of(const struct model *m, unsigned irq)
{
	for (size_t i = 0; i < m->irqs.n; i++)
		if (m->irqs.lines[i].numbered && m->irqs.lines[i].irq == irq)
			return &m->irqdev[i];
	fail_msg("IRQ %u not found", irq);
	return NULL;
}

static void load(struct host *h, struct model *m, const char *fixture)
{
	char root[TEST_PATH];
	tpathf(root, "%s/%s", FIXTURES, fixture);
	assert_int_equal(host_open(h, root), 0);
	assert_int_equal(model_read(h, m), 0);
	assert_true(m->irqs_sec.ok);
}

static void virtio_queue_irq_names_its_device(void **state)
{
	struct host h;
	struct model m;
	load(&h, &m, "virtio-net-2cpu");
	const struct irq_device *d = dev_of(&m, 38); /* virtio2-input.0 */
	assert_non_null(d->pci);
	assert_string_equal(d->bdf, "0000:00:03.0");
	assert_int_equal(d->vector, 1);
	assert_string_equal(d->mode, "msix");
	assert_string_equal(d->ifname, "eth0");
	assert_string_equal(d->kind, "net");
	assert_non_null(strstr(d->pci->vendor_name, "Red Hat"));
	/* virtio reports no IRQ for its NAPI: matched through rx queue 0. */
	assert_non_null(d->napi);
	assert_int_equal(d->napi->id, 257);
	assert_string_equal(d->napi_via, "rx-queue");
	/* The tx queue's IRQ has no NAPI of its own. */
	assert_null(dev_of(&m, 39)->napi);
	/* The block device is storage, with no interface. */
	assert_string_equal(dev_of(&m, 36)->kind, "storage");
	assert_string_equal(dev_of(&m, 36)->ifname, "");
	model_free(&m);
	host_close(&h);
}

static void napi_by_irq_when_the_kernel_says(void **state)
{
	struct host h;
	struct model m;
	load(&h, &m, "nic-napi-8cpu");
	const struct irq_device *d = dev_of(&m, 121); /* ice-ens1f0-TxRx-0 */
	assert_string_equal(d->ifname, "ens1f0");
	assert_int_equal(d->vector, 1);
	assert_non_null(d->napi);
	assert_int_equal(d->napi->id, 8193);
	assert_string_equal(d->napi_via, "irq");
	model_free(&m);
	host_close(&h);
}

static void device_from_irq_name_without_sysfs(void **state)
{
	struct host h;
	struct model m;
	load(&h, &m, "xeon-mlx5-nvme-96cpu");
	const struct irq_device *d = dev_of(&m, 148); /* mlx5_comp7@pci:0000:3b:00.0 */
	assert_null(d->pci);
	assert_string_equal(d->bdf, "0000:3b:00.0");
	assert_string_equal(d->kind, "net");
	assert_int_equal(d->vector, 8);       /* IR-PCI-MSIX-<bdf> 8-edge */
	assert_string_equal(d->mode, "msix");
	assert_string_equal(dev_of(&m, 65)->kind, "nvme");
	model_free(&m);
	host_close(&h);
}

static void sample_of_a_still_tree_is_zero(void **state)
{
	struct host h;
	struct model m;
	load(&h, &m, "virtio-net-2cpu");
	assert_int_equal(model_sample(&h, &m, 10), 0);
	assert_true(m.sample.taken);
	assert_int_equal(m.sample.interval_ms, 10);
	assert_non_null(m.sample.irq_rate);
	for (size_t i = 0; i < m.irqs.n; i++)
		for (unsigned c = 0; c < m.irqs.ncpus; c++)
			assert_true(m.sample.irq_rate[i][c] == 0.0);
	assert_int_equal(m.sample.delta.n, m.softnet.n);
	model_free(&m);
	host_close(&h);
}

static void live_sample_counts_timer_ticks(void **state)
{
	struct host h;
	struct model m;
	need_loc_row();
	assert_int_equal(host_open(&h, "/"), 0);
	assert_int_equal(model_read(&h, &m), 0);
	assert_true(m.irqs_sec.ok);
	assert_int_equal(model_sample(&h, &m, 200), 0);
	/* Some CPU took local timer interrupts during 200 ms. */
	double loc = 0;
	for (size_t i = 0; i < m.irqs.n; i++)
		if (!strcmp(m.irqs.lines[i].label, "LOC"))
			for (unsigned c = 0; c < m.irqs.ncpus; c++)
				loc += m.sample.irq_rate[i][c];
	assert_true(loc > 0);
	model_free(&m);
	host_close(&h);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(virtio_queue_irq_names_its_device),
	cmocka_unit_test(napi_by_irq_when_the_kernel_says),
	cmocka_unit_test(device_from_irq_name_without_sysfs),
	cmocka_unit_test(sample_of_a_still_tree_is_zero),
	cmocka_unit_test(live_sample_counts_timer_ticks),
};
RUN_TESTS(tests)
