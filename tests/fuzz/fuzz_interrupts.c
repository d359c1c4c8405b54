/* libFuzzer harness: interrupts_parse on arbitrary bytes, with the
 * invariants every consumer relies on checked after a successful parse. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "interrupts.h"

static void check(const struct interrupts *irqs)
{
	if (!irqs->ncpus)
		__builtin_trap();
	for (size_t i = 0; i < irqs->n; i++) {
		const struct irq_line *l = &irqs->lines[i];
		uint64_t sum = 0;
		for (unsigned c = 0; c < irqs->ncpus; c++)
			if (__builtin_add_overflow(sum, l->counts[c], &sum))
				sum = NA_U64;
		if (sum != l->total || l->ncounts > irqs->ncpus)
			__builtin_trap();
		if (strlen(l->label) >= sizeof(l->label) || strlen(l->name) >= sizeof(l->name))
			__builtin_trap();
		if (l->numbered && interrupts_find(irqs, l->irq) == NULL)
			__builtin_trap();
	}
	if (interrupts_column(irqs, irqs->cpu[irqs->ncpus - 1]) < 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The parser must stop at size; the NUL only keeps a bug from
	 * running on into the heap unnoticed by the sanitizer. */
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	struct interrupts irqs;
	struct parse_error err;
	int rc = interrupts_parse(buf, size, &irqs, &err);
	if (rc == 0)
		check(&irqs);
	else if ((rc != -EINVAL && rc != -ENOMEM) || err.line < 1 || irqs.n || irqs.lines)
		__builtin_trap();
	interrupts_free(&irqs);
	free(buf);
	return 0;
}
