/* base/procfs_text: counts, CPU headers and whole files of procfs column files
 * (procfs_text.h).
 *
 * pt_counts is the hot loop of a 1152-CPU /proc/interrupts (13 MB): its
 * helpers are forced inline so that the loop keeps its values in registers;
 * measure (callgrind instruction counts) before changing its shape. */
#include "base/procfs_text.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/cpumask.h"

#define MAX_COLUMNS 65536
#define HOT static inline __attribute__((always_inline))

/* pt_skip_space for the gaps between counts, which sit in space-padded
 * columns ("%10u "): most of a wide file is runs of spaces, so skip them
 * eight at a time. */
HOT const char *skip_pad(const char *p, const char *e)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (e - p >= 8) {
		uint64_t w;
		memcpy(&w, p, sizeof(w));
		w ^= 0x2020202020202020ull;
		if (w) {
			p += (unsigned)__builtin_ctzll(w) >> 3;
			break;
		}
		p += 8;
	}
#endif
	return pt_skip_space(p, e);
}

/* Digits past 19, with overflow checks: only huge or zero-padded counts. */
static const char *long_tail(const char *p, const char *e, uint64_t *v, bool *over)
{
	for (; p < e && pt_is_digit(*p); p++) {
		if (__builtin_mul_overflow(*v, 10, v) ||
		    __builtin_add_overflow(*v, (unsigned)(*p - '0'), v))
			*over = true;
	}
	return p;
}

/* One count at *pp.  1 with *pp past it; 0 when the token is not a number;
 * -ERANGE when it is digits past u64. */
HOT int parse_count(const char **pp, const char *e, uint64_t *out)
{
	const char *p = *pp;
	unsigned d;

	if (p == e || (d = (unsigned char)*p - '0') > 9)
		return 0;
	uint64_t v = d;
	bool over = false;
	/* 19 digits always fit in u64. */
	const char *lim = e - p > 19 ? p + 19 : e;
	for (p++; p < lim && (d = (unsigned char)*p - '0') <= 9; p++)
		v = v * 10 + d;
	if (p == lim)
		p = long_tail(p, e, &v, &over);
	if (p < e && !pt_is_space(*p))
		return 0;
	if (over)
		return -ERANGE;
	*out = v;
	*pp = p;
	return 1;
}

int pt_count_at(const char *p, const char *e, uint64_t *out)
{
	return parse_count(&p, e, out);
}

unsigned pt_counts(const char **pp, const char *e, uint64_t *counts, unsigned max,
		   uint64_t *total)
{
	const char *p = *pp;
	uint64_t sum = 0;
	unsigned n = 0;

	for (; n < max; n++) {
		p = skip_pad(p, e);
		if (parse_count(&p, e, &counts[n]) != 1)
			break;
		/* Saturates: a total past u64 reads as unavailable. */
		if (__builtin_add_overflow(sum, counts[n], &sum))
			sum = NA_U64;
	}
	*pp = pt_skip_space(p, e);
	*total = sum;
	return n;
}

static int cpu_columns(const char *p, const char *e, unsigned **cpu, unsigned *ncpus,
		       const char *file, int line, struct parse_error *err)
{
	size_t cap = 0;

	for (p = pt_skip_space(p, e); p < e; p = pt_skip_space(p, e)) {
		const char *t = pt_tok_end(p, e);
		uint64_t n;
		if (t - p < 4 || memcmp(p, "CPU", 3) || !pt_all_digits(p + 3, t) || t - p > 12) {
			perr_set(err, file, line, "no CPU header (\"%.*s\")",
				 (int)(t - p > 32 ? 32 : t - p), p);
			return -EINVAL;
		}
		if (*ncpus == MAX_COLUMNS) {
			perr_set(err, file, line, "more than %d CPU columns", MAX_COLUMNS);
			return -EINVAL;
		}
		if (pt_count_at(p + 3, t, &n) != 1 || n >= CPUMASK_MAX_CPUS) {
			perr_set(err, file, line, "CPU number out of range");
			return -EINVAL;
		}
		unsigned *c = grow(*cpu, *ncpus, &cap, sizeof(*c), 64);
		if (!c) {
			perr_set(err, file, line, "out of memory");
			return -ENOMEM;
		}
		*cpu = c;
		(*cpu)[(*ncpus)++] = (unsigned)n;
		p = t;
	}
	if (!*ncpus) {
		perr_set(err, file, line, "no CPU header");
		return -EINVAL;
	}
	return 0;
}

int pt_header(struct pt_lines *it, unsigned **cpu, unsigned *ncpus, const char *file,
	      struct parse_error *err)
{
	if (!pt_next_line(it)) {
		perr_set(err, file, 1, "empty file, no CPU header");
		return -EINVAL;
	}
	return cpu_columns(it->s, it->e, cpu, ncpus, file, it->line, err);
}

int pt_read(const struct host *h, const char *path, char **buf, size_t *len,
	    struct parse_error *err)
{
	*buf = host_read(h, path, len);
	if (*buf)
		return 0;
	int e = errno ? errno : EIO;
	perr_set(err, path, 0, "%s", strerror(e));
	return -e;
}

int pt_status_field(const struct host *h, int pid, const char *key, char *buf, size_t sz)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	char *text = host_read(h, path, NULL);
	if (!text)
		return -errno;
	size_t klen = strlen(key);
	int rc = -ENODATA;
	for (const char *line = text, *next; line && *line; line = next) {
		/* The line after this one, NULL at the end (no arithmetic on
		 * NULL: a last line without '\n' ends the loop). */
		next = strchr(line, '\n');
		if (next)
			next++;
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		const char *v = line + klen + 1;
		v += strspn(v, " \t");
		size_t n = strcspn(v, "\n");
		while (n && pt_is_space(v[n - 1]))
			n--;
		/* Never a cut value: a cut CPU list is another list. */
		if (n >= sz) {
			if (sz)
				buf[0] = '\0';
			rc = -EOVERFLOW;
			break;
		}
		copy_strn(buf, sz, v, n);
		rc = 0;
		break;
	}
	free(text);
	return rc;
}
