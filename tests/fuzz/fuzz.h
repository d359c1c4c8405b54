/* Shared by the libFuzzer harnesses: each defines fuzz_one() and includes
 * this for the entry point. */
#ifndef AGENTUNE_FUZZ_H
#define AGENTUNE_FUZZ_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* One input: size bytes at text, plus a NUL.  Parsers given a length must
 * stop at size; the NUL only keeps a bug from running on into the heap
 * unnoticed by the sanitizer. */
static void fuzz_one(const char *text, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_one(text, size);
	free(text);
	return 0;
}

/* The total of one row as the parsers keep it: saturating at NA_U64. */
static inline uint64_t fuzz_total(const uint64_t *counts, unsigned n)
{
	uint64_t sum = 0;
	for (unsigned c = 0; c < n; c++)
		if (__builtin_add_overflow(sum, counts[c], &sum))
			sum = NA_U64;
	return sum;
}

/* A failed parse says where and leaves nothing behind. */
static inline void fuzz_check_failure(int rc, const struct parse_error *err, size_t n,
				      const void *rows)
{
	if ((rc != -EINVAL && rc != -ENOMEM) || err->line < 1 || n || rows)
		__builtin_trap();
}

#endif
