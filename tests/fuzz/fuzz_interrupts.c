/* libFuzzer harness: interrupts_parse on arbitrary bytes, with the
 * invariants every consumer relies on checked after a successful parse. */
#include "fuzz.h"
#include "inspect/interrupts.h"

static void check(const struct interrupts *irqs)
{
	if (!irqs->ncpus)
		__builtin_trap();
	for (size_t i = 0; i < irqs->n; i++) {
		const struct irq_line *l = &irqs->lines[i];
		if (fuzz_total(l->counts, irqs->ncpus) != l->total || l->ncounts > irqs->ncpus)
			__builtin_trap();
		if (strlen(l->label) >= sizeof(l->label) || strlen(l->name) >= sizeof(l->name))
			__builtin_trap();
		if (l->numbered && interrupts_find(irqs, l->irq) == NULL)
			__builtin_trap();
	}
	if (interrupts_column(irqs, irqs->cpu[irqs->ncpus - 1]) < 0)
		__builtin_trap();
}

static void fuzz_one(const char *buf, size_t size)
{
	struct interrupts irqs;
	struct parse_error err;
	int rc = interrupts_parse(buf, size, &irqs, &err);
	if (rc == 0)
		check(&irqs);
	else
		fuzz_check_failure(rc, &err, irqs.n, irqs.lines);
	interrupts_free(&irqs);
}
