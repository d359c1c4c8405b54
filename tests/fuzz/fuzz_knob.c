/* libFuzzer harness: the knob layer's syntax on arbitrary bytes: the first
 * byte picks a kind, then target, value a and value b split at NUL.
 * knob_valid never lets a target reach a path outside the knob's files;
 * knob_same is symmetric and reflexive on valid values; the canonical CPU
 * list is a fixed point, the same set, and fits or is refused (never cut). */
#include "fuzz.h"
#include "base/cpumask.h"
#include "tune/knob.h"

static const char *chunk(const char **p, const char *end)
{
	const char *s = *p;
	const char *z = memchr(s, '\0', (size_t)(end - s));
	*p = z ? z + 1 : end;
	return s;
}

static void canonical_checks(const char *in)
{
	char out[64], again[64];
	if (!knob_canonical_cpulist(in, out, sizeof(out)))
		return;
	bool parsed;
	if (strlen(out) >= sizeof(out) || !knob_canonical_cpulist(out, again, sizeof(again)) ||
	    strcmp(out, again) || (!knob_same_cpulist(in, out, &parsed) && parsed))
		__builtin_trap();
}

static void fuzz_one(const char *text, size_t size)
{
	if (!size)
		return;
	enum knob_kind k = (enum knob_kind)((unsigned char)text[0] % KNOB__COUNT);
	const char *p = text + 1, *end = text + size;
	const char *target = chunk(&p, end);
	const char *a = p < end ? chunk(&p, end) : "";
	const char *b = p < end ? chunk(&p, end) : "";
	char why[1024], path[4096];
	if (knob_valid(k, target, NULL, why, sizeof(why))) {
		knob_path(k, target, path, sizeof(path));
		if (path[0] && (strstr(path, "/../") || strstr(path, "/./") ||
				(strncmp(path, "/proc/", 6) && strncmp(path, "/sys/", 5))))
			__builtin_trap();
	}
	bool va = knob_valid(k, target, a, why, sizeof(why));
	bool vb = knob_valid(k, target, b, why, sizeof(why));
	if (knob_same(k, a, b) != knob_same(k, b, a))
		__builtin_trap();
	if (va && !knob_same(k, a, a))
		__builtin_trap();
	(void)vb;
	canonical_checks(a);
	canonical_checks(b);
}
