/* base/cpumask: CPU sets and the kernel's list and hex-mask forms (cpumask.h). */
#include "base/cpumask.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cpumask_init(struct cpumask *m)
{
	m->w = NULL;
	m->nwords = 0;
}

void cpumask_free(struct cpumask *m)
{
	free(m->w);
	cpumask_init(m);
}

void cpumask_clear(struct cpumask *m)
{
	if (m->w)
		memset(m->w, 0, m->nwords * sizeof(*m->w));
}

static int grow(struct cpumask *m, unsigned words)
{
	if (words <= m->nwords)
		return 0;
	uint64_t *w = realloc(m->w, words * sizeof(*w));
	if (!w)
		return -ENOMEM;
	memset(w + m->nwords, 0, (words - m->nwords) * sizeof(*w));
	m->w = w;
	m->nwords = words;
	return 0;
}

int cpumask_set(struct cpumask *m, unsigned cpu)
{
	if (cpu >= CPUMASK_MAX_CPUS)
		return -ERANGE;
	int rc = grow(m, cpu / 64 + 1);
	if (rc)
		return rc;
	m->w[cpu / 64] |= 1ull << (cpu % 64);
	return 0;
}

void cpumask_unset(struct cpumask *m, unsigned cpu)
{
	if (cpu / 64 < m->nwords)
		m->w[cpu / 64] &= ~(1ull << (cpu % 64));
}

bool cpumask_test(const struct cpumask *m, unsigned cpu)
{
	return cpu / 64 < m->nwords && (m->w[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned cpumask_weight(const struct cpumask *m)
{
	unsigned n = 0;
	for (unsigned i = 0; i < m->nwords; i++)
		n += (unsigned)__builtin_popcountll(m->w[i]);
	return n;
}

bool cpumask_empty(const struct cpumask *m)
{
	for (unsigned i = 0; i < m->nwords; i++)
		if (m->w[i])
			return false;
	return true;
}

int cpumask_next(const struct cpumask *m, int prev)
{
	unsigned cpu = (unsigned)(prev + 1);
	while (cpu / 64 < m->nwords) {
		uint64_t word = m->w[cpu / 64] >> (cpu % 64);
		if (word)
			return (int)(cpu + (unsigned)__builtin_ctzll(word));
		cpu = (cpu / 64 + 1) * 64;
	}
	return -1;
}

int cpumask_copy(struct cpumask *dst, const struct cpumask *src)
{
	cpumask_clear(dst);
	int rc = grow(dst, src->nwords);
	if (rc)
		return rc;
	if (src->nwords)
		memcpy(dst->w, src->w, src->nwords * sizeof(*src->w));
	return 0;
}

static uint64_t word_at(const struct cpumask *m, unsigned i)
{
	return i < m->nwords ? m->w[i] : 0;
}

static unsigned max_words(const struct cpumask *a, const struct cpumask *b)
{
	return a->nwords > b->nwords ? a->nwords : b->nwords;
}

bool cpumask_equal(const struct cpumask *a, const struct cpumask *b)
{
	for (unsigned i = 0; i < max_words(a, b); i++)
		if (word_at(a, i) != word_at(b, i))
			return false;
	return true;
}

int cpumask_or(struct cpumask *dst, const struct cpumask *src)
{
	int rc = grow(dst, src->nwords);
	for (unsigned i = 0; !rc && i < src->nwords; i++)
		dst->w[i] |= src->w[i];
	return rc;
}

int cpumask_and(struct cpumask *dst, const struct cpumask *a, const struct cpumask *b,
		bool not_b)
{
	cpumask_clear(dst);
	int rc = grow(dst, a->nwords);
	for (unsigned i = 0; !rc && i < a->nwords; i++)
		dst->w[i] = a->w[i] & (not_b ? ~word_at(b, i) : word_at(b, i));
	return rc;
}

bool cpumask_subset(const struct cpumask *sub, const struct cpumask *super)
{
	for (unsigned i = 0; i < max_words(sub, super); i++)
		if (word_at(sub, i) & ~word_at(super, i))
			return false;
	return true;
}

bool cpumask_intersects(const struct cpumask *a, const struct cpumask *b)
{
	for (unsigned i = 0; i < max_words(a, b); i++)
		if (word_at(a, i) & word_at(b, i))
			return true;
	return false;
}

/* Everything the kernel prints for an empty list: "", "\n", "\0\n",
 * and "(null)" padded with spaces (nohz_full). */
static bool is_empty_list(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	if (!strncmp(s, "(null)", 6))
		s += 6;
	while (isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

static int parse_cpu(const char **s, unsigned *out)
{
	if (!isdigit((unsigned char)**s))
		return -EINVAL;
	unsigned long v = 0;
	while (isdigit((unsigned char)**s)) {
		v = v * 10 + (unsigned long)(**s - '0');
		if (v >= CPUMASK_MAX_CPUS)
			return -ERANGE;
		(*s)++;
	}
	*out = (unsigned)v;
	return 0;
}

int cpulist_parse(const char *s, struct cpumask *m)
{
	cpumask_clear(m);
	if (is_empty_list(s))
		return 0;
	while (isspace((unsigned char)*s))
		s++;
	for (;;) {
		unsigned lo, hi;
		int rc = parse_cpu(&s, &lo);
		if (rc)
			return rc;
		hi = lo;
		if (*s == '-') {
			s++;
			if ((rc = parse_cpu(&s, &hi)))
				return rc;
			if (hi < lo)
				return -EINVAL;
		}
		for (unsigned c = lo; c <= hi; c++)
			if ((rc = cpumask_set(m, c)))
				return rc;
		/* related_cpus is space separated: "0 1 2 3" */
		if (*s == ',' || (*s == ' ' && isdigit((unsigned char)s[1]))) {
			s++;
			continue;
		}
		while (isspace((unsigned char)*s))
			s++;
		return *s ? -EINVAL : 0;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

int cpumask_parse_hex(const char *s, struct cpumask *m)
{
	cpumask_clear(m);
	while (isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (!len)
		return -EINVAL;
	/* Words are 32 bits each, however many digits the kernel printed. */
	unsigned word = 0, bit = 0;
	for (size_t i = len; i-- > 0;) {
		if (s[i] == ',') {
			word++;
			bit = word * 32;
			continue;
		}
		int v = hexval(s[i]);
		if (v < 0 || bit >= (word + 1) * 32)
			return -EINVAL;
		for (int b = 0; b < 4; b++, bit++) {
			if (!(v >> b & 1))
				continue;
			int rc = cpumask_set(m, bit);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int cpulist_format(const struct cpumask *m, char *buf, size_t sz)
{
	size_t n = 0;
	if (sz)
		buf[0] = '\0';
	for (int c = cpumask_next(m, -1); c >= 0;) {
		int end = c;
		while (cpumask_test(m, (unsigned)end + 1))
			end++;
		char piece[32];
		int len = end > c ? snprintf(piece, sizeof(piece), "%s%d-%d", n ? "," : "", c, end)
				  : snprintf(piece, sizeof(piece), "%s%d", n ? "," : "", c);
		if (n + (size_t)len < sz)
			memcpy(buf + n, piece, (size_t)len + 1);
		n += (size_t)len;
		c = cpumask_next(m, end);
	}
	return (int)n;
}

char *cpulist_str(const struct cpumask *m)
{
	int need = cpulist_format(m, NULL, 0);
	char *s = malloc((size_t)need + 1);
	if (s)
		cpulist_format(m, s, (size_t)need + 1);
	return s;
}
