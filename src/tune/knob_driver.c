/* tune/knob_driver: the syntax and comparison helpers drivers share
 * (knob_driver.h). */
#include "tune/knob_driver.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cpumask.h"
#include "base/util.h"

bool knob_dec_ok(const char *s, uint64_t max, uint64_t *out)
{
	size_t n = strspn(s, "0123456789");
	if (n == 0 || s[n] || n > 20 || (s[0] == '0' && n > 1))
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, NULL, 10);
	if (errno || v > max)
		return false;
	if (out)
		*out = v;
	return true;
}

bool knob_cpulist_ok(const char *s, bool allow_empty)
{
	if (s[strspn(s, "0123456789,-")])
		return false;
	if (!*s)
		return allow_empty;
	struct cpumask m;
	cpumask_init(&m);
	bool ok = cpulist_parse(s, &m) == 0 && !cpumask_empty(&m);
	cpumask_free(&m);
	return ok;
}

bool knob_has_space(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return true;
	return false;
}

bool knob_components_ok(const char *rel)
{
	for (const char *p = rel;;) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!p[n])
			return true;
		p += n + 1;
	}
}

const char *knob_last_component(const char *t)
{
	const char *s = strrchr(t, '/');
	return s ? s + 1 : t;
}

const char *knob_split_slash(const char *t, char *head, size_t sz)
{
	const char *s = strchr(t, '/');
	if (!s || (size_t)(s - t) >= sz)
		return NULL;
	copy_strn(head, sz, t, (size_t)(s - t));
	return s + 1;
}

bool knob_trim(const char *s, char *out, size_t sz)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	if (n >= sz) {
		if (sz)
			out[0] = '\0';
		return false;
	}
	copy_strn(out, sz, s, n);
	return true;
}

bool knob_same_number(const char *a, const char *b)
{
	int64_t x, y;
	if (parse_s64(a, &x) && parse_s64(b, &y))
		return x == y;
	return !strcmp(a, b);
}

bool knob_same_cpulist(const char *a, const char *b, bool *parsed)
{
	struct cpumask x, y;
	cpumask_init(&x);
	cpumask_init(&y);
	*parsed = !a[strspn(a, "0123456789,-")] && !b[strspn(b, "0123456789,-")] &&
		  !cpulist_parse(a, &x) && !cpulist_parse(b, &y);
	bool same = *parsed && cpumask_equal(&x, &y);
	cpumask_free(&x);
	cpumask_free(&y);
	return same;
}

bool knob_canonical_cpulist(const char *in, char *out, size_t sz)
{
	struct cpumask m;
	cpumask_init(&m);
	int n = cpulist_parse(in, &m) == 0 ? cpulist_format(&m, out, sz) : -1;
	bool ok = n >= 0 && (size_t)n < sz;
	cpumask_free(&m);
	return ok;
}
